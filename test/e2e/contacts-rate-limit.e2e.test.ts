/**
 * The compose page in Chromium once the address suggestions are refused (429, too many requests in a
 * minute): typing goes on, no suggestion is offered, the French sentence is in a polite status region
 * for screen readers, and the next minute the suggestions come back and the sentence goes.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SUGGESTION_RATE_POLICY } from "../../src/mail/contacts.service.js";
import { FakeClock } from "../../src/shared/clock.js";
import { contactsFr } from "../../src/web/i18n/contacts.fr.js";
import {
  type BrowserEnv,
  expectAccessible,
  field,
  openBrowserEnv,
  signInWebmail,
  watchConsole,
} from "../helpers/browser.js";
import { staffWithPassword } from "../helpers/web.js";

const WINDOW = SUGGESTION_RATE_POLICY.windowMs;

describe("address suggestions past the rate limit (Chromium)", () => {
  // Time stands still unless the test moves it: the window cannot end halfway through.
  const clock = new FakeClock(new Date(Math.floor(Date.now() / WINDOW) * WINDOW + 5_000));
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv({}, { clock });
  });
  after(async () => {
    await env.close();
  });

  it("stays quiet while refused, says why to screen readers, and suggests again the next minute", async () => {
    const services = env.server.services;
    const me = await staffWithPassword(services, { prenom: "Irène", nom: "Joliot" });
    const colleague = await staffWithPassword(services, { prenom: "Pierre", nom: "Auger" });
    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await signInWebmail(page, me);
    await page.goto("/mail/nouveau");
    // The minute's allowance, spent elsewhere (another tab, a script).
    for (let i = 0; i < SUGGESTION_RATE_POLICY.limit; i++) await services.contacts.suggest(me.id, "zz");

    const to = field(page, "À");
    const status = page.locator("[data-suggestions-status]");
    assert.equal(await status.getAttribute("role"), "status");
    const refusal = () =>
      page.waitForResponse((r) => r.url().includes("/mail/contacts/suggestions") && r.status() === 429);
    const refused = refusal();
    await to.pressSequentially("auge");
    await refused;
    await page.getByText(contactsFr.suggestionsLimited).waitFor({ state: "attached" });
    assert.equal(await status.textContent(), contactsFr.suggestionsLimited);
    assert.equal(await page.locator("#suggestions-a option").count(), 0, "no suggestion offered");
    const refusedAgain = refusal();
    await to.pressSequentially("r");
    await refusedAgain;
    assert.equal(await to.inputValue(), "auger", "typing goes on");
    assert.equal(await status.textContent(), contactsFr.suggestionsLimited);
    await expectAccessible(page, "Nouveau message, suggestions refusées");

    clock.advance(WINDOW);
    // The same text as a refused request is asked again (the script forgets a refused question).
    await to.fill("auge");
    await page.locator(`#suggestions-a option[value*="${colleague.address}"]`).waitFor({ state: "attached" });
    assert.equal(await status.textContent(), "", "the sentence goes once suggestions work again");
    assert.deepEqual(problems, []);
    await context.close();
  });
});
