/**
 * The list grouped by conversation (MailService.listConversations), on SQLite and PostgreSQL: one
 * line per conversation with a message in the folder — its newest message there — with how many of
 * its messages the folder holds and how many of those are unread; newest first, by keyset pages;
 * only the folder's own messages count; another account's folder is NOT_FOUND.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import type Mail from "nodemailer/lib/mailer/index.js";
import type { Account } from "../../src/directory/directory.types.js";
import type { ConversationSummary, MailApi } from "../../src/mail/mail.types.js";
import { isDomainError } from "../../src/shared/errors.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { accountOf, seedStaff, uniqueStaff } from "../helpers/web.js";

async function newAccount(t: TestContext): Promise<Account> {
  const [row] = await seedStaff(t.services, [uniqueStaff()]);
  if (!row) throw new Error("no row");
  return accountOf(t.services, row);
}

/** Delivers one message to `account`; its id. `answers`: the Message-IDs it refers to (its conversation). */
async function deliver(mail: MailApi, account: Account, messageId: string, answers: readonly string[] = []) {
  const options: Mail.Options = {
    from: "Parent Élève <parent@exemple.fr>",
    to: account.address,
    subject: answers.length > 0 ? "RE: Sortie scolaire" : `Sujet ${messageId}`,
    text: "Bonjour",
    messageId,
    ...(answers.length > 0 ? { inReplyTo: answers.at(-1), references: [...answers] } : {}),
  };
  const raw = await new MailComposer(options).compile().build();
  const [id] = (await mail.deliver(raw, [await mail.checkRecipient(account.address)])).messageIds;
  if (id === undefined) throw new Error("not delivered");
  return id;
}

/** Each line as [id, threadCount, threadUnread]. */
const lines = (items: readonly ConversationSummary[]) => items.map((i) => [i.id, i.threadCount, i.threadUnread]);

for (const dialect of DIALECTS) {
  describe(`the list grouped by conversation (${dialect})`, () => {
    let t: TestContext;
    let mail: MailApi;
    before(async () => {
      t = await openTestServices(dialect);
      mail = t.services.mail;
    });
    after(() => t.close());

    it("one line per conversation: its newest message in the folder, with the folder's counts", async () => {
      const a = await newAccount(t);
      const inbox = await mail.folderByRole(a.id, "inbox");
      const sortie = "<sortie@exemple.fr>";
      const conseil = "<conseil@exemple.fr>";
      const s1 = await deliver(mail, a, sortie);
      const alone = await deliver(mail, a, "<seul@exemple.fr>");
      const c1 = await deliver(mail, a, conseil);
      const s2 = await deliver(mail, a, "<sortie-2@exemple.fr>", [sortie]);
      const c2 = await deliver(mail, a, "<conseil-2@exemple.fr>", [conseil]);
      const s3 = await deliver(mail, a, "<sortie-3@exemple.fr>", [sortie, "<sortie-2@exemple.fr>"]);

      let page = await mail.listConversations(a.id, inbox.id, null);
      assert.deepEqual(lines(page.items), [
        [s3, 3, 3],
        [c2, 2, 2],
        [alone, 1, 1],
      ]);
      assert.equal(page.nextCursor, null);
      // The line is the newest message, as the plain list shows it.
      const plain = (await mail.list(a.id, inbox.id, null)).items.find((m) => m.id === s3);
      const { threadCount, threadUnread, ...summary } = page.items[0] as ConversationSummary;
      assert.deepEqual(summary, plain);

      // Read messages are not counted as unread.
      await mail.setFlags(a.id, [s1, c2], { seen: true });
      page = await mail.listConversations(a.id, inbox.id, null);
      assert.deepEqual(lines(page.items), [
        [s3, 3, 2],
        [c2, 2, 1],
        [alone, 1, 1],
      ]);
      assert.equal(page.items[1]?.flags.seen, true);

      // Only the folder's own messages count: the newest one moved away, the line is the next newest.
      const classe = await mail.createFolder(a.id, "Classe", null);
      await mail.move(a.id, [s3], classe.id);
      assert.deepEqual(lines((await mail.listConversations(a.id, inbox.id, null)).items), [
        [c2, 2, 1],
        [s2, 2, 1],
        [alone, 1, 1],
      ]);
      assert.deepEqual(lines((await mail.listConversations(a.id, classe.id, null)).items), [[s3, 1, 1]]);
      await mail.move(a.id, [c1, c2], classe.id);
      assert.deepEqual(lines((await mail.listConversations(a.id, inbox.id, null)).items), [
        [s2, 2, 1],
        [alone, 1, 1],
      ]);
      assert.deepEqual(lines((await mail.listConversations(a.id, classe.id, null)).items), [
        [s3, 1, 1],
        [c2, 2, 1],
      ]);
      const trash = await mail.folderByRole(a.id, "trash");
      assert.deepEqual((await mail.listConversations(a.id, trash.id, null)).items, []);
    });

    it("pages by keyset: every conversation once, newest first, none missed", async () => {
      const a = await newAccount(t);
      const inbox = await mail.folderByRole(a.id, "inbox");
      // 7 conversations, their messages interleaved: conversation k gets messages in rounds 0..k%3.
      const newest = new Map<number, number>();
      const counts = new Map<number, number>();
      for (let round = 0; round < 3; round++) {
        for (let k = 0; k < 7; k++) {
          if (round > k % 3) continue;
          const root = `<page-${a.id}-${k}@exemple.fr>`;
          const id = await deliver(
            mail,
            a,
            round === 0 ? root : `<page-${a.id}-${k}-${round}@exemple.fr>`,
            round === 0 ? [] : [root],
          );
          newest.set(k, id);
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
      }
      const expected = [...newest.entries()]
        .sort(([, x], [, y]) => y - x)
        .map(([k, id]) => [id, counts.get(k), counts.get(k)]);
      const seen: (number | undefined)[][] = [];
      let cursor: number | null = null;
      let pages = 0;
      do {
        const page = await mail.listConversations(a.id, inbox.id, cursor, 3);
        assert.ok(page.items.length <= 3);
        if (page.nextCursor !== null) assert.equal(page.nextCursor, page.items.at(-1)?.id);
        seen.push(...lines(page.items));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null && pages < 10);
      assert.equal(pages, 3);
      assert.deepEqual(seen, expected);
      // A cursor in the middle of a conversation: the lines whose newest message is older.
      const middle = expected[2]?.[0] as number;
      assert.deepEqual(lines((await mail.listConversations(a.id, inbox.id, middle, 50)).items), expected.slice(3));
    });

    it("another account's folder is NOT_FOUND, a bad cursor is refused, as for the plain list", async () => {
      const a = await newAccount(t);
      const b = await newAccount(t);
      await deliver(mail, b, `<secret-${b.id}@exemple.fr>`);
      const theirs = await mail.folderByRole(b.id, "inbox");
      await assert.rejects(mail.listConversations(a.id, theirs.id, null), (e) => isDomainError(e, "NOT_FOUND"));
      await assert.rejects(mail.listConversations(a.id, 999_999_999, null), (e) => isDomainError(e, "NOT_FOUND"));
      const mine = await mail.folderByRole(a.id, "inbox");
      for (const cursor of [0, -1, 1.5, Number.NaN]) {
        await assert.rejects(mail.listConversations(a.id, mine.id, cursor), (e) =>
          isDomainError(e, "VALIDATION_FAILED"),
        );
      }
      assert.equal((await mail.listConversations(b.id, theirs.id, null)).items.length, 1);
    });
  });
}
