/**
 * Reading mail in Chromium: a message sent over SMTP to the running server appears in
 * the Boîte de réception, opens (HTML in its sandboxed frame, remote images on request, an
 * attachment downloaded), is found by search, moved, deleted; folders are managed; the keyboard
 * shortcuts and drag-and-drop work; axe-core finds nothing on any page; and one journey runs with
 * JavaScript off, 320 px wide, in the dark scheme.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import type Mail from "nodemailer/lib/mailer/index.js";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import {
  type BrowserEnv,
  expectAccessible,
  expectDarkScheme,
  field,
  openBrowserEnv,
  signInWebmail,
  watchConsole,
} from "../helpers/browser.js";
import { transport } from "../helpers/smtp.js";
import { staffWithPassword } from "../helpers/web.js";

/** Stored straight through the service (the SMTP path has its own journey). */
async function deliver(services: Services, account: Account, options: Mail.Options): Promise<number> {
  const raw = await new MailComposer({
    from: "Claire Fontaine <claire.fontaine@exemple.fr>",
    to: account.address,
    ...options,
  })
    .compile()
    .build();
  const [id] = (await services.mail.deliver(raw, [await services.mail.checkRecipient(account.address)])).messageIds;
  assert.ok(id);
  return id;
}

async function folderOf(services: Services, account: Account, id: number): Promise<string> {
  const folders = await services.mail.folders(account.id);
  const view = await services.mail.open(account.id, id, { markSeen: false });
  return folders.find((f) => f.id === view.folderId)?.name ?? "";
}

