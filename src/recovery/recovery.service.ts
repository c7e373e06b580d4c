/**
 * Assistance à l'identification: the NUMEN path (NUMEN + birth date → username shown, password
 * changed), the external path (a single-use link sent to the recovery address), and the account
 * page reached with username and password (password, recovery address, sign-ins, sessions).
 *
 * Nothing tells whether a NUMEN, a birth date or an account exists: one generic failure, the same
 * queries either way. NUMEN + birth date is weak proof, so guessing is throttled per claimed NUMEN
 * (5 free failures, then waits doubling from 1 minute; at most 25 per 24 h) and per client address
 * (a proof-of-work after 10 failures in 10 minutes).
 */
import { randomInt } from "node:crypto";
import type { AuditService } from "../audit/audit.service.js";
import type { DirectoryService } from "../directory/directory.service.js";
import type { Account } from "../directory/directory.types.js";
import { normalizeNumen, parseBirthDate } from "../directory/identifiers.js";
import type { ChallengeService } from "../identity/challenge.js";
import type { PasswordService } from "../identity/password.service.js";
import type { Session, SessionService } from "../identity/session.service.js";
import type { BackoffThrottle, WindowCounter } from "../identity/throttle.js";
import type { Clock } from "../shared/clock.js";
import { keyedHash, randomToken, safeEqual, sha256Hex } from "../shared/crypto.js";
import { DomainError, isDomainError } from "../shared/errors.js";
import {
  cancelResetTokens,
  consumeCode,
  findLiveCode,
  findResetToken,
  insertResetToken,
  markResetTokenUsed,
  replaceCode,
  spendCodeAttempt,
} from "./recovery.repository.js";

export type RecoveryAccountType = "academique" | "fonctionnel";
export const RECOVERY_ACCOUNT_TYPES: readonly RecoveryAccountType[] = ["academique", "fonctionnel"];

export const RECOVERY_SESSION_MS = 10 * 60_000;
export const RESET_LINK_MS = 15 * 60_000;
export const CODE_MS = 10 * 60_000;
export const CODE_ATTEMPTS = 3;

/** The audit actions of a password change, wherever it was made (webmail, assistance, account page). */
const PASSWORD_CHANGE_ACTIONS = ["password.changed", "password.initial_replaced"] as const;

export interface Mailer {
  send(message: { to: string; subject: string; text: string }): Promise<void>;
}

/** The texts of the messages (French, from web/i18n/messages.fr.ts, passed in by the composition root). */
export interface RecoveryMessages {
  passwordChanged(p: { username: string; address: string; when: Date; ip: string; via: "webmail" | "assistance" }): {
    subject: string;
    text: string;
  };
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
  readonly numenThrottle: BackoffThrottle;
  readonly ipFailures: WindowCounter;
  readonly resetSends: WindowCounter;
  readonly challenge: ChallengeService;
  readonly mailer: Mailer;
  readonly messages: RecoveryMessages;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly secret: string;
  readonly publicUrl: string;
  readonly db: Parameters<typeof insertResetToken>[0];
  /** SESAME_RECOVERY_REQUIRE_CODE: the NUMEN path also asks a code sent to the recovery address. */
  readonly requireCode?: boolean;
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

