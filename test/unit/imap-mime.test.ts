/**
 * The MIME side of IMAP FETCH (src/imap/mime-structure.ts), checked against what Dovecot answers:
 * BODY and BODYSTRUCTURE of Dovecot's own test messages (dovecot/core
 * src/lib-imap/test-imap-bodystructure.c), ENVELOPE of its envelope tests (dovecot/core
 * src/lib-imap/test-imap-envelope.c, copied there from imaptest src/tests/fetch-envelope), and the
 * sections of imaptest's scripts (dovecot/imaptest src/tests/fetch-body-mime,
 * fetch-body-message-rfc822, fetch-body, fetch-binary-mime). Those messages are written with LF in
 * their sources and Dovecot counts sizes as if the line ends were CRLF, so they are stored here with
 * CRLF; LF-only messages are checked apart, on their own bytes.
 *
 * Structures are compared as values (the response parsed back into lists), so that the spacing the
 * response writer puts between list items is not what is judged here.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  binarySection,
  binarySize,
  bodyStructure,
  envelope,
  MAX_DEPTH,
  type MimePart,
  type MimeTree,
  parseSectionSpec,
  parseStructure,
  partial,
  type SectionSpec,
  section,
  TREE_VERSION,
} from "../../src/imap/mime-structure.js";
import type { ImapOut, ImapToken } from "../../src/imap/protocol/types.js";
import { serialize } from "../../src/imap/protocol/writer.js";

/** A message written with LF in its source, stored with CRLF. */
const crlf = (text: string) => Buffer.from(text.replace(/\n/g, "\r\n"), "latin1");
const lf = (text: string) => Buffer.from(text, "latin1");

/** An IMAP response value parsed back into lists: NIL → null, numbers, strings (quoted, unescaped). */
function imap(text: string): unknown {
  let at = 0;
  const value = (): unknown => {
    while (text[at] === " ") at++;
    if (text[at] === "(") {
      at++;
      const list: unknown[] = [];
      for (;;) {
        while (text[at] === " ") at++;
        if (text[at] === ")") {
          at++;
          return list;
        }
        list.push(value());
      }
    }
    if (text[at] === '"') {
      let s = "";
      for (at++; text[at] !== '"'; at++) {
        if (text[at] === "\\") at++;
        s += text[at];
      }
      at++;
      return s;
    }
    const word = /^[^\s()]+/.exec(text.slice(at))?.[0] ?? "";
    at += word.length;
    return word === "NIL" ? null : /^\d+$/.test(word) ? Number(word) : word;
  };
  const v = value();
  assert.equal(at, text.length, `trailing text in ${text}`);
  return v;
}

/** What the writer gets, as plain values (a literal's bytes as latin1 text; items written side by side spread into their list). */
function plain(v: ImapOut): unknown {
  if (Buffer.isBuffer(v)) return v.toString("latin1");
  if (Array.isArray(v)) {
    return (v as readonly ImapOut[]).flatMap((item) =>
      item !== null && typeof item === "object" && "adjacent" in item ? item.adjacent.map(plain) : [plain(item)],
    );
  }
  return v;
}

const wire = (v: ImapOut) => serialize(v, { utf8: false }).toString("latin1");
const atom = (value: string): ImapToken => ({ type: "atom", value });
const list = (...names: string[]): ImapToken => ({ type: "list", items: names.map(atom) });
function spec(...tokens: ImapToken[]): SectionSpec {
  const s = parseSectionSpec(tokens);
  if (typeof s === "string") throw new Error(s);
  return s;
}
/** BODY[section] as text, the section written as a client writes it (`2.HEADER.FIELDS (FROM)`). */
function body(raw: Buffer, tree: MimeTree, text: string): string | undefined {
  const m = /^(\S+)(?: \((.*)\))?$/.exec(text);
  const tokens = [atom(m?.[1] ?? "")];
  if (m?.[2] !== undefined) tokens.push(list(...m[2].split(" ")));
  return section(raw, tree, spec(...tokens))?.toString("latin1");
}

/** Every part of a tree, the messages inside included. */
function allParts(p: MimePart): MimePart[] {
  return [p, ...(p.children ?? []).flatMap(allParts), ...(p.message ? allParts(p.message) : [])];
}

