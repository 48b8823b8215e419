/**
 * What a simulator can be asked to do. Each behaviour named in shared/api/README.md ("How it
 * behaves in practice") has a switch here, so a test can produce it on purpose.
 */

import type { TiedRun } from './follow-times.js';

export type { TiedRun };
export type CursorMode = 'exclusive' | 'inclusive' | 'offset';
export const CURSOR_MODES: readonly CursorMode[] = ['exclusive', 'inclusive', 'offset'];

/** One follower list and the ways its pages go wrong. */
export interface UserScenario {
  /** Followers in the list: what TikTok would serve before the depth cap. */
  size: number;
  /** data.total: the profile's follower count, which the list never reaches. Default: the followers the list holds now (size less the not-yet-followed, and, in a changing list, those who left). */
  total?: number;
  /**
   * Depth cap. After this many followers the next request answers min_time -1, max_time -1,
   * followers [], has_more true; cursor -1 or 0 then starts again at the newest page. Default: none.
   */
  cap?: number;
  /** Followers per page. Default 20, as the vendor documents. */
  pageSize?: number;
  /** Repeat the previous page's last follower (time == cursor) at the top of the next page. */
  boundaryDuplicates?: boolean;
  /** Probability 0..1 per page that 1-3 followers of earlier pages are mixed in again. */
  randomDuplicates?: number;
  /** Probability 0..1 per follower that room_id is a 19-digit JSON number (beyond 2^53). */
  bigRoomIds?: number;
  /**
   * 1-based numbers of this user's answers that come back HTTP 200 with followers [], has_more
   * true and min_time = the requested cursor (silent rate limiting). The next answer is normal.
   */
  emptyPages?: number[];
  /** From this 1-based page on, every answer repeats its page with min_time == the requested cursor. */
  stuckAfterPage?: number;
  /**
   * From this 1-based page on, every answer repeats that page's followers with has_more true and
   * min_time one second below the requested cursor: a cursor that moves while nothing new comes.
   */
  repeatFromPage?: number;
  /**
   * The list ends (has_more false) after this many pages, while `total` (default: size) says
   * more: a list cut far too early by a throttling or broken API.
   */
  endsAfterPage?: number;
  /**
   * With endsAfterPage: the 1-based numbers of this list's walks that it cuts; the other walks are
   * served the whole list (an API that cut a list one night and not the next). A walk begins with
   * each answer to cursor 0 (a fault there is no answer: its retry begins it). Default: every walk.
   */
  shortWalks?: number[];
  /**
   * min_time is the follow time of the page's newest follower instead of its oldest, so each
   * next answer starts barely below the last one: many requests for few followers.
   */
  minTimeNewest?: boolean;
  /** The newest n followers have not followed yet: the same list as it was some time earlier
   * (export with n, then without, and the account has gained n followers). */
  notYetFollowed?: number;
  /**
   * Seconds in which more followers followed than a page holds (a popular account): follower #at
   * and the count - 1 after it share one follow time. Every other follower is a second older than
   * the one before. Default: none (the block model of follow-times.ts, at most 5 in a second).
   */
  ties?: TiedRun[];
  /**
   * How a cursor is answered (shared/api/README.md, "Many followers in one second"):
   * 'exclusive' (default) the followers strictly before it; 'inclusive' those at or before it, so
   * asking a tied second again returns the same page; 'offset' like exclusive, except that the
   * cursor the list's previous answer ended on continues where that answer stopped (a hidden
   * offset), so asking a tied second again returns its next followers. The offset moves when the
   * answer is made, so an answer lost on the way (an injected 'reset' or 'truncate' fault) moves
   * it too, as a real API's would: a client that asks the same cursor again skips that page.
   */
  cursorMode?: CursorMode;
  /**
   * Send the envelope in drifted types, as some vendors do: "code":"200", has_more as 1/0,
   * min_time, max_time, offset, total and status_code as strings of digits.
   */
  looseTypes?: boolean;
  /**
   * The depth cap counts from the newest follower served now (notYetFollowed, unfollowed and
   * refollowed taken into account), as TikTok's does: new followers on top push the oldest
   * reachable ones past the reach. Default false: the cap is at follower #cap. See changing-list.ts.
   */
  slidingCap?: boolean;
  /** Followers (by number, 0 the newest) who unfollowed: not served. */
  unfollowed?: number[];
  /**
   * Followers (by number) who unfollowed and followed again: served on top of the list, newest
   * first in this order, with follow times newer than `now` (now + 1, now + 2, ...).
   */
  refollowed?: number[];
  /** 'private' answers data.status_code 2096 (hidden shape), 'missing' 2065. Default 'public'. */
  status?: 'public' | 'private' | 'missing';
}

