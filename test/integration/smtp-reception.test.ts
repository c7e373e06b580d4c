/**
 * SMTP reception against a real port, with a real client (nodemailer) and a raw SMTP conversation
 * where the exact reply matters, on SQLite and PostgreSQL: what is accepted lands in the inbox,
 * what is refused gets the right code and reaches nothing.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type ReceptionMailApi, type SmtpReception, startSmtpReception } from "../../src/mail/smtp-reception.js";
import { DIALECTS, openTestServices, type TestContext, testConfig } from "../helpers/env.js";
import { dotStuff, inbox, newAddress, RawSmtp, selfSigned, spyMail, textMessage, transport } from "../helpers/smtp.js";

const MB = 1024 * 1024;

/** A message of exactly `bytes` bytes (headers + lines of x). */
function messageOfSize(bytes: number, to: string, subject: string): Buffer {
  const head = Buffer.from(
    `From: <sender@example.org>\r\nTo: <${to}>\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@example.org>\r\n\r\n`,
  );
  const body = Buffer.alloc(bytes - head.length, "x");
  for (let i = 76; i < body.length - 2; i += 78) {
    body[i] = 0x0d;
    body[i + 1] = 0x0a;
  }
  // Ends with CRLF, as DATA carries it (the CRLF before the final dot is part of the message).
  body[body.length - 2] = 0x0d;
  body[body.length - 1] = 0x0a;
  return Buffer.concat([head, body]);
}

/** A forced garbage collection (the flag is set at run time, for this measurement only). */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

