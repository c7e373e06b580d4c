/**
 * The command reader of the IMAP server: bytes in (`push`), one event at a time out (`next`), so that
 * the session reads a command, runs it, and only then reads the next (back-pressure: the reader never
 * parses ahead, and its buffer holds at most a line and what the socket gave before it was paused).
 *
 * Grammar (RFC 9051 §9, RFC 3501 §9): tag, command (with `UID` joined to the next word), and
 * arguments: atoms (flags, sequence sets, `NIL`), quoted strings, literals `{n}` (synchronising: the
 * session answers `+` first), `{n+}` (LITERAL+, RFC 7888) and `~{n}` (literal8, RFC 3516),
 * parenthesised lists, and fetch attributes with a section and a partial
 * (`BODY.PEEK[HEADER.FIELDS (DATE)]<0.100>`). Literal bytes are collected as chunks, never by
 * growing one buffer (a 25 MB APPEND costs its size, not its square).
 *
 * Limits: a line (without its literals) of maxLineBytes; a literal of maxLiteralBytes, or
 * maxAppendLiteralBytes in APPEND; lists nested maxDepth deep. Past them: an error event — fatal when
 * the bytes that follow cannot be told apart from commands (a line without end, a `{n+}` literal).
 */
import type { ImapAtomToken, ImapCommand, ImapStringToken, ImapToken } from "./types.js";

export type ReaderEvent =
  | { readonly kind: "command"; readonly command: ImapCommand }
  | { readonly kind: "continue" }
  | { readonly kind: "error"; readonly tag: string | null; readonly text: string; readonly fatal: boolean }
  | { readonly kind: "line"; readonly line: Buffer };

export interface ReaderLimits {
  readonly maxLineBytes?: number;
  readonly maxLiteralBytes?: number;
  readonly maxAppendLiteralBytes?: number;
  readonly maxDepth?: number;
}

type Part =
  | { readonly kind: "text"; readonly bytes: Buffer }
  | { readonly kind: "literal"; readonly token: ImapStringToken };

const CRLF = Buffer.from("\r\n");
const LITERAL_AT_END = /(~?)\{(\d{1,20})(\+?)\}$/;
const SECTION_ATOMS = new Set(["BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE"]);
const TAG_RE = /^[\x21\x23\x24\x26\x27\x2c-\x5b\x5d-\x7a\x7c\x7e]+$/; // ASTRING-CHAR without "+", "(", ")", "{", "%", "*", '"', "\"

class SyntaxError_ extends Error {}

export class CommandReader {
  readonly #maxLine: number;
  readonly #maxLiteral: number;
  readonly #maxAppend: number;
  readonly #maxDepth: number;
  #buf: Buffer = Buffer.alloc(0);
  #parts: Part[] = [];
  #lineBytes = 0;
  /** Literal bytes still to come, and those already here. */
  #need = 0;
  #literal: { chunks: Buffer[]; binary: boolean } | null = null;
  #rawLine = false;

  constructor(limits: ReaderLimits = {}) {
    this.#maxLine = limits.maxLineBytes ?? 65_536;
    this.#maxLiteral = limits.maxLiteralBytes ?? 65_536;
    this.#maxAppend = limits.maxAppendLiteralBytes ?? 50 * 1024 * 1024;
    this.#maxDepth = limits.maxDepth ?? 32;
  }

