/**
 * A bounded map whose entries expire: each is kept `ttlMs` from when it was set, and past `max`
 * entries the one set longest ago goes first (a Map keeps insertion order; setting a key again moves
 * it to the end). In memory, per process: for what an instance may forget at any time (the SMTP
 * greeting gate, DNS answers).
 */
export class ExpiringMap<K, V> {
  readonly #entries = new Map<K, { readonly until: number; readonly value: V }>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: { readonly ttlMs: number; readonly max: number; readonly now?: () => number }) {
    if (!(Number.isInteger(options.max) && options.max >= 1)) {
      throw new RangeError("ExpiringMap: max must be an integer of at least 1");
    }
    this.#ttlMs = options.ttlMs;
    this.#max = options.max;
    this.#now = options.now ?? Date.now;
  }

  /** The value, if set less than `ttlMs` ago (an expired entry is forgotten). */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() < entry.until) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { until: this.#now() + this.#ttlMs, value });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
