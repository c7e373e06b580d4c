/**
 * Sequence sets (RFC 9051 §9 `sequence-set`): `1:5,7,9:*` as sorted, merged ranges — never expanded,
 * so `1:4294967295` costs nothing — and sets of numbers written back compactly (`1:3,5`) for
 * COPYUID, APPENDUID, VANISHED and ESEARCH.
 */

export const MAX_NUMBER = 4_294_967_295;

export interface SequenceSet {
  /** Sorted, non-overlapping, inclusive ranges. */
  ranges(): readonly (readonly [number, number])[];
  contains(n: number): boolean;
}

export type ParsedSet =
  | { readonly ok: true; readonly set: SequenceSet }
  | { readonly ok: false; readonly error: string };

/**
 * Parses a set; `star` is what `*` means (the largest message number or UID in use). `*` with
 * `star` 0 (an empty mailbox) leaves the range empty: callers decide whether that is an error.
 */
export function parseSequenceSet(text: string, star: number): ParsedSet {
  if (text.length === 0 || text.length > 100_000) return { ok: false, error: "Invalid sequence set" };
  const raw: [number, number][] = [];
  for (const part of text.split(",")) {
    const m = /^(\d+|\*)(?::(\d+|\*))?$/.exec(part);
    if (!m) return { ok: false, error: "Invalid sequence set" };
    const value = (s: string): number | null => {
      if (s === "*") return star;
      if (s.length > 10) return null;
      const n = Number(s);
      return n >= 1 && n <= MAX_NUMBER ? n : null;
    };
    const a = value(m[1] as string);
    const b = m[2] === undefined ? a : value(m[2]);
    if (a === null || b === null) return { ok: false, error: "Invalid sequence set: numbers run from 1 to 4294967295" };
    if (a === 0 || b === 0) continue; // `*` in an empty mailbox
    raw.push(a <= b ? [a, b] : [b, a]);
  }
  raw.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const r of raw) {
    const last = merged.at(-1);
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return {
    ok: true,
    set: {
      ranges: () => merged,
      contains: (n) => {
        let lo = 0;
        let hi = merged.length - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const [a, b] = merged[mid] as [number, number];
          if (n < a) hi = mid - 1;
          else if (n > b) lo = mid + 1;
          else return true;
        }
        return false;
      },
    },
  };
}

/**
 * Numbers written as a set. `sort` (the default) sorts and merges them (`1:3,5`); false keeps their
 * order (COPYUID pairs source and destination UIDs by position), merging only consecutive runs.
 */
export function formatSet(numbers: readonly number[], sort = true): string {
  const list = sort ? [...numbers].sort((a, b) => a - b) : numbers;
  const out: string[] = [];
  let start: number | undefined;
  let prev: number | undefined;
  for (const n of list) {
    if (start !== undefined && prev !== undefined && n === prev + 1) {
      prev = n;
      continue;
    }
    if (start !== undefined && prev !== undefined) out.push(start === prev ? `${start}` : `${start}:${prev}`);
    start = n;
    prev = n;
  }
  if (start !== undefined && prev !== undefined) out.push(start === prev ? `${start}` : `${start}:${prev}`);
  return out.join(",");
}
