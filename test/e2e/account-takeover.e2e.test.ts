/**
 * Account takeover in Chromium: forwarding outside the académie asks for the current
 * password (error at its field, axe-clean), the mailbox then says where messages go and links back
 * to the settings, the change is told in the inbox; the same save works without JavaScript; and on
 * the Assistance account page, removing the recovery address asks for the current password.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Locator, Page } from "playwright-core";
import {
  type BrowserEnv,
  expectAccessible,
  field,
  openBrowserEnv,
  signInWebmail,
  watchConsole,
} from "../helpers/browser.js";
import { MAILBOX_PASSWORD, staffWithPassword } from "../helpers/web.js";

const EXTERNAL = "moi@exemple.org";
const PASSWORD_REQUIRED =
  "Pour transférer vos messages vers une adresse extérieure à l'académie, saisissez votre mot de passe actuel.";
const SAVED = "Vos paramètres ont été enregistrés.";
const REMOVE_PASSWORD_MISSING = "Saisissez votre mot de passe actuel pour supprimer l'adresse de secours.";

/** What a screen reader says after a field's label: the texts its aria-describedby points to. */
async function descriptionOf(control: Locator): Promise<string> {
  return control.evaluate((el) =>
    (el.getAttribute("aria-describedby") ?? "")
      .split(/\s+/)
      .map((id) => (id ? (document.getElementById(id)?.textContent ?? "") : ""))
      .join(" "),
  );
}

/** The error is shown at the field: marked invalid and read with it. */
async function assertFieldError(control: Locator, message: string): Promise<void> {
  assert.equal(await control.getAttribute("aria-invalid"), "true");
  assert.ok((await descriptionOf(control)).includes(message), `the field tells « ${message} »`);
}

const addressField = (page: Page) => page.getByRole("textbox", { name: "Adresse", exact: true });
const passwordField = (page: Page) => page.getByLabel("Mot de passe actuel", { exact: true });

async function openSettings(page: Page): Promise<void> {
  await page.getByRole("link", { name: "Paramètres" }).click();
  await page.getByRole("heading", { name: "Paramètres", level: 1 }).waitFor();
}

