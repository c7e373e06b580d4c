/**
 * The helpdesk's person card (`/console/assistance/personnes/:id`, role `assistance`): the card,
 * the caller's NUMEN and birth date checked, and the actions with their reason (post/redirect/get
 * with a notice; the temporary password is the one answer shown at once, never again). Lifting a
 * throttle and a temporary password ask for the second factor again. Thin: parse, call
 * HelpdeskService, render.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Agent, PersonCard } from "../../console/helpdesk.types.js";
import { isDomainError } from "../../shared/errors.js";
import { type FormErrors, formFailure, NotFoundError, setRetryAfter } from "../errors.js";
import { BadInputError, parseId } from "../forms.js";
import { helpdeskFr } from "../i18n/console-helpdesk.fr.js";
import { frenchTime } from "../i18n/fr.js";
import { sendPage } from "../page.js";
import * as schemas from "../schemas/console-helpdesk.schemas.js";
import type { FieldErrors } from "../views/components.js";
import {
  type ActionModel,
  type HelpdeskAction,
  isHelpdeskAction,
  isSensitive,
  PersonCardPage,
  TemporaryPasswordPage,
  type VerifyModel,
} from "../views/console-helpdesk.view.js";
import { agentOf, CODE_ERRORS, type ConsoleRouteOptions, consoleAccess, type SignedIn } from "./console-access.js";

const t = helpdeskFr;

/** The reason's refusals, at its field. */
const REASON_ERRORS: FormErrors = {
  VALIDATION_FAILED: {
    field: (d) => (d.field === "reason" ? "reason" : undefined),
    text: (d) => (d.reason === "too_long" ? t.reasonTooLong(d.max ?? 500) : t.reasonMissing),
    status: 400,
  },
};

/** The verification's refusals: the typed value's format at its field, too many checks at the top. */
const VERIFY_ERRORS: FormErrors = {
  VALIDATION_FAILED: {
    fields: (d) => {
      const out: Record<string, string[]> = {};
      const numen = d.fields?.numen;
      if (numen) out.numen = [numen === "missing" ? t.numenMissing : t.numenFormat];
      const birth = d.fields?.birthDate;
      if (birth) {
        const texts = {
          missing: t.birthDateMissing,
          format: t.birthDateFormat,
          impossible: t.birthDateImpossible,
        } as Record<string, string>;
        out.birthDate = [texts[birth] ?? t.birthDateRange];
      }
      return out;
    },
    status: 400,
  },
  THROTTLED: { text: (d) => t.verifyThrottled(d.retryAt ? frenchTime(d.retryAt) : "un moment"), status: 429 },
};