// dovecot/core src/lib-imap/test-imap-bodystructure.c, parse_tests[]: message, BODYSTRUCTURE, BODY.
const PIGEON = [
  "iVBORw0KGgoAAAANSUhEUgAAAB8AAAAfCAYAAAAfrhY5AAAABHNCSVQICAgIfAhkiAAAAAlwSFlz",
  "AAAGJwAABicBTVTYxwAAABl0RVh0U29mdHdhcmUAd3d3Lmlua3NjYXBlLm9yZ5vuPBoAAAN2SURB",
  "VEiJ7ZfdK7tvHMffZuWpKTlR1my3bTEPU0hJcsABh0QrKYUTJ5KyHCzlyPwBkpSyg1mUpB3ILYna",
  "lEYKcbADm4cDD7NpM2bv75HF1/az8l3fX/1+77pO7vu6rtf1/jx0X3caSeIvSfK3wP/DPykcDsNs",
  "NqOqqgpdXV3Y2NhIGVz6+4PJyUlcXFxAFEV4vV709fVBrVZDpVL9eTo/aGVlhXl5efT5fDw/P2c4",
  "HKbdbmd3dzdTIZDk6+srh4eHqdPpqNfrSZJGo5H7+/sMBoNUKpUpgUsAQCqVQq1WIxgMfgp/dXU1",
  "srKykJ+fD6/X+8ejHiu4wcFB2Gy2uJPq6uqwt7eXOjgAaLXahHCn05laeCKlyvmXVosnrVaLQCCA",
  "4uJiyOVyCIIQGyqVCoIgoKCgIDXwtLQ0HBwc4O3tDR6PB263G263G8fHx1hbW4Pb7cbNzQ1yc3Nj",
  "hxEEAdXV1WhoaEi88cfSf3h4iLXaR01MTFChUFChULCjo4M7OztxW8fn89HlcnF5eZlTU1Nsb29n",
  "W1sb/X5/3PlJwd/19vbG7e1tlpWVcXV19ftGJjk0NESbzRb33aeCy8zMhM/nSxgliUSCxsZGiKKI",
  "ra2tb9N1e3uLSCSC8fFxGAwGDAwMfC7c309TWFjI09PTpFwlis76+jo7OzspCAJNJhN3d3fpcDho",
  "tVqpUCgYCoVIkl8Krr6+Hna7HSUlJd86+yiPx4P5+XlYLBZUVFSgv78fVqsV6enpAIC7uzt4vV5E",
  "IhFIJJL4zp1OJ2traxmJRL51+fLywuXlZba2trK0tJRms5mXl5c8PT3l4uIix8bG2NbWRqVSyfLy",
  "cvb09PDw8DC2Po38eocbGRlBIBDA9PQ0pNKv3Xh2doa5uTksLCwgJycHNTU1yM3NxdHREa6vr6HR",
  "aKDX62NDp9MhIyPjyz5x4SQxOjoKURTR29sLmUyG7Oxs+P1+WCwW7O7uQiKRQKvVQq/Xo7KyMgaS",
  "y+VJpyou/F0nJydYWlqCy+XC1dUV7u/vYTQa8fT0BIfDgaWlpaRBcZVsFc/OznJsbIwkaTKZODMz",
  "k+zShEr6Arm5uYnm5mYAgCiKaGlp+ZnrZJ1Ho1EWFRXx+fmZj4+P1Gg0P3ZNJqj2dxkMhth3PBAI",
  "QCaTIRqNIhQKoamp6cc5/0d4qvXv+mn4z8B/AV1UVu6zi+zUAAAAAElFTkSuQmCC",
].join("\n");

const LOREM = [
  "Lorem ipsum dolor sit amet, consectetuer adipiscing elit. Aenean commodo",
  "ligula eget dolor. Aenean massa. Cum sociis natoque penatibus et magnis dis",
  "parturient montes, nascetur ridiculus mus. Donec quam felis, ultricies nec,",
  "pellentesque eu, pretium quis, sem. Nulla consequat massa quis enim. Donec",
  "pede justo, fringilla vel, aliquet nec, vulputate eget, arcu. In enim justo,",
  "rhoncus ut, imperdiet a, venenatis vitae, justo. Nullam dictum felis eu pede",
  "mollis pretium. Integer tincidunt. Cras dapibus. Vivamus elementum semper",
  "nisi. Aenean vulputate eleifend tellus. Aenean leo ligula, porttitor eu,",
  "consequat vitae, eleifend ac, enim. Aliquam lorem ante, dapibus in, viverra",
  "quis, feugiat a, tellus. Phasellus viverra nulla ut metus varius laoreet.",
  "Quisque rutrum. Aenean imperdiet. Etiam ultricies nisi vel augue. Curabitur",
  "ullamcorper ultricies nisi. Nam eget dui.",
].join("\n");

/** Dovecot's testmsg (also imaptest's fetch-body-mime message, with more Content-* fields). */
const TESTMSG = `From: user@domain.org
Date: Sat, 24 Mar 2007 23:00:00 +0200
Mime-Version: 1.0
Content-Type: multipart/mixed; boundary="foo
 bar"

Root MIME prologue

--foo bar
Content-Type: text/x-myown; charset=us-ascii; foo="quoted\\"string"
Content-ID: <foo@example.com>
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==
Content-Disposition: inline; foo=bar
Content-Description: hellodescription
Content-Language: en, fi, se
Content-Location: http://example.com/test.txt

hello

--foo bar
Content-Type: message/rfc822

From: sub@domain.org
To: sub-to1@domain.org, sub-to2@domain.org
Date: Sun, 12 Aug 2012 12:34:56 +0300
Subject: submsg
Content-Type: multipart/alternative; boundary="sub1"

Sub MIME prologue
--sub1
Content-Type: text/html
Content-Transfer-Encoding: 8bit

<p>Hello world</p>

--sub1
Content-Type: text/plain
Content-Transfer-Encoding: ?invalid

Hello another world

--sub1--
Sub MIME epilogue

--foo bar--
Root MIME epilogue
`;

