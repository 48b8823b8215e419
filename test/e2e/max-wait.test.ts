/**
 * [issue 18.7] tkf against a simulator whose 429s never end: with --max-wait 1 it
 * stops with exit 8 (documented: stopped early, resumable), keeps the checkpoint of the pages it
 * had, and prints the command that resumes it; `--help` documents --max-wait. In process (tkf():
 * createProgram through runCli, the exit code main() exits with).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { runTkfInProcess as tkf } from '../helpers/run-cli.js';
import { withTempDir } from './run-tkf.js';

const TOKEN = 'tkn-max-wait-e2e';
const UID = '6754915036232582149';

let sim: Simulator;
beforeAll(async () => {
  // Two pages, then "too many requests" for ever.
  const schedule = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [i + 3, '429' as const]));
  sim = await startSimulator({ token: TOKEN, faults: { schedule, retryAfter: '1' } });
});
afterAll(async () => {
  await sim.close();
});

describe('tkf export --max-wait', () => {
  it('stops a run throttled for longer with exit 8, the checkpoint kept and the resume command printed', async () => {
    await withTempDir(async (dir) => {
      const run = await tkf(['export', '--uid', UID, '--out', 'f.csv', '--max-wait', '1'], {
        cwd: dir,
        env: { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url },
      });
      expect(run.code).toBe(8);
      expect(run.stderr).toMatch(/too many requests.*--max-wait 1 s/);
      expect(run.stderr).toMatch(/resume with: .*--resume/);
      expect(run.stderr).not.toContain(TOKEN);
      expect(existsSync(join(dir, 'f.csv.part.json'))).toBe(true);
      expect(existsSync(join(dir, 'f.csv'))).toBe(false);
    });
  });

  it('is documented in --help, with exit 8', async () => {
    const help = await tkf(['export', '--help']);
    expect(help.stdout).toMatch(/--max-wait <seconds>[\s\S]*\(default: 600\)/);
    expect(help.stdout).toMatch(/8 +stopped early \(--max-requests, or throttled for longer than --max-wait\)/);
  });
});
