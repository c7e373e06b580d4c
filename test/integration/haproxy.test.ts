/**
 * Two real instances (`sesame serve`, each its own process) on one PostgreSQL database and one Redis,
 * behind a real HAProxy (Debian's package) configured from deploy/haproxy.cfg: its `global` section
 * and its `bind` and `server` lines are replaced by loopback ones, everything else (checks, retries,
 * headers, timeouts) is the file's. A session made through one instance works on the other, a
 * throttle counts across both, a queued message is relayed once, an instance killed with SIGKILL
 * under load costs no client request, then comes back, and one stopped with SIGTERM (maintenance)
 * costs none either.
 *
 * The database is a throwaway one (created and dropped by the test); Redis keys are the instances'
 * default `sesame:` ones, kept apart from any other run by account numbers drawn at random and
 * client addresses of their own (127.x.y.z), and deleted at the end.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { type AddressInfo, connect, createServer } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { sql } from "kysely";
import nodemailer from "nodemailer";
import pg from "pg";
import { SMTPServer } from "smtp-server";
import type { Account } from "../../src/directory/directory.types.js";
import { openServices, type Services } from "../../src/services.js";
import { POSTGRES_URL, REDIS_URL, TEST_SECRET, tempDir, testConfig } from "../helpers/env.js";
import { RawImap } from "../helpers/imap.js";
import { spawnTied } from "../helpers/tied-process.js";
import { accountOf, seedStaff, textOf, uniqueStaff } from "../helpers/web.js";

const HAPROXY = "/usr/sbin/haproxy";
const BIN = path.resolve("bin/sesame.js");
const DEPLOY_CONFIG = path.resolve("deploy/haproxy.cfg");
const PASSWORD = "Sept lavandieres chantent au bord de la Saone";
/** The outbound queue's worker looks at the queue every 5 s (outbound-queue.ts) besides its kicks. */
const QUEUE_POLL_MS = 5_000;

/** Debian's haproxy, installed when missing (scripts/ensure-debian-package.sh); never skipped. */
function ensureHaproxy(): void {
  if (existsSync(HAPROXY)) return;
  spawnSync(
    "bash",
    ["scripts/ensure-debian-package.sh", HAPROXY, "haproxy", "the HAProxy test (several instances)", "--no-recommends"],
    { stdio: "inherit" },
  );
  if (!existsSync(HAPROXY)) throw new Error(`${HAPROXY} is missing: install Debian's package haproxy`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ------------------------------------------------------------------------------------ the instances

interface InstancePorts {
  readonly http: number;
  readonly smtp: number;
  readonly submission: number;
  readonly imap: number;
}

class Instance {
  child: ChildProcess | null = null;
  output = "";
  /** Zeros until the first start: the instance's system-chosen ports, kept for its restart. */
  ports: InstancePorts = { http: 0, smtp: 0, submission: 0, imap: 0 };
  constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
  ) {}

  /**
   * Spawns `sesame serve`; resolves once it listens. The first start lets the system choose every
   * port (read back from what serve prints: ports picked free beforehand could be taken meanwhile by
   * another program's connection); a restart asks for the same ones, HAProxy's configuration names them.
   */
  async start(): Promise<void> {
    this.output = "";
    const child = spawn(process.execPath, [BIN, "serve"], {
      env: {
        ...this.env,
        SESAME_HTTP_PORT: String(this.ports.http),
        SESAME_SMTP_PORT: String(this.ports.smtp),
        SESAME_SUBMISSION_PORT: String(this.ports.submission),
        SESAME_IMAP_PORT: String(this.ports.imap),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.output += d;
    });
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`${this.name} not listening after 60 s: ${this.output}`));
      }, 60_000);
      child.stdout?.setEncoding("utf8").on("data", (d: string) => {
        this.output += d;
        if (/IMAP \(mail clients\) listening on/.test(this.output)) resolve();
      });
      child.once("exit", (code, signal) =>
        reject(new Error(`${this.name} exited (${code ?? signal}) before listening: ${this.output}`)),
      );
    }).finally(() => clearTimeout(timer));
    const port = (pattern: RegExp) => {
      const found = Number(pattern.exec(this.output)?.[1]);
      if (!Number.isInteger(found) || found <= 0)
        throw new Error(`${this.name}: no port for ${pattern}: ${this.output}`);
      return found;
    };
    this.ports = {
      http: port(/\(listening on http:\/\/[^:]+:(\d+)\/\)/),
      smtp: port(/SMTP reception for \S+ listening on [^:]+:(\d+)/),
      submission: port(/SMTP submission \(mail clients, AUTH\) listening on [^:]+:(\d+)/),
      imap: port(/IMAP \(mail clients\) listening on [^:]+:(\d+)/),
    };
  }

  /** Sends `signal` and waits for the exit; still there after 35 s (the unit's TimeoutStopSec): SIGKILL. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 35_000);
    await exited;
    clearTimeout(timer);
  }
}

// ------------------------------------------------------------------------------------------ HAProxy

/**
 * deploy/haproxy.cfg for loopback: `global` replaced (no chroot, user or daemon; a stats socket in
 * the test's folder), the HTTP-to-HTTPS redirect left out, each `bind` on a loopback port of its
 * frontend, each `server` on the port of its instance; every other line kept.
 */
