/**
 * tkf for scripts and cron, end to end: tkf info, --uids-file batches with templated paths,
 * --update, --json outcomes, the config file, --version; all without a TTY and without HOME.
 * In process (tkf(): createProgram through runCli, fake streams, a clean environment, the exit
 * code main() exits with), but for --version, which runs the built bin.
 */
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MISSING_UID,
  PRIVATE_UID,
  startSimulator,
  type Simulator,
  type UserScenario,
} from '../../src/simulator/index.js';
import { expectedJsonl } from '../helpers/followers.js';
import { runTkfInProcess as tkf } from '../helpers/run-cli.js';
import { runTkf, withTempDir, ROOT } from './run-tkf.js';

const TOKEN = 'tkn-SCRIPTS-q9w8e7';
const A = '5555555555555555551';
const B = '5555555555555555552';
const GROWING = '5555555555555555553';
const users: Record<string, UserScenario> = {
  [A]: { size: 120, total: 130 },
  [B]: { size: 60 },
  [GROWING]: { size: 300, boundaryDuplicates: true },
};

let sim: Simulator;
let earlier: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, users });
  // The same account a day earlier: its 7 newest followers had not followed yet.
  earlier = await startSimulator({ token: TOKEN, users: { ...users, [GROWING]: { ...users[GROWING]!, notYetFollowed: 7 } } });
});
afterAll(async () => {
  await Promise.all([sim.close(), earlier.close()]);
});

const env = (s: Simulator = sim) => ({ TKF_TOKEN: TOKEN, TKF_BASE_URL: s.url });
const jsonl = (uid: string, from: number, to: number) => expectedJsonl(uid, users[uid]!, from, to);

describe('tkf info', () => {
  it('answers for a visible user with the total and an estimate, in words and in JSON', async () => {
    const text = await tkf(['info', '--uid', A], { env: env() });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/the follower list is visible/);
    expect(text.stdout).toMatch(/followers \(the profile's count\): 130/);
    expect(text.stdout).toMatch(/about 7 requests/);
    const json = await tkf(['info', '--uid', A, '--json'], { env: env() });
    expect(JSON.parse(json.stdout)).toMatchObject({ uid: A, visible: true, total: 130, estimated_requests: 7 });
  });

  for (const [name, uid, token, code] of [
    ['hidden', PRIVATE_UID, TOKEN, 3],
    ['missing', MISSING_UID, TOKEN, 4],
    ['refused', A, 'nope', 5],
  ] as const) {
    it(`answers for a ${name} user with exit ${code} and JSON`, async () => {
      const result = await tkf(['info', '--uid', uid, '--json'], { env: { ...env(), TKF_TOKEN: token } });
      expect(result.code).toBe(code);
      const json = JSON.parse(result.stdout);
      expect(json).toMatchObject({ uid, exit_code: code });
      if (code !== 5) expect(json.visible).toBe(false);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    });
  }

  it('checks --timeout as tkf export does (exit 2, not an internal error or a healthy API called unreachable), and takes the config file\'s', async () => {
    for (const value of ['abc', '-1', '0']) {
      const result = await tkf(['info', '--uid', A, '--timeout', value], { env: env() });
      expect([result.code, result.stderr], value).toEqual([2, expect.stringContaining('--timeout takes a whole number of at least 1')]);
    }
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'tkf'));
      await writeFile(join(dir, 'tkf', 'config.json'), '{"timeout": 0}', { mode: 0o600 });
      const result = await tkf(['info', '--uid', A], { env: { ...env(), XDG_CONFIG_HOME: dir } });
      expect([result.code, result.stderr]).toEqual([2, `tkf: the config file ${join(dir, 'tkf', 'config.json')}: "timeout" is 0: --timeout takes a whole number of at least 1\n`]);
    });
  });

  it('a throttling API: each wait said on stderr, then exit 8 at --max-wait (it waited 10 silent minutes)', async () => {
    const throttling = await startSimulator({ token: TOKEN, users, faults: { rate: 1, kinds: ['429'], retryAfter: '1', maxConsecutive: 1_000_000 } });
    try {
      const result = await tkf(['info', '--uid', A, '--max-wait', '2', '--json'], { env: env(throttling) });
      expect(result.code, result.stderr).toBe(8);
      expect(JSON.parse(result.stdout)).toMatchObject({ uid: A, exit_code: 8 });
      expect(result.stderr).toMatch(/^tkf: HTTP 429 Too Many Requests at cursor 0; the run waits 1\.0 s \(--max-wait\)\n/);
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(/--max-wait 2 s$/);
    } finally {
      await throttling.close();
    }
  });
});

