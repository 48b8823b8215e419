/**
 * [issue 16] The recording thread builds each follower's row (followers.data) from the places the
 * walk's parse found (follower-columns.ts placedRow), copying the bytes of values whose JSON text
 * JSON.stringify would write the same. The row must be the one followerRow makes from the decoded
 * columns, byte for byte, for any follower the parser accepts: escapes, long and odd numbers,
 * a unique_id that is empty, escaped or not a string, avatars of any shape, repeated keys.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compactJson, parsePage, spanKeys } from '../../src/api/page-parser.js';
import type { RawFollower } from '../../src/api/types.js';
import { followerRow, placedRow } from '../../src/history/follower-columns.js';
import { DEFAULT_CSV_FIELDS, createDecoder, sourceKeys } from '../../src/writers/fields.js';

const COLUMN_KEYS = sourceKeys(DEFAULT_CSV_FIELDS);
const decode = createDecoder(DEFAULT_CSV_FIELDS);

/** As the recording thread has them: no lossless numbers (page-recorder.ts). */
const expected = (f: RawFollower) => followerRow(f.uid, decode({ uid: f.uid, bytes: f.bytes, hasLongNumbers: false }) as Record<string, unknown>);
/** placedRow's row, its data (UTF-8 bytes, as the recording thread binds them) read as the text it is stored as. */
const placed = (f: RawFollower) => {
  const row = placedRow({ ...f, hasLongNumbers: false });
  return row && { ...row, data: typeof row.data === 'string' ? row.data : Buffer.from(row.data).toString('utf8') };
};

function page(followers: readonly string[]): Buffer {
  return Buffer.from(`{"code":200,"msg":"ok","data":{"has_more":false,"min_time":-1,"total":1,"followers":[${followers.join(',')}]}}`);
}

/** avatar_larger values of odd shapes (avatar_url is its url_list.0): placedRow reads some as bytes, parses the rest. */
const AVATARS = [
  '{"a":{"url_list":["inner"]},"url_list":["outer"]}',
  '{"url_list":["x"],"b":[{"c":"]}"}]}',
  '{"uri":"a\\"}b","url_list":["q"]}',
  '{"url\\u005flist":["escaped key"]}',
  '{"url_list":["x"],"url\\u005flist":["escaped last"]}',
  '{"url_list":[]}',
  '{"url_list":[1,"a"]}',
  '{"url_list":["\\u0041"]}',
  '{"url_list":[["n"]]}',
  '{"url_lis":["near"],"url_listx":["near"]}',
  '{}',
  '[]',
  '["url_list"]',
  '{"w":720,"h":-1.5e3,"ok":true,"n":null,"url_list":["after numbers"]}',
  '{"url_list":["x"],"url_list":null}',
  '{"url_list":"x","url_list":["y"]}',
  '{"url_list":true}',
  '{"url_list":7}',
  '{"url_list":["x\\\\"]}',
  '{"url_list":["tab\\there"]}',
  '{"uri":"tiktok-obj\\/1","url_list":["https:\\/\\/p16.example\\/a\\/b.webp?x=1&y=%3D","https:\\/\\/second"],"width":720}',
  '{"url_list":["\\/"]}',
  '{"url_list":["a\\/\\u0041"]}',
  '{"url_list":["a\\\\/"]}',
  '{"url_list":["a\\\\\\/"]}',
  '{"a":"}","url_list":["after a brace in a string"]}',
  '{"a":["[",{"b":"]"}],"url_list":["after nesting"]}',
  // Quotes and backslashes past a string's first 16 bytes (found there by a native search).
  '{"uri":"0123456789abcdefghij\\"}],\\"url_list\\":[\\"no","url_list":["long escaped quote"]}',
  '{"uri":"0123456789abcdefghij\\\\","url_list":["after an escaped backslash at the end"]}',
  '{"uri":"0123456789abcdefghij\\\\\\"\\\\","url_list":["three backslashes then a quote"]}',
  '{"uri":"0123456789abcdef\\"x","url_list":["escape across the sixteenth byte"]}',
  '{"uri":"0123456789abcde\\"x","url_list":["escape at the sixteenth byte"]}',
  '{"url_list":["https:\\/\\/p16.example\\/0123456789abcdefghij\\"quoted\\"","b"]}',
  '{"url_list":["https:\\/\\/p16.example\\/0123456789abcdefghij\\\\"]}',
];

