/**
 * Writing and sending mail: the rules behind the compose page and the SMTP
 * submission. Every check runs before anything is written; then ONE durable transaction delivers
 * to the local recipients, queues the external ones, keeps the copy in Envoyés, marks the answered
 * message, removes the draft and writes the audit entry — all or nothing ("nothing half-sent").
 * The sending limit (LIMITS.sends, identity/limits.ts) is counted after that commit.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import addressparser from "nodemailer/lib/addressparser";
import DKIM from "nodemailer/lib/dkim";
import MailComposer from "nodemailer/lib/mail-composer";
import type { AuditService } from "../audit/audit.service.js";
import type { DirectoryService } from "../directory/directory.service.js";
import { parseEmail } from "../directory/identifiers.js";
import type { WindowCounter } from "../identity/throttle.js";
import type { Clock } from "../shared/clock.js";
import { DomainError, isDomainError } from "../shared/errors.js";
import { sanitizeEditorHtml, sanitizeMailHtml } from "./html-sanitizer.js";
import type { MailService } from "./mail.service.js";
import type { Recipient } from "./mail.types.js";
import { readForStorage, safeFilename } from "./mime.js";
import type { OutboundQueue } from "./outbound-queue.js";
import type { Address, OutgoingMessage, SendApi, SendResult } from "./send.types.js";

/** Recipients of one message, To, Cc and Bcc together. */
export const MAX_RECIPIENTS = 100;
/** A refused sender is never told to retry sooner than this. */
const MIN_RETRY_MS = 60_000;

export interface SendDeps {
  readonly mail: MailService;
  readonly directory: DirectoryService;
  readonly queue: OutboundQueue;
  readonly audit: AuditService;
  readonly clock: Clock;
  /**
   * Recipients sent to per account (LIMITS.sends: SESAME_SEND_LIMIT_PER_HOUR per rolling hour), in
   * the database or Redis, shared by the instances.
   */
  readonly sends: WindowCounter;
  readonly mailDomain: string;
  readonly maxMessageBytes: number;
  readonly dkim: { readonly selector: string; readonly keyFile: string } | null;
}

type Field = "to" | "cc" | "bcc";

/** Splits a typed list at the commas and semicolons that are outside quotes and angle brackets. */
function splitList(value: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  let angle = 0;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === "<") angle++;
    else if (!quoted && ch === ">") angle = Math.max(0, angle - 1);
    if (!quoted && angle === 0 && (ch === "," || ch === ";")) {
      if (current.trim() !== "") out.push(current.trim());
      current = "";
      continue;
    }
    current += ch;
  }
  if (current.trim() !== "") out.push(current.trim());
  return out;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: names lose their control characters
const NAME_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** One recipient field: its addresses, or INVALID_RECIPIENTS / HEADER_INJECTION at the field. */
function parseField(field: Field, value: string): Address[] {
  if (/[\r\n]/.test(value)) {
    throw new DomainError("HEADER_INJECTION", "line breaks in a recipient field", { field });
  }
  const entries = splitList(value);
  if (entries.length > MAX_RECIPIENTS) {
    throw new DomainError("TOO_MANY_RECIPIENTS", `more than ${MAX_RECIPIENTS} recipients`, {
      field,
      max: MAX_RECIPIENTS,
    });
  }
  const out: Address[] = [];
  const invalid: string[] = [];
  for (const entry of entries) {
    const parsed = addressparser(entry, { flatten: true });
    const only = parsed.length === 1 ? parsed[0] : undefined;
    try {
      if (!only?.address || entry.length > 400) throw new Error("not one address");
      out.push({ name: only.name.replace(NAME_UNSAFE, "").trim().slice(0, 200), address: parseEmail(only.address) });
    } catch {
      invalid.push(entry.slice(0, 200));
    }
  }
  if (invalid.length > 0) {
    throw new DomainError("INVALID_RECIPIENTS", "some recipients are not e-mail addresses", { field, invalid });
  }
  return out;
}

function cleanContentType(value: string): string {
  const v = value.trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/.test(v) ? v : "application/octet-stream";
}

interface Checked {
  readonly to: Address[];
  readonly cc: Address[];
  readonly bcc: Address[];
  /** Every distinct recipient address with the field it was typed in. */
  readonly all: { address: string; field: Field }[];
}

export class SendService implements SendApi {
  readonly #deps: SendDeps;
  readonly #dkim: DKIM | null;

  constructor(deps: SendDeps) {
    this.#deps = deps;
    this.#dkim = deps.dkim
      ? new DKIM({
          domainName: deps.mailDomain,
          keySelector: deps.dkim.selector,
          privateKey: readFileSync(deps.dkim.keyFile, "utf8"),
        })
      : null;
  }

