/**
 * A night's run over many accounts, end to end against the simulator: what governs the run as a
 * whole (budget, pace, throttling, a dead token) and the summary that tells what became of every
 * account. Each test has its own simulator, so request counts are exact. In process (tkf():
 * createProgram through runCli, the exit code main() exits with), but for SIGTERM, which needs
 * the spawned binary.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedUsers } from '../../src/simulator/built-in-users.js';
import { renderFollower, startSimulator, type SimulatorOptions, type UserScenario } from '../../src/simulator/index.js';
import type { RequestLogEntry } from '../../src/simulator/simulator-options.js';
import { startRequestGate } from '../helpers/request-gate.js';
import { runTkfInProcess as tkf } from '../helpers/run-cli.js';
import { runTkf, withTempDir } from './run-tkf.js';

const TOKEN = 'tkn-BATCH-z8x7c6';

async function withRun<T>(count: number, size: number, options: SimulatorOptions, fn: (ctx: { uids: string[]; sim: Awaited<ReturnType<typeof startSimulator>>; dir: string; log: RequestLogEntry[]; users: Record<string, UserScenario> }) => Promise<T>) {
  const users = generatedUsers(count, size);
  const log: RequestLogEntry[] = [];
  const sim = await startSimulator({ token: TOKEN, users, onRequest: (entry) => log.push(entry), ...options });
  try {
    return await withTempDir(async (dir) => {
      const uids = Object.keys(users);
      await writeFile(join(dir, 'uids.txt'), `${uids.join('\n')}\n`);
      return await fn({ uids, sim, dir, log, users });
    });
  } finally {
    await sim.close();
  }
}

const env = (url: string, token = TOKEN) => ({ TKF_TOKEN: token, TKF_BASE_URL: url });
const batch = (...extra: string[]) => ['export', '--uids-file', 'uids.txt', '--out', 'x/{uid}.jsonl', '--json', ...extra];
const expected = (uid: string, size: number, users: Record<string, UserScenario>) => {
  let text = '';
  for (let i = 0; i < size; i++) text += `${renderFollower(1, uid, i, users[uid]!)}\n`;
  return text;
};

/** A tmpfs of `size` (`300k`) mounted for `fn`, and unmounted after it; the test is skipped where none can be mounted (not root, not Linux). */
async function onSmallDisk(size: string, context: { skip: (note: string) => void }, fn: (point: string) => Promise<void>): Promise<void> {
  const point = mkdtempSync(join(tmpdir(), 'tkf-batch-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', point], { stdio: 'ignore' });
  } catch {
    rmdirSync(point);
    return context.skip('cannot mount a tmpfs here (not root, or not Linux)');
  }
  try {
    await fn(point);
  } finally {
    execFileSync('umount', [point]);
    rmdirSync(point);
  }
}

describe('one budget for the run', () => {
  it('--max-requests caps the whole run, exits 8, and --resume goes on until every account is complete', async () => {
    await withRun(20, 100, {}, async ({ uids, sim, dir, users }) => {
      const first = await tkf(batch('--max-requests', '40', '--concurrency', '4'), { env: env(sim.url), cwd: dir });
      expect(first.code).toBe(8);
      expect(sim.stats.requests).toBe(40);
      const summary = JSON.parse(first.stdout);
      expect(summary.users.map((u: { uid: string }) => u.uid)).toEqual(uids);
      expect(summary.totals).toMatchObject({ users: 20, requests: 40 });
      expect(summary.totals.complete + summary.totals.stopped + summary.totals.not_started).toBe(20);
      expect(summary.totals.not_started).toBeGreaterThan(0);
      expect(summary.users.find((u: { state: string }) => u.state === 'not-started')).toMatchObject({ exit_code: 8, complete: false });
      expect(first.stderr).toMatch(/--max-requests/);

      const second = await tkf(batch('--max-requests', '40', '--concurrency', '4', '--resume'), { env: env(sim.url), cwd: dir });
      expect(second.code).toBe(8);
      const third = await tkf(batch('--max-requests', '40', '--concurrency', '4', '--resume'), { env: env(sim.url), cwd: dir });
      expect(third.code).toBe(0);
      const last = JSON.parse(third.stdout);
      // Every paid page was written once: 20 accounts x 5 pages, and one request more for each
      // account resumed mid-list (--resume re-enters the second of its cursor from its start, in
      // case a hidden offset moved past answers the stopped run never wrote: pager.ts).
      const reentered = [summary, JSON.parse(second.stdout)].reduce(
        (sum, run) => sum + run.users.filter((u: { state: string; rows: number }) => u.state === 'stopped' && u.rows > 0).length,
        0,
      );
      expect(last.totals).toMatchObject({ users: 20, complete: 20, requests: 20 + reentered });
      expect(sim.stats.requests).toBe(100 + reentered);
      for (const uid of uids) expect(await readFile(join(dir, 'x', `${uid}.jsonl`), 'utf8')).toBe(expected(uid, 100, users));
    });
  });
});

