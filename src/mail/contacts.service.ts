/**
 * The personal address book: entries added by hand or from a message's sender,
 * edited, deleted, imported from and exported to vCard (ical.js reads and writes RFC 6350), and
 * the address suggestions of the compose page (the book first, then the académie's directory).
 */
import ICAL from "ical.js";
import type { Kysely } from "kysely";
import type { AuditEventInput } from "../audit/audit.service.js";
import type { Account } from "../directory/directory.types.js";
import { parseEmail } from "../directory/identifiers.js";
import { LIMITS } from "../identity/limits.js";
import { type RateLimiter, type RateLimitPolicy, ratePolicyOf } from "../identity/rate-limit.js";
import type { Clock } from "../shared/clock.js";
import { DomainError, isDomainError } from "../shared/errors.js";
import type { Schema } from "../storage/schema.js";
import {
  type ContactRow,
  contactByAddress,
  contactById,
  contactsOf,
  countContacts,
  deleteContact,
  insertContact,
  suggestContacts,
  updateContact,
} from "./contacts.repository.js";

export interface Contact {
  readonly id: number;
  readonly name: string;
  readonly address: string;
}

export interface ContactInput {
  readonly name: string;
  readonly address: string;
}

export interface ImportReport {
  readonly added: number;
  /** Addresses already in the book. */
  readonly existing: number;
  /** Entries without a valid address. */
  readonly invalid: number;
}

export interface Suggestion {
  readonly name: string;
  readonly address: string;
  readonly source: "contacts" | "directory";
}

export interface ContactsDeps {
  readonly db: Kysely<Schema>;
  readonly clock: Clock;
  /** The académie's directory, for suggestions. */
  readonly directory: { suggest(typed: string, limit?: number): Promise<Account[]> };
  /**
   * Suggestion requests per account (LIMITS.suggest, identity/limits.ts): without it, a signed-in
   * account could page through the whole directory.
   */
  readonly suggestionLimiter: RateLimiter;
  readonly audit: { record(event: AuditEventInput): Promise<void> };
}

/**
 * LIMITS.suggest as a policy (derived, declared in identity/limits.ts): 60 requests per account per
 * minute. The page's script waits for a pause in the typing before it asks, so a person never gets
 * near it; a script reading the directory soon does.
 */
export const SUGGESTION_RATE_POLICY: RateLimitPolicy = ratePolicyOf(LIMITS.suggest);

export const MAX_CONTACTS = 5_000;
const MAX_NAME = 200;
/** A vCard file larger than this is refused (a few thousand entries fit well within it). */
export const MAX_VCARD_BYTES = 2 * 1024 * 1024;

function toContact(row: ContactRow): Contact {
  return { id: row.id, name: row.name, address: row.address };
}

/** A clean name: no line breaks (it goes into headers), no control characters, bounded. */
function cleanName(name: string): string {
  if (/[\r\n]/.test(name)) throw new DomainError("HEADER_INJECTION", "line break in a name", { field: "name" });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are removed
  const cleaned = name.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, "").trim();
  if (cleaned.length > MAX_NAME) throw new DomainError("VALIDATION_FAILED", "name too long", { field: "name" });
  return cleaned;
}

function cleanAddress(address: string): string {
  try {
    return parseEmail(address).toLowerCase();
  } catch {
    throw new DomainError("INVALID_EMAIL", "not an e-mail address", { field: "address" });
  }
}

export class ContactsService {
  constructor(private readonly deps: ContactsDeps) {}

  async list(accountId: number): Promise<Contact[]> {
    return (await contactsOf(this.deps.db, accountId)).map(toContact);
  }

  async get(accountId: number, id: number): Promise<Contact> {
    const row = await contactById(this.deps.db, accountId, id);
    if (!row) throw new DomainError("NOT_FOUND", `no contact #${id}`);
    return toContact(row);
  }

  async add(accountId: number, input: ContactInput): Promise<Contact> {
    const name = cleanName(input.name);
    const address = cleanAddress(input.address);
    return this.deps.db.transaction().execute(async (trx) => {
      if (await contactByAddress(trx, accountId, address)) {
        throw new DomainError("CONTACT_EXISTS", "this address is already in the book", { field: "address" });
      }
      if ((await countContacts(trx, accountId)) >= MAX_CONTACTS) {
        throw new DomainError("VALIDATION_FAILED", "the address book is full", { field: "address" });
      }
      const id = await insertContact(trx, accountId, name, address, this.deps.clock.now().toISOString());
      return { id, name, address };
    });
  }

