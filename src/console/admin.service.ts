/**
 * The console's administration (role `admin`): the HR imports from the browser as background jobs,
 * the establishments with their functional accounts, the outbound queue's retry and cancel, and the
 * configuration as it runs with its secrets masked.
 *
 * An import reuses the CLI's services as they are (StaffImportService, DirectoryService's
 * importEstablishments): same rules, same departure guard, same audit, with the agent as actor. The
 * uploaded file is kept in a private folder (0700, file 0600) under a random token bound to the
 * console session that sent it, from the dry run to the apply, then removed. Only UTF-8 is accepted
 * from the browser (the CLI also reads Windows-1252): a spreadsheet's « CSV » export in the wrong
 * encoding would otherwise be read with mangled names that nobody sees before they are written.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type AuditEventInput, AuditService } from "../audit/audit.service.js";
import type { Config } from "../config/config.js";
import { openCsv } from "../directory/csv-source.js";
import { DirectoryService, ESTABLISHMENT_COLUMNS } from "../directory/directory.service.js";
import type { RejectedRow } from "../directory/directory.types.js";
import {
  MAX_REJECTED_SHARE,
  STAFF_COLUMNS,
  type StaffImportReport,
  StaffImportService,
} from "../directory/staff-import.service.js";
import type { OutboundQueue } from "../mail/outbound-queue.js";
import type { Clock } from "../shared/clock.js";
import { DomainError, isDomainError } from "../shared/errors.js";
import { createPrivateFile, makePrivateDir } from "../shared/private-files.js";
import type { Database } from "../storage/database.js";
import * as repo from "./admin.repository.js";

export type { EstablishmentRow, FunctionalAccountRow } from "./admin.repository.js";

export type ImportKind = "staff" | "establishments";

export function isImportKind(value: unknown): value is ImportKind {
  return value === "staff" || value === "establishments";
}

/** The largest file an import accepts from the browser (100,000 HR rows are about 8 MB). */
export const IMPORT_MAX_BYTES = 64 * 1024 * 1024;
/** Rows of each kind shown from a report (created, updated, departed, rejected). */
export const SAMPLE_ROWS = 100;
/** An upload not applied within this time is forgotten and its file removed. */
export const IMPORT_TTL_MS = 3_600_000;

/** One row of a report's sample: who or what, and a detail (an address, the fields changed). */
export interface SampleRow {
  readonly label: string;
  readonly detail: string;
}

export interface ImportOutcome {
  readonly rows: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly departed: number;
  readonly rejectedCount: number;
  readonly applied: boolean;
  readonly refused?: StaffImportReport["refused"];
  readonly departures?: StaffImportReport["departures"];
  readonly samples: {
    readonly created: readonly SampleRow[];
    readonly updated: readonly SampleRow[];
    readonly departed: readonly SampleRow[];
    readonly rejected: readonly RejectedRow[];
  };
}

export type JobState = "checking" | "checked" | "applying" | "applied" | "failed";

/** An import from the browser, from its upload to its apply (what the pages show). */
export interface ImportJob {
  readonly id: string;
  readonly kind: ImportKind;
  readonly fileName: string;
  readonly size: number;
  readonly full: boolean;
  state: JobState;
  /** Bytes of the file read by the running step, for the progress bar. */
  progress: number;
  /** The dry run's report, once done. */
  dryRun?: ImportOutcome;
  /** The apply's report, once done. */
  result?: ImportOutcome;
  /** Why a step failed (a DomainError's code), when `failed`. */
  error?: string;
  readonly sessionHash: string;
  readonly path: string;
  readonly createdAt: number;
}

export interface AdminDeps {
  readonly config: Config;
  readonly database: Database;
  readonly clock: Clock;
  readonly audit: AuditService;
  readonly outboundQueue: OutboundQueue;
  /** An import that failed for a reason other than its file (logged by the caller). */
  readonly onError?: (error: unknown) => void;
}

export interface AdminAgent {
  readonly actor: string;
  readonly sessionHash: string;
}

