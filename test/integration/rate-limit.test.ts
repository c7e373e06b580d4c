/**
 * The request rate limiters (src/identity/rate-limit.ts), in memory and on a real Redis, with a fake
 * clock: allowed up to the limit, refused after until the window ends (and told how long), the first
 * refusal flagged once, keys independent; two limiters on one Redis share the count; the memory map
 * stays bounded.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  createRateLimiter,
  MemoryRateLimiter,
  type RateLimiter,
  type RateLimitPolicy,
  RedisRateLimiter,
} from "../../src/identity/rate-limit.js";
import { FakeClock } from "../../src/shared/clock.js";
import { closeRedis, openRedis, pingRedis, type Redis } from "../../src/shared/redis.js";
import { REDIS_URL } from "../helpers/env.js";
import { deleteRedisKeys } from "../helpers/web.js";

const POLICY: RateLimitPolicy = { limit: 3, windowMs: 60_000 };
/** 15 s into a window (windows are aligned on whole minutes since the epoch). */
const START = "2026-01-15T08:00:15.000Z";

async function openRedisForTest(): Promise<Redis> {
  const redis = openRedis(REDIS_URL);
  await pingRedis(redis, REDIS_URL);
  return redis;
}

async function consumeTimes(limiter: RateLimiter, key: string, n: number): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push((await limiter.consume(key)).allowed);
  return out;
}

type Backend = "memory" | "redis";

for (const backend of ["memory", "redis"] as const satisfies readonly Backend[]) {
  describe(`rate limiter (${backend})`, () => {
    const prefix = `sesame-test:${randomBytes(6).toString("hex")}:`;
    let redis: Redis | null = null;
    before(async () => {
      if (backend === "redis") redis = await openRedisForTest();
    });
    after(async () => {
      if (redis) {
        await deleteRedisKeys(redis, prefix);
        await closeRedis(redis);
      }
    });

    /** A fresh limiter (its own name, so that no two tests share counters). */
    const limiter = (clock: FakeClock, policy = POLICY): RateLimiter => {
      const name = `t${randomBytes(4).toString("hex")}`;
      return createRateLimiter({ name, policy, clock, redis, redisPrefix: prefix });
    };

    it("is the implementation the wiring asks for", () => {
      const l = limiter(new FakeClock(START));
      assert.ok(backend === "redis" ? l instanceof RedisRateLimiter : l instanceof MemoryRateLimiter);
    });

    it("allows up to the limit, refuses after until the window ends, then allows again", async () => {
      const clock = new FakeClock(START);
      const l = limiter(clock);
      for (let i = 1; i <= 3; i++) {
        assert.deepEqual(
          await l.consume("a"),
          { allowed: true, retryAfterMs: 0, firstRefusal: false, count: i },
          `request ${i}`,
        );
      }
      assert.deepEqual(await l.consume("a"), { allowed: false, retryAfterMs: 45_000, firstRefusal: true, count: 4 });
      clock.advance(30_000);
      assert.deepEqual(
        await l.consume("a"),
        { allowed: false, retryAfterMs: 15_000, firstRefusal: false, count: 4 },
        "the first refusal is flagged once per window",
      );
      clock.advance(14_999);
      assert.deepEqual(await l.consume("a"), { allowed: false, retryAfterMs: 1, firstRefusal: false, count: 4 });
      clock.advance(1);
      // A new window: the count starts again, and so does the first refusal.
      assert.deepEqual(await consumeTimes(l, "a", 4), [true, true, true, false]);
      clock.advance(60_000);
      const again = await consumeTimes(l, "a", 3);
      assert.deepEqual(again, [true, true, true]);
      const refused = await l.consume("a");
      assert.equal(refused.allowed, false);
      assert.equal(refused.firstRefusal, true);
      assert.equal(refused.retryAfterMs, 60_000);
    });

    it("counts each key on its own", async () => {
      const clock = new FakeClock(START);
      const l = limiter(clock);
      assert.deepEqual(await consumeTimes(l, "account:1", 4), [true, true, true, false]);
      assert.deepEqual(await consumeTimes(l, "account:2", 4), [true, true, true, false]);
      assert.equal((await l.consume("account:1")).allowed, false, "the first key is still refused");
    });

    it("refuses invalid policies", () => {
      const clock = new FakeClock(START);
      assert.throws(() => limiter(clock, { limit: 0, windowMs: 1000 }), RangeError);
      assert.throws(() => limiter(clock, { limit: 1.5, windowMs: 1000 }), RangeError);
      assert.throws(() => limiter(clock, { limit: 1, windowMs: 0 }), RangeError);
    });
  });
}

