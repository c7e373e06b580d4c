/**
 * The webmail's settings of an account (signature, away message and forwarding; and its display
 * preferences, `display`/`updateDisplay`, which send nothing anywhere), and what they do to a local delivery (the `DeliveryRules` the mail store calls):
 * - forwarding: a resent copy (the original untouched, RFC 5322 Resent-* fields above it) goes to
 *   the address — delivered in the same transaction when it is local, queued in it when external;
 *   without "keep a copy" the inbox does not keep the message, decided in that same transaction
 *   (see MailService#withPlan: any failure keeps the message in the inbox, nothing forwarded).
 *   One hop only: a forwarded copy is not forwarded again by its local recipient, a message this
 *   account already resent is not forwarded again, and bounces (null sender) are never forwarded.
 * - away message: after the commit, one reply per sender per 7 days (claimed atomically), never
 *   to automatic, list or bulk mail, bounces or machine addresses (RFC 3834 §2), with
 *   `Auto-Submitted: auto-replied` (so that no other responder answers it); not counted in the
 *   sending limit, never kept in Envoyés.
 */
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import MailComposer from "nodemailer/lib/mail-composer";
import type { AuditService } from "../audit/audit.service.js";
import { isAcademieAddress } from "../directory/academie-domains.js";
import type { DirectoryService } from "../directory/directory.service.js";
import { parseEmail } from "../directory/identifiers.js";
import { autoReplySubject } from "../i18n/messages.fr.js";
import type { Reauthenticator } from "../identity/login.service.js";
import type { Session } from "../identity/session.service.js";
import type { Clock } from "../shared/clock.js";
import { DomainError, isDomainError } from "../shared/errors.js";
import type { WarnLogger } from "../shared/logger.js";
import type { Schema } from "../storage/schema.js";
import { bareAddress, forwardedBefore, headerFields, noReplyReason, resentCopy } from "./auto-reply.js";
import type { MailService } from "./mail.service.js";
import type { DeliveryMeta, DeliveryPlan, DeliveryRules, Recipient } from "./mail.types.js";
import { cleanHeaderText, readForStorage } from "./mime.js";
import type { OutboundQueue, QueuedMessage } from "./outbound-queue.js";
import {
  claimAutoReply,
  clearForwarding,
  type DisplayRow,
  displayOf,
  type MailSettingsRow,
  saveDisplay,
  saveSettings,
  settingsOf,
  settingsOfMany,
} from "./settings.repository.js";

export const MAX_SIGNATURE_CHARS = 2000;
export const MAX_AWAY_SUBJECT_CHARS = 200;
export const MAX_AWAY_TEXT_CHARS = 5000;
/** One automatic reply per sender in this time. */
export const AUTO_REPLY_INTERVAL_MS = 7 * 24 * 3_600_000;

export interface MailSettings {
  readonly signature: string;
  readonly away: {
    readonly enabled: boolean;
    /** YYYY-MM-DD (a day in Europe/Paris, inclusive), or null. */
    readonly start: string | null;
    readonly end: string | null;
    readonly subject: string;
    readonly text: string;
  };
  readonly forward: { readonly address: string | null; readonly keepCopy: boolean };
}

/** The settings as typed in the page (dates JJ/MM/AAAA or YYYY-MM-DD, empty for none). */
export interface MailSettingsInput {
  readonly signature: string;
  readonly awayEnabled: boolean;
  readonly awayStart: string;
  readonly awayEnd: string;
  readonly awaySubject: string;
  readonly awayText: string;
  readonly forwardAddress: string;
  readonly forwardKeepCopy: boolean;
}

export type SettingsField =
  | "signature"
  | "awayStart"
  | "awayEnd"
  | "awaySubject"
  | "awayText"
  | "forwardAddress"
  | "currentPassword";

/**
 * Who changes the settings. The account holder in a webmail session: forwarding outside the
 * académie needs the password typed again (or a re-authentication of the last 5 minutes). An
 * operator (CLI) or a test: no password, still audited and notified.
 */
export type SettingsChanger =
  | { readonly session: Session; readonly currentPassword: string; readonly ip: string }
  | { readonly operator: string };

/** What a change did to forwarding and to the away message (the holder is told). */
export interface SettingsChange {
  readonly accountId: number;
  readonly at: Date;
  readonly ip: string | null;
  readonly forward: {
    readonly before: MailSettings["forward"];
    readonly after: MailSettings["forward"];
  } | null;
  readonly away: { readonly before: MailSettings["away"]; readonly after: MailSettings["away"] } | null;
}

