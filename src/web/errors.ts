/**
 * From a domain error to HTTP, in one table (as `mail/smtp-replies.ts` does for SMTP): each code's
 * status and French text. The error handler (`error-pages.tsx`) answers with it the errors no form
 * caught; the forms that show an error again at a field or at their top say, in a small table of
 * their own (`FormErrors`), where each code they expect goes and, when they word it their own way,
 * how: `formFailure` gives them the field errors and the status. A code without a status in
 * `STATUSES` does not compile.
 */
import type { FastifyReply } from "fastify";
import type { DomainError, ErrorCode, PasswordRule } from "../shared/errors.js";
import { ERROR_CODES, isDomainError } from "../shared/errors.js";
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

/** Each code's status; its text is its own in `fr.codes`, unless it has a page of its own below. */
const STATUSES = {
  VALIDATION_FAILED: 400,
  INVALID_NUMEN: 400,
  INVALID_UAI: 400,
  INVALID_DATE: 400,
  INVALID_NAME: 400,
  INVALID_EMAIL: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  CSV_INVALID: 400,
  FILE_UNREADABLE: 400,
  IMPORT_TOO_MANY_REJECTED: 400,
  INVALID_CREDENTIALS: 401,
  THROTTLED: 429,
  RATE_LIMITED: 429,
  CHALLENGE_REQUIRED: 429,
  PASSWORD_TOO_WEAK: 422,
  OVERLOADED: 503,
  SESSION_EXPIRED: 401,
  CSRF_REJECTED: 403,
  IDENTIFICATION_FAILED: 401,
  INVALID_LINK: 410,
  INVALID_CODE: 400,
  MAIL_UNAVAILABLE: 400,
  RECIPIENT_UNKNOWN: 400,
  QUOTA_EXCEEDED: 400,
  MESSAGE_TOO_LARGE: 400,
  MESSAGE_MALFORMED: 400,
  FOLDER_EXISTS: 409,
  FOLDER_PROTECTED: 409,
  INVALID_FOLDER_NAME: 400,
  INVALID_RECIPIENTS: 400,
  NO_RECIPIENT: 400,
  TOO_MANY_RECIPIENTS: 400,
  HEADER_INJECTION: 400,
  ATTACHMENT_TOO_LARGE: 400,
  SENDING_LIMIT: 400,
  SENDER_MISMATCH: 400,
  CONTACT_EXISTS: 409,
  VCARD_INVALID: 400,
  REAUTH_REQUIRED: 400,
  SECURITY_KEY_REFUSED: 400,
  LAST_SECOND_FACTOR: 409,
} as const satisfies Readonly<Record<ErrorCode, number>>;

/** The codes that get a page of their own (see `pageTitle`): its title, and its text when not `fr.codes`'. */
const PAGES: { readonly [C in ErrorCode]?: { readonly pageTitle: string; readonly text?: string } } = {
  // Another account's message, folder or contact is "not found" too: the same 404 page.
  NOT_FOUND: { text: fr.errors.notFound, pageTitle: fr.errors.notFoundTitle },
  RATE_LIMITED: { pageTitle: fr.errors.tooManyTitle },
  OVERLOADED: { text: fr.errors.overloaded, pageTitle: fr.errors.overloadedTitle },
};

export const ERROR_ANSWERS: Readonly<Record<ErrorCode, ErrorAnswer>> = Object.fromEntries(
  ERROR_CODES.map((code) => [code, { status: STATUSES[code], text: c[code], ...PAGES[code] }]),
) as Record<ErrorCode, ErrorAnswer>; // Object.fromEntries loses the keys' type; ERROR_CODES lists them all.

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
