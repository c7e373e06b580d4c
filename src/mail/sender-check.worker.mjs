// A worker thread of the sender checks (sender-check-pool.ts). In the build (dist/, scripts/build.mjs)
// the checks are JavaScript beside this file; in the sources they are TypeScript, loaded through tsx
// as bin/sesame.js does for the main thread (a worker does not inherit a loader that was registered
// from code).
import { existsSync } from "node:fs";

const compiled = new URL("./sender-check-task.js", import.meta.url);
let task;
if (existsSync(compiled)) {
  task = await import(compiled.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  task = await import("./sender-check-task.ts");
}
const { verifyTask, analyseTask } = task;

export default verifyTask;
/** The analysis of a message the intake is about to store (storage-analysis.ts). */
export const analyse = analyseTask;
/** Answers once the worker has loaded the checks: the pool sends messages to it from then on. */
export const ready = () => true;
