/**
 * One export, start to finish: pager -> writer, with the checkpoint after each page.
 *
 * For a file, the order after each page is what makes a crash at any instant resumable:
 *   1. the page's rows go to <out>.part, its uids to <out>.part.uids;
 *   2. both are handed to the OS (a killed process cannot lose them after that);
 *   3. only then the checkpoint is replaced (atomically) by one that counts them.
 * The checkpoint therefore never claims more than the files hold, and resume cuts the files back
 * to what it claims.
 */
import type { Writable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import type { FollowersClient } from './api/client.js';
import { OutputError, PipeClosedError, UsageError } from './errors.js';
import { describeMismatch, readCheckpoint, writeCheckpoint, type Checkpoint, type CheckpointOptions } from './output/checkpoint.js';
import { acquireLock, type LockOwner } from './output/lock.js';
import {
  checkDirectory,
  cutTo,
  exists,
  openStream,
  outputPaths,
  publish,
  removeAll,
  renderPart,
} from './output/output-file.js';
import { describeFsError } from './output/fs-errors.js';
import { pages, type EndReason, type Page, type StuckNotice } from './pager.js';
import { SeenWindow } from './seen-window.js';
import { ByteSink, RecordWriter, type EncoderOptions, type FormatDefinition } from './writers/index.js';
import { Checkpointer } from './output/checkpointer.js';

export type OutputTarget =
  | { kind: 'stream'; stream: Writable }
  | { kind: 'file'; path: string; force: boolean; resume: boolean; update?: boolean };

export interface ExportPlan {
  uid: string;
  format: FormatDefinition;
  encoder: EncoderOptions;
  output: OutputTarget;
  limit?: number;
  seenCapacity?: number;
  /** Longest first wait before asking a page that did not move the walk on again (doubles). */
  stuckWaitMs?: number;
}

export interface ExportProgress {
  rows: number;
  requests: number;
  duplicates: number;
  total: number | undefined;
  page: Page;
}

export interface ExportResult {
  rows: number;
  requests: number;
  duplicates: number;
  total: number | undefined;
  end: EndReason;
  file: string | null;
  /** Rows that were already in the file when this run resumed (or updated) it. */
  resumedRows: number;
  /** --update: the followers put on top of the file. */
  added?: number;
  /** --resume found the export already complete: nothing was requested or written. */
  alreadyComplete?: boolean;
}

export interface ExportDeps {
  client: FollowersClient;
  signal?: AbortSignal;
  /** Who holds the output's lock, and how to tell whether a lock's owner still runs. */
  owner: LockOwner;
  isRunning: (pid: number) => boolean;
  onResume?: (checkpoint: Checkpoint) => void;
  onPage?: (progress: ExportProgress) => void;
  onStuck?: (notice: StuckNotice) => void;
}

export async function runExport(plan: ExportPlan, deps: ExportDeps): Promise<ExportResult> {
  if (plan.output.kind === 'stream') return exportToStream(plan, plan.output.stream, deps);
  return exportToFile(plan, plan.output, deps);
}

function checkpointOptions(plan: ExportPlan): CheckpointOptions {
  return {
    uid: plan.uid,
    format: plan.format.name,
    fields: plan.encoder.fields ?? null,
    bom: plan.encoder.bom,
    formulaGuard: plan.encoder.formulaGuard,
  };
}

async function exportToStream(plan: ExportPlan, stream: Writable, deps: ExportDeps): Promise<ExportResult> {
  const writer = new RecordWriter(stream, plan.format.createEncoder(plan.encoder), { writeHeader: true });
  let duplicates = 0;
  let total: number | undefined;
  let end: EndReason = 'complete';
  try {
    for await (const page of walk(plan, deps, { seen: new SeenWindow(plan.seenCapacity), limit: plan.limit })) {
      await writer.writeAll(page.followers);
      duplicates += page.duplicates;
      total = page.total ?? total;
      deps.onPage?.({ rows: writer.rows, requests: deps.client.requests, duplicates, total, page });
      if (page.end) end = page.end;
      if (deps.signal?.aborted) throw deps.signal.reason;
    }
    await writer.flush();
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === 'EPIPE') throw new PipeClosedError('the reader closed the pipe');
    throw error;
  }
  return { rows: writer.rows, requests: deps.client.requests, duplicates, total, end, file: null, resumedRows: 0 };
}

