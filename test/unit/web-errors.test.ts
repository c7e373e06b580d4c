/**
 * From a domain error to HTTP (src/web/errors.ts): the table's pages, and the forms' own small
 * tables (`formFailure`): the field, the text, the status, and what a form does not expect.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DomainError, ERROR_CODES } from "../../src/shared/errors.js";
import { ERROR_ANSWERS, errorPage, formFailure, passwordRuleErrors } from "../../src/web/errors.js";
import { fr } from "../../src/web/i18n/fr.js";

describe("web error table", () => {
  it("has a status and a French text for every code", () => {
    for (const code of ERROR_CODES) {
      const answer = ERROR_ANSWERS[code];
      assert.ok(answer.status >= 400 && answer.status < 600, code);
      assert.ok(answer.text.length >= 10, code);
    }
  });

  it("an error about the whole request has its own page; a form's error no form caught is a 400", () => {
    assert.deepEqual(errorPage(new DomainError("OVERLOADED", "busy")), {
      status: 503,
      title: fr.errors.overloadedTitle,
      text: fr.errors.overloaded,
    });
    const limited = new DomainError("RATE_LIMITED", "slow down", { retryAt: new Date(), retryAfterMs: 1000 });
    assert.deepEqual(errorPage(limited), { status: 429, title: fr.errors.tooManyTitle, text: fr.codes.RATE_LIMITED });
    assert.deepEqual(errorPage(new DomainError("NOT_FOUND", "no such message")), {
      status: 404,
      title: fr.errors.notFoundTitle,
      text: fr.errors.notFound,
    });
    assert.deepEqual(errorPage(new DomainError("THROTTLED", "wait")), {
      status: 400,
      title: fr.errors.badRequestTitle,
      text: fr.codes.THROTTLED,
    });
  });
});

describe("formFailure", () => {
  it("puts an expected error at its field or at the top of the form, with the table's status and text", () => {
    const exists = new DomainError("FOLDER_EXISTS", "exists");
    assert.deepEqual(formFailure(exists, { FOLDER_EXISTS: { field: "nom" } }), {
      status: 409,
      errors: { nom: [fr.codes.FOLDER_EXISTS] },
    });
    assert.deepEqual(formFailure(new DomainError("CHALLENGE_REQUIRED", "pow"), { CHALLENGE_REQUIRED: {} }), {
      status: 429,
      errors: {},
      formError: fr.codes.CHALLENGE_REQUIRED,
    });
  });

  it("reads the typed details for the field and the text; a form may answer its own status", () => {
    const rules = {
      INVALID_CODE: {
        field: ({ attemptsLeft }: { attemptsLeft?: number | undefined }) => (attemptsLeft ? "code" : "email"),
        text: ({ attemptsLeft }: { attemptsLeft?: number | undefined }) => `left: ${attemptsLeft ?? "none"}`,
        status: 422,
      },
    };
    assert.deepEqual(formFailure(new DomainError("INVALID_CODE", "wrong", { attemptsLeft: 2 }), rules), {
      status: 422,
      errors: { code: ["left: 2"] },
    });
    assert.deepEqual(formFailure(new DomainError("INVALID_CODE", "expired", { expired: true }), rules), {
      status: 422,
      errors: { email: ["left: none"] },
    });
  });

  it("gives null for what the form does not expect (a code it has no rule for, a field it has not, not a domain error)", () => {
    const rules = { INVALID_EMAIL: { field: ({ field }: { field?: string | undefined }) => field } };
    assert.equal(formFailure(new DomainError("THROTTLED", "wait"), rules), null);
    assert.equal(formFailure(new DomainError("INVALID_EMAIL", "bad"), rules), null);
    assert.deepEqual(formFailure(new DomainError("INVALID_EMAIL", "bad", { field: "transfert" }), rules), {
      status: 400,
      errors: { transfert: [fr.codes.INVALID_EMAIL] },
    });
    assert.equal(formFailure(new Error("boom"), rules), null);
  });

  it("says each broken password rule at its field", () => {
    const weak = new DomainError("PASSWORD_TOO_WEAK", "weak", { rules: ["TOO_SHORT", "CONFIRMATION_MISMATCH"] });
    assert.deepEqual(formFailure(weak, { PASSWORD_TOO_WEAK: passwordRuleErrors(12, 128) }), {
      status: 422,
      errors: {
        newPassword: [fr.password.ruleMessages.TOO_SHORT(12)],
        confirmation: [fr.password.ruleMessages.CONFIRMATION_MISMATCH],
      },
    });
  });
});
