/**
 * The only reader of process.env. Every setting is documented here and in README.md; a bad value
 * stops the start with one line naming the variable and what is expected (ConfigError).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import path from "node:path";
import { makePrivateDir } from "../shared/private-files.js";

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
  /**
   * The académie's other mail domains (SESAME_INTERNAL_DOMAINS, comma-separated, lower case): mail
   * to them stays inside the académie (forwarding to them needs no password typed again).
   */
  readonly internalDomains: readonly string[];
  /** Forwarding without a copy kept may go outside the académie's domains (default false). */
  readonly allowExternalForwardWithoutCopy: boolean;
  readonly rectoratPhone: string;
  readonly secret: string;
  /** Whether the secret came from SESAME_SECRET (true) or from the data folder's secret file. */
  readonly secretFromEnv: boolean;
  readonly argon2: Argon2Params;
  readonly logLevel: string;
  /** Shared throttling counters and sessions for several instances (unset: in the database). */
  readonly redisUrl: string | null;
  /** Believe X-Forwarded-For (only behind a reverse proxy that sets it). */
  readonly trustProxy: boolean;
  readonly sessionIdleMinutes: number;
  readonly sessionMaxHours: number;
  readonly passwordMinLength: number;
  readonly passwordMaxLength: number;
  /** The NUMEN path also requires a 6-digit code sent to the account's confirmed recovery address. */
  readonly recoveryRequireCode: boolean;
  /** Password checks waiting for a core, past which the service answers 503. */
  readonly hashQueue: number;
  /** SMTP relay for outbound messages, `smtp://` or `smtps://` (unset: the local outbox, `sesame outbox`). */
  readonly smtpRelayUrl: string | null;
  /** Address the SMTP reception listens on. */
  readonly smtpHost: string;
  /** PEM certificate and key files for STARTTLS on the SMTP reception (both or neither). */
  readonly smtpTls: { readonly certFile: string; readonly keyFile: string } | null;
  /** Largest message accepted, in bytes (SESAME_MAIL_MAX_SIZE_MB). */
  readonly mailMaxBytes: number;
  /** Mailbox quota per account, in bytes (SESAME_MAIL_QUOTA_MB). */
  readonly mailQuotaBytes: number;
  /** SMTP submission for desktop and phone clients (AUTH after STARTTLS; plain text on loopback only). */
  readonly submissionPort: number;
  /** Recipients a user may send to per hour (SESAME_SEND_LIMIT_PER_HOUR). */
  readonly sendLimitPerHour: number;
  /** IMAP for mail clients: STARTTLS when a certificate is configured, plain text on loopback only. */
  readonly imapPort: number;
  /** IMAP over implicit TLS, listened on only when a certificate is configured (SESAME_SMTP_TLS_*). */
  readonly imapsPort: number;
  /** Open IMAP connections allowed per client address and per account. */
  readonly imapMaxPerAddress: number;
  readonly imapMaxPerAccount: number;
  /** Host name mail clients are told to use for IMAP and SMTP (default: the public URL's host). */
  readonly mailHost: string;
  /** Days the outbound queue keeps what was relayed or refused (SESAME_OUTBOUND_RETENTION_DAYS). */
  readonly outboundRetentionDays: number;
  /** Days the audit trail keeps its events; older ones are purged daily (SESAME_AUDIT_RETENTION_DAYS). */
  readonly auditRetentionDays: number;
  /** DKIM signing of outgoing mail, when a key is configured. */
  readonly dkim: { readonly selector: string; readonly keyFile: string } | null;
  /**
   * DNS servers the reception asks for SPF, DKIM and DMARC (SESAME_DNS_SERVERS, `ip[:port]` separated
   * by commas; empty: the system's).
   */
  readonly dnsServers: readonly string[];
  /**
   * Clients of the reception port whose mail skips the sender checks (SESAME_TRUSTED_RELAYS, CIDRs
   * separated by commas; default none — loopback is not trusted: local programs use the submission).
   */
  readonly trustedRelays: readonly string[];
  /**
   * Domains whose look-alikes are flagged (SESAME_PROTECTED_DOMAINS; default: the mail domain, the
   * internal domains and education.gouv.fr).
   */
  readonly protectedDomains: readonly string[];
  /**
   * ARC sealers (RFC 8617) whose word on a forwarded message is believed (SESAME_ARC_TRUSTED_SEALERS,
   * domains separated by commas, subdomains included; default none): a message whose DKIM and SPF a
   * forwarder or a mailing list broke is delivered as verified when such a sealer recorded it so.
   */
  readonly arcTrustedSealers: readonly string[];
  /**
   * Where « Signaler un filoutage » sends the reported message (SESAME_ABUSE_ADDRESS; default
   * `signalement-filoutage@<mail domain>`): an address of the mail domain is delivered to its mailbox,
   * any other goes through the relay or the outbox.
   */
  readonly abuseAddress: string;
  /**
   * SpamAssassin's spamd, asked to score mail from outside (SESAME_SPAMD_URL, `spamd://host:port`,
   * port 783 by default; unset: no scoring), and how long a message waits for its answer
   * (SESAME_SPAMD_TIMEOUT_MS, default 2000, connection included). Above spamd's threshold a message
   * goes to Indésirables with its score; spamd down or slow: delivered unscored, logged and counted.
   */
  readonly spamd: { readonly host: string; readonly port: number; readonly timeoutMs: number } | null;
  /**
   * Prometheus metrics (`GET /metrics`) on their own port (SESAME_METRICS_PORT; unset: not served,
   * 0: a free port), on loopback unless SESAME_METRICS_HOST says otherwise.
   */
  readonly metrics: { readonly port: number; readonly host: string } | null;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A comma-separated list: items trimmed, empty ones left out. */
