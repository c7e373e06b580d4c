/**
 * The SQL of the console's administration (role `admin`): establishments with their functional
 * accounts, the outbound queue's waiting and failing deliveries (never a subject nor a body), the
 * names of people an import touched, and ANALYZE after a big import on PostgreSQL.
 */
import { type Kysely, sql } from "kysely";
import type { Schema } from "../storage/schema.js";

type Db = Kysely<Schema>;

/** `%`, `_` and `\` typed by the agent match themselves. */
function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface FunctionalAccountRow {
  readonly id: number;
  readonly username: string;
  readonly address: string;
  readonly disabled: boolean;
  readonly passwordState: "initial" | "personal" | "must_change";
  readonly compromised: boolean;
  readonly holderId: number | null;
}

export interface EstablishmentRow {
  readonly uai: string;
  readonly libelle: string;
  readonly headName: string | null;
  readonly accounts: readonly FunctionalAccountRow[];
}

/** One page of establishments (by UAI), matching `query` in their UAI or name, and the total. */
export async function listEstablishments(
  db: Db,
  query: string,
  offset: number,
  limit: number,
): Promise<{ total: number; rows: EstablishmentRow[] }> {
  const pattern = likeContains(query.trim().toLowerCase());
  const all = db.selectFrom("establishment as e");
  const filtered =
    query.trim() === ""
      ? all
      : all.where((eb) =>
          eb.or([
            eb(sql`lower(e.uai)`, "like", sql`${pattern} escape '\\'`),
            eb(sql`lower(e.libelle)`, "like", sql`${pattern} escape '\\'`),
          ]),
        );
  const count = await filtered.select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirst();
  const rows = await filtered
    .leftJoin("person as p", "p.id", "e.head_person_id")
    .select(["e.uai", "e.libelle", "p.nom", "p.prenom"])
    .orderBy("e.uai")
    .offset(offset)
    .limit(limit)
    .execute();
  const uais = rows.map((r) => r.uai);
  const accounts =
    uais.length === 0
      ? []
      : await db
          .selectFrom("account")
          .select([
            "id",
            "username",
            "address",
            "disabled",
            "password_state",
            "compromised_at",
            "person_id",
            "establishment_uai",
          ])
          .where("kind", "=", "fonctionnel")
          .where("establishment_uai", "in", uais)
          .orderBy("username")
          .execute();
  return {
    total: Number(count?.n ?? 0),
    rows: rows.map((r) => ({
      uai: r.uai,
      libelle: r.libelle,
      headName: r.nom === null ? null : `${r.prenom} ${r.nom}`,
      accounts: accounts
        .filter((a) => a.establishment_uai === r.uai)
        .map((a) => ({
          id: Number(a.id),
          username: a.username,
          address: a.address,
          disabled: Number(a.disabled) === 1,
          passwordState: a.password_state,
          compromised: a.compromised_at !== null,
          holderId: a.person_id === null ? null : Number(a.person_id),
        })),
    })),
  };
}

/** A delivery waiting or given up, without its message's subject or body. */
export interface QueueRow {
  readonly id: number;
  readonly recipient: string;
  readonly state: string;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
}

const QUEUE_COLUMNS = [
  "id",
  "recipient",
  "state",
  "attempts",
  "next_attempt_at",
  "last_error",
  "created_at",
  "expires_at",
] as const;

function toQueueRow(r: {
  id: number | string;
  recipient: string;
  state: string;
  attempts: number | string;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  expires_at: string;
}): QueueRow {
  return {
    id: Number(r.id),
    recipient: r.recipient,
    state: r.state,
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  };
}

/** Deliveries still waiting (queued, sending) and the latest given up (failed), waiting first. */
export async function listQueue(db: Db, limit: number): Promise<QueueRow[]> {
  const rows = await db
    .selectFrom("outbound_delivery")
    .select(QUEUE_COLUMNS)
    .where("state", "in", ["queued", "sending", "failed"])
    .orderBy(sql`case when state = 'failed' then 1 else 0 end`)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map(toQueueRow);
}

export async function queueDelivery(db: Db, id: number): Promise<QueueRow | null> {
  const r = await db.selectFrom("outbound_delivery").select(QUEUE_COLUMNS).where("id", "=", id).executeTakeFirst();
  return r ? toQueueRow(r) : null;
}

/** A queued delivery due now; false when it is no longer queued (sent, being sent, given up). */
export async function retryDeliveryNow(db: Db, id: number, now: string): Promise<boolean> {
  const r = await db
    .updateTable("outbound_delivery")
    .set({ next_attempt_at: now })
    .where("id", "=", id)
    .where("state", "=", "queued")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** A queued delivery given up (`failed`, with `reason`); false when it is no longer queued. */
export async function cancelDelivery(db: Db, id: number, now: string, reason: string): Promise<boolean> {
  const r = await db
    .updateTable("outbound_delivery")
    .set({ state: "failed", last_error: reason, done_at: now, lease_until: null })
    .where("id", "=", id)
    .where("state", "=", "queued")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** People's names by id (for the samples of an import's report). */
export async function personNames(db: Db, ids: readonly number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom("person")
    .select(["id", "nom", "prenom"])
    .where("id", "in", [...ids])
    .execute();
  return new Map(rows.map((r) => [Number(r.id), `${r.prenom} ${r.nom}`]));
}
