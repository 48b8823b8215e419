/**
 * The reach rule: when a follower of an older export is missing from a newer one, was the
 * follower *gone*, or only *beyond the API's reach*?
 *
 * The API serves the newest ~5,000 followers of a list, counted from the newest follower at the
 * time of the request (shared/api/README.md, "The reach slides"). A popular account that gains
 * 300 followers overnight has its 300 oldest reachable followers of yesterday pushed past that
 * reach: they still follow, the API no longer shows them. Both exports are newest first, so the
 * newer export saw a part of the older one's list only down to the oldest follower the two share;
 * below that it saw nothing and can prove nothing.
 *
 * A missing follower is gone only on evidence that the newer export saw that part of the list:
 *
 * - the newer walk reached the end of the list (`end: 'complete'`: `has_more` false) and served
 *   about what the profile counts (endOfList), so it saw everything the API holds; or
 * - the follower stood, in the older export's order, newer than the oldest follower both exports
 *   share: the newer walk went past that position.
 *
 * "The oldest follower both share" is the shared follower that comes *last in the newer export*:
 * that is how far down the newer walk went. Taking the shared follower that comes last in the
 * older export instead would be wrong after a re-follow: a follower from the bottom of yesterday's
 * list who unfollowed and followed again stands on top of today's, shared by both, and would make
 * every follower above its old position look seen, and so gone.
 *
 * The same re-follower is also the last shared follower when the newer walk never reached
 * yesterday's followers at all (it ended among today's new followers: a --limit, or a reach full
 * of newcomers). The newer list is the re-followers and new followers first, then the old
 * followers who stayed, in the older list's order, side by side. So a shared follower counts as
 * how far the newer walk went only when the two lists agree about it: it ends a run of at least
 * IN_PLACE_RUN shared followers side by side in the newer list, in the older list's order and near
 * each other there (at most IN_PLACE_STEP places apart: the followers who left between them), and
 * the newer list holds at least half of the older one's followers down to its place (the
 * neighbours it had there), or the run is CHAIN_RUN long and the newer list reached it from such a
 * one reading the older list in its order (every shared follower in between in the older order,
 * side by side: the followers missing there were passed, not jumped; a purge of most of an
 * account's newest followers in one night). Two re-followers on top in their old order, the walk
 * ending there (a short --limit), made a pair and called everyone above their old places gone;
 * three side by side and near each other in the old order with no new follower between them is
 * that many re-follows in the old order at once. Nor is a run followed at once in the newer list by a follower the
 * older one lacks, while the older list goes on below the run's place: in the older order the
 * next follower would be an older one (or, below the older list's end, one first seen), never a
 * new one; that is three of yesterday's newest re-following at once, the night's new followers
 * below them (a --limit or a full reach ending among them: two still following were called gone,
 * 47 new ones first seen). A lone shared follower, one out of the older order, or one whose old
 * neighbours are mostly missing proves nothing about the followers above its old place (more than
 * half of them gone at once is called beyond reach, not gone, unless the newer list came down to
 * a run of CHAIN_RUN below them in the older order from a run that holds its neighbours).
 *
 * Everyone else is beyond reach: counted and listed apart, never called gone. With no follower in
 * common and no end of list, nothing can be called gone. A newer export whose end is unknown (no
 * manifest) did not prove that it reached the end of the list.
 *
 * A re-follow (gone, then back on top of a later export) is an ordinary `added` there.
 *
 * The same evidence, turned round, judges followers of the newer export whom the older one does
 * not have: *first seen*, not *added*, when they stand in the newer list below that oldest shared
 * follower and the older walk did not reach the end of the list. They followed before it, in the
 * part of the list the older walk never reached (a night with more unfollows than new followers
 * lets the reach go deeper; a walk to the end after capped ones sees the whole tail): they did not
 * come, they were there. New followers stand on top, above every old one.
 */

import { DEPTH_CAP } from '../api/list-facts.js';

/**
 * A walk that stood still longer than this before a --resume went on with it cannot see who
 * left: a follower who unfollowed and followed again meanwhile moved above the cursor it went on
 * from, and is missing from it though it follows. The history records its new followers and calls
 * nobody gone; tkf diff with it as <new> too.
 */
