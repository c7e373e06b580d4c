import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BrowserEnv, expectAccessible, field, openBrowserEnv, watchConsole } from "../helpers/browser.js";
import { seedStaff, uniqueStaff } from "../helpers/web.js";

const PASSWORD = "un jardin de roses sous la pluie";

describe("session expiry warning and keyboard use (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    // A 2-minute idle timeout: the warning (shown 2 minutes before the end) appears at once.
    env = await openBrowserEnv({ SESAME_SESSION_IDLE_MINUTES: "2" });
  });
  after(async () => {
    await env.close();
  });

  it("can be used with the keyboard alone, then warns before the session expires and lets the user extend it", async () => {
    const [person] = await seedStaff(env.server.services, [uniqueStaff({ prenom: "Éric", nom: "Rohmer" })]);
    assert.ok(person);
    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto("/");
    await page.getByRole("heading", { name: "Bienvenue sur le webmail" }).waitFor();

    // The skip link is the first stop, and it leads to the content.
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Aller au contenu");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "contenu");

    // Fill in and submit with the keyboard only.
    await field(page, "Nom d'utilisateur").focus();
    await page.keyboard.type("erohmer");
    await page.keyboard.press("Tab");
    await page.keyboard.type(person.numen);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Choisissez votre mot de passe personnel" }).waitFor();
    await field(page, "Nouveau mot de passe").fill(PASSWORD);
    await field(page, "Confirmation du mot de passe").fill(PASSWORD);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Boîte de réception" }).waitFor();

    const dialog = page.getByRole("alertdialog", { name: "Votre session va expirer" });
    await dialog.waitFor();
    await dialog.getByText("vous serez déconnecté dans 2 minutes", { exact: false }).waitFor();
    const extend = page.getByRole("button", { name: "Prolonger la session" });
    assert.equal(await extend.evaluate((el) => el === document.activeElement), true, "focus moves to the button");
    await expectAccessible(page, "inbox with the expiry warning");
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "hidden" });
    assert.deepEqual(problems, []);
    await context.close();
  });
});
