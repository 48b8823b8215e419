/**
 * Where an interrupted export stands, beside its output: `<out>.part.json`.
 *
 * Written after each page, once that page's rows are in `<out>.part` and its uids in
 * `<out>.part.uids` (both handed to the OS first), through a temporary file (fsynced) and a rename: a
 * reader sees the old checkpoint or the new one, never half of one. It never claims more than the
 * files hold, so after a crash at any instant `--resume` cuts both files back to the lengths
 * recorded here and goes on from `cursor`.
 *
 * Owner-only (0600), and it holds no token: only what the resumed run must match and continue.
 */
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { OutputError, UsageError } from '../errors.js';
import { realDisk, type Disk } from './disk.js';
import { describeFsError } from './fs-errors.js';
import type { EncoderOptions, FormatDefinition } from '../writers/index.js';

export const CHECKPOINT_VERSION = 1;

/**
 * Where a walk interrupted inside a tied second re-enters: `second` from its start (the walk sends
 * second + 1), and the pages of that second walked so far, what re-walking it may cost without new
 * followers (see export/pager.ts). Kept in the checkpoint so that --resume does the same.
 */
export interface Reentry {
  second: number;
  pages: number;
}

/** Options a resumed run must share with the run it continues (else the file would mix). */
export interface CheckpointOptions {
  uid: string;
  format: string;
  fields: string[] | null;
  bom: boolean;
  formulaGuard: boolean;
}

export interface Checkpoint {
  version: number;
  tool: 'tkf';
  options: CheckpointOptions;
  /** The cursor to send next; null when the walk has ended and only the rename is left. */
  cursor: number | null;
  end: string | null;
  /** Rows and bytes of `<out>.part` covered by this checkpoint (bytes include a CSV header). */
  rows: number;
  bytes: number;
  /** Bytes of `<out>.part.uids` (the de-duplication state: one uid a line). */
  uidsBytes: number;
  requests: number;
  duplicates: number;
  total: number | null;
  /** Tied seconds the walk had to step past so far (ExportResult.incompleteSeconds). */
  incompleteSeconds?: number[];
  /** Between which rows of the file each of those seconds' unread followers stand (ExportCounts.incompleteAt). */
  incompleteAt?: Array<[number, number]>;
  /**
   * Follow time (Unix seconds) of the newest follower in the file, from the pages' max_time (or
   * min_time, a lower bound); what `--update` stops below. Absent in files of older tkf versions.
   */
  newest?: number | null;
  /**
   * The cursor is inside a second held by more followers than a page: --resume re-enters that
   * second from its start (an API with a hidden offset may have moved on past answers never
   * written) and de-duplicates. Absent otherwise.
   */
  reenter?: Reentry;
  /** The list ended far below what the API reports (ExportResult.short). */
  short?: { rows: number; expected: number };
  /**
   * A completed `--update` (end 'caught-up'): how many rows it put on top, its new followers; the
   * rest are the file's earlier rows, which it did not see again (`tkf history import` records
   * such a file as an update). Absent in files of older tkf versions.
   */
  updateAdded?: number;
  /** Started with --force: the finished export replaces an existing <out> (also after --resume). */
  replace?: boolean;
  /**
   * The last --force walk of this file ended far short (exit 10: these are its rows and what the
   * API reported) and was not kept; <out> and its manifest are still the walk before it. Such a
   * checkpoint counts nothing (cursor 0, no part files beside it): it only keeps --force's promise
   * for the --resume its run advised, which walks the account again from the start and replaces
   * <out> only with a complete walk. Every other run takes it for no checkpoint, and the next
   * walk's first checkpoint takes its place (export-file.ts).
   */
  rewalk?: { rows: number; expected: number };
  /**
   * An interrupted `--update`: `<out>.part` holds the header and the new followers found so far,
   * to go on top of `<out>` as its manifest describes it (these rows and bytes). `rows` above
   * counts the file's rows and the new ones; `bytes` and `uidsBytes` are the part files' as usual.
   * The same `--update` (or `--resume`) goes on from `cursor`; `<out>` is untouched until then.
   */
  update?: { rows: number; bytes: number };
  /**
   * The longest pause, in milliseconds, between an interruption of this walk and the --resume
   * that went on with it. Followers who unfollowed and followed again meanwhile moved above the
   * cursor the walk went on from: it did not see them, so its end proves nobody gone (the history
   * records such a walk as one that cannot see who left). Absent for a walk never resumed.
   */
  pausedMs?: number;
  updated: string;
}

