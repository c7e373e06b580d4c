import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BrowserEnv, expectAccessible, field, openBrowserEnv, watchConsole } from "../helpers/browser.js";
import { messagesTo } from "../helpers/mail-to.js";
import { seedStaff, uniqueStaff } from "../helpers/web.js";

const NEW_PASSWORD = "Le merle siffle au fond du jardin";
const EXTERNAL_PASSWORD = "Trois tortues traversent la Loire";

describe("Assistance à l'identification: the guide's journey (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
  });
  after(async () => {
    await env.close();
  });

  it("webmail login → lost credentials → NUMEN → username → new password → se déconnecter → Connexion → account → webmail", async () => {
    const [person] = await seedStaff(env.server.services, [
      uniqueStaff({ prenom: "Germaine", nom: "Tillion", date_naissance: "30/05/1987" }),
    ]);
    assert.ok(person);
    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);

    await page.goto("/");
    await page.getByRole("link", { name: "Je ne connais pas mon nom d'utilisateur ou mon mot de passe" }).click();
    await page.getByRole("link", { name: "Accéder à l'Assistance à l'identification académique" }).click();
    await page.getByRole("heading", { name: "Identifiant ou mot de passe oublié" }).waitFor();
    await expectAccessible(page, "assistance landing");
    await page.getByRole("link", { name: /Je ne connais pas mon nom d'utilisateur ou mon mot de passe/ }).click();
    await page.getByText("Je suis un personnel de l'académie de Lyon").click();
    await page.getByRole("link", { name: /Je me connecte avec mon NUMEN/ }).waitFor();
    await expectAccessible(page, "assistance choices, staff open");
    await page.getByRole("link", { name: /Je me connecte avec mon NUMEN/ }).click();

    await page.getByRole("heading", { name: "Connexion" }).waitFor();
    await page.getByText("Veuillez saisir votre NUMEN et votre date de naissance", { exact: false }).waitFor();
    await expectAccessible(page, "NUMEN form");
    // A format error first: named at its field, what was typed is kept.
    await field(page, "NUMEN").fill(person.numen);
    await field(page, "Date de naissance").fill("31/02/1987");
    await page.getByRole("button", { name: "Valider" }).click();
    await page.getByText("Cette date n'existe pas", { exact: false }).first().waitFor();
    assert.equal(await field(page, "NUMEN").inputValue(), person.numen);
    await expectAccessible(page, "NUMEN form with an error");
    await field(page, "Date de naissance").fill("30/05/1987");
    await page.getByLabel("Type de compte").selectOption({ label: "Compte académique (@ac-lyon.fr)" });
    await page.getByRole("button", { name: "Valider" }).click();

    await page.getByRole("heading", { name: "Informations de votre compte" }).waitFor();
    await page.getByText("Votre nom d'utilisateur est :").waitFor();
    await page.getByText("gtillion", { exact: true }).waitFor();
    await expectAccessible(page, "account information");
    await page.getByRole("link", { name: "Modifier mon mot de passe" }).click();
    await field(page, "Nouveau mot de passe").fill(NEW_PASSWORD);
    await field(page, "Confirmation du mot de passe").fill(NEW_PASSWORD);
    await expectAccessible(page, "recovery password form");
    await page.getByRole("button", { name: "Enregistrer le mot de passe" }).click();
    await page.getByText("Le mot de passe de gtillion a été modifié.", { exact: false }).waitFor();

    await page.getByRole("button", { name: "se déconnecter" }).click();
    await page.getByText("Veuillez saisir votre identifiant et votre mot de passe", { exact: false }).waitFor();
    await expectAccessible(page, "account Connexion");
    await field(page, "Identifiant").fill("gtillion");
    await field(page, "Mot de passe").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Connexion" }).click();
    await page.getByRole("heading", { name: "Mon compte" }).waitFor();
    await page.getByRole("heading", { name: "Dernières connexions" }).waitFor();
    await page.getByRole("heading", { name: "Sessions ouvertes" }).waitFor();
    await expectAccessible(page, "account page");

    // The notification reached the account's own inbox (local addresses never wait for a relay).
    const outbox = await messagesTo(env.server.services, "germaine.tillion@ac-lyon.fr");
    assert.equal(outbox[0]?.subject, "Votre mot de passe a été modifié");

    // Finally the webmail with the new password.
    await page.goto("/");
    await field(page, "Nom d'utilisateur").fill("gtillion");
    await field(page, "Mot de passe").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.getByRole("heading", { name: "Boîte de réception" }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("an external user resets the password through the link sent to the recovery address", async () => {
    const account = await env.server.services.directory.createExternal(
      { nom: "Curie", prenom: "Ève", recoveryEmail: "eve.curie@example.org" },
      "test",
    );
    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto("/assistance/choix");
    await page.getByText("Je suis un utilisateur externe").click();
    await field(page, "Identifiant ou adresse de secours").fill("eve.curie@example.org");
    await page.getByRole("button", { name: "Recevoir un lien" }).click();
    await page.getByText("Si un compte correspond, un message vient d'être envoyé", { exact: false }).waitFor();
    await expectAccessible(page, "external request sent");

    const [message] = await messagesTo(env.server.services, "eve.curie@example.org");
    const link = /https?:\/\/\S+\/assistance\/reinitialiser\/\S+/.exec(message?.text ?? "")?.[0];
    assert.ok(link, "the message carries the link");
    await page.goto(new URL(link).pathname);
    await page.getByRole("heading", { name: "Choisissez un nouveau mot de passe" }).waitFor();
    await expectAccessible(page, "reset form");
    await field(page, "Nouveau mot de passe").fill(EXTERNAL_PASSWORD);
    await field(page, "Confirmation du mot de passe").fill(EXTERNAL_PASSWORD);
    await page.getByRole("button", { name: "Enregistrer le mot de passe" }).click();
    await page.getByText(`Le mot de passe de ${account.username} a été modifié.`, { exact: false }).waitFor();

    // Used once: the link no longer works.
    await page.goto(new URL(link).pathname);
    await page.getByRole("heading", { name: "Lien non valable" }).waitFor();

    await page.goto("/");
    await field(page, "Nom d'utilisateur").fill(account.username);
    await field(page, "Mot de passe").fill(EXTERNAL_PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.getByRole("heading", { name: "Boîte de réception" }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("the NUMEN path works without JavaScript (axe-core needs scripts, so it runs in the other journeys)", async () => {
    const [person] = await seedStaff(env.server.services, [
      uniqueStaff({ prenom: "Lucie", nom: "Aubrac", date_naissance: "29/06/1982" }),
    ]);
    assert.ok(person);
    const context = await env.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto("/assistance/choix");
    await page.getByText("Je suis un personnel de l'académie de Lyon").click();
    await page.getByRole("link", { name: /Je me connecte avec mon NUMEN/ }).click();
    await field(page, "NUMEN").fill(person.numen.toLowerCase());
    await field(page, "Date de naissance").fill("29/06/1982");
    await page.getByRole("button", { name: "Valider" }).click();
    await page.getByText("laubrac", { exact: true }).waitFor();
    await page.getByRole("link", { name: "Modifier mon mot de passe" }).click();
    await field(page, "Nouveau mot de passe").fill(NEW_PASSWORD);
    await field(page, "Confirmation du mot de passe").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Enregistrer le mot de passe" }).click();
    await page.getByText("Le mot de passe de laubrac a été modifié.", { exact: false }).waitFor();
    await page.getByRole("button", { name: "se déconnecter" }).click();
    await page.getByRole("heading", { name: "Connexion" }).waitFor();
    await context.close();
  });
});
