/**
 * Outbound messages: composed by nodemailer, kept in the outbox when no relay is
 * configured (on SQLite and PostgreSQL), or handed to a REAL SMTP server (smtp-server on 127.0.0.1)
 * when SESAME_SMTP_RELAY_URL points at it; a refusing or absent relay gives MAIL_UNAVAILABLE. The
 * `sesame outbox` command runs as a real process. Also the French texts of the password-change notice
 * and of the reset link.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { type AddressInfo, createServer as createTcpServer } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { ConfigError, loadConfig } from "../../src/config/config.js";
import { passwordChangedMessage, resetLinkMessage, verificationCodeMessage } from "../../src/i18n/messages.fr.js";
import type { OutboundMessage } from "../../src/mail/outbound.js";
import { composeMessage, relayOptions, senderFor } from "../../src/mail/outbound.service.js";
import { openServices } from "../../src/services.js";
import { FakeClock } from "../../src/shared/clock.js";
import { isDomainError } from "../../src/shared/errors.js";
import { DIALECTS, openTestServices, TEST_SECRET, tempDir } from "../helpers/env.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(ROOT, "bin/sesame.js");

const ACCENTED: OutboundMessage = {
  to: "Elise.Martin@Exemple.FR",
  subject: "Réinitialisation de votre mot de passe — élève, garçon, œuvre",
  text: "Bonjour Élise,\n\nVoici le lien : https://sesame.exemple.fr/assistance/lien?jeton=abc_DEF-123\n\nÀ bientôt ! €\n-- \nSésame",
};

// ---------------------------------------------------------------------------------------------
// A small RFC 5322 reader for the checks (headers unfolded, RFC 2047 words, quoted-printable).

function decodeWord(charset: string, encoding: string, data: string): Buffer {
  assert.equal(charset.toLowerCase(), "utf-8");
  if (encoding.toUpperCase() === "B") return Buffer.from(data, "base64");
  const bytes: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    if (c === "_") bytes.push(0x20);
    else if (c === "=") {
      bytes.push(Number.parseInt(data.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(data.charCodeAt(i));
  }
  return Buffer.from(bytes);
}

function decodeHeader(value: string): string {
  const parts: Buffer[] = [];
  const word = /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g;
  let last = 0;
  let previousWasWord = false;
  for (let m = word.exec(value); m; m = word.exec(value)) {
    const between = value.slice(last, m.index);
    // Whitespace between two encoded words is not part of the text (RFC 2047, 6.2).
    if (!(previousWasWord && /^\s*$/.test(between))) parts.push(Buffer.from(between, "utf8"));
    parts.push(decodeWord(m[1] ?? "", m[2] ?? "", m[3] ?? ""));
    last = m.index + m[0].length;
    previousWasWord = true;
  }
  parts.push(Buffer.from(value.slice(last), "utf8"));
  return Buffer.concat(parts).toString("utf8");
}

function decodeQuotedPrintable(body: string): string {
  const soft = body.replace(/=\r\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === "=" && /^[0-9A-F]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(soft.charCodeAt(i));
  }
  return Buffer.from(bytes).toString("utf8");
}

interface ParsedMessage {
  /** Lower-case names, raw (still encoded) values. */
  readonly rawHeaders: Map<string, string>;
  header(name: string): string | undefined;
  readonly text: string;
}

function parseMessage(raw: string): ParsedMessage {
  assert.ok(/^[\t\r\n\x20-\x7e]*$/.test(raw), "the message is 7-bit");
  assert.ok(!/(^|[^\r])\n/.test(raw), "every line ends with CRLF");
  const split = raw.indexOf("\r\n\r\n");
  assert.ok(split > 0, "headers and body are separated by an empty line");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const rawHeaders = new Map<string, string>();
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    assert.ok(colon > 0, `header line: ${line}`);
    const name = line.slice(0, colon).toLowerCase();
    assert.ok(!rawHeaders.has(name), `one ${name} header`);
    rawHeaders.set(name, line.slice(colon + 1).trim());
  }
  const body = raw.slice(split + 4);
  const cte = (rawHeaders.get("content-transfer-encoding") ?? "7bit").toLowerCase();
  const decoded =
    cte === "quoted-printable"
      ? decodeQuotedPrintable(body)
      : cte === "base64"
        ? Buffer.from(body, "base64").toString("utf8")
        : body;
  return {
    rawHeaders,
    header: (name) => {
      const v = rawHeaders.get(name.toLowerCase());
      return v === undefined ? undefined : decodeHeader(v);
    },
    text: decoded.replace(/\r\n/g, "\n").replace(/\n$/, ""),
  };
}

