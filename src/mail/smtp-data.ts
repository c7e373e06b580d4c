/**
 * What the SMTP reception and the submission share: reading the DATA of a transaction (the bytes
 * are kept up to the size limit and no further — past it the client's bytes are read and dropped,
 * so that it can be answered 552 at the end without the server ever holding more than the limit),
 * the server options they have in common, replies that carry their own enhanced code, and listening
 * then stopping cleanly (work under way finishes, then every connection gets a 421).
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { SMTPServer, SMTPServerDataStream, SMTPServerOptions } from "smtp-server";
import type { Config } from "../config/config.js";
import { ExpiringMap } from "../shared/expiring-map.js";
import type { Logger } from "../shared/logger.js";
import { ENHANCED_PREFIX } from "./smtp-replies.js";

/** RFC 5321 §4.5.3.1.8 asks for at least 100; more go in another transaction. */
export const MAX_RECIPIENTS = 100;

/**
 * The options both servers share: the size limit (552 without buffering past it), limits and
 * timeouts, enhanced status codes, no reverse lookup, no library log, the greeting at once for
 * clients the gate knows, and STARTTLS with the configured certificate (hidden without one).
 * `starttls`: whether a certificate is configured.
 */
export function sharedServerOptions(
  config: Config,
  banner: string,
  maxBytes: number,
  greeting: GreetingGate,
): { options: SMTPServerOptions; starttls: boolean } {
  const tls = config.smtpTls;
  return {
    starttls: tls !== null,
    options: {
      name: config.mailDomain,
      banner,
      size: maxBytes,
      rejectOversized: true,
      hideENHANCEDSTATUSCODES: false,
      hideSTARTTLS: tls === null,
      ...(tls
        ? { key: readFileSync(tls.keyFile), cert: readFileSync(tls.certFile), minVersion: "TLSv1.2" as const }
        : {}),
      disableReverseLookup: true,
      greetingDelay: greeting.delayFor,
      maxClients: 250,
      maxRecipients: MAX_RECIPIENTS,
      socketTimeout: 60_000,
      closeTimeout: 10_000,
      logger: false,
    },
  };
}

/** The early-talker wait before the greeting for a client not seen recently (smtp-server's own). */
export const EARLY_TALKER_DELAY_MS = 100;
/** How long a client that waited for its greeting is greeted at once. */
export const WELL_BEHAVED_FOR_MS = 24 * 60 * 60 * 1000;
/** How many such clients are remembered (the oldest are forgotten first). */
export const WELL_BEHAVED_MAX = 10_000;

/**
 * The early-talker check where it helps, as Postfix's postscreen does: a client not seen recently
 * waits EARLY_TALKER_DELAY_MS for its greeting (smtp-server closes the session of a client that
 * talks before it: a spam engine that does not wait); a client that waited and went on to MAIL FROM
 * is remembered (per instance, in memory, bounded) and greeted at once for WELL_BEHAVED_FOR_MS.
 * `delayFor` is smtp-server's `greetingDelay` option (patches/smtp-server+*.patch adds it).
 */
export interface GreetingGate {
  delayFor(remoteAddress: string): number;
  /** The client waited for the greeting and sent a command after it. */
  passed(remoteAddress: string): void;
}

