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
  /** The whole RFC 5322 message as it would have been relayed. */
  readonly raw: string;
}

/** The configured values the texts use (a `Config` fits): declared with the texts. */
export type { MessageContext } from "../i18n/messages.fr.js";