const DOVECOT_CASES: { name: string; message: string; bodystructure: string; body: string }[] = [
  {
    name: "text/plain only",
    message:
      "From: user@domain.org\nDate: Sat, 24 Mar 2017 23:00:00 +0200\nMime-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nbody\n",
    bodystructure: '"text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL',
    body: '"text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1',
  },
  {
    name: "text/plain, 8bit",
    message:
      "From: user@domain.org\nDate: Sat, 24 Mar 2017 23:00:00 +0200\nMime-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nbody\n\n",
    bodystructure: '"text" "plain" ("charset" "utf-8") NIL NIL "8bit" 8 2 NIL NIL NIL NIL',
    body: '"text" "plain" ("charset" "utf-8") NIL NIL "8bit" 8 2',
  },
  {
    name: "multipart/mixed with a folded boundary",
    message:
      'From: user@domain.org\nDate: Sat, 24 Mar 2007 23:00:00 +0200\nMime-Version: 1.0\nContent-Type: multipart/mixed; boundary="foo\n bar"\n\n--foo bar\nContent-Type: text/x-myown; charset=us-ascii\n\nhello\n\n--foo bar--\n\n',
    bodystructure:
      '("text" "x-myown" ("charset" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL) "mixed" ("boundary" "foo bar") NIL NIL NIL',
    body: '("text" "x-myown" ("charset" "us-ascii") NIL NIL "7bit" 7 1) "mixed"',
  },
  {
    name: "message/rfc822 attached",
    message:
      'From: user@domain.org\nDate: Sat, 24 Mar 2017 23:00:00 +0200\nMime-Version: 1.0\nContent-Type: multipart/mixed; boundary="foo bar"\n\n--foo bar\nContent-Type: text/plain; charset=us-ascii\n\nSee attached...\n\n--foo bar\nContent-Type: message/rfc822\n\nFrom: user@domain.org\nDate: Sat, 24 Mar 2017 23:00:00 +0200\nMime-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nbody\n\n--foo bar--\n\n',
    bodystructure:
      '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 17 1 NIL NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 133 ("Sat, 24 Mar 2017 23:00:00 +0200" NIL ((NIL NIL "user" "domain.org")) ((NIL NIL "user" "domain.org")) ((NIL NIL "user" "domain.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL) 6 NIL NIL NIL NIL) "mixed" ("boundary" "foo bar") NIL NIL NIL',
    body: '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 17 1)("message" "rfc822" NIL NIL NIL "7bit" 133 ("Sat, 24 Mar 2017 23:00:00 +0200" NIL ((NIL NIL "user" "domain.org")) ((NIL NIL "user" "domain.org")) ((NIL NIL "user" "domain.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1) 6) "mixed"',
  },
  {
    name: "message/rfc822 attached, with Content-ID and Content-Description",
    message:
      'From: user@domain.org\nDate: Sat, 24 Mar 2017 23:00:00 +0200\nMime-Version: 1.0\nContent-Type: multipart/mixed; boundary="foo bar"\n\n--foo bar\nContent-Type: text/plain; charset=us-ascii\nContent-ID: <A.frop.example.com>\nContent-Description: Container message\n\nSee attached...\n\n--foo bar\nContent-Type: message/rfc822\nContent-ID: <B.frop.example.com>\nContent-Description: Forwarded\n\nFrom: user@domain.org\nDate: Sat, 24 Mar 2017 23:00:00 +0200\nMime-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nbody\n\n--foo bar--\n',
    bodystructure:
      '("text" "plain" ("charset" "us-ascii") "<A.frop.example.com>" "Container message" "7bit" 17 1 NIL NIL NIL NIL)("message" "rfc822" NIL "<B.frop.example.com>" "Forwarded" "7bit" 133 ("Sat, 24 Mar 2017 23:00:00 +0200" NIL ((NIL NIL "user" "domain.org")) ((NIL NIL "user" "domain.org")) ((NIL NIL "user" "domain.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL) 6 NIL NIL NIL NIL) "mixed" ("boundary" "foo bar") NIL NIL NIL',
    body: '("text" "plain" ("charset" "us-ascii") "<A.frop.example.com>" "Container message" "7bit" 17 1)("message" "rfc822" NIL "<B.frop.example.com>" "Forwarded" "7bit" 133 ("Sat, 24 Mar 2017 23:00:00 +0200" NIL ((NIL NIL "user" "domain.org")) ((NIL NIL "user" "domain.org")) ((NIL NIL "user" "domain.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1) 6) "mixed"',
  },
  {
    name: "multipart/mixed with a base64 attachment (format=flowed text, Content-Language, a disposition)",
    message: `From: user@domain.org\nDate: Sat, 24 Mar 2017 23:00:00 +0200\nMime-Version: 1.0\nContent-Type: multipart/mixed; boundary="foo bar"\n\n--foo bar\nContent-Type: text/plain; charset=us-ascii; format="flowed";\n  delsp="no"\nContent-Language: la\n\n${LOREM}\n\n--foo bar\nContent-Type: image/png\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="pigeon.png"\n\n${PIGEON}\n--foo bar--\n`,
    bodystructure:
      '("text" "plain" ("charset" "us-ascii" "format" "flowed" "delsp" "no") NIL NIL "7bit" 881 12 NIL NIL ("la") NIL)("image" "png" NIL NIL NIL "base64" 1390 NIL ("attachment" ("filename" "pigeon.png")) NIL NIL) "mixed" ("boundary" "foo bar") NIL NIL NIL',
    body: '("text" "plain" ("charset" "us-ascii" "format" "flowed" "delsp" "no") NIL NIL "7bit" 881 12)("image" "png" NIL NIL NIL "base64" 1390) "mixed"',
  },
  {
    name: "every Content-* field, message/rfc822 with multipart/alternative inside, an invalid encoding",
    message: TESTMSG,
    bodystructure:
      '("text" "x-myown" ("charset" "us-ascii" "foo" "quoted\\"string") "<foo@example.com>" "hellodescription" "7bit" 7 1 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("inline" ("foo" "bar")) ("en" "fi" "se") "http://example.com/test.txt")("message" "rfc822" NIL NIL NIL "7bit" 412 ("Sun, 12 Aug 2012 12:34:56 +0300" "submsg" ((NIL NIL "sub" "domain.org")) ((NIL NIL "sub" "domain.org")) ((NIL NIL "sub" "domain.org")) ((NIL NIL "sub-to1" "domain.org")(NIL NIL "sub-to2" "domain.org")) NIL NIL NIL NIL) (("text" "html" ("charset" "us-ascii") NIL NIL "8bit" 20 1 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 21 1 NIL NIL NIL NIL) "alternative" ("boundary" "sub1") NIL NIL NIL) 21 NIL NIL NIL NIL) "mixed" ("boundary" "foo bar") NIL NIL NIL',
    body: '("text" "x-myown" ("charset" "us-ascii" "foo" "quoted\\"string") "<foo@example.com>" "hellodescription" "7bit" 7 1)("message" "rfc822" NIL NIL NIL "7bit" 412 ("Sun, 12 Aug 2012 12:34:56 +0300" "submsg" ((NIL NIL "sub" "domain.org")) ((NIL NIL "sub" "domain.org")) ((NIL NIL "sub" "domain.org")) ((NIL NIL "sub-to1" "domain.org")(NIL NIL "sub-to2" "domain.org")) NIL NIL NIL NIL) (("text" "html" ("charset" "us-ascii") NIL NIL "8bit" 20 1)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 21 1) "alternative") 21) "mixed"',
  },
  {
    name: "a multipart with no part at all",
    message: 'Content-Type: multipart/mixed; boundary="foo"\n\n',
    bodystructure:
      '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" ("boundary" "foo") NIL NIL NIL',
    body: '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed"',
  },
];

