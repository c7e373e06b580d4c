/**
 * SMTP submission against a real port, with a real client (nodemailer) and a raw SMTP conversation
 * where the exact reply matters: AUTH through the webmail's login (argon2, throttling, audit), the
 * sender rules, the recipient limits, and the send service's refusals mapped to SMTP replies.
 */
import assert from "node:assert/strict";
import { networkInterfaces } from "node:os";
import { after, before, describe, it } from "node:test";
import nodemailer from "nodemailer";
import type { Account } from "../../src/directory/directory.types.js";
import type { SendApi, SendResult } from "../../src/mail/send.types.js";
import { SUBMISSION_REPLIES } from "../../src/mail/smtp-replies.js";
import {
  isLoopback,
  isPlausibleAddress,
  type SmtpSubmission,
  type SmtpSubmissionDeps,
  startSmtpSubmission,
} from "../../src/mail/smtp-submission.js";
import type { Services } from "../../src/services.js";
import { DomainError, type ErrorCode } from "../../src/shared/errors.js";
import { DIALECTS, openTestServices, type TestContext, testConfig } from "../helpers/env.js";
import { RawSmtp, selfSigned, textMessage } from "../helpers/smtp.js";
import { accountOf, seedStaff, uniqueStaff } from "../helpers/web.js";

const PASSWORD = "Quatre chevaux galopent sous la pluie d'automne";

/** A staff member whose account already has a personal password. */
async function personalAccount(services: Services): Promise<Account> {
  const row = uniqueStaff();
  await seedStaff(services, [row]);
  const account = await accountOf(services, row);
  await services.directory.setPasswordHash(account.id, await services.hasher.hash(PASSWORD), "personal", null);
  return account;
}

function client(
  port: number,
  user: string,
  pass: string,
  options: { method?: string; host?: string; tls?: boolean } = {},
) {
  return nodemailer.createTransport({
    host: options.host ?? "127.0.0.1",
    port,
    secure: false,
    ignoreTLS: !options.tls,
    requireTLS: options.tls ?? false,
    tls: { rejectUnauthorized: false },
    auth: { user, pass },
    ...(options.method ? { authMethod: options.method } : {}),
  });
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const plain = (user: string, pass: string) => `AUTH PLAIN ${b64(`\0${user}\0${pass}`)}`;

async function folderItems(services: Services, accountId: number, role: "inbox" | "sent") {
  const folder = await services.mail.folderByRole(accountId, role);
  return (await services.mail.list(accountId, folder.id, null, 200)).items;
}

/** An address of this machine that is not loopback, if it has one. */
function externalAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) if (entry.family === "IPv4" && !entry.internal) return entry.address;
  }
  return null;
}

/**
 * The address a "remote" client connects from. These tests are never skipped (in CI or not):
 * without such an address they fail, naming what the machine lacks.
 */
function requireExternal(external: string | null): string {
  if (external === null) {
    throw new Error(
      "this machine has no IPv4 address besides loopback: the rules for SMTP clients that are not on " +
        "loopback cannot be tested; give it (or the CI runner) a network interface other than lo",
    );
  }
  return external;
}

