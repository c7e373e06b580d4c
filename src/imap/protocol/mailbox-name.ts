/**
 * Mailbox names on the wire and in the hierarchy.
 *
 * - IMAP's modified UTF-7 (RFC 3501 §5.1.3) for clients that have not enabled UTF8=ACCEPT, through
 *   the `utf7` package. A wire name that is not canonical modified UTF-7 (an `&` not closed, bad
 *   base64, a printable character or a lone surrogate encoded, two shifts side by side, 8-bit bytes)
 *   is refused with `{ ok: false }` rather than guessed: it decodes only if it encodes back the same.
 * - INBOX is case-insensitive (RFC 9051 §5.1): `inbox`, `Inbox/Sub` are `INBOX`, `INBOX/Sub`.
 * - The hierarchy delimiter is "/".
 */
import utf7 from "utf7";

export const MAILBOX_DELIMITER = "/";

export type Decoded = { readonly ok: true; readonly value: string } | { readonly ok: false };

/** A shift is `&-` (for `&`) or `&` modified base64 `-`; outside shifts, printable US-ASCII but `&`. */
const WIRE_SHAPE = /^(?:[\x20-\x25\x27-\x7e]|&-|&[A-Za-z0-9+,]+-)*$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A name in modified UTF-7 (`Envoyés` → `Envoy&AOk-s`). */
export function encodeMailboxName(name: string): string {
  return utf7.imap.encode(name);
}

/** A modified UTF-7 name decoded (`Envoy&AOk-s` → `Envoyés`), or `{ ok: false }` when not canonical. */
export function decodeMailboxName(wire: string): Decoded {
  if (!WIRE_SHAPE.test(wire)) return { ok: false };
  let value: string;
  try {
    value = utf7.imap.decode(wire);
  } catch {
    return { ok: false };
  }
  // Canonical form only: what decodes must encode back to the same text (this refuses bad padding
  // bits, odd byte counts, encoded printable characters and split shifts).
  if (encodeMailboxName(value) !== wire || LONE_SURROGATE.test(value)) return { ok: false };
  return { ok: true, value };
}

/** INBOX in any case, alone or as the first level of a path, written `INBOX`; other names as given. */
export function normalizeInboxName(name: string): string {
  if (name.length < 5 || name.slice(0, 5).toUpperCase() !== "INBOX") return name;
  if (name.length === 5) return "INBOX";
  return name[5] === MAILBOX_DELIMITER ? `INBOX${name.slice(5)}` : name;
}

/** Whether a name is INBOX (in any case). */
export function isInbox(name: string): boolean {
  return name.length === 5 && name.toUpperCase() === "INBOX";
}

/** The levels of a path: `Projets/2026` → [`Projets`, `2026`]. */
export function splitMailboxName(name: string): string[] {
  return name.split(MAILBOX_DELIMITER);
}

export function joinMailboxName(levels: readonly string[]): string {
  return levels.join(MAILBOX_DELIMITER);
}

/** The parent of a path (`Projets/2026` → `Projets`), null at the top level. */
export function parentMailboxName(name: string): string | null {
  const at = name.lastIndexOf(MAILBOX_DELIMITER);
  return at <= 0 ? null : name.slice(0, at);
}

/** The ancestors of a path, from the top: `a/b/c` → [`a`, `a/b`] (CREATE makes the missing ones). */
export function mailboxAncestors(name: string): string[] {
  const out: string[] = [];
  for (let at = name.indexOf(MAILBOX_DELIMITER); at > 0; at = name.indexOf(MAILBOX_DELIMITER, at + 1)) {
    out.push(name.slice(0, at));
  }
  return out;
}

/** Whether `name` is `ancestor` itself or below it (`Projets/2026` is within `Projets`). */
export function isWithinMailbox(name: string, ancestor: string): boolean {
  return name === ancestor || name.startsWith(`${ancestor}${MAILBOX_DELIMITER}`);
}

/**
 * Whether a decoded name can be a mailbox: not empty, no empty level (no leading, trailing or double
 * "/"), no control character, no LIST wildcard (`*`, `%`: such a name could not be listed alone).
 */
export function isValidMailboxName(name: string): boolean {
  if (name.length === 0) return false;
  if (/[\p{Cc}*%]/u.test(name)) return false;
  return splitMailboxName(name).every((level) => level.length > 0);
}
