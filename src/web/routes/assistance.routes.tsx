/**
 * `/assistance`: the Assistance à l'identification (screens A1–A6). Thin: parse, call the recovery
 * service (or the login service for the account "Connexion"), render.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { PasswordRule } from "../../identity/password-policy.js";
import type { NumenFieldProblem } from "../../recovery/recovery.service.js";
import { RECOVERY_SESSION_MS } from "../../recovery/recovery.service.js";
import type { Services } from "../../services.js";
import { type DomainError, isDomainError } from "../../shared/errors.js";
import type { ClientAssets } from "../assets.js";
import { field, formBody } from "../forms.js";
import { fr, frenchTime } from "../i18n/fr.js";
import { challengeFor, pageContext, sendPage } from "../page.js";
import {
  AccountLoginPage,
  type AccountLoginViewModel,
  AccountPage,
  type AccountPageViewModel,
  AssistanceChoice,
  AssistanceLanding,
  AssistanceMessagePage,
  CancelRecoveryChangePage,
  NewPasswordPage,
  NumenSignInPage,
  type NumenViewModel,
  RecoveryInfoPage,
  SignInCodePage,
} from "../views/assistance.view.js";
import type { FieldErrors } from "../views/components.js";
import { loginFailure, ruleMessage, setRetryAfter } from "./portal.routes.js";

export interface AssistanceRouteOptions {
  readonly services: Services;
  readonly assets?: ClientAssets;
}

const t = fr.assistance;

/** A recovery's confirmation, saying so when it turned forwarding off. */
function withForwardingOff(text: string, forwardingOff: boolean): string {
  return forwardingOff ? `${text} ${t.forwardingOff}` : text;
}