export const helpdeskConsoleRoutes: FastifyPluginAsyncTypebox<ConsoleRouteOptions> = async (app, options) => {
  const { services } = options;
  const { ctx, userOf, reauthNeeded, reauthenticate } = consoleAccess(options);

  const personIdOf = (raw: string): number => {
    const id = parseId(raw);
    if (id === null) throw new NotFoundError("no such person");
    return id;
  };

  /** The card, or 404 when there is no such person. */
  const cardOf = async (personId: number, agent: Agent): Promise<PersonCard> => {
    try {
      return await services.helpdesk.card(personId, agent);
    } catch (error) {
      if (isDomainError(error, "NOT_FOUND")) throw new NotFoundError("no such person");
      throw error;
    }
  };

  const cardPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    signedIn: SignedIn,
    personId: number,
    extra: { notice?: string; verify?: VerifyModel; action?: ActionModel } = {},
    status = 200,
  ) => {
    const card = await cardOf(personId, agentOf(req, signedIn));
    return sendPage(
      reply,
      <PersonCardPage
        ctx={ctx(req)}
        user={signedIn.user}
        card={card}
        reauthNeeded={reauthNeeded(signedIn)}
        {...(extra.notice ? { notice: extra.notice } : {})}
        {...(extra.verify ? { verify: extra.verify } : {})}
        {...(extra.action ? { action: extra.action } : {})}
      />,
      status,
    );
  };

  app.get("/console/assistance/personnes/:id", { schema: schemas.Card }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "assistance");
    if (!signedIn) return reply;
    const personId = personIdOf(req.params.id);
    const fait = req.query.fait;
    const notice = typeof fait === "string" && Object.hasOwn(t.done, fait) ? t.done[fait] : undefined;
    return cardPage(req, reply, signedIn, personId, notice ? { notice } : {});
  });

  app.post("/console/assistance/personnes/:id/verifier", { schema: schemas.Verify }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "assistance");
    if (!signedIn) return reply;
    const personId = personIdOf(req.params.id);
    const { what, numen, birthDate } = req.body;
    if (what !== "numen" && what !== "birthDate") throw new BadInputError("unknown verification");
    const agent = agentOf(req, signedIn);
    try {
      const matched =
        what === "numen"
          ? await services.helpdesk.verifyNumen(personId, numen, agent)
          : await services.helpdesk.verifyBirthDate(personId, birthDate, agent);
      return cardPage(req, reply, signedIn, personId, { verify: { result: { what, matched } } });
    } catch (error) {
      const failure = formFailure(error, VERIFY_ERRORS);
      if (!failure) throw error;
      if (isDomainError(error, "THROTTLED") && error.details.retryAt) {
        setRetryAfter(reply, error.details.retryAt, services.clock.now());
      }
      const verify: VerifyModel = {
        errors: failure.errors,
        ...(failure.formError ? { formError: failure.formError } : {}),
      };
      return cardPage(req, reply, signedIn, personId, { verify }, failure.status);
    }
  });

  /** The words of a refused action (CONFLICT), by what the account is. */
  const conflictText = async (action: HelpdeskAction, accountId: number | null): Promise<string> => {
    const account = accountId === null ? null : await services.directory.getAccountById(accountId);
    const departed = account?.holder.type === "person" && account.holder.status === "departed";
    if (departed) return t.departedRefused;
    if (account?.disabled && action !== "reactiver") return t.disabledRefused;
    return action === "lien" ? t.noRecoveryAddress : t.departedRefused;
  };

  app.post("/console/assistance/personnes/:id/actions", { schema: schemas.Action }, async (req, reply) => {
    const signedIn = await userOf(req, reply, "assistance");
    if (!signedIn) return reply;
    const personId = personIdOf(req.params.id);
    const { action, account, reason, code } = req.body;
    const model: ActionModel = { action, account, reason };
    const refuse = (errors: FieldErrors, formError?: string, status = 400) =>
      cardPage(
        req,
        reply,
        signedIn,
        personId,
        { action: { ...model, errors, ...(formError ? { formError } : {}) } },
        status,
      );
    const errors: Record<string, readonly string[]> = {};
    if (!isHelpdeskAction(action)) errors.action = [t.actionMissing];
    const accountId = parseId(account);
    if (accountId === null && action !== "lever-numen") errors.account = [t.accountMissing];
    try {
      services.helpdesk.checkReason(reason);
    } catch (error) {
      const failure = formFailure(error, REASON_ERRORS);
      if (!failure) throw error;
      Object.assign(errors, failure.errors);
    }
    if (Object.keys(errors).length > 0 || !isHelpdeskAction(action)) return refuse(errors);
    const agent = agentOf(req, signedIn);
    // The second factor again for the sensitive ones (valid 5 minutes).
    if (isSensitive(action)) {
      try {
        if (!(await reauthenticate(signedIn, code))) return refuse({ code: [t.codeMissing] });
      } catch (error) {
        const failure = formFailure(error, CODE_ERRORS);
        if (!failure) throw error;
        if (isDomainError(error, "THROTTLED") && error.details.retryAt) {
          setRetryAfter(reply, error.details.retryAt, services.clock.now());
        }
        return refuse({ ...failure.errors }, failure.formError, failure.status);
      }
    }
    const id = accountId ?? 0;
    const h = services.helpdesk;
    const done = (fait: string) => reply.redirect(`/console/assistance/personnes/${personId}?fait=${fait}`, 303);
    try {
      switch (action) {
        case "lever":
          return done(
            (await h.liftThrottle(personId, { kind: "account", accountId: id }, reason, agent))
              ? "blocage-leve"
              : "blocage-absent",
          );
        case "lever-numen":
          return done(
            (await h.liftThrottle(personId, { kind: "numen" }, reason, agent)) ? "numen-leve" : "blocage-absent",
          );
        case "lien":
          await h.sendResetLink(personId, id, reason, agent);
          return done("lien-envoye");
        case "temporaire": {
          const temporary = await h.setTemporaryPassword(personId, id, reason, agent);
          return sendPage(
            reply,
            <TemporaryPasswordPage ctx={ctx(req)} user={signedIn.user} personId={personId} temporary={temporary} />,
          );
        }
        case "sessions":
          await h.endSessions(personId, id, reason, agent);
          return done("sessions-fermees");
        case "desactiver":
          return done((await h.setDisabled(personId, id, true, reason, agent)) ? "desactive" : "deja-desactive");
        case "reactiver":
          return done((await h.setDisabled(personId, id, false, reason, agent)) ? "reactive" : "deja-actif");
        case "compromis":
          await h.markCompromised(personId, id, reason, agent);
          return done("compromis");
      }
    } catch (error) {
      if (isDomainError(error, "NOT_FOUND")) return refuse({ account: [t.accountMissing] });
      if (isDomainError(error, "CONFLICT")) return refuse({}, await conflictText(action, accountId), 409);
      if (isDomainError(error, "THROTTLED")) return refuse({}, t.linksThrottled, 429);
      const failure = formFailure(error, REASON_ERRORS);
      if (!failure) throw error;
      return refuse({ ...failure.errors }, failure.formError, failure.status);
    }
  });
};
