import type { Kysely } from "kysely";
import type { DialectName } from "../database.js";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then, not Schema
type AnyDb = Kysely<any>;

/** The purge of finished outbound deliveries finds them by when they finished. */
export async function up(db: AnyDb, _dialect: DialectName): Promise<void> {
  await db.schema.createIndex("outbound_delivery_done_idx").on("outbound_delivery").column("done_at").execute();
}
