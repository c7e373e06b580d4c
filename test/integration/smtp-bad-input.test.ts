/**
 * Hostile or broken input through a real SMTP connection, on SQLite and PostgreSQL: every message is
 * either stored (250, and readable in the inbox) or refused cleanly with its code (554 5.6.0 when
 * it cannot be read), within a few seconds, and the server answers the next client afterwards.
 * What is decided here: 1,000 recipients → the first 100 accepted (RFC 5321's minimum), the others
 * 452 4.5.3 (the client sends them in another transaction); a 0-byte message → 554 5.6.0 (it has
 * no header at all); a header flood → 554 5.6.0 (past the MIME parser's header bound).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { MAX_RECIPIENTS } from "../../src/mail/smtp-data.js";
import { type SmtpReception, startSmtpReception } from "../../src/mail/smtp-reception.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { inbox, newAddress, RawSmtp, type SmtpReply, spyMail } from "../helpers/smtp.js";
import { accountOf, seedStaff, uniqueStaff } from "../helpers/web.js";

/** Each message must be answered within this (the service's parse limit is 5 s). */
const ANSWER_WITHIN_MS = 10_000;

const HEAD =
  "From: Expéditeur <sender@example.org>\r\nTo: <rcpt@ac-lyon.fr>\r\nDate: Mon, 2 Sep 2024 08:00:00 +0200\r\n";

/** A multipart/mixed nested `depth` times, a text part at the bottom. */
function nestedMultipart(depth: number): string {
  let body = "Content-Type: text/plain; charset=utf-8\r\n\r\nTout au fond.\r\n";
  for (let i = depth; i > 0; i--) {
    const b = `b${i}`;
    body = `Content-Type: multipart/mixed; boundary="${b}"\r\n\r\n--${b}\r\n${body}--${b}--\r\n`;
  }
  return `${HEAD}Subject: imbrication\r\nMIME-Version: 1.0\r\n${body}`;
}

/** 100 MB of zeros, gzipped (about 100 KB): stored as it is, never inflated. */
function gzipBomb(): Buffer {
  return gzipSync(Buffer.alloc(100 * 1024 * 1024), { level: 9 });
}

function withAttachment(name: string, type: string, content: Buffer): string {
  const base64 = content.toString("base64").replace(/.{76}/g, "$&\r\n");
  return (
    `${HEAD}Subject: piece jointe\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="xx"\r\n\r\n` +
    `--xx\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVoir la pièce jointe.\r\n` +
    `--xx\r\nContent-Type: ${type}; name="${name}"\r\nContent-Disposition: attachment; filename="${name}"\r\n` +
    `Content-Transfer-Encoding: base64\r\n\r\n${base64}\r\n--xx--\r\n`
  );
}

