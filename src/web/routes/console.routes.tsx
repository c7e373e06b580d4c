/**
 * `/console`: the helpdesk's and the DSI's console, behind a password and a second factor, with its
 * own session cookie (15 minutes idle). Its sign-in page is the only page anyone can see: every
 * other console URL answers 404, as if it did not exist, to whoever has no console session (a
 * browser whose console session just expired is sent back to the sign-in instead), and an area
 * answers 404 to whoever lacks its role. Thin: parse, call ConsoleService, render.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Static } from "@sinclair/typebox";
import { stringify } from "csv-stringify/sync";
import type { FastifyReply, FastifyRequest } from "fastify";
import QRCode from "qrcode";
import type { AuditFilter } from "../../audit/audit.service.js";
import { isAuditAction } from "../../audit/audit-actions.js";
import { isConsoleRole } from "../../console/console.types.js";
import { isStatsRange, type StatsRange } from "../../console/stats.types.js";
import type { Session } from "../../identity/session.service.js";
import { isDomainError } from "../../shared/errors.js";
import { renderChart } from "../console-charts.js";
import { parisMidnight, parseDay } from "../dates.js";
import { ERROR_ANSWERS, type FormErrors, formFailure, NotFoundError, setRetryAfter } from "../errors.js";
import { BadInputError } from "../forms.js";
import { consoleFr } from "../i18n/console.fr.js";
import { keysFr } from "../i18n/console-keys.fr.js";
import { frenchTime } from "../i18n/fr.js";
import { sendPage } from "../page.js";
import * as schemas from "../schemas/console.schemas.js";
import * as keySchemas from "../schemas/console-keys.schemas.js";
import type { FieldErrors } from "../views/components.js";
import {
  AdminPage,
  AssistancePage,
  ConsoleHomePage,
  ConsoleSignInPage,
  EnrolmentPage,
  RecoveryCodesPage,
  SecondFactorPage,
  SecuritePage,
} from "../views/console.view.js";
import { DashboardSection } from "../views/console-dashboard.view.js";
import { CODE_ERRORS, type ConsoleRouteOptions, consoleAccess, consoleActor, type SignedIn } from "./console-access.js";
import { KEY_ERRORS } from "./console-keys.routes.js";

const t = consoleFr;

/** The most rows one CSV export of the audit trail holds (the newest first). */
const AUDIT_EXPORT_MAX = 100_000;

/** The cookie's life: the session's absolute limit (the idle limit is the server's). */
const COOKIE_MAX_AGE_MS = 8 * 3_600_000;

/** The sign-in's and the codes' failures, at the top of the form or at the code. */
const SIGN_IN_ERRORS: FormErrors = {
  INVALID_CREDENTIALS: { text: t.invalid },
  THROTTLED: { text: ({ retryAt }) => (retryAt ? t.throttled(frenchTime(retryAt)) : ERROR_ANSWERS.THROTTLED.text) },
};

function meta(req: FastifyRequest) {
  return { ip: req.ip, userAgent: String(req.headers["user-agent"] ?? "") };
}

