/**
 * NUMEN form benchmark: ≥ 1,000 checks/s on this machine with distinct NUMENs
 * (no argon2 on this path: the keyed-hash look-up and the date comparison only).
 *
 * - Setup: a real server on 127.0.0.1 (temporary data directory, SQLite), BENCH_STAFF staff members
 *   (default 30,000, so that no NUMEN is used twice) through the real HR import.
 * - Service figure: `services.recovery.numenSignIn` called directly, BENCH_SERVICE_CONCURRENCY calls
 *   in flight, each with another NUMEN and its right birth date, for BENCH_SERVICE_SECONDS.
 * - HTTP figure: a load generator in a child process (this script, forked, so that it does not share
 *   the server's event loop) plays BENCH_CONCURRENCY virtual clients (default 4 × cores); each first
 *   GETs /assistance/numen for its `sesame-csrf` cookie and the form's `_csrf`; then autocannon POSTs
 *   /assistance/numen for BENCH_SECONDS (default 10 s) over as many keep-alive connections, each
 *   request with a NUMEN not used before in the run and its right birth date. A right pair is not a
 *   failure, so neither the per-NUMEN throttle nor the per-address proof of work (every request
 *   comes from 127.0.0.1) ever applies. Only 303 answers (to /assistance/compte, a recovery session
 *   opened) count as checks; any other status is reported.
 *
 *   npm run bench:recovery
 *   BENCH_STAFF=40000 BENCH_SECONDS=10 BENCH_CONCURRENCY=16 npm run bench:recovery
 *   BENCH_PROFILE=1 npm run bench:recovery      (the breakdown below even when the target is met)
 *
 * Below the target (or with BENCH_PROFILE=1) it then profiles a further 3 s of the HTTP load with
 * the inspector and prints where the server's main thread spends its time (SQLite, Kysely, Node's
 * HTTP, Fastify, each src module), the SQL statements per check, and each step of the service
 * timed alone.
 *
 * Prints a readable summary, then as its last line one JSON object with the figures.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { uaiKey } from "../src/directory/identifiers.js";
import { ACCOUNT_POLICY, BackoffThrottle } from "../src/identity/throttle.js";
import { createThrottleStores } from "../src/identity/throttle.repository.js";
import type { Services } from "../src/services.js";
import { keyedHash } from "../src/shared/crypto.js";
import {
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

const TARGET = 1_000;
const CORES = availableParallelism();
const STAFF = Number(process.env.BENCH_STAFF ?? 30_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 1;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4 * CORES);
const SERVICE_SECONDS = Number(process.env.BENCH_SERVICE_SECONDS ?? 4);
const SERVICE_CONCURRENCY = Number(process.env.BENCH_SERVICE_CONCURRENCY ?? 8);

interface Person {
  readonly numen: string;
  /** JJ/MM/AAAA, as typed in the form. */
  readonly birthDate: string;
}

/** A valid, distinct NUMEN and a birth date for each n (2 digits, 1 letter, 7 digits, 3 letters). */
function person(n: number): Person {
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const l = (i: number) => letters.charAt(i % 26);
  const numen = `${String(n % 100).padStart(2, "0")}${l(n)}${String(n).padStart(7, "0")}${l(n >> 2)}${l(n >> 5)}${l(n >> 9)}`;
  const birthDate = `${String((n % 28) + 1).padStart(2, "0")}/${String((n % 12) + 1).padStart(2, "0")}/${1960 + (n % 40)}`;
  return { numen, birthDate };
}

// ------------------------------------------------------------------------- the load generator (child)

interface PrepareJob {
  readonly kind: "prepare";
  readonly url: string;
  readonly people: readonly Person[];
  readonly concurrency: number;
}
interface RunJob {
  readonly kind: "run";
  readonly durationMs: number;
}
type Job = PrepareJob | RunJob;

