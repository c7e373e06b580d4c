/**
 * The sender checks (SPF, DKIM, DMARC, ARC: `verifySender`) off the main thread: a pool of worker
 * threads (piscina), so that hashing the bodies, parsing the DKIM keys and verifying the signatures
 * of one message run on another core while the main thread receives and stores the next ones.
 *
 * - `threads: 0` verifies on the calling thread (the same function, the same resolver rules).
 * - The pool starts at the first message (a server that receives nothing starts no thread); until
 *   its worker has loaded the checks (about a second), messages are checked on the main thread, so
 *   that no message waits for a thread to start. Each worker has its own resolver and answer cache,
 *   and takes several messages at once, so that one waiting for a slow DNS server holds up no other.
 * - Each worker bounds its lookups by the DNS budget; the main thread also gives up a little after
 *   it (a `temperror` verdict), so a stuck worker never holds a 250.
 * - A worker that fails (it crashed, it could not start) costs no message: that message is verified
 *   on the main thread, and the pool starts a new worker for the next.
 * - The intake's analyses for storage (`analyse`) run on a thread of their own, which loads only
 *   their code (storage-analysis-task.ts), as the checks' threads load only mailauth's. Sharing the
 *   checks' thread, a verification (a client waiting for its `250`) waited behind the analysis
 *   under way, and the intake asks for them ahead of its stores all through a burst.
 */
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import type { Logger } from "../shared/logger.js";
import type { HeaderBlock } from "./header-block.js";
import {
  DNS_BUDGET_MS,
  dnsLookups,
  outOfTimeVerdict,
  type SenderContext,
  type SenderVerdict,
  verifySender,
} from "./sender-auth.js";
import type { SenderCheckTask, SenderCheckWorkerData } from "./sender-check-task.js";
import type { WarningContext } from "./sender-warnings.js";
import { analyseForStorage, type StorageAnalysis } from "./storage-analysis.js";
import type { StorageAnalysisTask } from "./storage-analysis-task.js";

/** How long past the DNS budget the main thread waits for a worker's verdict. */
const WORKER_GRACE_MS = 1_000;
/** Messages one worker checks at once (most of a check's time with a cold cache is waiting for DNS). */
const TASKS_PER_WORKER = 32;

export interface SenderCheckPoolOptions {
  /** Sésame's authserv-id (the mail domain). */
  readonly authservId: string;
  readonly dnsServers: readonly string[];
  /** All the lookups of one message together (default DNS_BUDGET_MS). */
  readonly budgetMs?: number;
  /** Worker threads for the checks (and one for the analyses); 0: both on the calling thread. */
  readonly threads: number;
  /** The académie's and the protected domains, for the sender warnings of `analyse`. */
  readonly warnings: WarningContext;
  readonly logger?: Logger;
}

export interface SenderCheckPool {
  /** The verdict on `raw` (the message as received, without Sésame's trace fields). */
  verify(raw: Buffer, context: SenderContext, block: HeaderBlock): Promise<SenderVerdict>;
  /** Stops the workers (the checks under way are given up). */
  close(): Promise<void>;
  /** Starts the workers if need be; true once they take messages (false: on the calling thread). */
  ready(): Promise<boolean>;
  /**
   * The analysis of a message about to be stored (storage-analysis.ts: its MIME parse, index words,
   * sender warnings), on a worker once one is ready, else (or should the worker fail) on this thread.
   */
  analyse(raw: Buffer, inbound: StorageAnalysisTask["inbound"]): Promise<StorageAnalysis>;
  /** Messages checked so far by a worker and on the calling thread; messages analysed likewise. */
  counts(): {
    readonly worker: number;
    readonly thread: number;
    readonly analysedWorker: number;
    readonly analysedThread: number;
  };
}

/** The default number of workers: every core but the one the main thread needs, at least one. */
export function defaultCheckThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** The worker's entry, next to this file (`.mjs`: it registers the TypeScript loader first). */
const WORKER_ENTRY = new URL("./sender-check.worker.mjs", import.meta.url).href;

/**
 * Worker threads of one kind (the checks, or the analyses), started at the first task: until they
 * have loaded their code, `take` gives none and the caller works on its own thread.
 */
class Lane<Task, Result> {
  #pool: Piscina<Task, Result> | undefined;
  /** The worker has answered its first task: tasks go to the pool. */
  #ready = false;
  #started: Promise<boolean> = Promise.resolve(false);
  #closed = false;

  readonly #data: SenderCheckWorkerData;
  readonly #threads: number;
  readonly #logger: Logger | undefined;

  constructor(data: SenderCheckWorkerData, threads: number, logger: Logger | undefined) {
    this.#data = data;
    this.#threads = threads;
    this.#logger = logger;
  }