/** imaptest's fetch-body-mime message (dovecot/imaptest src/tests/fetch-body-mime). */
const BODY_MIME = `From: user@domain.org
Date: Sat, 24 Mar 2007 23:00:00 +0200
Mime-Version: 1.0
Content-Type: multipart/mixed; boundary="foo
 bar"

Root MIME prologue

--foo bar
Content-Type: text/x-myown; charset=us-ascii

hello

--foo bar
Content-Type: message/rfc822

From: sub@domain.org
Date: Sun, 12 Aug 2012 12:34:56 +0300
Subject: submsg
Content-Type: multipart/alternative; boundary="sub1"

Sub MIME prologue
--sub1
Content-Type: text/html

<p>Hello world</p>

--sub1
Content-Type: text/plain

Hello another world

--sub1--
Sub MIME epilogue

--foo bar--
Root MIME epilogue
`;

/** Its sections as imaptest expects them (the `{{{ }}}` blocks, line ends as in the message). */
const BODY_MIME_SECTIONS: [string, string][] = [
  ["1", "hello\n"],
  ["1.MIME", "Content-Type: text/x-myown; charset=us-ascii\n\n"],
  [
    "2",
    'From: sub@domain.org\nDate: Sun, 12 Aug 2012 12:34:56 +0300\nSubject: submsg\nContent-Type: multipart/alternative; boundary="sub1"\n\nSub MIME prologue\n--sub1\nContent-Type: text/html\n\n<p>Hello world</p>\n\n--sub1\nContent-Type: text/plain\n\nHello another world\n\n--sub1--\nSub MIME epilogue\n',
  ],
  ["2.MIME", "Content-Type: message/rfc822\n\n"],
  [
    "2.HEADER",
    'From: sub@domain.org\nDate: Sun, 12 Aug 2012 12:34:56 +0300\nSubject: submsg\nContent-Type: multipart/alternative; boundary="sub1"\n\n',
  ],
  ["2.HEADER.FIELDS (from subject X-foo)", "From: sub@domain.org\nSubject: submsg\n\n"],
  [
    "2.HEADER.FIELDS.NOT (from subject X-foo)",
    'Date: Sun, 12 Aug 2012 12:34:56 +0300\nContent-Type: multipart/alternative; boundary="sub1"\n\n',
  ],
  [
    "2.TEXT",
    "Sub MIME prologue\n--sub1\nContent-Type: text/html\n\n<p>Hello world</p>\n\n--sub1\nContent-Type: text/plain\n\nHello another world\n\n--sub1--\nSub MIME epilogue\n",
  ],
  ["2.1.MIME", "Content-Type: text/html\n\n"],
  ["2.1", "<p>Hello world</p>\n"],
  ["2.2.MIME", "Content-Type: text/plain\n\n"],
  ["2.2", "Hello another world\n"],
];

