import type { DialectName } from "../database.js";
import { type AnyDb, columnTypes, createIndexes, requiredText } from "./schema-kit.js";

/**
 * « Signaler un filoutage »: one row per report (who reported which message, when), for the
 * security team's `sesame reports`; and the look-up of every local copy of a message by its
 * Message-ID across the mailboxes (`sesame mail quarantine`). No content is kept here: the
 * Message-ID and the sender's domain only.
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const { bigserialId } = columnTypes(dialect);
  await db.schema
    .createTable("phishing_report")
    .addColumn("id", bigserialId)
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    // The Message-ID header of the message reported ("" when it had none), and its sender's domain.
    .$call(requiredText("message_id", "sender_domain", "reported_at"))
    .execute();
  await createIndexes(db, "phishing_report", {
    phishing_report_message_idx: ["message_id", "account_id"],
    phishing_report_at_idx: ["reported_at"],
  });
  await createIndexes(db, "mail_message", { mail_message_message_id_idx: ["message_id"] });
}
