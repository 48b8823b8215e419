/**
 * The pager's verdicts that need more than one page of evidence (issues 18 and 21), with a
 * scripted API: nothing new while the cursor moves (a stuck API), a list that ends far too early
 * (asked once more after a pause), a lost answer inside a tied second (re-entered from its
 * start), and an exclusive cursor that skips the rest of a tied second. The same behaviours over
 * real HTTP against the simulator are in test/walk-verdicts-export.test.ts.
 */
import { describe, expect, test } from 'vitest';
import type { FollowersPage } from '../src/api/types.js';
import { ApiUnavailableError } from '../src/errors.js';
import { type FetchedPage, type Page, type PagerOptions, type StuckNotice, pages } from '../src/export/pager.js';
import { SeenWindow } from '../src/export/seen-window.js';
import { follower } from './helpers/followers.js';
import type { StopSignal } from '../src/stop-signal.js';

function answer(uids: string[], minTime: number, options: { hasMore?: boolean; maxTime?: number; total?: number } = {}): FollowersPage {
  return {
    code: 200,
    msg: '成功',
    statusCode: 0,
    hasMore: options.hasMore ?? true,
    minTime,
    maxTime: options.maxTime,
    total: options.total ?? 8229668,
    followers: uids.map(follower),
  };
}

/** A fetchPage that asks `reply` and records every cursor; a reply may be marked as retried. */
function fakeApi(reply: (cursor: number, call: number) => FetchedPage) {
  const cursors: number[] = [];
  // The signal is the pager's (PagerOptions.fetchPage); a fake answer has nothing to abort.
  const fetchPage = async (cursor: number, _signal?: StopSignal): Promise<FetchedPage> => {
    cursors.push(cursor);
    return reply(cursor, cursors.length);
  };
  return { cursors, fetchPage };
}

const fast = { sleep: async () => {}, random: () => 0.5 } satisfies Partial<PagerOptions>;

async function walk(options: PagerOptions): Promise<Page[]> {
  const out: Page[] = [];
  for await (const page of pages(options)) out.push(page);
  return out;
}

const uidsOf = (result: Page[]) => result.flatMap((page) => page.followers.map((f) => f.uid));
const range = (from: number, to: number, prefix = 'u') => Array.from({ length: to - from }, (_, k) => `${prefix}${from + k}`);

