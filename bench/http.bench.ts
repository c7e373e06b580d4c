/**
 * Page benchmark: `GET /` (the login page) must sustain ≥ 3,000 requests/s with a
 * p99 latency under 20 ms on this machine, through the real HTTP server on 127.0.0.1.
 *
 * autocannon runs in a child process (this script, forked), so that the load generator does not share
 * the server's event loop or garbage collector; server and load still share the machine's cores. No
 * pipelining, no cookie (a first visit: every answer sets a new CSRF cookie). After a short warm-up,
 * one run of BENCH_SECONDS per connection count of BENCH_CONNECTIONS; the figure kept is the best
 * requests/s among the runs whose p99 is under 20 ms (else the lowest p99).
 *
 *   npm run bench:http
 *   BENCH_SECONDS=10 BENCH_CONNECTIONS=10,25,50 npm run bench:http
 *
 * Prints a readable summary, then as its last line one JSON object with the figures.
 */
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import {
  forkLoadChild,
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

const TARGET_RPS = 3_000;
const TARGET_P99_MS = 20;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? "10,25,50")
  .split(",")
  .map((c) => Number(c.trim()))
  .filter((c) => Number.isInteger(c) && c > 0);

// ------------------------------------------------------------------------- the load generator (child)

interface LoadJob {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
}

interface LoadResult {
  readonly connections: number;
  readonly seconds: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** autocannon's own percentiles (whole milliseconds), for comparison. */
  readonly autocannonP50Ms: number;
  readonly autocannonP99Ms: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly clientCpuMs: number;
}

function childMain(): void {
  const autocannon = loadAutocannon();
  serveJobs<LoadJob, LoadResult>(async (job) => {
    const latencies: number[] = [];
    const cpu0 = process.cpuUsage();
    const instance = autocannon({
      url: job.url,
      connections: job.connections,
      duration: job.seconds,
      pipelining: 1,
      timeout: 10,
    });
    instance.on("response", (_client, _status, _bytes, ms) => {
      latencies.push(ms);
    });
    const result = await instance;
    const cpu = process.cpuUsage(cpu0);
    latencies.sort((a, b) => a - b);
    return {
      connections: job.connections,
      seconds: result.duration,
      requestsPerSec: Math.round(result.requests.total / result.duration),
      p50Ms: round(percentile(latencies, 50), 2),
      p99Ms: round(percentile(latencies, 99), 2),
      maxMs: round(latencies.at(-1) ?? Number.NaN, 1),
      autocannonP50Ms: result.latency.p50,
      autocannonP99Ms: result.latency.p99,
      statuses: Object.fromEntries(Object.entries(result.statusCodeStats).map(([s, v]) => [s, Number(v.count)])),
      errors: result.errors,
      timeouts: result.timeouts,
      clientCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    };
  });
}

// ------------------------------------------------------------------------------------ the benchmark

interface Run extends LoadResult {
  /** CPU of the server process during the run, in cores (user + system, all threads). */
  readonly serverCpuCores: number;
  readonly eventLoopBusy: number;
  /** CPU of the server's main thread per request (µs), and its wait for a core; null off Linux. */
  readonly mainCpuUsPerRequest: number | null;
  readonly mainWaitUsPerRequest: number | null;
}