describe('many users', () => {
  it('exports the good users of a uids file into templated paths and exits 9 naming each', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'uids.txt'), `# accounts\n${A}\n\n${PRIVATE_UID}\n${B}  # second\n${MISSING_UID}\n`);
      const result = await tkf(
        ['export', '--uids-file', 'uids.txt', '--out', 'exports/{date}/{uid}.csv', '--json', '--concurrency', '3'],
        { env: env(), cwd: dir },
      );
      expect(result.code).toBe(9);
      const summary = JSON.parse(result.stdout);
      expect(summary.exit_code).toBe(9);
      const byUid = Object.fromEntries(summary.users.map((u: any) => [u.uid, u]));
      expect(Object.keys(byUid)).toEqual([A, PRIVATE_UID, B, MISSING_UID]);
      expect(byUid[A]).toMatchObject({ exit_code: 0, complete: true, rows: 120 });
      expect(byUid[B]).toMatchObject({ exit_code: 0, complete: true, rows: 60 });
      expect(byUid[PRIVATE_UID]).toMatchObject({ exit_code: 3, complete: false, file: null });
      expect(byUid[MISSING_UID]).toMatchObject({ exit_code: 4, complete: false });
      const date = (await readdir(join(dir, 'exports')))[0]!;
      expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(byUid[A].file).toBe(`exports/${date}/${A}.csv`);
      expect(parseCsv(await readFile(join(dir, byUid[A].file)), { columns: true })).toHaveLength(120);
      expect(parseCsv(await readFile(join(dir, byUid[B].file)), { columns: true })).toHaveLength(60);
      expect(result.stderr).toMatch(new RegExp(`${PRIVATE_UID}: failed \\(exit 3\\)`));
      expect(result.stderr).toMatch(/4 users: 2 complete, 2 failed/);
    });
  });

  it('exits 0 when every user is complete, and reads uids from stdin', async () => {
    await withTempDir(async (dir) => {
      const result = await tkf(['export', '--uids-file', '-', '--out', join(dir, '{uid}.jsonl'), '--quiet'], { env: env(), input: `${A}\n${B}\n` });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(await readFile(join(dir, `${B}.jsonl`), 'utf8')).toBe(jsonl(B, 0, 60));
    });
  });

  it('needs {uid} in --out for several users, and rejects a bad uid line before any request', async () => {
    const before = sim.stats.requests;
    const noTemplate = await tkf(['export', '--uids-file', '-', '--out', 'x.csv'], { env: env(), input: `${A}\n${B}\n` });
    expect(noTemplate.code).toBe(2);
    expect(noTemplate.stderr).toMatch(/--out must contain \{uid\}/);
    const bad = await tkf(['export', '--uids-file', '-', '--out', '{uid}.csv'], { env: env(), input: `${A}\n@handle\n` });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/stdin line 2: a uid must be the numeric user_id/);
    expect(sim.stats.requests).toBe(before);
  });
});

describe('--update', () => {
  it('adds exactly the new followers on top with one request, and the file equals a full export', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      expect((await tkf(['export', '--uid', GROWING, '--out', out], { env: env(earlier) })).code).toBe(0);
      expect(await readFile(out, 'utf8')).toBe(jsonl(GROWING, 7, 300));
      const before = sim.stats.byUid[GROWING] ?? 0;
      const update = await tkf(['export', '--uid', GROWING, '--out', out, '--update', '--json'], { env: env() });
      expect(update.code).toBe(0);
      expect((sim.stats.byUid[GROWING] ?? 0) - before).toBe(1);
      expect(JSON.parse(update.stdout)).toMatchObject({ uid: GROWING, complete: true, rows: 300, added: 7, requests: 1 });
      expect(update.stderr).toMatch(/added 7 new followers on top of 293/);
      expect(await readFile(out, 'utf8')).toBe(jsonl(GROWING, 0, 300));
      // Nothing new: one request, the file untouched.
      const again = await tkf(['export', '--uid', GROWING, '--out', out, '--update'], { env: env() });
      expect(again.code).toBe(0);
      expect(again.stderr).toMatch(/added 0 new followers/);
      expect(await readFile(out, 'utf8')).toBe(jsonl(GROWING, 0, 300));
    });
  });

  it('keeps a CSV export valid: one header, new rows first', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.csv');
      expect((await tkf(['export', '--uid', GROWING, '--out', out, '--bom'], { env: env(earlier) })).code).toBe(0);
      expect((await tkf(['export', '--uid', GROWING, '--out', out, '--update', '--bom'], { env: env() })).code).toBe(0);
      const full = join(dir, 'full.csv');
      expect((await tkf(['export', '--uid', GROWING, '--out', full, '--bom'], { env: env() })).code).toBe(0);
      expect(await readFile(out, 'utf8')).toBe(await readFile(full, 'utf8'));
    });
  });

  it('does a full export when the file is missing, and refuses a file of another user or format', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.csv');
      const first = await tkf(['export', '--uid', A, '--out', out, '--update'], { env: env() });
      expect(first.code).toBe(0);
      expect(parseCsv(await readFile(out), { columns: true })).toHaveLength(120);
      const other = await tkf(['export', '--uid', B, '--out', out, '--update'], { env: env() });
      expect(other.code).toBe(2);
      expect(other.stderr).toMatch(/cannot update .*: it is an export with uid 5555555555555555551, not 5555555555555555552/);
      const columns = await tkf(['export', '--uid', A, '--out', out, '--update', '--fields', 'uid,nickname'], { env: env() });
      expect(columns.code).toBe(2);
      await writeFile(join(dir, 'hand.csv'), 'uid,nickname\n1,x\n');
      const foreign = await tkf(['export', '--uid', A, '--out', join(dir, 'hand.csv'), '--update'], { env: env() });
      expect(foreign.code).toBe(2);
      expect(foreign.stderr).toMatch(/has no tkf manifest/);
    });
  });
});

