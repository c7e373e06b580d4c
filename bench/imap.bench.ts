/**
 * IMAP benchmark (issue: "IMAP: staff read their mail in Thunderbird…"), loopback only, bounded:
 *
 * - on a 100,000-message INBOX (BENCH_MESSAGES): SELECT (≤ 100 ms), `UID FETCH 1:* (UID FLAGS)`
 *   (≤ 1.5 s, the server's memory growing by less than 50 MB), `UID SEARCH TEXT word` (p95 ≤ 100 ms),
 *   `FETCH BODY[]` of a 100 KB message (p95 ≤ 10 ms);
 * - 10,000 authenticated IDLE connections (BENCH_IDLE) on one instance under 500 MB RSS, and a
 *   delivery notified to the idling clients within 1 s (p99);
 * - side by side with Dovecot (Debian's dovecot-imapd, a throwaway configuration on loopback, the same
 *   messages loaded): 10 connections doing SELECT, FETCH, STORE, APPEND and SEARCH for 30 s
 *   (BENCH_SECONDS) on each, one after the other: Sésame's operations per second ≥ half of Dovecot's.
 *
 * The server runs in a child process of its own (its RSS is its own); this process is the client.
 * For the IDLE phase, the accounts' passwords are hashed with cheap argon2 parameters (1 MiB, one
 * pass): that phase measures IDLE, not the hash (bench:login measures the hash).
 *
 *   npm run bench:imap
 *   BENCH_MESSAGES=20000 BENCH_IDLE=2000 BENCH_SECONDS=10 npm run bench:imap
 *   BENCH_PEER=off npm run bench:imap        (without Dovecot)
 *
 * Prints a readable summary, then as its last line one JSON object with the figures.
 */
