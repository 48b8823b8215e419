/**
 * `tkf diff` in three streaming passes, so memory holds the uids (and the older export's order)
 * and never a file:
 *
 *   1. read <old>'s uids with their positions (newest first) into a Map;
 *   2. stream <new>: a uid not in <old> is `added`, handed on at once; collect <new>'s uids in order;
 *   3. stream <old> again: a uid not in <new> is missing, and the reach rule (reach.ts) says
 *      whether it is `removed` (gone) or `beyond_reach` (the newer walk did not see that part of
 *      the list: the API's reach slid past it).
 *
 * A uid repeated inside one file counts once and is handed on once. Without `onChange` (--json
 * with no file to write) pass 3 is skipped: the verdicts come from the Map.
 */
import { UsageError } from '../errors.js';
import type { Change } from './change-encoder.js';
import { judgeMissing, reachView, type WalkEnd } from './reach.js';
import type { ExportRecord, ExportSource } from '../output/export-reader.js';

export interface DiffCounts {
  added: number;
  /** Missing from <new> and gone by the reach rule. */
  removed: number;
  /** Missing from <new>, but where the newer walk did not see the list (named as in --json). */
  beyond_reach: number;
  /** Distinct uids in <old> and in <new>. */
  old: number;
  new: number;
  unchanged: number;
}

export interface DiffOptions {
  /** Receives each changed follower; returns a promise only when the caller must wait (backpressure). */
  onChange?: (change: Change, record: ExportRecord, source: ExportSource) => Promise<void> | undefined;
  /** How the newer export's walk ended (its manifest's `end`); unknown proves no end of list. */
  newerEnd?: WalkEnd;
  /** Aborted: stop at the next record, throwing its reason. */
  signal?: AbortSignal;
}

export async function diffExports(older: ExportSource, newer: ExportSource, options: DiffOptions = {}): Promise<DiffCounts> {
  const { onChange, signal } = options;
  const oldIndex = new Map<string, number>();
  for await (const record of older.records()) {
    if (signal?.aborted) throw signal.reason;
    if (!oldIndex.has(record.uid)) oldIndex.set(record.uid, oldIndex.size);
  }

  // A Set iterates in insertion order: <new>'s uids, newest first, as the reach rule reads them.
  const newUids = new Set<string>();
  let added = 0;
  for await (const record of newer.records()) {
    if (signal?.aborted) throw signal.reason;
    if (newUids.has(record.uid)) continue;
    newUids.add(record.uid);
    if (oldIndex.has(record.uid)) continue;
    added++;
    const wait = onChange?.('added', record, newer);
    if (wait) await wait;
  }
  const view = reachView(newUids, (uid) => oldIndex.get(uid), options.newerEnd);
  const unchanged = newUids.size - added;
  let removedCount = 0;
  for (const [uid, index] of oldIndex) {
    if (!newUids.has(uid) && judgeMissing(index, view) === 'removed') removedCount++;
  }
  const missing = oldIndex.size - unchanged;
  const counts: DiffCounts = {
    added,
    removed: removedCount,
    beyond_reach: missing - removedCount,
    old: oldIndex.size,
    new: newUids.size,
    unchanged,
  };
  if (!onChange) return counts;

  let written = 0;
  let removed = 0;
  for await (const record of older.records()) {
    if (signal?.aborted) throw signal.reason;
    const index = oldIndex.get(record.uid);
    // delete() answers true once per uid: a uid repeated in <old> is written once.
    if (newUids.has(record.uid) || index === undefined || !oldIndex.delete(record.uid)) continue;
    const verdict = judgeMissing(index, view);
    written++;
    if (verdict === 'removed') removed++;
    const wait = onChange(verdict, record, older);
    if (wait) await wait;
  }
  // Pass 3 reads <old> a second time; a file replaced in between would give rows that do not add up.
  if (written !== missing || removed !== counts.removed || oldIndex.size !== unchanged) {
    throw new UsageError(`${older.path} changed while tkf diff was reading it; run the diff again`);
  }
  return counts;
}
