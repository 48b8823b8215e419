/**
 * AssemblyScript, not TypeScript: compiled to WebAssembly by scripts/build-page-scan.mjs into
 * src/api/page-scan-wasm.ts (the module's bytes, base64), which page-scan.ts loads. tsc does not
 * read this file (tsconfig excludes *.as.ts).
 *
 * The same pass over a page as page-parser.ts's parsePage, byte for byte the same grammar and the
 * same verdicts, without the part that needs JavaScript objects: it finds where each follower of
 * data.followers starts and ends, its uid's value, its flags, and (when asked) where the values
 * of the span keys are (RawFollower.spans). Whatever this refuses (any negative answer), page-parser.ts
 * parses again in JavaScript, which names the fault; the suite checks both agree on generated and
 * mutated pages. Why WebAssembly: the JavaScript loop costs ~180-350 us a 95 KB page, the largest
 * share of an export's CPU (BENCHMARKS.md); strings here are skipped 16 bytes at a time.
 *
 * Memory (fixed, never grown: growing a module's memory slowed the process's other loops):
 *   INPUT ..       the page, INPUT_CAP bytes at most, then a 0 byte after its last
 *   FOLLOWERS ..   FOLLOWER_WIDTH i32 a follower: start, end, uid start, uid end, flags
 *   TABLE ..       the span keys (SpanKeys, page-parser.ts), written by page-scan.ts: their
 *                  count, the longest one's length, each key's offset and length, their bytes,
 *                  then the slots (256 a length, as SpanKeys.slots)
 *   SPANS ..       (keyed) for each follower, 2 i32 a key: its value's start and end from the
 *                  follower's start, or -1 (RawFollower.spans)
 * Offsets are into the page (0 = its first byte).
 */

export const INPUT: i32 = 65536;
export const INPUT_CAP: i32 = 1 << 20;
export const FOLLOWERS: i32 = INPUT + INPUT_CAP + 64;
export const FOLLOWER_CAP: i32 = 4096;
export const FOLLOWER_WIDTH: i32 = 5;
export const TABLE: i32 = FOLLOWERS + FOLLOWER_CAP * FOLLOWER_WIDTH * 4;
export const TABLE_CAP: i32 = 65536;
export const SPANS: i32 = TABLE + TABLE_CAP;
/** i32s of SPANS: a page's followers times twice its keys at most. */
export const SPAN_CAP: i32 = 262144;
/** Bytes of memory the layout needs (the module is built with at least this much). */
export const MEMORY_NEEDED: i32 = SPANS + SPAN_CAP * 4;

// TABLE's parts (page-scan.ts writes them in this order).
const KEY_COUNT: i32 = TABLE;
const LONGEST: i32 = TABLE + 4;
const KEY_PLACES: i32 = TABLE + 8; // 2 i32 a key: its bytes' offset in TABLE, its length

export const LONG_NUMBER: i32 = 1;
export const SPACED: i32 = 2;
export const ESCAPED_KEY: i32 = 4;

/** A page this scan refuses; page-parser.ts says why. */
export const MALFORMED: i32 = -1;
/** More followers or keys than the layout holds; page-parser.ts parses it. */
export const TOO_MANY: i32 = -2;

const VALUE: i32 = 0;
const VALUE_OR_CLOSE: i32 = 1;
const KEY: i32 = 2;
const KEY_OR_CLOSE: i32 = 3;
const COLON: i32 = 4;
const COMMA_OR_CLOSE: i32 = 5;
const DONE: i32 = 6;

let arrayStartAt: i32 = -1;
let arrayEndAt: i32 = -1;

/** Where data.followers' `[` was (-1: no list), after a parse that succeeded. */
export function arrayStart(): i32 {
  return arrayStartAt;
}

/** One past its `]`. */
export function arrayEnd(): i32 {
  return arrayEndAt;
}

// @ts-ignore: decorator
@inline
function isHex(byte: i32): bool {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46);
}

// @ts-ignore: decorator
@inline
function isDigit(byte: i32): bool {
  return <u32>(byte - 0x30) < 10;
}

