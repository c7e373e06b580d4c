/**
 * The mailbox's layout through app.inject, on SQLite and PostgreSQL: rows that open the reading
 * pane (`?lire=`) or the message's own page (pane off), the pane server-rendered and its fragment
 * for the page's script (the account's messages only), the toolbar acting on the open message when
 * nothing is checked, « Déplacer vers » as folder buttons, the pane closed once the message left, the
 * grouped list, and the list's dates.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { frenchShortDate } from "../../src/web/i18n/fr.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { signedInClient, testApp, textOf } from "../helpers/web.js";

async function deliver(
  services: Services,
  account: Account,
  subject: string,
  extra: { messageId?: string; inReplyTo?: string } = {},
): Promise<number> {
  const raw = await new MailComposer({
    from: "Claire Fontaine <claire.fontaine@exemple.fr>",
    to: account.address,
    subject,
    text: `Bonjour,\r\nvoici « ${subject} ».`,
    ...(extra.messageId ? { messageId: extra.messageId } : {}),
    ...(extra.inReplyTo ? { inReplyTo: extra.inReplyTo, references: [extra.inReplyTo] } : {}),
  })
    .compile()
    .build();
  const [id] = (await services.mail.deliver(raw, [await services.mail.checkRecipient(account.address)])).messageIds;
  assert.ok(id);
  return id;
}

/** The hrefs of the list's rows, in order. */
function rowLinks(html: string): string[] {
  return [...html.matchAll(/<a href="([^"]*)" class="message-link"/g)].map((m) => (m[1] ?? "").replace(/&amp;/g, "&"));
}

function location(res: LightMyRequestResponse): string {
  return String(res.headers.location ?? "");
}

