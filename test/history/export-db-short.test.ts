/**
 * A list that ended far short of what the API reports (exit 10) keeps its file but is no
 * snapshot: its end (has_more false) would otherwise prove every missing follower gone.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator, type UserScenario } from '../../src/simulator/index.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useClosers } from '../helpers/closers.js';
import { runCli } from './run-cli.js';

const TOKEN = 'tkn-short-db';
const UID = '6754915036232582149';
const dir = useTempDir('tkf-history-short-');
const closeLater = useClosers();

async function exportOnce(user: UserScenario, db: string, out: string) {
  const sim = await startSimulator({ token: TOKEN, users: { [UID]: user } });
  closeLater(() => sim.close());
  return runCli(['export', '--uid', UID, '--out', out, '--db', db, '--json', '--backoff', '10'], { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url });
}

describe('tkf export --db and a list that ended far short', () => {
  it('is exit 10 with its file kept, and makes nobody gone', async () => {
    const db = join(dir.path, 'h.sqlite');
    const full = await exportOnce({ size: 300 }, db, join(dir.path, 'day1.jsonl'));
    expect(full.code, full.stderr).toBe(0);
    // The next day the API ends the list after 3 pages (60 of 300), twice.
    const short = await exportOnce({ size: 300, endsAfterPage: 3 }, db, join(dir.path, 'day2.jsonl'));
    expect(short.code).toBe(10);
    expect(JSON.parse(short.stdout)).toMatchObject({ short: true, rows: 60, file: join(dir.path, 'day2.jsonl') });
    // Said, not only left out of --json's history.
    expect(short.stderr).toContain('the file is kept and not recorded in the history (a list this short would call every follower below its end gone);');
    const growth = JSON.parse((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout) as Array<{ removed: number }>;
    expect(growth).toHaveLength(1);
    expect(growth[0]).toMatchObject({ followers: 300, removed: 0 });

    // Its manifest says `end: complete` beside `short`: neither history import nor tkf diff takes
    // that end as the end of the list (they called 240 followers gone).
    const day1 = join(dir.path, 'day1.jsonl');
    const day2 = join(dir.path, 'day2.jsonl');
    const imported = await runCli(['history', 'import', '--db', join(dir.path, 'i.sqlite'), day1, day2]);
    expect(imported.code).toBe(10);
    expect(imported.stderr).toContain(`${day2}: not imported: ${day2} ended far short of the list (60 of the 300 followers the API should serve): not recorded as a snapshot, which would call every follower below its end gone`);
    const diff = await runCli(['diff', day1, day2]);
    expect([diff.code, diff.stderr]).toEqual([
      0,
      `tkf: warning: ${day2} ended far short of the list (60 of the 300 the API should serve): followers missing below its end are not called gone\n` +
        '0 new, 0 gone, 240 below where the newer export ended short (300 -> 60)\n',
    ]);
  });
});
