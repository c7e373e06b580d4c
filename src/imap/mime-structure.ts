/**
 * A message's MIME structure for IMAP FETCH (RFC 9051 §6.4.5, §7.5.2): the parts with their byte
 * offsets in the stored message (from the MIME splitter `@zone-eu/mailsplit`, header values parsed
 * by `libmime`), computed once per stored body and kept as JSON; then BODY/BODYSTRUCTURE, ENVELOPE
 * (addresses through nodemailer's addressparser), BODY[section] as the exact stored bytes, partials,
 * and BINARY (base64 and quoted-printable decoded by `libbase64`/`libqp`).
 */
import { Headers, type MimeNode, Splitter } from "@zone-eu/mailsplit";
import libbase64 from "libbase64";
import libmime from "libmime";
import libqp from "libqp";
import addressparser from "nodemailer/lib/addressparser";
import type { ImapOut, ImapToken } from "./protocol/types.js";

/** Bumped when the stored form changes: older trees are computed again. */
export const TREE_VERSION = 1;

type Params = readonly (readonly [string, string])[];

export interface MimePart {
  readonly headerStart: number;
  readonly bodyStart: number;
  readonly bodyEnd: number;
  readonly type: string;
  readonly subtype: string;
  readonly params: Params;
  readonly id: string | null;
  readonly description: string | null;
  readonly encoding: string;
  readonly md5: string | null;
  readonly disposition: readonly [string, Params] | null;
  readonly language: readonly string[] | null;
  readonly location: string | null;
  /** Lines of a text/* or message/rfc822 body. */
  readonly lines: number;
  readonly children?: readonly MimePart[];
  /** message/rfc822: the message inside (offsets in the same stored bytes). */
  readonly message?: MimePart;
}

export interface MimeTree {
  readonly version: number;
  readonly root: MimePart;
}

const MAX_NESTED_MESSAGES = 8;

interface Collected {
  node: MimeNode;
  headerStart: number;
  headerLength: number;
  bodyLength: number;
  children: Collected[];
  end: number;
}

function countLines(bytes: Buffer): number {
  if (bytes.length === 0) return 0;
  let n = 0;
  let at = bytes.indexOf(10);
  while (at >= 0) {
    n++;
    at = bytes.indexOf(10, at + 1);
  }
  return bytes[bytes.length - 1] === 10 ? n : n + 1;
}

function paramsOf(value: { params: Record<string, string> }): Params {
  return Object.entries(value.params).map(([k, v]) => [k.toUpperCase(), v] as const);
}

async function split(raw: Buffer): Promise<Collected | null> {
  const splitter = new Splitter({ ignoreEmbedded: true });
  const byNode = new Map<MimeNode, Collected>();
  let root: Collected | null = null;
  let last: Collected | null = null;
  let cursor = 0;
  splitter.end(raw);
  // Every chunk is the next bytes of the message, in order: offsets are their running sum.
  for await (const chunk of splitter) {
    if (chunk.type === "node") {
      const node = chunk as MimeNode;
      const headerLength = node.getHeaders().length;
      const c: Collected = { node, headerStart: cursor, headerLength, bodyLength: 0, children: [], end: 0 };
      cursor += headerLength;
      byNode.set(node, c);
      const parent = node.parentNode ? byNode.get(node.parentNode as MimeNode) : undefined;
      if (parent) parent.children.push(c);
      else root ??= c;
      last = c;
      continue;
    }
    const length = (chunk.value as Buffer | undefined)?.length ?? 0;
    if (chunk.type === "body" && last) (last as Collected).bodyLength += length;
    cursor += length;
  }
  return root;
}

/** Where a nested multipart ends: before the next delimiter line of its parent's boundary. */
function multipartEnd(raw: Buffer, from: number, parentBoundary: Buffer | false, limit: number): number {
  if (!parentBoundary) return limit;
  const needle = Buffer.concat([Buffer.from("\n--"), parentBoundary]);
  const at = raw.indexOf(needle, from);
  if (at < 0 || at > limit) return limit;
  return at > 0 && raw[at - 1] === 13 ? at - 1 : at;
}

