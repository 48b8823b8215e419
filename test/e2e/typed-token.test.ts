/**
 * `--token-file -` on a terminal: tkf says what it waits for and the token is not shown as it is
 * typed (raw mode, no echo); Enter ends it. Run in a pseudo-terminal (util-linux `script`): the
 * token is typed into it once the prompt is there, and everything the terminal showed comes back.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { BIN, baseEnv, withTempDir } from './run-tkf.js';

const TOKEN = 'tok-TYPED-NOT-SHOWN-7';
const UID = '6754915036232582149';
const PROMPT = 'tkf: the API token (not shown as you type), then Enter:';
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, users: { [UID]: { size: 30 } } });
});
afterAll(async () => sim.close());

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Runs tkf in a pseudo-terminal and types `typed` once `after` has been shown; resolves with the exit code and what the terminal showed. */
function typeInto(args: string[], after: string, typed: string): Promise<{ code: number | null; shown: string }> {
  const child = spawn('script', ['-qefc', `stty cols 120 rows 40; ${[process.execPath, BIN, ...args].map(quote).join(' ')}`, '/dev/null'], {
    env: { ...baseEnv(), TERM: 'xterm-256color' },
    detached: true,
  });
  let shown = '';
  let sent = false;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    shown += chunk;
    if (!sent && shown.includes(after)) {
      sent = true;
      child.stdin!.write(typed);
    }
  });
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, shown });
    }),
  );
}

describe('--token-file - typed on a terminal', () => {
  it('asks for the token, does not show it, and the export runs with it', async () => {
    await withTempDir(async (dir) => {
      const run = await typeInto(['export', '--uid', UID, '--base-url', sim.url, '--out', join(dir, 'f.csv'), '--token-file', '-'], PROMPT, `${TOKEN}\r`);
      expect(run.code, run.shown).toBe(0);
      expect(run.shown).toContain(PROMPT);
      expect(run.shown).toMatch(/exported 30 followers/);
      expect(run.shown).not.toContain(TOKEN);
    });
  });

  it('Ctrl-C there ends it: exit 130', async () => {
    await withTempDir(async (dir) => {
      const run = await typeInto(['export', '--uid', UID, '--base-url', sim.url, '--out', join(dir, 'f.csv'), '--token-file', '-'], PROMPT, 'tok\u0003');
      expect(run.code, run.shown).toBe(130);
      expect(run.shown).toContain('tkf: interrupted by SIGINT');
    });
  });
});
