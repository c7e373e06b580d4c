/**
 * The group commit of src/storage/commit-sync.ts: a caller is answered only by a sync that started
 * after its call; callers arriving during a sync share the next one; a failed sync rejects its
 * callers only. The syncs here are the test's own (promises it settles); the real `fdatasync` of
 * the WAL is exercised by the durability tests (test/integration/mail-durability.test.ts).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { CommitSync, sqliteWalSync } from "../../src/storage/commit-sync.js";

/** A sync function whose runs the test settles one by one. */
function manualSyncs() {
  const runs: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const fn = () =>
    new Promise<void>((resolve, reject) => {
      runs.push({ resolve, reject });
    });
  return { fn, runs };
}

/** Lets the promise callbacks queued so far run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("group commit (commit-sync.ts)", () => {
  it("a caller during a sync waits for the next one, which every such caller shares", async () => {
    const { fn, runs } = manualSyncs();
    const sync = new CommitSync(fn);
    const done: string[] = [];
    const first = sync.sync().then(() => done.push("first"));
    await settle();
    assert.equal(runs.length, 1);
    const later = [1, 2, 3].map((n) => sync.sync().then(() => done.push(`later ${n}`)));
    await settle();
    assert.equal(runs.length, 1, "no second sync while the first runs");
    runs[0]?.resolve();
    await first;
    await settle();
    assert.deepEqual(done, ["first"], "the first sync started before the later commits: it does not answer them");
    assert.equal(runs.length, 2, "one more sync, for the three callers");
    runs[1]?.resolve();
    await Promise.all(later);
    assert.deepEqual(done, ["first", "later 1", "later 2", "later 3"]);
    assert.equal(sync.count, 2);
  });

  it("a failed sync rejects its callers; the next call starts a new one", async () => {
    const { fn, runs } = manualSyncs();
    const sync = new CommitSync(fn);
    const failed = sync.sync();
    await settle();
    runs[0]?.reject(new Error("EIO"));
    await assert.rejects(failed, /EIO/);
    const next = sync.sync();
    await settle();
    assert.equal(runs.length, 2);
    runs[1]?.resolve();
    await next;
  });

  it("the callers waiting behind a failed sync get a sync of their own", async () => {
    const { fn, runs } = manualSyncs();
    const sync = new CommitSync(fn);
    const failed = sync.sync();
    await settle();
    const waiting = sync.sync();
    runs[0]?.reject(new Error("EIO"));
    await assert.rejects(failed, /EIO/);
    await settle();
    assert.equal(runs.length, 2);
    runs[1]?.resolve();
    await waiting;
  });

  it("syncs the WAL file when there is one, else the database file; a missing database is an error", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sesame-commit-sync-"));
    try {
      const file = path.join(dir, "sesame.db");
      const missing = sqliteWalSync(file);
      await assert.rejects(missing.sync(), { code: "ENOENT" });
      writeFileSync(file, "");
      await missing.sync(); // the failure kept nothing open: the database file now
      missing.close();
      writeFileSync(`${file}-wal`, "");
      const wal = sqliteWalSync(file);
      await wal.sync();
      await wal.sync();
      wal.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
