/**
 * Assistance à l'identification, the external path: a username
 * or a recovery address in, the same answer whatever matched, and a single-use link (15 minutes,
 * one live per account, cancelled by a newer one or a password change, at most 3 messages per
 * account per hour) sent to the confirmed recovery address. Asserts the pages and the state after
 * (reset_token rows, outbox, account, audit).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { FakeClock } from "../../src/shared/clock.js";
import { sha256Hex } from "../../src/shared/crypto.js";
import type { DialectName } from "../../src/storage/database.js";
import { openTestServices, type TestContext } from "../helpers/env.js";
import { messagesTo } from "../helpers/mail-to.js";
import {
  accountOf,
  seedStaff,
  testApp,
  textOf,
  textOfId,
  uniqueStaff,
  WebClient,
  withoutCsrfTokens,
} from "../helpers/web.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const SENT =
  "Si un compte correspond, un message vient d'être envoyé à son adresse de secours avec un lien valable 15 minutes.";
const INVALID_LINK = "Ce lien n'est pas valable : il a expiré, a déjà servi ou a été remplacé par un lien plus récent.";
const NEW_PASSWORD = "Trois tortues traversent la Loire à la nage";
const OTHER_PASSWORD = "Sept hérons gris dorment sur la digue";
const GOOD_PASSWORD = "Quatre chevaux galopent sous la pluie d'automne";

let ipCounter = 0;
function nextIp(): string {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

function uniqueEmail(): string {
  return `secours.${randomBytes(5).toString("hex")}@exemple.fr`;
}

async function open(options: { clock?: FakeClock } = {}, dialect: DialectName = "sqlite") {
  const ctx: TestContext = await openTestServices(dialect, {}, options.clock ? { clock: options.clock } : {});
  const app: FastifyInstance = await testApp(ctx.services);
  return {
    ctx,
    app,
    services: ctx.services,
    close: async () => {
      await app.close();
      await ctx.close();
    },
  };
}

async function external(services: Services, recoveryEmail = uniqueEmail()): Promise<Account> {
  return services.directory.createExternal(
    { nom: `Prestataire${randomBytes(3).toString("hex")}`, prenom: "Claire", recoveryEmail },
    "test",
  );
}

/** Asks for a link from the external section, as the page does. */
async function ask(c: WebClient, identifier: string): Promise<LightMyRequestResponse> {
  await c.get("/assistance/choix?section=externe");
  return c.post("/assistance/externe", { identifier });
}

async function outboxFor(services: Services, to: string) {
  return messagesTo(services, to);
}

/** The tokens of the reset links sent to an address, newest first. */
async function linksSentTo(services: Services, to: string): Promise<string[]> {
  const out: string[] = [];
  for (const m of await outboxFor(services, to)) {
    const found = /\/assistance\/reinitialiser\/([A-Za-z0-9_-]+)/.exec(m.text);
    if (found?.[1]) out.push(found[1]);
  }
  return out;
}

async function tokenRows(services: Services, accountId: number) {
  return services.database.db
    .selectFrom("reset_token")
    .selectAll()
    .where("account_id", "=", accountId)
    .orderBy("created_at", "asc")
    .execute();
}

