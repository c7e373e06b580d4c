/**
 * The console in Chromium, as the DSI and a helpdesk agent meet it: the administrator enrols the
 * second factor (the test reads the key on the page and computes the codes, as a phone would),
 * keeps the recovery codes, grants the helpdesk role with the second factor typed again; the agent
 * enrols, cannot open the administration, signs out and back in, a code typed twice is refused;
 * the security team's audit trail; a webmail user without a role finds no console. axe-core on
 * every page. On both databases.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generate } from "otplib";
import type { Page } from "playwright-core";
import {
  type BrowserEnv,
  expectAccessible,
  field,
  openBrowserEnv,
  signInWebmail,
  watchConsole,
} from "../helpers/browser.js";
import { DIALECTS } from "../helpers/env.js";
import { MAILBOX_PASSWORD, staffWithPassword } from "../helpers/web.js";

/** The code an authenticator shows now (`offsetS` later: the next 30 s step). */
function code(secret: string, offsetS = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetS });
}

async function signInConsole(page: Page, username: string): Promise<void> {
  await page.goto("/console/connexion");
  await page.getByRole("heading", { name: "Connexion à la console", level: 1 }).waitFor();
  await field(page, "Nom d'utilisateur").fill(username);
  await field(page, "Mot de passe").fill(MAILBOX_PASSWORD);
  await page.getByRole("button", { name: "Continuer" }).click();
}

/** The enrolment as a person does it: the key read on the page, the first code typed (both returned). */
async function enrol(page: Page): Promise<{ secret: string; typed: string }> {
  await page.getByRole("heading", { name: "Activer la double authentification", level: 1 }).waitFor();
  await page.getByRole("img", { name: "Code QR à scanner avec l'application d'authentification" }).waitFor();
  await expectAccessible(page, "enrolment");
  const secret = ((await page.locator("code.totp-secret").textContent()) ?? "").replace(/\s/g, "");
  assert.match(secret, /^[A-Z2-7]{16,}$/);
  const typed = await code(secret);
  await field(page, "Code à 6 chiffres").fill(typed);
  await page.getByRole("button", { name: "Activer", exact: true }).click();
  await page.getByRole("heading", { name: "Vos codes de secours", level: 1 }).waitFor();
  assert.equal(await page.locator("ul.recovery-codes li").count(), 10);
  await expectAccessible(page, "recovery codes");
  await page.getByRole("link", { name: "J'ai noté mes codes : aller à la console" }).click();
  await page.getByRole("heading", { name: "Console", level: 1 }).waitFor();
  return { secret, typed };
}

