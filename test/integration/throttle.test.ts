import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import {
  ACCOUNT_POLICY,
  BackoffThrottle,
  backoffDelayMs,
  LOGIN_IP_POLICY,
  type ThrottleDecision,
  WindowCounter,
} from "../../src/identity/throttle.js";
import {
  FAILURE_RETENTION_MS,
  type FailureStore,
  RedisFailureStore,
  SqlFailureStore,
} from "../../src/identity/throttle.repository.js";
import { FakeClock } from "../../src/shared/clock.js";
import { closeRedis, openRedis, pingRedis, type Redis } from "../../src/shared/redis.js";
import { type Database, openDatabase } from "../../src/storage/database.js";
import { DIALECTS, openTestServices, POSTGRES_URL, REDIS_URL, type TestContext } from "../helpers/env.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

type Backend = "sqlite" | "postgres" | "redis";
const BACKENDS: readonly Backend[] = [...DIALECTS, "redis"];

/** A unique prefix per test run, so that runs never see each other's keys. */
function testPrefix(): string {
  return `sesame-test:${randomBytes(6).toString("hex")}:`;
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

async function openRedisForTest(url = REDIS_URL): Promise<Redis> {
  const redis = openRedis(url);
  await pingRedis(redis, url);
  return redis;
}

interface Fixture {
  readonly store: FailureStore;
  readonly ctx: TestContext | null;
  readonly redis: Redis | null;
  readonly prefix: string;
  close(): Promise<void>;
}

async function openFixture(backend: Backend): Promise<Fixture> {
  if (backend === "redis") {
    const redis = await openRedisForTest();
    const prefix = testPrefix();
    return {
      store: new RedisFailureStore(redis, prefix),
      ctx: null,
      redis,
      prefix,
      close: async () => {
        await deleteKeys(redis, prefix);
        await closeRedis(redis);
      },
    };
  }
  const ctx = await openTestServices(backend);
  return {
    store: new SqlFailureStore(ctx.services.database.db),
    ctx,
    redis: null,
    prefix: "",
    close: () => ctx.close(),
  };
}

function newKey(): string {
  return `login:acct:${randomBytes(16).toString("hex")}`;
}

function denied(d: ThrottleDecision): { retryAt: Date; reason: string } {
  assert.equal(d.allowed, false, "expected the attempt to be refused");
  if (d.allowed) throw new Error("unreachable");
  return { retryAt: d.retryAt, reason: d.reason };
}

describe("backoff delays (pure)", () => {
  it("are free for 5 failures, then 1, 2, 4, 8 minutes, capped at 15", () => {
    const delays = [0, 1, 4, 5, 6, 7, 8, 9, 10, 50, 10_000].map((n) => backoffDelayMs(ACCOUNT_POLICY, n) / MIN);
    assert.deepEqual(delays, [0, 0, 0, 1, 2, 4, 8, 15, 15, 15, 15]);
  });
});

for (const backend of BACKENDS) {
  describe(`throttling store (${backend})`, () => {
    let fx: Fixture;
    before(async () => {
      fx = await openFixture(backend);
    });
    after(async () => {
      await fx.close();
    });

    it("allows 5 failures, then the next attempt waits 1 minute from the last failure", async () => {
      const clock = new FakeClock();
      const throttle = new BackoffThrottle(fx.store, clock, ACCOUNT_POLICY);
      const key = newKey();
      for (let i = 1; i <= 4; i++) {
        assert.deepEqual(await throttle.check(key), { allowed: true });
        assert.deepEqual(await throttle.recordFailure(key), { allowed: true });
        clock.advance(1_000);
      }
      assert.deepEqual(await throttle.check(key), { allowed: true });
      const lastFailure = clock.now().getTime();
      const next = denied(await throttle.recordFailure(key));
      assert.equal(next.reason, "backoff");
      assert.equal(next.retryAt.getTime(), lastFailure + MIN);

      // A correct password now would be refused: check() says no until the wait is over.
      clock.advance(MIN - 1);
      assert.deepEqual(denied(await throttle.check(key)), { retryAt: new Date(lastFailure + MIN), reason: "backoff" });
      clock.advance(1);
      assert.deepEqual(await throttle.check(key), { allowed: true });

      const state = await fx.store.read(key, clock.now(), ACCOUNT_POLICY.windowMs);
      assert.equal(state.consecutiveFailures, 5);
      assert.equal(state.failuresInWindow, 5);
      assert.equal(state.lastFailureAt?.getTime(), lastFailure);
      assert.equal(state.oldestFailureInWindowAt?.getTime(), lastFailure - 4_000);
    });

    it("doubles the wait with each further failure, up to 15 minutes", async () => {
      const clock = new FakeClock();
      const throttle = new BackoffThrottle(fx.store, clock, ACCOUNT_POLICY);
      const key = newKey();
      for (let i = 0; i < 4; i++) await throttle.recordFailure(key);
      let decision = await throttle.recordFailure(key);
      const waits: number[] = [];
      for (let i = 0; i < 6; i++) {
        const { retryAt } = denied(decision);
        waits.push((retryAt.getTime() - clock.now().getTime()) / MIN);
        clock.advance(retryAt.getTime() - clock.now().getTime());
        assert.deepEqual(await throttle.check(key), { allowed: true });
        decision = await throttle.recordFailure(key);
      }
      assert.deepEqual(waits, [1, 2, 4, 8, 15, 15]);
    });

    it("a success restarts the streak, but never more than 25 failures per 24 h", async () => {
      const clock = new FakeClock();
      const throttle = new BackoffThrottle(fx.store, clock, ACCOUNT_POLICY);
      const key = newKey();
      const first = clock.now().getTime();
      for (let i = 1; i <= 24; i++) {
        assert.deepEqual(await throttle.check(key), { allowed: true }, `attempt ${i}`);
        assert.deepEqual(await throttle.recordFailure(key), { allowed: true }, `failure ${i}`);
        if (i % 4 === 0) await throttle.recordSuccess(key); // the owner logs in now and then
        clock.advance(MIN);
      }
      const state = await fx.store.read(key, clock.now(), ACCOUNT_POLICY.windowMs);
      assert.equal(state.consecutiveFailures, 0);
      assert.equal(state.failuresInWindow, 24);

      const d = denied(await throttle.recordFailure(key));
      assert.deepEqual(d, { retryAt: new Date(first + DAY), reason: "daily_limit" });
      // Even after a success, the cap holds until the oldest failure leaves the window.
      await throttle.recordSuccess(key);
      assert.equal(denied(await throttle.check(key)).reason, "daily_limit");
      clock.advance(first + DAY - 1 - clock.now().getTime());
      assert.equal(denied(await throttle.check(key)).reason, "daily_limit");
      clock.advance(1);
      assert.deepEqual(await throttle.check(key), { allowed: true });
      // One failure more fills the window again: the next one frees a minute later.
      assert.deepEqual(denied(await throttle.recordFailure(key)), {
        retryAt: new Date(first + MIN + DAY),
        reason: "daily_limit",
      });
    });

    it("lets a guesser make at most 25 failures in any 24 h over several days, never locking for good", async () => {
      const clock = new FakeClock();
      const throttle = new BackoffThrottle(fx.store, clock, ACCOUNT_POLICY);
      const key = newKey();
      const start = clock.now().getTime();
      const end = start + 4 * DAY;
      const failures: number[] = [];
      while (clock.now().getTime() < end) {
        const d = await throttle.check(key);
        if (d.allowed) {
          failures.push(clock.now().getTime());
          await throttle.recordFailure(key);
          clock.advance(1_000); // the guesser retries as fast as it may
        } else {
          clock.advance(d.retryAt.getTime() - clock.now().getTime());
        }
      }
      for (const t of failures) {
        const inWindow = failures.filter((f) => f > t - DAY && f <= t).length;
        assert.ok(inWindow <= 25, `${inWindow} failures in the 24 h ending ${new Date(t).toISOString()}`);
      }
      // No permanent lock: each day brings its tries back as the old ones age out.
      const perDay = [0, 1, 2, 3].map((d) => failures.filter((f) => f >= start + d * DAY && f < start + (d + 1) * DAY));
      assert.deepEqual(
        perDay.map((day) => day.length >= 20 && day.length <= 25),
        [true, true, true, true],
        `failures per day: ${perDay.map((day) => day.length).join(", ")}`,
      );
    });

    it("forgets the streak 24 h after the last failure", async () => {
      const clock = new FakeClock();
      const throttle = new BackoffThrottle(fx.store, clock, ACCOUNT_POLICY);
      const key = newKey();
      for (let i = 0; i < 5; i++) await throttle.recordFailure(key);
      clock.advance(DAY);
      const state = await fx.store.read(key, clock.now(), ACCOUNT_POLICY.windowMs);
      assert.deepEqual(state, {
        consecutiveFailures: 0,
        lastFailureAt: null,
        failuresInWindow: 0,
        oldestFailureInWindowAt: null,
      });
      // A new failure starts a new streak of one: free.
      assert.deepEqual(await throttle.recordFailure(key), { allowed: true });
      assert.equal((await fx.store.read(key, clock.now(), ACCOUNT_POLICY.windowMs)).consecutiveFailures, 1);
    });

    it("the per-IP counter demands a challenge from 20 failures in 10 minutes", async () => {
      const clock = new FakeClock();
      const counter = new WindowCounter(fx.store, clock, LOGIN_IP_POLICY);
      const key = `login:ip:${randomBytes(8).toString("hex")}`;
      const first = clock.now().getTime();
      for (let i = 0; i < 19; i++) {
        await counter.recordFailure(key);
        clock.advance(10_000);
      }
      assert.equal(await counter.isOver(key), false);
      await counter.recordFailure(key);
      assert.equal(await counter.isOver(key), true);
      // Another IP is not affected.
      assert.equal(await counter.isOver(`${key}x`), false);
      // Ten minutes after the first failure, it leaves the window: 19 left.
      clock.advance(first + 10 * MIN - clock.now().getTime());
      assert.equal(await counter.isOver(key), false);
      await counter.recordFailure(key);
      assert.equal(await counter.isOver(key), true);
    });

    it("purges what is older than 24 h (on write for the key, and with purgeExpired)", async () => {
      const clock = new FakeClock();
      const a = newKey();
      const b = newKey();
      await fx.store.recordFailure(a, clock.now(), DAY);
      await fx.store.recordFailure(b, clock.now(), DAY);
      clock.advance(DAY);
      await fx.store.recordFailure(a, clock.now(), DAY);
      const stateA = await fx.store.read(a, clock.now(), DAY);
      assert.equal(stateA.failuresInWindow, 1);
      assert.equal(stateA.consecutiveFailures, 1);
      assert.deepEqual(await fx.store.read(b, clock.now(), DAY), {
        consecutiveFailures: 0,
        lastFailureAt: null,
        failuresInWindow: 0,
        oldestFailureInWindowAt: null,
      });

      if (fx.ctx) {
        const db = fx.ctx.services.database.db;
        const rows = async (key: string) =>
          (await db.selectFrom("throttle_failure").select("at").where("key", "=", key).execute()).length;
        assert.equal(await rows(a), 1, "the old failure of a was deleted when a was written");
        assert.equal(await rows(b), 1, "b was not written since");
        const purged = await fx.store.purgeExpired(clock.now());
        assert.ok(purged >= 2, `purged ${purged}`); // b's failure and b's streak row (and older tests' rows)
        assert.equal(await rows(b), 0);
        const keyRow = await db.selectFrom("throttle_key").select("key").where("key", "=", b).executeTakeFirst();
        assert.equal(keyRow, undefined);
        assert.equal(await rows(a), 1, "a's recent failure is kept");
      } else if (fx.redis) {
        // Redis forgets by itself: every key carries a TTL of at most 24 h.
        assert.equal(await fx.store.purgeExpired(clock.now()), 0);
        const keys: string[] = [];
        let cursor = "0";
        do {
          const [next, found] = await fx.redis.scan(cursor, "MATCH", `${fx.prefix}*`, "COUNT", 500);
          keys.push(...found);
          cursor = next;
        } while (cursor !== "0");
        assert.ok(keys.length >= 4);
        for (const k of keys) {
          const ttl = await fx.redis.pttl(k);
          assert.ok(ttl > 0 && ttl <= FAILURE_RETENTION_MS, `${k} has TTL ${ttl}`);
        }
      }
    });

    it("refuses windows longer than the retention", () => {
      const clock = new FakeClock();
      assert.throws(() => new BackoffThrottle(fx.store, clock, { ...ACCOUNT_POLICY, windowMs: DAY + 1 }), RangeError);
      assert.throws(() => new WindowCounter(fx.store, clock, { windowMs: 0, threshold: 3 }), RangeError);
    });
  });
}

/** Two stores over one backend: what is recorded through one is seen through the other. */
async function sharedLockout(a: FailureStore, b: FailureStore): Promise<void> {
  const clock = new FakeClock();
  const one = new BackoffThrottle(a, clock, ACCOUNT_POLICY);
  const two = new BackoffThrottle(b, clock, ACCOUNT_POLICY);
  const key = newKey();
  for (let i = 0; i < 4; i++) await (i % 2 === 0 ? one : two).recordFailure(key);
  const locked = denied(await one.recordFailure(key));
  assert.deepEqual(denied(await two.check(key)), locked);
  await two.recordSuccess(key);
  assert.deepEqual(await one.check(key), { allowed: true });

  // Racing: 30 failures recorded at once, half through each instance, are all counted.
  const raced = newKey();
  await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).recordFailure(raced, clock.now(), DAY)));
  const state = await b.read(raced, clock.now(), DAY);
  assert.equal(state.failuresInWindow, 30);
  assert.equal(state.consecutiveFailures, 30);
  assert.equal(denied(await one.check(raced)).reason, "daily_limit");
}

