/**
 * What the reception found about a sender, as a person reads it in Chromium: each banner of the
 * reading view in French, one line each, most serious first — a look-alike domain (words added to the
 * académie's name; a Cyrillic letter, shown in its punycode form), an unverified sender, a display
 * name that holds another address or names the Rectorat from outside, a sender outside the académie,
 * the reminder about identifiers and passwords — and the list's small labelled marker on look-alike
 * and unverified senders. The same pages with JavaScript on (axe-core on the list and on every
 * reading page) and off. Then the demo's phishing attempt, delivered as `npm start` delivers it,
 * opens with the look-alike banner.
 *
 * The warnings are worked out at delivery from the reception's verdict and the message itself
 * (mail.service.ts `deliver` with `inbound`): the messages are delivered that way, several to one
 * account, with one sign-in per JavaScript mode.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Locator, Page } from "playwright-core";
import { fillDemoMailboxes } from "../../src/demo/demo-mailbox.js";
import type { Account } from "../../src/directory/directory.types.js";
import { systemClock } from "../../src/shared/clock.js";
import { type BrowserEnv, openBrowserEnv, openWebmail } from "../helpers/browser.js";
import { deliverRaw, inbound, LOOKALIKE_ASCII, LOOKALIKE_UNICODE } from "../helpers/sender-messages.js";
import { staffWithPassword } from "../helpers/web.js";

/** The lines of the banner, as fr.ts words them for the test's académie (ac-lyon.fr). */
const LINE = {
  lookalike: (domain: string) =>
    `Attention : l'adresse de l'expéditeur imite celle de l'académie (${domain} n'est pas ac-lyon.fr).`,
  unverified: "L'expéditeur de ce message n'a pas pu être vérifié.",
  impersonation: (address: string) =>
    `Attention : le nom affiché de l'expéditeur se présente comme un service de l'académie, mais le message vient de l'adresse extérieure ${address}.`,
  nameHasAddress: (address: string) =>
    `Attention : le nom affiché de l'expéditeur contient une adresse électronique qui n'est pas la sienne. Son adresse réelle est ${address}.`,
  outside: "Ce message provient d'un expéditeur extérieur à l'académie.",
  credentials: "Ne répondez à aucune sollicitation vous demandant de fournir vos identifiant et mot de passe.",
};

/** The list's marker: what is seen, and what a screen reader says instead. */
const MARKER = {
  lookalike: { seen: "Imitation", said: "Expéditeur qui imite l'académie" },
  unverified: { seen: "Non vérifié", said: "Expéditeur non vérifié" },
};

interface WarningCase {
  readonly from: string;
  readonly subject: string;
  readonly body: string;
  /** The reception's verdict: true when SPF, DKIM or DMARC vouched for the sender. */
  readonly verified: boolean;
  /** The banner's lines, in order ([] for no banner). */
  readonly lines: readonly string[];
  readonly marker: keyof typeof MARKER | null;
  /** Said beside the banner, outside its list. */
  readonly also?: string;
}

