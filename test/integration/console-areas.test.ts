/**
 * The console's areas through app.inject, on SQLite and PostgreSQL: the administration grants and
 * revokes roles with the second factor typed again (valid 5 minutes), refuses what is not an
 * academic account or not a role, in French at the field; the security team reads the audit trail
 * filtered and exports it as CSV (the export itself audited).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parse } from "csv-parse/sync";
import type { FastifyInstance } from "fastify";
import type { Services } from "../../src/services.js";
import { FakeClock } from "../../src/shared/clock.js";
import { consoleAgent, location, totp } from "../helpers/console.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { staffWithPassword, testApp, textOf } from "../helpers/web.js";

for (const dialect of DIALECTS) {
  describe(`the console's areas (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    const clock = new FakeClock("2026-12-04T09:00:00.000Z");
    before(async () => {
      ctx = await openTestServices(dialect, {}, { clock });
      services = ctx.services;
      app = await testApp(services);
    });
    after(async () => {
      await app.close();
      await ctx.close();
    });

    it("administration: a role granted and revoked with the second factor again, audited under the admin", async () => {
      const admin = await consoleAgent(services, app, "admin", clock);
      const colleague = await staffWithPassword(services);
      const page = await admin.c.get("/console/admin");
      assert.equal(page.statusCode, 200);
      assert.ok(textOf(page.body).includes(admin.account.username), "the holders are listed");
      // Without the code: refused at the code field, nothing granted.
      const noCode = await admin.c.post("/console/admin/roles", {
        operation: "grant",
        username: colleague.username,
        role: "assistance",
        code: "",
      });
      assert.equal(noCode.statusCode, 400);
      assert.deepEqual(await services.console.rolesOf(colleague.id), []);
      const wrong = await admin.c.post("/console/admin/roles", {
        operation: "grant",
        username: colleague.username,
        role: "assistance",
        code: "000000",
      });
      assert.equal(wrong.statusCode, 400);
      assert.ok(textOf(wrong.body).includes("Ce code n'est pas le bon"));
      const granted = await admin.c.post("/console/admin/roles", {
        operation: "grant",
        username: colleague.username,
        role: "assistance",
        code: await totp(admin.secret, clock),
      });
      assert.equal(location(granted), `/console/admin?fait=accorde&compte=${colleague.username}&role=assistance`);
      assert.ok(
        textOf((await admin.c.get(location(granted))).body).includes("Le rôle Assistance aux personnels est attribué"),
      );
      assert.deepEqual(await services.console.rolesOf(colleague.id), ["assistance"]);
      // Within 5 minutes, no code asked again; an unknown role, a functional account: said at the field.
      const badRole = await admin.c.post("/console/admin/roles", {
        operation: "grant",
        username: colleague.username,
        role: "superviseur",
        code: "",
      });
      assert.equal(badRole.statusCode, 400);
      assert.ok(textOf(badRole.body).includes("Choisissez un rôle dans la liste."));
      const unknown = await admin.c.post("/console/admin/roles", {
        operation: "grant",
        username: "personne.inconnue",
        role: "admin",
        code: "",
      });
      assert.equal(unknown.statusCode, 400);
      assert.ok(textOf(unknown.body).includes("Aucun compte ne correspond"));
      const revoked = await admin.c.post("/console/admin/roles", {
        operation: "revoke",
        username: colleague.username,
        role: "assistance",
        code: "",
      });
      assert.equal(location(revoked), `/console/admin?fait=retire&compte=${colleague.username}&role=assistance`);
      assert.deepEqual(await services.console.rolesOf(colleague.id), []);
      // After 5 minutes the code is asked again.
      clock.advance(5 * 60_000 + 1_000);
      const later = await admin.c.get("/console/admin");
      assert.match(later.body, /Confirmez avec votre code de double authentification/);
      const trail = await services.audit.forEntity("account", colleague.id, [
        "console.role_granted",
        "console.role_revoked",
      ]);
      assert.deepEqual(
        trail.map((e) => [e.action, e.actor]),
        [
          ["console.role_revoked", `console:${admin.account.username}`],
          ["console.role_granted", `console:${admin.account.username}`],
        ],
      );
    });

    it("helpdesk: a caller found by a misspelt name, with their accounts; never a NUMEN; long and wild queries said in French", async () => {
      const agent = await consoleAgent(services, app, "assistance", clock);
      const caller = await staffWithPassword(services, { prenom: "Bérénice", nom: "Fouquerolle" });
      const found = await agent.c.get(`/console/assistance?q=${encodeURIComponent("fouqerolle b")}`);
      assert.equal(found.statusCode, 200);
      const text = textOf(found.body);
      assert.ok(text.includes("Bérénice Fouquerolle"), text);
      assert.ok(text.includes(caller.username));
      assert.ok(text.includes(caller.address));
      // Nothing of the NUMEN or the birth date on the page.
      const person = await services.directory.getAccountById(caller.id);
      assert.equal(person.holder.type, "person");
      assert.doesNotMatch(found.body, /NUMEN :|naissance/i);
      // Every search is audited under the agent.
      const searched = await services.audit.list({ action: "console.people_searched", limit: 1 });
      assert.equal(searched[0]?.actor, `console:${agent.account.username}`);
      assert.equal(searched[0]?.details.query, "fouqerolle b");
      const long = await agent.c.get(`/console/assistance?q=${"a".repeat(10_000)}`);
      assert.equal(long.statusCode, 400);
      assert.ok(textOf(long.body).includes("Saisissez au plus 200 caractères."));
      assert.equal((await agent.c.get("/console/assistance?q=%25_%25")).statusCode, 200);
      // The helpdesk sees no administration and no audit trail.
      assert.equal((await agent.c.get("/console/admin")).statusCode, 404);
      assert.equal((await agent.c.get("/console/securite")).statusCode, 404);
    });

    it("security: the audit trail filtered by account, action, actor, dates; the CSV export audited", async () => {
      const team = await consoleAgent(services, app, "securite", clock);
      const person = await staffWithPassword(services);
      await services.console.grant(person.username, "assistance", "cli:role grant");
      const filtered = await team.c.get(
        `/console/securite?compte=${encodeURIComponent(person.address)}&action=console.role_granted`,
      );
      assert.equal(filtered.statusCode, 200);
      const rows = [...filtered.body.matchAll(/<tr><td><time/g)].length;
      assert.equal(rows, 1);
      assert.ok(textOf(filtered.body).includes("cli:role grant"));
      const byActor = await team.c.get("/console/securite?acteur=cli%3Arole");
      assert.ok(textOf(byActor.body).includes("console.role_granted"));
      // Wildcards are characters, not patterns.
      const wildcard = await team.c.get("/console/securite?acteur=%25");
      assert.ok(textOf(wildcard.body).includes("Aucun événement ne correspond à ces filtres."));
      const badDate = await team.c.get("/console/securite?du=31%2F02%2F2026");
      assert.equal(badDate.statusCode, 400);
      assert.ok(textOf(badDate.body).includes("Écrivez la date au format JJ/MM/AAAA"));
      const badAction = await team.c.get("/console/securite?action=drop.table");
      assert.equal(badAction.statusCode, 400);
      const csv = await team.c.get(`/console/securite/journal.csv?compte=${encodeURIComponent(person.username)}`);
      assert.equal(csv.statusCode, 200);
      assert.match(String(csv.headers["content-type"]), /^text\/csv/);
      assert.match(String(csv.headers["content-disposition"]), /attachment; filename="journal-audit.csv"/);
      const records = parse(csv.body.replace(/^\ufeff/, ""), { columns: true, delimiter: ";" }) as Record<
        string,
        string
      >[];
      assert.ok(records.some((r) => r.action === "console.role_granted" && r.entity_id === String(person.id)));
      const exports = await services.audit.list({ action: "console.audit_exported", limit: 5 });
      assert.equal(exports[0]?.actor, `console:${team.account.username}`);
      // The security team has no administration.
      assert.equal((await team.c.get("/console/admin")).statusCode, 404);
    });
  });
}
