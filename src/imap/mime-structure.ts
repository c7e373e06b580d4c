/**
 * A message's MIME structure for IMAP FETCH (RFC 9051 §6.4.5, §7.4.2, §7.5.2; RFC 3501; RFC 3516),
 * computed once per stored body and kept as JSON: every part with its byte offsets in the stored
 * bytes and the header values BODYSTRUCTURE and ENVELOPE need, never body bytes. From it:
 * BODY/BODYSTRUCTURE and ENVELOPE as Dovecot writes them (types, parameters and header text as sent,
 * encoded words left as they are), BODY[section] as the exact stored bytes, partials, and BINARY
 * (base64 and quoted-printable decoded by libbase64/libqp).
 *
 * The parts come from the MIME splitter `@zone-eu/mailsplit`: its delimiter lines are recorded as it
 * reads them (their byte offsets, and the multipart they belong to), so that every offset is a
 * position in the stored bytes, whatever their line ends (CRLF or LF only). As in Dovecot, the line
 * end before a delimiter belongs to the delimiter, a multipart keeps its preamble and epilogue, and
 * a message/rfc822 part ends where its enclosing multipart's next delimiter starts. Header values
 * are read with the project's header-block reader and `libmime`; addresses with nodemailer's
 * addressparser.
 *
 * Bounded: nesting stops at MAX_DEPTH (the part there is kept, what is inside it is not described),
 * at most MAX_PARTS parts are described, and embedded messages are read again only within a budget
 * of a few times the message's size; past a limit a part is opaque (`truncated`), never an error.
 */
import { isUtf8 } from "node:buffer";
import { type MimeNode, Splitter, type SplitterChunk } from "@zone-eu/mailsplit";
import libbase64 from "libbase64";
import libmime, { type ParsedHeaderValue } from "libmime";
import libqp from "libqp";
import addressparser from "nodemailer/lib/addressparser";
import { type HeaderField, readHeaderBlock } from "../mail/header-block.js";
import type { ImapOut, ImapToken } from "./protocol/types.js";

/** Bumped when the stored form changes: a stored tree of another version is computed again. */
export const TREE_VERSION = 2;
/** The deepest part described (the message is depth 0; each multipart and each message inside adds one). */
export const MAX_DEPTH = 50;
/** Parts described per message, embedded messages included (the splitter's own default). */
export const MAX_PARTS = 1000;
/** Embedded messages are split again while the bytes split stay under this many times the message. */
const SPLIT_BUDGET_FACTOR = 8;
const SPLIT_BUDGET_EXTRA = 1024 * 1024;

/**
 * Header text as sent: a "binary" string, one character per byte (latin1), unfolded and trimmed,
 * nothing decoded (encoded words and 8-bit bytes left as they are).
 */
export type RawText = string;
/** A parameter (name in lower case, value unquoted). */
export type MimeParam = readonly [name: string, value: RawText];
/** An ENVELOPE address; `[null, null, name, null]` opens a group and `[null, null, null, null]` closes it. */
export type MimeAddress = readonly [
  name: RawText | null,
  adl: RawText | null,
  mailbox: RawText | null,
  host: RawText | null,
];

/** What ENVELOPE says of a message (Sender and Reply-To are defaulted to From when written). */
export interface MimeEnvelope {
  readonly date: RawText | null;
  readonly subject: RawText | null;
  readonly from: readonly MimeAddress[] | null;
  readonly sender: readonly MimeAddress[] | null;
  readonly replyTo: readonly MimeAddress[] | null;
  readonly to: readonly MimeAddress[] | null;
  readonly cc: readonly MimeAddress[] | null;
  readonly bcc: readonly MimeAddress[] | null;
  readonly inReplyTo: RawText | null;
  readonly messageId: RawText | null;
}

