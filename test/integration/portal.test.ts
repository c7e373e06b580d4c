/**
 * The webmail's public pages and the headers every response
 * carries, through app.inject: what a person reads, and what the browser is told.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { openTestServices, type TestContext } from "../helpers/env.js";
import {
  accountOf,
  labelledInput,
  linksTo,
  seedStaff,
  testApp,
  textOf,
  uniqueStaff,
  WebClient,
} from "../helpers/web.js";

/** Every response, whatever its status: strict CSP, no referrer to other sites, no sniffing, no powerful features. */
function assertSecurityHeaders(res: LightMyRequestResponse, what: string): void {
  const csp = String(res.headers["content-security-policy"] ?? "");
  assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP frame-ancestors`);
  assert.match(csp, /script-src 'self'(;|$)/, `${what}: CSP script-src`);
  assert.match(csp, /style-src 'self'(;|$)/, `${what}: CSP style-src`);
  assert.match(csp, /default-src 'self'/, `${what}: CSP default-src`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${what}: no unsafe CSP source`);
  // `same-origin`, not `no-referrer`: with the latter, browsers send `Origin: null` on the pages' own forms.
  assert.equal(res.headers["referrer-policy"], "same-origin", `${what}: Referrer-Policy`);
  assert.equal(res.headers["x-content-type-options"], "nosniff", `${what}: X-Content-Type-Options`);
  const permissions = String(res.headers["permissions-policy"] ?? "");
  for (const feature of ["camera=()", "microphone=()", "geolocation=()"]) {
    assert.ok(permissions.includes(feature), `${what}: Permissions-Policy ${feature} in "${permissions}"`);
  }
}

/** Nothing on a page is fetched from another site: every src/href/action is local. */
function assertNoThirdParty(html: string, what: string): void {
  for (const m of html.matchAll(/\b(?:src|href|action)="([^"]*)"/g)) {
    const url = m[1] ?? "";
    assert.ok(url.startsWith("/") || url.startsWith("#"), `${what}: external reference ${url}`);
  }
}

