/**
 * The command reader of the IMAP server: bytes in (`push`), one event at a time out (`next`), so that
 * the session reads a command, runs it, and only then asks for the next (back-pressure: the reader
 * never parses ahead of what `next` is asked for).
 *
 * Grammar (RFC 9051 §9, RFC 3501 §9): a tag, a command name (`UID` joined to the next word), and
 * arguments: atoms (flags, sequence sets, `NIL`…), quoted strings, literals `{n}` (synchronising: the
 * session answers `+` first), `{n+}` (LITERAL+, RFC 7888) and `~{n}` (literal8, RFC 3516),
 * parenthesised lists, and fetch attributes with a section and a partial
 * (`BODY.PEEK[HEADER.FIELDS (DATE)]<0.100>`).
 *
 * Each line segment (the text between two literals) is tokenised once, when its line feed arrives,
 * into a parser state kept across literals; a list is a frame on an explicit stack, never a
 * recursive call, so 1,000 parentheses are an error event and not a stack overflow. Bytes are kept
 * as the chunks the socket gave (a line is joined once, a literal copied once): no per-byte work in
 * JavaScript strings, and a 25 MB APPEND costs its size, not its square.
 *
 * Limits: a command's text (its line segments, without literals) of maxLineBytes — an error as
 * soon as a line passes it, before its line feed arrives; a literal of maxLiteralBytes, or
 * maxAppendLiteralBytes in APPEND; a whole command (text and literals) of maxCommandBytes; lists
 * nested maxDepth deep. The error is fatal (the session says BYE and closes) when the bytes that follow
 * cannot be told apart from commands: a line without end, a refused LITERAL+ literal.
 *
 * A command refused for its syntax is skipped to its end: the bytes of its LITERAL+ literals are
 * discarded, never read as commands (a client's literal must not become a command).
 *
 * Leniency: a bare LF ends a line like CRLF does (as Dovecot and Cyrus accept), spaces may repeat,
 * and an atom may hold UTF-8 (decoded strictly: other 8-bit bytes are an error).
 */
import type { ImapAtomToken, ImapCommand, ImapToken } from "./types.js";

export type ReaderEvent =
  | { readonly kind: "command"; readonly command: ImapCommand }
  /** The client sent a synchronising literal `{n}` and waits for `+ Ready for literal data`. */
  | { readonly kind: "continue" }
  /** `fatal`: answer (`tag ?? "*"`) BAD text, then BYE and close; otherwise BAD text and go on. */
  | { readonly kind: "error"; readonly tag: string | null; readonly text: string; readonly fatal: boolean }
  /** A raw line (after `readRawLine()`), without its CRLF. */
  | { readonly kind: "line"; readonly line: Buffer };

export interface ReaderLimits {
  /** Text of one command (its line segments, without CRLF and literals), and of a raw line. 64 KiB. */
  readonly maxLineBytes?: number;
  /** One literal, in any command but APPEND. 64 KiB. */
  readonly maxLiteralBytes?: number;
  /** One literal in APPEND (the message). 50 MiB. */
  readonly maxAppendLiteralBytes?: number;
  /** One whole command, text and literals (MULTIAPPEND included). maxAppendLiteralBytes + maxLineBytes. */
  readonly maxCommandBytes?: number;
  /** Parenthesised lists (and sections) nested in one another. 32. */
  readonly maxDepth?: number;
}

/** The largest `number` of the grammar (RFC 9051 §9: unsigned 32-bit). */
const MAX_NUMBER = 4_294_967_295;

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LPAREN = 0x28;
const RPAREN = 0x29;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const TILDE = 0x7e;
const PLUS = 0x2b;
const LT = 0x3c;

const QUOTE_BYTE = Buffer.from('"');
const BACKSLASH_BYTE = Buffer.from("\\");
const EMPTY = Buffer.alloc(0);

/** Fetch attributes that take a section (`BODY[1.2]`); anywhere else `[` is a syntax error. */
const SECTION_ATOMS = new Set(["BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE"]);

/** A command name: atoms of letters, digits and `-`/`.`/`_` (`X-FOO`), upper-cased. */
const COMMAND_NAME = /^[A-Z][A-Z0-9._-]*$/;

