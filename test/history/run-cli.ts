/**
 * The history tests' CLI runs, in process: the suite's one in-process runner
 * (test/helpers/run-cli.ts: createProgram through cli/main.ts's runCli, exit codes and messages
 * as main() gives them), called with an environment the way these tests write it.
 */
import { runTkfInProcess } from '../helpers/run-cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const { code, stdout, stderr } = await runTkfInProcess(args, { env });
  return { code: code ?? -1, stdout, stderr };
}
