/**
 * The address-harvesting rule (src/mail/harvest-guard.ts) without a server: the delays, the client
 * keys, the verdicts over a fake clock, and what happens when the shared count is unreachable.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RateLimiter } from "../../src/identity/rate-limit.js";
import {
  createHarvestGuard,
  HARVEST_POLICY,
  HarvestGuard,
  harvestClientKey,
  harvestDelayMs,
} from "../../src/mail/harvest-guard.js";
import { HARVEST_DROP_REPLY, ownCodeError } from "../../src/mail/smtp-replies.js";
import { FakeClock } from "../../src/shared/clock.js";

describe("harvest guard", () => {
  it("delays nothing up to 5, then 250 ms doubling up to 4 s", () => {
    const delays = Array.from({ length: 22 }, (_, i) => harvestDelayMs(HARVEST_POLICY, i + 1));
    assert.deepEqual(delays.slice(0, 5), [0, 0, 0, 0, 0]);
    assert.deepEqual(delays.slice(5, 11), [250, 500, 1000, 2000, 4000, 4000]);
    assert.equal(harvestDelayMs(HARVEST_POLICY, 10_000), 4000);
    // A harvesting session (20 unknown recipients) lasts under a minute: within smtp-server's socket timeout.
    assert.ok(delays.slice(0, 20).reduce((a, b) => a + b, 0) < 60_000);
  });

  it("keys IPv4 as it is and IPv6 by its /64", () => {
    assert.equal(harvestClientKey("192.0.2.7"), "192.0.2.7");
    assert.equal(harvestClientKey("::ffff:192.0.2.7"), "192.0.2.7");
    assert.equal(harvestClientKey("2001:db8:0:1::7"), "2001:db8:0:1::/64");
    assert.equal(harvestClientKey("2001:DB8:0:1:aaaa:bbbb:cccc:dddd"), "2001:db8:0:1::/64");
    assert.equal(harvestClientKey("2001:db8::1"), "2001:db8:0:0::/64");
    assert.equal(harvestClientKey("::1"), "0:0:0:0::/64");
    assert.equal(harvestClientKey("64:ff9b::192.0.2.1"), "64:ff9b:0:0::/64");
    assert.equal(harvestClientKey(""), "unknown");
  });

  it("answers, delays, then closes; per session and per address, whichever is larger", async () => {
    const guard = createHarvestGuard({ clock: new FakeClock() });
    const first = guard.session("192.0.2.1");
    const verdicts = [];
    for (let i = 0; i < 21; i++) verdicts.push(await first.unknownRecipient());
    assert.deepEqual(
      verdicts.map((v) => v.action),
      [...Array(5).fill("answer"), ...Array(15).fill("delay"), "drop"],
    );
    assert.deepEqual(
      verdicts.map((v) => v.delayStarts),
      verdicts.map((_, i) => i === 5),
    );
    // Another client is not concerned; the same client in a new session is closed at once.
    assert.equal((await guard.session("192.0.2.2").unknownRecipient()).action, "answer");
    const again = await guard.session("192.0.2.1").unknownRecipient();
    assert.equal(again.action, "drop");
    assert.equal(again.sessionCount, 1);
  });

  it("the count per address ends with its window (10 minutes)", async () => {
    const clock = new FakeClock("2026-01-15T08:00:00.000Z");
    const guard = createHarvestGuard({ clock });
    for (let i = 0; i < 5; i++) await guard.session("192.0.2.1").unknownRecipient();
    assert.equal((await guard.session("192.0.2.1").unknownRecipient()).action, "delay");
    clock.advance(10 * 60_000);
    assert.equal((await guard.session("192.0.2.1").unknownRecipient()).action, "answer");
  });

  it("audits the first closing of a client in a window only", async () => {
    const events: string[] = [];
    const guard = createHarvestGuard({
      clock: new FakeClock(),
      audit: { record: async (e) => void events.push(`${e.action} ${e.entityId}`) },
    });
    const s = guard.session("192.0.2.9");
    for (let i = 0; i < 23; i++) await s.unknownRecipient();
    await guard.session("192.0.2.9").unknownRecipient();
    assert.deepEqual(events, ["smtp.harvesting_blocked 192.0.2.9"]);
  });

  it("without the shared count (Redis down), the session's own count still rules, and the error is reported", async () => {
    const broken: RateLimiter = {
      consume: () => Promise.reject(new Error("connection refused")),
    };
    const guard = new HarvestGuard({ limiter: broken });
    const s = guard.session("192.0.2.3");
    const verdicts = [];
    for (let i = 0; i < 21; i++) verdicts.push(await s.unknownRecipient());
    assert.equal(verdicts[4]?.action, "answer");
    assert.equal(verdicts[5]?.action, "delay");
    assert.equal(verdicts[20]?.action, "drop");
    assert.ok(verdicts.every((v) => v.error instanceof Error));
  });

  it("refuses an incoherent policy", () => {
    const limiter: RateLimiter = { consume: () => Promise.reject(new Error("unused")) };
    assert.throws(() => new HarvestGuard({ limiter, policy: { ...HARVEST_POLICY, freeUnknown: 30 } }), RangeError);
    assert.throws(() => new HarvestGuard({ limiter, policy: { ...HARVEST_POLICY, maxDelayMs: 10 } }), RangeError);
  });

  it("closes with 421 4.7.0, the enhanced code written in the text", () => {
    assert.equal(`${HARVEST_DROP_REPLY.code} ${HARVEST_DROP_REPLY.enhanced}`, "421 4.7.0");
    const error = ownCodeError(HARVEST_DROP_REPLY);
    assert.equal(error.responseCode, 421);
    assert.equal(error.message, "4.7.0 Too many unknown recipients, closing connection");
  });
});
