/**
 * Webmail sign-in. The same answer, status and time for every failure (unknown account, wrong
 * password, disabled account, departed person): an unknown account still costs one argon2
 * verification against a dummy hash, and so does an account still on its initial password (the
 * NUMEN, checked through its keyed hash). Throttled per account (whether it exists or not) and per
 * client address (a proof-of-work challenge past a threshold). `authenticate` is the same check for
 * SMTP submission, without a session (past the per-address threshold it refuses: no challenge there).
 */
import type { AuditEventInput, AuditService } from "../audit/audit.service.js";
import type { AuditAction } from "../audit/audit-actions.js";
import type { DirectoryService } from "../directory/directory.service.js";
import type { Account, StoredCredentials } from "../directory/directory.types.js";
import type { Clock } from "../shared/clock.js";
import { sha256Hex } from "../shared/crypto.js";
import { DomainError } from "../shared/errors.js";
import type { ChallengeService } from "./challenge.js";
import type { PasswordHasher } from "./password-hasher.js";
import type { Session, SessionService } from "./session.service.js";
import type { BackoffThrottle, WindowCounter } from "./throttle.js";

export interface LoginInput {
  readonly identifier: string;
  readonly password: string;
  readonly ip: string;
  readonly userAgent: string;
  /** The solved proof-of-work, when the form carried one. */
  readonly challenge?: string | undefined;
  /** Which application signs in (recorded with the session and in the audit trail). */
  readonly application?: "webmail" | "account";
}

export interface LoginSuccess {
  readonly token: string;
  readonly session: Session;
  readonly account: Account;
  /** The initial password (NUMEN) or an imposed one was used: change it before anything else. */
  readonly mustChangePassword: boolean;
}

/** A sign-in without a session (SMTP submission). */
export interface AuthenticateInput {
  readonly identifier: string;
  readonly password: string;
  readonly ip: string;
  /** The door asking: recorded as the audit actor ("smtp:submission", "imap", "web:console"). */
  readonly channel: "smtp" | "imap" | "console";
}

export interface Authenticated {
  readonly accountId: number;
  /** The account's mail address (the only sender it may use). */
  readonly address: string;
  /** Still on the initial password (NUMEN) or an imposed one. */
  readonly mustChangePassword: boolean;
}

export interface LoginDeps {
  readonly directory: DirectoryService;
  readonly hasher: PasswordHasher;
  readonly sessions: SessionService;
  /** LIMITS["login-account"] and LIMITS["login-ip"] (limits.ts). */
  readonly accountThrottle: BackoffThrottle;
  readonly ipFailures: WindowCounter;
  readonly challenge: ChallengeService;
  readonly audit: AuditService;
  readonly clock: Clock;
}

/** What a re-authentication was asked for (recorded in the audit trail). */
export type ReauthPurpose = "forwarding" | "recovery_email" | "sessions";

/** The password typed again in a live session (what the settings and recovery services need of LoginService). */
export type Reauthenticator = Pick<LoginService, "reauthenticate">;

/** Normalised form of what was typed in the username field (username or full address). */
export function normalizeIdentifier(raw: string): string {
  return raw.normalize("NFC").trim().toLowerCase();
}

/** How long a page may reuse the answer to "does this address need a challenge?". */
const CHALLENGE_HINT_MS = 2_000;
const CHALLENGE_HINT_MAX = 10_000;

export class LoginService {
  /**
   * A short-lived hint for rendering the login page (every GET / would otherwise query the shared
   * counters). It only decides whether the page shows the widget: `login()` always asks the shared
   * store, so an instance with a stale hint refuses the attempt and shows the widget then.
   */
  readonly #challengeHints = new Map<string, { value: boolean; until: number }>();

  constructor(private readonly deps: LoginDeps) {}

