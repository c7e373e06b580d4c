/**
 * The directory's rules for single changes: external accounts, look-ups, disabling, and the
 * establishments import (functional accounts `ce.<uai>`).
 */
import type { Transaction } from "kysely";
import type { AuditService } from "../audit/audit.service.js";
import type { AuditAction } from "../audit/audit-actions.js";
import type { Clock } from "../shared/clock.js";
import { keyedHash, safeEqual } from "../shared/crypto.js";
import { DomainError } from "../shared/errors.js";
import type { DialectName } from "../storage/database.js";
import type { Schema } from "../storage/schema.js";
import { isAcademieAddress } from "./academie-domains.js";
import { openCsv } from "./csv-source.js";
import {
  analyzeAfterImport,
  countPersons,
  type Executor,
  findAccountByUsernameOrAddress,
  findAccountsByRecoveryEmail,
  findAccountsOfPerson,
  findCredentials,
  findCredentialsById,
  findEstablishments,
  findFunctionalAccount,
  findPersonByNumenHash,
  findPersonsByNumenHashes,
  insertAccounts,
  insertEstablishment,
  loadIssuedNames,
  setAccountDisabled,
  setFunctionalHolder,
  staffAccount,
  suggestAccounts,
  updateEstablishment,
  updatePasswordHash,
  updateRecoveryEmail,
} from "./directory.repository.js";
import type { Account, ImportReport, RejectedRow, StoredCredentials } from "./directory.types.js";
import { normalizeNumen, parseEmail, parseUai } from "./identifiers.js";
import { addressLocalBase, firstFree, firstFreeAddress, usernameBase } from "./naming.js";
import type { PersonHit } from "./people-search.js";
import { PeopleSearch } from "./people-search.service.js";
import { MAX_REJECTED_SHARE } from "./staff-import.service.js";

export const ESTABLISHMENT_COLUMNS = ["uai", "libelle", "numen_chef"] as const;

/** Checks that a file is a readable establishments export, without a database (see checkStaffFile). */
export async function checkEstablishmentsFile(file: string): Promise<void> {
  await openCsv(file, ESTABLISHMENT_COLUMNS);
}

export interface DirectoryDeps {
  readonly db: Executor;
  /** The database's dialect (the person search's trigram index differs). */
  readonly dialect: DialectName;
  readonly secret: string;
  readonly mailDomain: string;
  readonly clock: Clock;
  readonly audit: AuditService;
}

export interface ExternalInput {
  readonly nom: string;
  readonly prenom: string;
  readonly recoveryEmail: string;
  /** Optional argon2id PHC string (demo data); otherwise the password is set through recovery. */
  readonly passwordHash?: string;
}

class Rollback extends Error {}

/** An account that is not disabled and whose holder (a person) has not departed. */
export function isUsable(account: Account): boolean {
  return !account.disabled && (account.holder.type === "external" || account.holder.status === "active");
}

export class DirectoryService {
  private readonly people: PeopleSearch;

  constructor(private readonly deps: DirectoryDeps) {
    this.people = new PeopleSearch({ db: deps.db, dialect: deps.dialect, numenHash: (numen) => this.numenHash(numen) });
  }

  /**
   * The helpdesk's person search: a name (folded, partial, any order, misspelt), a username, an
   * address, a UAI or a NUMEN (by its keyed hash); see people-search.ts. Never a NUMEN nor a date of
   * birth in the hits. VALIDATION_FAILED (`too_long`) past SEARCH_MAX_LENGTH characters.
   */
  searchPeople(query: string, limit = 20): Promise<PersonHit[]> {
    return this.people.search(query, limit);
  }

  numenHash(numen: string): string {
    return keyedHash(this.deps.secret, numen);
  }

  /** Whether `candidate` (any case, spaces ignored) is the NUMEN whose keyed hash is `numenHash`. */
  numenMatches(numenHash: string | null, candidate: string): boolean {
    if (numenHash === null) return false;
    const numen = normalizeNumen(candidate);
    return numen !== null && safeEqual(this.numenHash(numen), numenHash);
  }

