/**
 * The only place that writes SQL for the mail store: folders and their counters, messages, raw
 * bodies, and the full-text index (FTS5 on SQLite, tsvector + GIN on PostgreSQL).
 *
 * Counters (messages, unread, bytes per folder) are kept in the folder rows, updated in the same
 * transaction as the messages they count: the folder list and the quota never scan the messages.
 */
import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from "kysely";
import { compiledOnce } from "../storage/compiled-query.js";
import { type DialectName, syncCommits } from "../storage/database.js";
import type { MailFolderTable, MailMessageTable, Schema } from "../storage/schema.js";

export type Executor = Kysely<Schema> | Transaction<Schema>;
export type FolderRow = Selectable<MailFolderTable>;
export type MessageRow = Omit<
  Selectable<MailMessageTable>,
  "blob_id" | "refs" | "in_reply_to" | "message_id" | "spam_score" | "uid" | "modseq" | "keywords"
>;
export type MessageRecord = Selectable<MailMessageTable>;

/** The columns a list needs (never the raw body). */
const SUMMARY_COLUMNS = [
  "id",
  "account_id",
  "folder_id",
  "thread_id",
  "from_name",
  "from_address",
  "to_text",
  "subject",
  "sent_at",
  "received_at",
  "size",
  "has_attachments",
  "preview",
  "seen",
  "answered",
  "flagged",
  "deleted",
  "draft",
  "warnings",
  "imitates",
] as const;

const BATCH = 500;