/** An interrupted --update's new followers, kept in its part file for the next run; undefined for an export's checkpoint. */
/**
 * Whether the checkpoint at `path` is the mark a short --force walk left (Checkpoint.rewalk): no
 * interrupted walk, its pages none. False without one, or with one that cannot be read.
 */
export async function isRewalkMark(path: string): Promise<boolean> {
  return (await readCheckpoint(path).catch(() => undefined))?.rewalk !== undefined;
}

export function newFollowersKept(checkpoint: Checkpoint): number | undefined {
  return checkpoint.update ? checkpoint.rows - checkpoint.update.rows : undefined;
}

export async function writeCheckpoint(path: string, checkpoint: Checkpoint, disk: Disk = realDisk): Promise<void> {
  const temporary = `${path}.tmp`;
  try {
    await disk.writeSynced(temporary, `${JSON.stringify(checkpoint)}\n`, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw new OutputError(`cannot write the checkpoint ${path}: ${describeFsError(error)}`, { cause: error });
  }
}

/** Reads a checkpoint; undefined when there is none. */
export async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OutputError(`cannot read the ${path.endsWith('.tkf.json') ? 'manifest' : 'checkpoint'} ${path}: ${describeFsError(error)}`, { cause: error });
  }
  let parsed: Checkpoint;
  // A finished export's manifest (<out>.tkf.json) is its last checkpoint, but nothing to resume:
  // said as what it is (report warned of a damaged "checkpoint" and its .part files; another
  // user's report, of one it may not read, of "the checkpoint").
  const manifest = path.endsWith('.tkf.json');
  try {
    parsed = JSON.parse(text) as Checkpoint;
  } catch {
    throw new UsageError(
      manifest ? `the manifest ${path} is damaged (not JSON); remove it, or export the file again` : `the checkpoint ${path} is damaged; remove it (and its .part files) to start again`,
    );
  }
  if (parsed?.tool !== 'tkf' || parsed.version !== CHECKPOINT_VERSION || !parsed.options) {
    throw new UsageError(manifest ? `${path} is not a manifest this tkf can read; remove it, or export the file again` : `${path} is not a checkpoint this tkf can resume; remove it to start again`);
  }
  return parsed;
}

/** Names what differs between a checkpoint's options and this run's, for the resume error. */
/** The options a checkpoint keeps of an export of `uid` in this format with these encoder options. */
export function checkpointOptions(uid: string, format: FormatDefinition, encoder: EncoderOptions): CheckpointOptions {
  return { uid, format: format.name, fields: encoder.fields ?? null, bom: encoder.bom, formulaGuard: encoder.formulaGuard };
}

export function describeMismatch(saved: CheckpointOptions, now: CheckpointOptions): string | undefined {
  const differences: string[] = [];
  if (saved.uid !== now.uid) differences.push(`uid ${saved.uid}, not ${now.uid}`);
  if (saved.format !== now.format) differences.push(`format ${saved.format}, not ${now.format}`);
  const savedFields = saved.fields?.join(',') ?? '(default)';
  const nowFields = now.fields?.join(',') ?? '(default)';
  if (savedFields !== nowFields) differences.push(`fields ${savedFields}, not ${nowFields}`);
  if (saved.bom !== now.bom) differences.push(saved.bom ? 'with --bom' : 'without --bom');
  if (saved.formulaGuard !== now.formulaGuard) {
    differences.push(saved.formulaGuard ? 'with the formula guard' : 'with --no-formula-guard');
  }
  return differences.length ? differences.join('; ') : undefined;
}