  /** What the identity module needs to check a password; by username or address (any case). */
  credentials(identifier: string): Promise<StoredCredentials | null> {
    return findCredentials(this.deps.db, identifier);
  }

  async getAccountById(accountId: number): Promise<Account> {
    const c = await findCredentialsById(this.deps.db, accountId);
    if (!c) throw new DomainError("NOT_FOUND", `no account #${accountId}`);
    return c.account;
  }

  /** An account that exists, is not disabled, and whose holder (a person) has not departed. */
  async isAccountUsable(accountId: number): Promise<boolean> {
    const c = await findCredentialsById(this.deps.db, accountId);
    return c !== null && isUsable(c.account);
  }

  credentialsById(accountId: number): Promise<StoredCredentials | null> {
    return findCredentialsById(this.deps.db, accountId);
  }

  /** Stores a new password hash; `personal` ends the initial (NUMEN) state for good. */
  async setPasswordHash(
    accountId: number,
    phc: string,
    state: "personal" | "must_change",
    audit: { actor: string; action: AuditAction; details?: Record<string, unknown> } | null,
  ): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      await updatePasswordHash(trx, accountId, phc, state, this.deps.clock.now().toISOString());
      if (audit) {
        await this.deps.audit.record(
          {
            actor: audit.actor,
            action: audit.action,
            entity: "account",
            entityId: accountId,
            details: audit.details ?? {},
          },
          trx,
        );
      }
    });
  }

  /**
   * The accounts of the active person with this NUMEN and birth date, or [] — always the same
   * queries, so that the time does not tell which part did not match.
   */
  async accountsByNumenAndBirthDate(numen: string, birthDate: string): Promise<Account[]> {
    const person = await findPersonByNumenHash(this.deps.db, this.numenHash(numen));
    const matches = person !== null && person.status === "active" && safeEqual(person.birthDate, birthDate);
    const accounts = await findAccountsOfPerson(this.deps.db, matches ? person.id : -1);
    return accounts.filter((a) => !a.disabled);
  }

  /** Accounts (not disabled) of the person holding `accountId`, or just that account for an external one. */
  async accountsOfHolder(accountId: number): Promise<Account[]> {
    const account = await this.getAccountById(accountId);
    if (account.holder.type !== "person") return account.disabled ? [] : [account];
    return (await findAccountsOfPerson(this.deps.db, account.holder.personId)).filter((a) => !a.disabled);
  }

  /** Accounts whose confirmed recovery address is `email` (any case). */
  async accountsByRecoveryEmail(email: string): Promise<Account[]> {
    let normalized: string;
    try {
      normalized = this.recoveryAddress(email);
    } catch {
      return [];
    }
    return findAccountsByRecoveryEmail(this.deps.db, normalized);
  }

  /**
   * A recovery address as stored: checked, lower case (people type it in any case), and outside the
   * académie's mail, subdomains included — it must work when the account does not.
   */
  recoveryAddress(email: string): string {
    const normalized = parseEmail(email).toLowerCase();
    if (isAcademieAddress(normalized, [this.deps.mailDomain])) {
      throw new DomainError("INVALID_EMAIL", `the recovery address must be outside ${this.deps.mailDomain}`, {
        reason: "inside_domain",
      });
    }
    return normalized;
  }

  /**
   * Sets (confirmed) or clears the recovery address of an account, with its audit event; `within`
   * runs in the same transaction (the recovery module keeps the history of changes there).
   */
  async setRecoveryEmail(
    accountId: number,
    email: string | null,
    actor: string,
    options: { details?: Record<string, unknown>; within?: (trx: Transaction<Schema>) => Promise<void> } = {},
  ): Promise<void> {
    const normalized = email === null ? null : this.recoveryAddress(email);
    await this.deps.db.transaction().execute(async (trx) => {
      await updateRecoveryEmail(trx, accountId, normalized, normalized !== null, this.deps.clock.now().toISOString());
      await this.deps.audit.record(
        {
          actor,
          action: email === null ? "account.recovery_email_removed" : "account.recovery_email_set",
          entity: "account",
          entityId: accountId,
          details: options.details ?? {},
        },
        trx,
      );
      await options.within?.(trx);
    });
  }

  async isEmpty(): Promise<boolean> {
    return (await countPersons(this.deps.db)) === 0;
  }

  /** An account by username, address (any case) or its holder's NUMEN (their academic account). */
  async findAccount(ident: string): Promise<Account | null> {
    const numen = normalizeNumen(ident);
    if (numen !== null) {
      const person = await findPersonByNumenHash(this.deps.db, this.numenHash(numen));
      if (!person) return null;
      const accounts = await findAccountsOfPerson(this.deps.db, person.id);
      return accounts.find((a) => a.kind === "academique") ?? accounts[0] ?? null;
    }
    return findAccountByUsernameOrAddress(this.deps.db, ident);
  }

  /** Up to `limit` active accounts matching what is being typed (2 characters at least). */
  async suggest(typed: string, limit = 8): Promise<Account[]> {
    const prefix = typed.trim().toLowerCase();
    if (prefix.length < 2 || prefix.length > 100) return [];
    return (await suggestAccounts(this.deps.db, prefix, Math.min(Math.max(limit, 1), 20))).filter(isUsable);
  }

  async getAccount(ident: string): Promise<Account> {
    const account = await this.findAccount(ident);
    if (!account) throw new DomainError("NOT_FOUND", `no account matches "${ident}"`);
    return account;
  }

  async disableAccount(ident: string, actor: string): Promise<Account> {
    const account = await this.getAccount(ident);
    if (account.disabled) return account;
    await this.deps.db.transaction().execute(async (trx) => {
      await setAccountDisabled(trx, account.id, true, "admin", this.deps.clock.now().toISOString());
      await this.deps.audit.record(
        {
          actor,
          action: "account.disabled",
          entity: "account",
          entityId: account.id,
          details: { username: account.username },
        },
        trx,
      );
    });
    return this.getAccount(account.username);
  }

  async createExternal(input: ExternalInput, actor: string): Promise<Account> {
    const nom = input.nom.trim();
    const prenom = input.prenom.trim();
    if (nom === "" || prenom === "" || nom.length > 100 || prenom.length > 100) {
      throw new DomainError("INVALID_NAME", "nom and prenom are required (at most 100 characters each)");
    }
    const base = usernameBase(prenom, nom);
    const localBase = addressLocalBase(prenom, nom);
    if (base === null || localBase === null) {
      throw new DomainError("INVALID_NAME", "nom and prenom must contain Latin letters to make a username");
    }
    const recoveryEmail = this.recoveryAddress(input.recoveryEmail);
    const username = await this.deps.db.transaction().execute(async (trx) => {
      const names = await loadIssuedNames(trx);
      const chosen = firstFree(`ext-${base}`, (c) => names.usernames.has(c));
      const address = firstFreeAddress(`ext.${localBase}`, this.deps.mailDomain, (c) => names.addresses.has(c));
      const now = this.deps.clock.now().toISOString();
      const ids = await insertAccounts(
        trx,
        [
          {
            kind: "externe",
            username: chosen,
            address,
            personId: null,
            establishmentUai: null,
            externalNom: nom,
            externalPrenom: prenom,
            recoveryEmail,
            // Given by an administrator: counts as confirmed (the Assistance's external path relies on it).
            recoveryConfirmed: true,
            passwordState: input.passwordHash ? "personal" : "must_change",
            passwordHash: input.passwordHash ?? null,
          },
        ],
        now,
      );
      await this.deps.audit.record(
        {
          actor,
          action: "account.created",
          entity: "account",
          entityId: ids.get(chosen),
          details: { username: chosen, kind: "externe" },
        },
        trx,
      );
      return chosen;
    });
    return this.getAccount(username);
  }

  /**
   * Establishments import (`uai;libelle;numen_chef`): creates each establishment and its functional
   * account `ce.<uai>`, held by the head. A new head takes the account over, and its password goes
   * back to the initial one (the new head's NUMEN), so that the former head loses access.
   */
  async importEstablishments(file: string, options: { actor: string; dryRun?: boolean }): Promise<ImportReport> {
    const source = await openCsv(file, ESTABLISHMENT_COLUMNS);
    const rejected: RejectedRow[] = [];
    let rows = 0;
    let created = 0;
    let updated = 0;
    let unchanged = 0;
    let applied = false;
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        const names = await loadIssuedNames(trx);
        const seen = new Set<string>();
        const audit = (
          action: AuditAction,
          entity: string,
          entityId: string | number | null | undefined,
          details: Readonly<Record<string, unknown>>,
        ) => this.deps.audit.record({ actor: options.actor, action, entity, entityId, details }, trx);
        for await (const { line, fields } of source.records()) {
          rows++;
          let uai: string;
          try {
            uai = parseUai(fields.uai ?? "");
          } catch {
            rejected.push({ line, reason: `invalid UAI "${fields.uai ?? ""}": expected 7 digits and its key letter` });
            continue;
          }
          if (seen.has(uai)) {
            rejected.push({ line, reason: `UAI ${uai} repeated in the file` });
            continue;
          }
          seen.add(uai);
          const libelle = (fields.libelle ?? "").trim();
          if (libelle === "" || libelle.length > 200) {
            rejected.push({ line, reason: "missing libelle (or longer than 200 characters)" });
            continue;
          }
          const numen = normalizeNumen(fields.numen_chef ?? "");
          if (numen === null) {
            rejected.push({ line, reason: "invalid numen_chef: expected 2 digits, 1 letter, 7 digits, 3 letters" });
            continue;
          }
          const hash = this.numenHash(numen);
          const head = (await findPersonsByNumenHashes(trx, [hash])).get(hash);
          if (head?.status !== "active") {
            rejected.push({ line, reason: "numen_chef matches no active person: import the staff first" });
            continue;
          }
          // Every check comes before the first write: a rejected row writes nothing.
          const account = await findFunctionalAccount(trx, uai);
          const username = `ce.${uai.toLowerCase()}`;
          const address = `${username}@${this.deps.mailDomain}`;
          if (!account && (names.usernames.has(username) || names.addresses.has(address))) {
            rejected.push({ line, reason: `the functional account ${username} already exists for another holder` });
            continue;
          }
          const now = this.deps.clock.now().toISOString();
          const current = (await findEstablishments(trx, [uai])).get(uai);
          const establishment = { uai, libelle, headPersonId: head.id };
          const changed = current
            ? [
                ...(current.libelle !== libelle ? ["libelle"] : []),
                ...(current.headPersonId !== head.id ? ["head"] : []),
              ]
            : [];
          if (!current) {
            await insertEstablishment(trx, establishment, now);
            await audit("establishment.created", "establishment", uai, { libelle, headPersonId: head.id });
            created++;
          } else if (changed.length > 0) {
            await updateEstablishment(trx, establishment, now);
            await audit("establishment.updated", "establishment", uai, { fields: changed });
            updated++;
          } else {
            unchanged++;
          }
          if (!account) {
            names.usernames.add(username);
            names.addresses.add(address);
            const ids = await insertAccounts(trx, [staffAccount("fonctionnel", username, address, head.id, uai)], now);
            await audit("account.created", "account", ids.get(username), { username, kind: "fonctionnel", uai });
          } else if (account.holder.type !== "person" || account.holder.personId !== head.id) {
            await setFunctionalHolder(trx, account.id, head.id, now);
            await audit("account.holder_changed", "account", account.id, { username: account.username });
          }
        }
        if (rows === 0) throw new DomainError("CSV_INVALID", "the file has a header row but no data rows");
        applied = rejected.length <= rows * MAX_REJECTED_SHARE && !options.dryRun;
        if (!applied) throw new Rollback();
        await audit("import.establishments", "import", null, {
          file,
          rows,
          created,
          updated,
          rejected: rejected.length,
        });
      });
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
    }
    if (applied) await analyzeAfterImport(this.deps.db, this.deps.dialect, rows);
    return { created, updated, unchanged, departed: 0, rejected, applied, rows };
  }
}
