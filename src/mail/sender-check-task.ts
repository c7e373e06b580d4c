/**
 * What a worker thread of the sender checks runs (sender-check-pool.ts): `verifySender` with the
 * worker's own resolver and answer cache, for one message at a time per task (several tasks share
 * the thread while they wait for DNS); and the analysis of a message the intake is about to store
 * (storage-analysis.ts), so that its MIME parse does not take the main thread's time.
 */
import { workerData } from "piscina";
import { dnsLookups, type SenderContext, type SenderVerdict, verifySender } from "./sender-auth.js";
import type { WarningContext } from "./sender-warnings.js";
import { analyseForStorage, type StorageAnalysis } from "./storage-analysis.js";

/** What the pool gives each worker when it starts. */
export interface SenderCheckWorkerData {
  readonly authservId: string;
  readonly dnsServers: readonly string[];
  readonly budgetMs: number;
  /** The académie's and the protected domains, for the sender warnings of `analyseTask`. */
  readonly warnings: WarningContext;
}

/** One message to check: its bytes (copied to the worker) and what the client said. */
export interface SenderCheckTask {
  readonly raw: Uint8Array;
  readonly context: SenderContext;
}

const options = workerData as SenderCheckWorkerData;
const lookups = dnsLookups(options.dnsServers);

export function verifyTask(task: SenderCheckTask): Promise<SenderVerdict> {
  const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
  return verifySender(raw, task.context, { authservId: options.authservId, lookups, budgetMs: options.budgetMs });
}

/** One message to analyse for storage: its bytes (copied to the worker) and the reception's verdict. */
export interface StorageAnalysisTask {
  readonly raw: Uint8Array;
  readonly inbound: { readonly verified: boolean | null } | null;
}

/** The analysis under way on this thread, or the last one (settled). */
let analysing: Promise<unknown> = Promise.resolve();

/**
 * One analysis at a time on the thread, in the order asked. The intake asks for a batch ahead of its
 * stores; run together, each would advance a step at a time among the others, and so would a
 * verification — a client waiting for its `250` — which then waited for the whole batch (7 ms a
 * message in a burst, for 0.5 ms of its own work). One at a time, it waits for one step of one.
 */
export function analyseTask(task: StorageAnalysisTask): Promise<StorageAnalysis> {
  const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
  const analysis = analysing.then(() => analyseForStorage(raw, task.inbound, options.warnings));
  analysing = analysis.catch(() => undefined);
  return analysis;
}
