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

  it('takes a list that ended above half but well below the profile for no end: beyond reach, then first seen', async () => {
    const db = join(dir.path, 'early.sqlite');
    const day1 = join(dir.path, 'e1.jsonl');
    const day2 = join(dir.path, 'e2.jsonl');
    const day3 = join(dir.path, 'e3.jsonl');
    expect((await exportOnce({ size: 300 }, db, day1)).code).toBe(0);
    // The API ends the list after 8 pages: 160 of 300, above half (exit 0), 47% missing.
    const early = await exportOnce({ size: 300, endsAfterPage: 8 }, db, day2);
    expect(early.code, early.stderr).toBe(0);
    expect(early.stderr).toContain("exported 160 of 300 followers: the list ended there, too far below the profile's count to be the whole list: tkf diff and the history do not call followers missing below it gone;");
    // The whole list again the night after: the 140 were there all along.
    expect((await exportOnce({ size: 300 }, db, day3)).code).toBe(0);
    const growth = JSON.parse((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout) as Array<Record<string, number>>;
    expect(growth.map(({ served, added, removed, beyond_reach, followers }) => ({ served, added, removed, beyond_reach, followers }))).toEqual([
      { served: 300, added: 300, removed: 0, beyond_reach: 0, followers: 300 },
      { served: 160, added: 0, removed: 0, beyond_reach: 140, followers: 300 },
      { served: 300, added: 0, removed: 0, beyond_reach: 0, followers: 300 },
    ]);

    // The same three files imported, and compared by tkf diff: the same verdicts.
    const imported = await runCli(['history', 'import', '--db', join(dir.path, 'early-import.sqlite'), day1, day2, day3]);
    expect(imported.code, imported.stderr).toBe(0);
    const importedGrowth = JSON.parse((await runCli(['history', 'growth', '--db', join(dir.path, 'early-import.sqlite'), '--uid', UID, '--json'])).stdout) as Array<Record<string, number>>;
    expect(importedGrowth.map(({ removed, beyond_reach }) => [removed, beyond_reach])).toEqual([[0, 0], [0, 140], [0, 0]]);
    const gone = await runCli(['diff', day1, day2, '--json']);
    expect(JSON.parse(gone.stdout)).toMatchObject({ added: 0, removed: 0, beyond_reach: 140 });
    expect(gone.stderr).toContain(`tkf: warning: ${day2}'s list ended at 160 of the 300 followers its profile counts: too few to prove that followers missing below its end are gone\n`);
    const back = await runCli(['diff', day2, day3, '--json']);
    expect(JSON.parse(back.stdout)).toMatchObject({ added: 0, first_seen: 140, removed: 0 });
  });

  it('still takes a list that ended a few followers short of the profile (banned accounts) for the whole list', async () => {
    const db = join(dir.path, 'few.sqlite');
    const day1 = join(dir.path, 'f1.jsonl');
    const day2 = join(dir.path, 'f2.jsonl');
    expect((await exportOnce({ size: 300 }, db, day1)).code).toBe(0);
    // 280 of 300: a page short, the end of the list (reach.test.ts holds the bounds).
    const run = await exportOnce({ size: 300, endsAfterPage: 14 }, db, day2);
    expect([run.code, JSON.parse(run.stdout).rows]).toEqual([0, 280]);
    expect(run.stderr).toContain('exported 280 of 300 followers: the list ended there (banned and deleted accounts are not listed);');
    const growth = JSON.parse((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout) as Array<Record<string, number>>;
    expect(growth.map(({ removed, beyond_reach }) => [removed, beyond_reach])).toEqual([[0, 0], [20, 0]]);
    expect(JSON.parse((await runCli(['diff', day1, day2, '--json'])).stdout)).toMatchObject({ removed: 20, beyond_reach: 0 });
  });
});
