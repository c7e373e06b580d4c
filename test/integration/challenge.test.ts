import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type Challenge, solveChallenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/pbkdf2";
import { ChallengeService, DEFAULT_CHALLENGE_SETTINGS } from "../../src/identity/challenge.js";
import {
  RedisUsedChallengeStore,
  SqlUsedChallengeStore,
  type UsedChallengeStore,
} from "../../src/identity/throttle.repository.js";
import { FakeClock, systemClock } from "../../src/shared/clock.js";
import { closeRedis, openRedis, pingRedis, type Redis } from "../../src/shared/redis.js";
import { DIALECTS, openTestServices, REDIS_URL, TEST_SECRET, type TestContext } from "../helpers/env.js";

type Backend = "sqlite" | "postgres" | "redis";
const BACKENDS: readonly Backend[] = [...DIALECTS, "redis"];

/** Cheap proof of work for tests; the defaults are checked separately. */
const TEST_SETTINGS = { cost: 20, counterMin: 10, counterMax: 40 };

async function solvedPayload(challenge: Challenge, tamper?: (p: { challenge: Challenge }) => void): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey, timeout: 30_000 });
  assert.ok(solution, "the test solver found no solution");
  const payload = { challenge: structuredClone(challenge), solution };
  tamper?.(payload);
  return Buffer.from(JSON.stringify(payload)).toString("base64");
}

interface Fixture {
  readonly used: UsedChallengeStore;
  readonly ctx: TestContext | null;
  close(): Promise<void>;
}

async function openFixture(backend: Backend): Promise<Fixture> {
  if (backend === "redis") {
    const redis: Redis = openRedis(REDIS_URL);
    await pingRedis(redis, REDIS_URL);
    const prefix = `sesame-test:${randomBytes(6).toString("hex")}:`;
    return {
      used: new RedisUsedChallengeStore(redis, prefix),
      ctx: null,
      close: async () => {
        let cursor = "0";
        do {
          const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== "0");
        await closeRedis(redis);
      },
    };
  }
  const ctx = await openTestServices(backend);
  return { used: new SqlUsedChallengeStore(ctx.services.database.db), ctx, close: () => ctx.close() };
}

for (const backend of BACKENDS) {
  describe(`ALTCHA challenges (${backend})`, () => {
    let fx: Fixture;
    before(async () => {
      fx = await openFixture(backend);
    });
    after(async () => {
      await fx.close();
    });

    // altcha-lib also checks the expiry against the real time, so the fake clock starts now.
    const service = (clock: FakeClock, secret = TEST_SECRET) =>
      new ChallengeService({ secret, clock, usedChallenges: fx.used, settings: TEST_SETTINGS });

    it("accepts a solved challenge once, and refuses its replay on any instance", async () => {
      const clock = new FakeClock(systemClock.now());
      const one = service(clock);
      const two = service(clock); // a second app instance over the same store
      const payload = await solvedPayload(await one.createChallenge());
      assert.equal(await one.verify(payload), true);
      assert.equal(await one.verify(payload), false);
      assert.equal(await two.verify(payload), false);
      // A fresh challenge still works.
      assert.equal(await two.verify(await solvedPayload(await one.createChallenge())), true);
    });

    it("refuses replays racing each other: exactly one wins", async () => {
      const clock = new FakeClock(systemClock.now());
      const s = service(clock);
      const payload = await solvedPayload(await s.createChallenge());
      const results = await Promise.all(Array.from({ length: 8 }, () => s.verify(payload)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    it("refuses an expired challenge", async () => {
      const clock = new FakeClock(systemClock.now());
      const s = service(clock);
      const payload = await solvedPayload(await s.createChallenge());
      clock.advance(DEFAULT_CHALLENGE_SETTINGS.ttlMs + 1_000);
      assert.equal(await s.verify(payload), false);
    });

    it("refuses tampered challenges and solutions", async () => {
      const clock = new FakeClock(systemClock.now());
      const s = service(clock);
      const tampers: Array<[string, (p: { challenge: Challenge; solution?: unknown }) => void]> = [
        ["easier cost", (p) => Object.assign(p.challenge.parameters, { cost: 1 })],
        ["later expiry", (p) => Object.assign(p.challenge.parameters, { expiresAt: 4_000_000_000 })],
        ["forged signature", (p) => Object.assign(p.challenge, { signature: "00".repeat(32) })],
        ["no signature", (p) => Object.assign(p.challenge, { signature: undefined })],
        ["wrong derived key", (p) => Object.assign(p, { solution: { counter: 1, derivedKey: "ab".repeat(32) } })],
        ["wrong counter", (p) => Object.assign(p, { solution: { counter: "1", derivedKey: "ab" } })],
      ];
      for (const [what, tamper] of tampers) {
        const payload = await solvedPayload(await s.createChallenge(), tamper);
        assert.equal(await s.verify(payload), false, what);
      }
      // Signed with another server's secret.
      const other = service(clock, `${TEST_SECRET}-other`);
      assert.equal(await s.verify(await solvedPayload(await other.createChallenge())), false, "other secret");
    });

    it("refuses what is not a payload", async () => {
      const clock = new FakeClock(systemClock.now());
      const s = service(clock);
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64");
      for (const payload of [
        "",
        "not base64 !",
        b64({}),
        b64([]),
        b64({ challenge: {}, solution: {} }),
        "A".repeat(9_000),
      ]) {
        assert.equal(await s.verify(payload), false, payload.slice(0, 40));
      }
    });

    it("forgets used challenges once they have expired", async () => {
      const clock = new FakeClock(systemClock.now());
      const signature = randomBytes(32).toString("hex");
      const expiresAt = new Date(clock.now().getTime() + 60_000);
      assert.equal(await fx.used.markUsed(signature, expiresAt, clock.now()), true);
      assert.equal(await fx.used.markUsed(signature, expiresAt, clock.now()), false);
      if (fx.ctx) {
        clock.advance(60_000);
        assert.equal(await fx.used.purgeExpired(clock.now()), 1);
        const db = fx.ctx.services.database.db;
        const row = await db.selectFrom("challenge_used").select("signature").where("signature", "=", signature);
        assert.equal(await row.executeTakeFirst(), undefined);
      }
    });
  });
}

describe("ALTCHA challenge defaults", () => {
  it("are PBKDF2-SHA-256, deterministic (signed key), expiring in 10 minutes", async () => {
    const clock = new FakeClock(systemClock.now());
    const used: UsedChallengeStore = { markUsed: async () => true, purgeExpired: async () => 0 };
    const challenge = await new ChallengeService({
      secret: TEST_SECRET,
      clock,
      usedChallenges: used,
    }).createChallenge();
    const p = challenge.parameters;
    assert.equal(p.algorithm, "PBKDF2/SHA-256");
    assert.equal(p.cost, 5_000);
    assert.equal(typeof p.keySignature, "string");
    assert.equal(p.expiresAt, Math.floor((clock.now().getTime() + 10 * 60_000) / 1_000));
    assert.match(challenge.signature ?? "", /^[0-9a-f]{64}$/);
    // What the page embeds is plain JSON.
    assert.deepEqual(JSON.parse(JSON.stringify(challenge)), challenge);
  });
});
