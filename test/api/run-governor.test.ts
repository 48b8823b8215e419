import { describe, expect, test } from 'vitest';
import { RunGovernor, type GovernorOptions } from '../../src/api/run-governor.js';
import { ApiRefusedError, BudgetSpentError, OutputError, RunStoppedError } from '../../src/errors.js';
import { addNextStep } from '../../src/cli/failure-hints.js';

/**
 * A governor on a fake clock: each sleep is queued with the time it ends, and the clock jumps to
 * the earliest one when the sleepers get their turn, so the test sees exactly when requests start.
 */
function governed(options: GovernorOptions = {}) {
  const clock = { t: 1_000_000 };
  const wake: number[] = [];
  const governor = new RunGovernor({
    ...options,
    now: () => clock.t,
    sleep: async (ms) => {
      wake.push(clock.t + ms);
      wake.sort((a, b) => a - b);
      await new Promise((resolve) => setImmediate(resolve));
      clock.t = Math.max(clock.t, wake.shift()!);
    },
  });
  return { governor, clock };
}

describe('RunGovernor', () => {
  test('--rate spaces the starts of every worker of the run evenly', async () => {
    const { governor, clock } = governed({ rate: 4 });
    const t0 = clock.t;
    const starts = await Promise.all(Array.from({ length: 8 }, () => governor.acquire()));
    expect(starts.map((t) => t - t0).sort((a, b) => a - b)).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750]);
    expect(governor.requests).toBe(8);
  });

  test('--delay is a minimum gap between any two requests of the run', async () => {
    const { governor, clock } = governed({ minIntervalMs: 200 });
    const t0 = clock.t;
    const starts = [];
    for (let i = 0; i < 3; i++) starts.push((await governor.acquire()) - t0);
    expect(starts).toEqual([0, 200, 400]);
  });

  test('--max-requests is the run: the n+1th acquire throws BudgetSpentError', async () => {
    const { governor } = governed({ maxRequests: 3 });
    await Promise.all([governor.acquire(), governor.acquire(), governor.acquire()]);
    await expect(governor.acquire()).rejects.toBeInstanceOf(BudgetSpentError);
    expect(governor.requests).toBe(3);
    expect(governor.stopped).toBe(true);
  });

  test('a 429 pauses every worker for the Retry-After and lowers the pace below what the API accepted', async () => {
    const { governor, clock } = governed();
    // Ten answers in the second before the 429 (the pace is measured over time, not at one instant).
    for (let i = 0; i < 10; i++) {
      governor.accept(await governor.acquire());
      clock.t += 100;
    }
    const sentAt = await governor.acquire();
    governor.throttle(1000, sentAt);
    const t0 = clock.t;
    const starts = await Promise.all(Array.from({ length: 3 }, () => governor.acquire()));
    expect(Math.min(...starts)).toBe(t0 + 1000);
    // 10 answers accepted in the last second: the pace becomes 8 a second, 125 ms apart.
    expect(governor.rate).toBe(8);
    expect(starts.map((t) => t - t0).sort((a, b) => a - b)).toEqual([1000, 1125, 1250]);
    // A 429 of a request sent before the pace dropped extends the pause but does not lower it again.
    governor.throttle(500, sentAt);
    expect(governor.rate).toBe(8);
    expect(governor.throttled).toBe(2);
  });

  test('a Retry-After shorter than --backoff is taken once, then grows as the backoff would; a longer one is taken as sent', async () => {
    const { governor } = governed({ retryBaseMs: 1000, maxWaitMs: 3_600_000 });
    const sentAt = await governor.acquire();
    expect([0, 1, 2, 3, 4].map((n) => governor.throttle(0, sentAt, n))).toEqual([0, 1000, 2000, 4000, 8000]);
    expect([0, 1, 2].map((n) => governor.throttle(300, sentAt, n))).toEqual([300, 1000, 2000]);
    expect([0, 1, 2].map((n) => governor.throttle(1500, sentAt, n))).toEqual([1500, 1500, 1500]);
    expect([0, 1, 2].map((n) => governor.throttle(undefined, sentAt, n))).toEqual([1000, 2000, 4000]);
  });

  test('a refused token stops the run: every later acquire throws with the same exit code', async () => {
    const { governor } = governed();
    await governor.acquire();
    governor.stop(new ApiRefusedError('the API refused the request (code 402): 余额不足', 402, '余额不足'));
    const error = await governor.acquire().catch((e) => e);
    expect(error).toBeInstanceOf(RunStoppedError);
    expect(error.exitCode).toBe(5);
    expect(error.message).toContain('余额不足');
    expect(governor.requests).toBe(1);
  });
});

describe("the run's stop, in the error's own words", () => {
  test("an account's next steps (the rows it saved, --resume) do not reach the run's reason: its last line says --resume once", () => {
    const { governor } = governed();
    const full = new OutputError('cannot write small/1.csv.part: no space left on the device (ENOSPC)');
    addNextStep(full, { savedRows: 320 });
    expect(full.message).toBe('cannot write small/1.csv.part: no space left on the device (ENOSPC); the 320 rows so far are saved: run the same command with --resume to go on');
    governor.stop(full);
    expect(governor.stoppedBy?.reason).toBe('cannot write small/1.csv.part: no space left on the device (ENOSPC)');
    expect(governor.stoppedBy?.exitCode).toBe(full.exitCode);
  });
});
