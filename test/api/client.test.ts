import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import {
  type ClientOptions,
  type FollowersClient,
  type RetryNotice,
  createClient,
  followersUrl,
  parseRetryAfter,
} from '../../src/api/client.js';
import {
  ApiRefusedError,
  ApiUnavailableError,
  BudgetSpentError,
  HiddenListError,
  TkfError,
  UserNotFoundError,
  WaitLimitError,
} from '../../src/errors.js';

const TOKEN = 'TOKEN-SECRET-4242';
const UID = '7005153156116071425';
const SAMPLE = readFileSync(new URL('../../fixtures/sample-response.json', import.meta.url));

type Reply = (req: IncomingMessage, res: ServerResponse) => void;

const json =
  (body: string | Buffer, status = 200, headers: Record<string, string> = {}): Reply =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(body);
  };
const ok: Reply = json(SAMPLE);
const status =
  (code: number, headers: Record<string, string> = {}, message?: string): Reply =>
  (_req, res) => {
    if (message) res.statusMessage = message;
    res.writeHead(code, { 'content-type': 'text/plain', ...headers });
    res.end(`status ${code}`);
  };
const reset: Reply = (req) => req.socket.destroy();
/** Promises the whole sample (Content-Length) and hangs up halfway. */
const cutMidBody: Reply = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(SAMPLE.length) });
  res.write(SAMPLE.subarray(0, 4000), () => res.socket?.destroy());
};
/** A complete HTTP answer whose JSON is cut short. */
const truncatedJson: Reply = json(SAMPLE.subarray(0, SAMPLE.length - 40));
const html: Reply = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>');
};
const hang: Reply = () => {};
const envelope = (code: number, msg: string, data?: object) => JSON.stringify({ code, msg, ...(data ? { data } : {}) });

