/**
 * The mailbox as a teacher scans it, in Chromium at 1440×900, 1366×768 and 360×740: how many
 * message rows are fully visible without scrolling (≥ 15 on the laptops, ≥ 11 on the phone), the
 * reading pane that opens a message beside the list (and Back that returns to the list where it
 * was), the phone's « Dossiers » menu, the keyboard, the page without JavaScript, conversations,
 * tap targets, reflow at 320 px and 200 % zoom, and axe-core in the light and dark schemes.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import type { Page } from "playwright-core";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { type BrowserEnv, expectAccessible, openBrowserEnv, openWebmail } from "../helpers/browser.js";
import { staffWithPassword } from "../helpers/web.js";

const SENDERS = ["Claire Fontaine", "Marc Dubois", "Sophie Martin", "Jean Leroux", "Lina Haddad"];

/** One message, stored through the service, `minutesAgo` before now; its Message-ID. */
async function deliver(
  services: Services,
  account: Account,
  n: number,
  options: { subject?: string; inReplyTo?: string; minutesAgo?: number; cc?: string[] } = {},
): Promise<{ id: number; messageId: string }> {
  const sender = SENDERS[n % SENDERS.length] ?? "Claire Fontaine";
  const messageId = `<layout-${n}-${Date.now()}@exemple.fr>`;
  const raw = await new MailComposer({
    from: `${sender} <${sender.toLowerCase().replace(" ", ".")}@exemple.fr>`,
    to: account.address,
    ...(options.cc ? { cc: options.cc } : {}),
    subject: options.subject ?? `Message numéro ${n} — conseil de classe`,
    text: `Bonjour,\nvoici le message numéro ${n}.\nBonne journée.`,
    messageId,
    date: new Date(Date.now() - (options.minutesAgo ?? 1000 - n) * 60_000),
    ...(options.inReplyTo ? { inReplyTo: options.inReplyTo, references: [options.inReplyTo] } : {}),
  })
    .compile()
    .build();
  const [id] = (await services.mail.deliver(raw, [await services.mail.checkRecipient(account.address)])).messageIds;
  assert.ok(id);
  return { id, messageId };
}

/** The rows of the list entirely inside the window, below the list's own toolbar. */
function fullyVisibleRows(page: Page): Promise<number> {
  return page.evaluate(() => {
    const bottom = window.innerHeight;
    const toolbar = document.querySelector(".list-toolbar")?.getBoundingClientRect().bottom ?? 0;
    return [...document.querySelectorAll("[data-message-list] > li")].filter((row) => {
      const box = row.getBoundingClientRect();
      return box.height > 0 && box.top >= toolbar - 1 && box.bottom <= bottom;
    }).length;
  });
}

