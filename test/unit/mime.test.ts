/**
 * Reading MIME, bounded: what the store keeps of a message (readForStorage), what the reading view
 * shows (readForDisplay), and the small text rules beside them (cleanHeaderText, safeFilename,
 * foldText). Messages are written here byte for byte, as they arrive.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  cleanHeaderText,
  foldText,
  previewOf,
  readForDisplay,
  readForStorage,
  safeFilename,
} from "../../src/mail/mime.js";
import { isDomainError } from "../../src/shared/errors.js";

/** A message from its lines, joined with CRLF. */
const mail = (...lines: string[]) => Buffer.from(lines.join("\r\n"), "utf8");
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** A message with an inline image (multipart/related), a named PDF and an unnamed PNG attached. */
const WITH_PARTS = mail(
  "From: a@example.org",
  "To: b@ac-lyon.fr",
  "Subject: Pièces jointes",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="B"',
  "",
  "--B",
  'Content-Type: multipart/related; boundary="R"',
  "",
  "--R",
  "Content-Type: text/html; charset=utf-8",
  "",
  '<p>Bonjour <img src="cid:logo"></p>',
  "--R",
  "Content-Type: image/png",
  "Content-ID: <logo>",
  "Content-Transfer-Encoding: base64",
  "",
  "iVBORw0KGgo=",
  "--R--",
  "--B",
  'Content-Type: application/pdf; name="../../etc/rapport.pdf"',
  'Content-Disposition: attachment; filename="../../etc/rapport.pdf"',
  "Content-Transfer-Encoding: base64",
  "",
  "JVBERi0xLjQ=",
  "--B",
  "Content-Type: IMAGE/PNG",
  "Content-Disposition: attachment",
  "Content-Transfer-Encoding: base64",
  "",
  "iVBORw0KGgo=",
  "--B--",
  "",
);

