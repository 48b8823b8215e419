/**
 * Walks the API's cursors and yields pages of new (de-duplicated) followers.
 *
 * The cursor is follow time: the first request sends cursor 0, each next one the previous page's
 * `data.min_time` (Unix seconds of its oldest follower), and the API answers the followers who
 * followed before it, newest first. The walk stops when:
 *
 * - `has_more` is false: the list is complete;
 * - the API hands back a cursor that is missing, 0 or negative: TikTok serves only the newest
 *   ~5,000 followers and then answers min_time -1 (or 0) with an empty list. Sending -1 or 0 back
 *   would start the list again from the top, so such a cursor is never sent (`end: 'cap'`);
 * - `limit` new followers have been yielded (`end: 'limit'`);
 * - `caughtUp` says, after a page, that the walk reached what the file already holds
 *   (`end: 'caught-up'`; the rule is --update's, in output/update-base.ts). Followers for which
 *   `known` is true (already in the file) are skipped on the way, never a stop: a re-follow puts
 *   a known follower on top of new ones.
 *
 * The cursor has one-second resolution, and a popular account gains more than a page of
 * followers in one second: the vendor's own sample answers `cursor=1631063752` with
 * `min_time == max_time == 1631063752`. So a cursor that did not move is not by itself a stuck
 * API (shared/api/README.md, "Many followers in one second"). The API may answer the same cursor
 * again in one of three ways, and the walk cannot know in advance which:
 *
 * - with the next followers of that second (a hidden offset): the page brings followers not seen
 *   before, so the same cursor is asked again, as long as each answer brings new ones;
 * - with the same page again (an inclusive cursor): nothing new, so the rest of that second is out
 *   of reach through this API. The walk steps one second down (cursor - 1), once per such second,
 *   and the page records the second (`tiedSecond`) so the export can say some followers were not
 *   reached (how many is unknown). One extra request per tied second;
 * - with older followers (an exclusive cursor): the cursor moved; nothing to do.
 *
 * A page that does not move the walk on for any other reason (empty with has_more true, as TikTok
 * answers under rate limiting; a cursor that went up; nothing new right after stepping down) is
 * asked again after a backoff, at most `stuckRetries` times in a row; then ApiUnavailableError. A
 * stuck API so costs a handful of requests, not an endless loop of paid ones.
 *
 * The request for the next page is sent before the current page is yielded, so writing a page
 * overlaps the round trip of the next. When the consumer stops early, the request in flight is
 * aborted.
 */
import { ApiUnavailableError } from './errors.js';
import type { FollowersPage, RawFollower } from './api/types.js';
import { SeenWindow } from './seen-window.js';
import { sleep as defaultSleep } from './sleep.js';

export type EndReason = 'complete' | 'cap' | 'limit' | 'caught-up';

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
   * Set when this page showed that the API answers a tied second inclusively (the same page
   * again): the second (a cursor value) whose remaining followers could not be reached. The walk
   * stepped past it.
   */
  tiedSecond?: number;
}

/** What `caughtUp` is told about a page. */
export interface CaughtUpFacts {
  /** data.min_time: the follow time the walk has reached (-1 / 0 past the cap). */
  minTime: number | undefined;
  /** Followers new to the file on this page, and those the file already held. */
  fresh: number;
  known: number;
}

export interface StuckNotice {
  cursor: number;
  attempt: number;
  retries: number;
  waitMs: number;
  reason: string;
}

