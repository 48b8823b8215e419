/**
 * SQLite through libsql (npm `libsql`): better-sqlite3's synchronous API, shipped as prebuilt
 * binaries for each platform in the registry, so `npm ci` needs no compiler and one install
 * loads on Node 20, 24 and 26 (better-sqlite3 compiles, and its binary serves one Node major).
 *
 * Settings, and why:
 *   journal_mode=WAL    readers never block the writer; a kill -9 mid-transaction leaves the
 *                       last committed state (the WAL is replayed or ignored on the next open)
 *   synchronous=NORMAL  in WAL mode, durable at each checkpoint and always consistent
 *   busy_timeout=30000  another process (a second shard on this host) holding the write lock is
 *                       waited for, not answered with SQLITE_BUSY
 *   BEGIN IMMEDIATE     a write transaction takes the write lock at its start: a deferred one
 *                       that upgrades later gets SQLITE_BUSY at once, whatever the timeout
 *   journal_mode=DELETE once the last connection that wrote closes (close()): the file is left
 *                       whole and alone, without -wal and -shm beside it, so it can be copied,
 *                       and read where nothing can be written (a read-only directory, a backup
 *                       mount), which a WAL database cannot be. Not while any other connection is
 *                       open (it fails at once, and the file stays in WAL mode, as consistent).
 *   readonly            the commands that only read (tkf history, tkf report --db) open the file
 *                       read-only: they neither need to write it nor leave files beside it.
 *   foreign_keys=OFF    only for the recording thread (record-worker.ts, `foreignKeys: false`):
 *                       libsql checks the schema's REFERENCES by default (sqlite3 does not); the
 *                       thread writes each parent row first by construction (a follower's row
 *                       before its account_followers row, the account before its snapshot; tkf
 *                       deletes neither), and each check was a lookup in followers' uid index:
 *                       70 of the 175 ms that 100,000 account_followers rows took in the last
 *                       transaction of a 100k export. test/history/page-recorder.test.ts holds
 *                       what it records to `PRAGMA foreign_key_check`.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { HistoryDbError } from '../errors.js';
import { TurnQueue, type SqlDriver, type SqlRunner } from './sql-driver.js';

interface LibsqlStatement {
  run(params: unknown[]): unknown;
  all(params: unknown[]): unknown[];
}
interface LibsqlDatabase {
  prepare(sql: string): LibsqlStatement;
  exec(sql: string): void;
  close(): void;
}

/** The page size of a history database tkf creates. */
export const PAGE_SIZE = 16_384;

export function openSqlite(path: string, options: { readonly?: boolean; foreignKeys?: boolean } = {}): SqlDriver {
  // libsql is CommonJS; loaded only when a --db names a SQLite file.
  const Database = createRequire(import.meta.url)('libsql') as new (path: string, options?: object) => LibsqlDatabase;
  // What libsql would only say as "Unable to open connection ... 14", said plainly.
  let found: ReturnType<typeof statSync>;
  try {
    found = statSync(path, { throwIfNoEntry: false });
  } catch {
    found = undefined; // ENOTDIR, EACCES: libsql's open says why
  }
  if (found?.isDirectory()) {
    throw new HistoryDbError(`cannot open the history database ${path}: it is a directory; --db names a SQLite file (history.sqlite) or a postgres:// URL`);
  }
  if (!found && options.readonly) throw new HistoryDbError(`cannot open the history database ${path}: no such file`);
  // A reader the file's mode shuts out (another user's database, mode 0600): libsql says only
  // "Unable to open connection ...: 14", which the hint below took for a directory or a writer's
  // problem. Said plainly, before libsql is asked.
  if (found && options.readonly) {
    try {
      accessSync(path, constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') {
        throw new HistoryDbError(`cannot open the history database ${path}: permission denied (${code}): this user may not read it`, { cause: error });
      }
    }
  }
  let db: LibsqlDatabase;
  try {
    if (options.readonly) {
      db = new Database(path, { readonly: true });
      db.exec('PRAGMA busy_timeout = 30000');
    } else {
      db = new Database(path);
      db.exec('PRAGMA busy_timeout = 30000');
      // A new file's pages are 16 KiB, not 4 KiB: a snapshot inserts its followers at random
      // places of two B-trees (the uids are random), and bigger pages mean fewer of them to split,
      // find and log. 100,000 followers: ~15% less CPU in their inserts, a 15% smaller file, and
      // `--db` 0.4-0.5 s faster (BENCHMARKS.md, thirteenth session). Only a new, empty file takes it
      // (SQLite changes an existing file's page size only by a VACUUM): an older one keeps its own.
      db.exec(`PRAGMA page_size = ${PAGE_SIZE}`);
      intoWal(db);
      db.exec('PRAGMA synchronous = NORMAL');
      // 64 MiB of page cache: a snapshot upserts ~100,000 rows of a large table in one transaction.
      db.exec('PRAGMA cache_size = -65536');
      if (options.foreignKeys === false) db.exec('PRAGMA foreign_keys = OFF');
    }
  } catch (error) {
    throw new HistoryDbError(`cannot open the history database ${path}: ${describeSqliteError(error, options.readonly)}`, { cause: error });
  }
  return new SqliteDriver(db, path, Boolean(options.readonly), options.readonly ? undefined : fileIdentity(path));
}

