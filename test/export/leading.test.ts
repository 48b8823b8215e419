/**
 * Leading (src/export/pager.ts): the request for the next page is sent as soon as an answer's
 * head names its cursor, before the answer is parsed, and used only when the verdict on the
 * parsed answer sends that cursor with no wait. Proven with counts and the order of events, not
 * with time: a scripted API records each request, each "parse" and each abort.
 */
import { describe, expect, test } from 'vitest';
import type { FollowersPage } from '../../src/api/types.js';
import { type FetchedPage, type Page, type PagerOptions, pages } from '../../src/export/pager.js';
import { follower } from '../helpers/followers.js';
import type { StopSignal } from '../../src/stop-signal.js';

function answer(uids: string[], minTime: number, hasMore = true): FollowersPage {
  return { code: 200, msg: '成功', statusCode: 0, hasMore, minTime, total: 8229668, followers: uids.map(follower) };
}

/**
 * An API answering `reply(cursor)`. Like the client, it tells onArrived the answer's next cursor
 * (when the answer plainly names one) before the answer is "parsed", and records what happens.
 */
function scriptedApi(reply: (cursor: number) => FollowersPage) {
  const events: string[] = [];
  const sent: number[] = [];
  const fetchPage = async (cursor: number, signal: StopSignal, onArrived?: (next: number) => boolean): Promise<FetchedPage> => {
    sent.push(cursor);
    events.push(`send ${cursor}`);
    signal.addEventListener('abort', () => events.push(`abort ${cursor}`), { once: true });
    // The round trip: longer than the parse below (one turn), as on a real network.
    for (let turn = 0; turn < 4; turn++) await new Promise((resolve) => setImmediate(resolve));
    const page = reply(cursor);
    if (onArrived && page.hasMore && page.minTime !== undefined && page.minTime > 0 && page.followers?.length) {
      if (onArrived(page.minTime)) await new Promise((resolve) => setImmediate(resolve));
    }
    if (signal.aborted) throw signal.reason;
    events.push(`parsed ${cursor}`);
    return page;
  };
  return { events, sent, fetchPage };
}

const fast = { sleep: async () => {}, random: () => 0.5 } satisfies Partial<PagerOptions>;

async function walk(options: PagerOptions, stopAfter = Infinity): Promise<Page[]> {
  const out: Page[] = [];
  for await (const page of pages(options)) {
    out.push(page);
    if (out.length >= stopAfter) break;
  }
  return out;
}

const uidsOf = (result: Page[]) => result.flatMap((page) => page.followers.map((f) => f.uid));
/** A list of `pages` pages of 2 followers, cursor 1000 - 10 k for page k, ending with has_more false. */
const plainList = (count: number) => (cursor: number) => {
  const k = cursor === 0 ? 0 : (1000 - cursor) / 10;
  return answer([`a${k}`, `b${k}`], 1000 - 10 * (k + 1), k + 1 < count);
};

describe('leading', () => {
  test('a plain walk sends each cursor once, and each next request before the answer before it is parsed', async () => {
    const api = scriptedApi(plainList(5));
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast });
    expect(uidsOf(result)).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'a4', 'b4']);
    expect(api.sent).toEqual([0, 990, 980, 970, 960]);
    expect(api.events.filter((e) => e.startsWith('abort'))).toEqual([]);
    // The overlap itself: "send" of the next page comes before "parsed" of the page before it.
    for (const [before, next] of [[0, 990], [990, 980], [980, 970], [970, 960]]) {
      expect(api.events.indexOf(`send ${next}`)).toBeLessThan(api.events.indexOf(`parsed ${before}`));
    }
  });

  test('the same pages and requests as a walk that never leads', async () => {
    const leading = scriptedApi(plainList(6));
    const plain = scriptedApi(plainList(6));
    const a = await walk({ fetchPage: leading.fetchPage, pageSize: 2, ...fast });
    const b = await walk({ fetchPage: (cursor, signal) => plain.fetchPage(cursor, signal), pageSize: 2, ...fast });
    expect(a.map(({ number, cursor, next, end }) => ({ number, cursor, next, end }))).toEqual(
      b.map(({ number, cursor, next, end }) => ({ number, cursor, next, end })),
    );
    expect(leading.sent).toEqual(plain.sent);
  });

  test('a page of followers already seen: the lead is aborted, the walk waits and asks that cursor itself', async () => {
    // Page 2 repeats page 1's followers with a lower cursor (nothing new while the cursor moves).
    const api = scriptedApi((cursor) => {
      if (cursor === 0) return answer(['a', 'b'], 990);
      if (cursor === 990) return answer(['a', 'b'], 980);
      if (cursor === 980) return answer(['c', 'd'], 970);
      return answer(['e'], 960, false);
    });
    const waits: number[] = [];
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast, sleep: async (ms) => void waits.push(ms) });
    expect(uidsOf(result)).toEqual(['a', 'b', 'c', 'd', 'e']);
    // The lead sent on page 990's head was dropped: the barren page asks 980 again after a wait.
    expect(api.events).toContain('abort 980');
    expect(waits).toHaveLength(1);
    expect(api.sent).toEqual([0, 990, 980, 980, 970]);
  });

  test('no lead near the limit: a walk to --limit sends no request past the one it needs', async () => {
    const api = scriptedApi(plainList(50));
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, limit: 10, ...fast });
    expect(uidsOf(result)).toHaveLength(10);
    expect(api.sent).toEqual([0, 990, 980, 970, 960]);
  });

  test('no lead while updating a file (--update)', async () => {
    const api = scriptedApi(plainList(4));
    await walk({ fetchPage: api.fetchPage, pageSize: 2, known: () => false, caughtUp: () => false, ...fast });
    for (const [before, next] of [[0, 990], [990, 980], [980, 970]]) {
      expect(api.events.indexOf(`send ${next}`)).toBeGreaterThan(api.events.indexOf(`parsed ${before}`));
    }
  });

  test('a consumer that stops early aborts the request sent ahead', async () => {
    const api = scriptedApi(plainList(10));
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast }, 1);
    expect(result).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(api.sent).toEqual([0, 990]);
    expect(api.events).toContain('abort 990');
  });
});
