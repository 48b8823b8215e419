/**
 * Spawns the built bin/tkf.js the way a user runs it: with a clean environment (no TKF_* leaking
 * in from the developer's shell), without a TTY, or inside a pseudo-terminal made by util-linux
 * `script` when `tty` is set. Asynchronous on purpose: the simulator runs in the test's own
 * process and must keep answering while tkf runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const BIN = join(ROOT, 'bin/tkf.js');

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  tty?: boolean;
  timeoutMs?: number;
  /** Called once the process is spawned (to kill it at a chosen moment). */
  onSpawn?: (child: ChildProcess) => void;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: 'C.UTF-8' };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

const shellQuote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

export function runTkf(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const env = baseEnv(options.env);
  const child = options.tty
    ? spawn('script', ['-qefc', `stty cols 120 rows 40; ${[process.execPath, BIN, ...args].map(shellQuote).join(' ')}`, '/dev/null'], {
        env: { ...env, TERM: 'xterm-256color' },
        cwd: options.cwd,
        detached: true,
      })
    : spawn(process.execPath, [BIN, ...args], { env, cwd: options.cwd, detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // A tkf that exits without reading its stdin (most runs) can make this write fail with EPIPE on
  // a busy machine: that is no failure of the run, whose code and output the test asserts. Unheard,
  // it was an uncaught exception that failed a fresh-clone suite (Node 24, postgres.test.ts).
  child.stdin!.on('error', () => {});
  child.stdin!.end(options.input ?? '');
  options.onSpawn?.(child);
  // Own process group (detached), so a timeout also ends what `script` started.
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, options.timeoutMs ?? 60_000);
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** The suite's one temporary-directory helper, re-exported for the spawn tests. */
export { withTempDir } from '../helpers/temp-dir.js';

/** Any ANSI escape sequence (colour, cursor movement). */
export const ANSI = /\x1b\[/;