function loopbackConfig(
  source: string,
  options: {
    socket: string;
    binds: Record<string, number>;
    servers: Record<string, (instance: "sesame1" | "sesame2") => number>;
  },
): string {
  const sections: { head: string; lines: string[] }[] = [];
  for (const line of source.split("\n")) {
    if (/^\S/.test(line) && !line.startsWith("#")) sections.push({ head: line.trim(), lines: [] });
    else if (sections.length > 0 && line.trim() !== "" && !line.trim().startsWith("#")) {
      sections.at(-1)?.lines.push(line);
    }
  }
  const out: string[] = ["global", "    maxconn 2000", `    stats socket ${options.socket} mode 600 level admin`, ""];
  for (const { head, lines } of sections) {
    const [kind, name = ""] = head.split(/\s+/);
    if (kind === "global" || name === "web_redirect") continue;
    out.push(head);
    for (const line of lines) {
      const trimmed = line.trim();
      if (trimmed.startsWith("bind ")) {
        const port = options.binds[name];
        assert.ok(port, `no loopback port for the frontend ${name}`);
        out.push(`    bind 127.0.0.1:${port}`);
      } else if (trimmed.startsWith("server ")) {
        const [, server, , ...rest] = trimmed.split(/\s+/);
        const portOf = options.servers[name];
        assert.ok(portOf && (server === "sesame1" || server === "sesame2"), `unexpected server line: ${trimmed}`);
        out.push(`    server ${server} 127.0.0.1:${portOf(server)} ${rest.join(" ")}`);
      } else {
        out.push(line);
      }
    }
    out.push("");
  }
  return out.join("\n");
}

interface ServerStat {
  readonly status: string;
  /** Sessions (requests, in HTTP mode) sent to the server in all. */
  readonly total: number;
  readonly retries: number;
  readonly redispatches: number;
  /** The last health check's status and description (`L7OK`, `L4CON`, `L7STS`…). */
  readonly check: string;
}