export const PAUSE_BLINDS_MS = 10 * 60 * 1000;

/**
 * Why a walk ended, as a manifest records it (`end`): only 'complete' means the whole list, and
 * only when it served about what the profile counts (endOfList: else 'early').
 */
export type WalkEnd = 'complete' | 'cap' | 'limit' | 'caught-up' | 'early' | (string & {}) | null | undefined;

/**
 * A list's shortfall: how many of the followers its profile counts (the API's `total`) it did not
 * serve. Banned and deleted accounts are left out of every walk alike (shared/api/README.md), so
 * an account's shortfall stays about the same from one walk to the next; an API that stops early
 * (has_more false at 160 of 300) makes it jump, and its end proves nothing about the followers
 * below it, who were called gone (140 of 300 by one such night). Undefined when a count is unknown.
 */
export function shortfall(served: number | null | undefined, onProfile: number | null | undefined): number | undefined {
  if (served == null || onProfile == null || !Number.isFinite(served) || !Number.isFinite(onProfile)) return undefined;
  return Math.max(0, onProfile - served);
}

/**
 * How much more a walk may fall short than the walks it is compared with and still have reached
 * the end of the list: the followers banned or deleted in between, and those who came or left
 * while it walked (1% of the profile's count, at least 5).
 */
export function shortfallSlack(onProfile: number): number {
  return Math.max(5, Math.ceil(onProfile * 0.01));
}

/** With no other walk to compare with, the share of the profile's count a list may miss (and a page more). */
export const WHOLE_LIST_SHORTFALL = 0.1;
const WHOLE_LIST_SLACK = 20;

/**
 * A walk's end as evidence. 'complete' (has_more false), having served `served` of the `onProfile`
 * followers its profile counts, is 'early' (not the whole list) when it fell short by more than
 * shortfallSlack beyond `reference`, the smallest shortfall of the walks it is compared with
 * (this one's included): an account whose list always misses 40 of 340 (banned accounts) still
 * ends its list, one that missed none the night before and 100 now does not. With nothing to
 * compare (`reference` undefined), or for an account larger than the API's reach (5,000 served
 * of 80,000: the list cannot be whole), it is 'early' when it missed more than
 * WHOLE_LIST_SHORTFALL of the count and more than a page. Any other end, or an unknown count, is
 * as it was.
 */
export function endOfList(end: WalkEnd, served: number | null | undefined, onProfile: number | null | undefined, reference?: number): WalkEnd {
  const missing = shortfall(served, onProfile);
  if (end !== 'complete' || missing === undefined) return end;
  const farShort = missing > WHOLE_LIST_SLACK && missing > onProfile! * WHOLE_LIST_SHORTFALL;
  if (reference === undefined || onProfile! > DEPTH_CAP) return farShort ? 'early' : end;
  return missing - reference > shortfallSlack(onProfile!) ? 'early' : end;
}

/** How many of an account's latest walks to the end of its list judge a walk's end (the history, its report). */
export const RECENT_WALKS = 10;

/** The smallest of these shortfalls (undefined ones left out), or undefined when fewer than two are known: a walk compared only with itself proves nothing. */
export function referenceShortfall(shortfalls: ReadonlyArray<number | undefined>): number | undefined {
  const known = shortfalls.filter((s): s is number => s !== undefined);
  return known.length >= 2 ? Math.min(...known) : undefined;
}

export type MissingVerdict = 'removed' | 'beyond_reach';

export type NewVerdict = 'added' | 'first_seen';

