import type { DialectName } from "../database.js";
import { type AnyDb, requiredText } from "./schema-kit.js";

/**
 * The webmail's settings of each account: the signature, the away message
 * ("Message d'absence") and the forwarding; and the auto-replies already sent, one row per
 * account and sender, for the "one reply per sender per 7 days" rule (RFC 3834).
 */
export async function up(db: AnyDb, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable("mail_settings")
    .addColumn("account_id", "integer", (c) => c.primaryKey().references("account.id"))
    .addColumn("signature", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("away_enabled", "integer", (c) => c.notNull().defaultTo(0))
    /** YYYY-MM-DD, a day in Europe/Paris (inclusive); null: from now on / without end. */
    .addColumn("away_start", "text")
    .addColumn("away_end", "text")
    .addColumn("away_subject", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("away_text", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("forward_address", "text")
    .addColumn("forward_keep_copy", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("mail_auto_reply")
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    /** The envelope sender answered, lower case. */
    .$call(requiredText("sender", "sent_at"))
    .addPrimaryKeyConstraint("mail_auto_reply_pk", ["account_id", "sender"])
    .execute();
}