interface RunResult {
  readonly seconds: number;
  readonly statuses: Record<string, number>;
  /** 303 answers (a recovery session opened; the server counts them too, see the summary). */
  readonly opened: number;
  readonly latencies: number[];
  readonly errors: number;
  readonly timeouts: number;
  /** How many requests so far reused a NUMEN already sent (0 unless the runs outlasted the people). */
  readonly reused: number;
  readonly clientCpuMs: number;
}

function childMain(): void {
  const autocannon = loadAutocannon();
  let target = "";
  let clients: Array<{ cookie: string; csrf: string }> = [];
  let people: readonly Person[] = [];
  let connections = 1;
  let next = 0;

  const prepare = async (job: PrepareJob): Promise<{ clients: number }> => {
    target = job.url;
    people = job.people;
    connections = job.concurrency;
    clients = await Promise.all(
      Array.from({ length: job.concurrency }, async () => {
        const page = await get(new URL("/assistance/numen", job.url).toString());
        const cookie = page.setCookie.find((c) => c.startsWith("sesame-csrf="))?.split(";")[0];
        const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
        if (page.status !== 200 || !cookie || !csrf) {
          throw new Error(`GET /assistance/numen gave no CSRF cookie or token (status ${page.status})`);
        }
        if (page.body.includes("altcha-widget")) throw new Error("the form already asks for a proof of work");
        return { cookie, csrf };
      }),
    );
    return { clients: clients.length };
  };

  const run = async (job: RunJob): Promise<RunResult> => {
    const latencies: number[] = [];
    let opened = 0;
    const cpu0 = process.cpuUsage();
    // One client per connection: autocannon's `setupRequest` gets no connection id, so the virtual
    // client is picked round-robin; any client's cookie and token are valid for any request.
    let pick = 0;
    const instance = autocannon({
      url: target,
      connections,
      duration: job.durationMs / 1000,
      pipelining: 1,
      timeout: 10,
      requests: [
        {
          method: "POST",
          path: "/assistance/numen",
          setupRequest: (request) => {
            const p = people[next++ % people.length] as Person;
            const client = clients[pick++ % clients.length] as { cookie: string; csrf: string };
            const body = new URLSearchParams({
              _csrf: client.csrf,
              numen: p.numen,
              birthDate: p.birthDate,
              accountType: "academique",
            }).toString();
            return {
              ...request,
              headers: {
                "user-agent": "sesame-bench",
                "content-type": "application/x-www-form-urlencoded",
                cookie: client.cookie,
              },
              body,
            };
          },
        },
      ],
    });
    instance.on("response", (_client, status, _bytes, ms) => {
      latencies.push(ms);
      if (status === 303) opened++;
    });
    const result = await instance;
    const cpu = process.cpuUsage(cpu0);
    return {
      seconds: result.duration,
      statuses: Object.fromEntries(Object.entries(result.statusCodeStats).map(([s, v]) => [s, Number(v.count)])),
      opened,
      latencies,
      errors: result.errors,
      timeouts: result.timeouts,
      reused: Math.max(0, next - people.length),
      clientCpuMs: (cpu.user + cpu.system) / 1000,
    };
  };

  serveJobs<Job, unknown>((job) => (job.kind === "prepare" ? prepare(job) : run(job)));
}

// ------------------------------------------------------------------------------------ the benchmark

