/**
 * `tkf history import`: earlier exports become snapshots, oldest first (the reach rule compares
 * each snapshot with the one before it), each dated by its manifest's `updated`, else by the
 * file's modification time. A file already recorded is recorded once; a file older than the
 * account's latest snapshot is not imported (exit 11, as tkf export --db says such a walk): it
 * cannot be placed before it (the database keeps followers as they are now, not each snapshot's
 * list, so the snapshots after it could not be judged again). A file that cannot be read or is no export
 * (a usage or output error of its own) is not imported and said so, and the others still are; a
 * database that fails stops the import.
 */
import { stat } from 'node:fs/promises';
import { HistoryDbError, OutputError, ShortListError, TkfError, UsageError } from '../errors.js';
import { checkDescribes, readCheckpoint, type Checkpoint } from '../output/checkpoint.js';
import { readBackFormat } from '../output/export-reader.js';
import { outputPaths } from '../output/output-file.js';
import { describeExport, recordExportFile } from './record-export.js';
import type { SqlDriver } from './sql-driver.js';

export interface ImportResult {
  file: string;
  account: string;
  at: string;
  recorded: boolean;
  served: number;
  added: number;
  first_seen: number;
  removed: number;
  beyond_reach: number;
  /** False when the file cannot show who left (an --update's, a walk gone on with after a pause): `removed` is no count of leavers. */
  sees_losses: boolean;
}

/** A file that was not imported: why, and the exit code its error has. */
export interface ImportFailure {
  file: string;
  error: string;
  exit_code: number;
  cause: unknown;
}

/** Each file's result, in the order they were settled; `stopped`: the database failed, and the
 * files it did not record carry its error. */
export interface ImportOutcome {
  results: Array<ImportResult | ImportFailure>;
  stopped?: HistoryDbError;
}

export function isFailure(outcome: ImportResult | ImportFailure): outcome is ImportFailure {
  return 'error' in outcome;
}

/**
 * A file's manifest, or undefined where it has none. One that is there but cannot be read (another
 * user's: tkf writes manifests owner-only, the export readable by others) or is damaged refuses
 * the file: read as one without a manifest it was dated by its modification time, its walk's end
 * and the profile's count unknown, or refused with a false reason ("has no tkf manifest").
 */
async function manifestOf(file: string): Promise<Checkpoint | undefined> {
  try {
    return await readCheckpoint(outputPaths(file).manifest);
  } catch (error) {
    if (!(error instanceof TkfError)) throw error;
    // readCheckpoint says which: "cannot read the manifest <path>: permission denied (EACCES)",
    // "the manifest <path> is damaged (not JSON); ...", "<path> is not a manifest this tkf can read; ...".
    const cause = error.cause as NodeJS.ErrnoException | undefined;
    const advice =
      cause?.code === 'EACCES' || cause?.code === 'EPERM'
        ? '; run the import as a user who may read it (tkf writes manifests readable by their owner only)'
        : '';
    throw new UsageError(`${file} is not imported: ${error.message}${advice}`, { cause: error });
  }
}

async function dateOf(file: string): Promise<string> {
  const manifest = await manifestOf(file);
  // An .xlsx is refused as one, before its size is held against its manifest's.
  readBackFormat(file, manifest?.options.format);
  // A manifest that no longer describes its file (an emptied staging file of --db) is refused:
  // its counts and end would be taken for the file's (a snapshot of 0 followers served).
  await checkDescribes(file, manifest);
  if (manifest?.updated) return manifest.updated;
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new UsageError(`cannot read ${file}: no such file`);
  }
  // An empty file is an account of no followers only where its manifest says an export wrote it
  // (a CSV export always has its header): a failed copy became a snapshot of 0 served.
  if (info.isFile() && info.size === 0) {
    throw new UsageError(`${file} is empty and has no manifest (${outputPaths(file).manifest}) saying an export of no followers wrote it: not recorded as one`);
  }
  return info.mtime.toISOString();
}

/** How far ahead of this machine's clock a file's date may be (another machine's clock): ten minutes. */
const CLOCK_SLACK_MS = 10 * 60 * 1000;

/**
 * Imports `files`, oldest first, into the database `open` opens (and this closes). Each file is
 * read and checked first (there, dated, its manifest its own, whose followers said): when none
 * passes, the database is not opened, so a mistyped name does not leave an empty database behind.
 */
