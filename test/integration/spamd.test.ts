/**
 * Spam scoring at reception by a real SpamAssassin spamd (started here, on a loopback port, with a
 * throwaway configuration), with a real SMTP client and a real DNS server for the sender checks:
 * the GTUBE test string goes to Indésirables with its score, a normal message to the inbox; a spamd
 * that is down, hung or answers garbage costs at most its timeout, and the message is delivered,
 * logged and counted; a bad SESAME_SPAMD_URL stops the start with one English line.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConfigError, loadConfig } from "../../src/config/config.js";
import { type SmtpReception, startSmtpReception } from "../../src/mail/smtp-reception.js";
import { createSpamCheck, type SpamCheck, type SpamLogger } from "../../src/mail/spam-check.js";
import { createSpamdClient, parseSpamdAnswer, SpamdError } from "../../src/mail/spamd.js";
import { startDnsServer, type TestDnsServer } from "../helpers/dns-server.js";
import { DIALECTS, openTestServices, type TestContext, tempDir } from "../helpers/env.js";
import { capturingLogger } from "../helpers/logger.js";
import { newAddress, textMessage, transport } from "../helpers/smtp.js";
import { freePort, GTUBE, startFakeSpamd, startSpamd, type TestSpamd } from "../helpers/spamd.js";

const MAIL_DOMAIN = "ac-lyon.fr";
const SENDER = "Claire Martin <claire.martin@partenaire.example>";

/** A sender whose SPF passes for loopback and who asks for no DMARC policy: nothing sends it to Indésirables. */
const ZONE = {
  "partenaire.example": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
  "_dmarc.partenaire.example": { TXT: ["v=DMARC1; p=none"] },
};

/** Records the spam check's log lines. */
function spyLogger(): SpamLogger & { lines: { level: string; object: Record<string, unknown>; message: string }[] } {
  const lines: { level: string; object: Record<string, unknown>; message: string }[] = [];
  return {
    lines,
    info: (object, message) => lines.push({ level: "info", object, message }),
    warn: (object, message) => lines.push({ level: "warn", object, message }),
  };
}

async function send(port: number, to: string, subject: string, body: string): Promise<string> {
  const client = transport(port);
  try {
    const info = await client.sendMail({
      envelope: { from: "claire.martin@partenaire.example", to },
      raw: textMessage({ from: SENDER, to, subject, body }),
    });
    return info.response;
  } finally {
    client.close();
  }
}

let spamd: TestSpamd;
let dns: TestDnsServer;

before(async () => {
  dns = await startDnsServer(ZONE);
  spamd = await startSpamd();
  // About a second here: one spamd for the whole file.
  console.log(`# spamd answered its first PING after ${spamd.startMs} ms`);
});

after(async () => {
  await spamd?.close();
  await dns?.close();
});

