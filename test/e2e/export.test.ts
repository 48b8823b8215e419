/**
 * tkf export against the simulator on 127.0.0.1, checking exit codes, the files and stderr:
 * without a TTY in process (createProgram through runCli, test/helpers/run-cli.ts, with the exit
 * code main() would exit with), and on a terminal (via `script`) through the built binary.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MISSING_UID,
  PRIVATE_UID,
  PUBLIC_UID,
  renderFollower,
  startSimulator,
  type Simulator,
  type UserScenario,
} from '../../src/simulator/index.js';
import { runTkfInProcess } from '../helpers/run-cli.js';
import { ANSI, runTkf, withTempDir } from './run-tkf.js';

const TOKEN = 'tkn-E2E-Distinct-7f3a9c';
const SMALL_UID = '1234567890123456789';
const BIG_UID = '9223372036854775807';
const small: UserScenario = { size: 230, total: 230, bigRoomIds: 0.2, boundaryDuplicates: true, randomDuplicates: 0.3 };
// Its total is below twice what it serves: a cap, not a list cut short (that is exit 10: walk-verdicts).
const capped: UserScenario = { size: 300, total: 500, cap: 300 };

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, users: { [SMALL_UID]: small, [BIG_UID]: capped } });
});
afterAll(async () => {
  await sim.close();
});

const env = () => ({ TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url });

function expectedJsonl(uid: string, scenario: UserScenario, count: number, seed = 1): string {
  let text = '';
  for (let i = 0; i < count; i++) text += `${renderFollower(seed, uid, i, scenario)}\n`;
  return text;
}

describe('tkf export (no TTY)', () => {
  it('exports a public user to JSONL: every follower once, bytes exactly as served', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      const result = await runTkfInProcess(['export', '--uid', SMALL_UID, '--out', out], { env: env() });
      expect(result.stderr).not.toMatch(ANSI);
      expect(result.code).toBe(0);
      const text = await readFile(out, 'utf8');
      expect(text).toBe(expectedJsonl(SMALL_UID, small, 230));
      // 19-digit room_id numbers came through as written, not rounded by JSON.parse.
      expect(text).toMatch(/"room_id":\d{19}[,}]/);
      expect(result.stderr).toMatch(/exported 230 followers; \d+ requests in .*; file: .*f\.jsonl/);
      expect(await readdir(dir)).toEqual(['f.jsonl', 'f.jsonl.tkf.json']);
    });
  });

  it('exports to CSV with the default columns, values matching the API', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.csv');
      const result = await runTkfInProcess(['export', '--uid', SMALL_UID, '--out', out, '--no-formula-guard'], { env: env() });
      expect(result.code).toBe(0);
      const rows = parseCsv(await readFile(out), { columns: true, bom: true }) as Record<string, string>[];
      expect(rows).toHaveLength(230);
      expect(Object.keys(rows[0]!)).toEqual([
        'uid', 'sec_uid', 'unique_id', 'nickname', 'profile_url', 'signature', 'follower_count',
        'following_count', 'aweme_count', 'total_favorited', 'region', 'language',
        'verification_type', 'custom_verify', 'avatar_url',
      ]);
      rows.forEach((row, i) => {
        const f = JSON.parse(renderFollower(1, SMALL_UID, i, small)) as Record<string, any>;
        expect(row.uid).toBe(f.uid);
        expect(row.nickname).toBe(f.nickname);
        expect(row.signature).toBe(f.signature);
        expect(row.profile_url).toBe(`https://www.tiktok.com/@${f.unique_id}`);
        expect(row.avatar_url).toBe(f.avatar_larger.url_list[0]);
        expect(row.follower_count).toBe(String(f.follower_count));
      });
      expect(new Set(rows.map((r) => r.uid)).size).toBe(230);
    });
  });

  it('--fields picks paths; a 19-digit room_id stays exact in CSV', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.csv');
      const result = await runTkfInProcess(['export', '--uid', SMALL_UID, '--out', out, '--fields', 'uid,room_id,avatar_larger.url_list.1'], { env: env() });
      expect(result.code).toBe(0);
      const rows = parseCsv(await readFile(out, 'utf8'), { columns: true }) as Record<string, string>[];
      const raw = expectedJsonl(SMALL_UID, small, 230).split('\n');
      rows.forEach((row, i) => {
        const roomId = /"room_id":(\d+)/.exec(raw[i]!)![1];
        expect(row.room_id).toBe(roomId);
      });
      expect(rows.some((row) => row.room_id!.length === 19)).toBe(true);
    });
  });

  it('writes JSONL to stdout with --out -, and messages only to stderr', async () => {
    const result = await runTkfInProcess(['export', '--uid', SMALL_UID, '--out', '-'], { env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(expectedJsonl(SMALL_UID, small, 230));
    expect(result.stderr).toMatch(/exported 230 followers/);
  });

  it('explains a capped list in the summary', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.csv');
      const before = sim.stats.cursors.length;
      const result = await runTkfInProcess(['export', '--uid', BIG_UID, '--out', out], { env: env() });
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/exported 300 of 500 followers: the API serves no more \(TikTok limits how deep follower lists go\)/);
      // The -1 cursor of the cap is never sent back.
      const sent = sim.stats.cursors.slice(before);
      expect(sent.filter((c) => c === '-1' || c === '0')).toEqual(['0']);
    });
  });

  it('runs the demo with no token and no host', async () => {
    await withTempDir(async (dir) => {
      // The binary: the README's first command, as a newcomer runs it.
      const result = await runTkf(['export', '--demo', '--out', 'followers.csv'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/exported 5,000 of 8,229,668 followers: the API serves no more/);
      const rows = parseCsv(await readFile(join(dir, 'followers.csv')), { columns: true }) as Record<string, string>[];
      expect(rows).toHaveLength(5000);
      expect(new Set(rows.map((r) => r.uid)).size).toBe(5000);
    });
  });

  it('works with a base URL that has a path prefix', async () => {
    const prefixed = await startSimulator({ token: TOKEN, basePath: '/api/v2', users: { [SMALL_UID]: small } });
    try {
      const result = await runTkfInProcess(['export', '--uid', SMALL_UID, '--out', '-', '--base-url', `${prefixed.url}/`], { env: { TKF_TOKEN: TOKEN } });
      expect(result.code).toBe(0);
      expect(result.stdout.split('\n').filter(Boolean)).toHaveLength(230);
    } finally {
      await prefixed.close();
    }
  });
});

describe('tkf export: failures are one sentence and a documented code', () => {
  const cases: Array<[string, string[], Record<string, string | undefined>, number, RegExp]> = [
    ['a hidden list', ['--uid', PRIVATE_UID], {}, 3, /hidden by their privacy settings/],
    ['a missing user', ['--uid', MISSING_UID], {}, 4, /does not exist/],
    ['a refused token', ['--uid', SMALL_UID], { TKF_TOKEN: 'wrong-token' }, 5, /refused the request \(code 403\): token/],
    ['no token', ['--uid', SMALL_UID], { TKF_TOKEN: undefined }, 2, /no API token: set TKF_TOKEN/],
    ['no host', ['--uid', SMALL_UID], { TKF_BASE_URL: undefined }, 2, /no API host: pass --base-url/],
    ['an unknown format', ['--uid', SMALL_UID, '--format', 'xml'], {}, 2, /argument 'xml' is invalid/],
    ['an unknown extension', ['--uid', SMALL_UID, '--out', 'x.txt'], {}, 2, /cannot tell the format/],
  ];
  for (const [name, args, extraEnv, code, message] of cases) {
    it(`${name}: exit ${code}`, async () => {
      await withTempDir(async (dir) => {
        const hasOut = args.includes('--out');
        const result = await runTkfInProcess(['export', ...args, ...(hasOut ? [] : ['--out', join(dir, 'f.csv')])], {
          env: { ...env(), ...extraEnv },
          cwd: dir,
        });
        expect(result.code).toBe(code);
        expect(result.stderr).toMatch(message);
        const lines = result.stderr.trim().split('\n');
        // The progress line that says what starts, then exactly one line for the error.
        expect(lines.filter((l) => !l.startsWith('(run') && !/exporting the followers of/.test(l))).toHaveLength(1);
        expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
        expect(await readdir(dir)).toEqual([]);
      });
    });
  }

  for (const uid of ['@someone', '12a4', '123456789012345678901', '', '-5', '１２３']) {
    it(`rejects the uid "${uid}" with exit 2 before any request`, async () => {
      const before = sim.stats.requests;
      const result = await runTkfInProcess(['export', '--uid', uid, '--out', '-'], { env: env() });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--uid must be the numeric user_id/);
      expect(sim.stats.requests).toBe(before);
    });
  }

  it('keeps a 20-digit uid as text (a Number would be another user)', async () => {
    const before = sim.stats.requests;
    const result = await runTkfInProcess(['export', '--uid', '18446744073709551615', '--out', '-'], { env: env() });
    expect(result.code).toBe(4);
    expect(sim.stats.requests).toBe(before + 1);
    expect(Object.keys(sim.stats.byUid)).toContain('18446744073709551615');
  });

  it('a missing directory is created, as for a template; one that cannot be is exit 7 with the path', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'nope', 'f.csv');
      const result = await runTkfInProcess(['export', '--uid', SMALL_UID, '--out', out, '--limit', '5'], { env: env() });
      expect(result.code).toBe(0);
      expect(await readdir(join(dir, 'nope'))).toContain('f.csv');
      await writeFile(join(dir, 'file'), '');
      const blocked = await runTkfInProcess(['export', '--uid', SMALL_UID, '--out', join(dir, 'file', 'f.csv')], { env: env() });
      expect(blocked.code).toBe(7);
      expect(blocked.stderr).toContain(join(dir, 'file'));
    });
  });

  it('reads the token from a file and from stdin', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'token'), `${TOKEN}\n`);
      const fromFile = await runTkfInProcess(['export', '--uid', SMALL_UID, '--out', '-', '--token-file', join(dir, 'token'), '--limit', '3'], { env: { TKF_BASE_URL: sim.url } });
      expect(fromFile.code).toBe(0);
      expect(fromFile.stdout.trim().split('\n')).toHaveLength(3);
      const fromStdin = await runTkfInProcess(['export', '--uid', SMALL_UID, '--out', '-', '--token-file', '-', '--limit', '3'], { env: { TKF_BASE_URL: sim.url }, input: `${TOKEN}\n` });
      expect(fromStdin.code).toBe(0);
      expect(fromStdin.stdout.trim().split('\n')).toHaveLength(3);
      // Two lines: a usage error before any request, not the API's refusal of both lines sent as one token (exit 5).
      await writeFile(join(dir, 'two'), `${TOKEN}\nold-token\n`, { mode: 0o600 });
      const asked = sim.stats.requests;
      const two = await runTkfInProcess(['export', '--uid', SMALL_UID, '--out', '-', '--token-file', join(dir, 'two')], { env: { TKF_BASE_URL: sim.url } });
      expect([two.code, two.stderr]).toEqual([2, `tkf: the token file ${join(dir, 'two')} holds more than one line: it must hold the token alone\n`]);
      expect(sim.stats.requests).toBe(asked);
    });
  });
});

describe('tkf export on a terminal', () => {
  it('shows a progress bar and the summary, and still writes the file', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.csv');
      const result = await runTkf(['export', '--uid', SMALL_UID, '--out', out], { env: env(), tty: true });
      expect(result.code).toBe(0);
      // Through `script`, stdout carries what the terminal showed (stderr included).
      expect(result.stdout).toMatch(/230\/230 followers/);
      expect(result.stdout).toMatch(/exported 230 followers/);
      const rows = parseCsv(await readFile(out), { columns: true }) as unknown[];
      expect(rows).toHaveLength(230);
    });
  });

  it('--quiet prints nothing on success, even on a terminal', async () => {
    await withTempDir(async (dir) => {
      const result = await runTkf(['export', '--uid', SMALL_UID, '--out', join(dir, 'f.csv'), '--quiet'], { env: env(), tty: true });
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe('');
    });
  });
});
