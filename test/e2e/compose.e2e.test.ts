/**
 * Writing mail in Chromium: Lucie writes to Jean with an attachment (sent through the
 * upload with its progress), Jean reads it and replies, Lucie sees the conversation; an error is
 * shown at its field; axe-core finds nothing on the compose page (with an error) nor on the
 * reading view with its reply buttons; and one journey runs with JavaScript off.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { simpleParser } from "mailparser";
import type { Page } from "playwright-core";
import type { Account } from "../../src/directory/directory.types.js";
import { type BrowserEnv, expectAccessible, openBrowserEnv, signInWebmail, watchConsole } from "../helpers/browser.js";
import { staffWithPassword } from "../helpers/web.js";

/** Signed in as `account`, on « Nouveau message » (JavaScript on): the page and its console problems. */
async function composeAs(env: BrowserEnv, account: Account) {
  const context = await env.newContext();
  const page = await context.newPage();
  const problems = watchConsole(page);
  await signInWebmail(page, account);
  await page.getByRole("link", { name: "Nouveau message" }).click();
  await page.getByRole("heading", { name: "Nouveau message", level: 1 }).waitFor();
  return { context, page, problems };
}

/** Opens « Mise en forme » and types `plain` then `bold` in bold with the toolbar's button. */
async function typeFormatted(page: Page, plain: string, bold: string): Promise<void> {
  const toggle = page.getByRole("button", { name: "Mise en forme" });
  await toggle.click();
  assert.equal(await toggle.getAttribute("aria-pressed"), "true");
  const editor = page.getByRole("textbox", { name: "Message mis en forme" });
  await editor.waitFor();
  await editor.pressSequentially(plain);
  await page.getByRole("toolbar", { name: "Outils de mise en forme" }).getByRole("button", { name: "Gras" }).click();
  await editor.pressSequentially(bold);
  await boldText(page, bold).waitFor();
}

/** `text` in bold in the editor. */
const boldText = (page: Page, text: string) =>
  page.locator("#editeur-message b, #editeur-message strong").getByText(text);