  /** The pool once ready (started by the first call); undefined until then, and once closed. */
  take(): Piscina<Task, Result> | undefined {
    if (this.#closed) return undefined;
    this.#start();
    return this.#ready ? this.#pool : undefined;
  }

  /** Starts the workers if need be; true once they take tasks. */
  ready(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    this.#start();
    return this.#started;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#ready = false;
    const running = this.#pool;
    this.#pool = undefined;
    if (running) await running.destroy();
  }

  #start(): void {
    if (this.#pool) return;
    const created = new Piscina<Task, Result>({
      filename: WORKER_ENTRY,
      name: "default",
      minThreads: this.#threads,
      maxThreads: this.#threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: TASKS_PER_WORKER,
      // The checks wait for DNS answers and keep the resolver's sockets between tasks: no pausing the
      // thread between tasks (the Atomics mode would).
      atomics: "disabled",
      workerData: this.#data,
    });
    this.#pool = created;
    // The worker's `ready` export takes no task (the cast: piscina types every task of a pool alike).
    this.#started = created.run(null as unknown as Task, { name: "ready" }).then(
      () => {
        if (this.#pool === created) this.#ready = true;
        return this.#ready;
      },
      (error: unknown) => {
        this.#logger?.warn({ err: error, kind: this.#data.kind }, "sender checks: a worker thread did not start");
        return false;
      },
    );
  }
}

export function createSenderCheckPool(options: SenderCheckPoolOptions): SenderCheckPool {
  const budgetMs = options.budgetMs ?? DNS_BUDGET_MS;
  let local: ReturnType<typeof dnsLookups> | undefined;
  const counted = { worker: 0, thread: 0, analysedWorker: 0, analysedThread: 0 };
  const onThisThread = (raw: Buffer, context: SenderContext, block: HeaderBlock) => {
    counted.thread++;
    local ??= dnsLookups(options.dnsServers);
    return verifySender(raw, context, { authservId: options.authservId, lookups: local, budgetMs }, block);
  };
  const analyseHere = (raw: Buffer, inbound: StorageAnalysisTask["inbound"]) => {
    counted.analysedThread++;
    return analyseForStorage(raw, inbound, options.warnings);
  };
  if (options.threads <= 0) {
    return {
      verify: onThisThread,
      analyse: analyseHere,
      close: async () => {},
      ready: async () => false,
      counts: () => ({ ...counted }),
    };
  }

  const workerData = (kind: SenderCheckWorkerData["kind"]): SenderCheckWorkerData => ({
    kind,
    authservId: options.authservId,
    dnsServers: [...options.dnsServers],
    budgetMs,
    warnings: {
      academieDomains: [...options.warnings.academieDomains],
      protectedDomains: [...options.warnings.protectedDomains],
    },
  });
  const checks = new Lane<SenderCheckTask, SenderVerdict>(workerData("verify"), options.threads, options.logger);
  // One thread is enough for the analyses: one main thread stores, slower than a thread analyses.
  const analyses = new Lane<StorageAnalysisTask, StorageAnalysis>(workerData("analyse"), 1, options.logger);
  return {
    async verify(raw, context, block) {
      const workers = checks.take();
      if (!workers) return onThisThread(raw, context, block);
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), budgetMs + WORKER_GRACE_MS);
      });
      // A copy for the worker (the caller keeps `raw` to store it). No abort signal: piscina gives a
      // task that can be aborted a worker of its own, and the messages must share the workers.
      const task = workers.run({ raw: new Uint8Array(raw), context });
      try {
        const verdict = await Promise.race([task, gaveUp]);
        if (verdict !== "timeout") {
          counted.worker++;
          return verdict;
        }
        task.catch(() => {}); // given up: whatever it ends with is not waited for
        options.logger?.warn({ budgetMs }, "sender checks: a worker gave no verdict within the DNS budget");
        return outOfTimeVerdict(options.authservId, block);
      } catch (error) {
        options.logger?.warn(
          { err: error },
          "sender checks: a worker failed, the message is checked on the main thread",
        );
        return onThisThread(raw, context, block);
      } finally {
        clearTimeout(timer);
      }
    },
    async analyse(raw, inbound) {
      const workers = analyses.take();
      if (!workers) return analyseHere(raw, inbound);
      try {
        const analysis = await workers.run({ raw: new Uint8Array(raw), inbound });
        counted.analysedWorker++;
        return analysis;
      } catch (error) {
        options.logger?.warn(
          { err: error },
          "mail analysis: a worker failed, the message is analysed on the main thread",
        );
        return analyseHere(raw, inbound);
      }
    },
    async ready() {
      const [checking, analysing] = await Promise.all([checks.ready(), analyses.ready()]);
      return checking && analysing;
    },
    counts: () => ({ ...counted }),
    async close() {
      await Promise.all([checks.close(), analyses.close()]);
    },
  };
}
