/**
 * Start-up: config → database (migrations) → services → web + SMTP reception + SMTP submission + IMAP
 * (+ the Prometheus metrics port when SESAME_METRICS_PORT is set).
 *
 * Stop (SIGTERM/SIGINT, `stop()`): /readyz answers 503 at once (a load balancer stops sending);
 * on SIGTERM the listeners then stay open DRAIN_MS, still serving, so that the load balancer's
 * health check sees the 503 and stops sending before any connection is refused; then
 * every listener stops accepting; HTTP requests in flight finish (idle keep-alive connections are
 * closed, a request arriving on a busy one gets 503 and `Connection: close`); SMTP sessions end their
 * command (deliveries under way get their 250) then get 421; IMAP sessions end their command then
 * get `* BYE`; then the database is closed. Whatever the clients do, the process is gone within
 * STOP_DEADLINE_MS: connections still open are cut, and a stop that still hangs exits anyway.
 */
import type { FastifyInstance } from "fastify";
import type { Config } from "./config/config.js";
import { LIMITS } from "./identity/limits.js";
import { type ImapServer, startImapServer } from "./imap/server.js";
import { type SmtpReception, startSmtpReception } from "./mail/smtp-reception.js";
import { type SmtpSubmission, startSmtpSubmission } from "./mail/smtp-submission.js";
import { openServices, type Services } from "./services.js";
import { createLogger, type Logger } from "./shared/logger.js";
import { buildApp } from "./web/app.js";
import { createMetrics, listenMetrics, type MetricsServer } from "./web/plugins/metrics.js";
import { createReadiness, type Readiness } from "./web/routes/health.routes.js";

const PURGE_EVERY_MS = 10 * 60_000;
/** The whole stop, whatever the clients do (systemd's and Kubernetes' default grace is 30 s or more). */
export const STOP_DEADLINE_MS = 25_000;
/** Past this, the connections still open are cut (the rest of the stop then has the remaining time). */
const CUT_CONNECTIONS_AFTER_MS = 15_000;
/**
 * On SIGTERM, how long /readyz answers 503 while everything is still served, before the listeners
 * close: longer than a load balancer needs to take the instance out (deploy/haproxy.cfg: a check
 * every second, out after two failed 500 ms apart). Counted in STOP_DEADLINE_MS.
 */
export const DRAIN_MS = 2_000;

export interface RunningServer {
  readonly services: Services;
  readonly app: FastifyInstance;
  readonly url: string;
  /** The port the SMTP reception listens on (config.smtpPort, or the one chosen for port 0). */
  readonly smtpPort: number;
  /** The port the SMTP submission listens on (config.submissionPort, or the one chosen for port 0). */
  readonly submissionPort: number;
  /** The IMAP ports (config.imapPort / imapsPort, or the ones chosen for port 0; TLS: null without a certificate). */
  readonly imapPort: number;
  readonly imapsPort: number | null;
  /** The Prometheus port (null: SESAME_METRICS_PORT not set). */
  readonly metricsPort: number | null;
  /** /readyz's state: draining from the start of the stop. */
  readonly readiness: Readiness;
  readonly logger: Logger;
  /** `drainMs`: how long /readyz answers 503 with the listeners still open before they close (default 0). */
  stop(drainMs?: number): Promise<void>;
}

/**
 * The one-line warning of a PostgreSQL deployment without Redis: the rate limits kept in memory
 * (identity/limits.ts, kind `rate`) then count per instance, so with N instances each allows the
 * whole limit. Null when it does not apply.
 */
export function perInstanceLimitsWarning(config: Pick<Config, "databaseUrl" | "redisUrl">): string | null {
  if (!config.databaseUrl.startsWith("postgres") || config.redisUrl) return null;
  const perInstance = Object.entries(LIMITS)
    .filter(([, limit]) => limit.kind === "rate")
    .map(([name]) => name);
  return `PostgreSQL without SESAME_REDIS_URL: these limits stay per instance, each instance allowing the full amount: ${perInstance.join(", ")} (rate limits), the SMTP early-talker memory and the IMAP connections per address; sessions and sign-in throttles are shared through the database. Set SESAME_REDIS_URL when running several instances.`;
}

/** `work`, or a rejection after `ms` (a stop step never waits for ever). */
function bounded(work: Promise<unknown>, ms: number, what: string, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log.warn({ step: what, waitedMs: ms }, "stop: a step is taking too long, going on without it");
      resolve();
    }, ms);
    timer.unref();
  });
  const done = work.then(
    () => undefined,
    (error: unknown) => log.warn({ err: error, step: what }, "stop: a step failed"),
  );
  return Promise.race([done, late]).finally(() => clearTimeout(timer));
}

export interface StartOptions {
  /** Where the log goes (tests); standard error at config.logLevel by default (shared/logger.ts). */
  readonly logger?: Logger;
}

