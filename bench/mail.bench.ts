/**
 * Mail benchmark: with a 100,000-message mailbox, the first page of the message list
 * (p95 ≤ 15 ms) and a full-text search (p95 ≤ 50 ms), measured on the service's own routes through
 * the real HTTP server on 127.0.0.1, rendering included; then SMTP reception (≥ 200 messages/s of
 * 20 KB from 4 parallel clients, durability on) with the service's memory (≤ 300 MB), by
 * bench/smtp.bench.ts in a process of its own.
 *
 *   npm run bench:mail
 *   BENCH_MESSAGES=20000 BENCH_REQUESTS=200 npm run bench:mail
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:mail   (on PostgreSQL)
 *
 * Requests are sent one after the other over one keep-alive connection (latency, not throughput),
 * after a warm-up. Searches rotate over common, rarer, two-word, sender and prefix queries.
 * Prints a readable summary, then as its last line one JSON object with the figures.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createAccounts, machineLine, machineState, percentile, progress, round, startBenchServer } from "./lib.js";
import { seedMailbox } from "./mail-seed.js";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const TARGET_LIST_P95 = 15;
const TARGET_SEARCH_P95 = 50;
const HERE = path.dirname(fileURLToPath(import.meta.url));

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function fetchPage(url: string, cookie: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers: { cookie, "user-agent": "sesame-bench" } }, (res) => {
        let bytes = 0;
        res.on("data", (c: Buffer) => {
          bytes += c.length;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

interface Timing {
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly meanBytes: number;
}

async function measure(urls: () => string, cookie: string, count: number): Promise<Timing> {
  for (let i = 0; i < Math.min(50, count); i++) await fetchPage(urls(), cookie);
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const url = urls();
    const start = performance.now();
    const answer = await fetchPage(url, cookie);
    times.push(performance.now() - start);
    if (answer.status !== 200) throw new Error(`GET ${url} answered ${answer.status}`);
    bytes += answer.bytes;
  }
  times.sort((a, b) => a - b);
  return {
    p50Ms: round(percentile(times, 50), 2),
    p95Ms: round(percentile(times, 95), 2),
    p99Ms: round(percentile(times, 99), 2),
    meanBytes: Math.round(bytes / count),
  };
}

/** Runs bench/smtp.bench.ts in its own process (its server is another process again). */
function smtpPhase(): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(HERE, "smtp.bench.ts")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      process.stdout.write(d);
    });
    child.on("close", () => {
      const last = out.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(last) as Record<string, unknown>);
      } catch {
        resolve(null);
      }
    });
  });
}

async function main(): Promise<void> {
  const state = machineState();
  console.log(`mail benchmark — ${machineLine(state)}`);
  const bench = await startBenchServer();
  let list: Timing;
  let search: Timing;
  try {
    const { services } = bench;
    const [account] = await createAccounts(services, 1);
    if (!account) throw new Error("no account");
    const stored = await services.directory.getAccount(account.username);
    const seedStart = performance.now();
    const vocab = await seedMailbox(services, stored.id, stored.address, MESSAGES, (done) =>
      progress(`seeding the mailbox: ${done}/${MESSAGES}`),
    );
    progress("");
    console.log(`mailbox of ${MESSAGES} messages seeded in ${round((performance.now() - seedStart) / 1000)} s`);
    const { token } = await services.login.login({
      identifier: account.username,
      password: account.password,
      ip: "127.0.0.1",
      userAgent: "sesame-bench",
    });
    const cookie = `sesame=${token}`;
    const base = bench.url.replace(/\/$/, "");

    list = await measure(() => `${base}/mail`, cookie, REQUESTS);
    console.log(
      `first page of the list (GET /mail, 50 rows): p50 ${list.p50Ms} ms, p95 ${list.p95Ms} ms, p99 ${list.p99Ms} ms, ${list.meanBytes} bytes (target p95 ≤ ${TARGET_LIST_P95} ms)`,
    );

    const queries = [
      `q=${vocab[0]}`,
      `q=${vocab[3]}`,
      `q=${vocab[40]}`,
      `q=${vocab[700]}`,
      `q=${vocab[4000]}`,
      `q=${vocab[1]}+${vocab[25]}`,
      `de=${vocab[6]}`,
      `objet=${vocab[12]}`,
      `q=${(vocab[9] ?? "").slice(0, 3)}`,
      `q=${vocab[2]}&pj=1`,
    ].map((q) => encodeURI(q));
    let i = 0;
    search = await measure(() => `${base}/mail/recherche?${queries[i++ % queries.length]}`, cookie, REQUESTS);
    console.log(
      `full-text search (GET /mail/recherche, ${queries.length} queries in rotation): p50 ${search.p50Ms} ms, p95 ${search.p95Ms} ms, p99 ${search.p99Ms} ms (target p95 ≤ ${TARGET_SEARCH_P95} ms)`,
    );
  } finally {
    agent.destroy();
    await bench.close();
  }

  const smtp = await smtpPhase();
  const figures = {
    machine: state,
    messages: MESSAGES,
    requests: REQUESTS,
    list,
    search,
    listMet: list.p95Ms <= TARGET_LIST_P95,
    searchMet: search.p95Ms <= TARGET_SEARCH_P95,
    smtp,
  };
  console.log(JSON.stringify(figures));
}

await main();
