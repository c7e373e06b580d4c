/**
 * The administration dashboard's figures (services.consoleStats) on SQLite and PostgreSQL: sign-ins
 * per door as the login service records them, the Assistance, throttles and messages sent from the
 * audit trail, hours and days in Europe/Paris (daylight saving time included), closed hours rolled up
 * once and never counted twice, the SMTP reception's counters through a real SMTP conversation, and a
 * count that fails never failing a delivery.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { COUNTS_WRITE_DELAY_MS, ConsoleStatsService } from "../../src/console/stats.service.js";
import type { Dashboard, StatsSeries } from "../../src/console/stats.types.js";
import { type SmtpReception, startSmtpReception } from "../../src/mail/smtp-reception.js";
import type { Clock } from "../../src/shared/clock.js";
import { isDomainError } from "../../src/shared/errors.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { inbox, newAddress, RawSmtp, textMessage, transport } from "../helpers/smtp.js";
import { MAILBOX_PASSWORD, nextMailboxIp, staffWithPassword } from "../helpers/web.js";

const MB = 1024 * 1024;

/** A clock a test sets where it wants. */
class SetClock implements Clock {
  ms: number;
  constructor(at: string) {
    this.ms = Date.parse(at);
  }
  now(): Date {
    return new Date(this.ms);
  }
  set(at: string): void {
    this.ms = Date.parse(at);
  }
}

/** The value of a series in the bucket that starts at `start` (ISO), or in the last bucket. */
function valueAt(d: Dashboard, series: StatsSeries, start?: string): number | null {
  const index = start === undefined ? d.buckets.length - 1 : d.buckets.findIndex((b) => b.start === start);
  assert.ok(index >= 0, `no bucket starting at ${start}`);
  return d.values[series][index] ?? null;
}

function total(d: Dashboard, series: StatsSeries): number {
  return d.values[series].reduce<number>((sum, v) => sum + (v ?? 0), 0);
}

/** Fresh services on a fresh database, with a clock of the test's own. */
async function withStats(
  dialect: (typeof DIALECTS)[number],
  at: string,
  fn: (ctx: TestContext, clock: SetClock) => Promise<void>,
): Promise<void> {
  const clock = new SetClock(at);
  const ctx = await openTestServices(dialect, {}, { clock });
  try {
    await fn(ctx, clock);
  } finally {
    await ctx.close();
  }
}

