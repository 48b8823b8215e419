/**
 * tkf diff knows the reach (issue 16.1): against a simulator whose depth cap slides (the newest
 * 1,000 of the list as it is at each export), an export, then 300 new followers and 1 real
 * unfollow, then another export: 1 follower is gone, 299 only slid past the reach. The newer
 * export's end comes from its manifest; rows written carry `added`, `removed` or `beyond_reach`.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffExports } from '../../src/diff/diff-exports.js';
import { openExport } from '../../src/output/export-reader.js';
import { outputPaths } from '../../src/output/output-file.js';
import { accountOnDay, followerUid, startSimulator, type AccountPlan, type UserScenario } from '../../src/simulator/index.js';
import { exportInProcess } from '../helpers/in-process-export.js';
import { runTkfInProcess } from '../helpers/run-cli.js';
import { useTempDir } from '../helpers/temp-dir.js';

const UID = '6400000000000000001';
const dir = useTempDir('tkf-diff-reach-');

async function exportOn(scenario: UserScenario, out: string, limit?: number): Promise<void> {
  const sim = await startSimulator({ token: 'sim-token', users: { [UID]: scenario } });
  try {
    await exportInProcess(sim, UID, out, { limit });
  } finally {
    await sim.close();
  }
}

/** `tkf diff ...args` in process (the suite's one runner): exit code, stdout, stderr. */
const tkfDiff = (args: string[]) => runTkfInProcess(['diff', ...args]);

// Issue 16's story: a reach of 1,000 of 1,500; overnight 300 new followers and follower #500 left.
const plan: AccountPlan = { size: 1800, days: 2, grow: 300, cap: 1000, leave: { 1: [500] } };

