import { type Kysely, type Selectable, sql } from "kysely";
import type { DialectName } from "../storage/database.js";
import { likePrefix } from "../storage/like.js";
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

export interface AuditRowFilter {
  readonly since?: string;
  /** Before this time (exclusive). */
  readonly until?: string;
  readonly limit: number;
  readonly action?: string;
  /** Actors starting with this (`web:console`, `cli:`…). */
  readonly actorPrefix?: string;
  /** Events about this record (e.g. `account` and its id). */
  readonly entity?: { readonly kind: string; readonly id: string };
  /** Events whose details name this client address (`"ip":"…"`). */
  readonly ip?: string;
}

export async function selectAuditRows(ex: Executor, filter: AuditRowFilter): Promise<StoredAuditRow[]> {
  let q = ex.selectFrom("audit_event").selectAll();
  if (filter.since) q = q.where("at", ">=", filter.since);
  if (filter.until) q = q.where("at", "<", filter.until);
  if (filter.action) q = q.where("action", "=", filter.action);
  if (filter.actorPrefix) {
    const pattern = likePrefix(filter.actorPrefix);
    q = q.where(sql<boolean>`actor like ${pattern} escape '\\'`);
  }
  if (filter.entity) q = q.where("entity", "=", filter.entity.kind).where("entity_id", "=", filter.entity.id);
  if (filter.ip) {
    // The details are JSON text: the address as JSON writes it, wildcards escaped.
    const needle = `%${JSON.stringify({ ip: filter.ip })
      .slice(1, -1)
      .replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where(sql<boolean>`details like ${needle} escape '\\'`);
  }
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

/**
 * The retention purge: deletes at most `maxRows` events before `before` (ISO time), oldest first,
 * through the one path the append-only triggers let through (migrations/021-audit-retention.ts),
 * and returns how many went. Several instances purging at once each delete what is left. `within`
 * runs in the same transaction (the batch's own audit entry: no deletion without its record).
 */
export async function purgeAuditRowsBatch(
  ex: Executor,
  dialect: DialectName,
  before: string,
  maxRows: number,
  within: (tx: Executor, deleted: number) => Promise<void>,
): Promise<number> {
  return ex.transaction().execute(async (tx) => {
    let deleted: number;
    if (dialect === "postgres") {
      const { rows } = await sql<{
        purged: number;
      }>`select audit_purge(${before}::timestamptz, ${maxRows}) as purged`.execute(tx);
      deleted = Number(rows[0]?.purged ?? 0);
    } else {
      await sql`insert into audit_purge_guard (purging) values (1)`.execute(tx);
      const result = await sql`delete from audit_event where id in
        (select id from audit_event where at < ${before} order by id limit ${maxRows})`.execute(tx);
      await sql`delete from audit_purge_guard`.execute(tx);
      deleted = Number(result.numAffectedRows ?? 0);
    }
    await within(tx, deleted);
    return deleted;
  });
}