describe("writing mail (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
  });
  after(async () => {
    await env.close();
  });

  it("A writes to B with an attachment, B reads it and replies, A sees the conversation", async () => {
    const services = env.server.services;
    const lucie = await staffWithPassword(services, { prenom: "Lucie", nom: "Aubrac" });
    const jean = await staffWithPassword(services, { prenom: "Jean", nom: "Moulin" });

    const contextA = await env.newContext();
    const a = await contextA.newPage();
    const problemsA = watchConsole(a);
    await signInWebmail(a, lucie);
    await a.getByRole("link", { name: "Nouveau message" }).click();
    await a.getByRole("heading", { name: "Nouveau message", level: 1 }).waitFor();

    // An address that does not parse: said at the field, nothing sent, the text kept.
    await a.getByLabel("À", { exact: true }).fill("jean.moulin@@");
    await a.getByLabel("Objet", { exact: true }).fill("Compte rendu du conseil");
    await a.getByLabel("Message", { exact: true }).fill("Bonjour Jean,\nvoici le compte rendu.");
    await a.getByRole("button", { name: "Envoyer" }).click();
    await a.getByRole("heading", { name: "Le formulaire contient des erreurs :" }).waitFor();
    await a.getByRole("link", { name: /^À : Certaines adresses ne sont pas valides/ }).waitFor();
    assert.equal(await a.getByLabel("Message", { exact: true }).inputValue(), "Bonjour Jean,\nvoici le compte rendu.");
    await expectAccessible(a, "compose page with an error");

    // Corrected, with a file: sent through the upload, back to the mailbox with the notice.
    await a.getByLabel("À", { exact: true }).fill(`Jean Moulin <${jean.address}>`);
    await a.getByLabel("Pièces jointes", { exact: true }).setInputFiles({
      name: "compte-rendu.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("Présents : 12. Décisions : aucune.\n"),
    });
    await a.getByRole("button", { name: "Envoyer" }).click();
    await a.getByText("Message envoyé.").waitFor();
    await a.getByRole("heading", { name: "Boîte de réception", level: 1 }).waitFor();
    await a.getByRole("link", { name: "Envoyés", exact: true }).click();
    await a.getByRole("link", { name: /Compte rendu du conseil/ }).waitFor();

    // B reads it, downloads the file and replies.
    const contextB = await env.newContext();
    const b = await contextB.newPage();
    const problemsB = watchConsole(b);
    await signInWebmail(b, jean);
    await b.getByRole("link", { name: /Compte rendu du conseil/ }).click();
    await b.getByRole("heading", { name: "Compte rendu du conseil", level: 2 }).waitFor();
    await b.getByRole("link", { name: "Répondre à tous" }).waitFor();
    await expectAccessible(b, "reading view with the reply buttons", { sandboxedFrame: true });
    const [download] = await Promise.all([
      b.waitForEvent("download"),
      b.getByRole("link", { name: /^compte-rendu\.txt/ }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "compte-rendu.txt");
    await b.getByRole("link", { name: "Répondre", exact: true }).click();
    await b.getByRole("heading", { name: "Répondre", level: 1 }).waitFor();
    assert.equal(await b.getByLabel("Objet", { exact: true }).inputValue(), "RE: Compte rendu du conseil");
    assert.equal(await b.getByLabel("À", { exact: true }).inputValue(), `Lucie Aubrac <${lucie.address}>`);
    const quoted = await b.getByLabel("Message", { exact: true }).inputValue();
    assert.match(quoted, /Lucie Aubrac a écrit :\n> Bonjour Jean,\n> voici le compte rendu\./);
    await expectAccessible(b, "reply form");
    await b.getByLabel("Message", { exact: true }).fill(`Merci Lucie.${quoted}`);
    await b.getByRole("button", { name: "Envoyer" }).click();
    await b.getByText("Message envoyé.").waitFor();

    // A sees the answer, in the same conversation as the message sent.
    await a.getByRole("link", { name: "Boîte de réception", exact: false }).first().click();
    await a.getByRole("link", { name: /RE: Compte rendu du conseil/ }).click();
    await a.getByRole("heading", { name: "RE: Compte rendu du conseil", level: 2 }).waitFor();
    await a.locator(".reading").getByText("Merci Lucie.").waitFor();
    await a.getByRole("heading", { name: /Conversation/ }).waitFor();
    await a.getByRole("link", { name: "Compte rendu du conseil", exact: true }).waitFor();

    assert.deepEqual(problemsA, []);
    assert.deepEqual(problemsB, []);
    await contextA.close();
    await contextB.close();
  });

  it("the rich-text mode: « Mise en forme », bold with the button, sent with its sanitized HTML and its text", async () => {
    const services = env.server.services;
    const marie = await staffWithPassword(services, { prenom: "Marie", nom: "Curie" });
    const pierre = await staffWithPassword(services, { prenom: "Pierre", nom: "Curie" });
    const { context, page, problems } = await composeAs(env, marie);
    await page.getByLabel("À", { exact: true }).fill(pierre.address);
    await page.getByLabel("Objet", { exact: true }).fill("Le radium");
    await typeFormatted(page, "Un résultat ", "important");
    await expectAccessible(page, "compose page with the rich-text editor open");
    await page.getByRole("button", { name: "Envoyer" }).click();
    await page.getByText("Message envoyé.").waitFor();

    const inbox = await services.mail.folderByRole(pierre.id, "inbox");
    const [got] = (await services.mail.list(pierre.id, inbox.id, null)).items;
    assert.equal(got?.subject, "Le radium");
    const parsed = await simpleParser(await services.mail.raw(pierre.id, got.id));
    assert.equal(parsed.text?.trim(), "Un résultat important");
    assert.match(String(parsed.html), /<(b|strong)>important<\/(b|strong)>/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("the formatting survives a form error and a saved draft: the editor opens again with it", async () => {
    const services = env.server.services;
    const marie = await staffWithPassword(services, { prenom: "Marie", nom: "Sklodowska" });
    const pierre = await staffWithPassword(services, { prenom: "Pierre", nom: "Sklodowska" });
    const { context, page, problems } = await composeAs(env, marie);
    // A mistyped address: the form will come back.
    await page.getByLabel("À", { exact: true }).fill("pierre sans arobase");
    await page.getByLabel("Objet", { exact: true }).fill("Le polonium");
    await typeFormatted(page, "Une découverte ", "majeure");
    await page.getByRole("button", { name: "Envoyer" }).click();

    // Back with the error at its field, and the editor open on the formatted text.
    await page.getByText("Certaines adresses ne sont pas valides").first().waitFor();
    await boldText(page, "majeure").waitFor();
    assert.equal(await page.getByRole("button", { name: "Mise en forme" }).getAttribute("aria-pressed"), "true");
    await expectAccessible(page, "compose page back with an error, the editor open");

    // Saved as a draft: resumed, the editor opens with the formatting again.
    await page.getByLabel("À", { exact: true }).fill(pierre.address);
    await page.getByRole("button", { name: "Enregistrer le brouillon" }).click();
    await page.getByText("Brouillon enregistré.").waitFor();
    await boldText(page, "majeure").waitFor();
    await page.getByRole("button", { name: "Envoyer" }).click();
    await page.getByText("Message envoyé.").waitFor();

    const inbox = await services.mail.folderByRole(pierre.id, "inbox");
    const [got] = (await services.mail.list(pierre.id, inbox.id, null)).items;
    assert.equal(got?.subject, "Le polonium");
    const parsed = await simpleParser(await services.mail.raw(pierre.id, got.id));
    assert.equal(parsed.text?.trim(), "Une découverte majeure");
    assert.match(String(parsed.html), /<(b|strong)>majeure<\/(b|strong)>/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("without JavaScript: a message is written, saved as a draft, resumed and sent", async () => {
    const services = env.server.services;
    const irene = await staffWithPassword(services, { prenom: "Irène", nom: "Joliot" });
    const paul = await staffWithPassword(services, { prenom: "Paul", nom: "Langevin" });
    const context = await env.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signInWebmail(page, irene);
    await page.getByRole("link", { name: "Nouveau message" }).click();
    await page.getByLabel("À", { exact: true }).fill(paul.address);
    await page.getByLabel("Objet", { exact: true }).fill("Mesures du polonium");
    await page.getByLabel("Message", { exact: true }).fill("Premiers résultats.");
    await page.getByRole("button", { name: "Enregistrer le brouillon" }).click();
    await page.getByText("Brouillon enregistré.").waitFor();
    await page.getByRole("link", { name: /^Brouillons/ }).click();
    await page.getByRole("link", { name: /Mesures du polonium/ }).click();
    await page.getByRole("link", { name: "Reprendre le brouillon" }).click();
    assert.equal(await page.getByLabel("Objet", { exact: true }).inputValue(), "Mesures du polonium");
    await page.getByLabel("Pièces jointes", { exact: true }).setInputFiles({
      name: "mesures.csv",
      mimeType: "text/csv",
      buffer: Buffer.from("échantillon;activité\nA;12\n"),
    });
    await page.getByRole("button", { name: "Envoyer" }).click();
    await page.getByText("Message envoyé.").waitFor();
    await page.getByRole("link", { name: /^Brouillons/ }).click();
    await page.getByText("Aucun message dans ce dossier.").waitFor();

    const inbox = await services.mail.folderByRole(paul.id, "inbox");
    const [got] = (await services.mail.list(paul.id, inbox.id, null)).items;
    assert.equal(got?.subject, "Mesures du polonium");
    assert.ok(got?.hasAttachments);
    await context.close();
  });
});
