import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseEmail } from "../../src/directory/identifiers.js";
import {
  ADDRESS_LOCAL_MAX,
  ADDRESS_MAX,
  addressCandidate,
  addressLocalBase,
  addressLocalMax,
  firstFree,
  firstFreeAddress,
  firstGivenName,
  fitLocalPart,
  foldToAscii,
  USERNAME_BASE_MAX,
  usernameBase,
} from "../../src/directory/naming.js";

const DOMAIN = "ac-lyon.fr";

/** [prénom, nom, username base, address local part base] — real-world French (and neighbouring) names. */
const NAMES: readonly (readonly [string, string, string, string])[] = [
  // The reference examples, verbatim.
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
  // Long names: the username base is cut to 20 characters, the address is not (it fits in 64).
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

/** A local part as the directory makes them: words of a–z joined by single hyphens, one dot between. */
const LOCAL_SHAPE = /^[a-z]+(-[a-z]+)*\.[a-z]+(-[a-z]+)*$/;
/** The same with a collision number at the end. */
const NUMBERED_SHAPE = /^[a-z]+(-[a-z]+)*\.[a-z]+(-[a-z]+)*[0-9]*$/;

/** Every collision of `base`, from the first to the `count`th: the addresses firstFreeAddress gives. */
function homonyms(base: string, count: number, domain = DOMAIN): string[] {
  const taken = new Set<string>();
  for (let i = 0; i < count; i++) taken.add(firstFreeAddress(base, domain, (a) => taken.has(a)));
  return [...taken];
}

function localOf(address: string): string {
  return address.slice(0, address.lastIndexOf("@"));
}

describe("long names: the local part stays within 64 octets (RFC 5321 §4.5.3.1.1)", () => {
  it("the limits are RFC 5321's", () => {
    assert.equal(ADDRESS_LOCAL_MAX, 64);
    assert.equal(ADDRESS_MAX, 254);
  });

  /** [prénom, nom, local part base]: long names of several shapes, cut as the rule says. */
  const LONG: readonly (readonly [string, string, string])[] = [
    // The issue's example: the prénom stays whole, the nom is cut after a whole word.
    [
      "Marie-Bernadette-Geneviève",
      "de La Rochefoucauld-Montbel-Saint-Georges-d'Arvillars",
      "marie-bernadette-genevieve.de-la-rochefoucauld-montbel-saint",
    ],
    // One character too long: the last word goes.
    [
      "Jean-Pascal",
      "de La Rochefoucauld-Montbel-Saint-Georges-d'Arvillars-x",
      "jean-pascal.de-la-rochefoucauld-montbel-saint-georges-darvillars",
    ],
    // A nom without any hyphen is cut in the word.
    [
      "Jean",
      "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschafers",
      "jean.wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewi",
    ],
    // A hyphen too far back (it would lose more than a third of the room) is not used.
    [
      "Jean",
      "de Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschafers",
      "jean.de-wolfeschlegelsteinhausenbergerdorffwelchevoralternwareng",
    ],
    // A long prénom with a short nom: the prénom gives up its last words, the nom stays whole.
    [
      "Marie-Bernadette-Geneviève-Joséphine-Antoinette-Louise",
      "Dupont-Martin",
      "marie-bernadette-genevieve-josephine-antoinette.dupont-martin",
    ],
    // Both absurdly long: the prénom keeps 32 characters, the nom the rest.
    ["A".repeat(100), "B".repeat(100), `${"a".repeat(32)}.${"b".repeat(31)}`],
    [
      "Anne-Marie-Thérèse-Bernadette-Josèphe-Geneviève",
      "Montmorency-Laval-Boisdauphin-de-Sablé-du-Plessis",
      "anne-marie-therese-bernadette.montmorency-laval-boisdauphin-de",
    ],
    // A cut that would end on a hyphen or a separator never leaves it.
    ["Jean", `${"x".repeat(58)}-Dupont`, `jean.${"x".repeat(58)}`],
    ["Jean", `${"x".repeat(59)} Dupont`, `jean.${"x".repeat(59)}`],
    // Apostrophes and particles are folded before the cut, so they do not take room.
    [
      "Hélène",
      "d'Aubigné-de La Tour d'Auvergne-de Saint-Martin-d'Hères-Montbel",
      "helene.daubigne-de-la-tour-dauvergne-de-saint-martin-dheres",
    ],
  ];
  for (const [prenom, nom, local] of LONG) {
    it(`${prenom} ${nom} → ${local}`, () => {
      const base = addressLocalBase(prenom, nom);
      assert.equal(base, local);
      assert.ok(local.length <= 64, `${local.length} characters`);
      assert.match(local, LOCAL_SHAPE);
    });
  }

  it("a cut local part is the start of the prénom and the start of the nom, at most 64 characters", () => {
    for (const [prenom, nom] of LONG) {
      const base = addressLocalBase(prenom, nom) ?? "";
      const uncut = addressLocalBase(prenom, nom, 10_000) ?? "";
      assert.ok(uncut.length > 64 || base === uncut, `${prenom} ${nom}`);
      const [head, tail] = base.split(".") as [string, string];
      const [fullHead, fullTail] = uncut.split(".") as [string, string];
      assert.ok(fullHead.startsWith(head) && fullTail.startsWith(tail), `${base} from ${uncut}`);
    }
  });

  it("names that fit are unchanged, and shortening twice changes nothing more", () => {
    for (const [prenom, nom, , local] of NAMES) {
      assert.equal(addressLocalBase(prenom, nom), local);
      assert.equal(fitLocalPart(local), local);
    }
    const exactly64 = "jean-pascal.de-la-rochefoucauld-montbel-saint-georges-darvillars";
    assert.equal(exactly64.length, 64);
    assert.equal(addressLocalBase("Jean-Pascal", "de La Rochefoucauld-Montbel-Saint-Georges-d'Arvillars"), exactly64);
    for (const [prenom, nom] of LONG) {
      const uncut = addressLocalBase(prenom, nom, 10_000) ?? "";
      for (const max of [64, 63, 60, 40, 20, 10, 5, 3]) {
        const once = fitLocalPart(uncut, max);
        assert.ok(once.length <= max, `${once} > ${max}`);
        assert.match(once, LOCAL_SHAPE, `${uncut} at ${max}`);
        assert.equal(fitLocalPart(once, max), once);
      }
    }
  });

  it("a local part of exactly 64 keeps its 2nd, 10th, 100th and 1000th homonym within 64", () => {
    const base = "jean-pascal.de-la-rochefoucauld-montbel-saint-georges-darvillars";
    const addresses = homonyms(base, 1000);
    assert.equal(new Set(addresses).size, 1000);
    assert.equal(addresses[0], `${base}@${DOMAIN}`);
    // The cut for the number is on a whole word, and the same for the 2nd to the 1000th.
    assert.equal(addresses[1], `jean-pascal.de-la-rochefoucauld-montbel-saint-georges2@${DOMAIN}`);
    assert.equal(addresses[9], `jean-pascal.de-la-rochefoucauld-montbel-saint-georges10@${DOMAIN}`);
    assert.equal(addresses[99], `jean-pascal.de-la-rochefoucauld-montbel-saint-georges100@${DOMAIN}`);
    assert.equal(addresses[999], `jean-pascal.de-la-rochefoucauld-montbel-saint-georges1000@${DOMAIN}`);
    for (const [i, address] of addresses.entries()) {
      const local = localOf(address);
      assert.ok(local.length <= 64, `${local} is ${local.length} characters`);
      assert.match(local, NUMBERED_SHAPE);
      if (i > 0) assert.ok(local.endsWith(String(i + 1)), local);
      assert.equal(parseEmail(address), address);
    }
  });

  it("a base cut in the word loses one more character per digit of its number", () => {
    const base = `jean.${"w".repeat(59)}`;
    assert.equal(base.length, 64);
    const addresses = homonyms(base, 100);
    assert.equal(addresses[1], `jean.${"w".repeat(58)}2@${DOMAIN}`);
    assert.equal(addresses[9], `jean.${"w".repeat(57)}10@${DOMAIN}`);
    assert.equal(addresses[99], `jean.${"w".repeat(56)}100@${DOMAIN}`);
    for (const address of addresses) assert.equal(localOf(address).length, 64);
  });

  it("a number never leaves a hyphen or a dot before it", () => {
    // The cut for the number falls right after a hyphen (…-x|-…) or right after the dot.
    for (const base of [
      `jean.${"x".repeat(57)}-y`,
      `jean.${"x".repeat(56)}-yz`,
      `${"a".repeat(32)}.${"b".repeat(31)}`,
      `${"a".repeat(30)}-b.${"c".repeat(31)}`,
    ]) {
      assert.equal(base.length, 64);
      for (const address of homonyms(base, 120)) {
        const local = localOf(address);
        assert.ok(local.length <= 64, local);
        assert.match(local, NUMBERED_SHAPE, local);
        assert.doesNotMatch(local, /[-.][0-9]/, local);
      }
    }
  });

  it("homonyms of a very long reference name: every local part within 64, shortened the same way", () => {
    const base = addressLocalBase(
      "Marie-Bernadette-Geneviève",
      "de La Rochefoucauld-Montbel-Saint-Georges-d'Arvillars",
    );
    assert.ok(base !== null);
    const addresses = homonyms(base, 150);
    assert.deepEqual(addresses.slice(0, 2), [
      `marie-bernadette-genevieve.de-la-rochefoucauld-montbel-saint@${DOMAIN}`,
      `marie-bernadette-genevieve.de-la-rochefoucauld-montbel-saint2@${DOMAIN}`,
    ]);
    assert.equal(addresses[99], `marie-bernadette-genevieve.de-la-rochefoucauld-montbel-saint100@${DOMAIN}`);
    for (const address of addresses) assert.ok(localOf(address).length <= 64, address);
  });

  it("short names keep their usual numbers: jean.dupont, jean.dupont2, … jean.dupont100", () => {
    const addresses = homonyms("jean.dupont", 100);
    assert.equal(addresses[0], "jean.dupont@ac-lyon.fr");
    assert.equal(addresses[1], "jean.dupont2@ac-lyon.fr");
    assert.equal(addresses[99], "jean.dupont100@ac-lyon.fr");
    for (let n = 1; n <= 100; n++)
      assert.equal(addressCandidate("jean.dupont", n), n === 1 ? "jean.dupont" : `jean.dupont${n}`);
  });

  it("an external account's ext. prefix is inside the 64 characters too", () => {
    const base = addressLocalBase(
      "Marie-Bernadette-Geneviève",
      "de La Rochefoucauld-Montbel-Saint-Georges-d'Arvillars",
    );
    const addresses = homonyms(`ext.${base}`, 12);
    assert.equal(addresses[0], `ext.marie-bernadette-genevieve.de-la-rochefoucauld-montbel-saint@${DOMAIN}`);
    assert.equal(addresses[1], `ext.marie-bernadette-genevieve.de-la-rochefoucauld-montbel2@${DOMAIN}`);
    for (const address of addresses) {
      assert.ok(localOf(address).length <= 64, address);
      assert.match(localOf(address), /^ext\.[a-z]+(-[a-z]+)*\.[a-z]+(-[a-z]+)*[0-9]*$/);
    }
    assert.equal(
      firstFreeAddress("ext.jean.dupont", DOMAIN, () => false),
      "ext.jean.dupont@ac-lyon.fr",
    );
  });

  it("the first free address is still the first: a freed short form is taken before a longer number", () => {
    const base = `jean.${"w".repeat(59)}`;
    const taken = new Set([`${base}@${DOMAIN}`, `jean.${"w".repeat(58)}2@${DOMAIN}`]);
    const asked: string[] = [];
    const address = firstFreeAddress(base, DOMAIN, (a) => {
      asked.push(a);
      return taken.has(a);
    });
    assert.equal(address, `jean.${"w".repeat(58)}3@${DOMAIN}`);
    assert.deepEqual(asked, [...taken, address]);
  });

  it("with a very long mail domain, the whole address stays within 254 octets", () => {
    const label = "x".repeat(60);
    const domain = `${label}.${label}.${label}.academie.fr`;
    assert.equal(domain.length, 194);
    assert.equal(addressLocalMax(domain), 59);
    assert.equal(addressLocalMax(DOMAIN), 64);
    const base = addressLocalBase(
      "Marie-Bernadette-Geneviève",
      "de La Rochefoucauld-Montbel-Saint-Georges-d'Arvillars",
    );
    for (const address of homonyms(base ?? "", 120, domain)) {
      assert.ok(address.length <= 254, `${address.length}`);
      assert.ok(localOf(address).length <= 59);
      assert.equal(parseEmail(address), address);
    }
    assert.throws(() => firstFreeAddress("jean.dupont", "x".repeat(251), () => false), RangeError);
  });

  it("refuses a limit no local part fits in", () => {
    assert.throws(() => fitLocalPart("jean.dupont", 2), RangeError);
    assert.throws(() => addressLocalBase("Jean", "Dupont", 0), RangeError);
    assert.equal(fitLocalPart("jean.dupont", 3), "j.d");
  });

  it("usernames are not capped after their number: the 20-character base grows by its digits", () => {
    // Intended: a username has no protocol limit; the base is at most 20, the number is added to it.
    const base = usernameBase("Marie-Bernadette-Geneviève", "de La Rochefoucauld-Montbel-Saint-Georges-d'Arvillars");
    assert.equal(base, "mdelarochefoucauldmo");
    const taken = new Set<string>();
    for (let i = 0; i < 100; i++) taken.add(firstFree(base ?? "", (c) => taken.has(c)));
    assert.ok(taken.has("mdelarochefoucauldmo100"));
    assert.equal(Math.max(...[...taken].map((u) => u.length)), USERNAME_BASE_MAX + 3);
  });
});
