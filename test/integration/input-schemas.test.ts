/**
 * Input at the door: the routes' schemas refuse what the handlers used to refuse
 * themselves, with the same French 400 page, and no sooner than the CSRF check.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { openTestServices, type TestContext } from "../helpers/env.js";
import { MAILBOX_PASSWORD, signedInClient, staffWithPassword, testApp, textOf, WebClient } from "../helpers/web.js";

const BAD_INPUT = "La demande envoyée n'a pas pu être lue.";
const FORBIDDEN = "Ce formulaire a expiré ou n'a pas été envoyé depuis cette page.";

function assertPage(res: LightMyRequestResponse, status: 400 | 403, what: string): void {
  assert.equal(res.statusCode, status, `${what}: ${textOf(res.body).slice(0, 200)}`);
  assert.match(res.body, /<html lang="fr"/, what);
  assert.ok(textOf(res.body).includes(status === 400 ? BAD_INPUT : FORBIDDEN), what);
  assert.doesNotMatch(res.body, /FST_|must match|must be/, `${what}: no validator wording`);
}

describe("input at the door", () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  before(async () => {
    ctx = await openTestServices("sqlite");
    app = await testApp(ctx.services);
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  it("checks the CSRF token before the fields: a forged, malformed form is a 403", async () => {
    const c = new WebClient(app, "198.19.0.1");
    await c.get("/");
    const res = await c.post("/connexion", { _csrf: "0".repeat(64), username: "x".repeat(2000), password: "\u0000" });
    assertPage(res, 403, "forged and malformed");
    assertPage(await c.post("/connexion", { username: "x".repeat(2000), password: "p" }), 400, "malformed");
  });

  it("counts a field's length as JavaScript does (UTF-16 units), as before the schemas", async () => {
    const account = await staffWithPassword(ctx.services);
    const c = new WebClient(app, "198.19.0.2");
    await c.get("/");
    // 513 characters outside the BMP: 1,026 units, over the limit of 1,024.
    assertPage(await c.post("/connexion", { username: account.username, password: "😀".repeat(513) }), 400, "1,026");
    const atLimit = await c.post("/connexion", { username: account.username, password: "😀".repeat(512) });
    assert.equal(atLimit.statusCode, 401, "1,024 units: checked as a password (wrong)");
    const ok = await c.post("/connexion", { username: account.username, password: MAILBOX_PASSWORD });
    assert.equal(ok.statusCode, 303);
  });

  it("refuses malformed query strings and forms of the mailbox with the French 400 page", async () => {
    const { c } = await signedInClient(ctx.services, app);
    await c.get("/mail");
    assertPage(await c.get(`/mail/recherche?q=${"a".repeat(201)}`), 400, "search text over 200");
    assertPage(await c.get("/mail?avant=abc"), 400, "cursor not an id");
    assertPage(await c.get("/mail/contacts/suggestions?q=%00"), 400, "NUL in a query");
    assertPage(await c.post("/mail/actions", { action: "xyz", ids: "1" }), 400, "unknown action");
    assertPage(await c.post("/mail/actions", { action: "lu", ids: "0" }), 400, "id 0");
    assertPage(await c.post("/mail/actions", { _csrf: "0".repeat(64), action: "xyz" }), 403, "forged and malformed");
    // A route's URL ids stay a 404, not a 400.
    assert.equal((await c.get("/mail/messages/abc")).statusCode, 404);
  });

  it("lets the page script post without a body (an empty form)", async () => {
    const { c } = await signedInClient(ctx.services, app);
    await c.get("/mail");
    const res = await c.send({ method: "POST", url: "/mot-de-passe/evaluer", headers: { "x-csrf-token": c.csrf } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(typeof res.json().score, "number");
  });

  it("refuses a multipart field that is not text (a JSON part)", async () => {
    const { c } = await signedInClient(ctx.services, app);
    await c.get("/mail/nouveau");
    const b = `----x${randomBytes(6).toString("hex")}`;
    const part = (name: string, value: string, type?: string) =>
      `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n${type ? `Content-Type: ${type}\r\n` : ""}\r\n${value}\r\n`;
    const send = (a: string, type?: string) =>
      c.send({
        method: "POST",
        url: "/mail/nouveau",
        payload: `${part("_csrf", c.csrf)}${part("a", a, type)}${part("objet", "Essai")}${part("action", "brouillon")}--${b}--\r\n`,
        headers: { "content-type": `multipart/form-data; boundary=${b}` },
      });
    assertPage(await send("5", "application/json"), 400, "a JSON number");
    assertPage(await send('{"x":1}', "application/json"), 400, "a JSON object");
    const saved = await send("");
    assert.equal(saved.statusCode, 303, "the same form as text is saved as a draft");
  });
});
