/**
 * .xlsx end to end: an export of 300 followers read back (test/helpers/read-xlsx.ts) equals the JSONL export (uids,
 * nicknames, bios, one row per follower); an interrupted export resumes to the same workbook;
 * stdout, --update and tkf diff refuse .xlsx with exit 2 and say what to use instead. Every run
 * in process (tkf(): createProgram through runCli, the exit code main() exits with).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type UserScenario } from '../../src/simulator/index.js';
import { readXlsx, type Cell } from '../helpers/read-xlsx.js';
import { runTkfInProcess as tkf } from '../helpers/run-cli.js';
import { withTempDir } from './run-tkf.js';

const TOKEN = 'tkn-XLSX-e2e-4411';
const UID = '1111111111111111111';
const list: UserScenario = { size: 300, bigRoomIds: 0.2, boundaryDuplicates: true, randomDuplicates: 0.2 };

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, users: { [UID]: list } });
});
afterAll(async () => {
  await sim.close();
});
const env = () => ({ TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url });

/** The first sheet's rows as read back: [header, ...rows], each cell { t, v } or undefined. */
async function readSheet(path: string): Promise<Array<Array<Cell | undefined>>> {
  return (await readXlsx(path)).sheets[0]!.rows;
}

const jsonl = async (path: string) =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('tkf export --out followers.xlsx', () => {
  it('the workbook holds exactly what the JSONL export holds: uids, nicknames, bios', async () => {
    await withTempDir(async (dir) => {
      // 300 followers in the sample's shape (the demo's 5,000 prove no more, at 17 times the requests).
      const xlsx = await tkf(['export', '--uid', UID, '--out', 'followers.xlsx'], { cwd: dir, env: env() });
      expect(xlsx.code).toBe(0);
      expect(xlsx.stderr).toMatch(/file: followers\.xlsx/);
      const plain = await tkf(['export', '--uid', UID, '--out', 'followers.jsonl'], { cwd: dir, env: env() });
      expect(plain.code).toBe(0);
      const [header, ...rows] = await readSheet(join(dir, 'followers.xlsx'));
      const followers = await jsonl(join(dir, 'followers.jsonl'));
      expect(rows).toHaveLength(followers.length);
      expect(rows).toHaveLength(300);
      const names = header!.map((cell) => cell?.v);
      const at = (name: string) => names.indexOf(name);
      expect(at('uid')).toBe(0);
      rows.forEach((row, i) => {
        const f = followers[i]!;
        expect(row[at('uid')]).toMatchObject({ t: 's', v: f.uid });
        expect(row[at('nickname')]?.v ?? '').toBe(f.nickname);
        expect(row[at('signature')]?.v ?? '').toBe(f.signature);
        expect(row[at('follower_count')]).toMatchObject({ t: 'n', v: f.follower_count });
      });
      // Nothing but the workbooks and their manifests is left behind.
      expect((await readdir(dir)).sort()).toEqual(['followers.jsonl', 'followers.jsonl.tkf.json', 'followers.xlsx', 'followers.xlsx.tkf.json']);
    });
  });

  it('19-digit room_ids (JSON numbers) and uids come out as exact text', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.xlsx');
      const result = await tkf(['export', '--uid', UID, '--out', out, '--fields', 'uid,room_id,nickname'], { env: env() });
      expect(result.code).toBe(0);
      await tkf(['export', '--uid', UID, '--out', join(dir, 'f.jsonl'), '--fields', 'uid,room_id'], { env: env() });
      // The JSONL line's room_id digits, exactly as sent (JSON.parse would round them).
      const roomIds = (await readFile(join(dir, 'f.jsonl'), 'utf8')).split('\n').filter(Boolean).map((line) => /"room_id":(\d+)/.exec(line)![1]);
      const rows = (await readSheet(out)).slice(1);
      expect(rows).toHaveLength(300);
      expect(roomIds.some((id) => id!.length > 15)).toBe(true);
      rows.forEach((row, i) => expect(row[1]).toMatchObject({ t: 's', v: roomIds[i] }));
    });
  });

  it('stopped by --max-requests, then --resume, gives the same rows as one uninterrupted run', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.xlsx');
      const first = await tkf(['export', '--uid', UID, '--out', out, '--max-requests', '4'], { env: env() });
      expect(first.code).toBe(8);
      expect(existsSync(out)).toBe(false);
      expect(existsSync(`${out}.part`)).toBe(true);
      let code = 8;
      for (let run = 0; run < 20 && code === 8; run++) {
        code = (await tkf(['export', '--uid', UID, '--out', out, '--resume', '--max-requests', '4'], { env: env() })).code!;
      }
      expect(code).toBe(0);
      const whole = join(dir, 'whole.xlsx');
      expect((await tkf(['export', '--uid', UID, '--out', whole], { env: env() })).code).toBe(0);
      const resumed = await readSheet(out);
      expect(resumed).toHaveLength(301);
      expect(resumed).toEqual(await readSheet(whole));
      expect((await readdir(dir)).sort()).toEqual(['f.xlsx', 'f.xlsx.tkf.json', 'whole.xlsx', 'whole.xlsx.tkf.json']);
      const again = await tkf(['export', '--uid', UID, '--out', out, '--resume'], { env: env() });
      expect(again.code).toBe(0);
      expect(again.stderr).toMatch(/already complete/);
    });
  });
  it('a workbook that cannot be written is exit 7 and the export stays resumable, at no new request', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.xlsx');
      await mkdir(`${out}.render.tmp`); // where the workbook is rendered before it is published
      const failed = await tkf(['export', '--uid', UID, '--out', out], { env: env() });
      expect(failed.code).toBe(7);
      expect(failed.stderr).toMatch(/^tkf: cannot write .*f\.xlsx\.render\.tmp: it is a directory/m);
      expect(existsSync(out)).toBe(false);
      await rmdir(`${out}.render.tmp`);
      const before = sim.stats.requests;
      const resumed = await tkf(['export', '--uid', UID, '--out', out, '--resume'], { env: env() });
      expect(resumed.code).toBe(0);
      expect(sim.stats.requests).toBe(before);
      expect((await readSheet(out)).slice(1)).toHaveLength(300);
      expect((await readdir(dir)).sort()).toEqual(['f.xlsx', 'f.xlsx.tkf.json']);
    });
  });
});

