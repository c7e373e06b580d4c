/**
 * Files and folders readable by the service's user only, whatever the process umask: the data folder
 * (0700), the secret and the SQLite database with its `-wal` and `-shm` (0600). SQLite's unix VFS gives
 * `-wal` and `-shm` the permission bits of the main database file (it fchmods them to match when it
 * creates them), so creating the database file 0600 before SQLite opens it covers all three.
 */
import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, readdirSync, type Stats, statSync } from "node:fs";
import path from "node:path";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** The group and other permission bits. */
const SHARED_BITS = 0o077;
const STICKY_BIT = 0o1000;

/** A mode made narrower at start (octal strings, for the log). */
export interface ModeChange {
  readonly path: string;
  readonly from: string;
  readonly to: string;
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function statOrNull(target: string): Stats | null {
  try {
    return statSync(target);
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return null;
    throw error;
  }
}

const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;

/** Creates `dir` (and its missing parents) 0700, whatever the umask; an existing folder is left as it is. */
export function makePrivateDir(dir: string): void {
  if (mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE }) !== undefined) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Creates an empty file 0600, whatever the umask, unless it exists; true when it was created. */
export function createPrivateFile(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, "wx", PRIVATE_FILE_MODE);
  } catch (error) {
    if (errnoCode(error) === "EEXIST") return false;
    throw error;
  }
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Removes the group and other bits of a file or folder that exists and belongs to this user (another
 * user's file, a missing one or a sticky folder such as /tmp is left alone). What changed, or null.
 */
export function tightenMode(target: string): ModeChange | null {
  const stats = statOrNull(target);
  if (!stats || (stats.mode & SHARED_BITS) === 0 || (stats.mode & STICKY_BIT) !== 0) return null;
  if (typeof process.getuid === "function" && stats.uid !== process.getuid()) return null;
  const to = stats.mode & 0o7777 & ~SHARED_BITS;
  chmodSync(target, to);
  return { path: target, from: octal(stats.mode), to: octal(to) };
}

/**
 * Tightens what an older version (or a wide umask) left readable by others: each of `files` that
 * exists, and the data folder when it is ours, that is empty or holding one of `files`. A folder that
 * holds none of them (a home folder given as the data folder) is not changed.
 */
export function tightenPrivatePaths(dataDir: string, files: readonly string[]): ModeChange[] {
  const changes: ModeChange[] = [];
  const dirStats = statOrNull(dataDir);
  if (dirStats?.isDirectory()) {
    const entries = new Set(readdirSync(dataDir));
    const ours =
      entries.size === 0 || files.some((file) => path.dirname(file) === dataDir && entries.has(path.basename(file)));
    const change = ours ? tightenMode(dataDir) : null;
    if (change) changes.push(change);
  }
  for (const file of files) {
    const change = tightenMode(file);
    if (change) changes.push(change);
  }
  return changes;
}