  // Checks

  #checkHeaders(message: OutgoingMessage): void {
    if (/[\r\n]/.test(message.subject)) {
      throw new DomainError("HEADER_INJECTION", "line breaks in the subject", { field: "subject" });
    }
    if (message.subject.length > 998) {
      throw new DomainError("VALIDATION_FAILED", "the subject is too long", { field: "subject" });
    }
  }

  #checkRecipients(message: OutgoingMessage): Checked {
    const to = parseField("to", message.to);
    const cc = parseField("cc", message.cc);
    const bcc = parseField("bcc", message.bcc);
    const all: { address: string; field: Field }[] = [];
    const seen = new Set<string>();
    for (const [field, list] of [
      ["to", to],
      ["cc", cc],
      ["bcc", bcc],
    ] as const) {
      for (const a of list) {
        const key = a.address.toLowerCase();
        if (seen.has(key)) continue;
        seen.add(key);
        all.push({ address: a.address, field });
      }
    }
    if (all.length === 0) throw new DomainError("NO_RECIPIENT", "no recipient", { field: "to" });
    if (to.length + cc.length + bcc.length > MAX_RECIPIENTS) {
      const field = bcc.length > 0 ? "bcc" : cc.length > 0 ? "cc" : "to";
      throw new DomainError("TOO_MANY_RECIPIENTS", `more than ${MAX_RECIPIENTS} recipients`, {
        field,
        max: MAX_RECIPIENTS,
      });
    }
    return { to, cc, bcc, all };
  }

  #checkAttachments(message: OutgoingMessage): { filename: string; contentType: string; content: Buffer }[] {
    let total = 0;
    return message.attachments.map((a, index) => {
      const contentType = cleanContentType(a.contentType);
      const filename = safeFilename(a.filename, index, contentType);
      if (a.content.length === 0) {
        throw new DomainError("VALIDATION_FAILED", "an attachment is empty", {
          field: "attachments",
          reason: "empty",
          filename,
        });
      }
      total += a.content.length;
      if (total > this.#deps.maxMessageBytes) {
        throw new DomainError("ATTACHMENT_TOO_LARGE", "the attachments are too large", {
          field: "attachments",
          filename,
          maxBytes: this.#deps.maxMessageBytes,
        });
      }
      return { filename, contentType, content: a.content };
    });
  }

  /** SENDING_LIMIT when `count` more recipients would pass the hourly limit. */
  async #checkLimit(accountId: number, count: number): Promise<void> {
    const decision = await this.#deps.sends.check(`send:${accountId}`, count);
    if (!decision.allowed) {
      throw new DomainError("SENDING_LIMIT", "the hourly sending limit is reached", {
        retryAt: new Date(Math.max(decision.retryAt.getTime(), this.#deps.clock.now().getTime() + MIN_RETRY_MS)),
        limit: this.#deps.sends.threshold,
      });
    }
  }

  async #countSent(accountId: number, count: number): Promise<void> {
    if (count > 0) await this.#deps.sends.record(`send:${accountId}`, count);
  }

  /** Local recipients must be active accounts with room; INVALID_RECIPIENTS at their field otherwise. */
  async #split(all: readonly { address: string; field: Field }[], size: number) {
    const local: Recipient[] = [];
    const external: string[] = [];
    const domain = `@${this.#deps.mailDomain}`;
    for (const r of all) {
      if (!r.address.toLowerCase().endsWith(domain)) {
        external.push(r.address);
        continue;
      }
      try {
        local.push(await this.#deps.mail.checkRecipient(r.address, size));
      } catch (error) {
        if (error instanceof DomainError && (error.code === "RECIPIENT_UNKNOWN" || error.code === "QUOTA_EXCEEDED")) {
          throw new DomainError("INVALID_RECIPIENTS", "a local recipient cannot receive mail", {
            field: r.field,
            invalid: [r.address],
            reason: error.code === "QUOTA_EXCEEDED" ? "mailbox_full" : "unknown",
          });
        }
        throw error;
      }
    }
    return { local, external };
  }

  // Composing

  async #compose(
    accountId: number,
    message: OutgoingMessage,
    recipients: { to: Address[]; cc: Address[]; bcc: Address[] },
    attachments: { filename: string; contentType: string; content: Buffer }[],
  ): Promise<{ withBcc: Buffer; withoutBcc: Buffer; messageId: string; from: string; answeredId?: number }> {
    const account = await this.#deps.directory.getAccountById(accountId);
    const from = { name: `${account.holder.prenom} ${account.holder.nom}`, address: account.address };
    const messageId = `<${randomBytes(16).toString("hex")}@${this.#deps.mailDomain}>`;
    let threading: { inReplyTo?: string; references?: string[] } = {};
    let answeredId: number | undefined;
    if (message.inReplyTo !== undefined) {
      const original = await this.#deps.mail.threading(accountId, message.inReplyTo);
      answeredId = message.inReplyTo;
      if (original.messageId) {
        threading = {
          inReplyTo: original.messageId,
          references: [...original.references, original.messageId].slice(-20),
        };
      }
    } else if (message.draftId !== undefined) {
      // A reply resumed from Brouillons: the draft kept the answer's In-Reply-To and References.
      const draft = await this.#deps.mail.threading(accountId, message.draftId).catch((error: unknown) => {
        if (isDomainError(error, "NOT_FOUND")) return null; // sent or deleted in another tab meanwhile
        throw error;
      });
      if (draft?.inReplyTo) {
        threading = { inReplyTo: draft.inReplyTo, references: draft.references.slice(-20) };
        answeredId = (await this.#deps.mail.messageByMessageId(accountId, draft.inReplyTo)) ?? undefined;
      }
    }
    const parts = [...attachments];
    if (message.forwardAttached !== undefined) {
      const raw = await this.#deps.mail.raw(accountId, message.forwardAttached);
      const original = await this.#deps.mail.threading(accountId, message.forwardAttached);
      parts.push({
        filename: safeFilename(`${original.subject || "message"}.eml`, parts.length, "message/rfc822"),
        contentType: "message/rfc822",
        content: raw,
      });
    }
    const html =
      message.html !== undefined && message.html.trim() !== ""
        ? sanitizeMailHtml(message.html, { allowRemote: true }).html
        : undefined;
    const build = async (keepBcc: boolean) => {
      const node = new MailComposer({
        from,
        to: recipients.to,
        cc: recipients.cc,
        bcc: recipients.bcc,
        subject: message.subject,
        text: message.text,
        ...(html !== undefined ? { html } : {}),
        date: this.#deps.clock.now(),
        messageId,
        ...threading,
        attachments: parts.map((p) => ({ filename: p.filename, contentType: p.contentType, content: p.content })),
        disableFileAccess: true,
        disableUrlAccess: true,
        newline: "win",
      }).compile();
      node.keepBcc = keepBcc;
      return node.build();
    };
    const withBcc = await build(true);
    const withoutBcc = await this.#sign(recipients.bcc.length > 0 ? await build(false) : withBcc);
    return { withBcc, withoutBcc, messageId, from: account.address, ...(answeredId ? { answeredId } : {}) };
  }

  async #sign(raw: Buffer): Promise<Buffer> {
    if (!this.#dkim) return raw;
    const chunks: Buffer[] = [];
    for await (const chunk of this.#dkim.sign(raw)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  // Sending

  async send(
    accountId: number,
    message: OutgoingMessage,
    meta: { ip: string; userAgent: string },
  ): Promise<SendResult> {
    this.#checkHeaders(message);
    const checked = this.#checkRecipients(message);
    const attachments = this.#checkAttachments(message);
    await this.#checkLimit(accountId, checked.all.length);
    const composed = await this.#compose(accountId, message, checked, attachments);
    if (
      composed.withBcc.length > this.#deps.maxMessageBytes ||
      composed.withoutBcc.length > this.#deps.maxMessageBytes
    ) {
      throw new DomainError("MESSAGE_TOO_LARGE", "the message is too large", {
        field: attachments.length > 0 ? "attachments" : "text",
        maxBytes: this.#deps.maxMessageBytes,
      });
    }
    return this.#dispatch(accountId, {
      sentCopy: composed.withBcc,
      relayed: composed.withoutBcc,
      messageId: composed.messageId,
      envelopeFrom: composed.from,
      subject: message.subject,
      recipients: checked.all,
      ...(composed.answeredId !== undefined ? { answeredId: composed.answeredId } : {}),
      ...(message.draftId !== undefined ? { draftId: message.draftId } : {}),
      actor: "web:send",
      ip: meta.ip,
    });
  }

  async #dispatch(
    accountId: number,
    s: {
      sentCopy: Buffer;
      relayed: Buffer;
      messageId: string;
      envelopeFrom: string;
      subject: string;
      recipients: readonly { address: string; field: Field }[];
      answeredId?: number;
      draftId?: number;
      actor: string;
      ip: string;
    },
  ): Promise<SendResult> {
    const { local, external } = await this.#split(s.recipients, s.relayed.length);
    const stored = await this.#deps.mail.recordSending({
      accountId,
      sentCopy: s.sentCopy,
      local: local.length > 0 ? { raw: s.relayed, recipients: local, envelopeFrom: s.envelopeFrom } : null,
      ...(s.answeredId !== undefined ? { answeredId: s.answeredId } : {}),
      ...(s.draftId !== undefined ? { draftId: s.draftId } : {}),
      within: async (trx) => {
        await this.#deps.queue.enqueue(trx, {
          accountId,
          envelopeFrom: s.envelopeFrom,
          subject: s.subject.slice(0, 300),
          raw: s.relayed,
          recipients: external,
        });
        await this.#deps.audit.record(
          {
            actor: s.actor,
            action: "mail.sent",
            entity: "account",
            entityId: accountId,
            details: {
              recipients: s.recipients.length,
              local: local.length,
              external: external.length,
              sizeBytes: s.relayed.length,
              ip: s.ip,
            },
          },
          trx,
        );
      },
    });
    await this.#countSent(accountId, s.recipients.length);
    if (external.length > 0) this.#deps.queue.kick();
    return {
      messageId: s.messageId,
      sentCopyId: stored.sentCopyId,
      delivered: local.map((r) => r.address),
      queued: external,
    };
  }

  editableHtml(html: string): string {
    return sanitizeEditorHtml(html);
  }

  async saveDraft(accountId: number, message: OutgoingMessage, replaces?: number): Promise<number> {
    this.#checkHeaders(message);
    for (const field of ["to", "cc", "bcc"] as const) {
      if (/[\r\n]/.test(message[field])) {
        throw new DomainError("HEADER_INJECTION", "line breaks in a recipient field", { field });
      }
    }
    const lenient = (field: Field): Address[] => {
      try {
        return parseField(field, message[field]);
      } catch {
        // A draft may hold half-typed addresses: they are kept as written, without a display name.
        return [];
      }
    };
    const attachments = this.#checkAttachments(message);
    const composed = await this.#compose(
      accountId,
      { ...message, draftId: undefined } as OutgoingMessage,
      { to: lenient("to"), cc: lenient("cc"), bcc: lenient("bcc") },
      attachments,
    );
    return this.#deps.mail.storeInFolder(
      accountId,
      "drafts",
      composed.withBcc,
      { seen: true, draft: true },
      replaces !== undefined ? { replaces } : {},
    );
  }

  async sendRaw(
    accountId: number,
    raw: Buffer,
    envelope: { from: string; to: readonly string[] },
    meta: { ip: string },
  ): Promise<SendResult> {
    if (raw.length > this.#deps.maxMessageBytes) {
      throw new DomainError("MESSAGE_TOO_LARGE", "the message is too large", { maxBytes: this.#deps.maxMessageBytes });
    }
    const account = await this.#deps.directory.getAccountById(accountId);
    const own = account.address.toLowerCase();
    const headers = await readForStorage(raw);
    if (envelope.from.trim().toLowerCase() !== own || headers.from?.address.toLowerCase() !== own) {
      throw new DomainError("SENDER_MISMATCH", "the sender must be the account's own address");
    }
    if (envelope.to.length === 0) throw new DomainError("NO_RECIPIENT", "no recipient", { field: "to" });
    if (envelope.to.length > MAX_RECIPIENTS) {
      throw new DomainError("TOO_MANY_RECIPIENTS", `more than ${MAX_RECIPIENTS} recipients`, {
        field: "to",
        max: MAX_RECIPIENTS,
      });
    }
    const all: { address: string; field: Field }[] = [];
    const seen = new Set<string>();
    const invalid: string[] = [];
    for (const value of envelope.to) {
      try {
        const address = parseEmail(value);
        if (!seen.has(address.toLowerCase())) {
          seen.add(address.toLowerCase());
          all.push({ address, field: "to" });
        }
      } catch {
        invalid.push(value.slice(0, 200));
      }
    }
    if (invalid.length > 0) {
      throw new DomainError("INVALID_RECIPIENTS", "some recipients are not e-mail addresses", { field: "to", invalid });
    }
    await this.#checkLimit(accountId, all.length);
    const relayed = await this.#sign(raw);
    return this.#dispatch(accountId, {
      sentCopy: raw,
      relayed,
      messageId: headers.messageId ?? "",
      envelopeFrom: account.address,
      subject: headers.subject,
      recipients: all,
      actor: "smtp:submission",
      ip: meta.ip,
    });
  }
}
