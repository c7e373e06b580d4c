/** Every password change is notified to the account's mailbox and recovery address. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { openTestServices, type TestContext } from "../helpers/env.js";
import { messagesTo } from "../helpers/mail-to.js";
import { accountOf, seedStaff, testApp, uniqueStaff, WebClient } from "../helpers/web.js";

const NEW_PASSWORD = "Une chouette hulotte veille sur la grange";

describe("password change notifications", () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  before(async () => {
    ctx = await openTestServices("sqlite");
    app = await testApp(ctx.services);
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  it("the webmail's forced change tells the mailbox and the recovery address, and kills reset links", async () => {
    const row = uniqueStaff();
    await seedStaff(ctx.services, [row]);
    const account = await accountOf(ctx.services, row);
    await ctx.services.directory.setRecoveryEmail(account.id, "Secours.Perso@Example.org", "test");
    // A reset link sent before the change.
    await ctx.services.recovery.requestResetLink("secours.perso@example.org", { ip: "192.0.2.1", userAgent: "t" });
    const [linkMessage] = await messagesTo(ctx.services, "secours.perso@example.org");
    const token = /reinitialiser\/(\S+)/.exec(linkMessage?.text ?? "")?.[1] ?? "";
    assert.ok(token, "recovery addresses match in any case");

    const c = new WebClient(app, "192.0.2.77");
    assert.equal((await c.login(account.username, row.numen)).headers.location, "/changer-mot-de-passe");
    await c.get("/changer-mot-de-passe");
    const changed = await c.post("/changer-mot-de-passe", { newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    assert.equal(changed.statusCode, 303);

    const toMailbox = await messagesTo(ctx.services, account.address);
    assert.equal(toMailbox[0]?.subject, "Votre mot de passe a été modifié");
    assert.match(toMailbox[0]?.text ?? "", /depuis le webmail/);
    const toRecovery = await messagesTo(ctx.services, "secours.perso@example.org");
    assert.equal(toRecovery[0]?.subject, "Votre mot de passe a été modifié");
    await assert.rejects(ctx.services.recovery.accountOfResetLink(token), { code: "INVALID_LINK" });
  });
});
