/**
 * A process that quits at once on a signal (main.ts quitAtOnce: `tkf history import` interrupted)
 * closes its SQLite connections first (closeSqliteAtOnce): the transaction still open is rolled
 * back and the file left alone, as a finished run leaves it, without -wal and -shm beside it (an
 * interrupted import left up to 25 MB of WAL). The moment is the test's own: the transaction is
 * held open on a promise, not raced against a clock.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open-history.js';
import { closeSqliteAtOnce } from '../../src/history/sqlite-driver.js';
import { useTempDir } from '../helpers/temp-dir.js';

const dir = useTempDir('tkf-history-close-');

describe('closeSqliteAtOnce', () => {
  it('rolls back the open transaction and leaves the file alone, without -wal and -shm', async () => {
    const path = join(dir.path, 'h.sqlite');
    const db = await openHistory(path);
    await db.run("INSERT INTO accounts (uid, first_snapshot_at, last_snapshot_at) VALUES ('1', 'a', 'a')");
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inside!: () => void;
    const begun = new Promise<void>((resolve) => (inside = resolve));
    const open = db.transaction(async (tx) => {
      for (let i = 2; i < 2000; i++) await tx.run('INSERT INTO accounts (uid, first_snapshot_at, last_snapshot_at) VALUES (?, ?, ?)', [String(i), 'b'.repeat(200), 'b']);
      inside();
      await held;
    });
    open.catch(() => {});
    await begun;
    expect(existsSync(`${path}-wal`)).toBe(true);
    closeSqliteAtOnce();
    expect([existsSync(`${path}-wal`), existsSync(`${path}-shm`)]).toEqual([false, false]);
    release();
    await open.catch(() => {});
    const again = await openHistory(path, { readonly: true });
    try {
      expect(await again.all('SELECT uid FROM accounts')).toEqual([{ uid: '1' }]);
      expect(await again.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    } finally {
      await again.close();
    }
  });
});
