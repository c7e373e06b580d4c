/**
 * The IMAP wire protocol layer (src/imap/protocol/): the command reader on RFC 9051's examples and
 * on input split at every byte, its limits (long lines, big literals, deep lists, pipelining) and
 * back-pressure; the response writer's quoting and literal decisions; sequence sets; modified UTF-7
 * mailbox names and the hierarchy helpers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decodeMailboxName,
  encodeMailboxName,
  isInbox,
  isValidMailboxName,
  isWithinMailbox,
  joinMailboxName,
  MAILBOX_DELIMITER,
  mailboxAncestors,
  normalizeInboxName,
  parentMailboxName,
  splitMailboxName,
} from "../../src/imap/protocol/mailbox-name.js";
import { CommandReader, type ReaderEvent, type ReaderLimits } from "../../src/imap/protocol/reader.js";
import {
  formatRanges,
  formatSet,
  MAX_NUMBER,
  parseSequenceSet,
  SequenceSet,
} from "../../src/imap/protocol/sequence-set.js";
import type { ImapCommand, ImapOut, ImapToken } from "../../src/imap/protocol/types.js";
import { continuation, isQuotable, serialize, tagged, untagged } from "../../src/imap/protocol/writer.js";

// Helpers

/** Every event for these bytes, pushed as the given chunks, `next()` drained after each push. */
function readChunks(chunks: readonly Buffer[], limits: ReaderLimits = {}): ReaderEvent[] {
  const reader = new CommandReader(limits);
  const events: ReaderEvent[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    for (let e = reader.next(); e; e = reader.next()) events.push(e);
  }
  return events;
}

function bytes(input: string | Buffer): Buffer {
  return Buffer.isBuffer(input) ? input : Buffer.from(input, "utf8");
}

/** Every event for these bytes, in one chunk. */
function read(input: string | Buffer, limits: ReaderLimits = {}): ReaderEvent[] {
  return readChunks([bytes(input)], limits);
}

function commands(events: readonly ReaderEvent[]): ImapCommand[] {
  return events.flatMap((e) => (e.kind === "command" ? [e.command] : []));
}

/** The one command these bytes make (a continuation for each synchronising literal is allowed). */
function one(input: string | Buffer, limits: ReaderLimits = {}): ImapCommand {
  const events = read(input, limits);
  const others = events.filter((e) => e.kind !== "command" && e.kind !== "continue");
  assert.deepEqual(others, [], `unexpected events for ${String(input).slice(0, 80)}`);
  const cmds = commands(events);
  assert.equal(cmds.length, 1);
  return cmds[0] as ImapCommand;
}

function errorOf(events: readonly ReaderEvent[]): Extract<ReaderEvent, { kind: "error" }> {
  const e = events.find((x) => x.kind === "error");
  assert.ok(e && e.kind === "error", `expected an error, got ${JSON.stringify(plainEvents(events))}`);
  return e;
}

/** Tokens as plain values to compare: atoms as {a}, strings as {s} (+ literal / binary), lists as arrays. */
type Plain =
  | { a: string; section?: Plain[]; partial?: readonly [number, number] }
  | { s: string; lit?: true; bin?: true }
  | Plain[];
function plain(tokens: readonly ImapToken[]): Plain[] {
  return tokens.map((t): Plain => {
    if (t.type === "list") return plain(t.items);
    if (t.type === "string") {
      return {
        s: t.value.toString("latin1"),
        ...(t.literal ? { lit: true as const } : {}),
        ...(t.binary ? { bin: true as const } : {}),
      };
    }
    return {
      a: t.value,
      ...(t.section ? { section: plain(t.section) } : {}),
      ...(t.partial ? { partial: t.partial } : {}),
    };
  });
}

function plainEvents(events: readonly ReaderEvent[]): unknown[] {
  return events.map((e) => {
    if (e.kind === "command") return { tag: e.command.tag, name: e.command.name, args: plain(e.command.args) };
    if (e.kind === "line") return { line: e.line.toString("latin1") };
    return e;
  });
}

const s = (v: string): Plain => ({ s: Buffer.from(v, "utf8").toString("latin1") });
const lit = (v: string): Plain => ({ s: Buffer.from(v, "utf8").toString("latin1"), lit: true });
const a = (v: string): Plain => ({ a: v });

// The command reader

