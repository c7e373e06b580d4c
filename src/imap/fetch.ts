/**
 * FETCH (RFC 9051 §6.4.5, RFC 3501, RFC 3516 BINARY, RFC 7162 CHANGEDSINCE/MODSEQ): what a client asked
 * for, parsed once per command, and one message's response built from its row, its stored bytes and
 * its MIME structure (computed once per body and kept in the database).
 */
import type { ImapRow } from "../mail/mailbox-access.service.js";
import {
  binarySection,
  binarySize,
  bodyStructure,
  envelope,
  type MimeTree,
  parseSectionSpec,
  partial,
  type SectionSpec,
  section,
} from "./mime-structure.js";
import type { ImapOut, ImapToken } from "./protocol/types.js";
import { serialize } from "./protocol/writer.js";

export type FetchItem =
  | { readonly kind: "uid" | "flags" | "internaldate" | "size" | "envelope" | "modseq" }
  | { readonly kind: "structure"; readonly extended: boolean }
  | {
      readonly kind: "section";
      /** The item's name in the response (`BODY[HEADER]<0>`, `RFC822.TEXT`, `BINARY[1]`). */
      readonly label: string;
      readonly spec: SectionSpec;
      readonly peek: boolean;
      readonly binary: boolean;
      readonly partial: readonly [number, number] | null;
    }
  | { readonly kind: "binarysize"; readonly label: string; readonly spec: SectionSpec };

export interface FetchPlan {
  readonly items: readonly FetchItem[];
  readonly needsRaw: boolean;
  readonly needsTree: boolean;
  /** A non-PEEK body item: the messages become \Seen (unless the folder is read-only). */
  readonly setsSeen: boolean;
  readonly changedSince: number | null;
  /** QRESYNC's VANISHED modifier (UID FETCH … (CHANGEDSINCE n VANISHED)). */
  readonly vanished: boolean;
}

export class FetchSyntaxError extends Error {
  override readonly name = "FetchSyntaxError";
}

const MACROS: Record<string, readonly string[]> = {
  ALL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
  FAST: ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
  FULL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
};

/** The text of a section as the response repeats it (`HEADER.FIELDS (DATE FROM)`). */
function sectionText(tokens: readonly ImapToken[]): string {
  return tokens
    .map((t) =>
      t.type === "atom"
        ? t.value.toUpperCase()
        : t.type === "list"
          ? serialize(
              t.items.map((x) =>
                x.type === "atom"
                  ? { atom: x.value.toUpperCase() }
                  : x.type === "string"
                    ? x.value.toString("utf8")
                    : null,
              ),
              { utf8: true },
            ).toString("utf8")
          : serialize(t.value.toString("utf8"), { utf8: true }).toString("utf8"),
    )
    .join(" ");
}

function item(token: ImapToken): FetchItem[] {
  if (token.type !== "atom") throw new FetchSyntaxError("invalid fetch attribute");
  const name = token.value.toUpperCase();
  if (token.section !== undefined) {
    const binary = name.startsWith("BINARY");
    if (!["BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE"].includes(name)) {
      throw new FetchSyntaxError(`invalid fetch attribute ${name.slice(0, 30)}`);
    }
    const spec = parseSectionSpec(token.section);
    if (typeof spec === "string") throw new FetchSyntaxError(spec);
    const base = name.replace(".PEEK", "");
    const text = sectionText(token.section);
    if (name === "BINARY.SIZE") return [{ kind: "binarysize", label: `BINARY.SIZE[${text}]`, spec }];
    const p = token.partial ?? null;
    return [
      {
        kind: "section",
        label: `${base}[${text}]${p ? `<${p[0]}>` : ""}`,
        spec,
        peek: name.endsWith(".PEEK"),
        binary,
        partial: p,
      },
    ];
  }
  switch (name) {
    case "UID":
      return [{ kind: "uid" }];
    case "FLAGS":
      return [{ kind: "flags" }];
    case "INTERNALDATE":
      return [{ kind: "internaldate" }];
    case "RFC822.SIZE":
      return [{ kind: "size" }];
    case "ENVELOPE":
      return [{ kind: "envelope" }];
    case "MODSEQ":
      return [{ kind: "modseq" }];
    case "BODY":
      return [{ kind: "structure", extended: false }];
    case "BODYSTRUCTURE":
      return [{ kind: "structure", extended: true }];
    case "RFC822":
    case "RFC822.HEADER":
    case "RFC822.TEXT": {
      const spec = parseSectionSpec(
        name === "RFC822" ? [] : [{ type: "atom", value: name === "RFC822.HEADER" ? "HEADER" : "TEXT" }],
      );
      if (typeof spec === "string") throw new FetchSyntaxError(spec);
      return [{ kind: "section", label: name, spec, peek: name === "RFC822.HEADER", binary: false, partial: null }];
    }
    default: {
      const macro = MACROS[name];
      if (macro) return macro.flatMap((n) => item({ type: "atom", value: n }));
      throw new FetchSyntaxError(`unknown fetch attribute ${name.slice(0, 30)}`);
    }
  }
}

