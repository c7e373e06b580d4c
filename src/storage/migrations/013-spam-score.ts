import type { DialectName } from "../database.js";
import type { AnyDb } from "./schema-kit.js";

/**
 * The score SpamAssassin's spamd gave a message from outside (SESAME_SPAMD_URL), kept with each
 * stored copy: null when it was not scored (no spamd configured, spamd unavailable, a trusted
 * relay, mail from inside, messages stored before).
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable("mail_message")
    .addColumn("spam_score", dialect === "postgres" ? "double precision" : "real")
    .execute();
}
