/**
 * [issue 18.7] Throttling forever. A 429 that never ended with `Retry-After: 1` made tkf wait about
 * an hour (the backoff outgrew Retry-After); with `Retry-After: 299`, about 2.5 hours. Now a 429's
 * pause is its Retry-After (a doubling --backoff of at most a minute without one), and the run
 * stops (WaitLimitError, exit 8, resumable) once it has been throttled for --max-wait without an
 * answer getting through. Over real HTTP (the simulator's 429 fault that never ends), on a clock
 * that moves by the governor's own sleeps: counts of requests and of waited milliseconds.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createClient } from '../../src/api/client.js';
import { DEFAULT_MAX_WAIT_MS, RunGovernor } from '../../src/api/run-governor.js';
import { EXIT, RunStoppedError, WaitLimitError } from '../../src/errors.js';
import { startSimulator } from '../../src/simulator/index.js';

const TOKEN = 'max-wait-token';
const UID = '6754915036232582149';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A client whose governor sleeps on a fake clock: each sleep moves it, and nothing waits really. */
function fakeTimeClient(baseUrl: string, maxWaitMs?: number) {
  const clock = { t: 1_000_000 };
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    clock.t += ms;
  };
  const governor = new RunGovernor({ now: () => clock.t, sleep, maxWaitMs, retryBaseMs: 1000 });
  const client = createClient({ baseUrl, token: TOKEN, governor, sleep });
  cleanups.push(() => client.close());
  const waited = () => sleeps.reduce((a, b) => a + b, 0);
  return { client, governor, waited };
}

async function throttlingForever(retryAfter: string) {
  const sim = await startSimulator({
    token: TOKEN,
    faults: { rate: 1, kinds: ['429'], maxConsecutive: Number.MAX_SAFE_INTEGER, retryAfter },
  });
  cleanups.push(() => sim.close());
  return sim;
}

describe('a 429 that never ends', () => {
  test('Retry-After: 1 is waited as sent, until --max-wait (30 s here): then exit 8, not an hour', async () => {
    const sim = await throttlingForever('1');
    const { client, waited } = fakeTimeClient(sim.url, 30_000);
    const error = await client.fetchPage(UID, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitLimitError);
    expect((error as WaitLimitError).exitCode).toBe(EXIT.stopped);
    expect((error as Error).message).toMatch(/too many requests.*--max-wait 30 s/);
    // One request a second of throttling, and no more waiting than --max-wait.
    expect(sim.stats.answers?.['429']).toBe(31);
    expect(waited()).toBeLessThanOrEqual(30_000);
    expect(waited()).toBeGreaterThanOrEqual(29_000);
  });

  test('says how long it was throttled, not rounded up (4.1 s was said as 5 s)', async () => {
    const sim = await throttlingForever('2');
    const { client, waited } = fakeTimeClient(sim.url, 6_500);
    const error = await client.fetchPage(UID, 0).catch((e: unknown) => e);
    expect(waited()).toBe(6_000);
    expect((error as Error).message).toContain('the API has answered "too many requests" for 6.0 s without letting a request through, and waiting 2.0 s more would pass --max-wait 7 s');
  });

  test('the stop is the run\'s: another account of the run sends nothing more (exit 8)', async () => {
    const sim = await throttlingForever('1');
    const { client, governor } = fakeTimeClient(sim.url, 5_000);
    await client.account().fetchPage(UID, 0).catch(() => undefined);
    const before = sim.stats.requests;
    const other = await client.account().fetchPage(UID, 0).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(RunStoppedError);
    expect((other as RunStoppedError).exitCode).toBe(EXIT.stopped);
    expect(sim.stats.requests).toBe(before);
    expect(governor.stopped).toBe(true);
  });

  test('Retry-After: 299 with the default --max-wait (600 s): two waits, then exit 8 (not 2.5 hours)', async () => {
    expect(DEFAULT_MAX_WAIT_MS).toBe(600_000);
    const sim = await throttlingForever('299');
    const { client, waited } = fakeTimeClient(sim.url);
    const error = await client.fetchPage(UID, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitLimitError);
    expect(sim.stats.answers?.['429']).toBe(3);
    expect(waited()).toBe(2 * 299_000);
  });

  test('without Retry-After: --backoff doubling, a minute at most per pause, and no more than --max-wait in all', async () => {
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end('{"code":429,"msg":"too many requests","data":null}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
    const sleeps: number[] = [];
    const clock = { t: 0 };
    const governor = new RunGovernor({
      now: () => clock.t,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.t += ms;
      },
      retryBaseMs: 1000,
    });
    const client = createClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: TOKEN, governor });
    cleanups.push(() => client.close());
    const error = await client.fetchPage(UID, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitLimitError);
    expect(sleeps.slice(0, 8)).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(600_000);
    expect(requests).toBe(sleeps.length + 1);
  });

  test('an answer that gets through starts the count again: a run throttled now and then is not stopped', async () => {
    // 429, 429, page, 429, 429, page...: never 2 s in a row without an answer, with --max-wait 2.5 s.
    const schedule = Object.fromEntries(Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 3 !== 2).map((i) => [i + 1, '429' as const]));
    const sim = await startSimulator({ token: TOKEN, faults: { schedule, retryAfter: '1' } });
    cleanups.push(() => sim.close());
    const { client } = fakeTimeClient(sim.url, 2_500);
    for (let page = 0; page < 10; page++) await client.fetchPage(UID, 0);
    expect(sim.stats.answers).toMatchObject({ ok: 10, '429': 20 });
  });
});
