/**
 * `tkf diff` in three streaming passes, so memory holds two sets of uids and never a file:
 *
 *   1. read <old>'s uids into a Set;
 *   2. stream <new>: a uid not in <old> is `added`, handed on at once; collect <new>'s uids;
 *   3. stream <old> again: a uid not in <new> is `removed`.
 *
 * A uid repeated inside one file counts once and is handed on once. Without `onChange` (--json
 * with no file to write) pass 3 is skipped: the counts are known after pass 2.
 */
import { UsageError } from '../errors.js';
import type { Change } from './change-encoder.js';
import type { ExportRecord, ExportSource } from '../output/export-reader.js';

export interface DiffCounts {
  added: number;
  removed: number;
  /** Distinct uids in <old> and in <new>. */
  old: number;
  new: number;
  unchanged: number;
}

export interface DiffOptions {
  /** Receives each changed follower; returns a promise only when the caller must wait (backpressure). */
  onChange?: (change: Change, record: ExportRecord, source: ExportSource) => Promise<void> | undefined;
  /** Aborted: stop at the next record, throwing its reason. */
  signal?: AbortSignal;
}

export async function diffExports(older: ExportSource, newer: ExportSource, options: DiffOptions = {}): Promise<DiffCounts> {
  const { onChange, signal } = options;
  const oldUids = new Set<string>();
  for await (const record of older.records()) {
    if (signal?.aborted) throw signal.reason;
    oldUids.add(record.uid);
  }

  const newUids = new Set<string>();
  let added = 0;
  for await (const record of newer.records()) {
    if (signal?.aborted) throw signal.reason;
    if (newUids.has(record.uid)) continue;
    newUids.add(record.uid);
    if (oldUids.has(record.uid)) continue;
    added++;
    const wait = onChange?.('added', record, newer);
    if (wait) await wait;
  }
  const unchanged = newUids.size - added;
  const counts: DiffCounts = { added, removed: oldUids.size - unchanged, old: oldUids.size, new: newUids.size, unchanged };
  if (!onChange) return counts;

  let removed = 0;
  for await (const record of older.records()) {
    if (signal?.aborted) throw signal.reason;
    // delete() answers true once per uid: a uid repeated in <old> is written once.
    if (newUids.has(record.uid) || !oldUids.delete(record.uid)) continue;
    removed++;
    const wait = onChange('removed', record, older);
    if (wait) await wait;
  }
  // Pass 3 reads <old> a second time; a file replaced in between would give rows that do not add up.
  if (removed !== counts.removed || oldUids.size !== unchanged) {
    throw new UsageError(`${older.path} changed while tkf diff was reading it; run the diff again`);
  }
  return counts;
}
