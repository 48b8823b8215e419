/**
 * fast-check arbitraries for followers whose strings hold what strangers type and broken gateways
 * send (../shared/api/README.md, "Strings can hold anything"), and the JSON bytes an API would
 * send for them. Used by the round-trip properties of the writers and the export reader.
 */
import fc from 'fast-check';
import { Writable } from 'node:stream';
import type { RawFollower } from '../../src/api/types.js';
import { RecordWriter, getFormat, type EncoderOptions } from '../../src/writers/index.js';

/** Pieces strings are built from: each one has broken a CSV or JSONL tool somewhere. */
export const HOSTILE_PIECES = [
  '\r', '\n', '\r\n', '"', '""', ',', '\t', ';',
  '\u2028', '\u2029', '\u0085', '\uFEFF', '\u00a0',
  '\u0000', '\u0001', '\u0008', '\u000b', '\u000c', '\u001b', '\u001f', '\u007f', '\u009f',
  '\ud800', '\udbff', '\udc00', '\udfff', // lone surrogates (sent as JSON escapes)
  '👩‍👩‍👧‍👦', '🏳️‍🌈', '🦊', '\u200d', '\u200b', 'e\u0301',
  '\u200e', '\u200f', '\u202e', '\u061c', 'مرحبا', 'עברית', '成功', '你好，世界',
  "'", '\\', '/', '\\u0000', '=', '+', '-', '@', '＝', '＋', '－', '＠',
  ' ', 'a', 'Z', '0', '9', 'https://x.example/a?b=c',
] as const;

/** What a spreadsheet runs as a formula when a cell starts with it (see src/writers/csv.ts). */
export const FORMULA_STARTS = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'] as const;

const piece = fc.constantFrom(...HOSTILE_PIECES);
const pieces = (maxLength: number) => fc.array(piece, { maxLength }).map((parts) => parts.join(''));

/** A nickname or bio: hostile pieces, arbitrary code units, sometimes very long, sometimes a formula. */
export const hostileText: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: pieces(16) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
      // A very long bio: up to ~50,000 code units.
      { weight: 1, arbitrary: fc.tuple(pieces(6), fc.integer({ min: 100, max: 5000 })).map(([text, times]) => text.repeat(times)) },
    ),
    fc.option(fc.constantFrom(...FORMULA_STARTS), { freq: 3 }),
  )
  .map(([text, start]) => (start ?? '') + text);

/** A follower as JSON.parse (or a lossless reader, for room_id) would read it from the API. */
export interface ModelFollower {
  uid: string;
  unique_id: string;
  nickname: string;
  signature: string;
  follower_count: number;
  /** 19 digits, sent as a JSON number: past what a double holds. */
  room_id?: bigint;
  is_star: boolean;
  region: string | null;
  avatar_larger: { uri: string; url_list: string[] };
}

const uid19 = fc.bigInt({ min: 10n ** 18n, max: 10n ** 19n - 1n }).map(String);

export const modelFollower: fc.Arbitrary<ModelFollower> = fc
  .record({
    uid: uid19,
    unique_id: fc.oneof(fc.constant(''), fc.stringMatching(/^[a-z0-9._]{1,24}$/), hostileText),
    nickname: hostileText,
    signature: hostileText,
    follower_count: fc.integer({ min: -5, max: 2_000_000_000 }),
    room_id: fc.option(fc.bigInt({ min: 10n ** 18n, max: 2n ** 63n - 1n }), { nil: undefined }),
    is_star: fc.boolean(),
    region: fc.option(hostileText, { nil: null }),
    avatar_larger: fc.record({ uri: hostileText, url_list: fc.array(hostileText, { maxLength: 3 }) }),
  })
  .map((follower) => {
    if (follower.room_id === undefined) delete follower.room_id;
    return follower;
  });

/** Followers of one page: distinct uids, as the pager hands them on. */
export const modelPage = fc.uniqueArray(modelFollower, { selector: (follower) => follower.uid, minLength: 1, maxLength: 8 });

/** How the API escapes strings: JSON.stringify's minimum, or every non-ASCII unit as \uXXXX (and \/). */
export type EscapeStyle = 'minimal' | 'ascii';

function asciiString(text: string): string {
  let json = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const ch = text[i]!;
    if (unit < 0x20 || unit > 0x7e || ch === '"' || ch === '\\' || ch === '/') json += `\\u${unit.toString(16).padStart(4, '0')}`;
    else json += ch;
  }
  return `${json}"`;
}

/** The follower's JSON text as the API sends it: valid JSON, bigints written as their digits. */
export function apiJson(value: unknown, style: EscapeStyle): string {
  if (typeof value === 'string') return style === 'ascii' ? asciiString(value) : JSON.stringify(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map((item) => apiJson(item, style)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value).map(([key, item]) => `${apiJson(key, style)}:${apiJson(item, style)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A whole page body around the followers, with whitespace between tokens as a pretty-printer adds. */
export function apiPage(followers: readonly ModelFollower[], style: EscapeStyle): Buffer {
  const list = followers.map((follower) => apiJson(follower, style)).join(',\n\t\t');
  return Buffer.from(`{"code": 200, "msg": "成功", "data": {"has_more": true, "min_time": 1631063752, "status_code": 0, "followers": [\n\t\t${list}]}}`);
}

/** A model as JSON.parse reads it: a 19-digit room_id rounded to a double, as JSON.parse rounds it. */
export function asJsonParseReads(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(asJsonParseReads);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asJsonParseReads(v)]));
  return value;
}

/** Followers through the real encoder of a format, as the bytes a file would hold. */
export async function encode(format: string, followers: RawFollower[], options: EncoderOptions): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const writer = new RecordWriter(destination, getFormat(format).createEncoder(options), { writeHeader: true });
  await writer.writeAll(followers);
  await writer.close();
  return Buffer.concat(chunks);
}
