import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { OutputError } from '../../src/errors.js';
import { acquireLock, removeTakeoverLeftovers } from '../../src/output/lock.js';
import { isRunning, lockOwner, processStartTicks } from '../../src/cli/api-access.js';

let dir: string;
let out: string;
let lockPath: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tkf-lock-'));
  out = join(dir, 'followers.csv');
  lockPath = `${out}.lock`;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HOST = 'this-host';
const me = { pid: 1111, host: HOST };
const other = { pid: 2222, host: HOST };
const running = () => true;
const notRunning = () => false;

async function lockError(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the lock to be refused');
}

/**
 * An empty lock file (its owner never written) `ageMs` old, taken over by `me`, then released:
 * how many times acquireLock told of a wait.
 */
async function takeOverEmptyLock(ageMs: number): Promise<number> {
  await writeFile(lockPath, '');
  const when = new Date(Date.now() - ageMs);
  await utimes(lockPath, when, when);
  let told = 0;
  // A wait told makes the file 11 s old: taken over at the next look, not after a real 10 s.
  const aged = new Date(Date.now() - 11_000);
  const lock = await acquireLock(lockPath, me, notRunning, out, () => (told++, void utimes(lockPath, aged, aged)));
  expect(JSON.parse(await readFile(lockPath, 'utf8')).pid).toBe(1111);
  await lock.release();
  return told;
}

describe('acquireLock', () => {
  test('a second lock on the same output is refused while the holder runs, naming the output', async () => {
    await acquireLock(lockPath, other, running, out);
    const checked: number[] = [];
    const error = await lockError(acquireLock(lockPath, me, (pid) => (checked.push(pid), true), out));
    expect(error).toBeInstanceOf(OutputError);
    expect(error.message).toContain(out);
    expect(error.message).toContain('2222');
    expect(checked).toEqual([2222]);
    expect(JSON.parse(await readFile(lockPath, 'utf8')).pid).toBe(2222);
  });

  test('a lock whose pid no longer runs is taken over', async () => {
    await acquireLock(lockPath, other, running, out); // never released: a killed run
    const lock = await acquireLock(lockPath, me, notRunning, out);
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: 1111, host: HOST });
    await lock.release();
  });

  // A lease of milliseconds: the holder touches its lock every 20 ms; watched 150 ms untouched, it is stale.
  const lease = { refreshMs: 20, staleMs: 150, pollMs: 10 };

  test('a lock held from another host is not taken over while its holder touches it', async () => {
    const held = await acquireLock(lockPath, { pid: 2222, host: 'elsewhere' }, running, out, undefined, lease);
    const waits: Array<string | undefined> = [];
    const error = await lockError(acquireLock(lockPath, me, notRunning, out, (host) => waits.push(host), lease));
    expect(error).toBeInstanceOf(OutputError);
    expect(error.message).toContain('elsewhere');
    expect(waits).toEqual(['elsewhere']);
    await held.release();
  });

  test('a lock of another host that nobody touches any more (its run killed: a pod retried under a new name) is taken over', async () => {
    await writeFile(lockPath, JSON.stringify({ pid: 1, host: 'tkf-nightly-0-abcde', started: new Date().toISOString() }));
    const lock = await acquireLock(lockPath, me, running, out, undefined, lease);
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject(me);
    await lock.release();
    await expect(stat(lockPath)).rejects.toThrow();
  });

  test('a fresh lock file without its owner yet is waited for: the owner written meanwhile keeps it', async () => {
    await writeFile(lockPath, '{"pid":'); // being written by a run that is alive
    setTimeout(() => writeFileSync(lockPath, JSON.stringify({ ...other, started: new Date().toISOString() })), 300);
    const error = await lockError(acquireLock(lockPath, me, running, out));
    expect(error).toBeInstanceOf(OutputError);
    expect(error.message).toContain(out);
    expect(error.message).toContain('2222');
    expect(JSON.parse(await readFile(lockPath, 'utf8')).pid).toBe(2222);
  });

  test('a lock file left empty by a run killed while creating it is taken over once it is old, not refused', async () => {
    // kill -9 between creating the lock and writing its owner, then --resume at once: the file
    // is young when the next run looks (dated ahead, so that a slow machine cannot make it old
    // first), turns 10 s old while it waits, and is taken over.
    expect(await takeOverEmptyLock(-3_600_000)).toBe(1);
  });

  test('an unreadable lock file is taken over once it is old', async () => {
    // Taken over at once: no wait, so none is told.
    expect(await takeOverEmptyLock(60 * 60_000)).toBe(0);
  });

  test('release removes the lock, and the output can be locked again', async () => {
    const lock = await acquireLock(lockPath, me, running, out);
    await lock.release();
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await acquireLock(lockPath, other, running, out);
    await again.release();
  });

  test('the lock file is owner-only and holds only pid, host and start time', async () => {
    const lock = await acquireLock(lockPath, me, running, out);
    expect((await stat(lockPath)).mode & 0o777).toBe(0o600);
    const content = JSON.parse(await readFile(lockPath, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(content).sort()).toEqual(['host', 'pid', 'started']);
    expect(Number.isNaN(Date.parse(String(content.started)))).toBe(false);
    await lock.release();
  });

  test('a missing directory is an OutputError', async () => {
    const missing = join(dir, 'nope', 'followers.csv.lock');
    await expect(acquireLock(missing, me, running, join(dir, 'nope', 'followers.csv'))).rejects.toBeInstanceOf(OutputError);
  });

  test('a stale lock taken over by another run meanwhile is not removed from under it', async () => {
    // Two runs find the same stale lock. The other run removes it and takes the lock first; this
    // run, deciding on what it read before, must not then delete the other run's fresh lock.
    await writeFile(lockPath, JSON.stringify({ pid: 9999, host: HOST, started: new Date().toISOString() }));
    const isRunning = (pid: number) => {
      if (pid === 9999) {
        writeFileSync(lockPath, JSON.stringify({ ...other, started: new Date().toISOString() }));
        return false;
      }
      return pid === other.pid;
    };
    const outcome = await acquireLock(lockPath, me, isRunning, out).then(
      () => 'acquired',
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(OutputError);
    expect(JSON.parse(await readFile(lockPath, 'utf8')).pid).toBe(other.pid);
  });
});

