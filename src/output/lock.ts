/**
 * One tkf at a time per output file: `<out>.lock`, created with O_EXCL, holding the owner's pid
 * and host (never the token).
 *
 * A lock left behind by a killed run must not block forever: when the lock's host is this host
 * and its pid is no longer running, or runs another process than the one that wrote it (its start
 * differs: the pid given again, as a container's tkf is pid 1 each time), the lock is stale and is
 * taken over. A lock of another host has no pid to look at: its holder touches it on a timer (the
 * lease, LEASE), and one watched long enough without a touch is stale. proper-lockfile was considered; it decides
 * staleness by mtime alone, so a run started on the same host right after a `kill -9` would wait
 * out the stale period, while a pid check answers at once (and mtimes are compared with this
 * host's clock, where watching for a change needs no two clocks to agree).
 */
import { link, lstat, open, readFile, readdir, rename, rm, stat, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputBusyError, OutputError } from '../errors.js';
import { sleep } from '../sleep.js';
import type { StopSignal } from '../stop-signal.js';
import { describeFsError } from './fs-errors.js';

export interface LockOwner {
  pid: number;
  host: string;
  /** When the owner started, in ticks since boot (Linux): tells it from a later process given its pid. */
  startTicks?: number;
}

interface LockFile extends LockOwner {
  started: string;
}

/**
 * A lock file with no readable owner is taken over once it is this old (a crash between creating
 * it and writing its owner); until then it is read again every UNREADABLE_POLL_MS.
 */
const UNREADABLE_STALE_MS = 10_000;
const UNREADABLE_POLL_MS = 100;

/**
 * A lock written on another host (a pod retried under a new name, a shard on another machine on
 * a shared volume) has no pid this host can look at: its holder touches it every `refreshMs`, and
 * one watched for `staleMs` without a touch is stale. Watched, not dated: the two hosts' clocks
 * (or the file server's) need not agree.
 */
export interface LeaseTiming {
  refreshMs: number;
  staleMs: number;
  pollMs: number;
}
const LEASE: LeaseTiming = { refreshMs: 10_000, staleMs: 35_000, pollMs: 1_000 };

/** How often a run that waits for another's lock (waitWhileHeld) looks again. */
const HELD_POLL_MS = 1_000;

/** How a run waits for a lock another tkf holds: until `signal` ends it; `onHeld` told once. */
export interface WaitWhileHeld {
  signal: StopSignal;
  onHeld?: (holder: LockOwner & { started: string }) => void;
}

export interface Lock {
  release(): Promise<void>;
}

export async function acquireLock(
  path: string,
  owner: LockOwner,
  isRunning: (pid: number, startTicks?: number) => boolean,
  forPath: string,
  /**
   * Told once when this run starts to wait: for the owner of a lock that has none readable yet, or
   * (with its host) to see whether a lock of another host is still touched (below).
   */
  onWait?: (host?: string) => void,
  lease: LeaseTiming = LEASE,
  /**
   * Another tkf that runs holds the lock: wait until it lets go (polling; this signal ends the
   * wait with its reason) instead of refusing at once. A batch under --resume: the same cron line
   * run twice at once, each run waits for the other's accounts, which it then finds complete.
   */
  waitWhileHeld?: WaitWhileHeld,
): Promise<Lock> {
  const content = JSON.stringify({ ...owner, started: new Date().toISOString() } satisfies LockFile);
  let toldHeld = false;
  let toldWatch = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, 'wx', 0o600);
      await handle.writeFile(content);
      await handle.close();
      // The lease: touched while held, so that a run on another host can tell it from a dead one's.
      const touch = setInterval(() => {
        const now = new Date();
        utimes(path, now, now).catch(() => {});
      }, lease.refreshMs);
      touch.unref();
      return {
        release: async () => {
          clearInterval(touch);
          await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        // Created but not written (a full disk): ours, and empty; left, it read as another run's
        // lock to the next run, which waited for an owner that never comes.
        if (handle) {
          await handle.close().catch(() => {});
          await rm(path, { force: true }).catch(() => {});
        }
        throw new OutputError(`cannot create the lock file ${path}: ${describeFsError(error)}`, { cause: error });
      }
    }
    let holder = await readHolder(path);
    // A lock without a readable owner: a run that is writing it right now (it creates the file,
    // then writes its owner), or one killed between the two. Wait for the owner to appear; once
    // the file is UNREADABLE_STALE_MS old nobody is writing it, and it is stale.
    const waitUntil = Date.now() + UNREADABLE_STALE_MS; // whatever the file's time says
    for (let told = false; holder === 'unreadable'; told = true) {
      const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => Infinity);
      if (age >= UNREADABLE_STALE_MS || Date.now() >= waitUntil) break;
      if (!told) onWait?.();
      await sleep(Math.min(UNREADABLE_POLL_MS, UNREADABLE_STALE_MS - age));
      holder = await readHolder(path);
    }
    if (holder === 'gone') continue;
    let held = false;
    if (holder !== 'unreadable' && holder.host !== owner.host) {
      if (!toldWatch) onWait?.(holder.host);
      toldWatch = true;
      const watched = await touchedWhileWatched(path, lease);
      if (watched === 'gone') continue;
      held = watched === 'touched';
    } else if (holder !== 'unreadable') {
      held = isRunning(holder.pid, typeof holder.startTicks === 'number' ? holder.startTicks : undefined);
    }
    if (held && holder !== 'unreadable') {
      if (!waitWhileHeld) throw busy(forPath, path, holder);
      if (!toldHeld) waitWhileHeld.onHeld?.(holder);
      toldHeld = true;
      await sleep(HELD_POLL_MS, waitWhileHeld.signal);
      attempt--; // a wait, not a race lost
      continue;
    }
    // Stale: its owner is gone. Move it aside first and check that what was moved is the lock
    // judged stale: another run may have taken the lock over in between, and its fresh lock
    // must not be removed from under it.
    const aside = `${path}.stale-${owner.pid}`;
    try {
      await rename(path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new OutputError(`cannot take over the stale lock ${path}: ${describeFsError(error)}`, { cause: error });
    }
    const moved = await readHolder(aside);
    if (!sameHolder(moved, holder)) {
      // Not ours to remove: put it back (unless yet another lock appeared) and give way.
      await link(aside, path).catch(() => {});
      await rm(aside, { force: true });
      throw busy(forPath, path, typeof moved === 'object' ? moved : undefined);
    }
    await rm(aside, { force: true });
  }
  throw new OutputError(`cannot take the lock ${path}: other runs keep taking it`);
}

