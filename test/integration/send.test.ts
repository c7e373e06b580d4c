/**
 * Sending through the real SendService on SQLite and PostgreSQL: local
 * delivery and the copy in Envoyés, threading, forwarding, Bcc, every bad input refused at its
 * field with nothing stored, the hourly limit, the audit entry, drafts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { simpleParser } from "mailparser";
import type { Account } from "../../src/directory/directory.types.js";
import type { OutgoingMessage } from "../../src/mail/send.types.js";
import { isDomainError } from "../../src/shared/errors.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { accountOf, seedStaff, uniqueStaff } from "../helpers/web.js";

const META = { ip: "192.0.2.10", userAgent: "test" };

function message(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    to: "",
    cc: "",
    bcc: "",
    subject: "Conseil de classe",
    text: "Bonjour,\nà jeudi.",
    attachments: [],
    ...overrides,
  };
}

async function newAccount(t: TestContext): Promise<Account> {
  const [row] = await seedStaff(t.services, [uniqueStaff()]);
  if (!row) throw new Error("no row");
  return accountOf(t.services, row);
}

async function folderItems(t: TestContext, accountId: number, role: "inbox" | "sent" | "drafts" | "trash") {
  const folder = await t.services.mail.folderByRole(accountId, role);
  return (await t.services.mail.list(accountId, folder.id, null, 200)).items;
}

/** Rows that a sending writes anywhere. */
async function counts(t: TestContext) {
  const db = t.services.database.db;
  const n = async (table: "mail_message" | "mail_blob" | "outbound_delivery" | "outbound_message") =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const audit = (await t.services.audit.list({ action: "mail.sent" })).length;
  return {
    messages: await n("mail_message"),
    blobs: await n("mail_blob"),
    queued: await n("outbound_delivery"),
    queuedMessages: await n("outbound_message"),
    audit,
  };
}

