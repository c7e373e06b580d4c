/**
 * Which code runs: the JavaScript build (`npm run build`, dist/, which bin/sesame.js runs when it
 * is current) or the TypeScript sources through tsx. This module is compiled like the others, so
 * its own file name says it. The one place for that rule (the sender checks' worker entry, plain
 * JavaScript in both, looks for its compiled sibling instead).
 */
export const RUNS_BUILD = import.meta.url.endsWith(".js");

/** The extension of the modules that run: `.js` in the build, `.ts` in the sources. */
export const MODULE_EXTENSION = RUNS_BUILD ? ".js" : ".ts";
