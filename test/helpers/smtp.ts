/**
 * SMTP test helpers: a raw SMTP client over node:net (to see every reply line and to send what no
 * well-behaved client would), nodemailer transports, accounts to deliver to, and a spy over the
 * mail service's reception methods, and a self-signed certificate for STARTTLS.
 */
import { execFileSync } from "node:child_process";
import net from "node:net";
import path from "node:path";
import nodemailer from "nodemailer";
import type { ReceptionMailApi } from "../../src/mail/smtp-reception.js";
import type { Services } from "../../src/services.js";
import { tempDir } from "./env.js";
import { accountOf, seedStaff, uniqueStaff } from "./web.js";

export interface SmtpReply {
  readonly code: number;
  /** Every line, without the "250-" / "250 " prefix. */
  readonly lines: readonly string[];
  /** The last line, whole (e.g. "550 5.1.1 Mailbox unknown…"). */
  readonly text: string;
}

/** A plain SMTP conversation: one command, one reply; the connection is never left half-read. */
export class RawSmtp {
  private buffer = "";
  private readonly replies: SmtpReply[] = [];
  private waiter: ((reply: SmtpReply | null) => void) | null = null;
  private closed = false;
  private current: string[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (data: string) => this.onData(data));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
      this.waiter?.(null);
      this.waiter = null;
    });
  }

  static async connect(port: number, host = "127.0.0.1"): Promise<{ client: RawSmtp; greeting: SmtpReply }> {
    const socket = net.connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const client = new RawSmtp(socket);
    const greeting = await client.reply();
    return { client, greeting };
  }

  /** Connects, reads the greeting and says EHLO. */
  static async open(port: number, host = "127.0.0.1"): Promise<RawSmtp> {
    const { client, greeting } = await RawSmtp.connect(port, host);
    if (greeting.code !== 220) throw new Error(`unexpected greeting ${greeting.text}`);
    const ehlo = await client.command("EHLO client.example.org");
    if (ehlo.code !== 250) throw new Error(`unexpected EHLO reply ${ehlo.text}`);
    return client;
  }

  private onData(data: string): void {
    this.buffer += data;
    let index = this.buffer.indexOf("\r\n");
    while (index >= 0) {
      const line = this.buffer.slice(0, index);
      this.buffer = this.buffer.slice(index + 2);
      this.current.push(line.slice(4));
      if (line.charAt(3) !== "-") {
        const reply = { code: Number(line.slice(0, 3)), lines: this.current, text: line };
        this.current = [];
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = null;
          w(reply);
        } else this.replies.push(reply);
      }
      index = this.buffer.indexOf("\r\n");
    }
  }

  /** The next reply; a closed connection without one is an error. */
  reply(): Promise<SmtpReply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(new Error("connection closed"));
    return new Promise<SmtpReply>((resolve, reject) => {
      this.waiter = (reply) => (reply ? resolve(reply) : reject(new Error("connection closed")));
    });
  }

  async command(line: string): Promise<SmtpReply> {
    this.socket.write(`${line}\r\n`, "latin1");
    return this.reply();
  }

  /** Writes without waiting for anything (for a body sent in parts). */
  async write(data: Buffer | string): Promise<void> {
    if (this.socket.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const onClose = () => reject(new Error("connection closed while writing"));
      this.socket.once("close", onClose);
      this.socket.once("drain", () => {
        this.socket.off("close", onClose);
        resolve();
      });
    });
  }

  /** DATA, then the message (dot-stuffed, CRLF-terminated) and the final dot: the reply to the message. */
  async data(message: Buffer | string): Promise<SmtpReply> {
    const go = await this.command("DATA");
    if (go.code !== 354) return go;
    await this.write(dotStuff(message));
    await this.write(".\r\n");
    return this.reply();
  }

  /** MAIL FROM, every RCPT TO, DATA: every reply. */
  async send(
    from: string,
    to: readonly string[],
    message: Buffer | string,
  ): Promise<{ mail: SmtpReply; rcpt: SmtpReply[]; data: SmtpReply | null }> {
    const mail = await this.command(`MAIL FROM:<${from}>`);
    const rcpt: SmtpReply[] = [];
    for (const address of to) rcpt.push(await this.command(`RCPT TO:<${address}>`));
    const data = rcpt.some((r) => r.code === 250) ? await this.data(message) : null;
    return { mail, rcpt, data };
  }

  async quit(): Promise<void> {
    if (this.closed) return;
    await this.command("QUIT").catch(() => undefined);
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A message body as DATA carries it: lines starting with a dot doubled, CRLF at the end. */
export function dotStuff(message: Buffer | string): Buffer {
  // Byte for byte: the text is handled as latin1 so that every byte (UTF-8 or not) stays as it is.
  const text = (Buffer.isBuffer(message) ? message : Buffer.from(message, "utf8")).toString("latin1");
  const normalized = text.replace(/\r?\n/g, "\r\n");
  const stuffed = normalized.replace(/(^|\r\n)\./g, "$1..");
  return Buffer.from(stuffed.endsWith("\r\n") || stuffed === "" ? stuffed : `${stuffed}\r\n`, "latin1");
}

/** nodemailer on a plain connection to the reception (STARTTLS when `requireTLS`). */
export function transport(port: number, options: { requireTLS?: boolean; pool?: boolean } = {}) {
  return nodemailer.createTransport({
    host: "127.0.0.1",
    port,
    secure: false,
    ignoreTLS: !options.requireTLS,
    requireTLS: options.requireTLS ?? false,
    tls: { rejectUnauthorized: false },
    ...(options.pool ? { pool: true, maxConnections: 1 } : {}),
  });
}

/** A fresh academic account (through the HR import); its address receives mail. */
export async function newAddress(services: Services): Promise<{ accountId: number; address: string }> {
  const [row] = await seedStaff(services, [uniqueStaff()]);
  if (!row) throw new Error("no row");
  const account = await accountOf(services, row);
  return { accountId: account.id, address: account.address };
}

/** The messages of an account's inbox (newest first), up to 200. */
export async function inbox(services: Services, accountId: number) {
  const folder = await services.mail.folderByRole(accountId, "inbox");
  const page = await services.mail.list(accountId, folder.id, null, 200);
  return { folder, items: page.items };
}

/** Records what reaches the service, and passes it on. */
export function spyMail(mail: ReceptionMailApi): {
  api: ReceptionMailApi;
  deliveries: { bytes: number; recipients: number[] }[];
} {
  const deliveries: { bytes: number; recipients: number[] }[] = [];
  return {
    deliveries,
    api: {
      maxMessageBytes: mail.maxMessageBytes,
      checkRecipient: (address, sizeHint) => mail.checkRecipient(address, sizeHint),
      deliver: (raw, recipients, meta) => {
        deliveries.push({ bytes: raw.length, recipients: recipients.map((r) => r.accountId) });
        return mail.deliver(raw, recipients, meta);
      },
    },
  };
}

/** A plain text message with a given Message-ID and subject. */
export function textMessage(
  options: { from?: string; to: string; subject: string; messageId?: string; body?: string } = {
    to: "",
    subject: "",
  },
): string {
  return [
    `From: ${options.from ?? "Expéditeur <sender@example.org>"}`,
    `To: ${options.to}`,
    `Subject: ${options.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${options.messageId ?? `<${Math.random().toString(36).slice(2)}@example.org>`}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    options.body ?? "Bonjour,\r\nceci est un message de test.\r\n",
  ].join("\r\n");
}

/** A self-signed certificate for localhost in a temporary folder (openssl). */
export function selfSigned(): { cert: string; key: string; remove(): void } {
  const dir = tempDir("sesame-tls-");
  const key = path.join(dir.dir, "key.pem");
  const cert = path.join(dir.dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-days",
      "1",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdio: "ignore" },
  );
  return { cert, key, remove: dir.remove };
}
