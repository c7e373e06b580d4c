/**
 * The dashboard's hourly values are pruned by the periodic task (`ConsoleStatsService.maintain`):
 * the hours older than the longest range (30 days) and its margin go, the others stay and the
 * 30-day dashboard still shows them — on SQLite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KEEP_HOURLY_MS } from "../../src/console/stats.service.js";
import type { Clock } from "../../src/shared/clock.js";
import { DIALECTS, openTestServices } from "../helpers/env.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const fixedClock = (at: string): Clock => ({ now: () => new Date(at) });

for (const dialect of DIALECTS) {
  describe(`dashboard pruning (${dialect})`, () => {
    it("deletes the hourly values older than 30 days and a margin, and keeps the newer ones", async () => {
      const now = "2026-03-10T09:20:00.000Z";
      const ctx = await openTestServices(dialect, {}, { clock: fixedClock(now) });
      try {
        const db = ctx.services.database.db;
        const nowMs = Date.parse(now);
        const hourOf = (ms: number) => new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString();
        const rows = [
          { hour: hourOf(nowMs - 90 * DAY_MS), series: "mail.received", value: 7 },
          { hour: hourOf(nowMs - KEEP_HOURLY_MS - 2 * HOUR_MS), series: "mail.received", value: 5 },
          { hour: hourOf(nowMs - KEEP_HOURLY_MS + 2 * HOUR_MS), series: "mail.received", value: 4 },
          { hour: hourOf(nowMs - 29 * DAY_MS), series: "mail.received", value: 3 },
          { hour: hourOf(nowMs - 2 * HOUR_MS), series: "mail.refused", value: 2 },
        ];
        await db.insertInto("stats_hourly").values(rows).execute();
        assert.ok(KEEP_HOURLY_MS > 30 * DAY_MS, "the margin is beyond the dashboard's longest range");

        await ctx.services.consoleStats.maintain();

        const left = await db.selectFrom("stats_hourly").select(["hour", "series", "value"]).orderBy("hour").execute();
        const hours = left.map((r) => r.hour);
        assert.ok(!hours.includes(rows[0]?.hour ?? ""), "90 days old: pruned");
        assert.ok(!hours.includes(rows[1]?.hour ?? ""), "just past the margin: pruned");
        for (const kept of rows.slice(2)) assert.ok(hours.includes(kept.hour), `${kept.hour} kept`);
        // The 30-day dashboard still sees what is within it.
        const month = await ctx.services.consoleStats.dashboard("30d");
        const received = month.values["mail.received"].reduce<number>((sum, v) => sum + (v ?? 0), 0);
        assert.equal(received, 3);
      } finally {
        await ctx.close();
      }
    });
  });
}
