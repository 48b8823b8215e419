import { Agent, get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tiedFollowTimes } from '../../src/simulator/follow-times.js';
import {
  DEFAULT_TOKEN,
  PUBLIC_UID,
  followerUid,
  startSimulator,
  type Simulator,
  type UserScenario,
} from '../../src/simulator/index.js';

interface Data {
  max_time: number;
  min_time: number;
  has_more: boolean;
  total: number;
  offset: number;
  followers: { uid: string }[];
}

const NOW = 1631063752;
const users: Record<string, UserScenario> = {
  '1001': { size: 250 },
  '1002': { size: 120, pageSize: 2 },
  '1003': { size: 240, pageSize: 6 },
  '1004': { size: 100, boundaryDuplicates: true },
  '1005': { size: 400, randomDuplicates: 1 },
  '1006': { size: 100, cap: 60, total: 1000 },
  '1007': { size: 100, cap: 50 },
  '1008': { size: 30, cap: 60 },
  '1009': { size: 60, emptyPages: [2, 3] },
  '1010': { size: 100, stuckAfterPage: 3 },
  // A popular account: follower #5 and the 44 after it followed in one second, in each cursor mode.
  '2001': { size: 100, ties: [{ at: 5, count: 45 }], cursorMode: 'exclusive' },
  '2002': { size: 100, ties: [{ at: 5, count: 45 }], cursorMode: 'inclusive' },
  '2003': { size: 100, ties: [{ at: 5, count: 45 }], cursorMode: 'offset' },
  // Follower #5 and the 199 after it in one second, an inclusive cursor, repeats on every page.
  '2006': { size: 400, ties: [{ at: 5, count: 200 }], cursorMode: 'inclusive', randomDuplicates: 1 },
  '2004': { size: 30, looseTypes: true },
  '2005': { size: 0, status: 'private', looseTypes: true },
};

let sim: Simulator;
const agent = new Agent({ keepAlive: true });
beforeAll(async () => {
  sim = await startSimulator({ users });
});
afterAll(async () => {
  agent.destroy();
  await sim.close();
});

/** The whole answer. node:http rather than fetch: the 251-page walk below takes half the time. */
function answer(uid: string, cursor: number): Promise<Record<string, unknown>> {
  const url = `${sim.url}/tk/user/followers?token=${DEFAULT_TOKEN}&uid=${uid}&cursor=${cursor}`;
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>));
    }).on('error', reject);
  });
}

async function page(uid: string, cursor: number): Promise<Data> {
  return (await answer(uid, cursor)).data as Data;
}

/** Follows min_time until has_more is false or the cursor stops being a follow time. */
async function walk(uid: string, maxPages = 300): Promise<{ cursor: number; data: Data }[]> {
  const pages: { cursor: number; data: Data }[] = [];
  let cursor = 0;
  for (let n = 0; n < maxPages; n++) {
    const data = await page(uid, cursor);
    pages.push({ cursor, data });
    if (!data.has_more || data.min_time <= 0) break;
    cursor = data.min_time;
  }
  return pages;
}

const uidsOf = (data: Data) => data.followers.map((f) => f.uid);

