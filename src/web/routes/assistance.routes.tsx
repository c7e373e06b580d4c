/**
 * `/assistance`: the Assistance à l'identification (landing, NUMEN sign-in, account and password, sign-in by password, account page
 * and its mail client profile). Thin: parse, call the recovery service (or the login service for the account "Connexion"), render.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { RECOVERY_SESSION_MS } from "../../recovery/recovery.service.js";
import type { Services } from "../../services.js";
import { type FieldProblem, isDomainError } from "../../shared/errors.js";
import type { ClientAssets } from "../assets.js";
import {
  ERROR_ANSWERS,
  type FormErrorRule,
  type FormErrors,
  formFailure,
  passwordRuleErrors,
  setRetryAfter,
} from "../errors.js";
import { parseId } from "../forms.js";
import { fr, frenchTime } from "../i18n/fr.js";
import { mailClientSettings, sendAppleProfile } from "../mail-clients.js";
import { challengeFor, pageContext, sendPage } from "../page.js";
import * as schemas from "../schemas/assistance.schemas.js";
import { MAIL_CLIENT_PATHS } from "../urls.js";
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
import { signInHandler } from "./sign-in.js";

export interface AssistanceRouteOptions {
  readonly services: Services;
  readonly assets?: ClientAssets;
}

const t = fr.assistance;

/** The NUMEN form's fields, each with the words of its problems. */
const NUMEN_PROBLEMS: Readonly<Record<string, Readonly<Partial<Record<FieldProblem, string>>>>> = t.fieldProblems;

/** The NUMEN sign-in's failures: each field's problem at it; the others at the top of the form. */
const NUMEN_ERRORS: FormErrors = {
  VALIDATION_FAILED: {
    fields: ({ fields = {} }) => {
      const errors: Record<string, string[]> = {};
      for (const [name, problem] of Object.entries(fields)) {
        errors[name] = [NUMEN_PROBLEMS[name]?.[problem] ?? ERROR_ANSWERS.VALIDATION_FAILED.text];
      }
      return errors;
    },
  },
  IDENTIFICATION_FAILED: { text: t.notIdentified },
  THROTTLED: {
    text: ({ retryAt }) => (retryAt ? `${t.notIdentified} ${t.throttled(frenchTime(retryAt))}` : t.notIdentified),
  },
  CHALLENGE_REQUIRED: { text: fr.login.challengeRequired },
};

/** A wrong or expired emailed code, at `field` (a function of the tries left). */
function codeError(field: FormErrorRule<"INVALID_CODE">["field"]): FormErrorRule<"INVALID_CODE"> {
  return {
    ...(field !== undefined ? { field } : {}),
    text: ({ attemptsLeft }) => (typeof attemptsLeft === "number" ? t.codeWrong(attemptsLeft) : t.codeExpired),
  };
}

/** A re-authentication's failures (the current password typed again), at that password's field. */
function reauthErrors(field: "recoveryPassword" | "removePassword"): FormErrors {
  return {
    REAUTH_REQUIRED: {
      field,
      text: field === "removePassword" ? t.recoveryRemovePasswordMissing : t.recoveryPasswordMissing,
    },
    INVALID_CREDENTIALS: { field, text: t.recoveryPasswordWrong, status: 400 },
  };
}

/** A new recovery address: the password typed again, then the address. */
const RECOVERY_EMAIL_ERRORS: FormErrors = {
  ...reauthErrors("recoveryPassword"),
  VALIDATION_FAILED: {
    field: "email",
    text: ({ fields }) =>
      fields?.email === "inside_domain" ? t.fieldProblems.email.inside_domain : t.fieldProblems.email.format,
  },
  INVALID_EMAIL: { field: "email", text: t.fieldProblems.email.format },
};

/** The code that confirms a new recovery address. */
const CONFIRM_RECOVERY_ERRORS: FormErrors = {
  // With tries left the message goes to the code field; otherwise that field is gone from the
  // page (no live code), so it goes to the address field, where a new code is asked for.
  INVALID_CODE: codeError(({ attemptsLeft }) =>
    typeof attemptsLeft === "number" && attemptsLeft > 0 ? "code" : "email",
  ),
  INVALID_EMAIL: { field: "email", text: t.fieldProblems.email.format },
};

/** A recovery's confirmation, saying so when it turned forwarding off. */
function withForwardingOff(text: string, forwardingOff: boolean): string {
  return forwardingOff ? `${text} ${t.forwardingOff}` : text;
}

