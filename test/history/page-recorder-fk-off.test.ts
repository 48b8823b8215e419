/**
 * The PageRecorder's failure paths on a connection opened as the recording thread opens it
 * (record-worker.ts: openSqlite(path, { foreignKeys: false })), each database held to
 * PRAGMA foreign_key_check. page-recorder.test.ts runs them on openHistory's connection, where
 * libsql's checks are on: there a row without its parent would fail the transaction, and the
 * fallback (the file) would hide it. (Written by a review of 40f1df2: it fails when a decode
 * failure of a walk committed in the same transaction is swallowed instead of thrown.)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open-history.js';
import { PageRecorder, type PageRows } from '../../src/history/page-recorder.js';
import { openSqlite } from '../../src/history/sqlite-driver.js';
import { startSimulator } from '../../src/simulator/index.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useClosers } from '../helpers/closers.js';
import { runCli } from './run-cli.js';
import { historyRows, pageRowsOf } from './recorder-rows.js';

const TOKEN = 'tkn-PAGES-z8x7c6';
const UID = '6754915036232582149';
const dir = useTempDir('tkf-recorder-fk-off-');
const closeLater = useClosers();

async function exportAndPages() {
  const sim = await startSimulator({ token: TOKEN, users: { [UID]: { size: 30 } } });
  closeLater(() => sim.close());
  const file = join(dir.path, 'f.jsonl');
  expect((await runCli(['export', '--uid', UID, '--out', file], { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url })).code).toBe(0);
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  const page = (from: number, to: number): PageRows => pageRowsOf(lines, from, to, 'from a page');
  return { file, page };
}

/** A migrated database, and the recording thread's connection to it (libsql's foreign-key checks off). */
async function threadDb(name: string) {
  const path = join(dir.path, name);
  await (await openHistory(path)).close();
  return { path, db: openSqlite(path, { foreignKeys: false }) };
}

const orphans = (path: string) => historyRows(path, 'PRAGMA foreign_key_check');

describe('PageRecorder with foreign-key checks off, as in the recording thread', () => {
  it('a chunk that cannot be decoded, its walk committed with it or later: no row without its parent', async () => {
    const { file, page } = await exportAndPages();
    for (const name of ['together', 'later'] as const) {
      const { path, db } = await threadDb(`undecodable-${name}.sqlite`);
      const recorder = new PageRecorder(db);
      const bad = page(20, 30);
      const cut: PageRows = { ...bad, bytes: bad.bytes.subarray(0, bad.bytes.length - 5), ends: [...bad.ends.slice(0, -1), bad.bytes.length - 5] };
      recorder.page(1, page(0, 20), UID);
      recorder.page(1, cut, UID);
      if (name === 'later') await recorder.flush();
      expect(await recorder.commit(1, file, undefined)).toMatchObject({ recorded: true, served: 30, added: 30 });
      await recorder.close();
      expect(await orphans(path)).toEqual([]);
    }
  });

  it('a walk dropped, a walk resumed, a batch of walks in one transaction: no row without its parent', async () => {
    const { file, page } = await exportAndPages();
    const { path, db } = await threadDb('batch.sqlite');
    const recorder = new PageRecorder(db, { aheadFrom: 10 });
    recorder.page(1, page(0, 30), UID);
    recorder.page(2, page(0, 20), UID);
    recorder.drop(2);
    recorder.page(3, page(10, 30), UID); // resumed: not the whole file
    const outcomes = await Promise.all([recorder.commit(1, file, undefined), recorder.commit(3, file, undefined), recorder.commit(undefined, file, 5)]);
    expect(outcomes[0]).toMatchObject({ recorded: true });
    await recorder.close();
    expect(await orphans(path)).toEqual([]);
  });
});
