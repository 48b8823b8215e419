/**
 * Missing directories of --out are made one level at a time. Node's mkdir({ recursive: true })
 * never returns for a path under /proc on Linux (a core spun and SIGTERM was ignored), so a path
 * there must end at once with exit 7 naming the directory, as any other that cannot be made.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTkfInProcess } from '../helpers/run-cli.js';
import { useTempDir } from '../helpers/temp-dir.js';

const dir = useTempDir('tkf-out-dirs-');

describe('the directories of --out', () => {
  it.runIf(process.platform === 'linux')('a directory that cannot be made under /proc is exit 7 at once, not a hang', async () => {
    const run = await runTkfInProcess(['export', '--demo', '--out', '/proc/tkf-no-such/f.csv']);
    expect(run.code).toBe(7);
    expect(run.stderr).toMatch(/cannot create the directory \/proc\/tkf-no-such: no such file or directory \(ENOENT\)/);
  }, 20_000);

  it('makes every missing level, and names a file in the way', async () => {
    const out = join(dir.path, 'a', 'b', 'c', 'f.csv');
    const made = await runTkfInProcess(['export', '--demo', '--out', out, '--limit', '40']);
    expect(made.code, made.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    await writeFile(join(dir.path, 'plain'), '');
    const blocked = await runTkfInProcess(['export', '--demo', '--out', join(dir.path, 'plain', 'b', 'f.csv')]);
    expect(blocked.code).toBe(7);
    expect(blocked.stderr).toMatch(/a file is in the way \(ENOTDIR\)/);
  });
});