describe('machine-readable results and configuration', () => {
  it('--json prints one object on success and on failure; nothing else on stdout', async () => {
    await withTempDir(async (dir) => {
      const ok = await tkf(['export', '--uid', A, '--out', join(dir, 'a.csv'), '--json'], { env: env() });
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toEqual({
        uid: A, exit_code: 0, complete: true, rows: 120, requests: 6, requests_total: 6, file: join(dir, 'a.csv'), end: 'complete', total: 130, incomplete_seconds: [],
      });
      const hidden = await tkf(['export', '--uid', PRIVATE_UID, '--out', join(dir, 'p.csv'), '--json'], { env: env() });
      expect(hidden.code).toBe(3);
      expect(JSON.parse(hidden.stdout)).toMatchObject({ uid: PRIVATE_UID, exit_code: 3, complete: false, rows: 0, file: null });
      const stdout = await tkf(['export', '--uid', A, '--out', '-', '--json'], { env: env() });
      expect(stdout.code).toBe(2);
    });
  });

  it('reads base_url and token_file from the config file; flags and environment win; warns when others can read it', async () => {
    await withTempDir(async (dir) => {
      const configDir = join(dir, 'config', 'tkf');
      await mkdir(configDir, { recursive: true });
      await writeFile(join(dir, 'token'), TOKEN);
      await chmod(join(dir, 'token'), 0o600); // a token file others can read is warned about too
      await writeFile(join(configDir, 'config.json'), JSON.stringify({ base_url: sim.url, token_file: join(dir, 'token'), format: 'jsonl', retries: 2 }));
      await chmod(join(configDir, 'config.json'), 0o600);
      const viaConfig = await tkf(['export', '--uid', B, '--out', '-'], { env: { XDG_CONFIG_HOME: join(dir, 'config') } });
      expect(viaConfig.code).toBe(0);
      expect(viaConfig.stdout).toBe(jsonl(B, 0, 60));
      expect(viaConfig.stderr).not.toMatch(/warning/);
      const flagWins = await tkf(['export', '--uid', B, '--out', '-', '--base-url', 'http://127.0.0.1:9', '--retries', '0'], { env: { XDG_CONFIG_HOME: join(dir, 'config') } });
      expect(flagWins.code).toBe(6);
      await chmod(join(configDir, 'config.json'), 0o644);
      const warned = await tkf(['export', '--uid', B, '--out', '-', '--limit', '1'], { env: { XDG_CONFIG_HOME: join(dir, 'config') } });
      expect(warned.code).toBe(0);
      expect(warned.stderr).toMatch(/warning: the config file .* is readable by other users/);
      await writeFile(join(configDir, 'config.json'), '{"colour": true}');
      const unknown = await tkf(['export', '--uid', B, '--out', '-'], { env: { ...env(), XDG_CONFIG_HOME: join(dir, 'config') } });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/unknown key "colour"/);
      // The same limits as the flag: {"concurrency": 0} is exit 2 before any request, as --concurrency 0 is.
      await writeFile(join(configDir, 'config.json'), '{"concurrency": 0}');
      const before = sim.stats.requests;
      const zero = await tkf(['export', '--uids-file', '-', '--out', join(dir, '{uid}.csv')], { env: { ...env(), XDG_CONFIG_HOME: join(dir, 'config') }, input: `${A}\n${B}\n` });
      expect(zero.code).toBe(2);
      expect(zero.stderr).toMatch(/\ntkf: the config file .*config\.json: "concurrency" is 0: --concurrency takes a whole number from 1 to 64\n$/);
      expect(sim.stats.requests).toBe(before);
      // A bad value is said with where it came from: a user who never typed --base-url looks there.
      const configFile = join(configDir, 'config.json');
      await writeFile(configFile, JSON.stringify({ base_url: 'api.example.com', token_file: join(dir, 'nope') }));
      await chmod(configFile, 0o600);
      const said = async (extra: Record<string, string>) => (await tkf(['export', '--uid', B, '--out', join(dir, 'said.csv')], { env: { XDG_CONFIG_HOME: join(dir, 'config'), ...extra } })).stderr;
      expect(await said({ TKF_TOKEN: TOKEN })).toBe(`tkf: base_url in the config file ${configFile}: "api.example.com" is not a URL; write it like http://api.example.com\n`);
      expect(await said({ TKF_TOKEN: TOKEN, TKF_BASE_URL: 'ftp://x' })).toBe('tkf: TKF_BASE_URL: "ftp://x" must start with http:// or https://\n');
      // A query would be sent inside the path; refused without repeating it (it may hold a token).
      const query = await said({ TKF_TOKEN: TOKEN, TKF_BASE_URL: `${sim.url}/v1?token=tkn-IN-THE-URL` });
      expect(query).toBe(`tkf: TKF_BASE_URL: the base URL must not carry a query (?...); give the API's host and any path before /tk/user/followers, like ${sim.url}/v1\n`);
      expect(await said({})).toBe(`tkf: cannot read the token from ${join(dir, 'nope')}: no such file (ENOENT); check token_file in the config file ${configFile}\n`);
      expect(await said({ TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url, TKF_DB: 'mysql://me:s3cret@db.example/tkf' })).toBe(
        'tkf: the history database (--db, TKF_DB or the config file\'s "db") is a SQLite file (history.sqlite) or a postgres:// URL, not a mysql:// URL\n',
      );
    });
  });

  it('--resume keeps the options the interrupted export took from the config file, when the config changed since and the resume names none', async () => {
    await withTempDir(async (dir) => {
      const configFile = join(dir, 'config', 'tkf', 'config.json');
      await mkdir(join(dir, 'config', 'tkf'), { recursive: true });
      const config = async (values: object) => {
        await writeFile(configFile, JSON.stringify(values));
        await chmod(configFile, 0o600);
      };
      const run = (args: string[]) => tkf(['export', '--uid', B, ...args], { env: { ...env(), XDG_CONFIG_HOME: join(dir, 'config') } });
      await config({ bom: true, formula_guard: false });
      const out = join(dir, 'f.csv');
      expect((await run(['--out', out, '--max-requests', '1'])).code).toBe(8);
      await config({});
      const resumed = await run(['--out', out, '--resume']);
      expect([resumed.code, resumed.stderr]).toEqual([0, expect.stringContaining('resuming')]);
      // The file as one run with those options writes it.
      const whole = join(dir, 'whole.csv');
      expect((await run(['--out', whole, '--bom', '--no-formula-guard'])).code).toBe(0);
      expect((await readFile(out)).equals(await readFile(whole))).toBe(true);
      // Named on the command line, another value is still refused, the interrupted export kept.
      const again = join(dir, 'g.csv');
      await config({ bom: true });
      expect((await run(['--out', again, '--max-requests', '1'])).code).toBe(8);
      const refused = await run(['--out', again, '--resume', '--no-bom']);
      expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('it was started with --bom')]);
    });
  });

  it('tkf --version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    const result = await runTkf(['--version']); // the installed bin, spawned
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});

describe('packaging', () => {
  it('npm pack holds only what runs: compiled code, bin, README, licence, the sample fixture', async () => {
    const { execFileSync } = await import('node:child_process');
    const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    const files: string[] = JSON.parse(output)[0].files.map((f: { path: string }) => f.path);
    for (const file of files) {
      expect(file).toMatch(/^(dist\/.*\.js|bin\/tkf\.js|README\.md|LICENSE|package\.json|fixtures\/sample-response\.json)$/);
    }
    expect(files).toContain('bin/tkf.js');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('LICENSE');
  });
});