describe("SMTP submission helpers", () => {
  it("isLoopback: 127.0.0.0/8 and ::1 in their spellings, nothing else", () => {
    for (const ip of ["127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "::0:1"]) {
      assert.equal(isLoopback(ip), true, ip);
    }
    for (const ip of [
      "192.0.2.2",
      "10.0.0.1",
      "128.0.0.1",
      "::2",
      "::ffff:192.0.2.1",
      "fe80::1",
      "",
      "localhost",
      "1.127.0.0",
    ]) {
      assert.equal(isLoopback(ip), false, ip);
    }
    assert.equal(isLoopback(undefined), false);
  });

  it("isPlausibleAddress", () => {
    assert.equal(isPlausibleAddress("jean.dupont@ac-lyon.fr"), true);
    assert.equal(isPlausibleAddress("élève@école.fr"), true);
    for (const bad of [
      "jean",
      "jean@localhost",
      "@ac-lyon.fr",
      "a b@x.fr",
      "a@x..fr",
      "a@-x.fr",
      `${"a".repeat(65)}@x.fr`,
    ]) {
      assert.equal(isPlausibleAddress(bad), false, bad);
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`SMTP submission (${dialect})`, () => {
    let ctx: TestContext;
    let smtp: SmtpSubmission;
    const sends: { accountId: number; to: readonly string[] }[] = [];

    before(async () => {
      ctx = await openTestServices(dialect);
      const send: SmtpSubmissionDeps["send"] = {
        sendRaw: (accountId, raw, envelope, meta) => {
          sends.push({ accountId, to: envelope.to });
          return ctx.services.send.sendRaw(accountId, raw, envelope, meta);
        },
      };
      smtp = await startSmtpSubmission(
        { login: ctx.services.login, send, config: ctx.config },
        { port: 0, host: "127.0.0.1" },
      );
    });

    after(async () => {
      await smtp?.close();
      await ctx?.close();
    });

    it("on loopback without TLS: offers AUTH PLAIN LOGIN, and MAIL before AUTH is refused (530 5.7.0)", async () => {
      const { client: raw, greeting } = await RawSmtp.connect(smtp.port);
      try {
        assert.equal(greeting.code, 220);
        const ehlo = await raw.command("EHLO client.example.org");
        assert.ok(ehlo.lines.includes("AUTH PLAIN LOGIN"), ehlo.lines.join("|"));
        assert.ok(!ehlo.lines.includes("STARTTLS"), ehlo.lines.join("|"));
        assert.match((await raw.command("MAIL FROM:<x@example.org>")).text, /^530 5\.7\.0 /);
      } finally {
        await raw.quit();
      }
    });

    it("AUTH PLAIN: a message to a colleague lands in their inbox and in the sender's Envoyés", async () => {
      const sender = await personalAccount(ctx.services);
      const colleague = await personalAccount(ctx.services);
      const info = await client(smtp.port, sender.username, PASSWORD, { method: "PLAIN" }).sendMail({
        from: sender.address,
        to: colleague.address,
        subject: "Conseil de classe (PLAIN)",
        text: "Bonjour,\nle conseil est jeudi.\n",
      });
      assert.match(info.response, /^250 2\.6\.0 /);
      assert.deepEqual(info.accepted, [colleague.address]);
      const inbox = await folderItems(ctx.services, colleague.id, "inbox");
      assert.equal(inbox[0]?.subject, "Conseil de classe (PLAIN)");
      const sent = await folderItems(ctx.services, sender.id, "sent");
      assert.equal(sent[0]?.subject, "Conseil de classe (PLAIN)");
      const audited = await ctx.services.audit.list({ action: "login.succeeded" });
      assert.ok(audited.some((e) => e.actor === "smtp:submission" && e.entityId === String(sender.id)));
    });

    it("AUTH LOGIN with the full address works the same", async () => {
      const sender = await personalAccount(ctx.services);
      const colleague = await personalAccount(ctx.services);
      const info = await client(smtp.port, sender.address, PASSWORD, { method: "LOGIN" }).sendMail({
        from: sender.address,
        to: colleague.address,
        subject: "Conseil de classe (LOGIN)",
        text: "Bonjour.\n",
      });
      assert.match(info.response, /^250 /);
      assert.equal((await folderItems(ctx.services, colleague.id, "inbox"))[0]?.subject, "Conseil de classe (LOGIN)");
    });

    it("a wrong password: 535 5.7.8 and a failure in the audit trail", async () => {
      const account = await personalAccount(ctx.services);
      const raw = await RawSmtp.open(smtp.port);
      try {
        assert.match((await raw.command(plain(account.username, "pas le bon"))).text, /^535 5\.7\.8 /);
      } finally {
        await raw.quit();
      }
      const failed = await ctx.services.audit.list({ action: "login.failed" });
      assert.ok(
        failed.some((e) => e.actor === "smtp:submission" && e.details.username === account.username),
        JSON.stringify(failed.slice(-3)),
      );
      // And through nodemailer: an authentication error.
      await assert.rejects(
        client(smtp.port, account.username, "pas le bon").sendMail({
          from: account.address,
          to: account.address,
          text: "x",
        }),
        (error: Error & { responseCode?: number }) => error.responseCode === 535,
      );
    });

    it("throttled per account after repeated failures: 454 4.7.0, even with the right password", async () => {
      const account = await personalAccount(ctx.services);
      const raw = await RawSmtp.open(smtp.port);
      try {
        // The same counter as the webmail: 5 free failures (one was not enough above).
        for (let i = 0; i < 5; i += 1) {
          assert.match((await raw.command(plain(account.username, `faux ${i}`))).text, /^535 /);
        }
        assert.match((await raw.command(plain(account.username, PASSWORD))).text, /^454 4\.7\.0 /);
      } finally {
        await raw.quit();
      }
      const throttled = await ctx.services.audit.list({ action: "login.throttled" });
      assert.ok(throttled.some((e) => e.actor === "smtp:submission" && e.details.username === account.username));
    });

    it("an account still on its initial password cannot send: 535 telling them to use the webmail", async () => {
      const row = uniqueStaff();
      await seedStaff(ctx.services, [row]);
      const account = await accountOf(ctx.services, row);
      const raw = await RawSmtp.open(smtp.port);
      try {
        const reply = await raw.command(plain(account.username, row.numen));
        assert.match(reply.text, /^535 5\.7\.8 .*sign in to the webmail first/);
        assert.match((await raw.command(`MAIL FROM:<${account.address}>`)).text, /^530 /);
      } finally {
        await raw.quit();
      }
    });

    it("MAIL FROM another address: 553 5.7.1; From header of another address: 550 5.7.1, nothing sent", async () => {
      const account = await personalAccount(ctx.services);
      const colleague = await personalAccount(ctx.services);
      const raw = await RawSmtp.open(smtp.port);
      try {
        assert.equal((await raw.command(plain(account.username, PASSWORD))).code, 235);
        assert.match((await raw.command(`MAIL FROM:<${colleague.address}>`)).text, /^553 5\.7\.1 /);
        assert.match((await raw.command("MAIL FROM:<>")).text, /^553 5\.7\.1 /);
        const before = sends.length;
        const r = await raw.send(
          account.address.toUpperCase(),
          [colleague.address],
          textMessage({ from: `Quelqu'un <${colleague.address}>`, to: colleague.address, subject: "usurpation" }),
        );
        assert.equal(r.mail.code, 250);
        assert.equal(r.rcpt[0]?.code, 250);
        assert.match(r.data?.text ?? "", /^550 5\.7\.1 /);
        assert.equal(sends.length, before + 1);
      } finally {
        await raw.quit();
      }
      assert.equal((await folderItems(ctx.services, colleague.id, "inbox")).length, 0);
    });

    it("1,000 recipients: the first 100 accepted, the rest 452 4.5.3; malformed ones 550 5.1.3 / 501", async () => {
      const account = await personalAccount(ctx.services);
      const raw = await RawSmtp.open(smtp.port);
      try {
        assert.equal((await raw.command(plain(account.username, PASSWORD))).code, 235);
        assert.equal((await raw.command(`MAIL FROM:<${account.address}>`)).code, 250);
        assert.match((await raw.command("RCPT TO:<pas-une-adresse@localhost>")).text, /^550 5\.1\.3 /);
        assert.match((await raw.command("RCPT TO:<@ac-test.fr>")).text, /^501 /);
        const codes: string[] = [];
        for (let i = 0; i < 1000; i += 1) {
          const reply = await raw.command(`RCPT TO:<destinataire.${i}@example.org>`);
          codes.push(reply.text.slice(0, 9));
        }
        assert.deepEqual(codes.slice(0, 100), Array(100).fill("250 2.1.5"));
        assert.deepEqual(codes.slice(100), Array(900).fill("452 4.5.3"));
        assert.match((await raw.command("RSET")).text, /^250 /);
      } finally {
        await raw.quit();
      }
    });
  });
}

describe("SMTP submission: every refusal of the send service on the wire (scripted services)", () => {
  const address = "jean.dupont@ac-test.fr";
  let smtp: SmtpSubmission;
  const login: SmtpSubmissionDeps["login"] = {
    async authenticate(input) {
      if (input.password !== PASSWORD) throw new DomainError("INVALID_CREDENTIALS", "x");
      return { accountId: 7, address, mustChangePassword: false };
    },
  };
  const send: Pick<SendApi, "sendRaw"> = {
    async sendRaw(_accountId, raw): Promise<SendResult> {
      const subject = /^Subject: (\S+)/m.exec(raw.toString("utf8"))?.[1] ?? "";
      if (subject === "BOOM") throw new Error("database unreachable");
      if (subject !== "OK") throw new DomainError(subject as ErrorCode, "scripted");
      return { messageId: "<x@ac-test.fr>", sentCopyId: 1, delivered: ["a@ac-test.fr"], queued: [] };
    },
  };

  before(async () => {
    const config = testConfig({ SESAME_MAIL_MAX_SIZE_MB: "1" });
    smtp = await startSmtpSubmission({ login, send, config }, { port: 0, host: "127.0.0.1" });
  });
  after(async () => {
    await smtp?.close();
  });

  const expected: [string, RegExp][] = [
    ["OK", /^250 2\.6\.0 OK: message sent \(1 delivered, 0 queued\)$/],
    ["SENDER_MISMATCH", /^550 5\.7\.1 /],
    ["SENDING_LIMIT", /^450 4\.7\.1 Sending limit reached, try later$/],
    ["INVALID_RECIPIENTS", /^550 5\.1\.3 /],
    ["NO_RECIPIENT", /^550 5\.1\.3 /],
    ["TOO_MANY_RECIPIENTS", /^452 4\.5\.3 /],
    ["MESSAGE_TOO_LARGE", /^552 5\.3\.4 /],
    ["ATTACHMENT_TOO_LARGE", /^552 5\.3\.4 /],
    ["MESSAGE_MALFORMED", /^554 5\.6\.0 /],
    ["NOT_FOUND", /^451 4\.3\.0 /],
    ["BOOM", /^451 4\.3\.0 /],
  ];
  it("maps each code to its reply, with its own enhanced code", async () => {
    const raw = await RawSmtp.open(smtp.port);
    try {
      assert.equal((await raw.command(plain(address, PASSWORD))).code, 235);
      for (const [subject, reply] of expected) {
        const r = await raw.send(
          address,
          ["a@example.org"],
          textMessage({ from: address, to: "a@example.org", subject }),
        );
        assert.match(r.data?.text ?? "", reply, subject);
      }
    } finally {
      await raw.quit();
    }
    assert.equal(SUBMISSION_REPLIES.SENDING_LIMIT.code, 450);
  });

  it("a message over the size limit: 552 5.3.4, the connection still usable", async () => {
    const raw = await RawSmtp.open(smtp.port);
    try {
      assert.equal((await raw.command(plain(address, PASSWORD))).code, 235);
      const body = textMessage({
        from: address,
        to: "a@example.org",
        subject: "OK",
        body: `${"y".repeat(998)}\r\n`.repeat(1100),
      });
      const r = await raw.send(address, ["a@example.org"], body);
      assert.match(r.data?.text ?? "", /^552 5\.3\.4 /);
      const ok = await raw.send(
        address,
        ["a@example.org"],
        textMessage({ from: address, to: "a@example.org", subject: "OK" }),
      );
      assert.match(ok.data?.text ?? "", /^250 /);
    } finally {
      await raw.quit();
    }
  });
});

describe("SMTP submission with STARTTLS, and for a client that is not on loopback", () => {
  let certs: ReturnType<typeof selfSigned>;
  let tlsServer: SmtpSubmission;
  let plainServer: SmtpSubmission;
  const external = externalAddress();
  const address = "jean.dupont@ac-test.fr";
  const delivered: string[] = [];
  const deps = (config: ReturnType<typeof testConfig>): SmtpSubmissionDeps => ({
    login: {
      async authenticate(input) {
        if (input.password !== PASSWORD) throw new DomainError("INVALID_CREDENTIALS", "x");
        return { accountId: 7, address, mustChangePassword: false };
      },
    },
    send: {
      async sendRaw(_accountId, _raw, envelope) {
        delivered.push(...envelope.to);
        return { messageId: "<x@ac-test.fr>", sentCopyId: 1, delivered: [...envelope.to], queued: [] };
      },
    },
    config,
  });

  before(async () => {
    certs = selfSigned();
    // On every interface, so that a client can come from the machine's other address.
    const host = external ? "0.0.0.0" : "127.0.0.1";
    tlsServer = await startSmtpSubmission(
      deps(testConfig({ SESAME_SMTP_TLS_CERT: certs.cert, SESAME_SMTP_TLS_KEY: certs.key })),
      { port: 0, host },
    );
    plainServer = await startSmtpSubmission(deps(testConfig()), { port: 0, host });
  });
  after(async () => {
    await tlsServer?.close();
    await plainServer?.close();
    certs?.remove();
  });

  it("STARTTLS with a self-signed certificate, then AUTH, then the message is sent", async () => {
    const info = await client(tlsServer.port, address, PASSWORD, { tls: true }).sendMail({
      from: address,
      to: "chiffre@example.org",
      subject: "TLS",
      text: "x",
    });
    assert.match(info.response, /^250 /);
    assert.ok(delivered.includes("chiffre@example.org"));
  });

  it("not on loopback, plain text: AUTH is not offered nor accepted; after STARTTLS it is", async () => {
    const host = requireExternal(external);
    const raw = await RawSmtp.open(tlsServer.port, host);
    try {
      const ehlo = await raw.command("EHLO client.example.org");
      assert.ok(ehlo.lines.includes("STARTTLS"), ehlo.lines.join("|"));
      assert.ok(!ehlo.lines.some((l) => l.startsWith("AUTH")), ehlo.lines.join("|"));
      assert.notEqual((await raw.command(plain(address, PASSWORD))).code, 235);
      assert.match((await raw.command(`MAIL FROM:<${address}>`)).text, /^530 5\.7\.0 /);
    } finally {
      await raw.quit();
    }
    // nodemailer refuses to authenticate without TLS when AUTH is not offered…
    await assert.rejects(
      client(tlsServer.port, address, PASSWORD, { host }).sendMail({ from: address, to: "a@example.org", text: "x" }),
    );
    // …and succeeds over STARTTLS from the same address.
    const info = await client(tlsServer.port, address, PASSWORD, { host, tls: true }).sendMail({
      from: address,
      to: "distant@example.org",
      text: "x",
    });
    assert.match(info.response, /^250 /);
  });

  it("not on loopback and no certificate: no STARTTLS, no AUTH, nothing can be sent", async () => {
    const raw = await RawSmtp.open(plainServer.port, requireExternal(external));
    try {
      const ehlo = await raw.command("EHLO client.example.org");
      assert.ok(!ehlo.lines.some((l) => l.startsWith("AUTH") || l === "STARTTLS"), ehlo.lines.join("|"));
      assert.notEqual((await raw.command(plain(address, PASSWORD))).code, 235);
      assert.match((await raw.command(`MAIL FROM:<${address}>`)).text, /^530 5\.7\.0 /);
    } finally {
      await raw.quit();
    }
    // The same server still authenticates a client on loopback in plain text.
    const loop = await RawSmtp.open(plainServer.port);
    try {
      assert.equal((await loop.command(plain(address, PASSWORD))).code, 235);
    } finally {
      await loop.quit();
    }
  });
});