for (const dialect of DIALECTS) {
  describe(`spam scoring by spamd at reception (${dialect})`, () => {
    let ctx: TestContext;
    let smtp: SmtpReception;
    let captured: ReturnType<typeof capturingLogger>;
    let spam: SpamCheck;

    before(async () => {
      ctx = await openTestServices(dialect, {
        SESAME_MAIL_DOMAIN: MAIL_DOMAIN,
        SESAME_TRUSTED_RELAYS: "",
        SESAME_DNS_SERVERS: dns.server,
        SESAME_SPAMD_URL: spamd.url,
      });
      captured = capturingLogger();
      // As `sesame serve` wires it (services.spam, made from the configuration), with a log to read.
      assert.equal(ctx.services.spam.enabled, true);
      spam = createSpamCheck({ spamd: ctx.config.spamd, logger: captured.logger });
      smtp = await startSmtpReception(
        { mail: ctx.services.mail, config: ctx.config, logger: captured.logger, spam },
        { port: 0, host: "127.0.0.1" },
      );
    });

    after(async () => {
      await smtp?.close();
      await ctx?.close();
    });

    /** The newest message of a folder with its stored spam score. */
    async function newest(accountId: number, role: "inbox" | "junk") {
      const folder = await ctx.services.mail.folderByRole(accountId, role);
      const item = (await ctx.services.mail.list(accountId, folder.id, null, 10)).items[0];
      if (!item) return null;
      const row = await ctx.services.database.db
        .selectFrom("mail_message")
        .select(["spam_score"])
        .where("id", "=", item.id)
        .executeTakeFirstOrThrow();
      return { subject: item.subject, spamScore: row.spam_score };
    }

    it("the GTUBE test string: 250, stored in Indésirables with its score, logged with it", async () => {
      const rcpt = await newAddress(ctx.services);
      const before = spam.stats();
      const response = await send(smtp.port, rcpt.address, "Offre exceptionnelle", `Bonjour,\r\n${GTUBE}\r\n`);
      assert.match(response, /^250 /);
      const junk = await newest(rcpt.accountId, "junk");
      assert.equal(junk?.subject, "Offre exceptionnelle");
      assert.ok((junk?.spamScore ?? 0) >= 1000, `score ${junk?.spamScore}`);
      assert.equal(await newest(rcpt.accountId, "inbox"), null);
      const after = spam.stats();
      assert.equal(after.checked, before.checked + 1);
      assert.equal(after.spam, before.spam + 1);
      assert.equal(after.unavailable, before.unavailable);
      const line = captured.lines.find((l) => String(l.msg).startsWith("spamd scored the message as spam"));
      assert.ok(line, "the operators' log says it");
      assert.ok(Number(line.score) >= 1000);
      assert.equal(line.threshold, 5);
      assert.match(String(line.symbols), /GTUBE/);
    });

    it("a normal message: in the inbox, its (low) score kept", async () => {
      const rcpt = await newAddress(ctx.services);
      const before = spam.stats();
      const response = await send(
        smtp.port,
        rcpt.address,
        "Conseil de classe",
        "Bonjour,\r\nle conseil de classe de la 4e B aura lieu mardi à 17 h en salle 12.\r\nCordialement,\r\nClaire\r\n",
      );
      assert.match(response, /^250 /);
      const got = await newest(rcpt.accountId, "inbox");
      assert.equal(got?.subject, "Conseil de classe");
      assert.equal(typeof got?.spamScore, "number");
      assert.ok((got?.spamScore ?? 99) < 5, `score ${got?.spamScore}`);
      assert.equal(await newest(rcpt.accountId, "junk"), null);
      const after = spam.stats();
      assert.equal(after.checked, before.checked + 1);
      assert.equal(after.spam, before.spam);
    });

    it("a trusted relay skips spamd like the other checks: GTUBE in the inbox, no score", async () => {
      const checker = createSpamCheck({ spamd: ctx.config.spamd });
      const trusted = await startSmtpReception(
        // The same configuration with loopback trusted (a relay in front of Sésame).
        { mail: ctx.services.mail, config: { ...ctx.config, trustedRelays: ["127.0.0.1/32"] }, spam: checker },
        { port: 0, host: "127.0.0.1" },
      );
      try {
        const rcpt = await newAddress(ctx.services);
        assert.match(await send(trusted.port, rcpt.address, "Relayé", GTUBE), /^250 /);
        const got = await newest(rcpt.accountId, "inbox");
        assert.equal(got?.subject, "Relayé");
        assert.equal(got?.spamScore, null);
        assert.deepEqual(checker.stats(), { checked: 0, spam: 0, unavailable: 0, skipped: 0 });
      } finally {
        await trusted.close();
      }
    });

    it("spamd down (nobody on its port): delivered to the inbox at once, logged, counted", async () => {
      const port = await freePort();
      const log = spyLogger();
      const checker = createSpamCheck({ spamd: { host: "127.0.0.1", port, timeoutMs: 2000 }, logger: log });
      const down = await startSmtpReception(
        { mail: ctx.services.mail, config: ctx.config, spam: checker },
        { port: 0, host: "127.0.0.1" },
      );
      try {
        const rcpt = await newAddress(ctx.services);
        const started = Date.now();
        assert.match(await send(down.port, rcpt.address, "Sans spamd", GTUBE), /^250 /);
        assert.ok(Date.now() - started < 1500, `${Date.now() - started} ms`);
        const got = await newest(rcpt.accountId, "inbox");
        assert.equal(got?.subject, "Sans spamd");
        assert.equal(got?.spamScore, null);
        assert.deepEqual(checker.stats(), { checked: 0, spam: 0, unavailable: 1, skipped: 0 });
        const warning = log.lines.find((l) => l.level === "warn");
        assert.equal(warning?.message, "spamd unavailable: message delivered without a spam score");
        assert.equal(warning?.object.failure, "unreachable");
        assert.match(String(warning?.object.reason), /ECONNREFUSED/);
      } finally {
        await down.close();
      }
    });

    it("spamd hung (accepts, never answers): delivered to the inbox after its 2 s timeout, counted", async () => {
      const hung = await startFakeSpamd(null);
      const port = Number(new URL(hung.url).port);
      // The configuration's default timeout (SESAME_SPAMD_TIMEOUT_MS unset): 2000 ms.
      assert.equal(ctx.config.spamd?.timeoutMs, 2000);
      const log = spyLogger();
      const checker = createSpamCheck({ spamd: { host: "127.0.0.1", port, timeoutMs: 2000 }, logger: log });
      const slow = await startSmtpReception(
        { mail: ctx.services.mail, config: ctx.config, spam: checker },
        { port: 0, host: "127.0.0.1" },
      );
      try {
        const rcpt = await newAddress(ctx.services);
        const started = Date.now();
        assert.match(await send(slow.port, rcpt.address, "spamd muet", GTUBE), /^250 /);
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 1900 && elapsed < 4000, `${elapsed} ms`);
        assert.equal(hung.connections(), 1);
        const got = await newest(rcpt.accountId, "inbox");
        assert.equal(got?.subject, "spamd muet");
        assert.equal(got?.spamScore, null);
        assert.equal(checker.stats().unavailable, 1);
        assert.equal(log.lines.find((l) => l.level === "warn")?.object.failure, "timeout");
      } finally {
        await slow.close();
        await hung.close();
      }
    });
  });
}

