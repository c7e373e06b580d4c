/**
 * The Contacts pages, in-process on SQLite and PostgreSQL: add with errors at the
 * field and values kept, edit, delete, vCard import (pasted) and export, a sender added from a
 * message, the suggestions JSON; another account's contact is a 404; no session, no page.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { fr } from "../../src/web/i18n/fr.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { inputValue, nextMailboxIp, signedInClient, testApp, textOf, unescapeHtml, WebClient } from "../helpers/web.js";

async function signedIn(services: Services, app: FastifyInstance): Promise<{ account: Account; c: WebClient }> {
  const signed = await signedInClient(services, app);
  // The sign-in renewed the CSRF cookie: the page gives the form token that goes with it.
  assert.equal((await signed.c.get("/mail/contacts")).statusCode, 200);
  return signed;
}

for (const dialect of DIALECTS) {
  describe(`Contacts pages (${dialect})`, () => {
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

    it("needs a webmail session", async () => {
      const c = new WebClient(app, nextMailboxIp());
      const res = await c.get("/mail/contacts");
      assert.equal(res.statusCode, 303);
      assert.equal((await c.get("/mail/contacts/suggestions?q=ab")).statusCode, 401);
    });

    it("adds, refuses a bad or repeated address at its field with the values kept, edits and deletes", async () => {
      const { account, c } = await signedIn(t.services, app);
      const page = await c.get("/mail/contacts");
      assert.equal(page.statusCode, 200);
      assert.match(textOf(page.body), /Vous n'avez encore aucun contact\./);
      const bad = await c.post("/mail/contacts", { name: "Jean Dupont", address: "jean.dupont" });
      assert.equal(bad.statusCode, 400);
      assert.equal(inputValue(bad.body, "name"), "Jean Dupont");
      assert.match(bad.body, /id="champ-address-erreur"/);
      assert.ok(textOf(bad.body).includes(fr.codes.INVALID_EMAIL));
      const ok = await c.post("/mail/contacts", { name: "Jean Dupont", address: "Jean.Dupont@exemple.fr" });
      assert.equal(ok.statusCode, 303);
      assert.equal(ok.headers.location, "/mail/contacts?fait=ajoute");
      const again = await c.post("/mail/contacts", { name: "Autre", address: "jean.dupont@exemple.fr" });
      assert.equal(again.statusCode, 409);
      assert.ok(textOf(again.body).includes(fr.codes.CONTACT_EXISTS));
      const [contact] = await t.services.contacts.list(account.id);
      assert.ok(contact);
      const edit = await c.get(`/mail/contacts/${contact.id}/modifier`);
      assert.equal(inputValue(edit.body, "address"), "jean.dupont@exemple.fr");
      const saved = await c.post(`/mail/contacts/${contact.id}/modifier`, {
        name: "Jean Dupont (parent)",
        address: "jean.dupont@exemple.fr",
      });
      assert.equal(saved.statusCode, 303);
      assert.equal((await t.services.contacts.get(account.id, contact.id)).name, "Jean Dupont (parent)");
      const listed = await c.get("/mail/contacts?fait=modifie");
      assert.match(textOf(listed.body), /Le contact a été modifié\./);
      assert.match(unescapeHtml(textOf(listed.body)), /Jean Dupont \(parent\) <jean\.dupont@exemple\.fr>/);
      const removed = await c.post(`/mail/contacts/${contact.id}/supprimer`, {});
      assert.equal(removed.statusCode, 303);
      assert.deepEqual(await t.services.contacts.list(account.id), []);
    });

    it("another account's contact is a 404, as an unknown one", async () => {
      const a = await signedIn(t.services, app);
      const b = await signedIn(t.services, app);
      const contact = await t.services.contacts.add(a.account.id, { name: "Privé", address: "prive@exemple.fr" });
      assert.equal((await b.c.get(`/mail/contacts/${contact.id}/modifier`)).statusCode, 404);
      assert.equal((await b.c.post(`/mail/contacts/${contact.id}/supprimer`, {})).statusCode, 404);
      assert.equal((await b.c.get("/mail/contacts/abc/modifier")).statusCode, 404);
      assert.equal((await t.services.contacts.list(a.account.id)).length, 1);
    });

    it("imports pasted vCards, exports a file that imports back, and says when the text is not vCard", async () => {
      const { account, c } = await signedIn(t.services, app);
      const vcard = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Élise Martin\r\nEMAIL:elise.martin@exemple.fr\r\nEND:VCARD\r\n";
      const imported = await c.post("/mail/contacts/importer", { vcard });
      assert.equal(imported.statusCode, 303);
      assert.match(String(imported.headers.location), /fait=importe&ajoutes=1&presents=0&invalides=0/);
      const notice = await c.get(String(imported.headers.location));
      assert.match(textOf(notice.body), /Importation terminée : 1 contact ajouté\./);
      const exported = await c.get("/mail/contacts/contacts.vcf");
      assert.equal(exported.statusCode, 200);
      assert.match(String(exported.headers["content-type"]), /^text\/vcard/);
      assert.match(String(exported.headers["content-disposition"]), /^attachment/);
      assert.match(exported.body, /FN:Élise Martin/);
      const bad = await c.post("/mail/contacts/importer", { vcard: "ceci n'est pas un vcard" });
      assert.equal(bad.statusCode, 400);
      assert.ok(textOf(bad.body).includes(fr.codes.VCARD_INVALID));
      assert.equal((await t.services.contacts.list(account.id)).length, 1);
    });

    it("adds a message's sender and goes back to the message; suggests as one types", async () => {
      const { account, c } = await signedIn(t.services, app);
      const res = await c.post("/mail/contacts", {
        name: "Claire Fontaine",
        address: "claire.fontaine@exemple.fr",
        retour: "/mail/messages/12",
      });
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, "/mail/messages/12?fait=contact");
      const twice = await c.post("/mail/contacts", {
        name: "Claire Fontaine",
        address: "claire.fontaine@exemple.fr",
        retour: "https://ailleurs.exemple/",
      });
      assert.equal(twice.headers.location, "/mail/contacts", "never back to another site");
      const suggestions = await c.get("/mail/contacts/suggestions?q=clai");
      assert.equal(suggestions.statusCode, 200);
      const body = JSON.parse(suggestions.body) as { suggestions: { address: string; source: string }[] };
      assert.deepEqual(body.suggestions[0], {
        name: "Claire Fontaine",
        address: "claire.fontaine@exemple.fr",
        source: "contacts",
      });
      const self = JSON.parse((await c.get(`/mail/contacts/suggestions?q=${account.address.slice(0, 5)}`)).body) as {
        suggestions: { address: string }[];
      };
      assert.ok(
        self.suggestions.some((s) => s.address === account.address),
        "the directory is searched too",
      );
    });
  });
}
