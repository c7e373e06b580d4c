/**
 * The mail store as IMAP sessions see it (src/imap/): folders by their path (`INBOX`, `Envoyés`,
 * `Projets/2026`), UIDs and MODSEQs, flag rows streamed by UID ranges, changes since a MODSEQ,
 * bodies and their cached MIME structure, SEARCH. Every write goes through MailService, so that the
 * webmail and IMAP share the same rules (quota, counters, the Corbeille, notifications).
 */
import type { Kysely } from "kysely";
import { DomainError } from "../shared/errors.js";
import type { DialectName } from "../storage/database.js";
import type { Schema } from "../storage/schema.js";
import type { Criterion, ImapRow, SortRow } from "./imap.repository.js";
import * as imapRepo from "./imap.repository.js";
import type { FolderRow } from "./mail.repository.js";
import * as repo from "./mail.repository.js";
import { type MailService, searchWords } from "./mail.service.js";
import type { FolderRole } from "./mail.types.js";
import type { MailEvents } from "./mail-events.js";

export type { Criterion, ImapRow, SortRow };
export { searchWords };

/** IMAP's hierarchy delimiter. Folder names cannot contain it (mail.service.ts). */
export const DELIMITER = "/";

export interface ImapFolder {
  readonly id: number;
  /** The path from the top, `INBOX` for the inbox (its children under `INBOX/`). */
  readonly path: string;
  readonly role: FolderRole | null;
  readonly parentId: number | null;
  readonly hasChildren: boolean;
  readonly uidValidity: number;
  readonly uidNext: number;
  readonly highestModseq: number;
  readonly messages: number;
  readonly unseen: number;
  readonly sizeBytes: number;
  readonly subscribed: boolean;
}

export interface MailboxAccessDeps {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  readonly mail: MailService;
  readonly events: MailEvents;
  readonly quotaBytes: number;
  readonly maxMessageBytes: number;
}

export class MailboxAccess {
  readonly #deps: MailboxAccessDeps;

  constructor(deps: MailboxAccessDeps) {
    this.#deps = deps;
  }

  get maxMessageBytes(): number {
    return this.#deps.maxMessageBytes;
  }

  get quotaBytes(): number {
    return this.#deps.quotaBytes;
  }

  /** Listens to an account's changes (IDLE); returns the function that stops. */
  listen(accountId: number, listener: () => void): () => void {
    return this.#deps.events.listen(accountId, listener);
  }

