/**
 * The settings page in Chromium: reached from the mailbox's navigation, a
 * refused date shown at its field (axe-clean, errors included), then saved.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BrowserEnv, expectAccessible, openBrowserEnv, signInWebmail, watchConsole } from "../helpers/browser.js";
import { staffWithPassword } from "../helpers/web.js";

describe("settings (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
  });
  after(async () => {
    await env.close();
  });

  it("Paramètres: axe-clean, a bad date at its field, then the away message saved", async () => {
    const services = env.server.services;
    const me = await staffWithPassword(services, { prenom: "Lise", nom: "Meitner" });
    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await signInWebmail(page, me);
    await page.getByRole("link", { name: "Paramètres" }).click();
    await page.getByRole("heading", { name: "Paramètres", level: 1 }).waitFor();
    await expectAccessible(page, "Paramètres");

    await page.getByRole("textbox", { name: "Signature", exact: true }).fill("Lise Meitner\nPhysique-chimie");
    await page.getByLabel("Activer le message d'absence").check();
    await page.getByRole("textbox", { name: "Du", exact: true }).fill("32/07/2026");
    await page.getByRole("textbox", { name: "Au", exact: true }).fill("24/08/2026");
    await page.getByRole("textbox", { name: "Message", exact: true }).fill("Je suis absente jusqu'au 24 août.");
    await page.getByRole("button", { name: "Enregistrer les paramètres" }).click();
    await page.getByText("Saisissez une date valide au format JJ/MM/AAAA", { exact: false }).first().waitFor();
    assert.equal(await page.getByRole("textbox", { name: "Au", exact: true }).inputValue(), "24/08/2026");
    await expectAccessible(page, "Paramètres (erreur)");

    await page.getByRole("textbox", { name: "Du", exact: true }).fill("20/07/2026");
    await page.getByRole("button", { name: "Enregistrer les paramètres" }).click();
    await page.getByText("Vos paramètres ont été enregistrés.").waitFor();
    const saved = await services.settings.get(me.id);
    assert.deepEqual([saved.away.enabled, saved.away.start, saved.away.end], [true, "2026-07-20", "2026-08-24"]);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
