/**
 * The pages of one simulated list. `page(cursor)` is a pure function of the cursor (the seed,
 * scenario and clock being fixed), which is what lets the server cache rendered pages.
 *
 * Paging, as TikTok does it (shared/api/README.md):
 * - cursor 0 (or -1, or absent) is the newest page; cursor C answers the followers who followed
 *   strictly before C, pageSize of them, newest first;
 * - min_time is the follow time of the page's last follower (the next cursor), max_time of its first;
 * - has_more is false on the last page of a list that ends before the depth cap; when the cap is
 *   reached, has_more stays true and the next request answers min_time/max_time -1 with no
 *   followers, and a client that sends -1 back is served the newest page again.
 */
import { changingListPages, isChangingList } from './changing-list.js';
import { listEnvelope, hiddenEnvelope, missingEnvelope, stampFor, type ListAnswer } from './envelopes.js';
import { followTimes, tiedFollowTimes } from './follow-times.js';
import { renderFollower } from './render-follower.js';
import { hashString, randomFor } from './seeded-random.js';
import type { UserScenario } from './simulator-options.js';

const SALT_DUPLICATES = 0x64757073;
const DEFAULT_PAGE_SIZE = 20;

export interface ListPages {
  /**
   * The answer to a cursor; cursor <= 0 means the newest page. `from`, when given, is where the
   * answer starts instead of where the cursor points (the hidden offset of cursorMode 'offset').
   */
  page(cursor: number, from?: number): Buffer;
  /** Where the answer to `cursor` (from `from`) ends and the cursor it hands back. */
  extent(cursor: number, from?: number): { end: number; minTime: number };
  /** What TikTok answers under silent rate limiting: HTTP 200, no followers, has_more true,
   * min_time = the requested cursor, so the client is not moved on. */
  emptyPage(cursor: number): Buffer;
}

