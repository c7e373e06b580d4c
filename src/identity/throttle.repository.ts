/**
 * Where throttling counters and used proof-of-work challenges live: the database by default
 * (`Sql…` classes, the only SQL of throttling), Redis when SESAME_REDIS_URL is set (`Redis…`
 * classes), so that several instances share them. The wiring picks one family; both behave alike and
 * the same tests run over both.
 *
 * Two kinds of counts, declared in limits.ts: failures with a streak (`FailureStore`, the `backoff`
 * limits) and plain events (`EventCountStore`, the `window-count` limits: failures per client address,
 * reset links and recipients sent). An event is a failure row without the streak entry, so both live
 * in the same rows and sorted sets; a key is only ever used by one limit (the prefixes differ).
 * Keys are opaque strings from the callers (`login:acct:<id>`, `login:ip:<address>`, `send:<id>`).
 * History is kept 24 h (FAILURE_RETENTION_MS), the longest window any policy may use.
 *
 * SQL layout (times are epoch milliseconds, bigint):
 *   throttle_failure(id, key, at)              one row per failure or event; rows of a key older than
 *                                              24 h are deleted when that key is written, all of them by
 *                                              purgeExpired
 *   throttle_key(key, streak, last_failure_at) consecutive failures since the last success (backoff only)
 *   challenge_used(signature, expires_at)      solved challenges, until they expire
 * Redis layout (`<prefix>` defaults to `sesame:`; the `{…}` hash tag keeps a key's two entries on one
 * cluster slot):
 *   <prefix>thr:{<key>}:f   sorted set, one member per failure or event, score = epoch ms; expires
 *                           24 h after the last one
 *   <prefix>thr:{<key>}:s   hash { streak, last } (backoff only); same expiry
 *   <prefix>altcha:used:<signature>   "1", expiring when the challenge does
 * Writes are one Lua script per operation, so two instances racing on one key stay exact.
 */
import { randomBytes } from "node:crypto";
import { type Kysely, sql } from "kysely";
import type { Redis } from "../shared/redis.js";
import type { Schema } from "../storage/schema.js";

export type Executor = Kysely<Schema>;

/** How long failures are remembered; no window may be longer. */
export const FAILURE_RETENTION_MS = 24 * 3600_000;

export interface FailureState {
  /** Failures since the last success; forgotten 24 h after the last failure. */
  readonly consecutiveFailures: number;
  readonly lastFailureAt: Date | null;
  /** Failures `f` with `now - windowMs < f.at` (a failure leaves the window `windowMs` after it). */
  readonly failuresInWindow: number;
  readonly oldestFailureInWindowAt: Date | null;
}

/** The events of a key within a window. */
export interface WindowCount {
  readonly count: number;
  readonly oldestAt: Date | null;
}

/** Events per key over a rolling window, without a streak (the `window-count` limits). */
export interface EventCountStore {
  /** Records `n` events of `key` at `at` (one statement or script: atomic). */
  addEvents(key: string, at: Date, n: number): Promise<void>;
  /** The events `e` of `key` with `now - windowMs < e.at`. */
  countEvents(key: string, now: Date, windowMs: number): Promise<WindowCount>;
  /** Forgets everything older than the retention; returns how many entries went (0 on Redis: TTLs). */
  purgeExpired(now: Date): Promise<number>;
}

/** Failures with their streak (the `backoff` limits); the same store counts plain events too. */
export interface FailureStore extends EventCountStore {
  /** Records a failure of `key` at `at` and returns the state right after, within `windowMs` of `at`. */
  recordFailure(key: string, at: Date, windowMs: number): Promise<FailureState>;
  /** After a success: the streak restarts at 0; the history (window counts) is kept. */
  resetConsecutive(key: string): Promise<void>;
  /** Forgets every failure of `key` and its streak (a throttle lifted by the helpdesk). */
  forget(key: string): Promise<void>;
  read(key: string, now: Date, windowMs: number): Promise<FailureState>;
  /**
   * `read(key)` and `countEvents(events.key)` together, in one statement (SQL) or one round trip
   * (Redis): a sign-in reads its account's state and its client address's count at once.
   */
  readWithEvents(
    key: string,
    now: Date,
    windowMs: number,
    events: { readonly key: string; readonly windowMs: number },
  ): Promise<{ state: FailureState; events: WindowCount }>;
  /** Forgets everything older than the retention; returns how many entries went (0 on Redis: TTLs). */
  purgeExpired(now: Date): Promise<number>;
}

