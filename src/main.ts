/**
 * Start-up: config → database (migrations) → services → web + SMTP reception + SMTP submission + IMAP.
 * SIGTERM/SIGINT stop it cleanly: IMAP (clients get `* BYE`) and SMTP first (deliveries under way
 * finish), then the web (in-flight requests finish), then the database is closed.
 */
import type { FastifyInstance } from "fastify";
import type { Config } from "./config/config.js";
import { type ImapServer, startImapServer } from "./imap/server.js";
import { type SmtpReception, startSmtpReception } from "./mail/smtp-reception.js";
import { type SmtpSubmission, startSmtpSubmission } from "./mail/smtp-submission.js";
import { openServices, type Services } from "./services.js";
import { createLogger } from "./shared/logger.js";
import { buildApp } from "./web/app.js";

const PURGE_EVERY_MS = 10 * 60_000;

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
  stop(): Promise<void>;
}

export async function startServer(config: Config, services?: Services): Promise<RunningServer> {
  const logger = createLogger(config.logLevel);
  const svc = services ?? (await openServices(config));
  const app = await buildApp({ services: svc, logger });
  let smtp: SmtpReception;
  let submission: SmtpSubmission;
  let imap: ImapServer;
  try {
    await app.listen({ port: config.httpPort, host: config.httpHost });
    smtp = await startSmtpReception({
      mail: svc.mail,
      config,
      logger,
      harvest: svc.harvest,
      spam: svc.spam,
      stats: svc.consoleStats,
    });
    try {
      submission = await startSmtpSubmission(
        { login: svc.login, send: svc.send, config, logger },
        { port: config.submissionPort, host: config.smtpHost },
      );
    } catch (error) {
      await smtp.close();
      throw error;
    }
    try {
      imap = await startImapServer({ login: svc.login, mailbox: svc.mailbox, config, logger });
    } catch (error) {
      await submission.close();
      await smtp.close();
      throw error;
    }
  } catch (error) {
    await app.close();
    if (!services) await svc.close();
    throw error;
  }
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
  const stop = () => {
    stopping ??= (async () => {
      clearInterval(purge);
      await svc.outboundQueue.stop();
      await imap.close();
      await submission.close();
      await smtp.close();
      await app.close();
      await svc.close();
    })();
    return stopping;
  };
  return {
    services: svc,
    app,
    url: `http://${config.httpHost}:${port}/`,
    smtpPort: smtp.port,
    submissionPort: submission.port,
    imapPort: imap.port,
    imapsPort: imap.tlsPort,
    stop,
  };
}

/** Stops on SIGTERM/SIGINT once; a second signal forces the exit. */
export function stopOnSignals(server: RunningServer): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    server.app.log.info({ signal }, "stopping");
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
