/**
 * The console's administration in Chromium: the DSI uploads an HR export, reads the dry run's
 * tables, applies it and follows the progress to its report (the page updates itself), then opens
 * the establishments, the outbound queue and the configuration. axe-core on every page.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BrowserEnv, expectAccessible, openBrowserEnv, watchConsole } from "../helpers/browser.js";
import { enrolInConsole } from "../helpers/console-browser.js";
import { staffCsv, staffRow } from "../helpers/staff.js";
import { staffWithPassword } from "../helpers/web.js";

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
    await enrolInConsole(page, dsi.username);
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
});

/**
 * The progress page of a big import, on both databases: the dry run opens no transaction, so on SQLite
 * too (one connection) the pages go on being served while it reads the file.
 */
for (const dialect of ["sqlite", "postgres"] as const) {
  describe(`the console's import progress (Chromium, ${dialect})`, () => {
    let env: BrowserEnv;
    before(async () => {
      env = await openBrowserEnv({}, {}, dialect);
    });
    after(async () => {
      await env.close();
    });

    it("shows the progress bar while a big import runs", async () => {
      const services = env.server.services;
      const dsi = await staffWithPassword(services, { prenom: "Marc", nom: "Bloch" });
      await services.console.grant(dsi.username, "admin", "cli:role grant");
      const context = await env.newContext();
      const page = await context.newPage();
      await enrolInConsole(page, dsi.username);
      await page.goto("/console/admin/import");
      const base = 8_000_000 + Math.floor(Math.random() * 100_000);
      const csv = staffCsv(Array.from({ length: 150_000 }, (_, i) => staffRow(base + i)));
      await page.getByLabel(/^Personnels/).check();
      await page
        .getByLabel("Fichier CSV")
        .setInputFiles({ name: "gros.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
      await page.getByRole("button", { name: "Envoyer et faire l'essai à blanc" }).click();
      // The dry run of 150,000 rows takes seconds: its progress page comes first (the upload of 10 MB
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
}