describe('nothing new while the cursor moves', () => {
  test('the same page with a cursor one second lower each time: ApiUnavailableError after a bounded run, waits doubling', async () => {
    const notices: StuckNotice[] = [];
    const api = fakeApi((cursor) => (cursor === 0 ? answer(['a', 'b'], 1000) : answer(['a', 'b'], cursor - 1)));
    const error = await walk({ fetchPage: api.fetchPage, stuckRetries: 3, onStuck: (n) => notices.push(n), ...fast }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect((error as Error).message).toMatch(/4 pages in a row with no follower not already exported while its cursor moved/);
    // The first page, then four pages of nothing new: five requests, not an endless bill.
    expect(api.cursors).toEqual([0, 1000, 999, 998, 997]);
    expect(notices.map((n) => n.attempt)).toEqual([1, 2, 3]);
  });

  test('pages of only repeats now and then (as the real API sends) do not stop the walk', async () => {
    // Pages 2 and 4 repeat earlier followers only; every other page brings new ones.
    const script = [
      answer(['a', 'b'], 900),
      answer(['a', 'b'], 800),
      answer(['c', 'd'], 700),
      answer(['c', 'a'], 600),
      answer(['e'], 500, { hasMore: false }),
    ];
    const api = fakeApi((_cursor, call) => script[call - 1]!);
    const result = await walk({ fetchPage: api.fetchPage, ...fast });
    expect(uidsOf(result)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(result.at(-1)!.end).toBe('complete');
  });

  test('a run of repeats just under the bound still ends complete', async () => {
    const api = fakeApi((cursor) =>
      cursor === 0 ? answer(['a'], 100) : cursor > 97 ? answer(['a'], cursor - 1) : answer(['z'], 1, { hasMore: false }),
    );
    const result = await walk({ fetchPage: api.fetchPage, stuckRetries: 3, ...fast });
    expect(uidsOf(result)).toEqual(['a', 'z']);
  });
});

describe('a list that ends far below what the API reports', () => {
  const shortEnd = { rowsBefore: 0, cap: 5000, waitMs: 30_000 };

  test('is asked once more after the pause; when the end stands, the last page says how short', async () => {
    const waits: number[] = [];
    const api = fakeApi((cursor) =>
      cursor === 0 ? answer(range(0, 20), 900, { total: 3000 }) : answer(range(20, 40), 800, { total: 3000, hasMore: false }),
    );
    const result = await walk({
      fetchPage: api.fetchPage,
      shortEnd,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(api.cursors).toEqual([0, 900, 900]);
    expect(waits).toEqual([30_000]);
    expect(result.at(-1)).toMatchObject({ end: 'complete', short: { rows: 40, expected: 3000 } });
    expect(uidsOf(result)).toEqual(range(0, 40));
  });

  test('an end that was throttling goes on when asked again', async () => {
    let ended = false;
    const api = fakeApi((cursor) => {
      if (cursor === 0) return answer(range(0, 20), 900, { total: 60 });
      if (cursor === 900 && !ended) {
        ended = true;
        return answer([], 0, { total: 60, hasMore: false });
      }
      if (cursor === 900) return answer(range(20, 40), 800, { total: 60 });
      return answer(range(40, 60), 700, { total: 60, hasMore: false });
    });
    const result = await walk({ fetchPage: api.fetchPage, shortEnd, ...fast });
    expect(api.cursors).toEqual([0, 900, 900, 800]);
    expect(uidsOf(result)).toEqual(range(0, 60));
    expect(result.some((page) => page.short)).toBe(false);
  });

  test('the depth cap far below the total is asked again too; a normal small shortfall is not', async () => {
    const capped = fakeApi((cursor) => (cursor === 0 ? answer(range(0, 20), 900, { total: 5000 }) : answer([], -1, { total: 5000 })));
    const first = await walk({ fetchPage: capped.fetchPage, shortEnd, ...fast });
    expect(capped.cursors).toEqual([0, 900, 900]);
    expect(first.at(-1)).toMatchObject({ end: 'cap', short: { rows: 20, expected: 5000 } });

    // 30 of 40 reported (banned and deleted accounts are not listed): believed at once.
    const normal = fakeApi((cursor) =>
      cursor === 0 ? answer(range(0, 20), 900, { total: 40 }) : answer(range(20, 30), 800, { total: 40, hasMore: false }),
    );
    const second = await walk({ fetchPage: normal.fetchPage, shortEnd, ...fast });
    expect(normal.cursors).toEqual([0, 900]);
    expect(second.at(-1)!.short).toBeUndefined();

    // 5 of 25: under half, but less than a page short (a small account's banned followers).
    const small = fakeApi(() => answer(range(0, 5), 900, { total: 25, hasMore: false }));
    const third = await walk({ fetchPage: small.fetchPage, shortEnd, ...fast });
    expect(small.cursors).toEqual([0]);
    expect(third.at(-1)!.short).toBeUndefined();
  });

  test('rows of a resumed file count; past the depth cap the total does not raise the bar', async () => {
    const api = fakeApi(() => answer(range(0, 20), 900, { total: 8229668, hasMore: false }));
    const result = await walk({ fetchPage: api.fetchPage, shortEnd: { ...shortEnd, rowsBefore: 2600 }, ...fast });
    expect(api.cursors).toEqual([0]);
    expect(result.at(-1)!.short).toBeUndefined();
  });
});

describe('a lost answer inside a tied second', () => {
  /**
   * An API with a hidden offset, pages of 2: a cursor its last answer handed back continues
   * where that answer stopped; any other cursor answers the followers strictly before it. The
   * answer to request `lose` is made (the offset moves) and lost; the client's retry gets the next.
   */
  function hiddenOffsetApi(times: number[], lose: number) {
    const uids = times.map((_t, i) => `f${i}`);
    let last: { minTime: number; end: number } | undefined;
    const make = (cursor: number): FollowersPage => {
      const start = cursor > 0 && last?.minTime === cursor ? last.end : cursor > 0 ? times.findIndex((t) => t < cursor) : 0;
      const end = Math.min(start + 2, times.length);
      const page = answer(uids.slice(start, end), times[end - 1]!, { maxTime: times[start], hasMore: end < times.length });
      last = { minTime: page.minTime!, end };
      return page;
    };
    let requests = 0;
    return fakeApi((cursor) => {
      requests++;
      if (requests !== lose) return make(cursor);
      make(cursor); // lost on the way
      requests++;
      return { ...make(cursor), afterFailure: true };
    });
  }
  // f0 at 600, f1..f6 all at 500 (a second of more than a page), then f7..f9.
  const times = [600, 500, 500, 500, 500, 500, 500, 400, 300, 200];

  test('an answer the client had to retry there re-enters the second from its start: nothing is skipped, at every request', async () => {
    for (let lose = 1; lose <= 8; lose++) {
      const api = hiddenOffsetApi(times, lose);
      const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast });
      expect(uidsOf(result), `answer ${lose} lost`).toEqual(times.map((_t, i) => `f${i}`));
    }
    // Without re-entering, the lost answer's two followers would be missing: the model does skip.
    const plain = hiddenOffsetApi(times, 3);
    const naive = await walk({ fetchPage: async (c, s) => ({ ...(await plain.fetchPage(c, s)), afterFailure: false }), pageSize: 2, ...fast });
    expect(uidsOf(naive)).toHaveLength(times.length - 2);
  });

  test('a re-ask inside a tied second (an empty page) re-enters it from its start too', async () => {
    let emptied = false;
    const api = fakeApi((cursor) => {
      if (cursor === 0) return answer(['a', 'b'], 300, { maxTime: 300 });
      if (cursor === 300 && !emptied) {
        emptied = true;
        return answer([], 300);
      }
      if (cursor === 301) return answer(['a', 'b'], 300, { maxTime: 300 });
      if (cursor === 300) return answer(['c', 'd'], 300, { maxTime: 300 });
      return answer(['e'], 200, { hasMore: false });
    });
    let calls = 0;
    const result = await walk({
      fetchPage: async (cursor, signal) => {
        calls++;
        if (calls > 12) throw new Error('too many requests');
        return api.fetchPage(cursor, signal);
      },
      pageSize: 2,
      ...fast,
    });
    expect(api.cursors.slice(0, 3)).toEqual([0, 300, 301]);
    expect(uidsOf(result)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  test('a page inside a tied second tells where a resumed walk re-enters; a resumed walk does', async () => {
    const first = fakeApi((cursor) => (cursor === 0 ? answer(['a', 'b'], 300, { maxTime: 300 }) : answer(['c', 'd'], 300, { maxTime: 300 })));
    const pagesSeen: Page[] = [];
    for await (const page of pages({ fetchPage: first.fetchPage, pageSize: 2, ...fast })) {
      pagesSeen.push(page);
      if (pagesSeen.length === 2) break;
    }
    expect(pagesSeen[0]!.reenter).toEqual({ second: 300, pages: 1 });
    expect(pagesSeen[1]!.reenter).toEqual({ second: 300, pages: 2 });

    // Resumed: the API's hidden offset moved on past a page never written (e, f): 301 starts the second again.
    const seen = new SeenWindow();
    for (const uid of ['a', 'b', 'c', 'd']) seen.add(uid);
    const order = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    let at = 0;
    const resumed = fakeApi((cursor) => {
      if (cursor === 301) at = 0;
      const page = order.slice(at, at + 2);
      at += 2;
      return at >= order.length ? answer(page, 200, { hasMore: false }) : answer(page, 300, { maxTime: 300 });
    });
    const result = await walk({ fetchPage: resumed.fetchPage, pageSize: 2, startCursor: 300, reenter: { second: 300, pages: 2 }, seen, ...fast });
    expect(resumed.cursors[0]).toBe(301);
    expect(uidsOf(result)).toEqual(['e', 'f', 'g']);
  });

  test('a re-entered second that answers the very same page again is not re-walked: one second down', async () => {
    // No hidden offset: the API answers the second's first page whatever the cursor inside it.
    // The same uids in the same order as the answer before (the joined uids compared): stepping down
    // a second, not re-asking it until the re-entry's budget is spent.
    const seen = new SeenWindow();
    for (const uid of ['a', 'b']) seen.add(uid);
    const api = fakeApi((cursor) => (cursor >= 300 ? answer(['a', 'b'], 300, { maxTime: 300 }) : answer(['c'], 200, { hasMore: false })));
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, startCursor: 300, reenter: { second: 300, pages: 2 }, seen, ...fast });
    expect(api.cursors).toEqual([301, 300, 299]);
    expect(uidsOf(result)).toEqual(['c']);
  });

  test('a re-entered second whose answer differs from the one before in one uid is re-walked', async () => {
    const seen = new SeenWindow();
    for (const uid of ['a', 'b', 'x']) seen.add(uid);
    // The second's pages: [a, b] then [a, x] (other followers already written), then the end.
    const api = fakeApi((cursor, call) =>
      call === 1 ? answer(['a', 'b'], 300, { maxTime: 300 }) : call === 2 ? answer(['a', 'x'], 300, { maxTime: 300 }) : answer(['c'], 200, { hasMore: false }),
    );
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, startCursor: 300, reenter: { second: 300, pages: 2 }, seen, ...fast });
    expect(api.cursors).toEqual([301, 300, 300]);
    expect(uidsOf(result)).toEqual(['c']);
  });

  test('failing on every page inside a second is a misbehaving API, not an endless re-walk', async () => {
    const api = fakeApi((cursor) =>
      cursor === 0 ? answer(['a', 'b'], 300, { maxTime: 300 }) : { ...answer(['a', 'b'], 300, { maxTime: 300 }), afterFailure: cursor === 300 },
    );
    const error = await walk({ fetchPage: api.fetchPage, pageSize: 2, stuckRetries: 2, ...fast }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect((error as Error).message).toBe('the API kept failing inside second 300 (13 times without a new follower); stopping rather than risk skipping followers');
    // The first page, then 13 answers after a failure at 300, the 12 between them re-entering at 301:
    // 4 x (stuckRetries + 1) re-entries allowed.
    expect(api.cursors.length).toBe(1 + 13 + 12);
  });

  test('failing on every page inside a second: the last line names what failed before each answer', async () => {
    const failure = 'an answer that is not the API\'s envelope (no "code" field): {"error":"upstream connect error"}';
    const api = fakeApi((cursor) =>
      cursor === 0 ? answer(['a', 'b'], 300, { maxTime: 300 }) : { ...answer(['a', 'b'], 300, { maxTime: 300 }), afterFailure: true, lastFailure: failure },
    );
    const error = await walk({ fetchPage: api.fetchPage, pageSize: 2, stuckRetries: 2, ...fast }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect((error as Error).message).toBe(
      `the API kept failing inside second 300 (13 times without a new follower, each answer there only after a failed try; last: ${failure}); stopping rather than risk skipping followers`,
    );
  });

  test('an API that fails now and then (an answer after a failure, 8 times in a row at one cursor) is waited out, not stopped', async () => {
    let lost = 0;
    const api = fakeApi((cursor) => {
      if (cursor === 0) return answer(['a', 'b'], 300, { maxTime: 300 });
      if (cursor === 301) return answer(['a', 'b'], 300, { maxTime: 300 });
      // At cursor 300: 8 answers that came only after a failure, then a clean one.
      return { ...answer(['c'], 250, { maxTime: 280, hasMore: false }), afterFailure: ++lost <= 8 };
    });
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast });
    expect(uidsOf(result)).toEqual(['a', 'b', 'c']);
    expect(api.cursors).toEqual([0, ...Array.from({ length: 8 }, () => [300, 301]).flat(), 300]);
  });
});

describe('an exclusive cursor that skips the rest of a tied second', () => {
  test('a full page of one second, then an answer that starts below it: the second is reported', async () => {
    const api = fakeApi((cursor) =>
      cursor === 0 ? answer(['a', 'b'], 300, { maxTime: 300 }) : answer(['x'], 250, { maxTime: 280, hasMore: false }),
    );
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast });
    expect(result.map((page) => page.tiedSecond)).toEqual([undefined, 300]);
  });

  test('not when the next answer continues in that second (a hidden offset), nor after a page of several seconds', async () => {
    const offset = fakeApi((cursor, call) =>
      call === 1 ? answer(['a', 'b'], 300, { maxTime: 300 }) : call === 2 ? answer(['c'], 290, { maxTime: 300 }) : answer(['d'], 1, { hasMore: false }),
    );
    expect((await walk({ fetchPage: offset.fetchPage, pageSize: 2, ...fast })).some((p) => p.tiedSecond !== undefined)).toBe(false);
    const spread = fakeApi((cursor) =>
      cursor === 0 ? answer(['a', 'b'], 300, { maxTime: 310 }) : answer(['x'], 250, { maxTime: 280, hasMore: false }),
    );
    expect((await walk({ fetchPage: spread.fetchPage, pageSize: 2, ...fast })).some((p) => p.tiedSecond !== undefined)).toBe(false);
  });

  // The tie at the page boundary: an exclusive cursor that skipped the rest of second 300 (c, d)
  // still puts that second's last follower (e) on top of the next answer, so its max_time is 300.
  test('the second\'s last follower repeated on top of what follows it: asked once more, the same page, and the second is reported', async () => {
    const waits: number[] = [];
    const api = fakeApi((cursor) =>
      cursor === 0 ? answer(['a', 'b'], 300, { maxTime: 300 }) : cursor === 300 ? answer(['e', 'x'], 250, { maxTime: 300 }) : answer(['y'], 200, { maxTime: 240, hasMore: false }),
    );
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast, sleep: async (ms: number) => void waits.push(ms) });
    expect(api.cursors).toEqual([0, 300, 300, 250]);
    expect(result.map((page) => page.tiedSecond)).toEqual([undefined, undefined, 300, undefined]);
    expect(uidsOf(result)).toEqual(['a', 'b', 'e', 'x', 'y']);
    // The probe's page of nothing new is no sign of a stuck API: no backoff.
    expect(waits).toEqual([]);
  });

  test('an earlier follower repeated on top (max_time newer than the second): asked once more, nothing new, and the second is reported', async () => {
    const api = fakeApi((cursor) =>
      cursor === 0 ? answer(['a', 'b'], 300, { maxTime: 300 }) : cursor === 300 ? answer(['a', 'x'], 250, { maxTime: 320 }) : answer(['y'], 200, { maxTime: 240, hasMore: false }),
    );
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast });
    expect(api.cursors).toEqual([0, 300, 300, 250]);
    expect(result.map((page) => page.tiedSecond)).toEqual([undefined, undefined, 300, undefined]);
    expect(uidsOf(result)).toEqual(['a', 'b', 'x', 'y']);
  });

  test('a full page of one second under the cursor\'s own last follower repeated on top (max_time the cursor, min_time one less), then the same shape', async () => {
    // Cursor 301's last follower (b) on top of a page of second 300 (c, d); the rest of 300 skipped.
    const api = fakeApi((cursor) =>
      cursor === 0
        ? answer(['a', 'b'], 301, { maxTime: 310 })
        : cursor === 301
          ? answer(['b', 'c', 'd'], 300, { maxTime: 301 })
          : cursor === 300
            ? answer(['e', 'x'], 250, { maxTime: 300 })
            : answer(['y'], 200, { maxTime: 240, hasMore: false }),
    );
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast });
    expect(api.cursors).toEqual([0, 301, 300, 300, 250]);
    expect(result.map((page) => page.tiedSecond)).toEqual([undefined, undefined, undefined, 300, undefined]);
    // Not when the page below the repeat spans more than that second (an ordinary page under a tie).
    const spread = fakeApi((cursor) =>
      cursor === 0 ? answer(['a', 'b'], 301, { maxTime: 310 }) : cursor === 301 ? answer(['b', 'c', 'd'], 290, { maxTime: 301 }) : answer(['x'], 200, { maxTime: 290, hasMore: false }),
    );
    const plain = await walk({ fetchPage: spread.fetchPage, pageSize: 2, ...fast });
    expect(spread.cursors).toEqual([0, 301, 290]);
    expect(plain.some((p) => p.tiedSecond !== undefined)).toBe(false);
    // Nor when its top follower is new (a cursor that pages inside 301): no second ask, which costs a request.
    const inside = fakeApi((cursor) =>
      cursor === 0
        ? answer(['a', 'b'], 301, { maxTime: 310 })
        : cursor === 301
          ? answer(['x', 'c', 'd'], 300, { maxTime: 301 })
          : cursor === 300
            ? answer(['e', 'y'], 250, { maxTime: 300 })
            : answer(['z'], 200, { maxTime: 240, hasMore: false }),
    );
    await walk({ fetchPage: inside.fetchPage, pageSize: 2, ...fast });
    expect(inside.cursors).toEqual([0, 301, 300, 250]);
  });

  test("--update: the answer below a full page of one second is the file's followers: the second is reported, asked once more when the answer's max_time does not show it starts below", async () => {
    // The file holds k1, k2 (newest follow time 260): the walk is caught up below it.
    const update = { known: (uid: string) => uid.startsWith('k'), caughtUp: ({ minTime }: { minTime: number | undefined }) => minTime !== undefined && minTime < 260 };
    const below = fakeApi((cursor) => (cursor === 0 ? answer(['a', 'b'], 300, { maxTime: 300 }) : answer(['k1', 'k2'], 250, { maxTime: 280 })));
    const plain = await walk({ fetchPage: below.fetchPage, pageSize: 2, ...update, ...fast });
    expect(below.cursors).toEqual([0, 300]);
    expect(plain.map((page) => [page.tiedSecond, page.end])).toEqual([[undefined, undefined], [300, 'caught-up']]);
    // A follower of the walk repeated on top (max_time newer than the second): asked once more, the same answer.
    const repeat = fakeApi((cursor) => (cursor === 0 ? answer(['a', 'b'], 300, { maxTime: 300 }) : answer(['a', 'k1', 'k2'], 250, { maxTime: 320 })));
    const asked = await walk({ fetchPage: repeat.fetchPage, pageSize: 2, ...update, ...fast });
    expect(repeat.cursors).toEqual([0, 300, 300]);
    expect(asked.map((page) => [page.tiedSecond, page.end])).toEqual([[undefined, undefined], [undefined, undefined], [300, 'caught-up']]);
    expect(uidsOf(asked)).toEqual(['a', 'b']);
    // A hidden offset: asked once more, the rest of the second (c), then the file: nothing reported.
    const offset = fakeApi((cursor, call) =>
      call === 1 ? answer(['a', 'b'], 300, { maxTime: 300 }) : call === 2 ? answer(['a', 'k1', 'k2'], 250, { maxTime: 320 }) : answer(['c', 'k1'], 250, { maxTime: 300 }),
    );
    const rest = await walk({ fetchPage: offset.fetchPage, pageSize: 2, ...update, ...fast });
    expect(uidsOf(rest)).toEqual(['a', 'b', 'c']);
    expect(rest.some((page) => page.tiedSecond !== undefined)).toBe(false);
    // A hidden offset whose second ask serves the file's next followers (nothing new, but met for
    // the first time): the second was read whole, nothing to report.
    const file = fakeApi((cursor, call) =>
      call === 1 ? answer(['a', 'b'], 300, { maxTime: 300 }) : call === 2 ? answer(['c', 'k1', 'k2'], 250, { maxTime: 300 }) : answer(['k3', 'k4'], 240, { maxTime: 250 }),
    );
    const read = await walk({ fetchPage: file.fetchPage, pageSize: 2, ...update, ...fast });
    expect(file.cursors).toEqual([0, 300, 300]);
    expect(read.some((page) => page.tiedSecond !== undefined)).toBe(false);
  });

  test('the same shape from a hidden offset: the second asked once more moves on, nothing reported, every follower in order', async () => {
    // Second 300 holds a, b, c: its rest (c) comes first, then older followers; asked once more,
    // the hidden offset continues after them.
    const api = fakeApi((cursor, call) =>
      call === 1 ? answer(['a', 'b'], 300, { maxTime: 300 }) : call === 2 ? answer(['c', 'x'], 250, { maxTime: 300 }) : call === 3 ? answer(['y', 'z'], 200, { maxTime: 240 }) : answer(['w'], 100, { maxTime: 150, hasMore: false }),
    );
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast });
    expect(api.cursors).toEqual([0, 300, 300, 200]);
    expect(result.some((p) => p.tiedSecond !== undefined)).toBe(false);
    expect(uidsOf(result)).toEqual(['a', 'b', 'c', 'x', 'y', 'z', 'w']);
  });

  test('no second ask when the full page was itself an answer to its second (the cursor pages inside it)', async () => {
    const api = fakeApi((cursor, call) =>
      call === 1 ? answer(['a', 'b'], 300, { maxTime: 300 }) : call === 2 ? answer(['c', 'd'], 300, { maxTime: 300 }) : call === 3 ? answer(['e', 'x'], 250, { maxTime: 300 }) : answer(['y'], 200, { maxTime: 240, hasMore: false }),
    );
    const result = await walk({ fetchPage: api.fetchPage, pageSize: 2, ...fast });
    expect(api.cursors).toEqual([0, 300, 300, 250]);
    expect(result.some((p) => p.tiedSecond !== undefined)).toBe(false);
    expect(uidsOf(result)).toEqual(['a', 'b', 'c', 'd', 'e', 'x', 'y']);
  });
});
