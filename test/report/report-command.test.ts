/**
 * `tkf report` through createProgram in process: the text summary, --json, --html and its
 * refusals, and bad inputs with the exit codes and messages main.ts gives them.
 */
import { execFileSync } from 'node:child_process';
import { lstat, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { useTempDir } from '../helpers/temp-dir.js';
import { SEVEN, writeCsv, writeJsonl } from './audience-files.js';
import { runTkfInProcess } from '../helpers/run-cli.js';

const dir = useTempDir('tkf-report-cli-');
/** `tkf report ...` in process: the exit code and the messages main() would give. */
const runReport = (args: string[]) => runTkfInProcess(['report', ...args]);

describe('tkf report', () => {
  test('prints the summary: counts, top 10 regions, tiers, activity, the most-followed, cleaned of control characters', async () => {
    const path = await writeJsonl(join(dir.path, 'f.jsonl'), [...SEVEN, { ...SEVEN[0], uid: '7100000000000000099', nickname: 'evil\u001b[2Jname\r\nx', follower_count: 7 }]);
    const { stdout, code } = await runReport([path]);
    expect(code).toBe(0);
    expect(stdout).toContain(`${path}: 8 followers in the file`);
    expect(stdout).toMatch(/^Regions \(5\)\n {2}US +4 +50\.0%/m);
    expect(stdout).toMatch(/^Verified accounts: 2 \(25\.0%\)$/m);
    expect(stdout).toMatch(/^ {2}100k\+ +2 +25\.0%/m);
    expect(stdout).toMatch(/likely inactive \(rules: README, Report\) +2 +25\.0%/);
    expect(stdout).toMatch(/^ {3}1 {2}150,000 {2}@ccc {2}<script>/m);
    // The escape sequence and the line break of a nickname do not reach the terminal.
    expect(stdout).not.toContain('\u001b');
    expect(stdout).toContain('evil [2Jname  x');
  });

  test('--json: one object with the counts, the same for CSV and JSONL', async () => {
    const jsonl = JSON.parse((await runReport([await writeJsonl(join(dir.path, 'f.jsonl'), SEVEN), '--json'])).stdout);
    const csv = JSON.parse((await runReport([await writeCsv(join(dir.path, 'f.csv'), SEVEN), '--json'])).stdout);
    expect(jsonl).toMatchObject({ followers: 7, by_region: { US: 3 }, by_language: { en: 3 }, verified: 2, inactive: 2, tiers: { '100k+': 2 } });
    expect(jsonl.top[0]).toMatchObject({ uid: '7100000000000000003', follower_count: 150_000 });
    for (const key of ['followers', 'by_region', 'by_language', 'tiers', 'activity', 'inactive', 'top']) expect(csv[key]).toEqual(jsonl[key]);
  });

  test('a follower repeated in the file (files joined by hand) is counted once, as tkf diff and history import count them', async () => {
    const joined = await writeJsonl(join(dir.path, 'joined.jsonl'), [...SEVEN, ...SEVEN.slice(0, 3)]);
    const report = JSON.parse((await runReport([joined, '--json'])).stdout);
    const once = JSON.parse((await runReport([await writeJsonl(join(dir.path, 'once.jsonl'), SEVEN), '--json'])).stdout);
    expect(report.followers).toBe(7);
    for (const key of ['by_region', 'by_language', 'tiers', 'activity', 'inactive', 'verified', 'top']) expect([key, report[key]]).toEqual([key, once[key]]);
  });

  test('history import does not record an empty JSONL without the manifest of an export of no followers (exit 2): a failed copy is not an account of 0', async () => {
    const empty = join(dir.path, 'empty.jsonl');
    await writeFile(empty, '');
    const db = join(dir.path, 'e.sqlite');
    const refused = await runTkfInProcess(['history', 'import', '--db', db, '--uid', '7100000000000000001', empty]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${empty} is empty and has no manifest (${empty}.tkf.json) saying an export of no followers wrote it: not recorded as one`);
    await expect(stat(db)).rejects.toThrow(/ENOENT/);
    // tkf diff takes it for a list of none (everyone in the other is new), as a baseline.
    const diff = await runTkfInProcess(['diff', empty, await writeJsonl(join(dir.path, 'some.jsonl'), SEVEN), '--json']);
    expect([diff.code, JSON.parse(diff.stdout).added]).toEqual([0, 7]);
  });

  test('a damaged manifest is said to be one (a warning), not a checkpoint to resume', async () => {
    const path = await writeJsonl(join(dir.path, 'm.jsonl'), SEVEN);
    for (const [text, said] of [
      ['garbage', `the manifest ${path}.tkf.json is damaged (not JSON); remove it, or export the file again`],
      ['{"version":1}', `${path}.tkf.json is not a manifest this tkf can read; remove it, or export the file again`],
    ]) {
      await writeFile(`${path}.tkf.json`, text!);
      const read = await runReport([path]);
      expect([read.code, read.stderr]).toEqual([0, `tkf: warning: ${said}; the report has no follower count of the profile\n`]);
    }
  });

  test('--html writes the page (and says so on stderr); an existing page needs --force (exit 7)', async () => {
    const path = await writeJsonl(join(dir.path, 'f.jsonl'), SEVEN);
    const page = join(dir.path, 'report.html');
    const first = await runReport([path, '--html', page]);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe(`tkf: wrote ${page}\n`);
    expect(await readFile(page, 'utf8')).toContain('<!doctype html>');
    const again = await runReport([path, '--html', page]);
    expect(again.code).toBe(7);
    expect(again.stderr).toContain('already exists; use --force');
    await writeFile(page, 'old');
    expect((await runReport([path, '--html', page, '--force'])).code).toBe(0);
    expect((await readFile(page, 'utf8')).startsWith('<!doctype html>')).toBe(true);
    await expect(stat(`${page}.part`)).rejects.toThrow(/ENOENT/);
    // Into directories that are not there yet: made, as export's --out makes them.
    const deeper = join(dir.path, 'pages', '2026-12-05', 'report.html');
    const made = await runReport([path, '--html', deeper]);
    expect([made.code, made.stderr]).toEqual([0, `tkf: wrote ${deeper}\n`]);
    expect(await readFile(deeper, 'utf8')).toContain('<!doctype html>');
    // One that cannot be made (a file in the way) is exit 7 before anything is printed.
    await writeFile(join(dir.path, 'blocker'), 'x');
    const blocked = await runReport([path, '--html', join(dir.path, 'blocker', 'r.html')]);
    expect([blocked.code, blocked.stdout]).toEqual([7, '']);
    expect(blocked.stderr).toMatch(/cannot create the directory .*blocker: a file is in the way \(ENOTDIR\); choose another --html/);
  });

  test('--html is never written over the export it reports on, nor over --db (exit 2, --force or not); history changes --out neither over its database', async () => {
    const path = await writeJsonl(join(dir.path, 'self.jsonl'), SEVEN);
    const before = await readFile(path, 'utf8');
    const db = join(dir.path, 'self.sqlite');
    await writeFile(db, 'stands for a database');
    for (const args of [[path, '--html', path, '--force'], [path, '--html', db, '--db', db, '--force'], ['--db', db, '--uid', '1', '--html', db, '--force']]) {
      const refused = await runReport(args);
      expect([args.join(' '), refused.code]).toEqual([args.join(' '), 2]);
      expect(refused.stderr).toMatch(/^tkf: --html \S+ is what the report is made from: writing it would replace what it is made from; name another file\n$/);
    }
    // The database of TKF_DB (the page's growth comes from it) is as much an input as --db's.
    const fromEnv = await runTkfInProcess(['report', path, '--html', db, '--force'], { env: { TKF_DB: db } });
    expect([fromEnv.code, fromEnv.stderr]).toEqual([2, expect.stringMatching(/^tkf: --html \S+ is what the report is made from/)]);
    // A path that cannot be looked at is no input: the page's own check says what is wrong with it.
    const inFile = await runReport([path, '--html', join(path, 'x.html')]);
    expect([inFile.code, inFile.stderr]).toEqual([7, expect.stringMatching(/^tkf: cannot create the directory .*self\.jsonl: a file is in the way \(ENOTDIR\); choose another --html\n$/)]);
    const changes = await runTkfInProcess(['history', 'changes', '--db', db, '--uid', '1', '--out', db, '--format', 'csv', '--force']);
    expect([changes.code, changes.stderr]).toEqual([2, `tkf: --out ${db} is the history database: writing it would replace what it is made from; name another file\n`]);
    expect(await readFile(path, 'utf8')).toBe(before);
    expect(await readFile(db, 'utf8')).toBe('stands for a database');
  });

  test('--html --force never replaces a pipe, a device or a link, nor an interrupted export; diff --out and history changes --out neither (exit 7, each left as it was)', async () => {
    const path = await writeJsonl(join(dir.path, 'g.jsonl'), SEVEN);
    execFileSync('mkfifo', [join(dir.path, 'pipe.html')]);
    await writeFile(join(dir.path, 'real.html'), 'kept');
    await symlink('real.html', join(dir.path, 'link.html'));
    const said = {
      'pipe.html': 'it is a pipe, not a file (tkf writes a new file and moves it into place)\n',
      'link.html': "it is a symbolic link (to real.html), which tkf would replace with a file of its own; give the file's own path as --html\n",
    };
    for (const [name, why] of Object.entries(said)) {
      const page = join(dir.path, name);
      const refused = await runReport([path, '--html', page, '--force']);
      expect([name, refused.code, refused.stderr]).toEqual([name, 7, `tkf: cannot write ${page}: ${why}`]);
    }
    expect((await lstat(join(dir.path, 'pipe.html'))).isFIFO()).toBe(true);
    expect((await lstat(join(dir.path, 'link.html'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir.path, 'real.html'), 'utf8')).toBe('kept');
    // An interrupted export to that name: its rows (paid for) and checkpoint are not written over.
    const out = join(dir.path, 'walk.csv');
    await writeFile(`${out}.part`, 'uid\n1\n');
    await writeFile(`${out}.part.json`, '{"tool":"tkf"}');
    const db = join(dir.path, 'walks.sqlite');
    expect((await runTkfInProcess(['history', 'import', '--db', db, '--uid', '7100000000000000001', path])).code).toBe(0);
    for (const args of [
      ['report', path, '--html', out, '--force'],
      ['diff', path, path, '--out', out, '--force'],
      ['history', 'changes', '--db', db, '--uid', '7100000000000000001', '--out', out, '--force'],
    ]) {
      const refused = await runTkfInProcess(args);
      expect([args[0], refused.code, refused.stderr]).toEqual([
        args[0],
        7,
        `tkf: cannot write ${out}: an interrupted export to it is there (${out}.part.json), its pages paid for; finish it with tkf export --resume, start it again with tkf export --force, or name another file\n`,
      ]);
      expect(await readFile(`${out}.part`, 'utf8')).toBe('uid\n1\n');
    }
  });

  test('an export that is a pipe is refused at once (exit 2), not waited on for ever; an output that is an export\'s manifest is refused (exit 2)', async () => {
    const fifo = join(dir.path, 'fifo.csv');
    execFileSync('mkfifo', [fifo]);
    const path = await writeJsonl(join(dir.path, 'h.jsonl'), SEVEN);
    for (const args of [['report', fifo], ['diff', fifo, path], ['diff', path, fifo]]) {
      const refused = await runTkfInProcess(args);
      expect([args.join(' '), refused.code, refused.stderr]).toEqual([args.join(' '), 2, `tkf: ${fifo} is a pipe, not an export file: tkf reads an export more than once\n`]);
    }
    const manifest = `${path}.tkf.json`;
    await writeFile(manifest, 'stands for a manifest');
    const diff = await runTkfInProcess(['diff', path, path, '--out', manifest, '--format', 'csv', '--force']);
    expect([diff.code, diff.stderr]).toEqual([2, `tkf: --out ${manifest} is one of ${path}'s own files (${manifest}), which tkf keeps beside it: name another file\n`]);
    // (report reads the manifest: it is one of its inputs.)
    const report = await runTkfInProcess(['report', path, '--html', manifest, '--force']);
    expect([report.code, report.stderr]).toEqual([2, expect.stringMatching(/name another file\n$/)]);
    expect(await readFile(manifest, 'utf8')).toBe('stands for a manifest');
  });

  test('a missing file, an xlsx and a broken line are usage errors (exit 2), no page written', async () => {
    const page = join(dir.path, 'r.html');
    const missing = await runReport([join(dir.path, 'nope.jsonl'), '--html', page]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
    expect((await runReport([join(dir.path, 'x.xlsx')])).code).toBe(2);
    const broken = join(dir.path, 'broken.jsonl');
    await writeFile(broken, `${JSON.stringify(SEVEN[0])}\n{"uid":\n`);
    const result = await runReport([broken, '--html', page]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('line 2 is not JSON');
    await expect(stat(page)).rejects.toThrow(/ENOENT/);
  });

  test('--help names the options and the exit codes', async () => {
    const { stdout } = await runReport(['--help']);
    expect(stdout).toContain('--html <file>');
    expect(stdout).toContain('--json');
    expect(stdout).toMatch(/7 {2}the --html page cannot be written/);
  });
});
