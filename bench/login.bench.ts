/**
 * Login benchmark: sign-ins with correct passwords through the real HTTP server
 * on 127.0.0.1 must reach ≥ 85 % of the raw argon2 verification rate measured in the same run, on the
 * same machine, with the default argon2 parameters.
 *
 * - Phase A (raw rate): `verify` of @node-rs/argon2 on one of the accounts' PHC strings, as many at once
 *   as there are cores, the server idle.
 * - Phase B (logins): a load generator in a child process (this script, forked, so that it does not
 *   share the server's event loop) plays BENCH_LOGIN_CONCURRENCY virtual clients (default 4 × cores):
 *   each first GETs / for its `sesame-csrf` cookie and the form's `_csrf` value; then autocannon, over as
 *   many keep-alive connections, POSTs /connexion again and again with correct passwords, cycling over
 *   BENCH_ACCOUNTS accounts (so that no per-account rule ever applies), each account always with the
 *   cookie and token of the same virtual client. Only 303 answers count as successes; any other status
 *   is reported.
 * - Besides the wall-clock ratio, the CPU time of one login (server process and load generator) is
 *   compared with that of one raw verification: the ratio the machine would give with nothing else
 *   running, and the main thread's share, which is what the server adds to argon2.
 * - The two phases alternate in BENCH_ROUNDS slices (default 10 × 2 s each, BENCH_SECONDS = 20 s per
 *   phase in all), so that a change of background load on the machine weighs on both figures alike
 *   (on these virtual machines the raw rate alone moves by ±15 % from one 2 s slice to the next).
 * - Before measuring, BENCH_WARMUP_SECONDS (default 20 s) of logins: the figure sought is the steady
 *   state of a server that has been up for a while. At ~120 logins/s the JIT needs that long to
 *   optimise the request path (HTTP parser, Fastify, the query builder) of both the server and the
 *   load generator: after 2 s of warm-up the main thread spent ~1.6 ms per login and V8's compiler
 *   threads another ~0.5 ms, after 20 s ~1.1–1.4 ms and ~0.05 ms.
 *
 *   npm run bench:login
 *   BENCH_SECONDS=20 BENCH_ROUNDS=10 BENCH_WARMUP_SECONDS=20 BENCH_LOGIN_CONCURRENCY=8 BENCH_ACCOUNTS=200 npm run bench:login
 *
 * BENCH_EXTRA_ENV (a JSON object of SESAME_* variables) configures the server further; with a cheap
 * hash it shows what a sign-in costs the main thread without argon2 taking the cores (not a ratio):
 *
 *   BENCH_EXTRA_ENV='{"SESAME_ARGON2_MEMORY_KIB":"1024","SESAME_ARGON2_TIME_COST":"1"}' npm run bench:login
 *
 * SQLite first; with BENCH_DATABASE_URL=postgres://…, PostgreSQL next in the same run (a schema of its
 * own, dropped at the end), then both figures side by side.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:login
 *
 * Prints a readable summary per database, then as its last line one JSON object with the figures (of
 * PostgreSQL when it was measured, `"database":"postgres"`, with the SQLite ones under `sqlite`).
 */
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { verify } from "@node-rs/argon2";
import {
  createAccounts,
  forkLoadChild,
  get,
  isChild,
  loadAutocannon,
  machineLine,
  machineState,
  mainThreadTimes,
  percentile,
  progress,
  round,
  serveJobs,
  startBenchServer,
  threadTimesSince,
} from "./lib.js";

const TARGET_RATIO = 0.85;
const CORES = availableParallelism();
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 20);
/** Phases A and B alternate in this many slices each (see the header). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_LOGIN_CONCURRENCY ?? 4 * CORES);

// ------------------------------------------------------------------------- the load generator (child)

interface PrepareJob {
  readonly kind: "prepare";
  readonly url: string;
  readonly accounts: ReadonlyArray<{ username: string; password: string }>;
  readonly concurrency: number;
}
interface RunJob {
  readonly kind: "run";
  readonly durationMs: number;
}
type Job = PrepareJob | RunJob;

interface RunResult {
  readonly seconds: number;
  /** Answers received within the run, by status. */
  readonly statuses: Record<string, number>;
  /** Their latencies (ms). */
  readonly latencies: number[];
  readonly errors: number;
  readonly firstError: string | null;
  /** CPU time of the load generator during the run (ms, user + system). */
  readonly clientCpuMs: number;
}

