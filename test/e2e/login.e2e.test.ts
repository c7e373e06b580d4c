import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type BrowserEnv,
  expectAccessible,
  expectDarkScheme,
  field,
  openBrowserEnv,
  watchConsole,
} from "../helpers/browser.js";
import { seedStaff, uniqueStaff } from "../helpers/web.js";

const NEW_PASSWORD = "cerisier fleuri sur la colline 2026";

describe("webmail login journey (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
  });
  after(async () => {
    await env.close();
  });

  it("first login with the NUMEN, forced change, inbox, logout, login with the new password", async () => {
    const [person] = await seedStaff(env.server.services, [uniqueStaff({ prenom: "Agnès", nom: "Varda" })]);
    assert.ok(person);
    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);

    await page.goto("/");
    await page.getByRole("heading", { name: "Bienvenue sur le webmail" }).waitFor();
    await page.getByText("ATTENTION aux nombreuses tentatives de filoutage.").waitFor();
    await expectAccessible(page, "login page");

    // The guide's help links.
    await page.getByRole("link", { name: "J'ai besoin d'aide" }).first().click();
    await page.getByRole("heading", { name: "Aide à la connexion" }).waitFor();
    await expectAccessible(page, "help page");
    await page.goto("/");
    await page.getByRole("link", { name: "Je ne connais pas mon nom d'utilisateur ou mon mot de passe" }).click();
    await page
      .getByRole("heading", {
        name: "Que faire si vous ne connaissez pas votre identifiant ou en cas de perte de son mot de passe ?",
      })
      .waitFor();
    await expectAccessible(page, "lost credentials page");
    await page.goto("/filoutage");
    await page.getByRole("heading", { name: /Se protéger du filoutage/ }).waitFor();
    await expectAccessible(page, "phishing page");

    // Wrong password first: generic message, username kept.
    await page.goto("/");
    await field(page, "Nom d'utilisateur").fill("AVARDA");
    await field(page, "Mot de passe").fill("pas le bon");
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.getByText("Nom d'utilisateur ou mot de passe incorrect.").waitFor();
    assert.equal(await field(page, "Nom d'utilisateur").inputValue(), "AVARDA");
    await expectAccessible(page, "login page with an error");

    // The show-password toggle (JavaScript on).
    const passwordInput = field(page, "Mot de passe");
    await page.getByRole("button", { name: "Afficher le mot de passe" }).click();
    assert.equal(await passwordInput.getAttribute("type"), "text");
    await page.getByRole("button", { name: "Masquer le mot de passe" }).click();
    assert.equal(await passwordInput.getAttribute("type"), "password");

    // First login: the NUMEN, typed in lower case.
    await passwordInput.fill(person.numen.toLowerCase());
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.getByRole("heading", { name: "Choisissez votre mot de passe personnel" }).waitFor();
    await expectAccessible(page, "forced password change");

    // A weak password: each failed rule named at its field.
    await field(page, "Nouveau mot de passe").fill("varda");
    await field(page, "Confirmation du mot de passe").fill("vardb");
    await page.getByRole("button", { name: "Enregistrer le mot de passe" }).click();
    await page.getByText("Le mot de passe doit compter au moins 12 caractères.").first().waitFor();
    await page.getByText("La confirmation ne correspond pas au nouveau mot de passe.").first().waitFor();
    await expectAccessible(page, "forced password change with errors");

    await field(page, "Nouveau mot de passe").fill(NEW_PASSWORD);
    await page.getByText(/Robustesse du mot de passe/).waitFor();
    await field(page, "Confirmation du mot de passe").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Enregistrer le mot de passe" }).click();
    await page.getByRole("heading", { name: "Boîte de réception" }).waitFor();
    await page.getByText("Votre mot de passe a été modifié.").waitFor();
    await page.getByText("agnes.varda@ac-lyon.fr", { exact: true }).waitFor();
    await expectAccessible(page, "inbox");

    await page.getByRole("button", { name: "Se déconnecter" }).click();
    await page.getByText("Vous êtes déconnecté.", { exact: false }).waitFor();

    // The NUMEN no longer works; the new password does.
    await field(page, "Nom d'utilisateur").fill("avarda");
    await field(page, "Mot de passe").fill(person.numen);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.getByText("Nom d'utilisateur ou mot de passe incorrect.").waitFor();
    await field(page, "Mot de passe").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.getByRole("heading", { name: "Boîte de réception" }).waitFor();

    assert.deepEqual(problems, [], "no console error, no CSP violation");
    await context.close();
  });

  it("works with JavaScript disabled, at 320 px wide, in the dark scheme", async () => {
    const [person] = await seedStaff(env.server.services, [uniqueStaff({ prenom: "Jacques", nom: "Demy" })]);
    assert.ok(person);
    const context = await env.browser.newContext({
      baseURL: env.baseUrl,
      javaScriptEnabled: false,
      viewport: { width: 320, height: 640 },
      colorScheme: "dark",
    });
    const page = await context.newPage();
    await page.goto("/");
    await page.getByRole("heading", { name: "Bienvenue sur le webmail" }).waitFor();
    await expectDarkScheme(page, "login page");
    // No horizontal scrolling at 320 px.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
    await field(page, "Nom d'utilisateur").fill("jdemy");
    await field(page, "Mot de passe").fill(person.numen);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.getByRole("heading", { name: "Choisissez votre mot de passe personnel" }).waitFor();
    await expectDarkScheme(page, "forced password change");
    await field(page, "Nouveau mot de passe").fill(NEW_PASSWORD);
    await field(page, "Confirmation du mot de passe").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Enregistrer le mot de passe" }).click();
    await page.getByRole("heading", { name: "Boîte de réception" }).waitFor();
    await expectDarkScheme(page, "inbox");
    await page.getByRole("button", { name: "Se déconnecter" }).click();
    await page.getByText("Vous êtes déconnecté.", { exact: false }).waitFor();
    await context.close();

    // axe-core needs JavaScript in the page: the dark pages' contrast, checked with scripts on.
    const scripted = await env.browser.newContext({
      baseURL: env.baseUrl,
      locale: "fr-FR",
      viewport: { width: 320, height: 640 },
      colorScheme: "dark",
    });
    const darkPage = await scripted.newPage();
    await darkPage.goto("/");
    await darkPage.getByRole("heading", { name: "Bienvenue sur le webmail" }).waitFor();
    await expectDarkScheme(darkPage, "login page (scripts on)");
    await expectAccessible(darkPage, "login page (dark)");
    await field(darkPage, "Nom d'utilisateur").fill("jdemy");
    await field(darkPage, "Mot de passe").fill("pas le bon");
    await darkPage.getByRole("button", { name: "Se connecter" }).click();
    await darkPage.getByText("Nom d'utilisateur ou mot de passe incorrect.").waitFor();
    await expectAccessible(darkPage, "login page with an error (dark)");
    await scripted.close();
  });
});
