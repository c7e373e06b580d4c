/**
 * DKIM signing of outgoing mail: with SESAME_DKIM_SELECTOR and SESAME_DKIM_KEY set,
 * the message a REAL relay (smtp-server on 127.0.0.1) receives carries a DKIM-Signature for the mail
 * domain and the selector, and the signature verifies with the public key (RFC 6376, relaxed/relaxed
 * canonicalization, checked here by hand); without the settings, no signature.
 */
import assert from "node:assert/strict";
import { createHash, createVerify, generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SMTPServer } from "smtp-server";
import { openTestServices, type TestContext, tempDir } from "../helpers/env.js";
import { staffWithPassword } from "../helpers/web.js";

const META = { ip: "192.0.2.10", userAgent: "test" };

interface Relay {
  readonly port: number;
  readonly received: string[];
  close(): Promise<void>;
}

function startRelay(): Promise<Relay> {
  const received: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        received.push(Buffer.concat(chunks).toString("latin1"));
        cb();
      });
    },
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.server.address() as AddressInfo).port;
      resolve({ port, received, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/** Header fields of a message as [name, whole field with its folding], in order. */
function headerFields(raw: string): { fields: [string, string][]; body: string } {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split + 2);
  const body = raw.slice(split + 4);
  const fields: [string, string][] = [];
  for (const line of head.split(/(?<=\r\n)/)) {
    if (line === "") continue;
    if (/^[ \t]/.test(line) && fields.length > 0) {
      const last = fields[fields.length - 1] as [string, string];
      last[1] += line;
    } else fields.push([line.slice(0, line.indexOf(":")), line]);
  }
  return { fields, body };
}

/** RFC 6376 §3.4.2: relaxed header canonicalization. */
function relaxedHeader(field: string): string {
  const colon = field.indexOf(":");
  const name = field.slice(0, colon).trim().toLowerCase();
  const value = field
    .slice(colon + 1)
    .replace(/\r\n(?=[ \t])/g, "")
    .replace(/[ \t]+/g, " ")
    .trim();
  return `${name}:${value}`;
}

/** RFC 6376 §3.4.4: relaxed body canonicalization. */
function relaxedBody(body: string): string {
  const lines = body.split("\r\n").map((l) => l.replace(/[ \t]+/g, " ").replace(/ $/, ""));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.length === 0 ? "" : `${lines.join("\r\n")}\r\n`;
}

function tags(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of value.replace(/\s+/g, "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

describe("DKIM signing (SQLite, a real relay)", () => {
  let relay: Relay;
  let t: TestContext;
  let publicKey: string;
  const keys = tempDir();
  before(async () => {
    relay = await startRelay();
    const pair = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    publicKey = pair.publicKey;
    const keyFile = path.join(keys.dir, "dkim.pem");
    writeFileSync(keyFile, pair.privateKey, { mode: 0o600 });
    t = await openTestServices("sqlite", {
      SESAME_SMTP_RELAY_URL: `smtp://127.0.0.1:${relay.port}`,
      SESAME_DKIM_SELECTOR: "sesame2026",
      SESAME_DKIM_KEY: keyFile,
    });
  });
  after(async () => {
    await t.close();
    await relay.close();
    keys.remove();
  });

  it("signs what leaves, for the mail domain and the selector, verifiable with the public key", async () => {
    const sender = await staffWithPassword(t.services);
    await t.services.send.send(
      sender.id,
      {
        to: "Élise Martin <elise.martin@exemple.org>",
        cc: "",
        bcc: "",
        subject: "Réunion du conseil pédagogique — ordre du jour",
        text: "Bonjour,\n\nVoici l'ordre du jour.   \n\n\n",
        attachments: [],
      },
      META,
    );
    await t.services.outboundQueue.runOnce();
    assert.equal(relay.received.length, 1);
    const { fields, body } = headerFields(relay.received[0] ?? "");
    const signature = fields.find(([name]) => name.toLowerCase() === "dkim-signature");
    assert.ok(signature, "a DKIM-Signature header");
    const tag = tags(signature[1].slice(signature[1].indexOf(":") + 1));
    assert.equal(tag.get("d"), t.config.mailDomain);
    assert.equal(tag.get("s"), "sesame2026");
    assert.equal(tag.get("c"), "relaxed/relaxed");
    // The body hash.
    assert.equal(createHash("sha256").update(relaxedBody(body)).digest("base64"), tag.get("bh"), "body hash");
    // The signature over the signed header fields (bottom-up for repeated names), then the
    // DKIM-Signature field itself with an empty b=.
    const signed = (tag.get("h") ?? "").split(":").map((h) => h.toLowerCase());
    assert.ok(signed.includes("from") && signed.includes("subject"));
    const remaining = fields.filter(([name]) => name.toLowerCase() !== "dkim-signature");
    let data = "";
    for (const name of signed) {
      const index = remaining.map(([n]) => n.toLowerCase()).lastIndexOf(name);
      if (index === -1) continue;
      const [field] = remaining.splice(index, 1);
      data += `${relaxedHeader(field?.[1] ?? "")}\r\n`;
    }
    data += relaxedHeader(signature[1].replace(/(\bb=)[^;]*/, "$1"));
    const verifier = createVerify("RSA-SHA256");
    verifier.update(data);
    assert.ok(verifier.verify(publicKey, tag.get("b") ?? "", "base64"), "the signature verifies");
  });
});

describe("no DKIM settings (SQLite, a real relay)", () => {
  it("sends unsigned mail", async () => {
    const relay = await startRelay();
    const t = await openTestServices("sqlite", { SESAME_SMTP_RELAY_URL: `smtp://127.0.0.1:${relay.port}` });
    try {
      const sender = await staffWithPassword(t.services);
      await t.services.send.send(
        sender.id,
        { to: "x@exemple.org", cc: "", bcc: "", subject: "s", text: "t", attachments: [] },
        META,
      );
      await t.services.outboundQueue.runOnce();
      assert.equal(relay.received.length, 1);
      assert.doesNotMatch(relay.received[0] ?? "", /^DKIM-Signature:/im);
    } finally {
      await t.close();
      await relay.close();
    }
  });
});
