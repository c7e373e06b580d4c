/**
 * The reception's intake (src/mail/intake.ts), on both databases: messages that arrive while another
 * is being stored are answered at once from the intake and stored just after, each exactly once; what
 * an instance left is stored at the next start; two instances storing the same rows store each once;
 * a message that cannot be stored is kept and tried again, never lost; a burst past the bound is
 * stored at once again; a message accepted before its mailbox filled up is still stored. And through
 * the real reception (startSmtpReception over the intake) with a real SMTP client.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { MailIntake } from "../../src/mail/intake.js";
import { insertIntake } from "../../src/mail/intake.repository.js";
import { startSmtpReception } from "../../src/mail/smtp-reception.js";
import type { Services } from "../../src/services.js";
import { openServices } from "../../src/services.js";
import { DIALECTS, openTestServices, TEST_SECRET, type TestContext, tempDir, testConfig } from "../helpers/env.js";
import { runSesame, sesameEnv } from "../helpers/sesame-process.js";
import { inbox, newAddress, textMessage, transport } from "../helpers/smtp.js";

function intakeOf(
  services: Services,
  options: {
    maxWaiting?: number;
    measureLoad?: (ms: number) => Promise<number>;
    maxDelayMs?: number;
    analyse?: ConstructorParameters<typeof MailIntake>[0]["analyse"];
  } = {},
): MailIntake {
  return new MailIntake({
    db: services.database.db,
    dialect: services.database.dialect,
    clock: services.clock,
    mail: services.mail,
    ...options,
  });
}

const messageFor = (to: string, n: number, tag: string) =>
  Buffer.from(textMessage({ to, subject: `Arrivée ${n}`, messageId: `<intake-${tag}-${n}@example.org>` }));

async function intakeRows(services: Services): Promise<{ id: number; attempts: number; last_error: string | null }[]> {
  const rows = await sql<{ id: number; attempts: number; last_error: string | null }>`
    select id, attempts, last_error from mail_intake order by id`.execute(services.database.db);
  return rows.rows.map((r) => ({ ...r, id: Number(r.id), attempts: Number(r.attempts) }));
}

async function subjects(services: Services, accountId: number): Promise<string[]> {
  return (await inbox(services, accountId)).items.map((m) => m.subject).sort();
}

for (const dialect of DIALECTS) {
  describe(`the reception's intake (${dialect})`, () => {
    let ctx: TestContext;
    before(async () => {
      ctx = await openTestServices(dialect, { SESAME_MAIL_QUOTA_MB: "1" });
    });
    after(async () => {
      await ctx?.close();
    });

    it("messages arriving while one is stored wait in the intake, then each is stored once", async () => {
      const intake = intakeOf(ctx.services);
      await intake.start();
      try {
        const rcpt = await ctx.services.mail.checkRecipient((await newAddress(ctx.services)).address);
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, n) => intake.deliver(messageFor(rcpt.address, n, `burst-${dialect}`), [rcpt])),
        );
        assert.equal(results[0]?.queuedAs, undefined, "the first is stored at once");
        assert.deepEqual(results[0]?.messageIds.length, 1);
        const queued = results.filter((r) => r.queuedAs !== undefined);
        assert.equal(queued.length, 11, "the others arrived while it was being stored");
        await intake.drain();
        const expected = Array.from({ length: 12 }, (_, n) => `Arrivée ${n}`).sort();
        assert.deepEqual(await subjects(ctx.services, rcpt.accountId), expected);
        assert.deepEqual(await intakeRows(ctx.services), []);
        // The folder's counters count them (kept in the stores' transactions).
        const folder = (await inbox(ctx.services, rcpt.accountId)).folder;
        assert.equal(folder.total, 12);
        assert.equal(folder.unread, 12);
      } finally {
        await intake.stop();
      }
    });

    it("stores on its own, soon after, what it took in (no one asks it to)", async () => {
      const intake = intakeOf(ctx.services);
      await intake.start();
      try {
        const rcpt = await ctx.services.mail.checkRecipient((await newAddress(ctx.services)).address);
        await Promise.all(
          Array.from({ length: 5 }, (_, n) => intake.deliver(messageFor(rcpt.address, n, `soon-${dialect}`), [rcpt])),
        );
        const deadline = Date.now() + 10_000;
        while ((await subjects(ctx.services, rcpt.accountId)).length < 5 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal((await subjects(ctx.services, rcpt.accountId)).length, 5);
      } finally {
        await intake.stop();
      }
    });

    it("while the loop is busy receiving, the stores wait; they run once it has room", async () => {
      let busy = true;
      let measured = 0;
      // The loop's load as a test sets it, over a window of the real length (no spinning).
      const measureLoad = (ms: number) =>
        new Promise<number>((resolve) =>
          setTimeout(() => {
            measured++;
            resolve(busy ? 0.95 : 0.1);
          }, ms),
        );
      const intake = intakeOf(ctx.services, { measureLoad });
      await intake.start();
      try {
        const rcpt = await ctx.services.mail.checkRecipient((await newAddress(ctx.services)).address);
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, n) => intake.deliver(messageFor(rcpt.address, n, `busy-${dialect}`), [rcpt])),
        );
        assert.equal(results.filter((r) => r.queuedAs !== undefined).length, 5);
        // It looked at the load three times and found it busy each time: nothing of the intake stored.
        while (measured < 3) await new Promise((resolve) => setTimeout(resolve, 10));
        assert.deepEqual(await subjects(ctx.services, rcpt.accountId), ["Arrivée 0"]);
        assert.equal((await intakeRows(ctx.services)).length, 5);
        busy = false;
        const deadline = Date.now() + 10_000;
        while ((await subjects(ctx.services, rcpt.accountId)).length < 6 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal((await subjects(ctx.services, rcpt.accountId)).length, 6);
        assert.deepEqual(await intakeRows(ctx.services), []);
      } finally {
        await intake.stop();
      }
    });

    it("a message waits for the reception at most its longest delay, however busy the loop stays", async () => {
      const measureLoad = (ms: number) => new Promise<number>((resolve) => setTimeout(() => resolve(1), ms));
      const intake = intakeOf(ctx.services, { measureLoad, maxDelayMs: 300 });
      await intake.start();
      try {
        const rcpt = await ctx.services.mail.checkRecipient((await newAddress(ctx.services)).address);
        await Promise.all(
          Array.from({ length: 4 }, (_, n) => intake.deliver(messageFor(rcpt.address, n, `late-${dialect}`), [rcpt])),
        );
        const answered = performance.now();
        const deadline = Date.now() + 10_000;
        while ((await subjects(ctx.services, rcpt.accountId)).length < 4 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal((await subjects(ctx.services, rcpt.accountId)).length, 4);
        assert.ok(performance.now() - answered >= 250, "the intake waited for the loop before storing");
        assert.deepEqual(await intakeRows(ctx.services), []);
      } finally {
        await intake.stop();
      }
    });

    it("the messages it stores are read on the sender checks' worker thread, their warnings kept", async () => {
      const checks = ctx.services.senderChecks;
      assert.equal(await checks.ready(), true, "the worker started");
      const intake = intakeOf(ctx.services, { analyse: (raw, inbound) => checks.analyse(raw, inbound) });
      await intake.start();
      try {
        const rcpt = await ctx.services.mail.checkRecipient((await newAddress(ctx.services)).address);
        const before = checks.counts().analysedWorker;
        const inbound = { verified: false, placement: "inbox" as const, spamScore: null };
        const results = await Promise.all(
          Array.from({ length: 5 }, (_, n) =>
            intake.deliver(
              Buffer.from(
                textMessage({
                  from: "Support <support@ac-lyon-securite.com>",
                  to: rcpt.address,
                  subject: `Alerte ${n}`,
                  body: "Votre boîte sera désactivée : confirmez votre mot de passe.",
                }),
              ),
              [rcpt],
              { inbound },
            ),
          ),
        );
        const queued = results.filter((r) => r.queuedAs !== undefined).length;
        assert.equal(queued, 4);
        await intake.drain();
        assert.equal(checks.counts().analysedWorker, before + queued, "each queued one analysed on the worker");
        const { items } = await inbox(ctx.services, rcpt.accountId);
        assert.equal(items.length, 5);
        for (const item of items) {
          assert.deepEqual(item.warnings.slice(0, 2), ["lookalike", "unverified"], item.subject);
        }
        // The index holds their words (search through the service, as the webmail does).
        const found = await ctx.services.mail.search(rcpt.accountId, { text: "désactivée" }, null);
        assert.equal(found.items.length, 5);
      } finally {
        await intake.stop();
      }
    });

    it("stores a batch in one transaction; when one of it cannot be taken, the others are stored alone", async () => {
      const rcpt = await ctx.services.mail.checkRecipient((await newAddress(ctx.services)).address);
      const item = (n: number, take: () => Promise<void> = async () => {}) => ({
        raw: messageFor(rcpt.address, n, `many-${dialect}`),
        recipients: [rcpt],
        meta: {},
        accepted: { receivedAt: new Date(), take },
      });
      const together = await ctx.services.mail.storeAcceptedMany([item(0), item(1)]);
      assert.deepEqual(
        together.map((r) => r.status),
        ["fulfilled", "fulfilled"],
      );
      const refused = new Error("taken elsewhere");
      const results = await ctx.services.mail.storeAcceptedMany([
        item(2),
        item(3, async () => {
          throw refused;
        }),
        item(4),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ["fulfilled", "rejected", "fulfilled"],
      );
      assert.equal(results[1]?.status === "rejected" ? results[1].reason : null, refused);
      // Each stored once: the shared transaction that failed wrote nothing.
      assert.deepEqual(await subjects(ctx.services, rcpt.accountId), [
        "Arrivée 0",
        "Arrivée 1",
        "Arrivée 2",
        "Arrivée 4",
      ]);
      assert.equal((await inbox(ctx.services, rcpt.accountId)).folder.total, 4);
    });

    it("a row that cannot be read fails alone: the others of its batch are stored", async () => {
      const rcpt = await ctx.services.mail.checkRecipient((await newAddress(ctx.services)).address);
      const db = ctx.services.database.db;
      const row = (n: number, recipients: string) => ({
        raw: messageFor(rcpt.address, n, `unreadable-${dialect}`),
        recipients,
        meta: "{}",
        receivedAt: new Date().toISOString(),
      });
      const good = JSON.stringify([rcpt]);
      await insertIntake(db, row(0, good));
      const unreadable = await insertIntake(db, row(1, "{not json"));
      await insertIntake(db, row(2, good));
      try {
        await intakeOf(ctx.services).drain();
        assert.deepEqual(await subjects(ctx.services, rcpt.accountId), ["Arrivée 0", "Arrivée 2"]);
        const rows = await intakeRows(ctx.services);
        assert.deepEqual(
          rows.map((r) => [r.id, r.attempts]),
          [[unreadable, 1]],
        );
        assert.ok(rows[0]?.last_error, "why it failed is recorded");
      } finally {
        await sql`delete from mail_intake`.execute(db);
      }
    });

    it("storeReceivedBefore stores what was received up to a time, not what came after nor what awaits a retry", async () => {
      const rcpt = await ctx.services.mail.checkRecipient((await newAddress(ctx.services)).address);
      const db = ctx.services.database.db;
      const asOf = new Date();
      const row = (n: number, receivedAt: Date) => ({
        raw: messageFor(rcpt.address, n, `before-${dialect}`),
        recipients: JSON.stringify([rcpt]),
        meta: "{}",
        receivedAt: receivedAt.toISOString(),
      });
      await insertIntake(db, row(0, new Date(asOf.getTime() - 1_000)));
      await insertIntake(db, row(1, asOf));
      const later = await insertIntake(db, row(2, new Date(asOf.getTime() + 60_000)));
      const failed = await insertIntake(db, row(3, new Date(asOf.getTime() - 2_000)));
      const retryAt = new Date(asOf.getTime() + 3_600_000).toISOString();
      await sql`update mail_intake set attempts = 1, next_attempt_at = ${retryAt} where id = ${failed}`.execute(db);
      try {
        const started = Date.now();
        assert.equal(await intakeOf(ctx.services).storeReceivedBefore(asOf), 0);
        assert.ok(Date.now() - started < 5_000, "the row awaiting its retry is not waited for");
        assert.deepEqual(await subjects(ctx.services, rcpt.accountId), ["Arrivée 0", "Arrivée 1"]);
        assert.deepEqual(
          (await intakeRows(ctx.services)).map((r) => r.id),
          [later, failed].sort((a, b) => a - b),
        );
      } finally {
        await sql`delete from mail_intake`.execute(db);
      }
    });

    it("what an instance left is stored at the next start, before anything else", async () => {
      const first = intakeOf(ctx.services);
      await first.start();
      const rcpt = await ctx.services.mail.checkRecipient((await newAddress(ctx.services)).address);
      // Stopped at once: the messages it took in stay in the table (as after a crash).
      const pending = Array.from({ length: 4 }, (_, n) =>
        first.deliver(messageFor(rcpt.address, n, `left-${dialect}`), [rcpt]),
      );
      await first.stop();
      const results = await Promise.all(pending);
      assert.equal(results.filter((r) => r.queuedAs !== undefined).length, 3);
      assert.equal((await subjects(ctx.services, rcpt.accountId)).length, 1);
      assert.equal((await intakeRows(ctx.services)).length, 3);

      const next = intakeOf(ctx.services);
      await next.start();
      try {
        assert.equal((await subjects(ctx.services, rcpt.accountId)).length, 4, "stored when start() resolved");
        assert.deepEqual(await intakeRows(ctx.services), []);
      } finally {
        await next.stop();
      }
    });

    it("two instances storing the same rows at once store each message once", async () => {
      const taker = intakeOf(ctx.services);
      await taker.start();
      const rcpt = await ctx.services.mail.checkRecipient((await newAddress(ctx.services)).address);
      const taken = Array.from({ length: 9 }, (_, n) =>
        taker.deliver(messageFor(rcpt.address, n, `twice-${dialect}`), [rcpt]),
      );
      await taker.stop();
      await Promise.all(taken);
      const one = intakeOf(ctx.services);
      const two = intakeOf(ctx.services);
      const [a, b] = await Promise.all([one.drain(), two.drain()]);
      assert.ok(a + b >= 8, `${a} + ${b} rows handled`);
      const stored = await subjects(ctx.services, rcpt.accountId);
      assert.deepEqual(stored, Array.from({ length: 9 }, (_, n) => `Arrivée ${n}`).sort(), "each once");
      assert.deepEqual(await intakeRows(ctx.services), []);
    });

    it("a message that cannot be stored is kept and tried again later, the others are stored", async () => {
      const intake = intakeOf(ctx.services);
      await intake.start();
      const rcpt = await ctx.services.mail.checkRecipient((await newAddress(ctx.services)).address);
      const gone = { accountId: 2_000_000_000, address: "parti@example.org" };
      const results = await Promise.all([
        intake.deliver(messageFor(rcpt.address, 0, `fail-${dialect}`), [rcpt]),
        intake.deliver(messageFor(gone.address, 1, `fail-${dialect}`), [gone]),
        intake.deliver(messageFor(rcpt.address, 2, `fail-${dialect}`), [rcpt]),
      ]);
      assert.ok(results[1]?.queuedAs !== undefined);
      await intake.stop();
      try {
        await intake.drain();
        assert.deepEqual(await subjects(ctx.services, rcpt.accountId), ["Arrivée 0", "Arrivée 2"]);
        const rows = await intakeRows(ctx.services);
        assert.equal(rows.length, 1, "kept");
        assert.equal(rows[0]?.id, results[1]?.queuedAs);
        assert.equal(rows[0]?.attempts, 1);
        assert.ok(rows[0]?.last_error, "the failure is recorded");
        assert.equal(await intake.drain(), 0, "not tried again at once");
        assert.deepEqual(await intake.counts(), { waiting: 1, failing: 1, stored: 1 });
      } finally {
        await sql`delete from mail_intake`.execute(ctx.services.database.db);
      }
    });

    it("past its bound, the reception stores at once again", async () => {
      const intake = intakeOf(ctx.services, { maxWaiting: 2 });
      await intake.start();
      try {
        const rcpt = await ctx.services.mail.checkRecipient((await newAddress(ctx.services)).address);
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, n) => intake.deliver(messageFor(rcpt.address, n, `bound-${dialect}`), [rcpt])),
        );
        assert.equal(results.filter((r) => r.queuedAs !== undefined).length, 2);
        assert.equal(results.filter((r) => r.messageIds.length === 1).length, 4);
        await intake.drain();
        assert.equal((await subjects(ctx.services, rcpt.accountId)).length, 6);
      } finally {
        await intake.stop();
      }
    });

    it("a message accepted before its mailbox filled up is stored all the same", async () => {
      const intake = intakeOf(ctx.services);
      await intake.start();
      const rcpt = await ctx.services.mail.checkRecipient((await newAddress(ctx.services)).address);
      const big = (n: number) =>
        Buffer.from(
          textMessage({
            to: rcpt.address,
            subject: `Gros ${n}`,
            messageId: `<intake-quota-${dialect}-${n}@example.org>`,
            body: `${"x".repeat(76)}\r\n`.repeat(5_000), // about 390 KB: three make more than the 1 MB quota
          }),
        );
      const results = await Promise.all([0, 1, 2].map((n) => intake.deliver(big(n), [rcpt])));
      await intake.stop();
      assert.equal(results.filter((r) => r.queuedAs !== undefined).length, 2);
      await intake.drain();
      assert.deepEqual(await subjects(ctx.services, rcpt.accountId), ["Gros 0", "Gros 1", "Gros 2"]);
      const quota = await ctx.services.mail.quota(rcpt.accountId);
      assert.ok(quota.usedBytes > quota.limitBytes, "over its quota by what it accepted");
      await assert.rejects(ctx.services.mail.checkRecipient(rcpt.address, 100), { code: "QUOTA_EXCEEDED" });
    });

    it("through the reception: a burst from a real SMTP client, some answered « queued as », all stored once", async () => {
      const intake = intakeOf(ctx.services);
      await intake.start();
      const smtp = await startSmtpReception(
        { mail: intake, config: { ...ctx.config, trustedRelays: ["127.0.0.0/8"] } },
        { port: 0, host: "127.0.0.1" },
      );
      const clients = Array.from({ length: 4 }, () => transport(smtp.port, { pool: true }));
      try {
        const rcpt = await newAddress(ctx.services);
        const replies: string[] = [];
        await Promise.all(
          clients.map(async (client, c) => {
            for (let n = 0; n < 10; n++) {
              const info = await client.sendMail({
                envelope: { from: "expediteur@example.org", to: [rcpt.address] },
                raw: messageFor(rcpt.address, c * 10 + n, `smtp-${dialect}`),
              });
              replies.push(info.response);
            }
          }),
        );
        assert.equal(replies.length, 40);
        for (const reply of replies) assert.match(reply, /^250 .*(message stored|queued as \d+)/);
        await intake.drain();
        assert.equal((await subjects(ctx.services, rcpt.accountId)).length, 40);
        assert.deepEqual(await intakeRows(ctx.services), []);
      } finally {
        for (const client of clients) client.close();
        await smtp.close();
        await intake.stop();
      }
    });
  });
}

describe("sesame mail intake (the real command, SQLite)", () => {
  it("prints what waits, the failing first with its error; --json one line per message", async () => {
    const tmp = tempDir();
    const env = sesameEnv({ SESAME_DATA_DIR: tmp.dir, SESAME_SECRET: TEST_SECRET });
    try {
      const services = await openServices(testConfig({ SESAME_DATA_DIR: tmp.dir }));
      let failingId: number;
      try {
        const rcpt = await services.mail.checkRecipient((await newAddress(services)).address);
        const row = (to: { accountId: number; address: string }, n: number) => ({
          raw: messageFor(to.address, n, "cli"),
          recipients: JSON.stringify([to]),
          meta: "{}",
          receivedAt: new Date().toISOString(),
        });
        // A row for an account that no longer exists: one attempt fails and records why.
        failingId = await insertIntake(
          services.database.db,
          row({ accountId: 2_000_000_000, address: "parti@example.org" }, 1),
        );
        await intakeOf(services).drain();
        // And one that simply waits.
        await insertIntake(services.database.db, row(rcpt, 2));
      } finally {
        await services.close();
      }
      const text = await runSesame(["mail", "intake"], env, { timeoutMs: 60_000 });
      assert.equal(text.code, 0, text.stderr);
      const lines = text.stdout.trimEnd().split("\n");
      assert.equal(lines[0], "2 messages answered 250 and not stored yet, 1 failing.");
      assert.match(
        lines[1] ?? "",
        new RegExp(
          `^#${failingId}  received \\S+  \\d+ bytes  to parti@example\\.org  1 failed attempt\\(s\\), next \\S+: .+`,
        ),
      );
      assert.match(lines[2] ?? "", /^#\d+ {2}received \S+ {2}\d+ bytes {2}to \S+@\S+$/);
      const json = await runSesame(["mail", "intake", "--json"], env, { timeoutMs: 60_000 });
      assert.equal(json.code, 0, json.stderr);
      const entries = json.stdout
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as { id: number; attempts: number; lastError: string | null; recipients: string[] });
      assert.equal(entries.length, 2);
      assert.equal(entries[0]?.id, failingId);
      assert.equal(entries[0]?.attempts, 1);
      assert.ok(entries[0]?.lastError);
      assert.deepEqual(entries[0]?.recipients, ["parti@example.org"]);
      assert.equal(entries[1]?.attempts, 0);
      const usage = await runSesame(["mail", "intake", "extra"], env, { timeoutMs: 60_000 });
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /expected: sesame mail intake \[--json\]/);
    } finally {
      tmp.remove();
    }
  });
});
