/**
 * `--json` promises one JSON value on stdout, a failure's included: export prints
 * `{"complete": false, "exit_code", "error"}` (true-messages and batch tests), and diff, report,
 * history and info print `{"exit_code", "error"}` when they fail before their own JSON is out, so
 * that `| jq` sees the failure instead of no input. Exactly one value: a command that printed its
 * JSON and then failed (history import with a file not imported, info on a hidden list) prints no
 * second one, and without --json stdout stays empty. commander's refusal of the command line
 * under --json (an option's value, an unknown option) prints one too (export's with `complete`).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { runTkfInProcess } from '../helpers/run-cli.js';
import { useTempDir } from '../helpers/temp-dir.js';

const dir = useTempDir('tkf-json-failures-');
const UID = '6754915036232582149';

/** stdout as one JSON value per line: each must parse. */
function values(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);
}

describe('a failure under --json is one object on stdout, with its exit code', () => {
  test('diff, report and history: an input or database that cannot be read', async () => {
    const missing = join(dir.path, 'missing.csv');
    const db = join(dir.path, 'none.sqlite');
    const cases: Array<{ args: string[]; code: number; error: RegExp }> = [
      { args: ['diff', missing, missing, '--json'], code: EXIT.usage, error: /cannot read .*missing\.csv: no such file/ },
      { args: ['report', missing, '--json'], code: EXIT.usage, error: /cannot read .*missing\.csv/ },
      { args: ['history', '--db', db, '--json'], code: EXIT.database, error: /no history database at .*none\.sqlite/ },
      { args: ['history', 'growth', '--db', db, '--uid', UID, '--json'], code: EXIT.database, error: /no history database/ },
      { args: ['info', '--uid', '@someone', '--json'], code: EXIT.usage, error: /--uid must be the numeric user_id/ },
    ];
    for (const { args, code, error } of cases) {
      const run = await runTkfInProcess(args);
      expect(run.code, args.join(' ')).toBe(code);
      expect(values(run.stdout), args.join(' ')).toEqual([{ exit_code: code, error: expect.stringMatching(error) }]);
      // The same sentence on stderr, as without --json.
      expect(run.stderr).toMatch(error);
    }
  });

  test('the token is not in the object', async () => {
    const secret = 'tok-JSON-FAILURE-SECRET';
    const run = await runTkfInProcess(['info', '--uid', UID, '--base-url', 'http://127.0.0.1:9', '--timeout', '1', '--json'], { env: { TKF_TOKEN: secret } });
    expect(run.code).toBe(EXIT.api);
    expect(values(run.stdout)).toHaveLength(1);
    expect(run.stdout + run.stderr).not.toContain(secret);
  });

  test('a command that printed its JSON before failing prints no second value', async () => {
    const bad = join(dir.path, 'bad.jsonl');
    await writeFile(bad, '{"uid":"@x"}\n');
    const run = await runTkfInProcess(['history', 'import', '--db', join(dir.path, 'h.sqlite'), '--uid', UID, bad, '--json']);
    expect(run.code).toBe(EXIT.usage);
    const out = values(run.stdout);
    expect(out).toHaveLength(1);
    expect(out[0]).toEqual([expect.objectContaining({ file: bad, exit_code: EXIT.usage })]);
  });

  test("commander's refusal of the command line (a bad value, an unknown option) under --json: one object too", async () => {
    const value = await runTkfInProcess(['export', '--json', '--uid', UID, '--out', join(dir.path, 'x.csv'), '--concurrency', '0']);
    expect(value.code).toBe(EXIT.usage);
    expect(values(value.stdout)).toEqual([{ complete: false, exit_code: EXIT.usage, error: expect.stringMatching(/^option '--concurrency <n>' argument '0' is invalid/) }]);
    const unknown = await runTkfInProcess(['diff', 'a.csv', 'b.csv', '--json', '--bogus']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(values(unknown.stdout)).toEqual([{ exit_code: EXIT.usage, error: "unknown option '--bogus'" }]);
  });

  test('without --json stdout stays empty; --help under --json is the help', async () => {
    const missing = join(dir.path, 'missing.jsonl');
    const plain = await runTkfInProcess(['report', missing]);
    expect(plain.code).toBe(EXIT.usage);
    expect(plain.stdout).toBe('');
    const unknown = await runTkfInProcess(['diff', 'a.csv', 'b.csv', '--bogus']);
    expect([unknown.code, unknown.stdout]).toEqual([EXIT.usage, '']);
    const help = await runTkfInProcess(['diff', '--help', '--json']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tkf diff/);
  });
});
