/**
 * A disk that fills up: every write from the n-th on (stream writes and whole-file writes
 * counted together) fails with ENOSPC, as a full disk does. With no limit it only counts, so a
 * test can learn how many writes an export makes and then fail each one in turn.
 */
import type { Writable } from 'node:stream';
import { realDisk, type Disk } from '../../src/output/disk.js';

type WriteFn = (chunk: unknown, encoding: BufferEncoding, callback: (error?: Error | null) => void) => void;
type WritevFn = (chunks: Array<{ chunk: unknown }>, callback: (error?: Error | null) => void) => void;

export function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { errno: -28, code: 'ENOSPC', syscall: 'write' });
}

export class FaultyDisk implements Disk {
  writes = 0;
  constructor(private readonly failFrom = Infinity) {}

  private fails(): boolean {
    this.writes++;
    return this.writes >= this.failFrom;
  }

  async openStream(path: string, start: number | undefined, mode?: number, options?: { syncEvery?: number }): Promise<Writable> {
    const stream = (await realDisk.openStream(path, start, mode, options)) as Writable & { _write: WriteFn; _writev?: WritevFn };
    const write = stream._write.bind(stream);
    const writev = stream._writev?.bind(stream);
    stream._write = (chunk, encoding, callback) => (this.fails() ? callback(enospc()) : write(chunk, encoding, callback));
    if (writev) stream._writev = (chunks, callback) => (this.fails() ? callback(enospc()) : writev(chunks, callback));
    return stream;
  }

  async writeSynced(path: string, text: string, mode: number): Promise<void> {
    if (this.fails()) throw enospc();
    await realDisk.writeSynced(path, text, mode);
  }
}
