/**
 * SMTP reception benchmark (issue 13 §5; first written for the reception's own issue).
 *
 * - The server is the service as deployed: its JavaScript build (dist/, built first when the sources
 *   changed: scripts/build.mjs), run by bench/smtp-server-child.mjs with the service's own flags.
 * - Setup: a temporary data directory (SQLite, the default configuration), BENCH_RECIPIENTS accounts
 *   (default 20), a real DNS server on a loopback UDP port (dns2, the tests' own: SPF, DKIM key and
 *   DMARC of the senders) named by SESAME_DNS_SERVERS, and the real server (startServer: web + SMTP)
 *   in a CHILD process (bench/smtp-server-child.mjs), so that its memory is its own: it samples its RSS every
 *   20 ms and reports the peak of the burst, and its VmHWM (the peak since it started).
 * - Received means stored in its mailbox: a message answered 250 during a burst may wait in the
 *   reception's intake (src/mail/intake.ts) for a moment; each burst's clock runs until the server has
 *   stored the last one (its intake empty). The rate at which the 250s came is printed beside it.
 * - Checks on vs off: the same burst (`smtpBurst`: BENCH_CLIENTS nodemailer pooled transports,
 *   default 4, one connection each, sharing BENCH_MESSAGES messages, default 3,000, of BENCH_SIZE_KB
 *   KB, default 20, DKIM-signed beforehand, each with its own Message-ID) against a server with every
 *   sender check on (no trusted relay: SPF, DKIM, DMARC, ARC, the header checks; spamd when
 *   SESAME_SPAMD_URL is set in the environment) and one that trusts 127.0.0.0/8 (checks off),
 *   alternated for BENCH_ROUNDS rounds (default 2), each on a fresh server process; the figures are
 *   the medians, the memory the highest round's.
 * - Postfix side by side (Debian's `postfix`, installed when missing: bench/postfix.ts): Postfix's own load
 *   generator `smtp-source` (4 sessions, 20 KB, one recipient), one connection per message then
 *   connections reused, against a throwaway Postfix delivering to a Maildir and against Sésame with
 *   every check on, in the same run, interleaved; the ratios are Sésame's rate over Postfix's, as
 *   smtp-source measures them (its answers), and until every message is in its mailbox for both
 *   (Postfix's Maildir holds them all, Sésame's intake is empty). Beside them, the CPU time each used per
 *   message over the same runs, received and stored (every thread of Sésame's process; Postfix's
 *   process tree, with the smtpd processes it reaped meanwhile), a figure the machine's other load
 *   moves much less than the rates.
 *
 *   npm run bench:smtp          (node --import tsx bench/smtp.bench.ts)
 *   BENCH_MESSAGES=5000 BENCH_CLIENTS=8 npm run bench:smtp
 *   BENCH_CPU_PROF=/tmp/prof npm run bench:smtp   (a V8 CPU profile of the server, for DevTools)
 *   BENCH_PEER=off npm run bench:smtp             (without the Postfix side-by-side runs)
 *
 * Prints a readable summary, then as its last line one JSON object with the figures.
 */
