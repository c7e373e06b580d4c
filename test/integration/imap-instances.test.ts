/**
 * IMAP beyond one process and one network: changes made through another instance reach an idling
 * client (PostgreSQL LISTEN/NOTIFY, and Redis when configured); TLS (implicit, and STARTTLS with
 * LOGINDISABLED before it for a client not on loopback); the connection limits per address and per
 * account; and the server's stop, which tells every client `* BYE`.
 */
import assert from "node:assert/strict";
import { networkInterfaces } from "node:os";
import { after, before, describe, it } from "node:test";
import type { ImapServer } from "../../src/imap/server.js";
import type { Services } from "../../src/services.js";
import { openTestServices, REDIS_URL, type TestContext } from "../helpers/env.js";
import { deliverTo, IMAP_PASSWORD, imapAccount, quoted, RawImap, startImap } from "../helpers/imap.js";
import { selfSigned } from "../helpers/smtp.js";
import { openTwinServices } from "../helpers/web.js";

/** An address of this machine that is not loopback; the tests that need one fail without it. */
function externalAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) if (entry.family === "IPv4" && !entry.internal) return entry.address;
  }
  throw new Error(
    "this machine has no IPv4 address besides loopback: the rules for IMAP clients that are not on loopback cannot be tested",
  );
}

for (const bus of ["postgres", "redis"] as const) {
  describe(`IMAP IDLE across two instances on PostgreSQL (${bus === "redis" ? "Redis pub/sub" : "LISTEN/NOTIFY"})`, () => {
    let ctx: TestContext;
    let twin: { services: Services; close(): Promise<void> };
    let server: ImapServer;
    const env: Record<string, string> = bus === "redis" ? { SESAME_REDIS_URL: REDIS_URL } : {};

    before(async () => {
      const prefix = `test:${Math.random().toString(36).slice(2)}:`;
      ctx = await openTestServices("postgres", env, { redisPrefix: prefix });
      twin = await openTwinServices(ctx, env, { redisPrefix: prefix });
      server = await startImap(ctx.services);
    });
    after(async () => {
      await server.close();
      await twin.close();
      await ctx.close();
    });

    it("a delivery, a move and a flag made through the other instance reach the idling client within a second", async () => {
      const account = await imapAccount(ctx.services);
      const first = await deliverTo(twin.services, account.address, { subject: "Premier" });
      const { client } = await RawImap.connect(server.port);
      await client.command(`LOGIN ${account.username} ${quoted(IMAP_PASSWORD)}`);
      await client.command("SELECT INBOX");
      client.write("I1 IDLE\r\n");
      assert.match(await client.line(), /^\+ /);

      let t = Date.now();
      await deliverTo(twin.services, account.address, { subject: "Deuxième" });
      assert.equal(await client.line(1_000), "* 2 EXISTS");
      assert.ok(Date.now() - t < 1_000);

      t = Date.now();
      await twin.services.mail.setFlags(account.id, [first], { flagged: true });
      assert.match(await client.line(1_000), /^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged\)\)$/);

      const trash = await twin.services.mail.folderByRole(account.id, "trash");
      await twin.services.mail.move(account.id, [first], trash.id);
      assert.equal(await client.line(1_000), "* 1 EXPUNGE");
      assert.ok(Date.now() - t < 2_000);
      client.write("DONE\r\n");
      assert.match((await client.until("I1")).tagged, /^I1 OK/);
      client.close();
    });
  });
}

