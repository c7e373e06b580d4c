/**
 * The append-only audit trail on SQLite and PostgreSQL: every directory
 * change is recorded (what, which record, when, by which command), and the table itself refuses
 * UPDATE and DELETE.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sql } from "kysely";
import type { AuditEvent } from "../../src/audit/audit.service.js";
import { FakeClock } from "../../src/shared/clock.js";
import { DIALECTS, openTestServices, type TestContext, tempDir } from "../helpers/env.js";
import { numenFor, staffCsv, staffRow, writeCsv } from "../helpers/staff.js";

async function withCtx(
  dialect: (typeof DIALECTS)[number],
  clock: FakeClock,
  fn: (ctx: TestContext, dir: string) => Promise<void>,
): Promise<void> {
  const ctx = await openTestServices(dialect, {}, { clock });
  const tmp = tempDir();
  try {
    await fn(ctx, tmp.dir);
  } finally {
    await ctx.close();
    tmp.remove();
  }
}

/** Events oldest first, without ids, for exact comparisons. */
async function trail(ctx: TestContext): Promise<Array<Omit<AuditEvent, "id">>> {
  const events = await ctx.services.audit.list();
  return events.reverse().map(({ id: _id, ...e }) => e);
}

async function auditRows(ctx: TestContext) {
  return ctx.services.database.db.selectFrom("audit_event").selectAll().orderBy("id").execute();
}

