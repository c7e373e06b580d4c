/**
 * A client of SpamAssassin's spamd (the SPAMC/1.5 protocol, as `spamc` speaks it): one connection
 * per message, `SYMBOLS` with the message's exact bytes, the answer's `Spam: True ; 7.2 / 5.0`
 * line and the names of the rules that hit.
 *
 * Written here rather than taken from npm: the only standalone client there, `spamc` (0.0.5, last
 * changed years ago, untyped), sends the message as a JS string (8-bit mail is re-encoded, so
 * spamd does not score the bytes that were received), decodes each TCP chunk on its own (a
 * multi-byte character split between two chunks is damaged), has an idle timeout instead of a
 * deadline (a spamd that trickles bytes holds the message for ever) and can call back twice;
 * `haraka-plugin-spamassassin` only runs inside Haraka. The protocol is small (spamd's
 * PROTOCOL file): a request line, a few headers, the message; a status line, headers, a body.
 *
 * Every call has ONE deadline covering the connection and the whole answer (`timeoutMs`); past it
 * the socket is destroyed and the call fails with `SpamdError("timeout")`. An answer is bounded
 * (MAX_ANSWER_BYTES): SYMBOLS answers with one line of rule names.
 */
import net from "node:net";

/** What spamd said about one message. */
export interface SpamdVerdict {
  /** spamd's own decision: the score reached its threshold (`required_score`, 5.0 by default). */
  readonly spam: boolean;
  readonly score: number;
  readonly threshold: number;
  /** The rules that hit (e.g. GTUBE, MISSING_DATE). */
  readonly symbols: readonly string[];
}

export type SpamdFailure = "unreachable" | "timeout" | "protocol";

/** spamd could not score the message: not reachable, too slow, or an answer that is not SPAMD/1.x. */
export class SpamdError extends Error {
  override readonly name = "SpamdError";
  constructor(
    readonly failure: SpamdFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface SpamdClientOptions {
  readonly host: string;
  readonly port: number;
  /** Deadline of a call, connection and answer included (default 2000 ms). */
  readonly timeoutMs?: number;
}

export interface SpamdClient {
  /** Scores one message (its bytes as received). Rejects with SpamdError only. */
  check(raw: Buffer): Promise<SpamdVerdict>;
  /** Resolves once spamd answers PONG. Rejects with SpamdError only. */
  ping(): Promise<void>;
}

export const SPAMD_DEFAULT_TIMEOUT_MS = 2000;
/** Far more than a SYMBOLS answer needs (a status line, two headers, one line of rule names). */
const MAX_ANSWER_BYTES = 64 * 1024;
const PROTOCOL = "SPAMC/1.5";

const STATUS_RE = /^SPAMD\/\d+\.\d+ (\d+) ([\x21-\x7e ]*)$/;
const SPAM_RE = /^(True|False|Yes|No) ; (-?\d+(?:\.\d+)?) \/ (-?\d+(?:\.\d+)?)$/;

/**
 * Reads spamd's answer to CHECK or SYMBOLS (spamd's PROTOCOL file):
 *
 *   SPAMD/1.1 0 EX_OK\r\n
 *   Content-length: 55\r\n
 *   Spam: True ; 1000.0 / 5.0\r\n
 *   \r\n
 *   GTUBE,MISSING_DATE
 *
 * Throws SpamdError("protocol") for anything else (a status other than 0, no Spam header).
 */
export function parseSpamdAnswer(answer: Buffer): SpamdVerdict {
  const text = answer.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  const head = end === -1 ? text : text.slice(0, end);
  const body = end === -1 ? "" : text.slice(end + 4);
  const [statusLine = "", ...headerLines] = head.split("\r\n");
  const status = STATUS_RE.exec(statusLine);
  if (!status) throw new SpamdError("protocol", `spamd answered something else than SPAMD/1.x: ${shorten(statusLine)}`);
  if (status[1] !== "0") throw new SpamdError("protocol", `spamd could not score the message: ${shorten(statusLine)}`);
  let verdict: { spam: boolean; score: number; threshold: number } | null = null;
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon <= 0 || line.slice(0, colon).trim().toLowerCase() !== "spam") continue;
    const value = SPAM_RE.exec(line.slice(colon + 1).trim());
    if (!value) throw new SpamdError("protocol", `spamd answered an unreadable Spam header: ${shorten(line)}`);
    verdict = {
      spam: value[1] === "True" || value[1] === "Yes",
      score: Number(value[2]),
      threshold: Number(value[3]),
    };
  }
  if (!verdict) throw new SpamdError("protocol", "spamd answered without a Spam header");
  const symbols = body
    .split(/[,\s]+/)
    .filter((name) => /^[A-Za-z0-9_.-]{1,100}$/.test(name))
    .slice(0, 200);
  return { ...verdict, symbols };
}

function shorten(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > 80 ? `${printable.slice(0, 77)}…` : printable;
}

/** One request, one answer: the bytes spamd sent until it closed the connection. */
function exchange(options: SpamdClientOptions, request: Buffer): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? SPAMD_DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const socket = net.connect({ host: options.host, port: options.port });
    const finish = (error: SpamdError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    const deadline = setTimeout(
      () => finish(new SpamdError("timeout", `spamd at ${where(options)} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once("connect", () => {
      // The request, then the end of our side: spamd reads Content-length bytes, answers and closes.
      socket.end(request);
    });
    socket.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) {
        finish(new SpamdError("protocol", `spamd at ${where(options)} answered more than ${MAX_ANSWER_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    socket.once("end", () => finish(null));
    socket.once("close", () => finish(null));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      // Refused, unknown host, reset: what was received so far is no answer.
      finish(new SpamdError("unreachable", `spamd at ${where(options)}: ${error.code ?? error.message}`));
    });
  });
}

function where(options: SpamdClientOptions): string {
  return options.host.includes(":") ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
}

export function createSpamdClient(options: SpamdClientOptions): SpamdClient {
  return {
    async check(raw) {
      const head = Buffer.from(`SYMBOLS ${PROTOCOL}\r\nContent-length: ${raw.length}\r\n\r\n`, "latin1");
      return parseSpamdAnswer(await exchange(options, Buffer.concat([head, raw])));
    },
    async ping() {
      const answer = (await exchange(options, Buffer.from(`PING ${PROTOCOL}\r\n\r\n`, "latin1"))).toString("latin1");
      if (!/^SPAMD\/\d+\.\d+ 0 PONG\r?\n/.test(answer)) {
        throw new SpamdError("protocol", `spamd at ${where(options)} did not answer PONG: ${shorten(answer)}`);
      }
    },
  };
}
