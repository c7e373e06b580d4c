/**
 * The queries IMAP sessions make of the mail store (mailbox-access.service.ts): UIDs in order, the
 * flag rows of a UID range (streamed by pages), changes and departures since a MODSEQ, the MIME
 * structure cached on a body, and SEARCH compiled to one query (columns, and the webmail's full-text
 * index for words).
 */
import { type RawBuilder, type SqlBool, sql } from "kysely";
import type { DialectName } from "../storage/database.js";
import type { Executor } from "./mail.repository.js";

/** A message as IMAP sees it, without its body. */
export interface ImapRow {
  readonly id: number;
  readonly uid: number;
  readonly modseq: number;
  readonly seen: number;
  readonly answered: number;
  readonly flagged: number;
  readonly deleted: number;
  readonly draft: number;
  readonly keywords: string;
  readonly size: number;
  readonly received_at: string;
  readonly blob_id: number;
}

const ROW_COLUMNS = [
  "id",
  "uid",
  "modseq",
  "seen",
  "answered",
  "flagged",
  "deleted",
  "draft",
  "keywords",
  "size",
  "received_at",
  "blob_id",
] as const;

/**
 * The UIDs a query selects (its one column `uid`), in order, as numbers. The database joins them into
 * one text (group_concat / string_agg) rather than sending one row each: a 100,000-message folder is
 * one value to parse, not 100,000 row objects.
 */
async function uidList(ex: Executor, dialect: DialectName, query: RawBuilder<unknown>): Promise<number[]> {
  const joined =
    dialect === "postgres"
      ? sql<{ list: string | null }>`select string_agg(q.uid::text, ',' order by q.uid) as list from (${query}) q`
      : sql<{ list: string | null }>`select group_concat(q.uid) as list from (${query} order by 1) q`;
  const list = (await joined.execute(ex)).rows[0]?.list ?? null;
  if (!list) return [];
  const out = list.split(",").map(Number);
  // SQLite's group_concat follows the subquery's order in practice, not by contract: make sure.
  for (let i = 1; i < out.length; i++) {
    if ((out[i] as number) < (out[i - 1] as number)) return out.sort((a, b) => a - b);
  }
  return out;
}

/** The folder's UIDs in order (what message sequence numbers map to). */
export function uids(ex: Executor, dialect: DialectName, folderId: number): Promise<number[]> {
  return uidList(ex, dialect, sql`select uid from mail_message where folder_id = ${folderId}`);
}

/** The rows of UIDs from..to (inclusive), in UID order, at most `limit`, changed after `changedSince`. */
export function rowsInRange(
  ex: Executor,
  folderId: number,
  from: number,
  to: number,
  limit: number,
  changedSince?: number,
): Promise<ImapRow[]> {
  let q = ex
    .selectFrom("mail_message")
    .select(ROW_COLUMNS)
    .where("folder_id", "=", folderId)
    .where("uid", ">=", from)
    .where("uid", "<=", to);
  if (changedSince !== undefined) q = q.where("modseq", ">", changedSince);
  return q.orderBy("uid").limit(limit).execute();
}

/**
 * The rows changed after `modseq` (flags, keywords, arrivals), in (MODSEQ, UID) order, a page at a
 * time: `after` is the last row of the previous page. Uses the (folder_id, modseq) index, so a
 * session's look at what changed costs what changed, not the folder's size.
 */
export function rowsChangedSince(
  ex: Executor,
  folderId: number,
  modseq: number,
  after: readonly [modseq: number, uid: number] | null,
  limit: number,
): Promise<ImapRow[]> {
  let q = ex.selectFrom("mail_message").select(ROW_COLUMNS).where("folder_id", "=", folderId);
  if (after) {
    const [m, u] = after;
    q = q.where((eb) => eb.or([eb("modseq", ">", m), eb.and([eb("modseq", "=", m), eb("uid", ">", u)])]));
  } else {
    q = q.where("modseq", ">", modseq);
  }
  return q.orderBy("modseq").orderBy("uid").limit(limit).execute();
}

/** The rows of these UIDs (any number), in UID order. */
export async function rowsOf(ex: Executor, folderId: number, wanted: readonly number[]): Promise<ImapRow[]> {
  const out: ImapRow[] = [];
  for (let i = 0; i < wanted.length; i += 500) {
    const part = wanted.slice(i, i + 500);
    out.push(
      ...(await ex
        .selectFrom("mail_message")
        .select(ROW_COLUMNS)
        .where("folder_id", "=", folderId)
        .where("uid", "in", part)
        .orderBy("uid")
        .execute()),
    );
  }
  return out.sort((a, b) => a.uid - b.uid);
}