/** What the newer export saw of the older one's list. */
export interface ReachView {
  /** The newer walk reached the end of the list (has_more false). */
  sawWholeList: boolean;
  /**
   * Position (0-based, in the older export's newest-first order) of the oldest follower the two
   * exports share, in the same order in both (see above); -1 when there is none.
   */
  oldestSharedIndex: number;
  /** That follower's position in the newer export's order; -1 when there is none. */
  oldestSharedNewerIndex: number;
  /**
   * Stretches of the older order the newer walk could not read, open at both ends (older places
   * strictly between): the rest of a tied second it had to step past (a manifest's
   * incompleteAt), between the shared followers on either side of where it stood in the newer
   * list (the page before the one that told it, and that one). A follower missing there was not
   * seen gone, whatever the end of the list says; one who left from that page is not either (no
   * time tells them apart).
   */
  unseen?: ReadonlyArray<readonly [number, number]>;
  /** For each stretch of `unseen`, the newer walk's place its unread followers stand before (its hole's `to`); undefined below the last shared follower. */
  unseenAt?: ReadonlyArray<number | undefined>;
  /**
   * The same turned round: stretches of the newer order (newer places strictly between) where the
   * older walk stepped past the rest of a tied second (its incompleteAt). A follower new to the
   * older export there was not read by it: first seen, not added.
   */
  unreadByOlder?: ReadonlyArray<readonly [number, number]>;
}

/** A view with no evidence of any part of the list: nobody can be called gone, everyone new is added. */
export const NOTHING_SEEN: ReachView = Object.freeze({ sawWholeList: false, oldestSharedIndex: -1, oldestSharedNewerIndex: -1 });

export function sawWholeList(end: WalkEnd): boolean {
  return end === 'complete';
}

/** The verdict on a follower at `oldIndex` of the older export who is missing from the newer one. */
export function judgeMissing(oldIndex: number, view: ReachView): MissingVerdict {
  if (inUnseen(oldIndex, view)) return 'beyond_reach';
  if (view.sawWholeList) return 'removed';
  return oldIndex < view.oldestSharedIndex ? 'removed' : 'beyond_reach';
}

/** Whether a place of the older order lies where the newer walk stepped past a tied second (ReachView.unseen). */
export function inUnseen(oldIndex: number, view: ReachView): boolean {
  return unseenStretch(oldIndex, view) >= 0;
}

/** The stretch of ReachView.unseen a place of the older order lies in; -1: none. */
function unseenStretch(oldIndex: number, view: ReachView): number {
  return view.unseen?.findIndex(([low, high]) => oldIndex > low && oldIndex < high) ?? -1;
}

/**
 * Where in the newer order a follower missing at older place `oldIndex` stands when it lies where
 * the newer walk stepped past a tied second: before that walk's place returned (its hole's `to`);
 * undefined when it does not lie in one.
 */
export function unseenPlace(oldIndex: number, view: ReachView): number | undefined {
  const stretch = unseenStretch(oldIndex, view);
  return stretch < 0 ? undefined : view.unseenAt?.[stretch];
}

/** Whether a place of the newer order lies where the older walk stepped past a tied second (ReachView.unreadByOlder). */
export function inUnreadByOlder(newIndex: number, view: ReachView): boolean {
  return view.unreadByOlder?.some(([low, high]) => newIndex > low && newIndex < high) ?? false;
}

/**
 * The verdict on a follower at `newIndex` of the newer export whom the older one does not have (or
 * had as gone: a re-follow is added); `olderEnd`: how the older walk ended.
 */
export function judgeNew(newIndex: number, view: ReachView, olderEnd: WalkEnd): NewVerdict {
  if (inUnreadByOlder(newIndex, view)) return 'first_seen';
  if (sawWholeList(olderEnd) || view.oldestSharedNewerIndex < 0) return 'added';
  return newIndex > view.oldestSharedNewerIndex ? 'first_seen' : 'added';
}

/**
 * Shared followers side by side in the newer list, in the older list's order, that make a place
 * in the older list evidence of how far the newer walk went (see the head of this file). A
 * randomized model of small lists with many re-follows (lists of 2-40, reaches of 3-12, up to
 * three re-follows a night, often in their old order) called a follower who still follows gone in
 * 67 of 1,000 histories with pairs, 31 with runs of three, 10 with runs of three near each other;
 * lists of 30-600 in none, with any of them (and 0.6% fewer of the real departures found at once).
 */
export const IN_PLACE_RUN = 3;
/** How far apart in the older list two neighbours of a run may be: two followers gone between them. */
export const IN_PLACE_STEP = 3;

/**
 * The run a chained pair must end (see reachView): three or six re-followers in their old order,
 * two groups of them on top of a walk that ended before the followers who stayed, passed as a
 * chain and called every follower between their old places gone (a randomized model: up to
 * 4,317 in one history); ten side by side in their old order at once is a purge's stayers.
 */