function childMain(): void {
  const autocannon = loadAutocannon();
  let target = "";
  /** One prepared POST per account: its own virtual client's cookie and CSRF token, its password. */
  let posts: Array<{ cookie: string; body: string }> = [];
  let connections = 1;

  const prepare = async (job: PrepareJob): Promise<{ clients: number }> => {
    target = job.url;
    connections = job.concurrency;
    // Each virtual client GETs the login page once: its `sesame-csrf` cookie and the form's token.
    const clients = await Promise.all(
      Array.from({ length: job.concurrency }, async () => {
        const page = await get(job.url);
        const cookie = page.setCookie.find((c) => c.startsWith("sesame-csrf="))?.split(";")[0];
        const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
        if (page.status !== 200 || !cookie || !csrf) {
          throw new Error(`GET / gave no CSRF cookie or token (status ${page.status})`);
        }
        return { cookie, csrf };
      }),
    );
    posts = job.accounts.map((account, i) => {
      const client = clients[i % clients.length] as { cookie: string; csrf: string };
      const body = new URLSearchParams({ _csrf: client.csrf, username: account.username, password: account.password });
      return { cookie: client.cookie, body: body.toString() };
    });
    return { clients: clients.length };
  };

  // The load generator's CPU is taken from the cores the server needs: it is measured and reported.
  const run = async (job: RunJob): Promise<RunResult> => {
    const latencies: number[] = [];
    const cpu0 = process.cpuUsage();
    const instance = autocannon({
      url: target,
      connections,
      duration: job.durationMs / 1000,
      pipelining: 1,
      timeout: 10,
      // Every request is built once, before the run (a `setupRequest` callback would rebuild each one
      // and spend the cores the server needs); each connection cycles through all of them.
      requests: posts.map((post) => ({
        method: "POST",
        path: "/connexion",
        headers: {
          "user-agent": "sesame-bench",
          "content-type": "application/x-www-form-urlencoded",
          cookie: post.cookie,
        },
        body: post.body,
      })),
    });
    instance.on("response", (_client, _status, _bytes, ms) => {
      latencies.push(ms);
    });
    const result = await instance;
    const cpu = process.cpuUsage(cpu0);
    return {
      seconds: result.duration,
      statuses: Object.fromEntries(Object.entries(result.statusCodeStats).map(([s, v]) => [s, Number(v.count)])),
      latencies,
      errors: result.errors,
      firstError: result.timeouts > 0 ? `${result.timeouts} timeouts` : null,
      clientCpuMs: (cpu.user + cpu.system) / 1000,
    };
  };

  serveJobs<Job, unknown>((job) => (job.kind === "prepare" ? prepare(job) : run(job)));
}

// ------------------------------------------------------------------------------------ the benchmark

/** Raw verifications: `concurrency` verifications in flight at all times for `ms`; how many, in how long. */
async function rawVerify(
  phc: string,
  password: string,
  concurrency: number,
  ms: number,
): Promise<{ count: number; seconds: number }> {
  let count = 0;
  const start = performance.now();
  const end = start + ms;
  let last = start;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        if (!(await verify(phc, password))) throw new Error("the raw verification failed");
        count++;
        last = performance.now();
      }
    }),
  );
  return { count, seconds: (last - start) / 1000 };
}

interface Round {
  readonly argon2PerSec: number;
  readonly loginPerSec: number;
}

type LoadChild = Awaited<ReturnType<typeof forkLoadChild>>;

/** The figures of one database's run (the JSON line's fields). */
type Figures = Record<string, unknown> & { ratio: number; database: string };