for (const dialect of DIALECTS) {
  describe(`sending (${dialect})`, () => {
    let t: TestContext;
    before(async () => {
      t = await openTestServices(dialect, { SESAME_SEND_LIMIT_PER_HOUR: "500", SESAME_MAIL_MAX_SIZE_MB: "1" });
    });
    after(() => t.close());

    it("a local message lands in B's inbox and, seen, in A's Envoyés; external ones wait in the queue", async () => {
      const a = await newAccount(t);
      const b = await newAccount(t);
      const result = await t.services.send.send(
        a.id,
        message({ to: `Collègue <${b.address}>, ami@exemple.org`, subject: "Réunion — élèves" }),
        META,
      );
      assert.deepEqual(result.delivered, [b.address]);
      assert.deepEqual(result.queued, ["ami@exemple.org"]);
      assert.match(result.messageId, new RegExp(`^<[0-9a-f]{32}@${t.config.mailDomain.replace(/\./g, "\\.")}>$`));
      const inbox = await folderItems(t, b.id, "inbox");
      assert.equal(inbox.length, 1);
      assert.equal(inbox[0]?.subject, "Réunion — élèves");
      assert.equal(inbox[0]?.from?.address, a.address);
      assert.equal(inbox[0]?.from?.name, `${a.holder.prenom} ${a.holder.nom}`);
      const sent = await folderItems(t, a.id, "sent");
      assert.equal(sent.length, 1);
      assert.equal(sent[0]?.id, result.sentCopyId);
      assert.equal(sent[0]?.flags.seen, true);
      const queue = await t.services.outboundQueue.list(10);
      assert.ok(queue.some((q) => q.recipient === "ami@exemple.org" && q.state === "queued" && q.attempts === 0));
    });

    it("a reply carries In-Reply-To and References and marks the original answered", async () => {
      const a = await newAccount(t);
      const b = await newAccount(t);
      const first = await t.services.send.send(a.id, message({ to: b.address, subject: "Sortie" }), META);
      const [received] = await folderItems(t, b.id, "inbox");
      assert.ok(received);
      await t.services.send.send(b.id, message({ to: a.address, subject: "Re: Sortie", inReplyTo: received.id }), META);
      const [reply] = await folderItems(t, a.id, "inbox");
      assert.ok(reply);
      const parsed = await simpleParser(await t.services.mail.raw(a.id, reply.id));
      assert.equal(parsed.inReplyTo, first.messageId);
      assert.ok(String(parsed.references).includes(first.messageId));
      const [original] = await folderItems(t, b.id, "inbox");
      assert.equal(original?.flags.answered, true);
      // The reply joins the conversation in A's mailbox (its own sent copy).
      const view = await t.services.mail.open(a.id, reply.id, { markSeen: false });
      assert.ok(view.thread.some((m) => m.id === first.sentCopyId));
    });

    it("a reply saved as a draft and sent from Brouillons keeps its In-Reply-To and References", async () => {
      const a = await newAccount(t);
      const b = await newAccount(t);
      const first = await t.services.send.send(a.id, message({ to: b.address, subject: "Conseil" }), META);
      const [received] = await folderItems(t, b.id, "inbox");
      assert.ok(received);
      const draft = await t.services.send.saveDraft(
        b.id,
        message({ to: a.address, subject: "Re: Conseil", inReplyTo: received.id }),
      );
      // Resumed later: the compose page only knows the draft.
      await t.services.send.send(b.id, message({ to: a.address, subject: "Re: Conseil", draftId: draft }), META);
      const [reply] = await folderItems(t, a.id, "inbox");
      assert.ok(reply);
      const parsed = await simpleParser(await t.services.mail.raw(a.id, reply.id));
      assert.equal(parsed.inReplyTo, first.messageId);
      assert.ok(String(parsed.references).includes(first.messageId));
      assert.equal((await folderItems(t, b.id, "drafts")).length, 0);
      const [original] = await folderItems(t, b.id, "inbox");
      assert.equal(original?.flags.answered, true, "the original is marked answered");
    });

    it("forwards a message as an attachment (message/rfc822)", async () => {
      const a = await newAccount(t);
      const b = await newAccount(t);
      await t.services.send.send(a.id, message({ to: b.address, subject: "Original" }), META);
      const [received] = await folderItems(t, b.id, "inbox");
      assert.ok(received);
      await t.services.send.send(
        b.id,
        message({ to: a.address, subject: "Tr: Original", forwardAttached: received.id }),
        META,
      );
      const [fwd] = await folderItems(t, a.id, "inbox");
      assert.ok(fwd);
      const raw = (await t.services.mail.raw(a.id, fwd.id)).toString("utf8");
      assert.match(raw, /^Content-Type: message\/rfc822/im);
      assert.match(raw, /filename="?Original\.eml/i);
      assert.match(raw, /^Subject: Original$/m, "the original travels whole inside");
    });

    it("Bcc recipients get the message but are visible to nobody but the sender", async () => {
      const a = await newAccount(t);
      const b = await newAccount(t);
      const c = await newAccount(t);
      const result = await t.services.send.send(a.id, message({ to: b.address, bcc: c.address }), META);
      assert.deepEqual([...result.delivered].sort(), [b.address, c.address].sort());
      for (const who of [b, c]) {
        const [m] = await folderItems(t, who.id, "inbox");
        assert.ok(m);
        const raw = (await t.services.mail.raw(who.id, m.id)).toString("utf8");
        assert.doesNotMatch(raw, /^Bcc:/im);
        assert.ok(!raw.toLowerCase().includes(c.address.toLowerCase()));
      }
      const sentRaw = (await t.services.mail.raw(a.id, result.sentCopyId)).toString("utf8");
      assert.match(sentRaw, /^Bcc:/im);
    });

    it("an audit entry per sending: recipient count and size, never the content", async () => {
      const a = await newAccount(t);
      const b = await newAccount(t);
      await t.services.send.send(
        a.id,
        message({ to: b.address, subject: "Secret-sujet", text: "contenu-privé" }),
        META,
      );
      const [entry] = await t.services.audit.forEntity("account", a.id, ["mail.sent"]);
      assert.ok(entry);
      assert.equal(entry.details.recipients, 1);
      assert.ok(Number(entry.details.sizeBytes) > 0);
      const text = JSON.stringify(entry);
      assert.ok(!text.includes("Secret-sujet") && !text.includes("contenu-privé") && !text.includes(b.address));
    });

    describe("bad input: a French-mappable code at the right field, and nothing stored anywhere", () => {
      const cases: [string, (b: Account, unknownLocal: string) => Partial<OutgoingMessage>, string, string | null][] = [
        [
          "an address that does not parse",
          (b) => ({ to: `${b.address}, pas une adresse` }),
          "INVALID_RECIPIENTS",
          "to",
        ],
        ["a bad address in Cc", (b) => ({ to: b.address, cc: "x@" }), "INVALID_RECIPIENTS", "cc"],
        ["an unknown local address", (b, u) => ({ to: b.address, bcc: u }), "INVALID_RECIPIENTS", "bcc"],
        ["no recipient", () => ({ to: " , ; " }), "NO_RECIPIENT", "to"],
        [
          "CR/LF in the subject",
          (b) => ({ to: b.address, subject: "Bonjour\r\nBcc: x@evil.example" }),
          "HEADER_INJECTION",
          "subject",
        ],
        ["CR/LF in a name", (b) => ({ to: `"Jean\r\nBcc: x@evil.example" <${b.address}>` }), "HEADER_INJECTION", "to"],
        [
          "1,000 recipients",
          () => ({ to: Array.from({ length: 1000 }, (_, i) => `p${i}@exemple.org`).join(", ") }),
          "TOO_MANY_RECIPIENTS",
          "to",
        ],
        [
          "101 recipients over the fields",
          (b) => ({ to: b.address, cc: Array.from({ length: 100 }, (_, i) => `p${i}@exemple.org`).join("; ") }),
          "TOO_MANY_RECIPIENTS",
          "cc",
        ],
        [
          "a 0-byte upload",
          (b) => ({
            to: b.address,
            attachments: [{ filename: "vide.txt", contentType: "text/plain", content: Buffer.alloc(0) }],
          }),
          "VALIDATION_FAILED",
          "attachments",
        ],
        [
          "an oversized upload",
          (b) => ({
            to: b.address,
            attachments: [
              { filename: "gros.bin", contentType: "application/octet-stream", content: Buffer.alloc(1024 * 1024 + 1) },
            ],
          }),
          "ATTACHMENT_TOO_LARGE",
          "attachments",
        ],
        [
          "a message too large once encoded",
          (b) => ({
            to: b.address,
            attachments: [
              {
                filename: "presque.bin",
                contentType: "application/octet-stream",
                content: Buffer.alloc(900 * 1024, 7),
              },
            ],
          }),
          "MESSAGE_TOO_LARGE",
          "attachments",
        ],
        [
          "an answered message of another account",
          (b) => ({ to: b.address, inReplyTo: 999_999_999 }),
          "NOT_FOUND",
          null,
        ],
      ];
      for (const [label, make, code, field] of cases) {
        it(label, async () => {
          const a = await newAccount(t);
          const b = await newAccount(t);
          const beforeCounts = await counts(t);
          await assert.rejects(
            t.services.send.send(a.id, message(make(b, `personne-${Date.now()}@${t.config.mailDomain}`)), META),
            (e: unknown) => isDomainError(e, code as never) && (field === null || e.details.field === field),
          );
          assert.deepEqual(await counts(t), beforeCounts);
        });
      }

      it("lists the entries that do not parse", async () => {
        const a = await newAccount(t);
        await assert.rejects(
          t.services.send.send(a.id, message({ to: "ok@exemple.org; faux, Jean <jean@>" }), META),
          (e: unknown) =>
            isDomainError(e, "INVALID_RECIPIENTS") && JSON.stringify(e.details.invalid) === '["faux","Jean <jean@>"]',
        );
      });

      it("file names with ../, control or right-to-left characters are cleaned", async () => {
        const a = await newAccount(t);
        const b = await newAccount(t);
        await t.services.send.send(
          a.id,
          message({
            to: b.address,
            attachments: [
              { filename: "../../etc/passwd", contentType: "text/plain", content: Buffer.from("x") },
              { filename: "facture\u202Efdp.exe\u0007", contentType: "bad type", content: Buffer.from("y") },
            ],
          }),
          META,
        );
        const [m] = await folderItems(t, b.id, "inbox");
        assert.ok(m);
        const view = await t.services.mail.open(b.id, m.id, { markSeen: false });
        assert.deepEqual(
          view.attachments.map((x) => [x.filename, x.contentType]),
          [
            ["passwd", "text/plain"],
            ["facturefdp.exe", "application/octet-stream"],
          ],
        );
      });
    });

    it("the hourly limit counts recipients and says when to retry", async () => {
      const limited = await openTestServices(dialect, { SESAME_SEND_LIMIT_PER_HOUR: "3" });
      try {
        const a = await newAccount(limited);
        await limited.services.send.send(a.id, message({ to: "x1@exemple.org, x2@exemple.org" }), META);
        const before = await limited.services.outboundQueue.counts();
        await assert.rejects(
          limited.services.send.send(a.id, message({ to: "x3@exemple.org, x4@exemple.org" }), META),
          (e: unknown) =>
            isDomainError(e, "SENDING_LIMIT") &&
            e.details.retryAt instanceof Date &&
            e.details.retryAt.getTime() > Date.now(),
        );
        assert.deepEqual(await limited.services.outboundQueue.counts(), before);
        await limited.services.send.send(a.id, message({ to: "x3@exemple.org" }), META);
      } finally {
        await limited.close();
      }
    });

    it("drafts: saved, replaced, and removed once sent", async () => {
      const a = await newAccount(t);
      const b = await newAccount(t);
      const first = await t.services.send.saveDraft(a.id, message({ to: "à moitié@", subject: "Brouillon 1" }));
      let drafts = await folderItems(t, a.id, "drafts");
      assert.deepEqual(
        drafts.map((d) => [d.id, d.subject, d.flags.draft, d.flags.seen]),
        [[first, "Brouillon 1", true, true]],
      );
      const second = await t.services.send.saveDraft(a.id, message({ to: b.address, subject: "Brouillon 2" }), first);
      drafts = await folderItems(t, a.id, "drafts");
      assert.deepEqual(
        drafts.map((d) => d.id),
        [second],
      );
      assert.equal((await folderItems(t, a.id, "trash")).length, 0, "a replaced draft is gone for good");
      await assert.rejects(t.services.send.saveDraft(a.id, message({ subject: "a\nb" }), second), (e: unknown) =>
        isDomainError(e, "HEADER_INJECTION"),
      );
      await t.services.send.send(a.id, message({ to: b.address, subject: "Brouillon 2", draftId: second }), META);
      assert.equal((await folderItems(t, a.id, "drafts")).length, 0);
      assert.equal((await folderItems(t, b.id, "inbox")).length, 1);
    });

    it("sendRaw: the sender must be the account's own address", async () => {
      const a = await newAccount(t);
      const b = await newAccount(t);
      const raw = (from: string) =>
        Buffer.from(
          `From: ${from}\r\nTo: ${b.address}\r\nSubject: Depuis Thunderbird\r\nMessage-ID: <x${Date.now()}@client>\r\n\r\nBonjour\r\n`,
        );
      await assert.rejects(
        t.services.send.sendRaw(a.id, raw("usurpateur@exemple.org"), { from: a.address, to: [b.address] }, META),
        (e: unknown) => isDomainError(e, "SENDER_MISMATCH"),
      );
      await assert.rejects(
        t.services.send.sendRaw(a.id, raw(a.address), { from: "autre@exemple.org", to: [b.address] }, META),
        (e: unknown) => isDomainError(e, "SENDER_MISMATCH"),
      );
      const ok = await t.services.send.sendRaw(a.id, raw(a.address), { from: a.address, to: [b.address] }, META);
      assert.deepEqual(ok.delivered, [b.address]);
      assert.equal((await folderItems(t, a.id, "sent")).length, 1);
    });
  });
}