for (const dialect of DIALECTS) {
  describe(`the mailbox's layout (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    before(async () => {
      ctx = await openTestServices(dialect);
      services = ctx.services;
      app = await testApp(services);
    });
    after(async () => {
      await app.close();
      await ctx.close();
    });

    it("rows open the pane (`?lire=`), server-rendered and marked read; with the pane off, the message's own page", async () => {
      const { account, c } = await signedInClient(services, app);
      const first = await deliver(services, account, "Conseil de classe");
      const second = await deliver(services, account, "Sortie scolaire");
      const list = await c.get("/mail");
      assert.deepEqual(rowLinks(list.body), [`/mail?lire=${second}`, `/mail?lire=${first}`]);
      // The empty pane says what to do.
      assert.ok(textOf(list.body).includes("Sélectionnez un message dans la liste pour le lire ici."));

      const open = await c.get(`/mail?lire=${first}`);
      assert.equal(open.statusCode, 200);
      assert.match(open.body, /<h2 id="message-titre" class="message-title" tabindex="-1">Conseil de classe<\/h2>/);
      assert.match(
        open.body,
        new RegExp(`<a href="/mail\\?lire=${first}" class="message-link"[^>]*aria-current="true"`),
      );
      // The list's form acts on the open message when nothing is checked.
      assert.match(open.body, new RegExp(`<input type="hidden" name="message" value="${first}"/>`));
      assert.match(open.body, /<title>Conseil de classe — Boîte de réception — /);
      const view = await services.mail.open(account.id, first, { markSeen: false });
      assert.equal(view.flags.seen, true, "opened in the pane, so read");
      // The frame's counts are read after the opening.
      assert.match(open.body, /aria-label="Boîte de réception, 1 non lu"/);

      // Another account's message, or no message at all: the same 404 as everywhere.
      const other = await signedInClient(services, app);
      assert.equal((await other.c.get(`/mail?lire=${first}`)).statusCode, 404);
      assert.equal((await c.get("/mail?lire=999999999")).statusCode, 404);
      assert.equal((await c.get("/mail?lire=abc")).statusCode, 400);

      // Pane off: rows go to the message's page, `?lire=` is ignored.
      await services.settings.updateDisplay(account.id, {
        readingPane: "off",
        groupByConversation: false,
        density: "comfortable",
        showSize: false,
      });
      const plain = await c.get("/mail");
      assert.deepEqual(rowLinks(plain.body), [`/mail/messages/${second}`, `/mail/messages/${first}`]);
      assert.equal((await c.get(`/mail?lire=${second}`)).body.includes('class="message-title"'), false);
    });

    it("the pane's fragment for the page's script: the message alone, the account's only", async () => {
      const { account, c } = await signedInClient(services, app);
      const id = await deliver(services, account, "Photocopieur en panne");
      await c.get("/mail");
      const fragment = await c.get(`/mail/messages/${id}/volet?retour=${encodeURIComponent("/mail?avant=99")}`);
      assert.equal(fragment.statusCode, 200);
      assert.equal(fragment.headers["cache-control"], "no-store");
      assert.ok(fragment.body.startsWith('<article class="reading"'), fragment.body.slice(0, 80));
      assert.ok(!fragment.body.includes("<html"));
      // Its links come back to that list; a foreign `retour` falls back to the message's folder.
      assert.match(fragment.body, /<a href="\/mail\?avant=99" data-pane-close/);
      const hostile = await c.get(`/mail/messages/${id}/volet?retour=${encodeURIComponent("https://evil.example/")}`);
      assert.match(hostile.body, /<a href="\/mail" data-pane-close/);
      assert.equal((await services.mail.open(account.id, id, { markSeen: false })).flags.seen, true);
      const other = await signedInClient(services, app);
      assert.equal((await other.c.get(`/mail/messages/${id}/volet`)).statusCode, 404);
    });

    it("the toolbar: the open message when nothing is checked, « Déplacer vers » by folder button, the pane closed once it left", async () => {
      const { account, c } = await signedInClient(services, app);
      const a = await deliver(services, account, "Premier");
      const b = await deliver(services, account, "Second");
      const archive = await services.mail.createFolder(account.id, "Archives", null);
      await c.get(`/mail?lire=${a}`);
      // Follow the open message: the pane stays open.
      const follow = await c.post("/mail/actions", { action: "suivre", message: String(a), retour: `/mail?lire=${a}` });
      assert.equal(location(follow), `/mail?lire=${a}&fait=suivis&n=1`);
      assert.equal((await services.mail.open(account.id, a, { markSeen: false })).flags.flagged, true);
      // Marked unread: the pane closes (opening it again would read it again).
      const unread = await c.post("/mail/actions", { action: "non-lu", message: String(a), retour: `/mail?lire=${a}` });
      assert.equal(location(unread), "/mail?fait=non-lus&n=1");
      assert.equal((await services.mail.open(account.id, a, { markSeen: false })).flags.seen, false);
      // A checked message moved by its folder's button while another is open: the pane stays.
      const moved = await c.post("/mail/actions", {
        ids: String(b),
        vers: String(archive.id),
        message: String(a),
        retour: `/mail?lire=${a}`,
      });
      assert.equal(location(moved), `/mail?lire=${a}&fait=deplaces&n=1`);
      assert.equal((await services.mail.list(account.id, archive.id, null)).items[0]?.id, b);
      // The open one moved: the pane closes.
      const gone = await c.post("/mail/actions", {
        vers: String(archive.id),
        message: String(a),
        retour: `/mail?lire=${a}`,
      });
      assert.equal(location(gone), "/mail?fait=deplaces&n=1");
      assert.equal((await services.mail.list(account.id, archive.id, null)).items.length, 2);
      // No action and no folder: a French 400, nothing changed.
      const none = await c.post("/mail/actions", { ids: String(a), retour: "/mail" });
      assert.equal(none.statusCode, 400);
      // Another account's folder as destination: nothing moves.
      const other = await signedInClient(services, app);
      const theirs = await services.mail.folderByRole(other.account.id, "inbox");
      const foreign = await c.post("/mail/actions", { ids: String(a), vers: String(theirs.id), retour: "/mail" });
      assert.equal(foreign.statusCode, 404);
      assert.equal((await services.mail.list(other.account.id, theirs.id, null)).items.length, 0);
    });

    it("grouped by conversation: one row per conversation with its count; sizes on demand", async () => {
      const { account, c } = await signedInClient(services, app);
      const root = "<sortie-2026@exemple.fr>";
      await deliver(services, account, "Sortie au musée", { messageId: root });
      await deliver(services, account, "Re: Sortie au musée", { inReplyTo: root });
      await deliver(services, account, "Réunion parents-professeurs");
      await services.settings.updateDisplay(account.id, {
        readingPane: "right",
        groupByConversation: true,
        density: "compact",
        showSize: true,
      });
      const html = (await c.get("/mail")).body;
      assert.equal(rowLinks(html).length, 2);
      assert.ok(textOf(html).includes("Conversation de 2 messages, dont 2 non lus"));
      assert.match(html, /class="mail-app density-compact"/);
      assert.equal((html.match(/class="message-size"/g) ?? []).length, 2);
    });
  });
}

describe("the list's dates", () => {
  const now = new Date("2026-12-04T15:00:00Z");
  it("the time today, « hier », the weekday this week, the day this year, the full date before", () => {
    assert.equal(frenchShortDate(new Date("2026-12-04T07:05:00Z"), now), "08 h 05");
    assert.equal(frenchShortDate(new Date("2026-12-03T22:00:00Z"), now), "hier");
    assert.equal(frenchShortDate(new Date("2026-12-01T10:00:00Z"), now), "mardi");
    assert.equal(frenchShortDate(new Date("2026-11-20T10:00:00Z"), now), "20 nov.");
    assert.equal(frenchShortDate(new Date("2025-11-20T10:00:00Z"), now), "20 nov. 2025");
    // Just past midnight in Paris is already « aujourd'hui »'s time; a date in the future is a date.
    assert.equal(frenchShortDate(new Date("2026-12-03T23:30:00Z"), now), "00 h 30");
    assert.equal(frenchShortDate(new Date("2026-12-06T10:00:00Z"), now), "6 déc.");
  });
});
