/**
 * The helpdesk's journey in Chromium: an agent finds a caller by a misspelt name, opens their card
 * (axe-core clean), sees the sign-in throttle, lifts it with a reason and the second factor, sends
 * a reset link (it reaches the outbox), sets a temporary password and reads it; the caller signs in
 * to the webmail with it and must change it at once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BrowserEnv, expectAccessible, field, openBrowserEnv, watchConsole } from "../helpers/browser.js";
import { browserTotp, enrolInConsole } from "../helpers/console-browser.js";
import { messagesTo } from "../helpers/mail-to.js";
import { nextMailboxIp, staffWithPassword } from "../helpers/web.js";

const NEW_PASSWORD = "Les cerisiers de la Croix-Rousse en avril";

describe("the helpdesk's person card (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
  });
  after(async () => {
    await env.close();
  });

  it("finds a caller by a misspelt name, lifts the throttle, sends a link, sets a temporary password", async () => {
    const services = env.server.services;
    const agent = await staffWithPassword(services, { prenom: "Nadia", nom: "Ferhat" });
    await services.console.grant(agent.username, "assistance", "cli:role grant");
    const caller = await staffWithPassword(services, { prenom: "Bérangère", nom: "Dufresnoy" });
    const email = "berangere.perso@exemple.org";
    await services.directory.setRecoveryEmail(caller.id, email, "test");
    // The caller typed a wrong password too often: the sign-in is throttled.
    for (let i = 0; i < 6; i += 1) {
      await assert.rejects(
        services.login.authenticate({
          identifier: caller.username,
          password: `faux ${i}`,
          ip: nextMailboxIp(),
          channel: "imap",
        }),
      );
    }

    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    const secret = await enrolInConsole(page, agent.username);
    await page.getByRole("link", { name: "Assistance aux personnels" }).click();
    await page.getByRole("heading", { name: "Assistance aux personnels", level: 1 }).waitFor();
    await field(page, "Nom, nom d'utilisateur, adresse, UAI ou NUMEN").fill("dufresnois berangere");
    await page.getByRole("button", { name: "Rechercher" }).click();
    await page.getByRole("link", { name: /Bérangère Dufresnoy/ }).click();
    await page.getByRole("heading", { name: /Fiche de .*Bérangère Dufresnoy/, level: 1 }).waitFor();
    await page.getByText("bloqué jusqu'au", { exact: false }).waitFor();
    await page.getByText("b••••@exemple.org (confirmée)").waitFor();
    await expectAccessible(page, "person card");

    // Lift the throttle: a reason and the second factor again (the next 30 s step).
    await page.getByLabel("Lever le blocage des connexions").check();
    await field(page, "Motif").fill("Appel de l'intéressée, identité vérifiée");
    await field(page, "Code à 6 chiffres").fill(await browserTotp(secret, 30));
    await page.getByRole("button", { name: "Valider l'action" }).click();
    await page.getByText("Le blocage des connexions a été levé.").waitFor();
    assert.equal(await page.getByText("bloqué jusqu'au", { exact: false }).count(), 0);
    await expectAccessible(page, "person card after an action");

    // A reset link to the recovery address.
    await page.getByLabel("Envoyer un lien de réinitialisation à l'adresse de secours").check();
    await field(page, "Motif").fill("Mot de passe oublié");
    await page.getByRole("button", { name: "Valider l'action" }).click();
    await page.getByText("Le lien de réinitialisation a été envoyé à l'adresse de secours.").waitFor();
    const [link] = await messagesTo(services, email);
    assert.ok(link?.text.includes("/assistance/reinitialiser/"), "the link reached the outbox");

    // An empty reason is refused, in French, at its field.
    await page.getByLabel("Fermer toutes les sessions").check();
    await page.getByRole("button", { name: "Valider l'action" }).click();
    await page.getByText("Indiquez le motif de cette action.").first().waitFor();
    await expectAccessible(page, "person card with an error");

    // A temporary password (the second factor typed 5 minutes ago still holds).
    await page.getByLabel("Définir un mot de passe temporaire").check();
    await field(page, "Motif").fill("Pas d'accès à l'adresse de secours");
    await page.getByRole("button", { name: "Valider l'action" }).click();
    await page.getByRole("heading", { name: "Mot de passe temporaire", level: 1 }).waitFor();
    const temporary = ((await page.locator("code[data-temporary-password]").textContent()) ?? "").trim();
    assert.match(temporary, /^[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}$/);
    await expectAccessible(page, "temporary password");
    assert.deepEqual(problems, []);
    await context.close();

    // The caller signs in to the webmail with it, and must change it at once.
    const callerContext = await env.newContext();
    const callerPage = await callerContext.newPage();
    await callerPage.goto("/");
    await field(callerPage, "Nom d'utilisateur").fill(caller.username);
    await field(callerPage, "Mot de passe").fill(temporary);
    await callerPage.getByRole("button", { name: "Se connecter" }).click();
    await callerPage.getByRole("heading", { name: "Choisissez votre mot de passe personnel" }).waitFor();
    await field(callerPage, "Nouveau mot de passe").fill(NEW_PASSWORD);
    await field(callerPage, "Confirmation du mot de passe").fill(NEW_PASSWORD);
    await callerPage.getByRole("button", { name: "Enregistrer le mot de passe" }).click();
    await callerPage.getByRole("heading", { name: "Boîte de réception" }).waitFor();
    const stored = await services.directory.credentialsById(caller.id);
    assert.equal(stored?.account.passwordState, "personal");
    assert.equal(stored?.passwordExpiresAt, null);
    const trail = await services.audit.forEntity("account", caller.id, [
      "helpdesk.throttle_lifted",
      "helpdesk.reset_link_sent",
      "helpdesk.temporary_password_set",
    ]);
    assert.deepEqual(
      trail.map((e) => [e.action, e.actor, e.details.reason]),
      [
        ["helpdesk.temporary_password_set", `console:${agent.username}`, "Pas d'accès à l'adresse de secours"],
        ["helpdesk.reset_link_sent", `console:${agent.username}`, "Mot de passe oublié"],
        ["helpdesk.throttle_lifted", `console:${agent.username}`, "Appel de l'intéressée, identité vérifiée"],
      ],
    );
    await callerContext.close();
  });
});
