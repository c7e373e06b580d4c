import { type Kysely, sql } from "kysely";
import type { DialectName } from "../database.js";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then, not Schema
type AnyDb = Kysely<any>;

/**
 * The outbound queue: a message written by a user to external addresses, kept once
 * (`outbound_message`), and one row per external recipient (`outbound_delivery`) with its state,
 * attempts, next attempt, lease and expiry. Times are ISO strings (they sort as they compare).
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const pg = dialect === "postgres";
  const id = pg ? sql`bigserial primary key` : sql`integer primary key autoincrement`;
  const big = pg ? "bigint" : "integer";
  const bytes = pg ? sql`bytea` : sql`blob`;

  await db.schema
    .createTable("outbound_message")
    .addColumn("id", id)
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .addColumn("envelope_from", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("raw", bytes, (c) => c.notNull())
    .addColumn("size", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("outbound_delivery")
    .addColumn("id", id)
    .addColumn("message_id", big, (c) => c.notNull().references("outbound_message.id"))
    .addColumn("recipient", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "text", (c) => c.notNull())
    .addColumn("lease_until", "text")
    .addColumn("last_error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("done_at", "text")
    .execute();
  // The worker's question: which rows are due (queued and due, or sending with an expired lease)?
  await db.schema
    .createIndex("outbound_delivery_due_idx")
    .on("outbound_delivery")
    .columns(["state", "next_attempt_at"])
    .execute();
  await db.schema.createIndex("outbound_delivery_message_idx").on("outbound_delivery").column("message_id").execute();
}
