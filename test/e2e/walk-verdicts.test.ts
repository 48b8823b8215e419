/**
 * The walk's verdicts as the real binary reports them (exit codes, the last line, --json), and a
 * kill -9 inside a hidden-offset tied second followed by --resume. The engine's side of each is in
 * test/walk-verdicts-export.test.ts. The command lines run in process (tkf(): createProgram through
 * runCli, the exit code main() exits with); only the kill -9 spawns bin/tkf.js.
 */
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type UserScenario } from '../../src/simulator/index.js';
import { expectedJsonl } from '../helpers/followers.js';
import { runTkf, withTempDir } from './run-tkf.js';
import { runTkfInProcess as tkf } from '../helpers/run-cli.js';

const TOKEN = 'tkn-VERDICTS-9a8b';
const ENDS_EARLY = '5200000000000000001';
const PLAIN = '5200000000000000002';
const REPEATING = '5200000000000000003';
const NEWEST = '5200000000000000004';
const OFFSET = '5200000000000000005';

const users: Record<string, UserScenario> = {
  [ENDS_EARLY]: { size: 3000, endsAfterPage: 3 },
  [PLAIN]: { size: 100 },
  [REPEATING]: { size: 3000, repeatFromPage: 2 },
  [NEWEST]: { size: 200, minTimeNewest: true },
  [OFFSET]: { size: 130, ties: [{ at: 5, count: 45 }, { at: 70, count: 33 }], cursorMode: 'offset' },
};

let sim: Simulator;
/** The same accounts, ENDS_EARLY's list served whole (as it was the night before): made when asked. */
let whole: Simulator | undefined;
beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, users });
});
afterAll(async () => {
  await Promise.all([sim.close(), whole?.close()]);
});
async function wholeList(): Promise<Simulator> {
  return (whole ??= await startSimulator({ token: TOKEN, users: { ...users, [ENDS_EARLY]: { size: 3000 } } }));
}
// --backoff 1: the pause before asking a short end once more is ten times it (10 ms, not 10 s).
const env = (s: Simulator = sim) => ({ TKF_TOKEN: TOKEN, TKF_BASE_URL: s.url });
const fast = ['--backoff', '1'];

