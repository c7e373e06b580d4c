/**
 * The webmail's settings (signature, away message and forwarding) on SQLite and
 * PostgreSQL: the Paramètres page (errors at their field with the values kept, saved values, the
 * signature in a new message), the away message (RFC 3834: once per sender per 7 days, never to
 * lists, bulk mail, bounces, machines or automatic replies, only between its dates), forwarding
 * (local and external, with and without a copy, never half-done, bounces never forwarded).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import { parisDay } from "../../src/mail/settings.service.js";
import { FakeClock } from "../../src/shared/clock.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import {
  inputValue,
  MAILBOX_PASSWORD,
  signedInClient,
  staffWithPassword,
  testApp,
  textOf,
  unescapeHtml,
} from "../helpers/web.js";

const DAY = 24 * 3_600_000;

function message(o: { from: string; to: string; subject?: string; headers?: string; id?: string }): Buffer {
  return Buffer.from(
    `From: ${o.from}\r\nTo: ${o.to}\r\nSubject: ${o.subject ?? "Sortie scolaire"}\r\n` +
      `Message-ID: ${o.id ?? `<${Math.random().toString(36).slice(2)}@exemple.fr>`}\r\n` +
      `Date: Thu, 15 Jan 2026 08:00:00 +0000\r\n${o.headers ?? ""}` +
      "Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\nla sortie est confirmée.\r\n",
  );
}

/** Changes made by an operator (no session, no password asked): the rules of delivery are the subject here. */
const BY_TEST = { operator: "test" } as const;

const NO_SETTINGS = {
  signature: "",
  awayEnabled: false,
  awayStart: "",
  awayEnd: "",
  awaySubject: "",
  awayText: "",
  forwardAddress: "",
  forwardKeepCopy: true,
};

