/**
 * Assistance à l'identification, the account page: reached with username and password
 * from the assistance "Connexion"; the password change (current one required), the recovery
 * address confirmed by a 6-digit code (10 minutes, 3 tries), the last 10 sign-ins, and the open
 * sessions with "Fermer". Asserts the page and the state after (account, sessions, codes, outbox,
 * audit).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { FakeClock } from "../../src/shared/clock.js";
import { openTestServices, type TestContext } from "../helpers/env.js";
import { messagesTo } from "../helpers/mail-to.js";
import { accountOf, inputValue, seedStaff, testApp, textOf, textOfId, uniqueStaff, WebClient } from "../helpers/web.js";

const MIN = 60_000;
const GOOD_PASSWORD = "Quatre chevaux galopent sous la pluie d'automne";
const NEW_PASSWORD = "Le merle siffle trois fois au fond du jardin";

let ipCounter = 0;
function nextIp(): string {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

function uniqueEmail(): string {
  return `perso.${randomBytes(5).toString("hex")}@exemple.fr`;
}

function fieldError(res: LightMyRequestResponse, name: string): string | null {
  const shown = textOfId(res.body, `champ-${name}-erreur`);
  return shown === null ? null : shown.replace(/^Erreur : /, "");
}

function formError(res: LightMyRequestResponse): string {
  return textOf(/<div class="error-summary"[^>]*>([\s\S]*?)<\/div>/.exec(res.body)?.[1] ?? "");
}

async function open(clock?: FakeClock) {
  const ctx: TestContext = await openTestServices("sqlite", {}, clock ? { clock } : {});
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

/** A staff member with a personal password. */
async function personalAccount(services: Services): Promise<Account> {
  const [row] = await seedStaff(services, [uniqueStaff()]);
  assert.ok(row);
  const account = await accountOf(services, row);
  await services.directory.setPasswordHash(account.id, await services.hasher.hash(GOOD_PASSWORD), "personal", null);
  return account;
}

/** Signs in on the assistance "Connexion" and opens the account page. */
async function signIn(c: WebClient, username: string, password = GOOD_PASSWORD): Promise<LightMyRequestResponse> {
  await c.get("/assistance/connexion");
  const res = await c.post("/assistance/connexion", { username, password });
  assert.equal(res.statusCode, 303, `sign-in of ${username}`);
  assert.equal(res.headers.location, "/assistance/mon-compte");
  const page = await c.get("/assistance/mon-compte");
  assert.equal(page.statusCode, 200);
  return page;
}

async function sessionRows(services: Services, accountId: number) {
  return services.database.db
    .selectFrom("session")
    .select(["id_hash", "kind", "ip"])
    .where("account_id", "=", accountId)
    .execute();
}

/** The last code sent to an address (read from the outbox, as the person reads their mail). */
async function codeSentTo(services: Services, to: string): Promise<string> {
  const [message] = await services.outbound.listOutbox({ to, limit: 1 });
  assert.equal(message?.subject, "Votre code de vérification");
  const m = /^ {4}(\d{6})$/m.exec(message?.text ?? "");
  assert.ok(m?.[1], message?.text);
  return m[1];
}

function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, "0");
}

