/**
 * A batch under a small open-file limit (`ulimit -n 64`, as containers and some services set it):
 * it runs fewer accounts at once, says so, and completes every one. At --concurrency 16 it failed
 * 21 of 40 accounts with EMFILE after their pages were paid for. And a limit too small for Node to
 * load tkf's modules is one sentence, not a stack. Linux (/proc, `ulimit` in sh); the binary is
 * spawned through sh so that the limit is its own.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { BIN, baseEnv, withTempDir } from './run-tkf.js';

const UIDS = Array.from({ length: 12 }, (_, i) => `71000000000000001${String(i).padStart(2, '0')}`);
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ token: 'sim-token', users: Object.fromEntries(UIDS.map((uid) => [uid, { size: 60 }])) });
});
afterAll(() => sim.close());

function underLimit(limit: number, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const quoted = args.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('sh', ['-c', `ulimit -n ${limit} && exec '${process.execPath}' '${BIN}' ${quoted}`], {
      cwd,
      env: baseEnv({ TKF_TOKEN: 'sim-token', TKF_BASE_URL: sim.url }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.runIf(process.platform === 'linux')('a small open-file limit', () => {
  it('a batch runs fewer accounts at once, says so, and completes every one', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'uids.txt'), `${UIDS.join('\n')}\n`);
      const run = await underLimit(64, ['export', '--uids-file', 'uids.txt', '--out', 'out/{uid}.csv', '--concurrency', '16', '--json'], dir);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/^tkf: \d+ users? at once, not 12: this process may open 64 files \(ulimit -n\) and each user at once may hold 11; raise the limit \(ulimit -n 1024\) to run more at once$/m);
      expect(JSON.parse(run.stdout).totals).toMatchObject({ complete: 12, failed: 0 });
      expect(run.stderr).not.toMatch(/EMFILE/);
      const quiet = await underLimit(64, ['export', '--uids-file', 'uids.txt', '--out', 'quiet/{uid}.csv', '--concurrency', '16', '--quiet'], dir);
      expect(quiet.code, quiet.stderr).toBe(0);
      expect(quiet.stderr).toBe('');
    });
  }, 60_000);

  it('too small for one user at a time: one sentence and exit 7 before any request (Node 20 cannot even load tkf there), never a stack', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'uids.txt'), `${UIDS.join('\n')}\n`);
      const before = sim.stats.requests;
      const run = await underLimit(40, ['export', '--uids-file', 'uids.txt', '--out', 'out/{uid}.csv'], dir);
      expect(run.code, run.stderr).toBe(7);
      expect(run.stderr).toMatch(
        /^tkf: (cannot start: too many open files while loading tkf \(EMFILE\); raise the limit with ulimit -n \(1024 is common\)|this process may open 40 files \(ulimit -n\), \d+ of them open already: one user at a time needs about 27 more; raise the limit \(ulimit -n 1024\))\n$/,
      );
      expect(sim.stats.requests).toBe(before);
    });
  }, 60_000);
});
