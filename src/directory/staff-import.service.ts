/**
 * HR import of staff: streams the CSV, validates each row, writes people and their academic
 * accounts in batches, all in one transaction. Rows with errors are reported with their line and
 * reason; when more than 10 % of rows are rejected, or on a dry run, nothing is written.
 */
import type { AuditEventInput, AuditService } from "../audit/audit.service.js";
import type { Clock } from "../shared/clock.js";
import { keyedHash } from "../shared/crypto.js";
import { DomainError, isDomainError } from "../shared/errors.js";
import { openCsv } from "./csv-source.js";
import {
  type Executor,
  findPersonsByNumenHashes,
  insertAccounts,
  insertPersons,
  listActivePersonIdsWithHash,
  loadIssuedNames,
  markPersonsDeparted,
  type NewAccount,
  reenableAccountsAfterReturn,
  updatePerson,
} from "./directory.repository.js";
import type { ImportReport, RejectedRow, StaffRecord } from "./directory.types.js";
import { normalizeNumen, parseBirthDate, parseUai } from "./identifiers.js";
import { addressLocalBase, usernameBase } from "./naming.js";

export const STAFF_COLUMNS = ["numen", "civilite", "nom", "prenom", "date_naissance", "categorie", "uai"] as const;
/** Share of rejected rows above which nothing is imported. */
export const MAX_REJECTED_SHARE = 0.1;
const MAX_NAME_LENGTH = 100;
const BATCH = 500;

export interface StaffImportOptions {
  readonly full?: boolean;
  readonly dryRun?: boolean;
  /** Who runs it, for the audit trail (`cli:import staff`). */
  readonly actor: string;
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface StaffImportDeps {
  readonly db: Executor;
  readonly secret: string;
  readonly mailDomain: string;
  readonly clock: Clock;
  readonly audit: AuditService;
}

class Rollback extends Error {}

type Validated = { ok: true; record: StaffRecord; numenHash: string } | { ok: false; reason: string };

function text(fields: Readonly<Record<string, string | undefined>>, name: string): string {
  return (fields[name] ?? "").trim();
}

/** Checks one HR row; the reason, when refused, is for the operator (English). */
export function validateStaffRow(
  fields: Readonly<Record<string, string | undefined>>,
  today: Date,
  secret: string,
): Validated {
  const numen = normalizeNumen(text(fields, "numen"));
  if (numen === null) {
    return { ok: false, reason: "invalid NUMEN: expected 2 digits, 1 letter, 7 digits, 3 letters" };
  }
  const nom = text(fields, "nom");
  const prenom = text(fields, "prenom");
  if (nom === "") return { ok: false, reason: "missing nom" };
  if (prenom === "") return { ok: false, reason: "missing prenom" };
  if (nom.length > MAX_NAME_LENGTH || prenom.length > MAX_NAME_LENGTH) {
    return { ok: false, reason: `name longer than ${MAX_NAME_LENGTH} characters` };
  }
  if (usernameBase(prenom, nom) === null) {
    return { ok: false, reason: "nom or prenom has no Latin letter to make a username from" };
  }
  let birthDate: string;
  try {
    birthDate = parseBirthDate(text(fields, "date_naissance"), today);
  } catch (error) {
    if (isDomainError(error)) return { ok: false, reason: `date_naissance: ${error.message}` };
    throw error;
  }
  let uai = text(fields, "uai");
  if (uai !== "") {
    try {
      uai = parseUai(uai);
    } catch {
      return { ok: false, reason: `invalid UAI "${uai}": expected 7 digits and its key letter` };
    }
  }
  const civilite = text(fields, "civilite");
  const categorie = text(fields, "categorie");
  if (civilite.length > MAX_NAME_LENGTH || categorie.length > MAX_NAME_LENGTH) {
    return { ok: false, reason: `civilite or categorie longer than ${MAX_NAME_LENGTH} characters` };
  }
  const numenHash = keyedHash(secret, numen);
  return { ok: true, numenHash, record: { numenHash, civilite, nom, prenom, birthDate, categorie, uai } };
}

function changedFields(a: StaffRecord, b: StaffRecord): string[] {
  const keys: Array<keyof StaffRecord> = ["civilite", "nom", "prenom", "birthDate", "categorie", "uai"];
  return keys.filter((k) => a[k] !== b[k]);
}

/**
 * Writes validated staff records inside one transaction: creates people with their academic
 * account, updates changed people (never their username or address). Shared with the demo.
 */
export class StaffWriter {
  created = 0;
  updated = 0;
  unchanged = 0;
  readonly seen = new Set<string>();
  /**
   * Per base that collided, the last suffix given in this import. Names are only ever added, so every
   * suffix below it is still taken: resuming the search there gives the same result as naming's
   * `firstFree` from 2 upward, without rescanning every homonym (quadratic on 100,000 rows).
   */
  private readonly usernameHint = new Map<string, number>();
  private readonly addressHint = new Map<string, number>();
  private constructor(
    private readonly trx: Executor,
    private readonly deps: StaffImportDeps,
    private readonly actor: string,
    private readonly names: { usernames: Set<string>; addresses: Set<string> },
  ) {}

