/**
 * The rectorat's helpdesk (console `assistance`), once a caller is found: their card (identity,
 * establishment, accounts and states, masked recovery address, last sign-ins per door, open
 * sessions, throttles), the NUMEN and birth date checked against what the caller says (only
 * « correspond » or not: throttled per person, audited, never the value), and the actions, each
 * with a required reason written to the audit trail under the agent: lift a throttle, send a reset
 * link, set a temporary password (24 h, to change at first use), end the sessions, disable or
 * enable an account, « Compte compromis ». Nothing of the mail is ever read here.
 */
import { randomInt } from "node:crypto";
import type { Kysely } from "kysely";
import type { AuditEvent, AuditService } from "../audit/audit.service.js";
import type { AuditAction } from "../audit/audit-actions.js";
import type { DirectoryService } from "../directory/directory.service.js";
import type { StoredCredentials } from "../directory/directory.types.js";
import { normalizeNumen, parseBirthDate } from "../directory/identifiers.js";
import { accountState } from "../directory/people-search.js";
import type { PasswordHasher } from "../identity/password-hasher.js";
import type { SessionService } from "../identity/session.service.js";
import type { BackoffThrottle, ThrottleDecision, WindowCounter } from "../identity/throttle.js";
import type { RecoveryService } from "../recovery/recovery.service.js";
import type { Clock } from "../shared/clock.js";
import { DomainError, isDomainError } from "../shared/errors.js";
import type { Schema } from "../storage/schema.js";
import * as repo from "./helpdesk.repository.js";
import type {
  Agent,
  CardAccount,
  Door,
  PersonCard,
  SignInEvent,
  TemporaryPassword,
  ThrottleInForce,
  ThrottleTarget,
} from "./helpdesk.types.js";

/** A temporary password's life. */
export const TEMPORARY_PASSWORD_MS = 24 * 3_600_000;
/** The longest reason kept (a sentence or two). */
export const REASON_MAX = 500;
/** Sign-ins shown per account. */
const SIGN_INS_SHOWN = 10;

/** Read aloud on the phone: no 0/O, 1/l/I; three groups of four. */
const TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

const SIGN_IN_ACTIONS = [
  "login.succeeded",
  "login.succeeded_must_change",
  "login.failed",
  "login.throttled",
  "recovery.numen_succeeded",
] as const satisfies readonly AuditAction[];

/** The door of a sign-in, by its audit actor (login.service.ts, recovery.service.ts). */
const DOORS: Readonly<Record<string, Door>> = {
  "web:webmail": "webmail",
  "web:password_change": "webmail",
  imap: "imap",
  "smtp:submission": "submission",
  "web:account": "assistance",
  "web:assistance": "assistance",
  "web:recovery": "assistance",
  "web:console": "console",
};

const OUTCOMES: Readonly<Record<string, SignInEvent["outcome"]>> = {
  "login.succeeded": "success",
  "login.succeeded_must_change": "must_change",
  "recovery.numen_succeeded": "success",
  "login.failed": "failure",
  "login.throttled": "throttled",
};

export interface HelpdeskMessages {
  temporaryPassword(p: { username: string; address: string; at: Date; until: Date }): {
    subject: string;
    text: string;
  };
  compromised(p: { username: string; address: string; at: Date }): { subject: string; text: string };
}

export interface HelpdeskDeps {
  readonly db: Kysely<Schema>;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly directory: DirectoryService;
  readonly hasher: Pick<PasswordHasher, "hash">;
  /** The mail doors' sessions (webmail, account page, Assistance, console: one store). */
  readonly sessions: SessionService;
  /** LIMITS["login-account"]: the sign-in throttle the card shows and an agent may lift. */
  readonly loginThrottle: BackoffThrottle;
  /** LIMITS["recovery-numen"]: the Assistance's NUMEN throttle. */
  readonly numenThrottle: BackoffThrottle;
  /** LIMITS["helpdesk-verify"]: the NUMEN and birth-date checks per person. */
  readonly verifyThrottle: WindowCounter;
  readonly recovery: Pick<RecoveryService, "resetLinkAddress" | "sendResetLink" | "notifyHolder">;
  readonly messages: HelpdeskMessages;
}