function chunks<T>(items: readonly T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface NewMessage {
  readonly accountId: number;
  readonly folderId: number;
  readonly blobId: number;
  readonly threadId: number | null;
  readonly messageId: string | null;
  readonly inReplyTo: string | null;
  readonly refs: string;
  readonly fromName: string;
  readonly fromAddress: string;
  readonly toText: string;
  readonly subject: string;
  readonly sentAt: string;
  readonly receivedAt: string;
  readonly size: number;
  readonly hasAttachments: boolean;
  readonly preview: string;
  readonly seen: boolean;
  /** A draft (Brouillons); false when absent. */
  readonly draft?: boolean;
  /** What the reception found about the sender (comma-separated warnings), "" when absent. */
  readonly warnings?: string;
  readonly imitates?: string | null;
  /** spamd's score (spam-check.ts), null or absent when not scored. */
  readonly spamScore?: number | null;
  /** IMAP flags and keywords a client gave (APPEND, COPY); false and "" when absent. */
  readonly answered?: boolean;
  readonly flagged?: boolean;
  readonly keywords?: string;
}

/** Words to index, already folded (lowercase, no accents, letters and digits only). */
export interface IndexFields {
  readonly sender: string;
  readonly recipients: string;
  readonly subject: string;
  readonly body: string;
}

/** A search, already reduced to folded words. */
export interface SearchTerms {
  readonly any: readonly string[];
  readonly from: readonly string[];
  readonly to: readonly string[];
  readonly subject: readonly string[];
}

export interface SearchFilters {
  readonly folderId?: number;
  readonly since?: string;
  readonly until?: string;
  readonly hasAttachment?: boolean;
  readonly before?: number;
}

/**
 * A transaction whose commit is on disk before it resolves. PostgreSQL commits durably anyway;
 * SQLite runs in WAL mode with `synchronous = NORMAL` (durable across a crash of the process, not
 * of the machine), so these transactions then wait for the group commit's sync of the WAL
 * (storage/commit-sync.ts), shared with the other durable writes of the moment and run off the
 * main thread.
 */
export async function durably<T>(
  db: Kysely<Schema>,
  dialect: DialectName,
  fn: (trx: Transaction<Schema>) => Promise<T>,
): Promise<T> {
  return durablyAlone(db, dialect, (ex) => ex.transaction().execute(fn));
}

/**
 * One statement, durable before it resolves as `durably`'s transactions are: a single statement is
 * atomic on its own (its own implicit transaction), so no BEGIN and COMMIT around it — on SQLite
 * those two statements and Kysely's transaction bookkeeping cost a quarter of the reception's
 * insert into the intake (intake.ts), run before each 250 of a burst.
 */
export async function durablyAlone<T>(
  db: Kysely<Schema>,
  dialect: DialectName,
  statement: (ex: Kysely<Schema>) => Promise<T>,
): Promise<T> {
  const out = await statement(db);
  if (dialect === "sqlite") await syncCommits(db);
  return out;
}

export function transaction<T>(db: Kysely<Schema>, fn: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}

// Folders

/** The account's folders (a query to select from). */
const accountFolders = (ex: Executor, accountId: number) =>
  ex.selectFrom("mail_folder").where("account_id", "=", accountId);

export function folders(ex: Executor, accountId: number): Promise<FolderRow[]> {
  return accountFolders(ex, accountId).selectAll().orderBy("id").execute();
}

export async function folder(ex: Executor, accountId: number, folderId: number): Promise<FolderRow | null> {
  const row = await accountFolders(ex, accountId).selectAll().where("id", "=", folderId).executeTakeFirst();
  return row ?? null;
}

export async function folderIdByRole(ex: Executor, accountId: number, role: string): Promise<number | null> {
  const row = await accountFolders(ex, accountId).select("id").where("role", "=", role).executeTakeFirst();
  return row?.id ?? null;
}

/** Creates the special folders that are missing (concurrent callers are harmless). */
/**
 * The UIDVALIDITY of a folder being created (RFC 9051 §2.3.1.1): the time in seconds, and above
 * every UIDVALIDITY the account has, so that a folder deleted and made again under the same name
 * never gets the UIDVALIDITY its old copy had (a client would mix the two).
 */
async function nextUidValidity(ex: Executor, accountId: number): Promise<number> {
  const row = await accountFolders(ex, accountId)
    .select((eb) => eb.fn.max("uid_validity").as("top"))
    .executeTakeFirst();
  const top = Number(row?.top ?? 0);
  return Math.min(Math.max(Math.floor(Date.now() / 1000), top + 1), 0xffffffff);
}

export async function createSpecialFolders(
  ex: Executor,
  accountId: number,
  folders: readonly { role: string; name: string }[],
  now: string,
): Promise<void> {
  for (const f of folders) {
    const uidValidity = await nextUidValidity(ex, accountId);
    await ex
      .insertInto("mail_folder")
      .values({
        account_id: accountId,
        parent_id: null,
        name: f.name,
        role: f.role,
        created_at: now,
        uid_validity: uidValidity,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

export async function insertFolder(
  ex: Executor,
  accountId: number,
  parentId: number | null,
  name: string,
  now: string,
): Promise<number> {
  const row = await ex
    .insertInto("mail_folder")
    .values({
      account_id: accountId,
      parent_id: parentId,
      name,
      role: null,
      created_at: now,
      uid_validity: await nextUidValidity(ex, accountId),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function renameFolder(ex: Executor, folderId: number, name: string): Promise<void> {
  await ex.updateTable("mail_folder").set({ name }).where("id", "=", folderId).execute();
}

export async function deleteFolder(ex: Executor, folderId: number): Promise<void> {
  await ex.deleteFrom("mail_vanished").where("folder_id", "=", folderId).execute();
  await ex.deleteFrom("mail_folder").where("id", "=", folderId).execute();
}

/**
 * Takes `uids` new UIDs and one new MODSEQ in a folder (RFC 9051 UIDs, RFC 7162 MODSEQ): every change
 * to a folder's messages goes through here, so that UIDs only grow and each change has its MODSEQ.
 * On PostgreSQL the update also serialises the writers of one folder until their commit.
 */
export async function advanceFolder(
  ex: Executor,
  folderId: number,
  uids: number,
): Promise<{ firstUid: number; modseq: number }> {
  const row = (await advanceFolderOnce(ex, { folderId, uids })).rows[0];
  if (!row) throw new Error(`advanceFolder: no folder ${folderId}`);
  return { firstUid: Number(row.uid_next) - uids, modseq: Number(row.highest_modseq) };
}

/*
 * The statements of storing a message (advanceFolder, insertBlob, insertMessage, its thread, the
 * folder's counters), built and compiled once: Kysely's building of them was 6 % of the main
 * thread's time while the intake stored a burst (bench:smtp, CPU profile).
 */
const advanceFolderOnce = compiledOnce(
  (ex: Executor, a: { folderId: number; uids: number }) =>
    ex
      .updateTable("mail_folder")
      .set({ uid_next: sql`uid_next + ${a.uids}`, highest_modseq: sql`highest_modseq + 1` })
      .where("id", "=", a.folderId)
      .returning(["uid_next", "highest_modseq"]),
  ["folderId", "uids"],
);

/** Records that these UIDs left their folder (moved or deleted), for IMAP clients. */
async function recordVanished(ex: Executor, rows: readonly { folder_id: number; uid: number }[]): Promise<void> {
  const byFolder = new Map<number, number[]>();
  for (const r of rows) byFolder.set(r.folder_id, [...(byFolder.get(r.folder_id) ?? []), r.uid]);
  const at = new Date().toISOString();
  for (const [folderId, uids] of byFolder) {
    const { modseq } = await advanceFolder(ex, folderId, 0);
    for (const part of chunks(uids)) {
      await ex
        .insertInto("mail_vanished")
        .values(part.map((uid) => ({ folder_id: folderId, uid, modseq, at })))
        .execute();
    }
  }
}

export async function bumpFolder(
  ex: Executor,
  folderId: number,
  count: number,
  unread: number,
  bytes: number,
): Promise<void> {
  if (count === 0 && unread === 0 && bytes === 0) return;
  await bumpFolderOnce(ex, { folderId, count, unread, bytes });
}

const bumpFolderOnce = compiledOnce(
  (ex: Executor, a: { folderId: number; count: number; unread: number; bytes: number }) =>
    ex
      .updateTable("mail_folder")
      .set({
        message_count: sql`message_count + ${a.count}`,
        unread_count: sql`unread_count + ${a.unread}`,
        size_bytes: sql`size_bytes + ${a.bytes}`,
      })
      .where("id", "=", a.folderId),
  ["folderId", "count", "unread", "bytes"],
);

/**
 * PostgreSQL: locks the accounts' rows until the transaction ends, in id order (two deliveries
 * naming the same accounts wait for each other instead of deadlocking), so that two transactions
 * (of one instance's pool or of several instances) cannot both find room in a quota and together
 * overfill it. `for no key update` leaves other tables' foreign keys to the account free (a
 * sign-in creating a session does not wait). SQLite: one writer at a time already.
 */
export async function lockAccounts(
  trx: Transaction<Schema>,
  dialect: DialectName,
  accountIds: readonly number[],
): Promise<void> {
  if (dialect !== "postgres" || accountIds.length === 0) return;
  const ids = [...new Set(accountIds)].sort((a, b) => a - b);
  await sql`select id from account where id in (${sql.join(ids)}) order by id for no key update`.execute(trx);
}

/** The quota's look-up, built and compiled once (it runs at each RCPT TO of the reception: bench:smtp). */
const usedBytesOf = compiledOnce(
  (ex: Executor, a: { accountId: number }) =>
    accountFolders(ex, a.accountId).select((eb) =>
      eb.fn.coalesce(eb.fn.sum<number>("size_bytes"), sql<number>`0`).as("used"),
    ),
  ["accountId"],
);

export async function usedBytes(ex: Executor, accountId: number): Promise<number> {
  const row = (await usedBytesOf(ex, { accountId })).rows[0];
  return Number(row?.used ?? 0);
}

// Messages

/** The account's messages (a query to select from). */
const accountMessages = (ex: Executor, accountId: number) =>
  ex.selectFrom("mail_message").where("account_id", "=", accountId);

export async function insertBlob(ex: Executor, raw: Buffer): Promise<number> {
  const row = (await insertBlobOnce(ex, { raw, size: raw.length })).rows[0];
  if (!row) throw new Error("insertBlob: the insert returned no row");
  return row.id;
}

const insertBlobOnce = compiledOnce(
  (ex: Executor, a: { raw: Buffer; size: number }) =>
    ex.insertInto("mail_blob").values({ raw: a.raw, size: a.size }).returning("id"),
  ["raw", "size"],
);

export async function blob(ex: Executor, blobId: number): Promise<Buffer | null> {
  const row = await ex.selectFrom("mail_blob").select("raw").where("id", "=", blobId).executeTakeFirst();
  return row ? Buffer.from(row.raw) : null;
}

/** The first `bytes` bytes of a stored message (its headers, for a list), without reading the rest. */
export async function blobHead(ex: Executor, blobId: number, bytes: number): Promise<Buffer | null> {
  const row = await ex
    .selectFrom("mail_blob")
    .select(sql<Uint8Array>`substr(raw, 1, ${bytes})`.as("head"))
    .where("id", "=", blobId)
    .executeTakeFirst();
  return row ? Buffer.from(row.head) : null;
}

/** The account's message with this Message-ID that is not a draft (the oldest), or null. */
export async function idByMessageId(ex: Executor, accountId: number, messageId: string): Promise<number | null> {
  const row = await accountMessages(ex, accountId)
    .select("id")
    .where("message_id", "=", messageId)
    .where("draft", "=", 0)
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
  return row?.id ?? null;
}

/** The conversation a new message joins: the thread of a message it answers or refers to. */
export async function threadOf(ex: Executor, accountId: number, messageIds: readonly string[]): Promise<number | null> {
  if (messageIds.length === 0) return null;
  const row = await accountMessages(ex, accountId)
    .select("thread_id")
    .where("message_id", "in", messageIds)
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
  return row?.thread_id ?? null;
}

/** A message row's values, as insertMessage gives them all (`deleted` keeps its default). */
type MessageValues = Omit<Required<Insertable<MailMessageTable>>, "id" | "deleted">;

const MESSAGE_COLUMNS = [
  "uid",
  "modseq",
  "keywords",
  "answered",
  "flagged",
  "account_id",
  "folder_id",
  "blob_id",
  "thread_id",
  "message_id",
  "in_reply_to",
  "refs",
  "from_name",
  "from_address",
  "to_text",
  "subject",
  "sent_at",
  "received_at",
  "size",
  "has_attachments",
  "preview",
  "seen",
  "draft",
  "warnings",
  "imitates",
  "spam_score",
] as const satisfies readonly (keyof MessageValues)[];
/** A column left out of MESSAGE_COLUMNS would be left out of every insert: the build fails instead. */
const everyColumnListed: [Exclude<keyof MessageValues, (typeof MESSAGE_COLUMNS)[number]>] extends [never]
  ? true
  : never = true;
void everyColumnListed;

const insertMessageOnce = compiledOnce(
  (ex: Executor, v: MessageValues) => ex.insertInto("mail_message").values(v).returning("id"),
  MESSAGE_COLUMNS,
);

const ownThreadOnce = compiledOnce(
  (ex: Executor, a: { id: number }) => ex.updateTable("mail_message").set({ thread_id: a.id }).where("id", "=", a.id),
  ["id"],
);

export async function insertMessage(ex: Executor, m: NewMessage): Promise<number> {
  const { firstUid, modseq } = await advanceFolder(ex, m.folderId, 1);
  const values: MessageValues = {
    uid: firstUid,
    modseq,
    keywords: m.keywords ?? "",
    answered: m.answered ? 1 : 0,
    flagged: m.flagged ? 1 : 0,
    account_id: m.accountId,
    folder_id: m.folderId,
    blob_id: m.blobId,
    thread_id: m.threadId ?? 0,
    message_id: m.messageId,
    in_reply_to: m.inReplyTo,
    refs: m.refs,
    from_name: m.fromName,
    from_address: m.fromAddress,
    to_text: m.toText,
    subject: m.subject,
    sent_at: m.sentAt,
    received_at: m.receivedAt,
    size: m.size,
    has_attachments: m.hasAttachments ? 1 : 0,
    preview: m.preview,
    seen: m.seen ? 1 : 0,
    draft: m.draft ? 1 : 0,
    warnings: m.warnings ?? "",
    imitates: m.imitates ?? null,
    spam_score: m.spamScore ?? null,
  };
  const row = (await insertMessageOnce(ex, values)).rows[0];
  if (!row) throw new Error("insertMessage: the insert returned no row");
  if (m.threadId === null) await ownThreadOnce(ex, { id: row.id });
  return row.id;
}

export async function index(
  ex: Executor,
  dialect: DialectName,
  messageId: number,
  accountId: number,
  fields: IndexFields,
): Promise<void> {
  if (dialect === "postgres") {
    await sql`insert into mail_search (message_id, account_id, document) values (${messageId}, ${accountId},
        setweight(to_tsvector('french', ${fields.subject}), 'A') ||
        setweight(to_tsvector('french', ${fields.sender}), 'B') ||
        setweight(to_tsvector('french', ${fields.recipients}), 'C') ||
        setweight(to_tsvector('french', ${fields.body}), 'D'))`.execute(ex);
    return;
  }
  await sql`insert into mail_fts (rowid, owner, sender, recipients, subject, body)
      values (${messageId}, ${`a${accountId}`}, ${fields.sender}, ${fields.recipients}, ${fields.subject}, ${fields.body})`.execute(
    ex,
  );
}

export async function page(
  ex: Executor,
  folderId: number,
  before: number | null,
  limit: number,
): Promise<MessageRow[]> {
  let q = ex.selectFrom("mail_message").select(SUMMARY_COLUMNS).where("folder_id", "=", folderId);
  if (before !== null) q = q.where("id", "<", before);
  return q.orderBy("id", "desc").limit(limit).execute();
}

/** A folder's conversation as the grouped list shows it: its newest message there, and its counts there. */
export type ConversationRow = MessageRow & { readonly thread_count: number; readonly thread_unread: number };

/**
 * A folder's conversations, one row each, newest first: the conversation's newest message in the
 * folder, with how many of its messages are in the folder and how many of those are unread.
 * Keyset on that newest id (`before`: conversations whose newest message here is older).
 *
 * The folder is walked newest first on (folder_id, id), keeping the messages that no newer message
 * of their conversation follows in the folder; that test and the counts are index-only seeks on
 * (folder_id, thread_id, id, seen) (migration 015). A page reads the folder's messages down to its
 * last line (the older messages of conversations already shown are skipped one seek each) and counts
 * its conversations: about a millisecond for 50 lines of ordinary mail, whatever the folder's size;
 * one conversation of tens of thousands of messages in a folder makes its first page slower.
 */
export async function conversationPage(
  ex: Executor,
  folderId: number,
  before: number | null,
  limit: number,
): Promise<ConversationRow[]> {
  let q = ex
    .selectFrom("mail_message as m")
    .select(SUMMARY_COLUMNS.map((c) => `m.${c}` as const))
    .select((eb) => [
      eb
        .selectFrom("mail_message as c")
        .select(eb.fn.countAll<number>().as("n"))
        .where("c.folder_id", "=", folderId)
        .whereRef("c.thread_id", "=", "m.thread_id")
        .as("thread_count"),
      eb
        .selectFrom("mail_message as u")
        .select(eb.fn.countAll<number>().as("n"))
        .where("u.folder_id", "=", folderId)
        .whereRef("u.thread_id", "=", "m.thread_id")
        .where("u.seen", "=", 0)
        .as("thread_unread"),
    ])
    .where("m.folder_id", "=", folderId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("mail_message as n")
            .select("n.id")
            .where("n.folder_id", "=", folderId)
            .whereRef("n.thread_id", "=", "m.thread_id")
            .whereRef("n.id", ">", "m.id"),
        ),
      ),
    );
  if (before !== null) q = q.where("m.id", "<", before);
  const rows = await q.orderBy("m.id", "desc").limit(limit).execute();
  return rows.map((r) => ({
    ...r,
    thread_count: Number(r.thread_count ?? 0),
    thread_unread: Number(r.thread_unread ?? 0),
  }));
}

export async function message(ex: Executor, accountId: number, id: number): Promise<MessageRecord | null> {
  const row = await accountMessages(ex, accountId).selectAll().where("id", "=", id).executeTakeFirst();
  return row ?? null;
}

export function thread(ex: Executor, accountId: number, threadId: number): Promise<MessageRow[]> {
  return accountMessages(ex, accountId)
    .select(SUMMARY_COLUMNS)
    .where("thread_id", "=", threadId)
    .orderBy("id")
    .limit(200)
    .execute();
}

/** The account's messages among `ids`, with what the counters need. */
export async function owned(
  ex: Executor,
  accountId: number,
  ids: readonly number[],
): Promise<{ id: number; folder_id: number; seen: number; size: number; blob_id: number }[]> {
  const out: { id: number; folder_id: number; seen: number; size: number; blob_id: number }[] = [];
  for (const part of chunks(ids)) {
    out.push(
      ...(await accountMessages(ex, accountId)
        .select(["id", "folder_id", "seen", "size", "blob_id"])
        .where("id", "in", part)
        .execute()),
    );
  }
  return out;
}

export async function idsInFolder(ex: Executor, folderId: number, limit: number): Promise<number[]> {
  const rows = await ex
    .selectFrom("mail_message")
    .select("id")
    .where("folder_id", "=", folderId)
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

export async function setFlag(ex: Executor, ids: readonly number[], flag: MessageFlag, value: boolean): Promise<void> {
  const v = value ? 1 : 0;
  for (const part of chunks(ids)) {
    const rows = await ex
      .selectFrom("mail_message")
      .select(["id", "folder_id"])
      .where("id", "in", part)
      .where(flag, "!=", v)
      .execute();
    for (const [folderId, inFolder] of byFolder(rows)) {
      const { modseq } = await advanceFolder(ex, folderId, 0);
      await ex
        .updateTable("mail_message")
        .set({ [flag]: v, modseq })
        .where("id", "in", inFolder)
        .execute();
    }
  }
}

export async function uidsOfIds(
  ex: Executor,
  folderId: number,
  ids: readonly number[],
): Promise<{ id: number; uid: number }[]> {
  const out: { id: number; uid: number }[] = [];
  for (const part of chunks(ids)) {
    out.push(
      ...(await ex
        .selectFrom("mail_message")
        .select(["id", "uid"])
        .where("folder_id", "=", folderId)
        .where("id", "in", part)
        .execute()),
    );
  }
  return out;
}

/** The folder's messages marked deleted (IMAP's \\Deleted), for EXPUNGE. */
export function markedDeleted(
  ex: Executor,
  folderId: number,
): Promise<{ id: number; seen: number; size: number; blob_id: number }[]> {
  return ex
    .selectFrom("mail_message")
    .select(["id", "seen", "size", "blob_id"])
    .where("folder_id", "=", folderId)
    .where("deleted", "=", 1)
    .orderBy("uid")
    .execute();
}

export async function keywordsOf(
  ex: Executor,
  accountId: number,
  ids: readonly number[],
): Promise<{ id: number; folder_id: number; keywords: string }[]> {
  const out: { id: number; folder_id: number; keywords: string }[] = [];
  for (const part of chunks(ids)) {
    out.push(
      ...(await accountMessages(ex, accountId)
        .select(["id", "folder_id", "keywords"])
        .where("id", "in", part)
        .execute()),
    );
  }
  return out;
}

/** New keywords for messages, each folder's changes under one new MODSEQ. */
export async function setKeywords(
  ex: Executor,
  changes: readonly { id: number; folder_id: number; keywords: string }[],
): Promise<void> {
  const folders = new Map<number, number>();
  for (const c of changes) {
    let modseq = folders.get(c.folder_id);
    if (modseq === undefined) {
      modseq = (await advanceFolder(ex, c.folder_id, 0)).modseq;
      folders.set(c.folder_id, modseq);
    }
    await ex.updateTable("mail_message").set({ keywords: c.keywords, modseq }).where("id", "=", c.id).execute();
  }
}

/** The flags a message has as columns (IMAP's system flags). */
export type MessageFlag = "seen" | "flagged" | "answered" | "deleted" | "draft";

/** Ids grouped by their folder. */
function byFolder(rows: readonly { id: number; folder_id: number }[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const r of rows) {
    const list = out.get(r.folder_id);
    if (list) list.push(r.id);
    else out.set(r.folder_id, [r.id]);
  }
  return out;
}

/** Moves messages to a folder: new UIDs there (in their old order), their old UIDs recorded as gone. */
export async function moveMessages(ex: Executor, ids: readonly number[], folderId: number): Promise<void> {
  for (const part of chunks(ids)) {
    const rows = await ex
      .selectFrom("mail_message")
      .select(["id", "folder_id", "uid"])
      .where("id", "in", part)
      .where("folder_id", "!=", folderId)
      .orderBy("folder_id")
      .orderBy("uid")
      .execute();
    if (rows.length === 0) continue;
    await recordVanished(ex, rows);
    const { firstUid, modseq } = await advanceFolder(ex, folderId, rows.length);
    for (const [i, r] of rows.entries()) {
      await ex
        .updateTable("mail_message")
        .set({ folder_id: folderId, uid: firstUid + i, modseq })
        .where("id", "=", r.id)
        .execute();
    }
  }
}

/** Deletes messages for good, their index entries, and the bodies no message uses any more. */
export async function deleteMessages(
  ex: Executor,
  dialect: DialectName,
  rows: readonly { id: number; blob_id: number }[],
): Promise<void> {
  for (const part of chunks(rows)) {
    const ids = part.map((r) => r.id);
    await recordVanished(
      ex,
      await ex.selectFrom("mail_message").select(["folder_id", "uid"]).where("id", "in", ids).execute(),
    );
    if (dialect === "sqlite") {
      await sql`delete from mail_fts where rowid in (${sql.join(ids)})`.execute(ex);
    }
    await ex.deleteFrom("mail_message").where("id", "in", ids).execute();
    const blobs = [...new Set(part.map((r) => r.blob_id))];
    await ex
      .deleteFrom("mail_blob")
      .where("id", "in", blobs)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("mail_message").select(sql`1`.as("one")).whereRef("mail_message.blob_id", "=", "mail_blob.id"),
          ),
        ),
      )
      .execute();
  }
}

/** One page of search results, newest first. */
export async function search(
  ex: Executor,
  dialect: DialectName,
  accountId: number,
  terms: SearchTerms,
  filters: SearchFilters,
  limit: number,
): Promise<MessageRow[]> {
  const text = terms.any.length + terms.from.length + terms.to.length + terms.subject.length > 0;
  const m = (c: string) => sql.ref(`m.${c}`);
  const conditions = [sql`${m("account_id")} = ${accountId}`];
  if (filters.folderId !== undefined) conditions.push(sql`${m("folder_id")} = ${filters.folderId}`);
  if (filters.since !== undefined) conditions.push(sql`${m("sent_at")} >= ${filters.since}`);
  if (filters.until !== undefined) conditions.push(sql`${m("sent_at")} < ${filters.until}`);
  if (filters.hasAttachment) conditions.push(sql`${m("has_attachments")} = 1`);
  if (filters.before !== undefined) conditions.push(sql`${m("id")} < ${filters.before}`);
  const columns = sql.join(SUMMARY_COLUMNS.map((c) => m(c)));
  const where = sql.join(conditions, sql` and `);
  if (!text) {
    const r = await sql<MessageRow>`select ${columns} from mail_message m where ${where}
        order by m.id desc limit ${limit}`.execute(ex);
    return r.rows;
  }
  if (dialect === "postgres") {
    const q = [
      ...terms.any.map((w) => `${w}:*`),
      ...terms.subject.map((w) => `${w}:*A`),
      ...terms.from.map((w) => `${w}:*B`),
      ...terms.to.map((w) => `${w}:*C`),
    ].join(" & ");
    const r = await sql<MessageRow>`select ${columns} from mail_search s join mail_message m on m.id = s.message_id
        where s.account_id = ${accountId} and s.document @@ to_tsquery('french', ${q}) and ${where}
        order by s.message_id desc limit ${limit}`.execute(ex);
    return r.rows;
  }
  const phrase = (w: string) => `"${w}"*`;
  const parts = [
    `owner : "a${accountId}"`,
    ...terms.any.map((w) => `{sender recipients subject body} : ${phrase(w)}`),
    ...terms.from.map((w) => `sender : ${phrase(w)}`),
    ...terms.to.map((w) => `recipients : ${phrase(w)}`),
    ...terms.subject.map((w) => `subject : ${phrase(w)}`),
  ];
  const r = await sql<MessageRow>`select ${columns} from mail_fts f join mail_message m on m.id = f.rowid
      where mail_fts match ${parts.join(" AND ")} and ${where}
      order by f.rowid desc limit ${limit}`.execute(ex);
  return r.rows;
}

// Reported messages (« Signaler un filoutage », `sesame mail quarantine`)

/** Every local copy of a message, across the mailboxes, by its Message-ID header (drafts left out). */
export function copiesByMessageId(
  ex: Executor,
  messageId: string,
): Promise<{ id: number; account_id: number; folder_id: number }[]> {
  return ex
    .selectFrom("mail_message")
    .select(["id", "account_id", "folder_id"])
    .where("message_id", "=", messageId)
    .where("draft", "=", 0)
    .orderBy("account_id")
    .orderBy("id")
    .execute();
}

/**
 * Every local copy of the messages from a sender address (case folded), across the mailboxes, the
 * security team's quarantine by sender: drafts and the Sent folders left out (a local sender's own copies).
 */
export function copiesBySender(
  ex: Executor,
  address: string,
): Promise<{ id: number; account_id: number; folder_id: number }[]> {
  return ex
    .selectFrom("mail_message as m")
    .innerJoin("mail_folder as f", "f.id", "m.folder_id")
    .select(["m.id", "m.account_id", "m.folder_id"])
    .where((eb) => eb(eb.fn("lower", ["m.from_address"]), "=", address.toLowerCase()))
    .where("m.draft", "=", 0)
    .where((eb) => eb.or([eb("f.role", "is", null), eb("f.role", "not in", ["sent", "drafts"])]))
    .orderBy("m.account_id")
    .orderBy("m.id")
    .execute();
}

/** How many mailboxes hold a copy of each of these Message-IDs (drafts left out). */
export async function mailboxCounts(ex: Executor, messageIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const part of chunks(messageIds)) {
    const rows = await ex
      .selectFrom("mail_message")
      .select((eb) => ["message_id", eb.fn.count<number>("account_id").distinct().as("mailboxes")])
      .where("message_id", "in", part)
      .where("draft", "=", 0)
      .groupBy("message_id")
      .execute();
    for (const r of rows) if (r.message_id !== null) out.set(r.message_id, Number(r.mailboxes));
  }
  return out;
}