describe('a list that ends far below what the API reports', () => {
  it('exit 10, the file kept, the last line says how short, --json says so', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      const result = await tkf(['export', '--uid', ENDS_EARLY, '--out', out, '--json', ...fast], { env: env() });
      expect(result.code).toBe(10);
      expect(JSON.parse(result.stdout)).toMatchObject({ uid: ENDS_EARLY, exit_code: 10, complete: false, short: true, rows: 60, expected: 3000, file: out, end: 'complete' });
      expect(await readFile(out, 'utf8')).toBe(expectedJsonl(ENDS_EARLY, users[ENDS_EARLY]!, 0, 60));
      const last = result.stderr.trim().split('\n').at(-1)!;
      expect(last).toMatch(/exported only 60 of the 3,000 followers the API should serve \(2%\).*the API may be throttling or broken; the file is kept/);
    });
  });

  it('with --force over an existing file: exit 10, and the file (and its manifest) left byte for byte as they were, not replaced by the short walk', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      // Yesterday's whole export of the same account (the list as the API served it before).
      const whole = await tkf(['export', '--uid', ENDS_EARLY, '--out', out, '--json', ...fast], { env: env(await wholeList()) });
      expect(whole.code, whole.stderr).toBe(0);
      const before = [await readFile(out), await readFile(`${out}.tkf.json`)];
      const result = await tkf(['export', '--uid', ENDS_EARLY, '--out', out, '--force', '--json', ...fast], { env: env() });
      expect(result.code).toBe(10);
      expect(JSON.parse(result.stdout)).toMatchObject({ exit_code: 10, complete: false, short: true, rows: 60, expected: 3000, file: null });
      // Buffer.equals: vitest's toEqual walks a Buffer byte by byte (minutes for this 14 MB file).
      expect([(await readFile(out)).equals(before[0]!), (await readFile(`${out}.tkf.json`)).equals(before[1]!)]).toEqual([true, true]);
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^tkf: walked only 60 of the 3,000 followers the API should serve/);
      expect(result.stderr.trim().split('\n').at(-1)).toContain(`the API may be throttling or broken; ${out} is left as it was (--force replaces it only with a complete export) and this walk is not kept (the same command walks it again, as does it with --resume in place of --force); 4 requests`);
      // Nothing of the short walk is left, only its mark where an interrupted walk's checkpoint
      // stands (owner-only, no token, no rows, no part files): what has --resume walk it again.
      expect((await readdir(dir)).sort()).toEqual(['f.jsonl', 'f.jsonl.part.json', 'f.jsonl.tkf.json']);
      const mark = await readFile(`${out}.part.json`, 'utf8');
      expect(JSON.parse(mark)).toMatchObject({ cursor: 0, rows: 0, bytes: 0, replace: true, rewalk: { rows: 60, expected: 3000 } });
      expect([mark.includes(TOKEN), (await stat(`${out}.part.json`)).mode & 0o777]).toEqual([false, 0o600]);
      // Another command's output over it is refused for what the mark is (no pages paid for in it).
      const copy = join(dir, 'copy.jsonl');
      await writeFile(copy, before[0]!);
      const over = await tkf(['diff', copy, copy, '--out', out, '--force'], { env: env() });
      await rm(copy);
      expect([over.code, over.stderr.trim()]).toEqual([7, `tkf: cannot write ${out}: it is a tkf export whose last --force walk ended short (${out}.part.json has tkf export --resume walk it again); name another file`]);
      // Not in the way of the next run: without --force the file is there, as before; with it, it is replaced and the mark gone.
      const plain = await tkf(['export', '--uid', ENDS_EARLY, '--out', out, ...fast], { env: env(await wholeList()) });
      expect([plain.code, plain.stderr.trim()]).toEqual([7, `tkf: ${out} already exists; use --force to replace it when the new export completes`]);
      const again = await tkf(['export', '--uid', ENDS_EARLY, '--out', out, '--force', ...fast], { env: env(await wholeList()) });
      expect(again.code, again.stderr).toBe(0);
      expect((await readdir(dir)).sort()).toEqual(['f.jsonl', 'f.jsonl.tkf.json']);
    });
  });

  it('in a --uids-file batch it counts as failed (exit 9); its file is kept and its own exit_code is 10', async () => {
    await withTempDir(async (dir) => {
      const uids = join(dir, 'uids.txt');
      await writeFile(uids, `${PLAIN}\n${ENDS_EARLY}\n`);
      const result = await tkf(['export', '--uids-file', uids, '--out', join(dir, '{uid}.jsonl'), '--json', ...fast], { env: env() });
      expect(result.code).toBe(9);
      const summary = JSON.parse(result.stdout);
      const byUid = Object.fromEntries(summary.users.map((u: { uid: string }) => [u.uid, u]));
      expect(byUid[PLAIN]).toMatchObject({ state: 'complete', exit_code: 0 });
      expect(byUid[ENDS_EARLY]).toMatchObject({ state: 'failed', exit_code: 10, short: true, file: join(dir, `${ENDS_EARLY}.jsonl`) });
      expect((await readFile(join(dir, `${ENDS_EARLY}.jsonl`), 'utf8')).split('\n')).toHaveLength(61);
      expect(result.stderr).toMatch(/exported only 60 of the 3,000 followers/);
      // The same command with --resume, as the batch's last line advises: still short (it said
      // "already complete", and the batch exit 0), nothing fetched, nothing recorded.
      const resumed = await tkf(['export', '--uids-file', uids, '--out', join(dir, '{uid}.jsonl'), '--json', '--resume', ...fast], { env: env() });
      expect(resumed.code).toBe(9);
      const again = Object.fromEntries(JSON.parse(resumed.stdout).users.map((u: { uid: string }) => [u.uid, u]));
      expect(again[ENDS_EARLY]).toMatchObject({ state: 'failed', exit_code: 10, short: true, rows: 60, requests: 0 });
      expect(resumed.stderr).toContain(`${join(dir, `${ENDS_EARLY}.jsonl`)} holds a list that ended far short (60 of the 3,000 followers the API should serve): nothing to resume`);
      const one = await tkf(['export', '--uid', ENDS_EARLY, '--out', join(dir, `${ENDS_EARLY}.jsonl`), '--json', '--resume', ...fast], { env: env() });
      expect([one.code, JSON.parse(one.stdout)]).toEqual([10, expect.objectContaining({ exit_code: 10, complete: false, short: true, rows: 60 })]);
    });
  });
});