/** `show stat` on HAProxy's socket: backend/server → its figures. */
async function haproxyStats(socket: string): Promise<Map<string, ServerStat>> {
  const text = await new Promise<string>((resolve, reject) => {
    const conn = connect(socket);
    let data = "";
    conn.setEncoding("utf8");
    conn.on("data", (d: string) => {
      data += d;
    });
    conn.on("end", () => resolve(data));
    conn.on("error", reject);
    conn.write("show stat\n");
  });
  const [header = "", ...rows] = text.trim().split("\n");
  const columns = header.replace(/^# /, "").split(",");
  const col = (row: string[], name: string) => row[columns.indexOf(name)] ?? "";
  const stats = new Map<string, ServerStat>();
  for (const line of rows) {
    const row = line.split(",");
    stats.set(`${col(row, "pxname")}/${col(row, "svname")}`, {
      status: col(row, "status"),
      total: Number(col(row, "stot") || 0),
      retries: Number(col(row, "wretr") || 0),
      redispatches: Number(col(row, "wredis") || 0),
      check: `${col(row, "check_status")} ${col(row, "check_code")} ${col(row, "check_desc")}`.trim(),
    });
  }
  return stats;
}

// ---------------------------------------------------------------------------------- an HTTP client

interface Answer {
  readonly status: number;
  readonly location: string | undefined;
  readonly body: string;
}

/** The client addresses the test's browsers used (their Redis counters are deleted at the end). */
const addresses: string[] = [];

/** A browser-like client from its own loopback address: cookies, the last page's CSRF token. */
class Browser {
  readonly cookies = new Map<string, string>();
  csrf = "";
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  readonly address = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;

  constructor(readonly port: number) {
    addresses.push(this.address);
  }

  request(method: "GET" | "POST", url: string, form?: Record<string, string>, port = this.port): Promise<Answer> {
    const body = form ? new URLSearchParams({ _csrf: this.csrf, ...form }).toString() : undefined;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port,
          method,
          path: url,
          agent: this.agent,
          localAddress: this.address,
          headers: {
            cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
            ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}),
          },
          timeout: 15_000,
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => {
            text += d;
          });
          res.on("end", () => {
            for (const cookie of res.headers["set-cookie"] ?? []) {
              const [pair = ""] = cookie.split(";");
              const at = pair.indexOf("=");
              const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
              if (value === "" || /max-age=0/i.test(cookie)) this.cookies.delete(name);
              else this.cookies.set(name, value);
            }
            const csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
            if (csrf) this.csrf = csrf;
            resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: text });
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error("no answer within 15 s")));
      req.on("error", reject);
      req.end(body);
    });
  }

  async login(username: string, password: string): Promise<Answer> {
    await this.request("GET", "/");
    return this.request("POST", "/connexion", { username, password });
  }

  close(): void {
    this.agent.destroy();
  }
}

// ------------------------------------------------------------------------------------------ the test