export interface PagerOptions {
  fetchPage: (cursor: number, signal: AbortSignal) => Promise<FollowersPage>;
  /** Cursor of the first request: 0, or a checkpoint's cursor on resume. */
  startCursor?: number;
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
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** A cursor the API may be sent again: a positive whole number of seconds. */
function usableCursor(value: number | undefined): value is number {
  return value !== undefined && Number.isSafeInteger(value) && value > 0;
}

export async function* pages(options: PagerOptions): AsyncGenerator<Page, void, void> {
  const seen = options.seen ?? new SeenWindow();
  const stuckRetries = options.stuckRetries ?? 3;
  const stuckWaitMs = options.stuckWaitMs ?? 1000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const limit = options.limit ?? Infinity;
  // Aborts the request in flight when the consumer stops or the caller's signal fires.
  const inFlight = new AbortController();
  const onAbort = () => inFlight.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });

  if (options.signal?.aborted) throw options.signal.reason;
  let cursor = options.startCursor ?? 0;
  let yielded = 0;
  let stuck = 0;
  // The cursor was reached by stepping one second down from a tied second.
  let stepped = false;
  // The longest answer so far: a repeated answer shorter than a page is the end of the list (or
  // the depth cap) showing through, not a second with more followers than a page.
  let longest = 0;
  const pageSize = options.pageSize ?? 20;
  let number = 0;
  let pending: Promise<FollowersPage> | undefined = options.fetchPage(cursor, inFlight.signal);
  try {
    while (pending) {
      const answer: FollowersPage = await pending;
      pending = undefined;
      number++;

      const followers: RawFollower[] = [];
      let duplicates = 0;
      let known = 0;
      for (const follower of answer.followers ?? []) {
        if (yielded + followers.length >= limit) break;
        if (options.known?.(follower.uid)) known++;
        else if (seen.add(follower.uid)) followers.push(follower);
        else duplicates++;
      }
      yielded += followers.length;
      const caughtUp = options.caughtUp?.({ minTime: answer.minTime, fresh: followers.length, known }) ?? false;

      let next: number | null = null;
      let end: EndReason | undefined;
      let stuckReason: string | undefined;
      let tiedSecond: number | undefined;
      const empty = (answer.followers ?? []).length === 0;
      const minTime: number | undefined = answer.minTime;
      if (caughtUp) end = 'caught-up';
      else if (yielded >= limit) end = 'limit';
      else if (answer.hasMore === false) end = 'complete';
      else if (minTime === undefined || !Number.isSafeInteger(minTime) || minTime < -1) {
        // Only has_more false or the cap's -1 / 0 end a walk. The client already retried a page
        // whose cursor it could not read (envelope-fields.ts); this is the last line of defence.
        throw new ApiUnavailableError(`the API sent no usable cursor (data.min_time ${String(minTime)}) at cursor ${cursor}`);
      } else if (!usableCursor(minTime)) {
        // Past the depth cap (-1 or 0). On the very first page an empty answer is not the cap
        // but rate limiting: nothing has been served yet.
        if (empty && yielded === 0 && cursor === 0) stuckReason = 'an empty first page';
        else end = 'cap';
      } else if (empty) stuckReason = 'an empty page with has_more true';
      else if (cursor !== 0 && minTime > cursor) stuckReason = `a cursor that went up (${minTime})`;
      else if (cursor !== 0 && minTime === cursor) {
        if (followers.length > 0) next = cursor; // paging inside the second: ask it again
        else if (stepped) stuckReason = `no new followers after stepping past second ${cursor + 1}`;
        else if (cursor <= 1) stuckReason = `the same cursor ${cursor} again`;
        else {
          // The same page again: the rest of this second is out of reach. Never send 0 or -1.
          if ((answer.followers ?? []).length >= Math.min(pageSize, longest)) tiedSecond = cursor;
          next = cursor - 1;
        }
      } else next = minTime;

      longest = Math.max(longest, (answer.followers ?? []).length);
      if (stuckReason !== undefined) {
        stuck++;
        if (stuck > stuckRetries) {
          throw new ApiUnavailableError(
            `the API did not move past cursor ${cursor} in ${stuck} answers (last: ${stuckReason}); stopping rather than spending more requests`,
          );
        }
        const waitMs = Math.floor(stuckWaitMs * 2 ** (stuck - 1) * (0.5 + random() / 2));
        options.onStuck?.({ cursor, attempt: stuck, retries: stuckRetries, waitMs, reason: stuckReason });
        next = cursor;
        const again = cursor;
        pending = sleep(waitMs, inFlight.signal).then(() => options.fetchPage(again, inFlight.signal));
      } else {
        stuck = 0;
        stepped = next !== null && next === cursor - 1 && minTime === cursor;
        if (next !== null) pending = options.fetchPage(next, inFlight.signal);
      }
      // A rejected prefetch must not count as unhandled while the consumer writes this page.
      pending?.catch(() => {});

      const page: Page = { number, cursor, next, followers, duplicates, total: answer.total };
      if (options.known) page.known = known;
      if (answer.maxTime !== undefined) page.maxTime = answer.maxTime;
      if (answer.minTime !== undefined) page.minTime = answer.minTime;
      if (end) page.end = end;
      if (tiedSecond !== undefined) page.tiedSecond = tiedSecond;
      yield page;
      if (next === null) return;
      cursor = next;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (pending) inFlight.abort(new Error('the pager was stopped'));
  }
}
