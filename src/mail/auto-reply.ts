/**
 * The header rules of the away message and the forwarding, without I/O:
 * which incoming messages an automatic reply must never answer (RFC 3834 §2), and the resent
 * copy of a forwarded message (RFC 5322 §3.6.6 Resent-* fields above the untouched original).
 */

/** The header block of a message, unfolded: lower-case field names to their values, in order. */
export function headerFields(raw: Buffer): Map<string, string[]> {
  const text = raw.subarray(0, 256 * 1024).toString("latin1");
  const end = text.search(/\r?\n\r?\n/);
  const block = end >= 0 ? text.slice(0, end) : text;
  const out = new Map<string, string[]>();
  for (const line of block.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const list = out.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    out.set(name, list);
  }
  return out;
}

/** The bare address of a header value or envelope path (`Name <a@b>`, `<a@b>`, `a@b`), lower case. */
export function bareAddress(value: string): string {
  const angle = /<([^<>]*)>/.exec(value);
  return (angle ? (angle[1] ?? "") : value).trim().toLowerCase();
}

/** Local parts that are machines, not people (RFC 3834 §2: never answer them). */
const MACHINE_LOCAL_PARTS =
  /^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|ne-?pas-?repondre|noreply-.*|bounces?(\+.*|-.*)?|listserv|majordomo)$/;

export type NoReplyReason =
  | "auto-submitted"
  | "precedence"
  | "list"
  | "suppressed"
  | "no-sender"
  | "machine-sender"
  | "own-message"
  | "not-addressed";

/**
 * Why an automatic reply must not answer this message, or null when it may (RFC 3834 §2):
 * an automatic message (Auto-Submitted other than "no"), bulk or list mail (Precedence, List-*),
 * a bounce (empty envelope sender) or a machine address (MAILER-DAEMON, postmaster, noreply…) as
 * envelope sender or From, the account's own message, or a message that does not name the account
 * in To or Cc (sent to it as Bcc, through a list or a forward: RFC 3834 §3.1.1).
 */
export function noReplyReason(
  headers: Map<string, string[]>,
  envelopeSender: string,
  accountAddress: string,
): NoReplyReason | null {
  const first = (name: string) => headers.get(name)?.[0] ?? null;
  const autoSubmitted = headers.get("auto-submitted") ?? [];
  if (autoSubmitted.some((v) => v.split(/[;(\s]/)[0]?.toLowerCase() !== "no")) return "auto-submitted";
  if (/^\s*(bulk|list|junk)\b/i.test(first("precedence") ?? "")) return "precedence";
  if (["list-id", "list-unsubscribe", "list-post", "list-help"].some((n) => headers.has(n))) return "list";
  if (/\b(all|oof|autoreply)\b/i.test(first("x-auto-response-suppress") ?? "")) return "suppressed";
  const sender = bareAddress(envelopeSender);
  if (sender === "" || !sender.includes("@")) return "no-sender";
  const from = bareAddress(first("from") ?? "");
  for (const address of [sender, from]) {
    const local = address.slice(0, address.lastIndexOf("@"));
    if (MACHINE_LOCAL_PARTS.test(local)) return "machine-sender";
  }
  const own = accountAddress.toLowerCase();
  if (sender === own || from === own) return "own-message";
  const named = [...(headers.get("to") ?? []), ...(headers.get("cc") ?? [])]
    .join(",")
    .toLowerCase()
    .match(/[^\s<>,;"()]+@[^\s<>,;"()]+/g);
  if (!named?.includes(own)) return "not-addressed";
  return null;
}

/** True when this account has already forwarded the message once (a forwarding loop). */
export function forwardedBefore(headers: Map<string, string[]>, accountAddress: string): boolean {
  const resent = headers.get("resent-from") ?? [];
  return resent.length >= 10 || resent.some((v) => bareAddress(v) === accountAddress.toLowerCase());
}

/**
 * The forwarded copy: the original message untouched, below Resent-From, Resent-To, Resent-Date
 * and Resent-Message-ID; its Return-Path lines (written at final delivery, RFC 5321 §4.4) are
 * dropped, the next server adds its own.
 */
export function resentCopy(raw: Buffer, resent: { from: string; to: string; date: Date; messageId: string }): Buffer {
  const text = raw.toString("latin1");
  const end = text.search(/\r?\n\r?\n/);
  const headEnd = end >= 0 ? end : text.length;
  const head = text.slice(0, headEnd).replace(/^Return-Path:[^\r\n]*(\r?\n[ \t][^\r\n]*)*(\r?\n|$)/gim, "");
  const date = resent.date.toUTCString().replace(/GMT$/, "+0000");
  const fields =
    `Resent-From: <${resent.from}>\r\n` +
    `Resent-To: <${resent.to}>\r\n` +
    `Resent-Date: ${date}\r\n` +
    `Resent-Message-ID: ${resent.messageId}\r\n`;
  return Buffer.concat([Buffer.from(fields, "latin1"), Buffer.from(head + text.slice(headEnd), "latin1")]);
}
