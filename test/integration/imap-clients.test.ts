/**
 * IMAP with two more clients nobody on the project wrote: Python's imaplib (the RFC 3501 client of
 * the standard library) and mbsync (Debian's isync) syncing a mailbox to a Maildir and back: a flag
 * set in the Maildir reaches the webmail, a message moved in the webmail moves in the Maildir.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { ImapServer } from "../../src/imap/server.js";
import { DIALECTS, openTestServices, type TestContext, tempDir } from "../helpers/env.js";
import { deliverTo, IMAP_PASSWORD, imapAccount, startImap } from "../helpers/imap.js";

const run = promisify(execFile);
const MBSYNC = process.env.SESAME_MBSYNC_BIN ?? "/usr/bin/mbsync";

const PYTHON_CLIENT = String.raw`
import imaplib, json, sys
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
out = {}
m = imaplib.IMAP4("127.0.0.1", port)
out["capabilities"] = sorted(m.capabilities)
out["login"] = m.login(user, password)[0]
typ, boxes = m.list()
out["list"] = [b.decode() for b in boxes]
typ, data = m.select("INBOX")
out["exists"] = int(data[0])
typ, data = m.uid("SEARCH", None, "SUBJECT", "cantine")
out["search"] = data[0].decode()
typ, data = m.fetch("1", "(RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
out["header"] = data[0][1].decode()
typ, data = m.store("1", "+FLAGS", "(\\Flagged)")
out["store"] = typ
typ, data = m.append("Brouillons", "(\\Draft)", imaplib.Time2Internaldate(1767225600), b"From: a@example.org\r\nSubject: Brouillon Python\r\n\r\nTexte\r\n")
out["append"] = data[0].decode()
typ, data = m.status("Brouillons", "(MESSAGES UIDNEXT)")
out["status"] = data[0].decode()
typ, data = m.select("&AMk-l&AOk-ves")
out["missing"] = typ
m.logout()
print(json.dumps(out))
`;

for (const dialect of DIALECTS) {
  describe(`IMAP with Python's imaplib and mbsync (${dialect})`, () => {
    let ctx: TestContext;
    let server: ImapServer;

    before(async () => {
      ctx = await openTestServices(dialect);
      server = await startImap(ctx.services);
    });
    after(async () => {
      await server.close();
      await ctx.close();
    });

    it("imaplib logs in, lists, searches, fetches, stores and appends", async () => {
      const account = await imapAccount(ctx.services);
      await deliverTo(ctx.services, account.address, { subject: "Menu de la cantine" });
      const { stdout } = await run("python3", [
        "-c",
        PYTHON_CLIENT,
        String(server.port),
        account.username,
        IMAP_PASSWORD,
      ]);
      const out = JSON.parse(stdout) as Record<string, unknown>;
      assert.equal(out.login, "OK");
      assert.ok((out.capabilities as string[]).includes("IMAP4REV1"));
      assert.ok((out.list as string[]).some((l) => l.includes("\\Sent") && l.endsWith("Envoy&AOk-s")));
      assert.equal(out.exists, 1);
      assert.equal(out.search, "1");
      assert.match(String(out.header), /^Subject: Menu de la cantine\r\n\r\n$/);
      assert.equal(out.store, "OK");
      assert.match(String(out.append), /^\[APPENDUID \d+ 1\]/);
      assert.match(String(out.status), /MESSAGES 1 UIDNEXT 2/);
      assert.equal(out.missing, "NO");
      const folder = await ctx.services.mail.folderByRole(account.id, "inbox");
      assert.equal((await ctx.services.mail.list(account.id, folder.id, null)).items[0]?.flags.flagged, true);
      const drafts = await ctx.services.mail.folderByRole(account.id, "drafts");
      assert.equal((await ctx.services.mail.list(account.id, drafts.id, null)).items[0]?.subject, "Brouillon Python");
    });

    it("mbsync syncs to a Maildir and back: a local flag reaches the webmail, a webmail move reaches the Maildir", async () => {
      assert.ok(existsSync(MBSYNC), `${MBSYNC} is missing: install Debian's isync (scripts/test.sh does)`);
      const account = await imapAccount(ctx.services);
      const id = await deliverTo(ctx.services, account.address, { subject: "Réunion parents-professeurs" });
      const tmp = tempDir("sesame-mbsync-");
      try {
        const maildir = path.join(tmp.dir, "mail");
        mkdirSync(maildir);
        const passFile = path.join(tmp.dir, "pass");
        writeFileSync(passFile, IMAP_PASSWORD, { mode: 0o600 });
        const conf = path.join(tmp.dir, "mbsyncrc");
        writeFileSync(
          conf,
          [
            "IMAPAccount sesame",
            "Host 127.0.0.1",
            `Port ${server.port}`,
            `User ${account.username}`,
            `PassCmd "cat ${passFile}"`,
            "SSLType None",
            "AuthMechs LOGIN",
            "",
            "IMAPStore remote",
            "Account sesame",
            "",
            "MaildirStore local",
            `Path ${maildir}/`,
            `Inbox ${maildir}/INBOX`,
            "SubFolders Verbatim",
            "",
            "Channel sesame",
            "Far :remote:",
            "Near :local:",
            "Patterns *",
            "Create Both",
            "Expunge Both",
            `SyncState *`,
            "",
          ].join("\n"),
        );
        const sync = () => run(MBSYNC, ["-c", conf, "-a", "-q"], { env: { ...process.env, HOME: tmp.dir } });
        await sync();
        const inboxCur = path.join(maildir, "INBOX", "cur");
        const inboxNew = path.join(maildir, "INBOX", "new");
        const files = () => [
          ...readdirSync(inboxCur).map((f) => path.join(inboxCur, f)),
          ...readdirSync(inboxNew).map((f) => path.join(inboxNew, f)),
        ];
        assert.equal(files().length, 1);
        assert.ok(existsSync(path.join(maildir, "Envoyés")) || existsSync(path.join(maildir, "Envoy&AOk-s")));

        // Flag it locally (Maildir info ":2,F"), then sync: the webmail shows it flagged.
        const [file] = files();
        if (!file) throw new Error("no file");
        const base = path.basename(file).replace(/:2,.*$/, "");
        renameSync(file, path.join(inboxCur, `${base}:2,F`));
        await sync();
        const inbox = await ctx.services.mail.folderByRole(account.id, "inbox");
        assert.equal((await ctx.services.mail.list(account.id, inbox.id, null)).items[0]?.flags.flagged, true);

        // Move it in the webmail: after a sync the Maildir has it in Corbeille, not in INBOX.
        const trash = await ctx.services.mail.folderByRole(account.id, "trash");
        await ctx.services.mail.move(account.id, [id], trash.id);
        await sync();
        assert.equal(files().length, 0);
        const trashDir = path.join(maildir, "Corbeille");
        const trashFiles = ["cur", "new"].flatMap((d) => readdirSync(path.join(trashDir, d)));
        assert.equal(trashFiles.length, 1);
      } finally {
        tmp.remove();
      }
    });
  });
}
