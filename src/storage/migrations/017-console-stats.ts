import type { DialectName } from "../database.js";
import { type AnyDb, columnTypes } from "./schema-kit.js";

/**
 * The administration dashboard's figures (src/console/stats.service.ts), one row per UTC hour and
 * series:
 * - counters the mail path increments (`value = value + n`: messages received and refused at the
 *   SMTP reception), and the outbound queue's depth sampled by the periodic task (the hour's highest);
 * - the audit trail's series (sign-ins per door, Assistance journeys, throttles, messages sent),
 *   computed once per closed hour from `audit_event` and stored here: the dashboard then reads at most
 *   720 rows per series for 30 days instead of aggregating a million audit rows at each view.
 *
 * `stats_rollup` keeps how far the audit trail has been rolled up: every hour before `until` is in
 * `stats_hourly`, everything from `until` on is counted live from `audit_event` (by its index on `at`).
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const { big } = columnTypes(dialect);
  await db.schema
    .createTable("stats_hourly")
    // The hour's start, ISO-8601 UTC (`2026-01-15T08:00:00.000Z`), like every time of the schema.
    .addColumn("hour", "text", (c) => c.notNull())
    .addColumn("series", "text", (c) => c.notNull())
    .addColumn("value", big, (c) => c.notNull())
    .addPrimaryKeyConstraint("stats_hourly_pk", ["hour", "series"])
    .execute();
  await db.schema
    .createTable("stats_rollup")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("until", "text", (c) => c.notNull())
    .execute();
}
