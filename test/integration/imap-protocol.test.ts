/**
 * IMAP at the protocol level, where the exact response matters: every command the server announces
 * with its RFC response codes (RFC 9051, 3501, 4315 UIDPLUS, 6851 MOVE, 7162 CONDSTORE/QRESYNC,
 * 4731 ESEARCH, 9208 QUOTA, 6154 SPECIAL-USE, 7888 LITERAL+, 3516 BINARY), the cases Dovecot's
 * imaptest scripts check (sequence sets, expunge numbering, flags, UIDNEXT, APPENDUID/COPYUID), and
 * bad input: a tagged BAD/NO or a BYE, never a crash, never another session's data.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ImapServer } from "../../src/imap/server.js";
import { openTestServices, type TestContext } from "../helpers/env.js";
import { deliverTo, IMAP_PASSWORD, imapAccount, quoted, RawImap, startImap } from "../helpers/imap.js";

describe("IMAP protocol", () => {
  let ctx: TestContext;
  let server: ImapServer;

  before(async () => {
    ctx = await openTestServices("sqlite");
    server = await startImap(ctx.services, { idleTimeoutMs: 1_500, maxLineBytes: 64 * 1024 });
  });
  after(async () => {
    await server.close();
    await ctx.close();
  });

  /** A logged-in raw session of a fresh account with `messages` messages in its INBOX. */
  async function session(messages = 0) {
    const account = await imapAccount(ctx.services);
    for (let i = 1; i <= messages; i++)
      await deliverTo(ctx.services, account.address, { subject: `Message ${i}`, body: `corps numéro ${i}` });
    const { client } = await RawImap.connect(server.port);
    const login = await client.command(`LOGIN ${account.username} ${quoted(IMAP_PASSWORD)}`);
    assert.match(login.tagged, /OK/);
    return { client, account };
  }

  it("greets with its capabilities, and announces before login only what works then", async () => {
    const { client, greeting } = await RawImap.connect(server.port);
    assert.match(greeting, /^\* OK \[CAPABILITY IMAP4rev1 IMAP4rev2 .*AUTH=PLAIN/);
    assert.doesNotMatch(greeting, /STARTTLS|LOGINDISABLED/); // no certificate; loopback may log in
    const caps = await client.command("CAPABILITY");
    assert.match(caps.lines[0] ?? "", /^\* CAPABILITY /);
    assert.match(caps.tagged, /^A1 OK/);
    const early = await client.command("SELECT INBOX");
    assert.match(early.tagged, /^A2 BAD/);
    client.close();
  });

  it("after login: the full list, ENABLE, ID, NAMESPACE, LIST with SPECIAL-USE and STATUS", async () => {
    const { client } = await session(2);
    const caps = await client.command("CAPABILITY");
    for (const c of [
      "IDLE",
      "UIDPLUS",
      "MOVE",
      "SPECIAL-USE",
      "NAMESPACE",
      "ID",
      "ENABLE",
      "LITERAL+",
      "CONDSTORE",
      "QRESYNC",
      "ESEARCH",
      "QUOTA",
      "APPENDLIMIT=",
      "UTF8=ACCEPT",
    ]) {
      assert.ok(caps.lines[0]?.includes(c), `${c} announced`);
    }
    const enable = await client.command("ENABLE CONDSTORE UTF8=ACCEPT");
    assert.equal(enable.lines[0], "* ENABLED CONDSTORE UTF8=ACCEPT");
    const id = await client.command('ID ("name" "test")');
    assert.match(id.lines[0] ?? "", /^\* ID \(/);
    const ns = await client.command("NAMESPACE");
    assert.equal(ns.lines[0], '* NAMESPACE (("" "/")) NIL NIL');
    const list = await client.command('LIST "" "*"');
    // UTF8=ACCEPT is on: the name in UTF-8, quoted (it cannot be an atom).
    assert.ok(list.lines.includes('* LIST (\\HasNoChildren \\Sent) "/" "Envoyés"'));
    assert.ok(list.lines.includes('* LIST (\\HasNoChildren) "/" INBOX'));
    const special = await client.command('LIST (SPECIAL-USE) "" "*"');
    assert.equal(special.lines.length, 4);
    const status = await client.command("STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ SIZE)");
    assert.match(
      status.lines[0] ?? "",
      /^\* STATUS INBOX \(MESSAGES 2 UNSEEN 2 UIDNEXT 3 UIDVALIDITY \d+ HIGHESTMODSEQ \d+ SIZE \d+\)$/,
    );
    client.close();
  });

  it("SELECT, FETCH, STORE with UNCHANGEDSINCE, SEARCH and ESEARCH, COPYUID, MOVE and EXPUNGE numbering", async () => {
    const { client } = await session(5);
    const select = await client.command("SELECT INBOX (CONDSTORE)");
    assert.ok(select.lines.includes("* 5 EXISTS"));
    assert.ok(select.lines.some((l) => /^\* OK \[UIDVALIDITY \d+\]/.test(l)));
    assert.ok(select.lines.includes("* OK [UIDNEXT 6] Predicted next UID"));
    assert.match(select.tagged, /OK \[READ-WRITE\]/);
    const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(select.lines.join(" "))?.[1]);

    const fetch = await client.command("FETCH 1:2 (UID FLAGS RFC822.SIZE)");
    assert.match(fetch.lines[0] ?? "", /^\* 1 FETCH \(UID 1 FLAGS \(\) RFC822\.SIZE \d+ MODSEQ \(\d+\)\)$/);
    const store = await client.command("STORE 2 +FLAGS (\\Seen \\Deleted)");
    assert.match(store.lines[0] ?? "", /^\* 2 FETCH \(FLAGS \(\\Seen \\Deleted\) MODSEQ \(\d+\)\)$/);
    const conditional = await client.command(`UID STORE 1:2 (UNCHANGEDSINCE ${modseq}) +FLAGS (\\Flagged)`);
    assert.match(conditional.tagged, /^A\d+ OK \[MODIFIED 2\]/);

    const search = await client.command("SEARCH DELETED");
    assert.ok(search.lines.includes("* SEARCH 2") || search.lines.some((l) => l.startsWith("* SEARCH 2")));
    const esearch = await client.command("UID SEARCH RETURN (MIN MAX COUNT) ALL");
    assert.match(esearch.lines[0] ?? "", /^\* ESEARCH \(TAG "A\d+"\) UID MIN 1 MAX 5 COUNT 5$/);
    const text = await client.command("UID SEARCH TEXT numéro");
    assert.match(text.tagged, /OK/);
    const body = await client.command('UID SEARCH BODY "numéro" UID 3:4');
    assert.ok(body.lines.some((l) => l === "* SEARCH 3 4"));

    const copy = await client.command("UID COPY 1 Corbeille");
    assert.match(copy.tagged, /OK \[COPYUID \d+ 1 1\]/);
    const move = await client.command("MOVE 3 Corbeille");
    assert.ok(move.lines.some((l) => /^\* OK \[COPYUID \d+ 3 2\]/.test(l)));
    assert.ok(move.lines.includes("* 3 EXPUNGE"));

    // 2 is \Deleted: EXPUNGE removes it, its number is 2; 4 and 5 became 3 and 4.
    const expunge = await client.command("EXPUNGE");
    assert.deepEqual(
      expunge.lines.filter((l) => l.endsWith("EXPUNGE")),
      ["* 2 EXPUNGE"],
    );
    const after = await client.command("FETCH 1:* (UID)");
    assert.deepEqual(after.lines, ["* 1 FETCH (UID 1)", "* 2 FETCH (UID 4)", "* 3 FETCH (UID 5)"]);
    client.close();
  });

  it("APPEND with a literal, LITERAL+ and APPENDUID; GETQUOTAROOT; EXAMINE is read-only", async () => {
    const { client } = await session(0);
    const message = "From: a@example.org\r\nSubject: Brouillon\r\n\r\nTexte\r\n";
    client.write(`A1 APPEND Brouillons (\\Draft) {${Buffer.byteLength(message)}}\r\n`);
    assert.match(await client.line(), /^\+ /);
    client.write(`${message}\r\n`);
    const first = await client.until("A1");
    assert.match(first.tagged, /^A1 OK \[APPENDUID \d+ 1\]/);
    client.write(`A2 APPEND Brouillons {${Buffer.byteLength(message)}+}\r\n${message}\r\n`);
    const second = await client.until("A2");
    assert.match(second.tagged, /^A2 OK \[APPENDUID \d+ 2\]/);
    const quota = await client.command("GETQUOTAROOT INBOX");
    assert.equal(quota.lines[0], '* QUOTAROOT INBOX ""');
    assert.match(quota.lines[1] ?? "", /^\* QUOTA "" \(STORAGE \d+ 1048576\)$/);
    await client.command("EXAMINE Brouillons");
    const store = await client.command("STORE 1 +FLAGS (\\Seen)");
    assert.match(store.tagged, /NO \[READ-ONLY\]/);
    client.close();
  });

  it("BODY[] is the stored message byte for byte; sections, partials and BINARY", async () => {
    const { client, account } = await session(0);
    const id = await deliverTo(ctx.services, account.address, { subject: "Sections", body: "Ligne un\r\nLigne deux" });
    const raw = await ctx.services.mail.raw(account.id, id);
    await client.command("SELECT INBOX");
    client.write("A9 FETCH 1 BODY.PEEK[]\r\n");
    const head = await client.line();
    const size = Number(/\{(\d+)\}$/.exec(head)?.[1]);
    assert.equal(size, raw.length);
    assert.deepEqual(await client.bytes(size), raw);
    await client.until("A9");
    const partial = await client.command("FETCH 1 BODY.PEEK[]<0.4>");
    assert.match(partial.lines[0] ?? "", /BODY\[\]<0> /);
    const header = await client.command("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    assert.match(header.lines[0] ?? "", /BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\}$/);
    assert.equal(header.lines[1], "Subject: Sections");
    client.close();
  });

  it("IDLE: a delivery reaches the idling client; DONE ends it; an IDLE never ended is closed with BYE", async () => {
    const { client, account } = await session(1);
    await client.command("SELECT INBOX");
    client.write("A5 IDLE\r\n");
    assert.match(await client.line(), /^\+ /);
    await deliverTo(ctx.services, account.address, { subject: "Pendant IDLE" });
    assert.equal(await client.line(1_000), "* 2 EXISTS");
    client.write("DONE\r\n");
    assert.match((await client.until("A5")).tagged, /^A5 OK/);
    client.write("A6 IDLE\r\n");
    await client.line();
    assert.match(await client.line(5_000), /^\* BYE /);
  });

  it("bad input: a tagged BAD or NO, or a BYE, never a crash", async () => {
    const { client } = await session(2);
    await client.command("SELECT INBOX");
    assert.match((await client.command("FETCH 0 FLAGS")).tagged, /BAD/);
    assert.match((await client.command("FETCH 4294967296 FLAGS")).tagged, /BAD/);
    assert.match((await client.command("FETCH 1 (NOPE)")).tagged, /BAD/);
    assert.match((await client.command("SELECT &Jjo")).tagged, /BAD|NO/);
    await client.command("ENABLE UTF8=ACCEPT");
    client.write(Buffer.concat([Buffer.from('U1 SELECT "'), Buffer.from([0xc3, 0x28]), Buffer.from('"\r\n')]));
    assert.match((await client.until("U1")).tagged, /^U1 BAD/);
    assert.match((await client.command("SELECT Nulle-part")).tagged, /NO \[NONEXISTENT\]/);
    // A failed SELECT leaves no mailbox selected (RFC 9051 §6.3.2).
    assert.match((await client.command("FETCH 1 FLAGS")).tagged, /BAD/);
    await client.command("SELECT INBOX");
    assert.match((await client.command("STORE 1 +FLAGS (\\Recent)")).tagged, /BAD/);
    assert.match((await client.command("SEARCH CHARSET KOI8-R ALL")).tagged, /NO \[BADCHARSET/);
    assert.match((await client.command(`SEARCH ${"(".repeat(1000)}ALL${")".repeat(1000)}`)).tagged, /BAD/);
    assert.match((await client.command("FROBNICATE")).tagged, /BAD/);
    client.write("A50 APPEND INBOX {999999999}\r\n");
    assert.match((await client.until("A50")).tagged, /^A50 (NO|BAD)/);
    // 1,000 pipelined commands: each answered, in order.
    client.write(Array.from({ length: 1000 }, (_, i) => `P${i} NOOP\r\n`).join(""));
    const last = await client.until("P999");
    assert.match(last.tagged, /^P999 OK/);
    assert.ok(!client.closed);
    // A line past 64 KB: a BYE and the end of the connection.
    client.write(`A60 NOOP ${"x".repeat(70_000)}`);
    const lines: string[] = [];
    for (;;) {
      try {
        lines.push(await client.line(5_000));
      } catch {
        break;
      }
    }
    assert.ok(lines.some((l) => /BAD|BYE/.test(l)));
    // The server is still there for others.
    const again = await RawImap.connect(server.port);
    assert.match(again.greeting, /^\* OK/);
    again.client.close();
  });

  it("SEARCH with sets once numbers and UIDs differ (the cases of imaptest's search-sets)", async () => {
    const { client } = await session(6);
    await client.command("SELECT INBOX");
    await client.command("STORE 2 +FLAGS (\\Deleted)");
    assert.ok((await client.command("EXPUNGE")).lines.includes("* 2 EXPUNGE"));
    const search = async (q: string) => (await client.command(q)).lines.find((l) => l.startsWith("* SEARCH")) ?? "";
    assert.equal(await search("SEARCH ALL"), "* SEARCH 1 2 3 4 5");
    assert.equal(await search("UID SEARCH ALL"), "* SEARCH 1 3 4 5 6");
    assert.equal(await search("SEARCH 1:3,5"), "* SEARCH 1 2 3 5");
    assert.equal(await search("SEARCH 4:2"), "* SEARCH 2 3 4");
    assert.equal(await search("SEARCH UID 1:3,5"), "* SEARCH 1 2 4");
    assert.equal(await search("SEARCH UID 4:2"), "* SEARCH 2 3");
    assert.equal(await search("SEARCH 1:3 NOT UID 3"), "* SEARCH 1 3");
    assert.equal(await search("SEARCH NOT 2,4"), "* SEARCH 1 3 5");
    assert.equal(await search("SEARCH OR 1 UID 3"), "* SEARCH 1 2");
    assert.equal(await search("SEARCH *"), "* SEARCH 5");
    assert.equal(await search("SEARCH UID *"), "* SEARCH 5");
    assert.equal(await search("SEARCH 6:*"), "* SEARCH 5");
    assert.equal(await search("SEARCH *:6"), "* SEARCH 5");
    assert.equal(await search("SEARCH UID 7:*"), "* SEARCH 5");
    assert.equal(await search("SEARCH *:3"), "* SEARCH 3 4 5");
    assert.equal(await search("SEARCH 1,4,*"), "* SEARCH 1 4 5");
    client.close();
  });

  it("SORT by date, arrival, size and subject, REVERSE, over a SEARCH (RFC 5256)", async () => {
    const { client, account } = await session(0);
    const dated = (subject: string, date: string, body = "x") =>
      Buffer.from(
        `From: a@example.org\r\nTo: ${account.address}\r\nSubject: ${subject}\r\nDate: ${date}\r\nMessage-ID: <${Math.random()}@example.org>\r\n\r\n${body}\r\n`,
      );
    for (const [subject, date, body] of [
      ["Re: Bravo", "Wed, 02 Dec 2026 10:00:00 +0000", "court"],
      ["alpha", "Thu, 03 Dec 2026 10:00:00 +0000", "un corps nettement plus long que les autres"],
      ["Charlie", "Tue, 01 Dec 2026 10:00:00 +0000", "moyen corps"],
    ] as const) {
      const raw = dated(subject, date, body);
      const recipient = await ctx.services.mail.checkRecipient(account.address, raw.length);
      await ctx.services.mail.deliver(raw, [recipient]);
    }
    await client.command("SELECT INBOX");
    assert.equal((await client.command("SORT (DATE) UTF-8 ALL")).lines[0], "* SORT 3 1 2");
    assert.equal((await client.command("SORT (REVERSE DATE) UTF-8 ALL")).lines[0], "* SORT 2 1 3");
    assert.equal((await client.command("SORT (ARRIVAL) UTF-8 ALL")).lines[0], "* SORT 1 2 3");
    assert.equal((await client.command("SORT (SUBJECT) UTF-8 ALL")).lines[0], "* SORT 2 1 3");
    assert.equal((await client.command("UID SORT (REVERSE SIZE) UTF-8 UID 1:2")).lines[0], "* SORT 2 1");
    assert.match((await client.command("SORT (COLOUR) UTF-8 ALL")).tagged, /BAD/);
    assert.match((await client.command("SORT (DATE) KOI8-R ALL")).tagged, /NO \[BADCHARSET/);
    client.close();
  });

  it("QRESYNC: a SELECT with what the client knew gets what vanished and what changed since; UID FETCH CHANGEDSINCE VANISHED", async () => {
    const { client, account } = await session(4);
    await client.command("ENABLE QRESYNC");
    const first = await client.command("SELECT INBOX");
    const validity = Number(/UIDVALIDITY (\d+)/.exec(first.lines.join(" "))?.[1]);
    const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(first.lines.join(" "))?.[1]);
    await client.command("STORE 2 +FLAGS (\\Flagged)");
    await client.command("MOVE 3 Corbeille");
    await client.command("UNSELECT");
    // Another session's change while this client was away.
    const folder = await ctx.services.mail.folderByRole(account.id, "inbox");
    const ids = (await ctx.services.mail.list(account.id, folder.id, null)).items.map((m) => m.id);
    await ctx.services.mail.setFlags(account.id, [Math.min(...ids)], { seen: true });
    const again = await client.command(`SELECT INBOX (QRESYNC (${validity} ${modseq} 1:4))`);
    assert.ok(again.lines.includes("* VANISHED (EARLIER) 3"), again.lines.join("|"));
    assert.ok(again.lines.some((l) => /^\* 1 FETCH \(UID 1 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/.test(l)));
    assert.ok(again.lines.some((l) => /^\* 2 FETCH \(UID 2 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$/.test(l)));
    assert.ok(!again.lines.some((l) => /UID 4 /.test(l)));
    const changed = await client.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq} VANISHED)`);
    assert.equal(changed.lines[0], "* VANISHED (EARLIER) 3");
    assert.equal(changed.lines.length, 3);
    // Once the departures log is pruned, the answer is what is absent among what the client knew.
    await ctx.services.mailbox.pruneVanished(-1);
    const pruned = await client.command(`SELECT INBOX (QRESYNC (${validity} ${modseq} 1:4))`);
    assert.ok(pruned.lines.includes("* VANISHED (EARLIER) 3"), pruned.lines.join("|"));
    const prunedAll = await client.command(`SELECT INBOX (QRESYNC (${validity} ${modseq}))`);
    assert.ok(prunedAll.lines.includes("* VANISHED (EARLIER) 3"), prunedAll.lines.join("|"));
    // Wrong UIDVALIDITY: a plain SELECT (the client must resynchronise everything).
    const stale = await client.command(`SELECT INBOX (QRESYNC (1 ${modseq}))`);
    assert.ok(!stale.lines.some((l) => l.includes("VANISHED")));
    client.close();
  });

  it("a client that reads nothing: the server waits for it, it does not buffer the answer", async () => {
    const { client, account } = await session(0);
    const big = Buffer.from(`Subject: gros\r\n\r\n${"0123456789abcdef".repeat(65_536)}\r\n`); // 1 MB
    for (let i = 0; i < 30; i++) {
      const recipient = await ctx.services.mail.checkRecipient(account.address, big.length);
      await ctx.services.mail.deliver(big, [recipient]);
    }
    await client.command("SELECT INBOX");
    global.gc?.();
    const before = process.memoryUsage().arrayBuffers;
    client.socket.pause();
    client.write("B1 FETCH 1:* BODY.PEEK[]\r\n");
    await new Promise((r) => setTimeout(r, 1_500));
    const growth = process.memoryUsage().arrayBuffers - before;
    // 30 MB asked; what the kernel's socket buffers and one page hold is far less.
    assert.ok(growth < 20 * 1024 * 1024, `${Math.round(growth / 1024 / 1024)} MB held`);
    client.close();
  });

  it("an empty mailbox: * is an error for message numbers, an empty answer for UIDs", async () => {
    const { client } = await session(0);
    await client.command("SELECT INBOX");
    assert.match((await client.command("FETCH 1:* FLAGS")).tagged, /BAD/);
    const uid = await client.command("UID FETCH 1:* FLAGS");
    assert.deepEqual(uid.lines, []);
    assert.match(uid.tagged, /OK/);
    client.close();
  });

  it("one session never sees another account's mailbox", async () => {
    const a = await session(1);
    const b = await imapAccount(ctx.services);
    await deliverTo(ctx.services, b.address, { subject: "Secret de B" });
    const list = await a.client.command('LIST "" "*"');
    assert.ok(!list.lines.some((l) => l.includes("Secret")));
    await a.client.command("SELECT INBOX");
    const all = await a.client.command("UID SEARCH SUBJECT secret");
    assert.ok(all.lines.every((l) => l === "* SEARCH"));
    a.client.close();
  });
});