describe("command reader: RFC 9051 commands", () => {
  it("LOGIN with atoms, quoted strings and synchronising literals (RFC 9051 §6.2.3, §7.5)", () => {
    const atoms = one("a001 LOGIN SMITH SESAME\r\n");
    assert.deepEqual([atoms.tag, atoms.name, plain(atoms.args)], ["a001", "LOGIN", [a("SMITH"), a("SESAME")]]);

    const quoted = one('a002 login "jean.dupont@ac-exemple.fr" "mot \\"de\\" passe \\\\ é"\r\n');
    assert.equal(quoted.name, "LOGIN");
    assert.deepEqual(plain(quoted.args), [s("jean.dupont@ac-exemple.fr"), s('mot "de" passe \\ é')]);

    // The client waits for "+" after each {n}: one continue event per synchronising literal.
    const events = read("A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n");
    assert.deepEqual(
      events.map((e) => e.kind),
      ["continue", "continue", "command"],
    );
    assert.deepEqual(plain(commands(events)[0]?.args ?? []), [lit("FRED FOOBAR"), lit("fat man")]);
  });

  it("a continue event is given before the literal's bytes arrive, and only then", () => {
    const reader = new CommandReader();
    reader.push(Buffer.from("A1 LOGIN {5}\r"));
    assert.equal(reader.next(), null);
    reader.push(Buffer.from("\n"));
    assert.deepEqual(reader.next(), { kind: "continue" });
    assert.equal(reader.next(), null);
    reader.push(Buffer.from("jean."));
    assert.equal(reader.next(), null);
    reader.push(Buffer.from(" {0}\r\n"));
    assert.deepEqual(reader.next(), { kind: "continue" }, "{0} is synchronising too: the client waits");
    assert.equal(reader.next(), null);
    reader.push(Buffer.from("\r\n"));
    const event = reader.next();
    assert.equal(event?.kind, "command");
    assert.deepEqual(plain(event?.kind === "command" ? event.command.args : []), [lit("jean."), lit("")]);
  });

  it("FETCH with sections, lists inside sections and partials (RFC 9051 §6.4.5)", () => {
    const cmd = one(
      "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)] BODY.PEEK[HEADER.FIELDS (DATE FROM)]<0.1024> " +
        "body.peek[] BODY[1.2.MIME] BINARY[1.2] BINARY.PEEK[2]<10.20> BINARY.SIZE[3] BODY[]<0.4294967295> RFC822.SIZE)\r\n",
    );
    assert.equal(cmd.name, "FETCH");
    assert.deepEqual(plain(cmd.args), [
      a("2:4"),
      [
        a("FLAGS"),
        { a: "BODY", section: [a("HEADER.FIELDS"), [a("DATE"), a("FROM")]] },
        { a: "BODY.PEEK", section: [a("HEADER.FIELDS"), [a("DATE"), a("FROM")]], partial: [0, 1024] },
        { a: "body.peek", section: [] },
        { a: "BODY", section: [a("1.2.MIME")] },
        { a: "BINARY", section: [a("1.2")] },
        { a: "BINARY.PEEK", section: [a("2")], partial: [10, 20] },
        { a: "BINARY.SIZE", section: [a("3")] },
        { a: "BODY", section: [], partial: [0, 4_294_967_295] },
        a("RFC822.SIZE"),
      ],
    ]);
    // A header name sent as a literal inside a section.
    const withLiteral = one('a1 FETCH 1 BODY[HEADER.FIELDS.NOT ({4+}\r\nDATE "From")]<5.6>\r\n');
    assert.deepEqual(plain(withLiteral.args), [
      a("1"),
      { a: "BODY", section: [a("HEADER.FIELDS.NOT"), [lit("DATE"), s("From")]], partial: [5, 6] },
    ]);
  });

  it("STORE flags, UID commands and MOVE (RFC 9051 §6.4.6, §6.4.8, §6.4.9)", () => {
    const store = one("A003 STORE 2:4 +FLAGS (\\Seen \\Deleted $Forwarded)\r\n");
    assert.deepEqual(plain(store.args), [a("2:4"), a("+FLAGS"), [a("\\Seen"), a("\\Deleted"), a("$Forwarded")]]);
    const silent = one("A004 STORE 1:*,5 -FLAGS.SILENT \\*\r\n");
    assert.deepEqual(plain(silent.args), [a("1:*,5"), a("-FLAGS.SILENT"), a("\\*")]);
    const move = one("a UID MOVE 42:69 foo\r\n");
    assert.deepEqual([move.tag, move.name, plain(move.args)], ["a", "UID MOVE", [a("42:69"), a("foo")]]);
    const fetch = one("A999 uid fetch 4827313:4828442 FLAGS\r\n");
    assert.equal(fetch.name, "UID FETCH");
    const expunge = one("A202 UID EXPUNGE 3000:3002\r\n");
    assert.equal(expunge.name, "UID EXPUNGE");
    const nil = one("A1 SETMETADATA INBOX (/private/comment NIL)\r\n");
    assert.deepEqual(plain(nil.args), [a("INBOX"), [a("/private/comment"), a("NIL")]]);
  });

  it("SEARCH with nested lists, quoted strings, UTF-8 and literals (RFC 9051 §6.4.4)", () => {
    const ret = one('A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"\r\n');
    assert.deepEqual(plain(ret.args), [
      a("RETURN"),
      [a("MIN"), a("COUNT")],
      a("FLAGGED"),
      a("SINCE"),
      a("1-Feb-1994"),
      a("NOT"),
      a("FROM"),
      s("Smith"),
    ]);
    const nested = read(
      'A285 SEARCH CHARSET UTF-8 OR (FROM "Élodie" (SUBJECT {8}\r\nréunion)) (NOT (SEEN DELETED)) TEXT {3+}\r\n(x)\r\n',
    );
    assert.deepEqual(
      nested.map((e) => e.kind),
      ["continue", "command"],
    );
    assert.deepEqual(plain(commands(nested)[0]?.args ?? []), [
      a("CHARSET"),
      a("UTF-8"),
      a("OR"),
      [a("FROM"), s("Élodie"), [a("SUBJECT"), lit("réunion")]],
      [a("NOT"), [a("SEEN"), a("DELETED")]],
      a("TEXT"),
      lit("(x)"),
    ]);
    // An unquoted UTF-8 atom (some clients send one): decoded as UTF-8.
    assert.deepEqual(plain(one("A1 UID SEARCH TEXT numéro\r\n").args), [a("TEXT"), { a: "numéro" }]);
  });

  it("APPEND with a literal, with LITERAL+ and with literal8 (RFC 9051 §6.3.12, RFC 7888, RFC 3516)", () => {
    const message =
      "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.example>\r\n" +
      "Subject: afternoon meeting\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
    const size = Buffer.byteLength(message);
    const sync = read(`A003 APPEND saved-messages (\\Seen) {${size}}\r\n${message}\r\n`);
    assert.deepEqual(
      sync.map((e) => e.kind),
      ["continue", "command"],
    );
    assert.deepEqual(plain(commands(sync)[0]?.args ?? []), [a("saved-messages"), [a("\\Seen")], lit(message)]);

    const plus = read(`A004 APPEND Brouillons (\\Draft) "05-Jan-2026 10:00:00 +0100" {${size}+}\r\n${message}\r\n`);
    assert.deepEqual(
      plus.map((e) => e.kind),
      ["command"],
      "no continuation for LITERAL+",
    );
    assert.deepEqual(plain(commands(plus)[0]?.args ?? []), [
      a("Brouillons"),
      [a("\\Draft")],
      s("05-Jan-2026 10:00:00 +0100"),
      lit(message),
    ]);

    // Literal bytes are taken exactly: CRLF, NUL, parentheses, braces, 8-bit.
    const binary = Buffer.from([0x00, 0x0d, 0x0a, 0x29, 0x7b, 0x31, 0x7d, 0xff]);
    const appendBinary = one(
      Buffer.concat([Buffer.from("A5 APPEND INBOX (UTF8 ~{8+}\r\n"), binary, Buffer.from(")\r\n")]),
    );
    const list = appendBinary.args[1];
    assert.equal(list?.type, "list");
    const token = list?.type === "list" ? list.items[1] : undefined;
    assert.deepEqual(plain(appendBinary.args)[1], [a("UTF8"), { s: binary.toString("latin1"), lit: true, bin: true }]);
    assert.ok(token?.type === "string" && token.value.equals(binary));

    // MULTIAPPEND: two messages in one command.
    const multi = one("A6 APPEND INBOX {3+}\r\nabc (\\Seen) {2+}\r\nde\r\n");
    assert.deepEqual(plain(multi.args), [a("INBOX"), lit("abc"), [a("\\Seen")], lit("de")]);
  });

  it("SELECT with (CONDSTORE) and (QRESYNC (…)) parameters (RFC 7162)", () => {
    const condstore = one("A142 SELECT INBOX (CONDSTORE)\r\n");
    assert.deepEqual(plain(condstore.args), [a("INBOX"), [a("CONDSTORE")]]);
    const qresync = one("A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n");
    assert.deepEqual(plain(qresync.args), [
      a("INBOX"),
      [a("QRESYNC"), [a("67890007"), a("20050715194045000"), a("41,43:211,214:541")]],
    ]);
    const quoted = one('A03 SELECT "Envoy&AOk-s"\r\n');
    assert.deepEqual(plain(quoted.args), [s("Envoy&AOk-s")]);
    const list = one('A04 LIST "" "%" RETURN (SPECIAL-USE)\r\n');
    assert.deepEqual(plain(list.args), [s(""), s("%"), a("RETURN"), [a("SPECIAL-USE")]]);
    const wildcard = one("A05 LIST INBOX/ *\r\n");
    assert.deepEqual(plain(wildcard.args), [a("INBOX/"), a("*")]);
  });

  it("tags: any ASTRING-CHAR but '+'; a bare LF ends a line; repeated spaces are tolerated", () => {
    for (const tag of ["a", "A001", "]x", "tag.1-_!#$&'", "}"]) assert.equal(one(`${tag} NOOP\r\n`).tag, tag);
    assert.equal(one("a1 NOOP\n").name, "NOOP");
    assert.deepEqual(plain(one("a1  FETCH  1   (FLAGS  UID)  \r\n").args), [a("1"), [a("FLAGS"), a("UID")]]);
    assert.deepEqual(plain(one("a1 X-SESAME-PING arg\r\n").args), [a("arg")]);
    assert.equal(one("a1 X-SESAME-PING arg\r\n").name, "X-SESAME-PING");
  });
});

