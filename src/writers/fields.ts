/**
 * Columns: which values of a follower a writer puts out, picked by name or dot path
 * (`--fields uid,avatar_larger.url_list.0`), plus two computed columns a spreadsheet user wants.
 */
import { LosslessNumber, isSafeNumber, stringify as stringifyLossless } from 'lossless-json';
import { spanIndexes, spanKeyOf, spanKeys, type SpanKeys } from '../api/page-parser.js';
import type { RawFollower } from '../api/types.js';
import { UsageError } from '../errors.js';

/** What a person looking at followers in a spreadsheet wants, in order. */
export const DEFAULT_CSV_FIELDS = [
  'uid',
  'sec_uid',
  'unique_id',
  'nickname',
  'profile_url',
  'signature',
  'follower_count',
  'following_count',
  'aweme_count',
  'total_favorited',
  'region',
  'language',
  'verification_type',
  'custom_verify',
  'avatar_url',
] as const;

type Follower = Record<string, unknown>;

/** Columns that are not fields of the API's follower object but are derived from it. */
export const COMPUTED_FIELDS: Record<string, { help: string; value: (follower: Follower) => unknown }> = {
  profile_url: {
    help: 'https://www.tiktok.com/@<unique_id>',
    value: (f) => (typeof f.unique_id === 'string' && f.unique_id ? `https://www.tiktok.com/@${f.unique_id}` : ''),
  },
  avatar_url: {
    help: 'the first URL of avatar_larger',
    value: (f) => getPath(f, ['avatar_larger', 'url_list', '0']),
  },
};

/** Parses `--fields a,b.c,d.0`: names or dot paths, comma-separated, no empties, no repeats. */
export function parseFieldList(text: string): string[] {
  const fields = text.split(',').map((field) => field.trim());
  for (const field of fields) {
    if (!field || field.split('.').some((part) => part === '')) {
      throw new UsageError(`--fields: "${text}" has an empty field name; write names or dot paths separated by commas, e.g. uid,nickname,avatar_larger.url_list.0`);
    }
  }
  const repeated = fields.find((field, index) => fields.indexOf(field) !== index);
  if (repeated) throw new UsageError(`--fields: "${repeated}" is listed twice`);
  return fields;
}

export function getPath(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * Decodes a follower for field access, always as JSON.parse reads it: the page parser accepts
 * what JSON.parse accepts, so the writers must read the same object from it, and where a key is
 * repeated (`{"nickname":"a","nickname":"b"}`, at any depth) the last one wins, as in JSON.parse.
 * (lossless-json throws "Duplicate key" there instead: an export must never stop on a follower
 * the parser took.)
 *
 * A follower holding a number longer than a double keeps exactly (page-parser flags it) has each
 * such number swapped for a marker string before JSON.parse and turned back into a
 * LosslessNumber (its exact digits) by the reviver; shorter numbers stay plain numbers.
 */
export function decodeFollower(raw: RawFollower): Follower {
  const text = raw.bytes.toString('utf8');
  if (!raw.hasLongNumbers) return JSON.parse(text) as Follower;
  const numbers: string[] = [];
  // The marker decodes to NUL + a random tag: no string of this follower holds that tag.
  let nonce: string;
  do nonce = Math.random().toString(36).slice(2, 12);
  while (text.includes(nonce));
  const prefix = `\0tkf-${nonce}-`;
  const marked = swapLongNumbers(text, (digits) => `"\\u0000tkf-${nonce}-${numbers.push(digits) - 1}"`);
  const restore = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (!value.startsWith(prefix)) return value;
      const digits = numbers[Number(value.slice(prefix.length))];
      if (digits === undefined) return value;
      return isSafeNumber(digits) ? Number(digits) : new LosslessNumber(digits);
    }
    if (value === null || typeof value !== 'object') return value;
    // A plain walk: JSON.parse's reviver visits the same values several times slower.
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) value[i] = restore(value[i]);
    else {
      for (const key of Object.keys(value)) {
        const old = (value as Record<string, unknown>)[key];
        const restored = restore(old);
        if (restored === old) continue;
        // An own "__proto__" key (JSON.parse makes one) must stay a key, not set the prototype.
        Object.defineProperty(value, key, { value: restored, enumerable: true, writable: true, configurable: true });
      }
    }
    return value;
  };
  return restore(JSON.parse(marked)) as Follower;
}