describe("two instances share a lockout", () => {
  it("through two Redis clients", async () => {
    const prefix = testPrefix();
    const r1 = await openRedisForTest();
    const r2 = await openRedisForTest();
    try {
      await sharedLockout(new RedisFailureStore(r1, prefix), new RedisFailureStore(r2, prefix));
    } finally {
      await deleteKeys(r1, prefix);
      await closeRedis(r1);
      await closeRedis(r2);
    }
  });

  it("through two connection pools to one PostgreSQL schema", async () => {
    const ctx = await openTestServices("postgres");
    let second: Database | null = null;
    try {
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
        ctx.services.database.db,
      );
      const schema = rows[0]?.schema;
      assert.ok(schema?.startsWith("t_"), `unexpected schema ${schema}`);
      second = openDatabase(POSTGRES_URL, { searchPath: schema, poolSize: 4 });
      await sharedLockout(new SqlFailureStore(ctx.services.database.db), new SqlFailureStore(second.db));
    } finally {
      await second?.close();
      await ctx.close();
    }
  });
});

describe("redis connection", () => {
  it("fails with a clear English error when Redis is unreachable, hiding the password", async () => {
    const url = "redis://:s3cret@127.0.0.1:1";
    const redis = openRedis(url);
    try {
      await assert.rejects(pingRedis(redis, url), (error: Error) => {
        assert.match(error.message, /^Redis is unreachable at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
        assert.match(error.message, /start it or unset SESAME_REDIS_URL/);
        assert.doesNotMatch(error.message, /s3cret/);
        return true;
      });
    } finally {
      await closeRedis(redis);
    }
  });
});
