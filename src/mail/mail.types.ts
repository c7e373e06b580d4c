import type { Transaction } from "kysely";
import type { Schema } from "../storage/schema.js";

/**
 * The mail store as the rest of the application sees it: domain objects, never rows. The web
 * routes, the SMTP reception and the demo talk to `MailService` (mail.service.ts) in these terms.
 */

/** The five folders every account has; the user's own folders have no role. */
export type FolderRole = "inbox" | "drafts" | "sent" | "junk" | "trash";

export const FOLDER_ROLES: readonly FolderRole[] = ["inbox", "drafts", "sent", "junk", "trash"];

export interface Folder {
  readonly id: number;
  readonly name: string;
  /** The special folders' role; null for the user's own folders. */
  readonly role: FolderRole | null;
  readonly parentId: number | null;
  /** Depth in the tree (0 at the top), for indentation. */
  readonly depth: number;
  readonly total: number;
  readonly unread: number;
  readonly sizeBytes: number;
}

export interface Flags {
  readonly seen: boolean;
  readonly answered: boolean;
  readonly flagged: boolean;
  readonly draft: boolean;
}

export interface Mailbox {
  readonly name: string;
  readonly address: string;
}

/** A mail domain as the interface shows it (sender-display.ts). */
export interface DomainDisplay {
  /** As a person reads it: Unicode, lower case (as IDNA maps it). */
  readonly unicode: string;
  /** The ASCII (punycode) form; the same as `unicode` for an ASCII domain. */
  readonly ascii: string;
  /** Its characters mix scripts (UTS #39): `ascii` is shown beside `unicode`. */
  readonly mixedScripts: boolean;
}

/** A sender (or a Reply-To mailbox) as the interface shows it (sender-display.ts). */
export interface SenderDisplay {
  /** The display name; "" when there is none or it only repeats the address. */
  readonly name: string;
  /** The address, its domain in Unicode form. */
  readonly address: string;
  /** The address, its domain in ASCII (punycode) form. */
  readonly asciiAddress: string;
  /** null for an address without a domain. */
  readonly domain: DomainDisplay | null;
  /** The address belongs to one of the académie's domains (SESAME_MAIL_DOMAIN, SESAME_INTERNAL_DOMAINS). */
  readonly internal: boolean;
  /** The display name holds an address other than the sender's own (`"dsi@ac-lyon.fr" <x@evil.example>`). */
  readonly nameHasAddress: boolean;
  /** A list shows the address's domain beside the name (outside the académie, or a name holding an address). */
  readonly showDomain: boolean;
}

/** One line of a message list. */
export interface MessageSummary {
  readonly id: number;
  readonly folderId: number;
  readonly from: Mailbox | null;
  /** `from` as the interface shows it. */
  readonly sender: SenderDisplay | null;
  /** Display text of the To recipients (for the Envoyés and Brouillons lists). */
  readonly to: string;
  readonly subject: string;
  /** The Date header (or the arrival time when it is missing or absurd). */
  readonly date: Date;
  readonly receivedAt: Date;
  readonly sizeBytes: number;
  readonly hasAttachments: boolean;
  readonly preview: string;
  readonly flags: Flags;
  /** What the reception found about the sender, most serious first (none for local mail). */
  readonly warnings: readonly SenderWarning[];
  /** The protected domain a look-alike sender imitates. */
  readonly imitates: string | null;
}

/**
 * What the reception found about a message's sender (sender-warnings.ts decides), in the order the
 * reader sees them: most serious first.
 */
export const SENDER_WARNINGS = ["lookalike", "unverified", "impersonation", "outside", "credentials"] as const;
export type SenderWarning = (typeof SENDER_WARNINGS)[number];

export interface MessagePage {
  readonly items: readonly MessageSummary[];
  /** Keyset cursor of the next (older) page, when there is one. */
  readonly nextCursor: number | null;
}

/**
 * A folder's conversation in the list grouped by conversation: its newest message in the folder,
 * with how many of the conversation's messages are in that folder and how many of those are unread.
 */
export interface ConversationSummary extends MessageSummary {
  readonly threadCount: number;
  readonly threadUnread: number;
}

export interface ConversationPage {
  readonly items: readonly ConversationSummary[];
  /** Keyset cursor of the next (older) page: the last item's id, when there is a next page. */
  readonly nextCursor: number | null;
}

export interface Attachment {
  /** Position among the message's attachments (stable: parsing is deterministic). */
  readonly index: number;
  /** A safe file name: no path, no control or bidirectional characters, never empty. */
  readonly filename: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  /** Shown inside the HTML body (cid:) rather than listed. */
  readonly inline: boolean;
}

