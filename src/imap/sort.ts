/**
 * SORT (RFC 5256): the keys ARRIVAL, CC, DATE, FROM, SIZE, SUBJECT and TO, each possibly REVERSE,
 * over the messages a SEARCH finds; ties keep the message order. The keys come from the stored
 * columns (the arrival and the Date header as stored, the size, the subject, the first From), the
 * first To from the stored recipients' text, and CC from the header of the message itself.
 */
import addressparser from "nodemailer/lib/addressparser";
import type { SortRow } from "../mail/mailbox-access.service.js";
import type { ImapToken } from "./protocol/types.js";

export type SortKey = "ARRIVAL" | "CC" | "DATE" | "FROM" | "SIZE" | "SUBJECT" | "TO";
export interface SortCriterion {
  readonly key: SortKey;
  readonly reverse: boolean;
}

const KEYS = new Set<string>(["ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO"]);

/** The sort criteria list; a string: what is wrong. */
export function parseSortCriteria(token: ImapToken | undefined): SortCriterion[] | string {
  if (token?.type !== "list" || token.items.length === 0) return "SORT needs a list of sort keys";
  const out: SortCriterion[] = [];
  let reverse = false;
  for (const item of token.items) {
    const name = item.type === "atom" ? item.value.toUpperCase() : "";
    if (name === "REVERSE") {
      if (reverse) return "REVERSE twice";
      reverse = true;
      continue;
    }
    if (!KEYS.has(name)) return `Unknown sort key ${name.slice(0, 30)}`;
    out.push({ key: name as SortKey, reverse });
    reverse = false;
  }
  if (reverse || out.length === 0) return "REVERSE needs a sort key";
  return out;
}

/** RFC 5256 §2.1 base subject, simplified: no Re:/Fwd:/[list] prefixes, no (fwd) trailer, lower case. */
export function baseSubject(subject: string): string {
  let s = subject.replace(/\s+/g, " ").trim().toLowerCase();
  for (;;) {
    const before = s;
    s = s.replace(/^(?:\[[^\]]*\]\s*)?(?:re|fwd?|tr|réf)\s*(?:\[[^\]]*\])?\s*:\s*/u, "");
    s = s.replace(/\s*\(fwd\)$/, "");
    if (s === before) return s;
  }
}

function firstMailbox(list: string): string {
  const first = (addressparser(list, { flatten: true }) as { address?: string }[])[0];
  return (first?.address ?? "").split("@")[0]?.toLowerCase() ?? "";
}

/** Orders the rows (given in message order) by the criteria; `cc`: the first Cc mailbox of a row when needed. */
export function sortRows(
  rows: readonly SortRow[],
  criteria: readonly SortCriterion[],
  cc: Map<number, string>,
): SortRow[] {
  const value = (r: SortRow, key: SortKey): string | number => {
    switch (key) {
      case "ARRIVAL":
        return r.received_at;
      case "DATE":
        return r.sent_at;
      case "SIZE":
        return r.size;
      case "SUBJECT":
        return baseSubject(r.subject);
      case "FROM":
        return (r.from_address.split("@")[0] ?? "").toLowerCase();
      case "TO":
        return firstMailbox(r.to_text);
      case "CC":
        return cc.get(r.uid) ?? "";
    }
  };
  const keyed = rows.map((r, i) => ({ r, i, v: criteria.map((c) => value(r, c.key)) }));
  keyed.sort((a, b) => {
    for (const [k, c] of criteria.entries()) {
      const x = a.v[k] as string | number;
      const y = b.v[k] as string | number;
      const d = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "en");
      if (d !== 0) return c.reverse ? -d : d;
    }
    return a.i - b.i;
  });
  return keyed.map((k) => k.r);
}

/** The first Cc mailbox of a stored message's header. */
export function ccMailbox(header: string): string {
  const m = /^cc:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)/im.exec(header);
  return m?.[1] ? firstMailbox(m[1].replace(/\r?\n[ \t]/g, " ")) : "";
}
