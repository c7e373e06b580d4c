/**
 * The reception's intake (issue 13, §5): what lets a burst of mail be answered as fast as it arrives.
 *
 * Storing a message (parsing it, the sender warnings, its thread, the full-text index, the folder
 * counters) costs the main thread far more than receiving it. When nothing else is being stored,
 * a message is stored at once and answered `250` after its commit, as always. When another delivery
 * is being stored, or messages already wait, it is written whole into `mail_intake` (one row, one
 * durable commit shared with the others of the moment: storage/commit-sync.ts) and answered `250`
 * at once; the intake then stores the waiting messages, oldest first, BATCH at a time in one
 * transaction (MailService.storeAcceptedMany: one commit for all), each batch after the event loop
 * has served the connections (`setImmediate`). Postfix does the same (smtpd writes the queue file,
 * local delivery follows).
 * - Read on another thread: the rows are fetched LOOK_AHEAD ahead and analysed (`analyse`: MIME
 *   parse, index words, sender warnings; services give the sender checks' worker threads) while the
 *   main thread writes the ones before them.
 * - Receiving first: while the event loop is busy (more than YIELD_LOAD of a short window, the
 *   intake's own stores left out of it: `measureLoad`), the stores wait, so that a burst's clients
 *   get their answers at the rate the reception can give them rather than at the rate of the stores;
 *   they run as soon as the loop has room (then for STORING_MS before looking again), and in any
 *   case once the oldest message waits for MAX_DELAY_MS (from then on one batch per turn, as a fair
 *   share). A server that receives little stores what it takes in a few milliseconds later.
 *
 * - Exactly once: a row is deleted in the transaction that stores its message (intake.repository.ts),
 *   so a crash before the commit leaves the row (stored at the next start), after it leaves nothing.
 * - Never refused afterwards: the recipients and the quota were checked before the `250`; a message
 *   from the intake is stored whatever its mailbox's quota is by then (MailService.storeAccepted).
 *   An attempt that fails (the database, a message that cannot be parsed) is retried later
 *   (outbound-queue.ts's schedule), logged, counted (`sesame_smtp_intake_messages{state="failing"}`)
 *   and listed by `sesame mail intake`.
 * - Bounded: past `maxWaiting` messages waiting, the reception stores at once again (its clients
 *   wait for their answers as before): the intake absorbs bursts, it never grows without end.
 * - Several instances (PostgreSQL): each stores what it took in; every `sweepMs` each also looks
 *   for rows due (another instance's leftovers after a crash, retries).
 */
import { performance } from "node:perf_hooks";
import type { Kysely } from "kysely";
import type { Clock } from "../shared/clock.js";
import type { WarnLogger } from "../shared/logger.js";
import type { DialectName } from "../storage/database.js";
import type { Schema } from "../storage/schema.js";
import * as repo from "./intake.repository.js";
import { durablyAlone } from "./mail.repository.js";
import type { AcceptedDelivery, MailService } from "./mail.service.js";
import type { DeliveryMeta, DeliveryResult, Recipient } from "./mail.types.js";
import { retryDelayMs } from "./outbound-queue.js";
import type { StorageAnalysis } from "./storage-analysis.js";

/** Messages waiting past which the reception stores at once again. */
export const INTAKE_MAX_WAITING = 2_000;
/** Between two looks for rows due that nothing announced (retries, another instance's leftovers). */
const SWEEP_MS = 10_000;
/** How long `storeReceivedBefore` waits at most for the rows another instance is storing. */
export const STORE_BEFORE_TIMEOUT_MS = 30_000;
/** The event loop's busy share above which the stores wait for the reception (0–1). */
export const INTAKE_YIELD_LOAD = 0.5;
/** How long a message waits at most for the reception to calm down before it is stored anyway. */
export const INTAKE_MAX_DELAY_MS = 10_000;
/** Rows stored in one transaction (one commit for all). */
const BATCH = 8;
/** Rows fetched and analysed ahead of the ones being stored. */
const LOOK_AHEAD = 2 * BATCH;
/** The window over which the loop's load is measured (no store runs during it). */
const LOAD_WINDOW_MS = 50;
/** How long stores run, once the loop had room, before the load is measured again. */
const STORING_MS = 250;

/**
 * The event loop's busy share (0–1) over the next `ms` milliseconds: the share of the time it ran
 * callbacks rather than waiting for I/O (`performance.eventLoopUtilization`).
 */
