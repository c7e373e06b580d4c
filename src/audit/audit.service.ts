/**
 * The append-only audit trail (the table refuses UPDATE and DELETE). Other modules record their
 * events through this service, inside their own transaction when they pass one.
 */
import type { Clock } from "../shared/clock.js";
import {
  type AuditRow,
  type Executor,
  insertAuditRows,
  selectAuditRows,
  selectEntityRows,
} from "./audit.repository.js";
import type { AuditAction } from "./audit-actions.js";

export interface AuditEventInput {
  /** Who did it: `cli:import staff`, `web:login`, `user:<username>`, … */
  readonly actor: string;
  /** What happened, dotted: `person.created`, `account.disabled`, `login.failed`, … (audit-actions.ts) */
  readonly action: AuditAction;
  readonly entity: string;
  readonly entityId?: string | number | null;
  /** Never a password, token or NUMEN. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** What the trail can be filtered on (`sesame audit`, the console's « Journal d'audit »). */
export interface AuditFilter {
  readonly since?: Date;
  readonly until?: Date;
  readonly limit?: number;
  readonly action?: AuditAction;
  readonly actorPrefix?: string;
  readonly accountId?: number;
  readonly ip?: string;
}

export interface AuditEvent {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly entity: string;
  readonly entityId: string | null;
  readonly details: Record<string, unknown>;
}

function toEvent(r: AuditRow & { id: number }): AuditEvent {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    entity: r.entity,
    entityId: r.entity_id,
    details: JSON.parse(r.details) as Record<string, unknown>,
  };
}

export class AuditService {
  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
  ) {}

  async record(event: AuditEventInput, ex: Executor = this.db): Promise<void> {
    await this.recordMany([event], ex);
  }

  async recordMany(events: readonly AuditEventInput[], ex: Executor = this.db): Promise<void> {
    if (events.length === 0) return;
    const at = this.clock.now().toISOString();
    await insertAuditRows(
      ex,
      events.map((e) => ({
        at,
        actor: e.actor,
        action: e.action,
        entity: e.entity,
        entity_id: e.entityId === undefined || e.entityId === null ? null : String(e.entityId),
        details: JSON.stringify(e.details ?? {}),
      })),
    );
  }

  /** The latest events of some kinds about one record (e.g. an account's sign-ins), newest first. */
  async forEntity(
    entity: string,
    entityId: string | number,
    actions: readonly AuditAction[],
    limit = 10,
  ): Promise<AuditEvent[]> {
    const rows = await selectEntityRows(this.db, { entity, entityId: String(entityId), actions, limit });
    return rows.map(toEvent);
  }

  async list(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    const rows = await selectAuditRows(this.db, {
      ...(filter.since ? { since: filter.since.toISOString() } : {}),
      ...(filter.until ? { until: filter.until.toISOString() } : {}),
      ...(filter.action ? { action: filter.action } : {}),
      ...(filter.actorPrefix ? { actorPrefix: filter.actorPrefix } : {}),
      ...(filter.accountId !== undefined ? { entity: { kind: "account", id: String(filter.accountId) } } : {}),
      ...(filter.ip ? { ip: filter.ip } : {}),
      limit: filter.limit ?? 1000,
    });
    return rows.map(toEvent);
  }
}