describe("command reader: errors, never a crash", () => {
  it("syntax errors are a non-fatal BAD with the tag, and the next command is read", () => {
    const cases: [string, string | null][] = [
      ["a1 FETCH (FLAGS\r\n", "a1"],
      ["a1 FETCH FLAGS)\r\n", "a1"],
      ['a1 LOGIN "x\r\n', "a1"],
      ['a1 LOGIN "x\\n"\r\n', "a1"],
      ["a1 FETCH 1 BODY[HEADER\r\n", "a1"],
      ["a1 FETCH 1 (BODY[HEADER)]\r\n", "a1"],
      ["a1 FETCH 1 FLAGS[1]\r\n", "a1"],
      ["a1 SEARCH [URGENT]\r\n", "a1"],
      ["a1 FETCH 1 BODY[1[2]]\r\n", "a1"],
      ["a1 FETCH 1 BODY[BODY[1]]\r\n", "a1"],
      ["a1 FETCH 1 BODY[HEADER.FIELDS (BODY[1])]\r\n", "a1"],
      ["a1 FETCH 1 BODY[HEADER.FIELDS (DATE])\r\n", "a1"],
      ["a1 FETCH 1 BODY[]<4294967296.1>\r\n", "a1"],
      ["a1 FETCH 1 BODY[]<0.4294967296>\r\n", "a1"],
      ["a1 FETCH 1 BODY[]<0.0>\r\n", "a1"],
      ["a1 FETCH 1 BODY[]<5>\r\n", "a1"],
      ["a1 FETCH 1 BODY[]<1.2\r\n", "a1"],
      ["a1 FETCH 1 BODY[]x\r\n", "a1"],
      ['a1 LOGIN "a""b"\r\n', "a1"],
      ["a1 LOGIN abc{3}\r\n", "a1"],
      ["a1 LOGIN {3} x\r\n", "a1"],
      ["a1 LOGIN {x}\r\n", "a1"],
      ["a1 UID\r\n", "a1"],
      ["a1 UID (FETCH)\r\n", "a1"],
      ["a1 (NOOP)\r\n", "a1"],
      ['a1 "NOOP"\r\n', "a1"],
      ["a1 \r\n", "a1"],
      ["a1\r\n", "a1"],
      ["a1 N\u00c9OP\r\n", "a1"],
      ["a1 LOGIN a\tb c\r\n", "a1"],
      ["a1 LOGIN a\rb c\r\n", "a1"],
      ["\r\n", null],
      ["+ NOOP\r\n", null],
      ["* NOOP\r\n", null],
      [" NOOP\r\n", null],
      ["a(1 NOOP\r\n", null],
      ["a{1 NOOP\r\n", null],
      ["a%1 NOOP\r\n", null],
      ['a"1 NOOP\r\n', null],
    ];
    for (const [line, tag] of cases) {
      const events = read(`${line}z9 NOOP\r\n`);
      const error = errorOf(events);
      assert.equal(error.tag, tag, JSON.stringify(line));
      assert.equal(error.fatal, false, JSON.stringify(line));
      assert.ok(error.text.length > 0);
      assert.deepEqual(
        commands(events).map((c) => c.tag),
        ["z9"],
        `the next command is read after ${JSON.stringify(line)}`,
      );
    }
  });

  it("NUL bytes outside literals are refused; inside a literal they are data", () => {
    const events = read(Buffer.from("a1 LOGIN a\u0000b c\r\na2 LOGIN {3+}\r\na\u0000b c\r\n", "latin1"));
    assert.equal(errorOf(events).tag, "a1");
    assert.deepEqual(plain(commands(events)[0]?.args ?? []), [lit("a\u0000b"), a("c")]);
    assert.equal(errorOf(read(Buffer.from('a1 LOGIN "a\u0000b" c\r\n', "latin1"))).fatal, false);
  });

  it("invalid UTF-8 in an atom is refused (never replaced by U+FFFD)", () => {
    const error = errorOf(read(Buffer.from([...Buffer.from("a1 SEARCH TEXT num"), 0xe9, 0x72, 0x6f, 0x0d, 0x0a])));
    assert.equal(error.tag, "a1");
    // Quoted strings keep their bytes as sent: the session judges them.
    const cmd = one(Buffer.from([...Buffer.from('a1 SELECT "'), 0xc3, 0x28, ...Buffer.from('"\r\n')]));
    assert.deepEqual(cmd.args[0]?.type === "string" && [...cmd.args[0].value], [0xc3, 0x28]);
  });

  it("a refused command's LITERAL+ bytes are skipped, never read as commands", () => {
    // The unterminated quote makes a1 invalid; its 11-byte literal must not become a LOGOUT.
    const events = read('a1 LOGIN "x {11+}\r\na2 LOGOUT\r\n\r\na3 NOOP\r\n');
    assert.deepEqual(plainEvents(events), [
      { kind: "error", tag: "a1", text: "Unterminated quoted string", fatal: false },
      { tag: "a3", name: "NOOP", args: [] },
    ]);
    // Several literals in the refused command, split byte by byte.
    const input = Buffer.from("a1 FETCH [ {5+}\r\nAAAAA {3+}\r\nBBB x\r\na2 NOOP\r\n");
    const split = readChunks([...input].map((b) => Buffer.from([b])));
    assert.deepEqual(
      plainEvents(split).map((e) => (e as { tag?: string }).tag),
      ["a1", "a2"],
    );
    // A synchronising literal in a refused command: the client gets BAD and sends nothing more.
    const sync = read("a1 FETCH [ {5}\r\na2 NOOP\r\n");
    assert.deepEqual(
      plainEvents(sync).map((e) => (e as { tag?: string }).tag),
      ["a1", "a2"],
    );
  });

  it("lists nested 1,000 deep: a BAD 'too deeply nested', no stack overflow; 32 deep is fine", () => {
    const deep = read(`a1 SEARCH ${"(".repeat(1000)}ALL${")".repeat(1000)}\r\na2 NOOP\r\n`);
    const error = errorOf(deep);
    assert.deepEqual([error.tag, error.fatal], ["a1", false]);
    assert.match(error.text, /too deeply nested/i);
    assert.equal(commands(deep)[0]?.tag, "a2");
    const fine = one(`a1 SEARCH ${"(".repeat(32)}ALL${")".repeat(32)}\r\n`);
    let token = fine.args[0];
    let depth = 0;
    while (token?.type === "list") {
      depth++;
      token = token.items[0];
    }
    assert.equal(depth, 32);
    assert.match(errorOf(read(`a1 SEARCH ${"(".repeat(33)}ALL${")".repeat(33)}\r\n`)).text, /deeply/);
    assert.match(errorOf(read(`a1 X ${"(".repeat(4)}\r\n`, { maxDepth: 3 })).text, /deeply/);
    // 100,000 parentheses (a 100 KB line in a larger limit): still an error event.
    const huge = read(`a1 SEARCH ${"(".repeat(100_000)}\r\n`, { maxLineBytes: 1 << 20 });
    assert.equal(errorOf(huge).fatal, false);
  });
});

