/**
 * The security team's reports and quarantine (`/console/securite/…`, role `securite`; a 404 for
 * anyone else): the reported messages, paged and filtered by date and sender domain; one report
 * with its message's headers and source; the quarantine of every copy of a message across the
 * mailboxes (or its release), from a report, by Message-ID or by sender address, with a required
 * reason and the second factor again. Thin: parse, call SecurityService, render.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ReportView } from "../../console/security.service.js";
import { isDomainError } from "../../shared/errors.js";
import { parisMidnight, parseDay } from "../dates.js";
import { type FormErrors, formFailure, NotFoundError, setRetryAfter } from "../errors.js";
import { parseId } from "../forms.js";
import { securityFr } from "../i18n/console-security.fr.js";
import { sendPage } from "../page.js";
import * as schemas from "../schemas/console-security.schemas.js";
import { QuarantineByIdPage, type QuarantineModel, ReportPage, ReportsPage } from "../views/console-security.view.js";
import { agentOf, CODE_ERRORS, type ConsoleRouteOptions, consoleAccess, type SignedIn } from "./console-access.js";

const t = securityFr;

/** The quarantine's refusals: the reason, a Message-ID or a sender that is not one, each at its field. */
const QUARANTINE_ERRORS: FormErrors = {
  VALIDATION_FAILED: {
    field: (d) => (d.field === "reason" || d.field === "sender" ? d.field : "messageId"),
    text: (d) =>
      d.field === "reason"
        ? d.reason === "too_long"
          ? t.reasonTooLong(d.max ?? 500)
          : t.reasonMissing
        : d.field === "sender"
          ? t.senderWrong
          : t.messageIdWrong,
    status: 400,
  },
};

const OPERATIONS = ["quarantaine", "liberer"] as const;
type Operation = (typeof OPERATIONS)[number];
const isOperation = (v: string): v is Operation => (OPERATIONS as readonly string[]).includes(v);

