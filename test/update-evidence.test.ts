/**
 * `--update` stops on evidence (issue 18.1): a re-follow puts a follower the file already holds on
 * top of the list, above new followers; the update skips it and goes on until the walk is below
 * the file's newest follow time (kept in the manifest), or, for a manifest of an older tkf
 * without it, until a whole page of followers the file already holds.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/output/checkpoint.js';
import { outputPaths } from '../src/output/output-file.js';
import { caughtUpRule, pageNewest } from '../src/output/update-base.js';
import { followerUid, startSimulator, type Simulator, type UserScenario } from '../src/simulator/index.js';
import { expectedJsonl } from './helpers/followers.js';
import { exportInProcess } from './helpers/in-process-export.js';
import { runTkfInProcess } from './helpers/run-cli.js';
import { useTempDir } from './helpers/temp-dir.js';

const UID = '6200000000000000001';
const NOW = 1631063752;
const list: UserScenario = { size: 100 };
const dir = useTempDir('tkf-update-evidence-');

async function withSimulator<T>(scenario: UserScenario, run: (sim: Simulator) => Promise<T>): Promise<T> {
  const sim = await startSimulator({ token: 'sim-token', now: NOW, users: { [UID]: scenario } });
  try {
    return await run(sim);
  } finally {
    await sim.close();
  }
}

/** Yesterday's export: the list without its newest `fresh` followers. */
async function yesterday(out: string, fresh: number): Promise<void> {
  await withSimulator({ ...list, notYetFollowed: fresh }, (sim) => exportInProcess(sim, UID, out));
}

describe('--update after a re-follow', () => {
  it('skips the re-follower on top and adds the new followers below it', async () => {
    const out = join(dir.path, 'f.jsonl');
    await yesterday(out, 3);
    // Follower #50 unfollowed and followed again: on top, above the 3 new ones.
    const result = await withSimulator({ ...list, refollowed: [50] }, (sim) => exportInProcess(sim, UID, out, { update: true }));
    expect(result).toMatchObject({ added: 3, rows: 100, end: 'caught-up', requests: 1 });
    // The re-follower keeps its row where it was: every follower once.
    expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 100));
  });

  it('goes on past a page of new followers until it is below the file\'s newest follow time', async () => {
    const out = join(dir.path, 'f.jsonl');
    await yesterday(out, 25);
    const result = await withSimulator({ ...list, refollowed: [60, 40] }, (sim) => exportInProcess(sim, UID, out, { update: true }));
    expect(result).toMatchObject({ added: 25, rows: 100, requests: 2 });
    expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 100));
  });

  it('reads max_time sent as a string of digits (loose types) as the follow time', async () => {
    const out = join(dir.path, 'f.jsonl');
    await withSimulator({ ...list, notYetFollowed: 3, looseTypes: true }, (sim) => exportInProcess(sim, UID, out));
    const result = await withSimulator({ ...list, refollowed: [50], looseTypes: true }, (sim) => exportInProcess(sim, UID, out, { update: true }));
    // One request: the file's follow time is follower #3's (max_time), not page 1's min_time.
    expect(result).toMatchObject({ added: 3, rows: 100, requests: 1 });
  });

  it('keeps the newest follow time in the manifest, raised by what the update saw', async () => {
    const out = join(dir.path, 'f.jsonl');
    await yesterday(out, 3);
    const before = (await readCheckpoint(outputPaths(out).manifest))!.newest!;
    expect(before).toBeLessThan(NOW); // follower #3's time: #0..#2 had not followed yet
    await withSimulator({ ...list, refollowed: [50] }, (sim) => exportInProcess(sim, UID, out, { update: true }));
    // The re-follow is the newest follow time now (the simulator puts it at now + 1).
    expect((await readCheckpoint(outputPaths(out).manifest))!.newest).toBe(NOW + 1);
  });
});