describe("readForStorage", () => {
  it("keeps the envelope-level headers, decoded, with the preview and the text to index", async () => {
    const stored = await readForStorage(
      mail(
        "From: =?ISO-8859-1?Q?Andr=E9_Malraux?= <Andre.Malraux@Example.org>",
        "To: Lucie Aubrac <lucie.aubrac@ac-lyon.fr>, jean@ac-lyon.fr",
        "Cc: Equipe: a@example.org, b@example.org;",
        `Subject: =?UTF-8?B?${b64("Conseil d'été")}?=`,
        "Message-ID: <conseil@example.org>",
        "In-Reply-To: <ordre-du-jour@example.org>",
        "References: <r1@example.org>",
        " <ordre-du-jour@example.org>",
        "Date: Tue, 1 Sep 2026 09:00:00 +0200",
        "",
        "Bonjour à tous.",
      ),
    );
    assert.deepEqual(stored, {
      messageId: "<conseil@example.org>",
      inReplyTo: "<ordre-du-jour@example.org>",
      references: ["<r1@example.org>", "<ordre-du-jour@example.org>"],
      from: { name: "André Malraux", address: "Andre.Malraux@Example.org" },
      toText: "Lucie Aubrac <lucie.aubrac@ac-lyon.fr>, jean@ac-lyon.fr",
      // The Cc group's members follow To, the group's name gone.
      recipientsText: "Lucie Aubrac <lucie.aubrac@ac-lyon.fr>, jean@ac-lyon.fr, a@example.org, b@example.org",
      subject: "Conseil d'été",
      date: new Date("2026-09-01T07:00:00.000Z"),
      hasAttachments: false,
      preview: "Bonjour à tous.",
      indexText: "Bonjour à tous. ",
    });
  });

  it("a message without headers: no sender, no date, no ids, empty texts", async () => {
    for (const raw of [mail("X-Rien: 1", "", "juste un corps"), Buffer.alloc(0)]) {
      const stored = await readForStorage(raw);
      assert.equal(stored.messageId, null);
      assert.equal(stored.inReplyTo, null);
      assert.deepEqual(stored.references, []);
      assert.equal(stored.from, null);
      assert.equal(stored.toText, "");
      assert.equal(stored.recipientsText, "");
      assert.equal(stored.subject, "");
      assert.equal(stored.date, null);
      assert.equal(stored.hasAttachments, false);
    }
  });

  it("joins encoded words, and bounds a long subject to 998 characters on one line", async () => {
    const words = await readForStorage(mail("Subject: =?UTF-8?Q?=C3=A9t=C3=A9?= =?UTF-8?Q?_2026?=", "", "x"));
    assert.equal(words.subject, "été 2026");
    const long = await readForStorage(mail(`Subject: ${"Réunion ".repeat(120)}`, `  ${"suite ".repeat(100)}`, "", "x"));
    assert.equal(long.subject.length, 998);
    assert.ok(long.subject.startsWith("Réunion Réunion"));
    assert.doesNotMatch(long.subject, /[\r\n\t]| {2}/);
  });

  it("takes control, bidirectional and zero-width characters out of the subject and the names", async () => {
    const stored = await readForStorage(
      mail(
        `From: =?UTF-8?B?${b64("Service\u200b Paie\u202e")}?= <paie@example.org>`,
        `Subject: =?UTF-8?B?${b64("Facture\u202egpj.exe\u0007\u0000 jointe")}?=`,
        "",
        "x",
      ),
    );
    assert.equal(stored.subject, "Facturegpj.exe jointe");
    assert.deepEqual(stored.from, { name: "Service Paie", address: "paie@example.org" });
  });

  it("keeps at most the last 50 references, and a message id without brackets gets them", async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `<r${i}@example.org>`);
    const stored = await readForStorage(mail(`References: ${ids.join(" ")}`, "Message-ID: nu@example.org", "", "x"));
    assert.deepEqual(stored.references, ids.slice(-50));
    assert.equal(stored.messageId, "<nu@example.org>");
  });

  it("the preview: no quoted lines, whitespace collapsed, 160 characters at most", async () => {
    const quoted = await readForStorage(
      mail("Subject: x", "", "Bonjour,", "> Le 1er septembre, Jean a écrit :", ">> ancien", "oui,    d'accord."),
    );
    assert.doesNotMatch(quoted.preview, /écrit|ancien|>/);
    assert.match(quoted.preview, /^Bonjour,.*oui, d'accord\.$/);
    assert.match(quoted.indexText, /Jean a écrit/);
    const long = await readForStorage(mail("Subject: x", "", "mot ".repeat(200)));
    assert.equal(long.preview.length, 160);
  });

  it("the preview of a long body, read a window at a time, is the preview of the whole body", () => {
    const whole = (text: string) => cleanHeaderText(text.replace(/^>.*$/gm, ""), 160);
    const quote = "> une ligne citée de la conversation précédente, assez longue\r\n";
    const bodies = [
      // The reply after thousands of characters of quoted lines (past the first windows).
      `${quote.repeat(400)}Ma réponse vient après la citation.\r\n${"suite ".repeat(100)}`,
      // A run of blank lines and spaces across the windows' edges, then the words.
      `Bonjour,${"\r\n".repeat(700)}${" ".repeat(9000)}la suite, enfin.`,
      // Short bodies, quoted only, empty.
      "Oui.",
      quote.repeat(3000),
      "",
      // Words up to the edge of the first window, a quoted line straddling it.
      `${"x".repeat(1279)}\n> citée\n${"mot ".repeat(50)}`,
    ];
    for (const body of bodies) assert.equal(previewOf(body), whole(body));
    assert.equal(previewOf(bodies[0] as string).slice(0, 35), "Ma réponse vient après la citation.");
  });

  it("indexes at most 64 KiB of text, then the listed attachments' names", async () => {
    const big = await readForStorage(mail("Subject: x", "", `${"a".repeat(70_000)}`));
    assert.equal(big.indexText, `${"a".repeat(64 * 1024)} `);
    const parts = await readForStorage(WITH_PARTS);
    assert.equal(parts.hasAttachments, true);
    // The inline image is part of the HTML, not an attachment; the others are, with safe names.
    assert.ok(parts.indexText.endsWith(" rapport.pdf piece-jointe-2.png"), parts.indexText);
  });

  it("an image shown inside the HTML only is no attachment", async () => {
    const related = mail(
      "Subject: logo",
      'Content-Type: multipart/related; boundary="R"',
      "",
      "--R",
      "Content-Type: text/html",
      "",
      '<img src="cid:logo">',
      "--R",
      "Content-Type: image/png",
      "Content-ID: <logo>",
      "Content-Transfer-Encoding: base64",
      "",
      "iVBORw0KGgo=",
      "--R--",
      "",
    );
    assert.equal((await readForStorage(related)).hasAttachments, false);
  });

  it("a message it cannot read within the time limit is MESSAGE_MALFORMED", async () => {
    const big = mail("Subject: long", "", ...Array.from({ length: 20_000 }, () => "une ligne de texte assez longue"));
    await assert.rejects(readForStorage(big, 1), (error) => isDomainError(error, "MESSAGE_MALFORMED"));
    await assert.rejects(readForDisplay(big, 1), (error) => isDomainError(error, "MESSAGE_MALFORMED"));
  });
});

