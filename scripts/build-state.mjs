// Whether dist/ holds a build of the current sources (scripts/build.mjs writes it; bin/sesame.js and
// the sender checks' worker run it when it does, the TypeScript sources through tsx otherwise).
//
// A build is current when its stamp (dist/BUILD, written last) is newer than every file under src/
// and than the files that shape the output (package.json, tsconfig.json, tsconfig.build.json): an
// edited, added or checked-out source makes the sources run again until the next build, never a
// stale build.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = path.join(ROOT, "dist");
export const STAMP = path.join(DIST, "BUILD");
const INPUTS = ["package.json", "tsconfig.json", "tsconfig.build.json"];

/** The latest modification time (ms) of a file or, recursively, of a folder's files and folders. */
function newest(target) {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs; // a file removed from the folder changes the folder's time
  for (const entry of readdirSync(target)) latest = Math.max(latest, newest(path.join(target, entry)));
  return latest;
}

/** True when dist/ was built from the sources as they are now (`root`: the project's folder). */
export function distIsCurrent(root = ROOT) {
  let built;
  try {
    built = statSync(path.join(root, "dist", "BUILD")).mtimeMs;
  } catch {
    return false; // never built
  }
  const sources = Math.max(newest(path.join(root, "src")), ...INPUTS.map((name) => newest(path.join(root, name))));
  return sources < built;
}
