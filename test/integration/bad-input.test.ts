/**
 * Bad input at the webmail's door: every request below carries the RIGHT username and
 * password, yet is malformed in one way. Each gets a French 4xx page, never a 5xx or a stack trace,
 * and nothing changes: no session cookie, no session stored, no login attempt recorded.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { openTestServices, type TestContext } from "../helpers/env.js";
import type { StaffRow } from "../helpers/staff.js";
import { accountOf, seedStaff, testApp, textOf, uniqueStaff, WebClient } from "../helpers/web.js";

const PASSWORD = "Un ours brun lit Verlaine au bord du Rhône";
const FORM = "application/x-www-form-urlencoded";

const SENTENCES = {
  400: "La demande envoyée n'a pas pu être lue.",
  403: "Ce formulaire a expiré ou n'a pas été envoyé depuis cette page.",
  404: "La page demandée n'existe pas.",
  413: "Les informations envoyées dépassent la taille autorisée.",
  415: "Le format des informations envoyées n'est pas pris en charge.",
} as const;

let ipCounter = 0;
function nextIp(): string {
  ipCounter += 1;
  return `198.18.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

async function personalAccount(services: Services): Promise<{ row: StaffRow; account: Account }> {
  const row = uniqueStaff();
  await seedStaff(services, [row]);
  const account = await accountOf(services, row);
  await services.directory.setPasswordHash(account.id, await services.hasher.hash(PASSWORD), "personal", null);
  return { row, account };
}

function enc(v: string): string {
  return encodeURIComponent(v);
}

/** A French error page with this status, no stack, no session cookie. */
function assertRefused(res: LightMyRequestResponse, status: keyof typeof SENTENCES, what: string): void {
  assert.equal(res.statusCode, status, `${what}: status (${textOf(res.body).slice(0, 200)})`);
  assert.match(String(res.headers["content-type"]), /^text\/html/, `${what}: an HTML page`);
  assert.match(res.body, /<html lang="fr"/, `${what}: French`);
  assert.ok(textOf(res.body).includes(SENTENCES[status]), `${what}: "${SENTENCES[status]}" in ${textOf(res.body)}`);
  assert.doesNotMatch(res.body, /\bat \w+ \(|node_modules|Error:|FST_/, `${what}: no stack trace or internal code`);
  assert.match(String(res.headers["content-security-policy"]), /frame-ancestors 'none'/, `${what}: CSP`);
  assert.equal(res.headers["x-content-type-options"], "nosniff", `${what}: nosniff`);
  assert.equal(
    res.cookies.find((c) => c.name === "sesame" && c.value !== ""),
    undefined,
    `${what}: no session cookie`,
  );
}

describe("bad input on the login form", () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  before(async () => {
    ctx = await openTestServices("sqlite");
    app = await testApp(ctx.services);
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  /** A browser that has just opened the login page (valid CSRF cookie and token). */
  async function browser(): Promise<WebClient> {
    const c = new WebClient(app, nextIp());
    await c.get("/");
    assert.ok(c.csrf);
    return c;
  }

  /** Posts a raw body to /connexion with the browser's cookies. */
  async function raw(c: WebClient, payload: string | Buffer, contentType = FORM, headers: Record<string, string> = {}) {
    return c.send({ method: "POST", url: "/connexion", payload, headers: { "content-type": contentType, ...headers } });
  }

  /** Nothing happened for this account or from this address: no session, no login event of any kind. */
  async function assertNothingChanged(what: string, account: Account, ip: string): Promise<void> {
    const sessions = await ctx.services.database.db
      .selectFrom("session")
      .select("id_hash")
      .where("account_id", "=", account.id)
      .execute();
    assert.equal(sessions.length, 0, `${what}: no session stored`);
    const events = (await ctx.services.audit.list({ limit: 10_000 })).filter(
      (e) =>
        e.action.startsWith("login.") &&
        (e.details.ip === ip || e.details.username === account.username || e.entityId === String(account.id)),
    );
    assert.deepEqual(
      events.map((e) => e.action),
      [],
      `${what}: no login attempt reached the service`,
    );
    const stored = await ctx.services.directory.credentials(account.username);
    assert.equal(stored?.account.passwordState, "personal", `${what}: account unchanged`);
  }

  let account: Account;
  const good = (c: WebClient) => `_csrf=${enc(c.csrf)}&username=${enc(account.username)}&password=${enc(PASSWORD)}`;

  const cases: Array<[string, keyof typeof SENTENCES, (c: WebClient) => Promise<LightMyRequestResponse>]> = [
    [
      "username over 1,024 characters",
      400,
      (c) => c.post("/connexion", { username: `${account.username}${" ".repeat(1024)}`, password: PASSWORD }),
    ],
    [
      "password over 1,024 characters",
      400,
      (c) => c.post("/connexion", { username: account.username, password: PASSWORD.padEnd(1025, "x") }),
    ],
    [
      "NUL byte in the username",
      400,
      (c) => c.post("/connexion", { username: `${account.username}\u0000`, password: PASSWORD }),
    ],
    [
      "NUL byte in the password",
      400,
      (c) => c.post("/connexion", { username: account.username, password: `${PASSWORD}\u0000` }),
    ],
    [
      "other control character",
      400,
      (c) => c.post("/connexion", { username: `${account.username}\u001b`, password: PASSWORD }),
    ],
    ["invalid UTF-8 escapes (%FF%FE) in the password", 400, (c) => raw(c, `${good(c)}%FF%FE`)],
    [
      "invalid UTF-8 escapes (%FF%FE) in the username",
      400,
      (c) => raw(c, `_csrf=${enc(c.csrf)}&username=${account.username}%FF%FE&password=${enc(PASSWORD)}`),
    ],
    [
      "Latin-1 escape (%E9)",
      400,
      (c) => raw(c, `_csrf=${enc(c.csrf)}&username=${enc(account.username)}&password=${enc(PASSWORD)}%E9`),
    ],
    ["malformed escape (%G1)", 400, (c) => raw(c, `${good(c)}%G1`)],
    [
      "invalid UTF-8 bytes in the body",
      400,
      (c) => raw(c, Buffer.concat([Buffer.from(good(c)), Buffer.from([0xff, 0xfe])])),
    ],
    ["username twice", 400, (c) => raw(c, `${good(c)}&username=${enc(account.username)}`)],
    ["password twice", 400, (c) => raw(c, `${good(c)}&password=x`)],
    [
      "JSON body",
      415,
      (c) =>
        raw(c, JSON.stringify({ _csrf: c.csrf, username: account.username, password: PASSWORD }), "application/json"),
    ],
    [
      "multipart body",
      415,
      (c) => {
        const b = `----x${randomBytes(6).toString("hex")}`;
        const part = (n: string, v: string) => `--${b}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`;
        const body = `${part("_csrf", c.csrf)}${part("username", account.username)}${part("password", PASSWORD)}--${b}--\r\n`;
        return raw(c, body, `multipart/form-data; boundary=${b}`);
      },
    ],
    ["text/plain body", 415, (c) => raw(c, good(c), "text/plain")],
    ["body over 64 KB", 413, (c) => raw(c, `${good(c)}&padding=${"a".repeat(65 * 1024)}`)],
    ["missing CSRF token", 403, (c) => raw(c, `username=${enc(account.username)}&password=${enc(PASSWORD)}`)],
    [
      "wrong CSRF token",
      403,
      (c) => c.post("/connexion", { _csrf: "0".repeat(64), username: account.username, password: PASSWORD }),
    ],
    [
      "another browser's CSRF token",
      403,
      async (c) => {
        const other = await browser();
        return c.post("/connexion", { _csrf: other.csrf, username: account.username, password: PASSWORD });
      },
    ],
    [
      "no CSRF cookie",
      403,
      (c) => {
        c.cookies.clear();
        return c.post("/connexion", { username: account.username, password: PASSWORD });
      },
    ],
    ["CSRF token twice", 403, (c) => raw(c, `${good(c)}&_csrf=${enc(c.csrf)}`)],
    [
      "foreign Origin",
      403,
      (c) =>
        c.post(
          "/connexion",
          { username: account.username, password: PASSWORD },
          { origin: "https://ac-lyon.fr.example.com" },
        ),
    ],
    [
      "cross-site Sec-Fetch-Site",
      403,
      (c) =>
        c.post("/connexion", { username: account.username, password: PASSWORD }, { "sec-fetch-site": "cross-site" }),
    ],
    ["unknown route (GET)", 404, (c) => c.get(`/connexion/${randomBytes(4).toString("hex")}`)],
    ["unknown route (GET, deep)", 404, (c) => c.get("/wp-admin/../../etc/passwd")],
  ];

  for (const [what, status, send] of cases) {
    it(`${what}: ${status}, French page, nothing changed`, async () => {
      ({ account } = await personalAccount(ctx.services));
      const c = await browser();
      assertRefused(await send(c), status, what);
      await assertNothingChanged(what, account, c.ip);
      // Nothing was held against the account: the well-formed request signs in.
      const ok = await (await browser()).post("/connexion", { username: account.username, password: PASSWORD });
      assert.equal(ok.statusCode, 303, `${what}: a well-formed login still works`);
    });
  }

  it("an unknown POST route is a French 4xx, not a 5xx", async () => {
    const c = await browser();
    const res = await c.post(`/inconnu/${randomBytes(4).toString("hex")}`, { a: "b" });
    assert.ok(res.statusCode === 404 || res.statusCode === 403, String(res.statusCode));
    assertRefused(res, res.statusCode as 403 | 404, "unknown POST route");
  });
});

describe("replayed forms", () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  before(async () => {
    ctx = await openTestServices("sqlite");
    app = await testApp(ctx.services);
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  it("a form submitted again after logout is refused, and opens nothing", async () => {
    const { account } = await personalAccount(ctx.services);
    const c = new WebClient(app, nextIp());
    await c.get("/");
    const loginToken = c.csrf;
    assert.equal((await c.post("/connexion", { username: account.username, password: PASSWORD })).statusCode, 303);
    await c.get("/mail");
    const mailToken = c.csrf;
    assert.equal((await c.post("/deconnexion", {})).statusCode, 303);
    await c.get("/?deconnecte");
    const succeeded = async () =>
      (await ctx.services.audit.list({ action: "login.succeeded" })).filter((e) => e.entityId === String(account.id))
        .length;
    assert.equal(await succeeded(), 1);

    // The browser's back button: the login form, then the logout form, sent again with their old tokens.
    const replayLogin = await c.post("/connexion", {
      _csrf: loginToken,
      username: account.username,
      password: PASSWORD,
    });
    assertRefused(replayLogin, 403, "replayed login form");
    const replayLogout = await c.post("/deconnexion", { _csrf: mailToken });
    assertRefused(replayLogout, 403, "replayed logout form");
    assert.equal(await succeeded(), 1, "no new sign-in");
    const sessions = await ctx.services.database.db
      .selectFrom("session")
      .select("id_hash")
      .where("account_id", "=", account.id)
      .execute();
    assert.equal(sessions.length, 0);
  });

  it("the forced-change form submitted twice changes the password once", async () => {
    const row = uniqueStaff();
    await seedStaff(ctx.services, [row]);
    const account = await accountOf(ctx.services, row);
    const c = new WebClient(app, nextIp());
    await c.login(account.username, row.numen);
    await c.get("/changer-mot-de-passe");
    const token = c.csrf;
    const first = await c.post("/changer-mot-de-passe", { newPassword: PASSWORD, confirmation: PASSWORD });
    assert.equal(first.statusCode, 303);
    const hash = (await ctx.services.directory.credentials(account.username))?.passwordHash;
    const other = "Deux zèbres dansent la valse sous un tilleul";
    const again = await c.post("/changer-mot-de-passe", { _csrf: token, newPassword: other, confirmation: other });
    assertRefused(again, 403, "replayed change form");
    assert.equal((await ctx.services.directory.credentials(account.username))?.passwordHash, hash);
    const changes = (await ctx.services.audit.list({ limit: 10_000 })).filter(
      (e) => e.entityId === String(account.id) && e.action.startsWith("password."),
    );
    assert.equal(changes.length, 1);
  });
});

describe("hashing overload", () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  before(async () => {
    // Real argon2 cost and no queue: past the cores, a check is refused at once.
    ctx = await openTestServices("sqlite", {
      SESAME_ARGON2_MEMORY_KIB: "19456",
      SESAME_ARGON2_TIME_COST: "2",
      SESAME_HASH_QUEUE: "0",
    });
    app = await testApp(ctx.services);
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  it("answers 503 with Retry-After past the hashing queue, never 500, and counts no failure", async () => {
    const { account } = await personalAccount(ctx.services);
    const first = new WebClient(app, nextIp());
    await first.get("/");
    const clients = Array.from({ length: 3 * ctx.services.hasher.limits.concurrency + 4 }, (_, i) => {
      const c = new WebClient(app, nextIp());
      for (const [k, v] of first.cookies) c.cookies.set(k, v);
      c.csrf = first.csrf;
      // Unknown users and the real one, with a wrong password.
      return c.post("/connexion", {
        username: i % 2 ? account.username : `x${i}${randomBytes(3).toString("hex")}`,
        password: "nope",
      });
    });
    const results = await Promise.all(clients);
    const statuses = results.map((r) => r.statusCode);
    assert.ok(
      statuses.every((s) => s === 401 || s === 503),
      statuses.join(","),
    );
    const overloaded = results.filter((r) => r.statusCode === 503);
    assert.ok(overloaded.length >= 1, `at least one 503: ${statuses.join(",")}`);
    assert.ok(statuses.includes(401), "the first ones were checked");
    for (const res of overloaded) {
      assert.ok(Number(res.headers["retry-after"]) >= 1, "Retry-After");
      assert.match(res.body, /<html lang="fr"/);
      assert.ok(textOf(res.body).includes("Le service reçoit beaucoup de demandes en ce moment."));
    }
    const failed = await ctx.services.audit.list({ action: "login.failed" });
    assert.equal(failed.length, statuses.filter((s) => s === 401).length, "a refused check is not a failure");
  });
});