/** The pager for a plan: its uid through the client, its signal, its stuck-cursor policy. */
export function walk(
  plan: ExportPlan,
  deps: ExportDeps,
  from: { startCursor?: number; seen: SeenWindow; limit?: number; stopAt?: (uid: string) => boolean },
) {
  return pages({
    fetchPage: (cursor, signal) => deps.client.fetchPage(plan.uid, cursor, signal),
    ...from,
    signal: deps.signal,
    onStuck: deps.onStuck,
    stuckWaitMs: plan.stuckWaitMs,
  });
}

async function exportToFile(
  plan: ExportPlan,
  target: { path: string; force: boolean; resume: boolean; update?: boolean },
  deps: ExportDeps,
): Promise<ExportResult> {
  const paths = outputPaths(target.path);
  const options = checkpointOptions(plan);
  await checkDirectory(paths.out);
  if (target.update && (await exists(paths.out))) {
    const { updateFile } = await import('./run-update.js');
    return updateFile(plan, paths.out, options, deps);
  }
  if (!target.resume && !target.force && (await exists(paths.out))) {
    throw new OutputError(`${paths.out} already exists; use --force to replace it when the new export completes`);
  }
  const lock = await acquireLock(paths.lock, deps.owner, deps.isRunning, paths.out);
  let uids: ByteSink | undefined;
  let writer: RecordWriter | undefined;
  let stream: Awaited<ReturnType<typeof openStream>> | undefined;
  let uidsStream: Awaited<ReturnType<typeof openStream>> | undefined;
  const checkpointer = new Checkpointer(paths.checkpoint);
  let createdPartFiles = false;
  // Between pages (not halfway through writing one), the state may be checkpointed.
  let atPageBoundary = false;
  let saveNow: (() => void) | undefined;
  try {
    const saved = await readCheckpoint(paths.checkpoint);
    if (saved && !target.resume && !target.force) {
      throw new OutputError(
        `an interrupted export of ${paths.out} is there (${saved.rows} rows); use --resume to continue it or --force to start again`,
      );
    }
    const resumeFrom = target.resume ? saved : undefined;
    if (target.resume && !saved && (await exists(paths.out))) {
      // Resuming what already finished is not an error (cron may run twice): say so, exit 0.
      const manifest = await readCheckpoint(paths.manifest);
      if (!manifest || describeMismatch(manifest.options, options)) {
        throw new OutputError(`${paths.out} exists and is not an interrupted export of these options: nothing to resume (use --force to export again)`);
      }
      return {
        rows: manifest.rows,
        requests: 0,
        duplicates: manifest.duplicates,
        total: manifest.total ?? undefined,
        end: (manifest.end as EndReason | null) ?? 'complete',
        file: paths.out,
        resumedRows: manifest.rows,
        alreadyComplete: true,
      };
    }
    if (resumeFrom) {
      const mismatch = describeMismatch(resumeFrom.options, options);
      if (mismatch) throw new UsageError(`cannot resume ${paths.out}: it was started with ${mismatch}`);
      deps.onResume?.(resumeFrom);
    }

    const seen = new SeenWindow(plan.seenCapacity);
    let uidsBytes = 0;
    if (resumeFrom) {
      await cutTo(paths.part, resumeFrom.bytes);
      uidsBytes = resumeFrom.uidsBytes;
      for (const uid of await readUids(paths.uids, uidsBytes)) seen.add(uid);
    }
    createdPartFiles = !resumeFrom;
    if (resumeFrom) await cutTo(paths.uids, uidsBytes);
    uidsStream = await openStream(paths.uids, resumeFrom ? uidsBytes : undefined, 0o600);
    uids = new ByteSink(uidsStream);
    stream = await openStream(paths.part, resumeFrom ? resumeFrom.bytes : undefined);
    writer = new RecordWriter(stream, plan.format.createEncoder(plan.encoder), { writeHeader: !resumeFrom });
    const base = {
      rows: resumeFrom?.rows ?? 0,
      bytes: resumeFrom?.bytes ?? 0,
      requests: resumeFrom?.requests ?? 0,
      duplicates: resumeFrom?.duplicates ?? 0,
    };
    checkpointer.savedRows = base.rows;
    let total = resumeFrom?.total ?? undefined;
    let duplicates = base.duplicates;
    let cursor: number | null = resumeFrom ? resumeFrom.cursor : 0;
    let end: EndReason = (resumeFrom?.end as EndReason | null) ?? 'complete';
    const writerRef = writer;
    const uidsRef = uids;
    const checkpoint = (): Checkpoint => ({
      version: 1,
      tool: 'tkf',
      options,
      cursor,
      end: cursor === null ? end : null,
      rows: base.rows + writerRef.rows,
      bytes: base.bytes + writerRef.bytes,
      uidsBytes: uidsBytes + uidsRef.bytes,
      requests: base.requests + deps.client.requests,
      duplicates,
      total: total ?? null,
      updated: new Date().toISOString(),
    });
    // After each page, when no checkpoint is being written: the page's uids go to the uids file
    // (gathered until then: one write instead of one a page), and the state is handed to the
    // checkpointer, which writes it once the rows and uids it counts are on disk.
    let pendingUids: string[] = [];
    const save = (force = false) => {
      if (!force && !checkpointer.idle) return;
      if (pendingUids.length) {
        void uidsRef.writeBytes(Buffer.from(`${pendingUids.join('\n')}\n`, 'latin1'));
        pendingUids = [];
      }
      checkpointer.mark(checkpoint(), Promise.all([writerRef.flush(), uidsRef.flush()]));
    };
    saveNow = () => save(true);
    if (!resumeFrom) {
      save();
      await checkpointer.drain();
    }
    atPageBoundary = true;

    const remaining = plan.limit === undefined ? undefined : Math.max(0, plan.limit - base.rows);
    if (cursor !== null && remaining !== 0) {
      for await (const page of walk(plan, deps, { startCursor: cursor, seen, limit: remaining })) {
        atPageBoundary = false;
        await writer.writeAll(page.followers);
        for (const follower of page.followers) pendingUids.push(follower.uid);
        duplicates += page.duplicates;
        total = page.total ?? total;
        cursor = page.next;
        if (page.end) end = page.end;
        atPageBoundary = true;
        save();
        deps.onPage?.({
          rows: base.rows + writer.rows,
          requests: base.requests + deps.client.requests,
          duplicates,
          total,
          page,
        });
        if (deps.signal?.aborted) throw deps.signal.reason;
      }
    } else if (remaining === 0) {
      end = 'limit';
    }
    cursor = null;
    save(true);
    await checkpointer.drain();
    await Promise.all([writer.close(), uids.close()]);
    // [issue 13: xlsx] a format that cannot be appended to is rendered from the part file here,
    // and the rendered file is published; the part file goes only once that has succeeded.
    const published = plan.format.render ? await renderPart(paths, plan.format.render) : paths;
    await publish(published, target.force);
    if (published !== paths) await removeAll(paths.part);
    // The last checkpoint stays as the export's manifest (whose, which format, how long).
    await writeCheckpoint(paths.manifest, checkpoint());
    await removeAll(paths.checkpoint, paths.uids);
    return {
      rows: base.rows + writer.rows,
      requests: base.requests + deps.client.requests,
      duplicates,
      total,
      end,
      file: paths.out,
      resumedRows: base.rows,
    };
  } catch (error) {
    // Interrupted, out of budget, or the API gave up: the pages written so far are good, so
    // the newest state is checkpointed before the files close (never halfway through a page).
    try {
      if (atPageBoundary) saveNow?.();
    } catch {
      // the checkpoint on disk stays the last good one
    }
    await checkpointer.drain().catch(() => {});
    stream?.destroy();
    uidsStream?.destroy();
    // Nothing worth resuming (a hidden or missing user, a refused token...): leave no litter.
    if (createdPartFiles && checkpointer.savedRows === 0) await removeAll(paths.part, paths.checkpoint, paths.uids).catch(() => {});
    throw toOutputError(error, paths.part);
  } finally {
    await lock.release().catch(() => {});
  }
}

/** The last uids of the de-duplication log, up to `bytes` (what the checkpoint counts). */
async function readUids(path: string, bytes: number): Promise<string[]> {
  if (bytes === 0) return [];
  let text: string;
  try {
    text = (await readFile(path)).subarray(0, bytes).toString('latin1');
  } catch (error) {
    throw new OutputError(`cannot read ${path} to resume: ${describeFsError(error)}`);
  }
  return text.split('\n').filter(Boolean);
}

/** Errors from the file system while writing rows become exit 7 with the path and the reason. */
function toOutputError(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && (error as NodeJS.ErrnoException).syscall) {
    return new OutputError(`cannot write ${path}: ${describeFsError(error)}`);
  }
  return error;
}
