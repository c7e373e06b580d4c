/**
 * How outbound messages leave. Every message is composed once by nodemailer's
 * MailComposer (UTF-8, encoded headers, Date, Message-ID on the mail domain, Auto-Submitted), then:
 * - with `SESAME_SMTP_RELAY_URL`: handed to that relay over a pooled SMTP connection; a relay that
 *   is down or refuses the message gives DomainError MAIL_UNAVAILABLE;
 * - without: stored in the local outbox (`sesame outbox`), so the whole journey works on a fresh
 *   machine.
 * A message to an address of the mail domain never waits for a relay: it is delivered to the local
 * mail store (the account's inbox; the account's settings are not applied — a security notice is
 * never forwarded away), relay or not. Only if the store refuses it (unknown address, full
 * mailbox) does it go to the relay or the outbox, so that it is never lost.
 * No body is ever logged or put in an error: it can hold a reset link or a code.
 */
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import nodemailer, { type SMTPPoolOptions, type Transporter } from "nodemailer";
import MailComposer from "nodemailer/lib/mail-composer";
import { domainOf } from "../directory/academie-domains.js";
import { parseEmail } from "../directory/identifiers.js";
import type { Clock } from "../shared/clock.js";
import { DomainError } from "../shared/errors.js";
import type { Schema } from "../storage/schema.js";
import type { OutboundMailer, OutboundMessage, OutboxEntry } from "./outbound.js";
import { insertOutboxMessage, selectOutboxMessages } from "./outbox.repository.js";

/** Socket limits towards the relay, in milliseconds. */
export interface RelayTimeouts {
  readonly connectionMs: number;
  readonly greetingMs: number;
  readonly socketMs: number;
}

const DEFAULT_TIMEOUTS: RelayTimeouts = { connectionMs: 10_000, greetingMs: 10_000, socketMs: 30_000 };

export interface OutboundServiceOptions {
  readonly db: Kysely<Schema>;
  readonly clock: Clock;
  readonly mailDomain: string;
  readonly academieName: string;
  /** `smtp://[user:pass@]host[:port]` or `smtps://…`; null: every message goes to the outbox. */
  readonly relayUrl: string | null;
  readonly relayTimeouts?: Partial<RelayTimeouts>;
  readonly logger?: { warn(obj: object, msg: string): void };
}

export interface ComposedMessage {
  /** The whole RFC 5322 message (CRLF line breaks) as text (7-bit unless an original is attached). */
  readonly raw: string;
  /**
   * The same message as bytes, what is delivered or relayed: an attached original's own 8-bit
   * bytes are kept as they are (the text above would change those that are not UTF-8).
   */
  readonly bytes: Buffer;
  readonly messageId: string;
  readonly envelope: { readonly from: string; readonly to: string };
}

export interface Sender {
  readonly name: string;
  readonly address: string;
  readonly domain: string;
}

/** The sender of every message: `"Sésame — <académie>" <ne-pas-repondre@<domain>>`. */
export function senderFor(academieName: string, mailDomain: string): Sender {
  return { name: `Sésame — ${academieName}`, address: `ne-pas-repondre@${mailDomain}`, domain: mailDomain };
}

function checkMessage(message: OutboundMessage): { to: string; replyTo: string | null } {
  const to = parseEmail(message.to);
  const replyTo = message.replyTo === undefined ? null : parseEmail(message.replyTo);
  if (message.subject.trim() === "" || /[\r\n]/.test(message.subject)) {
    throw new DomainError("VALIDATION_FAILED", "an outbound subject is one non-empty line");
  }
  return { to, replyTo };
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The message as text: its UTF-8 text, or one character per byte when the bytes are not UTF-8. */
function outboxText(raw: Buffer): string {
  try {
    return STRICT_UTF8.decode(raw);
  } catch {
    return raw.toString("latin1");
  }
}

/** Builds the RFC 5322 text with nodemailer (no hand-written MIME). */
export async function composeMessage(message: OutboundMessage, sender: Sender, date: Date): Promise<ComposedMessage> {
  const { to, replyTo } = checkMessage(message);
  const messageId = `<${randomBytes(16).toString("hex")}@${sender.domain}>`;
  const raw = await new MailComposer({
    from: { name: sender.name, address: sender.address },
    to,
    ...(replyTo ? { replyTo } : {}),
    subject: message.subject,
    text: message.text,
    ...(message.attachment
      ? {
          attachments: [
            {
              filename: message.attachment.filename,
              contentType: message.attachment.contentType,
              // An attachment to save, not a part to show inline (MailComposer's default for message/*).
              contentDisposition: "attachment" as const,
              content: message.attachment.content,
            },
          ],
        }
      : {}),
    date,
    messageId,
    headers: {
      // RFC 3834: no out-of-office or other automatic answer to these.
      "Auto-Submitted": "auto-generated",
      "X-Auto-Response-Suppress": "All",
    },
    disableFileAccess: true,
    disableUrlAccess: true,
    newline: "win",
  })
    .compile()
    .build();
  return { raw: outboxText(raw), bytes: raw, messageId, envelope: { from: sender.address, to } };
}

/**
 * Pool options for a relay URL. smtp:// speaks plain SMTP and upgrades with STARTTLS when the relay
 * offers it (certificate checked); smtps:// is TLS from the first byte. Credentials come from the URL.
 * Nothing else is read from the URL (no query options: they could turn on transcript logging).
 */
export function relayOptions(relayUrl: string, timeouts: RelayTimeouts = DEFAULT_TIMEOUTS): SMTPPoolOptions {
  const url = new URL(relayUrl);
  const secure = url.protocol === "smtps:";
  const options: SMTPPoolOptions = {
    pool: true,
    maxConnections: 3,
    maxMessages: 100,
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    dnsTimeout: timeouts.connectionMs,
    logger: false,
    debug: false,
  };
  if (url.username || url.password) {
    options.auth = { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) };
  }
  return options;
}

