/**
 * Writing mail at /mail/nouveau through app.inject, on SQLite and PostgreSQL: a new
 * message, reply, reply all, forward inline and as an attachment, attachments (multipart), drafts
 * (on demand, automatic, resumed), and bad input — each error said in French at its field, the
 * values kept, and nothing sent (the recipient's inbox and the sender's Envoyés checked after).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { simpleParser } from "mailparser";
import type { Account } from "../../src/directory/directory.types.js";
import type { FolderRole, MessageSummary } from "../../src/mail/mail.types.js";
import type { Services } from "../../src/services.js";
import { fr } from "../../src/web/i18n/fr.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import {
  linksTo,
  nextMailboxIp,
  signedInClient,
  testApp,
  textOf,
  textOfId,
  unescapeHtml,
  WebClient,
} from "../helpers/web.js";

const signedIn = signedInClient;

async function messagesIn(services: Services, account: Account, role: FolderRole): Promise<MessageSummary[]> {
  const folder = await services.mail.folderByRole(account.id, role);
  return [...(await services.mail.list(account.id, folder.id, null, 200)).items];
}

function location(res: LightMyRequestResponse): string {
  return String(res.headers.location ?? "");
}

/** The value of an input (unescaped; preact leaves ">" as is in attributes), null when absent. */
function inputValue(html: string, name: string): string | null {
  const tag = new RegExp(`<input\\b[^<]*?\\bname="${name}"[^<]*>`).exec(html)?.[0];
  if (tag === undefined) return null;
  return unescapeHtml(/ value="([^"]*)"/.exec(tag)?.[1] ?? "");
}

