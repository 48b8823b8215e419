/**
 * The run's one pace across every worker, in process on a virtual clock: the batch of
 * test/e2e/batch-run.test.ts ("one pace for the run"), with the run's governor, the clients'
 * waits and the simulator's rate window all reading one clock that moves only when every worker
 * is waiting and no request is in flight. What those tests measured in wall time on a shared
 * machine (the busiest second, the share of 429s) is counted here, the same on any machine.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/api/client.js';
import { RunGovernor } from '../../src/api/run-governor.js';
import { exitCodeOf, runBatch } from '../../src/export/run-batch.js';
import { generatedUsers } from '../../src/simulator/built-in-users.js';
import { startSimulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { exportInProcess } from '../helpers/in-process-export.js';
import { withTempDir } from '../helpers/temp-dir.js';
import type { StopSignal } from '../../src/stop-signal.js';

const TOKEN = 'tkn-PACE-1';
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A clock for the whole run. sleep() queues the sleeper; a pump wakes the earliest one, moving the
 * clock (and Date, which the simulator's rate window reads) to its time, only once every busy
 * worker is asleep (busy(): the workers that have an account to walk) and no request is in
 * flight. A worker writing its file or starting its next account is neither, so the clock waits
 * for it however slow the machine: the order of requests and sleeps on this clock is the same on
 * any machine. (It used to move after a few quiet turns of the event loop, which a loaded machine
 * could outlast: 12 of 108 answers 429 instead of under 10 in one run.)
 */
function virtualClock(start: number, busy: () => number) {
  const clock = { t: start, inFlight: 0 };
  const sleepers: Array<{ until: number; wake: () => void }> = [];
  let pumping = false;
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(start);
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    while (sleepers.length) {
      // A few turns of the event loop for answers being parsed and sleeps being queued, then until
      // every busy worker sleeps: only then does the earliest sleeper wake.
      for (let turns = 0; turns < 3 || clock.inFlight > 0 || sleepers.length < busy(); turns++) await nextTurn();
      sleepers.sort((a, b) => a.until - b.until);
      const next = sleepers.shift()!;
      clock.t = Math.max(clock.t, next.until);
      vi.setSystemTime(clock.t);
      next.wake();
    }
    pumping = false;
  };
  const sleep = (ms: number, signal?: StopSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      sleepers.push({ until: clock.t + Math.max(0, ms), wake: resolve });
      void pump();
    });
  return { clock, now: () => clock.t, sleep };
}

afterEach(() => {
  vi.useRealTimers();
});

/** A batch over `count` generated users of `size` followers, every client on the virtual clock. */
async function paceRun(count: number, size: number, options: SimulatorOptions, run: { concurrency: number; rate?: number }) {
  const users = generatedUsers(count, size);
  const sim = await startSimulator({ token: TOKEN, users, ...options });
  // Every worker has an account to walk until fewer accounts than workers are left unfinished.
  let unfinished = count;
  const virtual = virtualClock(1_700_000_000_000, () => Math.min(run.concurrency, unfinished));
  const governor = new RunGovernor({ rate: run.rate, now: virtual.now, sleep: virtual.sleep });
  // Requests start when the governor lets them; they end with accept() or throttle().
  const starts: number[] = [];
  const acquire = governor.acquire.bind(governor);
  governor.acquire = async (signal?: StopSignal) => {
    const at = await acquire(signal);
    virtual.clock.inFlight++;
    starts.push(at);
    return at;
  };
  for (const method of ['accept', 'throttle'] as const) {
    const original = (governor[method] as (...args: unknown[]) => void).bind(governor);
    (governor as unknown as Record<string, (...args: unknown[]) => void>)[method] = (...args) => {
      virtual.clock.inFlight--;
      original(...args);
    };
  }
  try {
    return await withTempDir(async (dir) => {
      const batch = await runBatch({
        uids: Object.keys(users),
        concurrency: run.concurrency,
        governor,
        signal: new AbortController().signal,
        now: virtual.now,
        exportAccount: async (uid) => {
          const client = createClient({ baseUrl: sim.url, token: TOKEN, governor, sleep: virtual.sleep, retries: 5, retryBaseMs: 100 });
          try {
            const result = await exportInProcess(sim, uid, join(dir, `${uid}.jsonl`), { deps: { client } });
            return { uid, complete: true, rows: result.rows, requests: client.requests, exit_code: 0 };
          } catch (error) {
            return { uid, complete: false, rows: 0, requests: client.requests, exit_code: exitCodeOf(error), cause: error };
          } finally {
            unfinished--;
          }
        },
      });
      return { batch, starts, stats: sim.stats };
    });
  } finally {
    await sim.close();
  }
}

describe('one pace for the run', () => {
  it('an API limit of 25 requests a second at concurrency 8, no --rate: every account completes, under 1 in 10 answered 429', async () => {
    const { batch, stats } = await paceRun(40, 60, { rateLimit: 25 }, { concurrency: 8 });
    expect(batch.totals.complete).toBe(40);
    const answers = stats.answers!;
    expect(answers.ok).toBe(120);
    expect(answers.throttled ?? 0).toBeGreaterThan(0); // the limit was met, and learned
    expect((answers.throttled ?? 0) / stats.requests).toBeLessThan(0.1);
    expect(batch.totals.throttled).toBe(answers.throttled ?? 0);
  });

  it('one export under the simulator\'s --rate-limit 50: every follower, under 1 in 10 answered 429', async () => {
    // Moved from governor-pacing.test.ts, where it ran in wall time.
    const { batch, stats } = await paceRun(1, 3000, { rateLimit: 50 }, { concurrency: 1 });
    expect(batch.totals.complete).toBe(1);
    const answers = stats.answers!;
    expect(answers.ok).toBe(150);
    expect(answers.throttled ?? 0).toBeGreaterThan(0); // the limit was met, and learned
    expect((answers.throttled ?? 0) / stats.requests).toBeLessThan(0.1);
  });

  it('--rate 10 holds across every account and worker: no second of the run sees more than 10 requests', async () => {
    const { batch, starts, stats } = await paceRun(10, 40, {}, { concurrency: 8, rate: 10 });
    expect(batch.totals.complete).toBe(10);
    expect(stats.requests).toBe(20);
    const times = [...starts].sort((a, b) => a - b);
    const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));
    expect(busiest).toBeLessThanOrEqual(10);
    // 20 requests at 10 a second: the last starts 1.9 s after the first.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(1900);
  });
});
