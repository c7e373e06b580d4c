/**
 * Address harvesting at the SMTP reception, with a real client on a real port, on
 * SQLite and PostgreSQL, and on Redis for two instances: the first unknown recipients are answered at
 * once, the next ones after a growing delay, the session is closed (421 4.7.0) past the limit; the
 * count is kept per client address (a new session starts where the last one left off) and shared by
 * the instances on Redis; known recipients are never delayed and still get their mail.
 *
 * Each test starts its own reception with its own guard (every client here is 127.0.0.1), with
 * small delays; the assertions are on lower bounds and order, never on exact times.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  createHarvestGuard,
  HARVEST_POLICY,
  type HarvestGuard,
  type HarvestPolicy,
} from "../../src/mail/harvest-guard.js";
import { type SmtpReception, startSmtpReception } from "../../src/mail/smtp-reception.js";
import type { Services } from "../../src/services.js";
import type { Clock } from "../../src/shared/clock.js";
import type { Logger } from "../../src/shared/logger.js";
import { DIALECTS, openTestServices, REDIS_URL, type TestContext } from "../helpers/env.js";
import { capturingLogger } from "../helpers/logger.js";
import { inbox, newAddress, RawSmtp, type SmtpReply, textMessage } from "../helpers/smtp.js";
import { deleteRedisKeys, openTwinServices } from "../helpers/web.js";

/** A timer may fire up to about 1 ms before its time (rounding); lower bounds allow for it. */
const TIMER_SLACK_MS = 2;

/** Free 5, closed past 20, as in production; delays in tens of milliseconds. */
function fastPolicy(baseDelayMs: number, maxDelayMs: number): HarvestPolicy {
  return { ...HARVEST_POLICY, baseDelayMs, maxDelayMs };
}

/**
 * The real clock's pace, started in the middle of one of the policy's fixed windows: a test that
 * happens to run across a window's end (every 10 minutes of wall-clock time) would see its counts
 * start again.
 */
function midWindowClock(windowMs: number): Clock {
  const started = Date.now();
  const mid = Math.floor(started / windowMs) * windowMs + windowMs / 2;
  return { now: () => new Date(mid + (Date.now() - started)) };
}

/** One RCPT TO and how long its answer took. */
async function timedRcpt(client: RawSmtp, address: string): Promise<{ reply: SmtpReply; ms: number }> {
  const started = performance.now();
  const reply = await client.command(`RCPT TO:<${address}>`);
  return { reply, ms: performance.now() - started };
}

