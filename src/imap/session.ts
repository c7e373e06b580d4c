/**
 * One IMAP connection (RFC 9051 IMAP4rev2 and RFC 3501 IMAP4rev1): its state, one command at a time,
 * the untagged updates of the selected mailbox (new messages, flags, expunges: heard through the mail
 * store's change signals and read back from the database), and back-pressure both ways (the socket is
 * paused while a command runs or the reader holds enough; writes wait for the client to read).
 *
 * Thin like the other doors: commands parse their arguments and call the mail store (MailboxAccess)
 * or the login service; domain errors become tagged responses through replies.ts.
 */
import type { Socket } from "node:net";
import { type SecureContext, TLSSocket } from "node:tls";
import type { Authenticated, LoginService } from "../identity/login.service.js";
import type { ImapFolder, ImapRow, MailboxAccess } from "../mail/mailbox-access.service.js";
import { isLoopback } from "../mail/smtp-submission.js";
import type { Logger } from "../shared/logger.js";
import type { ProtocolMetrics } from "../shared/metrics.js";
import { FetchSyntaxError, fetchAttributes, flagsOf, parseFetch, UnknownCteError } from "./fetch.js";
import { type MimeTree, parseStructure, TREE_VERSION } from "./mime-structure.js";
import { decodeMailboxName, encodeMailboxName } from "./protocol/mailbox-name.js";
import { CommandReader, type ReaderEvent } from "./protocol/reader.js";
import { formatSet, parseSequenceSet } from "./protocol/sequence-set.js";
import type { ImapCommand, ImapOut, ImapToken } from "./protocol/types.js";
import { serialize } from "./protocol/writer.js";
import { type ImapReply, MUST_CHANGE_PASSWORD, replyFor, SERVER_BUG } from "./replies.js";
import { imapDay, parseSearch, SearchSyntaxError, type UidRanges } from "./search.js";
import { ccMailbox, parseSortCriteria, sortRows } from "./sort.js";

export interface SessionDeps {
  readonly login: Pick<LoginService, "authenticate">;
  readonly mailbox: MailboxAccess;
  readonly logger?: Logger;
  /** TLS for STARTTLS (null: not offered). */
  readonly tls: SecureContext | null;
  /** Called when the account is known (per-account connection limit); false refuses the login. */
  readonly onLogin: (session: ImapSession, accountId: number) => boolean;
  readonly limits: SessionLimits;
  /** The monitoring's count of commands (by name and answer); none without it. */
  readonly metrics?: ProtocolMetrics;
}

export interface SessionLimits {
  readonly idleTimeoutMs: number;
  /** Without a command (not IDLE). */
  readonly inactivityMs: number;
  readonly maxLineBytes: number;
  readonly appendLimit: number;
}

type State = "not-authenticated" | "authenticated" | "selected" | "logout";

interface Selected {
  readonly folder: ImapFolder;
  readonly readOnly: boolean;
  /** UIDs in message-number order, as this session has told the client. */
  uids: number[];
  /** The folder's MODSEQ up to which this session has told the client everything. */
  modseq: number;
}

const FLAGS_LIST = "(\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $Junk $NotJunk)";
const PERMANENT_FLAGS = "(\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $Junk $NotJunk \\*)";
const PAGE = 500;
const SPECIAL_USE: Record<string, string> = {
  drafts: "\\Drafts",
  sent: "\\Sent",
  junk: "\\Junk",
  trash: "\\Trash",
};
const MAX_UID = 4_294_967_295;

class CommandError extends Error {
  constructor(
    readonly status: "NO" | "BAD",
    readonly code: string | null,
    text: string,
  ) {
    super(text);
  }
}

const bad = (text: string, code: string | null = null) => new CommandError("BAD", code, text);
const no = (text: string, code: string | null = null) => new CommandError("NO", code, text);

export class ImapSession {
  #socket: Socket;
  readonly #deps: SessionDeps;
  readonly #reader: CommandReader;
  readonly remoteAddress: string;
  #state: State = "not-authenticated";
  #account: Authenticated | null = null;
  #selected: Selected | null = null;
  readonly #enabled = new Set<string>();
  #busy = false;
  /** The BYE text of a shutdown asked for while a command ran. */
  #shutdownAfterCommand: string | null = null;
  /** The tag of the command running and its tagged answer so far (for the monitoring). */
  #answer: { tag: string; status: "OK" | "NO" | "BAD" } | null = null;
  #idle: { tag: string; timer: NodeJS.Timeout } | null = null;
  #stopListening: (() => void) | null = null;
  #changed = false;
  #syncing: Promise<void> | null = null;
  #inactivity: NodeJS.Timeout | null = null;
  #closed = false;
  #closing = false;
  #tlsActive: boolean;
  /** A command waiting for a continuation line (AUTHENTICATE PLAIN without SASL-IR). */
  #awaitingLine: ((line: Buffer) => void) | null = null;

