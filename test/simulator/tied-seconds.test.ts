/** The simulator's popular-account behaviours: tied seconds, the three cursor modes, loose types. */
import { Agent, get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tiedFollowTimes } from '../../src/simulator/follow-times.js';
import { DEFAULT_TOKEN, followerUid, startSimulator, type Simulator, type UserScenario } from '../../src/simulator/index.js';

const NOW = 1631063752;
const tied = { size: 100, ties: [{ at: 5, count: 45 }] } satisfies UserScenario;
const users: Record<string, UserScenario> = {
  '2001': { ...tied, cursorMode: 'exclusive' },
  '2002': { ...tied, cursorMode: 'inclusive' },
  '2003': { ...tied, cursorMode: 'offset' },
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

function raw(uid: string, cursor: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    get(`${sim.url}/tk/user/followers?token=${DEFAULT_TOKEN}&uid=${uid}&cursor=${cursor}`, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>));
    }).on('error', reject);
  });
}
async function page(uid: string, cursor: number) {
  const data = (await raw(uid, cursor)).data as { min_time: number; followers: { uid: string }[] };
  return { minTime: data.min_time, uids: data.followers.map((f) => f.uid) };
}
const uidsOf = (uid: string, from: number, to: number) => Array.from({ length: to - from }, (_, k) => followerUid(1, uid, from + k));

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
    const first = await page('2001', 0);
    expect(first.uids).toEqual(uidsOf('2001', 0, 20));
    expect(first.minTime).toBe(NOW - 5);
    expect((await page('2001', NOW - 5)).uids).toEqual(uidsOf('2001', 50, 70));
  });

  it('inclusive: the tied second answered again is the same page', async () => {
    const again = await page('2002', NOW - 5);
    expect(again.uids).toEqual(uidsOf('2002', 5, 25));
    expect(again.minTime).toBe(NOW - 5);
    expect((await page('2002', NOW - 5)).uids).toEqual(again.uids);
    expect((await page('2002', NOW - 6)).uids).toEqual(uidsOf('2002', 50, 70));
  });

  it('offset: the cursor the last answer handed back continues where it stopped', async () => {
    expect((await page('2003', 0)).uids).toEqual(uidsOf('2003', 0, 20));
    const second = await page('2003', NOW - 5);
    expect(second.uids).toEqual(uidsOf('2003', 20, 40));
    const third = await page('2003', NOW - 5);
    expect(third.uids).toEqual(uidsOf('2003', 40, 60));
    expect(third.minTime).toBeLessThan(NOW - 5);
  });
});

describe('loose types', () => {
  it('sends "code":"200", has_more 1/0 and numbers as strings', async () => {
    const body = await raw('2004', 0);
    expect(body.code).toBe('200');
    const data = body.data as Record<string, unknown>;
    expect(data.has_more).toBe(1);
    expect(data.min_time).toMatch(/^\d+$/);
    expect(data.total).toBe('30');
    expect(data.status_code).toBe('0');
    const last = (await raw('2004', Number(data.min_time))).data as Record<string, unknown>;
    expect(last.has_more).toBe(0);
  });

  it('a hidden list says "status_code":"2096"', async () => {
    expect(((await raw('2005', 0)).data as Record<string, unknown>).status_code).toBe('2096');
  });
});