for (const dialect of DIALECTS) {
  describe(`audit trail (${dialect})`, () => {
    it("records creations, updates, departures and returns with actor, record and time", async () => {
      const clock = new FakeClock("2026-09-01T07:00:00.000Z");
      await withCtx(dialect, clock, async (ctx, dir) => {
        const rows = [staffRow(1, { nom: "Dupont", prenom: "Jean" }), staffRow(2, { nom: "Dupont", prenom: "Jean" })];
        const v1 = writeCsv(dir, "v1.csv", staffCsv(rows));
        await ctx.services.staffImport.importFile(v1, { actor: "cli:import staff" });
        const [p1, p2] = await Promise.all([1, 2].map((n) => ctx.services.directory.getAccount(numenFor(n))));
        const id = (a: typeof p1) => (a?.holder.type === "person" ? String(a.holder.personId) : "?");

        clock.advance(60_000);
        const v2 = writeCsv(dir, "v2.csv", staffCsv([{ ...(rows[0] as (typeof rows)[0]), categorie: "direction" }]));
        await ctx.services.staffImport.importFile(v2, { actor: "cli:import staff", full: true });

        clock.advance(60_000);
        await ctx.services.staffImport.importFile(v1, { actor: "cli:import staff", full: true });

        clock.advance(60_000);
        await ctx.services.directory.disableAccount("jdupont", "cli:account disable");
        const ext = await ctx.services.directory.createExternal(
          { nom: "Martin", prenom: "Jean", recoveryEmail: "jm@example.org" },
          "cli:account create-external",
        );

        const t0 = "2026-09-01T07:00:00.000Z";
        const t1 = "2026-09-01T07:01:00.000Z";
        const t2 = "2026-09-01T07:02:00.000Z";
        const t3 = "2026-09-01T07:03:00.000Z";
        const staff = "cli:import staff";
        assert.deepEqual(await trail(ctx), [
          {
            at: t0,
            actor: staff,
            action: "person.created",
            entity: "person",
            entityId: id(p1),
            details: { username: "jdupont", address: "jean.dupont@ac-lyon.fr" },
          },
          {
            at: t0,
            actor: staff,
            action: "person.created",
            entity: "person",
            entityId: id(p2),
            details: { username: "jdupont2", address: "jean.dupont2@ac-lyon.fr" },
          },
          {
            at: t0,
            actor: staff,
            action: "import.staff",
            entity: "import",
            entityId: null,
            details: { file: v1, rows: 2, created: 2, updated: 0, departed: 0, rejected: 0 },
          },
          {
            at: t1,
            actor: staff,
            action: "person.updated",
            entity: "person",
            entityId: id(p1),
            details: { fields: ["categorie"] },
          },
          { at: t1, actor: staff, action: "person.departed", entity: "person", entityId: id(p2), details: {} },
          {
            at: t1,
            actor: staff,
            action: "import.staff",
            entity: "import",
            entityId: null,
            details: { file: v2, rows: 1, created: 0, updated: 1, departed: 1, rejected: 0 },
          },
          {
            at: t2,
            actor: staff,
            action: "person.updated",
            entity: "person",
            entityId: id(p1),
            details: { fields: ["categorie"] },
          },
          {
            at: t2,
            actor: staff,
            action: "person.returned",
            entity: "person",
            entityId: id(p2),
            details: { fields: [] },
          },
          {
            at: t2,
            actor: staff,
            action: "import.staff",
            entity: "import",
            entityId: null,
            details: { file: v1, rows: 2, created: 0, updated: 2, departed: 0, rejected: 0 },
          },
          {
            at: t3,
            actor: "cli:account disable",
            action: "account.disabled",
            entity: "account",
            entityId: String(p1?.id),
            details: { username: "jdupont" },
          },
          {
            at: t3,
            actor: "cli:account create-external",
            action: "account.created",
            entity: "account",
            entityId: String(ext.id),
            details: { username: "ext-jmartin", kind: "externe" },
          },
        ]);
        // Never a NUMEN (nor its keyed hash) in the trail.
        const raw = JSON.stringify(await auditRows(ctx));
        for (const n of [1, 2]) {
          assert.ok(!raw.includes(numenFor(n)));
          assert.ok(!raw.includes(ctx.services.directory.numenHash(numenFor(n))));
        }
      });
    });

    it("records establishment creations and changes with their functional accounts", async () => {
      const clock = new FakeClock("2026-09-01T07:00:00.000Z");
      await withCtx(dialect, clock, async (ctx, dir) => {
        await ctx.services.staffImport.importFile(writeCsv(dir, "s.csv", staffCsv([staffRow(1), staffRow(2)])), {
          actor: "test",
        });
        const [head1, head2] = await Promise.all([1, 2].map((n) => ctx.services.directory.getAccount(numenFor(n))));
        const pid = (a: typeof head1) => (a?.holder.type === "person" ? a.holder.personId : -1);
        const csv = (numen: string, libelle: string) => `uai;libelle;numen_chef\n0690026D;${libelle};${numen}\n`;
        const actor = "cli:import establishments";
        await ctx.services.directory.importEstablishments(writeCsv(dir, "e1.csv", csv(numenFor(1), "Lycée Ampère")), {
          actor,
        });
        clock.advance(1000);
        await ctx.services.directory.importEstablishments(
          writeCsv(dir, "e2.csv", csv(numenFor(2), "Lycée Ampère-Saxe")),
          { actor },
        );
        const functional = await ctx.services.directory.getAccount("ce.0690026d");
        const events = (await trail(ctx)).filter((e) => e.actor === actor && e.entity !== "import");
        assert.deepEqual(events, [
          {
            at: "2026-09-01T07:00:00.000Z",
            actor,
            action: "establishment.created",
            entity: "establishment",
            entityId: "0690026D",
            details: { libelle: "Lycée Ampère", headPersonId: pid(head1) },
          },
          {
            at: "2026-09-01T07:00:00.000Z",
            actor,
            action: "account.created",
            entity: "account",
            entityId: String(functional.id),
            details: { username: "ce.0690026d", kind: "fonctionnel", uai: "0690026D" },
          },
          {
            at: "2026-09-01T07:00:01.000Z",
            actor,
            action: "establishment.updated",
            entity: "establishment",
            entityId: "0690026D",
            details: { fields: ["libelle", "head"] },
          },
          {
            at: "2026-09-01T07:00:01.000Z",
            actor,
            action: "account.holder_changed",
            entity: "account",
            entityId: String(functional.id),
            details: { username: "ce.0690026d" },
          },
        ]);
        assert.equal(pid(functional), pid(head2));
        assert.equal((await ctx.services.audit.list({ action: "import.establishments" })).length, 2);
      });
    });

    it("records nothing for a dry run, a refused import or a bad file", async () => {
      await withCtx(dialect, new FakeClock(), async (ctx, dir) => {
        const rows = Array.from({ length: 5 }, (_, i) => staffRow(i + 1));
        await ctx.services.staffImport.importFile(writeCsv(dir, "ok.csv", staffCsv(rows)), {
          actor: "test",
          dryRun: true,
        });
        await ctx.services.staffImport.importFile(
          writeCsv(dir, "bad.csv", staffCsv([...rows, staffRow(9, { numen: "?" })])),
          { actor: "test" },
        );
        await assert.rejects(
          ctx.services.staffImport.importFile(writeCsv(dir, "empty.csv", ""), { actor: "test" }),
          /empty/,
        );
        assert.deepEqual(await auditRows(ctx), []);
      });
    });

    it("the audit_event table refuses UPDATE and DELETE", async () => {
      await withCtx(dialect, new FakeClock(), async (ctx) => {
        await ctx.services.audit.record({ actor: "test", action: "account.disabled", entity: "test", entityId: 1 });
        const db = ctx.services.database.db;
        const before = await auditRows(ctx);
        assert.equal(before.length, 1);

        await assert.rejects(sql`update audit_event set actor = 'someone else'`.execute(db), /append-only/);
        await assert.rejects(
          sql`update audit_event set details = '{}' where id = ${before[0]?.id}`.execute(db),
          /append-only/,
        );
        await assert.rejects(sql`delete from audit_event`.execute(db), /append-only/);
        await assert.rejects(sql`delete from audit_event where id = ${before[0]?.id}`.execute(db), /append-only/);
        // Through the query builder too, and inside a transaction.
        await assert.rejects(
          db
            .transaction()
            .execute((trx) => trx.deleteFrom("audit_event").where("action", "=", "account.disabled").execute()),
          /append-only/,
        );
        assert.deepEqual(await auditRows(ctx), before);

        // Appending still works.
        await ctx.services.audit.record({ actor: "test", action: "account.created", entity: "test" });
        assert.equal((await auditRows(ctx)).length, 2);
      });
    });
  });
}
