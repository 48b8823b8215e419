/**
 * `tkf report ...` (or any tkf command) in the test's own process: createProgram with fake streams, the way main.ts
 * runs it, returning what went to stdout and stderr, or the error main.ts would map to an exit code.
 */
import { PassThrough } from 'node:stream';
import { createProgram } from '../../src/cli/program.js';
import type { CliContext } from '../../src/cli/context.js';

export interface ReportRun {
  stdout: string;
  stderr: string;
  error?: unknown;
}

export function runReport(args: string[]): Promise<ReportRun> {
  return runTkf(['report', ...args]);
}

/** Any tkf command line (`['export', '--demo', ...]`), in process. */
export async function runTkf(args: string[]): Promise<ReportRun> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const ctx: CliContext = {
    argv: args,
    env: {},
    stdout,
    stderr,
    stderrIsTTY: false,
    readStdin: async () => '',
    version: '0.0.0-test',
    signal: new AbortController().signal,
    secrets: [],
  };
  let error: unknown;
  try {
    await createProgram(ctx).parseAsync(args, { from: 'user' });
  } catch (caught) {
    error = caught;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), error };
}