describe("command reader: limits and back-pressure", () => {
  it("a line of 64 KB + 1 without CRLF is a fatal error before its CRLF arrives", () => {
    const reader = new CommandReader({ maxLineBytes: 65_536 });
    const line = `a1 NOOP ${"x".repeat(65_536 - 8)}`;
    assert.equal(line.length, 65_536);
    reader.push(Buffer.from(line));
    assert.equal(reader.next(), null, "exactly the limit: still waiting");
    reader.push(Buffer.from("\r"));
    assert.equal(reader.next(), null, "a CR may start the CRLF");
    reader.push(Buffer.from("\n"));
    assert.equal(reader.next()?.kind, "command", "exactly 64 KB is accepted");

    const over = new CommandReader({ maxLineBytes: 65_536 });
    for (let sent = 0; sent < 65_536; sent += 4096) {
      over.push(Buffer.from(sent === 0 ? `a2 NOOP ${"y".repeat(4088)}` : "y".repeat(4096)));
      assert.equal(over.next(), null);
    }
    over.push(Buffer.from("y"));
    assert.deepEqual(over.next(), { kind: "error", tag: "a2", text: "Line too long", fatal: true });
    // After a fatal error nothing more is read.
    over.push(Buffer.from("\r\na3 NOOP\r\n"));
    assert.equal(over.next(), null);
  });

  it("the line limit counts the whole command's text, across its literals", () => {
    const limits = { maxLineBytes: 100 };
    const ok = read(`a1 LOGIN {3+}\r\nabc ${"x".repeat(80)}\r\n`, limits);
    assert.equal(commands(ok).length, 1);
    const tooLong = read(`a1 LOGIN {3+}\r\nabc ${"x".repeat(90)}\r\n`, limits);
    assert.deepEqual(tooLong, [{ kind: "error", tag: "a1", text: "Line too long", fatal: true }]);
  });

  it("{999999999}: a non-fatal BAD for a synchronising literal, fatal for {999999999+}", () => {
    const limits = { maxLiteralBytes: 65_536, maxAppendLiteralBytes: 50 * 1024 * 1024 };
    const sync = read("a1 APPEND INBOX {999999999}\r\na2 NOOP\r\n", limits);
    assert.deepEqual(plainEvents(sync), [
      { kind: "error", tag: "a1", text: "[TOOBIG] Message too large", fatal: false },
      { tag: "a2", name: "NOOP", args: [] },
    ]);
    const login = read("a1 LOGIN {999999999}\r\na2 NOOP\r\n", limits);
    assert.equal(errorOf(login).fatal, false);
    assert.equal(commands(login)[0]?.tag, "a2");
    const huge = read("a1 LOGIN {99999999999999999999999}\r\na2 NOOP\r\n", limits);
    assert.equal(errorOf(huge).fatal, false);

    const plus = read("a1 APPEND INBOX {999999999+}\r\nxxxx\r\na2 NOOP\r\n", limits);
    assert.deepEqual(plus, [{ kind: "error", tag: "a1", text: "[TOOBIG] Message too large", fatal: true }]);
    assert.equal(errorOf(read("a1 LOGIN {70000+}\r\n", limits)).fatal, true);
  });

  it("a literal at the limit is accepted, one byte more is not; APPEND has its own limit", () => {
    const limits = { maxLiteralBytes: 10, maxAppendLiteralBytes: 20 };
    assert.equal(one(`a1 LOGIN {10+}\r\n${"x".repeat(10)} y\r\n`, limits).name, "LOGIN");
    assert.equal(errorOf(read("a1 LOGIN {11}\r\n", limits)).text, "[TOOBIG] Literal too large");
    assert.equal(one(`a1 APPEND INBOX {20+}\r\n${"x".repeat(20)}\r\n`, limits).name, "APPEND");
    assert.equal(errorOf(read("a1 APPEND INBOX {21}\r\n", limits)).text, "[TOOBIG] Message too large");
    assert.equal(errorOf(read("a1 UID FETCH 1 (FLAGS {11}\r\n", limits)).text, "[TOOBIG] Literal too large");
  });

  it("a command's literals together are bounded (many small LITERAL+ literals)", () => {
    const limits = { maxLiteralBytes: 1000, maxCommandBytes: 5000 };
    const piece = `{1000+}\r\n${"x".repeat(1000)} `;
    const events = read(`a1 X ${piece.repeat(10)}\r\n`, limits);
    const error = errorOf(events);
    assert.deepEqual([error.tag, error.fatal], ["a1", true]);
  });

  it("1,000 pipelined commands in one chunk: 1,000 command events, in order, one at a time", () => {
    const input = Array.from({ length: 1000 }, (_, i) => `t${i} NOOP\r\n`).join("");
    const reader = new CommandReader();
    reader.push(Buffer.from(input));
    const first = reader.next();
    assert.equal(first?.kind === "command" && first.command.tag, "t0");
    // Back-pressure: what follows the first command is still unread, not parsed ahead.
    assert.equal(reader.buffered, Buffer.byteLength(input) - "t0 NOOP\r\n".length);
    const tags = ["t0"];
    for (let e = reader.next(); e; e = reader.next()) tags.push(e.kind === "command" ? e.command.tag : e.kind);
    assert.deepEqual(
      tags,
      Array.from({ length: 1000 }, (_, i) => `t${i}`),
    );
    assert.equal(reader.buffered, 0);
  });

  it("a raw line when asked (IDLE's DONE, an AUTHENTICATE response), bounded by maxLineBytes", () => {
    const reader = new CommandReader({ maxLineBytes: 100 });
    reader.push(Buffer.from("a1 IDLE\r\nDO"));
    assert.equal(reader.next()?.kind, "command");
    reader.readRawLine();
    assert.equal(reader.next(), null);
    reader.push(Buffer.from("NE\r\na2 AUTHENTICATE PLAIN\r\n"));
    const done = reader.next();
    assert.equal(done?.kind === "line" && done.line.toString(), "DONE");
    const auth = reader.next();
    assert.equal(auth?.kind === "command" && auth.command.name, "AUTHENTICATE");
    reader.readRawLine();
    // A raw line is not parsed: quotes, parentheses and braces are bytes.
    reader.push(Buffer.from('AGpl("{5}\r\n'));
    const response = reader.next();
    assert.equal(response?.kind === "line" && response.line.toString(), 'AGpl("{5}');
    reader.readRawLine();
    reader.push(Buffer.from("z".repeat(101)));
    assert.deepEqual(reader.next(), { kind: "error", tag: null, text: "Line too long", fatal: true });
  });

  it("a 5 MB literal arriving in 64 KB chunks costs its size, not its square", () => {
    const reader = new CommandReader({ maxAppendLiteralBytes: 10 * 1024 * 1024 });
    const size = 5 * 1024 * 1024;
    reader.push(Buffer.from(`a1 APPEND INBOX {${size}+}\r\n`));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const start = performance.now();
    for (let sent = 0; sent < size; sent += chunk.length) {
      reader.push(chunk);
      assert.equal(reader.next(), null);
      assert.equal(reader.buffered, 0, "literal bytes are taken as they come");
    }
    reader.push(Buffer.from("\r\n"));
    const event = reader.next();
    assert.ok(performance.now() - start < 1000);
    const literal = event?.kind === "command" ? event.command.args[1] : undefined;
    assert.equal(literal?.type === "string" && literal.value.length, size);
  });

  it("a 60 KB line arriving one byte at a time costs its size, not its square", () => {
    const line = Buffer.from(`a1 SEARCH TEXT ${"x".repeat(60_000)}\r\n`);
    const reader = new CommandReader();
    const start = performance.now();
    let event: ReaderEvent | null = null;
    for (let i = 0; i < line.length; i++) {
      reader.push(line.subarray(i, i + 1));
      event = reader.next();
    }
    assert.ok(performance.now() - start < 1000);
    assert.equal(event?.kind, "command");
  });

  it("10,000 pipelined UID FETCH commands parse quickly", () => {
    const input = Buffer.from(
      Array.from(
        { length: 10_000 },
        (_, i) => `f${i} UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (DATE)]<0.100>)\r\n`,
      ).join(""),
    );
    const start = performance.now();
    const cmds = commands(read(input));
    assert.equal(cmds.length, 10_000);
    assert.ok(performance.now() - start < 2000);
  });
});

