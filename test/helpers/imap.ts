/**
 * IMAP in tests: the server on a port of its own over a test's services, accounts with a personal
 * password, a real client (imapflow), and a raw conversation for the protocol-level tests where the
 * exact bytes matter.
 */
import net from "node:net";
import tls from "node:tls";
import { ImapFlow } from "imapflow";
import type { Account } from "../../src/directory/directory.types.js";
import { type ImapServer, startImapServer } from "../../src/imap/server.js";
import type { SessionLimits } from "../../src/imap/session.js";
import type { Services } from "../../src/services.js";
import { textMessage } from "./smtp.js";
import { accountOf, seedStaff, uniqueStaff } from "./web.js";

export const IMAP_PASSWORD = "Quatre chevaux galopent sous la pluie d'automne";

export function startImap(
  services: Services,
  limits: Partial<SessionLimits> = {},
  host = "127.0.0.1",
): Promise<ImapServer> {
  return startImapServer({ login: services.login, mailbox: services.mailbox, config: services.config, limits }, host);
}

/** A staff member whose account has a personal password (IMAP_PASSWORD). */
export async function imapAccount(services: Services): Promise<Account> {
  const row = uniqueStaff();
  await seedStaff(services, [row]);
  const account = await accountOf(services, row);
  await services.directory.setPasswordHash(account.id, await services.hasher.hash(IMAP_PASSWORD), "personal", null);
  return account;
}

/** Delivers a message to a local address through the store (as the SMTP reception does); its id. */
export async function deliverTo(
  services: Services,
  address: string,
  message: Buffer | { subject: string; body?: string },
): Promise<number> {
  const raw = Buffer.isBuffer(message)
    ? message
    : Buffer.from(
        textMessage({ to: address, subject: message.subject, ...(message.body ? { body: message.body } : {}) }),
      );
  const recipient = await services.mail.checkRecipient(address, raw.length);
  const id = (await services.mail.deliver(raw, [recipient])).messageIds[0];
  if (id === undefined) throw new Error("not delivered");
  return id;
}

/** An IMAP quoted string. */
export const quoted = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

/** imapflow, connected and logged in (plain text on loopback). */
export async function imapflow(port: number, user: string, pass = IMAP_PASSWORD): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass },
    logger: false,
    qresync: true,
  });
  await client.connect();
  return client;
}

/** A raw IMAP conversation: lines as the server sends them. */
export class RawImap {
  #socket: net.Socket;
  #buffer = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  #tag = 0;
  closed = false;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on("close", () => {
      this.closed = true;
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on("error", () => {});
  }

  static async connect(
    port: number,
    options: { host?: string; tls?: boolean } = {},
  ): Promise<{ client: RawImap; greeting: string }> {
    const host = options.host ?? "127.0.0.1";
    const socket = options.tls ? tls.connect({ port, host, rejectUnauthorized: false }) : net.connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? "secureConnect" : "connect", () => resolve());
      socket.once("error", reject);
    });
    const client = new RawImap(socket);
    const greeting = await client.line();
    return { client, greeting };
  }

  get socket(): net.Socket {
    return this.#socket;
  }

  /** STARTTLS: after the server's OK, the same connection continues over TLS. */
  async startTls(): Promise<string> {
    const answer = await this.command("STARTTLS");
    if (!/ OK /.test(answer.tagged)) return answer.tagged;
    const plain = this.#socket;
    plain.removeAllListeners("data");
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", () => resolve());
      secure.once("error", reject);
    });
    this.#socket = secure;
    this.#buffer = Buffer.alloc(0);
    secure.on("data", (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      for (const w of this.#waiters.splice(0)) w();
    });
    secure.on("close", () => {
      this.closed = true;
      for (const w of this.#waiters.splice(0)) w();
    });
    secure.on("error", () => {});
    return answer.tagged;
  }

  async #wait(timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no answer from the IMAP server in time")), timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The next line (without CRLF). */
  async line(timeoutMs = 10_000): Promise<string> {
    for (;;) {
      const at = this.#buffer.indexOf("\r\n");
      if (at >= 0) {
        const line = this.#buffer.subarray(0, at).toString("utf8");
        this.#buffer = this.#buffer.subarray(at + 2);
        return line;
      }
      if (this.closed) throw new Error("connection closed");
      await this.#wait(timeoutMs);
    }
  }

  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  /** Sends a command with a fresh tag; resolves with every line up to and including the tagged one. */
  async command(text: string, timeoutMs = 10_000): Promise<{ lines: string[]; tagged: string }> {
    const tag = `A${++this.#tag}`;
    this.write(`${tag} ${text}\r\n`);
    return this.until(tag, timeoutMs);
  }

  /** Every line up to the tagged response of `tag`. */
  async until(tag: string, timeoutMs = 10_000): Promise<{ lines: string[]; tagged: string }> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.line(timeoutMs);
      if (line.startsWith(`${tag} `)) return { lines, tagged: line };
      lines.push(line);
    }
  }

  /** Reads raw bytes (a literal's content). */
  async bytes(n: number, timeoutMs = 10_000): Promise<Buffer> {
    while (this.#buffer.length < n) {
      if (this.closed) throw new Error("connection closed");
      await this.#wait(timeoutMs);
    }
    const out = this.#buffer.subarray(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return out;
  }

  close(): void {
    this.#socket.destroy();
  }
}