/** What SORT orders by (RFC 5256), for these UIDs. */
export interface SortRow {
  readonly uid: number;
  readonly sent_at: string;
  readonly received_at: string;
  readonly size: number;
  readonly subject: string;
  readonly from_address: string;
  readonly to_text: string;
  readonly blob_id: number;
}

export async function sortRows(ex: Executor, folderId: number, wanted: readonly number[]): Promise<SortRow[]> {
  const out: SortRow[] = [];
  for (let i = 0; i < wanted.length; i += 500) {
    out.push(
      ...(await ex
        .selectFrom("mail_message")
        .select(["uid", "sent_at", "received_at", "size", "subject", "from_address", "to_text", "blob_id"])
        .where("folder_id", "=", folderId)
        .where("uid", "in", wanted.slice(i, i + 500))
        .execute()),
    );
  }
  return out;
}

/** UIDs that left the folder after `modseq`. */
export async function vanishedSince(ex: Executor, folderId: number, modseq: number): Promise<number[]> {
  const rows = await ex
    .selectFrom("mail_vanished")
    .select("uid")
    .where("folder_id", "=", folderId)
    .where("modseq", ">", modseq)
    .orderBy("uid")
    .execute();
  return rows.map((r) => Number(r.uid));
}

/** The MODSEQ below which the folder's departures log was pruned (0: it is whole). */
export async function vanishedFloor(ex: Executor, folderId: number): Promise<number> {
  const row = await ex.selectFrom("mail_folder").select("vanished_floor").where("id", "=", folderId).executeTakeFirst();
  return Number(row?.vanished_floor ?? 0);
}