/** '500'/'502'/'503'/'429': that HTTP status; 'reset': socket destroyed unanswered; 'truncate':
 * half the body under the full Content-Length; 'html': HTTP 200 with an HTML page; 'gateway':
 * HTTP 200 with a gateway's own JSON, no envelope ({"error":"upstream connect error..."});
 * 'endless': HTTP 200 whose body never ends; 'duplicate-keys': the page, with repeated keys in
 * every follower (the last one the page's own value, nested objects too). */
export const FAULT_KINDS = ['500', '502', '503', '429', 'reset', 'truncate', 'html', 'gateway', 'endless', 'duplicate-keys'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Faults {
  /** Probability per request that some fault is injected (seeded, so reproducible). */
  rate?: number;
  /** Kinds to pick from. Default: all. */
  kinds?: FaultKind[];
  /** Retry-After value sent with 429 (seconds or an HTTP date). Default '1'. */
  retryAfter?: string;
  /** Global 1-based request numbers that fail with that kind, whatever maxConsecutive says. */
  schedule?: Record<number, FaultKind>;
  /** Random faults never make more than this many requests in a row fail. Default 2. */
  maxConsecutive?: number;
}

export interface SimulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Path prefix: serves `${basePath}/tk/user/followers`, anything else is 404. Default ''. */
  basePath?: string;
  /** The one accepted token. Default DEFAULT_TOKEN. */
  token?: string;
  /** After this many successful (code 200) answers, every request gets code 402. */
  quota?: number;
  /** Default 1. Same seed, same options, same requests: same bytes. */
  seed?: number;
  /** Delay added to every response, in milliseconds (a timer: the server never blocks). */
  latencyMs?: number;
  /** Lists by uid, merged over the built-in users. */
  users?: Record<string, UserScenario>;
  /** The list of any other well-formed uid; null (the default) answers 2065, user missing. */
  defaultUser?: UserScenario | null;
  faults?: Faults;
  /**
   * Keep each page's bytes after the first render and serve them from memory, so a benchmark
   * measures the client and not the server. Safe because a page is a pure function of (uid, cursor).
   */
  prerender?: boolean;
  /** "Now" in Unix seconds, the newest follow time. Default 1631063752, the sample's. */
  now?: number;
  /**
   * Requests per second the token may send (a sliding one-second window); past it the answer is
   * "too many requests": HTTP 429 with Retry-After: 1 and the body {"code":429,...} (or, with
   * rateLimitStatus 200, the same body under HTTP 200, as some vendors answer). Default: none.
   */
  rateLimit?: number;
  rateLimitStatus?: 200 | 429;
  /** Told of every request to the endpoint once it is answered (a request log; never the token). */
  onRequest?: (entry: RequestLogEntry) => void;
}

/** One line of the request log. */
export interface RequestLogEntry {
  /** Milliseconds since the simulator started. */
  ms: number;
  uid: string;
  cursor: string;
  /** 'ok', 'empty' (silent rate limiting), 'throttled' (rateLimit), 'quota', 'token', 'uid', or a fault kind. */
  answer: string;
}

export interface SimulatorStats {
  /** Every HTTP request received, whatever its path or answer. */
  requests: number;
  /** Requests per uid that passed the token and uid checks (faulted ones included). */
  byUid: Record<string, number>;
  /** The raw cursor parameter of each request to the endpoint ('' when absent); the last 10,000. */
  cursors: string[];
  /** Requests to the endpoint by answer ('ok', 'throttled', 'quota', 'token', ...: see RequestLogEntry). */
  answers?: Record<string, number>;
  /** Bytes of 'endless' bodies the simulator wrote (the client stops them). */
  endlessBytes?: number;
}

export interface Simulator {
  /** Base URL to hand to the client, basePath included, e.g. 'http://127.0.0.1:41234/api'. */
  url: string;
  port: number;
  stats: SimulatorStats;
  /** Stops listening and destroys open (keep-alive) sockets; resolves promptly. */
  close(): Promise<void>;
}
