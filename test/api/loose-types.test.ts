/**
 * Types drift (shared/api/README.md): the client, over real HTTP on 127.0.0.1, reads has_more as
 * 1/0 and numbers as strings of digits, and never takes a field it cannot read for the end.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createClient } from '../../src/api/client.js';
import { readFlag, readInteger } from '../../src/api/envelope-fields.js';
import { ApiRefusedError, ApiUnavailableError, HiddenListError, UserNotFoundError } from '../../src/errors.js';

const TOKEN = 'LOOSE-TOKEN-777';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A server that answers every request with this body; counts the requests. */
async function serve(body: string): Promise<{ base: string; requests: () => number }> {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())).then(() => undefined));
  cleanups.push(() => server.closeAllConnections());
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

function client(base: string) {
  const made = createClient({ baseUrl: base, token: TOKEN, retries: 2, sleep: async () => {}, random: () => 0 });
  cleanups.push(() => made.close());
  return made;
}

const page = (code: string, data: string) =>
  `{"code":${code},"msg":"成功","data":{${data},"followers":[{"uid":"7005153156116071425"}]}}`;

describe('loose types are read as what they mean', () => {
  test.each([
    ['has_more 1 and numbers as strings', page('"200"', '"has_more":1,"min_time":"1763998859","max_time":"1763998900","total":"8229668","status_code":"0"'), true, 1763998859, 8229668],
    ['has_more "true"', page('200', '"has_more":"true","min_time":1763998859,"status_code":0'), true, 1763998859, undefined],
    ['has_more 0 ends the list even with no cursor', page('200', '"has_more":0,"status_code":"0"'), false, undefined, undefined],
    ['has_more "false" and the cap\'s "-1"', page('200', '"has_more":"false","min_time":"-1"'), false, -1, undefined],
  ])('%s', async (_name, body, hasMore, minTime, total) => {
    const server = await serve(body);
    const answer = await client(server.base).fetchPage('1', 0);
    expect(answer.code).toBe(200);
    expect(answer.hasMore).toBe(hasMore);
    expect(answer.minTime).toBe(minTime);
    expect(answer.total).toBe(total);
    expect(answer.followers?.map((f) => f.uid)).toEqual(['7005153156116071425']);
    expect(server.requests()).toBe(1);
  });

  test('"status_code":"2096" is still a hidden list (exit 3), and "2065" a missing user (exit 4)', async () => {
    const hidden = await serve('{"code":"200","msg":"成功","data":{"status_code":"2096","log_pb":{}}}');
    await expect(client(hidden.base).fetchPage('1', 0)).rejects.toBeInstanceOf(HiddenListError);
    const missing = await serve('{"code":"200","msg":"成功","data":{"status_code":"2065","has_more":0}}');
    await expect(client(missing.base).fetchPage('1', 0)).rejects.toBeInstanceOf(UserNotFoundError);
  });

  test('a body code "402" is a refusal with its message, like 402', async () => {
    const refused = await serve('{"code":"402","msg":"余额不足","data":null}');
    const error = await client(refused.base).fetchPage('1', 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiRefusedError);
    expect((error as Error).message).toContain('余额不足');
  });
});

describe('a field that cannot be read is never the end of the list', () => {
  test.each([
    ['a cursor that is not a number', page('200', '"has_more":true,"min_time":"soon","status_code":0'), 'data.min_time is "soon"'],
    ['no cursor on a page that says more follow', page('200', '"has_more":1,"status_code":0'), 'data.min_time is missing'],
    ['no cursor and no has_more', page('200', '"status_code":0'), 'data.min_time is missing'],
    ['a 19-digit cursor (would round)', page('200', '"has_more":true,"min_time":"1763998859000000000"'), 'data.min_time is "1763998859000000000"'],
    ['has_more that is neither', page('200', '"has_more":"maybe","min_time":5'), 'data.has_more is "maybe"'],
    ['code 200 with "data": null', '{"code":200,"msg":"成功","data":null}', 'data is missing on a page with code 200'],
    ['code 200 with no data at all', '{"code":"200","msg":"成功"}', 'data is missing on a page with code 200'],
    ['a status_code that is not a number', page('200', '"has_more":true,"min_time":5,"status_code":"ok"'), 'data.status_code is "ok"'],
  ])('%s: retried, then exit 6 naming the field and the value', async (_name, body, named) => {
    const server = await serve(body);
    const error = await client(server.base).fetchPage('1', 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect((error as Error).message).toContain(named);
    expect(server.requests()).toBe(3); // the first try and 2 retries
  });
});

describe('readInteger and readFlag', () => {
  test('whole numbers and strings of digits; nothing that would round or is not whole', () => {
    expect(readInteger(1631063752)).toBe(1631063752);
    expect(readInteger('1631063752')).toBe(1631063752);
    expect(readInteger('-1')).toBe(-1);
    expect(readInteger('0')).toBe(0);
    for (const bad of [12.5, '12.5', '', 'abc', '1e3', '9007199254740993', 9007199254740993, null, true, [], {}]) {
      expect(readInteger(bad)).toBeUndefined();
    }
  });

  test('true/false, 1/0 and their strings; nothing else', () => {
    expect([true, 1, '1', 'true'].map(readFlag)).toEqual([true, true, true, true]);
    expect([false, 0, '0', 'false'].map(readFlag)).toEqual([false, false, false, false]);
    for (const bad of [2, 'yes', '', null, undefined, 'TRUE']) expect(readFlag(bad)).toBeUndefined();
  });
});
