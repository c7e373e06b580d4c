import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  addressLocalBase,
  firstFree,
  firstFreeAddress,
  firstGivenName,
  foldToAscii,
  USERNAME_BASE_MAX,
  usernameBase,
} from "../../src/directory/naming.js";

const DOMAIN = "ac-lyon.fr";

/** [prénom, nom, username base, address local part base] — real-world French (and neighbouring) names. */
const NAMES: readonly (readonly [string, string, string, string])[] = [
  // The examples of the issue, verbatim.
  ["Jean", "Dupont", "jdupont", "jean.dupont"],
  ["Jacques", "Dupont", "jdupont", "jacques.dupont"],
  ["Élodie", "Le Gall", "elegall", "elodie.le-gall"],
  ["Jean-Pierre", "D'Artagnan", "jdartagnan", "jean-pierre.dartagnan"],
  ["Zoë", "Müller-Lüdenscheidt", "zmullerludenscheidt", "zoe.muller-ludenscheidt"],
  ["Marie", "de La Rochefoucauld-Liancourt", "mdelarochefoucauldli", "marie.de-la-rochefoucauld-liancourt"],
  ["Ægir", "Strauß", "astrauss", "aegir.strauss"],
  ["Marie Claire", "Dubois", "mdubois", "marie.dubois"],
  // Compound first names: a space separates given names, a hyphen makes one name.
  ["Marie-Claire", "Dubois", "mdubois", "marie-claire.dubois"],
  ["Jean Paul Marie", "Sartre", "jsartre", "jean.sartre"],
  ["Jean-Baptiste", "Poquelin", "jpoquelin", "jean-baptiste.poquelin"],
  // Particles.
  ["Charles", "de Gaulle", "cdegaulle", "charles.de-gaulle"],
  ["Anne", "du Bellay", "adubellay", "anne.du-bellay"],
  ["Guy", "de Maupassant", "gdemaupassant", "guy.de-maupassant"],
  ["Loïc", "Le Goff", "llegoff", "loic.le-goff"],
  ["Ginette", "Van der Heyden", "gvanderheyden", "ginette.van-der-heyden"],
  ["Inès", "Ben Saïd", "ibensaid", "ines.ben-said"],
  ["Jeanne", "de La Tour d'Auvergne", "jdelatourdauvergne", "jeanne.de-la-tour-dauvergne"],
  // Apostrophes, straight and typographic.
  ["Jean-Pierre", "D’Artagnan", "jdartagnan", "jean-pierre.dartagnan"],
  ["Hélène", "d'Aubigné", "hdaubigne", "helene.daubigne"],
  ["Cécile", "O’Connor", "coconnor", "cecile.oconnor"],
  ["Maëlle", "N'Diaye", "mndiaye", "maelle.ndiaye"],
  ["N'Golo", "Kanté", "nkante", "ngolo.kante"],
  ["Jean-Pierre", "D´Artagnan", "jdartagnan", "jean-pierre.dartagnan"],
  // Hyphens.
  ["Ève", "Saint-Exupéry", "esaintexupery", "eve.saint-exupery"],
  ["Éric", "Dupont-Aignan", "edupontaignan", "eric.dupont-aignan"],
  ["Mohamed", "Ben-Youssef", "mbenyoussef", "mohamed.ben-youssef"],
  ["Thérèse", "Lévêque-Bœuf", "tlevequeboeuf", "therese.leveque-boeuf"],
  ["Paul", "Dupont - Martin", "pdupontmartin", "paul.dupont-martin"],
  ["Paul", "Dupont--Martin", "pdupontmartin", "paul.dupont-martin"],
  // Accents and cedillas.
  ["François", "Mitterrand", "fmitterrand", "francois.mitterrand"],
  ["Noël", "Lefèvre", "nlefevre", "noel.lefevre"],
  ["Anaïs", "Nin", "anin", "anais.nin"],
  ["Aimé", "Césaire", "acesaire", "aime.cesaire"],
  ["Çağla", "Öztürk", "cozturk", "cagla.ozturk"],
  ["Ürsula", "Çelik", "ucelik", "ursula.celik"],
  // Ligatures and letters that do not decompose.
  ["Œdipe", "Lœwenbruck", "oloewenbruck", "oedipe.loewenbruck"],
  ["Lætitia", "Casta", "lcasta", "laetitia.casta"],
  ["Søren", "Kierkegaard", "skierkegaard", "soren.kierkegaard"],
  ["Björn", "Ødegård", "bodegard", "bjorn.odegard"],
  ["Łukasz", "Wałęsa", "lwalesa", "lukasz.walesa"],
  ["Jürgen", "GROẞ", "jgross", "jurgen.gross"],
  ["Baptiste", "Ruﬃn", "bruffin", "baptiste.ruffin"],
  // Long names: the username base is cut to 20 characters, the address is not.
  ["Anne-Sophie", "Vandenberghe-Delacroix", "avandenberghedelacro", "anne-sophie.vandenberghe-delacroix"],
  [
    "Marie-Bernadette",
    "Montmorency-Laval-Boisdauphin",
    "mmontmorencylavalboi",
    "marie-bernadette.montmorency-laval-boisdauphin",
  ],
  ["Pierre-Henri", "de Saint-Martin-d'Hères", "pdesaintmartindheres", "pierre-henri.de-saint-martin-dheres"],
  // Case, stray spaces, and text already decomposed (NFD) or with non-breaking spaces.
  ["JEAN", "DUPONT", "jdupont", "jean.dupont"],
  ["  Marie   Claire ", "  Le   Gall ", "mlegall", "marie.le-gall"],
  ["E\u0301lodie", "Le\u00a0Gall", "elegall", "elodie.le-gall"],
  ["Élodie", "Le\u2011Gall", "elegall", "elodie.le-gall"],
  ["Émile", "Dupont\u2013Martin", "edupontmartin", "emile.dupont-martin"],
];