describe('a dead token or a spent quota stops the run at once', () => {
  it('a wrong token: at most --concurrency requests, exit 5 with the API message, every account listed', async () => {
    await withRun(50, 40, {}, async ({ sim, dir }) => {
      const result = await tkf(batch('--concurrency', '4'), { env: env(sim.url, 'wrong-token'), cwd: dir });
      expect(result.code).toBe(5);
      expect(sim.stats.requests).toBeLessThanOrEqual(4);
      expect(result.stderr).toMatch(/token无效/);
      expect(result.stderr).not.toMatch(/wrong-token/);
      const summary = JSON.parse(result.stdout);
      expect(summary.users).toHaveLength(50);
      expect(summary.totals.not_started).toBeGreaterThanOrEqual(46);
      expect(await readdir(join(dir, 'x')).catch(() => [])).toEqual([]);
    });
  });

  it('a quota spent mid-run: exit 5 within --concurrency requests of the refusal; --resume finishes only what is missing', async () => {
    await withRun(20, 100, { quota: 30 }, async ({ uids, sim, dir, users }) => {
      const first = await tkf(batch('--concurrency', '4'), { env: env(sim.url), cwd: dir });
      expect(first.code).toBe(5);
      expect(sim.stats.requests).toBeLessThanOrEqual(30 + 4);
      expect(first.stderr).toMatch(/余额不足/);
      // Each line speaks for its own user, and the run's last line says --resume once.
      const lastLine = first.stderr.trim().split('\n').at(-1)!;
      expect(lastLine.match(/--resume/g)).toHaveLength(1);
      for (const line of first.stderr.split('\n')) expect((line.match(/rows so far are saved/g) ?? []).length).toBeLessThanOrEqual(1);
      const summary = JSON.parse(first.stdout);
      expect(summary.totals.stopped).toBeGreaterThan(0);
      expect(summary.totals.not_started).toBeGreaterThan(0);

      // The quota restored (a new simulator, same lists): only the 70 pages not yet paid for are
      // asked, and one more for each account resumed mid-list (the re-entry of its cursor's second).
      const restored = await startSimulator({ token: TOKEN, users });
      try {
        const second = await tkf(batch('--concurrency', '4', '--resume'), { env: env(restored.url), cwd: dir });
        expect(second.code).toBe(0);
        const reentered = summary.users.filter((u: { state: string; rows: number }) => u.state === 'stopped' && u.rows > 0).length;
        expect(restored.stats.requests).toBe(100 - 30 + reentered);
        for (const uid of uids) expect(await readFile(join(dir, 'x', `${uid}.jsonl`), 'utf8')).toBe(expected(uid, 100, users));
      } finally {
        await restored.close();
      }
    });
  });
});