  static async open(trx: Executor, deps: StaffImportDeps, actor: string): Promise<StaffWriter> {
    return new StaffWriter(trx, deps, actor, await loadIssuedNames(trx));
  }

  async write(records: readonly StaffRecord[]): Promise<void> {
    if (records.length === 0) return;
    const now = this.deps.clock.now().toISOString();
    const existing = await findPersonsByNumenHashes(
      this.trx,
      records.map((r) => r.numenHash),
    );
    const fresh: StaffRecord[] = [];
    const events: AuditEventInput[] = [];
    for (const record of records) {
      this.seen.add(record.numenHash);
      const current = existing.get(record.numenHash);
      if (!current) {
        fresh.push(record);
        continue;
      }
      const changed = changedFields(current, record);
      const returning = current.status === "departed";
      if (changed.length === 0 && !returning) {
        this.unchanged++;
        continue;
      }
      await updatePerson(this.trx, current.id, record, now);
      if (returning) await reenableAccountsAfterReturn(this.trx, current.id, now);
      this.updated++;
      events.push({
        actor: this.actor,
        action: returning ? "person.returned" : "person.updated",
        entity: "person",
        entityId: current.id,
        details: { fields: changed },
      });
    }
    if (fresh.length > 0) {
      const ids = await insertPersons(this.trx, fresh, now);
      const accounts: NewAccount[] = fresh.map((r) => {
        const username = this.firstFree(usernameBase(r.prenom, r.nom) as string, this.usernameHint, (c) =>
          this.names.usernames.has(c),
        );
        const domain = this.deps.mailDomain;
        const local = this.firstFree(addressLocalBase(r.prenom, r.nom) as string, this.addressHint, (c) =>
          this.names.addresses.has(`${c}@${domain}`),
        );
        const address = `${local}@${domain}`;
        this.names.usernames.add(username);
        this.names.addresses.add(address);
        return {
          kind: "academique",
          username,
          address,
          personId: ids.get(r.numenHash) ?? null,
          establishmentUai: null,
          externalNom: null,
          externalPrenom: null,
          recoveryEmail: null,
          recoveryConfirmed: false,
          passwordState: "initial",
          passwordHash: null,
        };
      });
      await insertAccounts(this.trx, accounts, now);
      for (const a of accounts) {
        events.push({
          actor: this.actor,
          action: "person.created",
          entity: "person",
          entityId: a.personId,
          details: { username: a.username, address: a.address },
        });
      }
      this.created += fresh.length;
    }
    await this.deps.audit.recordMany(events, this.trx);
  }

