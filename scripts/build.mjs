#!/usr/bin/env node
// `npm run build`: compiles src/ to JavaScript in dist/ (tsconfig.build.json), with the files the
// service reads beside its modules (stylesheets, icons, the worker's entry), then writes the stamp
// that says the build is current (scripts/build-state.mjs). Nothing to do when it already is.
//
// Why a build: the service then runs plain JavaScript, without tsx's loader (a thread and its
// isolate, the transformed sources and their source maps kept in memory, for the main thread and
// again for each worker thread): 30 MB less at rest and 50-60 MB less under an SMTP burst
// (bench/smtp.bench.ts). Tests run the sources through tsx, and the service as an operator starts
// it (bin/sesame.js) from this build; bench:smtp's server runs the build too.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { DIST, distIsCurrent, ROOT, STAMP } from "./build-state.mjs";

const SOURCE_EXTENSIONS = new Set([".ts", ".tsx"]);

/** Copies every file of `from` that the compiler does not produce (not .ts/.tsx) into `to`. */
function copyAssets(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copyAssets(source, target);
    else if (!SOURCE_EXTENSIONS.has(path.extname(entry.name))) {
      mkdirSync(to, { recursive: true });
      copyFileSync(source, target);
    }
  }
}

if (distIsCurrent() && !process.argv.includes("--force")) {
  console.log("build: dist/ is up to date");
} else {
  const started = new Date();
  rmSync(DIST, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const compiled = spawnSync(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.build.json")], {
    stdio: "inherit",
  });
  if (compiled.status !== 0) {
    rmSync(DIST, { recursive: true, force: true });
    console.error("build: the TypeScript compiler failed (see above); dist/ removed");
    process.exit(1);
  }
  copyAssets(path.join(ROOT, "src"), DIST);
  // The stamp is dated from the build's start: a source saved while it ran is newer, hence built again.
  writeFileSync(STAMP, `${started.toISOString()}\n`);
  utimesSync(STAMP, started, started);
  console.log(`build: src/ compiled to dist/ in ${((Date.now() - started.getTime()) / 1000).toFixed(1)} s`);
}
