/**
 * A walk that had to step past the rest of a tied second (an inclusive cursor: the API answers
 * the same page again) did not read those followers: missing from it, they are not gone. The
 * manifest says where in the file the unread rest would stand (incompleteAt), and tkf diff, the
 * history and its import judge them beyond reach (reach.ts unseen).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator, type UserScenario } from '../../src/simulator/index.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useClosers } from '../helpers/closers.js';
import { runCli } from './run-cli.js';

const TOKEN = 'tkn-tied-db';
const UID = '6754915036232582149';
const dir = useTempDir('tkf-history-tied-');
const closeLater = useClosers();

async function exportOnce(user: UserScenario, db: string, out: string) {
  const sim = await startSimulator({ token: TOKEN, users: { [UID]: user } });
  closeLater(() => sim.close());
  return runCli(['export', '--uid', UID, '--out', out, '--db', db, '--json'], { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url });
}

describe('followers in a tied second the walk could not read', () => {
  it('are beyond reach, not gone: in tkf diff, the history and its import', async () => {
    const db = join(dir.path, 'h.sqlite');
    const day1 = join(dir.path, 'day1.jsonl');
    const day2 = join(dir.path, 'day2.jsonl');
    const day3 = join(dir.path, 'day3.jsonl');
    expect((await exportOnce({ size: 300 }, db, day1)).code).toBe(0);
    // Followers #100-#159 followed in one second; the API pages it by the same page again: the
    // walk reads its first 20 and steps past the other 40.
    const tied = await exportOnce({ size: 300, ties: [{ at: 100, count: 60 }], cursorMode: 'inclusive' }, db, day2);
    expect(tied.code, tied.stderr).toBe(0);
    expect(JSON.parse(tied.stdout)).toMatchObject({ rows: 260 });
    const manifest = JSON.parse(await readFile(`${day2}.tkf.json`, 'utf8')) as { incompleteSeconds: number[]; incompleteAt: number[][] };
    expect(manifest.incompleteSeconds).toHaveLength(1);
    // After the page that ended the tied page (115-119) and the same page again (nothing new): 115 to 120.
    expect(manifest.incompleteAt).toEqual([[115, 120]]);
    // Said as where they stood: inside the list, in the tied second, not below an end.
    const said = await runCli(['diff', day1, day2, '--json']);
    expect(JSON.parse(said.stdout)).toMatchObject({ removed: 0, beyond_reach: 40, beyond_reach_in_ties: 40 });
    expect(said.stderr).toBe(
      `tkf: warning: ${day2}'s list ended at 260 of the 300 followers its profile counts, 40 short where ${day1}'s was 0 (it could not read the rest of a tied second, where some or all of them may be): too few to prove that followers missing below its end are gone\n` +
        '0 new, 0 gone, 40 in a tied second the newer export could not read (300 -> 260)\n',
    );
    // The whole list again: they were there.
    expect((await exportOnce({ size: 300 }, db, day3)).code).toBe(0);
    const growth = async (path: string) =>
      (JSON.parse((await runCli(['history', 'growth', '--db', path, '--uid', UID, '--json'])).stdout) as Array<Record<string, number>>).map(({ removed, beyond_reach, followers }) => [removed, beyond_reach, followers]);
    expect(await growth(db)).toEqual([[0, 0, 300], [0, 40, 300], [0, 0, 300]]);
    const imported = join(dir.path, 'i.sqlite');
    expect((await runCli(['history', 'import', '--db', imported, day1, day2, day3])).code).toBe(0);
    expect(await growth(imported)).toEqual([[0, 0, 300], [0, 40, 300], [0, 0, 300]]);
  });

  it('are beyond reach when an exclusive cursor tells the second a page late', async () => {
    const db = join(dir.path, 'x.sqlite');
    const day1 = join(dir.path, 'x1.jsonl');
    const day2 = join(dir.path, 'x2.jsonl');
    expect((await exportOnce({ size: 300 }, db, day1)).code).toBe(0);
    // A whole page of the second, then the answer below it: the second is asked once more and
    // reported after that page (100-140: the tied page, then the one below), the unread 40 in it.
    const tied = await exportOnce({ size: 300, ties: [{ at: 100, count: 60 }], cursorMode: 'exclusive' }, db, day2);
    expect(tied.code, tied.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(`${day2}.tkf.json`, 'utf8')) as { rows: number; incompleteAt: number[][] };
    expect([manifest.rows, manifest.incompleteAt]).toEqual([260, [[100, 140]]]);
    expect(JSON.parse((await runCli(['diff', day1, day2, '--json'])).stdout)).toMatchObject({ removed: 0, beyond_reach: 40 });
    const growth = JSON.parse((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout) as Array<Record<string, number>>;
    expect(growth.map(({ removed, beyond_reach }) => [removed, beyond_reach])).toEqual([[0, 0], [0, 40]]);
  });

  it("followers a walk could not read in a tied second, found by the next, are first seen, not added: tkf diff, the history and its import", async () => {
    const db = join(dir.path, 'o.sqlite');
    const day1 = join(dir.path, 'o1.jsonl');
    const day2 = join(dir.path, 'o2.jsonl');
    expect((await exportOnce({ size: 300, ties: [{ at: 100, count: 60 }], cursorMode: 'inclusive' }, db, day1)).code).toBe(0);
    expect((await exportOnce({ size: 300 }, db, day2)).code).toBe(0);
    const turned = await runCli(['diff', day1, day2, '--json']);
    expect(JSON.parse(turned.stdout)).toMatchObject({ added: 0, first_seen: 40, first_seen_in_ties: 40, removed: 0 });
    expect(turned.stderr).toBe('0 new, 0 gone, 40 first seen in a tied second the older export could not read (260 -> 300)\n');
    const growth = async (path: string) =>
      (JSON.parse((await runCli(['history', 'growth', '--db', path, '--uid', UID, '--json'])).stdout) as Array<Record<string, number>>).map(({ added, first_seen, removed }) => [added, first_seen ?? 0, removed]);
    expect(await growth(db)).toEqual([[260, 0, 0], [0, 40, 0]]);
    const imported = join(dir.path, 'oi.sqlite');
    expect((await runCli(['history', 'import', '--db', imported, day1, day2])).code).toBe(0);
    expect(await growth(imported)).toEqual([[260, 0, 0], [0, 40, 0]]);
  });

  it('nights over a tied second that an inclusive cursor cannot finish, the API repeating followers on random pages: only the new are added, nobody removed', async () => {
    const db = join(dir.path, 'r.sqlite');
    // Followers #30-#129 followed in one second: every walk reads #30-#49 and steps past the rest.
    const night = (notYetFollowed: number, n: number) =>
      exportOnce({ size: 400, ties: [{ at: 30, count: 100 }], cursorMode: 'inclusive', randomDuplicates: 0.3, notYetFollowed }, db, join(dir.path, `r${n}.jsonl`));
    for (const [n, notYetFollowed] of [20, 7, 0, 0].entries()) expect((await night(notYetFollowed, n)).code).toBe(0);
    const growth = JSON.parse((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout) as Array<Record<string, number>>;
    expect(growth.map(({ followers, added, removed }) => [followers, added, removed])).toEqual([[300, 300, 0], [313, 13, 0], [320, 7, 0], [320, 0, 0]]);
  });
  it('an --update between two walks that step past the rest of a tied second: the followers it did not read there are beyond reach, not gone (its manifest places the second; the history keeps them among its rows)', async () => {
    const db = join(dir.path, 'u.sqlite');
    const kept = join(dir.path, 'kept.jsonl');
    const night1 = join(dir.path, 'u1.jsonl');
    const night3 = join(dir.path, 'u3.jsonl');
    // Followers #13-#37 followed in one second: a walk reads the first 20 of them it finds and
    // steps past the rest. The kept file is older than all of them.
    const user = (notYetFollowed: number): UserScenario => ({ size: 600, ties: [{ at: 13, count: 25 }], cursorMode: 'inclusive', notYetFollowed });
    expect((await exportOnce(user(51), db, kept)).code).toBe(0);
    // Night 1 reads #16-#35 of the second; the update and night 3 read #13-#32.
    expect((await exportOnce(user(16), db, night1)).code).toBe(0);
    const sim = await startSimulator({ token: TOKEN, users: { [UID]: user(13) } });
    closeLater(() => sim.close());
    const updated = await runCli(['export', '--uid', UID, '--out', kept, '--update', '--db', db, '--json'], { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url });
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ added: 33 });
    // Its 33 rows on top: the second's first page (rows 0-19), then, after the same page again, #38-#50.
    const manifest = JSON.parse(await readFile(`${kept}.tkf.json`, 'utf8')) as { incompleteSeconds: number[]; incompleteAt: number[][] };
    expect([manifest.incompleteSeconds.length, manifest.incompleteAt]).toEqual([1, [[0, 20]]]);
    // #33-#35, which night 1 read, stand where the update stepped past the second.
    const said = await runCli(['diff', night1, kept, '--json']);
    expect(JSON.parse(said.stdout)).toMatchObject({ added: 3, removed: 0, beyond_reach: 3, beyond_reach_in_ties: 3 });
    expect((await exportOnce(user(13), db, night3)).code).toBe(0);
    const growth = JSON.parse((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout) as Array<Record<string, number>>;
    expect(growth.map(({ added, removed, beyond_reach }) => [added, removed, beyond_reach])).toEqual([[549, 0, 0], [33, 0, 0], [3, 0, 0], [0, 0, 3]]);
  });
  it("an --update resumed from a checkpoint an earlier tkf wrote (no places of its own) keeps the file's tied second in place, moved down by the rows it put on top", async () => {
    const kept = join(dir.path, 'resumed.jsonl');
    const user = (notYetFollowed: number): UserScenario => ({ size: 300, ties: [{ at: 100, count: 60 }], cursorMode: 'inclusive', notYetFollowed });
    const first = await startSimulator({ token: TOKEN, users: { [UID]: user(50) } });
    closeLater(() => first.close());
    expect((await runCli(['export', '--uid', UID, '--out', kept], { TKF_TOKEN: TOKEN, TKF_BASE_URL: first.url })).code).toBe(0);
    const manifest = async () => JSON.parse(await readFile(`${kept}.tkf.json`, 'utf8')) as { rows: number; incompleteAt?: number[][] };
    const [from, to] = (await manifest()).incompleteAt![0]!;
    const sim = await startSimulator({ token: TOKEN, users: { [UID]: user(0) } });
    closeLater(() => sim.close());
    const env = { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url };
    expect((await runCli(['export', '--uid', UID, '--out', kept, '--update', '--max-requests', '1'], env)).code).toBe(8);
    const checkpoint = JSON.parse(await readFile(`${kept}.part.json`, 'utf8')) as Record<string, unknown>;
    delete checkpoint.incompleteAt;
    await writeFile(`${kept}.part.json`, JSON.stringify(checkpoint));
    expect((await runCli(['export', '--uid', UID, '--out', kept, '--update'], env)).code).toBe(0);
    expect(await manifest()).toMatchObject({ rows: 260, incompleteAt: [[from! + 50, to! + 50]] });
  });
});
