// A worker thread of the sender checks (sender-check-pool.ts). The sources are TypeScript, loaded
// through tsx as bin/sesame.js does for the main thread (a worker does not inherit a loader that
// was registered from code).
import { register } from "tsx/esm/api";

register();
const { verifyTask, analyseTask } = await import("./sender-check-task.ts");

export default verifyTask;
/** The analysis of a message the intake is about to store (storage-analysis.ts). */
export const analyse = analyseTask;
/** Answers once the worker has loaded the checks: the pool sends messages to it from then on. */
export const ready = () => true;