/** One message opened for reading. */
export interface MessageView extends MessageSummary {
  readonly to: string;
  readonly toList: readonly Mailbox[];
  readonly ccList: readonly Mailbox[];
  readonly replyTo: readonly Mailbox[];
  /** The Reply-To mailboxes when answers would not go to the sender (empty otherwise). */
  readonly repliesGoTo: readonly SenderDisplay[];
  readonly messageId: string | null;
  readonly text: string | null;
  /** True when the message has an HTML body (shown through the sandboxed frame). */
  readonly hasHtml: boolean;
  /** The HTML body refers to remote images or other remote content, held back until asked for. */
  readonly remoteContentBlocked: boolean;
  readonly attachments: readonly Attachment[];
  /** Other messages of the same conversation in this account (oldest first), this one excluded. */
  readonly thread: readonly MessageSummary[];
}

/** The sanitized HTML body of a message, ready for the sandboxed frame. */
export interface SafeHtmlBody {
  readonly html: string;
  /** Whether remote images or other remote content were held back. */
  readonly blockedRemoteContent: boolean;
  /** Its links go through the interstitial page (a flagged message, `guardLink` given). */
  readonly guardedLinks?: true;
}

/** A message's links, for the « Vous allez quitter la messagerie » page. */
export interface MessageLinks {
  /** Its sender warrants care: its links go through that page. */
  readonly flagged: boolean;
  /** Every http(s) link of its text and HTML bodies, in WHATWG URL serialization. */
  readonly urls: ReadonlySet<string>;
}

export interface AttachmentContent {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer;
}

export interface SearchQuery {
  /** Free text: every word must appear in the sender, recipients, subject or body (accents folded). */
  readonly text?: string;
  readonly from?: string;
  readonly to?: string;
  readonly subject?: string;
  /** Inclusive, on the message date. */
  readonly since?: Date;
  /** Exclusive end (the day after the last day asked for). */
  readonly until?: Date;
  readonly hasAttachment?: boolean;
  /** One folder; every folder when absent. */
  readonly folderId?: number;
}

/** What every page of the mailbox shows around its content. */
export interface MailboxOverview {
  readonly owner: Mailbox;
  readonly folders: readonly Folder[];
  readonly quota: Quota;
}

export interface Quota {
  readonly usedBytes: number;
  readonly limitBytes: number;
}

/** A local recipient accepted for delivery. */
export interface Recipient {
  readonly accountId: number;
  readonly address: string;
}

export interface DeliveryResult {
  /** The stored messages' ids, one per recipient whose inbox keeps the message. */
  readonly messageIds: readonly number[];
  /** Taken into the reception's intake (intake.ts) to be stored just after: its row. */
  readonly queuedAs?: number;
}

/** What the client that delivers a message said about it (kept for the audit trail and logs). */
export interface DeliveryMeta {
  /** The envelope sender; "" (or null) for a bounce (null reverse-path), undefined when unknown. */
  readonly envelopeFrom?: string | null;
  readonly remoteIp?: string;
  /**
   * false: the recipients' settings (forwarding, away message) are not applied — for the messages
   * the system writes itself about a delivery (bounces of the outbound queue).
   */
  readonly rules?: boolean;
  /**
   * Mail from outside (the SMTP reception): whether its sender was verified (null: not checked,
   * a trusted relay) and where it goes (Indésirables for a failed DMARC quarantine policy, or spam). The
   * sender's warnings are worked out and kept with each copy; mail in Indésirables is not forwarded
   * nor answered by an away message. `spamScore`: spamd's score (spam-check.ts), kept with each
   * copy; null or absent when it was not scored.
   */
  readonly inbound?: {
    readonly verified: boolean | null;
    readonly placement: "inbox" | "junk";
    readonly spamScore?: number | null;
  };
}

/**
 * What the recipients' settings (settings.service.ts) make of a local delivery. Decided before
 * the delivery's transaction and written in it, so that a message forwarded without a copy is
 * either forwarded and absent from the inbox, or (on any failure) kept in the inbox.
 */
export interface DeliveryPlan {
  /** Accounts whose inbox does not keep the message (forwarded without a copy). */
  readonly skipInbox: ReadonlySet<number>;
  /** Forwarded copies for local accounts, each its own message (Resent-* fields). */
  readonly localCopies: readonly { readonly recipient: Recipient; readonly raw: Buffer }[];
  /** Runs inside the delivery's transaction (the outbound queue's rows of external forwards). */
  readonly within: ((trx: Transaction<Schema>) => Promise<void>) | null;
  /** After the commit (wakes the outbound queue). */
  readonly committed: () => void;
}