import { type ChildProcess, execFileSync, fork, spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { machineLine, percentile, progress, round, sleep } from "./lib.js";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const IDLE = Number(process.env.BENCH_IDLE ?? 10_000);
const IDLE_ACCOUNTS = Math.max(1, Math.min(100, Math.ceil(IDLE / 100)));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WORKLOAD_MESSAGES = Number(process.env.BENCH_WORKLOAD_MESSAGES ?? 2_000);
const PEER = process.env.BENCH_PEER !== "off";
const CHILD = process.argv.includes("--imap-bench-server");
const HERE = fileURLToPath(import.meta.url);
const PASSWORD = "Banc d'essai IMAP, mot de passe assez long";

// ------------------------------------------------------------------------------ the server child

interface Job {
  readonly op: "start" | "seed" | "accounts" | "deliver" | "stop";
  readonly count?: number;
  readonly address?: string;
}

async function serverChild(): Promise<void> {
  const { startBenchServer } = await import("./lib.js");
  const { seedMailbox } = await import("./mail-seed.js");
  const { textMessage } = await import("./imap-messages.js");
  const bench = await startBenchServer({
    SESAME_IMAP_MAX_PER_ACCOUNT: "100000",
    SESAME_IMAP_MAX_PER_ADDRESS: "100000",
    SESAME_ARGON2_MEMORY_KIB: "1024",
    SESAME_ARGON2_TIME_COST: "1",
    SESAME_HASH_QUEUE: "100000",
    // 100,000 messages of 20 KB are 2 GB: above the default quota.
    SESAME_MAIL_QUOTA_MB: "1048576",
  });
  const { services } = bench;
  const account = async (n: number) => {
    const made = await services.directory.createExternal(
      {
        nom: "Mesure",
        prenom: `Imap${n}`,
        recoveryEmail: `imap${n}@example.org`,
        passwordHash: await services.hasher.hash(PASSWORD),
      },
      "bench",
    );
    return { username: made.username, address: made.address, id: made.id };
  };
  const handle = async (job: Job): Promise<unknown> => {
    switch (job.op) {
      case "start":
        return { imapPort: bench.server.imapPort };
      case "seed": {
        const main = await account(0);
        const vocab = await seedMailbox(services, main.id, main.address, job.count ?? 0, (done) => {
          if (done % 20_000 === 0) progress(`seeded ${done}/${job.count}`);
        });
        // One 100 KB message, kept aside in Envoyés (SELECT INBOX keeps its 100,000).
        const big = textMessage(main.address, "Pièce de 100 Ko", "x".repeat(100 * 1024));
        await services.mail.storeInFolder(main.id, "sent", big, { seen: true });
        return { username: main.username, vocab: vocab.slice(0, 400) };
      }
      case "accounts": {
        const out: { username: string; address: string }[] = [];
        for (let i = 0; i < (job.count ?? 0); i++) out.push(await account(1000 + i));
        return out;
      }
      case "deliver": {
        const raw = textMessage(job.address ?? "", "Nouveau message", "Bonjour");
        const recipient = await services.mail.checkRecipient(job.address ?? "", raw.length);
        await services.mail.deliver(raw, [recipient]);
        return null;
      }
      case "stop":
        await bench.close();
        return null;
    }
  };
  process.on("message", (job: Job) => {
    handle(job).then(
      (result) => process.send?.({ ok: true, result }),
      (error: unknown) => process.send?.({ ok: false, error: error instanceof Error ? error.stack : String(error) }),
    );
  });
  process.send?.({ ready: true });
}

interface ServerHandle {
  readonly pid: number;
  call<T>(job: Job): Promise<T>;
  rssMB(): number;
  kill(): void;
}

async function startServerChild(): Promise<ServerHandle> {
  const child: ChildProcess = fork(HERE, ["--imap-bench-server"], {
    execArgv: ["--import", "tsx", "--max-semi-space-size=4", "--heap-growing-percent=20"],
    serialization: "advanced",
    env: { MALLOC_ARENA_MAX: "2", ...process.env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`the server exited at start (${code})`)));
  });
  let pending: ((m: { ok: boolean; result?: unknown; error?: string }) => void) | null = null;
  child.on("message", (m: { ok: boolean; result?: unknown; error?: string }) => {
    const p = pending;
    pending = null;
    p?.(m);
  });
  return {
    pid: child.pid ?? 0,
    call<T>(job: Job) {
      return new Promise<T>((resolve, reject) => {
        pending = (m) => (m.ok ? resolve(m.result as T) : reject(new Error(m.error)));
        child.send(job);
      });
    },
    rssMB() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

// ------------------------------------------------------------------------------ a small raw client

/** One IMAP connection: tagged commands, answers read line by line with literals skipped (counted). */
class Client {
  readonly #socket: net.Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #tag = 0;
  #wake: (() => void) | null = null;
  /** Lines seen while idling (and not consumed by a command). */
  onLine: ((line: string) => void) | null = null;
  #literal = 0;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      if (this.onLine) this.#drainIdle();
      const w = this.#wake;
      this.#wake = null;
      w?.();
    });
    socket.on("error", () => {});
  }

  static async open(port: number): Promise<Client> {
    const socket = net.connect({ port, host: "127.0.0.1" });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
    const c = new Client(socket);
    await c.line(); // greeting
    return c;
  }

  #drainIdle(): void {
    for (;;) {
      const at = this.#buffer.indexOf("\r\n");
      if (at < 0) return;
      const line = this.#buffer.subarray(0, at).toString("latin1");
      this.#buffer = this.#buffer.subarray(at + 2);
      this.onLine?.(line);
    }
  }

  async line(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#literal > 0) {
        const take = Math.min(this.#literal, this.#buffer.length);
        this.#buffer = this.#buffer.subarray(take);
        this.#literal -= take;
      }
      if (this.#literal === 0) {
        const at = this.#buffer.indexOf("\r\n");
        if (at >= 0) {
          const line = this.#buffer.subarray(0, at).toString("latin1");
          this.#buffer = this.#buffer.subarray(at + 2);
          const lit = /\{(\d+)\}$/.exec(line);
          if (lit) this.#literal = Number(lit[1]);
          return line;
        }
      }
      if (Date.now() > deadline) throw new Error("no answer in time");
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 1_000).unref();
      });
    }
  }

  /** Sends a command; resolves with the untagged lines (literals skipped) and the tagged line. */
  async command(text: string | Buffer): Promise<{ lines: string[]; tagged: string }> {
    const tag = `b${++this.#tag}`;
    if (typeof text === "string") this.#socket.write(`${tag} ${text}\r\n`);
    else this.#socket.write(Buffer.concat([Buffer.from(`${tag} `), text, Buffer.from("\r\n")]));
    const lines: string[] = [];
    for (;;) {
      const line = await this.line();
      if (line.startsWith(`${tag} `)) {
        if (!/^\S+ OK/.test(line)) throw new Error(`${String(text).slice(0, 60)} → ${line}`);
        return { lines, tagged: line };
      }
      lines.push(line);
    }
  }

  async append(mailbox: string, message: Buffer): Promise<void> {
    await this.command(Buffer.concat([Buffer.from(`APPEND ${mailbox} {${message.length}+}\r\n`), message]));
  }

  write(text: string): void {
    this.#socket.write(text);
  }

  close(): void {
    this.#socket.destroy();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

// ------------------------------------------------------------------------------ Dovecot

interface Dovecot {
  readonly port: number;
  stop(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

async function startDovecot(user: string, password: string): Promise<Dovecot | null> {
  const script = fileURLToPath(new URL("../scripts/ensure-debian-package.sh", import.meta.url));
  try {
    execFileSync(
      "bash",
      [script, "/usr/sbin/dovecot", "dovecot-imapd", "IMAP benchmark (Dovecot side by side)", "--no-recommends"],
      {
        stdio: "inherit",
      },
    );
  } catch {
    return null;
  }
  const dir = mkdtempSync(path.join(tmpdir(), "sesame-dovecot-"));
  chmodSync(dir, 0o755);
  for (const d of ["run", "state", "home"]) mkdirSync(path.join(dir, d));
  chownSync(path.join(dir, "home"), 65534, 65534);
  writeFileSync(path.join(dir, "users"), `${user}:{PLAIN}${password}\n`, { mode: 0o644 });
  const port = await freePort();
  writeFileSync(
    path.join(dir, "dovecot.conf"),
    [
      "protocols = imap",
      "listen = 127.0.0.1",
      `base_dir = ${dir}/run`,
      `state_dir = ${dir}/state`,
      `log_path = ${dir}/dovecot.log`,
      "ssl = no",
      "disable_plaintext_auth = no",
      "auth_mechanisms = plain login",
      "first_valid_uid = 1",
      `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u ${dir}/users\n}`,
      `userdb {\n  driver = static\n  args = uid=65534 gid=65534 home=${dir}/home/%u\n}`,
      "mail_location = maildir:~/Maildir",
      `service imap-login {\n  inet_listener imap {\n    port = ${port}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
      "default_login_user = dovenull",
      "default_internal_user = dovecot",
      "",
    ].join("\n"),
  );
  const child = spawn("/usr/sbin/dovecot", ["-F", "-c", path.join(dir, "dovecot.conf")], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    try {
      (await Client.open(port)).close();
      return {
        port,
        stop: () => {
          child.kill("SIGTERM");
          setTimeout(() => rmSync(dir, { recursive: true, force: true }), 500).unref();
        },
      };
    } catch {
      await sleep(100);
    }
  }
  child.kill("SIGKILL");
  return null;
}

// ------------------------------------------------------------------------------ the workload

/** 10 connections doing SELECT, FETCH, STORE, APPEND, SEARCH for `seconds`: operations per second. */
async function workload(port: number, user: string, password: string, words: readonly string[], seconds: number) {
  const clients = await Promise.all(
    Array.from({ length: 10 }, async () => {
      const c = await Client.open(port);
      await c.command(`LOGIN "${user}" "${password.replace(/"/g, '\\"')}"`);
      return c;
    }),
  );
  const end = Date.now() + seconds * 1000;
  let ops = 0;
  const small = Buffer.from("From: a@example.org\r\nSubject: ajout\r\n\r\nUn petit message.\r\n");
  await Promise.all(
    clients.map(async (c, k) => {
      let i = k;
      while (Date.now() < end) {
        const select = await c.command("SELECT INBOX");
        const exists = Number(/^\* (\d+) EXISTS/m.exec(select.lines.join("\n"))?.[1] ?? 1);
        const uid = 1 + ((i * 7919) % Math.max(1, exists));
        await c.command(`UID FETCH ${uid}:${uid + 9} (FLAGS RFC822.SIZE ENVELOPE)`);
        await c.command(`UID STORE ${uid} +FLAGS (\\Seen)`);
        await c.command(`UID STORE ${uid} -FLAGS (\\Seen)`);
        await c.append("INBOX", small);
        await c.command(`UID SEARCH CHARSET UTF-8 SUBJECT "${words[i % words.length]}"`);
        ops += 6;
        i++;
      }
    }),
  );
  for (const c of clients) c.close();
  return ops / seconds;
}

