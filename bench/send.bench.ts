/**
 * Sending benchmark: server-side latency of SendService.send for a 100 KB message to
 * one local recipient (in-process, SQLite, after a warm-up), and the outbound queue's delivery rate
 * to a loopback SMTP relay that accepts everything. Prints figures, then one JSON line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { SMTPServer } from "smtp-server";
import { loadConfig } from "../src/config/config.js";
import { openServices, type Services } from "../src/services.js";
import { machineLine, machineState, percentile, progress, round, SECRET } from "./lib.js";

const WARMUP = 30;
const SAMPLES = 300;
const QUEUED = 2_000;
const META = { ip: "127.0.0.1", userAgent: "bench" };

async function account(services: Services, i: number, phc: string) {
  return services.directory.createExternal(
    { nom: "Envoi", prenom: `Banc${i}`, recoveryEmail: `banc-envoi${i}@example.org`, passwordHash: phc },
    "bench",
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "sesame-send-bench-"));
  let received = 0;
  const relay = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, cb) {
      stream.on("data", () => undefined);
      stream.on("end", () => {
        received++;
        cb();
      });
    },
  });
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", () => r()));
  const relayPort = (relay.server.address() as AddressInfo).port;
  const config = loadConfig({
    SESAME_DATA_DIR: path.join(dir, "data"),
    SESAME_SECRET: SECRET,
    SESAME_LOG_LEVEL: "silent",
    SESAME_SMTP_RELAY_URL: `smtp://127.0.0.1:${relayPort}`,
    SESAME_SEND_LIMIT_PER_HOUR: "1000000",
    SESAME_MAIL_QUOTA_MB: "10000",
  });
  const services = await openServices(config);
  try {
    const phc = await services.hasher.hash("Banc d'essai de l'envoi 2026");
    const a = await account(services, 1, phc);
    const b = await account(services, 2, phc);
    const text = `${"Compte rendu du conseil pédagogique, point par point. ".repeat(1900)}`.slice(0, 100 * 1024);
    const message = { to: b.address, cc: "", bcc: "", subject: "Compte rendu — 100 Ko", text, attachments: [] };

    progress(`local send: ${WARMUP} warm-up, ${SAMPLES} measured (100 KB to one local recipient)`);
    for (let i = 0; i < WARMUP; i++) await services.send.send(a.id, message, META);
    const times: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t0 = performance.now();
      await services.send.send(a.id, message, META);
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    const p50 = percentile(times, 50);
    const p95 = percentile(times, 95);

    progress(`queue: ${QUEUED} messages to external recipients, then delivered to the loopback relay`);
    const small = { ...message, text: "Bonjour,\nun message court.\n" };
    for (let i = 0; i < QUEUED; i++) {
      await services.send.send(a.id, { ...small, to: `dest${i}@exemple.org` }, META);
    }
    const t0 = performance.now();
    const report = await services.outboundQueue.runOnce();
    const seconds = (performance.now() - t0) / 1000;
    const rate = report.sent / seconds;
    if (report.sent !== QUEUED || received < QUEUED) {
      throw new Error(`the queue delivered ${report.sent} (relay got ${received}) of ${QUEUED}`);
    }

    const state = machineState();
    process.stdout.write(
      [
        machineLine(state),
        `local send, 100 KB, 1 recipient (SQLite, in-process): p50 ${round(p50, 2)} ms, p95 ${round(p95, 2)} ms (target p95 ≤ 50 ms) over ${SAMPLES}`,
        `outbound queue → loopback relay: ${report.sent} messages in ${round(seconds, 2)} s = ${round(rate, 0)} messages/s (target ≥ 100/s)`,
        "",
      ].join("\n"),
    );
    process.stdout.write(
      `${JSON.stringify({
        sendP50Ms: round(p50, 2),
        sendP95Ms: round(p95, 2),
        queuePerSec: round(rate, 0),
        queued: QUEUED,
        cores: state.cores,
        loadAvg: state.loadAvg,
      })}\n`,
    );
  } finally {
    await services.close();
    await new Promise<void>((r) => relay.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
