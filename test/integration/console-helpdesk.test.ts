/**
 * The helpdesk's person card and actions (`/console/assistance/personnes/:id`), on SQLite and
 * PostgreSQL: the card (never a NUMEN, a birth date nor a mail subject), the NUMEN and birth-date
 * checks (throttled, audited without the value), every action with its required reason written to
 * the audit trail under the agent, the temporary password (24 h, changed at first use), « Compte
 * compromis » refusing every door until a new password, a departed person refused.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import type { Account } from "../../src/directory/directory.types.js";
import { BackoffThrottle } from "../../src/identity/throttle.js";
import { RedisFailureStore } from "../../src/identity/throttle.repository.js";
import type { Services } from "../../src/services.js";
import { FakeClock } from "../../src/shared/clock.js";
import { closeRedis, openRedis, pingRedis } from "../../src/shared/redis.js";
import { consoleAgent, location, totp } from "../helpers/console.js";
import { DIALECTS, openTestServices, REDIS_URL, type TestContext } from "../helpers/env.js";
import { messagesTo } from "../helpers/mail-to.js";
import type { StaffRow } from "../helpers/staff.js";
import {
  accountOf,
  WebClient as Client,
  MAILBOX_PASSWORD,
  nextMailboxIp,
  seedStaff,
  testApp,
  textOf,
  uniqueStaff,
  type WebClient,
} from "../helpers/web.js";

const NEW_PASSWORD = "Un jardin de glycines au bord du Rhône";

for (const dialect of DIALECTS) {
  describe(`the helpdesk's person card (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    const clock = new FakeClock("2026-12-04T08:00:00.000Z");
    let agent: { account: Account; c: WebClient; secret: string };
    let stepOffset = 0;
    before(async () => {
      ctx = await openTestServices(dialect, {}, { clock });
      services = ctx.services;
      app = await testApp(services);
      agent = await consoleAgent(services, app, "assistance", clock);
    });
    after(async () => {
      await app.close();
      await ctx.close();
    });

    const actor = () => `console:${agent.account.username}`;

    /** A caller: a staff member with a personal password and, unless told, a confirmed recovery address. */
    async function caller(
      recovery = true,
    ): Promise<{ row: StaffRow; account: Account; personId: number; email: string }> {
      const row = uniqueStaff();
      await seedStaff(services, [row]);
      const account = await accountOf(services, row);
      await services.directory.setPasswordHash(
        account.id,
        await services.hasher.hash(MAILBOX_PASSWORD),
        "personal",
        null,
      );
      const email = `secours.${account.id}@exemple.org`;
      if (recovery) await services.directory.setRecoveryEmail(account.id, email, "test");
      assert.equal(account.holder.type, "person");
      const personId = account.holder.type === "person" ? account.holder.personId : 0;
      return { row, account: await services.directory.getAccountById(account.id), personId, email };
    }

    const cardUrl = (personId: number) => `/console/assistance/personnes/${personId}`;

    async function act(personId: number, form: Record<string, string>) {
      await agent.c.get(cardUrl(personId));
      return agent.c.post(`${cardUrl(personId)}/actions`, { code: "", ...form });
    }

    /** A fresh TOTP code (never the same step twice). */
    async function code(): Promise<string> {
      stepOffset += 30;
      return totp(agent.secret, clock, stepOffset);
    }

    const signIn = (username: string, password: string) =>
      services.login.authenticate({ identifier: username, password, ip: nextMailboxIp(), channel: "imap" });

    async function helpdeskEvents(action: string, entityId: number) {
      return (await services.audit.list({ actorPrefix: "console:" })).filter(
        (e) => e.action === action && e.entityId === String(entityId),
      );
    }

    it("the card: identity, accounts, masked recovery address, sign-ins per door; no NUMEN, birth date or subject", async () => {
      const { row, account, personId } = await caller();
      await services.outbound.send({ to: account.address, subject: "Objet très confidentiel 4521", text: "Bonjour" });
      assert.equal((await messagesTo(services, account.address))[0]?.subject, "Objet très confidentiel 4521");
      const web = new Client(app, nextMailboxIp());
      assert.equal((await web.login(account.username, "pas le bon")).statusCode, 401);
      await assert.rejects(signIn(account.username, "pas le bon non plus"), { code: "INVALID_CREDENTIALS" });
      assert.equal(location(await new Client(app, nextMailboxIp()).login(account.username, MAILBOX_PASSWORD)), "/mail");

      const search = await agent.c.get(`/console/assistance?q=${encodeURIComponent(row.nom)}`);
      assert.ok(search.body.includes(`href="${cardUrl(personId)}"`), "each hit links to its card");
      const res = await agent.c.get(cardUrl(personId));
      assert.equal(res.statusCode, 200);
      const text = textOf(res.body);
      assert.ok(text.includes(`${row.prenom} ${row.nom}`), text);
      assert.ok(text.includes(account.username) && text.includes(account.address), text);
      assert.ok(text.includes("enseignant") && text.includes("0690026D"), text);
      assert.ok(text.includes(`s••••@exemple.org (confirmée)`), text);
      assert.ok(!text.includes(`secours.${account.id}`), "the recovery address is masked");
      for (const door of ["webmail", "IMAP"]) assert.ok(text.includes(door), door);
      assert.ok(text.includes("échec") && text.includes("réussie"), text);
      assert.ok(text.includes("Sessions ouvertes"), "the open webmail session is listed");
      const [dd, mm, yyyy] = row.date_naissance.split("/");
      for (const secret of [row.numen, row.date_naissance, `${yyyy}-${mm}-${dd}`, "Objet très confidentiel"]) {
        assert.ok(!res.body.includes(secret), `the card never shows ${secret}`);
      }
      assert.equal((await helpdeskEvents("helpdesk.card_viewed", personId)).length, 1);
      assert.equal((await agent.c.get(cardUrl(999_999_999))).statusCode, 404);
      assert.equal((await agent.c.get("/console/assistance/personnes/abc")).statusCode, 404);
      // No console session: 404 as everywhere in the console.
      assert.equal((await new Client(app, nextMailboxIp()).get(cardUrl(personId))).statusCode, 404);
    });

    it("« Vérifier le NUMEN » and the birth date: only « correspond » or not, audited without the value, throttled", async () => {
      const { row, personId } = await caller();
      const verify = async (form: Record<string, string>) => {
        await agent.c.get(cardUrl(personId));
        return agent.c.post(`${cardUrl(personId)}/verifier`, { numen: "", birthDate: "", ...form });
      };
      const wrong = await verify({ what: "numen", numen: "99X9999999ZZZ" });
      assert.equal(wrong.statusCode, 200);
      assert.ok(textOf(wrong.body).includes("NUMEN : ne correspond pas."));
      const right = await verify({ what: "numen", numen: row.numen.toLowerCase() });
      assert.ok(textOf(right.body).includes("NUMEN : correspond."));
      assert.ok(!right.body.includes(row.numen) && !right.body.includes(row.numen.toLowerCase()), "never echoed");
      const birth = await verify({ what: "birthDate", birthDate: row.date_naissance });
      assert.ok(textOf(birth.body).includes("Date de naissance : correspond."));
      assert.ok(!birth.body.includes(row.date_naissance), "never echoed");
      const birthWrong = await verify({ what: "birthDate", birthDate: "01/01/1950" });
      assert.ok(textOf(birthWrong.body).includes("Date de naissance : ne correspond pas."));
      const format = await verify({ what: "birthDate", birthDate: "1er janvier" });
      assert.equal(format.statusCode, 400);
      assert.ok(textOf(format.body).includes("Saisissez la date au format jj/mm/aaaa"));
      const badNumen = await verify({ what: "numen", numen: "123" });
      assert.equal(badNumen.statusCode, 400);

      const checked = await helpdeskEvents("helpdesk.numen_checked", personId);
      assert.deepEqual(
        checked.map((e) => e.details.matched),
        [true, false],
      );
      assert.ok(checked.every((e) => e.actor === actor()));
      const trail = JSON.stringify(await services.audit.list({ actorPrefix: "console:" }));
      assert.ok(!trail.includes(row.numen) && !trail.includes(row.date_naissance), "never the value in the trail");

      // 10 checks an hour per person: the 5 above, 5 more, then refused.
      for (let i = 0; i < 6; i += 1) await verify({ what: "numen", numen: "99X9999999ZZZ" });
      const throttled = await verify({ what: "numen", numen: row.numen });
      assert.equal(throttled.statusCode, 429);
      assert.ok(textOf(throttled.body).includes("Trop de vérifications pour cette personne"));
      assert.ok((await helpdeskEvents("helpdesk.verify_throttled", personId)).length >= 1);
    });

    it("every action needs a reason (400, nothing done); CSRF is checked", async () => {
      const { account, personId } = await caller();
      for (const action of ["lien", "sessions", "desactiver", "compromis", "lever", "temporaire"]) {
        const res = await act(personId, { action, account: String(account.id), reason: "   " });
        assert.equal(res.statusCode, 400, action);
        assert.ok(textOf(res.body).includes("Indiquez le motif de cette action."), action);
      }
      assert.deepEqual(
        (await services.audit.list({ actorPrefix: "console:" })).filter(
          (e) => e.entity === "account" && e.entityId === String(account.id) && e.action.startsWith("helpdesk."),
        ),
        [],
      );
      assert.equal((await services.directory.getAccountById(account.id)).disabled, false);
      const forged = await agent.c.post(`${cardUrl(personId)}/actions`, {
        _csrf: "forged",
        action: "desactiver",
        account: String(account.id),
        reason: "test",
      });
      assert.equal(forged.statusCode, 403);
      assert.equal((await services.directory.getAccountById(account.id)).disabled, false);
    });

    it("lifts a sign-in throttle (second factor again), sends a reset link to the outbox", async () => {
      const { account, personId, email } = await caller();
      for (let i = 0; i < 6; i += 1) await assert.rejects(signIn(account.username, `faux ${i}`));
      await assert.rejects(signIn(account.username, MAILBOX_PASSWORD), { code: "THROTTLED" });
      const card = textOf((await agent.c.get(cardUrl(personId))).body);
      assert.match(card, /Blocage des connexions\s*bloqué jusqu'au/);

      const noCode = await act(personId, { action: "lever", account: String(account.id), reason: "Appel du 4/12" });
      assert.equal(noCode.statusCode, 400);
      assert.ok(textOf(noCode.body).includes("Saisissez le code"));
      const lifted = await act(personId, {
        action: "lever",
        account: String(account.id),
        reason: "Appel du 4/12, identité vérifiée",
        code: await code(),
      });
      assert.equal(lifted.statusCode, 303);
      assert.equal(location(lifted), `${cardUrl(personId)}?fait=blocage-leve`);
      assert.ok(textOf((await agent.c.get(location(lifted))).body).includes("Le blocage des connexions a été levé."));
      assert.equal((await signIn(account.username, MAILBOX_PASSWORD)).accountId, account.id);
      const [liftedEvent] = await helpdeskEvents("helpdesk.throttle_lifted", account.id);
      assert.equal(liftedEvent?.actor, actor());
      assert.equal(liftedEvent?.details.reason, "Appel du 4/12, identité vérifiée");
      assert.equal(liftedEvent?.details.agentAccountId, agent.account.id);

      const link = await act(personId, { action: "lien", account: String(account.id), reason: "Mot de passe oublié" });
      assert.equal(location(link), `${cardUrl(personId)}?fait=lien-envoye`);
      const [sent] = await messagesTo(services, email);
      assert.ok(sent?.text.includes("/assistance/reinitialiser/"), "the link reached the outbox");
      assert.equal(
        (await helpdeskEvents("helpdesk.reset_link_sent", account.id))[0]?.details.reason,
        "Mot de passe oublié",
      );

      const without = await caller(false);
      const refused = await act(without.personId, {
        action: "lien",
        account: String(without.account.id),
        reason: "Mot de passe oublié",
      });
      assert.equal(refused.statusCode, 409);
      assert.ok(textOf(refused.body).includes("n'a pas d'adresse de secours confirmée"));
    });

    it("shows and lifts the Assistance's NUMEN throttle", async () => {
      const { row, account, personId } = await caller();
      for (let i = 0; i < 6; i += 1) {
        await assert.rejects(
          services.recovery.numenSignIn({
            numen: row.numen,
            birthDate: "01/01/1950",
            accountType: "academique",
            ip: nextMailboxIp(),
            userAgent: "test",
          }),
        );
      }
      const card = textOf((await agent.c.get(cardUrl(personId))).body);
      assert.ok(card.includes("Les essais de NUMEN et date de naissance sont bloqués jusqu'au"), card);
      const res = await act(personId, {
        action: "lever-numen",
        account: String(account.id),
        reason: "Appel, NUMEN vérifié",
        code: await code(),
      });
      assert.equal(location(res), `${cardUrl(personId)}?fait=numen-leve`);
      const after = textOf((await agent.c.get(location(res))).body);
      assert.ok(after.includes("Aucun blocage de l'Assistance par NUMEN."), after);
      const event = (await helpdeskEvents("helpdesk.throttle_lifted", personId)).find((e) => e.entity === "person");
      assert.equal(event?.details.throttle, "numen");
      assert.equal(event?.details.reason, "Appel, NUMEN vérifié");
      assert.ok(!JSON.stringify(event).includes(row.numen));
    });

    it("ends the sessions, disables and enables an account, with the reason in the trail", async () => {
      const { account, personId } = await caller();
      const web = new Client(app, nextMailboxIp());
      assert.equal(location(await web.login(account.username, MAILBOX_PASSWORD)), "/mail");
      const ended = await act(personId, { action: "sessions", account: String(account.id), reason: "Session oubliée" });
      assert.equal(location(ended), `${cardUrl(personId)}?fait=sessions-fermees`);
      assert.notEqual((await web.get("/mail")).statusCode, 200, "the webmail session ended");
      assert.equal((await helpdeskEvents("helpdesk.sessions_ended", account.id))[0]?.details.reason, "Session oubliée");

      const off = await act(personId, { action: "desactiver", account: String(account.id), reason: "Demande du chef" });
      assert.equal(location(off), `${cardUrl(personId)}?fait=desactive`);
      assert.equal((await services.directory.getAccountById(account.id)).disabled, true);
      await assert.rejects(signIn(account.username, MAILBOX_PASSWORD), { code: "INVALID_CREDENTIALS" });
      const on = await act(personId, { action: "reactiver", account: String(account.id), reason: "Erreur" });
      assert.equal(location(on), `${cardUrl(personId)}?fait=reactive`);
      assert.equal((await services.directory.getAccountById(account.id)).disabled, false);
      assert.equal(
        (await helpdeskEvents("helpdesk.account_disabled", account.id))[0]?.details.reason,
        "Demande du chef",
      );
      assert.equal((await helpdeskEvents("helpdesk.account_enabled", account.id))[0]?.actor, actor());
    });

    it("« Compte compromis »: every door refuses until a temporary password or an Assistance reset", async () => {
      const { account, personId, email } = await caller();
      const web = new Client(app, nextMailboxIp());
      await web.login(account.username, MAILBOX_PASSWORD);
      const res = await act(personId, {
        action: "compromis",
        account: String(account.id),
        reason: "Hameçonnage signalé",
      });
      assert.equal(location(res), `${cardUrl(personId)}?fait=compromis`);
      assert.notEqual((await web.get("/mail")).statusCode, 200, "sessions ended");
      assert.equal((await new Client(app, nextMailboxIp()).login(account.username, MAILBOX_PASSWORD)).statusCode, 401);
      for (const channel of ["imap", "smtp", "console"] as const) {
        await assert.rejects(
          services.login.authenticate({
            identifier: account.username,
            password: MAILBOX_PASSWORD,
            ip: nextMailboxIp(),
            channel,
          }),
          { code: "INVALID_CREDENTIALS" },
          channel,
        );
      }
      assert.ok(
        (await messagesTo(services, email)).some((m) => m.subject === "Votre compte a été protégé par l'assistance"),
      );
      assert.equal(
        (await helpdeskEvents("helpdesk.account_compromised", account.id))[0]?.details.reason,
        "Hameçonnage signalé",
      );
      const card = textOf((await agent.c.get(cardUrl(personId))).body);
      assert.ok(card.includes("Compte signalé compromis"), card);

      // A new password through the Assistance ends the state.
      await services.passwords.change({
        accountId: account.id,
        newPassword: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
        actor: "web:assistance",
        ip: "192.0.2.1",
      });
      assert.equal((await signIn(account.username, NEW_PASSWORD)).accountId, account.id);
    });

    it("a temporary password: shown once, changed at first sign-in, refused after 24 hours; never for a departed person", async () => {
      const { account, personId, email } = await caller();
      // Marked compromised first: the temporary password is a way back too.
      await act(personId, { action: "compromis", account: String(account.id), reason: "Doute" });
      const res = await act(personId, {
        action: "temporaire",
        account: String(account.id),
        reason: "Appel, identité vérifiée (NUMEN)",
        code: await code(),
      });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers["cache-control"], "no-store");
      const password = /data-temporary-password[^>]*>([^<]+)</.exec(res.body)?.[1];
      assert.ok(password && password.length >= 12, res.body);
      const stored = await services.directory.credentialsById(account.id);
      assert.equal(stored?.account.passwordState, "must_change");
      assert.equal(stored?.passwordExpiresAt, new Date(clock.now().getTime() + 24 * 3_600_000).toISOString());
      assert.equal(stored?.compromisedAt, null);
      const [event] = await helpdeskEvents("helpdesk.temporary_password_set", account.id);
      assert.equal(event?.actor, actor());
      assert.equal(event?.details.reason, "Appel, identité vérifiée (NUMEN)");
      assert.ok(!JSON.stringify(event).includes(password), "never the password in the trail");
      for (const to of [account.address, email]) {
        const notices = await messagesTo(services, to);
        const notice = notices.find((m) => m.subject === "Un mot de passe temporaire a été défini pour votre compte");
        assert.ok(notice, to);
        assert.ok(!notice.text.includes(password), "never the password in the notice");
      }
      // The card no longer shows it.
      assert.ok(!(await agent.c.get(cardUrl(personId))).body.includes(password));

      // The webmail: sign-in, then the forced change.
      const web = new Client(app, nextMailboxIp());
      assert.equal(location(await web.login(account.username, password)), "/changer-mot-de-passe");
      const authenticated = await signIn(account.username, password);
      assert.equal(authenticated.mustChangePassword, true);

      // A departed person: refused with a clear message.
      const gone = await caller();
      await sql`update person set status = 'departed' where id = ${gone.personId}`.execute(services.database.db);
      const refused = await act(gone.personId, {
        action: "temporaire",
        account: String(gone.account.id),
        reason: "Appel",
        code: "",
      });
      assert.equal(refused.statusCode, 409);
      assert.ok(textOf(refused.body).includes("Cette personne a quitté l'académie"), textOf(refused.body));
      assert.equal((await services.directory.credentialsById(gone.account.id))?.account.passwordState, "personal");

      // 24 hours later the temporary password opens nothing (the last test: the clock jumps).
      clock.advance(24 * 3_600_000 + 1_000);
      await assert.rejects(signIn(account.username, password), { code: "INVALID_CREDENTIALS" });
      assert.equal((await new Client(app, nextMailboxIp()).login(account.username, password)).statusCode, 401);
    });
  });
}

describe("a throttle lifted in Redis (several instances)", () => {
  it("forgets the key's failures and streak", async () => {
    const redis = openRedis(REDIS_URL);
    try {
      await pingRedis(redis, REDIS_URL);
      const clock = new FakeClock("2026-12-04T08:00:00.000Z");
      const prefix = `sesame-test:${randomBytes(6).toString("hex")}:`;
      const throttle = new BackoffThrottle(new RedisFailureStore(redis, prefix), clock);
      const key = "login:acct:42";
      for (let i = 0; i < 6; i += 1) await throttle.recordFailure(key);
      assert.equal((await throttle.check(key)).allowed, false);
      await throttle.lift(key);
      assert.equal((await throttle.check(key)).allowed, true);
      assert.deepEqual(await redis.keys(`${prefix}*`), []);
    } finally {
      await closeRedis(redis);
    }
  });
});
