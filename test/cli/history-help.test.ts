/**
 * `tkf history <command> --help` names the exit codes that command can end with, not the whole
 * family's (growth listed import's 10 and an --out it does not have).
 */
import { describe, expect, it } from 'vitest';
import { runTkfInProcess } from '../helpers/run-cli.js';

const codesOf = (help: string) => [...help.slice(help.indexOf('Exit codes:')).matchAll(/^ +(\d+) {2}/gm)].map((m) => Number(m[1]));

describe('tkf history --help', () => {
  it("each command's help lists its own exit codes; tkf history's all of them", async () => {
    const expected: Record<string, number[]> = {
      list: [0, 1, 2, 7, 11],
      growth: [0, 1, 2, 4, 7, 11],
      changes: [0, 1, 2, 4, 7, 11],
      import: [0, 1, 2, 7, 10, 11],
    };
    for (const [command, codes] of Object.entries(expected)) {
      const help = await runTkfInProcess(['history', command, '--help']);
      expect([command, help.code, codesOf(help.stdout)]).toEqual([command, 0, codes]);
    }
    const growth = (await runTkfInProcess(['history', 'growth', '--help'])).stdout;
    expect(growth).toContain('  7  stdout cannot be written (a full disk)');
    expect(growth).not.toContain('--out');
    expect(codesOf((await runTkfInProcess(['history', '--help'])).stdout)).toEqual([0, 1, 2, 4, 7, 10, 11]);
  });
});
