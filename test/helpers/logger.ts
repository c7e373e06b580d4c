/** A pino logger for tests whose lines are kept, to read what a server or a service logged. */
import { Writable } from "node:stream";
import pino from "pino";
import type { Logger } from "../../src/shared/logger.js";

export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level: "info", base: undefined }, sink), lines };
}
