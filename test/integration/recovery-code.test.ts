/**
 * Optional hardening: with SESAME_RECOVERY_REQUIRE_CODE=true, the NUMEN path also asks
 * for a 6-digit code sent to the account's confirmed recovery address, when it has one.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { openTestServices, type TestContext } from "../helpers/env.js";
import { accountOf, seedStaff, testApp, textOf, uniqueStaff, WebClient } from "../helpers/web.js";

let ip = 0;
const nextIp = () => `198.51.100.${++ip}`;

describe("NUMEN path with the optional code (SESAME_RECOVERY_REQUIRE_CODE=true)", () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  before(async () => {
    ctx = await openTestServices("sqlite", { SESAME_RECOVERY_REQUIRE_CODE: "true" });
    app = await testApp(ctx.services);
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  async function signIn(c: WebClient, numen: string, date: string) {
    await c.get("/assistance/numen");
    return c.post("/assistance/numen", { numen, birthDate: date, accountType: "academique" });
  }

  it("asks for the code sent to the recovery address before showing anything", async () => {
    const row = uniqueStaff({ date_naissance: "12/03/1980" });
    await seedStaff(ctx.services, [row]);
    const account = await accountOf(ctx.services, row);
    await ctx.services.directory.setRecoveryEmail(account.id, "perso.recup@example.org", "test");
    const c = new WebClient(app, nextIp());

    const res = await signIn(c, row.numen, "12/03/1980");
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, "/assistance/code");
    // Nothing is shown before the code.
    const early = await c.get("/assistance/compte");
    assert.equal(early.headers.location, "/assistance/code");
    const page = await c.get("/assistance/code");
    assert.match(textOf(page.body), /p\*\*\*@example\.org/);

    const wrong = await c.post("/assistance/code", { code: "000000" });
    assert.equal(wrong.statusCode, 400);
    assert.match(textOf(wrong.body), /Code incorrect\. Il vous reste 2 essais\./);

    const [message] = await ctx.services.outbound.listOutbox({ to: "perso.recup@example.org" });
    const code = /\b(\d{6})\b/.exec(message?.text ?? "")?.[1];
    assert.ok(code, "the code is in the message");
    const right = await c.post("/assistance/code", { code });
    assert.equal(right.statusCode, 303);
    assert.equal(right.headers.location, "/assistance/compte");
    const info = await c.get("/assistance/compte");
    assert.equal(info.statusCode, 200);
    assert.match(textOf(info.body), new RegExp(`Votre nom d'utilisateur est : ${account.username}`));
  });

  it("goes straight on when the account has no recovery address", async () => {
    const row = uniqueStaff({ date_naissance: "01/01/1990" });
    await seedStaff(ctx.services, [row]);
    const c = new WebClient(app, nextIp());
    const res = await signIn(c, row.numen, "01/01/1990");
    assert.equal(res.headers.location, "/assistance/compte");
  });
});
