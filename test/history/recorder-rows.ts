/**
 * What the recording tests (page-recorder*.test.ts, record-worker.test.ts) hand a PageRecorder,
 * made of an export's JSONL lines, and how they read a history database back.
 */
import { openHistory } from '../../src/history/open-history.js';
import type { PageRows } from '../../src/history/page-recorder.js';
import type { SqlDriver } from '../../src/history/sql-driver.js';

/**
 * Lines [from, to) of an export as a walk's feed hands them over (PageRows, each follower's text
 * whole). With `nickname`, each follower's nickname is replaced by it, so that a test can tell a
 * row stored from the pages from one read from the file.
 */
export function pageRowsOf(lines: readonly string[], from = 0, to = lines.length, nickname?: string): PageRows {
  const slice = lines.slice(from, to);
  const texts = nickname === undefined ? slice : slice.map((line) => JSON.stringify({ ...(JSON.parse(line) as object), nickname }));
  const uids = slice.map((line) => (JSON.parse(line) as { uid: string }).uid);
  let end = 0;
  return { uids, bytes: Buffer.from(texts.join('')), ends: texts.map((text) => (end += Buffer.byteLength(text))) };
}

/** The rows one statement reads from the history database at `path`, over a connection of its own. */
export async function historyRows(path: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const db = await openHistory(path);
  try {
    return await db.all(sql);
  } finally {
    await db.close();
  }
}

/** `db` with the statements of its transactions shown to `watch` first (which may throw, as a failing statement). */
export function watched(db: SqlDriver, watch: { run?: (sql: string, params?: readonly unknown[]) => void; all?: (sql: string) => void }): SqlDriver {
  return {
    dialect: db.dialect,
    label: db.label,
    all: (sql, params) => db.all(sql, params),
    run: (sql, params) => db.run(sql, params),
    close: () => db.close(),
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({
          dialect: tx.dialect,
          all: async (sql, params) => {
            watch.all?.(sql);
            return tx.all(sql, params);
          },
          run: async (sql, params) => {
            watch.run?.(sql, params);
            return tx.run(sql, params);
          },
        }),
      ),
  };
}
