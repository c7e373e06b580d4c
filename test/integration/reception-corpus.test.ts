/**
 * The reception's corpus: legitimate outside mail and attacks, each sent through the real SMTP
 * reception (one real SMTP client, a real DNS server on loopback serving the senders' SPF, DKIM and
 * DMARC records, real DKIM signatures and real ARC seals), with what it must get: the reply (250 or
 * 550 5.7.1), where it lands (the inbox, Indésirables, nowhere) and the exact warnings the reader is
 * shown. It ends with the bar: no legitimate message flagged (look-alike, unverified,
 * impersonation). About the rules, not the storage: SQLite only.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { SenderWarning } from "../../src/mail/mail.types.js";
import { type SmtpReception, startSmtpReception } from "../../src/mail/smtp-reception.js";
import {
  alter,
  dkimKey,
  forwardSealed,
  type MessageParts,
  type Sealer,
  type Signer,
  sign,
  writeMessage,
} from "../helpers/corpus-mail.js";
import { startDnsServer, type TestDnsServer } from "../helpers/dns-server.js";
import { openTestServices, type TestContext } from "../helpers/env.js";
import { newAddress, RawSmtp, type SmtpReply } from "../helpers/smtp.js";

const MAIL_DOMAIN = "ac-lyon.fr";
/** Where the senders' own servers are, as their SPF records say (the corpus itself comes from loopback). */
const PARTNER_MX_IP = "192.0.2.5";

const legitKey = dkimKey();
const relayKey = dkimKey();
const evilKey = dkimKey();

const signer = (domain: string, selector = "sel", key = legitKey): Signer => ({ domain, selector, key });
const LISTS: Sealer = { domain: "lists.example", mx: "mx.lists.example", key: relayKey };
const FORWARDER: Sealer = { domain: "fwd.example", mx: "mx.fwd.example", key: relayKey };
const EVIL_RELAY: Sealer = { domain: "evil-relay.example", mx: "mx.evil-relay.example", key: evilKey };

const LOOPBACK_SPF = "v=spf1 ip4:127.0.0.1 -all";
const ELSEWHERE_SPF = "v=spf1 ip4:192.0.2.1 -all";

/** The senders' DNS: SPF, DKIM keys (selector `sel`, `arc` for sealers) and DMARC policies. */
function zone() {
  const key = (domain: string, k = legitKey, selector = "sel") => ({
    [`${selector}._domainkey.${domain}`]: { TXT: [k.txt] },
  });
  const dmarc = (domain: string, policy: string) => ({ [`_dmarc.${domain}`]: { TXT: [`v=DMARC1; ${policy}`] } });
  const spf = (domain: string, record: string) => ({ [domain]: { TXT: [record] } });
  return {
    // The académie: SPF for its own servers only, its DKIM key, a relaxed policy.
    ...spf(MAIL_DOMAIN, "v=spf1 ip4:192.0.2.10 -all"),
    ...key(MAIL_DOMAIN),
    ...dmarc(MAIL_DOMAIN, "p=none"),
    // A partner: SPF for loopback and its MX, DKIM, p=reject; its newsletters signed by a subdomain.
    ...spf("partner.example", `v=spf1 ip4:127.0.0.1 ip4:${PARTNER_MX_IP} -all`),
    ...key("partner.example"),
    ...dmarc("partner.example", "p=reject"),
    ...key("mail.partner.example"),
    ...spf("esp.example", LOOPBACK_SPF),
    ...spf("shop.example", ELSEWHERE_SPF),
    ...key("news.shop.example"),
    ...dmarc("shop.example", "p=quarantine"),
    // SPF only (no DKIM): without DMARC, and under p=reject.
    ...spf("spf-only.example", LOOPBACK_SPF),
    ...spf("spfstrict.example", LOOPBACK_SPF),
    ...dmarc("spfstrict.example", "p=reject"),
    // Authors whose mail reaches us through lists: p=none, no DMARC at all, p=quarantine.
    ...spf("univ-lyon.example", "v=spf1 ip4:192.0.2.7 -all"),
    ...key("univ-lyon.example"),
    ...dmarc("univ-lyon.example", "p=none"),
    ...spf("asso.example", "v=spf1 ip4:192.0.2.8 -all"),
    ...key("asso.example"),
    ...spf("careful-partner.example", `v=spf1 ip4:${PARTNER_MX_IP} -all`),
    ...key("careful-partner.example"),
    ...dmarc("careful-partner.example", "p=quarantine"),
    // Lists and forwarders (DKIM and ARC keys), one of them not trusted.
    ...spf("lists.example", LOOPBACK_SPF),
    ...key("lists.example", relayKey),
    ...key("lists.example", relayKey, "arc"),
    ...spf("fwd.example", LOOPBACK_SPF),
    ...key("fwd.example", relayKey, "arc"),
    ...spf("evil-relay.example", LOOPBACK_SPF),
    ...key("evil-relay.example", evilKey, "arc"),
    // Institutions and near-miss names that are not look-alikes.
    ...spf("education.gouv.fr", LOOPBACK_SPF),
    ...key("education.gouv.fr"),
    ...dmarc("education.gouv.fr", "p=quarantine"),
    ...spf("region-academique.fr", LOOPBACK_SPF),
    ...key("region-academique.fr"),
    ...dmarc("region-academique.fr", "p=none"),
    ...spf("index-education.com", LOOPBACK_SPF),
    ...key("index-education.com"),
    ...dmarc("index-education.com", "p=none"),
    ...spf("laposte.net", LOOPBACK_SPF),
    ...key("laposte.net"),
    ...dmarc("laposte.net", "p=quarantine"),
    ...spf("education.fr", ELSEWHERE_SPF),
    ...key("education.fr"),
    ...spf("lyon.fr", LOOPBACK_SPF),
    ...dmarc("lyon.fr", "p=reject"),
    ...Object.assign(
      {},
      ...["ac-grenoble.fr", "ac-dijon.fr", "ac-lille.fr", "parent.example"].map((d) => ({
        ...spf(d, ELSEWHERE_SPF),
        ...key(d),
        ...dmarc(d, "p=reject"),
      })),
    ),
    // Strict and careful domains that nobody signs for here.
    ...spf("strict.example", ELSEWHERE_SPF),
    ...dmarc("strict.example", "p=reject"),
    ...spf("careful.example", ELSEWHERE_SPF),
    ...dmarc("careful.example", "p=quarantine"),
    ...dmarc("halfway.example", "p=reject; sp=quarantine"),
    ...spf("stranger.example", "v=spf1 -all"),
    ...key("stranger.example", evilKey),
    // Attackers' own domains: some authenticate properly (it is cheap), some do not bother.
    ...Object.assign(
      {},
      ...["ac-lyon-securite.com", "ac-lyom.fr", "xn--ac-lyn-0qf.fr", "helpdesk-mail.example", "education-gouv.fr"].map(
        (d) => ({ ...spf(d, LOOPBACK_SPF), ...key(d, evilKey), ...dmarc(d, "p=none") }),
      ),
    ),
  };
}

