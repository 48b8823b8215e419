/**
 * Turns a response body into a FollowersPage without decoding the followers.
 *
 * Why not JSON.parse the whole body: a page is ~97 KB, and one non-ASCII character (the envelope's
 * "msg":"成功", any emoji nickname) makes V8 hold it as a two-byte string past its 128 KiB
 * regular-allocation limit, so decoding costs ~0.8 ms a page, the largest single cost of an export
 * (../shared/PERFORMANCE.md). And JSON.parse rounds 19-digit numbers (`room_id` of a live user):
 * 7300000000000000114 would become 7300000000000000000.
 *
 * So one pass over the bytes finds each follower object in `data.followers` and its `uid`. Only
 * the envelope, with the followers array cut out, goes through JSON.parse. Writers get each
 * follower's exact bytes.
 *
 * The pass also checks the JSON grammar between tokens (commas, colons, brackets, numbers,
 * literals), so truncated bodies, HTML error pages and broken followers are caught here
 * (MalformedBodyError) and retried instead of being written. The pass runs in WebAssembly first
 * (page-scan.as.ts, the same grammar: ~75-130 us a 95 KB page on these machines); whatever it
 * refuses or cannot hold is read again by the JavaScript loop below (~180-360 us a page), which
 * names the fault, and which serves alone where WebAssembly is off (node --jitless).
 *
 * What tkf does with a body that is not strict JSON (RFC 8259): it is a malformed page, never
 * something to repair. Raw control characters or unknown escapes inside strings, bytes that are
 * not UTF-8, a second `followers` list, a follower without a usable `uid`: MalformedBodyError, so
 * the client retries the page and then stops with exit 6 and the reason. Whatever this accepts,
 * JSON.parse accepts too and reads the same followers from (the suite checks it on generated and
 * mutated pages), so every JSONL line tkf writes is one strict JSON value. The one leniency is a
 * UTF-8 BOM at the very start, which is skipped.
 */
import { isUtf8 } from 'node:buffer';
import { readListFields } from './envelope-fields.js';
import { scanner, type Scanner } from './page-scan.js';
import type { Envelope, FollowersPage, PageSpans, RawFollower, SpanKeys } from './types.js';

export type { SpanKeys };

