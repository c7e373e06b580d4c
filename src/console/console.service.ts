/**
 * The console's access rules: who holds which role (academic accounts only), the sign-in in two
 * steps (the password through LoginService, then the second factor) and the TOTP second factor:
 * enrolment with a secret sealed in the database and 10 single-use recovery codes (hashed), codes
 * never accepted twice (the last time step is kept), wrong codes throttled like passwords
 * (LIMITS["console-second-factor"]). WebAuthn security keys and passkeys are the alternative second
 * factor (registered at the enrolment or from the console, used at the sign-in and to confirm a
 * sensitive action): challenges single-use and bound to the console session, a signature counter
 * that goes back refused, failures throttled with the TOTP codes'. Every step is audited.
 */
import { createHmac, randomInt } from "node:crypto";
import type {
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import type { Kysely } from "kysely";
import { generateSecret, generateURI, verify } from "otplib";
import type { AuditService } from "../audit/audit.service.js";
import type { DirectoryService } from "../directory/directory.service.js";
import type { Account } from "../directory/directory.types.js";
import { type PersonHit, parseSearchQuery } from "../directory/people-search.js";
import type { LoginService } from "../identity/login.service.js";
import type { Session, SessionService } from "../identity/session.service.js";
import type { BackoffThrottle } from "../identity/throttle.js";
import type { Clock } from "../shared/clock.js";
import { keyedHash, seal, unseal } from "../shared/crypto.js";
import { DomainError } from "../shared/errors.js";
import type { Schema } from "../storage/schema.js";
import * as repo from "./console.repository.js";
import {
  type ConsoleRole,
  isConsoleRole,
  type RoleHolder,
  type SecurityKey,
  type SecurityKeyPurpose,
  type TotpEnrolment,
} from "./console.types.js";
import { parseAuthenticationResponse, parseRegistrationResponse, type RelyingParty, relyingParty } from "./webauthn.js";
import * as keys from "./webauthn.repository.js";

/**
 * @simplewebauthn/server (about 11 MB resident with its ASN.1 and X.509 code) is loaded at the first
 * security-key step, not at start: most instances never see one (ECharts is loaded likewise).
 */
let webauthnLibrary: Promise<typeof import("@simplewebauthn/server")> | undefined;
const webauthn = () => {
  webauthnLibrary ??= import("@simplewebauthn/server");
  return webauthnLibrary;
};

export interface ConsoleDeps {
  readonly db: Kysely<Schema>;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly secret: string;
  readonly issuer: string;
  readonly login: Pick<LoginService, "authenticate">;
  readonly directory: Pick<DirectoryService, "findAccount" | "searchPeople">;
  /** The console's own sessions (15 minutes idle). */
  readonly sessions: SessionService;
  readonly throttle: BackoffThrottle;
  /** The public URL: its host is the WebAuthn RP ID, its origin the one origin keys answer for. */
  readonly publicUrl: string;
}

/** How long a WebAuthn challenge stays usable (the browser's own timeout is shorter). */
const KEY_CHALLENGE_TTL_MS = 5 * 60_000;
const KEY_TIMEOUT_MS = 120_000;
const KEY_NAME_MAX = 60;

/** Seconds a TOTP code stays acceptable after its 30 s step (one step each side, RFC 6238 §5.2). */
const TOTP_TOLERANCE_S = 30;
const RECOVERY_CODES = 10;
/** Recovery codes: 10 groups of characters a person reads without ambiguity (no 0/O, 1/l/I). */
const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
const SEAL_PURPOSE = "console-totp";

/** A recovery code as typed (spaces, dashes and case ignored). */
function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, "");
}

function newRecoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]);
  return `${chars.slice(0, 5).join("")}-${chars.slice(5).join("")}`;
}

export interface ConsoleSignIn {
  readonly token: string;
  readonly session: Session;
  /** Whether the account has a confirmed second factor (else: the enrolment first). */
  readonly enrolled: boolean;
}