function assertWellFormed(raw: string, message: OutboundMessage, mailDomain: string, academie: string): ParsedMessage {
  const parsed = parseMessage(raw);
  assert.equal(parsed.header("From"), `Sésame — ${academie} <ne-pas-repondre@${mailDomain}>`);
  assert.match(parsed.rawHeaders.get("from") ?? "", /^=\?UTF-8\?/, "the sender's name is encoded");
  assert.equal(parsed.header("To")?.toLowerCase(), message.to.toLowerCase());
  assert.equal(parsed.header("Subject"), message.subject);
  assert.match(parsed.rawHeaders.get("subject") ?? "", /^=\?UTF-8\?[QB]\?/, "the subject is RFC 2047 encoded");
  assert.match(parsed.header("Content-Type") ?? "", /^text\/plain; charset=utf-8$/i);
  assert.equal(parsed.header("MIME-Version"), "1.0");
  assert.equal(parsed.header("Auto-Submitted"), "auto-generated");
  assert.match(parsed.header("Message-ID") ?? "", new RegExp(`^<[0-9a-f]{32}@${mailDomain.replace(/\./g, "\\.")}>$`));
  const date = new Date(parsed.header("Date") ?? "");
  assert.ok(!Number.isNaN(date.getTime()), "a readable Date");
  assert.equal(parsed.text, message.text);
  return parsed;
}

// ---------------------------------------------------------------------------------------------

describe("outbound message composition", () => {
  const sender = senderFor("académie de Lyon", "ac-lyon.fr");
  const at = new Date("2026-01-15T08:00:00.000Z");

  it("builds an RFC 5322 message with encoded UTF-8 headers, Date, Message-ID and Auto-Submitted", async () => {
    const composed = await composeMessage({ ...ACCENTED, replyTo: "assistance@ac-lyon.fr" }, sender, at);
    const parsed = assertWellFormed(composed.raw, ACCENTED, "ac-lyon.fr", "académie de Lyon");
    assert.equal(parsed.header("Reply-To"), "assistance@ac-lyon.fr");
    assert.equal(new Date(parsed.header("Date") ?? "").toISOString(), at.toISOString());
    assert.equal(parsed.header("Message-ID"), composed.messageId);
    assert.deepEqual(composed.envelope, { from: "ne-pas-repondre@ac-lyon.fr", to: "Elise.Martin@exemple.fr" });
    assert.equal(parsed.rawHeaders.has("x-mailer"), false);
  });

  it("gives every message its own Message-ID", async () => {
    const a = await composeMessage(ACCENTED, sender, at);
    const b = await composeMessage(ACCENTED, sender, at);
    assert.notEqual(a.messageId, b.messageId);
  });

  it("refuses several recipients, a header injection or a multi-line subject", async () => {
    for (const to of ["a@exemple.fr, b@exemple.fr", "a@exemple.fr\r\nBcc: b@exemple.fr", "pas une adresse", ""]) {
      await assert.rejects(composeMessage({ ...ACCENTED, to }, sender, at), (e) => isDomainError(e, "INVALID_EMAIL"));
    }
    await assert.rejects(composeMessage({ ...ACCENTED, replyTo: "x@y.fr\nCc: z@y.fr" }, sender, at), (e) =>
      isDomainError(e, "INVALID_EMAIL"),
    );
    for (const subject of ["Objet\r\nBcc: b@exemple.fr", "   "]) {
      await assert.rejects(composeMessage({ ...ACCENTED, subject }, sender, at), (e) =>
        isDomainError(e, "VALIDATION_FAILED"),
      );
    }
  });
});