/** Tag characters: ASTRING-CHAR (ATOM-CHAR or `]`) but `+` (RFC 9051 §9 `tag`). */
const TAG_CHAR = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) TAG_CHAR[c] = 1;
for (const c of '(){%*"\\+') TAG_CHAR[c.charCodeAt(0)] = 0;

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** A syntax error in a command: a BAD answer, the connection goes on. */
class CommandSyntaxError extends Error {}

interface Frame {
  readonly kind: "root" | "list" | "section";
  readonly items: ImapToken[];
  /** For a section: the atom before `[` (`BODY.PEEK`). */
  readonly atom: string;
}

/** The command being read: its tag, its parser state, what it has cost so far. */
interface Pending {
  readonly tag: string;
  readonly frames: Frame[];
  /** A token just ended: what follows must be a space, `)` or `]`, or the end of the line. */
  needSep: boolean;
  /** A section is open (`BODY[` read, its `]` not yet): `]` ends atoms, `[` is an error. */
  inSection: boolean;
  lineBytes: number;
  totalBytes: number;
  name: { readonly name: string; readonly argStart: number } | null;
}

/** A literal announced at the end of a line segment. `size` is Infinity past 2^32-1. */
interface LiteralMarker {
  readonly size: number;
  readonly sync: boolean;
  readonly binary: boolean;
}

type Mode =
  | { readonly kind: "line" }
  | {
      readonly kind: "literal";
      need: number;
      readonly size: number;
      readonly binary: boolean;
      readonly chunks: Buffer[];
    }
  | { readonly kind: "discard"; need: number };

const LINE_MODE: Mode = { kind: "line" };
const TOO_LONG = Symbol("too long");

export class CommandReader {
  readonly #maxLine: number;
  readonly #maxLiteral: number;
  readonly #maxAppend: number;
  readonly #maxCommand: number;
  readonly #maxDepth: number;

  /** Chunks pushed and not yet looked at, from #head on. */
  #queue: Buffer[] = [];
  #head = 0;
  #queued = 0;
  /** The start of a line whose line feed has not arrived yet. */
  #pieces: Buffer[] = [];
  #pieceBytes = 0;

  #mode: Mode = LINE_MODE;
  #cmd: Pending | null = null;
  /** A refused command whose remaining segments (and LITERAL+ literals) are being skipped. */
  #skip: { readonly tag: string | null; lineBytes: number } | null = null;
  #rawWanted = false;
  #dead = false;

  constructor(limits: ReaderLimits = {}) {
    this.#maxLine = limits.maxLineBytes ?? 65_536;
    this.#maxLiteral = limits.maxLiteralBytes ?? 65_536;
    this.#maxAppend = limits.maxAppendLiteralBytes ?? 50 * 1024 * 1024;
    this.#maxCommand = limits.maxCommandBytes ?? this.#maxAppend + this.#maxLine;
    this.#maxDepth = limits.maxDepth ?? 32;
  }

  /**
   * Bytes pushed that `next` has not looked at yet (the session pauses the socket past a threshold).
   * The start of a line or of a literal already taken is not counted: it is bounded by the limits.
   */
  get buffered(): number {
    return this.#queued;
  }

