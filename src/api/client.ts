/**
 * The HTTP side: one GET per page, retried here, never anywhere else.
 *
 *   GET <base-url>/tk/user/followers?token=TOKEN&uid=USER_ID&cursor=CURSOR
 *
 * got is used with its own retry switched off. Its retry cannot treat an HTTP 200 whose body is
 * truncated or an HTML page as retryable, and tkf must tell the user how long it is about to wait
 * and why before it waits (onRetry), and refuse a Retry-After longer than the cap instead of
 * silently sleeping through it. The loop below does all three; how long each wait is, the run's
 * governor decides (run-governor.ts: the one retry/backoff policy of tkf).
 *
 * What is about the token and what is not: only an envelope's own code other than 200 (402 余额不足,
 * 403 token无效) and HTTP 401/403 refuse the token. A JSON body without the envelope (a gateway's
 * `{"error": "upstream connect error"}`) is a misbehaving API, retried like a 5xx and then exit 6
 * for that account alone. A body larger than any page can be (MAX_BODY_BYTES) is cut off while it
 * arrives and retried, so memory stays bounded whatever the server sends.
 *
 * The token rides in the query string (the vendor's contract), so every message that leaves this
 * file is passed through redact(): got puts the full URL into some of its errors.
 */
import http, { type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import got, { type Got, type RequestFunction, RequestError } from 'got';
import {
  ApiRefusedError,
  ApiUnavailableError,
  HiddenListError,
  TkfError,
  UserNotFoundError,
  oneLine,
  redact,
} from '../errors.js';
import { MalformedBodyError, parsePage, type SpanKeys } from './page-parser.js';
import { peekNextCursor } from './cursor-peek.js';
import { STATUS_HIDDEN, STATUS_NO_USER, STATUS_OK, type FollowersPage } from './types.js';
import { sleep as defaultSleep } from '../sleep.js';
import type { StopSignal } from '../stop-signal.js';
import { createAgents, parseProxyUrl, stripCredentials } from './proxy-agents.js';
import { RunGovernor } from './run-governor.js';

export const FOLLOWERS_PATH = '/tk/user/followers';

export interface RetryNotice {
  /** 1 for the first retry. */
  attempt: number;
  retries: number;
  waitMs: number;
  /** Why: "HTTP 503", "connection reset (ECONNRESET)", "a body that is not JSON"... */
  reason: string;
  cursor: number;
  /**
   * "Too many requests": the whole run pauses for waitMs, which uses up no --retries (retries is
   * 0); it ends only at --max-wait. Otherwise attempt counts up to retries.
   */
  throttled?: boolean;
}

export interface ClientOptions {
  baseUrl: string;
  token: string;
  /** Retries after the first attempt (network errors, timeouts, 5xx, bodies that are not JSON). */
  retries?: number;
  timeoutMs?: number;
  /** Upper bound of the first retry's wait; doubled each retry (full jitter: a random wait below it). */
  retryBaseMs?: number;
  /**
   * The most tkf waits on the API (--max-wait): the longest retry wait and Retry-After of a 5xx
   * honoured (a longer one fails the request, exit 6), and the longest the run stays throttled by
   * 429s (then WaitLimitError, exit 8, resumable). Default DEFAULT_MAX_WAIT_MS (run-governor.ts).
   */
  maxWaitMs?: number;
  /** A body longer than this is cut off and retried. Default MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  /** The run's pace, budget and stop; made from rate/minIntervalMs/maxRequests when not given. */
  governor?: RunGovernor;
  /** Requests (attempts) the run may send in all; then BudgetSpentError. */
  maxRequests?: number;
  /** At least this long between the starts of two requests (--delay). */
  minIntervalMs?: number;
  /** Requests per second for the whole run (--rate). */
  rate?: number;
  /** Connections kept to the API: one per worker of the run (--concurrency). Default 4. */
  maxSockets?: number;
  /** A forward proxy (http:// or https://) every request goes through, by CONNECT. */
  proxy?: string;
  /** How messages name the proxy when it answers the CONNECT itself: where it came from beside it (`(--proxy)`, `(HTTP_PROXY)`). */
  proxySource?: string;
  userAgent?: string;
  /**
   * The follower keys whose values' places each page's parse records (RawFollower.spans): the
   * top-level keys the run's columns are read from (the writer's, the history's). None: none.
   */
  spanKeys?: SpanKeys;
  /** Told of each request before it is sent (for --verbose); never sees the token. */
  onRequest?: (info: { uid: string; cursor: number; attempt: number }) => void;
  onRetry?: (notice: RetryNotice) => void;
  /** Injected for tests: the waiting, the jitter and the clock (the governor's). */
  sleep?: (ms: number, signal?: StopSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export interface AccountHooks {
  onRequest?: ClientOptions['onRequest'];
  onRetry?: ClientOptions['onRetry'];
}

export interface FollowersClient {
  /** Requests sent through this client (a view: through it alone), retries included (each one is paid for). */
  readonly requests: number;
  /** What the whole run shares: pace, budget, "the token is dead". */
  readonly governor: RunGovernor;
  /**
   * `onArrived`, when given, is told the next cursor an answer's envelope names (cursor-peek.ts)
   * as soon as the answer has arrived and before it is parsed, on the first attempt only. When it
   * answers true (it sent a request of its own), the parse waits one turn of the event loop so
   * that request goes out first and its round trip overlaps the parse.
   */
  fetchPage(uid: string, cursor: number, signal?: StopSignal, onArrived?: OnArrived): Promise<FollowersPage>;
  /**
   * A client for one account of the run: its own request count and notices, this client's
   * connections, pace and budget. Closing it closes nothing.
   */
  account(hooks?: AccountHooks): FollowersClient;
  close(): void;
}

/** Told an answer's next cursor before it is parsed; true when it sent a request on it. */
export type OnArrived = (next: number) => boolean;

/** An answer as received: its status line and headers, and its whole body. */
interface Received {
  response: { statusCode: number; statusMessage?: string; headers: Record<string, string | string[] | undefined> };
  body: Buffer;
}

/** The proxy as messages name it: without credentials, and where it came from when told. */
function proxyName(proxy: string, source: string | undefined): string {
  return `${stripCredentials(proxy)}${source ? ` (${source})` : ''}`;
}

/** A failure worth trying again; `waitMs` is the server's Retry-After, if it gave one. */
class Retryable extends Error {
  /** The proxy answered the CONNECT with this status (the API was not asked). */
  proxyStatus?: number;
  constructor(
    message: string,
    readonly waitMs?: number,
    /** "Too many requests": pauses the whole run and does not use up --retries. */
    readonly throttled = false,
  ) {
    super(message);
  }
}

/**
 * A page is ~100 KB (20 followers); no page of this API comes near 32 MB. A body past this is
 * not a page (a gateway streaming without end once grew tkf to 2 GB): cut off, retried.
 */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** The vendor's body code for "too many requests", like HTTP 429 (shared/api/README.md). */
export const CODE_TOO_MANY = 429;

/**
 * Retry-After: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); a fraction of seconds ("1.5",
 * which some gateways send) is read as such. Anything else is no Retry-After (the backoff
 * decides): Date.parse took "1.5" for a day in 2001 and "-5" for a year, so both were 0 ms, and a
 * 429 that said so on every answer made a loop of thousands of requests a second.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  // An HTTP-date names its day and month ("Wed, 01 Jan 2025 00:00:05 GMT").
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function followersUrl(baseUrl: string): URL {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new TkfError(`not a URL: ${baseUrl}`);
  }
  base.pathname = base.pathname.replace(/\/+$/, '') + FOLLOWERS_PATH;
  base.search = '';
  base.hash = '';
  return base;
}

export function createClient(options: ClientOptions): FollowersClient {
  const retries = options.retries ?? 5;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const sleep = options.sleep ?? defaultSleep;
  const url = followersUrl(options.baseUrl);
  const secret = options.token;
  const governor =
    options.governor ??
    new RunGovernor({
      rate: options.rate,
      minIntervalMs: options.minIntervalMs,
      maxRequests: options.maxRequests,
      maxWaitMs: options.maxWaitMs,
      retryBaseMs: options.retryBaseMs,
      random: options.random,
      sleep,
      now: options.now,
    });
  const maxWaitMs = governor.maxWaitMs;
  const agents = createAgents({ maxSockets: options.maxSockets ?? 4, proxy: options.proxy });
  const instance: Got = got.extend({
    // Set free below for one change, then frozen again as got freezes defaults.
    mutableDefaults: true,
    request: requestDefined,
    agent: agents,
    // Read by the loop below; got must not throw on, retry or cache anything itself.
    throwHttpErrors: false,
    retry: { limit: 0 },
    followRedirect: true,
    responseType: 'buffer',
    cache: false,
    timeout: { request: options.timeoutMs ?? 30_000 },
    headers: { 'user-agent': options.userAgent ?? 'tkf', accept: 'application/json' },
  });
  // got builds each request's node:http options as one object literal that begins by spreading
  // its cacheOptions (four keys, all undefined with `cache: false`). On Node 20's V8 such a
  // literal, a non-empty spread followed by ~30 properties, builds fresh hidden classes every
  // time: 52 us and ~23 KB of garbage a request (the largest allocation of a JSONL export in a
  // sampling heap profile: 114 of 536 MB), against 1.1 us with nothing to spread (3.9 us on Node
  // 24/26 either way). The cache is off, so its options are unused: emptied, then frozen.
  instance.defaults.options.cacheOptions = {};
  instance.defaults.options.freeze();

  // The request's URL is built as text: the token's part once, the uid's once per account. got
  // is then called with the URL alone, so each request copies the instance's prepared options
  // and sets its URL, with nothing to merge (a per-request options object with searchParams and
  // a signal was merged key by key into a fresh copy of the defaults, for every page). The query
  // is the same bytes got made from searchParams: URLSearchParams' encoding, in the same order.
  const urlPrefix = `${url.href}?${new URLSearchParams({ token: secret })}&`;
  let lastUid: string | undefined;
  let uidQuery = '';

  /**
   * One GET through got's stream interface, the body gathered here: got's promise interface
   * wraps the same stream in a cancelable promise and gathers the body itself, ~0.1-0.2 ms of
   * CPU a request more (measured: 0.40 against 0.59 ms a request on these machines, with the
   * options object above). Gathering it here also makes the size limit a count of the bytes
   * received, checked as each chunk arrives (and a Content-Length past it refused on the headers).
   */
  function receive(requestUrl: string, signal: StopSignal | undefined): Promise<Received> {
    return new Promise((resolve, reject) => {
      const stream = instance.stream(requestUrl);
      const chunks: Buffer[] = [];
      let length = 0;
      let response: Received['response'] | undefined;
      // The caller's abort (the walk stopped early) ends the request, as got's `signal` would.
      const onAbort = () => stream.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      const settle = () => signal?.removeEventListener('abort', onAbort);
      const tooLarge = () => {
        settle();
        stream.destroy();
        reject(new Retryable(`a body larger than ${formatBytes(maxBodyBytes)}, cut off (no page is that large)`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('response', (answer: Received['response']) => {
        response = answer;
        const declared = Number(answer.headers['content-length']);
        if (declared > maxBodyBytes) tooLarge();
      });
      stream.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > maxBodyBytes) return tooLarge();
        chunks.push(chunk);
      });
      stream.on('end', () => {
        settle();
        if (!response) return reject(new Retryable('no answer'));
        resolve({ response, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length) });
      });
      stream.on('error', (error: unknown) => {
        settle();
        reject(error);
      });
    });
  }

  async function attempt(uid: string, cursor: number, signal: StopSignal | undefined, onArrived: OnArrived | undefined): Promise<FollowersPage> {
    if (uid !== lastUid) {
      lastUid = uid;
      uidQuery = new URLSearchParams({ uid }).toString();
    }
    if (signal?.aborted) throw signal.reason;
    let response;
    let rawBody: Buffer;
    try {
      ({ response, body: rawBody } = await receive(`${urlPrefix}${uidQuery}&${new URLSearchParams({ cursor: String(cursor) })}`, signal));
    } catch (error) {
      if (signal?.aborted) throw error;
      if (error instanceof Retryable) throw error;
      // The proxy refused the tunnel (hpagent's "Bad response: 407"): said as the proxy's answer,
      // not the API's, and a demand for credentials is not retried (every try would get it).
      const refused = options.proxy === undefined ? undefined : /^Bad response: (\d{3})$/.exec((error as Error)?.message ?? '');
      if (refused) {
        const proxy = proxyName(options.proxy!, options.proxySource);
        if (refused[1] === '407') {
          // Given in its URL, they were refused: asking for them again says nothing.
          const url = parseProxyUrl(options.proxy!);
          const credentials = url.username !== '' || url.password !== '';
          throw new ApiUnavailableError(
            credentials
              ? `the proxy ${proxy} refused the credentials in its URL (HTTP 407 to its CONNECT); check the user name and password; the API was not asked`
              : `the proxy ${proxy} asked for credentials (HTTP 407 to its CONNECT); give them in its URL, http://user:password@host:port; the API was not asked`,
          );
        }
        throw Object.assign(new Retryable(`the proxy ${proxy} answered HTTP ${refused[1]} to its CONNECT; the API was not asked`), { proxyStatus: Number(refused[1]) });
      }
      throw new Retryable(describeNetworkError(error));
    }
    const status = response.statusCode;
    const statusText = `HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`;
    if (status === 429) throw new Retryable(statusText, parseRetryAfter(headerOf(response.headers['retry-after'])), true);
    if (status === 408 || status >= 500) throw new Retryable(statusText, parseRetryAfter(headerOf(response.headers['retry-after'])));
    if (status === 401 || status === 403) {
      // About the token, not the account: the whole run stops (exit 5), like a body code 403.
      throw new ApiRefusedError(`the API at ${url.host} refused the token (${statusText})`, status, statusText);
    }
    if (status !== 200) {
      throw new ApiUnavailableError(`the API answered ${statusText} for ${url.origin}${url.pathname}: is the base URL right?`);
    }
    if (onArrived) {
      const next = peekNextCursor(rawBody);
      // The request just made is sent on the next ticks; the parse waits for them.
      if (next !== undefined && onArrived(next)) await new Promise((resolve) => setImmediate(resolve));
    }
    let page: FollowersPage;
    try {
      page = parsePage(rawBody, options.spanKeys);
    } catch (error) {
      if (error instanceof MalformedBodyError) throw new Retryable(`a body that is not strict JSON (${error.message})`);
      throw error;
    }
    if (page.notEnvelope !== undefined) {
      // A gateway's own JSON, not the vendor's answer: nothing in it is about the token.
      throw new Retryable(`an answer that is not the API's envelope (${page.notEnvelope}): ${excerpt(rawBody, secret)}`);
    }
    if (Number(page.code) === CODE_TOO_MANY) {
      throw new Retryable(`code 429 (too many requests)`, parseRetryAfter(headerOf(response.headers['retry-after'])), true);
    }
    if (page.code !== 200) {
      const msg = oneLine(redact(page.msg || '(no message)', secret));
      const code = Number(page.code);
      // A 5xx in the envelope ({"code": 500, "msg": "Internal Server Error"}, a wrapped gateway's
      // 502) is the API failing, as HTTP 5xx is: no evidence about the token. Retried, then exit 6
      // for this account; only the vendor's own refusals (402, 403...) stop the run (exit 5).
      if (code >= 500 && code <= 599) throw new Retryable(`code ${code} (a server error of the API's own): ${msg}`);
      throw new ApiRefusedError(`the API at ${url.host} refused the request (code ${JSON.stringify(page.code)}): ${msg}`, page.code, msg);
    }
    // A list field that cannot be read (envelope-fields.ts) is never taken for the end.
    if (page.problem !== undefined) throw new Retryable(`a malformed page: ${page.problem}`);
    if (page.statusCode === STATUS_HIDDEN) {
      throw new HiddenListError(`the follower list of user ${uid} is hidden by their privacy settings (status_code 2096)`);
    }
    if (page.statusCode === STATUS_NO_USER) {
      throw new UserNotFoundError(`user ${uid} does not exist (status_code 2065); --uid takes the numeric user_id, not the @handle`);
    }
    if (page.statusCode !== STATUS_OK) {
      throw new Retryable(`data.status_code ${page.statusCode}`);
    }
    return page;
  }

  async function fetchPage(uid: string, cursor: number, signal: StopSignal | undefined, view: View, onArrived?: OnArrived): Promise<FollowersPage> {
    let throttledInARow = 0;
    let lastFailure: string | undefined;
    for (let retry = 0; ; ) {
      const sentAt = await governor.acquire(signal);
      view.requests++;
      view.hooks.onRequest?.({ uid, cursor, attempt: retry + throttledInARow + 1 });
      try {
        // An answer after a failure is not led from: the walk may re-enter its second (pager.ts).
        const page = await attempt(uid, cursor, signal, retry === 0 ? onArrived : undefined);
        governor.accept(sentAt);
        // Answers lost before this one (not 429s: those were refused, not made): the walk re-enters a
        // second an API with a hidden offset may have moved past (pager.ts).
        return retry > 0 ? { ...page, retried: retry, lastFailure } : page;
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        if (error instanceof ApiRefusedError) governor.stop(scrub(error, secret) as ApiRefusedError);
        if (!(error instanceof Retryable)) throw scrub(error, secret);
        const reason = redact(error.message, secret);
        if (error.throttled) {
          // Every worker of the run waits (the governor's pause), not this one alone; how long
          // the run may stay throttled is --max-wait's (WaitLimitError, exit 8), not a count.
          const waitMs = governor.throttle(error.waitMs, sentAt, throttledInARow);
          throttledInARow++;
          view.hooks.onRetry?.({ attempt: throttledInARow, retries: 0, waitMs, reason, cursor, throttled: true });
          continue;
        }
        if (retry >= retries && error.proxyStatus !== undefined && options.proxy !== undefined) {
          const times = retry === 0 ? '' : ` ${retry + 1} times in a row`;
          // Said as the proxy's: "the API at host failed 3 times ...; the API was not asked" was both.
          throw new ApiUnavailableError(
            `the proxy ${proxyName(options.proxy, options.proxySource)} answered HTTP ${error.proxyStatus} to its CONNECT${times}; the API was not asked; check the proxy, or run without it (--proxy direct)`,
          );
        }
        if (retry >= retries) {
          throw new ApiUnavailableError(
            `the API at ${url.host} failed ${retry === 0 ? 'once' : `${retry + 1} times in a row`} at cursor ${cursor}; last: ${reason}; check the host and the network, or try again later`,
          );
        }
        if (error.waitMs !== undefined && error.waitMs > maxWaitMs) {
          throw new ApiUnavailableError(
            `the API asked to wait ${Math.ceil(error.waitMs / 1000)} s (Retry-After) at cursor ${cursor}, more than the ${Math.ceil(maxWaitMs / 1000)} s tkf waits; try again later`,
          );
        }
        const waitMs = governor.retryWait(retry, error.waitMs);
        view.hooks.onRetry?.({ attempt: retry + 1, retries, waitMs, reason, cursor });
        lastFailure = reason;
        retry++;
        await sleep(waitMs, signal);
      }
    }
  }

  interface View {
    requests: number;
    hooks: AccountHooks;
  }
  function makeClient(view: View, close: () => void): FollowersClient {
    return {
      get requests() {
        return view.requests;
      },
      governor,
      fetchPage: (uid, cursor, signal, onArrived) => fetchPage(uid, cursor, signal, view, onArrived),
      account: (hooks = {}) => makeClient({ requests: 0, hooks }, () => {}),
      close,
    };
  }
  return makeClient({ requests: 0, hooks: { onRequest: options.onRequest, onRetry: options.onRetry } }, () => {
    agents.http.destroy();
    agents.https.destroy();
  });
}

/**
 * got's request function (got's own choice for http: and https: without http2) given only the
 * options that are set. got passes node:http ~30 options, most of them undefined (TLS options on
 * a plain request, DNS, cache), and node:http copies them into null-prototype objects (dictionary
 * objects) three times a request: new ClientRequest, the agent's addRequest and its socket's
 * options. A sampling heap profile of a 100k JSONL export put 49 MB in addRequest and 33 MB in
 * ClientRequest, 10 and 6.5 KB a request, on Node 20 and 24 alike.
 */
const requestDefined: RequestFunction = (url, options, callback) => {
  const defined: Record<string, unknown> = {};
  for (const key in options) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) defined[key] = value;
  }
  return (url.protocol === 'https:' ? https.request : http.request)(url, defined as RequestOptions, callback as (response: IncomingMessage) => void);
};

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MB` : `${bytes} bytes`;
}

/**
 * The start of a body, for a message: one line, at most 80 characters, never the token. Redacted
 * before it is cut: a cut that fell inside the token (a gateway echoing the request's URL) left
 * its first part. Enough bytes are read for 80 characters of any UTF-8 and a whole token after
 * them in any of its encoded forms (redact).
 */
function excerpt(body: Buffer, secret: string): string {
  const text = oneLine(redact(body.subarray(0, 4 * 120 + 3 * Buffer.byteLength(secret)).toString('utf8'), secret));
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function describeNetworkError(error: unknown): string {
  if (error instanceof RequestError) {
    const code = error.code;
    if (error.name === 'TimeoutError') return 'no answer within the timeout';
    if (code === 'ECONNRESET') return 'the connection was reset (ECONNRESET)';
    if (code === 'ECONNREFUSED') return 'the connection was refused (ECONNREFUSED)';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host name could not be resolved (${code})`;
    if (code === 'ERR_STREAM_PREMATURE_CLOSE') return 'the connection closed before the body was complete';
    return `${error.message}${code ? ` (${code})` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Errors that are not ours may carry the URL (and so the token) in their text: strip it. */
function scrub(error: unknown, secret: string): unknown {
  if (error instanceof TkfError) {
    error.message = redact(error.message, secret);
    if (error.stack) error.stack = redact(error.stack, secret);
    return error;
  }
  const message = redact(error instanceof Error ? error.message : String(error), secret);
  return new TkfError(message, { cause: undefined });
}
