/**
 * SMTP reception for the mail domain (smtp-server). Thin: each hook parses what the client said,
 * calls one MailApi method, and maps its domain error to an SMTP reply (smtp-replies.ts).
 *
 * - RCPT TO: `mail.checkRecipient` (unknown or disabled → 550 5.1.1, over quota → 452 4.2.2); at most
 *   MAX_RECIPIENTS per message (452 4.5.3 beyond, RFC 5321 §4.5.3.1.8: the client sends the rest in
 *   another transaction). Each unknown recipient is counted by the harvest guard (harvest-guard.ts),
 *   which says whether its 550 goes at once, after a delay, or whether the session is closed instead
 *   (421 4.7.0); known recipients never wait.
 * - DATA: the message is kept in memory up to the size limit only (past it, the rest is read and
 *   dropped, and smtp-server answers 552 5.3.4); then ONE `mail.deliver` for every recipient (all or
 *   none), and 250 only once it has resolved, i.e. once the message is durable.
 * - Greeting: a client not seen recently waits 100 ms for it (early talkers are closed); one that
 *   waited and reached MAIL FROM is greeted at once for a day (smtp-data.ts, createGreetingGate).
 * - No AUTH (reception only); STARTTLS only when a certificate is configured.
 */
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerDataStream,
  type SMTPServerEnvelope,
  type SMTPServerOptions,
  type SMTPServerSession,
} from "smtp-server";
import type { Config } from "../config/config.js";
import { academieDomains } from "../directory/academie-domains.js";
import { systemClock } from "../shared/clock.js";
import { isDomainError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import type { ProtocolMetrics } from "../shared/metrics.js";
import { createHarvestGuard, type HarvestGuard, type HarvestSession, type HarvestVerdict } from "./harvest-guard.js";
import { createInboundCheck, type InboundCheck } from "./inbound-check.js";
import type { MailApi, Recipient } from "./mail.types.js";
import { defaultCheckThreads, type SenderCheckPool } from "./sender-check-pool.js";
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
  EMPTY_MESSAGE_REPLY,
  HARVEST_DROP_REPLY,
  LOCAL_ERROR_REPLY,
  OVERSIZED_REPLY,
  ownCodeError,
  replyFor,
  SHUTTING_DOWN_REPLY,
  type SmtpPhase,
  type SmtpReply,
  smtpError,
} from "./smtp-replies.js";
import { createSpamCheck, type SpamCheck } from "./spam-check.js";
import type { StatsRecorder } from "./stats-recorder.js";

export type SmtpReception = SmtpListener;

/** A message the sender checks refuse: answered with its own reply (550 5.7.1). */
class SenderRefused extends Error {
  constructor(readonly reply: SmtpReply) {
    super(reply.text);
  }
}

/** The part of MailApi the reception uses. */
export type ReceptionMailApi = Pick<MailApi, "maxMessageBytes" | "checkRecipient" | "deliver">;

export interface SmtpReceptionDeps {
  readonly mail: ReceptionMailApi;
  readonly config: Config;
  readonly logger?: Logger;
  /**
   * Counts unknown recipients per session and client address (services.harvest: in Redis when
   * configured, shared by the instances). Without it, a guard of this reception's own, in memory.
   */
  readonly harvest?: HarvestGuard;
  /** The sender checks (inbound-check.ts); without it, one made from the configuration. */
  readonly inbound?: InboundCheck;
  /**
   * The worker threads that check (services.senderChecks, shared with the intake's analyses), for
   * the sender checks made from the configuration; without it, workers of this reception's own.
   */
  readonly checks?: SenderCheckPool;
  /** spamd's scoring (services.spam, for its counts); without it, one made from the configuration. */
  readonly spam?: SpamCheck;
  /** The early-talker wait before the greeting (smtp-data.ts); without it, one of this reception's own. */
  readonly greeting?: GreetingGate;
  /** The dashboard's counts of messages received and refused (services.consoleStats); none without it. */
  readonly stats?: StatsRecorder;
  /** The monitoring's counts (sessions, answers to DATA by code); none without it. */
  readonly metrics?: ProtocolMetrics;
}

