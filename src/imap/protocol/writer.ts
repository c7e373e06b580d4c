/**
 * The response writer: IMAP values (protocol/types.ts ImapOut) as bytes. Strings are quoted when
 * they can be (printable, no CR/LF/NUL, 8-bit only with UTF8=ACCEPT, at most 1,000 bytes), literals
 * otherwise; Buffers are always literals.
 */
import type { ImapOut } from "./types.js";

const MAX_QUOTED = 1000;

function isQuotable(value: string, utf8: boolean): boolean {
  if (value.length > MAX_QUOTED) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0x00) return false;
    if (c < 0x20 || c === 0x7f) return false;
    if (c > 0x7e && !utf8) return false;
  }
  return Buffer.byteLength(value) <= MAX_QUOTED;
}

function literal(bytes: Buffer, prefix = ""): Buffer[] {
  return [Buffer.from(`${prefix}{${bytes.length}}\r\n`, "latin1"), bytes];
}

function write(value: ImapOut, utf8: boolean, out: Buffer[]): void {
  if (value === null) {
    out.push(Buffer.from("NIL"));
    return;
  }
  if (typeof value === "number" || typeof value === "bigint") {
    if (typeof value === "number" && (!Number.isSafeInteger(value) || value < 0)) {
      throw new Error(`not an IMAP number: ${value}`);
    }
    if (typeof value === "bigint" && value < 0n) throw new Error(`not an IMAP number: ${value}`);
    out.push(Buffer.from(String(value)));
    return;
  }
  if (typeof value === "string") {
    if (isQuotable(value, utf8)) {
      out.push(Buffer.from(`"${value.replace(/[\\"]/g, "\\$&")}"`, "utf8"));
    } else {
      out.push(...literal(Buffer.from(value, "utf8")));
    }
    return;
  }
  if (Buffer.isBuffer(value)) {
    out.push(...literal(value));
    return;
  }
  if (Array.isArray(value)) {
    out.push(Buffer.from("("));
    value.forEach((v: ImapOut, i: number) => {
      if (i > 0) out.push(Buffer.from(" "));
      write(v, utf8, out);
    });
    out.push(Buffer.from(")"));
    return;
  }
  const o = value as { atom?: string; literal8?: Buffer };
  if (o.literal8 !== undefined) {
    out.push(...literal(o.literal8, "~"));
    return;
  }
  out.push(Buffer.from(o.atom ?? "", "utf8"));
}

/** One value as bytes. */
export function serialize(value: ImapOut, opts: { utf8: boolean }): Buffer {
  const out: Buffer[] = [];
  write(value, opts.utf8, out);
  return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
}
