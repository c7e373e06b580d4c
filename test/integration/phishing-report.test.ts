/**
 * « Signaler un filoutage » through the webmail (app.inject), on SQLite and PostgreSQL: the message
 * goes to Indésirables, the abuse mailbox (a local account here) receives it attached whole, byte for
 * byte (8-bit original included), the report is audited without its content, the notice says thanks;
 * « Ce message n'est pas indésirable » brings it back; CSRF and another account's message are refused.
 * Then the security team's side (reports grouped by Message-ID, quarantine across the mailboxes), and
 * an abuse address outside (the outbox keeps the original's bytes too).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { simpleParser } from "mailparser";
import type { Account } from "../../src/directory/directory.types.js";
import { insertIntake } from "../../src/mail/intake.repository.js";
import type { FolderRole } from "../../src/mail/mail.types.js";
import { ReportService } from "../../src/mail/report.service.js";
import type { Services } from "../../src/services.js";
import { isDomainError } from "../../src/shared/errors.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { signedInClient, staffWithPassword, testApp, textOf } from "../helpers/web.js";

const ABUSE = "securite.abus@ac-lyon.fr";

let counter = 0;

/** A phishing attempt as it arrives: 8-bit ISO-8859-1 body (bytes that are not UTF-8), CRLF lines. */
function phishing(to: string): { raw: Buffer; messageId: string } {
  counter += 1;
  const messageId = `<piege.${Date.now()}.${counter}@faux-rectorat.example>`;
  const raw = Buffer.concat([
    Buffer.from(
      [
        "From: Service informatique <support@faux-rectorat.example>",
        `To: ${to}`,
        "Subject: Votre boite sera fermee",
        "Date: Thu, 03 Dec 2026 09:00:00 +0100",
        `Message-ID: ${messageId}`,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=iso-8859-1",
        "Content-Transfer-Encoding: 8bit",
        "",
        "",
      ].join("\r\n"),
      "ascii",
    ),
    Buffer.from("R\xe9initialisez votre mot de passe ici : http://faux-rectorat.example/\r\n", "latin1"),
  ]);
  return { raw, messageId };
}

async function deliver(services: Services, accounts: readonly Account[], raw: Buffer): Promise<number[]> {
  const recipients = [];
  for (const a of accounts) recipients.push(await services.mail.checkRecipient(a.address));
  return [...(await services.mail.deliver(raw, recipients)).messageIds];
}

async function roleOf(services: Services, account: Account, messageId: number): Promise<FolderRole | null> {
  return (await services.mail.reportable(account.id, messageId)).folderRole;
}

function location(res: LightMyRequestResponse): string {
  return String(res.headers.location ?? "");
}

