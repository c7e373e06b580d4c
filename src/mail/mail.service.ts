/**
 * The mail store's rules: who can receive, quotas, atomic delivery to several recipients,
 * folders and their counters, threads, flags, moves, the Corbeille, search and reading.
 *
 * Storage choice: the raw message is kept whole in the database (`mail_blob`, once per delivery
 * whatever the number of local recipients), next to the columns the interface lists and the
 * full-text index, all written in one transaction. A message is therefore visible completely or
 * not at all, and the SMTP 250 is given only after the commit (made durable on SQLite too).
 */
import type { Kysely, Transaction } from "kysely";
import { academieDomains } from "../directory/academie-domains.js";
import { type DirectoryService, isUsable } from "../directory/directory.service.js";
import type { Clock } from "../shared/clock.js";
import { DomainError } from "../shared/errors.js";
import type { DialectName } from "../storage/database.js";
import type { Schema } from "../storage/schema.js";
import { isFlagged, textLinks } from "./deceptive-links.js";
import { sanitizeMailHtml } from "./html-sanitizer.js";
import type { FolderRow, MessageRow, SearchTerms } from "./mail.repository.js";
import * as repo from "./mail.repository.js";
import {
  type AttachmentContent,
  type ConversationPage,
  type ConversationSummary,
  type DeliveryMeta,
  type DeliveryPlan,
  type DeliveryResult,
  type DeliveryRules,
  FOLDER_ROLES,
  type Folder,
  type FolderRole,
  type MailApi,
  type MailboxOverview,
  type MessageLinks,
  type MessagePage,
  type MessageSummary,
  type MessageView,
  type Quota,
  type Recipient,
  type SafeHtmlBody,
  SENDER_WARNINGS,
  type SearchQuery,
  type SenderWarning,
} from "./mail.types.js";
import type { MailEvents } from "./mail-events.js";
import { readForDisplay, type StoredHeaders } from "./mime.js";
import { describeSender, repliesElsewhere } from "./sender-display.js";
import { analyseForStorage, indexWords, type StorageAnalysis } from "./storage-analysis.js";

export interface MailDeps {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  readonly directory: DirectoryService;
  readonly clock: Clock;
  readonly mailDomain: string;
  /** The académie's other mail domains (SESAME_INTERNAL_DOMAINS): their senders are "inside". */
  readonly internalDomains: readonly string[];
  readonly maxMessageBytes: number;
  readonly quotaBytes: number;
  readonly folderNames: Readonly<Record<FolderRole, string>>;
  /** Domains whose look-alikes are flagged (SESAME_PROTECTED_DOMAINS). */
  readonly protectedDomains: readonly string[];
  /** Told after each commit which accounts' mail changed (IMAP's IDLE); none: nobody listens. */
  readonly events?: MailEvents;
}

/** A message parsed for storage, before its transaction. */
interface PreparedMessage {
  readonly size: number;
  readonly parsed: StoredHeaders;
  readonly sent: Date;
  readonly received: Date;
  readonly related: readonly string[];
  readonly fields: { sender: string; recipients: string; subject: string; body: string };
  readonly warnings: string;
  readonly imitates: string | null;
  readonly spamScore: number | null;
}

/** A message the reception answered `250` before, stored now (MailService.storeAccepted). */
export interface AcceptedMessage {
  /** When it was answered. */
  readonly receivedAt: Date;
  /** Runs first in the storing transaction (claims the intake's row); throwing stores nothing. */
  readonly take: (trx: Transaction<Schema>) => Promise<void>;
  /** Its analysis, already made (on a worker thread); without it, made on this thread. */
  readonly analysis?: StorageAnalysis;
}

/** One of the messages `storeAcceptedMany` stores. */
export interface AcceptedDelivery {
  readonly raw: Buffer;
  readonly recipients: readonly Recipient[];
  readonly meta: DeliveryMeta;
  readonly accepted: AcceptedMessage;
}

/** A delivery worked out before its transaction: the message read, its accounts and their folder. */
interface ReadyDelivery {
  readonly prepared: PreparedMessage;
  readonly accounts: readonly number[];
  /** Each account's inbox, or Indésirables for a message the checks put there. */
  readonly folders: ReadonlyMap<number, number>;
}

/** The forwarded local copies of a delivery plan, ready for the transaction. */
interface Prepared {
  readonly copies: { accountId: number; inboxId: number; prepared: PreparedMessage; raw: Buffer }[];
}

const PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;
const MAX_IDS = 1000;
const MAX_FOLDERS = 500;
const MAX_DEPTH = 8;
const MAX_SEARCH_WORDS = 12;
/** A Date header further in the future than this is not believed (the arrival time is shown). */
const FUTURE_SLACK_MS = 24 * 3_600_000;

/** The words of a search, as the index holds them (at most MAX_SEARCH_WORDS): the webmail's and IMAP's. */
export function searchWords(value: string | undefined): string[] {
  return words(value);
}

function words(value: string | undefined): string[] {
  if (!value) return [];
  const out = indexWords(value).split(" ").filter(Boolean);
  return [...new Set(out)].slice(0, MAX_SEARCH_WORDS);
}

/** A list line; `academie`: the académie's domains, for the sender's display (sender-display.ts). */
/** The warnings column as the list and the reading view take it. */
function warningsOf(value: string): SenderWarning[] {
  return value === ""
    ? []
    : (value.split(",").filter((w) => (SENDER_WARNINGS as readonly string[]).includes(w)) as SenderWarning[]);
}

function summaryOf(row: MessageRow, academie: readonly string[]): MessageSummary {
  const from = row.from_address || row.from_name ? { name: row.from_name, address: row.from_address } : null;
  return {
    id: row.id,
    folderId: row.folder_id,
    from,
    sender: from ? describeSender(from, academie) : null,
    to: row.to_text,
    subject: row.subject,
    date: new Date(row.sent_at),
    receivedAt: new Date(row.received_at),
    sizeBytes: row.size,
    hasAttachments: row.has_attachments === 1,
    preview: row.preview,
    flags: {
      seen: row.seen === 1,
      answered: row.answered === 1,
      flagged: row.flagged === 1,
      draft: row.draft === 1,
    },
    warnings: warningsOf(row.warnings),
    imitates: row.imitates,
  };
}