describe("account takeover: re-authentication and forwarding (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
  });
  after(async () => {
    await env.close();
  });

  it("forwarding outside the académie asks for the password, then the mailbox shows it and the notice", async () => {
    const services = env.server.services;
    const me = await staffWithPassword(services, { prenom: "Rosalind", nom: "Franklin" });
    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await signInWebmail(page, me);
    await openSettings(page);

    await addressField(page).fill(EXTERNAL);
    await page.getByLabel("Conserver une copie dans ma boîte").check();
    await page.getByRole("button", { name: "Enregistrer les paramètres" }).click();

    // Refused: the summary names the field, the field carries the error; what was typed is kept.
    const summary = page.getByRole("alert").filter({ hasText: "Le formulaire contient des erreurs" });
    await summary.waitFor();
    await summary.getByRole("link", { name: `Mot de passe actuel : ${PASSWORD_REQUIRED}` }).waitFor();
    await assertFieldError(passwordField(page), PASSWORD_REQUIRED);
    assert.equal(await addressField(page).inputValue(), EXTERNAL);
    assert.equal(await page.getByLabel("Conserver une copie dans ma boîte").isChecked(), true);
    assert.equal(await passwordField(page).inputValue(), "", "a password is never shown again");
    assert.equal((await services.settings.get(me.id)).forward.address, null);
    await expectAccessible(page, "Paramètres (mot de passe demandé)");

    await passwordField(page).fill(MAILBOX_PASSWORD);
    await page.getByRole("button", { name: "Enregistrer les paramètres" }).click();
    await page.getByText(SAVED).waitFor();
    assert.equal((await services.settings.get(me.id)).forward.address, EXTERNAL);

    // Every mailbox page now says where the messages go.
    await page.getByRole("link", { name: /^Boîte de réception/ }).click();
    await page.getByRole("heading", { name: "Boîte de réception", level: 1 }).waitFor();
    await page.getByText(`Vos messages sont transférés vers ${EXTERNAL}.`).waitFor();
    // The change was told in the account's own inbox.
    await page.getByRole("link", { name: /Le transfert de vos messages a été modifié/ }).waitFor();
    await expectAccessible(page, "Boîte de réception (transfert actif)");

    await page.getByRole("link", { name: "Modifier le transfert" }).click();
    await page.getByRole("heading", { name: "Paramètres", level: 1 }).waitFor();
    assert.equal(new URL(page.url()).hash, "#parametres-transfert");
    assert.equal(await addressField(page).inputValue(), EXTERNAL);
    await expectAccessible(page, "Paramètres (transfert actif)");
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("the same save works without JavaScript", async () => {
    const services = env.server.services;
    const me = await staffWithPassword(services, { prenom: "Dorothy", nom: "Hodgkin" });
    const context = await env.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signInWebmail(page, me);
    await openSettings(page);

    await addressField(page).fill(EXTERNAL);
    await page.getByLabel("Conserver une copie dans ma boîte").check();
    await page.getByRole("button", { name: "Enregistrer les paramètres" }).click();
    await page.getByText(PASSWORD_REQUIRED, { exact: false }).first().waitFor();
    await assertFieldError(passwordField(page), PASSWORD_REQUIRED);

    await passwordField(page).fill(MAILBOX_PASSWORD);
    await page.getByRole("button", { name: "Enregistrer les paramètres" }).click();
    await page.getByText(SAVED).waitFor();
    const saved = await services.settings.get(me.id);
    assert.deepEqual([saved.forward.address, saved.forward.keepCopy], [EXTERNAL, true]);
    await page.getByText(`Vos messages sont transférés vers ${EXTERNAL}.`).waitFor();
    await context.close();
  });

  it("Mon compte: the new fields are labelled, removing the recovery address asks for the password", async () => {
    const services = env.server.services;
    const me = await staffWithPassword(services, { prenom: "Chien-Shiung", nom: "Wu" });
    await services.directory.setRecoveryEmail(me.id, "x@example.org", "test");
    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto("/assistance/connexion");
    await field(page, "Identifiant").fill(me.username);
    await field(page, "Mot de passe").fill(MAILBOX_PASSWORD);
    await page.getByRole("button", { name: "Connexion" }).click();
    await page.getByRole("heading", { name: "Mon compte", level: 1 }).waitFor();
    await page.getByText("Adresse de secours confirmée : x@example.org").waitFor();

    // Each form has its own « Mot de passe actuel » (the password change has one too).
    const formWith = (button: string) =>
      page.locator("form").filter({ has: page.getByRole("button", { name: button, exact: true }) });
    const recoveryForm = formWith("Recevoir un code de confirmation");
    const removeForm = formWith("Supprimer l'adresse de secours");
    const passwordForm = formWith("Enregistrer le mot de passe");
    const recoveryPassword = recoveryForm.getByLabel("Mot de passe actuel", { exact: true });
    const removePassword = removeForm.getByLabel("Mot de passe actuel", { exact: true });
    await recoveryPassword.waitFor();
    await removePassword.waitFor();
    assert.equal(await recoveryPassword.getAttribute("name"), "recoveryPassword");
    assert.equal(await removePassword.getAttribute("name"), "removePassword");
    await passwordForm.getByLabel("Compte compromis : quelqu'un d'autre a pu utiliser mon compte").waitFor();
    await expectAccessible(page, "Mon compte");

    await removeForm.getByRole("button", { name: "Supprimer l'adresse de secours" }).click();
    await page.getByText(REMOVE_PASSWORD_MISSING).waitFor();
    await assertFieldError(removePassword, REMOVE_PASSWORD_MISSING);
    assert.equal((await services.directory.getAccountById(me.id)).recoveryEmail, "x@example.org");
    await expectAccessible(page, "Mon compte (mot de passe demandé)");

    await removePassword.fill(MAILBOX_PASSWORD);
    await removeForm.getByRole("button", { name: "Supprimer l'adresse de secours" }).click();
    await page.getByText("Votre adresse de secours a été supprimée.", { exact: false }).waitFor();
    await page.getByText("Aucune adresse de secours n'est enregistrée.").waitFor();
    assert.equal((await services.directory.getAccountById(me.id)).recoveryEmail, null);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
