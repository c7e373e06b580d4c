/**
 * The sender checks at reception, against a real DNS server on a loopback port (dns2) serving the
 * test's zone, with real DKIM signatures (nodemailer's `dkim` option) and a real SMTP client: what
 * the client is answered, where the message lands, and the Authentication-Results it carries.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import nodemailer from "nodemailer";
import type { Options as MailOptions } from "nodemailer/lib/mailer/index.js";
import { DNS_BUDGET_MS } from "../../src/mail/sender-auth.js";
import { type SmtpReception, startSmtpReception } from "../../src/mail/smtp-reception.js";
import {
  startDnsServer,
  startGarbageDnsServer,
  startMuteDnsServer,
  type TestDnsServer,
} from "../helpers/dns-server.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { inbox, newAddress, RawSmtp } from "../helpers/smtp.js";

/**
 * What the rest of a reception may take beyond the DNS budget before a test calls it a hang: the
 * parsing, the other checks and the commit, on a 2-core CI machine running two test files at once
 * (a huge DNS answer measured 1.8 s alone and 7.6 s there).
 */
const RECEPTION_SLACK_MS = 5_000;

const MAIL_DOMAIN = "ac-lyon.fr";

function dkimKey(): { privateKey: string; txt: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const spki = publicKey.export({ type: "spki", format: "der" }).toString("base64");
  return {
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    txt: `v=DKIM1; k=rsa; p=${spki}`,
  };
}

const partnerKey = dkimKey();
const strangerKey = dkimKey();

/** The test's zone: senders with every kind of policy. */
function zone() {
  return {
    // A partner that signs, publishes SPF for loopback and a strict DMARC policy.
    "partner.example": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
    "sel._domainkey.partner.example": { TXT: [partnerKey.txt] },
    "_dmarc.partner.example": { TXT: ["v=DMARC1; p=reject"] },
    // A domain with p=reject whose SPF does not list loopback.
    "strict.example": { TXT: ["v=spf1 ip4:192.0.2.1 -all"] },
    "_dmarc.strict.example": { TXT: ["v=DMARC1; p=reject"] },
    // p=quarantine, same SPF.
    "careful.example": { TXT: ["v=spf1 ip4:192.0.2.1 -all"] },
    "_dmarc.careful.example": { TXT: ["v=DMARC1; p=quarantine"] },
    // Strict alignment (adkim=s, aspf=s), and the same relaxed: both sign and send from a subdomain.
    "mail.exact.example": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
    "sel._domainkey.mail.exact.example": { TXT: [partnerKey.txt] },
    "_dmarc.exact.example": { TXT: ["v=DMARC1; p=reject; adkim=s; aspf=s"] },
    "mail.loose.example": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
    "sel._domainkey.mail.loose.example": { TXT: [partnerKey.txt] },
    "_dmarc.loose.example": { TXT: ["v=DMARC1; p=reject"] },
    // SPF only, for loopback, no DKIM and no DMARC.
    "spf-only.example": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
    // Signs with a key of its own.
    "stranger.example": { TXT: ["v=spf1 -all"] },
    "s1._domainkey.stranger.example": { TXT: [strangerKey.txt] },
    // The académie publishes SPF and DMARC like any domain.
    [MAIL_DOMAIN]: { TXT: ["v=spf1 ip4:192.0.2.10 -all"] },
    [`_dmarc.${MAIL_DOMAIN}`]: { TXT: ["v=DMARC1; p=none"] },
    // Malformed DKIM keys: not base64, cut short, an unknown key type (no SPF, no DMARC).
    "sel._domainkey.badkey.example": { TXT: ["v=DKIM1; k=rsa; p=!!!not-base64!!!"] },
    "sel._domainkey.shortkey.example": { TXT: [partnerKey.txt.slice(0, 60)] },
    "sel._domainkey.oddkey.example": { TXT: ["v=DKIM1; k=foo; p=AAAA"] },
    // An SPF include loop and a chain past the ten lookups.
    "loop.example": { TXT: ["v=spf1 include:loop2.example -all"] },
    "loop2.example": { TXT: ["v=spf1 include:loop.example -all"] },
    ...Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [
        `chain${i}.example`,
        { TXT: [i < 11 ? `v=spf1 include:chain${i + 1}.example -all` : "v=spf1 ip4:127.0.0.1 -all"] },
      ]),
    ),
  };
}