type Folder = "inbox" | "junk" | null;

interface Expected {
  readonly code: 250 | 550;
  readonly folder: Folder;
  readonly warnings: readonly SenderWarning[];
  /** Something the stored Authentication-Results must say. */
  readonly results?: RegExp;
}

interface CorpusCase {
  readonly id: string;
  readonly legitimate: boolean;
  readonly what: string;
  /** MAIL FROM. */
  readonly envelope: string;
  /** The message, for the recipient `to`; its Subject carries `[id]`. */
  build(to: string, dns: TestDnsServer): Promise<Buffer>;
  readonly expect: Expected;
}

const delivered = (warnings: readonly SenderWarning[], results?: RegExp): Expected => ({
  code: 250,
  folder: "inbox",
  warnings,
  ...(results ? { results } : {}),
});
const junk = (warnings: readonly SenderWarning[]): Expected => ({ code: 250, folder: "junk", warnings });
const refused: Expected = { code: 550, folder: null, warnings: [] };

/** A message, signed when `by` is given. */
function plain(id: string, parts: Omit<MessageParts, "to" | "subject"> & { subject: string }, by?: Signer) {
  return async (to: string) => {
    const raw = writeMessage({ ...parts, to, subject: `[${id}] ${parts.subject}` });
    return by ? sign(raw, by) : raw;
  };
}

/** A partner's message as its own server signs it. */
const partnerOriginal = (
  id: string,
  to: string,
  from = "Marie Curie <marie.curie@partner.example>",
  by = signer("partner.example"),
) =>
  sign(
    writeMessage({
      from,
      to,
      subject: `[${id}] Réunion du comité de pilotage`,
      text: "Bonjour,\r\n\r\nVoici l'ordre du jour.\r\n",
    }),
    by,
  );

const OUTSIDE: SenderWarning[] = ["outside"];
const UNVERIFIED: SenderWarning[] = ["unverified", "outside"];