export const assistanceRoutes: FastifyPluginAsync<AssistanceRouteOptions> = async (app, { services, assets }) => {
  const { config } = services;
  const ctx = (req: FastifyRequest) => pageContext(config, req, assets, req.assistanceSession);
  const meta = (req: FastifyRequest) => ({ ip: req.ip, userAgent: String(req.headers["user-agent"] ?? "") });
  const { minLength: min, maxLength: max } = services.passwords.policy.options;
  const retryAfter = (reply: FastifyReply, retryAt: Date) => setRetryAfter(reply, retryAt, services.clock.now());

  /** PASSWORD_TOO_WEAK / INVALID_CREDENTIALS(current) → errors by field. */
  const passwordErrors = (error: DomainError): FieldErrors => {
    if (error.code === "INVALID_CREDENTIALS") return { currentPassword: [fr.password.ruleMessages.CURRENT_WRONG] };
    const out: Record<string, string[]> = {};
    for (const rule of (error.details.rules ?? []) as PasswordRule[]) {
      const target = rule === "CONFIRMATION_MISMATCH" ? "confirmation" : "newPassword";
      out[target] = [...(out[target] ?? []), ruleMessage(rule, min, max)];
    }
    return out;
  };
  const missingPasswordFields = (newPassword: string, confirmation: string): FieldErrors => ({
    ...(newPassword === "" ? { newPassword: [fr.password.missing] } : {}),
    ...(confirmation === "" ? { confirmation: [fr.password.confirmationMissing] } : {}),
  });

  // A1 — landing and the two choices.
  app.get("/assistance", async (req, reply) => sendPage(reply, <AssistanceLanding ctx={ctx(req)} />));
  app.get("/assistance/choix", async (req, reply) => {
    const section = (req.query as Record<string, unknown>).section;
    const open = section === "personnel" || section === "externe" ? section : undefined;
    return sendPage(reply, <AssistanceChoice ctx={ctx(req)} vm={open ? { open } : {}} phone={config.rectoratPhone} />);
  });

  // External users: a single-use link to the recovery address; the same answer whatever matched.
  app.post("/assistance/externe", async (req, reply) => {
    const identifier = field(formBody(req.body), "identifier");
    if (identifier.trim() === "") {
      return sendPage(
        reply,
        <AssistanceChoice
          ctx={ctx(req)}
          vm={{ open: "externe", identifier, errors: { identifier: [t.fieldProblems.identifier.missing] } }}
          phone={config.rectoratPhone}
        />,
        400,
      );
    }
    await services.recovery.requestResetLink(identifier, meta(req));
    return sendPage(
      reply,
      <AssistanceMessagePage
        ctx={ctx(req)}
        title={t.externalSentTitle}
        message={t.externalSent}
        links={[{ href: "/assistance", label: t.backToAssistance }]}
      />,
    );
  });

  // A3 — NUMEN sign-in.
  const numenPage = async (req: FastifyRequest, reply: FastifyReply, vm: NumenViewModel, status = 200) => {
    const challenge = await challengeFor(services.challenge, await services.recovery.challengeRequired(req.ip));
    return sendPage(reply, <NumenSignInPage ctx={ctx(req)} vm={{ ...vm, ...challenge }} />, status);
  };
  app.get("/assistance/numen", async (req, reply) => {
    const expired = (req.query as Record<string, unknown>).expire !== undefined;
    return numenPage(req, reply, expired ? { info: t.recoveryExpired } : {});
  });
  app.post("/assistance/numen", async (req, reply) => {
    const body = formBody(req.body);
    const typed = {
      numen: field(body, "numen"),
      birthDate: field(body, "birthDate"),
      accountType: field(body, "accountType"),
    };
    try {
      const { token, session } = await services.recovery.numenSignIn({
        ...typed,
        ...meta(req),
        challenge: field(body, "altcha", 8192) || undefined,
      });
      reply.startAssistanceSession(token, RECOVERY_SESSION_MS);
      return reply.redirect(session.kind === "recovery_pending" ? "/assistance/code" : "/assistance/compte", 303);
    } catch (error) {
      if (isDomainError(error, "VALIDATION_FAILED")) {
        const fields = error.details.fields as Record<string, NumenFieldProblem>;
        const errors: Record<string, string[]> = {};
        for (const [name, problem] of Object.entries(fields)) {
          const messages = t.fieldProblems[name as "numen" | "birthDate" | "accountType"] as Record<string, string>;
          errors[name] = [messages[problem] ?? fr.codes.VALIDATION_FAILED];
        }
        return numenPage(req, reply, { ...typed, errors }, 400);
      }
      if (isDomainError(error, "IDENTIFICATION_FAILED")) {
        return numenPage(req, reply, { ...typed, formError: t.notIdentified }, 401);
      }
      if (isDomainError(error, "THROTTLED")) {
        const retryAt = error.details.retryAt as Date;
        retryAfter(reply, retryAt);
        return numenPage(
          req,
          reply,
          { ...typed, formError: `${t.notIdentified} ${t.throttled(frenchTime(retryAt))}` },
          429,
        );
      }
      if (isDomainError(error, "CHALLENGE_REQUIRED")) {
        return numenPage(req, reply, { ...typed, formError: fr.login.challengeRequired }, 429);
      }
      throw error;
    }
  });

  // Optional second step (SESAME_RECOVERY_REQUIRE_CODE): the code sent to the recovery address.
  const codePage = async (req: FastifyRequest, reply: FastifyReply, errors: FieldErrors = {}, status = 200) => {
    const pending = req.assistanceSession;
    if (pending?.kind !== "recovery_pending") return reply.redirect("/assistance/numen", 303);
    const target = (await services.recovery.signInCodeTarget(pending)) ?? "";
    return sendPage(reply, <SignInCodePage ctx={ctx(req)} target={target} errors={errors} />, status);
  };
  app.get("/assistance/code", async (req, reply) => codePage(req, reply));
  app.post("/assistance/code", async (req, reply) => {
    const pending = req.assistanceSession;
    if (pending?.kind !== "recovery_pending") return reply.redirect("/assistance/numen?expire", 303);
    try {
      const { token } = await services.recovery.confirmSignInCode(
        pending,
        field(formBody(req.body), "code", 32),
        meta(req),
      );
      reply.startAssistanceSession(token, RECOVERY_SESSION_MS);
      return reply.redirect("/assistance/compte", 303);
    } catch (error) {
      if (isDomainError(error, "INVALID_CODE")) {
        const left = error.details.attemptsLeft;
        return codePage(req, reply, { code: [typeof left === "number" ? t.codeWrong(left) : t.codeExpired] }, 400);
      }
      throw error;
    }
  });

  // A4 — what the recovery session shows, and the password change it allows.
  const recoverySession = (req: FastifyRequest, reply: FastifyReply) => {
    if (req.assistanceSession?.kind === "recovery") return req.assistanceSession;
    if (req.assistanceSession?.kind === "recovery_pending") {
      reply.redirect("/assistance/code", 303);
      return null;
    }
    reply.redirect(req.assistanceToken ? "/assistance/numen?expire" : "/assistance/numen", 303);
    return null;
  };
  app.get("/assistance/compte", async (req, reply) => {
    const session = recoverySession(req, reply);
    if (!session) return reply;
    const accounts = await services.recovery.recoveryAccounts(session);
    const query = req.query as Record<string, unknown>;
    const changed = query.modifie;
    const notice = typeof changed === "string" ? accounts.find((a) => String(a.id) === changed)?.username : undefined;
    const forwardingOff = notice !== undefined && query.transfert === "desactive";
    return sendPage(
      reply,
      <RecoveryInfoPage
        ctx={ctx(req)}
        accounts={accounts}
        {...(notice ? { notice: withForwardingOff(t.passwordChanged(notice), forwardingOff) } : {})}
      />,
    );
  });

  const recoveryPasswordPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    accountId: number,
    errors: FieldErrors = {},
    status = 200,
  ) => {
    const session = recoverySession(req, reply);
    if (!session) return reply;
    const account = (await services.recovery.recoveryAccounts(session)).find((a) => a.id === accountId);
    if (!account) return reply.callNotFound();
    return sendPage(
      reply,
      <NewPasswordPage
        ctx={ctx(req)}
        vm={{
          account,
          errors,
          min,
          max,
          action: `/assistance/compte/mot-de-passe/${account.id}`,
          title: t.passwordTitle(account.username),
        }}
        logout
      />,
      status,
    );
  };
  // Wildcards rather than `:id` / `:token`: the router answers a parameter over 100 characters
  // itself, with a bare English JSON 414 echoing the path; here any value reaches the handler and
  // gets the French page (404, or "lien non valable").
  const accountIdParam = (req: FastifyRequest) => {
    const raw = (req.params as Record<string, string>)["*"] ?? "";
    return /^\d{1,10}$/.test(raw) ? Number(raw) : -1;
  };
  app.get("/assistance/compte/mot-de-passe/*", async (req, reply) =>
    recoveryPasswordPage(req, reply, accountIdParam(req)),
  );
  app.post("/assistance/compte/mot-de-passe/*", async (req, reply) => {
    const session = recoverySession(req, reply);
    if (!session) return reply;
    const accountId = accountIdParam(req);
    const body = formBody(req.body);
    const newPassword = field(body, "newPassword");
    const confirmation = field(body, "confirmation");
    const missing = missingPasswordFields(newPassword, confirmation);
    if (Object.keys(missing).length > 0) return recoveryPasswordPage(req, reply, accountId, missing, 400);
    try {
      const { account, forwardingOff } = await services.recovery.changeFromRecovery(session, accountId, {
        newPassword,
        confirmation,
        ip: req.ip,
      });
      return reply.redirect(
        `/assistance/compte?modifie=${account.id}${forwardingOff ? "&transfert=desactive" : ""}`,
        303,
      );
    } catch (error) {
      if (isDomainError(error, "PASSWORD_TOO_WEAK")) {
        return recoveryPasswordPage(req, reply, accountId, passwordErrors(error), 422);
      }
      if (isDomainError(error, "NOT_FOUND")) return reply.callNotFound();
      throw error;
    }
  });

  // "se déconnecter" → A5.
  app.post("/assistance/deconnexion", async (req, reply) => {
    await services.login.logout(req.assistanceToken, meta(req));
    reply.endAssistanceSession();
    return reply.redirect("/assistance/connexion?deconnecte", 303);
  });

  // A5 — "Connexion" with username and password, to the account page.
  const accountLoginPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    vm: AccountLoginViewModel,
    status = 200,
  ) => {
    const challenge = await challengeFor(services.challenge, await services.login.challengeRequired(req.ip));
    return sendPage(reply, <AccountLoginPage ctx={ctx(req)} vm={{ ...vm, ...challenge }} />, status);
  };
  app.get("/assistance/connexion", async (req, reply) => {
    if (req.assistanceSession?.kind === "account") return reply.redirect("/assistance/mon-compte", 303);
    const q = req.query as Record<string, unknown>;
    return accountLoginPage(req, reply, q.deconnecte !== undefined ? { info: t.loggedOut } : {});
  });
  app.post("/assistance/connexion", async (req, reply) => {
    const body = formBody(req.body);
    const username = field(body, "username");
    const password = field(body, "password");
    const errors: Record<string, string[]> = {};
    if (username.trim() === "") errors.username = [fr.login.usernameMissing];
    if (password === "") errors.password = [fr.login.passwordMissing];
    if (Object.keys(errors).length > 0) return accountLoginPage(req, reply, { username, errors }, 400);
    try {
      const result = await services.login.login({
        identifier: username,
        password,
        ...meta(req),
        challenge: field(body, "altcha", 8192) || undefined,
        application: "account",
      });
      if (result.mustChangePassword) {
        // Still on the initial password: the forced change comes first, as on the webmail.
        reply.startSession(result.token, services.sessions.timeouts.absoluteMs);
        return reply.redirect("/changer-mot-de-passe", 303);
      }
      reply.startAssistanceSession(result.token, services.sessions.timeouts.absoluteMs);
      return reply.redirect("/assistance/mon-compte", 303);
    } catch (error) {
      const failure = loginFailure(error, reply, services.clock.now());
      return accountLoginPage(req, reply, { username, formError: failure.message }, failure.status);
    }
  });

  // A6 — the account page.
  const accountSession = (req: FastifyRequest, reply: FastifyReply) => {
    if (req.assistanceSession?.kind === "account") return req.assistanceSession;
    reply.redirect("/assistance/connexion", 303);
    return null;
  };
  const accountPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    extra: Partial<Pick<AccountPageViewModel, "notice" | "passwordErrors" | "emailErrors" | "emailValue">> = {},
    status = 200,
  ) => {
    const session = accountSession(req, reply);
    if (!session) return reply;
    const overview = await services.recovery.accountOverview(session);
    return sendPage(
      reply,
      <AccountPage ctx={ctx(req)} vm={{ ...overview, currentIdHash: session.idHash, min, max, ...extra }} />,
      status,
    );
  };
  const notices: Record<string, string> = {
    "mot-de-passe": fr.password.changed,
    "mot-de-passe-transfert": fr.password.changedForwardingOff,
    "adresse-supprimee": t.recoveryRemoved,
    "adresse-confirmee": t.recoveryConfirmed,
    "session-fermee": t.sessionClosed,
  };
  app.get("/assistance/mon-compte", async (req, reply) => {
    const key = (req.query as Record<string, unknown>).ok;
    const notice = typeof key === "string" ? notices[key] : undefined;
    return accountPage(req, reply, notice ? { notice } : {});
  });
  app.post("/assistance/mon-compte/mot-de-passe", async (req, reply) => {
    const session = accountSession(req, reply);
    if (!session) return reply;
    const body = formBody(req.body);
    const currentPassword = field(body, "currentPassword");
    const newPassword = field(body, "newPassword");
    const confirmation = field(body, "confirmation");
    const missing: Record<string, readonly string[]> = {
      ...(currentPassword === "" ? { currentPassword: [fr.login.passwordMissing] } : {}),
      ...missingPasswordFields(newPassword, confirmation),
    };
    if (Object.keys(missing).length > 0) return accountPage(req, reply, { passwordErrors: missing }, 400);
    try {
      const { forwardingOff } = await services.recovery.changeFromAccountPage(session, {
        currentPassword,
        newPassword,
        confirmation,
        ip: req.ip,
        compromised: field(body, "compromis", 5) !== "",
      });
      return reply.redirect(
        `/assistance/mon-compte?ok=${forwardingOff ? "mot-de-passe-transfert" : "mot-de-passe"}`,
        303,
      );
    } catch (error) {
      if (isDomainError(error, "PASSWORD_TOO_WEAK") || isDomainError(error, "INVALID_CREDENTIALS")) {
        return accountPage(req, reply, { passwordErrors: passwordErrors(error) }, 422);
      }
      throw error;
    }
  });
  /** REAUTH_REQUIRED / INVALID_CREDENTIALS of a re-authentication → the error at that password field. */
  const reauthErrors = (error: unknown, fieldName: string): FieldErrors | null => {
    if (isDomainError(error, "REAUTH_REQUIRED")) {
      const text = fieldName === "removePassword" ? t.recoveryRemovePasswordMissing : t.recoveryPasswordMissing;
      return { [fieldName]: [text] };
    }
    if (isDomainError(error, "INVALID_CREDENTIALS")) return { [fieldName]: [t.recoveryPasswordWrong] };
    return null;
  };
  app.post("/assistance/mon-compte/adresse-de-secours", async (req, reply) => {
    const session = accountSession(req, reply);
    if (!session) return reply;
    const body = formBody(req.body);
    const email = field(body, "email");
    try {
      await services.recovery.startRecoveryEmailChange(session, email, {
        currentPassword: field(body, "recoveryPassword"),
        ip: req.ip,
      });
      return reply.redirect("/assistance/mon-compte", 303);
    } catch (error) {
      const errors = reauthErrors(error, "recoveryPassword");
      if (errors) return accountPage(req, reply, { emailErrors: errors, emailValue: email }, 400);
      if (isDomainError(error, "VALIDATION_FAILED") || isDomainError(error, "INVALID_EMAIL")) {
        const problem = (error.details.fields as Record<string, string> | undefined)?.email;
        const message =
          problem === "inside_domain" ? t.fieldProblems.email.inside_domain : t.fieldProblems.email.format;
        return accountPage(req, reply, { emailErrors: { email: [message] }, emailValue: email }, 400);
      }
      throw error;
    }
  });
  app.post("/assistance/mon-compte/adresse-de-secours/supprimer", async (req, reply) => {
    const session = accountSession(req, reply);
    if (!session) return reply;
    try {
      await services.recovery.removeRecoveryEmail(session, {
        currentPassword: field(formBody(req.body), "removePassword"),
        ip: req.ip,
      });
      return reply.redirect("/assistance/mon-compte?ok=adresse-supprimee", 303);
    } catch (error) {
      const errors = reauthErrors(error, "removePassword");
      if (errors) return accountPage(req, reply, { emailErrors: errors }, 400);
      throw error;
    }
  });
  app.post("/assistance/mon-compte/adresse-de-secours/confirmer", async (req, reply) => {
    const session = accountSession(req, reply);
    if (!session) return reply;
    try {
      await services.recovery.confirmRecoveryEmail(session, field(formBody(req.body), "code", 32), { ip: req.ip });
      return reply.redirect("/assistance/mon-compte?ok=adresse-confirmee", 303);
    } catch (error) {
      if (isDomainError(error, "INVALID_CODE")) {
        const left = error.details.attemptsLeft;
        const message = typeof left === "number" ? t.codeWrong(left) : t.codeExpired;
        // With tries left the message goes to the code field; otherwise that field is gone from the
        // page (no live code), so it goes to the address field, where a new code is asked for.
        const at = typeof left === "number" && left > 0 ? "code" : "email";
        return accountPage(req, reply, { emailErrors: { [at]: [message] } }, 400);
      }
      if (isDomainError(error, "INVALID_EMAIL")) {
        return accountPage(req, reply, { emailErrors: { email: [t.fieldProblems.email.format] } }, 400);
      }
      throw error;
    }
  });
  app.post("/assistance/mon-compte/sessions/fermer", async (req, reply) => {
    const session = accountSession(req, reply);
    if (!session) return reply;
    const target = field(formBody(req.body), "session", 128);
    if (!/^[0-9a-f]{64}$/.test(target) || !(await services.recovery.closeSession(session, target, { ip: req.ip }))) {
      return reply.callNotFound();
    }
    return reply.redirect("/assistance/mon-compte?ok=session-fermee", 303);
  });

  // The reset link of the external path.
  const invalidLink = (req: FastifyRequest, reply: FastifyReply) =>
    sendPage(
      reply,
      <AssistanceMessagePage
        ctx={ctx(req)}
        title={t.invalidLinkTitle}
        message={fr.codes.INVALID_LINK}
        links={[{ href: "/assistance/choix?section=externe", label: t.backToAssistance }]}
      />,
      410,
    );
  const tokenParam = (req: FastifyRequest) => (req.params as Record<string, string>)["*"] ?? "";
  const resetPage = async (req: FastifyRequest, reply: FastifyReply, errors: FieldErrors = {}, status = 200) => {
    const token = tokenParam(req);
    try {
      const account = await services.recovery.accountOfResetLink(token);
      return sendPage(
        reply,
        <NewPasswordPage
          ctx={ctx(req)}
          vm={{ account, errors, min, max, action: `/assistance/reinitialiser/${token}`, title: t.resetTitle }}
        />,
        status,
      );
    } catch (error) {
      if (isDomainError(error, "INVALID_LINK")) return invalidLink(req, reply);
      throw error;
    }
  };
  app.get("/assistance/reinitialiser/*", async (req, reply) => {
    // The link's token must not leak through the Referer of anything this page loads: the origin
    // only (`no-referrer` would make the form's POST carry `Origin: null`, refused).
    reply.header("Referrer-Policy", "strict-origin");
    return resetPage(req, reply);
  });
  app.post("/assistance/reinitialiser/*", async (req, reply) => {
    const body = formBody(req.body);
    const newPassword = field(body, "newPassword");
    const confirmation = field(body, "confirmation");
    const missing = missingPasswordFields(newPassword, confirmation);
    if (Object.keys(missing).length > 0) return resetPage(req, reply, missing, 400);
    try {
      const { account, forwardingOff } = await services.recovery.resetWithLink(tokenParam(req), {
        newPassword,
        confirmation,
        ip: req.ip,
      });
      return sendPage(
        reply,
        <AssistanceMessagePage
          ctx={ctx(req)}
          title={fr.password.changed}
          message={withForwardingOff(t.resetDone(account.username), forwardingOff !== null)}
          links={[{ href: "/", label: t.backToWebmail }]}
        />,
      );
    } catch (error) {
      if (isDomainError(error, "PASSWORD_TOO_WEAK")) return resetPage(req, reply, passwordErrors(error), 422);
      if (isDomainError(error, "INVALID_LINK")) return invalidLink(req, reply);
      throw error;
    }
  });

  // The cancel link sent to the previous recovery address (7 days). GET only shows what the button
  // will do (a mail client or a scanner may open links); the POST undoes the change.
  app.get("/assistance/annuler-adresse/*", async (req, reply) => {
    // The origin only, as on the reset page (`no-referrer` would make the POST carry `Origin: null`).
    reply.header("Referrer-Policy", "strict-origin");
    try {
      const { account, previous } = await services.recovery.recoveryChangeOfCancelLink(tokenParam(req));
      return sendPage(
        reply,
        <CancelRecoveryChangePage
          ctx={ctx(req)}
          action={`/assistance/annuler-adresse/${tokenParam(req)}`}
          text={t.cancelChangeText(previous, account.username)}
        />,
      );
    } catch (error) {
      if (isDomainError(error, "INVALID_LINK")) return invalidLink(req, reply);
      throw error;
    }
  });
  app.post("/assistance/annuler-adresse/*", async (req, reply) => {
    try {
      const { restored } = await services.recovery.cancelRecoveryEmailChange(tokenParam(req), { ip: req.ip });
      return sendPage(
        reply,
        <AssistanceMessagePage
          ctx={ctx(req)}
          title={t.cancelChangeTitle}
          message={t.cancelChangeDone(restored)}
          links={[{ href: "/assistance/choix?section=externe", label: t.cancelChangeReset }]}
        />,
      );
    } catch (error) {
      if (isDomainError(error, "INVALID_LINK")) return invalidLink(req, reply);
      throw error;
    }
  });
};
