/**
 * The pages around one message, as a person gets them without JavaScript (app.inject), on SQLite and
 * PostgreSQL: the links of a message whose sender could not be verified go through « Vous allez
 * quitter la messagerie » (text body, HTML frame), which shows where they go and refuses any URL the
 * message does not hold and any other account's message; a deceptive link is marked in the frame;
 * « Afficher la source » shows the message as received, escaped, and downloads it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { GUARDED_FRAME_SANDBOX } from "../../src/mail/html-sanitizer.js";
import type { Services } from "../../src/services.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { deliverRaw, inbound } from "../helpers/sender-messages.js";
import { linksTo, signedInClient, testApp, textOf, unescapeHtml } from "../helpers/web.js";

function textMessage(to: string, body: string, from = "Service informatique <support@helpdesk-ac.example>"): string {
  return [
    `From: ${from}`,
    `To: <${to}>`,
    "Subject: Votre boîte est pleine",
    "Message-ID: <t1@helpdesk-ac.example>",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    body,
  ].join("\n");
}

function htmlMessage(to: string, html: string): string {
  return [
    "From: Messagerie <alerte@helpdesk-ac.example>",
    `To: <${to}>`,
    "Subject: Action requise",
    "Message-ID: <h1@helpdesk-ac.example>",
    "MIME-Version: 1.0",
    "Content-Type: text/html; charset=utf-8",
    "",
    html,
  ].join("\n");
}

/** The `<main>` of a page as text. */
function mainText(html: string): string {
  const m = /<main[^>]*>([\s\S]*?)<\/main>/.exec(html);
  return unescapeHtml(textOf(m?.[1] ?? html));
}

