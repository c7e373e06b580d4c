/**
 * What a worker thread of the sender checks runs (sender-check-pool.ts): `verifySender` with the
 * worker's own resolver and answer cache, for one message at a time per task (several tasks share
 * the thread while they wait for DNS). The analyses for storage run on threads of their own
 * (storage-analysis-task.ts); each kind of thread loads only its own code.
 */
import { workerData } from "piscina";
import { dnsLookups, type SenderContext, type SenderVerdict, verifySender } from "./sender-auth.js";
import type { WarningContext } from "./sender-warnings.js";

/** What the pool gives each worker when it starts. */
export interface SenderCheckWorkerData {
  /** What the thread runs: the sender checks, or the analyses for storage (storage-analysis-task.ts). */
  readonly kind: "verify" | "analyse";
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
