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
import type { MailService, QuarantineResult } from "./mail.service.js";
import type { OutboundMailer } from "./outbound.js";
import { insertReport, reportGroups } from "./report.repository.js";

export interface ReportDeps {
  readonly db: Kysely<Schema>;
  readonly mail: MailService;
  readonly mailer: OutboundMailer;
  readonly directory: DirectoryService;
  readonly audit: AuditService;
  readonly clock: Clock;
  /** SESAME_ABUSE_ADDRESS. */
  readonly abuseAddress: string;
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

/** At most this many messages reported in one action (each one is a message to the abuse address). */
export const MAX_REPORTED_AT_ONCE = 50;

/** A Message-ID typed by an operator: `<…>`, one line, no spaces. */
function checkMessageId(value: string): string {
  const id = value.trim();
  if (!/^<[^\s<>]{1,995}>$/.test(id)) {
    throw new DomainError("VALIDATION_FAILED", "a Message-ID is written <…@…>, without spaces");
  }
  return id;
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
   * Moves every local copy of the message `messageId` (a Message-ID header) to its mailbox's
   * Indésirables, never deleting; audited unless `dryRun` (which moves nothing).
   */
  async quarantine(messageId: string, options: { actor: string; dryRun?: boolean }): Promise<QuarantineResult> {
    const id = checkMessageId(messageId);
    return this.#deps.mail.quarantine(id, {
      dryRun: options.dryRun === true,
      within: async (trx, result) => {
        await this.#deps.audit.record(
          {
            actor: options.actor,
            action: "mail.quarantined",
            entity: "mail_message",
            entityId: null,
            details: { messageId: id, moved: result.moved, mailboxes: result.mailboxes },
          },
          trx,
        );
      },
    });
  }
}
