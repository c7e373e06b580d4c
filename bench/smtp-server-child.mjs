// The server of the SMTP benchmark (bench/smtp.bench.ts forks it): the service as it is deployed,
// i.e. its JavaScript build (dist/, `npm run build`, which the benchmark runs first) without tsx,
// with its memory its own. It samples its RSS every 20 ms and answers the benchmark over IPC
// (the messages are typed in smtp.bench.ts: ToChild, FromChild).
import { readFileSync } from "node:fs";
import { distIsCurrent } from "../scripts/build-state.mjs";

if (!distIsCurrent()) {
  process.stderr.write("bench: dist/ is not a build of the current sources (npm run build)\n");
  process.exit(1);
}
const { loadConfig } = await import("../dist/config/config.js");
const { openServices } = await import("../dist/services.js");
const { startServer } = await import("../dist/main.js");

/** The "Name: N kB" lines of /proc/self/status, read once, in bytes (null where there is no /proc). */
function procStatus(...names) {
  let status = "";
  try {
    status = readFileSync("/proc/self/status", "utf8");
  } catch {
    // no /proc: every figure is null
  }
  return names.map((name) => {
    const m = new RegExp(`${name}:\\s+(\\d+) kB`).exec(status);
    return m?.[1] ? Number(m[1]) * 1024 : null;
  });
}

const config = loadConfig();
const services = await openServices(config);
const server = await startServer(config, services);
const idleRss = process.memoryUsage.rss();
let peak = idleRss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 20);
const send = (message) => process.send?.(message);
process.on("message", (message) => {
  if (message.type === "reset") peak = process.memoryUsage.rss();
  if (message.type === "reset" || message.type === "memory") {
    const rss = process.memoryUsage.rss();
    peak = Math.max(peak, rss);
    const [hwm, rssAnon, rssFile] = procStatus("VmHWM", "RssAnon", "RssFile");
    send({
      type: "memory",
      peakRss: peak,
      rss,
      hwm,
      rssAnon,
      rssFile,
      heapTotal: process.memoryUsage().heapTotal,
      idleRss,
    });
  }
  if (message.type === "stored") {
    // Every message answered 250 is in its mailbox once the intake is empty (mail/intake.ts).
    services.intake.drain().then(
      (fromIntake) => send({ type: "stored", fromIntake }),
      () => process.exit(1),
    );
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
