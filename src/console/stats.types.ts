/**
 * The administration dashboard's figures (`/console/admin`), as the stats service returns them to the
 * web layer: buckets of time and, per series, one value per bucket.
 */

/** The dashboard's periods: 24 hours by the hour, 7 and 30 days by the day. */
export const STATS_RANGES = ["24h", "7d", "30d"] as const;
export type StatsRange = (typeof STATS_RANGES)[number];

export function isStatsRange(value: string): value is StatsRange {
  return (STATS_RANGES as readonly string[]).includes(value);
}

/** The académie's time zone: days (and the hours shown) are counted in it. */
export const STATS_TIME_ZONE = "Europe/Paris";

/** Where a sign-in happens (the audit actor of login.service.ts and console.service.ts). */
export const SIGN_IN_DOORS = ["webmail", "assistance", "imap", "submission", "console"] as const;
export type SignInDoor = (typeof SIGN_IN_DOORS)[number];

export const STATS_SERIES = [
  ...SIGN_IN_DOORS.map((door) => `signin.success.${door}` as const),
  ...SIGN_IN_DOORS.map((door) => `signin.failure.${door}` as const),
  // Assistance à l'identification: identified by NUMEN, refused NUMEN, reset links asked for
  // (the external path), and journeys completed (a new password set through the assistance).
  "assistance.numen",
  "assistance.numen_failed",
  "assistance.link",
  "assistance.completed",
  // Throttles: started (a failure that set a block, the first refusal of a rate limit), and the
  // attempts refused while one held.
  "throttle.started",
  "throttle.refused",
  // Messages: received and refused by the SMTP reception (counters), sent by people (webmail and
  // SMTP submission, from the audit trail).
  "mail.received",
  "mail.refused",
  "mail.sent",
  // The outbound queue's depth: deliveries waiting (queued or being sent), the highest sample.
  "queue.depth",
] as const;
export type StatsSeries = (typeof STATS_SERIES)[number];

/** How a series' hours make a day: counts add up, the queue's depth keeps its highest sample. */
export function seriesAggregate(series: StatsSeries): "sum" | "max" {
  return series === "queue.depth" ? "max" : "sum";
}

export interface StatsBucket {
  /** The bucket's first instant, ISO-8601 UTC. */
  readonly start: string;
  /** The instant after the bucket (exclusive), ISO-8601 UTC. */
  readonly end: string;
  /** The académie's day the bucket belongs to (Europe/Paris), YYYY-MM-DD. */
  readonly day: string;
  /** The hour of day in Europe/Paris (0-23) of an hourly bucket; null for a day. */
  readonly hour: number | null;
  /** The bucket holding the dashboard's `now` (still filling). */
  readonly current: boolean;
}

export interface Dashboard {
  readonly range: StatsRange;
  readonly step: "hour" | "day";
  readonly timeZone: typeof STATS_TIME_ZONE;
  /** The dashboard's `now`, ISO-8601 UTC. */
  readonly generatedAt: string;
  /** Oldest first; the last one holds `now`. */
  readonly buckets: readonly StatsBucket[];
  /**
   * One value per bucket and series: a count (0 when nothing happened), or for `queue.depth` the
   * highest depth sampled in the bucket (null: no sample).
   */
  readonly values: Readonly<Record<StatsSeries, readonly (number | null)[]>>;
}
