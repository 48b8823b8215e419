import { describe, expect, test } from 'vitest';
import type { FollowersPage, RawFollower } from '../src/api/types.js';
import { ApiUnavailableError } from '../src/errors.js';
import { type Page, type PagerOptions, type StuckNotice, pages } from '../src/export/pager.js';
import { SeenWindow } from '../src/export/seen-window.js';

import { follower } from './helpers/followers.js';
import type { StopSignal } from '../src/stop-signal.js';

/** One API answer: these uids, this next cursor (min_time), has_more. */
function answer(uids: string[], minTime: number | undefined, hasMore: boolean | undefined = true): FollowersPage {
  return { code: 200, msg: '成功', statusCode: 0, hasMore, minTime, total: 8229668, followers: uids.map(follower) };
}

interface Call {
  cursor: number;
  signal: StopSignal;
}

/**
 * A fetchPage that hands out `script` answers in order (or asks a function) and records every
 * request. A request past the script fails the walk, so an extra paid request cannot go unseen.
 */
function fakeApi(script: FollowersPage[] | ((cursor: number, call: number) => FollowersPage | Promise<FollowersPage>)) {
  const calls: Call[] = [];
  const fetchPage = async (cursor: number, signal: StopSignal): Promise<FollowersPage> => {
    calls.push({ cursor, signal });
    if (typeof script === 'function') return script(cursor, calls.length);
    const next = script[calls.length - 1];
    if (!next) throw new Error(`unexpected request #${calls.length} at cursor ${cursor}`);
    return next;
  };
  return { calls, fetchPage, cursors: () => calls.map((call) => call.cursor) };
}

/** Settles only when the signal aborts, rejecting with its reason (a request in flight). */
function hangUntilAborted(signal: StopSignal): Promise<FollowersPage> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

const fast = { sleep: async () => {}, random: () => 0.5 } satisfies Partial<PagerOptions>;

async function walk(options: PagerOptions): Promise<Page[]> {
  const out: Page[] = [];
  for await (const page of pages(options)) out.push(page);
  return out;
}

const uidsOf = (page: Page) => page.followers.map((f) => f.uid);

