import { type Kysely, sql } from "kysely";
import type { DialectName } from "../database.js";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then, not Schema
type AnyDb = Kysely<any>;

function idColumn(dialect: DialectName) {
  return dialect === "postgres" ? sql`serial primary key` : sql`integer primary key autoincrement`;
}

/** Account recovery: reset links, one-time codes, the outbox of messages, and look-ups they need. */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  // Single-use password-reset links (only the SHA-256 of the token is kept).
  await db.schema
    .createTable("reset_token")
    .addColumn("token_hash", "text", (c) => c.primaryKey())
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("used_at", "text")
    .addColumn("cancelled_at", "text")
    .execute();
  await db.schema.createIndex("reset_token_account_idx").on("reset_token").column("account_id").execute();

  // 6-digit codes sent to an address (confirming a recovery address, or the optional second factor
  // of the NUMEN path): keyed hash of the code, 10 minutes, 3 tries.
  await db.schema
    .createTable("verification_code")
    .addColumn("id", idColumn(dialect))
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("target", "text", (c) => c.notNull())
    .addColumn("code_hash", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("attempts_left", "integer", (c) => c.notNull())
    .addColumn("consumed_at", "text")
    .execute();
  await db.schema
    .createIndex("verification_code_account_idx")
    .on("verification_code")
    .columns(["account_id", "purpose"])
    .execute();

  // Messages that leave through no relay: read with `sesame outbox` (whole RFC 5322 text kept).
  await db.schema
    .createTable("outbox_message")
    .addColumn("id", idColumn(dialect))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("recipient", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("text_body", "text", (c) => c.notNull())
    .addColumn("raw", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("outbox_message_recipient_idx").on("outbox_message").column("recipient").execute();

  // Look-ups: accounts by recovery address, sign-in history of an account.
  await db.schema.createIndex("account_recovery_email_idx").on("account").column("recovery_email").execute();
  await db.schema.createIndex("audit_event_entity_idx").on("audit_event").columns(["entity", "entity_id"]).execute();
}
