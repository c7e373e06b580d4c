import { type Kysely, sql } from "kysely";
import type { DialectName } from "../database.js";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then, not Schema
type AnyDb = Kysely<any>;

/** The personal address book of each account (names and addresses; vCard import and export). */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const id = dialect === "postgres" ? sql`bigserial primary key` : sql`integer primary key autoincrement`;
  await db.schema
    .createTable("contact")
    .addColumn("id", id)
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .addColumn("name", "text", (c) => c.notNull())
    /** Lower case: one entry per address in a book. */
    .addColumn("address", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addUniqueConstraint("contact_account_address_unique", ["account_id", "address"])
    .execute();
}