/** Forgets the departures recorded before `before` (ISO time), raising each folder's floor. Gives how many. */
export async function pruneVanished(ex: Executor, before: string): Promise<number> {
  const floors = await ex
    .selectFrom("mail_vanished")
    .select(["folder_id", (eb) => eb.fn.max("modseq").as("top")])
    .where("at", "<", before)
    .groupBy("folder_id")
    .execute();
  for (const f of floors) {
    await ex
      .updateTable("mail_folder")
      .set({
        vanished_floor: sql`case when vanished_floor > ${Number(f.top)} then vanished_floor else ${Number(f.top)} end`,
      })
      .where("id", "=", f.folder_id)
      .execute();
  }
  const result = await ex.deleteFrom("mail_vanished").where("at", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function mimeTree(ex: Executor, blobId: number): Promise<string | null> {
  const row = await ex.selectFrom("mail_blob").select("mime_tree").where("id", "=", blobId).executeTakeFirst();
  return row?.mime_tree ?? null;
}

export async function saveMimeTree(ex: Executor, blobId: number, tree: string): Promise<void> {
  await ex.updateTable("mail_blob").set({ mime_tree: tree }).where("id", "=", blobId).execute();
}

export async function setSubscribed(ex: Executor, folderId: number, subscribed: boolean): Promise<void> {
  await ex
    .updateTable("mail_folder")
    .set({ subscribed: subscribed ? 1 : 0 })
    .where("id", "=", folderId)
    .execute();
}

/** The state of a folder a session checks after a signal: cheap, one row. */
export async function folderState(
  ex: Executor,
  folderId: number,
): Promise<{ uid_next: number; highest_modseq: number; message_count: number } | null> {
  const row = await ex
    .selectFrom("mail_folder")
    .select(["uid_next", "highest_modseq", "message_count"])
    .where("id", "=", folderId)
    .executeTakeFirst();
  return row ?? null;
}

// SEARCH

/** A SEARCH criterion (RFC 9051 §6.4.4) as the store can answer it; the session resolves the rest. */
export type Criterion =
  | { readonly kind: "all" }
  | { readonly kind: "none" }
  | { readonly kind: "and"; readonly of: readonly Criterion[] }
  | { readonly kind: "or"; readonly of: readonly [Criterion, Criterion] }
  | { readonly kind: "not"; readonly of: Criterion }
  | {
      readonly kind: "flag";
      readonly flag: "seen" | "answered" | "flagged" | "deleted" | "draft";
      readonly set: boolean;
    }
  | { readonly kind: "keyword"; readonly keyword: string; readonly set: boolean }
  | { readonly kind: "uids"; readonly ranges: readonly (readonly [number, number])[] }
  | { readonly kind: "size"; readonly op: "<" | ">"; readonly bytes: number }
  /** Days as YYYY-MM-DD; `internal`: the arrival, `sent`: the Date header. */
  | {
      readonly kind: "date";
      readonly field: "internal" | "sent";
      readonly op: "before" | "on" | "since";
      readonly day: string;
    }
  | { readonly kind: "modseq"; readonly min: number }
  /** Words already folded as the index holds them; `field` null: anywhere. */
  | {
      readonly kind: "words";
      readonly field: "sender" | "recipients" | "subject" | "body" | null;
      readonly words: readonly string[];
    }
  | { readonly kind: "header"; readonly column: "message_id"; readonly value: string };

const m = (c: string) => sql.ref(`m.${c}`);

function compile(c: Criterion, dialect: DialectName, accountId: number): RawBuilder<SqlBool> {
  switch (c.kind) {
    case "all":
      return sql<SqlBool>`1 = 1`;
    case "none":
      return sql<SqlBool>`1 = 0`;
    case "and":
      return c.of.length === 0
        ? sql<SqlBool>`1 = 1`
        : sql<SqlBool>`(${sql.join(
            c.of.map((x) => compile(x, dialect, accountId)),
            sql` and `,
          )})`;
    case "or":
      return sql<SqlBool>`(${compile(c.of[0], dialect, accountId)} or ${compile(c.of[1], dialect, accountId)})`;
    case "not":
      return sql<SqlBool>`not (${compile(c.of, dialect, accountId)})`;
    case "flag":
      return sql<SqlBool>`${m(c.flag)} = ${c.set ? 1 : 0}`;
    case "keyword": {
      // Keywords are stored space-separated: match a whole one.
      const has = sql<SqlBool>`(' ' || ${m("keywords")} || ' ') like ${`% ${c.keyword.replace(/[%_\\]/g, "\\$&")} %`} escape '\\'`;
      return c.set ? has : sql<SqlBool>`not ${has}`;
    }
    case "uids":
      return c.ranges.length === 0
        ? sql<SqlBool>`1 = 0`
        : sql<SqlBool>`(${sql.join(
            c.ranges.map(([a, b]) => (a === b ? sql`${m("uid")} = ${a}` : sql`${m("uid")} between ${a} and ${b}`)),
            sql` or `,
          )})`;
    case "size":
      return c.op === "<" ? sql<SqlBool>`${m("size")} < ${c.bytes}` : sql<SqlBool>`${m("size")} > ${c.bytes}`;
    case "date": {
      const column = m(c.field === "internal" ? "received_at" : "sent_at");
      const next = nextDay(c.day);
      if (c.op === "before") return sql<SqlBool>`${column} < ${c.day}`;
      if (c.op === "since") return sql<SqlBool>`${column} >= ${c.day}`;
      return sql<SqlBool>`(${column} >= ${c.day} and ${column} < ${next})`;
    }
    case "modseq":
      return sql<SqlBool>`${m("modseq")} >= ${c.min}`;
    case "header":
      return sql<SqlBool>`${m(c.column)} = ${c.value}`;
    case "words":
      return wordsMatch(c.field, c.words, dialect, accountId);
  }
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** Messages of the account whose indexed field holds every word (as prefixes, as the webmail does). */
function wordsMatch(
  field: "sender" | "recipients" | "subject" | "body" | null,
  words: readonly string[],
  dialect: DialectName,
  accountId: number,
): RawBuilder<SqlBool> {
  if (words.length === 0) return sql<SqlBool>`1 = 1`;
  if (dialect === "postgres") {
    const weight = field === null ? "" : { subject: "A", sender: "B", recipients: "C", body: "D" }[field];
    const q = words.map((w) => `${w}:*${weight}`).join(" & ");
    return sql<SqlBool>`${m("id")} in (select s.message_id from mail_search s
        where s.account_id = ${accountId} and s.document @@ to_tsquery('french', ${q}))`;
  }
  const scope = field === null ? "{sender recipients subject body}" : field;
  const match = [`owner : "a${accountId}"`, ...words.map((w) => `${scope} : "${w}"*`)].join(" AND ");
  return sql<SqlBool>`${m("id")} in (select rowid from mail_fts where mail_fts match ${match})`;
}

/** The UIDs of the folder's messages matching `criterion`, in order. */
export function search(
  ex: Executor,
  dialect: DialectName,
  accountId: number,
  folderId: number,
  criterion: Criterion,
): Promise<number[]> {
  return uidList(
    ex,
    dialect,
    sql`select m.uid as uid from mail_message m where m.folder_id = ${folderId} and ${compile(criterion, dialect, accountId)}`,
  );
}
