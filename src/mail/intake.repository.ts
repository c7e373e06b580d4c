/**
 * The only SQL of the reception's intake (intake.ts, migration 023): messages answered 250 and not
 * stored yet. A row is claimed by deleting it inside the transaction that stores its message
 * (`takeIntake`): on PostgreSQL a second instance storing the same row waits for the first's row
 * lock, then deletes nothing and gives up; on SQLite there is one writer.
 */
import { sql } from "kysely";
import { compiledOnce } from "../storage/compiled-query.js";
import type { Executor } from "./mail.repository.js";

export interface NewIntake {
  readonly raw: Buffer;
  /** JSON of the recipients. */
  readonly recipients: string;
  /** JSON of the delivery's DeliveryMeta. */
  readonly meta: string;
  readonly receivedAt: string;
}

export interface IntakeRow {
  readonly id: number;
  readonly raw: Buffer;
  readonly recipients: string;
  readonly meta: string;
  readonly receivedAt: string;
  readonly attempts: number;
}

/** The reception's insert, built and compiled once (it runs before each 250 of a burst: bench:smtp). */
const intakeInsert = compiledOnce(
  (ex: Executor, row: { raw: Buffer; recipients: string; meta: string; receivedAt: string }) =>
    ex
      .insertInto("mail_intake")
      .values({
        raw: row.raw,
        recipients: row.recipients,
        meta: row.meta,
        received_at: row.receivedAt,
        next_attempt_at: row.receivedAt,
      })
      .returning("id"),
  ["raw", "recipients", "meta", "receivedAt"],
);

export async function insertIntake(ex: Executor, row: NewIntake): Promise<number> {
  const { raw, recipients, meta, receivedAt } = row;
  const inserted = (await intakeInsert(ex, { raw, recipients, meta, receivedAt })).rows[0];
  if (!inserted) throw new Error("the intake's insert returned no row");
  return inserted.id;
}

/**
 * The `limit` rows due longest ago (rows arrive due at once: the oldest first) that are not among
 * `busy` (rows this instance is storing or about to), oldest first. Their ids are found on the index
 * alone, then the rows read by their keys.
 */
export async function nextDueIntakes(
  ex: Executor,
  now: string,
  busy: readonly number[],
  limit: number,
): Promise<IntakeRow[]> {
  let query = ex.selectFrom("mail_intake").select("id").where("next_attempt_at", "<=", now);
  if (busy.length > 0) query = query.where("id", "not in", busy);
  const due = await query.orderBy("next_attempt_at").orderBy("id").limit(limit).execute();
  if (due.length === 0) return [];
  const rows = await ex
    .selectFrom("mail_intake")
    .select(["id", "raw", "recipients", "meta", "received_at", "attempts"])
    .where(
      "id",
      "in",
      due.map((d) => d.id),
    )
    .execute();
  const byId = new Map(rows.map((row) => [row.id, row]));
  const out: IntakeRow[] = [];
  for (const { id } of due) {
    const row = byId.get(id);
    if (!row) continue; // stored by another instance meanwhile
    out.push({
      id: row.id,
      raw: Buffer.from(row.raw),
      recipients: row.recipients,
      meta: row.meta,
      receivedAt: row.received_at,
      attempts: row.attempts,
    });
  }
  return out;
}

/** Deletes the row `id` (in the storing transaction); false when it is gone (stored by another instance). */
export async function takeIntake(ex: Executor, id: number): Promise<boolean> {
  const taken = await ex.deleteFrom("mail_intake").where("id", "=", id).returning("id").executeTakeFirst();
  return taken !== undefined;
}

/** An attempt failed: the row is tried again at `nextAttemptAt`. */
export async function deferIntake(ex: Executor, id: number, nextAttemptAt: string, error: string): Promise<void> {
  await ex
    .updateTable("mail_intake")
    .set({ next_attempt_at: nextAttemptAt, last_error: error, attempts: sql`attempts + 1` })
    .where("id", "=", id)
    .execute();
}

/** Rows waiting, and among them those that failed at least once. */
export async function intakeCounts(ex: Executor): Promise<{ waiting: number; failing: number }> {
  const row = await ex
    .selectFrom("mail_intake")
    .select((eb) => [
      eb.fn.countAll<number>().as("waiting"),
      eb.fn.sum<number>(sql`case when attempts > 0 then 1 else 0 end`).as("failing"),
    ])
    .executeTakeFirst();
  return { waiting: Number(row?.waiting ?? 0), failing: Number(row?.failing ?? 0) };
}

/**
 * Rows received at or before `asOf` that have not failed yet (a quarantine waits for them to be
 * stored: intake.storeReceivedBefore). Received times are ISO strings, ordered as text.
 */
export async function countReceivedBefore(ex: Executor, asOf: string): Promise<number> {
  const row = await ex
    .selectFrom("mail_intake")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("received_at", "<=", asOf)
    .where("attempts", "=", 0)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** A row as the operators see it (`sesame mail intake`): everything but the message's bytes. */
export interface IntakeEntry {
  readonly id: number;
  readonly receivedAt: string;
  readonly recipients: readonly string[];
  readonly size: number;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
}

/** The rows waiting, the ones that failed first, then the oldest; at most `limit`. */
export async function listIntake(ex: Executor, limit: number): Promise<IntakeEntry[]> {
  const rows = await ex
    .selectFrom("mail_intake")
    .select((eb) => [
      "id",
      "received_at",
      "recipients",
      "attempts",
      "next_attempt_at",
      "last_error",
      eb.fn<number>("length", ["raw"]).as("size"),
    ])
    .orderBy("attempts", "desc")
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    receivedAt: r.received_at,
    recipients: (JSON.parse(r.recipients) as { address: string }[]).map((x) => x.address),
    size: Number(r.size),
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
  }));
}
