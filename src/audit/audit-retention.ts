/**
 * Audit retention (SESAME_AUDIT_RETENTION_DAYS, CNIL guidance on access logs: 6 to 12 months): the
 * events older than the retention are deleted, the only deletion the trail allows, and the purge is
 * itself audited (`audit.purged`, with the cutoff and the count, one entry per batch written in the
 * batch's transaction). The service runs it daily
 * (services.ts, purgeExpired); operators may run it with `sesame audit purge`.
 *
 * Several instances may purge at once: each deletes what is left before the cutoff, in batches (a
 * batch is one short transaction, so the table is never locked for long), and a purge that deleted
 * nothing writes no event.
 */
import type { Clock } from "../shared/clock.js";
import type { DialectName } from "../storage/database.js";
import { type Executor, purgeAuditRowsBatch } from "./audit.repository.js";
import type { AuditService } from "./audit.service.js";

const DAY_MS = 24 * 60 * 60_000;
/** Events deleted per transaction. */
const PURGE_BATCH = 5_000;

export interface AuditPurgeResult {
  /** Events before this time were deleted (ISO). */
  readonly cutoff: string;
  readonly count: number;
}

export class AuditRetention {
  #lastRun: number | undefined;

  constructor(
    private readonly opts: {
      readonly db: Executor;
      readonly dialect: DialectName;
      readonly clock: Clock;
      readonly audit: AuditService;
      readonly retentionDays: number;
      readonly batch?: number;
    },
  ) {}

  /** Deletes the events older than the retention; audited when some were deleted. */
  async purge(actor: string): Promise<AuditPurgeResult> {
    const { db, dialect, clock, audit, retentionDays } = this.opts;
    const batch = this.opts.batch ?? PURGE_BATCH;
    const cutoff = new Date(clock.now().getTime() - retentionDays * DAY_MS).toISOString();
    let count = 0;
    for (;;) {
      // Each batch's deletion and its own `audit.purged` entry commit together: a crash between
      // two batches leaves no deletion unrecorded.
      const deleted = await purgeAuditRowsBatch(db, dialect, cutoff, batch, async (tx, n) => {
        if (n === 0) return;
        await audit.record(
          { actor, action: "audit.purged", entity: "audit_event", details: { cutoff, count: n, retentionDays } },
          tx,
        );
      });
      count += deleted;
      if (deleted < batch) break;
    }
    return { cutoff, count };
  }

  /** The daily purge: runs when this process has not purged for a day (or ever). */
  async purgeIfDue(): Promise<AuditPurgeResult | null> {
    const now = this.opts.clock.now().getTime();
    if (this.#lastRun !== undefined && now - this.#lastRun < DAY_MS) return null;
    this.#lastRun = now;
    return this.purge("service:audit retention");
  }
}