/** `a••••@exemple.org`: whether an address is there, never the address. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf("@");
  if (at <= 0) return "••••";
  return `${address[0]}••••${address.slice(at)}`;
}

function doorOf(actor: string): Door | null {
  return DOORS[actor] ?? null;
}

function inForce(decision: ThrottleDecision): ThrottleInForce | null {
  return decision.allowed ? null : { until: decision.retryAt.toISOString(), reason: decision.reason };
}

function newTemporaryPassword(): string {
  const group = () =>
    Array.from({ length: 4 }, () => TEMPORARY_ALPHABET[randomInt(TEMPORARY_ALPHABET.length)]).join("");
  return `${group()}-${group()}-${group()}`;
}

/** A console action's reason, required (the security team's too): VALIDATION_FAILED (`reason`, required or too long). */
export function checkReason(reason: string): string {
  const value = reason.trim();
  if (value === "") {
    throw new DomainError("VALIDATION_FAILED", "a reason is required", { field: "reason", reason: "required" });
  }
  if (value.length > REASON_MAX) {
    throw new DomainError("VALIDATION_FAILED", "the reason is too long", {
      field: "reason",
      reason: "too_long",
      max: REASON_MAX,
    });
  }
  return value;
}

export class HelpdeskService {
  constructor(private readonly deps: HelpdeskDeps) {}