  /** Whether the form for this client address must carry a proof-of-work challenge. */
  async challengeRequired(ip: string): Promise<boolean> {
    const now = this.deps.clock.now().getTime();
    const hint = this.#challengeHints.get(ip);
    if (hint && hint.until > now) return hint.value;
    const value = await this.deps.ipFailures.isOver(ipKey(ip));
    if (this.#challengeHints.size >= CHALLENGE_HINT_MAX) this.#challengeHints.clear();
    this.#challengeHints.set(ip, { value, until: now + CHALLENGE_HINT_MS });
    return value;
  }

  async login(input: LoginInput): Promise<LoginSuccess> {
    const application = input.application ?? "webmail";
    const actor = `web:${application}`;
    const meta = {
      username: normalizeIdentifier(input.identifier).slice(0, 256),
      ip: input.ip,
      userAgent: input.userAgent.slice(0, 256),
      application,
    };
    const record = this.#recorder(actor, meta);
    const { account, mustChangePassword } = await this.#verify(input, record, "challenge");
    // The session and the audit entry of the sign-in are written together (one statement on PostgreSQL).
    const { token, session } = await this.deps.sessions.start(
      account.id,
      mustChangePassword ? "password_change" : application,
      { ip: input.ip, userAgent: input.userAgent },
      undefined,
      {
        audit: this.deps.audit,
        event: this.#event(
          actor,
          meta,
          mustChangePassword ? "login.succeeded_must_change" : "login.succeeded",
          { accountId: account.id },
          account.id,
        ),
      },
    );
    return { token, session, account, mustChangePassword };
  }

