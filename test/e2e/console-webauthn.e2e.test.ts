/**
 * A security key as the console's second factor, in Chromium with a virtual authenticator (CDP
 * `WebAuthn.addVirtualAuthenticator`: CTAP2, internal, resident keys, user verification): the agent
 * enrols TOTP, adds a key from « Clés de sécurité » (the code typed again), signs out, signs in with
 * the password then the key, grants a role confirmed with the key instead of a code, and removes the
 * key. Without JavaScript the second-factor page says a key needs it. axe-core on every new page;
 * the audit rows checked in the database. WebAuthn wants a host name, not an IP: the server's public
 * URL is http://localhost:<port> and the browser goes there.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import type { BrowserContext } from "playwright-core";
import { type BrowserEnv, expectAccessible, field, openBrowserEnv, watchConsole } from "../helpers/browser.js";
import { browserTotp, enrolInConsole } from "../helpers/console-browser.js";
import { MAILBOX_PASSWORD, staffWithPassword } from "../helpers/web.js";

const TIMEOUT = 60_000;

/** A port free now (the server listens on it next). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

describe("the console's security keys (Chromium, virtual authenticator)", () => {
  let env: BrowserEnv;
  let baseURL: string;
  before(async () => {
    const port = await freePort();
    baseURL = `http://localhost:${port}`;
    env = await openBrowserEnv({ SESAME_HTTP_PORT: String(port), SESAME_PUBLIC_URL: baseURL });
  });
  after(async () => {
    await env.close();
  });

  const newContext = (javaScriptEnabled = true): Promise<BrowserContext> =>
    env.browser.newContext({ baseURL, locale: "fr-FR", javaScriptEnabled });

  it("enrol TOTP, add a key, sign in with it, confirm a sensitive action with it, remove it", async () => {
    const services = env.server.services;
    const dsi = await staffWithPassword(services, { prenom: "Sandrine", nom: "Keller" });
    const agent = await staffWithPassword(services, { prenom: "Yann", nom: "Le Goff" });
    await services.console.grant(dsi.username, "admin", "cli:role grant");

    const context = await newContext();
    context.setDefaultTimeout(TIMEOUT);
    const page = await context.newPage();
    const problems = watchConsole(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });

    const secret = await enrolInConsole(page, dsi.username);
    // « Clés de sécurité »: none yet; a key added with the code typed again.
    await page.getByRole("link", { name: "Clés de sécurité" }).click();
    await page.getByRole("heading", { name: "Clés de sécurité", level: 1 }).waitFor();
    await page.getByText("Vous n'avez enregistré aucune clé de sécurité.").waitFor();
    await page.getByRole("button", { name: "Ajouter une clé de sécurité" }).waitFor();
    await expectAccessible(page, "security keys, none");
    await field(page, "Nom de la clé").fill("Ordinateur du bureau");
    // The next 30 s step: the enrolment's code cannot serve twice.
    await field(page, "Code à 6 chiffres").fill(await browserTotp(secret, 30));
    await page.getByRole("button", { name: "Ajouter une clé de sécurité" }).click();
    await page.getByText("La clé « Ordinateur du bureau » est ajoutée.").waitFor();
    await page.getByRole("rowheader", { name: "Ordinateur du bureau" }).waitFor();
    await expectAccessible(page, "security keys, one");
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    assert.equal(credentials.length, 1, "the authenticator holds the new credential");

    // Out, and back in: the password, then the key.
    await page.getByRole("button", { name: "Se déconnecter de la console" }).click();
    await page.getByText("Vous êtes déconnecté de la console.").waitFor();
    await field(page, "Nom d'utilisateur").fill(dsi.username);
    await field(page, "Mot de passe").fill(MAILBOX_PASSWORD);
    await page.getByRole("button", { name: "Continuer" }).click();
    await page.getByRole("heading", { name: "Code de double authentification", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Utiliser une clé de sécurité" }).waitFor();
    await expectAccessible(page, "second factor with a key");
    await page.getByRole("button", { name: "Utiliser une clé de sécurité" }).click();
    await page.getByRole("heading", { name: "Console", level: 1 }).waitFor();

    // A sensitive action confirmed with the key instead of a code.
    await page.getByRole("link", { name: "Administration" }).click();
    await page.getByRole("heading", { name: "Administration", level: 1 }).waitFor();
    const grant = page.locator("form:has(input[name=operation][value=grant])");
    await grant.getByLabel(/^Nom d'utilisateur ou adresse du compte académique/).fill(agent.username);
    await grant.getByLabel("Rôle", { exact: true }).selectOption("assistance");
    await grant.getByText("Ou confirmez avec votre clé de sécurité :").waitFor();
    await expectAccessible(page, "administration with a key");
    await grant.getByRole("button", { name: "Utiliser une clé de sécurité" }).click();
    await page.getByText(`Le rôle Assistance aux personnels est attribué à ${agent.username}.`).waitFor();
    assert.deepEqual(await services.console.rolesOf(agent.id), ["assistance"]);

    // The key removed, from its own page (confirmed a moment ago: no code asked).
    await page.goto("/console/cles");
    await page.getByRole("heading", { name: "Clés de sécurité", level: 1 }).waitFor();
    assert.equal(await page.getByText("jamais").count(), 0, "its last use is shown");
    await page.getByRole("link", { name: "Retirer la clé « Ordinateur du bureau »" }).click();
    await page.getByRole("heading", { name: "Retirer la clé « Ordinateur du bureau »", level: 1 }).waitFor();
    await expectAccessible(page, "removing a key");
    await page.getByRole("button", { name: "Retirer" }).click();
    await page.getByText("La clé « Ordinateur du bureau » est retirée.").waitFor();
    assert.deepEqual(problems, []);
    await context.close();

    // The audit trail, in the database.
    const rows = await services.database.db
      .selectFrom("audit_event")
      .select(["action", "actor", "details"])
      .where("entity", "=", "account")
      .where("entity_id", "=", String(dsi.id))
      .orderBy("id")
      .execute();
    const actions = rows.map((r) => r.action);
    for (const action of [
      "console.totp_enrolled",
      "console.webauthn_registered",
      "console.second_factor_succeeded",
      "console.reauthenticated",
      "console.webauthn_removed",
    ]) {
      assert.ok(actions.includes(action), action);
    }
    const details = (action: string) =>
      rows.filter((r) => r.action === action).map((r) => JSON.parse(String(r.details)) as Record<string, unknown>);
    assert.ok(details("console.second_factor_succeeded").some((d) => d.method === "webauthn"));
    assert.ok(details("console.reauthenticated").some((d) => d.method === "webauthn"));
    assert.equal(details("console.webauthn_registered")[0]?.name, "Ordinateur du bureau");
    assert.ok(!actions.includes("console.second_factor_failed"));
  });

  it("without JavaScript the second-factor page says a key needs it; the code form is there", async () => {
    const services = env.server.services;
    const person = await staffWithPassword(services, { prenom: "Inès", nom: "Moreau" });
    await services.console.grant(person.username, "securite", "cli:role grant");
    // Enrolled with a key in a browser with JavaScript…
    const withJs = await newContext();
    withJs.setDefaultTimeout(TIMEOUT);
    const page = await withJs.newPage();
    const cdp = await withJs.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await page.goto("/console/connexion");
    await field(page, "Nom d'utilisateur").fill(person.username);
    await field(page, "Mot de passe").fill(MAILBOX_PASSWORD);
    await page.getByRole("button", { name: "Continuer" }).click();
    await page.getByRole("heading", { name: "Activer la double authentification", level: 1 }).waitFor();
    await page.getByRole("heading", { name: "Ou utilisez une clé de sécurité", level: 2 }).waitFor();
    await field(page, "Nom de la clé").fill("Clé USB");
    await page.getByRole("button", { name: "Activer avec une clé de sécurité" }).click();
    await page.getByRole("heading", { name: "Vos codes de secours", level: 1 }).waitFor();
    await expectAccessible(page, "recovery codes after a key");
    await withJs.close();
    // …then signing in without JavaScript.
    const noJs = await newContext(false);
    noJs.setDefaultTimeout(TIMEOUT);
    const bare = await noJs.newPage();
    await bare.goto("/console/connexion");
    await field(bare, "Nom d'utilisateur").fill(person.username);
    await field(bare, "Mot de passe").fill(MAILBOX_PASSWORD);
    await bare.getByRole("button", { name: "Continuer" }).click();
    await bare.getByRole("heading", { name: "Code de double authentification", level: 1 }).waitFor();
    await bare.getByText("Les clés de sécurité demandent JavaScript.", { exact: false }).waitFor();
    assert.equal(await bare.getByRole("button", { name: "Utiliser une clé de sécurité" }).count(), 0);
    await field(bare, "Code à 6 chiffres ou code de secours").waitFor();
    // axe runs in the page, so not here (JavaScript is off): the same page with JavaScript is checked
    // in the test above.
    await noJs.close();
  });
});
