/**
 * Audit retention (issue 17, SESAME_AUDIT_RETENTION_DAYS) on SQLite and PostgreSQL: the purge deletes
 * the events older than the retention (in batches), keeps the recent ones, records `audit.purged`
 * with the cutoff and the count in each batch's own transaction, and is harmless when run twice or by two instances at once; the
 * table still refuses a plain DELETE and any UPDATE. Also the setting's check and `sesame audit purge`.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { sql } from "kysely";
import { purgeAuditRowsBatch } from "../../src/audit/audit.repository.js";
import { AuditRetention } from "../../src/audit/audit-retention.js";
import { ConfigError, loadConfig } from "../../src/config/config.js";
import { openServices } from "../../src/services.js";
import { DIALECTS, openTestServices, TEST_SECRET, type TestContext, tempDir } from "../helpers/env.js";

const DAY_MS = 24 * 60 * 60_000;
const BIN = path.resolve("bin/sesame.js");

/** `n` events `daysAgo` days old, marked with `tag` (written as the trail writes them). */
async function seed(ctx: TestContext, tag: string, n: number, daysAgo: number): Promise<void> {
  const at = new Date(Date.now() - daysAgo * DAY_MS).toISOString();
  await ctx.services.database.db
    .insertInto("audit_event")
    .values(
      Array.from({ length: n }, (_, i) => ({
        at,
        actor: "test:seed",
        action: "login.failed",
        entity: "account",
        entity_id: `${tag}-${i}`,
        details: "{}",
      })),
    )
    .execute();
}

