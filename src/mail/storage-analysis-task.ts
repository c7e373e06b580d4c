/**
 * What a worker thread of the analyses runs (sender-check-pool.ts): the analysis of a message the
 * intake is about to store (storage-analysis.ts: its MIME parse, index words, sender warnings), so
 * that it does not take the main thread's time. These threads are not the sender checks' own: a
 * verification (a client waiting for its `250`) never waits behind an analysis.
 */
import { workerData } from "piscina";
import type { SenderCheckWorkerData } from "./sender-check-task.js";
import { analyseForStorage, type StorageAnalysis } from "./storage-analysis.js";

/** One message to analyse for storage: its bytes (copied to the worker) and the reception's verdict. */
export interface StorageAnalysisTask {
  readonly raw: Uint8Array;
  readonly inbound: { readonly verified: boolean | null } | null;
}

const options = workerData as SenderCheckWorkerData;

/** The analysis under way on this thread, or the last one (settled). */
let analysing: Promise<unknown> = Promise.resolve();

/**
 * One analysis at a time on the thread, in the order asked. The intake asks for a batch ahead of its
 * stores; run together, each would advance a step at a time among the others and the first would
 * be ready no sooner than the last. One at a time, they come back in the order they are stored.
 */
export function analyseTask(task: StorageAnalysisTask): Promise<StorageAnalysis> {
  const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
  const analysis = analysing.then(() => analyseForStorage(raw, task.inbound, options.warnings));
  analysing = analysis.catch(() => undefined);
  return analysis;
}