export interface MailSettingsDeps {
  readonly db: Kysely<Schema>;
  readonly clock: Clock;
  readonly directory: DirectoryService;
  readonly mail: MailService;
  readonly queue: OutboundQueue;
  readonly mailDomain: string;
  /** The académie's domains (mail domain first): forwarding inside them is not sensitive. */
  readonly academieDomains: readonly string[];
  /** SESAME_ALLOW_EXTERNAL_FORWARD_WITHOUT_COPY. */
  readonly allowExternalForwardWithoutCopy: boolean;
  readonly reauth: Reauthenticator;
  readonly audit: AuditService;
  /** Tells the holder (own mailbox and recovery addresses) what changed; wired by the composition root. */
  readonly notify: (change: SettingsChange) => Promise<void>;
  readonly logger?: WarnLogger;
}

/** Where an opened message is shown: beside the list, or on a page of its own. */
export const READING_PANES = ["right", "off"] as const;
/** How much room each line of the list takes. */
export const LIST_DENSITIES = ["comfortable", "compact"] as const;

/** How an account's mailbox is shown (« Affichage » in Paramètres). */
export interface DisplayPreferences {
  readonly readingPane: "right" | "off";
  readonly groupByConversation: boolean;
  readonly density: "comfortable" | "compact";
  readonly showSize: boolean;
}

/** The display preferences as received (a form's values): checked by `updateDisplay`. */
export interface DisplayInput {
  readonly readingPane: string;
  readonly groupByConversation: boolean;
  readonly density: string;
  readonly showSize: boolean;
}

/** The field of a refused display preference (VALIDATION_FAILED's `field`). */
export type DisplayField = keyof DisplayPreferences;

/** What an account that never chose gets. */
export const DEFAULT_DISPLAY: DisplayPreferences = {
  readingPane: "right",
  groupByConversation: false,
  density: "comfortable",
  showSize: false,
};

function isOneOf<T extends string>(choices: readonly T[], value: unknown): value is T {
  return typeof value === "string" && (choices as readonly string[]).includes(value);
}

function displayFrom(row: DisplayRow | null): DisplayPreferences {
  if (!row) return DEFAULT_DISPLAY;
  return {
    readingPane: isOneOf(READING_PANES, row.reading_pane) ? row.reading_pane : DEFAULT_DISPLAY.readingPane,
    groupByConversation: row.group_by_conversation === 1,
    density: isOneOf(LIST_DENSITIES, row.list_density) ? row.list_density : DEFAULT_DISPLAY.density,
    showSize: row.show_size === 1,
  };
}

/** The display preferences checked: a value outside its choices is refused, naming its field. */
export function checkDisplay(input: DisplayInput): DisplayPreferences {
  const refuse = (field: DisplayField) => new DomainError("VALIDATION_FAILED", `unknown ${field}`, { field });
  if (!isOneOf(READING_PANES, input.readingPane)) throw refuse("readingPane");
  if (!isOneOf(LIST_DENSITIES, input.density)) throw refuse("density");
  if (typeof input.groupByConversation !== "boolean") throw refuse("groupByConversation");
  if (typeof input.showSize !== "boolean") throw refuse("showSize");
  return {
    readingPane: input.readingPane,
    groupByConversation: input.groupByConversation,
    density: input.density,
    showSize: input.showSize,
  };
}

const DEFAULTS: MailSettings = {
  signature: "",
  away: { enabled: false, start: null, end: null, subject: "", text: "" },
  forward: { address: null, keepCopy: true },
};

function settingsFrom(row: MailSettingsRow | null): MailSettings {
  if (!row) return DEFAULTS;
  return {
    signature: row.signature,
    away: {
      enabled: row.away_enabled === 1,
      start: row.away_start,
      end: row.away_end,
      subject: row.away_subject,
      text: row.away_text,
    },
    forward: { address: row.forward_address, keepCopy: row.forward_keep_copy === 1 },
  };
}

/** A day typed JJ/MM/AAAA (or J/M/AAAA) or YYYY-MM-DD, as YYYY-MM-DD; null when empty. */
export function parseDay(value: string, field: SettingsField): string | null {
  const v = value.trim();
  if (v === "") return null;
  const fr = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const [y, m, d] = fr
    ? [Number(fr[3]), Number(fr[2]), Number(fr[1])]
    : iso
      ? [Number(iso[1]), Number(iso[2]), Number(iso[3])]
      : [0, 0, 0];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 2000 || y > 2100 || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    throw new DomainError("INVALID_DATE", "a day is written JJ/MM/AAAA", { field });
  }
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** Today in Europe/Paris, YYYY-MM-DD. */
export function parisDay(now: Date): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: "Europe/Paris",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(now);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are refused
const TEXT_UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;