export function measureLoopLoad(ms: number): Promise<number> {
  const start = performance.eventLoopUtilization();
  return new Promise((resolve) => {
    setTimeout(() => resolve(performance.eventLoopUtilization(start).utilization), ms);
  });
}

export interface MailIntakeOptions {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  readonly clock: Clock;
  readonly mail: Pick<MailService, "deliver" | "storeAcceptedMany" | "checkRecipient" | "maxMessageBytes">;
  readonly logger?: WarnLogger;
  readonly maxWaiting?: number;
  readonly sweepMs?: number;
  /** The loop's busy share over the next `ms` milliseconds (default measureLoopLoad; tests set their own). */
  readonly measureLoad?: (ms: number) => Promise<number>;
  /** How long a message waits at most for the reception (default INTAKE_MAX_DELAY_MS). */
  readonly maxDelayMs?: number;
  /**
   * Analyses a message before it is stored (services: on the sender checks' worker thread,
   * sender-check-pool.ts); without it, the store analyses it on this thread.
   */
  readonly analyse?: (raw: Buffer, inbound: { readonly verified: boolean | null } | null) => Promise<StorageAnalysis>;
}

/** The row was stored by another instance meanwhile (its transaction is rolled back). */
class TakenElsewhere extends Error {}

export class MailIntake {
  readonly #opts: MailIntakeOptions;
  readonly #maxWaiting: number;
  /** Deliveries being stored at once by `deliver` now. */
  #storing = 0;
  /** Rows waiting, as this instance knows them (counted at start and at each sweep). */
  #waiting = 0;
  /** Rows this instance is storing now. */
  readonly #busy = new Set<number>();
  #scheduled = false;
  #running: Promise<void> | null = null;
  #again = false;
  #started = false;
  #stopped = false;
  #sweep: NodeJS.Timeout | null = null;
  #stored = 0;
  readonly #measureLoad: (ms: number) => Promise<number>;
  readonly #maxDelayMs: number;
  /** When this instance took in the messages it has not stored yet, oldest first (performance.now()). */
  readonly #arrivals: number[] = [];
  /** Stores run without measuring the load until then (performance.now()). */
  #storingUntil = 0;
  /** Rows fetched ahead, their analyses under way, not stored yet (oldest first; in `#busy`). */
  readonly #ahead: { row: repo.IntakeRow; ready: Promise<AcceptedDelivery | Error> }[] = [];
  #fetching: Promise<void> | null = null;

  constructor(options: MailIntakeOptions) {
    this.#opts = options;
    this.#maxWaiting = options.maxWaiting ?? INTAKE_MAX_WAITING;
    this.#measureLoad = options.measureLoad ?? measureLoopLoad;
    this.#maxDelayMs = options.maxDelayMs ?? INTAKE_MAX_DELAY_MS;
  }

  get maxMessageBytes(): number {
    return this.#opts.mail.maxMessageBytes;
  }

  checkRecipient(address: string, sizeHint?: number): Promise<Recipient> {
    return this.#opts.mail.checkRecipient(address, sizeHint);
  }