describe("command reader: the result does not depend on how the bytes arrive", () => {
  const inputs = [
    'a001 LOGIN "jean.dupont" {11}\r\nmot "de" pa\r\n',
    "a2 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM)]<0.1024> BODY[1.2.MIME])\r\n",
    "a3 STORE 2:4 +FLAGS (\\Seen)\r\na4 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211))\r\n",
    "a5 APPEND Brouillons (\\Draft) {7+}\r\nHé\r\nlo\r\na6 NOOP\n",
    'a7 SEARCH OR (FROM "a\\"b" (SUBJECT {3}\r\nx\r\ny)) (NOT SEEN)\r\nbad ( line\r\na8 FETCH 1 BINARY[1]\r\n',
    'a9 LOGIN "x {5+}\r\n12345\r\na10 NOOP\r\n',
  ];
  for (const input of inputs) {
    it(`split at every byte position: ${JSON.stringify(input.slice(0, 40))}…`, () => {
      const whole = bytes(input);
      const expected = plainEvents(read(whole));
      assert.ok(expected.length > 0);
      for (let i = 1; i < whole.length; i++) {
        const got = plainEvents(readChunks([whole.subarray(0, i), whole.subarray(i)]));
        assert.deepEqual(got, expected, `split at ${i}`);
      }
      for (let i = 1; i < whole.length - 1; i += 3) {
        const j = Math.min(whole.length - 1, i + 7);
        const got = plainEvents(readChunks([whole.subarray(0, i), whole.subarray(i, j), whole.subarray(j)]));
        assert.deepEqual(got, expected, `split at ${i} and ${j}`);
      }
      const byByte = plainEvents(readChunks([...whole].map((b) => Buffer.from([b]))));
      assert.deepEqual(byByte, expected, "one byte at a time");
    });
  }
});

