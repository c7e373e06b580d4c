/**
 * Domain errors carry a stable code and no transport status. The web layer maps codes to an
 * HTTP status and a French message (src/web/errors.ts); the CLI maps them to an English line and
 * an exit code. A test checks that every code has a mapping.
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
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly code: ErrorCode,
    /** English, for operators and logs; users see the French text of web/i18n. */
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export function isDomainError(error: unknown, code?: ErrorCode): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}
