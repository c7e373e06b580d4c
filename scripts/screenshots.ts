/**
 * Screenshots of the webmail for review: the demo académie in a throwaway data folder (as `npm start`
 * creates it), its demo teacher signed in with Chromium, and PNGs of the inbox, of the inbox with a
 * message open, and at 360 px of the « Dossiers » menu opened, at 1440×900, 1366×768 and 360×740,
 * each in the light and the dark colour scheme.
 *
 *   npm run screenshots                  (into screenshots/)
 *   npm run screenshots -- /tmp/shots    (into another folder)
 *
 * A shot whose element is missing (the layout changes) is skipped with a line saying so; the others
 * are still taken. Prints the files written.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { startBenchServer } from "../bench/lib.js";
import { field, launchChromium } from "../test/helpers/browser.js";

const OUT_DIR = path.resolve(process.argv[2] ?? "screenshots");
const VIEWPORTS = [
  { width: 1440, height: 900 },
  { width: 1366, height: 768 },
  { width: 360, height: 740 },
] as const;
const SCHEMES = ["light", "dark"] as const;
/** The password given to the demo teacher here (the demo's own is the NUMEN, to change at first sign-in). */
const PASSWORD = "Captures d'écran du webmail, 2024";
/** How long to wait for an element before skipping its shot. */
const WAIT_MS = 10_000;

const written: string[] = [];
const skipped: string[] = [];

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function shoot(page: Page, name: string): Promise<void> {
  const file = path.join(OUT_DIR, `${name}.png`);
  await page.screenshot({ path: file, animations: "disabled" });
  written.push(file);
  log(`written ${file}`);
}

function skip(name: string, why: string): void {
  skipped.push(name);
  log(`skipped ${name}: ${why}`);
}

/** The first of the locators that is there within WAIT_MS (tried in turn), or null. */
async function firstPresent(candidates: readonly Locator[]): Promise<Locator | null> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    for (const candidate of candidates) {
      const one = candidate.first();
      if (await one.isVisible().catch(() => false)) return one;
    }
    if (Date.now() > deadline) return null;
    await anyOf(candidates)
      .waitFor({ state: "visible", timeout: 500 })
      .catch(() => {});
  }
}

/** Any of the candidates (Playwright's `or`), to wait on all of them at once. */
function anyOf(candidates: readonly Locator[]): Locator {
  const [head, ...rest] = candidates;
  if (!head) throw new Error("no candidate");
  return rest.reduce((all, c) => all.or(c), head).first();
}

async function signIn(page: Page, username: string): Promise<void> {
  await page.goto("/");
  await field(page, "Nom d'utilisateur").fill(username);
  await field(page, "Mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL(/\/mail(?:[/?#]|$)/, { timeout: 30_000 });
  await page.waitForLoadState("load");
}

async function inboxShots(context: BrowserContext, username: string, label: string, narrow: boolean): Promise<void> {
  const page = await context.newPage();
  await signIn(page, username);
  await page.goto("/mail");
  await shoot(page, `boite-de-reception-${label}`);

  // A message open: its link in the list (to a page of its own or to the reading pane), then its heading.
  const link = await firstPresent([
    page.locator("[data-message-link]"),
    page.locator("li[data-message-id] a[href]"),
    page.locator("a[href^='/mail/messages/'], a[href*='lire=']"),
  ]);
  if (!link) {
    skip(`message-ouvert-${label}`, "no message link in the list");
  } else {
    const subject = (
      await link
        .locator(".message-subject")
        .first()
        .textContent({ timeout: 1_000 })
        .catch(() => null)
    )
      ?.trim()
      .slice(0, 60);
    await link.click();
    const heading = subject
      ? page.getByRole("heading").filter({ hasText: subject })
      : page.locator("h1, h2").filter({ hasNotText: "Boîte de réception" });
    const found = await heading
      .first()
      .waitFor({ state: "visible", timeout: WAIT_MS })
      .then(() => true)
      .catch(() => false);
    if (found) await shoot(page, `message-ouvert-${label}`);
    else skip(`message-ouvert-${label}`, `no heading${subject ? ` « ${subject} »` : ""} after opening the message`);
  }

  if (narrow) {
    await page.goto("/mail");
    const summary = page.locator("details > summary").filter({ hasText: "Dossiers" });
    const menuLink = page.getByRole("link", { name: "Dossiers", exact: true });
    const control = await firstPresent([summary, menuLink]);
    if (!control) {
      skip(`menu-dossiers-${label}`, "no « Dossiers » menu (<details> or link)");
    } else {
      const isSummary = await control.evaluate((el) => el.tagName === "SUMMARY");
      await control.click();
      if (isSummary) {
        await page
          .locator("details[open] > summary")
          .filter({ hasText: "Dossiers" })
          .first()
          .waitFor({ timeout: WAIT_MS });
      } else {
        await page.waitForLoadState("load");
      }
      await shoot(page, `menu-dossiers-${label}`);
    }
  }
  await page.close();
}

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  log("starting the server on a throwaway data folder and creating the demo académie…");
  const bench = await startBenchServer();
  const browser = await launchChromium();
  try {
    const { services } = bench;
    await services.demo.fill("cli:screenshots");
    const [teacher] = await services.demo.mailboxPeople(1);
    if (!teacher) throw new Error("the demo académie has no teacher with a mailbox");
    const account = await services.directory.getAccount(teacher.address);
    await services.directory.setPasswordHash(account.id, await services.hasher.hash(PASSWORD), "personal", null);
    const baseURL = bench.url.replace(/\/$/, "");
    log(`signed in as ${account.username} (${teacher.name})`);

    for (const viewport of VIEWPORTS) {
      for (const colorScheme of SCHEMES) {
        const label = `${viewport.width}x${viewport.height}-${colorScheme === "light" ? "clair" : "sombre"}`;
        const context = await browser.newContext({ baseURL, locale: "fr-FR", viewport, colorScheme });
        try {
          await inboxShots(context, account.username, label, viewport.width < 600);
        } finally {
          await context.close();
        }
      }
    }
  } finally {
    await browser.close();
    await bench.close();
  }
  console.log(
    `${written.length} screenshots written in ${OUT_DIR}${skipped.length ? `, ${skipped.length} skipped` : ""}:`,
  );
  for (const file of written) console.log(file);
  for (const name of skipped) console.log(`skipped: ${name}`);
}

await main();
