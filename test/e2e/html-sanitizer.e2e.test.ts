/**
 * The attack corpus in Chromium. Every vector is sanitized and served exactly as the reading frame is
 * (frame document, frame CSP, sandboxed iframe), and the test asserts that no script ran (no message,
 * no dialog, no popup, no frame navigating away) and that no request left for anywhere but the page
 * server (a canary server records whatever reaches it, connections included).
 *
 * A second run puts every vector's sanitized markup in one document with no CSP and no sandbox: the
 * sanitizer alone must hold, and the DOM Chromium built from its output is audited. Positive controls
 * show the same harness catches an unsanitized vector, and that remote images load once allowed.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  FRAME_SANDBOX,
  frameContentSecurityPolicy,
  frameDocument,
  sanitizeMailHtml,
} from "../../src/mail/html-sanitizer.js";
import { type VectorFamily, withCanary, XSS_VECTORS, type XssVector } from "../fixtures/xss-vectors.js";
import { launchChromium } from "../helpers/browser.js";

/** Frames per page: enough to keep the run short, few enough for a busy 2-core machine. */
const BATCH = 50;

/** Unsanitized, in a frame without sandbox or CSP: it must run, or the harness is blind. */
const CONTROL_HTML = `<img src="x" onerror="top.postMessage('XSS-control','*')">`;

/**
 * The harness script (served from the page server, not inline): records every message with the vector
 * of the frame it came from, counts iframe loads, and audits the DOM Chromium built from each vector's
 * sanitized markup (in the single open document, where each vector sits in its own `<section>`).
 */
const HARNESS_JS = `"use strict";
window.__messages = [];
window.__loaded = 0;
addEventListener("message", (event) => {
  const frame = Array.from(document.querySelectorAll("iframe")).find((f) => f.contentWindow === event.source);
  window.__messages.push({ data: String(event.data), vector: frame ? frame.dataset.vector : "?" });
});
document.addEventListener("load", (event) => {
  if (event.target instanceof HTMLIFrameElement) window.__loaded += 1;
}, true);
const FORBIDDEN = "script,iframe,frame,frameset,object,embed,applet,form,input,button,textarea,select,option," +
  "base,meta,link,svg,math,video,audio,source,track,picture,template,portal,map,area,noscript,isindex,keygen";
const URL_ATTRIBUTES = ["srcdoc", "formaction", "action", "srcset", "ping", "xlink:href", "poster", "data",
  "dynsrc", "lowsrc", "usemap", "codebase", "classid", "manifest", "longdesc"];
/** Audits the elements under root, as Chromium built them from one vector's sanitized markup. */
const auditTree = (root, where, problems) => {
  const view = root.ownerDocument.defaultView;
  for (const el of root.querySelectorAll(FORBIDDEN)) problems.push(where + "<" + el.localName + ">");
  for (const el of root.querySelectorAll("*")) {
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on") || URL_ATTRIBUTES.includes(name)) problems.push(where + "attribute " + name);
      if (name === "background" && !attr.value.startsWith("data:image/")) problems.push(where + "background " + attr.value);
    }
    if (el.localName === "a" && el.hasAttribute("href")) {
      const url = new URL(el.getAttribute("href"), "https://invalid.invalid/");
      if (!["http:", "https:", "mailto:"].includes(url.protocol)) problems.push(where + "link " + url.href);
      if (el.getAttribute("target") !== "_blank") problems.push(where + "link target " + el.getAttribute("target"));
      if (el.getAttribute("rel") !== "noopener noreferrer") problems.push(where + "link rel " + el.getAttribute("rel"));
    }
    if (el.localName === "img" && el.hasAttribute("src") && !el.getAttribute("src").startsWith("data:image/")) {
      problems.push(where + "img " + el.getAttribute("src"));
    }
    const style = view.getComputedStyle(el);
    if (style.position !== "static" && style.position !== "relative") problems.push(where + "position " + style.position);
    for (const property of ["background-image", "list-style-image", "border-image-source", "cursor", "content"]) {
      const value = style.getPropertyValue(property);
      if (/url\\(/.test(value) && !/url\\("data:image\\//.test(value)) problems.push(where + property + " " + value);
    }
    if (el.shadowRoot) problems.push(where + "shadow root on " + el.localName);
  }
};
window.__audit = () => {
  const problems = [];
  const head = Array.from(document.head.children).map((e) => e.localName).join(",");
  if (head !== "meta,meta,meta,style") problems.push("head is " + head);
  for (const section of document.querySelectorAll("section[data-vector]")) {
    auditTree(section, "vector " + section.dataset.vector + ": ", problems);
  }
  return problems;
};
`;

