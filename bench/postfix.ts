/**
 * The peer of the SMTP benchmark: Postfix (Debian package `postfix`), a throwaway instance of its own
 * (its own configuration, queue and Maildir in a temporary directory, one loopback port, no chroot,
 * no DNS, no reverse lookup: the same conditions as Sésame's reception in the benchmark), and
 * Postfix's own load generator `smtp-source` (in the same package), used against both servers.
 *
 * Nothing here is used by the service. `ensurePostfix` installs Debian's package when it is missing
 * (scripts/ensure-debian-package.sh, as the tests do for Chromium and spamd); the package's own
 * instance need not run.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const SMTP_SOURCE = "/usr/sbin/smtp-source";
const POSTFIX = "/usr/sbin/postfix";

export function postfixInstalled(): boolean {
  return existsSync(SMTP_SOURCE) && existsSync(POSTFIX) && existsSync("/etc/postfix/master.cf");
}

/** Installs Debian's postfix when it is missing; whether it is there now. */
export function ensurePostfix(): boolean {
  if (postfixInstalled()) return true;
  const script = fileURLToPath(new URL("../scripts/ensure-debian-package.sh", import.meta.url));
  try {
    execFileSync("bash", [script, SMTP_SOURCE, "postfix", "bench:smtp, Postfix side by side"], { stdio: "inherit" });
  } catch {
    return false;
  }
  return postfixInstalled();
}

export interface SmtpSourceRun {
  readonly seconds: number;
  readonly perSecond: number;
  readonly messages: number;
}

/**
 * `smtp-source -s <sessions> -m <messages> -l <bytes> [-d]` against host:port: `reuse` keeps each
 * session's connection for its next message (-d), otherwise one connection per message. Its exit
 * status says whether every message got its 250.
 */
export function smtpSource(options: {
  readonly host: string;
  readonly port: number;
  readonly sessions: number;
  readonly messages: number;
  readonly sizeBytes: number;
  readonly from: string;
  readonly to: string;
  readonly reuse: boolean;
}): Promise<SmtpSourceRun> {
  const args = [
    ...(options.reuse ? ["-d"] : []),
    "-s",
    String(options.sessions),
    "-m",
    String(options.messages),
    "-l",
    String(options.sizeBytes),
    "-f",
    options.from,
    "-t",
    options.to,
    `${options.host}:${options.port}`,
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(SMTP_SOURCE, args, { timeout: 300_000 }, (error, _stdout, stderr) => {
      if (error) return reject(new Error(`smtp-source ${args.join(" ")}: ${stderr || error.message}`));
      const seconds = (performance.now() - started) / 1000;
      resolve({ seconds, perSecond: options.messages / seconds, messages: options.messages });
    });
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host: "127.0.0.1" });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`Postfix did not listen on 127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface PostfixInstance {
  readonly port: number;
  /** The process `postfix start-fg` runs as: master and every Postfix process descend from it. */
  readonly pid: number;
  /** The recipient every message goes to (one Maildir). */
  readonly recipient: string;
  /** Messages delivered to the Maildir so far. */
  delivered(): number;
  stop(): Promise<void>;
}

/**
 * A Postfix of its own on a free loopback port: every recipient of `bench.test` is delivered by the
 * virtual agent to one Maildir (as the nobody user). Needs root (Postfix's master runs as root).
 */
export async function startPostfix(): Promise<PostfixInstance> {
  const dir = mkdtempSync(path.join(tmpdir(), "sesame-bench-postfix-"));
  chmodSync(dir, 0o755); // Postfix's own user reaches its data directory through it
  const etc = path.join(dir, "etc");
  const mail = path.join(dir, "mail");
  for (const sub of [etc, path.join(dir, "queue"), path.join(dir, "data"), mail]) mkdirSync(sub);
  execFileSync("chown", ["nobody:nogroup", mail]);
  execFileSync("chown", ["postfix", path.join(dir, "data")]);
  const port = await freePort();
  writeFileSync(
    path.join(etc, "main.cf"),
    [
      "compatibility_level = 3.6",
      `queue_directory = ${dir}/queue`,
      `data_directory = ${dir}/data`,
      "daemon_directory = /usr/lib/postfix/sbin",
      "command_directory = /usr/sbin",
      "mail_owner = postfix",
      "setgid_group = postdrop",
      "inet_interfaces = 127.0.0.1",
      "inet_protocols = ipv4",
      "myhostname = postfix.bench.test",
      "mydomain = bench.test",
      "mydestination =",
      "local_recipient_maps =",
      "alias_maps =",
      "alias_database =",
      "virtual_mailbox_domains = bench.test",
      `virtual_mailbox_base = ${mail}`,
      "virtual_mailbox_maps = static:sink/",
      "virtual_uid_maps = static:65534",
      "virtual_gid_maps = static:65534",
      "mynetworks = 127.0.0.0/8",
      "smtpd_peername_lookup = no",
      "smtp_dns_support_level = disabled",
      "maillog_file = /dev/stdout",
      "biff = no",
      "",
    ].join("\n"),
  );
  // Debian's master.cf, with smtpd on our port instead of 25 and no chroot (the queue is elsewhere).
  const masterCf = readFileSync("/etc/postfix/master.cf", "utf8")
    .replace(/^smtp(\s+)inet(\s+)n(\s+)-(\s+)[yn-]/m, `127.0.0.1:${port} inet n - n`)
    .replace(/^([a-z0-9-]+\s+(?:unix|inet|fifo|pass|unix-dgram)\s+[-yn]\s+[-yn]\s+)y/gm, "$1n");
  writeFileSync(path.join(etc, "master.cf"), masterCf);
  // master in the foreground (`start-fg`), its log written to a file (Postfix does not start with
  // its standard output on a pipe), read back for an error message.
  const logFile = path.join(dir, "maillog");
  const logFd = openSync(logFile, "w");
  const master = spawn(POSTFIX, ["-c", etc, "start-fg"], { stdio: ["ignore", logFd, logFd] });
  closeSync(logFd);
  const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-4000) : "");
  const exited = new Promise<void>((resolve) => master.once("exit", () => resolve()));
  try {
    await Promise.race([
      waitForPort(port, 15_000),
      exited.then(() => {
        throw new Error(`Postfix stopped at start:\n${log()}`);
      }),
    ]);
  } catch (error) {
    master.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const maildir = path.join(mail, "sink", "new");
  return {
    port,
    pid: master.pid ?? 0,
    recipient: "sink@bench.test",
    delivered: () => (existsSync(maildir) ? readdirSync(maildir).length : 0),
    async stop() {
      try {
        execFileSync(POSTFIX, ["-c", etc, "stop"], { stdio: "pipe" });
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      } finally {
        if (master.exitCode === null) master.kill("SIGKILL");
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
