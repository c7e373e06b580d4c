#!/usr/bin/env -S node --max-semi-space-size=4
// Entry point of the `sesame` command. The sources are TypeScript, loaded through tsx's
// loader so that `npx sesame …` works right after `npm ci`, with no build step.
//
// --max-semi-space-size=4: V8's young generation grows to 3 × 16 MiB under a high allocation
// rate (an SMTP burst parses hundreds of messages a second); 4 MiB semi-spaces keep the service
// under 300 MB during such a burst for ~5 % more time in minor collections. The same flag is in
// package.json's `start` script and in the benchmarks' server processes.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