function readList(env: Env, name: string): string[] {
  return (env[name] ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** `ip`, `ip:port` or `[ipv6]:port`, as Node's resolver takes them. */
function isDnsServer(value: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value);
  const [host, port] = bracketed
    ? [bracketed[1] ?? "", bracketed[2]]
    : isIP(value) === 6
      ? [value, undefined]
      : [value.split(":")[0] ?? "", value.split(":")[1]];
  if (isIP(host) === 0) return false;
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}

/** A network in CIDR form ("192.0.2.0/24", "::1/128"; a bare address is a /32 or /128), or null. */
export function parseCidr(value: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | null {
  const [address = "", prefixText] = value.split("/");
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > max ||
    (prefixText !== undefined && !/^\d+$/.test(prefixText))
  ) {
    return null;
  }
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/** A value quoted for an error message: always one line (newlines escaped), never too long. */
function shown(raw: string): string {
  const quoted = JSON.stringify(raw);
  return quoted.length > 80 ? `${quoted.slice(0, 77)}…"` : quoted;
}

/** A URL for an error message, without the user and password it may carry. */
function withoutCredentials(url: string): string {
  return url.replace(/\/\/[^/?#]*@/, "//…@");
}

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    throw new ConfigError(`${name} must be a whole number between ${min} and ${max} (got ${shown(raw)})`);
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number between ${min} and ${max} (got ${shown(raw)})`);
  }
  return value;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = raw.trim().toLowerCase();
  if (["true", "1", "yes"].includes(value)) return true;
  if (["false", "0", "no"].includes(value)) return false;
  throw new ConfigError(`${name} must be true or false (got ${shown(raw)})`);
}

function readText(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  return raw.trim();
}

const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** SESAME_MAIL_HOST: a host name (or `localhost`); default the public URL's host without its port. */
function readMailHost(env: Env, publicUrl: string): string {
  const fallback = (() => {
    try {
      return new URL(publicUrl).hostname;
    } catch {
      return "localhost";
    }
  })();
  const host = readText(env, "SESAME_MAIL_HOST", fallback).toLowerCase();
  if (host !== "localhost" && !DOMAIN_RE.test(host) && !/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) {
    throw new ConfigError(`SESAME_MAIL_HOST must be a host name such as mail.ac-lyon.fr (got ${shown(host)})`);
  }
  return host;
}

/** SESAME_SPAMD_URL and SESAME_SPAMD_TIMEOUT_MS (null: no spam scoring). */
function readSpamd(env: Env): Config["spamd"] {
  const timeoutMs = readInt(env, "SESAME_SPAMD_TIMEOUT_MS", 2000, 100, 60_000);
  const raw = readText(env, "SESAME_SPAMD_URL", "");
  if (raw === "") return null;
  const invalid = () =>
    new ConfigError(
      `SESAME_SPAMD_URL must be spamd://host:port, the address of SpamAssassin's spamd, such as spamd://127.0.0.1:783 (got ${shown(withoutCredentials(raw))})`,
    );
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid();
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const hostOk =
    isIP(host) !== 0 ||
    /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(host);
  const port = url.port === "" ? 783 : Number(url.port);
  if (
    url.protocol !== "spamd:" ||
    !hostOk ||
    port < 1 ||
    url.username !== "" ||
    url.password !== "" ||
    url.pathname !== "" ||
    url.search !== "" ||
    url.hash !== ""
  ) {
    throw invalid();
  }
  return Object.freeze({ host, port, timeoutMs });
}

/** The file holding the generated server secret (0600), when SESAME_SECRET is not given. */
export function secretFile(dataDir: string): string {
  return path.join(dataDir, "secret");
}

function readSecret(env: Env, dataDir: string): string {
  const raw = env.SESAME_SECRET;
  if (raw !== undefined && raw !== "") {
    if (raw.length < 32) {
      throw new ConfigError("SESAME_SECRET must be at least 32 characters long (a random string)");
    }
    return raw;
  }
  const file = secretFile(dataDir);
  if (existsSync(file)) {
    const stored = readFileSync(file, "utf8").trim();
    if (stored.length < 32) {
      throw new ConfigError(`the secret file ${file} is damaged: expected at least 32 characters`);
    }
    return stored;
  }
  // The data folder holds the secret and the database: readable by the service's user only.
  makePrivateDir(dataDir);
  const generated = randomBytes(32).toString("base64url");
  // Written whole to a private temporary file, then linked into place: two processes starting together
  // on one data directory never see a half-written secret, and the second one adopts the first one's.
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(temporary, `${generated}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(temporary, 0o600);
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return readSecret(env, dataDir);
  } finally {
    unlinkSync(temporary);
  }
  return generated;
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(readText(env, "SESAME_DATA_DIR", "./data"));
  const httpPort = readInt(env, "SESAME_HTTP_PORT", 8080, 0, 65535);
  const smtpPort = readInt(env, "SESAME_SMTP_PORT", 2525, 0, 65535);
  const httpHost = readText(env, "SESAME_HTTP_HOST", "127.0.0.1");

  let databaseUrl = readText(env, "SESAME_DATABASE_URL", `sqlite:${path.join(dataDir, "sesame.db")}`);
  if (!/^(sqlite:.|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(
      `SESAME_DATABASE_URL must be "sqlite:<file>" or "postgres://…" (got ${shown(withoutCredentials(databaseUrl))})`,
    );
  }
  if (databaseUrl.startsWith("sqlite:") && databaseUrl !== "sqlite::memory:") {
    databaseUrl = `sqlite:${path.resolve(databaseUrl.slice("sqlite:".length))}`;
  } else if (databaseUrl.startsWith("postgres")) {
    try {
      new URL(databaseUrl);
    } catch {
      throw new ConfigError(
        `SESAME_DATABASE_URL is not a valid PostgreSQL URL such as postgres://user@host:5432/base (got ${shown(withoutCredentials(databaseUrl))})`,
      );
    }
  }

  const publicUrl = readText(env, "SESAME_PUBLIC_URL", `http://localhost:${httpPort}`);
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("protocol");
  } catch {
    throw new ConfigError(`SESAME_PUBLIC_URL must be an http:// or https:// URL (got ${shown(publicUrl)})`);
  }

  const mailDomain = readText(env, "SESAME_MAIL_DOMAIN", "ac-lyon.fr").toLowerCase();
  if (!DOMAIN_RE.test(mailDomain)) {
    throw new ConfigError(`SESAME_MAIL_DOMAIN must be a domain name such as ac-lyon.fr (got ${shown(mailDomain)})`);
  }

  const internalDomains = readText(env, "SESAME_INTERNAL_DOMAINS", "")
    .split(",")
    .map((d) => d.trim().toLowerCase())
    .filter((d) => d !== "");
  for (const domain of internalDomains) {
    if (!DOMAIN_RE.test(domain)) {
      throw new ConfigError(
        `SESAME_INTERNAL_DOMAINS must be domain names separated by commas, such as ac-lyon.fr,region-academique.fr (got ${shown(domain)})`,
      );
    }
  }

  const logLevel = readText(env, "SESAME_LOG_LEVEL", "info");
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(logLevel)) {
    throw new ConfigError(
      `SESAME_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got ${shown(logLevel)})`,
    );
  }

  const argon2: Argon2Params = {
    memoryCost: readInt(env, "SESAME_ARGON2_MEMORY_KIB", 19456, 1024, 4 * 1024 * 1024),
    timeCost: readInt(env, "SESAME_ARGON2_TIME_COST", 2, 1, 100),
    parallelism: readInt(env, "SESAME_ARGON2_PARALLELISM", 1, 1, 16),
  };

  const redisRaw = readText(env, "SESAME_REDIS_URL", "");
  if (redisRaw !== "" && !/^rediss?:\/\//.test(redisRaw)) {
    throw new ConfigError(
      `SESAME_REDIS_URL must start with redis:// or rediss:// (got ${shown(withoutCredentials(redisRaw))})`,
    );
  }
  const trustRaw = readText(env, "SESAME_TRUST_PROXY", "false").toLowerCase();
  if (!["true", "false", "1", "0", "yes", "no"].includes(trustRaw)) {
    throw new ConfigError(`SESAME_TRUST_PROXY must be true or false (got ${shown(trustRaw)})`);
  }
  const relayRaw = readText(env, "SESAME_SMTP_RELAY_URL", "");
  if (relayRaw !== "") {
    let valid = false;
    try {
      const u = new URL(relayRaw);
      valid =
        (u.protocol === "smtp:" || u.protocol === "smtps:") &&
        u.hostname !== "" &&
        (u.pathname === "" || u.pathname === "/") &&
        u.search === "" &&
        u.hash === "";
    } catch {
      valid = false;
    }
    if (!valid) {
      throw new ConfigError(
        `SESAME_SMTP_RELAY_URL must be smtp://[user:password@]host[:port] or smtps://… (got ${shown(withoutCredentials(relayRaw))})`,
      );
    }
  }
  const certFile = readText(env, "SESAME_SMTP_TLS_CERT", "");
  const keyFile = readText(env, "SESAME_SMTP_TLS_KEY", "");
  if ((certFile === "") !== (keyFile === "")) {
    throw new ConfigError("SESAME_SMTP_TLS_CERT and SESAME_SMTP_TLS_KEY go together: set both or neither");
  }
  for (const [name, file] of [
    ["SESAME_SMTP_TLS_CERT", certFile],
    ["SESAME_SMTP_TLS_KEY", keyFile],
  ] as const) {
    if (file !== "" && !existsSync(file)) throw new ConfigError(`${name}: the file ${shown(file)} does not exist`);
  }
  const dkimSelector = readText(env, "SESAME_DKIM_SELECTOR", "");
  const dkimKey = readText(env, "SESAME_DKIM_KEY", "");
  if ((dkimSelector === "") !== (dkimKey === "")) {
    throw new ConfigError("SESAME_DKIM_SELECTOR and SESAME_DKIM_KEY go together: set both or neither");
  }
  if (dkimSelector !== "" && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(dkimSelector)) {
    throw new ConfigError(`SESAME_DKIM_SELECTOR must be a DNS label such as sesame2026 (got ${shown(dkimSelector)})`);
  }
  if (dkimKey !== "" && !existsSync(dkimKey)) {
    throw new ConfigError(`SESAME_DKIM_KEY: the file ${shown(dkimKey)} does not exist`);
  }
  const submissionPort = readInt(env, "SESAME_SUBMISSION_PORT", 5870, 0, 65535);
  const sendLimitPerHour = readInt(env, "SESAME_SEND_LIMIT_PER_HOUR", 500, 1, 1_000_000);
  const imapPort = readInt(env, "SESAME_IMAP_PORT", 1143, 0, 65535);
  const imapsPort = readInt(env, "SESAME_IMAPS_PORT", 1993, 0, 65535);
  const imapMaxPerAddress = readInt(env, "SESAME_IMAP_MAX_PER_ADDRESS", 1000, 1, 1_000_000);
  const imapMaxPerAccount = readInt(env, "SESAME_IMAP_MAX_PER_ACCOUNT", 50, 1, 100_000);
  const outboundRetentionDays = readInt(env, "SESAME_OUTBOUND_RETENTION_DAYS", 30, 1, 3650);
  const auditRetentionDays = readInt(env, "SESAME_AUDIT_RETENTION_DAYS", 365, 30, 36500);
  const mailMaxBytes = readInt(env, "SESAME_MAIL_MAX_SIZE_MB", 25, 1, 1024) * 1024 * 1024;
  const mailQuotaBytes = readInt(env, "SESAME_MAIL_QUOTA_MB", 1024, 1, 1024 * 1024) * 1024 * 1024;
  const passwordMinLength = readInt(env, "SESAME_PASSWORD_MIN_LENGTH", 12, 8, 64);

  const dnsServers = readList(env, "SESAME_DNS_SERVERS");
  for (const server of dnsServers) {
    if (!isDnsServer(server)) {
      throw new ConfigError(
        `SESAME_DNS_SERVERS must be IP addresses with an optional port, separated by commas, such as 127.0.0.1:5353,[::1]:53 (got ${shown(server)})`,
      );
    }
  }
  const trustedRelays = readList(env, "SESAME_TRUSTED_RELAYS");
  for (const cidr of trustedRelays) {
    if (parseCidr(cidr) === null) {
      throw new ConfigError(
        `SESAME_TRUSTED_RELAYS must be networks in CIDR form separated by commas, such as 192.0.2.0/24,2001:db8::/32 (got ${shown(cidr)})`,
      );
    }
  }
  const protectedRaw = readList(env, "SESAME_PROTECTED_DOMAINS").map((d) => d.toLowerCase());
  for (const domain of protectedRaw) {
    if (!DOMAIN_RE.test(domain)) {
      throw new ConfigError(
        `SESAME_PROTECTED_DOMAINS must be domain names separated by commas, such as ac-lyon.fr,education.gouv.fr (got ${shown(domain)})`,
      );
    }
  }
  const arcTrustedSealers = readList(env, "SESAME_ARC_TRUSTED_SEALERS").map((d) => d.toLowerCase());
  for (const domain of arcTrustedSealers) {
    if (!DOMAIN_RE.test(domain)) {
      throw new ConfigError(
        `SESAME_ARC_TRUSTED_SEALERS must be domain names separated by commas, such as google.com,lists.example.org (got ${shown(domain)})`,
      );
    }
  }
  const protectedDomains =
    protectedRaw.length > 0 ? protectedRaw : [mailDomain, ...internalDomains, "education.gouv.fr"];
  const passwordMaxLength = readInt(env, "SESAME_PASSWORD_MAX_LENGTH", 128, 64, 1024);
  const abuseRaw = readText(env, "SESAME_ABUSE_ADDRESS", `signalement-filoutage@${mailDomain}`);
  const abuseAt = abuseRaw.lastIndexOf("@");
  const abuseLocal = abuseRaw.slice(0, Math.max(0, abuseAt));
  const abuseDomain = abuseRaw.slice(abuseAt + 1).toLowerCase();
  if (abuseAt <= 0 || !/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/.test(abuseLocal) || !DOMAIN_RE.test(abuseDomain)) {
    throw new ConfigError(
      `SESAME_ABUSE_ADDRESS must be one e-mail address such as signalement-filoutage@ac-lyon.fr (got ${shown(abuseRaw)})`,
    );
  }

  const config: Config = {
    httpPort,
    httpHost,
    smtpPort,
    dataDir,
    databaseUrl,
    publicUrl: publicUrl.replace(/\/+$/, ""),
    academieName: readText(env, "SESAME_ACADEMIE_NAME", "académie de Lyon"),
    mailDomain,
    internalDomains: Object.freeze([...new Set(internalDomains.filter((d) => d !== mailDomain))]),
    allowExternalForwardWithoutCopy: readBoolean(env, "SESAME_ALLOW_EXTERNAL_FORWARD_WITHOUT_COPY", false),
    rectoratPhone: readText(env, "SESAME_RECTORAT_PHONE", "04 72 80 60 60"),
    secret: readSecret(env, dataDir),
    secretFromEnv: (env.SESAME_SECRET ?? "") !== "",
    argon2: Object.freeze(argon2),
    logLevel,
    redisUrl: redisRaw === "" ? null : redisRaw,
    trustProxy: ["true", "1", "yes"].includes(trustRaw),
    recoveryRequireCode: readBoolean(env, "SESAME_RECOVERY_REQUIRE_CODE", false),
    sessionIdleMinutes: readInt(env, "SESAME_SESSION_IDLE_MINUTES", 30, 1, 24 * 60),
    sessionMaxHours: readInt(env, "SESAME_SESSION_MAX_HOURS", 12, 1, 24 * 30),
    passwordMinLength,
    passwordMaxLength,
    hashQueue: readInt(env, "SESAME_HASH_QUEUE", 64, 0, 100000),
    smtpRelayUrl: relayRaw === "" ? null : relayRaw,
    smtpHost: readText(env, "SESAME_SMTP_HOST", "127.0.0.1"),
    smtpTls:
      certFile === "" ? null : Object.freeze({ certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) }),
    mailMaxBytes,
    mailQuotaBytes,
    submissionPort,
    sendLimitPerHour,
    imapPort,
    imapsPort,
    imapMaxPerAddress,
    imapMaxPerAccount,
    mailHost: readMailHost(env, publicUrl),
    outboundRetentionDays,
    auditRetentionDays,
    dkim: dkimKey === "" ? null : Object.freeze({ selector: dkimSelector, keyFile: path.resolve(dkimKey) }),
    dnsServers: Object.freeze(dnsServers),
    trustedRelays: Object.freeze(trustedRelays),
    protectedDomains: Object.freeze([...new Set(protectedDomains)]),
    arcTrustedSealers: Object.freeze([...new Set(arcTrustedSealers)]),
    abuseAddress: `${abuseLocal}@${abuseDomain}`,
    spamd: readSpamd(env),
    metrics:
      readText(env, "SESAME_METRICS_PORT", "") === ""
        ? null
        : Object.freeze({
            port: readInt(env, "SESAME_METRICS_PORT", 0, 0, 65535),
            host: readText(env, "SESAME_METRICS_HOST", "127.0.0.1"),
          }),
  };
  return Object.freeze(config);
}
