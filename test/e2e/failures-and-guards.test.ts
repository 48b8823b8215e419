/**
 * A failure is one line naming what failed and the next step; guardrails stop a run before a paid
 * request is wasted; the token stays a secret in hints and files. In process (createProgram
 * through runCli, test/helpers/run-cli.ts), with the exit code main() would exit with; the resume
 * hint is pasted from a run of the binary.
 */
import { spawn } from 'node:child_process';
import { chmod, copyFile, lstat, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type UserScenario } from '../../src/simulator/index.js';
import { runTkfInProcess } from '../helpers/run-cli.js';
import { ROOT, baseEnv, runTkf, withTempDir } from './run-tkf.js';

const TOKEN = 'tkn-Guard-9d1e';
const UID = '2222222222222222222';
const list: UserScenario = { size: 200, total: 200 };

async function withSim<T>(options: Parameters<typeof startSimulator>[0], fn: (sim: Simulator) => Promise<T>): Promise<T> {
  const sim = await startSimulator({ token: TOKEN, users: { [UID]: list }, ...options });
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

const env = (sim: Simulator) => ({ TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url });
const lastLine = (text: string) => text.trim().split('\n').at(-1)!;

/** Runs a line as pasted into a shell. */
function sh(line: string, options: { env: Record<string, string>; cwd: string }): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], { env: baseEnv(options.env), cwd: options.cwd, stdio: 'ignore' });
    child.once('error', reject);
    child.once('close', resolve);
  });
}