  /**
   * The same check as `login` (argon2 or the NUMEN, throttling per account and per client address,
   * audit) for a door that keeps no session: SMTP submission. A client address past the login
   * threshold cannot solve a proof of work over SMTP, so it is refused (THROTTLED) instead.
   * Success is returned even when the password must still be changed: the caller decides.
   */
  async authenticate(input: AuthenticateInput): Promise<Authenticated> {
    const actor = { smtp: "smtp:submission", imap: "imap", console: "web:console" } as const;
    const record = this.#recorder(actor[input.channel], {
      username: normalizeIdentifier(input.identifier).slice(0, 256),
      ip: input.ip,
      channel: input.channel,
    });
    const { account, mustChangePassword } = await this.#verify(input, record, "refuse");
    await record(
      mustChangePassword ? "login.succeeded_must_change" : "login.succeeded",
      { accountId: account.id },
      account.id,
    );
    return { accountId: account.id, address: account.address, mustChangePassword };
  }

  /** An audit writer for one attempt: failures under "login", successes under the account. */
  #recorder(actor: string, meta: Record<string, unknown>) {
    return (action: AuditAction, details: Record<string, unknown> = {}, accountId?: number) =>
      this.deps.audit.record(this.#event(actor, meta, action, details, accountId));
  }

  #event(
    actor: string,
    meta: Record<string, unknown>,
    action: AuditAction,
    details: Record<string, unknown>,
    accountId?: number,
  ): AuditEventInput {
    return {
      actor,
      action,
      // Successes are filed under the account, for its sign-in history.
      entity: accountId === undefined ? "login" : "account",
      entityId: accountId ?? null,
      details: { ...meta, ...details },
    };
  }

  /**
   * The shared verification: per-IP check, per-account throttle, the hash (always run), failure
   * counting, and the rehash of an outdated hash. Records failures; the caller records the success.
   */
  async #verify(
    input: { identifier: string; password: string; ip: string; challenge?: string | undefined },
    record: (action: AuditAction, details?: Record<string, unknown>, accountId?: number) => Promise<unknown>,
    overIp: "challenge" | "refuse",
  ): Promise<{ account: Account; mustChangePassword: boolean }> {
    const { directory, hasher } = this.deps;
    const identifier = normalizeIdentifier(input.identifier);

    const credentials = await directory.credentials(identifier);
    // Throttle by account when it exists (username and address share one counter), else by what
    // was typed: the same policy either way, so the throttle tells nothing about existence.
    const key = credentials ? `login:acct:${credentials.account.id}` : `login:name:${sha256Hex(identifier)}`;
    // Both throttle reads (the account's and the client address's) in one query or round trip; the
    // address's rule is still applied first.
    const { decision, hasStreak, counterOver } = await this.deps.accountThrottle.checkWithCounter(
      key,
      this.deps.ipFailures,
      ipKey(input.ip),
    );
    if (counterOver) {
      if (overIp === "refuse") {
        await record("login.throttled", { reason: "ip" });
        throw new DomainError("THROTTLED", "too many failed attempts from this address");
      }
      if (!input.challenge || !(await this.deps.challenge.verify(input.challenge))) {
        await record("login.challenge_required");
        throw new DomainError("CHALLENGE_REQUIRED", "a solved proof-of-work challenge is required");
      }
    }
    if (!decision.allowed) {
      await record("login.throttled", { retryAt: decision.retryAt.toISOString(), reason: decision.reason });
      throw new DomainError("THROTTLED", "too many failed attempts for this account", { retryAt: decision.retryAt });
    }

    const usable =
      credentials !== null &&
      !credentials.account.disabled &&
      (credentials.account.holder.type === "external" || credentials.account.holder.status === "active") &&
      passwordInForce(credentials, this.deps.clock.now());
    let ok = false;
    if (usable && credentials.account.passwordState === "initial") {
      // The NUMEN, through its keyed hash; the dummy verification keeps the time of a real one.
      ok = directory.numenMatches(credentials.numenHash, input.password);
      await hasher.verifyDummy(input.password);
    } else if (usable && credentials.passwordHash !== null) {
      ok = await hasher.verify(credentials.passwordHash, input.password);
    } else {
      await hasher.verifyDummy(input.password);
    }

    if (!ok || !credentials) {
      const next = await this.deps.accountThrottle.recordFailure(key);
      await this.deps.ipFailures.recordFailure(ipKey(input.ip));
      this.#challengeHints.delete(input.ip);
      // Filed under the account when there is one (the helpdesk's card shows its last failures).
      await record(
        "login.failed",
        next.allowed ? {} : { throttledUntil: next.retryAt.toISOString() },
        credentials?.account.id,
      );
      throw new DomainError("INVALID_CREDENTIALS", "invalid username or password");
    }

    // The common case, a first try that succeeds, writes nothing here.
    if (hasStreak) await this.deps.accountThrottle.recordSuccess(key);
    const account = credentials.account;
    const mustChangePassword = account.passwordState !== "personal";
    if (!mustChangePassword && credentials.passwordHash !== null && hasher.needsRehash(credentials.passwordHash)) {
      const rehashed = await hasher.hash(input.password);
      await directory.setPasswordHash(account.id, rehashed, "personal", null);
    }
    return { account, mustChangePassword };
  }

  /**
   * The password typed again in a live session before a sensitive change (forwarding outside the
   * académie, the recovery address): the same checks as a sign-in (throttling per account and per
   * client address, the hash always run, failures audited). On success the session counts as
   * re-authenticated for 5 minutes, and the audit trail records it with what it was for.
   * A session re-authenticated less than 5 minutes ago needs no password: `reauthAt` is returned.
   */
  async reauthenticate(
    session: Session,
    password: string,
    input: { ip: string; purpose: ReauthPurpose },
  ): Promise<{ reauthAt: string }> {
    if (this.deps.sessions.isRecentlyReauthenticated(session) && session.reauthAt) {
      return { reauthAt: session.reauthAt };
    }
    if (password === "") {
      throw new DomainError("REAUTH_REQUIRED", "type the current password again", { field: "currentPassword" });
    }
    const account = await this.deps.directory.getAccountById(session.accountId);
    const record = this.#recorder(`web:${session.kind}`, { ip: input.ip, purpose: input.purpose, reauth: true });
    try {
      await this.#verify({ identifier: account.username, password, ip: input.ip }, record, "refuse");
    } catch (error) {
      if (error instanceof DomainError && error.code === "INVALID_CREDENTIALS") {
        throw new DomainError("INVALID_CREDENTIALS", "the current password is wrong", { field: "currentPassword" });
      }
      throw error;
    }
    const at = await this.deps.sessions.markReauthenticated(session);
    await record("account.reauthenticated", {}, account.id);
    return { reauthAt: at.toISOString() };
  }

  async logout(token: string | undefined, meta: { ip: string; userAgent: string }): Promise<void> {
    const ended = await this.deps.sessions.end(token);
    if (ended) {
      await this.deps.audit.record({
        actor: "web:webmail",
        action: "logout",
        entity: "account",
        entityId: ended.accountId,
        details: { ip: meta.ip, userAgent: meta.userAgent.slice(0, 256) },
      });
    }
  }
}

/**
 * The helpdesk's states, at every door (webmail, IMAP, submission, the console, the account page):
 * an account marked « compromis » signs in with nothing until a new password is set (through the
 * Assistance or a temporary password), and a temporary password is refused after its 24 hours.
 */
export function passwordInForce(c: Pick<StoredCredentials, "compromisedAt" | "passwordExpiresAt">, now: Date): boolean {
  return c.compromisedAt === null && (c.passwordExpiresAt === null || c.passwordExpiresAt > now.toISOString());
}

function ipKey(ip: string): string {
  return `login:ip:${ip}`;
}
