/**
 * What `tkf export --db` does after each account's export completes: record the published file
 * as a snapshot (record-export.ts), then, when the file was only a staging file (--db without
 * --out), remove it. The CLI opens the database and hands this in; the engine never sees it.
 *
 * Staging: with --db and no --out, each account's walk goes to `<staging>/<uid>.jsonl` through
 * the usual file transaction, so an interrupted walk keeps its checkpoint and `--resume` goes on
 * from it; the file is emptied once its snapshot is committed (its manifest stays, a few hundred
 * bytes: `--resume` then knows the account is done). A crash between the two leaves a complete
 * staging file: `--resume` records it (a snapshot is recorded once) and empties it. The next run
 * without --resume replaces a staging file (stagingReplaces), but never an interrupted walk's
 * checkpoint: that is exit 7, as for any --out, until --resume or --force says what to do.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { truncate } from 'node:fs/promises';
import { exists, outputPaths } from '../output/output-file.js';
import { isPostgresUrl } from './open-history.js';
import { recordExportFile } from './record-export.js';
import type { SqlDriver } from './sql-driver.js';

export interface HistoryRecord {
  snapshot_at: string;
  added: number;
  removed: number;
  beyond_reach: number;
  /** False when this file had been recorded before (a resumed, already complete export). */
  recorded: boolean;
  /** The file was a staging file (--db without --out), removed once recorded. */
  staged: boolean;
}

export type ExportRecorder = (file: string, added: number | undefined) => Promise<HistoryRecord>;

export function createExportRecorder(driver: SqlDriver, options: { staging: boolean }): ExportRecorder {
  return async (file, added) => {
    const outcome = await recordExportFile(driver, file, added === undefined ? { written: true } : { added, written: true });
    // The staging file is emptied, not removed: with its manifest it says "this walk is recorded",
    // so `--resume` of a batch finds the account complete instead of paying for it again.
    if (options.staging) await truncate(file, 0);
    return { snapshot_at: outcome.takenAt, added: outcome.added, removed: outcome.removed, beyond_reach: outcome.beyondReach, recorded: outcome.recorded, staged: options.staging };
  };
}

/**
 * Where --db without --out stages each walk: beside a SQLite file (`history.sqlite.staging/`),
 * or for PostgreSQL under $XDG_STATE_HOME/tkf/staging (else ~/.local/state/tkf/staging), in a
 * directory named after the server and database (never the password).
 */
export function stagingTemplate(db: string, env: NodeJS.ProcessEnv): string {
  if (!isPostgresUrl(db)) return `${db}.staging/{uid}.jsonl`;
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  let name = 'postgres';
  try {
    const url = new URL(db);
    name = `${url.hostname}_${url.port || '5432'}_${url.pathname.replace(/^\//, '') || 'postgres'}`;
  } catch {
    // an unparsable URL fails at connect, with pg's own words
  }
  return join(state, 'tkf', 'staging', name.replace(/[^\w.-]/g, '_'), '{uid}.jsonl');
}

/** Without --resume, a new walk may replace the account's staging file unless a walk was interrupted. */
export async function stagingReplaces(path: string): Promise<boolean> {
  return !(await exists(outputPaths(path).checkpoint));
}