/** The first events of each kind an import writes, or would write on a dry run (its samples). */
class EventSamples {
  readonly #kept = new Map<string, AuditEventInput[]>();

  keep(events: readonly AuditEventInput[]): void {
    for (const e of events) {
      const list = this.#kept.get(e.action) ?? [];
      if (list.length < SAMPLE_ROWS) list.push(e);
      this.#kept.set(e.action, list);
    }
  }

  of(action: string): AuditEventInput[] {
    return this.#kept.get(action) ?? [];
  }
}

/**
 * An audit service that also keeps the events it writes as samples: the establishments import, whose
 * dry run writes in a transaction rolled back at the end (the staff import reports its events itself).
 */
class SamplingAudit extends AuditService {
  constructor(
    db: ConstructorParameters<typeof AuditService>[0],
    clock: Clock,
    readonly samples: EventSamples,
  ) {
    super(db, clock);
  }

  override async recordMany(events: readonly AuditEventInput[], ex?: Parameters<AuditService["recordMany"]>[1]) {
    this.samples.keep(events);
    return super.recordMany(events, ex);
  }
}

// The masking rule lives with the configuration (the CLI's `config check` prints the same view).
import { maskedConfig } from "../config/masked-config.js";

export { MASK, maskedConfig } from "../config/masked-config.js";

/** A file received from the browser, not yet checked. */
export interface ReceivedFile {
  readonly path: string;
  readonly size: number;
  /** Cut at IMPORT_MAX_BYTES: refused. */
  readonly truncated: boolean;
}

/** Why an uploaded file is refused before any dry run: nothing is kept of it. */
export type UploadProblem = "too_large" | "empty" | "encoding" | "not_csv";

export class ImportFileRefused extends Error {
  constructor(
    readonly problem: UploadProblem,
    /** With `encoding`: the encoding found. */
    readonly encoding?: string,
  ) {
    super(`import file refused: ${problem}`);
  }
}

export class AdminService {
  readonly #jobs = new Map<string, ImportJob>();
  readonly #dir: string;

  constructor(private readonly deps: AdminDeps) {
    this.#dir = path.join(deps.config.dataDir, "imports");
  }

  // ——— HR imports ———