describe('paging by follow time', () => {
  it('walks a 250-follower list to has_more false, every follower once, newest first', async () => {
    const pages = await walk('1001');
    expect(pages.map(({ data }) => data.followers.length)).toEqual([...Array(12).fill(20), 10]);
    expect(pages.map(({ data }) => data.has_more)).toEqual([...Array(12).fill(true), false]);
    const uids = pages.flatMap(({ data }) => uidsOf(data));
    expect(uids).toEqual(Array.from({ length: 250 }, (_, i) => followerUid(1, '1001', i)));
    expect(pages[0]!.data.max_time).toBe(NOW);
    for (const [n, { cursor, data }] of pages.entries()) {
      expect(data.total).toBe(250);
      expect(data.offset).toBe(Math.min(250, 20 * (n + 1)));
      expect(data.max_time).toBeGreaterThanOrEqual(data.min_time);
      if (n > 0) expect(data.max_time).toBeLessThan(cursor);
    }
  });

  it('lets followers share a second, but never more than 5', async () => {
    const pairs = await walk('1002');
    expect(pairs.flatMap(({ data }) => uidsOf(data))).toHaveLength(120);
    expect(pairs.some(({ data }) => data.max_time === data.min_time)).toBe(true);
    const sixes = await walk('1003');
    expect(sixes.flatMap(({ data }) => uidsOf(data))).toHaveLength(240);
    expect(sixes.some(({ data }) => data.max_time === data.min_time)).toBe(false);
  });

  it("repeats the previous page's last follower at the top of the next (boundary ties)", async () => {
    const pages = await walk('1004');
    for (let n = 1; n < pages.length; n++) {
      const { cursor, data } = pages[n]!;
      expect(data.followers[0]!.uid).toBe(pages[n - 1]!.data.followers.at(-1)!.uid);
      expect(data.max_time).toBe(cursor);
    }
    const uids = pages.flatMap(({ data }) => uidsOf(data));
    expect(uids).toHaveLength(100 + pages.length - 1);
    expect(new Set(uids).size).toBe(100);
  });

  it('mixes followers of earlier pages in again, never as the last of a page', async () => {
    const pages = await walk('1005');
    const seen = new Set<string>();
    let repeated = 0;
    for (const [n, { data }] of pages.entries()) {
      const again = uidsOf(data).filter((uid) => seen.has(uid));
      if (n > 0) expect(again.length).toBeGreaterThanOrEqual(1);
      expect(again.length).toBeLessThanOrEqual(3);
      expect(seen.has(data.followers.at(-1)!.uid)).toBe(false);
      repeated += again.length;
      uidsOf(data).forEach((uid) => seen.add(uid));
    }
    expect(seen.size).toBe(400);
    expect(repeated).toBeGreaterThan(pages.length - 1);
  });
});

describe('the depth cap', () => {
  it('answers -1 after the cap, and cursor -1 or 0 starts again from the newest page', async () => {
    const pages = await walk('1006');
    expect(pages.map(({ data }) => data.followers.length)).toEqual([20, 20, 20, 0]);
    expect(pages[2]!.data.has_more).toBe(true);
    expect(pages[3]!.data).toMatchObject({ min_time: -1, max_time: -1, has_more: true, total: 1000, followers: [] });
    const first = uidsOf(pages[0]!.data);
    expect(uidsOf(await page('1006', -1))).toEqual(first);
    expect(uidsOf(await page('1006', 0))).toEqual(first);
  });

  it('cuts the page the cap falls in', async () => {
    const pages = await walk('1007');
    expect(pages.map(({ data }) => data.followers.length)).toEqual([20, 20, 10, 0]);
    expect(pages[3]!.data.min_time).toBe(-1);
  });

  it('ends with has_more false when the list ends before the cap', async () => {
    const pages = await walk('1008');
    expect(pages.map(({ data }) => [data.followers.length, data.has_more])).toEqual([
      [20, true],
      [10, false],
    ]);
    expect(await page('1008', 1)).toMatchObject({ followers: [], has_more: false });
  });

  it("tells the built-in public user's story: 5,000 of 8,229,668, then -1", async () => {
    const pages = await walk(PUBLIC_UID);
    expect(pages).toHaveLength(251);
    expect(pages.at(-1)!.data).toMatchObject({ min_time: -1, max_time: -1, has_more: true, followers: [] });
    const uids = pages.flatMap(({ data }) => uidsOf(data));
    expect(new Set(uids).size).toBe(5000);
    expect(uids.length).toBeGreaterThan(5000 + 249); // a boundary duplicate on every later page, plus random ones
    expect(pages.every(({ data }) => data.total === 8229668)).toBe(true);
  });
});

