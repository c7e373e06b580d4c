import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BrowserEnv, expectAccessible, field, openBrowserEnv, watchConsole } from "../helpers/browser.js";
import { seedStaff, uniqueStaff } from "../helpers/web.js";

/** Fails `count` logins from this machine's address, as a guessing script would. */
async function failLogins(baseUrl: string, count: number): Promise<void> {
  const first = await fetch(`${baseUrl}/`);
  const cookie = (first.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await first.text())?.[1] ?? "";
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${baseUrl}/connexion`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams({ _csrf: csrf, username: `inconnu${i}`, password: "nimporte quoi" }),
    });
    assert.equal(res.status, 401);
  }
}

describe("proof-of-work challenge after many failures from one address (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    // A cheap challenge: the widget still runs its worker under the real CSP.
    env = await openBrowserEnv({}, { challengeSettings: { cost: 10, counterMin: 10, counterMax: 50 } });
  });
  after(async () => {
    await env.close();
  });

  it("shows the ALTCHA widget, which solves itself, and the login goes through", async () => {
    const [person] = await seedStaff(env.server.services, [uniqueStaff({ prenom: "Claude", nom: "Chabrol" })]);
    assert.ok(person);
    await failLogins(env.baseUrl, 20);

    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto("/");
    await page.getByText("Une courte vérification automatique est demandée", { exact: false }).waitFor();
    const widget = page.locator("altcha-widget");
    await widget.waitFor();
    // The widget fills its hidden field once the proof of work is done.
    await page.waitForFunction(() => {
      const input = document.querySelector<HTMLInputElement>('altcha-widget input[name="altcha"]');
      return input !== null && input.value.length > 0;
    });
    await expectAccessible(page, "login page with the challenge");
    await field(page, "Nom d'utilisateur").fill("cchabrol");
    await field(page, "Mot de passe").fill(person.numen);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.getByRole("heading", { name: "Choisissez votre mot de passe personnel" }).waitFor();
    assert.deepEqual(problems, [], "no console error, no CSP violation");
    await context.close();
  });
});