async function sendWith(port: number, message: MailOptions, dkim?: { domain: string; selector: string; key: string }) {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port,
    secure: false,
    ignoreTLS: true,
    name: "client.partner.example",
    ...(dkim ? { dkim: { domainName: dkim.domain, keySelector: dkim.selector, privateKey: dkim.key } } : {}),
  });
  try {
    return await transport.sendMail(message);
  } finally {
    transport.close();
  }
}

/** A raw conversation: the reply to the end of DATA. */
async function sendRaw(port: number, from: string, to: string, message: string) {
  const client = await RawSmtp.open(port);
  try {
    const replies = await client.send(from, [to], message);
    assert.equal(replies.mail.code, 250);
    assert.equal(replies.rcpt[0]?.code, 250);
    assert.ok(replies.data);
    return replies.data;
  } finally {
    await client.quit();
  }
}

for (const dialect of DIALECTS) {
  describe(`sender checks at reception (${dialect})`, () => {
    let dns: TestDnsServer;
    let ctx: TestContext;
    let smtp: SmtpReception;

    before(async () => {
      dns = await startDnsServer(zone());
      ctx = await openTestServices(dialect, {
        SESAME_MAIL_DOMAIN: MAIL_DOMAIN,
        SESAME_TRUSTED_RELAYS: "",
        SESAME_DNS_SERVERS: dns.server,
      });
      smtp = await startSmtpReception({ mail: ctx.services.mail, config: ctx.config }, { port: 0, host: "127.0.0.1" });
    });

    after(async () => {
      await smtp?.close();
      await ctx?.close();
      await dns?.close();
    });

    /** The newest message of a folder, with its stored bytes. */
    async function newest(accountId: number, role: "inbox" | "junk") {
      const folder = await ctx.services.mail.folderByRole(accountId, role);
      const item = (await ctx.services.mail.list(accountId, folder.id, null, 10)).items[0];
      if (!item) return null;
      const raw = (await ctx.services.mail.raw(accountId, item.id)).toString("latin1");
      return { item, raw, authResults: raw.match(/^Authentication-Results: [^\r\n]*(\r\n[ \t][^\r\n]*)*/m)?.[0] ?? "" };
    }

    it("a signed, aligned message from a partner: delivered, verified, only the outside-sender warning", async () => {
      const rcpt = await newAddress(ctx.services);
      const info = await sendWith(
        smtp.port,
        { from: "Marie <marie@partner.example>", to: rcpt.address, subject: "Partenaire", text: "Bonjour." },
        { domain: "partner.example", selector: "sel", key: partnerKey.privateKey },
      );
      assert.match(info.response, /^250 /);
      const got = await newest(rcpt.accountId, "inbox");
      assert.equal(got?.item.subject, "Partenaire");
      assert.match(got?.authResults ?? "", new RegExp(`^Authentication-Results: ${MAIL_DOMAIN};`));
      assert.match(got?.authResults ?? "", /dkim=pass/);
      assert.match(got?.authResults ?? "", /spf=pass/);
      assert.match(got?.authResults ?? "", /dmarc=pass/);
      assert.deepEqual(got?.item.warnings, ["outside"]);
    });

    it("an incoming Authentication-Results in Sésame's name is removed; another server's is kept", async () => {
      const rcpt = await newAddress(ctx.services);
      const reply = await sendRaw(
        smtp.port,
        "someone@spf-only.example",
        rcpt.address,
        [
          `Authentication-Results: ${MAIL_DOMAIN}; dkim=pass header.d=${MAIL_DOMAIN}; dmarc=pass`,
          "Authentication-Results: mx.other.example; spf=pass",
          "From: <someone@spf-only.example>",
          `To: <${rcpt.address}>`,
          "Subject: Forged verdict",
          "",
          "Hello.",
        ].join("\r\n"),
      );
      assert.equal(reply.code, 250, reply.lines.join("|"));
      const got = await newest(rcpt.accountId, "inbox");
      const results = got?.raw.match(/^Authentication-Results: [^\r\n]*/gm) ?? [];
      assert.equal(results.length, 2, results.join("|"));
      assert.match(results[0] ?? "", new RegExp(`^Authentication-Results: ${MAIL_DOMAIN};`));
      assert.doesNotMatch(got?.raw ?? "", /dkim=pass header\.d=ac-lyon\.fr; dmarc=pass/);
      assert.match(got?.raw ?? "", /Authentication-Results: mx\.other\.example; spf=pass/);
      // SPF passed and is aligned: not unverified.
      assert.deepEqual(got?.item.warnings, ["outside"]);
    });

    it("From the académie's own domain, from outside, unauthenticated: 550 5.7.1, nothing stored", async () => {
      const rcpt = await newAddress(ctx.services);
      const reply = await sendRaw(
        smtp.port,
        "attacker@stranger.example",
        rcpt.address,
        ["From: DSI <dsi@ac-lyon.fr>", `To: <${rcpt.address}>`, "Subject: Mise à jour", "", "Cliquez ici."].join(
          "\r\n",
        ),
      );
      assert.equal(reply.code, 550);
      assert.match(reply.lines[0] ?? "", /^5\.7\.1 /);
      assert.equal((await inbox(ctx.services, rcpt.accountId)).items.length, 0);
      assert.equal((await newest(rcpt.accountId, "junk")) ?? null, null);
    });

    it("a subdomain of the académie's domain is the académie too", async () => {
      const rcpt = await newAddress(ctx.services);
      const reply = await sendRaw(
        smtp.port,
        "x@stranger.example",
        rcpt.address,
        ["From: <ce.0690001a@ent.ac-lyon.fr>", `To: <${rcpt.address}>`, "Subject: x", "", "x"].join("\r\n"),
      );
      assert.equal(reply.code, 550);
    });

    it("DMARC p=reject failing: 550 5.7.1; p=quarantine failing: Indésirables", async () => {
      const rcpt = await newAddress(ctx.services);
      const rejected = await sendRaw(
        smtp.port,
        "boss@strict.example",
        rcpt.address,
        ["From: <boss@strict.example>", `To: <${rcpt.address}>`, "Subject: Virement", "", "x"].join("\r\n"),
      );
      assert.equal(rejected.code, 550);
      assert.match(rejected.lines.join(" "), /5\.7\.1 .*DMARC/);
      const quarantined = await sendRaw(
        smtp.port,
        "news@careful.example",
        rcpt.address,
        ["From: <news@careful.example>", `To: <${rcpt.address}>`, "Subject: Promo", "", "x"].join("\r\n"),
      );
      assert.equal(quarantined.code, 250);
      assert.equal((await inbox(ctx.services, rcpt.accountId)).items.length, 0);
      const junk = await newest(rcpt.accountId, "junk");
      assert.equal(junk?.item.subject, "Promo");
      assert.match(junk?.authResults ?? "", /dmarc=fail/);
      assert.ok(junk?.item.warnings.includes("unverified"));
    });

    it("DMARC adkim=s and aspf=s: a subdomain's signature and SPF do not align (550); relaxed, they do", async () => {
      const rcpt = await newAddress(ctx.services);
      const send = (domain: string) =>
        sendWith(
          smtp.port,
          {
            envelope: { from: `bounce@mail.${domain}`, to: [rcpt.address] },
            from: `Anne <anne@${domain}>`,
            to: rcpt.address,
            subject: `Alignement ${domain}`,
            text: "Bonjour,\nle compte rendu suit.\n",
          },
          { domain: `mail.${domain}`, selector: "sel", key: partnerKey.privateKey },
        );
      // RFC 7489 3.1: strict, the domains must be identical; mail.exact.example is not exact.example.
      await assert.rejects(send("exact.example"), (error: Error) => /550 5\.7\.1.*DMARC/.test(error.message));
      assert.equal(await newest(rcpt.accountId, "inbox"), null);
      const info = await send("loose.example");
      assert.match(info.response, /^250 /);
      const stored = await newest(rcpt.accountId, "inbox");
      assert.equal(stored?.item.subject, "Alignement loose.example");
      assert.match(stored?.authResults ?? "", /dkim=pass/);
      assert.match(stored?.authResults ?? "", /dmarc=pass/);
    });

    it("no DMARC policy and nothing aligned: delivered, marked unverified", async () => {
      const rcpt = await newAddress(ctx.services);
      const info = await sendWith(
        smtp.port,
        { from: "someone@stranger.example", to: rcpt.address, subject: "Signé ailleurs", text: "x" },
        // Signed by the partner's key under another domain: a valid signature, not aligned.
        { domain: "stranger.example", selector: "s1", key: partnerKey.privateKey },
      );
      assert.match(info.response, /^250 /);
      const got = await newest(rcpt.accountId, "inbox");
      assert.match(got?.authResults ?? "", /dkim=(fail|neutral|permerror)/);
      assert.deepEqual(got?.item.warnings, ["unverified", "outside"]);
    });

    it("no From field, or two: 550 5.7.1", async () => {
      const rcpt = await newAddress(ctx.services);
      const none = await sendRaw(
        smtp.port,
        "a@partner.example",
        rcpt.address,
        [`To: <${rcpt.address}>`, "Subject: Sans expéditeur", "", "x"].join("\r\n"),
      );
      assert.equal(none.code, 550);
      assert.match(none.lines[0] ?? "", /^5\.7\.1 .*From/);
      const two = await sendRaw(
        smtp.port,
        "a@partner.example",
        rcpt.address,
        ["From: <a@partner.example>", "From: <dsi@ac-lyon.fr>", `To: <${rcpt.address}>`, "Subject: x", "", "x"].join(
          "\r\n",
        ),
      );
      assert.equal(two.code, 550);
      assert.equal((await inbox(ctx.services, rcpt.accountId)).items.length, 0);
    });

    it("malformed DKIM keys: a verdict that is not a pass, delivered unverified", async () => {
      for (const domain of ["badkey.example", "shortkey.example", "oddkey.example"]) {
        const rcpt = await newAddress(ctx.services);
        const info = await sendWith(
          smtp.port,
          { from: `someone@${domain}`, to: rcpt.address, subject: `Clé de ${domain}`, text: "x" },
          { domain, selector: "sel", key: partnerKey.privateKey },
        );
        assert.match(info.response, /^250 /, domain);
        const got = await newest(rcpt.accountId, "inbox");
        assert.equal(got?.item.subject, `Clé de ${domain}`);
        assert.match(got?.authResults ?? "", /dkim=(fail|neutral|permerror|policy)/, domain);
        assert.doesNotMatch(got?.authResults ?? "", /dkim=pass|dmarc=pass/, domain);
        assert.deepEqual(got?.item.warnings, ["unverified", "outside"], domain);
      }
    });

    it("a From with a comment, an encoded word or an IDN domain is read for its domain", async () => {
      const signedRaw = async (from: string, subject: string) => {
        const rcpt = await newAddress(ctx.services);
        const raw = [`From: ${from}`, `To: <${rcpt.address}>`, `Subject: ${subject}`, "", "Bonjour."].join("\r\n");
        const info = await sendWith(
          smtp.port,
          { envelope: { from: "marie@partner.example", to: [rcpt.address] }, raw },
          { domain: "partner.example", selector: "sel", key: partnerKey.privateKey },
        );
        assert.match(info.response, /^250 /, from);
        return (await newest(rcpt.accountId, "inbox"))?.authResults ?? "";
      };
      // A comment after the address and one inside it: the domain is partner.example's, aligned.
      for (const from of ["marie@partner.example (Marie Dupont)", "Marie <marie(bureau)@partner.example>"]) {
        const results = await signedRaw(from, "Commentaire");
        assert.match(results, /dmarc=pass/, from);
        assert.match(results, /header\.from=partner\.example/, from);
      }
      // A display name in an encoded word that itself holds an address: the real address counts.
      const encoded = await signedRaw("=?utf-8?B?ZHNpQGFjLWx5b24uZnI=?= <marie@partner.example>", "Mot codé");
      assert.match(encoded, /header\.from=partner\.example/);
      // The académie's name in Cyrillic, as UTF-8 (SMTPUTF8) and as punycode: not the académie, not
      // verified, delivered; never read as ac-lyon.fr.
      for (const from of ["<info@ac-ly\u043en.fr>", "<info@xn--ac-lyn-0qf.fr>"]) {
        const rcpt = await newAddress(ctx.services);
        const reply = await sendRaw(
          smtp.port,
          "info@xn--ac-lyn-0qf.fr",
          rcpt.address,
          [`From: ${from}`, `To: <${rcpt.address}>`, "Subject: Domaine internationalisé", "", "x"].join("\r\n"),
        );
        assert.equal(reply.code, 250, from);
        const got = await newest(rcpt.accountId, "inbox");
        assert.doesNotMatch(got?.authResults ?? "", /dmarc=pass|header\.from=ac-lyon\.fr/, from);
        assert.ok(got?.item.warnings.includes("lookalike"), `${from}: ${got?.item.warnings.join(", ")}`);
      }
    });

    it("CR and LF out of place in the header: a verdict, the message stored as it came", async () => {
      const cases = [
        // A bare CR inside a value; a line that is not a field; a From folded across two lines.
        "From: <x@spf-only.example>\r\nSubject: Retour\rchariot\r\nTo: <RCPT>\r\n\r\nx\r\n",
        "From: <x@spf-only.example>\r\nCeci n'est pas un champ\r\nSubject: Sans deux-points\r\nTo: <RCPT>\r\n\r\nx\r\n",
        "From: Marie\r\n <x@spf-only.example>\r\nSubject: Plié\r\nTo: <RCPT>\r\n\r\nx\r\n",
      ];
      for (const template of cases) {
        const rcpt = await newAddress(ctx.services);
        const message = template.replace("RCPT", rcpt.address);
        const reply = await sendRaw(smtp.port, "x@spf-only.example", rcpt.address, message);
        assert.equal(reply.code, 250, JSON.stringify(message));
        const got = await newest(rcpt.accountId, "inbox");
        assert.match(got?.authResults ?? "", /spf=pass/, JSON.stringify(message));
        assert.match(got?.authResults ?? "", /header\.from=spf-only\.example/, JSON.stringify(message));
        // Sésame's fields on top, then the message byte for byte as it came.
        const asSent = Buffer.from(message, "utf8").toString("latin1"); // `newest` reads the bytes as latin1
        assert.ok(got?.raw.endsWith(`\r\n${asSent}`), JSON.stringify(got?.raw.slice(-300)));
      }
    });

    it("SPF include loops and chains past ten lookups: permerror, delivered unverified, no hang", async () => {
      const rcpt = await newAddress(ctx.services);
      for (const domain of ["loop.example", "chain0.example"]) {
        const started = Date.now();
        const reply = await sendRaw(
          smtp.port,
          `x@${domain}`,
          rcpt.address,
          [`From: <x@${domain}>`, `To: <${rcpt.address}>`, `Subject: ${domain}`, "", "x"].join("\r\n"),
        );
        assert.equal(reply.code, 250);
        assert.ok(Date.now() - started < 5_000);
        const got = await newest(rcpt.accountId, "inbox");
        assert.match(got?.authResults ?? "", /spf=permerror/);
        assert.ok(got?.item.warnings.includes("unverified"));
      }
    });

    it("fifty DKIM signatures: a bounded number verified, a verdict, delivered", async () => {
      const rcpt = await newAddress(ctx.services);
      const signature = `DKIM-Signature: v=1; a=rsa-sha256; d=partner.example; s=sel; h=from; bh=AAAA; b=BBBB`;
      const message = [
        ...Array.from({ length: 50 }, () => signature),
        "From: <x@partner.example>",
        `To: <${rcpt.address}>`,
        "Subject: Cinquante signatures",
        "",
        "x",
      ].join("\r\n");
      const started = Date.now();
      const reply = await sendRaw(smtp.port, "x@partner.example", rcpt.address, message);
      assert.equal(reply.code, 250);
      assert.ok(Date.now() - started < 5_000);
      const got = await newest(rcpt.accountId, "inbox");
      // Every signature kept in the stored message; at most ten verified.
      assert.equal(got?.raw.match(/^DKIM-Signature:/gm)?.length, 50);
      const verified = got?.authResults.match(/dkim=/g)?.length ?? 0;
      assert.ok(verified >= 1 && verified <= 10, `${verified} signatures verified`);
    });
  });
}

