/** The person search's pure parts: what a query is, folding, trigram similarity, misspellings, order. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Account } from "../../src/directory/directory.types.js";
import {
  accountState,
  compareCandidates,
  EXACT,
  fuzzyTerms,
  MAX_EDIT_WORD,
  MAX_FUZZY_TERMS,
  matchOfGrades,
  mergeCandidates,
  oneEditAway,
  type PersonCandidate,
  parseSearchQuery,
  SEARCH_MAX_LENGTH,
  SEARCH_MAX_WORDS,
  trigramMatchQuery,
  trigramSimilarity,
  trigrams,
} from "../../src/directory/people-search.js";
import { isDomainError } from "../../src/shared/errors.js";
import { personSearchKeys, searchTermRows, searchWords } from "../../src/storage/search-text.js";

describe("parseSearchQuery", () => {
  it("tells a NUMEN, a UAI, an address and names apart", () => {
    assert.deepEqual(parseSearchQuery("12A3456789ABC"), { kind: "numen", numen: "12A3456789ABC" });
    assert.deepEqual(parseSearchQuery(" 12a 3456789 abc "), { kind: "numen", numen: "12A3456789ABC" });
    assert.deepEqual(parseSearchQuery("0690026d"), { kind: "uai", uai: "0690026D" });
    // A wrong key letter is no UAI: searched as a word (and a username's beginning).
    assert.deepEqual(parseSearchQuery("0690026E"), { kind: "text", words: ["0690026e"], account: "0690026e" });
    assert.deepEqual(parseSearchQuery("Jean.Dupont@AC-Lyon.fr"), {
      kind: "address",
      address: "jean.dupont@ac-lyon.fr",
    });
    assert.deepEqual(parseSearchQuery("jdupont2"), { kind: "text", words: ["jdupont2"], account: "jdupont2" });
    assert.deepEqual(parseSearchQuery("Dupont  J."), { kind: "text", words: ["dupont", "j"], account: null });
    assert.deepEqual(parseSearchQuery("Lefèvre"), { kind: "text", words: ["lefevre"], account: null });
    assert.deepEqual(parseSearchQuery("ce.0690026d"), {
      kind: "text",
      words: ["ce", "0690026d"],
      account: "ce.0690026d",
    });
  });

  it("control and invisible characters are spaces; nothing typed is an empty query", () => {
    assert.deepEqual(parseSearchQuery("\u0000du\u0007pont\u200b"), {
      kind: "text",
      words: ["du", "pont"],
      account: null,
    });
    assert.deepEqual(parseSearchQuery("\u202edupont"), { kind: "text", words: ["dupont"], account: "dupont" });
    for (const q of ["", "  ", "\t\n", "\u0000\u0001", "%", "_", "%_%", "'", "\\"]) {
      assert.deepEqual(parseSearchQuery(q), { kind: "empty" }, JSON.stringify(q));
    }
    // Wildcards are no word characters: « dup% » is the word « dup » and no username.
    assert.deepEqual(parseSearchQuery("dup%"), { kind: "text", words: ["dup"], account: null });
  });

  it("refuses more than SEARCH_MAX_LENGTH characters, keeps SEARCH_MAX_WORDS words", () => {
    assert.equal(parseSearchQuery("a".repeat(SEARCH_MAX_LENGTH)).kind, "text");
    for (const q of ["a".repeat(SEARCH_MAX_LENGTH + 1), "x".repeat(10_000)]) {
      assert.throws(
        () => parseSearchQuery(q),
        (error: unknown) =>
          isDomainError(error, "VALIDATION_FAILED") &&
          error.details.reason === "too_long" &&
          error.details.max === SEARCH_MAX_LENGTH,
      );
    }
    const q = parseSearchQuery("a b c d e f g h");
    assert.equal(q.kind === "text" && q.words.length, SEARCH_MAX_WORDS);
  });
});

describe("search terms (storage/search-text)", () => {
  it("folds accents, ligatures and case, and splits on anything but letters and digits", () => {
    assert.deepEqual(searchWords("Lefèvre"), ["lefevre"]);
    assert.deepEqual(searchWords("CŒUR Strauß"), ["coeur", "strauss"]);
    assert.deepEqual(searchWords("D’Artagnan"), ["d", "artagnan"]);
    assert.deepEqual(searchWords("Jean-Pierre  Nguyễn"), ["jean", "pierre", "nguyen"]);
    assert.deepEqual(searchWords("ﬁlippi"), ["filippi"]);
    assert.deepEqual(searchWords("%_ ' -"), []);
  });

  it("a person's terms: the words of each name and their joins; the name they sort by", () => {
    const keys = personSearchKeys("de La Fontaine", "Jean-Pierre");
    assert.deepEqual(keys.nomTerms, ["de", "la", "fontaine", "dela", "lafontaine", "delafontaine"]);
    assert.deepEqual(keys.prenomTerms, ["jean", "pierre", "jeanpierre"]);
    assert.equal(keys.name, "de la fontaine / jean pierre");
    assert.deepEqual(personSearchKeys("Martin", "Martin").nomTerms, ["martin"]);
    assert.deepEqual(searchTermRows(7, personSearchKeys("Le Gall", "Anne")), [
      ["le", 7, 1],
      ["gall", 7, 1],
      ["legall", 7, 1],
      ["anne", 7, 0],
    ]);
    // Dupont before Dupont-Martin, whatever the prénoms; bytewise.
    const names = [personSearchKeys("Dupont-Martin", "Alice").name, personSearchKeys("Dupont", "Zoé").name].sort();
    assert.deepEqual(names, ["dupont / zoe", "dupont martin / alice"]);
  });
});

describe("trigram similarity (as pg_trgm)", () => {
  it("pads words as pg_trgm does", () => {
    assert.deepEqual([...trigrams("dupont")], ["  d", " du", "dup", "upo", "pon", "ont", "nt "]);
    assert.equal(trigramMatchQuery("abc"), '"  a" OR " ab" OR "abc" OR "bc "');
  });

  it("gives pg_trgm's similarity() (values read from PostgreSQL 15)", () => {
    const cases: Array<[string, string, number]> = [
      ["dupond", "dupont", 0.5555556],
      ["micheal", "michael", 0.33333334],
      ["fuare", "faure", 0.2],
      ["sofie", "sophie", 0.3],
      ["marie", "martin", 0.3],
      ["jdupont", "dupont", 0.5],
      ["dupont", "dupont", 1],
    ];
    for (const [a, b, expected] of cases) {
      assert.ok(Math.abs(trigramSimilarity(a, b) - expected) < 1e-6, `${a}/${b}`);
    }
  });
});

describe("misspellings", () => {
  it("oneEditAway: a letter dropped, swapped, replaced or added; nothing for long words", () => {
    const edits = new Set(oneEditAway("faure"));
    for (const w of ["fuare", "fare", "faurre", "fauve", "afure", "faur"]) assert.ok(edits.has(w), w);
    assert.ok(!edits.has("faure"));
    assert.ok(!edits.has("fuar"));
    assert.ok(oneEditAway("a".repeat(MAX_EDIT_WORD)).length <= 835);
    assert.deepEqual(oneEditAway("a".repeat(MAX_EDIT_WORD + 1)), []);
  });

  it("fuzzyTerms keeps the close terms, closest first, not the word's prefixes", () => {
    const fuzzy = fuzzyTerms("dupond", ["dupont", "dupondel", "durand", "xyz", "dupontel"], ["dupont"]);
    // dupont: one edit (closeness 5/6); dupontel: trigrams 5/11; durand: trigrams 3/11, too few.
    assert.deepEqual(
      fuzzy.map(([t]) => t),
      ["dupont", "dupontel"],
    );
    assert.ok(fuzzy.every(([, g]) => g > 1 && g < 2));
    // A transposition in a short name: too few trigrams, one edit away.
    assert.deepEqual(fuzzyTerms("fuare", ["fabre"], []), []);
    assert.deepEqual(
      fuzzyTerms("fuare", [], ["faure"]).map(([t]) => t),
      ["faure"],
    );
    // Words of three letters are not looked for misspelt.
    assert.deepEqual(fuzzyTerms("dup", ["dupont"], ["dap"]), []);
    const many = Array.from({ length: 50 }, (_, i) => `dupon${String.fromCharCode(97 + (i % 26))}${i}`);
    assert.ok(fuzzyTerms("dupont", many).length <= MAX_FUZZY_TERMS);
  });
});

describe("order of the hits", () => {
  const candidate = (id: number, over: Partial<PersonCandidate>): PersonCandidate => ({
    id,
    civilite: "",
    nom: "",
    prenom: "",
    categorie: "",
    uai: "",
    status: "active",
    searchName: `name ${id}`,
    score: EXACT,
    match: "exact",
    ...over,
  });

  it("exact, then prefix, then misspelt; active before departed in each; then score, then name", () => {
    const list = [
      candidate(1, { match: "fuzzy", score: 1.9 }),
      candidate(2, { match: "prefix", score: 2, status: "departed" }),
      candidate(3, { match: "prefix", score: 2 }),
      candidate(4, { match: "exact", status: "departed" }),
      candidate(5, { match: "exact", score: 3.01, searchName: "zz" }),
      candidate(6, { match: "exact", score: 3, searchName: "aa" }),
      candidate(7, { match: "exact", score: 3, searchName: "ab" }),
    ];
    assert.deepEqual(
      [...list].sort(compareCandidates).map((c) => c.id),
      [5, 6, 7, 4, 3, 2, 1],
    );
  });

  it("a person found twice keeps their best match", () => {
    const merged = mergeCandidates(
      [[candidate(1, { match: "fuzzy", score: 1.5 })], [candidate(1, { match: "exact" }), candidate(2, {})]],
      1,
    );
    assert.deepEqual(
      merged.map((c) => [c.id, c.match]),
      [[1, "exact"]],
    );
  });

  it("how words matched, from their grades", () => {
    assert.equal(matchOfGrades([3, 3.01]), "exact");
    assert.equal(matchOfGrades([3, 2.01]), "prefix");
    assert.equal(matchOfGrades([3, 1.99]), "fuzzy");
  });
});

describe("accountState", () => {
  const account = (over: Partial<Account>, status: "active" | "departed" = "active"): Account => ({
    id: 1,
    kind: "academique",
    username: "jdupont",
    address: "jean.dupont@ac-lyon.fr",
    holder: {
      type: "person",
      personId: 1,
      civilite: "M.",
      nom: "Dupont",
      prenom: "Jean",
      categorie: "",
      uai: "",
      status,
    },
    establishmentUai: null,
    recoveryEmail: null,
    recoveryConfirmed: false,
    passwordState: "personal",
    disabled: false,
    createdAt: "",
    updatedAt: "",
    ...over,
  });

  it("departed, disabled, initial or active", () => {
    assert.equal(accountState(account({})), "active");
    assert.equal(accountState(account({ passwordState: "must_change" })), "active");
    assert.equal(accountState(account({ passwordState: "initial" })), "initial");
    assert.equal(accountState(account({ disabled: true })), "disabled");
    assert.equal(accountState(account({ disabled: true }, "departed")), "departed");
  });
});
