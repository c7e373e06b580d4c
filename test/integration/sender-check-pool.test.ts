/**
 * The sender checks in worker threads (sender-check-pool.ts), against a real DNS server on a
 * loopback port: no message waits for the worker to start, the same verdict as on the main thread,
 * a DNS server that never answers costs no more than the budget, a slow sender holds up no other,
 * and a closed pool still checks. And the analysis of a message about to be stored (the intake's):
 * the same on the worker as on the main thread.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import nodemailer from "nodemailer";
import { readHeaderBlock } from "../../src/mail/header-block.js";
import { dnsLookups, verifySender } from "../../src/mail/sender-auth.js";
import { createSenderCheckPool, type SenderCheckPool } from "../../src/mail/sender-check-pool.js";
import { startDnsServer, type TestDnsServer } from "../helpers/dns-server.js";

const AUTHSERV = "ac-lyon.fr";
const CONTEXT = { ip: "127.0.0.1", helo: "mx.partner.example", envelopeFrom: "marie@partner.example" };
const WARNINGS = { academieDomains: ["ac-lyon.fr"], protectedDomains: ["ac-lyon.fr", "education.gouv.fr"] };

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const KEY_PEM = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const KEY_TXT = `v=DKIM1; k=rsa; p=${publicKey.export({ type: "spki", format: "der" }).toString("base64")}`;

/** A message from `from`, DKIM-signed by partner.example's key (or `key`) under `domain`. */
async function signed(from: string, domain = "partner.example", key = KEY_PEM): Promise<Buffer> {
  const transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    dkim: { domainName: domain, keySelector: "sel", privateKey: key },
  });
  const info = await transport.sendMail({
    from,
    to: "paul.martin@ac-lyon.fr",
    subject: "Réunion de jeudi",
    text: "Bonjour,\n\nLa réunion est déplacée à 14 h.\n",
  });
  return info.message as Buffer;
}