function validIds(ids: readonly number[]): number[] {
  const unique = [...new Set(ids)];
  if (unique.length > MAX_IDS || unique.some((id) => !Number.isSafeInteger(id) || id <= 0)) {
    throw new DomainError("VALIDATION_FAILED", "invalid message ids");
  }
  return unique;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are refused
const FOLDER_NAME_FORBIDDEN = /[/\\\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function validFolderName(name: string): string {
  const cleaned = name.normalize("NFC").trim();
  if (cleaned.length < 1 || cleaned.length > 100 || FOLDER_NAME_FORBIDDEN.test(cleaned)) {
    throw new DomainError(
      "INVALID_FOLDER_NAME",
      "a folder name has 1 to 100 characters, without / or control characters",
    );
  }
  return cleaned;
}

/** A quarantine's or release's options: `dryRun` counts only; `within` runs in its transaction (the audit entry). */
interface MoveCopiesOptions {
  readonly dryRun?: boolean;
  readonly within?: (trx: Transaction<Schema>, result: QuarantineResult) => Promise<void>;
}

export class MailService implements MailApi {
  readonly maxMessageBytes: number;
  readonly #deps: MailDeps;
  readonly #academie: readonly string[];
  #rules: DeliveryRules | null = null;

  constructor(deps: MailDeps) {
    this.#deps = deps;
    this.#academie = academieDomains(deps.mailDomain, deps.internalDomains);
    this.maxMessageBytes = deps.maxMessageBytes;
  }

  #now(): string {
    return this.#deps.clock.now().toISOString();
  }

  // Reception

  async checkRecipient(address: string, sizeHint?: number): Promise<Recipient> {
    const clean = address.trim().toLowerCase();
    const at = clean.lastIndexOf("@");
    if (at <= 0 || clean.slice(at + 1) !== this.#deps.mailDomain || clean.length > 320) {
      throw new DomainError("RECIPIENT_UNKNOWN", "not an address of the mail domain");
    }
    const account = await this.#deps.directory.findAccount(clean);
    if (!account || account.address.toLowerCase() !== clean || !isUsable(account)) {
      throw new DomainError("RECIPIENT_UNKNOWN", "no active account has this address");
    }
    const used = await repo.usedBytes(this.#deps.db, account.id);
    if (used + Math.max(0, sizeHint ?? 0) > this.#deps.quotaBytes || used >= this.#deps.quotaBytes) {
      throw new DomainError("QUOTA_EXCEEDED", "the mailbox is full", { address: account.address });
    }
    return { accountId: account.id, address: account.address };
  }

  /**
   * The recipients' settings applied to a local delivery (forwarding, away message): set once at
   * start-up (settings.service.ts), after this service exists.
   */
  useRules(rules: DeliveryRules): void {
    this.#rules = rules;
  }

  async #planOf(raw: Buffer, recipients: readonly Recipient[], meta: DeliveryMeta): Promise<DeliveryPlan | null> {
    if (!this.#rules || meta.rules === false || meta.inbound?.placement === "junk" || recipients.length === 0) {
      return null;
    }
    return this.#rules.plan(raw, recipients, meta);
  }

  /** The away messages, after the commit; a failure there never fails the delivery. */
  async #afterDelivery(raw: Buffer, recipients: readonly Recipient[], meta: DeliveryMeta): Promise<void> {
    if (!this.#rules || meta.rules === false || meta.inbound?.placement === "junk" || recipients.length === 0) return;
    await this.#rules.delivered(raw, recipients, meta);
  }

  /**
   * Runs `write` with the plan, in one durable transaction; when that fails and there was a plan,
   * runs it again without (the message kept in every inbox, nothing forwarded): the settings never
   * cost a message. A failure of the message itself (quota) fails both and is thrown.
   */
  async #withPlan<T>(
    plan: DeliveryPlan | null,
    recipients: readonly Recipient[],
    write: (plan: DeliveryPlan | null) => Promise<{
      prepared: Prepared;
      /** Every account `run` stores a message for (their quotas are locked first). */
      accounts: readonly number[];
      run: (trx: Transaction<Schema>) => Promise<T>;
    }>,
  ): Promise<T> {
    const attempt = async (p: DeliveryPlan | null) => {
      const { prepared, accounts, run } = await write(p);
      const touched = [...accounts, ...prepared.copies.map((c) => c.accountId)];
      const out = await repo.durably(this.#deps.db, this.#deps.dialect, async (trx) => {
        await repo.lockAccounts(trx, this.#deps.dialect, touched);
        const out = await run(trx);
        for (const copy of prepared.copies) {
          const blobId = await repo.insertBlob(trx, copy.raw);
          await this.#insertIn(trx, copy.accountId, copy.inboxId, copy.prepared, blobId, {});
        }
        if (p?.within) await p.within(trx);
        return out;
      });
      this.#changed(touched);
      return out;
    };
    if (!plan) return attempt(null);
    let result: T;
    try {
      result = await attempt(plan);
    } catch (error) {
      this.#rules?.failed(error, recipients);
      return attempt(null);
    }
    plan.committed();
    return result;
  }

  /** The forwarded local copies of a plan, parsed and with their inbox, before the transaction. */
  async #prepareCopies(plan: DeliveryPlan | null): Promise<Prepared> {
    const copies: Prepared["copies"] = [];
    for (const copy of plan?.localCopies ?? []) {
      copies.push({
        accountId: copy.recipient.accountId,
        inboxId: await this.#folderId(copy.recipient.accountId, "inbox"),
        prepared: await this.#prepare(copy.raw),
        raw: copy.raw,
      });
    }
    return { copies };
  }

  async deliver(raw: Buffer, recipients: readonly Recipient[], meta: DeliveryMeta = {}): Promise<DeliveryResult> {
    return this.#deliver(raw, recipients, meta, null);
  }

  /**
   * Stores a message the reception already answered `250` (the intake, intake.ts), as `deliver`
   * does but for two things: `take(trx)` runs first in the delivery's transaction (it claims the
   * intake's row: the message is stored once, and a `take` that throws stores nothing), and the
   * quota, checked when the message was accepted, is not checked again (a message accepted is never
   * refused afterwards; a burst may take a mailbox past its quota by what it accepted).
   */
  async storeAccepted(
    raw: Buffer,
    recipients: readonly Recipient[],
    meta: DeliveryMeta,
    accepted: AcceptedMessage,
  ): Promise<DeliveryResult> {
    return this.#deliver(raw, recipients, meta, accepted);
  }

  /**
   * Stores several messages the reception answered `250` before (the intake's), as `storeAccepted`
   * does each, but in one transaction: one commit (and on SQLite one group sync) for all, which is
   * most of a small store's cost. A message its recipients' settings act on (forwarding) is stored
   * alone, as is every message when the shared transaction fails (a `take` that throws, the
   * database): the results say, per message and in order, what became of it.
   */
  async storeAcceptedMany(items: readonly AcceptedDelivery[]): Promise<PromiseSettledResult<DeliveryResult>[]> {
    const results: PromiseSettledResult<DeliveryResult>[] = new Array(items.length);
    const alone: number[] = [];
    const together: { index: number; item: AcceptedDelivery; ready: ReadyDelivery }[] = [];
    for (const [index, item] of items.entries()) {
      try {
        if (await this.#planOf(item.raw, item.recipients, item.meta)) alone.push(index);
        else
          together.push({ index, item, ready: await this.#ready(item.raw, item.recipients, item.meta, item.accepted) });
      } catch (error) {
        results[index] = { status: "rejected", reason: error };
      }
    }
    if (together.length > 0) {
      const touched = [...new Set(together.flatMap((t) => t.ready.accounts))];
      let ids: number[][] | null = null;
      try {
        ids = await repo.durably(this.#deps.db, this.#deps.dialect, async (trx) => {
          await repo.lockAccounts(trx, this.#deps.dialect, touched);
          const out: number[][] = [];
          for (const { item, ready } of together) {
            await item.accepted.take(trx);
            out.push(await this.#writeCopies(trx, item.raw, ready.accounts, ready, "accepted"));
          }
          return out;
        });
      } catch {
        // Nothing of the shared transaction was written: each on its own, each with its own outcome.
        for (const t of together) alone.push(t.index);
      }
      if (ids) {
        this.#changed(touched);
        for (const [k, { index, item }] of together.entries()) {
          results[index] = { status: "fulfilled", value: { messageIds: ids[k] ?? [] } };
          await this.#afterDelivery(item.raw, item.recipients, item.meta);
        }
      }
    }
    for (const index of alone.sort((a, b) => a - b)) {
      const { raw, recipients, meta, accepted } = items[index] as AcceptedDelivery;
      results[index] = await this.storeAccepted(raw, recipients, meta, accepted).then(
        (value): PromiseSettledResult<DeliveryResult> => ({ status: "fulfilled", value }),
        (reason: unknown): PromiseSettledResult<DeliveryResult> => ({ status: "rejected", reason }),
      );
    }
    return results;
  }

  /** `accepted`: a message answered 250 before (storeAccepted); null for a delivery of now. */
  async #deliver(
    raw: Buffer,
    recipients: readonly Recipient[],
    meta: DeliveryMeta,
    accepted: AcceptedMessage | null,
  ): Promise<DeliveryResult> {
    const ready = await this.#ready(raw, recipients, meta, accepted);
    const quota = accepted ? "accepted" : "enforced";
    const plan = await this.#planOf(raw, recipients, meta);
    const messageIds = await this.#withPlan(plan, recipients, async (p) => ({
      prepared: await this.#prepareCopies(p),
      accounts: ready.accounts,
      run: async (trx) => {
        if (accepted) await accepted.take(trx);
        const kept = ready.accounts.filter((id) => !p?.skipInbox.has(id));
        return this.#writeCopies(trx, raw, kept, ready, quota);
      },
    }));
    await this.#afterDelivery(raw, recipients, meta);
    return { messageIds };
  }

  /** Checks a delivery and works out what it writes, before its transaction. */
  async #ready(
    raw: Buffer,
    recipients: readonly Recipient[],
    meta: DeliveryMeta,
    accepted: AcceptedMessage | null,
  ): Promise<ReadyDelivery> {
    if (recipients.length === 0) throw new DomainError("VALIDATION_FAILED", "no recipient");
    if (raw.length > this.maxMessageBytes) throw new DomainError("MESSAGE_TOO_LARGE", "the message is too large");
    const parsed = await this.#prepare(raw, meta, accepted?.analysis);
    const prepared = accepted ? { ...parsed, received: accepted.receivedAt } : parsed;
    const accounts = [...new Set(recipients.map((r) => r.accountId))];
    const role = meta.inbound?.placement === "junk" ? "junk" : "inbox";
    const folders = new Map<number, number>();
    for (const accountId of accounts) folders.set(accountId, await this.#folderId(accountId, role));
    return { prepared, accounts, folders };
  }

  /** One blob for the message and a copy of it for each of `accounts`, in their folder; the copies' ids. */
  async #writeCopies(
    trx: Transaction<Schema>,
    raw: Buffer,
    accounts: readonly number[],
    ready: ReadyDelivery,
    quota: "enforced" | "accepted",
  ): Promise<number[]> {
    const ids: number[] = [];
    if (accounts.length === 0) return ids;
    const blobId = await repo.insertBlob(trx, raw);
    for (const accountId of accounts) {
      ids.push(
        await this.#insertIn(trx, accountId, ready.folders.get(accountId) ?? 0, ready.prepared, blobId, {}, quota),
      );
    }
    return ids;
  }

  /**
   * Parses a message once, outside any transaction: what its rows and its index entry need, and
   * for mail from outside what its sender warrants (storage-analysis.ts). `analysis`: already made
   * (on a worker thread, for the intake's stores).
   */
  async #prepare(raw: Buffer, meta: DeliveryMeta = {}, analysis?: StorageAnalysis): Promise<PreparedMessage> {
    const { parsed, fields, warnings, imitates } =
      analysis ??
      (await analyseForStorage(raw, meta.inbound ?? null, {
        academieDomains: this.#academie,
        protectedDomains: this.#deps.protectedDomains,
      }));
    const now = this.#deps.clock.now();
    const sent =
      parsed.date && parsed.date.getTime() > 0 && parsed.date.getTime() < now.getTime() + FUTURE_SLACK_MS
        ? parsed.date
        : now;
    return {
      size: raw.length,
      parsed,
      sent,
      received: now,
      related: [...(parsed.inReplyTo ? [parsed.inReplyTo] : []), ...parsed.references],
      fields,
      warnings,
      imitates,
      spamScore: meta.inbound?.spamScore ?? null,
    };
  }

  /**
   * Stores one copy in one folder of one account, within the quota, counters and index included.
   * The caller has locked the account (`lockAccounts`) in this transaction: the quota read here
   * stays true until the commit.
   */
  async #insertIn(
    trx: Transaction<Schema>,
    accountId: number,
    folderId: number,
    m: PreparedMessage,
    blobId: number,
    flags: { seen?: boolean; draft?: boolean; answered?: boolean; flagged?: boolean; keywords?: string },
    /** "accepted": a message answered 250 before (storeAccepted), stored whatever the quota now. */
    quota: "enforced" | "accepted" = "enforced",
  ): Promise<number> {
    if (quota === "enforced") {
      const used = await repo.usedBytes(trx, accountId);
      if (used + m.size > this.#deps.quotaBytes) {
        throw new DomainError("QUOTA_EXCEEDED", "the mailbox is full", { accountId });
      }
    }
    const { parsed } = m;
    const id = await repo.insertMessage(trx, {
      accountId,
      folderId,
      blobId,
      threadId: await repo.threadOf(trx, accountId, m.related),
      messageId: parsed.messageId,
      inReplyTo: parsed.inReplyTo,
      refs: parsed.references.join(" "),
      fromName: parsed.from?.name ?? "",
      fromAddress: parsed.from?.address ?? "",
      toText: parsed.toText,
      subject: parsed.subject,
      sentAt: m.sent.toISOString(),
      receivedAt: m.received.toISOString(),
      size: m.size,
      hasAttachments: parsed.hasAttachments,
      preview: parsed.preview,
      seen: flags.seen === true,
      draft: flags.draft === true,
      answered: flags.answered === true,
      flagged: flags.flagged === true,
      keywords: flags.keywords ?? "",
      warnings: m.warnings,
      imitates: m.imitates,
      spamScore: m.spamScore,
    });
    await repo.index(trx, this.#deps.dialect, id, accountId, m.fields);
    await repo.bumpFolder(trx, folderId, 1, flags.seen ? 0 : 1, m.size);
    return id;
  }

  /** Deletes for good the account's message `id` when it is in the folder `folderId` (else nothing). */
  async #destroyIfIn(trx: Transaction<Schema>, accountId: number, id: number, folderId: number): Promise<void> {
    if (!Number.isSafeInteger(id) || id <= 0) return;
    const rows = (await repo.owned(trx, accountId, [id])).filter((r) => r.folder_id === folderId);
    await this.#destroy(trx, folderId, rows);
  }

  /**
   * Stores a message the account wrote in one of its special folders (Envoyés, Brouillons), counted
   * in its quota. `replaces`: a draft of Brouillons deleted for good in the same transaction (a
   * message elsewhere is never touched).
   */
  async storeInFolder(
    accountId: number,
    role: FolderRole,
    raw: Buffer,
    flags: { seen?: boolean; draft?: boolean },
    options: { replaces?: number } = {},
  ): Promise<number> {
    if (raw.length > this.maxMessageBytes) throw new DomainError("MESSAGE_TOO_LARGE", "the message is too large");
    const prepared = await this.#prepare(raw);
    const folderId = await this.#folderId(accountId, role);
    const draftsId = options.replaces !== undefined ? await this.#folderId(accountId, "drafts") : 0;
    const id = await repo.durably(this.#deps.db, this.#deps.dialect, async (trx) => {
      await repo.lockAccounts(trx, this.#deps.dialect, [accountId]);
      if (options.replaces !== undefined) await this.#destroyIfIn(trx, accountId, options.replaces, draftsId);
      const blobId = await repo.insertBlob(trx, raw);
      return this.#insertIn(trx, accountId, folderId, prepared, blobId, flags);
    });
    this.#changed([accountId]);
    return id;
  }

  /**
   * Stores a message a mail client gives (IMAP APPEND) in one of the account's folders, within the
   * quota, with the flags and the arrival time it asks for. Gives the new message's id.
   */
  async append(
    accountId: number,
    folderId: number,
    raw: Buffer,
    flags: { seen?: boolean; answered?: boolean; flagged?: boolean; draft?: boolean; keywords?: string },
    receivedAt: Date | null,
  ): Promise<number> {
    if (raw.length === 0) throw new DomainError("VALIDATION_FAILED", "empty message");
    if (raw.length > this.maxMessageBytes) throw new DomainError("MESSAGE_TOO_LARGE", "the message is too large");
    const folder = await repo.folder(this.#deps.db, accountId, folderId);
    if (!folder) throw new DomainError("NOT_FOUND", `no folder #${folderId}`);
    const base = await this.#prepare(raw);
    const prepared = receivedAt ? { ...base, received: receivedAt } : base;
    const id = await repo.durably(this.#deps.db, this.#deps.dialect, async (trx) => {
      await repo.lockAccounts(trx, this.#deps.dialect, [accountId]);
      const blobId = await repo.insertBlob(trx, raw);
      return this.#insertIn(trx, accountId, folderId, prepared, blobId, flags);
    });
    this.#changed([accountId]);
    return id;
  }

  /**
   * Copies the account's messages among `ids` into one of its folders (IMAP COPY): new rows sharing
   * the stored body, counted in the quota, flags and keywords kept. Gives the new ids, in the order of
   * the originals' ids.
   */
  async copy(accountId: number, ids: readonly number[], folderId: number): Promise<number[]> {
    const wanted = validIds(ids);
    const folder = await repo.folder(this.#deps.db, accountId, folderId);
    if (!folder) throw new DomainError("NOT_FOUND", `no folder #${folderId}`);
    const out = await repo.durably(this.#deps.db, this.#deps.dialect, async (trx) => {
      await repo.lockAccounts(trx, this.#deps.dialect, [accountId]);
      const made: number[] = [];
      for (const id of [...wanted].sort((a, b) => a - b)) {
        const row = await repo.message(trx, accountId, id);
        if (!row) continue;
        const raw = await repo.blob(trx, row.blob_id);
        if (!raw) continue;
        const prepared = { ...(await this.#prepare(raw)), received: new Date(row.received_at) };
        made.push(
          await this.#insertIn(trx, accountId, folderId, prepared, row.blob_id, {
            seen: row.seen === 1,
            answered: row.answered === 1,
            flagged: row.flagged === 1,
            draft: row.draft === 1,
            keywords: row.keywords,
          }),
        );
      }
      return made;
    });
    this.#changed([accountId]);
    return out;
  }

  /**
   * Deletes for good the messages of a folder marked deleted (IMAP EXPUNGE), or only those among `ids`
   * (UID EXPUNGE). Gives the ids removed.
   */
  async expunge(accountId: number, folderId: number, ids?: readonly number[]): Promise<number[]> {
    const folder = await repo.folder(this.#deps.db, accountId, folderId);
    if (!folder) throw new DomainError("NOT_FOUND", `no folder #${folderId}`);
    const removed = await repo.transaction(this.#deps.db, async (trx) => {
      const marked = await repo.markedDeleted(trx, folderId);
      const only = ids ? new Set(ids) : null;
      const rows = only ? marked.filter((r) => only.has(r.id)) : marked;
      await this.#destroy(trx, folderId, rows);
      return rows.map((r) => r.id);
    });
    if (removed.length > 0) this.#changed([accountId]);
    return removed;
  }

  /** Adds, removes or sets the keywords ($Forwarded, $Junk…) of the account's messages. */
  async setKeywords(
    accountId: number,
    ids: readonly number[],
    mode: "add" | "remove" | "set",
    keywords: readonly string[],
  ): Promise<void> {
    const wanted = validIds(ids);
    for (const k of keywords) {
      if (!/^[!#$&'+\-.0-9:;<=>?@A-Z^_`a-z|~]{1,64}$/.test(k))
        throw new DomainError("VALIDATION_FAILED", "bad keyword");
    }
    await repo.transaction(this.#deps.db, async (trx) => {
      const rows = await repo.keywordsOf(trx, accountId, wanted);
      const changes: { id: number; folder_id: number; keywords: string }[] = [];
      for (const r of rows) {
        const now = new Set(r.keywords.split(" ").filter(Boolean));
        const next = mode === "set" ? new Set(keywords) : new Set(now);
        if (mode === "add") for (const k of keywords) next.add(k);
        if (mode === "remove") for (const k of keywords) next.delete(k);
        const text = [...next].join(" ");
        if (text.length > 1000) throw new DomainError("VALIDATION_FAILED", "too many keywords");
        if (text !== r.keywords) changes.push({ id: r.id, folder_id: r.folder_id, keywords: text });
      }
      await repo.setKeywords(trx, changes);
    });
    this.#changed([accountId]);
  }

  /** The Message-ID, References and subject of a message of the account (to answer it). */
  /** The account's (non-draft) message with this Message-ID header, or null. */
  messageByMessageId(accountId: number, messageId: string): Promise<number | null> {
    return repo.idByMessageId(this.#deps.db, accountId, messageId);
  }

  async threading(
    accountId: number,
    messageId: number,
  ): Promise<{ messageId: string | null; inReplyTo: string | null; references: string[]; subject: string }> {
    const row = await this.#record(accountId, messageId);
    return {
      messageId: row.message_id,
      inReplyTo: row.in_reply_to,
      references: row.refs.split(" ").filter(Boolean),
      subject: row.subject,
    };
  }

  /**
   * Everything a sending writes, in ONE durable transaction (all or nothing): the delivery to the
   * local recipients (`local`, one body for all), the sender's copy in Envoyés (seen), the answered
   * flag on the message answered, the removal of the draft it was written from, and `within` (the
   * outbound queue's rows and the audit entry, written by their own modules on this transaction).
   */
  async recordSending(input: {
    readonly accountId: number;
    readonly sentCopy: Buffer;
    readonly local: {
      readonly raw: Buffer;
      readonly recipients: readonly Recipient[];
      /** The envelope sender (the sending account's address), for the recipients' away messages. */
      readonly envelopeFrom?: string;
    } | null;
    readonly answeredId?: number;
    readonly draftId?: number;
    readonly within?: (trx: Transaction<Schema>) => Promise<void>;
  }): Promise<{ sentCopyId: number; deliveredIds: number[] }> {
    const { accountId } = input;
    if (input.sentCopy.length > this.maxMessageBytes || (input.local?.raw.length ?? 0) > this.maxMessageBytes) {
      throw new DomainError("MESSAGE_TOO_LARGE", "the message is too large");
    }
    const sentPrepared = await this.#prepare(input.sentCopy);
    const localPrepared = input.local ? await this.#prepare(input.local.raw) : null;
    const sentFolder = await this.#folderId(accountId, "sent");
    const draftsFolder = input.draftId !== undefined ? await this.#folderId(accountId, "drafts") : 0;
    const recipients = input.local?.recipients ?? [];
    const accounts = [...new Set(recipients.map((r) => r.accountId))];
    const inboxes = new Map<number, number>();
    for (const id of accounts) inboxes.set(id, await this.#folderId(id, "inbox"));
    const meta: DeliveryMeta =
      input.local?.envelopeFrom !== undefined ? { envelopeFrom: input.local.envelopeFrom } : {};
    const plan = input.local ? await this.#planOf(input.local.raw, recipients, meta) : null;
    const result = await this.#withPlan(plan, recipients, async (p) => ({
      prepared: await this.#prepareCopies(p),
      accounts: [...accounts, accountId],
      run: async (trx) => {
        const deliveredIds: number[] = [];
        const kept = accounts.filter((id) => !p?.skipInbox.has(id));
        if (input.local && localPrepared && kept.length > 0) {
          const blobId = await repo.insertBlob(trx, input.local.raw);
          for (const id of kept) {
            deliveredIds.push(await this.#insertIn(trx, id, inboxes.get(id) ?? 0, localPrepared, blobId, {}));
          }
        }
        const sentBlob = await repo.insertBlob(trx, input.sentCopy);
        const sentCopyId = await this.#insertIn(trx, accountId, sentFolder, sentPrepared, sentBlob, { seen: true });
        if (input.answeredId !== undefined) {
          const owned = await repo.owned(trx, accountId, [input.answeredId]);
          await repo.setFlag(
            trx,
            owned.map((r) => r.id),
            "answered",
            true,
          );
        }
        if (input.draftId !== undefined) await this.#destroyIfIn(trx, accountId, input.draftId, draftsFolder);
        if (input.within) await input.within(trx);
        return { sentCopyId, deliveredIds };
      },
    }));
    if (input.local) await this.#afterDelivery(input.local.raw, recipients, meta);
    return result;
  }

  // Folders

  async #ensureFolders(accountId: number): Promise<FolderRow[]> {
    let rows = await repo.folders(this.#deps.db, accountId);
    if (FOLDER_ROLES.every((role) => rows.some((r) => r.role === role))) return rows;
    const missing = FOLDER_ROLES.filter((role) => !rows.some((r) => r.role === role));
    await repo.createSpecialFolders(
      this.#deps.db,
      accountId,
      missing.map((role) => ({ role, name: this.#deps.folderNames[role] })),
      this.#now(),
    );
    rows = await repo.folders(this.#deps.db, accountId);
    return rows;
  }

  async #folderId(accountId: number, role: FolderRole): Promise<number> {
    const id = await repo.folderIdByRole(this.#deps.db, accountId, role);
    if (id !== null) return id;
    const rows = await this.#ensureFolders(accountId);
    const row = rows.find((r) => r.role === role);
    if (!row) throw new Error(`the ${role} folder of account #${accountId} could not be created`);
    return row.id;
  }

  /** The account's folders as stored (IMAP's UIDVALIDITY, UIDNEXT, MODSEQ included), special ones made. */
  storedFolders(accountId: number): Promise<FolderRow[]> {
    return this.#ensureFolders(accountId);
  }

  async folders(accountId: number): Promise<Folder[]> {
    const rows = await this.#ensureFolders(accountId);
    const children = new Map<number | null, FolderRow[]>();
    for (const row of rows) {
      const list = children.get(row.parent_id) ?? [];
      list.push(row);
      children.set(row.parent_id, list);
    }
    const order = (a: FolderRow, b: FolderRow) => {
      const ra = a.role ? FOLDER_ROLES.indexOf(a.role as FolderRole) : 99;
      const rb = b.role ? FOLDER_ROLES.indexOf(b.role as FolderRole) : 99;
      return ra - rb || a.name.localeCompare(b.name, "fr", { sensitivity: "base" }) || a.id - b.id;
    };
    const out: Folder[] = [];
    const walk = (parent: number | null, depth: number) => {
      for (const row of (children.get(parent) ?? []).sort(order)) {
        out.push({
          id: row.id,
          name: row.name,
          role: (row.role as FolderRole | null) ?? null,
          parentId: row.parent_id,
          depth,
          total: row.message_count,
          unread: row.unread_count,
          sizeBytes: Number(row.size_bytes),
        });
        walk(row.id, depth + 1);
      }
    };
    walk(null, 0);
    return out;
  }

  async overview(accountId: number): Promise<MailboxOverview> {
    const [account, folders] = await Promise.all([
      this.#deps.directory.getAccountById(accountId),
      this.folders(accountId),
    ]);
    // The quota is the sum of the folder counters just read: no second query.
    const usedBytes = folders.reduce((sum, f) => sum + f.sizeBytes, 0);
    return {
      owner: { name: `${account.holder.prenom} ${account.holder.nom}`, address: account.address },
      folders,
      quota: { usedBytes, limitBytes: this.#deps.quotaBytes },
    };
  }

  async folderByRole(accountId: number, role: FolderRole): Promise<Folder> {
    const folder = (await this.folders(accountId)).find((f) => f.role === role);
    if (!folder) throw new DomainError("NOT_FOUND", `no ${role} folder`);
    return folder;
  }

  async #userFolder(accountId: number, folderId: number): Promise<FolderRow> {
    const row = await repo.folder(this.#deps.db, accountId, folderId);
    if (!row) throw new DomainError("NOT_FOUND", `no folder #${folderId}`);
    if (row.role !== null) throw new DomainError("FOLDER_PROTECTED", "special folders cannot be renamed or deleted");
    return row;
  }

  #checkSiblings(rows: readonly FolderRow[], parentId: number | null, name: string, except?: number): void {
    const taken = rows.some(
      (r) =>
        r.parent_id === parentId &&
        r.id !== except &&
        r.name.localeCompare(name, "fr", { sensitivity: "accent" }) === 0,
    );
    if (taken) throw new DomainError("FOLDER_EXISTS", "a folder of that name exists there");
  }

  async createFolder(accountId: number, name: string, parentId: number | null): Promise<Folder> {
    const clean = validFolderName(name);
    const rows = await this.#ensureFolders(accountId);
    if (rows.length >= MAX_FOLDERS) throw new DomainError("VALIDATION_FAILED", "too many folders");
    if (parentId !== null) {
      const parent = rows.find((r) => r.id === parentId);
      if (!parent) throw new DomainError("NOT_FOUND", `no folder #${parentId}`);
      let depth = 1;
      for (let p: FolderRow | undefined = parent; p?.parent_id != null; p = rows.find((r) => r.id === p?.parent_id)) {
        depth++;
      }
      if (depth >= MAX_DEPTH) throw new DomainError("VALIDATION_FAILED", "folders nested too deep");
    }
    const id = await repo.transaction(this.#deps.db, async (trx) => {
      this.#checkSiblings(await repo.folders(trx, accountId), parentId, clean);
      return repo.insertFolder(trx, accountId, parentId, clean, this.#now());
    });
    this.#changed([accountId]);
    const folder = (await this.folders(accountId)).find((f) => f.id === id);
    if (!folder) throw new Error("the new folder vanished");
    return folder;
  }

  async renameFolder(accountId: number, folderId: number, name: string): Promise<void> {
    const clean = validFolderName(name);
    const row = await this.#userFolder(accountId, folderId);
    await repo.transaction(this.#deps.db, async (trx) => {
      this.#checkSiblings(await repo.folders(trx, accountId), row.parent_id, clean, row.id);
      await repo.renameFolder(trx, folderId, clean);
    });
    this.#changed([accountId]);
  }

  async deleteFolder(accountId: number, folderId: number): Promise<void> {
    await this.#userFolder(accountId, folderId);
    const trashId = await this.#folderId(accountId, "trash");
    await repo.transaction(this.#deps.db, async (trx) => {
      const rows = await repo.folders(trx, accountId);
      // The folder and its descendants, deepest first.
      const doomed: FolderRow[] = [];
      const collect = (id: number) => {
        for (const child of rows.filter((r) => r.parent_id === id)) collect(child.id);
        const self = rows.find((r) => r.id === id);
        if (self) doomed.push(self);
      };
      collect(folderId);
      for (const folder of doomed) {
        for (;;) {
          const ids = await repo.idsInFolder(trx, folder.id, 500);
          if (ids.length === 0) break;
          await this.#moveWithin(trx, accountId, ids, trashId);
        }
        await repo.deleteFolder(trx, folder.id);
      }
    });
    this.#changed([accountId]);
  }

  // Lists and reading

  async list(accountId: number, folderId: number, cursor: number | null, limit = PAGE_SIZE): Promise<MessagePage> {
    const size = await this.#folderPage(accountId, folderId, cursor, limit);
    const rows = await repo.page(this.#deps.db, folderId, cursor, size + 1);
    return this.#pageOf(rows, size);
  }

  async listConversations(
    accountId: number,
    folderId: number,
    cursor: number | null,
    limit = PAGE_SIZE,
  ): Promise<ConversationPage> {
    const size = await this.#folderPage(accountId, folderId, cursor, limit);
    const rows = await repo.conversationPage(this.#deps.db, folderId, cursor, size + 1);
    const items: ConversationSummary[] = rows.slice(0, size).map((row) => ({
      ...summaryOf(row, this.#academie),
      threadCount: row.thread_count,
      threadUnread: row.thread_unread,
    }));
    const last = items.at(-1);
    return { items, nextCursor: rows.length > size && last ? last.id : null };
  }

  /** A page of one of the account's folders: checks the cursor and the folder; the page's size. */
  async #folderPage(accountId: number, folderId: number, cursor: number | null, limit: number): Promise<number> {
    const size = Math.min(Math.max(1, limit), MAX_PAGE_SIZE);
    if (cursor !== null && (!Number.isSafeInteger(cursor) || cursor <= 0)) {
      throw new DomainError("VALIDATION_FAILED", "invalid cursor");
    }
    const folder = await repo.folder(this.#deps.db, accountId, folderId);
    if (!folder) throw new DomainError("NOT_FOUND", `no folder #${folderId}`);
    return size;
  }

  #pageOf(rows: MessageRow[], size: number): MessagePage {
    const items = rows.slice(0, size).map((row) => summaryOf(row, this.#academie));
    const last = items.at(-1);
    return { items, nextCursor: rows.length > size && last ? last.id : null };
  }

  async #record(accountId: number, messageId: number) {
    if (!Number.isSafeInteger(messageId) || messageId <= 0) throw new DomainError("NOT_FOUND", "no such message");
    const row = await repo.message(this.#deps.db, accountId, messageId);
    if (!row) throw new DomainError("NOT_FOUND", `no message #${messageId}`);
    return row;
  }

  async #rawOf(blobId: number): Promise<Buffer> {
    const raw = await repo.blob(this.#deps.db, blobId);
    if (!raw) throw new Error(`the body #${blobId} is missing`);
    return raw;
  }

  async open(accountId: number, messageId: number, options: { markSeen?: boolean } = {}): Promise<MessageView> {
    const row = await this.#record(accountId, messageId);
    if (options.markSeen !== false && row.seen === 0) {
      await this.setFlags(accountId, [row.id], { seen: true });
      row.seen = 1;
    }
    const raw = await this.#rawOf(row.blob_id);
    let parsed: Awaited<ReturnType<typeof readForDisplay>> | null = null;
    try {
      parsed = await readForDisplay(raw);
    } catch {
      // Stored, but unreadable now (time limit): the headers kept at delivery are still shown.
      parsed = null;
    }
    const thread = (await repo.thread(this.#deps.db, accountId, row.thread_id))
      .filter((r) => r.id !== row.id)
      .map((r) => summaryOf(r, this.#academie));
    const summary = summaryOf(row, this.#academie);
    const replyTo = parsed?.replyTo ?? [];
    return {
      ...summary,
      toList: parsed?.toList ?? [],
      ccList: parsed?.ccList ?? [],
      replyTo,
      repliesGoTo: repliesElsewhere(summary.from, replyTo).map((m) => describeSender(m, this.#academie)),
      messageId: row.message_id,
      text: parsed?.text ?? null,
      hasHtml: parsed?.html != null,
      remoteContentBlocked:
        parsed?.html != null && sanitizeMailHtml(parsed.html, { allowRemote: false }).blockedRemoteContent,
      attachments: (parsed?.attachments ?? []).map(({ content: _content, ...a }) => a),
      thread,
    };
  }

  async htmlBody(
    accountId: number,
    messageId: number,
    options: { allowRemote: boolean; guardLink?: (href: string) => string },
  ): Promise<SafeHtmlBody> {
    const row = await this.#record(accountId, messageId);
    const parsed = await readForDisplay(await this.#rawOf(row.blob_id));
    if (parsed.html === null) throw new DomainError("NOT_FOUND", "the message has no HTML body");
    // The interstitial page only for the links of a message whose sender warrants care.
    const guard = options.guardLink && isFlagged(summaryOf(row, this.#academie).warnings) ? options.guardLink : null;
    return sanitizeMailHtml(parsed.html, { allowRemote: options.allowRemote, ...(guard ? { guardLink: guard } : {}) });
  }

  async links(accountId: number, messageId: number): Promise<MessageLinks> {
    const row = await this.#record(accountId, messageId);
    const parsed = await readForDisplay(await this.#rawOf(row.blob_id));
    const urls = new Set(textLinks(parsed.text ?? ""));
    if (parsed.html !== null) sanitizeMailHtml(parsed.html, { allowRemote: false, onLink: (href) => urls.add(href) });
    return { flagged: isFlagged(summaryOf(row, this.#academie).warnings), urls };
  }

  async attachment(accountId: number, messageId: number, index: number): Promise<AttachmentContent> {
    const row = await this.#record(accountId, messageId);
    const parsed = await readForDisplay(await this.#rawOf(row.blob_id));
    const found = Number.isSafeInteger(index) ? parsed.attachments[index] : undefined;
    if (!found) throw new DomainError("NOT_FOUND", `no attachment #${index}`);
    return { filename: found.filename, contentType: found.contentType, content: found.content };
  }

  /**
   * The attachments the reading view lists (not the images shown inside the HTML body), in their
   * order, with the message's subject to name the archive: « Télécharger tout ». NOT_FOUND for a
   * message without any, as for another account's.
   */
  async attachmentsOf(accountId: number, messageId: number): Promise<MessageAttachments> {
    const row = await this.#record(accountId, messageId);
    const parsed = await readForDisplay(await this.#rawOf(row.blob_id));
    const listed = parsed.attachments.filter((a) => !a.inline);
    if (listed.length === 0) throw new DomainError("NOT_FOUND", `message #${messageId} has no attachment`);
    return {
      subject: row.subject,
      attachments: listed.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
    };
  }

  async raw(accountId: number, messageId: number): Promise<Buffer> {
    const row = await this.#record(accountId, messageId);
    return this.#rawOf(row.blob_id);
  }

  // Actions

  async setFlags(
    accountId: number,
    ids: readonly number[],
    flags: { seen?: boolean; flagged?: boolean; answered?: boolean; deleted?: boolean; draft?: boolean },
  ): Promise<number> {
    const wanted = validIds(ids);
    const n = await repo.transaction(this.#deps.db, async (trx) => {
      const rows = await repo.owned(trx, accountId, wanted);
      if (flags.seen !== undefined) {
        const value = flags.seen ? 1 : 0;
        const changing = rows.filter((r) => r.seen !== value);
        const perFolder = new Map<number, number>();
        for (const r of changing) perFolder.set(r.folder_id, (perFolder.get(r.folder_id) ?? 0) + 1);
        await repo.setFlag(
          trx,
          changing.map((r) => r.id),
          "seen",
          flags.seen,
        );
        for (const [folderId, n] of perFolder) await repo.bumpFolder(trx, folderId, 0, flags.seen ? -n : n, 0);
      }
      for (const flag of ["flagged", "answered", "deleted", "draft"] as const) {
        const value = flags[flag];
        if (value === undefined) continue;
        await repo.setFlag(
          trx,
          rows.map((r) => r.id),
          flag,
          value,
        );
      }
      return rows.length;
    });
    this.#changed([accountId]);
    return n;
  }

  /** Moves the account's messages among `ids` to `folderId`, keeping the counters right. */
  async #moveWithin(
    trx: Transaction<Schema>,
    accountId: number,
    ids: readonly number[],
    folderId: number,
  ): Promise<number> {
    const rows = (await repo.owned(trx, accountId, ids)).filter((r) => r.folder_id !== folderId);
    if (rows.length === 0) return 0;
    const out = new Map<number, { count: number; unread: number; bytes: number }>();
    let unread = 0;
    let bytes = 0;
    for (const r of rows) {
      const d = out.get(r.folder_id) ?? { count: 0, unread: 0, bytes: 0 };
      d.count++;
      d.unread += r.seen ? 0 : 1;
      d.bytes += r.size;
      out.set(r.folder_id, d);
      unread += r.seen ? 0 : 1;
      bytes += r.size;
    }
    await repo.moveMessages(
      trx,
      rows.map((r) => r.id),
      folderId,
    );
    for (const [from, d] of out) await repo.bumpFolder(trx, from, -d.count, -d.unread, -d.bytes);
    await repo.bumpFolder(trx, folderId, rows.length, unread, bytes);
    return rows.length;
  }

  async move(accountId: number, ids: readonly number[], folderId: number): Promise<number> {
    const wanted = validIds(ids);
    const target = await repo.folder(this.#deps.db, accountId, folderId);
    if (!target) throw new DomainError("NOT_FOUND", `no folder #${folderId}`);
    const n = await repo.transaction(this.#deps.db, (trx) => this.#moveWithin(trx, accountId, wanted, folderId));
    this.#changed([accountId]);
    return n;
  }

  async remove(accountId: number, ids: readonly number[]): Promise<number> {
    const wanted = validIds(ids);
    const trashId = await this.#folderId(accountId, "trash");
    const n = await repo.transaction(this.#deps.db, async (trx) => {
      const rows = await repo.owned(trx, accountId, wanted);
      const inTrash = rows.filter((r) => r.folder_id === trashId);
      const elsewhere = rows.filter((r) => r.folder_id !== trashId).map((r) => r.id);
      await this.#destroy(trx, trashId, inTrash);
      await this.#moveWithin(trx, accountId, elsewhere, trashId);
      return rows.length;
    });
    this.#changed([accountId]);
    return n;
  }

  async #destroy(
    trx: Transaction<Schema>,
    folderId: number,
    rows: readonly { id: number; seen: number; size: number; blob_id: number }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await repo.deleteMessages(trx, this.#deps.dialect, rows);
    const unread = rows.filter((r) => r.seen === 0).length;
    const bytes = rows.reduce((sum, r) => sum + r.size, 0);
    await repo.bumpFolder(trx, folderId, -rows.length, -unread, -bytes);
  }

  async emptyTrash(accountId: number): Promise<number> {
    const trashId = await this.#folderId(accountId, "trash");
    let total = 0;
    for (;;) {
      const removed = await repo.transaction(this.#deps.db, async (trx) => {
        const ids = await repo.idsInFolder(trx, trashId, 500);
        const rows = await repo.owned(trx, accountId, ids);
        await this.#destroy(trx, trashId, rows);
        return rows.length;
      });
      total += removed;
      if (removed === 0) return total;
      this.#changed([accountId]);
    }
  }

  async search(accountId: number, query: SearchQuery, cursor: number | null, limit = PAGE_SIZE): Promise<MessagePage> {
    const size = Math.min(Math.max(1, limit), MAX_PAGE_SIZE);
    if (cursor !== null && (!Number.isSafeInteger(cursor) || cursor <= 0)) {
      throw new DomainError("VALIDATION_FAILED", "invalid cursor");
    }
    if (query.since && query.until && query.since.getTime() >= query.until.getTime()) {
      throw new DomainError("VALIDATION_FAILED", "the start date is after the end date", { field: "until" });
    }
    if (query.folderId !== undefined && !(await repo.folder(this.#deps.db, accountId, query.folderId))) {
      throw new DomainError("NOT_FOUND", `no folder #${query.folderId}`);
    }
    const terms: SearchTerms = {
      any: words(query.text),
      from: words(query.from),
      to: words(query.to),
      subject: words(query.subject),
    };
    // Words were typed but none can be searched ("!!!"): nothing matches, rather than everything.
    const typed = [query.text, query.from, query.to, query.subject].some((v) => v !== undefined && v.trim() !== "");
    const usable = terms.any.length + terms.from.length + terms.to.length + terms.subject.length > 0;
    if (typed && !usable) return { items: [], nextCursor: null };
    const rows = await repo.search(
      this.#deps.db,
      this.#deps.dialect,
      accountId,
      terms,
      {
        ...(query.folderId !== undefined ? { folderId: query.folderId } : {}),
        ...(query.since ? { since: query.since.toISOString() } : {}),
        ...(query.until ? { until: query.until.toISOString() } : {}),
        ...(query.hasAttachment ? { hasAttachment: true } : {}),
        ...(cursor !== null ? { before: cursor } : {}),
      },
      size + 1,
    );
    return this.#pageOf(rows, size);
  }

  async quota(accountId: number): Promise<Quota> {
    return { usedBytes: await repo.usedBytes(this.#deps.db, accountId), limitBytes: this.#deps.quotaBytes };
  }

  // Reported messages (report.service.ts)

  /**
   * What a report needs of the account's message: its headers kept at delivery, folder and bytes
   * (`headBytes`: only that many first bytes).
   */
  async reportable(
    accountId: number,
    messageId: number,
    options: { headBytes?: number } = {},
  ): Promise<ReportableMessage> {
    const row = await this.#record(accountId, messageId);
    const folder = await repo.folder(this.#deps.db, accountId, row.folder_id);
    const raw =
      options.headBytes === undefined
        ? await this.#rawOf(row.blob_id)
        : ((await repo.blobHead(this.#deps.db, row.blob_id, options.headBytes)) ?? Buffer.alloc(0));
    return {
      id: row.id,
      messageId: row.message_id,
      fromAddress: row.from_address,
      subject: row.subject,
      receivedAt: new Date(row.received_at),
      folderRole: (folder?.role as FolderRole | null | undefined) ?? null,
      draft: row.draft === 1,
      raw,
    };
  }

  /**
   * Moves the account's messages among `ids` to its special folder `role` (created if missing);
   * `onlyFrom`: only those now in that special folder. Gives how many moved.
   */
  async moveToRole(
    accountId: number,
    ids: readonly number[],
    role: FolderRole,
    options: { onlyFrom?: FolderRole; within?: (trx: Transaction<Schema>, moved: number[]) => Promise<void> } = {},
  ): Promise<number> {
    const wanted = validIds(ids);
    const target = await this.#folderId(accountId, role);
    const from = options.onlyFrom ? await this.#folderId(accountId, options.onlyFrom) : null;
    const n = await repo.transaction(this.#deps.db, async (trx) => {
      const rows = (await repo.owned(trx, accountId, wanted)).filter(
        (r) => r.folder_id !== target && (from === null || r.folder_id === from),
      );
      const moved = rows.map((r) => r.id);
      await this.#moveWithin(trx, accountId, moved, target);
      if (options.within) await options.within(trx, moved);
      return moved.length;
    });
    this.#changed([accountId]);
    return n;
  }

  /**
   * Every local copy of a message (by its Message-ID, drafts left out), in every mailbox, moved to
   * that mailbox's Indésirables in one transaction (never deleted); `within` writes the audit entry
   * in it. `dryRun`: counts only. `{ sender }`: every message from that address instead (Sent and
   * drafts left out).
   */
  quarantine(target: string | CopiesOf, options: MoveCopiesOptions = {}): Promise<QuarantineResult> {
    return this.#moveCopies(target, "junk", null, options);
  }

  /**
   * The release of a quarantine: every local copy of a message that is in its mailbox's
   * Indésirables goes back to that mailbox's inbox, in one transaction (`moved`: how many).
   */
  release(target: string | CopiesOf, options: MoveCopiesOptions = {}): Promise<QuarantineResult> {
    return this.#moveCopies(target, "inbox", "junk", options);
  }

  /** Every local copy of a message (in the special folder `from`, when given) moved to its mailbox's `role`. */
  async #moveCopies(
    target: string | CopiesOf,
    role: FolderRole,
    from: FolderRole | null,
    options: MoveCopiesOptions,
  ): Promise<QuarantineResult> {
    const copies =
      typeof target === "string" || "messageId" in target
        ? await repo.copiesByMessageId(this.#deps.db, typeof target === "string" ? target : target.messageId)
        : await repo.copiesBySender(this.#deps.db, target.sender);
    const accounts = [...new Set(copies.map((c) => c.account_id))];
    const destination = new Map<number, number>();
    const source = new Map<number, number>();
    for (const accountId of accounts) {
      destination.set(accountId, await this.#folderId(accountId, role));
      if (from) source.set(accountId, await this.#folderId(accountId, from));
    }
    const waiting = copies.filter(
      (c) =>
        c.folder_id !== destination.get(c.account_id) && (from === null || c.folder_id === source.get(c.account_id)),
    );
    const planned: QuarantineResult = { copies: copies.length, moved: waiting.length, mailboxes: accounts.length };
    if (options.dryRun) return planned;
    const done = await repo.transaction(this.#deps.db, async (trx) => {
      let moved = 0;
      for (const accountId of accounts) {
        const ids = waiting.filter((c) => c.account_id === accountId).map((c) => c.id);
        if (ids.length > 0) moved += await this.#moveWithin(trx, accountId, ids, destination.get(accountId) ?? 0);
      }
      const result = { ...planned, moved };
      if (options.within) await options.within(trx, result);
      return result;
    });
    this.#changed(accounts);
    return done;
  }

  /** Tells the listeners (IMAP sessions) that these accounts' mail changed: after a commit only. */
  #changed(accountIds: readonly number[]): void {
    if (accountIds.length > 0) this.#deps.events?.changed(accountIds);
  }

  /**
   * The account's copy of a message by its Message-ID, as a report reads it; null when it holds
   * none. `headBytes`: only that many first bytes in `raw` (its headers, for a list of reports).
   */
  async copyOf(
    accountId: number,
    messageId: string,
    options: { headBytes?: number } = {},
  ): Promise<ReportableMessage | null> {
    const id = await repo.idByMessageId(this.#deps.db, accountId, messageId);
    return id === null ? null : this.reportable(accountId, id, options);
  }

  /** How many mailboxes hold a copy of each Message-ID (drafts left out). */
  mailboxCounts(messageIds: readonly string[]): Promise<Map<string, number>> {
    return repo.mailboxCounts(this.#deps.db, messageIds);
  }
}

/** The listed attachments of one message and its subject (`attachmentsOf`). */
export interface MessageAttachments {
  readonly subject: string;
  /** At least one, in the order the reading view lists them. */
  readonly attachments: readonly AttachmentContent[];
}

/** A message of an account, as a report reads it (report.service.ts). */
export interface ReportableMessage {
  readonly id: number;
  /** The Message-ID header kept at delivery, or null. */
  readonly messageId: string | null;
  readonly fromAddress: string;
  readonly subject: string;
  readonly receivedAt: Date;
  readonly folderRole: FolderRole | null;
  readonly draft: boolean;
  readonly raw: Buffer;
}

/** What `quarantine` found and moved. */
/** Which copies a quarantine moves: those of one message (its Message-ID), or every message from a sender address. */
export type CopiesOf = { readonly messageId: string } | { readonly sender: string };

export interface QuarantineResult {
  /** Local copies of the message (drafts left out). */
  readonly copies: number;
  /** Copies moved to Indésirables (would be, on a dry run): those not there already (release: back to the inbox). */
  readonly moved: number;
  /** Mailboxes holding a copy. */
  readonly mailboxes: number;
  /**
   * A quarantine (report.service.ts): messages received before it still in the intake when it ran
   * (another instance was still storing them after 30 s), whose copies it could not look at.
   */
  readonly stillInIntake?: number;
}
