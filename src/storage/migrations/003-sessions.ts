import type { Kysely } from "kysely";
import type { DialectName } from "../database.js";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then, not Schema
type AnyDb = Kysely<any>;

/** Server-side sessions. */
export async function up(_db: AnyDb, _dialect: DialectName): Promise<void> {}