async function main(): Promise<void> {
  if (CONNECTIONS.length === 0) throw new Error("BENCH_CONNECTIONS: expected numbers such as 10,25,50");
  const before = machineState();
  const bench = await startBenchServer();
  const child = await forkLoadChild(fileURLToPath(import.meta.url));
  try {
    const url = bench.url;
    const check = await fetch(url);
    if (check.status !== 200 || !(await check.text()).includes('name="_csrf"')) {
      throw new Error(`GET / did not answer the login page (status ${check.status})`);
    }
    progress(`warm-up: ${WARMUP_SECONDS} s at ${CONNECTIONS[0]} connections`);
    await child.call<LoadJob, LoadResult>({ url, connections: CONNECTIONS[0] ?? 10, seconds: WARMUP_SECONDS });

    const runs: Run[] = [];
    for (const connections of CONNECTIONS) {
      progress(`measuring: ${SECONDS} s at ${connections} connections`);
      const elu0 = performance.eventLoopUtilization();
      const cpu0 = process.cpuUsage();
      const main0 = mainThreadTimes();
      const t0 = performance.now();
      const result = await child.call<LoadJob, LoadResult>({ url, connections, seconds: SECONDS });
      const elapsedMs = performance.now() - t0;
      const mainTimes = threadTimesSince(main0);
      const requests = result.requestsPerSec * result.seconds;
      const cpu = process.cpuUsage(cpu0);
      const elu = performance.eventLoopUtilization(elu0);
      runs.push({
        ...result,
        serverCpuCores: (cpu.user + cpu.system) / 1000 / elapsedMs,
        eventLoopBusy: elu.utilization,
        mainCpuUsPerRequest: mainTimes ? Math.round((mainTimes.cpuMs * 1000) / requests) : null,
        mainWaitUsPerRequest: mainTimes ? Math.round((mainTimes.waitMs * 1000) / requests) : null,
      });
    }

    const clean = (r: Run) => r.errors === 0 && r.timeouts === 0 && Object.keys(r.statuses).every((s) => s === "200");
    const withinP99 = runs.filter((r) => r.p99Ms < TARGET_P99_MS && clean(r));
    const best =
      withinP99.length > 0
        ? withinP99.reduce((a, b) => (b.requestsPerSec > a.requestsPerSec ? b : a))
        : runs.reduce((a, b) => (b.p99Ms < a.p99Ms ? b : a));
    const after = machineState();

    console.log("GET / benchmark (login page, HTTP on 127.0.0.1, autocannon in a child process, no pipelining)");
    console.log(`  ${machineLine(before)}`);
    for (const r of runs) {
      const others = Object.entries(r.statuses).filter(([s]) => s !== "200");
      console.log(
        `  ${String(r.connections).padStart(3)} connections: ${r.requestsPerSec.toLocaleString("en").padStart(6)} requests/s, ` +
          `p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms (autocannon: p50 ${r.autocannonP50Ms}, p99 ${r.autocannonP99Ms}); ` +
          `server ${round(r.serverCpuCores, 2)} cores, event loop busy ${round(r.eventLoopBusy * 100, 1)} %` +
          (r.mainCpuUsPerRequest === null
            ? ", "
            : ` (main thread ${r.mainCpuUsPerRequest} µs CPU per request, ${r.mainWaitUsPerRequest} µs waiting for a core), `) +
          `load generator ${round(r.clientCpuMs / 1000 / r.seconds, 2)} cores` +
          (others.length > 0 || r.errors > 0 || r.timeouts > 0
            ? `; NOT 200: ${others.map(([s, n]) => `${n} × ${s}`).join(", ") || "none"}, errors ${r.errors}, timeouts ${r.timeouts}`
            : ""),
      );
    }
    const ok = withinP99.length > 0 && best.requestsPerSec >= TARGET_RPS;
    console.log(
      `  kept:          ${best.connections} connections: ${best.requestsPerSec.toLocaleString("en")} requests/s, ` +
        `p50 ${best.p50Ms} ms, p99 ${best.p99Ms} ms (target ≥ ${TARGET_RPS.toLocaleString("en")} requests/s with p99 < ${TARGET_P99_MS} ms)`,
    );
    console.log(`  after the run: ${machineLine(after)}`);
    console.log(`  verdict:       ${ok ? "meets the target" : "MISSES the target"}`);
    console.log(
      JSON.stringify({
        requestsPerSec: best.requestsPerSec,
        p99Ms: best.p99Ms,
        p50Ms: best.p50Ms,
        connections: best.connections,
        mainThreadCpuUsPerRequest: best.mainCpuUsPerRequest,
        runs: runs.map((r) => ({
          connections: r.connections,
          requestsPerSec: r.requestsPerSec,
          p50Ms: r.p50Ms,
          p99Ms: r.p99Ms,
        })),
        cores: before.cores,
        loadAvg: before.loadAvg,
        freeMemMB: before.freeMemMB,
      }),
    );
    if (!ok) process.exitCode = 1;
  } finally {
    child.close();
    await bench.close();
  }
}

if (isChild()) childMain();
else await main();
