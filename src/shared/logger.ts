import pino, { type Logger } from "pino";

export type { Logger };

/** What a service that only reports trouble needs of a logger (a pino Logger, or a test's spy). */
export interface WarnLogger {
  warn(object: Record<string, unknown>, message: string): void;
}

/** A logger at the configured level (`config.logLevel`: the configuration reads the environment, not this). */
export function createLogger(level: string): Logger {
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