async function countOf(ctx: TestContext, prefix: string): Promise<number> {
  const row = await ctx.services.database.db
    .selectFrom("audit_event")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("entity_id", "like", `${prefix}-%`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function refused(work: Promise<unknown>): Promise<void> {
  await assert.rejects(work, /append-only/);
}

for (const dialect of DIALECTS) {
  describe(`audit retention (${dialect})`, () => {
    it("a batch whose audit entry cannot be written deletes nothing (one transaction)", async () => {
      const ctx = await openTestServices(dialect);
      try {
        await seed(ctx, "unrecorded", 4, 400);
        const { db, dialect: name } = ctx.services.database;
        const cutoff = new Date(Date.now() - 365 * DAY_MS).toISOString();
        await assert.rejects(
          purgeAuditRowsBatch(db, name, cutoff, 10, async (tx, deleted) => {
            assert.equal(deleted, 4);
            await sql`insert into audit_event (no_such_column) values (1)`.execute(tx);
          }),
        );
        assert.equal(await countOf(ctx, "unrecorded"), 4);
        // The trail is append-only again afterwards.
        await refused(sql`delete from audit_event`.execute(db));
      } finally {
        await ctx.close();
      }
    });

    it("purges what is older than the retention, in batches, keeps the rest, and audits each batch", async () => {
      const ctx = await openTestServices(dialect);
      try {
        await seed(ctx, "old", 7, 400);
        await seed(ctx, "edge", 2, 366);
        await seed(ctx, "recent", 3, 364);
        await seed(ctx, "new", 2, 1);
        const { db, dialect: name } = ctx.services.database;
        // Batches of 3: three full batches then one short.
        const retention = new AuditRetention({
          db,
          dialect: name,
          clock: ctx.services.clock,
          audit: ctx.services.audit,
          retentionDays: 365,
          batch: 3,
        });
        const first = await retention.purge("test:purge");
        assert.equal(first.count, 9);
        assert.ok(Math.abs(Date.parse(first.cutoff) - (Date.now() - 365 * DAY_MS)) < 60_000, first.cutoff);
        assert.equal(await countOf(ctx, "old"), 0);
        assert.equal(await countOf(ctx, "edge"), 0);
        assert.equal(await countOf(ctx, "recent"), 3);
        assert.equal(await countOf(ctx, "new"), 2);
        // One entry per batch, each written with its batch's deletion: three batches of 3.
        const events = await ctx.services.audit.list({ action: "audit.purged" });
        assert.equal(events.length, 3);
        for (const event of events) {
          assert.equal(event.actor, "test:purge");
          assert.deepEqual(event.details, { cutoff: first.cutoff, count: 3, retentionDays: 365 });
        }

        // Twice: nothing more deleted, nothing more written.
        const second = await retention.purge("test:purge");
        assert.equal(second.count, 0);
        assert.equal((await ctx.services.audit.list({ action: "audit.purged" })).length, 3);
        assert.equal(await countOf(ctx, "recent"), 3);

        // Two instances at once: between them, each old event deleted once.
        await seed(ctx, "again", 10, 500);
        const [a, b] = await Promise.all([retention.purge("test:a"), ctx.services.auditRetention.purge("test:b")]);
        assert.equal(a.count + b.count, 10);
        assert.equal(await countOf(ctx, "again"), 0);
        assert.equal(await countOf(ctx, "recent"), 3);
      } finally {
        await ctx.close();
      }
    });

    it("the daily run purges once a day with the configured retention", async () => {
      const ctx = await openTestServices(dialect, { SESAME_AUDIT_RETENTION_DAYS: "30" });
      try {
        await seed(ctx, "month", 4, 31);
        await seed(ctx, "week", 1, 7);
        const due = await ctx.services.auditRetention.purgeIfDue();
        assert.equal(due?.count, 4);
        await seed(ctx, "later", 2, 40);
        assert.equal(await ctx.services.auditRetention.purgeIfDue(), null, "not again the same day");
        await ctx.services.purgeExpired();
        assert.equal(await countOf(ctx, "later"), 2);
        assert.equal(await countOf(ctx, "week"), 1);
        const [event] = await ctx.services.audit.list({ action: "audit.purged" });
        assert.equal(event?.actor, "service:audit retention");
      } finally {
        await ctx.close();
      }
    });

    it("still refuses a plain DELETE and any UPDATE, also right after a purge", async () => {
      const ctx = await openTestServices(dialect);
      try {
        await seed(ctx, "kept", 2, 400);
        const { db } = ctx.services.database;
        await refused(sql`delete from audit_event`.execute(db));
        await refused(db.deleteFrom("audit_event").where("entity_id", "=", "kept-0").execute());
        await refused(db.updateTable("audit_event").set({ actor: "someone else" }).execute());
        assert.equal(await countOf(ctx, "kept"), 2);

        // In one transaction with a purge, a DELETE after it is refused all the same.
        await seed(ctx, "young", 1, 1);
        await refused(
          db.transaction().execute(async (tx) => {
            if (dialect === "postgres") {
              await sql`select audit_purge(now() - interval '365 days')`.execute(tx);
            } else {
              await sql`insert into audit_purge_guard (purging) values (1)`.execute(tx);
              await sql`delete from audit_purge_guard`.execute(tx);
            }
            await tx.deleteFrom("audit_event").where("entity_id", "=", "young-0").execute();
          }),
        );
        assert.equal(await countOf(ctx, "young"), 1);
        assert.equal(await countOf(ctx, "kept"), 2);
        // An UPDATE is refused even while a purge is allowed.
        if (dialect === "postgres") {
          await refused(
            db.transaction().execute(async (tx) => {
              await sql`select set_config('sesame.audit_purge', 'on', true)`.execute(tx);
              await tx.updateTable("audit_event").set({ actor: "someone else" }).execute();
            }),
          );
        }
        await ctx.services.auditRetention.purge("test:purge");
        assert.equal(await countOf(ctx, "kept"), 0);
        await refused(sql`delete from audit_event`.execute(db));
      } finally {
        await ctx.close();
      }
    });
  });
}

describe("SESAME_AUDIT_RETENTION_DAYS and sesame audit purge", () => {
  it("defaults to 365, refuses less than 30 days or a non-number with a line naming it", () => {
    const tmp = tempDir();
    try {
      const base = { SESAME_DATA_DIR: tmp.dir, SESAME_SECRET: TEST_SECRET };
      assert.equal(loadConfig(base).auditRetentionDays, 365);
      assert.equal(loadConfig({ ...base, SESAME_AUDIT_RETENTION_DAYS: "180" }).auditRetentionDays, 180);
      for (const bad of ["29", "0", "-5", "six mois", "12.5"]) {
        assert.throws(
          () => loadConfig({ ...base, SESAME_AUDIT_RETENTION_DAYS: bad }),
          (error: unknown) =>
            error instanceof ConfigError &&
            /^SESAME_AUDIT_RETENTION_DAYS must be a whole number between 30 and \d+/.test(error.message),
        );
      }
    } finally {
      tmp.remove();
    }
  });

  it("`sesame audit purge` deletes the old events and prints how many", { timeout: 60_000 }, async () => {
    const tmp = tempDir("sesame-cli-");
    try {
      const env = {
        SESAME_DATA_DIR: path.join(tmp.dir, "data"),
        SESAME_SECRET: TEST_SECRET,
        SESAME_LOG_LEVEL: "silent",
        SESAME_AUDIT_RETENTION_DAYS: "90",
      };
      const services = await openServices(loadConfig(env));
      const at = new Date(Date.now() - 100 * DAY_MS).toISOString();
      await services.database.db
        .insertInto("audit_event")
        .values(
          [1, 2, 3].map((i) => ({
            at,
            actor: "test:seed",
            action: "logout",
            entity: "account",
            details: `{"i":${i}}`,
          })),
        )
        .execute();
      await services.close();
      const run = (args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          execFile(
            process.execPath,
            [BIN, ...args],
            { cwd: tmp.dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: 60_000 },
            (error, stdout, stderr) =>
              resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
          );
        });
      const first = await run(["audit", "purge"]);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^3 audit events before \d{4}-\d\d-\d\dT[\d:.]+Z deleted\.\n$/);
      const second = await run(["audit", "purge"]);
      assert.match(second.stdout, /^0 audit events before /);
      const listed = await run(["audit", "--action", "audit.purged", "--json"]);
      const events = listed.stdout
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as { actor: string; details: { count: number } });
      assert.equal(events.length, 1);
      assert.equal(events[0]?.actor, "cli:audit purge");
      assert.equal(events[0]?.details.count, 3);
      assert.equal((await run(["audit", "purge", "extra"])).code, 2);
    } finally {
      tmp.remove();
    }
  });
});