export function listPages(seed: number, uid: string, scenario: UserScenario, now: number): ListPages {
  // Unfollows, re-follows and a sliding cap: a list that changed since an earlier export.
  if (isChangingList(scenario) && (scenario.status ?? 'public') === 'public') return changingListPages(seed, uid, scenario, now);
  const listHash = hashString(uid);
  const pageSize = Math.max(1, scenario.pageSize ?? DEFAULT_PAGE_SIZE);
  const times = scenario.ties ? tiedFollowTimes(now, scenario.ties) : followTimes(seed, uid, pageSize, now);
  const mode = scenario.cursorMode ?? 'exclusive';
  // The block model's pages end on block boundaries; explicit ties and non-exclusive cursors need
  // pages that start anywhere, so those are simply pageSize long.
  const freeform = scenario.ties !== undefined || mode !== 'exclusive' || scenario.minTimeNewest === true;
  const loose = scenario.looseTypes ?? false;
  const { cap } = scenario;
  // A list cut early (endsAfterPage) ends there with has_more false; its total still says more.
  const size = scenario.endsAfterPage === undefined ? scenario.size : Math.min(scenario.size, Math.max(1, scenario.endsAfterPage) * pageSize);
  // Followers #0..#skip-1 have not followed yet: the same list some time earlier.
  const skip = Math.max(0, scenario.notYetFollowed ?? 0);
  // The profile's count is of who follows now: not the newest `skip`, who have not followed yet.
  const total = scenario.total ?? Math.max(0, scenario.size - skip);
  const stamp = (cursor: number) => stampFor(now, seed, listHash, cursor);

  /** Where the answer to a cursor starts: before it, or at-or-before it for an inclusive API. */
  function startOf(cursor: number): number {
    if (cursor <= 0) return 0;
    return times.firstBefore(mode === 'inclusive' ? cursor + 1 : cursor);
  }

  /** Which followers answer `cursor`, and what the envelope says about them. */
  function plan(cursor: number, from?: number): ListAnswer & { indices: number[] } {
    let start = Math.max(from ?? startOf(cursor), skip);
    if (cap !== undefined && start >= cap && size >= cap) {
      // Past the depth cap: TikTok's -1 answer. -1 sent back as a cursor restarts the list.
      return { indices: [], maxTime: -1, minTime: -1, hasMore: true, offset: cap };
    }
    // Pages end on block boundaries (ties never straddle them), even when the list starts
    // mid-block (notYetFollowed): then the first page is just shorter.
    const stuck = scenario.stuckAfterPage !== undefined && Math.floor(start / pageSize) + 1 >= scenario.stuckAfterPage;
    // A stuck list serves the page it got stuck on, again and again, whatever the cursor.
    if (stuck) start = Math.max(start - (start % pageSize), (scenario.stuckAfterPage! - 1) * pageSize);
    // A repeating list serves page repeatFromPage again and again, its cursor one second lower each time.
    const repeating = !stuck && cursor > 0 && scenario.repeatFromPage !== undefined && Math.floor(start / pageSize) + 1 >= scenario.repeatFromPage;
    if (repeating) start = (Math.max(1, scenario.repeatFromPage!) - 1) * pageSize;
    const blockEnd = freeform ? start + pageSize : (Math.floor(start / pageSize) + 1) * pageSize;
    const end = Math.min(blockEnd, size, cap ?? Infinity);
    if (end <= start) return { indices: [], maxTime: 0, minTime: 0, hasMore: false, offset: start };

    const indices: number[] = [];
    for (let i = start; i < end; i++) indices.push(i);
    mixInEarlierFollowers(indices, start);
    // A tie at the boundary: the previous page's last follower followed at exactly `cursor`.
    if (scenario.boundaryDuplicates && start > skip && times.timeOf(start - 1) === cursor) indices.unshift(start - 1);

    return {
      indices,
      maxTime: times.timeOf(indices[0]!),
      // A stuck list hands the requested cursor back, so the client never moves on.
      minTime: stuck ? cursor : repeating ? cursor - 1 : scenario.minTimeNewest ? times.timeOf(start) : times.timeOf(end - 1),
      // Reaching the cap is not the end as far as TikTok can tell: has_more stays true.
      hasMore: end < size || (cap !== undefined && end >= cap),
      offset: end,
    };
  }

  /** "The same results on random pages": 1-3 followers of earlier pages, anywhere but last
   * (the last one carries min_time, the cursor). */
  function mixInEarlierFollowers(indices: number[], start: number): void {
    const probability = scenario.randomDuplicates ?? 0;
    if (probability <= 0 || start <= skip) return;
    const random = randomFor(SALT_DUPLICATES, seed, listHash, start);
    if (random() >= probability) return;
    const count = 1 + Math.floor(random() * 3);
    for (let k = 0; k < count; k++) {
      const earlier = servable(skip + Math.floor(random() * (start - skip)));
      indices.splice(Math.floor(random() * indices.length), 0, earlier);
    }
  }

  /**
   * A follower some request can be answered with: what is repeated are results, and a cursor
   * (one second) reaches only the first pageSize followers of its second, so in a tied second
   * longer than a page the rest is served by no page (shared/api/README.md); a hidden offset
   * reaches all. Another follower of that second's first page stands in for one of the rest.
   */
  function servable(index: number): number {
    if (mode === 'offset') return index;
    const first = Math.max(skip, times.firstBefore(times.timeOf(index) + 1));
    return index - first < pageSize ? index : first + ((index - first) % pageSize);
  }

  return {
    page(cursor, from) {
      if (scenario.status === 'private') return hiddenEnvelope(stamp(cursor), loose);
      if (scenario.status === 'missing') return missingEnvelope(stamp(cursor), loose);
      const answer = plan(cursor, from);
      // Encoded one follower at a time: a non-ASCII nickname makes a string two-byte, and
      // encoding one page-sized two-byte string costs twice as much as twenty small ones.
      const followers = answer.indices.map((index) => Buffer.from(renderFollower(seed, uid, index, scenario)));
      return listEnvelope(answer, followers, total, stamp(cursor), 0, loose);
    },
    extent(cursor, from) {
      const answer = plan(cursor, from);
      return { end: answer.offset, minTime: answer.minTime };
    },
    emptyPage(cursor) {
      const offset = startOf(cursor);
      const answer = { maxTime: cursor, minTime: cursor, hasMore: true, offset };
      return listEnvelope(answer, [], total, stamp(cursor), 0, loose);
    },
  };
}
