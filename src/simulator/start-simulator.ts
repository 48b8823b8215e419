/**
 * The local stand-in for the followers API: `GET {basePath}/tk/user/followers?token=&uid=&cursor=`
 * over node:http, answering as shared/api/README.md describes the real one. A library: it never
 * touches the console or `process`; `tkf simulate` and the tests start it with their own options.
 *
 * Each request goes through, in order: path (HTTP 404), token (code 403), rate limit (HTTP 429 and
 * code 429), uid (code 400), quota (code 402), then maybe an injected fault, then the list's
 * answer. Refusals are never faulted, so a test of a bad token sees exactly that.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BUILT_IN_USERS, DEFAULT_TOKEN } from './built-in-users.js';
import { refusalEnvelope } from './envelopes.js';
import { FAULTS_FROM_PAGE, faultPicker, sendFault } from './faults.js';
import { listPages, type ListPages } from './list-pages.js';
import { JSON_TYPE, sendBody } from './send-body.js';
import { rateLimiter } from './rate-limiter.js';
import type { Simulator, SimulatorOptions, SimulatorStats, UserScenario } from './simulator-options.js';

/** The sample's extra.now / 1000: follow times count back from it unless `now` is given. */
const SAMPLE_NOW = 1631063752;
const MISSING: UserScenario = { size: 0, status: 'missing' };
const KEPT_CURSORS = 10_000;
/** Prerendered pages stop being kept past this (a million-follower list is ~5 GB of pages). */
const PRERENDER_BUDGET_BYTES = 1024 ** 3;
/** Longer than any client's idle-socket timeout, so the server is never the one to drop a reused socket. */
const KEEP_ALIVE_MS = 65_000;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const seed = options.seed ?? 1;
  const now = options.now ?? SAMPLE_NOW;
  const token = options.token ?? DEFAULT_TOKEN;
  const basePath = normaliseBasePath(options.basePath ?? '');
  const endpoint = `${basePath}/tk/user/followers`;
  const users: Record<string, UserScenario> = { ...BUILT_IN_USERS, ...options.users };
  const latencyMs = options.latencyMs ?? 0;
  const pickFault = faultPicker(seed, options.faults);
  const retryAfter = options.faults?.retryAfter ?? '1';

  const answersByKind: Record<string, number> = {};
  const stats: SimulatorStats = { requests: 0, byUid: {}, cursors: [], answers: answersByKind };
  const started = Date.now();
  const overLimit = options.rateLimit === undefined ? undefined : rateLimiter(options.rateLimit);
  /** Counts the answer and logs the request (which never names the token). */
  const record = (uid: string, cursor: string | null, answer: string) => {
    answersByKind[answer] = (answersByKind[answer] ?? 0) + 1;
    options.onRequest?.({ ms: Date.now() - started, uid, cursor: cursor ?? '', answer });
  };
  const lists = new Map<string, ListPages>();
  /** Per uid, the answers it was given (faults and refusals excluded): what emptyPages counts. */
  const answers = new Map<string, number>();
  /** Per uid, the answers to cursor 0 it was given: the walks shortWalks counts. */
  const walks = new Map<string, number>();
  const rendered = new Map<string, Buffer>();
  let renderedBytes = 0;
  let successes = 0;
  const timers = new Set<NodeJS.Timeout>();

  function listFor(uid: string, scenario: UserScenario): ListPages {
    const key = listKey(uid, scenario);
    let list = lists.get(key);
    if (list === undefined) lists.set(key, (list = listPages(seed, uid, scenario, now)));
    return list;
  }

  /** A list cut in some walks only (shortWalks) is two lists, the cut one and the whole one. */
  function listKey(uid: string, scenario: UserScenario): string {
    return scenario.endsAfterPage === undefined ? uid : `${uid} cut`;
  }

  /**
   * The scenario of the walk an answer belongs to: without endsAfterPage in a walk shortWalks
   * leaves whole. `answered`: the answer is made (a fault's page is the walk's, and begins none).
   */
  function walkScenario(uid: string, scenario: UserScenario, cursor: number, answered: boolean): UserScenario {
    if (scenario.shortWalks === undefined || scenario.endsAfterPage === undefined) return scenario;
    const walk = (walks.get(uid) ?? 0) + (cursor === 0 ? 1 : 0);
    if (cursor === 0 && answered) walks.set(uid, walk);
    return scenario.shortWalks.includes(walk) ? scenario : { ...scenario, endsAfterPage: undefined };
  }

  /** cursorMode 'offset': per uid, the cursor its last answer handed back and where it ended. */
  const hiddenOffsets = new Map<string, { minTime: number; end: number }>();

  /** Where the answer starts when the API keeps a hidden offset: after the last answer, if the
   * cursor is the one that answer handed back; otherwise where the cursor points. */
  function hiddenOffset(uid: string, scenario: UserScenario, cursor: number): number | undefined {
    if (scenario.cursorMode !== 'offset' || cursor <= 0) return undefined;
    const last = hiddenOffsets.get(uid);
    return last !== undefined && last.minTime === cursor ? last.end : undefined;
  }

  function pageBytes(uid: string, scenario: UserScenario, cursor: number, from?: number): Buffer {
    const list = listFor(uid, scenario);
    if (!options.prerender) return list.page(cursor, from);
    const key = `${listKey(uid, scenario)} ${cursor} ${from ?? ''}`;
    let bytes = rendered.get(key);
    if (bytes === undefined) {
      bytes = list.page(cursor, from);
      if (renderedBytes + bytes.length <= PRERENDER_BUDGET_BYTES) {
        rendered.set(key, bytes);
        renderedBytes += bytes.length;
      }
    }
    return bytes;
  }

  /** Runs `answer` after the configured latency, unless the client has gone meanwhile. */
  function later(res: ServerResponse, answer: () => void): void {
    if (latencyMs <= 0) return answer();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (res.socket !== null && !res.socket.destroyed) answer();
    }, latencyMs);
    timers.add(timer);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const requestNumber = ++stats.requests;
    res.sendDate = false; // a Date header would make two runs differ
    const url = new URL(req.url ?? '/', 'http://simulator');
    const refuse = (status: number, code: number, msg: string) =>
      later(res, () => sendBody(res, status, JSON_TYPE, refusalEnvelope(code, msg)));

    if (url.pathname !== endpoint) return refuse(404, 404, 'not found');
    if (req.method !== 'GET') return refuse(405, 405, 'method not allowed');
    const query = url.searchParams;
    const cursorParam = query.get('cursor');
    stats.cursors.push(cursorParam ?? '');
    if (stats.cursors.length > KEPT_CURSORS) stats.cursors.shift();

    // The vendor's refusals come as HTTP 200 with their own code and data: null.
    const uid = query.get('uid') ?? '';
    if (query.get('token') !== token) {
      record(uid, cursorParam, 'token');
      return refuse(200, 403, 'token无效 (invalid token)');
    }
    if (overLimit?.(Date.now())) {
      record(uid, cursorParam, 'throttled');
      res.setHeader('Retry-After', '1');
      return refuse(options.rateLimitStatus ?? 429, 429, '请求过于频繁 (too many requests)');
    }
    if (!/^\d+$/.test(uid)) {
      record(uid, cursorParam, 'uid');
      return refuse(200, 400, 'uid参数错误');
    }
    stats.byUid[uid] = (stats.byUid[uid] ?? 0) + 1;
    if (options.quota !== undefined && successes >= options.quota) {
      record(uid, cursorParam, 'quota');
      return refuse(200, 402, '余额不足 (quota exhausted)');
    }

    let scenario = users[uid] ?? options.defaultUser ?? MISSING;
    const cursor = parseCursor(cursorParam);
    const fault = pickFault(requestNumber);
    if (fault !== undefined) {
      record(uid, cursorParam, fault);
      // The page this request would have had (behind a hidden offset too: built without it, a
      // page with duplicate keys was the followers below the second, and the offset never moved,
      // so a walk lost the rest of a tied second without a word).
      scenario = walkScenario(uid, scenario, cursor, false);
      const from = hiddenOffset(uid, scenario, cursor);
      // A hidden offset moves when the answer is made: one lost on the way moves it all the same.
      if (['reset', 'truncate', 'duplicate-keys'].includes(fault) && scenario.cursorMode === 'offset' && (scenario.status ?? 'public') === 'public') {
        hiddenOffsets.set(uid, listFor(uid, scenario).extent(cursor, from));
      }
      const body = FAULTS_FROM_PAGE.includes(fault) ? pageBytes(uid, scenario, cursor, from) : Buffer.alloc(0);
      const onBytes = (bytes: number) => (stats.endlessBytes = (stats.endlessBytes ?? 0) + bytes);
      return later(res, () => sendFault(res, fault, body, retryAfter, onBytes));
    }

    const answerNumber = (answers.get(uid) ?? 0) + 1;
    answers.set(uid, answerNumber);
    successes++;
    scenario = walkScenario(uid, scenario, cursor, true);
    const silent = (scenario.status ?? 'public') === 'public' && scenario.emptyPages?.includes(answerNumber);
    const from = hiddenOffset(uid, scenario, cursor);
    const body = silent ? listFor(uid, scenario).emptyPage(cursor) : pageBytes(uid, scenario, cursor, from);
    if (!silent && scenario.cursorMode === 'offset') hiddenOffsets.set(uid, listFor(uid, scenario).extent(cursor, from));
    record(uid, cursorParam, silent ? 'empty' : 'ok');
    later(res, () => sendBody(res, 200, JSON_TYPE, body));
  }

  const server = createServer(handle);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${basePath}`,
    port,
    stats,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        // Idle keep-alive sockets would otherwise hold close() open until they time out.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** '' stays ''; 'api', '/api/' become '/api'. */
function normaliseBasePath(basePath: string): string {
  const trimmed = basePath.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}

/**
 * The cursor as a follow time. Absent, 0, negative (TikTok's -1 past the cap) or not an integer
 * all mean the newest page: that is how TikTok treats them, and why a naive loop never ends.
 */
function parseCursor(raw: string | null): number {
  if (raw === null || !/^-?\d+$/.test(raw)) return 0;
  const cursor = Number(raw);
  return cursor > 0 ? cursor : 0;
}
