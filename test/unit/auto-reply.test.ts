/**
 * The header rules of the away message and the forwarding, without I/O: the header block as the
 * rules read it, the messages an automatic reply never answers (RFC 3834), the forwarding loop,
 * and the resent copy (RFC 5322 Resent-* fields above the untouched original).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  bareAddress,
  forwardedBefore,
  headerFields,
  type NoReplyReason,
  noReplyReason,
  resentCopy,
} from "../../src/mail/auto-reply.js";

const OWN = "lucie.aubrac@ac-lyon.fr";
const SENDER = "jean.martin@example.org";

/** A message: its header lines (CRLF), a blank line, then the body. */
function message(headers: readonly string[], body = "Bonjour,\r\nà bientôt.\r\n"): Buffer {
  return Buffer.from(`${headers.join("\r\n")}\r\n\r\n${body}`, "utf8");
}

/** An ordinary message from a person to the account, which an away message may answer. */
const PERSONAL = [
  `From: Jean Martin <${SENDER}>`,
  `To: Lucie Aubrac <${OWN}>`,
  "Subject: Conseil de classe",
  "Date: Tue, 1 Sep 2026 09:00:00 +0200",
  "Message-ID: <conseil@example.org>",
];

function reason(extra: readonly string[], envelope = SENDER, base: readonly string[] = PERSONAL): NoReplyReason | null {
  return noReplyReason(headerFields(message([...base, ...extra])), envelope, OWN);
}

describe("headerFields", () => {
  it("lower-cases the names, keeps every value in order, trimmed, and unfolds continuation lines", () => {
    const fields = headerFields(
      message([
        "Received: from a.example.org by b.example.org;",
        "\tTue, 1 Sep 2026 09:00:01 +0200",
        "RECEIVED: from c.example.org",
        "Subject:   Reunion   ",
        "  de rentree",
        "X-Empty:",
      ]),
    );
    assert.deepEqual(fields.get("received"), [
      "from a.example.org by b.example.org; Tue, 1 Sep 2026 09:00:01 +0200",
      "from c.example.org",
    ]);
    assert.equal(fields.get("subject")?.length, 1);
    assert.match(fields.get("subject")?.[0] ?? "", /^Reunion +de rentree$/);
    assert.deepEqual(fields.get("x-empty"), [""]);
    assert.equal(fields.has("Received"), false);
  });

  it("stops at the blank line: the body's lines are not headers", () => {
    const fields = headerFields(message(["Subject: vrai"], "List-Id: <faux.example.org>\r\nAuto-Submitted: faux\r\n"));
    assert.deepEqual([...fields.keys()], ["subject"]);
  });

  it("reads bare LF line endings, and a header block without a body", () => {
    const lf = headerFields(Buffer.from("From: a@example.org\nTo: b@example.org\n  , c@example.org\n\nList-Id: x\n"));
    assert.deepEqual(Object.fromEntries(lf), { from: ["a@example.org"], to: ["b@example.org , c@example.org"] });
    const headOnly = headerFields(Buffer.from("From: a@example.org\r\nPrecedence: bulk"));
    assert.deepEqual(headOnly.get("precedence"), ["bulk"]);
  });

  it("ignores lines that are no field (no name before a colon)", () => {
    const fields = headerFields(message(["From: a@example.org", ": no name", "not a header line", "X-Ok: 1"]));
    assert.deepEqual([...fields.keys()], ["from", "x-ok"]);
  });

  it("reads only the first 256 KiB: a field beyond is not seen", () => {
    const fields = headerFields(message([`X-Huge: ${"a".repeat(256 * 1024)}`, "Auto-Submitted: auto-generated"]));
    assert.equal(fields.has("x-huge"), true);
    assert.equal(fields.has("auto-submitted"), false);
  });
});

describe("bareAddress", () => {
  it("takes the address out of a header value or an envelope path, in lower case", () => {
    assert.equal(bareAddress(`Lucie Aubrac <Lucie.Aubrac@AC-Lyon.fr>`), OWN);
    assert.equal(bareAddress(`"Aubrac, Lucie" <${OWN}>`), OWN);
    assert.equal(bareAddress(`<${OWN}>`), OWN);
    assert.equal(bareAddress(`  Lucie.Aubrac@ac-lyon.FR  `), OWN);
  });

  it("gives the empty string for the null path and for nothing", () => {
    assert.equal(bareAddress("<>"), "");
    assert.equal(bareAddress(""), "");
    assert.equal(bareAddress("< >"), "");
  });
});