async function seed(services: Services, count: number): Promise<Person[]> {
  const dir = mkdtempSync(path.join(tmpdir(), "sesame-bench-recovery-"));
  try {
    const people = Array.from({ length: count }, (_, i) => person(100_000 + i));
    const uai = (n: number) => {
      const digits = String(690_000 + (n % 500)).padStart(7, "0");
      return `${digits}${uaiKey(digits)}`;
    };
    const lines = people.map(
      (p, i) => `${p.numen};${i % 2 ? "M." : "Mme"};Mesure${i};Banc;${p.birthDate};enseignant;${uai(i)}`,
    );
    const file = path.join(dir, "staff.csv");
    writeFileSync(file, `numen;civilite;nom;prenom;date_naissance;categorie;uai\n${lines.join("\n")}\n`);
    const report = await services.staffImport.importFile(file, { actor: "bench" });
    if (report.rejected.length > 0) throw new Error(`seed rejected: ${JSON.stringify(report.rejected.slice(0, 3))}`);
    if (report.created !== count) throw new Error(`seed created ${report.created} people, not ${count}`);
    return people;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The service alone: `concurrency` calls in flight, distinct NUMENs, for `ms`. */
async function serviceRate(
  services: Services,
  people: readonly Person[],
  from: number,
  concurrency: number,
  ms: number,
): Promise<{ count: number; seconds: number; used: number }> {
  let count = 0;
  let index = from;
  const start = performance.now();
  const end = start + ms;
  let last = start;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end && index < people.length) {
        const p = people[index++] as Person;
        await services.recovery.numenSignIn({
          numen: p.numen,
          birthDate: p.birthDate,
          accountType: "academique",
          ip: `127.0.0.${(worker % 250) + 1}`,
          userAgent: "sesame-bench",
        });
        count++;
        last = performance.now();
      }
    }),
  );
  return { count, seconds: (last - start) / 1000, used: index - from };
}

const PROFILE_SECONDS = 3;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Where a profiled function belongs, for the summary. */
function category(frame: ProfileNode["callFrame"]): string {
  const { functionName: fn, url } = frame;
  if (fn === "(garbage collector)") return "garbage collection";
  if (fn === "(idle)" || fn === "(program)") return "idle / waiting for I/O";
  if (url === "" && ["run", "all", "get", "iterate"].includes(fn)) return "SQLite: running statements (native)";
  if (url === "" && (fn === "Statement" || fn === "prepare")) return "SQLite: preparing statements (native)";
  if (url.includes("/better-sqlite3/")) return "better-sqlite3 (JavaScript side)";
  if (url.includes("/kysely/")) return "Kysely: building and compiling queries";
  if (/\/(fastify|find-my-way|@fastify|light-my-request|avvio|fast-json-stringify|secure-json-parse)\//.test(url)) {
    return "Fastify (routing, hooks, cookies, reply)";
  }
  if (url.includes("/preact")) return "page rendering (preact)";
  if (url.includes("/src/recovery/")) return "src/recovery";
  if (url.includes("/src/")) return `src/${url.split("/src/")[1]?.split("/")[0] ?? ""} (other modules)`;
  if (url.startsWith("node:") || url === "") return "Node.js core (HTTP, crypto, streams, native)";
  return "other libraries";
}

