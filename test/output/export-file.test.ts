/**
 * The file transaction in process (runExport -> ExportFile), against the simulator on
 * 127.0.0.1: a full disk at every write followed by a crash's litter and --resume, option
 * mismatch, already complete, no litter when nothing is worth resuming, a crash between publish
 * and clean-up, a part file shorter than its checkpoint, --update from the manifest.
 */
import { createHash } from 'node:crypto';
import { appendFile, link, readFile, readdir, rename, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { ApiUnavailableError, BudgetSpentError, HiddenListError, OutputError, PipeClosedError, UsageError } from '../../src/errors.js';
import { readCheckpoint } from '../../src/output/checkpoint.js';
import { outputPaths } from '../../src/output/output-file.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { getFormat, type FormatDefinition } from '../../src/writers/index.js';
import { FaultyDisk, enospc } from '../helpers/faulty-disk.js';
import * as fs from 'node:fs';
import { diskOf, realDisk } from '../../src/output/disk.js';
import { expectedJsonl } from '../helpers/followers.js';
import { exportInProcess } from '../helpers/in-process-export.js';
import { useTempDir } from '../helpers/temp-dir.js';

const UID = '6100000000000000001';
const HIDDEN = '6100000000000000002';
const list = { size: 70, boundaryDuplicates: true, randomDuplicates: 0.2, bigRoomIds: 0.1 };
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ token: 'sim-token', users: { [UID]: list, [HIDDEN]: { size: 10, status: 'private' } } });
});
afterAll(() => sim.close());

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const dir = useTempDir('tkf-export-file-');
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as Error);

async function reference(format: 'csv' | 'jsonl'): Promise<string> {
  const out = join(dir.path, `reference.${format}`);
  await exportInProcess(sim, UID, out);
  return sha256(await readFile(out));
}

describe('a full disk at every write, then the litter of a crash', () => {
  for (const format of ['csv', 'jsonl'] as const) {
    it(`is exit 7 naming the file and ENOSPC, lock released, checkpoint intact; --resume finishes byte-identical (${format})`, async () => {
      const want = await reference(format);
      const counting = new FaultyDisk();
      await exportInProcess(sim, UID, join(dir.path, `count.${format}`), { deps: { disk: counting } });
      // Enough writes to fail at many points (how many varies: streams gather writes under load).
      expect(counting.writes).toBeGreaterThan(5);
      for (let n = 1; n <= counting.writes; n++) {
        const out = join(dir.path, `n${n}.${format}`);
        const paths = outputPaths(out);
        const disk = new FaultyDisk(n);
        const error = await failure(exportInProcess(sim, UID, out, { deps: { disk } }));
        // Streams may gather writes into fewer calls from one run to the next: a run that made
        // fewer than n completes, as it should.
        if (!error && disk.writes < n) continue;
        expect(error, `write ${n}`).toBeInstanceOf(OutputError);
        expect(error!.message).toContain(out);
        expect(error!.message).toMatch(/no space left on the device \(ENOSPC\)/);
        const names = await readdir(dir.path);
        expect(names).not.toContain(`n${n}.${format}.lock`);
        const checkpoint = await readCheckpoint(paths.checkpoint);
        // Nothing worth resuming leaves nothing behind.
        if (!checkpoint || checkpoint.rows === 0) expect(names.filter((name) => name.startsWith(`n${n}.`))).toEqual([]);
        // <out> is there only when the disk filled after publishing it (writing the manifest):
        // then the checkpoint says the walk had ended, and --resume just writes the manifest.
        if (names.includes(`n${n}.${format}`)) expect(checkpoint?.cursor).toBeNull();
        else if (checkpoint) {
          expect((await stat(paths.part)).size).toBeGreaterThanOrEqual(checkpoint.bytes);
          expect((await stat(paths.uids)).size).toBeGreaterThanOrEqual(checkpoint.uidsBytes);
          // What a crash halfway through the next page leaves: rows and uids past the checkpoint,
          // and the lock of a process that is gone.
          await appendFile(paths.part, '{"uid":"half a row');
          await appendFile(paths.uids, '12345');
          await writeFile(paths.lock, JSON.stringify({ pid: 2 ** 30, host: hostname(), started: new Date().toISOString() }));
        }
        const resumed = await exportInProcess(sim, UID, out, { resume: true });
        expect(resumed.rows).toBe(70);
        expect(sha256(await readFile(out)), `write ${n}`).toBe(want);
        expect((await readdir(dir.path)).filter((name) => name.startsWith(`n${n}.`)).sort()).toEqual([`n${n}.${format}`, `n${n}.${format}.tkf.json`]);
      }
    }, 120_000);
  }
});