function build(raw: Buffer, c: Collected, limit: number, depth: number): MimePart {
  const headers = c.node.headers || new Headers(Buffer.alloc(0));
  const bodyStart = c.headerStart + c.headerLength;
  const children = c.children;
  let end: number;
  if (c.node.multipart) {
    const built = children.map((child) => build(raw, child, limit, depth));
    const lastEnd = built.reduce((m, p) => Math.max(m, p.bodyEnd), bodyStart);
    const parent = c.node.parentNode;
    end = parent ? multipartEnd(raw, lastEnd, parent._boundary, limit) : limit;
    return describe(raw, headers, c.headerStart, bodyStart, end, built, depth);
  }
  end = Math.min(bodyStart + c.bodyLength, limit);
  return describe(raw, headers, c.headerStart, bodyStart, end, undefined, depth);
}

function describe(
  raw: Buffer,
  headers: InstanceType<typeof Headers>,
  headerStart: number,
  bodyStart: number,
  bodyEnd: number,
  children: MimePart[] | undefined,
  depth: number,
): MimePart {
  const ctRaw = headers.getFirst("content-type");
  const ct = libmime.parseHeaderValue(ctRaw || "text/plain");
  let [type = "text", subtype = "plain"] = ct.value.toLowerCase().split("/");
  if (!ctRaw || !subtype) {
    type = "text";
    subtype = "plain";
  }
  let params = paramsOf(ct);
  if (!ctRaw) params = [["CHARSET", "us-ascii"]];
  const cdRaw = headers.getFirst("content-disposition");
  const cd = cdRaw ? libmime.parseHeaderValue(cdRaw) : null;
  const text = (key: string) => headers.getFirst(key).trim() || null;
  const language = text("content-language");
  const body = raw.subarray(bodyStart, bodyEnd);
  const isMessage = type === "message" && (subtype === "rfc822" || subtype === "global");
  void depth; // the message inside a message/rfc822 part is parsed by withMessages (async)
  const part: MimePart = {
    headerStart,
    bodyStart,
    bodyEnd,
    type,
    subtype,
    params,
    id: text("content-id"),
    description: text("content-description"),
    encoding: (text("content-transfer-encoding") ?? "7bit").toLowerCase(),
    md5: text("content-md5"),
    disposition: cd ? [cd.value.toLowerCase(), paramsOf(cd)] : null,
    language: language
      ? language
          .split(",")
          .map((l) => l.trim())
          .filter(Boolean)
      : null,
    location: text("content-location"),
    lines: type === "text" || isMessage ? countLines(body) : 0,
    ...(children ? { children } : {}),
  };
  return part;
}

/** Parses the message inside each message/rfc822 part (offsets shifted into the outer bytes). */
async function withMessages(raw: Buffer, part: MimePart, depth: number): Promise<MimePart> {
  const children = part.children ? await Promise.all(part.children.map((c) => withMessages(raw, c, depth))) : undefined;
  let message: MimePart | undefined;
  if (
    part.type === "message" &&
    (part.subtype === "rfc822" || part.subtype === "global") &&
    depth < MAX_NESTED_MESSAGES
  ) {
    const inner = raw.subarray(part.bodyStart, part.bodyEnd);
    const tree = await parseAt(inner, depth + 1);
    message = shift(tree, part.bodyStart);
  }
  return { ...part, ...(children ? { children } : {}), ...(message ? { message } : {}) };
}

function shift(p: MimePart, by: number): MimePart {
  return {
    ...p,
    headerStart: p.headerStart + by,
    bodyStart: p.bodyStart + by,
    bodyEnd: p.bodyEnd + by,
    ...(p.children ? { children: p.children.map((c) => shift(c, by)) } : {}),
    ...(p.message ? { message: shift(p.message, by) } : {}),
  };
}

async function parseAt(raw: Buffer, depth: number): Promise<MimePart> {
  const collected = await split(raw);
  if (!collected) return describe(raw, new Headers(Buffer.alloc(0)), 0, 0, raw.length, undefined, depth);
  const root = build(raw, collected, raw.length, depth);
  return withMessages(raw, { ...root, bodyEnd: root.children ? raw.length : root.bodyEnd }, depth);
}

export async function parseStructure(raw: Buffer): Promise<MimeTree> {
  return { version: TREE_VERSION, root: await parseAt(raw, 0) };
}

// BODY and BODYSTRUCTURE

const nilOr = (v: string | null): ImapOut => v;
const paramList = (params: Params): ImapOut => (params.length === 0 ? null : params.flat());

function extension(p: MimePart): ImapOut[] {
  return [
    p.disposition ? [p.disposition[0].toUpperCase(), paramList(p.disposition[1])] : null,
    p.language ? (p.language.length === 1 ? (p.language[0] as string) : [...p.language]) : null,
    nilOr(p.location),
  ];
}

