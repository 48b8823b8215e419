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

/**
 * The export's columns the API gives as numbers (test/history/csv-import.test.ts holds this to the
 * sample answer): a CSV's cells of them are made numbers again when it is recorded.
 */
export const CSV_NUMBER_COLUMNS: ReadonlySet<string> = new Set(['follower_count', 'following_count', 'aweme_count', 'total_favorited', 'verification_type']);

/** A follower row for the database from the API's object (a JSONL line, a page of the walk). */
export function followerRow(uid: string, follower: Record<string, unknown>): FollowerRow {
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
      const url = getPath(readValue(bytes, start, end), AVATAR_PATH);
      if (url === undefined) continue;
      out.key(c);
      out.text(JSON.stringify(url));
      continue;
    }
    out.key(c);
    const plain = isPlain(bytes, start, end);
    const text = plain ? undefined : JSON.stringify(readValue(bytes, start, end));
    if (text === undefined) out.bytes(bytes, start, end);
    else out.text(text);
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
    let at = this.length;
    for (let i = start; i < end; i++) out[at++] = from[i]!;
    this.length = at;
  }

  text(text: string): void {
    this.length += this.room(text.length * 3).write(text, this.length);
  }

  end(): string {
    this.room(1)[this.length++] = 0x7d; // }
    return scratch.toString('utf8', 0, this.length);
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
