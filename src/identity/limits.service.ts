/**
 * The one throttle service: it reads the table of limits (limits.ts) and hands each
 * consumer its limiter by name, over the stores chosen once — Redis when a connection is given
 * (shared by the instances), else the database for the counted failures and events and memory for
 * the request rates. A name of the wrong kind does not compile (`LimitNameOf`). One limiter per
 * name: two consumers of one name share it (and, in memory, its counts).
 *
 * The proof-of-work replays (`usedChallenges`) are no limit, but live in the same store family, so
 * they are chosen here too.
 */
import type { Kysely } from "kysely";
import type { Clock } from "../shared/clock.js";
import type { Redis } from "../shared/redis.js";
import type { Schema } from "../storage/schema.js";
import { LIMITS, type LimitName, type LimitNameOf, type LimitSettings, thresholdOf } from "./limits.js";
import { createRateLimiter, type RateLimiter, ratePolicyOf } from "./rate-limit.js";
import { BackoffThrottle, backoffPolicyOf, WindowCounter, windowPolicyOf } from "./throttle.js";
import { createThrottleStores, type FailureStore, type UsedChallengeStore } from "./throttle.repository.js";

export interface LimitsOptions {
  readonly db: Kysely<Schema>;
  /** Redis for every counter when given (several instances), else the database and memory. */
  readonly redis?: Redis | null;
  readonly redisPrefix?: string;
  readonly clock: Clock;
  /** The thresholds the operator sets (the validated configuration fits). */
  readonly settings: LimitSettings;
}

export class Limits {
  readonly #options: LimitsOptions;
  readonly #failures: FailureStore;
  /** Solved proof-of-work challenges, until they expire (same store family as the counters). */
  readonly usedChallenges: UsedChallengeStore;
  readonly #made = new Map<LimitName, BackoffThrottle | WindowCounter | RateLimiter>();

  constructor(options: LimitsOptions) {
    this.#options = options;
    const stores = createThrottleStores({
      db: options.db,
      redis: options.redis ?? null,
      ...(options.redisPrefix === undefined ? {} : { redisPrefix: options.redisPrefix }),
    });
    this.#failures = stores.failures;
    this.usedChallenges = stores.usedChallenges;
  }

  /** The threshold in force for `name` (the operator's setting when the table says so). */
  threshold(name: LimitName): number {
    return thresholdOf(LIMITS[name], this.#options.settings);
  }

  /** The failure throttle with back-off of a `backoff` limit. */
  backoff(name: LimitNameOf<"backoff">): BackoffThrottle {
    return this.#once(
      name,
      () => new BackoffThrottle(this.#failures, this.#options.clock, backoffPolicyOf(LIMITS[name])),
    );
  }

  /** The rolling-window event counter of a `window-count` limit. */
  windowCount(name: LimitNameOf<"window-count">): WindowCounter {
    return this.#once(
      name,
      () => new WindowCounter(this.#failures, this.#options.clock, windowPolicyOf(LIMITS[name], this.threshold(name))),
    );
  }

  /** The fixed-window request limiter of a `rate` limit (its name is its Redis name). */
  rate(name: LimitNameOf<"rate">): RateLimiter {
    return this.#once(name, () =>
      createRateLimiter({
        name,
        policy: ratePolicyOf(LIMITS[name]),
        clock: this.#options.clock,
        redis: this.#options.redis ?? null,
        ...(this.#options.redisPrefix === undefined ? {} : { redisPrefix: this.#options.redisPrefix }),
      }),
    );
  }

  /** Forgets the expired failures, events and used challenges (0 on Redis: TTLs); returns how many. */
  async purgeExpired(now: Date): Promise<number> {
    return (await this.#failures.purgeExpired(now)) + (await this.usedChallenges.purgeExpired(now));
  }

  #once<T extends BackoffThrottle | WindowCounter | RateLimiter>(name: LimitName, make: () => T): T {
    const made = this.#made.get(name);
    if (made) return made as T;
    const limiter = make();
    this.#made.set(name, limiter);
    return limiter;
  }
}

export function createLimits(options: LimitsOptions): Limits {
  return new Limits(options);
}