describe("the assistance Connexion", () => {
  let t: Awaited<ReturnType<typeof open>>;
  before(async () => {
    t = await open();
  });
  after(async () => {
    await t.close();
  });

  it("empty fields are named, a wrong password gets the generic answer, the initial password leads to the forced change", async () => {
    const account = await personalAccount(t.services);
    const c = new WebClient(t.app, nextIp());
    await c.get("/assistance/connexion");
    const empty = await c.post("/assistance/connexion", { username: " ", password: "" });
    assert.equal(empty.statusCode, 400);
    assert.equal(fieldError(empty, "username"), "Saisissez votre nom d'utilisateur.");
    assert.equal(fieldError(empty, "password"), "Saisissez votre mot de passe.");
    const wrong = await c.post("/assistance/connexion", { username: account.username, password: "pas le bon" });
    assert.equal(wrong.statusCode, 401);
    assert.equal(formError(wrong), "Nom d'utilisateur ou mot de passe incorrect.");
    assert.equal(inputValue(wrong.body, "username"), account.username);
    assert.equal(inputValue(wrong.body, "password"), "");
    assert.equal((await sessionRows(t.services, account.id)).length, 0);
    const failed = (await t.services.audit.list({ action: "login.failed" })).filter((e) => e.details.ip === c.ip);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.details.application, "account");

    // Still on the NUMEN: the forced change comes first, as on the webmail.
    const [row] = await seedStaff(t.services, [uniqueStaff()]);
    assert.ok(row);
    const initial = await accountOf(t.services, row);
    const first = new WebClient(t.app, nextIp());
    await first.get("/assistance/connexion");
    const forced = await first.post("/assistance/connexion", { username: initial.username, password: row.numen });
    assert.equal(forced.statusCode, 303);
    assert.equal(forced.headers.location, "/changer-mot-de-passe");
    assert.equal((await first.get("/assistance/mon-compte")).statusCode, 303);
  });
});