describe('--resume after a --force whose list ended far short kept the old file', () => {
  const CUT_TWICE = '5200000000000000006';
  /** CUT_TWICE's list: whole in its first walk (last night), cut after 3 pages in its second and third, whole again in its fourth. */
  const nights = () => startSimulator({ token: TOKEN, users: { [PLAIN]: users[PLAIN]!, [CUT_TWICE]: { size: 3000, endsAfterPage: 3, shortWalks: [2, 3] } } });
  const read = async (out: string) => [await readFile(out), await readFile(`${out}.tkf.json`)];
  const same = async (out: string, before: Buffer[]) => (await read(out)).map((bytes, i) => bytes.equals(before[i]!));

  it('walks the account again from the start: short again, the old file stays (exit 10); complete, it replaces the file; then it is complete', async () => {
    const api = await nights();
    try {
      await withTempDir(async (dir) => {
        const out = join(dir, 'f.jsonl');
        const run = (...flags: string[]) => tkf(['export', '--uid', CUT_TWICE, '--out', out, '--json', ...fast, ...flags], { env: env(api) });
        expect((await run()).code).toBe(0);
        const before = await read(out);
        const forced = await run('--force');
        expect([forced.code, JSON.parse(forced.stdout)]).toEqual([10, expect.objectContaining({ short: true, rows: 60, file: null })]);
        // The same command with --resume, as the last line says (--force dropped): the short walk
        // was not kept, so nothing is resumed; the account is walked again. It said "already complete", exit 0.
        const again = await run('--resume');
        expect([again.code, JSON.parse(again.stdout)]).toEqual([10, expect.objectContaining({ exit_code: 10, complete: false, short: true, rows: 60, file: null })]);
        expect(again.stderr).toContain(`${out} is left as it was (--force replaces it only with a complete export)`);
        // Said as it begins: a --resume that pays for the whole list again says why.
        const why = `tkf: the last --force walk of ${out} ended short (60 of the 3,000 followers the API should serve) and was not kept: walking it again from the start; ${out} is replaced only if this walk is complete`;
        expect(again.stderr.split('\n')).toContain(why);
        expect(await same(out, before)).toEqual([true, true]);
        const whole = await run('--resume');
        expect(whole.stderr.split('\n')).toContain(why);
        expect([whole.code, JSON.parse(whole.stdout)]).toEqual([0, expect.objectContaining({ exit_code: 0, complete: true, rows: 3000, requests: 150, file: out })]);
        expect(JSON.parse(await readFile(`${out}.tkf.json`, 'utf8')).updated).not.toBe(JSON.parse(before[1]!.toString('utf8')).updated);
        expect(await readFile(out, 'utf8')).toBe(before[0]!.toString('utf8'));
        // Published: nothing left beside it, and --resume finds it complete.
        expect((await readdir(dir)).sort()).toEqual(['f.jsonl', 'f.jsonl.tkf.json']);
        // A uid log a kill -9 left between removing the checkpoint and it (the chaos sweep) goes
        // with the --resume that finds the file complete: it stayed through every one after.
        await writeFile(`${out}.part.uids`, '5200000000000000006\n');
        const done = await run('--resume');
        expect([done.code, JSON.parse(done.stdout)]).toEqual([0, expect.objectContaining({ complete: true, requests: 0 })]);
        expect(done.stderr).toContain('is already complete (3,000 followers): nothing to resume');
        expect((await readdir(dir)).sort()).toEqual(['f.jsonl', 'f.jsonl.tkf.json']);
      });
    } finally {
      await api.close();
    }
  });

  it('a --resume that fails before its first page keeps the promise; an --update builds on the old file as it is, and its publishing ends the promise', async () => {
    const api = await nights();
    try {
      await withTempDir(async (dir) => {
        const out = join(dir, 'f.jsonl');
        const run = (flags: string[], token = TOKEN) => tkf(['export', '--uid', CUT_TWICE, '--out', out, '--json', ...fast, ...flags], { env: { ...env(api), TKF_TOKEN: token } });
        expect((await run([])).code).toBe(0);
        expect((await run(['--force'])).code).toBe(10);
        const mark = await readFile(`${out}.part.json`, 'utf8');
        // The API refuses the token at the first request (exit 5): the walk again got nowhere, and its mark is put back.
        expect((await run(['--resume'], 'tkn-dead')).code).toBe(5);
        expect([(await readdir(dir)).sort(), await readFile(`${out}.part.json`, 'utf8')]).toEqual([['f.jsonl', 'f.jsonl.part.json', 'f.jsonl.tkf.json'], mark]);
        // An --update refused at its first request published nothing: the mark is put back too
        // (it was removed with the update's first checkpoint, and --resume then said "already complete").
        expect((await run(['--update'], 'tkn-dead')).code).toBe(5);
        expect([(await readdir(dir)).sort(), await readFile(`${out}.part.json`, 'utf8')]).toEqual([['f.jsonl', 'f.jsonl.part.json', 'f.jsonl.tkf.json'], mark]);
        // --update is no walk again: the file is complete, and the list has nothing newer (walk 3, cut, reaches the file at once).
        const update = await run(['--update']);
        expect([update.code, JSON.parse(update.stdout)]).toEqual([0, expect.objectContaining({ complete: true, added: 0, rows: 3000 })]);
        expect((await readdir(dir)).sort()).toEqual(['f.jsonl', 'f.jsonl.tkf.json']);
        expect(JSON.parse((await run(['--resume'])).stdout)).toMatchObject({ complete: true, requests: 0 });
        // A crash between writing the mark and removing the short walk's part files leaves them
        // beside it; with the file since moved away, a new export replaces them (it said the
        // checkpoint beside them was gone, and refused).
        await writeFile(`${out}.part.json`, mark);
        await writeFile(`${out}.part`, (await readFile(out, 'utf8')).split('\n').slice(0, 60).join('\n') + '\n');
        await writeFile(`${out}.part.uids`, '');
        await Promise.all([rm(out), rm(`${out}.tkf.json`)]);
        const fresh = await run([]);
        expect([fresh.code, fresh.stderr], fresh.stderr).toEqual([0, expect.not.stringContaining('is gone')]);
        expect((await readdir(dir)).sort()).toEqual(['f.jsonl', 'f.jsonl.tkf.json']);
      });
    } finally {
      await api.close();
    }
  });

  it('in a --uids-file batch: the batch --resume walks that account again (its summary and --json say how it went), and finds the others complete', async () => {
    const api = await nights();
    try {
      await withTempDir(async (dir) => {
        const uids = join(dir, 'uids.txt');
        await writeFile(uids, `${PLAIN}\n${CUT_TWICE}\n`);
        const out = join(dir, `${CUT_TWICE}.jsonl`);
        const batch = async (...flags: string[]) => {
          const result = await tkf(['export', '--uids-file', uids, '--out', join(dir, '{uid}.jsonl'), '--json', ...fast, ...flags], { env: env(api) });
          const summary = JSON.parse(result.stdout);
          return { code: result.code, stderr: result.stderr, summary, byUid: Object.fromEntries(summary.users.map((u: { uid: string }) => [u.uid, u])) };
        };
        expect((await batch()).code).toBe(0);
        const before = await read(out);
        const forced = await batch('--force');
        expect([forced.code, forced.byUid[CUT_TWICE]]).toEqual([9, expect.objectContaining({ state: 'failed', exit_code: 10, short: true, file: null })]);
        // The same command with --resume: it said CUT_TWICE was already complete, and the batch exit 0.
        const again = await batch('--resume');
        expect(again.code).toBe(9);
        expect(again.byUid[CUT_TWICE]).toMatchObject({ state: 'failed', exit_code: 10, short: true, rows: 60, file: null });
        expect(again.byUid[PLAIN]).toMatchObject({ state: 'complete', exit_code: 0, requests: 0 });
        expect(again.summary.totals).toMatchObject({ complete: 1, failed: 1 });
        expect(again.stderr).toContain(`walked only 60 of the 3,000 followers`);
        expect(await same(out, before)).toEqual([true, true]);
        const whole = await batch('--resume');
        expect(whole.code, whole.stderr).toBe(0);
        expect(whole.byUid[CUT_TWICE]).toMatchObject({ state: 'complete', exit_code: 0, rows: 3000, requests: 150, file: out });
        expect(whole.byUid[PLAIN]).toMatchObject({ state: 'complete', requests: 0 });
        const done = await batch('--resume');
        expect([done.code, done.byUid[CUT_TWICE]]).toEqual([0, expect.objectContaining({ state: 'complete', requests: 0 })]);
        expect((await readdir(dir)).sort()).toEqual([`${PLAIN}.jsonl`, `${PLAIN}.jsonl.tkf.json`, `${CUT_TWICE}.jsonl`, `${CUT_TWICE}.jsonl.tkf.json`, 'uids.txt'].sort());
      });
    } finally {
      await api.close();
    }
  });
});

