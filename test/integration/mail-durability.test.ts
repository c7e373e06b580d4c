/**
 * Deliveries on SQLite in a file resolve only once committed and synced (mail.repository.ts,
 * durably: the commit, then the group commit's fdatasync of the WAL, storage/commit-sync.ts): many
 * at once all resolve, share syncs, and each is then seen by another connection to the same file;
 * one that fails (over quota) leaves nothing and does not take the others with it. What a power
 * cut would do cannot be tested here.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import SqliteDatabase from "better-sqlite3";
import { MailIntake } from "../../src/mail/intake.js";
import { isDomainError } from "../../src/shared/errors.js";
import { commitSyncCount } from "../../src/storage/database.js";
import { openTestServices, type TestContext } from "../helpers/env.js";
import { inbox, newAddress } from "../helpers/smtp.js";

describe("durable deliveries, many at once (SQLite in a file)", () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await openTestServices("sqlite", { SESAME_MAIL_QUOTA_MB: "1" });
  });
  after(async () => {
    await ctx?.close();
  });

  const message = (to: string, n: number, bodyBytes = 2_000) =>
    Buffer.from(
      `From: <x@example.org>\r\nTo: <${to}>\r\nSubject: Livraison ${n}\r\nMessage-ID: <durable-${n}-${Date.now()}@example.org>\r\n` +
        `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${"x".repeat(bodyBytes)}\r\n`,
    );

  it("forty deliveries at once: each resolves, then another connection to the file sees it", async () => {
    const account = await newAddress(ctx.services);
    const recipient = await ctx.services.mail.checkRecipient(account.address);
    const syncsBefore = commitSyncCount(ctx.services.database.db) ?? Number.NaN;
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, n) => ctx.services.mail.deliver(message(account.address, n), [recipient])),
    );
    const ids = results.flatMap((r) => r.messageIds);
    assert.equal(new Set(ids).size, 40);
    const syncs = (commitSyncCount(ctx.services.database.db) ?? Number.NaN) - syncsBefore;
    assert.ok(syncs >= 1 && syncs < 40, `the WAL synced ${syncs} times for 40 deliveries at once`);
    const other = new SqliteDatabase(ctx.config.databaseUrl.replace(/^sqlite:/, ""), { readonly: true });
    try {
      const row = other
        .prepare(
          `select count(*) as n from mail_message where account_id = ? and id in (${ids.map(() => "?").join(",")})`,
        )
        .get(account.accountId, ...ids) as { n: number };
      assert.equal(row.n, 40);
    } finally {
      other.close();
    }
  });

  it("one delivery over quota among others at once: refused alone, the others kept", async () => {
    const account = await newAddress(ctx.services);
    const recipient = await ctx.services.mail.checkRecipient(account.address);
    const outcomes = await Promise.allSettled([
      ctx.services.mail.deliver(message(account.address, 1), [recipient]),
      ctx.services.mail.deliver(message(account.address, 2, 1_100_000), [recipient]),
      ctx.services.mail.deliver(message(account.address, 3), [recipient]),
    ]);
    assert.equal(outcomes[0]?.status, "fulfilled");
    assert.equal(outcomes[2]?.status, "fulfilled");
    assert.equal(outcomes[1]?.status, "rejected");
    if (outcomes[1]?.status === "rejected") {
      assert.ok(
        isDomainError(outcomes[1].reason, "QUOTA_EXCEEDED") || isDomainError(outcomes[1].reason, "MESSAGE_TOO_LARGE"),
        String(outcomes[1].reason),
      );
    }
    const stored = await inbox(ctx.services, account.accountId);
    assert.deepEqual(stored.items.map((m) => m.subject).sort(), ["Livraison 1", "Livraison 3"]);
  });

  it("messages taken into the intake at once: each is synced before its answer, then another connection sees it", async () => {
    const { services } = ctx;
    let busy = true;
    const intake = new MailIntake({
      db: services.database.db,
      dialect: services.database.dialect,
      clock: services.clock,
      mail: services.mail,
      // The loop looks busy until the test has looked: what waits is not stored before.
      measureLoad: (ms) => new Promise((resolve) => setTimeout(() => resolve(busy ? 1 : 0), ms)),
      maxDelayMs: 60_000,
    });
    await intake.start();
    try {
      const account = await newAddress(services);
      const recipient = await services.mail.checkRecipient(account.address);
      const syncsBefore = commitSyncCount(services.database.db) ?? Number.NaN;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, n) => intake.deliver(message(account.address, 100 + n), [recipient])),
      );
      const queued = results.flatMap((r) => (r.queuedAs === undefined ? [] : [r.queuedAs]));
      assert.equal(queued.length, 11, "the first is stored at once, the others go into the intake");
      const syncs = (commitSyncCount(services.database.db) ?? Number.NaN) - syncsBefore;
      assert.ok(syncs >= 2 && syncs < 12, `the WAL synced ${syncs} times for 12 deliveries at once`);
      const other = new SqliteDatabase(ctx.config.databaseUrl.replace(/^sqlite:/, ""), { readonly: true });
      try {
        const row = other
          .prepare(`select count(*) as n from mail_intake where id in (${queued.map(() => "?").join(",")})`)
          .get(...queued) as { n: number };
        assert.equal(row.n, 11);
      } finally {
        other.close();
      }
    } finally {
      busy = false;
      await intake.drain();
      await intake.stop();
    }
  });
});
