/**
 * Request rate limits (how many requests a key may make per window), as opposed to the failure
 * throttles of throttle.ts: every request counts, nothing is written to the database.
 *
 * Policy: a fixed window, aligned on multiples of `windowMs` since the epoch. Within a window a key
 * may make `limit` requests; the next ones are refused until the window ends (`retryAfterMs`). The
 * first refusal of a key in a window is flagged (`firstRefusal`), so that the caller can record it
 * once rather than at every refused request. Time comes from the injected clock.
 *
 * The policies are the `rate` limits of the one table (limits.ts); `Limits` (limits.service.ts) creates
 * the limiters. Two implementations, chosen once by the wiring like the throttle stores:
 * - MemoryRateLimiter: a Map per instance, bounded (expired windows are dropped as new keys come,
 *   and past `maxKeys` the oldest entries go), for a single instance without Redis;
 * - RedisRateLimiter: one counter per key and window, `<prefix>rl:<name>:{<key>}:<window>`, INCR and
 *   PEXPIRE in one Lua script, so that several instances share the count exactly.
 */
import type { Clock } from "../shared/clock.js";
import type { Redis } from "../shared/redis.js";
import type { RateLimitDeclaration } from "./limits.js";

export interface RateLimitPolicy {
  /** Requests allowed per window. */
  readonly limit: number;
  readonly windowMs: number;
}

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** 0 when allowed; otherwise how long until the window ends and requests are allowed again. */
  readonly retryAfterMs: number;
  /** True for the first refused request of a key in a window only (one audit entry, not one per request). */
  readonly firstRefusal: boolean;
  /**
   * The key's requests in this window, this one included, up to `limit + 1` (past the limit only
   * "over" matters; a memory limiter stops counting there). For callers that grade their answer
   * before the limit (e.g. the SMTP reception's growing delay, harvest-guard.ts).
   */
  readonly count: number;
}

export interface RateLimiter {
  /** Counts one request of `key` and says whether it may go on. */
  consume(key: string): Promise<RateLimitDecision>;
}

/** The policy of a `rate` limit of the table. */
export function ratePolicyOf(limit: RateLimitDeclaration): RateLimitPolicy {
  return { limit: limit.threshold, windowMs: limit.windowMs };
}

function checkPolicy(policy: RateLimitPolicy): void {
  if (!(Number.isInteger(policy.limit) && policy.limit >= 1)) {
    throw new RangeError("rate limit: limit must be an integer of at least 1");
  }
  if (!(Number.isInteger(policy.windowMs) && policy.windowMs >= 1)) {
    throw new RangeError("rate limit: windowMs must be an integer of at least 1 ms");
  }
}

/** The decision for the `count`-th request of a window, at `now`. Pure. */
export function decideRate(policy: RateLimitPolicy, window: number, count: number, now: number): RateLimitDecision {
  if (count <= policy.limit) return { allowed: true, retryAfterMs: 0, firstRefusal: false, count };
  return {
    allowed: false,
    retryAfterMs: Math.max(1, (window + 1) * policy.windowMs - now),
    firstRefusal: count === policy.limit + 1,
    count: policy.limit + 1,
  };
}

/** Keys a memory limiter holds at most by default (one per account active in the current window). */
export const MEMORY_RATE_LIMIT_MAX_KEYS = 10_000;

export class MemoryRateLimiter implements RateLimiter {
  /** Key → its window and count. Insertion order is the order in which windows started. */
  readonly #entries = new Map<string, { window: number; count: number }>();
  readonly #maxKeys: number;

  constructor(
    private readonly policy: RateLimitPolicy,
    private readonly clock: Clock,
    options: { maxKeys?: number } = {},
  ) {
    checkPolicy(policy);
    this.#maxKeys = options.maxKeys ?? MEMORY_RATE_LIMIT_MAX_KEYS;
    if (!(Number.isInteger(this.#maxKeys) && this.#maxKeys >= 1)) {
      throw new RangeError("rate limit: maxKeys must be an integer of at least 1");
    }
  }

  /** How many keys are held (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  async consume(key: string): Promise<RateLimitDecision> {
    const now = this.clock.now().getTime();
    const window = Math.floor(now / this.policy.windowMs);
    let entry = this.#entries.get(key);
    if (entry?.window !== window) {
      // A new window for this key: it goes to the end of the insertion order.
      this.#entries.delete(key);
      this.#evict(window);
      entry = { window, count: 0 };
      this.#entries.set(key, entry);
    }
    // Capped: past the first refusal, the exact count no longer matters.
    entry.count = Math.min(entry.count + 1, this.policy.limit + 2);
    return decideRate(this.policy, window, entry.count, now);
  }

  /**
   * Makes room for one entry: drops the expired entries at the head of the insertion order (they
   * started before the current window), then, while still full, the oldest. Amortised O(1).
   */
  #evict(window: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.window >= window && this.#entries.size < this.#maxKeys) break;
      this.#entries.delete(key);
    }
  }
}

// KEYS: the counter. ARGV: its time to live (ms). Returns the count after this request.
const CONSUME_LUA = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`;

interface RateLimitScripts {
  sesameRateConsume(key: string, ttlMs: string): Promise<number>;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly scripts: RateLimitScripts;

  /** `name` separates the limiters that share one Redis (e.g. "suggest"). */
  constructor(
    redis: Redis,
    private readonly name: string,
    private readonly policy: RateLimitPolicy,
    private readonly clock: Clock,
    private readonly prefix = "sesame:",
  ) {
    checkPolicy(policy);
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new RangeError(`rate limit: invalid name ${JSON.stringify(name)}`);
    redis.defineCommand("sesameRateConsume", { numberOfKeys: 1, lua: CONSUME_LUA });
    this.scripts = redis as unknown as RateLimitScripts;
  }

  async consume(key: string): Promise<RateLimitDecision> {
    const now = this.clock.now().getTime();
    const window = Math.floor(now / this.policy.windowMs);
    // The window is in the key, so a counter is never read again once its window is over (whatever
    // Redis's own clock says); the TTL, a whole window, only makes Redis forget it.
    const counter = `${this.prefix}rl:${this.name}:{${key}}:${window}`;
    const count = Number(await this.scripts.sesameRateConsume(counter, String(this.policy.windowMs)));
    return decideRate(this.policy, window, count, now);
  }
}

/** The wiring: Redis when a connection is given (shared by the instances), else memory. */
export function createRateLimiter(options: {
  name: string;
  policy: RateLimitPolicy;
  clock: Clock;
  redis?: Redis | null;
  redisPrefix?: string;
  maxKeys?: number;
}): RateLimiter {
  if (options.redis) {
    return new RedisRateLimiter(options.redis, options.name, options.policy, options.clock, options.redisPrefix);
  }
  return new MemoryRateLimiter(
    options.policy,
    options.clock,
    options.maxKeys === undefined ? {} : { maxKeys: options.maxKeys },
  );
}
