import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countFields, readHeaderBlock, rewriteHeaders } from "../../src/mail/header-block.js";
import { withAuthenticationResults } from "../../src/mail/sender-auth.js";

const message = Buffer.from(
  [
    "Received: from a\r\n\tby b; Tue, 1 Jan 2030 10:00:00 +0000",
    "Authentication-Results: ac-lyon.fr; dkim=pass",
    "Authentication-Results: (comment) AC-LYON.FR;\r\n dmarc=pass",
    "Authentication-Results: mx.example.org; spf=pass",
    "From: <a@example.org>",
    "Subject: caf\xe9",
    "",
    "Body line\r\n\r\nSecond paragraph\r\n",
  ].join("\r\n"),
  "latin1",
);

describe("header block", () => {
  it("reads fields with their continuation lines, names in lower case, values unfolded", () => {
    const block = readHeaderBlock(message);
    assert.deepEqual(
      block.fields.map((f) => f.name),
      ["received", "authentication-results", "authentication-results", "authentication-results", "from", "subject"],
    );
    assert.equal(block.fields[0]?.value, "from a by b; Tue, 1 Jan 2030 10:00:00 +0000");
    assert.equal(countFields(block, "authentication-results"), 3);
    assert.equal(message.subarray(block.bodyOffset).toString("latin1"), "Body line\r\n\r\nSecond paragraph\r\n");
  });

  it("rewriting keeps every other byte, the body and 8-bit headers untouched", () => {
    const block = readHeaderBlock(message);
    const out = rewriteHeaders(message, block, "X-First: 1\r\n", (f) => f.name === "received");
    const text = out.toString("latin1");
    assert.ok(text.startsWith("X-First: 1\r\nAuthentication-Results: ac-lyon.fr; dkim=pass\r\n"));
    assert.ok(text.includes("Subject: caf\xe9\r\n\r\nBody line\r\n\r\nSecond paragraph\r\n"));
    assert.ok(!text.includes("Received:"));
    // Nothing dropped, nothing added: the same bytes.
    assert.deepEqual(
      rewriteHeaders(message, block, "", () => false),
      message,
    );
  });

  it("a message without a body, or with bare LF line ends, is handled", () => {
    const headersOnly = Buffer.from("From: <a@b.example>\r\nSubject: x\r\n");
    const out = rewriteHeaders(headersOnly, readHeaderBlock(headersOnly), "X-A: 1\r\n", () => false);
    assert.equal(out.toString(), "X-A: 1\r\nFrom: <a@b.example>\r\nSubject: x\r\n\r\n");
    const lf = Buffer.from("From: <a@b.example>\nSubject: y\n\nbody\n");
    const block = readHeaderBlock(lf);
    assert.equal(countFields(block, "subject"), 1);
    assert.equal(lf.subarray(block.bodyOffset).toString(), "body\n");
  });

  it("Sésame's Authentication-Results replace the incoming ones in its name only", () => {
    const out = withAuthenticationResults(message, "ac-lyon.fr", "Authentication-Results: ac-lyon.fr; spf=none\r\n")
      .toString("latin1")
      .split("\r\n\r\n")[0];
    assert.deepEqual(out?.match(/^Authentication-Results: .*/gm), [
      "Authentication-Results: ac-lyon.fr; spf=none",
      "Authentication-Results: mx.example.org; spf=pass",
    ]);
  });
});
