/**
 * Runs a tkf command line in the test's own process: createProgram(ctx) through cli/main.ts's
 * runCli, with captured stdout and stderr, a clean environment (only what the test gives, like
 * run-tkf.ts's spawned runs), stdin from a string, and the exit code main() would exit with.
 * The same result shape as runTkf, so a test reads the same either way; only signals, kill -9, a
 * terminal, EPIPE and the installed bin need the spawned binary. The suite's one in-process runner:
 * long-running commands (`tkf simulate`) take a signal to end them and a look at stdout as it comes.
 */
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { baseEnv, type RunResult } from '../e2e/run-tkf.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export interface InProcessRunOptions {
  env?: Record<string, string | undefined>;
  /** Relative paths resolve here (process.chdir for the run: vitest runs a file's tests one at a time). */
  cwd?: string;
  input?: string;
  /** The interrupt signal a command sees (main() aborts it on SIGINT, SIGTERM or SIGHUP): ends `tkf simulate`. */
  signal?: AbortSignal;
  /** Called with all stdout so far at each write (a long-running command's first line, say). */
  onStdout?: (text: string) => void;
  /** What the run asks of the heap (main.ts gives these; in process they are absent unless given). */
  heap?: Pick<CliContext, 'preferSmallHeap' | 'preferRoomForRows'>;
}

function capture(onText?: (text: string) => void) {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  const text = () => Buffer.concat(chunks).toString('utf8');
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    onText?.(text());
  });
  return { stream, text };
}

export async function runTkfInProcess(args: string[], options: InProcessRunOptions = {}): Promise<RunResult> {
  const stdout = capture(options.onStdout);
  const stderr = capture();
  const ctx: CliContext = {
    argv: [process.execPath, 'tkf', ...args],
    env: baseEnv(options.env),
    stdout: stdout.stream,
    stderr: stderr.stream,
    stderrIsTTY: false,
    readStdin: async () => options.input ?? '',
    version,
    signal: options.signal ?? new AbortController().signal,
    secrets: [],
    ...options.heap,
  };
  const before = process.cwd();
  if (options.cwd) process.chdir(options.cwd);
  try {
    const code = await runCli(ctx);
    await new Promise((resolve) => setImmediate(resolve));
    return { code, signal: null, stdout: stdout.text(), stderr: stderr.text() };
  } finally {
    if (options.cwd) process.chdir(before);
  }
}
