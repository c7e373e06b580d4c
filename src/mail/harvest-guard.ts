/**
 * Address harvesting at the SMTP reception: a client that tries address after address
 * to learn which mailboxes exist (answered 550 5.1.1 each time) is slowed down, then cut off.
 *
 * Policy (LIMITS["smtp-harvest"] in identity/limits.ts, as HARVEST_POLICY): unknown recipients are
 * counted per SMTP session and per client address (an IPv4 address, or the /64 of an IPv6 one) over
 * a fixed window; the count that decides is the larger of the two. Up to `freeUnknown`, answers go
 * at once; each further unknown recipient is answered after a delay that starts at `baseDelayMs` and
 * doubles up to `maxDelayMs`; past `maxUnknown`, the session is closed (421 4.7.0). Known
 * recipients are neither counted nor delayed, so a sender under the limit is never slowed. A new
 * session of a client that is already over the limit is delayed (or closed) from its first unknown
 * recipient.
 *
 * The per-address count is a RateLimiter (identity/rate-limit.ts), given by the wiring's `Limits`:
 * Redis when configured (shared by the instances), memory otherwise. The first session closed for a
 * client address in a window goes into the audit trail (once across the instances on Redis); the
 * SMTP door logs the rest.
 */
import { isIPv6 } from "node:net";
import type { AuditEventInput } from "../audit/audit.service.js";
import { LIMITS, type RateLimitDeclaration } from "../identity/limits.js";
import { createRateLimiter, type RateLimiter, type RateLimitPolicy } from "../identity/rate-limit.js";
import type { Clock } from "../shared/clock.js";
import type { Redis } from "../shared/redis.js";

export interface HarvestPolicy {
  /** Unknown recipients answered at once (per session and per client address in a window). */
  readonly freeUnknown: number;
  /** Past this many unknown recipients, the session is closed. */
  readonly maxUnknown: number;
  /** The per-address count's window (fixed, aligned on multiples of it since the epoch). */
  readonly windowMs: number;
  /** The delay of the first delayed answer; it doubles with each further unknown recipient… */
  readonly baseDelayMs: number;
  /** …up to this. */
  readonly maxDelayMs: number;
}

/** The policy of a `rate` limit with a back-off (the table's threshold closes the session). */
export function harvestPolicyOf(
  limit: RateLimitDeclaration & { readonly backoff: NonNullable<RateLimitDeclaration["backoff"]> },
): HarvestPolicy {
  return {
    freeUnknown: limit.backoff.free,
    maxUnknown: limit.threshold,
    windowMs: limit.windowMs,
    baseDelayMs: limit.backoff.baseDelayMs,
    maxDelayMs: limit.backoff.maxDelayMs,
  };
}

/** The limiter name (Redis keys `<prefix>rl:smtp-harvest:{<client>}:<window>`). */
export const HARVEST_LIMITER_NAME = "smtp-harvest" satisfies keyof typeof LIMITS;

/**
 * LIMITS["smtp-harvest"] as a policy (derived, declared in identity/limits.ts): 5 unknown recipients
 * free, closed past 20, per client address over 10 minutes; delays 250 ms, 500 ms, 1 s, 2 s, then
 * 4 s: a harvesting session learns at most 20 answers in about 48 s, where a sender that mistyped a
 * few addresses sees no difference.
 */
export const HARVEST_POLICY: HarvestPolicy = harvestPolicyOf(LIMITS[HARVEST_LIMITER_NAME]);

function checkPolicy(policy: HarvestPolicy): void {
  const { freeUnknown, maxUnknown, baseDelayMs, maxDelayMs } = policy;
  if (!(Number.isInteger(freeUnknown) && freeUnknown >= 0 && Number.isInteger(maxUnknown) && maxUnknown >= 1)) {
    throw new RangeError("harvest policy: freeUnknown and maxUnknown must be integers (≥ 0, ≥ 1)");
  }
  if (freeUnknown > maxUnknown) throw new RangeError("harvest policy: freeUnknown must not exceed maxUnknown");
  if (!(baseDelayMs >= 0 && maxDelayMs >= baseDelayMs)) {
    throw new RangeError("harvest policy: need 0 ≤ baseDelayMs ≤ maxDelayMs");
  }
}

/** The rate-limit policy of the per-address count: its limit is the closing threshold. */
export function harvestRatePolicy(policy: HarvestPolicy): RateLimitPolicy {
  return { limit: policy.maxUnknown, windowMs: policy.windowMs };
}

/** How long the answer to the `count`-th unknown recipient waits (0 while free). Pure. */
export function harvestDelayMs(policy: HarvestPolicy, count: number): number {
  const over = count - policy.freeUnknown;
  if (over <= 0) return 0;
  // 2^over overflows quickly; past 40 doublings the cap has long been reached.
  return Math.min(policy.baseDelayMs * 2 ** Math.min(over - 1, 40), policy.maxDelayMs);
}

/**
 * The key a client address is counted under: an IPv4 address as it is (an IPv4-mapped IPv6 address
 * as its IPv4), an IPv6 address by its /64 (what one subscriber or host usually holds, so that
 * walking through its addresses does not reset the count).
 */
