/**
 * Every throttle and rate limit of Sésame, declared once. The mechanisms read their
 * policies from here and nowhere else; `Limits` (limits.service.ts) hands each consumer its limiter
 * by name, over the store chosen once. docs/ARCHITECTURE.md shows the same table.
 *
 * Kinds:
 * - `backoff` (BackoffThrottle, throttle.ts): failures per key; `backoff.free` consecutive failures
 *   are free, then each attempt waits `baseDelayMs`, doubling per further failure up to `maxDelayMs`;
 *   independently at most `threshold` failures per rolling `windowMs`. A success restarts the streak.
 *   Store: the failures store (database, or Redis when SESAME_REDIS_URL is set).
 * - `window-count` (WindowCounter, throttle.ts): events per key (a failure, a message sent) over a
 *   rolling `windowMs`; `threshold` of them and the key is over (a challenge, a refusal). No streak.
 *   Same store family as `backoff` (the event rows / sorted sets, without the streak entry).
 * - `rate` (RateLimiter, rate-limit.ts): every request counts, fixed windows aligned on multiples of
 *   `windowMs`, `threshold` requests per window; optionally a graded `backoff` before the threshold
 *   (the SMTP harvesting delays). Store: memory per instance, or Redis (`<prefix>rl:<name>:…`).
 * - `attempts`: tries of one secret, enforced by the row that holds it (a code's `attempts_left`);
 *   listed here so that the table is complete, counted by no store.
 *
 * A threshold is a number, or `{ setting }` when the operator sets it (read from the validated
 * configuration when the limiters are created: `thresholdOf`).
 *
 * Names are also the rate limiters' Redis names (`rl:suggest:…`, `rl:smtp-harvest:…`): renaming one
 * resets its counts across a rolling upgrade.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** What the operator may set (a subset of Config, so that the whole configuration fits). */
export interface LimitSettings {
  /** SESAME_SEND_LIMIT_PER_HOUR (validated by config.ts: at least 1, default 500). */
  readonly sendLimitPerHour: number;
}

/** A threshold set by the operator: the setting it comes from. */
export interface SettingThreshold {
  readonly setting: keyof LimitSettings;
  /** The environment variable, for the documentation. */
  readonly env: string;
}