describe("reading mail (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
  });
  after(async () => {
    await env.close();
  });

  it("a message sent over SMTP appears, opens, is found, moved and deleted; folders are managed", async () => {
    const services = env.server.services;
    const account = await staffWithPassword(services, { prenom: "Irène", nom: "Joliot" });
    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    // The tracking image is asked for only once the reader allows remote images.
    const remoteRequests: string[] = [];
    page.on("request", (req) => {
      if (req.url().startsWith("https://pisteur.example/")) remoteRequests.push(req.url());
    });
    await signInWebmail(page, account);
    await page.getByText("Aucun message dans ce dossier.").waitFor();
    await expectAccessible(page, "empty inbox");

    // Sent by a real SMTP client to the server's own SMTP port.
    const smtp = transport(env.server.smtpPort);
    await smtp.sendMail({
      from: "Marie Curie <marie.curie@exemple.fr>",
      to: account.address,
      subject: "Résultats du radium",
      text: "Bonjour, voici les résultats.",
      html: '<p>Bonjour, voici <strong>les résultats</strong>.</p><p><img src="https://pisteur.example/p.gif" alt="Logo du laboratoire"></p>',
      attachments: [{ filename: "mesures été.csv", content: "élément;masse\nradium;226\n", contentType: "text/csv" }],
    });
    smtp.close();

    await page.reload();
    const link = page.getByRole("link", { name: /Résultats du radium/ });
    await link.waitFor();
    await page.getByRole("link", { name: "Boîte de réception, 1 non lu" }).waitFor();
    // Unread: bold with a dot, and « non lu » said to screen readers.
    await page.locator("li.message--unread").filter({ hasText: "Résultats du radium" }).waitFor();
    await page.getByText(/utilisés sur 1 Go/).waitFor();
    await expectAccessible(page, "inbox with a message");

    // Open (in the reading pane): headers, the HTML body in its frame, remote images held back until asked for.
    await link.click();
    await page.getByRole("heading", { name: "Résultats du radium", level: 2 }).waitFor();
    await page.getByText("Marie Curie <marie.curie@exemple.fr>").waitFor();
    const frame = page.frameLocator('iframe[title="Contenu du message"]');
    await frame.getByText("les résultats").waitFor();
    await page.getByText(/les images et contenus distants de ce message ont été bloqués/).waitFor();
    await expectAccessible(page, "reading view", { sandboxedFrame: true });
    assert.deepEqual(remoteRequests, [], "no remote request before the reader allows it");
    await Promise.all([
      page.waitForRequest("https://pisteur.example/p.gif"),
      page.getByRole("link", { name: "Afficher les images distantes" }).click(),
    ]);
    await page.getByText("Les images distantes de ce message sont affichées.").waitFor();
    await frame.getByText("les résultats").waitFor();

    // The attachment downloads under its own name.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: /^mesures été\.csv/ }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "mesures été.csv");

    // Read now: the inbox no longer counts it.
    await page.getByRole("link", { name: "Boîte de réception", exact: true }).waitFor();

    // A folder of one's own.
    await page.getByRole("link", { name: "Gérer les dossiers" }).click();
    await page.getByRole("heading", { name: "Gérer les dossiers" }).waitFor();
    await expectAccessible(page, "folder management");
    await page.getByRole("button", { name: "Créer le dossier" }).click();
    await page.getByText("Saisissez le nom du dossier.").first().waitFor();
    await expectAccessible(page, "folder management with an error");
    await field(page, "Nom du dossier").fill("Laboratoire");
    await page.getByRole("button", { name: "Créer le dossier" }).click();
    await page.getByText("Le dossier a été créé.").waitFor();
    await page.getByRole("link", { name: "Laboratoire", exact: true }).first().waitFor();

    // Found by search (the quick search box), accents ignored.
    await page.getByRole("searchbox", { name: "Rechercher" }).fill("radium resultats");
    await page.getByRole("button", { name: "Rechercher" }).click();
    await page.getByRole("heading", { name: "Rechercher", level: 1 }).waitFor();
    await page.getByText("1 message correspond à votre recherche.").waitFor();
    await page.getByRole("link", { name: /Résultats du radium/ }).waitFor();
    await expectAccessible(page, "search results");
    await page.getByText("Recherche avancée").click();
    await field(page, "Du").fill("31/02/2025");
    await page.getByRole("button", { name: "Rechercher", exact: true }).click();
    await page.getByText("Cette date n'existe pas", { exact: false }).first().waitFor();
    assert.equal(await field(page, "Du").inputValue(), "31/02/2025");
    assert.equal(await field(page, "Rechercher").inputValue(), "radium resultats");
    await expectAccessible(page, "search with a bad date");

    // Moved with the list's form.
    await page.goto("/mail");
    await page.getByLabel("Sélectionner le message « Résultats du radium » de Marie Curie").check();
    await page.locator(".list-toolbar .move-menu > summary").click();
    await page.locator(".list-toolbar .move-menu").getByRole("button", { name: "Laboratoire" }).click();
    await page.getByText("1 message déplacé.").waitFor();
    await page.getByText("Aucun message dans ce dossier.").waitFor();
    await page.getByRole("link", { name: "Laboratoire", exact: true }).first().click();
    await page.getByRole("heading", { name: "Laboratoire", level: 1 }).waitFor();
    await page.getByRole("link", { name: /Résultats du radium/ }).click();
    await page.getByRole("heading", { name: "Résultats du radium", level: 2 }).waitFor();

    // Deleted while open (the list's toolbar acts on it, nothing being checked): to the Corbeille,
    // then the Corbeille emptied after confirming.
    await page.getByRole("button", { name: "Supprimer", exact: true }).click();
    await page.getByText("1 message supprimé.").waitFor();
    await page.getByRole("link", { name: "Corbeille", exact: true }).click();
    await page.getByRole("heading", { name: "Corbeille", level: 1 }).waitFor();
    await page.getByRole("link", { name: /Résultats du radium/ }).waitFor();
    await expectAccessible(page, "Corbeille");
    await page.getByRole("link", { name: "Vider la corbeille" }).click();
    await page.getByText("Le message de la corbeille sera supprimé définitivement.", { exact: false }).waitFor();
    await expectAccessible(page, "empty the Corbeille: confirmation");
    await page.getByRole("button", { name: "Vider définitivement la corbeille" }).click();
    await page.getByText(/La corbeille a été vidée/).waitFor();
    const trash = (await services.mail.folders(account.id)).find((f) => f.role === "trash");
    assert.equal(trash?.total, 0);

    // The remote image itself cannot load here (no network): that failure is expected.
    assert.deepEqual(
      problems.filter((p) => !p.includes("pisteur.example")),
      [],
      "no console error, no CSP violation",
    );
    await context.close();
  });

  it("keyboard shortcuts: ? j k r f Suppr Entrée, never while typing; drag-and-drop to a folder", async () => {
    const services = env.server.services;
    const account = await staffWithPassword(services, { prenom: "Louis", nom: "Pasteur" });
    const first = await deliver(services, account, {
      subject: "Vaccin",
      text: "1",
      date: new Date("2025-01-01T10:00:00Z"),
    });
    const second = await deliver(services, account, {
      subject: "Microbes",
      text: "2",
      date: new Date("2025-01-02T10:00:00Z"),
    });
    const third = await deliver(services, account, {
      subject: "Fermentation",
      text: "3",
      date: new Date("2025-01-03T10:00:00Z"),
    });
    const fourth = await deliver(services, account, {
      subject: "Cristaux",
      text: "4",
      date: new Date("2025-01-04T10:00:00Z"),
    });
    await services.mail.createFolder(account.id, "Recherches", null);
    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await signInWebmail(page, account);
    await page.getByText("Raccourcis clavier disponibles : appuyez sur ? pour les afficher.").waitFor();

    // "?" opens the help; again closes it.
    await page.keyboard.press("?");
    await page.getByRole("cell", { name: "Marquer comme lu / non lu" }).waitFor();
    await expectAccessible(page, "shortcuts help open");
    await page.keyboard.press("?");
    await page.getByRole("cell", { name: "Marquer comme lu / non lu" }).waitFor({ state: "hidden" });

    // Typing in a field never triggers a shortcut.
    const search = page.getByRole("searchbox", { name: "Rechercher" });
    await search.fill("");
    await search.press("j");
    assert.equal(await search.inputValue(), "j");
    assert.equal(await page.locator(".message.is-current").count(), 0);
    await search.fill("");
    await page.locator("h1").click();

    // j / k move through the list (newest first), the current line's link focused.
    const row = (id: number) => page.locator(`li[data-message-id="${id}"]`);
    await page.keyboard.press("j");
    await row(fourth).and(page.locator(".is-current")).waitFor();
    await page.keyboard.press("j");
    await row(third).and(page.locator(".is-current")).waitFor();
    await page.keyboard.press("j");
    await page.keyboard.press("k");
    await row(third).and(page.locator(".is-current")).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.includes("Fermentation")), true);

    // r marks read, f follows, in place.
    await page.keyboard.press("r");
    await row(third).locator("[data-unread-tag]").waitFor({ state: "hidden" });
    await page.getByText("Message marqué comme lu.").waitFor();
    await page.getByRole("link", { name: "Boîte de réception, 3 non lus" }).waitFor();
    await page.keyboard.press("f");
    await row(third).locator("[data-flag-mark]").waitFor();
    const inbox = (await services.mail.folders(account.id)).find((f) => f.role === "inbox");
    assert.ok(inbox);
    const listed = await services.mail.list(account.id, inbox.id, null);
    const flags = listed.items.find((m) => m.id === third)?.flags;
    assert.deepEqual([flags?.seen, flags?.flagged], [true, true]);

    // Suppr deletes the current line; the next one becomes current.
    await page.keyboard.press("Delete");
    await row(third).waitFor({ state: "detached" });
    await row(second).and(page.locator(".is-current")).waitFor();
    assert.equal(await folderOf(services, account, third), "Corbeille");

    // Entrée opens the current message in the reading pane; f still acts on it in place.
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Microbes", level: 2 }).waitFor();
    await page.keyboard.press("f");
    await row(second).locator("[data-flag-mark]").waitFor();
    await page.keyboard.press("f");
    await row(second).locator("[data-flag-mark]").waitFor({ state: "hidden" });

    // On a message's own page, f and r press the page's buttons.
    await page.goto(`/mail/messages/${second}`);
    await page.getByRole("heading", { name: "Microbes", level: 1 }).waitFor();
    await page.keyboard.press("f");
    await page.getByText("1 message suivi.").waitFor();
    await page.getByText("Plus", { exact: true }).click();
    await page.getByRole("button", { name: "Ne plus suivre" }).waitFor();
    await page.keyboard.press("Escape");
    await page.keyboard.press("r");
    await page.getByText("1 message marqué comme non lu.").waitFor();
    await page.getByRole("heading", { name: "Boîte de réception", level: 1 }).waitFor();

    // Drag-and-drop of a line onto a folder of the list posts the move form.
    await page
      .locator(`li[data-message-id="${first}"] .message-link`)
      .dragTo(page.locator(".mail-nav a.folder-link", { hasText: "Recherches" }));
    await page.getByText("1 message déplacé.").waitFor();
    assert.equal(await folderOf(services, account, first), "Recherches");

    // The shortcuts can be turned off (WCAG 2.1.4).
    await page.getByText("Raccourcis clavier", { exact: true }).click();
    await page.getByLabel("Activer les raccourcis clavier à une touche").uncheck();
    await page.locator("h1").click();
    await page.keyboard.press("j");
    assert.equal(await page.locator(".message.is-current").count(), 0);

    assert.deepEqual(problems, [], "no console error, no CSP violation");
    await context.close();
  });

  it("works with JavaScript disabled, at 320 px wide, in the dark scheme", async () => {
    const services = env.server.services;
    const account = await staffWithPassword(services, { prenom: "Simone", nom: "Veil" });
    await deliver(services, account, {
      subject: "Ordre du jour du conseil pédagogique de jeudi prochain avec un objet très long",
      text: "Bonjour,\nvoici l'ordre du jour : https://exemple.fr/un/lien/tres/long/qui/ne/doit/pas/deborder/de/la/page",
      attachments: [
        { filename: "ordre-du-jour.pdf", content: Buffer.from("%PDF-1.4"), contentType: "application/pdf" },
      ],
    });
    const context = await env.browser.newContext({
      baseURL: env.baseUrl,
      locale: "fr-FR",
      javaScriptEnabled: false,
      viewport: { width: 320, height: 640 },
      colorScheme: "dark",
    });
    const page = await context.newPage();
    const noOverflow = async (what: string) => {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${what} is ${overflow}px wider than the viewport`);
    };
    await signInWebmail(page, account);
    await noOverflow("the inbox");
    await expectDarkScheme(page, "the inbox");

    await page.getByRole("link", { name: /Ordre du jour du conseil/ }).click();
    await page.getByRole("heading", { name: /Ordre du jour du conseil/, level: 2 }).waitFor();
    await page.locator(".reading").getByText("voici l'ordre du jour", { exact: false }).waitFor();
    await noOverflow("the reading view");
    await expectDarkScheme(page, "the reading view");

    // Mark unread from the open message (its « Plus » menu), then move it with the list's form.
    await page.locator(".reading-more > summary").click();
    await page.getByRole("button", { name: "Marquer comme non lu" }).click();
    await page.getByText("1 message marqué comme non lu.").waitFor();
    // Back to the list (opening it again would read it again).
    assert.equal(await page.locator(".reading").count(), 0);
    await page.getByLabel(/^Sélectionner le message « Ordre du jour/).check();
    await page.locator(".list-toolbar .move-menu > summary").click();
    await page.locator(".list-toolbar .move-menu").getByRole("button", { name: "Indésirables" }).click();
    await page.getByText("1 message déplacé.").waitFor();

    // The shortcuts' help is there without JavaScript too.
    await page.getByText("Raccourcis clavier", { exact: true }).click();
    await page.getByRole("cell", { name: "Suivre / Ne plus suivre" }).waitFor();

    // Search, with a bad date said at its field.
    await page.goto("/mail/recherche");
    await page.getByText("Recherche avancée").click();
    await field(page, "Au").fill("2025/13/45");
    await page.getByRole("button", { name: "Rechercher", exact: true }).click();
    await page.getByText("Écrivez la date au format JJ/MM/AAAA", { exact: false }).first().waitFor();
    await noOverflow("the search page");
    await field(page, "Au").fill("");
    await field(page, "Rechercher").fill("conseil");
    await page.getByRole("button", { name: "Rechercher", exact: true }).click();
    await page.getByText("1 message correspond à votre recherche.").waitFor();

    // Delete, then empty the Corbeille through its confirmation page.
    await page.getByLabel(/^Sélectionner le message « Ordre du jour/).check();
    await page.getByRole("button", { name: "Supprimer", exact: true }).click();
    await page.getByText("1 message supprimé.").waitFor();
    await page.goto("/mail/corbeille");
    await page.getByRole("link", { name: "Vider la corbeille" }).click();
    await page.getByRole("button", { name: "Vider définitivement la corbeille" }).click();
    await page.getByText(/La corbeille a été vidée/).waitFor();
    await page.getByRole("button", { name: "Se déconnecter" }).click();
    await page.getByText("Vous êtes déconnecté.", { exact: false }).waitFor();
    await context.close();
  });

  it("at 320 px in the dark scheme: no horizontal scrolling and axe-core clean on every mail page", async () => {
    // axe-core needs JavaScript in the page: the same pages, scripts on, as narrow and dark.
    const services = env.server.services;
    const account = await staffWithPassword(services, { prenom: "Rosalind", nom: "Franklin" });
    const id = await deliver(services, account, {
      subject: "Diffraction des rayons X sur les fibres d'ADN — premiers clichés",
      html: "<h1>Cliché 51</h1><p>Voir la pièce jointe.</p>",
      text: "Cliché 51",
      attachments: [{ filename: "cliche-51.png", content: Buffer.from("89504e47", "hex"), contentType: "image/png" }],
    });
    await services.mail.createFolder(account.id, "Cristallographie", null);
    const context = await env.browser.newContext({
      baseURL: env.baseUrl,
      locale: "fr-FR",
      viewport: { width: 320, height: 640 },
      colorScheme: "dark",
    });
    const page = await context.newPage();
    const problems = watchConsole(page);
    const check = async (what: string, withFrame = false) => {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${what} is ${overflow}px wider than the viewport`);
      await (withFrame ? expectAccessible(page, what, { sandboxedFrame: true }) : expectAccessible(page, what));
    };
    await signInWebmail(page, account);
    await expectDarkScheme(page, "inbox (scripts on)");
    await check("inbox (320 px, dark)");
    await page.getByRole("link", { name: /Diffraction des rayons X/ }).click();
    await page.getByRole("heading", { name: /Diffraction des rayons X/, level: 2 }).waitFor();
    await page.frameLocator('iframe[title="Contenu du message"]').getByText("Cliché 51").waitFor();
    await check("reading view (320 px, dark)", true);
    await page.goto("/mail/recherche?q=clich%C3%A9&du=32%2F01%2F2025");
    await page.getByText("Cette date n'existe pas", { exact: false }).first().waitFor();
    await check("search with an error (320 px, dark)");
    await page.goto("/mail/dossiers");
    await check("folder management (320 px, dark)");
    await page.goto(
      `/mail/dossiers/${(await services.mail.folders(account.id)).find((f) => f.name === "Cristallographie")?.id}/supprimer`,
    );
    await page.getByRole("button", { name: "Supprimer le dossier" }).waitFor();
    await check("delete a folder: confirmation (320 px, dark)");
    assert.ok(id > 0);
    assert.deepEqual(problems, [], "no console error, no CSP violation");
    await context.close();
  });
});