  /**
   * Stores the message now, or (while another is being stored, or messages wait) takes it into the
   * intake: either way it is durable when this resolves. `queuedAs`: the intake's row.
   */
  async deliver(raw: Buffer, recipients: readonly Recipient[], meta: DeliveryMeta = {}): Promise<DeliveryResult> {
    const direct =
      !this.#started ||
      this.#stopped ||
      (this.#storing === 0 && this.#waiting === 0) ||
      this.#waiting >= this.#maxWaiting ||
      // What the store refuses anyway is refused at once, with the store's own error.
      recipients.length === 0 ||
      raw.length > this.#opts.mail.maxMessageBytes;
    if (direct) {
      this.#storing++;
      try {
        return await this.#opts.mail.deliver(raw, recipients, meta);
      } finally {
        this.#storing--;
      }
    }
    this.#waiting++; // counted at once: the deliveries of this moment see it
    let id: number;
    try {
      // Durable before the 250, as a delivery is (on SQLite, the group commit's sync).
      id = await durablyAlone(this.#opts.db, this.#opts.dialect, (ex) =>
        repo.insertIntake(ex, {
          raw,
          recipients: JSON.stringify(recipients.map((r) => ({ accountId: r.accountId, address: r.address }))),
          meta: JSON.stringify(meta),
          receivedAt: this.#opts.clock.now().toISOString(),
        }),
      );
    } catch (error) {
      this.#waiting = Math.max(0, this.#waiting - 1);
      throw error;
    }
    this.#arrivals.push(performance.now());
    this.#schedule();
    return { messageIds: [], queuedAs: id };
  }

  /** Stores what an earlier run left (before the reception listens), then stores as messages come. */
  async start(): Promise<void> {
    if (this.#started) return;
    await this.drain();
    this.#waiting = (await repo.intakeCounts(this.#opts.db)).waiting;
    this.#started = true;
    this.#sweep = setInterval(() => this.#lookAgain(), this.#opts.sweepMs ?? SWEEP_MS);
    this.#sweep.unref();
  }

  /** Stops storing (the one being stored finishes); what waits stays for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = null;
    await this.#running;
  }

  /** Stores every row due now, one after the other (start, tests, `sesame` commands). */
  async drain(): Promise<number> {
    let stored = 0;
    for (;;) {
      for (let handled = await this.#storeNext(); handled > 0; handled = await this.#storeNext()) stored += handled;
      // The row being stored in the background is done too when this resolves.
      if (!this.#running) return stored;
      await this.#running;
    }
  }

  /**
   * Stores the messages received up to `asOf` that still wait in the intake, whoever's they are, so
   * that what looks for copies right after finds them in their mailboxes (a quarantine:
   * report.service.ts). Rows another instance, or this one's background, is storing are waited for,
   * `timeoutMs` at most. Resolves with how many were left (0: all stored); a row that failed before
   * waits for its retry and is not counted. Unlike `drain`, a flood that goes on does not hold it.
   */
  async storeReceivedBefore(asOf: Date, timeoutMs = STORE_BEFORE_TIMEOUT_MS): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (Date.now() < deadline && (await this.#storeNext(asOf)) > 0) {
        // stores the due rows of asOf this instance can take, a batch at a time
      }
      const left = await repo.countReceivedBefore(this.#opts.db, asOf.toISOString());
      if (left === 0 || Date.now() >= deadline) return left;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Rows waiting and failing (the database's count: every instance's), messages stored by this one. */
  async counts(): Promise<{ waiting: number; failing: number; stored: number }> {
    return { ...(await repo.intakeCounts(this.#opts.db)), stored: this.#stored };
  }

  /** The rows waiting (every instance's), the failing ones first, at most `limit` (`sesame mail intake`). */
  list(limit = 100): Promise<repo.IntakeEntry[]> {
    return repo.listIntake(this.#opts.db, limit);
  }

  #lookAgain(): void {
    repo.intakeCounts(this.#opts.db).then(
      (counts) => {
        this.#waiting = counts.waiting;
        if (counts.waiting > 0) this.#schedule();
      },
      (error: unknown) => this.#opts.logger?.warn({ err: error }, "intake: counting the waiting messages failed"),
    );
  }

  /** Stores the next row after the connections had their turn; again while rows are due. */
  #schedule(): void {
    if (this.#stopped) return;
    if (this.#running || this.#scheduled) {
      this.#again = true;
      return;
    }
    this.#scheduled = true;
    const store = () => {
      this.#scheduled = false;
      this.#again = false;
      if (this.#stopped) return;
      this.#running = this.#storeNext().then(
        (handled) => {
          this.#running = null;
          if (handled > 0 || this.#again) this.#schedule();
        },
        (error: unknown) => {
          this.#running = null;
          this.#opts.logger?.warn({ err: error }, "intake: reading the next message failed");
        },
      );
    };
    this.#turn().then(
      () => setImmediate(store),
      () => setImmediate(store), // measuring cannot fail; were it to, storing goes on
    );
  }

  /**
   * Resolves when the next store may run: at once while stores have the loop (`#storingUntil`) or
   * the oldest message has waited MAX_DELAY_MS; otherwise once a window of the loop was not busier
   * than YIELD_LOAD with everything else (receiving, above all).
   */
  async #turn(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const now = performance.now();
      const oldest = this.#arrivals[0];
      if (now < this.#storingUntil || (oldest !== undefined && now - oldest >= this.#maxDelayMs)) return;
      if ((await this.#measureLoad(LOAD_WINDOW_MS)) <= INTAKE_YIELD_LOAD) {
        this.#storingUntil = performance.now() + STORING_MS;
        return;
      }
    }
  }

  /**
   * Fetches the next rows due (up to LOOK_AHEAD waiting, oldest first) and starts their analyses
   * (on a worker thread: `analyse`), so that the worker reads the next messages while this thread
   * stores one. One fetch at a time.
   */
  #fetchAhead(now: Date): Promise<void> {
    this.#fetching ??= (async () => {
      try {
        const wanted = LOOK_AHEAD - this.#ahead.length;
        if (wanted <= 0) return;
        const rows = await repo.nextDueIntakes(this.#opts.db, now.toISOString(), [...this.#busy], wanted);
        for (const row of rows) {
          this.#busy.add(row.id);
          this.#ahead.push({ row, ready: this.#ready(row) });
        }
      } finally {
        this.#fetching = null;
      }
    })();
    return this.#fetching;
  }

  /**
   * What the row stores, read once: its recipients and meta from their JSON, its analysis from
   * `analyse` (left to the store should there be none, or should it fail). An Error when its JSON
   * cannot be read: that row fails alone.
   */
  async #ready(row: repo.IntakeRow): Promise<AcceptedDelivery | Error> {
    let recipients: Recipient[];
    let meta: DeliveryMeta;
    try {
      recipients = JSON.parse(row.recipients) as Recipient[];
      meta = JSON.parse(row.meta) as DeliveryMeta;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    const analysis = this.#opts.analyse
      ? await this.#opts.analyse(row.raw, meta.inbound ?? null).catch(() => undefined)
      : undefined;
    return {
      raw: row.raw,
      recipients,
      meta,
      accepted: {
        receivedAt: new Date(row.receivedAt),
        take: async (trx) => {
          if (!(await repo.takeIntake(trx, row.id))) throw new TakenElsewhere();
        },
        ...(analysis ? { analysis } : {}),
      },
    };
  }

  /**
   * Stores the oldest rows due at `asOf` (default: now), up to BATCH in one transaction; how many
   * were handled, 0 when none was due.
   */
  async #storeNext(asOf?: Date): Promise<number> {
    const now = asOf ?? this.#opts.clock.now();
    if (this.#ahead.length === 0) await this.#fetchAhead(now);
    const batch = this.#ahead.splice(0, BATCH);
    if (batch.length === 0) {
      if (this.#busy.size === 0 && (await repo.intakeCounts(this.#opts.db)).waiting === 0) {
        this.#waiting = 0;
        this.#arrivals.length = 0;
      }
      return 0;
    }
    // The following ones are fetched and analysed while these are stored.
    if (this.#ahead.length < LOOK_AHEAD / 2) {
      this.#fetchAhead(now).catch((error: unknown) =>
        this.#opts.logger?.warn({ err: error }, "intake: reading the next messages failed"),
      );
    }
    try {
      // A row that cannot be read fails alone; the others are stored together, in order.
      const items = await Promise.all(batch.map((b) => b.ready));
      const stored = await this.#opts.mail.storeAcceptedMany(
        items.filter((item): item is AcceptedDelivery => !(item instanceof Error)),
      );
      let next = 0;
      for (const [k, { row }] of batch.entries()) {
        const item = items[k];
        const outcome: PromiseSettledResult<unknown> =
          item instanceof Error
            ? { status: "rejected", reason: item }
            : (stored[next++] ?? { status: "rejected", reason: new Error("no outcome") });
        if (outcome.status === "fulfilled") {
          this.#stored++;
          this.#waiting = Math.max(0, this.#waiting - 1);
          this.#arrivals.shift();
        } else if (outcome.reason instanceof TakenElsewhere) {
          this.#waiting = Math.max(0, this.#waiting - 1);
          this.#arrivals.shift();
        } else {
          const error = outcome.reason;
          // From the clock, not `asOf`: a retry is scheduled from when the attempt failed.
          const retryAt = new Date(this.#opts.clock.now().getTime() + retryDelayMs(row.attempts)).toISOString();
          this.#opts.logger?.warn(
            { err: error, intakeId: row.id, attempts: row.attempts + 1, nextAttemptAt: retryAt },
            "intake: storing an accepted message failed; it is kept and tried again",
          );
          await repo.deferIntake(
            this.#opts.db,
            row.id,
            retryAt,
            error instanceof Error ? error.message : String(error),
          );
          this.#arrivals.shift(); // its next attempt is the retry schedule's, not the reception's
        }
      }
    } finally {
      for (const { row } of batch) this.#busy.delete(row.id);
    }
    return batch.length;
  }
}
