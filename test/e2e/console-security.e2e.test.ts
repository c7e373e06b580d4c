/**
 * The security team's journey in Chromium: an agent opens the reported messages (axe-core clean),
 * sees the report of a phishing message that reached three mailboxes, opens it (its headers), and
 * quarantines every copy with a reason and the second factor; each recipient's copy is in its
 * Indésirables (checked in the database) and the action is audited under the agent with the reason.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BrowserEnv, expectAccessible, field, openBrowserEnv, watchConsole } from "../helpers/browser.js";
import { browserTotp, enrolInConsole } from "../helpers/console-browser.js";
import { staffWithPassword } from "../helpers/web.js";

const MESSAGE_ID = "<alerte.boite.e2e@ac-lyon-securite.example>";
const SUBJECT = "URGENT : Votre boîte mail sera désactivée dans 24 heures";

function phishing(): Buffer {
  return Buffer.from(
    [
      "Authentication-Results: sesame.test; spf=fail smtp.mailfrom=ac-lyon-securite.example; dkim=none; dmarc=fail header.from=ac-lyon-securite.example",
      "From: Support <support@ac-lyon-securite.example>",
      "To: personnels@ac-lyon.fr",
      "Subject: =?UTF-8?Q?URGENT_:_Votre_bo=C3=AEte_mail_sera_d=C3=A9sactiv=C3=A9e_dans_24_heures?=",
      "Date: Fri, 04 Dec 2026 09:00:00 +0100",
      `Message-ID: ${MESSAGE_ID}`,
      "",
      "Confirmez votre identifiant et votre mot de passe ici.",
      "",
    ].join("\r\n"),
  );
}

describe("the security team's reports and quarantine (Chromium)", () => {
  let env: BrowserEnv;
  before(async () => {
    env = await openBrowserEnv();
  });
  after(async () => {
    await env.close();
  });

  it("sees a report and quarantines the message in every mailbox with a reason and the second factor", async () => {
    const services = env.server.services;
    const agent = await staffWithPassword(services, { prenom: "Yasmine", nom: "Belkacem" });
    await services.console.grant(agent.username, "securite", "cli:role grant");
    const recipients = [
      await staffWithPassword(services, { prenom: "Odile", nom: "Marchand" }),
      await staffWithPassword(services, { prenom: "Karim", nom: "Benali" }),
      await staffWithPassword(services, { prenom: "Lucie", nom: "Perrin" }),
    ];
    const checked = [];
    for (const r of recipients) checked.push(await services.mail.checkRecipient(r.address));
    const ids = (await services.mail.deliver(phishing(), checked)).messageIds;
    await services.reports.report(recipients[0]?.id ?? 0, [ids[0] ?? 0], { actor: "web:webmail" });

    const context = await env.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    const secret = await enrolInConsole(page, agent.username);
    await page.getByRole("link", { name: "Sécurité", exact: true }).click();
    await page.getByRole("heading", { name: "Sécurité", level: 1 }).waitFor();
    await page.getByRole("link", { name: "Messages signalés" }).click();
    await page.getByRole("heading", { name: "Messages signalés", level: 1 }).waitFor();
    await page.getByText("1 signalement.").waitFor();
    const row = page.getByRole("row", { name: new RegExp(SUBJECT) });
    await row.getByText("support@ac-lyon-securite.example").waitFor();
    await row.getByText("DMARC : échec, SPF : échec, DKIM : absent").waitFor();
    await row.getByRole("cell", { name: "3", exact: true }).waitFor();
    await expectAccessible(page, "reported messages");

    await field(page, "Domaine de l'expéditeur").fill("ac-lyon-securite.example");
    await page.getByRole("button", { name: "Filtrer" }).click();
    await page.getByText("1 signalement.").waitFor();

    await page.getByRole("link", { name: `Voir le signalement « ${SUBJECT} »` }).click();
    await page.getByRole("heading", { name: `Signalement : ${SUBJECT}`, level: 1 }).waitFor();
    await page.getByText(`Message-ID: ${MESSAGE_ID}`, { exact: false }).first().waitFor();
    await expectAccessible(page, "a report");

    // A reason is required.
    await page.getByRole("button", { name: "Valider" }).click();
    await page.getByText("Indiquez le motif de cette action.").first().waitFor();
    await expectAccessible(page, "a report with an error");

    await field(page, "Action").selectOption({ label: "Mettre en quarantaine toutes les copies (vers Indésirables)" });
    await field(page, "Motif").fill("Campagne de filoutage imitant l'académie");
    await field(page, "Code à 6 chiffres").fill(await browserTotp(secret, 30));
    await page.getByRole("button", { name: "Valider" }).click();
    await page.getByText("2 copies déplacées vers Indésirables (3 copies dans 3 boîtes).").waitFor();
    await expectAccessible(page, "a report after the quarantine");

    await page.getByRole("link", { name: "Quarantaine par Message-ID ou expéditeur" }).click();
    await page.getByRole("heading", { name: "Quarantaine par Message-ID ou expéditeur", level: 1 }).waitFor();
    await expectAccessible(page, "the quarantine by Message-ID");
    assert.deepEqual(problems, []);
    await context.close();

    // Every recipient's copy is in its Indésirables: their inbox no longer lists it.
    for (const [i, r] of recipients.entries()) {
      assert.equal((await services.mail.reportable(r.id, ids[i] ?? 0)).folderRole, "junk", r.username);
      const inbox = await services.mail.folderByRole(r.id, "inbox");
      const listed = (await services.mail.list(r.id, inbox.id, null)).items.map((m) => m.id);
      assert.ok(!listed.includes(ids[i] ?? 0), `${r.username}: not in the inbox`);
    }
    const [event] = (await services.audit.list({ action: "mail.quarantined" })).filter(
      (e) => e.details.messageId === MESSAGE_ID,
    );
    assert.equal(event?.actor, `console:${agent.username}`);
    assert.equal(event?.details.reason, "Campagne de filoutage imitant l'académie");
    assert.equal(event?.details.moved, 2);
  });
});