describe('pages: cursors', () => {
  test('sends 0 first, then each page’s min_time, and stops on has_more false', async () => {
    const api = fakeApi([answer(['1', '2'], 300), answer(['3', '4'], 200), answer(['5'], 100, false)]);
    const result = await walk({ fetchPage: api.fetchPage, ...fast });
    expect(api.cursors()).toEqual([0, 300, 200]);
    expect(result.map((p) => [p.number, p.cursor, p.next, p.end])).toEqual([
      [1, 0, 300, undefined],
      [2, 300, 200, undefined],
      [3, 200, null, 'complete'],
    ]);
    expect(result.map(uidsOf)).toEqual([['1', '2'], ['3', '4'], ['5']]);
    expect(result[0]!.total).toBe(8229668);
  });

  test('startCursor is the first cursor sent', async () => {
    const api = fakeApi([answer(['7'], 1631063000), answer(['8'], 1631062000, false)]);
    const result = await walk({ fetchPage: api.fetchPage, startCursor: 1631063752, ...fast });
    expect(api.cursors()).toEqual([1631063752, 1631063000]);
    expect(result[0]!.cursor).toBe(1631063752);
  });

  test.each([
    ['missing', undefined],
    ['not a whole number', 12.5],
    ['below -1', -7],
  ])('min_time %s is never taken for the end: ApiUnavailableError, and it is never sent', async (_name, minTime) => {
    const api = fakeApi([answer(['1'], 300), answer(['2'], 200), answer(['3'], minTime)]);
    const error = await walk({ fetchPage: api.fetchPage, ...fast }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect((error as Error).message).toContain('data.min_time');
    expect(api.cursors()).toEqual([0, 300, 200]);
  });

  test.each([
    ['-1', -1],
    ['0', 0],
  ])('min_time %s past the depth cap ends the walk with "cap" and is never sent', async (_name, minTime) => {
    const api = fakeApi([answer(['1'], 300), answer(['2'], 200), answer(['3'], minTime)]);
    const result = await walk({ fetchPage: api.fetchPage, ...fast });
    expect(api.cursors()).toEqual([0, 300, 200]);
    const last = result.at(-1)!;
    expect(last.end).toBe('cap');
    expect(last.next).toBeNull();
    expect(uidsOf(last)).toEqual(['3']);
  });

  test('an empty page with min_time -1 after real pages is the cap, not a stuck cursor', async () => {
    const api = fakeApi([answer(['1'], 300), answer([], -1)]);
    const result = await walk({ fetchPage: api.fetchPage, ...fast });
    expect(api.cursors()).toEqual([0, 300]);
    expect(result.at(-1)!.end).toBe('cap');
  });

  test('has_more false ends as complete even with min_time -1', async () => {
    const api = fakeApi([answer(['1'], -1, false)]);
    const result = await walk({ fetchPage: api.fetchPage, ...fast });
    expect(result.map((p) => p.end)).toEqual(['complete']);
    expect(api.calls).toHaveLength(1);
  });
});

describe('pages: de-duplication', () => {
  test('repeats at page boundaries and random repeats are dropped and counted', async () => {
    const api = fakeApi([
      answer(['1', '2', '3'], 300),
      answer(['3', '4', '1'], 200), // boundary tie (3) and a re-served follower (1)
      answer(['5', '2', '5', '6'], 100, false), // a random repeat and one within the page
    ]);
    const result = await walk({ fetchPage: api.fetchPage, ...fast });
    expect(result.map(uidsOf)).toEqual([['1', '2', '3'], ['4'], ['5', '6']]);
    expect(result.map((p) => p.duplicates)).toEqual([0, 2, 2]);
  });

  test('a seeded SeenWindow suppresses the uids it holds', async () => {
    const seen = new SeenWindow();
    seen.add('1');
    seen.add('3');
    const api = fakeApi([answer(['1', '2', '3'], 300, false)]);
    const [page] = await walk({ fetchPage: api.fetchPage, seen, ...fast });
    expect(uidsOf(page!)).toEqual(['2']);
    expect(page!.duplicates).toBe(2);
    expect(seen.has('2')).toBe(true);
  });
});

describe('pages: limit', () => {
  test('truncates to the limit, ends with "limit" and asks no further page', async () => {
    const api = fakeApi([answer(['1', '2'], 300), answer(['2', '3', '4', '5'], 200), answer(['6'], 100)]);
    const result = await walk({ fetchPage: api.fetchPage, limit: 3, ...fast });
    expect(result.map(uidsOf)).toEqual([['1', '2'], ['3']]);
    expect(result.at(-1)!.end).toBe('limit');
    expect(result.at(-1)!.next).toBeNull();
    expect(api.cursors()).toEqual([0, 300]);
  });

  test('a limit reached on the first page sends one request', async () => {
    const api = fakeApi([answer(['1', '2', '3'], 300), answer(['4'], 200)]);
    const result = await walk({ fetchPage: api.fetchPage, limit: 2, ...fast });
    expect(result.map(uidsOf)).toEqual([['1', '2']]);
    expect(result[0]!.end).toBe('limit');
    expect(api.calls).toHaveLength(1);
  });

  test('duplicates do not count towards the limit', async () => {
    const api = fakeApi([answer(['1', '2'], 300), answer(['1', '2', '3'], 200), answer(['4'], 100)]);
    const result = await walk({ fetchPage: api.fetchPage, limit: 3, ...fast });
    expect(result.flatMap(uidsOf)).toEqual(['1', '2', '3']);
    expect(result.at(-1)!.end).toBe('limit');
  });
});

describe('pages: pages that do not move the walk on', () => {
  test('an empty page with has_more true is asked again at the same cursor, and the walk goes on', async () => {
    const notices: StuckNotice[] = [];
    const api = fakeApi([answer(['1'], 300), answer([], 300), answer([], 300), answer(['2'], 200, false)]);
    const result = await walk({ fetchPage: api.fetchPage, onStuck: (n) => notices.push(n), ...fast });
    expect(api.cursors()).toEqual([0, 300, 300, 300]);
    expect(result.flatMap(uidsOf)).toEqual(['1', '2']);
    expect(result.at(-1)!.end).toBe('complete');
    expect(notices.map((n) => [n.cursor, n.attempt])).toEqual([
      [300, 1],
      [300, 2],
    ]);
  });

  test('an empty page whose min_time moved on is still asked again (emptiness is not the end)', async () => {
    const api = fakeApi([answer(['1'], 300), answer([], 250), answer(['2'], 200, false)]);
    const result = await walk({ fetchPage: api.fetchPage, ...fast });
    expect(api.cursors()).toEqual([0, 300, 300]);
    expect(result.flatMap(uidsOf)).toEqual(['1', '2']);
  });

  test.each([
    ['a cursor that goes up', (cursor: number) => answer(['1', '2'], cursor + 10)],
    ['empty pages', (cursor: number) => answer([], cursor)],
  ])('%s: ApiUnavailableError after at most stuckRetries+1 requests', async (_name, reply) => {
    const stuckRetries = 2;
    const api = fakeApi((cursor) => (cursor === 0 ? answer(['0'], 300) : reply(cursor)));
    const error = await walk({ fetchPage: api.fetchPage, stuckRetries, ...fast }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect((error as Error).message).toContain('did not move past cursor');
    expect((error as Error).message).toContain('300');
    const at300 = api.cursors().filter((cursor) => cursor === 300).length;
    expect(at300).toBeGreaterThanOrEqual(2);
    expect(at300).toBeLessThanOrEqual(stuckRetries + 1);
    expect(api.cursors().every((cursor) => cursor === 0 || cursor === 300)).toBe(true);
  });

  test('the waits between re-asks double', async () => {
    const waits: number[] = [];
    const api = fakeApi((cursor) => (cursor === 0 ? answer(['0'], 300) : answer([], 300)));
    const error = await walk({
      fetchPage: api.fetchPage,
      stuckRetries: 3,
      stuckWaitMs: 1000,
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 1,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect(waits).toEqual([1000, 2000, 4000]);
  });

  test('an empty first page (cursor 0, min_time 0) is retried, not taken for the cap', async () => {
    const api = fakeApi([answer([], 0), answer(['1', '2'], 300), answer(['3'], 200, false)]);
    const result = await walk({ fetchPage: api.fetchPage, ...fast });
    expect(api.cursors()).toEqual([0, 0, 300]);
    expect(result.flatMap(uidsOf)).toEqual(['1', '2', '3']);
    expect(result.at(-1)!.end).toBe('complete');
  });

  test('an empty first page twice in a row is still retried, not taken for the cap', async () => {
    // Rate limiting can last longer than one retry; nothing has been served yet either time.
    const api = fakeApi([answer([], 0), answer([], 0), answer(['1', '2'], 300), answer(['3'], 200, false)]);
    const result = await walk({ fetchPage: api.fetchPage, ...fast });
    expect(api.cursors()).toEqual([0, 0, 0, 300]);
    expect(result.flatMap(uidsOf)).toEqual(['1', '2', '3']);
    expect(result.at(-1)!.end).toBe('complete');
  });

  test('a first page that stays empty ends in ApiUnavailableError, not an empty "cap" export', async () => {
    const api = fakeApi(() => answer([], 0));
    const error = await walk({ fetchPage: api.fetchPage, stuckRetries: 2, ...fast }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect(api.calls.length).toBeLessThanOrEqual(3);
  });
});

describe('pages: a second with more followers than a page', () => {
  // Pages of 2 (pageSize: 2): the second 300 holds followers a, b, c, d, e.
  test('a hidden offset: the same cursor brings new followers, so it is asked again until it moves', async () => {
    const api = fakeApi([answer(['a', 'b'], 300), answer(['c', 'd'], 300), answer(['e', 'f'], 290), answer(['g'], 280, false)]);
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast });
    expect(api.cursors()).toEqual([0, 300, 300, 290]);
    expect(result.flatMap(uidsOf)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(result.some((page) => page.tiedSecond !== undefined)).toBe(false);
    expect(result.at(-1)!.end).toBe('complete');
  });

  test('an inclusive cursor on the first page: the same page again steps one second down, once, and says so', async () => {
    const api = fakeApi([answer(['a', 'b'], 300), answer(['a', 'b'], 300), answer(['x', 'y'], 280), answer(['z'], 270, false)]);
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast });
    expect(api.cursors()).toEqual([0, 300, 299, 280]);
    expect(result.flatMap(uidsOf)).toEqual(['a', 'b', 'x', 'y', 'z']);
    expect(result[1]!.tiedSecond).toBe(300);
    expect(result[1]!.next).toBe(299);
    expect(result.filter((page) => page.tiedSecond !== undefined)).toHaveLength(1);
    expect(result.at(-1)!.end).toBe('complete');
  });

  test('two tied seconds in a row are each stepped past and each recorded', async () => {
    const api = fakeApi([
      answer(['a', 'b'], 300),
      answer(['a', 'b'], 300), // 300 again: step to 299
      answer(['c', 'd'], 299), // 299 is tied too, but new followers: ask 299 again
      answer(['c', 'd'], 299), // the same page: step to 298
      answer(['e', 'f'], 250, false),
    ]);
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast });
    expect(api.cursors()).toEqual([0, 300, 299, 299, 298]);
    expect(result.flatMap(uidsOf)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(result.flatMap((page) => (page.tiedSecond === undefined ? [] : [page.tiedSecond]))).toEqual([300, 299]);
  });

  test('nothing new right after stepping down is a stuck API: bounded re-asks, then ApiUnavailableError', async () => {
    const stuckRetries = 2;
    const api = fakeApi((cursor) => (cursor === 0 ? answer(['a', 'b'], 300) : answer(['a', 'b'], cursor)));
    const error = await walk({ fetchPage: api.fetchPage, pageSize: 2, stuckRetries, ...fast }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect((error as Error).message).toContain('after stepping past second 300');
    // 0, 300 (same page: step), then 299 once and re-asked stuckRetries times: never below 299.
    expect(api.cursors()).toEqual([0, 300, 299, 299, 299]);
  });

  test('a repeated answer shorter than a page (the end showing through) steps on without claiming a tie', async () => {
    const api = fakeApi([answer(['a', 'b'], 300), answer(['c', 'd'], 200), answer(['d'], 200), answer([], -1)]);
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast });
    expect(api.cursors()).toEqual([0, 300, 200, 199]);
    expect(result.at(-1)!.end).toBe('cap');
    expect(result.some((page) => page.tiedSecond !== undefined)).toBe(false);
  });

  test('a tie at the depth cap: step down, then the -1 answer ends the walk; 0 and -1 are never sent', async () => {
    const api = fakeApi([answer(['a', 'b'], 300), answer(['c', 'd'], 200), answer(['c', 'd'], 200), answer([], -1)]);
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast });
    expect(api.cursors()).toEqual([0, 300, 200, 199]);
    expect(result.at(-1)!.end).toBe('cap');
    expect(result.flatMap((page) => (page.tiedSecond === undefined ? [] : [page.tiedSecond]))).toEqual([200]);
  });

  test('the cursor 1 is never stepped down to 0 (which would restart the list)', async () => {
    const stuckRetries = 1;
    const api = fakeApi((cursor) => (cursor === 0 ? answer(['a', 'b'], 1) : answer(['a', 'b'], 1)));
    const error = await walk({ fetchPage: api.fetchPage, pageSize: 2, stuckRetries, ...fast }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect(api.cursors().filter((cursor) => cursor <= 0)).toEqual([0]);
  });

  test('--limit inside a tied second stops there with one request per page', async () => {
    const api = fakeApi([answer(['a', 'b'], 300), answer(['c', 'd'], 300)]);
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, limit: 3, ...fast });
    expect(api.cursors()).toEqual([0, 300]);
    expect(result.flatMap(uidsOf)).toEqual(['a', 'b', 'c']);
    expect(result.at(-1)!.end).toBe('limit');
  });

  test('a walk resumed inside a tied second (startCursor = the second) goes on through it', async () => {
    const seen = new SeenWindow();
    seen.add('a');
    seen.add('b');
    const api = fakeApi([answer(['c', 'd'], 300), answer(['e'], 250, false)]);
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, startCursor: 300, seen, ...fast });
    expect(api.cursors()).toEqual([300, 300]);
    expect(result.flatMap(uidsOf)).toEqual(['c', 'd', 'e']);
  });
});