/**
 * A decoder for the columns `fields` name: it reads only the follower's top-level values those
 * columns start from, where decodeFollower builds the whole ~4.8 KB follower (110 keys, its
 * nested avatars) to read 15 of them. The CSV profile put decodeFollower, the follower's toString
 * and the garbage both leave behind at about a third of a 100k CSV export's CPU.
 *
 * It gives the same values: one pass over the follower's bytes (already checked by the page
 * parser) finds each top-level key and where its value ends; a wanted value is read as JSON.parse
 * reads it (a string without escapes is its UTF-8 text, which is what JSON.parse makes of it;
 * anything else, a number, a literal, a container, an escaped string, is JSON.parse of its text),
 * and a repeated key keeps its last value, as in JSON.parse; in a follower with numbers longer
 * than a double keeps, a value other than a string goes through decodeFollower, its digits exact.
 * Whatever it does not expect (an escaped key, bytes that are not a JSON object) goes to
 * decodeFollower whole, which decides as before.
 */
export function createDecoder(fields: readonly string[]): (raw: RawFollower) => Follower {
  const keys = sourceKeys(fields);
  // The wanted keys as the page parse's own table: most of a follower's 110 keys are rejected by one read.
  const wanted = spanKeys(keys);
  const starts = new Int32Array(keys.length);
  const ends = new Int32Array(keys.length);
  // Where each of these keys is in the parse's span keys (RawFollower.spans), for the last table seen.
  let table: SpanKeys | undefined;
  let inTable: Int32Array | undefined;
  return (raw) => {
    const bytes = raw.bytes;
    const spans = raw.spans;
    if (spans !== undefined && spans.keys !== table) {
      table = spans.keys;
      inTable = spanIndexes(table, keys); // undefined when it did not look for one of them: scan
    }
    if (spans !== undefined && inTable !== undefined) {
      // The page's parse found them already (page-parser.ts SpanKeys).
      const values = spans.values;
      const at = raw.spanAt!;
      for (let k = 0; k < keys.length; k++) {
        starts[k] = values[at + 2 * inTable[k]!]!;
        ends[k] = values[at + 2 * inTable[k]! + 1]!;
      }
    } else {
      starts.fill(-1);
      if (!findValues(bytes, wanted, starts, ends)) return decodeFollower(raw);
    }
    const follower: Follower = {};
    for (let k = 0; k < keys.length; k++) {
      if (starts[k] === -1) continue;
      const start = starts[k]!;
      // In a follower with a number longer than a double keeps, a value that is not a string is
      // read the way decodeFollower reads the whole follower (its long numbers exact); a string
      // holds no number. The value's text starts at a token boundary, so its tokens are the same.
      const value =
        raw.hasLongNumbers && bytes[start] !== QUOTE
          ? decodeFollower({ uid: raw.uid, bytes: bytes.subarray(start, ends[k]!), hasLongNumbers: true })
          : readValue(bytes, start, ends[k]!);
      // An own "__proto__" key (JSON.parse makes one) must stay a key, not set the prototype.
      if (keys[k] === '__proto__') Object.defineProperty(follower, keys[k]!, { value, enumerable: true, writable: true, configurable: true });
      else follower[keys[k]!] = value;
    }
    return follower;
  };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * The index after the string whose opening quote is at `at`, or -1 if it does not end: the next
 * quote not escaped (an odd run of backslashes before it), found by indexOf (memchr), which is
 * faster than a byte loop over the follower's URLs and ids.
 */
function afterString(bytes: Buffer, at: number): number {
  for (let from = at + 1; ; ) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote === -1) return -1;
    let backslashes = 0;
    while (bytes[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if ((backslashes & 1) === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The index after the value starting at `at` (no whitespace before it), or -1. */
function afterValue(bytes: Buffer, at: number): number {
  const length = bytes.length;
  const first = bytes[at];
  if (first === QUOTE) return afterString(bytes, at);
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    for (let i = at; i < length; ) {
      const byte = bytes[i]!;
      if (byte === QUOTE) {
        i = afterString(bytes, i);
        if (i === -1) return -1;
        continue;
      }
      if (byte === 0x7b || byte === 0x5b) depth++;
      else if ((byte === 0x7d || byte === 0x5d) && --depth === 0) return i + 1;
      i++;
    }
    return -1;
  }
  let i = at;
  while (i < length) {
    const byte = bytes[i]!;
    if (byte === 0x2c || byte === 0x7d || byte === 0x5d || isSpace(byte)) break;
    i++;
  }
  return i > at ? i : -1;
}

/**
 * Records in starts/ends where the value of each wanted top-level key is (the last one, if a key
 * is repeated). False when the bytes are not a plain object this pass can read (an escaped key).
 */
function findValues(bytes: Buffer, wanted: SpanKeys, starts: Int32Array, ends: Int32Array): boolean {
  const length = bytes.length;
  let i = 0;
  while (isSpace(bytes[i])) i++;
  if (bytes[i] !== 0x7b) return false;
  i++;
  while (isSpace(bytes[i])) i++;
  if (bytes[i] === 0x7d) return true;
  for (;;) {
    if (bytes[i] !== QUOTE) return false;
    const keyStart = i + 1;
    let keyEnd = keyStart;
    while (keyEnd < length && bytes[keyEnd] !== QUOTE) {
      if (bytes[keyEnd] === BACKSLASH) return false;
      keyEnd++;
    }
    if (keyEnd >= length) return false;
    i = keyEnd + 1;
    while (isSpace(bytes[i])) i++;
    if (bytes[i] !== 0x3a) return false;
    i++;
    while (isSpace(bytes[i])) i++;
    const valueStart = i;
    i = afterValue(bytes, i);
    if (i === -1) return false;
    const k = spanKeyOf(wanted, bytes, keyStart - 1, keyEnd);
    if (k !== -1) {
      starts[k] = valueStart;
      ends[k] = i;
    }
    while (isSpace(bytes[i])) i++;
    if (bytes[i] === 0x2c) {
      i++;
      while (isSpace(bytes[i])) i++;
      continue;
    }
    return bytes[i] === 0x7d;
  }
}

/** The value between start and end, as JSON.parse reads it. */
export function readValue(bytes: Buffer, start: number, end: number): unknown {
  const first = bytes[start];
  if (first === QUOTE) {
    // An escape or a raw control character (which JSON.parse refuses): JSON.parse decides.
    for (let i = start + 1; i < end - 1; i++) {
      const byte = bytes[i]!;
      if (byte === BACKSLASH || byte < 0x20) return JSON.parse(bytes.toString('utf8', start, end));
    }
    return bytes.toString('utf8', start + 1, end - 1);
  }
  return JSON.parse(bytes.toString(first === 0x7b || first === 0x5b ? 'utf8' : 'latin1', start, end));
}

/** More than this many digits may not be exact as a double (page-parser's SAFE_DIGITS). */
const SAFE_DIGITS = 15;

/** The JSON text with each number token of more than SAFE_DIGITS digits replaced (strings left alone). */
function swapLongNumbers(text: string, replace: (digits: string) => string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (token) => {
    if (token.startsWith('"')) return token;
    let digits = 0;
    for (const ch of token) if (ch >= '0' && ch <= '9') digits++;
    return digits > SAFE_DIGITS ? replace(token) : token;
  });
}

/** A compiled list of columns: name and how to read it from a decoded follower. */
export interface Column {
  name: string;
  read: (follower: Follower) => unknown;
}

export function compileFields(fields: readonly string[]): Column[] {
  return fields.map((name) => {
    // Own keys only: a column named "constructor" or "__proto__" is a path, not Object's.
    const computed = Object.hasOwn(COMPUTED_FIELDS, name) ? COMPUTED_FIELDS[name] : undefined;
    if (computed) return { name, read: computed.value };
    const path = name.split('.');
    return { name, read: (follower: Follower) => getPath(follower, path) };
  });
}

/** JSON text of a value that may hold LosslessNumbers, digits kept exact. */
export function toJson(value: unknown, lossless: boolean): string {
  return (lossless ? stringifyLossless(value) : JSON.stringify(value)) ?? 'null';
}

export { LosslessNumber };

/** What a computed column is made from: it has a value when its source does. */
const COMPUTED_SOURCES: Record<string, string> = {
  profile_url: 'unique_id',
  avatar_url: 'avatar_larger.url_list.0',
};

/** The follower's top-level keys these columns are read from (a decoder's, a parse's span keys). */
export function sourceKeys(fields: readonly string[]): string[] {
  return [...new Set(fields.map((field) => sourceOf(field).split('.')[0]!))];
}

/** The path a column reads: a computed column's source, or the column itself. */
function sourceOf(field: string): string {
  return Object.hasOwn(COMPUTED_SOURCES, field) ? COMPUTED_SOURCES[field]! : field;
}

/**
 * The columns of `fields` that none of `followers` has: a name that is not a path of any of
 * them (a computed column counts as present when its source is). A value of null is present:
 * the API sent the key. Used on the first page, before a misspelt column costs a whole export.
 */
export function fieldsMissingFrom(fields: readonly string[], followers: readonly Follower[]): string[] {
  return fields.filter((field) => {
    const path = sourceOf(field).split('.');
    return !followers.some((follower) => getPath(follower, path) !== undefined);
  });
}

/**
 * The export's columns the API gives as numbers (test/history/csv-import.test.ts holds this to the
 * sample answer): a CSV's cells of them are numbers again where a CSV is read back as followers
 * (history import, tkf diff's JSONL rows).
 */
export const CSV_NUMBER_COLUMNS: ReadonlySet<string> = new Set(['follower_count', 'following_count', 'aweme_count', 'total_favorited', 'verification_type']);