describe("sender checks when DNS fails", () => {
  /**
   * A reception on services of its own (SQLite) asking the DNS server `dns`, given to `use`, then
   * closed. No trusted relay: the checks run.
   */
  async function onReception(
    dns: { readonly server: string },
    use: (reception: { ctx: TestContext; smtp: SmtpReception }) => Promise<void>,
  ): Promise<void> {
    const ctx = await openTestServices("sqlite", {
      SESAME_MAIL_DOMAIN: MAIL_DOMAIN,
      SESAME_TRUSTED_RELAYS: "",
      SESAME_DNS_SERVERS: dns.server,
    });
    const smtp = await startSmtpReception(
      { mail: ctx.services.mail, config: ctx.config },
      { port: 0, host: "127.0.0.1" },
    );
    try {
      await use({ ctx, smtp });
    } finally {
      await smtp.close();
      await ctx.close();
    }
  }

  it("a DNS server that never answers: temperror within the time budget, delivered unverified", async () => {
    const mute = await startMuteDnsServer();
    try {
      await onReception(mute, async ({ ctx, smtp }) => {
        const rcpt = await newAddress(ctx.services);
        const started = Date.now();
        const reply = await sendRaw(
          smtp.port,
          "x@partner.example",
          rcpt.address,
          ["From: <x@partner.example>", `To: <${rcpt.address}>`, "Subject: DNS muet", "", "x"].join("\r\n"),
        );
        const elapsed = Date.now() - started;
        assert.equal(reply.code, 250);
        assert.ok(elapsed < DNS_BUDGET_MS + RECEPTION_SLACK_MS, `${elapsed} ms`);
        const { items } = await inbox(ctx.services, rcpt.accountId);
        assert.equal(items[0]?.subject, "DNS muet");
        assert.ok(items[0]?.warnings.includes("unverified"));
        const raw = (await ctx.services.mail.raw(rcpt.accountId, items[0]?.id ?? 0)).toString("latin1");
        assert.match(raw, /temperror/);
      });
    } finally {
      await mute.close();
    }
  });

  it("a DNS server that answers huge (a TXT answer far past 512 bytes): a verdict within the budget, delivered", async () => {
    const chunk = "x".repeat(255);
    const dns = await startDnsServer({
      // SPF record of about 60 KB in 255-byte strings, and as many TXT records for DMARC.
      "enorme.example": { TXT: [["v=spf1 ", ...Array.from({ length: 230 }, () => chunk), " -all"]] },
      "_dmarc.enorme.example": { TXT: Array.from({ length: 200 }, (_, i) => `v=DMARC1; p=reject; x=${i}${chunk}`) },
    });
    try {
      await onReception(dns, async ({ ctx, smtp }) => {
        const rcpt = await newAddress(ctx.services);
        const started = Date.now();
        const reply = await sendRaw(
          smtp.port,
          "x@enorme.example",
          rcpt.address,
          ["From: <x@enorme.example>", `To: <${rcpt.address}>`, "Subject: DNS énorme", "", "x"].join("\r\n"),
        );
        const elapsed = Date.now() - started;
        // Whatever the resolver makes of it (a truncated answer, a record too long, several DMARC
        // records): a verdict that is not a pass, in time, and the message kept.
        assert.equal(reply.code, 250, reply.text);
        assert.ok(elapsed < DNS_BUDGET_MS + RECEPTION_SLACK_MS, `${elapsed} ms`);
        const { items } = await inbox(ctx.services, rcpt.accountId);
        assert.equal(items.length, 1);
        assert.ok(items[0]?.warnings.includes("unverified"), String(items[0]?.warnings));
        const raw = (await ctx.services.mail.raw(rcpt.accountId, items[0]?.id ?? 0)).toString("latin1");
        assert.match(raw, /^Authentication-Results: ac-lyon\.fr;/m);
        assert.doesNotMatch(raw, /spf=pass|dmarc=pass/);
      });
    } finally {
      await dns.close();
    }
  });

  it("a DNS server that answers garbage: a verdict, delivered; a trusted relay skips the checks", async () => {
    const garbage = await startGarbageDnsServer();
    const ctx = await openTestServices("sqlite", {
      SESAME_MAIL_DOMAIN: MAIL_DOMAIN,
      SESAME_TRUSTED_RELAYS: "",
      SESAME_DNS_SERVERS: garbage.server,
    });
    const trustedCtx = await openTestServices("sqlite", {
      SESAME_MAIL_DOMAIN: MAIL_DOMAIN,
      SESAME_TRUSTED_RELAYS: "127.0.0.1/32",
      SESAME_DNS_SERVERS: garbage.server,
    });
    const smtp = await startSmtpReception(
      { mail: ctx.services.mail, config: ctx.config },
      { port: 0, host: "127.0.0.1" },
    );
    const trusted = await startSmtpReception(
      { mail: trustedCtx.services.mail, config: trustedCtx.config },
      { port: 0, host: "127.0.0.1" },
    );
    try {
      const rcpt = await newAddress(ctx.services);
      const reply = await sendRaw(
        smtp.port,
        "x@partner.example",
        rcpt.address,
        ["From: <x@partner.example>", `To: <${rcpt.address}>`, "Subject: DNS bavard", "", "x"].join("\r\n"),
      );
      assert.equal(reply.code, 250);
      const internal = await newAddress(trustedCtx.services);
      const relayed = await sendRaw(
        trusted.port,
        "dsi@ac-lyon.fr",
        internal.address,
        ["From: DSI <dsi@ac-lyon.fr>", `To: <${internal.address}>`, "Subject: Relais", "", "x"].join("\r\n"),
      );
      assert.equal(relayed.code, 250);
      const { items } = await inbox(trustedCtx.services, internal.accountId);
      assert.deepEqual(items[0]?.warnings, []);
      const raw = (await trustedCtx.services.mail.raw(internal.accountId, items[0]?.id ?? 0)).toString("latin1");
      assert.doesNotMatch(raw, /^Authentication-Results:/m);
    } finally {
      await smtp.close();
      await trusted.close();
      await ctx.close();
      await trustedCtx.close();
      await garbage.close();
    }
  });
});
