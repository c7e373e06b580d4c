/**
 * Timing comparisons of the "same answer, same time" tests (login, Assistance): tries of every kind
 * are interleaved in sets (one of each kind, back to back). Each try is compared with the mean of its
 * own set, so that a burst of load on this shared 2-core machine, which slows the tries of a set
 * alike, cancels out; a real difference (a path skipping a hash or a query) does not. The plain
 * medians are checked first.
 */

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return ((s[Math.floor((s.length - 1) / 2)] ?? 0) + (s[Math.ceil((s.length - 1) / 2)] ?? 0)) / 2;
}

export interface KindComparison<K extends string> {
  /** Median time of each kind (ms). */
  readonly medians: Record<K, number>;
  /** Median of each kind's tries relative to their set's mean (1 = the set's average). */
  readonly relative: Record<K, number>;
  /**
   * Within `tolerance`: the kinds' plain medians, or, when a burst of load has moved
   * those, their medians relative to their sets. A real difference shows in both and fails.
   */
  readonly ok: boolean;
  readonly summary: string;
}

/** Compares the kinds over `sets` (each: one time in ms per kind). */
export function compareKinds<K extends string>(
  sets: ReadonlyArray<Record<K, number>>,
  kinds: readonly K[],
  tolerance = 1.2,
): KindComparison<K> {
  const medians = {} as Record<K, number>;
  const relative = {} as Record<K, number>;
  for (const kind of kinds) {
    medians[kind] = median(sets.map((s) => s[kind]));
    relative[kind] = median(sets.map((s) => (s[kind] * kinds.length) / kinds.reduce((sum, k) => sum + s[k], 0)));
  }
  const within = (values: number[]) => Math.max(...values) / Math.min(...values) <= tolerance;
  const ok = within(kinds.map((k) => medians[k])) || within(kinds.map((k) => relative[k]));
  const summary = kinds
    .map((k) => `${k} ${medians[k].toFixed(2)} ms (×${relative[k].toFixed(3)} of its set)`)
    .join(", ");
  return { medians, relative, ok, summary };
}

/**
 * Rounds of sets (`measure` gives one round's), compared as the timing tests do: the comparison
 * passes at the first round within tolerance, or from the second on when all the rounds so far,
 * pooled, are (load moves one round's medians; a real difference shows in every round and in the
 * pool). Otherwise, the summary of every round for the failure's message.
 */
export async function compareInRounds<K extends string>(
  rounds: number,
  kinds: readonly K[],
  measure: (round: number) => Promise<ReadonlyArray<Record<K, number>>>,
  onRound?: (summary: string) => void,
): Promise<{ readonly ok: boolean; readonly summary: string }> {
  const summaries: string[] = [];
  const pooled: Array<Record<K, number>> = [];
  for (let round = 0; round < rounds; round++) {
    const sets = await measure(round);
    pooled.push(...sets);
    const one = compareKinds(sets, kinds);
    const all = compareKinds(pooled, kinds);
    const summary = `round ${round + 1}: ${one.summary}; all rounds: ${all.summary}`;
    onRound?.(summary);
    summaries.push(summary);
    if (one.ok || (round > 0 && all.ok)) return { ok: true, summary };
  }
  return { ok: false, summary: summaries.join("; ") };
}