describe("BODYSTRUCTURE and BODY as Dovecot writes them", () => {
  for (const c of DOVECOT_CASES) {
    it(c.name, async () => {
      const raw = crlf(c.message);
      const tree = await parseStructure(raw);
      assert.deepEqual(plain(bodyStructure(tree, true)), imap(`(${c.bodystructure})`));
      assert.deepEqual(plain(bodyStructure(tree, false)), imap(`(${c.body})`));
      // The tree is stored as JSON: the same answers from what comes back.
      const stored = JSON.parse(JSON.stringify(tree)) as MimeTree;
      assert.equal(stored.version, TREE_VERSION);
      assert.deepEqual(plain(bodyStructure(stored, true)), imap(`(${c.bodystructure})`));
    });
  }

  it("a single part on the wire, byte for byte", async () => {
    const tree = await parseStructure(crlf(DOVECOT_CASES[0]?.message ?? ""));
    assert.equal(wire(bodyStructure(tree, true)), `(${DOVECOT_CASES[0]?.bodystructure})`);
  });

  it("no Content-Type: text/plain in us-ascii; under multipart/digest: a message", async () => {
    const raw = crlf("Subject: none\n\nline one\nline two\n");
    assert.deepEqual(
      plain(bodyStructure(await parseStructure(raw), true)),
      imap('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 20 2 NIL NIL NIL NIL)'),
    );
    const invalid = crlf("Content-Type: garbage\n\nx\n");
    assert.deepEqual(
      plain(bodyStructure(await parseStructure(invalid), false)),
      imap('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)'),
    );
    const digest = crlf(
      'Content-Type: multipart/digest; boundary="d"\n\n--d\n\nFrom: a@b.fr\nSubject: one\n\nfirst\n--d\nContent-Type: text/plain\n\nnote\n--d--\n',
    );
    assert.deepEqual(
      plain(bodyStructure(await parseStructure(digest), false)),
      imap(
        '(("message" "rfc822" NIL NIL NIL "7bit" 35 (NIL "one" ((NIL NIL "a" "b.fr")) ((NIL NIL "a" "b.fr")) ((NIL NIL "a" "b.fr")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0) 3) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 0) "digest")',
      ),
    );
  });

  it("multipart/alternative and types, subtypes and parameters as sent", async () => {
    const raw = crlf(
      'Content-Type: Multipart/Alternative; Boundary="A"\n\n--A\nContent-Type: TEXT/Plain; CharSet=UTF-8\nContent-Transfer-Encoding: Quoted-Printable\n\nCaf=C3=A9\n--A\nContent-Type: text/html; charset="utf-8"\n\n<p>Caf\xc3\xa9</p>\n--A--\n',
    );
    assert.deepEqual(
      plain(bodyStructure(await parseStructure(raw), true)),
      imap(
        '(("TEXT" "Plain" ("charset" "UTF-8") NIL NIL "Quoted-Printable" 9 0 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "7bit" 12 0 NIL NIL NIL NIL) "Alternative" ("boundary" "A") NIL NIL NIL)',
      ),
    );
  });

  it("parameters in RFC 2231 form are given back in that form; encoded words are left as sent", async () => {
    const raw = crlf(
      "Content-Type: application/pdf; name=\"=?utf-8?Q?caf=C3=A9.pdf?=\"\nContent-Disposition: attachment;\n filename*0*=utf-8''caf%C3%A9;\n filename*1*=%20noir.pdf\nContent-Transfer-Encoding: base64\n\nJVBERg==\n",
    );
    assert.deepEqual(
      plain(bodyStructure(await parseStructure(raw), true)),
      imap(
        `("application" "pdf" ("name" "=?utf-8?Q?caf=C3=A9.pdf?=") NIL NIL "base64" 10 NIL ("attachment" ("filename*" "utf-8''caf%C3%A9%20noir.pdf")) NIL NIL)`,
      ),
    );
  });

  it("a missing final boundary: the last part runs to the end", async () => {
    const raw = crlf(
      'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\none\n--b\nContent-Type: text/html\n\ntwo\n',
    );
    const tree = await parseStructure(raw);
    const [one, two] = tree.root.children ?? [];
    assert.equal(raw.subarray(one?.bodyStart, one?.bodyEnd).toString(), "one");
    assert.equal(raw.subarray(two?.headerStart, two?.bodyEnd).toString(), "Content-Type: text/html\r\n\r\ntwo\r\n");
    assert.equal(two?.bodyEnd, raw.length);
  });

  it("a message with no body, and a header with no empty line cut by a delimiter", async () => {
    const raw = crlf("Subject: only a header\n");
    const tree = await parseStructure(raw);
    assert.deepEqual(
      plain(bodyStructure(tree, false)),
      imap('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)'),
    );
    assert.equal(body(raw, tree, "TEXT"), "");
    assert.equal(body(raw, tree, "HEADER"), "Subject: only a header\r\n");
    assert.equal(body(raw, tree, "1"), "");
    // The first part's header has no empty line: it is a part with an empty body, the second is part 2.
    const cut = crlf(
      'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/html\n--b\n\nbody\n--b--\n',
    );
    const t2 = await parseStructure(cut);
    assert.equal(t2.root.children?.length, 2);
    assert.equal(body(cut, t2, "1.MIME"), "Content-Type: text/html");
    assert.equal(body(cut, t2, "1"), "");
    assert.equal(body(cut, t2, "2"), "body");
    assert.equal(t2.root.children?.[0]?.type, "text");
  });

  it("8-bit header text: UTF-8 as a string, other bytes as a literal of the bytes sent", async () => {
    const raw = Buffer.concat([
      Buffer.from("Subject: Caf\xc3\xa9 cr\xc3\xa8me\r\nFrom: J\xe9r\xf4me <j@ac-lyon.fr>\r\n", "latin1"),
      Buffer.from('Content-Type: text/plain; name="r\xe9sum\xe9.txt"\r\n\r\nx\r\n', "latin1"),
    ]);
    const tree = await parseStructure(raw);
    const env = envelope(tree) as ImapOut[];
    assert.equal(env[1], "Café crème");
    // `(` 1*address `)`: the addresses are written side by side (`{ adjacent }`).
    const from = ((env[2] as ImapOut[])[0] as { adjacent: ImapOut[][] }).adjacent[0] as ImapOut[];
    assert.ok(Buffer.isBuffer(from[0]));
    assert.deepEqual(from[0], Buffer.from("J\xe9r\xf4me", "latin1"));
    const params = (bodyStructure(tree, false) as ImapOut[])[2] as ImapOut[];
    assert.deepEqual(params[1], Buffer.from("r\xe9sum\xe9.txt", "latin1"));
    // Without UTF8=ACCEPT, the writer sends it as a literal of its UTF-8 bytes.
    assert.equal(serialize(env[1] as ImapOut, { utf8: false }).toString("utf8"), "{12}\r\nCafé crème");
  });
});

describe("offsets are positions in the stored bytes", () => {
  it("every part's header and body slice back to the bytes sent, CRLF and LF only alike", async () => {
    for (const raw of [crlf(TESTMSG), lf(TESTMSG), crlf(BODY_MIME), lf(BODY_MIME)]) {
      const tree = await parseStructure(raw);
      const parts = allParts(tree.root);
      assert.equal(parts.length, 6);
      for (const p of parts) {
        assert.ok(p.headerStart <= p.bodyStart && p.bodyStart <= p.bodyEnd && p.bodyEnd <= raw.length);
        assert.equal(p.size, p.bodyEnd - p.bodyStart);
        const header = raw.subarray(p.headerStart, p.bodyStart).toString("latin1");
        assert.ok(
          header === "" || /(^|\n)\r?\n$/.test(header),
          `header ends with its empty line: ${JSON.stringify(header)}`,
        );
      }
      const eol = raw.includes("\r\n") ? "\r\n" : "\n";
      const [first, second] = tree.root.children ?? [];
      assert.equal(raw.subarray(first?.bodyStart, first?.bodyEnd).toString(), `hello${eol}`);
      assert.ok(raw.subarray(second?.bodyStart, second?.bodyEnd).toString().endsWith(`Sub MIME epilogue${eol}`));
      assert.equal(raw.subarray(tree.root.bodyEnd - 20).toString(), `${eol}Root MIME epilogue${eol}`.slice(-20));
    }
  });

  it("LF only: sizes and lines are those of the bytes stored", async () => {
    const raw = lf("Subject: lf\n\nune\ndeux\n");
    const tree = await parseStructure(raw);
    assert.deepEqual(
      plain(bodyStructure(tree, false)),
      imap('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 2)'),
    );
    assert.equal(body(raw, tree, "TEXT"), "une\ndeux\n");
    assert.equal(body(raw, tree, "HEADER.FIELDS (SUBJECT)"), "Subject: lf\n\n");
  });
});

