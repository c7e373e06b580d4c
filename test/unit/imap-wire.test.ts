/**
 * The IMAP wire layer: the command reader (RFC 9051 grammar, literals, LITERAL+, sections, limits,
 * input split anywhere), the response writer, sequence sets and modified UTF-7 mailbox names.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeMailboxName, encodeMailboxName } from "../../src/imap/protocol/mailbox-name.js";
import { CommandReader, type ReaderEvent } from "../../src/imap/protocol/reader.js";
import { formatSet, parseSequenceSet } from "../../src/imap/protocol/sequence-set.js";
import type { ImapCommand, ImapToken } from "../../src/imap/protocol/types.js";
import { serialize } from "../../src/imap/protocol/writer.js";

/** Every event the reader gives for these bytes, pushed in pieces of `step` bytes. */
function read(input: string | Buffer, step = Number.POSITIVE_INFINITY, limits = {}): ReaderEvent[] {
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input, "utf8");
  const reader = new CommandReader(limits);
  const events: ReaderEvent[] = [];
  for (let i = 0; i < bytes.length; i += Math.min(step, bytes.length)) {
    reader.push(bytes.subarray(i, Math.min(bytes.length, i + step)));
    for (let e = reader.next(); e; e = reader.next()) events.push(e);
  }
  return events;
}

function commands(events: readonly ReaderEvent[]): ImapCommand[] {
  return events.flatMap((e) => (e.kind === "command" ? [e.command] : []));
}

/** Tokens as plain values, to compare. */
function plain(tokens: readonly ImapToken[]): unknown[] {
  return tokens.map((t) =>
    t.type === "list"
      ? plain(t.items)
      : t.type === "string"
        ? { s: t.value.toString("utf8"), literal: t.literal }
        : {
            a: t.value,
            ...(t.section ? { section: plain(t.section) } : {}),
            ...(t.partial ? { partial: t.partial } : {}),
          },
  );
}

describe("IMAP command reader", () => {
  it("reads RFC 9051's commands: quoted strings, literals, lists, UID commands, sections and partials", () => {
    const input =
      'a1 LOGIN "jean.dupont" {11}\r\nmot "de" pa\r\n' +
      "a2 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM)]<0.1024> BODY[1.2.MIME])\r\n" +
      "a3 STORE 2:4 +FLAGS.SILENT (\\Seen $Forwarded)\r\na4 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211))\r\n" +
      "a5 APPEND Brouillons (\\Draft) {5+}\r\nHello\r\n";
    for (const step of [Number.POSITIVE_INFINITY, 1, 2, 3, 7]) {
      const events = read(input, step);
      const cmds = commands(events);
      assert.equal(cmds.length, 5, `step ${step}`);
      assert.deepEqual(
        events.filter((e) => e.kind === "continue").length,
        1,
        "the synchronising literal asks for a continuation once",
      );
      const [login, fetch, store, select, append] = cmds;
      assert.equal(login?.name, "LOGIN");
      assert.deepEqual(
        plain(login?.args ?? []),
        [{ a: "jean.dupont" }, { s: 'mot "de" pa', literal: true }].map((v, i) =>
          i === 0 ? { s: "jean.dupont", literal: false } : v,
        ),
      );
      assert.equal(fetch?.name, "UID FETCH");
      assert.deepEqual(plain(fetch?.args ?? []), [
        { a: "1:*" },
        [
          { a: "FLAGS" },
          { a: "BODY.PEEK", section: [{ a: "HEADER.FIELDS" }, [{ a: "DATE" }, { a: "FROM" }]], partial: [0, 1024] },
          { a: "BODY", section: [{ a: "1.2.MIME" }] },
        ],
      ]);
      assert.deepEqual(plain(store?.args ?? []), [
        { a: "2:4" },
        { a: "+FLAGS.SILENT" },
        [{ a: "\\Seen" }, { a: "$Forwarded" }],
      ]);
      assert.deepEqual(plain(select?.args ?? []), [
        { a: "INBOX" },
        [{ a: "QRESYNC" }, [{ a: "67890007" }, { a: "20050715194045000" }, { a: "41,43:211" }]],
      ]);
      assert.deepEqual(plain(append?.args ?? []), [
        { a: "Brouillons" },
        [{ a: "\\Draft" }],
        { s: "Hello", literal: true },
      ]);
    }
  });

  it("1,000 pipelined commands in one chunk: 1,000 commands, in order", () => {
    const input = Array.from({ length: 1000 }, (_, i) => `t${i} NOOP\r\n`).join("");
    const cmds = commands(read(input));
    assert.equal(cmds.length, 1000);
    assert.equal(cmds[999]?.tag, "t999");
  });

  it("a line past the limit is an error as soon as it passes it, before its CRLF arrives", () => {
    const reader = new CommandReader({ maxLineBytes: 65_536 });
    reader.push(Buffer.from(`a1 NOOP ${"x".repeat(65_536)}`));
    const event = reader.next();
    assert.equal(event?.kind, "error");
    assert.equal(event?.kind === "error" && event.fatal, true);
  });

  it("a literal past the limit: a synchronising one is refused and the line goes on; a LITERAL+ one is fatal", () => {
    const sync = read("a1 APPEND INBOX {999999999}\r\na2 NOOP\r\n", Number.POSITIVE_INFINITY, {
      maxAppendLiteralBytes: 1024,
    });
    assert.equal(sync[0]?.kind, "error");
    assert.equal(sync[0]?.kind === "error" && sync[0].fatal, false);
    assert.match(sync[0]?.kind === "error" ? sync[0].text : "", /TOOBIG/);
    assert.equal(commands(sync)[0]?.tag, "a2");
    const nonSync = read("a1 APPEND INBOX {999999999+}\r\nxxxx", Number.POSITIVE_INFINITY, {
      maxAppendLiteralBytes: 1024,
    });
    assert.equal(nonSync[0]?.kind === "error" && nonSync[0].fatal, true);
    const other = read("a1 LOGIN {70000}\r\n", Number.POSITIVE_INFINITY, { maxLiteralBytes: 65_536 });
    assert.equal(other[0]?.kind, "error");
  });

  it("lists nested 1,000 deep, unbalanced parentheses, a bad tag, an empty line: BAD, never a crash", () => {
    const deep = read(`a1 SEARCH ${"(".repeat(1000)}ALL${")".repeat(1000)}\r\n`);
    assert.equal(deep[0]?.kind, "error");
    assert.equal(deep[0]?.kind === "error" && deep[0].tag, "a1");
    for (const line of [
      "a1 FETCH (FLAGS\r\n",
      "a1 FETCH FLAGS)\r\n",
      "+ NOOP\r\n",
      "\r\n",
      'a1 LOGIN "x\r\n',
      "a1 FETCH 1 BODY[HEADER\r\n",
      "a1 FETCH 1 FLAGS[1]\r\n",
    ]) {
      const [event] = read(line);
      assert.equal(event?.kind, "error", line);
      assert.equal(event?.kind === "error" && event.fatal, false, line);
    }
  });

  it("a raw line when asked (IDLE's DONE)", () => {
    const reader = new CommandReader();
    reader.push(Buffer.from("a1 IDLE\r\n"));
    assert.equal(reader.next()?.kind, "command");
    reader.readRawLine();
    reader.push(Buffer.from("DO"));
    assert.equal(reader.next(), null);
    reader.push(Buffer.from("NE\r\na2 NOOP\r\n"));
    const line = reader.next();
    assert.equal(line?.kind === "line" && line.line.toString(), "DONE");
    assert.equal(reader.next()?.kind, "command");
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
    }
    reader.push(Buffer.from("\r\n"));
    const event = reader.next();
    assert.ok(performance.now() - start < 500);
    assert.equal(event?.kind === "command" && (event.command.args[1] as { value: Buffer }).value.length, size);
  });
});