/** The quote closing the string opened at `open`, or -1 (page-parser.ts stringEnd's rules). */
function stringEnd(open: i32, end: i32): i32 {
  let at = open + 1;
  const quote = i8x16.splat(0x22);
  const backslash = i8x16.splat(0x5c);
  const control = i8x16.splat(0x20);
  while (true) {
    while (at + 16 <= end) {
      const chunk = v128.load(at);
      const hits = i8x16.bitmask(v128.or(v128.or(i8x16.eq(chunk, quote), i8x16.eq(chunk, backslash)), i8x16.lt_u(chunk, control)));
      if (hits != 0) {
        at += ctz(hits);
        break;
      }
      at += 16;
    }
    if (at >= end) return -1;
    const byte = <i32>load<u8>(at);
    if (byte == 0x22) return at;
    if (byte < 0x20) return -1;
    if (byte == 0x5c) {
      at++;
      if (at >= end) return -1;
      const next = <i32>load<u8>(at);
      if (next == 0x75) {
        for (let k = 1; k <= 4; k++) {
          if (at + k >= end) return -1;
          if (!isHex(<i32>load<u8>(at + k))) return -1;
        }
        at += 5;
        continue;
      }
      if (next == 0x22 || next == 0x5c || next == 0x2f || next == 0x62 || next == 0x66 || next == 0x6e || next == 0x72 || next == 0x74) {
        at++;
        continue;
      }
      return -1;
    }
    at++;
  }
  return -1;
}

/** End of the number at `start`, or -1 (page-parser.ts numberEnd; the 0 byte after the page stops it). */
function numberEnd(start: i32): i32 {
  let at = start;
  if (load<u8>(at) == 0x2d) at++;
  if (load<u8>(at) == 0x30) at++;
  else if (isDigit(<i32>load<u8>(at))) while (isDigit(<i32>load<u8>(at))) at++;
  else return -1;
  if (load<u8>(at) == 0x2e) {
    at++;
    if (!isDigit(<i32>load<u8>(at))) return -1;
    while (isDigit(<i32>load<u8>(at))) at++;
  }
  const e = <i32>load<u8>(at);
  if (e == 0x65 || e == 0x45) {
    at++;
    const sign = <i32>load<u8>(at);
    if (sign == 0x2b || sign == 0x2d) at++;
    if (!isDigit(<i32>load<u8>(at))) return -1;
    while (isDigit(<i32>load<u8>(at))) at++;
  }
  return at;
}

function hasEscape(open: i32, close: i32): bool {
  for (let k = open + 1; k < close; k++) if (load<u8>(k) == 0x5c) return true;
  return false;
}

/** Whether the key between these quotes is "uid", "data" or "followers" (as bytes, unescaped). */
function isUid(open: i32, close: i32): bool {
  return close - open == 4 && load<u8>(open + 1) == 0x75 && load<u8>(open + 2) == 0x69 && load<u8>(open + 3) == 0x64;
}

function isData(open: i32, close: i32): bool {
  return close - open == 5 && load<u32>(open + 1) == 0x61746164; // "data", little-endian
}

function isFollowers(open: i32, close: i32): bool {
  // "followers": "foll" "ower" "s"
  return close - open == 10 && load<u32>(open + 1) == 0x6c6c6f66 && load<u32>(open + 5) == 0x7265776f && load<u8>(open + 9) == 0x73;
}

/** The index of the span key between these quotes, or -1 (page-parser.ts spanKeyOf over TABLE). */
function spanKeyOf(open: i32, close: i32, slots: i32): i32 {
  const length = close - open - 1;
  if (length > load<i32>(LONGEST)) return -1;
  // An empty key's first byte is its closing quote, as in SpanKeys.
  const slot = <i32>load<i8>(slots + length * 256 + <i32>load<u8>(open + 1));
  if (slot == 0) return -1;
  if (slot > 0) return keyBytesAt(slot - 1, open, length) ? slot - 1 : -1;
  // Keys that share a length and a first byte: the first of them that matches, as byLength.
  const count = load<i32>(KEY_COUNT);
  for (let k = 0; k < count; k++) if (load<i32>(KEY_PLACES + k * 8 + 4) == length && keyBytesAt(k, open, length)) return k;
  return -1;
}