function structure(p: MimePart, extended: boolean, raw: Buffer | null): ImapOut {
  if (p.children && p.children.length > 0) {
    const parts: ImapOut[] = p.children.map((c) => structure(c, extended, raw));
    parts.push(p.subtype.toUpperCase());
    if (extended) parts.push(paramList(p.params), ...extension(p));
    return parts;
  }
  const size = p.bodyEnd - p.bodyStart;
  const fields: ImapOut[] = [
    p.type.toUpperCase(),
    p.subtype.toUpperCase(),
    paramList(p.params),
    nilOr(p.id),
    nilOr(p.description),
    p.encoding.toUpperCase(),
    size,
  ];
  if (p.type === "message" && (p.subtype === "rfc822" || p.subtype === "global") && p.message) {
    fields.push(envelopeOfPart(p.message, raw), structure(p.message, extended, raw), p.lines);
  } else if (p.type === "text") {
    fields.push(p.lines);
  }
  if (extended) fields.push(nilOr(p.md5), ...extension(p));
  return fields;
}

/** BODY (`extended` false) or BODYSTRUCTURE (true). */
export function bodyStructure(tree: MimeTree, extended: boolean, raw: Buffer | null = null): ImapOut {
  return structure(tree.root, extended, raw);
}

// ENVELOPE

function headerBlock(raw: Buffer, start = 0, end = raw.length): Buffer {
  const crlf = raw.indexOf("\r\n\r\n", start);
  const lf = raw.indexOf("\n\n", start);
  let stop = end;
  if (crlf >= 0 && crlf < stop) stop = crlf + 4;
  if (lf >= 0 && lf + 2 < stop) stop = lf + 2;
  return raw.subarray(start, Math.min(stop, end));
}

type Address = { name?: string; address?: string; group?: Address[] };

function addresses(value: string): ImapOut {
  if (value.trim() === "") return null;
  const list = addressparser(value) as Address[];
  const out: ImapOut[] = [];
  const one = (a: Address): ImapOut => {
    const address = a.address ?? "";
    const at = address.lastIndexOf("@");
    const mailbox = at >= 0 ? address.slice(0, at) : address;
    const host = at >= 0 ? address.slice(at + 1) : null;
    return [a.name ? a.name : null, null, mailbox === "" ? null : mailbox, host === "" ? null : host];
  };
  for (const a of list) {
    if (a.group) {
      out.push([null, null, a.name ?? "", null]);
      for (const m of a.group) out.push(one(m));
      out.push([null, null, null, null]);
    } else out.push(one(a));
  }
  return out.length === 0 ? null : out;
}

function envelopeOf(header: Buffer): ImapOut {
  const h = new Headers(header);
  const value = (key: string): string | null => (h.hasHeader(key) ? h.getFirst(key) : null);
  const from = addresses(value("from") ?? "");
  const sender = addresses(value("sender") ?? "") ?? from;
  const replyTo = addresses(value("reply-to") ?? "") ?? from;
  return [
    value("date"),
    value("subject"),
    from,
    sender,
    replyTo,
    addresses(value("to") ?? ""),
    addresses(value("cc") ?? ""),
    addresses(value("bcc") ?? ""),
    value("in-reply-to"),
    value("message-id"),
  ];
}

function envelopeOfPart(message: MimePart, raw: Buffer | null): ImapOut {
  if (!raw) return [null, null, null, null, null, null, null, null, null, null];
  return envelopeOf(raw.subarray(message.headerStart, message.bodyStart));
}

/** ENVELOPE of a stored message (its first header block). */
export function envelope(raw: Buffer): ImapOut {
  return envelopeOf(headerBlock(raw));
}

// BODY[section]

export interface SectionSpec {
  /** Part numbers (`1.2` → [1, 2]); empty: the message itself. */
  readonly part: readonly number[];
  readonly kind: "" | "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME";
  readonly fields: readonly string[];
}

