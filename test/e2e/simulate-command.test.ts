/**
 * `tkf simulate` with the options a batch user tries: generated accounts written to a uids file,
 * a quota, a rate limit, a request log, and the count of answers printed when it stops.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTkf, withTempDir } from './run-tkf.js';
import { runTkfInProcess } from '../helpers/run-cli.js';

describe('tkf simulate for batch runs', () => {
  it('serves generated accounts with a quota and a log, and says what it answered when stopped', async () => {
    await withTempDir(async (dir) => {
      let exported: Awaited<ReturnType<typeof runTkf>> | undefined;
      const sim = await runTkf(
        ['simulate', '--port', '0', '--accounts', '3', '--account-size', '40', '--accounts-file', 'uids.txt', '--quota', '4', '--rate-limit', '100', '--log', 'requests.jsonl'],
        {
          cwd: dir,
          onSpawn: (child) => {
            let out = '';
            child.stdout!.on('data', async (chunk: Buffer) => {
              out += chunk.toString();
              const url = /^(http:\/\/\S+)\n/.exec(out)?.[1];
              if (!url || exported) return;
              exported = await runTkf(['export', '--uids-file', 'uids.txt', '--out', '{uid}.jsonl', '--concurrency', '1', '--json'], {
                cwd: dir,
                env: { TKF_TOKEN: 'sim-token', TKF_BASE_URL: url },
              });
              child.kill('SIGINT');
            });
          },
        },
      );
      expect((await readFile(join(dir, 'uids.txt'), 'utf8')).trim().split('\n')).toEqual([
        '7200000000000000001',
        '7200000000000000002',
        '7200000000000000003',
      ]);
      // 3 accounts x 2 pages, a quota of 4: two accounts complete, the third is refused (exit 5).
      expect(exported!.code).toBe(5);
      expect(JSON.parse(exported!.stdout).totals).toMatchObject({ complete: 2, requests: 5 });
      expect(sim.stderr).toMatch(/the simulator answered 5 requests \(ok 4, quota 1\)/);
      const log = (await readFile(join(dir, 'requests.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
      expect(log.map((entry) => entry.answer)).toEqual(['ok', 'ok', 'ok', 'ok', 'quota']);
      expect(log[0]).toMatchObject({ uid: '7200000000000000001', cursor: '0' });
    });
  });

  it('stops when the signal came while it was starting (a script that kills it right after starting it), and writes the uids file whole', async () => {
    await withTempDir(async (dir) => {
      const stop = new AbortController();
      stop.abort();
      const sim = await runTkfInProcess(['simulate', '--port', '0', '--accounts', '500', '--accounts-file', 'uids.txt'], { cwd: dir, signal: stop.signal });
      expect(sim.code).toBe(0);
      expect(sim.stderr).toMatch(/the simulator answered 0 requests\n$/);
      expect((await readFile(join(dir, 'uids.txt'), 'utf8')).trim().split('\n')).toHaveLength(500);
      expect(await readdir(dir)).toEqual(['uids.txt']);
    });
  });

  it('names its default token, and never one given with --token (a user may hand it the real one)', async () => {
    for (const [extra, shown, hidden] of [
      [[], 'token: sim-token', undefined],
      [['--token', 'tok-SECRET-42'], 'token: the one given with --token', 'tok-SECRET-42'],
    ] as const) {
      const sim = await runTkf(['simulate', '--port', '0', ...extra], {
        onSpawn: (child) => child.stdout!.once('data', () => setTimeout(() => child.kill('SIGINT'), 50)),
      });
      expect(sim.stderr).toContain(shown);
      if (hidden) expect(sim.stdout + sim.stderr).not.toContain(hidden);
    }
  });
});
