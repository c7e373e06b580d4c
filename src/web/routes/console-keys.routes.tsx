/**
 * The console's security keys (WebAuthn): « Clés de sécurité » (`/console/cles`: list, add, remove,
 * the second factor typed again for adding and removing), the challenges the page script asks for
 * (`/console/cles/options`, JSON) and a sensitive action confirmed with a key
 * (`/console/cles/confirmation`, JSON). The sign-in's and the enrolment's key steps are in
 * `console.routes.tsx`. Thin: parse, call ConsoleService, render.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { SecurityKey } from "../../console/console.types.js";
import { isDomainError } from "../../shared/errors.js";
import { type FormErrors, formFailure, found, NotFoundError, setRetryAfter } from "../errors.js";
import { BadInputError } from "../forms.js";
import { consoleFr } from "../i18n/console.fr.js";
import { keysFr } from "../i18n/console-keys.fr.js";
import { sendPage } from "../page.js";
import * as schemas from "../schemas/console-keys.schemas.js";
import type { FieldErrors } from "../views/components.js";
import { RemoveKeyPage, SecurityKeysPage } from "../views/console-keys.view.js";
import { CODE_ERRORS, type ConsoleRouteOptions, consoleAccess, consoleActor, type SignedIn } from "./console-access.js";

const k = keysFr;

/** Where a refused key, a wrong name or code is said on the keys' forms. */
export const KEY_ERRORS: FormErrors = {
  VALIDATION_FAILED: { field: "name", text: k.nameMissing, status: 400 },
  SECURITY_KEY_REFUSED: {},
  LAST_SECOND_FACTOR: {},
  ...CODE_ERRORS,
};

const PURPOSES = ["register", "sign-in", "reauth"] as const;

export const keysConsoleRoutes: FastifyPluginAsyncTypebox<ConsoleRouteOptions> = async (app, options) => {
  const { services } = options;
  const { ctx, userOf, reauthNeeded, reauthenticate } = consoleAccess(options);

  const listPage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    signedIn: SignedIn,
    extra: { name?: string; errors?: FieldErrors; formError?: string; notice?: string } = {},
    status = 200,
  ) => {
    const keys = await services.console.securityKeys(signedIn.session.accountId);
    return sendPage(
      reply,
      <SecurityKeysPage
        ctx={ctx(req)}
        user={signedIn.user}
        model={{
          keys,
          reauthNeeded: reauthNeeded(signedIn),
          name: extra.name ?? "",
          ...(extra.errors ? { errors: extra.errors } : {}),
          ...(extra.formError ? { formError: extra.formError } : {}),
          ...(extra.notice ? { notice: extra.notice } : {}),
        }}
      />,
      status,
    );
  };

  /** A failure the service reported, as the form shows it (null: not one of the form's). */
  const failureOf = (error: unknown, reply: FastifyReply) => {
    const failure = formFailure(error, KEY_ERRORS);
    if (failure && isDomainError(error, "THROTTLED") && error.details.retryAt) {
      setRetryAfter(reply, error.details.retryAt, services.clock.now());
    }
    return failure;
  };

  app.get("/console/cles", { schema: schemas.List }, async (req, reply) => {
    const signedIn = await userOf(req, reply);
    if (!signedIn) return reply;
    const { fait, nom } = req.query;
    const notice = fait === "ajoutee" ? k.added(nom) : fait === "retiree" ? k.removed(nom) : undefined;
    return listPage(req, reply, signedIn, notice ? { notice } : {});
  });

  app.post("/console/cles", { schema: schemas.Add }, async (req, reply) => {
    const signedIn = await userOf(req, reply);
    if (!signedIn) return reply;
    const { name, code, credential } = req.body;
    if (name.trim() === "") return listPage(req, reply, signedIn, { name, errors: { name: [k.nameMissing] } }, 400);
    try {
      if (!(await reauthenticate(signedIn, code))) {
        return listPage(req, reply, signedIn, { name, errors: { code: [consoleFr.codeMissing] } }, 400);
      }
      const added = await services.console.addSecurityKey(signedIn.session, credential, name);
      return reply.redirect(`/console/cles?${new URLSearchParams({ fait: "ajoutee", nom: added.name })}`, 303);
    } catch (error) {
      const failure = failureOf(error, reply);
      if (!failure) throw error;
      return listPage(
        req,
        reply,
        signedIn,
        { name, errors: { ...failure.errors }, ...(failure.formError ? { formError: failure.formError } : {}) },
        failure.status,
      );
    }
  });

  const keyOf = async (signedIn: SignedIn, id: string): Promise<SecurityKey> => {
    const key = (await services.console.securityKeys(signedIn.session.accountId)).find((x) => String(x.id) === id);
    if (!key) throw new NotFoundError("no such key");
    return key;
  };

  app.get("/console/cles/:id/retirer", { schema: schemas.KeyPage }, async (req, reply) => {
    const signedIn = await userOf(req, reply);
    if (!signedIn) return reply;
    const key = await keyOf(signedIn, req.params.id);
    return sendPage(
      reply,
      <RemoveKeyPage ctx={ctx(req)} user={signedIn.user} securityKey={key} reauthNeeded={reauthNeeded(signedIn)} />,
    );
  });

  app.post("/console/cles/:id/retirer", { schema: schemas.Remove }, async (req, reply) => {
    const signedIn = await userOf(req, reply);
    if (!signedIn) return reply;
    const key = await keyOf(signedIn, req.params.id);
    const page = (errors: FieldErrors, status: number, formError?: string) =>
      sendPage(
        reply,
        <RemoveKeyPage
          ctx={ctx(req)}
          user={signedIn.user}
          securityKey={key}
          reauthNeeded={reauthNeeded(signedIn)}
          errors={errors}
          {...(formError ? { formError } : {})}
        />,
        status,
      );
    try {
      if (!(await reauthenticate(signedIn, req.body.code))) return page({ code: [consoleFr.codeMissing] }, 400);
      const removed = await found(
        services.console.removeSecurityKey(signedIn.session, key.id, consoleActor(signedIn.user)),
      );
      return reply.redirect(`/console/cles?${new URLSearchParams({ fait: "retiree", nom: removed.name })}`, 303);
    } catch (error) {
      const failure = failureOf(error, reply);
      if (!failure) throw error;
      return page({ ...failure.errors }, failure.status, failure.formError);
    }
  });

  /** The options of the browser's key ceremony, for the console session asking (JSON). */
  app.post("/console/cles/options", { schema: schemas.Options }, async (req, reply) => {
    const session = req.consoleSession;
    if (!session) throw new NotFoundError("no console session");
    const purpose = PURPOSES.find((p) => p === req.body.purpose);
    if (!purpose) throw new BadInputError("unknown purpose");
    let options: object;
    if (purpose === "register") {
      const account = await services.directory.getAccountById(session.accountId);
      options = await found(
        services.console.registrationOptions(session, {
          username: account.username,
          displayName: `${account.holder.prenom} ${account.holder.nom}`,
        }),
      );
    } else {
      options = await found(services.console.authenticationOptions(session, purpose));
    }
    return reply.header("Cache-Control", "no-store").send(options);
  });

  /** A sensitive action confirmed with a key: valid 5 minutes, as a code typed again (JSON). */
  app.post("/console/cles/confirmation", { schema: schemas.Assertion }, async (req, reply) => {
    const signedIn = await userOf(req, reply);
    if (!signedIn) return reply;
    await services.console.reauthenticateWithKey(signedIn.session, req.body.credential);
    return reply.header("Cache-Control", "no-store").send({ ok: true });
  });
};