export const securityConsoleRoutes: FastifyPluginAsyncTypebox<ConsoleRouteOptions> = async (app, options) => {
  const { services } = options;
  const { ctx, userOf, reauthNeeded, reauthenticate } = consoleAccess(options);

  app.get("/console/securite/signalements", { schema: schemas.Reports }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "securite");
    if (!signedIn) return reply;
    const { du, au, domaine, page } = req.query;
    const errors: Record<string, string[]> = {};
    const filter: { since?: Date; until?: Date; senderDomain?: string } = {};
    for (const [name, value] of [
      ["du", du],
      ["au", au],
    ] as const) {
      const day = parseDay(value);
      if (typeof day === "string") errors[name] = [t.dateWrong];
      else if (day) {
        if (name === "du") filter.since = parisMidnight(day);
        else filter.until = parisMidnight(day, 1);
      }
    }
    if (domaine.trim() !== "") filter.senderDomain = domaine;
    const pageNo = /^\d{1,6}$/.test(page) ? Number(page) : 1;
    const filters = { du, au, domaine };
    let list = null;
    if (Object.keys(errors).length === 0) {
      try {
        list = await services.security.reports(filter, pageNo);
      } catch (error) {
        if (!isDomainError(error, "VALIDATION_FAILED")) throw error;
        errors.domaine = [t.domainTooLong];
      }
    }
    const failed = Object.keys(errors).length > 0;
    return sendPage(
      reply,
      <ReportsPage ctx={ctx(req)} user={signedIn.user} filters={filters} list={list} errors={errors} />,
      failed ? 400 : 200,
    );
  });

  /** The report, or a 404 when there is none. */
  const reportOf = async (req: FastifyRequest, signedIn: SignedIn, raw: string): Promise<ReportView> => {
    const id = parseId(raw);
    if (id === null) throw new NotFoundError("no such report");
    try {
      return await services.security.report(id, agentOf(req, signedIn));
    } catch (error) {
      if (isDomainError(error, "NOT_FOUND")) throw new NotFoundError("no such report");
      throw error;
    }
  };

  app.get("/console/securite/signalements/:id", { schema: schemas.Report }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "securite");
    if (!signedIn) return reply;
    const report = await reportOf(req, signedIn, req.params.id);
    return sendPage(
      reply,
      <ReportPage ctx={ctx(req)} user={signedIn.user} report={report} reauthNeeded={reauthNeeded(signedIn)} />,
    );
  });

  app.get("/console/securite/quarantaine", { schema: schemas.QuarantinePage }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "securite");
    if (!signedIn) return reply;
    return sendPage(
      reply,
      <QuarantineByIdPage
        ctx={ctx(req)}
        user={signedIn.user}
        reauthNeeded={reauthNeeded(signedIn)}
        quarantine={{
          operation: "quarantaine",
          messageId: req.query.messageId,
          sender: req.query.expediteur,
          reason: "",
        }}
      />,
    );
  });

  app.post("/console/securite/quarantaine", { schema: schemas.Quarantine }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "securite");
    if (!signedIn) return reply;
    const { operation, messageId, sender, reason, code, report } = req.body;
    // From a report: its page again (a report that does not exist is a 404, nothing done).
    const fromReport = report !== "" ? await reportOf(req, signedIn, report) : null;
    const show = async (model: QuarantineModel, status = 200): Promise<FastifyReply> => {
      const page = fromReport ? (
        <ReportPage
          ctx={ctx(req)}
          user={signedIn.user}
          // The counts after the action, when it was done.
          report={model.result ? await reportOf(req, signedIn, report) : fromReport}
          reauthNeeded={reauthNeeded(signedIn)}
          quarantine={model}
        />
      ) : (
        <QuarantineByIdPage
          ctx={ctx(req)}
          user={signedIn.user}
          reauthNeeded={reauthNeeded(signedIn)}
          quarantine={model}
        />
      );
      return sendPage(reply, page, status);
    };
    const id = fromReport ? fromReport.messageId : messageId;
    const from = fromReport ? "" : sender;
    const model = { operation, messageId: id, sender: from, reason };
    const errors: Record<string, string[]> = {};
    if (!isOperation(operation)) errors.operation = [t.operationMissing];
    if (reason.trim() === "") errors.reason = [t.reasonMissing];
    if (id.trim() === "" && from.trim() === "") errors.messageId = [fromReport ? t.messageIdWrong : t.targetMissing];
    if (id.trim() !== "" && from.trim() !== "") errors.sender = [t.targetBoth];
    if (Object.keys(errors).length > 0 || !isOperation(operation)) return show({ ...model, errors }, 400);
    // The second factor again (valid 5 minutes).
    try {
      if (!(await reauthenticate(signedIn, code))) return show({ ...model, errors: { code: [t.codeMissing] } }, 400);
    } catch (error) {
      const failure = formFailure(error, CODE_ERRORS);
      if (!failure) throw error;
      if (isDomainError(error, "THROTTLED") && error.details.retryAt) {
        setRetryAfter(reply, error.details.retryAt, services.clock.now());
      }
      return show(
        { ...model, errors: failure.errors, ...(failure.formError ? { formError: failure.formError } : {}) },
        failure.status,
      );
    }
    const agent = agentOf(req, signedIn);
    const target = id.trim() !== "" ? { messageId: id } : { sender: from };
    const bySender = "sender" in target;
    try {
      if (operation === "quarantaine") {
        const r = await services.security.quarantine(target, reason, agent);
        const text = bySender ? t.quarantinedSender : t.quarantined;
        const waiting = r.stillInIntake ? t.stillInIntake(r.stillInIntake) : "";
        return show({ ...model, reason: "", result: text(r.moved, r.copies, r.mailboxes) + waiting });
      }
      const r = await services.security.release(target, reason, agent);
      const text = bySender ? t.releasedSender : t.released;
      return show({ ...model, reason: "", result: text(r.moved, r.copies, r.mailboxes) });
    } catch (error) {
      const failure = formFailure(error, QUARANTINE_ERRORS);
      if (!failure) throw error;
      return show({ ...model, errors: failure.errors }, failure.status);
    }
  });
};
