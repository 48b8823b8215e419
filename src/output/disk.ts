/**
 * The file-system calls an export writes through, as one small interface so that a test can
 * hand in a disk that fills up at any chosen write (see test/output/export-file.test.ts):
 * "a full disk is always exit 7" is then proven at every write, not only when a tmpfs happens to
 * fill at the right moment.
 */
import * as fs from 'node:fs';
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { OutputError } from '../errors.js';
import { describeFsError } from './fs-errors.js';

export interface Disk {
  /**
   * A write stream on `path`, truncated (start undefined) or written from `start`; open once it
   * resolves. `syncEvery`: its data is flushed to the disk in the background each time that many
   * more bytes are written (syncingFs), so that the fsync before it is published has little left.
   */
  openStream(path: string, start: number | undefined, mode?: number, options?: { syncEvery?: number }): Promise<Writable>;
  /** Writes a small whole file and fsyncs it (checkpoints, manifests), before it is renamed into place. */
  writeSynced(path: string, text: string, mode: number): Promise<void>;
}

/**
 * The disk of node:fs as a test sets it up: `base`, the calls its streams make (an fdatasync that
 * fails); `syncEvery`, the flushes' step in place of the one asked for (a test's files are small).
 */
export function diskOf(options: { base?: StreamFs; syncEvery?: number }): Disk {
  return {
    ...realDisk,
    async openStream(path, start, mode, asked = {}) {
      return openWriteStream(path, start, mode, asked.syncEvery && (options.syncEvery ?? asked.syncEvery), options.base ?? fs);
    },
  };
}

/**
 * tkf's own staging files (`<out>.part`, `<out>.part.uids`) are never written through a link: a
 * symbolic link put there had its target overwritten (and then published in place of the file),
 * and truncating a hard link empties the other name's file. A new one replaces whatever has the
 * name (the name is tkf's: an unlink leaves a link's target as it was) and is created afresh; one
 * taken up again (--resume) is refused if it is a symbolic link (O_NOFOLLOW).
 */
const NO_FOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const NEW_FILE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | NO_FOLLOW;
const TAKEN_UP = fs.constants.O_RDWR | NO_FOLLOW;