/** The section of a fetch attribute from the reader's tokens; a string: what is wrong. */
export function parseSectionSpec(tokens: readonly ImapToken[]): SectionSpec | string {
  if (tokens.length === 0) return { part: [], kind: "", fields: [] };
  const [first, list, ...rest] = tokens;
  if (first?.type !== "atom" || rest.length > 0) return "Invalid section";
  const m = /^((?:[1-9]\d{0,8}\.)*[1-9]\d{0,8})?(?:^|\.)?(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME)?$/i.exec(
    first.value,
  );
  if (!m || (m[1] === undefined && m[2] === undefined)) return "Invalid section";
  const part = m[1] ? m[1].split(".").map(Number) : [];
  const kind = (m[2]?.toUpperCase() ?? "") as SectionSpec["kind"];
  if (kind === "MIME" && part.length === 0) return "MIME needs a part number";
  if (m[1] && m[2] && !first.value.includes(".")) return "Invalid section";
  const wantsList = kind === "HEADER.FIELDS" || kind === "HEADER.FIELDS.NOT";
  if (wantsList !== (list !== undefined))
    return wantsList ? "HEADER.FIELDS needs a list of field names" : "Invalid section";
  let fields: string[] = [];
  if (list) {
    if (list.type !== "list" || list.items.length === 0) return "HEADER.FIELDS needs a list of field names";
    fields = list.items.map((t) =>
      (t.type === "list" ? "" : t.type === "atom" ? t.value : t.value.toString("latin1")).toLowerCase(),
    );
    if (fields.some((f) => f === "" || !/^[\x21-\x39\x3b-\x7e]+$/.test(f))) return "Invalid header field name";
  }
  return { part, kind, fields };
}

/** The part at a part number (RFC 9051 §6.4.5), or null. */
function partAt(tree: MimeTree, numbers: readonly number[]): MimePart | null {
  let cur: MimePart | null = tree.root;
  for (const [i, n] of numbers.entries()) {
    if (!cur) return null;
    if (i > 0 && cur.message) cur = cur.message;
    if (cur.children) cur = cur.children[n - 1] ?? null;
    else if (n !== 1) return null;
  }
  return cur;
}

function headerFields(header: Buffer, fields: readonly string[], not: boolean): Buffer {
  const h = new Headers(header);
  const wanted = new Set(fields);
  const lines = h
    .getList()
    .filter((l) => wanted.has(l.key.toLowerCase()) !== not)
    .map((l) => `${typeof l.line === "string" ? l.line : String(l.line)}\r\n`);
  return Buffer.from(`${lines.join("")}\r\n`, "latin1");
}

/**
 * The bytes of BODY[section] (the stored bytes, never re-encoded), or null when the part does not
 * exist (answered as an empty string, as Dovecot does).
 */
export function section(raw: Buffer, tree: MimeTree | null, spec: SectionSpec): Buffer | null {
  if (spec.part.length === 0) {
    const header = headerBlock(raw);
    switch (spec.kind) {
      case "":
        return raw;
      case "HEADER":
        return header;
      case "TEXT":
        return raw.subarray(header.length);
      case "HEADER.FIELDS":
      case "HEADER.FIELDS.NOT":
        return headerFields(header, spec.fields, spec.kind === "HEADER.FIELDS.NOT");
      default:
        return null;
    }
  }
  if (!tree) return null;
  const p = partAt(tree, spec.part);
  if (!p) return null;
  switch (spec.kind) {
    case "":
      return raw.subarray(p.bodyStart, p.bodyEnd);
    case "MIME":
      return raw.subarray(p.headerStart, p.bodyStart);
    default: {
      const m = p.message;
      if (!m) return null;
      const header = raw.subarray(m.headerStart, m.bodyStart);
      if (spec.kind === "HEADER") return header;
      if (spec.kind === "TEXT") return raw.subarray(m.bodyStart, m.bodyEnd);
      return headerFields(header, spec.fields, spec.kind === "HEADER.FIELDS.NOT");
    }
  }
}

/** `<offset.length>` of a section (RFC 9051: past the end, an empty string). */
export function partial(bytes: Buffer, offset: number, length: number): Buffer {
  if (offset >= bytes.length) return Buffer.alloc(0);
  return bytes.subarray(offset, Math.min(bytes.length, offset + length));
}

/** BINARY[section] (RFC 3516): the part's content decoded; "unknown-cte" for an encoding it cannot undo. */
export function binarySection(raw: Buffer, tree: MimeTree, spec: SectionSpec): Buffer | "unknown-cte" | null {
  if (spec.kind !== "") return null;
  if (spec.part.length === 0) return raw;
  const p = partAt(tree, spec.part);
  if (!p || p.children) return null;
  const body = raw.subarray(p.bodyStart, p.bodyEnd);
  switch (p.encoding) {
    case "7bit":
    case "8bit":
    case "binary":
      return body;
    case "base64":
      return libbase64.decode(body.toString("latin1"));
    case "quoted-printable":
      return libqp.decode(body);
    default:
      return "unknown-cte";
  }
}
