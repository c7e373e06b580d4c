/**
 * HR import of staff: streams the CSV, validates each row, writes people and their academic
 * accounts in batches, all in one transaction. Rows with errors are reported with their line and
 * reason; when more than 10 % of rows are rejected, or when a `--full` import would depart too many
 * people (the departure guard, unless forced), the transaction is rolled back: nothing is written.
 *
 * A dry run writes nothing and so opens no transaction: it reads what it compares against batch by
 * batch, like any request. On SQLite a transaction holds the only connection for as long as it lasts,
 * so a dry run in one would keep every other request of the instance (sign-ins, mail, the console's
 * own progress page) waiting until the whole file had been read.
 */
import type { AuditEventInput, AuditService } from "../audit/audit.service.js";
import type { Clock } from "../shared/clock.js";
import { keyedHash } from "../shared/crypto.js";
import { DomainError, isDomainError } from "../shared/errors.js";
import type { DialectName } from "../storage/database.js";
import { openCsv } from "./csv-source.js";
import {
  analyzeAfterImport,
  countPersons,
  type Executor,
  findPersonsByNumenHashes,
  insertAccounts,
  insertPersons,
  listActivePersonIdsWithHash,
  loadIssuedNames,
  markPersonsDeparted,
  type NewAccount,
  reenableAccountsAfterReturn,
  staffAccount,
  updatePerson,
} from "./directory.repository.js";
import type { ImportReport, RejectedRow, StaffRecord } from "./directory.types.js";
import { normalizeNumen, parseBirthDate, parseUai } from "./identifiers.js";
import { addressCandidate, addressLocalBase, addressLocalMax, usernameBase } from "./naming.js";

export const STAFF_COLUMNS = ["numen", "civilite", "nom", "prenom", "date_naissance", "categorie", "uai"] as const;
/** Share of rejected rows above which nothing is imported. */
export const MAX_REJECTED_SHARE = 0.1;
/**
 * The departure guard of `--full`: a truncated or wrong file (one establishment's extract instead of
 * the académie's export) would otherwise depart most of the directory in one run. Without `force`, a
 * full import may depart at most this share of the people active before it…
 */
export const MAX_DEPARTURE_SHARE = 0.05;
/**
 * …and always up to this many people, whatever the share, so that a small directory can still be
 * maintained. Both figures are also stated in the README and in `sesame help`.
 */
export const ALWAYS_ALLOWED_DEPARTURES = 10;
const MAX_NAME_LENGTH = 100;
const BATCH = 500;

export interface StaffImportOptions {
  readonly full?: boolean;
  readonly dryRun?: boolean;
  /** With `full`: depart the people missing from the file even beyond the departure guard. */
  readonly force?: boolean;
  /** Who runs it, for the audit trail (`cli:import staff`). */
  readonly actor: string;
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * Each batch's audit events, as they are written (or, on a dry run, as they would be): the console
   * shows the first ones as samples.
   */
  readonly onEvents?: (events: readonly AuditEventInput[]) => void;
}

export interface StaffImportDeps {
  readonly db: Executor;
  readonly dialect: DialectName;
  readonly secret: string;
  readonly mailDomain: string;
  readonly clock: Clock;
  readonly audit: AuditService;
}

/** Departures a full import may make without `force`, out of `active` people. */
export function maxDepartures(active: number): number {
  return Math.max(ALWAYS_ALLOWED_DEPARTURES, Math.floor(active * MAX_DEPARTURE_SHARE));
}

/** The departure guard's figures for a `--full` import (the departures are the report's `departed`). */
export interface DepartureCheck {
  /** People active before the import. */
  readonly active: number;
  /** Departures allowed without `force` (see maxDepartures). */
  readonly maxDepartures: number;
  /** More departures than allowed. */
  readonly exceeded: boolean;
  /** Exceeded, and `force` overrode the guard (recorded in the audit trail when applied). */
  readonly forced: boolean;
}

/**
 * Why an import was not applied, or would not be on a dry run. Too many rejected rows comes first:
 * such a file must be fixed, and forcing the departures would not help.
 */
export type ImportRefusal = "too_many_rejected" | "too_many_departures";