/** A value written into a trace header: printable ASCII only, bounded. */
function traceText(value: string | false | undefined | null): string {
  if (!value) return "unknown";
  return value.replace(/[^\x21-\x7e]/g, "").slice(0, 255) || "unknown";
}

/** RFC 5322 date-time in UTC, e.g. "Tue, 02 Jan 2024 10:00:00 +0000". */
function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, "+0000");
}

/**
 * The trace lines RFC 5321 §4.4 asks the final delivery server to add at the top of the message:
 * Return-Path (the envelope sender) and Received (who handed it over, from where, when).
 */
function traceHeaders(session: SMTPServerSession, domain: string, envelopeFrom: string, now: Date): Buffer {
  const helo = traceText(session.hostNameAppearsAs);
  const ip = traceText(session.remoteAddress);
  const protocol = traceText(session.transmissionType || "ESMTP");
  const returnPath = `<${envelopeFrom.replace(/[^\x21-\x7e]/g, "").slice(0, 512)}>`;
  return Buffer.from(
    `Return-Path: ${returnPath}\r\n` +
      `Received: from ${helo} ([${ip}])\r\n\tby ${domain} (Sesame) with ${protocol} id ${traceText(session.id)};\r\n\t${rfc5322Date(now)}\r\n`,
    "latin1",
  );
}