describe('--update against an API whose min_time is each page\'s newest follow time (one follower down a page)', () => {
  it('moves down the file\'s list, a follower of it a page, until it is below the file\'s newest, instead of stopping as stuck', async () => {
    const out = join(dir.path, 'f.jsonl');
    const slow: UserScenario = { ...list, minTimeNewest: true };
    await withSimulator({ ...slow, notYetFollowed: 30 }, (sim) => exportInProcess(sim, UID, out));
    const result = await withSimulator(slow, (sim) => exportInProcess(sim, UID, out, { update: true }));
    // 30 new followers one a page, then the file's followers one a page (each met for the first
    // time: not barren) until the page's newest is below the file's newest follow time. Four
    // pages in a row with no new follower stopped it before (exit 6, the file unchanged).
    expect(result).toMatchObject({ added: 30, rows: 100, end: 'caught-up' });
    // Pages 1-11 brought the new followers (20, then one a page); it stopped at page 15 before.
    expect(result.requests).toBeGreaterThan(15);
    expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 100));
  });

  it('still stops an API that answers the same followers again while its cursor moves', async () => {
    const out = join(dir.path, 'f.jsonl');
    await yesterday(out, 30);
    // From page 2 on, page 2 again and again: its file followers are met once, then nothing new.
    const stuck = withSimulator({ ...list, repeatFromPage: 2 }, (sim) => exportInProcess(sim, UID, out, { update: true }));
    await expect(stuck).rejects.toThrow(/pages in a row with no follower not already exported/);
    expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 30, 100));
  });
});

describe('--update after a stuck API that repeated a page with its cursor one second lower each time', () => {
  it('reports no tied second when the working API then serves every follower', async () => {
    const out = join(dir.path, 'f.jsonl');
    // Followers repeated at page boundaries, as the API sends them (the built-in user's way).
    const api: UserScenario = { ...list, boundaryDuplicates: true };
    await withSimulator({ ...api, notYetFollowed: 60 }, (sim) => exportInProcess(sim, UID, out));
    // Page 3 again and again, min_time one second below the cursor: the first time (the previous
    // page's last follower repeated on top, max_time the cursor) it looks like a full page of one
    // second; then its followers again, below that second.
    const stuck = withSimulator({ ...api, repeatFromPage: 3 }, (sim) => exportInProcess(sim, UID, out, { update: true }));
    await expect(stuck).rejects.toThrow(/pages in a row with no follower not already exported/);
    const saved = await readCheckpoint(outputPaths(out).checkpoint);
    expect(saved?.rows).toBe(100); // the file's 40 and the 60 new followers found so far
    expect(saved?.incompleteSeconds ?? []).toEqual([]);
    const result = await withSimulator(api, (sim) => exportInProcess(sim, UID, out, { update: true }));
    expect(result).toMatchObject({ added: 60, rows: 100, end: 'caught-up', incompleteSeconds: [] });
    expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 100));
  });
});

describe('--update of a file whose manifest has no follow time (written by an older tkf)', () => {
  it('does not stop at the first known follower but after a whole page of them, and records the follow time', async () => {
    const out = join(dir.path, 'old.jsonl');
    await yesterday(out, 3);
    const manifest = outputPaths(out).manifest;
    const old = JSON.parse(await readFile(manifest, 'utf8'));
    delete old.newest;
    await writeFile(manifest, JSON.stringify(old));
    await withSimulator({ ...list, refollowed: [50] }, async (sim) => {
      const result = await exportInProcess(sim, UID, out, { update: true });
      // Page 1: the re-follower, 3 new, 16 known; page 2: 20 known, the stop.
      expect(result).toMatchObject({ added: 3, rows: 100, requests: 2 });
      expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 100));
      expect((await readCheckpoint(manifest))!.newest).toBe(NOW + 1);
      // From now on the evidence is there: nothing new costs one request.
      expect(await exportInProcess(sim, UID, out, { update: true })).toMatchObject({ added: 0, requests: 1 });
    });
  });
});

