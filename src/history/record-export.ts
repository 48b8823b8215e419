/**
 * From a finished export file to a snapshot: the one path by which followers reach the history
 * database, for `tkf export --db` (the file it just published) and `tkf history import` (files
 * made before). Reading the finished file at commit is the design that keeps interrupted walks
 * out: a walk's rows sit in the export's own transaction (`<out>.part`, its checkpoint) until the
 * walk is complete and the file published; only then are they read here and recorded, in one
 * database transaction (one pass over the file). A walk stopped by a budget, Ctrl-C, kill -9 or a spent quota never
 * reaches the database; `--resume` completes the file, and then it does.
 *
 * The manifest (`<out>.tkf.json`) gives whose followers they are, when (`updated`), how the walk
 * ended, the profile's count and the requests; without one, the uid must be given and the date
 * is the file's modification time, and the end is unknown, so nobody can be proven gone by it.
 */
import { stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { readCheckpoint } from '../output/checkpoint.js';
import { jsonlLinesWritten, openExport } from '../output/export-reader.js';
import { outputPaths } from '../output/output-file.js';
import { recordSnapshot, type FollowerRow, type SnapshotOutcome } from './record-snapshot.js';
import type { SqlDriver } from './sql-driver.js';

export interface RecordFileOptions {
  /** Whose followers, when the file has no manifest. */
  account?: string;
  /** --update: the first `added` rows are the new followers (the snapshot cannot see losses). */
  added?: number;
  /**
   * The file is one tkf just published (`tkf export --db`): its JSONL lines are taken as written,
   * each uid read from the text, not parsed whole (export-reader's jsonlLinesWritten). Files
   * given to `tkf history import` may be hand-made and are read in full.
   */
  written?: boolean;
}

export interface RecordedFile extends SnapshotOutcome {
  account: string;
  takenAt: string;
  file: string;
}

export async function recordExportFile(driver: SqlDriver, path: string, options: RecordFileOptions = {}): Promise<RecordedFile> {
  const manifest = await readCheckpoint(outputPaths(path).manifest).catch(() => undefined);
  const source = await openExport(path, manifest?.options.format);
  const account = manifest?.options.uid ?? options.account;
  if (account === undefined) throw new UsageError(`${path} has no tkf manifest (${outputPaths(path).manifest}): say whose followers it holds with --uid`);
  if (manifest && options.account !== undefined && options.account !== manifest.options.uid) {
    throw new UsageError(`${path} holds the followers of ${manifest.options.uid} (its manifest says), not ${options.account}`);
  }
  const takenAt = manifest?.updated ?? (await stat(path)).mtime.toISOString();
  const outcome = await recordSnapshot(
    driver,
    {
      account,
      takenAt,
      end: manifest?.end ?? null,
      onProfile: manifest?.total ?? null,
      requests: manifest?.requests ?? null,
      source: path,
      ...(options.added !== undefined ? { update: { added: options.added } } : {}),
    },
    () => (options.written && source.format === 'jsonl' ? writtenRows(path) : followerRows(source)),
  );
  return { ...outcome, account, takenAt, file: path };
}

/** Each record of an export as the database keeps it: uid, handle, nickname, the row as JSON. */
async function* followerRows(source: Awaited<ReturnType<typeof openExport>>): AsyncGenerator<FollowerRow> {
  for await (const record of source.records()) {
    if (record.kind === 'jsonl') {
      // The row is kept as the file's text (digits intact); only two text fields are taken out,
      // by their keys, without parsing ~5 KB of JSON a follower (that alone would cost more than
      // the rest of the recording). The follower objects hold no other key of these names.
      yield { uid: record.uid, uniqueId: stringField(record.json, 'unique_id'), nickname: stringField(record.json, 'nickname'), data: record.json };
    } else {
      const object: Record<string, string> = {};
      source.columns!.forEach((column, index) => (object[column] = record.cells[index] ?? ''));
      yield { uid: record.uid, uniqueId: object.unique_id ?? null, nickname: object.nickname ?? null, data: JSON.stringify(object) };
    }
  }
}

/** followerRows for a JSONL file tkf wrote: the same rows, without parsing each line whole. */
async function* writtenRows(path: string): AsyncGenerator<FollowerRow> {
  for await (const { uid, json } of jsonlLinesWritten(path)) {
    yield { uid, uniqueId: stringField(json, 'unique_id'), nickname: stringField(json, 'nickname'), data: json };
  }
}

const FIELDS: Record<string, RegExp> = {
  unique_id: /"unique_id"\s*:\s*("(?:[^"\\]|\\.)*")/,
  nickname: /"nickname"\s*:\s*("(?:[^"\\]|\\.)*")/,
};

/** A string field of a JSON object's text, decoded; null when absent or not a string. */
export function stringField(json: string, key: 'unique_id' | 'nickname'): string | null {
  const literal = FIELDS[key]!.exec(json)?.[1];
  if (literal === undefined) return null;
  try {
    return JSON.parse(literal) as string;
  } catch {
    return null;
  }
}