/** One whole measurement on one database (SQLite when `postgresUrl` is null): prints the summary. */
async function measure(postgresUrl: string | null, child: LoadChild): Promise<{ ok: boolean; figures: Figures }> {
  const before = machineState();
  const bench = await startBenchServer(JSON.parse(process.env.BENCH_EXTRA_ENV ?? "{}"), { postgresUrl });
  try {
    const { services } = bench;
    const setupStart = performance.now();
    const accounts = await createAccounts(services, ACCOUNTS);
    const setupSeconds = (performance.now() - setupStart) / 1000;
    const sample = accounts[0];
    if (!sample) throw new Error("no account created");

    progress(
      `${accounts.length} accounts ready; preparing ${CONCURRENCY} virtual clients, then ${WARMUP_SECONDS} s of warm-up`,
    );
    await child.call({
      kind: "prepare",
      url: bench.url,
      accounts: accounts.map(({ username, password }) => ({ username, password })),
      concurrency: CONCURRENCY,
    } satisfies PrepareJob);
    await child.call<RunJob, RunResult>({ kind: "run", durationMs: WARMUP_SECONDS * 1000 });
    await rawVerify(sample.phc, sample.password, CORES, 500);

    // ROUNDS × (phase A slice, phase B slice): both phases see the same background load of the machine.
    const slice = (SECONDS * 1000) / ROUNDS;
    const rounds: Round[] = [];
    let argonCount = 0;
    let argonSeconds = 0;
    let argonCpuMs = 0;
    let mainCpuMs = 0;
    let mainWaitMs = 0;
    let mainTimesKnown = true;
    const statuses: Record<string, number> = {};
    const latencies: number[] = [];
    let errors = 0;
    let firstError: string | null = null;
    let loginSeconds = 0;
    let clientCpuMs = 0;
    let serverCpuMs = 0;
    let eluActive = 0;
    let eluTotal = 0;
    for (let r = 1; r <= ROUNDS; r++) {
      progress(`round ${r}/${ROUNDS}: phase A (raw argon2) ${slice / 1000} s, phase B (HTTP logins) ${slice / 1000} s`);
      const rawCpu0 = process.cpuUsage();
      const raw = await rawVerify(sample.phc, sample.password, CORES, slice);
      const rawCpu = process.cpuUsage(rawCpu0);
      argonCpuMs += (rawCpu.user + rawCpu.system) / 1000;
      argonCount += raw.count;
      argonSeconds += raw.seconds;

      const elu0 = performance.eventLoopUtilization();
      const cpu0 = process.cpuUsage();
      const main0 = mainThreadTimes();
      const run = await child.call<RunJob, RunResult>({ kind: "run", durationMs: slice });
      const mainTimes = threadTimesSince(main0);
      const cpu = process.cpuUsage(cpu0);
      if (mainTimes) {
        mainCpuMs += mainTimes.cpuMs;
        mainWaitMs += mainTimes.waitMs;
      } else mainTimesKnown = false;
      const elu = performance.eventLoopUtilization(elu0);
      serverCpuMs += (cpu.user + cpu.system) / 1000;
      eluActive += elu.active;
      eluTotal += elu.active + elu.idle;
      for (const [status, n] of Object.entries(run.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
      latencies.push(...run.latencies);
      errors += run.errors;
      firstError ??= run.firstError;
      loginSeconds += run.seconds;
      clientCpuMs += run.clientCpuMs;
      rounds.push({ argon2PerSec: raw.count / raw.seconds, loginPerSec: (run.statuses["303"] ?? 0) / run.seconds });
    }

    const argon2PerSec = argonCount / argonSeconds;
    const successes = statuses["303"] ?? 0;
    const loginPerSec = successes / loginSeconds;
    const ratio = loginPerSec / argon2PerSec;
    const others = Object.entries(statuses).filter(([status]) => status !== "303");
    latencies.sort((a, b) => a - b);
    const p50 = round(percentile(latencies, 50), 1);
    const p99 = round(percentile(latencies, 99), 1);
    const after = machineState();

    const store = services.database.dialect === "postgres" ? "PostgreSQL" : "SQLite";
    console.log(`Login benchmark (HTTP POST /connexion on 127.0.0.1, ${store}, default argon2 parameters)`);
    console.log(`  ${machineLine(before)}`);
    console.log(
      `  setup:         ${accounts.length} external accounts with personal passwords in ${setupSeconds.toFixed(1)} s; ` +
        `${CONCURRENCY} virtual clients (load generator in a child process), ${WARMUP_SECONDS} s of warm-up`,
    );
    console.log(
      `  method:        ${ROUNDS} rounds of ${slice / 1000} s raw argon2 (verify() × ${CORES} at once, server idle) ` +
        `then ${slice / 1000} s of HTTP logins`,
    );
    for (const [i, r] of rounds.entries()) {
      console.log(
        `    round ${i + 1}:     argon2 ${round(r.argon2PerSec, 1)}/s, logins ${round(r.loginPerSec, 1)}/s, ratio ${round(r.loginPerSec / r.argon2PerSec, 3)}`,
      );
    }
    console.log(
      `  argon2 raw:    ${round(argon2PerSec, 1)} verifications/s (${argonCount} in ${round(argonSeconds, 1)} s)`,
    );
    console.log(
      `  logins:        ${round(loginPerSec, 1)} logins/s (${successes} × 303 in ${round(loginSeconds, 1)} s, over ${accounts.length} accounts); ` +
        `latency p50 ${p50} ms, p99 ${p99} ms`,
    );
    console.log(
      `  other answers: ${others.length === 0 ? "none" : others.map(([s, n]) => `${n} × ${s}`).join(", ")}; ` +
        `transport errors: ${errors}${firstError ? ` (${firstError})` : ""}`,
    );
    console.log(
      `  CPU (logins):  server process ${round(serverCpuMs / 1000 / loginSeconds, 2)} cores ` +
        `(main thread busy ${round((eluActive / eluTotal) * 100, 1)} %), load generator ${round(clientCpuMs / 1000 / loginSeconds, 2)} cores`,
    );
    const completed = latencies.length;
    console.log(
      `  CPU per login: ${round(serverCpuMs / completed, 2)} ms in the server process (argon2 included), ` +
        (mainTimesKnown
          ? `${round(mainCpuMs / completed, 2)} ms on its main thread (which also waited ${round(mainWaitMs / completed, 2)} ms for a core), `
          : "") +
        `${round(clientCpuMs / completed, 2)} ms in the load generator; one raw verification: ${round(argonCpuMs / argonCount, 2)} ms`,
    );
    // What the ratio would be with both cores given to this benchmark alone (robust to other load):
    // a raw verification's CPU over the whole CPU of one login (server process + load generator).
    const cpuRatio = argonCpuMs / argonCount / ((serverCpuMs + clientCpuMs) / completed);
    // The same without the load generator (which shares this machine's cores, not a real server's):
    // what the server process alone adds to argon2. Not the target's figure, a guide to where the CPU goes.
    const serverCpuRatio = argonCpuMs / argonCount / (serverCpuMs / completed);
    console.log(
      `  ratio:         ${round(ratio, 3)} (target ≥ ${TARGET_RATIO}); from CPU time alone: ${round(cpuRatio, 3)} ` +
        "(raw verification CPU ÷ server and load-generator CPU per login); " +
        `server process alone: ${round(serverCpuRatio, 3)}`,
    );
    console.log(`  after the run: ${machineLine(after)}`);
    const ok = ratio >= TARGET_RATIO && others.length === 0 && errors === 0;
    console.log(`  verdict:       ${ok ? "meets the target" : "MISSES the target"}`);
    return {
      ok,
      figures: {
        loginPerSec: round(loginPerSec, 1),
        argon2PerSec: round(argon2PerSec, 1),
        ratio: round(ratio, 3),
        cpuRatio: round(cpuRatio, 3),
        serverCpuRatio: round(serverCpuRatio, 3),
        loginP50Ms: p50,
        loginP99Ms: p99,
        mainThreadCpuMsPerLogin: mainTimesKnown ? round(mainCpuMs / completed, 2) : null,
        argon2CpuMsPerVerify: round(argonCpuMs / argonCount, 2),
        database: services.database.dialect,
        concurrency: CONCURRENCY,
        accounts: accounts.length,
        nonSuccess: Object.fromEntries(others),
        errors,
        cores: before.cores,
        loadAvg: before.loadAvg,
        loadAvgAfter: after.loadAvg,
        freeMemMB: before.freeMemMB,
      },
    };
  } finally {
    await bench.close();
  }
}

/**
 * SQLite, then, with BENCH_DATABASE_URL, PostgreSQL in the same run (same machine, same minutes):
 * the last line is the JSON of the last database measured, with the SQLite figures beside it.
 */
async function main(): Promise<void> {
  const postgresUrl = process.env.BENCH_DATABASE_URL ?? null;
  const child = await forkLoadChild(fileURLToPath(import.meta.url));
  try {
    const sqlite = await measure(null, child);
    if (postgresUrl === null) {
      console.log(JSON.stringify(sqlite.figures));
      if (!sqlite.ok) process.exitCode = 1;
      return;
    }
    console.log("");
    const postgres = await measure(postgresUrl, child);
    const pick = (f: Figures) => ({
      ratio: f.ratio,
      cpuRatio: f.cpuRatio,
      loginPerSec: f.loginPerSec,
      argon2PerSec: f.argon2PerSec,
      loadAvg: f.loadAvg,
    });
    console.log("");
    console.log("Both databases, this run:");
    for (const [name, run] of [
      ["SQLite    ", sqlite],
      ["PostgreSQL", postgres],
    ] as const) {
      const f = run.figures;
      console.log(
        `  ${name}  ratio ${f.ratio} (CPU ${f.cpuRatio}), ${f.loginPerSec} logins/s for ${f.argon2PerSec} argon2/s, ` +
          `load average ${(f.loadAvg as number[]).join(" / ")} → ${(f.loadAvgAfter as number[]).join(" / ")}: ` +
          `${run.ok ? "meets" : "MISSES"} the target`,
      );
    }
    console.log(JSON.stringify({ ...postgres.figures, sqlite: pick(sqlite.figures) }));
    if (!sqlite.ok || !postgres.ok) process.exitCode = 1;
  } finally {
    child.close();
  }
}

if (isChild()) childMain();
else await main();
