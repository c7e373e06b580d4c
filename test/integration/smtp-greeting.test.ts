/**
 * The early-talker check where it helps (smtp-data.ts, createGreetingGate, through the
 * `greetingDelay` option that patches/smtp-server+3.21.6.patch adds to smtp-server): a client not seen
 * recently waits for its greeting and is closed if it talks first; a client that waited and reached
 * MAIL FROM is greeted at once afterwards, on the reception and on the submission, with a real client
 * on a real port. The gate itself (memory, expiry, bound) is tested with a clock of the test's own.
 *
 * Timing: an "early" client writes EHLO in the same tick as its connection is made, long before
 * the 100 ms wait ends; a greeting "at once" is sent by the server before it reads anything, so the
 * same early EHLO is answered normally. No assertion depends on how long anything took.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import {
  createGreetingGate,
  EARLY_TALKER_DELAY_MS,
  WELL_BEHAVED_FOR_MS,
  WELL_BEHAVED_MAX,
} from "../../src/mail/smtp-data.js";
import { type SmtpReception, startSmtpReception } from "../../src/mail/smtp-reception.js";
import { type SmtpSubmission, startSmtpSubmission } from "../../src/mail/smtp-submission.js";
import { openTestServices, type TestContext } from "../helpers/env.js";
import { inbox, newAddress, RawSmtp, textMessage } from "../helpers/smtp.js";

/** Connects and says EHLO at once, before any greeting: every line the server sends until it closes or 2 s pass. */
async function talkFirst(port: number): Promise<{ lines: string[]; closed: boolean; socket: net.Socket }> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  socket.setEncoding("latin1");
  let text = "";
  socket.on("data", (chunk: string) => {
    text += chunk;
  });
  socket.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.write("EHLO early.example.org\r\n");
  // Done when the server closed the connection, or when it answered the EHLO (a "250 " line).
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 2000);
    const check = () => {
      if (/^250 /m.test(text)) {
        clearTimeout(timer);
        resolve(false);
      }
    };
    socket.on("data", check);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  return { lines: text.split("\r\n").filter(Boolean), closed, socket };
}

