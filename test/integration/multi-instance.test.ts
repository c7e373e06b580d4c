/**
 * Two instances of the application on one PostgreSQL schema and one Redis: what one
 * instance learns (a lockout, a session, a logout, a password change, an address to challenge) the
 * other enforces.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { openTestServices, REDIS_URL, type TestContext } from "../helpers/env.js";
import type { StaffRow } from "../helpers/staff.js";
import {
  accountOf,
  deleteRedisKeys,
  openTwinServices,
  seedStaff,
  testApp,
  textOf,
  uniqueStaff,
  WebClient,
} from "../helpers/web.js";

const PASSWORD = "Trois hiboux veillent sur la Croix-Rousse";
const NEW_PASSWORD = "Une péniche glisse lentement vers Confluence";

let ipCounter = 0;
function nextIp(): string {
  ipCounter += 1;
  return `100.64.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

function sessionCookie(res: LightMyRequestResponse): string | undefined {
  return res.cookies.find((c) => c.name === "sesame" && c.value !== "")?.value;
}

describe("two instances on one PostgreSQL and one Redis", () => {
  const prefix = `sesame-test:${randomBytes(6).toString("hex")}:`;
  const env = { SESAME_REDIS_URL: REDIS_URL };
  let ctx: TestContext;
  let twin: { services: Services; close(): Promise<void> };
  let appA: FastifyInstance;
  let appB: FastifyInstance;

  before(async () => {
    ctx = await openTestServices("postgres", env, { redisPrefix: prefix });
    twin = await openTwinServices(ctx, env, { redisPrefix: prefix });
    appA = await testApp(ctx.services);
    appB = await testApp(twin.services);
  });
  after(async () => {
    await appA?.close();
    await appB?.close();
    if (ctx?.services.redis) await deleteRedisKeys(ctx.services.redis, prefix);
    await twin?.close();
    await ctx?.close();
  });

  async function personal(): Promise<{ row: StaffRow; account: Account }> {
    const row = uniqueStaff();
    await seedStaff(ctx.services, [row]);
    const account = await accountOf(ctx.services, row);
    await ctx.services.directory.setPasswordHash(
      account.id,
      await ctx.services.hasher.hash(PASSWORD),
      "personal",
      null,
    );
    return { row, account };
  }

  /** The Redis keys of this run matching a pattern after the prefix. */
  async function keys(pattern: string): Promise<string[]> {
    const redis = ctx.services.redis;
    assert.ok(redis, "instance A uses Redis");
    return redis.keys(`${prefix}${pattern}`);
  }

  it("both instances really share one database and one Redis", async () => {
    assert.ok(ctx.services.redis && twin.services.redis);
    assert.notEqual(ctx.services.redis, twin.services.redis, "two connections");
    const { account } = await personal();
    assert.equal((await twin.services.directory.credentials(account.username))?.account.id, account.id);
  });

  it("a lockout earned on instance A is enforced on instance B", async () => {
    const { account } = await personal();
    const onA = new WebClient(appA, nextIp());
    for (let i = 0; i < 5; i++) {
      assert.equal((await onA.login(account.username, `faux ${i}`)).statusCode, 401, `failure ${i + 1} on A`);
    }
    const onB = new WebClient(appB, nextIp());
    const refused = await onB.login(account.username, PASSWORD);
    assert.equal(refused.statusCode, 429);
    assert.ok(Number(refused.headers["retry-after"]) > 0);
    assert.ok(textOf(refused.body).includes("Trop de tentatives de connexion pour ce compte."));
    assert.equal(sessionCookie(refused), undefined);
    // The counters live in Redis, not in the database.
    assert.ok((await keys("thr:*")).length > 0, "throttle keys in Redis");
    const rows = await ctx.services.database.db.selectFrom("throttle_failure").select("key").execute();
    assert.equal(rows.length, 0, "nothing counted in the database when Redis is configured");
    const throttled = await ctx.services.audit.list({ action: "login.throttled" });
    assert.ok(throttled.some((e) => e.details.username === account.username && e.details.ip === onB.ip));
  });

  it("a session opened on A is valid on B, and logout on B ends it on A", async () => {
    const { row, account } = await personal();
    const onA = new WebClient(appA, nextIp());
    const login = await onA.login(account.username, PASSWORD);
    assert.equal(login.statusCode, 303);
    assert.equal((await onA.get("/mail")).statusCode, 200);
    assert.ok((await keys("sess:*")).length > 0, "the session is in Redis");
    const rows = await ctx.services.database.db.selectFrom("session").select("id_hash").execute();
    assert.equal(rows.length, 0, "and not in the database");

    // The same browser, now routed to B by the load balancer.
    const onB = new WebClient(appB, onA.ip);
    for (const [k, v] of onA.cookies) onB.cookies.set(k, v);
    const mail = await onB.get("/mail");
    assert.equal(mail.statusCode, 200);
    assert.ok(textOf(mail.body).includes(`${row.prenom} ${row.nom}`));
    assert.ok(textOf(mail.body).includes(account.address));
    // B's forms carry a token A accepts too (same secret, same cookie).
    const out = await onB.post("/deconnexion", {});
    assert.equal(out.statusCode, 303);
    assert.equal(out.headers.location, "/?deconnecte");

    const back = await onA.get("/mail");
    assert.equal(back.statusCode, 303);
    assert.equal(back.headers.location, "/?expire");
    assert.equal(await ctx.services.sessions.resolve(sessionCookie(login)), null);
    const logouts = await ctx.services.audit.list({ action: "logout" });
    assert.ok(logouts.some((e) => e.entityId === String(account.id)));
  });

  it("a password change on A ends the account's session on B", async () => {
    const row = uniqueStaff();
    await seedStaff(ctx.services, [row]);
    const account = await accountOf(ctx.services, row);
    const onA = new WebClient(appA, nextIp());
    const onB = new WebClient(appB, nextIp());
    assert.equal((await onA.login(account.username, row.numen)).headers.location, "/changer-mot-de-passe");
    assert.equal((await onB.login(account.username, row.numen)).headers.location, "/changer-mot-de-passe");
    await onA.get("/changer-mot-de-passe");
    const changed = await onA.post("/changer-mot-de-passe", { newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    assert.equal(changed.statusCode, 303);
    const gone = await onB.get("/changer-mot-de-passe");
    assert.equal(gone.statusCode, 303);
    assert.equal(gone.headers.location, "/?expire");
    // And the new password works on B.
    const again = await new WebClient(appB, nextIp()).login(account.username, NEW_PASSWORD);
    assert.equal(again.statusCode, 303);
    assert.equal(again.headers.location, "/mail");
  });

  it("an address that failed 20 times on A must solve a challenge on B", async () => {
    const ip = nextIp();
    const onA = new WebClient(appA, ip);
    await onA.get("/");
    for (let i = 0; i < 20; i++) {
      const res = await onA.post("/connexion", {
        username: `nobody${i}${randomBytes(3).toString("hex")}`,
        password: "x",
      });
      assert.equal(res.statusCode, 401);
    }
    const onB = new WebClient(appB, ip);
    const page = await onB.get("/");
    assert.match(page.body, /<altcha-widget\b/);
    const { account } = await personal();
    const refused = await onB.post("/connexion", { username: account.username, password: PASSWORD });
    assert.equal(refused.statusCode, 429);
    assert.equal(sessionCookie(refused), undefined);
  });
});
