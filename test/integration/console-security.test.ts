/**
 * The security team's reports and quarantine (`/console/securite/signalements`, `/console/securite/
 * quarantaine`), on SQLite and PostgreSQL: the reported messages with their reporter, sender,
 * subject, verdict and how many mailboxes hold them, filtered by date and exact domain, paged; a
 * report's headers and source (the viewing audited); the quarantine of every copy and its release
 * (or of every message from a sender), each with a reason and the second factor again, audited
 * under the agent with the reason; a 404 for anyone without the `securite` role.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import { LIST_HEAD_BYTES } from "../../src/mail/report.service.js";
import type { Services } from "../../src/services.js";
import { FakeClock } from "../../src/shared/clock.js";
import { consoleAgent, totp } from "../helpers/console.js";
import { DIALECTS, openTestServices, type TestContext } from "../helpers/env.js";
import { nextMailboxIp, staffWithPassword, testApp, textOf, unescapeHtml, WebClient } from "../helpers/web.js";

/** A phishing message from outside as the reception stored it (its verdict first). */
function phishing(messageId: string, domain: string, subject: string): Buffer {
  return Buffer.from(
    [
      `Authentication-Results: sesame.test; spf=fail smtp.mailfrom=${domain}; dkim=none; dmarc=fail header.from=${domain}`,
      `From: Service informatique <support@${domain}>`,
      "To: personnel@ac-test.fr",
      `Subject: ${subject}`,
      "Date: Thu, 03 Dec 2026 09:00:00 +0100",
      `Message-ID: ${messageId}`,
      "",
      "Cliquez ici pour garder votre boite.",
      "",
    ].join("\r\n"),
  );
}

