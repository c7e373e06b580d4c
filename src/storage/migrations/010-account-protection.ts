import type { DialectName } from "../database.js";
import { type AnyDb, columnTypes, createIndexes, requiredText } from "./schema-kit.js";

/**
 * What a stolen session must not buy: the time of a session's last re-authentication (the password
 * typed again), the history of recovery-address changes (the previous address keeps receiving reset
 * links and notices for 7 days, and can cancel the change), and the external reset requests, recorded
 * at once and worked on after the answer (so that the answer takes the same time either way).
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const { serialId } = columnTypes(dialect);

  await db.schema.alterTable("session").addColumn("reauth_at", "text").execute();

  await db.schema
    .createTable("recovery_email_change")
    .addColumn("id", serialId)
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .addColumn("previous_email", "text")
    .addColumn("new_email", "text")
    .addColumn("changed_at", "text", (c) => c.notNull())
    // SHA-256 of the token of the cancel link sent to the previous address (null: nothing to cancel).
    .addColumn("cancel_hash", "text", (c) => c.unique())
    .addColumn("cancelled_at", "text")
    .execute();
  await createIndexes(db, "recovery_email_change", {
    recovery_email_change_account_idx: ["account_id", "changed_at"],
    recovery_email_change_previous_idx: ["previous_email"],
  });

  await db.schema
    .createTable("reset_request")
    .addColumn("id", serialId)
    .$call(requiredText("identifier", "ip", "user_agent", "created_at"))
    // Taken by a worker (an instance that crashed leaves it to be taken again after a lease).
    .addColumn("claimed_until", "text")
    .execute();
}