describe('a page with duplicate keys inside a tied second behind a hidden offset', () => {
  it('is the page the request would have had: every follower of the second, exit 0 (the simulator served the followers below it, and tkf lost 258 without a word)', async () => {
    const scenario: UserScenario = { size: 3000, ties: [{ at: 500, count: 300 }], cursorMode: 'offset' };
    // Requests 28 to 31 ask inside the tied second (pages 26 to 40 of it).
    for (const at of [28, 31]) {
      const faulty = await startSimulator({ token: TOKEN, users: { [PLAIN]: scenario }, faults: { schedule: { [at]: 'duplicate-keys' } } });
      try {
        await withTempDir(async (dir) => {
          const out = join(dir, 'f.jsonl');
          const result = await tkf(['export', '--uid', PLAIN, '--out', out, '--json', ...fast], { env: env(faulty) });
          expect([at, result.code, JSON.parse(result.stdout).rows]).toEqual([at, 0, 3000]);
          const uids = new Set((await readFile(out, 'utf8')).trim().split('\n').map((line) => (JSON.parse(line) as { uid: string }).uid));
          expect(uids.size).toBe(3000);
        });
      } finally {
        await faulty.close();
      }
    }
  });
});

describe('a budget spent inside a tied second it cannot read whole', () => {
  it('says so, and what budget gets past it, instead of stopping there night after night', async () => {
    const scenario: UserScenario = { size: 1200, ties: [{ at: 60, count: 700 }], cursorMode: 'offset' };
    const tied = await startSimulator({ token: TOKEN, users: { [PLAIN]: scenario } });
    try {
      await withTempDir(async (dir) => {
        const out = join(dir, 'f.jsonl');
        const night = (budget: number) => tkf(['export', '--uid', PLAIN, '--out', out, '--max-requests', String(budget), '--resume', ...fast], { env: env(tied) });
        const first = await night(30);
        expect(first.code).toBe(8);
        expect(first.stderr).not.toContain('stands inside one second');
        // The second night reads the second again from its start, and stops inside it again.
        const second = await night(30);
        expect(second.code).toBe(8);
        expect(second.stderr).toMatch(/the walk stands inside one second whose followers fill more than 3\d pages, which --resume reads again from its start: the same --max-requests stops there again; give the next run more \(above 3\d\)/);
        const third = await night(60);
        expect(third.code).toBe(0);
        expect((await readFile(out, 'utf8')).trim().split('\n')).toHaveLength(1200);
      });
    } finally {
      await tied.close();
    }
  });
});

