/**
 * Lost effort counts the answers the walk was given, not the requests that failed or were
 * throttled and retried: three 429s and two resets over a 60-follower list are no warning, while
 * the API repeating itself (min_time of the newest follower) still is.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/api/client.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { exportInProcess } from './helpers/in-process-export.js';
import { useTempDir } from './helpers/temp-dir.js';

const PLAIN = '5200000000000000001';
const dir = useTempDir('tkf-lost-effort-');
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({
    token: 'sim-token',
    users: { [PLAIN]: { size: 60, total: 60 } },
    // Requests 1-3 throttled, 4 and 5 reset: eight requests for three pages.
    faults: { schedule: { 1: '429', 2: '429', 3: '429', 4: 'reset', 5: 'reset' }, retryAfter: '0' },
  });
});
afterAll(async () => {
  await sim.close();
});

describe('lost effort and retries', () => {
  it('throttled and failed requests that were retried are not lost effort', async () => {
    const client = createClient({ baseUrl: sim.url, token: 'sim-token', retries: 3, retryBaseMs: 1 });
    const result = await exportInProcess(sim, PLAIN, join(dir.path, 'f.jsonl'), { deps: { client } });
    expect(result.rows).toBe(60);
    expect(client.requests).toBeGreaterThan(2 * 3); // over twice the 3 pages needed, all retries
    expect(result.lostEffort).toBeUndefined();
  });
});
