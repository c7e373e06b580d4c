/**
 * Answering and forwarding a message: who the answer goes to (Reply-To honoured, "reply all"
 * without the writer's own address and without duplicates), the subject's prefix (never doubled),
 * the quoted original and the forwarded header block. The rules live here; their words (prefixes,
 * the quote's introduction, the header labels, how a date reads) are given by the door that shows
 * them (the webmail's French texts).
 */
import type { Mailbox, MessageView } from "./mail.types.js";

/** The words of answers and forwards. */
export interface ReplyWording {
  /** Before the subject of an answer ("RE: "). */
  readonly replyPrefix: string;
  /** Before the subject of a forward ("TR: "). */
  readonly forwardPrefix: string;
  /** The line above the quoted original ("Le 3 mars 2025 à 14 h 05, Marie Curie a écrit :"). */
  readonly quoteIntro: (date: string, who: string) => string;
  /** The first line of a forwarded message's header block, then the labels of its lines. */
  readonly forwardHeader: string;
  readonly forwardFrom: string;
  readonly forwardDate: string;
  readonly forwardSubject: string;
  readonly forwardTo: string;
  /** Who wrote a message without a sender. */
  readonly unknownSender: string;
  /** A date as the texts show it. */
  readonly dateTime: (date: Date) => string;
}

/** What answering or forwarding reads of the original. */
export type Original = Pick<MessageView, "from" | "replyTo" | "toList" | "ccList" | "subject" | "date" | "text">;

/** `Nom <adresse>` as typed in an address field (the name quoted when it holds a separator). */
export function addressText(m: Mailbox): string {
  if (!m.name || m.name === m.address) return m.address;
  const name = /[",;<>@()[\]\\]/.test(m.name) ? `"${m.name.replace(/["\\]/g, "\\$&")}"` : m.name;
  return `${name} <${m.address}>`;
}

/** Mailboxes as an address field holds them, comma-separated. */
export function addressList(list: readonly Mailbox[]): string {
  return list.map(addressText).join(", ");
}

/** An answer's subject: the prefix once ("RE: x", and "Re : x" or "Ré: x" stay as they are). */
export function replySubject(subject: string, w: ReplyWording): string {
  const bare = subject.trim();
  return /^(re|ré)\s*:/i.test(bare) ? bare : `${w.replyPrefix}${bare}`;
}

/** A forward's subject: the prefix once ("TR: x", and "Fwd: x" or "Fw: x" stay as they are). */
export function forwardSubject(subject: string, w: ReplyWording): string {
  const bare = subject.trim();
  return /^(tr|fwd?)\s*:/i.test(bare) ? bare : `${w.forwardPrefix}${bare}`;
}

function whoOf(m: Original, w: ReplyWording): string {
  return m.from ? m.from.name || m.from.address : w.unknownSender;
}

function originalText(m: Original): string {
  return (m.text ?? "").replace(/\r\n?/g, "\n").replace(/\n+$/, "");
}

/** The introduction line and the original, each line behind "> " (">" alone before a quoted line). */
export function quoteOf(m: Original, w: ReplyWording): string {
  const lines = originalText(m)
    .split("\n")
    .map((line) => (line.startsWith(">") ? `>${line}` : `> ${line}`));
  return `\n\n${w.quoteIntro(w.dateTime(m.date), whoOf(m, w))}\n${lines.join("\n")}\n`;
}

/** The original below a short header block (from, date, subject, to), as mail clients forward inline. */
export function forwardedOf(m: Original, w: ReplyWording): string {
  const rows = [
    w.forwardHeader,
    `${w.forwardFrom} : ${m.from ? addressText(m.from) : w.unknownSender}`,
    `${w.forwardDate} : ${w.dateTime(m.date)}`,
    `${w.forwardSubject} : ${m.subject}`,
    ...(m.toList.length > 0 ? [`${w.forwardTo} : ${addressList(m.toList)}`] : []),
  ];
  return `\n\n${rows.join("\n")}\n\n${originalText(m)}\n`;
}

/**
 * Who an answer goes to: the Reply-To mailboxes (else the sender); with `all`, also the original's
 * other To and Cc recipients. `self` (the writer's own address) is left out of the others, and an
 * address appears once, in To before Cc (compared without case).
 */
export function replyRecipients(
  m: Original,
  self: string,
  all: boolean,
): { to: readonly Mailbox[]; cc: readonly Mailbox[] } {
  const lower = self.toLowerCase();
  const notSelf = (list: readonly Mailbox[]) => list.filter((x) => x.address.toLowerCase() !== lower);
  const author = m.replyTo.length > 0 ? m.replyTo : m.from ? [m.from] : [];
  const seen = new Set<string>();
  const unique = (list: readonly Mailbox[]) =>
    list.filter((x) => {
      const key = x.address.toLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  const to = unique(all ? [...author, ...notSelf(m.toList)] : author);
  const cc = all ? unique(notSelf(m.ccList)) : [];
  return { to, cc };
}