  /**
   * Streams an uploaded file to a private file (the multipart parser stops it at IMPORT_MAX_BYTES:
   * `truncated`), never holding it in memory. The caller passes it to `upload`, or `forget`s it.
   */
  async receive(stream: Readable, truncated: () => boolean): Promise<ReceivedFile> {
    makePrivateDir(this.#dir);
    const file = path.join(this.#dir, `${randomBytes(24).toString("base64url")}.csv`);
    createPrivateFile(file);
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
    });
    try {
      await pipeline(stream, createWriteStream(file, { flags: "w" }));
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    return { path: file, size, truncated: truncated() || size > IMPORT_MAX_BYTES };
  }

  /** Removes a received file that no import took (the request was refused). */
  async forget(received: ReceivedFile): Promise<void> {
    await rm(received.path, { force: true });
  }

  /**
   * Checks a received file: within the limit, UTF-8, the kind's columns. Throws ImportFileRefused,
   * leaving nothing behind; else keeps it under a token bound to the session and starts the dry run
   * in the background.
   */
  async upload(
    agent: AdminAgent,
    input: { kind: ImportKind; fileName: string; full: boolean; received: ReceivedFile },
  ): Promise<ImportJob> {
    this.#forgetExpired();
    const { received } = input;
    try {
      if (received.truncated) throw new ImportFileRefused("too_large");
      if (received.size === 0) throw new ImportFileRefused("empty");
      let encoding: string;
      try {
        const columns = input.kind === "staff" ? STAFF_COLUMNS : ESTABLISHMENT_COLUMNS;
        encoding = (await openCsv(received.path, columns)).encoding;
      } catch (error) {
        if (isDomainError(error, "CSV_INVALID")) throw new ImportFileRefused("not_csv");
        throw error;
      }
      if (encoding !== "utf-8") throw new ImportFileRefused("encoding", encoding);
    } catch (error) {
      await this.forget(received);
      throw error;
    }
    const job: ImportJob = {
      id: randomBytes(24).toString("base64url"),
      kind: input.kind,
      fileName: input.fileName.slice(0, 200),
      size: received.size,
      full: input.kind === "staff" && input.full,
      state: "checking",
      progress: 0,
      sessionHash: agent.sessionHash,
      path: received.path,
      createdAt: this.deps.clock.now().getTime(),
    };
    this.#jobs.set(job.id, job);
    void this.#run(job, agent, { dryRun: true, force: false });
    return job;
  }

  /** The job `id` of this session, or null (another session's job is as if it did not exist). */
  job(agent: AdminAgent, id: string): ImportJob | null {
    this.#forgetExpired();
    const job = this.#jobs.get(id);
    return job && job.sessionHash === agent.sessionHash ? job : null;
  }

  /**
   * Applies a checked import in the background. `force`: the forced confirmation of departures
   * beyond the guard (as `--force`). Throws CONFLICT when it is not ready or another import runs.
   */
  apply(agent: AdminAgent, job: ImportJob, force: boolean): void {
    if (job.state !== "checked") throw new DomainError("CONFLICT", "the import is not waiting to be applied");
    if ([...this.#jobs.values()].some((j) => j.state === "applying")) {
      throw new DomainError("CONFLICT", "another import is being applied");
    }
    job.state = "applying";
    job.progress = 0;
    void this.#run(job, agent, { dryRun: false, force });
  }

  /** Forgets a job and removes its file. */
  async discard(job: ImportJob): Promise<void> {
    if (job.state === "applying" || job.state === "checking") return;
    this.#jobs.delete(job.id);
    await rm(job.path, { force: true });
  }

  /** Waits for a job's running step (tests, and the shutdown). */
  async settled(job: ImportJob): Promise<void> {
    while (job.state === "checking" || job.state === "applying") await new Promise((r) => setTimeout(r, 20));
  }

  async #run(job: ImportJob, agent: AdminAgent, step: { dryRun: boolean; force: boolean }): Promise<void> {
    try {
      const outcome = await this.#import(job, agent.actor, step);
      if (step.dryRun) {
        job.dryRun = outcome;
        job.state = "checked";
      } else {
        job.result = outcome;
        // The upload is gone before the job says it is applied (whoever sees "applied" sees no file).
        await rm(job.path, { force: true }).catch((error: unknown) => this.deps.onError?.(error));
        job.state = "applied";
      }
    } catch (error) {
      job.error = error instanceof DomainError ? error.code : "INTERNAL";
      if (!(error instanceof DomainError)) this.deps.onError?.(error);
      await rm(job.path, { force: true }).catch((failure: unknown) => this.deps.onError?.(failure));
      job.state = "failed";
    }
  }

  async #import(job: ImportJob, actor: string, step: { dryRun: boolean; force: boolean }): Promise<ImportOutcome> {
    const { config, database, clock } = this.deps;
    const samples = new EventSamples();
    const base = {
      db: database.db,
      dialect: database.dialect,
      secret: config.secret,
      mailDomain: config.mailDomain,
      clock,
    };
    if (job.kind === "staff") {
      const staff = new StaffImportService({ ...base, audit: new AuditService(database.db, clock) });
      const report = await staff.importFile(job.path, {
        actor,
        full: job.full,
        force: step.force,
        dryRun: step.dryRun,
        onProgress: (bytes) => {
          job.progress = bytes;
        },
        onEvents: (events) => samples.keep(events),
      });
      const names = await repo.personNames(database.db, [
        ...samples.of("person.updated").map((e) => Number(e.entityId)),
        ...samples.of("person.returned").map((e) => Number(e.entityId)),
        ...(report.departedIds ?? []),
      ]);
      const nameOf = (e: AuditEventInput) => names.get(Number(e.entityId)) ?? `#${String(e.entityId)}`;
      const fields = (e: AuditEventInput) => ((e.details?.fields as string[] | undefined) ?? []).join(", ");
      return {
        rows: report.rows,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        departed: report.departed,
        rejectedCount: report.rejected.length,
        applied: report.applied,
        ...(report.refused ? { refused: report.refused } : {}),
        ...(report.departures ? { departures: report.departures } : {}),
        samples: {
          created: samples.of("person.created").map((e) => ({
            label: String(e.details?.username ?? ""),
            detail: String(e.details?.address ?? ""),
          })),
          updated: [...samples.of("person.updated"), ...samples.of("person.returned")]
            .slice(0, SAMPLE_ROWS)
            .map((e) => ({ label: nameOf(e), detail: e.action === "person.returned" ? "(returned)" : fields(e) })),
          departed: (report.departedIds ?? []).map((id) => ({ label: names.get(id) ?? `#${id}`, detail: "" })),
          rejected: report.rejected.slice(0, SAMPLE_ROWS),
        },
      };
    }
    const directory = new DirectoryService({
      ...base,
      dialect: database.dialect,
      audit: new SamplingAudit(database.db, clock, samples),
    });
    const report = await directory.importEstablishments(job.path, { actor, dryRun: step.dryRun });
    job.progress = job.size;
    return {
      rows: report.rows,
      created: report.created,
      updated: report.updated,
      unchanged: report.unchanged,
      departed: 0,
      rejectedCount: report.rejected.length,
      applied: report.applied,
      // The same rule as the staff import's (the establishments' report says it by `applied` only).
      ...(report.rejected.length > report.rows * MAX_REJECTED_SHARE ? { refused: "too_many_rejected" as const } : {}),
      samples: {
        created: samples.of("establishment.created").map((e) => ({
          label: String(e.entityId ?? ""),
          detail: String(e.details?.libelle ?? ""),
        })),
        updated: samples.of("establishment.updated").map((e) => ({
          label: String(e.entityId ?? ""),
          detail: ((e.details?.fields as string[] | undefined) ?? []).join(", "),
        })),
        departed: [],
        rejected: report.rejected.slice(0, SAMPLE_ROWS),
      },
    };
  }