export interface StaffImportReport extends ImportReport {
  /** Present for a `--full` import. */
  readonly departures?: DepartureCheck;
  /** Set when a rule stops the import (also on a dry run: what the real run would do). */
  readonly refused?: ImportRefusal;
  /** With `full`: the first 100 people the import departs (or would, on a dry run), for the console's report. */
  readonly departedIds?: readonly number[];
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
 * `dryRun`: counts, names and events as a real run would give, without a write (no transaction needed).
 */
interface WriterOptions {
  readonly dryRun?: boolean;
  readonly onEvents?: (events: readonly AuditEventInput[]) => void;
}

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
    private readonly options: WriterOptions,
  ) {}

  static async open(
    trx: Executor,
    deps: StaffImportDeps,
    actor: string,
    options: WriterOptions = {},
  ): Promise<StaffWriter> {
    return new StaffWriter(trx, deps, actor, await loadIssuedNames(trx), options);
  }

  async write(records: readonly StaffRecord[]): Promise<void> {
    if (records.length === 0) return;
    const dryRun = this.options.dryRun === true;
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
      if (!dryRun) {
        await updatePerson(this.trx, current, record, now);
        if (returning) await reenableAccountsAfterReturn(this.trx, current.id, now);
      }
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
      const ids = dryRun ? new Map<string, number>() : await insertPersons(this.trx, fresh, now);
      const accounts: NewAccount[] = fresh.map((r) => {
        const username = this.firstFree(usernameBase(r.prenom, r.nom) as string, this.usernameHint, (c) =>
          this.names.usernames.has(c),
        );
        const domain = this.deps.mailDomain;
        // The local part and its collision number stay within RFC 5321's 64 octets (naming.ts).
        const maxLocal = addressLocalMax(domain);
        const local = this.firstFree(
          addressLocalBase(r.prenom, r.nom, maxLocal) as string,
          this.addressHint,
          (c) => this.names.addresses.has(`${c}@${domain}`),
          (base, n) => addressCandidate(base, n, maxLocal),
        );
        const address = `${local}@${domain}`;
        this.names.usernames.add(username);
        this.names.addresses.add(address);
        return staffAccount("academique", username, address, ids.get(r.numenHash) ?? null, null);
      });
      if (!dryRun) await insertAccounts(this.trx, accounts, now);
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
    this.options.onEvents?.(events);
    if (!dryRun) await this.deps.audit.recordMany(events, this.trx);
  }

  /**
   * `base`, or `base2`, `base3`, …: the first free one, as naming's `firstFree`, resumed from `hints`.
   * `candidateOf` builds the n-th candidate (addresses shorten the base to fit the number).
   */
  private firstFree(
    base: string,
    hints: Map<string, number>,
    isTaken: (candidate: string) => boolean,
    candidateOf: (base: string, n: number) => string = (b, n) => (n === 1 ? b : `${b}${n}`),
  ): string {
    let n = hints.get(base) ?? 1;
    let candidate = candidateOf(base, n);
    while (isTaken(candidate)) {
      n = n === 1 ? 2 : n + 1;
      candidate = candidateOf(base, n);
    }
    // Only bases that collided are remembered: most address bases are used once, and remembering
    // them all would hold 100,000 entries for nothing (without a hint, the search starts at the base).
    if (n > 1) hints.set(base, n);
    return candidate;
  }

  /** Active people not seen in this import: those a `--full` import makes departed. */
  async unseenActive(): Promise<number[]> {
    const active = await listActivePersonIdsWithHash(this.trx);
    return active.filter((p) => !this.seen.has(p.numenHash)).map((p) => p.id);
  }

  /** These people become departed; their academic accounts are disabled. */
  async depart(ids: readonly number[]): Promise<void> {
    const now = this.deps.clock.now().toISOString();
    await markPersonsDeparted(this.trx, ids, now);
    await this.deps.audit.recordMany(
      ids.map((id) => ({ actor: this.actor, action: "person.departed", entity: "person", entityId: id })),
      this.trx,
    );
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

  async importFile(file: string, options: StaffImportOptions): Promise<StaffImportReport> {
    const source = await openCsv(file, STAFF_COLUMNS);
    const today = this.deps.clock.now();
    const rejected: RejectedRow[] = [];
    let rows = 0;
    let report: StaffImportReport | undefined;
    const dryRun = options.dryRun === true;
    const body = async (trx: Executor): Promise<void> => {
      // Counted before any write: the guard's share is of the people active before this import.
      const active = options.full ? await countPersons(trx, "active") : 0;
      const writer = await StaffWriter.open(trx, this.deps, options.actor, {
        dryRun,
        ...(options.onEvents ? { onEvents: options.onEvents } : {}),
      });
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
      const gone = options.full ? await writer.unseenActive() : [];
      let departures: DepartureCheck | undefined;
      if (options.full) {
        const max = maxDepartures(active);
        const exceeded = gone.length > max;
        departures = { active, maxDepartures: max, exceeded, forced: exceeded && options.force === true };
      }
      const refused: ImportRefusal | undefined =
        rejected.length > rows * MAX_REJECTED_SHARE
          ? "too_many_rejected"
          : departures?.exceeded && !departures.forced
            ? "too_many_departures"
            : undefined;
      const applied = refused === undefined && !dryRun;
      report = {
        created: writer.created,
        updated: writer.updated,
        unchanged: writer.unchanged,
        departed: gone.length,
        rejected,
        applied,
        rows,
        ...(departures ? { departures } : {}),
        ...(refused ? { refused } : {}),
        ...(options.full ? { departedIds: gone.slice(0, 100) } : {}),
      };
      if (!applied) throw new Rollback();
      await writer.depart(gone);
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
            departed: gone.length,
            rejected: rejected.length,
            // The departure guard was overridden with --force: who, when and against which figures.
            ...(departures?.forced ? { forced: { active, maxDepartures: departures.maxDepartures } } : {}),
          },
        },
        trx,
      );
    };
    try {
      // A dry run writes nothing: no transaction (see the header), its reads interleave with requests.
      if (dryRun) await body(this.deps.db);
      else await this.deps.db.transaction().execute(body);
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
    }
    if (!report) throw new Error("import finished without a report");
    if (report.applied) await analyzeAfterImport(this.deps.db, this.deps.dialect, rows);
    return report;
  }
}