describe("sender checks in worker threads", () => {
  let dns: TestDnsServer;
  let workers: SenderCheckPool;
  let here: SenderCheckPool;

  before(async () => {
    dns = await startDnsServer({
      "partner.example": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
      "sel._domainkey.partner.example": { TXT: [KEY_TXT] },
      "_dmarc.partner.example": { TXT: ["v=DMARC1; p=reject"] },
      "sel._domainkey.slow.example": { TXT: [KEY_TXT] },
    });
    // slow.example's SPF and DMARC questions are never answered.
    dns.silent.add("slow.example");
    dns.silent.add("_dmarc.slow.example");
    const options = { authservId: AUTHSERV, dnsServers: [dns.server], budgetMs: 1_500, warnings: WARNINGS };
    workers = createSenderCheckPool({ ...options, threads: 1 });
    here = createSenderCheckPool({ ...options, threads: 0 });
  });
  after(async () => {
    await workers.close();
    await here.close();
    await dns.close();
  });

  it("checks on the main thread while the worker starts, then in the worker: the same verdict", async () => {
    const raw = await signed("Marie Dupont <marie@partner.example>");
    const block = readHeaderBlock(raw);
    // The first message starts the worker and does not wait for it.
    const first = await workers.verify(raw, CONTEXT, block);
    assert.deepEqual(workers.counts(), { worker: 0, thread: 1, analysedWorker: 0, analysedThread: 0 });
    assert.equal(await workers.ready(), true);
    const inWorker = await workers.verify(raw, CONTEXT, block);
    assert.deepEqual(workers.counts(), { worker: 1, thread: 1, analysedWorker: 0, analysedThread: 0 });
    assert.deepEqual({ ...first, header: "" }, { ...inWorker, header: "" });
    const onThread = await here.verify(raw, CONTEXT, block);
    assert.equal(await here.ready(), false, "no worker with threads: 0");
    assert.equal(inWorker.dkim, "pass");
    assert.equal(inWorker.spf, "pass");
    assert.equal(inWorker.dmarc, "pass");
    assert.equal(inWorker.alignedDkim, true);
    assert.equal(inWorker.fromDomain, "partner.example");
    assert.match(inWorker.header, /^Authentication-Results: ac-lyon\.fr;/);
    assert.deepEqual({ ...inWorker, header: "" }, { ...onThread, header: "" });
  });

  it("answers temperror within the budget when the DNS server never answers, and holds up no other message", async () => {
    const slowRaw = await signed("Paul <paul@slow.example>", "slow.example");
    const quickRaw = await signed("Marie Dupont <marie@partner.example>");
    const started = Date.now();
    const slow = workers.verify(slowRaw, { ...CONTEXT, envelopeFrom: "paul@slow.example" }, readHeaderBlock(slowRaw));
    // While the slow one waits for its answers in the worker, ten others go through it.
    const quick = await Promise.all(
      Array.from({ length: 10 }, () => workers.verify(quickRaw, CONTEXT, readHeaderBlock(quickRaw))),
    );
    const quickMs = Date.now() - started;
    assert.equal(workers.counts().thread, 1, "all in the worker");
    assert.ok(
      quick.every((v) => v.dmarc === "pass"),
      "every quick message verified",
    );
    assert.ok(quickMs < 1_500, `the quick messages waited for the slow one (${quickMs} ms)`);
    const verdict = await slow;
    const slowMs = Date.now() - started;
    assert.equal(verdict.dmarc, "temperror");
    assert.equal(verdict.fromDomain, "slow.example");
    assert.ok(slowMs < 1_500 + 1_000, `the slow message took ${slowMs} ms`);
  });

  it("analyses a message for storage on the worker as on the main thread (its warnings included)", async () => {
    const raw = await signed("Support <support@ac-lyon-securite.com>", "ac-lyon-securite.com");
    assert.equal(await workers.ready(), true);
    const before = workers.counts().analysedWorker;
    const inWorker = await workers.analyse(raw, { verified: false });
    assert.equal(workers.counts().analysedWorker, before + 1);
    const onThread = await here.analyse(raw, { verified: false });
    assert.deepEqual(inWorker, onThread);
    assert.equal(inWorker.imitates, "ac-lyon.fr");
    assert.match(inWorker.warnings, /lookalike/);
    assert.equal(inWorker.parsed.subject, "Réunion de jeudi");
    assert.ok(inWorker.parsed.date instanceof Date, "the date crosses the thread as a date");
    assert.match(inWorker.fields.body, /reunion est deplacee/);
    // The académie's own mail is not judged.
    assert.equal((await workers.analyse(raw, null)).warnings, "");
  });

  it("a verification waits for no analysis: the analyses have a thread of their own", async () => {
    assert.equal(await workers.ready(), true);
    const text = "Bonjour, voici le compte rendu de la réunion du conseil pédagogique.\r\n".repeat(4_000);
    const long = Buffer.from(
      `From: Marie <marie@partner.example>\r\nTo: paul.martin@ac-lyon.fr\r\nSubject: Compte rendu\r\n` +
        `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text}`,
    );
    const raw = await signed("Marie Dupont <marie@partner.example>");
    // Each kind of task once first: its DNS answers kept (no waiting on the network), its code loaded.
    await workers.verify(raw, CONTEXT, readHeaderBlock(raw));
    await workers.analyse(raw, { verified: true });
    const done: string[] = [];
    const analyses = Array.from({ length: 12 }, (_, i) =>
      workers.analyse(long, { verified: true }).then(() => done.push(`analysis ${i}`)),
    );
    const verdict = await workers.verify(raw, CONTEXT, readHeaderBlock(raw));
    done.push("verification");
    await Promise.all(analyses);
    assert.equal(verdict.dmarc, "pass");
    const at = done.indexOf("verification");
    assert.ok(at <= 1, `the verification came after ${at} analyses: ${done.join(", ")}`);
  });

  it("verifies with the key the DNS record publishes now, not one kept from an earlier message", async () => {
    // mailauth keeps the keys it parsed, by record (patches/mailauth+*.patch): a rotated or revoked
    // key must be seen at once. No answer cache here, so that each message reads the record again.
    const lookups = dnsLookups([dns.server], { cacheMs: 0 });
    const check = (raw: Buffer) =>
      verifySender(raw, { ...CONTEXT, envelopeFrom: "anne@rotating.example" }, { authservId: AUTHSERV, lookups });
    const next = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const nextPem = next.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const nextTxt = `v=DKIM1; k=rsa; p=${next.publicKey.export({ type: "spki", format: "der" }).toString("base64")}`;
    const selector = "sel._domainkey.rotating.example";
    const byOldKey = await signed("Anne <anne@rotating.example>", "rotating.example");
    const byNextKey = await signed("Anne <anne@rotating.example>", "rotating.example", nextPem);
    dns.zone.set(selector, { TXT: [KEY_TXT] });
    assert.equal((await check(byOldKey)).dkim, "pass");
    assert.equal((await check(byOldKey)).dkim, "pass", "the kept key verifies as the parsed one did");
    dns.zone.set(selector, { TXT: [nextTxt] }); // rotated
    assert.equal((await check(byOldKey)).dkim, "fail");
    assert.equal((await check(byNextKey)).dkim, "pass");
    dns.zone.set(selector, { TXT: ["v=DKIM1; k=rsa; p="] }); // revoked
    assert.notEqual((await check(byNextKey)).dkim, "pass");
    dns.zone.set(selector, { TXT: [nextTxt] });
    assert.equal((await check(byNextKey)).dkim, "pass");
  });

  it("still checks, on the main thread, once closed", async () => {
    const pool = createSenderCheckPool({
      authservId: AUTHSERV,
      dnsServers: [dns.server],
      threads: 1,
      warnings: WARNINGS,
    });
    const raw = await signed("Marie Dupont <marie@partner.example>");
    assert.equal(await pool.ready(), true);
    assert.equal((await pool.verify(raw, CONTEXT, readHeaderBlock(raw))).dmarc, "pass");
    await pool.close();
    assert.equal((await pool.verify(raw, CONTEXT, readHeaderBlock(raw))).dmarc, "pass");
    assert.equal((await pool.analyse(raw, { verified: true })).parsed.subject, "Réunion de jeudi");
    assert.deepEqual(pool.counts(), { worker: 1, thread: 1, analysedWorker: 0, analysedThread: 1 });
    assert.equal(await pool.ready(), false);
  });
});
