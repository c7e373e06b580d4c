/**
 * Browser tests: Debian's Chromium driven by playwright-core, against a real server on 127.0.0.1,
 * with axe-core on every page (wcag2a, wcag2aa, wcag21aa).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { AxeBuilder } from "@axe-core/playwright";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { type RunningServer, startServer } from "../../src/main.js";
import type { ServicesOptions } from "../../src/services.js";
import type { DialectName } from "../../src/storage/database.js";
import { openTestDatabase } from "./env.js";
import { MAILBOX_PASSWORD } from "./web.js";

export const CHROMIUM = process.env.SESAME_CHROMIUM ?? "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface BrowserEnv {
  readonly server: RunningServer;
  readonly baseUrl: string;
  readonly browser: Browser;
  newContext(options?: ContextOptions): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** A browser context's options the tests vary: JavaScript, the window's size, the colour scheme. */
export interface ContextOptions {
  readonly javaScriptEnabled?: boolean;
  readonly viewport?: { readonly width: number; readonly height: number };
  readonly colorScheme?: "light" | "dark";
}

/** Debian's Chromium, headless, with a fresh temporary profile (playwright-core gives each launch one). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: run scripts/ensure-chromium.sh (Debian package chromium)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/** A server on a fresh database (SQLite unless said) and a Chromium with a fresh profile. */
export async function openBrowserEnv(
  env: Record<string, string> = {},
  options: ServicesOptions = {},
  dialect: DialectName = "sqlite",
): Promise<BrowserEnv> {
  const browser = await launchChromium();
  const { services, config, release } = await openTestDatabase(
    dialect,
    { SESAME_HTTP_HOST: "127.0.0.1", ...env },
    options,
  );
  const server = await startServer(config, services);
  const baseUrl = server.url.replace(/\/$/, "");
  return {
    server,
    baseUrl,
    browser,
    newContext: (o = {}) =>
      browser.newContext({
        baseURL: baseUrl,
        locale: "fr-FR",
        javaScriptEnabled: o.javaScriptEnabled ?? true,
        ...(o.viewport ? { viewport: { ...o.viewport } } : {}),
        ...(o.colorScheme ? { colorScheme: o.colorScheme } : {}),
      }),
    async close() {
      await browser.close();
      await server.stop();
      await release();
    },
  };
}

/**
 * axe-core on the page as it is now: zero violations of WCAG 2.1 A and AA. `sandboxedFrame`: the
 * page holds a message frame sandboxed without scripts, where axe's per-frame run never finishes:
 * the page is then checked in axe's legacy mode (same rules and tags; the iframe element itself —
 * its title — is checked, the sender's HTML inside it cannot be).
 */
export async function expectAccessible(page: Page, label: string, options: { sandboxedFrame?: boolean } = {}) {
  const builder = new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21aa"]);
  // axe runs in the page: on a page without JavaScript it never answers. A failure, not a hang.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`axe-core did not finish on ${label} (JavaScript off?)`)), 90_000);
  });
  const results = await Promise.race([
    (options.sandboxedFrame ? builder.setLegacyMode() : builder).analyze(),
    timeout,
  ]).finally(() => clearTimeout(timer));
  const violations = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
  assert.deepEqual(violations, [], `accessibility violations on ${label}`);
}

/**
 * Collects CSP violations, script errors and failed sub-resources (a stylesheet, a script, an
 * icon…), to assert none happened. Pages answered with a 4xx on purpose (a wrong password) are
 * not problems.
 */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (msg) => {
    const text = msg.text();
    // The message frame's sandbox refusing a script (the test tools' own, injected into the frame):
    // the sandbox doing its work, not a fault of the page.
    if (
      /^Blocked script execution in '[^']*\/mail\/messages\/\d+\/contenu[^']*' because the document's frame is sandboxed/.test(
        text,
      )
    )
      return;
    if (msg.type() === "error" && !text.startsWith("Failed to load resource")) problems.push(text);
  });
  page.on("pageerror", (err) => problems.push(err.message));
  page.on("response", (res) => {
    const type = res.request().resourceType();
    if (res.status() >= 400 && type !== "document" && type !== "fetch") problems.push(`${res.status()} ${res.url()}`);
  });
  page.on("requestfailed", (req) => {
    // A request cut short by leaving the page (the strength meter while submitting) is not a fault.
    if (req.failure()?.errorText !== "net::ERR_ABORTED") problems.push(`failed ${req.url()}`);
  });
  return problems;
}

