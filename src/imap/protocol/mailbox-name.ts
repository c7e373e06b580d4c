/**
 * Mailbox names on the wire: IMAP's modified UTF-7 (RFC 3501 §5.1.3) for clients that have not
 * enabled UTF8=ACCEPT, through the `utf7` package. A name that is not canonical modified UTF-7 (an
 * `&` not closed, bad base64, a printable character encoded) is refused rather than guessed.
 */
import utf7 from "utf7";

export type Decoded = { readonly ok: true; readonly value: string } | { readonly ok: false };

export function encodeMailboxName(name: string): string {
  return utf7.imap.encode(name);
}

export function decodeMailboxName(wire: string): Decoded {
  // Only printable US-ASCII may appear in modified UTF-7.
  if (!/^[\x20-\x7e]*$/.test(wire)) return { ok: false };
  // Every & opens a shift closed by -, with modified base64 inside.
  if (!/^(?:[^&]|&-|&[A-Za-z0-9+,]+-)*$/.test(wire)) return { ok: false };
  let value: string;
  try {
    value = utf7.imap.decode(wire);
  } catch {
    return { ok: false };
  }
  // Canonical form only: what decodes must encode back to the same bytes.
  if (
    utf7.imap.encode(value) !== wire ||
    /[\ud800-\udfff]/u.test(value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""))
  ) {
    return { ok: false };
  }
  return { ok: true, value };
}
