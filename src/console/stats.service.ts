/**
 * The administration dashboard's figures: sign-ins per door (success, failure), Assistance journeys,
 * throttles, messages received, refused and sent, and the outbound queue's depth, over 24 hours (by
 * the hour), 7 or 30 days (by the académie's day, Europe/Paris).
 *
 * Where each figure comes from:
 * - the audit trail (sign-ins, Assistance, throttles, messages sent): rolled up once per closed hour
 *   into `stats_hourly` (`rollUp`, run by the periodic task and, when behind, by the dashboard); the
 *   hours since the last rollup are counted live from `audit_event`. A rolled-up hour is read from
 *   `stats_hourly` only, a later one from the audit trail only: nothing is counted twice when an
 *   hour closes. An hour is rolled up once it has been closed for SETTLE_MS (an event written in a
 *   transaction that commits a little after the hour still falls in it);
 * - counters the mail path increments (`count`, StatsRecorder): messages received and refused by
 *   the SMTP reception, per hour, added up in memory and written at most once per
 *   COUNTS_WRITE_DELAY_MS (a burst of messages costs one write a second, not one each), before
 *   any dashboard is computed and when the services close; never failing the caller;
 * - the outbound queue's depth, sampled by the periodic task (`maintain`, every 10 minutes): the
 *   hour keeps its highest sample.
 *
 * Hours are UTC hours (Europe/Paris differs from UTC by whole hours, so they are its hours too);
 * days are Europe/Paris days, of 23, 24 or 25 hours.
 */
import type { Kysely } from "kysely";
import type { AuditAction } from "../audit/audit-actions.js";
import type { CountedSeries, StatsRecorder } from "../mail/stats-recorder.js";
import type { Clock } from "../shared/clock.js";
import type { WarnLogger } from "../shared/logger.js";
import type { DialectName } from "../storage/database.js";
import type { Schema } from "../storage/schema.js";
import * as repo from "./stats.repository.js";
import {
  type Dashboard,
  type SignInDoor,
  STATS_SERIES,
  STATS_TIME_ZONE,
  type StatsBucket,
  type StatsRange,
  type StatsSeries,
  seriesAggregate,
} from "./stats.types.js";

