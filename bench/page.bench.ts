/**
 * Page benchmark: the inbox of a 100,000-message mailbox as a person's browser gets it, in Chromium
 * at 1366×768 against the real server on 127.0.0.1.
 *
 * - Page weight: `/mail` opened with a cold cache; the bytes transferred for its HTML, CSS and
 *   scripts (compressed bodies as received, Playwright's `request.sizes()`), and the number of
 *   requests (target ≤ 100 KB).
 * - First row painted: the time from the navigation's start to the paint of the list's first row
 *   (its subject carries `elementtiming="premiere-ligne"`, Chromium's Element Timing API), over
 *   BENCH_LOADS navigations after 5 warm-ups, with a warm cache as a person has (target p95 ≤ 300 ms).
 *
 *   npm run bench:page
 *   BENCH_MESSAGES=20000 BENCH_LOADS=20 npm run bench:page
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:page   (on PostgreSQL)
 *
 * Prints a readable summary, then as its last line one JSON object with the figures.
 */
import type { Page, Request } from "playwright-core";
import { launchChromium, signInWebmail } from "../test/helpers/browser.js";
import { createAccounts, machineLine, machineState, percentile, progress, round, startBenchServer } from "./lib.js";
import { seedMailbox } from "./mail-seed.js";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const LOADS = Number(process.env.BENCH_LOADS ?? 40);
const WARMUP = 5;
const VIEWPORT = { width: 1366, height: 768 };
const FIRST_ROW = "premiere-ligne";
const TARGET_WEIGHT_KB = 100;
const TARGET_FIRST_ROW_P95_MS = 300;

/** What the page weight counts: the document, its stylesheets and its scripts. */
const WEIGHED_TYPES = new Set(["document", "stylesheet", "script"]);

interface Transfer {
  readonly url: string;
  readonly type: string;
  readonly status: number;
  /** The body as received (compressed when it was). */
  readonly bodyBytes: number;
  readonly headerBytes: number;
  readonly encoding: string;
}

/** The requests of one navigation, with their sizes once each has finished. */
async function transfersOf(page: Page, url: string): Promise<Transfer[]> {
  const finished: Promise<Transfer | null>[] = [];
  const onFinished = (request: Request) => {
    finished.push(
      (async () => {
        const response = await request.response();
        if (!response) return null;
        const sizes = await request.sizes();
        return {
          url: request.url(),
          type: request.resourceType(),
          status: response.status(),
          bodyBytes: sizes.responseBodySize,
          headerBytes: sizes.responseHeadersSize,
          encoding: (await response.headerValue("content-encoding")) ?? "identity",
        };
      })(),
    );
  };
  page.on("requestfinished", onFinished);
  try {
    await page.goto(url, { waitUntil: "load" });
    await page.waitForLoadState("networkidle");
  } finally {
    page.off("requestfinished", onFinished);
  }
  return (await Promise.all(finished)).filter((t): t is Transfer => t !== null);
}

interface Paint {
  /** Navigation start to the first row's paint (ms); null when the row was not painted. */
  readonly firstRowMs: number | null;
  /** Navigation start to the first byte of the page (ms). */
  readonly responseStartMs: number;
}

/**
 * Run in the page once loaded: the Element Timing entry of the first row (buffered, so painted before
 * the observer existed), and the navigation's first byte for context. Plain JavaScript in a string:
 * a function passed to `page.evaluate` would carry the helpers tsx's compiler adds (`__name`), which
 * the page does not have.
 */
const PAINT_SCRIPT = `(identifier) => new Promise((resolve) => {
  const nav = performance.getEntriesByType("navigation")[0];
  const responseStartMs = nav ? nav.responseStart : NaN;
  let observer;
  let timer;
  const done = (firstRowMs) => {
    if (observer) observer.disconnect();
    clearTimeout(timer);
    resolve({ firstRowMs, responseStartMs });
  };
  observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.identifier === identifier) done(entry.renderTime || entry.loadTime || entry.startTime);
    }
  });
  // No entry within 2 s of the load: the row was never painted (or carries no elementtiming).
  timer = setTimeout(() => done(null), 2000);
  observer.observe({ type: "element", buffered: true });
})`;

function readPaint(page: Page, identifier: string): Promise<Paint> {
  return page.evaluate(`(${PAINT_SCRIPT})(${JSON.stringify(identifier)})`) as Promise<Paint>;
}

const kb = (bytes: number) => round(bytes / 1024, 1);