/**
 * An --update's file holds its new rows on top of rows it did not see again: how many rows on top
 * its last update put there (updateAdded), or undefined for a file that is one walk's. A manifest
 * of an older tkf without updateAdded is told by its end ('caught-up'): none counted new.
 */
export function updatedRows(manifest: Checkpoint | undefined): number | undefined {
  if (!manifest) return undefined;
  const added = manifest.updateAdded;
  if (typeof added === 'number') return Number.isSafeInteger(added) && added >= 0 && added <= manifest.rows ? added : 0;
  return manifest.end === 'caught-up' ? 0 : undefined;
}

/**
 * A finished manifest's incompleteAt (where its walk stepped past the rest of each tied second),
 * when it is what a tkf wrote: one place an incomplete second, whole numbers, ascending, within
 * the file. Undefined otherwise (an older tkf, an edit).
 */
export function incompletePlaces(manifest: Checkpoint | undefined): Array<[number, number]> | undefined {
  const at = manifest?.incompleteAt;
  if (!manifest || !Array.isArray(at) || at.length !== (manifest.incompleteSeconds ?? []).length) return undefined;
  return placesOf(at, manifest.rows);
}

/**
 * Tied seconds' places as tkf writes them ([from, to] rows, whole, ascending, within `rows`
 * when given): `value` as such, or undefined (read from a manifest, or from the history's
 * snapshots.holes).
 */
export function placesOf(value: unknown, rows = Number.MAX_SAFE_INTEGER): Array<[number, number]> | undefined {
  if (!Array.isArray(value)) return undefined;
  const row = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= rows;
  const valid = value.every(
    (pair, i) =>
      Array.isArray(pair) && pair.length === 2 && row(pair[0]) && row(pair[1]) && pair[0] <= pair[1] && (i === 0 || (pair[0] >= value[i - 1]![0] && pair[1] >= value[i - 1]![1])),
  );
  return valid ? (value as Array<[number, number]>) : undefined;
}

/**
 * Refuses a finished export whose manifest no longer describes it (another size): its counts, end
 * and account would be taken for the file's. An emptied staging file of `tkf export --db` (its
 * walk recorded) is said as such.
 */
export async function checkDescribes(path: string, manifest: Checkpoint | undefined): Promise<void> {
  const file = await againstManifest(path, manifest);
  if (!manifest || !file || file.state === 'same') return;
  const { size } = file;
  throw new UsageError(
    file.state === 'emptied'
      ? `${path} is empty, but its manifest counts ${manifest.rows.toLocaleString('en-US')} rows: a staging file of tkf export --db, emptied once its walk was recorded (its followers are in that database)`
      : `${path} is not the file its manifest describes (${manifest.bytes.toLocaleString('en-US')} bytes, now ${size.toLocaleString('en-US')}): changed after the export; to use it as it is, move ${path}.tkf.json away (and name its account with --uid where asked)`,
  );
}

/**
 * A finished export file beside its manifest: the size it wrote ('same'), no bytes where it
 * counts rows ('emptied': a staging file of tkf export --db, its walk recorded), or another size
 * ('changed'); undefined with no finished manifest, or no file. The one test of checkDescribes,
 * tkf diff (which trusts only a 'same' manifest) and the history's --resume of a staging file.
 */
export async function againstManifest(path: string, manifest: Checkpoint | undefined): Promise<{ state: 'same' | 'emptied' | 'changed'; size: number } | undefined> {
  if (!manifest || manifest.cursor !== null) return undefined;
  const size = await stat(path).then((s) => s.size, () => undefined);
  if (size === undefined) return undefined;
  return { size, state: size === manifest.bytes ? 'same' : size === 0 && manifest.rows > 0 ? 'emptied' : 'changed' };
}
