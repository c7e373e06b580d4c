/**
 * The directory service on SQLite and PostgreSQL: establishments and
 * their functional accounts, external accounts, look-ups and disabling. Each test has its own
 * fresh database.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { uaiKey } from "../../src/directory/identifiers.js";
import { DomainError } from "../../src/shared/errors.js";
import { DIALECTS, openTestServices, type TestContext, tempDir } from "../helpers/env.js";
import { numenFor, staffCsv, staffRow, writeCsv } from "../helpers/staff.js";

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

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DomainError, `expected a DomainError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.match(caught.message, message);
}

/** A valid UAI of the Rhône for each n. */
function uaiFor(n: number): string {
  const digits = `069${String(n).padStart(4, "0")}`;
  return `${digits}${uaiKey(digits)}`;
}

/** Imports n staff (numenFor(1..n)), who can then head establishments. */
async function importHeads(ctx: TestContext, dir: string, n: number): Promise<void> {
  const rows = Array.from({ length: n }, (_, i) => staffRow(i + 1));
  const report = await ctx.services.staffImport.importFile(writeCsv(dir, "staff.csv", staffCsv(rows)), {
    actor: "test",
  });
  assert.equal(report.created, n);
}

function establishmentsCsv(rows: ReadonlyArray<[string, string, string]>): string {
  return `uai;libelle;numen_chef\n${rows.map((r) => r.join(";")).join("\n")}\n`;
}

function personIdOf(account: { holder: { type: string; personId?: number } }): number | undefined {
  return account.holder.type === "person" ? account.holder.personId : undefined;
}

