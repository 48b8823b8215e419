/**
 * [issue 18.4] In a batch, a gateway's own answer (HTTP 200, `{"error":"upstream connect error"}`,
 * no `code`) failed as a refusal of the token: exit 5, and every account of the run stopped. Now
 * the account it hit fails with exit 6 after its retries, the others complete, and the batch
 * ends with exit 9 (some users failed), not 5. In process (tkf(): createProgram through runCli,
 * the exit code main() exits with).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { runTkfInProcess as tkf } from '../helpers/run-cli.js';
import { withTempDir } from './run-tkf.js';

const TOKEN = 'tkn-gateway-batch';
const UIDS = ['7300000000000000001', '7300000000000000002', '7300000000000000003'];

let sim: Simulator;
beforeAll(async () => {
  // The first account asked meets the gateway on its first request and on its one retry.
  sim = await startSimulator({
    token: TOKEN,
    users: Object.fromEntries(UIDS.map((uid) => [uid, { size: 30 }])),
    faults: { schedule: { 1: 'gateway', 2: 'gateway' } },
  });
});
afterAll(async () => {
  await sim.close();
});

describe('a batch behind a gateway that fails for one account', () => {
  it('fails that account with exit 6 and finishes the others: exit 9, not 5', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'uids.txt'), `${UIDS.join('\n')}\n`);
      const run = await tkf(
        ['export', '--uids-file', 'uids.txt', '--out', '{uid}.csv', '--concurrency', '1', '--retries', '1', '--backoff', '1', '--json'],
        { cwd: dir, env: { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url } },
      );
      expect(run.code).toBe(9);
      const report = JSON.parse(run.stdout) as { users: Array<{ uid: string; state: string; exit_code: number; rows: number; error?: string }> };
      const states = report.users.map((u) => [u.state, u.exit_code]);
      expect(states).toEqual([
        ['failed', 6],
        ['complete', 0],
        ['complete', 0],
      ]);
      expect(report.users[0]!.error).toMatch(/not the API's envelope.*upstream connect error/);
      expect(run.stderr).not.toMatch(/refused/);
      expect(report.users.slice(1).map((u) => u.rows)).toEqual([30, 30]);
      for (const uid of UIDS.slice(1)) expect(existsSync(join(dir, `${uid}.csv`))).toBe(true);
    });
  });
});
