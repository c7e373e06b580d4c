import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  AUTH_REQUIRED_REPLY,
  EMPTY_MESSAGE_REPLY,
  ENHANCED_PREFIX,
  LOCAL_ERROR_REPLY,
  MUST_CHANGE_PASSWORD_REPLY,
  OVERSIZED_REPLY,
  ownCodeError,
  RECEPTION_ERROR_CODES,
  RECEPTION_REPLIES,
  replyFor,
  SENDER_NOT_OWNED_REPLY,
  SHUTTING_DOWN_REPLY,
  type SmtpReply,
  SUBMISSION_ERROR_CODES,
  SUBMISSION_REPLIES,
  smtpError,
  submissionReplyFor,
} from "../../src/mail/smtp-replies.js";
import { DomainError, ERROR_CODES } from "../../src/shared/errors.js";

function assertWellFormed(reply: SmtpReply, label: string): void {
  assert.ok(reply.code >= 400 && reply.code < 600, `${label}: ${reply.code} is not a refusal`);
  // The enhanced code's class is the basic code's class (RFC 3463).
  assert.match(reply.enhanced, /^[45]\.\d{1,3}\.\d{1,3}$/, label);
  assert.equal(reply.enhanced.charAt(0), String(reply.code).charAt(0), label);
  assert.ok(reply.text.length >= 8, label);
  // One line of printable ASCII: it goes on the wire as it is.
  assert.match(reply.text, /^[\x20-\x7e]+$/, label);
}

describe("SMTP replies of the reception", () => {
  it("cover every reception code MailApi documents", () => {
    const doc = readFileSync(new URL("../../src/mail/mail.types.ts", import.meta.url), "utf8");
    const m = /Errors \(DomainError codes\):([\s\S]*?)\(reception\)/.exec(doc);
    assert.ok(m?.[1], "MailApi no longer lists its reception codes where this test reads them");
    const documented = m[1].match(/[A-Z]+(?:_[A-Z]+)+/g) ?? [];
    assert.ok(documented.length > 0);
    assert.deepEqual([...documented].sort(), [...RECEPTION_ERROR_CODES].sort());
    for (const code of RECEPTION_ERROR_CODES) assert.ok((ERROR_CODES as readonly string[]).includes(code), code);
  });

  for (const code of RECEPTION_ERROR_CODES) {
    it(`${code} has a reply at RCPT and after DATA`, () => {
      assertWellFormed(RECEPTION_REPLIES[code].rcpt, `${code} rcpt`);
      assertWellFormed(RECEPTION_REPLIES[code].data, `${code} data`);
      const thrown = new DomainError(code, "x");
      assert.deepEqual(replyFor(thrown, "rcpt"), { reply: RECEPTION_REPLIES[code].rcpt, known: true });
      assert.deepEqual(replyFor(thrown, "data"), { reply: RECEPTION_REPLIES[code].data, known: true });
    });
  }

  it("the exact codes and enhanced codes clients act on", () => {
    assert.equal(RECEPTION_REPLIES.RECIPIENT_UNKNOWN.rcpt.code, 550);
    assert.equal(RECEPTION_REPLIES.RECIPIENT_UNKNOWN.rcpt.enhanced, "5.1.1");
    assert.equal(RECEPTION_REPLIES.QUOTA_EXCEEDED.rcpt.code, 452); // temporary at RCPT
    assert.equal(RECEPTION_REPLIES.QUOTA_EXCEEDED.data.code, 552);
    assert.equal(RECEPTION_REPLIES.MESSAGE_TOO_LARGE.data.code, 552);
    assert.equal(RECEPTION_REPLIES.MESSAGE_MALFORMED.data.code, 554);
    assert.equal(RECEPTION_REPLIES.MESSAGE_MALFORMED.data.enhanced, "5.6.0");
  });

  it("anything else is a temporary local error (451 4.3.0), never a permanent refusal", () => {
    for (const error of [new Error("database is locked"), new DomainError("NOT_FOUND", "x"), "a string", undefined]) {
      assert.deepEqual(replyFor(error, "data"), { reply: LOCAL_ERROR_REPLY, known: false });
    }
    assert.equal(LOCAL_ERROR_REPLY.code, 451);
    assertWellFormed(LOCAL_ERROR_REPLY, "local");
    assertWellFormed(SHUTTING_DOWN_REPLY, "shutting down");
    assertWellFormed(EMPTY_MESSAGE_REPLY, "empty");
    assertWellFormed(OVERSIZED_REPLY, "oversized");
  });

  it("smtpError carries the basic code smtp-server answers with", () => {
    const error = smtpError(RECEPTION_REPLIES.QUOTA_EXCEEDED.rcpt);
    assert.equal(error.responseCode, 452);
    assert.equal(error.message, RECEPTION_REPLIES.QUOTA_EXCEEDED.rcpt.text);
  });
});

