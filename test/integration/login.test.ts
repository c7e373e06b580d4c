/**
 * Signing in to the webmail through app.inject: the page a person sees
 * (status, French text, field values) and the state after (account, password hash, audit trail,
 * sessions).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import { PasswordHasher } from "../../src/identity/password-hasher.js";
import type { Services } from "../../src/services.js";
import { FakeClock, systemClock } from "../../src/shared/clock.js";
import { frenchTime } from "../../src/web/i18n/fr.js";
import { openTestServices, REDIS_URL, type TestContext, tempDir } from "../helpers/env.js";
import { type StaffRow, staffCsv, writeCsv } from "../helpers/staff.js";
import { compareKinds } from "../helpers/timing.js";
import {
  accountOf,
  deleteRedisKeys,
  inputValue,
  seedStaff,
  solveChallengeOf,
  testApp,
  textOf,
  textOfId,
  uniqueStaff,
  WebClient,
  withoutCsrfTokens,
} from "../helpers/web.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const INVALID = "Nom d'utilisateur ou mot de passe incorrect.";
const GOOD_PASSWORD = "Quatre chevaux galopent sous la pluie d'automne";

/** A distinct client address for each use, so that per-IP counters never mix tests. */
let ipCounter = 0;
function nextIp(): string {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

/** A staff member whose account already has a personal password. */
async function personalAccount(
  services: Services,
  password = GOOD_PASSWORD,
): Promise<{ row: StaffRow; account: Account }> {
  const row = uniqueStaff();
  await seedStaff(services, [row]);
  const account = await accountOf(services, row);
  await services.directory.setPasswordHash(account.id, await services.hasher.hash(password), "personal", null);
  return { row, account: await accountOf(services, row) };
}

/** A staff member still on the initial password (the NUMEN). */
async function initialAccount(services: Services): Promise<{ row: StaffRow; account: Account }> {
  const row = uniqueStaff();
  await seedStaff(services, [row]);
  return { row, account: await accountOf(services, row) };
}

/** The NUMEN as a person may type it: lower case, with spaces inside. */
function typedNumen(numen: string): string {
  return `${numen.slice(0, 2)} ${numen.slice(2, 3).toLowerCase()} ${numen.slice(3, 10)} ${numen.slice(10).toLowerCase()}`;
}

async function auditFor(services: Services, predicate: (details: Record<string, unknown>) => boolean) {
  return (await services.audit.list({ limit: 10_000 })).filter((e) => predicate(e.details));
}

function sessionCookie(res: LightMyRequestResponse): string | undefined {
  return res.cookies.find((c) => c.name === "sesame" && c.value !== "")?.value;
}

function formError(res: LightMyRequestResponse): string {
  return textOf(/<div class="error-summary"[^>]*>([\s\S]*?)<\/div>/.exec(res.body)?.[1] ?? "");
}

describe("login", () => {
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

  it("accepts the username in any case, or the full address", async () => {
    const { account } = await personalAccount(ctx.services);
    for (const typed of [account.username, account.username.toUpperCase(), ` ${account.address.toUpperCase()} `]) {
      const c = new WebClient(app, nextIp());
      const res = await c.login(typed, GOOD_PASSWORD);
      assert.equal(res.statusCode, 303, typed);
      assert.equal(res.headers.location, "/mail", typed);
      const mail = await c.get("/mail");
      assert.equal(mail.statusCode, 200, typed);
      assert.ok(textOf(mail.body).includes(account.address), typed);
    }
  });

  it("first login with the NUMEN forces a password change, then the NUMEN never works again", async () => {
    const { row, account } = await initialAccount(ctx.services);
    const c = new WebClient(app, nextIp());
    const login = await c.login(account.username, typedNumen(row.numen));
    assert.equal(login.statusCode, 303);
    assert.equal(login.headers.location, "/changer-mot-de-passe");
    // Nothing else before the change.
    for (const url of ["/mail", "/"]) {
      const res = await c.get(url);
      assert.equal(res.statusCode, 303, url);
      assert.equal(res.headers.location, "/changer-mot-de-passe", url);
    }
    const page = await c.get("/changer-mot-de-passe");
    assert.equal(page.statusCode, 200);
    const text = textOf(page.body);
    assert.ok(text.includes("Choisissez votre mot de passe personnel"), text);
    // The rules are shown before typing.
    assert.ok(text.includes("compter entre 12 et 128 caractères"), text);
    assert.ok(text.includes("ni votre NUMEN"), text);

    const refused = async (newPassword: string, confirmation: string) => {
      const res = await c.post("/changer-mot-de-passe", { newPassword, confirmation });
      assert.equal(res.statusCode, 422, newPassword);
      assert.ok(textOf(res.body).startsWith("Erreur :"), "the title says the form has errors");
      const stored = await ctx.services.directory.credentials(account.username);
      assert.equal(stored?.account.passwordState, "initial", "nothing stored");
      assert.equal(stored?.passwordHash, null, "nothing stored");
      return {
        newPassword: textOfId(res.body, "champ-newPassword-erreur") ?? "",
        confirmation: textOfId(res.body, "champ-confirmation-erreur") ?? "",
        body: res.body,
      };
    };

    // Weak: each failed rule named next to its field; the confirmation's own error next to it.
    const weak = await refused("azerty", "azerty1");
    assert.ok(weak.newPassword.includes("Le mot de passe doit compter au moins 12 caractères."), weak.newPassword);
    assert.ok(
      weak.newPassword.includes("Ce mot de passe fait partie des mots de passe les plus courants."),
      weak.newPassword,
    );
    assert.ok(
      weak.confirmation.includes("La confirmation ne correspond pas au nouveau mot de passe."),
      weak.confirmation,
    );
    assert.ok(!weak.newPassword.includes("confirmation"), weak.newPassword);
    assert.match(
      weak.body,
      /id="champ-newPassword"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="champ-newPassword"/,
    );
    // Secrets are never sent back.
    assert.ok(!weak.body.includes("azerty"), "the typed password is not echoed");

    // The NUMEN itself, in any form, cannot be chosen.
    for (const numen of [row.numen, typedNumen(row.numen), `${row.numen.toLowerCase()} pour toujours`]) {
      const r = await refused(numen, numen);
      assert.ok(
        r.newPassword.includes("Le mot de passe ne doit pas contenir votre NUMEN."),
        `${numen}: ${r.newPassword}`,
      );
    }
    // Personal data.
    const [dd, mm, yyyy] = row.date_naissance.split("/");
    const personal = `${account.username} né le ${dd}${mm}${yyyy} grimpe`;
    const p = await refused(personal, personal);
    assert.ok(p.newPassword.includes("Le mot de passe ne doit pas contenir votre nom d'utilisateur."), p.newPassword);
    assert.ok(p.newPassword.includes("Le mot de passe ne doit pas contenir votre date de naissance."), p.newPassword);

    const audited = await ctx.services.audit.list({ action: "password.initial_replaced" });
    assert.equal(audited.filter((e) => e.entityId === String(account.id)).length, 0);

    // A good one.
    const done = await c.post("/changer-mot-de-passe", { newPassword: GOOD_PASSWORD, confirmation: GOOD_PASSWORD });
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, "/mail?mot-de-passe-modifie");
    const inbox = await c.get("/mail?mot-de-passe-modifie");
    assert.equal(inbox.statusCode, 200);
    const inboxText = textOf(inbox.body);
    assert.ok(inboxText.includes("Boîte de réception"), inboxText);
    assert.ok(inboxText.includes(`${row.prenom} ${row.nom}`), inboxText);
    assert.ok(inboxText.includes(account.address), inboxText);
    assert.ok(inboxText.includes("Votre mot de passe a été modifié."), inboxText);
    assert.ok(inboxText.includes("Se déconnecter"), inboxText);

    const stored = await ctx.services.directory.credentials(account.username);
    assert.equal(stored?.account.passwordState, "personal");
    assert.match(stored?.passwordHash ?? "", /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    const replaced = (await ctx.services.audit.list({ action: "password.initial_replaced" })).filter(
      (e) => e.entityId === String(account.id),
    );
    assert.equal(replaced.length, 1);
    assert.ok(!JSON.stringify(replaced).includes(GOOD_PASSWORD.slice(0, 12)), "no password in the audit trail");
    const forced = await auditFor(ctx.services, (d) => d.username === account.username && d.accountId === account.id);
    assert.ok(
      forced.some((e) => e.action === "login.succeeded_must_change"),
      "the forced change is audited",
    );

    // The NUMEN no longer opens the account: same answer as any wrong password.
    const other = new WebClient(app, nextIp());
    const withNumen = await other.login(account.username, row.numen);
    assert.equal(withNumen.statusCode, 401);
    assert.equal(formError(withNumen), INVALID);
    assert.equal(sessionCookie(withNumen), undefined);
    const withNew = await other.login(account.username, GOOD_PASSWORD);
    assert.equal(withNew.statusCode, 303);
    assert.equal(withNew.headers.location, "/mail");
  });

  it("the strength meter judges while typing, stores nothing, and is no oracle for the current password", async () => {
    const { account } = await personalAccount(ctx.services);
    const c = new WebClient(app, nextIp());
    await c.login(account.username, GOOD_PASSWORD);
    await c.get("/mail");
    const evaluate = (password: string, client = c) =>
      client.send({
        method: "POST",
        url: "/mot-de-passe/evaluer",
        payload: new URLSearchParams({ password }).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded", "x-csrf-token": client.csrf },
      });
    const weak = await evaluate("soleil");
    assert.equal(weak.statusCode, 200);
    const weakJson = weak.json() as { score: number; label: string; problems: string[] };
    assert.ok(weakJson.problems.includes("Le mot de passe doit compter au moins 12 caractères."), weak.body);
    assert.ok(weakJson.label.startsWith("Robustesse du mot de passe :"), weak.body);
    // The current password and another strong one get the same answer: a stolen session cannot use
    // the meter to test guesses of the password, without limit.
    const current = await evaluate(GOOD_PASSWORD);
    const other = await evaluate("Neuf grenouilles chantent sous le pont Lafayette");
    assert.equal(current.statusCode, 200);
    assert.deepEqual((current.json() as { problems: string[] }).problems, []);
    assert.deepEqual((other.json() as { problems: string[] }).problems, []);
    const before = await ctx.services.directory.credentials(account.username);
    assert.equal(before?.account.passwordState, "personal");
    // Without a session: told it expired.
    const anonymous = new WebClient(app, nextIp());
    await anonymous.get("/");
    const refused = await evaluate("soleil", anonymous);
    assert.equal(refused.statusCode, 401);
    assert.deepEqual(refused.json(), { expired: true });
  });

  it("rehashes at login when the configured argon2 parameters changed", async () => {
    const { account } = await personalAccount(ctx.services);
    const old = new PasswordHasher({ memoryCost: 2048, timeCost: 2, parallelism: 1 });
    await ctx.services.directory.setPasswordHash(account.id, await old.hash(GOOD_PASSWORD), "personal", null);
    const before = await ctx.services.directory.credentials(account.username);
    assert.match(before?.passwordHash ?? "", /^\$argon2id\$v=19\$m=2048,t=2,p=1\$/);

    // A wrong password changes nothing.
    const c = new WebClient(app, nextIp());
    assert.equal((await c.login(account.username, "pas le bon mot de passe")).statusCode, 401);
    assert.equal((await ctx.services.directory.credentials(account.username))?.passwordHash, before?.passwordHash);

    const res = await c.login(account.username, GOOD_PASSWORD);
    assert.equal(res.statusCode, 303);
    const after = await ctx.services.directory.credentials(account.username);
    assert.match(after?.passwordHash ?? "", /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    assert.equal(after?.account.passwordState, "personal");
    // And the new hash opens the account.
    const again = await new WebClient(app, nextIp()).login(account.address, GOOD_PASSWORD);
    assert.equal(again.statusCode, 303);
    assert.equal((await ctx.services.directory.credentials(account.username))?.passwordHash, after?.passwordHash);
  });

  it("records failures, throttling, successes and logouts in the audit trail, never a password", async () => {
    const { account } = await personalAccount(ctx.services);
    const ip = nextIp();
    const ua = `Mozilla/5.0 (X11; Linux) Sésame-test/${randomBytes(4).toString("hex")}`;
    const c = new WebClient(app, ip, ua);
    const wrong = "mauvais-mot-de-passe-0";
    for (let i = 0; i < 5; i++) {
      assert.equal((await c.login(account.username.toUpperCase(), `${wrong}${i}`)).statusCode, 401);
    }
    assert.equal((await c.login(account.username, GOOD_PASSWORD)).statusCode, 429);
    const unknown = `inconnu${randomBytes(4).toString("hex")}`;
    assert.equal((await c.login(unknown, wrong)).statusCode, 401);

    const events = (await ctx.services.audit.list({ limit: 10_000 })).filter(
      (e) => e.details.ip === ip || e.entityId === String(account.id),
    );
    const actions = events.map((e) => e.action);
    assert.equal(actions.filter((a) => a === "login.failed").length, 6);
    assert.equal(actions.filter((a) => a === "login.throttled").length, 1);
    for (const e of events.filter((x) => x.action.startsWith("login."))) {
      assert.ok(e.details.username === account.username || e.details.username === unknown, JSON.stringify(e));
      assert.equal(e.details.ip, ip);
      assert.equal(e.details.userAgent, ua);
      assert.ok(e.at, "time recorded");
    }
    const throttled = events.find((e) => e.action === "login.throttled");
    assert.ok(throttled?.details.retryAt, "the throttle records until when");

    // A success and a logout, on another account and address (the throttled one waits).
    const second = await personalAccount(ctx.services);
    const ip2 = nextIp();
    const c2 = new WebClient(app, ip2, ua);
    assert.equal((await c2.login(second.account.address, GOOD_PASSWORD)).statusCode, 303);
    await c2.get("/mail");
    assert.equal((await c2.post("/deconnexion", {})).statusCode, 303);
    const trail = (await ctx.services.audit.list({ limit: 10_000 })).filter(
      (e) => e.details.ip === ip2 || e.entityId === String(second.account.id),
    );
    const succeeded = trail.find((e) => e.action === "login.succeeded");
    assert.ok(succeeded, trail.map((e) => e.action).join(", "));
    assert.equal(succeeded.details.username, second.account.address);
    assert.equal(succeeded.details.userAgent, ua);
    const logout = trail.find((e) => e.action === "logout");
    assert.ok(logout, trail.map((e) => e.action).join(", "));
    assert.equal(logout.entityId, String(second.account.id));
    assert.equal(logout.details.ip, ip2);
    assert.equal(logout.details.userAgent, ua);

    const all = JSON.stringify(await ctx.services.audit.list({ limit: 10_000 }));
    for (const secret of [GOOD_PASSWORD, wrong, "mauvais-mot-de-passe"]) {
      assert.ok(!all.includes(secret), `the audit trail never holds a password (${secret})`);
    }
  });
});

describe("every failure looks the same", () => {
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

  it("wrong username, wrong password, disabled account, departed person: 401, same page, typed username kept", async () => {
    const wrongPassword = await personalAccount(ctx.services);
    const disabled = await personalAccount(ctx.services);
    const departed = await personalAccount(ctx.services);
    const initial = await initialAccount(ctx.services);
    await ctx.services.directory.disableAccount(disabled.account.username, "test");
    // A full HR import without the departed person.
    const tmp = tempDir();
    try {
      const file = writeCsv(tmp.dir, "rh.csv", staffCsv([wrongPassword.row, disabled.row, initial.row]));
      const report = await ctx.services.staffImport.importFile(file, { actor: "test", full: true });
      assert.deepEqual(report.rejected, []);
    } finally {
      tmp.remove();
    }
    const gone = await ctx.services.directory.credentials(departed.account.username);
    assert.equal(gone?.account.holder.type === "person" && gone.account.holder.status, "departed");

    const cases: Array<[string, string, string]> = [
      ["unknown username", `Inconnu${randomBytes(3).toString("hex")}`, GOOD_PASSWORD],
      ["wrong password", wrongPassword.account.username.toUpperCase(), "Pas le bon mot de passe du tout"],
      ["disabled account (right password)", disabled.account.username, GOOD_PASSWORD],
      ["departed person (right password)", departed.account.address, GOOD_PASSWORD],
      ["initial account, wrong NUMEN", initial.account.username, "12A3456789ABC"],
    ];
    const c = new WebClient(app, nextIp());
    await c.get("/");
    const bodies: string[] = [];
    for (const [what, username, password] of cases) {
      const res = await c.post("/connexion", { username, password });
      assert.equal(res.statusCode, 401, what);
      assert.equal(formError(res), INVALID, what);
      assert.equal(inputValue(res.body, "username"), username, `${what}: the typed username stays in the field`);
      assert.equal(inputValue(res.body, "password"), "", `${what}: the password is never sent back`);
      assert.equal(sessionCookie(res), undefined, what);
      bodies.push(withoutCsrfTokens(res.body).replace(`value="${username}"`, 'value=""'));
    }
    for (let i = 1; i < bodies.length; i++) {
      assert.equal(bodies[i], bodies[0], `${cases[i]?.[0]} answers exactly like ${cases[0]?.[0]}`);
    }
    // No session was opened for any of them; each failure is audited.
    const fromHere = (await ctx.services.audit.list({ limit: 10_000 })).filter((e) => e.details.ip === c.ip);
    assert.deepEqual(
      fromHere.map((e) => e.action),
      cases.map(() => "login.failed"),
    );
    assert.deepEqual(
      fromHere.map((e) => e.details.username),
      cases.map(([, username]) => username.trim().toLowerCase()).reverse(),
    );
    const ids = [wrongPassword, disabled, departed, initial].map((x) => x.account.id);
    const sessions = await ctx.services.database.db
      .selectFrom("session")
      .select("id_hash")
      .where("account_id", "in", ids)
      .execute();
    assert.equal(sessions.length, 0);
  });

  it("empty fields are named next to them, and nothing is checked", async () => {
    const c = new WebClient(app, nextIp());
    await c.get("/");
    const res = await c.post("/connexion", { username: "  ", password: "" });
    assert.equal(res.statusCode, 400);
    assert.ok((textOfId(res.body, "champ-username-erreur") ?? "").includes("Saisissez votre nom d'utilisateur."));
    assert.ok((textOfId(res.body, "champ-password-erreur") ?? "").includes("Saisissez votre mot de passe."));
  });
});

describe("timing: unknown user vs wrong password (default argon2 parameters)", () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  before(async () => {
    ctx = await openTestServices("sqlite", { SESAME_ARGON2_MEMORY_KIB: "19456", SESAME_ARGON2_TIME_COST: "2" });
    app = await testApp(ctx.services);
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  it("same status and body, medians of 30 tries within 20 % of each other", async (t) => {
    const TRIES = 30;
    const WARMUP = 5;
    // Each try is measured against the mean of its set (one try of each kind, back to back), so that
    // a burst of load on this shared machine cancels out (test/helpers/timing.ts); another round only
    // when a round is out of bounds. A real difference (a path skipping argon2 costs several times
    // less) fails every round.
    const ROUNDS = 4;
    const n = TRIES + WARMUP;
    const rows = Array.from({ length: 2 * n * ROUNDS }, () => uniqueStaff());
    await seedStaff(ctx.services, rows);
    const personal: Account[] = [];
    const initial: Account[] = [];
    const hash = await ctx.services.hasher.hash(GOOD_PASSWORD);
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    for (const [i, row] of rows.entries()) {
      const account = await accountOf(ctx.services, row);
      if (i % 2 === 0) {
        await ctx.services.directory.setPasswordHash(account.id, hash, "personal", null);
        personal.push(account);
      } else initial.push(account);
    }
    // One browser's CSRF cookie and token, sent from a distinct address each time.
    const first = new WebClient(app, nextIp());
    await first.get("/");
    const attempt = async (username: string): Promise<{ ms: number; res: LightMyRequestResponse }> => {
      const c = new WebClient(app, nextIp());
      for (const [k, v] of first.cookies) c.cookies.set(k, v);
      c.csrf = first.csrf;
      const start = process.hrtime.bigint();
      const res = await c.post("/connexion", { username, password: "Un mauvais mot de passe assez long" });
      return { ms: Number(process.hrtime.bigint() - start) / 1e6, res };
    };
    const kinds = ["unknown", "wrong", "initial"] as const;
    let reference: string | undefined;
    const summaries: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const sets: Record<(typeof kinds)[number], number>[] = [];
      for (let i = 0; i < n; i++) {
        const set = { unknown: 0, wrong: 0, initial: 0 };
        // Interleaved, in a rotating order so that drift is spread evenly.
        for (let k = 0; k < kinds.length; k++) {
          const kind = kinds[(i + k) % kinds.length] ?? "unknown";
          const username =
            kind === "unknown"
              ? `absent${randomBytes(4).toString("hex")}`
              : ((kind === "wrong" ? personal[round * n + i] : initial[round * n + i])?.username ?? "");
          const { ms, res } = await attempt(username);
          assert.equal(res.statusCode, 401, `${kind} #${i}`);
          const body = withoutCsrfTokens(res.body).replace(`value="${username}"`, 'value=""');
          reference ??= body;
          assert.equal(body, reference, `${kind} #${i}: the same page`);
          set[kind] = ms;
        }
        if (i >= WARMUP) sets.push(set);
      }
      const { medians: m, ok, summary: figures } = compareKinds(sets, kinds);
      const summary = `round ${round + 1}: ${figures}`;
      t.diagnostic(summary);
      summaries.push(summary);
      // Every kind paid for an argon2 verification at the default parameters (several ms here).
      assert.ok(Math.min(m.unknown, m.wrong, m.initial) > 2, summary);
      if (ok) return;
    }
    assert.fail(`medians differ by more than 20 %: ${summaries.join("; ")}`);
  });
});

type Backend = "sqlite" | "postgres" | "redis";

/** Own services on a fake clock; "redis" keeps its counters in Redis (database: SQLite). */
async function openThrottled(backend: Backend, clock: FakeClock) {
  const prefix = `sesame-test:${randomBytes(6).toString("hex")}:`;
  const ctx = await openTestServices(
    backend === "postgres" ? "postgres" : "sqlite",
    backend === "redis" ? { SESAME_REDIS_URL: REDIS_URL } : {},
    { clock, redisPrefix: prefix, challengeSettings: { cost: 1, counterMin: 1, counterMax: 5 } },
  );
  const app = await testApp(ctx.services);
  return {
    ctx,
    app,
    close: async () => {
      await app.close();
      if (ctx.services.redis) await deleteRedisKeys(ctx.services.redis, prefix);
      await ctx.close();
    },
  };
}

function retryAfter(res: LightMyRequestResponse): number {
  return Number(res.headers["retry-after"]);
}

for (const backend of ["sqlite", "postgres", "redis"] as const) {
  describe(`per-account throttling (${backend})`, () => {
    it("after 5 failures even the right password gets 429 with Retry-After and when to retry; then it works", async () => {
      const clock = new FakeClock("2026-01-15T08:00:00.000Z");
      const t = await openThrottled(backend, clock);
      try {
        const { account } = await personalAccount(t.ctx.services);
        const c = new WebClient(t.app, nextIp());
        for (let i = 0; i < 5; i++) {
          const res = await c.login(account.username, `faux ${i}`);
          assert.equal(res.statusCode, 401, `failure ${i + 1}`);
          clock.advance(1_000);
        }
        // Through the address too: the account, not the text typed, is counted.
        const res = await c.login(account.address, GOOD_PASSWORD);
        assert.equal(res.statusCode, 429);
        const lastFailure = clock.now().getTime() - 1_000;
        const retryAt = new Date(lastFailure + MIN);
        assert.equal(retryAfter(res), 59);
        assert.equal(
          formError(res),
          `Trop de tentatives de connexion pour ce compte. Par sécurité, réessayez à partir de ${frenchTime(retryAt)}.`,
        );
        assert.ok(formError(res).includes("09 h 01"), "Paris time");
        assert.equal(inputValue(res.body, "username"), account.address);
        assert.equal(sessionCookie(res), undefined);
        assert.equal((await t.ctx.services.audit.list({ action: "login.throttled" })).length, 1);

        clock.advance(59_000);
        const ok = await c.login(account.username, GOOD_PASSWORD);
        assert.equal(ok.statusCode, 303);
        assert.equal(ok.headers.location, "/mail");
        assert.ok(sessionCookie(ok));
      } finally {
        await t.close();
      }
    });
  });
}

describe("per-account throttling over time", () => {
  it("waits double from 1 minute up to 15, for an account that does not exist too", async () => {
    const clock = new FakeClock();
    const t = await openThrottled("sqlite", clock);
    try {
      const username = `personne${randomBytes(4).toString("hex")}`;
      const c = new WebClient(t.app, nextIp());
      for (let i = 0; i < 5; i++) assert.equal((await c.login(username, `x${i}`)).statusCode, 401);
      const waits: number[] = [];
      for (let i = 0; i < 7; i++) {
        const refused = await c.login(username, "encore");
        assert.equal(refused.statusCode, 429, `wait ${i + 1}`);
        waits.push(retryAfter(refused));
        clock.advance(retryAfter(refused) * 1000 - 1_000);
        assert.equal((await c.login(username, "encore")).statusCode, 429, "not before the time said");
        clock.advance(1_000);
        assert.equal((await c.login(username, `faux ${i}`)).statusCode, 401, `after wait ${i + 1}`);
      }
      assert.deepEqual(waits, [60, 120, 240, 480, 900, 900, 900]);
    } finally {
      await t.close();
    }
  });

  it("never more than 25 failures per 24 h, and never a permanent lock", async () => {
    const clock = new FakeClock();
    const t = await openThrottled("sqlite", clock);
    try {
      const { account } = await personalAccount(t.ctx.services);
      const c = new WebClient(t.app, nextIp());
      const start = clock.now().getTime();
      let failures = 0;
      while (failures < 25) {
        const res = await c.login(account.username, `faux ${failures}`);
        if (res.statusCode === 429) clock.advance(retryAfter(res) * 1000);
        else {
          assert.equal(res.statusCode, 401);
          failures++;
        }
      }
      // Past the 15-minute wait, the 24 h limit holds, even against the right password.
      clock.advance(16 * MIN);
      const refused = await c.login(account.username, GOOD_PASSWORD);
      assert.equal(refused.statusCode, 429);
      const expected = Math.ceil((start + 24 * HOUR - clock.now().getTime()) / 1000);
      assert.equal(retryAfter(refused), expected);
      assert.ok(formError(refused).includes(frenchTime(new Date(start + 24 * HOUR))), formError(refused));
      const daily = (await t.ctx.services.audit.list({ action: "login.throttled" }))[0]; // newest first
      assert.equal(daily?.details.reason, "daily_limit");
      assert.equal((await t.ctx.services.audit.list({ action: "login.failed" })).length, 25);

      clock.advance(expected * 1000);
      const ok = await c.login(account.username, GOOD_PASSWORD);
      assert.equal(ok.statusCode, 303, "the account opens again once the oldest failure is 24 h old");
    } finally {
      await t.close();
    }
  });
});

describe("per-IP proof of work (ALTCHA)", () => {
  it("after 20 failures in 10 minutes the form carries a challenge, required, accepted once solved, not twice", async () => {
    // altcha-lib checks expiry against the real time too: the fake clock starts now.
    const clock = new FakeClock(systemClock.now());
    const t = await openThrottled("sqlite", clock);
    try {
      const { account } = await personalAccount(t.ctx.services);
      const ip = nextIp();
      const c = new WebClient(t.app, ip);
      for (let i = 0; i < 20; i++) {
        const res = await c.login(`quelquun${i}${randomBytes(3).toString("hex")}`, "devine");
        assert.equal(res.statusCode, 401, `failure ${i + 1}`);
        // The page after the 20th failure already carries the challenge the next attempt needs.
        if (i < 19) assert.doesNotMatch(res.body, /altcha-widget/, `no challenge yet after ${i + 1} failures`);
        else assert.match(res.body, /<altcha-widget\b/, "a challenge after 20 failures");
        clock.advance(20_000);
      }
      const page = await c.get("/");
      assert.match(page.body, /<altcha-widget\b/);
      assert.ok(textOf(page.body).includes("Une courte vérification automatique est demandée"));
      // Another address is not concerned.
      assert.doesNotMatch((await new WebClient(t.app, nextIp()).get("/")).body, /altcha-widget/);

      // Without a solved challenge, even the right password is refused.
      const without = await c.post("/connexion", { username: account.username, password: GOOD_PASSWORD });
      assert.equal(without.statusCode, 429);
      assert.ok(formError(without).startsWith("De nombreuses tentatives de connexion viennent de votre réseau."));
      assert.equal(inputValue(without.body, "username"), account.username);
      assert.equal(sessionCookie(without), undefined);
      const garbage = await c.post("/connexion", {
        username: account.username,
        password: GOOD_PASSWORD,
        altcha: "e30=",
      });
      assert.equal(garbage.statusCode, 429);

      const payload = await solveChallengeOf(garbage.body);
      const solved = await c.post("/connexion", {
        username: account.username,
        password: GOOD_PASSWORD,
        altcha: payload,
      });
      assert.equal(solved.statusCode, 303);
      assert.equal(solved.headers.location, "/mail");

      // The same solution again, from another browser on that network: refused.
      const other = new WebClient(t.app, ip);
      await other.get("/");
      const replay = await other.post("/connexion", {
        username: account.username,
        password: GOOD_PASSWORD,
        altcha: payload,
      });
      assert.equal(replay.statusCode, 429);
      assert.equal(sessionCookie(replay), undefined);
      const required = await t.ctx.services.audit.list({ action: "login.challenge_required" });
      assert.equal(required.length, 3);

      // The window is 10 minutes: once the failures are older, no challenge.
      clock.advance(10 * MIN);
      assert.doesNotMatch((await other.get("/")).body, /altcha-widget/);
    } finally {
      await t.close();
    }
  });
});