async function profileSlice(run: () => Promise<RunResult>): Promise<{
  checks: number;
  groups: Array<[string, number, number]>;
  top: Array<[string, number]>;
  statementsPerCheck: number;
}> {
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  // Counting the SQL statements run (Kysely builds each query; better-sqlite3 runs it). Through
  // require: the copy src/storage loaded.
  const Database = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");
  const probe = new Database(":memory:");
  const statementProto = Object.getPrototypeOf(probe.prepare("select 1")) as Record<string, unknown>;
  probe.close();
  const originals = new Map<string, unknown>();
  let statements = 0;
  for (const method of ["run", "all", "get", "iterate"]) {
    const original = statementProto[method] as (...args: unknown[]) => unknown;
    originals.set(method, original);
    statementProto[method] = function (this: unknown, ...args: unknown[]) {
      statements++;
      return original.apply(this, args);
    };
  }
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 200 });
    await session.post("Profiler.start");
    const result = await run();
    const { profile } = (await session.post("Profiler.stop")) as unknown as {
      profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
    };
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));

    const byGroup = new Map<string, number>();
    const byFunction = new Map<string, number>();
    let total = 0;
    for (const [i, id] of profile.samples.entries()) {
      const frame = nodes.get(id)?.callFrame;
      const dt = profile.timeDeltas[i] ?? 0;
      if (!frame) continue;
      total += dt;
      const group = category(frame);
      byGroup.set(group, (byGroup.get(group) ?? 0) + dt);
      const where = frame.url ? ` ${frame.url.split("/").slice(-2).join("/")}:${frame.lineNumber + 1}` : " (native)";
      const name = `${frame.functionName || "(anonymous)"}${where}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + dt);
    }
    const checks = result.opened;
    const groups = [...byGroup]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]): [string, number, number] => [name, us / total, us / Math.max(1, checks)]);
    const top = [...byFunction]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([name, us]): [string, number] => [name, us / total]);
    return { checks, groups, top, statementsPerCheck: statements / Math.max(1, checks) };
  } finally {
    for (const [method, original] of originals) statementProto[method] = original;
    session.disconnect();
  }
}

/**
 * What one check costs, step by step: each step of `numenSignIn` (recovery.service.ts) called alone,
 * one at a time, with the same arguments the service gives it; then the whole call.
 */
async function serviceSteps(services: Services, people: readonly Person[]): Promise<Array<[string, number]>> {
  const N = 1_500;
  const stores = createThrottleStores({ db: services.database.db, redis: null, redisPrefix: "bench:" });
  const numenThrottle = new BackoffThrottle(stores.failures, services.clock, ACCOUNT_POLICY);
  const key = (i: number) =>
    `recovery:numen:${keyedHash(services.config.secret, (people[i % people.length] as Person).numen)}`;
  const time = async (fn: (i: number) => unknown): Promise<number> => {
    for (let i = 0; i < 100; i++) await fn(i);
    const start = performance.now();
    for (let i = 0; i < N; i++) await fn(i);
    return ((performance.now() - start) * 1000) / N;
  };
  const form = (i: number) => {
    const p = people[i % people.length] as Person;
    return { numen: p.numen, birthDate: p.birthDate, accountType: "academique" };
  };
  const steps: Array<[string, number]> = [
    ["form parsing (NUMEN, date, type)", await time((i) => services.recovery.parseNumenForm(form(i)))],
    ["keyed hash of the NUMEN (HMAC-SHA-256)", await time((i) => key(i))],
    [
      "per-address challenge check (ipFailures.isOver)",
      await time(() => services.recovery.challengeRequired("127.0.0.1")),
    ],
    ["per-NUMEN throttle check (numenThrottle.check)", await time((i) => numenThrottle.check(key(i)))],
    [
      "person and accounts look-up (directory.accountsByNumenAndBirthDate)",
      await time((i) => {
        const p = people[i % people.length] as Person;
        const [d, m, y] = p.birthDate.split("/");
        return services.directory.accountsByNumenAndBirthDate(p.numen, `${y}-${m}-${d}`);
      }),
    ],

    [
      "recovery session (sessions.start, a write)",
      await time(() => services.sessions.start(1, "recovery", { ip: "127.0.0.1", userAgent: "sesame-bench" }, 600_000)),
    ],
    [
      "audit event (audit.record, a write)",
      await time(() =>
        services.audit.record({
          actor: "web:assistance",
          action: "recovery.numen_succeeded",
          entity: "account",
          entityId: 1,
          details: { ip: "127.0.0.1", userAgent: "sesame-bench", accountType: "academique" },
        }),
      ),
    ],
  ];
  const sum = steps.reduce((a, [, us]) => a + us, 0);
  steps.push(["sum of the steps", sum]);
  // Only after earlier failures of the NUMEN: a first-try success (every check here) skips it.
  steps.push([
    "(not on this path) streak reset after earlier failures (numenThrottle.recordSuccess, a write)",
    await time((i) => numenThrottle.recordSuccess(key(i))),
  ]);
  let next = 0;
  const whole = await time(() => {
    const p = people[next++ % people.length] as Person;
    return services.recovery.numenSignIn({
      numen: p.numen,
      birthDate: p.birthDate,
      accountType: "academique",
      ip: "127.0.0.1",
      userAgent: "sesame-bench",
    });
  });
  steps.push(["the whole numenSignIn call", whole]);
  return steps;
}

async function main(): Promise<void> {
  const before = machineState();
  const bench = await startBenchServer();
  const child = await forkLoadChild(fileURLToPath(import.meta.url));
  try {
    const { services } = bench;
    progress(`seeding ${STAFF.toLocaleString("en")} staff members through the HR import`);
    const seedStart = performance.now();
    const people = await seed(services, STAFF);
    const seedSeconds = (performance.now() - seedStart) / 1000;

    // The service alone first, on the last part of the people (the HTTP run takes them from the start).
    // The service takes the last people (a few seconds at a few thousand checks/s), HTTP the others.
    const serviceFrom = Math.max(Math.floor(people.length / 2), people.length - 8_000);
    progress(`service alone: ${SERVICE_SECONDS} s, ${SERVICE_CONCURRENCY} calls in flight`);
    const warm = await serviceRate(services, people, serviceFrom, SERVICE_CONCURRENCY, 300);
    const service = await serviceRate(
      services,
      people,
      serviceFrom + warm.used,
      SERVICE_CONCURRENCY,
      SERVICE_SECONDS * 1000,
    );
    const serviceChecksPerSec = service.count / service.seconds;

    progress(`HTTP: preparing ${CONCURRENCY} virtual clients, ${WARMUP_SECONDS} s of warm-up, then ${SECONDS} s`);
    await child.call({
      kind: "prepare",
      url: bench.url,
      people: people.slice(0, serviceFrom),
      concurrency: CONCURRENCY,
    } satisfies PrepareJob);
    await child.call<RunJob, RunResult>({ kind: "run", durationMs: WARMUP_SECONDS * 1000 });
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadTimes();
    const elu0 = performance.eventLoopUtilization();
    const run = await child.call<RunJob, RunResult>({ kind: "run", durationMs: SECONDS * 1000 });
    const elu = performance.eventLoopUtilization(elu0);
    const mainTimes = threadTimesSince(main0);
    const cpu = process.cpuUsage(cpu0);
    const checksPerSec = run.opened / run.seconds;
    // What the server did per second of its main thread on a core: the rate it would reach with a
    // core to itself (on a shared machine the thread also waits for one; see the summary).
    const checksPerCoreSec = mainTimes && mainTimes.cpuMs > 0 ? run.opened / (mainTimes.cpuMs / 1000) : null;

    // Below the target (or with BENCH_PROFILE=1): a further, profiled slice, to say where the time goes.
    const profile =
      checksPerSec < TARGET || process.env.BENCH_PROFILE === "1"
        ? {
            ...(await profileSlice(() =>
              child.call<RunJob, RunResult>({ kind: "run", durationMs: PROFILE_SECONDS * 1000 }),
            )),
            steps: await serviceSteps(services, people.slice(serviceFrom)),
          }
        : null;

    // Spot checks of what was measured: the sessions are recovery sessions, one per check.
    const sessions = await services.database.db
      .selectFrom("session")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("kind", "=", "recovery")
      .executeTakeFirstOrThrow();
    const failures = await services.audit.list({ action: "recovery.numen_failed", limit: 10 });
    const after = machineState();

    const latencies = [...run.latencies].sort((a, b) => a - b);
    const others = Object.entries(run.statuses).filter(([s]) => s !== "303");
    const serverCpuMs = (cpu.user + cpu.system) / 1000;
    const lines = [
      "NUMEN form benchmark: ≥ 1,000 checks/s with distinct NUMENs, no argon2 on this path",
      machineLine(before),
      `after the run: load average ${after.loadAvg.join(" / ")}`,
      `setup: ${STAFF.toLocaleString("en")} staff imported in ${round(seedSeconds)} s (SQLite, WAL)`,
      "",
      `service alone (services.recovery.numenSignIn, ${SERVICE_CONCURRENCY} in flight): ${service.count.toLocaleString("en")} checks in ${round(service.seconds, 2)} s = ${round(serviceChecksPerSec)} checks/s (${round((1000 * service.seconds) / Math.max(1, service.count), 3)} ms each)`,
      `HTTP (POST /assistance/numen over ${CONCURRENCY} keep-alive connections from a child process): ${run.opened.toLocaleString("en")} × 303 in ${round(run.seconds, 2)} s = ${round(checksPerSec)} checks/s`,
      `  latency ms: p50 ${round(percentile(latencies, 50), 2)}, p90 ${round(percentile(latencies, 90), 2)}, p99 ${round(percentile(latencies, 99), 2)}, max ${round(latencies.at(-1) ?? 0, 2)}`,
      `  other answers: ${others.length === 0 ? "none" : others.map(([s, n]) => `${s} × ${n}`).join(", ")}; errors ${run.errors}, timeouts ${run.timeouts}; NUMENs reused ${run.reused}`,
      `  server process CPU ${round(serverCpuMs / 1000, 2)} s (${round(serverCpuMs / Math.max(1, run.opened), 3)} ms per check), event-loop utilisation ${round(elu.utilization * 100)} %` +
        (mainTimes
          ? `, main thread ran ${round(mainTimes.cpuMs / 1000, 2)} s and waited for a core ${round(mainTimes.waitMs / 1000, 2)} s`
          : ""),
      ...(checksPerCoreSec === null
        ? []
        : [
            `  per second of the main thread on a core: ${round(checksPerCoreSec)} checks (the rate with a core to itself)`,
          ]),
      `  load generator CPU ${round(run.clientCpuMs / 1000, 2)} s (it shares the ${CORES} cores with the server)`,
      `  recovery sessions opened in all: ${Number(sessions.n).toLocaleString("en")}; NUMEN failures recorded: ${failures.length}`,
      ...(profile
        ? [
            "",
            `where the server's main thread spends its time (CPU profile of a further ${PROFILE_SECONDS} s slice, ${profile.checks.toLocaleString("en")} checks, self time):`,
            ...profile.groups.map(
              ([name, share, usPerCheck]) =>
                `  ${String(round(share * 100)).padStart(5)} %  ${String(round(usPerCheck)).padStart(6)} µs/check  ${name}`,
            ),
            "  top functions:",
            ...profile.top.map(([name, share]) => `  ${String(round(share * 100)).padStart(5)} %  ${name}`),
            `  SQL statements per check (built by Kysely, run by better-sqlite3): ${round(profile.statementsPerCheck, 2)}`,
            "  the service's steps, each timed alone (in process, one at a time, µs per call):",
            ...profile.steps.map(([name, us]) => `  ${String(round(us)).padStart(6)} µs  ${name}`),
          ]
        : []),
      "",
      `verdict: ${round(checksPerSec)} checks/s over HTTP ${checksPerSec >= TARGET ? "≥" : "<"} ${TARGET.toLocaleString("en")} target: ${checksPerSec >= TARGET ? "PASS" : "FAIL"}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (others.length > 0 || failures.length > 0) process.exitCode = 1;
    process.stdout.write(
      `${JSON.stringify({
        checksPerSec: round(checksPerSec),
        serviceChecksPerSec: round(serviceChecksPerSec),
        checksPerCoreSec: checksPerCoreSec === null ? null : round(checksPerCoreSec),
        target: TARGET,
        staff: STAFF,
        connections: CONCURRENCY,
        seconds: round(run.seconds, 2),
        p50Ms: round(percentile(latencies, 50), 2),
        p99Ms: round(percentile(latencies, 99), 2),
        cores: before.cores,
        loadAvg: before.loadAvg,
      })}\n`,
    );
  } finally {
    child.close();
    await bench.close();
  }
}

if (isChild()) childMain();
else
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
