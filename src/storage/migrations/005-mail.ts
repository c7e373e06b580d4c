import { sql } from "kysely";
import type { DialectName } from "../database.js";
import { type AnyDb, columnTypes, createIndexes, requiredText } from "./schema-kit.js";

/**
 * The mail store: folders with their counters, messages (what the interface lists and searches)
 * and the raw bytes of each message as received, kept once however many local recipients got it.
 * Full-text search: an FTS5 table on SQLite, a tsvector table with a GIN index on PostgreSQL.
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const { bigserialId, big, bytes } = columnTypes(dialect);

  await db.schema
    .createTable("mail_folder")
    .addColumn("id", bigserialId)
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .addColumn("parent_id", big, (c) => c.references("mail_folder.id"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("role", "text")
    .addColumn("message_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("unread_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("size_bytes", big, (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await createIndexes(db, "mail_folder", { mail_folder_account_idx: ["account_id"] });
  await sql`create unique index mail_folder_role_idx on mail_folder (account_id, role) where role is not null`.execute(
    db,
  );

  await db.schema
    .createTable("mail_blob")
    .addColumn("id", bigserialId)
    .addColumn("raw", bytes, (c) => c.notNull())
    .addColumn("size", "integer", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("mail_message")
    .addColumn("id", bigserialId)
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .addColumn("folder_id", big, (c) => c.notNull().references("mail_folder.id"))
    .addColumn("blob_id", big, (c) => c.notNull().references("mail_blob.id"))
    .addColumn("thread_id", big, (c) => c.notNull())
    .addColumn("message_id", "text")
    .addColumn("in_reply_to", "text")
    .$call(requiredText("refs", "from_name", "from_address", "to_text", "subject", "sent_at", "received_at"))
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
  await createIndexes(db, "mail_message", {
    mail_message_folder_idx: ["folder_id", "id"],
    mail_message_account_idx: ["account_id", "id"],
    mail_message_msgid_idx: ["account_id", "message_id"],
    mail_message_thread_idx: ["account_id", "thread_id"],
    mail_message_blob_idx: ["blob_id"],
  });

  if (dialect === "postgres") {
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