describe('the first checkpoint is written while the first request goes out', () => {
  it('and when that write fails, the export stops at its first page: exit 7, two or three requests, nothing left behind', async () => {
    const out = join(dir.path, 'first.jsonl');
    let checkpoints = 0;
    const disk = {
      openStream: (path: string, start: number | undefined, mode?: number) => realDisk.openStream(path, start, mode),
      async writeSynced(path: string, text: string, mode: number) {
        if (++checkpoints === 1) throw enospc();
        await realDisk.writeSynced(path, text, mode);
      },
    };
    const before = sim.stats.byUid[UID] ?? 0;
    const error = await failure(exportInProcess(sim, UID, out, { deps: { disk } }));
    expect(error).toBeInstanceOf(OutputError);
    expect(error!.message).toMatch(/no space left on the device \(ENOSPC\)/);
    // The first page, and the second, sent as the first arrived (leading) before the first page
    // was written and the failure found; and the third when the second arrived while the first
    // still waited for its checkpoint (the walk leads one page past the one being written). No more.
    const requests = (sim.stats.byUid[UID] ?? 0) - before;
    expect(requests).toBeGreaterThanOrEqual(2);
    expect(requests).toBeLessThanOrEqual(3);
    expect((await readdir(dir.path)).filter((name) => name.startsWith('first.'))).toEqual([]);
  });
});

describe("a full disk at the first page of a walk that took a short --force walk's mark's place", () => {
  it('keeps the walk\'s own checkpoint and part files when the mark cannot be put back: --resume walks again and replaces the file', async () => {
    const out = join(dir.path, 'marked.csv');
    const paths = outputPaths(out);
    await exportInProcess(sim, UID, out);
    const manifest = (await readCheckpoint(paths.manifest))!;
    // The mark a short --force walk leaves (export-file.ts rewalkMark).
    const mark = { ...manifest, cursor: 0, end: null, rows: 0, bytes: 0, uidsBytes: 0, requests: 0, duplicates: 0, replace: true, rewalk: { rows: 5, expected: 70 }, updated: new Date().toISOString() };
    await writeFile(paths.checkpoint, `${JSON.stringify(mark)}\n`, { mode: 0o600 });
    // The walk's first checkpoint lands (in the mark's place); then the disk is full.
    let full = false;
    const disk = {
      async openStream(path: string, start: number | undefined, mode?: number) {
        const stream = (await realDisk.openStream(path, start, mode)) as Writable & { _write: Writable['_write']; _writev?: Writable['_writev'] };
        const write = stream._write.bind(stream);
        const writev = stream._writev?.bind(stream);
        stream._write = (chunk, encoding, callback) => (full ? callback(enospc()) : write(chunk, encoding, callback));
        if (writev) stream._writev = (chunks, callback) => (full ? callback(enospc()) : writev(chunks, callback));
        return stream;
      },
      async writeSynced(path: string, text: string, mode: number) {
        if (full) throw enospc();
        await realDisk.writeSynced(path, text, mode);
        full = true;
      },
    };
    const error = await failure(exportInProcess(sim, UID, out, { resume: true, deps: { disk } }));
    expect(error).toBeInstanceOf(OutputError);
    expect(error!.message).toMatch(/no space left on the device \(ENOSPC\)/);
    const resumed = await exportInProcess(sim, UID, out, { resume: true });
    expect([resumed.rows, resumed.file]).toEqual([70, out]);
    expect((await readdir(dir.path)).filter((name) => name.startsWith('marked.')).sort()).toEqual(['marked.csv', 'marked.csv.tkf.json']);
  });
});