/** A growing wait: `free` events without, then `baseDelayMs` doubling up to `maxDelayMs`. */
export interface Backoff {
  readonly free: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

interface Common {
  /** What is counted, for people. */
  readonly counts: string;
  /** The key pattern the consumer counts under. */
  readonly key: string;
  /** What happens past the threshold. */
  readonly past: string;
}

export interface BackoffLimit extends Common {
  readonly kind: "backoff";
  readonly windowMs: number;
  /** Failures per rolling window. */
  readonly threshold: number;
  readonly backoff: Backoff;
}

export interface WindowCountLimit extends Common {
  readonly kind: "window-count";
  readonly windowMs: number;
  /** Events per rolling window. */
  readonly threshold: number | SettingThreshold;
}

export interface RateLimitDeclaration extends Common {
  readonly kind: "rate";
  readonly windowMs: number;
  /** Requests per fixed window. */
  readonly threshold: number;
  readonly backoff?: Backoff;
}

export interface AttemptsLimit extends Common {
  readonly kind: "attempts";
  /** Tries per secret (its life is the secret's, not a window). */
  readonly threshold: number;
}

export type LimitDeclaration = BackoffLimit | WindowCountLimit | RateLimitDeclaration | AttemptsLimit;
export type LimitKind = LimitDeclaration["kind"];

/** Per account and per NUMEN claimed; CNIL délibération 2022-100. */
const ACCOUNT_BACKOFF = {
  windowMs: DAY,
  threshold: 25,
  backoff: { free: 5, baseDelayMs: MIN, maxDelayMs: 15 * MIN },
} as const;

export const LIMITS = {
  "login-account": {
    kind: "backoff",
    counts: "sign-in failures per account",
    key: "login:acct:<account id>, or login:name:<sha256 of what was typed> when no account matches",
    ...ACCOUNT_BACKOFF,
    past: "THROTTLED (429, Retry-After), even for the right password",
  },
  "console-second-factor": {
    kind: "backoff",
    counts: "wrong second-factor codes (TOTP or recovery code) per console account",
    key: "console:2fa:<account id>",
    ...ACCOUNT_BACKOFF,
    past: "THROTTLED (429, Retry-After), even for the right code",
  },
  "helpdesk-verify": {
    kind: "window-count",
    counts: "« Vérifier le NUMEN » and « Vérifier la date de naissance » checks per person (console)",
    key: "helpdesk:verify:<person id>",
    windowMs: HOUR,
    threshold: 10,
    past: "THROTTLED (429, Retry-After); audited helpdesk.verify_throttled",
  },
  "login-ip": {
    kind: "window-count",
    counts: "sign-in failures per client address",
    key: "login:ip:<client address>",
    windowMs: 10 * MIN,
    threshold: 20,
    past: "a proof-of-work challenge is required (CHALLENGE_REQUIRED)",
  },
  "recovery-numen": {
    kind: "backoff",
    counts: "NUMEN + birth date failures per claimed NUMEN",
    key: "recovery:numen:<keyed hash of the NUMEN>",
    ...ACCOUNT_BACKOFF,
    past: "THROTTLED (429, Retry-After)",
  },
  "recovery-ip": {
    kind: "window-count",
    counts: "NUMEN form failures per client address",
    key: "recovery:ip:<client address>",
    windowMs: 10 * MIN,
    threshold: 10,
    past: "a proof-of-work challenge is required (CHALLENGE_REQUIRED)",
  },
  "reset-links": {
    kind: "window-count",
    counts: "reset links sent to the external address, per account",
    key: "recovery:send:<account id>",
    windowMs: HOUR,
    threshold: 3,
    past: "no link sent (same answer; audited recovery.link_throttled)",
  },
  suggest: {
    kind: "rate",
    counts: "address suggestion requests per account",
    key: "account:<account id>",
    windowMs: MIN,
    threshold: 60,
    past: "RATE_LIMITED (429, Retry-After); first refusal of a window audited",
  },
  sends: {
    kind: "window-count",
    counts: "recipients sent to per account (To, Cc and Bcc; web and SMTP submission)",
    key: "send:<account id>",
    windowMs: HOUR,
    threshold: { setting: "sendLimitPerHour", env: "SESAME_SEND_LIMIT_PER_HOUR" },
    past: "SENDING_LIMIT with retryAt (nothing sent)",
  },
  "smtp-harvest": {
    kind: "rate",
    counts: "unknown recipients per SMTP client address (IPv4, or IPv6 /64) and per session",
    key: "<client address or /64>",
    windowMs: 10 * MIN,
    threshold: 20,
    backoff: { free: 5, baseDelayMs: 250, maxDelayMs: 4_000 },
    past: "session closed (421 4.7.0); first closure of a window audited",
  },
  "code-tries": {
    kind: "attempts",
    counts: "tries of one emailed verification code",
    key: "the code's row (verification_code.attempts_left)",
    threshold: 3,
    past: "INVALID_CODE; the code is spent, a new one must be asked for",
  },
} as const satisfies Record<string, LimitDeclaration>;

export type LimitName = keyof typeof LIMITS;

/** The names of the limits of one kind (what `Limits.backoff`, `.windowCount`, `.rate` accept). */
export type LimitNameOf<K extends LimitKind> = {
  [N in LimitName]: (typeof LIMITS)[N]["kind"] extends K ? N : never;
}[LimitName];

/** The threshold in force: the number, or the operator's setting. */
export function thresholdOf(limit: LimitDeclaration, settings: LimitSettings): number {
  return typeof limit.threshold === "number" ? limit.threshold : settings[limit.threshold.setting];
}
