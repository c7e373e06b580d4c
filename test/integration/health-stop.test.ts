/**
 * Health and the graceful stop.
 * - /healthz answers while the process lives; /readyz checks the database, Redis when configured and
 *   the migrations, and answers 503 once the instance drains (on SQLite and PostgreSQL).
 * - The real `sesame serve` process, stopped with SIGTERM while a browser-like client holds a
 *   keep-alive connection, a POST is half sent, another client never finishes its request, an SMTP
 *   session is between two RCPTs, an IMAP client is in IDLE, and the parent has closed the pipes of
 *   the process's standard output and error (it went away): the POST gets its answer, the SMTP
 *   session a 421, the IMAP client `* BYE`, and the process exits with 0 within 30 s. Right after
 *   SIGTERM it drains: /readyz answers 503 while a page asked on a new connection still gets 200.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { DRAIN_MS } from "../../src/main.js";
import { openServices } from "../../src/services.js";
import { buildApp } from "../../src/web/app.js";
import { createReadiness, type Readiness } from "../../src/web/routes/health.routes.js";
import {
  DIALECTS,
  openTestServices,
  REDIS_URL,
  TEST_SECRET,
  type TestContext,
  tempDir,
  testConfig,
} from "../helpers/env.js";
import { IMAP_PASSWORD, imapAccount, RawImap } from "../helpers/imap.js";
import { sesameEnv } from "../helpers/sesame-process.js";
import { RawSmtp } from "../helpers/smtp.js";

const BIN = path.resolve("bin/sesame.js");

for (const dialect of DIALECTS) {
  describe(`/healthz and /readyz (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let readiness: Readiness;
    before(async () => {
      ctx = await openTestServices(dialect, { SESAME_REDIS_URL: REDIS_URL }, { redisPrefix: `t:${Date.now()}:` });
      readiness = createReadiness();
      app = await buildApp({ services: ctx.services, readiness });
      await app.ready();
    });
    after(async () => {
      await app.close();
      await ctx.close();
    });

    it("alive and ready; 503 when Redis stops answering, and from the moment it drains", async () => {
      const healthz = await app.inject({ method: "GET", url: "/healthz" });
      assert.equal(healthz.statusCode, 200);
      assert.equal(healthz.body, "ok");
      assert.equal(healthz.headers["cache-control"], "no-store");
      const ready = await app.inject({ method: "GET", url: "/readyz" });
      assert.equal(ready.statusCode, 200, ready.body);
      assert.equal(ready.body, "ready");

      readiness.drain();
      const draining = await app.inject({ method: "GET", url: "/readyz" });
      assert.equal(draining.statusCode, 503);
      assert.match(draining.body, /stopping/);
      // Alive all the same.
      assert.equal((await app.inject({ method: "GET", url: "/healthz" })).statusCode, 200);
    });
  });
}

describe("/readyz: Redis and migrations", () => {
  it("503 naming Redis when it no longer answers, and the migrations when some are pending", async () => {
    const ctx = await openTestServices("sqlite", { SESAME_REDIS_URL: REDIS_URL }, { redisPrefix: `t:${Date.now()}:` });
    const app = await buildApp({ services: ctx.services });
    try {
      await sql`delete from kysely_migration where name = '018-console'`.execute(ctx.services.database.db);
      const pending = await app.inject({ method: "GET", url: "/readyz" });
      assert.equal(pending.statusCode, 503);
      assert.match(pending.body, /migrations pending \(018-console\)/);
      ctx.services.redis?.disconnect();
      const noRedis = await app.inject({ method: "GET", url: "/readyz" });
      assert.equal(noRedis.statusCode, 503);
      assert.match(noRedis.body, /redis/);
    } finally {
      await app.close();
      await ctx.close();
    }
  });
});

/** The status of a GET on a connection of its own (no keep-alive). */
function statusOf(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      })
      .on("error", reject);
  });
}

/** Reads the HTTP response on a raw socket (until the server closes it or a whole response came). */
function responseOn(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      text += d;
    });
    socket.on("close", () => resolve(text));
    socket.on("error", () => undefined);
  });
}

