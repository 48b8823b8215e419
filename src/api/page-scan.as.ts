/**
 * AssemblyScript, not TypeScript: compiled to WebAssembly by scripts/build-page-scan.mjs into
 * src/api/page-scan-wasm.ts (the module's bytes, base64), which page-scan.ts loads. tsc does not
 * read this file (tsconfig excludes *.as.ts).
 *
 * The same pass over a page as page-parser.ts's parsePage, byte for byte the same grammar and the
 * same verdicts, without the part that needs JavaScript objects: it finds where each follower of
 * data.followers starts and ends, its uid's value, its flags, and (when asked) where each of its
 * top-level keys and their values are. Whatever this refuses (any negative answer), page-parser.ts
 * parses again in JavaScript, which names the fault; the suite checks both agree on generated and
 * mutated pages. Why WebAssembly: the JavaScript loop costs ~180-350 us a 95 KB page, the largest
 * share of an export's CPU (BENCHMARKS.md); strings here are skipped 16 bytes at a time.
 *
 * Memory (fixed, never grown: growing a module's memory slowed the process's other loops):
 *   INPUT ..       the page, INPUT_CAP bytes at most, then a 0 byte after its last
 *   FOLLOWERS ..   FOLLOWER_WIDTH i32 a follower: start, end, uid start, uid end, flags, keys end
 *   KEYS ..        4 i32 a top-level key of a follower: its quotes, its value's start and end
 * Offsets are into the page (0 = its first byte).
 */

export const INPUT: i32 = 65536;
export const INPUT_CAP: i32 = 1 << 20;
export const FOLLOWERS: i32 = INPUT + INPUT_CAP + 64;
export const FOLLOWER_CAP: i32 = 4096;
export const FOLLOWER_WIDTH: i32 = 6;
export const KEYS: i32 = FOLLOWERS + FOLLOWER_CAP * FOLLOWER_WIDTH * 4;
export const KEY_CAP: i32 = 65536;
/** Bytes of memory the layout needs (the module is built with at least this much). */
export const MEMORY_NEEDED: i32 = KEYS + KEY_CAP * 16;

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

/**
 * Scans the page of `length` bytes at INPUT from `from` (past a BOM). The number of followers, or
 * MALFORMED, or TOO_MANY. `keyed`: also record each follower's top-level keys (KEYS).
 */
export function parse(from: i32, length: i32, keyed: i32): i32 {
  if (length > INPUT_CAP || from > length) return TOO_MANY;
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
  let keyCount = 0;
  let currentKey = -1; // the KEYS entry of the follower's last top-level key (keyed only)
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
          if (keyed) {
            if (keyCount == KEY_CAP) return TOO_MANY;
            const entry = KEYS + keyCount * 16;
            store<i32>(entry, i - INPUT);
            store<i32>(entry, close - INPUT, 4);
            store<i32>(entry, -1, 8);
            store<i32>(entry, -1, 12);
            currentKey = keyCount++;
          }
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
            const entry = KEYS + currentKey * 16;
            store<i32>(entry, i - INPUT, 8);
            store<i32>(entry, close + 1 - INPUT, 12);
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
        if (currentKey != -1) store<i32>(KEYS + currentKey * 16, i - INPUT, 8);
      }
      if (depth == 1 && isObject) inData = key1;
      if (depth == 2 && !isObject && inData && key2) {
        if (aStart != -1) return MALFORMED;
        inArray = true;
        aStart = i - INPUT;
      }
      if (depth == 3 && inArray) {
        if (count == FOLLOWER_CAP) return TOO_MANY;
        followerStart = i - INPUT;
        uidKey = false;
        uidStart = -1;
        flags = 0;
        currentKey = -1;
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
        store<i32>(KEYS + currentKey * 16, i + 1 - INPUT, 12);
      } else if (depth == 3 && inArray) {
        const record = FOLLOWERS + count * FOLLOWER_WIDTH * 4;
        store<i32>(record, followerStart);
        store<i32>(record, i + 1 - INPUT, 4);
        store<i32>(record, uidStart, 8);
        store<i32>(record, uidEnd, 12);
        store<i32>(record, flags, 16);
        store<i32>(record, keyCount, 20);
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
      const entry = KEYS + currentKey * 16;
      store<i32>(entry, i - INPUT, 8);
      store<i32>(entry, valueEnd - INPUT, 12);
    }
    expect = depth == 0 ? DONE : COMMA_OR_CLOSE;
    i = valueEnd;
  }
  if (expect != DONE) return MALFORMED;
  arrayStartAt = aStart;
  arrayEndAt = aEnd;
  return count;
}
