import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  formatFrenchDate,
  isValidUai,
  normalizeNumen,
  parseBirthDate,
  parseEmail,
  parseNumen,
  parseUai,
  uaiKey,
} from "../../src/directory/identifiers.js";
import { DomainError, isDomainError } from "../../src/shared/errors.js";

/** A fixed "today" so that the future-date rule does not depend on when the tests run. */
const TODAY = new Date("2025-06-15T10:00:00Z");

function assertDomainError(fn: () => unknown, code: DomainError["code"]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.ok(isDomainError(error, code));
    assert.notEqual(error.message, "");
    return true;
  });
}

describe("NUMEN", () => {
  const VALID: readonly (readonly [string, string])[] = [
    ["12A3456789ABC", "12A3456789ABC"],
    ["12a3456789abc", "12A3456789ABC"],
    ["12A3456789aBc", "12A3456789ABC"],
    [" 12A3456789ABC ", "12A3456789ABC"],
    ["12 A 345 6789 ABC", "12A3456789ABC"],
    ["12A\t3456789\u00a0ABC", "12A3456789ABC"],
    ["00Z0000000ZZZ", "00Z0000000ZZZ"],
  ];
  for (const [raw, expected] of VALID) {
    it(`normalises ${JSON.stringify(raw)} → ${expected}`, () => {
      assert.equal(normalizeNumen(raw), expected);
      assert.equal(parseNumen(raw), expected);
    });
  }

  const INVALID: readonly string[] = [
    "",
    "   ",
    "12A345678ABC", // 12 characters
    "12A34567890ABC", // 14 characters
    "12A3456789ABCD", // 14 characters, extra letter
    "1BA3456789ABC", // letter where a digit goes (position 2)
    "123345678ABC0", // digit where the letter goes, digit among the final letters
    "12A345678OABC", // the letter O for a zero
    "12A3456789AB1", // digit where the last letter goes
    "AAA3456789ABC",
    "12A3456789ÀBC", // accented letter
    "12A3456789AB-",
    "12-A-3456789-ABC", // hyphens are not spaces
    "12A3456789ABß", // ß uppercases to SS: must not become 12A3456789ABSS or 12A3456789ASS
    "12A3456789Aß",
    "12A3456789ABı", // dotless i uppercases to I
    "１２A3456789ABC", // fullwidth digits
  ];
  for (const raw of INVALID) {
    it(`rejects ${JSON.stringify(raw)}`, () => {
      assert.equal(normalizeNumen(raw), null);
      assertDomainError(() => parseNumen(raw), "INVALID_NUMEN");
    });
  }
});

describe("UAI", () => {
  it("computes the key letter from the number modulo 23, skipping I, O and Q", () => {
    assert.equal(uaiKey("0690026"), "D");
    assert.equal(uaiKey("0000000"), "A");
    assert.equal(uaiKey("0000008"), "J");
    assert.equal(uaiKey("0000022"), "Z");
    assert.equal(uaiKey("0000023"), "A");
    assert.equal(uaiKey("0750655"), "E");
    assert.equal(uaiKey("0000015"), "S");
  });

  const VALID: readonly (readonly [string, string])[] = [
    ["0690026D", "0690026D"],
    ["0690026d", "0690026D"],
    [" 0690026D ", "0690026D"],
    ["0750655E", "0750655E"],
    ["0691664J", "0691664J"],
    ["0000008J", "0000008J"],
    ["9999999P", "9999999P"],
  ];
  for (const [raw, expected] of VALID) {
    it(`accepts ${JSON.stringify(raw)}`, () => {
      assert.equal(isValidUai(raw), true);
      assert.equal(parseUai(raw), expected);
    });
  }

  const INVALID: readonly string[] = [
    "0690026E", // wrong key
    "0690026e",
    "0690026C",
    "0000008I", // I is not a key letter
    "069002D", // 6 digits
    "06900260D", // 8 digits
    "0690026", // no key
    "0690026DD",
    "D0690026",
    "069 0026D",
    "",
    "０６９００２６D", // fullwidth digits
    "0690026Ｄ", // fullwidth key
    "0000015ſ", // long s uppercases to S, the key of 0000015
  ];
  for (const raw of INVALID) {
    it(`rejects ${JSON.stringify(raw)}`, () => {
      assert.equal(isValidUai(raw), false);
      assertDomainError(() => parseUai(raw), "INVALID_UAI");
    });
  }
});

