/**
 * The next cursor read off an answer's head before it is parsed (src/api/cursor-peek.ts): on every
 * page it answers, it must name the cursor the strict parser reads, and it must give no guess on
 * an answer the walk would not follow at once (the end, the cap, an empty page, a refusal, an
 * envelope of another shape).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { peekNextCursor } from '../../src/api/cursor-peek.js';
import { parsePage } from '../../src/api/page-parser.js';
import { listEnvelope } from '../../src/simulator/envelopes.js';
import { useClientHarness } from '../helpers/client-harness.js';

const sample = readFileSync(new URL('../../fixtures/sample-response.json', import.meta.url));
const follower = (uid: string) => Buffer.from(`{"uid":"${uid}","nickname":"n ${uid}","room_id":7300000000000000114}`);
const stamp = { now: 1631063752, logid: '202109080115520102450220261546B838' };

function simulated(options: { minTime: number; hasMore: boolean; followers?: number; loose?: boolean; statusCode?: number }): Buffer {
  const followers = Array.from({ length: options.followers ?? 20 }, (_, k) => follower(`70000000000000${String(k).padStart(5, '0')}`));
  const answer = { minTime: options.minTime, maxTime: options.minTime + 40, hasMore: options.hasMore, offset: 20 };
  return listEnvelope(answer, followers, 8229668, stamp, options.statusCode ?? 0, options.loose ?? false);
}

function page(data: string, followers = '{"uid":"1"}', head = '"code":200,"msg":"成功"'): Buffer {
  return Buffer.from(`{${head},"data":{${data},"followers":[${followers}]}}`);
}

describe('peekNextCursor', () => {
  test("names the strict parser's cursor on the vendor sample (tab-indented) and on the simulator's pages, strict and loose types", () => {
    expect(peekNextCursor(sample)).toBe(parsePage(sample).minTime);
    expect(peekNextCursor(sample)).toBe(1631063752);
    for (const loose of [false, true]) {
      for (const minTime of [1, 1631063752, 999999999999999]) {
        const body = simulated({ minTime, hasMore: true, loose });
        expect(parsePage(body).minTime).toBe(minTime);
        expect(peekNextCursor(body)).toBe(minTime);
      }
    }
  });

  test('gives no guess at the end of the list, past the depth cap, or on an empty page', () => {
    expect(peekNextCursor(simulated({ minTime: 1631063000, hasMore: false }))).toBeUndefined();
    expect(peekNextCursor(simulated({ minTime: -1, hasMore: true }))).toBeUndefined();
    expect(peekNextCursor(simulated({ minTime: 0, hasMore: true }))).toBeUndefined();
    expect(peekNextCursor(simulated({ minTime: 1631063000, hasMore: true, followers: 0 }))).toBeUndefined();
    expect(peekNextCursor(page('"has_more":true,"min_time":5,"status_code":0', ' \n '))).toBeUndefined();
  });

  test('gives no guess on a refusal, a hidden list or a gateway answer', () => {
    expect(peekNextCursor(page('"has_more":true,"min_time":5,"status_code":0', '{"uid":"1"}', '"code":403,"msg":"token无效"'))).toBeUndefined();
    expect(peekNextCursor(simulated({ minTime: 1631063000, hasMore: true, statusCode: 2096 }))).toBeUndefined();
    expect(peekNextCursor(Buffer.from('{"error":"upstream connect error","followers":[1]}'))).toBeUndefined();
    expect(peekNextCursor(Buffer.from('<html><body>502 Bad Gateway</body></html>'))).toBeUndefined();
    expect(peekNextCursor(Buffer.alloc(0))).toBeUndefined();
  });

  test('gives no guess when the head is ambiguous or the followers start late', () => {
    // Two min_time keys: which one counts is the strict parser's to say.
    expect(peekNextCursor(page('"has_more":true,"min_time":5,"min_time":6,"status_code":0'))).toBeUndefined();
    // A cursor as a number JSON would round, or not a whole number.
    expect(peekNextCursor(page('"has_more":true,"min_time":12345678901234567,"status_code":0'))).toBeUndefined();
    expect(peekNextCursor(page('"has_more":true,"min_time":5.5,"status_code":0'))).toBeUndefined();
    // "rec_has_more" is not "has_more".
    expect(peekNextCursor(page('"rec_has_more":true,"min_time":5,"status_code":0'))).toBeUndefined();
    // The envelope's fields after the followers (another order than the vendor's): no guess.
    expect(peekNextCursor(Buffer.from('{"code":200,"msg":"ok","data":{"followers":[{"uid":"1"}],"has_more":true,"min_time":5,"status_code":0}}'))).toBeUndefined();
    const padding = 'x'.repeat(3000);
    expect(peekNextCursor(page(`"has_more":true,"min_time":5,"status_code":0,"pad":"${padding}"`))).toBeUndefined();
    expect(peekNextCursor(page('"has_more":true,"min_time":5,"status_code":0'))).toBe(5);
  });
});

describe('the client tells onArrived the next cursor before the parse (over real HTTP)', () => {
  const TOKEN = 'peek-token-7117';
  const UID = '6754915036232582149'; // the simulator's public user
  const { client, simulator } = useClientHarness(TOKEN, { retries: 3 });

  test('on a first answer: the cursor the parsed page names; a request made then is sent and counted', async () => {
    const sim = await simulator({});
    const { client: c } = client(sim.url);
    const told: number[] = [];
    let leadSent: Promise<unknown> | undefined;
    const page = await c.fetchPage(UID, 0, undefined, (next) => {
      told.push(next);
      leadSent = c.fetchPage(UID, next);
      return true;
    });
    expect(told).toEqual([page.minTime]);
    expect(c.requests).toBe(2);
    await leadSent;
  });

  test('not on an answer that came after a failure (the walk may re-enter its second)', async () => {
    const sim = await simulator({ schedule: { 1: 'gateway' } });
    const { client: c, notices } = client(sim.url);
    const told: number[] = [];
    const page = await c.fetchPage(UID, 0, undefined, (next) => {
      told.push(next);
      return false;
    });
    expect(notices).toHaveLength(1);
    expect(page.retried).toBe(1);
    expect(told).toEqual([]);
  });
});
