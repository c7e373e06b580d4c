/**
 * Assistance à l'identification: the NUMEN path (NUMEN + birth date → username shown, password
 * changed), the external path (a single-use link sent to the recovery address), and the account
 * page reached with username and password (password, recovery address, sign-ins, sessions).
 *
 * Nothing tells whether a NUMEN, a birth date or an account exists: one generic failure, the same
 * queries either way. NUMEN + birth date is weak proof, so guessing is throttled per claimed NUMEN
 * (5 free failures, then waits doubling from 1 minute; at most 25 per 24 h) and per client address
 * (a proof-of-work after 10 failures in 10 minutes). Those limits, the reset links per account and
 * the code tries are declared in the table of identity/limits.ts.
 */
import { randomInt } from "node:crypto";
import type { AuditService } from "../audit/audit.service.js";
import type { AuditAction } from "../audit/audit-actions.js";
import type { DirectoryService } from "../directory/directory.service.js";
import type { Account } from "../directory/directory.types.js";
import { normalizeNumen, parseBirthDate } from "../directory/identifiers.js";
import type { ChallengeService } from "../identity/challenge.js";
import { LIMITS } from "../identity/limits.js";
import type { Reauthenticator } from "../identity/login.service.js";
import type { PasswordService } from "../identity/password.service.js";
import type { Session, SessionService } from "../identity/session.service.js";
import type { BackoffThrottle, WindowCounter } from "../identity/throttle.js";
import type { Clock } from "../shared/clock.js";
import { keyedHash, randomToken, safeEqual, sha256Hex } from "../shared/crypto.js";
import { DomainError, isDomainError } from "../shared/errors.js";
import {
  accountIdsByPreviousRecoveryEmail,
  cancelRecoveryEmailChangesFrom,
  cancelResetTokens,
  claimResetRequest,
  consumeCode,
  deleteResetRequest,
  findLiveCode,
  findRecoveryEmailChangeByCancelHash,
  findResetToken,
  insertRecoveryEmailChange,
  insertResetRequest,
  insertResetToken,
  markResetTokenUsed,
  type PendingResetRequest,
  recentRecoveryEmailChanges,
  replaceCode,
  spendCodeAttempt,
} from "./recovery.repository.js";

export type RecoveryAccountType = "academique" | "fonctionnel";
export const RECOVERY_ACCOUNT_TYPES: readonly RecoveryAccountType[] = ["academique", "fonctionnel"];

export const RECOVERY_SESSION_MS = 10 * 60_000;
export const RESET_LINK_MS = 15 * 60_000;
export const CODE_MS = 10 * 60_000;
/** Tries per emailed code (LIMITS["code-tries"], enforced by the code's row). */
export const CODE_ATTEMPTS = LIMITS["code-tries"].threshold;
/** After a change of recovery address, the previous one keeps reset links and notices this long. */
export const RECOVERY_CHANGE_GRACE_MS = 7 * 24 * 3_600_000;
/** A reset request taken by an instance that stopped is taken again after this. */
const RESET_REQUEST_LEASE_MS = 60_000;
/** How long after the answer a reset request is worked on. */
const RESET_REQUEST_DELAY_MS = 10;

/** The audit actions of a password change, wherever it was made (webmail, assistance, account page). */
const PASSWORD_CHANGE_ACTIONS = ["password.changed", "password.initial_replaced"] as const;

export interface Mailer {
  send(message: { to: string; subject: string; text: string }): Promise<void>;
}

/** The texts of the messages (French, from web/i18n/messages.fr.ts, passed in by the composition root). */
export interface RecoveryMessages {
  passwordChanged(p: {
    username: string;
    address: string;
    when: Date;
    ip: string;
    via: "webmail" | "assistance";
    /** The address forwarding went to, turned off with this change (null: none). */
    forwardingOff: string | null;
  }): {
    subject: string;
    text: string;
  };
  recoveryEmailChanged(p: {
    username: string;
    address: string;
    previous: string | null;
    next: string | null;
    when: Date;
    ip: string;
    /** The cancel link, in the message to the previous address only. */
    cancelLink: string | null;
    graceDays: number;
  }): { subject: string; text: string };
  resetLink(p: { username: string; link: string; minutes: number; when: Date; ip: string }): {
    subject: string;
    text: string;
  };
  code(p: { username: string; code: string; purpose: CodePurpose; minutes: number; attempts: number }): {
    subject: string;
    text: string;
  };
}