describe('a failure names what failed, in one line with the next step', () => {
  it('an unreachable API: the host, never the token', async () => {
    const result = await runTkfInProcess(['export', '--uid', UID, '--out', '-', '--retries', '1', '--backoff', '1'], {
      env: { TKF_TOKEN: TOKEN, TKF_BASE_URL: 'http://127.0.0.1:9' },
    });
    expect(result.code).toBe(6);
    expect(lastLine(result.stderr)).toMatch(/^tkf: the API at 127\.0\.0\.1:9 failed 2 times in a row at cursor 0; last: the connection was refused \(ECONNREFUSED\); check the host and the network, or try again later$/);
    expect(result.stderr).not.toContain(TOKEN);
  });

  it('an API that fails after some pages: the rows saved, and --resume to go on', async () => {
    await withSim({ faults: { schedule: { 4: '503', 5: '503' } } }, async (sim) => {
      await withTempDir(async (dir) => {
        const out = join(dir, 'f.csv');
        const failed = await runTkfInProcess(['export', '--uid', UID, '--out', out, '--retries', '1', '--backoff', '1'], { env: env(sim) });
        expect(failed.code).toBe(6);
        expect(lastLine(failed.stderr)).toMatch(
          new RegExp(`^tkf: the API at 127\\.0\\.0\\.1:${sim.port} failed 2 times in a row .*HTTP 503.*; the 60 rows so far are saved: run the same command with --resume to go on$`),
        );
        const resumed = await runTkfInProcess(['export', '--uid', UID, '--out', out, '--resume'], { env: env(sim) });
        expect(resumed.code).toBe(0);
        expect(resumed.stderr).toMatch(/exported 200 followers/);
      });
    });
  });

  it('a refusal: the user, and what to check', async () => {
    await withSim({ quota: 2 }, async (sim) => {
      await withTempDir(async (dir) => {
        const result = await runTkfInProcess(['export', '--uid', UID, '--out', join(dir, 'f.csv')], { env: env(sim) });
        expect(result.code).toBe(5);
        expect(lastLine(result.stderr)).toMatch(
          new RegExp(`^tkf: user ${UID}: the API at 127\\.0\\.0\\.1:\\d+ refused the request \\(code 402\\): .*; check the token \\(TKF_TOKEN, --token-file or the config file's token_file\\) and the balance of your API account; the 40 rows so far are saved`),
        );
      });
    });
  });

  it('a token file that is not there: its path', async () => {
    const result = await runTkfInProcess(['export', '--uid', UID, '--out', '-', '--token-file', '/nonexistent/token'], { env: { TKF_BASE_URL: 'http://127.0.0.1:9' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('tkf: cannot read the token from /nonexistent/token: no such file (ENOENT); check --token-file\n');
  });
});

describe('guardrails before money is spent', () => {
  it('a --fields column no follower of the first page has: exit 2 after one request, nothing left behind', async () => {
    await withSim({}, async (sim) => {
      await withTempDir(async (dir) => {
        const result = await runTkfInProcess(['export', '--uid', UID, '--out', join(dir, 'f.csv'), '--fields', 'uid,nicknam,profile_url'], { env: env(sim) });
        expect(result.code).toBe(2);
        expect(lastLine(result.stderr)).toMatch(/^tkf: --fields: "nicknam" is in none of the 20 followers of the first page, so nothing was exported; did you mean nickname\?/);
        expect(sim.stats.requests).toBe(1);
        expect(await readdir(dir)).toEqual([]);
        // Computed columns count as present when their sources are.
        const computed = await runTkfInProcess(['export', '--uid', UID, '--out', '-', '--fields', 'uid,profile_url,avatar_url', '--format', 'csv', '--limit', '20'], { env: env(sim) });
        expect(computed.code).toBe(0);
        expect(computed.stdout.split('\r\n')[0]).toBe('uid,profile_url,avatar_url');
      });
    });
  });

  it('a --fields column no follower has, in a --uids-file batch: the run stops (exit 2) after the requests in flight, not one request an account', async () => {
    const uids = Array.from({ length: 40 }, (_, k) => `72000000000000000${String(k + 10).padStart(2, '0')}`);
    await withSim({ users: Object.fromEntries(uids.map((uid) => [uid, { size: 30 }])) }, async (sim) => {
      await withTempDir(async (dir) => {
        const result = await runTkfInProcess(['export', '--uids-file', '-', '--out', join(dir, '{uid}.csv'), '--fields', 'uid,nicknam', '--concurrency', '2', '--json'], { env: env(sim), input: `${uids.join('\n')}\n` });
        expect(result.code).toBe(2);
        expect(sim.stats.requests).toBeLessThanOrEqual(2);
        expect(JSON.parse(result.stdout)).toMatchObject({ exit_code: 2, totals: { users: 40, complete: 0, not_started: 40 - sim.stats.requests } });
        expect(lastLine(result.stderr)).toMatch(/^tkf: the run stopped: --fields: "nicknam" is in none of the 20 followers of the first page/);
        expect(result.stderr).not.toContain('--resume');
      });
    });
    // From a page of a few followers (an account of 3), the column may be rare: that account
    // fails alone and the run goes on; the next account's full page then stops it.
    const small = ['7200000000000000901', '7200000000000000902', '7200000000000000903'];
    await withSim({ users: { [small[0]!]: { size: 3 }, [small[1]!]: { size: 30 }, [small[2]!]: { size: 30 } } }, async (sim) => {
      await withTempDir(async (dir) => {
        const result = await runTkfInProcess(['export', '--uids-file', '-', '--out', join(dir, '{uid}.csv'), '--fields', 'uid,nicknam', '--concurrency', '1', '--json'], { env: env(sim), input: `${small.join('\n')}\n` });
        expect(JSON.parse(result.stdout)).toMatchObject({ exit_code: 2, totals: { users: 3, failed: 2, not_started: 1 } });
      });
    });
  });

  it('a --format that contradicts the extension of --out: exit 2 before any request', async () => {
    await withSim({}, async (sim) => {
      await withTempDir(async (dir) => {
        const result = await runTkfInProcess(['export', '--uid', UID, '--out', join(dir, 'a.csv'), '--format', 'jsonl'], { env: env(sim) });
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/--format jsonl contradicts --out .*a\.csv .*name it .*a\.jsonl, or leave out --format/);
        expect(sim.stats.requests).toBe(0);
        expect(await readdir(dir)).toEqual([]);
      });
    });
  });

  it('--force over an --out that is not a file (a link, a pipe, a link to a pipe): exit 7 before any request, and it is left as it was', async () => {
    await withSim({}, async (sim) => {
      await withTempDir(async (dir) => {
        await writeFile(join(dir, 'real.csv'), 'kept\n');
        await symlink('real.csv', join(dir, 'link.csv'));
        expect(await sh(`mkfifo '${join(dir, 'pipe.csv')}'`, { env: {}, cwd: dir })).toBe(0);
        // As /dev/stdout is a link to /proc/self/fd/1, which may be a pipe.
        await symlink('pipe.csv', join(dir, 'stdout.csv'));
        const said: string[] = [];
        for (const name of ['link.csv', 'stdout.csv', 'pipe.csv']) {
          const result = await runTkfInProcess(['export', '--uid', UID, '--out', join(dir, name), '--force'], { env: env(sim) });
          expect(result.code).toBe(7);
          said.push(lastLine(result.stderr).replace(`${dir}/`, ''));
        }
        expect(said).toEqual([
          'tkf: cannot write link.csv: it is a symbolic link (to real.csv), which tkf would replace with a file of its own; give the file\'s own path as --out',
          'tkf: cannot write stdout.csv: it is a symbolic link to a pipe, not a file (tkf writes a new file and moves it into place); to stream the rows, use --out - and redirect it',
          'tkf: cannot write pipe.csv: it is a pipe, not a file (tkf writes a new file and moves it into place); to stream the rows, use --out - and redirect it',
        ]);
        expect(sim.stats.requests).toBe(0);
        expect((await lstat(join(dir, 'link.csv'))).isSymbolicLink()).toBe(true);
        expect((await lstat(join(dir, 'stdout.csv'))).isSymbolicLink()).toBe(true);
        expect((await lstat(join(dir, 'pipe.csv'))).isFIFO()).toBe(true);
        expect(await readFile(join(dir, 'real.csv'), 'utf8')).toBe('kept\n');
        expect((await readdir(dir)).sort()).toEqual(['link.csv', 'pipe.csv', 'real.csv', 'stdout.csv']);
      });
    });
  });

  it('an --out placeholder tkf does not know ({uid} and {date} are): exit 2 before any request, for one uid and for --demo', async () => {
    await withSim({}, async (sim) => {
      await withTempDir(async (dir) => {
        for (const args of [['--uid', UID], ['--demo']]) {
          const result = await runTkfInProcess(['export', ...args, '--out', join(dir, '{user}.csv')], { env: env(sim) });
          expect(result.code).toBe(2);
          expect(lastLine(result.stderr)).toMatch(/--out: \{user\} is no placeholder; a template knows \{uid\} and \{date\}/);
        }
        expect(sim.stats.requests).toBe(0);
        expect(await readdir(dir)).toEqual([]);
      });
    });
  });

  it('tkf diff and tkf history changes refuse a --format that contradicts --out too: exit 2, nothing written', async () => {
    await withSim({}, async (sim) => {
      await withTempDir(async (dir) => {
        const a = join(dir, 'a.jsonl');
        const db = join(dir, 'h.sqlite');
        expect((await runTkfInProcess(['export', '--uid', UID, '--out', a, '--db', db, '-q'], { env: env(sim) })).code).toBe(0);
        for (const args of [
          ['diff', a, a, '--out', join(dir, 'd.csv'), '--format', 'jsonl'],
          ['history', 'changes', '--db', db, '--uid', UID, '--out', join(dir, 'c.csv'), '--format', 'jsonl'],
        ]) {
          const result = await runTkfInProcess(args, { env: env(sim) });
          expect(result.code, args[0]).toBe(2);
          expect(result.stderr, args[0]).toMatch(/--format jsonl contradicts --out .*\.csv .*name it .*\.jsonl, or leave out --format/);
        }
        expect((await readdir(dir)).filter((name) => name.endsWith('.csv'))).toEqual([]);
      });
    });
  });

  it('missing directories are created for a plain path as for a template', async () => {
    await withSim({}, async (sim) => {
      await withTempDir(async (dir) => {
        const plain = await runTkfInProcess(['export', '--uid', UID, '--out', join(dir, 'a', 'b', 'f.csv'), '--limit', '5'], { env: env(sim) });
        const template = await runTkfInProcess(['export', '--uid', UID, '--out', join(dir, 'c', '{uid}', 'f.csv'), '--limit', '5'], { env: env(sim) });
        expect([plain.code, template.code]).toEqual([0, 0]);
        expect(await readdir(join(dir, 'a', 'b'))).toContain('f.csv');
        expect(await readdir(join(dir, 'c', UID))).toContain('f.csv');
        // tkf diff and tkf history changes make them too.
        const db = join(dir, 'h.sqlite');
        const a = join(dir, 'a', 'b', 'f.csv');
        expect((await runTkfInProcess(['history', 'import', '--db', db, a], { env: env(sim) })).code).toBe(0);
        const diff = await runTkfInProcess(['diff', a, a, '--out', join(dir, 'd', 'e', 'x.csv')], { env: env(sim) });
        const changes = await runTkfInProcess(['history', 'changes', '--db', db, '--uid', UID, '--out', join(dir, 'g', 'h', 'c.csv')], { env: env(sim) });
        expect([diff.code, changes.code], diff.stderr + changes.stderr).toEqual([0, 0]);
        expect(await readdir(join(dir, 'd', 'e'))).toEqual(['x.csv']);
        expect(await readdir(join(dir, 'g', 'h'))).toEqual(['c.csv']);
      });
    });
  });

  it('--uids-file - with --token-file -: a usage error, not a silent exit 0', async () => {
    const result = await runTkfInProcess(['export', '--uids-file', '-', '--token-file', '-', '--out', '{uid}.csv'], { env: { TKF_BASE_URL: 'http://127.0.0.1:9' }, input: `${UID}\n` });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('tkf: --uids-file - and --token-file - both want stdin; put the token in a file or in TKF_TOKEN, or the uids in a file\n');
  });

  it('--json prints its object for a failure before any account too (`| jq` sees the exit code), the token never in it', async () => {
    const result = await runTkfInProcess(['export', '--uids-file', '-', '--out', '{uid}.csv', '--json'], {
      env: { TKF_BASE_URL: 'http://127.0.0.1:9', TKF_TOKEN: TOKEN },
      input: `${UID}\n@${TOKEN}\n`,
    });
    expect(result.code).toBe(2);
    const said = JSON.parse(result.stdout) as { complete: boolean; exit_code: number; error: string };
    expect(said).toMatchObject({ complete: false, exit_code: 2 });
    expect(said.error).toMatch(/^stdin line 2: a uid must be the numeric user_id/);
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
  });
});

describe('words for a mistyped argument', () => {
  it('a --db URL that cannot be read is exit 2 naming --db (not an internal error), its password masked', async () => {
    const result = await runTkfInProcess(['history', '--db', 'postgres://u:pw-Secret-1@[::1'], { env: {} });
    expect([result.code, result.stderr]).toEqual([2, 'tkf: --db postgres://u:***@[::1 is not a URL tkf can read (Invalid URL): write it as postgres://user:password@host:port/database\n']);
    // A socket's URL (no host: pg reads it, WHATWG's URL does not) is tried, not refused.
    const socket = await runTkfInProcess(['history', '--db', 'postgres://tkf@/h?host=/nonexistent-socket-dir&connect_timeout=2'], { env: {} });
    expect(socket.code).toBe(11);
    expect(socket.stderr).toMatch(/^tkf: cannot connect to the history database /);
  });

  it('tkf report --html - is refused (stdout holds the summary), no file named "-" written', async () => {
    await withTempDir(async (dir) => {
      const result = await runTkf(['report', join(ROOT, 'fixtures', 'sample-response.json'), '--html', '-'], { env: {}, cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe('tkf: --html writes the page to a file (stdout holds the summary): name it, e.g. --html report.html\n');
      expect(await readdir(dir)).toEqual([]);
    });
  });
});

describe('secrets', () => {
  it('a token file others can read gets the config file\'s warning; an owner-only one none', async () => {
    await withSim({}, async (sim) => {
      await withTempDir(async (dir) => {
        const file = join(dir, 'token');
        await writeFile(file, `${TOKEN}\n`);
        await chmod(file, 0o644);
        const open = await runTkfInProcess(['export', '--uid', UID, '--out', '-', '--token-file', file, '--limit', '1'], { env: { TKF_BASE_URL: sim.url } });
        expect(open.code).toBe(0);
        expect(open.stderr).toContain(`tkf: warning: the token file ${file} is readable by other users; chmod 600 it\n`);
        await chmod(file, 0o600);
        const closed = await runTkfInProcess(['export', '--uid', UID, '--out', '-', '--token-file', file, '--limit', '1'], { env: { TKF_BASE_URL: sim.url } });
        expect(closed.code).toBe(0);
        expect(closed.stderr).not.toMatch(/warning/);
      });
    });
  });

  it('the resume hint after --token works when pasted, and never holds the token', async () => {
    await withSim({}, async (sim) => {
      await withTempDir(async (dir) => {
        const out = join(dir, 'f.csv');
        // Spawned: the hint names the binary as it was run, and is pasted into a shell.
        // 6 of the list's 10 pages a run: one pasted resume finishes it (at 2 a run it took 8 processes).
        const stopped = await runTkf(['export', '--uid', UID, '--out', out, '--token', TOKEN, '--max-requests', '6'], { env: { TKF_BASE_URL: sim.url } });
        expect(stopped.code).toBe(8);
        const hint = /resume with: (.*) \(set TKF_TOKEN first: the token given with --token is never printed\)$/.exec(lastLine(stopped.stderr));
        expect(hint).not.toBeNull();
        expect(stopped.stderr).not.toContain(TOKEN);
        // Pasted as told (TKF_TOKEN set), it resumes; again and again until the export completes.
        let code: number | null = 8;
        for (let run = 0; run < 10 && code === 8; run++) code = await sh(hint![1]!, { env: { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url }, cwd: dir });
        expect(code).toBe(0);
        expect(parseCsv(await readFile(out), { columns: true })).toHaveLength(200);
      });
    });
  });

  it('.gitignore covers what the README\'s first command leaves in a clone', async () => {
    await withTempDir(async (dir) => {
      await copyFile(join(ROOT, '.gitignore'), join(dir, '.gitignore'));
      expect(await sh('git init -q .', { env: {}, cwd: dir })).toBe(0);
      const result = await runTkfInProcess(['export', '--demo', '--out', 'followers.csv'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(await readdir(dir)).toEqual(expect.arrayContaining(['followers.csv', 'followers.csv.tkf.json']));
      const status = await new Promise<string>((resolve) => {
        const child = spawn('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir, env: baseEnv() });
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
        child.once('close', () => resolve(text));
      });
      expect(status).toBe('?? .gitignore\n');
      // And what the README's other commands write.
      const others = ['followers.jsonl', 'followers.jsonl.tkf.json', 'exports/2026-11-29/1.csv', 'changes.csv', 'summary.json', 'followers-2026-11-29.csv', 'logs/tkf.log', 'tkf-0.1.0.tgz'];
      const checks = [...others.map((path) => `git check-ignore -q ${path}`), '! git check-ignore -q accounts.txt'];
      expect(await sh(checks.join(' && '), { env: {}, cwd: dir })).toBe(0);
    });
  }, 90_000);
});
