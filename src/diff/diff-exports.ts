/**
 * `tkf diff` in three streaming passes, so memory holds the uids (and the older export's order)
 * and never a file:
 *
 *   1. read <old>'s uids with their positions (newest first) into a Map;
 *   2. stream <new>: collect its uids in order; the reach rule (reach.ts) then says how far each
 *      walk saw the other's list;
 *   3. stream <new> again: a uid not in <old> is `added`, or `first_seen` when it stands below
 *      where the older walk ended (it was there, the older walk did not reach it);
 *   4. stream <old> again: a uid not in <new> is missing, and the reach rule says whether it is
 *      `removed` (gone) or `beyond_reach` (the newer walk did not see that part of the list: the
 *      API's reach slid past it).
 *
 * When <new> is a file that --update extended (its manifest's updateAdded: `newerWalked`), only
 * its first rows are its last walk's; the rows below them it did not see again (they may have
 * left since). The walk is those first rows: a uid not in <old> below them is no change either
 * way (`kept_by_update`), and the reach rule reads the walk alone (it stopped at the file's newest
 * follower, so it saw nothing of the list below that).
 *
 * A uid repeated inside one file counts once and is handed on once. Without `onChange` (--json
 * with no file to write) passes 3 and 4 are skipped: the verdicts come from the Maps.
 */
import { UsageError } from '../errors.js';
import type { Change } from './change-encoder.js';
import { NOTHING_SEEN, inUnreadByOlder, inUnseen, judgeMissing, judgeNew, reachView, type WalkEnd } from './reach.js';
import type { ExportRecord, ExportSource } from '../output/export-reader.js';

export interface DiffCounts {
  added: number;
  /** In <new>, not in <old>, below where the older walk ended: followers it never reached. */
  first_seen: number;
  /** Missing from <new> and gone by the reach rule. */
  removed: number;
  /** Missing from <new>, but where the newer walk did not see the list (named as in --json). */
  beyond_reach: number;
  /** Of beyond_reach, those where the newer walk stepped past the rest of a tied second (not below its end); absent: none. */
  beyond_reach_in_ties?: number;
  /**
   * Of beyond_reach, those a walk without its pause would have called gone (<new> went on after
   * a long pause: newerPaused); absent: none.
   */
  beyond_reach_paused?: number;
  /** Of first_seen, those where the older walk stepped past the rest of a tied second; absent: none. */
  first_seen_in_ties?: number;
  /**
   * <new> was extended by --update: its uids not in <old> below the rows its last update put on
   * top, which that walk did not see again (no change either way; absent: <new> is one walk's).
   */
  kept_by_update?: number;
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
  /** How the older export's walk ended: 'complete' saw every follower, so nobody is first seen. */
  olderEnd?: WalkEnd;
  /** Where the newer walk stepped past the rest of a tied second (its manifest's incompleteAt). */
  newerHoles?: ReadonlyArray<readonly [number, number]>;
  /** The older walk's (its manifest's incompleteAt): followers new to it there were unread, first seen. */
  olderHoles?: ReadonlyArray<readonly [number, number]>;
  /** <new> was extended by --update: its first this many distinct uids are its last walk's (the rest it did not see again). */
  newerWalked?: number;
  /**
   * <new> reached the end of its list ('complete') but served this many fewer of its profile's
   * count than the exports compared did (within endOfList's slack): if that is as many as (or more
   * than) the followers it would call gone only because its list ended there, its end is taken as
   * cut (reach.ts, record-snapshot.ts alike) and `onCutEnd` is told how many are beyond reach instead.
   */
  newerShortBy?: number;
  /**
   * The newer walk went on after a pause longer than PAUSE_BLINDS_MS (its manifest's pausedMs):
   * it calls nobody gone (a re-follow meanwhile took a follower out of it), as the history does.
   */
  newerPaused?: boolean;
  onCutEnd?: (tail: number) => void;
  /** The same of <old>: followers of <new> it would call added only because <old>'s list ended there are first seen, if as many as this or fewer. */
  olderShortBy?: number;
  onOlderCutEnd?: (tail: number) => void;
  /** Aborted: stop at the next record, throwing its reason. */
  signal?: AbortSignal;
}

/** The first `count` of these values. */
function* firstOf<T>(values: Iterable<T>, count: number): Generator<T> {
  if (count <= 0) return;
  let n = 0;
  for (const value of values) {
    yield value;
    if (++n >= count) return;
  }
}