/** One MIME part. Offsets are byte positions in the stored message; absent values are left out. */
export interface MimePart {
  readonly headerStart: number;
  /** Where the header block ends (its empty line included) and the body starts. */
  readonly bodyStart: number;
  readonly bodyEnd: number;
  /** bodyEnd - bodyStart: the body's size in octets, as BODYSTRUCTURE gives it. */
  readonly size: number;
  /** Content-Type as sent ("text"/"plain" when absent or invalid; "message"/"rfc822" under multipart/digest). */
  readonly type: string;
  readonly subtype: string;
  readonly params?: readonly MimeParam[];
  readonly id?: RawText;
  readonly description?: RawText;
  /** The Content-Transfer-Encoding token as sent; absent (or not a token): 7bit. */
  readonly encoding?: string;
  readonly md5?: RawText;
  readonly disposition?: readonly [type: string, params: readonly MimeParam[]];
  readonly language?: readonly RawText[];
  readonly location?: RawText;
  /** Lines (line feeds) of the body: text/* and message/rfc822 parts. */
  readonly lines?: number;
  /** A multipart's parts (may be empty). */
  readonly children?: readonly MimePart[];
  /** message/rfc822: the message inside (its header is this part's body's header). */
  readonly message?: MimePart;
  /** On the root of each message (the stored one and every one inside). */
  readonly envelope?: MimeEnvelope;
  /** A limit was reached: what is inside this part (parts, message) is not described. */
  readonly truncated?: true;
}

export interface MimeTree {
  readonly version: number;
  readonly root: MimePart;
}

// Parsing

type Part = {
  -readonly [K in keyof MimePart]: K extends "children" ? Part[] : K extends "message" ? Part : MimePart[K];
};

const TOKEN = "[!#$%&'*+\\-.0-9A-Z^_`a-z{|}~]+";
const TOKEN_ONLY = new RegExp(`^${TOKEN}$`);
const MEDIA_TYPE = new RegExp(`^\\s*(${TOKEN})\\s*/\\s*(${TOKEN})`);

const LF = Buffer.from("\n");
const CRLF = Buffer.from("\r\n");

const isMessage = (p: { type: string; subtype: string }) =>
  p.type.toLowerCase() === "message" && p.subtype.toLowerCase() === "rfc822";

/** The header block's length: up to and with the first empty line (the splitter's rule), or all of it. */
function headerLength(bytes: Buffer): number {
  let at = 0;
  while (at < bytes.length) {
    const lf = bytes.indexOf(10, at);
    if (lf < 0) return bytes.length;
    if (lf === at || (lf === at + 1 && bytes[at] === 13)) return lf + 1;
    at = lf + 1;
  }
  return bytes.length;
}

/** The fields of a header block (an empty block, or only its empty line, has none). */
function fieldsOf(block: Buffer): readonly HeaderField[] {
  if (block.length === 0 || block.equals(LF) || block.equals(CRLF)) return [];
  return readHeaderBlock(block).fields;
}

function countLines(bytes: Buffer): number {
  let n = 0;
  for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) n++;
  return n;
}

/** Parameters in order; a value libmime decoded from RFC 2231 form is given back in that form unless plain ASCII. */
function paramsOf(parsed: ParsedHeaderValue): MimeParam[] {
  return Object.entries(parsed.params).map(([name, value]): MimeParam => {
    if (!parsed.decodedParams.includes(name) || /^[\x20-\x7e]*$/.test(value)) return [name, value];
    return [`${name}*`, `utf-8''${libmime.safeEncodeURIComponent(value)}`];
  });
}

