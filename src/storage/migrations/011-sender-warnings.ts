import type { DialectName } from "../database.js";
import type { AnyDb } from "./schema-kit.js";

/**
 * What the reception found about a message's sender, shown by the list and the reading view:
 * the warnings (`lookalike,outside,…`, comma-separated, "" for none) and the domain a look-alike
 * imitates. Messages stored before have none.
 */
export async function up(db: AnyDb, _dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable("mail_message")
    .addColumn("warnings", "text", (c) => c.notNull().defaultTo(""))
    .execute();
  await db.schema.alterTable("mail_message").addColumn("imitates", "text").execute();
}
