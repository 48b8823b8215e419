/**
 * What `--update` builds on: a finished export and its manifest, `<out>.tkf.json` (the last
 * checkpoint of the export, kept): whose followers, which format, columns, BOM and formula guard,
 * and the byte length it finished at.
 *
 * The list is newest first, so the pages are walked only until the first follower already in the
 * file; the new followers are written first, then the old file's rows after them, into
 * `<out>.part`, which replaces `<out>` atomically. Followers who left are not noticed (a full
 * export and `tkf diff` do that).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { OutputError, UsageError } from '../errors.js';
import type { EncoderOptions, FormatDefinition } from '../writers/index.js';
import { describeMismatch, readCheckpoint, type Checkpoint } from './checkpoint.js';
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
}

export async function prepareUpdate(
  paths: OutputPaths,
  spec: { uid: string; format: FormatDefinition; encoder: EncoderOptions; given?: Partial<Record<keyof EncoderOptions, boolean>> },
): Promise<UpdateBase> {
  const path = paths.out;
  const manifest = await readCheckpoint(paths.manifest);
  if (!manifest || manifest.cursor !== null) {
    throw new UsageError(
      `${path} has no tkf manifest (${paths.manifest}), so whose followers it holds is unknown; run a full export with --force`,
    );
  }
  // Options this run did not name come from the file; named ones must agree with it.
  const saved = manifest.options;
  const given = spec.given ?? { fields: true, bom: true, formulaGuard: true };
  const encoder: EncoderOptions = {
    fields: given.fields ? spec.encoder.fields : (saved.fields ?? undefined),
    bom: given.bom ? spec.encoder.bom : saved.bom,
    formulaGuard: given.formulaGuard ? spec.encoder.formulaGuard : saved.formulaGuard,
  };
  const now = { uid: spec.uid, format: spec.format.name, fields: encoder.fields ?? null, bom: encoder.bom, formulaGuard: encoder.formulaGuard };
  const mismatch = describeMismatch(saved, now);
  if (mismatch) throw new UsageError(`cannot update ${path}: it is an export ${mismatch.startsWith('with') ? '' : 'with '}${mismatch}`);
  const size = (await stat(path)).size;
  if (size !== manifest.bytes) {
    throw new UsageError(`${path} has changed since tkf wrote it (${size} bytes, not ${manifest.bytes}); run a full export with --force`);
  }
  const known = await readExportedUids(path, spec.format.name);
  const headerBytes = spec.format.createEncoder(encoder).header()?.length ?? 0;
  return { manifest, format: spec.format, encoder, headerBytes, known };
}

/** Appends `source` from `skipBytes` on to `target` (the old rows under the new ones). */
export async function appendFrom(source: string, skipBytes: number, target: string): Promise<void> {
  try {
    await pipeline(createReadStream(source, { start: skipBytes }), createWriteStream(target, { flags: 'a' }));
  } catch (error) {
    throw new OutputError(`cannot copy the old rows of ${source} into ${target}: ${describeFsError(error)}`);
  }
}