describe("webmail public pages", () => {
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

  it("the login page (W1): French, skip link, phishing warning, labelled fields, hints and links", async () => {
    const res = await new WebClient(app).get("/");
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^text\/html; charset=utf-8/);
    const html = res.body;
    const text = textOf(html);
    assert.match(html, /<html lang="fr"/);
    // Skip link first in the body, to the main content.
    assert.match(html, /<body[^>]*>\s*<a class="skip-link" href="#contenu">Aller au contenu<\/a>/);
    assert.match(html, /<main id="contenu"/);
    // The académie's mark.
    assert.ok(text.includes("ac-lyon.fr"), text);
    assert.ok(text.includes("académie de Lyon"), text);

    // The phishing banner, with its link to the information page.
    const banner = /<section class="phishing-banner"[\s\S]*?<\/section>/.exec(html)?.[0] ?? "";
    assert.ok(textOf(banner).includes("ATTENTION aux nombreuses tentatives de filoutage"), banner);
    assert.ok(textOf(banner).includes("vérifiez l'adresse de l'expéditeur"), banner);
    assert.match(banner, /<a href="\/filoutage">/);

    assert.match(html, /<h1>Bienvenue sur le webmail<\/h1>/);
    const username = labelledInput(html, "Nom d'utilisateur");
    assert.ok(username, "a field labelled « Nom d'utilisateur »");
    assert.match(username, /autocomplete="username"/);
    assert.match(username, /name="username"/);
    const password = labelledInput(html, "Mot de passe");
    assert.ok(password, "a field labelled « Mot de passe »");
    assert.match(password, /autocomplete="current-password"/);
    assert.match(password, /type="password"/);
    assert.match(password, /name="password"/);
    assert.ok(
      text.includes("Votre nom d'utilisateur est généralement : 1ère lettre du prénom suivie du nom de famille."),
      text,
    );
    assert.ok(text.includes("Le mot de passe est votre NUMEN lors de votre première connexion."), text);
    // The hints are tied to their fields.
    assert.match(username, /aria-describedby="champ-username-aide"/);
    assert.match(html, /<form method="post" action="\/connexion"/);
    assert.match(html, /<input type="hidden" name="_csrf" value="[^"]+"/);

    assert.deepEqual(linksTo(html, "J'ai besoin d'aide"), ["/aide"]);
    assert.deepEqual(linksTo(html, "Je ne connais pas mon nom d'utilisateur ou mon mot de passe"), [
      "/identifiants-perdus",
    ]);
    // No proof-of-work for a client that has not failed.
    assert.doesNotMatch(html, /altcha-widget/);
    assertNoThirdParty(html, "/");
  });

  it("the help page (W2) explains the username and leads to the lost-credentials page", async () => {
    const res = await new WebClient(app).get("/aide");
    assert.equal(res.statusCode, 200);
    const text = textOf(res.body);
    assert.match(res.body, /<html lang="fr"/);
    assert.match(res.body, /<h1>Aide à la connexion<\/h1>/);
    assert.ok(text.includes("la première lettre de votre prénom suivie de votre nom de famille"), text);
    assert.ok(text.includes("votre mot de passe est votre NUMEN"), text);
    assert.ok(
      linksTo(res.body, "Je ne connais pas mon nom d'utilisateur ou mon mot de passe").includes("/identifiants-perdus"),
    );
    assert.deepEqual(linksTo(res.body, "Revenir à la page de connexion"), ["/"]);
    assertNoThirdParty(res.body, "/aide");
  });

  it("the lost-credentials page (W3) asks the guide's question and leads to the assistance", async () => {
    const res = await new WebClient(app).get("/identifiants-perdus");
    assert.equal(res.statusCode, 200);
    const text = textOf(res.body);
    assert.ok(
      text.includes("Que faire si vous ne connaissez pas votre identifiant ou en cas de perte de son mot de passe ?"),
      text,
    );
    assert.ok(text.includes("Vous ne connaissez pas votre identifiant."), text);
    assert.ok(text.includes("Vous avez perdu votre mot de passe."), text);
    assert.deepEqual(linksTo(res.body, "Accéder à l'Assistance à l'identification académique"), ["/assistance"]);
    // The link leads somewhere that answers, in French.
    const assistance = await new WebClient(app).get("/assistance");
    assert.equal(assistance.statusCode, 200);
    assert.ok(textOf(assistance.body).includes("Assistance à l'identification"));
    assertNoThirdParty(res.body, "/identifiants-perdus");
  });

  it("the phishing page says how to recognise it, that no password is ever asked, and how to report", async () => {
    const res = await new WebClient(app).get("/filoutage");
    assert.equal(res.statusCode, 200);
    const text = textOf(res.body);
    assert.ok(text.includes("Comment le reconnaître ?"), text);
    assert.ok(text.includes("L'académie ne vous demandera jamais votre mot de passe"), text);
    assert.ok(text.includes("se terminent bien par @ac-lyon.fr"), text);
    assert.ok(text.includes("Signalez le message"), text);
    assertNoThirdParty(res.body, "/filoutage");
  });

  it("every response carries the security headers, and no HSTS over plain http", async () => {
    const row = uniqueStaff();
    await seedStaff(ctx.services, [row]);
    const account = await accountOf(ctx.services, row);
    const c = new WebClient(app, "192.0.2.201");
    const responses: Array<[string, LightMyRequestResponse]> = [];
    for (const url of ["/", "/aide", "/identifiants-perdus", "/filoutage", "/assistance", "/mail", "/nulle-part"]) {
      responses.push([`GET ${url}`, await c.get(url)]);
    }
    responses.push(["GET /static/app.css", await c.get("/static/app.css")]);
    responses.push(["GET /healthz", await c.get("/healthz")]);
    responses.push(["POST /connexion wrong", await c.post("/connexion", { username: "personne", password: "x" })]);
    responses.push([
      "POST /connexion no CSRF",
      await c.post("/connexion", { _csrf: "", username: "a", password: "b" }),
    ]);
    responses.push([
      "POST /connexion NUMEN",
      await c.post("/connexion", { username: account.username, password: row.numen }),
    ]);
    responses.push(["GET /changer-mot-de-passe", await c.get("/changer-mot-de-passe")]);
    responses.push(["POST /deconnexion", await c.post("/deconnexion", {})]);

    const statuses = responses.map(([what, r]) => `${what} ${r.statusCode}`);
    assert.deepEqual(statuses, [
      "GET / 200",
      "GET /aide 200",
      "GET /identifiants-perdus 200",
      "GET /filoutage 200",
      "GET /assistance 200",
      "GET /mail 303",
      "GET /nulle-part 404",
      "GET /static/app.css 200",
      "GET /healthz 200",
      "POST /connexion wrong 401",
      "POST /connexion no CSRF 403",
      "POST /connexion NUMEN 303",
      "GET /changer-mot-de-passe 200",
      "POST /deconnexion 303",
    ]);
    for (const [what, res] of responses) {
      assertSecurityHeaders(res, what);
      assert.equal(res.headers["strict-transport-security"], undefined, `${what}: no HSTS over http`);
      for (const cookie of res.cookies) {
        assert.ok(!cookie.name.startsWith("__Host-"), `${what}: ${cookie.name} is not a __Host- cookie over http`);
        assert.ok(!cookie.secure, `${what}: ${cookie.name} is not Secure over http`);
        assert.equal(cookie.httpOnly, true, `${what}: ${cookie.name} is HttpOnly`);
      }
    }
    // The loop above holds for no cookie at all: the CSRF cookie of the first page and the session
    // cookie of the sign-in must be there, each with its attributes.
    const setBy = (what: string, name: string) => {
      const res = responses.find(([w]) => w === what)?.[1];
      const cookie = res?.cookies.find((k) => k.name === name);
      assert.ok(cookie, `${what} sets ${name}, got ${res?.cookies.map((k) => k.name).join(", ")}`);
      return cookie;
    };
    for (const [what, cookie] of [
      ["GET /", setBy("GET /", "sesame-csrf")],
      ["POST /connexion NUMEN", setBy("POST /connexion NUMEN", "sesame")],
    ] as const) {
      assert.ok(cookie.value.length >= 16, `${what}: ${cookie.name} has a value`);
      assert.notEqual(cookie.secure, true, `${what}: ${cookie.name} is not Secure over http`);
      assert.equal(cookie.httpOnly, true, `${what}: ${cookie.name} HttpOnly`);
      assert.equal(cookie.path, "/", `${what}: ${cookie.name} Path=/`);
      assert.equal(cookie.domain, undefined, `${what}: ${cookie.name} has no Domain`);
      assert.equal(String(cookie.sameSite).toLowerCase(), "lax", `${what}: ${cookie.name} SameSite=Lax`);
    }
    // The 404 page is French too.
    const notFound = responses.find(([what]) => what === "GET /nulle-part")?.[1];
    assert.ok(textOf(notFound?.body ?? "").includes("La page demandée n'existe pas."));
  });
});

