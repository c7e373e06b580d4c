/**
 * The HR staff import, on SQLite and PostgreSQL: creation, re-import,
 * updates, `--full` and its departure guard, rejected rows, the 10 % rule, dry run, file formats and
 * encodings, and bad files. Every test opens its own fresh database, so none depends on another's data or order.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { sql } from "kysely";
import { DomainError } from "../../src/shared/errors.js";
import { DIALECTS, openTestServices, type TestContext, tempDir } from "../helpers/env.js";
import { numenFor, STAFF_HEADER, type StaffRow, staffCsv, staffRow, writeCsv } from "../helpers/staff.js";

/** Runs `fn` with fresh services on `dialect` and a temporary folder, then cleans both up. */
async function withCtx(
  dialect: (typeof DIALECTS)[number],
  fn: (ctx: TestContext, dir: string) => Promise<void>,
): Promise<void> {
  const ctx = await openTestServices(dialect);
  const tmp = tempDir();
  try {
    await fn(ctx, tmp.dir);
  } finally {
    await ctx.close();
    tmp.remove();
  }
}

/** Every row of the directory tables and the audit count: "unchanged" means deepEqual snapshots. */
async function snapshot(ctx: TestContext) {
  const db = ctx.services.database.db;
  const person = await db.selectFrom("person").selectAll().orderBy("id").execute();
  const account = await db.selectFrom("account").selectAll().orderBy("id").execute();
  const establishment = await db.selectFrom("establishment").selectAll().orderBy("uai").execute();
  const audit = await sql<{ n: number | string }>`select count(*) as n from audit_event`.execute(db);
  return { person, account, establishment, audit: Number(audit.rows[0]?.n) };
}

async function counts(ctx: TestContext) {
  const s = await snapshot(ctx);
  return { person: s.person.length, account: s.account.length, audit: s.audit };
}

function csvLine(row: StaffRow): string {
  return STAFF_HEADER.map((h) => row[h]).join(";");
}

function summary(r: { created: number; updated: number; unchanged: number; departed: number; applied: boolean }) {
  return { created: r.created, updated: r.updated, unchanged: r.unchanged, departed: r.departed, applied: r.applied };
}

