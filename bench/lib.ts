/**
 * Shared helpers of the HTTP benchmarks (bench/login.bench.ts, bench/http.bench.ts): a real server on
 * 127.0.0.1 over a temporary data directory, accounts with a personal password, the machine state, and
 * a load generator run in a CHILD process (the script forks itself), so that the measuring does not
 * take the server's event loop and its garbage collector (server and load share the same cores).
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { availableParallelism, cpus, freemem, loadavg, tmpdir, totalmem } from "node:os";
import path from "node:path";
import pg from "pg";
import { loadConfig } from "../src/config/config.js";
import { type RunningServer, startServer } from "../src/main.js";
import { openServices, type Services } from "../src/services.js";

export const SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

/** Marker argument of the forked load-generator process. */
export const CHILD_FLAG = "--bench-child";

export const isChild = (): boolean => process.argv.includes(CHILD_FLAG);

export interface BenchServer {
  readonly services: Services;
  readonly server: RunningServer;
  /** Base URL, e.g. http://127.0.0.1:40123/ */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A fresh data directory, the default configuration (default argon2 parameters), and the real server.
 * On SQLite by default; with BENCH_DATABASE_URL=postgres://…, in a schema of its own on that
 * database, dropped at the end.
 */
export async function startBenchServer(
  extraEnv: Record<string, string> = {},
  /** The PostgreSQL URL to run on (default BENCH_DATABASE_URL); null: SQLite whatever the environment. */
  database: { readonly postgresUrl: string | null } = { postgresUrl: process.env.BENCH_DATABASE_URL ?? null },
): Promise<BenchServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "sesame-bench-"));
  const postgres = database.postgresUrl ?? undefined;
  const schema = postgres ? `bench_${randomBytes(6).toString("hex")}` : undefined;
  const onPostgres = async (statement: string) => {
    if (!postgres) return;
    const client = new pg.Client({ connectionString: postgres });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  try {
    const config = loadConfig({
      SESAME_DATA_DIR: path.join(dir, "data"),
      SESAME_SECRET: SECRET,
      SESAME_HTTP_PORT: "0",
      SESAME_SMTP_PORT: "0",
      SESAME_IMAP_PORT: "0",
      SESAME_IMAPS_PORT: "0",
      SESAME_SUBMISSION_PORT: "0",
      SESAME_HTTP_HOST: "127.0.0.1",
      SESAME_LOG_LEVEL: "silent",
      ...(postgres ? { SESAME_DATABASE_URL: postgres } : {}),
      ...extraEnv,
    });
    await onPostgres(`create schema ${schema}`);
    const services = await openServices(config, schema ? { database: { searchPath: schema } } : {});
    const server = await startServer(config, services);
    return {
      services,
      server,
      url: server.url,
      close: async () => {
        try {
          await server.stop();
          await onPostgres(`drop schema ${schema} cascade`);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    await onPostgres(`drop schema if exists ${schema} cascade`);
    throw error;
  }
}

export interface BenchAccount {
  readonly username: string;
  readonly password: string;
  readonly phc: string;
}

/**
 * `count` external accounts, each with its own personal password (hashed through the service's hasher,
 * so with the configured parameters); they sign in with their `ext-…` username.
 */
export async function createAccounts(services: Services, count: number): Promise<BenchAccount[]> {
  const passwords = Array.from({ length: count }, (_, i) => `Banc-d-essai ${i} ${SECRET.slice(-12)}`);
  // In batches: the hasher refuses work past its queue (OVERLOADED).
  const hashes: string[] = [];
  const batch = services.hasher.limits.concurrency * 4;
  for (let i = 0; i < count; i += batch) {
    hashes.push(...(await Promise.all(passwords.slice(i, i + batch).map((pw) => services.hasher.hash(pw)))));
  }
  const accounts: BenchAccount[] = [];
  for (let i = 0; i < count; i++) {
    const phc = hashes[i] as string;
    const account = await services.directory.createExternal(
      { nom: "Mesure", prenom: "Banc", recoveryEmail: `banc${i}@example.org`, passwordHash: phc },
      "bench",
    );
    accounts.push({ username: account.username, password: passwords[i] as string, phc });
  }
  return accounts;
}

export interface MachineState {
  readonly cores: number;
  readonly cpuModel: string;
  readonly loadAvg: [number, number, number];
  readonly freeMemMB: number;
  readonly totalMemMB: number;
  readonly node: string;
}

export function machineState(): MachineState {
  const [l1 = 0, l5 = 0, l15 = 0] = loadavg();
  const round2 = (n: number) => Math.round(n * 100) / 100;
  return {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    loadAvg: [round2(l1), round2(l5), round2(l15)],
    freeMemMB: Math.round(freemem() / 1024 / 1024),
    totalMemMB: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
  };
}

export function machineLine(state: MachineState = machineState()): string {
  return (
    `machine: ${state.cores} cores (${state.cpuModel}), load average ${state.loadAvg.join(" / ")} (1/5/15 min), ` +
    `free memory ${state.freeMemMB.toLocaleString("en")} MB of ${state.totalMemMB.toLocaleString("en")} MB, Node ${state.node}`
  );
}

export interface ThreadTimes {
  /** Time the thread ran on a core (ms). */
  readonly cpuMs: number;
  /** Time the thread was ready but waited for a core (ms): how much it was starved. */
  readonly waitMs: number;
}

/**
 * CPU and run-queue wait of this process's MAIN thread only (the event loop, without the libuv pool
 * where argon2 runs), from Linux's /proc/<pid>/task/<pid>/schedstat; null elsewhere.
 */
export function mainThreadTimes(): ThreadTimes | null {
  try {
    const [run = "", wait = ""] = readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, "utf8").split(" ");
    return { cpuMs: Number(run) / 1e6, waitMs: Number(wait) / 1e6 };
  } catch {
    return null;
  }
}

export function threadTimesSince(start: ThreadTimes | null): ThreadTimes | null {
  const now = mainThreadTimes();
  return start && now ? { cpuMs: now.cpuMs - start.cpuMs, waitMs: now.waitMs - start.waitMs } : null;
}

/** The kernel's clock ticks per second (the unit of /proc/<pid>/stat's times), read once. */
let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // the Linux default
    }
  }
  return ticksPerSecond;
}