describe("spamd that answers garbage", () => {
  it("delivered to the inbox, the reception's own check (from the configuration) logs it", async () => {
    const garbage = await startFakeSpamd("HTTP/1.1 400 Bad Request\r\n\r\n");
    const ctx = await openTestServices("sqlite", {
      SESAME_MAIL_DOMAIN: MAIL_DOMAIN,
      SESAME_TRUSTED_RELAYS: "",
      SESAME_DNS_SERVERS: dns.server,
      SESAME_SPAMD_URL: garbage.url,
    });
    const captured = capturingLogger();
    const smtp = await startSmtpReception(
      { mail: ctx.services.mail, config: ctx.config, logger: captured.logger },
      { port: 0, host: "127.0.0.1" },
    );
    try {
      const rcpt = await newAddress(ctx.services);
      assert.match(await send(smtp.port, rcpt.address, "Réponse illisible", GTUBE), /^250 /);
      const folder = await ctx.services.mail.folderByRole(rcpt.accountId, "inbox");
      const { items } = await ctx.services.mail.list(rcpt.accountId, folder.id, null, 10);
      assert.equal(items[0]?.subject, "Réponse illisible");
      assert.equal(garbage.connections(), 1);
      const warning = captured.lines.find((l) => l.msg === "spamd unavailable: message delivered without a spam score");
      assert.equal(warning?.failure, "protocol");
      assert.equal(warning?.level, 40);
    } finally {
      await smtp.close();
      await ctx.close();
      await garbage.close();
    }
  });
});