export interface ConsoleStatsDeps {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  readonly clock: Clock;
  readonly logger: WarnLogger;
  /** Deliveries waiting in the outbound queue (queued or being sent). */
  readonly queueDepth: () => Promise<number>;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** How long after its end an hour is rolled up. */
export const SETTLE_MS = 5 * 60_000;
/** How far back the rollup starts on a database that has none (or an old one): the longest range and a margin. */
const HORIZON_MS = 32 * DAY_MS;
const ROLLUP = "audit";
/** How long the mail path's counts wait in memory before they are written (`count`). */
export const COUNTS_WRITE_DELAY_MS = 1_000;
/** How long hourly values are kept: the longest range (30 days) and a margin; older ones are pruned by `maintain`. */
export const KEEP_HOURLY_MS = 35 * DAY_MS;

/** The sign-in door of an audit actor (login.service.ts: `web:<application>`, `imap`, `smtp:submission`, `web:console`). */
const DOOR_OF_ACTOR: Readonly<Record<string, SignInDoor>> = {
  "web:webmail": "webmail",
  "web:account": "assistance",
  imap: "imap",
  "smtp:submission": "submission",
  "web:console": "console",
};

/** The actor of the Assistance's password changes (recovery.service.ts: NUMEN path and reset link). */
const ASSISTANCE_ACTOR = "web:assistance";

/**
 * The audit actions the dashboard counts, and the series each event counts in. `throttled`: the
 * event's details carry `throttledUntil` (this failure set a block); `reauth`: a password typed again
 * in a live session, which is not a sign-in.
 */
const AUDIT_SERIES: Readonly<
  Partial<Record<AuditAction, (e: repo.AuditHourCount) => readonly (StatsSeries | null)[]>>
> = {
  "login.succeeded": (e) => [signIn("success", e.actor)],
  "login.succeeded_must_change": (e) => [signIn("success", e.actor)],
  "login.failed": (e) => [e.reauth ? null : signIn("failure", e.actor), e.throttled ? "throttle.started" : null],
  "login.throttled": () => ["throttle.refused"],
  "recovery.numen_succeeded": () => ["assistance.numen"],
  "recovery.numen_succeeded_code_sent": () => ["assistance.numen"],
  "recovery.numen_failed": (e) => ["assistance.numen_failed", e.throttled ? "throttle.started" : null],
  "recovery.throttled": () => ["throttle.refused"],
  "recovery.link_requested": () => ["assistance.link"],
  "recovery.link_throttled": () => ["throttle.refused"],
  "password.changed": (e) => [e.actor === ASSISTANCE_ACTOR ? "assistance.completed" : null],
  "password.initial_replaced": (e) => [e.actor === ASSISTANCE_ACTOR ? "assistance.completed" : null],
  // Recorded at the first refusal of a window: a block that starts.
  "contacts.suggestions_throttled": () => ["throttle.started"],
  "smtp.harvesting_blocked": () => ["throttle.started"],
  "console.second_factor_throttled": () => ["throttle.refused"],
  "mail.sent": () => ["mail.sent"],
};
const AUDITED_ACTIONS = Object.keys(AUDIT_SERIES);

/** The series computed from the audit trail (the others are counters and samples). */
const FROM_AUDIT: ReadonlySet<string> = new Set<StatsSeries>([
  ...STATS_SERIES.filter((s) => s.startsWith("signin.") || s.startsWith("assistance.") || s.startsWith("throttle.")),
  "mail.sent",
]);
const KNOWN: ReadonlySet<string> = new Set(STATS_SERIES);

function signIn(outcome: "success" | "failure", actor: string): StatsSeries | null {
  const door = DOOR_OF_ACTOR[actor];
  return door ? `signin.${outcome}.${door}` : null;
}

const floorHour = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
const iso = (ms: number) => new Date(ms).toISOString();

const PARIS = new Intl.DateTimeFormat("en-CA", {
  timeZone: STATS_TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  hourCycle: "h23",
});

/** The académie's day (YYYY-MM-DD) and hour of day of an instant. */
function parisDayHour(ms: number): { day: string; hour: number } {
  const parts: Record<string, string> = {};
  for (const p of PARIS.formatToParts(ms)) parts[p.type] = p.value;
  return { day: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour) };
}

