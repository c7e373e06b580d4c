import type { DialectName } from "../database.js";
import { type AnyDb, columnTypes, createIndexes } from "./schema-kit.js";

/**
 * Throttling counters and used proof-of-work challenges (src/identity/throttle.repository.ts).
 * Unlike the rest of the schema, times here are epoch milliseconds (bigint): they are only compared
 * and subtracted, never shown, and they match the Redis sorted-set scores of the other store.
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const { bigserialId } = columnTypes(dialect);

  // One row per failure, kept 24 h (the longest window), for the rolling-window counts.
  await db.schema
    .createTable("throttle_failure")
    .addColumn("id", bigserialId)
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
  await createIndexes(db, "throttle_failure", {
    throttle_failure_key_at_idx: ["key", "at"],
    throttle_failure_at_idx: ["at"],
  });

  // One row per key: the consecutive-failure streak (reset on success) and the last failure.
  await db.schema
    .createTable("throttle_key")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("streak", "integer", (c) => c.notNull())
    .addColumn("last_failure_at", "bigint", (c) => c.notNull())
    .execute();
  await createIndexes(db, "throttle_key", { throttle_key_last_failure_idx: ["last_failure_at"] });

  // Signatures of solved ALTCHA challenges, remembered until the challenge expires (no replay).
  await db.schema
    .createTable("challenge_used")
    .addColumn("signature", "text", (c) => c.primaryKey())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await createIndexes(db, "challenge_used", { challenge_used_expires_idx: ["expires_at"] });
}
