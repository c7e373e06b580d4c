/**
 * Group commit for SQLite, off the main thread.
 *
 * SQLite runs in WAL mode with `synchronous = NORMAL`: a commit appends its pages to the `-wal` file
 * (the operating system's cache) without waiting for the disk, and the WAL is synced before each
 * checkpoint, the database file after it. A write that must survive a crash of the MACHINE (a
 * delivery answered `250`, an APPEND answered OK) commits that way and then waits for
 * `CommitSync.sync()`: an `fdatasync` of the `-wal` file, run on libuv's thread pool. Because the
 * WAL is append-only until a checkpoint (which syncs what it copies), one `fdatasync` makes every
 * commit made before it durable: callers that commit while a sync is running share the next one
 * (group commit), and the main thread never waits for the disk. This replaces switching each such
 * transaction to `synchronous = FULL`, whose `fsync` blocked the event loop (better-sqlite3 is
 * synchronous) for about 1 ms per delivery, once each.
 */
import { closeSync, fdatasync, openSync } from "node:fs";

/** Makes durable every commit made before it starts (an `fdatasync` or equivalent). */
export type SyncFn = () => Promise<void>;

export class CommitSync {
  readonly #syncFn: SyncFn;
  /** The sync under way, if any. */
  #running: Promise<void> | null = null;
  /** The sync that will start when the running one ends: it covers the commits made meanwhile. */
  #next: Promise<void> | null = null;
  #count = 0;

  constructor(syncFn: SyncFn) {
    this.#syncFn = syncFn;
  }

  /** Syncs started so far (the tests check that callers share them). */
  get count(): number {
    return this.#count;
  }

  /**
   * Resolves once every commit made before this call is durable. A sync already under way may have
   * started before the caller's commit, so the caller waits for the next one, which every caller
   * arriving meanwhile shares. A failed sync rejects its callers; the next call starts afresh.
   */
  sync(): Promise<void> {
    if (this.#running === null) return this.#start();
    if (this.#next === null) {
      this.#next = this.#running
        .catch(() => undefined)
        .then(() => {
          this.#next = null;
          return this.#start();
        });
    }
    return this.#next;
  }

  #start(): Promise<void> {
    this.#count++;
    const run: Promise<void> = Promise.resolve()
      .then(this.#syncFn)
      .finally(() => {
        if (this.#running === run) this.#running = null;
      });
    this.#running = run;
    return run;
  }
}

/** A sync function with a file to close when the database closes. */
export interface FileSync {
  readonly sync: SyncFn;
  close(): void;
}

/**
 * The sync of an SQLite database in WAL mode: `fdatasync` of its `-wal` file, kept open from the
 * first sync (SQLite removes that file only when its last connection closes, and `close` is called
 * before); when there is none, the database file itself (every commit is then in it). A sync that
 * fails closes the file: the next one opens it again.
 */
export function sqliteWalSync(databaseFile: string): FileSync {
  let fd: number | null = null;
  const closeFd = () => {
    if (fd !== null) closeSync(fd);
    fd = null;
  };
  const openFd = (): number => {
    try {
      return openSync(`${databaseFile}-wal`, "r+");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      return openSync(databaseFile, "r+");
    }
  };
  return {
    sync: () =>
      new Promise<void>((resolve, reject) => {
        try {
          fd ??= openFd();
        } catch (error) {
          reject(error);
          return;
        }
        fdatasync(fd, (error) => {
          if (!error) return resolve();
          closeFd();
          reject(error);
        });
      }),
    close: closeFd,
  };
}