/** Removes whatever has this name of tkf's (a link: not its target), if anything does. */
async function unlinkName(path: string): Promise<void> {
  await fs.promises.unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

async function openWriteStream(path: string, start: number | undefined, mode = 0o644, syncEvery: number | undefined, base: StreamFs): Promise<Writable> {
  if (start === undefined) {
    await unlinkName(path).catch((error: unknown) => {
      throw new OutputError(`cannot write ${path}: ${describeFsError(error)}`, { cause: error });
    });
  }
  const stream: WriteStream = createWriteStream(path, {
    // Numbers, as fs.open takes them (@types/node types this option as a string only).
    flags: (start === undefined ? NEW_FILE : TAKEN_UP) as unknown as string,
    start,
    mode,
    // A 1 MiB buffer measured +9% for JSONL here (../shared/PERFORMANCE.md).
    highWaterMark: 1 << 20,
    // A flush that fails ends the stream with its error at once: the walk stops there (exit 7),
    // and the export's abort finds it in `errored` (flushFailure) and keeps nothing to resume.
    ...(syncEvery ? { fs: syncingFs(syncEvery, base, (error) => stream.destroy(error)) } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new OutputError(`cannot write ${path}: it is a symbolic link, not the file tkf left there; remove it (the export then starts again)`, { cause: error });
    }
    throw new OutputError(`cannot write ${path}: ${describeFsError(error)}`, { cause: error });
  });
  return stream;
}

export const realDisk: Disk = {
  async openStream(path, start, mode = 0o644, options = {}) {
    // Flushed as written on Linux only, where it was measured: elsewhere libuv's fdatasync may
    // flush the drive's own cache each time (macOS's F_FULLFSYNC), which the publish's one fsync
    // pays once.
    return openWriteStream(path, start, mode, process.platform === 'linux' ? options.syncEvery : undefined, fs);
  },
  async writeSynced(path, text, mode) {
    // A temporary file of tkf's own, renamed into place: made afresh, never written through a
    // link put at its name (the link would then be renamed into the manifest's place).
    await unlinkName(path);
    const handle = await open(path, NEW_FILE, mode);
    try {
      await handle.writeFile(text);
      // Without it a power cut can leave the renamed checkpoint empty while the rows it counts
      // survive (ext4 and xfs may commit the rename before the data).
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** The calls of node:fs a write stream makes, and fdatasync (a test hands in its own). */
export type StreamFs = Pick<typeof fs, 'open' | 'write' | 'writev' | 'close' | 'fdatasync'>;

/** What fdatasync answers where the file system does not flush that way. */
const UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * The file-system calls of a write stream (createWriteStream's `fs` option) that flush its data
 * to the disk in the background after each `every` bytes written: one fdatasync at a time, on
 * libuv's thread pool, while the writes go on. A 100,000-follower JSONL export is ~470 MB, and the
 * fsync before it is published (output-file.ts publish) waited ~220 ms on this machine for all of
 * it to reach the disk, after the last page, with nothing else to do. Flushed 8 MiB at a time as
 * it is written (~56 fdatasyncs, ~0.3 s in all on the thread pool), that fsync takes 3-4 ms: the
 * export ended ~0.1 s sooner in each of 8 alternated pairs, for ~90 ms more CPU (BENCHMARKS.md).
 * A file smaller than `every` (the night's accounts) is never flushed early.
 *
 * A flush that fails is told to `onFailure` and fails the file's close with its error (one that
 * says the file system does not flush this way, EINVAL or ENOTSUP, only ends the flushes): the
 * kernel reports a write-back error once per open file, so the publish's own fsync, on a
 * descriptor opened later, might not see it, and the bytes it failed to write are not to be
 * trusted by a --resume (flushFailure). The descriptor is closed only once no flush is running on it.
 */
export function syncingFs(every: number, base: StreamFs = fs, onFailure?: (error: NodeJS.ErrnoException) => void): StreamFs {
  let unsynced = 0;
  let running = false;
  let failure: NodeJS.ErrnoException | null = null;
  let unsupported = false;
  let whenIdle: (() => void) | undefined;
  const wrote = (fd: number, bytes: number) => {
    unsynced += bytes;
    if (unsynced < every || running || failure || unsupported) return;
    unsynced = 0;
    running = true;
    base.fdatasync(fd, (error) => {
      running = false;
      // A file system that cannot flush this way: no more flushes, and no failure (the
      // publish's fsync is the one that decides there).
      if (error && UNSUPPORTED.has(error.code ?? '')) unsupported = true;
      else if (error && !failure) {
        failure = error;
        onFailure?.(error);
      }
      const idle = whenIdle;
      whenIdle = undefined;
      idle?.();
    });
  };
  return {
    open: base.open,
    fdatasync: base.fdatasync,
    write: ((fd: number, buffer: NodeJS.ArrayBufferView, offset: number, length: number, position: number | null, callback: (error: NodeJS.ErrnoException | null, written: number, buffer: NodeJS.ArrayBufferView) => void) =>
      base.write(fd, buffer, offset, length, position, (error, written, data) => {
        if (!error) wrote(fd, written);
        callback(error, written, data);
      })) as typeof fs.write,
    writev: ((fd: number, buffers: NodeJS.ArrayBufferView[], position: number | null, callback: (error: NodeJS.ErrnoException | null, written: number, buffers: NodeJS.ArrayBufferView[]) => void) =>
      base.writev(fd, buffers, position, (error, written, data) => {
        if (!error) wrote(fd, written);
        callback(error, written, data);
      })) as typeof fs.writev,
    close: ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      const close = () => base.close(fd, (error) => callback(error ?? failure));
      if (running) whenIdle = close;
      else close();
    }) as typeof fs.close,
  };
}

/** The error a stream's background flush failed with (syncingFs), if it did. */
export function flushFailure(stream: Writable | undefined): NodeJS.ErrnoException | undefined {
  const errored = (stream as (Writable & { errored?: unknown }) | undefined)?.errored as NodeJS.ErrnoException | null | undefined;
  return errored?.syscall === 'fdatasync' ? errored : undefined;
}