/** The local mail store, for messages to the mail domain's own addresses. */
export interface LocalStore {
  deliver(address: string, raw: Buffer, envelopeFrom: string): Promise<void>;
}

export class OutboundService implements OutboundMailer {
  readonly #db: Kysely<Schema>;
  #local: LocalStore | null = null;
  readonly #logger: { warn(obj: object, msg: string): void } | undefined;
  readonly #clock: Clock;
  readonly #sender: Sender;
  readonly #relay: Transporter | null;

  constructor(options: OutboundServiceOptions) {
    this.#db = options.db;
    this.#clock = options.clock;
    this.#sender = senderFor(options.academieName, options.mailDomain);
    this.#logger = options.logger;
    this.#relay = options.relayUrl
      ? nodemailer.createTransport(relayOptions(options.relayUrl, { ...DEFAULT_TIMEOUTS, ...options.relayTimeouts }))
      : null;
  }

  /** Where messages go: through the SMTP relay, or into the local outbox. */
  get mode(): "relay" | "outbox" {
    return this.#relay ? "relay" : "outbox";
  }

  /** The mail store, once it exists (the composition root builds it after this service). */
  useLocalStore(store: LocalStore): void {
    this.#local = store;
  }

  async send(message: OutboundMessage): Promise<void> {
    const now = this.#clock.now();
    const composed = await composeMessage(message, this.#sender, now);
    if (this.#local && domainOf(composed.envelope.to) === this.#sender.domain) {
      try {
        await this.#local.deliver(composed.envelope.to, composed.bytes, composed.envelope.from);
        return;
      } catch (error) {
        this.#logger?.warn(
          { err: error },
          "a message to a local address could not be stored: kept for the relay or outbox",
        );
      }
    }
    if (this.#relay) {
      try {
        await this.#relay.sendMail({
          envelope: { from: composed.envelope.from, to: [composed.envelope.to] },
          raw: composed.bytes,
        });
      } catch (error) {
        // The relay's own words stay out of the message: they may quote the recipient or the data.
        const e = error as { code?: unknown; responseCode?: unknown };
        throw new DomainError("MAIL_UNAVAILABLE", "the SMTP relay did not accept the message", {
          ...(typeof e.code === "string" ? { cause: e.code } : {}),
          ...(typeof e.responseCode === "number" ? { responseCode: e.responseCode } : {}),
        });
      }
      return;
    }
    await insertOutboxMessage(this.#db, {
      createdAt: now.toISOString(),
      recipient: composed.envelope.to.toLowerCase(),
      subject: message.subject,
      textBody: message.text,
      raw: composed.raw,
    });
  }

  /** The outbox, newest first, optionally for one recipient (any case). */
  async listOutbox(filter: { to?: string; limit?: number } = {}): Promise<OutboxEntry[]> {
    const limit = filter.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new DomainError("VALIDATION_FAILED", "the outbox limit is a whole number between 1 and 10000");
    }
    const recipient = filter.to === undefined ? undefined : parseEmail(filter.to).toLowerCase();
    const rows = await selectOutboxMessages(this.#db, { limit, ...(recipient ? { recipient } : {}) });
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.createdAt,
      recipient: r.recipient,
      subject: r.subject,
      text: r.textBody,
      raw: r.raw,
    }));
  }

  /** Closes the relay's connections (messages being handed over finish first). */
  async close(): Promise<void> {
    this.#relay?.close();
  }
}
