import { readFileSync } from 'node:fs';
import { Agent, get as httpGet, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_TOKEN,
  MISSING_UID,
  PRIVATE_UID,
  PUBLIC_UID,
  startSimulator,
  type FaultKind,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/index.js';

const sample = JSON.parse(readFileSync(new URL('../../fixtures/sample-response.json', import.meta.url), 'utf8'));

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** False when the connection closed before the promised Content-Length arrived. */
  complete: boolean;
}

/** GET over node:http, keeping whatever arrived; rejects only when no response came at all. */
function get(url: string, agent: Agent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => {}); // 'aborted' on a truncated body; seen through `complete`
      res.on('close', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }),
      );
    }).on('error', reject);
  });
}

function followersUrl(sim: Simulator, uid: string, cursor?: number | string, token = DEFAULT_TOKEN): string {
  const query = new URLSearchParams({ token, uid });
  if (cursor !== undefined) query.set('cursor', String(cursor));
  return `${sim.url}/tk/user/followers?${query}`;
}

async function getJson(sim: Simulator, uid: string, cursor?: number, token?: string) {
  return JSON.parse((await get(followersUrl(sim, uid, cursor, token))).body.toString('utf8'));
}

/** Opens a simulator for the duration of `use`. */
async function withSimulator<T>(options: SimulatorOptions, use: (sim: Simulator) => Promise<T>): Promise<T> {
  const sim = await startSimulator(options);
  try {
    return await use(sim);
  } finally {
    await sim.close();
  }
}

describe('startSimulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  it("answers the first page in the sample's envelope, compact, with Content-Length", async () => {
    const reply = await get(followersUrl(sim, PUBLIC_UID, 0));
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(reply.headers['content-length'])).toBe(reply.body.length);
    const text = reply.body.toString('utf8');
    expect(text.startsWith('{"code":200,"msg":"成功","data":{"max_time":')).toBe(true);
    const page = JSON.parse(text);
    expect(Object.keys(page)).toEqual(Object.keys(sample));
    expect(Object.keys(page.data)).toEqual(Object.keys(sample.data));
    expect(Object.keys(page.data.extra)).toEqual(Object.keys(sample.data.extra));
    expect(Object.keys(page.data.log_pb)).toEqual(Object.keys(sample.data.log_pb));
    expect(page.data).toMatchObject({ max_time: 1631063752, has_more: true, status_code: 0, total: 8229668 });
    expect(page.data.extra.now).toBe(1631063752000);
    expect(page.data.extra.logid).toMatch(/^20210908011552[0-9A-F]{20}$/);
    expect(page.data.followers).toHaveLength(20);
    for (const follower of page.data.followers) expect(Object.keys(follower)).toEqual(Object.keys(sample.data.followers[0]));
    expect(page.data.min_time).toBeLessThan(page.data.max_time);
  });

  it('treats an absent cursor as 0, the newest page', async () => {
    const absent = (await get(followersUrl(sim, PUBLIC_UID))).body;
    expect(absent.equals((await get(followersUrl(sim, PUBLIC_UID, 0))).body)).toBe(true);
  });

  it('refuses a bad or missing token and a bad uid with the vendor codes, on HTTP 200', async () => {
    expect(await getJson(sim, PUBLIC_UID, 0, 'wrong')).toEqual({ code: 403, msg: 'token无效 (invalid token)', data: null });
    const noToken = await get(`${sim.url}/tk/user/followers?uid=${PUBLIC_UID}`);
    expect(noToken.status).toBe(200);
    expect(JSON.parse(noToken.body.toString()).code).toBe(403);
    for (const query of ['', '&uid=', '&uid=abc', '&uid=12a4', '&uid=-5']) {
      const reply = await get(`${sim.url}/tk/user/followers?token=${DEFAULT_TOKEN}${query}`);
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body.toString())).toEqual({ code: 400, msg: 'uid参数错误', data: null });
    }
  });

  it('answers a private list with the hidden shape (2096): no followers, no has_more', async () => {
    const page = await getJson(sim, PRIVATE_UID, 0);
    expect(page.code).toBe(200);
    expect(Object.keys(page.data)).toEqual(['status_code', 'log_pb', 'extra']);
    expect(page.data.status_code).toBe(2096);
  });

  it('answers 2065 for a missing user and, by default, for any unknown uid', async () => {
    for (const uid of [MISSING_UID, '42']) {
      const page = await getJson(sim, uid, 0);
      expect(page.data).toMatchObject({ status_code: 2065, followers: [], has_more: false });
    }
  });

  it('counts requests, per uid, and keeps the cursors sent', async () => {
    const fresh = await startSimulator();
    await get(followersUrl(fresh, PUBLIC_UID, 0));
    await get(followersUrl(fresh, PUBLIC_UID, 1631063700));
    await get(followersUrl(fresh, PRIVATE_UID));
    await get(followersUrl(fresh, PRIVATE_UID, 0, 'wrong'));
    await fresh.close();
    expect(fresh.stats).toEqual({
      requests: 4,
      byUid: { [PUBLIC_UID]: 2, [PRIVATE_UID]: 1 },
      cursors: ['0', '1631063700', '', '0'],
      answers: { ok: 3, token: 1 },
    });
  });

  it('logs every request (never the token) and, past --rate-limit, answers HTTP 429 + Retry-After + code 429', async () => {
    const log: Array<{ uid: string; cursor: string; answer: string }> = [];
    const limited = await startSimulator({ rateLimit: 3, onRequest: (entry) => log.push(entry) });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await get(followersUrl(limited, PUBLIC_UID, 0)));
    const asBody = await startSimulator({ rateLimit: 1, rateLimitStatus: 200 });
    await get(followersUrl(asBody, PUBLIC_UID, 0));
    const second = await get(followersUrl(asBody, PUBLIC_UID, 0));
    await Promise.all([limited.close(), asBody.close()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
    expect(answers[3]!.headers['retry-after']).toBe('1');
    expect(JSON.parse(answers[3]!.body.toString()).code).toBe(429);
    expect(log.map((entry) => entry.answer)).toEqual(['ok', 'ok', 'ok', 'throttled', 'throttled']);
    expect(log[0]).toMatchObject({ uid: PUBLIC_UID, cursor: '0' });
    expect(JSON.stringify(log)).not.toContain('sim-token');
    expect(limited.stats.answers).toEqual({ ok: 3, throttled: 2 });
    expect(second.status).toBe(200);
    expect(JSON.parse(second.body.toString()).code).toBe(429);
  });
});

