/**
 * Brute-force defence rules, over a FailureStore (database or Redis, see throttle.repository.ts).
 * The policies come from the one table of limits (limits.ts): `backoff` and `window-count` kinds.
 *
 * - BackoffThrottle (per account, per NUMEN claimed): `freeFailures` consecutive failures are free;
 *   then the next attempt waits `baseDelayMs`, doubling with each further failure up to `maxDelayMs`,
 *   counted from the last failure. Independently, at most `maxFailuresPerWindow` failures per rolling
 *   `windowMs`: once reached, attempts wait until the oldest failure of the window leaves it. Nothing
 *   is ever locked for good. A success restarts the streak but not the window count.
 * - WindowCounter (per client IP, reset links and recipients sent per account): events in a rolling
 *   `windowMs`; from `threshold` on the key is over (the caller demands a proof-of-work challenge,
 *   sends no link, refuses the message). Events may weigh more than one (a message's recipients).
 *
 * The caller asks `check()` BEFORE verifying the secret, and refuses even a correct one when the
 * answer is "not allowed".
 */
import type { Clock } from "../shared/clock.js";
import { type BackoffLimit, LIMITS, type WindowCountLimit } from "./limits.js";
import {
  type EventCountStore,
  FAILURE_RETENTION_MS,
  type FailureState,
  type FailureStore,
} from "./throttle.repository.js";

export interface BackoffPolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
  maxFailuresPerWindow: number;
}

/** The policy of a `backoff` limit of the table. */
export function backoffPolicyOf(limit: BackoffLimit): BackoffPolicy {
  return {
    freeFailures: limit.backoff.free,
    baseDelayMs: limit.backoff.baseDelayMs,
    maxDelayMs: limit.backoff.maxDelayMs,
    windowMs: limit.windowMs,
    maxFailuresPerWindow: limit.threshold,
  };
}

export interface WindowPolicy {
  windowMs: number;
  threshold: number;
}

/** The policy of a `window-count` limit, its threshold resolved (limits.ts `thresholdOf`). */
export function windowPolicyOf(limit: WindowCountLimit, threshold: number): WindowPolicy {
  return { windowMs: limit.windowMs, threshold };
}

/** LIMITS["login-account"] (and "recovery-numen", the same), as a policy: derived, not declared here. */
export const ACCOUNT_POLICY: BackoffPolicy = backoffPolicyOf(LIMITS["login-account"]);

/** LIMITS["login-ip"] as a policy: derived, not declared here. */
export const LOGIN_IP_POLICY: WindowPolicy = windowPolicyOf(LIMITS["login-ip"], LIMITS["login-ip"].threshold);

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAt: Date; reason: "backoff" | "daily_limit" };

const ALLOWED: ThrottleDecision = { allowed: true };

/** The wait imposed after `consecutive` failures (0 while they are free). */
export function backoffDelayMs(policy: BackoffPolicy, consecutive: number): number {
  const over = consecutive - policy.freeFailures;
  if (over < 0) return 0;
  // 2^over overflows quickly; past 40 doublings the cap has long been reached.
  return Math.min(policy.baseDelayMs * 2 ** Math.min(over, 40), policy.maxDelayMs);
}

/** The decision for an attempt at `now`, given the state of its key. Pure. */
export function decide(policy: BackoffPolicy, state: FailureState, now: Date): ThrottleDecision {
  let retryAt = 0;
  let reason: "backoff" | "daily_limit" = "backoff";
  if (state.failuresInWindow >= policy.maxFailuresPerWindow && state.oldestFailureInWindowAt) {
    retryAt = state.oldestFailureInWindowAt.getTime() + policy.windowMs;
    reason = "daily_limit";
  }
  const delay = backoffDelayMs(policy, state.consecutiveFailures);
  if (delay > 0 && state.lastFailureAt) {
    const backoffUntil = state.lastFailureAt.getTime() + delay;
    if (backoffUntil > retryAt) {
      retryAt = backoffUntil;
      reason = "backoff";
    }
  }
  return retryAt > now.getTime() ? { allowed: false, retryAt: new Date(retryAt), reason } : ALLOWED;
}

function checkPolicy(windowMs: number, what: string): void {
  if (!(windowMs > 0 && windowMs <= FAILURE_RETENTION_MS)) {
    throw new RangeError(`${what}: windowMs must be between 1 ms and ${FAILURE_RETENTION_MS} ms (the retention)`);
  }
}

