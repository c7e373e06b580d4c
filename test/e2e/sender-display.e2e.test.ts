/**
 * The sender as a person sees it in Chromium: `"dsi@ac-lyon.fr" <attacker@evil.example>`
 * is listed with its real domain and read with its full address; a look-alike domain in Cyrillic is
 * shown with its punycode form beside; a Reply-To elsewhere is said in the reading view, and
 * « Répondre » opens a page whose « À » holds that address, said above it. The same journey with
 * JavaScript on (axe-core on every page) and off (axe-core needs scripts in the page).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BrowserEnv, openBrowserEnv, openWebmail } from "../helpers/browser.js";
import { deliverRaw, LOOKALIKE_ASCII, LOOKALIKE_UNICODE, senderCases } from "../helpers/sender-messages.js";
import { staffWithPassword } from "../helpers/web.js";

describe("sender display (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
  });
  after(async () => {
    await env.close();
  });

  for (const javaScriptEnabled of [true, false]) {
    it(`the real domain, the punycode form and the Reply-To are seen (JavaScript ${javaScriptEnabled ? "on" : "off"})`, async () => {
      const services = env.server.services;
      const domain = services.config.mailDomain;
      const account = await staffWithPassword(services, {
        prenom: "Marie",
        nom: javaScriptEnabled ? "Curie" : "Skłodowska",
      });
      const cases = senderCases(account, domain);
      const spoofed = await deliverRaw(services, account, cases.spoofedName);
      const lookalike = await deliverRaw(services, account, cases.lookalike);
      const replyElsewhere = await deliverRaw(services, account, cases.replyElsewhere);

      const { context, page, problems, accessible } = await openWebmail(env, account, { javaScriptEnabled });

      // The list: the real domain beside the name, visible text (not a tooltip).
      const row = (id: number) => page.locator(`li[data-message-id="${id}"]`);
      await row(spoofed).getByText("(adresse chez evil.example)", { exact: true }).waitFor();
      assert.match(
        (await row(spoofed).locator(".message-from").textContent()) ?? "",
        new RegExp(`dsi@${domain.replace(/\./g, "\\.")}`),
      );
      await row(lookalike)
        .getByText(`(adresse chez ${LOOKALIKE_UNICODE}, soit ${LOOKALIKE_ASCII})`, { exact: true })
        .waitFor();
      // Read by a screen reader in the line's link and in the checkbox's label.
      await page
        .getByRole("link", { name: /Mise à jour de votre messagerie/ })
        .and(page.getByRole("link", { name: /adresse chez evil\.example/ }))
        .waitFor();
      await page
        .getByLabel(
          `Sélectionner le message « Mise à jour de votre messagerie » de dsi@${domain} (adresse chez evil.example)`,
        )
        .waitFor();
      await accessible("inbox with disguised senders");

      // The reading view: the full address, and the warning.
      await page.getByRole("link", { name: /Mise à jour de votre messagerie/ }).click();
      await page.getByRole("heading", { name: "Mise à jour de votre messagerie", level: 2 }).waitFor();
      await page.getByText(`dsi@${domain} <attacker@evil.example>`, { exact: true }).waitFor();
      await page.getByText(/le nom affiché de l'expéditeur contient une adresse électronique/).waitFor();
      await accessible("reading a disguised sender");

      // The look-alike domain, with its punycode form beside.
      await page.goto(`/mail/messages/${lookalike}`);
      await page.getByRole("heading", { name: "Note de service", level: 1 }).waitFor();
      await page
        .getByText(`Direction <dsi@${LOOKALIKE_UNICODE}>, soit dsi@${LOOKALIKE_ASCII}`, { exact: true })
        .waitFor();
      await page.getByText(new RegExp(`plusieurs alphabets.*${LOOKALIKE_ASCII.replace(/[-.]/g, "\\$&")}`)).waitFor();
      await accessible("reading a look-alike domain");

      // A Reply-To elsewhere, then « Répondre ».
      await page.goto(`/mail/messages/${replyElsewhere}`);
      await page.getByRole("heading", { name: "Inscription au stage", level: 1 }).waitFor();
      const notice = "Les réponses iront à Collecte <collecte@evil.example>, et non à l'adresse de l'expéditeur.";
      await page.getByText(notice, { exact: true }).waitFor();
      await accessible("reading a message whose answers go elsewhere");
      await page.getByRole("link", { name: "Répondre", exact: true }).click();
      await page.getByRole("heading", { name: "Répondre", level: 1 }).waitFor();
      const to = page.getByLabel("À", { exact: true });
      assert.equal(await to.inputValue(), "Collecte <collecte@evil.example>");
      assert.equal(await to.isVisible(), true);
      const said = page.getByText(notice, { exact: true });
      assert.equal(await said.isVisible(), true);
      // Said before the « À » field, in reading order.
      const before = await said.evaluate((el) => {
        const field = document.querySelector('input[name="a"]');
        return field !== null && (el.compareDocumentPosition(field) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
      });
      assert.equal(before, true);
      await accessible("replying to a message whose answers go elsewhere");

      assert.deepEqual(problems, [], "no console error, no CSP violation");
      await context.close();
    });
  }
});
