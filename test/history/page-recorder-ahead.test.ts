/**
 * An account's followers read ahead during a walk (page-recorder.ts page) are not used once another
 * snapshot of the account came in: two walks of one account, the later one read ahead before the
 * earlier one is recorded, make the database that importing the two files in order makes.
 * (Written by a review of 52d201e: it fails without the KnownAhead.after check.)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open-history.js';
import { PageRecorder } from '../../src/history/page-recorder.js';
import { recordExportFile } from '../../src/history/record-export.js';
import { openSqlite } from '../../src/history/sqlite-driver.js';
import { startSimulator, type UserScenario } from '../../src/simulator/index.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useClosers } from '../helpers/closers.js';
import { runCli } from './run-cli.js';
import { pageRowsOf } from './recorder-rows.js';

const TOKEN = 'tkn-PAGES-z8x7c6';
const UID = '6754915036232582149';
const dir = useTempDir('tkf-recorder-ahead-');
const closeLater = useClosers();

async function exportFile(name: string, scenario: UserScenario) {
  const sim = await startSimulator({ token: TOKEN, users: { [UID]: scenario } });
  closeLater(() => sim.close());
  const file = join(dir.path, name);
  expect((await runCli(['export', '--uid', UID, '--out', file], { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url })).code).toBe(0);
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  return { file, rows: pageRowsOf(lines) };
}

async function dump(path: string) {
  const db = await openHistory(path);
  try {
    return {
      snapshots: await db.all('SELECT taken_at, walk_end, served, added, removed, beyond_reach FROM snapshots ORDER BY taken_at'),
      af: await db.all('SELECT follower_uid, gone_at IS NULL AS f, position FROM account_followers ORDER BY follower_uid'),
      changes: await db.all('SELECT follower_uid, change FROM changes ORDER BY follower_uid, change'),
      orphans: await db.all('PRAGMA foreign_key_check'),
    };
  } finally {
    await db.close();
  }
}

describe('the followers read ahead during a walk', () => {
  it('two walks of one account: the later walk read ahead before the earlier one was recorded', async () => {
    const one = await exportFile('one.jsonl', { size: 40 });
    // (Two exports of the same account take more than a millisecond apart: their manifests' times differ.)
    const two = await exportFile('two.jsonl', { size: 40, unfollowed: [5, 17] });
    for (const together of [false, true]) {
      const path = join(dir.path, `rec-${together}.sqlite`);
      await (await openHistory(path)).close();
      const recorder = new PageRecorder(openSqlite(path, { foreignKeys: false }), { aheadFrom: 10 });
      recorder.page(2, two.rows, UID); // read ahead at once: the history is empty then
      await recorder.flush();
      recorder.page(1, one.rows, UID);
      if (together) {
        const [a, b] = await Promise.all([recorder.commit(1, one.file, undefined), recorder.commit(2, two.file, undefined)]);
        expect(a).toMatchObject({ recorded: true });
        expect(b).toMatchObject({ recorded: true });
      } else {
        expect(await recorder.commit(1, one.file, undefined)).toMatchObject({ recorded: true });
        expect(await recorder.commit(2, two.file, undefined)).toMatchObject({ recorded: true });
      }
      await recorder.close();
      const importedPath = join(dir.path, `imp-${together}.sqlite`);
      const imported = await openHistory(importedPath);
      await recordExportFile(imported, one.file);
      await recordExportFile(imported, two.file);
      await imported.close();
      const recorded = await dump(path);
      expect(recorded.orphans).toEqual([]);
      expect((recorded.snapshots[1] as { removed: number }).removed).toBe(2);
      expect(recorded).toEqual(await dump(importedPath));
    }
  });
});
