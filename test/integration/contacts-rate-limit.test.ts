/**
 * The compose page's address suggestions are rate-limited per account (60 a minute), so that a
 * signed-in account cannot page through the whole directory: in-process on SQLite and PostgreSQL
 * (memory limiter), and on two instances sharing one Redis. The 61st request of a minute is a 429
 * with Retry-After and a French sentence, another account is unaffected, the first refusal is audited
 * once per window, and the next window works again (the test clock moves, nothing sleeps).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import { SUGGESTION_RATE_POLICY } from "../../src/mail/contacts.service.js";
import type { Services } from "../../src/services.js";
import { FakeClock } from "../../src/shared/clock.js";
import { contactsFr } from "../../src/web/i18n/contacts.fr.js";
import { DIALECTS, openTestServices, REDIS_URL, type TestContext } from "../helpers/env.js";
import { deleteRedisKeys, openTwinServices, signedInClient, testApp, WebClient } from "../helpers/web.js";

const LIMIT = SUGGESTION_RATE_POLICY.limit;
const WINDOW = SUGGESTION_RATE_POLICY.windowMs;

/** Now, moved back to 5 s into the current window (windows are aligned on multiples of WINDOW). */
function clockInWindow(): FakeClock {
  return new FakeClock(new Date(Math.floor(Date.now() / WINDOW) * WINDOW + 5_000));
}

interface SuggestionsBody {
  suggestions: { name: string; address: string; source: string }[];
  message?: string;
}

const suggestionsOf = (res: LightMyRequestResponse): SuggestionsBody => JSON.parse(res.body) as SuggestionsBody;

/** What the page's script asks while the account types the start of its own address. */
const queryFor = (account: Account) =>
  `/mail/contacts/suggestions?q=${encodeURIComponent(account.address.slice(0, 6))}`;

async function throttledEntries(services: Services, accountId: number) {
  return (await services.audit.list({ action: "contacts.suggestions_throttled" })).filter(
    (e) => e.entityId === String(accountId),
  );
}

function assertRefused(res: LightMyRequestResponse, retryAfterSeconds: number): void {
  assert.equal(res.statusCode, 429);
  assert.equal(res.headers["retry-after"], String(retryAfterSeconds));
  assert.equal(res.headers["cache-control"], "no-store");
  assert.match(String(res.headers["content-type"]), /^application\/json/);
  assert.deepEqual(suggestionsOf(res), { suggestions: [], message: contactsFr.suggestionsLimited });
}

for (const dialect of DIALECTS) {
  describe(`address suggestions rate limit (${dialect})`, () => {
    let t: TestContext;
    let app: FastifyInstance;
    const clock = clockInWindow();
    before(async () => {
      t = await openTestServices(dialect, {}, { clock });
      app = await testApp(t.services);
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    it("refuses the 61st request of a minute with 429, audits it once, spares others, and lets go after", async () => {
      const a = await signedInClient(t.services, app);
      const b = await signedInClient(t.services, app);
      for (let i = 1; i <= LIMIT; i++) {
        const res = await a.c.get(queryFor(a.account));
        assert.equal(res.statusCode, 200, `request ${i}`);
        assert.ok(suggestionsOf(res).suggestions.some((s) => s.address === a.account.address));
      }
      // 5 s into the window: 55 s left.
      assertRefused(await a.c.get(queryFor(a.account)), 55);
      clock.advance(10_000);
      assertRefused(await a.c.get(queryFor(a.account)), 45);
      // Even a query too short to search counts: the limit is on requests.
      assert.equal((await a.c.get("/mail/contacts/suggestions?q=a")).statusCode, 429);

      // Another account is unaffected.
      const other = await b.c.get(queryFor(b.account));
      assert.equal(other.statusCode, 200);
      assert.ok(suggestionsOf(other).suggestions.some((s) => s.address === b.account.address));
      assert.equal(suggestionsOf(other).message, undefined);

      // One audit entry for the window, not one per refused request.
      const entries = await throttledEntries(t.services, a.account.id);
      assert.equal(entries.length, 1);
      assert.equal(entries[0]?.actor, "web:webmail");
      assert.equal(entries[0]?.entity, "account");
      assert.deepEqual(await throttledEntries(t.services, b.account.id), []);
      // Nothing written per request in the throttling table.
      const rows = await t.services.database.db.selectFrom("throttle_failure").select("key").execute();
      assert.deepEqual(rows, []);

      // The next window: suggestions work again.
      clock.advance(45_000);
      const back = await a.c.get(queryFor(a.account));
      assert.equal(back.statusCode, 200);
      assert.ok(suggestionsOf(back).suggestions.some((s) => s.address === a.account.address));

      // And a new window's first refusal is audited again, once.
      for (let i = 2; i <= LIMIT; i++) assert.equal((await a.c.get(queryFor(a.account))).statusCode, 200);
      assertRefused(await a.c.get(queryFor(a.account)), 60);
      assert.equal((await a.c.get(queryFor(a.account))).statusCode, 429);
      assert.equal((await throttledEntries(t.services, a.account.id)).length, 2);
    });
  });
}

describe("address suggestions rate limit, two instances on one Redis", () => {
  const prefix = `sesame-test:${randomBytes(6).toString("hex")}:`;
  const env = { SESAME_REDIS_URL: REDIS_URL };
  const clock = clockInWindow();
  let ctx: TestContext;
  let twin: { services: Services; close(): Promise<void> };
  let appA: FastifyInstance;
  let appB: FastifyInstance;
  before(async () => {
    ctx = await openTestServices("sqlite", env, { redisPrefix: prefix, clock });
    twin = await openTwinServices(ctx, env, { redisPrefix: prefix, clock });
    appA = await testApp(ctx.services);
    appB = await testApp(twin.services);
  });
  after(async () => {
    await appA?.close();
    await appB?.close();
    if (ctx?.services.redis) await deleteRedisKeys(ctx.services.redis, prefix);
    await twin?.close();
    await ctx?.close();
  });

  it("counts the requests made through both instances together", async () => {
    const { account, c: onA } = await signedInClient(ctx.services, appA);
    // The same browser, sent to B by the load balancer (sessions are in Redis too).
    const onB = new WebClient(appB, onA.ip);
    for (const [k, v] of onA.cookies) onB.cookies.set(k, v);
    for (let i = 1; i <= LIMIT; i++) {
      const res = await (i % 2 === 0 ? onA : onB).get(queryFor(account));
      assert.equal(res.statusCode, 200, `request ${i}`);
    }
    assertRefused(await onA.get(queryFor(account)), 55);
    assertRefused(await onB.get(queryFor(account)), 55);
    assert.equal((await throttledEntries(ctx.services, account.id)).length, 1, "audited once for both instances");
    assert.ok((await ctx.services.redis?.keys(`${prefix}rl:suggest:*`))?.length === 1, "the counter is in Redis");
    clock.advance(55_000);
    assert.equal((await onB.get(queryFor(account))).statusCode, 200);
  });
});