describe('tkf diff across a sliding reach', () => {
  it("says +300 new, -1 gone, 299 past the API's reach, and writes each row's change", async () => {
    const day1 = join(dir.path, 'd1.jsonl');
    const day2 = join(dir.path, 'd2.jsonl');
    await exportOn(accountOnDay(plan, 0), day1);
    await exportOn(accountOnDay(plan, 1), day2);
    const text = await tkfDiff([day1, day2]);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe("+300 new, -1 gone, 299 past the API's reach (1,000 -> 1,000)\n");

    const json = await tkfDiff([day1, day2, '--json', '--quiet']);
    expect(JSON.parse(json.stdout)).toMatchObject({ added: 300, removed: 1, beyond_reach: 299, old: 1000, new: 1000 });

    const changes = join(dir.path, 'changes.jsonl');
    expect((await tkfDiff([day1, day2, '--out', changes, '--quiet'])).code).toBe(0);
    const rows = (await readFile(changes, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as { change: string; uid: string });
    const uid = (n: number) => followerUid(1, UID, n);
    const byChange = (change: string) => rows.filter((row) => row.change === change).map((row) => row.uid);
    expect(byChange('added')).toEqual(Array.from({ length: 300 }, (_, k) => uid(k)));
    expect(byChange('removed')).toEqual([uid(500)]);
    // Yesterday's 299 oldest reachable followers (#1,001..#1,299): they still follow.
    expect(byChange('beyond_reach')).toEqual(Array.from({ length: 299 }, (_, k) => uid(1001 + k)));
  });

  it('a newer walk gone on with after a pause of more than ten minutes (its manifest\'s pausedMs) calls nobody gone, as the history does', async () => {
    const day1 = join(dir.path, 'p1.jsonl');
    const day2 = join(dir.path, 'p2.jsonl');
    await exportOn({ size: 300 }, day1);
    // #150 unfollowed and followed again while the walk stood still: missing from where it went on.
    await exportOn({ size: 300, unfollowed: [150] }, day2);
    const manifest = outputPaths(day2).manifest;
    const written = JSON.parse(await readFile(manifest, 'utf8')) as Record<string, unknown>;
    const diffJson = async () => JSON.parse((await tkfDiff([day1, day2, '--json', '--quiet'])).stdout) as Record<string, number>;
    expect(await diffJson()).toMatchObject({ removed: 1, beyond_reach: 0 });
    await writeFile(manifest, JSON.stringify({ ...written, pausedMs: 11 * 60 * 1000 }));
    expect(await diffJson()).toMatchObject({ added: 0, removed: 0, beyond_reach: 1, beyond_reach_paused: 1 });
    const said = await tkfDiff([day1, day2]);
    expect(said.stderr).toBe(
      `tkf: warning: ${day2}'s walk went on 11 min 0 s after it stopped: a follower who unfollowed and followed again meanwhile is missing from it though they follow, so nobody missing from it is called gone\n` +
        '0 new, 0 gone, 1 not seen go by the newer export, whose walk paused (300 -> 299)\n',
    );
    // Past a sliding reach as well: those the pause hid are said apart from those past the reach.
    const reach1 = join(dir.path, 'pr1.jsonl');
    const reach2 = join(dir.path, 'pr2.jsonl');
    await exportOn(accountOnDay(plan, 0), reach1);
    await exportOn(accountOnDay(plan, 1), reach2);
    const reachManifest = outputPaths(reach2).manifest;
    await writeFile(reachManifest, JSON.stringify({ ...(JSON.parse(await readFile(reachManifest, 'utf8')) as object), pausedMs: 11 * 60 * 1000 }));
    const both = await tkfDiff([reach1, reach2, '--json']);
    expect(JSON.parse(both.stdout)).toMatchObject({ added: 300, removed: 0, beyond_reach: 300, beyond_reach_paused: 1 });
    expect(both.stderr).toContain("+300 new, 0 gone, 299 past the API's reach, 1 not seen go by the newer export, whose walk paused (1,000 -> 1,000)\n");
  });

  it('without the newer manifest the end is unknown; with a newer walk that reached the end, every missing follower is gone', async () => {
    const day1 = join(dir.path, 'd1.jsonl');
    const day2 = join(dir.path, 'd2.jsonl');
    await exportOn(accountOnDay(plan, 0), day1);
    await exportOn(accountOnDay(plan, 1), day2);
    await rm(outputPaths(day2).manifest);
    expect((await tkfDiff([day1, day2])).stderr).toBe("+300 new, -1 gone, 299 past the API's reach (1,000 -> 1,000)\n");

    // No cap: the newer walk ends with has_more false (manifest end 'complete'), so it saw everything.
    const open = { ...plan, cap: undefined, size: 1300 };
    const full1 = join(dir.path, 'f1.jsonl');
    const full2 = join(dir.path, 'f2.jsonl');
    await exportOn(accountOnDay(open, 0), full1);
    await exportOn({ ...accountOnDay(open, 1), unfollowed: [500, 1299] }, full2);
    expect((await tkfDiff([full1, full2])).stderr).toBe('+300 new, -2 gone (1,000 -> 1,298)\n');
  });

  it("a list cut short of an --update'd file's count: those below its end are beyond reach, not gone (the file's shortfall is a reference)", async () => {
    const kept = join(dir.path, 'kept.jsonl');
    const cut = join(dir.path, 'cut.jsonl');
    await exportOn({ size: 1000, notYetFollowed: 10 }, kept);
    const sim = await startSimulator({ token: 'sim-token', users: { [UID]: { size: 1000 } } });
    try {
      await exportInProcess(sim, UID, kept, { update: true });
    } finally {
      await sim.close();
    }
    // The API ends the list after 46 pages (920 of the 1,000 its profile counts: under a tenth
    // short, so only a reference tells), nobody gone.
    await exportOn({ size: 1000, endsAfterPage: 46 }, cut);
    const said = await tkfDiff([kept, cut, '--json']);
    expect(JSON.parse(said.stdout)).toMatchObject({ removed: 0, beyond_reach: 80 });
  });

  it("says 'past the newer export's --limit' when that walk stopped at its own --limit, short of the reach", async () => {
    const day1 = join(dir.path, 'd1.jsonl');
    const day2 = join(dir.path, 'd2.jsonl');
    await exportOn(accountOnDay(plan, 0), day1);
    // 900 of the 1,000 the API would serve: #0..#599 but #500; yesterday's #600.. not seen.
    await exportOn(accountOnDay(plan, 1), day2, 900);
    const text = await tkfDiff([day1, day2]);
    expect([text.code, text.stderr]).toEqual([0, "+300 new, -1 gone, 399 past the newer export's --limit (1,000 -> 900)\n"]);
  });

  it('a re-follow of someone in the older export is unchanged, not added; the reach is judged below it', async () => {
    const day1 = join(dir.path, 'd1.jsonl');
    const day2 = join(dir.path, 'd2.jsonl');
    await exportOn(accountOnDay(plan, 0), day1);
    // Follower #1,250 (near the bottom of yesterday's reach) unfollowed and followed again.
    await exportOn({ ...accountOnDay(plan, 1), refollowed: [1250] }, day2);
    const counts = await diffExports(await openExport(day1), await openExport(day2), { newerEnd: 'cap' });
    // New list: #1250, #0..#999 without #500 (reach 1,000): 300 new; #500 gone; below #998, beyond.
    expect(counts).toEqual({ added: 300, first_seen: 0, removed: 1, beyond_reach: 299, old: 1000, new: 1000, unchanged: 700 });
  });

  it('a re-follower on top of a newer walk that never reached the older list makes nobody gone', async () => {
    const day1 = join(dir.path, 'd1.jsonl');
    const day2 = join(dir.path, 'd2.jsonl');
    await exportOn(accountOnDay(plan, 0), day1);
    // Yesterday's #1,100 (the older export's 800th) unfollowed and followed again; today's walk
    // stops after one follower: it, on top. Nobody left.
    await exportOn({ ...accountOnDay(plan, 0), refollowed: [1100] }, day2, 1);
    const text = await tkfDiff([day1, day2]);
    expect([text.code, text.stderr]).toEqual([0, "0 new, 0 gone, 999 past the newer export's --limit (1,000 -> 1)\n"]);
    // The same with a reach full of newcomers: yesterday the whole list was #1,300..#1,799; then
    // 1,300 new followers, and #1,700 back on top. Today's reach of 1,000: #1,700, #0..#998.
    const small = join(dir.path, 'small.jsonl');
    await exportOn({ size: 1800, cap: 1000, slidingCap: true, notYetFollowed: 1300 }, small);
    const crowded = join(dir.path, 'crowded.jsonl');
    await exportOn({ size: 1800, cap: 1000, slidingCap: true, refollowed: [1700] }, crowded);
    const counts = await diffExports(await openExport(small), await openExport(crowded), { newerEnd: 'cap' });
    expect(counts).toEqual({ added: 999, first_seen: 0, removed: 0, beyond_reach: 499, old: 500, new: 1000, unchanged: 1 });
  });

  it('two re-followers on top, in their old order, prove nothing of the list between their old places either', async () => {
    const day1 = join(dir.path, 'r1.jsonl');
    const day2 = join(dir.path, 'r2.jsonl');
    await exportOn(accountOnDay(plan, 0), day1); // #300..#1,299
    // #400 and #900 unfollowed and followed again, then 300 newcomers: a walk of 10 sees the two
    // re-followers and 8 newcomers. They are a pair in the old order, but hold none of the 599
    // followers between their old places (it said -599 gone, and those 8 "first seen").
    await exportOn({ size: 1800, cap: 1000, slidingCap: true, refollowed: [400, 900] }, day2, 10);
    const counts = await diffExports(await openExport(day1), await openExport(day2), { newerEnd: 'limit' });
    expect(counts).toEqual({ added: 8, first_seen: 0, removed: 0, beyond_reach: 998, old: 1000, new: 10, unchanged: 2 });
  });
});