describe('the same line run twice at once (cron)', () => {
  it('under --resume each run waits for the accounts the other holds and finds them complete: both exit 0, each account paid for once', async () => {
    await withRun(12, 60, { latencyMs: 20 }, async ({ uids, sim, dir, users }) => {
      // Absolute paths, no cwd: two runs in one process must not change its directory under each other.
      const line = ['export', '--uids-file', join(dir, 'uids.txt'), '--out', join(dir, 'x', '{uid}.jsonl'), '--json', '--resume', '--concurrency', '3'];
      const first = tkf(line, { env: env(sim.url) });
      // The second starts while the first holds its first accounts.
      while (sim.stats.requests < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      const second = tkf(line, { env: env(sim.url) });
      const [a, b] = await Promise.all([first, second]);
      expect([a.code, b.code], `${a.stderr}\n${b.stderr}`).toEqual([0, 0]);
      for (const run of [a, b]) {
        expect((JSON.parse(run.stdout) as { users: Array<{ state: string }> }).users.map((u) => u.state)).toEqual(Array(12).fill('complete'));
      }
      expect(b.stderr).toMatch(/another tkf \(pid \d+ on .+\) is writing this account: waiting for it to finish/);
      // 60 followers are three pages: each account walked once, by one of the two runs.
      const requests = [a, b].map((run) => (JSON.parse(run.stdout) as { totals: { requests: number } }).totals.requests);
      expect(requests[0]! + requests[1]!).toBe(12 * 3);
      for (const uid of uids) expect(await readFile(join(dir, 'x', `${uid}.jsonl`), 'utf8')).toBe(expected(uid, 60, users));
    });
  });
});

describe('a full disk stops the run', () => {
  it('exit 7 once the disk is full, no account started after it pays for pages; --resume with room finishes every account', async (context) => {
    await onSmallDisk('300k', context, async (point) => {
      await withRun(40, 20, {}, async ({ uids, sim, dir, users }) => {
        const out = ['export', '--uids-file', 'uids.txt', '--out', join(point, '{uid}.jsonl'), '--json', '--concurrency', '2'];
        const run = await tkf(out, { env: env(sim.url), cwd: dir });
        expect(run.code).toBe(7);
        const summary = JSON.parse(run.stdout) as { users: Array<{ state: string }> };
        // Two or three accounts fit (each ~95 KB of JSONL, two written at once); after the first
        // that did not, none started.
        expect(summary.users.filter((u) => u.state === 'not-started').length).toBeGreaterThan(30);
        expect(sim.stats.requests).toBeLessThan(10);
        // Said once, counting every user --resume goes on with: those walking when the disk
        // filled (failed, their checkpoints kept) as well as those never started.
        const left = summary.users.filter((u) => u.state !== 'complete').length;
        const lastLine = run.stderr.trimEnd().split('\n').at(-1)!;
        expect(lastLine).toMatch(new RegExp(`^tkf: the run stopped: .*no space left on the device \\(ENOSPC\\); run the same command with --resume to go on \\(${left} users left\\)$`));
        expect(lastLine.split('with --resume').length).toBe(2);
        execFileSync('mount', ['-o', 'remount,size=8m', point]);
        const resumed = await tkf([...out, '--resume'], { env: env(sim.url), cwd: dir });
        expect(resumed.code, resumed.stderr).toBe(0);
        for (const uid of uids) expect(await readFile(join(point, `${uid}.jsonl`), 'utf8')).toBe(expected(uid, 20, users));
      });
    });
  });
});

describe('a full disk under the history database ends the run', () => {
  it('the recording thread meets SQLITE_FULL: exit 11, each account walked says where its file is, and none started after it pays for pages', async (context) => {
    await onSmallDisk('512k', context, async (point) => {
      await withRun(40, 20, {}, async ({ sim, dir, users }) => {
        // The database alone is on the small disk: its tables fit, a few accounts' snapshots more
        // do not (the WAL grows 16 KiB at a time). The spawned binary: the error is the recording
        // thread's, carried across to the walks' thread.
        const run = await runTkf(['export', '--uids-file', 'uids.txt', '--out', 'x/{uid}.jsonl', '--json', '--concurrency', '2', '--db', join(point, 'h.sqlite')], { env: env(sim.url), cwd: dir });
        expect(run.code, run.stderr).toBe(11);
        const summary = JSON.parse(run.stdout) as { users: Array<{ uid: string; state: string }> };
        const failed = summary.users.filter((u) => u.state === 'failed');
        expect(failed.length).toBeGreaterThan(0);
        // Once a snapshot met the full disk, the run ended: no account after it was walked (paid
        // for) only to fail the same way.
        expect(summary.users.filter((u) => u.state === 'not-started').length).toBeGreaterThan(25);
        expect(sim.stats.requests).toBeLessThan(15);
        // Each account that failed was walked whole: its file is complete, and its line says so.
        for (const { uid } of failed) {
          expect(run.stderr).toContain(`tkf: ${uid}: failed (exit 11): the history database ${join(point, 'h.sqlite')}: the disk is full`);
          expect(run.stderr).toContain(`the export is complete: x/${uid}.jsonl (\`tkf history import\` records it once the database can be written)`);
          expect(await readFile(join(dir, 'x', `${uid}.jsonl`), 'utf8')).toBe(expected(uid, 20, users));
        }
        const left = summary.users.filter((u) => u.state !== 'complete').length;
        expect(run.stderr).toMatch(new RegExp(`\\ntkf: the run stopped: the history database \\S+h\\.sqlite: the disk is full \\(database or disk is full\\); run the same command with --resume to go on \\(${left} users left\\)\\n$`));
        // With room, --resume goes on: every account ends recorded, those whose files were
        // complete without their walks paid for again.
        execFileSync('mount', ['-o', 'remount,size=16m', point]);
        const before = sim.stats.requests;
        const resumed = await runTkf(['export', '--uids-file', 'uids.txt', '--out', 'x/{uid}.jsonl', '--json', '--concurrency', '2', '--db', join(point, 'h.sqlite'), '--resume'], { env: env(sim.url), cwd: dir });
        expect(resumed.code, resumed.stderr).toBe(0);
        // One page an account: those not started, and any stopped before its one request was
        // answered (started as the disk filled: 0 rows, 1 run in ~8 of a review's), are walked.
        const unwalked = summary.users.filter((u) => u.state === 'not-started' || u.state === 'stopped').length;
        expect(sim.stats.requests - before).toBe(unwalked);
        // (Read by another process: this one's connection would keep the mount busy.)
        const history = await runTkf(['history', '--db', join(point, 'h.sqlite'), '--json'], { cwd: dir });
        expect(history.code, history.stderr).toBe(0);
        const accounts = JSON.parse(history.stdout) as Array<{ uid: string; snapshots: number; followers: number }>;
        expect(accounts.map((a) => a.uid).sort()).toEqual(summary.users.map((u) => u.uid).sort());
        for (const account of accounts) expect(account).toMatchObject({ snapshots: 1, followers: 20 });
      });
    });
  });
});

describe('one pace for the run', () => {
  // The share of 429s and the busiest second are counted on a virtual clock in
  // test/api/run-pace.test.ts; here, through the binary, what does not depend on the machine's speed.
  it('an API limit of 25 requests a second at --concurrency 8, no --rate: every account completes', async () => {
    // 20 accounts of 3 pages: 60 requests, over twice what the limit lets through in a second.
    await withRun(20, 60, { rateLimit: 25 }, async ({ sim, dir }) => {
      const result = await tkf(batch('--concurrency', '8'), { env: env(sim.url), cwd: dir });
      expect(result.code).toBe(0);
      const answers = sim.stats.answers!;
      expect(answers.ok).toBe(60);
      expect(JSON.parse(result.stdout).totals).toMatchObject({ complete: 20, throttled: answers.throttled ?? 0 });
    }, );
  }, 60_000);

  it('--rate 10 across every account and worker: every account completes, 20 requests', async () => {
    await withRun(10, 40, {}, async ({ sim, dir, log }) => {
      const result = await tkf(batch('--concurrency', '8', '--rate', '10'), { env: env(sim.url), cwd: dir });
      expect(result.code).toBe(0);
      expect(log).toHaveLength(20);
      expect(JSON.parse(result.stdout).totals).toMatchObject({ complete: 10, requests: 20 });
    });
  });
});

describe('the summary tells the whole night', () => {
  it('SIGTERM: exit 143, and --json still lists every account with its state', async () => {
    await withRun(10, 200, {}, async ({ uids, sim, dir }) => {
      // Four answers pass; the fifth request is held, so the signal finds the run mid-account
      // with accounts not yet started, however fast or slow the machine.
      const gate = await startRequestGate(sim.url, 5);
      const result = await runTkf(batch('--concurrency', '2'), {
        env: env(gate.url),
        cwd: dir,
        onSpawn: (child) => void gate.held.then(() => child.kill('SIGTERM')),
      }).finally(() => gate.close());
      expect(sim.stats.requests).toBe(4);
      expect(result.code).toBe(143);
      const summary = JSON.parse(result.stdout);
      expect(summary.users.map((u: { uid: string }) => u.uid)).toEqual(uids);
      expect(summary.exit_code).toBe(143);
      expect(summary.totals.not_started).toBeGreaterThan(0);
      expect(summary.users.filter((u: { state: string }) => u.state === 'stopped').length).toBeGreaterThan(0);
      expect(result.stderr).toMatch(/interrupted/);
    });
  });

  it('--quiet says each user that failed, and why (errors only), then the count', async () => {
    await withRun(3, 20, {}, async ({ uids, sim, dir }) => {
      const hidden = '6754915036232582000';
      const missing = '7300000000000000001';
      await writeFile(join(dir, 'three.txt'), `${uids[0]}\n${hidden}\n${missing}\n`);
      await sim.close();
      const users = { [uids[0]!]: { size: 20 }, [hidden]: { size: 20, status: 'private' as const } };
      const again = await startSimulator({ token: TOKEN, users });
      try {
        const result = await tkf(['export', '--uids-file', 'three.txt', '--out', 'q/{uid}.csv', '--quiet'], { env: env(again.url), cwd: dir });
        expect(result.code).toBe(9);
        const lines = result.stderr.trimEnd().split("\n");
        expect(lines).toHaveLength(3);
        expect(lines[0]).toMatch(new RegExp(`^tkf: (${hidden}|${missing}): failed \\(exit [0-9]+\\): `));
        expect(lines.slice(0, 2).map((line) => line.split(':')[1]!.trim()).sort()).toEqual([hidden, missing].sort());
        expect(lines[2]).toBe('tkf: 2 of 3 users failed');
      } finally {
        await again.close();
      }
    });
  });

  it('--shard K/N: shards are disjoint and together the whole file', async () => {
    await withRun(12, 20, {}, async ({ uids, sim, dir }) => {
      const seen: string[] = [];
      for (const k of [1, 2, 3]) {
        const result = await tkf(batch('--shard', `${k}/3`), { env: env(sim.url), cwd: dir });
        expect(result.code).toBe(0);
        seen.push(...JSON.parse(result.stdout).users.map((u: { uid: string }) => u.uid));
      }
      expect([...seen].sort()).toEqual([...uids].sort());
      expect(sim.stats.requests).toBe(12);
    });
  });
});