export function createGreetingGate(
  options: { now?: () => number; forMs?: number; max?: number; delayMs?: number } = {},
): GreetingGate {
  const delayMs = options.delayMs ?? EARLY_TALKER_DELAY_MS;
  const passed = new ExpiringMap<string, true>({
    ttlMs: options.forMs ?? WELL_BEHAVED_FOR_MS,
    max: options.max ?? WELL_BEHAVED_MAX,
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    delayFor: (remoteAddress) => (passed.get(remoteAddress) ? 0 : delayMs),
    passed: (remoteAddress) => passed.set(remoteAddress, true),
  };
}

/** What the servers rely on in smtp-server's connection object (`send` is also used by listenSmtp). */
interface WireConnection {
  readonly id: string;
  send(code: number, data?: string | string[], context?: string | false): void;
}

/**
 * Lets a reply text that starts with its own enhanced code go out as it is (without it smtp-server
 * would put its default one, derived from the basic code, in front). False when not found. Used by
 * the submission for all its replies, and by the reception for the replies that carry their own
 * code (the harvesting 421 4.7.0); texts without one keep smtp-server's default.
 */
export function ownEnhancedCodes(connections: Set<unknown>, sessionId: string): boolean {
  for (const candidate of connections) {
    const connection = candidate as WireConnection;
    if (connection.id !== sessionId || typeof connection.send !== "function") continue;
    const original = connection.send.bind(connection);
    connection.send = (code, data, context) =>
      original(
        code,
        data,
        context === undefined && typeof data === "string" && ENHANCED_PREFIX.test(data) ? false : context,
      );
    return true;
  }
  return false;
}

export interface ReceivedData {
  readonly chunks: Buffer[];
  /** Bytes kept (0 when oversized). */
  readonly kept: number;
  /** The message went past the limit (nothing is kept). */
  readonly oversized: boolean;
}

export function readData(stream: SMTPServerDataStream, maxBytes: number): Promise<ReceivedData> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let oversized = false;
    stream.on("data", (chunk: Buffer) => {
      if (oversized) return; // keep reading (the client is still sending), keep nothing
      if (kept + chunk.length > maxBytes || stream.sizeExceeded) {
        oversized = true;
        chunks.length = 0;
        kept = 0;
        return;
      }
      chunks.push(chunk);
      kept += chunk.length;
    });
    stream.once("error", reject);
    stream.once("end", () => {
      const over = oversized || stream.sizeExceeded;
      resolve({ chunks: over ? [] : chunks, kept: over ? 0 : kept, oversized: over });
    });
  });
}

export interface SmtpListener {
  /** The port actually listened on (useful with port 0). */
  readonly port: number;
  readonly host: string;
  /** Stops accepting, lets the work under way finish, then closes every connection (421). */
  close(): Promise<void>;
}

/**
 * Listens on `host:port`; connection errors (a reset socket, a failed TLS handshake) are the
 * client's problem: logged, never thrown (an unhandled 'error' event would end the process).
 */
export async function listenSmtp(
  server: SMTPServer,
  options: {
    readonly port: number;
    readonly host: string;
    /** "SMTP reception", "SMTP submission": for the log lines. */
    readonly name: string;
    readonly starttls: boolean;
    readonly log: Logger | undefined;
    /** The deliveries or sends under way: they finish (and get their 250) before connections go. */
    readonly inFlight: ReadonlySet<Promise<unknown>>;
    /** Called first when closing: new commands are refused from then on. */
    readonly onClosing: () => void;
    readonly shuttingDown: { readonly code: number; readonly text: string };
  },
): Promise<SmtpListener> {
  const { host, log, name } = options;
  await new Promise<void>((resolve, reject) => {
    const onListenError = (error: Error) => reject(error);
    server.once("error", onListenError);
    server.listen(options.port, host, () => {
      server.off("error", onListenError);
      server.on("error", (error: Error & { code?: string }) => {
        log?.debug({ err: error, code: error.code }, `${name}: connection error`);
      });
      resolve();
    });
  });
  const address = server.server.address() as AddressInfo;
  log?.info({ host, port: address.port, starttls: options.starttls }, `${name} listening on ${host}:${address.port}`);
  let stopping: Promise<void> | undefined;
  return {
    port: address.port,
    host,
    close() {
      stopping ??= (async () => {
        options.onClosing();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        while (options.inFlight.size > 0) await Promise.allSettled([...options.inFlight]);
        for (const connection of [...server.connections]) {
          connection.send(options.shuttingDown.code, options.shuttingDown.text); // a 421 also closes it
        }
        await closed;
        log?.info(`${name} stopped`);
      })();
      return stopping;
    },
  };
}