for (const dialect of DIALECTS) {
  describe(`SMTP reception (${dialect})`, () => {
    let ctx: TestContext;
    let smtp: SmtpReception;
    let spy: ReturnType<typeof spyMail>;

    before(async () => {
      // Small limits so that "too large" and "full" are cheap to reach: 1 MB each.
      ctx = await openTestServices(dialect, { SESAME_MAIL_MAX_SIZE_MB: "1", SESAME_MAIL_QUOTA_MB: "1" });
      spy = spyMail(ctx.services.mail);
      smtp = await startSmtpReception({ mail: spy.api, config: ctx.config }, { port: 0, host: "127.0.0.1" });
    });

    after(async () => {
      await smtp?.close();
      await ctx?.close();
    });

    it("greets with the mail domain, announces SIZE and enhanced codes, no AUTH, no STARTTLS without a certificate", async () => {
      const { client, greeting } = await RawSmtp.connect(smtp.port);
      try {
        assert.equal(greeting.code, 220);
        assert.match(greeting.text, new RegExp(`^220 ${ctx.config.mailDomain.replace(/\./g, "\\.")} ESMTP`));
        const ehlo = await client.command("EHLO client.example.org");
        assert.equal(ehlo.code, 250);
        assert.ok(ehlo.lines.includes(`SIZE ${MB}`), ehlo.lines.join("|"));
        assert.ok(ehlo.lines.includes("ENHANCEDSTATUSCODES"));
        assert.ok(ehlo.lines.includes("8BITMIME"));
        assert.ok(!ehlo.lines.some((l) => l.startsWith("AUTH") || l === "STARTTLS"), ehlo.lines.join("|"));
        assert.equal((await client.command("STARTTLS")).code, 500);
        assert.equal((await client.command("AUTH PLAIN AGFiYwBkZWY=")).code, 500);
      } finally {
        await client.quit();
      }
    });

    it("delivers an accepted message to the recipient's Boîte de réception (nodemailer), 250 after the commit", async () => {
      const rcpt = await newAddress(ctx.services);
      const before = spy.deliveries.length;
      const info = await transport(smtp.port).sendMail({
        from: "Expéditeur <sender@example.org>",
        to: rcpt.address,
        subject: "Réunion de rentrée",
        text: "Bonjour,\nla réunion aura lieu lundi.\n",
        messageId: "<rentree-1@example.org>",
      });
      assert.match(info.response, /^250 2\.6\.0 /);
      assert.deepEqual(info.accepted, [rcpt.address]);
      // The reply came after deliver resolved: the message is there the moment we look.
      const { folder, items } = await inbox(ctx.services, rcpt.accountId);
      assert.equal(folder.total, 1);
      assert.equal(items.length, 1);
      const view = await ctx.services.mail.open(rcpt.accountId, items[0]?.id ?? 0);
      assert.equal(view.subject, "Réunion de rentrée");
      assert.equal(view.from?.address, "sender@example.org");
      assert.equal(view.messageId, "<rentree-1@example.org>");
      assert.match(view.text ?? "", /la réunion aura lieu lundi/);
      // One delivery; the trace headers RFC 5321 asks for are at the top of what was stored.
      assert.equal(spy.deliveries.length, before + 1);
      const raw = (await ctx.services.mail.raw(rcpt.accountId, view.id)).toString("utf8");
      assert.match(raw, /^Return-Path: <sender@example\.org>\r\nReceived: from \S+ \(\[127\.0\.0\.1\]\)\r\n\tby /);
    });

    it("accepts the domain in any case", async () => {
      const rcpt = await newAddress(ctx.services);
      const [local, domain] = rcpt.address.split("@") as [string, string];
      const client = await RawSmtp.open(smtp.port);
      try {
        const r = await client.send(
          "sender@example.org",
          [`${local}@${domain.toUpperCase()}`],
          textMessage({
            to: rcpt.address,
            subject: "Casse",
          }),
        );
        assert.equal(r.rcpt[0]?.code, 250);
        assert.match(r.data?.text ?? "", /^250 2\.6\.0 /);
      } finally {
        await client.quit();
      }
      assert.equal((await inbox(ctx.services, rcpt.accountId)).items.length, 1);
    });

    it("refuses unknown, disabled and foreign addresses with 550 5.1.1, and stores nothing", async () => {
      const disabled = await newAddress(ctx.services);
      await ctx.services.directory.disableAccount(disabled.address, "test");
      const before = spy.deliveries.length;
      const client = await RawSmtp.open(smtp.port);
      try {
        assert.equal((await client.command("MAIL FROM:<sender@example.org>")).code, 250);
        for (const address of [`personne.inconnue@${ctx.config.mailDomain}`, disabled.address, "someone@example.org"]) {
          const reply = await client.command(`RCPT TO:<${address}>`);
          assert.match(reply.text, /^550 5\.1\.1 /, address);
        }
        // Not even an address: a syntax error.
        assert.match((await client.command(`RCPT TO:<@${ctx.config.mailDomain}>`)).text, /^501 5\.1\.3 /);
        // No recipient accepted: DATA is out of sequence.
        assert.match((await client.command("DATA")).text, /^503 5\.5\.1 /);
      } finally {
        await client.quit();
      }
      // And through nodemailer: an envelope error naming the refusal.
      await assert.rejects(
        transport(smtp.port).sendMail({
          from: "sender@example.org",
          to: `personne.inconnue@${ctx.config.mailDomain}`,
          subject: "x",
          text: "x",
        }),
        (error: { code?: string; rejectedErrors?: { responseCode?: number }[] }) => {
          assert.equal(error.code, "EENVELOPE");
          assert.equal(error.rejectedErrors?.[0]?.responseCode, 550);
          return true;
        },
      );
      assert.equal(spy.deliveries.length, before);
      assert.equal((await inbox(ctx.services, disabled.accountId)).items.length, 0);
    });

    it("refuses a message over the size limit with 552 5.3.4: at MAIL FROM when declared, after DATA without keeping it otherwise", async () => {
      const rcpt = await newAddress(ctx.services);
      const before = spy.deliveries.length;
      const client = await RawSmtp.open(smtp.port);
      try {
        // Declared: refused before a byte is sent.
        assert.match((await client.command(`MAIL FROM:<sender@example.org> SIZE=${MB + 1}`)).text, /^552 5\.3\.4 /);

        // Undeclared: 64 MB streamed against a 1 MB limit; the server reads and drops, keeps nothing.
        // (Measured after forced collections; V8 frees buffers' memory in the background, so a busy
        // machine shows some in transit: the bound is half of what was sent, which keeping it breaks.)
        const gc = collector();
        gc();
        const baseline = process.memoryUsage().arrayBuffers;
        let peak = 0;
        const sample = setInterval(() => {
          gc();
          peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
        }, 50);
        try {
          assert.equal((await client.command("MAIL FROM:<sender@example.org>")).code, 250);
          assert.equal((await client.command(`RCPT TO:<${rcpt.address}>`)).code, 250);
          assert.equal((await client.command("DATA")).code, 354);
          const line = `${"x".repeat(76)}\r\n`;
          const chunk = Buffer.from(line.repeat(Math.floor((64 * 1024) / line.length)));
          await client.write(`Subject: trop gros\r\n\r\n`);
          for (let sent = 0; sent < 64 * MB; sent += chunk.length) await client.write(chunk);
          await client.write(".\r\n");
          const reply = await client.reply();
          assert.match(reply.text, /^552 5\.3\.4 /);
        } finally {
          clearInterval(sample);
        }
        assert.ok(peak < 32 * MB, `memory kept while refusing: ${Math.round(peak / MB)} MB`);

        // The connection goes on: the next transaction is served.
        const next = await client.send(
          "sender@example.org",
          [rcpt.address],
          textMessage({ to: rcpt.address, subject: "après" }),
        );
        assert.match(next.data?.text ?? "", /^250 /);
      } finally {
        await client.quit();
      }
      assert.equal(spy.deliveries.length, before + 1);
      const { items } = await inbox(ctx.services, rcpt.accountId);
      assert.deepEqual(
        items.map((m) => m.subject),
        ["après"],
      );
    });

    it("accepts a message of exactly the size limit", async () => {
      const rcpt = await newAddress(ctx.services);
      const client = await RawSmtp.open(smtp.port);
      try {
        const message = messageOfSize(MB, rcpt.address, "limite");
        const r = await client.send("sender@example.org", [rcpt.address], message);
        assert.match(r.data?.text ?? "", /^250 /);
      } finally {
        await client.quit();
      }
      assert.equal((await inbox(ctx.services, rcpt.accountId)).items[0]?.subject, "limite");
    });

    it("over quota: 452 4.2.2 at RCPT for a full mailbox (or too full for the declared SIZE), 552 5.2.2 when the message does not fit", async () => {
      const full = await newAddress(ctx.services);
      const half = await newAddress(ctx.services);
      // Fill through the service: `full` exactly to its quota, `half` to 600 KB.
      await ctx.services.mail.deliver(messageOfSize(MB, full.address, "plein"), [full]);
      await ctx.services.mail.deliver(messageOfSize(600 * 1024, half.address, "moitie"), [half]);
      const before = spy.deliveries.length;
      const client = await RawSmtp.open(smtp.port);
      try {
        assert.equal((await client.command("MAIL FROM:<sender@example.org>")).code, 250);
        assert.match((await client.command(`RCPT TO:<${full.address}>`)).text, /^452 4\.2\.2 /);
        assert.equal((await client.command("RSET")).code, 250);

        assert.equal((await client.command("MAIL FROM:<sender@example.org> SIZE=600000")).code, 250);
        assert.match((await client.command(`RCPT TO:<${half.address}>`)).text, /^452 4\.2\.2 /);
        assert.equal((await client.command("RSET")).code, 250);

        // Not declared: accepted at RCPT, refused once the message is there and does not fit.
        const r = await client.send(
          "sender@example.org",
          [half.address],
          messageOfSize(600 * 1024, half.address, "debordement"),
        );
        assert.equal(r.rcpt[0]?.code, 250);
        assert.match(r.data?.text ?? "", /^552 5\.2\.2 /);
      } finally {
        await client.quit();
      }
      assert.equal(spy.deliveries.length, before + 1); // the refused one reached the service, stored nothing
      assert.deepEqual(
        (await inbox(ctx.services, half.accountId)).items.map((m) => m.subject),
        ["moitie"],
      );
      assert.equal((await inbox(ctx.services, full.accountId)).items.length, 1);
    });

    it("one message to several local recipients: one transaction, one delivery for all", async () => {
      const rcpts = [await newAddress(ctx.services), await newAddress(ctx.services), await newAddress(ctx.services)];
      const before = spy.deliveries.length;
      const info = await transport(smtp.port).sendMail({
        from: "sender@example.org",
        to: rcpts.map((r) => r.address),
        subject: "Note de service",
        text: "À tous.",
      });
      assert.match(info.response, /^250 /);
      assert.equal(info.accepted.length, 3);
      assert.equal(spy.deliveries.length, before + 1);
      assert.deepEqual([...(spy.deliveries.at(-1)?.recipients ?? [])].sort(), rcpts.map((r) => r.accountId).sort());
      const raws: string[] = [];
      for (const r of rcpts) {
        const { items } = await inbox(ctx.services, r.accountId);
        assert.deepEqual(
          items.map((m) => m.subject),
          ["Note de service"],
        );
        raws.push((await ctx.services.mail.raw(r.accountId, items[0]?.id ?? 0)).toString("latin1"));
      }
      assert.equal(new Set(raws).size, 1);
    });

    it("several recipients, one of them full: 452 for that one at RCPT, the others get the message", async () => {
      const a = await newAddress(ctx.services);
      const full = await newAddress(ctx.services);
      const b = await newAddress(ctx.services);
      await ctx.services.mail.deliver(messageOfSize(MB, full.address, "plein"), [full]);
      const before = spy.deliveries.length;
      const info = await transport(smtp.port).sendMail({
        from: "sender@example.org",
        to: [a.address, full.address, b.address],
        subject: "Conseil de classe",
        text: "Convocation.",
      });
      assert.match(info.response, /^250 /);
      assert.deepEqual([...info.accepted].sort(), [a.address, b.address].sort());
      assert.deepEqual(info.rejected, [full.address]);
      const rejected = (info as unknown as { rejectedErrors?: { responseCode?: number; response?: string }[] })
        .rejectedErrors;
      assert.equal(rejected?.[0]?.responseCode, 452);
      assert.match(rejected?.[0]?.response ?? "", /^452 4\.2\.2 /);
      assert.equal(spy.deliveries.length, before + 1);
      assert.equal(spy.deliveries.at(-1)?.recipients.length, 2);
      for (const r of [a, b]) {
        assert.deepEqual(
          (await inbox(ctx.services, r.accountId)).items.map((m) => m.subject),
          ["Conseil de classe"],
        );
      }
      assert.equal((await inbox(ctx.services, full.accountId)).items.length, 1);
    });

    it("the same recipient twice is delivered once", async () => {
      const rcpt = await newAddress(ctx.services);
      const client = await RawSmtp.open(smtp.port);
      try {
        const upper = rcpt.address.toUpperCase();
        const r = await client.send(
          "sender@example.org",
          [rcpt.address, upper],
          textMessage({ to: rcpt.address, subject: "doublon" }),
        );
        assert.deepEqual(
          r.rcpt.map((x) => x.code),
          [250, 250],
        );
        assert.match(r.data?.text ?? "", /^250 /);
      } finally {
        await client.quit();
      }
      assert.equal((await inbox(ctx.services, rcpt.accountId)).items.length, 1);
    });

    it("refuses malformed envelopes: bad syntax 501, wrong order 503, and goes on", async () => {
      const rcpt = await newAddress(ctx.services);
      const { client } = await RawSmtp.connect(smtp.port);
      try {
        assert.match((await client.command("MAIL FROM:<sender@example.org>")).text, /^503 /); // before EHLO
        assert.equal((await client.command("EHLO client.example.org")).code, 250);
        assert.match((await client.command(`RCPT TO:<${rcpt.address}>`)).text, /^503 5\.5\.1 /); // before MAIL
        assert.match((await client.command("DATA")).text, /^503 5\.5\.1 /); // before RCPT
        assert.match((await client.command("MAIL FROM:<not an address")).text, /^501 /);
        assert.match((await client.command("MAIL FROM:sender@@example..org")).text, /^501 /);
        assert.match((await client.command("MAIL FROM:<sender@example.org> SIZE=abc")).text, /^501 /);
        assert.equal((await client.command("MAIL FROM:<sender@example.org>")).code, 250);
        assert.match((await client.command("MAIL FROM:<other@example.org>")).text, /^503 /); // nested
        assert.match((await client.command("RCPT TO:<no-at-sign>")).text, /^5\d\d /);
        assert.match((await client.command("RCPT TO:")).text, /^501 /);
        assert.match((await client.command("BOGUS command")).text, /^500 /);
        // Still a working session: the null sender (bounces) is accepted too.
        assert.equal((await client.command("RSET")).code, 250);
        const r = await client.send("", [rcpt.address], textMessage({ to: rcpt.address, subject: "rebond" }));
        assert.equal(r.mail.code, 250);
        assert.match(r.data?.text ?? "", /^250 /);
      } finally {
        await client.quit();
      }
      assert.equal((await inbox(ctx.services, rcpt.accountId)).items[0]?.subject, "rebond");
    });
  });
}

