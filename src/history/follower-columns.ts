/**
 * What the history database keeps of a follower (followers.data, schema version 2): the export's
 * columns (src/writers/fields.ts DEFAULT_CSV_FIELDS, the 15 a CSV export writes, computed ones
 * included) as a JSON object, not the API's whole ~4.7 KB object. A tenth of the bytes through
 * SQLite and its WAL, which is most of what recording a snapshot cost (issue 16 point 8,
 * BENCHMARKS.md); `tkf history changes` writes these columns.
 */
import { spanIndexes } from '../api/page-parser.js';
import type { RawFollower, SpanKeys } from '../api/types.js';
import { COMPUTED_FIELDS, DEFAULT_CSV_FIELDS, getPath, readValue, sourceKeys } from '../writers/fields.js';
import type { FollowerRow } from './record-snapshot.js';

/** The export's columns of one API follower object, as followers.data holds them (absent fields left out). */
export function exportColumns(follower: Record<string, unknown>): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  for (const field of DEFAULT_CSV_FIELDS) {
    const computed = COMPUTED_FIELDS[field];
    const value = computed ? computed.value(follower) : getPath(follower, field.split('.'));
    if (value !== undefined) columns[field] = value;
  }
  return columns;
}

export { CSV_NUMBER_COLUMNS } from '../writers/fields.js';

/** A follower row for the database from the API's object (a JSONL line, a page of the walk). */
export function followerRow(uid: string, follower: Record<string, unknown>): FollowerRow & { data: string } {
  return {
    uid,
    uniqueId: typeof follower.unique_id === 'string' ? follower.unique_id : null,
    nickname: typeof follower.nickname === 'string' ? follower.nickname : null,
    data: JSON.stringify(exportColumns(follower)),
  };
}

/**
 * A row recorded by schema version 1 kept the API's whole object; version 2 keeps its columns.
 * The API's object is told by `avatar_larger`, which every follower object has and no CSV export
 * writes by default (a CSV's row, already columns, is kept as it is).
 */
export function isApiObject(data: Record<string, unknown>): boolean {
  return 'avatar_larger' in data && !('avatar_url' in data);
}

/**
 * followerRow(uid, the decoder's columns), built from the places the walk's parse found
 * (RawFollower.spans) without making an object of the follower: a value whose JSON text is what
 * JSON.stringify would write of it (a string without escapes, an integer of up to 15 digits, a
 * literal) is copied as bytes; any other is JSON.parse'd and JSON.stringify'd, as before.
 * Undefined when the follower has no places for these columns (the caller decodes it). The
 * recording thread made an object and a JSON text of each follower, ~6 us each. profile_url and
 * avatar_url follow writers/fields.ts COMPUTED_FIELDS; test/history/placed-row.test.ts holds the
 * whole row to followerRow's, byte for byte, so a change to either shows there.
 */