  async update(accountId: number, id: number, input: ContactInput): Promise<Contact> {
    const name = cleanName(input.name);
    const address = cleanAddress(input.address);
    return this.deps.db.transaction().execute(async (trx) => {
      if (!(await contactById(trx, accountId, id))) throw new DomainError("NOT_FOUND", `no contact #${id}`);
      const other = await contactByAddress(trx, accountId, address);
      if (other && other.id !== id) {
        throw new DomainError("CONTACT_EXISTS", "this address is already in the book", { field: "address" });
      }
      await updateContact(trx, id, name, address, this.deps.clock.now().toISOString());
      return { id, name, address };
    });
  }

  async remove(accountId: number, id: number): Promise<void> {
    if ((await deleteContact(this.deps.db, accountId, id)) === 0) {
      throw new DomainError("NOT_FOUND", `no contact #${id}`);
    }
  }

  /** Adds every entry of a vCard file whose address is valid and not yet in the book. */
  async importVcard(accountId: number, text: string): Promise<ImportReport> {
    if (Buffer.byteLength(text) > MAX_VCARD_BYTES) {
      throw new DomainError("VCARD_INVALID", "the vCard file is too large", { field: "file" });
    }
    const entries: ContactInput[] = [];
    let invalid = 0;
    try {
      const parsed: unknown = ICAL.parse(text.replace(/^\uFEFF/, ""));
      const list = (Array.isArray(parsed) && Array.isArray(parsed[0]) ? parsed : [parsed]) as unknown[];
      for (const json of list) {
        const card = new ICAL.Component(json as unknown[]);
        if (card.name !== "vcard") continue;
        const fn = card.getFirstPropertyValue("fn");
        const emails = card.getAllProperties("email").map((p) => String(p.getFirstValue() ?? ""));
        if (emails.length === 0) invalid++;
        for (const email of emails) entries.push({ name: typeof fn === "string" ? fn : "", address: email });
      }
    } catch (error) {
      throw new DomainError("VCARD_INVALID", `not a vCard file: ${(error as Error).message}`, { field: "file" });
    }
    if (entries.length === 0 && invalid === 0) {
      throw new DomainError("VCARD_INVALID", "no vCard entry in the file", { field: "file" });
    }
    let added = 0;
    let existing = 0;
    for (const entry of entries) {
      try {
        await this.add(accountId, { name: entry.name.replace(/[\r\n]+/g, " "), address: entry.address });
        added++;
      } catch (error) {
        if (isDomainError(error, "CONTACT_EXISTS")) existing++;
        else if (isDomainError(error, "INVALID_EMAIL") || isDomainError(error, "VALIDATION_FAILED")) invalid++;
        else throw error;
      }
    }
    return { added, existing, invalid };
  }

  /** The whole book as a vCard 4.0 file. */
  async exportVcard(accountId: number): Promise<string> {
    const cards = (await this.list(accountId)).map((c) => {
      const card = new ICAL.Component("vcard");
      card.addPropertyWithValue("version", "4.0");
      card.addPropertyWithValue("fn", c.name || c.address);
      card.addPropertyWithValue("email", c.address);
      return card.toString();
    });
    return cards.length === 0 ? "" : `${cards.join("\r\n")}\r\n`;
  }

  /**
   * Suggestions for what is being typed in À, Cc or Cci: the book first, then the directory.
   * Every call counts against the account's rate limit; past it, RATE_LIMITED (with `retryAt` and
   * `retryAfterMs`), and the first refusal of a window goes into the audit trail.
   */
  async suggest(accountId: number, typed: string, limit = 10): Promise<Suggestion[]> {
    const decision = await this.deps.suggestionLimiter.consume(`account:${accountId}`);
    if (!decision.allowed) {
      const retryAt = new Date(this.deps.clock.now().getTime() + decision.retryAfterMs);
      if (decision.firstRefusal) {
        await this.deps.audit.record({
          actor: "web:webmail",
          action: "contacts.suggestions_throttled",
          entity: "account",
          entityId: accountId,
          details: { retryAt: retryAt.toISOString() },
        });
      }
      throw new DomainError("RATE_LIMITED", "too many address suggestion requests", {
        retryAt,
        retryAfterMs: decision.retryAfterMs,
      });
    }
    const prefix = typed.trim().toLowerCase();
    if (prefix.length < 2 || prefix.length > 100) return [];
    const own = (await suggestContacts(this.deps.db, accountId, prefix, limit)).map(
      (c): Suggestion => ({ name: c.name, address: c.address, source: "contacts" }),
    );
    const seen = new Set(own.map((s) => s.address));
    const directory = (await this.deps.directory.suggest(prefix, limit))
      .filter((a) => !seen.has(a.address))
      .map(
        (a): Suggestion => ({
          name: `${a.holder.prenom} ${a.holder.nom}`.trim(),
          address: a.address,
          source: "directory",
        }),
      );
    return [...own, ...directory].slice(0, limit);
  }
}
