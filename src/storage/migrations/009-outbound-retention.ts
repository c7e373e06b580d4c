import type { DialectName } from "../database.js";
import { type AnyDb, createIndexes } from "./schema-kit.js";

/** The purge of finished outbound deliveries finds them by when they finished. */
export async function up(db: AnyDb, _dialect: DialectName): Promise<void> {
  await createIndexes(db, "outbound_delivery", { outbound_delivery_done_idx: ["done_at"] });
}