const CASES: readonly WarningCase[] = [
  {
    from: "Service informatique <support@ac-lyon-fr.net>",
    subject: "Votre mot de passe expire aujourd'hui",
    body: "Confirmez votre identifiant et votre mot de passe en répondant à ce message avant ce soir.",
    verified: false,
    lines: [
      LINE.lookalike("ac-lyon-fr.net"),
      LINE.unverified,
      LINE.impersonation("support@ac-lyon-fr.net"),
      LINE.outside,
      LINE.credentials,
    ],
    marker: "lookalike",
  },
  {
    from: "Messagerie <annonces@ac-lyon-securite.com>",
    subject: "Maintenance prévue samedi",
    body: "La messagerie sera indisponible samedi matin.",
    verified: true,
    lines: [LINE.lookalike("ac-lyon-securite.com"), LINE.outside],
    marker: "lookalike",
  },
  {
    // The domain as it arrives, with a Cyrillic о: the banner names it in its punycode form.
    from: `Direction <dsi@${LOOKALIKE_UNICODE}>`,
    subject: "Note de service",
    body: "Veuillez trouver la note de service.",
    verified: true,
    lines: [LINE.lookalike(LOOKALIKE_ASCII), LINE.outside],
    marker: "lookalike",
    also: `Attention : le domaine de l'expéditeur, « ${LOOKALIKE_UNICODE} », mélange des caractères de plusieurs alphabets et peut imiter un autre domaine. Son nom exact est ${LOOKALIKE_ASCII}.`,
  },
  {
    from: "Lettre d'information <news@newsletter.example>",
    subject: "Nouveautés du mois",
    body: "Les nouveautés du mois.",
    verified: false,
    lines: [LINE.unverified, LINE.outside],
    marker: "unverified",
  },
  {
    from: '"dsi@ac-lyon.fr" <attacker@evil.example>',
    subject: "Mise à jour de votre messagerie",
    body: "La mise à jour aura lieu ce soir.",
    verified: true,
    lines: [LINE.nameHasAddress("attacker@evil.example"), LINE.outside],
    marker: null,
  },
  {
    from: "Rectorat <information@portail-rentree.example>",
    subject: "Calendrier de la rentrée",
    body: "Le calendrier de la rentrée est en ligne.",
    verified: true,
    lines: [LINE.impersonation("information@portail-rentree.example"), LINE.outside],
    marker: null,
  },
  {
    from: "Claire Fontaine <claire.fontaine@exemple.fr>",
    subject: "Sortie au musée",
    body: "Bonjour, voici le programme de la sortie.",
    verified: true,
    lines: [LINE.outside],
    marker: null,
  },
  {
    from: "Plateforme de formation <noreply@formation-continue.example>",
    subject: "Votre inscription au stage",
    body: "Pour finaliser votre inscription, indiquez votre NUMEN en réponse à ce message.",
    verified: true,
    lines: [LINE.outside, LINE.credentials],
    marker: null,
  },
  {
    from: "Jean Dupont <jean.dupont@ac-lyon.fr>",
    subject: "Conseil pédagogique",
    body: "À jeudi, pour le conseil pédagogique.",
    verified: true,
    lines: [],
    marker: null,
  },
];

