/**
 * IMAP against a real port with a real client nobody on the project wrote (imapflow), on SQLite and
 * PostgreSQL: what a mail client does is what the webmail shows on its next page, and what the
 * webmail or a delivery does reaches an idling client within a second.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ImapFlow } from "imapflow";
import type { ImapServer } from "../../src/imap/server.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { deliverTo, IMAP_PASSWORD, imapAccount, imapflow, RawImap, startImap } from "../helpers/imap.js";
import { textMessage } from "../helpers/smtp.js";
import { accountOf, seedStaff, uniqueStaff } from "../helpers/web.js";

function multipart(to: string, subject: string): Buffer {
  return Buffer.from(
    [
      "From: Marie Curie <marie.curie@example.org>",
      `To: ${to}`,
      `Subject: ${subject}`,
      "Date: Tue, 01 Dec 2026 08:30:00 +0100",
      "Message-ID: <structure-1@example.org>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="frontiere"',
      "",
      "--frontiere",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      "Bonjour, voici le compte rendu du conseil pédagogique.",
      "--frontiere",
      'Content-Type: application/pdf; name="compte-rendu.pdf"',
      "Content-Transfer-Encoding: base64",
      'Content-Disposition: attachment; filename="compte-rendu.pdf"',
      "",
      Buffer.from("%PDF-1.4 faux document").toString("base64"),
      "--frontiere--",
      "",
    ].join("\r\n"),
  );
}

/** Waits until `check` holds, up to `ms`. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail("the condition did not hold in time");
}

for (const dialect of DIALECTS) {
  describe(`IMAP with imapflow (${dialect})`, () => {
    let ctx: TestContext;
    let server: ImapServer;
    const clients: ImapFlow[] = [];

    before(async () => {
      ctx = await openTestServices(dialect);
      server = await startImap(ctx.services);
    });
    after(async () => {
      for (const c of clients) await c.logout().catch(() => c.close());
      await server.close();
      await ctx.close();
    });

    const connect = async (user: string) => {
      const c = await imapflow(server.port, user);
      clients.push(c);
      return c;
    };

    it("lists the special folders with their SPECIAL-USE and reads a delivered message byte for byte", async () => {
      const account = await imapAccount(ctx.services);
      const raw = multipart(account.address, "Compte rendu du conseil");
      await deliverTo(ctx.services, account.address, raw);
      const client = await connect(account.username);

      const list = await client.list();
      const byUse = new Map(list.map((m) => [m.specialUse, m.path]));
      assert.equal(byUse.get("\\Inbox"), "INBOX");
      assert.equal(byUse.get("\\Drafts"), "Brouillons");
      assert.equal(byUse.get("\\Sent"), "Envoyés");
      assert.equal(byUse.get("\\Junk"), "Indésirables");
      assert.equal(byUse.get("\\Trash"), "Corbeille");

      const box = await client.mailboxOpen("INBOX");
      assert.equal(box.exists, 1);
      const msg = await client.fetchOne("*", {
        source: true,
        envelope: true,
        bodyStructure: true,
        flags: true,
        uid: true,
      });
      assert.ok(msg);
      assert.deepEqual(msg.source, raw);
      assert.equal(msg.envelope?.subject, "Compte rendu du conseil");
      assert.equal(msg.envelope?.from?.[0]?.address, "marie.curie@example.org");
      assert.equal(msg.bodyStructure?.type, "multipart/mixed");
      assert.equal(msg.bodyStructure?.childNodes?.[1]?.type, "application/pdf");
      assert.equal(msg.bodyStructure?.childNodes?.[1]?.dispositionParameters?.filename, "compte-rendu.pdf");
      assert.equal(msg.flags?.has("\\Seen"), false);

      // One part, decoded by the client from the section the server sends.
      const part = await client.download(String(msg.seq), "2");
      const chunks: Buffer[] = [];
      for await (const c of part.content ?? []) chunks.push(c as Buffer);
      assert.equal(Buffer.concat(chunks).toString("latin1"), "%PDF-1.4 faux document");
    });

    it("flags set by the client are what the webmail shows, and the webmail's flags reach the client", async () => {
      const account = await imapAccount(ctx.services);
      const id = await deliverTo(
        ctx.services,
        account.address,
        Buffer.from(textMessage({ to: account.address, subject: "Drapeaux" })),
      );
      const client = await connect(account.username);
      await client.mailboxOpen("INBOX");
      await client.messageFlagsAdd("1:*", ["\\Seen", "\\Flagged", "$Forwarded"]);
      const folder = await ctx.services.mail.folderByRole(account.id, "inbox");
      const [item] = (await ctx.services.mail.list(account.id, folder.id, null)).items;
      assert.equal(item?.id, id);
      assert.equal(item?.flags.seen, true);
      assert.equal(item?.flags.flagged, true);
      assert.equal((await ctx.services.mail.folderByRole(account.id, "inbox")).unread, 0);

      await ctx.services.mail.setFlags(account.id, [id], { flagged: false, seen: false });
      const after = await client.fetchOne("1", { flags: true });
      assert.ok(after);
      assert.deepEqual([...(after.flags ?? [])].sort(), ["$Forwarded"]);
    });

    it("a move, an append to Envoyés and folders made by the client are what the webmail shows", async () => {
      const account = await imapAccount(ctx.services);
      await deliverTo(
        ctx.services,
        account.address,
        Buffer.from(textMessage({ to: account.address, subject: "À déplacer" })),
      );
      const client = await connect(account.username);
      await client.mailboxOpen("INBOX");
      const moved = await client.messageMove("1", "Corbeille");
      assert.ok(moved !== false);
      assert.equal(moved.uidMap?.size, 1);
      const trash = await ctx.services.mail.folderByRole(account.id, "trash");
      const inTrash = (await ctx.services.mail.list(account.id, trash.id, null)).items;
      assert.deepEqual(
        inTrash.map((m) => m.subject),
        ["À déplacer"],
      );

      const appended = await client.append(
        "Envoyés",
        textMessage({ from: account.address, to: "collegue@example.org", subject: "Envoyé depuis Thunderbird" }),
        ["\\Seen"],
      );
      assert.ok(appended !== false);
      assert.ok(appended.uid !== undefined && appended.uidValidity !== undefined);
      const sent = await ctx.services.mail.folderByRole(account.id, "sent");
      const sentItems = (await ctx.services.mail.list(account.id, sent.id, null)).items;
      assert.equal(sentItems[0]?.subject, "Envoyé depuis Thunderbird");
      assert.equal(sentItems[0]?.flags.seen, true);

      await client.mailboxCreate("Projets");
      await client.mailboxCreate("Projets/2026");
      await client.mailboxRename("Projets/2026", "Projets/Année 2026");
      const names = (await ctx.services.mail.folders(account.id)).map((f) => f.name);
      assert.ok(names.includes("Projets"));
      assert.ok(names.includes("Année 2026"));
      await client.mailboxDelete("Projets/Année 2026");
      assert.ok(!(await ctx.services.mail.folders(account.id)).some((f) => f.name === "Année 2026"));
    });

    it("searches words through the full-text index, and dates, flags and UIDs through the columns", async () => {
      const account = await imapAccount(ctx.services);
      await deliverTo(
        ctx.services,
        account.address,
        Buffer.from(
          textMessage({ to: account.address, subject: "Sortie au musée", body: "Rendez-vous devant le planétarium" }),
        ),
      );
      await deliverTo(
        ctx.services,
        account.address,
        Buffer.from(textMessage({ to: account.address, subject: "Conseil de classe", body: "Ordre du jour" })),
      );
      const client = await connect(account.username);
      await client.mailboxOpen("INBOX");
      assert.deepEqual(await client.search({ body: "planétarium" }, { uid: true }), [1]);
      assert.deepEqual(await client.search({ subject: "conseil" }, { uid: true }), [2]);
      assert.deepEqual(await client.search({ seen: false }, { uid: true }), [1, 2]);
      assert.deepEqual(await client.search({ uid: "2:*" }, { uid: true }), [2]);
      assert.deepEqual(await client.search({ since: new Date(Date.now() - 86_400_000) }, { uid: true }), [1, 2]);
    });

    it("an idling client hears a delivery, a move in the webmail and a flag from another session within a second", async () => {
      const account = await imapAccount(ctx.services);
      const first = await deliverTo(
        ctx.services,
        account.address,
        Buffer.from(textMessage({ to: account.address, subject: "Un" })),
      );
      const watcher = await connect(account.username);
      const other = await connect(account.username);
      await watcher.mailboxOpen("INBOX");
      const events: string[] = [];
      watcher.on("exists", (e: { count: number }) => events.push(`exists ${e.count}`));
      watcher.on("expunge", () => events.push("expunge"));
      watcher.on("flags", (e: { flags: Set<string> }) => events.push(`flags ${[...e.flags].join(",")}`));
      void watcher.idle();
      await eventually(() => watcher.idling === true);

      let t = Date.now();
      await deliverTo(
        ctx.services,
        account.address,
        Buffer.from(textMessage({ to: account.address, subject: "Deux" })),
      );
      await eventually(() => events.includes("exists 2"), 1_000);
      const deliveryMs = Date.now() - t;

      t = Date.now();
      await other.mailboxOpen("INBOX");
      await other.messageFlagsAdd({ uid: "2" }, ["\\Flagged"], { uid: true });
      await eventually(() => events.some((e) => e.startsWith("flags") && e.includes("\\Flagged")), 1_000);

      t = Date.now();
      const trash = await ctx.services.mail.folderByRole(account.id, "trash");
      await ctx.services.mail.move(account.id, [first], trash.id);
      await eventually(() => events.includes("expunge"), 1_000);
      assert.ok(deliveryMs < 1_000 && Date.now() - t < 1_000);
    });

    it("LOGIN: a wrong password is refused, audited under the door imap; the NUMEN password gets a French alert", async () => {
      const account = await imapAccount(ctx.services);
      const { client } = await RawImap.connect(server.port);
      const wrong = await client.command(`LOGIN ${account.username} "pas le bon"`);
      assert.match(wrong.tagged, /^A1 NO \[AUTHENTICATIONFAILED\]/);
      const failed = await ctx.services.audit.list({ action: "login.failed" });
      assert.ok(failed.some((e) => e.actor === "imap"));
      const ok = await client.command(`LOGIN ${account.username} "${IMAP_PASSWORD.replace(/"/g, '\\"')}"`);
      assert.match(ok.tagged, /^A2 OK/);
      const succeeded = await ctx.services.audit.list({ action: "login.succeeded" });
      assert.ok(succeeded.some((e) => e.actor === "imap" && e.entityId === String(account.id)));
      client.close();

      const row = uniqueStaff();
      await seedStaff(ctx.services, [row]);
      const initial = await accountOf(ctx.services, row);
      const second = await RawImap.connect(server.port);
      const alert = await second.client.command(`LOGIN ${initial.username} ${row.numen}`);
      assert.match(alert.tagged, /^A1 NO \[ALERT\] Connectez-vous une première fois au webmail/);
      second.client.close();
    });
  });
}
