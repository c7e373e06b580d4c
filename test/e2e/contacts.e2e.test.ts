/**
 * Contacts in Chromium: the sender of a message is added to the address book from the
 * reading view, the Contacts page lists it (axe-clean), and the compose page suggests it — and a
 * colleague from the directory — while À is being typed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import {
  type BrowserEnv,
  expectAccessible,
  field,
  openBrowserEnv,
  openMessageMenu,
  signInWebmail,
  watchConsole,
} from "../helpers/browser.js";
import { staffWithPassword } from "../helpers/web.js";

describe("contacts (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
  });
  after(async () => {
    await env.close();
  });

  it("adds a sender from a message, lists it, and suggests it and a colleague in À", async () => {
    const services = env.server.services;
    const me = await staffWithPassword(services, { prenom: "Maud", nom: "Gonne" });
    const colleague = await staffWithPassword(services, { prenom: "Roald", nom: "Trebuchet" });
    const raw = await new MailComposer({
      from: "Claire Fontaine <claire.fontaine@exemple.fr>",
      to: me.address,
      subject: "Sortie au musée",
      text: "Bonjour, voici le programme.",
    })
      .compile()
      .build();
    await services.mail.deliver(raw, [await services.mail.checkRecipient(me.address)]);

    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await signInWebmail(page, me);
    await page.getByRole("link", { name: /Sortie au musée/ }).click();
    await page.getByRole("heading", { name: "Sortie au musée", level: 2 }).waitFor();
    await openMessageMenu(page);
    await page.getByRole("button", { name: "Ajouter l'expéditeur aux contacts" }).click();
    await page.getByText("L'expéditeur a été ajouté à vos contacts.").waitFor();

    await page.getByRole("link", { name: "Contacts" }).click();
    await page.getByRole("heading", { name: "Contacts", level: 1 }).waitFor();
    await page.getByText("claire.fontaine@exemple.fr").waitFor();
    await expectAccessible(page, "Contacts");
    assert.equal(await page.getByText("Fichier .vcf", { exact: true }).isVisible(), true, "the file picker is offered");

    await page.goto("/mail/nouveau");
    const to = field(page, "À");
    await to.pressSequentially("clai");
    await page.locator("#suggestions-a option").first().waitFor({ state: "attached" });
    assert.equal(
      await page.locator("#suggestions-a option").first().getAttribute("value"),
      "Claire Fontaine <claire.fontaine@exemple.fr>, ",
    );
    await to.fill("Claire Fontaine <claire.fontaine@exemple.fr>, ");
    await to.pressSequentially("trebu");
    await page.locator(`#suggestions-a option[value*="${colleague.address}"]`).waitFor({ state: "attached" });
    assert.equal(
      await page.locator("#suggestions-a option").first().getAttribute("value"),
      `Claire Fontaine <claire.fontaine@exemple.fr>, Roald Trebuchet <${colleague.address}>, `,
    );
    assert.deepEqual(problems, []);
    await context.close();
  });
});
