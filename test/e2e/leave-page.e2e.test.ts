/**
 * Following a link of a message whose sender could not be verified, in Chromium: the link in the
 * HTML frame (marked as deceptive: its text shows the académie's address) replaces the webmail's page
 * with « Vous allez quitter la messagerie », which shows the real domain highlighted and goes back to
 * the message; the link of a text body does the same; « Afficher la source » shows the headers.
 * JavaScript on (axe-core on every page) and off.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BrowserEnv, openBrowserEnv, openMessageMenu, openWebmail } from "../helpers/browser.js";
import { deliverRaw, inbound } from "../helpers/sender-messages.js";
import { staffWithPassword } from "../helpers/web.js";

const DESTINATION = "https://ac-lyon-securite.example.com/connexion";

describe("links of a flagged message (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
  });
  after(async () => {
    await env.close();
  });

  for (const javaScriptEnabled of [true, false]) {
    it(`a link goes through « Vous allez quitter la messagerie » (JavaScript ${javaScriptEnabled ? "on" : "off"})`, async () => {
      const services = env.server.services;
      const account = await staffWithPassword(services, {
        prenom: "Anne",
        nom: javaScriptEnabled ? "Lagrange" : "Monge",
      });
      const deliver = (headers: string[], body: string) =>
        deliverRaw(
          services,
          account,
          [`To: <${account.address}>`, "MIME-Version: 1.0", ...headers, "", body].join("\r\n"),
          inbound(false),
        );
      const html = await deliver(
        [
          "From: Messagerie <alerte@ac-lyon-securite.example.com>",
          "Subject: Votre mot de passe expire",
          "Content-Type: text/html; charset=utf-8",
        ],
        `<p>Renouvelez-le sur <a href="${DESTINATION}">https://messagerie.ac-lyon.fr</a> aujourd'hui.</p>`,
      );
      const text = await deliver(
        ["From: Claire <claire@example.org>", "Subject: Lien du document", "Content-Type: text/plain; charset=utf-8"],
        "Le document : https://docs.example.org/partage/42 (lecture seule).",
      );

      const { context, page, problems, accessible } = await openWebmail(env, account, { javaScriptEnabled });

      // The HTML frame: the deceptive link is marked; following it replaces the whole page.
      await page.goto(`/mail/messages/${html}`);
      await page.getByRole("heading", { name: "Votre mot de passe expire", level: 1 }).waitFor();
      const frame = page.frameLocator('iframe[title="Contenu du message"]');
      await frame.getByText("[lien trompeur : mène à example.com]", { exact: true }).waitFor();
      await accessible("reading a flagged HTML message", { sandboxedFrame: true });
      await frame.getByRole("link", { name: "https://messagerie.ac-lyon.fr" }).click();
      await page.getByRole("heading", { name: "Vous allez quitter la messagerie", level: 1 }).waitFor();
      assert.match(page.url(), new RegExp(`/mail/messages/${html}/lien\\?url=`));
      assert.equal(await page.locator("strong > mark").textContent(), "example.com");
      assert.equal(await page.locator("code.address").textContent(), "https://ac-lyon-securite.example.com/connexion");
      const proceed = page.getByRole("link", { name: "Continuer", exact: true });
      assert.equal(await proceed.getAttribute("href"), DESTINATION);
      assert.equal(await proceed.getAttribute("rel"), "noopener noreferrer");
      await accessible("« Vous allez quitter la messagerie »");

      // Back to the message, by keyboard.
      await page.getByRole("link", { name: "Revenir au message" }).focus();
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Votre mot de passe expire", level: 1 }).waitFor();

      // A text body's link goes through the same page.
      await page.goto(`/mail/messages/${text}`);
      await page.getByRole("heading", { name: "Lien du document", level: 1 }).waitFor();
      await page.getByRole("link", { name: "https://docs.example.org/partage/42" }).click();
      await page.getByRole("heading", { name: "Vous allez quitter la messagerie", level: 1 }).waitFor();
      assert.equal(await page.locator("strong > mark").textContent(), "example.org");

      // « Afficher la source »: the headers as received.
      await page.getByRole("link", { name: "Revenir au message" }).click();
      await openMessageMenu(page);
      await page.getByRole("link", { name: "Afficher la source" }).click();
      await page.getByRole("heading", { name: "Source du message", level: 1 }).waitFor();
      await page.getByText(/^Subject: Lien du document$/m).waitFor();
      await accessible("the source of a message");

      assert.deepEqual(problems, [], "no console error, no CSP violation");
      await context.close();
    });
  }
});
