import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inflateSync } from "node:zlib";
import { simpleParser } from "mailparser";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import {
  DEMO_MAIL_COUNT,
  DEMO_MAIL_WINDOW_DAYS,
  type DemoAttachment,
  type DemoMail,
  type DemoPerson,
  demoMessages,
} from "../../src/demo/demo-mail.js";

const DOMAIN = "ac-lyon.fr";
const NOW = new Date("2025-11-20T10:17:33.456Z");
const PEOPLE: readonly DemoPerson[] = [
  { name: "Claire Martin", address: "claire.martin@ac-lyon.fr" },
  { name: "Julien Bernard", address: "julien.bernard@ac-lyon.fr" },
  { name: "Sophie Petit", address: "sophie.petit@ac-lyon.fr" },
  { name: "Karim Benali", address: "karim.benali@ac-lyon.fr" },
];

// One generation shared by the read-only checks: it is the slow part.
const MAILS = demoMessages(PEOPLE, { now: NOW, mailDomain: DOMAIN });

const allAttachments = (mails: readonly DemoMail[]): DemoAttachment[] => mails.flatMap((m) => m.attachments ?? []);
const domainOf = (address: string): string => address.split("@")[1] ?? "";
const kindOf = (a: DemoAttachment): string => a.contentType.split(";")[0]?.trim() ?? "";

function find(predicate: (m: DemoMail) => boolean, what: string): DemoMail {
  const mail = MAILS.find(predicate);
  assert.ok(mail, `no ${what} among the demo messages`);
  return mail;
}

function withAttachment(kind: string): DemoMail {
  return find((m) => (m.attachments ?? []).some((a) => kindOf(a) === kind && !a.cid), `message with a ${kind}`);
}

async function compose(mail: DemoMail): Promise<Buffer> {
  const composer = new MailComposer({
    from: mail.from,
    to: [...mail.to],
    cc: mail.cc ? [...mail.cc] : undefined,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    date: mail.date,
    messageId: mail.messageId,
    inReplyTo: mail.inReplyTo,
    references: mail.references ? [...mail.references] : undefined,
    attachments: (mail.attachments ?? []).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content,
      ...(a.cid ? { cid: a.cid } : {}),
    })),
  });
  return composer.compile().build();
}