function rawOf(c: WarningCase, account: Account, n: number): string {
  return [
    `From: ${c.from}`,
    `To: <${account.address}>`,
    `Subject: ${c.subject}`,
    `Message-ID: <avertissement.${n}.${Date.now()}@test.example>`,
    `Date: ${new Date().toUTCString()}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    c.body,
  ].join("\r\n");
}

/** A case-sensitive pattern matching `text` anywhere in an accessible name. */
function within(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

/** The banner of the reading page: a region named for what it holds. */
function banner(page: Page): Locator {
  return page.getByRole("region", { name: "Avertissements sur l'expéditeur" });
}

/** The banner's lines as seen, in order; and that the banner comes before the message's text. */
async function bannerLines(page: Page): Promise<string[]> {
  const region = banner(page);
  if ((await region.count()) === 0) return [];
  assert.equal(await region.isVisible(), true, "the banner is seen");
  const beforeBody = await region.evaluate((el) => {
    const body = document.querySelector(".message-text, iframe.message-frame");
    return body !== null && (el.compareDocumentPosition(body) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
  });
  assert.equal(beforeBody, true, "the banner comes before the message");
  return (await region.getByRole("listitem").allInnerTexts()).map((line) => line.trim());
}

describe("sender warnings (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
    assert.equal(env.server.services.config.mailDomain, "ac-lyon.fr", "the banners name the académie's domain");
  });
  after(async () => {
    await env.close();
  });

  for (const javaScriptEnabled of [true, false]) {
    it(`each banner in French, most serious first, and the list's markers (JavaScript ${javaScriptEnabled ? "on" : "off"})`, async () => {
      const services = env.server.services;
      const account = await staffWithPassword(services, {
        prenom: "Irène",
        nom: javaScriptEnabled ? "Joliot" : "Langevin",
      });
      const ids: number[] = [];
      for (const [n, c] of CASES.entries()) {
        ids.push(await deliverRaw(services, account, rawOf(c, account, n), inbound(c.verified)));
      }

      const { context, page, problems, accessible } = await openWebmail(env, account, { javaScriptEnabled });

      // The list: a marker on look-alike and unverified senders only; a screen reader says its label.
      for (const [n, c] of CASES.entries()) {
        const row = page.locator(`li[data-message-id="${ids[n]}"]`);
        await row.getByText(c.subject, { exact: true }).waitFor();
        const marker = row.locator("[data-warning-marker]");
        const linkRead = (text: string) => row.getByRole("link", { name: within(text) }).count();
        if (c.marker === null) {
          assert.equal(await marker.count(), 0, `no marker on « ${c.subject} »`);
          for (const { said } of Object.values(MARKER)) assert.equal(await linkRead(said), 0, c.subject);
          continue;
        }
        const { seen, said } = MARKER[c.marker];
        assert.equal(await marker.isVisible(), true, `a marker on « ${c.subject} »`);
        assert.equal(await marker.locator('[aria-hidden="true"]').textContent(), seen);
        // Read in the line's link as its label; the short word on screen is hidden from screen readers.
        assert.equal(await linkRead(said), 1, `« ${c.subject} »: the link is read with « ${said} »`);
        assert.equal(await linkRead(seen), 0, `« ${c.subject} »: « ${seen} » is not read`);
      }
      await accessible("the inbox with marked senders");

      // The reading view: each banner, line by line, as the reader sees it.
      for (const [n, c] of CASES.entries()) {
        if (n === 0) await page.getByRole("link", { name: within(c.subject) }).click();
        else await page.goto(`/mail/messages/${ids[n]}`);
        // Opened from the list: in the reading pane; by its address: on a page of its own.
        await page.getByRole("heading", { name: c.subject, level: n === 0 ? 2 : 1 }).waitFor();
        assert.deepEqual(await bannerLines(page), c.lines, `the banner of « ${c.subject} »`);
        if (c.also) assert.equal(await page.getByText(c.also, { exact: true }).isVisible(), true, c.also);
        await accessible(`reading « ${c.subject} »`);
      }

      assert.deepEqual(problems, [], "no console error, no CSP violation");
      await context.close();
    });
  }

  it("the demo's phishing attempt opens with the look-alike banner", async () => {
    const services = env.server.services;
    const account = await staffWithPassword(services, { prenom: "Camille", nom: "Martin" });
    // As `npm start` fills the demo mailboxes: through the SMTP reception, on loopback.
    await fillDemoMailboxes({ mail: services.mail, config: services.config, clock: systemClock }, [
      { name: "Camille Martin", address: account.address },
    ]);
    const subject = "URGENT : Votre boîte mail sera désactivée dans 24 heures";

    const { context, page, problems, accessible } = await openWebmail(env, account);
    // Found as a person finds it among the demo's messages: by searching the mailbox.
    await page.goto(`/mail/recherche?q=${encodeURIComponent("désactivée")}`);
    const link = page.getByRole("link", { name: within(subject) });
    await link.waitFor();
    const marked = page.getByRole("link", { name: within(MARKER.lookalike.said) }).and(link);
    assert.equal(await marked.count(), 1, "marked in the list");
    await link.click();
    await page.getByRole("heading", { name: subject, level: 2 }).waitFor();
    // Its sender « Service informatique » asks for the password; the demo's relay is trusted (not checked).
    assert.deepEqual(await bannerLines(page), [
      LINE.lookalike("ac-lyon-securite.com"),
      LINE.impersonation("support@ac-lyon-securite.com"),
      LINE.outside,
      LINE.credentials,
    ]);
    await accessible("reading the demo's phishing attempt", { sandboxedFrame: true });

    assert.deepEqual(problems, [], "no console error, no CSP violation");
    await context.close();
  });
});
