import type { DialectName } from "../database.js";
import { type AnyDb, columnTypes, createIndexes, requiredText } from "./schema-kit.js";

/**
 * The outbound queue: a message written by a user to external addresses, kept once
 * (`outbound_message`), and one row per external recipient (`outbound_delivery`) with its state,
 * attempts, next attempt, lease and expiry. Times are ISO strings (they sort as they compare).
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const { bigserialId, big, bytes } = columnTypes(dialect);

  await db.schema
    .createTable("outbound_message")
    .addColumn("id", bigserialId)
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .$call(requiredText("envelope_from", "subject"))
    .addColumn("raw", bytes, (c) => c.notNull())
    .addColumn("size", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("outbound_delivery")
    .addColumn("id", bigserialId)
    .addColumn("message_id", big, (c) => c.notNull().references("outbound_message.id"))
    .$call(requiredText("recipient", "state"))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "text", (c) => c.notNull())
    .addColumn("lease_until", "text")
    .addColumn("last_error", "text")
    .$call(requiredText("created_at", "expires_at"))
    .addColumn("done_at", "text")
    .execute();
  await createIndexes(db, "outbound_delivery", {
    // The worker's question: which rows are due (queued and due, or sending with an expired lease)?
    outbound_delivery_due_idx: ["state", "next_attempt_at"],
    outbound_delivery_message_idx: ["message_id"],
  });
}
