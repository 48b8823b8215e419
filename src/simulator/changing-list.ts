/**
 * A list that has changed since an earlier export, and a depth cap that slides with it
 * (shared/api/README.md, "The reach slides" and "Re-follows").
 *
 * The base list is follower #0 (newest) .. #size-1, with the follow times of follow-times.ts.
 * On top of what UserScenario.notYetFollowed already does (the newest n have not followed yet:
 * the same list some time earlier), a changing list knows:
 *
 * - `unfollowed`: followers (by number) who left; they are not served;
 * - `refollowed`: followers who unfollowed and followed again: served on top of the list, newest
 *   first in the order given, with follow times newer than `now` (now + 1, now + 2, ...);
 * - `slidingCap`: the depth cap counts from the newest follower served *now*, as TikTok's does:
 *   the reach is the newest `cap` followers of the current list, so 300 new followers on top push
 *   the 300 oldest reachable ones of yesterday past it.
 *
 * Exporting with `{ notYetFollowed: 300, slidingCap: true, cap: 1000 }` and then with
 * `{ unfollowed: [500], slidingCap: true, cap: 1000 }` is the story of issue 16: 300 new
 * followers, one real unfollow, and 299 followers that slid past the reach. `accountOnDay` below
 * builds such a sequence of days for tests.
 *
 * The served list is kept as an array of follower numbers (tests use lists of a few thousand), and
 * the cursor is exclusive (followers strictly before it). A page never ends inside a second: it is
 * extended over the followers that share its last follower's second (at most 4 more), so an
 * exclusive cursor loses nobody.
 */
import { listEnvelope, stampFor, type ListAnswer } from './envelopes.js';
import { followTimes } from './follow-times.js';
import { renderFollower } from './render-follower.js';
import { hashString } from './seeded-random.js';
import type { UserScenario } from './simulator-options.js';

const DEFAULT_PAGE_SIZE = 20;

/** Whether a scenario needs this model rather than list-pages.ts's fixed one. */
export function isChangingList(scenario: UserScenario): boolean {
  return Boolean(scenario.slidingCap || scenario.unfollowed?.length || scenario.refollowed?.length);
}

export function changingListPages(seed: number, uid: string, scenario: UserScenario, now: number) {
  const pageSize = Math.max(1, scenario.pageSize ?? DEFAULT_PAGE_SIZE);
  const times = followTimes(seed, uid, pageSize, now);
  const refollowed = scenario.refollowed ?? [];
  const left = new Set([...(scenario.unfollowed ?? []), ...refollowed]);
  const skip = Math.max(0, scenario.notYetFollowed ?? 0);
  const served: number[] = [...refollowed];
  const followTime: number[] = refollowed.map((_, k) => now + refollowed.length - k);
  for (let index = skip; index < scenario.size; index++) {
    if (left.has(index)) continue;
    served.push(index);
    followTime.push(times.timeOf(index));
  }
  // The profile's count is of who follows now: those not followed yet and those who left are not.
  const total = scenario.total ?? served.length;
  // The reach: the newest `cap` followers of the list as it is now (or a fixed cap at #cap).
  const reach = scenario.cap === undefined ? served.length : scenario.slidingCap ? scenario.cap : served.filter((i) => i < scenario.cap!).length;
  const listHash = hashString(uid);

  function plan(cursor: number): ListAnswer & { positions: number[] } {
    // Follow times fall along the list: the first follower strictly before the cursor.
    let start = 0;
    if (cursor > 0) {
      let high = served.length;
      while (start < high) {
        const middle = (start + high) >> 1;
        if (followTime[middle]! < cursor) high = middle;
        else start = middle + 1;
      }
    }
    if (start >= reach && served.length >= reach && scenario.cap !== undefined) {
      return { positions: [], maxTime: -1, minTime: -1, hasMore: true, offset: reach };
    }
    // A list cut early (endsAfterPage): has_more false there, its total still says more.
    const cut = scenario.endsAfterPage === undefined ? served.length : Math.min(served.length, Math.max(1, scenario.endsAfterPage) * pageSize);
    const last = Math.min(cut, reach);
    let end = Math.min(start + pageSize, last);
    while (end > start && end < last && followTime[end] === followTime[end - 1]) end++;
    if (end <= start) return { positions: [], maxTime: 0, minTime: 0, hasMore: false, offset: start };
    const positions: number[] = [];
    for (let p = start; p < end; p++) positions.push(p);
    return {
      positions,
      maxTime: followTime[start]!,
      minTime: followTime[end - 1]!,
      hasMore: end < cut,
      offset: end,
    };
  }

  return {
    page(cursor: number): Buffer {
      const answer = plan(cursor);
      const followers = answer.positions.map((p) => Buffer.from(renderFollower(seed, uid, served[p]!, scenario)));
      return listEnvelope(answer, followers, total, stampFor(now, seed, listHash, cursor), 0, scenario.looseTypes ?? false);
    },
    extent(cursor: number) {
      const answer = plan(cursor);
      return { end: answer.offset, minTime: answer.minTime };
    },
    emptyPage(cursor: number): Buffer {
      const answer = { maxTime: cursor, minTime: cursor, hasMore: true, offset: 0 };
      return listEnvelope(answer, [], total, stampFor(now, seed, listHash, cursor), 0, scenario.looseTypes ?? false);
    },
  };
}

/**
 * One account over several days, for tests of diffs and history: on day 0 the list holds the
 * followers #(days-1)*grow .. #size-1; each later day `grow` more followed on top, and the
 * followers named in `leave[d]` (by number) have left by day d (and stay gone). The depth cap,
 * when given, slides. Start a simulator with `{ users: { [uid]: accountOnDay(plan, d) } }` for
 * each day d in turn. (Re-follows are left out on purpose: their follow times are newer than
 * `now`, so a later day's new followers would look older than them; use `refollowed` for one
 * step.)
 */
export interface AccountPlan {
  size: number;
  days: number;
  grow: number;
  cap?: number;
  total?: number;
  /** Day (1 and up; day 0 is the first export) -> followers (by number) who left that day. */
  leave?: Record<number, number[]>;
}

export function accountOnDay(plan: AccountPlan, day: number): UserScenario {
  const unfollowed: number[] = [];
  for (let d = 1; d <= day; d++) unfollowed.push(...(plan.leave?.[d] ?? []));
  return {
    size: plan.size,
    ...(plan.total !== undefined ? { total: plan.total } : {}),
    ...(plan.cap !== undefined ? { cap: plan.cap } : {}),
    notYetFollowed: Math.max(0, (plan.days - 1 - day) * plan.grow),
    slidingCap: true,
    unfollowed,
  };
}
