/**
 * `--update`: bring a finished export up to date at the cost of a request or two.
 *
 * The list is newest first, so the pages are walked only until the first follower already in the
 * file; the new followers are written first, then the old file's rows after them, into
 * `<out>.part`, which replaces `<out>` atomically. Followers who left are not noticed (a full
 * export and `tkf diff` do that).
 *
 * Whose export a file is comes from its manifest, `<out>.tkf.json`, which every completed export
 * writes (the last checkpoint, kept): uid, format, columns, and the byte length it finished at.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { OutputError, UsageError } from './errors.js';
import { describeMismatch, readCheckpoint, writeCheckpoint, type CheckpointOptions } from './output/checkpoint.js';
import { readExportedUids } from './output/exported-uids.js';
import { describeFsError } from './output/fs-errors.js';
import { acquireLock } from './output/lock.js';
import { openStream, outputPaths, publish, removeAll } from './output/output-file.js';
import type { EndReason } from './pager.js';
import { walk, type ExportDeps, type ExportPlan, type ExportResult } from './run-export.js';
import { SeenWindow } from './seen-window.js';
import { RecordWriter } from './writers/index.js';

export async function updateFile(
  plan: ExportPlan,
  path: string,
  options: CheckpointOptions,
  deps: ExportDeps,
): Promise<ExportResult> {
  const paths = outputPaths(path);
  const manifest = await readCheckpoint(paths.manifest);
  if (!manifest || manifest.cursor !== null) {
    throw new UsageError(
      `${path} has no tkf manifest (${paths.manifest}), so whose followers it holds is unknown; run a full export with --force`,
    );
  }
  const mismatch = describeMismatch(manifest.options, options);
  if (mismatch) throw new UsageError(`cannot update ${path}: it is an export with ${mismatch}`);
  const size = (await stat(path)).size;
  if (size !== manifest.bytes) {
    throw new UsageError(`${path} has changed since tkf wrote it (${size} bytes, not ${manifest.bytes}); run a full export with --force`);
  }
  const known = await readExportedUids(path, plan.format.name);

  const lock = await acquireLock(paths.lock, deps.owner, deps.isRunning, path);
  const stream = await openStream(paths.part, undefined);
  try {
    const encoder = plan.format.createEncoder(plan.encoder);
    const writer = new RecordWriter(stream, encoder, { writeHeader: true });
    const headerBytes = writer.bytes;
    let total = manifest.total ?? undefined;
    let duplicates = 0;
    let end: EndReason = 'caught-up';
    const incompleteSeconds: number[] = [];
    for await (const page of walk(plan, deps, { seen: new SeenWindow(plan.seenCapacity), stopAt: (uid) => known.has(uid) })) {
      await writer.writeAll(page.followers);
      if (page.tiedSecond !== undefined) incompleteSeconds.push(page.tiedSecond);
      duplicates += page.duplicates;
      total = page.total ?? total;
      if (page.end) end = page.end;
      deps.onPage?.({ rows: writer.rows, requests: deps.client.requests, duplicates, total, page });
      if (deps.signal?.aborted) throw deps.signal.reason;
    }
    const added = writer.rows;
    if (added === 0) {
      stream.destroy();
      await removeAll(paths.part);
    } else {
      // The old rows, after the old header, follow the new ones.
      await writer.flush();
      stream.end();
      await new Promise<void>((resolve, reject) => stream.once('close', () => resolve()).once('error', reject));
      await appendFrom(path, headerBytes, paths.part);
      await publish(paths, true);
    }
    const rows = manifest.rows + added;
    await writeCheckpoint(paths.manifest, {
      ...manifest,
      rows,
      bytes: manifest.bytes + writer.bytes - headerBytes,
      requests: deps.client.requests,
      duplicates,
      total: total ?? null,
      end,
      updated: new Date().toISOString(),
    });
    return { rows, requests: deps.client.requests, duplicates, total, end, file: path, resumedRows: manifest.rows, added, incompleteSeconds };
  } catch (error) {
    stream.destroy();
    await removeAll(paths.part).catch(() => {});
    throw error;
  } finally {
    await lock.release().catch(() => {});
  }
}

async function appendFrom(source: string, skipBytes: number, target: string): Promise<void> {
  try {
    await pipeline(createReadStream(source, { start: skipBytes }), createWriteStream(target, { flags: 'a' }));
  } catch (error) {
    throw new OutputError(`cannot copy the old rows of ${source} into ${target}: ${describeFsError(error)}`);
  }
}
