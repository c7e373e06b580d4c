/**
 * The dashboard's storage (migration 017): hourly values per series in `stats_hourly`, how far the
 * audit trail is rolled up in `stats_rollup`, and the audit trail's counts per hour (read only: the
 * trail is append-only, and these aggregates never leave this module as rows).
 */
import { type Kysely, sql, type Transaction } from "kysely";
import type { DialectName } from "../storage/database.js";
import type { Schema } from "../storage/schema.js";

type Executor = Kysely<Schema> | Transaction<Schema>;

/** One value of one series in one hour (`hour`: the hour's start, ISO-8601 UTC). */
export interface HourlyValue {
  readonly hour: string;
  readonly series: string;
  readonly value: number;
}

/** The audit events of one hour of one kind: action, actor and what their details say. */
export interface AuditHourCount {
  /** The hour's start, ISO-8601 UTC. */
  readonly hour: string;
  readonly action: string;
  readonly actor: string;
  /** The event set a block (its details carry `throttledUntil`). */
  readonly throttled: boolean;
  /** The event is a re-authentication in a live session (its details carry `"reauth":true`). */
  readonly reauth: boolean;
  readonly count: number;
}

// Under PostgreSQL's limit of 65,535 parameters, and SQLite's of 32,766 (3 per row).
const BATCH = 1000;

/** Adds to counters (`value = value + n`); at most one row per hour and series in `rows`. */
export async function addToCounters(ex: Executor, rows: readonly HourlyValue[]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) {
    await ex
      .insertInto("stats_hourly")
      .values(rows.slice(i, i + BATCH).map((r) => ({ hour: r.hour, series: r.series, value: r.value })))
      .onConflict((oc) =>
        oc.columns(["hour", "series"]).doUpdateSet({ value: sql<number>`stats_hourly.value + excluded.value` }),
      )
      .execute();
  }
}

/** Keeps the highest of the stored value and this sample. */
export async function keepHighest(ex: Executor, dialect: DialectName, row: HourlyValue): Promise<void> {
  const highest = dialect === "postgres" ? sql`greatest` : sql`max`;
  await ex
    .insertInto("stats_hourly")
    .values({ hour: row.hour, series: row.series, value: row.value })
    .onConflict((oc) =>
      oc
        .columns(["hour", "series"])
        .doUpdateSet({ value: sql<number>`${highest}(stats_hourly.value, excluded.value)` }),
    )
    .execute();
}

/** Where the rollup `name` stands: every hour before it is rolled up (null: nothing yet). */
export async function rollupUntil(ex: Executor, name: string): Promise<string | null> {
  const row = await ex.selectFrom("stats_rollup").select("until").where("name", "=", name).executeTakeFirst();
  return row?.until ?? null;
}

/**
 * Stores rolled-up hours (`value = excluded.value`: recomputing an hour gives the same figure, so two
 * instances rolling up at once agree) and moves the rollup's mark forward (never back), together.
 */
export async function storeRollup(
  db: Kysely<Schema>,
  name: string,
  rows: readonly HourlyValue[],
  until: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += BATCH) {
      await trx
        .insertInto("stats_hourly")
        .values(rows.slice(i, i + BATCH).map((r) => ({ hour: r.hour, series: r.series, value: r.value })))
        .onConflict((oc) => oc.columns(["hour", "series"]).doUpdateSet({ value: sql<number>`excluded.value` }))
        .execute();
    }
    await trx
      .insertInto("stats_rollup")
      .values({ name, until })
      .onConflict((oc) =>
        oc.column("name").doUpdateSet({
          until: sql<string>`case when excluded.until > stats_rollup.until then excluded.until else stats_rollup.until end`,
        }),
      )
      .execute();
  });
}

/** Deletes the hourly values of the hours before `before` (ISO); gives how many rows went. */
export async function deleteHourlyBefore(ex: Executor, before: string): Promise<number> {
  const result = await ex.deleteFrom("stats_hourly").where("hour", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The stored values of the hours in [from, to). */
export async function hourlyValues(ex: Executor, range: { from: string; to: string }): Promise<HourlyValue[]> {
  return ex
    .selectFrom("stats_hourly")
    .select(["hour", "series", "value"])
    .where("hour", ">=", range.from)
    .where("hour", "<", range.to)
    .execute();
}

/**
 * The audit events of some actions in [from, to), counted per hour, action, actor and what their
 * details say (through `audit_event`'s index on `at`). Times are ISO-8601 UTC text of one length, so
 * the hour is the text's first 13 characters and the range compares as text.
 */
export async function auditCountsByHour(
  ex: Executor,
  range: { from: string; to: string; actions: readonly string[] },
): Promise<AuditHourCount[]> {
  if (range.actions.length === 0) return [];
  const rows = await ex
    .selectFrom("audit_event")
    .select([
      sql<string>`substr(at, 1, 13)`.as("hour"),
      "action",
      "actor",
      sql<number>`case when details like '%"throttledUntil"%' then 1 else 0 end`.as("throttled"),
      sql<number>`case when details like '%"reauth":true%' then 1 else 0 end`.as("reauth"),
      sql<number>`count(*)`.as("n"),
    ])
    .where("at", ">=", range.from)
    .where("at", "<", range.to)
    .where("action", "in", [...range.actions])
    // By position: PostgreSQL would not match the select's expressions written twice.
    .groupBy([sql`1`, sql`2`, sql`3`, sql`4`, sql`5`])
    .execute();
  return rows.map((r) => ({
    hour: `${r.hour}:00:00.000Z`,
    action: r.action,
    actor: r.actor,
    throttled: Number(r.throttled) === 1,
    reauth: Number(r.reauth) === 1,
    count: Number(r.n),
  }));
}
