/**
 * « Signaler un filoutage »: the reported message goes to the account's Indésirables, leaves whole
 * (`message/rfc822`, its bytes untouched) for the abuse address (SESAME_ABUSE_ADDRESS: a local
 * mailbox or outside, through the relay or the outbox), and the report is kept (`phishing_report`)
 * and audited with its Message-ID and sender's domain, never its content. « Ce message n'est pas
 * indésirable » brings a message of Indésirables back to the inbox. For the security team:
 * the reports grouped by Message-ID (`sesame reports`) and the quarantine of every local copy of a
 * message (`sesame mail quarantine`).
 */
import type { Kysely } from "kysely";
import type { AuditService } from "../audit/audit.service.js";
import { domainOf } from "../directory/academie-domains.js";
import type { DirectoryService } from "../directory/directory.service.js";
import { phishingReportMessage } from "../i18n/report.fr.js";
import type { Clock } from "../shared/clock.js";
import { DomainError } from "../shared/errors.js";
import type { Schema } from "../storage/schema.js";
import type { CopiesOf, MailService, QuarantineResult } from "./mail.service.js";
import type { OutboundMailer } from "./outbound.js";
import {
  countReports,
  insertReport,
  type ReportFilter,
  reportById,
  reporterCounts,
  reportGroups,
  reportPage,
} from "./report.repository.js";
import { isPlausibleAddress } from "./smtp-submission.js";

export interface ReportDeps {
  readonly db: Kysely<Schema>;
  readonly mail: MailService;
  readonly mailer: OutboundMailer;
  readonly directory: DirectoryService;
  readonly audit: AuditService;
  readonly clock: Clock;
  /** SESAME_ABUSE_ADDRESS. */
  readonly abuseAddress: string;
  /**
   * The reception's intake (intake.ts): a quarantine first stores the messages it had answered 250
   * and not stored yet, so that their copies are found. Without it, they are not waited for.
   */
  readonly intake?: { storeReceivedBefore(asOf: Date): Promise<number> };
}

/** A reported message, as `sesame reports` lists it. */
export interface ReportedMessage {
  /** Its Message-ID header ("" when it had none). */
  readonly messageId: string;
  readonly senderDomain: string;
  /** Accounts that reported it. */
  readonly reporters: number;
  /** Local mailboxes holding a copy now. */
  readonly mailboxes: number;
  readonly firstReportedAt: string;
  readonly lastReportedAt: string;
}

/** One report (`page`, `get`): who reported which message, and the message as they handed it over. */
export interface ReportDetail {
  readonly id: number;
  readonly reportedAt: string;
  /** The reporter's address. */
  readonly reporter: string;
  /** The Message-ID header ("" when it had none). */
  readonly messageId: string;
  readonly senderDomain: string;
  /** Accounts that reported the same message. */
  readonly reporters: number;
  /** Local mailboxes holding a copy now. */
  readonly mailboxes: number;
  /** The reporter's copy; null when they no longer hold it. */
  readonly message: {
    readonly fromAddress: string;
    readonly subject: string;
    readonly receivedAt: Date;
    /** The bytes as received (`page`: only the first LIST_HEAD_BYTES, enough for the headers). */
    readonly raw: Buffer;
  } | null;
}

/** How much of each reported message a page of the list reads: its headers, never a whole large message. */
export const LIST_HEAD_BYTES = 64 * 1024;

/** At most this many messages reported in one action (each one is a message to the abuse address). */
export const MAX_REPORTED_AT_ONCE = 50;

/** A Message-ID typed by an operator: `<…>`, one line, no spaces. */
function checkMessageId(value: string): string {
  const id = value.trim();
  if (!/^<[^\s<>]{1,995}>$/.test(id)) {
    throw new DomainError("VALIDATION_FAILED", "a Message-ID is written <…@…>, without spaces", {
      field: "messageId",
    });
  }
  return id;
}

/** A quarantine's target checked: a Message-ID, or a sender address (lower case); VALIDATION_FAILED (`field`) otherwise. */
function checkTarget(target: string | CopiesOf): CopiesOf {
  if (typeof target === "string" || "messageId" in target) {
    return { messageId: checkMessageId(typeof target === "string" ? target : target.messageId) };
  }
  const sender = target.sender.trim().toLowerCase();
  if (!isPlausibleAddress(sender)) {
    throw new DomainError("VALIDATION_FAILED", "a sender is an address local@domain", { field: "sender" });
  }
  return { sender };
}