/** Thrown when a body is not the JSON the contract promises (truncated, an HTML page...). */
export class MalformedBodyError extends Error {
  override name = 'MalformedBodyError';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const EMPTY_ARRAY = Buffer.from('[]');

const WHITESPACE = new Uint8Array(256);
for (const ch of ' \t\r\n') WHITESPACE[ch.charCodeAt(0)] = 1;
const DIGIT = new Uint8Array(256);
for (const ch of '0123456789') DIGIT[ch.charCodeAt(0)] = 1;

/**
 * Integers of up to 15 digits are exact as doubles (2^53 has 16). A follower holding a longer
 * number is flagged so that whoever decodes it uses a lossless parser.
 */
const SAFE_DIGITS = 15;

const NO_SLOTS = new Int8Array(0);

/** The span keys of these names (SpanKeys, types.ts). */
export function spanKeys(keys: readonly string[]): SpanKeys {
  const unique = [...new Set(keys)];
  const bytes = unique.map((key) => Buffer.from(key, 'utf8'));
  const byLength: number[][] = [];
  bytes.forEach((key, k) => (byLength[key.length] ??= []).push(k));
  const slots = new Int8Array(256 * (Math.max(0, ...bytes.map((key) => key.length)) + 1));
  bytes.forEach((key, k) => {
    // An empty key's first byte is its closing quote.
    const slot = key.length * 256 + (key[0] ?? QUOTE);
    slots[slot] = slots[slot] === 0 && k < 127 ? k + 1 : -1;
  });
  return { keys: unique, slots, byLength, bytes };
}

/** The index in `table` of the key between the quotes at `open` and `close` (its bytes unescaped), or -1. */
export function spanKeyOf(table: SpanKeys, body: Buffer, open: number, close: number): number {
  const slot = table.slots[(close - open - 1) * 256 + body[open + 1]!];
  return slot === undefined || slot === 0 ? -1 : spanKeyAt(table, body, open, close, slot);
}

/** Where each of `keys` is in `table` (its indexes), or undefined when the table lacks one of them. */
export function spanIndexes(table: SpanKeys, keys: readonly string[]): Int32Array | undefined {
  const indexes = Int32Array.from(keys, (key) => table.keys.indexOf(key));
  return indexes.includes(-1) ? undefined : indexes;
}

/** spanKeyOf past its first read: `slot` is the key's entry in table.slots, not 0. */
function spanKeyAt(table: SpanKeys, body: Buffer, open: number, close: number, slot: number): number {
  if (slot > 0) return keyBytesAt(table.bytes[slot - 1]!, body, open) ? slot - 1 : -1;
  for (const k of table.byLength[close - open - 1]!) if (keyBytesAt(table.bytes[k]!, body, open)) return k;
  return -1;
}

/** Whether the key's bytes follow the quote at `open` (its length is checked already). */
function keyBytesAt(key: Buffer, body: Buffer, open: number): boolean {
  for (let j = 0; j < key.length; j++) if (body[open + 1 + j] !== key[j]) return false;
  return true;
}

/** The bytes that may follow a backslash in a JSON string (RFC 8259 section 7). */
const ESCAPE = new Uint8Array(256);
for (const ch of '"\\/bfnrtu') ESCAPE[ch.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const ch of '0123456789abcdefABCDEF') HEX[ch.charCodeAt(0)] = 1;

/**
 * Index of the quote closing the string that opens at `open`, or -1 when the body ends first. A
 * JS loop: most strings are short keys, and a Buffer#indexOf call costs more than scanning them.
 *
 * Strict, as JSON.parse is: a raw control character (a bare line feed in a nickname from a broken
 * gateway) or an escape JSON does not have (`\x41`, `\u12G4`) makes the page malformed. Such a
 * page is retried and then the export stops (exit 6); it is never written, because its bytes
 * would put a line into a JSONL file that no JSON reader accepts.
 */
function stringEnd(body: Buffer, open: number): number {
  const length = body.length;
  for (let at = open + 1; at < length; at++) {
    const byte = body[at]!;
    if (byte === QUOTE) return at;
    if (byte < 0x20) fail(`a raw control character 0x${byte.toString(16).padStart(2, '0')} inside a string`, body, at);
    if (byte === BACKSLASH) {
      const next = body[++at];
      if (next === undefined) return -1;
      if (ESCAPE[next] !== 1) fail('an escape JSON does not have inside a string', body, at - 1);
      if (next === 0x75) {
        for (let k = 1; k <= 4; k++) {
          if (at + k >= length) return -1;
          if (HEX[body[at + k]!] !== 1) fail('a \\u escape without four hex digits', body, at - 1);
        }
        at += 4;
      }
    }
  }
  return -1;
}

/** End of the number token at `start`, or -1 if it is not a JSON number. */
function numberEnd(body: Buffer, start: number): number {
  let at = start;
  if (body[at] === 0x2d) at++;
  if (body[at] === 0x30) at++;
  else if (DIGIT[body[at]!] === 1) while (DIGIT[body[at]!] === 1) at++;
  else return -1;
  if (body[at] === 0x2e) {
    at++;
    if (DIGIT[body[at]!] !== 1) return -1;
    while (DIGIT[body[at]!] === 1) at++;
  }
  if (body[at] === 0x65 || body[at] === 0x45) {
    at++;
    if (body[at] === 0x2b || body[at] === 0x2d) at++;
    if (DIGIT[body[at]!] !== 1) return -1;
    while (DIGIT[body[at]!] === 1) at++;
  }
  return at;
}

/** Whether the literal `word` (true, false, null) is at `at`. */
function literalAt(body: Buffer, at: number, word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) if (body[at + k] !== word[k]) return false;
  return true;
}