describe("BODY[section]", () => {
  it("imaptest fetch-body-mime: part bodies, MIME headers, the message inside", async () => {
    for (const [text, expected] of BODY_MIME_SECTIONS) {
      for (const [raw, eol] of [
        [crlf(BODY_MIME), "\r\n"],
        [lf(BODY_MIME), "\n"],
      ] as const) {
        const tree = await parseStructure(raw);
        assert.equal(body(raw, tree, text), expected.replace(/\n/g, eol), `BODY[${text}]`);
      }
    }
    const raw = crlf(BODY_MIME);
    const tree = await parseStructure(raw);
    assert.equal(body(raw, tree, "TEXT"), crlf(BODY_MIME.slice(BODY_MIME.indexOf("Root MIME prologue"))).toString());
    assert.equal(section(raw, tree, spec()), raw);
    // As Dovecot resolves them, 1.1 is part 1 (a part that is not a multipart is its own part 1), and
    // 2.1.1 the first part of the message inside's first part.
    assert.equal(body(raw, tree, "1.1"), "hello\r\n");
    assert.equal(body(raw, tree, "2.1.1"), "<p>Hello world</p>\r\n");
    // Parts that do not exist: null, answered with an empty string.
    for (const text of ["3", "1.2", "1.1.1", "2.3", "2.1.2", "1.HEADER", "1.TEXT", "2.1.HEADER"]) {
      assert.equal(body(raw, tree, text), undefined, text);
    }
  });

  it("imaptest fetch-body-message-rfc822: a message that is a message/rfc822", async () => {
    const raw = crlf(
      "From: user@domain.org\nDate: Sat, 24 Mar 2007 23:00:00 +0200\nMime-Version: 1.0\nContent-Type: message/rfc822\n\nFrom: sub@domain.org\nDate: Sun, 12 Aug 2012 12:34:56 +0300\nSubject: submsg\n\nHello world\n",
    );
    const tree = await parseStructure(raw);
    const inner =
      "From: sub@domain.org\r\nDate: Sun, 12 Aug 2012 12:34:56 +0300\r\nSubject: submsg\r\n\r\nHello world\r\n";
    assert.equal(body(raw, tree, "TEXT"), inner);
    assert.equal(body(raw, tree, "1"), inner);
    assert.equal(body(raw, tree, "1.HEADER"), inner.slice(0, inner.indexOf("Hello")));
    assert.equal(
      body(raw, tree, "1.HEADER.FIELDS (from subject X-foo)"),
      "From: sub@domain.org\r\nSubject: submsg\r\n\r\n",
    );
    assert.equal(
      body(raw, tree, "1.HEADER.FIELDS.NOT (from subject X-foo)"),
      "Date: Sun, 12 Aug 2012 12:34:56 +0300\r\n\r\n",
    );
    assert.equal(body(raw, tree, "1.TEXT"), "Hello world\r\n");
    assert.equal(body(raw, tree, "1.1"), "Hello world\r\n");
  });

  it("HEADER.FIELDS: case-insensitive, folded fields as sent, in the message's order; none: the empty line", async () => {
    const raw = crlf(
      "Received: from a\n\tby b\nSubject: a long\n subject, folded\n\ttwice\nFrom: A <a@b.fr>\nsubject: second\n\nbody\n",
    );
    const tree = await parseStructure(raw);
    assert.equal(
      body(raw, tree, "HEADER.FIELDS (FROM Subject)"),
      "Subject: a long\r\n subject, folded\r\n\ttwice\r\nFrom: A <a@b.fr>\r\nsubject: second\r\n\r\n",
    );
    assert.equal(body(raw, tree, "HEADER.FIELDS.NOT (subject from)"), "Received: from a\r\n\tby b\r\n\r\n");
    // imaptest fetch-body: a field the message does not have.
    assert.equal(body(raw, tree, "HEADER.FIELDS (xyz)"), "\r\n");
    // Without a tree (the session fetches no part): the same bytes.
    assert.equal(section(raw, null, spec(atom("HEADER.FIELDS"), list("FROM")))?.toString(), "From: A <a@b.fr>\r\n\r\n");
    assert.equal(section(raw, null, spec(atom("TEXT")))?.toString(), "body\r\n");
  });

  it("partials: <offset.length> of any section, an empty string past its end", async () => {
    const raw = crlf(BODY_MIME);
    const tree = await parseStructure(raw);
    const text = section(raw, tree, spec(atom("2.1"))) ?? Buffer.alloc(0);
    assert.equal(partial(text, 0, 3).toString(), "<p>");
    assert.equal(partial(text, 3, 5).toString(), "Hello");
    assert.equal(partial(text, 15, 100).toString(), "/p>\r\n");
    assert.equal(partial(text, 20, 1).length, 0);
    assert.equal(partial(text, 1000, 1).length, 0);
    assert.equal(partial(raw, 0, 4).toString(), "From");
  });

  it("parseSectionSpec: what the reader gives, and what is refused", () => {
    assert.deepEqual(spec(), { part: [], kind: "", fields: [] });
    assert.deepEqual(spec(atom("1.2.text")), { part: [1, 2], kind: "TEXT", fields: [] });
    assert.deepEqual(
      spec(atom("header.fields.not"), {
        type: "list",
        items: [atom("From"), { type: "string", value: Buffer.from("X-Spam"), literal: false }],
      }),
      {
        part: [],
        kind: "HEADER.FIELDS.NOT",
        fields: ["from", "x-spam"],
      },
    );
    assert.deepEqual(spec(atom("3.MIME")), { part: [3], kind: "MIME", fields: [] });
    const bad: ImapToken[][] = [
      [atom("MIME")],
      [atom("0")],
      [atom("01")],
      [atom("1.")],
      [atom("1..2")],
      [atom("1TEXT")],
      [atom("BODY")],
      [atom("HEADER.FIELDS")],
      [atom("HEADER.FIELDS"), { type: "list", items: [] }],
      [atom("HEADER.FIELDS"), list("a:b")],
      [atom("TEXT"), list("FROM")],
      [atom("HEADER"), list("FROM"), atom("X")],
      [{ type: "list", items: [] }],
    ];
    for (const tokens of bad) assert.equal(typeof parseSectionSpec(tokens), "string", JSON.stringify(tokens));
  });
});

