/**
 * The console's door through app.inject, on SQLite and PostgreSQL: roles granted to academic
 * accounts only; a sign-in without a role refused like a wrong password; the TOTP enrolment (the
 * test computes the codes from the secret the page shows), the recovery codes shown once, a code
 * never accepted twice, wrong codes throttled; the console's own cookie and 15 minutes idle; 404
 * for whoever has no console session or lacks the area's role; the audit trail.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { FakeClock } from "../../src/shared/clock.js";
import { consoleAgent, consoleSignIn, location, recoveryCodesOf, secretOf, totp } from "../helpers/console.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { MAILBOX_PASSWORD, nextMailboxIp, staffWithPassword, testApp, textOf, WebClient } from "../helpers/web.js";

for (const dialect of DIALECTS) {
  describe(`the console's door (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    const clock = new FakeClock("2026-12-04T08:00:00.000Z");
    before(async () => {
      ctx = await openTestServices(dialect, {}, { clock });
      services = ctx.services;
      app = await testApp(services);
    });
    after(async () => {
      await app.close();
      await ctx.close();
    });

    const signIn = (account: Account) => consoleSignIn(app, account);
    const code = (secret: string) => totp(secret, clock);
    const enrolledAgent = (role: string) => consoleAgent(services, app, role, clock);

    it("roles: academic accounts only, known roles only, granted and revoked with an audit entry", async () => {
      const account = await staffWithPassword(services);
      assert.equal((await services.console.grant(account.username, "assistance", "cli:role grant")).changed, true);
      assert.equal((await services.console.grant(account.username, "assistance", "cli:role grant")).changed, false);
      await assert.rejects(services.console.grant(account.username, "superviseur", "cli"), {
        code: "VALIDATION_FAILED",
      });
      await assert.rejects(services.console.grant("personne.inconnue", "admin", "cli"), { code: "NOT_FOUND" });
      const external = await services.directory.createExternal(
        { nom: "Externe", prenom: "Paul", recoveryEmail: `paul.${Date.now()}@exemple.org` },
        "test",
      );
      await assert.rejects(services.console.grant(external.username, "admin", "cli"), { code: "VALIDATION_FAILED" });
      const held = await services.console.listRoles();
      assert.ok(held.some((h) => h.username === account.username && h.role === "assistance"));
      assert.equal((await services.console.revoke(account.username, "assistance", "cli:role revoke")).changed, true);
      assert.deepEqual(await services.console.rolesOf(account.id), []);
      const trail = await services.audit.forEntity("account", account.id, [
        "console.role_granted",
        "console.role_revoked",
      ]);
      assert.deepEqual(
        trail.map((e) => e.action),
        ["console.role_revoked", "console.role_granted"],
      );
    });

    it("without a role: refused like a wrong password; the console's pages answer 404", async () => {
      const account = await staffWithPassword(services);
      const { c, res } = await signIn(account);
      assert.equal(res.statusCode, 401);
      const wrong = await c.post("/console/connexion", { username: account.username, password: "pas le bon" });
      assert.equal(wrong.statusCode, 401);
      const said = (r: LightMyRequestResponse) =>
        /<div class="notice notice--error"[^>]*>([\s\S]*?)<\/div>/.exec(r.body)?.[1];
      assert.equal(said(res), said(wrong), "no role and a wrong password read the same");
      assert.ok(textOf(res.body).includes("Nom d'utilisateur ou mot de passe incorrect"));
      // Signed in to the webmail, or not at all: /console does not exist.
      const webmail = new WebClient(app, nextMailboxIp());
      await webmail.login(account.username, MAILBOX_PASSWORD);
      for (const url of ["/console", "/console/assistance", "/console/admin", "/console/securite", "/console/x"]) {
        assert.equal((await webmail.get(url)).statusCode, 404, url);
        assert.equal((await new WebClient(app, nextMailboxIp()).get(url)).statusCode, 404, url);
      }
    });

    it("enrolment: QR code and key, a wrong code refused, then 10 recovery codes shown once and the console", async () => {
      const account = await staffWithPassword(services);
      await services.console.grant(account.username, "assistance", "cli:role grant");
      const { c, res } = await signIn(account);
      assert.equal(location(res), "/console/enrolement");
      // The console's own cookie; the webmail's is not set.
      const cookies = res.cookies.map((k) => k.name);
      assert.ok(cookies.includes("sesame-console"));
      assert.ok(!cookies.includes("sesame"));
      // Half signed in: the console itself is still out of reach.
      assert.equal((await c.get("/console")).statusCode, 303);
      const page = await c.get("/console/enrolement");
      assert.match(page.body, /<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="Code QR/);
      const secret = secretOf(page.body);
      // The same secret until the enrolment is finished (a reload does not change the QR code).
      assert.equal(secretOf((await c.get("/console/enrolement")).body), secret);
      const wrong = await c.post("/console/enrolement", { code: "000000" });
      assert.equal(wrong.statusCode, 400);
      assert.ok(textOf(wrong.body).includes("Ce code n'est pas le bon"));
      const done = await c.post("/console/enrolement", { code: await code(secret) });
      assert.equal(done.statusCode, 200);
      const codes = recoveryCodesOf(done.body);
      assert.equal(codes.length, 10);
      assert.equal(new Set(codes).size, 10);
      // The session token changed at the second factor (no fixation of the half-signed one).
      assert.notEqual(
        done.cookies.find((k) => k.name === "sesame-console")?.value,
        res.cookies.find((k) => k.name === "sesame-console")?.value,
      );
      const home = await c.get("/console");
      assert.equal(home.statusCode, 200);
      assert.ok(textOf(home.body).includes("Assistance aux personnels"));
      assert.ok(!textOf(home.body).includes("Administration"), "only the areas of the person's roles");
      // Once enrolled, the enrolment page is gone (a new device is an administrator's reset).
      const again = await signIn(account);
      assert.equal(location(again.res), "/console/second-facteur");
      assert.equal(location(await again.c.get("/console/enrolement")), "/console/second-facteur");
      // Nothing of the secret or the codes in the database in clear.
      const row = await services.database.db
        .selectFrom("console_totp")
        .selectAll()
        .where("account_id", "=", account.id)
        .executeTakeFirstOrThrow();
      assert.ok(!row.secret_sealed.includes(secret));
      const hashes = await services.database.db
        .selectFrom("console_recovery_code")
        .select("code_hash")
        .where("account_id", "=", account.id)
        .execute();
      assert.equal(hashes.length, 10);
      assert.ok(hashes.every((h) => !codes.some((k) => h.code_hash.includes(k.replace("-", "")))));
    });

    it("the second factor: a code never twice, wrong codes throttled, 15 minutes idle", async () => {
      const { account, secret } = await enrolledAgent("admin");
      // A code of this step: accepted once.
      const first = await signIn(account);
      const now = await code(secret);
      const ok = await first.c.post("/console/second-facteur", { code: now });
      assert.equal(location(ok), "/console");
      assert.equal((await first.c.get("/console")).statusCode, 200);
      const replay = await signIn(account);
      const refused = await replay.c.post("/console/second-facteur", { code: now });
      assert.equal(refused.statusCode, 400, "the same code is refused the second time");
      // 15 minutes without a request: the console session ends, and the browser is sent to the sign-in.
      clock.advance(15 * 60_000 + 1_000);
      assert.equal(location(await first.c.get("/console")), "/console/connexion");
      // Wrong codes (the replay above was one): throttled after the five free ones, even for the right code then.
      const attacker = await signIn(account);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push((await attacker.c.post("/console/second-facteur", { code: "123456" })).statusCode);
      }
      assert.deepEqual(statuses, [400, 400, 400, 400, 429, 429]);
      const throttled = await attacker.c.post("/console/second-facteur", { code: "123456" });
      assert.equal(throttled.statusCode, 429);
      assert.ok(throttled.headers["retry-after"]);
      assert.ok(textOf(throttled.body).includes("Trop d'essais"));
      clock.advance(30_000);
      assert.equal((await attacker.c.post("/console/second-facteur", { code: await code(secret) })).statusCode, 429);
      const actions = (
        await services.audit.forEntity("account", account.id, [
          "console.second_factor_failed",
          "console.second_factor_throttled",
          "console.second_factor_succeeded",
        ])
      ).map((e) => e.action);
      assert.ok(actions.includes("console.second_factor_failed"));
      assert.ok(actions.includes("console.second_factor_throttled"));
      assert.ok(actions.includes("console.second_factor_succeeded"));
    });

    it("recovery codes: each signs in once; the console says how many are left", async () => {
      const account = await staffWithPassword(services);
      await services.console.grant(account.username, "assistance", "cli:role grant");
      const { c } = await signIn(account);
      const secret = secretOf((await c.get("/console/enrolement")).body);
      const codes = recoveryCodesOf((await c.post("/console/enrolement", { code: await code(secret) })).body);
      const one = codes[3] ?? "";
      const s1 = await signIn(account);
      const used = await s1.c.post("/console/second-facteur", { code: ` ${one.toUpperCase()} ` });
      assert.equal(location(used), "/console?codes-restants=9");
      assert.ok(textOf((await s1.c.get("/console?codes-restants=9")).body).includes("il vous en reste 9"));
      const s2 = await signIn(account);
      assert.equal((await s2.c.post("/console/second-facteur", { code: one })).statusCode, 400);
    });

    it("roles guard the areas: a helpdesk agent cannot open the administration; sign-out ends the session", async () => {
      const { c } = await enrolledAgent("assistance");
      // (enrolledAgent left the client signed in through the enrolment.)
      assert.equal((await c.get("/console")).statusCode, 200);
      assert.equal((await c.get("/console/admin")).statusCode, 404);
      assert.equal((await c.get("/console/securite")).statusCode, 404);
      const out = await c.post("/console/deconnexion", {});
      assert.equal(location(out), "/console/connexion?deconnecte");
      assert.equal((await c.get("/console")).statusCode, 404);
    });

    it("bad input: a code of 10,000 characters, a CSRF-less post, an empty field: 4xx, nothing changed", async () => {
      const account = await staffWithPassword(services);
      await services.console.grant(account.username, "admin", "cli:role grant");
      const { c } = await signIn(account);
      assert.equal((await c.post("/console/enrolement", { code: "9".repeat(10_000) })).statusCode, 400);
      assert.equal((await c.post("/console/enrolement", { code: "" })).statusCode, 400);
      const forged = await c.post("/console/enrolement", { code: "123456", _csrf: "x" });
      assert.equal(forged.statusCode, 403);
      assert.equal(await services.console.enrolled(account.id), false);
    });
  });
}