export function harvestClientKey(address: string): string {
  const ip = address
    .trim()
    .toLowerCase()
    .replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  if (!isIPv6(ip)) return ip || "unknown";
  // Only the first four groups matter: an IPv4 tail (the last 32 bits) stands for two zero groups.
  const halves = (ip.split("%")[0] ?? ip).replace(/\d+\.\d+\.\d+\.\d+$/, "0:0").split("::");
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const groups = [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill("0"), ...tail];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}

export interface HarvestVerdict {
  /** "answer": the refusal goes at once; "delay": after `delayMs`; "drop": 421 and close the session. */
  readonly action: "answer" | "delay" | "drop";
  readonly delayMs: number;
  /** The larger of the session's and the client address's unknown recipients, this one included. */
  readonly count: number;
  /** This session's unknown recipients, this one included. */
  readonly sessionCount: number;
  /** The first delayed answer of the session (the caller logs it once). */
  readonly delayStarts: boolean;
  /**
   * The per-address count or the audit trail failed (Redis or the database unreachable): the verdict
   * stands on what was known (the session's count at least); the caller logs it.
   */
  readonly error?: unknown;
}

export interface HarvestGuardDeps {
  /** Counts per client address; its policy must be `harvestRatePolicy(policy)` (see createHarvestGuard). */
  readonly limiter: RateLimiter;
  readonly policy?: HarvestPolicy;
  readonly audit?: { record(event: AuditEventInput): Promise<void> };
}

export class HarvestGuard {
  readonly policy: HarvestPolicy;

  constructor(private readonly deps: HarvestGuardDeps) {
    this.policy = deps.policy ?? HARVEST_POLICY;
    checkPolicy(this.policy);
  }

  /** The state of one SMTP session (connection) of the client at `remoteAddress`. */
  session(remoteAddress: string): HarvestSession {
    return new HarvestSession(this, remoteAddress);
  }

  /**
   * Counts one unknown recipient of the client `clientKey`, whose session has now had `sessionCount`,
   * and says how to answer it (`delayStarts` is left to the session). Never throws.
   */
  async judge(
    clientKey: string,
    remoteAddress: string,
    sessionCount: number,
  ): Promise<Omit<HarvestVerdict, "delayStarts">> {
    const { policy } = this;
    let addressCount = 0;
    let firstDrop = false;
    let error: unknown;
    try {
      const decision = await this.deps.limiter.consume(clientKey);
      addressCount = decision.count;
      firstDrop = decision.firstRefusal;
    } catch (failure) {
      error = failure;
    }
    const count = Math.max(sessionCount, addressCount);
    let action: HarvestVerdict["action"] = "answer";
    if (count > policy.maxUnknown) action = "drop";
    else if (count > policy.freeUnknown) action = "delay";
    if (action === "drop" && firstDrop && this.deps.audit) {
      try {
        await this.deps.audit.record({
          actor: "smtp:reception",
          action: "smtp.harvesting_blocked",
          entity: "client_address",
          entityId: clientKey,
          details: { ip: remoteAddress, unknownRecipients: count, windowMinutes: policy.windowMs / 60_000 },
        });
      } catch (failure) {
        error = failure;
      }
    }
    const delayMs = action === "delay" ? harvestDelayMs(policy, count) : 0;
    return { action, delayMs, count, sessionCount, ...(error === undefined ? {} : { error }) };
  }
}

/** One SMTP session: its own count of unknown recipients, beside the client address's. */
export class HarvestSession {
  #unknown = 0;
  #delayed = false;
  readonly clientKey: string;

  constructor(
    private readonly guard: HarvestGuard,
    readonly remoteAddress: string,
  ) {
    this.clientKey = harvestClientKey(remoteAddress);
  }

  /** Counts one unknown recipient (RCPT TO refused 550 5.1.1) and says how to answer it. Never throws. */
  async unknownRecipient(): Promise<HarvestVerdict> {
    this.#unknown += 1;
    const verdict = await this.guard.judge(this.clientKey, this.remoteAddress, this.#unknown);
    const delayStarts = verdict.action === "delay" && !this.#delayed;
    if (delayStarts) this.#delayed = true;
    return { ...verdict, delayStarts };
  }
}

/**
 * A guard with its own limiter, for tests and a reception started alone (a custom `policy` tries
 * other delays); the server's guard takes its limiter from `Limits` (src/services.ts). The
 * per-address count in Redis when a connection is given (shared by the instances), else in memory.
 */
export function createHarvestGuard(options: {
  clock: Clock;
  redis?: Redis | null;
  redisPrefix?: string;
  policy?: HarvestPolicy;
  audit?: HarvestGuardDeps["audit"];
}): HarvestGuard {
  const policy = options.policy ?? HARVEST_POLICY;
  const limiter = createRateLimiter({
    name: HARVEST_LIMITER_NAME,
    policy: harvestRatePolicy(policy),
    clock: options.clock,
    redis: options.redis ?? null,
    ...(options.redisPrefix === undefined ? {} : { redisPrefix: options.redisPrefix }),
  });
  return new HarvestGuard({ limiter, policy, ...(options.audit ? { audit: options.audit } : {}) });
}
