/**
 * What the followers API serves, as far as can be told from outside (shared/api/README.md):
 * pages of 20 followers, and only the newest ~5,000 followers of an account, whatever the
 * profile's count (`data.total`) says. `tkf info`'s estimate and the progress bar's goal both
 * come from here, so the two never disagree.
 */

/** Followers in one page (`data.followers`). */
export const PAGE_SIZE = 20;

/**
 * How deep TikTok serves a follower list through the app API this vendor wraps (about 10,000 on
 * the web). Past it the API answers `min_time: -1` with an empty list. An estimate, not a law:
 * a walk that goes past it is believed over this number.
 */
export const DEPTH_CAP = 5000;

/** Followers an export can expect of a profile that reports `total`: the count, cut at the cap. */
export function expectedFollowers(total: number): number {
  return Math.min(Math.max(0, total), DEPTH_CAP);
}

/** Requests a full export costs: `all` if the whole list were served, `served` with the cap. */
export function estimateRequests(total: number): { all: number; served: number } {
  // One request per page; a list cut by the depth cap costs one more, the one answering -1.
  const all = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return { all, served: total > DEPTH_CAP ? Math.ceil(DEPTH_CAP / PAGE_SIZE) + 1 : all };
}

/** What a walk is known to be after: the counts so far and what bounds them. */
export interface WalkState {
  /** Rows in the output so far (rows of a resumed file included). */
  rows: number;
  /** The profile's follower count, if the API reported it. */
  total: number | undefined;
  /** --limit: the output stops at this many rows. */
  limit?: number;
  /** The walk has ended (its last page is in). */
  done?: boolean;
  /** The walk ends at a point nobody can tell in advance (--update stops at the first known follower). */
  open?: boolean;
}

/**
 * How many rows the walk will end with, as well as can be told now, or undefined when that is
 * not known. Until the walk reaches it, it is min(total, the depth cap, --limit); once the walk has
 * passed that estimate without ending, the estimate was wrong and no goal is claimed; once the
 * walk has ended, the goal is what it got. An open walk (--update) has no goal.
 */
export function expectedRows(state: WalkState): number | undefined {
  if (state.open) return undefined;
  if (state.done) return state.rows;
  const limit = state.limit ?? Infinity;
  if (state.total === undefined) return Number.isFinite(limit) ? limit : undefined;
  const goal = Math.min(expectedFollowers(state.total), limit);
  // At the estimate exactly, it still holds: a capped list's last page brings the count to the cap
  // and the walk ends with the next answer (min_time -1); claiming no goal there flipped the bar
  // to a spinner for that one answer.
  return state.rows <= goal ? goal : undefined;
}

/** A uid as tkf takes one: decimal digits kept as text, 19 today (exceeds 2^53), at most 20. */
export const UID_PATTERN = /^\d{1,20}$/;