/** A YYYY-MM-DD day `n` days later (earlier when negative). */
function addDays(day: string, n: number): string {
  const [y = 0, m = 1, d = 1] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** The buckets of a range ending with the one that holds `now`, and the hours each covers. */
function bucketsOf(range: StatsRange, now: number): { buckets: StatsBucket[]; bucketOfHour: Map<string, number> } {
  const current = floorHour(now);
  const buckets: StatsBucket[] = [];
  const bucketOfHour = new Map<string, number>();
  if (range === "24h") {
    for (let i = 23; i >= 0; i--) {
      const start = current - i * HOUR_MS;
      const { day, hour } = parisDayHour(start);
      bucketOfHour.set(iso(start), buckets.length);
      buckets.push({ start: iso(start), end: iso(start + HOUR_MS), day, hour, current: i === 0 });
    }
    return { buckets, bucketOfHour };
  }
  const days = range === "7d" ? 7 : 30;
  const today = parisDayHour(now).day;
  const first = addDays(today, -(days - 1));
  // Back to the first day's first hour (days have 23 to 25 hours), then forward to the next midnight.
  let start = current - (days * 24 + 2) * HOUR_MS;
  while (parisDayHour(start).day < first) start += HOUR_MS;
  let end = current + HOUR_MS;
  while (parisDayHour(end).day === today) end += HOUR_MS;
  // Each day's first hour, then the buckets between them.
  const starts: { start: number; day: string }[] = [];
  for (let h = start; h < end; h += HOUR_MS) {
    const { day } = parisDayHour(h);
    if (starts.at(-1)?.day !== day) starts.push({ start: h, day });
    if (h <= current) bucketOfHour.set(iso(h), starts.length - 1);
  }
  starts.forEach(({ start: from, day }, i) => {
    const until = starts[i + 1]?.start ?? end;
    buckets.push({ start: iso(from), end: iso(until), day, hour: null, current: day === today });
  });
  return { buckets, bucketOfHour };
}

export class ConsoleStatsService implements StatsRecorder {
  /** Counts not written yet, by hour and series (`<hour> <series>`). */
  readonly #pending = new Map<string, number>();
  #writing: Promise<void> | null = null;
  /** The write of the pending counts, due COUNTS_WRITE_DELAY_MS after the first of them. */
  #due: NodeJS.Timeout | null = null;
  #rolling: Promise<string> | null = null;
  /** The dashboards being computed: a page and its six charts ask for the same one at once. */
  readonly #computing = new Map<StatsRange, Promise<Dashboard>>();

  constructor(private readonly deps: ConsoleStatsDeps) {}

  /**
   * Adds `n` to a counter of the current hour. Returns at once: the write happens behind, up to
   * COUNTS_WRITE_DELAY_MS later (counts arriving meanwhile are added up and written together), and
   * a failed write is logged, not thrown.
   */
  count(series: CountedSeries, n = 1): void {
    const key = `${iso(floorHour(this.deps.clock.now().getTime()))} ${series}`;
    this.#pending.set(key, (this.#pending.get(key) ?? 0) + n);
    this.#scheduleWrite();
  }

  /** The pending counts' write, COUNTS_WRITE_DELAY_MS from now unless one is under way or due. */
  #scheduleWrite(): void {
    if (this.#writing || this.#due || this.#pending.size === 0) return;
    // unref: a pending write never keeps the process alive; closing the services writes it (settled).
    this.#due = setTimeout(() => this.#writeNow(), COUNTS_WRITE_DELAY_MS).unref();
  }

  /** Resolves once the counts given so far are written (or their failure logged): at once, not when due. */
  async settled(): Promise<void> {
    // Each write takes every count pending when it starts (a failed one drops them): this ends.
    while (this.#writing || this.#pending.size > 0) {
      if (!this.#writing) this.#writeNow();
      await this.#writing;
    }
  }

  #writeNow(): void {
    if (this.#due) clearTimeout(this.#due);
    this.#due = null;
    this.#writing ??= this.#writePending();
  }

  /** Writes the counts pending now; those given meanwhile are due COUNTS_WRITE_DELAY_MS later. */
  async #writePending(): Promise<void> {
    // Counts are written from the next tick on, so that `#writing` is set before this ends.
    await Promise.resolve();
    const rows = [...this.#pending].map(([key, value]) => {
      const [hour = "", series = ""] = key.split(" ");
      return { hour, series, value };
    });
    this.#pending.clear();
    try {
      if (rows.length > 0) await repo.addToCounters(this.deps.db, rows);
    } catch (error) {
      this.deps.logger.warn({ err: error, counts: rows.length }, "the dashboard's counters could not be written");
    } finally {
      this.#writing = null;
      this.#scheduleWrite(); // the counts given meanwhile
    }
  }

  /**
   * The periodic task (with the purge of expired data): rolls up the audit hours that closed, and
   * samples the outbound queue's depth into the current hour (which keeps its highest sample), and
   * deletes the hourly values older than KEEP_HOURLY_MS (the dashboard shows at most 30 days).
   */
  async maintain(now: Date = this.deps.clock.now()): Promise<void> {
    await this.rollUp(now);
    await repo.deleteHourlyBefore(this.deps.db, iso(floorHour(now.getTime() - KEEP_HOURLY_MS)));
    const depth = await this.deps.queueDepth();
    await repo.keepHighest(this.deps.db, this.deps.dialect, {
      hour: iso(floorHour(now.getTime())),
      series: "queue.depth",
      value: depth,
    });
  }

  /**
   * Rolls up the audit trail's closed hours not rolled up yet (at most the last 32 days) into
   * `stats_hourly`; returns where the rollup stands (every hour before it is rolled up).
   */
  rollUp(now: Date = this.deps.clock.now()): Promise<string> {
    // One at a time per instance (the page and its charts ask together); instances agree anyway.
    this.#rolling ??= this.#rollUp(now.getTime()).finally(() => {
      this.#rolling = null;
    });
    return this.#rolling;
  }

  async #rollUp(now: number): Promise<string> {
    const stored = await repo.rollupUntil(this.deps.db, ROLLUP);
    const end = floorHour(now - SETTLE_MS);
    const start = Math.max(stored ? Date.parse(stored) : 0, floorHour(now) - HORIZON_MS);
    if (start >= end) return stored ?? iso(start);
    const counts = await repo.auditCountsByHour(this.deps.db, {
      from: iso(start),
      to: iso(end),
      actions: AUDITED_ACTIONS,
    });
    const sums = new Map<string, number>();
    for (const c of counts) {
      for (const series of AUDIT_SERIES[c.action as AuditAction]?.(c) ?? []) {
        if (series) sums.set(`${c.hour} ${series}`, (sums.get(`${c.hour} ${series}`) ?? 0) + c.count);
      }
    }
    const rows = [...sums].map(([key, value]) => {
      const [hour = "", series = ""] = key.split(" ");
      return { hour, series, value };
    });
    await repo.storeRollup(this.deps.db, ROLLUP, rows, iso(end));
    return iso(end);
  }

  /**
   * The dashboard of a range, as of `now` (by default the clock's): one value per bucket and series.
   * Without `now`, a request arriving while the same range is being computed gets that computation.
   */
  dashboard(range: StatsRange, now?: Date): Promise<Dashboard> {
    if (now) return this.#dashboard(range, now);
    const running = this.#computing.get(range);
    if (running) return running;
    const computed = this.#dashboard(range, this.deps.clock.now()).finally(() => this.#computing.delete(range));
    this.#computing.set(range, computed);
    return computed;
  }

  async #dashboard(range: StatsRange, now: Date): Promise<Dashboard> {
    // The counts still in memory first: a dashboard shows every message received so far.
    await this.settled();
    const nowMs = now.getTime();
    const { buckets, bucketOfHour } = bucketsOf(range, nowMs);
    const values = {} as Record<StatsSeries, (number | null)[]>;
    for (const series of STATS_SERIES) {
      values[series] = buckets.map(() => (seriesAggregate(series) === "max" ? null : 0));
    }
    const add = (hour: string, series: StatsSeries, value: number) => {
      const index = bucketOfHour.get(hour);
      if (index === undefined) return;
      const column = values[series];
      const before = column[index] ?? null;
      column[index] =
        seriesAggregate(series) === "max" ? Math.max(before ?? Number.NEGATIVE_INFINITY, value) : (before ?? 0) + value;
    };

    const until = await this.rollUp(now);
    const from = buckets[0]?.start ?? iso(floorHour(nowMs));
    const to = iso(floorHour(nowMs) + HOUR_MS);
    for (const row of await repo.hourlyValues(this.deps.db, { from, to })) {
      if (!KNOWN.has(row.series)) continue;
      // An audit series' hour after the rollup's mark (another instance's rollup) is counted live below.
      if (FROM_AUDIT.has(row.series) && row.hour >= until) continue;
      add(row.hour, row.series as StatsSeries, Number(row.value));
    }
    const liveFrom = iso(Math.max(Date.parse(until), Date.parse(from)));
    if (liveFrom < to) {
      const live = await repo.auditCountsByHour(this.deps.db, { from: liveFrom, to, actions: AUDITED_ACTIONS });
      for (const c of live) {
        for (const series of AUDIT_SERIES[c.action as AuditAction]?.(c) ?? []) {
          if (series) add(c.hour, series, c.count);
        }
      }
    }
    return {
      range,
      step: range === "24h" ? "hour" : "day",
      timeZone: STATS_TIME_ZONE,
      generatedAt: now.toISOString(),
      buckets,
      values,
    };
  }
}