for (const dialect of DIALECTS) {
  describe(`SMTP reception, bad input (${dialect})`, () => {
    let ctx: TestContext;
    let smtp: SmtpReception;
    let spy: ReturnType<typeof spyMail>;

    before(async () => {
      ctx = await openTestServices(dialect);
      spy = spyMail(ctx.services.mail);
      smtp = await startSmtpReception({ mail: spy.api, config: ctx.config }, { port: 0, host: "127.0.0.1" });
    });

    after(async () => {
      await smtp?.close();
      await ctx?.close();
    });

    /** Sends one message to a fresh account; the reply, how long it took, and the account's inbox after. */
    async function send(message: Buffer | string) {
      const rcpt = await newAddress(ctx.services);
      const client = await RawSmtp.open(smtp.port);
      const started = Date.now();
      let reply: SmtpReply | null;
      try {
        const r = await client.send("sender@example.org", [rcpt.address], message);
        assert.equal(r.rcpt[0]?.code, 250);
        reply = r.data;
      } finally {
        await client.quit();
      }
      const ms = Date.now() - started;
      assert.ok(ms < ANSWER_WITHIN_MS, `answered in ${ms} ms`);
      assert.ok(reply);
      // The server is still there for the next client.
      const next = await RawSmtp.open(smtp.port);
      assert.equal((await next.command("NOOP")).code, 250);
      await next.quit();
      const { items } = await inbox(ctx.services, rcpt.accountId);
      return { reply, items, rcpt };
    }

    /** Stored: 250 and exactly one message in the inbox, which opens. */
    async function assertStored(result: Awaited<ReturnType<typeof send>>) {
      assert.match(result.reply.text, /^250 2\.6\.0 /);
      assert.equal(result.items.length, 1);
      return ctx.services.mail.open(result.rcpt.accountId, result.items[0]?.id ?? 0);
    }

    it("malformed MIME (no boundary, broken base64, unterminated parts, bare LF, NUL bytes) is stored", async () => {
      const cases = [
        `${HEAD}Subject: sans frontiere\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n--\r\nrien\r\n`,
        `${HEAD}Subject: base64 casse\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%% pas du base64 !!!\r\n`,
        `${HEAD}Subject: partie ouverte\r\nContent-Type: multipart/alternative; boundary="zz"\r\n\r\n--zz\r\nContent-Type: text/html\r\n\r\n<p>jamais fermé`,
        `${HEAD.replace(/\r\n/g, "\n")}Subject: fins de ligne LF\n\nligne 1\nligne 2\n`,
        `${HEAD}Subject: nul\r\n\r\ndes\u0000octets\u0000nuls\r\n`,
        "pas un en-tete du tout, juste du texte\r\n",
        `${HEAD}Subject: ${"x".repeat(100_000)}\r\n\r\nsujet de 100 000 caracteres\r\n`,
      ];
      for (const message of cases) {
        const view = await assertStored(await send(message));
        assert.ok(typeof view.subject === "string");
      }
    });

    it("8-bit headers (raw UTF-8 and Latin-1 bytes) are stored, UTF-8 read as such", async () => {
      const utf8 = Buffer.from(`${HEAD}Subject: Réunion à l'école\r\n\r\nCorps en UTF-8 : été.\r\n`, "utf8");
      const view = await assertStored(await send(utf8));
      assert.equal(view.subject, "Réunion à l'école");
      const latin1 = Buffer.from(
        `${HEAD}Subject: Caf\u00e9 cr\u00e8me\r\n\r\nCorps en Latin-1 : \u00e9t\u00e9.\r\n`,
        "latin1",
      );
      const view2 = await assertStored(await send(latin1));
      assert.ok(view2.subject.startsWith("Caf"));
    });

    it("unknown charsets (body and encoded words) are stored", async () => {
      const message =
        `${HEAD}Subject: =?x-klingon?Q?Qapla=E9?= et =?unknown-8bit?B?w6k=?=\r\nMIME-Version: 1.0\r\n` +
        `Content-Type: text/plain; charset="x-does-not-exist-42"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n` +
        `Texte dans un jeu inconnu : \u00e9\u00e8.\r\n`;
      const view = await assertStored(await send(Buffer.from(message, "latin1")));
      assert.ok(view.subject.includes("et"));
    });

    it("1,000 recipients: the first 100 are accepted and get the message once, the rest 452 4.5.3", async () => {
      const rows = await seedStaff(
        ctx.services,
        Array.from({ length: MAX_RECIPIENTS }, () => uniqueStaff()),
      );
      const accounts = await Promise.all(rows.map((row) => accountOf(ctx.services, row)));
      const others = Array.from({ length: 1000 - MAX_RECIPIENTS }, (_, i) => `inconnu.${i}@${ctx.config.mailDomain}`);
      const before = spy.deliveries.length;
      const client = await RawSmtp.open(smtp.port);
      const started = Date.now();
      try {
        assert.equal((await client.command("MAIL FROM:<sender@example.org>")).code, 250);
        // Pipelined, as PIPELINING is announced: every RCPT in one write, then the replies in order.
        await client.write([...accounts.map((a) => a.address), ...others].map((a) => `RCPT TO:<${a}>\r\n`).join(""));
        const replies: SmtpReply[] = [];
        for (let i = 0; i < 1000; i++) replies.push(await client.reply());
        assert.ok(replies.slice(0, MAX_RECIPIENTS).every((r) => r.code === 250));
        assert.ok(
          replies.slice(MAX_RECIPIENTS).every((r) => /^452 4\.5\.3 /.test(r.text)),
          replies.slice(MAX_RECIPIENTS, MAX_RECIPIENTS + 1)[0]?.text,
        );
        const data = await client.data(`${HEAD}Subject: a tous\r\n\r\nMessage pour cent personnes.\r\n`);
        assert.match(data.text, /^250 /);
      } finally {
        await client.quit();
      }
      assert.ok(Date.now() - started < ANSWER_WITHIN_MS * 2);
      assert.equal(spy.deliveries.length, before + 1);
      assert.equal(spy.deliveries.at(-1)?.recipients.length, MAX_RECIPIENTS);
      for (const account of [accounts[0], accounts[MAX_RECIPIENTS - 1]]) {
        const { items } = await inbox(ctx.services, account?.id ?? 0);
        assert.deepEqual(
          items.map((m) => m.subject),
          ["a tous"],
        );
      }
    });

    it("a header flood (100,000 header lines, within the size limit) is refused with 554 5.6.0, in time", async () => {
      const lines = Array.from({ length: 100_000 }, (_, i) => `X-Flood-${i}: ${randomBytes(6).toString("hex")}`);
      const result = await send(`${HEAD}Subject: inondation\r\n${lines.join("\r\n")}\r\n\r\ncorps\r\n`);
      // The MIME parser's bound on a part's headers: the service calls it MESSAGE_MALFORMED.
      assert.match(result.reply.text, /^554 5\.6\.0 /);
      assert.equal(result.items.length, 0);
    });

    it("a multipart nested 100 deep is stored, and reads down to its text", async () => {
      const view = await assertStored(await send(nestedMultipart(100)));
      assert.equal(view.subject, "imbrication");
      assert.match(view.text ?? "", /Tout au fond\./);
    });

    it("a gzip bomb attachment is stored as it is, never inflated", async () => {
      const bomb = gzipBomb();
      const view = await assertStored(await send(withAttachment("zeros.gz", "application/gzip", bomb)));
      assert.equal(view.attachments.length, 1);
      assert.equal(view.attachments[0]?.sizeBytes, bomb.length);
    });

    it("a 0-byte message is refused with 554 5.6.0 and stores nothing", async () => {
      const result = await send("");
      assert.match(result.reply.text, /^554 5\.6\.0 /);
      assert.equal(result.items.length, 0);
    });

    it("a client that leaves in the middle of DATA leaves nothing behind", async () => {
      const rcpt = await newAddress(ctx.services);
      const client = await RawSmtp.open(smtp.port);
      assert.equal((await client.command("MAIL FROM:<sender@example.org>")).code, 250);
      assert.equal((await client.command(`RCPT TO:<${rcpt.address}>`)).code, 250);
      assert.equal((await client.command("DATA")).code, 354);
      await client.write(`${HEAD}Subject: coupe\r\n\r\ndebut du corps`);
      client.destroy();
      // The server answers the next client, and the half message was never delivered.
      const next = await RawSmtp.open(smtp.port);
      assert.equal((await next.command("NOOP")).code, 250);
      await next.quit();
      assert.equal((await inbox(ctx.services, rcpt.accountId)).items.length, 0);
    });
  });
}