export const CHAIN_RUN = 10;

/**
 * Builds the view from the newer export's uids in its order (newest first) and the position of a
 * uid in the older export (undefined when it is not there). One pass over `newerInOrder`, whose
 * items may be anything `olderIndexOf` takes (record-snapshot.ts gives the positions themselves).
 */
export function reachView<T = string>(
  newerInOrder: Iterable<T>,
  olderIndexOf: (uid: T) => number | undefined,
  newerEnd: WalkEnd,
  /** The newer walk's incomplete seconds: between which of its followers each one's unread rest stands (ascending). */
  holes: ReadonlyArray<readonly [number, number]> = [],
  /** The older walk's, in the older order. */
  olderHoles: ReadonlyArray<readonly [number, number]> = [],
  /** The last place of the older order (asked only when a run is followed by a follower the older list lacks). */
  olderLast: () => number = () => Infinity,
): ReachView {
  // Lower ends of runs in order, in the newer order: their older places and newer places.
  const pairIndex: number[] = [];
  const pairAt: number[] = [];
  const shared: number[] = [];
  const sharedAt: number[] = [];
  const unseen: Array<readonly [number, number]> = [];
  const unseenAt: Array<number | undefined> = [];
  // Each hole's lower bound: the older place of the last shared follower before its `from`.
  const lower: number[] = [];
  let hole = 0;
  // The run of shared followers so far: side by side in the newer list, in the older one's order.
  let run = 0;
  let previousIndex = -1;
  let previousAt = -2;
  let at = -1;
  // Runs followed at once, in the newer list, by a follower the older list lacks (see below).
  const blocked: boolean[] = [];
  for (const uid of newerInOrder) {
    at++;
    const index = olderIndexOf(uid);
    if (index === undefined) {
      // A follower new to the older list right below a run, while the older list goes on below
      // the run's place: in the older order the next one would be an older follower (or the
      // first seen, below its end), never a new one, who stands on top. So the run is not where
      // the newer walk reached: it is re-followers on top in their old order (three of
      // yesterday's newest, then the night's new followers, a --limit or a full reach ending
      // among them), and no evidence.
      const last = pairAt.length - 1;
      if (last >= 0 && pairAt[last] === at - 1 && !blocked[last] && pairIndex[last]! < olderLast()) {
        // The whole run, when it is shorter than a purge's stayers (CHAIN_RUN): an earlier pair of
        // it held its neighbours all the same (five of yesterday's newest re-following in their
        // old order, every other one: the three between them were called gone). Not where the
        // older walk stepped past the rest of a tied second: the follower it lacks may be one of
        // that rest, below stayers who are evidence (their last pair only, as before).
        const whole = run < CHAIN_RUN && olderHoles.length === 0 ? run - IN_PLACE_RUN + 1 : 1;
        for (let p = last; p > last - whole && p >= 0; p--) blocked[p] = true;
      }
      continue;
    }
    for (let h = lower.length; h < holes.length && holes[h]![0] <= at; h++) lower.push(previousIndex);
    // Each hole behind this follower lies between it and the shared follower before the hole's from.
    for (; hole < holes.length && holes[hole]![1] <= at; hole++) {
      // (Kept even with no whole place between its ends: a follower a walk held in a tied second
      // stands half a place above the row it was held before, record-snapshot.ts.)
      if (index > lower[hole]!) {
        unseen.push([lower[hole]!, index]);
        unseenAt.push(holes[hole]![1]);
      }
    }
    shared.push(index);
    sharedAt.push(at);
    run = at === previousAt + 1 && index > previousIndex && index - previousIndex <= IN_PLACE_STEP ? run + 1 : 1;
    if (run >= IN_PLACE_RUN) {
      pairIndex.push(index);
      pairAt.push(at);
    }
    previousIndex = index;
    previousAt = at;
  }
  // A hole below the last shared follower: everything below it in the older order is unread.
  // (No place to hold its followers at: below the last shared follower, those the walk stepped
  // past are not told from those below its end.)
  if (hole < holes.length) {
    unseen.push([lower[hole] ?? previousIndex, Infinity]);
    unseenAt.push(undefined);
  }
  // Each of the older walk's holes, in the newer order: between the shared follower that stood
  // last before it in the older order and the one that stood first after it.
  const unreadByOlder: Array<readonly [number, number]> = [];
  for (const [from, to] of olderHoles) {
    let low = -1;
    let lowIndex = -1;
    let high = Infinity;
    let highIndex = Infinity;
    // The shared follower of the hole's page (its older place from `from` on, the least), in the
    // newer order: not any from there on, as a re-follower from below stands on top of the newer list.
    let firstFrom = Infinity;
    let firstFromIndex = Infinity;
    for (let s = 0; s < shared.length; s++) {
      const index = shared[s]!;
      if (index < from && index > lowIndex) [low, lowIndex] = [sharedAt[s]!, index];
      if (index >= to && index < highIndex) [high, highIndex] = [sharedAt[s]!, index];
      if (index >= from && index < to && index < firstFromIndex) [firstFrom, firstFromIndex] = [sharedAt[s]!, index];
    }
    // A hole in the older list's newest second (nothing shared above its page): the followers
    // who came since stand above that second in the newer list, not in it, so the stretch starts
    // at the shared follower of its page (25 new followers on top were all called first seen).
    // None shared there: the newer walk never came down to the hole.
    if (lowIndex < 0) {
      if (firstFrom === Infinity) continue;
      low = firstFrom - 1;
    }
    if (high > low + 1) unreadByOlder.push([low, high]);
  }
  const holesOf = { ...(unseen.length ? { unseen, unseenAt } : {}), ...(unreadByOlder.length ? { unreadByOlder } : {}) };
  // The last pair in the newer order whose old neighbours the newer list mostly holds, or that
  // ends a run of CHAIN_RUN the newer list reached from such a pair reading the older one in its
  // order, nothing else between (chained).
  // (Sorted as numbers by the typed array's own sort: a comparator's calls were most of this
  // function's time on 100,000 shared followers.)
  const sorted = Float64Array.from(shared).sort();
  const holds = (p: number) => 2 * sharedUpTo(sorted, pairIndex[p]!) >= pairIndex[p]! + 1;
  // Most walks: the last pair holds its neighbours itself, and no pass over the pairs is needed.
  const last = pairIndex.length - 1;
  let chosen = last >= 0 && !blocked[last] && holds(last) ? last : -1;
  let chained = false;
  let best = -1;
  // Else the runs again, over the shared followers in the newer order (each run of IN_PLACE_RUN
  // or more ends a pair, in the order they were found). Not kept during the pass above: each
  // pair's place and length, kept, were a third of this function's time on 100,000 shared
  // followers, and they are asked for rarely.
  for (let s = 0, p = -1, length = 0; chosen < 0 && s < shared.length; s++) {
    const inOrder = s > 0 && shared[s]! > shared[s - 1]! && sharedAt[s] === sharedAt[s - 1]! + 1;
    // A shared follower out of the older order, or one the older list lacks before it: the newer
    // list did not read the older one in order down to here (a re-follower, a repeat, new
    // followers below re-followers).
    if (s > 0 && !inOrder) chained = false;
    length = inOrder && shared[s]! - shared[s - 1]! <= IN_PLACE_STEP ? length + 1 : 1;
    if (length < IN_PLACE_RUN) continue;
    p++;
    if (blocked[p]) continue; // (the follower below it breaks the chain: see above)
    if ((chained && length >= CHAIN_RUN) || holds(p)) {
      best = p;
      chained = true;
    }
  }
  if (chosen < 0) chosen = best;
  if (chosen >= 0) return { sawWholeList: sawWholeList(newerEnd), oldestSharedIndex: pairIndex[chosen]!, oldestSharedNewerIndex: pairAt[chosen]!, ...holesOf };
  return { ...NOTHING_SEEN, sawWholeList: sawWholeList(newerEnd), ...holesOf };
}

/** How many of the sorted older places are at most `index`. */
function sharedUpTo(sorted: Float64Array, index: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! <= index) low = middle + 1;
    else high = middle;
  }
  return low;
}