export async function diffExports(older: ExportSource, newer: ExportSource, options: DiffOptions = {}): Promise<DiffCounts> {
  const { onChange, signal } = options;
  const oldIndex = new Map<string, number>();
  for await (const record of older.records()) {
    if (signal?.aborted) throw signal.reason;
    if (!oldIndex.has(record.uid)) oldIndex.set(record.uid, oldIndex.size);
  }

  // A Map iterates in insertion order: <new>'s uids, newest first, as the reach rule reads them.
  const newUids = new Map<string, number>();
  for await (const record of newer.records()) {
    if (signal?.aborted) throw signal.reason;
    if (!newUids.has(record.uid)) newUids.set(record.uid, newUids.size);
  }
  const walked = options.newerWalked ?? Infinity;
  const newerWalk = walked === Infinity ? newUids.keys() : firstOf(newUids.keys(), walked);
  let view = reachView(newerWalk, (uid) => oldIndex.get(uid), options.newerEnd, options.newerHoles, options.olderHoles, () => oldIndex.size - 1);
  if (view.sawWholeList && options.newerShortBy !== undefined && options.newerShortBy > 0) {
    const cut = { ...view, sawWholeList: false };
    let tail = 0;
    for (const [uid, index] of oldIndex) {
      if (!newUids.has(uid) && judgeMissing(index, view) === 'removed' && judgeMissing(index, cut) !== 'removed') tail++;
    }
    if (tail > 0 && options.newerShortBy >= tail) {
      view = cut;
      options.onCutEnd?.(tail);
    }
  }
  let olderEnd = options.olderEnd;
  if (olderEnd === 'complete' && options.olderShortBy !== undefined && options.olderShortBy > 0) {
    let tail = 0;
    for (const [uid, index] of newUids) {
      if (index < walked && !oldIndex.has(uid) && judgeNew(index, view, olderEnd) === 'added' && judgeNew(index, view, 'early') === 'first_seen') tail++;
    }
    if (tail > 0 && options.olderShortBy >= tail) {
      olderEnd = 'early';
      options.onOlderCutEnd?.(tail);
    }
  }
  // Who is missing, as a paused walk can tell it: nobody gone (who is new it tells as any walk).
  const missingView = options.newerPaused ? { ...NOTHING_SEEN, ...(view.unseen ? { unseen: view.unseen } : {}) } : view;
  let added = 0;
  let firstSeen = 0;
  let firstSeenInTies = 0;
  let kept = 0;
  for (const [uid, index] of newUids) {
    if (oldIndex.has(uid)) continue;
    if (index >= walked) kept++;
    else if (judgeNew(index, view, olderEnd) === 'added') added++;
    else {
      firstSeen++;
      if (inUnreadByOlder(index, view)) firstSeenInTies++;
    }
  }
  const unchanged = newUids.size - added - firstSeen - kept;
  let removedCount = 0;
  let unreadInTies = 0;
  let unseenForPause = 0;
  for (const [uid, index] of oldIndex) {
    if (newUids.has(uid)) continue;
    if (judgeMissing(index, missingView) === 'removed') removedCount++;
    else if (inUnseen(index, view)) unreadInTies++;
    else if (missingView !== view && judgeMissing(index, view) === 'removed') unseenForPause++;
  }
  const missing = oldIndex.size - unchanged;
  const counts: DiffCounts = {
    added,
    first_seen: firstSeen,
    removed: removedCount,
    beyond_reach: missing - removedCount,
    ...(unreadInTies ? { beyond_reach_in_ties: unreadInTies } : {}),
    ...(unseenForPause ? { beyond_reach_paused: unseenForPause } : {}),
    ...(firstSeenInTies ? { first_seen_in_ties: firstSeenInTies } : {}),
    ...(options.newerWalked !== undefined ? { kept_by_update: kept } : {}),
    old: oldIndex.size,
    new: newUids.size,
    unchanged,
  };
  if (!onChange) return counts;

  let newWritten = 0;
  const handed = new Set<string>();
  for await (const record of newer.records()) {
    if (signal?.aborted) throw signal.reason;
    const index = newUids.get(record.uid);
    if (index === undefined || index >= walked || oldIndex.has(record.uid) || handed.has(record.uid)) continue;
    handed.add(record.uid);
    newWritten++;
    const wait = onChange(judgeNew(index, view, olderEnd), record, newer);
    if (wait) await wait;
  }
  // Pass 3 reads <new> a second time: a file replaced in between would give rows that do not add up.
  if (newWritten !== added + firstSeen) {
    throw new UsageError(`${newer.path} changed while tkf diff was reading it; run the diff again`);
  }

  let written = 0;
  let removed = 0;
  for await (const record of older.records()) {
    if (signal?.aborted) throw signal.reason;
    const index = oldIndex.get(record.uid);
    // delete() answers true once per uid: a uid repeated in <old> is written once.
    if (newUids.has(record.uid) || index === undefined || !oldIndex.delete(record.uid)) continue;
    const verdict = judgeMissing(index, missingView);
    written++;
    if (verdict === 'removed') removed++;
    const wait = onChange(verdict, record, older);
    if (wait) await wait;
  }
  // Pass 4 reads <old> a second time; a file replaced in between would give rows that do not add up.
  if (written !== missing || removed !== counts.removed || oldIndex.size !== unchanged) {
    throw new UsageError(`${older.path} changed while tkf diff was reading it; run the diff again`);
  }
  return counts;
}