describe("usernameBase and addressLocalBase on real-world names", () => {
  it("has a table of at least 35 names", () => {
    assert.ok(NAMES.length >= 35, `only ${NAMES.length} names`);
  });

  for (const [prenom, nom, username, local] of NAMES) {
    it(`${prenom} ${nom} → ${username} / ${local}@${DOMAIN}`, () => {
      assert.equal(usernameBase(prenom, nom), username);
      assert.equal(addressLocalBase(prenom, nom), local);
    });
  }

  it("every username base is lowercase a–z, at most 20 characters", () => {
    assert.equal(USERNAME_BASE_MAX, 20);
    for (const [prenom, nom] of NAMES) {
      const base = usernameBase(prenom, nom);
      assert.match(base ?? "", /^[a-z]{2,20}$/, `${prenom} ${nom}`);
    }
  });

  it("every address local part is folded, with single hyphens and no hyphen at either end", () => {
    for (const [prenom, nom] of NAMES) {
      const local = addressLocalBase(prenom, nom);
      assert.match(local ?? "", /^[a-z]+(-[a-z]+)*\.[a-z]+(-[a-z]+)*$/, `${prenom} ${nom}`);
    }
  });

  it("a prénom of several given names keeps only the first: Marie Claire → marie", () => {
    const local = addressLocalBase("Marie Claire", "Dupont");
    assert.equal(local, "marie.dupont");
    assert.ok(local?.startsWith("marie."));
    assert.equal(firstGivenName("Marie Claire"), "Marie");
    assert.equal(firstGivenName("Jean-Pierre"), "Jean-Pierre");
    assert.equal(firstGivenName("  Anne\tSophie "), "Anne");
  });

  const NO_LATIN_LETTER: readonly (readonly [string, string])[] = [
    ["李", "王"],
    ["Анна", "Иванова"],
    ["Γιώργος", "Παπαδόπουλος"],
    ["محمد", "علي"],
    ["Jean", "李"],
    ["Анна", "Dupont"],
    ["Jean", ""],
    ["", "Dupont"],
    ["   ", "Dupont"],
    ["Jean", "'-’ "],
    ["123", "Dupont"],
    ["Jean", "2024"],
  ];
  for (const [prenom, nom] of NO_LATIN_LETTER) {
    it(`returns null when a part has no Latin letter: ${JSON.stringify([prenom, nom])}`, () => {
      assert.equal(usernameBase(prenom, nom), null);
      assert.equal(addressLocalBase(prenom, nom), null);
    });
  }

  it("keeps the Latin letters of a mixed name", () => {
    assert.equal(usernameBase("Jean", "Dupont 李"), "jdupont");
    assert.equal(addressLocalBase("Jean", "Dupont 李"), "jean.dupont");
  });
});

describe("foldToAscii", () => {
  const CASES: readonly (readonly [string, string])[] = [
    ["Élodie", "elodie"],
    ["ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ", "aaaceeeeiioouuuy"],
    ["Strauß", "strauss"],
    ["ẞ", "ss"],
    ["Æsa Œuvre", "aesa oeuvre"],
    ["Ø ø Ł ł", "o o l l"],
    ["Ðað Þór", "dad thor"],
    ["ı İ", "i i"],
    ["ﬁlle Ĳssel", "fille ijssel"],
  ];
  for (const [input, expected] of CASES) {
    it(`${input} → ${expected}`, () => {
      assert.equal(foldToAscii(input), expected);
    });
  }
});