  push(chunk: Buffer): void {
    if (this.#dead || chunk.length === 0) return;
    this.#queue.push(chunk);
    this.#queued += chunk.length;
  }

  /**
   * The next event is one raw line (IDLE's `DONE`, an AUTHENTICATE response), bounded by
   * maxLineBytes. Asked between commands (after a command event), as the session does.
   */
  readRawLine(): void {
    this.#rawWanted = true;
  }

  /** The next event, or null until more bytes are pushed. After a fatal error: always null. */
  next(): ReaderEvent | null {
    for (;;) {
      if (this.#dead) return null;
      const mode = this.#mode;
      if (mode.kind === "literal") {
        this.#take(mode, mode.chunks);
        if (mode.need > 0) return null;
        this.#mode = LINE_MODE;
        const cmd = this.#cmd as Pending;
        (cmd.frames.at(-1) as Frame).items.push({
          type: "string",
          value: mode.size === 0 ? Buffer.alloc(0) : Buffer.concat(mode.chunks, mode.size),
          literal: true,
          ...(mode.binary ? { binary: true } : {}),
        });
        cmd.needSep = true;
        continue;
      }
      if (mode.kind === "discard") {
        this.#take(mode, null);
        if (mode.need > 0) return null;
        this.#mode = LINE_MODE;
        continue;
      }
      const raw = this.#rawWanted && this.#cmd === null && this.#skip === null;
      const used = this.#cmd?.lineBytes ?? this.#skip?.lineBytes ?? 0;
      const line = this.#takeLine(raw ? this.#maxLine : this.#maxLine - used);
      if (line === null) return null;
      if (line === TOO_LONG) return this.#fatal(raw ? null : this.#currentTag(), "Line too long");
      if (raw) {
        this.#rawWanted = false;
        return { kind: "line", line: Buffer.from(line) };
      }
      const event = this.#skip ? this.#skipLine(line) : this.#onLine(line);
      if (event) return event;
    }
  }

  // Bytes

  /** Moves up to `mode.need` queued bytes into `chunks` (or drops them when null). */
  #take(mode: { need: number }, chunks: Buffer[] | null): void {
    while (mode.need > 0 && this.#head < this.#queue.length) {
      const chunk = this.#queue[this.#head] as Buffer;
      if (chunk.length <= mode.need) {
        chunks?.push(chunk);
        mode.need -= chunk.length;
        this.#dequeue();
      } else {
        chunks?.push(chunk.subarray(0, mode.need));
        this.#queue[this.#head] = chunk.subarray(mode.need);
        this.#queued -= mode.need;
        mode.need = 0;
      }
    }
  }

  #dequeue(): void {
    this.#queued -= (this.#queue[this.#head] as Buffer).length;
    this.#head++;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= 1024) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * The next line without its CRLF (or bare LF), null while its end has not arrived, TOO_LONG as
   * soon as it passes `limit` bytes. Each byte is searched once, however the line arrives.
   */
  #takeLine(limit: number): Buffer | null | typeof TOO_LONG {
    while (this.#head < this.#queue.length) {
      const chunk = this.#queue[this.#head] as Buffer;
      const lf = chunk.indexOf(LF);
      if (lf < 0) {
        this.#pieces.push(chunk);
        this.#pieceBytes += chunk.length;
        this.#dequeue();
        // A CR at the end may be the start of the CRLF: it does not count yet.
        const pending = this.#pieceBytes - (chunk[chunk.length - 1] === CR ? 1 : 0);
        if (pending > limit) return TOO_LONG;
        continue;
      }
      const head = chunk.subarray(0, lf);
      if (lf + 1 === chunk.length) this.#dequeue();
      else {
        this.#queue[this.#head] = chunk.subarray(lf + 1);
        this.#queued -= lf + 1;
      }
      let line = head;
      if (this.#pieces.length > 0) {
        this.#pieces.push(head);
        line = Buffer.concat(this.#pieces, this.#pieceBytes + head.length);
        this.#pieces = [];
        this.#pieceBytes = 0;
      }
      if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
      if (line.length > limit) {
        this.#pieces = [line]; // for the tag of the error
        return TOO_LONG;
      }
      return line;
    }
    return null;
  }

  // Events

  #fatal(tag: string | null, text: string): ReaderEvent {
    this.#dead = true;
    this.#queue = [];
    this.#head = 0;
    this.#queued = 0;
    this.#pieces = [];
    this.#pieceBytes = 0;
    this.#cmd = null;
    this.#skip = null;
    this.#mode = LINE_MODE;
    return { kind: "error", tag, text, fatal: true };
  }

