/**
 * Security keys (WebAuthn) as the console's second factor, through app.inject on SQLite and
 * PostgreSQL, with a software authenticator (test/helpers/soft-authenticator.ts): the enrolment
 * with a key instead of TOTP (recovery codes too), a key added from « Clés de sécurité » with the
 * second factor typed again, the sign-in's key, a sensitive action confirmed with a key; challenges
 * single-use and bound to the session; a wrong origin or RP ID, a replayed assertion, a counter gone
 * back refused, failures throttled with the TOTP codes'; removal asks the second factor again and
 * keeps the last one; every step in the audit trail.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { FakeClock } from "../../src/shared/clock.js";
import { consoleAgent, consoleSignIn, location, recoveryCodesOf, totp } from "../helpers/console.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { staffWithPassword, testApp, textOf, type WebClient } from "../helpers/web.js";

interface Options {
  readonly challenge: string;
  readonly rp?: { readonly id: string; readonly name: string };
  readonly allowCredentials?: readonly { readonly id: string }[];
  readonly excludeCredentials?: readonly { readonly id: string }[];
}

for (const dialect of DIALECTS) {
  describe(`the console's security keys (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    let origin: string;
    let rpId: string;
    const clock = new FakeClock("2026-12-05T08:00:00.000Z");
    before(async () => {
      ctx = await openTestServices(dialect, {}, { clock });
      services = ctx.services;
      app = await testApp(services);
      const url = new URL(services.config.publicUrl);
      origin = url.origin;
      rpId = url.hostname;
    });
    after(async () => {
      await app.close();
      await ctx.close();
    });

    const options = async (c: WebClient, purpose: string): Promise<Options> => {
      const res = await c.post("/console/cles/options", { purpose });
      assert.equal(res.statusCode, 200, res.body);
      return JSON.parse(res.body) as Options;
    };

    const actions = async (account: Account) =>
      (
        await services.audit.forEntity(
          "account",
          account.id,
          [
            "console.webauthn_registered",
            "console.webauthn_removed",
            "console.webauthn_counter_rejected",
            "console.second_factor_succeeded",
            "console.second_factor_failed",
            "console.second_factor_throttled",
            "console.reauthenticated",
          ],
          50,
        )
      ).reverse();

    /** An account enrolled with a key (no TOTP), signed in by the enrolment; its key. */
    const keyOnlyAgent = async () => {
      const account = await staffWithPassword(services);
      await services.console.grant(account.username, "assistance", "cli:role grant");
      const { c, res } = await consoleSignIn(app, account);
      assert.equal(location(res), "/console/enrolement");
      const key = new SoftAuthenticator(origin, rpId);
      const opts = await options(c, "register");
      const done = await c.post("/console/enrolement/cle", { name: "Clé bleue", credential: key.register(opts) });
      assert.equal(done.statusCode, 200, textOf(done.body));
      return { account, c, key, codes: recoveryCodesOf(done.body) };
    };

    it("enrolment with a key instead of TOTP, then the sign-in with the key; assertions single-use", async () => {
      const account = await staffWithPassword(services);
      await services.console.grant(account.username, "assistance", "cli:role grant");
      const { c } = await consoleSignIn(app, account);
      const page = await c.get("/console/enrolement");
      assert.ok(textOf(page.body).includes("Activer avec une clé de sécurité"));
      assert.ok(textOf(page.body).includes("Les clés de sécurité demandent JavaScript"));
      // No challenge for a sign-in before anything is enrolled.
      assert.equal((await c.post("/console/cles/options", { purpose: "sign-in" })).statusCode, 404);
      const opts = await options(c, "register");
      assert.equal(opts.rp?.id, rpId, "the RP ID is the public URL's host");
      const key = new SoftAuthenticator(origin, rpId);
      // A name is needed; the challenge stays for the next try.
      const unnamed = await c.post("/console/enrolement/cle", { name: " ", credential: key.register(opts) });
      assert.equal(unnamed.statusCode, 400);
      const done = await c.post("/console/enrolement/cle", { name: "Clé bleue", credential: key.register(opts) });
      assert.equal(done.statusCode, 200, textOf(done.body));
      assert.equal(recoveryCodesOf(done.body).length, 10, "recovery codes, as with TOTP");
      assert.equal(await services.console.enrolled(account.id), true);
      const list = await c.get("/console/cles");
      assert.equal(list.statusCode, 200);
      assert.ok(textOf(list.body).includes("Clé bleue"));
      assert.ok(textOf(list.body).includes("jamais"), "never used yet");

      // The sign-in: password, then the key.
      const s1 = await consoleSignIn(app, account);
      assert.equal(location(s1.res), "/console/second-facteur");
      const second = await s1.c.get("/console/second-facteur");
      assert.ok(textOf(second.body).includes("Utiliser une clé de sécurité"));
      assert.ok(textOf(second.body).includes("si vous n'avez qu'une clé de sécurité, activez JavaScript"));
      const ask = await options(s1.c, "sign-in");
      assert.deepEqual(
        ask.allowCredentials?.map((x) => x.id),
        [key.id],
      );
      const assertion = key.assert(ask);
      const ok = await s1.c.post("/console/second-facteur/cle", { credential: assertion });
      assert.equal(location(ok), "/console");
      assert.equal((await s1.c.get("/console")).statusCode, 200);
      assert.ok(!textOf((await s1.c.get("/console/cles")).body).includes("jamais"), "last use shown");

      // The same assertion again, in another sign-in with its own challenge: refused.
      const s2 = await consoleSignIn(app, account);
      await options(s2.c, "sign-in");
      const replay = await s2.c.post("/console/second-facteur/cle", { credential: assertion });
      assert.equal(replay.statusCode, 400);
      assert.ok(textOf(replay.body).includes("La clé de sécurité n'a pas été reconnue"));
      // The challenge was used up by the refused try: a good assertion of it is refused too.
      const stale = await s2.c.post("/console/second-facteur/cle", { credential: key.assert({ challenge: "x" }) });
      assert.equal(stale.statusCode, 400);
      // A challenge is bound to its session: another waiting session cannot use s2's.
      const s3 = await consoleSignIn(app, account);
      const theirs = await options(s2.c, "sign-in");
      assert.equal(
        (await s3.c.post("/console/second-facteur/cle", { credential: key.assert(theirs) })).statusCode,
        400,
      );
      const mine = await options(s3.c, "sign-in");
      assert.equal(
        location(await s3.c.post("/console/second-facteur/cle", { credential: key.assert(mine) })),
        "/console",
      );

      const trail = await actions(account);
      const registered = trail.find((e) => e.action === "console.webauthn_registered");
      assert.equal(registered?.details.name, "Clé bleue");
      assert.equal(registered?.details.at, "enrolment");
      assert.ok(trail.some((e) => e.action === "console.second_factor_succeeded" && e.details.method === "webauthn"));
      const reasons = trail
        .filter((e) => e.action === "console.second_factor_failed")
        .map((e) => e.details.reason)
        .sort();
      assert.deepEqual(reasons, ["no-challenge", "no-challenge", "not-verified"]);
      // Nothing of the key's secret in the database: only its public key.
      const row = await services.database.db
        .selectFrom("console_webauthn_credential")
        .selectAll()
        .where("account_id", "=", account.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.credential_id, key.id);
      assert.equal(row.transports, "usb");
      assert.equal(Number(row.sign_count), key.counter);
    });

    it("a wrong origin or RP ID, a counter gone back: refused and audited; failures throttled with the codes'", async () => {
      const { account, key } = await keyOnlyAgent();
      const phisher = new SoftAuthenticator("https://sesame.example.org.evil.test", rpId);
      Object.assign(phisher, { credentialId: key.credentialId });
      const s1 = await consoleSignIn(app, account);
      const wrongOrigin = await s1.c.post("/console/second-facteur/cle", {
        credential: phisher.assert(await options(s1.c, "sign-in")),
      });
      assert.equal(wrongOrigin.statusCode, 400);
      const otherRp = new SoftAuthenticator(origin, "evil.test");
      Object.assign(otherRp, { credentialId: key.credentialId });
      assert.equal(
        (await s1.c.post("/console/second-facteur/cle", { credential: otherRp.assert(await options(s1.c, "sign-in")) }))
          .statusCode,
        400,
      );
      // The counter: 10, then 5 (a cloned key): refused, and told apart in the trail.
      const ok = await s1.c.post("/console/second-facteur/cle", {
        credential: key.assert(await options(s1.c, "sign-in"), 10),
      });
      assert.equal(location(ok), "/console");
      const s2 = await consoleSignIn(app, account);
      const back = await s2.c.post("/console/second-facteur/cle", {
        credential: key.assert(await options(s2.c, "sign-in"), 5),
      });
      assert.equal(back.statusCode, 400);
      const same = await s2.c.post("/console/second-facteur/cle", {
        credential: key.assert(await options(s2.c, "sign-in"), 10),
      });
      assert.equal(same.statusCode, 400, "the same counter again is refused too");
      const trail = await actions(account);
      const rejected = trail.filter((e) => e.action === "console.webauthn_counter_rejected");
      assert.deepEqual(
        rejected.map((e) => [e.details.stored, e.details.received]),
        [
          [10, 5],
          [10, 10],
        ],
      );
      // Failures count with the wrong codes: throttled after five, even for a good key then.
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await s2.c.post("/console/second-facteur", { code: "123456" })).statusCode);
      }
      assert.deepEqual(statuses, [400, 400, 400, 429]);
      const good = await s2.c.post("/console/second-facteur/cle", {
        credential: key.assert(await options(s2.c, "sign-in"), 20),
      });
      assert.equal(good.statusCode, 429);
      assert.ok(textOf(good.body).includes("Trop d'essais"));
      assert.ok((await actions(account)).some((e) => e.action === "console.second_factor_throttled"));
    });

    it("a key added from the console with the code again; a sensitive action confirmed with a key; removal", async () => {
      const { account, c, secret } = await consoleAgent(services, app, "admin", clock);
      const page = await c.get("/console/cles");
      assert.ok(textOf(page.body).includes("Vous n'avez enregistré aucune clé de sécurité"));
      const key = new SoftAuthenticator(origin, rpId);
      // Adding a key asks for the second factor again.
      const noCode = await c.post("/console/cles", {
        name: "Clé USB",
        credential: key.register(await options(c, "register")),
      });
      assert.equal(noCode.statusCode, 400);
      assert.ok(textOf(noCode.body).includes("Saisissez le code"));
      const added = await c.post("/console/cles", {
        name: "Clé USB",
        code: await totp(secret, clock),
        credential: key.register(await options(c, "register")),
      });
      assert.equal(location(added), `/console/cles?fait=ajoutee&nom=Cl%C3%A9+USB`);
      assert.ok(textOf((await c.get(location(added))).body).includes("La clé « Clé USB » est ajoutée."));
      // The same key twice: refused (the browser is told to exclude it).
      const twice = await c.post("/console/cles", {
        name: "Encore",
        credential: key.register(await options(c, "register")),
      });
      assert.equal(twice.statusCode, 400);

      // A new session, more than 5 minutes on: the admin's role form asks again, and a key answers.
      clock.advance(31_000);
      const s = await consoleSignIn(app, account);
      assert.equal(
        location(await s.c.post("/console/second-facteur", { code: await totp(secret, clock) })),
        "/console",
      );
      const admin = await s.c.get("/console/admin");
      assert.ok(textOf(admin.body).includes("Ou confirmez avec votre clé de sécurité"));
      const other = await staffWithPassword(services);
      // A confirmation's challenge is not a sign-in's.
      assert.equal((await s.c.post("/console/cles/options", { purpose: "sign-in" })).statusCode, 404);
      const confirmed = await s.c.post("/console/cles/confirmation", {
        credential: key.assert(await options(s.c, "reauth")),
      });
      assert.equal(confirmed.statusCode, 200, confirmed.body);
      const grant = await s.c.post("/console/admin/roles", {
        operation: "grant",
        username: other.username,
        role: "assistance",
        code: "",
      });
      assert.equal(grant.statusCode, 303, textOf(grant.body));
      assert.deepEqual(await services.console.rolesOf(other.id), ["assistance"]);

      // Removal: its own page; within the 5 minutes no code; audited.
      const [stored] = await services.console.securityKeys(account.id);
      assert.ok(stored);
      const confirm = await s.c.get(`/console/cles/${stored.id}/retirer`);
      assert.equal(confirm.statusCode, 200);
      assert.equal((await s.c.get("/console/cles/999999/retirer")).statusCode, 404);
      assert.equal((await s.c.get("/console/cles/abc/retirer")).statusCode, 404);
      const removed = await s.c.post(`/console/cles/${stored.id}/retirer`, {});
      assert.equal(location(removed), "/console/cles?fait=retiree&nom=Cl%C3%A9+USB");
      assert.deepEqual(await services.console.securityKeys(account.id), []);
      const trail = await actions(account);
      assert.ok(trail.some((e) => e.action === "console.reauthenticated" && e.details.method === "webauthn"));
      const gone = trail.find((e) => e.action === "console.webauthn_removed");
      assert.equal(gone?.actor, `console:${account.username}`);
      assert.equal(gone?.details.name, "Clé USB");
    });

    it("the last second factor cannot be removed; removal asks the second factor after 5 minutes", async () => {
      const { account, c, key } = await keyOnlyAgent();
      const [only] = await services.console.securityKeys(account.id);
      assert.ok(only);
      // Signed in by the enrolment: not re-authenticated, so the key (or a code) is asked for.
      const asked = await c.post(`/console/cles/${only.id}/retirer`, {});
      assert.equal(asked.statusCode, 400);
      const confirmed = await c.post("/console/cles/confirmation", {
        credential: key.assert(await options(c, "reauth")),
      });
      assert.equal(confirmed.statusCode, 200);
      const last = await c.post(`/console/cles/${only.id}/retirer`, {});
      assert.equal(last.statusCode, 409);
      assert.ok(textOf(last.body).includes("C'est votre seul moyen de double authentification"));
      // A second key, added within the 5 minutes, makes the first removable.
      const spare = new SoftAuthenticator(origin, rpId);
      const added = await c.post("/console/cles", {
        name: "Secours",
        credential: spare.register(await options(c, "register")),
      });
      assert.equal(added.statusCode, 303, textOf(added.body));
      assert.equal(
        location(await c.post(`/console/cles/${only.id}/retirer`, {})),
        "/console/cles?fait=retiree&nom=Cl%C3%A9+bleue",
      );
      // 5 minutes on, the removal asks again.
      clock.advance(5 * 60_000 + 1_000);
      const [left] = await services.console.securityKeys(account.id);
      assert.ok(left);
      assert.equal((await c.post(`/console/cles/${left.id}/retirer`, {})).statusCode, 400);
      // Someone else's key is not found.
      const stranger = await keyOnlyAgent();
      assert.equal((await stranger.c.post(`/console/cles/${left.id}/retirer`, {})).statusCode, 404);
    });

    it("bad input: a credential that is not one, too long, or a wrong purpose: 4xx, nothing stored", async () => {
      const account = await staffWithPassword(services);
      await services.console.grant(account.username, "assistance", "cli:role grant");
      const { c } = await consoleSignIn(app, account);
      await options(c, "register");
      for (const credential of ["", "{", "[]", JSON.stringify({ id: "a", type: "public-key" })]) {
        const res = await c.post("/console/enrolement/cle", { name: "x", credential });
        assert.equal(res.statusCode, 400, credential);
      }
      assert.equal(
        (await c.post("/console/enrolement/cle", { name: "x", credential: "a".repeat(20_000) })).statusCode,
        400,
      );
      assert.equal((await c.post("/console/cles/options", { purpose: "autre" })).statusCode, 400);
      assert.equal(await services.console.enrolled(account.id), false);
      // Without a console session, the keys' URLs do not exist.
      const { c: nobody } = await consoleSignIn(app, await staffWithPassword(services));
      assert.equal((await nobody.post("/console/cles/options", { purpose: "register" })).statusCode, 404);
    });
  });
}
