/**
 * The outbound queue against a REAL SMTP relay (smtp-server on 127.0.0.1): relay
 * down → back-off, relay up → delivered exactly once, 550 → French bounce and `failed`, expiry
 * after 5 days → bounce, a restart keeps the queue, an expired lease is taken again.
 */
import assert from "node:assert/strict";
import { type AddressInfo, createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import type { Account } from "../../src/directory/directory.types.js";
import { claimDue } from "../../src/mail/outbound-queue.repository.js";
import { FakeClock } from "../../src/shared/clock.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { accountOf, openTwinServices, seedStaff, uniqueStaff } from "../helpers/web.js";

const META = { ip: "192.0.2.10", userAgent: "test" };

interface Relay {
  readonly port: number;
  readonly received: { rcpt: string[]; data: string }[];
  /** Recipients the relay refuses with 550. */
  readonly refuse: Set<string>;
  close(): Promise<void>;
}

function startRelay(port = 0): Promise<Relay> {
  const received: { rcpt: string[]; data: string }[] = [];
  const refuse = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (refuse.has(address.address)) {
        const e = new Error("5.1.1 Utilisateur inconnu") as Error & { responseCode: number };
        e.responseCode = 550;
        cb(e);
        return;
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        received.push({ rcpt: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString() });
        cb();
      });
    },
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const p = (server.server.address() as AddressInfo).port;
      resolve({ port: p, received, refuse, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/** A port nobody listens on (for "relay down"). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function newAccount(t: TestContext): Promise<Account> {
  const [row] = await seedStaff(t.services, [uniqueStaff()]);
  if (!row) throw new Error("no row");
  return accountOf(t.services, row);
}

async function inbox(t: TestContext, accountId: number) {
  const folder = await t.services.mail.folderByRole(accountId, "inbox");
  return (await t.services.mail.list(accountId, folder.id, null, 200)).items;
}

const MINUTE = 60_000;

for (const dialect of DIALECTS) {
  describe(`outbound queue (${dialect})`, () => {
    let relay: Relay;
    before(async () => {
      relay = await startRelay();
    });
    after(() => relay.close());

    it("relay down: queued with back-off; relay up: delivered exactly once", async () => {
      const port = await freePort();
      const clock = new FakeClock();
      const t = await openTestServices(dialect, { SESAME_SMTP_RELAY_URL: `smtp://127.0.0.1:${port}` }, { clock });
      let late: Relay | undefined;
      try {
        const a = await newAccount(t);
        const result = await t.services.send.send(
          a.id,
          { to: "loin@exemple.org", cc: "", bcc: "", subject: "Hors académie", text: "Bonjour", attachments: [] },
          META,
        );
        assert.deepEqual(result.queued, ["loin@exemple.org"]);
        const q = t.services.outboundQueue;
        assert.deepEqual(await q.runOnce(), { sent: 0, retried: 1, failed: 0 });
        let [row] = await q.list(10);
        assert.equal(row?.state, "queued");
        assert.equal(row?.attempts, 1);
        assert.equal(row?.nextAttemptAt, new Date(clock.now().getTime() + MINUTE).toISOString());
        assert.ok(row?.lastError);
        // Not due yet: nothing is tried.
        assert.deepEqual(await q.runOnce(), { sent: 0, retried: 0, failed: 0 });
        clock.advance(MINUTE);
        assert.deepEqual(await q.runOnce(), { sent: 0, retried: 1, failed: 0 });
        [row] = await q.list(10);
        assert.equal(row?.nextAttemptAt, new Date(clock.now().getTime() + 5 * MINUTE).toISOString());
        late = await startRelay(port);
        clock.advance(5 * MINUTE);
        assert.deepEqual(await q.runOnce(), { sent: 1, retried: 0, failed: 0 });
        assert.deepEqual(await q.runOnce(), { sent: 0, retried: 0, failed: 0 });
        clock.advance(24 * 60 * MINUTE);
        assert.deepEqual(await q.runOnce(), { sent: 0, retried: 0, failed: 0 });
        assert.equal(late.received.length, 1);
        assert.deepEqual(late.received[0]?.rcpt, ["loin@exemple.org"]);
        assert.equal((await simpleParser(late.received[0]?.data ?? "")).subject, "Hors académie");
        [row] = await q.list(10);
        assert.equal(row?.state, "sent");
      } finally {
        await t.close();
        await late?.close();
      }
    });

    it("a permanent 550: state failed and a French bounce in the sender's inbox", async () => {
      const clock = new FakeClock();
      const t = await openTestServices(dialect, { SESAME_SMTP_RELAY_URL: `smtp://127.0.0.1:${relay.port}` }, { clock });
      try {
        relay.refuse.add("inconnu@exemple.org");
        const a = await newAccount(t);
        await t.services.send.send(
          a.id,
          {
            to: "inconnu@exemple.org, connu@exemple.org",
            cc: "",
            bcc: "",
            subject: "Voyage scolaire",
            text: "Bonjour",
            attachments: [],
          },
          META,
        );
        const before = relay.received.length;
        assert.deepEqual(await t.services.outboundQueue.runOnce(), { sent: 1, retried: 0, failed: 1 });
        assert.equal(relay.received.length, before + 1);
        const rows = await t.services.outboundQueue.list(10);
        assert.equal(rows.find((r) => r.recipient === "inconnu@exemple.org")?.state, "failed");
        assert.equal(rows.find((r) => r.recipient === "connu@exemple.org")?.state, "sent");
        const [bounce] = await inbox(t, a.id);
        assert.ok(bounce);
        assert.equal(bounce.subject, "Non distribué : Voyage scolaire");
        const raw = await t.services.mail.raw(a.id, bounce.id);
        assert.match(raw.toString("utf8"), /multipart\/report; report-type=delivery-status/);
        assert.match(raw.toString("utf8"), /Final-Recipient: rfc822; inconnu@exemple\.org/);
        const parsed = await simpleParser(raw);
        assert.match(parsed.text ?? "", /n'a pas pu être remis à :\s+inconnu@exemple\.org/);
        assert.match(parsed.text ?? "", /a refusé le message/);
        assert.match(parsed.text ?? "", /550/);
      } finally {
        relay.refuse.clear();
        await t.close();
      }
    });

    it("what ended more than the retention ago is purged, bodies included; what is queued or recent stays", async () => {
      const clock = new FakeClock();
      const t = await openTestServices(dialect, { SESAME_SMTP_RELAY_URL: `smtp://127.0.0.1:${relay.port}` }, { clock });
      try {
        relay.refuse.add("refuse@exemple.org");
        const a = await newAccount(t);
        const send = (to: string, subject: string) =>
          t.services.send.send(a.id, { to, cc: "", bcc: "", subject, text: "Bonjour", attachments: [] }, META);
        const q = t.services.outboundQueue;
        const db = t.services.database.db;
        const count = async (table: "outbound_message" | "outbound_delivery") =>
          Number(
            (
              await db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll().as("n"))
                .executeTakeFirstOrThrow()
            ).n,
          );

        // Day 0: one relayed and one refused (ended), then the relay goes unreachable for a third.
        await send("ancien@exemple.org, refuse@exemple.org", "Ancien");
        assert.deepEqual(await q.runOnce(), { sent: 1, retried: 0, failed: 1 });
        clock.advance(29 * 86_400_000);
        // Day 29: a recent one, relayed.
        await send("recent@exemple.org", "Récent");
        assert.deepEqual(await q.runOnce(), { sent: 1, retried: 0, failed: 0 });
        assert.deepEqual(await q.purgeDone(30), { deliveries: 0, messages: 0 }, "nothing is older than 30 days yet");

        // Day 31: the day-0 message goes (both its deliveries, then its body); the recent one stays.
        clock.advance(2 * 86_400_000);
        // One still waiting for the relay is never purged, however old its message.
        const waiting = await send("attente@exemple.org", "En attente");
        assert.deepEqual(waiting.queued, ["attente@exemple.org"]);
        await db
          .updateTable("outbound_message")
          .set({ created_at: "2000-01-01T00:00:00.000Z" })
          .where("subject", "=", "En attente")
          .execute();
        assert.deepEqual(await q.purgeDone(30), { deliveries: 2, messages: 1 });
        const left = await q.list(10);
        assert.deepEqual(left.map((r) => [r.recipient, r.state]).sort(), [
          ["attente@exemple.org", "queued"],
          ["recent@exemple.org", "sent"],
        ]);
        assert.equal(await count("outbound_message"), 2);
        assert.equal(await count("outbound_delivery"), 2);
        // The bounce of the refused recipient, in the sender's inbox, is the sender's to keep.
        assert.equal((await inbox(t, a.id)).filter((m) => m.subject === "Non distribué : Ancien").length, 1);
        // The service's periodic purge applies the configured retention (30 days by default).
        await t.services.purgeExpired();
        assert.equal(await count("outbound_delivery"), 2);
        clock.advance(30 * 86_400_000);
        await t.services.purgeExpired();
        assert.deepEqual(
          (await q.list(10)).map((r) => r.recipient),
          ["attente@exemple.org"],
        );
        assert.equal(await count("outbound_message"), 1);
      } finally {
        relay.refuse.clear();
        await t.close();
      }
    });

    it("after 5 days of a relay down: failed, with a bounce saying so", async () => {
      const clock = new FakeClock();
      const port = await freePort();
      const t = await openTestServices(dialect, { SESAME_SMTP_RELAY_URL: `smtp://127.0.0.1:${port}` }, { clock });
      try {
        const a = await newAccount(t);
        await t.services.send.send(
          a.id,
          { to: "loin@exemple.org", cc: "", bcc: "", subject: "Patience", text: "…", attachments: [] },
          META,
        );
        let attempts = 0;
        for (let i = 0; i < 60 && (await t.services.outboundQueue.counts()).queued > 0; i++) {
          attempts += (await t.services.outboundQueue.runOnce()).retried;
          clock.advance(4 * 60 * MINUTE);
        }
        const [row] = await t.services.outboundQueue.list(10);
        assert.equal(row?.state, "failed");
        assert.ok(attempts >= 6 && attempts <= 40, `attempts: ${attempts}`);
        const [bounce] = await inbox(t, a.id);
        assert.equal(bounce?.subject, "Non distribué : Patience");
        const parsed = await simpleParser(await t.services.mail.raw(a.id, bounce?.id ?? 0));
        assert.match(parsed.text ?? "", /injoignable pendant 5 jours/);
      } finally {
        await t.close();
      }
    });

    it("a restart keeps the queue, and a sending row whose lease expired is retried", async () => {
      const clock = new FakeClock();
      const t = await openTestServices(dialect, { SESAME_SMTP_RELAY_URL: "" }, { clock });
      try {
        const a = await newAccount(t);
        await t.services.send.send(
          a.id,
          { to: "crash@exemple.org", cc: "", bcc: "", subject: "Reprise", text: "x", attachments: [] },
          META,
        );
        // Without a relay nothing moves.
        assert.deepEqual(await t.services.outboundQueue.runOnce(), { sent: 0, retried: 0, failed: 0 });
        // A worker claims the row and dies before any answer.
        const now = clock.now();
        const claimed = await claimDue(
          t.services.database.db,
          t.dialect,
          now.toISOString(),
          new Date(now.getTime() + 5 * MINUTE).toISOString(),
          10,
        );
        assert.equal(claimed.length, 1);
        // A new instance on the same database, with the relay.
        const twin = await openTwinServices(t, { SESAME_SMTP_RELAY_URL: `smtp://127.0.0.1:${relay.port}` }, { clock });
        try {
          const before = relay.received.length;
          assert.equal((await twin.services.outboundQueue.list(10))[0]?.state, "sending");
          assert.deepEqual(await twin.services.outboundQueue.runOnce(), { sent: 0, retried: 0, failed: 0 }, "leased");
          clock.advance(5 * MINUTE);
          assert.deepEqual(await twin.services.outboundQueue.runOnce(), { sent: 1, retried: 0, failed: 0 });
          assert.equal(relay.received.length, before + 1);
          assert.equal((await twin.services.outboundQueue.list(10))[0]?.state, "sent");
        } finally {
          await twin.close();
        }
      } finally {
        await t.close();
      }
    });
    it("the started worker delivers a sent message by itself, and stops cleanly", async () => {
      const t = await openTestServices(dialect, { SESAME_SMTP_RELAY_URL: `smtp://127.0.0.1:${relay.port}` });
      try {
        const a = await newAccount(t);
        const before = relay.received.length;
        t.services.outboundQueue.start();
        await t.services.send.send(
          a.id,
          { to: "worker@exemple.org", cc: "", bcc: "", subject: "Sans attendre", text: "x", attachments: [] },
          META,
        );
        // What a person waits for: the relay has it (the send kicked the worker; no test step runs it).
        const deadline = Date.now() + 10_000;
        while (relay.received.length === before && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(relay.received.length, before + 1);
        assert.deepEqual(relay.received.at(-1)?.rcpt, ["worker@exemple.org"]);
        await t.services.outboundQueue.stop();
        assert.equal((await t.services.outboundQueue.list(10))[0]?.state, "sent");
      } finally {
        await t.close();
      }
    });
  });
}
