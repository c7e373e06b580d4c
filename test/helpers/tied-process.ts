/**
 * A daemon a test starts (HAProxy, spamd) that cannot outlive the test's process: it runs under a
 * small shell that holds a pipe from this process and, when the pipe closes (this process ended, even
 * killed), stops the daemon. A daemon spawned directly is re-parented to init when a test run is
 * interrupted, and goes on running: an HAProxy left that way health-checked dead ports for hours and
 * loaded the machine the benchmarks run on.
 *
 * The returned process is the shell's: SIGTERM (`kill()`) is passed on to the daemon, and the shell
 * exits once the daemon has; SIGKILL would leave the daemon to the pipe's closing (when this process
 * ends), so stop it with SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process";

const GUARD = [
  '"$@" </dev/null & daemon=$!',
  // SIGTERM, then SIGKILL if it is still there 5 s later.
  'stop() { kill -TERM "$daemon" 2>/dev/null; for i in $(seq 50); do kill -0 "$daemon" 2>/dev/null || exit 0; sleep 0.1; done; kill -KILL "$daemon" 2>/dev/null; exit 0; }',
  // A signal for the shell goes to the daemon (`wait` below is interrupted by it; `cat` would not be).
  "trap stop TERM INT",
  // The daemon's end, or the pipe's (this process gone): whichever comes first. (The pipe through fd 3:
  // a background command of a shell without job control would read /dev/null instead of stdin.)
  "exec 3<&0",
  "cat <&3 >/dev/null & reader=$!",
  'while kill -0 "$daemon" 2>/dev/null && kill -0 "$reader" 2>/dev/null; do wait -n 2>/dev/null || sleep 0.2; done',
  'kill "$reader" 2>/dev/null',
  "stop",
].join("\n");

/** Starts `command args…`, its standard output and error as `output` says; tied to this process. */
export function spawnTied(
  command: string,
  args: readonly string[],
  output: { readonly stdout: "pipe" | "ignore"; readonly stderr: "pipe" | "ignore" },
): ChildProcess {
  return spawn("/bin/bash", ["-c", GUARD, "tied", command, ...args], {
    stdio: ["pipe", output.stdout, output.stderr],
  });
}