interface TestServer {
  base: string;
  /** The request URLs (path and query) in order. */
  urls: string[];
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A real server on 127.0.0.1: reply i answers request i; the last reply answers the rest. */
async function startServer(...replies: Reply[]): Promise<TestServer> {
  const urls: string[] = [];
  const server = http.createServer((req, res) => {
    urls.push(req.url ?? '');
    replies[Math.min(urls.length, replies.length) - 1]!(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, urls };
}

interface Harness {
  client: FollowersClient;
  sleeps: number[];
  notices: RetryNotice[];
}

function makeClient(baseUrl: string, options: Partial<ClientOptions> = {}): Harness {
  const sleeps: number[] = [];
  const notices: RetryNotice[] = [];
  // A fake clock that moves only when the client sleeps: a wait it computes from the clock
  // (Retry-After less the time already gone) does not depend on how fast this machine is.
  let clock = 1_000_000;
  const client = createClient({
    baseUrl,
    token: TOKEN,
    retryBaseMs: 1000,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    onRetry: (notice) => notices.push(notice),
    ...options,
  });
  cleanups.push(() => client.close());
  return { client, sleeps, notices };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}

describe('createClient: the request', () => {
  test('GET <base>/tk/user/followers?token=..&uid=..&cursor=.. and the parsed page', async () => {
    const server = await startServer(ok);
    const { client } = makeClient(server.base);
    const page = await client.fetchPage(UID, 1631063752);
    expect(server.urls).toEqual([`/tk/user/followers?token=${TOKEN}&uid=${UID}&cursor=1631063752`]);
    expect(page.minTime).toBe(1631063752);
    expect(page.followers?.map((f) => f.uid)).toEqual(['7005153156116071425', '6977504145574577157']);
    expect(client.requests).toBe(1);
  });

  test.each(['/prefix/', '/prefix', '/prefix//'])('a base URL with a path prefix (%s) keeps it', async (prefix) => {
    const server = await startServer(ok);
    const { client } = makeClient(`${server.base}${prefix}`);
    await client.fetchPage(UID, 0);
    expect(server.urls).toEqual([`/prefix/tk/user/followers?token=${TOKEN}&uid=${UID}&cursor=0`]);
  });

  test('a token with reserved characters arrives intact', async () => {
    const token = 'a b/c+d=e&f?';
    const server = await startServer(ok);
    const { client } = makeClient(server.base, { token });
    await client.fetchPage(UID, 0);
    const url = new URL(server.urls[0]!, 'http://x');
    expect(url.searchParams.get('token')).toBe(token);
    expect(url.searchParams.get('uid')).toBe(UID);
  });

  test('followersUrl drops a query and hash from the base URL', () => {
    expect(followersUrl('http://h:1/p/?a=1#x').href).toBe('http://h:1/p/tk/user/followers');
    expect(() => followersUrl('not a url')).toThrow(TkfError);
  });
});

describe('createClient: retries', () => {
  test.each([
    ['HTTP 500', status(500)],
    ['HTTP 502', status(502)],
    ['HTTP 503', status(503)],
    ['HTTP 408', status(408)],
    ['a connection reset', reset],
    ['a body cut mid-stream', cutMidBody],
    ['a truncated JSON body', truncatedJson],
    ['an HTML page with HTTP 200', html],
    ['an unknown data.status_code', json(envelope(200, '成功', { status_code: 5 }))],
  ])('%s is retried and then succeeds', async (_name, bad) => {
    const server = await startServer(bad, bad, ok);
    const { client, sleeps, notices } = makeClient(server.base, { retries: 3 });
    const page = await client.fetchPage(UID, 1631063752);
    expect(page.followers).toHaveLength(2);
    expect(server.urls).toHaveLength(3);
    expect(client.requests).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(notices.map((n) => [n.attempt, n.retries, n.cursor])).toEqual([
      [1, 3, 1631063752],
      [2, 3, 1631063752],
    ]);
  });

  test('onRetry says why and how long, and the sleep waits that long (full jitter, doubling)', async () => {
    const server = await startServer(status(503), status(503), ok);
    const { client, sleeps, notices } = makeClient(server.base, { retryBaseMs: 1000, random: () => 0.5 });
    await client.fetchPage(UID, 7);
    expect(notices.map((n) => n.reason)).toEqual([expect.stringContaining('HTTP 503'), expect.stringContaining('HTTP 503')]);
    expect(notices.map((n) => n.waitMs)).toEqual([500, 1000]);
    expect(sleeps).toEqual([500, 1000]);
  });

  test('retries exhausted: ApiUnavailableError naming the cursor, after retries+1 requests', async () => {
    const server = await startServer(status(503));
    const { client } = makeClient(server.base, { retries: 2 });
    const error = await failure(client.fetchPage(UID, 1631063752));
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect(error.message).toContain('1631063752');
    expect(error.message).toContain('HTTP 503');
    expect(server.urls).toHaveLength(3);
    expect(client.requests).toBe(3);
  });

  test('Retry-After: 2 makes the wait at least 2000 ms', async () => {
    const server = await startServer(status(429, { 'retry-after': '2' }), ok);
    const { client, sleeps, notices } = makeClient(server.base, { random: () => 0 });
    await client.fetchPage(UID, 0);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
    expect(notices[0]!.waitMs).toBe(sleeps[0]);
  });

  test('Retry-After as an HTTP-date is honoured', async () => {
    const when = new Date(Date.now() + 60_000).toUTCString();
    const server = await startServer(status(503, { 'retry-after': when }), ok);
    const { client, sleeps } = makeClient(server.base, { random: () => 0 });
    await client.fetchPage(UID, 0);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(50_000);
    expect(sleeps[0]).toBeLessThanOrEqual(60_000);
  });

  test('Retry-After longer than maxWaitMs stops the run at once without sleeping (exit 8, resumable)', async () => {
    const server = await startServer(status(429, { 'retry-after': '3600' }), ok);
    const { client, sleeps } = makeClient(server.base, { maxWaitMs: 60_000 });
    const error = await failure(client.fetchPage(UID, 1631063752));
    expect(error).toBeInstanceOf(WaitLimitError);
    expect(error.message).toContain('3600 s');
    expect(sleeps).toEqual([]);
    expect(server.urls).toHaveLength(1);
  });

  test('an aborted signal stops the request without retrying', async () => {
    const server = await startServer(hang);
    const { client, sleeps } = makeClient(server.base);
    const controller = new AbortController();
    const reason = new Error('stopped');
    const pending = client.fetchPage(UID, 0, controller.signal);
    while (server.urls.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(client.requests).toBe(1);
    expect(sleeps).toEqual([]);
  });
});

describe('createClient: answers that are not retried', () => {
  test('code other than 200: ApiRefusedError with the vendor msg, one request', async () => {
    const server = await startServer(json(envelope(10001, '余额不足 (quota spent)')));
    const { client } = makeClient(server.base);
    const error = await failure(client.fetchPage(UID, 0));
    expect(error).toBeInstanceOf(ApiRefusedError);
    expect(error.message).toContain('余额不足 (quota spent)');
    expect((error as ApiRefusedError).apiCode).toBe(10001);
    expect(server.urls).toHaveLength(1);
  });

  test('status_code 2096 (hidden-list shape): HiddenListError, one request', async () => {
    const server = await startServer(json('{"code":200,"msg":"成功","data":{"status_code":2096,"log_pb":{},"extra":{}}}'));
    const { client } = makeClient(server.base);
    const error = await failure(client.fetchPage(UID, 0));
    expect(error).toBeInstanceOf(HiddenListError);
    expect(server.urls).toHaveLength(1);
  });

  test('status_code 2065: UserNotFoundError, one request', async () => {
    const server = await startServer(json(envelope(200, '成功', { status_code: 2065 })));
    const { client } = makeClient(server.base);
    const error = await failure(client.fetchPage(UID, 0));
    expect(error).toBeInstanceOf(UserNotFoundError);
    expect(error.message).toContain(UID);
    expect(server.urls).toHaveLength(1);
  });

  test('HTTP 404: ApiUnavailableError, one request', async () => {
    const server = await startServer(status(404));
    const { client } = makeClient(server.base);
    const error = await failure(client.fetchPage(UID, 0));
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect(error.message).toContain('404');
    expect(server.urls).toHaveLength(1);
  });
});

describe('createClient: request budget', () => {
  test('maxRequests counts retries: BudgetSpentError after exactly n requests', async () => {
    const server = await startServer(status(503));
    const { client } = makeClient(server.base, { maxRequests: 3, retries: 10 });
    const error = await failure(client.fetchPage(UID, 0));
    expect(error).toBeInstanceOf(BudgetSpentError);
    expect(server.urls).toHaveLength(3);
    expect(client.requests).toBe(3);
  });

  test('maxRequests spans pages', async () => {
    const server = await startServer(ok);
    const { client } = makeClient(server.base, { maxRequests: 2 });
    await client.fetchPage(UID, 0);
    await client.fetchPage(UID, 1631063752);
    const error = await failure(client.fetchPage(UID, 1631063000));
    expect(error).toBeInstanceOf(BudgetSpentError);
    expect(server.urls).toHaveLength(2);
    expect(client.requests).toBe(2);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2025, 0, 1, 0, 0, 0);
  test('delay-seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });
  test('an HTTP-date, in the future or past', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });
  test('absent or unreadable', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    // Date.parse reads these as dates in 2001 (0 ms): a hot loop of requests, not a wait.
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1,5', now)).toBeUndefined();
    expect(parseRetryAfter('12 ', now)).toBe(12_000);
  });
  test('a fraction of seconds, as some gateways send it', () => {
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('0.25', now)).toBe(250);
  });
});

describe('createClient never lets the token out', () => {
  const tokens = ['TOKEN-SECRET-4242', 'TOKEN SECRET/4242+=&'];
  const spellings = (token: string) => [
    token,
    encodeURIComponent(token),
    new URLSearchParams({ t: token }).toString().slice(2),
    encodeURI(token),
  ];

  function expectClean(error: Error, token: string): void {
    const texts = [error.message, String(error.stack), String(error)];
    for (const text of texts) for (const form of spellings(token)) expect(text).not.toContain(form);
  }

  const cases: Array<[string, Reply[], Partial<ClientOptions>, new (...args: never[]) => Error]> = [
    ['retries spent on 503', [status(503)], { retries: 1 }, ApiUnavailableError],
    ['retries spent on resets', [reset], { retries: 1 }, ApiUnavailableError],
    ['retries spent on bodies cut mid-stream', [cutMidBody], { retries: 1 }, ApiUnavailableError],
    ['retries spent on HTML', [html], { retries: 1 }, ApiUnavailableError],
    ['a timeout', [hang], { retries: 0, timeoutMs: 50 }, ApiUnavailableError],
    ['Retry-After too long', [status(429, { 'retry-after': '99999' })], {}, WaitLimitError],
    ['HTTP 404', [status(404)], {}, ApiUnavailableError],
    ['a redirect to a 404', [status(302, { location: '/elsewhere' }), status(404)], {}, ApiUnavailableError],
    ['hidden list', [json(envelope(200, '成功', { status_code: 2096 }))], {}, HiddenListError],
    ['no such user', [json(envelope(200, '成功', { status_code: 2065 }))], {}, UserNotFoundError],
    ['budget spent', [status(503)], { maxRequests: 1 }, BudgetSpentError],
  ];

  for (const token of tokens) {
    test.each(cases)(`%s (token ${JSON.stringify(token)})`, async (_name, replies, options, kind) => {
      const server = await startServer(...replies);
      const { client } = makeClient(server.base, { ...options, token });
      const error = await failure(client.fetchPage(UID, 1631063752));
      expect(error).toBeInstanceOf(kind);
      expectClean(error, token);
    });

    test(`a vendor msg, a status line and a refused connection that echo the token (token ${JSON.stringify(token)})`, async () => {
      const server = await startServer(
        json(envelope(401, `token ${token} 无效 (${encodeURIComponent(token)})`)),
        status(503, {}, `bad token ${encodeURIComponent(token)}`),
      );
      const first = makeClient(server.base, { token });
      const refused = await failure(first.client.fetchPage(UID, 0));
      expect(refused).toBeInstanceOf(ApiRefusedError);
      expect(refused.message).toContain('无效');
      expectClean(refused, token);

      const second = makeClient(server.base, { token, retries: 1 });
      const unavailable = await failure(second.client.fetchPage(UID, 0));
      expect(unavailable).toBeInstanceOf(ApiUnavailableError);
      expectClean(unavailable, token);
      for (const notice of second.notices) for (const form of spellings(token)) expect(notice.reason).not.toContain(form);

      const closed = await startServer(ok);
      await cleanups.pop()!(); // nothing listens on its port any more
      const third = makeClient(closed.base, { token, retries: 1 });
      const refusedConnection = await failure(third.client.fetchPage(UID, 0));
      expect(refusedConnection).toBeInstanceOf(ApiUnavailableError);
      expectClean(refusedConnection, token);
    });
  }

  test('inspect() of a refused-request error does not show the token either', async () => {
    const server = await startServer(json(envelope(401, `token ${TOKEN} is not valid`)));
    const { client } = makeClient(server.base);
    const error = await failure(client.fetchPage(UID, 0));
    expect(error).toBeInstanceOf(ApiRefusedError);
    expect(inspect(error)).not.toContain(TOKEN);
  });
});

describe('createClient: what the run shares (one governor, views per account)', () => {
  test('HTTP 429 and body code 429 pause the run without using up --retries', async () => {
    const tooMany = json(envelope(429, '请求过于频繁'));
    const server = await startServer(status(429, { 'retry-after': '1' }), tooMany, status(429), ok);
    const { client, sleeps, notices } = makeClient(server.base, { retries: 0, random: () => 0 });
    const page = await client.fetchPage(UID, 0);
    expect(page.followers).toHaveLength(2);
    expect(server.urls).toHaveLength(4);
    expect(client.governor.throttled).toBe(3);
    expect(notices.map((n) => n.reason)).toEqual([expect.stringContaining('HTTP 429'), expect.stringContaining('code 429'), expect.stringContaining('HTTP 429')]);
    // The first pause is the Retry-After, waited by the governor (every worker), not by this request alone.
    expect(sleeps[0]).toBeGreaterThanOrEqual(1000);
  });

  test('views count their own requests; the budget is the run', async () => {
    const server = await startServer(ok);
    const { client } = makeClient(server.base, { maxRequests: 3 });
    const a = client.account();
    const b = client.account();
    await a.fetchPage(UID, 0);
    await b.fetchPage(UID, 0);
    await b.fetchPage(UID, 1631063752);
    expect([a.requests, b.requests, client.governor.requests]).toEqual([1, 2, 3]);
    expect(await failure(a.fetchPage(UID, 1631063000))).toBeInstanceOf(BudgetSpentError);
    expect(server.urls).toHaveLength(3);
  });

  test.each([
    ['a body code 402', json(envelope(402, '余额不足'))],
    ['HTTP 401', status(401)],
    ['HTTP 403', status(403)],
  ])('%s refuses the token: exit 5, and no view of the run sends another request', async (_name, refusal) => {
    const server = await startServer(refusal, ok);
    const { client } = makeClient(server.base);
    const first = await failure(client.account().fetchPage(UID, 0));
    expect(first).toBeInstanceOf(ApiRefusedError);
    expect((first as TkfError).exitCode).toBe(5);
    const second = await failure(client.account().fetchPage('7005153156116071426', 0));
    expect((second as TkfError).exitCode).toBe(5);
    expect(second.message).toMatch(/^stopped: the API at 127\.0\.0\.1:\d+ refused/);
    expect(server.urls).toHaveLength(1);
  });
});
