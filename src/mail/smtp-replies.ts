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

/** The same reply at RCPT TO and after DATA. */
function atAnyPhase(reply: SmtpReply): Readonly<Record<SmtpPhase, SmtpReply>> {
  return { rcpt: reply, data: reply };
}

export const RECEPTION_REPLIES: Readonly<Record<ReceptionErrorCode, Readonly<Record<SmtpPhase, SmtpReply>>>> = {
  RECIPIENT_UNKNOWN: atAnyPhase({ code: 550, enhanced: "5.1.1", text: "Mailbox unknown: no such user here" }),
  // RFC 5321 §4.5.3.1.10: a full mailbox is a temporary failure at RCPT (the sender retries), and
  // the message itself is refused for good once sent (552).
  QUOTA_EXCEEDED: {
    rcpt: { code: 452, enhanced: "4.2.2", text: "Mailbox full, try again later" },
    data: { code: 552, enhanced: "5.2.2", text: "Mailbox full" },
  },
  // smtp-server refuses an oversized DATA on its own with 552 5.3.4 before this is used; the service
  // applies the same limit, so this reply is its fallback (smtp-server then writes 5.2.2).
  MESSAGE_TOO_LARGE: atAnyPhase({ code: 552, enhanced: "5.2.2", text: "Message exceeds the maximum size" }),
  MESSAGE_MALFORMED: atAnyPhase({ code: 554, enhanced: "5.6.0", text: "Message could not be read" }),
};

/** Anything else (a database error, a bug): temporary, the sender tries again later. */
export const LOCAL_ERROR_REPLY: SmtpReply = { code: 451, enhanced: "4.3.0", text: "Local error, try again later" };

/** The reply to a transaction while the server is stopping (the client retries elsewhere or later). */
export const SHUTTING_DOWN_REPLY: SmtpReply = {
  code: 421,
  enhanced: "4.4.2",
  text: "Server shutting down, try again later",
};

/**
 * RCPT TO past the address-harvesting limit (harvest-guard.ts): smtp-server closes the connection
 * after any 421. A policy refusal (4.7.0) where smtp-server would write 4.4.2, so the text carries its
 * own enhanced code: build the error with `ownCodeError`; the reception's connections send such
 * texts as they are (`ownEnhancedCodes`, smtp-data.ts).
 */
export const HARVEST_DROP_REPLY: SmtpReply = {
  code: 421,
  enhanced: "4.7.0",
  text: "Too many unknown recipients, closing connection",
};

/** A message past the size limit, as smtp-server answers it itself (`rejectOversized`). */
export const OVERSIZED_REPLY: SmtpReply = { code: 552, enhanced: "5.3.4", text: "Message exceeds the maximum size" };

/** A 0-byte message: no header at all, so not a message; refused for good. */
/** Sender checks (inbound-check.ts): refused for good, with the policy code 5.7.1. */
export const FROM_FIELD_REPLY: SmtpReply = {
  code: 550,
  enhanced: "5.7.1",
  text: "Message refused: it must have exactly one From header field",
};
export const OWN_DOMAIN_REPLY: SmtpReply = {
  code: 550,
  enhanced: "5.7.1",
  text: "Message refused: its From address is in this domain but it is not authenticated (no aligned DKIM or SPF pass)",
};
export const DMARC_REJECT_REPLY: SmtpReply = {
  code: 550,
  enhanced: "5.7.1",
  text: "Message refused: it fails the DMARC policy (p=reject) of its From domain",
};

export const EMPTY_MESSAGE_REPLY: SmtpReply = { code: 554, enhanced: "5.6.0", text: "Empty message refused" };

/** Whether `code` is one of `codes`. */
function isOneOf<C extends ErrorCode>(code: string, codes: readonly C[]): code is C {
  return (codes as readonly string[]).includes(code);
}

/** The reply to an error thrown by MailApi; `known` is false for anything that is not a reception code. */
export function replyFor(error: unknown, phase: SmtpPhase): { reply: SmtpReply; known: boolean } {
  if (isDomainError(error) && isOneOf(error.code, RECEPTION_ERROR_CODES)) {
    return { reply: RECEPTION_REPLIES[error.code][phase], known: true };
  }
  return { reply: LOCAL_ERROR_REPLY, known: false };
}

