/**
 * Closing a SQLite history connection while another process holds the database (a long `tkf
 * history import`, a sqlite3 shell left in a transaction): what the run recorded is committed
 * already, so the close's checkpoint waits for the other transaction briefly (CLOSE_WAIT_MS, 2 s)
 * and leaves the WAL as it is, instead of the 30 s a write waits. A run that could not record
 * (exit 11) waited 30 s more per connection before it could say so.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open-history.js';
import { useTempDir } from '../helpers/temp-dir.js';

interface Libsql {
  exec(sql: string): void;
  close(): void;
}
const Database = createRequire(import.meta.url)('libsql') as new (path: string) => Libsql;

const dir = useTempDir('tkf-history-close-');

describe('closing beside another transaction', () => {
  it('waits about 2 s, not busy_timeout (30 s), and leaves the WAL, with what was committed in it', async () => {
    const path = join(dir.path, 'h.sqlite');
    const db = await openHistory(path);
    await db.transaction(async (tx) => tx.run("INSERT INTO tkf_meta (key, value) VALUES ('test', 'committed')"));
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      const started = performance.now();
      await db.close();
      // 2 s expected; the bound is far from both it and the 30 s it was (a busy machine's margin).
      expect(performance.now() - started).toBeLessThan(15_000);
      expect(existsSync(`${path}-wal`)).toBe(true);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const again = await openHistory(path, { readonly: true });
    try {
      expect(await again.all("SELECT value FROM tkf_meta WHERE key = 'test'")).toEqual([{ value: 'committed' }]);
    } finally {
      await again.close();
    }
  });
});
