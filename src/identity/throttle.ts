/**
 * Brute-force defence rules, over a FailureStore (database or Redis, see throttle.repository.ts).
 *
 * - BackoffThrottle (per account, per NUMEN claimed): `freeFailures` consecutive failures are free;
 *   then the next attempt waits `baseDelayMs`, doubling with each further failure up to `maxDelayMs`,
 *   counted from the last failure. Independently, at most `maxFailuresPerWindow` failures per rolling
 *   `windowMs`: once reached, attempts wait until the oldest failure of the window leaves it. Nothing
 *   is ever locked for good. A success restarts the streak but not the window count.
 * - WindowCounter (per client IP): over `threshold` failures in `windowMs`, the caller demands a
 *   proof-of-work challenge.
 *
 * The caller asks `check()` BEFORE verifying the secret, and refuses even a correct one when the
 * answer is "not allowed".
 */
import type { Clock } from "../shared/clock.js";
import { FAILURE_RETENTION_MS, type FailureState, type FailureStore } from "./throttle.repository.js";

export interface BackoffPolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
  maxFailuresPerWindow: number;
}

/** Per account (issue 3 §5) and per NUMEN claimed (issue 4 §8); CNIL délibération 2022-100. */
export const ACCOUNT_POLICY: BackoffPolicy = {
  freeFailures: 5,
  baseDelayMs: 60_000,
  maxDelayMs: 15 * 60_000,
  windowMs: 24 * 3600_000,
  maxFailuresPerWindow: 25,
};

export interface WindowPolicy {
  windowMs: number;
  threshold: number;
}

/** Per client IP at login: from 20 failures in 10 minutes on, a challenge is required. */
export const LOGIN_IP_POLICY: WindowPolicy = { windowMs: 10 * 60_000, threshold: 20 };

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

  /** Records a failed attempt; returns the decision for the NEXT attempt (to tell the user when). */
  async recordFailure(key: string): Promise<ThrottleDecision> {
    const now = this.clock.now();
    return decide(this.policy, await this.store.recordFailure(key, now, this.policy.windowMs), now);
  }

  /** A successful attempt: the streak restarts; the rolling-window count stays. */
  async recordSuccess(key: string): Promise<void> {
    await this.store.resetConsecutive(key);
  }
}

export class WindowCounter {
  constructor(
    private readonly store: FailureStore,
    private readonly clock: Clock,
    private readonly policy: WindowPolicy,
  ) {
    checkPolicy(policy.windowMs, "WindowCounter");
    if (policy.threshold < 1) throw new RangeError("WindowCounter: threshold must be at least 1");
  }

  /** True once `threshold` failures or more fall within the window ending now. */
  async isOver(key: string): Promise<boolean> {
    const state = await this.store.read(key, this.clock.now(), this.policy.windowMs);
    return state.failuresInWindow >= this.policy.threshold;
  }

  async recordFailure(key: string): Promise<void> {
    await this.store.recordFailure(key, this.clock.now(), this.policy.windowMs);
  }
}
