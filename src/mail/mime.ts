/**
 * Reading MIME with mailparser, bounded: what the store keeps of a message (envelope-level
 * headers, a preview, the text to index) and what the reading view shows (bodies, attachments).
 * Parsing is given a time limit; a message it cannot read in time, or at all, is MESSAGE_MALFORMED.
 */
import { type AddressObject, type Attachment as ParsedAttachment, type ParsedMail, simpleParser } from "mailparser";
import { DomainError } from "../shared/errors.js";
import type { Attachment, Mailbox } from "./mail.types.js";

/** A message that takes longer than this to parse is refused (or shown without its body). */
export const PARSE_TIME_LIMIT_MS = 5_000;
/** HTML longer than this is not converted to text (for the preview and the index only). */
const MAX_HTML_TO_TEXT = 1_000_000;
/** Text indexed for search, per message. */
const MAX_INDEXED_TEXT = 64 * 1024;
const PREVIEW_LENGTH = 160;
const MAX_HEADER_TEXT = 998;

export interface StoredHeaders {
  readonly messageId: string | null;
  readonly inReplyTo: string | null;
  readonly references: readonly string[];
  readonly from: Mailbox | null;
  readonly toText: string;
  readonly recipientsText: string;
  readonly subject: string;
  readonly date: Date | null;
  readonly hasAttachments: boolean;
  readonly preview: string;
  /** Body text (and attachment names) for the full-text index. */
  readonly indexText: string;
}

export interface ParsedMessage {
  readonly toList: readonly Mailbox[];
  readonly ccList: readonly Mailbox[];
  readonly replyTo: readonly Mailbox[];
  readonly text: string | null;
  /** The HTML body with cid: images already turned into data: URLs, or null. */
  readonly html: string | null;
  readonly attachments: readonly (Attachment & { readonly content: Buffer })[];
}

