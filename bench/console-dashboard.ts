/**
 * The administration dashboard's measure (issue 16 §6: p95 ≤ 200 ms over 30 days of 1 million audit
 * rows), called by bench/console.bench.ts:
 *
 * - a fresh database (a temporary SQLite file, or a schema of its own on the PostgreSQL of
 *   `databaseUrl`, dropped at the end), migrated;
 * - 1,000,000 audit rows over the 30 days before now, inserted in bulk by the database itself (a
 *   realistic mix: sign-ins at every door with their failures and throttles, messages sent, the
 *   Assistance, imports), and the mail path's counters and queue samples for every hour;
 * - the rollup built as production builds it (`consoleStats.maintain()`, the periodic task), timed;
 * - then, `runs` times after 5 warm-ups: `dashboard("30d")`, the dashboard's section (HTML) and its
 *   six charts rendered to SVG, i.e. everything the page and its images compute; p50 and p95.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { h } from "preact";
import { render } from "preact-render-to-string";
import { loadConfig } from "../src/config/config.js";
import { openServices, type Services } from "../src/services.js";
import { CHART_NAMES, CHARTS, chartSvg } from "../src/web/console-charts.js";
import { DashboardSection } from "../src/web/views/console-dashboard.view.js";
import { percentile, progress, round, SECRET } from "./lib.js";

export interface DashboardMeasure {
  readonly dashboardP50Ms: number;
  readonly dashboardP95Ms: number;
  /** `dashboard("30d")` alone. */
  readonly dashboardQueryP50Ms: number;
  readonly dashboardQueryP95Ms: number;
  /** The first rollup of the 30 days (once, when the feature starts on a full audit trail). */
  readonly dashboardRollupMs: number;
  readonly dashboardAuditRows: number;
  readonly dashboardSeedMs: number;
}

const DAY_S = 86_400;

/**
 * One audit row of the mix for the row number `i` (an SQL expression over `i`, the same on both
 * dialects): `r`, a well-spread 0-999 value of `i`, picks the action; `i % 20` the door.
 */
function auditSelect(i: string, at: string): string {
  const r = `((${i} * 7919) % 1000)`;
  const door = `(${i} % 20)`;
  const signInActor = `case when ${door} < 10 then 'web:webmail' when ${door} < 15 then 'imap' when ${door} < 18 then 'smtp:submission' when ${door} < 19 then 'web:account' else 'web:console' end`;
  const ua = `'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0'`;
  const who = `'{"username":"prenom.nom' || (${i} % 5000) || '","ip":"10.' || (${i} % 200) || '.' || (${i} % 250) || '.7","userAgent":' || '"' || ${ua} || '"'`;
  const action = `case
      when ${r} < 520 then 'login.succeeded'
      when ${r} < 530 then 'login.succeeded_must_change'
      when ${r} < 640 then 'login.failed'
      when ${r} < 660 then 'login.throttled'
      when ${r} < 800 then 'mail.sent'
      when ${r} < 850 then 'logout'
      when ${r} < 870 then 'recovery.numen_succeeded'
      when ${r} < 880 then 'recovery.numen_failed'
      when ${r} < 885 then 'recovery.throttled'
      when ${r} < 895 then 'recovery.link_requested'
      when ${r} < 900 then 'recovery.link_sent'
      when ${r} < 905 then 'password.changed'
      when ${r} < 950 then 'account.session_closed'
      else 'person.updated' end`;
  const actor = `case
      when ${r} < 660 then ${signInActor}
      when ${r} < 800 then (case when ${door} < 14 then 'web:send' else 'smtp:submission' end)
      when ${r} < 850 then 'web:webmail'
      when ${r} < 905 then 'web:assistance'
      when ${r} < 950 then 'web:webmail'
      else 'cli:import staff' end`;
  const details = `case
      when ${r} >= 630 and ${r} < 640 then ${who} || ',"throttledUntil":"2026-01-01T00:00:00.000Z"}'
      when ${r} >= 875 and ${r} < 880 then ${who} || ',"throttledUntil":"2026-01-01T00:00:00.000Z"}'
      when ${r} >= 660 and ${r} < 800 then '{"recipients":3,"local":2,"external":1,"sizeBytes":48213,"ip":"10.1.2.3"}'
      when ${r} >= 950 then '{"changed":["uai","categorie"]}'
      else ${who} || '}' end`;
  const entity = `case when ${r} < 950 then 'account' else 'person' end`;
  return `select ${at}, ${actor}, ${action}, ${entity}, cast(${i} % 50000 as text), ${details}`;
}