export interface UsedChallengeStore {
  /** Remembers `signature` until `expiresAt`; false when it was already there (a replay). Atomic. */
  markUsed(signature: string, expiresAt: Date, now: Date): Promise<boolean>;
  purgeExpired(now: Date): Promise<number>;
}

function checkWindow(windowMs: number): void {
  if (!(windowMs > 0 && windowMs <= FAILURE_RETENTION_MS)) {
    throw new RangeError(`throttle window must be between 1 ms and ${FAILURE_RETENTION_MS} ms, got ${windowMs}`);
  }
}

function checkEvents(n: number): void {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`events: n must be an integer of at least 1, got ${n}`);
}

/** Rows per insert statement (well under SQLite's and PostgreSQL's bound parameters). */
const EVENT_ROWS_PER_INSERT = 500;

/** Builds a state from raw values, applying the 24 h forgetting of the streak. */
function toState(
  now: number,
  streak: number,
  last: number | null,
  inWindow: number,
  oldest: number | null,
): FailureState {
  const live = last !== null && last > now - FAILURE_RETENTION_MS;
  return {
    consecutiveFailures: live ? streak : 0,
    lastFailureAt: live ? new Date(last) : null,
    failuresInWindow: inWindow,
    oldestFailureInWindowAt: oldest === null ? null : new Date(oldest),
  };
}

// ---------------------------------------------------------------------------------------------- SQL

export class SqlFailureStore implements FailureStore {
  constructor(private readonly db: Executor) {}

  async recordFailure(key: string, at: Date, windowMs: number): Promise<FailureState> {
    checkWindow(windowMs);
    const now = at.getTime();
    const cutoff = now - FAILURE_RETENTION_MS;
    return this.db.transaction().execute(async (trx) => {
      // The upsert comes first: on PostgreSQL its row lock serialises writers of the same key, so the
      // counts read below include every failure committed before ours.
      await trx
        .insertInto("throttle_key")
        .values({ key, streak: 1, last_failure_at: now })
        .onConflict((oc) =>
          oc.column("key").doUpdateSet((eb) => ({
            streak: eb
              .case()
              .when("throttle_key.last_failure_at", "<=", cutoff)
              .then(eb.lit(1))
              .else(eb("throttle_key.streak", "+", eb.lit(1)))
              .end(),
            last_failure_at: eb
              .case()
              .when("throttle_key.last_failure_at", "<", now)
              .then(eb.ref("excluded.last_failure_at"))
              .else(eb.ref("throttle_key.last_failure_at"))
              .end(),
          })),
        )
        .execute();
      await trx.deleteFrom("throttle_failure").where("key", "=", key).where("at", "<=", cutoff).execute();
      await trx.insertInto("throttle_failure").values({ key, at: now }).execute();
      return readState(trx, key, now, windowMs);
    });
  }

  async resetConsecutive(key: string): Promise<void> {
    await this.db.updateTable("throttle_key").set({ streak: 0 }).where("key", "=", key).execute();
  }

