import pino, { type Logger } from "pino";

export type { Logger };

/** What a service that only reports trouble needs of a logger (a pino Logger, or a test's spy). */
export interface WarnLogger {
  warn(object: Record<string, unknown>, message: string): void;
}

export function createLogger(level: string = process.env.SESAME_LOG_LEVEL ?? "info"): Logger {
  return pino({
    level,
    base: undefined,
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
  });
}
