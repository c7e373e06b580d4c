import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DomainError, ERROR_CODES, isDomainError } from "../../src/shared/errors.js";
import { fr } from "../../src/web/i18n/fr.js";

describe("error codes", () => {
  it("are unique and written in UPPER_SNAKE_CASE", () => {
    assert.ok(ERROR_CODES.length > 0);
    assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
    for (const code of ERROR_CODES) assert.match(code, /^[A-Z]+(_[A-Z0-9]+)*$/);
  });

  for (const code of ERROR_CODES) {
    it(`${code} has a French message`, () => {
      const message: unknown = (fr.codes as Record<string, unknown>)[code];
      assert.equal(typeof message, "string", `fr.codes.${code} is missing`);
      const text = (message as string).trim();
      assert.ok(text.length >= 10, `fr.codes.${code} is too short: ${JSON.stringify(text)}`);
      // A sentence for a person: capital first, full stop last, no code or placeholder left in it.
      assert.match(text, /^[A-ZÀ-Ý]/);
      assert.match(text, /[.!?)]$/);
      assert.ok(!text.includes(code), `fr.codes.${code} repeats its code`);
      assert.ok(!/\b(TODO|undefined|null)\b|\$\{/.test(text), `fr.codes.${code}: ${text}`);
    });
  }

  it("has no French message for a code that does not exist", () => {
    const known = new Set<string>(ERROR_CODES);
    assert.deepEqual(
      Object.keys(fr.codes).filter((code) => !known.has(code)),
      [],
    );
  });

  it("DomainError carries its code and details, and isDomainError filters by code", () => {
    const error = new DomainError("INVALID_UAI", "bad UAI", { line: 3 });
    assert.ok(error instanceof Error);
    assert.equal(error.name, "DomainError");
    assert.equal(error.code, "INVALID_UAI");
    assert.equal(error.message, "bad UAI");
    assert.deepEqual(error.details, { line: 3 });
    assert.equal(isDomainError(error), true);
    assert.equal(isDomainError(error, "INVALID_UAI"), true);
    assert.equal(isDomainError(error, "INVALID_NUMEN"), false);
    assert.equal(isDomainError(new Error("plain")), false);
    assert.equal(isDomainError("INVALID_UAI"), false);
  });
});
