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

async function simulatorFor(user: UserScenario) {
  const sim = await startSimulator({ token: TOKEN, users: { [UID]: user } });
  closeLater(() => sim.close());
  return { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url };
}

async function exportOnce(user: UserScenario, db: string, out: string) {
  return runCli(['export', '--uid', UID, '--out', out, '--db', db, '--json', '--backoff', '10'], await simulatorFor(user));
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

  it('an --update --db of a file whose export ended short is recorded as an update (which calls nobody gone); it failed as an internal error, exit 1, the file updated', async () => {
    const db = join(dir.path, 'u.sqlite');
    const out = join(dir.path, 'u.jsonl');
    expect((await runCli(['export', '--uid', UID, '--out', out, '--backoff', '10'], await simulatorFor({ size: 300, notYetFollowed: 10, endsAfterPage: 3 }))).code).toBe(10);
    const update = await runCli(['export', '--uid', UID, '--out', out, '--update', '--db', db, '--json', '--backoff', '10'], await simulatorFor({ size: 300, endsAfterPage: 3 }));
    expect([update.code, update.stderr, JSON.parse(update.stdout)]).toEqual([0, expect.not.stringContaining('internal error'), expect.objectContaining({ added: 10, rows: 60 })]);
    const growth = JSON.parse((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(growth).toEqual([expect.objectContaining({ end: 'update', added: 60, removed: 0, sees_losses: false })]);
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
    // Said as the history took it, beside the walk before (300 of 300).
    expect(early.stderr).toContain("exported 160 of 300 followers: the list ended there, too far below the profile's count for the history to take it for the end: it calls nobody below it gone;");
    // Without a database, the same list's end is judged with nothing to compare.
    const alone = await runCli(['export', '--uid', UID, '--out', join(dir.path, 'e2-alone.jsonl')], await simulatorFor({ size: 300, endsAfterPage: 8 }));
    expect(alone.stderr).toContain("exported 160 of 300 followers: the list ended there, far below the profile's count: tkf diff and the history take it for the end of the list only beside walks that ended as far below;");
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
    expect(gone.stderr).toContain(`tkf: warning: ${day2}'s list ended at 160 of the 300 followers its profile counts, 140 short where ${day1}'s was 0: too few to prove that followers missing below its end are gone\n`);
    const back = await runCli(['diff', day2, day3, '--json']);
    expect(JSON.parse(back.stdout)).toMatchObject({ added: 0, first_seen: 140, removed: 0 });
  });

  it('judges a list end by how far the walks before fell short: steady (banned accounts) is the end, a jump is not', async () => {
    const db = join(dir.path, 'steady.sqlite');
    const night = (n: number) => join(dir.path, `s${n}.jsonl`);
    // The profile always counts 40 more than the list serves; then the three oldest followers leave
    // (the count drops with them): they are gone, found by the end of the list.
    expect((await exportOnce({ size: 300, total: 340 }, db, night(1))).code).toBe(0);
    const left = await exportOnce({ size: 300, total: 337, unfollowed: [297, 298, 299] }, db, night(2));
    expect([left.code, JSON.parse(left.stdout).rows]).toEqual([0, 297]);
    // The last line says what the history took the end for: the list's, 40 short as the night before.
    expect(left.stderr).toContain('exported 297 of 337 followers: the list ended there (banned and deleted accounts are not listed);');
    // The list ends 20 early (a page) while the count stays: not the end of the list.
    const cut = await exportOnce({ size: 300, total: 337, endsAfterPage: 13 }, db, night(3));
    expect([cut.code, JSON.parse(cut.stdout).rows]).toEqual([0, 260]);
    expect(cut.stderr).toContain("exported 260 of 337 followers: the list ended there, too far below the profile's count for the history to take it for the end: it calls nobody below it gone;");
    const growth = JSON.parse((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout) as Array<Record<string, number>>;
    expect(growth.map(({ removed, beyond_reach, followers }) => [removed, beyond_reach, followers])).toEqual([
      [0, 0, 300],
      [3, 0, 297],
      [0, 37, 297],
    ]);
    const imported = join(dir.path, 'steady-import.sqlite');
    expect((await runCli(['history', 'import', '--db', imported, night(1), night(2), night(3)])).code).toBe(0);
    const importedGrowth = JSON.parse((await runCli(['history', 'growth', '--db', imported, '--uid', UID, '--json'])).stdout) as Array<Record<string, number>>;
    expect(importedGrowth.map(({ removed, beyond_reach }) => [removed, beyond_reach])).toEqual([[0, 0], [3, 0], [0, 37]]);
    expect(JSON.parse((await runCli(['diff', night(1), night(2), '--json'])).stdout)).toMatchObject({ removed: 3, beyond_reach: 0 });
    const diff = await runCli(['diff', night(2), night(3), '--json']);
    expect(JSON.parse(diff.stdout)).toMatchObject({ removed: 0, beyond_reach: 37 });
    expect(diff.stderr).toContain(`tkf: warning: ${night(3)}'s list ended at 260 of the 337 followers its profile counts, 77 short where ${night(2)}'s was 40: too few to prove that followers missing below its end are gone\n`);
  });

  it('a list cut one page short within the slack (1% of 2,000), its profile\'s count unchanged: those below its end are beyond reach, not gone', async () => {
    const db = join(dir.path, 'page.sqlite');
    const night = (n: number) => join(dir.path, `p${n}.jsonl`);
    expect((await exportOnce({ size: 2000 }, db, night(1))).code).toBe(0);
    // The API drops the last page (20 followers), has_more false at 1,980; the count stays 2,000.
    const cut = await exportOnce({ size: 2000, endsAfterPage: 99 }, db, night(2));
    expect([cut.code, JSON.parse(cut.stdout).rows]).toEqual([0, 1980]);
    // Then 20 really leave from the end: the count drops with them, and they are gone.
    const left = await exportOnce({ size: 2000, unfollowed: Array.from({ length: 20 }, (_, k) => 1960 + k) }, db, night(3));
    expect(left.code).toBe(0);
    const growth = JSON.parse((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout) as Array<Record<string, number>>;
    // Night 3 serves 1,980 of 1,980: the 20 of night 2's end are back in it; #1960-#1979 are gone.
    expect(growth.map(({ removed, beyond_reach, followers }) => [removed, beyond_reach, followers])).toEqual([
      [0, 0, 2000],
      [0, 20, 2000],
      [20, 0, 1980],
    ]);
    const imported = join(dir.path, 'page-import.sqlite');
    expect((await runCli(['history', 'import', '--db', imported, night(1), night(2), night(3)])).code).toBe(0);
    const importedGrowth = JSON.parse((await runCli(['history', 'growth', '--db', imported, '--uid', UID, '--json'])).stdout) as Array<Record<string, number>>;
    expect(importedGrowth.map(({ removed, beyond_reach }) => [removed, beyond_reach])).toEqual([[0, 0], [0, 20], [20, 0]]);
    const diff = await runCli(['diff', night(1), night(2), '--json']);
    expect(JSON.parse(diff.stdout)).toMatchObject({ removed: 0, beyond_reach: 20 });
    expect(diff.stderr).toContain(`tkf: warning: ${night(2)}'s list ended 20 more short of its profile's count than ${night(1)}'s, and the 20 followers of ${night(1)} below its end would be called gone: taken as a list cut short (not called gone)\n`);
    // The followers who left from the end lowered the count with them: gone, by diff too.
    expect(JSON.parse((await runCli(['diff', night(1), night(3), '--json'])).stdout)).toMatchObject({ removed: 20, beyond_reach: 0 });
    // The cut list as the older one: the 20 it never got are first seen, not new.
    const back = await runCli(['diff', night(2), night(3), '--json']);
    expect(JSON.parse(back.stdout)).toMatchObject({ added: 0, first_seen: 20, removed: 20 });
    expect(back.stderr).toContain(`tkf: warning: ${night(2)}'s list ended 20 more short of its profile's count than ${night(3)}'s, and the 20 followers of ${night(3)} below its end would be called new: taken as a list cut short (first seen, not new)\n`);
  });

  it('a shortfall that rose earlier with nobody leaving (accounts counted, not listed) does not keep later departures from the end beyond reach', async () => {
    const db = join(dir.path, 'drift.sqlite');
    const night = (n: number) => join(dir.path, `d${n}.jsonl`);
    expect((await exportOnce({ size: 2000 }, db, night(1))).code).toBe(0);
    // The profile counts 15 more than the list serves from night 2 on.
    expect((await exportOnce({ size: 2000, total: 2015 }, db, night(2))).code).toBe(0);
    // Night 3: the 10 oldest leave; the count drops with them (15 short, as the night before).
    const left = await exportOnce({ size: 2000, total: 2005, unfollowed: Array.from({ length: 10 }, (_, k) => 1990 + k) }, db, night(3));
    expect(left.code).toBe(0);
    const growth = JSON.parse((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout) as Array<Record<string, number>>;
    // Compared with the smallest shortfall of the recent walks (night 1's 0), they were kept beyond reach for ten nights.
    expect(growth.map(({ removed, beyond_reach, followers }) => [removed, beyond_reach, followers])).toEqual([
      [0, 0, 2000],
      [0, 0, 2000],
      [10, 0, 1990],
    ]);
    expect(JSON.parse((await runCli(['diff', night(2), night(3), '--json'])).stdout)).toMatchObject({ removed: 10, beyond_reach: 0 });
  });
});
