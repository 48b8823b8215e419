/**
 * One pass over an export through the project's one reader (src/output/export-reader.ts), a row at
 * a time, into an AudienceReport. The manifest beside a finished export (`<file>.tkf.json`) adds
 * whose followers they are, the profile's count, and whether CSV cells carry the formula guard.
 * Or (summarizeHistory) one pass over an account's followers as a history database knows them.
 */
import { accountFollowersNow } from '../history/queries.js';
import type { SqlRunner } from '../history/sql-driver.js';
import { readCheckpoint, type Checkpoint } from '../output/checkpoint.js';
import { openExport } from '../output/export-reader.js';
import { outputPaths } from '../output/output-file.js';
import { AudienceCounter, type AudienceReport } from './audience.js';
import { ReportRowReader } from './report-row.js';

export interface SummarizeOptions {
  signal?: AbortSignal;
  /** The manifest as the caller read it (undefined: none, or unreadable); read here when not given. */
  manifest?: Checkpoint | undefined;
}

export async function summarizeExport(path: string, options: SummarizeOptions = {}): Promise<AudienceReport> {
  const source = await openExport(path);
  // A missing or unreadable manifest only takes away the profile's count: the file is the report.
  const manifest = 'manifest' in options ? options.manifest : await readCheckpoint(outputPaths(path).manifest).catch(() => undefined);
  const reader = new ReportRowReader(source.columns, manifest?.options.formulaGuard ?? true);
  const counter = new AudienceCounter();
  let rows = 0;
  // A follower once, as diff and history import count them (a file concatenated, or edited by
  // hand, repeats rows; an export never does): the first row of a uid is the one counted.
  const seen = new Set<string>();
  for await (const record of source.records()) {
    if (seen.has(record.uid)) continue;
    seen.add(record.uid);
    counter.add(reader.read(record));
    // An abort is checked every few thousand rows, not per row: a report of a big file stops soon.
    if (++rows % 4096 === 0) options.signal?.throwIfAborted();
  }
  return counter.result(reader.present, {
    path,
    format: source.format,
    account: manifest?.options.uid ?? null,
    onProfile: typeof manifest?.total === 'number' ? manifest.total : null,
  });
}

/** The account's last snapshot, as the history database holds it. */
export interface LastSnapshot {
  at: string;
  onProfile: number | null;
}

/**
 * The audience of `account` from a history database (`tkf export --db`, with or without --out):
 * the followers it says follow now (not seen gone; those past the API's reach included, counted
 * apart in `beyond_reach`), each with its latest fields (followers.data: the export's columns, as
 * a CSV export holds them), a page of rows at a time. The profile's count is the last snapshot's.
 */
export async function summarizeHistory(db: SqlRunner & { label: string }, account: string, last: LastSnapshot, options: { signal?: AbortSignal } = {}): Promise<AudienceReport> {
  const reader = new ReportRowReader(undefined);
  const counter = new AudienceCounter();
  let rows = 0;
  let unseen = 0;
  for await (const known of accountFollowersNow(db, account)) {
    counter.add(reader.read({ kind: 'jsonl', uid: known.uid, line: 0, json: known.data, follower: JSON.parse(known.data) as Record<string, unknown> }));
    if (known.unseen) unseen++;
    if (++rows % 4096 === 0) options.signal?.throwIfAborted();
  }
  return {
    ...counter.result(reader.present, { path: db.label, format: 'history', account, onProfile: last.onProfile }),
    as_of: last.at,
    beyond_reach: unseen,
  };
}
