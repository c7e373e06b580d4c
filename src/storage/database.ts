import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { createPrivateFile, makePrivateDir } from "../shared/private-files.js";
import { CommitSync, sqliteWalSync } from "./commit-sync.js";
import type { Schema } from "./schema.js";

export type DialectName = "sqlite" | "postgres";

export interface Database {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  /** PostgreSQL: the schema the tables live in (`public` unless given). */
  readonly schema?: string;
  /** PostgreSQL: the connection pool's state, for the monitoring. */
  readonly pool?: () => { total: number; idle: number; waiting: number; max: number };
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL only: the schema to work in (tests give each run its own). */
  readonly searchPath?: string;
  readonly poolSize?: number;
}

/** The group commit of each SQLite database in a file (commit-sync.ts), by its Kysely handle. */
const commitSyncs = new WeakMap<Kysely<Schema>, CommitSync>();

/**
 * Resolves once every commit made so far on `db` is durable across a crash of the machine:
 * PostgreSQL commits durably anyway, an SQLite database in memory has no disk, and an SQLite file
 * shares one `fdatasync` of its WAL among the callers of the moment (commit-sync.ts).
 */
export function syncCommits(db: Kysely<Schema>): Promise<void> {
  return commitSyncs.get(db)?.sync() ?? Promise.resolve();
}

/** WAL syncs run so far for `db` (SQLite in a file), for the tests; null elsewhere. */
export function commitSyncCount(db: Kysely<Schema>): number | null {
  return commitSyncs.get(db)?.count ?? null;
}

// PostgreSQL BIGINT (count(*) and the like) comes back as a string by default; our counts fit in a
// JS number, so parse them as numbers.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/** The SQLite database file of a `sqlite:<file>` URL, or null (PostgreSQL, or in memory). */
function sqliteFileOf(url: string): string | null {
  if (!url.startsWith("sqlite:")) return null;
  const file = url.slice("sqlite:".length);
  return file === ":memory:" ? null : file;
}

/** The database file and the files SQLite keeps beside it (all 0600, like the database file). */
export function sqliteFilesOf(url: string): string[] {
  const file = sqliteFileOf(url);
  return file === null ? [] : [file, `${file}-wal`, `${file}-shm`, `${file}-journal`];
}

export function openDatabase(url: string, options: DatabaseOptions = {}): Database {
  if (url.startsWith("sqlite:")) {
    const file = sqliteFileOf(url);
    if (file !== null) {
      // Created 0600 before SQLite opens it: SQLite then gives its -wal and -shm the same mode,
      // whatever the umask (a missing folder is created 0700).
      makePrivateDir(path.dirname(file));
      createPrivateFile(file);
    }
    const native = new SqliteDatabase(file ?? ":memory:");
    native.pragma("journal_mode = WAL");
    native.pragma("foreign_keys = ON");
    native.pragma("busy_timeout = 5000");
    native.pragma("synchronous = NORMAL");
    // Reads go through mmap (no copy into SQLite's cache, no read() per page); the cache holds the
    // pages being written. Both are bounded, and not large: mail deliveries pass every body through
    // them, and the process must stay under 300 MB during an SMTP burst (a 64 MiB cache and a
    // 256 MiB map took it to 320-360 MB; 16 MiB and 64 MiB kept it near 260 MB, no slower, until the
    // sender checks' worker thread came with issue 13; 8 MiB and 16 MiB take 40-50 MB off that
    // burst at the same rates: pages past the map are read from the system's page cache).
    native.pragma("cache_size = -8192");
    native.pragma("mmap_size = 16777216");
    native.pragma("temp_store = MEMORY");
    // Kysely prepares every statement afresh; better-sqlite3 statements can be reused, and the
    // application runs a small, fixed set of statements: keep them prepared.
    const prepared = new Map<string, SqliteDatabase.Statement>();
    const database = {
      close: () => native.close(),
      prepare: (sqlText: string) => {
        let statement = prepared.get(sqlText);
        if (!statement) {
          if (prepared.size >= 1000) prepared.clear();
          statement = native.prepare(sqlText);
          prepared.set(sqlText, statement);
        }
        return statement;
      },
    };
    const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database }) });
    const wal = file === null ? null : sqliteWalSync(file);
    if (wal) commitSyncs.set(db, new CommitSync(wal.sync));
    return {
      db,
      dialect: "sqlite",
      close: async () => {
        await db.destroy();
        wal?.close();
      },
    };
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  return {
    db,
    dialect: "postgres",
    schema: options.searchPath ?? "public",
    pool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max }),
    close: () => db.destroy(),
  };
}

/** Distinct statements prepared per pool; past it, new ones run unnamed (parsed and planned each time). */
const MAX_PREPARED = 500;
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * The application runs a small, fixed set of statements: each one with parameters is sent as a
 * named (prepared) statement, so that PostgreSQL parses and plans it once per connection instead of
 * at every run (the sign-in's queries run hundreds of times a second: bench:login). A name stands for
 * one text only, for the life of the pool.
 */
function preparingPool(pool: pg.Pool): PostgresPool {
  const names = new Map<string, string>();
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_PREPARED && PREPARABLE.test(text)) {
      name = `sesame_${names.size + 1}`;
      names.set(text, name);
    }
    return name;
  };
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    // Kysely calls query(sql, parameters), or query(cursor) to stream.
    query: ((textOrCursor: unknown, values?: readonly unknown[]) => {
      if (typeof textOrCursor === "string" && values && values.length > 0) {
        const name = nameOf(textOrCursor);
        if (name !== undefined) return client.query({ name, text: textOrCursor, values: [...values] });
      }
      // biome-ignore lint/suspicious/noExplicitAny: passed through as Kysely gave it (text or cursor)
      return client.query(textOrCursor as any, values as any);
    }) as unknown as PostgresPoolClient["query"],
    release: (destroy?: boolean) => client.release(destroy),
  });
  return {
    async connect() {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) {
        w = wrap(client);
        wrapped.set(client, w);
      }
      return w;
    },
    end: () => pool.end(),
  };
}

/** Cheap liveness probe, used by the health route and start-up. */
export async function ping(database: Database): Promise<void> {
  await sql`select 1`.execute(database.db);
}
