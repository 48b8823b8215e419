/**
 * The history database's tables (README "History" documents each column). Versioned: the
 * version lives in tkf_meta; opening runs every migration above it, in one transaction, and a
 * database whose version is above this tkf's is refused (an older tkf would misread it).
 *
 * Times are TEXT in ISO 8601 UTC (2026-12-02T06:00:00.000Z) in both databases, so the same
 * query compares them the same way in sqlite3 and psql. Flags are INTEGER 0/1.
 */
import { HistoryDbError } from '../errors.js';
import { exportColumns, isApiObject } from './follower-columns.js';
import type { Dialect, SqlDriver, SqlRunner } from './sql-driver.js';

export const SCHEMA_VERSION = 5;

/** A migration's statements, or a step that reads and rewrites rows itself. */
type Migration = (dialect: Dialect) => string[] | ((tx: SqlRunner) => Promise<void>);

/** Each migration takes the schema from version i to i + 1. */
const MIGRATIONS: ReadonlyArray<Migration> = [
  (dialect) => [
    `CREATE TABLE accounts (
      uid TEXT PRIMARY KEY,
      first_snapshot_at TEXT NOT NULL,
      last_snapshot_at TEXT NOT NULL
    )`,
    `CREATE TABLE snapshots (
      id ${dialect === 'postgres' ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY'},
      account_uid TEXT NOT NULL REFERENCES accounts (uid),
      taken_at TEXT NOT NULL,
      walk_end TEXT NOT NULL,
      sees_losses INTEGER NOT NULL,
      on_profile BIGINT,
      served INTEGER NOT NULL,
      requests INTEGER,
      added INTEGER NOT NULL DEFAULT 0,
      removed INTEGER NOT NULL DEFAULT 0,
      beyond_reach INTEGER NOT NULL DEFAULT 0,
      source TEXT,
      UNIQUE (account_uid, taken_at)
    )`,
    `CREATE TABLE followers (
      uid TEXT PRIMARY KEY,
      unique_id TEXT,
      nickname TEXT,
      data TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`,
    `CREATE TABLE account_followers (
      account_uid TEXT NOT NULL REFERENCES accounts (uid),
      follower_uid TEXT NOT NULL REFERENCES followers (uid),
      first_seen_at TEXT NOT NULL,
      last_seen_at TEXT NOT NULL,
      gone_at TEXT,
      position INTEGER,
      PRIMARY KEY (account_uid, follower_uid)
    )`,
    `CREATE TABLE changes (
      snapshot_id BIGINT NOT NULL REFERENCES snapshots (id),
      account_uid TEXT NOT NULL,
      follower_uid TEXT NOT NULL,
      change TEXT NOT NULL,
      at TEXT NOT NULL,
      PRIMARY KEY (snapshot_id, follower_uid)
    )`,
    'CREATE INDEX changes_by_account ON changes (account_uid, at)',
    'CREATE INDEX account_followers_by_follower ON account_followers (follower_uid)',
  ],
  // 2: followers.data holds the export's columns, not the API's whole object (follower-columns.ts);
  // an account's first full snapshot (its baseline) has no `added` rows in changes (record-snapshot.ts);
  // account_followers has no index by follower: its uids are random, so each row recorded wrote a
  // page of it of its own (half of what a small account's COMMIT wrote to the WAL), and no command
  // of tkf reads by follower (the README's overlap query runs without it: SQLite builds an
  // automatic index for the join, PostgreSQL hashes it).
  () => async (tx) => {
    await tx.run('DROP INDEX IF EXISTS account_followers_by_follower');
    await shrinkFollowerData(tx);
    await tx.run(
      `DELETE FROM changes WHERE change = 'added' AND snapshot_id IN (
         SELECT s.id FROM snapshots s JOIN accounts a ON a.uid = s.account_uid AND s.taken_at = a.first_snapshot_at WHERE s.walk_end <> 'update')`,
    );
  },
  // 3: snapshots.holes: where the walk stepped past the rest of a tied second (JSON [[from, to]]
  // in its order, the manifest's incompleteAt), so that the next walk calls the followers it
  // finds there first seen, not added (reach.ts unreadByOlder). NULL for earlier snapshots.
  () => (tx) => addTextColumn(tx, 'snapshots', 'holes'),
  // 4: account_followers.held_at: when a walk stepped past a follower it did not read in a tied
  // second (record-snapshot.ts): its position is then that walk's, where the second's unread rest
  // stands, not the last walk's that saw it (placed below every follower walked since, a later
  // walk that found the followers below it called it gone). NULL: never so.
  () => (tx) => addTextColumn(tx, 'account_followers', 'held_at'),
  // 5: followers.source_hash: a hash of the API's bytes a row's data was made from, when tkf
  // export --db into SQLite made it from a walk's pages (page-recorder.ts): a next walk whose bytes
  // for the follower hash the same neither rebuilds nor rewrites the row. NULL: not known (a file
  // read, a row from before), and whenever data is written without one.
  () => (tx) => addColumn(tx, 'followers', 'source_hash', 'BIGINT'),
];

/** A TEXT column added to a table where it is not (a version edited back by hand keeps its tables as they are). */
function addTextColumn(tx: SqlRunner, table: string, column: string): Promise<void> {
  return addColumn(tx, table, column, 'TEXT');
}

