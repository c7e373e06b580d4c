/**
 * `sesame config check` through the real CLI: the effective configuration with its secrets masked,
 * one line per check, exit 0 when everything works (warnings included) and 1 naming each failure —
 * the database (SQLite and PostgreSQL), Redis, the SMTP relay (a real one: Sésame's own submission
 * port would need a login; a closed port fails), the TLS certificate and key, the secret file.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { chmodSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, describe, it } from "node:test";
import { checkConfiguration } from "../../src/operations/config-check.js";
import { openServices } from "../../src/services.js";
import { POSTGRES_URL, REDIS_URL, tempDir, testConfig } from "../helpers/env.js";
import { runSesame, type SesameRun } from "../helpers/sesame-process.js";
import { selfSigned } from "../helpers/smtp.js";

const SECRET = "le-secret-du-test-qui-ne-doit-jamais-paraitre-0123456789";
const RELAY_PASSWORD = "mot-de-passe-du-relais-jamais-affiche";

const cleanups: Array<() => void> = [];
after(() => {
  for (const clean of cleanups) clean();
});

function baseEnv(dir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    SESAME_DATA_DIR: dir,
    SESAME_SECRET: SECRET,
    SESAME_LOG_LEVEL: "warn",
  };
}

function check(env: Record<string, string>): Promise<SesameRun> {
  return runSesame(["config", "check"], env);
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

/** A minimal SMTP server that answers EHLO and QUIT (an operator's relay, as far as `verify` goes). */
async function fakeRelay(): Promise<{ port: number; close(): void }> {
  const server = net.createServer((socket) => {
    socket.write("220 relais.exemple.org ESMTP\r\n");
    socket.setEncoding("latin1").on("data", (d: string) => {
      for (const line of d.split("\r\n").filter(Boolean)) {
        if (/^EHLO/i.test(line)) socket.write("250-relais.exemple.org\r\n250 8BITMIME\r\n");
        else if (/^QUIT/i.test(line)) socket.end("221 bye\r\n");
        else socket.write("250 ok\r\n");
      }
    });
    socket.on("error", () => undefined);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

describe("sesame config check", () => {
  it("SQLite, Redis, a relay and a valid certificate: every check ok, the secrets masked, exit 0", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const seeded = await openServices(testConfig({ SESAME_DATA_DIR: dir.dir }));
    await seeded.close();
    const relay = await fakeRelay();
    const tls = selfSigned();
    cleanups.push(() => relay.close(), tls.remove);
    const result = await check({
      ...baseEnv(dir.dir),
      SESAME_REDIS_URL: REDIS_URL,
      SESAME_SMTP_RELAY_URL: `smtp://127.0.0.1:${relay.port}`,
      SESAME_SMTP_TLS_CERT: tls.cert,
      SESAME_SMTP_TLS_KEY: tls.key,
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Effective configuration \(secrets masked\):/);
    assert.match(result.stdout, /secret\s+••••••••/);
    assert.match(result.stdout, /passwordMinLength\s+\d+/, "a number is not a secret");
    assert.match(result.stdout, /ok\s+database: sqlite:.*reachable, migrations up to date/);
    assert.match(result.stdout, /ok\s+redis: redis:\/\/127\.0\.0\.1:6379: answers/);
    assert.match(result.stdout, /ok\s+smtp relay: smtp:\/\/127\.0\.0\.1:\d+: answers EHLO/);
    // The test certificate is valid for one day: a warning, not a failure.
    assert.match(result.stdout, /warn\s+smtp tls: CN=localhost: expires in 0 day/);
    assert.match(result.stdout, /ok\s+secret: from SESAME_SECRET/);
    assert.match(result.stdout, /The configuration works\./);
    assert.ok(!result.stdout.includes(SECRET) && !result.stderr.includes(SECRET), "the secret is never printed");
  });

  it("PostgreSQL: reachable, the password masked", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const url = new URL(POSTGRES_URL);
    url.password = "mot-de-passe-postgres";
    const result = await check({ ...baseEnv(dir.dir), SESAME_DATABASE_URL: url.toString() });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /(ok|warn)\s+database: postgres:\/\/••••••••:••••••••@127\.0\.0\.1:5432\/test: reachable/,
    );
    assert.ok(!result.stdout.includes("mot-de-passe-postgres"));
  });

  it("Redis and the relay on closed ports, a key that is not the certificate's: exit 1 naming each", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const first = selfSigned();
    const second = selfSigned();
    cleanups.push(first.remove, second.remove);
    const [redisPort, relayPort] = [await closedPort(), await closedPort()];
    const result = await check({
      ...baseEnv(dir.dir),
      SESAME_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      SESAME_SMTP_RELAY_URL: `smtp://relais:${RELAY_PASSWORD}@127.0.0.1:${relayPort}`,
      SESAME_SMTP_TLS_CERT: first.cert,
      SESAME_SMTP_TLS_KEY: second.key,
    });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /FAIL\s+redis: Redis is unreachable at redis:\/\/127\.0\.0\.1:\d+/);
    assert.match(result.stdout, /FAIL\s+smtp relay: smtp:\/\/••••••••:••••••••@127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    assert.match(result.stdout, /FAIL\s+smtp tls: the key .* does not match the certificate/);
    assert.match(result.stderr, /the configuration does not work: redis, smtp relay, smtp tls/);
    assert.ok(!`${result.stdout}${result.stderr}`.includes(RELAY_PASSWORD));
  });

  it("an expired certificate fails; a secret file readable by others is a warning; a missing one fails", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const tls = selfSigned();
    cleanups.push(tls.remove);
    const config = testConfig({
      SESAME_DATA_DIR: dir.dir,
      SESAME_SECRET: "",
      SESAME_SMTP_TLS_CERT: tls.cert,
      SESAME_SMTP_TLS_KEY: tls.key,
    });
    const inThreeDays = new Date(Date.now() + 3 * 86_400_000);
    const expired = await checkConfiguration(config, inThreeDays);
    assert.match(expired.checks.find((c) => c.name === "smtp tls")?.detail ?? "", /expired on/);
    assert.deepEqual(expired.failed, ["smtp tls"]);
    assert.equal(expired.checks.find((c) => c.name === "database")?.status, "warn", "no database yet");

    chmodSync(path.join(dir.dir, "secret"), 0o644);
    const wide = await checkConfiguration(config);
    assert.equal(wide.checks.find((c) => c.name === "secret")?.status, "warn");
    rmSync(path.join(dir.dir, "secret"));
    const missing = await checkConfiguration(config);
    assert.equal(missing.checks.find((c) => c.name === "secret")?.status, "FAIL");
    assert.ok(missing.failed.includes("secret"));
  });
});
