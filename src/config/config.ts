/**
 * The only reader of process.env. Every setting is documented here and in README.md; a bad value
 * stops the start with one line naming the variable and what is expected (ConfigError).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export interface Argon2Params {
  /** Memory cost in KiB. */
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

export interface Config {
  readonly httpPort: number;
  readonly httpHost: string;
  readonly smtpPort: number;
  readonly dataDir: string;
  /** `sqlite:<file>` or `postgres://…`. */
  readonly databaseUrl: string;
  readonly publicUrl: string;
  readonly academieName: string;
  readonly mailDomain: string;
  readonly rectoratPhone: string;
  readonly secret: string;
  readonly argon2: Argon2Params;
  readonly logLevel: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    throw new ConfigError(`${name} must be a whole number between ${min} and ${max} (got "${raw}")`);
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number between ${min} and ${max} (got "${raw}")`);
  }
  return value;
}

function readText(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  return raw.trim();
}

const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function readSecret(env: Env, dataDir: string): string {
  const raw = env.SESAME_SECRET;
  if (raw !== undefined && raw !== "") {
    if (raw.length < 32) {
      throw new ConfigError("SESAME_SECRET must be at least 32 characters long (a random string)");
    }
    return raw;
  }
  const file = path.join(dataDir, "secret");
  if (existsSync(file)) {
    const stored = readFileSync(file, "utf8").trim();
    if (stored.length < 32) {
      throw new ConfigError(`the secret file ${file} is damaged: expected at least 32 characters`);
    }
    return stored;
  }
  mkdirSync(dataDir, { recursive: true });
  const generated = randomBytes(32).toString("base64url");
  writeFileSync(file, `${generated}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return generated;
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(readText(env, "SESAME_DATA_DIR", "./data"));
  const httpPort = readInt(env, "SESAME_HTTP_PORT", 8080, 0, 65535);
  const smtpPort = readInt(env, "SESAME_SMTP_PORT", 2525, 0, 65535);
  const httpHost = readText(env, "SESAME_HTTP_HOST", "127.0.0.1");

  let databaseUrl = readText(env, "SESAME_DATABASE_URL", `sqlite:${path.join(dataDir, "sesame.db")}`);
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(
      `SESAME_DATABASE_URL must start with "sqlite:" (a file) or "postgres://" (got "${databaseUrl}")`,
    );
  }
  if (databaseUrl.startsWith("sqlite:") && databaseUrl !== "sqlite::memory:") {
    databaseUrl = `sqlite:${path.resolve(databaseUrl.slice("sqlite:".length))}`;
  }

  const publicUrl = readText(env, "SESAME_PUBLIC_URL", `http://localhost:${httpPort}`);
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("protocol");
  } catch {
    throw new ConfigError(`SESAME_PUBLIC_URL must be an http:// or https:// URL (got "${publicUrl}")`);
  }

  const mailDomain = readText(env, "SESAME_MAIL_DOMAIN", "ac-lyon.fr").toLowerCase();
  if (!DOMAIN_RE.test(mailDomain)) {
    throw new ConfigError(`SESAME_MAIL_DOMAIN must be a domain name such as ac-lyon.fr (got "${mailDomain}")`);
  }

  const logLevel = readText(env, "SESAME_LOG_LEVEL", "info");
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(logLevel)) {
    throw new ConfigError(
      `SESAME_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${logLevel}")`,
    );
  }

  const argon2: Argon2Params = {
    memoryCost: readInt(env, "SESAME_ARGON2_MEMORY_KIB", 19456, 1024, 4 * 1024 * 1024),
    timeCost: readInt(env, "SESAME_ARGON2_TIME_COST", 2, 1, 100),
    parallelism: readInt(env, "SESAME_ARGON2_PARALLELISM", 1, 1, 16),
  };

  const config: Config = {
    httpPort,
    httpHost,
    smtpPort,
    dataDir,
    databaseUrl,
    publicUrl: publicUrl.replace(/\/+$/, ""),
    academieName: readText(env, "SESAME_ACADEMIE_NAME", "académie de Lyon"),
    mailDomain,
    rectoratPhone: readText(env, "SESAME_RECTORAT_PHONE", "04 72 80 60 60"),
    secret: readSecret(env, dataDir),
    argon2: Object.freeze(argon2),
    logLevel,
  };
  return Object.freeze(config);
}