/** Whether the lock's time changes while it is watched for `lease.staleMs` (its holder runs), or the lock goes. */
async function touchedWhileWatched(path: string, lease: LeaseTiming): Promise<'touched' | 'untouched' | 'gone'> {
  const mtime = async () => stat(path).then((s) => s.mtimeMs, () => undefined);
  const first = await mtime();
  if (first === undefined) return 'gone';
  for (let waited = 0; waited < lease.staleMs; waited += lease.pollMs) {
    await sleep(lease.pollMs);
    const now = await mtime();
    if (now === undefined) return 'gone';
    if (now !== first) return 'touched';
  }
  return 'untouched';
}

function sameHolder(a: LockFile | 'gone' | 'unreadable', b: LockFile | 'unreadable'): boolean {
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  return a.pid === b.pid && a.host === b.host && a.started === b.started && a.startTicks === b.startTicks;
}

function busy(forPath: string, lockPath: string, holder: LockFile | undefined): OutputBusyError {
  const who = holder ? ` (pid ${holder.pid} on ${holder.host}, since ${holder.started})` : '';
  // Its own advice only: the rows a checkpoint there counts are the other run's, not ours to --resume.
  return new OutputBusyError(`another tkf is already writing ${forPath}${who}; if no tkf runs, remove ${lockPath}`, { advised: true });
}

async function readHolder(path: string): Promise<LockFile | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    return 'unreadable';
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockFile>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') return parsed as LockFile;
  } catch {
    // fall through
  }
  return 'unreadable';
}

/** A stale lock moved aside longer ago than this is a takeover's leftover (a takeover takes milliseconds). */
const ASIDE_LEFTOVER_MS = 60_000;

/**
 * Removes the leftovers of takeovers killed between moving a stale lock aside and removing it
 * (`<out>.lock.stale-<pid>`: nothing else would ever remove them), in each of `directories`: once
 * a run, after its accounts. Only those moved aside over a minute ago (the ctime a rename sets),
 * so that a takeover under way in another run keeps its own. Never fails the run.
 */
export async function removeTakeoverLeftovers(directories: Iterable<string>, now: () => number = Date.now): Promise<number> {
  let removed = 0;
  for (const directory of new Set(directories)) {
    const names = await readdir(directory).catch(() => [] as string[]);
    for (const name of names) {
      if (!/\.lock\.stale-\d+$/.test(name)) continue;
      const path = join(directory, name);
      const info = await lstat(path).catch(() => undefined);
      if (!info?.isFile() || now() - info.ctimeMs < ASIDE_LEFTOVER_MS) continue;
      await rm(path, { force: true }).then(() => removed++, () => {});
    }
  }
  return removed;
}