describe("BINARY", () => {
  it("base64 and quoted-printable undone; sizes; an unknown encoding is said so", async () => {
    const raw = crlf(
      `Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: image/png\nContent-Transfer-Encoding: BASE64\n\n${PIGEON}\n--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nCaf=C3=A9 =\nnoir=0D=0A\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n--b--\n`,
    );
    const tree = await parseStructure(raw);
    const png = binarySection(raw, tree, spec(atom("1")));
    assert.ok(Buffer.isBuffer(png));
    assert.deepEqual(png, Buffer.from(PIGEON.replace(/\n/g, ""), "base64"));
    assert.equal(png.subarray(1, 4).toString(), "PNG");
    assert.equal(binarySize(raw, tree, spec(atom("1"))), png.length);
    assert.equal(binarySection(raw, tree, spec(atom("2")))?.toString(), "Café noir\r\n");
    assert.equal(binarySize(raw, tree, spec(atom("2"))), 12);
    assert.equal(binarySection(raw, tree, spec(atom("3"))), "unknown-cte");
    assert.equal(binarySize(raw, tree, spec(atom("3"))), "unknown-cte");
    assert.equal(binarySection(raw, tree, spec(atom("4"))), null);
    assert.equal(binarySection(raw, tree, spec()), raw);
  });

  it("imaptest fetch-binary-mime: nothing to undo, the sizes of BODY[]", async () => {
    const raw = crlf(BODY_MIME);
    const tree = await parseStructure(raw);
    const sizes: [string, number][] = [
      ["", 602],
      ["TEXT", 466],
      ["1", 7],
      ["1.MIME", 48],
      ["2", 298],
      ["2.MIME", 32],
      ["2.HEADER", 134],
      ["2.TEXT", 164],
      ["2.1.MIME", 27],
      ["2.1", 20],
      ["2.2.MIME", 28],
      ["2.2", 21],
    ];
    for (const [text, size] of sizes) {
      assert.equal(binarySize(raw, tree, spec(...(text === "" ? [] : [atom(text)]))), size, `BINARY.SIZE[${text}]`);
    }
    assert.equal(binarySize(raw, tree, spec(atom("2.HEADER.FIELDS"), list("from", "subject", "x-foo"))), 41);
    assert.equal(binarySize(raw, tree, spec(atom("2.HEADER.FIELDS.NOT"), list("from", "subject", "x-foo"))), 95);
  });
});

describe("ENVELOPE", () => {
  // dovecot/core src/lib-imap/test-imap-envelope.c (from imaptest src/tests/fetch-envelope).
  const cases: [string, string][] = [
    [
      "Message-ID: <msg@id>\nIn-Reply-To: <reply@to.id>\nDate: Thu, 15 Feb 2007 01:02:03 +0200\nSubject: subject header\nFrom: From Real <fromuser@fromdomain.org>\nTo: To Real <touser@todomain.org>\nCc: Cc Real <ccuser@ccdomain.org>\nBcc: Bcc Real <bccuser@bccdomain.org>\nSender: Sender Real <senderuser@senderdomain.org>\nReply-To: ReplyTo Real <replytouser@replytodomain.org>\n\nbody\n",
      '"Thu, 15 Feb 2007 01:02:03 +0200" "subject header" (("From Real" NIL "fromuser" "fromdomain.org")) (("Sender Real" NIL "senderuser" "senderdomain.org")) (("ReplyTo Real" NIL "replytouser" "replytodomain.org")) (("To Real" NIL "touser" "todomain.org")) (("Cc Real" NIL "ccuser" "ccdomain.org")) (("Bcc Real" NIL "bccuser" "bccdomain.org")) "<reply@to.id>" "<msg@id>"',
    ],
    [
      "Date: Thu, 15 Feb 2007 01:02:03 +0200\nFrom: user@domain\n\nbody\n",
      '"Thu, 15 Feb 2007 01:02:03 +0200" NIL ((NIL NIL "user" "domain")) ((NIL NIL "user" "domain")) ((NIL NIL "user" "domain")) NIL NIL NIL NIL NIL',
    ],
    [
      "Date: Thu, 15 Feb 2007 01:02:03 +0200\nFrom: user@domain (Real Name)\nTo: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\nCc: group:;, group2: (foo) ;\n\nbody\n",
      '"Thu, 15 Feb 2007 01:02:03 +0200" NIL (("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) ((NIL NIL "group" NIL)(NIL NIL "g1" "d1.org")(NIL NIL "g2" "d2.org")(NIL NIL NIL NIL)(NIL NIL "group2" NIL)(NIL NIL "g3" "d3.org")(NIL NIL NIL NIL)) ((NIL NIL "group" NIL)(NIL NIL NIL NIL)(NIL NIL "group2" NIL)(NIL NIL NIL NIL)) NIL NIL NIL',
    ],
    [
      "Date: Thu, 15 Feb 2007 01:02:03 +0200\nFrom: user@domain (Real Name)\nSender: \nReply-To: \n\nbody\n",
      '"Thu, 15 Feb 2007 01:02:03 +0200" NIL (("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) NIL NIL NIL NIL NIL',
    ],
  ];
  it("Dovecot's envelope tests: every field, comments as names, groups, an empty Sender and Reply-To", async () => {
    for (const [message, expected] of cases) {
      for (const raw of [crlf(message), lf(message)]) {
        assert.deepEqual(plain(envelope(raw)), imap(`(${expected})`));
        assert.deepEqual(plain(envelope(await parseStructure(raw))), imap(`(${expected})`));
      }
    }
  });

  it("encoded words and folding as sent; a mailbox with no domain never looks like a group", () => {
    const raw = crlf(
      'Subject: =?utf-8?Q?R=C3=A9union?=\n =?utf-8?Q?_du_lundi?=\nFrom: =?utf-8?Q?Ren=C3=A9e?= <renee@ac-lyon.fr>\nTo: root\nCc: "Doe, J." <"j doe"@x.fr>\n\n',
    );
    assert.deepEqual(
      plain(envelope(raw)),
      imap(
        '(NIL "=?utf-8?Q?R=C3=A9union?= =?utf-8?Q?_du_lundi?=" (("=?utf-8?Q?Ren=C3=A9e?=" NIL "renee" "ac-lyon.fr")) (("=?utf-8?Q?Ren=C3=A9e?=" NIL "renee" "ac-lyon.fr")) (("=?utf-8?Q?Ren=C3=A9e?=" NIL "renee" "ac-lyon.fr")) ((NIL NIL "root" "MISSING_DOMAIN")) (("Doe, J." NIL "j doe" "x.fr")) NIL NIL NIL)',
      ),
    );
  });
});

