/**
 * Outbound messages: the contract the other modules send through (`OutboundMailer`). Their French
 * texts are in src/i18n/messages.fr.ts, read by every layer. How a message leaves —
 * SMTP relay or local outbox — is the business of outbound.service.ts.
 *
 * Texts are plain text (no HTML): a link stands alone on its line so that every mail client makes it
 * clickable, and no message ever carries a password or a NUMEN.
 */

export interface OutboundMessage {
  /** One address. */
  to: string;
  /** One line. */
  subject: string;
  /** Plain text, `\n` line breaks. */
  text: string;
  /** optional */
  replyTo?: string;
  /**
   * A message attached whole (a reported message, for the abuse address): its bytes are carried as
   * they are (`message/rfc822` is never re-encoded: 7bit or 8bit, RFC 2046 §5.2.1).
   */
  attachment?: OutboundAttachment;
}

export interface OutboundAttachment {
  readonly filename: string;
  readonly contentType: "message/rfc822";
  readonly content: Buffer;
}

export interface OutboundMailer {
  /** Sends or stores the message; throws DomainError MAIL_UNAVAILABLE when the relay cannot take it. */
  send(message: OutboundMessage): Promise<void>;
}

/** A message kept in the local outbox (no relay configured), newest first in listings. */
export interface OutboxEntry {
  readonly id: number;
  /** ISO time. */
  readonly createdAt: string;
  /** The address, in lower case. */
  readonly recipient: string;
  readonly subject: string;
  readonly text: string;
  /**
   * The whole RFC 5322 message as it would have been relayed: its UTF-8 text, or, for the rare
   * message holding bytes that are not UTF-8 (an 8-bit attached original), one character per byte
   * (`Buffer.from(raw, "latin1")` gives them back).
   */
  readonly raw: string;
}

/** The configured values the texts use (a `Config` fits): declared with the texts. */
export type { MessageContext } from "../i18n/messages.fr.js";
