/**
 * From a finished export file to a snapshot: the one path by which followers reach the history
 * database, for `tkf export --db` (the file it just published) and `tkf history import` (files
 * made before). Reading the finished file at commit is the design that keeps interrupted walks
 * out: a walk's rows sit in the export's own transaction (`<out>.part`, its checkpoint) until the
 * walk is complete and the file published; only then are they read here and recorded, in one
 * database transaction (one pass over the file). (`tkf export --db` into SQLite gives the database
 * the walk's rows as its pages arrive, page-recorder.ts, and reads the file only when it could not.) A walk stopped by a budget, Ctrl-C, kill -9 or a spent quota never
 * reaches the database; `--resume` completes the file, and then it does.
 *
 * The manifest (`<out>.tkf.json`) gives whose followers they are, when (`updated`), how the walk
 * ended, the profile's count and the requests; without one, the uid must be given and the date
 * is the file's modification time, and the end is unknown, so only the order rule (reach.ts) can
 * prove a follower gone by it. (`tkf history import` refuses a manifest that no longer describes
 * its file: import-files.ts.)
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatCount } from '../count-text.js';
import { HistoryDbError, STAGING_LOST, ShortListError, UsageError } from '../errors.js';
import { againstManifest, incompletePlaces, readCheckpoint, updatedRows, type Checkpoint } from '../output/checkpoint.js';
import { openExport, type ExportSource } from '../output/export-reader.js';
import { outputPaths } from '../output/output-file.js';
import { CSV_NUMBER_COLUMNS, followerRow } from './follower-columns.js';
import { recordSnapshot, type FollowerRow, type SnapshotInput, type SnapshotOutcome } from './record-snapshot.js';
import type { SqlDriver } from './sql-driver.js';
import { unguardCell } from '../writers/csv.js';
import { DEFAULT_CSV_FIELDS } from '../writers/fields.js';

export interface RecordFileOptions {
  /** Whose followers, when the file has no manifest. */
  account?: string;
  /** --update: the first `added` rows are the new followers (the snapshot cannot see losses). */
  added?: number;
}

export interface RecordedFile extends SnapshotOutcome {
  account: string;
  takenAt: string;
  file: string;
  /** `takenAt` is the file's modification time: it has no manifest. */
  datedByFile?: boolean;
}

export async function recordExportFile(driver: SqlDriver, path: string, options: RecordFileOptions = {}): Promise<RecordedFile> {
  const { input, open, formulaGuard, manifest } = await describeExport(path, options);
  // A staging file is emptied once its walk is recorded (export-recorder.ts): recorded again
  // (--resume), the database says it holds that snapshot already. One that does not (a database
  // deleted or replaced since) would get a snapshot of 0 followers served: refused instead.
  if ((await againstManifest(path, manifest))?.state === 'emptied') {
    const held = await driver.all('SELECT 1 AS held FROM snapshots WHERE account_uid = ? AND taken_at = ?', [input.account, input.takenAt]);
    if (held.length === 0) {
      throw new HistoryDbError(
        `${path} was emptied when its walk of ${input.account} was recorded, but the history database ${driver.label} does not hold that snapshot (deleted or replaced since?): its rows are gone; tkf export --uid ${input.account} --db walks it again`,
        // What to do is said: no "the export is complete ... --resume records it" after it. The
        // code (carried across the recording thread) lets --resume walk the account again.
        { advised: true, cause: Object.assign(new Error('staging file emptied into a lost snapshot'), { code: STAGING_LOST }) },
      );
    }
  }
  const source = await open();
  const outcome = await recordSnapshot(driver, input, () => followerRows(source, formulaGuard));
  return { ...outcome, account: input.account, takenAt: input.takenAt, file: path, ...(input.datedByFile ? { datedByFile: true } : {}) };
}