  constructor(socket: Socket, deps: SessionDeps, options: { tls: boolean }) {
    this.#socket = socket;
    this.#deps = deps;
    this.#tlsActive = options.tls;
    this.remoteAddress = socket.remoteAddress ?? "";
    this.#reader = new CommandReader({
      maxLineBytes: deps.limits.maxLineBytes,
      maxLiteralBytes: 64 * 1024,
      maxAppendLiteralBytes: deps.limits.appendLimit,
      maxDepth: 32,
    });
    this.#attach(socket);
  }

  get accountId(): number | null {
    return this.#account?.accountId ?? null;
  }

  #attach(socket: Socket): void {
    socket.on("data", (chunk: Buffer) => {
      this.#reader.push(chunk);
      if (this.#reader.buffered > 1024 * 1024 || (this.#busy && !this.#awaitingLine)) socket.pause();
      this.#pump();
    });
    socket.on("error", () => this.#destroy());
    socket.on("close", () => this.#destroy());
  }

  /** The greeting, once the connection is accepted. */
  start(): void {
    this.#write(`* OK [CAPABILITY ${this.#capabilities().join(" ")}] Sesame IMAP ready\r\n`);
    this.#touch();
  }

  /** Ends the session from the server's side (shutdown): BYE, then close. */
  shutdown(text = "Server shutting down"): void {
    if (this.#closed || this.#closing) return;
    // A command under way ends first (its tagged answer), then the BYE.
    if (this.#busy) {
      this.#shutdownAfterCommand = text;
      // A command waiting on the client (a continuation line) does not hold the stop for long.
      setTimeout(() => {
        this.#busy = false;
        this.shutdown(text);
      }, 3_000).unref();
      return;
    }
    this.#closing = true;
    this.#write(`* BYE ${text}\r\n`);
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 2_000).unref();
  }

  #destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#idle) clearTimeout(this.#idle.timer);
    if (this.#inactivity) clearTimeout(this.#inactivity);
    this.#stopListening?.();
    this.#stopListening = null;
    this.#socket.destroy();
    this.onClose?.();
  }

  onClose: (() => void) | null = null;

  #touch(): void {
    if (this.#inactivity) clearTimeout(this.#inactivity);
    if (this.#closed) return;
    this.#inactivity = setTimeout(() => {
      if (!this.#idle) this.shutdown("Autologout; idle for too long");
    }, this.#deps.limits.inactivityMs);
    this.#inactivity.unref();
  }

  // Writing

  #write(data: string | Buffer): boolean {
    if (this.#closed) return false;
    return this.#socket.write(data);
  }

  /** Writes and waits until the client has read enough (back-pressure for long answers). */
  async #send(data: string | Buffer): Promise<void> {
    if (this.#write(data) || this.#closed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#socket.off("drain", done);
        this.#socket.off("close", done);
        resolve();
      };
      this.#socket.on("drain", done);
      this.#socket.on("close", done);
    });
  }

  #out(value: ImapOut): Buffer {
    return serialize(value, { utf8: this.#enabled.has("UTF8=ACCEPT") });
  }

  #tagged(tag: string, status: "OK" | "NO" | "BAD", text: string, code: string | null = null): string {
    if (this.#answer?.tag === tag) this.#answer.status = status;
    return `${tag} ${status} ${code ? `[${code}] ` : ""}${text.replace(/[\r\n]+/g, " ")}\r\n`;
  }

  // Reading

  #pump(): void {
    if (this.#closed || (this.#busy && !this.#awaitingLine)) return;
    for (;;) {
      const event = this.#reader.next();
      if (!event) break;
      if (event.kind === "continue") {
        this.#write("+ Ready for literal data\r\n");
        continue;
      }
      if (event.kind === "line") {
        if (this.#idle) {
          this.#endIdle(event.line);
          continue;
        }
        const waiting = this.#awaitingLine;
        this.#awaitingLine = null;
        // The command waiting for this line goes on; it pumps again when it ends.
        if (waiting) {
          waiting(event.line);
          return;
        }
        continue;
      }
      if (this.#busy) return;
      if (event.kind === "error") {
        this.#write(`${event.tag ?? "*"} BAD ${event.text}\r\n`);
        if (event.fatal) {
          this.shutdown("Protocol error");
          return;
        }
        continue;
      }
      this.#run(event);
      return;
    }
    if (!this.#closed && this.#reader.buffered < 1024 * 1024 && (!this.#busy || this.#awaitingLine)) {
      this.#socket.resume();
    }
  }

  #run(event: Extract<ReaderEvent, { kind: "command" }>): void {
    this.#busy = true;
    this.#socket.pause();
    this.#touch();
    const { command } = event;
    const answer = { tag: command.tag, status: "OK" as "OK" | "NO" | "BAD" };
    this.#answer = answer;
    this.#execute(command)
      .catch((error: unknown) => this.#fail(command.tag, error))
      .finally(() => {
        this.#busy = false;
        this.#answer = null;
        this.#deps.metrics?.imapCommand(KNOWN_COMMANDS.has(command.name) ? command.name : "OTHER", answer.status);
        if (this.#shutdownAfterCommand !== null && this.#state !== "logout") {
          this.shutdown(this.#shutdownAfterCommand);
          return;
        }
        if (this.#state === "logout") {
          this.#socket.end();
          return;
        }
        this.#pump();
      });
  }

  #fail(tag: string, error: unknown): void {
    if (error instanceof CommandError) {
      this.#write(this.#tagged(tag, error.status, error.message, error.code));
      return;
    }
    if (error instanceof SearchSyntaxError) {
      const charset = error.message === "BADCHARSET";
      this.#write(
        this.#tagged(
          tag,
          charset ? "NO" : "BAD",
          charset ? "Only UTF-8 is supported" : error.message,
          charset ? "BADCHARSET (UTF-8)" : null,
        ),
      );
      return;
    }
    if (error instanceof FetchSyntaxError) {
      this.#write(this.#tagged(tag, "BAD", error.message));
      return;
    }
    if (error instanceof UnknownCteError) {
      this.#write(this.#tagged(tag, "NO", "Unknown Content-Transfer-Encoding", "UNKNOWN-CTE"));
      return;
    }
    const reply: ImapReply = replyFor(error) ?? SERVER_BUG;
    if (reply === SERVER_BUG) this.#deps.logger?.error({ err: error, ip: this.remoteAddress }, "imap: command failed");
    this.#write(this.#tagged(tag, reply.status, reply.text, reply.code));
  }

  // Commands

  #capabilities(): string[] {
    const caps = ["IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UNSELECT"];
    const mayLogin = this.#tlsActive || isLoopback(this.remoteAddress);
    if (this.#state === "not-authenticated") {
      if (this.#deps.tls && !this.#tlsActive) caps.push("STARTTLS");
      caps.push(mayLogin ? "AUTH=PLAIN" : "LOGINDISABLED");
      return caps;
    }
    caps.push(
      "UIDPLUS",
      "MOVE",
      "SPECIAL-USE",
      "CONDSTORE",
      "QRESYNC",
      "ESEARCH",
      "QUOTA",
      "QUOTA=RES-STORAGE",
      `APPENDLIMIT=${this.#deps.limits.appendLimit}`,
      "UTF8=ACCEPT",
      "BINARY",
      "STATUS=SIZE",
      "SORT",
    );
    return caps;
  }

  async #execute(cmd: ImapCommand): Promise<void> {
    const { tag, name, args } = cmd;
    const state = this.#state;
    const anyState: Record<string, () => Promise<void> | void> = {
      CAPABILITY: () => {
        this.#write(`* CAPABILITY ${this.#capabilities().join(" ")}\r\n`);
        this.#ok(tag, "CAPABILITY completed");
      },
      NOOP: async () => {
        await this.#sync();
        this.#ok(tag, "NOOP completed");
      },
      LOGOUT: () => {
        this.#write("* BYE Logging out\r\n");
        this.#ok(tag, "LOGOUT completed");
        this.#state = "logout";
      },
      ID: () => {
        this.#write(`* ID ("name" "Sesame" "vendor" "Sesame")\r\n`);
        this.#ok(tag, "ID completed");
      },
    };
    const handler = anyState[name];
    if (handler) return handler();
    if (state === "not-authenticated") {
      if (name === "STARTTLS") return this.#starttls(tag);
      if (name === "LOGIN") return this.#login(tag, args);
      if (name === "AUTHENTICATE") return this.#authenticate(tag, args);
      if (AUTHENTICATED_COMMANDS.has(name) || SELECTED_COMMANDS.has(name)) {
        throw bad("Command not valid before authentication");
      }
      throw bad(`Unknown command ${name.slice(0, 30)}`);
    }
    if (name === "STARTTLS" || name === "LOGIN" || name === "AUTHENTICATE") throw bad("Already authenticated");
    if (AUTHENTICATED_COMMANDS.has(name)) {
      await this.#authenticated(tag, name, args);
      return;
    }
    if (SELECTED_COMMANDS.has(name)) {
      if (state !== "selected" || !this.#selected) throw bad("No mailbox selected");
      await this.#selectedCommand(tag, name, args, this.#selected);
      return;
    }
    throw bad(`Unknown command ${name.slice(0, 30)}`);
  }

  #ok(tag: string, text: string, code: string | null = null): void {
    this.#write(this.#tagged(tag, "OK", text, code));
  }

  async #starttls(tag: string): Promise<void> {
    const context = this.#deps.tls;
    if (!context || this.#tlsActive) throw bad("STARTTLS not available");
    // Nothing the client pipelined before the handshake counts (RFC 9051 §6.2.1).
    if (this.#reader.buffered > 0) throw bad("Data after STARTTLS");
    this.#ok(tag, "Begin TLS negotiation now");
    const plain = this.#socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("close");
    plain.removeAllListeners("error");
    const secure = new TLSSocket(plain, { isServer: true, secureContext: context });
    this.#socket = secure;
    this.#tlsActive = true;
    this.#attach(secure);
    await new Promise<void>((resolve) => {
      secure.once("secure", () => resolve());
      secure.once("close", () => resolve());
      secure.once("error", () => resolve());
    });
  }

  #mayLogin(): void {
    if (!this.#tlsActive && !isLoopback(this.remoteAddress)) {
      throw no("Log in over TLS (STARTTLS or the IMAPS port)", "PRIVACYREQUIRED");
    }
  }

  async #login(tag: string, args: readonly ImapToken[]): Promise<void> {
    this.#mayLogin();
    if (args.length !== 2) throw bad("LOGIN needs a user name and a password");
    await this.#signIn(tag, astring(args[0]), astring(args[1]));
  }

  async #authenticate(tag: string, args: readonly ImapToken[]): Promise<void> {
    this.#mayLogin();
    const mechanism = args[0]?.type === "atom" ? args[0].value.toUpperCase() : "";
    if (mechanism !== "PLAIN") throw no("Unsupported authentication mechanism", "CANNOT");
    let response = args[1] ? astring(args[1]) : null;
    if (response === null) {
      this.#write("+ \r\n");
      const line = await new Promise<Buffer>((resolve) => {
        this.#awaitingLine = resolve;
        this.#reader.readRawLine();
        this.#pump();
      });
      response = line.toString("latin1").trim();
    }
    if (response === "*") throw bad("Authentication cancelled");
    const decoded = response === "=" ? "" : Buffer.from(response, "base64").toString("utf8");
    const [authzid = "", user = "", password = ""] = decoded.split("\u0000");
    if (decoded.split("\u0000").length !== 3 || user === "") throw bad("Invalid PLAIN response");
    if (authzid !== "" && authzid !== user) throw no("Authorization identity not permitted", "AUTHORIZATIONFAILED");
    await this.#signIn(tag, user, password);
  }

  async #signIn(tag: string, identifier: string, password: string): Promise<void> {
    if (identifier === "" || password === "") throw no("Invalid credentials", "AUTHENTICATIONFAILED");
    const account = await this.#deps.login.authenticate({
      identifier,
      password,
      ip: this.remoteAddress,
      channel: "imap",
    });
    if (account.mustChangePassword) {
      throw new CommandError("NO", MUST_CHANGE_PASSWORD.code, MUST_CHANGE_PASSWORD.text);
    }
    if (!this.#deps.onLogin(this, account.accountId)) {
      throw no("Too many connections for this account", "LIMIT");
    }
    this.#account = account;
    this.#state = "authenticated";
    this.#ok(tag, "Logged in", `CAPABILITY ${this.#capabilities().join(" ")}`);
  }

  // Authenticated state

  #mailboxName(token: ImapToken | undefined): string {
    if (!token) throw bad("Missing mailbox name");
    if (this.#enabled.has("UTF8=ACCEPT")) {
      if (token.type === "list") throw bad("Expected a mailbox name");
      try {
        const bytes = token.type === "atom" ? Buffer.from(token.value, "utf8") : token.value;
        return STRICT_UTF8.decode(bytes).normalize("NFC");
      } catch {
        throw bad("Invalid mailbox name (not UTF-8)");
      }
    }
    const raw = astring(token);
    const decoded = decodeMailboxName(raw);
    if (!decoded.ok) throw bad("Invalid mailbox name (modified UTF-7)");
    return decoded.value.normalize("NFC");
  }

  #wireName(path: string): ImapOut {
    const name = this.#enabled.has("UTF8=ACCEPT") ? path : encodeMailboxName(path);
    // An atom when it can be one (as Dovecot sends INBOX), else a quoted string or a literal.
    return /^[A-Za-z0-9_./&+,-]+$/.test(name) ? { atom: name } : name;
  }

  #accountId(): number {
    if (!this.#account) throw bad("Not authenticated");
    return this.#account.accountId;
  }

  async #folder(token: ImapToken | undefined): Promise<ImapFolder> {
    const name = this.#mailboxName(token);
    const folder = await this.#deps.mailbox.folderByPath(this.#accountId(), name);
    if (!folder) throw no("No such mailbox", "NONEXISTENT");
    return folder;
  }

  async #authenticated(tag: string, name: string, args: readonly ImapToken[]): Promise<void> {
    const accountId = this.#accountId();
    const box = this.#deps.mailbox;
    switch (name) {
      case "ENABLE": {
        const done: string[] = [];
        for (const a of args) {
          const cap = a.type === "atom" ? a.value.toUpperCase() : "";
          if (["CONDSTORE", "QRESYNC", "UTF8=ACCEPT", "IMAP4REV2"].includes(cap) && !this.#enabled.has(cap)) {
            this.#enabled.add(cap);
            if (cap === "QRESYNC") this.#enabled.add("CONDSTORE");
            done.push(cap === "IMAP4REV2" ? "IMAP4rev2" : cap);
          }
        }
        this.#write(`* ENABLED${done.map((c) => ` ${c}`).join("")}\r\n`);
        return this.#ok(tag, "ENABLE completed");
      }
      case "SELECT":
      case "EXAMINE":
        return this.#select(tag, name, args);
      case "CREATE": {
        const path = this.#mailboxName(args[0]).replace(/\/+$/, "");
        if (path.toUpperCase() === "INBOX") throw no("INBOX exists", "ALREADYEXISTS");
        await box.createFolder(accountId, path);
        return this.#ok(tag, "CREATE completed");
      }
      case "DELETE": {
        const folder = await this.#folder(args[0]);
        if (folder.role !== null) throw no("Special mailboxes cannot be deleted", "CANNOT");
        if (folder.hasChildren) throw no("Delete the mailboxes inside it first", "INUSE");
        if (this.#selected?.folder.id === folder.id) this.#unselect();
        await box.deleteFolder(accountId, folder.id);
        return this.#ok(tag, "DELETE completed");
      }
      case "RENAME": {
        const from = await this.#folder(args[0]);
        if (from.role !== null) throw no("Special mailboxes cannot be renamed", "CANNOT");
        await box.renameFolder(accountId, from, this.#mailboxName(args[1]));
        return this.#ok(tag, "RENAME completed");
      }
      case "SUBSCRIBE":
      case "UNSUBSCRIBE": {
        const folder = await this.#folder(args[0]);
        await box.subscribe(folder.id, name === "SUBSCRIBE");
        return this.#ok(tag, `${name} completed`);
      }
      case "LIST":
      case "LSUB":
        return this.#list(tag, name, args);
      case "NAMESPACE":
        this.#write(`* NAMESPACE (("" "/")) NIL NIL\r\n`);
        return this.#ok(tag, "NAMESPACE completed");
      case "STATUS":
        return this.#status(tag, args);
      case "APPEND":
        return this.#append(tag, args);
      case "IDLE":
        return this.#startIdle(tag);
      case "GETQUOTAROOT": {
        const folder = await this.#folder(args[0]);
        this.#write(
          Buffer.concat([Buffer.from("* QUOTAROOT "), this.#out(this.#wireName(folder.path)), Buffer.from(' ""\r\n')]),
        );
        await this.#quota();
        return this.#ok(tag, "GETQUOTAROOT completed");
      }
      case "GETQUOTA": {
        if (astring(args[0] ?? { type: "atom", value: "" }) !== "") throw no("No such quota root", "NONEXISTENT");
        await this.#quota();
        return this.#ok(tag, "GETQUOTA completed");
      }
      case "SETQUOTA":
        throw no("The quota is set by the administrators", "NOPERM");
      default:
        throw bad(`Unknown command ${name}`);
    }
  }

  async #quota(): Promise<void> {
    const used = await this.#deps.mailbox.usedBytes(this.#accountId());
    const limit = this.#deps.mailbox.quotaBytes;
    this.#write(`* QUOTA "" (STORAGE ${Math.ceil(used / 1024)} ${Math.floor(limit / 1024)})\r\n`);
  }

  async #select(tag: string, name: string, args: readonly ImapToken[]): Promise<void> {
    if (this.#selected) {
      this.#unselect();
      // RFC 7162 §3.2.11: a client using QRESYNC learns the previous mailbox is closed.
      if (this.#enabled.has("QRESYNC")) this.#write("* OK [CLOSED] Previous mailbox closed\r\n");
    }
    const folder = await this.#folder(args[0]);
    let qresync: { validity: number; modseq: number; known: UidRanges | null } | null = null;
    const params = args[1];
    if (params) {
      if (params.type !== "list") throw bad("Invalid SELECT parameters");
      for (let k = 0; k < params.items.length; k++) {
        const p = params.items[k];
        const pname = p?.type === "atom" ? p.value.toUpperCase() : "";
        if (pname === "CONDSTORE") this.#enabled.add("CONDSTORE");
        else if (pname === "QRESYNC") {
          if (!this.#enabled.has("QRESYNC")) throw bad("ENABLE QRESYNC first");
          const q = params.items[++k];
          if (q?.type !== "list" || q.items.length < 2) throw bad("Invalid QRESYNC parameters");
          const validity = Number(atomValue(q.items[0]));
          const modseq = Number(atomValue(q.items[1]));
          if (!Number.isSafeInteger(validity) || !Number.isSafeInteger(modseq)) throw bad("Invalid QRESYNC parameters");
          let known: UidRanges | null = null;
          const k3 = q.items[2];
          if (k3?.type === "atom") {
            const parsed = parseSequenceSet(k3.value, MAX_UID);
            if (!parsed.ok) throw bad(parsed.error);
            known = parsed.set.ranges();
          }
          qresync = { validity, modseq, known };
        } else throw bad(`Unknown SELECT parameter ${pname.slice(0, 30)}`);
      }
    }
    const box = this.#deps.mailbox;
    const state = await box.state(folder.id);
    const uids = await box.uids(folder.id);
    const modseq = Number(state?.highest_modseq ?? folder.highestModseq);
    const readOnly = name === "EXAMINE";
    const selected: Selected = { folder, readOnly, uids, modseq };
    this.#selected = selected;
    this.#state = "selected";
    const lines: (string | Buffer)[] = [
      `* ${uids.length} EXISTS\r\n`,
      ...(this.#enabled.has("IMAP4REV2") ? [] : ["* 0 RECENT\r\n"]),
      `* FLAGS ${FLAGS_LIST}\r\n`,
      `* OK [PERMANENTFLAGS ${readOnly ? "()" : PERMANENT_FLAGS}] Flags permitted\r\n`,
      `* OK [UIDVALIDITY ${folder.uidValidity}] UIDs valid\r\n`,
      `* OK [UIDNEXT ${Number(state?.uid_next ?? folder.uidNext)}] Predicted next UID\r\n`,
      `* OK [HIGHESTMODSEQ ${modseq}] Highest\r\n`,
    ];
    if (this.#enabled.has("IMAP4REV2")) {
      lines.push(
        Buffer.concat([Buffer.from(`* LIST () "/" `), this.#out(this.#wireName(folder.path)), Buffer.from("\r\n")]),
      );
    }
    for (const l of lines) this.#write(l);
    if (qresync && qresync.validity === folder.uidValidity) {
      const vanished = await this.#vanishedSince(selected, qresync.modseq, qresync.known ?? [[1, MAX_UID]]);
      if (vanished !== "") this.#write(`* VANISHED (EARLIER) ${vanished}\r\n`);
      await this.#streamChanged(folder.id, qresync.modseq, (row) => {
        const seq = seqOf(selected.uids, row.uid);
        if (seq > 0) {
          this.#queue(
            this.#fetchLine(seq, [
              { atom: "UID" },
              row.uid,
              { atom: "FLAGS" },
              flagsOf(row),
              { atom: "MODSEQ" },
              [row.modseq],
            ]),
          );
        }
      });
      await this.#flush();
    }
    this.#listen();
    this.#ok(tag, `${name} completed`, readOnly ? "READ-ONLY" : "READ-WRITE");
  }

  /**
   * The UIDs within `within` that left the folder after `modseq`, as a set. When the departures log
   * no longer goes back that far (pruned after 30 days), every UID in `within` below UIDNEXT that is
   * not in the folder now (RFC 7162 §3.2.5.2 allows that larger answer).
   */
  async #vanishedSince(selected: Selected, modseq: number, within: UidRanges): Promise<string> {
    const box = this.#deps.mailbox;
    if (modseq >= (await box.vanishedFloor(selected.folder.id))) {
      return formatSet((await box.vanishedSince(selected.folder.id, modseq)).filter((u) => inRanges(within, u)));
    }
    const state = await box.state(selected.folder.id);
    const top = Number(state?.uid_next ?? selected.folder.uidNext) - 1;
    return absentWithin(within, selected.uids, top);
  }

  #unselect(): void {
    this.#selected = null;
    this.#state = "authenticated";
  }

  /** Listens to the account's changes once per session (IDLE and the updates after each command). */
  #listen(): void {
    if (this.#stopListening || !this.#account) return;
    this.#stopListening = this.#deps.mailbox.listen(this.#account.accountId, () => {
      this.#changed = true;
      if (this.#idle) void this.#sync().catch(() => {});
    });
  }

  async #list(tag: string, name: string, args: readonly ImapToken[]): Promise<void> {
    // LIST [(selection-options)] reference pattern(s) [RETURN (return-options)]
    let k = 0;
    const selection = new Set<string>();
    if (name === "LIST" && args[0]?.type === "list") {
      for (const o of args[0].items) selection.add(atomValue(o).toUpperCase());
      k = 1;
    }
    const reference = this.#mailboxName(args[k]);
    const patternToken = args[k + 1];
    if (!patternToken) throw bad("LIST needs a reference and a pattern");
    const patterns =
      patternToken.type === "list"
        ? patternToken.items.map((t) => this.#mailboxName(t))
        : [this.#mailboxName(patternToken)];
    const returns = new Set<string>();
    let statusItems: string[] | null = null;
    if (args[k + 2]?.type === "atom" && atomValue(args[k + 2]).toUpperCase() === "RETURN") {
      const r = args[k + 3];
      if (r?.type !== "list") throw bad("RETURN needs a list");
      for (let j = 0; j < r.items.length; j++) {
        const opt = atomValue(r.items[j]).toUpperCase();
        if (opt === "STATUS") {
          const s = r.items[++j];
          if (s?.type !== "list") throw bad("STATUS needs a list");
          statusItems = s.items.map((x) => atomValue(x).toUpperCase());
        } else returns.add(opt);
      }
    }
    if (patterns.length === 1 && patterns[0] === "" && name === "LIST") {
      this.#write(`* LIST (\\Noselect) "/" ""\r\n`);
      return this.#ok(tag, "LIST completed");
    }
    const folders = await this.#deps.mailbox.folders(this.#accountId());
    const subscribedOnly = name === "LSUB" || selection.has("SUBSCRIBED");
    const specialOnly = selection.has("SPECIAL-USE");
    for (const f of folders) {
      const full = f.path;
      const matches = patterns.some((p) => matchPattern(`${reference}${p}`, full));
      if (!matches) continue;
      if (subscribedOnly && !f.subscribed) continue;
      if (specialOnly && !(f.role && SPECIAL_USE[f.role])) continue;
      const attrs: string[] = [f.hasChildren ? "\\HasChildren" : "\\HasNoChildren"];
      if (f.role && SPECIAL_USE[f.role] && (name === "LIST" || returns.has("SPECIAL-USE")))
        attrs.push(SPECIAL_USE[f.role] as string);
      if ((returns.has("SUBSCRIBED") || selection.has("SUBSCRIBED")) && f.subscribed) attrs.push("\\Subscribed");
      await this.#send(
        Buffer.concat([
          Buffer.from(`* ${name} (${attrs.join(" ")}) "/" `),
          this.#out(this.#wireName(full)),
          Buffer.from("\r\n"),
        ]),
      );
      if (statusItems) await this.#writeStatus(f, statusItems);
    }
    this.#ok(tag, `${name} completed`);
  }

  async #status(tag: string, args: readonly ImapToken[]): Promise<void> {
    const folder = await this.#folder(args[0]);
    const items = args[1];
    if (items?.type !== "list" || items.items.length === 0) throw bad("STATUS needs a list of items");
    await this.#writeStatus(
      folder,
      items.items.map((i) => atomValue(i).toUpperCase()),
    );
    this.#ok(tag, "STATUS completed");
  }

  async #writeStatus(folder: ImapFolder, items: readonly string[]): Promise<void> {
    const out: ImapOut[] = [];
    for (const item of items) {
      switch (item) {
        case "MESSAGES":
          out.push({ atom: item }, folder.messages);
          break;
        case "UIDNEXT":
          out.push({ atom: item }, folder.uidNext);
          break;
        case "UIDVALIDITY":
          out.push({ atom: item }, folder.uidValidity);
          break;
        case "UNSEEN":
          out.push({ atom: item }, folder.unseen);
          break;
        case "RECENT":
          out.push({ atom: item }, 0);
          break;
        case "SIZE":
          out.push({ atom: item }, folder.sizeBytes);
          break;
        case "HIGHESTMODSEQ":
          out.push({ atom: item }, folder.highestModseq);
          break;
        case "DELETED":
          out.push(
            { atom: item },
            (
              await this.#deps.mailbox.search(this.#accountId(), folder.id, {
                kind: "flag",
                flag: "deleted",
                set: true,
              })
            ).length,
          );
          break;
        default:
          throw bad(`Unknown STATUS item ${item.slice(0, 30)}`);
      }
    }
    await this.#send(
      Buffer.concat([
        Buffer.from("* STATUS "),
        this.#out(this.#wireName(folder.path)),
        Buffer.from(" "),
        this.#out(out),
        Buffer.from("\r\n"),
      ]),
    );
  }

  async #append(tag: string, args: readonly ImapToken[]): Promise<void> {
    const folder = await this.#folder(args[0]);
    let k = 1;
    let flags: ParsedFlags = { system: {}, keywords: [] };
    if (args[k]?.type === "list") {
      flags = parseFlags((args[k] as { items: readonly ImapToken[] }).items);
      k++;
    }
    let date: Date | null = null;
    const maybeDate = args[k];
    if (maybeDate?.type === "string" && !maybeDate.literal) {
      date = parseDateTime(maybeDate.value.toString("latin1"));
      if (!date) throw bad("Invalid date-time");
      k++;
    }
    const message = args[k];
    if (message?.type !== "string" || args.length !== k + 1) throw bad("APPEND needs a message literal");
    if (message.value.length > this.#deps.limits.appendLimit) throw no("Message too large", "TOOBIG");
    const id = await this.#deps.mailbox.append(
      this.#accountId(),
      folder.id,
      message.value,
      { ...flags.system, keywords: flags.keywords.join(" ") },
      date,
    );
    const [uid] = await this.#deps.mailbox.uidsOfIds(folder.id, [id]);
    if (this.#selected?.folder.id === folder.id) await this.#sync();
    this.#ok(tag, "APPEND completed", `APPENDUID ${folder.uidValidity} ${uid ?? 0}`);
  }

  #startIdle(tag: string): void {
    this.#listen();
    this.#write("+ idling\r\n");
    const timer = setTimeout(() => {
      this.#idle = null;
      this.shutdown("IDLE timed out");
    }, this.#deps.limits.idleTimeoutMs);
    timer.unref();
    this.#idle = { tag, timer };
    this.#reader.readRawLine();
    if (this.#changed) void this.#sync().catch(() => {});
  }

  #endIdle(line: Buffer): void {
    const idle = this.#idle;
    if (!idle) return;
    clearTimeout(idle.timer);
    this.#idle = null;
    this.#touch();
    if (line.toString("latin1").trim().toUpperCase() !== "DONE") {
      this.#write(this.#tagged(idle.tag, "BAD", "Expected DONE"));
      return;
    }
    this.#ok(idle.tag, "IDLE terminated");
  }

  // Selected state

  /** A sequence set as UID ranges (`uid`: the set is of UIDs). A string: what is wrong. */
  #resolve(set: string, uid: boolean, selected: Selected): UidRanges | string {
    const uids = selected.uids;
    const last = uids.at(-1) ?? 0;
    if (uid) {
      const parsed = parseSequenceSet(set, last);
      if (!parsed.ok) return parsed.error;
      return parsed.set.ranges();
    }
    if (uids.length === 0 && set.includes("*")) return "No messages (the mailbox is empty)";
    const parsed = parseSequenceSet(set, uids.length);
    if (!parsed.ok) return parsed.error;
    const out: [number, number][] = [];
    for (const [a, b] of parsed.set.ranges()) {
      if (a > uids.length) continue;
      const from = uids[a - 1] ?? 0;
      const to = uids[Math.min(b, uids.length) - 1] ?? 0;
      out.push([from, to]);
    }
    if (out.length === 0) return "Invalid message sequence number";
    return out;
  }

  #ranges(set: ImapToken | undefined, uid: boolean, selected: Selected): UidRanges {
    if (set?.type !== "atom") throw bad("Missing sequence set");
    const r = this.#resolve(set.value, uid, selected);
    if (typeof r === "string") throw bad(r);
    return r;
  }

  async #selectedCommand(tag: string, name: string, args: readonly ImapToken[], selected: Selected): Promise<void> {
    const uidCommand = name.startsWith("UID ");
    const base = uidCommand ? name.slice(4) : name;
    const accountId = this.#accountId();
    const box = this.#deps.mailbox;
    switch (base) {
      case "CHECK":
        await this.#sync();
        return this.#ok(tag, "CHECK completed");
      case "CLOSE":
      case "UNSELECT": {
        if (base === "CLOSE" && !selected.readOnly) await box.expunge(accountId, selected.folder.id);
        this.#unselect();
        return this.#ok(tag, `${base} completed`);
      }
      case "EXPUNGE":
        return this.#expunge(tag, selected, uidCommand ? this.#ranges(args[0], true, selected) : null);
      case "SEARCH":
        return this.#search(tag, args, selected, uidCommand);
      case "SORT":
        return this.#sort(tag, args, selected, uidCommand);
      case "FETCH":
        return this.#fetch(tag, args, selected, uidCommand);
      case "STORE":
        return this.#store(tag, args, selected, uidCommand);
      case "COPY":
      case "MOVE":
        return this.#copyOrMove(tag, base, args, selected, uidCommand);
      default:
        throw bad(`Unknown command ${name}`);
    }
  }

  #fetchLine(seq: number, attributes: ImapOut[]): Buffer {
    return Buffer.concat([Buffer.from(`* ${seq} FETCH `), this.#out(attributes), Buffer.from("\r\n")]);
  }

  /**
   * Calls `each` for the rows of these UID ranges, a page at a time (never the whole folder in
   * memory); what `each` queued is written after each page, waiting for the client to read.
   */
  async #streamRows(
    folderId: number,
    ranges: UidRanges,
    each: (row: ImapRow) => void | Promise<void>,
    changedSince?: number,
  ): Promise<void> {
    for (const [from, to] of ranges) {
      let next = from;
      while (next <= to) {
        const rows = await this.#deps.mailbox.rowsInRange(folderId, next, to, PAGE, changedSince);
        for (const row of rows) await each(row);
        await this.#flush();
        if (rows.length < PAGE) break;
        next = (rows.at(-1)?.uid ?? to) + 1;
      }
    }
  }

  /** Calls `each` for the rows changed after `modseq`, a page at a time, in MODSEQ order. */
  async #streamChanged(folderId: number, modseq: number, each: (row: ImapRow) => void): Promise<void> {
    let after: [number, number] | null = null;
    for (;;) {
      const rows = await this.#deps.mailbox.rowsChangedSince(folderId, modseq, after, PAGE);
      for (const row of rows) each(row);
      const last = rows.at(-1);
      if (rows.length < PAGE || !last) return;
      after = [last.modseq, last.uid];
    }
  }

  /** Output gathered for one write (FETCH lines of a page), sent by #flush. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  #queue(data: Buffer): void {
    this.#pending.push(data);
    this.#pendingBytes += data.length;
  }

  async #flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const data = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    await this.#send(data);
  }

  async #treeOf(row: ImapRow, raw: () => Promise<Buffer>): Promise<MimeTree> {
    const box = this.#deps.mailbox;
    const cached = await box.mimeTree(row.blob_id);
    if (cached) {
      try {
        const tree = JSON.parse(cached) as MimeTree;
        if (tree.version === TREE_VERSION) return tree;
      } catch {
        // recomputed below
      }
    }
    const tree = await parseStructure(await raw());
    await box.saveMimeTree(row.blob_id, JSON.stringify(tree));
    return tree;
  }

  async #fetch(tag: string, args: readonly ImapToken[], selected: Selected, uidCommand: boolean): Promise<void> {
    const ranges = this.#ranges(args[0], uidCommand, selected);
    const plan = parseFetch(args.slice(1), uidCommand);
    const condstore = this.#enabled.has("CONDSTORE") || plan.changedSince !== null;
    if (plan.changedSince !== null) this.#enabled.add("CONDSTORE");
    const box = this.#deps.mailbox;
    if (plan.vanished && plan.changedSince !== null) {
      const gone = await this.#vanishedSince(selected, plan.changedSince, ranges);
      if (gone !== "") await this.#send(`* VANISHED (EARLIER) ${gone}\r\n`);
    }
    const toMarkSeen: number[] = [];
    const markSeen = plan.setsSeen && !selected.readOnly;
    await this.#streamRows(
      selected.folder.id,
      ranges,
      async (row) => {
        const seq = seqOf(selected.uids, row.uid);
        if (seq === 0) return; // arrived after the client was told: not its yet
        let raw: Buffer | null = null;
        const body = async () => {
          raw ??= await box.raw(row.blob_id);
          return raw;
        };
        const tree = plan.needsTree ? await this.#treeOf(row, body) : null;
        if (plan.needsRaw) await body();
        let shown = row;
        if (markSeen && !row.seen) {
          toMarkSeen.push(row.id);
          shown = { ...row, seen: 1 };
        }
        const attributes = fetchAttributes(plan, { row: shown, raw, tree }, { condstore });
        if (shown !== row && !plan.items.some((i) => i.kind === "flags")) {
          attributes.push({ atom: "FLAGS" }, flagsOf(shown));
        }
        this.#queue(this.#fetchLine(seq, attributes));
        if (this.#pendingBytes > 256 * 1024) await this.#flush();
      },
      plan.changedSince ?? undefined,
    );
    if (toMarkSeen.length > 0) await box.setFlags(this.#accountId(), toMarkSeen, { seen: true });
    if (uidCommand) await this.#sync();
    this.#ok(tag, `${uidCommand ? "UID " : ""}FETCH completed`);
  }

  async #store(tag: string, args: readonly ImapToken[], selected: Selected, uidCommand: boolean): Promise<void> {
    if (selected.readOnly) throw no("Mailbox is read-only", "READ-ONLY");
    const ranges = this.#ranges(args[0], uidCommand, selected);
    let k = 1;
    let unchangedSince: number | null = null;
    if (args[k]?.type === "list") {
      const m = (args[k] as { items: readonly ImapToken[] }).items;
      if (atomValue(m[0]).toUpperCase() !== "UNCHANGEDSINCE") throw bad("Unknown STORE modifier");
      unchangedSince = Number(atomValue(m[1]));
      if (!Number.isSafeInteger(unchangedSince)) throw bad("Invalid UNCHANGEDSINCE");
      this.#enabled.add("CONDSTORE");
      k++;
    }
    const action = atomValue(args[k]).toUpperCase();
    const match = /^([+-]?)FLAGS(\.SILENT)?$/.exec(action);
    if (!match) throw bad("STORE needs FLAGS, +FLAGS or -FLAGS");
    const valueToken = args[k + 1];
    const flagTokens = valueToken?.type === "list" ? valueToken.items : args.slice(k + 1);
    const flags = parseFlags(flagTokens);
    const mode = match[1] === "+" ? "add" : match[1] === "-" ? "remove" : "set";
    const silent = match[2] !== undefined;

    const rows: ImapRow[] = [];
    await this.#streamRows(selected.folder.id, ranges, async (row) => {
      if (seqOf(selected.uids, row.uid) > 0) rows.push(row);
    });
    const modified: number[] = [];
    const targets = rows.filter((r) => {
      if (unchangedSince !== null && r.modseq > unchangedSince) {
        modified.push(uidCommand ? r.uid : seqOf(selected.uids, r.uid));
        return false;
      }
      return true;
    });
    const ids = targets.map((r) => r.id);
    const accountId = this.#accountId();
    const box = this.#deps.mailbox;
    if (ids.length > 0) {
      const system: Record<string, boolean> = {};
      for (const f of SYSTEM_FLAGS) {
        const has = flags.system[f] === true;
        if (mode === "set") system[f] = has;
        else if (has) system[f] = mode === "add";
      }
      await box.setFlags(accountId, ids, system);
      if (mode === "set" || flags.keywords.length > 0) await box.setKeywords(accountId, ids, mode, flags.keywords);
    }
    const after = await box.rowsOf(
      selected.folder.id,
      targets.map((r) => r.uid),
    );
    const condstore = this.#enabled.has("CONDSTORE");
    for (const row of after) {
      if (silent && !condstore) continue;
      const seq = seqOf(selected.uids, row.uid);
      const attrs: ImapOut[] = [];
      if (uidCommand) attrs.push({ atom: "UID" }, row.uid);
      if (!silent) attrs.push({ atom: "FLAGS" }, flagsOf(row));
      if (condstore) attrs.push({ atom: "MODSEQ" }, [row.modseq]);
      await this.#send(this.#fetchLine(seq, attrs));
    }
    if (uidCommand) await this.#sync();
    const code = modified.length > 0 ? `MODIFIED ${formatSet(modified)}` : null;
    this.#ok(tag, `${uidCommand ? "UID " : ""}STORE completed`, code);
  }

  async #copyOrMove(
    tag: string,
    base: "COPY" | "MOVE" | string,
    args: readonly ImapToken[],
    selected: Selected,
    uidCommand: boolean,
  ): Promise<void> {
    if (base === "MOVE" && selected.readOnly) throw no("Mailbox is read-only", "READ-ONLY");
    const ranges = this.#ranges(args[0], uidCommand, selected);
    const target = await this.#folder(args[1]);
    const rows: ImapRow[] = [];
    await this.#streamRows(selected.folder.id, ranges, async (row) => {
      if (seqOf(selected.uids, row.uid) > 0) rows.push(row);
    });
    if (rows.length === 0) return this.#ok(tag, `${base} completed (nothing to do)`);
    const box = this.#deps.mailbox;
    const accountId = this.#accountId();
    const ids = rows.map((r) => r.id);
    if (base === "COPY") {
      const made = await box.copy(accountId, ids, target.id);
      const newUids = await box.uidsOfIds(target.id, made);
      this.#ok(
        tag,
        "COPY completed",
        `COPYUID ${target.uidValidity} ${formatSet(
          rows.map((r) => r.uid),
          false,
        )} ${formatSet(newUids, false)}`,
      );
      return;
    }
    if (target.id === selected.folder.id) return this.#ok(tag, "MOVE completed");
    await box.move(accountId, ids, target.id);
    const newUids = await box.uidsOfIds(target.id, ids);
    await this.#send(
      `* OK [COPYUID ${target.uidValidity} ${formatSet(
        rows.map((r) => r.uid),
        false,
      )} ${formatSet(newUids, false)}] Moved\r\n`,
    );
    await this.#reportExpunged(
      selected,
      rows.map((r) => r.uid),
    );
    this.#ok(tag, `${uidCommand ? "UID " : ""}MOVE completed`);
  }

  async #expunge(tag: string, selected: Selected, only: UidRanges | null): Promise<void> {
    if (selected.readOnly) throw no("Mailbox is read-only", "READ-ONLY");
    const box = this.#deps.mailbox;
    const doomed = await box.search(this.#accountId(), selected.folder.id, {
      kind: "and",
      of: [{ kind: "flag", flag: "deleted", set: true }, ...(only ? [{ kind: "uids" as const, ranges: only }] : [])],
    });
    const known = doomed.filter((u) => seqOf(selected.uids, u) > 0);
    if (known.length > 0) {
      const rows = await box.rowsOf(selected.folder.id, known);
      await box.expunge(
        this.#accountId(),
        selected.folder.id,
        rows.map((r) => r.id),
      );
      await this.#reportExpunged(selected, known);
    }
    await this.#sync();
    this.#ok(tag, `${only ? "UID " : ""}EXPUNGE completed`);
  }

  /** Tells the client these UIDs are gone (EXPUNGE, or VANISHED with QRESYNC) and forgets them. */
  async #reportExpunged(selected: Selected, gone: readonly number[]): Promise<void> {
    const set = new Set(gone);
    if (this.#enabled.has("QRESYNC")) {
      const known = gone.filter((u) => seqOf(selected.uids, u) > 0);
      selected.uids = selected.uids.filter((u) => !set.has(u));
      if (known.length > 0) await this.#send(`* VANISHED ${formatSet(known)}\r\n`);
      return;
    }
    // Highest message number first: the numbers of those still to report do not shift.
    for (let seq = selected.uids.length; seq >= 1; seq--) {
      if (set.has(selected.uids[seq - 1] ?? 0)) {
        await this.#send(`* ${seq} EXPUNGE\r\n`);
      }
    }
    selected.uids = selected.uids.filter((u) => !set.has(u));
  }

  async #search(tag: string, args: readonly ImapToken[], selected: Selected, uidCommand: boolean): Promise<void> {
    const parsed = parseSearch(args, { resolve: (set, uid) => this.#resolve(set, uid, selected) });
    const found = await this.#deps.mailbox.search(this.#accountId(), selected.folder.id, parsed.criterion);
    // Only the messages this session has told the client of.
    const results = uidCommand
      ? found.filter((u) => seqOf(selected.uids, u) > 0)
      : found.map((u) => seqOf(selected.uids, u)).filter((n) => n > 0);
    let highest: number | null = null;
    if (parsed.usesModseq && results.length > 0) {
      const uids = uidCommand ? results : results.map((n) => selected.uids[n - 1] ?? 0);
      const rows = await this.#deps.mailbox.rowsOf(selected.folder.id, uids);
      highest = Math.max(...rows.map((r) => r.modseq));
    }
    if (parsed.returns) {
      const parts = [`* ESEARCH (TAG ${JSON.stringify(tag)})`];
      if (uidCommand) parts.push("UID");
      const r = new Set(parsed.returns);
      if (r.has("MIN") && results.length > 0) parts.push(`MIN ${Math.min(...results)}`);
      if (r.has("MAX") && results.length > 0) parts.push(`MAX ${Math.max(...results)}`);
      if (r.has("ALL") && results.length > 0) parts.push(`ALL ${formatSet(results)}`);
      if (r.has("COUNT")) parts.push(`COUNT ${results.length}`);
      if (highest !== null) parts.push(`MODSEQ ${highest}`);
      await this.#send(`${parts.join(" ")}\r\n`);
    } else {
      const sorted = [...results].sort((a, b) => a - b);
      let line = "* SEARCH";
      const chunks: string[] = [line];
      for (const n of sorted) chunks.push(` ${n}`);
      if (highest !== null) chunks.push(` (MODSEQ ${highest})`);
      line = chunks.join("");
      await this.#send(`${line}\r\n`);
    }
    if (uidCommand) await this.#sync();
    this.#ok(tag, `${uidCommand ? "UID " : ""}SEARCH completed`);
  }

  async #sort(tag: string, args: readonly ImapToken[], selected: Selected, uidCommand: boolean): Promise<void> {
    const criteria = parseSortCriteria(args[0]);
    if (typeof criteria === "string") throw bad(criteria);
    const charset = atomValue(args[1]).toUpperCase();
    if (charset !== "UTF-8" && charset !== "US-ASCII") throw no("Only UTF-8 is supported", "BADCHARSET (UTF-8)");
    const parsed = parseSearch(args.slice(2), { resolve: (set, uid) => this.#resolve(set, uid, selected) });
    if (parsed.returns) throw bad("RETURN is not supported with SORT");
    const box = this.#deps.mailbox;
    const found = (await box.search(this.#accountId(), selected.folder.id, parsed.criterion)).filter(
      (u) => seqOf(selected.uids, u) > 0,
    );
    const rows = (await box.sortRows(selected.folder.id, found)).sort((a, b) => a.uid - b.uid);
    const cc = new Map<number, string>();
    if (criteria.some((c) => c.key === "CC")) {
      for (const r of rows) {
        const raw = await box.raw(r.blob_id);
        const end = raw.indexOf("\r\n\r\n");
        cc.set(r.uid, ccMailbox(raw.subarray(0, end < 0 ? raw.length : end).toString("utf8")));
      }
    }
    const ordered = sortRows(rows, criteria, cc).map((r) => (uidCommand ? r.uid : seqOf(selected.uids, r.uid)));
    await this.#send(`* SORT${ordered.map((n) => ` ${n}`).join("")}\r\n`);
    if (uidCommand) await this.#sync();
    this.#ok(tag, `${uidCommand ? "UID " : ""}SORT completed`);
  }

  // Updates

  /**
   * Tells the client what changed in the selected mailbox since it was last told: UIDs gone
   * (EXPUNGE / VANISHED), new messages (EXISTS), flags changed (FETCH). Reads the database; runs one
   * at a time per session.
   */
  async #sync(): Promise<void> {
    if (this.#syncing) return this.#syncing;
    this.#syncing = (async () => {
      try {
        this.#changed = false;
        const selected = this.#selected;
        if (!selected) return;
        const box = this.#deps.mailbox;
        const state = await box.state(selected.folder.id);
        if (!state) {
          // The folder was deleted (by the webmail): the session cannot go on in it.
          this.shutdown("Mailbox deleted by another session");
          return;
        }
        const top = Number(state.highest_modseq);
        if (top <= selected.modseq) return;
        const gone = await box.vanishedSince(selected.folder.id, selected.modseq);
        if (gone.length > 0) await this.#reportExpunged(selected, gone);
        const last = selected.uids.at(-1) ?? 0;
        const fresh: number[] = [];
        const condstore = this.#enabled.has("CONDSTORE");
        await this.#streamChanged(selected.folder.id, selected.modseq, (row) => {
          if (row.uid > last) {
            fresh.push(row.uid);
            return;
          }
          const seq = seqOf(selected.uids, row.uid);
          if (seq === 0) return;
          const attrs: ImapOut[] = [{ atom: "UID" }, row.uid, { atom: "FLAGS" }, flagsOf(row)];
          if (condstore) attrs.push({ atom: "MODSEQ" }, [row.modseq]);
          this.#queue(this.#fetchLine(seq, attrs));
          if (this.#pendingBytes > 256 * 1024) void this.#flush();
        });
        await this.#flush();
        if (fresh.length > 0) {
          selected.uids.push(...fresh.sort((a, b) => a - b));
          await this.#send(`* ${selected.uids.length} EXISTS\r\n`);
        }
        selected.modseq = top;
      } finally {
        this.#syncing = null;
      }
    })();
    return this.#syncing;
  }
}

