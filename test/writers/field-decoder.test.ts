/**
 * [issue 20] The writers read a follower's columns through createDecoder, which decodes only the
 * top-level values the columns start from. Whatever it reads must be what decodeFollower (JSON.parse
 * of the whole follower) reads: for any follower the page parser accepts, any column list, the
 * same value in every column, repeated keys included (the last one wins), "__proto__" included.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parsePage, spanKeys } from '../../src/api/page-parser.js';
import type { RawFollower } from '../../src/api/types.js';
import { DEFAULT_CSV_FIELDS, compileFields, createDecoder, decodeFollower, sourceKeys } from '../../src/writers/fields.js';

/** Keys a follower may have: the default columns' sources, odd names, "__proto__", and one of nickname's length and first byte. */
const KEYS = ['uid', 'nickname', 'nicknamx', 'unique_id', 'signature', 'follower_count', 'avatar_larger', 'region', 'a', 'é', '__proto__', 'constructor', '0'];

const value = fc.oneof(
  fc.string(),
  fc.constantFrom('', '=1+1', 'line\nbreak', 'tab\tquote"back\\slash', '\u0000\u001f', 'emoji 😀', '\ud800'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ url_list: fc.array(fc.webUrl(), { maxLength: 3 }), uri: fc.string() }, { requiredKeys: [] }),
  // Integers longer than a double keeps (room_id of a live user), alone and nested.
  fc.bigInt({ min: 10n ** 15n, max: 10n ** 19n }),
  fc.record({ room_id: fc.bigInt({ min: -(10n ** 19n), max: 10n ** 19n }), n: fc.integer() }),
);

/** One follower's members, in order, keys possibly repeated (JSON text allows it). */
const members = fc.array(fc.tuple(fc.constantFrom(...KEYS), value), { maxLength: 14 });

/** JSON text of a follower: compact or spaced, strings escaped as JSON.stringify does or as \uXXXX. */
function followerText(uid: string, list: ReadonlyArray<readonly [string, unknown]>, spaced: boolean, asciiEscapes: boolean): string {
  const json = (v: unknown) => {
    // A BigInt is written as its bare digits (JSON.stringify cannot), through a marker string.
    const marked = JSON.stringify(v, (_key, x: unknown) => (typeof x === 'bigint' ? `\u0000big${x}` : x), spaced ? 1 : undefined) ?? 'null';
    const text = marked.replace(/"\\u0000big(-?\d+)"/g, '$1');
    return asciiEscapes ? text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
  };
  const sep = spaced ? ' ' : '';
  const parts = [`"uid"${sep}:${sep}"${uid}"`, ...list.map(([key, v]) => `${json(key)}${sep}:${sep}${json(v)}`)];
  return `{${sep}${parts.join(`,${sep}`)}${sep}}`;
}

function page(followers: string[]): Buffer {
  return Buffer.from(`{"code":200,"msg":"ok","data":{"status_code":0,"has_more":false,"min_time":-1,"total":1,"followers":[${followers.join(',')}]}}`);
}

const FIELD_CHOICES = [...DEFAULT_CSV_FIELDS, ...KEYS, 'avatar_larger.url_list.0', 'avatar_larger.uri', 'no.such.path', '__proto__.x', 'constructor.name'];

describe('createDecoder', () => {
  test('reads every column as decodeFollower does, for any follower the page parser accepts, from its own scan or from the places the parse found', () => {
    let placed = 0;
    fc.assert(
      fc.property(
        fc.array(members, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        fc.uniqueArray(fc.constantFrom(...FIELD_CHOICES), { minLength: 1 }),
        fc.uniqueArray(fc.constantFrom(...KEYS, 'other', 'avatar_url'), { minLength: 0 }),
        (followers, spaced, asciiEscapes, fields, extraKeys) => {
          const texts = followers.map((list, i) => followerText(String(7000000000000000000n + BigInt(i)), list, spaced, asciiEscapes));
          // The parse places the columns' keys and others (span keys); sometimes it lacks one the columns need.
          const keys = spanKeys([...(extraKeys.length % 3 === 0 ? sourceKeys(fields).slice(1) : sourceKeys(fields)), ...extraKeys]);
          let scanned: RawFollower[];
          let withPlaces: RawFollower[];
          try {
            scanned = parsePage(page(texts)).followers as RawFollower[];
            withPlaces = parsePage(page(texts), keys).followers as RawFollower[];
          } catch {
            fc.pre(false); // a repeated "uid" that is not a user_id: the parser refuses the page
            return;
          }
          const decode = createDecoder(fields);
          const columns = compileFields(fields);
          for (const follower of [...scanned, ...withPlaces]) {
            if (follower.spans) placed++;
            // Whitespace between tokens is taken out of the bytes, so its places would be wrong: none.
            if (spaced) expect(follower.spans).toBeUndefined();
            const fast = decode(follower);
            const whole = decodeFollower(follower);
            for (const column of columns) expect(column.read(fast)).toStrictEqual(column.read(whole));
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(placed).toBeGreaterThan(100); // the places were used, not only the scan
  });

  test('a repeated key keeps its last value; an escaped key is read as JSON.parse reads it', () => {
    const texts = [
      '{"uid":"1","nickname":"first","nickname":"last","avatar_larger":{"url_list":["a"]},"avatar_larger":{"url_list":["b"]}}',
      '{"uid":"2","nick\\u006eame":"escaped","nickname":"plain"}',
      '{"uid":"3","nickname":"plain","nick\\u006eame":"escaped"}',
    ];
    const raw = parsePage(page(texts)).followers as RawFollower[];
    const decode = createDecoder(['nickname', 'avatar_url']);
    expect(decode(raw[0]!)).toEqual({ nickname: 'last', avatar_larger: { url_list: ['b'] } });
    expect(decode(raw[1]!).nickname).toBe('plain');
    expect(decode(raw[2]!).nickname).toBe('escaped');
    // The same through the places the parse found: the last of a repeated key; an escaped key, none.
    const placed = parsePage(page(texts), spanKeys(['nickname', 'avatar_larger'])).followers as RawFollower[];
    expect(placed.map((f) => f.spans !== undefined)).toEqual([true, false, false]);
    const values = placed[0]!.spans!.values;
    expect(placed[0]!.bytes.toString('utf8', values[0], values[1])).toBe('"last"');
    expect(placed[0]!.bytes.toString('utf8', values[2], values[3])).toBe('{"url_list":["b"]}');
    expect(decode(placed[0]!)).toEqual({ nickname: 'last', avatar_larger: { url_list: ['b'] } });
    expect(decode(placed[1]!).nickname).toBe('plain');
    expect(decode(placed[2]!).nickname).toBe('escaped');
  });

  test('a follower with a number longer than a double keeps is decoded whole, its digits exact', () => {
    const raw = parsePage(page(['{"uid":"1","room_id":7300000000000000114,"nickname":"n"}'])).followers as RawFollower[];
    expect(raw[0]!.hasLongNumbers).toBe(true);
    const decoded = createDecoder(['room_id'])(raw[0]!);
    expect(String(decoded.room_id)).toBe('7300000000000000114');
  });
});