async function main(): Promise<void> {
  const state = machineState();
  console.log(`page benchmark — ${machineLine(state)}`);
  const bench = await startBenchServer();
  const browser = await launchChromium();
  try {
    const { services } = bench;
    const [account] = await createAccounts(services, 1);
    if (!account) throw new Error("no account");
    const stored = await services.directory.getAccount(account.username);
    const seedStart = performance.now();
    await seedMailbox(services, stored.id, stored.address, MESSAGES, (done) =>
      progress(`seeding the mailbox: ${done}/${MESSAGES}`),
    );
    console.log(`mailbox of ${MESSAGES} messages seeded in ${round((performance.now() - seedStart) / 1000)} s`);
    const base = bench.url.replace(/\/$/, "");
    const context = await browser.newContext({ baseURL: base, locale: "fr-FR", viewport: VIEWPORT });
    const page = await context.newPage();
    await signInWebmail(page, { username: account.username }, account.password);

    // Page weight, cold cache: the sign-in filled the cache, emptied here (Chromium's own command).
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.clearBrowserCache");
    const transfers = await transfersOf(page, "/mail");
    await cdp.detach();
    const weighed = transfers.filter((t) => WEIGHED_TYPES.has(t.type));
    const bodyBytes = weighed.reduce((sum, t) => sum + t.bodyBytes, 0);
    const headerBytes = weighed.reduce((sum, t) => sum + t.headerBytes, 0);
    const bytesByType: Record<string, number> = {};
    for (const t of weighed) bytesByType[t.type] = (bytesByType[t.type] ?? 0) + t.bodyBytes;
    const byType = Object.fromEntries(Object.entries(bytesByType).map(([type, bytes]) => [type, kb(bytes)]));
    console.log(`inbox with a cold cache: ${transfers.length} requests`);
    for (const t of transfers) {
      console.log(
        `  ${t.status} ${t.type.padEnd(10)} ${String(kb(t.bodyBytes)).padStart(6)} KB  ${t.encoding.padEnd(8)} ${new URL(t.url).pathname}`,
      );
    }
    console.log(
      `page weight (HTML, CSS, JS bodies as transferred): ${kb(bodyBytes)} KB, ${kb(bodyBytes + headerBytes)} KB with headers (target ≤ ${TARGET_WEIGHT_KB} KB)`,
    );

    // First row painted, warm cache.
    const firstRow: number[] = [];
    const firstByte: number[] = [];
    let missing = 0;
    for (let i = 0; i < WARMUP + LOADS; i++) {
      await page.goto("/mail", { waitUntil: "load" });
      const paint = await readPaint(page, FIRST_ROW);
      if (i < WARMUP) continue;
      firstByte.push(paint.responseStartMs);
      if (paint.firstRowMs === null) missing += 1;
      else firstRow.push(paint.firstRowMs);
    }
    if (firstRow.length === 0) {
      const display = await page
        .locator(`[elementtiming="${FIRST_ROW}"]`)
        .first()
        .evaluate((el) => getComputedStyle(el).display, null, { timeout: 1_000 })
        .catch(() => null);
      throw new Error(
        `no paint of an element with elementtiming="${FIRST_ROW}" in ${LOADS} loads of /mail: ${
          display === null
            ? "the page has no such element"
            : display === "inline"
              ? "the element is display: inline, and Chromium reports a text's paint for its nearest block-level " +
                "ancestor only (put the attribute on a block, grid or flex item, e.g. the row's summary)"
              : `the element (display: ${display}) was never reported painted`
        }`,
      );
    }
    firstRow.sort((a, b) => a - b);
    firstByte.sort((a, b) => a - b);
    const p50 = round(percentile(firstRow, 50), 1);
    const p95 = round(percentile(firstRow, 95), 1);
    console.log(
      `first row painted (navigation start → elementtiming="${FIRST_ROW}", ${firstRow.length} loads, warm cache): p50 ${p50} ms, p95 ${p95} ms (target p95 ≤ ${TARGET_FIRST_ROW_P95_MS} ms)${missing ? `; ${missing} loads without the paint` : ""}`,
    );
    console.log(
      `  first byte of the page: p50 ${round(percentile(firstByte, 50), 1)} ms, p95 ${round(percentile(firstByte, 95), 1)} ms`,
    );
    await context.close();

    const end = machineState();
    console.log(`machine at the end: load average ${end.loadAvg.join(" / ")}`);
    const figures = {
      machine: state,
      loadAvgEnd: end.loadAvg,
      messages: MESSAGES,
      viewport: VIEWPORT,
      pageWeightKB: kb(bodyBytes),
      pageWeightWithHeadersKB: kb(bodyBytes + headerBytes),
      weightByTypeKB: byType,
      requests: transfers.length,
      loads: firstRow.length,
      loadsWithoutFirstRow: missing,
      firstRowP50Ms: p50,
      firstRowP95Ms: p95,
      firstByteP50Ms: round(percentile(firstByte, 50), 1),
      weightMet: kb(bodyBytes) <= TARGET_WEIGHT_KB,
      firstRowMet: p95 <= TARGET_FIRST_ROW_P95_MS,
    };
    console.log(JSON.stringify(figures));
  } finally {
    await browser.close();
    await bench.close();
  }
}

await main();