  private audit(action: string, details: Record<string, unknown>, accountId?: number) {
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

  /** Password change from a recovery session (no current password: the NUMEN path proved it). */
  async changeFromRecovery(
    session: Session,
    accountId: number,
    input: { newPassword: string; confirmation: string; ip: string },
  ): Promise<Account> {
    const account = (await this.recoveryAccounts(session)).find((a) => a.id === accountId);
    if (!account) throw new DomainError("NOT_FOUND", "this account is not one of the recovery session's");
    await this.deps.passwords.change(
      {
        accountId,
        newPassword: input.newPassword,
        confirmation: input.confirmation,
        actor: "web:assistance",
        ip: input.ip,
      },
      session.idHash,
    );
    return account;
  }

  /** Password change from the account page: the current password is required. */
  async changeFromAccountPage(
    session: Session,
    input: { currentPassword: string; newPassword: string; confirmation: string; ip: string },
  ): Promise<void> {
    const account = await this.deps.directory.getAccountById(session.accountId);
    await this.deps.passwords.change({ ...input, accountId: account.id, actor: "web:account" }, session.idHash);
  }

  /**
   * After every password change (webmail, assistance, reset link — PasswordService calls it): older
   * reset links die, and the holder is told at the account's address and at its recovery address.
   */
  async passwordChanged(accountId: number, ip: string, via: "webmail" | "assistance"): Promise<void> {
    const now = this.deps.clock.now();
    await cancelResetTokens(this.deps.db, accountId, now.toISOString());
    const fresh = await this.deps.directory.getAccountById(accountId);
    const message = this.deps.messages.passwordChanged({
      username: fresh.username,
      address: fresh.address,
      when: now,
      ip,
      via,
    });
    const recipients = [
      fresh.address,
      ...(fresh.recoveryEmail && fresh.recoveryConfirmed ? [fresh.recoveryEmail] : []),
    ];
    for (const to of recipients) await this.deps.mailer.send({ to, ...message });
  }

  /**
   * "Je suis un utilisateur externe": a username or a recovery address. The answer is the same
   * whether it matches or not; a match with a confirmed recovery address gets a single-use link
   * (at most 3 messages per account per hour).
   */
  async requestResetLink(identifier: string, meta: { ip: string; userAgent: string }): Promise<void> {
    const value = identifier.trim();
    if (value === "") throw validationError({ identifier: "missing" });
    const byName = value.includes("@") ? null : await this.deps.directory.findAccount(value);
    const candidates = byName
      ? [byName]
      : value.includes("@")
        ? await this.deps.directory.accountsByRecoveryEmail(value)
        : [];
    const byAddress =
      value.includes("@") && candidates.length === 0 ? await this.deps.directory.findAccount(value) : null;
    const accounts = [...candidates, ...(byAddress ? [byAddress] : [])].filter(
      (a) => !a.disabled && a.recoveryEmail !== null && a.recoveryConfirmed,
    );
    await this.audit("recovery.link_requested", {
      ip: meta.ip,
      userAgent: meta.userAgent.slice(0, 256),
      matched: accounts.length > 0,
    });
    for (const account of accounts) {
      const sendKey = `recovery:send:${account.id}`;
      if (await this.deps.resetSends.isOver(sendKey)) {
        await this.audit("recovery.link_throttled", { ip: meta.ip }, account.id);
        continue;
      }
      await this.deps.resetSends.recordFailure(sendKey);
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
      await this.deps.mailer.send({ to: account.recoveryEmail as string, ...message });
      await this.audit("recovery.link_sent", { ip: meta.ip }, account.id);
    }
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

  async resetWithLink(
    token: string,
    input: { newPassword: string; confirmation: string; ip: string },
  ): Promise<Account> {
    const account = await this.accountOfResetLink(token);
    // Check the policy first (a refused password keeps the link usable), then take the link.
    await this.deps.passwords.checkNew(account.id, input.newPassword, input.confirmation);
    if (!(await markResetTokenUsed(this.deps.db, sha256Hex(token), this.deps.clock.now().toISOString()))) {
      throw new DomainError("INVALID_LINK", "the link was used meanwhile");
    }
    await this.deps.passwords.change({
      accountId: account.id,
      newPassword: input.newPassword,
      confirmation: input.confirmation,
      actor: "web:assistance",
      ip: input.ip,
    });
    return account;
  }

  /** Sends a 6-digit code to a new recovery address (10 minutes, 3 tries). */
  async startRecoveryEmailChange(session: Session, email: string): Promise<string> {
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
    const account = await this.deps.directory.getAccountById(session.accountId);
    await this.sendCode(account, "recovery_email", target);
    await this.audit("recovery.email_code_sent", {}, session.accountId);
    return target;
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

  async confirmRecoveryEmail(session: Session, code: string): Promise<void> {
    const target = await this.checkCode(session.accountId, "recovery_email", code);
    await this.deps.directory.setRecoveryEmail(session.accountId, target, "web:account");
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

  closeSession(session: Session, idHash: string): Promise<boolean> {
    return this.deps.sessions.endOne(session.accountId, idHash);
  }
}
