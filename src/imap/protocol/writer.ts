/**
 * The response writer: IMAP values (protocol/types.ts ImapOut) as bytes.
 *
 * - A string is quoted when it can be — printable US-ASCII (or any UTF-8 once the client enabled
 *   UTF8=ACCEPT), no CR, LF or other control, at most 1,000 bytes — with `\` and `"` escaped; a
 *   literal `{n}` otherwise. A Buffer is always a literal, `{ literal8 }` a `~{n}` literal.
 * - null is NIL, a number or bigint its decimal digits (a negative or fractional number is a
 *   programming error: thrown), an array a parenthesised list, `{ atom }` the atom as given,
 *   `{ adjacent }` its items one after the other without spaces (`1*body`, `1*address`).
 *
 * Text is gathered in one JavaScript string and encoded once, so a FETCH line of small values costs
 * one Buffer (100,000 `* n FETCH (UID n FLAGS (…))` lines stream without per-token allocations);
 * only literals add Buffers.
 */
import type { ImapOut } from "./types.js";

export interface WriteOptions {
  /** UTF8=ACCEPT is enabled: UTF-8 may be quoted (RFC 9051 §9 `quoted`, RFC 6855). */
  readonly utf8: boolean;
}

export type Status = "OK" | "NO" | "BAD";

/** The longest string written quoted; longer ones are literals (as Dovecot does). */
const MAX_QUOTED_BYTES = 1000;

const ASCII_ONLY: WriteOptions = { utf8: false };

/** Whether a string can be written as a quoted string. */
export function isQuotable(value: string, opts: WriteOptions): boolean {
  if (value.length > MAX_QUOTED_BYTES) return false;
  let eightBit = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
    if (c > 0x7e) {
      if (!opts.utf8 || (c >= 0x80 && c <= 0x9f)) return false; // C1 controls: a literal
      eightBit = true;
    }
  }
  return !eightBit || Buffer.byteLength(value, "utf8") <= MAX_QUOTED_BYTES;
}

/** Gathers text in one string, and Buffers (literals) between. */
class Output {
  readonly #buffers: Buffer[] = [];
  #text = "";

  text(s: string): void {
    this.#text += s;
  }

  bytes(b: Buffer): void {
    if (this.#text.length > 0) {
      this.#buffers.push(Buffer.from(this.#text, "utf8"));
      this.#text = "";
    }
    this.#buffers.push(b);
  }

  done(): Buffer {
    if (this.#buffers.length === 0) return Buffer.from(this.#text, "utf8");
    if (this.#text.length > 0) this.#buffers.push(Buffer.from(this.#text, "utf8"));
    return Buffer.concat(this.#buffers);
  }
}

function writeString(value: string, opts: WriteOptions, out: Output): void {
  if (isQuotable(value, opts)) {
    out.text(/[\\"]/.test(value) ? `"${value.replace(/[\\"]/g, "\\$&")}"` : `"${value}"`);
  } else {
    out.text(`{${Buffer.byteLength(value, "utf8")}}\r\n${value}`);
  }
}

function writeNumber(value: number | bigint, out: Output): void {
  if (typeof value === "number" ? !Number.isSafeInteger(value) || value < 0 : value < 0n) {
    throw new RangeError(`not an IMAP number: ${String(value)}`);
  }
  out.text(String(value));
}

type Scalar = Exclude<ImapOut, readonly ImapOut[] | { readonly adjacent: readonly ImapOut[] }>;

/** One value that is neither a list nor adjacent values. */
function writeScalar(value: Scalar, opts: WriteOptions, out: Output): void {
  if (value === null) out.text("NIL");
  else if (typeof value === "string") writeString(value, opts, out);
  else if (typeof value === "number" || typeof value === "bigint") writeNumber(value, out);
  else if (Buffer.isBuffer(value)) {
    out.text(`{${value.length}}\r\n`);
    out.bytes(value);
  } else if (typeof value === "object" && "literal8" in value && Buffer.isBuffer(value.literal8)) {
    out.text(`~{${value.literal8.length}}\r\n`);
    out.bytes(value.literal8);
  } else if (typeof value === "object" && "atom" in value && typeof value.atom === "string") {
    if (value.atom.length === 0 || /[\r\n\0]/.test(value.atom)) {
      throw new TypeError(`not an IMAP atom: ${JSON.stringify(value.atom)}`);
    }
    out.text(value.atom);
  } else {
    throw new TypeError(`not an IMAP value: ${String(value)}`);
  }
}

interface Frame {
  readonly list: readonly ImapOut[];
  next: number;
  /** Between items: a space, or nothing for `{ adjacent }`. */
  readonly sep: string;
  /** After the last item: `)` for a list, nothing for the top level and `{ adjacent }`. */
  readonly close: string;
}

/**
 * Values separated by spaces; lists and adjacent values written with an explicit stack (any depth,
 * no recursion: a hostile message's BODYSTRUCTURE cannot overflow the call stack).
 */
function writeAll(values: readonly ImapOut[], opts: WriteOptions, out: Output): void {
  const stack: Frame[] = [{ list: values, next: 0, sep: " ", close: "" }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    if (frame.next === frame.list.length) {
      stack.pop();
      out.text(frame.close);
      continue;
    }
    if (frame.next > 0) out.text(frame.sep);
    const value = frame.list[frame.next++] as ImapOut;
    if (Array.isArray(value)) {
      out.text("(");
      stack.push({ list: value, next: 0, sep: " ", close: ")" });
    } else if (value !== null && typeof value === "object" && "adjacent" in value) {
      if (!Array.isArray(value.adjacent)) throw new TypeError("not an IMAP value: adjacent without an array");
      stack.push({ list: value.adjacent, next: 0, sep: "", close: "" });
    } else {
      writeScalar(value as Scalar, opts, out);
    }
  }
}

/** One value as bytes (an array as a parenthesised list). */
export function serialize(value: ImapOut, opts: WriteOptions): Buffer {
  const out = new Output();
  writeAll([value], opts, out);
  return out.done();
}

/** Response text on one line: CR, LF and NUL become spaces (text from a client or a store can hold them). */
function oneLine(text: string): string {
  return /[\r\n\0]/.test(text) ? text.replace(/[\r\n\0]+/g, " ") : text;
}

/**
 * An untagged response: `* ` then the values separated by spaces (not a list: `[5, {atom:"FETCH"},
 * [...]]` is `* 5 FETCH (...)`), or `* ` then a text as is (put on one line), and CRLF.
 */
export function untagged(parts: readonly ImapOut[] | string, opts: WriteOptions = ASCII_ONLY): Buffer {
  if (typeof parts === "string") return Buffer.from(`* ${oneLine(parts)}\r\n`, "utf8");
  const out = new Output();
  out.text("* ");
  writeAll(parts, opts, out);
  out.text("\r\n");
  return out.done();
}

/** A tagged status response: `tag OK [CODE] text` and CRLF (without a text, the status word is the text). */
export function tagged(tag: string, status: Status, text: string, code?: string | null): Buffer {
  const body = oneLine(text) || status;
  const prefix = code ? `[${oneLine(code)}] ` : "";
  return Buffer.from(`${oneLine(tag)} ${status} ${prefix}${body}\r\n`, "utf8");
}

/** A continuation request: `+ text` and CRLF (`+ ` alone for an empty text, as SASL wants). */
export function continuation(text = ""): Buffer {
  return Buffer.from(`+ ${oneLine(text)}\r\n`, "utf8");
}