describe("two instances behind HAProxy (deploy/haproxy.cfg)", () => {
  const tmp = tempDir("sesame-haproxy-");
  const database = `sesame_haproxy_${randomBytes(5).toString("hex")}`;
  const databaseUrl = (() => {
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${database}`;
    return url.toString();
  })();
  const socket = path.join(tmp.dir, "haproxy.sock");
  const relayed: { rcpt: string[]; data: string }[] = [];
  let relay: SMTPServer | undefined;
  let services: Services | undefined;
  let haproxy: ChildProcess | undefined;
  let haproxyOutput = "";
  let redis: Redis | undefined;
  const instances: Instance[] = [];
  const front = { web: 0, submission: 0, imap: 0, smtp: 0 };
  const accounts: Account[] = [];

  const stat = async (backend: string, server: string): Promise<ServerStat> => {
    const s = (await haproxyStats(socket)).get(`${backend}/${server}`);
    assert.ok(s, `no statistics for ${backend}/${server}`);
    return s;
  };

  /** A staff member with a personal password (the mail clients' doors refuse an initial one). */
  async function person(): Promise<Account> {
    assert.ok(services);
    const row = uniqueStaff();
    await seedStaff(services, [row]);
    const account = await accountOf(services, row);
    await services.directory.setPasswordHash(account.id, await services.hasher.hash(PASSWORD), "personal", null);
    accounts.push(account);
    return account;
  }

  before(async () => {
    ensureHaproxy();
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      // From template0, which nobody connects to (template1 may be in use by another test's session).
      await admin.query(`create database ${database} template template0 encoding 'UTF8'`);
    } finally {
      await admin.end();
    }
    // The test's own services: migrations, then the seeding and the checks. Account numbers start at
    // a random point, so that this run's Redis keys (`sesame:thr:{login:acct:<id>}`…) are its own.
    const config = testConfig({ SESAME_DATABASE_URL: databaseUrl, SESAME_DATA_DIR: path.join(tmp.dir, "test") });
    services = await openServices(config);
    await sql`select setval(pg_get_serial_sequence('account', 'id'), ${randomInt(1_000_000, 2_000_000_000)})`.execute(
      services.database.db,
    );
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();

    relay = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          relayed.push({ rcpt: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString() });
          cb();
        });
      },
    });
    const relayPort = await freePort();
    await new Promise<void>((resolve) => relay?.listen(relayPort, "127.0.0.1", () => resolve()));

    front.web = await freePort();
    front.submission = await freePort();
    front.imap = await freePort();
    front.smtp = await freePort();
    const env = {
      PATH: process.env.PATH ?? "",
      SESAME_SECRET: TEST_SECRET,
      SESAME_DATABASE_URL: databaseUrl,
      SESAME_REDIS_URL: REDIS_URL,
      SESAME_TRUST_PROXY: "true",
      SESAME_PUBLIC_URL: `http://127.0.0.1:${front.web}`,
      SESAME_HTTP_HOST: "127.0.0.1",
      SESAME_SMTP_HOST: "127.0.0.1",
      SESAME_IMAPS_PORT: "0",
      SESAME_SMTP_RELAY_URL: `smtp://127.0.0.1:${relayPort}`,
      // HAProxy's connections come from loopback: the reception's sender checks are not this test's.
      SESAME_TRUSTED_RELAYS: "127.0.0.0/8",
      SESAME_ARGON2_MEMORY_KIB: "1024",
      SESAME_ARGON2_TIME_COST: "1",
      SESAME_LOG_LEVEL: "warn",
    };
    for (const name of ["sesame1", "sesame2"]) {
      instances.push(new Instance(name, { ...env, SESAME_DATA_DIR: path.join(tmp.dir, name) }));
    }
    await Promise.all(instances.map((i) => i.start()));

    const [one, two] = instances as [Instance, Instance];
    const portOf = (kind: keyof InstancePorts) => (server: "sesame1" | "sesame2") =>
      (server === "sesame1" ? one : two).ports[kind];
    const cfg = path.join(tmp.dir, "haproxy.cfg");
    writeFileSync(
      cfg,
      loopbackConfig(readFileSync(DEPLOY_CONFIG, "utf8"), {
        socket,
        binds: front,
        servers: {
          sesame_web: portOf("http"),
          sesame_submission: portOf("submission"),
          sesame_imap: portOf("imap"),
          sesame_smtp: portOf("smtp"),
        },
      }),
    );
    execFileSync(HAPROXY, ["-c", "-q", "-f", cfg]);
    // Tied to this process: an interrupted run leaves no HAProxy health-checking dead ports.
    haproxy = spawnTied(HAPROXY, ["-db", "-f", cfg], { stdout: "pipe", stderr: "pipe" });
    haproxy.stdout?.setEncoding("utf8").on("data", (d: string) => {
      haproxyOutput += d;
    });
    haproxy.stderr?.setEncoding("utf8").on("data", (d: string) => {
      haproxyOutput += d;
    });
    // Every server of every backend up (the checks: /readyz, EHLO, the IMAP greeting).
    let seen = "";
    await waitFor(
      "HAProxy to see both instances up",
      async () => {
        const stats = [...(await haproxyStats(socket))].filter(([key]) => /\/sesame[12]$/.test(key));
        seen = stats.map(([key, s]) => `${key} ${s.status} (${s.check})`).join(", ");
        return stats.length === 8 && stats.every(([, s]) => s.status === "UP");
      },
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${seen}\n${instances.map((i) => i.output).join("\n")}`);
    });
  });

  after(async () => {
    if (haproxy && haproxy.exitCode === null && haproxy.signalCode === null) {
      const exited = once(haproxy, "exit");
      haproxy.kill("SIGTERM"); // passed on to HAProxy by the shell it runs under
      await exited;
    }
    for (const instance of instances) await instance.kill("SIGTERM");
    await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
    if (redis) {
      // The accounts' counters and session lists, the client addresses' counters (sessions expire).
      const patterns = [...accounts.map((a) => `sesame:*:${a.id}*`), ...addresses.map((ip) => `sesame:*:${ip}}*`)];
      for (const pattern of patterns) {
        const keys = await redis.keys(pattern);
        if (keys.length > 0) await redis.del(...keys);
      }
      redis.disconnect();
    }
    await services?.close();
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`drop database if exists ${database} with (force)`).finally(() => admin.end());
    tmp.remove();
  });

  it("a session opened through HAProxy works on each instance", async () => {
    const account = await person();
    const browser = new Browser(front.web);
    try {
      const login = await browser.login(account.username, PASSWORD);
      assert.equal(login.status, 303, login.body);
      assert.equal(login.location, "/mail");
      assert.ok(browser.cookies.get("sesame"), "a session cookie");
      for (const instance of instances) {
        const page = await browser.request("GET", "/mail", undefined, instance.ports.http);
        assert.equal(page.status, 200, `on ${instance.name}`);
        assert.ok(textOf(page.body).includes(account.address), `${instance.name} knows the session`);
      }
      // Through HAProxy, whichever instance answers.
      for (let i = 0; i < 4; i++) assert.equal((await browser.request("GET", "/mail")).status, 200);
      // The sign-in was recorded with the client's address (X-Forwarded-For set by HAProxy).
      assert.ok(services);
      const signIns = await services.audit.list({ action: "login.succeeded" });
      assert.ok(signIns.some((e) => e.entityId === String(account.id) && e.details.ip === browser.address));
    } finally {
      browser.close();
    }
  });

  it("a throttle counts the failures of both instances", async () => {
    const account = await person();
    const browser = new Browser(front.web);
    try {
      const before = await Promise.all(["sesame1", "sesame2"].map((s) => stat("sesame_web", s)));
      await browser.request("GET", "/");
      for (let i = 0; i < 5; i++) {
        const failed = await browser.request("POST", "/connexion", {
          username: account.username,
          password: `non ${i}`,
        });
        assert.equal(failed.status, 401, `failure ${i + 1}`);
      }
      const after = await Promise.all(["sesame1", "sesame2"].map((s) => stat("sesame_web", s)));
      assert.ok(
        after.every((s, i) => s.total > (before[i]?.total ?? 0)),
        "both instances answered some of the attempts",
      );
      const refused = await browser.request("POST", "/connexion", { username: account.username, password: PASSWORD });
      assert.equal(refused.status, 429);
      assert.ok(textOf(refused.body).includes("Trop de tentatives de connexion pour ce compte."));
      assert.equal(browser.cookies.get("sesame"), undefined);
      assert.ok(services);
      const failures = await services.audit.list({ action: "login.failed" });
      assert.equal(failures.filter((e) => e.details.username === account.username).length, 5);
    } finally {
      browser.close();
    }
  });

  it("mail clients go through HAProxy in TCP mode; a queued message is relayed once", async () => {
    const account = await person();
    const other = await person();
    // IMAP: the greeting and a login, through HAProxy.
    const { client: imap, greeting } = await RawImap.connect(front.imap);
    try {
      assert.match(greeting, /^\* OK /);
      assert.match((await imap.command(`LOGIN ${account.username} "${PASSWORD}"`)).tagged, /^A1 OK /);
    } finally {
      imap.socket.destroy();
    }
    // The reception: a message for a local address, through HAProxy.
    const reception = nodemailer.createTransport({
      host: "127.0.0.1",
      port: front.smtp,
      secure: false,
      ignoreTLS: true,
    });
    await reception.sendMail({
      from: "quelqu.un@exemple.org",
      to: other.address,
      subject: "Par le répartiteur",
      text: "Bonjour",
    });
    assert.ok(services);
    const inbox = await services.mail.folderByRole(other.id, "inbox");
    const received = await services.mail.list(other.id, inbox.id, null, 10);
    assert.deepEqual(
      received.items.map((m) => m.subject),
      ["Par le répartiteur"],
    );

    // The submission: four messages for outside, each on its own connection (HAProxy spreads them).
    const subjects = ["Un", "Deux", "Trois", "Quatre"].map((n) => `Message ${n} ${randomBytes(3).toString("hex")}`);
    for (const subject of subjects) {
      const submission = nodemailer.createTransport({
        host: "127.0.0.1",
        port: front.submission,
        secure: false,
        ignoreTLS: true,
        auth: { user: account.username, pass: PASSWORD },
      });
      await submission.sendMail({ from: account.address, to: "loin@exemple.org", subject, text: "Hors académie" });
      submission.close();
    }
    const relayedOnce = () => subjects.every((s) => relayed.filter((m) => m.data.includes(s)).length === 1);
    await waitFor("the four messages at the relay", async () => relayedOnce());
    const db = services.database.db;
    const sent = async () =>
      (
        await db
          .selectFrom("outbound_delivery")
          .select("state")
          .execute()
          .catch(() => [] as { state: string }[])
      ).filter((r) => r.state === "sent").length;
    await waitFor("the queue rows marked sent", async () => (await sent()) >= subjects.length);
    // Both workers look at the queue again within QUEUE_POLL_MS: nothing goes out a second time.
    await new Promise((resolve) => setTimeout(resolve, QUEUE_POLL_MS + 1_000));
    assert.ok(relayedOnce(), `each message relayed once: ${relayed.map((m) => /Subject: (.*)/.exec(m.data)?.[1])}`);
    assert.equal(relayed.length, subjects.length);
  });

  /** The load: GETs of the mailbox page and of the help page, 6 at a time, until stopped. */
  function startLoad(browser: Browser) {
    let stopping = false;
    const answers: { url: string; status: number }[] = [];
    const failures: string[] = [];
    const worker = async (n: number) => {
      for (let i = 0; !stopping; i++) {
        const url = (n + i) % 2 === 0 ? "/mail" : "/aide";
        try {
          const answer = await browser.request("GET", url);
          answers.push({ url, status: answer.status });
          if (answer.status !== 200) failures.push(`${url}: ${answer.status}`);
        } catch (error) {
          failures.push(`${url}: ${(error as Error).message}`);
        }
      }
    };
    const running = Promise.all(Array.from({ length: 6 }, (_, n) => worker(n)));
    return {
      answers,
      failures,
      stop: async () => {
        stopping = true;
        await running;
      },
    };
  }

  it("an instance killed with SIGKILL under load costs no request, and comes back", async () => {
    const account = await person();
    const browser = new Browser(front.web);
    const [victim] = instances as [Instance, Instance];
    try {
      assert.equal((await browser.login(account.username, PASSWORD)).status, 303);
      const load = startLoad(browser);
      try {
        await waitFor("some answers", async () => load.answers.length >= 30);
        const before = await stat("sesame_web", "sesame1");
        await victim.kill("SIGKILL");
        const atKill = load.answers.length;
        await waitFor("HAProxy to take the killed instance out", async () =>
          (await stat("sesame_web", "sesame1")).status.startsWith("DOWN"),
        );
        await waitFor("answers after the kill", async () => load.answers.length >= atKill + 30);
        const down = await stat("sesame_web", "sesame1");
        // Requests met the dead instance and were sent again to the other one.
        assert.ok(down.retries + down.redispatches > before.retries + before.redispatches, JSON.stringify(down));

        await victim.start();
        await waitFor("HAProxy to put the instance back", async () =>
          (await stat("sesame_web", "sesame1")).status === "UP" ? true : undefined,
        );
        const back = (await stat("sesame_web", "sesame1")).total;
        await waitFor("the restarted instance to answer requests", async () =>
          (await stat("sesame_web", "sesame1")).total >= back + 10 ? true : undefined,
        );
      } finally {
        await load.stop();
      }
      assert.deepEqual(load.failures, [], `${load.failures.length} of ${load.answers.length} requests failed`);
      assert.ok(load.answers.length >= 60);
      // Came back cleanly: ready, and nothing went wrong in its output.
      const ready = await browser.request("GET", "/readyz", undefined, victim.ports.http);
      assert.equal(ready.status, 200);
      assert.doesNotMatch(victim.output, /"level":(50|60)|Error:/, victim.output);
      assert.equal((await browser.request("GET", "/mail", undefined, victim.ports.http)).status, 200);
    } finally {
      browser.close();
    }
    assert.doesNotMatch(haproxyOutput, /\[ALERT\]/, haproxyOutput);
  });

  it("an instance stopped with SIGTERM under load (maintenance) costs no request and exits 0", async () => {
    const account = await person();
    const browser = new Browser(front.web);
    const [, stopped] = instances as [Instance, Instance];
    try {
      assert.equal((await browser.login(account.username, PASSWORD)).status, 303);
      const load = startLoad(browser);
      let code: number | null = null;
      try {
        await waitFor("some answers", async () => load.answers.length >= 30);
        const child = stopped.child;
        assert.ok(child);
        const exited = new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
        const started = Date.now();
        child.kill("SIGTERM");
        code = await exited;
        assert.ok(Date.now() - started < 30_000, "stopped within 30 s");
        const atExit = load.answers.length;
        await waitFor("answers after the stop", async () => load.answers.length >= atExit + 30);
      } finally {
        await load.stop();
      }
      assert.equal(code, 0, stopped.output);
      assert.deepEqual(load.failures, [], `${load.failures.length} of ${load.answers.length} requests failed`);
    } finally {
      browser.close();
    }
  });
});