/** Checks a PNG's chunk CRCs and inflates its image data. */
function assertValidPng(content: Buffer, name: string): void {
  assert.deepEqual([...content.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${name}: signature`);
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (data: Buffer): number => {
    let value = 0xffffffff;
    for (const byte of data) value = (table[(value ^ byte) & 0xff] ?? 0) ^ (value >>> 8);
    return (value ^ 0xffffffff) >>> 0;
  };
  let offset = 8;
  const types: string[] = [];
  const idat: Buffer[] = [];
  while (offset < content.length) {
    const length = content.readUInt32BE(offset);
    const type = content.toString("ascii", offset + 4, offset + 8);
    const data = content.subarray(offset + 8, offset + 8 + length);
    assert.equal(content.readUInt32BE(offset + 8 + length), crc(content.subarray(offset + 4, offset + 8 + length)));
    types.push(type);
    if (type === "IDAT") idat.push(data);
    offset += 12 + length;
  }
  assert.deepEqual([types[0], types.at(-1)], ["IHDR", "IEND"], `${name}: chunks`);
  const width = content.readUInt32BE(16);
  const height = content.readUInt32BE(20);
  assert.equal(inflateSync(Buffer.concat(idat)).length, (width * 3 + 1) * height, `${name}: image data size`);
}

/** Checks that every cross-reference entry points at its object. */
function assertValidPdf(content: Buffer, name: string): void {
  const text = content.toString("latin1");
  assert.ok(text.startsWith("%PDF-1."), `${name}: header`);
  assert.ok(text.trimEnd().endsWith("%%EOF"), `${name}: trailer`);
  const startxref = Number(/startxref\n(\d+)\n%%EOF/.exec(text)?.[1]);
  assert.ok(text.startsWith("xref\n", startxref), `${name}: startxref points at the xref table`);
  const entries = [...text.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
  assert.ok(entries.length >= 6, `${name}: objects`);
  entries.forEach((offset, i) => {
    assert.ok(text.startsWith(`${i + 1} 0 obj\n`, offset), `${name}: object ${i + 1} at ${offset}`);
  });
  const length = Number(/<< \/Length (\d+) >>\nstream\n/.exec(text)?.[1]);
  const streamStart = text.indexOf("stream\n") + "stream\n".length;
  assert.ok(text.startsWith("endstream", streamStart + length), `${name}: stream length`);
}

describe("demoMessages: the set", () => {
  it("gives the default count, and any count asked for", () => {
    assert.equal(MAILS.length, DEMO_MAIL_COUNT);
    for (const count of [0, 1, 7, 12, 50]) {
      assert.equal(demoMessages(PEOPLE, { now: NOW, mailDomain: DOMAIN, count }).length, count);
    }
  });

  it("is deterministic for a seed, and another seed gives other messages", () => {
    const options = { now: NOW, mailDomain: DOMAIN, count: 80, seed: 7 };
    const first = demoMessages(PEOPLE, options);
    const again = demoMessages(PEOPLE, options);
    assert.deepEqual(again, first);
    const other = demoMessages(PEOPLE, { ...options, seed: 8 });
    assert.notDeepEqual(
      other.map((m) => m.subject),
      first.map((m) => m.subject),
    );
  });

  it("dates the messages in the window before now, whole seconds, oldest first", () => {
    const from = NOW.getTime() - DEMO_MAIL_WINDOW_DAYS * 86_400_000;
    for (const [i, mail] of MAILS.entries()) {
      const t = mail.date.getTime();
      assert.ok(t > from && t <= NOW.getTime(), `${mail.subject}: ${mail.date.toISOString()} is outside the window`);
      assert.equal(t % 1000, 0);
      if (i > 0) assert.ok(t >= (MAILS[i - 1]?.date.getTime() ?? 0), "sorted by date");
    }
    const days = new Set(MAILS.map((m) => m.date.toISOString().slice(0, 10)));
    assert.ok(days.size >= 40, `spread over the window: ${days.size} days`);
  });

  it("gives unique message ids in angle brackets", () => {
    const ids = MAILS.map((m) => m.messageId);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^<[^<>@\s]+@[a-z0-9.-]+>$/);
  });

  it("addresses every message to the demo people, the first one a good share of them", () => {
    const addresses = new Set(PEOPLE.map((p) => p.address));
    for (const mail of MAILS) {
      assert.ok(
        mail.to.some((p) => addresses.has(p.address)),
        `${mail.subject}: no demo person in To`,
      );
      const recipients = [...mail.to, ...(mail.cc ?? [])].map((p) => p.address);
      assert.ok(!recipients.includes(mail.from.address) || mail.from.address === PEOPLE[0]?.address);
      for (const p of [mail.from, ...mail.to, ...(mail.cc ?? [])]) {
        assert.match(p.address, /^[a-z0-9._-]+@[a-z0-9.-]+\.[a-z]+$/, `${mail.subject}: ${p.address}`);
        assert.ok(p.name.trim() !== "");
        assert.deepEqual(Object.keys(p).sort(), ["address", "name"]);
      }
    }
    const first = PEOPLE[0]?.address;
    const toFirst = MAILS.filter((m) => [...m.to, ...(m.cc ?? [])].some((p) => p.address === first)).length;
    assert.ok(toFirst >= 0.4 * MAILS.length, `the first person receives ${toFirst} of ${MAILS.length}`);
    for (const p of PEOPLE) {
      assert.ok(
        MAILS.some((m) => m.to.some((t) => t.address === p.address)),
        `${p.name} receives nothing`,
      );
    }
  });

  it("writes in French about school life", () => {
    const subjects = MAILS.map((m) => m.subject).join("\n");
    for (const topic of [
      /conseil de classe/i,
      /parents-professeurs/i,
      /sortie/i,
      /emploi du temps/i,
      /rendez-vous de carrière/i,
      /formation/i,
      /bulletins/i,
      /\[ENT\]/,
      /remplacement/i,
      /note de service/i,
    ]) {
      assert.match(subjects, topic);
    }
    const academie = MAILS.filter((m) => domainOf(m.from.address) === DOMAIN).length;
    assert.ok(academie > MAILS.length / 2, "most senders are in the académie");
    assert.ok(
      MAILS.some((m) =>
        /^(gmail\.com|orange\.fr|free\.fr|laposte\.net|sfr\.fr|hotmail\.fr|yahoo\.fr)$/.test(domainOf(m.from.address)),
      ),
      "parents write too",
    );
  });
});

describe("demoMessages: threads", () => {
  it("chains every reply to an earlier message, with RE: and a quote", () => {
    const seen = new Map<string, DemoMail>();
    let replies = 0;
    for (const mail of MAILS) {
      if (mail.inReplyTo !== undefined) {
        replies++;
        const parent = seen.get(mail.inReplyTo);
        assert.ok(parent, `${mail.subject}: In-Reply-To ${mail.inReplyTo} is not an earlier message`);
        assert.ok(parent.date < mail.date);
        assert.deepEqual(mail.references, [...(parent.references ?? []), parent.messageId]);
        for (const ref of mail.references ?? []) assert.ok(seen.has(ref), `reference ${ref} is not an earlier message`);
        assert.equal(mail.subject, `RE: ${parent.subject.replace(/^RE: /, "")}`);
        assert.ok(mail.text.includes(`${parent.from.name} a écrit :`), "quote header");
        assert.ok(mail.text.includes(`> ${parent.text.split("\n")[0]}`), "quoted parent");
        assert.ok(
          [...mail.to, ...(mail.cc ?? [])].some((p) => p.address === parent.from.address),
          "a reply goes to the parent's sender",
        );
      } else {
        assert.equal(mail.references, undefined);
        assert.ok(!mail.subject.startsWith("RE: "), `${mail.subject}: RE: without In-Reply-To`);
      }
      seen.set(mail.messageId, mail);
    }
    assert.ok(replies >= 40, `${replies} replies`);
  });

  it("has several conversations of two to six messages", () => {
    const sizes = new Map<string, number>();
    for (const mail of MAILS) {
      const root = mail.references?.[0] ?? mail.messageId;
      sizes.set(root, (sizes.get(root) ?? 0) + 1);
    }
    const threads = [...sizes.values()].filter((n) => n > 1);
    assert.ok(threads.length >= 10, `${threads.length} threads`);
    for (const n of threads) assert.ok(n >= 2 && n <= 6, `a thread of ${n}`);
    assert.ok(new Set(threads).size >= 3, "threads of different lengths");
  });
});

describe("demoMessages: special messages", () => {
  it("has the académie's HTML newsletter with an inline and a remote image", () => {
    const letters = MAILS.filter((m) => m.subject.startsWith("Lettre d'information de l'académie de Lyon"));
    assert.ok(letters.length >= 1);
    for (const letter of letters) {
      const html = letter.html ?? "";
      assert.match(html, /<table[\s>]/);
      assert.match(html, /style="/);
      assert.match(html, /<img src="https:\/\/www\.ac-lyon\.fr\/[^"]+"/);
      assert.match(html, /<a href="https:\/\/www\.ac-lyon\.fr\//);
      const cid = /<img src="cid:([^"]+)"/.exec(html)?.[1];
      const inline = (letter.attachments ?? []).find((a) => a.cid !== undefined);
      assert.ok(inline && cid === inline.cid, "the inline image is the cid attachment");
      assert.equal(inline.contentType, "image/png");
      assertValidPng(inline.content, inline.filename);
      assert.ok(letter.text.includes("À LA UNE"), "a text alternative");
    }
  });

  it("has exactly one phishing attempt, from outside the académie", () => {
    const phishing = MAILS.filter((m) => /désactivée/.test(m.subject));
    assert.equal(phishing.length, 1);
    const mail = phishing[0] as DemoMail;
    assert.equal(mail.from.address, "support@ac-lyon-securite.com");
    assert.equal(mail.from.name, "Service informatique");
    assert.match(mail.text, /mot de passe/);
    assert.match(mail.text, /http:\/\/ac-lyon-securite\.com\//);
    // The link shows the académie's webmail and leads elsewhere.
    assert.match(
      mail.html ?? "",
      /<a href="http:\/\/ac-lyon-securite\.com\/[^"]+"[^>]*>https:\/\/messagerie\.ac-lyon\.fr\//,
    );
    assert.equal(mail.to[0]?.address, PEOPLE[0]?.address);
  });

  it("attaches a valid file of each kind, with French names", () => {
    const attachments = allAttachments(MAILS);
    const kinds = new Set(attachments.map(kindOf));
    for (const kind of ["application/pdf", "text/csv", "text/calendar", "image/png", "text/plain"]) {
      assert.ok(kinds.has(kind), `no ${kind} attachment`);
    }
    assert.ok(attachments.some((a) => a.filename === "Compte-rendu réunion.pdf"));
    for (const a of attachments) {
      assert.ok(a.content.length > 0 && a.content.length < 20_000, `${a.filename}: ${a.content.length} bytes`);
      switch (kindOf(a)) {
        case "application/pdf":
          assert.ok(a.filename.endsWith(".pdf"));
          assertValidPdf(a.content, a.filename);
          break;
        case "image/png":
          assert.ok(a.filename.endsWith(".png"));
          assertValidPng(a.content, a.filename);
          break;
        case "text/csv": {
          assert.ok(a.filename.endsWith(".csv"));
          const text = a.content.toString("utf8");
          assert.ok(text.startsWith("\uFEFF"));
          const rows = text.slice(1).trimEnd().split("\r\n");
          const columns = rows[0]?.split(";").length ?? 0;
          assert.ok(columns >= 4);
          for (const row of rows) assert.equal(row.split(";").length, columns, `${a.filename}: ${row}`);
          break;
        }
        case "text/calendar": {
          assert.ok(a.filename.endsWith(".ics"));
          const text = a.content.toString("utf8");
          assert.ok(text.startsWith("BEGIN:VCALENDAR\r\n") && text.endsWith("END:VCALENDAR\r\n"));
          assert.match(text, /\r\nMETHOD:REQUEST\r\n/);
          assert.match(text, /\r\nDTSTART:\d{8}T\d{6}Z\r\n/);
          for (const line of text.split("\r\n")) assert.ok(Buffer.byteLength(line) <= 75, `folded: ${line}`);
          break;
        }
        case "text/plain":
          assert.ok(a.filename.endsWith(".txt"));
          assert.ok(!a.content.toString("utf8").includes("\uFFFD"));
          break;
        default:
          assert.fail(`unexpected attachment type ${a.contentType}`);
      }
    }
    const accented = attachments.filter((a) => /[^\x20-\x7e]/.test(a.filename)).map(kindOf);
    for (const kind of ["application/pdf", "text/calendar", "image/png", "text/plain"]) {
      assert.ok(accented.includes(kind), `no ${kind} with an accented name`);
    }
  });

  it("has unicode edge cases: emoji, accents, a comma in a display name", () => {
    assert.ok(
      MAILS.some((m) => /\p{Extended_Pictographic}/u.test(m.subject)),
      "emoji in a subject",
    );
    assert.ok(
      MAILS.some((m) => /\p{Extended_Pictographic}/u.test(m.from.name)),
      "emoji in a sender name",
    );
    assert.ok(
      MAILS.some((m) => /[ÉéèêëïîôœÇç]/.test(m.from.name)),
      "accents in a sender name",
    );
    assert.ok(
      MAILS.some((m) => m.from.name.includes(",")),
      "a comma in a display name",
    );
    assert.ok(
      MAILS.some((m) => m.subject.length > 120),
      "a long subject",
    );
    assert.ok(
      MAILS.some((m) => /[\u0600-\u06ff]/.test(m.text)),
      "right-to-left text",
    );
    assert.ok(
      MAILS.some((m) => m.text.includes("\u202f")),
      "narrow no-break spaces",
    );
  });

  it("keeps the special messages first when the count is small", () => {
    const few = demoMessages(PEOPLE, { now: NOW, mailDomain: DOMAIN, count: 10 });
    assert.ok(few.some((m) => m.html?.includes("cid:")));
    assert.ok(few.some((m) => m.from.address === "support@ac-lyon-securite.com"));
    const kinds = new Set(allAttachments(few).map(kindOf));
    assert.equal(kinds.size, 5);
  });
});

describe("demoMessages: other académies and small directories", () => {
  it("follows the mail domain", () => {
    const people = [{ name: "Inès Faure", address: "ines.faure@ac-aix-marseille.fr" }];
    const mails = demoMessages(people, { now: NOW, mailDomain: "ac-aix-marseille.fr", count: 60 });
    assert.equal(mails.length, 60);
    assert.ok(mails.some((m) => m.subject.startsWith("Lettre d'information de l'académie d'Aix-Marseille")));
    assert.ok(mails.some((m) => m.from.address === "support@ac-aix-marseille-securite.com"));
    assert.ok(!JSON.stringify(mails.map((m) => [m.from, m.to, m.cc, m.html])).includes("ac-lyon"));
    for (const mail of mails) assert.ok(mail.to.some((p) => p.address === "ines.faure@ac-aix-marseille.fr"));
  });

  it("refuses what it cannot work with", () => {
    assert.throws(() => demoMessages([], { now: NOW, mailDomain: DOMAIN }), RangeError);
    assert.throws(() => demoMessages(PEOPLE, { now: NOW, mailDomain: DOMAIN, count: -1 }), RangeError);
    assert.throws(() => demoMessages(PEOPLE, { now: NOW, mailDomain: DOMAIN, count: 2.5 }), RangeError);
    assert.throws(() => demoMessages(PEOPLE, { now: new Date(Number.NaN), mailDomain: DOMAIN }), RangeError);
    assert.throws(() => demoMessages(PEOPLE, { now: NOW, mailDomain: "not a domain" }), RangeError);
  });
});

describe("demoMessages: MIME", () => {
  it("composes the messages with nodemailer", async () => {
    // Every rich message and one plain message in ten: all 300 would take most of the time budget.
    const rich = MAILS.filter((m, i) => m.html !== undefined || m.attachments !== undefined || i % 10 === 0);
    assert.ok(rich.length >= 60);
    for (const mail of rich) {
      const raw = await compose(mail);
      assert.ok(raw.length > 200);
    }
  });

  it("parses a sample back with mailparser", async () => {
    const sample = [
      find((m) => m.html?.includes("cid:") === true, "newsletter"),
      find((m) => /désactivée/.test(m.subject), "phishing"),
      find((m) => m.from.name.includes(","), "comma name"),
      find((m) => m.inReplyTo !== undefined && (m.references?.length ?? 0) >= 2, "deep reply"),
      withAttachment("application/pdf"),
      withAttachment("text/csv"),
      withAttachment("text/calendar"),
      withAttachment("image/png"),
      withAttachment("text/plain"),
    ];
    for (const mail of sample) {
      const parsed = await simpleParser(await compose(mail));
      assert.equal(parsed.subject, mail.subject);
      assert.equal(parsed.messageId, mail.messageId);
      assert.equal(parsed.date?.getTime(), mail.date.getTime());
      assert.equal(parsed.inReplyTo, mail.inReplyTo);
      assert.deepEqual(
        parsed.from?.value.map((a) => [a.name, a.address]),
        [[mail.from.name, mail.from.address]],
      );
      assert.equal(parsed.text?.trim(), mail.text.trim());
      const expected = mail.attachments ?? [];
      assert.equal(parsed.attachments.length, expected.length, `${mail.subject}: attachment count`);
      for (const a of expected) {
        const got = parsed.attachments.find((p) => p.filename === a.filename);
        assert.ok(got, `${mail.subject}: ${a.filename} not found`);
        assert.equal(got.contentType, kindOf(a));
        assert.ok(got.content.equals(a.content), `${a.filename}: content`);
        if (a.cid) assert.equal(got.cid, a.cid);
      }
    }
  });
});
