/**
 * What the migrations share: the column types that differ between SQLite and PostgreSQL, the
 * dominant `text not null` column, and plain indexes. Migrations are history: anything changed here
 * changes the schema that every past migration produces, so these must keep emitting the same SQL.
 */
import { type CreateTableBuilder, type Kysely, sql } from "kysely";
import type { DialectName } from "../database.js";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then, not Schema
export type AnyDb = Kysely<any>;

/** The column types of a dialect (on SQLite both primary keys are the 64-bit rowid). */
export function columnTypes(dialect: DialectName) {
  const pg = dialect === "postgres";
  return {
    /** Auto-increment primary key, 32-bit on PostgreSQL (the tables of 001, 004 and 010). */
    serialId: pg ? sql`serial primary key` : sql`integer primary key autoincrement`,
    /** Auto-increment primary key, 64-bit on PostgreSQL (the tables that grow with traffic). */
    bigserialId: pg ? sql`bigserial primary key` : sql`integer primary key autoincrement`,
    /** A 64-bit integer, e.g. a reference to a `bigserialId`. */
    big: pg ? "bigint" : "integer",
    bytes: pg ? sql`bytea` : sql`blob`,
  } as const;
}

/**
 * Adds `text not null` columns in the order given (names, ISO-8601 times and the like: most of the
 * schema), for `createTable(…).$call(requiredText(…))`.
 */
export function requiredText<N extends string>(...names: readonly N[]) {
  return <TB extends string, C extends string>(table: CreateTableBuilder<TB, C>): CreateTableBuilder<TB, C | N> =>
    names.reduce<CreateTableBuilder<TB, C | N>>((t, name) => t.addColumn(name, "text", (c) => c.notNull()), table);
}

/** Creates plain indexes on a table, in the order given: index name → its columns. */
export async function createIndexes(
  db: AnyDb,
  table: string,
  indexes: Readonly<Record<string, readonly string[]>>,
): Promise<void> {
  for (const [name, columns] of Object.entries(indexes)) {
    await db.schema
      .createIndex(name)
      .on(table)
      .columns([...columns])
      .execute();
  }
}