/**
 * How long closing waits for another connection's transaction before it leaves the WAL as it is
 * (consistent; the next close puts it into the file): a COMMIT of another tkf's snapshot takes
 * well under a second.
 */
const CLOSE_WAIT_MS = 2_000;

/** The connections this thread has open and may write through (closeSqliteAtOnce). */
const writable = new Set<SqliteDriver>();

/**
 * For a process that quits at once (a signal, main.ts): each connection this thread has open for
 * writing is closed now, synchronously, as close() leaves the file: a transaction still open is
 * rolled back, the WAL put into the database file and the file left alone, without -wal and -shm
 * beside it (an interrupted tkf history import left them, up to 25 MB). Never waits for another
 * connection (busy_timeout 0): the file then stays in WAL mode, as consistent.
 */
export function closeSqliteAtOnce(): void {
  for (const driver of writable) driver.closeNow();
}

/**
 * Into WAL mode, as the file was left in rollback mode (close()). Leaving rollback mode needs the
 * file to itself for a moment, which SQLite does not wait for (busy_timeout is not asked): another
 * process opening it at the same time, or closing it into rollback mode, answers "database is
 * locked" at once. So it is tried again for up to the same 30 s, a few ms apart: this runs once,
 * before anything else of the run (a synchronous wait: libsql's API is).
 */
function intoWal(db: LibsqlDatabase): void {
  const deadline = Date.now() + 30_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      // A file system without WAL support answers its old mode, without an error: it stays in it.
      db.exec('PRAGMA journal_mode = WAL');
      return;
    } catch (error) {
      const busy = /SQLITE_BUSY|database is locked/i.test(`${(error as { code?: string }).code ?? ''} ${(error as Error).message}`);
      if (!busy || Date.now() >= deadline) throw error;
      Atomics.wait(pause, 0, 0, Math.min(5 + attempt * 5, 50));
    }
  }
}

