/**
 * « Télécharger tout » (`/mail/messages/:id/pieces-jointes/tout`), on SQLite and PostgreSQL: the
 * attachments the reading view lists, as one ZIP file read back by Python's `zipfile` (not by the
 * library that wrote it): accented names flagged UTF-8, no folder parts, duplicates numbered, a name
 * for a nameless attachment, every byte as sent, compressed formats stored and the rest deflated;
 * the download's headers; a 404 for another account's message and for one without attachments;
 * the sign-in rules of the other mailbox pages.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import type Mail from "nodemailer/lib/mailer/index.js";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { nextMailboxIp, signedInClient, testApp, WebClient } from "../helpers/web.js";

/** Delivers one message built by Nodemailer to the account; its id. */
async function deliver(services: Services, account: Account, options: Mail.Options): Promise<number> {
  const recipient = await services.mail.checkRecipient(account.address);
  const raw = await new MailComposer({
    from: "Claire Fontaine <claire.fontaine@exemple.fr>",
    to: account.address,
    ...options,
  })
    .compile()
    .build();
  const [id] = (await services.mail.deliver(raw, [recipient])).messageIds;
  assert.ok(id);
  return id;
}

interface ZipEntry {
  readonly name: string;
  readonly utf8: boolean;
  /** 0 stored, 8 deflated. */
  readonly method: number;
  readonly content: Buffer;
}

/** Python's zipfile module reads the archive: every entry's name, UTF-8 flag, method and bytes (CRC checked). */
const READ_ZIP = `
import base64, io, json, sys, zipfile
with zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())) as z:
    assert z.testzip() is None, "a CRC does not match"
    print(json.dumps([
        {"name": i.filename, "utf8": bool(i.flag_bits & 0x800), "method": i.compress_type,
         "content": base64.b64encode(z.read(i)).decode()}
        for i in z.infolist()
    ]))
`;

function readZip(bytes: Buffer): ZipEntry[] {
  const out = execFileSync("python3", ["-c", READ_ZIP], { input: bytes, maxBuffer: 64 * 1024 * 1024 });
  const entries = JSON.parse(out.toString("utf8")) as {
    name: string;
    utf8: boolean;
    method: number;
    content: string;
  }[];
  return entries.map((e) => ({ ...e, content: Buffer.from(e.content, "base64") }));
}

/** The `<main>` of a page (the rest holds the session's own tokens). */
function mainOf(html: string): string {
  return /<main[^>]*>[\s\S]*?<\/main>/.exec(html)?.[0] ?? html;
}

