/**
 * The walk against what the API really sends, through the CLI in process (test/helpers/run-cli.ts)
 * and the simulator:
 * a popular account's tied second answered in each of the three ways (hidden offset, inclusive,
 * exclusive), ties on the first page, at the depth cap and two in a row, resume inside a tied
 * second, and an envelope in drifted types.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFollower, startSimulator, type Simulator, type UserScenario } from '../../src/simulator/index.js';
import { runTkfInProcess } from '../helpers/run-cli.js';
import { withTempDir } from './run-tkf.js';

const TOKEN = 'tkn-WALK-5e6f7a';
const NOW = 1631063752; // the simulator's default "now": follower #0 followed then
const OFFSET = '4444444444444444441';
const INCLUSIVE = '4444444444444444442';
const EXCLUSIVE = '4444444444444444443';
const AT_CAP = '4444444444444444444';
const TWO_IN_A_ROW = '4444444444444444445';
const LOOSE = '4444444444444444446';
const PLAIN = '4444444444444444447';

// The newest 45 followers followed in one second (a popular account); 200 in all.
const tiedFirst = { size: 200, ties: [{ at: 0, count: 45 }] } satisfies UserScenario;
const users: Record<string, UserScenario> = {
  [OFFSET]: { ...tiedFirst, cursorMode: 'offset' },
  [INCLUSIVE]: { ...tiedFirst, cursorMode: 'inclusive' },
  [EXCLUSIVE]: { ...tiedFirst, cursorMode: 'exclusive' },
  // total 200: the cap at 100 is half of it, not a list cut short (exit 10).
  [AT_CAP]: { size: 300, total: 200, cap: 100, ties: [{ at: 90, count: 25 }], cursorMode: 'inclusive' },
  [TWO_IN_A_ROW]: { size: 200, ties: [{ at: 0, count: 45 }, { at: 45, count: 30 }], cursorMode: 'inclusive' },
  [LOOSE]: { size: 200, looseTypes: true, boundaryDuplicates: true },
  [PLAIN]: { size: 200, boundaryDuplicates: true },
};

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, users });
});
afterAll(async () => {
  await sim.close();
});

const env = (s: Simulator = sim) => ({ TKF_TOKEN: TOKEN, TKF_BASE_URL: s.url });
/** The JSONL tkf must write for followers #i of `indices` of a list, in order. */
const jsonl = (uid: string, indices: number[]) => indices.map((i) => `${renderFollower(1, uid, i, users[uid]!)}\n`).join('');
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

describe('a second with more followers than a page', () => {
  it('hidden offset: every follower, the tied second included, with no claim of loss', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      const result = await runTkfInProcess(['export', '--uid', OFFSET, '--out', out, '--json'], { env: env() });
      expect(result.code).toBe(0);
      expect(await readFile(out, 'utf8')).toBe(jsonl(OFFSET, range(0, 200)));
      expect(JSON.parse(result.stdout)).toMatchObject({ rows: 200, complete: true, incomplete_seconds: [] });
      expect(result.stderr).not.toMatch(/could not be reached/);
    });
  });

  it('inclusive cursor, tie on the first page: exit 0, every follower outside the second once, and the last line says so', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.csv');
      const before = sim.stats.byUid[INCLUSIVE] ?? 0;
      const result = await runTkfInProcess(['export', '--uid', INCLUSIVE, '--out', out, '--json'], { env: env() });
      expect(result.code).toBe(0);
      const outcome = JSON.parse(result.stdout);
      // Followers #0-#19 (the first page) and #45-#199: the rest of the tied second is out of reach.
      expect(outcome).toMatchObject({ rows: 175, complete: true, incomplete_seconds: [NOW] });
      expect(result.stderr).toMatch(new RegExp(`exported 175 of 200 followers: the list ended there;.*1 second \\(cursor ${NOW}\\) held more followers than the API would page through: some of them could not be reached \\(how many is unknown\\)`));
      // One extra request for the tied second, not a stuck-cursor spiral.
      expect((sim.stats.byUid[INCLUSIVE] ?? 0) - before).toBeLessThanOrEqual(Math.ceil(175 / 20) + 2 + 3);
      const jsonOut = join(dir, 'f.jsonl');
      expect((await runTkfInProcess(['export', '--uid', INCLUSIVE, '--out', jsonOut], { env: env() })).code).toBe(0);
      expect(await readFile(jsonOut, 'utf8')).toBe(jsonl(INCLUSIVE, [...range(0, 20), ...range(45, 200)]));
    });
  });

  it('exclusive cursor: the API skips on by itself and the walk goes on', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      const result = await runTkfInProcess(['export', '--uid', EXCLUSIVE, '--out', out], { env: env() });
      expect(result.code).toBe(0);
      expect(await readFile(out, 'utf8')).toBe(jsonl(EXCLUSIVE, [...range(0, 20), ...range(45, 200)]));
    });
  });

  it('a tie at the depth cap ends at the cap, exit 0, without claiming a tied second', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      const result = await runTkfInProcess(['export', '--uid', AT_CAP, '--out', out, '--json'], { env: env() });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ rows: 100, end: 'cap', incomplete_seconds: [] });
      expect(await readFile(out, 'utf8')).toBe(jsonl(AT_CAP, range(0, 100)));
      // -1 and 0 were never sent back after the first request.
      expect(sim.stats.cursors.filter((cursor) => cursor === '-1')).toEqual([]);
    });
  });

  it('two tied seconds in a row are both stepped past and both reported', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      const result = await runTkfInProcess(['export', '--uid', TWO_IN_A_ROW, '--out', out, '--json'], { env: env() });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ rows: 165, incomplete_seconds: [NOW, NOW - 1] });
      expect(await readFile(out, 'utf8')).toBe(jsonl(TWO_IN_A_ROW, [...range(0, 20), ...range(45, 65), ...range(75, 200)]));
      expect(result.stderr).toMatch(/2 seconds \(cursors 1631063752, 1631063751\) held more followers/);
    });
  });
});