for (const dialect of DIALECTS) {
  describe(`the console (Chromium, ${dialect})`, () => {
    let env: BrowserEnv;
    before(async () => {
      env = await openBrowserEnv({}, {}, dialect);
    });
    after(async () => {
      await env.close();
    });

    it("the DSI enrols and grants the helpdesk role; the agent enrols, is kept out of the administration, a code twice is refused", async () => {
      const services = env.server.services;
      const dsi = await staffWithPassword(services, { prenom: "Hélène", nom: "Boucher" });
      const agent = await staffWithPassword(services, { prenom: "Karim", nom: "Benali" });
      // The first administrator is made from the CLI (`sesame role grant`): the same service.
      await services.console.grant(dsi.username, "admin", "cli:role grant");
      await services.console.grant(dsi.username, "securite", "cli:role grant");

      const admin = await env.newContext();
      const page = await admin.newPage();
      const problems = watchConsole(page);
      await signInConsole(page, dsi.username);
      await expectAccessible(page, "console sign-in → enrolment");
      const { secret: dsiSecret } = await enrol(page);
      await expectAccessible(page, "console home");
      await page.getByRole("link", { name: "Administration" }).click();
      await page.getByRole("heading", { name: "Administration", level: 1 }).waitFor();
      // The dashboard: charts drawn on the server, each with its table.
      // Drawn once loaded, as a person sees it (the first chart after a start loads the charting library).
      const chart = page.locator("img.console-chart").first();
      await chart.waitFor();
      await page.waitForFunction(
        (img) => img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0,
        await chart.elementHandle(),
      );
      await page.getByRole("link", { name: "7 jours" }).click();
      await page.locator("img.console-chart").first().waitFor();
      await expectAccessible(page, "administration");
      await page.emulateMedia({ colorScheme: "dark" });
      await expectAccessible(page, "administration, dark");
      await page.emulateMedia({ colorScheme: "light" });
      await field(page, "Nom d'utilisateur ou adresse du compte académique").fill(agent.username);
      await page.getByLabel("Rôle", { exact: true }).selectOption("assistance");
      // The second factor again (the next 30 s step: the enrolment's code cannot serve twice).
      await page
        .locator("form:has(input[name=operation][value=grant])")
        .getByLabel(/Code à 6 chiffres/)
        .fill(await code(dsiSecret, 30));
      await page.getByRole("button", { name: "Attribuer le rôle" }).click();
      await page.getByText(`Le rôle Assistance aux personnels est attribué à ${agent.username}.`).waitFor();
      await expectAccessible(page, "administration after a grant");
      // The security team's trail shows it.
      await page.goto("/console");
      await page.getByRole("link", { name: "Sécurité", exact: true }).click();
      await page.getByRole("heading", { name: "Sécurité", level: 1 }).waitFor();
      await field(page, "Compte (nom d'utilisateur ou adresse)").fill(agent.username);
      await page.getByRole("button", { name: "Filtrer" }).click();
      await page.getByRole("cell", { name: "console.role_granted" }).waitFor();
      await expectAccessible(page, "audit trail");
      assert.deepEqual(problems, []);
      await admin.close();

      // The agent.
      const helpdesk = await env.newContext();
      const agentPage = await helpdesk.newPage();
      const agentProblems = watchConsole(agentPage);
      await signInConsole(agentPage, agent.username);
      const { secret, typed } = await enrol(agentPage);
      assert.equal(await agentPage.getByRole("link", { name: "Administration" }).count(), 0);
      const forbidden = await agentPage.goto("/console/admin");
      assert.equal(forbidden?.status(), 404);
      // Out, and back in with the second factor; the enrolment's code again is refused.
      await agentPage.goto("/console");
      await agentPage.getByRole("button", { name: "Se déconnecter de la console" }).click();
      await agentPage.getByText("Vous êtes déconnecté de la console.").waitFor();
      await signInConsole(agentPage, agent.username);
      await agentPage.getByRole("heading", { name: "Code de double authentification", level: 1 }).waitFor();
      await expectAccessible(agentPage, "second factor");
      // The very code typed at the enrolment (computing it again could fall in the next 30 s step).
      await field(agentPage, "Code à 6 chiffres ou code de secours").fill(typed);
      await agentPage.getByRole("button", { name: "Se connecter" }).click();
      await agentPage.getByText("Ce code n'est pas le bon, ou il a déjà servi.", { exact: false }).first().waitFor();
      await expectAccessible(agentPage, "second factor refused");
      await field(agentPage, "Code à 6 chiffres ou code de secours").fill(await code(secret, 30));
      await agentPage.getByRole("button", { name: "Se connecter" }).click();
      await agentPage.getByRole("heading", { name: "Console", level: 1 }).waitFor();
      assert.deepEqual(agentProblems, []);
      await helpdesk.close();
    });

    it("a webmail user without a role finds no console", async () => {
      const services = env.server.services;
      const teacher = await staffWithPassword(services, { prenom: "Paul", nom: "Langevin" });
      const context = await env.newContext();
      const page = await context.newPage();
      await signInWebmail(page, teacher);
      for (const url of ["/console", "/console/assistance", "/console/admin"]) {
        const res = await page.goto(url);
        assert.equal(res?.status(), 404, url);
      }
      await expectAccessible(page, "the 404 page");
      // Its sign-in refuses them like a wrong password.
      await signInConsole(page, teacher.username);
      await page.getByText("Nom d'utilisateur ou mot de passe incorrect, ou compte sans accès à la console.").waitFor();
      await expectAccessible(page, "console sign-in refused");
      await context.close();
    });
  });
}