describe('the part file flushed to the disk as it is written (disk.ts syncingFs)', () => {
  /** A disk whose part files are flushed each 16 KiB, every flush failing with EIO (as node:fs says it). */
  function failingFlushes(): { disk: ReturnType<typeof diskOf>; flushes: () => number } {
    let flushes = 0;
    const base = {
      ...fs,
      fdatasync: ((_fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
        flushes++;
        setImmediate(() => callback(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' })));
      }) as typeof fs.fdatasync,
    };
    return { disk: diskOf({ base, syncEvery: 16 * 1024 }), flushes: () => flushes };
  }

  it('a flush that fails stops the export as exit 7 naming the error, publishes nothing, and keeps nothing to resume from', async () => {
    const out = join(dir.path, 'flushed.jsonl');
    const { disk, flushes } = failingFlushes();
    const error = await failure(exportInProcess(sim, UID, out, { deps: { disk } }));
    expect(flushes()).toBe(1);
    expect(error).toBeInstanceOf(OutputError);
    expect(error!.message).toBe(`cannot write ${out}.part: an input/output error (EIO)`);
    // The bytes the disk failed to keep cannot be trusted: no part file, no checkpoint, no lock.
    expect((await readdir(dir.path)).filter((name) => name.startsWith('flushed.'))).toEqual([]);
    const again = await exportInProcess(sim, UID, out);
    expect(again.rows).toBe(70);
    expect(sha256(await readFile(out))).toBe(await reference('jsonl'));
  });

  it('a flush that fails while the run stops for another reason (its budget) is the failure said, and nothing is kept', async () => {
    const out = join(dir.path, 'budget.jsonl');
    const { disk, flushes } = failingFlushes();
    const error = await failure(exportInProcess(sim, UID, out, { maxRequests: 3, deps: { disk } }));
    expect(flushes()).toBe(1);
    expect(error).toBeInstanceOf(OutputError);
    expect(error!.message).toBe(`cannot write ${out}.part: an input/output error (EIO)`);
    expect((await readdir(dir.path)).filter((name) => name.startsWith('budget.'))).toEqual([]);
  });

  it('without failures, the same export through the flushing disk is byte for byte the reference', async () => {
    const out = join(dir.path, 'flushing.jsonl');
    let flushes = 0;
    const base = { ...fs, fdatasync: ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => (flushes++, fs.fdatasync(fd, callback))) as typeof fs.fdatasync };
    await exportInProcess(sim, UID, out, { deps: { disk: diskOf({ base, syncEvery: 16 * 1024 }) } });
    expect(flushes).toBeGreaterThanOrEqual(1);
    expect(sha256(await readFile(out))).toBe(await reference('jsonl'));
  });
});

describe('resume', () => {
  it('after a stop at every page boundary, finishes with every follower once', async () => {
    for (let pages = 1; pages <= 3; pages++) {
      const out = join(dir.path, `p${pages}.jsonl`);
      expect(await failure(exportInProcess(sim, UID, out, { maxRequests: pages }))).toBeInstanceOf(BudgetSpentError);
      expect((await readCheckpoint(outputPaths(out).checkpoint))?.rows).toBeGreaterThan(0);
      const resumed = await exportInProcess(sim, UID, out, { resume: true });
      expect(resumed.resumedRows).toBeGreaterThan(0);
      expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 70));
    }
  });

  it('refuses other options (exit 2) and leaves the interrupted export as it was', async () => {
    const out = join(dir.path, 'f.csv');
    await failure(exportInProcess(sim, UID, out, { maxRequests: 2 }));
    const before = await readFile(outputPaths(out).part);
    const error = await failure(exportInProcess(sim, UID, out, { resume: true, encoder: { bom: true } }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error!.message).toMatch(/: it was started without --bom$/);
    expect((await readFile(outputPaths(out).part)).equals(before)).toBe(true); // Buffer.equals: toEqual walks a Buffer byte by byte (seconds for 500 KB)
  });

  it('refuses (exit 7) a part file whose checkpoint is gone, with or without --resume, instead of writing over its rows; --force replaces it', async () => {
    const out = join(dir.path, 'orphan.csv');
    await failure(exportInProcess(sim, UID, out, { maxRequests: 2 }));
    const paths = outputPaths(out);
    await rm(paths.checkpoint);
    const before = await readFile(paths.part);
    for (const options of [{ resume: true }, {}]) {
      const error = await failure(exportInProcess(sim, UID, out, options));
      expect(error).toBeInstanceOf(OutputError);
      expect(error!.message).toBe(`${paths.part} holds an interrupted export's rows, but its checkpoint ${paths.checkpoint} is gone: it cannot be resumed; use --force to export again (it is replaced)`);
      expect((await readFile(paths.part)).equals(before)).toBe(true);
    }
    expect((await exportInProcess(sim, UID, out, { force: true })).rows).toBe(70);
    // A header and nothing more (a run killed at its start), whatever its columns: replaced.
    const header = join(dir.path, 'header.csv');
    await writeFile(outputPaths(header).part, '\uFEFFuid,nickname,unique_id,region,language,follower_count\r\n');
    expect((await exportInProcess(sim, UID, header, { encoder: { fields: ['uid'] } })).rows).toBe(70);
  });

  it('of a complete export is an answer, not an error: nothing requested', async () => {
    const out = join(dir.path, 'f.jsonl');
    const first = await exportInProcess(sim, UID, out);
    const before = sim.stats.requests;
    const again = await exportInProcess(sim, UID, out, { resume: true });
    expect(sim.stats.requests).toBe(before);
    // `requests` of a result counts the whole export's (the manifest's), not this run's.
    expect(again).toMatchObject({ alreadyComplete: true, rows: 70, requests: first.requests });
  });

  it('refuses (exit 7) a part file shorter than its checkpoint instead of padding it', async () => {
    const out = join(dir.path, 'f.jsonl');
    await failure(exportInProcess(sim, UID, out, { maxRequests: 2 }));
    const paths = outputPaths(out);
    await truncate(paths.part, (await readCheckpoint(paths.checkpoint))!.bytes - 10);
    const error = await failure(exportInProcess(sim, UID, out, { resume: true }));
    expect(error).toBeInstanceOf(OutputError);
    expect(error!.message).toMatch(/holds \d+ bytes but its checkpoint counts \d+/);
    expect(await readdir(dir.path)).not.toContain('f.jsonl.lock');
  });

  for (const how of ['linked', 'renamed'] as const) {
    it(`after a crash between publishing and cleaning up (${how}), finishes instead of "appeared while exporting"`, async () => {
      const out = join(dir.path, 'f.jsonl');
      const paths = outputPaths(out);
      await exportInProcess(sim, UID, out);
      // The state such a crash leaves: the final checkpoint (cursor null), <out> published, and
      // with a hard link also <out>.part; no manifest yet.
      await rename(paths.manifest, paths.checkpoint);
      await writeFile(paths.uids, '');
      if (how === 'linked') await link(out, paths.part);
      const resumed = await exportInProcess(sim, UID, out, { resume: true });
      expect(resumed).toMatchObject({ rows: 70, alreadyComplete: true });
      expect((await readdir(dir.path)).sort()).toEqual(['f.jsonl', 'f.jsonl.tkf.json']);
      expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 70));
    });
  }
});