/** A column added to a table where it is not. */
async function addColumn(tx: SqlRunner, table: string, column: string, type: 'TEXT' | 'BIGINT'): Promise<void> {
  const [{ n }] = (await tx.all<{ n: unknown }>(
    tx.dialect === 'postgres'
      ? 'SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?'
      : 'SELECT COUNT(*) AS n FROM pragma_table_info(?) WHERE name = ?',
    [table, column],
  )) as [{ n: unknown }];
  if (!Number(n)) await tx.run(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}

/** Version 1 -> 2: each follower row that kept the API's object keeps its export columns instead. */
async function shrinkFollowerData(tx: SqlRunner): Promise<void> {
  let after = '';
  for (;;) {
    const rows = await tx.all<{ uid: string; data: string }>('SELECT uid, data FROM followers WHERE uid > ? ORDER BY uid LIMIT 500', [after]);
    if (!rows.length) return;
    for (const { uid, data } of rows) {
      let object: unknown;
      try {
        object = JSON.parse(data);
      } catch {
        continue; // not written by tkf: left as it is
      }
      if (object && typeof object === 'object' && !Array.isArray(object) && isApiObject(object as Record<string, unknown>)) {
        await tx.run('UPDATE followers SET data = ? WHERE uid = ?', [JSON.stringify(exportColumns(object as Record<string, unknown>)), uid]);
      }
    }
    after = rows[rows.length - 1]!.uid;
  }
}

/** Brings the schema to SCHEMA_VERSION; refuses a newer one. Safe when processes race to it. */
export async function migrate(driver: SqlDriver): Promise<void> {
  await driver.transaction(async (tx) => {
    // Two shards opening a new PostgreSQL database at once: the second waits here, then finds
    // the tables made. (SQLite's BEGIN IMMEDIATE already lets one writer in at a time.)
    if (driver.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(16016)');
    await tx.run('CREATE TABLE IF NOT EXISTS tkf_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const version = await schemaVersion(tx, driver.label);
    if (version > SCHEMA_VERSION) throw newerSchema(driver.label, version);
    // A SQLite file of another program's (tables of its own, no tkf schema) is not made a history
    // database too: tkf's six tables were added beside its own. (A PostgreSQL database may be
    // shared with other schemas' tables; its names are checked below.)
    if (version === 0 && driver.dialect === 'sqlite') {
      const { foreign } = await otherTables(tx);
      if (foreign.length) throw foreignDatabase(driver.label, foreign);
    }
    try {
      for (let v = version; v < SCHEMA_VERSION; v++) {
        const step = MIGRATIONS[v]!(driver.dialect);
        if (typeof step === 'function') await step(tx);
        else for (const statement of step) await tx.run(statement);
      }
    } catch (error) {
      // A database with tables of its own by these names (another program's, or tkf's with its
      // tkf_meta dropped): said as such, not as the bare "table accounts already exists".
      if (version === 0 && /already exists/i.test((error as Error).message)) {
        throw new HistoryDbError(
          `cannot make tkf's history tables in ${driver.label}: ${(error as Error).message.replace(/^the history database \S+: /, '')}, and it has no tkf schema version (tkf_meta); the history needs a database of its own (a new file), or in PostgreSQL a schema where no table has the name of one of tkf's`,
          { cause: error },
        );
      }
      throw error;
    }
    // Also the write check: a database that cannot be written fails here, before any request.
    await tx.run(
      'INSERT INTO tkf_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ['schema_version', String(Math.max(version, SCHEMA_VERSION))],
    );
  });
}

/** tkf's tables (the first migration's). */
const TKF_TABLES = ['tkf_meta', 'accounts', 'snapshots', 'followers', 'account_followers', 'changes'];

/**
 * The tables of a SQLite file without a tkf schema (tkf_meta left out): `foreign`, a few of
 * another program's, none when it holds one of tkf's own (tkf's tables with tkf_meta dropped:
 * said by the migration itself); `count`, all of them.
 */
export async function otherTables(runner: SqlRunner): Promise<{ foreign: string[]; count: number }> {
  const tables = (await runner.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'tkf_meta'")).map((t) => t.name);
  return { foreign: tables.some((name) => TKF_TABLES.includes(name)) ? [] : tables.slice(0, 3), count: tables.length };
}

/** A SQLite file that holds another program's tables (`tables`, a few of them) and no tkf schema. */
export function foreignDatabase(label: string, tables: readonly string[]): HistoryDbError {
  return new HistoryDbError(
    `${label} is not a tkf history database: it holds other tables (${tables.join(', ')}) and no tkf schema; the history needs a database of its own (a new file)`,
  );
}

/** A database a newer tkf wrote (its schema `version`): refused. */
export function newerSchema(label: string, version: number): HistoryDbError {
  return new HistoryDbError(`the history database ${label} was written by a newer tkf (schema version ${version}; this tkf knows up to ${SCHEMA_VERSION}): upgrade tkf to use it`);
}

export async function schemaVersion(runner: SqlRunner, label: string): Promise<number> {
  const rows = await runner.all<{ value: string }>("SELECT value FROM tkf_meta WHERE key = 'schema_version'");
  if (!rows.length) return 0;
  const value = String(rows[0]!.value);
  // A version that is not a whole number (edited by hand) would skip every migration and be
  // written back as NaN.
  if (!/^\d{1,6}$/.test(value)) throw new HistoryDbError(`the history database ${label} has an unreadable schema version (tkf_meta says ${JSON.stringify(value)}): not used`);
  return Number(value);
}
