/**
 * The simulator's changing list (changing-list.ts): unfollows, re-follows on top with new follow
 * times, and a depth cap that slides with the newest follower; `tkf simulate` serves it with
 * --not-yet-followed, --sliding-cap, --unfollowed and --refollowed.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, PUBLIC_UID, accountOnDay, followerUid, startSimulator, type UserScenario } from '../../src/simulator/index.js';
import { runTkfInProcess } from '../helpers/run-cli.js';

const NOW = 1631063752;
const UID = '6500000000000000001';

interface Data {
  total: number;
  max_time: number;
  min_time: number;
  has_more: boolean;
  followers: { uid: string }[];
}

async function page(url: string, uid: string, cursor: number): Promise<Data> {
  const response = await fetch(`${url}/tk/user/followers?token=${DEFAULT_TOKEN}&uid=${uid}&cursor=${cursor}`);
  return ((await response.json()) as { data: Data }).data;
}

/** Every follower the list serves, walking min_time, and how the walk ended. */
async function walk(url: string, uid: string): Promise<{ uids: string[]; last: Data }> {
  const uids: string[] = [];
  let cursor = 0;
  for (;;) {
    const data = await page(url, uid, cursor);
    uids.push(...data.followers.map((f) => f.uid));
    if (!data.has_more || data.min_time <= 0) return { uids, last: data };
    cursor = data.min_time;
  }
}

async function served(scenario: UserScenario): Promise<{ uids: string[]; last: Data; first: Data }> {
  const sim = await startSimulator({ now: NOW, users: { [UID]: scenario } });
  try {
    return { ...(await walk(sim.url, UID)), first: await page(sim.url, UID, 0) };
  } finally {
    await sim.close();
  }
}

const uid = (n: number) => followerUid(1, UID, n);
const range = (from: number, to: number, except: number[] = []) =>
  Array.from({ length: to - from }, (_, k) => from + k).filter((n) => !except.includes(n)).map(uid);

describe('a changing list', () => {
  it('reports as the profile\'s count the followers who follow now, unless a total is given', async () => {
    expect((await served({ size: 60, notYetFollowed: 15 })).first.total).toBe(45);
    expect((await served({ size: 60, notYetFollowed: 15, unfollowed: [20, 21], refollowed: [30] })).first.total).toBe(43);
    expect((await served({ size: 60, notYetFollowed: 15, total: 1000 })).first.total).toBe(1000);
  });

  it('serves re-followers on top with follow times newer than now, and leaves out who unfollowed', async () => {
    const { uids, first, last } = await served({ size: 60, refollowed: [40, 7], unfollowed: [3] });
    expect(uids).toEqual([uid(40), uid(7), ...range(0, 60, [3, 7, 40])]);
    expect(first.max_time).toBe(NOW + 2);
    expect(last.has_more).toBe(false);
  });

  it('ends a list cut early (endsAfterPage) there, has_more false, its total still the whole list', async () => {
    const cut = await served({ size: 200, unfollowed: [5], endsAfterPage: 3 });
    expect(cut.uids).toEqual(range(0, 61, [5]));
    expect([cut.last.has_more, cut.first.total]).toEqual([false, 199]);
  });

  it('slides the depth cap with the newest follower: the reach is the newest `cap` of the list now', async () => {
    const earlier = await served({ size: 180, cap: 100, slidingCap: true, notYetFollowed: 30 });
    expect(earlier.uids).toEqual(range(30, 130));
    expect(earlier.last).toMatchObject({ min_time: -1, max_time: -1, has_more: true, followers: [] });
    const later = await served({ size: 180, cap: 100, slidingCap: true, unfollowed: [50] });
    expect(later.uids).toEqual(range(0, 101, [50]));
    // The fixed cap counts from follower #0 whatever followed since: the old model, unchanged.
    expect((await served({ size: 180, cap: 100, notYetFollowed: 30 })).uids).toEqual(range(30, 100));
  });

  it('accountOnDay: grow new followers a day on top, the named ones gone from their day on', () => {
    const plan = { size: 500, days: 3, grow: 100, cap: 200, leave: { 1: [250], 2: [260] } };
    expect(accountOnDay(plan, 0)).toEqual({ size: 500, cap: 200, notYetFollowed: 200, slidingCap: true, unfollowed: [] });
    expect(accountOnDay(plan, 2)).toEqual({ size: 500, cap: 200, notYetFollowed: 0, slidingCap: true, unfollowed: [250, 260] });
  });
});

describe('tkf simulate', () => {
  it('--refollowed, --unfollowed, --not-yet-followed and --sliding-cap shape the public user', async () => {
    const controller = new AbortController();
    const args = ['simulate', '--port', '0', '--size', '100', '--cap', '50', '--sliding-cap', '--not-yet-followed', '10', '--unfollowed', '12,13', '--refollowed', '90'];
    let ready: (url: string) => void = () => {};
    const url = new Promise<string>((resolve) => (ready = resolve));
    const running = runTkfInProcess(args, { signal: controller.signal, onStdout: (text) => text.includes('\n') && ready(text.split('\n')[0]!.trim()) });
    try {
      const { uids } = await walk(await url, PUBLIC_UID);
      const n = (i: number) => followerUid(1, PUBLIC_UID, i);
      // #90 on top, then #10.. without #12, #13: 50 in all (the cap counts from the top).
      expect(uids).toEqual([n(90), ...Array.from({ length: 51 }, (_, k) => 10 + k).filter((i) => i !== 12 && i !== 13).map(n)]);
      // The profile counts who follows now: 100, less the 10 not yet, the 2 gone (#90 is back).
      expect((await page(await url, PUBLIC_UID, 0)).total).toBe(88);
    } finally {
      controller.abort();
      await running;
    }
  });
});
