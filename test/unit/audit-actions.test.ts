import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AUDIT_ACTIONS, isAuditAction } from "../../src/audit/audit-actions.js";

describe("audit actions", () => {
  it("are unique, lower case and dotted (but logout)", () => {
    assert.equal(new Set(AUDIT_ACTIONS).size, AUDIT_ACTIONS.length);
    for (const action of AUDIT_ACTIONS) {
      if (action !== "logout") assert.match(action, /^[a-z]+\.[a-z]+(_[a-z]+)*$/, action);
    }
  });

  it("isAuditAction knows each of them and nothing else, exactly as written", () => {
    for (const action of AUDIT_ACTIONS) assert.equal(isAuditAction(action), true, action);
    for (const other of ["", "login", "login.", "login.success", "Login.failed", " logout", "logout ", "mail.*"]) {
      assert.equal(isAuditAction(other), false, JSON.stringify(other));
    }
  });
});