/** Resolves when the connection is closed (the server closed it; rejects after `ms`). */
function closedWithin(client: RawSmtp, ms: number): Promise<void> {
  if (client.socket.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connection still open after ${ms} ms`)), ms);
    client.socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

let unknownCounter = 0;
function unknownAt(domain: string): string {
  unknownCounter += 1;
  return `personne.inconnue.${unknownCounter}.${randomBytes(3).toString("hex")}@${domain}`;
}

for (const dialect of DIALECTS) {
  describe(`SMTP reception, address harvesting (${dialect})`, () => {
    let ctx: TestContext;
    const receptions: SmtpReception[] = [];

    before(async () => {
      ctx = await openTestServices(dialect);
    });
    after(async () => {
      for (const r of receptions) await r.close();
      await ctx?.close();
    });

    /** A reception with a guard of its own (in memory), so that no two tests share a count. */
    async function reception(
      policy: HarvestPolicy,
      logger?: Logger,
    ): Promise<{ smtp: SmtpReception; guard: HarvestGuard }> {
      const guard = createHarvestGuard({ clock: midWindowClock(policy.windowMs), policy, audit: ctx.services.audit });
      const smtp = await startSmtpReception(
        { mail: ctx.services.mail, config: ctx.config, harvest: guard, ...(logger ? { logger } : {}) },
        { port: 0, host: "127.0.0.1" },
      );
      receptions.push(smtp);
      return { smtp, guard };
    }

    it("answers the first 5 unknown recipients at once, then each after a growing delay (550 5.1.1 still); a known recipient is neither delayed nor refused, and gets the message", async () => {
      const base = 250; // an answer "at once" is well under it even on a loaded CI machine
      const { smtp } = await reception(fastPolicy(base, 4 * base));
      const known = await newAddress(ctx.services);
      const client = await RawSmtp.open(smtp.port);
      try {
        assert.equal((await client.command("MAIL FROM:<sender@example.org>")).code, 250);
        const answers: { reply: SmtpReply; ms: number }[] = [];
        for (let i = 0; i < 9; i++) answers.push(await timedRcpt(client, unknownAt(ctx.config.mailDomain)));
        for (const [i, a] of answers.entries())
          assert.match(a.reply.text, /^550 5\.1\.1 /, `unknown recipient ${i + 1}`);
        const free = answers.slice(0, 5).map((a) => a.ms);
        const slowed = answers.slice(5).map((a) => a.ms);
        for (const [i, ms] of free.entries()) assert.ok(ms < base, `unknown recipient ${i + 1} took ${ms} ms`);
        // 6th: base, 7th: twice, 8th: four times (the cap), 9th: the cap.
        const expected = [base, 2 * base, 4 * base, 4 * base];
        for (const [i, ms] of slowed.entries()) {
          assert.ok(ms >= (expected[i] ?? 0) - TIMER_SLACK_MS, `unknown recipient ${i + 6} took ${ms} ms`);
        }
        assert.ok(Math.max(...free) < Math.min(...slowed), `${free.join(", ")} / ${slowed.join(", ")}`);
        assert.ok((slowed[0] ?? 0) < (slowed[1] ?? 0) && (slowed[1] ?? 0) < (slowed[2] ?? 0), slowed.join(", "));
        // A known recipient, in the same session, after nine unknown ones: accepted, at once.
        const accepted = await timedRcpt(client, known.address);
        assert.equal(accepted.reply.code, 250, accepted.reply.text);
        assert.ok(accepted.ms < base, `the known recipient took ${accepted.ms} ms`);
        const data = await client.data(textMessage({ to: known.address, subject: "Après les inconnus" }));
        assert.match(data.text, /^250 /);
      } finally {
        await client.quit();
      }
      const { items } = await inbox(ctx.services, known.accountId);
      assert.deepEqual(
        items.map((m) => m.subject),
        ["Après les inconnus"],
      );
    });

    it("closes the session with 421 4.7.0 after 20 unknown recipients, logs it and records it in the audit trail", async () => {
      const { logger, lines } = capturingLogger();
      const { smtp } = await reception(fastPolicy(2, 8), logger);
      const since = new Date(Date.now() - 1000);
      const client = await RawSmtp.open(smtp.port);
      try {
        assert.equal((await client.command("MAIL FROM:<sender@example.org>")).code, 250);
        for (let i = 1; i <= 20; i++) {
          const { reply } = await timedRcpt(client, unknownAt(ctx.config.mailDomain));
          assert.match(reply.text, /^550 5\.1\.1 /, `unknown recipient ${i}`);
        }
        const last = await client.command(`RCPT TO:<${unknownAt(ctx.config.mailDomain)}>`);
        assert.equal(last.text, "421 4.7.0 Too many unknown recipients, closing connection");
        await closedWithin(client, 2000);
        await assert.rejects(client.command("NOOP"), /connection closed/);
      } finally {
        client.destroy();
      }
      const warnings = lines.filter((l) => l.level === 40);
      const started = warnings.find((l) => /harvesting suspected/.test(String(l.msg)));
      assert.ok(started, JSON.stringify(warnings));
      assert.equal(started.ip, "127.0.0.1");
      assert.equal(started.unknownRecipients, 6);
      assert.equal(warnings.filter((l) => /harvesting suspected/.test(String(l.msg))).length, 1, "warned once");
      const dropped = warnings.find((l) => /session closed/.test(String(l.msg)));
      assert.ok(dropped, JSON.stringify(warnings));
      assert.equal(dropped.unknownRecipients, 21);
      const audit = await ctx.services.audit.list({ since, action: "smtp.harvesting_blocked" });
      assert.equal(audit.length, 1);
      assert.equal(audit[0]?.entityId, "127.0.0.1");
      assert.equal(audit[0]?.details.ip, "127.0.0.1");
    });

    it("counts per client address: a new session starts already delayed, and once past 20 is closed at its first unknown recipient", async () => {
      const base = 250;
      const { smtp } = await reception(fastPolicy(base, base));
      const first = await RawSmtp.open(smtp.port);
      try {
        assert.equal((await first.command("MAIL FROM:<sender@example.org>")).code, 250);
        for (let i = 1; i <= 5; i++) {
          const { reply, ms } = await timedRcpt(first, unknownAt(ctx.config.mailDomain));
          assert.match(reply.text, /^550 5\.1\.1 /);
          assert.ok(ms < base, `unknown recipient ${i} took ${ms} ms`);
        }
      } finally {
        await first.quit();
      }
      // Another connection from the same address: its very first unknown recipient waits.
      const second = await RawSmtp.open(smtp.port);
      try {
        assert.equal((await second.command("MAIL FROM:<sender@example.org>")).code, 250);
        const { reply, ms } = await timedRcpt(second, unknownAt(ctx.config.mailDomain));
        assert.match(reply.text, /^550 5\.1\.1 /);
        assert.ok(ms >= base - TIMER_SLACK_MS, `the first unknown recipient of the new session took ${ms} ms`);
        // Up to 20 in all (6 so far), then closed.
        for (let i = 7; i <= 20; i++) {
          assert.match((await second.command(`RCPT TO:<${unknownAt(ctx.config.mailDomain)}>`)).text, /^550 5\.1\.1 /);
        }
        assert.match((await second.command(`RCPT TO:<${unknownAt(ctx.config.mailDomain)}>`)).text, /^421 4\.7\.0 /);
        await closedWithin(second, 2000);
      } finally {
        second.destroy();
      }
      // A third connection: a known recipient still goes through at once; the first unknown closes it.
      const known = await newAddress(ctx.services);
      const third = await RawSmtp.open(smtp.port);
      try {
        assert.equal((await third.command("MAIL FROM:<sender@example.org>")).code, 250);
        const accepted = await timedRcpt(third, known.address);
        assert.equal(accepted.reply.code, 250);
        assert.ok(accepted.ms < base, `the known recipient took ${accepted.ms} ms`);
        const started = performance.now();
        assert.match((await third.command(`RCPT TO:<${unknownAt(ctx.config.mailDomain)}>`)).text, /^421 4\.7\.0 /);
        assert.ok(performance.now() - started < base, "closed without waiting");
        await closedWithin(third, 2000);
      } finally {
        third.destroy();
      }
    });

    it("a sender under the limit is never slowed: 5 unknown recipients per session, every session at once, known ones always", async () => {
      const base = 500;
      const { smtp } = await reception(fastPolicy(base, base));
      const known = await newAddress(ctx.services);
      const client = await RawSmtp.open(smtp.port);
      try {
        assert.equal((await client.command("MAIL FROM:<sender@example.org>")).code, 250);
        for (let i = 0; i < 30; i++) {
          const a = await timedRcpt(client, known.address);
          assert.equal(a.reply.code, 250);
          assert.ok(a.ms < base, `known recipient ${i + 1} took ${a.ms} ms`);
        }
        for (let i = 0; i < 5; i++) {
          const a = await timedRcpt(client, unknownAt(ctx.config.mailDomain));
          assert.match(a.reply.text, /^550 5\.1\.1 /);
          assert.ok(a.ms < base, `unknown recipient ${i + 1} took ${a.ms} ms`);
        }
        assert.match((await client.data(textMessage({ to: known.address, subject: "Sous la limite" }))).text, /^250 /);
      } finally {
        await client.quit();
      }
      assert.equal((await inbox(ctx.services, known.accountId)).items.length, 1);
    });

    it("a delayed answer does not hold up the server's stop: it is answered 421 at once", async () => {
      const { smtp } = await reception(fastPolicy(5_000, 5_000));
      const client = await RawSmtp.open(smtp.port);
      try {
        assert.equal((await client.command("MAIL FROM:<sender@example.org>")).code, 250);
        for (let i = 0; i < 5; i++) await client.command(`RCPT TO:<${unknownAt(ctx.config.mailDomain)}>`);
        const started = performance.now();
        const pending = client.command(`RCPT TO:<${unknownAt(ctx.config.mailDomain)}>`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        await smtp.close();
        const reply = await pending;
        assert.match(reply.text, /^421 /);
        assert.ok(performance.now() - started < 2_000, "answered before the 5 s delay");
      } finally {
        client.destroy();
      }
    });
  });
}

describe("SMTP reception, address harvesting: two instances on one Redis", () => {
  const prefix = `sesame-test:${randomBytes(6).toString("hex")}:`;
  const env = { SESAME_REDIS_URL: REDIS_URL };
  let ctx: TestContext;
  let twin: { services: Services; close(): Promise<void> };
  const receptions: SmtpReception[] = [];

  before(async () => {
    ctx = await openTestServices("postgres", env, { redisPrefix: prefix });
    twin = await openTwinServices(ctx, env, { redisPrefix: prefix });
  });
  after(async () => {
    for (const r of receptions) await r.close();
    if (ctx?.services.redis) await deleteRedisKeys(ctx.services.redis, prefix);
    await twin?.close();
    await ctx?.close();
  });

  async function start(services: Services, harvest: HarvestGuard): Promise<SmtpReception> {
    const smtp = await startSmtpReception(
      { mail: services.mail, config: ctx.config, harvest },
      { port: 0, host: "127.0.0.1" },
    );
    receptions.push(smtp);
    return smtp;
  }

  async function unknownRecipients(port: number, n: number): Promise<{ reply: SmtpReply; ms: number }[]> {
    const client = await RawSmtp.open(port);
    try {
      assert.equal((await client.command("MAIL FROM:<sender@example.org>")).code, 250);
      const out: { reply: SmtpReply; ms: number }[] = [];
      for (let i = 0; i < n; i++) {
        const a = await timedRcpt(client, unknownAt(ctx.config.mailDomain));
        out.push(a);
        if (a.reply.code === 421) break;
      }
      return out;
    } finally {
      await client.quit();
    }
  }

  it("the services' guard counts in Redis (as wired): 5 unknown recipients on one instance, the next on the other is delayed", async () => {
    const a = await start(ctx.services, ctx.services.harvest);
    const b = await start(twin.services, twin.services.harvest);
    const onA = await unknownRecipients(a.port, 5);
    assert.ok(onA.every((r) => /^550 5\.1\.1 /.test(r.reply.text) && r.ms < HARVEST_POLICY.baseDelayMs));
    const redis = ctx.services.redis;
    assert.ok(redis);
    assert.equal((await redis.keys(`${prefix}rl:smtp-harvest:{127.0.0.1}:*`)).length, 1);
    const [onB] = await unknownRecipients(b.port, 1);
    assert.match(onB?.reply.text ?? "", /^550 5\.1\.1 /);
    assert.ok((onB?.ms ?? 0) >= HARVEST_POLICY.baseDelayMs - TIMER_SLACK_MS, `${onB?.ms} ms on the other instance`);
  });

  it("past 20 unknown recipients across the two instances, both close the session; audited once", async () => {
    // Guards as the wiring builds them, with small delays and a prefix of their own (a fresh count).
    const own = `${prefix}close:`;
    // Both instances in the same window, away from its end.
    const clock = midWindowClock(HARVEST_POLICY.windowMs);
    const guard = (services: Services) =>
      createHarvestGuard({
        clock,
        redis: services.redis,
        redisPrefix: own,
        policy: fastPolicy(2, 4),
        audit: services.audit,
      });
    const since = new Date(Date.now() - 1000);
    const a = await start(ctx.services, guard(ctx.services));
    const b = await start(twin.services, guard(twin.services));
    const first = await unknownRecipients(a.port, 12);
    assert.ok(first.every((r) => r.reply.code === 550));
    const second = await unknownRecipients(b.port, 12);
    assert.deepEqual(
      second.map((r) => r.reply.code),
      [550, 550, 550, 550, 550, 550, 550, 550, 421],
      "8 more on the other instance make 20, the 21st closes",
    );
    const third = await unknownRecipients(a.port, 1);
    assert.match(third[0]?.reply.text ?? "", /^421 4\.7\.0 /);
    const audit = await ctx.services.audit.list({ since, action: "smtp.harvesting_blocked" });
    assert.equal(audit.length, 1, "the first closing of the window only");
  });
});
