/**
 * Compressed responses: pages, the stylesheet and the bundled scripts come back in Brotli when the
 * browser accepts it, in gzip when it accepts only gzip, as they are when it sends no
 * Accept-Encoding (and so do answers under 1 KB); decompressed, they are the same bytes, with the
 * same security headers. HEAD and 304 still work. BREACH: the CSRF token of a page is masked afresh
 * for every page, every masked token is accepted, and anything else (a forged token, the unmasked
 * token) is refused.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Services } from "../../src/services.js";
import { maskToken, unmaskToken } from "../../src/web/plugins/security.js";
import { openTestServices, type TestContext } from "../helpers/env.js";
import { signedInClient, testApp, textOf, type WebClient } from "../helpers/web.js";

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../src/web/static");
const BROWSER = "gzip, deflate, br, zstd";
const REFUSED = "Ce formulaire a expiré ou n'a pas été envoyé depuis cette page.";

/** The body as the browser reads it, after undoing the Content-Encoding. */
function decoded(res: LightMyRequestResponse): Buffer {
  const encoding = res.headers["content-encoding"];
  if (encoding === "br") return brotliDecompressSync(res.rawPayload);
  if (encoding === "gzip") return gunzipSync(res.rawPayload);
  assert.equal(encoding, undefined, `an unexpected content coding: ${String(encoding)}`);
  return res.rawPayload;
}

function assertEncoded(res: LightMyRequestResponse, encoding: "br" | "gzip", what: string): void {
  assert.equal(res.statusCode, 200, `${what}: status`);
  assert.equal(res.headers["content-encoding"], encoding, `${what}: Content-Encoding`);
  assert.match(String(res.headers.vary), /accept-encoding/i, `${what}: Vary`);
  assert.ok(res.rawPayload.length < decoded(res).length, `${what}: smaller than the plain body`);
}

function assertPlain(res: LightMyRequestResponse, what: string): void {
  assert.equal(res.statusCode, 200, `${what}: status`);
  assert.equal(res.headers["content-encoding"], undefined, `${what}: no Content-Encoding`);
}

/** The headers every response carries (securityHeaders in app.ts), as sent. */
const SECURITY_HEADERS = [
  "content-security-policy",
  "x-frame-options",
  "x-content-type-options",
  "referrer-policy",
  "permissions-policy",
  "cross-origin-opener-policy",
];

function securityHeadersOf(res: LightMyRequestResponse): Record<string, unknown> {
  return Object.fromEntries(SECURITY_HEADERS.map((h) => [h, res.headers[h]]));
}

function csrfOf(html: string): string {
  const m = /data-csrf="([^"]+)"/.exec(html);
  assert.ok(m?.[1], "the page carries its CSRF token");
  return m[1];
}

async function folderNames(services: Services, accountId: number): Promise<string[]> {
  return (await services.mail.folders(accountId)).map((f) => f.name);
}

