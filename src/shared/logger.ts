/**
 * The service's log: JSON lines (pino) on standard error, one object per line, readable by journald,
 * Loki or any collector; a coloured, readable form when standard error is a terminal (pino-pretty).
 * Standard output is left to the commands' own human lines (`sesame start` prints the URL and the
 * demo identities there), so the two never interleave.
 *
 * Writing a log line never blocks the process: on a pipe or a socket (systemd, a supervisor, a test
 * harness) lines are written asynchronously and, when nobody reads them any more (a full pipe, a
 * parent that has gone away: EAGAIN, EPIPE), dropped instead of stopping the event loop — a
 * synchronous write to a pipe nobody reads waits for ever, and that is how an instance once stayed
 * alive after SIGTERM until SIGKILL.
 */
import { fstatSync } from "node:fs";
import net from "node:net";
import { isatty } from "node:tty";
import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";
import { currentRequestId } from "./request-context.js";

export type { Logger };

/** What a service that only reports trouble needs of a logger (a pino Logger, or a test's spy). */
export interface WarnLogger {
  warn(object: Record<string, unknown>, message: string): void;
}

/** Past this many bytes waiting to be written (nobody reads), new lines are dropped. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

/** A non-blocking writer over a pipe or socket file descriptor; lines are dropped once it is broken or full. */
function socketDestination(fd: number): DestinationStream {
  const socket = new net.Socket({ fd, readable: false, writable: true });
  let broken = false;
  socket.on("error", () => {
    // EPIPE and the like: the reader has gone; the process goes on without its log.
    broken = true;
  });
  // The log never keeps the process alive.
  socket.unref();
  return {
    write(line: string) {
      if (broken || socket.destroyed || socket.writableLength > MAX_PENDING_BYTES) return;
      socket.write(line);
    },
  };
}

let shared: DestinationStream | undefined;

/**
 * Standard error, as the kind of file it is: a terminal (pretty), a pipe or socket (non-blocking), a
 * file. `process.stderr` is not touched: on a pipe, Node makes it blocking.
 */
function standardError(): DestinationStream {
  if (shared) return shared;
  let kind: "tty" | "pipe" | "file" = "file";
  try {
    const stat = fstatSync(2);
    kind = isatty(2) ? "tty" : stat.isFIFO() || stat.isSocket() ? "pipe" : "file";
  } catch {
    kind = "file";
  }
  shared =
    kind === "tty"
      ? pretty({ destination: 2, sync: true, colorize: true, translateTime: "SYS:HH:MM:ss.l" })
      : kind === "pipe"
        ? socketDestination(2)
        : pino.destination({ dest: 2, sync: true });
  return shared;
}

export interface LoggerOptions {
  /** Where the lines go (tests); standard error by default. */
  readonly destination?: DestinationStream;
}

/** A logger at the configured level (`config.logLevel`: the configuration reads the environment, not this). */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      level,
      base: undefined,
      // A line written while a web request is served carries its id (`requestId`), as its audit
      // entries do; the request's own logger (Fastify's `req.log`) already has it bound.
      mixin: (_object, _level, logger) => {
        const requestId = currentRequestId();
        return requestId === undefined || logger.bindings().requestId !== undefined ? {} : { requestId };
      },
      // Never log a secret, even by mistake.
      redact: {
        paths: [
          "password",
          "*.password",
          "newPassword",
          "*.newPassword",
          "numen",
          "*.numen",
          "token",
          "*.token",
          "req.headers.cookie",
          'res.headers["set-cookie"]',
        ],
        censor: "[redacted]",
      },
    },
    options.destination ?? standardError(),
  );
}