// The response writer

describe("response writer", () => {
  const ascii = { utf8: false };
  const utf8 = { utf8: true };
  const text = (v: ImapOut, opts = ascii) => serialize(v, opts).toString("utf8");

  it('quotes printable strings, escaping \\ and ", and writes the rest as literals', () => {
    assert.equal(text("INBOX"), '"INBOX"');
    assert.equal(text(""), '""');
    assert.equal(text('a "b" \\c'), '"a \\"b\\" \\\\c"');
    assert.equal(text("ligne\r\nsuite"), "{12}\r\nligne\r\nsuite");
    assert.equal(text("a\nb"), "{3}\r\na\nb");
    assert.equal(text("tab\there"), "{8}\r\ntab\there");
    assert.equal(text("nul\u0000"), "{4}\r\nnul\u0000");
    // 8-bit text: quoted once UTF8=ACCEPT is on, a literal (of its UTF-8 bytes) before.
    assert.equal(text("Envoyés", utf8), '"Envoyés"');
    assert.equal(text("Envoyés", ascii), "{8}\r\nEnvoyés");
    assert.equal(text("\u0085", utf8), "{2}\r\n\u0085", "a C1 control is not quoted");
    // 1,000 bytes quoted, 1,001 a literal; counted in bytes, not characters.
    assert.equal(text("x".repeat(1000)), `"${"x".repeat(1000)}"`);
    assert.equal(text("x".repeat(1001)), `{1001}\r\n${"x".repeat(1001)}`);
    assert.equal(text("é".repeat(500), utf8), `"${"é".repeat(500)}"`);
    assert.equal(text("é".repeat(501), utf8), `{1002}\r\n${"é".repeat(501)}`);
    assert.equal(isQuotable("abc", ascii), true);
    assert.equal(isQuotable("é", ascii), false);
  });

  it("Buffers are always literals, literal8 is ~{n}, null is NIL, numbers, lists, atoms, adjacent", () => {
    assert.equal(text(Buffer.from("abc")), "{3}\r\nabc");
    assert.equal(text(Buffer.alloc(0)), "{0}\r\n");
    assert.deepEqual(
      serialize({ literal8: Buffer.from([0, 1, 0xff]) }, ascii),
      Buffer.from([...Buffer.from("~{3}\r\n"), 0, 1, 0xff]),
    );
    assert.equal(text(null), "NIL");
    assert.equal(text(0), "0");
    assert.equal(text(4_294_967_295), "4294967295");
    assert.equal(text(9_223_372_036_854_775_807n), "9223372036854775807");
    assert.equal(text([]), "()");
    assert.equal(
      text([{ atom: "FLAGS" }, [{ atom: "\\Seen" }, { atom: "$Forwarded" }], { atom: "UID" }, 42, null, [[], ["x"]]]),
      '(FLAGS (\\Seen $Forwarded) UID 42 NIL (() ("x")))',
    );
    assert.equal(text({ atom: "BODY[HEADER.FIELDS (DATE)]" }), "BODY[HEADER.FIELDS (DATE)]");
    assert.equal(text([{ adjacent: [["a"], ["b"]] }, "MIXED"]), '(("a")("b") "MIXED")');
    const mixed = serialize([1, Buffer.from("é"), "z"], utf8);
    assert.deepEqual(mixed, Buffer.concat([Buffer.from("(1 {2}\r\n"), Buffer.from("é"), Buffer.from(' "z")')]));
  });

  it("negative, fractional and unsafe numbers, atoms with CRLF and non-values are programming errors", () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -1n]) {
      assert.throws(() => serialize(bad, ascii), RangeError, String(bad));
    }
    assert.throws(() => serialize({ atom: "OK\r\n* BYE" }, ascii), TypeError);
    assert.throws(() => serialize({ atom: "" }, ascii), TypeError);
    assert.throws(() => serialize(undefined as unknown as ImapOut, ascii), TypeError);
    assert.throws(() => serialize(true as unknown as ImapOut, ascii), TypeError);
  });

  it("lists nested 100,000 deep are written without a stack overflow", () => {
    let value: ImapOut = "x";
    for (let i = 0; i < 100_000; i++) value = [value];
    const out = serialize(value, ascii);
    assert.equal(out.length, 100_000 * 2 + 3);
  });

  it("untagged, tagged and continuation responses end with CRLF; texts stay on one line", () => {
    assert.equal(
      untagged([5, { atom: "FETCH" }, [{ atom: "UID" }, 12, { atom: "FLAGS" }, [{ atom: "\\Seen" }]]]).toString(),
      "* 5 FETCH (UID 12 FLAGS (\\Seen))\r\n",
    );
    assert.equal(untagged([{ atom: "LIST" }, [], "/", "Envoyés"], utf8).toString(), '* LIST () "/" "Envoyés"\r\n');
    assert.equal(untagged([{ atom: "LIST" }, [], "/", "Envoyés"]).toString(), '* LIST () "/" {8}\r\nEnvoyés\r\n');
    assert.equal(untagged("OK [UIDNEXT 6] Predicted next UID").toString(), "* OK [UIDNEXT 6] Predicted next UID\r\n");
    assert.equal(tagged("a1", "OK", "Logged in").toString(), "a1 OK Logged in\r\n");
    assert.equal(
      tagged("a2", "NO", "Mailbox doesn't exist", "NONEXISTENT").toString(),
      "a2 NO [NONEXISTENT] Mailbox doesn't exist\r\n",
    );
    assert.equal(tagged("a3", "BAD", "x\r\na4 OK injected").toString(), "a3 BAD x a4 OK injected\r\n");
    assert.equal(tagged("a4", "OK", "").toString(), "a4 OK OK\r\n");
    assert.equal(continuation("Ready for literal data").toString(), "+ Ready for literal data\r\n");
    assert.equal(continuation().toString(), "+ \r\n");
  });

  it("what the writer writes, the reader reads back byte for byte", () => {
    const values = ["simple", 'q"u\\o', "é à ç", "x".repeat(1001), "a\r\nb", "", "\u0001", "😀"];
    for (const opts of [ascii, utf8]) {
      const wire = Buffer.concat([
        Buffer.from("a1 X "),
        ...values.flatMap((v, i) => (i === 0 ? [serialize(v, opts)] : [Buffer.from(" "), serialize(v, opts)])),
        Buffer.from("\r\n"),
      ]);
      const cmd = one(wire);
      assert.deepEqual(
        cmd.args.map((t) => (t.type === "string" ? t.value.toString("utf8") : null)),
        values,
      );
    }
  });

  it("100,000 FETCH responses (UID FLAGS) are written quickly", () => {
    const start = performance.now();
    let total = 0;
    for (let i = 1; i <= 100_000; i++) {
      total += untagged([
        i,
        { atom: "FETCH" },
        [
          { atom: "UID" },
          i,
          { atom: "FLAGS" },
          i % 2 ? [{ atom: "\\Seen" }] : [{ atom: "\\Seen" }, { atom: "\\Flagged" }],
        ],
      ]).length;
    }
    assert.ok(total > 3_000_000);
    assert.ok(performance.now() - start < 3000, `took ${performance.now() - start} ms`);
  });
});

