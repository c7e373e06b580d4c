/**
 * Backup and restore of a SQLite installation, in one file.
 *
 * The backup is a SQLite database made by SQLite's online backup API (consistent while the service
 * keeps serving and writing: the copy is one snapshot of the WAL database), into which the server's
 * secret is then written (table `sesame_backup`): with the message bodies already in the database,
 * that file is everything needed to bring the installation back. It holds the secret: it is created
 * 0600 and must be kept like the data folder.
 *
 * A restore works on a temporary copy beside the target: integrity check, the secret read and its
 * table dropped, and only then renamed into place (the secret first, the database last), so that a
 * damaged or foreign file leaves the data folder as it was.
 *
 * PostgreSQL installations are saved with `pg_dump`: `postgresInstructions` says how.
 */
import { chmodSync, copyFileSync, existsSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { DomainError } from "../shared/errors.js";
import { createPrivateFile, makePrivateDir, PRIVATE_FILE_MODE } from "../shared/private-files.js";
import { sqliteFilesOf } from "./database.js";

/** The table of the backup file that carries what is not in the database. */
const META_TABLE = "sesame_backup";
const FORMAT = "sesame-backup-1";

export interface BackupResult {
  readonly file: string;
  readonly bytes: number;
  readonly pages: number;
  /** Whether the secret file went into the backup (false: the secret came from SESAME_SECRET). */
  readonly withSecret: boolean;
}

/** Copies the database `dbFile` (open or not, by another process or not) and `secret` into `target`. */
export async function backupSqlite(dbFile: string, target: string, secret: string | null): Promise<BackupResult> {
  if (!existsSync(dbFile)) throw new DomainError("NOT_FOUND", `there is no database at ${dbFile}`);
  if (existsSync(target)) throw new DomainError("CONFLICT", `${target} already exists; choose a new file`);
  makePrivateDir(path.dirname(path.resolve(target)));
  const partial = `${target}.partial-${process.pid}`;
  createPrivateFile(partial);
  const source = new SqliteDatabase(dbFile, { readonly: true, fileMustExist: true });
  try {
    source.pragma("busy_timeout = 5000");
    const { totalPages } = await source.backup(partial);
    const copy = new SqliteDatabase(partial);
    try {
      copy.pragma("journal_mode = DELETE");
      copy.exec(`create table ${META_TABLE} (key text primary key, value text not null)`);
      const put = copy.prepare(`insert into ${META_TABLE} (key, value) values (?, ?)`);
      copy.transaction(() => {
        put.run("format", FORMAT);
        put.run("created_at", new Date().toISOString());
        if (secret !== null) put.run("secret", secret);
      })();
    } finally {
      copy.close();
    }
    renameSync(partial, target);
    return { file: target, bytes: statSync(target).size, pages: totalPages, withSecret: secret !== null };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    source.close();
  }
}

export interface RestoreResult {
  readonly database: string;
  readonly createdAt: string;
  /** Whether a secret file was written (false: the backup had none; SESAME_SECRET must be set). */
  readonly withSecret: boolean;
}

/**
 * Puts the backup `file` in place as the database `dbFile` and, when it carries one, the secret as
 * `secretFile`. Refuses a database file that already holds data unless `force`.
 */
export function restoreSqlite(
  file: string,
  target: { readonly dbFile: string; readonly secretFile: string },
  options: { readonly force: boolean },
): RestoreResult {
  if (!existsSync(file)) throw new DomainError("NOT_FOUND", `there is no file ${file}`);
  const { dbFile, secretFile } = target;
  if (!options.force && existsSync(dbFile) && statSync(dbFile).size > 0) {
    throw new DomainError(
      "CONFLICT",
      `${dbFile} already holds a database; stop the service and run again with --force to replace it`,
    );
  }
  makePrivateDir(path.dirname(dbFile));
  const work = `${dbFile}.restore-${process.pid}`;
  const leftovers = [work, `${work}-wal`, `${work}-shm`, `${work}-journal`];
  for (const leftover of leftovers) rmSync(leftover, { force: true });
  try {
    // Worked on as a copy beside the target: the backup file itself is never changed.
    copyFileSync(file, work);
    chmodSync(work, PRIVATE_FILE_MODE);
    let restored: SqliteDatabase.Database;
    try {
      restored = new SqliteDatabase(work, { fileMustExist: true });
      restored.pragma("schema_version");
    } catch {
      throw new DomainError("FILE_UNREADABLE", `${file} is not a Sésame backup (not a SQLite database)`);
    }
    let meta: Map<string, string>;
    try {
      let check: unknown;
      try {
        check = restored.pragma("integrity_check", { simple: true });
      } catch (error) {
        check = error instanceof Error ? error.message : String(error);
      }
      if (check !== "ok") {
        throw new DomainError("FILE_UNREADABLE", `${file} is damaged (integrity check: ${String(check)})`);
      }
      meta = readMeta(restored, file);
      restored.exec(`drop table ${META_TABLE}`);
      restored.pragma("journal_mode = WAL");
    } finally {
      restored.close();
    }
    const secret = meta.get("secret") ?? null;
    if (secret !== null) {
      const partialSecret = `${secretFile}.restore-${process.pid}`;
      writeFileSync(partialSecret, `${secret}\n`, { mode: PRIVATE_FILE_MODE });
      renameSync(partialSecret, secretFile);
    }
    // The old database's companions belong to the old file.
    for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(`${dbFile}${suffix}`, { force: true });
    renameSync(work, dbFile);
    return { database: dbFile, createdAt: meta.get("created_at") ?? "", withSecret: secret !== null };
  } finally {
    for (const leftover of leftovers) rmSync(leftover, { force: true });
  }
}

function readMeta(source: SqliteDatabase.Database, file: string): Map<string, string> {
  try {
    const rows = source.prepare(`select key, value from ${META_TABLE}`).all() as Array<{ key: string; value: string }>;
    const meta = new Map(rows.map((r) => [r.key, r.value]));
    if (meta.get("format") !== FORMAT) throw new Error("unknown format");
    return meta;
  } catch {
    throw new DomainError("FILE_UNREADABLE", `${file} is not a Sésame backup (made by "sesame backup")`);
  }
}

/** What an operator of a PostgreSQL installation runs instead (credentials masked). */
export function postgresInstructions(
  kind: "backup" | "restore",
  databaseUrl: string,
  file: string,
  secretFile: string | null,
): string {
  const url = new URL(databaseUrl);
  if (url.password) url.password = "****";
  const shown = url.toString();
  const secret =
    secretFile === null
      ? "The secret comes from SESAME_SECRET: keep that value with the dump."
      : `Save the secret file ${secretFile} with the dump, and put it back before starting: without it the NUMEN lookups, sessions and second factors cannot be read.`;
  return kind === "backup"
    ? `A PostgreSQL database is saved with pg_dump, not with "sesame backup":\n  pg_dump --format=custom --file=${file} "${shown}"\n${secret}`
    : `A PostgreSQL database is restored with pg_restore, not with "sesame restore":\n  pg_restore --clean --if-exists --dbname="${shown}" ${file}\n${secret}`;
}

/** The SQLite database file of a configuration, or null on PostgreSQL (or in memory). */
export function sqliteFileOfUrl(databaseUrl: string): string | null {
  return sqliteFilesOf(databaseUrl)[0] ?? null;
}