/** The error object smtp-server turns into the reply (its `responseCode` is the basic code). */
export function smtpError(reply: SmtpReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.text), { responseCode: reply.code });
}

// ------------------------------------------------------------------------------------------------
// Submission (authenticated clients, smtp-submission.ts). Unlike the reception, these replies carry
// an enhanced code that smtp-server would not derive from the basic code (550 5.7.1, 450 4.7.1…):
// the submission server writes `enhanced` itself, at the start of the text (`ownCodeError`).

/** The codes LoginService.authenticate and SendApi.sendRaw throw that have their own reply. */
export const SUBMISSION_ERROR_CODES = [
  "INVALID_CREDENTIALS",
  "THROTTLED",
  "SENDER_MISMATCH",
  "SENDING_LIMIT",
  "INVALID_RECIPIENTS",
  "NO_RECIPIENT",
  "TOO_MANY_RECIPIENTS",
  "MESSAGE_TOO_LARGE",
  "ATTACHMENT_TOO_LARGE",
  "MESSAGE_MALFORMED",
  "HEADER_INJECTION",
] as const satisfies readonly ErrorCode[];

export type SubmissionErrorCode = (typeof SUBMISSION_ERROR_CODES)[number];

export const SUBMISSION_REPLIES: Readonly<Record<SubmissionErrorCode, SmtpReply>> = {
  INVALID_CREDENTIALS: { code: 535, enhanced: "5.7.8", text: "Authentication credentials invalid" },
  // RFC 4954 §6: a temporary authentication failure; the client may try again later.
  THROTTLED: { code: 454, enhanced: "4.7.0", text: "Too many failed attempts, try again later" },
  SENDER_MISMATCH: {
    code: 550,
    enhanced: "5.7.1",
    text: "The From address must be the address of the authenticated account",
  },
  SENDING_LIMIT: { code: 450, enhanced: "4.7.1", text: "Sending limit reached, try later" },
  INVALID_RECIPIENTS: { code: 550, enhanced: "5.1.3", text: "Bad recipient address syntax" },
  NO_RECIPIENT: { code: 550, enhanced: "5.1.3", text: "No valid recipient" },
  TOO_MANY_RECIPIENTS: { code: 452, enhanced: "4.5.3", text: "Too many recipients" },
  MESSAGE_TOO_LARGE: { code: 552, enhanced: "5.3.4", text: "Message exceeds the maximum size" },
  ATTACHMENT_TOO_LARGE: { code: 552, enhanced: "5.3.4", text: "An attachment exceeds the maximum size" },
  MESSAGE_MALFORMED: { code: 554, enhanced: "5.6.0", text: "Message could not be read" },
  HEADER_INJECTION: { code: 554, enhanced: "5.6.0", text: "Message headers could not be read" },
};

/** AUTH with a right password that must still be changed (the initial NUMEN password, or an imposed one). */
export const MUST_CHANGE_PASSWORD_REPLY: SmtpReply = {
  code: 535,
  enhanced: "5.7.8",
  text: "Password change required: sign in to the webmail first and choose your own password",
};

/** MAIL FROM before AUTH (or on a connection where AUTH is not offered). */
export const AUTH_REQUIRED_REPLY: SmtpReply = {
  code: 530,
  enhanced: "5.7.0",
  text: "Authentication required (STARTTLS first, then AUTH)",
};

/** MAIL FROM with an address that is not the authenticated account's. */
export const SENDER_NOT_OWNED_REPLY: SmtpReply = {
  code: 553,
  enhanced: "5.7.1",
  text: "Sender address must be the address of the authenticated account",
};

/** The reply to an error thrown at AUTH or by SendApi.sendRaw; `known` is false for anything else (451). */
export function submissionReplyFor(error: unknown): { reply: SmtpReply; known: boolean } {
  if (isDomainError(error) && isOneOf(error.code, SUBMISSION_ERROR_CODES)) {
    return { reply: SUBMISSION_REPLIES[error.code], known: true };
  }
  return { reply: LOCAL_ERROR_REPLY, known: false };
}

/** An enhanced status code at the start of a reply text, as `ownCodeError` writes it. */
export const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;

/** Like `smtpError`, with the enhanced code written at the start of the text (the server sends it as is). */
export function ownCodeError(reply: SmtpReply): Error & { responseCode: number } {
  return Object.assign(new Error(`${reply.enhanced} ${reply.text}`), { responseCode: reply.code });
}