describe("collisions", () => {
  /** What the directory does for each new person: the first free username and address, then remember them. */
  function issuer() {
    const usernames = new Set<string>();
    const addresses = new Set<string>();
    return {
      usernames,
      addresses,
      issue(prenom: string, nom: string): { username: string; address: string } {
        const base = usernameBase(prenom, nom);
        const local = addressLocalBase(prenom, nom);
        assert.ok(base !== null && local !== null);
        const username = firstFree(base, (c) => usernames.has(c));
        const address = firstFreeAddress(local, DOMAIN, (a) => addresses.has(a));
        usernames.add(username);
        addresses.add(address);
        return { username, address };
      },
    };
  }

  it("Jean Dupont → jdupont; another Jean Dupont → jdupont2; then Jacques Dupont → jdupont3", () => {
    const dir = issuer();
    assert.deepEqual(dir.issue("Jean", "Dupont"), { username: "jdupont", address: "jean.dupont@ac-lyon.fr" });
    assert.deepEqual(dir.issue("Jean", "Dupont"), { username: "jdupont2", address: "jean.dupont2@ac-lyon.fr" });
    assert.deepEqual(dir.issue("Jacques", "Dupont"), { username: "jdupont3", address: "jacques.dupont@ac-lyon.fr" });
    assert.deepEqual(dir.issue("Jean", "Dupont"), { username: "jdupont4", address: "jean.dupont3@ac-lyon.fr" });
  });

  it("counts username and address collisions independently", () => {
    const dir = issuer();
    assert.deepEqual(dir.issue("Julie", "Martin"), { username: "jmartin", address: "julie.martin@ac-lyon.fr" });
    assert.deepEqual(dir.issue("Julien", "Martin"), { username: "jmartin2", address: "julien.martin@ac-lyon.fr" });
    assert.deepEqual(dir.issue("Jérôme", "Martin"), { username: "jmartin3", address: "jerome.martin@ac-lyon.fr" });
    assert.deepEqual(dir.issue("Julie", "Martin"), { username: "jmartin4", address: "julie.martin2@ac-lyon.fr" });
    // Marie Claire and Marie-Claire Dubois share the username base but not the address.
    assert.deepEqual(dir.issue("Marie Claire", "Dubois"), { username: "mdubois", address: "marie.dubois@ac-lyon.fr" });
    assert.deepEqual(dir.issue("Marie-Claire", "Dubois"), {
      username: "mdubois2",
      address: "marie-claire.dubois@ac-lyon.fr",
    });
    assert.deepEqual(dir.issue("Marie", "Dubois"), { username: "mdubois3", address: "marie.dubois2@ac-lyon.fr" });
  });

  it("the typographic and the straight apostrophe give the same names, so they collide", () => {
    const dir = issuer();
    assert.deepEqual(dir.issue("Jean-Pierre", "D'Artagnan"), {
      username: "jdartagnan",
      address: "jean-pierre.dartagnan@ac-lyon.fr",
    });
    assert.deepEqual(dir.issue("Jean-Pierre", "D’Artagnan"), {
      username: "jdartagnan2",
      address: "jean-pierre.dartagnan2@ac-lyon.fr",
    });
  });

  it("names ever issued (departed people's included) are never given again", () => {
    // The set of names ever issued is what isTaken answers from; a departed jdupont stays in it.
    const everIssued = new Set(["jdupont", "jdupont2"]);
    assert.equal(
      firstFree("jdupont", (c) => everIssued.has(c)),
      "jdupont3",
    );
  });

  it("firstFree returns the base when free, else the first free suffix from 2", () => {
    assert.equal(
      firstFree("jdupont", () => false),
      "jdupont",
    );
    const taken = new Set(["jdupont", "jdupont3"]);
    assert.equal(
      firstFree("jdupont", (c) => taken.has(c)),
      "jdupont2",
    );
    const many = new Set(["jdupont", ...Array.from({ length: 10 }, (_, i) => `jdupont${i + 2}`)]);
    assert.equal(
      firstFree("jdupont", (c) => many.has(c)),
      "jdupont12",
    );
  });

  it("firstFree asks about base, base2, base3 in that order and stops at the first free one", () => {
    const asked: string[] = [];
    const taken = new Set(["x", "x2"]);
    firstFree("x", (c) => {
      asked.push(c);
      return taken.has(c);
    });
    assert.deepEqual(asked, ["x", "x2", "x3"]);
  });

  it("the suffix goes after the 20-character cut", () => {
    const base = usernameBase("Marie", "de La Rochefoucauld-Liancourt");
    assert.equal(base, "mdelarochefoucauldli");
    const taken = new Set(["mdelarochefoucauldli"]);
    assert.equal(
      firstFree(base ?? "", (c) => taken.has(c)),
      "mdelarochefoucauldli2",
    );
  });

  it("firstFreeAddress puts the suffix on the local part and asks about whole addresses", () => {
    const asked: string[] = [];
    const taken = new Set(["jean.dupont@ac-lyon.fr", "jean.dupont2@ac-lyon.fr"]);
    const address = firstFreeAddress("jean.dupont", DOMAIN, (a) => {
      asked.push(a);
      return taken.has(a);
    });
    assert.equal(address, "jean.dupont3@ac-lyon.fr");
    assert.deepEqual(asked, ["jean.dupont@ac-lyon.fr", "jean.dupont2@ac-lyon.fr", "jean.dupont3@ac-lyon.fr"]);
    assert.equal(
      firstFreeAddress("jean.dupont", "ac-grenoble.fr", (a) => taken.has(a)),
      "jean.dupont@ac-grenoble.fr",
    );
  });

  it("homonyms far apart in the alphabet still collide (Jean and Jeanne Dupont share jdupont)", () => {
    const dir = issuer();
    assert.equal(dir.issue("Jeanne", "Dupont").username, "jdupont");
    assert.equal(dir.issue("Jean", "Dupont").username, "jdupont2");
    assert.equal(dir.issue("Jean", "Dupont").address, "jean.dupont2@ac-lyon.fr");
  });
});
