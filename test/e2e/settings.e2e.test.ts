/**
 * The settings page in Chromium: reached from the mailbox's navigation, a
 * refused date shown at its field (axe-clean, errors included), then saved; the « Affichage »
 * choices changed with the keyboard and the mouse, saved and kept after a reload.
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

  it("Affichage: choices changed with the keyboard and the mouse, saved, kept after a reload (axe-clean)", async () => {
    const services = env.server.services;
    const me = await staffWithPassword(services, { prenom: "Emmy", nom: "Noether" });
    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await signInWebmail(page, me);
    await page.getByRole("link", { name: "Paramètres" }).click();
    await page.getByRole("heading", { name: "Affichage", level: 2 }).waitFor();
    const pane = page.getByRole("group", { name: "Volet de lecture" });
    const density = page.getByRole("group", { name: "Densité de la liste" });
    const right = pane.getByRole("radio", { name: "À droite", exact: true });
    const off = pane.getByRole("radio", { name: "Désactivé", exact: true });
    const compact = density.getByRole("radio", { name: "Compacte", exact: true });
    const grouped = page.getByRole("checkbox", { name: "Regrouper par conversation" });
    const size = page.getByRole("checkbox", { name: "Afficher la taille des messages" });
    assert.equal(await right.isChecked(), true);
    assert.equal(await density.getByRole("radio", { name: "Confortable", exact: true }).isChecked(), true);
    assert.equal(await grouped.isChecked(), false);

    // The keyboard: arrows move within a radio group, the space bar ticks a box.
    await right.focus();
    await page.keyboard.press("ArrowDown");
    assert.equal(await off.isChecked(), true);
    await grouped.focus();
    await page.keyboard.press("Space");
    assert.equal(await grouped.isChecked(), true);
    // The mouse.
    await compact.click();
    await size.click();
    await page.getByRole("button", { name: "Enregistrer l'affichage" }).click();
    await page.getByText("Vos préférences d'affichage sont enregistrées.").waitFor();
    await expectAccessible(page, "Paramètres (affichage enregistré)");

    await page.reload();
    await page.getByRole("heading", { name: "Affichage", level: 2 }).waitFor();
    assert.deepEqual(
      [await off.isChecked(), await compact.isChecked(), await grouped.isChecked(), await size.isChecked()],
      [true, true, true, true],
    );
    assert.deepEqual(await services.settings.display(me.id), {
      readingPane: "off",
      groupByConversation: true,
      density: "compact",
      showSize: true,
    });

    // A value the page never offers (a tampered form): the error at its group, axe-clean.
    await off.evaluate((input) => {
      (input as HTMLInputElement).value = "gauche";
    });
    await page.getByRole("button", { name: "Enregistrer l'affichage" }).click();
    await pane.getByText("Choisissez où s'affiche le message", { exact: false }).waitFor();
    assert.equal(await compact.isChecked(), true, "the other values posted are kept");
    await expectAccessible(page, "Paramètres (affichage refusé)");
    assert.equal((await services.settings.display(me.id)).readingPane, "off");
    assert.deepEqual(problems, []);
    await context.close();
  });
});
