/**
 * The group fsync of SQLite's write-ahead log (storage/database.ts, walSyncer): a caller waits for
 * an fsync that started after it called; callers of the same moment share one; a missing log is
 * nothing to sync; a failure rejects its callers and the next call syncs again. The file system is
 * replaced by a function of the test's own so that each fsync's start and end are the test's to
 * choose; the real one runs in the integration test of deliveries (mail-durability.test.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { walSyncer } from "../../src/storage/database.js";

/** A file system whose fsyncs end when the test says. */
function heldSyncs() {
  const calls: { file: string; end: (error?: Error) => void }[] = [];
  const syncFile = (file: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ file, end: (error) => (error ? reject(error) : resolve()) });
    });
  return { calls, syncFile };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("group fsync of the write-ahead log", () => {
  it("callers during an fsync wait for the next one, and share it", async () => {
    const fs = heldSyncs();
    const sync = walSyncer("/data/sesame.db-wal", fs.syncFile);
    const settled: string[] = [];
    const first = sync().then(() => settled.push("first"));
    await tick();
    assert.deepEqual(
      fs.calls.map((c) => c.file),
      ["/data/sesame.db-wal"],
    );
    const second = sync().then(() => settled.push("second"));
    const third = sync().then(() => settled.push("third"));
    await tick();
    assert.equal(fs.calls.length, 1, "no second fsync while the first runs");
    fs.calls[0]?.end(); // the log
    await tick();
    fs.calls[1]?.end(); // the first time, the folder too
    await first;
    await tick();
    assert.deepEqual(settled, ["first"], "the later callers wait for an fsync that started after them");
    assert.equal(fs.calls.length, 3, "one fsync for both later callers");
    assert.equal(fs.calls[2]?.file, "/data/sesame.db-wal");
    fs.calls[2]?.end();
    await Promise.all([second, third]);
    assert.deepEqual(settled, ["first", "second", "third"]);
    // Once all is synced, a new caller starts at once; the folder is synced only the first time.
    const fourth = sync();
    await tick();
    assert.equal(fs.calls.length, 4);
    fs.calls[3]?.end();
    await fourth;
    assert.deepEqual(
      fs.calls.map((c) => c.file),
      ["/data/sesame.db-wal", "/data", "/data/sesame.db-wal", "/data/sesame.db-wal"],
    );
  });

  it("a log that does not exist is nothing to sync; another failure rejects, and the next call syncs again", async () => {
    const fs = heldSyncs();
    const sync = walSyncer("/data/sesame.db-wal", fs.syncFile);
    const missing = sync();
    await tick();
    fs.calls[0]?.end(Object.assign(new Error("no such file"), { code: "ENOENT" }));
    await missing;
    const failing = sync();
    await tick();
    fs.calls[1]?.end(Object.assign(new Error("I/O error"), { code: "EIO" }));
    await assert.rejects(failing, { code: "EIO" });
    const again = sync();
    await tick();
    assert.equal(fs.calls.length, 3);
    fs.calls[2]?.end();
    await tick();
    fs.calls[3]?.end(); // the folder, not synced yet
    await again;
  });
});