const SYSTEM_FLAGS = ["seen", "answered", "flagged", "deleted", "draft"] as const;
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });
type SystemFlag = (typeof SYSTEM_FLAGS)[number];

const AUTHENTICATED_COMMANDS = new Set([
  "ENABLE",
  "SELECT",
  "EXAMINE",
  "CREATE",
  "DELETE",
  "RENAME",
  "SUBSCRIBE",
  "UNSUBSCRIBE",
  "LIST",
  "LSUB",
  "NAMESPACE",
  "STATUS",
  "APPEND",
  "IDLE",
  "GETQUOTA",
  "GETQUOTAROOT",
  "SETQUOTA",
]);

const SELECTED_COMMANDS = new Set([
  "CHECK",
  "CLOSE",
  "UNSELECT",
  "EXPUNGE",
  "SEARCH",
  "FETCH",
  "STORE",
  "COPY",
  "MOVE",
  "SORT",
  "UID SORT",
  "UID SEARCH",
  "UID FETCH",
  "UID STORE",
  "UID COPY",
  "UID MOVE",
  "UID EXPUNGE",
]);

/** Every command name the server knows (the monitoring counts the others as OTHER). */
const KNOWN_COMMANDS: ReadonlySet<string> = new Set([
  "CAPABILITY",
  "NOOP",
  "LOGOUT",
  "ID",
  "STARTTLS",
  "LOGIN",
  "AUTHENTICATE",
  ...AUTHENTICATED_COMMANDS,
  ...SELECTED_COMMANDS,
]);

