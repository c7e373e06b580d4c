/**
 * A real SpamAssassin spamd for the tests (Debian's package spamd, installed by
 * scripts/ensure-spamd.sh): on a loopback port of its own, with a throwaway site configuration in a
 * temporary folder (the package's plugin loads, no Bayes, no network tests, no per-user files).
 * It takes about a second to start: a test file starts one and shares it. When spamd is missing the
 * test fails with a line naming the script; it is never skipped.
 *
 * Also the spamds that do not score: a closed port, a server that never answers, one that answers garbage.
 */
import type { ChildProcess } from "node:child_process";
import { accessSync, chmodSync, constants, copyFileSync, readdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { createSpamdClient } from "../../src/mail/spamd.js";
import { tempDir } from "./env.js";
import { spawnTied } from "./tied-process.js";

export const SPAMD_BIN = process.env.SESAME_SPAMD_BIN ?? "/usr/sbin/spamd";
/** The plugin loads (`*.pre`) of the installed SpamAssassin: without them spamd cannot scan. */
const SITE_CONFIG = process.env.SESAME_SPAMD_SITE_CONFIG ?? "/etc/spamassassin";
const START_TIMEOUT_MS = 30_000;

/** The GTUBE line (SpamAssassin's test string): any message that carries it scores 1000. */
export const GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

export interface TestSpamd {
  /** `spamd://127.0.0.1:<port>`, for SESAME_SPAMD_URL. */
  readonly url: string;
  readonly port: number;
  /** How long spamd took to answer its first PING. */
  readonly startMs: number;
  close(): Promise<void>;
}

/** A loopback port nobody listens on (taken from the system, then closed). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startSpamd(): Promise<TestSpamd> {
  try {
    accessSync(SPAMD_BIN, constants.X_OK);
  } catch {
    throw new Error(`spamd is missing at ${SPAMD_BIN}: run scripts/ensure-spamd.sh (Debian package spamd)`);
  }
  const started = Date.now();
  const temp = tempDir("sesame-spamd-");
  // spamd drops to `nobody` when run as root: its children read this folder.
  chmodSync(temp.dir, 0o755);
  for (const file of readdirSync(SITE_CONFIG).filter((f) => f.endsWith(".pre"))) {
    copyFileSync(path.join(SITE_CONFIG, file), path.join(temp.dir, file));
  }
  writeFileSync(
    path.join(temp.dir, "local.cf"),
    ["required_score 5.0", "use_bayes 0", "bayes_auto_learn 0", "skip_rbl_checks 1", ""].join("\n"),
  );
  const port = await freePort();
  const args = [
    `--listen=127.0.0.1:${port}`,
    "--allowed-ips=127.0.0.1",
    "--local", // no network tests (DNS blocklists, Razor, Pyzor)
    "--nouser-config",
    `--siteconfigpath=${temp.dir}`,
    `--helper-home-dir=${temp.dir}`,
    "--min-children=1",
    "--max-children=2",
    "--syslog=stderr",
    ...(process.getuid?.() === 0 ? ["--username=nobody"] : []),
  ];
  // Tied to this process: an interrupted run leaves no spamd behind.
  const child = spawnTied(SPAMD_BIN, args, { stdout: "ignore", stderr: "pipe" });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-4000);
  });
  const stop = async () => {
    if (!(await waitForExit(child, 0))) {
      // Passed on to spamd by the shell it runs under, which ends with it (or kills it after 5 s).
      child.kill("SIGTERM");
      await waitForExit(child, 10_000);
    }
    temp.remove();
  };
  const client = createSpamdClient({ host: "127.0.0.1", port, timeoutMs: 1_000 });
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      temp.remove();
      throw new Error(`spamd stopped before it answered (${child.exitCode ?? child.signalCode}): ${log}`);
    }
    if (Date.now() - started > START_TIMEOUT_MS) {
      await stop();
      throw new Error(`spamd did not answer PING within ${START_TIMEOUT_MS} ms: ${log}`);
    }
    try {
      await client.ping();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { url: `spamd://127.0.0.1:${port}`, port, startMs: Date.now() - started, close: stop };
}

/**
 * A spamd that is not one: accepts connections, reads what it is sent, and either never answers
 * (`answer` null: a hung spamd) or answers `answer` and closes (garbage).
 */
export async function startFakeSpamd(
  answer: string | null,
): Promise<{ url: string; connections(): number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  // Half-open: the client's end of request does not close our side (a hung spamd keeps it open).
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    count += 1;
    sockets.add(socket);
    socket.on("data", () => undefined);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    if (answer !== null) socket.once("end", () => socket.end(answer));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `spamd://127.0.0.1:${port}`,
    connections: () => count,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
