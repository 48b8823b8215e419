/**
 * The followers API's response, as far as tkf reads it. Written from
 * fixtures/sample-response.json (the vendor's sample, byte for byte):
 *
 *   {"code": 200, "msg": "成功", "data": {"max_time": 1631063752, "min_time": 1631063752,
 *    "has_more": true, "offset": 20, "status_code": 0, "total": 8229668, "followers": [...], ...}}
 *
 * Followers are not described field by field: tkf passes each one through exactly as sent (JSONL)
 * or picks fields by path (CSV), so a field the vendor adds tomorrow is exported too.
 */

/** data.status_code values with a meaning of their own (vendor's table). */
export const STATUS_OK = 0;
/** The user's privacy settings hide the list. May come without `followers` and `has_more`. */
export const STATUS_HIDDEN = 2096;
/** The user does not exist. */
export const STATUS_NO_USER = 2065;

/** The envelope with the followers array taken out (it is kept as raw bytes, see RawFollower). */
export interface Envelope {
  code?: unknown;
  msg?: unknown;
  data?: {
    status_code?: unknown;
    has_more?: unknown;
    /** The next cursor: follow time (Unix seconds) of the page's oldest follower; -1 or 0 past the depth cap. */
    min_time?: unknown;
    max_time?: unknown;
    /** The profile's follower count, not what the list will yield. */
    total?: unknown;
    offset?: unknown;
  } | null;
}

/** One follower, kept as the bytes the API sent. */
export interface RawFollower {
  /** The follower's `uid`: a 19-digit decimal string, never a Number (it exceeds 2^53). */
  uid: string;
  /** The follower object's JSON text exactly as sent; only whitespace between tokens is removed. */
  bytes: Buffer;
  /** True when a number in it has more digits than a double holds exactly (room_id of a live user). */
  hasLongNumbers: boolean;
  /**
   * Where the values of the parse's span keys are in `bytes` (page-parser.ts SpanKeys): for the
   * key at index k, its value's start at `spans.values[spanAt + 2k]` and its end after it, or -1
   * when the follower has no such key. Absent when the parse was not asked for them.
   */
  spans?: PageSpans;
  spanAt?: number;
}

/** The value places of one page's followers (RawFollower.spans). */
export interface PageSpans {
  readonly keys: SpanKeys;
  readonly values: ArrayLike<number>;
}

/**
 * The top-level keys of a follower whose values' places the parse records as it passes them
 * (page-parser.ts spanKeys; RawFollower.spans), so that a reader of a few columns (the CSV and
 * XLSX writers, the history's recording thread) need not scan the follower's ~4.7 KB a second
 * time (writers/fields.ts createDecoder).
 */
export interface SpanKeys {
  readonly keys: readonly string[];
  /**
   * By a key's length in UTF-8 bytes x 256 + its first byte: 0 when no key of these starts so,
   * else the index of the one that may + 1 (-1: several may, see `byLength`). One array read
   * rejects most of a follower's 110 keys.
   */
  readonly slots: Int8Array;
  /** Key indexes by the key's length in UTF-8 bytes. */
  readonly byLength: ReadonlyArray<readonly number[] | undefined>;
  readonly bytes: readonly Buffer[];
}

/**
 * A page as tkf uses it: the fields that drive paging (read leniently in type, see
 * envelope-fields.ts), and the followers as raw bytes.
 */
export interface FollowersPage {
  /** The vendor's code: a number when it reads as one ("200" is 200). */
  code: unknown;
  msg: string;
  statusCode: number;
  hasMore: boolean | undefined;
  /** The next cursor; -1 or 0 past the depth cap; undefined when it could not be read. */
  minTime: number | undefined;
  /**
   * Follow time of the page's newest follower (data.max_time); -1 or 0 past the depth cap;
   * undefined when absent or unreadable. It does not drive the walk, so it is never a problem:
   * `--update` uses it as evidence of how new the file's followers are.
   */
  maxTime?: number;
  total: number | undefined;
  /** Set by the client: attempts at this page that failed before it (timeouts, resets, 5xx; not 429s). */
  retried?: number;
  /** With `retried`: why the last of those attempts failed (the retry's words, the token redacted). */
  lastFailure?: string;
  /** A field the walk needs could not be read: the page is malformed (retried, then exit 6). */
  problem?: string;
  /** The body is JSON but not the vendor's envelope (no readable `code`): a gateway's own answer. */
  notEnvelope?: string;
  /** undefined when the answer has no `followers` array at all (the hidden-list shape). */
  followers: RawFollower[] | undefined;
}