describe("SMTP replies of the submission", () => {
  it("cover every code SendApi documents, and the login's", () => {
    const doc = readFileSync(new URL("../../src/mail/send.types.ts", import.meta.url), "utf8");
    const m = /DomainError codes:([\s\S]*?)\*\//.exec(doc);
    assert.ok(m?.[1], "SendApi no longer lists its codes where this test reads them");
    const documented = new Set(m[1].match(/[A-Z]+(?:_[A-Z]+)+/g) ?? []);
    documented.add("SENDER_MISMATCH"); // documented with sendRaw
    documented.delete("NOT_FOUND"); // a vanished account: a local error (451), on purpose
    for (const code of documented) {
      assert.ok((SUBMISSION_ERROR_CODES as readonly string[]).includes(code), `${code} has no submission reply`);
    }
    for (const code of ["INVALID_CREDENTIALS", "THROTTLED"]) {
      assert.ok((SUBMISSION_ERROR_CODES as readonly string[]).includes(code), code);
    }
    for (const code of SUBMISSION_ERROR_CODES) assert.ok((ERROR_CODES as readonly string[]).includes(code), code);
  });

  for (const code of SUBMISSION_ERROR_CODES) {
    it(`${code} has a well-formed reply`, () => {
      assertWellFormed(SUBMISSION_REPLIES[code], code);
      assert.deepEqual(submissionReplyFor(new DomainError(code, "x")), {
        reply: SUBMISSION_REPLIES[code],
        known: true,
      });
    });
  }

  it("the exact codes and enhanced codes clients act on", () => {
    const wire = (r: SmtpReply) => `${r.code} ${r.enhanced}`;
    assert.equal(wire(SUBMISSION_REPLIES.SENDER_MISMATCH), "550 5.7.1");
    assert.equal(wire(SUBMISSION_REPLIES.SENDING_LIMIT), "450 4.7.1");
    assert.match(SUBMISSION_REPLIES.SENDING_LIMIT.text, /sending limit reached, try later/i);
    assert.equal(wire(SUBMISSION_REPLIES.INVALID_RECIPIENTS), "550 5.1.3");
    assert.equal(wire(SUBMISSION_REPLIES.NO_RECIPIENT), "550 5.1.3");
    assert.equal(wire(SUBMISSION_REPLIES.TOO_MANY_RECIPIENTS), "452 4.5.3");
    assert.equal(wire(SUBMISSION_REPLIES.MESSAGE_TOO_LARGE), "552 5.3.4");
    assert.equal(wire(SUBMISSION_REPLIES.ATTACHMENT_TOO_LARGE), "552 5.3.4");
    assert.equal(wire(SUBMISSION_REPLIES.MESSAGE_MALFORMED), "554 5.6.0");
    assert.equal(wire(SUBMISSION_REPLIES.THROTTLED), "454 4.7.0");
    assert.equal(wire(SUBMISSION_REPLIES.INVALID_CREDENTIALS), "535 5.7.8");
    assert.equal(wire(SENDER_NOT_OWNED_REPLY), "553 5.7.1");
    assert.equal(wire(MUST_CHANGE_PASSWORD_REPLY), "535 5.7.8");
    assert.match(MUST_CHANGE_PASSWORD_REPLY.text, /webmail/);
    assert.equal(wire(AUTH_REQUIRED_REPLY), "530 5.7.0");
    for (const reply of [SENDER_NOT_OWNED_REPLY, MUST_CHANGE_PASSWORD_REPLY, AUTH_REQUIRED_REPLY]) {
      assertWellFormed(reply, reply.text);
    }
  });

  it("anything else is 451 4.3.0", () => {
    for (const error of [new Error("db"), new DomainError("NOT_FOUND", "x"), new DomainError("QUOTA_EXCEEDED", "x")]) {
      assert.deepEqual(submissionReplyFor(error), { reply: LOCAL_ERROR_REPLY, known: false });
    }
  });

  it("ownCodeError writes the enhanced code at the start of the text", () => {
    const error = ownCodeError(SUBMISSION_REPLIES.SENDING_LIMIT);
    assert.equal(error.responseCode, 450);
    assert.equal(error.message, "4.7.1 Sending limit reached, try later");
    assert.match(error.message, ENHANCED_PREFIX);
  });
});
