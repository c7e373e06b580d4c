/**
 * SMTP reception benchmark: ≥ 200 messages/s of 20 KB each from 4 parallel clients, durability on
 * (each 250 after a durable commit), with the server process under 300 MB of memory.
 *
 * - Setup: a temporary data directory (SQLite, the default configuration), BENCH_RECIPIENTS accounts
 *   (default 20), and the real server (startServer: web + SMTP) in a CHILD process (this script,
 *   forked), so that its memory is its own: it samples its RSS every 20 ms and reports the peak of
 *   the burst, and its VmHWM (the peak since it started).
 * - Load: `smtpBurst` (exported, for other benchmarks): BENCH_CLIENTS nodemailer pooled transports
 *   (default 4, one connection each) share BENCH_MESSAGES messages (default 3,000) of
 *   BENCH_SIZE_KB KB (default 20), each with its own Message-ID, to the accounts in turn; a message
 *   counts once it got its 250.
 *
 *   npm run bench:smtp          (node --import tsx bench/smtp.bench.ts)
 *   BENCH_MESSAGES=5000 BENCH_CLIENTS=8 npm run bench:smtp
 *   BENCH_CPU_PROF=/tmp/prof npm run bench:smtp   (a V8 CPU profile of the server, for DevTools)
 *
 * Prints a readable summary, then as its last line one JSON object with the figures.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import nodemailer from "nodemailer";
import { loadConfig } from "../src/config/config.js";
import { startServer } from "../src/main.js";
import { openServices } from "../src/services.js";
import { machineLine, machineState, progress, round, SECRET } from "./lib.js";

const TARGET_PER_SEC = 200;
const MEMORY_LIMIT_MB = 300;
const SERVER_FLAG = "--smtp-server-child";
const MB = 1024 * 1024;

export interface SmtpBurstOptions {
  readonly port: number;
  readonly host: string;
  /** Recipients, used in turn (one per message). */
  readonly to: readonly string[];
  readonly messages: number;
  /** Parallel SMTP clients (nodemailer pooled transports of one connection each). */
  readonly clients: number;
  /** Approximate size of each message, in bytes. */
  readonly sizeBytes: number;
}

export interface SmtpBurstResult {
  readonly seconds: number;
  readonly perSecond: number;
  /** Messages answered 250. */
  readonly accepted: number;
}

/** A message of about `sizeBytes`, with its own Message-ID. */
function benchMessage(id: string, to: string, filler: string): string {
  return (
    `From: Banc d'essai <bench@example.org>\r\nTo: <${to}>\r\nSubject: Mesure ${id}\r\n` +
    `Message-ID: <${id}@bench.example.org>\r\nDate: ${new Date().toUTCString()}\r\n` +
    `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${filler}`
  );
}

function fillerOf(sizeBytes: number): string {
  const line = `${"Lorem ipsum dolor sit amet, consectetur adipiscing elit.".padEnd(76, ".")}\r\n`;
  return line.repeat(Math.max(1, Math.ceil((sizeBytes - 300) / line.length)));
}

/**
 * Sends `messages` messages over `clients` parallel connections; resolves once every one was
 * answered. A refusal or a connection error is thrown (the figure would mean nothing).
 */
export async function smtpBurst(opts: SmtpBurstOptions): Promise<SmtpBurstResult> {
  if (opts.to.length === 0) throw new Error("smtpBurst: no recipient");
  const filler = fillerOf(opts.sizeBytes);
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const transports = Array.from({ length: opts.clients }, () =>
    nodemailer.createTransport({
      host: opts.host,
      port: opts.port,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: 1,
      maxMessages: Number.POSITIVE_INFINITY,
    }),
  );
  let next = 0;
  let accepted = 0;
  const started = performance.now();
  try {
    await Promise.all(
      transports.map(async (transport) => {
        for (let n = next++; n < opts.messages; n = next++) {
          const to = opts.to[n % opts.to.length] as string;
          const info = await transport.sendMail({
            envelope: { from: "bench@example.org", to: [to] },
            raw: benchMessage(`m${n}-${run}`, to, filler),
          });
          if (!/^250 /.test(info.response)) throw new Error(`message ${n}: ${info.response}`);
          accepted++;
        }
      }),
    );
  } finally {
    for (const t of transports) t.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds, perSecond: accepted / seconds, accepted };
}

