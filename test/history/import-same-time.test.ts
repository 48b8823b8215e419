/**
 * `tkf history import` of files that share a time: a file without a manifest is dated by its
 * modification time, which files copied together share to the millisecond. A snapshot at that
 * time read from another file is no reason to call this one "already recorded" (exit 0, its rows
 * never recorded): it is refused, said, exit 11. The same file, or a copy of a walk recorded
 * with its manifest, is still recorded once.
 */
import { copyFile, mkdir, rename, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/index.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useClosers } from '../helpers/closers.js';
import { runCli } from './run-cli.js';

const TOKEN = 'tkn-SAMETIME-q1w2e3';
const UID = '6754915036232582149';
const dir = useTempDir('tkf-import-same-time-');
const closeLater = useClosers();

async function exportTo(out: string, size: number, extra: string[] = []): Promise<void> {
  const sim = await startSimulator({ token: TOKEN, users: { [UID]: { size } } });
  closeLater(() => sim.close());
  const run = await runCli(['export', '--uid', UID, '--out', out, ...extra], { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url });
  expect(run.code, run.stderr).toBe(0);
}

describe('tkf history import: files that share a time', () => {
  it('different files without manifests, one modification time: the first is recorded, the others refused (exit 11), not "already recorded"; the same file again is', async () => {
    const files = ['a.csv', 'b.csv', 'c.csv'].map((name) => join(dir.path, name));
    const when = new Date('2026-03-01T06:00:00.123Z');
    for (const [i, file] of files.entries()) {
      await exportTo(file, 20 + i * 10);
      await rm(`${file}.tkf.json`);
      await utimes(file, when, when);
    }
    const db = join(dir.path, 'cpt.sqlite');
    const run = await runCli(['history', 'import', '--db', db, '--uid', UID, ...files]);
    expect(run.code, run.stderr).toBe(11);
    expect(run.stderr).toContain(`tkf: ${files[0]}: ${UID} at ${when.toISOString()}: +20 came`);
    for (const file of files.slice(1)) {
      expect(run.stderr).toContain(
        `tkf: ${file}: not imported: ${file} has no manifest, so it is dated by its modification time (${when.toISOString()}), and the database already holds a snapshot of ${UID} at that time read from another file (${files[0]}): not recorded`,
      );
    }
    expect(run.stderr).not.toContain('already recorded');
    expect(run.stderr).toMatch(/tkf: 2 of 3 files not imported\n$/);
    // The same file again: recorded before, said so, exit 0.
    const again = await runCli(['history', 'import', '--db', db, '--uid', UID, files[0]!]);
    expect([again.code, again.stderr]).toEqual([0, `tkf: ${files[0]}: ${UID} at ${when.toISOString()}: already recorded\n`]);
    // The same file reached through a link: already recorded. Moved (mv keeps its time): nothing
    // tells it from another file of that name and time (day directories of followers.csv copied
    // at once), so it is refused, its message saying it may be that file.
    await mkdir(join(dir.path, 'archive'));
    await symlink(dir.path, join(dir.path, 'link'));
    const linked = await runCli(['history', 'import', '--db', db, '--uid', UID, join(dir.path, 'link', 'a.csv')]);
    expect([linked.code, linked.stderr]).toEqual([0, `tkf: ${join(dir.path, 'link', 'a.csv')}: ${UID} at ${when.toISOString()}: already recorded\n`]);
    const moved = join(dir.path, 'archive', 'a.csv');
    await rename(files[0]!, moved);
    const elsewhere = await runCli(['history', 'import', '--db', db, '--uid', UID, moved]);
    expect(elsewhere.code).toBe(11);
    expect(elsewhere.stderr).toContain(`read from another file (${files[0]}): not recorded, as one time holds one snapshot; if it is that file moved, it is recorded already; if not, put its manifest`);
    // Given its own time, a refused file is recorded.
    const later = new Date('2026-03-02T06:00:00.000Z');
    await utimes(files[1]!, later, later);
    const placed = await runCli(['history', 'import', '--db', db, '--uid', UID, files[1]!]);
    expect(placed.code, placed.stderr).toBe(0);
    expect(placed.stderr).toContain(`${files[1]}: ${UID} at ${later.toISOString()}: 0 came`);
  });

  it('day directories of one file name (exports/<date>/followers.csv) copied at once: the same name and time are no evidence, the second is refused (exit 11)', async () => {
    const days = ['2026-03-01', '2026-03-02'].map((day) => join(dir.path, 'days', day, 'followers.csv'));
    const when = new Date('2026-03-03T06:00:00.123Z');
    for (const [i, file] of days.entries()) {
      await mkdir(join(file, '..'), { recursive: true });
      await exportTo(file, 50 + i * 30);
      await rm(`${file}.tkf.json`);
      await utimes(file, when, when);
    }
    const run = await runCli(['history', 'import', '--db', join(dir.path, 'days.sqlite'), '--uid', UID, ...days]);
    expect(run.code, run.stderr).toBe(11);
    expect(run.stderr).toContain(`tkf: ${days[0]}: ${UID} at ${when.toISOString()}: +50 came`);
    expect(run.stderr).toContain(`tkf: ${days[1]}: not imported: ${days[1]} has no manifest`);
    expect(run.stderr).not.toContain('already recorded');
  });

  it('a walk recorded by tkf export --db, then its file and a copy of it with its manifest imported: already recorded, exit 0', async () => {
    const out = join(dir.path, 'walked.csv');
    const db = join(dir.path, 'walked.sqlite');
    await exportTo(out, 30, ['--db', db]);
    const copy = join(dir.path, 'copy-of-walked.csv');
    await copyFile(out, copy);
    await copyFile(`${out}.tkf.json`, `${copy}.tkf.json`);
    const run = await runCli(['history', 'import', '--db', db, out, copy]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.match(/: already recorded\n/g)).toHaveLength(2);
  });
});
