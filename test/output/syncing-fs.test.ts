/**
 * A part file's data is flushed to the disk in the background as it is written (disk.ts
 * syncingFs), so that the fsync before it is published has little left. What must hold: the bytes
 * are the ones written, a flush starts only after `every` more bytes, one runs at a time, the
 * descriptor is not closed under a running flush, and a flush that failed fails the file's close
 * (the kernel may report that error to no later fsync).
 */
import * as fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { realDisk, syncingFs, type StreamFs } from '../../src/output/disk.js';
import { useTempDir } from '../helpers/temp-dir.js';

const dir = useTempDir();

/** node:fs, with fdatasync answered by `sync` (which gets the bytes written so far and the callback). */
function watchedFs(sync: (written: number, done: (error: NodeJS.ErrnoException | null) => void) => void, events: string[]): { base: StreamFs; written: () => number } {
  let written = 0;
  const base: StreamFs = {
    open: fs.open,
    write: ((fd: number, buffer: Buffer, offset: number, length: number, position: number | null, callback: (error: NodeJS.ErrnoException | null, n: number, b: Buffer) => void) =>
      fs.write(fd, buffer, offset, length, position, (error, n, b) => {
        written += n;
        callback(error, n, b);
      })) as typeof fs.write,
    writev: ((fd: number, buffers: Buffer[], position: number | null, callback: (error: NodeJS.ErrnoException | null, n: number, b: Buffer[]) => void) =>
      fs.writev(fd, buffers, position, (error, n, b) => {
        written += n;
        callback(error, n, b);
      })) as typeof fs.writev,
    close: ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      events.push('close');
      fs.close(fd, callback);
    }) as typeof fs.close,
    fdatasync: ((_fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      events.push(`sync at ${written}`);
      sync(written, callback);
    }) as typeof fs.fdatasync,
  };
  return { base, written: () => written };
}

/** Writes `chunks` chunks of `size` bytes (chunk i filled with byte i), then ends the stream. */
async function writeChunks(stream: fs.WriteStream, chunks: number, size: number): Promise<Buffer> {
  const all: Buffer[] = [];
  for (let i = 0; i < chunks; i++) {
    const chunk = Buffer.alloc(size, i);
    all.push(chunk);
    if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  }
  stream.end();
  return Buffer.concat(all);
}

describe('syncingFs', () => {
  it('flushes only after `every` more bytes, one flush at a time, and keeps the bytes', async () => {
    const path = join(dir.path, 'rows.part');
    const events: string[] = [];
    let running = 0;
    let most = 0;
    const { base } = watchedFs((_written, done) => {
      running++;
      most = Math.max(most, running);
      setTimeout(() => {
        running--;
        done(null);
      }, 2);
    }, events);
    const stream = fs.createWriteStream(path, { highWaterMark: 64 * 1024, fs: syncingFs(256 * 1024, base) });
    const expected = await writeChunks(stream, 40, 32 * 1024); // 1.25 MiB
    await finished(stream);
    expect(await readFile(path)).toEqual(expected);
    const syncs = events.filter((event) => event.startsWith('sync')).map((event) => Number(event.slice('sync at '.length)));
    // 1.25 MiB at 256 KiB: at least one flush, at most five, each after 256 KiB more than the last.
    expect(syncs.length).toBeGreaterThanOrEqual(1);
    expect(syncs.length).toBeLessThanOrEqual(5);
    syncs.forEach((at, i) => expect(at - (i === 0 ? 0 : syncs[i - 1]!)).toBeGreaterThanOrEqual(256 * 1024));
    expect(most).toBe(1);
    expect(events.at(-1)).toBe('close');
  });

  it('never flushes a file smaller than `every`', async () => {
    const path = join(dir.path, 'small.part');
    const events: string[] = [];
    const { base } = watchedFs((_written, done) => done(null), events);
    const stream = fs.createWriteStream(path, { fs: syncingFs(1 << 20, base) });
    await writeChunks(stream, 10, 1000);
    await finished(stream);
    expect(events).toEqual(['close']);
  });

  it('closes the descriptor only once the running flush is over', async () => {
    const path = join(dir.path, 'slow.part');
    const events: string[] = [];
    let release!: () => void;
    const { base } = watchedFs((_written, done) => {
      release = () => {
        events.push('sync done');
        done(null);
      };
    }, events);
    const stream = fs.createWriteStream(path, { fs: syncingFs(4096, base) });
    await writeChunks(stream, 2, 4096);
    // The stream has ended; its close waits for the flush still running.
    await new Promise((resolve) => setTimeout(resolve, 50));
    // (the two chunks may go in one writev: the flush is after 4096 or 8192 bytes)
    expect(events).toHaveLength(1);
    expect(events[0]).toMatch(/^sync at (4096|8192)$/);
    release();
    await finished(stream);
    expect(events.slice(1)).toEqual(['sync done', 'close']);
  });

  it('a file system that does not flush this way (EINVAL): the flushes stop, the close does not fail', async () => {
    const path = join(dir.path, 'unsupported.part');
    const events: string[] = [];
    const { base } = watchedFs((_written, done) => done(Object.assign(new Error('EINVAL: invalid argument, fdatasync'), { code: 'EINVAL' })), events);
    const stream = fs.createWriteStream(path, { fs: syncingFs(4096, base) });
    const expected = await writeChunks(stream, 6, 4096);
    await finished(stream);
    expect(events.filter((event) => event.startsWith('sync'))).toHaveLength(1);
    expect(await readFile(path)).toEqual(expected);
  });

  it('a flush that failed fails the close with its error', async () => {
    const path = join(dir.path, 'failing.part');
    const events: string[] = [];
    const { base } = watchedFs((_written, done) => done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })), events);
    const stream = fs.createWriteStream(path, { fs: syncingFs(4096, base) });
    await writeChunks(stream, 4, 4096);
    await expect(finished(stream)).rejects.toMatchObject({ code: 'EIO' });
    // One flush only: after a failure none is started again.
    expect(events.filter((event) => event.startsWith('sync'))).toHaveLength(1);
    expect(events.at(-1)).toBe('close');
  });
});

describe('realDisk.openStream with syncEvery', () => {
  it('writes the same bytes as without it, from a start offset too', async () => {
    const path = join(dir.path, 'real.part');
    const first = (await realDisk.openStream(path, undefined, 0o644, { syncEvery: 8192 })) as fs.WriteStream;
    const head = await writeChunks(first, 8, 3000);
    await finished(first);
    const again = (await realDisk.openStream(path, head.length, 0o644, { syncEvery: 8192 })) as fs.WriteStream;
    const tail = await writeChunks(again, 5, 5000);
    await finished(again);
    expect(await readFile(path)).toEqual(Buffer.concat([head, tail]));
  });
});
