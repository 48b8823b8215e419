/**
 * Runs tkf's program in the test's own process (createProgram with fake streams), mapping errors
 * to exit codes as main.ts does: the history tests' CLI runs without spawning the binary.
 */
import { PassThrough } from 'node:stream';
import { CommanderError } from 'commander';
import { TkfError, EXIT } from '../../src/errors.js';
import type { CliContext } from '../../src/cli/context.js';
import { createProgram } from '../../src/cli/program.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const ctx: CliContext = {
    argv: ['node', 'tkf', ...args],
    env: { ...env },
    stdout,
    stderr,
    stderrIsTTY: false,
    readStdin: async () => '',
    version: '0.0.0-test',
    signal: new AbortController().signal,
    secrets: [],
  };
  let code: number = EXIT.ok;
  try {
    await createProgram(ctx).parseAsync(ctx.argv);
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    else if (error instanceof TkfError) {
      code = error.exitCode;
      err += `tkf: ${error.message}\n`;
    } else throw error;
  }
  return { code, stdout: out, stderr: err };
}