/** Whether the string between these quotes holds an escape (keys are short: a plain loop). */
function hasEscape(body: Buffer, open: number, close: number): boolean {
  for (let k = open + 1; k < close; k++) if (body[k] === BACKSLASH) return true;
  return false;
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

/**
 * Reads the `uid` value: a JSON string of digits, or a bare integer from a lenient vendor (its
 * digits as written: never through a Number, which would round a 19-digit id). Anything else (no
 * uid, null, "", letters) is a malformed page: de-duplication is by uid, so a follower without one
 * would be silently dropped as a repeat of the next one without one.
 */
function readUid(body: Buffer, start: number, end: number): string {
  const text = body.toString('latin1', start, end);
  if (/^"[0-9]+"$/.test(text)) return text.slice(1, -1);
  if (/^[0-9]+$/.test(text)) return text;
  // Escapes (a vendor may write \u0036 for '6'): let JSON decode the string, then check it.
  let decoded: unknown;
  try {
    decoded = JSON.parse(body.toString('utf8', start, end));
  } catch {
    decoded = undefined;
  }
  if (typeof decoded === 'string' && /^[0-9]+$/.test(decoded)) return decoded;
  throw new MalformedBodyError(`a follower whose uid is ${text.length > 40 ? `${text.slice(0, 40)}...` : text}, not a user_id`);
}

// What the scanner expects next (a JSON grammar reduced to what matters between tokens).
const VALUE = 0; // a value (after ':' or ',' in an array, or at the top)
const VALUE_OR_CLOSE = 1; // after '['
const KEY = 2; // after ',' in an object
const KEY_OR_CLOSE = 3; // after '{'
const COLON = 4; // after a key
const COMMA_OR_CLOSE = 5; // after a value inside a container
const DONE = 6; // after the top-level value
const OBJECT = 1;
const ARRAY = 2;
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function fail(what: string, body: Buffer, at: number): never {
  throw new MalformedBodyError(`${what} at offset ${at}${at >= body.length ? ' (truncated?)' : ''}`);
}

/** A value may start here; and each element of data.followers must be an object. */
function checkValue(expect: number, isFollowerSlot: boolean, isObject: boolean, body: Buffer, at: number): void {
  if (expect !== VALUE && expect !== VALUE_OR_CLOSE) fail('a value where none belongs', body, at);
  if (isFollowerSlot && !isObject) fail('a follower that is not an object', body, at);
}

/**
 * `keys`: record where each follower's value of these top-level keys is (RawFollower.spans), as
 * writers/fields.ts findValues would find them; a follower with an escaped key or whitespace
 * between its tokens gets none (its reader scans it).
 */
export function parsePage(body: Buffer, keys?: SpanKeys): FollowersPage {
  const bom = checkUtf8(body);
  // The WebAssembly scan first (page-scan.as.ts, the same grammar); whatever it refuses or cannot
  // hold is parsed again here, which names the fault or, past its layout's room, reads the page.
  return (scanner && scanPage(scanner, body, bom, keys)) ?? parseInJavaScript(body, bom, keys);
}

/** parsePage by the JavaScript loop alone (the suite compares the two). */
export function parsePageInJavaScript(body: Buffer, keys?: SpanKeys): FollowersPage {
  return parseInJavaScript(body, checkUtf8(body), keys);
}

/** parsePage by the WebAssembly scan alone: undefined where it refuses the page (the suite compares the two). */
export function parsePageScanned(body: Buffer, keys?: SpanKeys): FollowersPage | undefined {
  if (!scanner) throw new Error('no WebAssembly in this process');
  return scanPage(scanner, body, checkUtf8(body), keys);
}

/** The page as the WebAssembly scan reads it, or undefined where it refuses it (or cannot hold it). */
function scanPage(scan: Scanner, body: Buffer, bom: number, keys: SpanKeys | undefined): FollowersPage | undefined {
  const count = scan.scan(body, bom, keys);
  return count >= 0 ? scannedPage(scan, body, bom, count, keys) : undefined;
}

/** The BOM's length (0 or 3); throws on a body that is not UTF-8. */
function checkUtf8(body: Buffer): number {
  // RFC 8259 text is UTF-8. Invalid bytes would decode to U+FFFD in one reader and fail in a
  // stricter one, so the page is malformed rather than written (isUtf8 is one native pass).
  if (!isUtf8(body)) throw new MalformedBodyError('the body is not valid UTF-8');
  // A UTF-8 BOM is tolerated (and left out of everything below).
  return body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
}

/** The page from the WebAssembly scan's records: the same followers, flags and places as parseInJavaScript's. */
function scannedPage(scan: Scanner, body: Buffer, bom: number, count: number, keys: SpanKeys | undefined): FollowersPage {
  const ints = scan.ints;
  const width = keys ? keys.keys.length * 2 : 0;
  const spans: { keys: SpanKeys; values: Int32Array } | undefined = keys ? { keys, values: scan.spansOf(count, width) } : undefined;
  const followers: RawFollower[] = [];
  for (let f = 0; f < count; f++) {
    const at = scan.followerAt(f);
    const flags = ints[at + 4]!;
    const spaced = (flags & scan.SPACED) !== 0;
    const escapedKey = (flags & scan.ESCAPED_KEY) !== 0;
    const placed = spaced || escapedKey ? undefined : spans;
    followers.push(
      finishFollower(body, ints[at]!, ints[at + 1]!, escapedKey ? -1 : ints[at + 2]!, ints[at + 3]!, (flags & scan.LONG_NUMBER) !== 0, spaced, placed, f * width),
    );
  }
  return finishPage(body, bom, scan.arrayStart(), scan.arrayEnd(), followers);
}

function parseInJavaScript(body: Buffer, bom: number, keys: SpanKeys | undefined): FollowersPage {
  let i = bom;
  const stack = new Uint8Array(64); // OBJECT or ARRAY for each open container
  let depth = 0;
  let expect = VALUE;
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
  let escapedKey = false;
  let dataKeys = 0;
  let followersKeys = 0;
  // The values' places (SpanKeys): `width` numbers a follower, from `spanBase` in spans.values.
  const width = keys ? keys.keys.length * 2 : 0;
  // Room for 32 followers (a page has 20), grown if a page has more.
  const spans: { keys: SpanKeys; values: Int32Array } | undefined = keys ? { keys, values: new Int32Array(width * 32) } : undefined;
  let spanBase = 0;
  let spanKey = -1;
  const slots = keys ? keys.slots : NO_SLOTS;

  // No closures over these locals below: V8 would move them to the heap, and this loop is hot.

  while (i < body.length) {
    const byte = body[i]!;
    if (byte === QUOTE) {
      const close = stringEnd(body, i);
      if (close === -1) fail('the body ends inside a string', body, i);
      if (expect === KEY || expect === KEY_OR_CLOSE) {
        // JSON.parse reads "\u0064ata" as "data" and keeps the last of repeated keys. Escaped or
        // repeated envelope keys are refused, and an escaped follower key sends the uid to
        // JSON.parse, so that this scan never finds other followers than JSON.parse would.
        if (depth <= 2 && hasEscape(body, i, close)) fail('an escaped key in the envelope', body, i);
        if (depth === 1) {
          key1 = keyIs(body, i, close, 'data');
          if (key1 && dataKeys++ > 0) fail('a repeated "data" key', body, i);
        } else if (depth === 2 && inData) {
          key2 = keyIs(body, i, close, 'followers');
          if (key2 && followersKeys++ > 0) fail('a repeated "followers" key', body, i);
        } else if (depth === 4 && inArray) {
          uidKey = keyIs(body, i, close, 'uid');
          if (!escapedKey && hasEscape(body, i, close)) escapedKey = true;
          if (width !== 0) {
            // spanKeyOf, its first read inlined: it rejects most keys (out of its range is undefined).
            const slot = slots[(close - i - 1) * 256 + body[i + 1]!];
            spanKey = slot === undefined || slot === 0 ? -1 : spanKeyAt(spans!.keys, body, i, close, slot);
          }
        }
        expect = COLON;
      } else {
        checkValue(expect, inArray && depth === 3, false, body, i);
        if (depth === 4 && inArray) {
          if (uidKey) {
            uidStart = i;
            uidEnd = close + 1;
          }
          if (spanKey !== -1) {
            spans!.values[spanBase + 2 * spanKey] = i - followerStart;
            spans!.values[spanBase + 2 * spanKey + 1] = close + 1 - followerStart;
          }
        }
        expect = depth === 0 ? DONE : COMMA_OR_CLOSE;
      }
      i = close + 1;
      continue;
    }
    switch (byte) {
      case 0x7b: // {
      case 0x5b: // [
        checkValue(expect, inArray && depth === 3, byte === 0x7b, body, i);
        // A follower's last "uid" holding an object or a list: JSON.parse keeps that one, so the
        // uid found before it is not the follower's (finishFollower asks JSON, which refuses it).
        if (depth === 4 && inArray) {
          if (uidKey) uidStart = -1;
          if (spanKey !== -1) spans!.values[spanBase + 2 * spanKey] = i - followerStart;
        }
        if (depth === 1 && byte === 0x7b) inData = key1;
        if (depth === 2 && byte === 0x5b && inData && key2) {
          // JSON.parse keeps the last of repeated keys; a second list would make us disagree.
          if (arrayStart !== -1) fail('a second data.followers list', body, i);
          inArray = true;
          arrayStart = i;
        }
        if (depth === 3 && inArray) {
          followerStart = i;
          uidKey = false;
          uidStart = -1;
          longNumber = false;
          spaced = false;
          escapedKey = false;
          if (spans) {
            spanBase = followers.length * width;
            if (spanBase + width > spans.values.length) {
              const grown = new Int32Array(spans.values.length * 2);
              grown.set(spans.values);
              spans.values = grown;
            }
            spans.values.fill(-1, spanBase, spanBase + width);
            spanKey = -1;
          }
        }
        if (depth === stack.length) fail('nesting deeper than 64 levels', body, i);
        stack[depth++] = byte === 0x7b ? OBJECT : ARRAY;
        expect = byte === 0x7b ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        if (depth === 0 || stack[depth - 1] !== (byte === 0x7d ? OBJECT : ARRAY)) fail('a bracket that closes nothing open', body, i);
        if (expect !== COMMA_OR_CLOSE && expect !== (byte === 0x7d ? KEY_OR_CLOSE : VALUE_OR_CLOSE)) {
          fail('a container closed after a comma or a key', body, i);
        }
        depth--;
        if (depth === 4 && inArray && spanKey !== -1) {
          spans!.values[spanBase + 2 * spanKey + 1] = i + 1 - followerStart;
        } else if (depth === 3 && inArray) {
          const placed = spaced || escapedKey ? undefined : spans;
          followers.push(finishFollower(body, followerStart, i + 1, escapedKey ? -1 : uidStart, uidEnd, longNumber, spaced, placed, spanBase));
        } else if (depth === 2 && inArray) {
          inArray = false;
          arrayEnd = i + 1;
        } else if (depth === 1) {
          inData = false;
        }
        expect = depth === 0 ? DONE : COMMA_OR_CLOSE;
        break;
      case 0x3a: // :
        if (expect !== COLON) fail('a colon out of place', body, i);
        expect = VALUE;
        break;
      case 0x2c: // ,
        if (expect !== COMMA_OR_CLOSE) fail('a comma out of place', body, i);
        expect = stack[depth - 1] === OBJECT ? KEY : VALUE;
        break;
      case 0x20:
      case 0x09:
      case 0x0a:
      case 0x0d:
        if (depth >= 4 && inArray) spaced = true;
        break;
      default: {
        checkValue(expect, inArray && depth === 3, false, body, i);
        let end: number;
        if (DIGIT[byte] === 1 || byte === 0x2d) {
          end = numberEnd(body, i);
          if (end === -1) fail('a malformed number', body, i);
          if (depth === 4 && inArray && uidKey) {
            uidStart = i;
            uidEnd = end;
          }
          // Integers of more than 15 digits may not be exact as doubles.
          if (end - i > SAFE_DIGITS && depth >= 4 && inArray) {
            let digits = 0;
            for (let k = i; k < end; k++) digits += DIGIT[body[k]!]!;
            if (digits > SAFE_DIGITS) longNumber = true;
          }
        } else {
          const word = byte === 0x74 ? TRUE : byte === 0x66 ? FALSE : byte === 0x6e ? NULL : undefined;
          if (!word || !literalAt(body, i, word)) fail(`an unexpected byte 0x${byte.toString(16)}`, body, i);
          end = i + word!.length;
          // As above: a last "uid" of true, false or null is the follower's uid to JSON.parse.
          if (depth === 4 && inArray && uidKey) uidStart = -1;
        }
        if (depth === 4 && inArray && spanKey !== -1) {
          spans!.values[spanBase + 2 * spanKey] = i - followerStart;
          spans!.values[spanBase + 2 * spanKey + 1] = end - followerStart;
        }
        expect = depth === 0 ? DONE : COMMA_OR_CLOSE;
        i = end;
        continue;
      }
    }
    i++;
  }
  if (expect !== DONE) fail('the body is not a complete JSON value', body, i);
  return finishPage(body, bom, arrayStart, arrayEnd, followers);
}

/**
 * The memory of page bodies this parse has read that are an allocation of their own (a body
 * gathered from several chunks; never a slice of Node's shared pool or of a socket's read). Inside
 * such a body, every byte after a follower's object belongs to the page: writers/jsonl.ts
 * linesInPlace may turn the list's separators into line ends there, and nowhere else.
 */
export const wholePageBodies = new WeakSet<ArrayBufferLike>();

/** The envelope, read by JSON.parse with the followers' list cut out, and the page. */
function finishPage(body: Buffer, bom: number, arrayStart: number, arrayEnd: number, followers: RawFollower[]): FollowersPage {
  if (followers.length > 1 && body.byteOffset === 0 && body.length === body.buffer.byteLength) wholePageBodies.add(body.buffer);
  const envelopeBytes =
    arrayStart === -1
      ? body.subarray(bom)
      : Buffer.concat([body.subarray(bom, arrayStart), EMPTY_ARRAY, body.subarray(arrayEnd)]);
  let envelope: Envelope;
  try {
    envelope = JSON.parse(envelopeBytes.toString('utf8')) as Envelope;
  } catch (error) {
    throw new MalformedBodyError(`the body is not valid JSON: ${(error as Error).message}`);
  }
  if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) {
    throw new MalformedBodyError('the body is not a JSON object');
  }
  const data = envelope.data && typeof envelope.data === 'object' && !Array.isArray(envelope.data) ? envelope.data : undefined;
  return {
    ...readListFields(envelope.code, data as Record<string, unknown> | undefined),
    msg: typeof envelope.msg === 'string' ? envelope.msg : envelope.msg === undefined ? '' : JSON.stringify(envelope.msg),
    followers: arrayStart === -1 ? undefined : followers,
  };
}