  /** `base`, or `base2`, `base3`, …: the first free one, as naming's `firstFree`, resumed from `hints`. */
  private firstFree(base: string, hints: Map<string, number>, isTaken: (candidate: string) => boolean): string {
    let n = hints.get(base) ?? 1;
    let candidate = n === 1 ? base : `${base}${n}`;
    while (isTaken(candidate)) {
      n = n === 1 ? 2 : n + 1;
      candidate = `${base}${n}`;
    }
    // Only bases that collided are remembered: most address bases are used once, and remembering
    // them all would hold 100,000 entries for nothing (without a hint, the search starts at the base).
    if (n > 1) hints.set(base, n);
    return candidate;
  }

  /** People not seen in this import become departed; their academic accounts are disabled. */
  async departUnseen(): Promise<number> {
    const now = this.deps.clock.now().toISOString();
    const gone = (await listActivePersonIdsWithHash(this.trx)).filter((p) => !this.seen.has(p.numenHash));
    const ids = gone.map((p) => p.id);
    await markPersonsDeparted(this.trx, ids, now);
    await this.deps.audit.recordMany(
      ids.map((id) => ({ actor: this.actor, action: "person.departed", entity: "person", entityId: id })),
      this.trx,
    );
    return ids.length;
  }
}

/**
 * Checks that a file is a readable HR export with the staff columns, without a database: the CLI
 * calls it first, so that a wrong file is reported at once and creates no database.
 */
export async function checkStaffFile(file: string): Promise<void> {
  await openCsv(file, STAFF_COLUMNS);
}

export class StaffImportService {
  constructor(private readonly deps: StaffImportDeps) {}

  async importFile(file: string, options: StaffImportOptions): Promise<ImportReport> {
    const source = await openCsv(file, STAFF_COLUMNS);
    const today = this.deps.clock.now();
    const rejected: RejectedRow[] = [];
    let rows = 0;
    let report: ImportReport | undefined;
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        const writer = await StaffWriter.open(trx, this.deps, options.actor);
        const firstLineOf = new Map<string, number>();
        let batch: StaffRecord[] = [];
        const onBytes = options.onProgress ? (n: number) => options.onProgress?.(n, source.size) : undefined;
        for await (const { line, fields } of source.records(onBytes)) {
          rows++;
          const v = validateStaffRow(fields, today, this.deps.secret);
          if (!v.ok) {
            rejected.push({ line, reason: v.reason });
            // A person whose row has an error is still in the file: --full must not make them departed.
            const numen = normalizeNumen(text(fields, "numen"));
            if (numen !== null) writer.seen.add(keyedHash(this.deps.secret, numen));
            continue;
          }
          const first = firstLineOf.get(v.numenHash);
          if (first !== undefined) {
            rejected.push({ line, reason: `NUMEN repeated in the file (first on line ${first})` });
            continue;
          }
          firstLineOf.set(v.numenHash, line);
          batch.push(v.record);
          if (batch.length >= BATCH) {
            await writer.write(batch);
            batch = [];
          }
        }
        await writer.write(batch);
        if (rows === 0) throw new DomainError("CSV_INVALID", "the file has a header row but no data rows");
        const departed = options.full ? await writer.departUnseen() : 0;
        const tooMany = rejected.length > rows * MAX_REJECTED_SHARE;
        const applied = !tooMany && !options.dryRun;
        report = {
          created: writer.created,
          updated: writer.updated,
          unchanged: writer.unchanged,
          departed,
          rejected,
          applied,
          rows,
        };
        if (applied) {
          await this.deps.audit.record(
            {
              actor: options.actor,
              action: "import.staff",
              entity: "import",
              details: {
                file,
                rows,
                created: writer.created,
                updated: writer.updated,
                departed,
                rejected: rejected.length,
              },
            },
            trx,
          );
        } else {
          throw new Rollback();
        }
      });
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
    }
    if (!report) throw new Error("import finished without a report");
    return report;
  }
}