/**
 * The CPU time, in milliseconds, that the process `rootPid` and every process descending from it
 * have used so far: user and system time of each live one (all its threads), with the time of the
 * children each has already reaped (so that a Postfix smtpd that exited between two readings is
 * still counted, in its master's). Linux only (/proc); null elsewhere.
 */
export function processTreeCpuMs(rootPid: number): number | null {
  const processes = new Map<number, { ppid: number; ticks: number }>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // After the command's name (in parentheses, which may hold spaces): state, ppid, … utime (14th
      // field), stime, cutime, cstime.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
      processes.set(Number(entry), { ppid: Number(fields[1]), ticks });
    } catch {
      // it ended meanwhile
    }
  }
  if (!processes.has(rootPid)) return null;
  let total = 0;
  for (const [pid, { ticks }] of processes) {
    let ancestor: number | undefined = pid;
    while (ancestor !== undefined && ancestor !== rootPid && ancestor > 1) ancestor = processes.get(ancestor)?.ppid;
    if (ancestor === rootPid) total += ticks;
  }
  return (total * 1000) / clockTicks();
}

/** The p-th percentile (0–100) of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export const round = (n: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** A progress line on stderr (stdout keeps the summary and the JSON line). */
export function progress(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------------------ the child process

/**
 * The forked load generator: the bench script itself, started with CHILD_FLAG. `call` sends it one
 * job and waits for its answer; `close` ends it.
 */
export interface LoadChild {
  call<Req, Res>(job: Req): Promise<Res>;
  close(): void;
}

/**
 * Forks the load generator and waits until it listens (a message sent before the child has attached
 * its listener would be lost: loading the TypeScript takes a moment).
 */
export async function forkLoadChild(scriptPath: string): Promise<LoadChild> {
  const child: ChildProcess = fork(scriptPath, [CHILD_FLAG], {
    execArgv: ["--import", "tsx"],
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`load generator exited at start (code ${code})`));
    child.once("exit", onExit);
    child.once("message", () => {
      child.off("exit", onExit);
      resolve();
    });
  });
  let pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null;
  child.on("message", (message: { ok: boolean; result?: unknown; error?: string }) => {
    const p = pending;
    pending = null;
    if (!p) return;
    if (message.ok) p.resolve(message.result);
    else p.reject(new Error(`load generator: ${message.error}`));
  });
  child.on("exit", (code) => {
    const p = pending;
    pending = null;
    p?.reject(new Error(`load generator exited (code ${code})`));
  });
  return {
    call<Req, Res>(job: Req): Promise<Res> {
      if (pending) return Promise.reject(new Error("one job at a time"));
      return new Promise<Res>((resolve, reject) => {
        pending = { resolve: resolve as (v: unknown) => void, reject };
        child.send(job as object);
      });
    },
    close() {
      if (child.connected) child.disconnect();
      if (child.exitCode === null) child.kill();
    },
  };
}

/** In the child: answer each job of the parent with `handler`, until the parent disconnects. */
export function serveJobs<Req, Res>(handler: (job: Req) => Promise<Res>): void {
  process.on("message", (job: Req) => {
    handler(job).then(
      (result) => process.send?.({ ok: true, result }),
      (error: unknown) => process.send?.({ ok: false, error: error instanceof Error ? error.stack : String(error) }),
    );
  });
  process.on("disconnect", () => process.exit(0));
  process.send?.({ ready: true });
}

// ------------------------------------------------------------------------------------- autocannon

/** The part of autocannon's API used here (the package ships no types). */
export interface AutocannonHistogram {
  readonly average: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly total: number;
}
export interface AutocannonResult {
  readonly requests: AutocannonHistogram;
  readonly latency: AutocannonHistogram;
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly statusCodeStats: Record<string, { count: number }>;
}
export interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}
export interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  pipelining: number;
  timeout: number;
  headers?: Record<string, string>;
  requests?: Array<AutocannonRequest & { setupRequest?: (request: AutocannonRequest) => AutocannonRequest }>;
}
export interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: "response", listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
export type Autocannon = (options: AutocannonOptions) => AutocannonInstance;

/** autocannon (CommonJS, untyped) loaded with the types above. */
export function loadAutocannon(): Autocannon {
  return createRequire(import.meta.url)("autocannon") as Autocannon;
}

/** The answer to a plain GET: status, Set-Cookie headers and body. */
export interface Answer {
  readonly status: number;
  readonly setCookie: string[];
  readonly body: string;
}

/** A GET over a fresh connection (the benchmarks' virtual clients fetch their form once). */
export function get(url: string): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    http
      .get(url, { headers: { "user-agent": "sesame-bench" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            setCookie: res.headers["set-cookie"] ?? [],
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      })
      .on("error", reject);
  });
}