describe("noReplyReason (RFC 3834)", () => {
  it("answers a person's message sent to the account (To or Cc, any case, among others)", () => {
    assert.equal(reason([]), null);
    const cc = PERSONAL.filter((l) => !l.startsWith("To:"));
    assert.equal(
      reason(["To: equipe@ac-lyon.fr", "Cc: Jean <j@ac-lyon.fr>, LUCIE.AUBRAC@AC-LYON.FR"], SENDER, cc),
      null,
    );
    assert.equal(reason([], `<${SENDER}>`), null);
  });

  it("never answers an automatic message (Auto-Submitted other than no)", () => {
    for (const value of [
      "auto-replied",
      "auto-generated",
      "auto-notified; owner-email=x@example.org",
      "AUTO-REPLIED",
    ]) {
      assert.equal(reason([`Auto-Submitted: ${value}`]), "auto-submitted", value);
    }
    for (const value of ["no", "No", "no (written by a person)", "no; comment"]) {
      assert.equal(reason([`Auto-Submitted: ${value}`]), null, value);
    }
    // One automatic field among several is enough.
    assert.equal(reason(["Auto-Submitted: no", "Auto-Submitted: auto-generated"]), "auto-submitted");
  });

  it("never answers bulk, list or junk mail (Precedence), and nothing else is read in Precedence", () => {
    for (const value of ["bulk", "list", "junk", "Bulk", "  list"]) {
      assert.equal(reason([`Precedence: ${value}`]), "precedence", value);
    }
    for (const value of ["first-class", "bulky", "normal"]) assert.equal(reason([`Precedence: ${value}`]), null, value);
  });

  it("never answers a mailing list (List-Id, List-Unsubscribe, List-Post, List-Help)", () => {
    for (const field of [
      "List-Id: Enseignants <profs.ac-lyon.fr>",
      "List-Unsubscribe: <mailto:leave@example.org>",
      "List-Post: <mailto:profs@example.org>",
      "List-Help: <https://example.org/aide>",
    ]) {
      assert.equal(reason([field]), "list", field);
    }
  });

  it("never answers a sender that asks for no automatic reply (X-Auto-Response-Suppress)", () => {
    for (const value of ["All", "OOF", "AutoReply", "DR, OOF"]) {
      assert.equal(reason([`X-Auto-Response-Suppress: ${value}`]), "suppressed", value);
    }
    assert.equal(reason(["X-Auto-Response-Suppress: DR, RN"]), null);
  });

  it("never answers a bounce: a null or address-less envelope sender", () => {
    for (const envelope of ["", "<>", "MAILER-DAEMON", "  "]) {
      assert.equal(reason([], envelope), "no-sender", JSON.stringify(envelope));
    }
  });

  it("never answers a machine, as envelope sender or as From", () => {
    const machines = [
      "MAILER-DAEMON@example.org",
      "postmaster@example.org",
      "noreply@example.org",
      "no-reply@example.org",
      "donotreply@example.org",
      "do-not-reply@example.org",
      "ne-pas-repondre@education.gouv.fr",
      "noreply-notifications@example.org",
      "bounce@example.org",
      "bounces+abc=ac-lyon.fr@example.org",
      "bounces-123@example.org",
      "listserv@example.org",
      "majordomo@example.org",
    ];
    for (const machine of machines) {
      assert.equal(reason([], machine), "machine-sender", `envelope ${machine}`);
      const base = [`From: Service <${machine.toUpperCase()}>`, ...PERSONAL.filter((l) => !l.startsWith("From:"))];
      assert.equal(reason([], SENDER, base), "machine-sender", `From ${machine}`);
    }
    // A person whose name merely contains such a word is answered.
    for (const person of ["jean.noreply@example.org", "noreplyer@example.org", "postmaster.general@example.org"]) {
      assert.equal(reason([], person), null, person);
    }
  });

  it("never answers the account's own message", () => {
    assert.equal(reason([], OWN.toUpperCase()), "own-message");
    const base = [`From: Moi <${OWN}>`, ...PERSONAL.filter((l) => !l.startsWith("From:"))];
    assert.equal(reason([], SENDER, base), "own-message");
  });

  it("never answers a message that does not name the account in To or Cc (Bcc, a list, a forward)", () => {
    const base = PERSONAL.filter((l) => !l.startsWith("To:"));
    assert.equal(reason(["To: equipe@ac-lyon.fr"], SENDER, base), "not-addressed");
    assert.equal(reason([], SENDER, base), "not-addressed");
    // A longer address that contains the account's is not the account's.
    assert.equal(reason([`To: ${OWN}.evil.example`], SENDER, base), "not-addressed");
    assert.equal(reason([`To: x${OWN}`], SENDER, base), "not-addressed");
    // Only To and Cc count: Reply-To or Bcc naming the account do not.
    assert.equal(reason([`Reply-To: ${OWN}`, `Bcc: ${OWN}`, "To: autre@ac-lyon.fr"], SENDER, base), "not-addressed");
  });

  it("gives the first reason in the order of the rules", () => {
    assert.equal(
      reason(["Auto-Submitted: auto-replied", "Precedence: bulk", "List-Id: <l.example.org>"]),
      "auto-submitted",
    );
    assert.equal(reason(["Precedence: list", "List-Id: <l.example.org>"], ""), "precedence");
  });
});

