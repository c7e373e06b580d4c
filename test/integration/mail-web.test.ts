/**
 * Reading mail at /mail through app.inject, on SQLite and
 * PostgreSQL: folder lists with counts and quota, keyset pages, actions on several messages,
 * folder management, the reading view and its sandboxed frame, downloads, search — what a person
 * reads, what the browser is told, and the mailbox's state after.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import type Mail from "nodemailer/lib/mailer/index.js";
import type { Account } from "../../src/directory/directory.types.js";
import { FRAME_SANDBOX, frameContentSecurityPolicy } from "../../src/mail/html-sanitizer.js";
import type { Folder } from "../../src/mail/mail.types.js";
import type { Services } from "../../src/services.js";
import { fr } from "../../src/web/i18n/fr.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import {
  accountOf,
  inputValue,
  linksTo,
  nextMailboxIp,
  seedStaff,
  signedInClient,
  testApp,
  textOf,
  textOfId,
  unescapeHtml,
  uniqueStaff,
  WebClient,
} from "../helpers/web.js";

const signedIn = signedInClient;

function compose(options: Mail.Options): Promise<Buffer> {
  return new MailComposer({ from: "Claire Fontaine <claire.fontaine@exemple.fr>", ...options }).compile().build();
}

/** Delivers one message to the account; its id. */
async function deliver(services: Services, account: Account, options: Mail.Options): Promise<number> {
  const recipient = await services.mail.checkRecipient(account.address);
  const raw = await compose({ to: account.address, ...options });
  const [id] = (await services.mail.deliver(raw, [recipient])).messageIds;
  assert.ok(id);
  return id;
}

async function folder(services: Services, account: Account, role: Folder["role"] | string): Promise<Folder> {
  const all = await services.mail.folders(account.id);
  const found = all.find((f) => f.role === role || (f.role === null && f.name === role));
  assert.ok(found, `folder ${role}`);
  return found;
}

/** The subjects of a list page, in order. */
function subjects(html: string): string[] {
  return [...html.matchAll(/<span class="message-subject"[^>]*>([\s\S]*?)<\/span>/g)].map((m) =>
    unescapeHtml(m[1] ?? ""),
  );
}

/** The `<a>` of the folder list whose folder id is `id` (its whole markup). */
function folderLink(html: string, id: number): string {
  return new RegExp(`<a [^>]*data-folder-id="${id}"[^>]*>[\\s\\S]*?</a>`).exec(html)?.[0] ?? "";
}

function location(res: LightMyRequestResponse): string {
  return String(res.headers.location ?? "");
}

