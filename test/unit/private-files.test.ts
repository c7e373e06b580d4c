/**
 * The file-mode helpers: created private whatever the umask, existing files narrowed only when they
 * are ours, and a data folder narrowed only when it is a Sésame data folder.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createPrivateFile, makePrivateDir, tightenMode, tightenPrivatePaths } from "../../src/shared/private-files.js";
import { tempDir } from "../helpers/env.js";

const modeOf = (file: string) => statSync(file).mode & 0o7777;

let previousUmask = 0;
const tmp = tempDir("sesame-modes-");
before(() => {
  // No umask at all: the helpers must not rely on it.
  previousUmask = process.umask(0);
});
after(() => {
  process.umask(previousUmask);
  tmp.remove();
});

describe("private files", () => {
  it("creates folders 0700 and files 0600 with a umask of 0", () => {
    const dir = path.join(tmp.dir, "a", "b");
    makePrivateDir(dir);
    assert.equal(modeOf(dir), 0o700);
    assert.equal(modeOf(path.dirname(dir)), 0o700);
    const file = path.join(dir, "f.db");
    assert.equal(createPrivateFile(file), true);
    assert.equal(modeOf(file), 0o600);
  });

  it("leaves an existing folder and file as they are when creating", () => {
    const dir = path.join(tmp.dir, "existing");
    mkdirSync(dir, { mode: 0o755 });
    makePrivateDir(dir);
    assert.equal(modeOf(dir), 0o755);
    const file = path.join(dir, "f.db");
    writeFileSync(file, "data", { mode: 0o644 });
    assert.equal(createPrivateFile(file), false);
    assert.equal(modeOf(file), 0o644);
  });

  it("narrows a file of ours, keeps the owner's bits, and says what changed", () => {
    const file = path.join(tmp.dir, "wide");
    writeFileSync(file, "x", { mode: 0o664 });
    assert.deepEqual(tightenMode(file), { path: file, from: "0664", to: "0600" });
    assert.equal(modeOf(file), 0o600);
    assert.equal(tightenMode(file), null, "nothing more to do");
    assert.equal(tightenMode(path.join(tmp.dir, "missing")), null);
  });

  it("never narrows a sticky folder (such as /tmp)", () => {
    const dir = path.join(tmp.dir, "sticky");
    mkdirSync(dir);
    chmodSync(dir, 0o1777);
    assert.equal(tightenMode(dir), null);
    assert.equal(modeOf(dir), 0o1777);
  });

  it("narrows the data folder when empty or holding our files, not when it holds only others'", () => {
    const empty = path.join(tmp.dir, "empty");
    mkdirSync(empty, { mode: 0o755 });
    assert.deepEqual(
      tightenPrivatePaths(empty, [path.join(empty, "secret")]).map((c) => c.path),
      [empty],
    );
    assert.equal(modeOf(empty), 0o700);

    const ours = path.join(tmp.dir, "ours");
    mkdirSync(ours, { mode: 0o755 });
    writeFileSync(path.join(ours, "sesame.db"), "", { mode: 0o644 });
    writeFileSync(path.join(ours, "other.txt"), "", { mode: 0o644 });
    const files = [path.join(ours, "secret"), path.join(ours, "sesame.db"), path.join(ours, "sesame.db-wal")];
    assert.deepEqual(
      tightenPrivatePaths(ours, files).map((c) => c.path),
      [ours, path.join(ours, "sesame.db")],
    );
    assert.equal(modeOf(ours), 0o700);
    assert.equal(modeOf(path.join(ours, "other.txt")), 0o644, "a file that is not ours is left alone");

    const home = path.join(tmp.dir, "home");
    mkdirSync(home, { mode: 0o755 });
    writeFileSync(path.join(home, "notes.txt"), "", { mode: 0o644 });
    assert.deepEqual(tightenPrivatePaths(home, [path.join(home, "secret")]), []);
    assert.equal(modeOf(home), 0o755);
  });
});
