/**
 * CSRF tokens bound to the session: a CSRF cookie and token pair taken in another
 * browser (an attacker's, signed in or not) is refused with the victim's session cookie, on the
 * webmail and on the Assistance's account page; the victim's own pair is accepted; `Origin: null`
 * is refused on state-changing requests. Asserts the page (the French "Formulaire expiré" 403) and
 * that nothing changed in the database. On both dialects.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { FakeClock } from "../../src/shared/clock.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import {
  MAILBOX_PASSWORD,
  nextMailboxIp,
  signedInClient,
  staffWithPassword,
  testApp,
  textOf,
  WebClient,
} from "../helpers/web.js";

const REFUSED = "Ce formulaire a expiré ou n'a pas été envoyé depuis cette page.";
const SESSION = "sesame";
const ASSISTANCE = "sesame-assistance";
const CSRF = "sesame-csrf";

function assertCsrfRefused(res: LightMyRequestResponse, what: string): void {
  assert.equal(res.statusCode, 403, `${what}: status (${textOf(res.body).slice(0, 160)})`);
  assert.match(String(res.headers["content-type"]), /^text\/html/, `${what}: an HTML page`);
  assert.match(res.body, /<html lang="fr"/, `${what}: French`);
  assert.ok(textOf(res.body).includes(REFUSED), `${what}: "${REFUSED}" in ${textOf(res.body).slice(0, 300)}`);
}

function cookie(c: WebClient, name: string): string {
  const value = c.cookies.get(name);
  assert.ok(value, `the browser holds the ${name} cookie`);
  return value;
}

/** Posts a form from the victim's browser after an attacker planted their own CSRF cookie in it. */
type PlantedPost = (
  url: string,
  form: Record<string, string>,
  options?: { tokenInHeader?: boolean },
) => Promise<LightMyRequestResponse>;

/**
 * The victim's browser after an attacker planted their own CSRF cookie in it: each request carries
 * the victim's session cookie (`sessionCookie`), the attacker's CSRF cookie, and the attacker's token
 * (the attacker cannot read the victim's pages, so the token is never taken from a reply).
 */
function plantedBrowser(
  app: FastifyInstance,
  victim: WebClient,
  attacker: WebClient,
  sessionCookie: string,
): PlantedPost {
  assert.notEqual(cookie(attacker, CSRF), cookie(victim, CSRF), "two browsers, two CSRF cookies");
  return (url, form, options = {}) => {
    const c = new WebClient(app, victim.ip);
    c.cookies.set(sessionCookie, cookie(victim, sessionCookie));
    c.cookies.set(CSRF, cookie(attacker, CSRF));
    if (!options.tokenInHeader) {
      c.csrf = attacker.csrf;
      return c.post(url, form);
    }
    // The page script's way: the token in a header, none in the body.
    return c.send({
      method: "POST",
      url,
      payload: new URLSearchParams(form).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", "x-csrf-token": attacker.csrf },
    });
  };
}

async function sessionsOf(services: Services, accountId: number): Promise<string[]> {
  const rows = await services.database.db
    .selectFrom("session")
    .select("id_hash")
    .where("account_id", "=", accountId)
    .execute();
  return rows.map((r) => r.id_hash).sort();
}

async function folderNames(services: Services, accountId: number): Promise<string[]> {
  return (await services.mail.folders(accountId)).map((f) => f.name);
}

/** Signs in on the Assistance's "Connexion" and opens the account page. */
async function accountPageClient(app: FastifyInstance, account: Account): Promise<WebClient> {
  const c = new WebClient(app, nextMailboxIp());
  await c.get("/assistance/connexion");
  const res = await c.post("/assistance/connexion", { username: account.username, password: MAILBOX_PASSWORD });
  assert.equal(res.headers.location, "/assistance/mon-compte", `account page sign-in: ${res.statusCode}`);
  assert.equal((await c.get("/assistance/mon-compte")).statusCode, 200);
  return c;
}

