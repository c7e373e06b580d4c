/**
 * The console's bad input (issue 16 §7), on SQLite and PostgreSQL: wrong and replayed TOTP codes, a
 * role that does not exist (the console's form and `sesame role grant`), a temporary password for a
 * departed person, a search of 10,000 characters and `%`/`_` taken literally (proved with data), a
 * POST without its CSRF token on every console action, and unknown ids on every detail page: a
 * French message, a 4xx, nothing half-done, never a 5xx.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { sql } from "kysely";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { FakeClock } from "../../src/shared/clock.js";
import { consoleAgent, consoleSignIn, location, totp } from "../helpers/console.js";
import { DIALECTS, openTestServices, TEST_SECRET, type TestContext, tempDir } from "../helpers/env.js";
import {
  accountOf,
  MAILBOX_PASSWORD,
  nextMailboxIp,
  seedStaff,
  staffWithPassword,
  testApp,
  textOf,
  uniqueStaff,
  WebClient,
} from "../helpers/web.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(ROOT, "bin/sesame.js");

/** `sesame …` as an operator runs it, on the given environment. */
function sesame(args: readonly string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const tmp = tempDir("sesame-cli-");
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: tmp.dir,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          SESAME_SECRET: TEST_SECRET,
          SESAME_LOG_LEVEL: "silent",
          ...env,
        },
        timeout: 60_000,
      },
      (error, _stdout, stderr) => {
        tmp.remove();
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stderr });
      },
    );
  });
}

const CODE_WRONG = "Ce code n'est pas le bon, ou il a déjà servi.";

function assertFrench4xx(res: LightMyRequestResponse, status: number, text: string, what: string): void {
  assert.equal(res.statusCode, status, `${what}: ${res.statusCode} ${textOf(res.body).slice(0, 300)}`);
  assert.ok(textOf(res.body).includes(text), `${what}: ${textOf(res.body).slice(0, 600)}`);
}

