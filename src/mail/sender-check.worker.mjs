// A worker thread of the sender checks or of the analyses for storage (sender-check-pool.ts): the
// pool says which in its workerData (`kind`), and the thread loads that code only (mailauth for the
// checks, the MIME parser and the sender warnings for the analyses). In the build (dist/,
// scripts/build.mjs) the tasks are JavaScript beside this file; in the sources they are TypeScript,
// loaded through tsx as bin/sesame.js does for the main thread (a worker does not inherit a loader
// that was registered from code).
import { existsSync } from "node:fs";
import { workerData } from "piscina";

// Each kind of thread: its module, and the task it exports.
const [name, run] =
  workerData?.kind === "analyse" ? ["storage-analysis-task", "analyseTask"] : ["sender-check-task", "verifyTask"];
const compiled = new URL(`./${name}.js`, import.meta.url);
let task;
if (existsSync(compiled)) {
  task = await import(compiled.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  task = await import(`./${name}.ts`);
}

/** The thread's one kind of task: a verification, or an analysis. */
export default task[run];
/** Answers once the worker has loaded its code: the pool sends messages to it from then on. */
export const ready = () => true;
