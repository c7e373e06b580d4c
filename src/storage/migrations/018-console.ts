import type { DialectName } from "../database.js";
import { type AnyDb, columnTypes, createIndexes, requiredText } from "./schema-kit.js";

/**
 * The console (`/console`): the roles an academic account holds (`assistance`, `admin`, `securite`),
 * its TOTP second factor (the secret sealed with the server's secret, the last time step accepted so
 * a code is never accepted twice) and its single-use recovery codes (hashed).
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const { serialId } = columnTypes(dialect);
  await db.schema
    .createTable("console_role")
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .$call(requiredText("role", "granted_at", "granted_by"))
    .addPrimaryKeyConstraint("console_role_pk", ["account_id", "role"])
    .execute();
  await db.schema
    .createTable("console_totp")
    .addColumn("account_id", "integer", (c) => c.primaryKey().references("account.id"))
    .$call(requiredText("secret_sealed", "created_at"))
    // Null until the first code is typed (enrolment not finished).
    .addColumn("confirmed_at", "text")
    .addColumn("last_step", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable("console_recovery_code")
    .addColumn("id", serialId)
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .$call(requiredText("code_hash", "created_at"))
    .addColumn("used_at", "text")
    .execute();
  await createIndexes(db, "console_recovery_code", { console_recovery_code_account_idx: ["account_id", "code_hash"] });
}
