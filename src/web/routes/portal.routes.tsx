/**
 * The webmail's door: login, help, lost credentials, phishing page, the forced
 * password change, logout, and the session extension. Thin: parse, call one service, render.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../../services.js";
import type { ClientAssets } from "../assets.js";
import { formFailure, passwordRuleErrors, ruleMessage } from "../errors.js";
import { fr } from "../i18n/fr.js";
import { challengeFor, pageContext, sendPage } from "../page.js";
import * as schemas from "../schemas/portal.schemas.js";
import { PasswordChangePage } from "../views/account.view.js";
import type { FieldErrors } from "../views/components.js";
import { HelpPage, LoginPage, type LoginViewModel, LostCredentialsPage, PhishingPage } from "../views/portal.view.js";
import { signInHandler } from "./sign-in.js";

export interface RouteOptions {
  readonly services: Services;
  readonly assets?: ClientAssets;
}

export const portalRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { services, assets }) => {
  const { config } = services;
  const ctx = (req: FastifyRequest) => pageContext(config, req, assets);
  const meta = (req: FastifyRequest) => ({ ip: req.ip, userAgent: String(req.headers["user-agent"] ?? "") });

  const loginPage = async (req: FastifyRequest, reply: FastifyReply, vm: LoginViewModel, status = 200) => {
    const challenge = await challengeFor(services.challenge, await services.login.challengeRequired(req.ip));
    return sendPage(reply, <LoginPage ctx={ctx(req)} vm={{ ...vm, ...challenge }} />, status);
  };

  app.get("/", { schema: schemas.LoginPage }, async (req, reply) => {
    if (req.session?.kind === "webmail") return reply.redirect("/mail", 303);
    if (req.session?.kind === "password_change") return reply.redirect("/changer-mot-de-passe", 303);
    const q = req.query;
    const info =
      q.deconnecte !== undefined ? fr.login.loggedOut : q.expire !== undefined ? fr.login.sessionExpired : undefined;
    return loginPage(req, reply, info ? { info } : {});
  });

  const signIn = signInHandler(services, {
    page: loginPage,
    signedIn: (reply, result) => {
      reply.startSession(result.token, services.sessions.timeouts.absoluteMs);
      return reply.redirect(result.mustChangePassword ? "/changer-mot-de-passe" : "/mail", 303);
    },
  });
  app.post("/connexion", { schema: schemas.Login }, async (req, reply) => signIn(req, reply, req.body));

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

  app.post("/changer-mot-de-passe", { schema: schemas.ForcedChange }, async (req, reply) => {
    if (!requireSession(req, reply, "password_change")) return reply;
    const session = req.session;
    if (!session) return reply;
    const { newPassword, confirmation } = req.body;
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
      const { minLength: min, maxLength: max } = services.passwords.policy.options;
      const failure = formFailure(error, { PASSWORD_TOO_WEAK: passwordRuleErrors(min, max) });
      if (!failure) throw error;
      return changePage(req, reply, failure.errors, failure.status);
    }
  });

  /** Strength meter (JSON, called by the page script while typing; nothing is stored). */
  app.post("/mot-de-passe/evaluer", { schema: schemas.Evaluate }, async (req, reply) => {
    if (!req.session || (req.session.kind !== "password_change" && req.session.kind !== "webmail")) {
      return reply.code(401).send({ expired: true });
    }
    const { password } = req.body;
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