describe('startSimulator options', () => {
  it('gives the same bytes for the same seed and requests, other bytes for another seed', async () => {
    const walk = (options: SimulatorOptions) =>
      withSimulator(options, async (sim) => {
        const bodies: Buffer[] = [];
        let cursor = 0;
        for (let page = 0; page < 4; page++) {
          const body = (await get(followersUrl(sim, PUBLIC_UID, cursor))).body;
          bodies.push(body);
          cursor = JSON.parse(body.toString()).data.min_time;
        }
        bodies.push((await get(followersUrl(sim, PRIVATE_UID))).body, (await get(followersUrl(sim, '77'))).body);
        return Buffer.concat(bodies);
      });
    const first = await walk({ seed: 7, defaultUser: { size: 30 } });
    // Buffer#equals: vitest's deep equality walks a 400 KB Buffer byte by byte.
    expect((await walk({ seed: 7, defaultUser: { size: 30 } })).equals(first)).toBe(true);
    expect((await walk({ seed: 8, defaultUser: { size: 30 } })).equals(first)).toBe(false);
  });

  it('serves only under basePath; anything else is 404', async () => {
    await withSimulator({ basePath: '/api/v1/' }, async (sim) => {
      expect(sim.url).toBe(`http://127.0.0.1:${sim.port}/api/v1`);
      expect((await getJson(sim, PUBLIC_UID, 0)).data.followers).toHaveLength(20);
      const origin = `http://127.0.0.1:${sim.port}`;
      expect((await get(`${origin}/tk/user/followers?token=${DEFAULT_TOKEN}&uid=${PUBLIC_UID}`)).status).toBe(404);
      expect((await get(`${sim.url}/tk/user/following?token=${DEFAULT_TOKEN}&uid=${PUBLIC_UID}`)).status).toBe(404);
    });
  });

  it('answers code 402 once the quota of successful requests is spent', async () => {
    await withSimulator({ quota: 2, token: 'paid' }, async (sim) => {
      expect((await getJson(sim, PUBLIC_UID, 0, 'nope')).code).toBe(403); // refusals cost nothing
      expect((await getJson(sim, PUBLIC_UID, 0, 'paid')).code).toBe(200);
      expect((await getJson(sim, PRIVATE_UID, 0, 'paid')).code).toBe(200);
      expect(await getJson(sim, PUBLIC_UID, 0, 'paid')).toEqual({ code: 402, msg: '余额不足 (quota exhausted)', data: null });
    });
  });

  it('delays every answer by latencyMs without blocking other requests', async () => {
    // On a fake clock (timers only; sockets stay real): four requests wait together, none is
    // answered 1 ms before the latency is up, all four are when it is.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await withSimulator({ latencyMs: 150 }, async (sim) => {
        let answered = 0;
        const pending = Promise.all([0, 1, 2, 3].map(() => get(followersUrl(sim, PUBLIC_UID, 0)).then((reply) => (answered++, reply))));
        // Wait (in real time, counting) until the four requests are in and their answers timed.
        while (vi.getTimerCount() < 4) await new Promise((resolve) => setImmediate(resolve));
        await vi.advanceTimersByTimeAsync(149);
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
        expect(answered).toBe(0);
        await vi.advanceTimersByTimeAsync(1);
        const replies = await pending;
        expect(replies.every((reply) => reply.status === 200)).toBe(true);
        expect(answered).toBe(4);
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('serves prerendered pages with the same bytes as rendered ones', async () => {
    const bodies = (prerender: boolean) =>
      withSimulator({ prerender }, async (sim) => {
        const first = (await get(followersUrl(sim, PUBLIC_UID, 0))).body;
        const again = (await get(followersUrl(sim, PUBLIC_UID, 0))).body;
        expect(again.equals(first)).toBe(true);
        return first;
      });
    expect((await bodies(true)).equals(await bodies(false))).toBe(true);
  });

  it('cuts a list (endsAfterPage) only in the walks shortWalks names, counted by answers to cursor 0; the others are whole', async () => {
    const uid = '5300000000000000001';
    for (const prerender of [false, true]) {
      await withSimulator({ prerender, users: { [uid]: { size: 100, endsAfterPage: 2, shortWalks: [2, 3] } }, faults: { schedule: { 7: '502', 9: '502' } } }, async (sim) => {
        /** One walk: its pages' follower counts until has_more is false. */
        const walk = async () => {
          const counts: number[] = [];
          for (let cursor = 0; ; ) {
            const reply = await get(followersUrl(sim, uid, cursor));
            if (reply.status !== 200) continue; // a scheduled 502: asked again
            const { data } = JSON.parse(reply.body.toString('utf8'));
            counts.push(data.followers.length);
            if (!data.has_more) return counts;
            cursor = data.min_time;
          }
        };
        // Requests 1-5 are the first walk; 6-8 the second (its page asked again after the 502 at 7
        // is no new walk); 9-11 the third (the 502 at 9, at cursor 0, is no answer: 10 begins
        // it); 12-16 the fourth.
        expect(await walk()).toEqual([20, 20, 20, 20, 20]);
        expect(await walk()).toEqual([20, 20]);
        expect(await walk()).toEqual([20, 20]);
        expect(await walk()).toEqual([20, 20, 20, 20, 20]);
      });
    }
  });

  it('closes promptly while keep-alive sockets are open', async () => {
    const sim = await startSimulator();
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    await Promise.all([get(followersUrl(sim, PUBLIC_UID, 0), agent), get(followersUrl(sim, PRIVATE_UID), agent)]);
    const sockets = Object.values(agent.freeSockets).flat() as Socket[];
    expect(sockets.length).toBeGreaterThan(0);
    // Promptly: close() ends the idle keep-alive connections itself instead of waiting out the
    // 65 s keep-alive timeout: by the time it resolves, the server has closed each socket (what
    // reaches the client, a FIN or a reset, differs between Node versions). Proved by the state of
    // the connections, not by a stopwatch.
    const closed = sockets.map(
      (socket) =>
        new Promise<boolean>((resolve) => {
          socket.on('error', () => {}); // a reset, on some Nodes
          socket.once('close', () => resolve(true));
        }),
    );
    await sim.close();
    expect(await Promise.all(closed)).toEqual(sockets.map(() => true));
    expect(sockets.every((socket) => socket.destroyed)).toBe(true);
    await sim.close(); // a second close is harmless
    await expect(get(followersUrl(sim, PUBLIC_UID, 0))).rejects.toThrow();
    agent.destroy();
  });
});

describe('faults', () => {
  const kinds: FaultKind[] = ['500', '502', '503', '429', 'reset', 'truncate', 'html'];

  it('injects each scheduled kind, then answers normally', async () => {
    const schedule = Object.fromEntries(kinds.map((kind, i) => [2 * i + 1, kind]));
    await withSimulator({ faults: { schedule, retryAfter: '7' } }, async (sim) => {
      const replies: Record<string, Reply | Error> = {};
      for (const kind of kinds) {
        replies[kind] = await get(followersUrl(sim, PUBLIC_UID, 0)).catch((error: Error) => error);
        const after = await get(followersUrl(sim, PUBLIC_UID, 0));
        expect(JSON.parse(after.body.toString()).data.followers, `after ${kind}`).toHaveLength(20);
      }
      const reply = (kind: string) => replies[kind] as Reply;
      expect(reply('500').status).toBe(500);
      expect(JSON.parse(reply('500').body.toString()).code).toBe(500);
      expect(reply('502').status).toBe(502);
      expect(reply('502').body.toString()).toContain('<html>');
      expect(reply('503').status).toBe(503);
      expect(reply('429').status).toBe(429);
      expect(reply('429').headers['retry-after']).toBe('7');
      expect(replies.reset).toBeInstanceOf(Error);
      expect(reply('truncate').status).toBe(200);
      expect(reply('truncate').complete).toBe(false);
      expect(reply('truncate').body.length).toBeLessThan(Number(reply('truncate').headers['content-length']));
      expect(() => JSON.parse(reply('truncate').body.toString())).toThrow();
      expect(reply('html').status).toBe(200);
      expect(reply('html').body.toString()).toMatch(/^<html>/);
    });
  });

  it('never faults a refused request', async () => {
    await withSimulator({ faults: { schedule: { 1: '500', 2: 'reset' } } }, async (sim) => {
      expect((await getJson(sim, PUBLIC_UID, 0, 'wrong')).code).toBe(403);
      expect((await getJson(sim, 'x1')).code).toBe(400);
    });
  });

  it('draws random faults from the seed, at most maxConsecutive in a row', async () => {
    const outcomes = (seed: number, faults: SimulatorOptions['faults']) =>
      withSimulator({ seed, faults }, async (sim) => {
        const seen: string[] = [];
        for (let i = 0; i < 40; i++) {
          const reply = await get(followersUrl(sim, PRIVATE_UID)).catch(() => undefined);
          seen.push(reply === undefined ? 'reset' : reply.complete ? String(reply.status) : 'truncate');
        }
        return seen;
      });
    const first = await outcomes(3, { rate: 0.4 });
    expect(await outcomes(3, { rate: 0.4 })).toEqual(first);
    expect(first.filter((outcome) => outcome !== '200').length).toBeGreaterThan(4);
    expect(first.join(' ')).toContain('200');

    const always = await outcomes(1, { rate: 1, kinds: ['503'], maxConsecutive: 2 });
    expect(always.slice(0, 6)).toEqual(['503', '503', '200', '503', '503', '200']);
  });
});