describe("IMAP response writer", () => {
  it("quotes what it can, literals the rest, NIL, numbers, lists and atoms", () => {
    const out = serialize(
      [{ atom: "FLAGS" }, [{ atom: "\\Seen" }], 'a "b" \\c', null, 42, "ligne\r\nsuite", Buffer.from("x")],
      {
        utf8: false,
      },
    );
    assert.equal(out.toString(), '(FLAGS (\\Seen) "a \\"b\\" \\\\c" NIL 42 {12}\r\nligne\r\nsuite {1}\r\nx)');
    assert.equal(serialize("Envoyés", { utf8: true }).toString(), '"Envoyés"');
    assert.equal(serialize("Envoyés", { utf8: false }).toString(), "{8}\r\nEnvoyés");
    assert.equal(serialize({ literal8: Buffer.from([0, 1]) }, { utf8: false }).toString("latin1"), "~{2}\r\n\x00\x01");
    assert.throws(() => serialize(-1, { utf8: false }));
  });
});

describe("sequence sets", () => {
  it("parses, merges and keeps huge ranges cheap", () => {
    const parsed = parseSequenceSet("5,1:3,4,9:*", 12);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.set.ranges(), [
      [1, 5],
      [9, 12],
    ]);
    const huge = parseSequenceSet("1:4294967295", 0);
    assert.ok(huge.ok && huge.set.contains(4_000_000_000));
    assert.equal(parseSequenceSet("0", 10).ok, false);
    assert.equal(parseSequenceSet("4294967296", 10).ok, false);
    assert.equal(parseSequenceSet("1,,2", 10).ok, false);
    // `*` in an empty mailbox matches nothing (the session answers BAD for message numbers).
    const empty = parseSequenceSet("1:*", 0);
    assert.ok(empty.ok);
    assert.deepEqual(empty.set.ranges(), []);
    // `5:*` when the largest is 3 is 3:5 (RFC 9051 §9, seq-range).
    const past = parseSequenceSet("5:*", 3);
    assert.ok(past.ok);
    assert.deepEqual(past.set.ranges(), [[3, 5]]);
    assert.equal(formatSet([5, 1, 2, 3, 9]), "1:3,5,9");
    assert.equal(formatSet([7, 3, 4], false), "7,3:4");
  });
});

describe("modified UTF-7 mailbox names", () => {
  it("encodes and decodes the special folders' names, refuses what is not canonical", () => {
    assert.equal(encodeMailboxName("Envoyés"), "Envoy&AOk-s");
    assert.equal(encodeMailboxName("Indésirables"), "Ind&AOk-sirables");
    assert.deepEqual(decodeMailboxName("Envoy&AOk-s"), { ok: true, value: "Envoyés" });
    assert.deepEqual(decodeMailboxName("&Jjo-!"), { ok: true, value: "☺!" });
    assert.deepEqual(decodeMailboxName("A&-B"), { ok: true, value: "A&B" });
    for (const bad of ["&Jjo", "&AGE-", "caf\u00e9", "&&-", "&!!-"])
      assert.equal(decodeMailboxName(bad).ok, false, bad);
  });
});
