/**
 * The durable outbound queue: external recipients of a message wait here until the
 * SMTP relay (SESAME_SMTP_RELAY_URL) has taken their copy.
 *
 * States of a delivery row: `queued` → (claimed, leased) `sending` → `sent` after the relay's 250;
 * on a temporary failure (4xx, connection refused, timeout) back to `queued` with the next attempt
 * after 1, 5, 15, 30 min, 1 h, 2 h, then every 4 h, until 5 days after the message was queued;
 * on a permanent failure (5xx) or at expiry `failed`, and a French bounce (multipart/report,
 * RFC 3464) is delivered into the sender's inbox.
 *
 * Crash safety: a claim is a lease (`lease_until`). A worker that dies leaves its rows `sending`;
 * once the lease has expired any worker takes them again. The only window where a recipient may
 * get a message twice is between the relay's 250 and the `sent` mark (a few milliseconds, one
 * UPDATE): SMTP has no way to make that atomic. Several instances share the queue on PostgreSQL
 * (`for update skip locked`); SQLite is one process.
 *
 * Without a relay the worker does nothing: rows stay `queued` (`sesame outbox` lists them).
 */
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import nodemailer, { type Transporter } from "nodemailer";
import MimeNode from "nodemailer/lib/mime-node";
import { bounceMessage } from "../i18n/messages.fr.js";
import type { Clock } from "../shared/clock.js";
import type { WarnLogger } from "../shared/logger.js";
import type { DialectName } from "../storage/database.js";
import type { Schema } from "../storage/schema.js";
import type { MailService } from "./mail.service.js";
import { cleanHeaderText } from "./mime.js";
import { relayOptions } from "./outbound.service.js";
import type { ClaimedDelivery, DeliveryRow, DeliveryState, QueueExecutor } from "./outbound-queue.repository.js";
import * as repo from "./outbound-queue.repository.js";

export type { DeliveryRow, DeliveryState } from "./outbound-queue.repository.js";

/** Waits after the 1st, 2nd, … temporary failure; every 4 h afterwards. */
export const RETRY_SCHEDULE_MS: readonly number[] = [1, 5, 15, 30, 60, 120].map((m) => m * 60_000);
const RETRY_AFTER_SCHEDULE_MS = 4 * 3_600_000;
/** A message not delivered after this is given up (a bounce tells the sender). */
export const QUEUE_EXPIRY_MS = 5 * 24 * 3_600_000;
/** How long a claimed row is reserved for its worker (longer than any SMTP timeout). */
const LEASE_MS = 5 * 60_000;

export function retryDelayMs(failuresSoFar: number): number {
  return RETRY_SCHEDULE_MS[failuresSoFar] ?? RETRY_AFTER_SCHEDULE_MS;
}

export interface OutboundQueueOptions {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  readonly clock: Clock;
  readonly mail: MailService;
  readonly mailDomain: string;
  readonly relayUrl: string | null;
  /** Between two looks at the queue when nothing wakes the worker (default 5 s). */
  readonly pollMs?: number;
  /** Rows claimed at once (default 100). */
  readonly batchSize?: number;
  /** Parallel connections to the relay (default 5). */
  readonly maxConnections?: number;
  readonly timeouts?: { connectionMs: number; greetingMs: number; socketMs: number };
  readonly logger?: WarnLogger;
}

export interface QueueRunReport {
  sent: number;
  retried: number;
  failed: number;
}

export interface QueuedMessage {
  readonly accountId: number;
  readonly envelopeFrom: string;
  readonly subject: string;
  readonly raw: Buffer;
  readonly recipients: readonly string[];
}

type Outcome = { kind: "sent" } | { kind: "temporary"; error: string } | { kind: "permanent"; error: string };

function classify(error: unknown): Outcome {
  const e = error as { responseCode?: unknown; response?: unknown; code?: unknown; message?: unknown };
  const code = typeof e.responseCode === "number" ? e.responseCode : null;
  const text = cleanHeaderText(
    typeof e.response === "string"
      ? e.response
      : `${typeof e.code === "string" ? e.code : "ERROR"} ${typeof e.message === "string" ? e.message : ""}`,
    300,
  );
  if (code !== null && code >= 500 && code < 600) return { kind: "permanent", error: text };
  return { kind: "temporary", error: text };
}