function describe(raw: Buffer, headerStart: number, bodyStart: number, bodyEnd: number, digestChild: boolean) {
  const fields = fieldsOf(raw.subarray(headerStart, bodyStart));
  // Only the first of each Content-* field counts (as for Dovecot and the splitter).
  const first = (name: string) => fields.find((f) => f.name === name)?.value;
  const part: Part = { headerStart, bodyStart, bodyEnd, size: bodyEnd - bodyStart, type: "text", subtype: "plain" };
  const contentType = first("content-type");
  if (contentType === undefined) {
    // RFC 2046 §5.1.5: in a multipart/digest, a part without Content-Type is a message.
    if (digestChild) [part.type, part.subtype] = ["message", "rfc822"];
  } else {
    const parsed = libmime.parseHeaderValue(contentType, { stripComments: true });
    const media = MEDIA_TYPE.exec(parsed.value);
    // An invalid Content-Type is text/plain; charset=us-ascii (RFC 2045 §5.2).
    if (media?.[1] && media[2]) {
      [part.type, part.subtype] = [media[1], media[2]];
      const params = paramsOf(parsed);
      if (params.length > 0) part.params = params;
    }
  }
  const id = first("content-id");
  if (id !== undefined) part.id = id;
  const description = first("content-description");
  if (description !== undefined) part.description = description;
  const encoding = first("content-transfer-encoding")
    ?.replace(/\([^()]*\)/g, "")
    .trim();
  if (encoding !== undefined && TOKEN_ONLY.test(encoding)) part.encoding = encoding;
  const md5 = first("content-md5");
  if (md5 !== undefined) part.md5 = md5;
  const disposition = first("content-disposition");
  if (disposition !== undefined) {
    const parsed = libmime.parseHeaderValue(disposition, { stripComments: true });
    const kind = parsed.value.trim();
    if (TOKEN_ONLY.test(kind)) part.disposition = [kind, paramsOf(parsed)];
  }
  const language = first("content-language")
    ?.split(",")
    .map((l) => l.replace(/\([^()]*\)/g, "").trim())
    .filter((l) => l !== "");
  if (language && language.length > 0) part.language = language;
  const location = first("content-location");
  if (location !== undefined) part.location = location;
  const type = part.type.toLowerCase();
  if (type === "text" || isMessage(part)) part.lines = countLines(raw.subarray(bodyStart, bodyEnd));
  if (type === "multipart") part.children = [];
  return { part, fields };
}

/** The position of `b` in `region` when it is a view of it (the splitter hands out views), or -1. */
function viewOffset(region: Buffer, b: Buffer): number {
  if (b.buffer !== region.buffer) return -1;
  const at = b.byteOffset - region.byteOffset;
  return at >= 0 && at + b.length <= region.length ? at : -1;
}

/** Back over the line end before a delimiter (it belongs to the delimiter), not below `floor`. */
function lineEndBefore(region: Buffer, at: number, floor: number): number {
  let p = at;
  if (p > floor && region[p - 1] === 10) {
    p--;
    if (p > floor && region[p - 1] === 13) p--;
  }
  return Math.max(p, floor);
}

/** The splitter's state this module reads while it runs (not in its type declarations; the tests check it). */
interface SplitterInternals {
  checkBoundary(line: Buffer): 1 | 2 | 3 | 4 | false;
  node: MimeNode;
  delimiterOwner: MimeNode | false;
}

interface Delimiter {
  readonly start: number;
  readonly end: number;
  readonly owner: MimeNode;
  /** A delimiter that starts a part (the others close their multipart). */
  readonly opens: boolean;
}

/** A part found by the splitter, offsets in the region split. */
interface Flat {
  readonly node: MimeNode | null;
  readonly parent: Flat | null;
  readonly headerStart: number;
  bodyStart: number;
  end: number;
  /** A part the splitter read no header end for (a header cut by the next delimiter): header only. */
  readonly headerOnly: boolean;
}

/**
 * Splits one message (a region of the stored bytes) into its parts, with exact offsets, or null when
 * the splitter gave up (a limit) or its output cannot be placed exactly.
 */
