/**
 * The webmail's door: login (W1), help (W2), lost credentials (W3), phishing page, the forced
 * password change, logout, and the session extension. Thin: parse, call one service, render.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { PasswordRule } from "../../identity/password-policy.js";
import type { Services } from "../../services.js";
import { isDomainError } from "../../shared/errors.js";
import type { ClientAssets } from "../assets.js";
import { field, formBody } from "../forms.js";
import { fr, frenchTime } from "../i18n/fr.js";
import { challengeFor, pageContext, sendPage } from "../page.js";
import { PasswordChangePage } from "../views/account.view.js";
import type { FieldErrors } from "../views/components.js";
import { HelpPage, LoginPage, type LoginViewModel, LostCredentialsPage, PhishingPage } from "../views/portal.view.js";

export interface RouteOptions {
  readonly services: Services;
  readonly assets?: ClientAssets;
}

export function ruleMessage(rule: PasswordRule | "CURRENT_WRONG", min: number, max: number): string {
  const m = fr.password.ruleMessages;
  if (rule === "TOO_SHORT") return m.TOO_SHORT(min);
  if (rule === "TOO_LONG") return m.TOO_LONG(max);
  return m[rule];
}

/** Sets Retry-After (seconds from `now` to `retryAt`, at least 1). */
export function setRetryAfter(reply: FastifyReply, retryAt: Date, now: Date): void {
  reply.header("Retry-After", String(Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000))));
}

/**
 * How a failed sign-in is told, on the webmail's form and on the account "Connexion": the same
 * generic message for every wrong identity, when to retry when throttled. Other errors go on.
 */
export function loginFailure(error: unknown, reply: FastifyReply, now: Date): { status: number; message: string } {
  if (isDomainError(error, "INVALID_CREDENTIALS")) return { status: 401, message: fr.login.invalid };
  if (isDomainError(error, "THROTTLED")) {
    const retryAt = error.details.retryAt as Date;
    setRetryAfter(reply, retryAt, now);
    return { status: 429, message: fr.login.throttled(frenchTime(retryAt)) };
  }
  if (isDomainError(error, "CHALLENGE_REQUIRED")) return { status: 429, message: fr.login.challengeRequired };
  throw error;
}

