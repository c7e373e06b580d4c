/**
 * Password changes, with the shared policy: the forced change after a sign-in with the initial
 * password (NUMEN), and later the voluntary change and the recovery reset. A change ends every
 * other session of the account and is written to the audit trail.
 */

import type { DirectoryService } from "../directory/directory.service.js";
import type { StoredCredentials } from "../directory/directory.types.js";
import { DomainError } from "../shared/errors.js";
import type { PasswordHasher } from "./password-hasher.js";
import { containsNumenLike, type PasswordContext, type PasswordPolicy, type PasswordRule } from "./password-policy.js";
import type { Session, SessionService } from "./session.service.js";

export interface PasswordDeps {
  readonly directory: DirectoryService;
  readonly hasher: PasswordHasher;
  readonly policy: PasswordPolicy;
  readonly sessions: SessionService;
  /**
   * Told after every change (the holder is notified, reset links die, forwarding is turned off when
   * asked): wired to the recovery and mail modules by the composition root. Returns where forwarding
   * went before it was turned off (null: it was not on, or not to be turned off).
   */
  readonly onChanged?: (change: PasswordChanged) => Promise<{ forwardingOff: string | null }>;
}

export interface PasswordChanged {
  readonly accountId: number;
  readonly ip: string;
  readonly via: "webmail" | "assistance";
  readonly actor: string;
  readonly turnOffForwarding: boolean;
}

export interface ChangeInput {
  readonly accountId: number;
  readonly newPassword: string;
  readonly confirmation: string;
  /** Required for a voluntary change; not asked right after a sign-in with the initial password. */
  readonly currentPassword?: string;
  readonly actor: string;
  readonly ip: string;
  /** A recovery (NUMEN, reset link) or a change marked « compte compromis »: forwarding is turned off. */
  readonly turnOffForwarding?: boolean;
}

export class PasswordService {
  constructor(private readonly deps: PasswordDeps) {}

  get policy(): PasswordPolicy {
    return this.deps.policy;
  }

  private context(c: StoredCredentials): PasswordContext {
    const { directory, hasher } = this.deps;
    const holder = c.account.holder;
    return {
      username: c.account.username,
      nom: holder.nom,
      prenom: holder.prenom,
      ...(c.birthDate ? { birthDate: c.birthDate } : {}),
      containsNumen: (pw) => containsNumenLike(pw, (n) => directory.numenMatches(c.numenHash, n)),
      isCurrentPassword: async (pw) =>
        c.account.passwordState === "initial"
          ? directory.numenMatches(c.numenHash, pw)
          : c.passwordHash !== null && (await hasher.verify(c.passwordHash, pw)),
    };
  }

  /**
   * The policy's verdict, for the strength meter (no change made). It never compares with the current
   * password: the meter is called at every keystroke, unthrottled, so that rule would make it an
   * oracle letting whoever holds a session test guesses of the password (and an argon2 verification
   * per keystroke). The submitted change still refuses the current password.
   */
  async evaluate(accountId: number, password: string): Promise<{ score: number; rules: PasswordRule[] }> {
    const c = await this.deps.directory.credentialsById(accountId);
    if (!c) throw new DomainError("NOT_FOUND", "no such account");
    // The meter answers while typing, without limit: it must not become an oracle for secrets the
    // session holder may not know (current password, birth date, NUMEN). Those rules are checked
    // when the form is submitted.
    const { isCurrentPassword: _current, birthDate: _birth, containsNumen: _numen, ...ctx } = this.context(c);
    return { score: this.deps.policy.score(password, ctx), rules: await this.deps.policy.check(password, ctx) };
  }

  /** Throws PASSWORD_TOO_WEAK (with every failed rule) when the policy refuses the new password. */
  async checkNew(accountId: number, newPassword: string, confirmation: string): Promise<void> {
    const c = await this.deps.directory.credentialsById(accountId);
    if (!c) throw new DomainError("NOT_FOUND", "no such account");
    const rules = await this.deps.policy.check(newPassword, this.context(c), confirmation);
    if (rules.length > 0) {
      throw new DomainError("PASSWORD_TOO_WEAK", `password refused: ${rules.join(", ")}`, { rules });
    }
  }

  /**
   * Checks and stores a new password, then ends the account's other sessions. Returns the address
   * forwarding went to when this change turned it off.
   */
  async change(input: ChangeInput, keepSessionIdHash?: string): Promise<{ forwardingOff: string | null }> {
    const { directory, hasher, policy } = this.deps;
    const c = await directory.credentialsById(input.accountId);
    if (!c || c.account.disabled) throw new DomainError("SESSION_EXPIRED", "the account is gone or disabled");
    if (input.currentPassword !== undefined) {
      const currentOk =
        c.account.passwordState === "initial"
          ? directory.numenMatches(c.numenHash, input.currentPassword)
          : c.passwordHash !== null && (await hasher.verify(c.passwordHash, input.currentPassword));
      if (!currentOk) {
        throw new DomainError("INVALID_CREDENTIALS", "the current password is wrong", { field: "current" });
      }
    }
    const rules = await policy.check(input.newPassword, this.context(c), input.confirmation);
    if (rules.length > 0) {
      throw new DomainError("PASSWORD_TOO_WEAK", `password refused: ${rules.join(", ")}`, { rules });
    }
    const phc = await hasher.hash(input.newPassword);
    await directory.setPasswordHash(input.accountId, phc, "personal", {
      actor: input.actor,
      action: c.account.passwordState === "initial" ? "password.initial_replaced" : "password.changed",
      details: {
        ip: input.ip,
        username: c.account.username,
        // The current password typed again is the re-authentication of this sensitive action.
        ...(input.currentPassword !== undefined ? { reauth: "current_password" } : {}),
        ...(input.turnOffForwarding ? { turnOffForwarding: true } : {}),
      },
    });
    await this.deps.sessions.endAllForAccount(input.accountId, keepSessionIdHash);
    const result = await this.deps.onChanged?.({
      accountId: input.accountId,
      ip: input.ip,
      via: input.actor === "web:webmail" ? "webmail" : "assistance",
      actor: input.actor,
      turnOffForwarding: input.turnOffForwarding === true,
    });
    return { forwardingOff: result?.forwardingOff ?? null };
  }

  /**
   * The forced change right after signing in with the initial password: on success every session
   * of the account ends, this one included, and a fresh webmail session starts (a new token).
   */
  async completeForcedChange(
    session: Session,
    input: Omit<ChangeInput, "accountId" | "currentPassword">,
    meta: { ip: string; userAgent: string },
  ): Promise<{ token: string; session: Session }> {
    await this.change({ ...input, accountId: session.accountId });
    return this.deps.sessions.start(session.accountId, "webmail", meta);
  }
}