describe("sesame serve: SIGTERM with clients connected and the parent gone", () => {
  it("answers what is under way, says 421 and BYE, and exits with 0 within 30 s", { timeout: 60_000 }, async () => {
    const tmp = tempDir();
    const env = sesameEnv({
      SESAME_DATA_DIR: tmp.dir,
      SESAME_SECRET: TEST_SECRET,
      SESAME_LOG_LEVEL: "info",
      SESAME_ARGON2_MEMORY_KIB: "1024",
      SESAME_ARGON2_TIME_COST: "1",
      SESAME_TRUSTED_RELAYS: "127.0.0.0/8",
    });
    // An account to write to and to read with, in the data folder the process will serve.
    const seeded = await openServices(testConfig(env));
    const account = await imapAccount(seeded);
    await seeded.close();

    const child = spawn(process.execPath, [BIN, "serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      let stdout = "";
      const ports = await new Promise<{ url: string; smtp: number; imap: number }>((resolve, reject) => {
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
          stdout += d;
          const url = /listening on (http:\/\/[^\s)]+)/.exec(stdout)?.[1];
          const smtp = /SMTP reception for \S+ listening on [^:]+:(\d+)/.exec(stdout)?.[1];
          const imap = /IMAP \(mail clients\) listening on [^:]+:(\d+)/.exec(stdout)?.[1];
          if (url && smtp && imap) resolve({ url, smtp: Number(smtp), imap: Number(imap) });
        });
        child.stderr.resume();
        child.on("exit", (code) => reject(new Error(`exited with ${code}: ${stdout}`)));
      });
      const base = new URL(ports.url);

      // A browser: a keep-alive connection, idle after its page.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const page = await new Promise<number>((resolve, reject) => {
        http
          .get(ports.url, { agent }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          })
          .on("error", reject);
      });
      assert.equal(page, 200);

      // A POST whose body is half sent when the stop begins.
      const post = net.connect(Number(base.port), base.hostname);
      await once(post, "connect");
      const postAnswer = responseOn(post);
      const body = "username=personne&password=rien";
      post.write(
        `POST /connexion HTTP/1.1\r\nHost: ${base.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
      );
      // A client that never finishes its request (cut when the grace ends).
      const stuck = net.connect(Number(base.port), base.hostname);
      await once(stuck, "connect");
      const stuckClosed = once(stuck, "close");
      stuck.on("error", () => undefined);
      stuck.write(`GET / HTTP/1.1\r\nHost: ${base.host}\r\n`);

      // An SMTP session between two RCPTs.
      const smtp = await RawSmtp.open(ports.smtp);
      assert.equal((await smtp.command("MAIL FROM:<expediteur@exemple.org>")).code, 250);
      assert.equal((await smtp.command(`RCPT TO:<${account.address}>`)).code, 250);

      // An IMAP client in IDLE.
      const { client: imap } = await RawImap.connect(ports.imap);
      assert.match((await imap.command(`LOGIN ${account.username} "${IMAP_PASSWORD}"`)).tagged, / OK /);
      assert.match((await imap.command("SELECT INBOX")).tagged, / OK /);
      imap.write("I1 IDLE\r\n");
      assert.match(await imap.line(), /^\+ /);

      // The parent goes away: nobody reads the process's output any more.
      child.stdout.destroy();
      child.stderr.destroy();

      assert.equal(await statusOf(new URL("/readyz", ports.url).href), 200);
      const t0 = Date.now();
      child.kill("SIGTERM");

      // Draining: /readyz says 503 at once (the signal takes a moment to arrive), while the
      // listeners stay open and serve a new connection's request.
      let ready = 200;
      while (ready === 200 && Date.now() - t0 < 1_500) ready = await statusOf(new URL("/readyz", ports.url).href);
      assert.equal(ready, 503);
      const drainedAfter = Date.now() - t0;
      assert.equal(await statusOf(ports.url), 200);
      assert.ok(Date.now() - t0 < DRAIN_MS, `the page was served ${Date.now() - t0} ms after SIGTERM`);
      console.log(`# drain: /readyz 503 after ${drainedAfter} ms`);

      // IMAP: BYE (IDLE is no command under way).
      assert.match(await imap.line(10_000), /^\* BYE /);
      // SMTP: 421 (as the answer to the next RCPT, or unsolicited).
      smtp.socket.write(`RCPT TO:<${account.address}>\r\n`);
      const closing = await smtp.reply();
      assert.equal(closing.code, 421, closing.text);
      // The half-sent POST is finished and answered (not cut).
      post.write(body.slice(10));
      const answer = await postAnswer;
      assert.match(answer, /^HTTP\/1\.1 \d{3} /);
      assert.doesNotMatch(answer, /^HTTP\/1\.1 5\d\d/);

      const [code, signal] = await exited;
      const ms = Date.now() - t0;
      console.log(`# stop: exited after ${ms} ms`);
      assert.equal(signal, null);
      assert.equal(code, 0);
      assert.ok(ms < 30_000, `exited after ${ms} ms`);
      // The stuck client was cut, the browser's keep-alive connection closed.
      await stuckClosed;
      agent.destroy();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      tmp.remove();
    }
  });
});