describe('lists that do not move on', () => {
  it('answers an empty page with has_more true and the cursor as min_time, then the real page', async () => {
    const first = await page('1009', 0);
    const cursor = first.min_time;
    for (let n = 0; n < 2; n++) {
      expect(await page('1009', cursor)).toMatchObject({ followers: [], has_more: true, min_time: cursor, max_time: cursor });
    }
    const second = await page('1009', cursor);
    expect(uidsOf(second)).toEqual(Array.from({ length: 20 }, (_, i) => followerUid(1, '1009', 20 + i)));
  });

  it('repeats a stuck page with min_time equal to the requested cursor', async () => {
    const pages = await walk('1010', 3);
    expect(pages[1]!.data.min_time).toBeLessThan(pages[1]!.cursor);
    const { cursor, data } = pages[2]!;
    expect(data.min_time).toBe(cursor);
    expect(data.followers).toHaveLength(20);
    for (let n = 0; n < 3; n++) expect(await page('1010', cursor)).toEqual(data);
  });
});

/** A page of a tied list as its cursor and uids. */
async function tiedPage(uid: string, cursor: number) {
  const data = await page(uid, cursor);
  return { minTime: data.min_time, uids: uidsOf(data) };
}
const followersOf = (uid: string, from: number, to: number) => Array.from({ length: to - from }, (_, k) => followerUid(1, uid, from + k));

describe('tiedFollowTimes', () => {
  it('gives a run one second and every other follower its own, older second', () => {
    const times = tiedFollowTimes(NOW, [{ at: 5, count: 45 }]);
    expect([0, 4, 5, 49, 50, 51].map(times.timeOf)).toEqual([NOW, NOW - 4, NOW - 5, NOW - 5, NOW - 6, NOW - 7]);
    expect(times.firstBefore(NOW - 4)).toBe(5);
    expect(times.firstBefore(NOW - 5)).toBe(50);
  });
});

describe('cursor modes at a tied second', () => {
  it('exclusive: the tied second answered skips to older followers', async () => {
    const first = await tiedPage('2001', 0);
    expect(first.uids).toEqual(followersOf('2001', 0, 20));
    expect(first.minTime).toBe(NOW - 5);
    expect((await tiedPage('2001', NOW - 5)).uids).toEqual(followersOf('2001', 50, 70));
  });

  it('inclusive: the tied second answered again is the same page', async () => {
    const again = await tiedPage('2002', NOW - 5);
    expect(again.uids).toEqual(followersOf('2002', 5, 25));
    expect(again.minTime).toBe(NOW - 5);
    expect((await tiedPage('2002', NOW - 5)).uids).toEqual(again.uids);
    expect((await tiedPage('2002', NOW - 6)).uids).toEqual(followersOf('2002', 50, 70));
  });

  it('inclusive: the followers mixed in again are ones some cursor reaches, never the rest of a tied second', async () => {
    const served = new Set<string>();
    let cursor = 0;
    for (let n = 0; n < 40; n++) {
      const data = await page('2006', cursor);
      uidsOf(data).forEach((uid) => served.add(uid));
      if (!data.has_more) break;
      // The same second handed back: its first page is all there is; one second down.
      cursor = data.min_time === cursor ? cursor - 1 : data.min_time;
    }
    expect([...served].sort()).toEqual([...followersOf('2006', 0, 25), ...followersOf('2006', 205, 400)].sort());
  });

  it('offset: the cursor the last answer handed back continues where it stopped', async () => {
    expect((await tiedPage('2003', 0)).uids).toEqual(followersOf('2003', 0, 20));
    const second = await tiedPage('2003', NOW - 5);
    expect(second.uids).toEqual(followersOf('2003', 20, 40));
    const third = await tiedPage('2003', NOW - 5);
    expect(third.uids).toEqual(followersOf('2003', 40, 60));
    expect(third.minTime).toBeLessThan(NOW - 5);
  });
});

describe('loose types', () => {
  it('sends "code":"200", has_more 1/0 and numbers as strings', async () => {
    const body = await answer('2004', 0);
    expect(body.code).toBe('200');
    const data = body.data as Record<string, unknown>;
    expect(data.has_more).toBe(1);
    expect(data.min_time).toMatch(/^\d+$/);
    expect(data.total).toBe('30');
    expect(data.status_code).toBe('0');
    const last = (await answer('2004', Number(data.min_time))).data as Record<string, unknown>;
    expect(last.has_more).toBe(0);
  });

  it('a hidden list says "status_code":"2096"', async () => {
    expect(((await answer('2005', 0)).data as Record<string, unknown>).status_code).toBe('2096');
  });
});
