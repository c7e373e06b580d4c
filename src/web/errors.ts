/**
 * From a domain error to HTTP, in one table (as `mail/smtp-replies.ts` does for SMTP): each code's
 * status and French text. The error handler (`error-pages.tsx`) answers with it the errors no form
 * caught; the forms that show an error again at a field or at their top say, in a small table of
 * their own (`FormErrors`), where each code they expect goes and, when they word it their own way,
 * how: `formFailure` gives them the field errors and the status. A code without an entry in
 * `ERROR_ANSWERS` does not compile.
 */
import type { FastifyReply } from "fastify";
import type { DomainError, ErrorCode, PasswordRule } from "../shared/errors.js";
import { isDomainError } from "../shared/errors.js";
import { fr } from "./i18n/fr.js";
import type { FieldErrors } from "./views/components.js";

export interface ErrorAnswer {
  /** The status of the answer that says it: the form shown again, or the page. */
  readonly status: number;
  /** The French text, at a field, at the top of a form, or on the page. */
  readonly text: string;
  /**
   * Set for an error about the whole request, that no form can help with: wherever it comes from,
   * it gets a page of its own with this title (or JSON for the page scripts) and `status`. Unset:
   * an error a form shows; one that no form expected gets the 400 "Demande incorrecte" page, with
   * `text`.
   */
  readonly pageTitle?: string;
}

const c = fr.codes;

export const ERROR_ANSWERS = {
  VALIDATION_FAILED: { status: 400, text: c.VALIDATION_FAILED },
  INVALID_NUMEN: { status: 400, text: c.INVALID_NUMEN },
  INVALID_UAI: { status: 400, text: c.INVALID_UAI },
  INVALID_DATE: { status: 400, text: c.INVALID_DATE },
  INVALID_NAME: { status: 400, text: c.INVALID_NAME },
  INVALID_EMAIL: { status: 400, text: c.INVALID_EMAIL },
  // Another account's message, folder or contact is "not found" too: the same 404 page.
  NOT_FOUND: { status: 404, text: fr.errors.notFound, pageTitle: fr.errors.notFoundTitle },
  CONFLICT: { status: 409, text: c.CONFLICT },
  CSV_INVALID: { status: 400, text: c.CSV_INVALID },
  FILE_UNREADABLE: { status: 400, text: c.FILE_UNREADABLE },
  IMPORT_TOO_MANY_REJECTED: { status: 400, text: c.IMPORT_TOO_MANY_REJECTED },
  INVALID_CREDENTIALS: { status: 401, text: c.INVALID_CREDENTIALS },
  THROTTLED: { status: 429, text: c.THROTTLED },
  RATE_LIMITED: { status: 429, text: c.RATE_LIMITED, pageTitle: fr.errors.tooManyTitle },
  CHALLENGE_REQUIRED: { status: 429, text: c.CHALLENGE_REQUIRED },
  PASSWORD_TOO_WEAK: { status: 422, text: c.PASSWORD_TOO_WEAK },
  OVERLOADED: { status: 503, text: fr.errors.overloaded, pageTitle: fr.errors.overloadedTitle },
  SESSION_EXPIRED: { status: 401, text: c.SESSION_EXPIRED },
  CSRF_REJECTED: { status: 403, text: c.CSRF_REJECTED },
  IDENTIFICATION_FAILED: { status: 401, text: c.IDENTIFICATION_FAILED },
  INVALID_LINK: { status: 410, text: c.INVALID_LINK },
  INVALID_CODE: { status: 400, text: c.INVALID_CODE },
  MAIL_UNAVAILABLE: { status: 400, text: c.MAIL_UNAVAILABLE },
  RECIPIENT_UNKNOWN: { status: 400, text: c.RECIPIENT_UNKNOWN },
  QUOTA_EXCEEDED: { status: 400, text: c.QUOTA_EXCEEDED },
  MESSAGE_TOO_LARGE: { status: 400, text: c.MESSAGE_TOO_LARGE },
  MESSAGE_MALFORMED: { status: 400, text: c.MESSAGE_MALFORMED },
  FOLDER_EXISTS: { status: 409, text: c.FOLDER_EXISTS },
  FOLDER_PROTECTED: { status: 409, text: c.FOLDER_PROTECTED },
  INVALID_FOLDER_NAME: { status: 400, text: c.INVALID_FOLDER_NAME },
  INVALID_RECIPIENTS: { status: 400, text: c.INVALID_RECIPIENTS },
  NO_RECIPIENT: { status: 400, text: c.NO_RECIPIENT },
  TOO_MANY_RECIPIENTS: { status: 400, text: c.TOO_MANY_RECIPIENTS },
  HEADER_INJECTION: { status: 400, text: c.HEADER_INJECTION },
  ATTACHMENT_TOO_LARGE: { status: 400, text: c.ATTACHMENT_TOO_LARGE },
  SENDING_LIMIT: { status: 400, text: c.SENDING_LIMIT },
  SENDER_MISMATCH: { status: 400, text: c.SENDER_MISMATCH },
  CONTACT_EXISTS: { status: 409, text: c.CONTACT_EXISTS },
  VCARD_INVALID: { status: 400, text: c.VCARD_INVALID },
  REAUTH_REQUIRED: { status: 400, text: c.REAUTH_REQUIRED },
} as const satisfies Readonly<Record<ErrorCode, ErrorAnswer>>;