/** The text of a textarea (unescaped). */
function textareaValue(html: string, name: string): string | null {
  const m = new RegExp(`<textarea\\b[^>]*name="${name}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html);
  return m ? unescapeHtml(m[1] ?? "") : null;
}

interface FilePart {
  readonly name: string;
  readonly content: Buffer | string;
  readonly type?: string;
}

/** Posts the compose form as a browser does: multipart/form-data, with files. */
async function postMultipart(
  c: WebClient,
  url: string,
  fields: Record<string, string | readonly string[]>,
  files: readonly FilePart[] = [],
  options: { csrf?: boolean } = {},
): Promise<LightMyRequestResponse> {
  const data = new FormData();
  if (options.csrf !== false) data.set("_csrf", c.csrf);
  for (const [name, value] of Object.entries(fields)) {
    for (const one of typeof value === "string" ? [value] : value) data.append(name, one);
  }
  if (files.length === 0) data.append("pieces-jointes", new Blob([]), "");
  for (const f of files) {
    data.append(
      "pieces-jointes",
      new Blob([typeof f.content === "string" ? f.content : new Uint8Array(f.content)], {
        type: f.type ?? "application/octet-stream",
      }),
      f.name,
    );
  }
  const request = new Request("http://sesame.invalid/", { method: "POST", body: data });
  const payload = Buffer.from(await request.arrayBuffer());
  return c.send({
    method: "POST",
    url,
    payload,
    headers: { "content-type": request.headers.get("content-type") ?? "" },
  });
}

function blank(over: Record<string, string> = {}): Record<string, string> {
  return { a: "", cc: "", cci: "", objet: "", message: "", action: "envoyer", ...over };
}

for (const dialect of DIALECTS) {
  describe(`webmail compose (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    before(async () => {
      ctx = await openTestServices(dialect, { SESAME_MAIL_MAX_SIZE_MB: "1" });
      services = ctx.services;
      app = await testApp(services);
    });
    after(async () => {
      await app.close();
      await ctx.close();
    });

    it("needs a webmail session, like the rest of /mail", async () => {
      const anonymous = new WebClient(app, nextMailboxIp());
      const res = await anonymous.get("/mail/nouveau");
      assert.equal(res.statusCode, 303);
      assert.equal(location(res), "/");
    });

    it("« Nouveau message » → the form → « Envoyer »: in the recipients' inboxes and the sender's Envoyés", async () => {
      const { account: a, c } = await signedIn(services, app, { prenom: "Lucie", nom: "Aubrac" });
      const { account: b } = await signedIn(services, app, { prenom: "Jean", nom: "Moulin" });
      const { account: d } = await signedIn(services, app, { prenom: "Marie", nom: "Curie" });

      const inbox = await c.get("/mail");
      assert.deepEqual(linksTo(inbox.body, "Nouveau message"), ["/mail/nouveau"]);
      const form = await c.get("/mail/nouveau");
      assert.equal(form.statusCode, 200);
      const html = form.body;
      assert.match(html, /<h1>Nouveau message<\/h1>/);
      assert.match(html, /<form method="post" action="\/mail\/nouveau" enctype="multipart\/form-data"/);
      for (const [name, label] of [
        ["a", "À"],
        ["cc", "Cc"],
        ["cci", "Cci"],
        ["objet", "Objet"],
        ["message", "Message"],
        ["pieces-jointes", "Pièces jointes"],
      ]) {
        assert.match(html, new RegExp(`<label for="champ-${name}">${label}</label>`), label);
      }
      assert.ok(textOf(html).includes("Envoyer"));
      assert.ok(textOf(html).includes("Enregistrer le brouillon"));

      const res = await c.post(
        "/mail/nouveau",
        blank({
          a: `Jean Moulin <${b.address}>`,
          cc: d.address,
          objet: "Conseil de classe",
          message: "Bonjour,\nle conseil a lieu jeudi.\n",
        }),
      );
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(location(res), "/mail?fait=envoye");
      const after = await c.get(location(res));
      assert.ok(textOf(after.body).includes("Message envoyé."));

      for (const who of [b, d]) {
        const got = await messagesIn(services, who, "inbox");
        assert.equal(got.length, 1, who.address);
        assert.equal(got[0]?.subject, "Conseil de classe");
        assert.equal(got[0]?.from?.address, a.address);
      }
      const sent = await messagesIn(services, a, "sent");
      assert.equal(sent.length, 1);
      assert.equal(sent[0]?.subject, "Conseil de classe");
      const view = await services.mail.open(a.id, sent[0]?.id ?? 0, { markSeen: false });
      assert.match(view.text ?? "", /le conseil a lieu jeudi/);
    });

    it("an external recipient's copy is said to wait in the queue", async () => {
      const { account: a, c } = await signedIn(services, app);
      await c.get("/mail/nouveau");
      const res = await c.post(
        "/mail/nouveau",
        blank({ a: "claire.fontaine@exemple.fr", objet: "Invitation", message: "Venez." }),
      );
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(location(res), "/mail?fait=envoye&n=1");
      const page = textOf((await c.get(location(res))).body);
      assert.ok(page.includes("en file d'attente : il partira dès que possible"), page);
      assert.equal((await messagesIn(services, a, "sent")).length, 1);
    });

    it("bad input: a French error at the right field, the values kept, and nothing sent", async () => {
      const { account: a, c } = await signedIn(services, app);
      const { account: b } = await signedIn(services, app);
      await c.get("/mail/nouveau");
      const cases: [Record<string, string>, string, RegExp][] = [
        [{ a: "pas une adresse, ", objet: "Test" }, "a", /Certaines adresses ne sont pas valides/],
        [{ a: b.address, cc: "jean@@exemple", objet: "Test" }, "cc", /Certaines adresses ne sont pas valides/],
        [{ a: b.address, cci: "<script>", objet: "Test" }, "cci", /Certaines adresses ne sont pas valides/],
        [{ a: "", objet: "Sans destinataire" }, "a", /Indiquez au moins un destinataire/],
        [{ a: b.address, objet: "Objet\r\nBcc: victime@exemple.fr" }, "objet", /retour à la ligne/],
        [
          { a: Array.from({ length: 1000 }, (_, i) => `personne${i}@exemple.fr`).join(", "), objet: "Mille" },
          "a",
          /trop de destinataires/,
        ],
      ];
      for (const [fields, at, message] of cases) {
        const res = await c.post("/mail/nouveau", blank({ message: "Texte conservé", ...fields }));
        assert.equal(res.statusCode, 400, JSON.stringify(fields).slice(0, 80));
        const error = textOfId(res.body, `champ-${at}-erreur`) ?? "";
        assert.match(error, message, `${at}: ${error}`);
        assert.match(res.body, new RegExp(`id="champ-${at}"[^>]*aria-invalid="true"`));
        assert.match(res.body, /class="error-summary"/);
        assert.equal(textareaValue(res.body, "message"), "Texte conservé");
        if (fields.a !== undefined && fields.a.length < 200) assert.equal(inputValue(res.body, "a"), fields.a);
      }
      assert.equal((await messagesIn(services, b, "inbox")).length, 0);
      assert.equal((await messagesIn(services, a, "sent")).length, 0);
    });

    it("attachments: sent with the message; empty, oversized and badly named files refused at the field", async () => {
      const { account: a, c } = await signedIn(services, app);
      const { account: b } = await signedIn(services, app);
      await c.get("/mail/nouveau");
      const fields = blank({ a: b.address, objet: "Avec pièces jointes", message: "Voir les fichiers." });

      const refused: [FilePart, RegExp][] = [
        [{ name: "vide.txt", content: "" }, /est vide \(0 octet\)/],
        [{ name: "../../etc/passwd", content: "root" }, /caractères non autorisés/],
        [{ name: "facture\u202Efdp.exe", content: "MZ" }, /caractères non autorisés/],
        [{ name: "bip\u0007.txt", content: "x" }, /caractères non autorisés/],
        [{ name: "gros.bin", content: Buffer.alloc(1024 * 1024 + 10, 1) }, /dépasse la taille maximale \(1 Mo\)/],
      ];
      for (const [file, message] of refused) {
        const res = await postMultipart(c, "/mail/nouveau", fields, [file]);
        assert.equal(res.statusCode, 400, file.name);
        assert.match(textOfId(res.body, "champ-pieces-jointes-erreur") ?? "", message, file.name);
        assert.equal(inputValue(res.body, "objet"), "Avec pièces jointes");
        assert.ok(textOf(res.body).includes(fr.compose.reattach));
      }
      assert.equal((await messagesIn(services, b, "inbox")).length, 0);
      assert.equal((await messagesIn(services, a, "sent")).length, 0);

      // Without the CSRF field, a multipart post is refused like any other form.
      const forged = await postMultipart(c, "/mail/nouveau", fields, [{ name: "a.txt", content: "a" }], {
        csrf: false,
      });
      assert.equal(forged.statusCode, 403);
      // Multipart is accepted by the compose form only.
      const elsewhere = await postMultipart(c, "/mail/dossiers", { nom: "X" });
      assert.equal(elsewhere.statusCode, 415);

      const res = await postMultipart(c, "/mail/nouveau", fields, [
        { name: "compte rendu été.txt", content: "Réunion du 3 mars.", type: "text/plain" },
        { name: "tableau.csv", content: "a;b\n1;2\n", type: "text/csv" },
      ]);
      assert.equal(res.statusCode, 303, res.body);
      const [got] = await messagesIn(services, b, "inbox");
      assert.ok(got?.hasAttachments);
      const view = await services.mail.open(b.id, got.id, { markSeen: false });
      assert.deepEqual(
        view.attachments.map((x) => x.filename),
        ["compte rendu été.txt", "tableau.csv"],
      );
      const file = await services.mail.attachment(b.id, got.id, 0);
      assert.equal(file.content.toString("utf8"), "Réunion du 3 mars.");
      assert.equal((await messagesIn(services, a, "sent")).length, 1);
    });

    it("reply, reply all, forward: prefilled, quoted, answered with In-Reply-To", async () => {
      const { account: a, c: ca } = await signedIn(services, app, { prenom: "Lucie", nom: "Aubrac" });
      const { account: b, c: cb } = await signedIn(services, app, { prenom: "Jean", nom: "Moulin" });
      const { account: d } = await signedIn(services, app, { prenom: "Marie", nom: "Curie" });
      await ca.get("/mail/nouveau");
      const first = await ca.post(
        "/mail/nouveau",
        blank({ a: b.address, cc: d.address, objet: "Sortie au musée", message: "Rendez-vous à 9 h.\n> déjà cité" }),
      );
      assert.equal(first.statusCode, 303, first.body);
      const [received] = await messagesIn(services, b, "inbox");
      assert.ok(received);

      const reading = await cb.get(`/mail/messages/${received.id}`);
      const replies: [string, string][] = [
        ["Répondre", "repondre"],
        ["Répondre à tous", "repondre-a-tous"],
        ["Transférer", "transferer"],
        ["Transférer en pièce jointe", "transferer-en-piece-jointe"],
      ];
      for (const [label, query] of replies) {
        assert.deepEqual(linksTo(reading.body, label), [`/mail/nouveau?${query}=${received.id}`], label);
      }

      const reply = await cb.get(`/mail/nouveau?repondre=${received.id}`);
      assert.equal(reply.statusCode, 200);
      assert.match(reply.body, /<h1>Répondre<\/h1>/);
      assert.equal(inputValue(reply.body, "a"), `Lucie Aubrac <${a.address}>`);
      assert.equal(inputValue(reply.body, "cc"), "");
      assert.equal(inputValue(reply.body, "objet"), "RE: Sortie au musée");
      assert.equal(inputValue(reply.body, "reponse-a"), String(received.id));
      const quoted = textareaValue(reply.body, "message") ?? "";
      assert.match(quoted, /\n\nLe .+ à .+, Lucie Aubrac a écrit :\n> Rendez-vous à 9 h\.\n>> déjà cité/);

      const all = await cb.get(`/mail/nouveau?repondre-a-tous=${received.id}`);
      assert.equal(inputValue(all.body, "a"), `Lucie Aubrac <${a.address}>`);
      assert.equal(inputValue(all.body, "cc"), d.address);

      const forward = await cb.get(`/mail/nouveau?transferer=${received.id}`);
      assert.equal(inputValue(forward.body, "a"), "");
      assert.equal(inputValue(forward.body, "objet"), "TR: Sortie au musée");
      assert.match(textareaValue(forward.body, "message") ?? "", /-------- Message transféré --------\nDe : Lucie/);

      // Replying to all: both get the answer, threaded under the original.
      const sent = await cb.post(
        "/mail/nouveau",
        blank({
          a: inputValue(all.body, "a") ?? "",
          cc: inputValue(all.body, "cc") ?? "",
          objet: inputValue(all.body, "objet") ?? "",
          message: `D'accord.${quoted}`,
          "reponse-a": String(received.id),
        }),
      );
      assert.equal(sent.statusCode, 303, sent.body);
      const answers = (await messagesIn(services, a, "inbox")).filter((m) => m.subject === "RE: Sortie au musée");
      assert.equal(answers.length, 1);
      const answer = await services.mail.open(a.id, answers[0]?.id ?? 0, { markSeen: false });
      const original = await services.mail.open(a.id, (await messagesIn(services, a, "sent"))[0]?.id ?? 0, {
        markSeen: false,
      });
      const raw = (await services.mail.raw(a.id, answer.id)).toString("utf8");
      assert.ok(original.messageId);
      assert.match(raw, new RegExp(`In-Reply-To: <?${original.messageId.replace(/[<>.+]/g, "\\$&")}`, "i"));
      assert.ok(
        answer.thread.some((m) => m.id === original.id),
        "the answer is in the original's conversation",
      );
      assert.equal((await messagesIn(services, d, "inbox")).filter((m) => m.subject.startsWith("RE:")).length, 1);

      // Another account's message cannot be answered: 404.
      assert.equal((await ca.get(`/mail/nouveau?repondre=${received.id}`)).statusCode, 404);
    });

    it("forward as an attachment: the original travels as message/rfc822", async () => {
      const { c: ca } = await signedIn(services, app);
      const { account: b, c: cb } = await signedIn(services, app);
      const { account: d } = await signedIn(services, app);
      await ca.get("/mail/nouveau");
      await ca.post("/mail/nouveau", blank({ a: b.address, objet: "Procès-verbal", message: "Ci-dessous." }));
      const [received] = await messagesIn(services, b, "inbox");
      assert.ok(received);
      const page = await cb.get(`/mail/nouveau?transferer-en-piece-jointe=${received.id}`);
      assert.equal(inputValue(page.body, "transfert-joint"), String(received.id));
      assert.ok(textOf(page.body).includes("Le message « Procès-verbal » sera joint à votre message."));
      const res = await cb.post(
        "/mail/nouveau",
        blank({
          a: d.address,
          objet: "TR: Procès-verbal",
          message: "Pour information.",
          "transfert-joint": String(received.id),
        }),
      );
      assert.equal(res.statusCode, 303, res.body);
      const [got] = await messagesIn(services, d, "inbox");
      assert.ok(got);
      const raw = (await services.mail.raw(d.id, got.id)).toString("utf8");
      assert.match(raw, /Content-Type: message\/rfc822/);
      assert.ok(raw.includes("Ci-dessous."), "the original's text is inside");
    });

    it("drafts: saved on demand and automatically, resumed from Brouillons, removed once sent", async () => {
      const { account: a, c } = await signedIn(services, app);
      const { account: b } = await signedIn(services, app);
      await c.get("/mail/nouveau");
      const saved = await c.post(
        "/mail/nouveau",
        blank({
          a: b.address,
          cci: "secret@exemple.fr",
          objet: "Brouillon de rapport",
          message: "Première version",
          action: "brouillon",
        }),
      );
      assert.equal(saved.statusCode, 303, saved.body);
      const m = /^\/mail\/nouveau\?brouillon=(\d+)&enregistre$/.exec(location(saved));
      assert.ok(m?.[1], location(saved));
      const draftId = Number(m[1]);
      const drafts = await messagesIn(services, a, "drafts");
      assert.deepEqual(
        drafts.map((d) => d.id),
        [draftId],
      );
      assert.equal((await messagesIn(services, b, "inbox")).length, 0, "a draft is not sent");

      const resumed = await c.get(location(saved));
      assert.ok(textOf(resumed.body).includes("Brouillon enregistré."));
      assert.equal(inputValue(resumed.body, "a"), b.address);
      assert.equal(inputValue(resumed.body, "cci"), "secret@exemple.fr");
      assert.equal(inputValue(resumed.body, "objet"), "Brouillon de rapport");
      assert.equal(inputValue(resumed.body, "brouillon"), String(draftId));
      assert.match(textareaValue(resumed.body, "message") ?? "", /^Première version/);

      // The reading view of a draft offers to resume it.
      const reading = await c.get(`/mail/messages/${draftId}`);
      assert.deepEqual(linksTo(reading.body, "Reprendre le brouillon"), [`/mail/nouveau?brouillon=${draftId}`]);
      // A message that is not a draft cannot be resumed as one.
      const sentElsewhere = await c.get(`/mail/nouveau?brouillon=999999999`);
      assert.equal(sentElsewhere.statusCode, 404);

      // The automatic save: JSON, with the script's header; it replaces the draft.
      const autosave = await c.post(
        "/mail/brouillons/enregistrer",
        { a: b.address, objet: "Brouillon de rapport", message: "Deuxième version", brouillon: String(draftId) },
        { "x-csrf-token": c.csrf },
      );
      assert.equal(autosave.statusCode, 200, autosave.body);
      const answer = JSON.parse(autosave.body) as { draftId: number; message: string };
      assert.match(answer.message, /^Brouillon enregistré à \d{2} h \d{2}\.$/);
      const nowDrafts = await messagesIn(services, a, "drafts");
      assert.deepEqual(
        nowDrafts.map((d) => d.id),
        [answer.draftId],
      );
      const forged = await c.post("/mail/brouillons/enregistrer", { message: "x", _csrf: "faux" });
      assert.equal(forged.statusCode, 403);

      // Sent from the draft: gone from Brouillons, in Envoyés and in the recipient's inbox.
      const sent = await c.post(
        "/mail/nouveau",
        blank({ a: b.address, objet: "Rapport", message: "Version finale", brouillon: String(answer.draftId) }),
      );
      assert.equal(sent.statusCode, 303, sent.body);
      assert.equal((await messagesIn(services, a, "drafts")).length, 0);
      assert.equal((await messagesIn(services, a, "sent")).length, 1);
      assert.equal((await messagesIn(services, b, "inbox"))[0]?.subject, "Rapport");
    });

    it("the rich-text mode: the posted HTML arrives sanitized, beside the plain text", async () => {
      const { c } = await signedIn(services, app);
      const { account: b } = await signedIn(services, app);
      const form = await c.get("/mail/nouveau");
      // Hidden without JavaScript: the script shows the toggle and the editor.
      assert.match(form.body, /<div class="rich" hidden data-rich="true">/);
      assert.match(form.body, /role="textbox" aria-multiline="true" aria-labelledby="editeur-message-libelle"/);
      assert.match(form.body, /<input type="hidden" name="html" value data-rich-html/);
      const res = await c.post(
        "/mail/nouveau",
        blank({
          a: b.address,
          objet: "Mise en forme",
          message: "Bonjour Jean\nlien",
          html: '<p>Bonjour <b>Jean</b></p><script>alert(1)</script><a href="https://exemple.fr/" onclick="vol()">lien</a>',
        }),
      );
      assert.equal(res.statusCode, 303, res.body);
      const [got] = await messagesIn(services, b, "inbox");
      assert.ok(got);
      const raw = await services.mail.raw(b.id, got.id);
      assert.match(raw.toString("utf8"), /Content-Type: multipart\/alternative/);
      const parsed = await simpleParser(raw);
      assert.equal(parsed.text?.trim(), "Bonjour Jean\nlien");
      const html = String(parsed.html);
      assert.match(html, /<b>Jean<\/b>/);
      assert.match(html, /<a href="https:\/\/exemple\.fr\/"[^>]*>lien<\/a>/);
      assert.doesNotMatch(html, /script|alert|onclick|vol\(\)/i);

      // Without the rich text, a plain message as before (no HTML part).
      await c.post("/mail/nouveau", blank({ a: b.address, objet: "Simple", message: "Texte", html: "  " }));
      const simple = (await messagesIn(services, b, "inbox")).find((m) => m.subject === "Simple");
      assert.ok(simple);
      assert.equal((await simpleParser(await services.mail.raw(b.id, simple.id))).html, false);
    });

    it("the rich text comes back to the editor after an error and from a resumed draft, sanitized, never as a sent field", async () => {
      const { account: a, c } = await signedIn(services, app);
      const { account: b } = await signedIn(services, app);
      await c.get("/mail/nouveau");
      const posted =
        "<p>Bonjour <b>Jean</b> et <i>Lucie</i></p><ul><li>un</li></ul><script>alert(1)</script>" +
        '<img src="x" onerror="vol()"><a href="javascript:vol()">piège</a><a href="https://exemple.fr/" onclick="vol()">lien</a>' +
        '<span style="color:red">rouge</span>';
      const expected =
        '<p>Bonjour <b>Jean</b> et <i>Lucie</i></p><ul><li>un</li></ul><a>piège</a><a href="https://exemple.fr/">lien</a>rouge';
      const initialOf = (body: string) => {
        const m = /<div class="rich" hidden data-rich="true" data-rich-initial="([^"]*)">/.exec(body);
        return m ? unescapeHtml(m[1] ?? "") : null;
      };
      // An address that cannot be read: the form comes back with the formatted text for the editor.
      const refused = await c.post(
        "/mail/nouveau",
        blank({ a: "pas une adresse", objet: "Mise en forme", message: "Bonjour Jean et Lucie", html: posted }),
      );
      assert.equal(refused.statusCode, 400);
      assert.equal(initialOf(refused.body), expected);
      // Only the script may put it back in the submitted field: without it, the plain text alone goes.
      assert.match(refused.body, /<input type="hidden" name="html" value data-rich-html/);
      assert.equal((await messagesIn(services, b, "inbox")).length, 0);

      // Saved as a draft, then resumed: the editor gets the draft's HTML part back.
      const saved = await c.post(
        "/mail/nouveau",
        blank({
          a: b.address,
          objet: "Brouillon mis en forme",
          message: "Bonjour Jean",
          html: posted,
          action: "brouillon",
        }),
      );
      const draftId = Number(/brouillon=(\d+)/.exec(location(saved))?.[1]);
      assert.ok(draftId > 0, location(saved));
      const resumed = await c.get(`/mail/nouveau?brouillon=${draftId}`);
      assert.equal(resumed.statusCode, 200);
      const initial = initialOf(resumed.body) ?? "";
      assert.match(initial, /<b>Jean<\/b>/);
      assert.match(initial, /<a href="https:\/\/exemple\.fr\/">lien<\/a>/);
      assert.doesNotMatch(initial, /script|alert|onerror|onclick|javascript|vol\(|style|<img/i);
      // A plain draft: no formatted text for the editor.
      const plain = await c.post(
        "/mail/nouveau",
        blank({ a: b.address, objet: "Brouillon simple", message: "Texte", action: "brouillon" }),
      );
      const plainId = Number(/brouillon=(\d+)/.exec(location(plain))?.[1]);
      assert.equal(initialOf((await c.get(`/mail/nouveau?brouillon=${plainId}`)).body), null);
      assert.equal((await messagesIn(services, a, "drafts")).length, 2);
    });

    it("a draft keeps its attachments: listed when resumed, kept by the autosave, sent unless unchecked", async () => {
      const { account: a, c } = await signedIn(services, app);
      const { account: b } = await signedIn(services, app);
      await c.get("/mail/nouveau");
      const files: FilePart[] = [
        { name: "ordre du jour.txt", content: "1. Budget\n2. Sorties", type: "text/plain" },
        { name: "photo.bin", content: Buffer.alloc(3000, 7) },
      ];
      const saved = await postMultipart(
        c,
        "/mail/nouveau",
        blank({ a: b.address, objet: "Réunion", message: "Voir les pièces.", action: "brouillon" }),
        files,
      );
      assert.equal(saved.statusCode, 303, saved.body);
      const draftId = Number(/brouillon=(\d+)/.exec(location(saved))?.[1]);
      const stored = await services.mail.open(a.id, draftId, { markSeen: false });
      assert.deepEqual(
        stored.attachments.map((x) => x.filename),
        ["ordre du jour.txt", "photo.bin"],
      );

      // Resumed: each file listed with its "Conserver" checkbox, checked.
      const resumed = await c.get(location(saved));
      assert.equal(resumed.statusCode, 200);
      const text = textOf(resumed.body);
      assert.ok(text.includes("Pièces jointes du brouillon"));
      assert.ok(text.includes("Conserver « ordre du jour.txt » (20 octets)"), text);
      assert.ok(text.includes("Conserver « photo.bin » (3 ko)"), text);
      for (const index of [0, 1]) {
        const box = new RegExp(`<input type="checkbox" id="garder-${index}" name="garder" value="${index}" checked`);
        assert.match(resumed.body, box);
        assert.match(resumed.body, new RegExp(`<label for="garder-${index}">`));
      }

      // The automatic save sends no file: the draft's attachments are carried over.
      const autosave = await c.post(
        "/mail/brouillons/enregistrer",
        {
          a: b.address,
          objet: "Réunion",
          message: "Voir les pièces jointes.",
          brouillon: String(draftId),
          garder: "0",
        },
        { "x-csrf-token": c.csrf },
      );
      assert.equal(autosave.statusCode, 200, autosave.body);
      const second = (JSON.parse(autosave.body) as { draftId: number }).draftId;
      assert.notEqual(second, draftId);
      const drafts = await messagesIn(services, a, "drafts");
      assert.deepEqual(
        drafts.map((d) => d.id),
        [second],
      );
      const autosaved = await services.mail.open(a.id, second, { markSeen: false });
      assert.equal(autosaved.text?.trim(), "Voir les pièces jointes.");
      assert.deepEqual(
        autosaved.attachments.map((x) => x.filename),
        ["ordre du jour.txt", "photo.bin"],
      );

      // Saved again with "photo.bin" unchecked and a new file: the unchecked one is dropped.
      const again = await postMultipart(
        c,
        "/mail/nouveau",
        blank({
          a: b.address,
          objet: "Réunion",
          message: "Dernière version.",
          brouillon: String(second),
          garder: "0",
          action: "brouillon",
        }),
        [{ name: "annexe.csv", content: "a;b\n", type: "text/csv" }],
      );
      assert.equal(again.statusCode, 303, again.body);
      const third = Number(/brouillon=(\d+)/.exec(location(again))?.[1]);
      const thirdView = await services.mail.open(a.id, third, { markSeen: false });
      assert.deepEqual(
        thirdView.attachments.map((x) => x.filename),
        ["ordre du jour.txt", "annexe.csv"],
      );
      assert.equal((await messagesIn(services, a, "drafts")).length, 1);

      // An error keeps the draft and its list, "Conserver" as it was left.
      const wrong = await postMultipart(
        c,
        "/mail/nouveau",
        blank({ a: "pas une adresse@@", objet: "Réunion", message: "x", brouillon: String(third), garder: "1" }),
      );
      assert.equal(wrong.statusCode, 400, wrong.body.slice(0, 3000));
      assert.match(wrong.body, /<input type="checkbox" id="garder-0" name="garder" value="0"\/>/);
      assert.match(wrong.body, /<input type="checkbox" id="garder-1" name="garder" value="1" checked/);
      // An index the draft does not have is not found.
      const missing = await postMultipart(
        c,
        "/mail/nouveau",
        blank({ a: b.address, objet: "Réunion", message: "x", brouillon: String(third), garder: "7" }),
      );
      assert.equal(missing.statusCode, 404);
      assert.equal((await messagesIn(services, b, "inbox")).length, 0);

      // Sent with both kept: the recipient gets the files, the draft is gone.
      const sent = await postMultipart(c, "/mail/nouveau", {
        ...blank({ a: b.address, objet: "Réunion", message: "Dernière version.", brouillon: String(third) }),
        garder: ["0", "1"],
      });
      assert.equal(sent.statusCode, 303, sent.body);
      assert.equal((await messagesIn(services, a, "drafts")).length, 0);
      const [got] = await messagesIn(services, b, "inbox");
      assert.ok(got?.hasAttachments);
      const view = await services.mail.open(b.id, got.id, { markSeen: false });
      assert.deepEqual(
        view.attachments.map((x) => x.filename),
        ["ordre du jour.txt", "annexe.csv"],
      );
      assert.equal((await services.mail.attachment(b.id, got.id, 0)).content.toString("utf8"), "1. Budget\n2. Sorties");
      assert.equal((await services.mail.attachment(b.id, got.id, 1)).content.toString("utf8"), "a;b\n");
    });
  });
}