export async function importFiles(
  open: () => Promise<SqlDriver>,
  files: readonly string[],
  options: { account?: string; now?: Date },
): Promise<ImportOutcome> {
  const now = options.now ?? new Date();
  const results: Array<ImportResult | ImportFailure> = [];
  const failed = (file: string, error: unknown): void => {
    if (!(error instanceof UsageError || error instanceof OutputError || error instanceof ShortListError)) throw error;
    results.push({ file, error: error.message, exit_code: error.exitCode, cause: error });
  };
  const dated: Array<{ file: string; at: string }> = [];
  for (const file of files) {
    try {
      const at = await dateOf(file);
      // A snapshot from the future would keep every later one out (they would be older than it):
      // a clock was wrong when the file was written, or the manifest was edited.
      if (Date.parse(at) > now.getTime() + CLOCK_SLACK_MS) {
        throw new UsageError(`${file} is dated ${at}, ahead of this machine's clock (${now.toISOString()}): not imported, as a snapshot from the future would keep every later one out; check the clock that wrote it`);
      }
      // Whose followers, and a file tkf reads (a CSV with a uid column): said before the database is opened.
      await describeExport(file, { account: options.account });
      dated.push({ file, at });
    } catch (error) {
      failed(file, error);
    }
  }
  if (dated.length === 0) return { results };
  dated.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  try {
    const db = await open();
    try {
      await recordAll(db, dated, options.account, results, failed);
    } finally {
      await db.close();
    }
  } catch (error) {
    // The database failed (it cannot be opened, or went away): what was refused or recorded
    // before stays said, and each file it did not record carries the database's error.
    if (!(error instanceof HistoryDbError)) throw error;
    for (const { file } of dated) {
      if (!results.some((r) => r.file === file)) results.push({ file, error: error.message, exit_code: error.exitCode, cause: error });
    }
    return { results, stopped: error };
  }
  return { results };
}

async function recordAll(
  db: SqlDriver,
  dated: ReadonlyArray<{ file: string }>,
  account: string | undefined,
  results: Array<ImportResult | ImportFailure>,
  failed: (file: string, error: unknown) => void,
): Promise<void> {
  for (const { file } of dated) {
    let r: Awaited<ReturnType<typeof recordExportFile>>;
    try {
      r = await recordExportFile(db, file, { account });
    } catch (error) {
      // An emptied staging file the database does not hold (record-export.ts, said with its way
      // on) is this file's; any other error of the database stops the import (importFiles).
      if (error instanceof HistoryDbError && error.advised) {
        results.push({ file, error: error.message, exit_code: error.exitCode, cause: error });
        continue;
      }
      failed(file, error);
      continue;
    }
    if (r.stale) {
      const error = new HistoryDbError(
        `${file} (${r.takenAt}) is older than the database's latest snapshot of ${r.account} (${r.later}): snapshots are recorded oldest first, and one cannot be placed before a later one; import old files before the first --db night, or into a new database`,
      );
      results.push({ file, error: error.message, exit_code: error.exitCode, cause: error });
      continue;
    }
    if (r.clash) {
      // Said, not "already recorded" with exit 0: this file was never recorded (its rows are not
      // in the database), and nothing else would tell (a directory of files copied at once).
      const error = new HistoryDbError(
        r.datedByFile
          ? `${file} has no manifest, so it is dated by its modification time (${r.takenAt}), and the database already holds a snapshot of ${r.account} at that time read from another file (${r.clash.source ?? 'not named'}): not recorded, as one time holds one snapshot; if it is that file moved, it is recorded already; if not, put its manifest (${outputPaths(file).manifest}) beside it, or give it the time it was exported (touch -d), and import it again`
          : `${file} is dated ${r.takenAt} by its manifest, and the database already holds another walk's snapshot of ${r.account} at that time (read from ${r.clash.source ?? 'a file not named'}): not recorded, as one time holds one snapshot`,
      );
      results.push({ file, error: error.message, exit_code: error.exitCode, cause: error });
      continue;
    }
    results.push({
      file,
      account: r.account,
      at: r.takenAt,
      recorded: r.recorded,
      served: r.served,
      added: r.added,
      removed: r.removed,
      beyond_reach: r.beyondReach,
      first_seen: r.firstSeen ?? 0,
      sees_losses: r.seesLosses ?? true,
    });
  }
}
