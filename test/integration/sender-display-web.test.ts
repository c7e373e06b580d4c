/**
 * The sender as the pages show it without JavaScript, through app.inject on SQLite
 * and PostgreSQL: the real domain beside a name that holds an address or comes from outside, the
 * punycode form beside a look-alike domain, and a Reply-To that sends answers elsewhere — in the
 * list, in the reading view and on the reply page.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Services } from "../../src/services.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { deliverRaw, LOOKALIKE_ASCII, LOOKALIKE_UNICODE, senderCases } from "../helpers/sender-messages.js";
import { rowText, signedInClient, testApp, textOf, unescapeHtml } from "../helpers/web.js";

/** The text of the reading view's headers and what follows them up to the body. */
function headersText(html: string): string {
  const start = html.indexOf('<dl class="message-headers">');
  assert.ok(start >= 0, "the reading view has its headers");
  const end = html.indexOf('<div class="message-text"', start);
  return unescapeHtml(textOf(html.slice(start, end < 0 ? undefined : end)));
}

for (const dialect of DIALECTS) {
  describe(`sender display in the pages (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    before(async () => {
      ctx = await openTestServices(dialect);
      services = ctx.services;
      app = await testApp(services);
    });
    after(async () => {
      await app.close();
      await ctx.close();
    });

    it("the list shows the real domain beside a disguised or outside name, the punycode beside a look-alike", async () => {
      const { account, c } = await signedInClient(services, app, { prenom: "Hélène", nom: "Boucher" });
      const domain = services.config.mailDomain;
      const cases = senderCases(account, domain);
      const spoofed = await deliverRaw(services, account, cases.spoofedName);
      const lookalike = await deliverRaw(services, account, cases.lookalike);
      const colleague = await deliverRaw(services, account, cases.colleague);

      const list = await c.get("/mail");
      assert.equal(list.statusCode, 200);
      const spoofedRow = rowText(list.body, spoofed);
      assert.match(spoofedRow, new RegExp(`dsi@${domain.replace(/\./g, "\\.")} \\(adresse chez evil\\.example\\)`));
      assert.match(
        spoofedRow,
        /Sélectionner le message « Mise à jour de votre messagerie » de dsi@\S+ \(adresse chez evil\.example\)/,
        "the checkbox's label says it too",
      );
      assert.match(
        rowText(list.body, lookalike),
        new RegExp(`Direction \\(adresse chez ${LOOKALIKE_UNICODE.replace(/\./g, "\\.")}, soit ${LOOKALIKE_ASCII}\\)`),
      );
      const colleagueRow = rowText(list.body, colleague);
      assert.match(colleagueRow, /Jean Dupont/);
      assert.doesNotMatch(colleagueRow, /adresse chez/, "a colleague of the académie is shown by name");

      // The reading view: the full address, and what the reader is warned of.
      const spoofedView = headersText((await c.get(`/mail/messages/${spoofed}`)).body);
      assert.match(spoofedView, new RegExp(`De dsi@${domain.replace(/\./g, "\\.")} <attacker@evil\\.example>`));
      assert.match(
        spoofedView,
        /le nom affiché de l'expéditeur contient une adresse électronique.*attacker@evil\.example/,
      );

      const lookalikeView = headersText((await c.get(`/mail/messages/${lookalike}`)).body);
      assert.match(lookalikeView, new RegExp(`Direction <dsi@${LOOKALIKE_UNICODE}>, soit dsi@${LOOKALIKE_ASCII}`));
      assert.match(lookalikeView, new RegExp(`mélange des caractères de plusieurs alphabets.*${LOOKALIKE_ASCII}`));

      const colleagueView = headersText((await c.get(`/mail/messages/${colleague}`)).body);
      assert.doesNotMatch(colleagueView, /Attention|Les réponses iront/, "nothing to warn of");
    });

    it("a Reply-To elsewhere is said in the reading view and on the reply page, whose « À » holds it", async () => {
      const { account, c } = await signedInClient(services, app, { prenom: "Paul", nom: "Langevin" });
      const cases = senderCases(account, services.config.mailDomain);
      const id = await deliverRaw(services, account, cases.replyElsewhere);

      const view = headersText((await c.get(`/mail/messages/${id}`)).body);
      assert.match(
        view,
        /Les réponses iront à Collecte <collecte@evil\.example>, et non à l'adresse de l'expéditeur\./,
      );

      const reply = await c.get(`/mail/nouveau?repondre=${id}`);
      assert.equal(reply.statusCode, 200);
      // The value holds a ">" (only "<" is escaped in attributes): read up to its closing quote.
      const to = /<input\b[^<]*?\sname="a"[^<]*?\svalue="([^"]*)"/.exec(reply.body);
      assert.equal(unescapeHtml(to?.[1] ?? ""), "Collecte <collecte@evil.example>");
      const form = unescapeHtml(
        textOf(reply.body.slice(reply.body.indexOf('<form method="post" action="/mail/nouveau"'))),
      );
      assert.match(
        form,
        /^Les réponses iront à Collecte <collecte@evil\.example>, et non à l'adresse de l'expéditeur\. À/,
      );

      // Forwarding answers nobody: no notice.
      const forward = await c.get(`/mail/nouveau?transferer=${id}`);
      assert.doesNotMatch(textOf(forward.body), /Les réponses iront/);
    });
  });
}