for (const dialect of DIALECTS) {
  describe(`CSRF tokens bound to the session (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let clock: FakeClock;
    before(async () => {
      clock = new FakeClock();
      ctx = await openTestServices(dialect, {}, { clock });
      app = await testApp(ctx.services);
    });
    after(async () => {
      await app.close();
      await ctx.close();
    });

    it("a signed-in attacker's cookie and token pair is refused with the victim's session", async () => {
      const { services } = ctx;
      const { account: victimAccount, c: victim } = await signedInClient(services, app);
      const { c: attacker } = await signedInClient(services, app);
      await victim.get("/mail/dossiers");
      await attacker.get("/mail/dossiers");
      const sessionsBefore = await sessionsOf(services, victimAccount.id);
      const foldersBefore = await folderNames(services, victimAccount.id);

      const planted = plantedBrowser(app, victim, attacker, SESSION);
      assertCsrfRefused(await planted("/mail/dossiers", { nom: "Piège" }), "create a folder");
      assertCsrfRefused(await planted("/deconnexion", {}), "sign out");
      // The page script's way (the token in a header) gets its 403 as JSON.
      const scripted = await planted("/mail/dossiers", { nom: "Piège" }, { tokenInHeader: true });
      assert.equal(scripted.statusCode, 403, "create a folder, token in a header");

      assert.deepEqual(await folderNames(services, victimAccount.id), foldersBefore, "no folder created");
      assert.deepEqual(await sessionsOf(services, victimAccount.id), sessionsBefore, "the session is still open");
      assert.equal((await victim.get("/mail")).statusCode, 200, "the victim is still signed in");
    });

    it("an anonymous browser's pair (from the login page) is refused with the victim's session", async () => {
      const { services } = ctx;
      const { account: victimAccount, c: victim } = await signedInClient(services, app);
      const attacker = new WebClient(app, nextMailboxIp());
      await attacker.get("/");
      assert.ok(attacker.csrf);
      const sessionsBefore = await sessionsOf(services, victimAccount.id);
      const foldersBefore = await folderNames(services, victimAccount.id);

      const planted = plantedBrowser(app, victim, attacker, SESSION);
      assertCsrfRefused(await planted("/mail/dossiers", { nom: "Piège" }), "create a folder");
      assertCsrfRefused(await planted("/deconnexion", {}), "sign out");

      assert.deepEqual(await folderNames(services, victimAccount.id), foldersBefore, "no folder created");
      assert.deepEqual(await sessionsOf(services, victimAccount.id), sessionsBefore, "the session is still open");
    });

    it("the victim's own pair is accepted", async () => {
      const { services } = ctx;
      const { account, c } = await signedInClient(services, app);
      await c.get("/mail/dossiers");
      const created = await c.post("/mail/dossiers", { nom: "Projets" });
      assert.equal(created.statusCode, 303, textOf(created.body).slice(0, 200));
      assert.ok((await folderNames(services, account.id)).includes("Projets"));
      // The same pair with the page's own origin is accepted too.
      await c.get("/mail/dossiers");
      const origin = new URL(ctx.config.publicUrl).origin;
      const again = await c.post(
        "/mail/dossiers",
        { nom: "Archives 2024" },
        { origin, "sec-fetch-site": "same-origin" },
      );
      assert.equal(again.statusCode, 303, textOf(again.body).slice(0, 200));
      assert.ok((await folderNames(services, account.id)).includes("Archives 2024"));
      await c.get("/mail");
      const out = await c.post("/deconnexion", {});
      assert.equal(out.statusCode, 303);
      assert.equal(out.headers.location, "/?deconnecte");
      assert.deepEqual(await sessionsOf(services, account.id), [], "signed out");
    });

    it("a form made while the session was open, sent after it expired, says the session expired", async () => {
      const { services } = ctx;
      const { account, c } = await signedInClient(services, app);
      await c.get("/mail/dossiers");
      clock.advance((ctx.config.sessionIdleMinutes + 1) * 60_000);
      const res = await c.post("/mail/dossiers", { nom: "Trop tard" });
      assert.equal(res.statusCode, 303, textOf(res.body).slice(0, 200));
      assert.equal(res.headers.location, "/?expire");
      assert.ok(!(await folderNames(services, account.id)).includes("Trop tard"));
    });

    it("Origin: null is refused on state-changing requests, signed in or not", async () => {
      const { services } = ctx;
      const { account, c } = await signedInClient(services, app);
      await c.get("/mail/dossiers");
      const sessionsBefore = await sessionsOf(services, account.id);
      assertCsrfRefused(await c.post("/mail/dossiers", { nom: "Opaque" }, { origin: "null" }), "create a folder");
      assertCsrfRefused(
        await c.post("/mail/dossiers", { nom: "Opaque" }, { origin: "null", "sec-fetch-site": "same-origin" }),
        "create a folder, Sec-Fetch-Site same-origin",
      );
      assertCsrfRefused(await c.post("/deconnexion", {}, { origin: "null" }), "sign out");
      assert.ok(!(await folderNames(services, account.id)).includes("Opaque"), "no folder created");
      assert.deepEqual(await sessionsOf(services, account.id), sessionsBefore, "the session is still open");

      // The login form: no session opened.
      const other = await staffWithPassword(services);
      const anonymous = new WebClient(app, nextMailboxIp());
      await anonymous.get("/");
      assertCsrfRefused(
        await anonymous.post(
          "/connexion",
          { username: other.username, password: MAILBOX_PASSWORD },
          { origin: "null" },
        ),
        "sign in",
      );
      assert.deepEqual(await sessionsOf(services, other.id), [], "no session opened");
      // The same browser and token without the opaque origin: signed in.
      const ok = await anonymous.post("/connexion", { username: other.username, password: MAILBOX_PASSWORD });
      assert.equal(ok.statusCode, 303);
    });

    it("the Assistance's account page: another browser's pair is refused with the victim's session", async () => {
      const { services } = ctx;
      const victimAccount = await staffWithPassword(services);
      const victim = await accountPageClient(app, victimAccount);
      const attacker = await accountPageClient(app, await staffWithPassword(services));
      const anonymous = new WebClient(app, nextMailboxIp());
      await anonymous.get("/assistance/connexion");
      const sessionsBefore = await sessionsOf(services, victimAccount.id);
      assert.equal(sessionsBefore.length, 1);

      for (const [who, other] of [
        ["signed-in attacker", attacker],
        ["anonymous browser", anonymous],
      ] as const) {
        const planted = plantedBrowser(app, victim, other, ASSISTANCE);
        assertCsrfRefused(await planted("/assistance/deconnexion", {}), `${who}: sign out`);
        assertCsrfRefused(
          await planted("/assistance/mon-compte/sessions/fermer", { session: sessionsBefore[0] ?? "" }),
          `${who}: close a session`,
        );
      }
      assertCsrfRefused(await victim.post("/assistance/deconnexion", {}, { origin: "null" }), "Origin: null");
      assert.deepEqual(await sessionsOf(services, victimAccount.id), sessionsBefore, "the session is still open");

      // The victim's own pair: signed out.
      const out = await victim.post("/assistance/deconnexion", {});
      assert.equal(out.statusCode, 303, textOf(out.body).slice(0, 200));
      assert.deepEqual(await sessionsOf(services, victimAccount.id), [], "signed out");
    });
  });
}