describe('the pid of a lock given to a later process (tkf is pid 1 in every container; pids wrap)', () => {
  test('a lock whose pid runs another process than the one that wrote it (another start) is taken over; one its process wrote is not', async () => {
    // A real process of this machine: the "later process" holding the dead run's pid.
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const host = hostname();
      const ticks = processStartTicks(child.pid!)!;
      expect(ticks).toBeGreaterThan(0);
      // Written by a process of that pid that started earlier (the one killed): taken over.
      await writeFile(lockPath, JSON.stringify({ pid: child.pid, host, started: new Date().toISOString(), startTicks: ticks - 1 }));
      const lock = await acquireLock(lockPath, lockOwner(), isRunning, out);
      expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: process.pid, startTicks: processStartTicks(process.pid) });
      await lock.release();
      // Written by that very process: held, whatever the clocks say.
      await writeFile(lockPath, JSON.stringify({ pid: child.pid, host, started: '2020-01-01T00:00:00.000Z', startTicks: ticks }));
      expect((await lockError(acquireLock(lockPath, lockOwner(), isRunning, out))).message).toMatch(/another tkf is already writing/);
      // A lock of an earlier tkf (no start recorded): its pid alive is enough, as before.
      await writeFile(lockPath, JSON.stringify({ pid: child.pid, host, started: '2020-01-01T00:00:00.000Z' }));
      expect((await lockError(acquireLock(lockPath, lockOwner(), isRunning, out))).message).toMatch(/another tkf is already writing/);
    } finally {
      child.kill();
    }
  });
});

describe('the leftovers of takeovers cut short', () => {
  test('removes <out>.lock.stale-<pid> moved aside over a minute ago, and nothing else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tkf-lock-leftovers-'));
    try {
      for (const name of ['a.csv.lock.stale-4242', 'b.csv.lock.stale-7', 'a.csv.lock', 'a.csv', 'notes.stale-1']) await writeFile(join(dir, name), 'x');
      // Just moved aside (a takeover under way in another run): kept.
      expect(await removeTakeoverLeftovers([dir, dir])).toBe(0);
      // A minute and more later: the two leftovers go, the lock and the files stay.
      expect(await removeTakeoverLeftovers([dir], () => Date.now() + 61_000)).toBe(2);
      expect((await readdir(dir)).sort()).toEqual(['a.csv', 'a.csv.lock', 'notes.stale-1']);
      // A directory that is gone is no failure.
      expect(await removeTakeoverLeftovers([join(dir, 'gone')], () => Date.now() + 61_000)).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
