/**
 * Turns a response body into a FollowersPage without decoding the followers.
 *
 * Why not JSON.parse the whole body: a page is ~97 KB, and one non-ASCII character (the envelope's
 * "msg":"成功", any emoji nickname) makes V8 hold it as a two-byte string past its 128 KiB
 * regular-allocation limit, so decoding costs ~0.8 ms a page, the largest single cost of an export
 * (../shared/PERFORMANCE.md). And JSON.parse rounds 19-digit numbers (`room_id` of a live user):
 * 7300000000000000114 would become 7300000000000000000.
 *
 * So one pass over the bytes finds each follower object in `data.followers` and its `uid`; strings
 * are skipped with Buffer#indexOf (memchr). Only the envelope, with the followers array cut out,
 * goes through JSON.parse. Writers get each follower's exact bytes.
 *
 * The pass also checks that everything outside strings is a JSON token character and that brackets
 * balance, so truncated bodies and HTML error pages are caught here (MalformedBodyError) and can
 * be retried; the envelope parse catches the rest.
 */
import type { Envelope, FollowersPage, RawFollower } from './types.js';

/** Thrown when a body is not the JSON the contract promises (truncated, an HTML page...). */
export class MalformedBodyError extends Error {
  override name = 'MalformedBodyError';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const EMPTY_ARRAY = Buffer.from('[]');

/** Bytes allowed outside strings: structure, whitespace, number and literal characters. */
const TOKEN = new Uint8Array(256);
for (const ch of '{}[]:, \t\r\n-+.eE0123456789truefalsn') TOKEN[ch.charCodeAt(0)] = 1;
const WHITESPACE = new Uint8Array(256);
for (const ch of ' \t\r\n') WHITESPACE[ch.charCodeAt(0)] = 1;
const DIGIT = new Uint8Array(256);
for (const ch of '0123456789') DIGIT[ch.charCodeAt(0)] = 1;

/**
 * Integers of up to 15 digits are exact as doubles (2^53 has 16). A follower holding a longer
 * number is flagged so that whoever decodes it uses a lossless parser.
 */
const SAFE_DIGITS = 15;

/** Index of the quote closing the string that opens at `open`, or -1. */
function stringEnd(body: Buffer, open: number): number {
  let at = body.indexOf(QUOTE, open + 1);
  while (at !== -1) {
    let slashes = 0;
    while (body[at - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at;
    at = body.indexOf(QUOTE, at + 1);
  }
  return -1;
}

function nextNonSpace(body: Buffer, from: number): number {
  let at = from;
  while (at < body.length && WHITESPACE[body[at]!] === 1) at++;
  return at;
}

function keyIs(body: Buffer, open: number, close: number, key: string): boolean {
  if (close - open - 1 !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (body[open + 1 + k] !== key.charCodeAt(k)) return false;
  return true;
}

/** Removes whitespace between tokens (a pretty-printed API would otherwise break JSONL lines). */
export function compactJson(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i]!;
    if (byte === QUOTE) {
      const close = stringEnd(bytes, i);
      if (close === -1) throw new MalformedBodyError('unterminated string');
      length += bytes.copy(out, length, i, close + 1);
      i = close + 1;
    } else {
      if (WHITESPACE[byte] !== 1) out[length++] = byte;
      i++;
    }
  }
  return out.subarray(0, length);
}

/** Reads the `uid` value (a JSON string, or a bare number from a lenient vendor). */
function readUid(body: Buffer, start: number, end: number): string {
  const text = body.toString('latin1', start, end);
  if (/^"[0-9]+"$/.test(text)) return text.slice(1, -1);
  if (/^[0-9]+$/.test(text)) return text;
  // Escapes or non-ASCII: let JSON decode it properly.
  return String(JSON.parse(body.toString('utf8', start, end)));
}

export function parsePage(body: Buffer): FollowersPage {
  let i = 0;
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) i = 3; // UTF-8 BOM
  let depth = 0;
  let sawContainer = false;
  // Where we are: the key last seen at depth 1 and 2, whether the open depth-2 object is `data`.
  let key1 = false; // last depth-1 key was "data"
  let key2 = false; // last depth-2 key was "followers"
  let inData = false;
  let arrayStart = -1;
  let arrayEnd = -1;
  let inArray = false;
  const followers: RawFollower[] = [];
  // The follower being scanned.
  let followerStart = -1;
  let uidKey = false;
  let uidStart = -1;
  let uidEnd = -1;
  let longNumber = false;
  let spaced = false;

  while (i < body.length) {
    const byte = body[i]!;
    if (byte === QUOTE) {
      const close = stringEnd(body, i);
      if (close === -1) throw new MalformedBodyError('the body ends inside a string (truncated?)');
      const after = nextNonSpace(body, close + 1);
      const isKey = body[after] === 0x3a; // ':'
      if (isKey) {
        if (depth === 1) key1 = keyIs(body, i, close, 'data');
        else if (depth === 2 && inData) key2 = keyIs(body, i, close, 'followers');
        else if (depth === 4 && inArray) uidKey = keyIs(body, i, close, 'uid');
      } else if (depth === 4 && inArray && uidKey) {
        uidStart = i;
        uidEnd = close + 1;
      }
      i = close + 1;
      continue;
    }
    if (TOKEN[byte] !== 1) {
      throw new MalformedBodyError(`unexpected byte 0x${byte.toString(16)} at offset ${i}`);
    }
    switch (byte) {
      case 0x7b: // {
      case 0x5b: // [
        if (depth === 1 && byte === 0x7b) inData = key1;
        if (depth === 2 && byte === 0x5b && inData && key2) {
          inArray = true;
          arrayStart = i;
        }
        if (depth === 3 && inArray) {
          if (byte !== 0x7b) throw new MalformedBodyError('a follower is not an object');
          followerStart = i;
          uidKey = false;
          uidStart = -1;
          longNumber = false;
          spaced = false;
        }
        depth++;
        sawContainer = true;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        depth--;
        if (depth < 0) throw new MalformedBodyError('unbalanced brackets');
        if (depth === 3 && inArray) {
          followers.push(finishFollower(body, followerStart, i + 1, uidStart, uidEnd, longNumber, spaced));
        } else if (depth === 2 && inArray) {
          inArray = false;
          arrayEnd = i + 1;
        } else if (depth === 1) {
          inData = false;
        }
        break;
      default:
        if (WHITESPACE[byte] === 1) {
          if (depth >= 4 && inArray) spaced = true;
        } else if (DIGIT[byte] === 1 || byte === 0x2d) {
          // A number token: count its digits.
          let end = i + 1;
          let digits: number = DIGIT[byte]!;
          while (end < body.length && TOKEN[body[end]!] === 1 && WHITESPACE[body[end]!] !== 1 && !isStructural(body[end]!)) {
            digits += DIGIT[body[end]!]!;
            end++;
          }
          if (depth === 4 && inArray && uidKey) {
            uidStart = i;
            uidEnd = end;
          }
          if (digits > SAFE_DIGITS && depth >= 4 && inArray) longNumber = true;
          i = end;
          continue;
        }
    }
    i++;
  }
  if (depth !== 0 || !sawContainer) throw new MalformedBodyError('the body is not a complete JSON object (truncated?)');

  const envelopeBytes =
    arrayStart === -1
      ? body
      : Buffer.concat([body.subarray(0, arrayStart), EMPTY_ARRAY, body.subarray(arrayEnd)]);
  let envelope: Envelope;
  try {
    envelope = JSON.parse(envelopeBytes.toString('utf8')) as Envelope;
  } catch (error) {
    throw new MalformedBodyError(`the body is not valid JSON: ${(error as Error).message}`);
  }
  if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) {
    throw new MalformedBodyError('the body is not a JSON object');
  }
  const data = envelope.data && typeof envelope.data === 'object' ? envelope.data : undefined;
  return {
    code: envelope.code,
    msg: typeof envelope.msg === 'string' ? envelope.msg : envelope.msg === undefined ? '' : JSON.stringify(envelope.msg),
    statusCode: typeof data?.status_code === 'number' ? data.status_code : 0,
    hasMore: typeof data?.has_more === 'boolean' ? data.has_more : undefined,
    minTime: typeof data?.min_time === 'number' ? data.min_time : undefined,
    total: typeof data?.total === 'number' ? data.total : undefined,
    followers: arrayStart === -1 ? undefined : followers,
  };
}

function isStructural(byte: number): boolean {
  return byte === 0x2c || byte === 0x7d || byte === 0x5d || byte === 0x3a;
}

function finishFollower(
  body: Buffer,
  start: number,
  end: number,
  uidStart: number,
  uidEnd: number,
  hasLongNumbers: boolean,
  spaced: boolean,
): RawFollower {
  let bytes = body.subarray(start, end);
  let uid: string;
  if (uidStart !== -1 && uidStart > start && uidEnd <= end) {
    uid = readUid(body, uidStart, uidEnd);
  } else {
    // No top-level "uid" key found by the scan (escaped key name?): ask JSON.
    const decoded = JSON.parse(bytes.toString('utf8')) as { uid?: unknown };
    uid = decoded.uid === undefined || decoded.uid === null ? '' : String(decoded.uid);
  }
  if (spaced) bytes = compactJson(bytes);
  return { uid, bytes, hasLongNumbers };
}