export function placedRow(raw: RawFollower): FollowerRow | undefined {
  const spans = raw.spans;
  if (spans === undefined) return undefined;
  if (spans.keys !== placedTable) usePlacedTable(spans.keys);
  if (placedIndex === undefined) return undefined;
  const bytes = raw.bytes;
  const values = spans.values;
  const at = raw.spanAt!;
  const out = new Output();
  let uniqueId: string | null = null;
  let nickname: string | null = null;
  for (let c = 0; c < PLACED_COLUMNS.length; c++) {
    const column = PLACED_COLUMNS[c]!;
    const k = placedIndex[c]!;
    const start = values[at + 2 * k]!;
    const end = values[at + 2 * k + 1]!;
    if (column === 'profile_url') {
      // https://www.tiktok.com/@<unique_id> when unique_id is a string other than "", else "".
      if (start !== -1 && bytes[start] === QUOTE && end - start > 2 && isPlain(bytes, start, end)) {
        out.key(c);
        out.bytes(PROFILE_START, 0, PROFILE_START.length);
        out.bytes(bytes, start + 1, end);
        continue;
      }
      const id = start === -1 ? undefined : readValue(bytes, start, end);
      out.key(c);
      out.text(typeof id === 'string' && id ? JSON.stringify(`https://www.tiktok.com/@${id}`) : '""');
      continue;
    }
    if (start === -1) continue;
    if (column === 'avatar_url') {
      // The first URL's bytes, found without making an object of avatar_larger (~300 bytes a
      // follower: JSON.parse of it was a third of this function's time); else as JSON.parse reads it.
      const found = firstUrlAt(bytes, start, end);
      if (found === NO_URL) continue;
      if (found >= 0) {
        // Copied as JSON.stringify writes it unless it has another escape than `\/` or a control
        // character: then what was written of it is taken back, and it is parsed.
        const mark = out.mark();
        out.key(c);
        if (out.unslashed(bytes, found, urlEnd)) continue;
        out.back(mark);
      }
      const url = getPath(readValue(bytes, start, end), AVATAR_PATH);
      if (url === undefined) continue;
      out.key(c);
      out.text(JSON.stringify(url));
      continue;
    }
    out.key(c);
    // A string is checked as it is copied (one pass), and taken back when it is not plain.
    const mark = out.mark();
    let text: string | undefined;
    if (bytes[start] === QUOTE ? !out.plainString(bytes, start, end) : !isPlain(bytes, start, end)) {
      out.back(mark);
      text = JSON.stringify(readValue(bytes, start, end));
      out.text(text);
    } else if (bytes[start] !== QUOTE) out.bytes(bytes, start, end);
    if (column === 'unique_id' || column === 'nickname') {
      const value = bytes[start] !== QUOTE ? null : text === undefined ? bytes.toString('utf8', start + 1, end - 1) : (JSON.parse(text) as string);
      if (column === 'unique_id') uniqueId = value;
      else nickname = value;
    }
  }
  return { uid: raw.uid, uniqueId, nickname, data: out.end() };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const PLACED_COLUMNS: readonly string[] = DEFAULT_CSV_FIELDS;
/** The key each column is read from (profile_url: unique_id; avatar_url: avatar_larger): all that placedRow reads of a follower. */
const PLACED_SOURCES = PLACED_COLUMNS.map((column) => sourceKeys([column])[0]!);
const AVATAR_PATH = ['url_list', '0'];
/** `{"column":` and `,"column":` of each column. */
const KEY_PREFIX = PLACED_COLUMNS.map((column) => [Buffer.from(`{${JSON.stringify(column)}:`), Buffer.from(`,${JSON.stringify(column)}:`)] as const);
const PROFILE_START = Buffer.from('"https://www.tiktok.com/@');
/** The last table of span keys placedRow read by: each column's key index in it, and the indexes it reads, each once. */
let placedTable: SpanKeys | undefined;
let placedIndex: Int32Array | undefined;
let placedRead: Int32Array | undefined;

function usePlacedTable(table: SpanKeys): void {
  placedTable = table;
  placedIndex = spanIndexes(table, PLACED_SOURCES);
  placedRead = placedIndex && Int32Array.from(new Set(placedIndex));
}

/**
 * The indexes, in a table of span keys, of the keys whose values placedRow reads, each once:
 * all of a follower that the recording thread needs (export-recorder.ts RowsChunk sends only
 * those). Undefined when the table lacks one of them (placedRow then returns undefined).
 */
export function placedKeys(table: SpanKeys): Int32Array | undefined {
  if (table !== placedTable) usePlacedTable(table);
  return placedRead;
}
/** One buffer the JSON texts are built in, grown when a follower needs more. */
let scratch = Buffer.allocUnsafe(16 * 1024);

/** A JSON object's text built in `scratch`, byte by byte (a follower's values are short). */
class Output {
  private length = 0;

  key(column: number): void {
    const prefix = KEY_PREFIX[column]![this.length === 0 ? 0 : 1];
    this.bytes(prefix, 0, prefix.length);
  }

  bytes(from: Buffer, start: number, end: number): void {
    const out = this.room(end - start);
    // A native copy costs a call; a short value is copied faster byte by byte.
    if (end - start > 32) {
      this.length += from.copy(out, this.length, start, end);
      return;
    }
    let at = this.length;
    for (let i = start; i < end; i++) out[at++] = from[i]!;
    this.length = at;
  }

  /**
   * A JSON string's bytes (quotes included, firstUrlAt), each `\/` written as `/`, as
   * JSON.stringify writes the string: the API escapes a URL's slashes, JSON.stringify does not.
   * False, with part of it written (back), when it has another escape or a control character.
   */
  unslashed(from: Buffer, start: number, end: number): boolean {
    const out = this.room(end - start);
    let at = this.length;
    for (let i = start; i < end; i++) {
      const byte = from[i]!;
      if (byte === BACKSLASH) {
        if (from[i + 1] !== SLASH) return false;
        continue;
      }
      if (byte < 0x20) return false;
      out[at++] = byte;
    }
    this.length = at;
    return true;
  }

  /**
   * A JSON string's bytes (quotes included) when isPlain would say so (no backslash, no control
   * character): what JSON.stringify writes of it. False, with part of it written (back), else.
   */
  plainString(from: Buffer, start: number, end: number): boolean {
    const out = this.room(end - start);
    let at = this.length;
    out[at++] = QUOTE;
    for (let i = start + 1; i < end - 1; i++) {
      const byte = from[i]!;
      if (byte === BACKSLASH || byte < 0x20) return false;
      out[at++] = byte;
    }
    out[at++] = QUOTE;
    this.length = at;
    return true;
  }

  /** Where the text ends now, for back. */
  mark(): number {
    return this.length;
  }

  /** Takes back what was written since mark. */
  back(mark: number): void {
    this.length = mark;
  }

  text(text: string): void {
    this.length += this.room(text.length * 3).write(text, this.length);
  }

  /**
   * The text's UTF-8 bytes, copied out of scratch (off V8's heap: Node's pool). Not a string: the
   * recording thread binds them as they are (storeFollowers), where a string was made of them here
   * (decoding ~57 MB a 100k export, all of it garbage a moment later) and encoded back to UTF-8 by
   * libsql's binding.
   */
  end(): Buffer {
    this.room(1)[this.length++] = 0x7d; // }
    return Buffer.from(scratch.subarray(0, this.length));
  }

  /** scratch, with room for `bytes` more. */
  private room(bytes: number): Buffer {
    if (scratch.length - this.length < bytes) {
      const grown = Buffer.allocUnsafe(2 * (this.length + bytes));
      scratch.copy(grown, 0, 0, this.length);
      scratch = grown;
    }
    return scratch;
  }
}

/** firstUrlAt: avatar_larger has no first URL (avatar_url is left out). */
const NO_URL = -1;
/** firstUrlAt: JSON.parse decides (an escaped key, a URL that is not a plain string, another shape). */
const PARSE_IT = -2;
const URL_LIST = Buffer.from('url_list');
/** Where the URL firstUrlAt found ends (one past its closing quote). */
let urlEnd = 0;

/**
 * In avatar_larger's value (valid JSON: the walk's parse took it), where `url_list.0` is when it
 * is a string: its opening quote's index, and its end in urlEnd (Output.unslashed copies it, or
 * says it must be parsed). NO_URL when getPath would find nothing there: no top-level url_list, or one (the last,
 * as JSON.parse keeps) that is null, a number, a boolean, a string or an empty array. PARSE_IT for the rest: a value that is not an object, a top-level key with an
 * escape (it may spell url_list), a url_list that is an object, a first element that is not a
 * plain string. test/history/placed-row.test.ts holds the row to followerRow's for these shapes.
 */
function firstUrlAt(bytes: Buffer, start: number, end: number): number {
  if (bytes[start] !== 0x7b) return PARSE_IT;
  let list = -1;
  // Whitespace is met only where the walk's parse placed nothing (RawFollower.spans): PARSE_IT.
  let i = start + 1;
  if (bytes[i] === 0x7d) return NO_URL;
  for (;;) {
    if (bytes[i] !== QUOTE) return PARSE_IT;
    const keyEnd = stringEnd(bytes, i, end);
    if (keyEnd < 0) return PARSE_IT;
    for (let k = i + 1; k < keyEnd - 1; k++) if (bytes[k] === BACKSLASH) return PARSE_IT;
    const isList = keyEnd - i === 10 && bytes.compare(URL_LIST, 0, 8, i + 1, keyEnd - 1) === 0;
    if (bytes[keyEnd] !== 0x3a) return PARSE_IT;
    i = keyEnd + 1;
    if (isList) list = i;
    i = valueEnd(bytes, i, end);
    if (i < 0) return PARSE_IT;
    if (bytes[i] === 0x2c) {
      i++;
      continue;
    }
    if (bytes[i] === 0x7d) break;
    return PARSE_IT;
  }
  if (list === -1) return NO_URL;
  const first = bytes[list];
  if (first === 0x7b) return PARSE_IT; // {"0": ...}: getPath reads it
  if (first !== 0x5b) return NO_URL; // null, a number, true/false, a string: nothing at "0"
  const at = list + 1;
  if (bytes[at] === 0x5d) return NO_URL;
  if (bytes[at] !== QUOTE) return PARSE_IT;
  const close = stringEnd(bytes, at, end);
  if (close < 0) return PARSE_IT;
  urlEnd = close;
  return at;
}

/**
 * One past the closing quote of the string opening at `open`, or -1. The quote is found by
 * Buffer.indexOf (native) past the first few bytes: the URLs in avatar_larger (~180 bytes each)
 * were a quarter of the recording thread's row building, byte by byte. A quote is the closing one
 * when an even number of backslashes stands before it.
 */
function stringEnd(bytes: Buffer, open: number, end: number): number {
  const near = Math.min(open + 17, end);
  for (let i = open + 1; i < near; i++) {
    const byte = bytes[i];
    if (byte === BACKSLASH) i++;
    else if (byte === QUOTE) return i + 1;
  }
  // From `near` on, whatever the loop above stepped over: escapedAt tells each quote found.
  let from = near;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote < 0 || quote >= end) return -1;
    if (!escapedAt(bytes, open, quote)) return quote + 1;
    from = quote + 1;
  }
}

