/**
 * Sequence sets (RFC 9051 §9 `sequence-set`): `1:5,7,9:*` as sorted, merged ranges — never expanded,
 * so `1:4294967295` costs two numbers — and sets of numbers written back compactly (`1:3,5`) for
 * COPYUID, APPENDUID, VANISHED and ESEARCH.
 *
 * `*` is the largest number in use (RFC 9051 §6.4.8, §6.4.9, §9 `seq-number`): the number of
 * messages for message sequence numbers, the highest UID for UIDs. A range is unordered (`5:*` when
 * the largest is 3 is `3:5`, so `559:*` always holds the last UID). In an empty mailbox `*` is an
 * error for message numbers and matches nothing for UIDs.
 */

/** The largest message number or UID (RFC 9051 §9 `nz-number`, unsigned 32-bit). */
export const MAX_NUMBER = 4_294_967_295;

/** An inclusive range `[from, to]`, from ≤ to. */
export type Range = readonly [from: number, to: number];

/** What the numbers of a set are: message sequence numbers or UIDs (they differ on `*` when empty). */
export type SetKind = "seq" | "uid";

export type ParsedSet =
  | { readonly ok: true; readonly set: SequenceSet }
  | { readonly ok: false; readonly error: string };

const INVALID = "Invalid sequence set";

/** An immutable set of numbers as sorted, non-overlapping, non-adjacent ranges. */
export class SequenceSet {
  readonly #ranges: readonly Range[];

  private constructor(ranges: readonly Range[]) {
    this.#ranges = ranges;
  }

  static readonly EMPTY = new SequenceSet([]);

  /** A set from ranges in any order, overlapping or not (`[5, 1]` is `[1, 5]`). */
  static fromRanges(ranges: Iterable<readonly [number, number]>): SequenceSet {
    const list: [number, number][] = [];
    for (const [a, b] of ranges) {
      if (!isNumber(a) || !isNumber(b)) throw new RangeError(`not a message number or UID: ${a}:${b}`);
      list.push(a <= b ? [a, b] : [b, a]);
    }
    return new SequenceSet(merge(list));
  }

  /** A set from numbers in any order (duplicates allowed). */
  static fromNumbers(numbers: Iterable<number>): SequenceSet {
    const list: [number, number][] = [];
    for (const n of numbers) {
      if (!isNumber(n)) throw new RangeError(`not a message number or UID: ${n}`);
      list.push([n, n]);
    }
    return new SequenceSet(merge(list));
  }

  /** Sorted, non-overlapping, inclusive ranges. */
  ranges(): readonly Range[] {
    return this.#ranges;
  }

  contains(n: number): boolean {
    const r = this.#ranges;
    let lo = 0;
    let hi = r.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const [a, b] = r[mid] as Range;
      if (n < a) hi = mid - 1;
      else if (n > b) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** How many numbers the set holds (without listing them). */
  count(): number {
    let total = 0;
    for (const [a, b] of this.#ranges) total += b - a + 1;
    return total;
  }

  get isEmpty(): boolean {
    return this.#ranges.length === 0;
  }

  /** The smallest number, or null when empty. */
  min(): number | null {
    return this.#ranges[0]?.[0] ?? null;
  }

  /** The largest number, or null when empty. */
  max(): number | null {
    return this.#ranges.at(-1)?.[1] ?? null;
  }

  /** The set written compactly (`1:3,5`); the empty string for an empty set. */
  toString(): string {
    return formatRanges(this.#ranges);
  }
}

/**
 * Parses a sequence set. `star` is what `*` means: the number of messages (`kind` "seq") or the
 * highest UID in use (`kind` "uid", the default); 0 when the mailbox is empty. Numbers run from 1 to
 * 4294967295; with `star` 0, `*` is an error for message numbers, and for UIDs the ranges using it
 * are dropped (nothing matches them).
 */
export function parseSequenceSet(text: string, star: number, kind: SetKind = "uid"): ParsedSet {
  if (text.length === 0) return { ok: false, error: `${INVALID}: empty` };
  if (text.length > 1_000_000) return { ok: false, error: `${INVALID}: too long` };
  const list: [number, number][] = [];
  let i = 0;
  for (;;) {
    const a = readNumber(text, i, star);
    if (typeof a === "string") return { ok: false, error: a };
    i = a.end;
    let b = a;
    if (text.charCodeAt(i) === 0x3a /* : */) {
      const second = readNumber(text, i + 1, star);
      if (typeof second === "string") return { ok: false, error: second };
      b = second;
      i = second.end;
    }
    if (a.star || b.star) {
      if (star === 0 && kind === "seq") return { ok: false, error: `${INVALID}: * in an empty mailbox` };
    }
    if (a.value !== 0 && b.value !== 0) list.push(a.value <= b.value ? [a.value, b.value] : [b.value, a.value]);
    if (i === text.length) break;
    if (text.charCodeAt(i) !== 0x2c /* , */) return { ok: false, error: `${INVALID}: unexpected character` };
    i++;
  }
  return { ok: true, set: list.length === 0 ? SequenceSet.EMPTY : SequenceSet.fromRanges(list) };
}

/** A number (1 to 4294967295) or `*` at `i`; an error text otherwise. */
function readNumber(text: string, i: number, star: number): { value: number; star: boolean; end: number } | string {
  if (text.charCodeAt(i) === 0x2a /* * */) return { value: star, star: true, end: i + 1 };
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c < 0x30 || c > 0x39) break;
    j++;
  }
  if (j === i) return `${INVALID}: expected a number or *`;
  if (j - i > 10) return `${INVALID}: numbers run from 1 to 4294967295`;
  const value = Number(text.slice(i, j));
  if (value < 1 || value > MAX_NUMBER) return `${INVALID}: numbers run from 1 to 4294967295`;
  return { value, star: false, end: j };
}

/** Sorts and merges ranges (overlapping or adjacent ones become one). */
function merge(list: [number, number][]): Range[] {
  list.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const r of list) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) {
      if (r[1] > last[1]) last[1] = r[1];
    } else out.push([r[0], r[1]]);
  }
  return out;
}

function isNumber(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_NUMBER;
}

/** Ranges written compactly: `1:3,5,9:12` (a range of one number is the number). */
export function formatRanges(ranges: Iterable<readonly [number, number]>): string {
  const out: string[] = [];
  for (const [a, b] of ranges) out.push(a === b ? `${a}` : `${a}:${b}`);
  return out.join(",");
}

/**
 * Numbers written as a set. `sort` (the default) sorts and merges them (`1:3,5`, duplicates once);
 * false keeps their order (COPYUID pairs source and destination UIDs by position), joining only
 * ascending runs of consecutive numbers.
 */
export function formatSet(numbers: readonly number[], sort = true): string {
  const list = sort ? Float64Array.from(numbers).sort() : numbers;
  const out: string[] = [];
  let start = 0;
  let prev = 0;
  let open = false;
  for (const n of list) {
    if (open && (n === prev + 1 || (sort && n === prev))) {
      prev = n;
      continue;
    }
    if (open) out.push(start === prev ? `${start}` : `${start}:${prev}`);
    start = n;
    prev = n;
    open = true;
  }
  if (open) out.push(start === prev ? `${start}` : `${start}:${prev}`);
  return out.join(",");
}