describe('the evidence', () => {
  it('takes max_time as the newest follow time, within our clock and min_time', () => {
    const now = NOW * 1000;
    expect(pageNewest({ maxTime: NOW, minTime: NOW - 30 }, now)).toBe(NOW);
    expect(pageNewest({ minTime: NOW - 30 }, now)).toBe(NOW - 30);
    // Ahead of our clock: no later than our clock. Below the page's own min_time: min_time.
    expect(pageNewest({ maxTime: NOW + 3 * 86400, minTime: NOW - 30 }, now)).toBe(NOW);
    expect(pageNewest({ maxTime: NOW + 3 * 86400, minTime: NOW - 30 }, (NOW - 60) * 1000)).toBe(NOW - 30);
    expect(pageNewest({ maxTime: NOW - 60, minTime: NOW - 30 }, now)).toBe(NOW - 30);
    // Past the depth cap: no follow time at all.
    expect(pageNewest({ maxTime: -1, minTime: -1 }, now)).toBeUndefined();
  });

  it('stops below the newest follow time, never on known followers alone', () => {
    const stop = caughtUpRule(1000);
    expect(stop({ minTime: 1001, fresh: 0, known: 20 })).toBe(false);
    expect(stop({ minTime: 1000, fresh: 0, known: 20 })).toBe(false);
    expect(stop({ minTime: 999, fresh: 5, known: 15 })).toBe(true);
    expect(stop({ minTime: -1, fresh: 0, known: 0 })).toBe(false);
    const fallback = caughtUpRule(undefined);
    expect(fallback({ minTime: 10, fresh: 3, known: 17 })).toBe(false);
    expect(fallback({ minTime: 10, fresh: 0, known: 20 })).toBe(true);
    expect(fallback({ minTime: 10, fresh: 0, known: 0 })).toBe(false);
  });
});

describe('tkf diff of a file that --update extended', () => {
  it('takes only its new rows on top as its walk: followers who left before the older export, kept below, are not new', async () => {
    const u = join(dir.path, 'u.jsonl');
    const f2 = join(dir.path, 'f2.jsonl');
    const d = join(dir.path, 'd.jsonl');
    // Night 1: #30..#99 into u. Night 2, a full export: #20..#99 less #50 and #70, who left.
    await yesterday(u, 30);
    await withSimulator({ ...list, notYetFollowed: 20, unfollowed: [50, 70] }, (sim) => exportInProcess(sim, UID, f2));
    // Night 3: u updated, #10..#29 on top of night 1's rows, #50 and #70 among them (an update cannot see who left).
    await withSimulator({ ...list, notYetFollowed: 10, unfollowed: [50, 70] }, (sim) => exportInProcess(sim, UID, u, { update: true }));
    const run = await runTkfInProcess(['diff', f2, u, '--json', '--out', d]);
    expect(run.code).toBe(0);
    // 10 came since night 2 (#10..#19); #50 and #70 were called added before.
    expect(JSON.parse(run.stdout)).toMatchObject({ added: 10, first_seen: 0, removed: 0, kept_by_update: 2, old: 78, new: 90, unchanged: 78 });
    const rows = (await readFile(d, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { change: string; uid: string });
    expect(rows.map((r) => [r.change, r.uid])).toEqual(Array.from({ length: 10 }, (_, k) => ['added', followerUid(1, UID, 10 + k)]));
    expect(run.stderr).toMatch(/u\.jsonl was extended by --update: only its 20 new followers on top are its last walk's/);
    expect(run.stderr).toMatch(/\+10 new, 0 gone, 2 kept from before the update, not in the older export \(not compared\) \(78 -> 90\)/);
    // tkf report counts its rows, and says that those who left are among them.
    const report = await runTkfInProcess(['report', u, '--json']);
    expect([report.code, JSON.parse(report.stdout).followers]).toEqual([0, 90]);
    expect(report.stderr).toContain(`tkf: warning: ${u} was extended by --update, which cannot see who left: followers who left since its earlier walks are still counted`);
    expect((await runTkfInProcess(['report', f2, '--json'])).stderr).not.toContain('extended by --update');
  });

  it('a copy of the file before the update, against it: the new followers, nobody gone', async () => {
    const u = join(dir.path, 'u.jsonl');
    const before = join(dir.path, 'before.jsonl');
    await yesterday(u, 30);
    await writeFile(before, await readFile(u));
    await withSimulator({ ...list, notYetFollowed: 10 }, (sim) => exportInProcess(sim, UID, u, { update: true }));
    const run = await runTkfInProcess(['diff', before, u, '--json', '--quiet']);
    expect(JSON.parse(run.stdout)).toMatchObject({ added: 20, removed: 0, beyond_reach: 0, kept_by_update: 0, old: 70, new: 90, unchanged: 70 });
  });
});
