/**
 * Fills one mailbox with `count` realistic messages for the mail benchmark, straight through the
 * store's repository (the SMTP path is measured on its own): French-looking words drawn from a
 * Zipf-like vocabulary, so that searches hit the index as real mail does (a few very common words,
 * many rare ones). Deterministic for a given seed.
 */
import { sql } from "kysely";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import * as repo from "../src/mail/mail.repository.js";
import { foldText } from "../src/mail/mime.js";
import type { Services } from "../src/services.js";

const SYLLABLES = [
  "ré",
  "u",
  "ni",
  "on",
  "pa",
  "ren",
  "tè",
  "le",
  "ves",
  "co",
  "llè",
  "ge",
  "clas",
  "se",
  "pro",
  "fe",
  "sseur",
  "di",
  "rec",
  "tion",
  "é",
  "va",
  "lu",
  "a",
  "mi",
  "na",
  "bu",
  "let",
  "tin",
  "sor",
  "tie",
  "ma",
  "thé",
  "ti",
  "que",
  "fran",
  "çais",
  "his",
  "toi",
  "re",
  "géo",
  "gra",
  "phie",
  "con",
  "seil",
  "ca",
  "len",
  "drier",
  "ho",
  "rai",
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A vocabulary of `size` distinct words; word i is drawn with a probability ∝ 1/(i+1). */
export function vocabulary(size: number, seed = 7): string[] {
  const random = rng(seed);
  const words = new Set<string>();
  while (words.size < size) {
    const n = 2 + Math.floor(random() * 3);
    let w = "";
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.add(w);
  }
  return [...words];
}

function zipfPicker(words: readonly string[], random: () => number): () => string {
  const weights = words.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const w of weights) {
    acc += w / total;
    cumulative.push(acc);
  }
  return () => {
    const x = random();
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 1) < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo] ?? words[0] ?? "mot";
  };
}

const words = (value: string) =>
  foldText(value)
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();

/** Seeds `count` messages in the inbox of `accountId`; returns the vocabulary used. */
export async function seedMailbox(
  services: Services,
  accountId: number,
  address: string,
  count: number,
  onProgress: (done: number) => void = () => {},
): Promise<string[]> {
  const vocab = vocabulary(5_000);
  const random = rng(42);
  const pick = zipfPicker(vocab, random);
  const sentence = (n: number) => Array.from({ length: n }, pick).join(" ");
  const { db, dialect } = services.database;
  const inbox = await services.mail.folderByRole(accountId, "inbox");
  // One representative body (20 KB) stored once: the list and the search never read bodies.
  const raw = await new MailComposer({
    from: "Banc d'essai <banc@exemple.fr>",
    to: address,
    subject: "Message de test",
    text: sentence(3_000).slice(0, 20_000),
  })
    .compile()
    .build();
  const blobId = await repo.transaction(db, (trx) => repo.insertBlob(trx, raw));
  const start = Date.now() - count * 60_000;
  const BATCH = 2_000;
  for (let done = 0; done < count; done += BATCH) {
    const n = Math.min(BATCH, count - done);
    await repo.transaction(db, async (trx) => {
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const k = done + i;
        const subject = sentence(3 + Math.floor(random() * 5));
        const body = sentence(80 + Math.floor(random() * 120));
        const fromName = `${pick()} ${pick()}`;
        const fromAddress = `${pick()}.${pick()}@exemple.fr`;
        const at = new Date(start + k * 60_000).toISOString();
        const id = await repo.insertMessage(trx, {
          accountId,
          folderId: inbox.id,
          blobId,
          threadId: null,
          messageId: `<bench-${k}@exemple.fr>`,
          inReplyTo: null,
          refs: "",
          fromName,
          fromAddress,
          toText: address,
          subject,
          sentAt: at,
          receivedAt: at,
          size: raw.length,
          hasAttachments: random() < 0.2,
          preview: body.slice(0, 160),
          seen: random() < 0.7,
        });
        await repo.index(trx, dialect, id, accountId, {
          sender: words(`${fromName} ${fromAddress}`),
          recipients: words(address),
          subject: words(subject),
          body: words(body),
        });
        bytes += raw.length;
      }
      await repo.bumpFolder(trx, inbox.id, n, Math.round(n * 0.3), bytes);
    });
    onProgress(done + n);
  }
  // A long-running PostgreSQL has statistics on its tables (autovacuum); a freshly filled one has
  // none yet, and plans searches blind: give it what autovacuum would.
  if (services.database.dialect === "postgres") {
    await sql`analyze mail_message`.execute(services.database.db);
    await sql`analyze mail_search`.execute(services.database.db);
  }
  return vocab;
}
