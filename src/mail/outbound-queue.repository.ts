/**
 * The only SQL of the outbound queue: messages kept once, one delivery row per external recipient.
 * Claiming due rows takes a lease (`sending`, `lease_until`); on PostgreSQL the claim skips rows
 * that another instance is claiming at the same moment (`for update skip locked`).
 */
import { type Kysely, sql, type Transaction, type Updateable } from "kysely";
import type { DialectName } from "../storage/database.js";
import type { OutboundDeliveryTable, Schema } from "../storage/schema.js";

export type QueueExecutor = Kysely<Schema> | Transaction<Schema>;

export type DeliveryState = "queued" | "sending" | "sent" | "failed";

export interface NewOutbound {
  readonly accountId: number;
  readonly envelopeFrom: string;
  readonly subject: string;
  readonly raw: Buffer;
  readonly recipients: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** A claimed delivery, with what sending it needs. */
export interface ClaimedDelivery {
  readonly id: number;
  readonly messageId: number;
  readonly accountId: number;
  readonly recipient: string;
  readonly attempts: number;
  readonly expiresAt: string;
  readonly envelopeFrom: string;
  readonly subject: string;
}

export interface DeliveryRow {
  readonly id: number;
  readonly messageId: number;
  readonly recipient: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly leaseUntil: string | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly subject: string;
  readonly envelopeFrom: string;
}

export async function insert(ex: QueueExecutor, m: NewOutbound): Promise<number> {
  const row = await ex
    .insertInto("outbound_message")
    .values({
      account_id: m.accountId,
      envelope_from: m.envelopeFrom,
      subject: m.subject,
      raw: m.raw,
      size: m.raw.length,
      created_at: m.createdAt,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const messageId = Number(row.id);
  await ex
    .insertInto("outbound_delivery")
    .values(
      m.recipients.map((recipient) => ({
        message_id: messageId,
        recipient,
        state: "queued",
        next_attempt_at: m.createdAt,
        created_at: m.createdAt,
        expires_at: m.expiresAt,
      })),
    )
    .execute();
  return messageId;
}

/** Deliveries joined to their message, with the columns that both the relay and the listing read. */
function deliveriesWithMessage(ex: QueueExecutor) {
  return ex
    .selectFrom("outbound_delivery as d")
    .innerJoin("outbound_message as m", "m.id", "d.message_id")
    .select(["d.id", "d.message_id", "d.recipient", "d.attempts", "d.expires_at", "m.envelope_from", "m.subject"]);
}

/**
 * Takes up to `limit` due rows — queued and due, or `sending` with an expired lease (a worker that
 * died) — marks them `sending` until `leaseUntil`, and returns them.
 */
export async function claimDue(
  db: Kysely<Schema>,
  dialect: DialectName,
  now: string,
  leaseUntil: string,
  limit: number,
): Promise<ClaimedDelivery[]> {
  const lock = dialect === "postgres" ? sql`for update skip locked` : sql``;
  const claimed = await db.transaction().execute(async (trx) => {
    const result = await sql<{ id: number | string }>`
        update outbound_delivery set state = 'sending', lease_until = ${leaseUntil}
        where id in (
          select id from outbound_delivery
          where (state = 'queued' and next_attempt_at <= ${now})
             or (state = 'sending' and lease_until <= ${now})
          order by next_attempt_at, id
          limit ${limit}
          ${lock}
        )
        returning id`.execute(trx);
    return result.rows.map((r) => Number(r.id));
  });
  if (claimed.length === 0) return [];
  const rows = await deliveriesWithMessage(db)
    .select("m.account_id")
    .where("d.id", "in", claimed)
    .orderBy("d.id")
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    messageId: Number(r.message_id),
    accountId: r.account_id,
    recipient: r.recipient,
    attempts: r.attempts,
    expiresAt: r.expires_at,
    envelopeFrom: r.envelope_from,
    subject: r.subject,
  }));
}

