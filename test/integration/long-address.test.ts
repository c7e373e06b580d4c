/**
 * Very long names (RFC 5321 §4.5.3.1.1: a local part is at most 64 octets) through the real services,
 * on SQLite and PostgreSQL: the HR import and the external accounts give local parts within 64, and
 * the SMTP reception takes mail for them.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type SmtpReception, startSmtpReception } from "../../src/mail/smtp-reception.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { inbox, transport } from "../helpers/smtp.js";
import { accountOf, seedStaff, uniqueStaff } from "../helpers/web.js";

const PRENOM = "Marie-Bernadette-Geneviève";
const NOM = "de La Rochefoucauld-Montbel-Saint-Georges-d'Arvillars";
const LOCAL = "marie-bernadette-genevieve.de-la-rochefoucauld-montbel-saint";

function localOf(address: string): string {
  return address.slice(0, address.lastIndexOf("@"));
}

for (const dialect of DIALECTS) {
  describe(`addresses of very long names (${dialect})`, () => {
    let ctx: TestContext;
    let smtp: SmtpReception;

    before(async () => {
      ctx = await openTestServices(dialect);
      smtp = await startSmtpReception({ mail: ctx.services.mail, config: ctx.config }, { port: 0, host: "127.0.0.1" });
    });

    after(async () => {
      await smtp?.close();
      await ctx?.close();
    });

    it("the HR import gives local parts of at most 64 characters, and the reception takes mail for them", async () => {
      const rows = await seedStaff(ctx.services, [
        uniqueStaff({ prenom: PRENOM, nom: NOM }),
        // Exactly 64 characters: kept whole.
        uniqueStaff({ prenom: "Jean-Pascal", nom: NOM }),
      ]);
      const accounts = await Promise.all(rows.map((r) => accountOf(ctx.services, r)));
      assert.deepEqual(
        accounts.map((a) => a.address),
        [
          `${LOCAL}@${ctx.config.mailDomain}`,
          `jean-pascal.de-la-rochefoucauld-montbel-saint-georges-darvillars@${ctx.config.mailDomain}`,
        ],
      );
      for (const account of accounts) {
        assert.ok(localOf(account.address).length <= 64);
        const info = await transport(smtp.port).sendMail({
          from: "Expéditeur <sender@example.org>",
          to: account.address,
          subject: "Nom composé",
          text: "Bonjour,\nvotre adresse est bien reçue.\n",
        });
        assert.match(info.response, /^250 2\.6\.0 /);
        assert.deepEqual(info.accepted, [account.address]);
        const { items } = await inbox(ctx.services, account.id);
        assert.deepEqual(
          items.map((m) => m.subject),
          ["Nom composé"],
        );
      }
    });

    it("external accounts with a very long name, and their homonyms, stay within 64 characters", async () => {
      const accounts = [];
      for (let i = 0; i < 3; i++) {
        accounts.push(
          await ctx.services.directory.createExternal(
            { prenom: PRENOM, nom: NOM, recoveryEmail: `marie${i}@example.org` },
            "test:admin",
          ),
        );
      }
      const addresses = accounts.map((a) => a.address);
      assert.equal(new Set(addresses).size, 3);
      assert.deepEqual(addresses.map(localOf), [
        "ext.marie-bernadette-genevieve.de-la-rochefoucauld-montbel-saint",
        "ext.marie-bernadette-genevieve.de-la-rochefoucauld-montbel2",
        "ext.marie-bernadette-genevieve.de-la-rochefoucauld-montbel3",
      ]);
      for (const address of addresses) assert.ok(localOf(address).length <= 64, address);

      const info = await transport(smtp.port).sendMail({
        from: "<sender@example.org>",
        to: addresses[2],
        subject: "Homonyme",
        text: "Bonjour.\n",
      });
      assert.deepEqual(info.accepted, [addresses[2]]);
      const { items } = await inbox(ctx.services, accounts[2]?.id ?? 0);
      assert.deepEqual(
        items.map((m) => m.subject),
        ["Homonyme"],
      );
    });

    it("the HR import keeps homonyms of a 64-character local part within 64", async () => {
      const rows = await seedStaff(ctx.services, [
        uniqueStaff({ prenom: "Anne-Sophie", nom: NOM }),
        uniqueStaff({ prenom: "Anne-Sophie", nom: NOM }),
        uniqueStaff({ prenom: "Anne-Sophie", nom: NOM }),
      ]);
      const addresses = await Promise.all(rows.map(async (r) => (await accountOf(ctx.services, r)).address));
      assert.deepEqual(addresses.map(localOf), [
        "anne-sophie.de-la-rochefoucauld-montbel-saint-georges-darvillars",
        "anne-sophie.de-la-rochefoucauld-montbel-saint-georges2",
        "anne-sophie.de-la-rochefoucauld-montbel-saint-georges3",
      ]);
    });
  });
}