for (const dialect of DIALECTS) {
  describe(`mail settings (${dialect})`, () => {
    let t: TestContext;
    let app: FastifyInstance;
    const clock = new FakeClock("2026-01-15T08:00:00.000Z");
    before(async () => {
      // The delivery rules of forwarding outside without a copy are tested here: allowed by configuration.
      t = await openTestServices(dialect, { SESAME_ALLOW_EXTERNAL_FORWARD_WITHOUT_COPY: "true" }, { clock });
      app = await testApp(t.services);
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    /** The inbox, without Sésame's own notices (a change of settings is told there: tested elsewhere). */
    const inbox = async (accountId: number) => {
      const folder = await t.services.mail.folderByRole(accountId, "inbox");
      return (await t.services.mail.list(accountId, folder.id, null, 200)).items.filter(
        (m) => m.from?.address !== `ne-pas-repondre@${t.config.mailDomain}`,
      );
    };
    const queuedTo = async (recipient: string) => {
      const rows = (await t.services.outboundQueue.list(500)).filter((r) => r.recipient === recipient);
      const db = t.services.database.db;
      return Promise.all(
        rows.map(async (r) => {
          const m = await db
            .selectFrom("outbound_message")
            .select("raw")
            .where("id", "=", r.messageId)
            .executeTakeFirstOrThrow();
          return { ...r, raw: Buffer.from(m.raw).toString("utf8") };
        }),
      );
    };
    const deliverTo = (account: Account, raw: Buffer, envelopeFrom: string | null) =>
      t.services.mail.deliver(raw, [{ accountId: account.id, address: account.address }], { envelopeFrom });
    const away = async (account: Account, from: string, to: string, extra: Partial<typeof NO_SETTINGS> = {}) =>
      t.services.settings.update(
        account.id,
        {
          ...NO_SETTINGS,
          awayEnabled: true,
          awayStart: from,
          awayEnd: to,
          awayText: "Je suis absente jusqu'au 24 janvier.",
          ...extra,
        },
        BY_TEST,
      );

    it("the Paramètres page: errors at their field with the values kept, then saved and shown again", async () => {
      const { account, c } = await signedInClient(t.services, app);
      const page = await c.get("/mail/parametres");
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<a href="\/mail\/parametres">Paramètres<\/a>/);
      assert.equal(inputValue(page.body, "du"), "");
      const form = {
        signature: "Claire Martin\nProfesseure de lettres",
        absence: "1",
        du: "31/02/2026",
        au: "20/01/2026",
        objet: "Absente",
        message: "Je reviens le 21.",
        transfert: "",
        copie: "1",
      };
      const badDate = await c.post("/mail/parametres", form);
      assert.equal(badDate.statusCode, 400);
      assert.match(badDate.body, /id="champ-du-erreur"/);
      assert.match(textOf(badDate.body), /Saisissez une date valide au format JJ\/MM\/AAAA/);
      assert.equal(inputValue(badDate.body, "du"), "31/02/2026");
      assert.equal(inputValue(badDate.body, "objet"), "Absente");
      assert.match(unescapeHtml(badDate.body), /Professeure de lettres<\/textarea>/);
      const reversed = await c.post("/mail/parametres", { ...form, du: "2026-01-22" });
      assert.equal(reversed.statusCode, 400);
      assert.match(reversed.body, /id="champ-au-erreur"/);
      const injected = await c.post("/mail/parametres", { ...form, du: "16/01/2026", objet: "Absente\r\nBcc: x@y.fr" });
      assert.equal(injected.statusCode, 400);
      assert.match(injected.body, /id="champ-objet-erreur"/);
      const badForward = await c.post("/mail/parametres", { ...form, du: "16/01/2026", transfert: "pas une adresse" });
      assert.equal(badForward.statusCode, 400);
      assert.match(badForward.body, /id="champ-transfert-erreur"/);
      assert.equal(inputValue(badForward.body, "transfert"), "pas une adresse");
      const own = await c.post("/mail/parametres", { ...form, du: "16/01/2026", transfert: account.address });
      assert.equal(own.statusCode, 400);
      assert.match(textOf(own.body), /Saisissez une autre adresse que la vôtre/);
      assert.equal((await t.services.settings.get(account.id)).away.enabled, false);
      const saved = await c.post("/mail/parametres", {
        ...form,
        du: "16/01/2026",
        transfert: "claire@exemple.fr",
        copie: "",
        // Forwarding outside the académie: the password typed again.
        motDePasse: MAILBOX_PASSWORD,
      });
      assert.equal(saved.statusCode, 303);
      assert.equal(saved.headers.location, "/mail/parametres?enregistre");
      const shown = await c.get("/mail/parametres?enregistre");
      assert.match(textOf(shown.body), /Vos paramètres ont été enregistrés\./);
      assert.equal(inputValue(shown.body, "du"), "16/01/2026");
      assert.equal(inputValue(shown.body, "au"), "20/01/2026");
      assert.equal(inputValue(shown.body, "transfert"), "claire@exemple.fr");
      assert.match(shown.body, /id="champ-absence"[^>]*checked/);
      assert.doesNotMatch(shown.body, /id="champ-copie"[^>]*checked/);
      const settings = await t.services.settings.get(account.id);
      assert.deepEqual(settings.away, {
        enabled: true,
        start: "2026-01-16",
        end: "20/01/2026".split("/").reverse().join("-"),
        subject: "Absente",
        text: "Je reviens le 21.",
      });
      assert.deepEqual(settings.forward, { address: "claire@exemple.fr", keepCopy: false });
      // A new message starts with the signature; a reply does not get it from here.
      const compose = await c.get("/mail/nouveau");
      assert.match(
        unescapeHtml(compose.body),
        /<textarea[^>]*name="message"[^>]*>\n\n-- \nClaire Martin\nProfesseure de lettres<\/textarea>/,
      );
    });

    it("the away message answers once per sender per 7 days, with the RFC 3834 fields", async () => {
      const a = await staffWithPassword(t.services);
      const today = parisDay(clock.now());
      await away(a, today, parisDay(new Date(clock.now().getTime() + 20 * DAY)));
      const sender = `parent.${a.id}@exemple.fr`;
      const first = message({ from: `Parent <${sender}>`, to: a.address, id: "<q1@exemple.fr>" });
      await deliverTo(a, first, sender);
      let replies = await queuedTo(sender);
      assert.equal(replies.length, 1);
      const reply = replies[0]?.raw ?? "";
      assert.match(reply, /^Auto-Submitted: auto-replied\r?$/m);
      assert.match(reply, /^In-Reply-To: <q1@exemple\.fr>\r?$/m);
      assert.match(reply, /^References: <q1@exemple\.fr>\r?$/m);
      assert.match(reply, new RegExp(`^From: .*<${a.address.replace(/\./g, "\\.")}>\\r?$`, "m"));
      assert.match(reply, /^Subject: =\?UTF-8\?|^Subject: R.ponse automatique : Sortie scolaire/m);
      assert.equal(replies[0]?.envelopeFrom, a.address);
      // The original is in the inbox all the same.
      assert.equal((await inbox(a.id)).length, 1);
      await deliverTo(a, message({ from: sender, to: a.address }), sender);
      clock.advance(6 * DAY);
      await deliverTo(a, message({ from: sender, to: a.address }), sender);
      assert.equal((await queuedTo(sender)).length, 1, "one reply per 7 days");
      clock.advance(DAY + 60_000);
      await deliverTo(a, message({ from: sender, to: a.address }), sender);
      replies = await queuedTo(sender);
      assert.equal(replies.length, 2, "again after 7 days");
      assert.equal((await inbox(a.id)).length, 4);
    });

    it("never answers lists, bulk mail, automatic messages, bounces, machines or itself", async () => {
      const a = await staffWithPassword(t.services);
      await away(a, "", "");
      const cases: [string, string, string | null][] = [
        ["liste", "List-Id: <profs.ac-exemple.fr>\r\n", "liste"],
        ["desinscription", "List-Unsubscribe: <mailto:u@exemple.fr>\r\n", "desinscription"],
        ["masse", "Precedence: bulk\r\n", "masse"],
        ["robot", "Auto-Submitted: auto-generated\r\n", "robot"],
        ["absent", "Auto-Submitted: auto-replied\r\n", "absent"],
        ["rebond", "", null],
      ];
      for (const [who, headers, envelope] of cases) {
        const address = `${who}.${a.id}@exemple.fr`;
        await deliverTo(a, message({ from: address, to: a.address, headers }), envelope === null ? "" : address);
        assert.equal((await queuedTo(address)).length, 0, who);
      }
      const daemon = `MAILER-DAEMON@exemple.fr`;
      await deliverTo(a, message({ from: daemon, to: a.address }), daemon);
      const noreply = `noreply@exemple.fr`;
      await deliverTo(a, message({ from: noreply, to: a.address }), `bounces.${a.id}@exemple.fr`);
      assert.equal((await queuedTo(daemon)).length + (await queuedTo(`bounces.${a.id}@exemple.fr`)).length, 0);
      await deliverTo(a, message({ from: a.address, to: a.address }), a.address);
      // Sent as Bcc (or through a list or a forward): the account is not named in To or Cc.
      const bcc = `collegue.${a.id}@exemple.fr`;
      await deliverTo(a, message({ from: bcc, to: `autre.${a.id}@exemple.fr` }), bcc);
      assert.equal((await queuedTo(bcc)).length, 0, "not named in To or Cc");
      assert.equal((await inbox(a.id)).length, cases.length + 4);
      assert.equal((await inbox(a.id)).filter((m) => m.subject.startsWith("Réponse automatique")).length, 0);
    });

    it("only between its dates (inclusive, Europe/Paris days)", async () => {
      const a = await staffWithPassword(t.services);
      const tomorrow = parisDay(new Date(clock.now().getTime() + DAY));
      await away(a, tomorrow, tomorrow);
      const sender = `dates.${a.id}@exemple.fr`;
      await deliverTo(a, message({ from: sender, to: a.address }), sender);
      assert.equal((await queuedTo(sender)).length, 0, "before the start");
      clock.advance(DAY);
      await deliverTo(a, message({ from: sender, to: a.address }), sender);
      assert.equal((await queuedTo(sender)).length, 1, "on the day");
      clock.advance(8 * DAY);
      await deliverTo(a, message({ from: sender, to: a.address }), sender);
      assert.equal((await queuedTo(sender)).length, 1, "after the end");
    });

    it("a local sender gets the reply in its inbox, and two away messages do not answer each other", async () => {
      const a = await staffWithPassword(t.services);
      const b = await staffWithPassword(t.services);
      await away(a, "", "", { awaySubject: "Absente cette semaine" });
      await away(b, "", "");
      await t.services.send.send(
        b.id,
        { to: a.address, cc: "", bcc: "", subject: "Conseil", text: "Bonjour", attachments: [] },
        { ip: "192.0.2.1", userAgent: "test" },
      );
      const bInbox = await inbox(b.id);
      assert.deepEqual(
        bInbox.map((m) => m.subject),
        ["Absente cette semaine"],
      );
      const raw = (await t.services.mail.raw(b.id, bInbox[0]?.id ?? 0)).toString("utf8");
      assert.match(raw, /^Auto-Submitted: auto-replied\r?$/m);
      assert.deepEqual(
        (await inbox(a.id)).map((m) => m.subject),
        ["Conseil"],
      );
    });

    it("forwards to a local address, with or without a copy; one hop only", async () => {
      const a = await staffWithPassword(t.services);
      const b = await staffWithPassword(t.services);
      const c = await staffWithPassword(t.services);
      await t.services.settings.update(
        a.id,
        { ...NO_SETTINGS, forwardAddress: c.address, forwardKeepCopy: true },
        BY_TEST,
      );
      // C forwards back to A: the copy C receives is not forwarded again.
      await t.services.settings.update(
        c.id,
        { ...NO_SETTINGS, forwardAddress: a.address, forwardKeepCopy: true },
        BY_TEST,
      );
      await deliverTo(a, message({ from: "x@exemple.fr", to: a.address, subject: "Copie" }), "x@exemple.fr");
      assert.equal((await inbox(a.id)).length, 1);
      const cInbox = await inbox(c.id);
      assert.equal(cInbox.length, 1);
      const forwarded = (await t.services.mail.raw(c.id, cInbox[0]?.id ?? 0)).toString("utf8");
      assert.match(forwarded, new RegExp(`^Resent-From: <${a.address.replace(/\./g, "\\.")}>\\r?$`, "m"));
      assert.match(forwarded, /\r\n\r\nBonjour,\r\nla sortie est confirmée\.\r\n$/);
      await t.services.settings.update(
        b.id,
        { ...NO_SETTINGS, forwardAddress: c.address, forwardKeepCopy: false },
        BY_TEST,
      );
      await deliverTo(b, message({ from: "x@exemple.fr", to: b.address, subject: "Sans copie" }), "x@exemple.fr");
      assert.equal((await inbox(b.id)).length, 0, "no copy kept");
      assert.deepEqual((await inbox(c.id)).map((m) => m.subject).sort(), ["Copie", "Sans copie"]);
    });

    it("forwards to an external address through the queue; failures and bounces keep the message", async () => {
      const a = await staffWithPassword(t.services);
      const target = `ailleurs.${a.id}@exemple.org`;
      await t.services.settings.update(
        a.id,
        { ...NO_SETTINGS, forwardAddress: target, forwardKeepCopy: false },
        BY_TEST,
      );
      await deliverTo(a, message({ from: "x@exemple.fr", to: a.address, subject: "Dehors" }), "x@exemple.fr");
      assert.equal((await inbox(a.id)).length, 0);
      const queued = await queuedTo(target);
      assert.equal(queued.length, 1);
      assert.equal(queued[0]?.envelopeFrom, a.address);
      assert.equal(queued[0]?.subject, "Dehors");
      assert.match(queued[0]?.raw ?? "", /^Resent-To: <ailleurs\.\d+@exemple\.org>\r$/m);
      assert.match(queued[0]?.raw ?? "", /\r\nSubject: Dehors\r\n/);
      // A bounce (null sender) is never forwarded: it stays in the inbox.
      await deliverTo(a, message({ from: "MAILER-DAEMON@exemple.org", to: a.address, subject: "Échec" }), "");
      assert.equal((await queuedTo(target)).length, 1);
      assert.deepEqual(
        (await inbox(a.id)).map((m) => m.subject),
        ["Échec"],
      );
      // A local forwarding address that cannot receive: the message is kept, nothing half-done.
      const b = await staffWithPassword(t.services);
      await t.services.settings.update(
        b.id,
        {
          ...NO_SETTINGS,
          forwardAddress: `personne.${b.id}@${t.config.mailDomain}`,
          forwardKeepCopy: false,
        },
        BY_TEST,
      );
      await deliverTo(b, message({ from: "x@exemple.fr", to: b.address, subject: "Gardé" }), "x@exemple.fr");
      assert.deepEqual(
        (await inbox(b.id)).map((m) => m.subject),
        ["Gardé"],
      );
    });
  });
}
