/**
 * SMTP submission for desktop and phone clients, smtp-server on config.submissionPort.
 * Thin like the reception: each hook parses what the client said, calls one service (the login at
 * AUTH, the send service after DATA) and maps its domain error to an SMTP reply (smtp-replies.ts).
 *
 * - AUTH PLAIN or LOGIN, required before MAIL. Over TLS (STARTTLS with config.smtpTls) for every
 *   client; in plain text only for a client on loopback (127.0.0.0/8, ::1). A client elsewhere on a
 *   plain connection is not offered AUTH at all (per-session `disabledCommands`), as Postfix's
 *   `smtpd_tls_auth_only` does; without a certificate it cannot authenticate at all (logged at start).
 * - AUTH goes through LoginService.authenticate: the webmail's argon2, throttling per account and
 *   per client address, and audit (actor "smtp:submission"). An account still on its initial
 *   password (or an imposed one) cannot send: 535 telling them to sign in to the webmail first.
 * - MAIL FROM must be the account's address (553 5.7.1); RCPT TO: plausible syntax (550 5.1.3), at
 *   most MAX_RECIPIENTS (452 4.5.3 beyond, the client sends the rest in another transaction).
 * - DATA: kept in memory up to the size limit only (smtp-server answers 552 5.3.4 past it); then ONE
 *   `send.sendRaw` (which checks the From header, the sending limit, and sends), 250 once it resolves.
 *
 * smtp-server derives the enhanced status code from the basic one (550 → 5.1.1), which is wrong for
 * several replies here (550 5.7.1, 450 4.7.1…): the texts carry their own enhanced code
 * (`ownCodeError`) and each connection's `send` is told not to add another (`ownEnhancedCodes`,
 * smtp-data.ts).
 */
import net from "node:net";
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerAuthentication,
  type SMTPServerDataStream,
  type SMTPServerOptions,
  type SMTPServerSession,
} from "smtp-server";
import type { Config } from "../config/config.js";
import type { LoginService } from "../identity/login.service.js";
import type { Logger } from "../shared/logger.js";
import type { ProtocolMetrics } from "../shared/metrics.js";
import type { SendApi } from "./send.types.js";
import {
  createGreetingGate,
  type GreetingGate,
  listenSmtp,
  ownEnhancedCodes,
  readData,
  type SmtpListener,
  sharedServerOptions,
} from "./smtp-data.js";
import {
  AUTH_REQUIRED_REPLY,
  EMPTY_MESSAGE_REPLY,
  MUST_CHANGE_PASSWORD_REPLY,
  OVERSIZED_REPLY,
  ownCodeError,
  SENDER_NOT_OWNED_REPLY,
  SHUTTING_DOWN_REPLY,
  type SmtpReply,
  SUBMISSION_REPLIES,
  submissionReplyFor,
} from "./smtp-replies.js";

export type SmtpSubmission = SmtpListener;

export interface SmtpSubmissionDeps {
  readonly login: Pick<LoginService, "authenticate">;
  readonly send: Pick<SendApi, "sendRaw">;
  readonly config: Config;
  readonly logger?: Logger;
  /** The early-talker wait before the greeting (smtp-data.ts); without it, one of this server's own. */
  readonly greeting?: GreetingGate;
  /** The monitoring's counts (sessions, answers to DATA by code); none without it. */
  readonly metrics?: ProtocolMetrics;
}

/** A client on this machine: 127.0.0.0/8, ::1, or the IPv4-mapped form of a 127 address. */
export function isLoopback(address: string | null | undefined): boolean {
  if (!address) return false;
  let ip = address.trim().toLowerCase();
  if (ip.startsWith("::ffff:") && net.isIPv4(ip.slice(7))) ip = ip.slice(7);
  if (net.isIPv4(ip)) return ip.startsWith("127.");
  if (!net.isIPv6(ip)) return false;
  // Every spelling of ::1 (0:0:0:0:0:0:0:1, ::0:1…): expand and compare.
  const [head = "", tail = ""] = ip.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = ip.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
  return groups.length === 8 && groups.slice(0, 7).every((g) => /^0+$/.test(g)) && /^0*1$/.test(groups[7] ?? "");
}