/** Parses FETCH's items and modifiers (the arguments after the sequence set). */
export function parseFetch(args: readonly ImapToken[], uidCommand: boolean): FetchPlan {
  const [what, modifiers] = args;
  if (!what || args.length > 2) throw new FetchSyntaxError("FETCH needs a sequence set and the items to fetch");
  const items = (what.type === "list" ? what.items.flatMap(item) : item(what)).slice();
  if (items.length === 0) throw new FetchSyntaxError("no fetch item");
  let changedSince: number | null = null;
  let vanished = false;
  if (modifiers) {
    if (modifiers.type !== "list") throw new FetchSyntaxError("invalid fetch modifiers");
    const m = modifiers.items;
    for (let k = 0; k < m.length; k++) {
      const t = m[k];
      const name = t?.type === "atom" ? t.value.toUpperCase() : "";
      if (name === "CHANGEDSINCE") {
        const v = m[++k];
        const n = v?.type === "atom" && /^\d{1,19}$/.test(v.value) ? Number(v.value) : Number.NaN;
        if (!Number.isSafeInteger(n)) throw new FetchSyntaxError("CHANGEDSINCE needs a mod-sequence");
        changedSince = n;
      } else if (name === "VANISHED") {
        if (!uidCommand) throw new FetchSyntaxError("VANISHED is for UID FETCH");
        vanished = true;
      } else {
        throw new FetchSyntaxError(`unknown fetch modifier ${name.slice(0, 30)}`);
      }
    }
    if (vanished && changedSince === null) throw new FetchSyntaxError("VANISHED needs CHANGEDSINCE");
    if (changedSince !== null && !items.some((i) => i.kind === "modseq")) items.push({ kind: "modseq" });
  }
  if (uidCommand && !items.some((i) => i.kind === "uid")) items.unshift({ kind: "uid" });
  // The stored structure holds the envelope too: ENVELOPE reads the body only the first time.
  const needsTree = items.some(
    (i) =>
      i.kind === "structure" ||
      i.kind === "envelope" ||
      i.kind === "binarysize" ||
      (i.kind === "section" && (i.binary || i.spec.part.length > 0)),
  );
  const needsRaw = items.some((i) => i.kind === "section" || i.kind === "binarysize");
  return {
    items,
    needsRaw,
    needsTree,
    setsSeen: items.some((i) => i.kind === "section" && !i.peek),
    changedSince,
    vanished,
  };
}

/** The system flags and keywords of a row, as FLAGS lists them. */
export function flagsOf(row: ImapRow): ImapOut[] {
  const out: ImapOut[] = [];
  if (row.seen) out.push({ atom: "\\Seen" });
  if (row.answered) out.push({ atom: "\\Answered" });
  if (row.flagged) out.push({ atom: "\\Flagged" });
  if (row.deleted) out.push({ atom: "\\Deleted" });
  if (row.draft) out.push({ atom: "\\Draft" });
  for (const k of row.keywords.split(" ")) if (k !== "") out.push({ atom: k });
  return out;
}

const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** INTERNALDATE's form (`17-Jul-1996 02:44:25 +0000`), in UTC. */
export function internalDate(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}-${MONTH_NAMES[d.getUTCMonth()]}-${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

export interface MessageData {
  readonly row: ImapRow;
  readonly raw: Buffer | null;
  readonly tree: MimeTree | null;
}

/** The attributes of one message's FETCH response (a list to write after `* n FETCH `). */
export function fetchAttributes(plan: FetchPlan, m: MessageData, options: { condstore: boolean }): ImapOut[] {
  const out: ImapOut[] = [];
  const { row, raw, tree } = m;
  let flagsSent = false;
  for (const it of plan.items) {
    switch (it.kind) {
      case "uid":
        out.push({ atom: "UID" }, row.uid);
        break;
      case "flags":
        out.push({ atom: "FLAGS" }, flagsOf(row));
        flagsSent = true;
        break;
      case "internaldate":
        out.push({ atom: "INTERNALDATE" }, internalDate(row.received_at));
        break;
      case "size":
        out.push({ atom: "RFC822.SIZE" }, row.size);
        break;
      case "modseq":
        out.push({ atom: "MODSEQ" }, [row.modseq]);
        break;
      case "envelope":
        out.push({ atom: "ENVELOPE" }, envelope(tree ?? raw ?? Buffer.alloc(0)));
        break;
      case "structure":
        if (tree) out.push({ atom: it.extended ? "BODYSTRUCTURE" : "BODY" }, bodyStructure(tree, it.extended));
        break;
      case "section": {
        if (!raw) break;
        if (it.binary) {
          const decoded = tree ? binarySection(raw, tree, it.spec) : null;
          if (decoded === "unknown-cte") throw new UnknownCteError();
          const bytes =
            decoded === null ? Buffer.alloc(0) : it.partial ? partial(decoded, it.partial[0], it.partial[1]) : decoded;
          out.push({ atom: it.label }, { literal8: bytes });
          break;
        }
        const bytes = section(raw, tree, it.spec) ?? Buffer.alloc(0);
        out.push({ atom: it.label }, it.partial ? partial(bytes, it.partial[0], it.partial[1]) : bytes);
        break;
      }
      case "binarysize": {
        const size = raw && tree ? binarySize(raw, tree, it.spec) : null;
        if (size === "unknown-cte") throw new UnknownCteError();
        out.push({ atom: it.label }, size ?? 0);
        break;
      }
    }
  }
  if (options.condstore && flagsSent && !plan.items.some((i) => i.kind === "modseq")) {
    out.push({ atom: "MODSEQ" }, [row.modseq]);
  }
  return out;
}

/** BINARY of a part whose Content-Transfer-Encoding is unknown: `NO [UNKNOWN-CTE]` (RFC 3516). */
export class UnknownCteError extends Error {
  override readonly name = "UnknownCteError";
}