// ------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  console.log(machineLine());
  const server = await startServerChild();
  try {
    const { imapPort } = await server.call<{ imapPort: number }>({ op: "start" });
    progress(`seeding a mailbox of ${MESSAGES} messages`);
    const seeded = await server.call<{ username: string; vocab: string[] }>({ op: "seed", count: MESSAGES });
    const c = await Client.open(imapPort);
    await c.command(`LOGIN ${seeded.username} "${PASSWORD.replace(/"/g, '\\"')}"`);

    // SELECT
    const selects: number[] = [];
    for (let i = 0; i < 5; i++) selects.push(await timed(() => c.command("SELECT INBOX")));
    selects.sort((a, b) => a - b);
    const selectMs = round(percentile(selects, 50), 1);

    // UID FETCH 1:* (UID FLAGS), with the server's memory watched
    const rssBefore = server.rssMB();
    let rssPeak = rssBefore;
    const watch = setInterval(() => {
      rssPeak = Math.max(rssPeak, server.rssMB());
    }, 50);
    let fetchLines = 0;
    const fetchFlagsMs = round(
      await timed(async () => {
        fetchLines = (await c.command("UID FETCH 1:* (UID FLAGS)")).lines.length;
      }),
      0,
    );
    clearInterval(watch);
    rssPeak = Math.max(rssPeak, server.rssMB());
    if (fetchLines !== MESSAGES) throw new Error(`UID FETCH 1:* gave ${fetchLines} lines, not ${MESSAGES}`);

    // UID SEARCH TEXT word
    const searches: number[] = [];
    const words = seeded.vocab;
    for (let i = 0; i < 10; i++) await c.command(`UID SEARCH TEXT ${words[i]}`);
    for (let i = 0; i < 100; i++) {
      const word = words[(i * 37) % words.length] ?? "conseil";
      searches.push(await timed(() => c.command(`UID SEARCH TEXT ${word}`)));
    }
    searches.sort((a, b) => a - b);

    // FETCH BODY[] of the 100 KB message
    await c.command("SELECT Envoy&AOk-s");
    for (let i = 0; i < 20; i++) await c.command("FETCH 1 BODY.PEEK[]");
    const bodies: number[] = [];
    for (let i = 0; i < 200; i++) bodies.push(await timed(() => c.command("FETCH 1 BODY.PEEK[]")));
    bodies.sort((a, b) => a - b);
    c.close();
    console.log(
      `INBOX of ${MESSAGES} messages: SELECT ${selectMs} ms (max ${round(selects.at(-1) ?? 0, 1)}); ` +
        `UID FETCH 1:* (UID FLAGS) ${fetchFlagsMs} ms, server RSS ${round(rssBefore, 0)} → peak ${round(rssPeak, 0)} MB; ` +
        `UID SEARCH TEXT p50 ${round(percentile(searches, 50), 1)} / p95 ${round(percentile(searches, 95), 1)} ms; ` +
        `FETCH BODY[] (100 KB) p50 ${round(percentile(bodies, 50), 2)} / p95 ${round(percentile(bodies, 95), 2)} ms`,
    );

    // IDLE: many connections, then deliveries
    progress(`opening ${IDLE} IDLE connections over ${IDLE_ACCOUNTS} accounts`);
    const accounts = await server.call<{ username: string; address: string }[]>({
      op: "accounts",
      count: IDLE_ACCOUNTS,
    });
    const idlers: { client: Client; account: number }[] = [];
    const rssIdleBefore = server.rssMB();
    for (let start = 0; start < IDLE; start += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, IDLE - start) }, async (_, j) => {
          const n = start + j;
          const account = n % accounts.length;
          const client = await Client.open(imapPort);
          await client.command(`LOGIN ${accounts[account]?.username} "${PASSWORD.replace(/"/g, '\\"')}"`);
          await client.command("SELECT INBOX");
          client.write("i1 IDLE\r\n");
          await client.line();
          return { client, account };
        }),
      );
      idlers.push(...batch);
    }
    await sleep(2_000);
    const idleRssMB = round(server.rssMB(), 0);
    const notify: number[] = [];
    const deliveries = Math.min(20, accounts.length);
    for (let a = 0; a < deliveries; a++) {
      const mine = idlers.filter((i) => i.account === a);
      const start = performance.now();
      const heard = Promise.all(
        mine.map(
          (i) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => {
                notify.push(10_000);
                resolve();
              }, 10_000);
              i.client.onLine = (line) => {
                if (/^\* \d+ EXISTS/.test(line)) {
                  clearTimeout(timer);
                  notify.push(performance.now() - start);
                  i.client.onLine = () => {};
                  resolve();
                }
              };
            }),
        ),
      );
      await server.call({ op: "deliver", address: accounts[a]?.address ?? "" });
      await heard;
    }
    notify.sort((x, y) => x - y);
    const idleNotifyP99Ms = round(percentile(notify, 99), 1);
    console.log(
      `IDLE: ${idlers.length} connections, server RSS ${round(rssIdleBefore, 0)} → ${idleRssMB} MB; ` +
        `a delivery heard by ${notify.length} idling clients: p50 ${round(percentile(notify, 50), 1)} / p99 ${idleNotifyP99Ms} ms`,
    );
    for (const i of idlers) i.client.close();

    // The same workload on Sésame and Dovecot
    let opsPerSec = 0;
    let dovecotOpsPerSec = 0;
    const sample = await import("./imap-messages.js");
    const messages = sample.workloadMessages(WORKLOAD_MESSAGES, words);
    const workAccount = (await server.call<{ username: string; address: string }[]>({ op: "accounts", count: 1 }))[0];
    if (!workAccount) throw new Error("no account");
    progress(`loading ${WORKLOAD_MESSAGES} messages for the workload`);
    const loader = await Client.open(imapPort);
    await loader.command(`LOGIN ${workAccount.username} "${PASSWORD.replace(/"/g, '\\"')}"`);
    for (const m of messages) await loader.append("INBOX", m);
    loader.close();
    progress(`Sésame: 10 connections for ${SECONDS} s`);
    opsPerSec = round(await workload(imapPort, workAccount.username, PASSWORD, words, SECONDS), 0);
    if (PEER) {
      const dovecot = await startDovecot("bench", PASSWORD);
      if (dovecot) {
        try {
          const l = await Client.open(dovecot.port);
          await l.command(`LOGIN bench "${PASSWORD.replace(/"/g, '\\"')}"`);
          for (const m of messages) await l.append("INBOX", m);
          l.close();
          progress(`Dovecot: 10 connections for ${SECONDS} s`);
          dovecotOpsPerSec = round(await workload(dovecot.port, "bench", PASSWORD, words, SECONDS), 0);
        } finally {
          dovecot.stop();
        }
      } else {
        console.log("Dovecot could not be started (Debian's dovecot-imapd): no comparison");
      }
    }
    const dovecotRatio = dovecotOpsPerSec > 0 ? round(opsPerSec / dovecotOpsPerSec, 2) : null;
    console.log(
      `workload (10 connections, SELECT/FETCH/STORE/APPEND/SEARCH, ${SECONDS} s, ${WORKLOAD_MESSAGES} messages): ` +
        `Sésame ${opsPerSec} ops/s, Dovecot ${dovecotOpsPerSec || "—"} ops/s, ratio ${dovecotRatio ?? "—"}`,
    );
    console.log(machineLine());
    const summary = {
      messages: MESSAGES,
      selectMs,
      fetchFlagsMs,
      fetchFlagsRssGrowthMB: round(rssPeak - rssBefore, 1),
      searchP95Ms: round(percentile(searches, 95), 1),
      fetchBodyP95Ms: round(percentile(bodies, 95), 2),
      idleConnections: idlers.length,
      idleRssMB,
      idleNotifyP99Ms,
      opsPerSec,
      dovecotOpsPerSec,
      dovecotRatio,
      targets: {
        selectMs: 100,
        fetchFlagsMs: 1500,
        fetchFlagsRssGrowthMB: 50,
        searchP95Ms: 100,
        fetchBodyP95Ms: 10,
        idleRssMB: 500,
        idleNotifyP99Ms: 1000,
        dovecotRatio: 0.5,
      },
    };
    await server.call({ op: "stop" }).catch(() => undefined);
    console.log(JSON.stringify(summary));
  } finally {
    server.kill();
  }
}

if (CHILD) {
  void serverChild();
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