describe("outbound message texts", () => {
  const ctx = {
    academieName: "académie de Lyon",
    publicUrl: "https://sesame.ac-lyon.fr",
    rectoratPhone: "04 72 80 60 60",
  };
  const at = new Date("2026-01-15T08:05:00.000Z"); // 09 h 05 in Paris

  it("password changed: when, from where, and what to do if it was not you", () => {
    const m = passwordChangedMessage(ctx, {
      to: "jean.dupont@ac-lyon.fr",
      username: "jdupont",
      address: "jean.dupont@ac-lyon.fr",
      at,
      via: "assistance",
      ip: "203.0.113.7",
    });
    assert.equal(m.to, "jean.dupont@ac-lyon.fr");
    assert.equal(m.subject, "Votre mot de passe a été modifié");
    assert.match(
      m.text,
      /Le mot de passe de votre compte jdupont \(jean\.dupont@ac-lyon\.fr\) a été modifié le 15 janvier 2026 à 09 h 05 depuis l'Assistance à l'identification \(adresse IP 203\.0\.113\.7\)\./,
    );
    assert.match(m.text, /Si ce n'est pas vous/);
    assert.match(m.text, /^ {2}https:\/\/sesame\.ac-lyon\.fr\/assistance$/m);
    assert.match(m.text, /04 72 80 60 60/);
    assert.match(m.text, /\n-- \nSésame — académie de Lyon\n/);
    const webmail = passwordChangedMessage(ctx, {
      ...{ to: "a@b.fr", username: "u", address: "a@b.fr" },
      at,
      via: "webmail",
    });
    assert.match(webmail.text, /à 09 h 05 depuis le webmail\./);
  });

  it("reset link: the link alone on its line, its lifetime, single use, ignore if not you", () => {
    const link = "https://sesame.ac-lyon.fr/assistance/lien/AbCdEf0123456789_-xyz";
    const m = resetLinkMessage(ctx, { to: "jean@exemple.fr", username: "ext-jdupont", link, validMinutes: 15, at });
    assert.equal(m.subject, "Réinitialisation de votre mot de passe");
    assert.ok(m.text.split("\n").includes(link));
    assert.match(m.text, /du compte ext-jdupont a été faite le 15 janvier 2026 à 09 h 05/);
    assert.match(m.text, /dans les 15 minutes/);
    assert.match(m.text, /ne sert qu'une fois/);
    assert.match(m.text, /ignorez ce message : votre mot de passe reste inchangé\./);
  });

  it("verification code: the code, its lifetime and tries", () => {
    const m = verificationCodeMessage(ctx, {
      to: "jean@exemple.fr",
      username: "jdupont",
      code: "048213",
      purpose: "recovery-address",
      validMinutes: 10,
      maxAttempts: 3,
    });
    assert.ok(m.text.split("\n").some((l) => l.trim() === "048213"));
    assert.match(m.text, /adresse de récupération du compte jdupont/);
    assert.match(m.text, /valable 10 minutes, avec 3 essais au plus/);
  });
});

for (const dialect of DIALECTS) {
  describe(`outbox without a relay (${dialect})`, () => {
    it("keeps a message with accents: recipient, subject, text and a raw text that parses back", async () => {
      const clock = new FakeClock("2026-03-02T10:00:00.000Z");
      const t = await openTestServices(dialect, {}, { clock });
      try {
        assert.equal(t.config.smtpRelayUrl, null);
        assert.equal(t.services.outbound.mode, "outbox");
        await t.services.outbound.send(ACCENTED);
        const [entry, ...others] = await t.services.outbound.listOutbox();
        assert.equal(others.length, 0);
        assert.ok(entry);
        assert.equal(entry.recipient, "elise.martin@exemple.fr");
        assert.equal(entry.subject, ACCENTED.subject);
        assert.equal(entry.text, ACCENTED.text);
        assert.equal(entry.createdAt, "2026-03-02T10:00:00.000Z");
        assert.ok(Number.isInteger(entry.id));
        const parsed = assertWellFormed(entry.raw, ACCENTED, t.config.mailDomain, t.config.academieName);
        assert.equal(new Date(parsed.header("Date") ?? "").toISOString(), "2026-03-02T10:00:00.000Z");
      } finally {
        await t.close();
      }
    });

    it("lists newest first, filters by recipient (any case) and limits", async () => {
      const clock = new FakeClock("2026-03-02T10:00:00.000Z");
      const t = await openTestServices(dialect, {}, { clock });
      try {
        const send = (to: string, subject: string) =>
          t.services.outbound.send({ to, subject, text: `Texte ${subject}` });
        await send("anne@exemple.fr", "premier");
        clock.advance(60_000);
        await send("bruno@exemple.fr", "deuxième");
        clock.advance(60_000);
        await send("Anne@Exemple.fr", "troisième");
        await send("anne@exemple.fr", "quatrième"); // same instant: the later one first
        const all = await t.services.outbound.listOutbox();
        assert.deepEqual(
          all.map((m) => m.subject),
          ["quatrième", "troisième", "deuxième", "premier"],
        );
        const anne = await t.services.outbound.listOutbox({ to: "ANNE@exemple.fr" });
        assert.deepEqual(
          anne.map((m) => m.subject),
          ["quatrième", "troisième", "premier"],
        );
        assert.ok(anne.every((m) => m.recipient === "anne@exemple.fr"));
        const latest = await t.services.outbound.listOutbox({ to: "anne@exemple.fr", limit: 1 });
        assert.deepEqual(
          latest.map((m) => m.subject),
          ["quatrième"],
        );
        assert.deepEqual(await t.services.outbound.listOutbox({ to: "personne@exemple.fr" }), []);
        await assert.rejects(t.services.outbound.listOutbox({ limit: 0 }), (e) =>
          isDomainError(e, "VALIDATION_FAILED"),
        );
      } finally {
        await t.close();
      }
    });

    it("stores nothing for a message it refuses", async () => {
      const t = await openTestServices(dialect);
      try {
        await assert.rejects(t.services.outbound.send({ ...ACCENTED, to: "a@b.fr, c@d.fr" }), (e) =>
          isDomainError(e, "INVALID_EMAIL"),
        );
        assert.deepEqual(await t.services.outbound.listOutbox(), []);
      } finally {
        await t.close();
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------

interface Received {
  readonly from: string | null;
  readonly to: string[];
  readonly data: string;
  readonly user: string | null;
}

interface Relay {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  close(): Promise<void>;
}

async function startRelay(options: Partial<SMTPServerOptions> = {}): Promise<Relay> {
  const received: Received[] = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const mailFrom = session.envelope.mailFrom;
        received.push({
          from: mailFrom ? mailFrom.address : null,
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString("utf8"),
          user: typeof session.user === "string" ? session.user : null,
        });
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port where nothing listens. */
async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("outbound through an SMTP relay", () => {
  it("hands the message to the relay: envelope and data (subject, body); nothing in the outbox", async () => {
    const relay = await startRelay();
    const t = await openTestServices("sqlite", { SESAME_SMTP_RELAY_URL: relay.url });
    try {
      assert.equal(t.config.smtpRelayUrl, relay.url);
      assert.equal(t.services.outbound.mode, "relay");
      await t.services.outbound.send(ACCENTED);
      await t.services.outbound.send({ to: "bruno@exemple.fr", subject: "Second", text: "Deuxième message" });
      assert.equal(relay.received.length, 2);
      const [first, second] = relay.received;
      assert.ok(first && second);
      assert.equal(first.from, `ne-pas-repondre@${t.config.mailDomain}`);
      assert.deepEqual(first.to, ["Elise.Martin@exemple.fr"]);
      assertWellFormed(first.data, ACCENTED, t.config.mailDomain, t.config.academieName);
      assert.deepEqual(second.to, ["bruno@exemple.fr"]);
      assert.equal(parseMessage(second.data).text, "Deuxième message");
      assert.deepEqual(await t.services.outbound.listOutbox(), []);
    } finally {
      await t.close();
      await relay.close();
    }
  });

  it("authenticates with the credentials of the URL", async () => {
    const relay = await startRelay({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === "sésame@relais" && auth.password === "p@ss:wörd/1") {
          callback(null, { user: auth.username });
        } else callback(new Error("Invalid username or password"));
      },
    });
    const url = `smtp://${encodeURIComponent("sésame@relais")}:${encodeURIComponent("p@ss:wörd/1")}@127.0.0.1:${relay.port}`;
    const t = await openTestServices("sqlite", { SESAME_SMTP_RELAY_URL: url });
    try {
      await t.services.outbound.send({ to: "anne@exemple.fr", subject: "Objet", text: "Texte" });
      assert.equal(relay.received.length, 1);
      assert.equal(relay.received[0]?.user, "sésame@relais");
    } finally {
      await t.close();
      await relay.close();
    }
  });

  it("a relay that refuses the recipient (550) gives MAIL_UNAVAILABLE, without the message in the error", async () => {
    const relay = await startRelay({
      onRcptTo(_address, _session, callback) {
        const refusal = Object.assign(new Error("Mailbox unavailable"), { responseCode: 550 });
        callback(refusal);
      },
    });
    const t = await openTestServices("sqlite", { SESAME_SMTP_RELAY_URL: relay.url });
    try {
      await assert.rejects(t.services.outbound.send(ACCENTED), (e) => {
        assert.ok(isDomainError(e, "MAIL_UNAVAILABLE"), String(e));
        assert.equal(e.details.responseCode, 550);
        assert.ok(!JSON.stringify({ m: e.message, d: e.details }).includes("jeton"));
        return true;
      });
      assert.equal(relay.received.length, 0);
      assert.deepEqual(await t.services.outbound.listOutbox(), [], "no silent fallback to the outbox");
    } finally {
      await t.close();
      await relay.close();
    }
  });

  it("a relay that is down gives MAIL_UNAVAILABLE, promptly", async () => {
    const port = await closedPort();
    const t = await openTestServices("sqlite", { SESAME_SMTP_RELAY_URL: `smtp://127.0.0.1:${port}` });
    try {
      const started = Date.now();
      await assert.rejects(t.services.outbound.send(ACCENTED), (e) => isDomainError(e, "MAIL_UNAVAILABLE"));
      assert.ok(Date.now() - started < 5_000, `answered in ${Date.now() - started} ms`);
    } finally {
      await t.close();
    }
  });

  it("pool options: TLS from the start for smtps://, STARTTLS when offered for smtp://, default ports", () => {
    const plain = relayOptions("smtp://relais.ac-lyon.fr");
    assert.equal(plain.secure, false);
    assert.equal(plain.ignoreTLS, undefined);
    assert.equal(plain.port, 587);
    assert.equal(plain.host, "relais.ac-lyon.fr");
    assert.equal(plain.pool, true);
    assert.equal(plain.auth, undefined);
    assert.ok((plain.connectionTimeout ?? 0) > 0 && (plain.socketTimeout ?? 0) > 0 && (plain.greetingTimeout ?? 0) > 0);
    const tls = relayOptions("smtps://u%40x:p%3Aw@[::1]:2465");
    assert.equal(tls.secure, true);
    assert.equal(tls.host, "::1");
    assert.equal(tls.port, 2465);
    assert.deepEqual(tls.auth, { user: "u@x", pass: "p:w" });
  });
});

describe("SESAME_SMTP_RELAY_URL", () => {
  const base = { SESAME_SECRET: TEST_SECRET };
  let data: ReturnType<typeof tempDir>;
  before(() => {
    data = tempDir();
  });
  after(() => data.remove());

  it("is unset by default, and kept as given when valid", () => {
    assert.equal(loadConfig({ ...base, SESAME_DATA_DIR: data.dir }).smtpRelayUrl, null);
    for (const url of [
      "smtp://relais.ac-lyon.fr:25",
      "smtps://user:secret@relais.ac-lyon.fr",
      "smtp://127.0.0.1:2525/",
    ]) {
      assert.equal(loadConfig({ ...base, SESAME_DATA_DIR: data.dir, SESAME_SMTP_RELAY_URL: url }).smtpRelayUrl, url);
    }
  });

  it("refuses anything but smtp:// or smtps://, naming the variable and hiding the credentials", () => {
    for (const url of [
      "http://user:hunter2secret@relais.ac-lyon.fr",
      "relais.ac-lyon.fr:25",
      "smtp://user:hunter2secret@",
      "smtp://relais.ac-lyon.fr:99999",
      "smtp://relais.ac-lyon.fr/path?debug=true",
    ]) {
      assert.throws(
        () => loadConfig({ ...base, SESAME_DATA_DIR: data.dir, SESAME_SMTP_RELAY_URL: url }),
        (e) => {
          assert.ok(e instanceof ConfigError, String(e));
          assert.match(e.message, /^SESAME_SMTP_RELAY_URL must be smtp:\/\//);
          assert.ok(!e.message.includes("hunter2secret"), e.message);
          assert.ok(!e.message.includes("\n"));
          return true;
        },
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe("sesame outbox (CLI)", () => {
  const tmp = tempDir("sesame-outbox-cli-");
  const env = {
    SESAME_DATA_DIR: path.join(tmp.dir, "data"),
    SESAME_DATABASE_URL: `sqlite:${path.join(tmp.dir, "data", "sesame.db")}`,
    SESAME_SECRET: TEST_SECRET,
    SESAME_LOG_LEVEL: "silent",
  };
  const sesame = (args: readonly string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { cwd: tmp.dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });

  before(async () => {
    const clock = new FakeClock("2026-03-02T10:00:00.000Z");
    const services = await openServices(loadConfig(env), { clock });
    try {
      await services.outbound.send({ to: "anne@exemple.fr", subject: "Premier message", text: "Bonjour Anne." });
      clock.advance(60_000);
      await services.outbound.send(ACCENTED);
    } finally {
      await services.close();
    }
  });
  after(() => tmp.remove());

  it("--json prints one JSON line per message, newest first, and exits 0", async () => {
    const run = await sesame(["outbox", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, "");
    const lines = run.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 2);
    const [newest, oldest] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(Object.keys(newest ?? {}).sort(), ["createdAt", "id", "recipient", "subject", "text"]);
    assert.equal(newest?.recipient, "elise.martin@exemple.fr");
    assert.equal(newest?.subject, ACCENTED.subject);
    assert.equal(newest?.text, ACCENTED.text);
    assert.equal(newest?.createdAt, "2026-03-02T10:01:00.000Z");
    assert.equal(oldest?.subject, "Premier message");
  });

  it("--to filters, and the text form shows date, recipient, subject and the body with its link", async () => {
    const json = await sesame(["outbox", "--to", "ANNE@exemple.fr", "--json", "--limit", "5"]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(
      json.stdout
        .trimEnd()
        .split("\n")
        .map((l) => (JSON.parse(l) as { subject: string }).subject),
      ["Premier message"],
    );
    const text = await sesame(["outbox", "--limit", "1"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Date: {4}2026-03-02T10:01:00\.000Z$/m);
    assert.match(text.stdout, /^To: {6}elise\.martin@exemple\.fr$/m);
    assert.ok(text.stdout.includes(`Subject: ${ACCENTED.subject}`));
    assert.ok(text.stdout.includes("https://sesame.exemple.fr/assistance/lien?jeton=abc_DEF-123"));
    assert.ok(!text.stdout.includes("Premier message"), "--limit 1");
  });

  it("a bad option or value is a usage error: exit 2, one line on stderr", async () => {
    for (const args of [
      ["outbox", "--bogus"],
      ["outbox", "--limit", "zéro"],
      ["outbox", "extra"],
    ]) {
      const run = await sesame(args);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.equal(run.stdout, "");
      assert.equal(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
      assert.match(run.stderr, /^sesame: /);
    }
  });
});