function keyBytesAt(k: i32, open: i32, length: i32): bool {
  const key = TABLE + load<i32>(KEY_PLACES + k * 8);
  for (let j = 0; j < length; j++) if (load<u8>(key + j) != load<u8>(open + 1 + j)) return false;
  return true;
}

/**
 * Scans the page of `length` bytes at INPUT from `from` (past a BOM). The number of followers, or
 * MALFORMED, or TOO_MANY. `keyed`: also record where the values of the span keys in TABLE are (SPANS).
 */
export function parse(from: i32, length: i32, keyed: i32): i32 {
  if (length > INPUT_CAP || from > length) return TOO_MANY;
  // The slots follow the keys' bytes in TABLE; `width` numbers a follower in SPANS.
  const count0 = keyed ? load<i32>(KEY_COUNT) : 0;
  const width = count0 * 2;
  const slots = keyed ? TABLE + load<i32>(KEY_PLACES + count0 * 8) : 0;
  const end = INPUT + length;
  store<u8>(end, 0);
  let i = INPUT + from;
  let stack: u64 = 0; // bit d: the container at depth d + 1 is an object
  let depth = 0;
  let expect = VALUE;
  let key1 = false;
  let key2 = false;
  let inData = false;
  let inArray = false;
  let aStart = -1;
  let aEnd = -1;
  let dataKeys = 0;
  let followersKeys = 0;
  let count = 0;
  let spanAt = SPANS; // the follower's numbers in SPANS
  let currentKey = -1; // the span key of the follower's last top-level key, or -1
  let followerStart = -1;
  let uidKey = false;
  let uidStart = -1;
  let uidEnd = -1;
  let flags = 0;

  while (i < end) {
    const byte = <i32>load<u8>(i);
    if (byte == 0x22) {
      const close = stringEnd(i, end);
      if (close < 0) return MALFORMED;
      if (expect == KEY || expect == KEY_OR_CLOSE) {
        if (depth <= 2 && hasEscape(i, close)) return MALFORMED;
        if (depth == 1) {
          key1 = isData(i, close);
          if (key1 && dataKeys++ > 0) return MALFORMED;
        } else if (depth == 2 && inData) {
          key2 = isFollowers(i, close);
          if (key2 && followersKeys++ > 0) return MALFORMED;
        } else if (depth == 4 && inArray) {
          uidKey = isUid(i, close);
          if ((flags & ESCAPED_KEY) == 0 && hasEscape(i, close)) flags |= ESCAPED_KEY;
          if (width != 0) currentKey = spanKeyOf(i, close, slots);
        }
        expect = COLON;
      } else {
        if (expect != VALUE && expect != VALUE_OR_CLOSE) return MALFORMED;
        if (inArray && depth == 3) return MALFORMED; // a follower that is not an object
        if (depth == 4 && inArray) {
          if (uidKey) {
            uidStart = i - INPUT;
            uidEnd = close + 1 - INPUT;
          }
          if (currentKey != -1) {
            store<i32>(spanAt + currentKey * 8, i - INPUT - followerStart);
            store<i32>(spanAt + currentKey * 8, close + 1 - INPUT - followerStart, 4);
          }
        }
        expect = depth == 0 ? DONE : COMMA_OR_CLOSE;
      }
      i = close + 1;
      continue;
    }
    if (byte == 0x7b || byte == 0x5b) {
      const isObject = byte == 0x7b;
      if (expect != VALUE && expect != VALUE_OR_CLOSE) return MALFORMED;
      if (inArray && depth == 3 && !isObject) return MALFORMED;
      if (depth == 4 && inArray) {
        if (uidKey) uidStart = -1;
        if (currentKey != -1) store<i32>(spanAt + currentKey * 8, i - INPUT - followerStart);
      }
      if (depth == 1 && isObject) inData = key1;
      if (depth == 2 && !isObject && inData && key2) {
        if (aStart != -1) return MALFORMED;
        inArray = true;
        aStart = i - INPUT;
      }
      if (depth == 3 && inArray) {
        if (count == FOLLOWER_CAP || (count + 1) * width > SPAN_CAP) return TOO_MANY;
        followerStart = i - INPUT;
        uidKey = false;
        uidStart = -1;
        flags = 0;
        currentKey = -1;
        spanAt = SPANS + count * width * 4;
        for (let k = 0; k < width; k++) store<i32>(spanAt + k * 4, -1);
      }
      if (depth == 64) return MALFORMED;
      if (isObject) stack |= (<u64>1) << depth;
      else stack &= ~((<u64>1) << depth);
      depth++;
      expect = isObject ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
      i++;
      continue;
    }
    if (byte == 0x7d || byte == 0x5d) {
      const isObject = byte == 0x7d;
      if (depth == 0) return MALFORMED;
      const top = <i32>((stack >> (<u64>(depth - 1))) & 1);
      if (top != (isObject ? 1 : 0)) return MALFORMED;
      if (expect != COMMA_OR_CLOSE && expect != (isObject ? KEY_OR_CLOSE : VALUE_OR_CLOSE)) return MALFORMED;
      depth--;
      if (depth == 4 && inArray && currentKey != -1) {
        store<i32>(spanAt + currentKey * 8, i + 1 - INPUT - followerStart, 4);
      } else if (depth == 3 && inArray) {
        const record = FOLLOWERS + count * FOLLOWER_WIDTH * 4;
        store<i32>(record, followerStart);
        store<i32>(record, i + 1 - INPUT, 4);
        store<i32>(record, uidStart, 8);
        store<i32>(record, uidEnd, 12);
        store<i32>(record, flags, 16);
        count++;
      } else if (depth == 2 && inArray) {
        inArray = false;
        aEnd = i + 1 - INPUT;
      } else if (depth == 1) {
        inData = false;
      }
      expect = depth == 0 ? DONE : COMMA_OR_CLOSE;
      i++;
      continue;
    }
    if (byte == 0x3a) {
      if (expect != COLON) return MALFORMED;
      expect = VALUE;
      i++;
      continue;
    }
    if (byte == 0x2c) {
      if (expect != COMMA_OR_CLOSE) return MALFORMED;
      expect = <i32>((stack >> (<u64>(depth - 1))) & 1) == 1 ? KEY : VALUE;
      i++;
      continue;
    }
    if (byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d) {
      if (depth >= 4 && inArray) flags |= SPACED;
      i++;
      continue;
    }
    if (expect != VALUE && expect != VALUE_OR_CLOSE) return MALFORMED;
    if (inArray && depth == 3) return MALFORMED;
    let valueEnd: i32;
    if (isDigit(byte) || byte == 0x2d) {
      valueEnd = numberEnd(i);
      if (valueEnd < 0) return MALFORMED;
      if (depth == 4 && inArray && uidKey) {
        uidStart = i - INPUT;
        uidEnd = valueEnd - INPUT;
      }
      if (valueEnd - i > 15 && depth >= 4 && inArray) {
        let digits = 0;
        for (let k = i; k < valueEnd; k++) if (isDigit(<i32>load<u8>(k))) digits++;
        if (digits > 15) flags |= LONG_NUMBER;
      }
    } else {
      // true, false, null: the 0 byte after the page ends a comparison that runs past it.
      if (byte == 0x74 && load<u8>(i + 1) == 0x72 && load<u8>(i + 2) == 0x75 && load<u8>(i + 3) == 0x65) valueEnd = i + 4;
      else if (byte == 0x66 && load<u8>(i + 1) == 0x61 && load<u8>(i + 2) == 0x6c && load<u8>(i + 3) == 0x73 && load<u8>(i + 4) == 0x65) valueEnd = i + 5;
      else if (byte == 0x6e && load<u8>(i + 1) == 0x75 && load<u8>(i + 2) == 0x6c && load<u8>(i + 3) == 0x6c) valueEnd = i + 4;
      else return MALFORMED;
      if (depth == 4 && inArray && uidKey) uidStart = -1;
    }
    if (depth == 4 && inArray && currentKey != -1) {
      store<i32>(spanAt + currentKey * 8, i - INPUT - followerStart);
      store<i32>(spanAt + currentKey * 8, valueEnd - INPUT - followerStart, 4);
    }
    expect = depth == 0 ? DONE : COMMA_OR_CLOSE;
    i = valueEnd;
  }
  if (expect != DONE) return MALFORMED;
  arrayStartAt = aStart;
  arrayEndAt = aEnd;
  return count;
}
