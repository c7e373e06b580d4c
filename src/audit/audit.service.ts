/**
 * The append-only audit trail (the table refuses UPDATE and DELETE). Other modules record their
 * events through this service, inside their own transaction when they pass one.
 */
import type { Clock } from "../shared/clock.js";
import { currentRequestId } from "../shared/request-context.js";
import {
  type AuditRow,
  type Executor,
  insertAuditRows,
  selectAuditRows,
  selectEntityRows,
} from "./audit.repository.js";
import type { AuditAction } from "./audit-actions.js";

export type { AuditRow };

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
  readonly #observers: Array<(event: AuditEventInput) => void> = [];

  constructor(
    private readonly db: Executor,
    private readonly clock: Clock,
  ) {}

  async record(event: AuditEventInput, ex: Executor = this.db): Promise<void> {
    await this.recordMany([event], ex);
  }

  async recordMany(events: readonly AuditEventInput[], ex: Executor = this.db): Promise<void> {
    if (events.length === 0) return;
    const at = this.clock.now();
    await insertAuditRows(
      ex,
      events.map((e) => this.rowOf(e, at)),
    );
  }

  /**
   * The row an event is written as, for a repository of another module that writes it in the same
   * statement as its own change (the session opened by a sign-in: session.repository.ts).
   */
  rowOf(e: AuditEventInput, at: Date = this.clock.now()): AuditRow {
    for (const observer of this.#observers) observer(e);
    // The web request that caused it (its id is in the request's log lines too).
    const requestId = currentRequestId();
    return {
      at: at.toISOString(),
      actor: e.actor,
      action: e.action,
      entity: e.entity,
      entity_id: e.entityId === undefined || e.entityId === null ? null : String(e.entityId),
      details: JSON.stringify(requestId === undefined ? (e.details ?? {}) : { ...e.details, requestId }),
    };
  }

  /**
   * Calls `observer` with every event as it is written (the monitoring counts sign-ins, Assistance
   * journeys and throttles from them). An observer must return at once and never throw.
   */
  observe(observer: (event: AuditEventInput) => void): void {
    this.#observers.push(observer);
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