describe("SMTP reception with STARTTLS", () => {
  let ctx: TestContext;
  let smtp: SmtpReception;
  let certs: ReturnType<typeof selfSigned>;

  before(async () => {
    certs = selfSigned();
    ctx = await openTestServices("sqlite");
    const config = testConfig({ SESAME_SMTP_TLS_CERT: certs.cert, SESAME_SMTP_TLS_KEY: certs.key });
    smtp = await startSmtpReception({ mail: ctx.services.mail, config }, { port: 0, host: "127.0.0.1" });
  });

  after(async () => {
    await smtp?.close();
    await ctx?.close();
    certs?.remove();
  });

  it("announces STARTTLS; the client upgrades and delivers", async () => {
    const client = await RawSmtp.open(smtp.port);
    try {
      const ehlo = await client.command("EHLO client.example.org");
      assert.ok(ehlo.lines.includes("STARTTLS"), ehlo.lines.join("|"));
    } finally {
      await client.quit();
    }
    const rcpt = await newAddress(ctx.services);
    const info = await transport(smtp.port, { requireTLS: true }).sendMail({
      from: "sender@example.org",
      to: rcpt.address,
      subject: "Chiffré",
      text: "En TLS.",
    });
    assert.match(info.response, /^250 /);
    const { items } = await inbox(ctx.services, rcpt.accountId);
    assert.equal(items[0]?.subject, "Chiffré");
    // The Received line says the message came over TLS.
    const raw = (await ctx.services.mail.raw(rcpt.accountId, items[0]?.id ?? 0)).toString("utf8");
    assert.match(raw, /with ESMTPS id /);
  });

  it("a refused handshake does not take the server down", async () => {
    const { client } = await RawSmtp.connect(smtp.port);
    assert.equal((await client.command("EHLO client.example.org")).code, 250);
    assert.equal((await client.command("STARTTLS")).code, 220);
    // Not TLS at all: the server drops the connection.
    client.socket.write("this is not a TLS ClientHello\r\n");
    await new Promise<void>((resolve) => client.socket.once("close", () => resolve()));
    const next = await RawSmtp.open(smtp.port);
    await next.quit();
  });
});

