/**
 * The display preferences (« Affichage » in Paramètres) on SQLite and PostgreSQL: the defaults of an
 * account that never chose, saved apart from the other settings (neither erases the other), values
 * outside their choices refused naming their field, nothing audited or told to the holder; the
 * page's own form (CSRF, 400 at the field with the values posted, 303 with its notice), another
 * account untouched.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { DEFAULT_DISPLAY, type DisplayPreferences } from "../../src/mail/settings.service.js";
import { isDomainError } from "../../src/shared/errors.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { inputTag, signedInClient, staffWithPassword, testApp, textOf } from "../helpers/web.js";

const CHOSEN: DisplayPreferences = {
  readingPane: "off",
  groupByConversation: true,
  density: "compact",
  showSize: true,
};

/** Whether the `<input>` named `name` with this value is checked in the page. */
function checked(html: string, name: string, value: string): boolean {
  for (const m of html.matchAll(/<input\b[^>]*>/g)) {
    if (m[0].includes(` name="${name}"`) && m[0].includes(` value="${value}"`)) return /\schecked\b/.test(m[0]);
  }
  throw new Error(`no input ${name}=${value}`);
}

for (const dialect of DIALECTS) {
  describe(`display preferences (${dialect})`, () => {
    let t: TestContext;
    let app: FastifyInstance;
    before(async () => {
      t = await openTestServices(dialect);
      app = await testApp(t.services);
    });
    after(async () => {
      await app.close();
      await t.close();
    });

    const changesTold = async (accountId: number) =>
      (await t.services.audit.forEntity("account", accountId, ["mail.settings_changed"])).length;
    const inboxTotal = async (accountId: number) => (await t.services.mail.folderByRole(accountId, "inbox")).total;

    it("defaults, saved apart from the other settings, never audited nor told", async () => {
      const { settings } = t.services;
      const a = await staffWithPassword(t.services);
      const b = await staffWithPassword(t.services);
      assert.deepEqual(await settings.display(a.id), DEFAULT_DISPLAY);
      assert.deepEqual(DEFAULT_DISPLAY, {
        readingPane: "right",
        groupByConversation: false,
        density: "comfortable",
        showSize: false,
      });

      assert.deepEqual(await settings.updateDisplay(a.id, CHOSEN), CHOSEN);
      assert.deepEqual(await settings.display(a.id), CHOSEN);
      assert.deepEqual(await settings.display(b.id), DEFAULT_DISPLAY, "another account untouched");
      // A settings row saved before any display choice: the defaults.
      await settings.update(
        b.id,
        {
          signature: "Bruno",
          awayEnabled: false,
          awayStart: "",
          awayEnd: "",
          awaySubject: "",
          awayText: "",
          forwardAddress: "",
          forwardKeepCopy: true,
        },
        { operator: "test" },
      );
      assert.deepEqual(await settings.display(b.id), DEFAULT_DISPLAY);
      // An account's first row (display only) leaves the other settings at their defaults.
      const others = await settings.get(a.id);
      assert.deepEqual(
        [others.signature, others.away.enabled, others.forward],
        ["", false, { address: null, keepCopy: true }],
      );
      assert.equal(await changesTold(a.id), 0, "no audit event");
      assert.equal(await inboxTotal(a.id), 0, "no notice in the mailbox");

      // The other settings saved: the display kept (and a change of away message is told, unlike display).
      await settings.update(
        a.id,
        {
          signature: "Claire",
          awayEnabled: true,
          awayStart: "",
          awayEnd: "",
          awaySubject: "",
          awayText: "Absente.",
          forwardAddress: "",
          forwardKeepCopy: true,
        },
        { operator: "test" },
      );
      assert.deepEqual(await settings.display(a.id), CHOSEN);
      assert.equal(await changesTold(a.id), 1);
      const told = await inboxTotal(a.id);

      // The display saved again: the other settings kept, nothing more told.
      const back = { ...CHOSEN, readingPane: "right", showSize: false } as const;
      await settings.updateDisplay(a.id, back);
      assert.deepEqual(await settings.display(a.id), back);
      const kept = await settings.get(a.id);
      assert.deepEqual([kept.signature, kept.away.enabled, kept.away.text], ["Claire", true, "Absente."]);
      assert.equal(await changesTold(a.id), 1);
      assert.equal(await inboxTotal(a.id), told);
    });

    it("values outside their choices are refused, naming their field; nothing saved", async () => {
      const a = await staffWithPassword(t.services);
      await t.services.settings.updateDisplay(a.id, CHOSEN);
      const refused: [Record<string, unknown>, string][] = [
        [{ readingPane: "left" }, "readingPane"],
        [{ readingPane: "" }, "readingPane"],
        [{ readingPane: "RIGHT" }, "readingPane"],
        [{ density: "dense" }, "density"],
        [{ density: "toString" }, "density"],
        [{ groupByConversation: "1" }, "groupByConversation"],
        [{ showSize: null }, "showSize"],
      ];
      for (const [change, field] of refused) {
        // biome-ignore lint/suspicious/noExplicitAny: values a typed caller cannot pass, as a form could
        const input = { ...CHOSEN, ...change } as any;
        await assert.rejects(
          t.services.settings.updateDisplay(a.id, input),
          (e) => isDomainError(e, "VALIDATION_FAILED") && e.details.field === field,
          JSON.stringify(change),
        );
      }
      assert.deepEqual(await t.services.settings.display(a.id), CHOSEN);
    });

    it("the « Affichage » form: shown checked, saved with its notice, a bad value at its field (400)", async () => {
      const { account, c } = await signedInClient(t.services, app);
      const other = await staffWithPassword(t.services);
      await t.services.settings.updateDisplay(other.id, CHOSEN);

      const page = await c.get("/mail/parametres");
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<form[^>]*action="\/mail\/parametres\/affichage"/);
      assert.match(page.body, /<legend>Volet de lecture<\/legend>/);
      assert.match(page.body, /<legend>Densité de la liste<\/legend>/);
      assert.ok(checked(page.body, "volet", "right"));
      assert.ok(!checked(page.body, "volet", "off"));
      assert.ok(checked(page.body, "densite", "comfortable"));
      assert.doesNotMatch(inputTag(page.body, "conversations") ?? "", /checked/);
      assert.match(textOf(page.body), /Enregistrer l'affichage/);

      // Without the page's CSRF token: refused, nothing saved.
      const forged = await c.post("/mail/parametres/affichage", { _csrf: "forged", volet: "off", densite: "compact" });
      assert.equal(forged.statusCode, 403);
      assert.deepEqual(await t.services.settings.display(account.id), DEFAULT_DISPLAY);

      const bad = await c.post("/mail/parametres/affichage", { volet: "gauche", densite: "compact", taille: "1" });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /id="champ-volet-erreur"/);
      assert.match(bad.body, /<fieldset[^>]*aria-describedby="champ-volet-erreur champ-volet-aide"/);
      assert.match(textOf(bad.body), /Choisissez où s'affiche le message : « À droite » ou « Désactivé »\./);
      assert.match(bad.body, /<a href="#champ-volet">Volet de lecture : /);
      // The values posted are shown again (the unknown one: no choice checked).
      assert.ok(!checked(bad.body, "volet", "right") && !checked(bad.body, "volet", "off"));
      assert.ok(checked(bad.body, "densite", "compact"));
      assert.match(inputTag(bad.body, "taille") ?? "", /checked/);
      assert.deepEqual(await t.services.settings.display(account.id), DEFAULT_DISPLAY);

      const badDensity = await c.post("/mail/parametres/affichage", { volet: "off", densite: "serree" });
      assert.equal(badDensity.statusCode, 400);
      assert.match(badDensity.body, /id="champ-densite-erreur"/);
      assert.match(textOf(badDensity.body), /Choisissez la densité de la liste : « Confortable » ou « Compacte »\./);

      const saved = await c.post("/mail/parametres/affichage", {
        volet: "off",
        densite: "compact",
        conversations: "1",
        taille: "1",
      });
      assert.equal(saved.statusCode, 303);
      assert.equal(saved.headers.location, "/mail/parametres?affichage");
      const shown = await c.get("/mail/parametres?affichage");
      assert.match(textOf(shown.body), /Vos préférences d'affichage sont enregistrées\./);
      assert.doesNotMatch(textOf(shown.body), /Vos paramètres ont été enregistrés/);
      assert.ok(checked(shown.body, "volet", "off"));
      assert.ok(checked(shown.body, "densite", "compact"));
      assert.match(inputTag(shown.body, "conversations") ?? "", /checked/);
      assert.match(inputTag(shown.body, "taille") ?? "", /checked/);
      assert.deepEqual(await t.services.settings.display(account.id), CHOSEN);

      // Unchecked boxes are absent from the form: false.
      await c.post("/mail/parametres/affichage", { volet: "right", densite: "compact" });
      assert.deepEqual(await t.services.settings.display(account.id), {
        readingPane: "right",
        groupByConversation: false,
        density: "compact",
        showSize: false,
      });
      assert.deepEqual(await t.services.settings.display(other.id), CHOSEN, "another account untouched");
      assert.equal(await changesTold(account.id), 0);
    });
  });
}
