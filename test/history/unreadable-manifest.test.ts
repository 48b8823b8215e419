/**
 * A manifest that is there but cannot be read (another user's: tkf writes manifests owner-only,
 * the export readable by others; here a directory in its place, or mode 000 when not root) or is
 * damaged (not JSON) is not taken for none: `tkf history import` refuses the file, saying why,
 * rather than record it dated by its modification time with its walk's end unknown (or refuse it
 * for a false reason, "has no tkf manifest"); `tkf diff` warns, as `tkf report` does, and
 * compares it as a file without one (as the README promises such a diff).
 */
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/index.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useClosers } from '../helpers/closers.js';
import { runCli } from './run-cli.js';

const TOKEN = 'tkn-MANIFEST-z9x8c7';
const UID = '6754915036232582149';
const dir = useTempDir('tkf-unreadable-manifest-');
const closeLater = useClosers();

async function exportTo(out: string, size: number): Promise<void> {
  const sim = await startSimulator({ token: TOKEN, users: { [UID]: { size } } });
  closeLater(() => sim.close());
  const run = await runCli(['export', '--uid', UID, '--out', out], { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url });
  expect(run.code, run.stderr).toBe(0);
}

/** Its manifest replaced: by text that is not JSON, or by a directory (read fails, EISDIR). */
async function damage(file: string, how: 'not-json' | 'directory'): Promise<void> {
  await rm(`${file}.tkf.json`);
  if (how === 'not-json') await writeFile(`${file}.tkf.json`, '{"tool":"tkf",');
  else await mkdir(`${file}.tkf.json`);
}

describe('a manifest that cannot be read', () => {
  it('history import refuses the file, with --uid or without, saying the manifest is damaged (not JSON), or cannot be read, and why; nothing recorded', async () => {
    const broken = join(dir.path, 'n2.csv');
    await exportTo(broken, 20);
    await damage(broken, 'not-json');
    const db = join(dir.path, 'n2.sqlite');
    for (const extra of [[], ['--uid', UID]]) {
      const run = await runCli(['history', 'import', '--db', db, broken, ...extra]);
      expect([run.code, run.stderr]).toEqual([
        2,
        `tkf: ${broken} is not imported: the manifest ${broken}.tkf.json is damaged (not JSON); remove it, or export the file again\n`,
      ]);
    }
    const unreadable = join(dir.path, 'n3.jsonl');
    await exportTo(unreadable, 20);
    await damage(unreadable, 'directory');
    const good = join(dir.path, 'good.jsonl');
    await exportTo(good, 20);
    const run = await runCli(['history', 'import', '--db', db, '--uid', UID, '--json', unreadable, good]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual([
      { file: unreadable, error: expect.stringMatching(new RegExp(`^${unreadable} is not imported: cannot read the manifest ${unreadable}\\.tkf\\.json: .*\\(EISDIR\\)`)), exit_code: 2 },
      expect.objectContaining({ file: good, recorded: true }),
    ]);
    const growth = JSON.parse((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout) as unknown[];
    expect(growth).toHaveLength(1);
  });

  it.skipIf(process.getuid?.() === 0)('history import: a manifest of mode 000 (another user\'s) is said as permission denied, with what to do', async () => {
    const file = join(dir.path, 'theirs.csv');
    await exportTo(file, 20);
    await chmod(`${file}.tkf.json`, 0o000);
    const run = await runCli(['history', 'import', '--db', join(dir.path, 'theirs.sqlite'), '--uid', UID, file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`cannot read the manifest ${file}.tkf.json: permission denied (EACCES); run the import as a user who may read it`);
  });

  it('diff warns of a damaged or unreadable manifest (exit 0, --json still its counts), and compares the file as one without a manifest', async () => {
    const [g1, n3] = [join(dir.path, 'g1.csv'), join(dir.path, 'n3.csv')];
    await exportTo(g1, 20);
    await exportTo(n3, 25);
    await damage(n3, 'not-json');
    const run = await runCli(['diff', g1, n3, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ added: 5, removed: 0, old: 20, new: 25 });
    const warning = `tkf: warning: the manifest ${n3}.tkf.json is damaged (not JSON); remove it, or export the file again; ${n3} is compared as an export without a manifest (whose followers it holds, how its walk ended and its formula guard unknown)\n`;
    expect(run.stderr.split(warning)).toHaveLength(2); // said once, though three steps read it
    await damage(g1, 'directory');
    const both = await runCli(['diff', g1, n3, '--out', join(dir.path, 'changes.csv')]);
    expect(both.code, both.stderr).toBe(0);
    expect(both.stderr).toMatch(new RegExp(`tkf: warning: cannot read the manifest ${g1}\\.tkf\\.json: .*\\(EISDIR\\); ${g1} is compared as an export without a manifest`));
    expect(both.stderr).toContain(warning);
  });
});