/** The page of a domain error that reached the error handler (no form caught it). */
export function errorPage(error: DomainError): { status: number; title: string; text: string } {
  const answer: ErrorAnswer = ERROR_ANSWERS[error.code];
  if (answer.pageTitle !== undefined) return { status: answer.status, title: answer.pageTitle, text: answer.text };
  return { status: 400, title: fr.errors.badRequestTitle, text: answer.text };
}

/** A page that does not exist: unknown ids, another account's, and malformed ones look the same. */
export class NotFoundError extends Error {
  readonly statusCode = 404;
}

/** The service's NOT_FOUND as a 404, told apart from the errors a form shows. */
export async function found<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (isDomainError(error, "NOT_FOUND")) throw new NotFoundError(error.message);
    throw error;
  }
}

/** Sets Retry-After (seconds from `now` to `retryAt`, at least 1). */
export function setRetryAfter(reply: FastifyReply, retryAt: Date, now: Date): void {
  reply.header("Retry-After", String(Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000))));
}

// ------------------------------------------------------------------------------------------------
// Forms shown again with their errors.

type DetailsOf<C extends ErrorCode> = DomainError<C>["details"];

/** How one form shows one code it expects. */
export interface FormErrorRule<C extends ErrorCode> {
  /**
   * The form's field that shows it, or a function of the details (when the service names its own
   * field); a function that gives undefined means this form cannot show it. Unset: the top of the form.
   */
  readonly field?: string | ((details: DetailsOf<C>) => string | undefined);
  /** The text, when the form words it its own way (else the table's). */
  readonly text?: string | ((details: DetailsOf<C>) => string);
  /** Several fields at once (a form checked field by field): replaces `field` and `text`. */
  readonly fields?: (details: DetailsOf<C>) => FieldErrors;
  /** The status, when this form answers it otherwise than the table. */
  readonly status?: number;
}

/** A form's errors: the codes it expects; any other goes on to the error handler. */
export type FormErrors = { readonly [C in ErrorCode]?: FormErrorRule<C> };

export interface FormFailure {
  readonly status: number;
  /** The errors at their fields ({} when the error is about the whole form). */
  readonly errors: FieldErrors;
  /** The error about the whole form, shown at its top. */
  readonly formError?: string;
}

/** A domain error as the form shows it, or null when the form does not expect it (then rethrow it). */
export function formFailure(error: unknown, rules: FormErrors): FormFailure | null {
  if (!isDomainError(error)) return null;
  const rule = rules[error.code] as FormErrorRule<ErrorCode> | undefined;
  if (!rule) return null;
  const answer: ErrorAnswer = ERROR_ANSWERS[error.code];
  const status = rule.status ?? answer.status;
  if (rule.fields) return { status, errors: rule.fields(error.details) };
  const text = typeof rule.text === "function" ? rule.text(error.details) : (rule.text ?? answer.text);
  if (rule.field === undefined) return { status, errors: {}, formError: text };
  const field = typeof rule.field === "function" ? rule.field(error.details) : rule.field;
  return field === undefined ? null : { status, errors: { [field]: [text] } };
}

/** A password rule as a person reads it (`min`/`max`: the policy's lengths). */
export function ruleMessage(rule: PasswordRule | "CURRENT_WRONG", min: number, max: number): string {
  const m = fr.password.ruleMessages;
  if (rule === "TOO_SHORT") return m.TOO_SHORT(min);
  if (rule === "TOO_LONG") return m.TOO_LONG(max);
  return m[rule];
}

/** PASSWORD_TOO_WEAK as a new-password form shows it: each broken rule at its field. */
export function passwordRuleErrors(min: number, max: number): FormErrorRule<"PASSWORD_TOO_WEAK"> {
  return {
    fields: ({ rules }) => {
      const out: Record<string, string[]> = {};
      for (const rule of rules) {
        const target = rule === "CONFIRMATION_MISMATCH" ? "confirmation" : "newPassword";
        out[target] = [...(out[target] ?? []), ruleMessage(rule, min, max)];
      }
      return out;
    },
  };
}