describe('a --max-requests of 1 under --resume', () => {
  it('says that each --resume spends its one request asking its second again, not that a tied second stands there', async () => {
    const plain = await startSimulator({ token: TOKEN, users: { [PLAIN]: { size: 200 } } });
    try {
      await withTempDir(async (dir) => {
        const out = join(dir, 'f.jsonl');
        const night = () => tkf(['export', '--uid', PLAIN, '--out', out, '--max-requests', '1', '--resume', ...fast], { env: env(plain) });
        expect((await night()).code).toBe(8);
        const again = await night();
        expect(again.code).toBe(8);
        expect(again.stderr).toContain('each --resume first asks the second it stopped in again (one request), so a --max-requests of 1 never gets further: give the next run at least 2');
        expect(again.stderr).not.toContain('stands inside one second');
      });
    } finally {
      await plain.close();
    }
  });
});

describe('pages with nothing new while the cursor moves', () => {
  it('exit 6 within a few dozen requests, not an endless bill', async () => {
    await withTempDir(async (dir) => {
      const before = sim.stats.byUid[REPEATING] ?? 0;
      const result = await tkf(['export', '--uid', REPEATING, '--out', join(dir, 'f.csv'), ...fast], { env: env() });
      expect(result.code).toBe(6);
      expect(result.stderr).toMatch(/no follower not already exported while its cursor moved/);
      expect((sim.stats.byUid[REPEATING] ?? 0) - before).toBeLessThanOrEqual(30);
    });
  });
});