function finishFollower(
  body: Buffer,
  start: number,
  end: number,
  uidStart: number,
  uidEnd: number,
  hasLongNumbers: boolean,
  spaced: boolean,
  spans: PageSpans | undefined,
  spanAt: number,
): RawFollower {
  let bytes = body.subarray(start, end);
  let uid: string;
  if (uidStart !== -1 && uidStart > start && uidEnd <= end) {
    uid = readUid(body, uidStart, uidEnd);
  } else {
    // No top-level "uid" key found by the scan: an escaped key name ("\u0075id") is still a
    // uid to JSON, so ask JSON; none at all is a malformed page (see readUid).
    const decoded = JSON.parse(bytes.toString('utf8')) as { uid?: unknown };
    if (typeof decoded.uid === 'string' && /^[0-9]+$/.test(decoded.uid)) uid = decoded.uid;
    else if (typeof decoded.uid === 'number' && Number.isSafeInteger(decoded.uid) && decoded.uid >= 0) uid = String(decoded.uid);
    else throw new MalformedBodyError(`a follower without a usable uid (${decoded.uid === undefined ? 'none' : JSON.stringify(decoded.uid)})`);
  }
  if (spaced) bytes = compactJson(bytes);
  // Without places (JSONL without --fields), the three properties a follower had before them.
  return spans ? { uid, bytes, hasLongNumbers, spans, spanAt } : { uid, bytes, hasLongNumbers };
}