for (const dialect of DIALECTS) {
  describe(`the console's bad input (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    const clock = new FakeClock("2026-12-04T08:00:00.000Z");
    let boss: { account: Account; c: WebClient; secret: string };
    before(async () => {
      ctx = await openTestServices(dialect, {}, { clock });
      services = ctx.services;
      app = await testApp(services);
      boss = await consoleAgent(services, app, "admin", clock);
      await services.console.grant(boss.account.username, "assistance", "cli:role grant");
      await services.console.grant(boss.account.username, "securite", "cli:role grant");
    });
    after(async () => {
      await app.close();
      await ctx.close();
    });

    /** A fresh TOTP code of the boss (the clock moves to the next step). */
    const code = async () => {
      clock.advance(30_000);
      return totp(boss.secret, clock);
    };

    it("refuses a wrong and a replayed TOTP code at the sign-in, in French, with a 400", async () => {
      const agent = await consoleAgent(services, app, "assistance", clock);
      const first = await consoleSignIn(app, agent.account);
      assert.equal(location(first.res), "/console/second-facteur");
      assertFrench4xx(await first.c.post("/console/second-facteur", { code: "000000" }), 400, CODE_WRONG, "wrong");
      assertFrench4xx(
        await first.c.post("/console/second-facteur", { code: "x".repeat(60) }),
        400,
        CODE_WRONG,
        "not digits",
      );
      const good = await totp(agent.secret, clock);
      const ok = await first.c.post("/console/second-facteur", { code: good });
      assert.equal(ok.statusCode, 303);
      assert.equal((await first.c.get("/console")).statusCode, 200);
      // The same code again, in the same 30 seconds, from another browser: refused.
      const second = await consoleSignIn(app, agent.account);
      assertFrench4xx(await second.c.post("/console/second-facteur", { code: good }), 400, CODE_WRONG, "replayed");
      assert.notEqual((await second.c.get("/console")).statusCode, 200, "still not signed in");
      // And at the re-authentication of a sensitive action.
      await boss.c.get("/console/admin");
      const wrongReauth = await boss.c.post("/console/admin/roles", {
        operation: "grant",
        username: agent.account.username,
        role: "securite",
        code: "123456",
      });
      assertFrench4xx(wrongReauth, 400, CODE_WRONG, "wrong re-authentication");
      assert.deepEqual(await services.console.rolesOf(agent.account.id), ["assistance"]);
    });

    it("refuses a role that does not exist: the console's form in French, the CLI in English with a non-zero exit", async () => {
      const someone = await staffWithPassword(services);
      await boss.c.get("/console/admin");
      const res = await boss.c.post("/console/admin/roles", {
        operation: "grant",
        username: someone.username,
        role: "superadmin",
        code: await code(),
      });
      assertFrench4xx(res, 400, "Choisissez un rôle dans la liste.", "unknown role");
      assert.deepEqual(await services.console.rolesOf(someone.id), []);
      await assert.rejects(services.console.grant(someone.username, "superadmin", "test"), {
        code: "VALIDATION_FAILED",
      });

      // The CLI, on the same database.
      const run = await sesame(["role", "grant", someone.username, "superadmin"], {
        SESAME_DATA_DIR: ctx.config.dataDir,
        SESAME_DATABASE_URL: ctx.config.databaseUrl,
      });
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /^sesame: .*role.*superadmin/i);
      assert.doesNotMatch(run.stderr, /[éèàç]|unexpected error/, "English, and an expected error");
      assert.deepEqual(await services.console.rolesOf(someone.id), []);
    });

    it("refuses a temporary password for a departed person with a 409, nothing changed", async () => {
      const row = uniqueStaff();
      await seedStaff(services, [row]);
      const account = await accountOf(services, row);
      await services.directory.setPasswordHash(
        account.id,
        await services.hasher.hash(MAILBOX_PASSWORD),
        "personal",
        null,
      );
      const personId = account.holder.type === "person" ? account.holder.personId : 0;
      await sql`update person set status = 'departed' where id = ${personId}`.execute(services.database.db);
      const url = `/console/assistance/personnes/${personId}`;
      await boss.c.get(url);
      const res = await boss.c.post(`${url}/actions`, {
        action: "temporaire",
        account: String(account.id),
        reason: "Appel du 4/12",
        code: await code(),
      });
      assertFrench4xx(res, 409, "Cette personne a quitté l'académie", "departed");
      assert.equal((await services.directory.credentialsById(account.id))?.account.passwordState, "personal");
      const events = (await services.audit.list({ actorPrefix: "console:" })).filter(
        (e) => e.entityId === String(account.id) && e.action.startsWith("helpdesk.temporary"),
      );
      assert.deepEqual(events, []);
    });

    it("answers a search of 10,000 characters with a French 400, and takes % and _ literally", async () => {
      const long = await boss.c.get(`/console/assistance?q=${"a".repeat(10_000)}`);
      assertFrench4xx(long, 400, "Saisissez au plus 200 caractères.", "10,000 characters");
      const longReports = await boss.c.get(`/console/securite/signalements?domaine=${"a".repeat(1000)}`);
      assertFrench4xx(longReports, 400, "Un domaine ne dépasse pas 253 caractères.", "long domain");

      // Data a wildcard would find: a person, and an audit event of a known actor.
      const tag = randomBytes(3).toString("hex").replace(/\d/g, "q");
      const nom = `Zebulonx${tag}`;
      const person = await staffWithPassword(services, { prenom: "Hortense", nom });
      const found = await boss.c.get(`/console/assistance?q=${encodeURIComponent(nom)}`);
      assert.ok(textOf(found.body).includes(nom), "the name itself is found");
      // Alone, a wildcard would list everyone: nobody is found.
      for (const q of ["%", "_", "%%", "__", "_%", "%_%"]) {
        const res = await boss.c.get(`/console/assistance?q=${encodeURIComponent(q)}`);
        assert.ok(res.statusCode < 500, q);
        assert.ok(!textOf(res.body).includes(nom), `${q} is not a wildcard`);
      }
      // Inside a word, a wildcard would make an exact match; at most a misspelt name's is shown.
      for (const q of [`%lonx${tag}`, `___ulonx${tag}`, `Zebu%onx${tag}`, `Zebul_nx${tag}`]) {
        const text = textOf((await boss.c.get(`/console/assistance?q=${encodeURIComponent(q)}`)).body);
        if (text.includes(nom)) assert.match(text, new RegExp(`${nom}[^(]*\\(nom approchant\\)`), q);
      }
      await services.audit.record({
        actor: `cli:wild${tag}`,
        action: "console.role_granted",
        entity: "account",
        entityId: person.id,
        details: { ip: `203.0.113.${tag.length}` },
      });
      // Every other search box of the console, 10,000 characters: a 4xx or an empty result, in French, never a 5xx.
      const huge = "a".repeat(10_000);
      for (const url of [
        `/console/securite?acteur=${huge}`,
        `/console/securite?compte=${huge}`,
        `/console/securite?ip=${huge}`,
        `/console/securite?action=${huge}`,
        `/console/securite/journal.csv?acteur=${huge}`,
        `/console/securite/signalements?domaine=${huge}`,
        `/console/securite/quarantaine?messageId=${huge}`,
        `/console/securite/quarantaine?expediteur=${huge}`,
      ]) {
        const res = await boss.c.get(url);
        assert.ok(res.statusCode >= 200 && res.statusCode < 500, `${url.slice(0, 60)}: ${res.statusCode}`);
        if (!url.includes(".csv")) assert.ok(/[éèàç]/.test(textOf(res.body)), `${url.slice(0, 60)}: French`);
      }
      const exact = textOf((await boss.c.get(`/console/securite?acteur=cli:wild${tag}`)).body);
      assert.ok(exact.includes(`cli:wild${tag}`), "the actor itself is found");
      for (const acteur of ["%", "_", `cli:wi%${tag}`, `cli:w_ld${tag}`, `%wild${tag}`]) {
        const res = await boss.c.get(`/console/securite?acteur=${encodeURIComponent(acteur)}`);
        assert.equal(res.statusCode, 200, acteur);
        assert.ok(!textOf(res.body).includes(`cli:wild${tag}`), `${acteur} is not a wildcard`);
      }
      // The address filter too: the address itself finds the event, `_` or `%` in its place do not.
      const byIp = textOf((await boss.c.get(`/console/securite?ip=203.0.113.${tag.length}`)).body);
      assert.ok(byIp.includes(`cli:wild${tag}`), "the address itself is found");
      for (const ip of ["%", "_", "203.0.113._", "203.0.113.%", "203.0.11_."]) {
        const res = await boss.c.get(`/console/securite?ip=${encodeURIComponent(ip)}`);
        assert.equal(res.statusCode, 200, ip);
        assert.ok(!textOf(res.body).includes(`cli:wild${tag}`), `${ip} is not a wildcard`);
      }
    });

    it("refuses every console POST without its CSRF token, and does nothing", async () => {
      const row = uniqueStaff();
      await seedStaff(services, [row]);
      const caller = await accountOf(services, row);
      const personId = caller.holder.type === "person" ? caller.holder.personId : 0;
      const someone = await staffWithPassword(services);
      // A console user between the password and the enrolment, another between the password and the code.
      const newcomer = await staffWithPassword(services);
      await services.console.grant(newcomer.username, "assistance", "cli:role grant");
      const enrolling = await consoleSignIn(app, newcomer);
      await enrolling.c.get("/console/enrolement");
      const enrolled = await consoleAgent(services, app, "assistance", clock);
      const pending = await consoleSignIn(app, enrolled.account);
      const signingIn = new WebClient(app, nextMailboxIp());
      await signingIn.get("/console/connexion");
      await boss.c.get("/console/admin");

      const before = (await services.audit.list({ limit: 100_000 })).length;
      const posts: [WebClient, string, Record<string, string>][] = [
        [signingIn, "/console/connexion", { username: someone.username, password: MAILBOX_PASSWORD }],
        [enrolling.c, "/console/enrolement", { code: "000000" }],
        [pending.c, "/console/second-facteur", { code: await totp(enrolled.secret, clock) }],
        [enrolling.c, "/console/enrolement/cle", { name: "Clé", credential: "{}" }],
        [pending.c, "/console/second-facteur/cle", { credential: "{}" }],
        [boss.c, "/console/cles/options", { purpose: "reauth" }],
        [boss.c, "/console/cles", { name: "Clé", code: "", credential: "{}" }],
        [boss.c, "/console/cles/1/retirer", { code: "" }],
        [boss.c, "/console/cles/confirmation", { credential: "{}" }],
        [boss.c, "/console/admin/roles", { operation: "grant", username: someone.username, role: "admin", code: "" }],
        [boss.c, "/console/admin/import/abc/appliquer", { force: "1" }],
        [boss.c, "/console/admin/import/abc/abandonner", {}],
        [boss.c, "/console/admin/file-envoi/1/reessayer", {}],
        [boss.c, "/console/admin/file-envoi/1/annuler", {}],
        [boss.c, `/console/assistance/personnes/${personId}/verifier`, { what: "numen", numen: "12345678AB" }],
        [
          boss.c,
          `/console/assistance/personnes/${personId}/actions`,
          { action: "desactiver", account: String(caller.id), reason: "Essai", code: "" },
        ],
        [
          boss.c,
          "/console/securite/quarantaine",
          { operation: "quarantaine", messageId: "<x@exemple.org>", reason: "Essai", code: "", report: "" },
        ],
        [boss.c, "/console/deconnexion", {}],
      ];
      for (const [client, url, form] of posts) {
        const payload = new URLSearchParams(form).toString();
        const res = await client.send({
          method: "POST",
          url,
          payload,
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        assertFrench4xx(res, 403, "Ce formulaire a expiré", url);
        // A token of another form (another session's) is refused too.
        const foreign = await client.send({
          method: "POST",
          url,
          payload: new URLSearchParams({ ...form, _csrf: enrolled.c.csrf }).toString(),
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        assert.equal(foreign.statusCode, 403, `${url} with another session's token`);
      }
      const multipart = await boss.c.send({
        method: "POST",
        url: "/console/admin/import",
        payload: '--b\r\nContent-Disposition: form-data; name="kind"\r\n\r\nstaff\r\n--b--\r\n',
        headers: { "content-type": "multipart/form-data; boundary=b" },
      });
      assert.equal(multipart.statusCode, 403);

      assert.equal((await services.audit.list({ limit: 100_000 })).length, before, "nothing audited: nothing done");
      assert.deepEqual(await services.console.rolesOf(someone.id), []);
      assert.equal((await services.directory.getAccountById(caller.id)).disabled, false);
      assert.equal((await boss.c.get("/console/admin")).statusCode, 200, "still signed in");
      assert.ok((await enrolling.c.get("/console/enrolement")).body.includes("totp-secret"), "not enrolled");
      assert.notEqual((await enrolling.c.get("/console")).statusCode, 200, "not signed in");
      assert.notEqual((await pending.c.get("/console")).statusCode, 200, "not signed in");
      assert.equal((await signingIn.get("/console")).statusCode, 404, "no session");
    });

    it("draws a dashboard chart (ECharts loaded at the first one) and 404s an unknown one", async () => {
      const res = await boss.c.get("/console/admin/graphiques/connexions.svg?periode=24h&theme=sombre");
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers["content-type"]), /^image\/svg\+xml/);
      assert.match(res.body, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg /);
      assert.equal((await boss.c.get("/console/admin/graphiques/inconnu.svg?periode=24h")).statusCode, 404);
    });

    it("answers 404 with a French page for unknown ids on every console detail page", async () => {
      for (const url of [
        "/console/assistance/personnes/999999999",
        "/console/assistance/personnes/abc",
        "/console/assistance/personnes/0",
        `/console/assistance/personnes/${"9".repeat(19)}`,
        "/console/admin/import/inconnu",
        "/console/admin/import/inconnu/etat",
        "/console/admin/graphiques/inconnu.svg",
        "/console/securite/signalements/999999999",
        "/console/securite/signalements/abc",
        "/console/cles/999999999/retirer",
        "/console/cles/abc/retirer",
        "/console/inconnu",
      ]) {
        const res = await boss.c.get(url);
        assert.equal(res.statusCode, 404, url);
        if (!url.endsWith("/etat")) assert.ok(/introuvable|n'existe/i.test(textOf(res.body)), `${url}: French`);
      }
      // Actions on unknown ids: a 4xx, nothing done.
      await boss.c.get("/console/admin/file-envoi");
      const gone = await boss.c.post("/console/admin/file-envoi/999999999/annuler", {});
      assert.ok(gone.statusCode >= 400 && gone.statusCode < 500, `${gone.statusCode}`);
      await boss.c.get("/console/admin");
      const nobody = await boss.c.post("/console/assistance/personnes/999999999/actions", {
        action: "sessions",
        account: "1",
        reason: "Essai",
        code: "",
      });
      assert.equal(nobody.statusCode, 404);
      const noReport = await boss.c.post("/console/securite/quarantaine", {
        operation: "quarantaine",
        messageId: "",
        reason: "Essai",
        code: "",
        report: "999999999",
      });
      assert.equal(noReport.statusCode, 404);
    });
  });
}