// ------------------------------------------------------------------------------- the server child

interface MemoryReport {
  readonly peakRss: number;
  readonly rss: number;
  /** VmHWM from /proc (peak resident size since the process started), null elsewhere. */
  readonly hwm: number | null;
  /** Where the memory is now: /proc's RssAnon and RssFile (mapped files: SQLite's mmap), V8's heap. */
  readonly rssAnon: number | null;
  readonly rssFile: number | null;
  readonly heapTotal: number;
  readonly idleRss: number;
}

type ToChild = { type: "reset" } | { type: "memory" } | { type: "stop" };
type FromChild = { type: "ready"; port: number } | ({ type: "memory" } & MemoryReport) | { type: "stopped" };

/** One "Name: N kB" line of /proc/self/status, in bytes; null where there is no /proc. */
function procStatus(name: string): number | null {
  try {
    const m = new RegExp(`${name}:\\s+(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"));
    return m?.[1] ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

async function serverChild(): Promise<void> {
  const config = loadConfig();
  const services = await openServices(config);
  const server = await startServer(config, services);
  const idleRss = process.memoryUsage.rss();
  let peak = idleRss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const send = (message: FromChild) => process.send?.(message);
  process.on("message", (message: ToChild) => {
    if (message.type === "reset") peak = process.memoryUsage.rss();
    if (message.type === "reset" || message.type === "memory") {
      const rss = process.memoryUsage.rss();
      peak = Math.max(peak, rss);
      send({
        type: "memory",
        peakRss: peak,
        rss,
        hwm: procStatus("VmHWM"),
        rssAnon: procStatus("RssAnon"),
        rssFile: procStatus("RssFile"),
        heapTotal: process.memoryUsage().heapTotal,
        idleRss,
      });
    }
    if (message.type === "stop") {
      clearInterval(sampler);
      server.stop().then(
        () => {
          send({ type: "stopped" });
          process.exit(0);
        },
        () => process.exit(1),
      );
    }
  });
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", port: server.smtpPort });
}

/** The server child and a request/answer channel to it. */
async function forkServer(env: Record<string, string>): Promise<{
  port: number;
  ask(message: ToChild): Promise<FromChild>;
  child: ChildProcess;
}> {
  const child = fork(fileURLToPath(import.meta.url), [SERVER_FLAG], {
    // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it stops.
    // The service's own V8 flag (bin/sesame.js, npm start): a small young generation.
    execArgv: [
      "--max-semi-space-size=4",
      "--import",
      "tsx",
      ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ],
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const first = await new Promise<FromChild>((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`the server exited at start (code ${code})`)));
  });
  if (first.type !== "ready") throw new Error("the server did not start");
  return {
    port: first.port,
    child,
    ask: (message) =>
      new Promise<FromChild>((resolve, reject) => {
        const onExit = () => reject(new Error("the server exited"));
        child.once("exit", onExit);
        child.once("message", (answer: FromChild) => {
          child.off("exit", onExit);
          resolve(answer);
        });
        child.send(message);
      }),
  };
}

async function main(): Promise<void> {
  const recipients = Number(process.env.BENCH_RECIPIENTS ?? 20);
  const messages = Number(process.env.BENCH_MESSAGES ?? 3_000);
  const clients = Number(process.env.BENCH_CLIENTS ?? 4);
  const sizeBytes = Number(process.env.BENCH_SIZE_KB ?? 20) * 1024;
  const state = machineState();
  const dir = mkdtempSync(path.join(tmpdir(), "sesame-bench-smtp-"));
  const env = {
    SESAME_DATA_DIR: path.join(dir, "data"),
    SESAME_SECRET: SECRET,
    SESAME_HTTP_PORT: "0",
    SESAME_SMTP_PORT: "0",
    SESAME_HTTP_HOST: "127.0.0.1",
    SESAME_SMTP_HOST: "127.0.0.1",
    SESAME_LOG_LEVEL: "silent",
  };
  let server: Awaited<ReturnType<typeof forkServer>> | undefined;
  try {
    progress(`creating ${recipients} accounts`);
    const config = loadConfig(env);
    const services = await openServices(config);
    const to: string[] = [];
    try {
      for (let i = 0; i < recipients; i++) {
        const account = await services.directory.createExternal(
          { nom: "Mesure", prenom: "Banc", recoveryEmail: `banc${i}@example.org` },
          "bench",
        );
        to.push(account.address);
      }
    } finally {
      await services.close();
    }

    progress("starting the server (child process)");
    server = await forkServer(env);
    progress(`warming up on port ${server.port}`);
    await smtpBurst({ port: server.port, host: "127.0.0.1", to, messages: 100, clients, sizeBytes });
    await server.ask({ type: "reset" });

    progress(`burst: ${messages} messages of ${sizeBytes / 1024} KB from ${clients} clients`);
    const result = await smtpBurst({ port: server.port, host: "127.0.0.1", to, messages, clients, sizeBytes });
    const memory = (await server.ask({ type: "memory" })) as { type: "memory" } & MemoryReport;

    const peakMB = memory.peakRss / MB;
    const hwmMB = memory.hwm === null ? null : memory.hwm / MB;
    const pass = result.perSecond >= TARGET_PER_SEC && peakMB <= MEMORY_LIMIT_MB;
    const lines = [
      "SMTP reception benchmark (SQLite, durable commit before each 250)",
      machineLine(state),
      `messages:        ${result.accepted.toLocaleString("en")} of ${Math.round(sizeBytes / 1024)} KB, ${clients} clients, ${recipients} recipients`,
      `time:            ${round(result.seconds, 2)} s`,
      `throughput:      ${round(result.perSecond)} messages/s (target ≥ ${TARGET_PER_SEC})`,
      `server memory:   peak RSS during the burst ${round(peakMB)} MB (limit ${MEMORY_LIMIT_MB}); VmHWM since start ${hwmMB === null ? "n/a" : `${round(hwmMB)} MB`}`,
      `                 idle after start ${round(memory.idleRss / MB)} MB; at the end: V8 heap ${round(memory.heapTotal / MB)} MB, ` +
        `anonymous ${memory.rssAnon === null ? "n/a" : `${round(memory.rssAnon / MB)} MB`}, ` +
        `mapped files ${memory.rssFile === null ? "n/a" : `${round(memory.rssFile / MB)} MB`}`,
      `verdict: ${pass ? "PASS" : "FAIL"}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (!pass) process.exitCode = 1;
    process.stdout.write(
      `${JSON.stringify({
        smtpPerSec: round(result.perSecond),
        target: TARGET_PER_SEC,
        ratio: round(result.perSecond / TARGET_PER_SEC, 2),
        peakRssMB: round(peakMB),
        vmHwmMB: hwmMB === null ? null : round(hwmMB),
        memoryLimitMB: MEMORY_LIMIT_MB,
        messages: result.accepted,
        sizeKB: Math.round(sizeBytes / 1024),
        clients,
        seconds: round(result.seconds, 2),
        cores: state.cores,
        loadAvg: state.loadAvg,
      })}\n`,
    );
  } finally {
    if (server) {
      const child = server.child;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      await server.ask({ type: "stop" }).catch(() => undefined);
      // Let it exit on its own (it may be writing its CPU profile); force it after 10 s.
      const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
      if (child.exitCode === null && child.signalCode === null) await exited;
      clearTimeout(force);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const entry = process.argv[1] ? path.resolve(process.argv[1]) : "";
if (process.argv.includes(SERVER_FLAG)) {
  serverChild().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
} else if (entry === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