async function parseWithin(raw: Buffer, limitMs: number): Promise<ParsedMail> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DomainError("MESSAGE_MALFORMED", `the message could not be parsed within ${limitMs} ms`)),
      limitMs,
    );
  });
  try {
    return await Promise.race([
      simpleParser(raw, {
        skipTextToHtml: true,
        skipTextLinks: true,
        maxHtmlLengthToParse: MAX_HTML_TO_TEXT,
        checksumAlgo: false,
      }),
      timeout,
    ]);
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError("MESSAGE_MALFORMED", `the message cannot be parsed: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Control characters (but tab), bidirectional overrides and isolates, zero-width marks. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const UNSAFE_CHARS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** One line of header text, safe to show: no control or bidi characters, bounded. */
export function cleanHeaderText(value: string, max = MAX_HEADER_TEXT): string {
  // A line break is a space between words (a preview must not read "Bonjour,M. Leroux").
  return value
    .replace(/[\r\n]+/g, " ")
    .replace(UNSAFE_CHARS, "")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, max);
}

/**
 * A file name safe to offer for download: the last path component only, no control or bidi
 * characters, no leading dots, bounded, never empty.
 */
export function safeFilename(name: string | undefined, index: number, contentType: string): string {
  const base = (name ?? "").split(/[/\\]/).pop() ?? "";
  let cleaned = base
    .replace(UNSAFE_CHARS, "")
    .replace(/[<>:"|?*]/g, "_")
    .replace(/^[.\s]+/, "")
    .trim();
  if (cleaned.length > 150) {
    const dot = cleaned.lastIndexOf(".");
    const ext = dot > 0 && cleaned.length - dot <= 10 ? cleaned.slice(dot) : "";
    cleaned = cleaned.slice(0, 150 - ext.length) + ext;
  }
  if (cleaned !== "") return cleaned;
  const ext = contentType.startsWith("image/") ? `.${contentType.slice(6).replace(/[^a-z0-9]/g, "")}` : "";
  return `piece-jointe-${index + 1}${ext}`;
}

function mailboxes(value: AddressObject | AddressObject[] | undefined): Mailbox[] {
  if (!value) return [];
  const out: Mailbox[] = [];
  const walk = (entries: AddressObject["value"]) => {
    for (const entry of entries) {
      if (entry.group) walk(entry.group);
      else if (entry.address || entry.name) {
        out.push({ name: cleanHeaderText(entry.name ?? "", 200), address: cleanHeaderText(entry.address ?? "", 320) });
      }
      if (out.length >= 1000) return;
    }
  };
  for (const object of Array.isArray(value) ? value : [value]) walk(object.value);
  return out;
}

function mailboxText(list: readonly Mailbox[]): string {
  return list
    .map((m) => (m.name ? `${m.name} <${m.address}>` : m.address))
    .join(", ")
    .slice(0, 2000);
}

function messageIds(value: string | string[] | undefined): string[] {
  const all = (Array.isArray(value) ? value : value ? [value] : []).join(" ");
  return (all.match(/<[^<>\s]{1,500}>/g) ?? []).slice(-50);
}

/** A real attachment, as opposed to an image shown inside the HTML body. */
function isListed(a: ParsedAttachment): boolean {
  return !(a.related && a.cid && a.contentDisposition !== "attachment");
}

/**
 * The list's preview of a body: its first PREVIEW_LENGTH characters without the quoted lines, as one
 * line of header text. Neither removing quoted lines nor cleaning ever lengthens a text, and a line
 * is quoted by its first character, so a preview of a prefix that is already full is the preview of
 * the whole: a long body is read a window at a time, not cleaned in full for 160 characters.
 */
export function previewOf(text: string): string {
  for (let window = PREVIEW_LENGTH * 8; ; window *= 8) {
    const part = window < text.length ? text.slice(0, window) : text;
    const preview = cleanHeaderText(part.replace(/^>.*$/gm, ""), PREVIEW_LENGTH);
    if (part === text || preview.length >= PREVIEW_LENGTH) return preview;
  }
}

/** Parses a message for storage: envelope-level headers, preview, text to index. */
export async function readForStorage(raw: Buffer, limitMs = PARSE_TIME_LIMIT_MS): Promise<StoredHeaders> {
  const mail = await parseWithin(raw, limitMs);
  const from = mailboxes(mail.from)[0] ?? null;
  const to = mailboxes(mail.to);
  const cc = mailboxes(mail.cc);
  const text = mail.text ?? "";
  const attachmentNames = mail.attachments.filter(isListed).map((a, i) => safeFilename(a.filename, i, a.contentType));
  const date = mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : null;
  return {
    messageId: messageIds(mail.messageId)[0] ?? null,
    inReplyTo: messageIds(mail.inReplyTo)[0] ?? null,
    references: messageIds(mail.references),
    from,
    toText: mailboxText(to),
    recipientsText: mailboxText([...to, ...cc]),
    subject: cleanHeaderText(mail.subject ?? ""),
    date,
    hasAttachments: attachmentNames.length > 0,
    preview: previewOf(text),
    indexText: `${text.slice(0, MAX_INDEXED_TEXT)} ${attachmentNames.join(" ")}`,
  };
}

/** Parses a message for reading. */
export async function readForDisplay(raw: Buffer, limitMs = PARSE_TIME_LIMIT_MS): Promise<ParsedMessage> {
  const mail = await parseWithin(raw, limitMs);
  const html = typeof mail.html === "string" && mail.html.trim() !== "" ? mail.html : null;
  let listed = 0;
  const attachments = mail.attachments.map((a, index) => {
    const inline = !isListed(a);
    const filename = safeFilename(a.filename, inline ? index : listed++, a.contentType);
    return {
      index,
      filename,
      contentType: a.contentType.toLowerCase(),
      sizeBytes: a.size,
      inline,
      content: a.content,
    };
  });
  return {
    toList: mailboxes(mail.to),
    ccList: mailboxes(mail.cc),
    replyTo: mailboxes(mail.replyTo),
    text: mail.text ?? null,
    html,
    attachments,
  };
}

/** Folds accents and case, for matching typed search words against stored text. */
export function foldText(value: string): string {
  return value.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}