  /** Bytes received and not yet read into an event. */
  get buffered(): number {
    return this.#buf.length;
  }

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
  }

  /** The next event is one raw line (IDLE's DONE, an AUTHENTICATE response). */
  readRawLine(): void {
    this.#rawLine = true;
  }

  next(): ReaderEvent | null {
    for (;;) {
      if (this.#rawLine) {
        const at = this.#buf.indexOf(CRLF);
        if (at < 0) {
          if (this.#buf.length > this.#maxLine) return this.#fatal(null, "Line too long");
          return null;
        }
        const line = Buffer.from(this.#buf.subarray(0, at));
        this.#buf = this.#buf.subarray(at + 2);
        this.#rawLine = false;
        return { kind: "line", line };
      }
      if (this.#literal) {
        const take = Math.min(this.#need, this.#buf.length);
        if (take > 0) {
          this.#literal.chunks.push(Buffer.from(this.#buf.subarray(0, take)));
          this.#buf = this.#buf.subarray(take);
          this.#need -= take;
        }
        if (this.#need > 0) return null;
        const { chunks, binary } = this.#literal;
        this.#literal = null;
        this.#parts.push({
          kind: "literal",
          token: {
            type: "string",
            value: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
            literal: true,
            ...(binary ? { binary: true } : {}),
          },
        });
        continue;
      }
      const at = this.#buf.indexOf(CRLF);
      if (at < 0) {
        if (this.#lineBytes + this.#buf.length > this.#maxLine) return this.#fatal(this.#tagSoFar(), "Line too long");
        return null;
      }
      const segment = Buffer.from(this.#buf.subarray(0, at));
      this.#buf = this.#buf.subarray(at + 2);
      this.#lineBytes += segment.length;
      if (this.#lineBytes > this.#maxLine) return this.#fatal(this.#tagSoFar(segment), "Line too long");
      const text = segment.toString("latin1");
      const marker = LITERAL_AT_END.exec(text);
      if (marker) {
        const size = Number(marker[2]);
        const nonSync = marker[3] === "+";
        const binary = marker[1] === "~";
        const head =
          this.#parts.length === 0 ? text : ((this.#parts[0] as { bytes?: Buffer }).bytes?.toString("latin1") ?? "");
        const tag = /^(\S+)/.exec(head)?.[1] ?? null;
        const isAppend = /^\S+ APPEND /i.test(head);
        const limit = isAppend ? this.#maxAppend : this.#maxLiteral;
        if (!Number.isSafeInteger(size) || size > limit) {
          this.#reset();
          const text = isAppend ? "[TOOBIG] Message too large" : "Literal too large";
          if (nonSync) return this.#fatal(tag, text);
          return { kind: "error", tag, text, fatal: false };
        }
        this.#parts.push({ kind: "text", bytes: segment.subarray(0, segment.length - marker[0].length) });
        this.#need = size;
        this.#literal = { chunks: [], binary };
        if (!nonSync && size > 0) return { kind: "continue" };
        continue;
      }
      this.#parts.push({ kind: "text", bytes: segment });
      const parts = this.#parts;
      this.#reset();
      return this.#parse(parts);
    }
  }

  #reset(): void {
    this.#parts = [];
    this.#lineBytes = 0;
    this.#need = 0;
    this.#literal = null;
  }

  #fatal(tag: string | null, text: string): ReaderEvent {
    this.#reset();
    this.#buf = Buffer.alloc(0);
    return { kind: "error", tag, text, fatal: true };
  }

  #tagSoFar(segment?: Buffer): string | null {
    const first = this.#parts[0];
    const bytes = first?.kind === "text" ? first.bytes : (segment ?? this.#buf.subarray(0, 64));
    const tag = /^(\S+) /.exec(bytes.subarray(0, 64).toString("latin1"))?.[1];
    return tag && TAG_RE.test(tag) ? tag : null;
  }

  #parse(parts: readonly Part[]): ReaderEvent {
    const first = parts[0];
    const head = first?.kind === "text" ? first.bytes.toString("latin1") : "";
    const tagMatch = /^([^ ]+)/.exec(head);
    const tag = tagMatch && TAG_RE.test(tagMatch[1] as string) ? (tagMatch[1] as string) : null;
    if (parts.length === 1 && head.length === 0)
      return { kind: "error", tag: null, text: "Empty command line", fatal: false };
    if (!tag) return { kind: "error", tag: null, text: "Invalid tag", fatal: false };
    try {
      const tokens = new Tokenizer(parts, tag.length, this.#maxDepth).all();
      const [nameToken, ...rest] = tokens;
      if (nameToken?.type !== "atom" || nameToken.section) throw new SyntaxError_("Missing command");
      let name = nameToken.value.toUpperCase();
      let args = rest;
      if (name === "UID") {
        const sub = rest[0];
        if (sub?.type !== "atom") throw new SyntaxError_("UID needs a command");
        name = `UID ${sub.value.toUpperCase()}`;
        args = rest.slice(1);
      }
      if (!/^[A-Z][A-Z0-9]*( [A-Z]+)?$/.test(name)) throw new SyntaxError_("Invalid command name");
      return { kind: "command", command: { tag, name, args } };
    } catch (error) {
      if (error instanceof SyntaxError_) return { kind: "error", tag, text: error.message, fatal: false };
      throw error;
    }
  }
}

/** Tokens of one command (its text segments and literals), after the tag. */
class Tokenizer {
  readonly #parts: readonly Part[];
  readonly #maxDepth: number;
  #part = 0;
  #pos: number;

  constructor(parts: readonly Part[], start: number, maxDepth: number) {
    this.#parts = parts;
    this.#pos = start;
    this.#maxDepth = maxDepth;
  }

  /** The current text segment, or null when at a literal or the end. */
  #text(): Buffer | null {
    const p = this.#parts[this.#part];
    return p?.kind === "text" ? p.bytes : null;
  }

  #peek(): number {
    const t = this.#text();
    if (!t) return -1;
    return this.#pos < t.length ? (t[this.#pos] as number) : -2; // -2: end of this segment
  }

  all(): ImapToken[] {
    const stack: ImapToken[][] = [[]];
    for (;;) {
      const c = this.#peek();
      if (c === -2) {
        // End of a text segment: a literal follows, or the command ends.
        const nextPart = this.#parts[this.#part + 1];
        if (!nextPart) break;
        if (nextPart.kind !== "literal") throw new SyntaxError_("Invalid literal");
        (stack.at(-1) as ImapToken[]).push(nextPart.token);
        this.#part += 2;
        this.#pos = 0;
        continue;
      }
      if (c === -1) break;
      if (c === 0x20) {
        this.#pos++;
        continue;
      }
      if (c === 0x28) {
        if (stack.length > this.#maxDepth) throw new SyntaxError_("Lists nested too deeply");
        this.#pos++;
        stack.push([]);
        continue;
      }
      if (c === 0x29) {
        if (stack.length === 1) throw new SyntaxError_("Unbalanced parenthesis");
        this.#pos++;
        const items = stack.pop() as ImapToken[];
        (stack.at(-1) as ImapToken[]).push({ type: "list", items });
        continue;
      }
      (stack.at(-1) as ImapToken[]).push(this.#token());
    }
    if (stack.length !== 1) throw new SyntaxError_("Unbalanced parenthesis");
    return stack[0] as ImapToken[];
  }

  /** A quoted string or an atom (with its section and partial) at the current position. */
  #token(): ImapToken {
    const t = this.#text() as Buffer;
    if (t[this.#pos] === 0x22) return this.#quoted(t);
    const start = this.#pos;
    while (this.#pos < t.length) {
      const c = t[this.#pos] as number;
      if (c === 0x20 || c === 0x28 || c === 0x29 || c === 0x5b || c === 0x22) break;
      if (c < 0x20 || c === 0x7f) throw new SyntaxError_("Invalid character");
      if (c === 0x5d) break;
      this.#pos++;
    }
    const value = t.subarray(start, this.#pos).toString("utf8");
    if (value.length === 0) throw new SyntaxError_(`Unexpected character ${String.fromCharCode(t[this.#pos] ?? 0x3f)}`);
    if (t[this.#pos] !== 0x5b) return { type: "atom", value };
    if (!SECTION_ATOMS.has(value.toUpperCase())) throw new SyntaxError_("Unexpected [");
    this.#pos++;
    const section = this.#section(t);
    let partial: readonly [number, number] | undefined;
    if (t[this.#pos] === 0x3c) {
      const m = /^<(\d{1,10})(?:\.(\d{1,10}))?>/.exec(t.subarray(this.#pos, this.#pos + 24).toString("latin1"));
      if (!m) throw new SyntaxError_("Invalid partial");
      const offset = Number(m[1]);
      const length = m[2] === undefined ? Number.MAX_SAFE_INTEGER : Number(m[2]);
      if (offset > 4_294_967_295 || (m[2] !== undefined && (length > 4_294_967_295 || length === 0))) {
        throw new SyntaxError_("Invalid partial");
      }
      partial = [offset, length];
      this.#pos += m[0].length;
    }
    const next = t[this.#pos];
    if (next !== undefined && next !== 0x20 && next !== 0x29) throw new SyntaxError_("Invalid fetch attribute");
    const token: ImapAtomToken = { type: "atom", value, section, ...(partial ? { partial } : {}) };
    return token;
  }

  /** The tokens between [ and ] (atoms, quoted strings and one level of lists). */
  #section(t: Buffer): ImapToken[] {
    const out: ImapToken[] = [];
    let list: ImapToken[] | null = null;
    for (;;) {
      const c = t[this.#pos];
      if (c === undefined) throw new SyntaxError_("Unterminated section");
      if (c === 0x5d) {
        if (list) throw new SyntaxError_("Unterminated list in section");
        this.#pos++;
        return out;
      }
      if (c === 0x20) {
        this.#pos++;
        continue;
      }
      if (c === 0x28) {
        if (list) throw new SyntaxError_("Lists nested in a section");
        list = [];
        this.#pos++;
        continue;
      }
      if (c === 0x29) {
        if (!list) throw new SyntaxError_("Unbalanced parenthesis");
        out.push({ type: "list", items: list });
        list = null;
        this.#pos++;
        continue;
      }
      let token: ImapToken;
      if (c === 0x22) token = this.#quoted(t);
      else {
        const start = this.#pos;
        while (this.#pos < t.length) {
          const d = t[this.#pos] as number;
          if (d === 0x20 || d === 0x28 || d === 0x29 || d === 0x5d || d === 0x5b || d === 0x22) break;
          if (d < 0x20 || d === 0x7f) throw new SyntaxError_("Invalid character");
          this.#pos++;
        }
        if (this.#pos === start) throw new SyntaxError_("Invalid section");
        token = { type: "atom", value: t.subarray(start, this.#pos).toString("latin1") };
      }
      (list ?? out).push(token);
    }
  }

  #quoted(t: Buffer): ImapStringToken {
    this.#pos++; // opening quote
    let from = this.#pos;
    const pieces: Buffer[] = [];
    while (this.#pos < t.length) {
      const c = t[this.#pos] as number;
      if (c === 0x22) {
        pieces.push(t.subarray(from, this.#pos));
        this.#pos++;
        return {
          type: "string",
          value: pieces.length === 1 ? Buffer.from(pieces[0] as Buffer) : Buffer.concat(pieces),
          literal: false,
        };
      }
      if (c === 0x5c) {
        const e = t[this.#pos + 1];
        if (e !== 0x5c && e !== 0x22) throw new SyntaxError_("Invalid escape in a quoted string");
        pieces.push(t.subarray(from, this.#pos));
        pieces.push(Buffer.from([e]));
        this.#pos += 2;
        from = this.#pos;
        continue;
      }
      if (c === 0x00) throw new SyntaxError_("NUL in a quoted string");
      this.#pos++;
    }
    throw new SyntaxError_("Unterminated quoted string");
  }
}
