/**
 * « Signaler un filoutage » as a person does it in Chromium: open the message, press the button, read
 * the thanks on the list the browser comes back to, find the message in Indésirables, then bring it
 * back with « Ce message n'est pas indésirable ». With JavaScript on (axe-core on every page) and off.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BrowserEnv, openBrowserEnv, openMessageMenu, openWebmail } from "../helpers/browser.js";
import { deliverRaw } from "../helpers/sender-messages.js";
import { staffWithPassword } from "../helpers/web.js";

describe("phishing report (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
  });
  after(async () => {
    await env.close();
  });

  for (const javaScriptEnabled of [true, false]) {
    it(`reports a message, then says it is not junk (JavaScript ${javaScriptEnabled ? "on" : "off"})`, async () => {
      const services = env.server.services;
      const account = await staffWithPassword(services, {
        prenom: "Paul",
        nom: javaScriptEnabled ? "Langevin" : "Painlevé",
      });
      const subject = `Votre boite sera fermee ${javaScriptEnabled ? "A" : "B"}`;
      const raw = [
        "From: Service informatique <support@faux-rectorat.example>",
        `To: ${account.address}`,
        `Subject: ${subject}`,
        `Message-ID: <e2e.${Date.now()}.${javaScriptEnabled ? 1 : 2}@faux-rectorat.example>`,
        "",
        "Cliquez ici pour garder votre boite.",
        "",
      ].join("\r\n");
      await deliverRaw(services, account, raw);

      const { context, page, problems, accessible } = await openWebmail(env, account, { javaScriptEnabled });

      await page.getByRole("link", { name: new RegExp(subject) }).click();
      await page.getByRole("heading", { name: subject, level: 2 }).waitFor();
      await accessible("reading the message to report");
      await openMessageMenu(page);
      await page.getByRole("button", { name: "Signaler un filoutage" }).click();
      await page.getByText("Merci, le message a été signalé.", { exact: true }).waitFor();
      await accessible("the inbox after a report");
      assert.equal(await page.getByRole("link", { name: new RegExp(subject) }).count(), 0, "gone from the inbox");

      await page
        .getByRole("link", { name: /^Indésirables/ })
        .first()
        .click();
      await page.getByRole("link", { name: new RegExp(subject) }).click();
      await page.getByRole("heading", { name: subject, level: 2 }).waitFor();
      await openMessageMenu(page);
      await page.getByRole("button", { name: "Ce message n'est pas indésirable" }).click();
      await page.getByText("Le message a été remis dans la boîte de réception.", { exact: true }).waitFor();
      await accessible("Indésirables after « pas indésirable »");

      assert.deepEqual(problems, [], "no console error, no CSP violation");
      await context.close();
    });
  }
});