export const portalRoutes: FastifyPluginAsync<RouteOptions> = async (app, { services, assets }) => {
  const { config } = services;
  const ctx = (req: FastifyRequest) => pageContext(config, req, assets);
  const meta = (req: FastifyRequest) => ({ ip: req.ip, userAgent: String(req.headers["user-agent"] ?? "") });

  const loginPage = async (req: FastifyRequest, reply: FastifyReply, vm: LoginViewModel, status = 200) => {
    const challenge = await challengeFor(services.challenge, await services.login.challengeRequired(req.ip));
    return sendPage(reply, <LoginPage ctx={ctx(req)} vm={{ ...vm, ...challenge }} />, status);
  };

  app.get("/", async (req, reply) => {
    if (req.session?.kind === "webmail") return reply.redirect("/mail", 303);
    if (req.session?.kind === "password_change") return reply.redirect("/changer-mot-de-passe", 303);
    const q = req.query as Record<string, unknown>;
    const info =
      q.deconnecte !== undefined ? fr.login.loggedOut : q.expire !== undefined ? fr.login.sessionExpired : undefined;
    return loginPage(req, reply, info ? { info } : {});
  });

  app.post("/connexion", async (req, reply) => {
    const body = formBody(req.body);
    const username = field(body, "username");
    const password = field(body, "password");
    const errors: Record<string, string[]> = {};
    if (username.trim() === "") errors.username = [fr.login.usernameMissing];
    if (password === "") errors.password = [fr.login.passwordMissing];
    if (Object.keys(errors).length > 0) return loginPage(req, reply, { username, errors }, 400);
    try {
      const result = await services.login.login({
        identifier: username,
        password,
        ...meta(req),
        challenge: field(body, "altcha", 8192) || undefined,
      });
      reply.startSession(result.token, services.sessions.timeouts.absoluteMs);
      return reply.redirect(result.mustChangePassword ? "/changer-mot-de-passe" : "/mail", 303);
    } catch (error) {
      const failure = loginFailure(error, reply, services.clock.now());
      return loginPage(req, reply, { username, formError: failure.message }, failure.status);
    }
  });

  app.post("/deconnexion", async (req, reply) => {
    await services.login.logout(req.sessionToken, meta(req));
    reply.endSession();
    return reply.redirect("/?deconnecte", 303);
  });

  /** The "Prolonger la session" button of the expiry warning (JSON, called by the page script). */
  app.post("/session/prolonger", async (req, reply) => {
    const session = req.sessionToken ? await services.sessions.extend(req.sessionToken) : null;
    if (!session) return reply.code(401).send({ expired: true });
    return reply
      .header("Cache-Control", "no-store")
      .send({ remainingMs: session.remainingMs, message: fr.session.extended });
  });

  const requireSession = (req: FastifyRequest, reply: FastifyReply, kind: "webmail" | "password_change") => {
    if (req.session?.kind === kind) return true;
    if (req.session?.kind === "password_change") reply.redirect("/changer-mot-de-passe", 303);
    else if (req.session?.kind === "webmail") reply.redirect("/mail", 303);
    else reply.redirect(req.sessionToken ? "/?expire" : "/", 303);
    return false;
  };

  const changePage = async (req: FastifyRequest, reply: FastifyReply, errors: FieldErrors = {}, status = 200) => {
    const account = await services.directory.getAccountById(req.session?.accountId ?? -1);
    const { minLength: min, maxLength: max } = services.passwords.policy.options;
    return sendPage(
      reply,
      <PasswordChangePage ctx={ctx(req)} vm={{ username: account.username, errors, min, max, forced: true }} />,
      status,
    );
  };

  app.get("/changer-mot-de-passe", async (req, reply) => {
    if (!requireSession(req, reply, "password_change")) return reply;
    return changePage(req, reply);
  });

  app.post("/changer-mot-de-passe", async (req, reply) => {
    if (!requireSession(req, reply, "password_change")) return reply;
    const session = req.session;
    if (!session) return reply;
    const body = formBody(req.body);
    const newPassword = field(body, "newPassword");
    const confirmation = field(body, "confirmation");
    const errors: Record<string, string[]> = {};
    if (newPassword === "") errors.newPassword = [fr.password.missing];
    if (confirmation === "") errors.confirmation = [fr.password.confirmationMissing];
    if (Object.keys(errors).length > 0) return changePage(req, reply, errors, 400);
    try {
      const { token } = await services.passwords.completeForcedChange(
        session,
        { newPassword, confirmation, actor: "web:webmail", ip: req.ip },
        meta(req),
      );
      reply.startSession(token, services.sessions.timeouts.absoluteMs);
      return reply.redirect("/mail?mot-de-passe-modifie", 303);
    } catch (error) {
      if (isDomainError(error, "PASSWORD_TOO_WEAK")) {
        const { minLength: min, maxLength: max } = services.passwords.policy.options;
        const rules = error.details.rules as PasswordRule[];
        const fieldErrors: Record<string, string[]> = {};
        for (const rule of rules) {
          const target = rule === "CONFIRMATION_MISMATCH" ? "confirmation" : "newPassword";
          fieldErrors[target] = [...(fieldErrors[target] ?? []), ruleMessage(rule, min, max)];
        }
        return changePage(req, reply, fieldErrors, 422);
      }
      throw error;
    }
  });

  /** Strength meter (JSON, called by the page script while typing; nothing is stored). */
  app.post("/mot-de-passe/evaluer", async (req, reply) => {
    if (!req.session || (req.session.kind !== "password_change" && req.session.kind !== "webmail")) {
      return reply.code(401).send({ expired: true });
    }
    const password = field(formBody(req.body), "password", 1024);
    const { score, rules } = await services.passwords.evaluate(req.session.accountId, password);
    const { minLength: min, maxLength: max } = services.passwords.policy.options;
    return reply.header("Cache-Control", "no-store").send({
      score,
      label: `${fr.password.strength} ${fr.password.strengthLevels[score] ?? ""}`,
      problems: rules.filter((r) => r !== "CONFIRMATION_MISMATCH").map((r) => ruleMessage(r, min, max)),
    });
  });

  app.get("/aide", async (req, reply) => sendPage(reply, <HelpPage ctx={ctx(req)} />));
  app.get("/identifiants-perdus", async (req, reply) => sendPage(reply, <LostCredentialsPage ctx={ctx(req)} />));
  app.get("/filoutage", async (req, reply) => sendPage(reply, <PhishingPage ctx={ctx(req)} />));
};
