/**
 * `--db <target>`: a PostgreSQL URL (postgres:// or postgresql://) or a SQLite file path.
 * Opening connects, migrates the schema forward and proves the database writable, so a database
 * that cannot be used stops the run before any page is paid for (HistoryDbError, exit 11).
 */
import { HistoryDbError, UsageError } from '../errors.js';
import type { SqlDriver } from './sql-driver.js';
import { SCHEMA_VERSION, foreignDatabase, migrate, newerSchema, otherTables, schemaVersion } from './schema.js';

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** A SQLite history database's files: the database and its journals (none for a PostgreSQL URL). */
export function sqliteFiles(target: string | undefined): string[] {
  return target === undefined || isPostgresUrl(target) ? [] : ['', '-wal', '-shm', '-journal'].map((end) => `${target}${end}`);
}

/** A URL of another database (mysql://, sqlite://): said, not taken for a file path. */
function refuseOtherUrl(target: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(target)?.[1];
  if (scheme !== undefined && !isPostgresUrl(target)) {
    throw new UsageError(`the history database (--db, TKF_DB or the config file's "db") is a SQLite file (history.sqlite) or a postgres:// URL, not a ${scheme}:// URL`);
  }
}

export async function openHistory(target: string, options: { migrate?: boolean; readonly?: boolean } = {}): Promise<SqlDriver> {
  refuseOtherUrl(target);
  if (options.migrate !== false && !options.readonly && !isPostgresUrl(target)) await refuseUnlikeSqlite(target);
  const driver = isPostgresUrl(target)
    ? await (await import('./postgres-driver.js')).openPostgres(target)
    : (await import('./sqlite-driver.js')).openSqlite(target, { readonly: options.readonly });
  if (options.migrate === false) return driver;
  try {
    await migrate(driver);
  } catch (error) {
    await driver.close().catch(() => {});
    throw error;
  }
  return driver;
}

/**
 * A SQLite file that is another program's, or a newer tkf's, refused before it is opened to
 * write: opening it so (into WAL mode, and back on close) changed its header, its change counter
 * and its time, though migrate() then refused it. Looked at read-only; a file that cannot be read
 * so (a journal to recover first) is left to the writable open, which says what is wrong.
 */
async function refuseUnlikeSqlite(target: string): Promise<void> {
  const { statSync } = await import('node:fs');
  let found;
  try {
    found = statSync(target, { throwIfNoEntry: false });
  } catch {
    return; // ENOTDIR, EACCES: the writable open says why
  }
  if (!found?.isFile() || found.size === 0) return;
  let driver: SqlDriver;
  try {
    driver = (await import('./sqlite-driver.js')).openSqlite(target, { readonly: true });
  } catch {
    return;
  }
  try {
    let version: number;
    let foreign: string[];
    try {
      version = await storedVersion(driver);
      foreign = version === 0 ? (await otherTables(driver)).foreign : [];
    } catch {
      return; // not a database, or damaged: the writable open says so
    }
    if (version > SCHEMA_VERSION) throw newerSchema(driver.label, version);
    if (foreign.length) throw foreignDatabase(driver.label, foreign);
  } finally {
    await driver.close().catch(() => {});
  }
}

/** The schema version a database holds, read without writing (0: no tkf_meta, nothing of tkf's). */
async function storedVersion(driver: SqlDriver): Promise<number> {
  const [tables] = await driver.all<{ n: unknown }>(
    driver.dialect === 'postgres'
      ? "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'tkf_meta' AND table_schema = current_schema()"
      : "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'tkf_meta'",
  );
  return Number(tables!.n) ? schemaVersion(driver, driver.label) : 0;
}

/**
 * For the commands that read: a SQLite file that is not there is an error (not a new empty
 * database), and an older schema is migrated forward (which writes) only when it must be.
 */
export async function openHistoryToRead(target: string): Promise<SqlDriver> {
  refuseOtherUrl(target);
  if (!isPostgresUrl(target)) {
    const { existsSync } = await import('node:fs');
    if (!existsSync(target)) throw new HistoryDbError(`no history database at ${target}: record one with tkf export --db ${target} (or tkf history import)`);
  }
  // SQLite: read-only, so a file that cannot be written (a backup, a read-only directory) is read.
  const postgres = isPostgresUrl(target);
  const driver = await openHistory(target, { migrate: false, readonly: !postgres });
  try {
    const version = await storedVersion(driver);
    // Nothing of tkf's in it (an empty file, another program's database, a PostgreSQL URL that
    // names the wrong database): not made one by a read (tkf's tables were made beside another
    // application's, and `tkf history` said "no account recorded yet").
    if (version === 0) {
      const { foreign, count } = postgres ? { foreign: [], count: 0 } : await otherTables(driver);
      if (foreign.length) throw foreignDatabase(target, foreign);
      if (count) {
        throw new HistoryDbError(`${target} holds tables named as tkf's but no tkf schema version (tkf_meta): not used; the history needs a database of its own (a new file)`);
      }
      throw new HistoryDbError(`${target} is not a tkf history database (no tkf schema in it): record one with tkf export --db ${target} (or tkf history import)`);
    }
    // A newer tkf's: refused as migrate() would, without opening it to write.
    if (version > SCHEMA_VERSION) throw newerSchema(driver.label, version);
    if (version !== SCHEMA_VERSION) {
      if (!postgres) {
        // Migrated forward (a write): read-write for that, as tkf export --db would open it.
        await driver.close();
        return await openHistory(target).catch((error: unknown) => {
          // A backup or a read-only directory: why this read wants to write is said first.
          if (!(error instanceof HistoryDbError)) throw error;
          throw new HistoryDbError(
            `${target} was written by an older tkf (schema version ${version}; this tkf reads ${SCHEMA_VERSION}) and is upgraded once, which writes to it: ${error.message.replace(/^(cannot open )?the history database \S+: /, '')}; upgrade a copy where it can be written (any tkf history command does)`,
            { cause: error },
          );
        });
      }
      await migrate(driver);
    }
  } catch (error) {
    await driver.close().catch(() => {});
    throw error;
  }
  return driver;
}
