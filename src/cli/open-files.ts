/**
 * How many files a batch may hold open (`ulimit -n`), and the concurrency that fits in it. Each
 * place of a batch holds up to FILES_PER_ACCOUNT descriptors: its walk's five (its socket, the
 * .part and .part.uids streams, the lock, a checkpoint being replaced) and three for each of the
 * two exports at most that are being published behind it (README). Past the limit, opens fail
 * with EMFILE and the accounts that meet it fail after their pages were paid for (measured:
 * `ulimit -n 64` and `--concurrency 16`, 21 of 40 accounts failed). So a batch is lowered to what
 * the limit holds, and says so, before its first request; refused when not one account fits.
 *
 * Node cannot read the limit itself (no getrlimit): Linux says it in /proc/self/limits; elsewhere
 * a shell started from here inherits it and prints it (`ulimit -n`, ~5 ms once a batch). Node
 * raises its soft limit to the hard one as it starts, so what matters is a low hard limit (set
 * by `ulimit -n 64`, some containers and services), not a shell's low soft one.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

export const FILES_PER_ACCOUNT = 11;
/** Descriptors besides the accounts': the SQLite file, its WAL and shared memory, a report, a config read. */
const RESERVE = 16;
/** Open files of a process before a batch starts, where they cannot be counted (node, its threads, stdio). */
const BASE_GUESS = 48;

/** The soft limit of `Max open files` in /proc/<pid>/limits's text, or undefined (unlimited, or not there). */
export function parseLimits(text: string): number | undefined {
  const match = /^Max open files\s+(\S+)/m.exec(text);
  if (!match || !/^\d+$/.test(match[1]!)) return undefined;
  return Number(match[1]);
}

/** `ulimit -n` as a shell prints it, or undefined (unlimited, or not a number). */
export function parseUlimit(text: string): number | undefined {
  const value = text.trim();
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * The accounts at once that `limit` open files hold, `open` being held already: `wanted`, or
 * fewer; 0 when not even one fits (the batch is refused before it pays for a page).
 */
export function concurrencyWithin(wanted: number, limit: number | undefined, open: number): number {
  if (limit === undefined) return wanted;
  const room = Math.floor((limit - open - RESERVE) / FILES_PER_ACCOUNT);
  return Math.max(0, Math.min(wanted, room));
}

/** The files a batch needs besides those open now, for one account at a time. */
export const FILES_FOR_ONE = RESERVE + FILES_PER_ACCOUNT;

export interface OpenFiles {
  limit: number | undefined;
  open: number;
}

/** This process's open-file limit and how many it holds now (best effort: undefined where it cannot tell). */
export async function openFiles(platform: NodeJS.Platform = process.platform): Promise<OpenFiles> {
  if (platform === 'linux') {
    const limits = await readFile('/proc/self/limits', 'utf8').catch(() => undefined);
    const open = await readdir('/proc/self/fd').then((fds) => fds.length, () => BASE_GUESS);
    return { limit: limits === undefined ? undefined : parseLimits(limits), open };
  }
  if (platform === 'win32') return { limit: undefined, open: BASE_GUESS };
  const limit = await new Promise<number | undefined>((resolve) => {
    execFile('/bin/sh', ['-c', 'ulimit -n'], { timeout: 2000 }, (error, stdout) => resolve(error ? undefined : parseUlimit(stdout)));
  });
  return { limit, open: BASE_GUESS };
}
