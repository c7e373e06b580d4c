/**
 * `sesame config check`: the effective configuration (secrets masked), then whether what it names is
 * there and works — the database and its migrations, Redis, the SMTP relay, the TLS certificate and
 * key, the DKIM key, the secret file. Each check gives `ok`, `warn` (works, but look) or `FAIL` (the
 * service would not work as configured) with one English line; nothing is changed (a SQLite file
 * that does not exist yet is not created).
 */
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import nodemailer from "nodemailer";
import { type Config, secretFile } from "../config/config.js";
import { maskedConfig, maskUrl } from "../config/masked-config.js";
import { relayOptions } from "../mail/outbound.service.js";
import { closeRedis, openRedis, pingRedis, redactRedisUrl } from "../shared/redis.js";
import { openDatabase, ping, sqliteFilesOf } from "../storage/database.js";
import { pendingMigrations } from "../storage/migrate.js";

export type CheckStatus = "ok" | "warn" | "FAIL";

export interface CheckLine {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

export interface ConfigReport {
  readonly settings: ReadonlyArray<{ key: string; value: string }>;
  readonly checks: readonly CheckLine[];
  /** The names of the failed checks (empty: the configuration is usable). */
  readonly failed: readonly string[];
}

/** A certificate expiring within this many days is a warning. */
export const CERT_WARN_DAYS = 30;
/** Each network check gives up after this long. */
const NETWORK_TIMEOUT_MS = 5_000;

export async function checkConfiguration(config: Config, now = new Date()): Promise<ConfigReport> {
  const checks: CheckLine[] = [
    await checkDatabase(config),
    ...(config.redisUrl ? [await checkRedis(config.redisUrl)] : []),
    ...(config.smtpRelayUrl ? [await checkRelay(config.smtpRelayUrl)] : []),
    ...(config.smtpTls ? [checkTls(config.smtpTls.certFile, config.smtpTls.keyFile, now)] : []),
    ...(config.dkim ? [checkDkim(config.dkim.keyFile)] : []),
    checkSecret(config),
  ];
  return {
    settings: maskedConfig(config).map(({ key, value }) => ({ key, value })),
    checks,
    failed: checks.filter((c) => c.status === "FAIL").map((c) => c.name),
  };
}

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${NETWORK_TIMEOUT_MS / 1000} s`)),
      NETWORK_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkDatabase(config: Config): Promise<CheckLine> {
  const name = "database";
  const shown = maskUrl(config.databaseUrl);
  const file = sqliteFilesOf(config.databaseUrl)[0];
  if (file !== undefined && !existsSync(file)) {
    return { name, status: "warn", detail: `${shown}: no database yet (created at the first start)` };
  }
  let database: ReturnType<typeof openDatabase> | undefined;
  try {
    database = openDatabase(config.databaseUrl);
    await withTimeout(ping(database), "the database");
    const pending = await pendingMigrations(database);
    return pending.length === 0
      ? { name, status: "ok", detail: `${shown}: reachable, migrations up to date` }
      : {
          name,
          status: "warn",
          detail: `${shown}: reachable, ${pending.length} migration(s) pending (${pending.join(", ")}): applied at the next start or by "sesame db migrate"`,
        };
  } catch (error) {
    return { name, status: "FAIL", detail: `${shown}: ${reason(error)}` };
  } finally {
    await database?.close().catch(() => undefined);
  }
}

async function checkRedis(url: string): Promise<CheckLine> {
  const redis = openRedis(url, { connectionName: "sesame-config-check" });
  try {
    await withTimeout(pingRedis(redis, url), "Redis");
    return { name: "redis", status: "ok", detail: `${redactRedisUrl(url)}: answers` };
  } catch (error) {
    return { name: "redis", status: "FAIL", detail: reason(error) };
  } finally {
    redis.disconnect();
    await closeRedis(redis).catch(() => undefined);
  }
}

async function checkRelay(url: string): Promise<CheckLine> {
  const shown = maskUrl(url);
  const transport = nodemailer.createTransport({
    ...relayOptions(url),
    pool: false,
    connectionTimeout: NETWORK_TIMEOUT_MS,
    greetingTimeout: NETWORK_TIMEOUT_MS,
    socketTimeout: NETWORK_TIMEOUT_MS,
  });
  try {
    await withTimeout(transport.verify(), "the SMTP relay");
    return { name: "smtp relay", status: "ok", detail: `${shown}: answers EHLO (and accepts the credentials, if any)` };
  } catch (error) {
    return { name: "smtp relay", status: "FAIL", detail: `${shown}: ${reason(error)}` };
  } finally {
    transport.close();
  }
}

function checkTls(certFile: string, keyFile: string, now: Date): CheckLine {
  const name = "smtp tls";
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(certFile));
  } catch (error) {
    return { name, status: "FAIL", detail: `certificate ${certFile}: ${reason(error)}` };
  }
  try {
    const key = createPrivateKey(readFileSync(keyFile));
    if (!cert.checkPrivateKey(key)) {
      return { name, status: "FAIL", detail: `the key ${keyFile} does not match the certificate ${certFile}` };
    }
  } catch (error) {
    return { name, status: "FAIL", detail: `key ${keyFile}: ${reason(error)}` };
  }
  const notAfter = new Date(cert.validTo);
  const notBefore = new Date(cert.validFrom);
  const subject = cert.subject.replaceAll("\n", ", ");
  if (notAfter <= now) return { name, status: "FAIL", detail: `${subject}: expired on ${notAfter.toISOString()}` };
  if (notBefore > now)
    return { name, status: "FAIL", detail: `${subject}: not valid before ${notBefore.toISOString()}` };
  const days = Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
  return days < CERT_WARN_DAYS
    ? { name, status: "warn", detail: `${subject}: expires in ${days} day(s), on ${notAfter.toISOString()}` }
    : { name, status: "ok", detail: `${subject}: key matches, valid until ${notAfter.toISOString()}` };
}

function checkDkim(keyFile: string): CheckLine {
  try {
    const key = createPrivateKey(readFileSync(keyFile));
    createPublicKey(key);
    return { name: "dkim key", status: "ok", detail: `${keyFile}: a ${key.asymmetricKeyType ?? "private"} key` };
  } catch (error) {
    return { name: "dkim key", status: "FAIL", detail: `${keyFile}: ${reason(error)}` };
  }
}

function checkSecret(config: Config): CheckLine {
  if (config.secretFromEnv) return { name: "secret", status: "ok", detail: "from SESAME_SECRET" };
  const file = secretFile(config.dataDir);
  try {
    const mode = statSync(file).mode & 0o777;
    readFileSync(file);
    return (mode & 0o077) === 0
      ? { name: "secret", status: "ok", detail: `${file}: readable by its owner only` }
      : {
          name: "secret",
          status: "warn",
          detail: `${file}: mode ${mode.toString(8)}, readable by others (the service narrows it to 600 at start)`,
        };
  } catch (error) {
    return { name: "secret", status: "FAIL", detail: `${file}: ${reason(error)}` };
  }
}
