/**
 * `tkf history import`: earlier exports become snapshots, oldest first (the reach rule compares
 * each snapshot with the one before it), each dated by its manifest's `updated`, else by the
 * file's modification time. A file already recorded is recorded once; a file older than the
 * account's latest snapshot is skipped and said so.
 */
import { stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { readCheckpoint } from '../output/checkpoint.js';
import { outputPaths } from '../output/output-file.js';
import { recordExportFile } from './record-export.js';
import type { SqlDriver } from './sql-driver.js';

export interface ImportResult {
  file: string;
  account: string;
  at: string;
  recorded: boolean;
  stale: boolean;
  served: number;
  added: number;
  removed: number;
  beyond_reach: number;
}

async function dateOf(file: string): Promise<string> {
  const manifest = await readCheckpoint(outputPaths(file).manifest).catch(() => undefined);
  if (manifest?.updated) return manifest.updated;
  try {
    return (await stat(file)).mtime.toISOString();
  } catch {
    throw new UsageError(`cannot read ${file}: no such file`);
  }
}

export async function importFiles(db: SqlDriver, files: readonly string[], options: { account?: string }): Promise<ImportResult[]> {
  const dated = await Promise.all(files.map(async (file) => ({ file, at: await dateOf(file) })));
  dated.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const results: ImportResult[] = [];
  for (const { file } of dated) {
    const r = await recordExportFile(db, file, { account: options.account });
    results.push({
      file,
      account: r.account,
      at: r.takenAt,
      recorded: r.recorded,
      stale: Boolean(r.stale),
      served: r.served,
      added: r.added,
      removed: r.removed,
      beyond_reach: r.beyondReach,
    });
  }
  return results;
}
