/**
 * The Prometheus endpoint, on SQLite and PostgreSQL: not listened on by default; with
 * SESAME_METRICS_PORT, scraped after real HTTP requests, sign-ins, an SMTP message and IMAP
 * commands, it shows each series with the expected value, labels from bounded sets only (the route
 * pattern, never the URL; never a username or an address), and the gauges read at scrape time.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../src/config/config.js";
import { type RunningServer, startServer } from "../../src/main.js";
import { DIALECTS, openTestServices, TEST_SECRET, type TestContext, tempDir, testConfig } from "../helpers/env.js";
import { IMAP_PASSWORD, imapAccount, RawImap } from "../helpers/imap.js";
import { capturingLogger } from "../helpers/logger.js";
import { RawSmtp } from "../helpers/smtp.js";
import { MAILBOX_PASSWORD, nextMailboxIp, staffWithPassword, WebClient } from "../helpers/web.js";

/** The value of one series in Prometheus' text format (labels in any order), or undefined. */
function seriesValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe("metrics configuration", () => {
  it("is off by default, on loopback when a port is given, elsewhere only when SESAME_METRICS_HOST says so", () => {
    const dir = tempDir();
    try {
      const base = { SESAME_DATA_DIR: dir.dir, SESAME_SECRET: TEST_SECRET };
      assert.equal(loadConfig(base).metrics, null);
      assert.deepEqual(loadConfig({ ...base, SESAME_METRICS_PORT: "9464" }).metrics, { port: 9464, host: "127.0.0.1" });
      assert.deepEqual(loadConfig({ ...base, SESAME_METRICS_PORT: "9464", SESAME_METRICS_HOST: "0.0.0.0" }).metrics, {
        port: 9464,
        host: "0.0.0.0",
      });
      assert.throws(() => loadConfig({ ...base, SESAME_METRICS_PORT: "http" }), /SESAME_METRICS_PORT/);
    } finally {
      dir.remove();
    }
  });

  it("a server started without SESAME_METRICS_PORT listens on no metrics port", async () => {
    const config = testConfig();
    const server = await startServer(config, undefined, { logger: capturingLogger().logger });
    try {
      assert.equal(server.metricsPort, null);
      // The public port does not serve them either.
      assert.equal((await fetch(new URL("/metrics", server.url))).status, 404);
    } finally {
      await server.stop();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`Prometheus metrics (${dialect})`, () => {
    let ctx: TestContext;
    let server: RunningServer;
    let scrapeUrl: string;
    const scrape = async () => {
      const res = await fetch(scrapeUrl);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      return res.text();
    };

    before(async () => {
      ctx = await openTestServices(dialect, { SESAME_METRICS_PORT: "0" });
      server = await startServer(ctx.config, ctx.services, { logger: capturingLogger().logger });
      assert.ok(server.metricsPort);
      scrapeUrl = `http://127.0.0.1:${server.metricsPort}/metrics`;
    });
    after(async () => {
      // The services first (the schema dropped), then the server (its stop closes them again: a no-op warning).
      await ctx.close();
      await server.stop();
    });

    it("HTTP requests by route pattern and status, with a latency histogram", async () => {
      const before = await scrape();
      const get = (path: string) => fetch(new URL(path, server.url));
      assert.equal((await get("/")).status, 200);
      assert.equal((await get("/")).status, 200);
      assert.equal((await get("/nulle-part/7f3a9c")).status, 404);
      const text = await scrape();
      const delta = (labels: Record<string, string>) =>
        (seriesValue(text, "sesame_http_requests_total", labels) ?? 0) -
        (seriesValue(before, "sesame_http_requests_total", labels) ?? 0);
      assert.equal(delta({ method: "GET", route: "/", status: "200" }), 2);
      assert.equal(delta({ method: "GET", route: "unmatched", status: "404" }), 1);
      assert.ok(
        (seriesValue(text, "sesame_http_request_duration_seconds_count", { method: "GET", route: "/" }) ?? 0) >= 2,
      );
      assert.ok(
        seriesValue(text, "sesame_http_request_duration_seconds_bucket", { route: "/", le: "+Inf" }) !== undefined,
      );
      // The raw URL is never a label.
      assert.doesNotMatch(text, /7f3a9c/);
      // The metrics port serves nothing else.
      assert.equal((await fetch(scrapeUrl.replace("/metrics", "/"))).status, 404);
    });

    it("sign-ins by door and result, without any username", async () => {
      const account = await staffWithPassword(ctx.services);
      const ok = new WebClient(server.app, nextMailboxIp());
      assert.equal((await ok.login(account.username, MAILBOX_PASSWORD)).headers.location, "/mail");
      const wrong = new WebClient(server.app, nextMailboxIp());
      assert.equal((await wrong.login(account.username, "pas le bon mot de passe")).statusCode, 401);
      const text = await scrape();
      assert.equal(seriesValue(text, "sesame_signins_total", { door: "webmail", result: "succeeded" }), 1);
      assert.equal(seriesValue(text, "sesame_signins_total", { door: "webmail", result: "failed" }), 1);
      assert.ok(!text.includes(account.username));
      assert.ok(!text.includes(account.address));
    });

    it("Assistance steps and throttles, from the audit entries as they are written", async () => {
      const record = (action: Parameters<typeof ctx.services.audit.record>[0]["action"], details = {}) =>
        ctx.services.audit.record({ actor: "web:assistance", action, entity: "login", details });
      await record("recovery.numen_failed", { ip: "192.0.2.1" });
      await record("recovery.numen_failed", { ip: "192.0.2.1", throttledUntil: new Date().toISOString() });
      await record("recovery.throttled", { ip: "192.0.2.1" });
      await record("recovery.link_requested");
      await ctx.services.audit.record({
        actor: "web:assistance",
        action: "password.changed",
        entity: "account",
        entityId: 1,
      });
      const text = await scrape();
      assert.equal(seriesValue(text, "sesame_assistance_steps_total", { step: "numen", result: "failed" }), 2);
      assert.equal(seriesValue(text, "sesame_assistance_steps_total", { step: "numen", result: "throttled" }), 1);
      assert.equal(seriesValue(text, "sesame_assistance_steps_total", { step: "link", result: "requested" }), 1);
      assert.equal(seriesValue(text, "sesame_assistance_completed_total"), 1);
      assert.equal(seriesValue(text, "sesame_throttles_started_total", { limit: "recovery_numen" }), 1);
      assert.equal(seriesValue(text, "sesame_throttle_refusals_total", { limit: "recovery_numen" }), 1);
      assert.doesNotMatch(text, /192\.0\.2\.1/);
    });

    it("SMTP sessions and messages by result and code, IMAP connections and commands", async () => {
      const account = await imapAccount(ctx.services);
      const smtp = await RawSmtp.open(server.smtpPort);
      assert.equal((await smtp.command("MAIL FROM:<expediteur@exemple.org>")).code, 250);
      assert.equal((await smtp.command(`RCPT TO:<${account.address}>`)).code, 250);
      assert.equal((await smtp.command(`RCPT TO:<personne.${Date.now()}@ac-lyon.fr>`)).code, 550);
      assert.equal((await smtp.command("DATA")).code, 354);
      const stored = await smtp.command("Subject: mesure\r\n\r\nBonjour.\r\n.");
      assert.equal(stored.code, 250, stored.text);
      await smtp.command("QUIT");

      const { client: imap } = await RawImap.connect(server.imapPort);
      assert.match((await imap.command("CAPABILITY")).tagged, / OK /);
      assert.match((await imap.command(`LOGIN ${account.username} "${IMAP_PASSWORD}"`)).tagged, / OK /);
      assert.match((await imap.command("SELECT INBOX")).tagged, / OK /);
      assert.match((await imap.command("SELECT Nulle-Part")).tagged, / NO /);
      const open = await scrape();
      assert.equal(seriesValue(open, "sesame_imap_sessions"), 1);
      await imap.command("LOGOUT");

      const text = await scrape();
      assert.equal(seriesValue(text, "sesame_smtp_sessions_total", { server: "reception" }), 1);
      assert.equal(
        seriesValue(text, "sesame_smtp_messages_total", { server: "reception", result: "accepted", code: "250" }),
        1,
      );
      assert.equal(seriesValue(text, "sesame_imap_connections_total", { port: "plain" }), 1);
      assert.equal(seriesValue(text, "sesame_imap_commands_total", { command: "CAPABILITY", status: "OK" }), 1);
      assert.equal(seriesValue(text, "sesame_imap_commands_total", { command: "SELECT", status: "OK" }), 1);
      assert.equal(seriesValue(text, "sesame_imap_commands_total", { command: "SELECT", status: "NO" }), 1);
      assert.equal(seriesValue(text, "sesame_signins_total", { door: "imap", result: "succeeded" }), 1);
      assert.ok(!text.includes(account.address));
      assert.ok(!text.includes("expediteur"));
    });

    it("the outbound queue, the argon2 gate, the database pool and the process", async () => {
      // One password check more than the gate holds (running + queue): exactly one refused (a 503).
      const hasher = ctx.services.hasher;
      const phc = await hasher.hash("mesure");
      const checks = Array.from({ length: hasher.limits.concurrency + hasher.limits.queue + 1 }, () =>
        hasher.verify(phc, "mesure").then(
          () => "done",
          (error: { code?: string }) => error.code,
        ),
      );
      assert.deepEqual(
        (await Promise.all(checks)).filter((r) => r !== "done"),
        ["OVERLOADED"],
      );
      const text = await scrape();
      assert.equal(seriesValue(text, "sesame_argon2_overloaded_total"), 1);
      assert.equal(seriesValue(text, "sesame_outbound_queue_depth", { state: "queued" }), 0);
      assert.equal(seriesValue(text, "sesame_outbound_queue_oldest_age_seconds"), 0);
      assert.equal(seriesValue(text, "sesame_smtp_intake_messages", { state: "waiting" }), 0);
      assert.equal(seriesValue(text, "sesame_smtp_intake_messages", { state: "failing" }), 0);
      assert.equal(seriesValue(text, "sesame_outbound_deliveries_total", { result: "sent" }), 0);
      assert.equal(seriesValue(text, "sesame_argon2_queue_length"), 0);
      if (dialect === "postgres") {
        assert.ok((seriesValue(text, "sesame_db_pool_connections", { state: "max" }) ?? 0) > 0);
        assert.equal(seriesValue(text, "sesame_db_pool_waiting"), 0);
      }
      assert.ok(seriesValue(text, "nodejs_eventloop_lag_seconds") !== undefined);
      assert.ok((seriesValue(text, "process_resident_memory_bytes") ?? 0) > 0);
      // Every series of ours follows the conventions.
      const ours = new Set([...text.matchAll(/^# TYPE (sesame_\w+) (\w+)$/gm)].map((m) => `${m[1]} ${m[2]}`));
      for (const entry of ours) {
        const [name, type] = entry.split(" ");
        if (type === "counter") assert.match(name ?? "", /_total$/, entry);
        if (type === "histogram") assert.match(name ?? "", /_seconds$/, entry);
      }
    });
  });
}