export const consoleRoutes: FastifyPluginAsyncTypebox<ConsoleRouteOptions> = async (app, options) => {
  const { services } = options;
  const { ctx, userOf, reauthNeeded, reauthenticate } = consoleAccess(options);

  /** The session between the password and the second factor, or null after sending to the sign-in. */
  const pendingOf = (req: FastifyRequest, reply: FastifyReply): Session | null => {
    const session = req.consoleSession;
    if (session?.kind === "console_pending") return session;
    reply.redirect("/console/connexion", 303);
    return null;
  };

  const signInPage = (
    req: FastifyRequest,
    reply: FastifyReply,
    form: { username: string; errors?: Record<string, string[]>; formError?: string; notice?: string },
    status = 200,
  ) => sendPage(reply, <ConsoleSignInPage ctx={ctx(req)} {...form} />, status);

  app.get("/console/connexion", { schema: schemas.SignInPage }, async (req, reply) =>
    signInPage(req, reply, { username: "", ...(req.query.deconnecte !== undefined ? { notice: t.signedOut } : {}) }),
  );

  app.post("/console/connexion", { schema: schemas.SignIn }, async (req, reply) => {
    const { username, password } = req.body;
    const errors: Record<string, string[]> = {};
    if (username.trim() === "") errors.username = [t.usernameMissing];
    if (password === "") errors.password = [t.passwordMissing];
    if (Object.keys(errors).length > 0) return signInPage(req, reply, { username, errors }, 400);
    try {
      const result = await services.console.signIn({ identifier: username, password, ...meta(req) });
      reply.startConsoleSession(result.token, COOKIE_MAX_AGE_MS);
      return reply.redirect(result.enrolled ? "/console/second-facteur" : "/console/enrolement", 303);
    } catch (error) {
      const failure = formFailure(error, SIGN_IN_ERRORS);
      if (!failure) throw error;
      if (isDomainError(error, "THROTTLED") && error.details.retryAt) {
        setRetryAfter(reply, error.details.retryAt, services.clock.now());
      }
      return signInPage(req, reply, { username, formError: failure.formError ?? "" }, failure.status);
    }
  });

  /** The enrolment page: the QR code of the secret (a PNG data: URL, the page's CSP allows it). */
  const enrolmentPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    session: Session,
    errors: Record<string, string[]> = {},
    status = 200,
    keyName = "",
  ) => {
    const account = await services.directory.getAccountById(session.accountId);
    const { secret, uri } = await services.console.enrolment(session.accountId, account.username);
    // The QR code drawn as SVG on the server, shown as an image (its own document: no inline style here).
    const svg = await QRCode.toString(uri, { type: "svg", margin: 1, width: 200, errorCorrectionLevel: "M" });
    const qrDataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
    return sendPage(
      reply,
      <EnrolmentPage ctx={ctx(req)} secret={secret} qrDataUrl={qrDataUrl} errors={errors} keyName={keyName} />,
      status,
    );
  };

  app.get("/console/enrolement", async (req, reply) => {
    const session = pendingOf(req, reply);
    if (!session) return reply;
    if (await services.console.enrolled(session.accountId)) return reply.redirect("/console/second-facteur", 303);
    return enrolmentPage(req, reply, session);
  });

  app.post("/console/enrolement", { schema: schemas.Code }, async (req, reply) => {
    const session = pendingOf(req, reply);
    if (!session) return reply;
    const code = req.body.code.trim();
    if (code === "") return enrolmentPage(req, reply, session, { code: [t.codeMissing] }, 400);
    try {
      const done = await services.console.confirmEnrolment(session, code, meta(req));
      reply.startConsoleSession(done.token, COOKIE_MAX_AGE_MS);
      return sendPage(reply, <RecoveryCodesPage ctx={ctx(req)} codes={done.recoveryCodes} />);
    } catch (error) {
      const failure = formFailure(error, CODE_ERRORS);
      if (!failure) throw error;
      if (isDomainError(error, "THROTTLED") && error.details.retryAt) {
        setRetryAfter(reply, error.details.retryAt, services.clock.now());
      }
      const errors = failure.formError ? { code: [failure.formError] } : { ...failure.errors };
      return enrolmentPage(req, reply, session, errors as Record<string, string[]>, failure.status);
    }
  });

  /** The enrolment with a security key instead of TOTP (the page script ran the key's ceremony). */
  app.post("/console/enrolement/cle", { schema: keySchemas.Enrol }, async (req, reply) => {
    const session = pendingOf(req, reply);
    if (!session) return reply;
    if (await services.console.enrolled(session.accountId)) return reply.redirect("/console/second-facteur", 303);
    const { name, credential } = req.body;
    if (name.trim() === "") return enrolmentPage(req, reply, session, { name: [keysFr.nameMissing] }, 400, name);
    try {
      const done = await services.console.enrolWithSecurityKey(session, credential, name, meta(req));
      reply.startConsoleSession(done.token, COOKIE_MAX_AGE_MS);
      return sendPage(reply, <RecoveryCodesPage ctx={ctx(req)} codes={done.recoveryCodes} />);
    } catch (error) {
      const failure = formFailure(error, KEY_ERRORS);
      if (!failure) throw error;
      if (isDomainError(error, "THROTTLED") && error.details.retryAt) {
        setRetryAfter(reply, error.details.retryAt, services.clock.now());
      }
      const errors = failure.formError ? { credential: [failure.formError] } : { ...failure.errors };
      return enrolmentPage(req, reply, session, errors as Record<string, string[]>, failure.status, name);
    }
  });

  /** The second-factor page, with « Utiliser une clé de sécurité » when the account has keys. */
  const secondFactorPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    session: Session,
    failure: { errors?: FieldErrors; formError?: string } = {},
    status = 200,
  ) => {
    const hasKeys = await services.console.hasSecurityKeys(session.accountId);
    return sendPage(
      reply,
      <SecondFactorPage
        ctx={ctx(req)}
        hasKeys={hasKeys}
        {...(failure.errors ? { errors: failure.errors } : {})}
        {...(failure.formError ? { formError: failure.formError } : {})}
      />,
      status,
    );
  };

  app.get("/console/second-facteur", async (req, reply) => {
    const session = pendingOf(req, reply);
    if (!session) return reply;
    if (!(await services.console.enrolled(session.accountId))) return reply.redirect("/console/enrolement", 303);
    return secondFactorPage(req, reply, session);
  });

  /** The sign-in's second step with a security key (the page script ran the key's ceremony). */
  app.post("/console/second-facteur/cle", { schema: keySchemas.Assertion }, async (req, reply) => {
    const session = pendingOf(req, reply);
    if (!session) return reply;
    try {
      const done = await services.console.verifySecurityKey(session, req.body.credential, meta(req));
      reply.startConsoleSession(done.token, COOKIE_MAX_AGE_MS);
      return reply.redirect("/console", 303);
    } catch (error) {
      const failure = formFailure(error, KEY_ERRORS);
      if (!failure) throw error;
      if (isDomainError(error, "THROTTLED") && error.details.retryAt) {
        setRetryAfter(reply, error.details.retryAt, services.clock.now());
      }
      return secondFactorPage(req, reply, session, failure, failure.status);
    }
  });

  app.post("/console/second-facteur", { schema: schemas.Code }, async (req, reply) => {
    const session = pendingOf(req, reply);
    if (!session) return reply;
    const code = req.body.code.trim();
    if (code === "") return secondFactorPage(req, reply, session, { errors: { code: [t.codeMissing] } }, 400);
    try {
      const done = await services.console.verifySecondFactor(session, code, meta(req));
      reply.startConsoleSession(done.token, COOKIE_MAX_AGE_MS);
      if (!done.recoveryCodeUsed) return reply.redirect("/console", 303);
      const left = await services.console.recoveryCodesLeft(session.accountId);
      return reply.redirect(`/console?codes-restants=${left}`, 303);
    } catch (error) {
      const failure = formFailure(error, CODE_ERRORS);
      if (!failure) throw error;
      if (isDomainError(error, "THROTTLED") && error.details.retryAt) {
        setRetryAfter(reply, error.details.retryAt, services.clock.now());
      }
      return secondFactorPage(req, reply, session, failure, failure.status);
    }
  });

  app.post("/console/deconnexion", async (req, reply) => {
    await services.consoleSessions.end(req.consoleToken);
    reply.endConsoleSession();
    return reply.redirect("/console/connexion?deconnecte", 303);
  });

  app.get("/console", { schema: schemas.Home }, async (req, reply) => {
    const signedIn = await userOf(req, reply);
    if (!signedIn) return reply;
    const left = req.query["codes-restants"];
    const notice = typeof left === "string" && /^\d{1,2}$/.test(left) ? t.recoveryUsed(Number(left)) : undefined;
    return sendPage(reply, <ConsoleHomePage ctx={ctx(req)} user={signedIn.user} {...(notice ? { notice } : {})} />);
  });

  // Administration (`admin`): the roles, granted and revoked with the second factor typed again.
  const adminPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    signedIn: SignedIn,
    extra: { form?: { username: string; role: string }; errors?: Record<string, string[]>; notice?: string } = {},
    status = 200,
  ) => {
    const holders = await services.console.listRoles();
    const periode = (req.query as { periode?: unknown }).periode;
    const range: StatsRange = typeof periode === "string" && isStatsRange(periode) ? periode : "24h";
    const dashboard = await services.consoleStats.dashboard(range);
    return sendPage(
      reply,
      <AdminPage
        ctx={ctx(req)}
        user={signedIn.user}
        dashboard={<DashboardSection dashboard={dashboard} range={range} />}
        roles={{
          holders,
          reauthNeeded: reauthNeeded(signedIn),
          form: extra.form ?? { username: "", role: "assistance" },
          ...(extra.errors ? { errors: extra.errors } : {}),
          ...(extra.notice ? { notice: extra.notice } : {}),
        }}
      />,
      status,
    );
  };

  app.get("/console/admin", { schema: schemas.Admin }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "admin");
    if (!signedIn) return reply;
    const { fait, compte, role } = req.query;
    let notice: string | undefined;
    if (typeof compte === "string" && typeof role === "string" && isConsoleRole(role)) {
      const said = t.roles[role];
      const notices: Record<string, string> = {
        accorde: t.granted(compte, said),
        "deja-accorde": t.alreadyGranted(compte, said),
        retire: t.revoked(compte, said),
        "non-detenu": t.notHeld(compte, said),
      };
      if (typeof fait === "string") notice = notices[fait];
    }
    return adminPage(req, reply, signedIn, notice ? { notice } : {});
  });

  /** A chart of the dashboard: an SVG document of its own (its CSP allows its inline styles only). */
  app.get("/console/admin/graphiques/:name", { schema: schemas.Chart }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "admin");
    if (!signedIn) return reply;
    const name = req.params.name.replace(/\.svg$/, "");
    const periode = req.query.periode;
    const range: StatsRange = typeof periode === "string" && isStatsRange(periode) ? periode : "24h";
    const theme = req.query.theme === "sombre" ? "sombre" : "clair";
    const chart = await renderChart(name, await services.consoleStats.dashboard(range), theme);
    if (!chart) throw new NotFoundError("no such chart");
    return reply.headers({ ...chart.headers }).send(chart.body);
  });

  /** Where a refused role change is said: the account, the role, or the code. */
  const ROLE_ERRORS: FormErrors = {
    NOT_FOUND: { field: "username", text: t.userUnknown, status: 400 },
    VALIDATION_FAILED: {
      field: (d) => (d.field === "role" ? "role" : "username"),
      text: (d) => (d.field === "role" ? t.roleUnknown : t.notAcademic),
      status: 400,
    },
    ...CODE_ERRORS,
  };

  app.post("/console/admin/roles", { schema: schemas.Roles }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "admin");
    if (!signedIn) return reply;
    const { operation, username, role, code } = req.body;
    if (operation !== "grant" && operation !== "revoke") throw new BadInputError("unknown operation");
    const form = { username, role };
    if (username.trim() === "")
      return adminPage(req, reply, signedIn, { form, errors: { username: [t.userMissing] } }, 400);
    try {
      if (!(await reauthenticate(signedIn, code))) {
        return adminPage(req, reply, signedIn, { form, errors: { code: [t.codeMissing] } }, 400);
      }
      const by = consoleActor(signedIn.user);
      const result =
        operation === "grant"
          ? await services.console.grant(username.trim(), role, by)
          : await services.console.revoke(username.trim(), role, by);
      const fait =
        operation === "grant"
          ? result.changed
            ? "accorde"
            : "deja-accorde"
          : result.changed
            ? "retire"
            : "non-detenu";
      const query = new URLSearchParams({ fait, compte: result.account.username, role });
      return reply.redirect(`/console/admin?${query.toString()}`, 303);
    } catch (error) {
      const failure = formFailure(error, ROLE_ERRORS);
      if (!failure) throw error;
      if (isDomainError(error, "THROTTLED") && error.details.retryAt) {
        setRetryAfter(reply, error.details.retryAt, services.clock.now());
      }
      const errors = failure.formError ? { code: [failure.formError] } : { ...failure.errors };
      return adminPage(req, reply, signedIn, { form, errors: errors as Record<string, string[]> }, failure.status);
    }
  });

  // Helpdesk (`assistance`): finding a person (no mail, no NUMEN, no birth date is ever shown).
  app.get("/console/assistance", { schema: schemas.PeopleSearch }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "assistance");
    if (!signedIn) return reply;
    const q = req.query.q;
    if (q.trim() === "") return sendPage(reply, <AssistancePage ctx={ctx(req)} user={signedIn.user} search={{ q }} />);
    try {
      const hits = await services.console.searchPeople(
        { accountId: signedIn.session.accountId, username: signedIn.user.username },
        q,
      );
      return sendPage(reply, <AssistancePage ctx={ctx(req)} user={signedIn.user} search={{ q, hits }} />);
    } catch (error) {
      if (!isDomainError(error, "VALIDATION_FAILED")) throw error;
      return sendPage(
        reply,
        <AssistancePage ctx={ctx(req)} user={signedIn.user} search={{ q, errors: { q: [t.searchTooLong] } }} />,
        400,
      );
    }
  });

  // Security (`securite`): the audit trail, filtered, and its CSV export.
  const auditQuery = async (
    query: Static<typeof schemas.Audit.querystring>,
  ): Promise<{ filter: AuditFilter; errors: Record<string, string[]> }> => {
    const errors: Record<string, string[]> = {};
    const filter: { -readonly [K in keyof AuditFilter]: AuditFilter[K] } = {};
    if (query.acteur.trim()) filter.actorPrefix = query.acteur.trim();
    if (query.action) {
      if (isAuditAction(query.action)) filter.action = query.action;
      else errors.action = [t.actionUnknown];
    }
    if (query.compte.trim()) {
      const account = await services.directory.findAccount(query.compte.trim());
      if (account) filter.accountId = account.id;
      else errors.compte = [t.accountUnknown];
    }
    if (query.ip.trim()) filter.ip = query.ip.trim();
    for (const [name, plus] of [
      ["du", 0],
      ["au", 1],
    ] as const) {
      const day = parseDay(query[name]);
      if (typeof day === "string") errors[name] = [t.dateWrong];
      else if (day) {
        if (name === "du") filter.since = parisMidnight(day, plus);
        else filter.until = parisMidnight(day, plus);
      }
    }
    return { filter, errors };
  };

  app.get("/console/securite", { schema: schemas.Audit }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "securite");
    if (!signedIn) return reply;
    const { filter, errors } = await auditQuery(req.query);
    const failed = Object.keys(errors).length > 0;
    const events = failed ? [] : await services.audit.list({ ...filter, limit: 200 });
    const params = new URLSearchParams(
      Object.entries(req.query).filter((e): e is [string, string] => typeof e[1] === "string" && e[1] !== ""),
    );
    return sendPage(
      reply,
      <SecuritePage
        ctx={ctx(req)}
        user={signedIn.user}
        audit={{
          events,
          filters: req.query,
          errors,
          exportHref: `/console/securite/journal.csv${params.size > 0 ? `?${params.toString()}` : ""}`,
        }}
      />,
      failed ? 400 : 200,
    );
  });

  app.get("/console/securite/journal.csv", { schema: schemas.Audit }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "securite");
    if (!signedIn) return reply;
    const { filter, errors } = await auditQuery(req.query);
    if (Object.keys(errors).length > 0) throw new BadInputError("bad audit filters");
    const events = await services.audit.list({ ...filter, limit: AUDIT_EXPORT_MAX });
    await services.audit.record({
      actor: consoleActor(signedIn.user),
      action: "console.audit_exported",
      entity: "audit",
      entityId: null,
      details: { filters: req.query, rows: events.length },
    });
    const csv = stringify(
      events.map((e) => [e.at, e.actor, e.action, e.entity, e.entityId ?? "", JSON.stringify(e.details)]),
      { header: true, columns: ["at", "actor", "action", "entity", "entity_id", "details"], delimiter: ";" },
    );
    return reply
      .header("Content-Type", "text/csv; charset=utf-8")
      .header("Content-Disposition", 'attachment; filename="journal-audit.csv"')
      .header("Cache-Control", "private, no-store")
      .header("X-Content-Type-Options", "nosniff")
      .send(`\ufeff${csv}`);
  });

  // Every other console URL: a 404 to whoever has no console session, as if the console did not exist.
  app.get("/console/:area", async (req, reply) => {
    const area = (req.params as { area: string }).area;
    const signedIn = await userOf(req, reply, isConsoleRole(area) ? area : undefined);
    if (!signedIn) return reply;
    throw new NotFoundError("no such console page");
  });
};