/** `rows` audit rows spread evenly over the 30 days before `now`, inserted by the database. */
async function seedAudit(services: Services, rows: number, now: Date): Promise<void> {
  const db = services.database.db;
  const startS = now.getTime() / 1000 - 30 * DAY_S;
  const stepS = (30 * DAY_S) / rows;
  const chunk = 100_000;
  for (let from = 0; from < rows; from += chunk) {
    const to = Math.min(rows, from + chunk) - 1;
    if (services.database.dialect === "postgres") {
      const at = `to_char(to_timestamp(${startS} + i * ${stepS}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
      await sql
        .raw(
          `insert into audit_event (at, actor, action, entity, entity_id, details) ${auditSelect("i", at)} from generate_series(${from}::bigint, ${to}::bigint) as i`,
        )
        .execute(db);
    } else {
      const at = `strftime('%Y-%m-%dT%H:%M:%fZ', ${startS} + i * ${stepS}, 'unixepoch')`;
      await sql
        .raw(
          `insert into audit_event (at, actor, action, entity, entity_id, details) with recursive seq(i) as (select ${from} union all select i + 1 from seq where i < ${to}) ${auditSelect("i", at)} from seq`,
        )
        .execute(db);
    }
    progress(`audit rows: ${(to + 1).toLocaleString("en")} of ${rows.toLocaleString("en")}`);
  }
}

/** The mail path's counters and the queue's samples for every hour of the 30 days. */
async function seedCounters(services: Services, now: Date): Promise<void> {
  const hourMs = 3_600_000;
  const last = Math.floor(now.getTime() / hourMs) * hourMs;
  const rows: { hour: string; series: string; value: number }[] = [];
  for (let h = last - 30 * 24 * hourMs; h <= last; h += hourMs) {
    const hour = new Date(h).toISOString();
    const k = h / hourMs;
    rows.push({ hour, series: "mail.received", value: 400 + (k % 7) * 90 });
    rows.push({ hour, series: "mail.refused", value: 20 + (k % 5) * 6 });
    rows.push({ hour, series: "queue.depth", value: k % 11 });
  }
  for (let i = 0; i < rows.length; i += 1000) {
    await services.database.db
      .insertInto("stats_hourly")
      .values(rows.slice(i, i + 1000))
      .execute();
  }
}

/** Opens services on a fresh database: a temporary SQLite file, or a schema of its own on PostgreSQL. */
async function freshServices(databaseUrl?: string): Promise<{ services: Services; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), "sesame-bench-dashboard-"));
  const postgres = databaseUrl?.startsWith("postgres") ? databaseUrl : undefined;
  const schema = postgres ? `bench_${randomBytes(6).toString("hex")}` : undefined;
  const onPostgres = async (statement: string) => {
    if (!postgres) return;
    const client = new pg.Client({ connectionString: postgres });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  const cleanUp = async () => {
    try {
      await onPostgres(`drop schema if exists ${schema} cascade`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const config = loadConfig({
      SESAME_DATA_DIR: path.join(dir, "data"),
      SESAME_SECRET: SECRET,
      SESAME_LOG_LEVEL: "silent",
      ...(postgres ? { SESAME_DATABASE_URL: postgres } : {}),
    });
    await onPostgres(`create schema ${schema}`);
    const services = await openServices(config, schema ? { database: { searchPath: schema } } : {});
    return {
      services,
      close: async () => {
        try {
          await services.close();
        } finally {
          await cleanUp();
        }
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

export async function measureDashboard(
  options: { databaseUrl?: string; auditRows?: number; runs?: number } = {},
): Promise<DashboardMeasure> {
  const auditRows = options.auditRows ?? 1_000_000;
  const runs = options.runs ?? 100;
  const { services, close } = await freshServices(options.databaseUrl);
  try {
    const stats = services.consoleStats;
    const now = new Date();
    const seedStart = performance.now();
    await seedAudit(services, auditRows, now);
    await seedCounters(services, now);
    if (services.database.dialect === "postgres") await sql`analyze`.execute(services.database.db);
    const seedMs = performance.now() - seedStart;

    progress("first rollup of the 30 days (the periodic task)");
    const rollupStart = performance.now();
    await stats.maintain();
    const rollupMs = performance.now() - rollupStart;

    const page = async () => {
      const t0 = performance.now();
      const dashboard = await stats.dashboard("30d");
      const t1 = performance.now();
      render(h(DashboardSection, { dashboard, range: "30d" }));
      for (const name of CHART_NAMES) await chartSvg(CHARTS[name], dashboard, "clair");
      return { total: performance.now() - t0, query: t1 - t0 };
    };
    for (let i = 0; i < 5; i++) await page();
    const totals: number[] = [];
    const queries: number[] = [];
    for (let i = 0; i < runs; i++) {
      const { total, query } = await page();
      totals.push(total);
      queries.push(query);
    }
    totals.sort((a, b) => a - b);
    queries.sort((a, b) => a - b);
    return {
      dashboardP50Ms: round(percentile(totals, 50)),
      dashboardP95Ms: round(percentile(totals, 95)),
      dashboardQueryP50Ms: round(percentile(queries, 50)),
      dashboardQueryP95Ms: round(percentile(queries, 95)),
      dashboardRollupMs: Math.round(rollupMs),
      dashboardAuditRows: auditRows,
      dashboardSeedMs: Math.round(seedMs),
    };
  } finally {
    await close();
  }
}
