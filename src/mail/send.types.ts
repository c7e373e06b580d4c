/**
 * Writing and sending mail as the rest of the application sees it. The web compose
 * pages and the SMTP submission server talk to `SendService` (send.service.ts) in these terms.
 */

/** A recipient as typed: `Jean Dupont <jean.dupont@ac-lyon.fr>` or a bare address. */
export interface Address {
  readonly name: string;
  readonly address: string;
}

export interface OutgoingAttachment {
  /** Already made safe by the caller is NOT assumed: the service cleans it again. */
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer;
}

/** What a person writes in the compose page. */
export interface OutgoingMessage {
  /** Raw text of the fields as typed (comma- or semicolon-separated lists). */
  readonly to: string;
  readonly cc: string;
  readonly bcc: string;
  readonly subject: string;
  /** Plain text body (the signature already appended by the caller if wanted). */
  readonly text: string;
  /** Optional rich-text body, sanitized by the service like incoming mail. */
  readonly html?: string;
  readonly attachments: readonly OutgoingAttachment[];
  /** The message this one answers (reply, reply all): sets In-Reply-To and References. */
  readonly inReplyTo?: number;
  /** The message forwarded as an attachment (message/rfc822). */
  readonly forwardAttached?: number;
  /** The draft this message was written from: removed from Brouillons once sent. */
  readonly draftId?: number;
}

export interface SendResult {
  /** The Message-ID given to the message (on the mail domain). */
  readonly messageId: string;
  /** The copy kept in Envoyés. */
  readonly sentCopyId: number;
  /** Local recipients who got it in their mailbox. */
  readonly delivered: readonly string[];
  /** External recipients whose copy waits in the outbound queue (no relay, or relay not yet reached). */
  readonly queued: readonly string[];
}

/**
 * DomainError codes: INVALID_RECIPIENTS (details.field: "to" | "cc" | "bcc", details.invalid:
 * the entries that do not parse), NO_RECIPIENT, TOO_MANY_RECIPIENTS, HEADER_INJECTION (details.field),
 * ATTACHMENT_TOO_LARGE, MESSAGE_TOO_LARGE, SENDING_LIMIT (details.retryAt: Date), NOT_FOUND.
 */
export interface SendApi {
  /** Builds, checks and sends a message written in the webmail; nothing is sent when any check fails. */
  send(accountId: number, message: OutgoingMessage, meta: { ip: string; userAgent: string }): Promise<SendResult>;
  /**
   * The rich text of a form given back to its editor (after an error, or from a resumed draft's HTML
   * part): only the formatting the editor makes survives.
   */
  editableHtml(html: string): string;
  /** Saves (or replaces) a draft in Brouillons; returns the draft's message id. */
  saveDraft(accountId: number, message: OutgoingMessage, replaces?: number): Promise<number>;
  /**
   * A message already built by a desktop or phone client (SMTP submission): the envelope sender and
   * the From header must be the account's address (else SENDER_MISMATCH); sent like `send`.
   */
  sendRaw(
    accountId: number,
    raw: Buffer,
    envelope: { from: string; to: readonly string[] },
    meta: { ip: string },
  ): Promise<SendResult>;
}