describe("SMTP reception: local errors and stopping (a scripted mail service, no database)", () => {
  /** A mail service whose deliveries wait until the test lets them go, or fail. */
  function scriptedMail() {
    const pending: { release(): void; fail(error: Error): void }[] = [];
    let arrived: (() => void) | null = null;
    const api: ReceptionMailApi = {
      maxMessageBytes: MB,
      async checkRecipient(address) {
        if (address.startsWith("boom@")) throw new Error("database unreachable");
        return { accountId: address.length, address };
      },
      deliver(_raw, recipients) {
        return new Promise((resolve, reject) => {
          pending.push({
            release: () => resolve({ messageIds: recipients.map((_, i) => i + 1) }),
            fail: reject,
          });
          arrived?.();
        });
      },
    };
    return {
      api,
      pending,
      /** Resolves once `n` deliveries are waiting. */
      waitFor: (n: number) =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (pending.length >= n) resolve();
          };
          arrived = check;
          check();
        }),
    };
  }

  it("an unexpected error is a temporary 451 4.3.0, at RCPT and after DATA, and the session goes on", async () => {
    const config = testConfig();
    const scripted = scriptedMail();
    const smtp = await startSmtpReception({ mail: scripted.api, config }, { port: 0, host: "127.0.0.1" });
    const client = await RawSmtp.open(smtp.port);
    try {
      assert.equal((await client.command("MAIL FROM:<sender@example.org>")).code, 250);
      assert.match((await client.command(`RCPT TO:<boom@${config.mailDomain}>`)).text, /^451 4\.3\.0 /);
      assert.equal((await client.command(`RCPT TO:<ok@${config.mailDomain}>`)).code, 250);
      assert.equal((await client.command("DATA")).code, 354);
      await client.write(dotStuff(textMessage({ to: "ok", subject: "x" })));
      await client.write(".\r\n");
      await scripted.waitFor(1);
      scripted.pending[0]?.fail(new Error("disk I/O error"));
      assert.match((await client.reply()).text, /^451 4\.3\.0 /);
      assert.equal((await client.command("NOOP")).code, 250);
    } finally {
      await client.quit();
      await smtp.close();
      rmSync(config.dataDir, { recursive: true, force: true });
    }
  });

  it("close(): no new connection, the delivery under way gets its 250, then 421 and the end", async () => {
    const config = testConfig();
    const scripted = scriptedMail();
    const smtp = await startSmtpReception({ mail: scripted.api, config }, { port: 0, host: "127.0.0.1" });
    const busy = await RawSmtp.open(smtp.port);
    const idle = await RawSmtp.open(smtp.port);
    try {
      assert.equal((await busy.command("MAIL FROM:<sender@example.org>")).code, 250);
      assert.equal((await busy.command(`RCPT TO:<ok@${config.mailDomain}>`)).code, 250);
      assert.equal((await busy.command("DATA")).code, 354);
      await busy.write(dotStuff(textMessage({ to: "ok", subject: "x" })));
      await busy.write(".\r\n");
      await scripted.waitFor(1);

      let closed = false;
      const closing = smtp.close().then(() => {
        closed = true;
      });
      // Stopped listening: a new client is refused at once.
      await assert.rejects(RawSmtp.connect(smtp.port), /ECONNREFUSED/);
      assert.equal(closed, false); // still waiting for the delivery
      scripted.pending[0]?.release();
      assert.match((await busy.reply()).text, /^250 /);
      assert.match((await busy.reply()).text, /^421 /);
      assert.match((await idle.reply()).text, /^421 /);
      await closing;
    } finally {
      busy.destroy();
      idle.destroy();
      await smtp.close();
      rmSync(config.dataDir, { recursive: true, force: true });
    }
  });
});