describe("rate limiter on Redis, shared", () => {
  const prefix = `sesame-test:${randomBytes(6).toString("hex")}:`;
  let r1: Redis;
  let r2: Redis;
  before(async () => {
    r1 = await openRedisForTest();
    r2 = await openRedisForTest();
  });
  after(async () => {
    await deleteRedisKeys(r1, prefix);
    await closeRedis(r1);
    await closeRedis(r2);
  });

  it("two limiters on two connections (two instances) share one count", async () => {
    const clock = new FakeClock(START);
    const a = new RedisRateLimiter(r1, "suggest", POLICY, clock, prefix);
    const b = new RedisRateLimiter(r2, "suggest", POLICY, clock, prefix);
    assert.equal((await a.consume("account:7")).allowed, true);
    assert.equal((await b.consume("account:7")).allowed, true);
    assert.equal((await a.consume("account:7")).allowed, true);
    const refused = await b.consume("account:7");
    assert.deepEqual(refused, { allowed: false, retryAfterMs: 45_000, firstRefusal: true, count: 4 });
    assert.equal((await a.consume("account:7")).firstRefusal, false, "flagged once across the instances");
    // Another limiter name is another count.
    const other = new RedisRateLimiter(r2, "other", POLICY, clock, prefix);
    assert.equal((await other.consume("account:7")).allowed, true);
  });

  it("counts exactly under concurrent requests from both instances", async () => {
    const clock = new FakeClock(START);
    const a = new RedisRateLimiter(r1, "race", { limit: 50, windowMs: 60_000 }, clock, prefix);
    const b = new RedisRateLimiter(r2, "race", { limit: 50, windowMs: 60_000 }, clock, prefix);
    const decisions = await Promise.all(
      Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? a : b).consume("account:8")),
    );
    assert.equal(decisions.filter((d) => d.allowed).length, 50);
    assert.equal(decisions.filter((d) => d.firstRefusal).length, 1);
  });

  it("writes one counter per key and window, under the prefix, that Redis forgets after a window", async () => {
    const clock = new FakeClock(START);
    const l = new RedisRateLimiter(r1, "ttl", POLICY, clock, prefix);
    await consumeTimes(l, "account:9", 5);
    const keys = await r1.keys(`${prefix}rl:ttl:*`);
    const window = Math.floor(new Date(START).getTime() / POLICY.windowMs);
    assert.deepEqual(keys, [`${prefix}rl:ttl:{account:9}:${window}`]);
    assert.equal(await r1.get(keys[0] as string), "5");
    const ttl = await r1.pttl(keys[0] as string);
    assert.ok(ttl > 0 && ttl <= POLICY.windowMs, `TTL ${ttl}`);
  });

  it("refuses a limiter name that would break the key layout", () => {
    assert.throws(() => new RedisRateLimiter(r1, "a:b", POLICY, new FakeClock(START), prefix), RangeError);
  });
});

describe("rate limiter in memory, bounded", () => {
  it("never holds more than maxKeys keys, dropping the oldest", async () => {
    const clock = new FakeClock(START);
    const l = new MemoryRateLimiter(POLICY, clock, { maxKeys: 5 });
    for (let i = 0; i < 100; i++) {
      assert.equal((await l.consume(`account:${i}`)).allowed, true);
      assert.ok(l.size <= 5, `size ${l.size} after ${i + 1} keys`);
    }
    assert.equal(l.size, 5);
    // The newest keys kept their counts; an evicted one starts again.
    assert.deepEqual(await consumeTimes(l, "account:99", 3), [true, true, false]);
    assert.deepEqual(await consumeTimes(l, "account:0", 3), [true, true, true]);
  });

  it("drops the keys of past windows as new keys come", async () => {
    const clock = new FakeClock(START);
    const l = new MemoryRateLimiter(POLICY, clock, { maxKeys: 1000 });
    for (let i = 0; i < 200; i++) await l.consume(`account:${i}`);
    assert.equal(l.size, 200);
    clock.advance(POLICY.windowMs);
    await l.consume("account:new");
    assert.equal(l.size, 1, "only the key of the current window is left");
  });

  it("is per instance: two memory limiters do not share their counts", async () => {
    const clock = new FakeClock(START);
    const a = new MemoryRateLimiter(POLICY, clock);
    const b = new MemoryRateLimiter(POLICY, clock);
    assert.deepEqual(await consumeTimes(a, "k", 4), [true, true, true, false]);
    assert.equal((await b.consume("k")).allowed, true);
  });

  it("refuses an invalid bound", () => {
    assert.throws(() => new MemoryRateLimiter(POLICY, new FakeClock(START), { maxKeys: 0 }), RangeError);
  });
});