describe('an interrupted export and a lower --limit', () => {
  it('a walk that reached its end before the crash (cursor null) is published as it ended, whatever --limit the resume has', async () => {
    const out = join(dir.path, 'ended.jsonl');
    const paths = outputPaths(out);
    await exportInProcess(sim, UID, out);
    // The state a crash after the last page and before the publish leaves: the rows in <out>.part,
    // the final checkpoint (cursor null), the uids beside them.
    const text = await readFile(out, 'utf8');
    await rename(out, paths.part);
    await rename(paths.manifest, paths.checkpoint);
    await writeFile(paths.uids, text.trim().split('\n').map((line) => `${(JSON.parse(line) as { uid: string }).uid}\n`).join(''));
    const saved = (await readCheckpoint(paths.checkpoint))!;
    expect(saved).toMatchObject({ cursor: null, rows: 70 });
    const resumed = await exportInProcess(sim, UID, out, { resume: true, limit: 30 });
    expect(resumed).toMatchObject({ rows: 70, end: saved.end });
    expect(await readFile(out, 'utf8')).toBe(text);
  });

  it('one with pages left and more rows than the --limit: --resume is refused, the part file and its checkpoint as they were', async () => {
    const out = join(dir.path, 'past.jsonl');
    const paths = outputPaths(out);
    await failure(exportInProcess(sim, UID, out, { maxRequests: 2 }));
    const [part, checkpoint] = await Promise.all([readFile(paths.part), readFile(paths.checkpoint)]);
    const error = await failure(exportInProcess(sim, UID, out, { resume: true, limit: 30 }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error!.message).toMatch(/holds 40 rows, more than --limit 30/);
    expect(await readFile(paths.part)).toEqual(part);
    expect(await readFile(paths.checkpoint)).toEqual(checkpoint);
    expect(await readdir(dir.path)).not.toContain('past.jsonl.lock');
    expect(await exportInProcess(sim, UID, out, { resume: true, limit: 40 })).toMatchObject({ rows: 40, end: 'limit' });
  });
});

describe('the walk\'s end is told before the commit', () => {
  it('once, after every page is written and before the file is published, with no request after it', async () => {
    const out = join(dir.path, 'told.jsonl');
    const told: Array<{ published: boolean; pages: number; requests: number }> = [];
    let pages = 0;
    let requests = 0;
    const result = await exportInProcess(sim, UID, out, {
      deps: {
        onPage: (progress) => {
          pages++;
          requests = progress.requests;
        },
        onWalkEnd: () => told.push({ published: existsSync(out), pages, requests }),
      },
    });
    expect(told).toHaveLength(1);
    expect(told[0]!.published).toBe(false);
    expect(told[0]!.pages).toBe(pages);
    expect(told[0]!.requests).toBe(result.requests);
    expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 70));
  });

  it('not told when the walk fails', async () => {
    let told = 0;
    const error = await failure(exportInProcess(sim, HIDDEN, join(dir.path, 'hidden.csv'), { deps: { onWalkEnd: () => told++ } }));
    expect(error).toBeInstanceOf(HiddenListError);
    expect(told).toBe(0);
  });
});

