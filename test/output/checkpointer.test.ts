import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/output/checkpoint.js';
import { Checkpointer } from '../../src/output/checkpointer.js';

const state = (rows: number): Checkpoint => ({
  version: 1,
  tool: 'tkf',
  options: { uid: '1', format: 'csv', fields: null, bom: false, formulaGuard: true },
  cursor: 100 - rows,
  end: null,
  rows,
  bytes: rows * 10,
  uidsBytes: rows * 20,
  requests: rows,
  duplicates: 0,
  total: null,
  updated: 'now',
});

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Checkpointer', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tkf-checkpointer-'));
    path = join(dir, 'c.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const onDisk = async () => JSON.parse(await readFile(path, 'utf8')) as Checkpoint;

  it('writes a state only once the bytes it counts are written', async () => {
    const checkpointer = new Checkpointer(path);
    const flushed = deferred();
    checkpointer.mark(state(20), flushed.promise);
    await new Promise((r) => setTimeout(r, 20));
    await expect(readFile(path)).rejects.toThrow(); // nothing claimed before the flush
    flushed.resolve();
    await checkpointer.drain();
    expect((await onDisk()).rows).toBe(20);
    expect(checkpointer.savedRows).toBe(20);
  });

  it('lets the newest state win while one is being written, and never goes backwards', async () => {
    const checkpointer = new Checkpointer(path);
    const first = deferred();
    checkpointer.mark(state(20), first.promise);
    expect(checkpointer.idle).toBe(false);
    checkpointer.mark(state(40), Promise.resolve());
    checkpointer.mark(state(60), Promise.resolve());
    first.resolve();
    await checkpointer.drain();
    expect((await onDisk()).rows).toBe(60);
    expect(checkpointer.idle).toBe(true);
  });

  it('keeps the last good checkpoint when a flush fails, and reports the failure', async () => {
    const checkpointer = new Checkpointer(path);
    checkpointer.mark(state(20), Promise.resolve());
    await checkpointer.drain();
    checkpointer.mark(state(40), Promise.reject(new Error('ENOSPC')));
    await expect(checkpointer.drain()).rejects.toThrow('ENOSPC');
    expect((await onDisk()).rows).toBe(20);
    expect(() => checkpointer.mark(state(60), Promise.resolve())).toThrow('ENOSPC');
  });

  it('once failed, refuses a mark without leaving that mark\'s failing flush unhandled (a crash)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const checkpointer = new Checkpointer(path);
      checkpointer.mark(state(20), Promise.reject(new Error('ENOSPC')));
      await expect(checkpointer.drain()).rejects.toThrow('ENOSPC');
      const flush = new Promise((_, reject) => setTimeout(() => reject(new Error('ENOSPC again')), 1));
      expect(() => checkpointer.mark(state(40), flush)).toThrow('ENOSPC');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  describe('spaced (at most one checkpoint per spacingMs)', () => {
    /** Turns of the event loop until `done`, at most `max`: a count, not a clock. */
    async function turnsUntil(done: () => boolean, max: number): Promise<number> {
      let turns = 0;
      while (!done() && turns < max) {
        await new Promise((resolve) => setImmediate(resolve));
        turns++;
      }
      return turns;
    }

    it('after a checkpoint, holds the next one for the pause (not idle), and drain writes the newest at once', async () => {
      // A pause of an hour: the test would time out if anything waited for it.
      const checkpointer = new Checkpointer(path, undefined, undefined, 3_600_000);
      checkpointer.mark(state(20), Promise.resolve());
      // The first write goes through the thread pool (open, write, fsync, rename): waited for
      // however long it takes, not for a number of turns (10,000 were too few on a loaded machine).
      while (checkpointer.savedRows !== 20) await new Promise((resolve) => setTimeout(resolve, 1));
      expect((await onDisk()).rows).toBe(20);
      // Pausing: not idle, so the export loop hands over no state (export-file.ts save()).
      expect(checkpointer.idle).toBe(false);
      checkpointer.mark(state(40), Promise.resolve());
      const turns = await turnsUntil(() => checkpointer.savedRows === 40, 200);
      expect(turns).toBe(200); // 200 turns later the pause still holds it back
      expect((await onDisk()).rows).toBe(20);
      await checkpointer.drain();
      expect((await onDisk()).rows).toBe(40);
      expect(checkpointer.idle).toBe(true);
    });

    it('drain during the first write skips the pause that would follow it', async () => {
      const checkpointer = new Checkpointer(path, undefined, undefined, 3_600_000);
      const flushed = deferred();
      checkpointer.mark(state(20), flushed.promise);
      const drained = checkpointer.drain();
      flushed.resolve();
      await drained;
      expect((await onDisk()).rows).toBe(20);
      expect(checkpointer.idle).toBe(true);
    });
  });
});