export async function startSmtpReception(
  deps: SmtpReceptionDeps,
  options: { port?: number; host?: string } = {},
): Promise<SmtpReception> {
  const { mail, config } = deps;
  const log = deps.logger?.child({ component: "smtp" });
  const maxBytes = mail.maxMessageBytes;
  const host = options.host ?? config.smtpHost;
  const port = options.port ?? config.smtpPort;

  // The recipients accepted at RCPT TO, per transaction (smtp-server makes a new envelope for each).
  const accepted = new WeakMap<SMTPServerEnvelope, Map<string, Recipient>>();
  const inFlight = new Set<Promise<unknown>>();
  let closing = false;
  const harvest = deps.harvest ?? createHarvestGuard({ clock: systemClock });
  const inbound =
    deps.inbound ??
    createInboundCheck({
      mailDomain: config.mailDomain,
      academieDomains: academieDomains(config.mailDomain, config.internalDomains),
      dnsServers: config.dnsServers,
      trustedRelays: config.trustedRelays,
      arcTrustedSealers: config.arcTrustedSealers,
      protectedDomains: config.protectedDomains,
      spam: deps.spam ?? createSpamCheck({ spamd: config.spamd, ...(log ? { logger: log } : {}) }),
      threads: defaultCheckThreads(),
      ...(deps.checks ? { checks: deps.checks } : {}),
      ...(log ? { logger: log } : {}),
    });
  // Per connection (smtp-server keeps one session object per connection, across transactions).
  const harvestSessions = new WeakMap<SMTPServerSession, HarvestSession>();
  // Answers held back by the harvest guard: answered at once (421) when the server stops.
  const delayed = new Set<() => void>();
  const later = (ms: number, answer: () => void) => {
    const fire = () => {
      clearTimeout(timer);
      if (delayed.delete(fire)) answer();
    };
    const timer = setTimeout(fire, ms);
    delayed.add(fire);
  };

  const refuse = (reply: SmtpReply) => smtpError(reply);
  const refusal = (error: unknown, phase: SmtpPhase, session: SMTPServerSession, what: string) => {
    const { reply, known } = replyFor(error, phase);
    if (known) {
      log?.info({ session: session.id, ip: session.remoteAddress, code: reply.code, what }, "smtp refused");
    } else {
      log?.error({ err: error, session: session.id, ip: session.remoteAddress, what }, "smtp local error");
    }
    return refuse(reply);
  };

  /** The answer to an unknown recipient, as the harvest guard decided it. */
  const answerUnknown = (
    verdict: HarvestVerdict,
    error: unknown,
    session: SMTPServerSession,
    callback: (err?: Error | null) => void,
  ) => {
    const who = { session: session.id, ip: session.remoteAddress, unknownRecipients: verdict.count };
    if (verdict.error !== undefined) log?.error({ err: verdict.error, ...who }, "smtp harvest count unavailable");
    if (verdict.action === "drop") {
      log?.warn(who, "smtp address harvesting: too many unknown recipients, session closed");
      return callback(ownCodeError(HARVEST_DROP_REPLY)); // smtp-server closes after a 421
    }
    if (verdict.action === "answer") return callback(refusal(error, "rcpt", session, "recipient"));
    if (verdict.delayStarts) {
      log?.warn({ ...who, delayMs: verdict.delayMs }, "smtp address harvesting suspected: unknown recipients delayed");
    }
    later(verdict.delayMs, () =>
      callback(closing ? refuse(SHUTTING_DOWN_REPLY) : refusal(error, "rcpt", session, "recipient")),
    );
  };

  /** Counts a final answer to DATA: 2xx received, 5xx refused (a 4xx is retried, and counted when final). */
  const countAnswer = (error: Error | null) => {
    const code = error ? Number((error as { responseCode?: unknown }).responseCode) : 250;
    const series = code < 300 ? "mail.received" : code >= 500 ? "mail.refused" : null;
    try {
      deps.metrics?.smtpMessage("reception", code);
      if (series) deps.stats?.count(series);
    } catch (failure) {
      log?.warn({ err: failure }, "smtp: the dashboard's count failed");
    }
  };

  const greeting = deps.greeting ?? createGreetingGate();
  const shared = sharedServerOptions(config, "Sesame mail reception", maxBytes, greeting);
  const serverOptions: SMTPServerOptions = {
    ...shared.options,
    disabledCommands: shared.starttls ? ["AUTH"] : ["AUTH", "STARTTLS"],
    authOptional: true,

    onConnect(session, callback) {
      deps.metrics?.smtpSession("reception");
      // The harvesting 421 carries its own enhanced code (4.7.0); the other replies keep smtp-server's.
      if (!ownEnhancedCodes(server.connections, session.id)) {
        log?.warn({ session: session.id }, "smtp: connection not found, default enhanced codes");
      }
      callback(closing ? refuse(SHUTTING_DOWN_REPLY) : null);
    },

    onMailFrom(_address, session, callback) {
      // The client waited for its greeting and went on: greeted at once next time.
      greeting.passed(session.remoteAddress);
      callback(closing ? refuse(SHUTTING_DOWN_REPLY) : null);
    },

    onRcptTo(address: SMTPServerAddress, session, callback) {
      if (closing) return callback(refuse(SHUTTING_DOWN_REPLY));
      const envelope = session.envelope;
      const args = envelope.mailFrom ? envelope.mailFrom.args : false;
      const declared = args ? args.SIZE : undefined;
      const sizeHint = typeof declared === "string" ? Number(declared) : undefined;
      // Through a promise even if the call throws at once: a refusal, never an exception in a socket event.
      Promise.resolve()
        .then(() => mail.checkRecipient(address.address, sizeHint))
        .then(
          (recipient) => {
            let map = accepted.get(envelope);
            if (!map) {
              map = new Map();
              accepted.set(envelope, map);
            }
            map.set(address.address.toLowerCase(), recipient);
            callback();
          },
          (error: unknown) => {
            if (!isDomainError(error, "RECIPIENT_UNKNOWN")) {
              return callback(refusal(error, "rcpt", session, "recipient"));
            }
            let tracked = harvestSessions.get(session);
            if (!tracked) {
              tracked = harvest.session(session.remoteAddress);
              harvestSessions.set(session, tracked);
            }
            tracked.unknownRecipient().then(
              (verdict) => answerUnknown(verdict, error, session, callback),
              (failure: unknown) => callback(refusal(failure, "rcpt", session, "harvest count")),
            );
          },
        );
    },

    onData(stream: SMTPServerDataStream, session, callback) {
      // readData settles once, and each path below answers once.
      const answer = (error: Error | null, message?: string) => {
        countAnswer(error);
        return error ? callback(error) : callback(null, message);
      };
      readData(stream, maxBytes).then(
        ({ chunks, kept, oversized }) => {
          if (oversized) {
            // smtp-server answers 552 5.3.4 itself (rejectOversized); this is for its log and ours.
            log?.info({ session: session.id, ip: session.remoteAddress, bytes: stream.byteLength }, "smtp too large");
            answer(refuse(OVERSIZED_REPLY));
            return;
          }
          if (closing) return answer(refuse(SHUTTING_DOWN_REPLY));
          if (kept === 0) {
            log?.info({ session: session.id, ip: session.remoteAddress }, "smtp empty message refused");
            return answer(refuse(EMPTY_MESSAGE_REPLY));
          }
          const envelope = session.envelope;
          const map = accepted.get(envelope);
          const byAccount = new Map<number, Recipient>();
          for (const rcpt of envelope.rcptTo) {
            const recipient = map?.get(rcpt.address.toLowerCase());
            if (recipient && !byAccount.has(recipient.accountId)) byAccount.set(recipient.accountId, recipient);
          }
          const recipients = [...byAccount.values()];
          if (recipients.length === 0) return answer(refuse(LOCAL_ERROR_REPLY)); // smtp-server asks for one first
          const envelopeFrom = envelope.mailFrom ? envelope.mailFrom.address : "";
          const received = Buffer.concat(chunks);
          chunks.length = 0;
          const delivery = Promise.resolve()
            .then(() =>
              inbound.decide(received, {
                ip: session.remoteAddress,
                helo: session.hostNameAppearsAs || session.remoteAddress,
                envelopeFrom,
              }),
            )
            .then((decision) => {
              if (decision.action === "refuse") {
                log?.info(
                  {
                    session: session.id,
                    ip: session.remoteAddress,
                    code: decision.reply.code,
                    reason: decision.reason,
                  },
                  "smtp message refused by the sender checks",
                );
                throw new SenderRefused(decision.reply);
              }
              // The trace lines are left out of a message that would go over the limit with them: a
              // message within the SIZE the server announced is never refused for what the server adds.
              const trace = traceHeaders(session, config.mailDomain, envelopeFrom, new Date());
              const raw =
                decision.raw.length + trace.length <= maxBytes ? Buffer.concat([trace, decision.raw]) : decision.raw;
              return mail.deliver(raw, recipients, {
                envelopeFrom,
                remoteIp: session.remoteAddress,
                inbound: decision.inbound,
              });
            });
          inFlight.add(delivery);
          delivery.then(
            (result) => {
              inFlight.delete(delivery);
              log?.debug(
                {
                  session: session.id,
                  ip: session.remoteAddress,
                  recipients: recipients.length,
                  bytes: received.length,
                },
                "smtp message stored",
              );
              answer(
                null,
                result.queuedAs === undefined
                  ? `OK: message stored (${result.messageIds.length} recipient(s))`
                  : `OK: queued as ${result.queuedAs}`,
              );
            },
            (error: unknown) => {
              inFlight.delete(delivery);
              if (error instanceof SenderRefused) return answer(ownCodeError(error.reply));
              answer(refusal(error, "data", session, "message"));
            },
          );
        },
        (error: unknown) => answer(refusal(error as Error, "data", session, "message stream")),
      );
    },
  };

  const server = new SMTPServer(serverOptions);
  const listener = await listenSmtp(server, {
    port,
    host,
    name: "SMTP reception",
    starttls: shared.starttls,
    log,
    inFlight,
    onClosing: () => {
      closing = true;
      for (const fire of [...delayed]) fire();
    },
    shuttingDown: SHUTTING_DOWN_REPLY,
  });
  if (deps.inbound) return listener; // its owner closes it
  return {
    ...listener,
    async close() {
      await listener.close();
      await inbound.close();
    },
  };
}