export async function raw(ex: QueueExecutor, messageId: number): Promise<Buffer | null> {
  const row = await ex.selectFrom("outbound_message").select("raw").where("id", "=", messageId).executeTakeFirst();
  return row ? Buffer.from(row.raw) : null;
}

/**
 * Forgets deliveries that ended (sent or failed) before `before`, then the messages left without
 * any delivery: their bodies were kept only to be relayed. Returns how many rows of each went.
 */
export async function purgeDone(db: Kysely<Schema>, before: string): Promise<{ deliveries: number; messages: number }> {
  return db.transaction().execute(async (trx) => {
    const deliveries = await trx
      .deleteFrom("outbound_delivery")
      .where("done_at", "<", before)
      .where("state", "in", ["sent", "failed"])
      .executeTakeFirst();
    const messages = await trx
      .deleteFrom("outbound_message")
      .where("created_at", "<", before)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("outbound_delivery")
              .select("outbound_delivery.id")
              .whereRef("outbound_delivery.message_id", "=", "outbound_message.id"),
          ),
        ),
      )
      .executeTakeFirst();
    return { deliveries: Number(deliveries.numDeletedRows), messages: Number(messages.numDeletedRows) };
  });
}

/** Right after the relay's 250. */
export function markSent(ex: QueueExecutor, id: number, now: string): Promise<void> {
  return attempted(ex, id, { state: "sent", last_error: null, done_at: now });
}

export function markRetry(ex: QueueExecutor, id: number, nextAttemptAt: string, error: string): Promise<void> {
  return attempted(ex, id, { state: "queued", next_attempt_at: nextAttemptAt, last_error: error });
}

export function markFailed(ex: QueueExecutor, id: number, now: string, error: string): Promise<void> {
  return attempted(ex, id, { state: "failed", last_error: error, done_at: now });
}

/** One more attempt made: the lease is released and the row moves on as `change` says. */
async function attempted(ex: QueueExecutor, id: number, change: Updateable<OutboundDeliveryTable>): Promise<void> {
  await ex
    .updateTable("outbound_delivery")
    .set((eb) => ({ ...change, attempts: eb("attempts", "+", 1), lease_until: null }))
    .where("id", "=", id)
    .execute();
}

/** The queue, rows still to deliver first, then the latest finished ones. */
export async function list(
  ex: QueueExecutor,
  limit: number,
  states?: readonly DeliveryState[],
): Promise<DeliveryRow[]> {
  let q = deliveriesWithMessage(ex).select([
    "d.state",
    "d.next_attempt_at",
    "d.lease_until",
    "d.last_error",
    "d.created_at",
  ]);
  if (states && states.length > 0) q = q.where("d.state", "in", [...states]);
  const rows = await q
    .orderBy(sql`case when d.state in ('queued', 'sending') then 0 else 1 end`)
    .orderBy("d.id", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    messageId: Number(r.message_id),
    recipient: r.recipient,
    state: r.state as DeliveryState,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    leaseUntil: r.lease_until,
    lastError: r.last_error,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    subject: r.subject,
    envelopeFrom: r.envelope_from,
  }));
}

/** Counts per state (for tests, benchmarks and the CLI summary). */
/** When the oldest delivery still waiting (queued or being sent) was queued, or null when none waits. */
export async function oldestWaiting(ex: QueueExecutor): Promise<string | null> {
  const row = await ex
    .selectFrom("outbound_delivery")
    .select((eb) => eb.fn.min<string | null>("created_at").as("oldest"))
    .where("state", "in", ["queued", "sending"])
    .executeTakeFirst();
  return row?.oldest ?? null;
}

export async function counts(ex: QueueExecutor): Promise<Record<DeliveryState, number>> {
  const rows = await ex
    .selectFrom("outbound_delivery")
    .select(["state", (eb) => eb.fn.countAll<number | string>().as("n")])
    .groupBy("state")
    .execute();
  const out: Record<DeliveryState, number> = { queued: 0, sending: 0, sent: 0, failed: 0 };
  for (const r of rows) out[r.state as DeliveryState] = Number(r.n);
  return out;
}