/** Which file a path names: its device and inode. */
function fileIdentity(path: string): { dev: number; ino: number } | undefined {
  const found = statSync(path, { throwIfNoEntry: false });
  return found ? { dev: found.dev, ino: found.ino } : undefined;
}

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly queue = new TurnQueue();
  private readonly statements = new Map<string, LibsqlStatement>();
  private readonly runner: SqlRunner;

  constructor(
    private readonly db: LibsqlDatabase,
    readonly label: string,
    private readonly readonly = false,
    /** The file it opened, to tell that it is still the one its path names (stillThere). */
    private readonly identity?: { dev: number; ino: number },
  ) {
    if (!readonly) writable.add(this);
    this.runner = {
      dialect: this.dialect,
      // The values as one array argument: libsql passes it to its binding as it is (as
      // separate arguments it gathers them and copies them again with .flat(): 2,000 a statement).
      all: async <T>(sql: string, params: readonly unknown[] = []) => this.guard(() => this.statement(sql).all(params.map(bindable)) as T[]),
      run: async (sql: string, params: readonly unknown[] = []) => {
        this.guard(() => this.statement(sql).run(params.map(bindable)));
      },
    };
  }

  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.queue.run(() => this.runner.all<T>(sql, params));
  }

  run(sql: string, params?: readonly unknown[]): Promise<void> {
    return this.queue.run(() => this.runner.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      this.stillThere();
      this.guard(() => this.db.exec('BEGIN IMMEDIATE'));
      try {
        const result = await fn(this.runner);
        this.guard(() => this.db.exec('COMMIT'));
        // Committed into a file that was deleted meanwhile is committed nowhere a reader will look.
        this.stillThere();
        return result;
      } catch (error) {
        try {
          this.db.exec('ROLLBACK');
        } catch {
          // SQLite may have rolled back already (a full disk does that); nothing is left to undo.
        }
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.queue.run(async () => this.leave(CLOSE_WAIT_MS));
  }

  /** close() without waiting for its turn: the process is quitting (closeSqliteAtOnce). */
  closeNow(): void {
    try {
      this.db.exec('ROLLBACK');
    } catch {
      // no transaction open
    }
    this.leave(0);
  }

  /** `waitMs`: how long the checkpoint waits for another connection's transaction (busy_timeout). */
  private leave(waitMs: number): void {
    if (!writable.delete(this) && !this.readonly) return; // closed already
    // The WAL's frames into the database file, and the WAL emptied: libsql closes a connection
    // whose statements are still alive (this driver keeps them) only when they are collected,
    // which an exiting process never does, so the last snapshots stayed in `-wal` and a copy
    // of the .sqlite file alone missed them. Not possible (a read-only file, another process
    // reading): the WAL stays, as SQLite keeps it, and the database is as consistent.
    // The checkpoint waits for another connection's transaction up to `waitMs`, not the 30 s a
    // write waits: what this run recorded is committed already, and a process that holds the
    // database (a long import, a sqlite3 shell left in a transaction) made each connection's close
    // wait 30 s more before the run could say so. Then the file alone (see the head of this file),
    // if no other connection is open: at once (a reader, another process's export).
    if (!this.readonly) {
      try {
        this.db.exec(`PRAGMA busy_timeout = ${waitMs}`);
        this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        this.db.exec('PRAGMA busy_timeout = 0');
        this.db.exec('PRAGMA journal_mode = DELETE');
      } catch {
        // as above
      }
    }
    this.db.close();
  }

  private statement(sql: string): LibsqlStatement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * The file this connection writes is still the one its path names. SQLite goes on writing a file
   * that was deleted (or replaced: a restored backup, a cleanup script's rm) into its unlinked
   * inode, and every snapshot recorded after it is lost when the run ends, with exit 0 (tried: rm
   * history.sqlite during a batch, 6 of 6 "complete", none recorded). So each transaction checks
   * first and after its COMMIT, a stat each: down, with SQLite's own code for it, so a batch stops.
   */
  private stillThere(): void {
    if (!this.identity) return;
    const now = statSync(this.label, { throwIfNoEntry: false });
    if (now && now.dev === this.identity.dev && now.ino === this.identity.ino) return;
    throw new HistoryDbError(
      now
        ? `the history database ${this.label} was replaced by another file while tkf was writing it: what this run recorded went with the old file`
        : `the history database ${this.label} was deleted or moved while tkf was writing it: what this run recorded went with that file`,
      { cause: Object.assign(new Error('the database file was moved'), { code: 'SQLITE_READONLY_DBMOVED' }), down: true },
    );
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw new HistoryDbError(`the history database ${this.label}: ${describeSqliteError(error)}`, { cause: error });
    }
  }
}

/** libsql has no booleans or undefined: 0/1 and NULL. */
function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/** `reading`: opened by a command that only reads, which needs no directory it may write. */
function describeSqliteError(error: unknown, reading = false): string {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  if (code === 'SQLITE_READONLY' || /readonly/i.test(message)) return `it is read-only (${message})`;
  if (code === 'SQLITE_FULL' || /disk is full|database or disk is full/i.test(message)) return `the disk is full (${message})`;
  // libsql's text here is "ConnectionFailed(\"Unable to open connection to local database <path>: 14\")"
  // (14: SQLITE_CANTOPEN), which says nothing more: left out.
  if (code === 'SQLITE_CANTOPEN' || /unable to open/i.test(message)) {
    return reading ? 'it cannot be opened for reading (is it a SQLite file this user may read?)' : 'it cannot be opened: does its directory exist, and may tkf write there?';
  }
  return message;
}
