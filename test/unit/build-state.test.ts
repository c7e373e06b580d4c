/**
 * When bin/sesame.js runs the JavaScript build rather than the sources (scripts/build-state.mjs):
 * only when the build's stamp is newer than every source and every file that shapes the output.
 */
import assert from "node:assert/strict";
import { mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { distIsCurrent } from "../../scripts/build-state.mjs";
import { tempDir } from "../helpers/env.js";

/** A project folder whose files all date from `at`, and a stamp of a build at `builtAt` (none when null). */
function project(root: string, at: Date, builtAt: Date | null): void {
  mkdirSync(path.join(root, "src", "mail"), { recursive: true });
  const files = ["package.json", "tsconfig.json", "tsconfig.build.json", "src/cli.ts", "src/mail/intake.ts"];
  for (const file of files) writeFileSync(path.join(root, file), "// source\n");
  for (const target of [...files, "src/mail", "src"]) utimesSync(path.join(root, target), at, at);
  if (builtAt) {
    mkdirSync(path.join(root, "dist"), { recursive: true });
    writeFileSync(path.join(root, "dist", "BUILD"), "stamp\n");
    utimesSync(path.join(root, "dist", "BUILD"), builtAt, builtAt);
  }
}

describe("distIsCurrent (bin/sesame.js: the build or the sources)", () => {
  const t0 = new Date("2026-01-05T08:00:00Z");
  const later = new Date("2026-01-05T09:00:00Z");
  const latest = new Date("2026-01-05T10:00:00Z");
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir("sesame-build-");
  });
  afterEach(() => tmp.remove());

  it("is false when nothing was built", () => {
    project(tmp.dir, t0, null);
    assert.equal(distIsCurrent(tmp.dir), false);
  });

  it("is true when the build is newer than every source", () => {
    project(tmp.dir, t0, later);
    assert.equal(distIsCurrent(tmp.dir), true);
  });

  it("is false once a source is edited after the build, however deep", () => {
    project(tmp.dir, t0, later);
    utimesSync(path.join(tmp.dir, "src/mail/intake.ts"), latest, latest);
    assert.equal(distIsCurrent(tmp.dir), false);
  });

  it("is false once a source is added or removed (its folder changes)", () => {
    project(tmp.dir, t0, later);
    rmSync(path.join(tmp.dir, "src/mail/intake.ts"));
    utimesSync(path.join(tmp.dir, "src/mail"), latest, latest);
    assert.equal(distIsCurrent(tmp.dir), false);
  });

  it("is false once the compiler's settings or the dependencies change", () => {
    for (const file of ["package.json", "tsconfig.json", "tsconfig.build.json"]) {
      project(tmp.dir, t0, later);
      utimesSync(path.join(tmp.dir, file), latest, latest);
      assert.equal(distIsCurrent(tmp.dir), false, file);
    }
  });
});