for (const dialect of DIALECTS) {
  describe(`webmail reading (${dialect})`, () => {
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

    it("keeps the sign-in rules: no session → /, expired → /?expire, forced change → the change page", async () => {
      const anonymous = new WebClient(app, nextMailboxIp());
      for (const url of ["/mail", "/mail/dossiers", "/mail/recherche?q=x", "/mail/messages/1", "/mail/corbeille"]) {
        const res = await anonymous.get(url);
        assert.equal(res.statusCode, 303, url);
        assert.equal(location(res), "/", url);
      }
      const stale = new WebClient(app, nextMailboxIp());
      stale.cookies.set("sesame", "not-a-session");
      assert.equal(location(await stale.get("/mail")), "/?expire");

      const row = uniqueStaff();
      await seedStaff(services, [row]);
      const account = await accountOf(services, row);
      const forced = new WebClient(app, nextMailboxIp());
      const login = await forced.login(account.username, row.numen);
      assert.equal(location(login), "/changer-mot-de-passe");
      assert.equal(location(await forced.get("/mail")), "/changer-mot-de-passe");
      assert.equal(location(await forced.get("/mail/messages/1")), "/changer-mot-de-passe");
    });

    it("the inbox: folders with unread counts, quota, newest first, unread and attachments said in words", async () => {
      const { account, c } = await signedIn(services, app, { prenom: "Lucie", nom: "Aubrac" });
      await deliver(services, account, {
        subject: "Réunion de rentrée",
        text: "Bonjour",
        date: new Date("2025-09-01T08:00:00Z"),
      });
      await deliver(services, account, {
        subject: "Emploi du temps",
        text: "Voir la pièce jointe",
        date: new Date("2025-09-02T08:00:00Z"),
        attachments: [{ filename: "edt.pdf", content: Buffer.from("%PDF-1.4 test"), contentType: "application/pdf" }],
      });
      const read = await deliver(services, account, {
        subject: "Sortie scolaire",
        text: "Lu",
        date: new Date("2025-09-03T08:00:00Z"),
      });
      await services.mail.setFlags(account.id, [read], { seen: true });

      const res = await c.get("/mail?mot-de-passe-modifie");
      assert.equal(res.statusCode, 200);
      const html = res.body;
      const text = textOf(html);
      assert.match(html, /<html lang="fr"/);
      assert.match(html, /<h1>Boîte de réception<\/h1>/);
      assert.ok(text.includes(fr.password.changed), text);
      assert.ok(text.includes(account.address));
      assert.ok(text.includes("Se déconnecter"));
      // Newest first.
      assert.deepEqual(subjects(html), ["Sortie scolaire", "Emploi du temps", "Réunion de rentrée"]);
      // The folder list: every special folder, the inbox's accessible name with its unread count.
      const inbox = await folder(services, account, "inbox");
      const inboxLink = folderLink(html, inbox.id);
      assert.match(inboxLink, /aria-label="Boîte de réception, 2 non lus"/);
      assert.match(inboxLink, /aria-current="page"/);
      assert.match(inboxLink, /<span class="folder-count" aria-hidden="true">2<\/span>/);
      for (const name of ["Brouillons", "Envoyés", "Indésirables", "Corbeille"]) assert.ok(text.includes(name), name);
      // Unread lines say so in words (to screen readers; the eye sees bold and a dot), not a badge
      // on every line; the paperclip has a text alternative.
      assert.equal((html.match(/data-unread-tag="true">non lu, </g) ?? []).length, 2);
      assert.equal((html.match(/data-unread-tag="true" hidden>/g) ?? []).length, 1);
      assert.equal((html.match(/class="tag tag--unread"/g) ?? []).length, 0);
      assert.equal((html.match(/<li class="message message--unread/g) ?? []).length, 2);
      assert.ok(text.includes("Pièces jointes"));
      assert.match(html, /<time datetime="2025-09-02T08:00:00.000Z"/);
      // The quota: a meter and its text.
      assert.match(html, /<meter id="quota-jauge"[^>]*max="1073741824"/);
      assert.match(text, /ko utilisés sur 1 Go \(0 %\)/);
      // One checkbox per message, labelled, in one form with the actions.
      assert.equal((html.match(/name="ids"/g) ?? []).length, 3);
      assert.ok(text.includes("Sélectionner le message « Emploi du temps » de Claire Fontaine"));
      for (const label of [
        "Marquer comme lu",
        "Marquer comme non lu",
        "Suivre",
        "Ne plus suivre",
        "Déplacer vers",
        "Supprimer",
      ]) {
        assert.ok(text.includes(label), label);
      }
      // The keyboard shortcuts' help exists without JavaScript.
      assert.match(html, /<details class="shortcuts" id="raccourcis"><summary>Raccourcis clavier<\/summary>/);
      // The main CSP allows the message frame from this site only.
      assert.match(String(res.headers["content-security-policy"]), /frame-src 'self'/);
      assert.match(String(res.headers["content-security-policy"]), /frame-ancestors 'none'/);
    });

    it("pages of 50 with a keyset cursor: « Messages plus anciens », then back to the newest", async () => {
      const { account, c } = await signedIn(services, app);
      const recipient = await services.mail.checkRecipient(account.address);
      for (let i = 1; i <= 53; i++) {
        const raw = await compose({
          to: account.address,
          subject: `Message ${String(i).padStart(2, "0")}`,
          text: "x",
          date: new Date(Date.UTC(2025, 0, 1, 0, i)),
        });
        await services.mail.deliver(raw, [recipient]);
      }
      const first = await c.get("/mail");
      const page1 = subjects(first.body);
      assert.equal(page1.length, 50);
      assert.equal(page1[0], "Message 53");
      assert.equal(page1[49], "Message 04");
      const [older] = linksTo(first.body, "Messages plus anciens");
      assert.ok(older, "a link to older messages");
      assert.match(older, /^\/mail\?avant=\d+$/);
      assert.equal(linksTo(first.body, "Messages les plus récents").length, 0);
      const second = await c.get(older);
      assert.deepEqual(subjects(second.body), ["Message 03", "Message 02", "Message 01"]);
      assert.equal(linksTo(second.body, "Messages plus anciens").length, 0);
      assert.deepEqual(linksTo(second.body, "Messages les plus récents"), ["/mail"]);
      // The actions on that page come back to it.
      assert.equal(inputValue(second.body, "retour"), older);
      // A cursor that is not a number is bad input, not a crash.
      assert.equal((await c.get("/mail?avant=abc")).statusCode, 400);
      assert.equal((await c.get("/mail?avant=1&avant=2")).statusCode, 400);
    });

    it("actions on checked messages: read, unread, follow, move, delete, then empty the Corbeille after a confirmation", async () => {
      const { account, c } = await signedIn(services, app);
      const a = await deliver(services, account, { subject: "Premier", text: "1" });
      const b = await deliver(services, account, { subject: "Deuxième", text: "2" });
      const inbox = await folder(services, account, "inbox");
      await c.get("/mail");
      const post = (form: Record<string, string>, ids: number[]) =>
        c.send({
          method: "POST",
          url: "/mail/actions",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          payload: `${new URLSearchParams({ _csrf: c.csrf, retour: "/mail", ...form }).toString()}${ids.map((id) => `&ids=${id}`).join("")}`,
        });

      const read = await post({ action: "lu" }, [a, b]);
      assert.equal(read.statusCode, 303);
      assert.equal(location(read), "/mail?fait=lus&n=2");
      assert.equal((await folder(services, account, "inbox")).unread, 0);
      const after = await c.get(location(read));
      assert.ok(textOf(after.body).includes("2 messages marqués comme lus."));
      assert.match(after.body, /role="status"/);

      assert.equal(location(await post({ action: "non-lu" }, [a])), "/mail?fait=non-lus&n=1");
      assert.equal((await folder(services, account, "inbox")).unread, 1);
      await post({ action: "suivre" }, [b]);
      let page = await services.mail.list(account.id, inbox.id, null);
      assert.equal(page.items.find((m) => m.id === b)?.flags.flagged, true);
      const listed = await c.get("/mail");
      assert.ok(textOf(listed.body).includes("Suivi"));
      await post({ action: "ne-plus-suivre" }, [b]);
      page = await services.mail.list(account.id, inbox.id, null);
      assert.equal(page.items.find((m) => m.id === b)?.flags.flagged, false);

      // Nothing checked, or no destination: a French message on the page, nothing changed.
      const none = await post({ action: "lu" }, []);
      assert.equal(location(none), "/mail?erreur=selection");
      assert.ok(textOf((await c.get(location(none))).body).includes(fr.mail.noSelection));
      assert.equal(location(await post({ action: "deplacer", destination: "" }, [a])), "/mail?erreur=destination");

      // Move to a folder of one's own.
      const created = await services.mail.createFolder(account.id, "Projets", null);
      const moved = await post({ action: "deplacer", destination: String(created.id) }, [a]);
      assert.equal(location(moved), "/mail?fait=deplaces&n=1");
      assert.equal((await folder(services, account, "Projets")).total, 1);
      const projets = await c.get(`/mail/dossiers/${created.id}`);
      assert.deepEqual(subjects(projets.body), ["Premier"]);
      assert.match(projets.body, /<h1>Projets<\/h1>/);

      // Delete: to the Corbeille.
      const removed = await post({ action: "supprimer" }, [a, b]);
      assert.equal(location(removed), "/mail?fait=supprimes&n=2");
      const trash = await folder(services, account, "trash");
      assert.equal(trash.total, 2);
      const trashPage = await c.get("/mail/corbeille");
      assert.match(trashPage.body, /<h1>Corbeille<\/h1>/);
      assert.ok(textOf(trashPage.body).includes("Supprimer définitivement"));
      const [emptyLink] = linksTo(trashPage.body, "Vider la corbeille");
      assert.equal(emptyLink, "/mail/corbeille/vider");
      // The confirmation step (works without JavaScript), then the Corbeille is emptied for good.
      const confirm = await c.get("/mail/corbeille/vider");
      assert.equal(confirm.statusCode, 200);
      assert.ok(textOf(confirm.body).includes("Les 2 messages de la corbeille seront supprimés définitivement."));
      const emptied = await c.post("/mail/corbeille/vider", {});
      assert.equal(location(emptied), "/mail/corbeille?fait=corbeille-videe&n=2");
      assert.equal((await folder(services, account, "trash")).total, 0);
      assert.ok(textOf((await c.get(location(emptied))).body).includes("La corbeille a été vidée"));
    });

    it("bad actions: unknown action or id → 400, another account's ids are ignored, the way back stays on /mail", async () => {
      const { account, c } = await signedIn(services, app);
      const other = await signedIn(services, app);
      const theirs = await deliver(services, other.account, { subject: "Confidentiel", text: "secret" });
      await c.get("/mail");
      assert.equal((await c.post("/mail/actions", { action: "detruire", ids: "1" })).statusCode, 400);
      assert.equal((await c.post("/mail/actions", { action: "lu", ids: "abc" })).statusCode, 400);
      assert.equal((await c.post("/mail/actions", { action: "lu", ids: "-4" })).statusCode, 400);
      const ignored = await c.post("/mail/actions", { action: "supprimer", ids: String(theirs), retour: "/mail" });
      assert.equal(location(ignored), "/mail?fait=supprimes&n=0");
      assert.equal((await folder(services, other.account, "inbox")).total, 1);
      // Never a redirect off the webmail.
      for (const retour of ["https://evil.example/", "//evil.example/mail", "/mail/../admin", "/maildrop"]) {
        const res = await c.post("/mail/actions", { action: "lu", ids: String(theirs), retour });
        assert.match(location(res), /^\/mail\?fait=lus&n=0$/, retour);
      }
      // A move to another account's folder is a 404 (the folder "does not exist").
      const mine = await deliver(services, account, { subject: "À moi", text: "x" });
      const theirInbox = await folder(services, other.account, "inbox");
      const foreign = await c.post("/mail/actions", {
        action: "deplacer",
        ids: String(mine),
        destination: String(theirInbox.id),
      });
      assert.equal(foreign.statusCode, 404);
      // Without the CSRF token: refused.
      assert.equal((await c.post("/mail/actions", { _csrf: "x", action: "lu", ids: String(mine) })).statusCode, 403);
    });

    it("the page script's requests get JSON (r, f, Suppr in the list)", async () => {
      const { account, c } = await signedIn(services, app);
      const id = await deliver(services, account, { subject: "Raccourci", text: "x" });
      await c.get("/mail");
      const res = await c.post("/mail/actions", { action: "lu", ids: String(id) }, { "x-csrf-token": c.csrf });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { changed: 1 });
      const none = await c.post("/mail/actions", { action: "lu" }, { "x-csrf-token": c.csrf });
      assert.equal(none.statusCode, 400);
      assert.deepEqual(none.json(), { error: fr.mail.noSelection });
    });

    it("folders: create (with a parent), errors at the field, rename, delete after a confirmation; special folders stay", async () => {
      const { account, c } = await signedIn(services, app);
      const page = await c.get("/mail/dossiers");
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<h1>Gérer les dossiers<\/h1>/);
      assert.ok(textOf(page.body).includes("Vous n'avez pas encore créé de dossier."));

      const made = await c.post("/mail/dossiers", { nom: "Classes", parent: "" });
      assert.equal(location(made), "/mail/dossiers?fait=dossier-cree");
      const classes = await folder(services, account, "Classes");
      const sub = await c.post("/mail/dossiers", { nom: "3e B", parent: String(classes.id) });
      assert.equal(sub.statusCode, 303);
      const third = await folder(services, account, "3e B");
      assert.equal(third.parentId, classes.id);
      // Nested in the folder list (a list inside the parent's item).
      const list = await c.get("/mail");
      assert.match(
        list.body,
        new RegExp(
          `data-folder-id="${classes.id}"[\\s\\S]*?</a><ul class="folder-list folder-list--nested"><li><a [^>]*data-folder-id="${third.id}"`,
        ),
      );

      // Errors in French, tied to the field, the value kept.
      const duplicate = await c.post("/mail/dossiers", { nom: "classes", parent: "" });
      assert.equal(duplicate.statusCode, 409);
      assert.equal(textOfId(duplicate.body, "champ-nom-erreur"), `Erreur : ${fr.codes.FOLDER_EXISTS}`);
      assert.equal(inputValue(duplicate.body, "nom"), "classes");
      assert.match(duplicate.body, /<title>Erreur : /);
      const slash = await c.post("/mail/dossiers", { nom: "a/b", parent: "" });
      assert.equal(slash.statusCode, 400);
      assert.equal(textOfId(slash.body, "champ-nom-erreur"), `Erreur : ${fr.codes.INVALID_FOLDER_NAME}`);
      const empty = await c.post("/mail/dossiers", { nom: "  ", parent: "" });
      assert.equal(empty.statusCode, 400);
      assert.equal(textOfId(empty.body, "champ-nom-erreur"), `Erreur : ${fr.mail.folderNameMissing}`);
      const badParent = await c.post("/mail/dossiers", { nom: "X", parent: "999999999" });
      assert.equal(badParent.statusCode, 400);
      assert.equal(textOfId(badParent.body, "champ-parent-erreur"), `Erreur : ${fr.mail.folderUnknown}`);
      // Nesting has a limit, said at the parent field.
      let deepest = (await services.mail.createFolder(account.id, "Profond", null)).id;
      for (let depth = 0; depth < 12; depth++) {
        const res = await c.post("/mail/dossiers", { nom: `Niveau ${depth}`, parent: String(deepest) });
        if (res.statusCode !== 303) {
          assert.equal(res.statusCode, 400);
          assert.equal(textOfId(res.body, "champ-parent-erreur"), `Erreur : ${fr.mail.folderLimit}`);
          break;
        }
        deepest = (await folder(services, account, `Niveau ${depth}`)).id;
        assert.ok(depth < 11, "nesting stops somewhere");
      }

      // Rename.
      const renamePage = await c.get(`/mail/dossiers/${classes.id}/renommer`);
      assert.equal(inputValue(renamePage.body, "nom"), "Classes");
      const renamed = await c.post(`/mail/dossiers/${classes.id}/renommer`, { nom: "Mes classes" });
      assert.equal(location(renamed), "/mail/dossiers?fait=dossier-renomme");
      assert.equal((await folder(services, account, "Mes classes")).id, classes.id);
      await services.mail.createFolder(account.id, "Archives", null);
      const clash = await c.post(`/mail/dossiers/${classes.id}/renommer`, { nom: "Archives" });
      assert.equal(clash.statusCode, 409);
      assert.equal(textOfId(clash.body, "champ-nom-erreur"), `Erreur : ${fr.codes.FOLDER_EXISTS}`);

      // Special folders cannot be renamed or deleted: no form, the reason said.
      const inbox = await folder(services, account, "inbox");
      for (const url of [`/mail/dossiers/${inbox.id}/renommer`, `/mail/dossiers/${inbox.id}/supprimer`]) {
        const res = await c.get(url);
        assert.equal(res.statusCode, 409, url);
        assert.ok(textOf(res.body).includes(fr.codes.FOLDER_PROTECTED), url);
        assert.equal(inputValue(res.body, "nom"), null);
      }
      const protectedRename = await c.post(`/mail/dossiers/${inbox.id}/renommer`, { nom: "Autre" });
      assert.equal(protectedRename.statusCode, 409);
      assert.ok(textOf(protectedRename.body).includes(fr.codes.FOLDER_PROTECTED));
      assert.equal((await c.post(`/mail/dossiers/${inbox.id}/supprimer`, {})).statusCode, 409);
      assert.equal((await folder(services, account, "inbox")).name, "Boîte de réception");

      // Delete: a confirmation that says what happens, then the messages go to the Corbeille.
      const id = await deliver(services, account, { subject: "Rangé", text: "x" });
      await services.mail.move(account.id, [id], third.id);
      const confirm = await c.get(`/mail/dossiers/${classes.id}/supprimer`);
      assert.equal(confirm.statusCode, 200);
      assert.ok(
        textOf(confirm.body).includes(
          "Son sous-dossier sera supprimé aussi. Son message sera placé dans la corbeille.",
        ),
      );
      const deleted = await c.post(`/mail/dossiers/${classes.id}/supprimer`, {});
      assert.equal(location(deleted), "/mail/dossiers?fait=dossier-supprime");
      const names = (await services.mail.folders(account.id)).map((f) => f.name);
      assert.ok(!names.includes("Mes classes") && !names.includes("3e B"), names.join());
      assert.equal((await folder(services, account, "trash")).total, 1);

      // Unknown or foreign folders: 404.
      const other = await signedIn(services, app);
      const theirs = await services.mail.createFolder(other.account.id, "Privé", null);
      for (const url of [
        `/mail/dossiers/${theirs.id}`,
        `/mail/dossiers/${theirs.id}/renommer`,
        "/mail/dossiers/abc",
        "/mail/dossiers/0",
      ]) {
        const res = await c.get(url);
        assert.equal(res.statusCode, 404, url);
        assert.ok(textOf(res.body).includes(fr.errors.notFoundTitle), url);
      }
      assert.equal((await c.post(`/mail/dossiers/${theirs.id}/supprimer`, {})).statusCode, 404);
      assert.equal((await c.post(`/mail/dossiers/${theirs.id}/renommer`, { nom: "Volé" })).statusCode, 404);
      assert.equal((await folder(services, other.account, "Privé")).id, theirs.id);
    });

    it("the reading view: headers, text, marked as read, actions, the conversation", async () => {
      const { account, c } = await signedIn(services, app);
      const first = await deliver(services, account, {
        subject: "Conseil de classe",
        messageId: "<conseil-1@exemple.fr>",
        cc: "Paul Durand <paul.durand@exemple.fr>",
        text: "Bonjour,\nle conseil a lieu mardi. Détails : https://exemple.fr/conseil\nCordialement",
        date: new Date("2025-10-06T14:05:00Z"),
      });
      const reply = await deliver(services, account, {
        subject: "Re: Conseil de classe",
        inReplyTo: "<conseil-1@exemple.fr>",
        references: "<conseil-1@exemple.fr>",
        text: "Merci",
      });
      const res = await c.get(`/mail/messages/${first}`);
      assert.equal(res.statusCode, 200);
      const html = res.body;
      const text = unescapeHtml(textOf(html));
      assert.match(html, /<h1>Conseil de classe<\/h1>/);
      for (const part of [
        "De Claire Fontaine <claire.fontaine@exemple.fr>",
        `À ${account.address}`,
        "Cc Paul Durand <paul.durand@exemple.fr>",
        "Date 6 octobre 2025 à 16 h 05",
        "Objet Conseil de classe",
        "le conseil a lieu mardi.",
      ]) {
        assert.ok(text.includes(part), `${part} in ${text}`);
      }
      assert.match(html, /<a href="https:\/\/exemple.fr\/conseil" rel="noopener noreferrer nofollow">/);
      assert.doesNotMatch(html, /<iframe/);
      // Opening marked it as read.
      const inbox = await folder(services, account, "inbox");
      const listed = await services.mail.list(account.id, inbox.id, null);
      assert.equal(listed.items.find((m) => m.id === first)?.flags.seen, true);
      // The conversation, with a link to the other message.
      assert.ok(text.includes("Conversation (1 autre message)"), text);
      assert.deepEqual(linksTo(html, "Re: Conseil de classe"), [`/mail/messages/${reply}`]);
      // Actions on the open message.
      assert.equal(inputValue(html, "ids"), String(first));
      const flagged = await c.post("/mail/actions", {
        action: "suivre",
        ids: String(first),
        message: String(first),
        retour: "/mail",
      });
      assert.equal(location(flagged), `/mail/messages/${first}?fait=suivis&n=1`);
      const again = await c.get(location(flagged));
      assert.ok(textOf(again.body).includes("1 message suivi."));
      assert.ok(textOf(again.body).includes("Ne plus suivre"));
      const unread = await c.post("/mail/actions", {
        action: "non-lu",
        ids: String(first),
        message: String(first),
        retour: "/mail",
      });
      assert.equal(location(unread), "/mail?fait=non-lus&n=1");
      assert.equal((await folder(services, account, "inbox")).unread, 2);
    });

    it("HTML mail in a sandboxed frame with its own CSP; remote images only on request", async () => {
      const { account, c } = await signedIn(services, app);
      const id = await deliver(services, account, {
        subject: "Lettre d'information",
        html: '<p>Bonjour <b>à tous</b></p><img src="https://pisteur.example/p.gif" alt="logo"><script>alert(1)</script>',
        text: "Bonjour à tous",
      });
      const res = await c.get(`/mail/messages/${id}`);
      const html = res.body;
      const frame = /<iframe[^>]*>/.exec(html)?.[0] ?? "";
      assert.ok(frame, "an iframe");
      assert.ok(frame.includes(` sandbox="${FRAME_SANDBOX}"`), frame);
      assert.ok(frame.includes(` src="/mail/messages/${id}/contenu"`), frame);
      assert.ok(frame.includes(' title="Contenu du message"'), frame);
      assert.ok(textOf(html).includes(fr.mail.remoteBlocked));
      assert.deepEqual(linksTo(html, "Afficher les images distantes"), [`/mail/messages/${id}?images=1`]);

      const content = await c.get(`/mail/messages/${id}/contenu`);
      assert.equal(content.statusCode, 200);
      assert.equal(content.headers["content-security-policy"], frameContentSecurityPolicy(false));
      assert.equal(content.headers["x-frame-options"], "SAMEORIGIN");
      assert.equal(content.headers["cache-control"], "no-store");
      assert.match(String(content.headers["content-type"]), /^text\/html; charset=utf-8/);
      assert.ok(content.body.includes("à tous"));
      assert.doesNotMatch(content.body, /<script|pisteur\.example/);

      const withImages = await c.get(`/mail/messages/${id}?images=1`);
      assert.match(withImages.body, new RegExp(`src="/mail/messages/${id}/contenu\\?images=1"`));
      assert.equal(linksTo(withImages.body, "Afficher les images distantes").length, 0);
      const remote = await c.get(`/mail/messages/${id}/contenu?images=1`);
      assert.equal(remote.headers["content-security-policy"], frameContentSecurityPolicy(true));
      assert.match(remote.body, /pisteur\.example/);

      // A text-only message has no frame to serve.
      const plain = await deliver(services, account, { subject: "Texte", text: "simple" });
      assert.equal((await c.get(`/mail/messages/${plain}/contenu`)).statusCode, 404);
    });

    it("attachments: listed with their size, downloaded as attachments, never rendered as active content", async () => {
      const { account, c } = await signedIn(services, app);
      const id = await deliver(services, account, {
        subject: "Documents",
        text: "Ci-joint",
        attachments: [
          {
            filename: "Compte rendu élèves.pdf",
            content: Buffer.from("%PDF-1.4 test"),
            contentType: "application/pdf",
          },
          { filename: "page.html", content: Buffer.from("<script>alert(1)</script>"), contentType: "text/html" },
          {
            filename: "dessin.svg",
            content: Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>"),
            contentType: "image/svg+xml",
          },
        ],
      });
      const view = await c.get(`/mail/messages/${id}`);
      const text = textOf(view.body);
      assert.ok(text.includes("Pièces jointes"));
      assert.ok(text.includes("Compte rendu élèves.pdf (13 octets)"), text);
      // The card: its kind (for the eye only), the name and the size.
      const [pdfUrl] = linksTo(view.body, "PDF Compte rendu élèves.pdf (13 octets)");
      assert.equal(pdfUrl, `/mail/messages/${id}/pieces-jointes/0`);

      const pdf = await c.get(`/mail/messages/${id}/pieces-jointes/0`);
      assert.equal(pdf.statusCode, 200);
      assert.equal(pdf.headers["content-type"], "application/pdf");
      assert.equal(
        pdf.headers["content-disposition"],
        `attachment; filename="Compte rendu eleves.pdf"; filename*=UTF-8''Compte%20rendu%20%C3%A9l%C3%A8ves.pdf`,
      );
      assert.equal(pdf.headers["x-content-type-options"], "nosniff");
      assert.equal(pdf.body, "%PDF-1.4 test");
      for (const index of [1, 2]) {
        const risky = await c.get(`/mail/messages/${id}/pieces-jointes/${index}`);
        assert.equal(risky.statusCode, 200);
        assert.equal(risky.headers["content-type"], "application/octet-stream", `attachment ${index}`);
        assert.match(String(risky.headers["content-disposition"]), /^attachment; /);
        assert.match(String(risky.headers["content-security-policy"]), /default-src 'none'; sandbox/);
      }
      for (const bad of ["3", "abc", "-1", "01"]) {
        assert.equal((await c.get(`/mail/messages/${id}/pieces-jointes/${bad}`)).statusCode, 404, bad);
      }
    });

    it("another account's message, an unknown id, a non-numeric id: the same French 404", async () => {
      const { c } = await signedIn(services, app);
      const other = await signedIn(services, app);
      const theirs = await deliver(services, other.account, {
        subject: "Privé",
        html: "<p>secret</p>",
        attachments: [{ filename: "a.txt", content: "x" }],
      });
      for (const url of [
        `/mail/messages/${theirs}`,
        `/mail/messages/${theirs}/contenu`,
        `/mail/messages/${theirs}/pieces-jointes/0`,
        "/mail/messages/999999999",
        "/mail/messages/abc",
        "/mail/messages/1e3",
        "/mail/messages/99999999999999999999",
      ]) {
        const res = await c.get(url);
        assert.equal(res.statusCode, 404, url);
        assert.ok(textOf(res.body).includes(fr.errors.notFound), url);
        assert.ok(!res.body.includes("Privé"), url);
      }
      // Still unread for its owner.
      const inbox = await folder(services, other.account, "inbox");
      assert.equal(inbox.unread, 1);
    });

    it("search: free text with accents folded, advanced criteria, bad dates said at the field with the values kept", async () => {
      const { account, c } = await signedIn(services, app);
      await deliver(services, account, {
        subject: "Café pédagogique",
        text: "Rendez-vous jeudi",
        date: new Date("2025-03-10T09:00:00Z"),
      });
      await deliver(services, account, {
        from: "Marc Lenoir <marc.lenoir@exemple.fr>",
        subject: "Notes du trimestre",
        text: "Les notes sont saisies",
        date: new Date("2025-04-15T09:00:00Z"),
        attachments: [{ filename: "notes.csv", content: "a;b" }],
      });
      const form = await c.get("/mail/recherche");
      assert.equal(form.statusCode, 200);
      assert.match(form.body, /<h1>Rechercher<\/h1>/);
      assert.match(form.body, /<details class="choice advanced-search"><summary>Recherche avancée<\/summary>/);
      assert.ok(textOf(form.body).includes("Tous les dossiers"));
      assert.equal(subjects(form.body).length, 0);

      const cafe = await c.get(`/mail/recherche?q=${encodeURIComponent("cafe")}`);
      assert.equal(cafe.statusCode, 200);
      assert.deepEqual(subjects(cafe.body), ["Café pédagogique"]);
      assert.ok(textOf(cafe.body).includes("1 message correspond à votre recherche."));
      // Each result says its folder; the actions come back to this search.
      assert.ok(textOf(cafe.body).includes("Dossier : Boîte de réception"));
      assert.equal(inputValue(cafe.body, "retour"), "/mail/recherche?q=cafe");
      assert.equal(inputValue(cafe.body, "q"), "cafe");

      const byFrom = await c.get("/mail/recherche?q=&de=lenoir&pj=1&du=01%2F04%2F2025&au=2025-04-15");
      assert.deepEqual(subjects(byFrom.body), ["Notes du trimestre"]);
      assert.match(byFrom.body, /<details class="choice advanced-search" open>/);
      const early = await c.get("/mail/recherche?de=lenoir&au=14%2F04%2F2025");
      assert.deepEqual(subjects(early.body), []);
      assert.ok(textOf(early.body).includes("Aucun message ne correspond à votre recherche."));
      const trash = await folder(services, account, "trash");
      const inTrash = await c.get(`/mail/recherche?q=notes&dossier=${trash.id}`);
      assert.deepEqual(subjects(inTrash.body), []);

      const bad = await c.get(`/mail/recherche?q=notes&du=${encodeURIComponent("31/02/2025")}&au=hier`);
      assert.equal(bad.statusCode, 400);
      assert.equal(textOfId(bad.body, "champ-du-erreur"), `Erreur : ${fr.mail.dateImpossible}`);
      assert.equal(textOfId(bad.body, "champ-au-erreur"), `Erreur : ${fr.mail.dateFormat}`);
      assert.equal(inputValue(bad.body, "du"), "31/02/2025");
      assert.equal(inputValue(bad.body, "au"), "hier");
      assert.equal(inputValue(bad.body, "q"), "notes");
      assert.match(bad.body, /<title>Erreur : /);
      const reversed = await c.get(
        `/mail/recherche?du=${encodeURIComponent("10/04/2025")}&au=${encodeURIComponent("01/04/2025")}`,
      );
      assert.equal(reversed.statusCode, 400);
      assert.equal(textOfId(reversed.body, "champ-au-erreur"), `Erreur : ${fr.mail.dateOrder}`);
      const foreignFolder = await c.get("/mail/recherche?q=notes&dossier=999999999");
      assert.equal(foreignFolder.statusCode, 400);
      assert.equal(textOfId(foreignFolder.body, "champ-dossier-erreur"), `Erreur : ${fr.mail.folderUnknown}`);
      assert.equal((await c.get("/mail/recherche?q=a&q=b")).statusCode, 400);
    });
  });
}