/** Relative luminance (WCAG 2.x) of a computed `rgb(r, g, b)` or `rgba(…)` colour. */
function luminance(colour: string): number {
  const channels = (colour.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
  assert.equal(channels.length, 3, `a computed colour: ${colour}`);
  const [r = 0, g = 0, b = 0] = channels.map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two computed colours (1 to 21). */
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * The page, opened in the dark colour scheme, follows it: its background is dark, unlike the same
 * page in the light scheme, and its text stays readable on it (AA, 4.5:1). Works with JavaScript
 * off (Playwright evaluates in its own world); the page is left in the dark scheme.
 */
export async function expectDarkScheme(page: Page, label: string): Promise<void> {
  const colours = () =>
    page.evaluate(() => {
      const style = getComputedStyle(document.body);
      return { background: style.backgroundColor, text: style.color };
    });
  const asOpened = await colours();
  await page.emulateMedia({ colorScheme: "light" });
  const light = await colours();
  await page.emulateMedia({ colorScheme: "dark" });
  const dark = await colours();
  assert.deepEqual(asOpened, dark, `${label}: the page was opened in the dark scheme`);
  assert.ok(
    luminance(dark.background) < 0.05 && luminance(light.background) > 0.8,
    `${label}: a dark background in the dark scheme (${dark.background}), a light one otherwise (${light.background})`,
  );
  assert.ok(luminance(dark.text) > luminance(dark.background), `${label}: light text on the dark background`);
  const ratio = contrast(dark.text, dark.background);
  assert.ok(ratio >= 4.5, `${label}: text contrast ${ratio.toFixed(2)}:1 in the dark scheme`);
}

/** Opens the open message's « Plus » menu (its actions after Répondre, Répondre à tous, Transférer). */
export async function openMessageMenu(page: Page): Promise<void> {
  const menu = page.locator("details.reading-more");
  if ((await menu.getAttribute("open")) === null) await menu.locator("summary").click();
}

/** The form field whose label starts with `label` (labels end with "(obligatoire)" when required). */
export function field(page: Page, label: string) {
  return page.getByLabel(new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
}

/** Signs in to the webmail through the login page, as a person does; waits for the inbox. */
export async function signInWebmail(
  page: Page,
  account: { username: string },
  password: string = MAILBOX_PASSWORD,
): Promise<void> {
  await page.goto("/");
  await field(page, "Nom d'utilisateur").fill(account.username);
  await field(page, "Mot de passe").fill(password);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.getByRole("heading", { name: "Boîte de réception", level: 1 }).waitFor();
}

/** A page signed in to the webmail, watched for console problems. */
export interface WebmailPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** What `watchConsole` collected: assert it is empty before closing. */
  readonly problems: string[];
  /** axe-core on the page as it is now, when JavaScript is on (axe runs in the page); nothing when off. */
  accessible(label: string, options?: { sandboxedFrame?: boolean }): Promise<void>;
}

/** A fresh context (JavaScript on unless said), its page watched, signed in to the webmail as `account`. */
export async function openWebmail(
  env: BrowserEnv,
  account: { username: string },
  options: ContextOptions = {},
): Promise<WebmailPage> {
  const javaScriptEnabled = options.javaScriptEnabled ?? true;
  const context = await env.newContext({ ...options, javaScriptEnabled });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await signInWebmail(page, account);
  return {
    context,
    page,
    problems,
    accessible: async (label, axeOptions = {}) => {
      if (javaScriptEnabled) await expectAccessible(page, label, axeOptions);
    },
  };
}