describe("the spamd client against the real spamd", () => {
  it("PING, and SYMBOLS with the message's bytes: GTUBE is spam, a normal message is not", async () => {
    const client = createSpamdClient({ host: "127.0.0.1", port: spamd.port });
    await client.ping();
    const spam = await client.check(Buffer.from(textMessage({ to: "a@ac-lyon.fr", subject: "x", body: GTUBE })));
    assert.equal(spam.spam, true);
    assert.ok(spam.score >= 1000);
    assert.equal(spam.threshold, 5);
    assert.ok(spam.symbols.includes("GTUBE"));
    // 8-bit text as sent, not re-encoded.
    const ham = await client.check(
      Buffer.from(textMessage({ to: "a@ac-lyon.fr", subject: "Réunion", body: "Réunion à 17 h, salle 12.\r\n" })),
    );
    assert.equal(ham.spam, false);
    assert.ok(ham.score < 5);
  });

  it("reads spamd's answer; anything else is a protocol failure", () => {
    const ok = parseSpamdAnswer(
      Buffer.from("SPAMD/1.1 0 EX_OK\r\nContent-length: 22\r\nSpam: True ; 1000.0 / 5.0\r\n\r\nGTUBE,MISSING_DATE"),
    );
    assert.deepEqual(ok, { spam: true, score: 1000, threshold: 5, symbols: ["GTUBE", "MISSING_DATE"] });
    const negative = parseSpamdAnswer(Buffer.from("SPAMD/1.1 0 EX_OK\r\nSpam: False ; -1.9 / 5.0\r\n\r\n"));
    assert.deepEqual(negative, { spam: false, score: -1.9, threshold: 5, symbols: [] });
    for (const answer of [
      "",
      "HTTP/1.1 200 OK\r\n\r\n",
      "SPAMD/1.0 76 Bad header line: (Content-length mismatch)\r\n",
      "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n\r\n",
      "SPAMD/1.1 0 EX_OK\r\nSpam: Maybe ; 3 / 5\r\n\r\n",
    ]) {
      assert.throws(
        () => parseSpamdAnswer(Buffer.from(answer)),
        (error: unknown) => error instanceof SpamdError && error.failure === "protocol",
        JSON.stringify(answer),
      );
    }
  });

  it("a message larger than the limit is not sent to spamd (counted as skipped)", async () => {
    const checker = createSpamCheck({
      spamd: { host: "127.0.0.1", port: spamd.port, timeoutMs: 2000 },
      maxBytes: 1024,
    });
    const big = Buffer.from(textMessage({ to: "a@ac-lyon.fr", subject: "x", body: `${GTUBE}\r\n${"x".repeat(2000)}` }));
    assert.equal(await checker.score(big, { ip: "192.0.2.1" }), null);
    assert.deepEqual(checker.stats(), { checked: 0, spam: 0, unavailable: 0, skipped: 1 });
  });
});

describe("SESAME_SPAMD_URL", () => {
  const data = tempDir("sesame-spamd-config-");
  after(() => data.remove());
  const base = { SESAME_DATA_DIR: data.dir, SESAME_SECRET: "a-test-secret-of-more-than-32-characters" };

  it("unset: no scoring; spamd://host[:port] with a 2000 ms timeout by default", () => {
    assert.equal(loadConfig(base).spamd, null);
    assert.deepEqual(loadConfig({ ...base, SESAME_SPAMD_URL: "spamd://127.0.0.1:7830" }).spamd, {
      host: "127.0.0.1",
      port: 7830,
      timeoutMs: 2000,
    });
    assert.deepEqual(loadConfig({ ...base, SESAME_SPAMD_URL: "spamd://spamassassin" }).spamd, {
      host: "spamassassin",
      port: 783,
      timeoutMs: 2000,
    });
    assert.deepEqual(
      loadConfig({ ...base, SESAME_SPAMD_URL: "spamd://[::1]:783", SESAME_SPAMD_TIMEOUT_MS: "500" }).spamd,
      { host: "::1", port: 783, timeoutMs: 500 },
    );
  });

  it("refuses what is not a spamd address, with one English line naming the variable", () => {
    for (const value of [
      "127.0.0.1:783",
      "http://127.0.0.1:783",
      "spamd://",
      "spamd://127.0.0.1:0",
      "spamd://127.0.0.1:99999",
      "spamd://user:secret@127.0.0.1:783",
      "spamd://127.0.0.1:783/check",
      "spamd://bad_host:783",
      "spamd://127.0.0.1:783\r\nX: y",
    ]) {
      assert.throws(
        () => loadConfig({ ...base, SESAME_SPAMD_URL: value }),
        (error: unknown) =>
          error instanceof ConfigError &&
          /^SESAME_SPAMD_URL must be spamd:\/\/host:port, the address of SpamAssassin's spamd, such as spamd:\/\/127\.0\.0\.1:783 \(got /.test(
            error.message,
          ) &&
          !/[\r\n]/.test(error.message) &&
          !error.message.includes("secret"),
        JSON.stringify(value),
      );
    }
    assert.throws(
      () => loadConfig({ ...base, SESAME_SPAMD_URL: "spamd://127.0.0.1", SESAME_SPAMD_TIMEOUT_MS: "2s" }),
      /^ConfigError: SESAME_SPAMD_TIMEOUT_MS must be a whole number between 100 and 60000/,
    );
  });
});
