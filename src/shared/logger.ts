import pino, { type Logger } from "pino";

export type { Logger };

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