for (const dialect of DIALECTS) {
  describe(`phishing reports (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    let abuse: Account;
    before(async () => {
      ctx = await openTestServices(dialect, { SESAME_ABUSE_ADDRESS: ABUSE });
      services = ctx.services;
      app = await testApp(services);
      abuse = await staffWithPassword(services, { prenom: "Sécurité", nom: "Abus" });
      assert.equal(abuse.address, ABUSE, "the abuse address is a local mailbox in this test");
    });
    after(async () => {
      await app.close();
      await ctx.close();
    });

    it("reports from the reading view: Indésirables, the original attached byte for byte, audited, thanked", async () => {
      const { account, c } = await signedInClient(services, app);
      const { raw, messageId } = phishing(account.address);
      const [id] = await deliver(services, [account], raw);
      assert.ok(id);

      const page = await c.get(`/mail/messages/${id}`);
      assert.equal(page.statusCode, 200);
      assert.match(
        page.body,
        /<button type="submit" name="action" value="signaler"[^>]*>Signaler un filoutage<\/button>/,
      );
      assert.doesNotMatch(page.body, /value="pas-indesirable"/, "not in Indésirables yet");

      const res = await c.post("/mail/actions", {
        action: "signaler",
        ids: String(id),
        message: String(id),
        retour: "/mail",
      });
      assert.equal(res.statusCode, 303, textOf(res.body));
      assert.equal(location(res), "/mail?fait=signales&n=1");
      const after = await c.get(location(res));
      assert.match(textOf(after.body), /Merci, le message a été signalé\./);

      assert.equal(await roleOf(services, account, id), "junk");

      // The abuse mailbox got one message, the original attached whole.
      const inbox = await services.mail.folderByRole(abuse.id, "inbox");
      const [report] = (await services.mail.list(abuse.id, inbox.id, null)).items;
      assert.ok(report, "the abuse mailbox received the report");
      const parsed = await simpleParser(await services.mail.raw(abuse.id, report.id));
      assert.equal(parsed.subject, `Signalement de filoutage par ${account.address}`);
      assert.match(parsed.text ?? "", new RegExp(messageId.replace(/[.<>]/g, "\\$&")));
      const attached = parsed.attachments.find((a) => a.contentType === "message/rfc822");
      assert.ok(attached, "a message/rfc822 attachment");
      assert.ok(attached.content.equals(raw), "the original, byte for byte (8-bit body included)");

      const [event] = await services.audit.list({ action: "mail.phishing_reported", limit: 10 });
      assert.ok(event);
      assert.equal(event.entityId, String(account.id));
      assert.equal(event.details.messageId, messageId);
      assert.equal(event.details.senderDomain, "faux-rectorat.example");
      assert.doesNotMatch(JSON.stringify(event.details), /fermee|Réinitialisez|mot de passe/, "never the content");
    });

    it("« Ce message n'est pas indésirable » brings a message of Indésirables back to the inbox (audited)", async () => {
      const { account, c } = await signedInClient(services, app);
      const [id] = await deliver(services, [account], phishing(account.address).raw);
      assert.ok(id);
      await services.mail.moveToRole(account.id, [id], "junk");
      const junk = await services.mail.folderByRole(account.id, "junk");

      const page = await c.get(`/mail/messages/${id}`);
      assert.match(textOf(page.body), /Ce message n'est pas indésirable/);
      assert.match(page.body, /name="action" value="pas-indesirable"/);
      const list = await c.get(`/mail/dossiers/${junk.id}`);
      assert.match(list.body, /value="pas-indesirable"/, "in the list's toolbar too");

      const res = await c.post("/mail/actions", {
        action: "pas-indesirable",
        ids: String(id),
        message: String(id),
        retour: `/mail/dossiers/${junk.id}`,
      });
      assert.equal(res.statusCode, 303);
      assert.match(textOf((await c.get(location(res))).body), /Le message a été remis dans la boîte de réception\./);
      assert.equal(await roleOf(services, account, id), "inbox");
      const [event] = await services.audit.list({ action: "mail.not_junk", limit: 10 });
      assert.deepEqual(event?.details.messages, [id]);
      assert.equal(event?.entityId, String(account.id));

      // A message that is not in Indésirables stays where it is.
      const again = await c.post("/mail/actions", { action: "pas-indesirable", ids: String(id), retour: "/mail" });
      assert.equal(location(again), "/mail?fait=non-indesirables&n=0");
      assert.equal(await roleOf(services, account, id), "inbox");
    });

    it("refuses a report without the CSRF token, and another account's message is a 404 (nothing sent)", async () => {
      const { account, c } = await signedInClient(services, app);
      const { account: other } = await signedInClient(services, app);
      const [id] = await deliver(services, [account], phishing(account.address).raw);
      const [foreign] = await deliver(services, [other], phishing(other.address).raw);
      assert.ok(id && foreign);
      const before = (await services.mail.folderByRole(abuse.id, "inbox")).total;

      await c.get("/mail");
      const forged = await c.post("/mail/actions", { action: "signaler", ids: String(id), retour: "/mail", _csrf: "" });
      assert.equal(forged.statusCode, 403);
      assert.equal(await roleOf(services, account, id), "inbox");

      const stolen = await c.post("/mail/actions", { action: "signaler", ids: String(foreign), retour: "/mail" });
      assert.equal(stolen.statusCode, 404);
      assert.match(String(stolen.headers["content-type"] ?? ""), /text\/html/);
      assert.equal(await roleOf(services, other, foreign), "inbox");
      // Mixed with one of the account's own: nothing is done at all.
      await assert.rejects(services.reports.report(account.id, [id, foreign], { actor: "web:webmail" }), (e) =>
        isDomainError(e, "NOT_FOUND"),
      );
      assert.equal(await roleOf(services, account, id), "inbox");
      assert.equal(
        (await services.mail.folderByRole(abuse.id, "inbox")).total,
        before,
        "nothing reached the abuse mailbox",
      );
    });

    it("the security team: reports grouped by Message-ID, and the quarantine of every local copy", async () => {
      const a = await staffWithPassword(services);
      const b = await staffWithPassword(services);
      const d = await staffWithPassword(services);
      const { raw, messageId } = phishing(a.address);
      const [ia, ib, id] = await deliver(services, [a, b, d], raw);
      assert.ok(ia && ib && id);
      await services.reports.report(a.id, [ia], { actor: "web:webmail" });
      await services.reports.report(b.id, [ib], { actor: "web:webmail" });

      const listed = (await services.reports.list()).find((r) => r.messageId === messageId);
      assert.deepEqual(
        listed && { reporters: listed.reporters, mailboxes: listed.mailboxes, senderDomain: listed.senderDomain },
        { reporters: 2, mailboxes: 3, senderDomain: "faux-rectorat.example" },
      );
      const future = new Date(Date.now() + 86_400_000);
      assert.equal((await services.reports.list({ since: future })).length, 0);

      const dry = await services.reports.quarantine(messageId, { actor: "cli:mail quarantine", dryRun: true });
      assert.deepEqual(dry, { copies: 3, moved: 1, mailboxes: 3 });
      assert.equal(await roleOf(services, d, id), "inbox", "a dry run moves nothing");

      const done = await services.reports.quarantine(messageId, { actor: "cli:mail quarantine" });
      assert.deepEqual(done, { copies: 3, moved: 1, mailboxes: 3 });
      for (const [account, message] of [
        [a, ia],
        [b, ib],
        [d, id],
      ] as const) {
        assert.equal(await roleOf(services, account, message), "junk");
      }
      const [event] = await services.audit.list({ action: "mail.quarantined", limit: 5 });
      assert.deepEqual(event?.details, { messageId, moved: 1, mailboxes: 3 });
      await assert.rejects(services.reports.quarantine("pas un identifiant", { actor: "cli" }));
    });

    it("the quarantine first stores the copies the reception answered 250 and had not stored yet", async () => {
      const a = await staffWithPassword(services);
      const b = await staffWithPassword(services);
      const { raw, messageId } = phishing(a.address);
      await deliver(services, [a], raw);
      // b's copy arrived during a burst: answered 250, still in the intake (intake.ts).
      const waiting = await insertIntake(services.database.db, {
        raw,
        recipients: JSON.stringify([await services.mail.checkRecipient(b.address)]),
        meta: "{}",
        receivedAt: services.clock.now().toISOString(),
      });
      const done = await services.reports.quarantine(messageId, { actor: "cli:mail quarantine" });
      assert.deepEqual(done, { copies: 2, moved: 2, mailboxes: 2 });
      const left = await services.database.db
        .selectFrom("mail_intake")
        .select("id")
        .where("id", "=", waiting)
        .execute();
      assert.deepEqual(left, [], "b's copy was stored, then moved");
      // A message arriving after the quarantine is not its business: it is delivered as usual.
      const [later] = await deliver(services, [b], raw);
      assert.ok(later);
      assert.equal(await roleOf(services, b, later), "inbox");
    });

    it("an abuse address outside: the report waits in the outbox with the original's bytes", async () => {
      const outside = new ReportService({
        db: services.database.db,
        mail: services.mail,
        mailer: services.outbound,
        directory: services.directory,
        audit: services.audit,
        clock: services.clock,
        abuseAddress: "cert@exemple.org",
      });
      const account = await staffWithPassword(services);
      const { raw } = phishing(account.address);
      const [id] = await deliver(services, [account], raw);
      assert.ok(id);
      await outside.report(account.id, [id], { actor: "web:webmail" });
      const [kept] = await services.outbound.listOutbox({ to: "cert@exemple.org" });
      assert.ok(kept);
      const parsed = await simpleParser(Buffer.from(kept.raw, "latin1"));
      const attached = parsed.attachments.find((x) => x.contentType === "message/rfc822");
      assert.ok(attached?.content.equals(raw), "the original, byte for byte");
    });
  });
}
