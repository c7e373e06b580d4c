/**
 * Domain errors carry a stable code and no transport status. The web layer maps codes to an
 * HTTP status and a French message in one table (src/web/errors.ts), the SMTP side to its replies
 * (src/mail/smtp-replies.ts); the CLI prints the English message. `DomainErrorDetails` says what
 * each code carries, so that `new DomainError(code, message, details)` is checked and readers get
 * typed details; a code without an entry there (or in the web's table) does not compile.
 */
export const ERROR_CODES = [
  "VALIDATION_FAILED",
  "INVALID_NUMEN",
  "INVALID_UAI",
  "INVALID_DATE",
  "INVALID_NAME",
  "INVALID_EMAIL",
  "NOT_FOUND",
  "CONFLICT",
  "CSV_INVALID",
  "FILE_UNREADABLE",
  "IMPORT_TOO_MANY_REJECTED",
  "INVALID_CREDENTIALS",
  "THROTTLED",
  "RATE_LIMITED",
  "CHALLENGE_REQUIRED",
  "PASSWORD_TOO_WEAK",
  "OVERLOADED",
  "SESSION_EXPIRED",
  "CSRF_REJECTED",
  "IDENTIFICATION_FAILED",
  "INVALID_LINK",
  "INVALID_CODE",
  "MAIL_UNAVAILABLE",
  "RECIPIENT_UNKNOWN",
  "QUOTA_EXCEEDED",
  "MESSAGE_TOO_LARGE",
  "MESSAGE_MALFORMED",
  "FOLDER_EXISTS",
  "FOLDER_PROTECTED",
  "INVALID_FOLDER_NAME",
  "INVALID_RECIPIENTS",
  "NO_RECIPIENT",
  "TOO_MANY_RECIPIENTS",
  "HEADER_INJECTION",
  "ATTACHMENT_TOO_LARGE",
  "SENDING_LIMIT",
  "SENDER_MISMATCH",
  "CONTACT_EXISTS",
  "VCARD_INVALID",
  "REAUTH_REQUIRED",
  "SECURITY_KEY_REFUSED",
  "LAST_SECOND_FACTOR",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Every rule a refused password breaks (PASSWORD_TOO_WEAK's `rules`), in the stable order the
 * policy reports them (identity/password-policy.ts checks them; the web words them).
 */
export const PASSWORD_RULES = [
  "TOO_SHORT",
  "TOO_LONG",
  "CONTAINS_USERNAME",
  "CONTAINS_NAME",
  "CONTAINS_NUMEN",
  "CONTAINS_BIRTH_DATE",
  "COMMON_PASSWORD",
  "TOO_GUESSABLE",
  "SAME_AS_CURRENT",
  "CONFIRMATION_MISMATCH",
] as const;

export type PasswordRule = (typeof PASSWORD_RULES)[number];

/** Why a value was refused (VALIDATION_FAILED's `reason`), for the doors to word it. */
export type ValidationReason =
  | "too_long"
  | "before_start"
  | "required"
  | "own_address"
  | "outside_without_copy"
  | "empty";

/** A field's problem in a form checked field by field (VALIDATION_FAILED's `fields`: NUMEN form, recovery address). */
export type FieldProblem = "missing" | "format" | "impossible" | "out_of_range" | "unknown" | "inside_domain";

/** The name of the service's input field an error is about (`to`, `subject`, `forwardAddress`…). */
type About = { readonly field?: string };

/** No details. */
type None = { readonly [key: string]: never };

type Check<T extends { readonly [C in ErrorCode]: object }> = T;

/** What each code carries besides its English message (all JSON-like, but for dates). */
export type DomainErrorDetails = Check<{
  VALIDATION_FAILED: About & {
    readonly reason?: ValidationReason;
    /** With `too_long`: the most characters allowed. */
    readonly max?: number;
    readonly filename?: string;
    /** Several fields at once, each with its problem. */
    readonly fields?: Readonly<Record<string, FieldProblem>>;
  };
  INVALID_NUMEN: None;
  INVALID_UAI: { readonly line?: number };
  INVALID_DATE: About;
  INVALID_NAME: None;
  INVALID_EMAIL: About & { readonly reason?: "inside_domain" };
  NOT_FOUND: None;
  CONFLICT: None;
  CSV_INVALID: None;
  FILE_UNREADABLE: None;
  IMPORT_TOO_MANY_REJECTED: None;
  INVALID_CREDENTIALS: About;
  /** `retryAt` when the wait has an end (a throttled account or NUMEN; not an address refused outright). */
  THROTTLED: { readonly retryAt?: Date };
  RATE_LIMITED: { readonly retryAt: Date; readonly retryAfterMs: number };
  CHALLENGE_REQUIRED: None;
  PASSWORD_TOO_WEAK: { readonly rules: readonly PasswordRule[] };
  OVERLOADED: None;
  SESSION_EXPIRED: None;
  CSRF_REJECTED: None;
  IDENTIFICATION_FAILED: None;
  INVALID_LINK: None;
  /** `attemptsLeft` after a wrong code; `expired` when no code is live. */
  INVALID_CODE: { readonly attemptsLeft?: number; readonly expired?: true };
  MAIL_UNAVAILABLE: { readonly cause?: string; readonly responseCode?: number };
  RECIPIENT_UNKNOWN: About;
  QUOTA_EXCEEDED: { readonly address?: string; readonly accountId?: number };
  MESSAGE_TOO_LARGE: About & { readonly maxBytes?: number };
  MESSAGE_MALFORMED: None;
  FOLDER_EXISTS: None;
  FOLDER_PROTECTED: None;
  INVALID_FOLDER_NAME: None;
  INVALID_RECIPIENTS: About & {
    /** The addresses refused, as typed. */
    readonly invalid?: readonly string[];
    readonly reason?: "mailbox_full" | "unknown";
  };
  NO_RECIPIENT: About;
  TOO_MANY_RECIPIENTS: About & { readonly max?: number };
  HEADER_INJECTION: About;
  ATTACHMENT_TOO_LARGE: About & { readonly filename?: string; readonly maxBytes?: number };
  SENDING_LIMIT: { readonly retryAt: Date; readonly limit?: number };
  SENDER_MISMATCH: None;
  CONTACT_EXISTS: About;
  VCARD_INVALID: About;
  REAUTH_REQUIRED: About;
  /** A WebAuthn response refused (no live challenge, wrong origin or signature, a counter gone back). */
  SECURITY_KEY_REFUSED: None;
  /** Removing this security key would leave the console account without a second factor. */
  LAST_SECOND_FACTOR: None;
}>;

type Details = DomainErrorDetails[ErrorCode];
/** The named keys of each member (not the index signature of `None`). */
type KeyOf<T> = T extends unknown ? (string extends keyof T ? never : keyof T) : never;
type ValueOf<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;

/** Every detail some code carries, each optional: what a reader of any domain error may look for. */
export type KnownDetails = { readonly [K in KeyOf<Details>]?: ValueOf<Details, K> };

/** The details argument: optional when every detail of the code is. */
type DetailsArgument<C extends ErrorCode> =
  Record<string, never> extends DomainErrorDetails[C]
    ? [details?: DomainErrorDetails[C]]
    : [details: DomainErrorDetails[C]];

export class DomainError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = "DomainError";
  /** The code's details (typed by `DomainErrorDetails`); any other known detail reads as undefined. */
  readonly details: DomainErrorDetails[C] & KnownDetails;
  constructor(
    readonly code: C,
    /** English, for operators and logs; users see the French text of web/errors.ts. */
    message: string,
    ...[details]: DetailsArgument<C>
  ) {
    super(message);
    this.details = (details ?? {}) as DomainErrorDetails[C] & KnownDetails;
  }
}

/** A domain error of any code, narrowed by its `code` (a `switch` on it types its details). */
export type AnyDomainError = { [C in ErrorCode]: DomainError<C> }[ErrorCode];

export function isDomainError(error: unknown): error is AnyDomainError;
export function isDomainError<C extends ErrorCode>(
  error: unknown,
  code: C,
): error is DomainError<[C] extends [never] ? ErrorCode : C>;
export function isDomainError(error: unknown, code?: ErrorCode): boolean {
  return error instanceof DomainError && (code === undefined || error.code === code);
}