/** The header block of a message (for the text/rfc822-headers part of a bounce). */
function headerBlock(raw: Buffer): string {
  const text = raw.subarray(0, 64 * 1024).toString("utf8");
  const end = text.search(/\r?\n\r?\n/);
  return end >= 0 ? text.slice(0, end) : text;
}

export class OutboundQueue {
  readonly #opts: OutboundQueueOptions;
  readonly #relay: Transporter | null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;

  constructor(options: OutboundQueueOptions) {
    this.#opts = options;
    this.#relay = options.relayUrl
      ? nodemailer.createTransport({
          ...relayOptions(options.relayUrl, options.timeouts),
          maxConnections: options.maxConnections ?? 5,
          maxMessages: 1000,
        })
      : null;
  }

  get hasRelay(): boolean {
    return this.#relay !== null;
  }

  /**
   * Forgets what was relayed or refused more than `retentionDays` ago (the rows `sesame outbox`
   * shows, and the bodies kept for relaying); messages still queued are never touched.
   */
  purgeDone(retentionDays: number): Promise<{ deliveries: number; messages: number }> {
    const before = new Date(this.#opts.clock.now().getTime() - retentionDays * 86_400_000).toISOString();
    return repo.purgeDone(this.#opts.db, before);
  }

  /** Queues a message for its external recipients; pass the sending's transaction as `ex`. */
  async enqueue(ex: QueueExecutor, message: QueuedMessage): Promise<void> {
    if (message.recipients.length === 0) return;
    const now = this.#opts.clock.now();
    await repo.insert(ex, {
      accountId: message.accountId,
      envelopeFrom: message.envelopeFrom,
      subject: message.subject,
      raw: message.raw,
      recipients: message.recipients,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + QUEUE_EXPIRY_MS).toISOString(),
    });
  }

  /** The queue for `sesame outbox`: rows to deliver first, then the latest finished ones. */
  list(limit = 50, states?: readonly DeliveryState[]): Promise<DeliveryRow[]> {
    return repo.list(this.#opts.db, limit, states);
  }

  counts(): Promise<Record<DeliveryState, number>> {
    return repo.counts(this.#opts.db);
  }

  /** When the oldest delivery still waiting was queued (ISO-8601), or null (the monitoring's queue age). */
  oldestWaitingAt(): Promise<string | null> {
    return repo.oldestWaiting(this.#opts.db);
  }

  /** The deliveries this instance's worker ended since it started, by outcome (the monitoring). */
  readonly delivered: QueueRunReport = { sent: 0, retried: 0, failed: 0 };

  /** Starts the worker (nothing happens without a relay). */
  start(): void {
    if (!this.#relay || this.#timer) return;
    this.#timer = setInterval(() => this.kick(), this.#opts.pollMs ?? 5_000);
    this.#timer.unref();
    this.kick();
  }

  /** Asks the started worker to look at the queue now (after a message was queued). */
  kick(): void {
    if (!this.#timer) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.runOnce()
      .then(
        () => undefined,
        (error: unknown) => this.#opts.logger?.warn({ err: error }, "outbound queue run failed"),
      )
      .finally(() => {
        this.#running = null;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** Stops the worker; deliveries under way finish first. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#again = false;
    while (this.#running) await this.#running;
  }

  async close(): Promise<void> {
    await this.stop();
    this.#relay?.close();
  }

  /** Delivers every due row (until none is due); the worker's step, callable from tests. */
  async runOnce(): Promise<QueueRunReport> {
    const report: QueueRunReport = { sent: 0, retried: 0, failed: 0 };
    if (!this.#relay) return report;
    const batch = this.#opts.batchSize ?? 100;
    for (;;) {
      const now = this.#opts.clock.now();
      const claimed = await repo.claimDue(
        this.#opts.db,
        this.#opts.dialect,
        now.toISOString(),
        new Date(now.getTime() + LEASE_MS).toISOString(),
        batch,
      );
      if (claimed.length === 0) return report;
      const raws = new Map<number, Promise<Buffer | null>>();
      await Promise.all(
        claimed.map(async (row) => {
          let raw = raws.get(row.messageId);
          if (!raw) {
            raw = repo.raw(this.#opts.db, row.messageId);
            raws.set(row.messageId, raw);
          }
          const outcome = await this.#deliver(row, await raw);
          const counted = outcome === "sent" ? "sent" : outcome === "retry" ? "retried" : "failed";
          report[counted]++;
          this.delivered[counted]++;
        }),
      );
      if (claimed.length < batch) return report;
    }
  }

  async #deliver(row: ClaimedDelivery, raw: Buffer | null): Promise<"sent" | "retry" | "failed"> {
    let outcome: Outcome;
    if (!raw || !this.#relay) outcome = { kind: "permanent", error: "message body missing" };
    else {
      try {
        await this.#relay.sendMail({ envelope: { from: row.envelopeFrom, to: [row.recipient] }, raw });
        outcome = { kind: "sent" };
      } catch (error) {
        outcome = classify(error);
      }
    }
    const now = this.#opts.clock.now();
    if (outcome.kind === "sent") {
      await repo.markSent(this.#opts.db, row.id, now.toISOString());
      return "sent";
    }
    const expired = now.getTime() >= new Date(row.expiresAt).getTime();
    if (outcome.kind === "temporary" && !expired) {
      const next = Math.min(now.getTime() + retryDelayMs(row.attempts), new Date(row.expiresAt).getTime());
      await repo.markRetry(this.#opts.db, row.id, new Date(next).toISOString(), outcome.error);
      return "retry";
    }
    await repo.markFailed(this.#opts.db, row.id, now.toISOString(), outcome.error);
    await this.#bounce(row, raw, outcome.kind === "permanent" ? "refused" : "expired", outcome.error);
    return "failed";
  }

  /** A French non-delivery report (RFC 3464) in the sender's inbox. */
  async #bounce(row: ClaimedDelivery, raw: Buffer | null, reason: "refused" | "expired", detail: string) {
    try {
      const now = this.#opts.clock.now();
      const sentAt = new Date(new Date(row.expiresAt).getTime() - QUEUE_EXPIRY_MS);
      const texts = bounceMessage({ recipient: row.recipient, subject: row.subject, sentAt, reason, detail });
      const domain = this.#opts.mailDomain;
      const root = new MimeNode("multipart/report; report-type=delivery-status", { newline: "\r\n" });
      root.setHeader({
        From: `Système de messagerie <mailer-daemon@${domain}>`,
        To: row.envelopeFrom,
        Subject: texts.subject,
        Date: now.toUTCString().replace(/GMT/, "+0000"),
        "Message-ID": `<${randomBytes(16).toString("hex")}@${domain}>`,
        "Auto-Submitted": "auto-replied",
      });
      root.createChild("text/plain; charset=utf-8").setContent(texts.text);
      const status = reason === "refused" ? "5.0.0" : "4.4.7";
      root
        .createChild("message/delivery-status")
        .setContent(
          [
            `Reporting-MTA: dns; ${domain}`,
            `Arrival-Date: ${sentAt.toUTCString()}`,
            "",
            `Final-Recipient: rfc822; ${row.recipient}`,
            "Action: failed",
            `Status: ${status}`,
            `Diagnostic-Code: smtp; ${detail}`,
            `Last-Attempt-Date: ${now.toUTCString()}`,
            "",
          ].join("\r\n"),
        );
      if (raw) root.createChild("text/rfc822-headers").setContent(`${headerBlock(raw)}\r\n`);
      const built = await root.build();
      await this.#opts.mail.deliver(built, [{ accountId: row.accountId, address: row.envelopeFrom }], {
        envelopeFrom: "",
        rules: false,
      });
    } catch (error) {
      this.#opts.logger?.warn({ err: error, delivery: row.id }, "the bounce could not be delivered");
    }
  }
}