async function split(region: Buffer, maxParts: number): Promise<Flat[] | null> {
  const splitter = new Splitter({ ignoreEmbedded: true, maxChildNodes: maxParts });
  const state = splitter as unknown as SplitterInternals;
  if (typeof state.checkBoundary !== "function") return null;
  const check = state.checkBoundary.bind(splitter);
  const delimiters: Delimiter[] = [];
  let exact = true;
  // Each delimiter line as the splitter recognises it: where it is, and whose it is (1, 2: the current
  // node's own boundary; 3, 4: an enclosing multipart's, named by delimiterOwner).
  state.checkBoundary = (line: Buffer) => {
    const kind = check(line);
    if (kind) {
      const at = viewOffset(region, line);
      const owner = kind <= 2 ? state.node : state.delimiterOwner;
      if (at < 0 || !owner) exact = false;
      else delimiters.push({ start: at, end: at + line.length, owner, opens: kind === 1 || kind === 3 });
    }
    return kind;
  };
  const nodes: MimeNode[] = [];
  splitter.end(region);
  try {
    for await (const chunk of splitter) {
      if ((chunk as SplitterChunk).type === "node") nodes.push(chunk as MimeNode);
    }
  } catch {
    return null; // a limit of the splitter (too many parts, a header over 1 MiB): the caller describes less
  }
  if (!exact) return null;

  // Each node's header is at the end of the delimiter that opened it (the root's at 0), in order; a
  // delimiter whose part the splitter never emitted (a header with no empty line, cut by the next
  // delimiter) gets a header-only part, so that the part numbers stay those of the message.
  const flats: Flat[] = [];
  const byNode = new Map<MimeNode, Flat>();
  const opening = delimiters.filter((d) => d.opens);
  let next = 0;
  for (const node of nodes) {
    const header = node.getHeaders();
    const parentNode = node.parentNode || null;
    let headerStart = -1;
    if (!parentNode) {
      if (flats.length > 0) return null;
      headerStart = 0;
    } else {
      for (; next < opening.length; next++) {
        const d = opening[next] as Delimiter;
        if (d.owner === parentNode && region.subarray(d.end, d.end + header.length).equals(header)) break;
        const owner = byNode.get(d.owner);
        if (!owner) return null;
        flats.push({ node: null, parent: owner, headerStart: d.end, bodyStart: d.end, end: d.end, headerOnly: true });
      }
      const d = opening[next++];
      if (!d) return null;
      headerStart = d.end;
    }
    if (!region.subarray(headerStart, headerStart + header.length).equals(header)) return null;
    const parent = parentNode ? byNode.get(parentNode) : null;
    if (parent === undefined) return null;
    const flat: Flat = {
      node,
      parent,
      headerStart,
      bodyStart: headerStart + header.length,
      end: region.length,
      headerOnly: false,
    };
    flats.push(flat);
    byNode.set(node, flat);
  }
  for (; next < opening.length; next++) {
    const d = opening[next] as Delimiter;
    const owner = byNode.get(d.owner);
    if (!owner) return null;
    flats.push({ node: null, parent: owner, headerStart: d.end, bodyStart: d.end, end: d.end, headerOnly: true });
  }
  if (flats[0]?.parent !== null) return null;

  // Where each part ends: at the first later delimiter of a multipart enclosing it (the line end
  // before it excluded), else at the end of the region. One pass over parts and delimiters in order.
  const stack: Flat[] = [];
  const close = (f: Flat, at: number, isDelimiter: boolean) => {
    const floor = f.headerOnly ? f.headerStart : f.bodyStart;
    f.end = isDelimiter ? lineEndBefore(region, at, floor) : Math.max(at, floor);
    if (f.headerOnly) f.bodyStart = f.end;
  };
  let i = 0;
  const openUpTo = (position: number): boolean => {
    for (; i < flats.length && (flats[i] as Flat).headerStart <= position; i++) {
      const f = flats[i] as Flat;
      if (f.parent !== null && !stack.includes(f.parent)) return false;
      while (stack.length > 0 && stack[stack.length - 1] !== f.parent) close(stack.pop() as Flat, f.headerStart, false);
      stack.push(f);
    }
    return true;
  };
  for (const d of delimiters) {
    if (!openUpTo(d.start)) return null;
    const owner = byNode.get(d.owner);
    if (!owner || !stack.includes(owner)) return null;
    while (stack[stack.length - 1] !== owner) close(stack.pop() as Flat, d.start, true);
  }
  if (!openUpTo(region.length)) return null;
  while (stack.length > 0) close(stack.pop() as Flat, region.length, false);
  return flats;
}

interface Context {
  readonly raw: Buffer;
  budget: number;
  parts: number;
}

/** A message's root only (header and type, nothing inside described): past a limit. */
function opaqueMessage(ctx: Context, start: number, end: number): Part {
  const { part, fields } = describe(ctx.raw, start, start + headerLength(ctx.raw.subarray(start, end)), end, false);
  ctx.parts++;
  part.envelope = envelopeOf(fields);
  if (part.children || isMessage(part)) part.truncated = true;
  return part;
}