interface ParsedFlags {
  system: Partial<Record<SystemFlag, boolean>>;
  keywords: string[];
}

function parseFlags(tokens: readonly ImapToken[]): ParsedFlags {
  const out: ParsedFlags = { system: {}, keywords: [] };
  for (const t of tokens) {
    if (t.type !== "atom") throw bad("Flags are atoms");
    const v = t.value;
    if (v.startsWith("\\")) {
      const f = v.slice(1).toLowerCase();
      if ((SYSTEM_FLAGS as readonly string[]).includes(f)) out.system[f as SystemFlag] = true;
      else if (f === "recent") throw bad("\\Recent cannot be stored");
      else throw bad(`Unknown system flag ${v.slice(0, 30)}`);
    } else {
      if (!/^[!#$&'+\-.0-9:;<=>?@A-Z^_`a-z|~]{1,64}$/.test(v)) throw bad("Invalid keyword");
      if (!out.keywords.includes(v)) out.keywords.push(v);
    }
  }
  return out;
}

function astring(token: ImapToken | undefined): string {
  if (!token) throw bad("Missing argument");
  if (token.type === "list") throw bad("Expected a string");
  return token.type === "atom" ? token.value : token.value.toString("utf8");
}

function atomValue(token: ImapToken | undefined): string {
  if (!token || token.type === "list") return "";
  return token.type === "atom" ? token.value : token.value.toString("utf8");
}

/** The message number of a UID in the session's list (binary search), 0 when absent. */
function seqOf(uids: readonly number[], uid: number): number {
  let lo = 0;
  let hi = uids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = uids[mid] ?? 0;
    if (v === uid) return mid + 1;
    if (v < uid) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

/** The numbers of `ranges` (capped at `top`) not in `present` (sorted), as a set, without expanding ranges. */
function absentWithin(ranges: UidRanges, present: readonly number[], top: number): string {
  const out: string[] = [];
  let k = 0;
  for (const [a, b0] of ranges) {
    const b = Math.min(b0, top);
    let from = a;
    while (k < present.length && (present[k] ?? 0) < a) k++;
    while (from <= b) {
      const next = present[k];
      if (next === undefined || next > b) {
        out.push(from === b ? `${from}` : `${from}:${b}`);
        break;
      }
      if (next > from) out.push(next - 1 === from ? `${from}` : `${from}:${next - 1}`);
      from = next + 1;
      k++;
    }
  }
  return out.join(",");
}

function inRanges(ranges: UidRanges, n: number): boolean {
  return ranges.some(([a, b]) => n >= a && n <= b);
}

/** LIST's patterns: `*` anything, `%` anything but the delimiter; INBOX case-insensitive. */
function matchPattern(pattern: string, name: string): boolean {
  const norm = (s: string) =>
    s.toUpperCase().startsWith("INBOX") && (s.length === 5 || s[5] === "/") ? `INBOX${s.slice(5)}` : s;
  const p = norm(pattern);
  const n = norm(name);
  if (p.length > 1000) return false;
  const re = new RegExp(
    `^${p
      .split("")
      .map((c) => (c === "*" ? ".*" : c === "%" ? "[^/]*" : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("")}$`,
    "su",
  );
  return re.test(n);
}

/** APPEND's date-time (`"17-Jul-1996 02:44:25 -0700"`). */
function parseDateTime(value: string): Date | null {
  const m = /^\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(
    value.trim().padStart(1),
  );
  if (!m) return null;
  let day: string;
  try {
    day = imapDay(`${m[1]}-${m[2]}-${m[3]}`);
  } catch {
    return null;
  }
  const iso = `${day}T${m[4]}:${m[5]}:${m[6]}${m[7]}${m[8]}:${m[9]}`;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}
