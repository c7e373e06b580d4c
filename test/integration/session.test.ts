/**
 * Server-side sessions of the webmail: the cookie, a new id at every sign-in, idle and
 * absolute timeouts on a fake clock, the extension, logout, and a password change ending the
 * account's other sessions. Asserts the page and the stored sessions.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { FakeClock } from "../../src/shared/clock.js";
import { sha256Hex } from "../../src/shared/crypto.js";
import { openTestServices, type TestContext } from "../helpers/env.js";
import type { StaffRow } from "../helpers/staff.js";
import { accountOf, seedStaff, testApp, textOf, uniqueStaff, WebClient } from "../helpers/web.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const PASSWORD = "Le héron au long bec emmanché d'un long cou";
const NEW_PASSWORD = "Sept pingouins patinent sur la Saône gelée";

let ipCounter = 0;
function nextIp(): string {
  ipCounter += 1;
  return `172.16.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

async function personalAccount(services: Services): Promise<Account> {
  const row = uniqueStaff();
  await seedStaff(services, [row]);
  const account = await accountOf(services, row);
  await services.directory.setPasswordHash(account.id, await services.hasher.hash(PASSWORD), "personal", null);
  return account;
}

async function initialAccount(services: Services): Promise<{ row: StaffRow; account: Account }> {
  const row = uniqueStaff();
  await seedStaff(services, [row]);
  return { row, account: await accountOf(services, row) };
}

function setCookie(res: LightMyRequestResponse, name: string) {
  return res.cookies.find((c) => c.name === name);
}

async function storedSessions(services: Services, accountId: number) {
  return services.database.db.selectFrom("session").selectAll().where("account_id", "=", accountId).execute();
}

/** A browser that only holds the given session cookie (as if it had been copied). */
function browserWith(app: FastifyInstance, token: string): WebClient {
  const c = new WebClient(app, nextIp());
  c.cookies.set("sesame", token);
  return c;
}