for (const dialect of DIALECTS) {
  describe(`links of a flagged message and the message source (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    before(async () => {
      ctx = await openTestServices(dialect);
      services = ctx.services;
      app = await testApp(services);
    });
    after(async () => {
      await app?.close();
      await ctx?.close();
    });

    it("a flagged text message's links go through the page, which highlights the real domain", async () => {
      const { account, c } = await signedInClient(services, app);
      const link = "https://login.ac-lyon.fr.recuperation-compte.example.net/connexion?id=42&x=%C3%A9";
      const id = await deliverRaw(
        services,
        account,
        textMessage(account.address, `Bonjour,\nconnectez-vous ici : ${link} avant ce soir.`),
        inbound(false),
      );
      const reading = await c.get(`/mail/messages/${id}`);
      assert.equal(reading.statusCode, 200);
      const normalized = new URL(link).href;
      const hrefs = linksTo(reading.body, link);
      assert.deepEqual(hrefs, [`/mail/messages/${id}/lien?url=${encodeURIComponent(normalized)}`]);
      assert.doesNotMatch(reading.body, /href="https:\/\/login\.ac-lyon/, "no direct link in the page");

      const page = await c.get(hrefs[0] ?? "");
      assert.equal(page.statusCode, 200);
      assert.equal(page.headers["cache-control"], "no-store");
      assert.doesNotMatch(page.body, /<script(?![^>]*src=)/, "no inline script");
      assert.match(page.body, /<h1>Vous allez quitter la messagerie<\/h1>/);
      // The registrable domain highlighted, not the look-alike subdomains.
      assert.match(page.body, /<strong><mark>example\.net<\/mark><\/strong>/);
      assert.match(
        page.body,
        /https:\/\/login\.ac-lyon\.fr\.recuperation-compte\.<mark>example\.net<\/mark>\/connexion/,
      );
      assert.match(mainText(page.body), /L'expéditeur de ce message appelle à la prudence/);
      // « Continuer »: a plain link to the destination, without opener or referrer; « Revenir au message ».
      assert.deepEqual(linksTo(page.body, "Continuer"), [normalized]);
      assert.match(page.body, /<a href="[^"]*" rel="noopener noreferrer" class="button-secondary-link">Continuer<\/a>/);
      assert.deepEqual(linksTo(page.body, "Revenir au message"), [`/mail/messages/${id}`]);
    });

    it("refuses a URL the message does not hold, a scheme other than http(s), and bad input", async () => {
      const { account, c } = await signedInClient(services, app);
      const id = await deliverRaw(
        services,
        account,
        textMessage(account.address, "Voir https://honnete.example.org/page"),
        inbound(false),
      );
      const ok = await c.get(`/mail/messages/${id}/lien?url=${encodeURIComponent("https://honnete.example.org/page")}`);
      assert.equal(ok.statusCode, 200);
      for (const url of [
        "https://evil.example.com/",
        "https://honnete.example.org/page?autre=1",
        "javascript:alert(1)",
        "//evil.example.com/",
        "/mail/parametres",
        "",
      ]) {
        const res = await c.get(`/mail/messages/${id}/lien?url=${encodeURIComponent(url)}`);
        assert.equal(res.statusCode, 400, url);
        assert.match(mainText(res.body), /Ce lien ne figure pas dans ce message/, url);
        assert.equal(res.headers.location, undefined, url);
        assert.deepEqual(linksTo(res.body, "Continuer"), [], url);
        assert.doesNotMatch(res.body, /evil\.example|javascript:/, url);
      }
      const missing = await c.get(`/mail/messages/${id}/lien`);
      assert.equal(missing.statusCode, 400);
      const bad = await c.get(`/mail/messages/${id}/lien?url=a&url=b`);
      assert.equal(bad.statusCode, 400);
    });

    it("another account's message, or none, is a 404 for the page and for the source", async () => {
      const owner = await signedInClient(services, app);
      const other = await signedInClient(services, app);
      const id = await deliverRaw(
        services,
        owner.account,
        textMessage(owner.account.address, "Voir https://honnete.example.org/page"),
        inbound(false),
      );
      const url = encodeURIComponent("https://honnete.example.org/page");
      for (const path of [
        `/mail/messages/${id}/lien?url=${url}`,
        `/mail/messages/${id}/source`,
        `/mail/messages/${id}/message.eml`,
      ]) {
        const res = await other.c.get(path);
        assert.equal(res.statusCode, 404, path);
        assert.ok(!res.body.includes("honnete.example.org"), path);
      }
      assert.equal((await owner.c.get(`/mail/messages/999999999/source`)).statusCode, 404);
      assert.equal((await owner.c.get(`/mail/messages/abc/lien?url=${url}`)).statusCode, 404);
      // Signed out: to the sign-in page.
      const anonymous = await app.inject({ method: "GET", url: `/mail/messages/${id}/lien?url=${url}` });
      assert.equal(anonymous.statusCode, 303);
    });

    it("the HTML frame of a flagged message: links through the page in the whole tab, deceptive ones marked", async () => {
      const { account, c } = await signedInClient(services, app);
      const id = await deliverRaw(
        services,
        account,
        htmlMessage(
          account.address,
          '<p>Votre compte : <a href="https://ac-lyon-securite.example.com/x">https://messagerie.ac-lyon.fr</a></p>' +
            '<p><a href="mailto:alerte@helpdesk-ac.example">Nous écrire</a></p>',
        ),
        inbound(false),
      );
      const reading = await c.get(`/mail/messages/${id}`);
      assert.ok(
        reading.body.includes(`sandbox="${GUARDED_FRAME_SANDBOX}"`),
        "the frame may replace the page on a click",
      );
      const frame = await c.get(`/mail/messages/${id}/contenu`);
      assert.equal(frame.statusCode, 200);
      assert.match(
        String(frame.headers["content-security-policy"]),
        /sandbox [^;]*allow-top-navigation-by-user-activation/,
      );
      const target = `/mail/messages/${id}/lien?url=${encodeURIComponent("https://ac-lyon-securite.example.com/x")}`;
      assert.ok(
        frame.body.includes(
          `<a href="${target}" target="_top" rel="noopener noreferrer">https://messagerie.ac-lyon.fr</a>`,
        ),
        frame.body,
      );
      assert.match(
        frame.body,
        /<\/a> <span class="sesame-lien-trompeur"[^>]*>\[lien trompeur : mène à example\.com\]<\/span>/,
      );
      assert.match(frame.body, /<a href="mailto:alerte@helpdesk-ac\.example" target="_blank"/);
      // The link of the HTML body is one the page accepts.
      const page = await c.get(target);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<mark>example\.com<\/mark>/);
    });

    it("a message that is not flagged: direct links, plain sandbox; a deceptive link is still marked", async () => {
      const { account, c } = await signedInClient(services, app);
      const id = await deliverRaw(
        services,
        account,
        htmlMessage(account.address, '<p><a href="https://evil.example.com/">www.ac-lyon.fr</a></p>'),
        inbound(true),
      );
      const frame = await c.get(`/mail/messages/${id}/contenu`);
      assert.match(
        frame.body,
        /<a href="https:\/\/evil\.example\.com\/" target="_blank" rel="noopener noreferrer">www\.ac-lyon\.fr<\/a>/,
      );
      assert.match(frame.body, /\[lien trompeur : mène à example\.com\]/);
      assert.doesNotMatch(String(frame.headers["content-security-policy"]), /allow-top-navigation/);
      const text = await deliverRaw(
        services,
        account,
        textMessage(account.address, "Voir https://a.example.org/x", "Claire Dubois <claire@example.org>"),
        inbound(true),
      );
      const reading = await c.get(`/mail/messages/${text}`);
      assert.deepEqual(linksTo(reading.body, "https://a.example.org/x"), ["https://a.example.org/x"]);
    });

    it("« Afficher la source »: headers included, escaped, in the page; and the download", async () => {
      const { account, c } = await signedInClient(services, app);
      const raw = textMessage(account.address, 'Texte <script>alert("x")</script> & fin é');
      const id = await deliverRaw(services, account, raw, inbound(null));
      const reading = await c.get(`/mail/messages/${id}`);
      assert.deepEqual(linksTo(reading.body, "Afficher la source"), [`/mail/messages/${id}/source`]);

      const page = await c.get(`/mail/messages/${id}/source`);
      assert.equal(page.statusCode, 200);
      const pre = /<pre class="message-text message-source">([\s\S]*?)<\/pre>/.exec(page.body)?.[1] ?? "";
      // Escaped as preact escapes text (`<`, `&`, `"`): no markup can come out of it.
      assert.match(pre, /^From: Service informatique &lt;support@helpdesk-ac\.example>\r$/m);
      assert.match(pre, /^Subject: Votre boîte est pleine\r$/m);
      assert.match(pre, /^Message-ID: &lt;t1@helpdesk-ac\.example>\r$/m);
      assert.ok(pre.includes("Texte &lt;script>alert(&quot;x&quot;)&lt;/script> &amp; fin é"), pre);
      assert.equal(unescapeHtml(pre), (await services.mail.raw(account.id, id)).toString("utf8"));
      assert.doesNotMatch(page.body, /<script>alert/);
      assert.deepEqual(linksTo(page.body, "Télécharger le message (.eml)"), [`/mail/messages/${id}/message.eml`]);

      const download = await c.get(`/mail/messages/${id}/message.eml`);
      assert.equal(download.statusCode, 200);
      assert.equal(download.headers["content-type"], "message/rfc822");
      assert.match(String(download.headers["content-disposition"]), /^attachment; filename="message-\d+\.eml"$/);
      assert.equal(download.rawPayload.toString("utf8"), (await services.mail.raw(account.id, id)).toString("utf8"));
    });

    it("the source of a message that is not UTF-8 is shown as ISO-8859-1", async () => {
      const { account, c } = await signedInClient(services, app);
      const raw = Buffer.concat([
        Buffer.from(
          `From: <a@example.org>\r\nTo: <${account.address}>\r\nSubject: latin\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nCaf`,
        ),
        Buffer.from([0xe9]),
        Buffer.from("\r\n"),
      ]);
      const id = await deliverRaw(services, account, raw);
      const page = await c.get(`/mail/messages/${id}/source`);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Café/);
      assert.match(mainText(page.body), /ISO-8859-1/);
    });
  });
}
