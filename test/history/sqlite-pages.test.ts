import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open-history.js';
import { recordSnapshot } from '../../src/history/record-snapshot.js';
import { PAGE_SIZE } from '../../src/history/sqlite-driver.js';
import { useTempDir } from '../helpers/temp-dir.js';

const dir = useTempDir('tkf-history-pages-');
const Database = createRequire(import.meta.url)('libsql') as new (path: string) => { exec(sql: string): void; prepare(sql: string): { get(): Record<string, unknown> }; close(): void };

const pageSize = async (path: string) => {
  const history = await openHistory(path);
  try {
    return Number((await history.all<{ page_size: number }>('PRAGMA page_size'))[0]!.page_size);
  } finally {
    await history.close();
  }
};

describe('the SQLite file tkf creates', () => {
  it('has 16 KiB pages (fewer B-tree pages for a snapshot to insert into)', async () => {
    expect(PAGE_SIZE).toBe(16_384);
    expect(await pageSize(join(dir.path, 'new.sqlite'))).toBe(16_384);
  });

  it('an existing file keeps its page size, and is migrated and written as before', async () => {
    const path = join(dir.path, 'old.sqlite');
    const old = new Database(path);
    old.exec('PRAGMA page_size = 4096');
    // The file is made, with 4 KiB pages, as a tkf of before 16 KiB pages made it (its tkf_meta
    // first; another program's tables would be refused: sqlite-faults.test.ts).
    old.exec('CREATE TABLE tkf_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    old.close();
    const history = await openHistory(path);
    try {
      const rows = ['7000000000000000001', '7000000000000000002'].map((uid) => ({ uid, uniqueId: `u${uid}`, nickname: null, data: `{"uid":"${uid}"}` }));
      async function* followers() {
        yield* rows;
      }
      const input = { account: '6754915036232582149', takenAt: '2026-12-03T06:00:00.000Z', end: 'complete', onProfile: 2, requests: 1, source: null } as const;
      expect(await recordSnapshot(history, input, followers)).toMatchObject({ recorded: true, served: 2 });
      expect(await history.all('SELECT COUNT(*) AS n FROM followers')).toEqual([{ n: 2 }]);
    } finally {
      await history.close();
    }
    expect(await pageSize(path)).toBe(4096);
    const check = new Database(path);
    try {
      expect(check.prepare('PRAGMA integrity_check').get()).toMatchObject({ integrity_check: 'ok' });
    } finally {
      check.close();
    }
  });
});