/** JSON value texts as an API might write them, odd ones included. */
const valueText = fc.oneof(
  fc.string().map((s) => JSON.stringify(s)),
  fc.string().map((s) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)),
  fc.constantFrom('""', '"-"', '"a\\/b"', '"\\u0041"', '"é 😀"', '"line\\nbreak"', '"\\ud800"'),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom('0', '-0', '1.0', '1e2', '1E21', '-1', '123456789012345', '1234567890123456', '9999999999999999', '-9007199254740993', '7300000000000000114', '1e400', '0.1e1'),
  fc.constantFrom('true', 'false', 'null', '[]', '{}', '[1,2]'),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc
    .record({ uri: fc.string(), url_list: fc.array(fc.oneof(fc.webUrl(), fc.string(), fc.integer()), { maxLength: 3 }) }, { requiredKeys: [] })
    .map((v) => JSON.stringify(v)),
  fc.constantFrom('{"url_list":"abc"}', '{"url_list":["a\\"b"]}', '{"url_list":["x"],"url_list":["y"]}', '{"url_list":[null]}', '{"url_list":{"0":"z"}}'),
  fc.constantFrom(...AVATARS),
);

const member = fc.tuple(fc.constantFrom(...COLUMN_KEYS, 'other', 'avatar_url', 'profile_url'), valueText);

describe('placedRow', () => {
  test('is followerRow of the decoded columns, for any follower the page parser accepts', () => {
    let used = 0;
    fc.assert(
      fc.property(fc.array(fc.array(member, { maxLength: 20 }), { minLength: 1, maxLength: 3 }), (followers) => {
        const texts = followers.map((list, i) => `{"uid":"${7000000000000000000n + BigInt(i)}"${list.map(([key, text]) => `,"${key}":${text}`).join('')}}`);
        let raw: RawFollower[];
        try {
          raw = parsePage(page(texts), spanKeys(COLUMN_KEYS)).followers as RawFollower[];
        } catch {
          fc.pre(false); // a repeated "uid" that is not a user_id
          return;
        }
        for (const follower of raw) {
          const row = placed(follower);
          expect(row).toBeDefined();
          used++;
          expect(row).toStrictEqual(expected(follower));
        }
      }),
      { numRuns: 600 },
    );
    expect(used).toBeGreaterThan(600);
  });

  test('each odd avatar (all valid JSON): the same row, placed', () => {
    for (const avatar of AVATARS) {
      expect(() => JSON.parse(avatar), avatar).not.toThrow();
      const [follower] = parsePage(page([`{"uid":"1","unique_id":"u","avatar_larger":${avatar}}`]), spanKeys(COLUMN_KEYS)).followers!;
      const row = placed(follower!);
      expect(row, avatar).toBeDefined();
      expect(row, avatar).toStrictEqual(expected(follower!));
    }
  });

  test('the sample page (its whitespace taken out, as the API sends it): the same rows, every follower placed', () => {
    const body = compactJson(readFileSync(new URL('../../fixtures/sample-response.json', import.meta.url)));
    const followers = parsePage(body, spanKeys(COLUMN_KEYS)).followers!;
    expect(followers.length).toBeGreaterThan(0);
    for (const follower of followers) expect(placed(follower)).toStrictEqual(expected(follower));
  });

  test('rows built one after another, every one kept until the last is built (1 MB of them): each is its own text', () => {
    // Values of every kind of write (copied bytes, a URL unslashed, a text re-encoded: the escaped
    // nickname), of varied sizes: a row that shared or reused another's buffer (a 256 KiB arena
    // was tried, BENCHMARKS.md) shows here.
    const texts = Array.from({ length: 3000 }, (_, i) => {
      const nickname = JSON.stringify(`n\t${'é'.repeat(i % 97)}${i}`);
      return `{"uid":"${7000000000000000000n + BigInt(i)}","unique_id":"u${i}","nickname":${nickname},"signature":"${'s'.repeat((i * 37) % 400)}","avatar_larger":{"url_list":["https:\\/\\/a.example\\/${i}"]}}`;
    });
    const followers = parsePage(page(texts), spanKeys(COLUMN_KEYS)).followers as RawFollower[];
    const rows = followers.map((follower) => placedRow({ ...follower, hasLongNumbers: false })!);
    const bytes = rows.reduce((n, row) => n + (row.data as Uint8Array).length, 0);
    expect(bytes).toBeGreaterThan(4 * 256 * 1024);
    rows.forEach((row, i) => expect({ ...row, data: Buffer.from(row.data).toString('utf8') }).toStrictEqual(expected(followers[i]!)));
  });

  test('undefined without places, or with places that lack a column (the caller decodes)', () => {
    const text = '{"uid":"1","unique_id":"u","nickname":"n"}';
    const [none] = parsePage(page([text])).followers!;
    expect(placed(none!)).toBeUndefined();
    const [partial] = parsePage(page([text]), spanKeys(['uid', 'nickname'])).followers!;
    expect(placed(partial!)).toBeUndefined();
    const [whole] = parsePage(page([text]), spanKeys(COLUMN_KEYS)).followers!;
    expect(placed(whole!)).toStrictEqual({ uid: '1', uniqueId: 'u', nickname: 'n', data: '{"uid":"1","unique_id":"u","nickname":"n","profile_url":"https://www.tiktok.com/@u"}' });
  });
});