// Sequence sets

describe("sequence sets", () => {
  it("parses, sorts and merges ranges; a reversed range is the same range", () => {
    const parsed = parseSequenceSet("5,1:3,4,9:*,12,2", 12);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.set.ranges(), [
      [1, 5],
      [9, 12],
    ]);
    assert.equal(parsed.set.toString(), "1:5,9:12");
    assert.equal(parsed.set.count(), 9);
    assert.deepEqual([parsed.set.min(), parsed.set.max()], [1, 12]);
    const reversed = parseSequenceSet("7:3", 10);
    assert.ok(reversed.ok);
    assert.deepEqual(reversed.set.ranges(), [[3, 7]]);
    for (const [n, inside] of [
      [0, false],
      [1, true],
      [5, true],
      [6, false],
      [8, false],
      [9, true],
      [12, true],
      [13, false],
    ] as const) {
      assert.equal(parsed.set.contains(n), inside, String(n));
    }
  });

  it("`*` is the largest number; `5:*` past it is `3:5`; UID `559:*` holds the last UID (RFC 9051 §6.4.9)", () => {
    const past = parseSequenceSet("5:*", 3, "seq");
    assert.ok(past.ok);
    assert.deepEqual(past.set.ranges(), [[3, 5]]);
    const uid = parseSequenceSet("559:*", 100, "uid");
    assert.ok(uid.ok && uid.set.contains(100) && !uid.set.contains(99));
    const star = parseSequenceSet("*", 42, "seq");
    assert.ok(star.ok);
    assert.deepEqual(star.set.ranges(), [[42, 42]]);
  });

  it("`*` on an empty mailbox: an error for message numbers, no match for UIDs", () => {
    const seq = parseSequenceSet("1:*", 0, "seq");
    assert.equal(seq.ok, false);
    assert.match(seq.ok ? "" : seq.error, /invalid sequence set/i);
    assert.equal(parseSequenceSet("*", 0, "seq").ok, false);
    const uid = parseSequenceSet("1:*", 0, "uid");
    assert.ok(uid.ok);
    assert.equal(uid.set.isEmpty, true);
    const mixed = parseSequenceSet("3,*", 0);
    assert.ok(mixed.ok);
    assert.deepEqual(mixed.set.ranges(), [[3, 3]]);
    assert.equal(parseSequenceSet("1:2", 0, "seq").ok, true, "without * the session judges the numbers");
  });

  it("rejects 0, numbers past 2^32-1 and bad syntax with a clear text", () => {
    for (const bad of [
      "0",
      "0:5",
      "5:0",
      "4294967296",
      "1:4294967296",
      "99999999999",
      "",
      "1,,2",
      ",1",
      "1,",
      "1:",
      ":1",
      "1::2",
      "a",
      "1 2",
      "-1",
      "1:2:3",
      "$",
      "**",
      "1.5",
    ]) {
      const parsed = parseSequenceSet(bad, 10);
      assert.equal(parsed.ok, false, JSON.stringify(bad));
      assert.match(parsed.ok ? "" : parsed.error, /^Invalid sequence set/, JSON.stringify(bad));
    }
    assert.ok(parseSequenceSet("4294967295", 10).ok);
    assert.ok(parseSequenceSet("0001", 10).ok, "leading zeros are digits of a non-zero number");
  });

  it("huge ranges are cheap: never expanded", () => {
    const start = performance.now();
    const huge = parseSequenceSet("1:4294967295", 0);
    assert.ok(huge.ok);
    assert.ok(huge.set.contains(4_000_000_000) && huge.set.contains(MAX_NUMBER) && !huge.set.contains(0));
    assert.equal(huge.set.count(), MAX_NUMBER);
    const many = parseSequenceSet(
      Array.from({ length: 5000 }, (_, i) => `${i * 800_000 + 1}:${i * 800_000 + 400_000}`).join(","),
      0,
    );
    assert.ok(many.ok);
    assert.equal(many.set.ranges().length, 5000);
    assert.equal(many.set.count(), 5000 * 400_000);
    assert.ok(many.set.contains(2_400_000_001) && many.set.contains(2_400_400_000));
    assert.ok(!many.set.contains(2_400_400_001) && !many.set.contains(2_400_799_999));
    assert.ok(performance.now() - start < 200);
  });

  it("sets of numbers written compactly for COPYUID, APPENDUID and VANISHED", () => {
    assert.equal(formatSet([5, 1, 2, 3, 9]), "1:3,5,9");
    assert.equal(formatSet([3, 3, 1, 2, 2]), "1:3", "duplicates once");
    assert.equal(formatSet([]), "");
    assert.equal(formatSet([42]), "42");
    assert.equal(formatSet([7, 3, 4], false), "7,3:4", "COPYUID keeps the pairing order");
    assert.equal(formatSet([4_294_967_294, 4_294_967_295, 1]), "1,4294967294:4294967295");
    assert.equal(
      formatRanges([
        [1, 3],
        [5, 5],
      ]),
      "1:3,5",
    );
    assert.equal(SequenceSet.fromNumbers([9, 1, 2, 3, 10]).toString(), "1:3,9:10");
    assert.equal(
      SequenceSet.fromRanges([
        [10, 5],
        [1, 4],
        [20, 30],
      ]).toString(),
      "1:10,20:30",
    );
    assert.throws(() => SequenceSet.fromNumbers([0]), RangeError);
    assert.equal(SequenceSet.EMPTY.toString(), "");
    // 100,000 UIDs with gaps: formatted quickly.
    const uids = Array.from({ length: 100_000 }, (_, i) => i * 2 + 1);
    const start = performance.now();
    assert.equal(formatSet(uids).split(",").length, 100_000);
    assert.ok(performance.now() - start < 500);
  });
});