describe("readForDisplay", () => {
  it("gives the recipients (groups flattened), the reply address and the bodies", async () => {
    const shown = await readForDisplay(
      mail(
        "From: a@example.org",
        "To: Équipe: t1@example.org, T2 <t2@example.org>;",
        "Cc: c@example.org",
        "Reply-To: Secrétariat <secretariat@example.org>",
        "Subject: x",
        "",
        "Le texte.",
      ),
    );
    assert.deepEqual(shown.toList, [
      { name: "", address: "t1@example.org" },
      { name: "T2", address: "t2@example.org" },
    ]);
    assert.deepEqual(shown.ccList, [{ name: "", address: "c@example.org" }]);
    assert.deepEqual(shown.replyTo, [{ name: "Secrétariat", address: "secretariat@example.org" }]);
    assert.equal(shown.text, "Le texte.");
    assert.equal(shown.html, null);
    assert.deepEqual(shown.attachments, []);
  });

  it("an HTML body of blanks is no HTML body", async () => {
    const shown = await readForDisplay(mail("Content-Type: text/html; charset=utf-8", "", "   ", "  "));
    assert.equal(shown.html, null);
  });

  it("lists every part, inline ones marked, with safe names, lower-case types and sizes", async () => {
    const shown = await readForDisplay(WITH_PARTS);
    // The inline image becomes a data: URL inside the HTML.
    assert.match(shown.html ?? "", /<img src="data:image\/png;base64,iVBORw0KGgo=">/);
    assert.deepEqual(
      shown.attachments.map(({ content, ...a }) => ({ ...a, bytes: content.length })),
      [
        { index: 0, filename: "piece-jointe-1.png", contentType: "image/png", sizeBytes: 8, inline: true, bytes: 8 },
        { index: 1, filename: "rapport.pdf", contentType: "application/pdf", sizeBytes: 8, inline: false, bytes: 8 },
        { index: 2, filename: "piece-jointe-2.png", contentType: "image/png", sizeBytes: 8, inline: false, bytes: 8 },
      ],
    );
    assert.equal(shown.attachments[1]?.content.toString("latin1"), "%PDF-1.4");
  });
});

describe("cleanHeaderText", () => {
  it("takes out control, bidi and zero-width characters, collapses whitespace, trims", () => {
    assert.equal(cleanHeaderText("\u0000a\tb\u200b\u202ec\u2066d\u2069\ufeffe\u007f\u0085f  \u00a0 g "), "a bcdef g");
    assert.equal(cleanHeaderText("  Réunion   de\trentrée  "), "Réunion de rentrée");
    assert.equal(cleanHeaderText(""), "");
    // A line break separates words, as in the list's preview of a message.
    assert.equal(cleanHeaderText("Bonjour,\r\nM. Leroux\nvoici\rle"), "Bonjour, M. Leroux voici le");
    assert.equal(cleanHeaderText("\u202e\u200b"), "");
  });

  it("bounds the result: 998 characters by default, or the limit given", () => {
    assert.equal(cleanHeaderText("x".repeat(2000)).length, 998);
    assert.equal(cleanHeaderText("abcdef", 3), "abc");
    // Bounded after cleaning: removed characters do not count.
    assert.equal(cleanHeaderText(`${"\u200b".repeat(10)}abcdef`, 3), "abc");
  });
});

describe("safeFilename", () => {
  it("keeps the last path component, without control or reserved characters nor leading dots", () => {
    assert.equal(safeFilename("../../etc/passwd", 0, "text/plain"), "passwd");
    assert.equal(safeFilename("C:\\Users\\x\\note.txt", 0, "text/plain"), "note.txt");
    assert.equal(safeFilename("..cache", 0, "text/plain"), "cache");
    assert.equal(safeFilename('a<b>c:"d|e?f*.txt', 0, "text/plain"), "a_b_c__d_e_f_.txt");
    assert.equal(safeFilename("facture\u202efdp.exe", 0, "application/octet-stream"), "facturefdp.exe");
  });

  it("bounds a long name to 150 characters and keeps its extension", () => {
    const name = safeFilename(`${"n".repeat(300)}.pdf`, 0, "application/pdf");
    assert.equal(name.length, 150);
    assert.ok(name.endsWith("n.pdf"));
  });

  it("is never empty: a numbered name, with the image type's extension", () => {
    assert.equal(safeFilename(undefined, 0, "application/pdf"), "piece-jointe-1");
    assert.equal(safeFilename("", 2, "image/png"), "piece-jointe-3.png");
    assert.equal(safeFilename("../", 0, "image/svg+xml"), "piece-jointe-1.svgxml");
  });
});

describe("foldText", () => {
  it("folds accents and case for search, and keeps letters without a decomposition", () => {
    assert.equal(foldText("Élève CAFÉ naïve Noël"), "eleve cafe naive noel");
    assert.equal(foldText("Œuvre"), "œuvre");
    assert.equal(foldText("e\u0301te\u0301"), "ete");
    assert.equal(foldText(""), "");
  });
});
