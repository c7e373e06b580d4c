import type { Kysely, Selectable } from "kysely";
import type { AuditEventTable, Schema } from "../storage/schema.js";

export type Executor = Kysely<Schema>;

/** An audit event as written (the database numbers it). */
export type AuditRow = Omit<AuditEventTable, "id">;
/** An audit event as read back. */
type StoredAuditRow = Selectable<AuditEventTable>;

const BATCH = 500;

export async function insertAuditRows(ex: Executor, rows: readonly AuditRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) {
    await ex
      .insertInto("audit_event")
      .values(rows.slice(i, i + BATCH))
      .execute();
  }
}

export async function selectAuditRows(
  ex: Executor,
  filter: { since?: string; limit: number; action?: string },
): Promise<StoredAuditRow[]> {
  let q = ex.selectFrom("audit_event").selectAll();
  if (filter.since) q = q.where("at", ">=", filter.since);
  if (filter.action) q = q.where("action", "=", filter.action);
  return q.orderBy("at", "desc").orderBy("id", "desc").limit(filter.limit).execute();
}

export async function selectEntityRows(
  ex: Executor,
  filter: { entity: string; entityId: string; actions: readonly string[]; limit: number },
): Promise<StoredAuditRow[]> {
  return ex
    .selectFrom("audit_event")
    .selectAll()
    .where("entity", "=", filter.entity)
    .where("entity_id", "=", filter.entityId)
    .where("action", "in", [...filter.actions])
    .orderBy("id", "desc")
    .limit(filter.limit)
    .execute();
}
