/**
 * What the reader is told about a sender, as the pages show it without JavaScript (app.inject), on
 * SQLite and PostgreSQL: the demo's phishing attempt, delivered through the real SMTP path as
 * `npm start` delivers it, opens with the look-alike banner; an unverified sender gets its line and
 * its marker in the list; a colleague's message gets neither.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { fillDemoMailboxes } from "../../src/demo/demo-mailbox.js";
import type { Services } from "../../src/services.js";
import { systemClock } from "../../src/shared/clock.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { deliverRaw, inbound } from "../helpers/sender-messages.js";
import { bannerText, rowText, signedInClient, testApp } from "../helpers/web.js";

for (const dialect of DIALECTS) {
  describe(`sender warnings in the pages (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    before(async () => {
      ctx = await openTestServices(dialect);
      services = ctx.services;
      app = await testApp(services);
    });
    after(async () => {
      await app?.close();
      await ctx?.close();
    });

    it("the demo's phishing attempt opens with the look-alike banner, most serious first", async () => {
      const { account, c } = await signedInClient(services, app);
      await fillDemoMailboxes({ mail: services.mail, config: ctx.config, clock: systemClock }, [
        { name: "Camille Martin", address: account.address },
      ]);
      const found = await services.mail.search(account.id, { text: "désactivée" }, null, 50);
      const phishing = found.items.find((m) => m.from?.address.endsWith("-securite.com"));
      assert.ok(phishing, "the demo's phishing attempt is in the mailbox");

      const page = await c.get(`/mail/messages/${phishing.id}`);
      assert.equal(page.statusCode, 200);
      const banner = bannerText(page.body);
      const lookalike =
        "Attention : l'adresse de l'expéditeur imite celle de l'académie (ac-lyon-securite.com n'est pas ac-lyon.fr).";
      assert.ok(banner.startsWith(lookalike), `banner: ${banner}`);
      assert.match(banner, /Ce message provient d'un expéditeur extérieur à l'académie\./);
      assert.match(
        banner,
        /Ne répondez à aucune sollicitation vous demandant de fournir vos identifiant et mot de passe\.$/,
      );
      // The banner comes before the body.
      assert.ok(
        page.body.indexOf("inbound-warnings") < page.body.search(/<iframe|class="message-text"/),
        "the banner comes before the body",
      );

      // The list's page that starts with it (the demo fills more than a page, in no fixed order).
      const list = await c.get(`/mail?avant=${phishing.id + 1}`);
      assert.match(rowText(list.body, phishing.id), /Expéditeur qui imite l'académie/);

      // A message of the demo from inside the académie: no banner, no marker.
      const inbox = await services.mail.folderByRole(account.id, "inbox");
      const inside = (await services.mail.list(account.id, inbox.id, null, 200)).items.find(
        (m) => m.from?.address.endsWith("@ac-lyon.fr") && m.warnings.length === 0,
      );
      assert.ok(inside, "the demo has mail from inside the académie");
      assert.equal(bannerText((await c.get(`/mail/messages/${inside.id}`)).body), "");
    });

    it("an unverified sender: its line in the reading view and its marker in the list", async () => {
      const { account, c } = await signedInClient(services, app);
      const raw = [
        "From: Lettre d'information <news@newsletter.example>",
        `To: <${account.address}>`,
        "Subject: Nouveautés",
        "Message-ID: <n1@newsletter.example>",
        "",
        "Les nouveautés du mois.",
      ].join("\r\n");
      const id = await deliverRaw(services, account, raw, inbound(false));
      const banner = bannerText((await c.get(`/mail/messages/${id}`)).body);
      assert.equal(
        banner,
        "L'expéditeur de ce message n'a pas pu être vérifié. Ce message provient d'un expéditeur extérieur à l'académie.",
      );
      const row = rowText((await c.get("/mail")).body, id);
      assert.match(row, /Expéditeur non vérifié/);
    });
  });
}