describe("dates of birth", () => {
  const VALID: readonly (readonly [string, string])[] = [
    ["15/03/1985", "1985-03-15"],
    ["29/02/2000", "2000-02-29"], // divisible by 400: leap
    ["29/02/1996", "1996-02-29"],
    ["31/12/1999", "1999-12-31"],
    ["01/01/1900", "1900-01-01"],
    ["1/2/1990", "1990-02-01"], // leading zeros dropped by spreadsheets
    ["  15/03/1985 ", "1985-03-15"],
    ["1985-03-15", "1985-03-15"], // ISO form
    ["2000-02-29", "2000-02-29"],
    ["15/06/2025", "2025-06-15"], // today
  ];
  for (const [raw, expected] of VALID) {
    it(`accepts ${JSON.stringify(raw)} → ${expected}`, () => {
      assert.equal(parseBirthDate(raw, TODAY), expected);
    });
  }

  const INVALID: readonly (readonly [string, string])[] = [
    ["31/02/1990", "impossible day"],
    ["30/02/2000", "impossible day"],
    ["29/02/1900", "1900 is not a leap year"],
    ["29/02/1999", "not a leap year"],
    ["31/04/1990", "April has 30 days"],
    ["01/13/1990", "month 13"],
    ["00/01/1990", "day 0"],
    ["01/00/1990", "month 0"],
    ["32/01/1990", "day 32"],
    ["16/06/2025", "tomorrow"],
    ["01/01/2090", "future"],
    ["31/12/1899", "before 1900"],
    ["01/01/0001", "before 1900"],
    ["1990-02-31", "impossible ISO date"],
    ["1990-2-1", "ISO without padding"],
    ["15/03/85", "two-digit year"],
    ["15-03-1985", "wrong separator"],
    ["15.03.1985", "wrong separator"],
    ["1985/03/15", "year first with slashes"],
    ["", "empty"],
    ["hier", "not a date"],
    ["15/03/1985 12:00", "time included"],
  ];
  for (const [raw, why] of INVALID) {
    it(`rejects ${JSON.stringify(raw)} (${why})`, () => {
      assertDomainError(() => parseBirthDate(raw, TODAY), "INVALID_DATE");
    });
  }

  it("formats an ISO date the French way", () => {
    assert.equal(formatFrenchDate("1985-03-15"), "15/03/1985");
    assert.equal(formatFrenchDate(parseBirthDate("1/2/1990", TODAY)), "01/02/1990");
  });
});

describe("e-mail addresses", () => {
  const VALID: readonly (readonly [string, string])[] = [
    ["jean.dupont@ac-lyon.fr", "jean.dupont@ac-lyon.fr"],
    ["Jean.Dupont@AC-LYON.FR", "Jean.Dupont@ac-lyon.fr"], // domain lowercased, local part kept
    ["  marie+recup@exemple.fr  ", "marie+recup@exemple.fr"],
    ["o'connor@exemple.co.uk", "o'connor@exemple.co.uk"],
    ["jean_dupont-42@sous.domaine.exemple.fr", "jean_dupont-42@sous.domaine.exemple.fr"],
    ["élodie@exemple.fr", "élodie@exemple.fr"],
    [`${"a".repeat(64)}@exemple.fr`, `${"a".repeat(64)}@exemple.fr`],
  ];
  for (const [raw, expected] of VALID) {
    it(`accepts ${JSON.stringify(raw)}`, () => {
      assert.equal(parseEmail(raw), expected);
    });
  }

  const INVALID: readonly string[] = [
    "",
    "jean.dupont",
    "jean.dupont@",
    "@ac-lyon.fr",
    "jean@dupont@ac-lyon.fr",
    "jean dupont@ac-lyon.fr",
    "jean.dupont@ac lyon.fr",
    "jean.dupont@localhost",
    "jean.dupont@ac-lyon.f",
    "jean.dupont@-ac-lyon.fr",
    "jean.dupont@ac-lyon-.fr",
    "jean.dupont@ac-lyon.fr.",
    "jean.dupont@ac..lyon.fr",
    "<jean.dupont@ac-lyon.fr>",
    "Jean Dupont <jean.dupont@ac-lyon.fr>",
    "jean,dupont@ac-lyon.fr",
    "jean.dupont@ac-lyon.fr\r\nBcc: x@evil.fr",
    "jean\u0000dupont@ac-lyon.fr",
    ".jean@ac-lyon.fr", // dot first
    "jean.@ac-lyon.fr", // dot last
    "jean..dupont@ac-lyon.fr", // two dots in a row
    `${"a".repeat(65)}@exemple.fr`, // local part over 64 octets
    `${"é".repeat(33)}@exemple.fr`, // 33 characters but 66 octets
    `a@${"b".repeat(250)}.fr`, // too long
  ];
  for (const raw of INVALID) {
    it(`rejects ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw)}`, () => {
      assertDomainError(() => parseEmail(raw), "INVALID_EMAIL");
    });
  }
});
