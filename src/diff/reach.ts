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
 * - the newer walk reached the end of the list (`end: 'complete'`: `has_more` false), so it saw
 *   everything the API holds; or
 * - the follower stood, in the older export's order, newer than the oldest follower both exports
 *   share: the newer walk went past that position.
 *
 * "The oldest follower both share" is the shared follower that comes *last in the newer export*:
 * that is how far down the newer walk went. Taking the shared follower that comes last in the
 * older export instead would be wrong after a re-follow: a follower from the bottom of yesterday's
 * list who unfollowed and followed again stands on top of today's, shared by both, and would make
 * every follower above its old position look seen, and so gone.
 *
 * Everyone else is beyond reach: counted and listed apart, never called gone. With no follower in
 * common and no end of list, nothing can be called gone. A newer export whose end is unknown (no
 * manifest) did not prove that it reached the end of the list.
 *
 * A re-follow (gone, then back on top of a later export) is an ordinary `added` there: this rule
 * only judges followers who are missing.
 */

/** Why a walk ended, as a manifest records it (`end`): only 'complete' means the whole list. */
export type WalkEnd = 'complete' | 'cap' | 'limit' | 'caught-up' | (string & {}) | null | undefined;

export type MissingVerdict = 'removed' | 'beyond_reach';

/** What the newer export saw of the older one's list. */
export interface ReachView {
  /** The newer walk reached the end of the list (has_more false). */
  sawWholeList: boolean;
  /**
   * Position (0-based, in the older export's newest-first order) of the oldest follower the two
   * exports share; -1 when they share none.
   */
  oldestSharedIndex: number;
}

export function sawWholeList(end: WalkEnd): boolean {
  return end === 'complete';
}

/** The verdict on a follower at `oldIndex` of the older export who is missing from the newer one. */
export function judgeMissing(oldIndex: number, view: ReachView): MissingVerdict {
  if (view.sawWholeList) return 'removed';
  return oldIndex < view.oldestSharedIndex ? 'removed' : 'beyond_reach';
}

/**
 * Builds the view from the newer export's uids in its order (newest first) and the position of a
 * uid in the older export (undefined when it is not there). One pass over `newerInOrder`, whose
 * items may be anything `olderIndexOf` takes (record-snapshot.ts gives the positions themselves).
 */
export function reachView<T = string>(newerInOrder: Iterable<T>, olderIndexOf: (uid: T) => number | undefined, newerEnd: WalkEnd): ReachView {
  let oldestSharedIndex = -1;
  for (const uid of newerInOrder) {
    const index = olderIndexOf(uid);
    if (index !== undefined) oldestSharedIndex = index;
  }
  return { sawWholeList: sawWholeList(newerEnd), oldestSharedIndex };
}