/** A finished export file as a snapshot's description (from its manifest), its row count, and how to read its rows. */
export async function describeExport(
  path: string,
  options: RecordFileOptions = {},
): Promise<{ input: SnapshotInput; open: () => Promise<ExportSource>; rows: number | undefined; formulaGuard: boolean; manifest: Checkpoint | undefined }> {
  // A manifest that is there but cannot be read, or is damaged, is said (readCheckpoint's error),
  // not taken for none: the file would be recorded without whose, when and how its walk ended
  // (tkf history import says it first, import-files.ts; tkf export --db's file is its own, just written).
  const manifest = await readCheckpoint(outputPaths(path).manifest);
  const open = () => openExport(path, manifest?.options.format);
  // Without a manifest, a missing or unreadable file is said as such before anything else.
  if (!manifest) await open();
  const account = manifest?.options.uid ?? options.account;
  if (account === undefined) throw new UsageError(`${path} has no tkf manifest (${outputPaths(path).manifest}): say whose followers it holds with --uid`);
  if (manifest && options.account !== undefined && options.account !== manifest.options.uid) {
    throw new UsageError(`${path} holds the followers of ${manifest.options.uid} (its manifest says), not ${options.account}`);
  }
  // A list that ended far short of what the API reports (exit 10 when exported) is no snapshot:
  // its end would call every follower below it gone. tkf export --db does not record one either.
  // An --update of such a file is one (its manifest keeps the export's `short`): an update calls
  // nobody gone. Refused, it failed as an internal error (exit 1), the file already updated.
  const update = options.added !== undefined ? { update: { added: options.added } } : updateOf(manifest);
  if (manifest?.short && !update.update) {
    throw new ShortListError(
      `${path} ended far short of the list (${formatCount(manifest.short.rows)} of the ${formatCount(manifest.short.expected)} followers the API should serve): not recorded as a snapshot, which would call every follower below its end gone`,
    );
  }
  const takenAt = manifest?.updated ?? (await stat(path)).mtime.toISOString();
  const input: SnapshotInput = {
    account,
    takenAt,
    end: manifest?.end ?? null,
    onProfile: manifest?.total ?? null,
    requests: manifest?.requests ?? null,
    // Absolute: the database outlives the directory a command ran in.
    source: resolve(path),
    ...(manifest?.updated ? {} : { datedByFile: true }),
    ...update,
    ...(manifest?.pausedMs ? { pausedMs: manifest.pausedMs } : {}),
    ...(incompletePlaces(manifest) ? { holes: incompletePlaces(manifest) } : {}),
  };
  // A CSV written with the formula guard says so in its manifest; without one, it is read as tkf
  // export writes by default (guarded), as tkf report and tkf diff read it.
  return { input, open, rows: manifest?.rows, formulaGuard: manifest?.options.formulaGuard ?? true, manifest };
}

/**
 * An --update's file is recorded as an update (checkpoint.ts updatedRows): it cannot see who
 * left, and its earlier rows would bring back followers gone since.
 */
function updateOf(manifest: Checkpoint | undefined): { update?: { added: number } } {
  const added = updatedRows(manifest);
  return added === undefined ? {} : { update: { added } };
}

/**
 * Each record of an export as the database keeps it: uid, handle, nickname, the export's columns
 * as JSON. A CSV's cells are text: the formula guard's quote is taken off again (`formulaGuard`),
 * and the columns the API gives as numbers (CSV_NUMBER_COLUMNS) are numbers again, so that a CSV
 * imported holds what `tkf export --db` stores of the same followers (an empty one is left out,
 * as an absent field is).
 */
async function* followerRows(source: ExportSource, formulaGuard: boolean): AsyncGenerator<FollowerRow> {
  // A CSV without some of the columns the database keeps (--fields) updates only those it has.
  const partial = source.columns !== undefined && !DEFAULT_CSV_FIELDS.every((field) => source.columns!.includes(field));
  for await (const record of source.records()) {
    if (record.kind === 'jsonl') {
      yield followerRow(record.uid, record.follower);
    } else {
      const object: Record<string, string | number> = {};
      source.columns!.forEach((column, index) => {
        const cell = csvValue(column, record.cells[index] ?? '', formulaGuard);
        if (cell !== undefined) object[column] = cell;
      });
      const text = (key: string) => (typeof object[key] === 'string' ? (object[key] as string) : null);
      yield { uid: record.uid, uniqueId: text('unique_id'), nickname: text('nickname'), data: JSON.stringify(object), ...(partial ? { partial } : {}) };
    }
  }
}

/** An integer a double keeps exactly, as JSON writes it. */
const INTEGER = /^-?(0|[1-9]\d{0,14})$/;

function csvValue(column: string, cell: string, formulaGuard: boolean): string | number | undefined {
  const text = formulaGuard ? unguardCell(cell) : cell;
  if (!CSV_NUMBER_COLUMNS.has(column)) return text;
  if (text === '') return undefined;
  return INTEGER.test(text) ? Number(text) : text;
}