describe('lost effort', () => {
  it('one warning line on stderr and lost_effort in --json; exit 0 and every follower', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      const result = await tkf(['export', '--uid', NEWEST, '--out', out, '--json', ...fast], { env: env() });
      expect(result.code).toBe(0);
      const outcome = JSON.parse(result.stdout);
      expect(outcome).toMatchObject({ rows: 200, complete: true, lost_effort: { pages_needed: 10 } });
      expect(outcome.lost_effort.requests).toBeGreaterThan(20);
      expect(result.stderr.match(/warning: [\d,]+ requests for followers that fit in 10 pages/g)).toHaveLength(1);
      const plain = await tkf(['export', '--uid', PLAIN, '--out', join(dir, 'p.jsonl'), '--json'], { env: env() });
      expect(plain.stderr).not.toMatch(/warning/);
      expect(JSON.parse(plain.stdout).lost_effort).toBeUndefined();
    });
  });

  it("is not said of tkf's own retries and re-entries: half the requests failing (502), every follower, no warning", async () => {
    // Seeded faults: the same requests fail each run. Each answer that came after a failed try is
    // set aside and its second re-entered (a hidden offset may have moved): ~4 requests a page.
    const failing = await startSimulator({ token: TOKEN, users: { [PLAIN]: { size: 1000 } }, faults: { rate: 0.5, kinds: ['502'] } });
    try {
      await withTempDir(async (dir) => {
        const result = await tkf(['export', '--uid', PLAIN, '--out', join(dir, 'f.jsonl'), '--json', '--retries', '10', ...fast], { env: env(failing) });
        expect(result.code, result.stderr).toBe(0);
        const outcome = JSON.parse(result.stdout);
        expect(outcome).toMatchObject({ rows: 1000, complete: true });
        // More than twice the 50 pages were answered (what the warning counted), yet none repeated.
        expect(failing.stats.answers?.ok).toBeGreaterThan(100);
        expect(outcome.lost_effort).toBeUndefined();
        expect(result.stderr).not.toMatch(/warning/);
      });
    } finally {
      await failing.close();
    }
  });
});

describe('kill -9 inside a second the API pages with a hidden offset', () => {
  it('--resume gives the same file as an uninterrupted export', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'f.jsonl');
      let answered = 0;
      let kill: (() => void) | undefined;
      // Killed once the API has made its 3rd answer (inside the first tied second), before tkf has it.
      const server = await startSimulator({
        token: TOKEN,
        users,
        latencyMs: 200,
        onRequest: (entry) => {
          if (entry.uid === OFFSET && ++answered === 3) kill?.();
        },
      });
      try {
        const killed = await runTkf(['export', '--uid', OFFSET, '--out', out, ...fast], {
          env: env(server),
          onSpawn: (child) => {
            kill = () => child.kill('SIGKILL');
          },
        });
        expect(killed.signal).toBe('SIGKILL');
        const resumed = await tkf(['export', '--uid', OFFSET, '--out', out, '--resume', '--json', ...fast], { env: env(server) });
        expect(resumed.code).toBe(0);
        expect(await readFile(out, 'utf8')).toBe(expectedJsonl(OFFSET, users[OFFSET]!, 0, 130));
        expect(JSON.parse(resumed.stdout).incomplete_seconds).toEqual([]);
      } finally {
        await server.close();
      }
    });
  });
});

describe('tkf simulate', () => {
  it('--help documents every mode', async () => {
    const result = await tkf(['simulate', '--help']);
    expect(result.code).toBe(0);
    for (const option of ['--repeat-page', '--ends-after-page', '--min-time', '--cursor-mode', '--faults']) expect(result.stdout).toContain(option);
    expect(result.stdout).toMatch(/hidden offset that moves on answers lost/);
  });

  it('--ends-after-page serves a list that ends early while total says more', async () => {
    const stop = new AbortController();
    let ready: (url: string) => void = () => {};
    const url = new Promise<string>((resolve) => (ready = resolve));
    const running = tkf(['simulate', '--port', '0', '--size', '3000', '--ends-after-page', '3', '--repeat-page', '9'], {
      signal: stop.signal,
      onStdout: (text) => text.includes('\n') && ready(text.split('\n')[0]!.trim()),
    });
    try {
      const base = await url;
      const get = async (cursor: number) =>
        ((await (await fetch(`${base}/tk/user/followers?token=sim-token&uid=6754915036232582149&cursor=${cursor}`)).json()) as {
          data: { has_more: boolean; min_time: number; total: number; followers: unknown[] };
        });
      let page = await get(0);
      let pagesServed = 1;
      while (page.data.has_more) {
        page = await get(page.data.min_time);
        pagesServed++;
      }
      expect(pagesServed).toBe(3);
      expect(page.data.total).toBe(3000);
    } finally {
      stop.abort();
      await running;
    }
  });
});