export class BackoffThrottle {
  constructor(
    private readonly store: FailureStore,
    private readonly clock: Clock,
    private readonly policy: BackoffPolicy = ACCOUNT_POLICY,
  ) {
    checkPolicy(policy.windowMs, "BackoffThrottle");
    if (policy.freeFailures < 0 || policy.maxFailuresPerWindow < 1 || policy.baseDelayMs < 0) {
      throw new RangeError("BackoffThrottle: invalid policy");
    }
  }

  /** May an attempt on `key` be made now? */
  async check(key: string): Promise<ThrottleDecision> {
    return (await this.checkWithStreak(key)).decision;
  }

  /** The decision, and whether the key has a failure streak that a success must reset. */
  async checkWithStreak(key: string): Promise<{ decision: ThrottleDecision; hasStreak: boolean }> {
    const now = this.clock.now();
    const state = await this.store.read(key, now, this.policy.windowMs);
    return { decision: decide(this.policy, state, now), hasStreak: state.consecutiveFailures > 0 };
  }

  /**
   * `checkWithStreak(key)` and `counter.isOver(counterKey)` read together (one statement, or one
   * Redis round trip, when both use this throttle's store): a sign-in's two throttle reads.
   */
  async checkWithCounter(
    key: string,
    counter: WindowCounter,
    counterKey: string,
  ): Promise<{ decision: ThrottleDecision; hasStreak: boolean; counterOver: boolean }> {
    if (!counter.countsIn(this.store)) {
      const [checked, counterOver] = await Promise.all([this.checkWithStreak(key), counter.isOver(counterKey)]);
      return { ...checked, counterOver };
    }
    const now = this.clock.now();
    const { state, events } = await this.store.readWithEvents(key, now, this.policy.windowMs, {
      key: counterKey,
      windowMs: counter.windowMs,
    });
    return {
      decision: decide(this.policy, state, now),
      hasStreak: state.consecutiveFailures > 0,
      counterOver: counter.isOverCount(events.count),
    };
  }

  /** Records a failed attempt; returns the decision for the NEXT attempt (to tell the user when). */
  async recordFailure(key: string): Promise<ThrottleDecision> {
    const now = this.clock.now();
    return decide(this.policy, await this.store.recordFailure(key, now, this.policy.windowMs), now);
  }

  /** A successful attempt: the streak restarts; the rolling-window count stays. */
  async recordSuccess(key: string): Promise<void> {
    await this.store.resetConsecutive(key);
  }

  /** Lifts the throttle of `key` (the helpdesk): its failures and streak are forgotten. */
  async lift(key: string): Promise<void> {
    await this.store.forget(key);
  }
}

export type WindowDecision = { allowed: true } | { allowed: false; retryAt: Date };

export class WindowCounter {
  constructor(
    private readonly store: EventCountStore,
    private readonly clock: Clock,
    private readonly policy: WindowPolicy,
  ) {
    checkPolicy(policy.windowMs, "WindowCounter");
    if (policy.threshold < 1) throw new RangeError("WindowCounter: threshold must be at least 1");
  }

  /** The events allowed per window. */
  get threshold(): number {
    return this.policy.threshold;
  }

  /** The rolling window, in milliseconds. */
  get windowMs(): number {
    return this.policy.windowMs;
  }

  /** True once `threshold` events or more fall within the window ending now. */
  async isOver(key: string): Promise<boolean> {
    const { count } = await this.store.countEvents(key, this.clock.now(), this.policy.windowMs);
    return this.isOverCount(count);
  }

  /** Whether `count` events within the window put a key over the threshold. */
  isOverCount(count: number): boolean {
    return count >= this.policy.threshold;
  }

  /** Whether this counter keeps its events in `store` (BackoffThrottle.checkWithCounter reads both at once). */
  countsIn(store: EventCountStore): boolean {
    return this.store === store;
  }

  /**
   * May `n` more events be counted without passing the threshold? When not, `retryAt` is when the
   * oldest event of the window leaves it (or a whole window from now when there is none).
   */
  async check(key: string, n = 1): Promise<WindowDecision> {
    const now = this.clock.now();
    const { count, oldestAt } = await this.store.countEvents(key, now, this.policy.windowMs);
    if (count + n <= this.policy.threshold) return { allowed: true };
    return { allowed: false, retryAt: new Date((oldestAt ?? now).getTime() + this.policy.windowMs) };
  }

  /** Counts `n` events of `key` now. */
  async record(key: string, n = 1): Promise<void> {
    await this.store.addEvents(key, this.clock.now(), n);
  }

  /** A failed attempt is one event. */
  async recordFailure(key: string): Promise<void> {
    await this.record(key, 1);
  }
}
