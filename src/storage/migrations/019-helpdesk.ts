import type { DialectName } from "../database.js";
import type { AnyDb } from "./schema-kit.js";

/**
 * The helpdesk's account states (issue 16, console `assistance`): a temporary password's end (24 h,
 * set by an agent; null for any other password) and « Compte compromis » (sign-in refused at every
 * door until a new password is set through the Assistance or a temporary password).
 */
export async function up(db: AnyDb, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable("account").addColumn("password_expires_at", "text").execute();
  await db.schema.alterTable("account").addColumn("compromised_at", "text").execute();
}
