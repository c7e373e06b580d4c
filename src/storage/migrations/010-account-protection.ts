import { type Kysely, sql } from "kysely";
import type { DialectName } from "../database.js";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then, not Schema
type AnyDb = Kysely<any>;

function idColumn(dialect: DialectName) {
  return dialect === "postgres" ? sql`serial primary key` : sql`integer primary key autoincrement`;
}

/**
 * What a stolen session must not buy: the time of a session's last re-authentication (the password
 * typed again), the history of recovery-address changes (the previous address keeps receiving reset
 * links and notices for 7 days, and can cancel the change), and the external reset requests, recorded
 * at once and worked on after the answer (so that the answer takes the same time either way).
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  await db.schema.alterTable("session").addColumn("reauth_at", "text").execute();

  await db.schema
    .createTable("recovery_email_change")
    .addColumn("id", idColumn(dialect))
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .addColumn("previous_email", "text")
    .addColumn("new_email", "text")
    .addColumn("changed_at", "text", (c) => c.notNull())
    // SHA-256 of the token of the cancel link sent to the previous address (null: nothing to cancel).
    .addColumn("cancel_hash", "text", (c) => c.unique())
    .addColumn("cancelled_at", "text")
    .execute();
  await db.schema
    .createIndex("recovery_email_change_account_idx")
    .on("recovery_email_change")
    .columns(["account_id", "changed_at"])
    .execute();
  await db.schema
    .createIndex("recovery_email_change_previous_idx")
    .on("recovery_email_change")
    .column("previous_email")
    .execute();

  await db.schema
    .createTable("reset_request")
    .addColumn("id", idColumn(dialect))
    .addColumn("identifier", "text", (c) => c.notNull())
    .addColumn("ip", "text", (c) => c.notNull())
    .addColumn("user_agent", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    // Taken by a worker (an instance that crashed leaves it to be taken again after a lease).
    .addColumn("claimed_until", "text")
    .execute();
}
