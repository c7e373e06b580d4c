#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4 --heap-growing-percent=20
// Entry point of the `sesame` command. It runs the JavaScript build in dist/ when that build is
// current (`npm run build`, scripts/build-state.mjs: newer than every source), and otherwise the
// TypeScript sources through tsx's loader, so that `npx sesame …` also works right after `npm ci`
// and never runs a build older than the sources. `npm start` and a deployment build first: the
// build leaves out tsx's loader thread and its caches (50-60 MB under a burst).
//
// The service must stay under 300 MB during an SMTP burst (bench/smtp.bench.ts). With V8's and
// glibc's defaults a burst takes it to 520-600 MB, most of it garbage and free memory kept:
// --max-semi-space-size=4: V8's young generation grows to 3 × 16 MiB under a high allocation
//   rate (a burst parses hundreds of messages a second); 4 MiB semi-spaces. They were 2 MiB while
//   the service ran through tsx; the build's 50-60 MB saved pay for 4, which takes 10-20 % off the
//   CPU per message received and stored (fewer young objects copied and promoted: bench:smtp
//   measured 6.2 → 5.0–5.5 ms with a connection per message, peak 229 → 240–245 MB).
// --heap-growing-percent=20: after a full collection V8 lets the old generation grow up to 4 ×
//   before the next one: the main thread reached 140-190 MiB of heap and the sender checks'
//   worker thread ~100 MiB. Growing by 20 % keeps them near 90 and 47 MiB.
// MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (the worker, libuv's and V8's
//   threads) an arena of its own, which keeps what it freed; two arenas take ~20 MB off.
// Together, from the build: 240-245 MB at the same rates. V8's flags are the process's: they hold
// for the worker threads too. The same settings are in package.json's `start` script,
// deploy/sesame.service and the benchmarks' server processes.
import { distIsCurrent } from "../scripts/build-state.mjs";

if (distIsCurrent()) {
  await import("../dist/cli.js");
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli.ts");
}
