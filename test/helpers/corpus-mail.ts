/**
 * What the reception corpus needs to write its messages the way real senders do: DKIM keys
 * published in the test's zone, messages written field by field (exact headers, hostile ones
 * included), DKIM signatures made by nodemailer's `dkim` option, and ARC sets (RFC 8617) sealed by
 * mailauth — after the sealer has verified the message it received (with mailauth, over the test's
 * DNS server) and changed it the way a mailing list or a forwarder does.
 */
import { generateKeyPairSync } from "node:crypto";
import { type ARCSealOptions, authenticate, type DNSResolver, sealMessage } from "mailauth";
import nodemailer from "nodemailer";
import { dnsLookups } from "../../src/mail/sender-auth.js";

export interface DkimKey {
  readonly privateKey: string;
  /** The TXT record to publish under `<selector>._domainkey.<domain>`. */
  readonly txt: string;
}

export function dkimKey(): DkimKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const spki = publicKey.export({ type: "spki", format: "der" }).toString("base64");
  return {
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    txt: `v=DKIM1; k=rsa; p=${spki}`,
  };
}

export interface Signer {
  readonly domain: string;
  readonly selector: string;
  readonly key: DkimKey;
}

export interface MessageParts {
  /** The From field's value as written (`Marie <marie@partner.example>`); null: no From field. */
  readonly from: string | null;
  readonly to: string;
  readonly subject: string;
  readonly text?: string;
  /** An HTML part instead of the text. */
  readonly html?: string;
  /** More fields, written as given, before From. */
  readonly headers?: readonly string[];
}

let sequence = 0;

/** A message as its sender writes it (CRLF, UTF-8 in 8 bits). */
export function writeMessage(parts: MessageParts): Buffer {
  sequence += 1;
  const lines = [
    ...(parts.headers ?? []),
    ...(parts.from === null ? [] : [`From: ${parts.from}`]),
    `To: <${parts.to}>`,
    `Subject: ${parts.subject}`,
    `Date: ${new Date().toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <corpus.${sequence}.${Date.now()}@corpus.test>`,
    "MIME-Version: 1.0",
    `Content-Type: ${parts.html === undefined ? "text/plain" : "text/html"}; charset=utf-8`,
    "Content-Transfer-Encoding: 8bit",
    "",
    parts.html ?? parts.text ?? "Bonjour,\r\n\r\nCordialement.",
    "",
  ];
  return Buffer.from(lines.join("\r\n"), "utf8");
}

const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" });

/** The message signed by `signer` (nodemailer's `dkim` option), its bytes otherwise untouched. */
export async function sign(raw: Buffer, signer: Signer): Promise<Buffer> {
  const info = await composer.sendMail({
    raw,
    envelope: { from: "corpus@corpus.test", to: ["corpus@corpus.test"] },
    dkim: { domainName: signer.domain, keySelector: signer.selector, privateKey: signer.key.privateKey },
  });
  return info.message as Buffer;
}

/** A message with fields added at the top and text at the end of its (single part) body. */
export function alter(raw: Buffer, change: { prepend?: readonly string[]; subjectTag?: string; footer?: string }) {
  let text = raw.toString("utf8");
  if (change.subjectTag) text = text.replace(/^Subject: /m, `Subject: ${change.subjectTag} `);
  if (change.footer) text = `${text.replace(/\r\n$/, "")}\r\n-- \r\n${change.footer}\r\n`;
  const top = (change.prepend ?? []).map((f) => `${f}\r\n`).join("");
  return Buffer.from(top + text, "utf8");
}

export interface Sealer {
  readonly domain: string;
  /** The authserv-id of its MX. */
  readonly mx: string;
  readonly key: DkimKey;
}

/**
 * A hop through a forwarder that seals: it verifies what it received (from `ip`, envelope `sender`)
 * with mailauth over the test's DNS server, changes the message (`change`), and seals the result
 * with what it found — or with `forgedResults`, what a dishonest sealer claims instead.
 */
export async function forwardSealed(
  raw: Buffer,
  hop: {
    sealer: Sealer;
    dnsServer: string;
    ip: string;
    sender: string;
    change?: Parameters<typeof alter>[1];
    forgedResults?: string;
  },
): Promise<Buffer> {
  const resolver = dnsLookups([hop.dnsServer])(5_000) as DNSResolver;
  const seen = await authenticate(raw, {
    ip: hop.ip,
    helo: `mail.${hop.sender.split("@")[1] ?? "sender.example"}`,
    sender: hop.sender,
    mta: hop.sealer.mx,
    resolver,
    disableBimi: true,
  });
  if (!seen.arc) throw new Error("mailauth gave no ARC result");
  const changed = hop.change ? alter(raw, hop.change) : raw;
  // sealMessage takes the ARC-Authentication-Results to record and the chain's state (cv) beside
  // the key; its declaration lists only the key's options.
  const seal = {
    signingDomain: hop.sealer.domain,
    selector: "arc",
    privateKey: hop.sealer.key.privateKey,
    authResults: hop.forgedResults ?? seen.arc.authResults,
    cv: seen.arc.status.result,
  } as ARCSealOptions;
  const headers = await sealMessage(changed, seal);
  return Buffer.concat([headers, changed]);
}