const CASES: CorpusCase[] = [
  // ---------------------------------------------------------------------------------------------
  // Legitimate outside mail: never look-alike, unverified or impersonation.
  {
    id: "L01",
    legitimate: true,
    what: "DKIM-aligned and SPF pass, p=reject",
    envelope: "marie.curie@partner.example",
    build: plain(
      "L01",
      { from: "Marie Curie <marie.curie@partner.example>", subject: "Convention de stage" },
      signer("partner.example"),
    ),
    expect: delivered(OUTSIDE, /dkim=pass[^;]*partner\.example[\s\S]*dmarc=pass/),
  },
  {
    id: "L02",
    legitimate: true,
    what: "DKIM-aligned, SPF of another envelope domain failing",
    envelope: "bounce@strict.example",
    build: plain("L02", { from: "<compta@partner.example>", subject: "Facture" }, signer("partner.example")),
    expect: delivered(OUTSIDE, /spf=fail[\s\S]*dmarc=pass/),
  },
  {
    id: "L03",
    legitimate: true,
    what: "SPF only, aligned, no DMARC record",
    envelope: "contact@spf-only.example",
    build: plain("L03", { from: "Contact <contact@spf-only.example>", subject: "Demande de devis" }),
    expect: delivered(OUTSIDE, /spf=pass/),
  },
  {
    id: "L04",
    legitimate: true,
    what: "SPF only, aligned, under p=reject",
    envelope: "rh@spfstrict.example",
    build: plain("L04", { from: "<rh@spfstrict.example>", subject: "Candidature" }),
    expect: delivered(OUTSIDE, /dmarc=pass/),
  },
  {
    id: "L05",
    legitimate: true,
    what: "newsletter signed by mail.partner.example for From partner.example (relaxed alignment)",
    envelope: "bounce-123@esp.example",
    build: plain(
      "L05",
      {
        from: "Partner <newsletter@partner.example>",
        subject: "Lettre d'information de mars",
        headers: [
          "List-Unsubscribe: <https://partner.example/desabonnement?u=42>",
          "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        ],
        html: '<p>Nos actualités : <a href="https://partner.example/actus">partner.example/actus</a></p>',
      },
      signer("mail.partner.example"),
    ),
    expect: delivered(OUTSIDE, /dkim=pass[^;]*mail\.partner\.example[\s\S]*dmarc=pass/),
  },
  {
    id: "L06",
    legitimate: true,
    what: "newsletter signed by news.shop.example for shop.example under p=quarantine",
    envelope: "bounce@esp.example",
    build: plain(
      "L06",
      { from: "Boutique <offres@shop.example>", subject: "Nos offres rentrée" },
      signer("news.shop.example"),
    ),
    expect: delivered(OUTSIDE, /dmarc=pass/),
  },
  {
    id: "L07",
    legitimate: true,
    what: "mailing list that breaks the author's DKIM (p=reject), sealed with ARC by a trusted sealer",
    envelope: "enseignants-bounces@lists.example",
    build: async (to, dns) =>
      forwardSealed(await partnerOriginal("L07", to), {
        sealer: LISTS,
        dnsServer: dns.server,
        ip: PARTNER_MX_IP,
        sender: "marie.curie@partner.example",
        change: {
          prepend: ["List-Id: Enseignants <enseignants.lists.example>", "Sender: enseignants-bounces@lists.example"],
          subjectTag: "[enseignants]",
          footer: "Liste enseignants : https://lists.example/enseignants",
        },
      }),
    expect: delivered(OUTSIDE, /arc=pass[\s\S]*dmarc=fail[\s\S]*trusted sealer lists\.example/),
  },
  {
    id: "L08",
    legitimate: true,
    what: "forwarding service that adds a footer (p=quarantine author), sealed by a trusted sealer",
    envelope: "srs0=ab12=partner@fwd.example",
    build: async (to, dns) =>
      forwardSealed(
        await sign(
          writeMessage({
            from: "<direction@careful-partner.example>",
            to,
            subject: "[L08] Calendrier",
            text: "Bonjour,\r\n",
          }),
          signer("careful-partner.example"),
        ),
        {
          sealer: FORWARDER,
          dnsServer: dns.server,
          ip: PARTNER_MX_IP,
          sender: "direction@careful-partner.example",
          change: { footer: "Transféré par fwd.example" },
        },
      ),
    expect: delivered(OUTSIDE, /arc=pass/),
  },
  {
    id: "L09",
    legitimate: true,
    what: "two hops, both trusted: a list (i=1) then a forwarder (i=2)",
    envelope: "srs0=cd34=list@fwd.example",
    build: async (to, dns) => {
      const listed = await forwardSealed(await partnerOriginal("L09", to), {
        sealer: LISTS,
        dnsServer: dns.server,
        ip: PARTNER_MX_IP,
        sender: "marie.curie@partner.example",
        change: { subjectTag: "[direction]", footer: "Liste direction" },
      });
      return forwardSealed(listed, {
        sealer: FORWARDER,
        dnsServer: dns.server,
        ip: "127.0.0.1",
        sender: "direction-bounces@lists.example",
      });
    },
    expect: delivered(OUTSIDE, /arc=pass \(i=2/),
  },
  {
    id: "L10",
    legitimate: true,
    what: "list with ARC, author under p=none: verified through the seal",
    envelope: "profs-bounces@lists.example",
    build: async (to, dns) =>
      forwardSealed(
        await sign(
          writeMessage({
            from: "Paul Langevin <p.langevin@univ-lyon.example>",
            to,
            subject: "[L10] Séminaire",
            text: "Bonjour,\r\n",
          }),
          signer("univ-lyon.example"),
        ),
        {
          sealer: LISTS,
          dnsServer: dns.server,
          ip: "192.0.2.7",
          sender: "p.langevin@univ-lyon.example",
          change: { subjectTag: "[profs]", footer: "Liste profs" },
        },
      ),
    expect: delivered(OUTSIDE, /arc=pass/),
  },
  {
    id: "L11",
    legitimate: true,
    what: "mailing list: List-Id, Sender, DKIM by the list domain, author under p=none",
    envelope: "physique-bounces@lists.example",
    build: plain(
      "L11",
      {
        from: "Paul Langevin <p.langevin@univ-lyon.example>",
        subject: "[physique] Ressources pour la classe",
        headers: [
          "List-Id: Physique <physique.lists.example>",
          "Sender: physique-bounces@lists.example",
          "List-Post: <mailto:physique@lists.example>",
          "Precedence: list",
        ],
      },
      signer("lists.example", "sel", relayKey),
    ),
    expect: delivered(OUTSIDE, /mailing list lists\.example/),
  },
  {
    id: "L12",
    legitimate: true,
    what: "mailing list, author's domain without any DMARC record",
    envelope: "benevoles-bounces@lists.example",
    build: plain(
      "L12",
      {
        from: "Association <bureau@asso.example>",
        subject: "[bénévoles] Assemblée générale",
        headers: ["List-Id: <benevoles.lists.example>", "Sender: Liste bénévoles <benevoles-bounces@lists.example>"],
      },
      signer("lists.example", "sel", relayKey),
    ),
    expect: delivered(OUTSIDE),
  },
  {
    id: "L13",
    legitimate: true,
    what: "mailing list that rewrites From to itself (author under p=reject), its own DKIM aligned",
    envelope: "direction-bounces@lists.example",
    build: plain(
      "L13",
      {
        from: '"Marie Curie via Direction" <direction@lists.example>',
        subject: "[direction] Ordre du jour",
        headers: ["List-Id: <direction.lists.example>", "Reply-To: marie.curie@partner.example"],
      },
      signer("lists.example", "sel", relayKey),
    ),
    expect: delivered(OUTSIDE, /dmarc=(pass|none)/),
  },
  {
    id: "L14",
    legitimate: true,
    what: "education.gouv.fr, signed",
    envelope: "ne-pas-repondre@education.gouv.fr",
    build: plain(
      "L14",
      { from: "Ministère de l'Éducation nationale <ne-pas-repondre@education.gouv.fr>", subject: "Note de service" },
      signer("education.gouv.fr"),
    ),
    expect: delivered(OUTSIDE, /dmarc=pass/),
  },
  {
    id: "L15",
    legitimate: true,
    what: "a subdomain of education.gouv.fr, signed by education.gouv.fr",
    envelope: "dgesco@education.gouv.fr",
    build: plain(
      "L15",
      { from: "DGESCO <info@dgesco.education.gouv.fr>", subject: "Programmes" },
      signer("education.gouv.fr"),
    ),
    expect: delivered(OUTSIDE),
  },
  {
    id: "L16",
    legitimate: true,
    what: "region-academique.fr, signed",
    envelope: "communication@region-academique.fr",
    build: plain(
      "L16",
      {
        from: "Région académique Auvergne-Rhône-Alpes <communication@region-academique.fr>",
        subject: "Lettre régionale",
      },
      signer("region-academique.fr"),
    ),
    expect: delivered(OUTSIDE),
  },
  {
    id: "L17",
    legitimate: true,
    what: "index-education.com (Pronote) about an identifier: credentials noted, nothing flagged",
    envelope: "no-reply@index-education.com",
    build: plain(
      "L17",
      {
        from: "PRONOTE <no-reply@index-education.com>",
        subject: "Votre identifiant PRONOTE",
        text: "Votre établissement vous a créé un identifiant. Connectez-vous depuis l'ENT.\r\n",
      },
      signer("index-education.com"),
    ),
    expect: delivered(["outside", "credentials"]),
  },
  {
    id: "L18",
    legitimate: true,
    what: "laposte.net parent, signed",
    envelope: "famille.martin@laposte.net",
    build: plain(
      "L18",
      { from: "Famille Martin <famille.martin@laposte.net>", subject: "Absence de Léa" },
      signer("laposte.net"),
    ),
    expect: delivered(OUTSIDE),
  },
  {
    id: "L19",
    legitimate: true,
    what: "education.fr (the ministry's portal), DKIM only",
    envelope: "bounce@esp.example",
    build: plain("L19", { from: "<contact@education.fr>", subject: "Actualités" }, signer("education.fr")),
    expect: delivered(OUTSIDE),
  },
  ...(["ac-grenoble.fr", "ac-dijon.fr", "ac-lille.fr"] as const).map(
    (domain, i): CorpusCase => ({
      id: `L2${i}`,
      legitimate: true,
      what: `sibling académie ${domain}: not a look-alike of ac-lyon.fr`,
      envelope: `ce.0380001a@${domain}`,
      build: plain(
        `L2${i}`,
        { from: `Collège Stendhal <ce.0380001a@${domain}>`, subject: "Échange de classes" },
        signer(domain),
      ),
      expect: delivered(OUTSIDE),
    }),
  ),
  {
    id: "L23",
    legitimate: true,
    what: "lyon.fr (the city), SPF under p=reject",
    envelope: "education@lyon.fr",
    build: plain("L23", { from: "Ville de Lyon <education@lyon.fr>", subject: "Cantine scolaire" }),
    expect: delivered(OUTSIDE),
  },
  {
    id: "L24",
    legitimate: true,
    what: "a display name holding the sender's own address",
    envelope: "x@esp.example",
    build: plain(
      "L24",
      { from: '"parent@parent.example" <parent@parent.example>', subject: "Re: Sortie scolaire" },
      signer("parent.example"),
    ),
    expect: delivered(OUTSIDE),
  },
  {
    id: "L25",
    legitimate: true,
    what: "the académie's own domain from outside, with the académie's DKIM (an outside service sending for it)",
    envelope: "bounce@esp.example",
    build: plain(
      "L25",
      { from: "Rectorat de Lyon <communication@ac-lyon.fr>", subject: "Lettre aux personnels" },
      signer(MAIL_DOMAIN),
    ),
    expect: delivered([], /dkim=pass[^;]*ac-lyon\.fr/),
  },
  {
    id: "L26",
    legitimate: true,
    what: "HTML with honest links, signed",
    envelope: "marie.curie@partner.example",
    build: plain(
      "L26",
      {
        from: "<marie.curie@partner.example>",
        subject: "Inscription",
        html: '<p>Le formulaire : <a href="https://partner.example/inscription">https://partner.example/inscription</a></p>',
      },
      signer("partner.example"),
    ),
    expect: delivered(OUTSIDE),
  },

  // ---------------------------------------------------------------------------------------------
  // The académie's own domain from outside, unauthenticated: refused.
  {
    id: "A01",
    legitimate: false,
    what: "From dsi@ac-lyon.fr, nothing authenticated",
    envelope: "attacker@stranger.example",
    build: plain("A01", { from: "DSI <dsi@ac-lyon.fr>", subject: "Mise à jour de votre messagerie" }),
    expect: refused,
  },
  {
    id: "A02",
    legitimate: false,
    what: "From a subdomain of ac-lyon.fr",
    envelope: "x@stranger.example",
    build: plain("A02", { from: "<ce.0690001a@ent.ac-lyon.fr>", subject: "Compte ENT" }),
    expect: refused,
  },
  {
    id: "A03",
    legitimate: false,
    what: "From ac-lyon.fr, DKIM-signed by the attacker's own domain",
    envelope: "x@ac-lyon-securite.com",
    build: plain(
      "A03",
      { from: "Rectorat <rectorat@ac-lyon.fr>", subject: "Circulaire" },
      signer("ac-lyon-securite.com", "sel", evilKey),
    ),
    expect: refused,
  },
  {
    id: "A04",
    legitimate: false,
    what: "From in capitals (AC-LYON.FR)",
    envelope: "x@stranger.example",
    build: plain("A04", { from: "Support <SUPPORT@AC-LYON.FR>", subject: "Quota" }),
    expect: refused,
  },
  {
    id: "A05",
    legitimate: false,
    what: "envelope in the académie's domain too, SPF failing",
    envelope: "messagerie@ac-lyon.fr",
    build: plain("A05", { from: "<messagerie@mail.ac-lyon.fr>", subject: "Boîte pleine" }),
    expect: refused,
  },
  {
    id: "A06",
    legitimate: false,
    what: "a forged Authentication-Results in Sésame's name",
    envelope: "x@stranger.example",
    build: plain("A06", {
      from: "<dsi@ac-lyon.fr>",
      subject: "Vérification",
      headers: [`Authentication-Results: ${MAIL_DOMAIN}; dkim=pass header.d=ac-lyon.fr; spf=pass; dmarc=pass`],
    }),
    expect: refused,
  },
  {
    id: "A07",
    legitimate: false,
    what: "From ac-lyon.fr through a trusted ARC sealer: a forwarder's word does not stand in for the académie's",
    envelope: "x-bounces@lists.example",
    build: async (to, dns) =>
      forwardSealed(writeMessage({ from: "<dsi@ac-lyon.fr>", to, subject: "[A07] Maintenance" }), {
        sealer: LISTS,
        dnsServer: dns.server,
        ip: "203.0.113.9",
        sender: "x@stranger.example",
        forgedResults:
          "mx.lists.example; dkim=pass header.d=ac-lyon.fr; spf=pass smtp.mailfrom=ac-lyon.fr; dmarc=pass header.from=ac-lyon.fr",
      }),
    expect: refused,
  },
  {
    id: "A08",
    legitimate: false,
    what: "signed with the académie's selector but the attacker's key",
    envelope: "x@stranger.example",
    build: plain("A08", { from: "<dsi@ac-lyon.fr>", subject: "Sécurité" }, signer(MAIL_DOMAIN, "sel", evilKey)),
    expect: refused,
  },

  // ---------------------------------------------------------------------------------------------
  // DMARC p=reject failing: refused.
  {
    id: "A10",
    legitimate: false,
    what: "strict.example, SPF failing, unsigned",
    envelope: "boss@strict.example",
    build: plain("A10", { from: "<boss@strict.example>", subject: "Virement urgent" }),
    expect: refused,
  },
  {
    id: "A11",
    legitimate: false,
    what: "the partner spoofed, envelope elsewhere",
    envelope: "attacker@stranger.example",
    build: plain("A11", { from: "Marie Curie <marie.curie@partner.example>", subject: "Nouveau RIB" }),
    expect: refused,
  },
  {
    id: "A12",
    legitimate: false,
    what: "the partner's selector, the attacker's key",
    envelope: "attacker@stranger.example",
    build: plain(
      "A12",
      { from: "<compta@partner.example>", subject: "Facture impayée" },
      signer("partner.example", "sel", evilKey),
    ),
    expect: refused,
  },
  {
    id: "A13",
    legitimate: false,
    what: "the partner's message altered after signing, no ARC",
    envelope: "attacker@stranger.example",
    build: async (to) => alter(await partnerOriginal("A13", to), { footer: "Nouveau RIB : FR76 0000" }),
    expect: refused,
  },
  {
    id: "A14",
    legitimate: false,
    what: "a subdomain of a p=reject domain without its own record",
    envelope: "x@stranger.example",
    build: plain("A14", { from: "<factures@billing.strict.example>", subject: "Facture" }),
    expect: refused,
  },
  {
    id: "A15",
    legitimate: false,
    what: "ARC sealed by an untrusted sealer that claims dmarc=pass",
    envelope: "x@evil-relay.example",
    build: async (to, dns) =>
      forwardSealed(writeMessage({ from: "<marie.curie@partner.example>", to, subject: "[A15] Paiement" }), {
        sealer: EVIL_RELAY,
        dnsServer: dns.server,
        ip: "203.0.113.9",
        sender: "x@stranger.example",
        forgedResults:
          "mx.evil-relay.example; dkim=pass header.d=partner.example; spf=pass smtp.mailfrom=partner.example; dmarc=pass header.from=partner.example",
      }),
    expect: refused,
  },
  {
    id: "A16",
    legitimate: false,
    what: "ARC sealed by a trusted sealer that recorded dmarc=fail",
    envelope: "x-bounces@lists.example",
    build: async (to, dns) =>
      forwardSealed(writeMessage({ from: "<marie.curie@partner.example>", to, subject: "[A16] Paiement" }), {
        sealer: LISTS,
        dnsServer: dns.server,
        ip: "203.0.113.9",
        sender: "x@stranger.example",
        change: { footer: "Liste" },
      }),
    expect: refused,
  },
  {
    id: "A17",
    legitimate: false,
    what: "an untrusted sealer's forged pass (i=1) passed on by a trusted forwarder (i=2)",
    envelope: "srs0=x@fwd.example",
    build: async (to, dns) => {
      const forged = await forwardSealed(
        writeMessage({ from: "<marie.curie@partner.example>", to, subject: "[A17] Paiement" }),
        {
          sealer: EVIL_RELAY,
          dnsServer: dns.server,
          ip: "203.0.113.9",
          sender: "x@stranger.example",
          forgedResults:
            "mx.evil-relay.example; dkim=pass header.d=partner.example; dmarc=pass header.from=partner.example",
        },
      );
      return forwardSealed(forged, {
        sealer: FORWARDER,
        dnsServer: dns.server,
        ip: "127.0.0.1",
        sender: "x@evil-relay.example",
      });
    },
    expect: refused,
  },
  {
    id: "A18",
    legitimate: false,
    what: "a trusted seal over a message changed after sealing (the chain fails)",
    envelope: "x-bounces@lists.example",
    build: async (to, dns) =>
      alter(
        await forwardSealed(await partnerOriginal("A18", to), {
          sealer: LISTS,
          dnsServer: dns.server,
          ip: PARTNER_MX_IP,
          sender: "marie.curie@partner.example",
          change: { footer: "Liste" },
        }),
        { footer: "Nouveau RIB : FR76 0000" },
      ),
    expect: refused,
  },
  {
    id: "A19",
    legitimate: false,
    what: "a fake mailing list (List-Id, Sender, its own DKIM) for a p=reject author",
    envelope: "x@stranger.example",
    build: plain(
      "A19",
      {
        from: "<marie.curie@partner.example>",
        subject: "Paiement",
        headers: ["List-Id: <x.stranger.example>", "Sender: x@stranger.example"],
      },
      signer("stranger.example", "sel", evilKey),
    ),
    expect: refused,
  },

  // ---------------------------------------------------------------------------------------------
  // DMARC p=quarantine failing: Indésirables.
  {
    id: "A20",
    legitimate: false,
    what: "careful.example, SPF failing",
    envelope: "news@careful.example",
    build: plain("A20", { from: "<news@careful.example>", subject: "Promotion" }),
    expect: junk(UNVERIFIED),
  },
  {
    id: "A21",
    legitimate: false,
    what: "a subdomain under sp=quarantine",
    envelope: "x@stranger.example",
    build: plain("A21", { from: "<promo@shop.halfway.example>", subject: "Soldes" }),
    expect: junk(UNVERIFIED),
  },
  {
    id: "A22",
    legitimate: false,
    what: "careful.example asking for a password",
    envelope: "x@stranger.example",
    build: plain("A22", {
      from: "<support@careful.example>",
      subject: "Action requise",
      text: "Confirmez votre mot de passe ici.\r\n",
    }),
    expect: junk(["unverified", "outside", "credentials"]),
  },
  {
    id: "A23",
    legitimate: false,
    what: "a p=quarantine author's message altered, forwarded by an untrusted sealer",
    envelope: "x@evil-relay.example",
    build: async (to, dns) =>
      forwardSealed(
        await sign(
          writeMessage({ from: "<direction@careful-partner.example>", to, subject: "[A23] Calendrier" }),
          signer("careful-partner.example"),
        ),
        {
          sealer: EVIL_RELAY,
          dnsServer: dns.server,
          ip: PARTNER_MX_IP,
          sender: "direction@careful-partner.example",
          change: { footer: "Cliquez ici" },
        },
      ),
    expect: junk(UNVERIFIED),
  },

  // ---------------------------------------------------------------------------------------------
  // Look-alikes: delivered, flagged.
  {
    id: "A30",
    legitimate: false,
    what: "ac-lyon-securite.com (words added), authenticated, asking for the password — the demo's phishing",
    envelope: "support@ac-lyon-securite.com",
    build: plain(
      "A30",
      {
        from: "Support <support@ac-lyon-securite.com>",
        subject: "URGENT : Votre boîte mail sera désactivée dans 24 heures",
        text: "Confirmez votre identifiant et votre mot de passe sous 24 heures.\r\n",
      },
      signer("ac-lyon-securite.com", "sel", evilKey),
    ),
    expect: delivered(["lookalike", "outside", "credentials"]),
  },
  {
    id: "A31",
    legitimate: false,
    what: "Cyrillic о in ac-lyоn.fr (punycode), authenticated",
    envelope: "info@xn--ac-lyn-0qf.fr",
    build: plain(
      "A31",
      { from: "<info@xn--ac-lyn-0qf.fr>", subject: "Information" },
      signer("xn--ac-lyn-0qf.fr", "sel", evilKey),
    ),
    expect: delivered(["lookalike", "outside"]),
  },
  {
    id: "A32",
    legitimate: false,
    what: "Cyrillic а in аc-lyon.fr (punycode), unauthenticated",
    envelope: "info@xn--c-lyon-2nf.fr",
    build: plain("A32", { from: "<info@xn--c-lyon-2nf.fr>", subject: "Information" }),
    expect: delivered(["lookalike", "unverified", "outside"]),
  },
  {
    id: "A33",
    legitimate: false,
    what: "Cyrillic е in еducation.gouv.fr (punycode)",
    envelope: "x@xn--ducation-b8g.gouv.fr",
    build: plain("A33", { from: "Ministère <x@xn--ducation-b8g.gouv.fr>", subject: "Prime" }),
    expect: delivered(["lookalike", "unverified", "outside"]),
  },
  ...(
    [
      ["A34", "ac-1yon.fr", "digit 1 for l"],
      ["A35", "ac-lyon-fr.net", "the whole domain as words"],
      ["A36", "ac-lyon.fr.example.com", "the protected domain as labels of another"],
      ["A37", "mail.ac-lyon.fr-secure.net", "words added across labels"],
      ["A38", "ac-lyonn.fr", "one letter added"],
      ["A39", "ac-lyon.com", "the name under another suffix"],
      ["A40", "securite-education.com", "education with phishing words"],
      ["A41", "education-gouv-fr.com", "education.gouv.fr as words"],
    ] as const
  ).map(
    ([id, domain, what]): CorpusCase => ({
      id,
      legitimate: false,
      what: `${domain} (${what}), unauthenticated`,
      envelope: `x@${domain}`,
      build: plain(id, { from: `<contact@${domain}>`, subject: "Votre compte" }),
      expect: delivered(["lookalike", "unverified", "outside"]),
    }),
  ),
  {
    id: "A42",
    legitimate: false,
    what: "ac-lyom.fr (edit distance 1), authenticated",
    envelope: "rectorat@ac-lyom.fr",
    build: plain(
      "A42",
      { from: "<gestion@ac-lyom.fr>", subject: "Bulletin de salaire" },
      signer("ac-lyom.fr", "sel", evilKey),
    ),
    expect: delivered(["lookalike", "outside"]),
  },
  {
    id: "A43",
    legitimate: false,
    what: "education-gouv.fr (one-word name with gouv), authenticated, asking for the NUMEN",
    envelope: "x@education-gouv.fr",
    build: plain(
      "A43",
      { from: "<paie@education-gouv.fr>", subject: "Régularisation", text: "Indiquez votre NUMEN.\r\n" },
      signer("education-gouv.fr", "sel", evilKey),
    ),
    expect: delivered(["lookalike", "outside", "credentials"]),
  },

  // ---------------------------------------------------------------------------------------------
  // Display-name tricks: delivered, impersonation.
  {
    id: "A50",
    legitimate: false,
    what: "« DSI » from an outside domain, authenticated",
    envelope: "x@helpdesk-mail.example",
    build: plain(
      "A50",
      { from: "DSI <dsi@helpdesk-mail.example>", subject: "Maintenance" },
      signer("helpdesk-mail.example", "sel", evilKey),
    ),
    expect: delivered(["impersonation", "outside"]),
  },
  {
    id: "A51",
    legitimate: false,
    what: 'a display name holding the académie\'s address ("dsi@ac-lyon.fr" <x@evil>)',
    envelope: "x@helpdesk-mail.example",
    build: plain(
      "A51",
      { from: '"dsi@ac-lyon.fr" <x@helpdesk-mail.example>', subject: "Maintenance" },
      signer("helpdesk-mail.example", "sel", evilKey),
    ),
    expect: delivered(["impersonation", "outside"]),
  },
  {
    id: "A52",
    legitimate: false,
    what: "« Rectorat de Lyon », unauthenticated",
    envelope: "x@stranger.example",
    build: plain("A52", { from: "Rectorat de Lyon <noreply@rectorat-info.example>", subject: "Avis" }),
    expect: delivered(["unverified", "impersonation", "outside"]),
  },
  {
    id: "A53",
    legitimate: false,
    what: "« Service informatique » in an encoded word",
    envelope: "x@helpdesk-mail.example",
    build: plain(
      "A53",
      {
        from: `=?UTF-8?B?${Buffer.from("Service informatique").toString("base64")}?= <it@helpdesk-mail.example>`,
        subject: "Migration",
      },
      signer("helpdesk-mail.example", "sel", evilKey),
    ),
    expect: delivered(["impersonation", "outside"]),
  },
  {
    id: "A54",
    legitimate: false,
    what: "« Académie de Lyon - Assistance » with accents",
    envelope: "x@helpdesk-mail.example",
    build: plain(
      "A54",
      { from: `=?UTF-8?Q?Acad=C3=A9mie_de_Lyon_-_Assistance?= <aide@helpdesk-mail.example>`, subject: "Votre demande" },
      signer("helpdesk-mail.example", "sel", evilKey),
    ),
    expect: delivered(["impersonation", "outside"]),
  },
  {
    id: "A55",
    legitimate: false,
    what: "« DЅI » with a Cyrillic Ѕ",
    envelope: "x@helpdesk-mail.example",
    build: plain(
      "A55",
      {
        from: `=?UTF-8?B?${Buffer.from("DЅI Lyon").toString("base64")}?= <dsi@helpdesk-mail.example>`,
        subject: "Maintenance",
      },
      signer("helpdesk-mail.example", "sel", evilKey),
    ),
    expect: delivered(["impersonation", "outside"]),
  },
  {
    id: "A56",
    legitimate: false,
    what: "an address of the académie with words around it in the display name",
    envelope: "x@helpdesk-mail.example",
    build: plain(
      "A56",
      { from: '"support@ac-lyon.fr via Teams" <notify@helpdesk-mail.example>', subject: "Nouveau message" },
      signer("helpdesk-mail.example", "sel", evilKey),
    ),
    expect: delivered(["impersonation", "outside"]),
  },
  {
    id: "A57",
    legitimate: false,
    what: "look-alike and impersonation together, asking for the password",
    envelope: "support@ac-lyon-securite.com",
    build: plain(
      "A57",
      {
        from: "Service informatique <support@ac-lyon-securite.com>",
        subject: "Réactivation",
        text: "Saisissez votre mot de passe.\r\n",
      },
      signer("ac-lyon-securite.com", "sel", evilKey),
    ),
    expect: delivered(["lookalike", "impersonation", "outside", "credentials"]),
  },

  // ---------------------------------------------------------------------------------------------
  // From fields: none, or several.
  {
    id: "A60",
    legitimate: false,
    what: "no From field",
    envelope: "marie.curie@partner.example",
    build: plain("A60", { from: null, subject: "Sans expéditeur" }),
    expect: refused,
  },
  {
    id: "A61",
    legitimate: false,
    what: "two From fields (the partner's and the DSI's)",
    envelope: "marie.curie@partner.example",
    build: plain(
      "A61",
      { from: "<marie.curie@partner.example>", subject: "Deux expéditeurs", headers: ["From: DSI <dsi@ac-lyon.fr>"] },
      signer("partner.example"),
    ),
    expect: refused,
  },
  {
    id: "A62",
    legitimate: false,
    what: "two From fields of the same outside domain",
    envelope: "contact@spf-only.example",
    build: plain("A62", { from: "<a@spf-only.example>", subject: "Doublon", headers: ["From: <b@spf-only.example>"] }),
    expect: refused,
  },

  // ---------------------------------------------------------------------------------------------
  // Links whose text shows another destination: delivered (the reading view marks them).
  {
    id: "A70",
    legitimate: false,
    what: "a link showing www.ac-lyon.fr leading elsewhere, from an authenticated outside sender",
    envelope: "x@helpdesk-mail.example",
    build: plain(
      "A70",
      {
        from: "<news@helpdesk-mail.example>",
        subject: "Portail",
        html: '<p><a href="https://evil.example/portail">https://www.ac-lyon.fr</a></p>',
      },
      signer("helpdesk-mail.example", "sel", evilKey),
    ),
    expect: delivered(OUTSIDE),
  },
  {
    id: "A71",
    legitimate: false,
    what: "a link showing the ENT leading elsewhere, unauthenticated",
    envelope: "x@stranger.example",
    build: plain("A71", {
      from: "<info@stranger.example>",
      subject: "ENT",
      html: '<p>Accédez à <a href="http://203.0.113.7/ent">ent.ac-lyon.fr</a></p>',
    }),
    expect: delivered(UNVERIFIED),
  },
  {
    id: "A72",
    legitimate: false,
    what: "a mismatched link from a look-alike asking to log in",
    envelope: "support@ac-lyon-securite.com",
    build: plain(
      "A72",
      {
        from: "<support@ac-lyon-securite.com>",
        subject: "Messagerie",
        html: '<p>Vérifiez votre compte : <a href="https://ac-lyon-securite.com/x">https://messagerie.ac-lyon.fr</a></p>',
      },
      signer("ac-lyon-securite.com", "sel", evilKey),
    ),
    expect: delivered(["lookalike", "outside", "credentials"]),
  },
];

/** The messages a folder holds, by the `[id]` their subject starts with (after a list's tag). */
async function byId(ctx: TestContext, accountId: number, role: "inbox" | "junk") {
  const folder = await ctx.services.mail.folderByRole(accountId, role);
  const page = await ctx.services.mail.list(accountId, folder.id, null, 200);
  const found = new Map<string, (typeof page.items)[number]>();
  for (const item of page.items) {
    const id = /\[([LA]\d\d)\]/.exec(item.subject)?.[1];
    if (id) found.set(id, item);
  }
  return found;
}

describe("reception corpus (SQLite)", () => {
  let dns: TestDnsServer;
  let ctx: TestContext;
  let smtp: SmtpReception;
  let client: RawSmtp;
  let rcpt: { accountId: number; address: string };
  const replies = new Map<string, SmtpReply | null>();

  before(async () => {
    dns = await startDnsServer(zone());
    ctx = await openTestServices("sqlite", {
      SESAME_MAIL_DOMAIN: MAIL_DOMAIN,
      SESAME_TRUSTED_RELAYS: "",
      SESAME_DNS_SERVERS: dns.server,
      SESAME_ARC_TRUSTED_SEALERS: `${LISTS.domain},${FORWARDER.domain}`,
    });
    smtp = await startSmtpReception({ mail: ctx.services.mail, config: ctx.config }, { port: 0, host: "127.0.0.1" });
    rcpt = await newAddress(ctx.services);
    client = await RawSmtp.open(smtp.port);
    for (const c of CASES) {
      const message = await c.build(rcpt.address, dns);
      const sent = await client.send(c.envelope, [rcpt.address], message);
      assert.equal(sent.mail.code, 250, `${c.id}: MAIL FROM ${sent.mail.text}`);
      replies.set(c.id, sent.data);
    }
  });

  after(async () => {
    await client?.quit();
    await smtp?.close();
    await ctx?.close();
    await dns?.close();
  });

  it("has at least 60 messages, each with its own id", () => {
    assert.ok(CASES.length >= 60, `${CASES.length} messages`);
    assert.equal(new Set(CASES.map((c) => c.id)).size, CASES.length);
  });

  for (const c of CASES) {
    it(`${c.id} ${c.legitimate ? "legitimate" : "attack"}: ${c.what}`, async () => {
      const reply = replies.get(c.id);
      assert.ok(reply, `${c.id}: no reply to DATA`);
      assert.equal(reply.code, c.expect.code, `${c.id}: ${reply.text}`);
      if (c.expect.code === 550) assert.match(reply.text, /^550 5\.7\.1 /);
      const inbox = await byId(ctx, rcpt.accountId, "inbox");
      const junkFolder = await byId(ctx, rcpt.accountId, "junk");
      const folder: Folder = inbox.has(c.id) ? "inbox" : junkFolder.has(c.id) ? "junk" : null;
      assert.equal(folder, c.expect.folder, `${c.id}: folder`);
      const item = inbox.get(c.id) ?? junkFolder.get(c.id);
      if (!item) return;
      assert.deepEqual(item.warnings, c.expect.warnings, `${c.id}: warnings`);
      const raw = (await ctx.services.mail.raw(rcpt.accountId, item.id)).toString("latin1");
      const results = /^Authentication-Results: [^\r\n]*(\r\n[ \t][^\r\n]*)*/m.exec(raw)?.[0] ?? "";
      assert.match(results, new RegExp(`^Authentication-Results: ${MAIL_DOMAIN};`), `${c.id}: no verdict`);
      if (c.expect.results) assert.match(results, c.expect.results, `${c.id}: ${results}`);
    });
  }

  it("no legitimate message is flagged (look-alike, unverified, impersonation), none refused or in Indésirables", async () => {
    const inbox = await byId(ctx, rcpt.accountId, "inbox");
    const junkFolder = await byId(ctx, rcpt.accountId, "junk");
    const flagged: SenderWarning[] = ["lookalike", "unverified", "impersonation"];
    const table = CASES.filter((c) => c.legitimate).map((c) => {
      const item = inbox.get(c.id) ?? junkFolder.get(c.id);
      return {
        id: c.id,
        reply: replies.get(c.id)?.code ?? 0,
        folder: inbox.has(c.id) ? "inbox" : junkFolder.has(c.id) ? "junk" : "none",
        flags: (item?.warnings ?? []).filter((w) => flagged.includes(w)).join(","),
      };
    });
    const falsePositives = table.filter((row) => row.reply !== 250 || row.folder !== "inbox" || row.flags !== "");
    assert.ok(table.length >= 20, `${table.length} legitimate messages`);
    assert.deepEqual(falsePositives, [], "legitimate messages refused, set aside or flagged");
    assert.equal(falsePositives.length, 0);
  });
});
