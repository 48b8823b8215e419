/**
 * The next cursor read off an answer's first bytes, before the page is parsed: what lets the walk
 * send the next request while this page is still being read (export/pager.ts, "leading").
 *
 * It is a guess, never a verdict. It reads only the envelope's fields that stand before the
 * followers array (the vendor's order: code, msg, data.max_time, min_time, has_more, ...,
 * status_code, total, followers), with a few small regular expressions over at most 2 KB, and
 * answers a cursor only when everything there says "a good page, more follow, from here": code
 * 200, status_code 0, has_more true, a positive min_time, and a followers array that is not
 * empty. The strict parse (page-parser.ts) still reads the whole answer, and the walk uses a
 * request sent from this guess only when its own verdict sends the same cursor; otherwise the
 * request is dropped (one request spent on a page that turned out bad). Anything unusual (fields
 * after the followers, repeated keys, an envelope of another shape) gives no guess: the walk then
 * sends the next request after the parse, as it always did.
 */

/** The envelope's head is short (~400 bytes); a body whose followers start later gives no guess. */
const HEAD_BYTES = 2048;
const FOLLOWERS_KEY = Buffer.from('"followers"');

const CODE_OK = /^\s*\{\s*"code"\s*:\s*(?:200|"200")\s*,/;
const STATUS_OK = /"status_code"\s*:\s*(?:0|"0")\s*[,}]/;
const HAS_MORE = /"has_more"\s*:\s*(?:true|1|"true"|"1")\s*[,}]/;
const MIN_TIME = /"min_time"\s*:\s*(?:([1-9]\d{0,14})|"([1-9]\d{0,14})")\s*[,}]/g;

/** The cursor the answer's envelope names for the next page, when it plainly names one; else undefined. */
export function peekNextCursor(body: Buffer): number | undefined {
  // Searched in the head only: a body of megabytes that is not a page costs no scan of its whole.
  const followersAt = body.subarray(0, HEAD_BYTES + FOLLOWERS_KEY.length).indexOf(FOLLOWERS_KEY);
  if (followersAt < 0) return undefined;
  // Not empty: `"followers" : [` is followed by something other than `]`.
  let at = afterSpace(body, followersAt + FOLLOWERS_KEY.length);
  if (body[at] !== 0x3a) return undefined;
  at = afterSpace(body, at + 1);
  if (body[at] !== 0x5b) return undefined;
  at = afterSpace(body, at + 1);
  if (at >= body.length || body[at] === 0x5d) return undefined;
  const head = body.toString('latin1', 0, followersAt);
  if (!CODE_OK.test(head) || !STATUS_OK.test(head) || !HAS_MORE.test(head)) return undefined;
  const times = [...head.matchAll(MIN_TIME)];
  // One min_time only: with two, which one JSON's reading keeps is the parser's to say.
  if (times.length !== 1) return undefined;
  const match = times[0]!;
  return Number(match[1] ?? match[2]);
}

/** The first index at or after `at` that is not JSON whitespace. */
function afterSpace(body: Buffer, at: number): number {
  while (body[at] === 0x20 || body[at] === 0x0a || body[at] === 0x0d || body[at] === 0x09) at++;
  return at;
}