/** The message in [start, end) of the stored bytes, its root at `depth`. */
async function parseMessage(ctx: Context, start: number, end: number, depth: number): Promise<Part> {
  const region = ctx.raw.subarray(start, end);
  if (depth >= MAX_DEPTH || ctx.parts >= MAX_PARTS || ctx.budget < region.length) return opaqueMessage(ctx, start, end);
  ctx.budget -= region.length;
  const flats = await split(region, MAX_PARTS - ctx.parts);
  if (!flats) return opaqueMessage(ctx, start, end);

  const built = new Map<Flat, { part: Part; depth: number }>();
  const messages: { part: Part; depth: number }[] = [];
  let root: Part | null = null;
  for (const f of flats) {
    const parent = f.parent ? built.get(f.parent) : undefined;
    if (f.parent && !parent) continue; // inside a part past the depth limit
    if (parent && (!parent.part.children || parent.depth >= MAX_DEPTH || ctx.parts >= MAX_PARTS)) {
      parent.part.truncated = true;
      continue;
    }
    const partDepth = parent ? parent.depth + 1 : depth;
    const digestChild = parent?.part.subtype.toLowerCase() === "digest";
    const { part, fields } = describe(ctx.raw, start + f.headerStart, start + f.bodyStart, start + f.end, digestChild);
    ctx.parts++;
    built.set(f, { part, depth: partDepth });
    if (parent) parent.part.children?.push(part);
    else {
      part.envelope = envelopeOf(fields);
      root = part;
    }
    if (isMessage(part)) messages.push({ part, depth: partDepth });
  }
  if (!root) return opaqueMessage(ctx, start, end);
  for (const m of messages) {
    if (m.depth >= MAX_DEPTH) m.part.truncated = true;
    else m.part.message = await parseMessage(ctx, m.part.bodyStart, m.part.bodyEnd, m.depth + 1);
  }
  return root;
}

/**
 * The MIME structure of a stored message (asynchronous: the splitter is a stream). Never fails on
 * malformed input: what cannot be split exactly is described as one opaque part.
 */
export async function parseStructure(raw: Buffer): Promise<MimeTree> {
  const ctx: Context = { raw, budget: SPLIT_BUDGET_FACTOR * raw.length + SPLIT_BUDGET_EXTRA, parts: 0 };
  return { version: TREE_VERSION, root: await parseMessage(ctx, 0, raw.length, 0) };
}

// ENVELOPE

type ParsedAddress = { name: string; address?: string; group?: ParsedAddress[] };

function unquoteLocalPart(local: string): string {
  const quoted = /^"(.*)"$/s.exec(local);
  return quoted?.[1] !== undefined ? quoted[1].replace(/\\(.)/gs, "$1") : local;
}