/** Nothing wider than the window (WCAG 1.4.10). */
async function assertNoHorizontalScroll(page: Page, label: string): Promise<void> {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${label}: ${scroll}px of content in a ${client}px window`);
}

describe("the mailbox's layout (Chromium)", () => {
  let env: BrowserEnv;
  let account: Account;
  let subjects: Map<number, string>;
  before(async () => {
    env = await openBrowserEnv();
    const services = env.server.services;
    account = await staffWithPassword(services, { prenom: "Agathe", nom: "Vasseur" });
    subjects = new Map();
    for (let n = 1; n <= 40; n++) {
      const { id } = await deliver(services, account, n);
      subjects.set(id, `Message numéro ${n} — conseil de classe`);
    }
  });
  after(async () => {
    await env.close();
  });

  for (const [width, height, least] of [
    [1440, 900, 15],
    [1366, 768, 15],
    [360, 740, 11],
  ] as const) {
    it(`${width}×${height}: at least ${least} messages fully visible, axe-clean in both schemes`, async () => {
      for (const colorScheme of ["light", "dark"] as const) {
        const { page, problems, context } = await openWebmail(env, account, {
          viewport: { width, height },
          colorScheme,
        });
        const rows = await fullyVisibleRows(page);
        assert.ok(rows >= least, `${width}×${height} ${colorScheme}: ${rows} rows fully visible, at least ${least}`);
        await assertNoHorizontalScroll(page, `${width}×${height}`);
        await expectAccessible(page, `inbox ${width}×${height} ${colorScheme}`);
        // A message open (beside the list, or in its place on the phone).
        await page.locator("[data-message-link]").nth(2).click();
        await page.getByRole("heading", { level: 2, name: /Message numéro 38/ }).waitFor();
        await expectAccessible(page, `message open ${width}×${height} ${colorScheme}`);
        await assertNoHorizontalScroll(page, `${width}×${height} with a message open`);
        assert.deepEqual(problems, []);
        await context.close();
      }
    });
  }

  it("wide screens: the pane opens the message beside the list, the URL follows, Back returns to the list as it was", async () => {
    const { page, problems, context } = await openWebmail(env, account, { viewport: { width: 1366, height: 768 } });
    await page.evaluate(() => window.scrollTo(0, 300));
    const scrolled = await page.evaluate(() => window.scrollY);
    assert.ok(scrolled > 0);
    const row = page.locator("[data-message-list] > li").nth(12);
    const id = Number(await row.getAttribute("data-message-id"));
    await env.server.services.mail.setFlags(account.id, [id], { seen: false });
    await page.reload();
    const inboxLink = page.locator(".mail-nav a[aria-current='page']");
    const unread = Number(await inboxLink.getAttribute("data-unread"));
    await row.locator("[data-message-link]").click();
    const heading = page.getByRole("heading", { level: 2, name: subjects.get(id) ?? "" });
    await heading.waitFor();
    // The list is still there, scrolled as it was, the row marked as the open one.
    assert.ok(await page.locator("[data-message-list]").isVisible());
    assert.equal(await row.locator("[data-message-link]").getAttribute("aria-current"), "true");
    assert.equal(await page.evaluate(() => window.scrollY), scrolled);
    assert.match(page.url(), new RegExp(`/mail\\?lire=${id}$`));
    // Opened, so read: no longer bold, the folder's count down by one.
    await page.getByRole("link", { name: `Boîte de réception, ${unread - 1} non lus` }).waitFor();
    assert.equal(await row.getAttribute("data-seen"), "true");
    // The headers, the actions: Répondre, Répondre à tous, Transférer first, the rest under « Plus ».
    const pane = page.locator("[data-reading-pane]");
    const actions = pane.getByRole("group", { name: "Actions sur ce message" });
    assert.deepEqual(
      (await actions.locator(":scope > a").allInnerTexts()).map((s) => s.trim()),
      ["Répondre", "Répondre à tous", "Transférer"],
    );
    await pane.getByText("Plus", { exact: true }).click();
    await pane.getByRole("button", { name: "Marquer comme non lu" }).waitFor();
    // A reload shows the same, server-rendered.
    await page.reload();
    await page.getByRole("heading", { level: 2, name: subjects.get(id) ?? "" }).waitFor();
    // Back: to the list without the pane.
    await page.goBack();
    await page.locator("[data-reading-pane] .reading").waitFor({ state: "detached" });
    await page.getByText("Sélectionnez un message dans la liste pour le lire ici.").waitFor();
    assert.match(page.url(), /\/mail$/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("the list's toolbar acts on the open message when nothing is checked, and stays on screen while the list scrolls", async () => {
    const { page, problems, context } = await openWebmail(env, account, { viewport: { width: 1366, height: 768 } });
    const row = page.locator("[data-message-list] > li").nth(5);
    const id = Number(await row.getAttribute("data-message-id"));
    await row.locator("[data-message-link]").click();
    await page.getByRole("heading", { level: 2, name: subjects.get(id) ?? "" }).waitFor();
    await page.getByRole("button", { name: "Suivre", exact: true }).click();
    await page.getByText("1 message suivi.").waitFor();
    const view = await env.server.services.mail.open(account.id, id, { markSeen: false });
    assert.equal(view.flags.flagged, true);
    // Still open after the action.
    await page.getByRole("heading", { level: 2, name: subjects.get(id) ?? "" }).waitFor();
    await page.evaluate(() => window.scrollTo(0, 800));
    const top = await page.locator(".list-toolbar").evaluate((el) => el.getBoundingClientRect().top);
    assert.ok(top >= 0 && top < 5, `the toolbar stays at the top (${top})`);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("the phone: the list first, « Dossiers » → a folder → a message full screen → Back to the list where it was; targets of 44 px", async () => {
    const services = env.server.services;
    const folder = await services.mail.createFolder(account.id, "Sorties scolaires", null);
    const inbox = await services.mail.folderByRole(account.id, "inbox");
    const page1 = await services.mail.list(account.id, inbox.id, null, 40);
    await services.mail.move(
      account.id,
      page1.items.slice(20, 40).map((m) => m.id),
      folder.id,
    );
    const { page, problems, context } = await openWebmail(env, account, { viewport: { width: 360, height: 740 } });
    // The folders are behind « Dossiers »: hidden until asked for.
    assert.equal(await page.locator("#menu-dossiers").isVisible(), false);
    // Tap targets: the menu button, the search, the toolbar's buttons, each row's box and link.
    const small: string[] = [];
    for (const selector of [
      "[data-nav-toggle]",
      ".quick-search button",
      ".logout-button",
      ".list-toolbar .tool:visible",
      ".message-select label",
      "[data-message-link]",
      ".pagination a",
    ]) {
      for (const box of await page.locator(selector).evaluateAll((els) =>
        els.map((el) => {
          const r = el.getBoundingClientRect();
          return { w: r.width, h: r.height };
        }),
      )) {
        if (box.w < 44 || box.h < 44) small.push(`${selector} ${box.w}×${box.h}`);
      }
    }
    assert.deepEqual(small, [], "tap targets of at least 44 × 44 px (WCAG 2.5.5)");
    await page.getByRole("link", { name: "Dossiers" }).click();
    await page.locator("#menu-dossiers").waitFor({ state: "visible" });
    await expectAccessible(page, "the phone's folder menu");
    const menuTargets = await page
      .locator("#menu-dossiers a:visible")
      .evaluateAll((els) => els.map((el) => el.getBoundingClientRect().height));
    assert.ok(
      menuTargets.every((h) => h >= 44),
      `the menu's links are 44 px tall: ${menuTargets}`,
    );
    await page.getByRole("link", { name: "Sorties scolaires" }).click();
    await page.getByRole("heading", { level: 1, name: "Sorties scolaires" }).waitFor();
    assert.equal(await page.locator("#menu-dossiers").isVisible(), false);
    await page.evaluate(() => window.scrollTo(0, 250));
    const scrolled = await page.evaluate(() => window.scrollY);
    const row = page.locator("[data-message-list] > li").nth(8);
    const id = Number(await row.getAttribute("data-message-id"));
    await row.locator("[data-message-link]").click();
    await page.getByRole("heading", { level: 2, name: subjects.get(id) ?? "" }).waitFor();
    // Full screen: the list is out of the way; the actions are at the bottom of the screen.
    assert.equal(await page.locator("[data-message-list]").isVisible(), false);
    const bar = await page
      .locator("[data-reading-pane] .reading-actions")
      .evaluate((el) => el.getBoundingClientRect().bottom);
    assert.ok(Math.abs(bar - 740) < 2, `the actions at the thumb's reach (bottom ${bar})`);
    await page.goBack();
    await page.locator("[data-message-list]").waitFor({ state: "visible" });
    assert.equal(await page.evaluate(() => window.scrollY), scrolled);
    // The same with the in-page « Revenir à la liste ».
    await row.locator("[data-message-link]").click();
    await page.getByRole("link", { name: /Revenir à la liste/ }).click();
    await page.locator("[data-message-list]").waitFor({ state: "visible" });
    assert.equal(await page.evaluate(() => window.scrollY), scrolled);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("the keyboard: j/k move, Entrée opens in the pane, ? shows the help; focus visible", async () => {
    const { page, problems, context } = await openWebmail(env, account, { viewport: { width: 1440, height: 900 } });
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await page.keyboard.press("k");
    const focused = page.locator("[data-message-list] > li.is-current");
    const id = Number(await focused.getAttribute("data-message-id"));
    assert.equal(await page.locator("[data-message-list] > li").nth(1).getAttribute("data-message-id"), String(id));
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
    assert.notEqual(outline, "none", "the focused row's link shows its focus");
    await page.keyboard.press("Enter");
    const heading = page.getByRole("heading", { level: 2, name: subjects.get(id) ?? "" });
    await heading.waitFor();
    // The focus moved to the message's title, for a screen reader to read it out.
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains("message-title")), true);
    await page.keyboard.press("?");
    await page.getByRole("columnheader", { name: "Touche" }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("without JavaScript: a message opens in the pane server-rendered, the menus open, the move works", async () => {
    const services = env.server.services;
    const other = await staffWithPassword(services, { prenom: "Basile", nom: "Renard" });
    for (let n = 1; n <= 5; n++) await deliver(services, other, n);
    const archive = await services.mail.createFolder(other.id, "Archives", null);
    const { page, context } = await openWebmail(env, other, {
      javaScriptEnabled: false,
      viewport: { width: 1366, height: 768 },
    });
    await page.getByRole("link", { name: /Message numéro 4/ }).click();
    await page.getByRole("heading", { level: 2, name: /Message numéro 4/ }).waitFor();
    assert.match(page.url(), /\?lire=\d+$/);
    // « Déplacer vers »: the open message (nothing checked) goes to Archives, the pane closes.
    await page.locator(".list-toolbar .move-menu > summary").click();
    await page.getByRole("button", { name: "Archives" }).first().click();
    await page.getByText("1 message déplacé.").waitFor();
    assert.doesNotMatch(page.url(), /lire=/);
    assert.equal((await services.mail.list(other.id, archive.id, null)).items.length, 1);
    // The phone's menu works without JavaScript too (the link to #menu-dossiers).
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByRole("link", { name: "Dossiers" }).click();
    await page.locator("#menu-dossiers").waitFor({ state: "visible" });
    await context.close();
  });

  it("reflow: 320 px wide and 200 % zoom without horizontal scrolling", async () => {
    for (const viewport of [
      { width: 320, height: 640 },
      // 1366×768 at 200 %: 683 CSS pixels wide.
      { width: 683, height: 384 },
    ]) {
      const { page, context } = await openWebmail(env, account, { viewport });
      await assertNoHorizontalScroll(page, `${viewport.width} px`);
      await page.locator("[data-message-link]").first().click();
      await page.locator("[data-reading-pane] .message-title").waitFor();
      await assertNoHorizontalScroll(page, `${viewport.width} px, a message open`);
      await context.close();
    }
  });

  it("reading: the HTML body's frame takes its content's height; attachments as cards, « Télécharger tout » as a ZIP", async () => {
    const services = env.server.services;
    const person = await staffWithPassword(services, { prenom: "Denis", nom: "Papin" });
    const paragraphs = Array.from({ length: 60 }, (_, i) => `<p>Paragraphe ${i + 1} du compte rendu.</p>`).join("");
    const raw = await new MailComposer({
      from: "Claire Fontaine <claire.fontaine@exemple.fr>",
      to: person.address,
      subject: "Compte rendu du conseil d'administration",
      html: `<h1>Compte rendu</h1>${paragraphs}<p>Fin du compte rendu.</p>`,
      attachments: [
        { filename: "budget.pdf", content: Buffer.from("%PDF-1.4 budget"), contentType: "application/pdf" },
        { filename: "présences.csv", content: "nom;présent\nDupont;oui\n", contentType: "text/csv" },
      ],
    })
      .compile()
      .build();
    await services.mail.deliver(raw, [await services.mail.checkRecipient(person.address)]);
    const { page, problems, context } = await openWebmail(env, person, { viewport: { width: 1366, height: 768 } });
    await page.getByRole("link", { name: /Compte rendu du conseil/ }).click();
    const frame = page.locator("iframe.message-frame.is-fitted");
    await frame.waitFor();
    await page.frameLocator("iframe.message-frame").getByText("Fin du compte rendu.").waitFor();
    // No inner scroll bar: the frame is as tall as its document.
    const sizes = await frame.evaluate((el) => {
      const doc = (el as HTMLIFrameElement).contentDocument?.documentElement;
      return {
        frame: el.getBoundingClientRect().height,
        content: doc?.scrollHeight ?? 0,
        client: doc?.clientHeight ?? 0,
      };
    });
    assert.ok(sizes.content > 1000, `a long message (${sizes.content}px)`);
    assert.ok(sizes.content <= sizes.client + 1, `no inner scrolling: ${JSON.stringify(sizes)}`);
    // Attachments as cards: kind, name, size; and all of them at once.
    const cards = page.locator(".attachment-card");
    assert.equal(await cards.count(), 2);
    await cards.filter({ hasText: "budget.pdf" }).getByText("PDF", { exact: true }).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Télécharger les 2 pièces jointes (fichier ZIP)" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "Compte rendu du conseil d'administration.zip");
    await expectAccessible(page, "an HTML message with attachments", { sandboxedFrame: true });
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("conversations: grouped with their count in the list, the thread in the pane; the compact density shows more", async () => {
    const services = env.server.services;
    const person = await staffWithPassword(services, { prenom: "Chloé", nom: "Marchand" });
    const start = await deliver(services, person, 1, { subject: "Voyage à Lyon", minutesAgo: 50 });
    const reply = await deliver(services, person, 2, {
      subject: "Re: Voyage à Lyon",
      inReplyTo: start.messageId,
      minutesAgo: 40,
    });
    await deliver(services, person, 3, { subject: "Re: Voyage à Lyon", inReplyTo: reply.messageId, minutesAgo: 30 });
    for (let n = 4; n <= 30; n++) await deliver(services, person, n, { minutesAgo: 100 + n });
    const cc = Array.from({ length: 17 }, (_, i) => `collegue${i}@ac-exemple.fr`);
    await deliver(services, person, 31, { subject: "Réunion des professeurs principaux", cc, minutesAgo: 200 });
    await services.settings.updateDisplay(person.id, {
      readingPane: "right",
      groupByConversation: true,
      density: "compact",
      showSize: true,
    });
    const { page, problems, context } = await openWebmail(env, person, { viewport: { width: 1366, height: 768 } });
    // The list is in arrival order: the conversation's newest came before the others.
    const first = page.locator("[data-message-list] > li").filter({ hasText: "Voyage à Lyon" });
    await first.getByText("Conversation de 3 messages, dont 3 non lus").waitFor();
    assert.equal(await page.locator("[data-message-list] > li").count(), 29);
    const rows = await fullyVisibleRows(page);
    assert.ok(rows >= 19, `compact: ${rows} rows fully visible`);
    // The size on demand.
    await first.locator(".message-size").waitFor();
    await first.locator("[data-message-link]").click();
    const thread = page.getByRole("region", { name: /Conversation/ });
    await thread.waitFor();
    assert.equal(await thread.locator("li").count(), 2);
    // Recipients past three collapsed: « et 14 autres », expandable.
    await page.getByRole("link", { name: /Réunion des professeurs principaux/ }).click();
    const more = page.getByText("et 14 autres");
    await more.waitFor();
    assert.equal(await page.getByText("collegue16@ac-exemple.fr").isVisible(), false);
    await more.click();
    await page.getByText(/collegue16@ac-exemple\.fr/).waitFor();
    await expectAccessible(page, "conversations, compact");
    assert.deepEqual(problems, []);
    await context.close();
  });
});