export async function startServer(
  config: Config,
  services?: Services,
  options: StartOptions = {},
): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const svc = services ?? (await openServices(config));
  const warning = perInstanceLimitsWarning(config);
  if (warning) logger.warn(warning);
  const readiness = createReadiness();
  const metrics = config.metrics ? createMetrics(svc) : undefined;
  const app = await buildApp({ services: svc, logger, readiness, ...(metrics ? { metrics } : {}) });
  const protocol = metrics ? { metrics: metrics.protocol } : {};
  let smtp: SmtpReception | undefined;
  let submission: SmtpSubmission | undefined;
  let imap: ImapServer | undefined;
  let metricsServer: MetricsServer | undefined;
  try {
    await app.listen({ port: config.httpPort, host: config.httpHost });
    // What an earlier run took in and did not store yet is stored before the reception listens.
    await svc.intake.start();
    smtp = await startSmtpReception({
      mail: svc.intake,
      config,
      logger,
      checks: svc.senderChecks,
      harvest: svc.harvest,
      spam: svc.spam,
      stats: svc.consoleStats,
      ...protocol,
    });
    submission = await startSmtpSubmission(
      { login: svc.login, send: svc.send, config, logger, ...protocol },
      { port: config.submissionPort, host: config.smtpHost },
    );
    imap = await startImapServer({ login: svc.login, mailbox: svc.mailbox, config, logger, ...protocol });
    if (metrics && config.metrics) {
      const running = imap;
      metrics.watchImapSessions(() => running.sessions);
      metricsServer = await listenMetrics(metrics, config.metrics.port, config.metrics.host);
      logger.info(
        { host: metricsServer.host, port: metricsServer.port },
        `Prometheus metrics at http://${metricsServer.host}:${metricsServer.port}/metrics`,
      );
    }
  } catch (error) {
    await imap?.close();
    await submission?.close();
    await smtp?.close();
    await svc.intake.stop();
    await app.close();
    if (!services) await svc.close();
    throw error;
  }
  const [smtpServer, submissionServer, imapServer] = [smtp, submission, imap];
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.httpPort;
  // Expired sessions and counters are skipped when read; this only keeps the tables small.
  const purge = setInterval(() => {
    svc.purgeExpired().catch((error: unknown) => app.log.warn({ err: error }, "purge of expired data failed"));
  }, PURGE_EVERY_MS);
  purge.unref();
  // External recipients: the outbound queue's worker (does nothing without SESAME_SMTP_RELAY_URL).
  svc.outboundQueue.start();
  let stopping: Promise<void> | undefined;
  const stop = (drainMs = 0) => {
    stopping ??= (async () => {
      const started = Date.now();
      readiness.drain();
      clearInterval(purge);
      if (drainMs > 0) {
        // Still serving (new connections included) while the load balancer notices the 503.
        logger.info({ drainMs }, "draining: /readyz answers 503, still serving");
        await new Promise((resolve) => setTimeout(resolve, drainMs));
      }
      // Connections that outlive the grace are cut: an idle keep-alive socket, a client that never reads.
      const cut = setTimeout(() => {
        logger.warn("stop: cutting the connections still open");
        app.server.closeAllConnections();
      }, CUT_CONNECTIONS_AFTER_MS);
      cut.unref();
      const left = () => Math.max(1_000, STOP_DEADLINE_MS - (Date.now() - started) - 1_000);
      // Every door at once: each stops accepting and lets its work under way finish.
      await Promise.all([
        bounded(svc.outboundQueue.stop(), left(), "outbound queue", logger),
        bounded(imapServer.close(), left(), "IMAP", logger),
        bounded(submissionServer.close(), left(), "SMTP submission", logger),
        bounded(smtpServer.close(), left(), "SMTP reception", logger),
        bounded(app.close(), left(), "HTTP", logger),
        metricsServer ? bounded(metricsServer.close(), left(), "metrics", logger) : Promise.resolve(),
      ]);
      clearTimeout(cut);
      // The message being stored from the intake finishes; the others wait for the next start.
      await bounded(svc.intake.stop(), left(), "SMTP intake", logger);
      await bounded(svc.close(), left(), "database and Redis", logger);
      logger.info({ ms: Date.now() - started }, "stopped");
    })();
    return stopping;
  };
  return {
    services: svc,
    app,
    url: `http://${config.httpHost}:${port}/`,
    smtpPort: smtpServer.port,
    submissionPort: submissionServer.port,
    imapPort: imapServer.port,
    imapsPort: imapServer.tlsPort,
    metricsPort: metricsServer?.port ?? null,
    readiness,
    logger,
    stop,
  };
}

/**
 * Stops on SIGTERM/SIGINT once; a second signal forces the exit, and so does a stop that is not done
 * after STOP_DEADLINE_MS. The process exits as soon as the stop is done (a handle left open by a
 * library never keeps it alive), and nothing it writes can block it: the log never waits for a
 * reader (shared/logger.ts), and a standard output whose reader has gone (EPIPE) is ignored.
 */
export function stopOnSignals(server: RunningServer): void {
  const log = server.logger;
  const ignoreBrokenPipe = (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") log.error({ err: error }, "standard output failed");
  };
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    process.stdout.on("error", ignoreBrokenPipe);
    log.info({ signal }, "stopping");
    setTimeout(() => {
      log.error({ deadlineMs: STOP_DEADLINE_MS }, "the stop did not end in time: exiting");
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    // SIGTERM (a supervisor, a load balancer's rolling restart) drains first; Ctrl-C stops at once.
    server.stop(signal === "SIGTERM" ? DRAIN_MS : 0).then(
      () => exitSoon(0),
      (error: unknown) => {
        log.error({ err: error }, "error while stopping");
        exitSoon(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/** Exits once the last log lines had a moment to go out (never later than 200 ms). */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 200).unref();
}