describe("the account page", () => {
  it("shows the username, the address, the forms; changes the password with the current one", async () => {
    const t = await open();
    try {
      const account = await personalAccount(t.services);
      await t.services.directory.setRecoveryEmail(account.id, "secours.page@exemple.fr", "test");
      const c = new WebClient(t.app, nextIp());
      const page = await signIn(c, account.username.toUpperCase());
      const text = textOf(page.body);
      assert.ok(text.includes("Mon compte"), text);
      assert.ok(text.includes(`Votre nom d'utilisateur est : ${account.username}`), text);
      assert.ok(text.includes(`Votre adresse électronique : ${account.address}`), text);
      assert.ok(text.includes("Adresse de secours confirmée : secours.page@exemple.fr"), text);
      assert.match(page.body, /<label[^>]*for="champ-currentPassword"[^>]*>Mot de passe actuel/);
      assert.match(page.body, /<form method="post" action="\/assistance\/deconnexion"/);

      // A webmail session elsewhere, to see it end.
      const w = new WebClient(t.app, nextIp());
      assert.equal((await w.login(account.username, GOOD_PASSWORD)).statusCode, 303);
      const hash = (await t.services.directory.credentials(account.username))?.passwordHash;
      const post = (form: Record<string, string>) => c.post("/assistance/mon-compte/mot-de-passe", form);

      const missing = await post({ currentPassword: "", newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD });
      assert.equal(missing.statusCode, 400);
      assert.equal(fieldError(missing, "currentPassword"), "Saisissez votre mot de passe.");
      const wrong = await post({
        currentPassword: "Pas le mot de passe actuel",
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
      });
      assert.equal(wrong.statusCode, 422);
      assert.equal(fieldError(wrong, "currentPassword"), "Le mot de passe actuel est incorrect.");
      assert.equal(fieldError(wrong, "newPassword"), null);
      assert.match(wrong.body, /id="champ-currentPassword"[^>]*aria-invalid="true"/);
      const weak = await post({ currentPassword: GOOD_PASSWORD, newPassword: "soleil", confirmation: "soleil" });
      assert.equal(weak.statusCode, 422);
      assert.ok((fieldError(weak, "newPassword") ?? "").includes("au moins 12 caractères"));
      const same = await post({
        currentPassword: GOOD_PASSWORD,
        newPassword: GOOD_PASSWORD,
        confirmation: GOOD_PASSWORD,
      });
      assert.equal(same.statusCode, 422);
      assert.ok((fieldError(same, "newPassword") ?? "").includes("différent de l'actuel"));
      for (const res of [missing, wrong, weak, same]) {
        assert.ok(!res.body.includes(NEW_PASSWORD) && !res.body.includes(GOOD_PASSWORD), "no password sent back");
      }
      assert.equal((await t.services.directory.credentials(account.username))?.passwordHash, hash);
      assert.equal((await t.services.outbound.listOutbox({ limit: 10 })).length, 0);

      const done = await post({
        currentPassword: GOOD_PASSWORD,
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
      });
      assert.equal(done.statusCode, 303);
      assert.equal(done.headers.location, "/assistance/mon-compte?ok=mot-de-passe");
      const after = await c.get("/assistance/mon-compte?ok=mot-de-passe");
      assert.equal(after.statusCode, 200, "this session goes on");
      assert.ok(textOf(after.body).includes("Votre mot de passe a été modifié."));
      const stored = await t.services.directory.credentials(account.username);
      assert.ok(await t.services.hasher.verify(stored?.passwordHash ?? "", NEW_PASSWORD));
      assert.deepEqual(
        (await sessionRows(t.services, account.id)).map((s) => s.kind),
        ["account"],
        "the webmail session ended",
      );
      assert.equal((await w.get("/mail")).headers.location, "/?expire");
      for (const to of [account.address, "secours.page@exemple.fr"]) {
        const [m] = await messagesTo(t.services, to);
        assert.equal(m?.subject, "Votre mot de passe a été modifié", to);
      }
      const audited = (await t.services.audit.list({ action: "password.changed" })).filter(
        (e) => e.entityId === String(account.id),
      );
      assert.equal(audited.length, 1);
      assert.equal(audited[0]?.actor, "web:account");
      // The old password no longer opens the page; the new one does.
      const other = new WebClient(t.app, nextIp());
      await other.get("/assistance/connexion");
      assert.equal(
        (await other.post("/assistance/connexion", { username: account.username, password: GOOD_PASSWORD })).statusCode,
        401,
      );
      await signIn(other, account.username, NEW_PASSWORD);
    } finally {
      await t.close();
    }
  });

  it("sets a recovery address with the 6-digit code sent to it", async () => {
    const clock = new FakeClock();
    const t = await open(clock);
    try {
      const account = await personalAccount(t.services);
      const c = new WebClient(t.app, nextIp());
      const page = await signIn(c, account.username);
      assert.ok(textOf(page.body).includes("Aucune adresse de secours n'est enregistrée."));

      const invalid = await c.post("/assistance/mon-compte/adresse-de-secours", {
        email: "pas une adresse",
        recoveryPassword: GOOD_PASSWORD,
      });
      assert.equal(invalid.statusCode, 400);
      assert.equal(
        fieldError(invalid, "email"),
        "Saisissez une adresse électronique valide (ex : prenom.nom@exemple.fr).",
      );
      assert.equal(inputValue(invalid.body, "email"), "pas une adresse");
      assert.equal((await t.services.outbound.listOutbox({ limit: 10 })).length, 0);

      const email = uniqueEmail();
      const sent = await c.post("/assistance/mon-compte/adresse-de-secours", {
        email,
        recoveryPassword: GOOD_PASSWORD,
      });
      assert.equal(sent.statusCode, 303);
      const pending = await c.get("/assistance/mon-compte");
      const text = textOf(pending.body);
      assert.ok(text.includes(`Un code à 6 chiffres a été envoyé à ${email}. Il est valable 10 minutes.`), text);
      assert.ok(text.includes("Aucune adresse de secours n'est enregistrée."), "not before the code");
      assert.match(pending.body, /<input[^>]*name="code"[^>]*autocomplete="one-time-code"/);
      const code = await codeSentTo(t.services, email);
      const [message] = await t.services.outbound.listOutbox({ to: email });
      assert.ok(message?.text.includes(account.username), "the message names the account");
      assert.ok(!JSON.stringify(await t.services.audit.list({ limit: 10_000 })).includes(code), "no code audited");

      const confirm = (value: string) => c.post("/assistance/mon-compte/adresse-de-secours/confirmer", { code: value });
      const notDigits = await confirm("12a456");
      assert.equal(notDigits.statusCode, 400);
      assert.equal(fieldError(notDigits, "code"), "Code incorrect. Il vous reste 2 essais.");
      clock.advance(MIN);
      const done = await confirm(` ${code} `);
      assert.equal(done.statusCode, 303);
      assert.equal(done.headers.location, "/assistance/mon-compte?ok=adresse-confirmee");
      const confirmed = textOf((await c.get("/assistance/mon-compte?ok=adresse-confirmee")).body);
      assert.ok(confirmed.includes("Votre adresse de secours est confirmée."), confirmed);
      assert.ok(confirmed.includes(`Adresse de secours confirmée : ${email}`), confirmed);
      const stored = await t.services.directory.getAccountById(account.id);
      assert.equal(stored.recoveryEmail, email);
      assert.equal(stored.recoveryConfirmed, true);
      const audited = (await t.services.audit.list({ action: "account.recovery_email_set" })).filter(
        (e) => e.entityId === String(account.id),
      );
      assert.equal(audited.length, 1);
      // A code serves once.
      const reused = await confirm(code);
      assert.equal(reused.statusCode, 400);

      // It is now a way back: the external path sends a link there.
      const e = new WebClient(t.app, nextIp());
      await e.get("/assistance/choix?section=externe");
      await e.post("/assistance/externe", { identifier: account.username });
      const [link] = await messagesTo(t.services, email);
      assert.equal(link?.subject, "Réinitialisation de votre mot de passe");
    } finally {
      await t.close();
    }
  });

  it("a wrong code three times, then even the right one is refused; a new code replaces the old", async () => {
    const t = await open();
    try {
      const account = await personalAccount(t.services);
      const c = new WebClient(t.app, nextIp());
      await signIn(c, account.username);
      const email = uniqueEmail();
      await c.post("/assistance/mon-compte/adresse-de-secours", { email, recoveryPassword: GOOD_PASSWORD });
      await c.get("/assistance/mon-compte");
      const code = await codeSentTo(t.services, email);
      const confirm = (value: string) => c.post("/assistance/mon-compte/adresse-de-secours/confirmer", { code: value });
      const messages = [
        "Code incorrect. Il vous reste 2 essais.",
        "Code incorrect. Il vous reste 1 essai.",
        "Code incorrect. Demandez un nouveau code.",
      ];
      for (const [i, expected] of messages.entries()) {
        const res = await confirm(wrongCode(code));
        assert.equal(res.statusCode, 400);
        // The last one is said at the address field: the code field is gone with the code.
        assert.equal(fieldError(res, i < 2 ? "code" : "email"), expected, `try ${i + 1}`);
      }
      const refused = await confirm(code);
      assert.equal(refused.statusCode, 400);
      assert.equal(
        fieldError(refused, "email"),
        "Ce code a expiré ou a été trop souvent mal saisi. Demandez un nouveau code.",
      );
      assert.doesNotMatch(refused.body, /name="code"/, "the code form is gone");
      const stored = await t.services.directory.getAccountById(account.id);
      assert.equal(stored.recoveryEmail, null);
      const row = await t.services.database.db
        .selectFrom("verification_code")
        .selectAll()
        .where("account_id", "=", account.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.attempts_left, 0);
      assert.notEqual(row.code_hash, code, "only a keyed hash of the code is kept");
      assert.ok(!row.code_hash.includes(code));

      // A new code: the old one is worth nothing.
      await c.post("/assistance/mon-compte/adresse-de-secours", { email, recoveryPassword: GOOD_PASSWORD });
      await c.get("/assistance/mon-compte");
      const second = await codeSentTo(t.services, email);
      await c.post("/assistance/mon-compte/adresse-de-secours", { email, recoveryPassword: GOOD_PASSWORD });
      await c.get("/assistance/mon-compte");
      const third = await codeSentTo(t.services, email);
      if (second !== third) {
        const old = await confirm(second);
        assert.equal(old.statusCode, 400, "the replaced code");
      }
      assert.equal((await confirm(third)).statusCode, 303);
      assert.equal((await t.services.directory.getAccountById(account.id)).recoveryEmail, email);
    } finally {
      await t.close();
    }
  });

  it("a code expires after 10 minutes (fake clock)", async () => {
    const clock = new FakeClock();
    const t = await open(clock);
    try {
      const account = await personalAccount(t.services);
      const c = new WebClient(t.app, nextIp());
      await signIn(c, account.username);
      const email = uniqueEmail();
      await c.post("/assistance/mon-compte/adresse-de-secours", { email, recoveryPassword: GOOD_PASSWORD });
      const code = await codeSentTo(t.services, email);
      clock.advance(10 * MIN - 1_000);
      const page = await c.get("/assistance/mon-compte");
      assert.match(page.body, /name="code"/, "still waiting at 9 min 59 s");
      clock.advance(1_000);
      const late = await c.get("/assistance/mon-compte");
      assert.doesNotMatch(late.body, /name="code"/, "no code form once expired");
      const res = await c.post("/assistance/mon-compte/adresse-de-secours/confirmer", { code });
      assert.equal(res.statusCode, 400);
      assert.ok(textOf(res.body).includes("Ce code a expiré"), textOf(res.body));
      assert.equal((await t.services.directory.getAccountById(account.id)).recoveryEmail, null);
    } finally {
      await t.close();
    }
  });

  it("refuses an address of the académie itself, before sending any code", async () => {
    const t = await open();
    try {
      const account = await personalAccount(t.services);
      const c = new WebClient(t.app, nextIp());
      await signIn(c, account.username);
      for (const email of [account.address, `quelquun@${"AC-LYON.FR"}`, "x@mail.ac-lyon.fr"]) {
        const res = await c.post("/assistance/mon-compte/adresse-de-secours", {
          email,
          recoveryPassword: GOOD_PASSWORD,
        });
        assert.equal(res.statusCode, 400, email);
        assert.ok(fieldError(res, "email"), `${email}: an error at the field`);
      }
      assert.equal((await t.services.outbound.listOutbox({ limit: 10 })).length, 0);
      assert.equal(
        (await t.services.database.db.selectFrom("verification_code").selectAll().execute()).length,
        0,
        "no code created",
      );
    } finally {
      await t.close();
    }
  });

  it("lists the last 10 sign-ins, newest first, with date, address and application", async () => {
    const clock = new FakeClock();
    const t = await open(clock);
    try {
      const account = await personalAccount(t.services);
      const ips: string[] = [];
      for (let i = 0; i < 12; i++) {
        const w = new WebClient(t.app, nextIp());
        ips.push(w.ip);
        assert.equal((await w.login(account.username, GOOD_PASSWORD)).statusCode, 303);
        clock.advance(MIN);
      }
      const c = new WebClient(t.app, nextIp());
      const page = await signIn(c, account.username);
      const section = /<section aria-labelledby="titre-connexions">([\s\S]*?)<\/section>/.exec(page.body)?.[1] ?? "";
      assert.ok(textOf(section).includes("Dernières connexions Date Adresse IP Application"), textOf(section));
      const rows = [...section.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1).map((m) => textOf(m[1] ?? ""));
      assert.equal(rows.length, 10);
      assert.ok(rows[0]?.includes(c.ip) && rows[0]?.includes("Mon compte"), rows[0]);
      for (let i = 1; i < 10; i++) {
        const ip = ips[12 - i] ?? "";
        assert.ok(rows[i]?.includes(ip) && rows[i]?.includes("Webmail"), `${i}: ${rows[i]}`);
      }
      assert.ok(!textOf(section).includes(` ${ips[0]} `), "the oldest are not listed");
      // French date and time, Paris time: 12 minutes after 08:00 UTC is 09 h 12.
      assert.match(rows[0] ?? "", /15\/01\/2026|15 janvier 2026/);
      assert.match(rows[0] ?? "", /09[ :h]+12/);
    } finally {
      await t.close();
    }
  });

  it("lists the open sessions; 'Fermer' ends another one, never someone else's", async () => {
    const t = await open();
    try {
      const account = await personalAccount(t.services);
      const someoneElse = await personalAccount(t.services);
      const w = new WebClient(t.app, nextIp(), "Mozilla/5.0 (Windows NT 10.0) Navigateur-du-bureau");
      assert.equal((await w.login(account.username, GOOD_PASSWORD)).statusCode, 303);
      const stranger = new WebClient(t.app, nextIp());
      assert.equal((await stranger.login(someoneElse.username, GOOD_PASSWORD)).statusCode, 303);

      const c = new WebClient(t.app, nextIp(), "Mozilla/5.0 (X11; Linux) Navigateur-de-la-maison");
      const page = await signIn(c, account.username);
      const section = /<section aria-labelledby="titre-sessions">([\s\S]*?)<\/section>/.exec(page.body)?.[1] ?? "";
      const text = textOf(section);
      assert.ok(text.includes("Sessions ouvertes"), text);
      assert.ok(text.includes(w.ip) && text.includes("Navigateur-du-bureau"), text);
      assert.ok(text.includes(c.ip) && text.includes("(cette session)"), text);
      assert.ok(!text.includes(stranger.ip), "only this account's sessions");
      const closeForms = [...section.matchAll(/name="session" value="([0-9a-f]{64})"/g)].map((m) => m[1]);
      assert.equal(closeForms.length, 1, "'Fermer' on the other session only");
      assert.match(section, /aria-label="Fermer : [^"]+, 10\.[0-9.]+"/);
      const [webmailSession] = (await sessionRows(t.services, account.id)).filter((s) => s.kind === "webmail");
      assert.equal(closeForms[0], webmailSession?.id_hash);

      // Someone else's session, a made-up one, a malformed one: 404, nothing ends.
      const [strangerSession] = await sessionRows(t.services, someoneElse.id);
      assert.ok(strangerSession);
      for (const forged of [strangerSession.id_hash, randomBytes(32).toString("hex"), "abc", ""]) {
        const res = await c.post("/assistance/mon-compte/sessions/fermer", { session: forged });
        assert.equal(res.statusCode, 404, forged);
        assert.ok(textOf(res.body).includes("Page introuvable"), forged);
      }
      assert.equal((await sessionRows(t.services, someoneElse.id)).length, 1);
      assert.equal((await stranger.get("/mail")).statusCode, 200);
      assert.equal((await sessionRows(t.services, account.id)).length, 2);

      await c.get("/assistance/mon-compte");
      const closed = await c.post("/assistance/mon-compte/sessions/fermer", { session: closeForms[0] ?? "" });
      assert.equal(closed.statusCode, 303);
      assert.equal(closed.headers.location, "/assistance/mon-compte?ok=session-fermee");
      const after = await c.get("/assistance/mon-compte?ok=session-fermee");
      assert.ok(textOf(after.body).includes("La session a été fermée."));
      assert.ok(!textOf(after.body).includes("Navigateur-du-bureau"));
      assert.deepEqual(
        (await sessionRows(t.services, account.id)).map((s) => s.kind),
        ["account"],
      );
      const mail = await w.get("/mail");
      assert.equal(mail.statusCode, 303);
      assert.equal(mail.headers.location, "/?expire");
      // Without a session, the forms lead back to the Connexion.
      const anonymous = new WebClient(t.app, nextIp());
      await anonymous.get("/assistance/connexion");
      const res = await anonymous.post("/assistance/mon-compte/sessions/fermer", {
        session: strangerSession.id_hash,
      });
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, "/assistance/connexion");
      assert.equal((await sessionRows(t.services, someoneElse.id)).length, 1);
    } finally {
      await t.close();
    }
  });
});
