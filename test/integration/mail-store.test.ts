/**
 * The mail store: delivery to one or several accounts in
 * one transaction, quotas, folders and their counters, threads, flags, moves, the Corbeille,
 * keyset pages and full-text search with accents folded — on SQLite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import type Mail from "nodemailer/lib/mailer/index.js";
import type { Account } from "../../src/directory/directory.types.js";
import type { MailApi, Recipient } from "../../src/mail/mail.types.js";
import { isDomainError } from "../../src/shared/errors.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { accountOf, seedStaff, uniqueStaff } from "../helpers/web.js";

function compose(options: Mail.Options): Promise<Buffer> {
  return new MailComposer({ from: "Parent Élève <parent@exemple.fr>", ...options }).compile().build();
}

async function newAccount(t: TestContext): Promise<Account> {
  const [row] = await seedStaff(t.services, [uniqueStaff()]);
  if (!row) throw new Error("no row");
  return accountOf(t.services, row);
}

async function deliverTo(mail: MailApi, accounts: readonly Account[], options: Mail.Options): Promise<number[]> {
  const recipients: Recipient[] = [];
  for (const a of accounts) recipients.push(await mail.checkRecipient(a.address));
  const raw = await compose({ to: accounts.map((a) => a.address), ...options });
  return [...(await mail.deliver(raw, recipients)).messageIds];
}

/** The folder counters must always equal what the folders really hold. */
async function assertCountersTrue(mail: MailApi, accountId: number): Promise<void> {
  for (const folder of await mail.folders(accountId)) {
    let total = 0;
    let unread = 0;
    let bytes = 0;
    let cursor: number | null = null;
    do {
      const page = await mail.list(accountId, folder.id, cursor, 200);
      for (const m of page.items) {
        total++;
        unread += m.flags.seen ? 0 : 1;
        bytes += m.sizeBytes;
      }
      cursor = page.nextCursor;
    } while (cursor !== null);
    assert.deepEqual(
      { total: folder.total, unread: folder.unread, bytes: folder.sizeBytes },
      { total, unread, bytes },
      `counters of ${folder.name}`,
    );
  }
}

