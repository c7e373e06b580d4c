/**
 * The sign-in form's POST, one function for the webmail's form (`/connexion`) and the account
 * page's "Connexion" (`/assistance/connexion`): the same checks, the same call to the login
 * service, the same failures (one generic message for every wrong identity; when to retry when
 * throttled). What differs is given by each door: the application recorded, the page shown again,
 * and where a success goes.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { LoginSuccess } from "../../identity/login.service.js";
import type { Services } from "../../services.js";
import { isDomainError } from "../../shared/errors.js";
import { ERROR_ANSWERS, type FormErrors, formFailure, setRetryAfter } from "../errors.js";
import { fr, frenchTime } from "../i18n/fr.js";
import type { FieldErrors } from "../views/components.js";

/** What the sign-in form shows again: what was typed, and the errors. */
export interface SignInForm {
  readonly username: string;
  readonly errors?: FieldErrors;
  readonly formError?: string;
}

/** The sign-in form's fields, as typed. */
export interface SignInFields {
  readonly username: string;
  readonly password: string;
  /** The solved ALTCHA challenge ("" when none). */
  readonly altcha: string;
}

/** The sign-in's failures, at the top of the form. */
export const SIGN_IN_ERRORS: FormErrors = {
  INVALID_CREDENTIALS: { text: fr.login.invalid },
  THROTTLED: {
    text: ({ retryAt }) => (retryAt ? fr.login.throttled(frenchTime(retryAt)) : ERROR_ANSWERS.THROTTLED.text),
  },
  CHALLENGE_REQUIRED: { text: fr.login.challengeRequired },
};

/** What a door's sign-in form does its own way. */
export interface SignInDoor {
  /** The application signing in (recorded with the session and in the audit trail); the webmail when unset. */
  readonly application?: "account";
  /** The form again (with a challenge when one is due), with this status. */
  page(req: FastifyRequest, reply: FastifyReply, form: SignInForm, status: number): Promise<FastifyReply>;
  /** A successful sign-in: the session it starts and where it goes. */
  signedIn(reply: FastifyReply, result: LoginSuccess): FastifyReply;
}

/** The handler of a door's sign-in POST. */
export function signInHandler(
  services: Pick<Services, "login" | "clock">,
  door: SignInDoor,
): (req: FastifyRequest, reply: FastifyReply, fields: SignInFields) => Promise<FastifyReply> {
  return async (req, reply, { username, password, altcha }) => {
    const errors: Record<string, string[]> = {};
    if (username.trim() === "") errors.username = [fr.login.usernameMissing];
    if (password === "") errors.password = [fr.login.passwordMissing];
    if (Object.keys(errors).length > 0) return door.page(req, reply, { username, errors }, 400);
    try {
      const result = await services.login.login({
        identifier: username,
        password,
        ip: req.ip,
        userAgent: String(req.headers["user-agent"] ?? ""),
        challenge: altcha || undefined,
        ...(door.application ? { application: door.application } : {}),
      });
      return door.signedIn(reply, result);
    } catch (error) {
      const failure = formFailure(error, SIGN_IN_ERRORS);
      if (!failure) throw error;
      if (isDomainError(error, "THROTTLED") && error.details.retryAt) {
        setRetryAfter(reply, error.details.retryAt, services.clock.now());
      }
      return door.page(req, reply, { username, formError: failure.formError ?? "" }, failure.status);
    }
  };
}