interface Harness {
  __messages: Array<{ data: string; vector: string }>;
  __loaded: number;
  __audit(): string[];
}

/** An HTTP server on 127.0.0.1 that records every request and connection it gets. */
interface Canary {
  readonly origin: string;
  readonly requests: string[];
  connections: number;
  waitFor(path: string): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startCanary(): Promise<Canary> {
  const waiters = new Map<string, () => void>();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? "";
    requests.push(`${req.method} ${path}`);
    waiters.get(path)?.();
    // A 1×1 GIF whatever was asked: enough for an image to load.
    res.writeHead(200, { "content-type": "image/gif", "cache-control": "no-store" });
    res.end(Buffer.from("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==", "base64"));
  });
  const canary: Canary = {
    origin: await listen(server),
    requests,
    connections: 0,
    waitFor: (path) =>
      requests.some((r) => r.endsWith(` ${path}`))
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.set(path, resolve)),
    reset() {
      requests.length = 0;
      canary.connections = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on("connection", () => {
    canary.connections += 1;
  });
  return canary;
}

interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

const page = (body: string): Reply => ({ status: 200, type: "text/html", body });

/** The parent page's document: the harness script, then `frames`. */
const parentPage = (frames: string): Reply =>
  page(
    `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Corpus</title>` +
      `<script src="/harness.js"></script></head><body>${frames}</body></html>`,
  );

/** The page server's routes. */
function route(path: string, query: URLSearchParams, vectors: ReadonlyMap<string, string>, canary: string): Reply {
  const frameMatch = /^\/frame\/(\d+)$/.exec(path);
  if (frameMatch) {
    // Exactly what the webmail serves in the reading frame.
    const vector = vectors.get(frameMatch[1] ?? "");
    if (vector === undefined) return { status: 404, type: "text/plain", body: "inconnu" };
    return {
      ...page(frameDocument(sanitizeMailHtml(vector, { allowRemote: false }))),
      headers: { "content-security-policy": frameContentSecurityPolicy(false) },
    };
  }
  switch (path) {
    case "/harness.js":
      return { status: 200, type: "text/javascript", body: HARNESS_JS };
    case "/control":
    case "/raw/script":
      return page(CONTROL_HTML);
    case "/batch": {
      const ids = (query.get("ids") ?? "").split(",").filter(Boolean);
      const frames = ids.map(
        (id) =>
          `<iframe data-vector="${id}" src="/frame/${id}" sandbox="${FRAME_SANDBOX}" title="vecteur ${id}" width="160" height="60"></iframe>`,
      );
      return parentPage(
        `${frames.join("")}<iframe data-vector="control" src="/control" title="témoin" width="160" height="60"></iframe>`,
      );
    }
    case "/all-sanitized": {
      // Every vector's sanitized markup in one frame document, with no CSP, no sandbox, and a script of
      // our own: only the sanitizer stands between the vectors and the browser.
      const sections = [...vectors].map(
        ([id, html]) => `<section data-vector="${id}">${sanitizeMailHtml(html, { allowRemote: false }).html}</section>`,
      );
      return page(frameDocument({ html: `<script src="/harness.js"></script>${sections.join("")}${CONTROL_HTML}` }));
    }
    case "/positive-control":
      // Unsanitized, no sandbox, no CSP: what the harness must catch.
      return parentPage(
        '<iframe data-vector="raw-script" src="/raw/script"></iframe><iframe data-vector="raw-image" src="/raw/image"></iframe>',
      );
    case "/raw/image":
      return page(`<img src="${canary}/control.png" alt="">`);
    case "/remote-allowed":
      return parentPage(`<iframe data-vector="remote" src="/remote-frame" sandbox="${FRAME_SANDBOX}"></iframe>`);
    case "/remote-frame": {
      const sanitized = sanitizeMailHtml(`<p>Bonjour</p><img src="${canary}/img.png" alt="logo">`, {
        allowRemote: true,
      });
      return {
        ...page(frameDocument(sanitized)),
        headers: { "content-security-policy": frameContentSecurityPolicy(true) },
      };
    }
    default:
      return { status: 404, type: "text/plain", body: "inconnu" };
  }
}