for (const dialect of DIALECTS) {
  describe(`directory (${dialect})`, () => {
    it("the establishments import creates ce.<uai> functional accounts held by the head", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        await importHeads(ctx, dir, 11);
        const rows: Array<[string, string, string]> = Array.from({ length: 10 }, (_, i) => [
          i === 3 ? uaiFor(i + 1).toLowerCase() : uaiFor(i + 1),
          `Collège n° ${i + 1}`,
          numenFor(i + 1),
        ]);
        rows.splice(5, 0, ["0690026E", "Lycée à la clé fausse", numenFor(11)]); // line 7
        const report = await ctx.services.directory.importEstablishments(
          writeCsv(dir, "etab.csv", establishmentsCsv(rows)),
          { actor: "test" },
        );
        assert.deepEqual(report.rejected, [
          { line: 7, reason: 'invalid UAI "0690026E": expected 7 digits and its key letter' },
        ]);
        assert.deepEqual([report.created, report.updated, report.applied], [10, 0, true]);

        const head = await ctx.services.directory.getAccount(numenFor(1));
        const uai = uaiFor(1);
        const account = await ctx.services.directory.getAccount(`ce.${uai.toLowerCase()}`);
        assert.equal(account.kind, "fonctionnel");
        assert.equal(account.username, `ce.${uai.toLowerCase()}`);
        assert.equal(account.address, `ce.${uai.toLowerCase()}@ac-lyon.fr`);
        assert.equal(account.establishmentUai, uai);
        assert.equal(account.passwordState, "initial");
        assert.equal(account.disabled, false);
        assert.equal(personIdOf(account), personIdOf(head));
        // Also found by its address in capitals; the head's NUMEN still gives the academic account.
        assert.equal((await ctx.services.directory.getAccount(account.address.toUpperCase())).id, account.id);
        assert.equal((await ctx.services.directory.getAccount(numenFor(1))).kind, "academique");
        // The UAI typed with a lowercase key is accepted and stored in capitals.
        assert.equal(
          (await ctx.services.directory.getAccount(`ce.${uaiFor(4).toLowerCase()}`)).establishmentUai,
          uaiFor(4),
        );
        assert.equal(await ctx.services.directory.findAccount("ce.0690026e"), null);

        const establishments = await ctx.services.database.db
          .selectFrom("establishment")
          .selectAll()
          .orderBy("uai")
          .execute();
        assert.equal(establishments.length, 10);
        assert.deepEqual(
          establishments.find((e) => e.uai === uai) && {
            libelle: establishments.find((e) => e.uai === uai)?.libelle,
            head: establishments.find((e) => e.uai === uai)?.head_person_id,
          },
          { libelle: "Collège n° 1", head: personIdOf(head) },
        );
        const events = await ctx.services.audit.list({ action: "account.created" });
        assert.equal(events.length, 10);
        assert.ok(events.every((e) => e.actor === "test" && (e.details as { kind?: string }).kind === "fonctionnel"));

        // Importing the same file again changes nothing.
        const again = await ctx.services.directory.importEstablishments(
          writeCsv(dir, "etab.csv", establishmentsCsv(rows)),
          { actor: "test" },
        );
        assert.deepEqual([again.created, again.updated, again.unchanged], [0, 0, 10]);
        assert.equal((await ctx.services.audit.list({ action: "account.created" })).length, 10);
      });
    });

    it("rejects establishment rows whose head is unknown, and too many rejected rows write nothing", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        await importHeads(ctx, dir, 2);
        const report = await ctx.services.directory.importEstablishments(
          writeCsv(
            dir,
            "etab.csv",
            establishmentsCsv([
              [uaiFor(1), "Collège Jean Moulin", numenFor(1)],
              [uaiFor(2), "Lycée Ampère", numenFor(99)],
              [uaiFor(3), "", numenFor(2)],
            ]),
          ),
          { actor: "test" },
        );
        assert.deepEqual(report.rejected, [
          { line: 3, reason: "numen_chef matches no active person: import the staff first" },
          { line: 4, reason: "missing libelle (or longer than 200 characters)" },
        ]);
        assert.equal(report.applied, false);
        assert.equal(await ctx.services.directory.findAccount(`ce.${uaiFor(1).toLowerCase()}`), null);
        const n = await ctx.services.database.db.selectFrom("establishment").selectAll().execute();
        assert.equal(n.length, 0);
      });
    });

    it("a row rejected because ce.<uai> belongs to another account writes nothing", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        await importHeads(ctx, dir, 11);
        // Another account already holds the name ce.<uai> (set up directly: no rule issues it today).
        const taken = uaiFor(11);
        const now = new Date().toISOString();
        await ctx.services.database.db
          .insertInto("account")
          .values({
            kind: "externe",
            username: `ce.${taken.toLowerCase()}`,
            address: `ce.${taken.toLowerCase()}@ac-lyon.fr`,
            external_nom: "Autre",
            external_prenom: "Titulaire",
            recovery_confirmed: 0,
            password_state: "initial",
            disabled: 0,
            created_at: now,
            updated_at: now,
          })
          .execute();
        const accountsBefore = await ctx.services.database.db.selectFrom("account").selectAll().orderBy("id").execute();
        // 10 good rows and the taken one (line 7): 1 in 11 rejected, so the import is applied.
        const rows: Array<[string, string, string]> = Array.from({ length: 10 }, (_, i) => [
          uaiFor(i + 1),
          `Collège n° ${i + 1}`,
          numenFor(i + 1),
        ]);
        rows.splice(5, 0, [taken, "Lycée au nom pris", numenFor(11)]);
        const report = await ctx.services.directory.importEstablishments(
          writeCsv(dir, "etab.csv", establishmentsCsv(rows)),
          { actor: "test" },
        );
        assert.deepEqual(report.rejected, [
          { line: 7, reason: `the functional account ce.${taken.toLowerCase()} already exists for another holder` },
        ]);
        assert.deepEqual([report.created, report.updated, report.unchanged, report.applied], [10, 0, 0, true]);
        // The rejected row left no establishment, no account change and no audit event behind.
        const establishments = await ctx.services.database.db.selectFrom("establishment").select("uai").execute();
        assert.equal(establishments.length, 10);
        assert.ok(!establishments.some((e) => e.uai === taken));
        const accountsAfter = await ctx.services.database.db.selectFrom("account").selectAll().orderBy("id").execute();
        assert.deepEqual(accountsAfter.slice(0, accountsBefore.length), accountsBefore);
        assert.equal(accountsAfter.length, accountsBefore.length + 10);
        const events = await ctx.services.audit.list({ limit: 100 });
        assert.ok(!events.some((e) => e.entityId === taken || JSON.stringify(e.details).includes(taken)));
        assert.equal((await ctx.services.audit.list({ action: "establishment.created" })).length, 10);
      });
    });

    it("a new head takes the functional account over, and its password goes back to initial", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        await importHeads(ctx, dir, 2);
        const uai = uaiFor(42);
        const file1 = writeCsv(dir, "e1.csv", establishmentsCsv([[uai, "Lycée du Parc", numenFor(1)]]));
        await ctx.services.directory.importEstablishments(file1, { actor: "test" });
        const before = await ctx.services.directory.getAccount(`ce.${uai.toLowerCase()}`);
        // The former head had chosen a password.
        await ctx.services.database.db
          .updateTable("account")
          .set({ password_state: "personal", password_hash: "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA" })
          .where("id", "=", before.id)
          .execute();
        assert.equal((await ctx.services.directory.getAccount(before.username)).passwordState, "personal");

        const file2 = writeCsv(dir, "e2.csv", establishmentsCsv([[uai, "Lycée du Parc", numenFor(2)]]));
        const report = await ctx.services.directory.importEstablishments(file2, { actor: "test" });
        assert.deepEqual([report.created, report.updated, report.rejected], [0, 1, []]);

        const after = await ctx.services.directory.getAccount(before.username);
        const newHead = await ctx.services.directory.getAccount(numenFor(2));
        assert.equal(after.id, before.id);
        assert.equal(after.address, before.address);
        assert.equal(personIdOf(after), personIdOf(newHead));
        assert.notEqual(personIdOf(after), personIdOf(before));
        assert.equal(after.passwordState, "initial");
        const row = await ctx.services.database.db
          .selectFrom("account")
          .select("password_hash")
          .where("id", "=", before.id)
          .executeTakeFirstOrThrow();
        assert.equal(row.password_hash, null);
        const [event] = await ctx.services.audit.list({ action: "account.holder_changed" });
        assert.equal(event?.entityId, String(before.id));
        const est = await ctx.services.database.db
          .selectFrom("establishment")
          .select("head_person_id")
          .where("uai", "=", uai)
          .executeTakeFirstOrThrow();
        assert.equal(est.head_person_id, personIdOf(newHead));
      });
    });

    it("creates external accounts ext-jmartin, then ext-jmartin2, with a confirmed recovery address", async () => {
      await withCtx(dialect, async (ctx) => {
        const first = await ctx.services.directory.createExternal(
          { nom: "Martin", prenom: "Jean", recoveryEmail: " jean.martin@Example.ORG " },
          "test:admin",
        );
        assert.equal(first.username, "ext-jmartin");
        assert.equal(first.kind, "externe");
        assert.equal(first.recoveryEmail, "jean.martin@example.org");
        assert.equal(first.recoveryConfirmed, true);
        assert.equal(first.disabled, false);
        assert.deepEqual(first.holder, { type: "external", nom: "Martin", prenom: "Jean" });
        assert.match(first.address, /@ac-lyon\.fr$/);

        const second = await ctx.services.directory.createExternal(
          { nom: "Martín", prenom: "Jérôme", recoveryEmail: "jerome@example.net" },
          "test:admin",
        );
        assert.equal(second.username, "ext-jmartin2");
        assert.notEqual(second.address, first.address);
        assert.equal((await ctx.services.directory.getAccount("EXT-JMARTIN2")).id, second.id);

        const persons = await ctx.services.database.db.selectFrom("person").selectAll().execute();
        assert.equal(persons.length, 0);
        const events = await ctx.services.audit.list({ action: "account.created" });
        assert.deepEqual(
          events.map((e) => [e.actor, e.entityId, e.details]).sort(),
          [
            ["test:admin", String(first.id), { username: "ext-jmartin", kind: "externe" }],
            ["test:admin", String(second.id), { username: "ext-jmartin2", kind: "externe" }],
          ].sort(),
        );
      });
    });

    it("refuses an external account with a bad recovery address or one inside the mail domain", async () => {
      await withCtx(dialect, async (ctx) => {
        const create = (recoveryEmail: string) =>
          ctx.services.directory.createExternal({ nom: "Martin", prenom: "Jean", recoveryEmail }, "test");
        await rejectsWith(create("pas-une-adresse"), "INVALID_EMAIL", /^not an e-mail address: "pas-une-adresse"$/);
        await rejectsWith(create("jean@"), "INVALID_EMAIL", /not an e-mail address/);
        await rejectsWith(create("jean martin@example.org"), "INVALID_EMAIL", /not an e-mail address/);
        await rejectsWith(create("jean.martin@ac-lyon.fr"), "INVALID_EMAIL", /outside ac-lyon\.fr/);
        await rejectsWith(create("Jean.Martin@AC-LYON.FR"), "INVALID_EMAIL", /outside ac-lyon\.fr/);
        await rejectsWith(create("jean.martin@webmail.ac-lyon.fr"), "INVALID_EMAIL", /outside ac-lyon\.fr/);
        await rejectsWith(
          ctx.services.directory.createExternal({ nom: "", prenom: "Jean", recoveryEmail: "j@example.org" }, "test"),
          "INVALID_NAME",
          /required/,
        );
        const accounts = await ctx.services.database.db.selectFrom("account").selectAll().execute();
        assert.equal(accounts.length, 0);
        assert.equal((await ctx.services.audit.list()).length, 0);
        // A look-alike domain is outside the académie and accepted.
        const ok = await create("jean@notac-lyon.fr");
        assert.equal(ok.username, "ext-jmartin");
      });
    });

    it("finds an account by username in any case, by address and by NUMEN", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        const rows = [staffRow(1, { nom: "Lefèvre", prenom: "Hélène" }), staffRow(2, { nom: "Roux", prenom: "Paul" })];
        await ctx.services.staffImport.importFile(writeCsv(dir, "s.csv", staffCsv(rows)), { actor: "test" });
        const byUsername = await ctx.services.directory.getAccount("hlefevre");
        assert.equal(byUsername.address, "helene.lefevre@ac-lyon.fr");
        for (const ident of [
          "HLefevre",
          " hlefevre ",
          "helene.lefevre@ac-lyon.fr",
          "Helene.Lefevre@AC-LYON.FR",
          numenFor(1),
          numenFor(1).toLowerCase(),
          `${numenFor(1).slice(0, 3)} ${numenFor(1).slice(3)}`,
        ]) {
          assert.equal((await ctx.services.directory.getAccount(ident)).id, byUsername.id, ident);
        }
        assert.equal((await ctx.services.directory.getAccount(numenFor(2))).username, "proux");
        await rejectsWith(
          ctx.services.directory.getAccount("personne"),
          "NOT_FOUND",
          /^no account matches "personne"$/,
        );
        await rejectsWith(ctx.services.directory.getAccount(numenFor(3)), "NOT_FOUND", /no account matches/);
        assert.equal(await ctx.services.directory.findAccount("hlefevre@ac-lyon.fr"), null);
      });
    });

    it("disableAccount sets disabled and writes an audit event", async () => {
      await withCtx(dialect, async (ctx, dir) => {
        await ctx.services.staffImport.importFile(writeCsv(dir, "s.csv", staffCsv([staffRow(1), staffRow(2)])), {
          actor: "test",
        });
        const target = await ctx.services.directory.getAccount(numenFor(1));
        const disabled = await ctx.services.directory.disableAccount(
          target.address.toUpperCase(),
          "cli:account disable",
        );
        assert.equal(disabled.id, target.id);
        assert.equal(disabled.disabled, true);
        assert.equal((await ctx.services.directory.getAccount(target.username)).disabled, true);
        assert.equal((await ctx.services.directory.getAccount(numenFor(2))).disabled, false);
        const row = await ctx.services.database.db
          .selectFrom("account")
          .select(["disabled", "disabled_reason"])
          .where("id", "=", target.id)
          .executeTakeFirstOrThrow();
        assert.deepEqual(row, { disabled: 1, disabled_reason: "admin" });
        const events = await ctx.services.audit.list({ action: "account.disabled" });
        assert.equal(events.length, 1);
        assert.deepEqual(
          { actor: events[0]?.actor, entity: events[0]?.entity, id: events[0]?.entityId, details: events[0]?.details },
          {
            actor: "cli:account disable",
            entity: "account",
            id: String(target.id),
            details: { username: target.username },
          },
        );
        // Disabling again changes nothing and records nothing.
        await ctx.services.directory.disableAccount(target.username, "cli:account disable");
        assert.equal((await ctx.services.audit.list({ action: "account.disabled" })).length, 1);
        await rejectsWith(ctx.services.directory.disableAccount("inconnu", "test"), "NOT_FOUND", /inconnu/);
      });
    });
  });
}