describe('resume inside a tied second', () => {
  for (const [mode, uid, budget] of [
    ['hidden offset', OFFSET, 3],
    ['inclusive, right after stepping down', INCLUSIVE, 2],
  ] as const) {
    it(`${mode}: stopped by --max-requests, --resume gives the same file byte for byte`, async () => {
      // A fresh simulator each time: a hidden offset is the API's state, not tkf's.
      const fresh = await startSimulator({ token: TOKEN, users });
      const straight = await startSimulator({ token: TOKEN, users });
      try {
        await withTempDir(async (dir) => {
          const out = join(dir, 'f.csv');
          const stopped = await runTkfInProcess(['export', '--uid', uid, '--out', out, '--max-requests', String(budget)], { env: env(fresh) });
          expect(stopped.code).toBe(8);
          const resumed = await runTkfInProcess(['export', '--uid', uid, '--out', out, '--resume', '--json'], { env: env(fresh) });
          expect(resumed.code).toBe(0);
          const whole = join(dir, 'whole.csv');
          const once = await runTkfInProcess(['export', '--uid', uid, '--out', whole, '--json'], { env: env(straight) });
          expect(once.code).toBe(0);
          expect((await readFile(out)).equals(await readFile(whole))).toBe(true); // Buffer.equals: toEqual walks a Buffer byte by byte
          expect(JSON.parse(resumed.stdout).incomplete_seconds).toEqual(JSON.parse(once.stdout).incomplete_seconds);
        });
      } finally {
        await Promise.all([fresh.close(), straight.close()]);
      }
    });
  }
});

describe('an envelope in drifted types', () => {
  it('has_more 1/0, "code":"200" and numbers as strings: every follower, the same file as the strict API gives', async () => {
    await withTempDir(async (dir) => {
      const loose = join(dir, 'loose.jsonl');
      const result = await runTkfInProcess(['export', '--uid', LOOSE, '--out', loose, '--json'], { env: env() });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ rows: 200, end: 'complete', total: 200 });
      expect(await readFile(loose, 'utf8')).toBe(jsonl(LOOSE, range(0, 200)));
    });
  });
});

describe('many exports at once', () => {
  it('--concurrency 64 prints no MaxListenersExceededWarning', async () => {
    await withTempDir(async (dir) => {
      const uidsFile = join(dir, 'uids.txt');
      // 64 accounts: the simulator's unknown uids answer "no such user" at once, so 64 walks run together.
      await writeFile(uidsFile, [PLAIN, ...range(0, 63).map((k) => String(9000 + k))].join('\n'));
      const slow = await startSimulator({ token: TOKEN, users, latencyMs: 100 });
      try {
        const result = await runTkfInProcess(['export', '--uids-file', uidsFile, '--out', join(dir, '{uid}.csv'), '--concurrency', '64'], { env: env(slow) });
        expect(result.code).toBe(9);
        expect(result.stderr).toMatch(/4444444444444444447: exported 200 followers/);
        expect(result.stderr).not.toMatch(/MaxListenersExceededWarning|memory leak/);
      } finally {
        await slow.close();
      }
    });
  });
});
