/**
 * The progress display's arithmetic, with a hand-driven clock: the goal is what the API will
 * serve, and the rate and the ETA count only this run's rows.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DEPTH_CAP, estimateRequests, expectedFollowers, expectedRows } from '../../src/api/list-facts.js';
import { createBatchProgress, createProgress } from '../../src/cli/progress.js';
import { RateMeter, barLine, formatEta, plainLine, viewOf } from '../../src/cli/progress-view.js';

describe('expectedRows: the goal of the bar', () => {
  it('is the profile count cut at the depth cap while the walk is young', () => {
    expect(expectedRows({ rows: 0, total: 8_229_668 })).toBe(DEPTH_CAP);
    expect(expectedRows({ rows: 100, total: 230 })).toBe(230);
    expect(expectedRows({ rows: 100, total: 8_229_668, limit: 1000 })).toBe(1000);
  });
  it('is corrected as the walk goes: unknown past the estimate, what it got once it ends', () => {
    expect(expectedRows({ rows: 5020, total: 8_229_668 })).toBeUndefined();
    expect(expectedRows({ rows: 4870, total: 8_229_668, done: true })).toBe(4870);
    expect(expectedRows({ rows: 40, total: 230, done: true })).toBe(40);
  });
  it('is unknown without a total, and for an --update', () => {
    expect(expectedRows({ rows: 10, total: undefined })).toBeUndefined();
    expect(expectedRows({ rows: 10, total: 230, open: true })).toBeUndefined();
    expect(expectedRows({ rows: 10, total: 230, open: true, done: true })).toBeUndefined();
  });
  it('agrees with the request estimate of tkf info', () => {
    const total = 8_229_668;
    expect(estimateRequests(total).served).toBe(Math.ceil(expectedFollowers(total) / 20) + 1);
    expect(estimateRequests(0)).toEqual({ all: 1, served: 1 });
  });
});

describe('the rate and the ETA', () => {
  it('count only the rows of this run', () => {
    // Resumed at 2,000 rows; this run fetched 1,000 in 10 s: 100/s, 2,000 left of 5,000, 20 s.
    const view = viewOf({ rows: 3000, requests: 150, total: 8_229_668, runRows: 1000, runRequests: 50 }, 100);
    expect(view).toMatchObject({ goal: 5000, rate: 100, etaMs: 20_000, resumedRows: 2000, requests: 50 });
    expect(plainLine(view)).toBe('3,000 of 5,000 followers (2,000 resumed, 8,229,668 on the profile), 50 requests this run, 100 followers/s, about 20 s left');
  });
  it('are measured from the first page on, once a second has passed', () => {
    const meter = new RateMeter(0);
    // 3 s to start up and get the first page: 20 rows / 3 s.
    expect(meter.rate({ rows: 20, requests: 1, total: 100 }, 3000)).toBeCloseTo(20 / 3);
    expect(meter.rate({ rows: 40, requests: 2, total: 100 }, 3500)).toBeCloseTo(40 / 3.5);
    // From the first page: 80 rows in 2 s.
    expect(meter.rate({ rows: 100, requests: 5, total: 100 }, 5000)).toBe(40);
    // A resumed run counts from its own rows.
    const resumed = new RateMeter(0);
    resumed.rate({ rows: 2020, requests: 101, total: 100, runRows: 20 }, 500);
    expect(resumed.rate({ rows: 2220, requests: 111, total: 100, runRows: 220 }, 2500)).toBe(100);
  });
  it('reads seconds for the demo account, not hours', () => {
    const view = viewOf({ rows: 1000, requests: 50, total: 8_229_668 }, 290);
    expect(formatEta(view.etaMs)).toBe('14 s');
    expect(formatEta(75_000)).toBe('1 min 15 s');
    expect(formatEta(undefined)).toBe('--');
    // Before a rate measured from the first page on, no ETA is guessed.
    expect(viewOf({ rows: 20, requests: 1, total: 8_229_668 }, 40, false).etaMs).toBeUndefined();
  });
});

describe('the terminal line', () => {
  it('is a bar towards the goal, the profile count as a note', () => {
    const line = barLine(viewOf({ rows: 2500, requests: 125, total: 8_229_668 }, 500), { barsize: 10, now: 0, status: '' });
    expect(line).toBe('█████░░░░░ 2,500/5,000 followers | 500/s | ETA 5 s | 125 requests | 8,229,668 on the profile');
  });
  it('is a spinner with counts where no goal is known', () => {
    const line = barLine(viewOf({ rows: 5020, requests: 252, total: 8_229_668 }, 500), { barsize: 10, now: 0, status: 'HTTP 503; retry 1/5' });
    expect(line).toBe('⠋ 5,020 followers | 500/s | 252 requests | HTTP 503; retry 1/5 | 8,229,668 on the profile');
    expect(barLine(viewOf({ rows: 7, requests: 1, total: 9, goal: null }, 7), { barsize: 10, now: 80, status: '' })).toMatch(/^⠙ 7 followers/);
  });
});

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('plain lines off a terminal', () => {
  it('say the goal, this run\'s requests and rate, at most one a interval', async () => {
    let now = 0;
    const out = capture();
    const progress = await createProgress({ stream: out.stream, tty: false, quiet: false, intervalMs: 5000, now: () => now });
    progress.start('exporting');
    now = 1000;
    progress.update({ rows: 2020, requests: 101, total: 8_229_668, runRows: 20, runRequests: 1 });
    now = 3000;
    progress.update({ rows: 2420, requests: 121, total: 8_229_668, runRows: 420, runRequests: 21 });
    now = 6000;
    progress.update({ rows: 3020, requests: 151, total: 8_229_668, runRows: 1020, runRequests: 51 });
    expect(out.text()).toBe(
      'tkf: exporting\n' +
        'tkf: 3,020 of 5,000 followers (2,000 resumed, 8,229,668 on the profile), 51 requests this run, 200 followers/s, about 10 s left\n',
    );
    expect(out.text()).not.toMatch(/\x1b\[/);
  });
  it('tag each user of a batch, worked out the same way', async () => {
    let now = 0;
    const out = capture();
    const batch = await createBatchProgress({ stream: out.stream, tty: false, quiet: false, intervalMs: 1000, now: () => now });
    const user = batch.user('42');
    user.start('starting');
    now = 500;
    user.update({ rows: 20, requests: 1, total: 300 });
    now = 2500;
    user.update({ rows: 220, requests: 11, total: 300 });
    // No "starting" line per user off a terminal: a night's log has each user's result line.
    expect(out.text()).toBe('tkf: 42: 220 of 300 followers, 11 requests, 100 followers/s, about 1 s left\n');
  });
});
