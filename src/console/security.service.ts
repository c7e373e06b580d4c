/**
 * The security team's console (`securite`): the phishing reports across mailboxes, one report's
 * message as its reporter handed it over (headers and source; the viewing audited), and the
 * quarantine of every local copy of a message (or of every message from a sender) across the
 * mailboxes, or its release — each with a required reason, audited with the agent. The reports and
 * the moves are ReportService's
 * (`sesame reports`, `sesame mail quarantine` use the same); what this adds is the console's:
 * pages, the reason, the sender-authentication verdict read back from the stored message.
 */
import type { AuditService } from "../audit/audit.service.js";
import { readHeaderBlock } from "../mail/header-block.js";
import type { CopiesOf, QuarantineResult } from "../mail/mail.service.js";
import type { ReportDetail, ReportService } from "../mail/report.service.js";
import { DomainError } from "../shared/errors.js";
import { checkReason } from "./helpdesk.service.js";
import type { Agent } from "./helpdesk.types.js";

export interface SecurityDeps {
  readonly reports: ReportService;
  readonly audit: AuditService;
}

/** Reports per page of the list. */
export const REPORTS_PER_PAGE = 50;
/** The most of a reported message's source a page shows (its headers are always whole). */
export const SOURCE_SHOWN_MAX = 256 * 1024;
/** A sender domain typed in the filter: at most a DNS name's length. */
const DOMAIN_MAX = 253;

/** A mechanism's result as the reception wrote it (RFC 8601), or "none" when it is absent. */
export type AuthOutcome = "pass" | "fail" | "softfail" | "neutral" | "none" | "temperror" | "permerror" | "policy";
const OUTCOMES: ReadonlySet<string> = new Set<AuthOutcome>([
  "pass",
  "fail",
  "softfail",
  "neutral",
  "none",
  "temperror",
  "permerror",
  "policy",
]);

/** What the reception found about the sender, read from the stored `Authentication-Results`. */
export interface AuthVerdict {
  readonly dmarc: AuthOutcome;
  readonly spf: AuthOutcome;
  readonly dkim: AuthOutcome;
}

export interface ReportSummary {
  readonly id: number;
  readonly reportedAt: string;
  readonly reporter: string;
  readonly messageId: string;
  readonly senderAddress: string | null;
  readonly senderDomain: string;
  readonly subject: string | null;
  /** null: the message carries no verdict (not checked at reception) or the reporter no longer holds it. */
  readonly verdict: AuthVerdict | null;
  readonly reporters: number;
  readonly mailboxes: number;
}

export interface ReportView extends ReportSummary {
  /** The header block as received and stored (latin1 text), null when the reporter no longer holds it. */
  readonly headers: string | null;
  /** The whole source as text, cut at SOURCE_SHOWN_MAX. */
  readonly source: string | null;
  readonly sourceCut: boolean;
}

export interface ReportList {
  readonly reports: readonly ReportSummary[];
  readonly total: number;
  /** 1-based. */
  readonly page: number;
  readonly pages: number;
}

/**
 * The verdict of the first `Authentication-Results` field (the reception puts its own first and
 * removes any claiming its authserv-id); null when there is none.
 */
export function authenticationVerdict(raw: Buffer): AuthVerdict | null {
  const field = readHeaderBlock(raw).fields.find((f) => f.name === "authentication-results");
  if (!field) return null;
  const value = field.value.replace(/\([^)]*\)/g, " ");
  const outcome = (method: string): AuthOutcome => {
    const m = new RegExp(`(?:^|[\\s;])${method}\\s*=\\s*([a-z]+)`, "i").exec(value);
    const found = m?.[1]?.toLowerCase() ?? "none";
    return OUTCOMES.has(found) ? (found as AuthOutcome) : "none";
  };
  return { dmarc: outcome("dmarc"), spf: outcome("spf"), dkim: outcome("dkim") };
}

function summary(d: ReportDetail): ReportSummary {
  return {
    id: d.id,
    reportedAt: d.reportedAt,
    reporter: d.reporter,
    messageId: d.messageId,
    senderAddress: d.message?.fromAddress ?? null,
    senderDomain: d.senderDomain,
    subject: d.message?.subject ?? null,
    verdict: d.message ? authenticationVerdict(d.message.raw) : null,
    reporters: d.reporters,
    mailboxes: d.mailboxes,
  };
}

export class SecurityService {
  constructor(private readonly deps: SecurityDeps) {}

  /**
   * One page (1-based) of the reports, the latest first; `senderDomain` matched exactly (case
   * folded), never as a pattern. VALIDATION_FAILED (`field: "domaine"`) for a domain too long.
   */
  async reports(filter: { since?: Date; until?: Date; senderDomain?: string }, page: number): Promise<ReportList> {
    const domain = filter.senderDomain?.trim() ?? "";
    if (domain.length > DOMAIN_MAX) {
      throw new DomainError("VALIDATION_FAILED", "the sender domain is too long", { field: "domaine" });
    }
    const wanted = Number.isSafeInteger(page) && page > 0 ? page : 1;
    const { total, reports } = await this.deps.reports.page(
      {
        ...(filter.since ? { since: filter.since } : {}),
        ...(filter.until ? { until: filter.until } : {}),
        ...(domain !== "" ? { senderDomain: domain } : {}),
      },
      { offset: (wanted - 1) * REPORTS_PER_PAGE, limit: REPORTS_PER_PAGE },
    );
    return {
      reports: reports.map(summary),
      total,
      page: wanted,
      pages: Math.max(1, Math.ceil(total / REPORTS_PER_PAGE)),
    };
  }

  /** One report with its message's headers and source (the viewing is audited); NOT_FOUND when there is none. */
  async report(reportId: number, agent: Agent): Promise<ReportView> {
    const detail = await this.deps.reports.get(reportId);
    await this.deps.audit.record({
      actor: agent.actor,
      action: "console.report_viewed",
      entity: "phishing_report",
      entityId: detail.id,
      details: { messageId: detail.messageId, ip: agent.ip },
    });
    const raw = detail.message?.raw ?? null;
    const block = raw ? readHeaderBlock(raw) : null;
    return {
      ...summary(detail),
      headers: raw && block ? raw.subarray(0, block.bodyOffset).toString("latin1") : null,
      source: raw ? raw.subarray(0, SOURCE_SHOWN_MAX).toString("utf8") : null,
      sourceCut: raw !== null && raw.length > SOURCE_SHOWN_MAX,
    };
  }

  /**
   * Every local copy of the message (by its Message-ID; or every message from a sender address)
   * moved to its mailbox's Indésirables, with the agent's reason in the audit entry.
   * VALIDATION_FAILED (`field`): `reason` (missing, too long), a `messageId` or `sender` that is not one.
   */
  quarantine(target: CopiesOf, reasonText: string, agent: Agent): Promise<QuarantineResult> {
    const reason = checkReason(reasonText);
    return this.deps.reports.quarantine(target, { actor: agent.actor, reason, ip: agent.ip });
  }

  /** The quarantine undone: the copies in Indésirables back to their inbox, with the agent's reason. */
  release(target: CopiesOf, reasonText: string, agent: Agent): Promise<QuarantineResult> {
    const reason = checkReason(reasonText);
    return this.deps.reports.release(target, { actor: agent.actor, reason, ip: agent.ip });
  }
}