describe("compressed responses", () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let c: WebClient;
  let accountId: number;
  before(async () => {
    ctx = await openTestServices("sqlite");
    app = await testApp(ctx.services);
    const signedIn = await signedInClient(ctx.services, app);
    c = signedIn.c;
    accountId = signedIn.account.id;
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  it("a signed-in page: Brotli, gzip or plain as accepted, same page and security headers", async () => {
    const br = await c.get("/mail", { "accept-encoding": BROWSER });
    assertEncoded(br, "br", "the inbox in Brotli");
    const page = decoded(br).toString("utf8");
    assert.match(page, /<html lang="fr"/);
    assert.ok(textOf(page).includes("Boîte de réception"), "the inbox once decompressed");

    const gzip = await c.get("/mail", { "accept-encoding": "gzip" });
    assertEncoded(gzip, "gzip", "the inbox in gzip");
    assert.match(decoded(gzip).toString("utf8"), /<html lang="fr"/);

    const plain = await c.get("/mail");
    assertPlain(plain, "the inbox without Accept-Encoding");
    assert.match(plain.body, /<html lang="fr"/);

    assert.equal(
      await c.get("/mail", { "accept-encoding": "identity" }).then((r) => r.headers["content-encoding"]),
      undefined,
    );
    for (const [what, res] of [
      ["Brotli", br],
      ["gzip", gzip],
    ] as const) {
      assert.deepEqual(securityHeadersOf(res), securityHeadersOf(plain), `${what}: the same security headers`);
      assert.equal(res.headers["cache-control"], "no-store", `${what}: the page is not cached`);
      assert.match(String(res.headers["content-type"]), /^text\/html; charset=utf-8/);
    }
    assert.ok(String(plain.headers["content-security-policy"]).includes("frame-ancestors 'none'"));

    const head = await c.send({ method: "HEAD", url: "/mail", headers: { "accept-encoding": BROWSER } });
    assert.equal(head.statusCode, 200, "HEAD of a page");
    assert.equal(head.rawPayload.length, 0, "HEAD: no body");
  });

  it("the stylesheet: compressed per request, same bytes; 304 and HEAD still answer", async () => {
    const onDisk = readFileSync(path.join(STATIC_DIR, "app.css"));
    const br = await c.get("/static/app.css", { "accept-encoding": BROWSER });
    assertEncoded(br, "br", "app.css in Brotli");
    assert.deepEqual(decoded(br), onDisk);
    const gzip = await c.get("/static/app.css", { "accept-encoding": "gzip" });
    assertEncoded(gzip, "gzip", "app.css in gzip");
    assert.deepEqual(decoded(gzip), onDisk);
    const plain = await c.get("/static/app.css");
    assertPlain(plain, "app.css without Accept-Encoding");
    assert.deepEqual(plain.rawPayload, onDisk);
    assert.deepEqual(securityHeadersOf(br), securityHeadersOf(plain), "the same security headers");

    const etag = String(br.headers.etag);
    const notModified = await c.get("/static/app.css", { "accept-encoding": BROWSER, "if-none-match": etag });
    assert.equal(notModified.statusCode, 304);
    assert.equal(notModified.rawPayload.length, 0);

    const head = await app.inject({ method: "HEAD", url: "/static/app.css", headers: { "accept-encoding": BROWSER } });
    assert.equal(head.statusCode, 200);
    assert.equal(head.rawPayload.length, 0, "HEAD: no body");
  });

  it("the page script: compressed once at start-up, same bytes in every coding", async () => {
    const page = (await c.get("/mail")).body;
    const url = /<script[^>]*\bsrc="(\/static\/app\.[0-9a-f]+\.js)"/.exec(page)?.[1];
    assert.ok(url, "the page loads its script");
    const plain = await c.get(url);
    assertPlain(plain, "the script without Accept-Encoding");
    assert.match(String(plain.headers.vary), /accept-encoding/i, "Vary even when sent as it is");
    assert.match(String(plain.headers["cache-control"]), /immutable/);
    const br = await c.get(url, { "accept-encoding": BROWSER });
    assertEncoded(br, "br", "the script in Brotli");
    assert.deepEqual(decoded(br), plain.rawPayload);
    assert.equal(br.headers["content-length"], String(br.rawPayload.length));
    assert.match(String(br.headers["content-type"]), /^text\/javascript/);
    const gzip = await c.get(url, { "accept-encoding": "gzip;q=1, br;q=0" });
    assertEncoded(gzip, "gzip", "the script in gzip");
    assert.deepEqual(decoded(gzip), plain.rawPayload);
    assert.deepEqual(securityHeadersOf(br), securityHeadersOf(plain), "the same security headers");

    const head = await app.inject({ method: "HEAD", url, headers: { "accept-encoding": BROWSER } });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers["content-encoding"], "br");
    assert.equal(head.rawPayload.length, 0, "HEAD: no body");
  });

  it("an answer under 1 KB (a mail client's configuration, in XML) is sent as it is", async () => {
    const url = "/.well-known/autoconfig/mail/config-v1.1.xml";
    const res = await app.inject({ method: "GET", url, headers: { "accept-encoding": BROWSER } });
    assertPlain(res, "autoconfig");
    assert.ok(res.rawPayload.length < 1024, `a small answer: ${res.rawPayload.length} bytes`);
    assert.match(res.body, /<clientConfig/);
  });

  it("the CSRF token differs from page to page, each one is accepted, nothing else is", async () => {
    const first = csrfOf(decoded(await c.get("/mail/dossiers", { "accept-encoding": BROWSER })).toString("utf8"));
    const second = csrfOf(decoded(await c.get("/mail/dossiers", { "accept-encoding": BROWSER })).toString("utf8"));
    assert.notEqual(first, second, "a fresh mask for every page");
    assert.match(first, /^[A-Za-z0-9_-]{86}$/);
    const unmasked = unmaskToken(first);
    assert.ok(unmasked);
    assert.deepEqual(unmaskToken(second), unmasked, "the same token under two masks");

    for (const [name, token] of [
      ["Premier", first],
      ["Second", second],
    ] as const) {
      const res = await c.post("/mail/dossiers", { nom: name, _csrf: token });
      assert.equal(res.statusCode, 303, `${name}: ${textOf(res.body).slice(0, 200)}`);
    }
    assert.ok((await folderNames(ctx.services, accountId)).includes("Premier"));
    assert.ok((await folderNames(ctx.services, accountId)).includes("Second"));
    // The token in a header (the page script's way) is masked too.
    const scripted = await c.send({
      method: "POST",
      url: "/mail/dossiers",
      payload: new URLSearchParams({ nom: "Troisième" }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", "x-csrf-token": maskToken(unmasked) },
    });
    assert.equal(scripted.statusCode, 303, textOf(scripted.body).slice(0, 200));

    const flipped = Buffer.from(unmasked);
    flipped[0] = (flipped[0] as number) ^ 1;
    const forged: [string, string][] = [
      ["a random token", maskToken(Buffer.alloc(32, 7))],
      ["a token with one bit changed", maskToken(flipped)],
      ["the unmasked token (hex)", unmasked.toString("hex")],
      ["the unmasked token (base64url)", unmasked.toString("base64url")],
      ["a masked token cut short", first.slice(0, -1)],
      ["a masked token in base64 with padding", `${Buffer.from(first, "base64url").toString("base64")}`],
      ["an empty token", ""],
    ];
    for (const [what, token] of forged) {
      const res = await c.post("/mail/dossiers", { nom: "Piège", _csrf: token });
      assert.equal(res.statusCode, 403, `${what}: status`);
      assert.ok(textOf(res.body).includes(REFUSED), `${what}: the French refusal`);
    }
    assert.ok(!(await folderNames(ctx.services, accountId)).includes("Piège"), "no folder created");
  });
});
