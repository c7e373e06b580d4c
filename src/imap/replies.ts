/**
 * The IMAP door's one table from domain error to tagged response (RFC 9051 §7.1, response codes of
 * RFC 5530): every code a service can throw to a session, with its status, code and text. Texts are
 * English (protocol, read by operators and logs) except the [ALERT] ones a client shows its user.
 */
import { IMAP_MUST_CHANGE_PASSWORD, IMAP_OVER_QUOTA, IMAP_THROTTLED } from "../i18n/imap.fr.js";
import { DomainError, type ErrorCode } from "../shared/errors.js";

export interface ImapReply {
  readonly status: "NO" | "BAD";
  /** The response code without brackets (`AUTHENTICATIONFAILED`), or null. */
  readonly code: string | null;
  readonly text: string;
}

const REPLIES: Partial<Record<ErrorCode, ImapReply>> = {
  INVALID_CREDENTIALS: { status: "NO", code: "AUTHENTICATIONFAILED", text: "Invalid credentials" },
  THROTTLED: { status: "NO", code: "ALERT", text: IMAP_THROTTLED },
  CHALLENGE_REQUIRED: { status: "NO", code: "ALERT", text: IMAP_THROTTLED },
  RATE_LIMITED: { status: "NO", code: "LIMIT", text: "Too many requests, try again later" },
  OVERLOADED: { status: "NO", code: "UNAVAILABLE", text: "Server busy, try again later" },
  NOT_FOUND: { status: "NO", code: "NONEXISTENT", text: "No such mailbox or message" },
  FOLDER_EXISTS: { status: "NO", code: "ALREADYEXISTS", text: "Mailbox already exists" },
  FOLDER_PROTECTED: { status: "NO", code: "CANNOT", text: "Special mailboxes cannot be renamed or deleted" },
  INVALID_FOLDER_NAME: {
    status: "NO",
    code: "CANNOT",
    text: "Invalid mailbox name (1 to 100 characters, no control characters)",
  },
  QUOTA_EXCEEDED: { status: "NO", code: "OVERQUOTA", text: IMAP_OVER_QUOTA },
  MESSAGE_TOO_LARGE: { status: "NO", code: "TOOBIG", text: "Message too large" },
  MESSAGE_MALFORMED: { status: "NO", code: "PARSE", text: "The message could not be parsed" },
  VALIDATION_FAILED: { status: "BAD", code: null, text: "Invalid arguments" },
  MAIL_UNAVAILABLE: { status: "NO", code: "UNAVAILABLE", text: "Mailbox unavailable" },
};

/** An account on its initial password: told in French to sign in to the webmail first. */
export const MUST_CHANGE_PASSWORD: ImapReply = { status: "NO", code: "ALERT", text: IMAP_MUST_CHANGE_PASSWORD };

/** The reply for an error thrown by a service, or null for an unexpected error (a bug: logged, `NO [SERVERBUG]`). */
export function replyFor(error: unknown): ImapReply | null {
  if (!(error instanceof DomainError)) return null;
  const code: ErrorCode = (error as DomainError).code;
  return REPLIES[code] ?? { status: "NO", code: null, text: "Operation failed" };
}

export const SERVER_BUG: ImapReply = { status: "NO", code: "SERVERBUG", text: "Internal error, try again later" };