for (const dialect of DIALECTS) {
  describe(`mail store (${dialect})`, () => {
    let t: TestContext;
    let mail: MailApi;
    before(async () => {
      t = await openTestServices(dialect, { SESAME_MAIL_QUOTA_MB: "1" });
      mail = t.services.mail;
    });
    after(() => t.close());

    it("every account has the five folders, in the guide's order and names", async () => {
      const a = await newAccount(t);
      const folders = await mail.folders(a.id);
      assert.deepEqual(
        folders.map((f) => [f.name, f.role, f.total]),
        [
          ["Boîte de réception", "inbox", 0],
          ["Brouillons", "drafts", 0],
          ["Envoyés", "sent", 0],
          ["Indésirables", "junk", 0],
          ["Corbeille", "trash", 0],
        ],
      );
    });

    it("a delivered message is listed in the inbox, opens, and is kept byte for byte", async () => {
      const a = await newAccount(t);
      const raw = await compose({
        to: a.address,
        subject: "Réunion parents-professeurs — jeudi",
        text: "Bonjour,\n\nLa réunion aura lieu jeudi à 18 h en salle 12.\n",
        attachments: [{ filename: "Ordre du jour.txt", content: "1. Accueil\n2. Bilan\n" }],
      });
      const recipient = await mail.checkRecipient(a.address.toUpperCase());
      assert.equal(recipient.accountId, a.id);
      const { messageIds } = await mail.deliver(raw, [recipient]);
      const [id] = messageIds;
      assert.ok(id);
      const inbox = await mail.folderByRole(a.id, "inbox");
      assert.equal(inbox.total, 1);
      assert.equal(inbox.unread, 1);
      const page = await mail.list(a.id, inbox.id, null);
      assert.equal(page.items.length, 1);
      const item = page.items[0];
      assert.equal(item?.subject, "Réunion parents-professeurs — jeudi");
      assert.deepEqual(item?.from, { name: "Parent Élève", address: "parent@exemple.fr" });
      assert.equal(item?.hasAttachments, true);
      assert.match(item?.preview ?? "", /La réunion aura lieu jeudi/);
      assert.equal(item?.flags.seen, false);
      const view = await mail.open(a.id, id);
      assert.match(view.text ?? "", /salle 12/);
      assert.deepEqual(
        view.attachments.map((x) => [x.filename, x.inline]),
        [["Ordre du jour.txt", false]],
      );
      assert.equal((await mail.attachment(a.id, id, 0)).content.toString(), "1. Accueil\n2. Bilan\n");
      assert.deepEqual(await mail.raw(a.id, id), raw);
      assert.equal((await mail.folderByRole(a.id, "inbox")).unread, 0, "opening marks it read");
      await assertCountersTrue(mail, a.id);
    });

    it("another account's message or folder is NOT_FOUND, as an unknown one", async () => {
      const a = await newAccount(t);
      const b = await newAccount(t);
      const [id] = await deliverTo(mail, [a], { subject: "privé", text: "x" });
      assert.ok(id);
      await assert.rejects(mail.open(b.id, id), (e) => isDomainError(e, "NOT_FOUND"));
      await assert.rejects(mail.raw(b.id, id), (e) => isDomainError(e, "NOT_FOUND"));
      await assert.rejects(mail.open(b.id, 999_999_999), (e) => isDomainError(e, "NOT_FOUND"));
      const inboxA = await mail.folderByRole(a.id, "inbox");
      await assert.rejects(mail.list(b.id, inboxA.id, null), (e) => isDomainError(e, "NOT_FOUND"));
      await assert.rejects(mail.move(b.id, [id], inboxA.id), (e) => isDomainError(e, "NOT_FOUND"));
      const inboxB = await mail.folderByRole(b.id, "inbox");
      assert.equal(await mail.move(b.id, [id], inboxB.id), 0, "ids of another account are ignored");
      assert.equal(await mail.remove(b.id, [id]), 0);
      assert.equal((await mail.folderByRole(a.id, "inbox")).total, 1);
    });

    it("recipients: unknown, foreign domain and disabled accounts are refused", async () => {
      const a = await newAccount(t);
      for (const address of [
        "personne.inconnue@ac-lyon.fr",
        a.address.replace(/@.*/, "@exemple.fr"),
        "pas-une-adresse",
        "",
      ]) {
        await assert.rejects(mail.checkRecipient(address), (e) => isDomainError(e, "RECIPIENT_UNKNOWN"), address);
      }
      await t.services.directory.disableAccount(a.username, "test");
      await assert.rejects(mail.checkRecipient(a.address), (e) => isDomainError(e, "RECIPIENT_UNKNOWN"));
    });

    it("one message to several accounts is stored for each in one transaction, or for none", async () => {
      const a = await newAccount(t);
      const b = await newAccount(t);
      const ids = await deliverTo(mail, [a, b], { subject: "Conseil de classe", text: "À tous." });
      assert.equal(ids.length, 2);
      assert.equal((await mail.folderByRole(a.id, "inbox")).total, 1);
      assert.equal((await mail.folderByRole(b.id, "inbox")).total, 1);
      // b is then filled to its quota (1 MiB): a message to a and b is stored for neither.
      const big = Buffer.alloc(700 * 1024, "a").toString();
      await deliverTo(mail, [b], { subject: "gros", text: big });
      const recipients = [await mail.checkRecipient(a.address), await mail.checkRecipient(b.address)];
      const raw = await compose({ to: [a.address, b.address], subject: "trop", text: big });
      await assert.rejects(mail.deliver(raw, recipients), (e) => isDomainError(e, "QUOTA_EXCEEDED"));
      assert.equal((await mail.folderByRole(a.id, "inbox")).total, 1, "nothing half-delivered");
      assert.equal((await mail.folderByRole(b.id, "inbox")).total, 2);
      await assert.rejects(mail.checkRecipient(b.address, 700 * 1024), (e) => isDomainError(e, "QUOTA_EXCEEDED"));
      const quota = await mail.quota(b.id);
      assert.equal(quota.limitBytes, 1024 * 1024);
      assert.ok(quota.usedBytes > 700 * 1024 && quota.usedBytes < quota.limitBytes);
    });

    it("concurrent deliveries to one account never overfill its quota", async () => {
      const a = await newAccount(t);
      const recipient = await mail.checkRecipient(a.address);
      // Eight messages of the same size, of which three fit in the 1 MiB quota, all at once: on
      // PostgreSQL they run in parallel transactions of the pool.
      const raws = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          compose({ to: a.address, subject: `Envoi n°${i}`, text: Buffer.alloc(300 * 1024, "b").toString() }),
        ),
      );
      const size = raws[0]?.length ?? 0;
      assert.ok(raws.every((r) => r.length === size));
      const fit = Math.floor((1024 * 1024) / size);
      assert.equal(fit, 3);
      const results = await Promise.allSettled(raws.map((raw) => mail.deliver(raw, [recipient])));
      const refused = results.filter((r) => r.status === "rejected");
      assert.equal(results.length - refused.length, fit, "exactly what fits is stored");
      for (const r of refused) assert.ok(isDomainError(r.reason, "QUOTA_EXCEEDED"), String(r.reason));
      const quota = await mail.quota(a.id);
      assert.ok(quota.usedBytes <= quota.limitBytes, `${quota.usedBytes} > ${quota.limitBytes}`);
      assert.equal(quota.usedBytes, fit * size);
      await assertCountersTrue(mail, a.id);
    });

    it("concurrent deliveries naming the same accounts in opposite orders all succeed (no deadlock)", async () => {
      const a = await newAccount(t);
      const b = await newAccount(t);
      const ra = await mail.checkRecipient(a.address);
      const rb = await mail.checkRecipient(b.address);
      const raw = await compose({ to: [a.address, b.address], subject: "Réunion", text: "Ordre du jour." });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => mail.deliver(raw, i % 2 === 0 ? [ra, rb] : [rb, ra])),
      );
      assert.deepEqual(
        results.filter((r) => r.status === "rejected").map((r) => String(r.reason)),
        [],
      );
      assert.equal((await mail.folderByRole(a.id, "inbox")).total, 10);
      assert.equal((await mail.folderByRole(b.id, "inbox")).total, 10);
    });

    it("a reply joins the conversation of the message it answers", async () => {
      const a = await newAccount(t);
      const root = "<sortie-2026@college.exemple.fr>";
      const [first] = await deliverTo(mail, [a], { subject: "Sortie scolaire", text: "Qui vient ?", messageId: root });
      const [second] = await deliverTo(mail, [a], {
        subject: "RE: Sortie scolaire",
        text: "Moi.",
        inReplyTo: root,
        references: [root],
        messageId: "<re1@exemple.fr>",
      });
      const [third] = await deliverTo(mail, [a], {
        subject: "RE: RE: Sortie scolaire",
        text: "Moi aussi.",
        references: [root, "<re1@exemple.fr>"],
      });
      const [other] = await deliverTo(mail, [a], { subject: "Autre sujet", text: "…" });
      assert.ok(first && second && third && other);
      const view = await mail.open(a.id, third);
      assert.deepEqual(
        view.thread.map((m) => m.id),
        [first, second],
      );
      assert.deepEqual((await mail.open(a.id, other)).thread, []);
    });

    it("pages of 50, newest first, with a keyset cursor: no message twice, none missed", async () => {
      const a = await newAccount(t);
      const recipient = await mail.checkRecipient(a.address);
      for (let i = 0; i < 120; i++) {
        await mail.deliver(await compose({ to: a.address, subject: `Message ${i}`, text: `n° ${i}` }), [recipient]);
      }
      const inbox = await mail.folderByRole(a.id, "inbox");
      const seen: string[] = [];
      let cursor: number | null = null;
      const sizes: number[] = [];
      do {
        const page = await mail.list(a.id, inbox.id, cursor);
        sizes.push(page.items.length);
        seen.push(...page.items.map((m) => m.subject));
        cursor = page.nextCursor;
      } while (cursor !== null);
      assert.deepEqual(sizes, [50, 50, 20]);
      assert.deepEqual(
        seen,
        Array.from({ length: 120 }, (_, i) => `Message ${119 - i}`),
      );
      await assert.rejects(mail.list(a.id, inbox.id, -3), (e) => isDomainError(e, "VALIDATION_FAILED"));
    });

    it("flags, moves, deletion to the Corbeille and emptying it keep every counter true", async () => {
      const a = await newAccount(t);
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) ids.push(...(await deliverTo(mail, [a], { subject: `m${i}`, text: "texte" })));
      const [m0, m1, m2, m3, m4, m5] = ids as [number, number, number, number, number, number];
      assert.equal(await mail.setFlags(a.id, [m0, m1], { seen: true }), 2);
      assert.equal(await mail.setFlags(a.id, [m0, m1], { seen: true }), 2, "idempotent");
      await mail.setFlags(a.id, [m2], { flagged: true });
      const archive = await mail.createFolder(a.id, "Archives 2026", null);
      assert.equal(await mail.move(a.id, [m0, m2, m3], archive.id), 3);
      assert.equal(await mail.remove(a.id, [m4, m1]), 2);
      const trash = await mail.folderByRole(a.id, "trash");
      assert.equal(trash.total, 2);
      assert.equal(await mail.remove(a.id, [m4]), 1, "deleting from the Corbeille deletes for good");
      await assert.rejects(mail.open(a.id, m4), (e) => isDomainError(e, "NOT_FOUND"));
      await assertCountersTrue(mail, a.id);
      const flagged = (await mail.list(a.id, archive.id, null)).items.find((m) => m.id === m2);
      assert.equal(flagged?.flags.flagged, true);
      await mail.remove(a.id, [m5]);
      assert.equal(await mail.emptyTrash(a.id), 2);
      assert.equal((await mail.folderByRole(a.id, "trash")).total, 0);
      await assertCountersTrue(mail, a.id);
      const before = (await mail.quota(a.id)).usedBytes;
      assert.ok(before > 0);
      await mail.remove(a.id, [m0, m2, m3]);
      await mail.emptyTrash(a.id);
      assert.equal((await mail.quota(a.id)).usedBytes, 0, "the quota is given back");
      await assert.rejects(mail.setFlags(a.id, [0], { seen: true }), (e) => isDomainError(e, "VALIDATION_FAILED"));
    });

    it("folders: nested, renamed, names unique among siblings, special ones protected, deletion empties into the Corbeille", async () => {
      const a = await newAccount(t);
      const projects = await mail.createFolder(a.id, "Projets", null);
      const trips = await mail.createFolder(a.id, "Sorties", projects.id);
      assert.equal(trips.depth, 1);
      await assert.rejects(mail.createFolder(a.id, "projets", null), (e) => isDomainError(e, "FOLDER_EXISTS"));
      await assert.rejects(mail.createFolder(a.id, "Corbeille", null), (e) => isDomainError(e, "FOLDER_EXISTS"));
      await assert.rejects(mail.createFolder(a.id, "a/b", null), (e) => isDomainError(e, "INVALID_FOLDER_NAME"));
      await assert.rejects(mail.createFolder(a.id, "   ", null), (e) => isDomainError(e, "INVALID_FOLDER_NAME"));
      await assert.rejects(mail.createFolder(a.id, "x".repeat(101), null), (e) =>
        isDomainError(e, "INVALID_FOLDER_NAME"),
      );
      const inbox = await mail.folderByRole(a.id, "inbox");
      await assert.rejects(mail.renameFolder(a.id, inbox.id, "Autre"), (e) => isDomainError(e, "FOLDER_PROTECTED"));
      await assert.rejects(mail.deleteFolder(a.id, inbox.id), (e) => isDomainError(e, "FOLDER_PROTECTED"));
      await mail.renameFolder(a.id, trips.id, "Sorties scolaires");
      const [id] = await deliverTo(mail, [a], { subject: "bus", text: "car à 8 h" });
      assert.ok(id);
      await mail.move(a.id, [id], trips.id);
      await mail.deleteFolder(a.id, projects.id);
      const folders = await mail.folders(a.id);
      assert.equal(
        folders.some((f) => f.role === null),
        false,
        "the folder and its subfolder are gone",
      );
      assert.equal(folders.find((f) => f.role === "trash")?.total, 1);
      assert.equal((await mail.open(a.id, id)).folderId, folders.find((f) => f.role === "trash")?.id);
      await assertCountersTrue(mail, a.id);
    });

    it("search: accents and case folded, by field, dates, attachments, folder, pages — never another account's", async () => {
      const a = await newAccount(t);
      const b = await newAccount(t);
      const at = (d: string) => new Date(`${d}T09:00:00Z`);
      const [reunion] = await deliverTo(mail, [a], {
        from: "Hélène Côté <helene.cote@ac-lyon.fr>",
        subject: "Réunion pédagogique",
        text: "Ordre du jour : évaluations du trimestre.",
        date: at("2026-03-02"),
      });
      const [devoirs] = await deliverTo(mail, [a], {
        from: "Marc Durand <marc.durand@exemple.fr>",
        subject: "Devoirs",
        text: "Les élèves rendront le devoir de géographie.",
        date: at("2026-04-10"),
        attachments: [{ filename: "sujet.pdf", content: "%PDF-1.4" }],
      });
      await deliverTo(mail, [b], { subject: "Réunion pédagogique", text: "évaluations", date: at("2026-03-02") });
      const ids = async (q: Parameters<MailApi["search"]>[1]) =>
        (await mail.search(a.id, q, null)).items.map((m) => m.id);
      assert.deepEqual(await ids({ text: "reunion" }), [reunion]);
      assert.deepEqual(await ids({ text: "EVALUATIONS trimestre" }), [reunion]);
      assert.deepEqual(await ids({ text: "geographie" }), [devoirs]);
      assert.deepEqual(await ids({ text: "éval" }), [reunion], "words are prefixes");
      assert.deepEqual(await ids({ from: "cote" }), [reunion]);
      assert.deepEqual(await ids({ from: "durand" }), [devoirs]);
      assert.deepEqual(await ids({ subject: "devoirs" }), [devoirs]);
      assert.deepEqual(await ids({ subject: "geographie" }), []);
      assert.deepEqual(await ids({ to: a.address.split("@")[0] }), [devoirs, reunion]);
      assert.deepEqual(await ids({ hasAttachment: true }), [devoirs]);
      assert.deepEqual(await ids({ text: "sujet" }), [devoirs], "attachment names are searched");
      assert.deepEqual(await ids({ since: at("2026-04-01") }), [devoirs]);
      assert.deepEqual(await ids({ until: at("2026-04-01") }), [reunion]);
      assert.deepEqual(await ids({ text: "introuvable" }), []);
      assert.deepEqual(await ids({ text: "!!! ???" }), [], "typed words that cannot be searched match nothing");
      assert.deepEqual(await ids({ text: `"); drop table mail_message; --` }), []);
      const archive = await mail.createFolder(a.id, "Archives", null);
      assert.ok(reunion);
      await mail.move(a.id, [reunion], archive.id);
      assert.deepEqual(await ids({ text: "reunion", folderId: archive.id }), [reunion]);
      const inbox = await mail.folderByRole(a.id, "inbox");
      assert.deepEqual(await ids({ text: "reunion", folderId: inbox.id }), []);
      await assert.rejects(mail.search(a.id, { since: at("2026-05-01"), until: at("2026-04-01") }, null), (e) =>
        isDomainError(e, "VALIDATION_FAILED"),
      );
      for (let i = 0; i < 7; i++)
        await deliverTo(mail, [a], { subject: `Bulletin ${i}`, text: "bulletin trimestriel" });
      const first = await mail.search(a.id, { text: "bulletin" }, null, 5);
      assert.equal(first.items.length, 5);
      assert.ok(first.nextCursor);
      const second = await mail.search(a.id, { text: "bulletin" }, first.nextCursor, 5);
      assert.equal(second.items.length, 2);
      assert.equal(second.nextCursor, null);
    });

    it("the overview gives the owner, the folders and the quota; HTML with remote images says so", async () => {
      const a = await newAccount(t);
      const [plain] = await deliverTo(mail, [a], { subject: "texte", text: "rien de distant" });
      const [remote] = await deliverTo(mail, [a], {
        subject: "lettre",
        html: '<p>Bonjour</p><img src="https://exemple.fr/suivi.png" alt="">',
      });
      const [local] = await deliverTo(mail, [a], { subject: "local", html: "<p>Bonjour</p>" });
      assert.ok(plain && remote && local);
      assert.equal((await mail.open(a.id, plain)).remoteContentBlocked, false);
      assert.equal((await mail.open(a.id, remote)).remoteContentBlocked, true);
      assert.equal((await mail.open(a.id, local)).remoteContentBlocked, false);
      const body = await mail.htmlBody(a.id, remote, { allowRemote: false });
      assert.ok(!body.html.includes("exemple.fr/suivi.png"));
      assert.ok(
        (await mail.htmlBody(a.id, remote, { allowRemote: true })).html.includes("https://exemple.fr/suivi.png"),
      );
      await assert.rejects(mail.htmlBody(a.id, plain, { allowRemote: false }), (e) => isDomainError(e, "NOT_FOUND"));
      const overview = await mail.overview(a.id);
      assert.equal(overview.owner.address, a.address);
      assert.equal(overview.folders.find((f) => f.role === "inbox")?.total, 3);
      assert.ok(overview.quota.usedBytes > 0);
    });

    it("odd messages are stored, not refused: no headers at all, 8-bit headers, unknown charset", async () => {
      const a = await newAccount(t);
      const recipient = await mail.checkRecipient(a.address);
      const cases = [
        Buffer.from("just a body without headers\r\n"),
        Buffer.from("Subject: Caf\xe9 cr\xe8me\r\nFrom: <x@exemple.fr>\r\n\r\ncorps\r\n", "latin1"),
        Buffer.from(
          "Subject: =?x-inconnu?Q?abc?=\r\nContent-Type: text/plain; charset=x-inconnu\r\n\r\nbody\r\n",
          "latin1",
        ),
        Buffer.from("Subject: \u202eevil\u202c name\r\nDate: not a date\r\n\r\nx\r\n"),
      ];
      for (const raw of cases) {
        const { messageIds } = await mail.deliver(raw, [recipient]);
        const view = await mail.open(a.id, messageIds[0] ?? 0);
        assert.ok(!/[\u202a-\u202e]/.test(view.subject), "bidi controls are removed");
        assert.ok(Number.isFinite(view.date.getTime()));
      }
      await assertCountersTrue(mail, a.id);
    });
  });
}
