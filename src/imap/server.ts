/**
 * The IMAP server: the plain port (SESAME_IMAP_PORT, STARTTLS when a certificate is configured; a
 * plain login only from loopback) and, with a certificate, implicit TLS (SESAME_IMAPS_PORT). Limits
 * the connections per client address and per account, and on close tells every client `* BYE`.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import type { Config } from "../config/config.js";
import type { LoginService } from "../identity/login.service.js";
import type { MailboxAccess } from "../mail/mailbox-access.service.js";
import type { Logger } from "../shared/logger.js";
import type { ProtocolMetrics } from "../shared/metrics.js";
import { ImapSession, type SessionLimits } from "./session.js";

export interface ImapServer {
  /** The plain port (the one chosen when config.imapPort is 0). */
  readonly port: number;
  /** The implicit-TLS port, or null without a certificate. */
  readonly tlsPort: number | null;
  /** Open sessions (for the benchmark and the tests). */
  readonly sessions: number;
  close(): Promise<void>;
}

export interface ImapServerDeps {
  readonly login: Pick<LoginService, "authenticate">;
  readonly mailbox: MailboxAccess;
  readonly config: Config;
  readonly logger?: Logger;
  /** Shorter limits in tests. */
  readonly limits?: Partial<SessionLimits>;
  /** The monitoring's counts (connections, commands); none without it. */
  readonly metrics?: ProtocolMetrics;
}

export async function startImapServer(deps: ImapServerDeps, host = deps.config.smtpHost): Promise<ImapServer> {
  const { config } = deps;
  const log = deps.logger?.child({ component: "imap" });
  const tlsOptions = config.smtpTls
    ? {
        key: readFileSync(config.smtpTls.keyFile),
        cert: readFileSync(config.smtpTls.certFile),
        minVersion: "TLSv1.2" as const,
      }
    : null;
  const secureContext = tlsOptions ? tls.createSecureContext(tlsOptions) : null;
  const limits: SessionLimits = {
    idleTimeoutMs: 30 * 60_000,
    inactivityMs: 30 * 60_000,
    maxLineBytes: 64 * 1024,
    appendLimit: config.mailMaxBytes,
    ...deps.limits,
  };
  const sessions = new Set<ImapSession>();
  const perAddress = new Map<string, number>();
  const perAccount = new Map<number, number>();
  let closing = false;

  const accept = (socket: net.Socket, overTls: boolean) => {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    const address = socket.remoteAddress ?? "";
    if (closing) {
      socket.end("* BYE Server shutting down\r\n");
      return;
    }
    const open = perAddress.get(address) ?? 0;
    if (open >= config.imapMaxPerAddress) {
      log?.warn({ ip: address }, "imap: too many connections from one address");
      socket.end("* BYE Too many connections from your address\r\n");
      return;
    }
    perAddress.set(address, open + 1);
    deps.metrics?.imapConnection(overTls);
    let account: number | null = null;
    const session = new ImapSession(
      socket,
      {
        login: deps.login,
        mailbox: deps.mailbox,
        ...(log ? { logger: log } : {}),
        tls: secureContext,
        limits,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
        onLogin: (_s, accountId) => {
          const n = perAccount.get(accountId) ?? 0;
          if (n >= config.imapMaxPerAccount) return false;
          perAccount.set(accountId, n + 1);
          account = accountId;
          return true;
        },
      },
      { tls: overTls },
    );
    sessions.add(session);
    session.onClose = () => {
      sessions.delete(session);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
      if (account !== null) {
        const n = (perAccount.get(account) ?? 1) - 1;
        if (n <= 0) perAccount.delete(account);
        else perAccount.set(account, n);
      }
    };
    session.start();
  };

  const plain = net.createServer({ pauseOnConnect: false }, (socket) => accept(socket, false));
  plain.maxConnections = 200_000;
  const listen = (server: net.Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, host, backlog: 4096 }, () => {
        server.off("error", reject);
        const a = server.address();
        resolve(typeof a === "object" && a ? a.port : port);
      });
    });
  const port = await listen(plain, config.imapPort);
  let secure: tls.Server | null = null;
  let tlsPort: number | null = null;
  if (tlsOptions) {
    secure = tls.createServer(tlsOptions, (socket) => accept(socket, true));
    secure.on("tlsClientError", () => {});
    try {
      tlsPort = await listen(secure, config.imapsPort);
    } catch (error) {
      plain.close();
      throw error;
    }
  } else {
    log?.info("IMAP has no TLS certificate (SESAME_SMTP_TLS_CERT/KEY): only clients on loopback can log in");
  }

  return {
    port,
    tlsPort,
    get sessions() {
      return sessions.size;
    },
    async close() {
      closing = true;
      const stopped = Promise.all(
        [plain, secure]
          .filter((s): s is net.Server => s !== null)
          .map((s) => new Promise<void>((r) => s.close(() => r()))),
      );
      for (const s of sessions) s.shutdown();
      const deadline = new Promise<void>((r) => setTimeout(r, 5_000).unref());
      await Promise.race([stopped, deadline]);
    },
  };
}
