/**
 * The personal address book: add, edit, delete, one entry per address, vCard import
 * and export (ical.js), and the compose page's suggestions from the book and the directory — on
 * SQLite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Account } from "../../src/directory/directory.types.js";
import { isDomainError } from "../../src/shared/errors.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { accountOf, seedStaff, uniqueStaff } from "../helpers/web.js";

const VCARDS = [
  "BEGIN:VCARD",
  "VERSION:3.0",
  "FN:Élise Martin",
  "N:Martin;Élise;;;",
  "EMAIL;TYPE=INTERNET:Elise.Martin@Exemple.FR",
  "END:VCARD",
  "BEGIN:VCARD",
  "VERSION:4.0",
  "FN:Bureau des sorties",
  "EMAIL:sorties@exemple.fr",
  "EMAIL:pas une adresse",
  "END:VCARD",
  "BEGIN:VCARD",
  "VERSION:4.0",
  "FN:Sans adresse",
  "TEL:0102030405",
  "END:VCARD",
  "",
].join("\r\n");

for (const dialect of DIALECTS) {
  describe(`address book (${dialect})`, () => {
    let t: TestContext;
    before(async () => {
      t = await openTestServices(dialect);
    });
    after(() => t.close());

    async function newAccount(overrides: Parameters<typeof uniqueStaff>[0] = {}): Promise<Account> {
      const [row] = await seedStaff(t.services, [uniqueStaff(overrides)]);
      if (!row) throw new Error("no row");
      return accountOf(t.services, row);
    }

    it("adds, edits and deletes entries; one per address; only in its own book", async () => {
      const a = await newAccount();
      const b = await newAccount();
      const { contacts } = t.services;
      const added = await contacts.add(a.id, { name: "Jean Dupont", address: " Jean.Dupont@Exemple.fr " });
      assert.equal(added.address, "jean.dupont@exemple.fr");
      await assert.rejects(contacts.add(a.id, { name: "Autre", address: "jean.dupont@exemple.fr" }), (e) =>
        isDomainError(e, "CONTACT_EXISTS"),
      );
      await assert.rejects(contacts.add(a.id, { name: "X", address: "pas-une-adresse" }), (e) =>
        isDomainError(e, "INVALID_EMAIL"),
      );
      await assert.rejects(contacts.add(a.id, { name: "X\r\nBcc: pirate@exemple.fr", address: "x@exemple.fr" }), (e) =>
        isDomainError(e, "HEADER_INJECTION"),
      );
      await contacts.add(b.id, { name: "Jean Dupont", address: "jean.dupont@exemple.fr" });
      const edited = await contacts.update(a.id, added.id, {
        name: "Jean Dupont (parent)",
        address: "j.dupont@exemple.fr",
      });
      assert.equal(edited.name, "Jean Dupont (parent)");
      await assert.rejects(contacts.update(b.id, added.id, { name: "x", address: "x@exemple.fr" }), (e) =>
        isDomainError(e, "NOT_FOUND"),
      );
      await assert.rejects(contacts.remove(b.id, added.id), (e) => isDomainError(e, "NOT_FOUND"));
      assert.deepEqual(
        (await contacts.list(a.id)).map((c) => c.address),
        ["j.dupont@exemple.fr"],
      );
      await contacts.remove(a.id, added.id);
      assert.deepEqual(await contacts.list(a.id), []);
      assert.equal((await contacts.list(b.id)).length, 1);
    });

    it("imports a vCard file (valid addresses only, never twice) and exports one that reads back", async () => {
      const a = await newAccount();
      const { contacts } = t.services;
      await contacts.add(a.id, { name: "Déjà là", address: "sorties@exemple.fr" });
      const report = await contacts.importVcard(a.id, `\uFEFF${VCARDS}`);
      assert.deepEqual(report, { added: 1, existing: 1, invalid: 2 });
      assert.deepEqual(
        (await contacts.list(a.id)).map((c) => [c.name, c.address]),
        [
          ["Déjà là", "sorties@exemple.fr"],
          ["Élise Martin", "elise.martin@exemple.fr"],
        ],
      );
      const exported = await contacts.exportVcard(a.id);
      assert.match(exported, /^BEGIN:VCARD\r\nVERSION:4\.0\r\n/);
      const b = await newAccount();
      assert.deepEqual(await contacts.importVcard(b.id, exported), { added: 2, existing: 0, invalid: 0 });
      assert.deepEqual(
        (await contacts.list(b.id)).map((c) => c.name),
        ["Déjà là", "Élise Martin"],
      );
      for (const bad of ["", "pas un vcard", "BEGIN:VCARD\r\nFN:x"]) {
        await assert.rejects(contacts.importVcard(a.id, bad), (e) => isDomainError(e, "VCARD_INVALID"), bad);
      }
      await assert.rejects(contacts.importVcard(a.id, "x".repeat(3 * 1024 * 1024)), (e) =>
        isDomainError(e, "VCARD_INVALID"),
      );
    });

    it("suggests from the book first, then the directory's active accounts", async () => {
      const family = `Zorglub${Math.floor(Math.random() * 1e6)}`;
      const colleague = await newAccount({ nom: family, prenom: "Anne" });
      const departed = await newAccount({ nom: family, prenom: "Paul" });
      await t.services.directory.disableAccount(departed.username, "test");
      const a = await newAccount();
      await t.services.contacts.add(a.id, { name: `${family} Famille`, address: "parents@exemple.fr" });
      const found = await t.services.contacts.suggest(a.id, family.toLowerCase());
      assert.deepEqual(
        found.map((s) => [s.source, s.address]),
        [
          ["contacts", "parents@exemple.fr"],
          ["directory", colleague.address],
        ],
      );
      const byAddress = await t.services.contacts.suggest(a.id, colleague.address.slice(0, 6));
      assert.ok(byAddress.some((s) => s.address === colleague.address));
      assert.deepEqual(await t.services.contacts.suggest(a.id, "z"), [], "two characters at least");
      assert.deepEqual(await t.services.contacts.suggest(a.id, "%_"), []);
    });
  });
}