  async forget(key: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("throttle_failure").where("key", "=", key).execute();
      await trx.deleteFrom("throttle_key").where("key", "=", key).execute();
    });
  }

  async addEvents(key: string, at: Date, n: number): Promise<void> {
    checkEvents(n);
    const now = at.getTime();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom("throttle_failure")
        .where("key", "=", key)
        .where("at", "<=", now - FAILURE_RETENTION_MS)
        .execute();
      for (let done = 0; done < n; done += EVENT_ROWS_PER_INSERT) {
        const rows = Math.min(EVENT_ROWS_PER_INSERT, n - done);
        await trx
          .insertInto("throttle_failure")
          .values(Array.from({ length: rows }, () => ({ key, at: now })))
          .execute();
      }
    });
  }

  async countEvents(key: string, now: Date, windowMs: number): Promise<WindowCount> {
    checkWindow(windowMs);
    const { rows } = await sql<{ n: number | string; oldest: number | string | null }>`
      select count(*) as n, min("at") as oldest from throttle_failure
      where "key" = ${key} and "at" > ${now.getTime() - windowMs}`.execute(this.db);
    const row = rows[0];
    const oldest = row?.oldest;
    return {
      count: Number(row?.n ?? 0),
      oldestAt: oldest === null || oldest === undefined ? null : new Date(Number(oldest)),
    };
  }

  async read(key: string, now: Date, windowMs: number): Promise<FailureState> {
    checkWindow(windowMs);
    return readState(this.db, key, now.getTime(), windowMs);
  }

  async readWithEvents(
    key: string,
    now: Date,
    windowMs: number,
    events: { readonly key: string; readonly windowMs: number },
  ): Promise<{ state: FailureState; events: WindowCount }> {
    checkWindow(windowMs);
    checkWindow(events.windowMs);
    const at = now.getTime();
    const { rows } = await sql<StateRow & { en: number | string; eoldest: number | string | null }>`
      select f.n, f.oldest, k.streak, k.last_failure_at as last, e.n as en, e.oldest as eoldest
      from (select count(*) as n, min("at") as oldest from throttle_failure where "key" = ${key} and "at" > ${at - windowMs}) f
      cross join (select count(*) as n, min("at") as oldest from throttle_failure where "key" = ${events.key} and "at" > ${at - events.windowMs}) e
      left join throttle_key k on k."key" = ${key}`.execute(this.db);
    const row = rows[0];
    const eoldest = row?.eoldest;
    return {
      state: stateOf(at, row),
      events: {
        count: Number(row?.en ?? 0),
        oldestAt: eoldest === null || eoldest === undefined ? null : new Date(Number(eoldest)),
      },
    };
  }

  async purgeExpired(now: Date): Promise<number> {
    const cutoff = now.getTime() - FAILURE_RETENTION_MS;
    const failures = await this.db.deleteFrom("throttle_failure").where("at", "<=", cutoff).executeTakeFirst();
    const keys = await this.db.deleteFrom("throttle_key").where("last_failure_at", "<=", cutoff).executeTakeFirst();
    return Number(failures.numDeletedRows) + Number(keys.numDeletedRows);
  }
}

/**
 * The whole state of a key in one statement (it runs twice on every sign-in: per client address and
 * per account). Written as plain SQL, the same on both dialects: the query builder's cost for four
 * correlated sub-selects was a measurable share of a sign-in's main-thread time (bench:login).
 */
async function readState(ex: Executor, key: string, now: number, windowMs: number): Promise<FailureState> {
  const windowStart = now - windowMs;
  const { rows } = await sql<StateRow>`select f.n, f.oldest, k.streak, k.last_failure_at as last
     from (select count(*) as n, min("at") as oldest from throttle_failure where "key" = ${key} and "at" > ${windowStart}) f
     left join throttle_key k on k."key" = ${key}`.execute(ex);
  return stateOf(now, rows[0]);
}

/** A key's state as readState's statement returns it (numbers may come back as text). */
interface StateRow {
  n: number | string;
  oldest: number | string | null;
  streak: number | string | null;
  last: number | string | null;
}

function stateOf(now: number, row: StateRow | undefined): FailureState {
  const present = (v: unknown) => v !== null && v !== undefined;
  return toState(
    now,
    present(row?.streak) ? Number(row?.streak) : 0,
    present(row?.last) ? Number(row?.last) : null,
    Number(row?.n ?? 0),
    present(row?.oldest) ? Number(row?.oldest) : null,
  );
}