function cleanText(value: string, field: SettingsField, max: number): string {
  const v = value.replace(/\r\n?/g, "\n").replace(TEXT_UNSAFE, "").replace(/\s+$/, "");
  if (v.length > max) throw new DomainError("VALIDATION_FAILED", "too long", { field, reason: "too_long", max });
  return v;
}

export class MailSettingsService implements DeliveryRules {
  readonly #deps: MailSettingsDeps;

  constructor(deps: MailSettingsDeps) {
    this.#deps = deps;
  }

  async get(accountId: number): Promise<MailSettings> {
    return settingsFrom(await settingsOf(this.#deps.db, accountId));
  }

  /** How the account's mailbox is shown (one read by primary key: every mailbox page asks). */
  async display(accountId: number): Promise<DisplayPreferences> {
    return displayFrom(await displayOf(this.#deps.db, accountId));
  }

  /**
   * Checks, then saves how the mailbox is shown (the other settings untouched). VALIDATION_FAILED
   * with `details.field` for a value outside its choices. A display choice sends nothing anywhere:
   * neither audited nor told to the holder (unlike `update`).
   */
  async updateDisplay(accountId: number, input: DisplayInput): Promise<DisplayPreferences> {
    const display = checkDisplay(input);
    await saveDisplay(this.#deps.db, accountId, display, this.#deps.clock.now().toISOString());
    return display;
  }

  /**
   * Checks everything, then saves; errors carry `details.field` (a key of MailSettingsInput, or
   * `currentPassword`). A change of forwarding or of the away message is audited and told to the
   * holder, in the account's own mailbox and at its recovery addresses.
   */
  async update(accountId: number, input: MailSettingsInput, by: SettingsChanger): Promise<MailSettings> {
    const signature = cleanText(input.signature, "signature", MAX_SIGNATURE_CHARS);
    if (/[\r\n]/.test(input.awaySubject)) {
      throw new DomainError("HEADER_INJECTION", "line breaks in the subject", { field: "awaySubject" });
    }
    const awaySubject = input.awaySubject.replace(TEXT_UNSAFE, "").trim();
    if (awaySubject.length > MAX_AWAY_SUBJECT_CHARS) {
      throw new DomainError("VALIDATION_FAILED", "too long", {
        field: "awaySubject",
        reason: "too_long",
        max: MAX_AWAY_SUBJECT_CHARS,
      });
    }
    const awayText = cleanText(input.awayText, "awayText", MAX_AWAY_TEXT_CHARS);
    const awayStart = parseDay(input.awayStart, "awayStart");
    const awayEnd = parseDay(input.awayEnd, "awayEnd");
    if (awayStart && awayEnd && awayEnd < awayStart) {
      throw new DomainError("VALIDATION_FAILED", "the end is before the start", {
        field: "awayEnd",
        reason: "before_start",
      });
    }
    if (input.awayEnabled && awayText.trim() === "") {
      throw new DomainError("VALIDATION_FAILED", "an away message needs a text", {
        field: "awayText",
        reason: "required",
      });
    }
    let forwardAddress: string | null = null;
    if (input.forwardAddress.trim() !== "") {
      try {
        forwardAddress = parseEmail(input.forwardAddress).toLowerCase();
      } catch (error) {
        if (isDomainError(error, "INVALID_EMAIL")) {
          throw new DomainError("INVALID_EMAIL", error.message, { field: "forwardAddress" });
        }
        throw error;
      }
      const account = await this.#deps.directory.getAccountById(accountId);
      if (forwardAddress === account.address.toLowerCase()) {
        throw new DomainError("VALIDATION_FAILED", "forwarding to the account itself", {
          field: "forwardAddress",
          reason: "own_address",
        });
      }
    }
    const forwardKeepCopy = forwardAddress === null ? true : input.forwardKeepCopy;
    const before = await this.get(accountId);
    const outside = forwardAddress !== null && !isAcademieAddress(forwardAddress, this.#deps.academieDomains);
    if (outside && !forwardKeepCopy && !this.#deps.allowExternalForwardWithoutCopy) {
      throw new DomainError("VALIDATION_FAILED", "forwarding without a copy stays inside the académie", {
        field: "forwardAddress",
        reason: "outside_without_copy",
      });
    }
    const forwardChanged =
      forwardAddress !== before.forward.address ||
      (forwardAddress !== null && forwardKeepCopy !== before.forward.keepCopy);
    // Sending the mail elsewhere (a new external address, or no copy kept any more): the password again.
    const sensitive =
      outside && (forwardAddress !== before.forward.address || (!forwardKeepCopy && before.forward.keepCopy));
    const holder = "session" in by ? by : null;
    const actor = "session" in by ? "web:webmail" : by.operator;
    let reauthAt: string | null = null;
    if (sensitive && holder) {
      reauthAt = (
        await this.#deps.reauth.reauthenticate(holder.session, holder.currentPassword, {
          ip: holder.ip,
          purpose: "forwarding",
        })
      ).reauthAt;
    }
    const values = {
      signature,
      awayEnabled: input.awayEnabled,
      awayStart,
      awayEnd,
      awaySubject,
      awayText,
      forwardAddress,
      forwardKeepCopy,
    };
    const now = this.#deps.clock.now();
    const after: MailSettings = {
      signature,
      away: { enabled: input.awayEnabled, start: awayStart, end: awayEnd, subject: awaySubject, text: awayText },
      forward: { address: forwardAddress, keepCopy: forwardKeepCopy },
    };
    const awayChanged = JSON.stringify(before.away) !== JSON.stringify(after.away);
    await this.#deps.db.transaction().execute(async (trx) => {
      await saveSettings(trx, accountId, values, now.toISOString());
      if (!forwardChanged && !awayChanged) return;
      await this.#deps.audit.record(
        {
          actor,
          action: "mail.settings_changed",
          entity: "account",
          entityId: accountId,
          details: {
            ...(holder ? { ip: holder.ip } : {}),
            ...(forwardChanged ? { forward: { before: before.forward, after: after.forward } } : {}),
            ...(awayChanged ? { away: { before: before.away.enabled, after: after.away.enabled } } : {}),
            ...(reauthAt ? { reauthAt } : {}),
          },
        },
        trx,
      );
    });
    if (forwardChanged || awayChanged) {
      await this.#tell({
        accountId,
        at: now,
        ip: holder?.ip ?? null,
        forward: forwardChanged ? { before: before.forward, after: after.forward } : null,
        away: awayChanged ? { before: before.away, after: after.away } : null,
      });
    }
    return after;
  }

  /**
   * Turns forwarding off (a password change through the Assistance, or one marked « compte
   * compromis »); returns the address it went to, or null when there was none. Audited and told.
   */
  async turnOffForwarding(accountId: number, actor: string, ip: string | null): Promise<string | null> {
    const now = this.#deps.clock.now().toISOString();
    return this.#deps.db.transaction().execute(async (trx) => {
      const before = await clearForwarding(trx, accountId, now);
      if (before === null) return null;
      await this.#deps.audit.record(
        {
          actor,
          action: "mail.forwarding_turned_off",
          entity: "account",
          entityId: accountId,
          details: { ...(ip ? { ip } : {}), forward: { before, after: { address: null, keepCopy: true } } },
        },
        trx,
      );
      return before.address;
    });
  }

  /** The notice never fails the change: it is logged when it cannot be sent. */
  async #tell(change: SettingsChange): Promise<void> {
    try {
      await this.#deps.notify(change);
    } catch (error) {
      this.#deps.logger?.warn({ err: error, accountId: change.accountId }, "the settings notice could not be sent");
    }
  }

  // Delivery rules

  async plan(raw: Buffer, recipients: readonly Recipient[], meta: DeliveryMeta): Promise<DeliveryPlan | null> {
    try {
      return await this.#plan(raw, recipients, meta);
    } catch (error) {
      this.#deps.logger?.warn({ err: error }, "the forwarding settings could not be applied: message kept");
      return null;
    }
  }

  async #plan(raw: Buffer, recipients: readonly Recipient[], meta: DeliveryMeta): Promise<DeliveryPlan | null> {
    const rows = (await settingsOfMany(this.#deps.db, [...new Set(recipients.map((r) => r.accountId))])).filter(
      (r) => r.forward_address !== null,
    );
    // A bounce (null reverse-path) is never forwarded: it could bounce back for ever.
    if (rows.length === 0 || meta.envelopeFrom === "" || meta.envelopeFrom === null) return null;
    const headers = headerFields(raw);
    const skipInbox = new Set<number>();
    const localCopies: { recipient: Recipient; raw: Buffer }[] = [];
    const queued: QueuedMessage[] = [];
    let subject: string | null = null;
    for (const row of rows) {
      const to = row.forward_address ?? "";
      const own = recipients.find((r) => r.accountId === row.account_id)?.address ?? "";
      if (forwardedBefore(headers, own)) continue;
      const copy = resentCopy(raw, {
        from: own,
        to,
        date: this.#deps.clock.now(),
        messageId: `<${randomBytes(16).toString("hex")}@${this.#deps.mailDomain}>`,
      });
      if (to.endsWith(`@${this.#deps.mailDomain}`)) {
        try {
          localCopies.push({ recipient: await this.#deps.mail.checkRecipient(to, copy.length), raw: copy });
        } catch (error) {
          this.#deps.logger?.warn({ err: error, accountId: row.account_id }, "forwarding refused: message kept");
          continue;
        }
      } else {
        subject ??= (await readForStorage(raw)).subject;
        queued.push({
          accountId: row.account_id,
          envelopeFrom: own,
          subject: cleanHeaderText(subject, 300),
          raw: copy,
          recipients: [to],
        });
      }
      if (row.forward_keep_copy === 0) skipInbox.add(row.account_id);
    }
    if (localCopies.length === 0 && queued.length === 0) return null;
    const queue = this.#deps.queue;
    return {
      skipInbox,
      localCopies,
      within:
        queued.length > 0
          ? async (trx) => {
              for (const m of queued) await queue.enqueue(trx, m);
            }
          : null,
      committed: () => {
        if (queued.length > 0) queue.kick();
      },
    };
  }

  failed(error: unknown, recipients: readonly Recipient[]): void {
    this.#deps.logger?.warn(
      { err: error, accounts: recipients.map((r) => r.accountId) },
      "a delivery failed with its forwarding: delivered again without",
    );
  }

  async delivered(raw: Buffer, recipients: readonly Recipient[], meta: DeliveryMeta): Promise<void> {
    try {
      const rows = (await settingsOfMany(this.#deps.db, [...new Set(recipients.map((r) => r.accountId))])).filter(
        (r) => r.away_enabled === 1,
      );
      if (rows.length === 0) return;
      const today = parisDay(this.#deps.clock.now());
      const headers = headerFields(raw);
      // The envelope sender: given by the client that delivered, else the Return-Path line.
      const envelope =
        meta.envelopeFrom !== undefined ? (meta.envelopeFrom ?? "") : (headers.get("return-path")?.[0] ?? "");
      for (const row of rows) {
        if ((row.away_start && today < row.away_start) || (row.away_end && today > row.away_end)) continue;
        const own = recipients.find((r) => r.accountId === row.account_id)?.address ?? "";
        try {
          await this.#autoReply(raw, headers, envelope, own, row);
        } catch (error) {
          this.#deps.logger?.warn({ err: error, accountId: row.account_id }, "the away message could not be sent");
        }
      }
    } catch (error) {
      this.#deps.logger?.warn({ err: error }, "the away messages could not be looked at");
    }
  }

  async #autoReply(
    raw: Buffer,
    headers: Map<string, string[]>,
    envelope: string,
    own: string,
    row: MailSettingsRow,
  ): Promise<void> {
    if (noReplyReason(headers, envelope, own) !== null) return;
    let sender: string;
    try {
      sender = parseEmail(bareAddress(envelope)).toLowerCase();
    } catch {
      return;
    }
    const now = this.#deps.clock.now();
    const claimed = await claimAutoReply(
      this.#deps.db,
      row.account_id,
      sender,
      now.toISOString(),
      new Date(now.getTime() - AUTO_REPLY_INTERVAL_MS).toISOString(),
    );
    if (!claimed) return;
    const original = await readForStorage(raw);
    const account = await this.#deps.directory.getAccountById(row.account_id);
    const references = [...original.references, ...(original.messageId ? [original.messageId] : [])].slice(-20);
    const reply = await new MailComposer({
      from: { name: `${account.holder.prenom} ${account.holder.nom}`, address: account.address },
      to: sender,
      subject: row.away_subject || autoReplySubject(cleanHeaderText(original.subject, 300)),
      text: row.away_text,
      date: now,
      messageId: `<${randomBytes(16).toString("hex")}@${this.#deps.mailDomain}>`,
      ...(original.messageId ? { inReplyTo: original.messageId } : {}),
      ...(references.length > 0 ? { references } : {}),
      headers: { "Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All" },
      disableFileAccess: true,
      disableUrlAccess: true,
      newline: "win",
    })
      .compile()
      .build();
    if (sender.endsWith(`@${this.#deps.mailDomain}`)) {
      const recipient = await this.#deps.mail.checkRecipient(sender, reply.length);
      await this.#deps.mail.deliver(reply, [recipient], { envelopeFrom: account.address });
      return;
    }
    await this.#deps.queue.enqueue(this.#deps.db, {
      accountId: row.account_id,
      envelopeFrom: account.address,
      subject: cleanHeaderText(row.away_subject || autoReplySubject(original.subject), 300),
      raw: reply,
      recipients: [sender],
    });
    this.#deps.queue.kick();
  }
}