for (const dialect of DIALECTS) {
  describe(`« Télécharger tout »: a message's attachments as one ZIP file (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    before(async () => {
      ctx = await openTestServices(dialect);
      services = ctx.services;
      app = await testApp(services);
    });
    after(async () => {
      await app?.close();
      await ctx?.close();
    });

    it("holds every listed attachment, byte for byte, under safe unique UTF-8 names", async () => {
      const { account, c } = await signedInClient(services, app);
      const pdf = Buffer.from("%PDF-1.4\n% compte rendu\n");
      const notes = Buffer.from("Première note de la réunion, à relire.\n".repeat(2000));
      const photo = randomBytes(1536 * 1024); // several chunks, and more than a socket buffer
      const id = await deliver(services, account, {
        subject: "Réunion parents/professeurs : documents",
        html: '<p>Bonjour,</p><p><img src="cid:logo@exemple.fr" alt="logo"></p>',
        attachments: [
          { filename: "Compte rendu élèves.pdf", content: pdf, contentType: "application/pdf" },
          { filename: "notes.txt", content: notes, contentType: "text/plain; charset=utf-8" },
          { filename: "notes.txt", content: Buffer.from("seconde"), contentType: "text/plain" },
          { filename: "Notes.txt", content: Buffer.from("troisième"), contentType: "text/plain" },
          { filename: false as unknown as string, content: Buffer.from("sans nom") }, // no name at all
          { filename: "../../etc/passwd", content: Buffer.from("chemin"), contentType: "text/plain" },
          { filename: "photo.jpg", content: photo, contentType: "image/jpeg" },
          // Shown inside the HTML body, not listed: not in the archive.
          { filename: "logo.png", content: Buffer.from("png"), contentType: "image/png", cid: "logo@exemple.fr" },
        ],
      });

      const res = await c.get(`/mail/messages/${id}/pieces-jointes/tout`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers["content-type"], "application/zip");
      assert.equal(
        res.headers["content-disposition"],
        `attachment; filename="Reunion parents-professeurs _ documents.zip"; ` +
          `filename*=UTF-8''R%C3%A9union%20parents-professeurs%20_%20documents.zip`,
      );
      assert.equal(res.headers["cache-control"], "private, no-store");
      assert.equal(res.headers["x-content-type-options"], "nosniff");
      assert.equal(res.headers["content-security-policy"], "default-src 'none'; sandbox; frame-ancestors 'none'");

      const entries = readZip(res.rawPayload);
      assert.deepEqual(
        entries.map((e) => e.name),
        [
          "Compte rendu élèves.pdf",
          "notes.txt",
          "notes (2).txt",
          "Notes (3).txt",
          "piece-jointe-5",
          "passwd",
          "photo.jpg",
        ],
      );
      assert.ok(
        entries.every((e) => e.utf8),
        "every name flagged UTF-8",
      );
      const contents = [pdf, notes, "seconde", "troisième", "sans nom", "chemin", photo].map((c) => Buffer.from(c));
      entries.forEach((entry, i) => {
        assert.ok(entry.content.equals(contents[i] ?? Buffer.alloc(0)), `bytes of ${entry.name}`);
      });
      // Compressed formats stored as they are, text deflated.
      assert.deepEqual(
        entries.map((e) => e.method),
        [0, 8, 8, 8, 8, 8, 0],
      );
      assert.ok(res.rawPayload.length < pdf.length + notes.length / 4 + photo.length + 4096, "the text was deflated");

      // The one-attachment download is still answered beside it.
      const one = await c.get(`/mail/messages/${id}/pieces-jointes/0`);
      assert.equal(one.statusCode, 200);
      assert.match(String(one.headers["content-type"]), /^image\/png/);
    });

    it("is named « pieces-jointes.zip » when the subject gives no name", async () => {
      const { account, c } = await signedInClient(services, app);
      for (const subject of ["", " ... ", "\u202e\u200b"]) {
        const id = await deliver(services, account, {
          subject,
          text: "Ci-joint",
          attachments: [{ filename: "tableau.csv", content: "a;b\n1;2\n", contentType: "text/csv" }],
        });
        const res = await c.get(`/mail/messages/${id}/pieces-jointes/tout`);
        assert.equal(res.statusCode, 200, JSON.stringify(subject));
        assert.equal(
          res.headers["content-disposition"],
          `attachment; filename="pieces-jointes.zip"; filename*=UTF-8''pieces-jointes.zip`,
          JSON.stringify(subject),
        );
        const [entry, ...rest] = readZip(res.rawPayload);
        assert.equal(rest.length, 0);
        assert.equal(entry?.name, "tableau.csv");
        assert.equal(entry?.content.toString(), "a;b\n1;2\n");
      }
    });

    it("another account's message, one without attachments, an unknown id: the same 404", async () => {
      const owner = await signedInClient(services, app);
      const other = await signedInClient(services, app);
      const withFiles = await deliver(services, owner.account, {
        subject: "Privé",
        text: "secret",
        attachments: [{ filename: "secret.txt", content: "confidentiel" }],
      });
      const textOnly = await deliver(services, owner.account, { subject: "Texte", text: "rien de joint" });
      const inlineOnly = await deliver(services, owner.account, {
        subject: "Image dans le texte",
        html: '<p><img src="cid:img@exemple.fr" alt=""></p>',
        attachments: [{ filename: "img.png", content: "png", contentType: "image/png", cid: "img@exemple.fr" }],
      });

      const theirs = await other.c.get(`/mail/messages/${withFiles}/pieces-jointes/tout`);
      const missing = await owner.c.get("/mail/messages/999999999/pieces-jointes/tout");
      assert.equal(theirs.statusCode, 404);
      assert.equal(missing.statusCode, 404);
      assert.equal(mainOf(theirs.body), mainOf(missing.body), "the same page as a message that does not exist");
      assert.doesNotMatch(theirs.body, /confidentiel|secret\.txt/);
      for (const url of [
        `/mail/messages/${textOnly}/pieces-jointes/tout`,
        `/mail/messages/${inlineOnly}/pieces-jointes/tout`,
        "/mail/messages/abc/pieces-jointes/tout",
        "/mail/messages/0/pieces-jointes/tout",
      ]) {
        const res = await owner.c.get(url);
        assert.equal(res.statusCode, 404, url);
        assert.notEqual(res.headers["content-type"], "application/zip", url);
      }
      // The owner does get it.
      const mine = await owner.c.get(`/mail/messages/${withFiles}/pieces-jointes/tout`);
      assert.equal(mine.statusCode, 200);
      assert.equal(readZip(mine.rawPayload)[0]?.content.toString(), "confidentiel");
    });

    it("keeps the sign-in rules: no session → /, an expired one → /?expire", async () => {
      const { account } = await signedInClient(services, app);
      const id = await deliver(services, account, {
        subject: "Documents",
        text: "Ci-joint",
        attachments: [{ filename: "a.txt", content: "x" }],
      });
      const anonymous = new WebClient(app, nextMailboxIp());
      const res = await anonymous.get(`/mail/messages/${id}/pieces-jointes/tout`);
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, "/");
      assert.notEqual(res.headers["content-type"], "application/zip");

      const stale = new WebClient(app, nextMailboxIp());
      stale.cookies.set("sesame", "not-a-session");
      const expired = await stale.get(`/mail/messages/${id}/pieces-jointes/tout`);
      assert.equal(expired.statusCode, 303);
      assert.equal(expired.headers.location, "/?expire");
    });
  });
}
