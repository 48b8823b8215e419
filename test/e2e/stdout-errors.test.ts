/**
 * [issue 21] The real binary with a stdout that fails: /dev/full as stdout (ENOSPC at the first
 * write, as a full disk behind `> file`) is exit 7 with one line for every command that writes
 * there; a reader that goes away (EPIPE) stays a quiet exit 0. And SIGTERM's line names SIGTERM.
 * Spawned because only a real process has a real stdout and real signals.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { startRequestGate } from '../helpers/request-gate.js';
import { BIN, baseEnv, runTkf, withTempDir } from './run-tkf.js';

const TOKEN = 'tkn-STDOUT-ERRORS-21';
const UID = '6400000000000000001';
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, users: { [UID]: { size: 60 } } });
});
afterAll(async () => sim.close());
const env = () => ({ TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url });

/** Runs tkf with /dev/full as its stdout; resolves with the exit code and stderr. */
async function toDevFull(args: string[], cwd?: string): Promise<{ code: number | null; stderr: string }> {
  const full = await open('/dev/full', 'w');
  try {
    const child = spawn(process.execPath, [BIN, ...args], { env: baseEnv(env()), cwd, stdio: ['ignore', full.fd, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c) => resolve(c));
    });
    return { code, stderr };
  } finally {
    await full.close();
  }
}

const ONE_LINE = 'tkf: cannot write to stdout: no space left on the device (ENOSPC)';

describe.skipIf(!existsSync('/dev/full'))('stdout is /dev/full', () => {
  it('tkf info --json: exit 7 and one line (was exit 0, the output lost)', async () => {
    const result = await toDevFull(['info', '--uid', UID, '--json']);
    expect(result.code).toBe(7);
    expect(result.stderr).toBe(`${ONE_LINE}\n`);
  });

  it('tkf export --out -: exit 7 and one line (was exit 1, "internal error: ENOSPC")', async () => {
    const result = await toDevFull(['export', '--uid', UID, '--out', '-', '-q']);
    expect(result.code).toBe(7);
    expect(result.stderr).toBe(`${ONE_LINE}\n`);
  });

  it('--json after a complete file, and tkf diff --json: exit 7 and one line each', async () => {
    await withTempDir(async (dir) => {
      const a = join(dir, 'a.csv');
      const result = await toDevFull(['export', '--uid', UID, '--out', a, '--json', '-q']);
      expect(result.code).toBe(7);
      expect(result.stderr).toBe(`${ONE_LINE}; the export itself is complete: ${a}\n`);
      const diff = await toDevFull(['diff', a, a, '--json', '-q']);
      expect(diff.code).toBe(7);
      expect(diff.stderr).toBe(`${ONE_LINE}\n`);
    });
  });

  it('tkf history changes (its rows on stdout): exit 7 and one line (was exit 1, "internal error: ENOSPC")', async () => {
    await withTempDir(async (dir) => {
      const db = join(dir, 'h.sqlite');
      const recorded = await runTkf(['export', '--uid', UID, '--db', db, '-q'], { env: env(), cwd: dir });
      expect(recorded.code, recorded.stderr).toBe(0);
      for (const format of ['csv', 'jsonl']) {
        const result = await toDevFull(['history', 'changes', '--db', db, '--uid', UID, '--format', format]);
        expect(result.code, format).toBe(7);
        expect(result.stderr, format).toBe(`${ONE_LINE}\n`);
      }
    });
  });
});

describe('a reader that goes away', () => {
  it('tkf info --json | (closed at once): exit 0, nothing said, as for export', async () => {
    const result = await runTkf(['info', '--uid', UID, '--json'], { env: env(), onSpawn: (child) => child.stdout!.destroy() });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});

describe('SIGTERM', () => {
  it('says to send SIGTERM again (not "press Ctrl-C"), and exits 143', async () => {
    await withTempDir(async (dir) => {
      // Two answers pass, the third request is held: the signal finds tkf mid-list, waiting on the
      // API, at a point counted in requests (it was sent on a 10 ms poll, racing a slow simulator).
      const gate = await startRequestGate(sim.url, 3);
      const result = await runTkf(['export', '--uid', UID, '--out', join(dir, 'a.csv')], {
        env: { TKF_TOKEN: TOKEN, TKF_BASE_URL: gate.url },
        onSpawn: (child) => void gate.held.then(() => child.kill('SIGTERM')),
      }).finally(() => gate.close());
      expect(result.code).toBe(143);
      expect(result.stderr).toContain('stopping after the page in hand (send SIGTERM again to quit at once)');
      expect(result.stderr).not.toContain('Ctrl-C');
    });
  });
});
