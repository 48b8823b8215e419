/**
 * [issue 21] The progress ETA accounts for waits: while the run waits (a 429's pause, a retry's
 * backoff) no page comes, so what is left of the wait is part of the time left. Before, the ETA
 * shown during a wait was the one before it, minutes off on a throttling API.
 */
import { describe, expect, test } from 'vitest';
import { barLine, plainLine, viewOf } from '../../src/cli/progress-view.js';

const update = { rows: 1000, requests: 50, total: 5000, goal: 5000 };

describe('the ETA during a wait', () => {
  test('adds what is left of the wait to the time the rows left take at the measured rate', () => {
    // 4,000 rows left at 400 rows a second: 10 s; with 25 s of a pause left: 35 s.
    expect(viewOf(update, 400).etaMs).toBe(10_000);
    expect(viewOf(update, 400, true, 25_000).etaMs).toBe(35_000);
    expect(barLine(viewOf(update, 400, true, 25_000), { barsize: 10, now: 0, status: 'HTTP 429' })).toContain('ETA 35 s');
    expect(plainLine(viewOf(update, 400, true, 25_000))).toContain('about 35 s left');
  });

  test('no wait, no change; and a finished list has nothing left whatever the wait', () => {
    expect(viewOf(update, 400, true, 0).etaMs).toBe(10_000);
    expect(viewOf({ ...update, rows: 5000 }, 400, true, 25_000).etaMs).toBe(0);
  });
});