// Mailbox names

describe("mailbox names: modified UTF-7 and the hierarchy", () => {
  it("encodes and decodes the académie's folder names (RFC 3501 §5.1.3)", () => {
    const pairs: [string, string][] = [
      ["Brouillons", "Brouillons"],
      ["Envoyés", "Envoy&AOk-s"],
      ["Indésirables", "Ind&AOk-sirables"],
      ["Corbeille", "Corbeille"],
      ["☺!", "&Jjo-!"],
      ["A&B", "A&-B"],
      ["Projets/Année 2026", "Projets/Ann&AOk-e 2026"],
      ["日本語", "&ZeVnLIqe-"],
      ["😀", "&2D3eAA-"],
      ["~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"],
    ];
    for (const [name, wire] of pairs) {
      assert.equal(encodeMailboxName(name), wire, name);
      assert.deepEqual(decodeMailboxName(wire), { ok: true, value: name }, wire);
    }
  });

  it("refuses what is not canonical modified UTF-7, without throwing", () => {
    for (const bad of [
      "&Jjo", // & not closed
      "&Jjo!", // & not closed
      "&AGE-", // "a" encoded: printable ASCII must stand for itself
      "&ACY-", // "&" encoded: it is written &-
      "&&-", // & inside a shift
      "&!!-", // not base64
      "&AOk-&AOk-", // two shifts side by side: one shift
      "&AO-", // an odd number of bytes
      "&AOl-s", // non-zero padding bits
      "&2D3-", // a lone (high) surrogate
      "&3gA-", // a lone (low) surrogate
      "Envoy\u00e9s", // 8-bit
      "a\tb", // a control character
      "&Jjo=-", // base64 padding
      "&Jj/-", // "/" instead of ","
      "&-&", // a final & not closed
    ]) {
      assert.deepEqual(decodeMailboxName(bad), { ok: false }, bad);
    }
  });

  it("INBOX is case-insensitive, alone or as the first level", () => {
    assert.equal(normalizeInboxName("inbox"), "INBOX");
    assert.equal(normalizeInboxName("InBoX"), "INBOX");
    assert.equal(normalizeInboxName("inbox/Projets"), "INBOX/Projets");
    assert.equal(normalizeInboxName("inboxes"), "inboxes");
    assert.equal(normalizeInboxName("Projets/inbox"), "Projets/inbox");
    assert.equal(normalizeInboxName("Envoyés"), "Envoyés");
    assert.equal(isInbox("Inbox"), true);
    assert.equal(isInbox("INBOX/x"), false);
  });

  it("hierarchy helpers with the '/' delimiter", () => {
    assert.equal(MAILBOX_DELIMITER, "/");
    assert.deepEqual(splitMailboxName("Projets/2026/Juin"), ["Projets", "2026", "Juin"]);
    assert.equal(joinMailboxName(["Projets", "2026"]), "Projets/2026");
    assert.equal(parentMailboxName("Projets/2026/Juin"), "Projets/2026");
    assert.equal(parentMailboxName("Projets"), null);
    assert.deepEqual(mailboxAncestors("a/b/c"), ["a", "a/b"]);
    assert.deepEqual(mailboxAncestors("a"), []);
    assert.equal(isWithinMailbox("Projets/2026", "Projets"), true);
    assert.equal(isWithinMailbox("Projets", "Projets"), true);
    assert.equal(isWithinMailbox("Projets2026", "Projets"), false);
    for (const good of ["INBOX", "Projets/Année 2026", "a"]) assert.equal(isValidMailboxName(good), true, good);
    for (const bad of ["", "/a", "a/", "a//b", "a\u0000b", "a*", "50%", "x\u0085"]) {
      assert.equal(isValidMailboxName(bad), false, JSON.stringify(bad));
    }
  });
});