for (const dialect of DIALECTS) {
  describe(`the security team's reports and quarantine (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    const clock = new FakeClock("2026-12-04T08:00:00.000Z");
    let agent: { account: Account; c: WebClient; secret: string };
    before(async () => {
      ctx = await openTestServices(dialect, {}, { clock });
      services = ctx.services;
      app = await testApp(services);
      agent = await consoleAgent(services, app, "securite", clock);
    });
    after(async () => {
      await app.close();
      await ctx.close();
    });

    /** A fresh TOTP code (never the same step twice: the clock moves to the next step). */
    const code = async () => {
      clock.advance(30_000);
      return totp(agent.secret, clock);
    };

    /** One message delivered to three mailboxes, reported by the first. */
    async function reported(domain = `faux-${randomBytes(3).toString("hex")}.example`) {
      const messageId = `<piege.${randomBytes(6).toString("hex")}@${domain}>`;
      const subject = `Votre boîte sera fermée ${randomBytes(2).toString("hex")}`;
      const accounts = [
        await staffWithPassword(services),
        await staffWithPassword(services),
        await staffWithPassword(services),
      ];
      const recipients = [];
      for (const a of accounts) recipients.push(await services.mail.checkRecipient(a.address));
      const ids = (await services.mail.deliver(phishing(messageId, domain, subject), recipients)).messageIds;
      assert.equal(ids.length, 3);
      await services.reports.report(accounts[0]?.id ?? 0, [ids[0] ?? 0], { actor: "web:webmail" });
      const [row] = await services.database.db
        .selectFrom("phishing_report")
        .select("id")
        .where("message_id", "=", messageId)
        .execute();
      return { messageId, domain, subject, accounts, ids, reportId: Number(row?.id) };
    }

    const roles = async (accounts: readonly Account[], ids: readonly number[]) => {
      const out: (string | null)[] = [];
      for (const [i, a] of accounts.entries()) out.push((await services.mail.reportable(a.id, ids[i] ?? 0)).folderRole);
      return out;
    };

    it("answers 404 to anyone without the role, signed in to the console or not", async () => {
      const { reportId } = await reported();
      const helpdesk = await consoleAgent(services, app, "assistance", clock);
      const stranger = new WebClient(app, nextMailboxIp());
      for (const url of [
        "/console/securite/signalements",
        `/console/securite/signalements/${reportId}`,
        "/console/securite/quarantaine",
      ]) {
        assert.equal((await helpdesk.c.get(url)).statusCode, 404, url);
        assert.equal((await stranger.get(url)).statusCode, 404, url);
      }
      await helpdesk.c.get("/console/assistance");
      const post = await helpdesk.c.post("/console/securite/quarantaine", {
        operation: "quarantaine",
        messageId: "<x@y.example>",
        reason: "essai",
        code: "",
        report: "",
      });
      assert.equal(post.statusCode, 404);
    });

    it("lists the reports with reporter, sender, subject, verdict and mailboxes; filters by date and exact domain", async () => {
      const r = await reported();
      const res = await agent.c.get("/console/securite/signalements");
      assert.equal(res.statusCode, 200);
      const text = textOf(res.body);
      assert.ok(text.includes(r.subject), "the subject");
      assert.ok(text.includes(r.accounts[0]?.address ?? "?"), "the reporter");
      assert.ok(text.includes(`support@${r.domain}`), "the sender");
      assert.ok(text.includes("DMARC : échec, SPF : échec, DKIM : absent"), text);
      assert.ok(res.body.includes(`href="/console/securite/signalements/${r.reportId}"`));
      // Each row: the mailboxes holding a copy (3).
      const row = new RegExp(`${r.subject}[\\s\\S]*?<td>3</td>`).exec(res.body);
      assert.ok(row, "3 mailboxes received it");

      const byDomain = textOf(
        (await agent.c.get(`/console/securite/signalements?domaine=${r.domain.toUpperCase()}`)).body,
      );
      assert.ok(byDomain.includes("1 signalement.") && byDomain.includes(r.subject), byDomain);
      // The domain is matched exactly, never as a pattern.
      for (const pattern of ["%", "faux-%", "_aux-%", r.domain.replace("-", "_")]) {
        const none = await agent.c.get(`/console/securite/signalements?domaine=${encodeURIComponent(pattern)}`);
        assert.equal(none.statusCode, 200);
        assert.ok(textOf(none.body).includes("Aucun signalement."), pattern);
      }
      const today = textOf((await agent.c.get("/console/securite/signalements?du=04/12/2026&au=04/12/2026")).body);
      assert.ok(today.includes(r.subject), today);
      const later = textOf((await agent.c.get("/console/securite/signalements?du=05/12/2026")).body);
      assert.ok(!later.includes(r.subject), later);
      const wrong = await agent.c.get("/console/securite/signalements?du=31/02/2026");
      assert.equal(wrong.statusCode, 400);
      assert.ok(textOf(wrong.body).includes("Saisissez une date au format jj/mm/aaaa."));
      const long = await agent.c.get(`/console/securite/signalements?domaine=${"a".repeat(600)}`);
      assert.equal(long.statusCode, 400);
      assert.ok(textOf(long.body).includes("Un domaine ne dépasse pas 253 caractères."));
    });

    it("pages the reports, 50 a page", async () => {
      const domain = `pages-${randomBytes(3).toString("hex")}.example`;
      const r = await reported(domain);
      const db = services.database.db;
      await db
        .insertInto("phishing_report")
        .values(
          Array.from({ length: 50 }, (_, i) => ({
            account_id: r.accounts[1]?.id ?? 0,
            message_id: `<autre.${i}@${domain}>`,
            sender_domain: domain,
            reported_at: new Date(clock.now().getTime() + 3_600_000 + i * 1000).toISOString(),
          })),
        )
        .execute();
      const first = await agent.c.get(`/console/securite/signalements?domaine=${domain}`);
      const text = textOf(first.body);
      assert.ok(text.includes("51 signalements.") && text.includes("Page 1 sur 2"), text);
      assert.ok(!text.includes(r.subject), "the oldest is on page 2");
      assert.ok(first.body.includes(`href="/console/securite/signalements?domaine=${domain}&amp;page=2"`));
      const second = textOf((await agent.c.get(`/console/securite/signalements?domaine=${domain}&page=2`)).body);
      assert.ok(second.includes(r.subject) && second.includes("Page 2 sur 2"), second);
    });

    it("shows a report's headers and source, audited; 404 in French for a report that does not exist", async () => {
      const r = await reported();
      const res = await agent.c.get(`/console/securite/signalements/${r.reportId}`);
      assert.equal(res.statusCode, 200);
      const text = textOf(res.body);
      assert.ok(unescapeHtml(text).includes(`Message-ID: ${r.messageId}`), "the headers");
      assert.ok(unescapeHtml(text).includes("Authentication-Results: sesame.test; spf=fail"), "the verdict as stored");
      assert.ok(text.includes("Cliquez ici pour garder votre boite."), "the source");
      assert.ok(text.includes(r.accounts[0]?.address ?? "?"));
      const viewed = (await services.audit.list({ actorPrefix: `console:${agent.account.username}` })).filter(
        (e) => e.action === "console.report_viewed" && e.entityId === String(r.reportId),
      );
      assert.equal(viewed.length, 1);
      assert.equal(viewed[0]?.details.messageId, r.messageId);
      for (const id of ["999999999", "abc", "0", "-1"]) {
        const missing = await agent.c.get(`/console/securite/signalements/${id}`);
        assert.equal(missing.statusCode, 404, id);
        assert.ok(textOf(missing.body).includes("Page introuvable"), id);
      }
    });

    it("quarantines every copy with a reason and the second factor, audited; releases them back", async () => {
      const r = await reported();
      const url = `/console/securite/signalements/${r.reportId}`;
      const form = { operation: "quarantaine", messageId: "", report: String(r.reportId) };
      await agent.c.get(url);
      const noReason = await agent.c.post("/console/securite/quarantaine", {
        ...form,
        reason: " ",
        code: await code(),
      });
      assert.equal(noReason.statusCode, 400);
      assert.ok(textOf(noReason.body).includes("Indiquez le motif de cette action."));
      assert.deepEqual(await roles(r.accounts, r.ids), ["junk", "inbox", "inbox"], "nothing moved");
      const noCode = await agent.c.post("/console/securite/quarantaine", { ...form, reason: "Campagne", code: "" });
      assert.equal(noCode.statusCode, 400);
      assert.ok(textOf(noCode.body).includes("Saisissez le code"));
      const badCode = await agent.c.post("/console/securite/quarantaine", {
        ...form,
        reason: "Campagne",
        code: "000000",
      });
      assert.equal(badCode.statusCode, 400);
      assert.deepEqual(await roles(r.accounts, r.ids), ["junk", "inbox", "inbox"], "nothing moved");

      const done = await agent.c.post("/console/securite/quarantaine", {
        ...form,
        reason: "Campagne de filoutage du 4/12",
        code: await code(),
      });
      assert.equal(done.statusCode, 200);
      assert.ok(
        textOf(done.body).includes("2 copies déplacées vers Indésirables (3 copies dans 3 boîtes)."),
        textOf(done.body),
      );
      assert.deepEqual(await roles(r.accounts, r.ids), ["junk", "junk", "junk"]);
      const [event] = (await services.audit.list({ action: "mail.quarantined" })).filter(
        (e) => e.details.messageId === r.messageId,
      );
      assert.equal(event?.actor, `console:${agent.account.username}`);
      assert.equal(event?.details.reason, "Campagne de filoutage du 4/12");
      assert.equal(event?.details.moved, 2);

      // By Message-ID (the second factor typed less than 5 minutes ago: not asked again).
      const page = await agent.c.get(`/console/securite/quarantaine`);
      assert.ok(!page.body.includes('name="code"'), "no second factor within 5 minutes");
      const wrongId = await agent.c.post("/console/securite/quarantaine", {
        operation: "liberer",
        messageId: "pas un identifiant",
        reason: "Faux positif",
        code: "",
        report: "",
      });
      assert.equal(wrongId.statusCode, 400);
      assert.ok(textOf(wrongId.body).includes("Saisissez un Message-ID entre"), textOf(wrongId.body));
      const released = await agent.c.post("/console/securite/quarantaine", {
        operation: "liberer",
        messageId: r.messageId,
        reason: "Faux positif confirmé",
        code: "",
        report: "",
      });
      assert.equal(released.statusCode, 200);
      assert.ok(textOf(released.body).includes("3 copies remises dans la boîte de réception"), textOf(released.body));
      assert.deepEqual(await roles(r.accounts, r.ids), ["inbox", "inbox", "inbox"]);
      const [back] = (await services.audit.list({ action: "mail.released" })).filter(
        (e) => e.details.messageId === r.messageId,
      );
      assert.equal(back?.actor, `console:${agent.account.username}`);
      assert.equal(back?.details.reason, "Faux positif confirmé");

      // After 5 minutes the second factor is asked again.
      clock.advance(6 * 60_000);
      const again = await agent.c.post("/console/securite/quarantaine", {
        operation: "quarantaine",
        messageId: r.messageId,
        reason: "Encore",
        code: "",
        report: "",
      });
      assert.equal(again.statusCode, 400);
      assert.deepEqual(await roles(r.accounts, r.ids), ["inbox", "inbox", "inbox"]);
    });

    it("quarantines every message from a sender (one Message-ID per recipient), and releases them; others untouched", async () => {
      const domain = `campagne-${randomBytes(3).toString("hex")}.example`;
      const accounts = [await staffWithPassword(services), await staffWithPassword(services)];
      const ids: number[] = [];
      for (const a of accounts) {
        const recipient = await services.mail.checkRecipient(a.address);
        const raw = phishing(`<un.${randomBytes(6).toString("hex")}@${domain}>`, domain, "Votre quota est atteint");
        ids.push(...(await services.mail.deliver(raw, [recipient])).messageIds);
      }
      // Another sender of the same domain, and the address in a Sent folder (never moved).
      const other = Buffer.from(
        phishing(`<autre.${randomBytes(6).toString("hex")}@${domain}>`, domain, "Autre")
          .toString("latin1")
          .replace(`support@${domain}`, `contact@${domain}`),
        "latin1",
      );
      const [otherId] = (
        await services.mail.deliver(other, [await services.mail.checkRecipient(accounts[0]?.address ?? "")])
      ).messageIds;
      const sentId = await services.mail.storeInFolder(
        accounts[1]?.id ?? 0,
        "sent",
        phishing(`<envoye.${randomBytes(6).toString("hex")}@${domain}>`, domain, "Envoyé"),
        { seen: true },
      );
      const folder = async (accountId: number, id: number) =>
        (await services.mail.reportable(accountId, id)).folderRole;

      await agent.c.get("/console/securite/quarantaine?expediteur=support@exemple.org");
      const both = await agent.c.post("/console/securite/quarantaine", {
        operation: "quarantaine",
        messageId: "<x@y.example>",
        sender: `support@${domain}`,
        reason: "Campagne",
        code: await code(),
        report: "",
      });
      assert.equal(both.statusCode, 400);
      assert.ok(textOf(both.body).includes("Saisissez soit un Message-ID, soit l'adresse de l'expéditeur"));
      const neither = await agent.c.post("/console/securite/quarantaine", {
        operation: "quarantaine",
        messageId: "",
        sender: " ",
        reason: "Campagne",
        code: await code(),
        report: "",
      });
      assert.equal(neither.statusCode, 400);
      assert.ok(textOf(neither.body).includes("Saisissez un Message-ID ou l'adresse de l'expéditeur."));
      for (const sender of ["pas une adresse", "%@%", `support@${"x".repeat(70)}.example`]) {
        const wrong = await agent.c.post("/console/securite/quarantaine", {
          operation: "quarantaine",
          messageId: "",
          sender,
          reason: "Campagne",
          code: await code(),
          report: "",
        });
        assert.equal(wrong.statusCode, 400, sender);
        assert.ok(textOf(wrong.body).includes("Saisissez une adresse électronique"), sender);
      }
      assert.equal(await folder(accounts[0]?.id ?? 0, ids[0] ?? 0), "inbox", "nothing moved");

      const done = await agent.c.post("/console/securite/quarantaine", {
        operation: "quarantaine",
        messageId: "",
        sender: `Support@${domain.toUpperCase()}`,
        reason: "Campagne message par message",
        code: await code(),
        report: "",
      });
      assert.equal(done.statusCode, 200);
      assert.ok(
        textOf(done.body).includes(
          "2 messages déplacés vers Indésirables (2 messages de cet expéditeur dans 2 boîtes).",
        ),
        textOf(done.body),
      );
      assert.equal(await folder(accounts[0]?.id ?? 0, ids[0] ?? 0), "junk");
      assert.equal(await folder(accounts[1]?.id ?? 0, ids[1] ?? 0), "junk");
      assert.equal(await folder(accounts[0]?.id ?? 0, otherId ?? 0), "inbox", "another sender: untouched");
      assert.equal(await folder(accounts[1]?.id ?? 0, sentId), "sent", "a Sent folder: untouched");
      const [event] = (await services.audit.list({ action: "mail.quarantined" })).filter(
        (e) => e.details.sender === `support@${domain}`,
      );
      assert.equal(event?.actor, `console:${agent.account.username}`);
      assert.equal(event?.details.reason, "Campagne message par message");
      assert.equal(event?.details.moved, 2);

      const released = await agent.c.post("/console/securite/quarantaine", {
        operation: "liberer",
        messageId: "",
        sender: `support@${domain}`,
        reason: "Faux positif",
        code: "",
        report: "",
      });
      assert.equal(released.statusCode, 200);
      assert.ok(textOf(released.body).includes("2 messages remis dans la boîte de réception"), textOf(released.body));
      assert.equal(await folder(accounts[0]?.id ?? 0, ids[0] ?? 0), "inbox");
      assert.equal(await folder(accounts[1]?.id ?? 0, ids[1] ?? 0), "inbox");
    });

    it("reads only the head of each reported message for the list (a large one is not read whole)", async () => {
      const domain = `gros-${randomBytes(3).toString("hex")}.example`;
      const messageId = `<gros.${randomBytes(6).toString("hex")}@${domain}>`;
      const big = Buffer.concat([
        phishing(messageId, domain, "Pièce jointe volumineuse"),
        Buffer.from(`${"A".repeat(76)}\r\n`.repeat(40_000)),
      ]);
      const account = await staffWithPassword(services);
      const [id] = (await services.mail.deliver(big, [await services.mail.checkRecipient(account.address)])).messageIds;
      await services.reports.report(account.id, [id ?? 0], { actor: "web:webmail" });
      const { reports } = await services.reports.page({ senderDomain: domain }, { offset: 0, limit: 50 });
      assert.equal(reports.length, 1);
      assert.equal(reports[0]?.message?.raw.length, LIST_HEAD_BYTES, "the head only");
      assert.ok(reports[0]?.message?.raw.toString("latin1").startsWith("Authentication-Results: sesame.test;"));
      const list = textOf((await agent.c.get(`/console/securite/signalements?domaine=${domain}`)).body);
      assert.ok(list.includes("DMARC : échec, SPF : échec, DKIM : absent"), "the verdict from the head");
      const whole = await services.reports.get(reports[0]?.id ?? 0);
      assert.equal(whole.message?.raw.length, big.length, "a report's page reads it whole");
    });

    it("links a report to the quarantine of every message of its sender", async () => {
      const r = await reported();
      const page = await agent.c.get(`/console/securite/signalements/${r.reportId}`);
      const href = `/console/securite/quarantaine?expediteur=${encodeURIComponent(`support@${r.domain}`)}`;
      assert.ok(unescapeHtml(page.body).includes(`href="${href}"`), "the link");
      const form = await agent.c.get(href);
      assert.equal(form.statusCode, 200);
      assert.ok(unescapeHtml(form.body).includes(`value="support@${r.domain}"`), "the sender filled in");
    });
  });
}
