/**
 * A first Ctrl-C once every page is fetched stops nothing: the file is finished and published
 * (an .xlsx workbook takes seconds to build, a --db snapshot its transaction), the run ends as it
 * would have, exit 0, and the line says so instead of "stopping after the page in hand" (it had
 * said that, then exited 0 with the whole export). The built CLI (its recording thread). The
 * moment is made by the database, not by the machine's speed: the history file's write lock is
 * held (another connection's transaction) from the walk's first request, so the walk ends and its
 * file is published while the snapshot waits; the signal is sent then, and the lock let go once
 * tkf has said its line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/index.js';
import { startUidGate } from '../helpers/request-gate.js';
import { useClosers } from '../helpers/closers.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { runTkf } from './run-tkf.js';
import { runCli } from '../history/run-cli.js';

interface Libsql {
  exec(sql: string): void;
  close(): void;
}
const Database = createRequire(import.meta.url)('libsql') as new (path: string) => Libsql;

const dir = useTempDir('tkf-interrupt-after-walk-');
const closeLater = useClosers();
const TOKEN = 'tkn-AFTER-WALK';
const UID = '6754915036232582149';

describe('a first signal after the last page', () => {
  // With --out, what is left is that file and its snapshot; without (--db alone, tkf's own
  // staging file, emptied once recorded), the snapshot.
  for (const staged of [false, true]) {
    it(`finishes and publishes the export (exit 0) and says so, not "stopping after the page in hand"${staged ? ' (--db without --out)' : ''}`, async () => {
      const sim = await startSimulator({ token: TOKEN, users: { [UID]: { size: 200 } } });
      closeLater(() => sim.close());
      const db = join(dir.path, `h-${staged}.sqlite`);
      const out = staged ? join(`${db}.staging`, `${UID}.jsonl`) : join(dir.path, 'f.csv');
      let holder: Libsql | undefined;
      const release = () => {
        holder?.exec('ROLLBACK');
        holder?.close();
        holder = undefined;
      };
      closeLater(async () => release());
      // The database is made and migrated before the first request: its write lock is taken then.
      const gate = await startUidGate(sim.url, () => {
        if (!holder) {
          holder = new Database(db);
          holder.exec('PRAGMA busy_timeout = 10000');
          holder.exec('BEGIN IMMEDIATE');
        }
        return undefined;
      });
      closeLater(() => gate.close());
      const line = `tkf: every page is fetched: finishing ${staged ? 'the snapshot' : `${out} and its snapshot`} (press Ctrl-C again to quit at once)`;
      const run = await runTkf(['export', '--uid', UID, ...(staged ? [] : ['--out', out]), '--db', db], {
        env: { TKF_TOKEN: TOKEN, TKF_BASE_URL: gate.url },
        timeoutMs: 60_000,
        onSpawn: (child) => {
          let stderr = '';
          child.stderr!.on('data', (chunk: Buffer) => {
            stderr += chunk.toString();
            if (stderr.includes('tkf: every page is fetched') || stderr.includes('stopping after the page in hand')) release();
          });
          // The walk is over once its file is published; the snapshot is still waiting for the lock.
          const published = setInterval(() => {
            if (!existsSync(out)) return;
            clearInterval(published);
            child.kill('SIGINT');
          }, 10);
          child.once('exit', () => clearInterval(published));
        },
      });
      expect(run.stderr).toContain(`${line}\n`);
      expect(run.stderr).not.toContain('stopping after the page in hand');
      expect(run.code, run.stderr).toBe(0);
      if (!staged) {
        expect(run.stderr).toContain('tkf: exported 200 followers');
        const rows = parseCsv(readFileSync(out), { columns: true, bom: true }) as Array<{ uid: string }>;
        expect(new Set(rows.map((r) => r.uid)).size).toBe(200);
      }
      const growth = JSON.parse((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout) as Array<{ served: number }>;
      expect(growth.map((p) => p.served)).toEqual([200]);
    });
  }
});
