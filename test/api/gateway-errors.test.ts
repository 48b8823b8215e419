/**
 * [issue 18.4] A gateway's error is not a token refusal. HTTP 200 with `{"error":"upstream connect
 * error"}` (no `code`) was taken for one: exit 5, "the API refused the request (code undefined)",
 * and in a batch it stopped every account. An answer without a recognisable envelope is a
 * misbehaving API: retried like a 5xx, then exit 6 for that account only. `code: 0` with a
 * normal `data` is not a refusal either. Over real HTTP: the simulator's `gateway` fault, and a
 * server of the test's own where one uid needs another answer than the next.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { ApiRefusedError, ApiUnavailableError, EXIT } from '../../src/errors.js';
import { GATEWAY_BODY } from '../../src/simulator/faults.js';
import { useClientHarness } from '../helpers/client-harness.js';

const TOKEN = 'gw-token-5151';
const UID = '6754915036232582149'; // the simulator's public user
const SAMPLE = readFileSync(new URL('../../fixtures/sample-response.json', import.meta.url), 'utf8');

const { cleanups, client, simulator } = useClientHarness(TOKEN, { retries: 3 });

/** A server on 127.0.0.1 answering each request with body(uid). */
async function serve(body: (uid: string) => string) {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const uid = new URL(req.url ?? '/', 'http://x').searchParams.get('uid') ?? '';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body(uid));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

