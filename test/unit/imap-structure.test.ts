/**
 * The MIME structure IMAP serves: BODYSTRUCTURE as RFC 9051 §7.5.2 lays it out (sizes in octets of
 * the encoded body, lines, extension data), ENVELOPE with groups, BODY[section] as the exact stored
 * bytes, partials, BINARY decoding, and the limits (deep nesting, a large attachment).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  binarySection,
  bodyStructure,
  envelope,
  parseSectionSpec,
  parseStructure,
  partial,
  section,
} from "../../src/imap/mime-structure.js";
import type { ImapToken } from "../../src/imap/protocol/types.js";
import { serialize } from "../../src/imap/protocol/writer.js";

const text = (v: unknown) => serialize(v as never, { utf8: true }).toString("utf8");
const atom = (value: string): ImapToken => ({ type: "atom", value });
const spec = (...tokens: ImapToken[]) => {
  const s = parseSectionSpec(tokens);
  if (typeof s === "string") throw new Error(s);
  return s;
};

const MIXED = Buffer.from(
  [
    "From: Marie Curie <marie@example.org>",
    "To: jean@ac-lyon.fr, Équipe: a@b.fr, c@d.fr;",
    "Subject: =?utf-8?q?Compte_rendu?=",
    "Date: Tue, 01 Dec 2026 08:30:00 +0100",
    "Message-ID: <m1@example.org>",
    'Content-Type: multipart/mixed; boundary="B"',
    "",
    "preamble",
    "--B",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Caf=C3=A9",
    "noir",
    "--B",
    'Content-Type: application/pdf; name="cr.pdf"',
    "Content-Transfer-Encoding: base64",
    'Content-Disposition: attachment; filename="cr.pdf"',
    "Content-Language: fr",
    "",
    Buffer.from("%PDF-1.4 document").toString("base64"),
    "--B",
    "Content-Type: message/rfc822",
    "",
    "Subject: dedans",
    "From: x@y.fr",
    "",
    "corps interne",
    "--B--",
    "epilogue",
    "",
  ].join("\r\n"),
);

describe("IMAP MIME structure", () => {
  it("BODYSTRUCTURE of a multipart/mixed message with text, an attachment and a message inside", async () => {
    const tree = await parseStructure(MIXED);
    const s = text(bodyStructure(tree, true, MIXED));
    assert.equal(
      s,
      '(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 15 2 NIL NIL NIL NIL)' +
        ' ("APPLICATION" "PDF" ("NAME" "cr.pdf") NIL NIL "BASE64" 24 NIL ("ATTACHMENT" ("FILENAME" "cr.pdf")) "fr" NIL)' +
        ' ("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 46 (NIL "dedans" ((NIL NIL "x" "y.fr")) ((NIL NIL "x" "y.fr")) ((NIL NIL "x" "y.fr")) NIL NIL NIL NIL NIL)' +
        ' ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 13 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL)' +
        ' "MIXED" ("BOUNDARY" "B") NIL NIL NIL)',
    );
    // BODY: the same without extension data.
    assert.match(
      text(bodyStructure(tree, false, MIXED)),
      /^\(\("TEXT" "PLAIN" \("CHARSET" "utf-8"\) NIL NIL "QUOTED-PRINTABLE" 15 2\) /,
    );
  });

  it("ENVELOPE with the encoded words as sent and a group", () => {
    assert.equal(
      text(envelope(MIXED)),
      '("Tue, 01 Dec 2026 08:30:00 +0100" "=?utf-8?q?Compte_rendu?=" (("Marie Curie" NIL "marie" "example.org")) (("Marie Curie" NIL "marie" "example.org")) (("Marie Curie" NIL "marie" "example.org"))' +
        ' ((NIL NIL "jean" "ac-lyon.fr") (NIL NIL "Équipe" NIL) (NIL NIL "a" "b.fr") (NIL NIL "c" "d.fr") (NIL NIL NIL NIL)) NIL NIL NIL "<m1@example.org>")',
    );
  });

  it("ENVELOPE as Dovecot's imaptest expects it (src/tests/fetch-envelope): every field, comments as names, groups, empty Sender", () => {
    const cases: [string, string][] = [
      [
        "Message-ID: <msg@id>\nIn-Reply-To: <reply@to.id>\nDate: Sat, 01 Feb 2007 01:02:03 +0200\nSubject: subject header\nFrom: From Real <fromuser@fromdomain.org>\nTo: To Real <touser@todomain.org>\nCc: Cc Real <ccuser@ccdomain.org>\nBcc: Bcc Real <bccuser@bccdomain.org>\nSender: Sender Real <senderuser@senderdomain.org>\nReply-To: ReplyTo Real <replytouser@replytodomain.org>\n\nbody\n",
        '("Sat, 01 Feb 2007 01:02:03 +0200" "subject header" (("From Real" NIL "fromuser" "fromdomain.org")) (("Sender Real" NIL "senderuser" "senderdomain.org")) (("ReplyTo Real" NIL "replytouser" "replytodomain.org")) (("To Real" NIL "touser" "todomain.org")) (("Cc Real" NIL "ccuser" "ccdomain.org")) (("Bcc Real" NIL "bccuser" "bccdomain.org")) "<reply@to.id>" "<msg@id>")',
      ],
      [
        "Date: Sat, 01 Feb 2007 01:02:03 +0200\nFrom: user@domain (Real Name)\nTo: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\n\nbody\n",
        '("Sat, 01 Feb 2007 01:02:03 +0200" NIL (("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) ((NIL NIL "group" NIL) (NIL NIL "g1" "d1.org") (NIL NIL "g2" "d2.org") (NIL NIL NIL NIL) (NIL NIL "group2" NIL) (NIL NIL "g3" "d3.org") (NIL NIL NIL NIL)) NIL NIL NIL NIL)',
      ],
      [
        "Date: Sat, 01 Feb 2007 01:02:03 +0200\nFrom: user@domain (Real Name)\nSender: \nReply-To: \n\nbody\n",
        '("Sat, 01 Feb 2007 01:02:03 +0200" NIL (("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) NIL NIL NIL NIL NIL)',
      ],
    ];
    for (const [message, expected] of cases) assert.equal(text(envelope(Buffer.from(message))), expected);
  });

  it("sections are the stored bytes: HEADER.FIELDS, TEXT, part bodies, MIME headers, the message inside", async () => {
    const tree = await parseStructure(MIXED);
    const s = (...t: ImapToken[]) => section(MIXED, tree, spec(...t))?.toString("latin1");
    assert.equal(
      s(atom("HEADER.FIELDS"), { type: "list", items: [atom("SUBJECT"), atom("DATE")] }),
      "Subject: =?utf-8?q?Compte_rendu?=\r\nDate: Tue, 01 Dec 2026 08:30:00 +0100\r\n\r\n",
    );
    assert.equal(s(atom("1")), "Caf=C3=A9\r\nnoir");
    assert.equal(
      s(atom("1.MIME")),
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
    );
    assert.equal(s(atom("3.HEADER")), "Subject: dedans\r\nFrom: x@y.fr\r\n\r\n");
    assert.equal(s(atom("3.TEXT")), "corps interne");
    assert.equal(s(atom("3.1")), "corps interne");
    assert.equal(s(atom("4")), undefined);
    assert.ok(s(atom("TEXT"))?.startsWith("preamble\r\n--B\r\n"));
    assert.equal(partial(MIXED, 0, 4).toString(), "From");
    assert.equal(partial(MIXED, MIXED.length + 10, 4).length, 0);
  });

  it("BINARY decodes quoted-printable and base64 parts; an unknown encoding is said so", async () => {
    const tree = await parseStructure(MIXED);
    assert.equal(binarySection(MIXED, tree, spec(atom("1")))?.toString(), "Café\r\nnoir");
    assert.equal(binarySection(MIXED, tree, spec(atom("2")))?.toString(), "%PDF-1.4 document");
    const odd = Buffer.from("Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n");
    assert.equal(binarySection(odd, await parseStructure(odd), spec(atom("1"))), "unknown-cte");
  });

  it("no Content-Type, LF-only line endings, no body: defaults and exact offsets", async () => {
    const lf = Buffer.from("Subject: lf\n\nune\ndeux\n");
    const tree = await parseStructure(lf);
    assert.equal(text(bodyStructure(tree, false, lf)), '("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 9 2)');
    assert.equal(section(lf, tree, spec(atom("TEXT")))?.toString(), "une\ndeux\n");
    const headerOnly = Buffer.from("Subject: vide\r\n");
    const t2 = await parseStructure(headerOnly);
    assert.match(text(bodyStructure(t2, false, headerOnly)), / 0 0\)$/);
  });

  it("50 nested multiparts and a 25 MB attachment: parsed, in time", async () => {
    const parts: string[] = [];
    for (let i = 0; i < 50; i++) parts.push(`Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`);
    const deep = Buffer.from(
      `${parts.join("")}Content-Type: text/plain\r\n\r\nfond\r\n${Array.from({ length: 50 }, (_, i) => `--b${49 - i}--\r\n`).join("")}`,
    );
    const tree = await parseStructure(deep);
    const shown = text(bodyStructure(tree, false, deep));
    assert.equal(shown.match(/"MIXED"/g)?.length, 50);
    assert.equal(section(deep, tree, spec(atom(Array(51).fill("1").join("."))))?.toString(), "fond");
    const big = Buffer.concat([
      Buffer.from(
        'Content-Type: multipart/mixed; boundary="Z"\r\n\r\n--Z\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n',
      ),
      Buffer.alloc(25 * 1024 * 1024, "QUJD"),
      Buffer.from("\r\n--Z--\r\n"),
    ]);
    const start = performance.now();
    const bigTree = await parseStructure(big);
    assert.ok(performance.now() - start < 3_000, `${performance.now() - start} ms`);
    assert.equal(bigTree.root.children?.[0]?.bodyEnd, big.length - "\r\n--Z--\r\n".length);
  });
});