describe("forwardedBefore", () => {
  const fields = (resent: readonly string[]) => headerFields(message([...resent, ...PERSONAL]));

  it("is false for a message never resent, or resent by others", () => {
    assert.equal(forwardedBefore(fields([]), OWN), false);
    assert.equal(forwardedBefore(fields(["Resent-From: <autre@ac-lyon.fr>"]), OWN), false);
  });

  it("is true once the account has resent it (any case, with a display name)", () => {
    assert.equal(forwardedBefore(fields([`Resent-From: <${OWN}>`]), OWN), true);
    assert.equal(
      forwardedBefore(fields(["Resent-From: <a@example.org>", `Resent-From: Lucie <${OWN.toUpperCase()}>`]), OWN),
      true,
    );
    assert.equal(forwardedBefore(fields([`Resent-From: <${OWN}>`]), OWN.toUpperCase()), true);
  });

  it("is true after ten resendings by anyone (a loop between other accounts)", () => {
    const by = (n: number) => Array.from({ length: n }, (_, i) => `Resent-From: <relais${i}@example.org>`);
    assert.equal(forwardedBefore(fields(by(9)), OWN), false);
    assert.equal(forwardedBefore(fields(by(10)), OWN), true);
  });
});

describe("resentCopy", () => {
  const resent = {
    from: OWN,
    to: "lucie.perso@example.net",
    date: new Date("2026-09-01T07:00:00.000Z"),
    messageId: "<renvoi-1@ac-lyon.fr>",
  };
  const FIELDS =
    `Resent-From: <${OWN}>\r\n` +
    "Resent-To: <lucie.perso@example.net>\r\n" +
    "Resent-Date: Tue, 01 Sep 2026 07:00:00 +0000\r\n" +
    "Resent-Message-ID: <renvoi-1@ac-lyon.fr>\r\n";

  it("puts Resent-From, -To, -Date and -Message-ID above the original, which is kept byte for byte", () => {
    const original = message(PERSONAL);
    const copy = resentCopy(original, resent);
    assert.equal(copy.subarray(0, Buffer.byteLength(FIELDS)).toString("latin1"), FIELDS);
    assert.deepEqual(copy.subarray(Buffer.byteLength(FIELDS)), original);
  });

  it("leaves the body untouched, 8-bit bytes and look-alike header lines included", () => {
    const body = Buffer.concat([
      Buffer.from("Return-Path: <pas-un-en-tete@example.org>\r\nÉté, café, œuvre.\r\n", "utf8"),
      Buffer.from([0x00, 0x80, 0xff, 0xe9, 0x0d, 0x0a]),
    ]);
    const original = Buffer.concat([Buffer.from(`${PERSONAL.join("\r\n")}\r\n\r\n`), body]);
    const copy = resentCopy(original, resent);
    assert.deepEqual(copy.subarray(copy.length - body.length), body);
    assert.equal(copy.length, Buffer.byteLength(FIELDS) + original.length);
  });

  it("drops the Return-Path lines of the header block (folded ones too): the next server writes its own", () => {
    const original = message([
      "Return-Path: <jean.martin@example.org>",
      ...PERSONAL.slice(0, 2),
      "return-path:",
      " <rebond@example.org>",
      ...PERSONAL.slice(2),
    ]);
    const copy = resentCopy(original, resent).toString("latin1");
    assert.equal(copy, FIELDS + message(PERSONAL).toString("latin1"));
  });

  it("keeps a header block without a body, and bare LF line endings, as they are", () => {
    const headOnly = Buffer.from("From: a@example.org\r\nSubject: rien");
    assert.equal(resentCopy(headOnly, resent).toString("latin1"), `${FIELDS}From: a@example.org\r\nSubject: rien`);
    const lf = Buffer.from("From: a@example.org\nReturn-Path: <a@example.org>\nSubject: x\n\ncorps\n");
    assert.equal(resentCopy(lf, resent).toString("latin1"), `${FIELDS}From: a@example.org\nSubject: x\n\ncorps\n`);
  });

  it("is recognised as this account's forward the next time round (no forwarding loop)", () => {
    const once = resentCopy(message(PERSONAL), resent);
    assert.equal(forwardedBefore(headerFields(once), OWN), true);
    assert.equal(forwardedBefore(headerFields(once), "autre@ac-lyon.fr"), false);
  });
});