export interface RecoveryDeps {
  readonly directory: DirectoryService;
  readonly sessions: SessionService;
  readonly passwords: PasswordService;
  /** LIMITS["recovery-numen"], LIMITS["recovery-ip"] and LIMITS["reset-links"] (identity/limits.ts). */
  readonly numenThrottle: BackoffThrottle;
  readonly ipFailures: WindowCounter;
  readonly resetSends: WindowCounter;
  readonly challenge: ChallengeService;
  /** The password typed again before a sensitive change (LoginService). */
  readonly reauth: Reauthenticator;
  readonly mailer: Mailer;
  readonly messages: RecoveryMessages;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly secret: string;
  readonly publicUrl: string;
  readonly db: Parameters<typeof insertResetToken>[0];
  /** SESAME_RECOVERY_REQUIRE_CODE: the NUMEN path also asks a code sent to the recovery address. */
  readonly requireCode?: boolean;
  /** Told when a reset request could not be worked on (it is tried again later). */
  readonly logger?: { warn(obj: object, msg: string): void };
}

/** The password typed again for a sensitive change of the account page. */
export interface Reauth {
  readonly currentPassword: string;
  readonly ip: string;
}

export type CodePurpose = "recovery_email" | "recovery_signin";

export interface NumenSignInInput {
  readonly numen: string;
  readonly birthDate: string;
  readonly accountType: string;
  readonly ip: string;
  readonly userAgent: string;
  readonly challenge?: string | undefined;
}

/** Field-level problems of the NUMEN form, by field: the web layer words them. */
export type NumenFieldProblem = "missing" | "format" | "impossible" | "out_of_range" | "unknown" | "inside_domain";

function validationError(fields: Record<string, NumenFieldProblem>): DomainError {
  return new DomainError("VALIDATION_FAILED", `invalid fields: ${Object.keys(fields).join(", ")}`, { fields });
}

export class RecoveryService {
  constructor(private readonly deps: RecoveryDeps) {}

  private audit(action: AuditAction, details: Record<string, unknown>, accountId?: number) {
    return this.deps.audit.record({
      actor: "web:assistance",
      action,
      entity: accountId === undefined ? "recovery" : "account",
      entityId: accountId ?? null,
      details,
    });
  }

  challengeRequired(ip: string): Promise<boolean> {
    return this.deps.ipFailures.isOver(`recovery:ip:${ip}`);
  }

  /** Checks the form's format, field by field (what was typed is kept by the page). */
  parseNumenForm(input: Pick<NumenSignInInput, "numen" | "birthDate" | "accountType">): {
    numen: string;
    birthDate: string;
    accountType: RecoveryAccountType;
  } {
    const fields: Record<string, NumenFieldProblem> = {};
    const numen = normalizeNumen(input.numen);
    if (input.numen.trim() === "") fields.numen = "missing";
    else if (numen === null) fields.numen = "format";
    let birthDate = "";
    const rawDate = input.birthDate.trim();
    if (rawDate === "") fields.birthDate = "missing";
    else if (!/^\d{1,2}\/\d{1,2}\/\d{4}$/.test(rawDate)) fields.birthDate = "format";
    else {
      try {
        birthDate = parseBirthDate(rawDate, this.deps.clock.now());
      } catch (error) {
        if (!isDomainError(error, "INVALID_DATE")) throw error;
        fields.birthDate = /impossible/.test(error.message) ? "impossible" : "out_of_range";
      }
    }
    const accountType = RECOVERY_ACCOUNT_TYPES.find((t) => t === input.accountType);
    if (!accountType) fields.accountType = "unknown";
    if (Object.keys(fields).length > 0 || numen === null || !accountType) throw validationError(fields);
    return { numen, birthDate, accountType };
  }