export interface DeliveryRules {
  /** The plan of a delivery; never throws (a failure gives a plan that changes nothing). */
  plan(raw: Buffer, recipients: readonly Recipient[], meta: DeliveryMeta): Promise<DeliveryPlan | null>;
  /** After the commit: the away messages; never throws (failures are logged). */
  delivered(raw: Buffer, recipients: readonly Recipient[], meta: DeliveryMeta): Promise<void>;
  /** Logs a delivery that failed with its plan and is retried without it. */
  failed(error: unknown, recipients: readonly Recipient[]): void;
}

/**
 * The mail service (mail.service.ts). Every method taking an `accountId` only ever sees that
 * account's folders and messages: another account's id gives NOT_FOUND, as an unknown one does.
 *
 * Errors (DomainError codes): RECIPIENT_UNKNOWN, QUOTA_EXCEEDED, MESSAGE_TOO_LARGE,
 * MESSAGE_MALFORMED (reception); NOT_FOUND, FOLDER_EXISTS, FOLDER_PROTECTED, INVALID_FOLDER_NAME
 * (folders); VALIDATION_FAILED (a search or a list of ids that makes no sense).
 */
export interface MailApi {
  /** Largest message accepted, in bytes (SESAME_MAIL_MAX_SIZE_MB). */
  readonly maxMessageBytes: number;

  // Reception
  /** An active account of the mail domain with room left, else RECIPIENT_UNKNOWN / QUOTA_EXCEEDED. */
  checkRecipient(address: string, sizeHint?: number): Promise<Recipient>;
  /**
   * Parses (bounded in time) and stores the message in the inbox of every recipient, in one
   * transaction: all or none. Resolves only once the message is durable.
   */
  deliver(raw: Buffer, recipients: readonly Recipient[], meta?: DeliveryMeta): Promise<DeliveryResult>;

  /** The owner's name and address, the folders with their counts, the quota. */
  overview(accountId: number): Promise<MailboxOverview>;

  // Folders
  /** Every folder of the account in tree order (special folders first), with counts. */
  folders(accountId: number): Promise<Folder[]>;
  folderByRole(accountId: number, role: FolderRole): Promise<Folder>;
  createFolder(accountId: number, name: string, parentId: number | null): Promise<Folder>;
  renameFolder(accountId: number, folderId: number, name: string): Promise<void>;
  /** Deletes a user folder and its subfolders; their messages go to Corbeille. */
  deleteFolder(accountId: number, folderId: number): Promise<void>;

  // Lists and reading
  /** Newest first, `limit` (default 50) per page, `cursor` from the previous page. */
  list(accountId: number, folderId: number, cursor: number | null, limit?: number): Promise<MessagePage>;
  /**
   * One line per conversation with a message in the folder (its newest there, with the counts),
   * by that message's id, newest first; `cursor` from the previous page.
   */
  listConversations(
    accountId: number,
    folderId: number,
    cursor: number | null,
    limit?: number,
  ): Promise<ConversationPage>;
  /** Opens a message (marking it seen unless `markSeen` is false). */
  open(accountId: number, messageId: number, options?: { markSeen?: boolean }): Promise<MessageView>;
  /**
   * The sanitized HTML body (NOT_FOUND when the message has none). `guardLink`: where the http(s)
   * links of a flagged message (deceptive-links.ts `isFlagged`) go instead, given their own URL.
   */
  htmlBody(
    accountId: number,
    messageId: number,
    options: { allowRemote: boolean; guardLink?: (href: string) => string },
  ): Promise<SafeHtmlBody>;
  /** The http(s) links of the message's text and HTML bodies, and whether it is flagged. */
  links(accountId: number, messageId: number): Promise<MessageLinks>;
  attachment(accountId: number, messageId: number, index: number): Promise<AttachmentContent>;
  /** The message exactly as received. */
  raw(accountId: number, messageId: number): Promise<Buffer>;

  // Actions on several messages (ids of other accounts are ignored); each returns how many changed.
  setFlags(accountId: number, ids: readonly number[], flags: { seen?: boolean; flagged?: boolean }): Promise<number>;
  move(accountId: number, ids: readonly number[], folderId: number): Promise<number>;
  /** To Corbeille; for good when already there. */
  remove(accountId: number, ids: readonly number[]): Promise<number>;
  /** "Vider la corbeille". */
  emptyTrash(accountId: number): Promise<number>;

  search(accountId: number, query: SearchQuery, cursor: number | null, limit?: number): Promise<MessagePage>;
  quota(accountId: number): Promise<Quota>;
}
