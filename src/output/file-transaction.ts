/**
 * A file written whole or not at all, for every command that writes one: the output's lock (one
 * tkf at a time per output), rows into `<out>.part`, renamed to `<out>` once complete (never half
 * a file at `<out>`), the lock released either way.
 *
 * One-pass writers (`tkf diff --out`, `tkf history changes --out`) use it whole: open, write
 * `stream`, commit or abort (the part file removed). An export (export-file.ts) builds its
 * resumable transaction on the same pieces: it takes the lock, opens the part file (from an offset
 * when it resumes), publishes and releases through here, and on abort keeps the part file its
 * checkpoint counts.
 */
import type { WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { OutputError, TkfError } from '../errors.js';
import { realDisk, type Disk } from './disk.js';
import { describeFsError } from './fs-errors.js';
import { acquireLock, type Lock, type LockOwner, type WaitWhileHeld } from './lock.js';
import { checkDirectory, exists, outputPaths, publish, refuseOverInterrupted, removeAll, type OutputPaths, type Render } from './output-file.js';

/** Who takes the lock, and how to tell whether a lock's owner still runs. */
export interface LockHolder {
  owner: LockOwner;
  isRunning: (pid: number, startTicks?: number) => boolean;
  /** The lock names no owner yet: this run waits for one, up to 10 s (lock.ts). */
  onLockWait?: (lockPath: string, host?: string) => void;
  /** Another tkf holds the lock: wait for it instead of refusing (lock.ts waitWhileHeld). */
  waitWhileHeld?: WaitWhileHeld;
}

export interface FileTransactionOptions extends LockHolder {
  /** Replace an existing `<out>` (--force). */
  force: boolean;
}

/** The part file's data is flushed to the disk each time this many more bytes are written (disk.ts syncingFs). */
export const PART_SYNC_BYTES = 8 << 20;

export class FileTransaction {
  private part: Writable | undefined;
  private lock: Lock | undefined;

  private constructor(
    readonly paths: OutputPaths,
    lock: Lock,
    private readonly force: boolean,
  ) {
    this.lock = lock;
  }

  /** A one-pass file: an existing `<out>` refused without force, the lock taken, the part file opened. */
  static async open(out: string, options: FileTransactionOptions): Promise<FileTransaction> {
    await checkDirectory(out);
    await refuseOverInterrupted(out);
    if (!options.force && (await exists(out))) throw new OutputError(`${out} already exists; use --force to replace it`);
    const file = await FileTransaction.lock(out, options, options.force);
    try {
      await file.openPart();
    } catch (error) {
      await file.release();
      throw error;
    }
    return file;
  }

  /** Takes the output's lock only (the caller has checked the directory and what it may replace). */
  static async lock(out: string, who: LockHolder, force = false): Promise<FileTransaction> {
    const paths = outputPaths(out);
    const onWait = (host?: string) => who.onLockWait?.(paths.lock, host);
    return new FileTransaction(paths, await acquireLock(paths.lock, who.owner, who.isRunning, out, onWait, undefined, who.waitWhileHeld), force);
  }

  /** The part file's stream: write the rows here, and close it before commit. */
  get stream(): WriteStream {
    return this.part as WriteStream;
  }

  /** Opens `<out>.part`, truncated, or written on from `start` (a resumed export: what its checkpoint counts). */
  async openPart(start?: number, disk: Disk = realDisk): Promise<Writable> {
    this.part = await disk.openStream(this.paths.part, start, undefined, { syncEvery: PART_SYNC_BYTES });
    return this.part;
  }

  /** The part file, written and closed, becomes `<out>` (rendered first for a workbook); the lock is kept. */
  async publish(replace: boolean, render?: Render): Promise<void> {
    await publish(this.paths, replace, render);
  }

  /** Once only: a second release could remove a lock another run has taken since. */
  async release(): Promise<void> {
    const lock = this.lock;
    this.lock = undefined;
    await lock?.release().catch(() => {});
  }

  /** Removes the part file and the files kept beside it (an export's uid log and checkpoint). */
  async discard(...beside: string[]): Promise<void> {
    await removeAll(this.paths.part, ...beside).catch(() => {});
  }

  async commit(render?: Render): Promise<void> {
    await this.publish(this.force, render);
    await this.release();
  }

  /**
   * Removes the part file and releases the lock; returns the error to throw. A bare file-system
   * error is the output's (exit 7, naming the part file); inputs fail as TkfErrors of their own.
   */
  async abort(error: unknown): Promise<unknown> {
    this.part?.destroy();
    await this.discard();
    await this.release();
    if (!(error instanceof TkfError) && typeof (error as NodeJS.ErrnoException)?.code === 'string') {
      return new OutputError(`cannot write ${this.paths.part}: ${describeFsError(error)}`, { cause: error });
    }
    return error;
  }
}