  /** The tag of the command being read (or of the line begun), for an error about it. */
  #currentTag(): string | null {
    if (this.#cmd) return this.#cmd.tag;
    if (this.#skip) return this.#skip.tag;
    const first = this.#pieces[0];
    return first ? readTag(first) : null;
  }

  /**
   * Refuses the command begun with `line` (BAD, the connection goes on), and skips what the client
   * sends of it anyway: the bytes of a LITERAL+ literal ending the line, and the segments after it.
   */
  #refuse(tag: string | null, text: string, line: Buffer, lineBytes: number): ReaderEvent {
    this.#cmd = null;
    const marker = trailingLiteral(line);
    if (marker && !marker.sync) {
      if (marker.size > Math.max(this.#maxAppend, this.#maxLiteral)) return this.#fatal(tag, text);
      this.#skip = { tag, lineBytes };
      this.#mode = { kind: "discard", need: marker.size };
    }
    // A synchronising literal: the client waits for `+`, gets BAD, and sends nothing more of it.
    return { kind: "error", tag, text, fatal: false };
  }

  /** A further segment of a refused command: skipped, with its LITERAL+ literal if any. */
  #skipLine(line: Buffer): ReaderEvent | null {
    const skip = this.#skip as { tag: string | null; lineBytes: number };
    skip.lineBytes += line.length;
    const marker = trailingLiteral(line);
    if (marker && !marker.sync) {
      if (marker.size > Math.max(this.#maxAppend, this.#maxLiteral)) {
        return this.#fatal(skip.tag, "[TOOBIG] Literal too large");
      }
      this.#mode = { kind: "discard", need: marker.size };
      return null;
    }
    this.#skip = null;
    return null;
  }

  /** One line segment of a command (its first, or the one after a literal). */
  #onLine(line: Buffer): ReaderEvent | null {
    let cmd = this.#cmd;
    let start = 0;
    if (!cmd) {
      if (line.length === 0) return { kind: "error", tag: null, text: "Empty command line", fatal: false };
      const sp = line.indexOf(SP);
      const end = sp < 0 ? line.length : sp;
      const tag = validTag(line, end) ? line.toString("latin1", 0, end) : null;
      if (tag === null) return this.#refuse(null, "Missing or invalid tag", line, line.length);
      if (sp < 0) return this.#refuse(tag, "Missing command name", line, line.length);
      cmd = {
        tag,
        frames: [{ kind: "root", items: [], atom: "" }],
        needSep: false,
        inSection: false,
        lineBytes: 0,
        totalBytes: 0,
        name: null,
      };
      this.#cmd = cmd;
      start = sp + 1;
    }
    cmd.lineBytes += line.length;
    cmd.totalBytes += line.length + 2;
    if (line.indexOf(0) >= 0) return this.#refuse(cmd.tag, "NUL byte outside a literal", line, cmd.lineBytes);
    if (line.indexOf(CR) >= 0) return this.#refuse(cmd.tag, "CR without LF", line, cmd.lineBytes);
    let marker: LiteralMarker | null;
    let name: { readonly name: string; readonly argStart: number };
    try {
      marker = tokenize(cmd, line, start, this.#maxDepth);
      name = cmd.name ?? commandName(cmd.frames[0] as Frame);
      cmd.name = name;
      if (!marker) {
        const top = cmd.frames.at(-1) as Frame;
        if (top.kind === "section") throw new CommandSyntaxError("Unterminated section");
        if (top.kind === "list") throw new CommandSyntaxError("Unbalanced parenthesis");
      }
    } catch (error) {
      if (error instanceof CommandSyntaxError) return this.#refuse(cmd.tag, error.message, line, cmd.lineBytes);
      throw error;
    }
    if (!marker) {
      this.#cmd = null;
      const args = (cmd.frames[0] as Frame).items;
      return {
        kind: "command",
        command: { tag: cmd.tag, name: name.name, args: name.argStart === 0 ? args : args.slice(name.argStart) },
      };
    }
    const append = name.name === "APPEND";
    if (
      marker.size > (append ? this.#maxAppend : this.#maxLiteral) ||
      cmd.totalBytes + marker.size > this.#maxCommand
    ) {
      this.#cmd = null;
      const text = append ? "[TOOBIG] Message too large" : "[TOOBIG] Literal too large";
      // A LITERAL+ literal's bytes follow anyway and could not be told from commands.
      if (!marker.sync) return this.#fatal(cmd.tag, text);
      return { kind: "error", tag: cmd.tag, text, fatal: false };
    }
    cmd.totalBytes += marker.size;
    this.#mode = { kind: "literal", need: marker.size, size: marker.size, binary: marker.binary, chunks: [] };
    return marker.sync ? { kind: "continue" } : null;
  }
}

/** The tag at the start of a line begun (for "Line too long"), if it is one. */
function readTag(bytes: Buffer): string | null {
  const sp = bytes.indexOf(SP);
  if (sp <= 0 || sp > 256) return null;
  return validTag(bytes, sp) ? bytes.toString("latin1", 0, sp) : null;
}

function validTag(line: Buffer, end: number): boolean {
  if (end === 0) return false;
  for (let i = 0; i < end; i++) if (TAG_CHAR[line[i] as number] !== 1) return false;
  return true;
}

/** `{n}`, `{n+}` or `~{n}` ending a line, found without parsing it (to skip a refused command). */
function trailingLiteral(line: Buffer): LiteralMarker | null {
  let end = line.length - 1;
  if (end < 2 || line[end] !== RBRACE) return null;
  const open = line.lastIndexOf(LBRACE, end);
  if (open < 0) return null;
  let sync = true;
  if (line[end - 1] === PLUS) {
    sync = false;
    end--;
  }
  const digits = line.toString("latin1", open + 1, end);
  if (!/^\d+$/.test(digits)) return null;
  return { size: toNumber(digits), sync, binary: open > 0 && line[open - 1] === TILDE };
}

/** A decimal number of the grammar; Infinity past 2^32-1 (then refused by the limits). */
function toNumber(digits: string): number {
  if (digits.length > 10) return Number.POSITIVE_INFINITY;
  const n = Number(digits);
  return n > MAX_NUMBER ? Number.POSITIVE_INFINITY : n;
}

/** The command name from the first tokens: `FETCH`, or `UID FETCH` (UID joined to its command). */
function commandName(root: Frame): { name: string; argStart: number } {
  const first = root.items[0];
  if (first?.type !== "atom" || first.section) throw new CommandSyntaxError("Missing command name");
  const word = first.value.toUpperCase();
  if (!COMMAND_NAME.test(word)) throw new CommandSyntaxError("Invalid command name");
  if (word !== "UID") return { name: word, argStart: 1 };
  const sub = root.items[1];
  if (sub?.type !== "atom" || sub.section) throw new CommandSyntaxError("UID needs a command");
  const subWord = sub.value.toUpperCase();
  if (!COMMAND_NAME.test(subWord)) throw new CommandSyntaxError("Invalid command name");
  return { name: `UID ${subWord}`, argStart: 2 };
}

/**
 * Tokenises one line segment from `start` into the command's frames. Returns the literal that ends
 * the segment, or null when the segment ends the command. Iterative: lists and sections are frames.
 */
function tokenize(cmd: Pending, t: Buffer, start: number, maxDepth: number): LiteralMarker | null {
  const frames = cmd.frames;
  const n = t.length;
  let i = start;
  while (i < n) {
    const c = t[i] as number;
    const top = frames[frames.length - 1] as Frame;
    if (c === SP) {
      cmd.needSep = false;
      i++;
      continue;
    }
    if (c === RPAREN) {
      if (top.kind !== "list") {
        throw new CommandSyntaxError(top.kind === "section" ? "Unterminated section" : "Unbalanced parenthesis");
      }
      frames.pop();
      (frames[frames.length - 1] as Frame).items.push({ type: "list", items: top.items });
      cmd.needSep = true;
      i++;
      continue;
    }
    if (c === RBRACKET && top.kind === "section") {
      frames.pop();
      cmd.inSection = false;
      i++;
      let partial: readonly [number, number] | null = null;
      if (t[i] === LT) {
        const end = t.indexOf(0x3e, i); // ">"
        const m = end < 0 ? null : /^<(\d{1,10})\.(\d{1,10})>$/.exec(t.toString("latin1", i, end + 1));
        const offset = Number(m?.[1]);
        const length = Number(m?.[2]);
        if (!m || offset > MAX_NUMBER || length > MAX_NUMBER || length === 0) {
          throw new CommandSyntaxError("Invalid partial: <offset.length>, numbers up to 4294967295");
        }
        partial = [offset, length];
        i = end + 1;
      }
      const token: ImapAtomToken = {
        type: "atom",
        value: top.atom,
        section: top.items,
        ...(partial ? { partial } : {}),
      };
      (frames[frames.length - 1] as Frame).items.push(token);
      cmd.needSep = true;
      continue;
    }
    if (cmd.needSep) throw new CommandSyntaxError("Expected a space between arguments");
    if (c === LPAREN) {
      if (frames.length > maxDepth) throw new CommandSyntaxError("Too deeply nested");
      frames.push({ kind: "list", items: [], atom: "" });
      i++;
      continue;
    }
    if (c === DQUOTE) {
      i = quoted(t, i, top.items);
      cmd.needSep = true;
      continue;
    }
    if (c === LBRACE || (c === TILDE && t[i + 1] === LBRACE)) return literalMarker(t, i);
    if (c === LBRACKET) throw new CommandSyntaxError("Unexpected [");
    // An atom: up to a space, a parenthesis, a quote, a brace, `[`, or `]` in a section (elsewhere `]`
    // is an ASTRING-CHAR).
    const inSection = cmd.inSection;
    let j = i;
    let eightBit = false;
    while (j < n) {
      const d = t[j] as number;
      if (d === SP || d === LPAREN || d === RPAREN || d === DQUOTE || d === LBRACE || d === LBRACKET) break;
      if (d === RBRACKET && inSection) break;
      if (d < 0x20 || d === 0x7f) throw new CommandSyntaxError("Invalid character");
      if (d >= 0x80) eightBit = true;
      j++;
    }
    let value: string;
    if (!eightBit) value = t.toString("latin1", i, j);
    else {
      try {
        value = STRICT_UTF8.decode(t.subarray(i, j));
      } catch {
        throw new CommandSyntaxError("Invalid UTF-8");
      }
    }
    if (t[j] === LBRACKET) {
      if (inSection || !SECTION_ATOMS.has(value.toUpperCase())) throw new CommandSyntaxError("Unexpected [");
      if (frames.length > maxDepth) throw new CommandSyntaxError("Too deeply nested");
      frames.push({ kind: "section", items: [], atom: value });
      cmd.inSection = true;
      i = j + 1;
      continue;
    }
    top.items.push({ type: "atom", value });
    cmd.needSep = true;
    i = j;
  }
  return null;
}

/** A quoted string at `i` (its opening quote) into `out`; returns the index after its closing quote. */
function quoted(t: Buffer, i: number, out: ImapToken[]): number {
  let from = i + 1;
  let pieces: Buffer[] | null = null;
  for (;;) {
    const q = t.indexOf(DQUOTE, from);
    if (q < 0) throw new CommandSyntaxError("Unterminated quoted string");
    // A backslash before that quote (searched up to it only: linear in the line, however many strings).
    const rel = t.subarray(from, q).indexOf(BACKSLASH);
    if (rel < 0) {
      const tail = t.subarray(from, q);
      let value: Buffer;
      if (pieces) {
        pieces.push(tail);
        value = Buffer.concat(pieces);
      } else value = tail.length === 0 ? EMPTY : Buffer.from(tail);
      out.push({ type: "string", value, literal: false });
      return q + 1;
    }
    const slash = from + rel;
    const escaped = t[slash + 1];
    if (escaped !== DQUOTE && escaped !== BACKSLASH) {
      throw new CommandSyntaxError('Invalid escape in a quoted string (only \\\\ and \\")');
    }
    pieces ??= [];
    pieces.push(t.subarray(from, slash), escaped === DQUOTE ? QUOTE_BYTE : BACKSLASH_BYTE);
    from = slash + 2;
  }
}

/** `{n}`, `{n+}` or `~{n}` at `i`, which must end the line segment. */
function literalMarker(t: Buffer, i: number): LiteralMarker {
  let k = i;
  const binary = t[k] === TILDE;
  if (binary) k++;
  k++; // "{"
  const digitsStart = k;
  while (k < t.length && (t[k] as number) >= 0x30 && (t[k] as number) <= 0x39) k++;
  if (k === digitsStart) throw new CommandSyntaxError("Invalid literal");
  const size = toNumber(t.toString("latin1", digitsStart, k));
  let sync = true;
  if (t[k] === PLUS) {
    sync = false;
    k++;
  }
  if (t[k] !== RBRACE) throw new CommandSyntaxError("Invalid literal");
  if (k + 1 !== t.length) throw new CommandSyntaxError("A literal must end the line");
  return { size, sync, binary };
}