function assertInvalidLink(res: LightMyRequestResponse, what: string): void {
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${what}: ${res.statusCode}`);
  assert.equal(res.statusCode, 410, what);
  const text = textOf(res.body);
  assert.ok(text.includes("Lien non valable"), `${what}: ${text}`);
  assert.ok(text.includes(INVALID_LINK), `${what}: ${text}`);
  assert.doesNotMatch(res.body, /name="newPassword"/, `${what}: no password form`);
}

function fieldError(res: LightMyRequestResponse, name: string): string {
  return (textOfId(res.body, `champ-${name}-erreur`) ?? "").replace(/^Erreur : /, "");
}

describe("asking for a link", () => {
  it("the same answer (status and page) for a username, a recovery address, and what matches nothing", async () => {
    const t = await open();
    try {
      const ext = await external(t.services);
      const staffRow = uniqueStaff();
      await seedStaff(t.services, [staffRow]);
      const staffNoAddress = await accountOf(t.services, staffRow);
      const c = new WebClient(t.app, nextIp());
      const cases: Array<[string, string]> = [
        ["external username", ext.username],
        ["external username, upper case", ext.username.toUpperCase()],
        ["recovery address, domain in upper case", (ext.recoveryEmail ?? "").replace("@exemple.fr", "@EXEMPLE.FR")],
        ["unknown username", `ext-personne${randomBytes(3).toString("hex")}`],
        ["unknown address", uniqueEmail()],
        ["staff without a recovery address", staffNoAddress.username],
        ["not an address", "@@"],
      ];
      await c.get("/assistance/choix?section=externe");
      const bodies: string[] = [];
      for (const [what, identifier] of cases) {
        const res = await c.post("/assistance/externe", { identifier });
        assert.equal(res.statusCode, 200, what);
        const text = textOf(res.body);
        assert.ok(text.includes("Demande enregistrée"), `${what}: ${text}`);
        assert.ok(text.includes(SENT), `${what}: ${text}`);
        assert.ok(!res.body.includes(identifier), `${what}: nothing typed is echoed`);
        bodies.push(withoutCsrfTokens(res.body));
      }
      for (let i = 1; i < bodies.length; i++) {
        assert.equal(bodies[i], bodies[0], `${cases[i]?.[0]} answers exactly like ${cases[0]?.[0]}`);
      }
      // Only the three matching requests sent something, to the recovery address, never elsewhere.
      await t.services.recovery.processResetRequests();
      const all = await t.services.outbound.listOutbox({ limit: 100 });
      assert.deepEqual(
        all.map((m) => m.recipient),
        [ext.recoveryEmail, ext.recoveryEmail, ext.recoveryEmail],
      );
      assert.equal(all[0]?.subject, "Réinitialisation de votre mot de passe");
      assert.ok(all[0]?.text.includes(`du compte ${ext.username}`), "the username is given too");
      assert.ok(all[0]?.text.includes("dans les 15 minutes"), all[0]?.text);
      const requested = await t.services.audit.list({ action: "recovery.link_requested" });
      assert.deepEqual(requested.map((e) => e.details.matched).reverse(), [
        true,
        true,
        true,
        false,
        false,
        false,
        false,
      ]);
      assert.equal((await t.services.audit.list({ action: "recovery.link_sent" })).length, 3);
      // Only the SHA-256 of a token is stored, the newest one live, the others cancelled.
      const rows = await tokenRows(t.services, ext.id);
      assert.equal(rows.length, 3);
      const [newest] = await linksSentTo(t.services, ext.recoveryEmail ?? "");
      assert.ok(newest);
      assert.match(newest, /^[A-Za-z0-9_-]{43}$/, "256 random bits, base64url");
      assert.equal(rows.filter((r) => r.cancelled_at === null).length, 1);
      assert.equal(rows.find((r) => r.cancelled_at === null)?.token_hash, sha256Hex(newest));
      const trail = JSON.stringify(await t.services.audit.list({ limit: 10_000 }));
      assert.ok(!trail.includes(newest), "never a token in the audit trail");
    } finally {
      await t.close();
    }
  });

  it("an empty field is named, a 400; a disabled account or an unconfirmed address gets nothing", async () => {
    const t = await open();
    try {
      const c = new WebClient(t.app, nextIp());
      await c.get("/assistance/choix?section=externe");
      const empty = await c.post("/assistance/externe", { identifier: "  " });
      assert.equal(empty.statusCode, 400);
      assert.equal(fieldError(empty, "identifier"), "Saisissez votre identifiant ou votre adresse de secours.");
      assert.match(empty.body, /<details class="choice" id="externe" open/);

      const disabled = await external(t.services);
      await t.services.directory.disableAccount(disabled.username, "test");
      // A staff member whose recovery address is waiting for its code.
      const [row] = await seedStaff(t.services, [uniqueStaff()]);
      assert.ok(row);
      const staff = await accountOf(t.services, row);
      const pending = uniqueEmail();
      await t.services.database.db
        .updateTable("account")
        .set({ recovery_email: pending, recovery_confirmed: 0 })
        .where("id", "=", staff.id)
        .execute();
      for (const identifier of [disabled.username, disabled.recoveryEmail ?? "", staff.username, pending]) {
        const res = await c.post("/assistance/externe", { identifier });
        assert.equal(res.statusCode, 200);
        assert.ok(textOf(res.body).includes(SENT));
      }
      await t.services.recovery.processResetRequests();
      assert.equal((await t.services.outbound.listOutbox({ limit: 100 })).length, 0);
      assert.equal((await tokenRows(t.services, disabled.id)).length, 0);
      assert.equal((await tokenRows(t.services, staff.id)).length, 0);
    } finally {
      await t.close();
    }
  });

  it("at most 3 messages per account per hour, the same answer beyond; the next hour it sends again", async () => {
    const clock = new FakeClock();
    const t = await open({ clock });
    try {
      const ext = await external(t.services);
      const c = new WebClient(t.app, nextIp());
      const bodies: string[] = [];
      for (let i = 0; i < 5; i++) {
        const identifier = i % 2 ? ext.username : (ext.recoveryEmail ?? "");
        const res = await ask(c, identifier);
        assert.equal(res.statusCode, 200);
        bodies.push(withoutCsrfTokens(res.body));
        // Worked on right after the answer, before the (fake) time moves on.
        await t.services.recovery.processResetRequests();
        clock.advance(2 * MIN);
      }
      assert.ok(
        bodies.every((b) => b === bodies[0]),
        "the throttled requests look the same",
      );
      assert.equal((await outboxFor(t.services, ext.recoveryEmail ?? "")).length, 3);
      assert.equal((await tokenRows(t.services, ext.id)).length, 3);
      const throttled = await t.services.audit.list({ action: "recovery.link_throttled" });
      assert.equal(throttled.length, 2);
      assert.equal(throttled[0]?.entityId, String(ext.id));
      // The third link, sent before the limit, still works: refused requests cancel nothing.
      const [third] = await linksSentTo(t.services, ext.recoveryEmail ?? "");
      assert.equal((await c.get(`/assistance/reinitialiser/${third}`)).statusCode, 200);

      // An hour after the first message, one more can go.
      clock.advance(HOUR - 10 * MIN + 1_000);
      assert.equal((await ask(c, ext.username)).statusCode, 200);
      assert.equal((await outboxFor(t.services, ext.recoveryEmail ?? "")).length, 4);
    } finally {
      await t.close();
    }
  });
});

for (const dialect of ["sqlite", "postgres"] as const) {
  describe(`the link (${dialect})`, () => {
    it("opens the password form once: the policy applies, the password is set, the link is spent", async () => {
      const t = await open({}, dialect);
      try {
        const ext = await external(t.services);
        assert.equal(ext.passwordState, "must_change");
        const c = new WebClient(t.app, nextIp());
        await ask(c, ext.username);
        const [token] = await linksSentTo(t.services, ext.recoveryEmail ?? "");
        assert.ok(token);
        const url = `/assistance/reinitialiser/${token}`;
        const form = await c.get(url);
        assert.equal(form.statusCode, 200);
        assert.equal(form.headers["referrer-policy"], "strict-origin");
        const text = textOf(form.body);
        assert.ok(text.includes("Choisissez un nouveau mot de passe"), text);
        assert.ok(text.includes(`Compte : ${ext.username}`), text);
        assert.ok(text.includes("compter entre 12 et 128 caractères"), text);

        // Refused by the policy: the link stays usable, nothing stored.
        const weak = await c.post(url, { newPassword: "azerty", confirmation: "azerty" });
        assert.equal(weak.statusCode, 422);
        assert.ok(fieldError(weak, "newPassword").includes("Le mot de passe doit compter au moins 12 caractères."));
        const mismatch = await c.post(url, { newPassword: NEW_PASSWORD, confirmation: `${NEW_PASSWORD}!` });
        assert.equal(mismatch.statusCode, 422);
        assert.equal(
          fieldError(mismatch, "confirmation"),
          "La confirmation ne correspond pas au nouveau mot de passe.",
        );
        const missing = await c.post(url, { newPassword: "", confirmation: "" });
        assert.equal(missing.statusCode, 400);
        assert.equal(fieldError(missing, "newPassword"), "Saisissez votre nouveau mot de passe.");
        assert.equal((await t.services.directory.credentials(ext.username))?.passwordHash, null);
        assert.equal((await tokenRows(t.services, ext.id))[0]?.used_at, null);

        const done = await c.post(url, { newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD });
        assert.equal(done.statusCode, 200);
        const doneText = textOf(done.body);
        assert.ok(
          doneText.includes(
            `Le mot de passe de ${ext.username} a été modifié. Vous pouvez maintenant vous connecter au webmail.`,
          ),
          doneText,
        );
        assert.equal(
          done.cookies.find((k) => k.name === "sesame" && k.value !== ""),
          undefined,
          "nobody is logged in",
        );
        const stored = await t.services.directory.credentials(ext.username);
        assert.equal(stored?.account.passwordState, "personal");
        assert.ok(await t.services.hasher.verify(stored?.passwordHash ?? "", NEW_PASSWORD));
        const rows = await tokenRows(t.services, ext.id);
        assert.ok(rows[0]?.used_at, "the link is marked used");
        // Told at both addresses.
        for (const to of [ext.address, ext.recoveryEmail ?? ""]) {
          const subjects = (await outboxFor(t.services, to)).map((m) => m.subject);
          assert.ok(subjects.includes("Votre mot de passe a été modifié"), `${to}: ${subjects.join(", ")}`);
        }
        const audited = (await t.services.audit.list({ limit: 10_000 })).filter(
          (e) => e.entityId === String(ext.id) && e.action.startsWith("password."),
        );
        assert.equal(audited.length, 1);
        assert.equal(audited[0]?.actor, "web:assistance");

        // Used: it no longer works, and a second try changes nothing.
        assertInvalidLink(await c.get(url), "reused (GET)");
        const again = await c.post(url, { newPassword: OTHER_PASSWORD, confirmation: OTHER_PASSWORD });
        assertInvalidLink(again, "reused (POST)");
        assert.equal((await t.services.directory.credentials(ext.username))?.passwordHash, stored?.passwordHash);

        // The webmail opens with the new password.
        const w = new WebClient(t.app, nextIp());
        const login = await w.login(ext.username, NEW_PASSWORD);
        assert.equal(login.statusCode, 303);
        assert.equal(login.headers.location, "/mail");
      } finally {
        await t.close();
      }
    });
  });
}

describe("links that no longer work", () => {
  it("a newer link cancels the older one", async () => {
    const clock = new FakeClock();
    const t = await open({ clock });
    try {
      const ext = await external(t.services);
      const c = new WebClient(t.app, nextIp());
      await ask(c, ext.username);
      clock.advance(MIN);
      await ask(c, ext.recoveryEmail ?? "");
      const [newer, older] = await linksSentTo(t.services, ext.recoveryEmail ?? "");
      assert.ok(newer && older && newer !== older);
      assertInvalidLink(await c.get(`/assistance/reinitialiser/${older}`), "older (GET)");
      assertInvalidLink(
        await c.post(`/assistance/reinitialiser/${older}`, { newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD }),
        "older (POST)",
      );
      assert.equal((await t.services.directory.credentials(ext.username))?.passwordHash, null);
      assert.equal((await c.get(`/assistance/reinitialiser/${newer}`)).statusCode, 200);
      const rows = await tokenRows(t.services, ext.id);
      assert.equal(rows.find((r) => r.token_hash === sha256Hex(older))?.cancelled_at, clock.now().toISOString());
      assert.equal(rows.find((r) => r.token_hash === sha256Hex(newer))?.cancelled_at, null);
    } finally {
      await t.close();
    }
  });

  it("expires after 15 minutes (fake clock)", async () => {
    const clock = new FakeClock();
    const t = await open({ clock });
    try {
      const ext = await external(t.services);
      const c = new WebClient(t.app, nextIp());
      await ask(c, ext.username);
      const [token] = await linksSentTo(t.services, ext.recoveryEmail ?? "");
      const url = `/assistance/reinitialiser/${token}`;
      clock.advance(15 * MIN - 1_000);
      assert.equal((await c.get(url)).statusCode, 200, "at 14 min 59 s");
      clock.advance(1_000);
      assertInvalidLink(await c.get(url), "at 15 min");
      assertInvalidLink(await c.post(url, { newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD }), "POST");
      assert.equal((await t.services.directory.credentials(ext.username))?.passwordHash, null);
    } finally {
      await t.close();
    }
  });

  it("a password change cancels the live link: from the account page, from the NUMEN path", async () => {
    const clock = new FakeClock();
    const t = await open({ clock });
    try {
      const [row] = await seedStaff(t.services, [uniqueStaff()]);
      assert.ok(row);
      const staff = await accountOf(t.services, row);
      const email = uniqueEmail();
      await t.services.directory.setPasswordHash(
        staff.id,
        await t.services.hasher.hash(GOOD_PASSWORD),
        "personal",
        null,
      );
      await t.services.directory.setRecoveryEmail(staff.id, email, "test");
      const c = new WebClient(t.app, nextIp());

      // A staff account with a confirmed recovery address gets a link too (by username or address).
      await ask(c, staff.address);
      const [first] = await linksSentTo(t.services, email);
      assert.ok(first);
      assert.equal((await c.get(`/assistance/reinitialiser/${first}`)).statusCode, 200);
      clock.advance(MIN);
      // The account page: change the password.
      await c.get("/assistance/connexion");
      assert.equal(
        (await c.post("/assistance/connexion", { username: staff.username, password: GOOD_PASSWORD })).statusCode,
        303,
      );
      await c.get("/assistance/mon-compte");
      const changed = await c.post("/assistance/mon-compte/mot-de-passe", {
        currentPassword: GOOD_PASSWORD,
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
      });
      assert.equal(changed.statusCode, 303);
      assertInvalidLink(await c.get(`/assistance/reinitialiser/${first}`), "after the account page change");
      assert.ok((await tokenRows(t.services, staff.id))[0]?.cancelled_at);

      // The NUMEN path.
      clock.advance(MIN);
      await ask(c, staff.username);
      const [second] = await linksSentTo(t.services, email);
      assert.ok(second && second !== first);
      assert.equal((await c.get(`/assistance/reinitialiser/${second}`)).statusCode, 200);
      clock.advance(MIN);
      const r = new WebClient(t.app, nextIp());
      await r.get("/assistance/numen");
      await r.post("/assistance/numen", {
        numen: row.numen,
        birthDate: row.date_naissance,
        accountType: "academique",
      });
      await r.get(`/assistance/compte/mot-de-passe/${staff.id}`);
      const viaNumen = await r.post(`/assistance/compte/mot-de-passe/${staff.id}`, {
        newPassword: OTHER_PASSWORD,
        confirmation: OTHER_PASSWORD,
      });
      assert.equal(viaNumen.statusCode, 303);
      assertInvalidLink(await c.get(`/assistance/reinitialiser/${second}`), "after the NUMEN path change");
      const stored = await t.services.directory.credentials(staff.username);
      assert.ok(await t.services.hasher.verify(stored?.passwordHash ?? "", OTHER_PASSWORD));
    } finally {
      await t.close();
    }
  });

  it("a password change in the webmail cancels the live link too", async () => {
    const clock = new FakeClock();
    const t = await open({ clock });
    try {
      // Still on the initial password (NUMEN): the first webmail login forces a change.
      const [row] = await seedStaff(t.services, [uniqueStaff()]);
      assert.ok(row);
      const staff = await accountOf(t.services, row);
      const email = uniqueEmail();
      await t.services.directory.setRecoveryEmail(staff.id, email, "test");
      const c = new WebClient(t.app, nextIp());
      await ask(c, staff.username);
      const [token] = await linksSentTo(t.services, email);
      assert.ok(token);
      clock.advance(MIN);
      const w = new WebClient(t.app, nextIp());
      assert.equal((await w.login(staff.username, row.numen)).headers.location, "/changer-mot-de-passe");
      await w.get("/changer-mot-de-passe");
      const forced = await w.post("/changer-mot-de-passe", { newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD });
      assert.equal(forced.statusCode, 303);
      assert.equal((await t.services.directory.credentials(staff.username))?.account.passwordState, "personal");
      // The link from before the change must not set the password again behind the person's back.
      assertInvalidLink(await c.get(`/assistance/reinitialiser/${token}`), "after the webmail change (GET)");
      assertInvalidLink(
        await c.post(`/assistance/reinitialiser/${token}`, {
          newPassword: OTHER_PASSWORD,
          confirmation: OTHER_PASSWORD,
        }),
        "after the webmail change (POST)",
      );
      const stored = await t.services.directory.credentials(staff.username);
      assert.ok(await t.services.hasher.verify(stored?.passwordHash ?? "", NEW_PASSWORD));
    } finally {
      await t.close();
    }
  });

  it("too short, too long, altered or random tokens: the French 'lien non valable' page, a 4xx, nothing changed", async () => {
    const t = await open();
    try {
      const ext = await external(t.services);
      const c = new WebClient(t.app, nextIp());
      await ask(c, ext.username);
      const [token] = await linksSentTo(t.services, ext.recoveryEmail ?? "");
      assert.ok(token);
      const flip = (s: string, i: number) => `${s.slice(0, i)}${s[i] === "A" ? "B" : "A"}${s.slice(i + 1)}`;
      const bad: Array<[string, string]> = [
        ["too short", token.slice(0, 20)],
        ["one character short", token.slice(0, -1)],
        ["one character more", `${token}A`],
        ["altered first character", flip(token, 0)],
        ["altered last character", flip(token, token.length - 1)],
        ["random", randomBytes(32).toString("base64url").slice(0, 43)],
        ["hex", randomBytes(32).toString("hex")],
        ["foreign characters", `${token.slice(0, 42)}%C3%A9`],
        ["very long", "A".repeat(2000)],
      ];
      for (const [what, value] of bad) {
        assertInvalidLink(await c.get(`/assistance/reinitialiser/${value}`), `${what} (GET)`);
        const post = await c.post(`/assistance/reinitialiser/${value}`, {
          newPassword: NEW_PASSWORD,
          confirmation: NEW_PASSWORD,
        });
        assertInvalidLink(post, `${what} (POST)`);
      }
      assert.equal((await t.services.directory.credentials(ext.username))?.passwordHash, null);
      const rows = await tokenRows(t.services, ext.id);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.used_at, null);
      assert.equal(rows[0]?.cancelled_at, null);
      // The real one still works.
      assert.equal((await c.get(`/assistance/reinitialiser/${token}`)).statusCode, 200);
      // A tampered CSRF token on the form: 403, nothing changed.
      const forged = await c.post(`/assistance/reinitialiser/${token}`, {
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
        _csrf: "0".repeat(64),
      });
      assert.equal(forged.statusCode, 403);
      assert.equal((await t.services.directory.credentials(ext.username))?.passwordHash, null);
    } finally {
      await t.close();
    }
  });
});
