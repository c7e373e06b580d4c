/**
 * `sesame` as an operator runs it, in a child process (`node bin/sesame.js …`): the environment of
 * a throwaway instance (every port chosen by the system, so that test files run side by side), and
 * a command run to its end with its exit code and both outputs.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const SESAME_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/sesame.js");

/**
 * The environment of a child `sesame`: only PATH from this one, every listener on a free port,
 * logs at `warn`; `overrides` name the data folder, the secret, and whatever the test needs.
 */
export function sesameEnv(overrides: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    SESAME_HTTP_PORT: "0",
    SESAME_SMTP_PORT: "0",
    SESAME_IMAP_PORT: "0",
    SESAME_IMAPS_PORT: "0",
    SESAME_SUBMISSION_PORT: "0",
    SESAME_LOG_LEVEL: "warn",
    ...overrides,
  };
}

export interface SesameRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `sesame args…` with `env` to its end. With `timeoutMs`, a command still running then is
 * killed and the promise rejects with what it printed (a command that should end must not hang a test).
 */
export async function runSesame(
  args: readonly string[],
  env: Record<string, string>,
  options: { readonly timeoutMs?: number } = {},
): Promise<SesameRun> {
  const child = spawn(process.execPath, [SESAME_BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          child.kill("SIGKILL");
        }, options.timeoutMs);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  if (timedOut) {
    throw new Error(`sesame ${args.join(" ")} still running after ${options.timeoutMs} ms:\n${stdout}${stderr}`);
  }
  return { code, stdout, stderr };
}
