/**
 * A file written whole or not at all, for every command that writes one in a single pass
 * (`tkf diff --out`, `tkf history changes --out`): the output's lock (one tkf at a time per
 * output), rows into `<out>.part`, renamed to `<out>` once complete (never half a file at
 * `<out>`); on any failure the part file is removed and the lock released.
 */
import type { WriteStream } from 'node:fs';
import { OutputError, TkfError } from '../errors.js';
import { describeFsError } from './fs-errors.js';
import { acquireLock, type Lock, type LockOwner } from './lock.js';
import { checkDirectory, exists, openStream, outputPaths, publish, removeAll, type OutputPaths, type Render } from './output-file.js';

export interface FileTransactionOptions {
  /** Replace an existing `<out>` (--force). */
  force: boolean;
  /** Who takes the lock, and how to tell whether a lock's owner still runs. */
  owner: LockOwner;
  isRunning: (pid: number) => boolean;
}

export class FileTransaction {
  private constructor(
    readonly paths: OutputPaths,
    /** The part file's stream: write the rows here, and close it before commit. */
    readonly stream: WriteStream,
    private readonly lock: Lock,
    private readonly force: boolean,
  ) {}

  static async open(out: string, options: FileTransactionOptions): Promise<FileTransaction> {
    const paths = outputPaths(out);
    await checkDirectory(out);
    if (!options.force && (await exists(out))) throw new OutputError(`${out} already exists; use --force to replace it`);
    const lock = await acquireLock(paths.lock, options.owner, options.isRunning, out);
    try {
      return new FileTransaction(paths, await openStream(paths.part, undefined), lock, options.force);
    } catch (error) {
      await lock.release().catch(() => {});
      throw error;
    }
  }

  /** The part file, written and closed, becomes `<out>` (rendered first for a workbook). */
  async commit(render?: Render): Promise<void> {
    await publish(this.paths, this.force, render);
    await this.lock.release().catch(() => {});
  }

  /**
   * Removes the part file and releases the lock; returns the error to throw. A bare file-system
   * error is the output's (exit 7, naming the part file); inputs fail as TkfErrors of their own.
   */
  async abort(error: unknown): Promise<unknown> {
    this.stream.destroy();
    await removeAll(this.paths.part).catch(() => {});
    await this.lock.release().catch(() => {});
    if (!(error instanceof TkfError) && typeof (error as NodeJS.ErrnoException)?.code === 'string') {
      return new OutputError(`cannot write ${this.paths.part}: ${describeFsError(error)}`);
    }
    return error;
  }
}
