import { type Kysely, sql } from "kysely";
import type { DialectName } from "../database.js";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then, not Schema
type AnyDb = Kysely<any>;

/**
 * The mail store: folders with their counters, messages (what the interface lists and searches)
 * and the raw bytes of each message as received, kept once however many local recipients got it.
 * Full-text search: an FTS5 table on SQLite, a tsvector table with a GIN index on PostgreSQL.
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const pg = dialect === "postgres";
  const id = pg ? sql`bigserial primary key` : sql`integer primary key autoincrement`;
  const big = pg ? "bigint" : "integer";
  const bytes = pg ? sql`bytea` : sql`blob`;

  await db.schema
    .createTable("mail_folder")
    .addColumn("id", id)
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .addColumn("parent_id", big, (c) => c.references("mail_folder.id"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("role", "text")
    .addColumn("message_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("unread_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("size_bytes", big, (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("mail_folder_account_idx").on("mail_folder").column("account_id").execute();
  await sql`create unique index mail_folder_role_idx on mail_folder (account_id, role) where role is not null`.execute(
    db,
  );

  await db.schema
    .createTable("mail_blob")
    .addColumn("id", id)
    .addColumn("raw", bytes, (c) => c.notNull())
    .addColumn("size", "integer", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("mail_message")
    .addColumn("id", id)
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .addColumn("folder_id", big, (c) => c.notNull().references("mail_folder.id"))
    .addColumn("blob_id", big, (c) => c.notNull().references("mail_blob.id"))
    .addColumn("thread_id", big, (c) => c.notNull())
    .addColumn("message_id", "text")
    .addColumn("in_reply_to", "text")
    .addColumn("refs", "text", (c) => c.notNull())
    .addColumn("from_name", "text", (c) => c.notNull())
    .addColumn("from_address", "text", (c) => c.notNull())
    .addColumn("to_text", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("sent_at", "text", (c) => c.notNull())
    .addColumn("received_at", "text", (c) => c.notNull())
    .addColumn("size", "integer", (c) => c.notNull())
    .addColumn("has_attachments", "integer", (c) => c.notNull())
    .addColumn("preview", "text", (c) => c.notNull())
    .addColumn("seen", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("answered", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("flagged", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("deleted", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("draft", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  // The list of a folder, newest first, one page at a time (keyset on the id).
  await db.schema.createIndex("mail_message_folder_idx").on("mail_message").columns(["folder_id", "id"]).execute();
  await db.schema.createIndex("mail_message_account_idx").on("mail_message").columns(["account_id", "id"]).execute();
  await db.schema
    .createIndex("mail_message_msgid_idx")
    .on("mail_message")
    .columns(["account_id", "message_id"])
    .execute();
  await db.schema
    .createIndex("mail_message_thread_idx")
    .on("mail_message")
    .columns(["account_id", "thread_id"])
    .execute();
  await db.schema.createIndex("mail_message_blob_idx").on("mail_message").column("blob_id").execute();

  if (pg) {
    await sql`create table mail_search (
      message_id bigint primary key references mail_message(id) on delete cascade,
      account_id integer not null,
      document tsvector not null
    )`.execute(db);
    await sql`create index mail_search_document_idx on mail_search using gin (document)`.execute(db);
  } else {
    // Contentless (the text is not stored twice), deletable, accents folded, prefix indexes for
    // as-you-type words. `owner` holds one token per account so that a query never leaves it.
    await sql`create virtual table mail_fts using fts5(
      owner, sender, recipients, subject, body,
      content='', contentless_delete=1,
      tokenize='unicode61 remove_diacritics 2', prefix='2 3'
    )`.execute(db);
  }
}