describe("behind https (SESAME_PUBLIC_URL=https://…)", () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  before(async () => {
    ctx = await openTestServices("sqlite", {
      SESAME_PUBLIC_URL: "https://webmail.ac-grenoble.fr",
      SESAME_ACADEMIE_NAME: "académie de Grenoble",
      SESAME_MAIL_DOMAIN: "ac-grenoble.fr",
    });
    app = await testApp(ctx.services);
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  it("sends HSTS and only Secure __Host- cookies, the session one included", async () => {
    const row = uniqueStaff();
    await seedStaff(ctx.services, [row]);
    const account = await accountOf(ctx.services, row);
    const c = new WebClient(app, "192.0.2.202");
    const page = await c.get("/");
    assert.equal(page.statusCode, 200);
    assertSecurityHeaders(page, "GET / (https)");
    assert.match(String(page.headers["strict-transport-security"]), /max-age=31536000/);
    // The académie comes from the configuration.
    assert.ok(textOf(page.body).includes("académie de Grenoble"));
    assert.ok(textOf(page.body).includes("ac-grenoble.fr"));

    const csrf = page.cookies.find((k) => k.name === "__Host-sesame-csrf");
    assert.ok(csrf, `a __Host- CSRF cookie, got ${page.cookies.map((k) => k.name).join(", ")}`);

    const login = await c.post("/connexion", { username: account.username, password: row.numen });
    assert.equal(login.statusCode, 303);
    assert.match(String(login.headers["strict-transport-security"]), /max-age=/);
    const session = login.cookies.find((k) => k.name === "__Host-sesame");
    assert.ok(session, `a __Host- session cookie, got ${login.cookies.map((k) => k.name).join(", ")}`);
    assert.ok(csrf.value.length >= 16 && session.value.length >= 16, "the cookies have values");
    for (const cookie of [...page.cookies, ...login.cookies]) {
      assert.ok(cookie.name.startsWith("__Host-"), cookie.name);
      assert.equal(cookie.secure, true, `${cookie.name} Secure`);
      assert.equal(cookie.httpOnly, true, `${cookie.name} HttpOnly`);
      assert.equal(cookie.path, "/", `${cookie.name} Path=/`);
      assert.equal(cookie.domain, undefined, `${cookie.name} has no Domain`);
      assert.equal(String(cookie.sameSite).toLowerCase(), "lax", `${cookie.name} SameSite=Lax`);
    }
    // The session works over https as over http.
    const change = await c.get("/changer-mot-de-passe");
    assert.equal(change.statusCode, 200);
  });
});