export class SqlUsedChallengeStore implements UsedChallengeStore {
  constructor(private readonly db: Executor) {}

  async markUsed(signature: string, expiresAt: Date, now: Date): Promise<boolean> {
    // Opportunistic purge: the table only ever holds challenges that have not expired yet.
    await this.db.deleteFrom("challenge_used").where("expires_at", "<=", now.getTime()).execute();
    const result = await this.db
      .insertInto("challenge_used")
      .values({ signature, expires_at: expiresAt.getTime() })
      .onConflict((oc) => oc.column("signature").doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async purgeExpired(now: Date): Promise<number> {
    const r = await this.db.deleteFrom("challenge_used").where("expires_at", "<=", now.getTime()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

// -------------------------------------------------------------------------------------------- Redis

// KEYS: failures zset, state hash. ARGV: now, cutoff (now - retention), windowStart, member, retention.
const RECORD_LUA = `
local now = tonumber(ARGV[1])
local cutoff = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local h = redis.call('HMGET', KEYS[2], 'streak', 'last')
local streak = tonumber(h[1]) or 0
local last = tonumber(h[2])
if last == nil or last <= cutoff then
  streak = 0
  last = now
end
streak = streak + 1
if now > last then last = now end
redis.call('HSET', KEYS[2], 'streak', tostring(streak), 'last', string.format('%d', last))
redis.call('PEXPIRE', KEYS[2], ARGV[5])
local n = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[3], '+inf')
local first = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[3], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
return {tostring(streak), string.format('%d', last), tostring(n), first[2] or ''}
`;

// KEYS: failures zset, state hash. ARGV: windowStart.
const READ_LUA = `
local h = redis.call('HMGET', KEYS[2], 'streak', 'last')
local n = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf')
local first = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
return {h[1] or '0', h[2] or '', tostring(n), first[2] or ''}
`;

// KEYS: events zset. ARGV: now, cutoff (now - retention), member base, n, retention.
const ADD_EVENTS_LUA = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
for i = 1, tonumber(ARGV[4]) do
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3] .. '-' .. i)
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 0
`;

// KEYS: events zset. ARGV: windowStart.
const COUNT_EVENTS_LUA = `
local n = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf')
local first = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
return {tostring(n), first[2] or ''}
`;

// KEYS: state hash. Keeps the hash's expiry; does not create a hash for a key that never failed.
const RESET_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'streak', '0') end
return 0
`;

interface ThrottleScripts {
  sesameThrottleRecord(zset: string, hash: string, ...argv: string[]): Promise<string[]>;
  sesameThrottleRead(zset: string, hash: string, windowStart: string): Promise<string[]>;
  sesameThrottleReset(hash: string): Promise<number>;
  sesameEventsAdd(zset: string, ...argv: string[]): Promise<number>;
  sesameEventsCount(zset: string, windowStart: string): Promise<string[]>;
}

function defineScripts(redis: Redis): ThrottleScripts {
  redis.defineCommand("sesameThrottleRecord", { numberOfKeys: 2, lua: RECORD_LUA });
  redis.defineCommand("sesameThrottleRead", { numberOfKeys: 2, lua: READ_LUA, readOnly: true });
  redis.defineCommand("sesameThrottleReset", { numberOfKeys: 1, lua: RESET_LUA });
  redis.defineCommand("sesameEventsAdd", { numberOfKeys: 1, lua: ADD_EVENTS_LUA });
  redis.defineCommand("sesameEventsCount", { numberOfKeys: 1, lua: COUNT_EVENTS_LUA, readOnly: true });
  return redis as unknown as ThrottleScripts;
}

function optionalNumber(v: string | undefined): number | null {
  return v === undefined || v === "" ? null : Number(v);
}

function optionalDate(v: string | undefined): Date | null {
  const n = optionalNumber(v);
  return n === null ? null : new Date(n);
}

function parseReply(now: number, reply: string[]): FailureState {
  return toState(now, Number(reply[0] ?? 0), optionalNumber(reply[1]), Number(reply[2] ?? 0), optionalNumber(reply[3]));
}

export class RedisFailureStore implements FailureStore {
  private readonly scripts: ThrottleScripts;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = "sesame:",
  ) {
    this.scripts = defineScripts(redis);
  }

  async forget(key: string): Promise<void> {
    await this.redis.del(...this.keys(key));
  }

  private keys(key: string): [string, string] {
    const base = `${this.prefix}thr:{${key}}`;
    return [`${base}:f`, `${base}:s`];
  }

  async recordFailure(key: string, at: Date, windowMs: number): Promise<FailureState> {
    checkWindow(windowMs);
    const now = at.getTime();
    const [zset, hash] = this.keys(key);
    const member = `${now}-${randomBytes(8).toString("hex")}`;
    const reply = await this.scripts.sesameThrottleRecord(
      zset,
      hash,
      String(now),
      String(now - FAILURE_RETENTION_MS),
      String(now - windowMs),
      member,
      String(FAILURE_RETENTION_MS),
    );
    return parseReply(now, reply);
  }

  async resetConsecutive(key: string): Promise<void> {
    await this.scripts.sesameThrottleReset(this.keys(key)[1]);
  }

  async addEvents(key: string, at: Date, n: number): Promise<void> {
    checkEvents(n);
    const now = at.getTime();
    await this.scripts.sesameEventsAdd(
      this.keys(key)[0],
      String(now),
      String(now - FAILURE_RETENTION_MS),
      `${now}-${randomBytes(8).toString("hex")}`,
      String(n),
      String(FAILURE_RETENTION_MS),
    );
  }

  async countEvents(key: string, now: Date, windowMs: number): Promise<WindowCount> {
    checkWindow(windowMs);
    const reply = await this.scripts.sesameEventsCount(this.keys(key)[0], String(now.getTime() - windowMs));
    return { count: Number(reply[0] ?? 0), oldestAt: optionalDate(reply[1]) };
  }

  async read(key: string, now: Date, windowMs: number): Promise<FailureState> {
    checkWindow(windowMs);
    const [zset, hash] = this.keys(key);
    const reply = await this.scripts.sesameThrottleRead(zset, hash, String(now.getTime() - windowMs));
    return parseReply(now.getTime(), reply);
  }

  /** Two scripts sent together: ioredis writes both before the first reply, one round trip. */
  async readWithEvents(
    key: string,
    now: Date,
    windowMs: number,
    events: { readonly key: string; readonly windowMs: number },
  ): Promise<{ state: FailureState; events: WindowCount }> {
    const [state, counted] = await Promise.all([
      this.read(key, now, windowMs),
      this.countEvents(events.key, now, events.windowMs),
    ]);
    return { state, events: counted };
  }

  /** Nothing to do: every key carries a TTL of 24 h after its last failure. */
  async purgeExpired(_now: Date): Promise<number> {
    return 0;
  }
}

export class RedisUsedChallengeStore implements UsedChallengeStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = "sesame:",
  ) {}

  async markUsed(signature: string, expiresAt: Date, now: Date): Promise<boolean> {
    const ttl = Math.max(1, expiresAt.getTime() - now.getTime());
    const reply = await this.redis.set(`${this.prefix}altcha:used:${signature}`, "1", "PX", ttl, "NX");
    return reply === "OK";
  }

  /** Nothing to do: entries expire with their challenge. */
  async purgeExpired(_now: Date): Promise<number> {
    return 0;
  }
}

/** The wiring: Redis when a connection is given, the database otherwise. */
export function createThrottleStores(options: { db: Executor; redis?: Redis | null; redisPrefix?: string }): {
  failures: FailureStore;
  usedChallenges: UsedChallengeStore;
} {
  if (options.redis) {
    return {
      failures: new RedisFailureStore(options.redis, options.redisPrefix),
      usedChallenges: new RedisUsedChallengeStore(options.redis, options.redisPrefix),
    };
  }
  return { failures: new SqlFailureStore(options.db), usedChallenges: new SqlUsedChallengeStore(options.db) };
}