export const assistanceRoutes: FastifyPluginAsyncTypebox<AssistanceRouteOptions> = async (
  app,
  { services, assets },
) => {
  const { config } = services;
  const ctx = (req: FastifyRequest) => pageContext(config, req, assets, req.assistanceSession);
  const meta = (req: FastifyRequest) => ({ ip: req.ip, userAgent: String(req.headers["user-agent"] ?? "") });
  const { minLength: min, maxLength: max } = services.passwords.policy.options;
  const mailClients = mailClientSettings(config);

  /** A new password refused: each broken rule at its field. */
  const NEW_PASSWORD_ERRORS: FormErrors = { PASSWORD_TOO_WEAK: passwordRuleErrors(min, max) };
  /** The account page's change: the current password too (the whole change refused: 422). */
  const ACCOUNT_PASSWORD_ERRORS: FormErrors = {
    ...NEW_PASSWORD_ERRORS,
    INVALID_CREDENTIALS: { field: "currentPassword", text: fr.password.ruleMessages.CURRENT_WRONG, status: 422 },
  };
  const missingPasswordFields = (newPassword: string, confirmation: string): FieldErrors => ({
    ...(newPassword === "" ? { newPassword: [fr.password.missing] } : {}),
    ...(confirmation === "" ? { confirmation: [fr.password.confirmationMissing] } : {}),
  });

  // Landing and the two choices.
  app.get("/assistance", async (req, reply) => sendPage(reply, <AssistanceLanding ctx={ctx(req)} />));
  app.get("/assistance/choix", { schema: schemas.Choice }, async (req, reply) => {
    const section = req.query.section;
    const open = section === "personnel" || section === "externe" ? section : undefined;
    return sendPage(reply, <AssistanceChoice ctx={ctx(req)} vm={open ? { open } : {}} phone={config.rectoratPhone} />);
  });

  // External users: a single-use link to the recovery address; the same answer whatever matched.
  app.post("/assistance/externe", { schema: schemas.External }, async (req, reply) => {
    const { identifier } = req.body;
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

  // NUMEN sign-in.
  const numenPage = async (req: FastifyRequest, reply: FastifyReply, vm: NumenViewModel, status = 200) => {
    const challenge = await challengeFor(services.challenge, await services.recovery.challengeRequired(req.ip));
    return sendPage(reply, <NumenSignInPage ctx={ctx(req)} vm={{ ...vm, ...challenge }} />, status);
  };
  app.get("/assistance/numen", { schema: schemas.NumenPage }, async (req, reply) => {
    const expired = req.query.expire !== undefined;
    return numenPage(req, reply, expired ? { info: t.recoveryExpired } : {});
  });
  app.post("/assistance/numen", { schema: schemas.NumenSignIn }, async (req, reply) => {
    const { numen, birthDate, accountType, altcha } = req.body;
    const typed = { numen, birthDate, accountType };
    try {
      const { token, session } = await services.recovery.numenSignIn({
        ...typed,
        ...meta(req),
        challenge: altcha || undefined,
      });
      reply.startAssistanceSession(token, RECOVERY_SESSION_MS);
      return reply.redirect(session.kind === "recovery_pending" ? "/assistance/code" : "/assistance/compte", 303);
    } catch (error) {
      const failure = formFailure(error, NUMEN_ERRORS);
      if (!failure) throw error;
      if (isDomainError(error, "THROTTLED") && error.details.retryAt) {
        setRetryAfter(reply, error.details.retryAt, services.clock.now());
      }
      const { status, errors, formError } = failure;
      return numenPage(req, reply, { ...typed, errors, ...(formError !== undefined ? { formError } : {}) }, status);
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
  app.post("/assistance/code", { schema: schemas.SignInCode }, async (req, reply) => {
    const pending = req.assistanceSession;
    if (pending?.kind !== "recovery_pending") return reply.redirect("/assistance/numen?expire", 303);
    try {
      const { token } = await services.recovery.confirmSignInCode(pending, req.body.code, meta(req));
      reply.startAssistanceSession(token, RECOVERY_SESSION_MS);
      return reply.redirect("/assistance/compte", 303);
    } catch (error) {
      const failure = formFailure(error, { INVALID_CODE: codeError("code") });
      if (!failure) throw error;
      return codePage(req, reply, failure.errors, failure.status);
    }
  });

  // What the recovery session shows, and the password change it allows.
  const recoverySession = (req: FastifyRequest, reply: FastifyReply) => {
    if (req.assistanceSession?.kind === "recovery") return req.assistanceSession;
    if (req.assistanceSession?.kind === "recovery_pending") {
      reply.redirect("/assistance/code", 303);
      return null;
    }
    reply.redirect(req.assistanceToken ? "/assistance/numen?expire" : "/assistance/numen", 303);
    return null;
  };
  app.get("/assistance/compte", { schema: schemas.RecoveryAccounts }, async (req, reply) => {
    const session = recoverySession(req, reply);
    if (!session) return reply;
    const accounts = await services.recovery.recoveryAccounts(session);
    const query = req.query;
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
  const accountIdParam = (req: { readonly params: { readonly "*": string } }) => {
    return parseId(req.params["*"]) ?? -1;
  };
  app.get("/assistance/compte/mot-de-passe/*", { schema: schemas.RecoveryPasswordPage }, async (req, reply) =>
    recoveryPasswordPage(req, reply, accountIdParam(req)),
  );
  app.post("/assistance/compte/mot-de-passe/*", { schema: schemas.RecoveryPassword }, async (req, reply) => {
    const session = recoverySession(req, reply);
    if (!session) return reply;
    const accountId = accountIdParam(req);
    const { newPassword, confirmation } = req.body;
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
      const failure = formFailure(error, NEW_PASSWORD_ERRORS);
      if (failure) return recoveryPasswordPage(req, reply, accountId, failure.errors, failure.status);
      if (isDomainError(error, "NOT_FOUND")) return reply.callNotFound();
      throw error;
    }
  });

  // "se déconnecter" → the sign-in by password.
  app.post("/assistance/deconnexion", async (req, reply) => {
    await services.login.logout(req.assistanceToken, meta(req));
    reply.endAssistanceSession();
    return reply.redirect("/assistance/connexion?deconnecte", 303);
  });

  // "Connexion" with username and password, to the account page.
  const accountLoginPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    vm: AccountLoginViewModel,
    status = 200,
  ) => {
    const challenge = await challengeFor(services.challenge, await services.login.challengeRequired(req.ip));
    return sendPage(reply, <AccountLoginPage ctx={ctx(req)} vm={{ ...vm, ...challenge }} />, status);
  };
  app.get("/assistance/connexion", { schema: schemas.AccountLoginPage }, async (req, reply) => {
    if (req.assistanceSession?.kind === "account") return reply.redirect("/assistance/mon-compte", 303);
    const q = req.query;
    return accountLoginPage(req, reply, q.deconnecte !== undefined ? { info: t.loggedOut } : {});
  });
  const signIn = signInHandler(services, {
    application: "account",
    page: accountLoginPage,
    signedIn: (reply, result) => {
      if (result.mustChangePassword) {
        // Still on the initial password: the forced change comes first, as on the webmail.
        reply.startSession(result.token, services.sessions.timeouts.absoluteMs);
        return reply.redirect("/changer-mot-de-passe", 303);
      }
      reply.startAssistanceSession(result.token, services.sessions.timeouts.absoluteMs);
      return reply.redirect("/assistance/mon-compte", 303);
    },
  });
  app.post("/assistance/connexion", { schema: schemas.AccountLogin }, async (req, reply) =>
    signIn(req, reply, req.body),
  );

  // The account page.
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
      <AccountPage
        ctx={ctx(req)}
        vm={{ ...overview, currentIdHash: session.idHash, min, max, mailClients, ...extra }}
      />,
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
  app.get("/assistance/mon-compte", { schema: schemas.AccountPage }, async (req, reply) => {
    const key = req.query.ok;
    const notice = typeof key === "string" ? notices[key] : undefined;
    return accountPage(req, reply, notice ? { notice } : {});
  });
  // « Télécharger le profil de configuration (iPhone, iPad, Mac) »: unsigned (no signing key is configured).
  app.get(MAIL_CLIENT_PATHS.appleProfile, async (req, reply) => {
    const session = accountSession(req, reply);
    if (!session) return reply;
    return sendAppleProfile(reply, config, mailClients, await services.directory.getAccountById(session.accountId));
  });
  app.post("/assistance/mon-compte/mot-de-passe", { schema: schemas.ChangePassword }, async (req, reply) => {
    const session = accountSession(req, reply);
    if (!session) return reply;
    const { currentPassword, newPassword, confirmation, compromis } = req.body;
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
        compromised: compromis !== "",
      });
      return reply.redirect(
        `/assistance/mon-compte?ok=${forwardingOff ? "mot-de-passe-transfert" : "mot-de-passe"}`,
        303,
      );
    } catch (error) {
      const failure = formFailure(error, ACCOUNT_PASSWORD_ERRORS);
      if (!failure) throw error;
      return accountPage(req, reply, { passwordErrors: failure.errors }, failure.status);
    }
  });
  app.post("/assistance/mon-compte/adresse-de-secours", { schema: schemas.RecoveryEmail }, async (req, reply) => {
    const session = accountSession(req, reply);
    if (!session) return reply;
    const { email, recoveryPassword } = req.body;
    try {
      await services.recovery.startRecoveryEmailChange(session, email, {
        currentPassword: recoveryPassword,
        ip: req.ip,
      });
      return reply.redirect("/assistance/mon-compte", 303);
    } catch (error) {
      const failure = formFailure(error, RECOVERY_EMAIL_ERRORS);
      if (!failure) throw error;
      return accountPage(req, reply, { emailErrors: failure.errors, emailValue: email }, failure.status);
    }
  });
  const removeRecovery = { schema: schemas.RemoveRecoveryEmail };
  app.post("/assistance/mon-compte/adresse-de-secours/supprimer", removeRecovery, async (req, reply) => {
    const session = accountSession(req, reply);
    if (!session) return reply;
    try {
      await services.recovery.removeRecoveryEmail(session, {
        currentPassword: req.body.removePassword,
        ip: req.ip,
      });
      return reply.redirect("/assistance/mon-compte?ok=adresse-supprimee", 303);
    } catch (error) {
      const failure = formFailure(error, reauthErrors("removePassword"));
      if (!failure) throw error;
      return accountPage(req, reply, { emailErrors: failure.errors }, failure.status);
    }
  });
  const confirmRecovery = { schema: schemas.ConfirmRecoveryEmail };
  app.post("/assistance/mon-compte/adresse-de-secours/confirmer", confirmRecovery, async (req, reply) => {
    const session = accountSession(req, reply);
    if (!session) return reply;
    try {
      await services.recovery.confirmRecoveryEmail(session, req.body.code, { ip: req.ip });
      return reply.redirect("/assistance/mon-compte?ok=adresse-confirmee", 303);
    } catch (error) {
      const failure = formFailure(error, CONFIRM_RECOVERY_ERRORS);
      if (failure) return accountPage(req, reply, { emailErrors: failure.errors }, failure.status);
      throw error;
    }
  });
  app.post("/assistance/mon-compte/sessions/fermer", { schema: schemas.CloseSession }, async (req, reply) => {
    const session = accountSession(req, reply);
    if (!session) return reply;
    const target = req.body.session;
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
        message={ERROR_ANSWERS.INVALID_LINK.text}
        links={[{ href: "/assistance/choix?section=externe", label: t.backToAssistance }]}
      />,
      ERROR_ANSWERS.INVALID_LINK.status,
    );
  /** A request on a link: the token is what follows the route's prefix. */
  type LinkRequest = FastifyRequest & { readonly params: { readonly "*": string } };
  const tokenParam = (req: LinkRequest) => req.params["*"];
  const resetPage = async (req: LinkRequest, reply: FastifyReply, errors: FieldErrors = {}, status = 200) => {
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
  app.get("/assistance/reinitialiser/*", { schema: schemas.Link }, async (req, reply) => {
    // The link's token must not leak through the Referer of anything this page loads: the origin
    // only (`no-referrer` would make the form's POST carry `Origin: null`, refused).
    reply.header("Referrer-Policy", "strict-origin");
    return resetPage(req, reply);
  });
  app.post("/assistance/reinitialiser/*", { schema: schemas.Reset }, async (req, reply) => {
    const { newPassword, confirmation } = req.body;
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
      const failure = formFailure(error, NEW_PASSWORD_ERRORS);
      if (failure) return resetPage(req, reply, failure.errors, failure.status);
      if (isDomainError(error, "INVALID_LINK")) return invalidLink(req, reply);
      throw error;
    }
  });

  // The cancel link sent to the previous recovery address (7 days). GET only shows what the button
  // will do (a mail client or a scanner may open links); the POST undoes the change.
  app.get("/assistance/annuler-adresse/*", { schema: schemas.Link }, async (req, reply) => {
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
  app.post("/assistance/annuler-adresse/*", { schema: schemas.Link }, async (req, reply) => {
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