export class ConsoleService {
  readonly #rp: RelyingParty;

  constructor(private readonly deps: ConsoleDeps) {
    this.#rp = relyingParty(deps.publicUrl, deps.issuer);
  }

  // ----------------------------------------------------------------------------------------------
  // Roles

  async rolesOf(accountId: number): Promise<ConsoleRole[]> {
    return (await repo.rolesOf(this.deps.db, accountId)).filter(isConsoleRole);
  }

  /** The account named by a username or address (NOT_FOUND when none). */
  async #account(identifier: string): Promise<Account> {
    const account = await this.deps.directory.findAccount(identifier);
    if (!account) throw new DomainError("NOT_FOUND", `no account ${identifier}`);
    return account;
  }

  /** The account a role is granted to: academic accounts only. */
  async #academic(identifier: string): Promise<Account> {
    const account = await this.#account(identifier);
    if (account.kind !== "academique") {
      throw new DomainError("VALIDATION_FAILED", `roles are held by academic accounts only (${account.username})`);
    }
    return account;
  }

  #role(role: string): ConsoleRole {
    if (!isConsoleRole(role)) {
      throw new DomainError("VALIDATION_FAILED", `unknown role ${role} (assistance, admin or securite)`, {
        field: "role",
      });
    }
    return role;
  }

  /** Grants a role; false when it was held already. */
  async grant(identifier: string, roleName: string, by: string): Promise<{ account: Account; changed: boolean }> {
    const role = this.#role(roleName);
    const account = await this.#academic(identifier);
    const changed = await this.deps.db.transaction().execute(async (trx) => {
      const done = await repo.grantRole(trx, account.id, role, by, this.deps.clock.now().toISOString());
      if (done) {
        await this.deps.audit.record(
          { actor: by, action: "console.role_granted", entity: "account", entityId: account.id, details: { role } },
          trx,
        );
      }
      return done;
    });
    return { account, changed };
  }

  /** Revokes a role (and ends the account's console sessions); false when it was not held. */
  async revoke(identifier: string, roleName: string, by: string): Promise<{ account: Account; changed: boolean }> {
    const role = this.#role(roleName);
    const account = await this.#account(identifier);
    const changed = await this.deps.db.transaction().execute(async (trx) => {
      const done = await repo.revokeRole(trx, account.id, role);
      if (done) {
        await this.deps.audit.record(
          { actor: by, action: "console.role_revoked", entity: "account", entityId: account.id, details: { role } },
          trx,
        );
      }
      return done;
    });
    if (changed) {
      for (const open of await this.deps.sessions.listForAccount(account.id)) {
        if (open.kind === "console" || open.kind === "console_pending") {
          await this.deps.sessions.endOne(account.id, open.idHash);
        }
      }
    }
    return { account, changed };
  }

  async listRoles(): Promise<RoleHolder[]> {
    return (await repo.listRoles(this.deps.db)).flatMap((r) => (isConsoleRole(r.role) ? [{ ...r, role: r.role }] : []));
  }

  // ----------------------------------------------------------------------------------------------
  // Sign-in

  /**
   * The password step: the same check as every door (argon2, throttles, audit actor `web:console`);
   * an account without a role is refused exactly like a wrong password. A session waiting for the
   * second factor is started (`console_pending`).
   */
  async signIn(input: { identifier: string; password: string; ip: string; userAgent: string }): Promise<ConsoleSignIn> {
    const { accountId, mustChangePassword } = await this.deps.login.authenticate({
      identifier: input.identifier,
      password: input.password,
      ip: input.ip,
      channel: "console",
    });
    if (mustChangePassword || (await this.rolesOf(accountId)).length === 0) {
      throw new DomainError("INVALID_CREDENTIALS", "no console role (or a password to change first)");
    }
    const enrolled = await this.enrolled(accountId);
    const { token, session } = await this.deps.sessions.start(accountId, "console_pending", input);
    return { token, session, enrolled };
  }

  /** Whether the account finished its enrolment: a confirmed TOTP, or a security key. */
  async enrolled(accountId: number): Promise<boolean> {
    if ((await repo.totpOf(this.deps.db, accountId))?.confirmed_at) return true;
    return (await keys.countCredentials(this.deps.db, accountId)) > 0;
  }

  /**
   * The enrolment's secret: a new one while none is confirmed (kept sealed until the first code
   * proves the authenticator has it). Refused once enrolled (a new device is an administrator's
   * reset, not a sign-in's).
   */
  async enrolment(accountId: number, label: string): Promise<TotpEnrolment> {
    const row = await repo.totpOf(this.deps.db, accountId);
    if (row?.confirmed_at) throw new DomainError("CONFLICT", "a second factor is already enrolled");
    let secret: string;
    if (row) secret = unseal(this.deps.secret, SEAL_PURPOSE, row.secret_sealed);
    else {
      secret = generateSecret();
      const sealed = seal(this.deps.secret, SEAL_PURPOSE, secret);
      await repo.startTotp(this.deps.db, accountId, sealed, this.deps.clock.now().toISOString());
    }
    return { secret, uri: generateURI({ issuer: this.deps.issuer, label, secret }) };
  }

  /** Checks a TOTP code (never twice the same step); the step accepted, or null. */
  async #checkTotp(accountId: number, code: string, confirm: boolean): Promise<boolean> {
    const row = await repo.totpOf(this.deps.db, accountId);
    if (!row || (!confirm && !row.confirmed_at)) return false;
    if (!/^\d{6}$/.test(code)) return false;
    const secret = unseal(this.deps.secret, SEAL_PURPOSE, row.secret_sealed);
    const result = await verify({
      secret,
      token: code,
      epoch: Math.floor(this.deps.clock.now().getTime() / 1000),
      epochTolerance: TOTP_TOLERANCE_S,
      afterTimeStep: row.last_step,
    });
    if (!result.valid || !("timeStep" in result)) return false;
    // The step is written only if still later than the last one: two requests racing with one code
    // cannot both pass.
    return repo.acceptStep(
      this.deps.db,
      accountId,
      result.timeStep,
      confirm ? this.deps.clock.now().toISOString() : null,
    );
  }

  async #throttled(accountId: number): Promise<void> {
    const decision = await this.deps.throttle.check(`console:2fa:${accountId}`);
    if (!decision.allowed) {
      await this.#record("console.second_factor_throttled", accountId, {});
      throw new DomainError("THROTTLED", "too many wrong codes", { retryAt: decision.retryAt });
    }
  }

  async #failed(accountId: number, kind: string): Promise<never> {
    await this.deps.throttle.recordFailure(`console:2fa:${accountId}`);
    await this.#record("console.second_factor_failed", accountId, { kind });
    throw new DomainError("INVALID_CODE", "wrong second-factor code");
  }

  #record(
    action: Parameters<AuditService["record"]>[0]["action"],
    accountId: number,
    details: Record<string, unknown>,
  ) {
    return this.deps.audit.record({ actor: "web:console", action, entity: "account", entityId: accountId, details });
  }

  /**
   * The enrolment's first code: the second factor is confirmed, 10 recovery codes are made (shown
   * once, kept hashed), and the session becomes a console session (a new token).
   */
  async confirmEnrolment(
    pending: Session,
    code: string,
    meta: { ip: string; userAgent: string },
  ): Promise<{ token: string; session: Session; recoveryCodes: string[] }> {
    const accountId = pending.accountId;
    await this.#throttled(accountId);
    if (!(await this.#checkTotp(accountId, code.trim(), true))) return this.#failed(accountId, "enrolment");
    await this.deps.throttle.recordSuccess(`console:2fa:${accountId}`);
    const recoveryCodes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await repo.replaceRecoveryCodes(
      this.deps.db,
      accountId,
      recoveryCodes.map((c) => this.#codeHash(accountId, c)),
      this.deps.clock.now().toISOString(),
    );
    await this.#record("console.totp_enrolled", accountId, { ip: meta.ip });
    return { ...(await this.#promote(pending, meta)), recoveryCodes };
  }

  #codeHash(accountId: number, code: string): string {
    return keyedHash(this.deps.secret, `console-recovery:${accountId}:${normalizeRecoveryCode(code)}`);
  }

  /** The second step of the sign-in: a TOTP code or a recovery code (used once). */
  async verifySecondFactor(
    pending: Session,
    code: string,
    meta: { ip: string; userAgent: string },
  ): Promise<{ token: string; session: Session; recoveryCodeUsed: boolean }> {
    const accountId = pending.accountId;
    await this.#throttled(accountId);
    const typed = code.trim();
    let recoveryCodeUsed = false;
    if (!(await this.#checkTotp(accountId, typed, false))) {
      const recovery = typed.length <= 32 && /^[a-z0-9 -]+$/i.test(typed);
      if (
        !recovery ||
        !(await repo.useRecoveryCode(
          this.deps.db,
          accountId,
          this.#codeHash(accountId, typed),
          this.deps.clock.now().toISOString(),
        ))
      ) {
        return this.#failed(accountId, "sign-in");
      }
      recoveryCodeUsed = true;
      await this.#record("console.recovery_code_used", accountId, {
        left: await repo.recoveryCodesLeft(this.deps.db, accountId),
      });
    }
    await this.deps.throttle.recordSuccess(`console:2fa:${accountId}`);
    await this.#record("console.second_factor_succeeded", accountId, { ip: meta.ip, recoveryCodeUsed });
    return { ...(await this.#promote(pending, meta)), recoveryCodeUsed };
  }

  /** The second factor typed again for a sensitive action: valid 5 minutes in this session. */
  async reauthenticate(session: Session, code: string): Promise<void> {
    await this.#throttled(session.accountId);
    if (!(await this.#checkTotp(session.accountId, code.trim(), false))) {
      return this.#failed(session.accountId, "reauthentication");
    }
    await this.deps.throttle.recordSuccess(`console:2fa:${session.accountId}`);
    await this.deps.sessions.markReauthenticated(session);
    await this.#record("console.reauthenticated", session.accountId, {});
  }

  /** A new token for the signed-in console session (no session fixation from the pending one). */
  async #promote(pending: Session, meta: { ip: string; userAgent: string }) {
    await this.deps.sessions.endOne(pending.accountId, pending.idHash);
    return this.deps.sessions.start(pending.accountId, "console", meta);
  }

  /**
   * The helpdesk's search, audited under the agent: what kind of query, how many people found (the
   * words typed, except a NUMEN, which is never written down).
   */
  async searchPeople(
    agent: { readonly accountId: number; readonly username: string },
    query: string,
  ): Promise<PersonHit[]> {
    const hits = await this.deps.directory.searchPeople(query);
    const kind = parseSearchQuery(query).kind;
    await this.deps.audit.record({
      actor: `console:${agent.username}`,
      action: "console.people_searched",
      entity: "account",
      entityId: agent.accountId,
      details: { kind, ...(kind === "numen" ? {} : { query: query.trim().slice(0, 200) }), found: hits.length },
    });
    return hits;
  }

  recoveryCodesLeft(accountId: number): Promise<number> {
    return repo.recoveryCodesLeft(this.deps.db, accountId);
  }

  // ----------------------------------------------------------------------------------------------
  // Security keys (WebAuthn)

  async securityKeys(accountId: number): Promise<SecurityKey[]> {
    return (await keys.credentialsOf(this.deps.db, accountId)).map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
    }));
  }

  async hasSecurityKeys(accountId: number): Promise<boolean> {
    return (await keys.countCredentials(this.deps.db, accountId)) > 0;
  }

  /**
   * Whether a session may ask for a challenge of this purpose: a key is registered from a console
   * session, or from the sign-in's waiting session while nothing is enrolled; the sign-in's key from
   * a waiting session of an account that has keys; a confirmation from a console session.
   */
  async #mayAsk(session: Session, purpose: SecurityKeyPurpose): Promise<boolean> {
    if (purpose === "reauth") return session.kind === "console";
    if (purpose === "register") {
      return (
        session.kind === "console" || (session.kind === "console_pending" && !(await this.enrolled(session.accountId)))
      );
    }
    return session.kind === "console_pending" && (await this.hasSecurityKeys(session.accountId));
  }

  async #putChallenge(session: Session, purpose: SecurityKeyPurpose, challenge: string): Promise<void> {
    const now = this.deps.clock.now();
    await keys.putChallenge(this.deps.db, {
      sessionHash: session.idHash,
      purpose,
      challenge,
      accountId: session.accountId,
      expiresAt: new Date(now.getTime() + KEY_CHALLENGE_TTL_MS).toISOString(),
      now: now.toISOString(),
    });
  }

  /** The options of `navigator.credentials.create()`; the challenge kept for this session. */
  async registrationOptions(
    session: Session,
    user: { readonly username: string; readonly displayName: string },
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    if (!(await this.#mayAsk(session, "register"))) throw new DomainError("NOT_FOUND", "no key registration here");
    const existing = await keys.credentialsOf(this.deps.db, session.accountId);
    const { generateRegistrationOptions } = await webauthn();
    const options = await generateRegistrationOptions({
      rpName: this.#rp.name,
      rpID: this.#rp.id,
      userName: user.username,
      userDisplayName: user.displayName,
      // An opaque handle (never the account id nor a name): the same for every key of the account.
      userID: createHmac("sha256", this.deps.secret).update(`console-webauthn-user:${session.accountId}`).digest(),
      timeout: KEY_TIMEOUT_MS,
      attestationType: "none",
      excludeCredentials: existing.map((r) => ({ id: r.credential_id, transports: transportsOf(r.transports) })),
      authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
    });
    await this.#putChallenge(session, "register", options.challenge);
    return options;
  }

  /** The options of `navigator.credentials.get()` for the sign-in or a confirmation. */
  async authenticationOptions(
    session: Session,
    purpose: "sign-in" | "reauth",
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    if (!(await this.#mayAsk(session, purpose))) throw new DomainError("NOT_FOUND", "no key to use here");
    const existing = await keys.credentialsOf(this.deps.db, session.accountId);
    if (existing.length === 0) throw new DomainError("NOT_FOUND", "no security key");
    const { generateAuthenticationOptions } = await webauthn();
    const options = await generateAuthenticationOptions({
      rpID: this.#rp.id,
      timeout: KEY_TIMEOUT_MS,
      userVerification: "preferred",
      allowCredentials: existing.map((r) => ({ id: r.credential_id, transports: transportsOf(r.transports) })),
    });
    await this.#putChallenge(session, purpose, options.challenge);
    return options;
  }

  /** A refused key: counted with the wrong codes, audited, SECURITY_KEY_REFUSED. */
  async #keyFailed(accountId: number, kind: string, reason: string): Promise<never> {
    await this.deps.throttle.recordFailure(`console:2fa:${accountId}`);
    await this.#record("console.second_factor_failed", accountId, { kind, method: "webauthn", reason });
    throw new DomainError("SECURITY_KEY_REFUSED", `security key refused (${reason})`);
  }

  #keyName(name: string): string {
    const trimmed = name.trim().replace(/\s+/g, " ");
    if (trimmed === "" || trimmed.length > KEY_NAME_MAX || /\p{Cc}/u.test(trimmed)) {
      throw new DomainError("VALIDATION_FAILED", "a key's name: 1 to 60 characters", { field: "name" });
    }
    return trimmed;
  }

  /** Verifies a registration against this session's challenge and stores the key; its id. */
  async #register(session: Session, responseText: string, name: string, kind: string): Promise<SecurityKey> {
    const accountId = session.accountId;
    await this.#throttled(accountId);
    const keyName = this.#keyName(name);
    const response = parseRegistrationResponse(responseText);
    if (!response) return this.#keyFailed(accountId, kind, "malformed");
    const now = this.deps.clock.now().toISOString();
    const challenge = await keys.takeChallenge(this.deps.db, session.idHash, "register", accountId, now);
    if (!challenge) return this.#keyFailed(accountId, kind, "no-challenge");
    let credential: {
      id: string;
      publicKey: Uint8Array<ArrayBuffer>;
      counter: number;
      transports?: string[] | undefined;
    };
    try {
      const { verifyRegistrationResponse } = await webauthn();
      const result = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.#rp.origin,
        expectedRPID: this.#rp.id,
        requireUserVerification: false,
      });
      if (!result.verified) return this.#keyFailed(accountId, kind, "not-verified");
      credential = result.registrationInfo.credential;
    } catch {
      return this.#keyFailed(accountId, kind, "not-verified");
    }
    if (await keys.credentialIdTaken(this.deps.db, credential.id)) {
      return this.#keyFailed(accountId, kind, "already-registered");
    }
    const transports = (response.response.transports ?? credential.transports ?? []).filter((t) =>
      /^[a-z-]{1,20}$/.test(t),
    );
    const id = await this.deps.db.transaction().execute(async (trx) => {
      const keyId = await keys.insertCredential(trx, {
        accountId,
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString("base64url"),
        signCount: credential.counter,
        transports: transports.join(","),
        name: keyName,
        now,
      });
      await this.deps.audit.record(
        {
          actor: "web:console",
          action: "console.webauthn_registered",
          entity: "account",
          entityId: accountId,
          details: { keyId, name: keyName, transports, at: kind },
        },
        trx,
      );
      return keyId;
    });
    await this.deps.throttle.recordSuccess(`console:2fa:${accountId}`);
    return { id, name: keyName, createdAt: now, lastUsedAt: null };
  }

  /** A key added from the console (the route had the second factor typed again). */
  async addSecurityKey(session: Session, responseText: string, name: string): Promise<SecurityKey> {
    if (session.kind !== "console") throw new DomainError("NOT_FOUND", "not a console session");
    return this.#register(session, responseText, name, "console");
  }

  /**
   * The enrolment with a security key instead of TOTP: the key stored, 10 recovery codes made (as
   * with TOTP), and the waiting session becomes a console session.
   */
  async enrolWithSecurityKey(
    pending: Session,
    responseText: string,
    name: string,
    meta: { ip: string; userAgent: string },
  ): Promise<{ token: string; session: Session; recoveryCodes: string[] }> {
    if (pending.kind !== "console_pending" || (await this.enrolled(pending.accountId))) {
      throw new DomainError("CONFLICT", "a second factor is already enrolled");
    }
    await this.#register(pending, responseText, name, "enrolment");
    const recoveryCodes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await repo.replaceRecoveryCodes(
      this.deps.db,
      pending.accountId,
      recoveryCodes.map((c) => this.#codeHash(pending.accountId, c)),
      this.deps.clock.now().toISOString(),
    );
    return { ...(await this.#promote(pending, meta)), recoveryCodes };
  }

  /**
   * Verifies an assertion against this session's challenge: the key is the account's, the origin
   * and RP ID are ours, the signature holds, and the counter moved forward (one that goes back is
   * a cloned key: refused and audited as such). The key's id.
   */
  async #assert(session: Session, purpose: "sign-in" | "reauth", responseText: string): Promise<number> {
    const accountId = session.accountId;
    const kind = purpose === "sign-in" ? "sign-in" : "reauthentication";
    await this.#throttled(accountId);
    const response = parseAuthenticationResponse(responseText);
    if (!response) return this.#keyFailed(accountId, kind, "malformed");
    const now = this.deps.clock.now().toISOString();
    const challenge = await keys.takeChallenge(this.deps.db, session.idHash, purpose, accountId, now);
    if (!challenge) return this.#keyFailed(accountId, kind, "no-challenge");
    const row = await keys.credentialByCredentialId(this.deps.db, accountId, response.id);
    if (!row) return this.#keyFailed(accountId, kind, "unknown-key");
    let received: number;
    try {
      const { verifyAuthenticationResponse } = await webauthn();
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.#rp.origin,
        expectedRPID: this.#rp.id,
        // The counter is checked below, where a counter gone back is told apart.
        credential: {
          id: row.credential_id,
          publicKey: new Uint8Array(Buffer.from(row.public_key, "base64url")),
          counter: 0,
          transports: transportsOf(row.transports),
        },
        requireUserVerification: false,
      });
      if (!result.verified) return this.#keyFailed(accountId, kind, "not-verified");
      received = result.authenticationInfo.newCounter;
    } catch {
      return this.#keyFailed(accountId, kind, "not-verified");
    }
    const stored = Number(row.sign_count);
    if ((received > 0 || stored > 0) && received <= stored) {
      await this.deps.throttle.recordFailure(`console:2fa:${accountId}`);
      await this.#record("console.webauthn_counter_rejected", accountId, { keyId: row.id, stored, received, kind });
      throw new DomainError("SECURITY_KEY_REFUSED", "the key's signature counter went back");
    }
    if (!(await keys.recordUse(this.deps.db, row.id, stored, received, now))) {
      return this.#keyFailed(accountId, kind, "raced");
    }
    await this.deps.throttle.recordSuccess(`console:2fa:${accountId}`);
    return row.id;
  }

  /** The sign-in's second step with a security key. */
  async verifySecurityKey(
    pending: Session,
    responseText: string,
    meta: { ip: string; userAgent: string },
  ): Promise<{ token: string; session: Session }> {
    if (pending.kind !== "console_pending") throw new DomainError("NOT_FOUND", "not a waiting session");
    const keyId = await this.#assert(pending, "sign-in", responseText);
    await this.#record("console.second_factor_succeeded", pending.accountId, {
      ip: meta.ip,
      method: "webauthn",
      keyId,
    });
    return this.#promote(pending, meta);
  }

  /** A sensitive action confirmed with a security key: valid 5 minutes in this session. */
  async reauthenticateWithKey(session: Session, responseText: string): Promise<void> {
    if (session.kind !== "console") throw new DomainError("NOT_FOUND", "not a console session");
    const keyId = await this.#assert(session, "reauth", responseText);
    await this.deps.sessions.markReauthenticated(session);
    await this.#record("console.reauthenticated", session.accountId, { method: "webauthn", keyId });
  }

  /**
   * Removes one of the account's keys (the route had the second factor typed again); refused when
   * it is the last second factor left (no confirmed TOTP, no other key).
   */
  async removeSecurityKey(session: Session, keyId: number, by: string): Promise<SecurityKey> {
    const accountId = session.accountId;
    return this.deps.db.transaction().execute(async (trx) => {
      const all = await keys.credentialsOf(trx, accountId);
      const key = all.find((r) => r.id === keyId);
      if (!key) throw new DomainError("NOT_FOUND", `no key ${keyId}`);
      const totp = await repo.totpOf(trx, accountId);
      if (all.length === 1 && !totp?.confirmed_at) {
        throw new DomainError("LAST_SECOND_FACTOR", "the account's last second factor");
      }
      if (!(await keys.deleteCredential(trx, accountId, keyId))) throw new DomainError("NOT_FOUND", `no key ${keyId}`);
      await this.deps.audit.record(
        {
          actor: by,
          action: "console.webauthn_removed",
          entity: "account",
          entityId: accountId,
          details: { keyId, name: key.name },
        },
        trx,
      );
      return { id: key.id, name: key.name, createdAt: key.created_at, lastUsedAt: key.last_used_at };
    });
  }
}

function transportsOf(stored: string): AuthenticatorTransportFuture[] {
  return stored === "" ? [] : (stored.split(",") as AuthenticatorTransportFuture[]);
}
