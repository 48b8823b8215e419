/**
 * The walk's types: a page as the pager yields it, and the pager's options (pager.ts says the
 * rules; walk-verdicts.ts applies them).
 */
import type { FollowersPage, RawFollower } from '../api/types.js';
import type { Reentry } from '../output/checkpoint.js';
import type { EndReason } from '../output/page-target.js';
import type { CaughtUpFacts } from '../output/update-base.js';
import type { SeenWindow } from './seen-window.js';
import type { StopSignal } from '../stop-signal.js';

// What the file store keeps of a walk (where it ended, where to re-enter, when an update has
// caught up) is defined beside the store, which must not import the walk.
export type { CaughtUpFacts, EndReason, Reentry };

export interface Page {
  /** 1-based number of this answer in the walk. */
  number: number;
  /** The cursor that was sent for it. */
  cursor: number;
  /** The cursor to send next, or null on the last page. */
  next: number | null;
  /** Set on the last page: why the walk ended. */
  end?: EndReason;
  /** Followers not seen before in this run (or the run it resumes), in the API's order. */
  followers: RawFollower[];
  /** Followers on the page that had been seen before. */
  duplicates: number;
  /** Followers on the page that `known` skipped (already in the file being updated). */
  known?: number;
  /** The page's follow times as the API reported them (data.max_time, data.min_time). */
  maxTime?: number;
  minTime?: number;
  /** The profile's follower count as the API reported it on this page. */
  total: number | undefined;
  /**
   * Set when this page showed that the rest of a second held by more followers than a page is out
   * of reach: the API answered it inclusively (the same page again; the walk stepped past it) or
   * exclusively (the next answer started below a full page of that one second).
   */
  tiedSecond?: number;
  /** Set when `next` is inside a tied second: a walk resumed after this page re-enters it here. */
  reenter?: Reentry;
  /**
   * Set when this answer came only after a failed try at the cursor the walk followed and was set
   * aside (walk-verdicts.ts lostInside: a hidden offset may have moved past an answer lost on the
   * way): the second is re-entered. Neither it nor the re-entry it causes (when that brings
   * nothing new) is the API repeating itself (run-export.ts lost effort).
   */
  setAside?: boolean;
  /** Set on the last page when the list ended (confirmed once) below half of what the API reports. */
  short?: { rows: number; expected: number };
}

export interface StuckNotice {
  cursor: number;
  attempt: number;
  retries: number;
  waitMs: number;
  reason: string;
}

/** An answer, and whether the client had to retry it (a failure came first: the answer may be a second one; FollowersPage.lastFailure says why). */
export type FetchedPage = FollowersPage & { afterFailure?: boolean };

export interface PagerOptions {
  /**
   * One answer. `onArrived`, when given, is told the next cursor the answer names before it is
   * parsed (api/client.ts), so the walk may send the next request early.
   */
  fetchPage: (cursor: number, signal: StopSignal, onArrived?: (next: number) => boolean) => Promise<FetchedPage>;
  /** Cursor of the first request: 0, or a checkpoint's cursor on resume. */
  startCursor?: number;
  /** Resume inside a tied second: re-enter it from its start instead of sending startCursor. */
  reenter?: Reentry;
  /** uids already written (seeded from a checkpoint on resume). */
  seen?: SeenWindow;
  /** Stop after this many new followers. */
  limit?: number;
  /** Followers already in the file (--update): skipped, counted in `known`, never a stop. */
  known?: (uid: string) => boolean;
  /** Asked after each page: true ends the walk there, `end: 'caught-up'` (--update's rule). */
  caughtUp?: (page: CaughtUpFacts) => boolean;
  /** Followers in a full page (the vendor documents 20): see the tied-second rule above. */
  pageSize?: number;
  /** Re-asks of a page that does not move the walk on, before giving up. */
  stuckRetries?: number;
  stuckWaitMs?: number;
  onStuck?: (notice: StuckNotice) => void;
  /**
   * Check that an end is not far below what the API reports: `rowsBefore` rows were in the output
   * before this walk, `cap` is the depth cap, `waitMs` the pause before asking once more.
   */
  shortEnd?: { rowsBefore: number; cap: number; waitMs: number };
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: StopSignal) => Promise<void>;
  random?: () => number;
}