describe('what .xlsx refuses, with exit 2 and what to do instead', () => {
  it('stdout, --update, tkf diff, tkf report and tkf history import', async () => {
    await withTempDir(async (dir) => {
      const stdout = await tkf(['export', '--uid', UID, '--out', '-', '--format', 'xlsx'], { env: env() });
      expect(stdout.code).toBe(2);
      expect(stdout.stderr).toMatch(/^tkf: --format xlsx writes a file, not stdout; use --out followers\.xlsx/);
      expect(stdout.stdout).toBe('');

      const out = join(dir, 'f.xlsx');
      expect((await tkf(['export', '--uid', UID, '--out', out, '--limit', '20'], { env: env() })).code).toBe(0);
      const before = await readFile(out);
      const update = await tkf(['export', '--uid', UID, '--out', out, '--update'], { env: env() });
      expect(update.code).toBe(2);
      expect(update.stderr).toMatch(/^tkf: --update cannot add to an \.xlsx workbook; export to \.csv or \.jsonl for --update/);
      expect((await readFile(out)).equals(before)).toBe(true);

      // Each says why as an .xlsx, beside its manifest too (not "not the file its manifest describes").
      for (const args of [['diff', out, out], ['report', out], ['history', 'import', '--db', join(dir, 'h.sqlite'), out]]) {
        const refused = await tkf(args, { env: env() });
        expect([args[0], refused.code]).toEqual([args[0], 2]);
        expect(refused.stderr).toMatch(/^tkf: cannot read back .*\.xlsx \(xlsx\): diff, report, history import and --update read \.csv and \.jsonl exports only\n$/);
      }
    });
  });
});
