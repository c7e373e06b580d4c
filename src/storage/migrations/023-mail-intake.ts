import type { DialectName } from "../database.js";
import { type AnyDb, columnTypes, createIndexes, requiredText } from "./schema-kit.js";

/**
 * The reception's intake (issue 13, §5): a message answered `250` while other deliveries were being
 * stored waits here, whole and durable, to be stored just after (mail/intake.ts). A row is deleted in
 * the transaction that stores its message, so a message is stored once even across a crash.
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const { bigserialId, bytes } = columnTypes(dialect);
  await db.schema
    .createTable("mail_intake")
    .addColumn("id", bigserialId)
    .addColumn("raw", bytes, (c) => c.notNull())
    // JSON: the recipients ({accountId, address}[]) and the delivery's DeliveryMeta.
    .$call(requiredText("recipients", "meta", "received_at", "next_attempt_at"))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    .execute();
  await createIndexes(db, "mail_intake", { mail_intake_due_idx: ["next_attempt_at", "id"] });
}
