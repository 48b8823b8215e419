/**
 * `--update` end to end, as cron runs it (issue 18.1, issue 21.1 and 21.2): a re-follow on top
 * does not hide the new followers below it; a budget stop (exit 8) prints a resume command that
 * works, and the same cron line run the next night goes on and finishes; an update that ends
 * with exit 6 reports in --json the rows the file really holds. In process (tkf(): createProgram
 * through runCli, the exit code main() exits with): nothing here needs a process of its own.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type UserScenario } from '../../src/simulator/index.js';
import { expectedJsonl } from '../helpers/followers.js';
import { runTkfInProcess as tkf } from '../helpers/run-cli.js';
import { withTempDir } from './run-tkf.js';

const TOKEN = 'tkn-UPDATE-r3f0ll0w';
const UID = '6300000000000000001';
const list: UserScenario = { size: 100 };

async function withSimulator<T>(scenario: UserScenario, run: (sim: Simulator) => Promise<T>): Promise<T> {
  const sim = await startSimulator({ token: TOKEN, users: { [UID]: scenario } });
  try {
    return await run(sim);
  } finally {
    await sim.close();
  }
}

const env = (sim: Simulator) => ({ TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url });

describe('--update after a re-follow', () => {
  it('adds the 3 new followers below a known follower who followed again (it said 0)', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      await withSimulator({ ...list, notYetFollowed: 3 }, async (sim) => {
        expect((await tkf(['export', '--uid', UID, '--out', out], { env: env(sim) })).code).toBe(0);
      });
      await withSimulator({ ...list, refollowed: [50] }, async (sim) => {
        const update = await tkf(['export', '--uid', UID, '--out', out, '--update'], { env: env(sim) });
        expect(update.code).toBe(0);
        expect(update.stderr).toMatch(/added 3 new followers on top of 97/);
      });
      expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 100));
    });
  });
});

describe('--update --max-requests in cron', () => {
  it('stops with exit 8 and a resume command that works; the same line the next night finishes', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      // 100 followers are 5 pages; the budget is 3 requests a night. No file yet: a full export.
      const line = ['export', '--uid', UID, '--out', out, '--update', '--max-requests', '3', '--json'];
      await withSimulator(list, async (sim) => {
        const first = await tkf(line, { env: env(sim) });
        expect(first.code).toBe(8);
        const hint = /resume with: (.*)$/m.exec(first.stderr)?.[1];
        expect(hint).toContain('--update');
        expect(hint).toContain('--resume');
        expect(JSON.parse(first.stdout)).toMatchObject({ exit_code: 8, rows: 60 });
        // The next night: the same line goes on where it stopped, and finishes.
        const second = await tkf(line, { env: env(sim) });
        expect(second.stderr).not.toMatch(/use --resume/);
        expect(second.code).toBe(0);
        // 2 pages left, plus 1: a resume re-enters the second of its cursor (see pager.ts, hidden offsets).
        expect(JSON.parse(second.stdout)).toMatchObject({ exit_code: 0, complete: true, rows: 100, requests: 3 });
        expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 100));
        // The hint itself (--update --resume) is accepted: nothing new, one request.
        const args = hint!.replace(/^(tkf|node \S+) /, '').split(' '); // drop `tkf` (`node bin/tkf.js` from a clone)
        const third = await tkf(args, { env: env(sim) });
        expect(third.code).toBe(0);
        expect(JSON.parse(third.stdout)).toMatchObject({ added: 0, rows: 100, requests: 1 });
      });
      expect((await readdir(dir)).sort()).toEqual(['f.jsonl', 'f.jsonl.tkf.json']);
    });
  });
});

describe('--update that ends with exit 6', () => {
  it('reports the rows the file holds, not the rows it fetched and did not write', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      const grown: UserScenario = { size: 400 };
      // The list as it was: 100 followers, and the profile said so (not a list that ended short).
      await withSimulator({ ...grown, notYetFollowed: 300, total: 100 }, async (sim) => {
        expect((await tkf(['export', '--uid', UID, '--out', out], { env: env(sim) })).code).toBe(0);
      });
      const before = await readFile(out);
      // 300 new followers, a depth cap at 200: the update cannot reach the file.
      await withSimulator({ ...grown, cap: 200 }, async (sim) => {
        const update = await tkf(['export', '--uid', UID, '--out', out, '--update', '--json'], { env: env(sim) });
        expect(update.code).toBe(6);
        expect(JSON.parse(update.stdout)).toMatchObject({ exit_code: 6, complete: false, rows: 100 });
      });
      expect(await readFile(out)).toEqual(before);
    });
  });

  it("is not what an update ends with when the cap comes right after the file's newest follower: nothing lies between, the file is updated", async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      // A reach of the newest 200 of 400; the file holds the 200 it served. Then 199 new
      // followers: the file's newest is the 200th row served, the cap right after it.
      const list: UserScenario = { size: 400, cap: 200, slidingCap: true };
      await withSimulator({ ...list, notYetFollowed: 200 }, async (sim) => {
        expect((await tkf(['export', '--uid', UID, '--out', out], { env: env(sim) })).code).toBe(0);
      });
      await withSimulator({ ...list, notYetFollowed: 1 }, async (sim) => {
        const update = await tkf(['export', '--uid', UID, '--out', out, '--update', '--json'], { env: env(sim) });
        expect([update.code, JSON.parse(update.stdout)]).toEqual([0, expect.objectContaining({ exit_code: 0, added: 199, rows: 399, end: 'caught-up' })]);
      });
      expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, { size: 400 }, 1, 400));
      // One new follower more (200) and the file's newest is past the cap: exit 6, the file kept.
      const gap = join(dir, 'g.jsonl');
      await withSimulator({ ...list, notYetFollowed: 200 }, async (sim) => {
        expect((await tkf(['export', '--uid', UID, '--out', gap], { env: env(sim) })).code).toBe(0);
      });
      const before = await readFile(gap);
      await withSimulator(list, async (sim) => {
        expect((await tkf(['export', '--uid', UID, '--out', gap, '--update'], { env: env(sim) })).code).toBe(6);
      });
      expect(await readFile(gap)).toEqual(before);
    });
  });

  it("is not a tied second it stepped past after meeting the file's followers in it: nothing unread, no hole for the history", async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      // 100 followers in the newest second (an API that pages inside it through a hidden offset):
      // the file holds the 50 older ones, the update finds the 50 new ones above them.
      const list: UserScenario = { size: 600, ties: [{ at: 0, count: 100 }], cursorMode: 'offset' };
      await withSimulator({ ...list, notYetFollowed: 50 }, async (sim) => {
        expect((await tkf(['export', '--uid', UID, '--out', out], { env: env(sim) })).code).toBe(0);
      });
      await withSimulator(list, async (sim) => {
        const update = await tkf(['export', '--uid', UID, '--out', out, '--update', '--json'], { env: env(sim) });
        expect([update.code, JSON.parse(update.stdout)]).toEqual([0, expect.objectContaining({ added: 50, rows: 600, incomplete_seconds: [] })]);
      });
      expect(JSON.parse(await readFile(`${out}.tkf.json`, 'utf8')).incompleteSeconds).toEqual([]);
      expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 600));
      // A cap inside that second before any of the file's followers (40 of 50 new served): the
      // file's newest second reached, but not the file: exit 6, the file kept (10 would be lost).
      const capped = join(dir, 'c.jsonl');
      await withSimulator({ ...list, notYetFollowed: 50 }, async (sim) => {
        expect((await tkf(['export', '--uid', UID, '--out', capped], { env: env(sim) })).code).toBe(0);
      });
      const before = await readFile(capped);
      await withSimulator({ ...list, cap: 40 }, async (sim) => {
        expect((await tkf(['export', '--uid', UID, '--out', capped, '--update'], { env: env(sim) })).code).toBe(6);
      });
      expect(await readFile(capped)).toEqual(before);
    });
  });

  it("says an exclusive cursor skipped the rest of its newest second when the answer below that full page is the file's followers", async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      // 25 new followers in one second; an exclusive cursor serves a page of it (#0-#19), then the
      // second's last follower (#24) on top of the file's: its max_time that second, so the same
      // cursor is asked once more (the same answer) and the second reported.
      const list: UserScenario = { size: 400, ties: [{ at: 0, count: 25 }], cursorMode: 'exclusive', boundaryDuplicates: true };
      await withSimulator({ ...list, notYetFollowed: 25 }, async (sim) => {
        expect((await tkf(['export', '--uid', UID, '--out', out], { env: env(sim) })).code).toBe(0);
      });
      await withSimulator(list, async (sim) => {
        const update = await tkf(['export', '--uid', UID, '--out', out, '--update', '--json'], { env: env(sim) });
        expect([update.code, JSON.parse(update.stdout)]).toEqual([0, expect.objectContaining({ added: 21, rows: 396, requests: 3, incomplete_seconds: [expect.any(Number)] })]);
        expect(update.stderr).toMatch(/1 second \(cursor \d+\) held more followers than the API would page through/);
      });
      expect(JSON.parse(await readFile(`${out}.tkf.json`, 'utf8')).incompleteSeconds).toHaveLength(1);
    });
  });

  it('when the list ends far below the profile before the file is reached: the file and its manifest as they were, and the next update finds every new follower', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      const list: UserScenario = { size: 600 };
      await withSimulator({ ...list, notYetFollowed: 100 }, async (sim) => {
        expect((await tkf(['export', '--uid', UID, '--out', out], { env: env(sim) })).code).toBe(0);
      });
      const [file, manifest] = [await readFile(out), await readFile(`${out}.tkf.json`)];
      // 100 new followers; the API ends the list after 2 pages (40) of 600.
      await withSimulator({ ...list, endsAfterPage: 2 }, async (sim) => {
        const update = await tkf(['export', '--uid', UID, '--out', out, '--update', '--json'], { env: env(sim) });
        expect([update.code, JSON.parse(update.stdout)]).toEqual([6, expect.objectContaining({ exit_code: 6, complete: false, rows: 500 })]);
        expect(update.stderr).toContain(`${out} was not updated: the list ended after 40 followers, far below the 600 the API reports, before the newest follower already in the file`);
      });
      expect([await readFile(out), await readFile(`${out}.tkf.json`)]).toEqual([file, manifest]);
      // It published 40 as all the new ones, and its manifest's follow time hid the other 60 for ever.
      await withSimulator(list, async (sim) => {
        const update = await tkf(['export', '--uid', UID, '--out', out, '--update', '--json'], { env: env(sim) });
        expect([update.code, JSON.parse(update.stdout).added]).toEqual([0, 100]);
        expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 600));
      });
    });
  });
});