describe('abort', () => {
  it('leaves no litter when nothing is worth resuming', async () => {
    const error = await failure(exportInProcess(sim, HIDDEN, join(dir.path, 'f.csv')));
    expect(error).toBeInstanceOf(HiddenListError);
    expect(await readdir(dir.path)).toEqual([]);
  });
});

describe('--update', () => {
  it('takes the columns, BOM and guard from the manifest when the run does not name them', async () => {
    const out = join(dir.path, 'f.csv');
    const earlier = await startSimulator({ token: 'sim-token', users: { [UID]: { ...list, notYetFollowed: 5 } } });
    try {
      await exportInProcess(earlier, UID, out, { encoder: { bom: true, fields: ['uid', 'nickname'] } });
    } finally {
      await earlier.close();
    }
    const updated = await exportInProcess(sim, UID, out, { update: true, given: {} });
    expect(updated).toMatchObject({ added: 5, rows: 70 });
    const full = join(dir.path, 'full.csv');
    await exportInProcess(sim, UID, full, { encoder: { bom: true, fields: ['uid', 'nickname'] } });
    expect(await readFile(out, 'utf8')).toBe(await readFile(full, 'utf8'));
    const named = await failure(exportInProcess(sim, UID, out, { update: true, given: { bom: true } }));
    expect(named).toBeInstanceOf(UsageError);
    expect(named!.message).toMatch(/cannot update .*: it is an export with --bom$/);
  });
});

describe('--update never damages what is there', () => {
  // Changed on purpose (issue 21): --update used to refuse (exit 7, "use --resume"), which left a
  // cron line with --update --max-requests stuck for good; it now finishes the interrupted export.
  it('finishes an interrupted export that owns <out>.part (as --resume would), and refuses other named options', async () => {
    const out = join(dir.path, 'f.jsonl');
    await exportInProcess(sim, UID, out);
    expect(await failure(exportInProcess(sim, UID, out, { force: true, maxRequests: 2 }))).toBeInstanceOf(BudgetSpentError);
    const part = await readFile(outputPaths(out).part);
    const other = await failure(exportInProcess(sim, UID, out, { update: true, format: 'csv', given: {} }));
    expect(other).toBeInstanceOf(UsageError);
    expect((await readFile(outputPaths(out).part)).equals(part)).toBe(true);
    const finished = await exportInProcess(sim, UID, out, { update: true });
    expect(finished.rows).toBe(70);
    expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 70));
    expect(await readdir(dir.path)).toEqual(['f.jsonl', 'f.jsonl.tkf.json']);
  });

  it('that reaches the depth cap before the file\'s newest follower is exit 6 and leaves the file as it was', async () => {
    const CAPPED = '6100000000000000003';
    const grown = { size: 400 };
    const earlier = await startSimulator({ token: 'sim-token', users: { [CAPPED]: { ...grown, notYetFollowed: 300 } } });
    const out = join(dir.path, 'capped.jsonl');
    try {
      await exportInProcess(earlier, CAPPED, out);
    } finally {
      await earlier.close();
    }
    const before = await readFile(out);
    const capped = await startSimulator({ token: 'sim-token', users: { [CAPPED]: { ...grown, cap: 200 } } });
    try {
      const error = await failure(exportInProcess(capped, CAPPED, out, { update: true }));
      expect(error).toBeInstanceOf(ApiUnavailableError);
      expect(error!.message).toMatch(/was not updated: the API stopped serving \(its depth cap\) after 200 new followers/);
    } finally {
      await capped.close();
    }
    expect((await readFile(out)).equals(before)).toBe(true);
    expect((await readdir(dir.path)).filter((name) => name.startsWith('capped.')).sort()).toEqual(['capped.jsonl', 'capped.jsonl.tkf.json']);
  });
});

