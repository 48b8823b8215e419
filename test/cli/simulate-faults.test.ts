/**
 * The simulator's fault modes of issues 18 and 21 are documented in `tkf simulate --help`, and
 * --fault-at refuses what it cannot read (exit 2), in process through createProgram.
 */
import { describe, expect, test } from 'vitest';
import { runTkfInProcess } from '../helpers/run-cli.js';

/** `tkf ...args` in process (the suite's one runner); `controller` ends a running `tkf simulate`. */
const run = (args: string[], controller = new AbortController(), onStdout?: (text: string) => void) =>
  runTkfInProcess(args, { signal: controller.signal, onStdout });

describe('tkf simulate --help', () => {
  test('documents the gateway, endless and duplicate-keys faults, --fault-at, --fault-run and --retry-after', async () => {
    const { stdout } = await run(['simulate', '--help']);
    for (const text of ['gateway', 'endless', 'duplicate-keys', '--fault-at <n:kind,...>', '--fault-run <n>', '--retry-after <value>', 'a 429 that never ends']) {
      expect(stdout).toContain(text);
    }
  });

  test.each([['1:teapot'], ['0:429'], ['1-429']])('--fault-at %s is refused with the form it takes', async (value) => {
    const { stderr, code } = await run(['simulate', '--port', '0', '--fault-at', value]);
    expect(code).toBe(2); // a usage error (commander's), as main() exits with it
    expect(stderr).toContain('--fault-at takes N:KIND pairs');
  });
});

describe('tkf simulate --ties', () => {
  test.each([['9:59,38:49'], ['300:30,0:301']])('%s: runs that share followers are refused (each follower is in one second)', async (value) => {
    const { stderr, code } = await run(['simulate', '--port', '0', '--ties', value]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--ties: the run at #\d+ overlaps the one before it/);
  });
});

describe('tkf simulate --fault-at', () => {
  test('fails exactly the requests named, the way named (here: a gateway, then the Retry-After of a 429)', async () => {
    const controller = new AbortController();
    let resolveUrl: (url: string) => void = () => {};
    const ready = new Promise<string>((resolve) => (resolveUrl = resolve));
    const running = run(['simulate', '--port', '0', '--fault-at', '1:gateway,2:429', '--retry-after', '7'], controller, (text) => {
      if (text.includes('\n')) resolveUrl(text.split('\n')[0]!);
    });
    const base = await ready;
    const ask = () => fetch(`${base}/tk/user/followers?token=sim-token&uid=6754915036232582149&cursor=0`);
    const first = await ask();
    expect([first.status, await first.text()]).toEqual([200, expect.stringContaining('upstream connect error')]);
    const second = await ask();
    expect([second.status, second.headers.get('retry-after')]).toEqual([429, '7']);
    const third = await ask();
    expect(third.status).toBe(200);
    expect(((await third.json()) as { code: number }).code).toBe(200);
    controller.abort();
    const { stderr } = await running;
    expect(stderr).toMatch(/answered 3 requests \((?=.*429 1)(?=.*gateway 1)(?=.*ok 1)/);
  });
});