/** Serves the parent pages, their script, and the frame document of each vector. */
async function startPageServer(
  vectors: readonly XssVector[],
  canary: Canary,
): Promise<{ origin: string; server: Server }> {
  const html = new Map(vectors.map((v) => [String(v.id), withCanary(v.html, canary.origin)]));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const reply = route(url.pathname, url.searchParams, html, canary.origin);
    res.writeHead(reply.status, {
      "content-type": `${reply.type}; charset=utf-8`,
      "cache-control": "no-store",
      ...reply.headers,
    });
    res.end(reply.body);
  });
  return { origin: await listen(server), server };
}

/** What a context saw: requests to other origins, dialogs, popups. */
interface Watch {
  readonly foreignRequests: string[];
  readonly dialogs: string[];
  readonly popups: string[];
}

function watchContext(context: BrowserContext, pageOrigin: string): Watch {
  const watch: Watch = { foreignRequests: [], dialogs: [], popups: [] };
  context.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(`${pageOrigin}/`) && !/^(data|about|blob):/.test(url)) watch.foreignRequests.push(url);
  });
  return watch;
}

async function openPage(context: BrowserContext, watch: Watch): Promise<Page> {
  const page = await context.newPage();
  page.on("popup", (popup) => {
    watch.popups.push(popup.url());
  });
  page.on("dialog", (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
  return page;
}

/** Waits until `count` iframes have loaded and the message `data` arrived. */
async function waitForHarness(page: Page, count: number, data: string): Promise<void> {
  await page.waitForFunction(
    ([n, expected]) => {
      const h = window as unknown as Harness;
      return h.__loaded >= (n as number) && h.__messages.some((m) => m.data === expected);
    },
    [count, data] as const,
  );
}

describe("HTML mail sanitizer against the attack corpus (Chromium)", () => {
  let browser: Browser;
  let canary: Canary;
  let pages: { origin: string; server: Server };

  before(async () => {
    canary = await startCanary();
    pages = await startPageServer(XSS_VECTORS, canary);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => {
      if (!pages) return resolve();
      pages.server.closeAllConnections();
      pages.server.close(() => resolve());
    });
    await canary?.close();
  });

  it("has a corpus of at least 200 distinct vectors covering every family", () => {
    assert.ok(XSS_VECTORS.length >= 200, `${XSS_VECTORS.length} vectors`);
    assert.equal(new Set(XSS_VECTORS.map((v) => v.html.replace(/XSS-\d+/g, ""))).size, XSS_VECTORS.length);
    const families = new Set(XSS_VECTORS.map((v) => v.family));
    for (const family of [
      "script",
      "event-handler",
      "dangerous-url",
      "svg",
      "mathml",
      "css",
      "meta-refresh",
      "embedding",
      "mutation",
      "encoding",
      "remote-content",
    ]) {
      assert.ok(families.has(family as VectorFamily), family);
    }
  });

  it("catches an unsanitized vector: the script's message and the remote request (positive control)", async () => {
    canary.reset();
    const context = await browser.newContext({ locale: "fr-FR" });
    const watch = watchContext(context, pages.origin);
    const page = await openPage(context, watch);
    await page.goto(`${pages.origin}/positive-control`, { waitUntil: "load" });
    await waitForHarness(page, 2, "XSS-control");
    await canary.waitFor("/control.png");
    const messages = await page.evaluate(() => (window as unknown as Harness).__messages);
    assert.deepEqual(messages, [{ data: "XSS-control", vector: "raw-script" }]);
    assert.deepEqual(watch.foreignRequests, [`${canary.origin}/control.png`]);
    await context.close();
  });

  it("loads a remote image once the reader allowed remote content", async () => {
    assert.equal(
      sanitizeMailHtml(`<img src="${canary.origin}/img.png">`, { allowRemote: false }).blockedRemoteContent,
      true,
    );
    canary.reset();
    const context = await browser.newContext({ locale: "fr-FR" });
    const watch = watchContext(context, pages.origin);
    const page = await openPage(context, watch);
    await page.goto(`${pages.origin}/remote-allowed`, { waitUntil: "load" });
    await canary.waitFor("/img.png");
    assert.deepEqual(watch.foreignRequests, [`${canary.origin}/img.png`]);
    assert.deepEqual(watch.dialogs, []);
    await context.close();
  });

  it("runs no script and fetches nothing remote for any vector, each sanitized in a sandboxed frame under the frame CSP", {
    timeout: 120_000,
  }, async () => {
    canary.reset();
    const context = await browser.newContext({ locale: "fr-FR" });
    const watch = watchContext(context, pages.origin);
    const messages: Array<{ data: string; vector: string }> = [];
    const navigated: string[] = [];
    /** Collects what a batch page saw once its network settled, then closes it. */
    const settle = async (page: Page): Promise<void> => {
      // Media, prefetches and the like do not hold the load event back: wait for the network to settle.
      await page.waitForLoadState("networkidle");
      const got = await page.evaluate(() => (window as unknown as Harness).__messages);
      messages.push(...got.filter((m) => m.vector !== "control"));
      for (const frame of page.frames()) {
        const url = frame.url();
        if (frame !== page.mainFrame() && !/\/frame\/\d+$/.test(url) && !url.endsWith("/control")) navigated.push(url);
      }
      await page.close();
    };
    // Batches load one after the other; each page stays open while the next one loads, so that a late
    // request from it still has time to show (and it only closes once its network is idle).
    let previous: Page | undefined;
    for (let start = 0; start < XSS_VECTORS.length; start += BATCH) {
      const batch = XSS_VECTORS.slice(start, start + BATCH);
      const page = await openPage(context, watch);
      await page.goto(`${pages.origin}/batch?ids=${batch.map((v) => v.id).join(",")}`, { waitUntil: "load" });
      // Every frame loaded, and the unsanitized control frame's message arrived: the listener works.
      await waitForHarness(page, batch.length + 1, "XSS-control");
      if (previous) await settle(previous);
      previous = page;
    }
    if (previous) await settle(previous);
    assert.deepEqual(messages, [], "no script ran");
    assert.deepEqual(watch.dialogs, [], "no dialog opened");
    assert.deepEqual(watch.popups, [], "no window opened");
    assert.deepEqual(navigated, [], "no frame navigated away, no nested frame appeared");
    assert.deepEqual(watch.foreignRequests, [], "Chromium requested nothing but the page server");
    assert.deepEqual(canary.requests, [], "the canary got no request");
    assert.equal(canary.connections, 0, "the canary got no connection (preconnect)");
    await context.close();
  });

  it("holds without CSP or sandbox too: the sanitized corpus in one open document runs and fetches nothing, and its DOM is clean", async () => {
    canary.reset();
    const context = await browser.newContext({ locale: "fr-FR" });
    const watch = watchContext(context, pages.origin);
    const page = await openPage(context, watch);
    await page.goto(`${pages.origin}/all-sanitized`, { waitUntil: "load" });
    // The document's own unsanitized control ran: scripts do run in this document.
    await waitForHarness(page, 0, "XSS-control");
    await page.waitForLoadState("networkidle");
    const messages = await page.evaluate(() => (window as unknown as Harness).__messages);
    assert.deepEqual(
      messages.map((m) => m.data),
      ["XSS-control"],
      "no script but the control ran",
    );
    assert.equal(page.url(), `${pages.origin}/all-sanitized`, "the document did not navigate");
    assert.deepEqual(await page.evaluate(() => (window as unknown as Harness).__audit()), [], "the DOM is clean");
    assert.deepEqual(watch.dialogs, [], "no dialog opened");
    assert.deepEqual(watch.popups, [], "no window opened");
    assert.deepEqual(watch.foreignRequests, [], "Chromium requested nothing but the page server");
    assert.deepEqual(canary.requests, [], "the canary got no request");
    assert.equal(canary.connections, 0, "the canary got no connection (preconnect)");
    await context.close();
  });
});