  #now(): Date {
    return this.deps.clock.now();
  }

  /** A reason, required for every action: VALIDATION_FAILED (`reason`, required or too long). */
  checkReason(reason: string): string {
    return checkReason(reason);
  }

  async #person(personId: number): Promise<repo.PersonRow> {
    const person = await repo.findPerson(this.deps.db, personId);
    if (!person) throw new DomainError("NOT_FOUND", `no person #${personId}`);
    return person;
  }

  /** The credentials of the person's accounts (their NUMEN hash and birth date stay here). */
  async #credentials(personId: number): Promise<StoredCredentials[]> {
    const ids = await repo.accountIdsOfPerson(this.deps.db, personId);
    const all = await Promise.all(ids.map((id) => this.deps.directory.credentialsById(id)));
    return all.filter((c): c is StoredCredentials => c !== null);
  }

  /** One of the person's accounts (NOT_FOUND for any other account). */
  async #account(personId: number, accountId: number): Promise<StoredCredentials> {
    const found = (await this.#credentials(personId)).find((c) => c.account.id === accountId);
    if (!found) throw new DomainError("NOT_FOUND", `account #${accountId} is not person #${personId}'s`);
    return found;
  }

  /** The person's NUMEN hash (any of their accounts carries it). */
  async #numenHash(personId: number): Promise<string | null> {
    const [first] = await this.#credentials(personId);
    return first?.numenHash ?? null;
  }

  #record(
    agent: Agent,
    action: AuditAction,
    entity: string,
    id: number,
    details: Record<string, unknown>,
    ex?: Kysely<Schema>,
  ) {
    return this.deps.audit.record(
      {
        actor: agent.actor,
        action,
        entity,
        entityId: id,
        details: { agentAccountId: agent.accountId, ip: agent.ip, ...details },
      },
      ex,
    );
  }

  /** A person's card, audited (who looked at whom). */
  async card(personId: number, agent: Agent): Promise<PersonCard> {
    const person = await this.#person(personId);
    const credentials = await this.#credentials(personId);
    const now = this.#now().toISOString();
    const accounts: CardAccount[] = [];
    for (const c of credentials) {
      const a = c.account;
      const [events, sessions, throttle] = await Promise.all([
        this.deps.audit.forEntity("account", a.id, SIGN_IN_ACTIONS, SIGN_INS_SHOWN * 3),
        this.deps.sessions.listForAccount(a.id),
        this.deps.loginThrottle.check(`login:acct:${a.id}`),
      ]);
      accounts.push({
        id: a.id,
        username: a.username,
        address: a.address,
        kind: a.kind,
        state: accountState(a),
        recovery: a.recoveryEmail ? { masked: maskAddress(a.recoveryEmail), confirmed: a.recoveryConfirmed } : null,
        temporaryUntil: c.passwordExpiresAt && c.passwordExpiresAt > now ? c.passwordExpiresAt : null,
        compromisedAt: c.compromisedAt,
        signIns: signInsOf(events),
        sessions: sessions.map((s) => ({ kind: s.kind, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, ip: s.ip })),
        throttle: inForce(throttle),
      });
    }
    const numenHash = credentials[0]?.numenHash ?? null;
    const numenThrottle = numenHash
      ? inForce(await this.deps.numenThrottle.check(`recovery:numen:${numenHash}`))
      : null;
    await this.#record(agent, "helpdesk.card_viewed", "person", personId, {});
    return {
      personId: person.id,
      civilite: person.civilite,
      prenom: person.prenom,
      nom: person.nom,
      categorie: person.categorie,
      status: person.status,
      establishment: { uai: person.uai, libelle: person.libelle },
      accounts,
      numenThrottle,
    };
  }

  /** Counts a check against the person's limit, or THROTTLED (audited). */
  async #verifyAllowed(personId: number, agent: Agent): Promise<void> {
    const key = `helpdesk:verify:${personId}`;
    const decision = await this.deps.verifyThrottle.check(key);
    if (!decision.allowed) {
      await this.#record(agent, "helpdesk.verify_throttled", "person", personId, {});
      throw new DomainError("THROTTLED", "too many checks for this person", { retryAt: decision.retryAt });
    }
    await this.deps.verifyThrottle.record(key);
  }

  /**
   * « Vérifier le NUMEN »: whether what the caller says is the person's NUMEN (through its keyed
   * hash). VALIDATION_FAILED (`fields.numen`: missing or format) before anything is counted.
   */
  async verifyNumen(personId: number, typed: string, agent: Agent): Promise<boolean> {
    if (typed.trim() === "") throw fieldError("numen", "missing");
    if (normalizeNumen(typed) === null) throw fieldError("numen", "format");
    await this.#person(personId);
    await this.#verifyAllowed(personId, agent);
    const matched = this.deps.directory.numenMatches(await this.#numenHash(personId), typed);
    await this.#record(agent, "helpdesk.numen_checked", "person", personId, { matched });
    return matched;
  }

  /** « Vérifier la date de naissance » (jj/mm/aaaa): whether it is the person's. */
  async verifyBirthDate(personId: number, typed: string, agent: Agent): Promise<boolean> {
    const raw = typed.trim();
    if (raw === "") throw fieldError("birthDate", "missing");
    if (!/^\d{1,2}\/\d{1,2}\/\d{4}$/.test(raw)) throw fieldError("birthDate", "format");
    let iso: string;
    try {
      iso = parseBirthDate(raw, this.#now());
    } catch (error) {
      if (!isDomainError(error, "INVALID_DATE")) throw error;
      throw fieldError("birthDate", /impossible/.test(error.message) ? "impossible" : "out_of_range");
    }
    await this.#person(personId);
    await this.#verifyAllowed(personId, agent);
    const [first] = await this.#credentials(personId);
    const matched = first?.birthDate === iso;
    await this.#record(agent, "helpdesk.birth_date_checked", "person", personId, { matched });
    return matched;
  }

  /** Lifts an account's sign-in throttle or the person's NUMEN throttle; false when none was in force. */
  async liftThrottle(personId: number, target: ThrottleTarget, reasonText: string, agent: Agent): Promise<boolean> {
    const reason = this.checkReason(reasonText);
    let key: string;
    let throttle: BackoffThrottle;
    if (target.kind === "account") {
      await this.#account(personId, target.accountId);
      key = `login:acct:${target.accountId}`;
      throttle = this.deps.loginThrottle;
    } else {
      await this.#person(personId);
      const hash = await this.#numenHash(personId);
      if (!hash) return false;
      key = `recovery:numen:${hash}`;
      throttle = this.deps.numenThrottle;
    }
    const before = await throttle.check(key);
    await throttle.lift(key);
    await this.#record(
      agent,
      "helpdesk.throttle_lifted",
      target.kind === "account" ? "account" : "person",
      target.kind === "account" ? target.accountId : personId,
      { reason, throttle: target.kind, wasInForce: !before.allowed },
    );
    return !before.allowed;
  }

  /**
   * A reset link to the account's confirmed recovery address (the Assistance's own link, through
   * the outbox or relay). CONFLICT when the account cannot use one (no confirmed address, disabled,
   * departed); THROTTLED past 3 links an hour.
   */
  async sendResetLink(personId: number, accountId: number, reasonText: string, agent: Agent): Promise<string> {
    const reason = this.checkReason(reasonText);
    const { account } = await this.#account(personId, accountId);
    const to = await this.deps.recovery.resetLinkAddress(account);
    if (!to || accountState(account) === "departed" || account.disabled) {
      throw new DomainError("CONFLICT", "no confirmed recovery address, or the account cannot be used");
    }
    const sent = await this.deps.recovery.sendResetLink(account, to, { ip: agent.ip });
    if (sent === "throttled") throw new DomainError("THROTTLED", "3 reset links in the last hour");
    await this.#record(agent, "helpdesk.reset_link_sent", "account", accountId, { reason });
    return maskAddress(to);
  }

  /**
   * A temporary password (generated; shown once to the agent), valid 24 hours and to be changed at
   * first use; the account's sessions end and the holder is told at the mailbox and recovery
   * address. CONFLICT for a departed person or a disabled account.
   */
  async setTemporaryPassword(
    personId: number,
    accountId: number,
    reasonText: string,
    agent: Agent,
  ): Promise<TemporaryPassword> {
    const reason = this.checkReason(reasonText);
    const { account } = await this.#account(personId, accountId);
    if (accountState(account) === "departed" || account.disabled) {
      throw new DomainError("CONFLICT", "a departed person's or a disabled account gets no temporary password");
    }
    const password = newTemporaryPassword();
    const hash = await this.deps.hasher.hash(password);
    const now = this.#now();
    const until = new Date(now.getTime() + TEMPORARY_PASSWORD_MS);
    await this.deps.db.transaction().execute(async (trx) => {
      await repo.setTemporaryPassword(trx, accountId, hash, until.toISOString(), now.toISOString());
      await this.#record(
        agent,
        "helpdesk.temporary_password_set",
        "account",
        accountId,
        {
          reason,
          until: until.toISOString(),
        },
        trx,
      );
    });
    await this.deps.sessions.endAllForAccount(accountId);
    await this.deps.recovery.notifyHolder(
      account,
      this.deps.messages.temporaryPassword({ username: account.username, address: account.address, at: now, until }),
    );
    return { password, until: until.toISOString(), username: account.username };
  }

  /** Ends every session of the account (webmail, account page, Assistance); how many. */
  async endSessions(personId: number, accountId: number, reasonText: string, agent: Agent): Promise<number> {
    const reason = this.checkReason(reasonText);
    await this.#account(personId, accountId);
    const ended = await this.deps.sessions.endAllForAccount(accountId);
    await this.#record(agent, "helpdesk.sessions_ended", "account", accountId, { reason, ended });
    return ended;
  }

  /** Disables or enables an account; false when it already was. CONFLICT: enabling a departed person's. */
  async setDisabled(
    personId: number,
    accountId: number,
    disabled: boolean,
    reasonText: string,
    agent: Agent,
  ): Promise<boolean> {
    const reason = this.checkReason(reasonText);
    const { account } = await this.#account(personId, accountId);
    if (!disabled && accountState(account) === "departed") {
      throw new DomainError("CONFLICT", "a departed person's account comes back with the HR import only");
    }
    const changed = await this.deps.db.transaction().execute(async (trx) => {
      const done = await repo.setDisabled(trx, accountId, disabled, this.#now().toISOString());
      if (done) {
        await this.#record(
          agent,
          disabled ? "helpdesk.account_disabled" : "helpdesk.account_enabled",
          "account",
          accountId,
          { reason },
          trx,
        );
      }
      return done;
    });
    if (changed && disabled) await this.deps.sessions.endAllForAccount(accountId);
    return changed;
  }

  /**
   * « Compte compromis »: every session ends and sign-in is refused at every door (LoginService)
   * until a new password is set through the Assistance or a temporary password; the holder is told.
   */
  async markCompromised(personId: number, accountId: number, reasonText: string, agent: Agent): Promise<void> {
    const reason = this.checkReason(reasonText);
    const { account } = await this.#account(personId, accountId);
    const now = this.#now();
    await this.deps.db.transaction().execute(async (trx) => {
      await repo.markCompromised(trx, accountId, now.toISOString());
      await this.#record(agent, "helpdesk.account_compromised", "account", accountId, { reason }, trx);
    });
    await this.deps.sessions.endAllForAccount(accountId);
    await this.deps.recovery.notifyHolder(
      account,
      this.deps.messages.compromised({ username: account.username, address: account.address, at: now }),
    );
  }
}

function fieldError(field: "numen" | "birthDate", problem: "missing" | "format" | "impossible" | "out_of_range") {
  return new DomainError("VALIDATION_FAILED", `${field}: ${problem}`, { fields: { [field]: problem } });
}

/** The last sign-ins with their door (re-authentications in a live session are no sign-in). */
function signInsOf(events: readonly AuditEvent[]): SignInEvent[] {
  const out: SignInEvent[] = [];
  for (const e of events) {
    const door = doorOf(e.actor);
    const outcome = OUTCOMES[e.action];
    if (!door || !outcome || e.details.reauth) continue;
    out.push({ at: e.at, door, outcome, ip: typeof e.details.ip === "string" ? e.details.ip : null });
    if (out.length >= SIGN_INS_SHOWN) break;
  }
  return out;
}
