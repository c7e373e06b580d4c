/**
 * The log: JSON lines on standard error and the human lines of `sesame serve` alone on standard
 * output; each web request's id (a proxy's sane X-Request-Id, else a UUID) sent back, bound to its
 * log lines and written into its audit entries; the start-up warning of PostgreSQL without Redis
 * (which limits stay per instance); X-Forwarded-For from a private address without
 * SESAME_TRUST_PROXY warned about once.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { type RunningServer, startServer } from "../../src/main.js";
import { buildApp } from "../../src/web/app.js";
import { openTestServices, REDIS_URL, TEST_SECRET, tempDir } from "../helpers/env.js";
import { capturingLogger } from "../helpers/logger.js";
import { sesameEnv } from "../helpers/sesame-process.js";
import { WebClient } from "../helpers/web.js";

const BIN = path.resolve("bin/sesame.js");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("request ids", () => {
  it("a sane X-Request-Id is kept, another replaced; the id reaches the audit entry and the log lines", async () => {
    const ctx = await openTestServices("sqlite");
    const { logger, lines } = capturingLogger();
    const app = await buildApp({ services: ctx.services, logger });
    try {
      const c = new WebClient(app, "192.0.2.77");
      await c.get("/");
      const failed = await c.post(
        "/connexion",
        { username: `inconnu.${Date.now()}`, password: "pas de mot de passe" },
        { "x-request-id": "lb-7f3a-0001" },
      );
      assert.equal(failed.statusCode, 401);
      assert.equal(failed.headers["x-request-id"], "lb-7f3a-0001");
      const [entry] = await ctx.services.audit.list({ action: "login.failed", limit: 1 });
      assert.equal(entry?.details.requestId, "lb-7f3a-0001");

      const odd = await c.get("/", { "x-request-id": "a b\u0000<script>" });
      assert.match(String(odd.headers["x-request-id"]), UUID);
      const plain = await c.get("/");
      assert.match(String(plain.headers["x-request-id"]), UUID);

      // A line logged while serving the request carries its id.
      const refused = await c.post(
        "/connexion",
        { username: "x", password: "y", _csrf: "faux" },
        {
          "x-request-id": "lb-7f3a-0002",
        },
      );
      assert.equal(refused.statusCode, 403);
      assert.ok(
        lines.some((l) => l.requestId === "lb-7f3a-0002"),
        JSON.stringify(lines),
      );
    } finally {
      await app.close();
      await ctx.close();
    }
  });
});

describe("start-up and proxy warnings", () => {
  const warnings = (lines: Record<string, unknown>[], pattern: RegExp) =>
    lines.filter((l) => l.level === 40 && pattern.test(String(l.msg)));

  it("PostgreSQL without Redis: one line naming the limits that stay per instance; none with Redis or SQLite", async () => {
    const cases = [
      { dialect: "postgres", env: {}, expected: 1 },
      { dialect: "postgres", env: { SESAME_REDIS_URL: REDIS_URL }, expected: 0 },
      { dialect: "sqlite", env: {}, expected: 0 },
    ] as const;
    for (const { dialect, env, expected } of cases) {
      const ctx = await openTestServices(dialect, env, { redisPrefix: `t:${Date.now()}:` });
      const { logger, lines } = capturingLogger();
      const server = await startServer(ctx.config, ctx.services, { logger });
      await ctx.close();
      await server.stop();
      const found = warnings(lines, /SESAME_REDIS_URL/);
      assert.equal(found.length, expected, `${dialect} ${JSON.stringify(env)}: ${JSON.stringify(lines)}`);
      if (expected === 1) {
        assert.match(String(found[0]?.msg), /per instance/);
        assert.match(String(found[0]?.msg), /suggest/);
        assert.match(String(found[0]?.msg), /smtp-harvest/);
        assert.doesNotMatch(String(found[0]?.msg), /\n/);
      }
    }
  });

  it("X-Forwarded-For from a private address without SESAME_TRUST_PROXY: warned once; never when trusted", async () => {
    for (const trust of ["false", "true"]) {
      const ctx = await openTestServices("sqlite", { SESAME_TRUST_PROXY: trust });
      const { logger, lines } = capturingLogger();
      let server: RunningServer | undefined;
      try {
        const running = await startServer(ctx.config, ctx.services, { logger });
        server = running;
        for (let i = 0; i < 3; i++) {
          const res = await fetch(new URL("/healthz", running.url), { headers: { "x-forwarded-for": "203.0.113.9" } });
          assert.equal(res.status, 200);
        }
        // Without the header: nothing to say.
        await fetch(new URL("/healthz", running.url));
      } finally {
        await server?.stop();
        await ctx.close().catch(() => undefined);
      }
      const found = warnings(lines, /X-Forwarded-For/);
      assert.equal(found.length, trust === "false" ? 1 : 0, JSON.stringify(lines));
      if (trust === "false") assert.match(String(found[0]?.msg), /SESAME_TRUST_PROXY/);
    }
  });
});

describe("the log on a terminal", () => {
  // util-linux's `script` gives the process a terminal (Debian: always installed).
  const skip = existsSync("/usr/bin/script") ? false : "util-linux's script is missing";
  it("is readable (pino-pretty), not JSON", { skip }, () => {
    const program = `import("./src/shared/logger.ts").then((m) => m.createLogger("info").info({ door: "webmail" }, "lisible"))`;
    const command = `${JSON.stringify(process.execPath)} --import tsx -e ${JSON.stringify(program)}`;
    const output = execFileSync("/usr/bin/script", ["-qefc", command, "/dev/null"], { encoding: "utf8" });
    assert.match(output, /INFO/);
    assert.match(output, /lisible/);
    assert.match(output, /door/);
    assert.doesNotMatch(output, /"level":/);
  });
});

describe("sesame serve's output", () => {
  it("human lines alone on standard output, JSON lines on standard error", { timeout: 60_000 }, async () => {
    const tmp = tempDir();
    const child = spawn(process.execPath, [BIN, "serve"], {
      env: sesameEnv({ SESAME_DATA_DIR: tmp.dir, SESAME_SECRET: TEST_SECRET, SESAME_LOG_LEVEL: "info" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", () => {
          const m = /^IMAP \(mail clients\) listening/m.test(stdout)
            ? /listening on (http:\/\/[^\s)]+)/.exec(stdout)
            : null;
          if (m?.[1]) resolve(m[1]);
        });
        child.on("exit", (code) => reject(new Error(`exited with ${code}: ${stdout}${stderr}`)));
      });
      const res = await fetch(new URL("/nulle-part", url), { headers: { "x-request-id": "sortie-42" } });
      assert.equal(res.status, 404);
      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0, stderr);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      tmp.remove();
    }
    const outLines = stdout.split("\n").filter((l) => l.trim() !== "");
    assert.ok(outLines.length >= 4, stdout);
    for (const line of outLines) assert.doesNotMatch(line, /^\s*\{/, `a JSON line on standard output: ${line}`);
    assert.match(stdout, /Sésame \(.+\) is running at /);
    const errLines = stderr.split("\n").filter((l) => l.trim() !== "");
    assert.ok(errLines.length >= 3, stderr);
    for (const line of errLines) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      assert.equal(typeof parsed.level, "number", line);
      assert.equal(typeof parsed.msg, "string", line);
    }
    assert.ok(errLines.some((l) => /"msg":"stopping"/.test(l)));
    assert.ok(errLines.some((l) => /"msg":"stopped"/.test(l)));
  });
});