/** Whether the byte at `at`, inside the string opening at `open`, is escaped: an odd number of backslashes just before it. */
function escapedAt(bytes: Buffer, open: number, at: number): boolean {
  let b = at - 1;
  while (b > open && bytes[b] === BACKSLASH) b--;
  return (at - 1 - b) % 2 === 1;
}

/** One past the JSON value starting at `i` (valid JSON), or -1. */
function valueEnd(bytes: Buffer, i: number, end: number): number {
  const first = bytes[i];
  if (first === QUOTE) return stringEnd(bytes, i, end);
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    while (i < end) {
      const byte = bytes[i]!;
      if (byte === QUOTE) {
        i = stringEnd(bytes, i, end);
        if (i < 0) return -1;
        continue;
      }
      if (byte === 0x7b || byte === 0x5b) depth++;
      else if (byte === 0x7d || byte === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  // A number or a literal: up to the next comma or closing bracket.
  while (i < end) {
    const byte = bytes[i]!;
    if (byte === 0x2c || byte === 0x7d || byte === 0x5d) break;
    i++;
  }
  return i;
}

/**
 * Whether JSON.stringify(JSON.parse(text)) is the text itself: a string without a backslash (the
 * parse refused raw control characters, and the bytes are UTF-8), an integer of 1 to 15 digits
 * without a leading zero (and not -0), true, false or null.
 */
function isPlain(bytes: Buffer, start: number, end: number): boolean {
  const first = bytes[start]!;
  if (first === QUOTE) {
    for (let i = start + 1; i < end - 1; i++) if (bytes[i] === BACKSLASH || bytes[i]! < 0x20) return false;
    return true;
  }
  if (first === 0x74 || first === 0x66 || first === 0x6e) return true; // true, false, null
  let i = first === 0x2d ? start + 1 : start;
  if (end - i < 1 || end - i > 15) return false;
  if (bytes[i] === 0x30) return end - i === 1 && i === start; // 0, but not -0 or 012
  for (; i < end; i++) if (bytes[i]! < 0x30 || bytes[i]! > 0x39) return false;
  return true;
}