  /** NUMEN + birth date: opens a 10-minute recovery session on the account(s) of that type. */
  async numenSignIn(input: NumenSignInInput): Promise<{ token: string; session: Session }> {
    const { numen, birthDate, accountType } = this.parseNumenForm(input);
    const meta = { ip: input.ip, userAgent: input.userAgent.slice(0, 256), accountType };
    const ipKey = `recovery:ip:${input.ip}`;
    if (await this.deps.ipFailures.isOver(ipKey)) {
      if (!input.challenge || !(await this.deps.challenge.verify(input.challenge))) {
        await this.audit("recovery.challenge_required", meta);
        throw new DomainError("CHALLENGE_REQUIRED", "a solved proof-of-work challenge is required");
      }
    }
    // Per claimed NUMEN, whether it exists or not (keyed hash: no NUMEN in clear anywhere).
    const key = `recovery:numen:${keyedHash(this.deps.secret, numen)}`;
    const { decision, hasStreak } = await this.deps.numenThrottle.checkWithStreak(key);
    if (!decision.allowed) {
      await this.audit("recovery.throttled", { ...meta, retryAt: decision.retryAt.toISOString() });
      throw new DomainError("THROTTLED", "too many failed attempts for this NUMEN", { retryAt: decision.retryAt });
    }
    const accounts = (await this.deps.directory.accountsByNumenAndBirthDate(numen, birthDate)).filter(
      (a) => a.kind === accountType,
    );
    const first = accounts[0];
    if (!first) {
      const next = await this.deps.numenThrottle.recordFailure(key);
      await this.deps.ipFailures.recordFailure(ipKey);
      await this.audit(
        "recovery.numen_failed",
        next.allowed ? meta : { ...meta, throttledUntil: next.retryAt.toISOString() },
      );
      throw new DomainError("IDENTIFICATION_FAILED", "no active person with an account of this type matches");
    }
    // The common case, a first try that succeeds, writes nothing here.
    if (hasStreak) await this.deps.numenThrottle.recordSuccess(key);
    if (this.deps.requireCode && first.recoveryEmail && first.recoveryConfirmed) {
      // NUMEN + birth date is weak proof: when configured, a code sent to the recovery address too.
      await this.sendCode(first, "recovery_signin", first.recoveryEmail);
      const pending = await this.deps.sessions.start(first.id, "recovery_pending", meta, RECOVERY_SESSION_MS);
      await this.audit("recovery.numen_succeeded_code_sent", meta, first.id);
      return pending;
    }
    const started = await this.deps.sessions.start(first.id, "recovery", meta, RECOVERY_SESSION_MS);
    await this.audit("recovery.numen_succeeded", meta, first.id);
    return started;
  }

  /** The accounts a recovery session may act on: the holder's accounts of the session's kind. */
  async recoveryAccounts(session: Session): Promise<Account[]> {
    const own = await this.deps.directory.getAccountById(session.accountId);
    const all = await this.deps.directory.accountsOfHolder(session.accountId);
    return all.filter((a) => a.kind === own.kind);
  }

  /**
   * Password change from a recovery session (no current password: the NUMEN path proved it). Like
   * every recovery, it turns forwarding off: returned, to be said on the confirmation page.
   */
  async changeFromRecovery(
    session: Session,
    accountId: number,
    input: { newPassword: string; confirmation: string; ip: string },
  ): Promise<{ account: Account; forwardingOff: string | null }> {
    const account = (await this.recoveryAccounts(session)).find((a) => a.id === accountId);
    if (!account) throw new DomainError("NOT_FOUND", "this account is not one of the recovery session's");
    const { forwardingOff } = await this.deps.passwords.change(
      {
        accountId,
        newPassword: input.newPassword,
        confirmation: input.confirmation,
        actor: "web:assistance",
        ip: input.ip,
        turnOffForwarding: true,
      },
      session.idHash,
    );
    return { account, forwardingOff };
  }

  /**
   * Password change from the account page: the current password is required. Marked « compte
   * compromis », it also turns forwarding off (returned, to be said on the page).
   */
  async changeFromAccountPage(
    session: Session,
    input: { currentPassword: string; newPassword: string; confirmation: string; ip: string; compromised?: boolean },
  ): Promise<{ forwardingOff: string | null }> {
    const account = await this.deps.directory.getAccountById(session.accountId);
    const { compromised, ...rest } = input;
    return this.deps.passwords.change(
      { ...rest, accountId: account.id, actor: "web:account", turnOffForwarding: compromised === true },
      session.idHash,
    );
  }

