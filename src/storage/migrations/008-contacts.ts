import type { DialectName } from "../database.js";
import { type AnyDb, columnTypes, requiredText } from "./schema-kit.js";

/** The personal address book of each account (names and addresses; vCard import and export). */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const { bigserialId } = columnTypes(dialect);
  await db.schema
    .createTable("contact")
    .addColumn("id", bigserialId)
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    // The address is lower case: one entry per address in a book.
    .$call(requiredText("name", "address", "created_at", "updated_at"))
    .addUniqueConstraint("contact_account_address_unique", ["account_id", "address"])
    .execute();
}