function mailbox(a: ParsedAddress, inGroup: boolean): MimeAddress | null {
  const name = a.name === "" ? null : a.name;
  const address = a.address ?? "";
  if (address === "") {
    // No address (a bare word, `Name <>`, a comment): a host that is never NIL, since a NIL host is
    // group syntax (Dovecot fills in the same placeholders). Inside a group, it was a comment.
    if (inGroup || name === null) return null;
    return /^[^\s"<>()@,;:]+$/.test(name)
      ? [null, null, name, "MISSING_DOMAIN"]
      : [name, null, "MISSING_MAILBOX", "MISSING_DOMAIN"];
  }
  const at = address.lastIndexOf("@");
  const local = unquoteLocalPart(at >= 0 ? address.slice(0, at) : address);
  const host = at >= 0 ? address.slice(at + 1) : "";
  return [name, null, local === "" ? "MISSING_MAILBOX" : local, host === "" ? "MISSING_DOMAIN" : host];
}

function addressList(value: string): MimeAddress[] | null {
  const out: MimeAddress[] = [];
  for (const a of addressparser(value) as ParsedAddress[]) {
    if (a.group) {
      out.push([null, null, a.name, null]);
      for (const m of a.group) {
        const one = mailbox(m, true);
        if (one) out.push(one);
      }
      out.push([null, null, null, null]);
    } else {
      const one = mailbox(a, false);
      if (one) out.push(one);
    }
  }
  return out.length > 0 ? out : null;
}

function envelopeOf(fields: readonly HeaderField[]): MimeEnvelope {
  // A field given twice: the last one, as Dovecot reads them. An address field with no address in it
  // (`Sender: `) counts as absent, so that Sender and Reply-To default to From.
  const text = (name: string) => fields.findLast((f) => f.name === name)?.value ?? null;
  const addresses = (name: string) => {
    const value = text(name);
    return value === null ? null : addressList(value);
  };
  return {
    date: text("date"),
    subject: text("subject"),
    from: addresses("from"),
    sender: addresses("sender"),
    replyTo: addresses("reply-to"),
    to: addresses("to"),
    cc: addresses("cc"),
    bcc: addresses("bcc"),
    inReplyTo: text("in-reply-to"),
    messageId: text("message-id"),
  };
}

/** Header text for the writer: a string when it is ASCII or UTF-8, else the bytes (a literal). */
function out(value: RawText | null | undefined): ImapOut {
  if (value === null || value === undefined) return null;
  if (!/[^\p{ASCII}]/u.test(value)) return value;
  const bytes = Buffer.from(value, "latin1");
  return isUtf8(bytes) ? bytes.toString("utf8") : bytes;
}

/** `"(" 1*address ")"`: the addresses side by side, without spaces (RFC 9051 §9, env-from). */
const addressesOut = (list: readonly MimeAddress[] | null): ImapOut =>
  list === null ? null : [{ adjacent: list.map((a) => a.map(out)) }];

function envelopeOut(e: MimeEnvelope): ImapOut {
  return [
    out(e.date),
    out(e.subject),
    addressesOut(e.from),
    addressesOut(e.sender ?? e.from),
    addressesOut(e.replyTo ?? e.from),
    addressesOut(e.to),
    addressesOut(e.cc),
    addressesOut(e.bcc),
    out(e.inReplyTo),
    out(e.messageId),
  ];
}

const NO_ENVELOPE: ImapOut = [null, null, null, null, null, null, null, null, null, null];

/** ENVELOPE of a message: from its tree, or from its bytes (only the header is read). */
export function envelope(source: MimeTree | Buffer): ImapOut {
  if (Buffer.isBuffer(source)) return envelopeOut(envelopeOf(fieldsOf(source.subarray(0, headerLength(source)))));
  return source.root.envelope ? envelopeOut(source.root.envelope) : NO_ENVELOPE;
}

// BODY and BODYSTRUCTURE

function paramList(params: readonly MimeParam[] | undefined, defaultCharset: boolean): ImapOut {
  const list: ImapOut[] = (params ?? []).flatMap(([name, value]) => [out(name), out(value)]);
  if (defaultCharset && !params?.some(([name]) => name.toLowerCase() === "charset")) list.push("charset", "us-ascii");
  return list.length > 0 ? list : null;
}

function extension(p: MimePart): ImapOut[] {
  return [
    p.disposition ? [out(p.disposition[0]), paramList(p.disposition[1], false)] : null,
    p.language ? p.language.map(out) : null,
    out(p.location),
  ];
}

/** What Dovecot writes for a multipart with no part (the grammar wants at least one). */
const emptyBody = (extended: boolean): ImapOut =>
  extended
    ? ["text", "plain", ["charset", "us-ascii"], null, null, "7bit", 0, 0, null, null, null, null]
    : ["text", "plain", ["charset", "us-ascii"], null, null, "7bit", 0, 0];

function structure(p: MimePart, extended: boolean): ImapOut {
  if (p.children) {
    // `1*body SP media-subtype`: the parts side by side, without spaces (RFC 9051 §9, body-type-mpart).
    const fields: ImapOut[] = [
      { adjacent: p.children.length > 0 ? p.children.map((c) => structure(c, extended)) : [emptyBody(extended)] },
    ];
    fields.push(out(p.subtype));
    if (extended) fields.push(paramList(p.params, false), ...extension(p));
    return fields;
  }
  const message = isMessage(p);
  const text = p.type.toLowerCase() === "text";
  const fields: ImapOut[] = [
    ...(message ? ["message", "rfc822"] : [out(p.type), out(p.subtype)]),
    paramList(p.params, text),
    out(p.id),
    out(p.description),
    p.encoding ?? "7bit",
    p.size,
  ];
  if (text) fields.push(p.lines ?? 0);
  else if (message) {
    const inner = p.message;
    fields.push(
      inner?.envelope ? envelopeOut(inner.envelope) : NO_ENVELOPE,
      inner ? structure(inner, extended) : emptyBody(extended),
      p.lines ?? 0,
    );
  }
  if (extended) fields.push(out(p.md5), ...extension(p));
  return fields;
}

/** BODY (`extended` false) or BODYSTRUCTURE (true), as RFC 9051 §7.5.2 lays them out and Dovecot writes them. */
export function bodyStructure(tree: MimeTree, extended: boolean): ImapOut {
  return structure(tree.root, extended);
}

// BODY[section], BINARY[section]

export interface SectionSpec {
  /** Part numbers (`1.2` → [1, 2]); empty: the message itself. */
  readonly part: readonly number[];
  readonly kind: "" | "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME";
  /** HEADER.FIELDS[.NOT]: the field names, in lower case. */
  readonly fields: readonly string[];
}

const KINDS: readonly SectionSpec["kind"][] = ["", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"];

/** The section of a fetch attribute (the tokens between its brackets, protocol/types.ts), or what is wrong (a BAD). */
export function parseSectionSpec(tokens: readonly ImapToken[]): SectionSpec | string {
  if (tokens.length === 0) return { part: [], kind: "", fields: [] };
  const [first, list, ...more] = tokens;
  if (first?.type !== "atom" || first.section !== undefined || more.length > 0) return "Invalid section";
  let rest = first.value.toUpperCase();
  const part: number[] = [];
  while (/^[0-9]/.test(rest)) {
    const number = /^([0-9]+)(\.|$)/.exec(rest);
    if (!number?.[1] || !/^[1-9][0-9]{0,8}$/.test(number[1])) return "Invalid section part number";
    part.push(Number(number[1]));
    rest = rest.slice(number[0].length);
    if (number[2] === "") break;
    if (rest === "") return "Invalid section part number";
  }
  const kind = KINDS.find((k) => k === rest);
  if (kind === undefined) return "Invalid section";
  if (kind === "MIME" && part.length === 0) return "MIME needs a part number";
  const wantsList = kind === "HEADER.FIELDS" || kind === "HEADER.FIELDS.NOT";
  if (!wantsList) return list === undefined ? { part, kind, fields: [] } : "Invalid section";
  if (list?.type !== "list" || list.items.length === 0) return `${kind} needs a list of field names`;
  const fields: string[] = [];
  for (const item of list.items) {
    const name = item.type === "atom" ? item.value : item.type === "string" ? item.value.toString("latin1") : "";
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) return "Invalid header field name";
    fields.push(name.toLowerCase());
  }
  return { part, kind, fields };
}

/**
 * The part a part number names (RFC 9051 §6.4.5, as Dovecot resolves it): in a multipart, its n-th
 * part; a part that is not a multipart has only part 1 (itself), and only a message/rfc822 part can
 * be gone into further, the numbers after it naming parts of the message inside.
 */
function findPart(tree: MimeTree, numbers: readonly number[]): MimePart | null {
  let part: MimePart | undefined = tree.root;
  for (let i = 0; i < numbers.length && part; i++) {
    const more = i < numbers.length - 1;
    if (part.children) part = part.children[(numbers[i] as number) - 1];
    else if (numbers[i] !== 1 || (more && !isMessage(part))) return null;
    if (part && more && isMessage(part)) part = part.message;
  }
  return part ?? null;
}

/** The matching fields as sent (continuation lines kept), then the empty line. */
function headerFields(header: Buffer, names: readonly string[], not: boolean): Buffer {
  const wanted = new Set(names);
  // The line end of the block's own lines (LF for a message stored with LF only).
  const eol = header[header.length - 1] === 10 && header[header.length - 2] !== 13 ? LF : CRLF;
  const lines: Buffer[] = [];
  for (const field of fieldsOf(header)) {
    if (wanted.has(field.name) === not) continue;
    lines.push(Buffer.from(field.raw, "latin1"));
    if (!field.raw.endsWith("\n")) lines.push(eol);
  }
  lines.push(eol);
  return Buffer.concat(lines);
}

/** The header and body of the message a message/rfc822 part holds. */
function innerMessage(raw: Buffer, p: MimePart): { headerStart: number; bodyStart: number; bodyEnd: number } {
  if (p.message) return p.message;
  return {
    headerStart: p.bodyStart,
    bodyStart: p.bodyStart + headerLength(raw.subarray(p.bodyStart, p.bodyEnd)),
    bodyEnd: p.bodyEnd,
  };
}

/**
 * The bytes of BODY[section]: the stored bytes, never re-encoded. null when the part does not exist,
 * or when HEADER/TEXT name a part that is not a message/rfc822: the caller answers with an empty
 * string, as Dovecot does (RFC 9051 leaves it open). Without a tree, only sections of the message
 * itself (no part number) are answered.
 */
export function section(raw: Buffer, tree: MimeTree | null, spec: SectionSpec): Buffer | null {
  let target: { headerStart: number; bodyStart: number; bodyEnd: number };
  if (spec.part.length === 0) {
    if (spec.kind === "") return raw;
    target = tree ? tree.root : { headerStart: 0, bodyStart: headerLength(raw), bodyEnd: raw.length };
  } else {
    const p = tree ? findPart(tree, spec.part) : null;
    if (!p) return null;
    if (spec.kind === "") return raw.subarray(p.bodyStart, p.bodyEnd);
    if (spec.kind === "MIME") return raw.subarray(p.headerStart, p.bodyStart);
    if (!isMessage(p)) return null;
    target = innerMessage(raw, p);
  }
  const header = raw.subarray(target.headerStart, target.bodyStart);
  switch (spec.kind) {
    case "HEADER":
      return header;
    case "TEXT":
      return raw.subarray(target.bodyStart, target.bodyEnd);
    case "HEADER.FIELDS":
    case "HEADER.FIELDS.NOT":
      return headerFields(header, spec.fields, spec.kind === "HEADER.FIELDS.NOT");
    default:
      return null;
  }
}

/** `<offset.length>` of a section: past its end, an empty string (RFC 9051 §6.4.5). */
export function partial(bytes: Buffer, offset: number, length: number): Buffer {
  if (offset >= bytes.length) return Buffer.alloc(0);
  return bytes.subarray(offset, Math.min(bytes.length, offset + length));
}

function decoded(body: Buffer, encoding: string | undefined): Buffer | "unknown-cte" {
  switch ((encoding ?? "7bit").toLowerCase()) {
    case "7bit":
    case "8bit":
    case "binary":
      return body;
    case "base64":
      // libbase64 decodes strings only (a Buffer comes back as it is).
      return libbase64.decode(body.toString("latin1"));
    case "quoted-printable":
      return libqp.decode(body);
    default:
      return "unknown-cte";
  }
}

/**
 * BINARY[section] (RFC 3516): the part's body with its Content-Transfer-Encoding undone;
 * "unknown-cte" for an encoding it cannot undo (the server answers NO [UNKNOWN-CTE]); null when the
 * part does not exist (answered as an empty string). BINARY[] is the stored message as it is, and,
 * as Dovecot allows them, MIME/HEADER/TEXT sections are those of BODY[].
 */
export function binarySection(raw: Buffer, tree: MimeTree, spec: SectionSpec): Buffer | "unknown-cte" | null {
  if (spec.kind !== "" || spec.part.length === 0) return section(raw, tree, spec);
  const p = findPart(tree, spec.part);
  if (!p) return null;
  return decoded(raw.subarray(p.bodyStart, p.bodyEnd), p.encoding);
}

/** BINARY.SIZE[section]: the size of what BINARY[section] gives. */
export function binarySize(raw: Buffer, tree: MimeTree, spec: SectionSpec): number | "unknown-cte" | null {
  const bytes = binarySection(raw, tree, spec);
  return bytes === null || bytes === "unknown-cte" ? bytes : bytes.length;
}