describe('stdout: the same surface without a file', () => {
  it('writes every follower once, and a reader that leaves is not a failure', async () => {
    const chunks: Buffer[] = [];
    const collect = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    const result = await exportInProcess(sim, UID, { kind: 'stream', stream: collect }, { format: 'jsonl' });
    expect(result).toMatchObject({ rows: 70, file: null, resumedRows: 0 });
    expect(Buffer.concat(chunks).toString('utf8')).toBe(expectedJsonl(UID, list, 0, 70));
    const gone = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' }));
      },
    });
    gone.on('error', () => {});
    expect(await failure(exportInProcess(sim, UID, { kind: 'stream', stream: gone }, { format: 'jsonl' }))).toBeInstanceOf(PipeClosedError);
  });
});

describe('a format with a render step (rows in the part file, the output rendered at commit)', () => {
  /** Renders the part file's rows under a title line: an output that is not the part file. */
  const titled: FormatDefinition = {
    ...getFormat('jsonl'),
    render: async (partPath, outPath) => writeFile(outPath, `TITLE\n${await readFile(partPath, 'utf8')}`),
  };

  it('publishes the rendered file atomically and removes the part file', async () => {
    const out = join(dir.path, 'f.jsonl');
    await exportInProcess(sim, UID, out, { formatDefinition: titled });
    expect(await readFile(out, 'utf8')).toBe(`TITLE\n${expectedJsonl(UID, list, 0, 70)}`);
    expect((await readdir(dir.path)).sort()).toEqual(['f.jsonl', 'f.jsonl.tkf.json']);
  });

  it('after a crash between publishing and cleaning up, --resume finishes; a file there before is still refused', async () => {
    const out = join(dir.path, 'f.jsonl');
    const paths = outputPaths(out);
    await exportInProcess(sim, UID, out, { formatDefinition: titled });
    // The state such a crash leaves: the final checkpoint, the part file, the rendered <out>.
    await rename(paths.manifest, paths.checkpoint);
    await writeFile(paths.part, expectedJsonl(UID, list, 0, 70));
    await writeFile(paths.uids, '');
    const resumed = await exportInProcess(sim, UID, out, { formatDefinition: titled, resume: true });
    expect(resumed).toMatchObject({ rows: 70, alreadyComplete: true });
    expect((await readdir(dir.path)).sort()).toEqual(['f.jsonl', 'f.jsonl.tkf.json']);
    // The same, but <out> is older than the final checkpoint: not this export's.
    await rename(paths.manifest, paths.checkpoint);
    await writeFile(paths.part, expectedJsonl(UID, list, 0, 70));
    await writeFile(paths.uids, '\n'.repeat((await readCheckpoint(paths.checkpoint))!.uidsBytes));
    await utimes(out, new Date('2001-01-01'), new Date('2001-01-01'));
    const error = await failure(exportInProcess(sim, UID, out, { formatDefinition: titled, resume: true }));
    expect(error!.message).toMatch(/appeared while exporting/);
    expect(await readFile(out, 'utf8')).toBe(`TITLE\n${expectedJsonl(UID, list, 0, 70)}`);
  });
});