  /**
   * The recovery addresses of the last 7 days: the current one (when confirmed) and every one
   * replaced or removed since (a change cancelled from its link does not count).
   */
  async recentRecoveryAddresses(account: Account): Promise<string[]> {
    const since = this.#graceSince();
    const out = new Set<string>();
    for (const change of await recentRecoveryEmailChanges(this.deps.db, account.id, since)) {
      if (change.previousEmail) out.add(change.previousEmail);
    }
    if (account.recoveryEmail && account.recoveryConfirmed) out.add(account.recoveryEmail);
    return [...out];
  }

  /**
   * Where a reset link goes: the confirmed recovery address; but for 7 days after a change or a
   * removal, the address the account had before it (not the new one), so that whoever changed it
   * with a stolen session cannot take the account with a reset link.
   */
  async resetLinkAddress(account: Account): Promise<string | null> {
    const since = this.#graceSince();
    const [first] = await recentRecoveryEmailChanges(this.deps.db, account.id, since);
    if (first?.previousEmail) return first.previousEmail;
    return account.recoveryEmail && account.recoveryConfirmed ? account.recoveryEmail : null;
  }

  /** The start of the 7 days during which a replaced recovery address still counts. */
  #graceSince(): string {
    return new Date(this.deps.clock.now().getTime() - RECOVERY_CHANGE_GRACE_MS).toISOString();
  }

  /** Sends a notice to the account's own mailbox and to every recovery address of the last 7 days. */
  async notifyHolder(account: Account, message: { subject: string; text: string }): Promise<void> {
    const recipients = [account.address, ...(await this.recentRecoveryAddresses(account))];
    for (const to of recipients) await this.deps.mailer.send({ to, ...message });
  }

  /**
   * After every password change (webmail, assistance, reset link — PasswordService calls it): older
   * reset links die, and the holder is told at the account's address and at its recovery address.
   */
  async passwordChanged(
    accountId: number,
    ip: string,
    via: "webmail" | "assistance",
    forwardingOff: string | null = null,
  ): Promise<void> {
    const now = this.deps.clock.now();
    await cancelResetTokens(this.deps.db, accountId, now.toISOString());
    const fresh = await this.deps.directory.getAccountById(accountId);
    const message = this.deps.messages.passwordChanged({
      username: fresh.username,
      address: fresh.address,
      when: now,
      ip,
      via,
      forwardingOff,
    });
    // Every recovery address of the last 7 days: a swapped address must not hide the change.
    await this.notifyHolder(fresh, message);
  }

  /**
   * "Je suis un utilisateur externe": a username or a recovery address. The answer must take the
   * same time whether it matches or not, so the request is only recorded here (one INSERT, the same
   * either way) and worked on after the answer by `processResetRequests` (started at once, and by
   * the periodic purge for what an instance left when it stopped).
   */
  async requestResetLink(identifier: string, meta: { ip: string; userAgent: string }): Promise<void> {
    const value = identifier.trim();
    if (value === "") throw validationError({ identifier: "missing" });
    await insertResetRequest(this.deps.db, {
      identifier: value.slice(0, 320),
      ip: meta.ip,
      userAgent: meta.userAgent.slice(0, 256),
      createdAt: this.deps.clock.now().toISOString(),
    });
    this.#kickResetRequests();
  }

  #resetWork: Promise<void> | null = null;
  #stopped = false;

  #kickResetRequests(): void {
    // After the answer has left: the work starts a few milliseconds later (an SQLite query runs
    // synchronously, so work started at once could still hold the answer in this event loop).
    // One pending start at a time; a run started meanwhile (a caller, the purge) takes its place.
    this.#kick ??= setTimeout(() => {
      this.#kick = null;
      if (!this.#stopped) void this.processResetRequests();
    }, RESET_REQUEST_DELAY_MS);
  }

  #kick: NodeJS.Timeout | null = null;

  /** Stops taking reset requests, and resolves when the one being worked on is done (a clean stop). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#kick) clearTimeout(this.#kick);
    await this.#resetWork;
  }

  /**
   * Works on the recorded reset requests until none is left (several instances may run it: each
   * request is taken by one). Resolves when done, including the requests recorded before the call;
   * a request that fails is logged and left for later.
   */
  async processResetRequests(): Promise<void> {
    // This run takes every recorded request: no need for the pending start.
    if (this.#kick) {
      clearTimeout(this.#kick);
      this.#kick = null;
    }
    // A run already going may have looked for work before the caller's request was recorded.
    if (this.#resetWork) await this.#resetWork;
    if (this.#stopped) return;
    this.#resetWork ??= this.#drainResetRequests().finally(() => {
      this.#resetWork = null;
    });
    await this.#resetWork;
  }

  async #drainResetRequests(): Promise<void> {
    for (;;) {
      const now = this.deps.clock.now();
      const request = await claimResetRequest(
        this.deps.db,
        now.toISOString(),
        new Date(now.getTime() + RESET_REQUEST_LEASE_MS).toISOString(),
      );
      if (!request) return;
      try {
        await this.#handleResetRequest(request);
        await deleteResetRequest(this.deps.db, request.id);
      } catch (error) {
        this.deps.logger?.warn({ err: error }, "a reset request could not be worked on: it will be tried again");
        return;
      }
    }
  }

  /** A match with a recovery address gets a single-use link (at most 3 messages per account per hour). */
  async #handleResetRequest(request: PendingResetRequest): Promise<void> {
    const value = request.identifier;
    const meta = { ip: request.ip, userAgent: request.userAgent };
    const byName = value.includes("@") ? null : await this.deps.directory.findAccount(value);
    const byRecovery = value.includes("@") ? await this.deps.directory.accountsByRecoveryEmail(value) : [];
    // The address an account had before a change of the last 7 days still finds it.
    const since = this.#graceSince();
    const previousIds = value.includes("@")
      ? await accountIdsByPreviousRecoveryEmail(this.deps.db, value.toLowerCase(), since)
      : [];
    const byPrevious = await Promise.all(previousIds.map((id) => this.deps.directory.getAccountById(id)));
    const candidates = byName ? [byName] : [...byRecovery, ...byPrevious];
    const byAddress =
      value.includes("@") && candidates.length === 0 ? await this.deps.directory.findAccount(value) : null;
    const unique = new Map<number, Account>();
    for (const a of [...candidates, ...(byAddress ? [byAddress] : [])]) if (!a.disabled) unique.set(a.id, a);
    const targets: { account: Account; to: string }[] = [];
    for (const account of unique.values()) {
      const to = await this.resetLinkAddress(account);
      if (to) targets.push({ account, to });
    }
    await this.audit("recovery.link_requested", {
      ip: meta.ip,
      userAgent: meta.userAgent,
      matched: targets.length > 0,
    });
    for (const { account, to } of targets) await this.sendResetLink(account, to, meta);
  }

  /**
   * A single-use reset link sent to `to` (the address `resetLinkAddress` gives): at most 3 per
   * account per hour (LIMITS["reset-links"]). The external path and the console's helpdesk use it.
   */
  async sendResetLink(account: Account, to: string, meta: { ip: string }): Promise<"sent" | "throttled"> {
    const sendKey = `recovery:send:${account.id}`;
    if (await this.deps.resetSends.isOver(sendKey)) {
      await this.audit("recovery.link_throttled", { ip: meta.ip }, account.id);
      return "throttled";
    }
    await this.deps.resetSends.record(sendKey);
    const token = randomToken(32);
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (trx) => {
      await cancelResetTokens(trx, account.id, now.toISOString());
      await insertResetToken(trx, {
        tokenHash: sha256Hex(token),
        accountId: account.id,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + RESET_LINK_MS).toISOString(),
      });
    });
    const link = `${this.deps.publicUrl}/assistance/reinitialiser/${token}`;
    const message = this.deps.messages.resetLink({
      username: account.username,
      link,
      minutes: RESET_LINK_MS / 60_000,
      when: now,
      ip: meta.ip,
    });
    await this.deps.mailer.send({ to, ...message });
    await this.audit("recovery.link_sent", { ip: meta.ip }, account.id);
    return "sent";
  }

  /** The account a reset link opens, or INVALID_LINK (unknown, altered, expired, used, cancelled). */
  async accountOfResetLink(token: string): Promise<Account> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw new DomainError("INVALID_LINK", "malformed reset link");
    const stored = await findResetToken(this.deps.db, sha256Hex(token));
    const now = this.deps.clock.now().toISOString();
    if (!stored || stored.usedAt || stored.cancelledAt || stored.expiresAt <= now) {
      throw new DomainError("INVALID_LINK", "unknown, used, cancelled or expired reset link");
    }
    // A password change cancels the links sent before it, wherever it was made (passwordChanged,
    // called by PasswordService). The audit trail, written in the same transaction as every change,
    // is checked too, so that a link never outlives a change even if that call failed.
    const [lastChange] = await this.deps.audit.forEntity("account", stored.accountId, PASSWORD_CHANGE_ACTIONS, 1);
    if (lastChange && lastChange.at >= stored.createdAt) {
      throw new DomainError("INVALID_LINK", "the password changed after this link was sent");
    }
    const account = await this.deps.directory.getAccountById(stored.accountId);
    if (account.disabled) throw new DomainError("INVALID_LINK", "the account is disabled");
    return account;
  }

  /** The reset link's change; like every recovery, it turns forwarding off (returned for the page). */
  async resetWithLink(
    token: string,
    input: { newPassword: string; confirmation: string; ip: string },
  ): Promise<{ account: Account; forwardingOff: string | null }> {
    const account = await this.accountOfResetLink(token);
    // Check the policy first (a refused password keeps the link usable), then take the link.
    await this.deps.passwords.checkNew(account.id, input.newPassword, input.confirmation);
    if (!(await markResetTokenUsed(this.deps.db, sha256Hex(token), this.deps.clock.now().toISOString()))) {
      throw new DomainError("INVALID_LINK", "the link was used meanwhile");
    }
    const { forwardingOff } = await this.deps.passwords.change({
      accountId: account.id,
      newPassword: input.newPassword,
      confirmation: input.confirmation,
      actor: "web:assistance",
      ip: input.ip,
      turnOffForwarding: true,
    });
    return { account, forwardingOff };
  }

  /**
   * Sends a 6-digit code to a new recovery address (10 minutes, 3 tries), once the current password
   * has been typed again (or was, less than 5 minutes ago, in this session).
   */
  async startRecoveryEmailChange(session: Session, email: string, auth: Reauth): Promise<string> {
    let target: string;
    try {
      // Checked (outside the académie's mail, subdomains included) before any code is sent.
      target = this.deps.directory.recoveryAddress(email);
    } catch (error) {
      if (isDomainError(error, "INVALID_EMAIL") && error.details.reason === "inside_domain") {
        throw validationError({ email: "inside_domain" });
      }
      throw validationError({ email: "format" });
    }
    const { reauthAt } = await this.deps.reauth.reauthenticate(session, auth.currentPassword, {
      ip: auth.ip,
      purpose: "recovery_email",
    });
    const account = await this.deps.directory.getAccountById(session.accountId);
    await this.sendCode(account, "recovery_email", target);
    await this.audit("recovery.email_code_sent", { ip: auth.ip, reauthAt }, session.accountId);
    return target;
  }

  /** Removes the recovery address, once the current password has been typed again. */
  async removeRecoveryEmail(session: Session, auth: Reauth): Promise<void> {
    const { reauthAt } = await this.deps.reauth.reauthenticate(session, auth.currentPassword, {
      ip: auth.ip,
      purpose: "recovery_email",
    });
    const account = await this.deps.directory.getAccountById(session.accountId);
    if (account.recoveryEmail === null) return;
    await this.#changeRecoveryEmail(account, null, { ip: auth.ip, reauthAt });
  }

  /**
   * Replaces (or removes) the recovery address, keeps the change for 7 days, and tells the holder:
   * the account's mailbox, and the previous address with a link that cancels the change.
   */
  async #changeRecoveryEmail(
    account: Account,
    next: string | null,
    meta: { ip: string; reauthAt: string | null },
  ): Promise<void> {
    const previous = account.recoveryEmail && account.recoveryConfirmed ? account.recoveryEmail : null;
    const now = this.deps.clock.now();
    const cancelToken = previous ? randomToken(32) : null;
    await this.deps.directory.setRecoveryEmail(account.id, next, "web:account", {
      details: { ip: meta.ip, ...(meta.reauthAt ? { reauthAt: meta.reauthAt } : {}) },
      within: (trx) =>
        insertRecoveryEmailChange(trx, {
          accountId: account.id,
          previousEmail: previous,
          newEmail: next,
          changedAt: now.toISOString(),
          cancelHash: cancelToken ? sha256Hex(cancelToken) : null,
        }),
    });
    // The reset links sent to the previous address stay valid; none can have gone to the new one.
    const notice = (cancelLink: string | null) =>
      this.deps.messages.recoveryEmailChanged({
        username: account.username,
        address: account.address,
        previous,
        next,
        when: now,
        ip: meta.ip,
        cancelLink,
        graceDays: RECOVERY_CHANGE_GRACE_MS / (24 * 3_600_000),
      });
    await this.deps.mailer.send({ to: account.address, ...notice(null) });
    if (previous && cancelToken) {
      await this.deps.mailer.send({
        to: previous,
        ...notice(`${this.deps.publicUrl}/assistance/annuler-adresse/${cancelToken}`),
      });
    }
  }

  /** The change a cancel link undoes, or INVALID_LINK (unknown, altered, older than 7 days, already undone). */
  async recoveryChangeOfCancelLink(token: string): Promise<{ account: Account; previous: string; changeId: number }> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw new DomainError("INVALID_LINK", "malformed cancel link");
    const change = await findRecoveryEmailChangeByCancelHash(this.deps.db, sha256Hex(token));
    if (!change || change.cancelledAt || change.changedAt <= this.#graceSince() || !change.previousEmail) {
      throw new DomainError("INVALID_LINK", "unknown, used or expired cancel link");
    }
    const account = await this.deps.directory.getAccountById(change.accountId);
    return { account, previous: change.previousEmail, changeId: change.id };
  }

  /**
   * The previous address undoes a change from the link it received: it is the recovery address
   * again (later changes undone too), the reset links and every session of the account end (whoever
   * made the change is signed out), and the holder is told to choose a new password.
   */
  async cancelRecoveryEmailChange(
    token: string,
    meta: { ip: string },
  ): Promise<{ account: Account; restored: string }> {
    const { account, previous, changeId } = await this.recoveryChangeOfCancelLink(token);
    const now = this.deps.clock.now().toISOString();
    await this.deps.directory.setRecoveryEmail(account.id, previous, "web:assistance", {
      details: { ip: meta.ip, cancelledChange: changeId },
      within: async (trx) => {
        if (!(await cancelRecoveryEmailChangesFrom(trx, account.id, changeId, now))) {
          throw new DomainError("INVALID_LINK", "the change was cancelled meanwhile");
        }
      },
    });
    await cancelResetTokens(this.deps.db, account.id, now);
    await this.deps.sessions.endAllForAccount(account.id);
    await this.audit("recovery.email_change_cancelled", { ip: meta.ip, changeId }, account.id);
    return { account, restored: previous };
  }

  /** A fresh 6-digit code for `purpose`, sent to `target` (an older live one stops working). */
  private async sendCode(account: Account, purpose: CodePurpose, target: string): Promise<void> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    const now = this.deps.clock.now();
    await replaceCode(this.deps.db, {
      accountId: account.id,
      purpose,
      target,
      codeHash: keyedHash(this.deps.secret, `code:${account.id}:${code}`),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + CODE_MS).toISOString(),
      attempts: CODE_ATTEMPTS,
    });
    await this.deps.mailer.send({
      to: target,
      ...this.deps.messages.code({
        username: account.username,
        code,
        purpose,
        minutes: CODE_MS / 60_000,
        attempts: CODE_ATTEMPTS,
      }),
    });
  }

  /** Checks a code (3 tries, 10 minutes); returns the address it was sent to. */
  private async checkCode(accountId: number, purpose: CodePurpose, code: string): Promise<string> {
    const stored = await findLiveCode(this.deps.db, accountId, purpose);
    const now = this.deps.clock.now().toISOString();
    if (!stored || stored.expiresAt <= now || stored.attemptsLeft <= 0) {
      throw new DomainError("INVALID_CODE", "no live code: ask for a new one", { expired: true });
    }
    const ok =
      /^\d{6}$/.test(code.trim()) &&
      safeEqual(keyedHash(this.deps.secret, `code:${accountId}:${code.trim()}`), stored.codeHash);
    if (!ok) {
      await spendCodeAttempt(this.deps.db, stored.id);
      throw new DomainError("INVALID_CODE", "wrong code", { attemptsLeft: stored.attemptsLeft - 1 });
    }
    if (!(await consumeCode(this.deps.db, stored.id, now))) throw new DomainError("INVALID_CODE", "code already used");
    return stored.target;
  }

  /** The address waiting for its code, if any. */
  async pendingRecoveryEmail(session: Session): Promise<string | null> {
    const code = await findLiveCode(this.deps.db, session.accountId, "recovery_email");
    return code && code.expiresAt > this.deps.clock.now().toISOString() && code.attemptsLeft > 0 ? code.target : null;
  }

  async confirmRecoveryEmail(session: Session, code: string, meta: { ip: string } = { ip: "" }): Promise<void> {
    const target = await this.checkCode(session.accountId, "recovery_email", code);
    const account = await this.deps.directory.getAccountById(session.accountId);
    if (account.recoveryEmail === target && account.recoveryConfirmed) return;
    await this.#changeRecoveryEmail(account, target, { ip: meta.ip, reauthAt: session.reauthAt });
  }

  /**
   * Optional hardening (SESAME_RECOVERY_REQUIRE_CODE): the code sent to the confirmed recovery
   * address after the NUMEN step; the right code turns the pending session into a recovery one.
   */
  async confirmSignInCode(
    pending: Session,
    code: string,
    meta: { ip: string; userAgent: string },
  ): Promise<{ token: string; session: Session }> {
    await this.checkCode(pending.accountId, "recovery_signin", code);
    await this.deps.sessions.endOne(pending.accountId, pending.idHash);
    const started = await this.deps.sessions.start(pending.accountId, "recovery", meta, RECOVERY_SESSION_MS);
    await this.audit("recovery.code_succeeded", { ip: meta.ip }, pending.accountId);
    return started;
  }

  /** Where the sign-in code went, partly hidden (a***@example.org), for the code page. */
  async signInCodeTarget(pending: Session): Promise<string | null> {
    const code = await findLiveCode(this.deps.db, pending.accountId, "recovery_signin");
    if (!code) return null;
    const [local = "", domain = ""] = code.target.split("@");
    return `${local.slice(0, 1)}***@${domain}`;
  }

  /** The account page: the last 10 sign-ins and the open sessions. */
  async accountOverview(session: Session) {
    const account = await this.deps.directory.getAccountById(session.accountId);
    const signIns = await this.deps.audit.forEntity(
      "account",
      account.id,
      ["login.succeeded", "login.succeeded_must_change", "recovery.numen_succeeded"],
      10,
    );
    const sessions = await this.deps.sessions.listForAccount(account.id);
    return { account, signIns, sessions, pendingEmail: await this.pendingRecoveryEmail(session) };
  }

  /**
   * Ends one of the account's sessions (« Fermer »). Audited with how this session proved itself:
   * the password typed at its sign-in (`signedInAt`) and, if any, typed again since (`reauthAt`).
   */
  async closeSession(session: Session, idHash: string, meta: { ip: string } = { ip: "" }): Promise<boolean> {
    const closed = await this.deps.sessions.endOne(session.accountId, idHash);
    if (closed) {
      await this.audit(
        "account.session_closed",
        {
          ip: meta.ip,
          signedInAt: session.createdAt,
          ...(session.reauthAt ? { reauthAt: session.reauthAt } : {}),
          own: idHash === session.idHash,
        },
        session.accountId,
      );
    }
    return closed;
  }
}
