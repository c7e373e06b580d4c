/**
 * The SMTP replies of the reception: one per domain error code MailApi throws, by phase of the
 * transaction. smtp-server writes the enhanced status code (RFC 3463) itself from the basic code
 * (550 → 5.1.1, 452 → 4.2.2, 552 → 5.2.2, 554 → 5.6.0, 451 → 4.3.0, and 421 → 4.4.2); `enhanced`
 * records what the client reads, and the integration tests check it on the wire. A message over the
 * size limit is refused by smtp-server itself (its `rejectOversized` option) with 552 5.3.4.
 */
import { type ErrorCode, isDomainError } from "../shared/errors.js";

/** When a reply is sent: at RCPT TO (a recipient) or after DATA (the whole message). */
export type SmtpPhase = "rcpt" | "data";

export interface SmtpReply {
  readonly code: number;
  /** The enhanced status code smtp-server puts before the text for this basic code. */
  readonly enhanced: string;
  readonly text: string;
}

/** The codes MailApi's reception methods (checkRecipient, deliver) throw. */
export const RECEPTION_ERROR_CODES = [
  "RECIPIENT_UNKNOWN",
  "QUOTA_EXCEEDED",
  "MESSAGE_TOO_LARGE",
  "MESSAGE_MALFORMED",
] as const satisfies readonly ErrorCode[];

export type ReceptionErrorCode = (typeof RECEPTION_ERROR_CODES)[number];

export const RECEPTION_REPLIES: Readonly<Record<ReceptionErrorCode, Readonly<Record<SmtpPhase, SmtpReply>>>> = {
  RECIPIENT_UNKNOWN: {
    rcpt: { code: 550, enhanced: "5.1.1", text: "Mailbox unknown: no such user here" },
    data: { code: 550, enhanced: "5.1.1", text: "Mailbox unknown: no such user here" },
  },
  // RFC 5321 §4.5.3.1.10: a full mailbox is a temporary failure at RCPT (the sender retries), and
  // the message itself is refused for good once sent (552).
  QUOTA_EXCEEDED: {
    rcpt: { code: 452, enhanced: "4.2.2", text: "Mailbox full, try again later" },
    data: { code: 552, enhanced: "5.2.2", text: "Mailbox full" },
  },
  // smtp-server refuses an oversized DATA on its own with 552 5.3.4 before this is used; the service
  // applies the same limit, so this reply is its fallback (smtp-server then writes 5.2.2).
  MESSAGE_TOO_LARGE: {
    rcpt: { code: 552, enhanced: "5.2.2", text: "Message exceeds the maximum size" },
    data: { code: 552, enhanced: "5.2.2", text: "Message exceeds the maximum size" },
  },
  MESSAGE_MALFORMED: {
    rcpt: { code: 554, enhanced: "5.6.0", text: "Message could not be read" },
    data: { code: 554, enhanced: "5.6.0", text: "Message could not be read" },
  },
};

/** Anything else (a database error, a bug): temporary, the sender tries again later. */
export const LOCAL_ERROR_REPLY: SmtpReply = { code: 451, enhanced: "4.3.0", text: "Local error, try again later" };

/** The reply to a transaction while the server is stopping (the client retries elsewhere or later). */
export const SHUTTING_DOWN_REPLY: SmtpReply = {
  code: 421,
  enhanced: "4.4.2",
  text: "Server shutting down, try again later",
};

/** A message past the size limit, as smtp-server answers it itself (`rejectOversized`). */
export const OVERSIZED_REPLY: SmtpReply = { code: 552, enhanced: "5.3.4", text: "Message exceeds the maximum size" };

/** A 0-byte message: no header at all, so not a message; refused for good. */
export const EMPTY_MESSAGE_REPLY: SmtpReply = { code: 554, enhanced: "5.6.0", text: "Empty message refused" };

function isReceptionCode(code: string): code is ReceptionErrorCode {
  return (RECEPTION_ERROR_CODES as readonly string[]).includes(code);
}

/** The reply to an error thrown by MailApi; `known` is false for anything that is not a reception code. */
export function replyFor(error: unknown, phase: SmtpPhase): { reply: SmtpReply; known: boolean } {
  if (isDomainError(error) && isReceptionCode(error.code)) {
    return { reply: RECEPTION_REPLIES[error.code][phase], known: true };
  }
  return { reply: LOCAL_ERROR_REPLY, known: false };
}

/** The error object smtp-server turns into the reply (its `responseCode` is the basic code). */
export function smtpError(reply: SmtpReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.text), { responseCode: reply.code });
}
