/**
 * SEARCH keys (RFC 9051 §6.4.4, RFC 3501 §6.4.4, RFC 7162 MODSEQ, RFC 4731 ESEARCH return options)
 * turned into the store's criterion (mail/imap.repository.ts): flags, sizes, dates and UIDs as
 * columns, words through the webmail's full-text index. Sequence sets are resolved by the session
 * (it knows the message numbers) through `resolve`.
 */
import { type Criterion, searchWords } from "../mail/mailbox-access.service.js";
import type { ImapToken } from "./protocol/types.js";

export type UidRanges = readonly (readonly [number, number])[];

export interface SearchContext {
  /** A sequence set as UID ranges: `uid` true for `UID 1:5`, false for message numbers; a string is an error. */
  resolve(set: string, uid: boolean): UidRanges | string;
}

export interface ParsedSearch {
  readonly criterion: Criterion;
  /** ESEARCH's RETURN options (MIN MAX ALL COUNT), null without RETURN (a classic SEARCH answer). */
  readonly returns: readonly string[] | null;
  /** A MODSEQ criterion was given: the answer carries the highest MODSEQ (RFC 7162 §3.1.5). */
  readonly usesModseq: boolean;
}

export class SearchSyntaxError extends Error {
  override readonly name = "SearchSyntaxError";
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const RETURN_OPTIONS = new Set(["MIN", "MAX", "ALL", "COUNT"]);
const MAX_KEYS = 200;

function text(token: ImapToken | undefined, what: string): string {
  if (!token) throw new SearchSyntaxError(`missing ${what}`);
  if (token.type === "list") throw new SearchSyntaxError(`${what} must be a string`);
  return token.type === "atom" ? token.value : token.value.toString("utf8");
}

/** An IMAP date (`1-Feb-1994`) as YYYY-MM-DD. */
export function imapDay(value: string): string {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(value);
  const month = m ? MONTHS.indexOf((m[2] ?? "").toLowerCase()) : -1;
  const day = Number(m?.[1]);
  if (!m || month < 0 || day < 1 || day > 31) throw new SearchSyntaxError(`invalid date ${value.slice(0, 40)}`);
  return `${m[3]}-${String(month + 1).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

function number(token: ImapToken | undefined, what: string): number {
  const t = text(token, what);
  if (!/^\d{1,20}$/.test(t)) throw new SearchSyntaxError(`${what} must be a number`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw new SearchSyntaxError(`${what} is too large`);
  return n;
}

function wordsOf(field: "sender" | "recipients" | "subject" | "body" | null, value: string): Criterion {
  const words = searchWords(value);
  // Nothing searchable typed ("!!!"): every message has the empty string.
  if (words.length === 0) return { kind: "all" };
  return { kind: "words", field, words };
}

/** Parses the arguments of SEARCH (after the command name). */
export function parseSearch(input: readonly ImapToken[], ctx: SearchContext): ParsedSearch {
  // The argument vector being read: the command's, or a parenthesised list's while inside it.
  let args: readonly ImapToken[] = input;
  let i = 0;
  let returns: string[] | null = null;
  let usesModseq = false;
  let keys = 0;
  const first = args[0];
  if (first?.type === "atom" && first.value.toUpperCase() === "RETURN") {
    const list = args[1];
    if (list?.type !== "list") throw new SearchSyntaxError("RETURN needs a list of options");
    returns = [];
    for (const item of list.items) {
      const opt = text(item, "return option").toUpperCase();
      if (!RETURN_OPTIONS.has(opt)) throw new SearchSyntaxError(`unsupported return option ${opt.slice(0, 20)}`);
      returns.push(opt);
    }
    if (returns.length === 0) returns.push("ALL");
    i = 2;
  }
  const charset = args[i];
  if (charset?.type === "atom" && charset.value.toUpperCase() === "CHARSET") {
    const name = text(args[i + 1], "charset").toUpperCase();
    if (name !== "UTF-8" && name !== "US-ASCII") throw new SearchSyntaxError("BADCHARSET");
    i += 2;
  }

  const key = (depth: number): Criterion => {
    if (depth > 50) throw new SearchSyntaxError("search keys nested too deeply");
    if (++keys > MAX_KEYS) throw new SearchSyntaxError("too many search keys");
    const token = args[i++];
    if (!token) throw new SearchSyntaxError("missing search key");
    if (token.type === "list") return parseList(token.items, depth + 1);
    const name = token.type === "atom" ? token.value.toUpperCase() : "";
    const flag = (f: "seen" | "answered" | "flagged" | "deleted" | "draft", set: boolean): Criterion => ({
      kind: "flag",
      flag: f,
      set,
    });
    switch (name) {
      case "ALL":
      case "OLD":
        return { kind: "all" };
      case "RECENT":
        return { kind: "none" }; // nothing is \Recent here
      case "NEW":
      case "UNSEEN":
        return flag("seen", false);
      case "SEEN":
        return flag("seen", true);
      case "ANSWERED":
        return flag("answered", true);
      case "UNANSWERED":
        return flag("answered", false);
      case "DELETED":
        return flag("deleted", true);
      case "UNDELETED":
        return flag("deleted", false);
      case "DRAFT":
        return flag("draft", true);
      case "UNDRAFT":
        return flag("draft", false);
      case "FLAGGED":
        return flag("flagged", true);
      case "UNFLAGGED":
        return flag("flagged", false);
      case "KEYWORD":
      case "UNKEYWORD": {
        const k = text(args[i++], "keyword");
        const system = k.startsWith("\\") ? systemFlag(k) : null;
        if (system) return flag(system, name === "KEYWORD");
        return { kind: "keyword", keyword: k, set: name === "KEYWORD" };
      }
      case "LARGER":
        return { kind: "size", op: ">", bytes: number(args[i++], "size") };
      case "SMALLER":
        return { kind: "size", op: "<", bytes: number(args[i++], "size") };
      case "BEFORE":
      case "ON":
      case "SINCE":
        return {
          kind: "date",
          field: "internal",
          op: name === "BEFORE" ? "before" : name === "ON" ? "on" : "since",
          day: imapDay(text(args[i++], "date")),
        };
      case "SENTBEFORE":
      case "SENTON":
      case "SENTSINCE":
        return {
          kind: "date",
          field: "sent",
          op: name === "SENTBEFORE" ? "before" : name === "SENTON" ? "on" : "since",
          day: imapDay(text(args[i++], "date")),
        };
      case "FROM":
        return wordsOf("sender", text(args[i++], "string"));
      case "TO":
      case "CC":
      case "BCC":
        return wordsOf("recipients", text(args[i++], "string"));
      case "SUBJECT":
        return wordsOf("subject", text(args[i++], "string"));
      case "BODY":
        return wordsOf("body", text(args[i++], "string"));
      case "TEXT":
        return wordsOf(null, text(args[i++], "string"));
      case "HEADER": {
        const field = text(args[i++], "header name").toLowerCase();
        const value = text(args[i++], "string");
        if (field === "message-id") {
          return value === "" ? { kind: "all" } : { kind: "header", column: "message_id", value: value.trim() };
        }
        const mapped =
          field === "from" || field === "sender" || field === "reply-to"
            ? "sender"
            : field === "to" || field === "cc" || field === "bcc"
              ? "recipients"
              : field === "subject"
                ? "subject"
                : null;
        return wordsOf(mapped, value);
      }
      case "NOT":
        return { kind: "not", of: key(depth + 1) };
      case "OR": {
        const a = key(depth + 1);
        const b = key(depth + 1);
        return { kind: "or", of: [a, b] };
      }
      case "UID": {
        const ranges = ctx.resolve(text(args[i++], "sequence set"), true);
        if (typeof ranges === "string") throw new SearchSyntaxError(ranges);
        return { kind: "uids", ranges };
      }
      case "MODSEQ": {
        // MODSEQ [entry-name entry-type-req] mod-sequence-valzer
        let t = args[i++];
        if (t && (t.type === "string" || (t.type === "atom" && t.value.startsWith("/")))) {
          i++; // entry type: priv, shared, all — one MODSEQ per message here
          t = args[i++];
        }
        usesModseq = true;
        return { kind: "modseq", min: number(t, "mod-sequence") };
      }
      default: {
        if (token.type === "atom" && /^[\d*:,]+$/.test(token.value)) {
          const ranges = ctx.resolve(token.value, false);
          if (typeof ranges === "string") throw new SearchSyntaxError(ranges);
          return { kind: "uids", ranges };
        }
        throw new SearchSyntaxError(`unknown search key ${name.slice(0, 30) || "(string)"}`);
      }
    }
  };

  const parseList = (items: readonly ImapToken[], depth: number): Criterion => {
    // The list's items as their own argument vector, then back to where we were.
    const saved = { args, i };
    args = items;
    i = 0;
    const all: Criterion[] = [];
    while (i < args.length) all.push(key(depth));
    args = saved.args;
    i = saved.i;
    if (all.length === 0) throw new SearchSyntaxError("empty parenthesised search key");
    return all.length === 1 ? (all[0] as Criterion) : { kind: "and", of: all };
  };

  const all: Criterion[] = [];
  while (i < args.length) all.push(key(0));
  if (all.length === 0) throw new SearchSyntaxError("missing search key");
  return {
    criterion: all.length === 1 ? (all[0] as Criterion) : { kind: "and", of: all },
    returns,
    usesModseq,
  };
}

function systemFlag(flag: string): "seen" | "answered" | "flagged" | "deleted" | "draft" | null {
  const f = flag.toLowerCase();
  if (f === "\\seen") return "seen";
  if (f === "\\answered") return "answered";
  if (f === "\\flagged") return "flagged";
  if (f === "\\deleted") return "deleted";
  if (f === "\\draft") return "draft";
  return null;
}