/** A recipient that can be written in a message: local@domain, ASCII or UTF-8, bounded. */
export function isPlausibleAddress(address: string): boolean {
  if (address.length > 254 || /[\s<>()[\],;:"\\]/.test(address) || /\p{Cc}/u.test(address)) return false;
  const at = address.lastIndexOf("@");
  if (at <= 0 || at > 64) return false;
  const domain = address.slice(at + 1);
  const labels = domain.split(".");
  return (
    labels.length >= 2 &&
    labels.every((label) => label.length > 0 && label.length <= 63 && !label.startsWith("-") && !label.endsWith("-"))
  );
}

/** The authenticated account of a session. */
interface Sender {
  readonly accountId: number;
  readonly address: string;
}

export async function startSmtpSubmission(
  deps: SmtpSubmissionDeps,
  options: { port?: number; host?: string } = {},
): Promise<SmtpSubmission> {
  const { login, send, config } = deps;
  const log = deps.logger?.child({ component: "smtp-submission" });
  const maxBytes = config.mailMaxBytes;
  const host = options.host ?? config.smtpHost;
  const port = options.port ?? config.submissionPort;

  const senders = new WeakMap<SMTPServerSession, Sender>();
  const inFlight = new Set<Promise<unknown>>();
  let closing = false;

  const refuse = (reply: SmtpReply) => ownCodeError(reply);
  const refusal = (error: unknown, session: SMTPServerSession, what: string) => {
    const { reply, known } = submissionReplyFor(error);
    if (known) {
      log?.info({ session: session.id, ip: session.remoteAddress, code: reply.code, what }, "submission refused");
    } else {
      log?.error({ err: error, session: session.id, ip: session.remoteAddress, what }, "submission local error");
    }
    return refuse(reply);
  };
  /** The account of an authenticated session (smtp-server forgets the user at STARTTLS). */
  const senderOf = (session: SMTPServerSession): Sender | undefined =>
    session.user ? senders.get(session) : undefined;

  const greeting = deps.greeting ?? createGreetingGate();
  const shared = sharedServerOptions(config, "Sesame mail submission", maxBytes, greeting);
  const tls = shared.starttls;
  /** What a client that is neither on loopback nor on TLS may not use. */
  const plainRemoteDisabled = tls ? ["AUTH"] : ["AUTH", "STARTTLS"];

  const serverOptions: SMTPServerOptions = {
    ...shared.options,
    authMethods: ["PLAIN", "LOGIN"],
    authOptional: false,
    // smtp-server decides this for the whole server; the per-client rule is applied in onConnect
    // (AUTH not offered) and checked again in onAuth.
    allowInsecureAuth: true,
    disabledCommands: tls ? [] : ["STARTTLS"],

    onConnect(session, callback) {
      deps.metrics?.smtpSession("submission");
      if (!ownEnhancedCodes(server.connections, session.id)) {
        log?.warn({ session: session.id }, "submission: connection not found, default enhanced codes");
      }
      if (!isLoopback(session.remoteAddress)) session.disabledCommands = plainRemoteDisabled;
      callback(closing ? refuse(SHUTTING_DOWN_REPLY) : null);
    },

    onSecure(_socket, session, callback) {
      // Over TLS every client gets the server-wide list (AUTH offered); nothing from before counts.
      session.disabledCommands = undefined;
      senders.delete(session);
      callback();
    },

    onAuth(auth: SMTPServerAuthentication, session, callback) {
      if (closing) return callback(refuse(SHUTTING_DOWN_REPLY));
      if (!session.secure && !isLoopback(session.remoteAddress)) return callback(refuse(AUTH_REQUIRED_REPLY));
      const identifier = auth.username ?? "";
      const password = auth.password ?? "";
      if (identifier === "" || password === "") return callback(refuse(SUBMISSION_REPLIES.INVALID_CREDENTIALS));
      Promise.resolve()
        .then(() => login.authenticate({ identifier, password, ip: session.remoteAddress, channel: "smtp" }))
        .then(
          (account) => {
            if (account.mustChangePassword) {
              log?.info({ session: session.id, ip: session.remoteAddress }, "submission: password change required");
              return callback(refuse(MUST_CHANGE_PASSWORD_REPLY));
            }
            senders.set(session, { accountId: account.accountId, address: account.address });
            callback(null, { user: account.address });
          },
          (error: unknown) => callback(refusal(error, session, "auth")),
        );
    },

    onMailFrom(address: SMTPServerAddress, session, callback) {
      greeting.passed(session.remoteAddress);
      if (closing) return callback(refuse(SHUTTING_DOWN_REPLY));
      const sender = senderOf(session);
      if (!sender) return callback(refuse(AUTH_REQUIRED_REPLY));
      if (address.address.toLowerCase() !== sender.address.toLowerCase()) {
        log?.info({ session: session.id, ip: session.remoteAddress }, "submission: envelope sender refused");
        return callback(refuse(SENDER_NOT_OWNED_REPLY));
      }
      callback();
    },

    onRcptTo(address: SMTPServerAddress, session, callback) {
      if (closing) return callback(refuse(SHUTTING_DOWN_REPLY));
      if (!senderOf(session)) return callback(refuse(AUTH_REQUIRED_REPLY));
      if (!isPlausibleAddress(address.address)) return callback(refuse(SUBMISSION_REPLIES.INVALID_RECIPIENTS));
      callback();
    },

    onData(stream: SMTPServerDataStream, session, callback) {
      // readData settles once, and each path below answers once.
      const answer = (error: Error | null, message?: string) => {
        deps.metrics?.smtpMessage(
          "submission",
          error ? Number((error as { responseCode?: unknown }).responseCode) : 250,
        );
        return error ? callback(error) : callback(null, message);
      };
      readData(stream, maxBytes).then(
        ({ chunks, kept, oversized }) => {
          if (oversized) {
            // smtp-server answers 552 5.3.4 itself (rejectOversized).
            log?.info(
              { session: session.id, ip: session.remoteAddress, bytes: stream.byteLength },
              "submission too large",
            );
            return answer(refuse(OVERSIZED_REPLY));
          }
          if (closing) return answer(refuse(SHUTTING_DOWN_REPLY));
          const sender = senderOf(session);
          if (!sender) return answer(refuse(AUTH_REQUIRED_REPLY));
          if (kept === 0) return answer(refuse(EMPTY_MESSAGE_REPLY));
          const raw = Buffer.concat(chunks);
          chunks.length = 0;
          const envelope = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          };
          const sending = Promise.resolve().then(() =>
            send.sendRaw(sender.accountId, raw, envelope, { ip: session.remoteAddress }),
          );
          inFlight.add(sending);
          sending.then(
            (result) => {
              inFlight.delete(sending);
              log?.info(
                {
                  session: session.id,
                  ip: session.remoteAddress,
                  accountId: sender.accountId,
                  delivered: result.delivered.length,
                  queued: result.queued.length,
                },
                "submission sent",
              );
              answer(null, `OK: message sent (${result.delivered.length} delivered, ${result.queued.length} queued)`);
            },
            (error: unknown) => {
              inFlight.delete(sending);
              answer(refusal(error, session, "message"));
            },
          );
        },
        (error: unknown) => answer(refusal(error as Error, session, "message stream")),
      );
    },
  };

  const server = new SMTPServer(serverOptions);
  const listener = await listenSmtp(server, {
    port,
    host,
    name: "SMTP submission",
    starttls: tls,
    log,
    inFlight,
    onClosing: () => {
      closing = true;
    },
    shuttingDown: SHUTTING_DOWN_REPLY,
  });
  if (!tls) {
    log?.warn(
      "SMTP submission has no TLS certificate (SESAME_SMTP_TLS_CERT/KEY): only clients on loopback can authenticate",
    );
  }
  return listener;
}