describe('pages: prefetch and stopping', () => {
  test('the request for page n+1 has been made when page n is yielded', async () => {
    const api = fakeApi([answer(['1'], 300), answer(['2'], 200), answer(['3'], 100, false)]);
    const seenAtYield: number[] = [];
    for await (const page of pages({ fetchPage: api.fetchPage, ...fast })) seenAtYield.push(api.calls.length);
    expect(seenAtYield).toEqual([2, 3, 3]);
  });

  test('breaking out of the loop aborts the request in flight', async () => {
    const api = fakeApi((cursor, call) => (call === 1 ? answer(['1'], 300) : hangUntilAborted(api.calls[call - 1]!.signal)));
    for await (const page of pages({ fetchPage: api.fetchPage, ...fast })) {
      expect(page.number).toBe(1);
      break;
    }
    expect(api.calls).toHaveLength(2);
    expect(api.calls[1]!.signal.aborted).toBe(true);
  });

  test('an aborted options.signal ends the walk with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('SIGINT');
    const api = fakeApi((cursor, call) => (call === 1 ? answer(['1'], 300) : hangUntilAborted(api.calls[call - 1]!.signal)));
    const seen: number[] = [];
    const error = await (async () => {
      for await (const page of pages({ fetchPage: api.fetchPage, signal: controller.signal, ...fast })) {
        seen.push(page.number);
        controller.abort(reason);
      }
    })().catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(seen).toEqual([1]);
    expect(api.calls).toHaveLength(2);
  });

  test('an options.signal aborted during a stuck backoff ends the walk with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('SIGTERM');
    const api = fakeApi((cursor) => (cursor === 0 ? answer(['0'], 300) : answer([], 300)));
    const sleep = (_ms: number, signal?: StopSignal) => hangUntilAborted(signal!).then(() => undefined);
    const error = await (async () => {
      for await (const page of pages({ fetchPage: api.fetchPage, signal: controller.signal, sleep, random: () => 0 })) {
        if (page.next === page.cursor) controller.abort(reason);
      }
    })().catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(api.cursors()).toEqual([0, 300]);
  });

  test('an options.signal aborted before the walk starts ends it with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('SIGINT');
    controller.abort(reason);
    const api = fakeApi((cursor) => (cursor === 0 ? answer(['1'], 300) : answer(['2'], cursor - 100, cursor > 100)));
    const error = await walk({ fetchPage: api.fetchPage, signal: controller.signal, ...fast }).catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(api.calls.length).toBeLessThanOrEqual(1);
  });
});