/** Expects `promise` to reject with a DomainError of `code` whose message matches `message`. */
async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<DomainError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DomainError, `expected a DomainError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.match(caught.message, message);
  // One line, for the operator.
  assert.ok(!caught.message.includes("\n"), `message on one line: ${caught.message}`);
  return caught;
}

for (const dialect of DIALECTS) {
  describe(`staff import (${dialect})`, () => {
    it("creates people with academic accounts in initial state, then re-importing changes nothing", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        const rows = [
          staffRow(1, { nom: "Dupont", prenom: "Jean" }),
          staffRow(2, { nom: "Dupont", prenom: "Jean" }),
          staffRow(3, { nom: "Le Gall", prenom: "Élodie" }),
        ];
        const file = writeCsv(dir, "a.csv", staffCsv(rows));
        const first = await ctx.services.staffImport.importFile(file, { actor: "test" });
        assert.deepEqual(summary(first), { created: 3, updated: 0, unchanged: 0, departed: 0, applied: true });
        assert.deepEqual(first.rejected, []);
        assert.equal(first.rows, 3);

        const a = await ctx.services.directory.getAccount("jdupont");
        assert.equal(a.address, "jean.dupont@ac-lyon.fr");
        assert.equal(a.passwordState, "initial");
        assert.equal(a.kind, "academique");
        assert.equal(a.disabled, false);
        assert.equal(a.holder.type, "person");
        const b = await ctx.services.directory.getAccount(rows[1]?.numen ?? "");
        assert.equal(b.username, "jdupont2");
        assert.equal(b.address, "jean.dupont2@ac-lyon.fr");
        assert.equal((await ctx.services.directory.getAccount("ELEGALL")).address, "elodie.le-gall@ac-lyon.fr");

        // Stored as specified: birth date ISO, UAI, status active, NUMEN only as a keyed hash.
        const snap = await snapshot(ctx);
        assert.equal(snap.person.length, 3);
        assert.equal(snap.account.length, 3);
        const p1 = snap.person.find((p) => p.nom === "Le Gall");
        assert.equal(p1?.birth_date, "1963-04-04");
        assert.equal(p1?.status, "active");
        assert.equal(p1?.uai, "0690026D");
        assert.equal(p1?.numen_hash, ctx.services.directory.numenHash(numenFor(3)));
        assert.ok(!JSON.stringify(snap).includes(numenFor(3)), "the NUMEN is never stored in clear");
        assert.ok(snap.account.every((acc) => acc.password_hash === null && acc.password_state === "initial"));

        const created = await ctx.services.audit.list({ action: "person.created" });
        assert.equal(created.length, 3);

        const again = await ctx.services.staffImport.importFile(file, { actor: "test" });
        assert.deepEqual(summary(again), { created: 0, updated: 0, unchanged: 3, departed: 0, applied: true });
        const after = await snapshot(ctx);
        // Only the import summary itself is recorded; no directory change.
        assert.deepEqual({ ...after, audit: after.audit - 1 }, snap);
        assert.equal((await ctx.services.audit.list({ action: "import.staff" })).length, 2);
      });
    });

    it("imports a file of several batches with homonyms, each person with the right account", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        // 1,234 rows: full batches and a partial one; 1 in 3 is a "Jean Dupont".
        const rows = Array.from({ length: 1234 }, (_, i) =>
          i % 3 === 0 ? staffRow(5000 + i, { nom: "Dupont", prenom: "Jean" }) : staffRow(5000 + i),
        );
        const report = await ctx.services.staffImport.importFile(writeCsv(dir, "big.csv", staffCsv(rows)), {
          actor: "test",
        });
        assert.deepEqual(summary(report), { created: 1234, updated: 0, unchanged: 0, departed: 0, applied: true });
        const snap = await snapshot(ctx);
        assert.equal(snap.person.length, 1234);
        assert.equal(snap.account.length, 1234);
        assert.equal(new Set(snap.account.map((a) => a.person_id)).size, 1234);
        // Homonyms numbered in file order: jdupont, jdupont2, … jdupont412.
        const dupont = (k: number) => ctx.services.directory.getAccount(numenFor(5000 + 3 * k));
        assert.deepEqual(await Promise.all([0, 1, 200, 411].map(async (k) => (await dupont(k)).username)), [
          "jdupont",
          "jdupont2",
          "jdupont201",
          "jdupont412",
        ]);
        assert.equal((await dupont(411)).address, "jean.dupont412@ac-lyon.fr");
        // A row of the last, partial batch: its own person and fields.
        const last = rows[1232] as StaffRow;
        const account = await ctx.services.directory.getAccount(last.numen);
        assert.deepEqual(
          account.holder.type === "person" && [account.holder.nom, account.holder.prenom, account.holder.civilite],
          [last.nom, last.prenom, last.civilite],
        );
        const person = snap.person.find((p) => p.numen_hash === ctx.services.directory.numenHash(last.numen));
        const [d, m, y] = last.date_naissance.split("/");
        assert.equal(person?.birth_date, `${y}-${m}-${d}`);
        assert.equal((await ctx.services.audit.list({ action: "person.created", limit: 5000 })).length, 1234);
      });
    });

    it("a changed row updates the person, never the username or the address", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        const rows = [staffRow(10, { nom: "Dupont", prenom: "Jean" }), staffRow(11, { nom: "Martin", prenom: "Léa" })];
        await ctx.services.staffImport.importFile(writeCsv(dir, "v1.csv", staffCsv(rows)), { actor: "test" });
        const before = await ctx.services.directory.getAccount("jdupont");

        const changed = [
          staffRow(10, {
            nom: "Durand-Dupont",
            prenom: "Jean-Marc",
            civilite: "M.",
            date_naissance: "02/03/1971",
            categorie: "direction",
            uai: "0690027e",
          }),
          rows[1] as StaffRow,
        ];
        const report = await ctx.services.staffImport.importFile(writeCsv(dir, "v2.csv", staffCsv(changed)), {
          actor: "test",
        });
        assert.deepEqual(summary(report), { created: 0, updated: 1, unchanged: 1, departed: 0, applied: true });

        const after = await ctx.services.directory.getAccount(numenFor(10));
        assert.equal(after.id, before.id);
        assert.equal(after.username, "jdupont");
        assert.equal(after.address, "jean.dupont@ac-lyon.fr");
        assert.equal(after.passwordState, "initial");
        assert.deepEqual(after.holder, {
          type: "person",
          personId: before.holder.type === "person" ? before.holder.personId : -1,
          civilite: "M.",
          nom: "Durand-Dupont",
          prenom: "Jean-Marc",
          categorie: "direction",
          uai: "0690027E",
          status: "active",
        });
        const person = await ctx.services.database.db
          .selectFrom("person")
          .select("birth_date")
          .where("nom", "=", "Durand-Dupont")
          .executeTakeFirstOrThrow();
        assert.equal(person.birth_date, "1971-03-02");
        // No account was made for the new name.
        assert.equal((await counts(ctx)).account, 2);
        assert.equal(await ctx.services.directory.findAccount("jduranddupont"), null);

        const [event] = await ctx.services.audit.list({ action: "person.updated" });
        assert.deepEqual(event?.details, { fields: ["civilite", "nom", "prenom", "birthDate", "categorie", "uai"] });
        assert.equal(event?.entityId, String(before.holder.type === "person" ? before.holder.personId : ""));
      });
    });

    it("--full makes missing people departed and disables their accounts; a person coming back is re-enabled", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        const rows = [1, 2, 3].map((n) => staffRow(20 + n, { nom: "Bernard", prenom: `Prénom${"abc".charAt(n - 1)}` }));
        const all = writeCsv(dir, "all.csv", staffCsv(rows));
        await ctx.services.staffImport.importFile(all, { actor: "test" });
        const gone = await ctx.services.directory.getAccount(numenFor(22));

        // Without --full, a missing person stays active.
        const partial = writeCsv(dir, "partial.csv", staffCsv([rows[0], rows[2]] as StaffRow[]));
        const notFull = await ctx.services.staffImport.importFile(partial, { actor: "test" });
        assert.deepEqual(summary(notFull), { created: 0, updated: 0, unchanged: 2, departed: 0, applied: true });
        assert.equal((await ctx.services.directory.getAccount(gone.username)).disabled, false);

        const full = await ctx.services.staffImport.importFile(partial, { actor: "test", full: true });
        assert.deepEqual(summary(full), { created: 0, updated: 0, unchanged: 2, departed: 1, applied: true });
        const departed = await ctx.services.directory.getAccount(gone.username);
        assert.equal(departed.disabled, true);
        assert.equal(departed.holder.type === "person" && departed.holder.status, "departed");
        // Never deleted: every person and account is still there.
        assert.deepEqual(await counts(ctx).then((c) => [c.person, c.account]), [3, 3]);
        const row = await ctx.services.database.db
          .selectFrom("account")
          .select(["disabled", "disabled_reason"])
          .where("id", "=", gone.id)
          .executeTakeFirstOrThrow();
        assert.deepEqual(row, { disabled: 1, disabled_reason: "departed" });
        const [event] = await ctx.services.audit.list({ action: "person.departed" });
        assert.equal(event?.entityId, String(gone.holder.type === "person" ? gone.holder.personId : ""));
        assert.equal((await ctx.services.directory.getAccount(numenFor(21))).disabled, false);

        // Departed twice is still one departure.
        const again = await ctx.services.staffImport.importFile(partial, { actor: "test", full: true });
        assert.equal(again.departed, 0);

        const back = await ctx.services.staffImport.importFile(all, { actor: "test", full: true });
        assert.deepEqual(summary(back), { created: 0, updated: 1, unchanged: 2, departed: 0, applied: true });
        const returned = await ctx.services.directory.getAccount(gone.username);
        assert.equal(returned.disabled, false);
        assert.equal(returned.id, gone.id);
        assert.equal(returned.address, gone.address);
        assert.equal(returned.holder.type === "person" && returned.holder.status, "active");
        assert.equal((await ctx.services.audit.list({ action: "person.returned" })).length, 1);
      });
    });

    it("a person coming back does not re-enable an account an administrator disabled", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        const rows = [staffRow(30, { nom: "Petit", prenom: "Anne" }), staffRow(31, { nom: "Roux", prenom: "Paul" })];
        const all = writeCsv(dir, "all.csv", staffCsv(rows));
        await ctx.services.staffImport.importFile(all, { actor: "test" });
        await ctx.services.directory.disableAccount("apetit", "test:admin");
        await ctx.services.staffImport.importFile(writeCsv(dir, "one.csv", staffCsv([rows[1]] as typeof rows)), {
          actor: "test",
          full: true,
        });
        await ctx.services.staffImport.importFile(all, { actor: "test", full: true });
        const account = await ctx.services.directory.getAccount("apetit");
        assert.equal(account.holder.type === "person" && account.holder.status, "active");
        assert.equal(account.disabled, true);
      });
    });

    it("rejects bad rows with their line and reason and imports the good ones", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        // 36 good rows and 4 bad ones: exactly 10 % rejected, which is still imported.
        const rows = Array.from({ length: 36 }, (_, i) => staffRow(100 + i));
        rows.splice(4, 0, staffRow(900, { numen: "12A345" })); // line 6
        rows.splice(10, 0, staffRow(901, { date_naissance: "31/02/1990" })); // line 12
        rows.splice(20, 0, staffRow(902, { nom: "" })); // line 22
        rows.splice(30, 0, staffRow(903, { numen: ` ${numenFor(102).toLowerCase()} ` })); // line 32, row 102 on line 4
        const file = writeCsv(dir, "mixed.csv", staffCsv(rows));
        const report = await ctx.services.staffImport.importFile(file, { actor: "test" });
        assert.deepEqual(report.rejected, [
          { line: 6, reason: "invalid NUMEN: expected 2 digits, 1 letter, 7 digits, 3 letters" },
          { line: 12, reason: 'date_naissance: impossible date "31/02/1990"' },
          { line: 22, reason: "missing nom" },
          { line: 32, reason: "NUMEN repeated in the file (first on line 4)" },
        ]);
        assert.equal(report.rows, 40);
        assert.deepEqual(summary(report), { created: 36, updated: 0, unchanged: 0, departed: 0, applied: true });
        const c = await counts(ctx);
        assert.deepEqual([c.person, c.account], [36, 36]);
        assert.equal(await ctx.services.directory.findAccount(numenFor(901)), null);
        assert.equal(await ctx.services.directory.findAccount(numenFor(902)), null);
        // The repeated NUMEN kept its first row.
        const first = await ctx.services.directory.getAccount(numenFor(102));
        assert.equal(first.holder.type === "person" && first.holder.nom, staffRow(102).nom);
        const [event] = await ctx.services.audit.list({ action: "import.staff" });
        assert.deepEqual(event?.details, { file, rows: 40, created: 36, updated: 0, departed: 0, rejected: 4 });
      });
    });

    it("more than 10 % rejected rows: nothing is written", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        await ctx.services.staffImport.importFile(writeCsv(dir, "base.csv", staffCsv([staffRow(1)])), {
          actor: "test",
        });
        const before = await snapshot(ctx);
        // 9 good rows (one of them an update), 2 bad: 18 % rejected.
        const rows = [
          staffRow(1, { categorie: "changé" }),
          ...Array.from({ length: 8 }, (_, i) => staffRow(200 + i)),
          staffRow(300, { date_naissance: "1990-13-01" }),
          staffRow(301, { numen: "" }),
        ];
        const report = await ctx.services.staffImport.importFile(writeCsv(dir, "bad.csv", staffCsv(rows)), {
          actor: "test",
          full: true,
        });
        assert.equal(report.applied, false);
        assert.equal(report.rows, 11);
        assert.deepEqual(
          report.rejected.map((r) => r.line),
          [11, 12],
        );
        // The report says what would have been done.
        assert.deepEqual(summary(report), { created: 8, updated: 1, unchanged: 0, departed: 0, applied: false });
        assert.deepEqual(await snapshot(ctx), before);
      });
    });

    it("a dry run reports what it would do and writes nothing", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        await ctx.services.staffImport.importFile(writeCsv(dir, "base.csv", staffCsv([staffRow(1), staffRow(2)])), {
          actor: "test",
        });
        const before = await snapshot(ctx);
        const rows = [staffRow(1, { nom: "Autre" }), staffRow(3), staffRow(4)];
        const report = await ctx.services.staffImport.importFile(writeCsv(dir, "dry.csv", staffCsv(rows)), {
          actor: "test",
          dryRun: true,
          full: true,
        });
        assert.deepEqual(summary(report), { created: 2, updated: 1, unchanged: 0, departed: 1, applied: false });
        assert.deepEqual(report.rejected, []);
        assert.deepEqual(await snapshot(ctx), before);
      });
    });

    it("a dry run holds no connection: a write made while it reads its file is done at once", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        // Many batches and many chunks of the file: the dry run is still reading when the write comes.
        const file = writeCsv(dir, "big.csv", staffCsv(Array.from({ length: 6_000 }, (_, i) => staffRow(10_000 + i))));
        const order: string[] = [];
        let write: Promise<void> | undefined;
        const events: string[] = [];
        const report = ctx.services.staffImport
          .importFile(file, {
            actor: "test",
            dryRun: true,
            onEvents: (batch) => events.push(...batch.map((e) => e.action)),
            onProgress: () => {
              // On SQLite a transaction would hold the only connection until the whole file was read.
              write ??= ctx.services.audit
                .record({ actor: "test", action: "import.staff", entity: "import" })
                .then(() => void order.push("write"));
            },
          })
          .then((r) => {
            order.push("dry run");
            return r;
          });
        const dry = await report;
        await write;
        assert.deepEqual(order, ["write", "dry run"]);
        assert.equal(dry.created, 6_000);
        // The events a real run would write, given to the caller (the console's samples), none written.
        assert.equal(events.length, 6_000);
        assert.ok(events.every((a) => a === "person.created"));
        assert.deepEqual(await counts(ctx), { person: 0, account: 0, audit: 1 });
        const real = await ctx.services.staffImport.importFile(file, { actor: "test" });
        assert.deepEqual(summary(real), { ...summary(dry), applied: true });
      });
    });

    it("--full does not make departed a person whose row was rejected", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        const rows = Array.from({ length: 12 }, (_, i) => staffRow(400 + i));
        await ctx.services.staffImport.importFile(writeCsv(dir, "all.csv", staffCsv(rows)), { actor: "test" });
        // Same people; one row now has a typo in the date: rejected, but the person is in the file.
        const next = rows.map((r, i) => (i === 5 ? { ...r, date_naissance: "31/06/1980" } : r));
        const report = await ctx.services.staffImport.importFile(writeCsv(dir, "next.csv", staffCsv(next)), {
          actor: "test",
          full: true,
        });
        assert.deepEqual(report.rejected, [{ line: 7, reason: 'date_naissance: impossible date "31/06/1980"' }]);
        assert.deepEqual(summary(report), { created: 0, updated: 0, unchanged: 11, departed: 0, applied: true });
        assert.equal((await ctx.services.directory.getAccount(numenFor(405))).disabled, false);
      });
    });

    describe("the departure guard of --full", () => {
      /** Imports staffRow(base … base + n - 1); returns the rows. */
      async function seed(ctx: TestContext, dir: string, base: number, n: number): Promise<StaffRow[]> {
        const rows = Array.from({ length: n }, (_, i) => staffRow(base + i));
        const report = await ctx.services.staffImport.importFile(writeCsv(dir, "seed.csv", staffCsv(rows)), {
          actor: "test",
        });
        assert.equal(report.created, n);
        return rows;
      }

      async function statuses(ctx: TestContext): Promise<Record<string, number>> {
        const rows = await ctx.services.database.db.selectFrom("person").select("status").execute();
        const out: Record<string, number> = {};
        for (const r of rows) out[r.status] = (out[r.status] ?? 0) + 1;
        return out;
      }

      it("a file missing most people is refused: nothing is written, not even the other rows' changes", async () => {
        await withCtx(dialect, async (ctx, dir) => {
          const rows = await seed(ctx, dir, 600, 40);
          const before = await snapshot(ctx);
          // One establishment's extract: 12 of the 40, one of them changed, and a newcomer.
          const extract = [staffRow(600, { categorie: "direction" }), ...rows.slice(1, 12), staffRow(700)];
          const file = writeCsv(dir, "extract.csv", staffCsv(extract));
          const report = await ctx.services.staffImport.importFile(file, { actor: "test", full: true });
          assert.deepEqual(summary(report), { created: 1, updated: 1, unchanged: 11, departed: 28, applied: false });
          assert.equal(report.refused, "too_many_departures");
          // 40 active: 5 % is 2, so the floor of 10 applies.
          assert.deepEqual(report.departures, { active: 40, maxDepartures: 10, exceeded: true, forced: false });
          assert.deepEqual(await snapshot(ctx), before);
          assert.deepEqual(await statuses(ctx), { active: 40 });
          assert.deepEqual(await ctx.services.audit.list({ action: "person.departed" }), []);
          assert.equal((await ctx.services.audit.list({ action: "import.staff" })).length, 1);

          // A dry run says the same, and writes nothing either.
          const dry = await ctx.services.staffImport.importFile(file, { actor: "test", full: true, dryRun: true });
          assert.deepEqual([dry.refused, dry.departed, dry.applied], ["too_many_departures", 28, false]);
          assert.deepEqual(await snapshot(ctx), before);
        });
      });

      it("--force overrides the guard: people departed, accounts disabled, the override in the audit trail", async () => {
        await withCtx(dialect, async (ctx, dir) => {
          const rows = await seed(ctx, dir, 600, 40);
          const file = writeCsv(dir, "extract.csv", staffCsv(rows.slice(0, 12)));
          const report = await ctx.services.staffImport.importFile(file, {
            actor: "test",
            full: true,
            force: true,
          });
          assert.deepEqual(summary(report), { created: 0, updated: 0, unchanged: 12, departed: 28, applied: true });
          assert.equal(report.refused, undefined);
          assert.deepEqual(report.departures, { active: 40, maxDepartures: 10, exceeded: true, forced: true });
          assert.deepEqual(await statuses(ctx), { active: 12, departed: 28 });
          const gone = await ctx.services.directory.getAccount(numenFor(639));
          assert.equal(gone.disabled, true);
          assert.equal(gone.holder.type === "person" && gone.holder.status, "departed");
          assert.equal((await ctx.services.directory.getAccount(numenFor(611))).disabled, false);
          const disabled = await ctx.services.database.db
            .selectFrom("account")
            .select("id")
            .where("disabled_reason", "=", "departed")
            .execute();
          assert.equal(disabled.length, 28);
          assert.equal((await ctx.services.audit.list({ action: "person.departed" })).length, 28);
          const [event] = await ctx.services.audit.list({ action: "import.staff" });
          assert.deepEqual(event?.details, {
            file,
            rows: 12,
            created: 0,
            updated: 0,
            departed: 28,
            rejected: 0,
            forced: { active: 40, maxDepartures: 10 },
          });
        });
      });

      it("--force is not recorded when the guard did not stop anything", async () => {
        await withCtx(dialect, async (ctx, dir) => {
          const rows = await seed(ctx, dir, 600, 12);
          const file = writeCsv(dir, "most.csv", staffCsv(rows.slice(0, 10)));
          const report = await ctx.services.staffImport.importFile(file, { actor: "test", full: true, force: true });
          assert.deepEqual(report.departures, { active: 12, maxDepartures: 10, exceeded: false, forced: false });
          const [event] = await ctx.services.audit.list({ action: "import.staff" });
          assert.deepEqual(event?.details, { file, rows: 10, created: 0, updated: 0, departed: 2, rejected: 0 });
        });
      });

      it("a small directory: up to 10 departures need no --force, 11 do", async () => {
        await withCtx(dialect, async (ctx, dir) => {
          const rows = await seed(ctx, dir, 600, 13);
          // 11 of 13 would depart: refused.
          const two = await ctx.services.staffImport.importFile(writeCsv(dir, "two.csv", staffCsv(rows.slice(0, 2))), {
            actor: "test",
            full: true,
          });
          assert.deepEqual([two.refused, two.departed, two.applied], ["too_many_departures", 11, false]);
          assert.deepEqual(await statuses(ctx), { active: 13 });
          // 10 of 13: done.
          const three = await ctx.services.staffImport.importFile(
            writeCsv(dir, "three.csv", staffCsv(rows.slice(0, 3))),
            { actor: "test", full: true },
          );
          assert.deepEqual(summary(three), { created: 0, updated: 0, unchanged: 3, departed: 10, applied: true });
          assert.equal(three.refused, undefined);
          assert.deepEqual(await statuses(ctx), { active: 3, departed: 10 });
        });
      });

      it("a large directory: up to 5 % of the active people depart without --force, one more is refused", async () => {
        await withCtx(dialect, async (ctx, dir) => {
          const rows = await seed(ctx, dir, 2000, 300);
          // 300 active: 15 may depart.
          const first = await ctx.services.staffImport.importFile(
            writeCsv(dir, "a.csv", staffCsv(rows.slice(0, 285))),
            { actor: "test", full: true },
          );
          assert.deepEqual([first.departed, first.applied], [15, true]);
          assert.deepEqual(first.departures, { active: 300, maxDepartures: 15, exceeded: false, forced: false });
          // Now 285 active: 14 may depart, and 15 more are missing.
          const before = await snapshot(ctx);
          const second = await ctx.services.staffImport.importFile(
            writeCsv(dir, "b.csv", staffCsv(rows.slice(0, 270))),
            { actor: "test", full: true },
          );
          assert.deepEqual([second.departed, second.applied, second.refused], [15, false, "too_many_departures"]);
          assert.deepEqual(second.departures, { active: 285, maxDepartures: 14, exceeded: true, forced: false });
          assert.deepEqual(await snapshot(ctx), before);
          assert.deepEqual(await statuses(ctx), { active: 285, departed: 15 });
        });
      });

      it("people coming back and newcomers are not counted as departures", async () => {
        await withCtx(dialect, async (ctx, dir) => {
          const rows = await seed(ctx, dir, 600, 20);
          // With --force, 18 depart; the next file brings all of them back, with 30 newcomers.
          await ctx.services.staffImport.importFile(writeCsv(dir, "two.csv", staffCsv(rows.slice(0, 2))), {
            actor: "test",
            full: true,
            force: true,
          });
          const all = [...rows, ...Array.from({ length: 30 }, (_, i) => staffRow(800 + i))];
          const back = await ctx.services.staffImport.importFile(writeCsv(dir, "all.csv", staffCsv(all)), {
            actor: "test",
            full: true,
          });
          assert.deepEqual(summary(back), { created: 30, updated: 18, unchanged: 2, departed: 0, applied: true });
          assert.deepEqual(back.departures, { active: 2, maxDepartures: 10, exceeded: false, forced: false });
          assert.deepEqual(await statuses(ctx), { active: 50 });
        });
      });

      it("too many rejected rows is reported first: fixing the file comes before forcing", async () => {
        await withCtx(dialect, async (ctx, dir) => {
          const rows = await seed(ctx, dir, 600, 40);
          const before = await snapshot(ctx);
          const bad = [...rows.slice(0, 5), staffRow(900, { nom: "" }), staffRow(901, { numen: "x" })];
          const report = await ctx.services.staffImport.importFile(writeCsv(dir, "bad.csv", staffCsv(bad)), {
            actor: "test",
            full: true,
            force: true,
          });
          assert.deepEqual([report.refused, report.applied, report.departed], ["too_many_rejected", false, 35]);
          assert.deepEqual(await snapshot(ctx), before);
        });
      });
    });

    it("reads columns in any case and order, ignoring extra columns", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        const header = ["UAI", "Prenom", "NOM", "service", "Numen", "Date_Naissance", "CATEGORIE", "Civilite"];
        const rows = [
          staffRow(1, { nom: "Garcia", prenom: "Inès", civilite: "Mme" }),
          staffRow(2, { nom: "Faure", prenom: "Luc" }),
        ];
        const csv = staffCsv(rows, { header }).replace(/;;/g, ";DSDEN 69;");
        const report = await ctx.services.staffImport.importFile(writeCsv(dir, "order.csv", csv), { actor: "test" });
        assert.deepEqual(report.rejected, []);
        assert.equal(report.created, 2);
        const a = await ctx.services.directory.getAccount("igarcia");
        assert.equal(a.address, "ines.garcia@ac-lyon.fr");
        assert.deepEqual(
          a.holder.type === "person" && [a.holder.nom, a.holder.prenom, a.holder.civilite, a.holder.uai],
          ["Garcia", "Inès", "Mme", "0690026D"],
        );
      });
    });

    it('detects the "," separator', async () => {
      await withCtx(dialect, async (ctx, dir) => {
        const rows = [staffRow(1, { nom: "Moreau", prenom: "Zoé" }), staffRow(2, { nom: "Moreau", prenom: "Zoé" })];
        const file = writeCsv(dir, "comma.csv", staffCsv(rows, { separator: "," }));
        const report = await ctx.services.staffImport.importFile(file, { actor: "test" });
        assert.deepEqual([report.created, report.rejected], [2, []]);
        assert.equal((await ctx.services.directory.getAccount("zmoreau2")).address, "zoe.moreau2@ac-lyon.fr");
      });
    });

    it("reads UTF-8 with a BOM", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        const rows = [staffRow(1, { nom: "Lefèvre", prenom: "Françoise" })];
        const file = writeCsv(dir, "bom.csv", staffCsv(rows), "utf-8-bom");
        const report = await ctx.services.staffImport.importFile(file, { actor: "test" });
        assert.deepEqual([report.created, report.rejected], [1, []]);
        const a = await ctx.services.directory.getAccount(numenFor(1));
        assert.equal(a.username, "flefevre");
        assert.equal(a.holder.type === "person" && `${a.holder.prenom} ${a.holder.nom}`, "Françoise Lefèvre");
      });
    });

    it("reads a Windows-1252 file with accents", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        const rows = [
          staffRow(1, { nom: "Léger", prenom: "Hélène", categorie: "santé" }),
          staffRow(2, { nom: "Cœur", prenom: "Anaïs" }),
        ];
        const file = writeCsv(dir, "ansi.csv", staffCsv(rows), "windows-1252");
        const report = await ctx.services.staffImport.importFile(file, { actor: "test" });
        assert.deepEqual([report.created, report.rejected], [2, []]);
        const a = await ctx.services.directory.getAccount("hleger");
        assert.equal(a.address, "helene.leger@ac-lyon.fr");
        assert.deepEqual(a.holder.type === "person" && [a.holder.prenom, a.holder.nom, a.holder.categorie], [
          "Hélène",
          "Léger",
          "santé",
        ]);
        const b = await ctx.services.directory.getAccount("acoeur");
        assert.equal(b.holder.type === "person" && b.holder.nom, "Cœur");
      });
    });

    it("gives the line where a record starts in a Windows file with line breaks inside quoted cells", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        // An HR export with an "observations" column whose cells hold line breaks (CRLF and LF).
        const header = [...STAFF_HEADER, "observations"];
        const line = (row: StaffRow, note: string) => `${csvLine(row)};${note}`;
        const lines = [
          header.join(";"), // 1
          line(staffRow(1), '"Temps partiel\r\nà 80 %\r\n(2026)"'), // 2-4
          line(staffRow(2), "RAS"), // 5
          line(staffRow(3), '"Arrivée\nen septembre"'), // 6-7
          ...Array.from({ length: 18 }, (_, i) => line(staffRow(10 + i), "")), // 8-25
          line(staffRow(4, { date_naissance: "30/02/1985" }), '"Date\r\nà vérifier"'), // 26-27
          line(staffRow(5, { nom: "" }), ""), // 28
        ];
        const csv = `${lines.join("\r\n")}\r\n`;
        const report = await ctx.services.staffImport.importFile(writeCsv(dir, "crlf.csv", csv, "windows-1252"), {
          actor: "test",
        });
        assert.deepEqual(report.rejected, [
          { line: 26, reason: 'date_naissance: impossible date "30/02/1985"' },
          { line: 28, reason: "missing nom" },
        ]);
        assert.deepEqual([report.rows, report.created, report.applied], [23, 21, true]);
      });
    });

    it("an import interrupted by a malformed row leaves the directory as it was", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        await ctx.services.staffImport.importFile(writeCsv(dir, "base.csv", staffCsv([staffRow(1), staffRow(2)])), {
          actor: "test",
        });
        const before = await snapshot(ctx);
        // 1,200 good rows (several written batches, one update) then a stray quote on line 1,202.
        const rows = [staffRow(1, { nom: "Changé" }), ...Array.from({ length: 1199 }, (_, i) => staffRow(1000 + i))];
        const csv = `${staffCsv(rows)}${numenFor(5000)};M.;Du"pont;Jean;01/01/1980;enseignant;0690026D\n${csvLine(staffRow(5001))}\n`;
        const file = writeCsv(dir, "broken.csv", csv);
        await rejectsWith(
          ctx.services.staffImport.importFile(file, { actor: "test", full: true }),
          "CSV_INVALID",
          /^malformed CSV at line 1202: /,
        );
        assert.deepEqual(await snapshot(ctx), before);
      });
    });

    describe("bad files: one clear error, directory unchanged", () => {
      const cases: Array<{ name: string; write: (dir: string) => string; code: string; message: RegExp }> = [
        {
          name: "plain prose, not a CSV",
          write: (dir) =>
            writeCsv(
              dir,
              "lettre.csv",
              "Madame, Monsieur,\nVeuillez trouver ci-joint la liste des personnels.\nCordialement.\n",
            ),
          code: "CSV_INVALID",
          message: /^missing columns: numen, civilite, nom, prenom, date_naissance, categorie, uai \(header has: /,
        },
        {
          name: "prose without any separator",
          write: (dir) => writeCsv(dir, "note.txt", "Ceci n'est pas un fichier d'export RH\nMerci\n"),
          code: "CSV_INVALID",
          message: /^no separator \(";" or ","\) in the header row: not a CSV file/,
        },
        {
          name: "a missing column",
          write: (dir) =>
            writeCsv(dir, "nouai.csv", staffCsv([staffRow(7)], { header: STAFF_HEADER.filter((c) => c !== "uai") })),
          code: "CSV_INVALID",
          message: /^missing column: uai \(header has: numen, civilite, nom, prenom, date_naissance, categorie\)$/,
        },
        {
          name: "an empty file",
          write: (dir) => writeCsv(dir, "empty.csv", ""),
          code: "CSV_INVALID",
          message: /^the file is empty/,
        },
        {
          name: "a header and no rows",
          write: (dir) => writeCsv(dir, "header.csv", `${STAFF_HEADER.join(";")}\n`),
          code: "CSV_INVALID",
          message: /^the file has a header row but no data rows$/,
        },
        {
          name: "binary garbage",
          write: (dir) => {
            const bytes = randomBytes(64 * 1024);
            bytes[1000] = 0;
            const file = path.join(dir, "garbage.csv");
            writeFileSync(file, bytes);
            return file;
          },
          code: "CSV_INVALID",
          message: /binary data \(NUL bytes\): not a CSV text file/,
        },
        {
          name: "a single 10 MB line",
          write: (dir) => writeCsv(dir, "long.csv", "numen;nom".padEnd(10 * 1024 * 1024, "x")),
          code: "CSV_INVALID",
          message: /^the first line is too long to be a CSV header: not a CSV file$/,
        },
        {
          name: "a 10 MB data row after a good header and rows",
          write: (dir) =>
            writeCsv(dir, "longrow.csv", `${staffCsv([staffRow(8), staffRow(9)])}${"y".repeat(10 * 1024 * 1024)}\n`),
          code: "CSV_INVALID",
          message: /^a record at line 4 is longer than 65536 bytes: not a valid HR export$/,
        },
        {
          name: "a file that does not exist",
          write: (dir) => path.join(dir, "absent.csv"),
          code: "FILE_UNREADABLE",
          message: /^file not found: .*absent\.csv$/,
        },
        {
          name: "a folder instead of a file",
          write: (dir) => dir,
          code: "FILE_UNREADABLE",
          message: /^not a regular file: /,
        },
      ];
      for (const c of cases) {
        it(c.name, async () => {
          await withCtx(dialect, async (ctx, dir) => {
            await ctx.services.staffImport.importFile(writeCsv(dir, "base.csv", staffCsv([staffRow(1)])), {
              actor: "test",
            });
            const before = await snapshot(ctx);
            const file = c.write(dir);
            await rejectsWith(
              ctx.services.staffImport.importFile(file, { actor: "test", full: true }),
              c.code,
              c.message,
            );
            assert.deepEqual(await snapshot(ctx), before);
          });
        });
      }
    });
  });
}