  async folders(accountId: number): Promise<ImapFolder[]> {
    const rows = await this.#deps.mail.storedFolders(accountId);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const pathOf = (row: FolderRow, depth = 0): string => {
      const own = row.role === "inbox" ? "INBOX" : row.name;
      const parent = row.parent_id === null ? undefined : byId.get(row.parent_id);
      return parent && depth < 20 ? `${pathOf(parent, depth + 1)}${DELIMITER}${own}` : own;
    };
    const parents = new Set(rows.map((r) => r.parent_id));
    return rows.map((r) => ({
      id: r.id,
      path: pathOf(r),
      role: r.role as FolderRole | null,
      parentId: r.parent_id,
      hasChildren: parents.has(r.id),
      uidValidity: Number(r.uid_validity),
      uidNext: Number(r.uid_next),
      highestModseq: Number(r.highest_modseq),
      messages: r.message_count,
      unseen: r.unread_count,
      sizeBytes: Number(r.size_bytes),
      subscribed: r.subscribed === 1,
    }));
  }

  /** The folder at this path (INBOX in any case), or null. */
  async folderByPath(accountId: number, path: string): Promise<ImapFolder | null> {
    const wanted = normalizePath(path);
    return (await this.folders(accountId)).find((f) => normalizePath(f.path) === wanted) ?? null;
  }

  async createFolder(accountId: number, path: string): Promise<void> {
    const parts = path.split(DELIMITER).filter((p) => p !== "");
    if (parts.length === 0) throw new DomainError("INVALID_FOLDER_NAME", "empty name");
    let parent: ImapFolder | null = null;
    for (let i = 0; i < parts.length; i++) {
      const here = parts.slice(0, i + 1).join(DELIMITER);
      const found = await this.folderByPath(accountId, here);
      if (found) {
        if (i === parts.length - 1) throw new DomainError("FOLDER_EXISTS", "a folder of that name exists there");
        parent = found;
        continue;
      }
      const made = await this.#deps.mail.createFolder(accountId, parts[i] ?? "", parent?.id ?? null);
      parent = (await this.folders(accountId)).find((f) => f.id === made.id) ?? null;
    }
  }

  /** Renames (and moves in the hierarchy) a folder of the user's own. INBOX cannot be renamed here. */
  async renameFolder(accountId: number, from: ImapFolder, to: string): Promise<void> {
    const parts = to.split(DELIMITER).filter((p) => p !== "");
    const name = parts.at(-1);
    if (!name) throw new DomainError("INVALID_FOLDER_NAME", "empty name");
    if (await this.folderByPath(accountId, to)) throw new DomainError("FOLDER_EXISTS", "a folder of that name exists");
    const parentPath = parts.slice(0, -1).join(DELIMITER);
    const parent = parentPath === "" ? null : await this.folderByPath(accountId, parentPath);
    if (parentPath !== "" && !parent) throw new DomainError("NOT_FOUND", "no parent folder");
    if ((parent?.id ?? null) !== from.parentId) {
      throw new DomainError("VALIDATION_FAILED", "moving a folder to another parent is not supported");
    }
    await this.#deps.mail.renameFolder(accountId, from.id, name);
  }

  deleteFolder(accountId: number, folderId: number): Promise<void> {
    return this.#deps.mail.deleteFolder(accountId, folderId);
  }

  async subscribe(folderId: number, subscribed: boolean): Promise<void> {
    await imapRepo.setSubscribed(this.#deps.db, folderId, subscribed);
  }

  state(folderId: number) {
    return imapRepo.folderState(this.#deps.db, folderId);
  }

  uids(folderId: number): Promise<number[]> {
    return imapRepo.uids(this.#deps.db, this.#deps.dialect, folderId);
  }

  rowsInRange(folderId: number, from: number, to: number, limit: number, changedSince?: number): Promise<ImapRow[]> {
    return imapRepo.rowsInRange(this.#deps.db, folderId, from, to, limit, changedSince);
  }

  rowsChangedSince(
    folderId: number,
    modseq: number,
    after: readonly [number, number] | null,
    limit: number,
  ): Promise<ImapRow[]> {
    return imapRepo.rowsChangedSince(this.#deps.db, folderId, modseq, after, limit);
  }

  rowsOf(folderId: number, uids: readonly number[]): Promise<ImapRow[]> {
    return imapRepo.rowsOf(this.#deps.db, folderId, uids);
  }

  vanishedSince(folderId: number, modseq: number): Promise<number[]> {
    return imapRepo.vanishedSince(this.#deps.db, folderId, modseq);
  }

  /** Forgets the UIDs that left their folders more than `days` days ago (QRESYNC clients older than that resynchronise by difference). */
  async pruneVanished(days: number): Promise<number> {
    const before = new Date(Date.now() - days * 86_400_000).toISOString();
    return repo.transaction(this.#deps.db, (trx) => imapRepo.pruneVanished(trx, before));
  }

  vanishedFloor(folderId: number): Promise<number> {
    return imapRepo.vanishedFloor(this.#deps.db, folderId);
  }

  async raw(blobId: number): Promise<Buffer> {
    const raw = await repo.blob(this.#deps.db, blobId);
    if (!raw) throw new Error(`the body #${blobId} is missing`);
    return raw;
  }

  mimeTree(blobId: number): Promise<string | null> {
    return imapRepo.mimeTree(this.#deps.db, blobId);
  }

  saveMimeTree(blobId: number, tree: string): Promise<void> {
    return imapRepo.saveMimeTree(this.#deps.db, blobId, tree);
  }

  sortRows(folderId: number, uids: readonly number[]): Promise<SortRow[]> {
    return imapRepo.sortRows(this.#deps.db, folderId, uids);
  }

  search(accountId: number, folderId: number, criterion: Criterion): Promise<number[]> {
    return imapRepo.search(this.#deps.db, this.#deps.dialect, accountId, folderId, criterion);
  }

  setFlags(
    accountId: number,
    ids: readonly number[],
    flags: { seen?: boolean; flagged?: boolean; answered?: boolean; deleted?: boolean; draft?: boolean },
  ): Promise<number> {
    return this.#deps.mail.setFlags(accountId, ids, flags);
  }

  setKeywords(accountId: number, ids: readonly number[], mode: "add" | "remove" | "set", keywords: readonly string[]) {
    return this.#deps.mail.setKeywords(accountId, ids, mode, keywords);
  }

  append(
    accountId: number,
    folderId: number,
    raw: Buffer,
    flags: { seen?: boolean; answered?: boolean; flagged?: boolean; draft?: boolean; keywords?: string },
    receivedAt: Date | null,
  ): Promise<number> {
    return this.#deps.mail.append(accountId, folderId, raw, flags, receivedAt);
  }

  copy(accountId: number, ids: readonly number[], folderId: number): Promise<number[]> {
    return this.#deps.mail.copy(accountId, ids, folderId);
  }

  move(accountId: number, ids: readonly number[], folderId: number): Promise<number> {
    return this.#deps.mail.move(accountId, ids, folderId);
  }

  expunge(accountId: number, folderId: number, ids?: readonly number[]): Promise<number[]> {
    return this.#deps.mail.expunge(accountId, folderId, ids);
  }

  /** The UIDs of these message ids in a folder (after a COPY or MOVE), in the order given. */
  async uidsOfIds(folderId: number, ids: readonly number[]): Promise<number[]> {
    const rows = await repo.uidsOfIds(this.#deps.db, folderId, ids);
    const byId = new Map(rows.map((r) => [r.id, Number(r.uid)]));
    return ids.map((id) => byId.get(id) ?? 0).filter((u) => u > 0);
  }

  async usedBytes(accountId: number): Promise<number> {
    return (await this.#deps.mail.quota(accountId)).usedBytes;
  }
}

/** A path compared case-insensitively for INBOX only (RFC 9051 §5.1), NFC for the rest. */
export function normalizePath(path: string): string {
  const [first = "", ...rest] = path.normalize("NFC").split(DELIMITER);
  return [first.toUpperCase() === "INBOX" ? "INBOX" : first, ...rest].join(DELIMITER);
}