for (const dialect of DIALECTS) {
  describe(`dashboard figures (${dialect})`, () => {
    it("counts sign-ins per door as the login service records them, failures, and the throttle they start", async () => {
      await withStats(dialect, "2026-03-10T09:20:00.000Z", async ({ services }) => {
        const account = await staffWithPassword(services);
        const ua = "test";
        await services.login.login({
          identifier: account.username,
          password: MAILBOX_PASSWORD,
          ip: nextMailboxIp(),
          userAgent: ua,
        });
        await services.login.login({
          identifier: account.username,
          password: MAILBOX_PASSWORD,
          ip: nextMailboxIp(),
          userAgent: ua,
          application: "account",
        });
        await services.login.authenticate({
          identifier: account.username,
          password: MAILBOX_PASSWORD,
          ip: nextMailboxIp(),
          channel: "imap",
        });
        await assert.rejects(
          services.login.authenticate({
            identifier: account.username,
            password: "faux",
            ip: nextMailboxIp(),
            channel: "smtp",
          }),
          (e) => isDomainError(e, "INVALID_CREDENTIALS"),
        );
        // Wrong passwords at the webmail until the account is blocked (every one from a new address).
        let failures = 1; // the SMTP one above counts for the account too
        for (;;) {
          try {
            await services.login.login({
              identifier: account.username,
              password: "faux",
              ip: nextMailboxIp(),
              userAgent: ua,
            });
          } catch (error) {
            if (isDomainError(error, "THROTTLED")) break;
            assert.ok(isDomainError(error, "INVALID_CREDENTIALS"), String(error));
            failures += 1;
            assert.ok(failures < 50, "never throttled");
          }
        }

        const d = await services.consoleStats.dashboard("24h");
        assert.equal(d.step, "hour");
        assert.equal(d.buckets.length, 24);
        assert.equal(valueAt(d, "signin.success.webmail"), 1);
        assert.equal(valueAt(d, "signin.success.assistance"), 1);
        assert.equal(valueAt(d, "signin.success.imap"), 1);
        assert.equal(valueAt(d, "signin.success.submission"), 0);
        assert.equal(valueAt(d, "signin.failure.submission"), 1);
        assert.equal(valueAt(d, "signin.failure.webmail"), failures - 1);
        assert.equal(valueAt(d, "throttle.started"), 1);
        assert.equal(valueAt(d, "throttle.refused"), 1);
        // Nothing before this hour.
        assert.equal(total(d, "signin.success.webmail"), 1);
      });
    });

    it("counts the Assistance's journeys, throttles and the messages people send, from the audit trail", async () => {
      await withStats(dialect, "2026-03-10T09:20:00.000Z", async ({ services }) => {
        const record = (actor: string, action: Parameters<typeof services.audit.record>[0]["action"], details = {}) =>
          services.audit.record({ actor, action, entity: "recovery", details });
        await record("web:assistance", "recovery.numen_succeeded");
        await record("web:assistance", "recovery.numen_succeeded_code_sent");
        await record("web:assistance", "recovery.numen_failed");
        await record("web:assistance", "recovery.numen_failed", { throttledUntil: "2026-03-10T09:25:00.000Z" });
        await record("web:assistance", "recovery.throttled");
        await record("web:assistance", "recovery.link_requested", { matched: true });
        await record("web:assistance", "recovery.link_throttled");
        await record("web:assistance", "password.changed", { turnOffForwarding: true });
        await record("web:assistance", "password.initial_replaced");
        // A change at the webmail and a re-authentication's failure are no Assistance and no sign-in.
        await record("web:webmail", "password.changed", { reauth: "current_password" });
        await record("web:webmail", "login.failed", { reauth: true });
        await record("smtp:reception", "smtp.harvesting_blocked");
        await record("web:webmail", "contacts.suggestions_throttled");

        const sender = await staffWithPassword(services);
        const other = await staffWithPassword(services);
        const meta = { ip: "192.0.2.10", userAgent: "test" };
        const message = { cc: "", bcc: "", text: "Bonjour", attachments: [] };
        await services.send.send(sender.id, { ...message, to: other.address, subject: "Local" }, meta);
        await services.send.send(
          sender.id,
          { ...message, to: "ami@exemple.org, amie@exemple.org", subject: "Dehors" },
          meta,
        );

        const d = await services.consoleStats.dashboard("24h");
        assert.equal(valueAt(d, "assistance.numen"), 2);
        assert.equal(valueAt(d, "assistance.numen_failed"), 2);
        assert.equal(valueAt(d, "assistance.link"), 1);
        assert.equal(valueAt(d, "assistance.completed"), 2);
        assert.equal(valueAt(d, "throttle.started"), 3);
        assert.equal(valueAt(d, "throttle.refused"), 2);
        assert.equal(valueAt(d, "signin.failure.webmail"), 0);
        assert.equal(valueAt(d, "mail.sent"), 2);

        // The queue's depth: sampled by the periodic task, the hour keeps its highest sample.
        assert.equal(valueAt(d, "queue.depth"), null);
        await services.purgeExpired();
        const sampled = await services.consoleStats.dashboard("24h");
        assert.equal(valueAt(sampled, "queue.depth"), 2);
        assert.equal(valueAt(sampled, "queue.depth", sampled.buckets[0]?.start), null);
      });
    });

    it("adds up the mail path's counters per hour, and several counts at once", async () => {
      await withStats(dialect, "2026-03-10T09:20:00.000Z", async ({ services }, clock) => {
        const stats = services.consoleStats;
        for (let i = 0; i < 5; i++) stats.count("mail.received");
        stats.count("mail.refused", 2);
        await stats.settled();
        clock.set("2026-03-10T10:05:00.000Z");
        stats.count("mail.received", 3);
        await stats.settled();
        const d = await stats.dashboard("24h");
        assert.equal(valueAt(d, "mail.received", "2026-03-10T09:00:00.000Z"), 5);
        assert.equal(valueAt(d, "mail.refused", "2026-03-10T09:00:00.000Z"), 2);
        assert.equal(valueAt(d, "mail.received"), 3);
        const week = await stats.dashboard("7d");
        assert.equal(valueAt(week, "mail.received"), 8);
        // A page and its charts asking at once share one computation; one asked later is computed again.
        const [page, chart] = await Promise.all([stats.dashboard("7d"), stats.dashboard("7d")]);
        assert.equal(page, chart);
        assert.notEqual(await stats.dashboard("7d"), page);
      });
    });

    it("writes the mail path's counts together, when due or before a dashboard is computed", async () => {
      await withStats(dialect, "2026-03-10T09:20:00.000Z", async ({ services }) => {
        const stats = services.consoleStats;
        const stored = async () =>
          (
            await services.database.db
              .selectFrom("stats_hourly")
              .select(["series", "value"])
              .where("series", "like", "mail.%")
              .orderBy("series")
              .execute()
          ).map((r) => `${r.series}=${Number(r.value)}`);
        for (let i = 0; i < 4; i++) stats.count("mail.received");
        // Not written one by one: nothing yet (the write is due COUNTS_WRITE_DELAY_MS later).
        assert.deepEqual(await stored(), []);
        // A dashboard writes them first, and shows them.
        assert.equal(valueAt(await stats.dashboard("24h"), "mail.received"), 4);
        assert.deepEqual(await stored(), ["mail.received=4"]);
        // Left alone, counts are written once due, in one write.
        stats.count("mail.received");
        stats.count("mail.refused", 2);
        const started = Date.now();
        while ((await stored()).length < 2) {
          assert.ok(Date.now() - started < COUNTS_WRITE_DELAY_MS + 5_000, "the counts were not written when due");
          await sleep(50);
        }
        assert.deepEqual(await stored(), ["mail.received=5", "mail.refused=2"]);
        assert.ok(Date.now() - started >= COUNTS_WRITE_DELAY_MS - 50, "written before they were due");
      });
    });

    it("puts hours and days in the académie's time zone, daylight saving time included", async () => {
      await withStats(dialect, "2026-03-09T22:30:00.000Z", async ({ services }, clock) => {
        const signIn = () =>
          services.audit.record({ actor: "imap", action: "login.succeeded", entity: "account", entityId: 1 });
        await signIn(); // 23 h 30 in Paris, on 9 March
        clock.set("2026-03-09T23:30:00.000Z");
        await signIn(); // 0 h 30 in Paris, on 10 March
        clock.set("2026-03-10T09:20:00.000Z");

        const day = await services.consoleStats.dashboard("24h");
        const last = day.buckets.at(-1);
        assert.deepEqual(last, {
          start: "2026-03-10T09:00:00.000Z",
          end: "2026-03-10T10:00:00.000Z",
          day: "2026-03-10",
          hour: 10,
          current: true,
        });
        assert.equal(valueAt(day, "signin.success.imap", "2026-03-09T23:00:00.000Z"), 1);
        assert.equal(day.buckets.find((b) => b.start === "2026-03-09T23:00:00.000Z")?.hour, 0);

        const week = await services.consoleStats.dashboard("7d");
        assert.equal(week.step, "day");
        assert.deepEqual(
          week.buckets.map((b) => b.day),
          ["2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08", "2026-03-09", "2026-03-10"],
        );
        assert.equal(week.buckets[0]?.start, "2026-03-03T23:00:00.000Z");
        assert.equal(week.buckets.at(-1)?.end, "2026-03-10T23:00:00.000Z");
        assert.equal(valueAt(week, "signin.success.imap", "2026-03-08T23:00:00.000Z"), 1);
        assert.equal(valueAt(week, "signin.success.imap"), 1);

        // 29 March 2026 has 23 hours in Paris (2 h → 3 h); the 30 days run from 1 March to 30 March.
        const month = await services.consoleStats.dashboard("30d", new Date("2026-03-30T10:00:00.000Z"));
        assert.equal(month.buckets.length, 30);
        assert.equal(month.buckets[0]?.day, "2026-03-01");
        const dst = month.buckets.find((b) => b.day === "2026-03-29");
        assert.equal(dst?.start, "2026-03-28T23:00:00.000Z");
        assert.equal(dst?.end, "2026-03-29T22:00:00.000Z");
        assert.equal(month.buckets.at(-1)?.start, "2026-03-29T22:00:00.000Z");
        assert.equal(month.buckets.at(-1)?.current, true);
        assert.equal(valueAt(month, "signin.success.imap", "2026-03-08T23:00:00.000Z"), 1);
        assert.equal(valueAt(month, "signin.success.imap", "2026-03-09T23:00:00.000Z"), 1);
        assert.equal(total(month, "signin.success.imap"), 2);
      });
    });

    it("rolls up closed hours once: nothing counted twice when the hour closes, nor by two instances", async () => {
      await withStats(dialect, "2026-03-10T09:20:00.000Z", async ({ services }, clock) => {
        const db = services.database.db;
        const signIn = () =>
          services.audit.record({ actor: "web:webmail", action: "login.succeeded", entity: "account", entityId: 1 });
        for (let i = 0; i < 3; i++) await signIn();
        const nine = "2026-03-10T09:00:00.000Z";
        const ten = "2026-03-10T10:00:00.000Z";

        const live = await services.consoleStats.dashboard("24h");
        assert.equal(valueAt(live, "signin.success.webmail", nine), 3);
        // Within 5 minutes of its end, the hour is still counted from the audit trail.
        clock.set("2026-03-10T10:02:00.000Z");
        await signIn();
        const settling = await services.consoleStats.dashboard("24h");
        assert.equal(valueAt(settling, "signin.success.webmail", nine), 3);
        assert.equal(valueAt(settling, "signin.success.webmail", ten), 1);
        const rolledNine = () =>
          db
            .selectFrom("stats_hourly")
            .select("value")
            .where("hour", "=", nine)
            .where("series", "=", "signin.success.webmail")
            .executeTakeFirst();
        assert.equal(await rolledNine(), undefined);

        // Closed and settled: 9 h is rolled up, and read from the rollup only.
        clock.set("2026-03-10T10:10:00.000Z");
        await signIn();
        const closed = await services.consoleStats.dashboard("24h");
        assert.equal(valueAt(closed, "signin.success.webmail", nine), 3);
        assert.equal(valueAt(closed, "signin.success.webmail", ten), 2);
        assert.equal(Number((await rolledNine())?.value), 3);

        // The periodic task again, another instance's at the same time, the dashboard again: the same.
        const otherInstance = new ConsoleStatsService({
          db,
          dialect,
          clock,
          logger: { warn: () => assert.fail("no warning expected") },
          queueDepth: async () => 0,
        });
        await Promise.all([services.consoleStats.maintain(), otherInstance.maintain(), otherInstance.rollUp()]);
        const again = await services.consoleStats.dashboard("24h");
        assert.equal(valueAt(again, "signin.success.webmail", nine), 3);
        assert.equal(valueAt(again, "signin.success.webmail", ten), 2);
        assert.equal(total(again, "signin.success.webmail"), 5);
        const week = await services.consoleStats.dashboard("7d");
        assert.equal(valueAt(week, "signin.success.webmail"), 5);

        // An hour another instance rolled up after this one read the mark (a row past the mark): the
        // dashboard counts that hour from the audit trail only.
        clock.set("2026-03-10T11:40:00.000Z");
        await signIn();
        await db
          .insertInto("stats_hourly")
          .values({ hour: "2026-03-10T11:00:00.000Z", series: "signin.success.webmail", value: 99 })
          .execute();
        const later = await services.consoleStats.dashboard("24h");
        assert.equal(valueAt(later, "signin.success.webmail"), 1);
        assert.equal(total(later, "signin.success.webmail"), 6);
      });
    });
  });

  describe(`dashboard counters at the SMTP reception (${dialect})`, () => {
    let ctx: TestContext;
    let smtp: SmtpReception;

    before(async () => {
      ctx = await openTestServices(dialect, { SESAME_MAIL_MAX_SIZE_MB: "1" });
      smtp = await startSmtpReception(
        { mail: ctx.services.mail, config: ctx.config, stats: ctx.services.consoleStats },
        { port: 0, host: "127.0.0.1" },
      );
    });

    after(async () => {
      await smtp?.close();
      await ctx?.close();
    });

    const counts = async () => {
      await ctx.services.consoleStats.settled();
      const d = await ctx.services.consoleStats.dashboard("24h");
      return { received: total(d, "mail.received"), refused: total(d, "mail.refused") };
    };

    it("counts a message delivered over SMTP as received, and a refused one as refused", async () => {
      const rcpt = await newAddress(ctx.services);
      const before = await counts();
      await transport(smtp.port).sendMail({
        envelope: { from: "sender@example.org", to: [rcpt.address] },
        raw: textMessage({ to: rcpt.address, subject: "Compté" }),
      });
      assert.deepEqual(await counts(), { received: before.received + 1, refused: before.refused });

      // Too large, found after DATA (no SIZE declared): 552, refused for good.
      const client = await RawSmtp.open(smtp.port);
      try {
        const big = textMessage({
          to: rcpt.address,
          subject: "Trop gros",
          body: `${"x".repeat(76)}\r\n`.repeat(Math.ceil((1.2 * MB) / 78)),
        });
        const reply = await client.send("sender@example.org", [rcpt.address], big);
        assert.equal(reply.data?.code, 552);
      } finally {
        await client.quit();
      }
      assert.deepEqual(await counts(), { received: before.received + 1, refused: before.refused + 1 });
      assert.equal((await inbox(ctx.services, rcpt.accountId)).items.length, 1);
    });

    it("delivers even when counting throws, or when the counters cannot be written", async () => {
      const rcpt = await newAddress(ctx.services);
      // A recorder that throws: the delivery does not notice.
      const throwing = await startSmtpReception(
        {
          mail: ctx.services.mail,
          config: ctx.config,
          stats: {
            count: () => {
              throw new Error("counting is broken");
            },
          },
        },
        { port: 0, host: "127.0.0.1" },
      );
      try {
        const info = await transport(throwing.port).sendMail({
          envelope: { from: "sender@example.org", to: [rcpt.address] },
          raw: textMessage({ to: rcpt.address, subject: "Malgré tout" }),
        });
        assert.match(info.response, /^250 /);
      } finally {
        await throwing.close();
      }

      // The real recorder over a table that is gone: the delivery succeeds, the failure is logged.
      const warnings: string[] = [];
      const stats = new ConsoleStatsService({
        db: ctx.services.database.db,
        dialect,
        clock: ctx.services.clock,
        logger: { warn: (_o, message) => warnings.push(message) },
        queueDepth: async () => 0,
      });
      const broken = await startSmtpReception(
        { mail: ctx.services.mail, config: ctx.config, stats },
        { port: 0, host: "127.0.0.1" },
      );
      await ctx.services.database.db.schema.alterTable("stats_hourly").renameTo("stats_hourly_away").execute();
      try {
        const info = await transport(broken.port).sendMail({
          envelope: { from: "sender@example.org", to: [rcpt.address] },
          raw: textMessage({ to: rcpt.address, subject: "Sans compteur" }),
        });
        assert.match(info.response, /^250 /);
        await stats.settled();
        assert.deepEqual(warnings, ["the dashboard's counters could not be written"]);
      } finally {
        await ctx.services.database.db.schema.alterTable("stats_hourly_away").renameTo("stats_hourly").execute();
        await broken.close();
      }
      const subjects = (await inbox(ctx.services, rcpt.accountId)).items.map((m) => m.subject).sort();
      assert.deepEqual(subjects, ["Malgré tout", "Sans compteur"]);
    });
  });
}
