/**
 * The console's administration in Chromium: the DSI uploads an HR export, reads the dry run's
 * tables, applies it and follows the progress to its report (the page updates itself), then opens
 * the establishments, the outbound queue and the configuration. axe-core on every page.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generate } from "otplib";
import type { Page } from "playwright-core";
import { type BrowserEnv, expectAccessible, field, openBrowserEnv, watchConsole } from "../helpers/browser.js";
import { staffCsv, staffRow } from "../helpers/staff.js";
import { MAILBOX_PASSWORD, staffWithPassword } from "../helpers/web.js";

function code(secret: string, offsetS = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetS });
}

async function signInAdmin(page: Page, username: string): Promise<void> {
  await page.goto("/console/connexion");
  await page.getByRole("heading", { name: "Connexion à la console", level: 1 }).waitFor();
  await field(page, "Nom d'utilisateur").fill(username);
  await field(page, "Mot de passe").fill(MAILBOX_PASSWORD);
  await page.getByRole("button", { name: "Continuer" }).click();
  await page.getByRole("heading", { name: "Activer la double authentification", level: 1 }).waitFor();
  const secret = ((await page.locator("code.totp-secret").textContent()) ?? "").replace(/\s/g, "");
  await field(page, "Code à 6 chiffres").fill(await code(secret));
  await page.getByRole("button", { name: "Activer" }).click();
  await page.getByRole("link", { name: "J'ai noté mes codes : aller à la console" }).click();
  await page.getByRole("heading", { name: "Console", level: 1 }).waitFor();
}

describe("the console's administration (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
  });
  after(async () => {
    await env.close();
  });

  it("uploads an HR export, reads the dry run, applies it and follows its progress; every page accessible", async () => {
    const services = env.server.services;
    const dsi = await staffWithPassword(services, { prenom: "Hélène", nom: "Boucher" });
    await services.console.grant(dsi.username, "admin", "cli:role grant");
    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await signInAdmin(page, dsi.username);
    await page.goto("/console/admin");
    await page.getByRole("heading", { name: "Administration", level: 1 }).waitFor();
    await page.getByRole("link", { name: "Import RH (personnels et établissements)" }).click();
    await page.getByRole("heading", { name: "Import RH depuis le navigateur", level: 1 }).waitFor();
    await expectAccessible(page, "import form");

    // Sent without a file: the error is tied to the field.
    await page.getByLabel(/^Personnels/).check();
    await page.getByRole("button", { name: "Envoyer et faire l'essai à blanc" }).click();
    await page.getByText("Choisissez le fichier CSV à importer.").first().waitFor();
    await expectAccessible(page, "import form with an error");

    const base = 7_000_000 + Math.floor(Math.random() * 100_000);
    const rows = Array.from({ length: 5_000 }, (_, i) => staffRow(base + i));
    const csv = staffCsv([...rows, staffRow(base + 9_999, { numen: "faux" })]);
    await page.getByLabel(/^Personnels/).check();
    await page
      .getByLabel("Fichier CSV")
      .setInputFiles({ name: "export-rh.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByRole("button", { name: "Envoyer et faire l'essai à blanc" }).click();
    await page.getByRole("heading", { name: "Résultat de l'essai à blanc", level: 2 }).waitFor({ timeout: 120_000 });
    assert.equal(await page.locator("#creations tbody tr").count(), 100, "the first 100 creations");
    await page.getByRole("cell", { name: /NUMEN invalide/ }).waitFor();
    await expectAccessible(page, "dry run");

    await page.getByRole("button", { name: "Appliquer l'import" }).click();
    // The progress page (or, on a fast machine, already the report): it reloads itself when done.
    await page.getByText("L'import est appliqué et consigné au journal.").waitFor({ timeout: 120_000 });
    await page.getByRole("heading", { name: "Résultat de l'import", level: 2 }).waitFor();
    await expectAccessible(page, "import applied");

    await page.goto("/console/admin/etablissements");
    await page.getByRole("heading", { name: "Établissements et comptes fonctionnels", level: 1 }).waitFor();
    await expectAccessible(page, "establishments");
    await page.goto("/console/admin/file-envoi");
    await page.getByRole("heading", { name: "File d'envoi sortante", level: 1 }).waitFor();
    await expectAccessible(page, "outbound queue");
    await page.goto("/console/admin/configuration");
    await page.getByRole("heading", { name: "Configuration en cours", level: 1 }).waitFor();
    assert.ok(!(await page.content()).includes(services.config.secret));
    await expectAccessible(page, "configuration");
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("shows the progress bar while a big import runs", async () => {
    const services = env.server.services;
    const dsi = await staffWithPassword(services, { prenom: "Marc", nom: "Bloch" });
    await services.console.grant(dsi.username, "admin", "cli:role grant");
    const context = await env.newContext();
    const page = await context.newPage();
    await signInAdmin(page, dsi.username);
    await page.goto("/console/admin/import");
    const base = 8_000_000 + Math.floor(Math.random() * 100_000);
    const csv = staffCsv(Array.from({ length: 60_000 }, (_, i) => staffRow(base + i)));
    await page.getByLabel(/^Personnels/).check();
    await page
      .getByLabel("Fichier CSV")
      .setInputFiles({ name: "gros.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByRole("button", { name: "Envoyer et faire l'essai à blanc" }).click();
    // The dry run of 60,000 rows takes seconds: its progress page comes first (the upload of 4 MB
    // on a busy machine can itself take long, hence the generous wait).
    const running = page.getByRole("heading", { name: "Essai à blanc en cours…", level: 2 });
    await running.waitFor({ timeout: 180_000 });
    await page.locator("progress#avancement").waitFor();
    await page.getByRole("link", { name: "Actualiser" }).waitFor();
    await expectAccessible(page, "progress");
    await page.getByRole("heading", { name: "Résultat de l'essai à blanc", level: 2 }).waitFor({ timeout: 300_000 });
    await page.getByRole("button", { name: "Abandonner" }).click();
    await page.getByText("Import abandonné : le fichier déposé a été effacé.").waitFor();
    await context.close();
  });
});
