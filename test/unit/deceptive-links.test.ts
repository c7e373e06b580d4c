/**
 * Links that lie: a link whose visible text shows a web address or a domain other than where it goes
 * (registrable domains compared, in ASCII form), and the marker the HTML sanitizer writes after it;
 * the links of a flagged message sent through « Vous allez quitter la messagerie ».
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  deceptiveDestination,
  destinationParts,
  domainsShownBy,
  isFlagged,
  normalizeLink,
  registrableDomain,
  textLinks,
} from "../../src/mail/deceptive-links.js";
import {
  FRAME_SANDBOX,
  frameContentSecurityPolicy,
  GUARDED_FRAME_SANDBOX,
  sanitizeMailHtml,
} from "../../src/mail/html-sanitizer.js";

const MARKER = /<span class="sesame-lien-trompeur"[^>]*>\[lien trompeur : mène à ([^\]]*)\]<\/span>/g;

/** The destinations the markers of a sanitized body name, in order. */
function markers(html: string): string[] {
  return [...html.matchAll(MARKER)].map((m) => m[1] ?? "");
}

describe("deceptive links", () => {
  it("a text showing a web address or a domain other than the href's registrable domain", () => {
    assert.equal(deceptiveDestination("www.ac-lyon.fr", "https://ac-lyon-securite.com/login"), "ac-lyon-securite.com");
    assert.equal(
      deceptiveDestination("https://www.paypal.com/signin", "http://paypal.com.evil.example.net/"),
      "example.net",
    );
    assert.equal(deceptiveDestination("Connectez-vous sur messagerie.ac-lyon.fr.", "https://evil.fr/x"), "evil.fr");
    // An address shows its domain; an IP address is its own domain.
    assert.equal(deceptiveDestination("support@banque.fr", "https://evil.fr/"), "evil.fr");
    assert.equal(deceptiveDestination("https://www.impots.gouv.fr", "http://203.0.113.7/impots"), "203.0.113.7");
    assert.equal(deceptiveDestination("(ac-lyon.fr)", "https://ac-lyon.fr.example.co.uk/"), "example.co.uk");
  });

  it("the same registrable domain is not flagged (subdomains, paths, case, trailing dot)", () => {
    assert.equal(deceptiveDestination("www.ac-lyon.fr", "https://ac-lyon.fr/"), null);
    assert.equal(deceptiveDestination("https://www.example.com/a", "https://news.example.com/track?id=1"), null);
    assert.equal(deceptiveDestination("WWW.AC-LYON.FR/intranet", "https://portail.ac-lyon.fr./x"), null);
    assert.equal(deceptiveDestination("support@example.co.uk", "https://help.example.co.uk/"), null);
  });

  it("a text that shows no domain is not flagged", () => {
    for (const text of [
      "Cliquez ici",
      "Se désinscrire",
      "rapport.pdf",
      "M.Martin",
      "fichier.docx",
      "version 1.2.3",
      "3.14",
      "e.g. ceci",
      "",
      "https://",
    ]) {
      assert.equal(deceptiveDestination(text, "https://evil.example.com/"), null, text);
      assert.deepEqual(domainsShownBy(text), [], text);
    }
  });

  it("only http(s) hrefs are judged", () => {
    assert.equal(deceptiveDestination("ac-lyon.fr", "mailto:someone@evil.fr"), null);
    assert.equal(deceptiveDestination("ac-lyon.fr", "not a url"), null);
  });

  it("punycode and IDN: compared in ASCII form", () => {
    // The text shows the real paypal.com, the link goes to the Cyrillic look-alike.
    assert.equal(deceptiveDestination("paypal.com", "https://xn--pypal-4ve.com/"), "xn--pypal-4ve.com");
    assert.equal(deceptiveDestination("paypal.com", "https://pаypal.com/"), "xn--pypal-4ve.com");
    // The text shows the look-alike itself, in Unicode or in punycode: it shows where the link goes.
    assert.equal(deceptiveDestination("pаypal.com", "https://xn--pypal-4ve.com/"), null);
    assert.equal(deceptiveDestination("xn--pypal-4ve.com", "https://pаypal.com/login"), null);
    assert.equal(deceptiveDestination("пример.рф", "https://xn--e1afmkfd.xn--p1ai/"), null);
    assert.equal(deceptiveDestination("пример.рф", "https://example.ru/"), "example.ru");
    assert.equal(registrableDomain("A.B.xn--e1afmkfd.xn--p1ai"), "xn--e1afmkfd.xn--p1ai");
  });

  it("the sanitizer marks a deceptive link after its end, in French, and leaves honest ones alone", () => {
    const html = sanitizeMailHtml(
      '<p>Votre compte : <a href="https://ac-lyon-securite.com/x"><b>https://messagerie.ac-lyon.fr</b></a> ' +
        '<a href="https://www.ac-lyon.fr/">ac-lyon.fr</a> <a href="https://evil.fr">Cliquez ici</a> ' +
        '<a href="https://xn--pypal-4ve.com/">paypal.com</a></p>',
      { allowRemote: false },
    ).html;
    assert.deepEqual(markers(html), ["ac-lyon-securite.com", "pаypal.com (xn--pypal-4ve.com)"]);
    // After the link, not inside it.
    assert.match(html, /https:\/\/messagerie\.ac-lyon\.fr<\/b><\/a> <span class="sesame-lien-trompeur"/);
    // The sanitizer's link numbers are gone; a message's own attribute of that name never comes through.
    assert.doesNotMatch(html, /data-sesame-link/);
    const forged = sanitizeMailHtml('<a href="https://ac-lyon.fr/" data-sesame-link="0">evil.fr</a>', {
      allowRemote: false,
    }).html;
    assert.doesNotMatch(forged, /data-sesame-link/);
    assert.deepEqual(markers(forged), ["ac-lyon.fr"]);
  });

  it("the marker's text is escaped and links nested in odd markup keep their own verdict", () => {
    const html = sanitizeMailHtml(
      '<table><tr><td><a href="https://a.example.org/"><span>b.example.net</span></a></td>' +
        '<td><a href="https://b.example.net/">b.example.net</a></td></tr></table><a href="https://x.fr">y.fr',
      { allowRemote: false },
    ).html;
    assert.deepEqual(markers(html), ["example.org", "x.fr"]);
  });

  it("a flagged message's http(s) links go through the interstitial page, in the whole tab", () => {
    const seen: string[] = [];
    const html = sanitizeMailHtml(
      '<a href="https://evil.fr/a?b=1&amp;c=2">Ici</a> <a href="mailto:contact@evil.fr">écrire</a>',
      {
        allowRemote: false,
        guardLink: (href) => `/mail/messages/7/lien?url=${encodeURIComponent(href)}`,
        onLink: (href) => seen.push(href),
      },
    ).html;
    assert.match(
      html,
      /<a href="\/mail\/messages\/7\/lien\?url=https%3A%2F%2Fevil\.fr%2Fa%3Fb%3D1%26c%3D2" target="_top" rel="noopener noreferrer">Ici<\/a>/,
    );
    // mailto: links are not web pages: they stay as they are.
    assert.match(html, /<a href="mailto:contact@evil\.fr" target="_blank" rel="noopener noreferrer">/);
    assert.deepEqual(seen, ["https://evil.fr/a?b=1&c=2"]);
  });

  it("only a guarded frame may replace the page, on a click; others keep the plain sandbox", () => {
    const guarded = sanitizeMailHtml("<p>x</p>", { allowRemote: false, guardLink: (h) => h });
    assert.equal(guarded.guardedLinks, true);
    assert.equal(sanitizeMailHtml("<p>x</p>", { allowRemote: false }).guardedLinks, undefined);
    assert.equal(GUARDED_FRAME_SANDBOX, `${FRAME_SANDBOX} allow-top-navigation-by-user-activation`);
    // The frame keeps its origin (the page sizes it) only because it never runs a script.
    assert.doesNotMatch(GUARDED_FRAME_SANDBOX, /allow-scripts|allow-top-navigation(?!-by)|allow-forms/);
    assert.match(frameContentSecurityPolicy(false, true), /default-src 'none'/);
    assert.match(
      frameContentSecurityPolicy(false, true),
      /; sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation$/,
    );
    assert.doesNotMatch(frameContentSecurityPolicy(false), /allow-top-navigation/);
  });

  it("flagged warnings, text links, normalized links and the destination's parts", () => {
    assert.equal(isFlagged(["lookalike"]), true);
    assert.equal(isFlagged(["outside", "unverified"]), true);
    assert.equal(isFlagged(["impersonation"]), true);
    assert.equal(isFlagged(["outside", "credentials"]), false);
    assert.equal(isFlagged([]), false);
    assert.deepEqual(textLinks("Voir https://Example.com/a b) et (http://pаypal.com/x) ftp://x.fr"), [
      "https://example.com/a",
      "http://xn--pypal-4ve.com/x",
    ]);
    assert.equal(normalizeLink("javascript:alert(1)"), null);
    assert.equal(normalizeLink("//evil.fr"), null);
    assert.deepEqual(destinationParts("https://u:p@login.ac-lyon.fr.evil.co.uk:8443/a?b#c"), {
      before: "https://u:p@login.ac-lyon.fr.",
      domain: "evil.co.uk",
      after: ":8443/a?b#c",
    });
    assert.deepEqual(destinationParts("http://203.0.113.7/"), { before: "http://", domain: "203.0.113.7", after: "/" });
  });
});
