/**
 * tkf diff on files in a temp dir, checking stdout, stderr, exit codes and the files left behind:
 * in process (test/helpers/run-cli.ts), and through the built binary where a closed pipe is tested.
 */
import { spawn } from 'node:child_process';
import { readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { followerUid, renderFollower, type UserScenario } from '../../src/simulator/index.js';
import { expectedJsonl } from '../helpers/followers.js';
import { runTkfInProcess } from '../helpers/run-cli.js';
import { BIN, baseEnv, withTempDir } from './run-tkf.js';

const LIST = '6754915036232582149';
const scenario: UserScenario = { size: 1300, bigRoomIds: 1 };

/** Followers #from..#to-1 of the simulated list, as a tkf JSONL export (every room_id 19 digits). */
function jsonl(from: number, to: number): string {
  return expectedJsonl(LIST, scenario, from, to);
}

/** The same followers as a small CSV export: uid and nickname (quoted when needed). */
function csv(from: number, to: number): string {
  return csvOf([from, to]);
}

/** Followers of several runs #from..#to-1, newest first as the API lists them, in one CSV export. */
function csvOf(...runs: Array<[number, number]>): string {
  let text = 'uid,nickname\r\n';
  for (const [from, to] of runs) for (let i = from; i < to; i++) text += `${followerUid(1, LIST, i)},"fan ${i}, ""#${i}"""\r\n`;
  return text;
}

describe('tkf diff', () => {
  it('writes CSV to stdout by default and the summary on stderr', async () => {
    await withTempDir(async (dir) => {
      // 1,240 followers yesterday (#12..#1,251); today 12 are new (#0..#11, on top) and 3 of
      // yesterday's newest are gone: 1,249.
      await writeFile(join(dir, 'followers-2026-11-27.csv'), csv(12, 1252));
      await writeFile(join(dir, 'followers-2026-11-28.csv'), csvOf([0, 12], [15, 1252]));
      const result = await runTkfInProcess(['diff', 'followers-2026-11-27.csv', 'followers-2026-11-28.csv'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('+12 new, -3 gone (1,240 -> 1,249)\n');
      const rows = parseCsv(result.stdout) as string[][];
      expect(rows[0]).toEqual(['change', 'uid', 'nickname']);
      expect(rows.slice(1).map((row) => [row[0], row[1]])).toEqual([
        ...Array.from({ length: 12 }, (_, k) => ['added', followerUid(1, LIST, k)]),
        ...Array.from({ length: 3 }, (_, k) => ['removed', followerUid(1, LIST, 12 + k)]),
      ]);
      expect(rows[1]![2]).toBe('fan 0, "#0"');
      expect(await readdir(dir)).toHaveLength(2);
    });
  });

  it('--json prints the counts as one JSON object and no rows', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'old.jsonl'), jsonl(0, 40));
      await writeFile(join(dir, 'new.csv'), csv(10, 45));
      const result = await runTkfInProcess(['diff', 'old.jsonl', 'new.csv', '--json', '--quiet'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      // #40..#44 stand below where the older file ended (no manifest: not the end of the list).
      expect(JSON.parse(result.stdout)).toEqual({ added: 0, first_seen: 5, removed: 10, beyond_reach: 0, old: 40, new: 35, unchanged: 30, file: null });
    });
  });

  it('--out x.jsonl writes the rows there (19-digit numbers exact), --json says where', async () => {
    await withTempDir(async (dir) => {
      // #0 followed since: on top of the newer file; #1 and #2 left.
      await writeFile(join(dir, 'old.jsonl'), jsonl(1, 31));
      await writeFile(join(dir, 'new.jsonl'), jsonl(0, 1) + jsonl(3, 31));
      const result = await runTkfInProcess(['diff', 'old.jsonl', 'new.jsonl', '--out', 'x.jsonl', '--json'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ added: 1, first_seen: 0, removed: 2, beyond_reach: 0, old: 30, new: 29, unchanged: 28, file: 'x.jsonl' });
      expect(result.stderr).toBe('+1 new, -2 gone (30 -> 29)\n');
      const lines = (await readFile(join(dir, 'x.jsonl'), 'utf8')).split('\n');
      const follower = (i: number) => renderFollower(1, LIST, i, scenario);
      expect(lines).toEqual([
        `{"change":"added",${follower(0).slice(1)}`,
        `{"change":"removed",${follower(1).slice(1)}`,
        `{"change":"removed",${follower(2).slice(1)}`,
        '',
      ]);
      expect(lines[0]).toMatch(/"room_id":\d{19}[,}]/);
      expect((await readdir(dir)).sort()).toEqual(['new.jsonl', 'old.jsonl', 'x.jsonl']);
    });
  });

  it('refuses to overwrite --out (exit 7) unless --force', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'old.csv'), csv(1, 6));
      await writeFile(join(dir, 'new.csv'), csvOf([0, 1], [2, 6]));
      await writeFile(join(dir, 'changes.csv'), 'keep me\n');
      const refused = await runTkfInProcess(['diff', 'old.csv', 'new.csv', '--out', 'changes.csv'], { cwd: dir });
      expect(refused.code).toBe(7);
      expect(refused.stderr).toMatch(/^tkf: changes\.csv already exists; use --force/);
      expect(await readFile(join(dir, 'changes.csv'), 'utf8')).toBe('keep me\n');
      const forced = await runTkfInProcess(['diff', 'old.csv', 'new.csv', '--out', 'changes.csv', '--force'], { cwd: dir });
      expect(forced.code).toBe(0);
      expect(forced.stdout).toBe('');
      const rows = parseCsv(await readFile(join(dir, 'changes.csv'))) as string[][];
      expect(rows.map((row) => row[0])).toEqual(['change', 'added', 'removed']);
      expect((await readdir(dir)).sort()).toEqual(['changes.csv', 'new.csv', 'old.csv']);
    });
  });

  it("takes the formula guard's quote off a guarded CSV input's cells: JSONL rows hold the text, CSV rows follow the diff's own --formula-guard", async () => {
    await withTempDir(async (dir) => {
      const [a, b, c] = [0, 1, 2].map((i) => followerUid(1, LIST, i));
      // b and c are new; c's nickname really starts with a quote (its export was unguarded).
      await writeFile(join(dir, 'old.csv'), `uid,nickname\r\n${a},'-minus-\r\n`);
      await writeFile(join(dir, 'new.csv'), `uid,nickname\r\n${b},'=SUM(A1:A9)\r\n${a},'-minus-\r\n`);
      await writeFile(join(dir, 'plain.csv'), `uid,nickname\r\n${c},'-quoted\r\n${a},-minus-\r\n`);
      const manifest = (formulaGuard: boolean, rows: number) => JSON.stringify({ version: 1, tool: 'tkf', options: { uid: LIST, format: 'csv', fields: ['uid', 'nickname'], bom: false, formulaGuard }, cursor: null, end: 'complete', rows, bytes: 0, uidsBytes: 0, requests: 1, duplicates: 0, total: rows, updated: '2026-11-28T00:00:00.000Z' });
      await writeFile(join(dir, 'new.csv.tkf.json'), manifest(true, 2));
      await writeFile(join(dir, 'plain.csv.tkf.json'), manifest(false, 2));
      const jsonl = await runTkfInProcess(['diff', 'old.csv', 'new.csv', '--format', 'jsonl'], { cwd: dir });
      expect(jsonl.stdout).toBe(`{"change":"added","uid":"${b}","nickname":"=SUM(A1:A9)"}\n`);
      const bare = await runTkfInProcess(['diff', 'old.csv', 'new.csv', '--no-formula-guard'], { cwd: dir });
      expect(bare.stdout).toBe(`change,uid,nickname\r\nadded,${b},=SUM(A1:A9)\r\n`);
      const guarded = await runTkfInProcess(['diff', 'old.csv', 'new.csv'], { cwd: dir });
      expect(guarded.stdout).toBe(`change,uid,nickname\r\nadded,${b},'=SUM(A1:A9)\r\n`);
      // An input written without the guard keeps its cells as they are.
      const plain = await runTkfInProcess(['diff', 'old.csv', 'plain.csv', '--format', 'jsonl'], { cwd: dir });
      expect(plain.stdout).toBe(`{"change":"added","uid":"${c}","nickname":"'-quoted"}\n`);
    });
  });

  it('refuses two exports of different accounts (their manifests say whose) unless --force', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'old.csv'), csv(1, 6));
      await writeFile(join(dir, 'new.csv'), csvOf([0, 1], [2, 6]));
      const manifest = (uid: string) => JSON.stringify({ version: 1, tool: 'tkf', options: { uid, format: 'csv', fields: null, bom: false, formulaGuard: true }, cursor: null, end: 'complete', rows: 5, bytes: 0, uidsBytes: 0, requests: 1, duplicates: 0, total: 5, updated: '2026-11-28T00:00:00.000Z' });
      await writeFile(join(dir, 'old.csv.tkf.json'), manifest('111'));
      await writeFile(join(dir, 'new.csv.tkf.json'), manifest('222'));
      const refused = await runTkfInProcess(['diff', 'old.csv', 'new.csv'], { cwd: dir });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^tkf: old\.csv is an export of 111 and new\.csv of 222: not one account; add --force/);
      expect(refused.stdout).toBe('');
      const forced = await runTkfInProcess(['diff', 'old.csv', 'new.csv', '--force'], { cwd: dir });
      expect(forced.code).toBe(0);
      expect(forced.stderr).toBe('+1 new, -1 gone (5 -> 5)\n');
      // An --out that exists: the advice says that --force replaces it too.
      await writeFile(join(dir, 'changes.csv'), 'yesterday\n');
      const withOut = await runTkfInProcess(['diff', 'old.csv', 'new.csv', '--out', 'changes.csv'], { cwd: dir });
      expect([withOut.code, withOut.stderr]).toEqual([2, expect.stringMatching(/not one account; add --force to compare them anyway \(--force also replaces changes\.csv, which exists\)\n$/)]);
      expect(await readFile(join(dir, 'changes.csv'), 'utf8')).toBe('yesterday\n');
    });
  });

  it('never writes its rows over an export it compares (by name or by a link), --force or not: exit 2, the export kept', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'old.csv'), csv(1, 6));
      await writeFile(join(dir, 'new.csv'), csvOf([0, 1], [2, 6]));
      await symlink('old.csv', join(dir, 'link.csv'));
      for (const out of ['old.csv', 'new.csv', 'link.csv']) {
        const refused = await runTkfInProcess(['diff', 'old.csv', 'new.csv', '--out', out, '--force'], { cwd: dir });
        expect([out, refused.code, refused.stderr]).toEqual([out, 2, expect.stringMatching(new RegExp(`^tkf: --out ${out} is an export it compares.*: writing it would replace what it is made from; name another file\\n$`))]);
      }
      expect(await readFile(join(dir, 'old.csv'), 'utf8')).toBe(csv(1, 6));
      expect(await readFile(join(dir, 'new.csv'), 'utf8')).toBe(csvOf([0, 1], [2, 6]));
    });
  });

  it('takes the lock of --out: a diff does not write where another tkf is writing (exit 7)', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'old.csv'), csv(1, 6));
      await writeFile(join(dir, 'new.csv'), csvOf([0, 1], [2, 6]));
      // A lock held by a running process (this test's own, which wrote it: after it started).
      await writeFile(join(dir, 'changes.csv.lock'), JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), started: new Date().toISOString() }));
      const busy = await runTkfInProcess(['diff', 'old.csv', 'new.csv', '--out', 'changes.csv'], { cwd: dir });
      expect(busy.code).toBe(7);
      expect(busy.stderr).toMatch(/another tkf is already writing changes\.csv/);
      expect((await readdir(dir)).sort()).toEqual(['changes.csv.lock', 'new.csv', 'old.csv']);
    });
  });

  it('exits 2 naming a missing input, and 2 naming the line of a broken one, with nothing on stdout', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'new.csv'), csv(0, 3));
      const missing = await runTkfInProcess(['diff', 'gone.csv', 'new.csv'], { cwd: dir });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toBe('tkf: cannot read gone.csv: no such file\n');
      expect(missing.stdout).toBe('');
      await writeFile(join(dir, 'old.jsonl'), `${jsonl(0, 2)}{"uid":\n`);
      const broken = await runTkfInProcess(['diff', 'old.jsonl', 'new.csv', '--out', 'x.csv'], { cwd: dir });
      expect(broken.code).toBe(2);
      expect(broken.stderr).toMatch(/^tkf: old\.jsonl line 3 is not JSON/);
      expect((await readdir(dir)).sort()).toEqual(['new.csv', 'old.jsonl']);
    });
  });

  it('ends quietly when the reader of stdout goes away', async () => {
    await withTempDir(async (dir) => {
      // Far more rows than a pipe holds, so tkf is still writing when head leaves.
      await writeFile(join(dir, 'old.jsonl'), '');
      await writeFile(join(dir, 'new.jsonl'), jsonl(0, 1300));
      const child = spawn(process.execPath, [BIN, 'diff', 'old.jsonl', 'new.jsonl', '--format', 'jsonl'], { cwd: dir, env: baseEnv() });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      // Like `| head -c 10`: read the first bytes, then close the pipe.
      const first = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8'))));
      child.stdout.destroy();
      const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
      expect(first.startsWith('{"change":"added",')).toBe(true);
      expect(code).toBe(0);
      expect(stderr).toBe('');
    });
  });
});
