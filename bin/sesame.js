#!/usr/bin/env node
// Entry point of the `sesame` command. The sources are TypeScript, loaded through tsx's
// loader so that `npx sesame …` works right after `npm ci`, with no build step.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