export class ReportService {
  readonly #deps: ReportDeps;

  constructor(deps: ReportDeps) {
    this.#deps = deps;
  }

  /**
   * Reports the account's messages `ids`: each one is sent whole to the abuse address, then moved to
   * Indésirables with its report row and audit entry in one transaction. Another account's message
   * is NOT_FOUND (nothing done). Gives how many were reported.
   */
  async report(accountId: number, ids: readonly number[], by: { actor: string; ip?: string }): Promise<number> {
    const wanted = [...new Set(ids)];
    if (wanted.length === 0 || wanted.length > MAX_REPORTED_AT_ONCE) {
      throw new DomainError("VALIDATION_FAILED", `report 1 to ${MAX_REPORTED_AT_ONCE} messages at once`);
    }
    // Every message is read first: one that is not the account's stops the whole action.
    const messages = [];
    for (const id of wanted) messages.push(await this.#deps.mail.reportable(accountId, id));
    const reporter = (await this.#deps.directory.getAccountById(accountId)).address;
    for (const m of messages) {
      const now = this.#deps.clock.now();
      await this.#deps.mailer.send({
        to: this.#deps.abuseAddress,
        ...phishingReportMessage({
          reporter,
          messageId: m.messageId,
          sender: m.fromAddress,
          subject: m.subject,
          receivedAt: m.receivedAt,
          reportedAt: now,
        }),
        replyTo: reporter,
        attachment: { filename: "message-signale.eml", contentType: "message/rfc822", content: m.raw },
      });
      const senderDomain = domainOf(m.fromAddress);
      await this.#deps.mail.moveToRole(accountId, [m.id], "junk", {
        within: async (trx) => {
          await insertReport(trx, {
            accountId,
            messageId: m.messageId ?? "",
            senderDomain,
            reportedAt: now.toISOString(),
          });
          await this.#deps.audit.record(
            {
              actor: by.actor,
              action: "mail.phishing_reported",
              entity: "account",
              entityId: accountId,
              details: {
                messageId: m.messageId,
                senderDomain,
                ...(by.ip ? { ip: by.ip } : {}),
              },
            },
            trx,
          );
        },
      });
    }
    return messages.length;
  }

  /** Brings the account's messages `ids` that are in Indésirables back to the inbox (audited). */
  async notJunk(accountId: number, ids: readonly number[], by: { actor: string; ip?: string }): Promise<number> {
    return this.#deps.mail.moveToRole(accountId, ids, "inbox", {
      onlyFrom: "junk",
      within: async (trx, moved) => {
        if (moved.length === 0) return;
        await this.#deps.audit.record(
          {
            actor: by.actor,
            action: "mail.not_junk",
            entity: "account",
            entityId: accountId,
            details: { messages: moved, ...(by.ip ? { ip: by.ip } : {}) },
          },
          trx,
        );
      },
    });
  }

  /** The reported messages grouped by Message-ID, the latest reported first. */
  async list(filter: { since?: Date; limit?: number } = {}): Promise<ReportedMessage[]> {
    const limit = filter.limit ?? 1000;
    const groups = await reportGroups(this.#deps.db, {
      limit,
      ...(filter.since ? { since: filter.since.toISOString() } : {}),
    });
    const counts = await this.#deps.mail.mailboxCounts(groups.map((g) => g.messageId).filter((id) => id !== ""));
    return groups.map((g) => ({
      messageId: g.messageId,
      senderDomain: g.senderDomain,
      reporters: g.reporters,
      mailboxes: g.messageId === "" ? 0 : (counts.get(g.messageId) ?? 0),
      firstReportedAt: g.firstAt,
      lastReportedAt: g.lastAt,
    }));
  }

  /**
   * Moves every local copy of the message `messageId` (a Message-ID header; or `{ sender }`: every
   * message from that address) to its mailbox's Indésirables, never deleting; audited unless
   * `dryRun` (which moves nothing).
   */
  async quarantine(
    messageId: string | CopiesOf,
    options: { actor: string; dryRun?: boolean; reason?: string; ip?: string },
  ): Promise<QuarantineResult> {
    return this.#moveCopies("quarantine", messageId, options);
  }

  /**
   * The quarantine undone: every local copy of the message that is in its mailbox's Indésirables
   * goes back to its inbox; audited unless `dryRun`.
   */
  async release(
    messageId: string | CopiesOf,
    options: { actor: string; dryRun?: boolean; reason?: string; ip?: string },
  ): Promise<QuarantineResult> {
    return this.#moveCopies("release", messageId, options);
  }

  async #moveCopies(
    how: "quarantine" | "release",
    messageId: string | CopiesOf,
    options: { actor: string; dryRun?: boolean; reason?: string; ip?: string },
  ): Promise<QuarantineResult> {
    const target = checkTarget(messageId);
    // Copies answered 250 a moment ago may still wait in the intake: stored first, to be found.
    const waiting =
      how === "quarantine" && this.#deps.intake
        ? await this.#deps.intake.storeReceivedBefore(this.#deps.clock.now())
        : 0;
    const move = how === "quarantine" ? this.#deps.mail.quarantine : this.#deps.mail.release;
    const result = await move.call(this.#deps.mail, target, {
      dryRun: options.dryRun === true,
      within: async (trx, result) => {
        await this.#deps.audit.record(
          {
            actor: options.actor,
            action: how === "quarantine" ? "mail.quarantined" : "mail.released",
            entity: "mail_message",
            entityId: null,
            details: {
              ...target,
              moved: result.moved,
              mailboxes: result.mailboxes,
              ...(waiting > 0 ? { stillInIntake: waiting } : {}),
              ...(options.reason !== undefined ? { reason: options.reason } : {}),
              ...(options.ip ? { ip: options.ip } : {}),
            },
          },
          trx,
        );
      },
    });
    return waiting > 0 ? { ...result, stillInIntake: waiting } : result;
  }

  /**
   * One page of the reports, one row per report, the latest first, with each message's copy as
   * its reporter handed it over (null when they no longer hold it), how many accounts reported it
   * and how many local mailboxes hold a copy. `senderDomain`: exact (lower case), never a pattern.
   */
  async page(
    filter: { since?: Date; until?: Date; senderDomain?: string },
    page: { offset: number; limit: number },
  ): Promise<{ total: number; reports: ReportDetail[] }> {
    const f: ReportFilter = {
      ...(filter.since ? { since: filter.since.toISOString() } : {}),
      ...(filter.until ? { until: filter.until.toISOString() } : {}),
      ...(filter.senderDomain !== undefined ? { senderDomain: filter.senderDomain.trim().toLowerCase() } : {}),
    };
    const [total, rows] = await Promise.all([
      countReports(this.#deps.db, f),
      reportPage(this.#deps.db, f, { offset: Math.max(0, page.offset), limit: page.limit }),
    ]);
    return { total, reports: await this.#details(rows, { headBytes: LIST_HEAD_BYTES }) };
  }

  /** One report with its message as the reporter handed it over; NOT_FOUND when there is no such report. */
  async get(reportId: number): Promise<ReportDetail> {
    const row = Number.isSafeInteger(reportId) && reportId > 0 ? await reportById(this.#deps.db, reportId) : null;
    if (!row) throw new DomainError("NOT_FOUND", `no report #${reportId}`);
    const [detail] = await this.#details([row]);
    if (!detail) throw new DomainError("NOT_FOUND", `no report #${reportId}`);
    return detail;
  }

  async #details(
    rows: readonly { id: number; accountId: number; messageId: string; senderDomain: string; reportedAt: string }[],
    options: { headBytes?: number } = {},
  ): Promise<ReportDetail[]> {
    const ids = rows.map((r) => r.messageId).filter((id) => id !== "");
    const [mailboxes, reporters] = await Promise.all([
      this.#deps.mail.mailboxCounts(ids),
      reporterCounts(this.#deps.db, ids),
    ]);
    // Each row's reporter and copy read side by side (a page is at most a few dozen rows).
    return Promise.all(
      rows.map(async (r): Promise<ReportDetail> => {
        const [account, copy] = await Promise.all([
          this.#deps.directory.getAccountById(r.accountId),
          r.messageId === "" ? null : this.#deps.mail.copyOf(r.accountId, r.messageId, options),
        ]);
        return {
          id: r.id,
          reportedAt: r.reportedAt,
          reporter: account.address,
          messageId: r.messageId,
          senderDomain: r.senderDomain,
          reporters: reporters.get(r.messageId) ?? 1,
          mailboxes: r.messageId === "" ? 0 : (mailboxes.get(r.messageId) ?? 0),
          message: copy
            ? { fromAddress: copy.fromAddress, subject: copy.subject, receivedAt: copy.receivedAt, raw: copy.raw }
            : null,
        };
      }),
    );
  }
}
