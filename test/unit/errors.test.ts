import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DomainError, ERROR_CODES, isDomainError } from "../../src/shared/errors.js";
import { fr } from "../../src/web/i18n/fr.js";

// That every code has a French message, and no message a code that does not exist, is the
// compiler's job (`fr.codes` satisfies Record<ErrorCode, string>): only what it cannot see is here.
describe("error codes", () => {
  it("are unique and written in UPPER_SNAKE_CASE", () => {
    assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
    for (const code of ERROR_CODES) assert.match(code, /^[A-Z]+(_[A-Z0-9]+)*$/);
  });

  for (const code of ERROR_CODES) {
    it(`${code} has a French sentence for a person`, () => {
      const text = fr.codes[code].trim();
      assert.ok(text.length >= 10, `fr.codes.${code} is too short: ${JSON.stringify(text)}`);
      // Capital first, full stop last, no code or placeholder left in it.
      assert.match(text, /^[A-ZÀ-Ý]/);
      assert.match(text, /[.!?)]$/);
      assert.ok(!text.includes(code), `fr.codes.${code} repeats its code`);
      assert.ok(!/\b(TODO|undefined|null)\b|\$\{/.test(text), `fr.codes.${code}: ${text}`);
    });
  }

  it("DomainError carries its code, message and details, and isDomainError filters by code", () => {
    const error = new DomainError("INVALID_UAI", "bad UAI", { line: 3 });
    assert.equal(error.name, "DomainError");
    assert.equal(error.code, "INVALID_UAI");
    assert.equal(error.message, "bad UAI");
    assert.deepEqual(error.details, { line: 3 });
    assert.deepEqual(new DomainError("NOT_FOUND", "none").details, {});
    assert.equal(isDomainError(error), true);
    assert.equal(isDomainError(error, "INVALID_UAI"), true);
    assert.equal(isDomainError(error, "INVALID_NUMEN"), false);
    assert.equal(isDomainError(new Error("plain")), false);
    // An object that looks like one is not one: the code alone does not make a domain error.
    assert.equal(isDomainError({ name: "DomainError", code: "INVALID_UAI", message: "bad UAI" }), false);
    assert.equal(isDomainError("INVALID_UAI"), false);
  });
});