import { type ChildProcess, fork, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import nodemailer from "nodemailer";
import { loadConfig } from "../src/config/config.js";
import { openServices } from "../src/services.js";
import { startDnsServer, txtChunks, type ZoneRecords } from "../test/helpers/dns-server.js";
import { machineLine, machineState, processTreeCpuMs, progress, round, SECRET } from "./lib.js";
import { ensurePostfix, type PostfixInstance, smtpSource, startPostfix } from "./postfix.js";

/** Checks off (the reception's own issue). */
const TARGET_PER_SEC = 200;
/** Every check on (issue 13 §5), and its ratio to the same run with the checks off. */
const CHECKED_TARGET_PER_SEC = 150;
const CHECKED_RATIO_TARGET = 0.75;
const MEMORY_LIMIT_MB = 300;
/** The server, run from the build (dist/) as deployed: see buildService. */
const SERVER_CHILD = fileURLToPath(new URL("./smtp-server-child.mjs", import.meta.url));
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
  /** Ready-made messages (the n-th is sent n-th, to the n-th recipient in turn); else plain ones are made. */
  readonly raw?: readonly Buffer[];
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
            raw: opts.raw?.[n] ?? benchMessage(`m${n}-${run}`, to, filler),
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

/** What the server child (bench/smtp-server-child.mjs) is asked, and answers. */
type ToChild = { type: "reset" } | { type: "memory" } | { type: "stored" } | { type: "stop" };
type FromChild =
  | { type: "ready"; port: number }
  | ({ type: "memory" } & MemoryReport)
  | { type: "stored"; fromIntake: number }
  | { type: "stopped" };

/**
 * The service's JavaScript build (`npm run build`: nothing to do when dist/ is current), which the
 * server child runs: the benchmark measures the service as deployed, not the sources through tsx.
 */
function buildService(): void {
  const script = fileURLToPath(new URL("../scripts/build.mjs", import.meta.url));
  const built = spawnSync(process.execPath, [script], { stdio: ["ignore", "inherit", "inherit"] });
  if (built.status !== 0) throw new Error("the build failed (npm run build)");
}

/** The server child and a request/answer channel to it. */
async function forkServer(env: Record<string, string>): Promise<{
  port: number;
  ask(message: ToChild): Promise<FromChild>;
  child: ChildProcess;
}> {
  const child = fork(SERVER_CHILD, [], {
    // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it stops.
    // The service's own V8 flags and malloc setting (bin/sesame.js, npm start): a small young
    // generation, an old generation that grows by 20 % between full collections, two malloc arenas.
    execArgv: [
      "--max-semi-space-size=4",
      "--heap-growing-percent=20",
      // BENCH_NODE_FLAGS: more V8 or Node flags for the server, to try one (e.g. "--optimize-for-size").
      ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(" ").filter(Boolean) : []),
      ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ],
    env: { MALLOC_ARENA_MAX: "2", ...process.env, ...env },
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

/** The senders of the benchmark's messages, their DNS records, and a DKIM signing key. */
function benchZone(): {
  zone: Record<string, ZoneRecords>;
  dkim: { domainName: string; keySelector: string; privateKey: string };
} {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const spki = publicKey.export({ type: "spki", format: "der" }).toString("base64");
  return {
    zone: {
      // DKIM-signed mail of the burst: SPF and DKIM aligned, DMARC reject (every check runs in full).
      "bench.example.org": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
      "_dmarc.bench.example.org": { TXT: ["v=DMARC1; p=reject"] },
      "bench._domainkey.bench.example.org": { TXT: [txtChunks(`v=DKIM1; k=rsa; p=${spki}`)] },
      // smtp-source's unsigned mail: SPF only, DMARC none.
      "sender.bench.example.net": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
      "_dmarc.sender.bench.example.net": { TXT: ["v=DMARC1; p=none"] },
    },
    dkim: {
      domainName: "bench.example.org",
      keySelector: "bench",
      privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    },
  };
}

/** `count` DKIM-signed messages of about `sizeBytes`, signed before the burst (the client's work is not measured). */
async function signedMessages(
  count: number,
  to: readonly string[],
  sizeBytes: number,
  dkim: { domainName: string; keySelector: string; privateKey: string },
): Promise<Buffer[]> {
  const signer = nodemailer.createTransport({ streamTransport: true, buffer: true, dkim });
  const filler = fillerOf(sizeBytes);
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const out: Buffer[] = [];
  for (let n = 0; n < count; n++) {
    const info = await signer.sendMail({
      from: "Banc d'essai <bench@bench.example.org>",
      to: to[n % to.length],
      subject: `Mesure ${n}`,
      messageId: `<m${n}-${run}@bench.example.org>`,
      text: filler,
    });
    out.push(info.message as Buffer);
  }
  return out;
}

type ServerChild = Awaited<ReturnType<typeof forkServer>>;

async function stopServer(server: ServerChild | undefined): Promise<void> {
  if (!server) return;
  const child = server.child;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await server.ask({ type: "stop" }).catch(() => undefined);
  // Let it exit on its own (it may be writing its CPU profile); force it after 10 s.
  const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
  if (child.exitCode === null && child.signalCode === null) await exited;
  clearTimeout(force);
}

async function main(): Promise<void> {
  const recipients = Number(process.env.BENCH_RECIPIENTS ?? 20);
  const messages = Number(process.env.BENCH_MESSAGES ?? 3_000);
  const clients = Number(process.env.BENCH_CLIENTS ?? 4);
  const sizeBytes = Number(process.env.BENCH_SIZE_KB ?? 20) * 1024;
  const sourceMessages = Number(process.env.BENCH_SOURCE_MESSAGES ?? 2_000);
  buildService();
  const state = machineState();
  const dir = mkdtempSync(path.join(tmpdir(), "sesame-bench-smtp-"));
  const { zone, dkim } = benchZone();
  const dns = await startDnsServer(zone);
  const baseEnv = {
    SESAME_DATA_DIR: path.join(dir, "data"),
    SESAME_SECRET: SECRET,
    SESAME_HTTP_PORT: "0",
    SESAME_SMTP_PORT: "0",
    SESAME_IMAP_PORT: "0",
    SESAME_IMAPS_PORT: "0",
    SESAME_SUBMISSION_PORT: "0",
    SESAME_HTTP_HOST: "127.0.0.1",
    SESAME_SMTP_HOST: "127.0.0.1",
    SESAME_LOG_LEVEL: "silent",
    SESAME_DNS_SERVERS: dns.server,
  };
  const checkedEnv = { ...baseEnv, SESAME_TRUSTED_RELAYS: "" };
  const uncheckedEnv = { ...baseEnv, SESAME_TRUSTED_RELAYS: "127.0.0.0/8" };
  let server: ServerChild | undefined;
  let postfix: PostfixInstance | undefined;
  try {
    progress(`creating ${recipients} accounts`);
    const config = loadConfig(baseEnv);
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
    progress(`signing ${messages + 100} messages of ${sizeBytes / 1024} KB (DKIM, RSA 2048)`);
    const signed = await signedMessages(messages + 100, to, sizeBytes, dkim);
    const warmUp = signed.slice(0, 100);
    const measured = signed.slice(100);

    /** One server, a warm-up, the burst; its memory during the burst. */
    const burstOn = async (label: string, env: Record<string, string>) => {
      progress(`${label}: starting the server (child process)`);
      server = await forkServer(env);
      await smtpBurst({
        port: server.port,
        host: "127.0.0.1",
        to,
        messages: warmUp.length,
        clients,
        sizeBytes,
        raw: warmUp,
      });
      await server.ask({ type: "stored" });
      await server.ask({ type: "reset" });
      progress(`${label}: ${messages} DKIM-signed messages of ${sizeBytes / 1024} KB from ${clients} clients`);
      const started = performance.now();
      const result = await smtpBurst({
        port: server.port,
        host: "127.0.0.1",
        to,
        messages,
        clients,
        sizeBytes,
        raw: measured,
      });
      // Received = in its mailbox: the clock runs until the intake has stored the last one.
      const stored = (await server.ask({ type: "stored" })) as { type: "stored"; fromIntake: number };
      const storedPerSecond = messages / ((performance.now() - started) / 1000);
      const memory = (await server.ask({ type: "memory" })) as { type: "memory" } & MemoryReport;
      return { result, storedPerSecond, fromIntake: stored.fromIntake, memory, port: server.port };
    };

    // The bursts with the checks on and off, alternated round by round (BENCH_ROUNDS, default 2):
    // whatever drifts during the run (the database growing, the machine's other work) weighs on both.
    const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
    const checkedRuns: Awaited<ReturnType<typeof burstOn>>[] = [];
    const uncheckedRuns: Awaited<ReturnType<typeof burstOn>>[] = [];
    for (let round = 1; round <= rounds; round++) {
      checkedRuns.push(await burstOn(`checks on, round ${round}/${rounds}`, checkedEnv));
      await stopServer(server);
      server = undefined;
      uncheckedRuns.push(await burstOn(`checks off, round ${round}/${rounds}`, uncheckedEnv));
      await stopServer(server);
      server = undefined;
    }
    const dnsQuestions = dns.asked.length;

    // Postfix side by side, against a server with every check on, interleaved run by run.
    let sideBySide: {
      sesameNew: number;
      sesameReused: number;
      postfixNew: number;
      postfixReused: number;
      sesameNewStored: number;
      sesameReusedStored: number;
      postfixNewStored: number;
      postfixReusedStored: number;
      /** CPU time per message, received and stored (ms): every Sésame thread, every Postfix process. */
      sesameNewCpuMs: number | null;
      sesameReusedCpuMs: number | null;
      postfixNewCpuMs: number | null;
      postfixReusedCpuMs: number | null;
    } | null = null;
    if (process.env.BENCH_PEER === "off") {
      progress("BENCH_PEER=off: no side-by-side run");
    } else if (ensurePostfix()) {
      progress("starting a throwaway Postfix on loopback, and Sésame with every check on");
      postfix = await startPostfix();
      server = await forkServer(checkedEnv);
      const sesamePort = server.port;
      const source = (port: number, recipient: string, reuse: boolean) =>
        smtpSource({
          host: "127.0.0.1",
          port,
          sessions: 4,
          messages: sourceMessages,
          sizeBytes,
          from: "bench@sender.bench.example.net",
          to: recipient,
          reuse,
        });
      const runs = {
        sesameNew: [] as number[],
        sesameReused: [] as number[],
        postfixNew: [] as number[],
        postfixReused: [] as number[],
        sesameNewStored: [] as number[],
        sesameReusedStored: [] as number[],
        postfixNewStored: [] as number[],
        postfixReusedStored: [] as number[],
        sesameNewCpuMs: [] as number[],
        sesameReusedCpuMs: [] as number[],
        postfixNewCpuMs: [] as number[],
        postfixReusedCpuMs: [] as number[],
      };
      const peer = postfix;
      const sesame = server;
      let postfixExpected = 0;
      /** CPU time per message of a run, from the readings of the process tree before and after. */
      const cpuPerMessage = (before: number | null, after: number | null) =>
        before === null || after === null ? null : (after - before) / sourceMessages;
      /** One smtp-source run: its rate (answers), its rate until every message is in its mailbox, its CPU. */
      const postfixRun = async (reuse: boolean) => {
        const started = performance.now();
        const cpuBefore = processTreeCpuMs(peer.pid);
        const run = await source(peer.port, peer.recipient, reuse);
        postfixExpected += sourceMessages;
        const deadline = Date.now() + 120_000;
        while (peer.delivered() < postfixExpected) {
          if (Date.now() > deadline) throw new Error(`Postfix delivered ${peer.delivered()} of ${postfixExpected}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        return {
          accepted: run.perSecond,
          stored: sourceMessages / ((performance.now() - started) / 1000),
          cpuMs: cpuPerMessage(cpuBefore, processTreeCpuMs(peer.pid)),
        };
      };
      const sesamePid = sesame.child.pid ?? 0;
      const sesameRun = async (recipient: string, reuse: boolean) => {
        const started = performance.now();
        const cpuBefore = processTreeCpuMs(sesamePid);
        const run = await source(sesamePort, recipient, reuse);
        await sesame.ask({ type: "stored" });
        return {
          accepted: run.perSecond,
          stored: sourceMessages / ((performance.now() - started) / 1000),
          cpuMs: cpuPerMessage(cpuBefore, processTreeCpuMs(sesamePid)),
        };
      };
      // Warm both up (Postfix starts its smtpd processes; Sésame's gate learns the client).
      await postfixRun(true);
      await sesameRun(to[0] as string, true);
      for (let round = 0; round < 3; round++) {
        progress(
          `smtp-source round ${round + 1}/3: ${sourceMessages} messages, 4 sessions, new connections then reused`,
        );
        const recipient = to[round % to.length] as string;
        const pNew = await postfixRun(false);
        const sNew = await sesameRun(recipient, false);
        const pReused = await postfixRun(true);
        const sReused = await sesameRun(recipient, true);
        runs.postfixNew.push(pNew.accepted);
        runs.postfixNewStored.push(pNew.stored);
        runs.sesameNew.push(sNew.accepted);
        runs.sesameNewStored.push(sNew.stored);
        runs.postfixReused.push(pReused.accepted);
        runs.postfixReusedStored.push(pReused.stored);
        runs.sesameReused.push(sReused.accepted);
        runs.sesameReusedStored.push(sReused.stored);
        if (pNew.cpuMs !== null) runs.postfixNewCpuMs.push(pNew.cpuMs);
        if (sNew.cpuMs !== null) runs.sesameNewCpuMs.push(sNew.cpuMs);
        if (pReused.cpuMs !== null) runs.postfixReusedCpuMs.push(pReused.cpuMs);
        if (sReused.cpuMs !== null) runs.sesameReusedCpuMs.push(sReused.cpuMs);
      }
      const medianOrNull = (values: number[]) => (values.length === 3 ? median(values) : null);
      sideBySide = {
        sesameNew: median(runs.sesameNew),
        sesameReused: median(runs.sesameReused),
        postfixNew: median(runs.postfixNew),
        postfixReused: median(runs.postfixReused),
        sesameNewStored: median(runs.sesameNewStored),
        sesameReusedStored: median(runs.sesameReusedStored),
        postfixNewStored: median(runs.postfixNewStored),
        postfixReusedStored: median(runs.postfixReusedStored),
        sesameNewCpuMs: medianOrNull(runs.sesameNewCpuMs),
        sesameReusedCpuMs: medianOrNull(runs.sesameReusedCpuMs),
        postfixNewCpuMs: medianOrNull(runs.postfixNewCpuMs),
        postfixReusedCpuMs: medianOrNull(runs.postfixReusedCpuMs),
      };
      await postfix.stop();
      postfix = undefined;
      await stopServer(server);
      server = undefined;
    } else {
      progress("Postfix could not be installed (apt-get install postfix): no side-by-side figures");
    }

    // Received = stored in its mailbox (the clock runs until the intake is empty); answered = 250s.
    const checkedPerSec = median(checkedRuns.map((r) => r.storedPerSecond));
    const uncheckedPerSec = median(uncheckedRuns.map((r) => r.storedPerSecond));
    const checkedAnsweredPerSec = median(checkedRuns.map((r) => r.result.perSecond));
    const uncheckedAnsweredPerSec = median(uncheckedRuns.map((r) => r.result.perSecond));
    const checkedRatio = checkedPerSec / uncheckedPerSec;
    const allRuns = [...checkedRuns, ...uncheckedRuns];
    const peakOf = (runs: typeof allRuns) => Math.max(...runs.map((r) => r.memory.peakRss));
    const peakMB = peakOf(allRuns) / MB;
    const hwmValues = allRuns.map((r) => r.memory.hwm).filter((v): v is number => v !== null);
    const hwmMB = hwmValues.length > 0 ? Math.max(...hwmValues) / MB : null;
    const checked = checkedRuns.reduce((a, b) => (b.memory.peakRss > a.memory.peakRss ? b : a));
    const unchecked = uncheckedRuns.reduce((a, b) => (b.memory.peakRss > a.memory.peakRss ? b : a));
    const perRound = (runs: typeof allRuns) => runs.map((r) => round(r.storedPerSecond)).join(" · ");
    const answered = (runs: typeof allRuns) =>
      `answered at ${round(median(runs.map((r) => r.result.perSecond)))} messages/s, ` +
      `${Math.max(...runs.map((r) => r.fromIntake)).toLocaleString("en")} at most through the intake`;
    const ratioNew = sideBySide ? sideBySide.sesameNew / sideBySide.postfixNew : null;
    const ratioReused = sideBySide ? sideBySide.sesameReused / sideBySide.postfixReused : null;
    const pass =
      checkedPerSec >= CHECKED_TARGET_PER_SEC &&
      checkedRatio >= CHECKED_RATIO_TARGET &&
      uncheckedPerSec >= TARGET_PER_SEC &&
      peakMB <= MEMORY_LIMIT_MB &&
      (ratioNew === null || ratioNew >= 1) &&
      (ratioReused === null || ratioReused >= 1);
    const memoryLine = (label: string, memory: MemoryReport) =>
      `${label} peak RSS during the burst ${round(memory.peakRss / MB)} MB, idle after start ${round(memory.idleRss / MB)} MB, ` +
      `VmHWM ${memory.hwm === null ? "n/a" : `${round(memory.hwm / MB)} MB`}; at the end: V8 heap ${round(memory.heapTotal / MB)} MB, ` +
      `anonymous ${memory.rssAnon === null ? "n/a" : `${round(memory.rssAnon / MB)} MB`}, ` +
      `mapped files ${memory.rssFile === null ? "n/a" : `${round(memory.rssFile / MB)} MB`}`;
    const lines = [
      "SMTP reception benchmark (SQLite, durable commit before each 250; rates until stored)",
      machineLine(state),
      `burst:           ${messages.toLocaleString("en")} DKIM-signed messages of ${Math.round(sizeBytes / 1024)} KB, ${clients} clients, ${recipients} recipients`,
      `checks on:       ${round(checkedPerSec)} messages/s until stored, median of ${perRound(checkedRuns)} (target ≥ ${CHECKED_TARGET_PER_SEC}); ${answered(checkedRuns)}; ${dnsQuestions.toLocaleString("en")} DNS questions`,
      `checks off:      ${round(uncheckedPerSec)} messages/s until stored, median of ${perRound(uncheckedRuns)} (target ≥ ${TARGET_PER_SEC}); ${answered(uncheckedRuns)}`,
      `ratio on/off:    ${round(checkedRatio, 2)} (target ≥ ${CHECKED_RATIO_TARGET})`,
      memoryLine("memory, on (highest round): ", checked.memory),
      memoryLine("memory, off (highest round):", unchecked.memory),
      `memory limit:    ${MEMORY_LIMIT_MB} MB (peak ${round(peakMB)} MB)`,
      sideBySide
        ? `smtp-source, ${sourceMessages} × ${Math.round(sizeBytes / 1024)} KB, 4 sessions, medians of 3 interleaved runs (Sésame with every check on):\n` +
          `  new connection per message: Sésame ${round(sideBySide.sesameNew)} /s, Postfix ${round(sideBySide.postfixNew)} /s, ratio ${round(ratioNew ?? 0, 2)}` +
          ` (until in the mailbox: ${round(sideBySide.sesameNewStored)} /s and ${round(sideBySide.postfixNewStored)} /s, ratio ${round(sideBySide.sesameNewStored / sideBySide.postfixNewStored, 2)})\n` +
          `  connections reused:         Sésame ${round(sideBySide.sesameReused)} /s, Postfix ${round(sideBySide.postfixReused)} /s, ratio ${round(ratioReused ?? 0, 2)}` +
          ` (until in the mailbox: ${round(sideBySide.sesameReusedStored)} /s and ${round(sideBySide.postfixReusedStored)} /s, ratio ${round(sideBySide.sesameReusedStored / sideBySide.postfixReusedStored, 2)})\n` +
          `  CPU time per message, received and stored (every thread of Sésame's process, every Postfix process): ` +
          `new connections Sésame ${cpuText(sideBySide.sesameNewCpuMs)}, Postfix ${cpuText(sideBySide.postfixNewCpuMs)}; ` +
          `reused Sésame ${cpuText(sideBySide.sesameReusedCpuMs)}, Postfix ${cpuText(sideBySide.postfixReusedCpuMs)}`
        : "smtp-source / Postfix: not installed, no side-by-side figures",
      `verdict: ${pass ? "PASS" : "FAIL"}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (!pass) process.exitCode = 1;
    process.stdout.write(
      `${JSON.stringify({
        checkedPerSec: round(checkedPerSec),
        uncheckedPerSec: round(uncheckedPerSec),
        checkedRatio: round(checkedRatio, 2),
        checkedAnsweredPerSec: round(checkedAnsweredPerSec),
        uncheckedAnsweredPerSec: round(uncheckedAnsweredPerSec),
        postfixRatioNewConnections: ratioNew === null ? null : round(ratioNew, 2),
        postfixRatioReused: ratioReused === null ? null : round(ratioReused, 2),
        sesameNewConnectionsPerSec: sideBySide ? round(sideBySide.sesameNew) : null,
        postfixNewConnectionsPerSec: sideBySide ? round(sideBySide.postfixNew) : null,
        sesameReusedPerSec: sideBySide ? round(sideBySide.sesameReused) : null,
        postfixReusedPerSec: sideBySide ? round(sideBySide.postfixReused) : null,
        postfixRatioNewConnectionsStored: sideBySide
          ? round(sideBySide.sesameNewStored / sideBySide.postfixNewStored, 2)
          : null,
        postfixRatioReusedStored: sideBySide
          ? round(sideBySide.sesameReusedStored / sideBySide.postfixReusedStored, 2)
          : null,
        sesameCpuMsPerMessageNew: cpuValue(sideBySide?.sesameNewCpuMs),
        postfixCpuMsPerMessageNew: cpuValue(sideBySide?.postfixNewCpuMs),
        sesameCpuMsPerMessageReused: cpuValue(sideBySide?.sesameReusedCpuMs),
        postfixCpuMsPerMessageReused: cpuValue(sideBySide?.postfixReusedCpuMs),
        smtpPerSec: round(uncheckedPerSec),
        target: TARGET_PER_SEC,
        checkedTarget: CHECKED_TARGET_PER_SEC,
        peakRssMB: round(peakMB),
        vmHwmMB: hwmMB === null ? null : round(hwmMB),
        memoryLimitMB: MEMORY_LIMIT_MB,
        messages,
        sizeKB: Math.round(sizeBytes / 1024),
        clients,
        cores: state.cores,
        loadAvg: state.loadAvg,
      })}\n`,
    );
  } finally {
    await stopServer(server);
    await postfix?.stop().catch(() => undefined);
    await dns.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A CPU time per message for the summary (ms, two decimals), or "n/a" off Linux. */
function cpuText(ms: number | null): string {
  return ms === null ? "n/a" : `${round(ms, 2)} ms`;
}

function cpuValue(ms: number | null | undefined): number | null {
  return ms === null || ms === undefined ? null : round(ms, 2);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const entry = process.argv[1] ? path.resolve(process.argv[1]) : "";
if (entry === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
