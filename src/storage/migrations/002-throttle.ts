import { type Kysely, sql } from "kysely";
import type { DialectName } from "../database.js";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then, not Schema
type AnyDb = Kysely<any>;

function idColumn(dialect: DialectName) {
  return dialect === "postgres" ? sql`bigserial primary key` : sql`integer primary key autoincrement`;
}

/**
 * Throttling counters and used proof-of-work challenges (src/identity/throttle.repository.ts).
 * Unlike the rest of the schema, times here are epoch milliseconds (bigint): they are only compared
 * and subtracted, never shown, and they match the Redis sorted-set scores of the other store.
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  // One row per failure, kept 24 h (the longest window), for the rolling-window counts.
  await db.schema
    .createTable("throttle_failure")
    .addColumn("id", idColumn(dialect))
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("throttle_failure_key_at_idx").on("throttle_failure").columns(["key", "at"]).execute();
  await db.schema.createIndex("throttle_failure_at_idx").on("throttle_failure").column("at").execute();

  // One row per key: the consecutive-failure streak (reset on success) and the last failure.
  await db.schema
    .createTable("throttle_key")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("streak", "integer", (c) => c.notNull())
    .addColumn("last_failure_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("throttle_key_last_failure_idx").on("throttle_key").column("last_failure_at").execute();

  // Signatures of solved ALTCHA challenges, remembered until the challenge expires (no replay).
  await db.schema
    .createTable("challenge_used")
    .addColumn("signature", "text", (c) => c.primaryKey())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("challenge_used_expires_idx").on("challenge_used").column("expires_at").execute();
}