  #forgetExpired(): void {
    const now = this.deps.clock.now().getTime();
    for (const job of this.#jobs.values()) {
      if (now - job.createdAt > IMPORT_TTL_MS && job.state !== "applying" && job.state !== "checking") {
        this.#jobs.delete(job.id);
        void rm(job.path, { force: true });
      }
    }
  }

  // ——— Establishments ———

  establishments(query: string, page: number, perPage = 50) {
    return repo.listEstablishments(this.deps.database.db, query.slice(0, 200), (page - 1) * perPage, perPage);
  }

  // ——— The outbound queue ———

  /** Deliveries waiting and given up: the recipient's domain only, never the subject nor the body. */
  async queue(limit = 200) {
    const rows = await repo.listQueue(this.deps.database.db, limit);
    return rows.map(({ recipient, ...r }) => ({ ...r, domain: recipient.slice(recipient.lastIndexOf("@") + 1) }));
  }

  /** « Réessayer maintenant »: a queued delivery due now (audited). NOT_FOUND when no longer queued. */
  async retry(agent: AdminAgent, id: number): Promise<void> {
    const done = await repo.retryDeliveryNow(this.deps.database.db, id, this.deps.clock.now().toISOString());
    if (!done) throw new DomainError("NOT_FOUND", "no such queued delivery");
    await this.deps.audit.record({ actor: agent.actor, action: "outbound.retried", entity: "delivery", entityId: id });
    this.deps.outboundQueue.kick();
  }

  /** « Annuler »: a queued delivery given up (audited; no bounce is sent). NOT_FOUND when no longer queued. */
  async cancel(agent: AdminAgent, id: number): Promise<void> {
    const now = this.deps.clock.now().toISOString();
    const done = await repo.cancelDelivery(this.deps.database.db, id, now, `cancelled by ${agent.actor}`);
    if (!done) throw new DomainError("NOT_FOUND", "no such queued delivery");
    await this.deps.audit.record({
      actor: agent.actor,
      action: "outbound.cancelled",
      entity: "delivery",
      entityId: id,
    });
  }

  // ——— Configuration ———

  config() {
    return maskedConfig(this.deps.config);
  }
}
