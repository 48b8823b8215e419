/**
 * The progress display through the built binary: the bar on a terminal (a pseudo-terminal made by
 * `script`), the plain lines without one, and each bar of a batch. Only what cannot depend on the
 * machine's speed is asserted here (the final frame, goals never the profile's count, no ANSI off
 * a terminal, the summary lines); what the frames in between show (the bar moves, the ETA reads
 * seconds, the rate counts only this run's rows, each user's bar) is proved frame by frame on a
 * fake clock in test/cli/progress-frames.test.ts. The binary is spawned for what needs a terminal;
 * the runs without one are in process (runTkfInProcess: the same command line and exit code).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { runTkfInProcess } from '../helpers/run-cli.js';
import { ANSI, runTkf, withTempDir } from './run-tkf.js';

/** What a terminal showed: every redraw of the line, ANSI codes removed. */
function frames(output: string): string[] {
  return output
    .replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '\n')
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter(Boolean);
}

describe('the bar on a terminal', () => {
  it('aims at what the API will serve, as tkf info estimates it, and ends full', async () => {
    const info = await runTkfInProcess(['info', '--demo', '--json']);
    const estimate = JSON.parse(info.stdout) as { expected_followers: number; total: number };
    expect(estimate).toMatchObject({ expected_followers: 5000, total: 8_229_668 });
    await withTempDir(async (dir) => {
      const result = await runTkf(['export', '--demo', '--out', join(dir, 'f.csv')], { tty: true });
      expect(result.code).toBe(0);
      const bars = frames(result.stdout).filter((line) => /followers \| [\d,]+\/s/.test(line));
      // Whatever frames a busy machine found time to draw, every goal shown is what the API serves.
      const goals = new Set(bars.flatMap((line) => /[\d,]+\/([\d,]+) followers/.exec(line)?.[1] ?? []));
      expect(goals).toEqual(new Set(['5,000']));
      expect(result.stdout).not.toMatch(/\/8,229,668/);
      // The last frame, drawn when the bar stops, is full.
      expect(bars.at(-1)).toMatch(/^█+ 5,000\/5,000 followers \| [\d,]+\/s \| ETA 0 s \| 251 requests \| 8,229,668 on the profile/);
      expect(result.stdout).toMatch(/exported 5,000 of 8,229,668 followers: the API serves no more/);
    });
  });
});

describe('where no goal is known', () => {
  it('--update shows a spinner with counts, not a bar', async () => {
    const UID = '1000000000000000003';
    // Earlier, the profile counted the 100 followers it had then (300 would make that list short: exit 10).
    const before = await startSimulator({ token: 't', users: { [UID]: { size: 300, total: 100, notYetFollowed: 200 } } });
    const after = await startSimulator({ token: 't', users: { [UID]: { size: 300, total: 300 } } });
    try {
      await withTempDir(async (dir) => {
        const out = join(dir, 'f.csv');
        const first = await runTkfInProcess(['export', '--uid', UID, '--out', out], { env: { TKF_TOKEN: 't', TKF_BASE_URL: before.url } });
        expect(first.code).toBe(0);
        const update = await runTkf(['export', '--uid', UID, '--out', out, '--update'], { env: { TKF_TOKEN: 't', TKF_BASE_URL: after.url }, tty: true });
        expect(update.code).toBe(0);
        // Never a bar towards a goal: the spinner frames themselves are checked on a fake clock.
        expect(frames(update.stdout).filter((line) => /[\d,]+\/[\d,]+ followers/.test(line))).toEqual([]);
        expect(update.stdout).toMatch(/added 200 new followers on top of 100/);
      });
    } finally {
      await Promise.all([before.close(), after.close()]);
    }
  });
});

describe('plain lines off a terminal', () => {
  it('after --resume, count only the rows and requests of this run', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.csv');
      const first = await runTkfInProcess(['export', '--demo', '--out', out, '--max-requests', '100']);
      expect(first.code).toBe(8);
      const resumed = await runTkfInProcess(['export', '--demo', '--out', out, '--resume']);
      expect(resumed.code).toBe(0);
      expect(resumed.stderr).not.toMatch(ANSI);
      // A line every 5 s: a fast run may print none; those printed count this run only (their
      // rate is checked on a fake clock, where it cannot depend on the machine's speed).
      const lines = resumed.stderr.split('\n').filter((line) => / of 5,000 followers/.test(line));
      for (const line of lines) {
        const match = /^tkf: ([\d,]+) of 5,000 followers \(2,000 resumed, 8,229,668 on the profile\), ([\d,]+) requests this run, ([\d,]+) followers\/s, about (\d+) s left$/.exec(line);
        expect(match, line).not.toBeNull();
        const [rows, requests] = match!.slice(1, 3).map((n) => Number(n.replaceAll(',', '')));
        expect(requests).toBeLessThanOrEqual(150);
        expect(rows! - 2000).toBeLessThanOrEqual(requests! * 20);
      }
      // 151 pages and the depth cap's answer, plus the re-entry of the resumed cursor's second.
      expect(resumed.stderr).toMatch(/exported 5,000 of 8,229,668 followers: the API serves no more .*; 152 requests this run \(252 in all\)/);
    });
  });
});

describe('each bar of a batch', () => {
  const CAPPED = '1000000000000000001';
  const SMALL = '1000000000000000002';
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      token: 't',
      // A cap at 2,600: over half the 5,000 expected (a cap far below that is a list cut short, exit 10).
      users: { [CAPPED]: { size: 2600, total: 1_000_000, cap: 2600 }, [SMALL]: { size: 240, total: 240 } },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('aims at what the API will serve for that user, and ends full where the list ended', async () => {
    await withTempDir(async (dir) => {
      const result = await runTkf(['export', '--uids-file', '-', '--out', join(dir, '{uid}.csv')], {
        env: { TKF_TOKEN: 't', TKF_BASE_URL: sim.url },
        input: `${CAPPED}\n${SMALL}\n`,
        tty: true,
      });
      expect(result.code).toBe(0);
      const shown = frames(result.stdout);
      const goalsOf = (uid: string) =>
        new Set(shown.flatMap((line) => [...line.matchAll(new RegExp(`${uid} \\S+ [\\d,]+/([\\d,]+) followers`, 'g'))].map((m) => m[1])));
      // Whichever frames were drawn (a fast run may clear a bar before drawing it), the capped
      // list aims at 5,000 until it ends at 2,600, never at the profile's million.
      expect([...goalsOf(CAPPED)].filter((goal) => goal !== '5,000' && goal !== '2,600')).toEqual([]);
      expect([...goalsOf(SMALL)].filter((goal) => goal !== '240')).toEqual([]);
      expect(result.stdout).not.toMatch(/\/1,000,000 followers/);
      expect(result.stdout).toMatch(new RegExp(`${CAPPED}: exported 2,600 of 1,000,000 followers`));
    });
  });
});