describe("HTTP 200 with a gateway's own JSON (the simulator's gateway fault)", () => {
  test('is retried like a 5xx and the page comes on the next answer', async () => {
    const sim = await simulator({ schedule: { 1: 'gateway', 2: 'gateway' } });
    const { client: c, notices } = client(sim.url);
    const page = await c.fetchPage(UID, 0);
    expect(page.followers?.length).toBe(20);
    expect(sim.stats.answers).toMatchObject({ gateway: 2, ok: 1 });
    expect(notices.map((n) => n.reason)).toEqual([
      expect.stringContaining("not the API's envelope"),
      expect.stringContaining("not the API's envelope"),
    ]);
    expect(notices[0]!.reason).toContain('upstream connect error');
    expect(c.governor.stopped).toBe(false);
    // The page says it came after failures, and the last one's words (the walk names them if it
    // cannot go on: walk-verdicts.test.ts).
    expect(page).toMatchObject({ retried: 2, lastFailure: notices[1]!.reason });
    expect((await c.fetchPage(UID, 0)).lastFailure).toBeUndefined();
  });

  test('that never ends: exit 6 after the retries, never exit 5, and the run goes on', async () => {
    const sim = await simulator({ rate: 1, kinds: ['gateway'], maxConsecutive: Number.MAX_SAFE_INTEGER });
    const { client: c } = client(sim.url, { retries: 2 });
    const error = await c.fetchPage(UID, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect(error).not.toBeInstanceOf(ApiRefusedError);
    expect((error as ApiUnavailableError).exitCode).toBe(EXIT.api);
    expect((error as Error).message).toMatch(/failed 3 times in a row.*not the API's envelope \(no "code" field\)/);
    expect(sim.stats.answers?.gateway).toBe(3);
    // Not about the token: the run is not stopped.
    expect(c.governor.stopped).toBe(false);
    expect(c.governor.stoppedBy).toBeUndefined();
  });
});

describe("a gateway's answer that echoes the request, token and all", () => {
  test.each([70, 75, 79, 84, 110, 118])('never shows a part of the token, wherever the excerpt is cut (the token at character %i)', async (at) => {
    // The excerpt is cut at 80 characters (and was read from 120 bytes): a cut inside the token
    // left its first characters when the cut came before the redaction.
    const bare = '{"error":"upstream failed for GET /v1/followers?&token=';
    const head = bare.replace('?', `?${'x'.repeat(at - bare.length)}`);
    expect(head.length).toBe(at);
    const server = await serve(() => `${head}${TOKEN}&uid=1"}`);
    const { client: c, notices } = client(server.base, { retries: 1 });
    const error = await c.fetchPage(UID, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    for (const text of [(error as Error).message, ...notices.map((n) => n.reason)]) {
      expect(text).toContain('upstream failed');
      expect(text).not.toContain(TOKEN.slice(0, 4));
    }
  });
});

describe('one account behind a broken gateway does not stop the others (a batch shares one client)', () => {
  test('account A fails with exit 6; account B, asked afterwards, gets its page', async () => {
    const server = await serve((uid) => (uid === '1' ? GATEWAY_BODY : SAMPLE));
    const { client: run } = client(server.base, { retries: 1 });
    const a = run.account();
    const b = run.account();
    const failed = await a.fetchPage('1', 0).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ApiUnavailableError);
    const page = await b.fetchPage('2', 0);
    expect(page.followers?.length).toBe(2);
    expect([a.requests, b.requests]).toEqual([2, 1]);
  });
});

describe('what is and is not the envelope', () => {
  const withCode = (code: unknown, data: unknown = JSON.parse(SAMPLE).data) => JSON.stringify({ code, msg: 'x', data });

  test('code 0 with a normal data is a page, not a refusal', async () => {
    const server = await serve(() => withCode(0));
    const { client: c } = client(server.base);
    const page = await c.fetchPage(UID, 0);
    expect(page.followers?.map((f) => f.uid)).toEqual(['7005153156116071425', '6977504145574577157']);
    expect(server.requests()).toBe(1);
  });

  test('code "0" (a string) with data null is retried as a broken page, never refused', async () => {
    const server = await serve(() => withCode('0', null));
    const { client: c } = client(server.base, { retries: 1 });
    const error = await c.fetchPage(UID, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect(server.requests()).toBe(2);
    expect(c.governor.stopped).toBe(false);
  });

  test.each([
    ['a code that is not a number', withCode('abc')],
    ['a JSON object with only an error', '{"error":"no healthy upstream"}'],
    ['an envelope-like object without code', JSON.stringify({ msg: 'ok', data: null })],
  ])('%s is a misbehaving API (exit 6), not a refusal', async (_name, body) => {
    const server = await serve(() => body);
    const { client: c } = client(server.base, { retries: 1 });
    const error = await c.fetchPage(UID, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect(server.requests()).toBe(2);
    expect(c.governor.stopped).toBe(false);
  });

  test.each([
    [500, 'Internal Server Error'],
    [502, 'bad gateway'],
    ['503', 'upstream unavailable'],
  ])('an envelope code %s is the API failing: retried, the page comes on the next answer, or exit 6; never a refusal', async (code, msg) => {
    let answers = 0;
    const server = await serve(() => (++answers === 1 ? JSON.stringify({ code, msg, data: null }) : SAMPLE));
    const { client: c, notices } = client(server.base, { retries: 1 });
    const page = await c.fetchPage(UID, 0);
    expect(page.followers?.length).toBe(2);
    expect(notices.map((n) => n.reason)).toEqual([`code ${code} (a server error of the API's own): ${msg}`]);
    const always = await serve(() => JSON.stringify({ code, msg, data: null }));
    const { client: broken } = client(always.base, { retries: 1 });
    const error = await broken.fetchPage(UID, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect((error as Error).message).toContain(`code ${code} (a server error of the API's own): ${msg}`);
    expect(always.requests()).toBe(2);
    expect(broken.governor.stopped).toBe(false);
  });

  test("the envelope's own code (402) still refuses the token and stops the run (exit 5)", async () => {
    const server = await serve(() => JSON.stringify({ code: 402, msg: '余额不足', data: null }));
    const { client: c } = client(server.base);
    const error = await c.fetchPage(UID, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiRefusedError);
    expect(server.requests()).toBe(1);
    expect(c.governor.stopped).toBe(true);
  });
});

describe("an API's own words in an error are one clean line", () => {
  test("a refusal's msg with a line break, colours and a bidi override: one line, none of them left, the token hidden", async () => {
    const server = await serve(() => JSON.stringify({ code: 403, msg: `token ${TOKEN} invalid\nsecond line \u001b[31mRED\u001b[0m \u202eevil` }));
    const { client: c } = client(server.base, { retries: 1 });
    const error = (await c.fetchPage(UID, 0).catch((e: unknown) => e)) as ApiRefusedError;
    expect(error).toBeInstanceOf(ApiRefusedError);
    expect(error.message).toMatch(/refused the request \(code 403\): token \*\*\* invalid second line \[31mRED \[0m evil$/);
  });

  test("a gateway's body with control characters, in the reason of a retry", async () => {
    // Raw in a JSON string: a line separator, a bidi override, DEL and a C1 control.
    const server = await serve(() => '{"error":"bad\u2028gateway\u202ehere\u007f\u009b2J"}');
    const { client: c, notices } = client(server.base, { retries: 1 });
    await c.fetchPage(UID, 0).catch(() => undefined);
    expect(notices[0]!.reason).toContain('{"error":"bad gateway here 2J"}');
  });
});