describe("sessions", () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let clock: FakeClock;
  before(async () => {
    clock = new FakeClock();
    ctx = await openTestServices("sqlite", {}, { clock });
    app = await testApp(ctx.services);
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  it("the cookie is HttpOnly and SameSite=Lax, with a new random id at every sign-in, stored hashed", async () => {
    const account = await personalAccount(ctx.services);
    const c = new WebClient(app, nextIp());
    await c.get("/");
    // A session id planted by someone else is dropped, never adopted.
    const planted = "a".repeat(43);
    c.cookies.set("sesame", planted);
    const first = await c.post("/connexion", { username: account.username, password: PASSWORD });
    assert.equal(first.statusCode, 303);
    const cookie = setCookie(first, "sesame");
    assert.ok(cookie?.value, "a session cookie");
    assert.equal(cookie.httpOnly, true);
    assert.equal(String(cookie.sameSite).toLowerCase(), "lax");
    assert.equal(cookie.path, "/");
    assert.notEqual(cookie.value, planted);
    assert.ok(cookie.value.length >= 43, "256 bits, base64url");
    assert.equal(await ctx.services.sessions.resolve(planted), null);

    // Signing in again from the same browser: yet another id.
    await c.get("/mail");
    assert.equal((await c.post("/deconnexion", {})).statusCode, 303);
    await c.get("/");
    const before = [...c.cookies.values()];
    const second = await c.post("/connexion", { username: account.username, password: PASSWORD });
    const again = setCookie(second, "sesame")?.value;
    assert.ok(again);
    assert.ok(!before.includes(again), "the id differs from every cookie the browser held");
    assert.notEqual(again, cookie.value);

    // Only the SHA-256 of the id is stored.
    const rows = await storedSessions(ctx.services, account.id);
    assert.deepEqual(
      rows.map((r) => r.id_hash),
      [sha256Hex(again)],
    );
    assert.equal(rows[0]?.kind, "webmail");
    assert.ok(!JSON.stringify(rows).includes(again), "the raw id is not stored");
  });

  it("ends after 30 minutes without activity, then sends the person back to the login page", async () => {
    const account = await personalAccount(ctx.services);
    const c = new WebClient(app, nextIp());
    assert.equal((await c.login(account.username, PASSWORD)).statusCode, 303);
    const mail = await c.get("/mail");
    assert.equal(mail.statusCode, 200);
    // The page knows how long is left, for the accessible warning.
    assert.match(mail.body, /data-session-remaining="1800000"/);
    assert.ok(textOf(mail.body).includes("Prolonger la session"));

    // Activity keeps it alive: 29 minutes, twice.
    clock.advance(29 * MIN);
    assert.equal((await c.get("/mail")).statusCode, 200);
    clock.advance(29 * MIN);
    assert.equal((await c.get("/mail")).statusCode, 200);

    clock.advance(30 * MIN);
    const expired = await c.get("/mail");
    assert.equal(expired.statusCode, 303);
    assert.equal(expired.headers.location, "/?expire");
    const cleared = setCookie(expired, "sesame");
    assert.ok(cleared && (cleared.value === "" || (cleared.expires?.getTime() ?? 0) < Date.now()), "cookie cleared");
    const login = await c.get("/?expire");
    assert.equal(login.statusCode, 200);
    assert.ok(textOf(login.body).includes("Votre session a expiré. Connectez-vous à nouveau."));
    assert.equal((await storedSessions(ctx.services, account.id)).length, 0, "the session is gone on the server");
  });

  it("ends 12 hours after sign-in however active the person is", async () => {
    const account = await personalAccount(ctx.services);
    const c = new WebClient(app, nextIp());
    const login = await c.login(account.username, PASSWORD);
    assert.equal(setCookie(login, "sesame")?.maxAge, 12 * 3600);
    let elapsed = 0;
    while (elapsed + 25 * MIN < 12 * HOUR) {
      clock.advance(25 * MIN);
      elapsed += 25 * MIN;
      assert.equal((await c.get("/mail")).statusCode, 200, `after ${elapsed / MIN} min`);
    }
    clock.advance(12 * HOUR - elapsed - 1_000);
    assert.equal((await c.get("/mail")).statusCode, 200, "a second before 12 h");
    clock.advance(1_000);
    const expired = await c.get("/mail");
    assert.equal(expired.statusCode, 303);
    assert.equal(expired.headers.location, "/?expire");
  });

  it("POST /session/prolonger extends the idle timeout", async () => {
    const account = await personalAccount(ctx.services);
    const c = new WebClient(app, nextIp());
    await c.login(account.username, PASSWORD);
    await c.get("/mail");
    clock.advance(20 * MIN);
    // As the page script calls it: a form body and the token in a header.
    const extended = await c.send({
      method: "POST",
      url: "/session/prolonger",
      payload: "",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-csrf-token": c.csrf },
    });
    assert.equal(extended.statusCode, 200);
    const json = extended.json() as { remainingMs: number; message: string };
    assert.equal(json.remainingMs, 30 * MIN);
    assert.equal(json.message, "Votre session a été prolongée.");
    const row = (await storedSessions(ctx.services, account.id))[0];
    assert.equal(row?.last_seen_at, clock.now().toISOString());

    // 45 minutes after the last page, 25 after the extension: still open.
    clock.advance(25 * MIN);
    assert.equal((await c.get("/mail")).statusCode, 200);

    // Without the token: refused; without a session: told it expired.
    const noToken = await c.send({
      method: "POST",
      url: "/session/prolonger",
      payload: "",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(noToken.statusCode, 403);
    clock.advance(31 * MIN);
    const late = await c.post("/session/prolonger", {});
    assert.equal(late.statusCode, 401);
    assert.deepEqual(late.json(), { expired: true });
  });

  it("logout ends the session on the server and confirms it", async () => {
    const account = await personalAccount(ctx.services);
    const c = new WebClient(app, nextIp());
    const login = await c.login(account.username, PASSWORD);
    const token = setCookie(login, "sesame")?.value ?? "";
    assert.equal((await c.get("/mail")).statusCode, 200);

    const out = await c.post("/deconnexion", {});
    assert.equal(out.statusCode, 303);
    assert.equal(out.headers.location, "/?deconnecte");
    const cleared = setCookie(out, "sesame");
    assert.ok(cleared && (cleared.value === "" || (cleared.expires?.getTime() ?? 0) < Date.now()), "cookie cleared");
    const page = await c.get("/?deconnecte");
    assert.equal(page.statusCode, 200);
    assert.ok(textOf(page.body).includes("Vous êtes déconnecté"));
    assert.match(page.body, /<form method="post" action="\/connexion"/);

    // The old cookie, kept by someone, no longer opens anything.
    assert.equal(await ctx.services.sessions.resolve(token), null);
    assert.equal((await storedSessions(ctx.services, account.id)).length, 0);
    const stolen = await browserWith(app, token).get("/mail");
    assert.equal(stolen.statusCode, 303);
    assert.equal(stolen.headers.location, "/?expire");
    const logouts = (await ctx.services.audit.list({ action: "logout" })).filter(
      (e) => e.entityId === String(account.id),
    );
    assert.equal(logouts.length, 1);
  });

  it("a password change ends the account's other sessions", async () => {
    const { row, account } = await initialAccount(ctx.services);
    const a = new WebClient(app, nextIp());
    const b = new WebClient(app, nextIp());
    const loginA = await a.login(account.username, row.numen);
    const loginB = await b.login(account.username, row.numen);
    assert.equal(loginA.headers.location, "/changer-mot-de-passe");
    assert.equal(loginB.headers.location, "/changer-mot-de-passe");
    const tokenA = setCookie(loginA, "sesame")?.value ?? "";
    const tokenB = setCookie(loginB, "sesame")?.value ?? "";
    assert.notEqual(tokenA, tokenB);
    assert.equal((await storedSessions(ctx.services, account.id)).length, 2);

    await a.get("/changer-mot-de-passe");
    const changed = await a.post("/changer-mot-de-passe", { newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    assert.equal(changed.statusCode, 303);
    const tokenA2 = setCookie(changed, "sesame")?.value ?? "";
    assert.ok(tokenA2 && tokenA2 !== tokenA, "a fresh session after the change");
    assert.equal((await a.get("/mail")).statusCode, 200);

    // The other browser's session, and the one used for the change, are over.
    const other = await b.get("/changer-mot-de-passe");
    assert.equal(other.statusCode, 303);
    assert.equal(other.headers.location, "/?expire");
    assert.equal(await ctx.services.sessions.resolve(tokenB), null);
    assert.equal(await ctx.services.sessions.resolve(tokenA), null);
    const rows = await storedSessions(ctx.services, account.id);
    assert.deepEqual(
      rows.map((r) => [r.id_hash, r.kind]),
      [[sha256Hex(tokenA2), "webmail"]],
    );
  });

  it("disabling the account, or its holder leaving, ends its open sessions", async () => {
    const account = await personalAccount(ctx.services);
    const browser = new WebClient(app, nextIp());
    assert.equal((await browser.login(account.username, PASSWORD)).headers.location, "/mail");
    assert.equal((await browser.get("/mail")).statusCode, 200);

    await ctx.services.directory.disableAccount(account.username, "test");
    const after = await browser.get("/mail");
    assert.equal(after.statusCode, 303);
    assert.equal(after.headers.location, "/?expire");
    assert.equal((await storedSessions(ctx.services, account.id)).length, 0);
  });
});