describe("limits", () => {
  it(`nesting stops at depth ${MAX_DEPTH}: the part there is opaque, nothing overflows`, async () => {
    const levels = 60;
    const raw = Buffer.from(
      Array.from(
        { length: levels },
        (_, i) => `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`,
      ).join("") +
        "Content-Type: text/plain\r\n\r\nfond\r\n" +
        Array.from({ length: levels }, (_, i) => `--b${levels - 1 - i}--\r\n`).join(""),
    );
    const tree = await parseStructure(raw);
    let p: MimePart = tree.root;
    let depth = 0;
    while (p.children?.[0]) {
      p = p.children[0];
      depth++;
    }
    assert.equal(depth, MAX_DEPTH);
    assert.equal(p.truncated, true);
    assert.equal(p.subtype, "mixed");
    // Its body is all that is inside it, bytes as stored.
    const deepest = section(raw, tree, spec(atom(Array(MAX_DEPTH).fill("1").join(".")))) ?? Buffer.alloc(0);
    assert.ok(deepest.toString().startsWith(`--b${MAX_DEPTH}\r\n`));
    assert.ok(deepest.toString().includes("fond"));
    assert.equal(JSON.parse(JSON.stringify(tree)).version, TREE_VERSION);
    const shown = wire(bodyStructure(tree, true));
    assert.equal(shown.match(/"mixed"/g)?.length, MAX_DEPTH + 1);
    // 50 levels exactly (the limit) are all described, down to the text.
    const fifty = Buffer.from(
      Array.from({ length: 50 }, (_, i) => `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`).join(
        "",
      ) +
        "Content-Type: text/plain\r\n\r\nfond\r\n" +
        Array.from({ length: 50 }, (_, i) => `--b${49 - i}--\r\n`).join(""),
    );
    const t50 = await parseStructure(fifty);
    assert.equal(section(fifty, t50, spec(atom(Array(51).fill("1").join("."))))?.toString(), "fond");
  });

  it("thousands of levels or parts: an opaque message, quickly", async () => {
    const levels = 5000;
    const raw = Buffer.from(
      Array.from(
        { length: levels },
        (_, i) => `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`,
      ).join(""),
    );
    const start = performance.now();
    const tree = await parseStructure(raw);
    assert.ok(performance.now() - start < 2_000, `${Math.round(performance.now() - start)} ms`);
    assert.equal(tree.root.truncated, true);
    assert.deepEqual(tree.root.children, []);
    assert.equal(body(raw, tree, "TEXT"), raw.subarray(tree.root.bodyStart).toString());
    const many = Buffer.from(
      `Content-Type: multipart/mixed; boundary="m"\r\n\r\n${"--m\r\n\r\nx\r\n".repeat(3000)}--m--\r\n`,
    );
    const t2 = await parseStructure(many);
    assert.equal(t2.root.truncated, true);
  });

  it("messages inside messages are described down to the limit", async () => {
    let raw = "Subject: inner\r\n\r\ncore\r\n";
    for (let i = 0; i < 60; i++) raw = `Subject: level ${i}\r\nContent-Type: message/rfc822\r\n\r\n${raw}`;
    const bytes = Buffer.from(raw);
    const tree = await parseStructure(bytes);
    let p: MimePart = tree.root;
    let depth = 0;
    while (p.message) {
      p = p.message;
      depth++;
    }
    assert.equal(depth, MAX_DEPTH);
    assert.equal(p.truncated, true);
    assert.ok(Array.isArray(bodyStructure(tree, true)));
  });

  it("a 25 MB attachment: split in well under a second, offsets exact", async () => {
    const head =
      'From: a@ac-lyon.fr\r\nContent-Type: multipart/mixed; boundary="Z"\r\n\r\n--Z\r\nContent-Type: text/plain\r\n\r\nci-joint\r\n--Z\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n';
    const data = Buffer.alloc(25 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4096) data[i] = i % 251;
    const encoded = data.toString("base64").replace(/.{76}/g, "$&\r\n");
    const raw = Buffer.concat([Buffer.from(head), Buffer.from(encoded), Buffer.from("\r\n--Z--\r\n")]);
    const start = performance.now();
    const tree = await parseStructure(raw);
    const elapsed = performance.now() - start;
    assert.ok(elapsed < 1_000, `${Math.round(elapsed)} ms`);
    const attachment = tree.root.children?.[1];
    assert.equal(attachment?.bodyStart, head.length);
    assert.equal(attachment?.bodyEnd, raw.length - "\r\n--Z--\r\n".length);
    assert.equal(binarySize(raw, tree, spec(atom("2"))), data.length);
  });
});
