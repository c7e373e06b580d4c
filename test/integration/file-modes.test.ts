/**
 * File modes: the data folder is 0700, the secret and the SQLite database with its
 * -wal and -shm are 0600, whatever the umask (022 here, the common one, which left them 0644/0755).
 * What an older version left readable by others is narrowed at start; a folder that is not ours
 * is left alone. On both dialects (PostgreSQL has no database file, but the folder and the secret).
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import SqliteDatabase from "better-sqlite3";
import { DIALECTS, openTestServices, TEST_SECRET, tempDir } from "../helpers/env.js";
import { seedStaff, uniqueStaff } from "../helpers/web.js";

const modeOf = (file: string) => statSync(file).mode & 0o777;
const octal = (mode: number) => `0${mode.toString(8)}`;

function assertMode(file: string, expected: number): void {
  assert.ok(existsSync(file), `${path.basename(file)} exists`);
  assert.equal(octal(modeOf(file)), octal(expected), `mode of ${path.basename(file)}`);
}

let previousUmask = 0;
before(() => {
  previousUmask = process.umask(0o022);
});
after(() => {
  process.umask(previousUmask);
});

for (const dialect of DIALECTS) {
  describe(`file modes on a fresh data folder (${dialect})`, () => {
    it("the folder is 0700, the secret and the database files 0600, after a write", async () => {
      const tmp = tempDir();
      const dataDir = path.join(tmp.dir, "data");
      // No SESAME_SECRET: the secret is generated into the data folder.
      const ctx = await openTestServices(dialect, { SESAME_DATA_DIR: dataDir, SESAME_SECRET: "" });
      try {
        await seedStaff(ctx.services, [uniqueStaff()]);
        assertMode(dataDir, 0o700);
        assertMode(path.join(dataDir, "secret"), 0o600);
        const db = path.join(dataDir, "sesame.db");
        if (dialect === "sqlite") {
          assert.equal(ctx.config.databaseUrl, `sqlite:${db}`);
          assert.ok(statSync(`${db}-wal`).size > 0, "the write went through the WAL");
          for (const file of [db, `${db}-wal`, `${db}-shm`]) assertMode(file, 0o600);
        } else {
          assert.equal(existsSync(db), false, "no SQLite file beside PostgreSQL");
        }
      } finally {
        await ctx.close();
        tmp.remove();
      }
    });
  });
}

describe("file modes left by an older version (sqlite)", () => {
  it("an existing data folder, secret and database files readable by others are narrowed at start", async () => {
    const tmp = tempDir();
    const dataDir = path.join(tmp.dir, "data");
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    const secretValue = "an-older-secret-of-more-than-32-characters";
    writeFileSync(path.join(dataDir, "secret"), `${secretValue}\n`, { mode: 0o644 });
    // A database made the old way (no file created beforehand: 0644 with this umask), still open
    // in another process-like connection so that its -wal and -shm exist, 0644 too.
    const db = path.join(dataDir, "sesame.db");
    const older = new SqliteDatabase(db);
    older.pragma("journal_mode = WAL");
    older.exec("create table older_notes (text text); insert into older_notes values ('kept')");
    for (const file of [db, `${db}-wal`, `${db}-shm`]) assertMode(file, 0o644);
    let ctx: Awaited<ReturnType<typeof openTestServices>> | undefined;
    try {
      ctx = await openTestServices("sqlite", { SESAME_DATA_DIR: dataDir, SESAME_SECRET: "" });
      assert.equal(ctx.config.secret, secretValue, "the existing secret is kept");
      assert.equal(readFileSync(path.join(dataDir, "secret"), "utf8").trim(), secretValue);
      await seedStaff(ctx.services, [uniqueStaff()]);
      assertMode(dataDir, 0o700);
      assertMode(path.join(dataDir, "secret"), 0o600);
      for (const file of [db, `${db}-wal`, `${db}-shm`]) assertMode(file, 0o600);
      const notes = older.prepare("select text from older_notes").all();
      assert.deepEqual(notes, [{ text: "kept" }], "the data is untouched");
    } finally {
      older.close();
      await ctx?.close();
      tmp.remove();
    }
  });

  it("a folder that is not ours keeps its mode; the database created in it is 0600", async () => {
    const tmp = tempDir();
    // A shared folder holding someone else's files, given as the data folder and as the database's.
    const shared = path.join(tmp.dir, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o755);
    writeFileSync(path.join(shared, "notes.txt"), "not ours\n", { mode: 0o644 });
    const db = path.join(shared, "base.db");
    const ctx = await openTestServices("sqlite", {
      SESAME_DATA_DIR: shared,
      SESAME_SECRET: TEST_SECRET,
      SESAME_DATABASE_URL: `sqlite:${db}`,
    });
    try {
      await seedStaff(ctx.services, [uniqueStaff()]);
      assertMode(shared, 0o755);
      assertMode(path.join(shared, "notes.txt"), 0o644);
      for (const file of [db, `${db}-wal`, `${db}-shm`]) assertMode(file, 0o600);
    } finally {
      await ctx.close();
      tmp.remove();
    }
  });

  it("a missing folder for the database is created 0700", async () => {
    const tmp = tempDir();
    const db = path.join(tmp.dir, "elsewhere", "deeper", "sesame.db");
    const ctx = await openTestServices("sqlite", { SESAME_DATABASE_URL: `sqlite:${db}` });
    try {
      await seedStaff(ctx.services, [uniqueStaff()]);
      assertMode(path.join(tmp.dir, "elsewhere"), 0o700);
      assertMode(path.dirname(db), 0o700);
      for (const file of [db, `${db}-wal`, `${db}-shm`]) assertMode(file, 0o600);
    } finally {
      await ctx.close();
      tmp.remove();
    }
  });
});
