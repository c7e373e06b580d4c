import type { DialectName } from "../database.js";
import { type AnyDb, columnTypes, createIndexes, requiredText } from "./schema-kit.js";

/** Account recovery: reset links, one-time codes, the outbox of messages, and look-ups they need. */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const { serialId } = columnTypes(dialect);

  // Single-use password-reset links (only the SHA-256 of the token is kept).
  await db.schema
    .createTable("reset_token")
    .addColumn("token_hash", "text", (c) => c.primaryKey())
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .$call(requiredText("created_at", "expires_at"))
    .addColumn("used_at", "text")
    .addColumn("cancelled_at", "text")
    .execute();
  await createIndexes(db, "reset_token", { reset_token_account_idx: ["account_id"] });

  // 6-digit codes sent to an address (confirming a recovery address, or the optional second factor
  // of the NUMEN path): keyed hash of the code, 10 minutes, 3 tries.
  await db.schema
    .createTable("verification_code")
    .addColumn("id", serialId)
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .$call(requiredText("purpose", "target", "code_hash", "created_at", "expires_at"))
    .addColumn("attempts_left", "integer", (c) => c.notNull())
    .addColumn("consumed_at", "text")
    .execute();
  await createIndexes(db, "verification_code", { verification_code_account_idx: ["account_id", "purpose"] });

  // Messages that leave through no relay: read with `sesame outbox` (whole RFC 5322 text kept).
  await db.schema
    .createTable("outbox_message")
    .addColumn("id", serialId)
    .$call(requiredText("created_at", "recipient", "subject", "text_body", "raw"))
    .execute();
  await createIndexes(db, "outbox_message", { outbox_message_recipient_idx: ["recipient"] });

  // Look-ups: accounts by recovery address, sign-in history of an account.
  await createIndexes(db, "account", { account_recovery_email_idx: ["recovery_email"] });
  await createIndexes(db, "audit_event", { audit_event_entity_idx: ["entity", "entity_id"] });
}