describe("IMAP over TLS, and for a client that is not on loopback", () => {
  let ctx: TestContext;
  let certs: ReturnType<typeof selfSigned>;
  let tlsServer: ImapServer;
  let plainServer: ImapServer;
  let username: string;

  before(async () => {
    certs = selfSigned();
    ctx = await openTestServices("sqlite", { SESAME_SMTP_TLS_CERT: certs.cert, SESAME_SMTP_TLS_KEY: certs.key });
    tlsServer = await startImap(ctx.services, {}, "0.0.0.0");
    const plainCtx = { ...ctx.services, config: { ...ctx.services.config, smtpTls: null } } as Services;
    plainServer = await startImap(plainCtx, {}, "0.0.0.0");
    username = (await imapAccount(ctx.services)).username;
  });
  after(async () => {
    await tlsServer.close();
    await plainServer.close();
    await ctx.close();
    certs.remove();
  });

  it("implicit TLS on the IMAPS port: greeting and login", async () => {
    assert.ok(tlsServer.tlsPort);
    const { client, greeting } = await RawImap.connect(tlsServer.tlsPort ?? 0, { tls: true });
    assert.match(greeting, /^\* OK \[CAPABILITY .*AUTH=PLAIN/);
    assert.doesNotMatch(greeting, /STARTTLS/);
    assert.match((await client.command(`LOGIN ${username} ${quoted(IMAP_PASSWORD)}`)).tagged, /^A1 OK/);
    client.close();
  });

  it("not on loopback, in plain text: LOGINDISABLED and a refused LOGIN; after STARTTLS the login works", async () => {
    const { client, greeting } = await RawImap.connect(tlsServer.port, { host: externalAddress() });
    assert.match(greeting, /STARTTLS/);
    assert.match(greeting, /LOGINDISABLED/);
    assert.doesNotMatch(greeting, /AUTH=PLAIN/);
    assert.match((await client.command(`LOGIN ${username} ${quoted(IMAP_PASSWORD)}`)).tagged, /NO \[PRIVACYREQUIRED\]/);
    assert.match(await client.startTls(), /OK/);
    const caps = await client.command("CAPABILITY");
    assert.match(caps.lines[0] ?? "", /AUTH=PLAIN/);
    assert.doesNotMatch(caps.lines[0] ?? "", /STARTTLS|LOGINDISABLED/);
    assert.match((await client.command(`LOGIN ${username} ${quoted(IMAP_PASSWORD)}`)).tagged, / OK /);
    client.close();
  });

  it("not on loopback and no certificate: no way to log in; loopback still can", async () => {
    const remote = await RawImap.connect(plainServer.port, { host: externalAddress() });
    assert.match(remote.greeting, /LOGINDISABLED/);
    assert.doesNotMatch(remote.greeting, /STARTTLS/);
    assert.match((await remote.client.command("STARTTLS")).tagged, /BAD/);
    remote.client.close();
    const local = await RawImap.connect(plainServer.port);
    assert.match((await local.client.command(`LOGIN ${username} ${quoted(IMAP_PASSWORD)}`)).tagged, /^A1 OK/);
    local.client.close();
  });
});

describe("IMAP connection limits and stop", () => {
  let ctx: TestContext;
  let server: ImapServer;

  before(async () => {
    ctx = await openTestServices("sqlite", { SESAME_IMAP_MAX_PER_ADDRESS: "4", SESAME_IMAP_MAX_PER_ACCOUNT: "2" });
    server = await startImap(ctx.services);
  });
  after(async () => {
    await server.close();
    await ctx.close();
  });

  it("past the limit per account a login gets NO [LIMIT]; past the limit per address a connection gets BYE", async () => {
    const account = await imapAccount(ctx.services);
    const open: RawImap[] = [];
    for (let i = 0; i < 2; i++) {
      const { client } = await RawImap.connect(server.port);
      assert.match((await client.command(`LOGIN ${account.username} ${quoted(IMAP_PASSWORD)}`)).tagged, / OK /);
      open.push(client);
    }
    const third = await RawImap.connect(server.port);
    assert.match(
      (await third.client.command(`LOGIN ${account.username} ${quoted(IMAP_PASSWORD)}`)).tagged,
      /NO \[LIMIT\]/,
    );
    open.push(third.client);
    const fourth = await RawImap.connect(server.port);
    open.push(fourth.client);
    const fifth = await RawImap.connect(server.port);
    assert.match(fifth.greeting, /^\* BYE Too many connections/);
    // A connection that ends frees its place.
    open.shift()?.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = await RawImap.connect(server.port);
    assert.match(again.greeting, /^\* OK/);
    for (const c of [...open, again.client, fifth.client]) c.close();
  });

  it("when the server stops, a connected client is told BYE", async () => {
    const own = await startImap(ctx.services);
    const { client } = await RawImap.connect(own.port);
    const closing = own.close();
    assert.match(await client.line(5_000), /^\* BYE /);
    await closing;
  });
});