describe("greeting gate (a clock of the test's own)", () => {
  it("waits for a client never seen, greets at once one that passed, until its day is over", () => {
    let now = 1_000_000;
    const gate = createGreetingGate({ now: () => now });
    assert.equal(gate.delayFor("192.0.2.1"), EARLY_TALKER_DELAY_MS);
    gate.passed("192.0.2.1");
    assert.equal(gate.delayFor("192.0.2.1"), 0);
    assert.equal(gate.delayFor("192.0.2.2"), EARLY_TALKER_DELAY_MS, "another client still waits");
    now += WELL_BEHAVED_FOR_MS - 1;
    assert.equal(gate.delayFor("192.0.2.1"), 0);
    now += 1;
    assert.equal(gate.delayFor("192.0.2.1"), EARLY_TALKER_DELAY_MS, "forgotten after a day");
    assert.equal(gate.delayFor("192.0.2.1"), EARLY_TALKER_DELAY_MS);
  });

  it("a pass renews the day; past its bound the gate forgets the client that passed longest ago", () => {
    let now = 0;
    const gate = createGreetingGate({ now: () => now, max: 3, forMs: 100 });
    for (const ip of ["a", "b", "c"]) gate.passed(ip);
    now = 50;
    gate.passed("a"); // a is now the newest
    gate.passed("d"); // over the bound: b, the oldest, goes
    assert.equal(gate.delayFor("b"), EARLY_TALKER_DELAY_MS);
    for (const ip of ["a", "c", "d"]) assert.equal(gate.delayFor(ip), 0, ip);
    now = 120; // c passed at 0: over; a renewed at 50: still in
    assert.equal(gate.delayFor("c"), EARLY_TALKER_DELAY_MS);
    assert.equal(gate.delayFor("a"), 0);
  });

  it("holds at most WELL_BEHAVED_MAX clients", () => {
    const gate = createGreetingGate();
    for (let i = 0; i <= WELL_BEHAVED_MAX; i++) gate.passed(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.equal(gate.delayFor("10.0.0.0"), EARLY_TALKER_DELAY_MS, "the first one was forgotten");
    assert.equal(gate.delayFor("10.0.0.1"), 0);
  });

  it("a delay the library does not understand falls back to its own 100 ms", () => {
    assert.equal(createGreetingGate({ delayMs: 250 }).delayFor("x"), 250);
  });
});

describe("greeting at the SMTP reception and submission (real client, real port)", () => {
  let ctx: TestContext;
  const servers: (SmtpReception | SmtpSubmission)[] = [];
  before(async () => {
    ctx = await openTestServices("sqlite");
  });
  after(async () => {
    for (const server of servers) await server.close();
    await ctx?.close();
  });

  async function reception(): Promise<SmtpReception> {
    const smtp = await startSmtpReception(
      { mail: ctx.services.mail, config: ctx.config, greeting: createGreetingGate() },
      { port: 0, host: "127.0.0.1" },
    );
    servers.push(smtp);
    return smtp;
  }

  it("closes a client never seen that talks before its greeting (421), and keeps no mail of it", async () => {
    const smtp = await reception();
    const early = await talkFirst(smtp.port);
    assert.ok(early.closed, early.lines.join(" | "));
    assert.ok(
      early.lines.some((line) => /^421 .*talk too soon/i.test(line)),
      early.lines.join(" | "),
    );
    assert.ok(!early.lines.some((line) => line.startsWith("250")), early.lines.join(" | "));
  });

  it("a client that waited and sent a message is greeted at once next time: its early EHLO is answered", async () => {
    const smtp = await reception();
    const account = await newAddress(ctx.services);
    const patient = await RawSmtp.open(smtp.port);
    const sent = await patient.send(
      "expediteur@example.org",
      [account.address],
      textMessage({ to: account.address, subject: "Après l'accueil" }),
    );
    assert.match(sent.data?.text ?? "", /^250 /);
    await patient.quit();
    assert.equal((await inbox(ctx.services, account.accountId)).items.length, 1);

    const early = await talkFirst(smtp.port);
    try {
      assert.equal(early.closed, false, early.lines.join(" | "));
      assert.match(early.lines[0] ?? "", /^220 /);
      assert.ok(
        early.lines.some((line) => /^250 /.test(line)),
        early.lines.join(" | "),
      );
      assert.ok(!early.lines.some((line) => line.startsWith("421")), early.lines.join(" | "));
    } finally {
      early.socket.destroy();
    }
  });

  it("a client that only connected and left (no MAIL FROM) still waits next time", async () => {
    const smtp = await reception();
    const idle = await RawSmtp.open(smtp.port);
    await idle.quit();
    const early = await talkFirst(smtp.port);
    assert.ok(early.closed, early.lines.join(" | "));
    assert.ok(early.lines.some((line) => /^421 /.test(line)));
  });

  it("each reception has its own gate unless one is given: a shared gate carries what a client earned", async () => {
    const gate = createGreetingGate();
    const first = await startSmtpReception(
      { mail: ctx.services.mail, config: ctx.config, greeting: gate },
      { port: 0, host: "127.0.0.1" },
    );
    servers.push(first);
    const second = await startSmtpReception(
      { mail: ctx.services.mail, config: ctx.config, greeting: gate },
      { port: 0, host: "127.0.0.1" },
    );
    servers.push(second);
    const client = await RawSmtp.open(first.port);
    assert.equal((await client.command("MAIL FROM:<expediteur@example.org>")).code, 250);
    await client.quit();
    const early = await talkFirst(second.port);
    try {
      assert.equal(early.closed, false, early.lines.join(" | "));
    } finally {
      early.socket.destroy();
    }
  });

  it("the submission greets at once a client that authenticated and reached MAIL FROM", async () => {
    const gate = createGreetingGate();
    const submission = await startSmtpSubmission(
      { login: ctx.services.login, send: ctx.services.send, config: ctx.config, greeting: gate },
      { port: 0, host: "127.0.0.1" },
    );
    servers.push(submission);
    const before = await talkFirst(submission.port);
    assert.ok(before.closed, before.lines.join(" | "));
    gate.passed("127.0.0.1");
    const early = await talkFirst(submission.port);
    try {
      assert.equal(early.closed, false, early.lines.join(" | "));
      assert.match(early.lines[0] ?? "", /^220 /);
    } finally {
      early.socket.destroy();
    }
  });
});
