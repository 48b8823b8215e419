/**
 * What `--update` builds on: a finished export and its manifest, `<out>.tkf.json` (the last
 * checkpoint of the export, kept): whose followers, which format, columns, BOM and formula guard,
 * and the byte length it finished at.
 *
 * The list is newest first, so the pages are walked only until they reach what the file holds;
 * the new followers are written first, then the old file's rows after them, into `<out>.part`,
 * which replaces `<out>` atomically. Followers who left are not noticed (a full export and
 * `tkf diff` do that).
 *
 * When has the walk reached what the file holds? Not at the first follower already in it: a
 * follower who unfollowed and followed again is back on top of the list, above new followers
 * (shared/api/README.md, "Re-follows"). The evidence is follow time. The manifest keeps the
 * newest follow time of the file (`newest`, from the pages' max_time); every follower newer than
 * that is new to the file or a re-follow, and a page whose min_time is below it shows that the
 * walk has gone past all of them. Known followers on the way are skipped, never a stop.
 *
 * Files written before the manifest kept `newest` have no such evidence. For them the walk stops
 * after a whole page of followers the file already holds (never at the first one): a re-follow
 * or two on top cannot stop it, and once the update is written its manifest has `newest`.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { OutputError, UsageError } from '../errors.js';
import type { EncoderOptions, FormatDefinition } from '../writers/index.js';
import type { WriteJob } from '../export/job.js';
import { describeMismatch, readCheckpoint, type Checkpoint, type CheckpointOptions } from './checkpoint.js';
import { readExportedUids } from './exported-uids.js';
import { describeFsError } from './fs-errors.js';
import type { OutputPaths } from './output-file.js';

export interface UpdateBase {
  manifest: Checkpoint;
  format: FormatDefinition;
  /** The manifest's columns, BOM and guard: an update writes rows exactly like the file's. */
  encoder: EncoderOptions;
  /** Bytes of the old file's header (and BOM), which the new rows' header replaces. */
  headerBytes: number;
  known: Set<string>;
  /** When the walk has reached what the file holds (see above). */
  caughtUp: (page: CaughtUpFacts) => boolean;
}

/**
 * The newest follow time a page proves: its max_time (the follow time of its newest follower),
 * but never later than our own clock (a vendor whose max_time is its "now", or runs ahead, would
 * otherwise make the next update stop above followers who came in between), and never below
 * its min_time (a max_time below it is not a follow time; a clock far behind is not evidence).
 * Without a usable max_time, min_time: a lower bound. Too low only costs an update a page more;
 * too high would lose followers. Undefined past the depth cap (-1 / 0).
 */
export function pageNewest(page: { maxTime?: number; minTime?: number }, nowMs: number = Date.now()): number | undefined {
  const min = page.minTime !== undefined && page.minTime > 0 ? page.minTime : undefined;
  const max = page.maxTime !== undefined && page.maxTime > 0 ? Math.min(page.maxTime, Math.floor(nowMs / 1000)) : undefined;
  if (max === undefined || min === undefined) return max ?? min;
  return Math.max(min, max);
}

/** What `caughtUp` is told about a page. */
export interface CaughtUpFacts {
  /** data.min_time: the follow time the walk has reached (-1 / 0 past the cap). */
  minTime: number | undefined;
  /** Followers new to the file on this page, and those the file already held. */
  fresh: number;
  known: number;
}

/** The stop rule of an update: below the file's newest follow time, or (no such time) a page of known followers. */
export function caughtUpRule(newest: number | null | undefined): (page: CaughtUpFacts) => boolean {
  if (typeof newest === 'number' && newest > 0) {
    return (page) => page.minTime !== undefined && page.minTime > 0 && page.minTime < newest;
  }
  return (page) => page.fresh === 0 && page.known > 0;
}

/**
 * The encoder of a run that adds to a file tkf wrote (--update, or --update over an interrupted
 * export): the options the run named itself (the job's `given`; absent, all count as named), the
 * others as the file was written (`saved`, its manifest's or checkpoint's).
 */
export function encoderAfter(job: WriteJob, saved: CheckpointOptions): EncoderOptions {
  const given = job.given ?? { fields: true, bom: true, formulaGuard: true };
  return {
    fields: given.fields ? job.encoder.fields : (saved.fields ?? undefined),
    bom: given.bom ? job.encoder.bom : saved.bom,
    formulaGuard: given.formulaGuard ? job.encoder.formulaGuard : saved.formulaGuard,
  };
}

export async function prepareUpdate(paths: OutputPaths, uid: string, job: WriteJob): Promise<UpdateBase> {
  const path = paths.out;
  const manifest = await readCheckpoint(paths.manifest);
  if (!manifest || manifest.cursor !== null) {
    throw new UsageError(
      `${path} has no tkf manifest (${paths.manifest}), so whose followers it holds is unknown; run a full export with --force`,
    );
  }
  // Options this run did not name come from the file; named ones must agree with it.
  const saved = manifest.options;
  const encoder = encoderAfter(job, saved);
  const now = { uid, format: job.format.name, fields: encoder.fields ?? null, bom: encoder.bom, formulaGuard: encoder.formulaGuard };
  const mismatch = describeMismatch(saved, now);
  if (mismatch) throw new UsageError(`cannot update ${path}: it is an export ${mismatch.startsWith('with') ? '' : 'with '}${mismatch}`);
  const size = (await stat(path)).size;
  if (size !== manifest.bytes) {
    throw new UsageError(`${path} has changed since tkf wrote it (${size} bytes, not ${manifest.bytes}); run a full export with --force`);
  }
  const known = await readExportedUids(path, job.format.name);
  const headerBytes = job.format.createEncoder(encoder).header()?.length ?? 0;
  return { manifest, format: job.format, encoder, headerBytes, known, caughtUp: caughtUpRule(manifest.newest) };
}

/** Appends `source` from `skipBytes` on to `target` (the old rows under the new ones). */
export async function appendFrom(source: string, skipBytes: number, target: string): Promise<void> {
  try {
    await pipeline(createReadStream(source, { start: skipBytes }), createWriteStream(target, { flags: 'a' }));
  } catch (error) {
    throw new OutputError(`cannot copy the old rows of ${source} into ${target}: ${describeFsError(error)}`, { cause: error });
  }
}
