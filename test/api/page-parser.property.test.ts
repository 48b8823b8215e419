/**
 * parsePage against JSON.parse, the independent strict reader, on generated pages and on pages
 * mutated byte by byte (a broken gateway): whatever parsePage accepts, JSON.parse accepts too and
 * reads the same followers from it, so no JSONL line tkf writes fails a strict JSON parser and no
 * follower is written differently from what JSON.parse reads from the page.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isSafeNumber, parse as parseLossless, LosslessNumber } from 'lossless-json';
import { describe, expect, test } from 'vitest';
import { compactJson, MalformedBodyError, parsePage, parsePageInJavaScript, parsePageScanned, spanKeys } from '../../src/api/page-parser.js';
import type { FollowersPage } from '../../src/api/types.js';

/** Characters that break naive readers and writers (issue 8's hostile alphabet). */
const HOSTILE = ['\r', '\n', '\r\n', '"', ',', '\t', '\u2028', '\u2029', '\u0085', '\ufeff', '\u0000', '\u0001', '\u001f', '\\', '/',
  '\ud800', '\udfff', '👩‍👩‍👧‍👦', '🇧🇷', '\u200f', '\u202e', 'محمد', '成功', '=', '+', '-', '@', '＝', ' ', 'a', '0'];
const hostileString = fc.array(fc.constantFrom(...HOSTILE), { maxLength: 12 }).map((parts) => parts.join(''));

/** A JSON string literal: JSON.stringify's, with some characters written as \\uXXXX or \\/ as vendors do. */
const stringLiteral = fc.tuple(hostileString, fc.boolean()).map(([text, escapeMore]) => {
  let literal = JSON.stringify(text);
  if (escapeMore) literal = literal.replace(/[/é成]/g, (ch) => (ch === '/' ? '\\/' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return literal;
});
const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[1-9][0-9]{${min - 1},${max - 1}}$`));
const numberLiteral = fc.oneof(
  fc.integer({ min: -1000, max: 10_000_000 }).map(String),
  digits(19, 19), // a room_id beyond 2^53: must keep its exact digits
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
);
const ws = fc.constantFrom('', '', '', ' ', '\n', '\t', '\r\n  ');

const value: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    stringLiteral,
    numberLiteral,
    fc.constantFrom('true', 'false', 'null'),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
    fc.array(fc.tuple(stringLiteral, tie('value')), { maxLength: 3 }).map((pairs) => `{${pairs.map(([k, v]) => `${k}:${v}`).join(',')}}`),
  ),
})).value;

const follower = fc
  .tuple(fc.oneof(digits(19, 19).map((d) => `"${d}"`), digits(1, 15)), fc.array(fc.tuple(stringLiteral, value), { maxLength: 5 }), fc.nat(5), ws)
  .map(([uid, fields, at, space]) => {
    const pairs = fields.filter(([key]) => JSON.parse(key) !== 'uid').map(([k, v]) => `${k}${space}:${space}${v}`);
    pairs.splice(Math.min(at, pairs.length), 0, `"uid":${space}${uid}`);
    return `{${space}${pairs.join(`,${space}`)}${space}}`;
  });

const page = fc.tuple(fc.array(follower, { maxLength: 6 }), ws, fc.constantFrom('true', 'false', '1', '"1"'), fc.integer({ min: -1, max: 2_000_000_000 })).map(
  ([followers, space, hasMore, minTime]) =>
    Buffer.from(
      `{${space}"code":${space}200,"msg":"成功","data":{"has_more":${hasMore},"min_time":${minTime},"status_code":0,` +
        `"extra":{"now":1631063752000},"followers":[${space}${followers.join(`,${space}`)}${space}]}${space}}`,
    ),
);

/** Exact reading: numbers beyond what a double holds stay their digits. */
const exact = (text: string) => parseLossless(text, null, (digitsText) => (isSafeNumber(digitsText) ? Number(digitsText) : new LosslessNumber(digitsText)));

/**
 * The reader to compare with: exact, unless the page repeats a key inside an object, which
 * lossless-json refuses and JSON.parse reads as its last value (the bytes tkf writes keep both,
 * so a JSON.parse of the line reads the same last value).
 */
function readerFor(text: string): (text: string) => unknown {
  try {
    exact(text);
    return exact;
  } catch (error) {
    if (/Duplicate key/.test(String(error))) return JSON.parse;
    throw error;
  }
}

/** parsePage accepted `body`: JSON.parse must accept it and read the same followers. */
function agreesWithJsonParse(body: Buffer, parsed: FollowersPage): void {
  const text = body.toString('utf8');
  const strict = JSON.parse(text) as { data?: { followers?: unknown[] } }; // throws if not strict JSON
  const read = readerFor(text);
  const expected = (read(text) as { data?: { followers?: unknown[] } }).data?.followers;
  if (parsed.followers === undefined) {
    expect(Array.isArray(strict.data?.followers)).toBe(false);
    return;
  }
  expect(parsed.followers.length).toBe(expected!.length);
  parsed.followers.forEach((follower, index) => {
    const line = follower.bytes.toString('utf8');
    expect(line).not.toMatch(/[\n\r]/); // one JSONL line
    JSON.parse(line); // strict
    expect(read(line)).toEqual(expected![index]);
    const uid = (expected![index] as { uid: unknown }).uid;
    expect(follower.uid).toBe(uid instanceof LosslessNumber ? uid.value : String(uid));
  });
}

const runs = { numRuns: 300 };

/** Bytes a broken gateway may insert, delete or put in place of another. */
const MUTATION_BYTES = [0x00, 0x0a, 0x0d, 0x1f, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x78, 0x75, 0x30, 0x2d, 0x2e, 0x65, 0xff, 0xc3, 0x80, 0x20, 0x74, 0x6e, 0x66];
const mutations = fc.array(fc.tuple(fc.constantFrom('insert', 'delete', 'replace'), fc.nat(), fc.constantFrom(...MUTATION_BYTES)), { minLength: 1, maxLength: 3 });

function mutate(original: Buffer, changes: Array<[string, number, number]>): Buffer {
  let body = Buffer.from(original);
  for (const [kind, position, byte] of changes) {
    const at = position % (body.length + 1);
    if (kind === 'insert') body = Buffer.concat([body.subarray(0, at), Buffer.from([byte]), body.subarray(at)]);
    else if (kind === 'delete' && at < body.length) body = Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
    else if (at < body.length) body[at] = byte;
  }
  return body;
}

describe('parsePage agrees with JSON.parse', () => {
  test('on generated valid pages: accepted, with the same followers, uids as exact text', () => {
    fc.assert(
      fc.property(page, (body) => {
        agreesWithJsonParse(body, parsePage(body));
      }),
      runs,
    );
  });

  test('on mutated pages: whatever parsePage accepts, JSON.parse accepts and reads the same followers', () => {
    fc.assert(
      fc.property(page, mutations, (original, changes) => {
        const body = mutate(original, changes);
        let parsed: FollowersPage;
        try {
          parsed = parsePage(body);
        } catch (error) {
          // Refusing is always allowed, but only as a malformed page (retried, then exit 6).
          expect(error).toBeInstanceOf(MalformedBodyError);
          return;
        }
        agreesWithJsonParse(body, parsed);
      }),
      { numRuns: 3000 },
    );
  });

  test.each([
    ['a raw line feed in a nickname', '{"uid":"1","nickname":"a\nb"}'],
    ['a raw tab', '{"uid":"1","nickname":"a\tb"}'],
    ['an escape JSON does not have', '{"uid":"1","nickname":"\\x41"}'],
    ['a \\u escape with a non-hex digit', '{"uid":"1","nickname":"\\u12G4"}'],
    ['a follower with no uid', '{"nickname":"a"}'],
    ['a uid of null', '{"uid":null}'],
    ['an empty uid', '{"uid":""}'],
    ['a uid that is not digits', '{"uid":"abc"}'],
  ])('%s is a malformed page, never a written line', (_name, follower) => {
    const body = Buffer.from(`{"code":200,"data":{"has_more":true,"min_time":5,"followers":[{"uid":"2"},${follower}]}}`);
    expect(() => parsePage(body)).toThrow(MalformedBodyError);
  });

  test.each([
    ['bytes that are not UTF-8', Buffer.from([...Buffer.from('{"code":200,"data":{"followers":[{"uid":"1","n":"'), 0xff, ...Buffer.from('"}]}}')])],
    ['a repeated data key', Buffer.from('{"code":200,"data":{"followers":[{"uid":"1"}]},"data":{"x":1}}')],
    ['a repeated followers key', Buffer.from('{"code":200,"data":{"followers":[{"uid":"1"}],"followers":[]}}')],
    ['an escaped envelope key', Buffer.from('{"code":200,"\\u0064ata":{"followers":[{"uid":"1"}]}}')],
  ])('%s is a malformed page', (_name, body) => {
    expect(() => parsePage(body)).toThrow(MalformedBodyError);
  });

  test('an escaped "uid" key is still the uid, as JSON.parse reads it', () => {
    const body = Buffer.from('{"code":200,"data":{"has_more":false,"followers":[{"uid":"1","\\u0075id":"7005153156116071425"}]}}');
    expect(parsePage(body).followers!.map((f) => f.uid)).toEqual(['7005153156116071425']);
  });
});

/**
 * parsePage scans a page in WebAssembly first (page-scan.as.ts) and parses it again in JavaScript
 * only when the scan refuses it. The two must give the same verdict on every page (a page the
 * scan accepted and the JavaScript parse refuses would be written unchecked) and the same
 * followers, flags and value places.
 */
describe('the WebAssembly scan agrees with the JavaScript parse', () => {
  // Keys the generated followers hold now and then ("a", "0", ""...), two of one length and first
  // byte (a shared slot), one with a character of three bytes, and the uid.
  const keys = spanKeys(['uid', 'a', 'aa', 'ab', '0', '', 'a0', '成功', '=', 'nickname']);

  /** What a page holds, in plain values: followers' text, uid, flags and value places. */
  function plain(parsed: FollowersPage) {
    return {
      ...parsed,
      followers: parsed.followers?.map((follower) => ({
        uid: follower.uid,
        text: follower.bytes.toString('latin1'),
        hasLongNumbers: follower.hasLongNumbers,
        places: follower.spans ? [...Array.prototype.slice.call(follower.spans.values, follower.spanAt!, follower.spanAt! + follower.spans.keys.keys.length * 2)] : undefined,
      })),
    };
  }

  /** The JavaScript parse's page, or "refused". */
  function inJavaScript(body: Buffer, withKeys: boolean) {
    try {
      return plain(parsePageInJavaScript(body, withKeys ? keys : undefined));
    } catch (error) {
      expect(error).toBeInstanceOf(MalformedBodyError);
      return 'refused';
    }
  }

  function scanned(body: Buffer, withKeys: boolean) {
    let parsed: FollowersPage | undefined;
    try {
      parsed = parsePageScanned(body, withKeys ? keys : undefined);
    } catch (error) {
      // Past the scan: a bad uid or envelope is refused by the same JavaScript code either way.
      expect(error).toBeInstanceOf(MalformedBodyError);
      return 'refused';
    }
    return parsed === undefined ? 'refused' : plain(parsed);
  }

  test('on generated pages, with and without value places', () => {
    fc.assert(
      fc.property(page, fc.boolean(), (body, withKeys) => {
        const expected = inJavaScript(body, withKeys);
        expect(expected).not.toBe('refused');
        expect(scanned(body, withKeys)).toEqual(expected);
      }),
      runs,
    );
  });

  test('on mutated pages: the same verdict, and the same followers where both accept', () => {
    let refused = 0;
    fc.assert(
      fc.property(page, mutations, fc.boolean(), (original, changes, withKeys) => {
        const body = mutate(original, changes);
        const expected = inJavaScript(body, withKeys);
        if (expected === 'refused') refused++;
        expect(scanned(body, withKeys)).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
    // The mutations reach both verdicts (a comparison of refusals alone would prove little).
    expect(refused).toBeGreaterThan(300);
    expect(refused).toBeLessThan(2700);
  });

  test.each([
    ['a page cut inside a string', '{"code":200,"data":{"followers":[{"uid":"1","n":"ab'],
    ['a page cut after a backslash', '{"code":200,"data":{"followers":[{"uid":"1","n":"ab\\'],
    ['a page cut inside a \\u escape', '{"code":200,"data":{"followers":[{"uid":"1","n":"\\u00'],
    ['a page cut inside a literal', '{"code":200,"data":{"has_more":tr'],
    ['a page cut inside a number', '{"code":200,"data":{"min_time":12'],
    ['a raw line feed in a long string', `{"code":200,"data":{"followers":[{"uid":"1","n":"${'x'.repeat(40)}\n${'y'.repeat(40)}"}]}}`],
    ['a raw 0x1f in a long string', `{"code":200,"data":{"followers":[{"uid":"1","n":"${'x'.repeat(33)}\u001f"}]}}`.replace('\\u001f', String.fromCharCode(0x1f))],
    ['nesting 65 deep', `{"code":200,"data":{"followers":[{"uid":"1","n":${'['.repeat(61)}${']'.repeat(61)}}]}}`],
    ['a mismatched bracket', '{"code":200,"data":{"followers":[{"uid":"1"]]}}'],
  ])('%s: both refuse', (_name, text) => {
    const body = Buffer.from(text);
    expect(inJavaScript(body, false)).toBe('refused');
    expect(scanned(body, false)).toBe('refused');
    expect(scanned(body, true)).toBe('refused');
  });

  test('keys of one length and first byte (a shared slot), an empty key and a key of three-byte characters: the same places', () => {
    const followers = [
      '{"uid":"1","ab":"x","aa":[1,2],"a0":{"aa":3},"":null,"成功":true,"a":-1.5e3}',
      '{"a0":"y","uid":"2","ab":{"ab":"z"},"ab":7,"aa":"\\u0041","":""}',
      '{"uid":3,"zz":1,"aaa":2,"ac":3}',
    ];
    const body = Buffer.from(`{"code":200,"data":{"has_more":false,"followers":[${followers.join(',')}]}}`);
    const expected = inJavaScript(body, true);
    expect(expected).not.toBe('refused');
    const places = (expected as Exclude<typeof expected, string>).followers!.map((f) => f.places);
    // Each of the shared slot's keys found where it is: "ab", "aa" and "a0" in the first follower.
    const first = places[0]!;
    for (const k of [2, 3, 6]) expect([first[2 * k], first[2 * k + 1]].every((place) => place! > 0)).toBe(true);
    expect(scanned(body, true)).toEqual(expected);
  });

  test("keys too long for the scan's table: the page is read by the JavaScript parse, with the same places", () => {
    const long = 'k'.repeat(300); // 256 slots a length: 77 KB, more than the scan's table holds
    const longKeys = spanKeys(['uid', long, 'a']);
    const body = Buffer.from(`{"code":200,"data":{"has_more":false,"followers":[{"uid":"1","${long}":"v","a":2},{"uid":"2","a":3}]}}`);
    expect(parsePageScanned(body, longKeys)).toBeUndefined();
    const parsed = parsePage(body, longKeys);
    expect(plain(parsed)).toEqual(plain(parsePageInJavaScript(body, longKeys)));
    expect(plain(parsed).followers![0]!.places!.slice(2, 4)).toEqual([`{"uid":"1","${long}":`.length, `{"uid":"1","${long}":"v"`.length]);
  });

  test('nesting 64 deep: both accept', () => {
    const body = Buffer.from(`{"code":200,"data":{"followers":[{"uid":"1","n":${'['.repeat(60)}${']'.repeat(60)}}]}}`);
    expect(inJavaScript(body, true)).not.toBe('refused');
    expect(scanned(body, true)).toEqual(inJavaScript(body, true));
  });

  test('a page of more followers than the scan holds (5,000) is read by the JavaScript parse, whole', () => {
    const followers = Array.from({ length: 5000 }, (_, i) => `{"uid":"${7_000_000_000_000_000_000n + BigInt(i)}","a":${i}}`);
    const body = Buffer.from(`{"code":200,"data":{"has_more":false,"followers":[${followers.join(',')}]}}`);
    expect(scanned(body, true)).toBe('refused'); // beyond its 4,096 followers: not scanned
    const parsed = parsePage(body, keys);
    expect(parsed.followers).toHaveLength(5000);
    expect(plain(parsed)).toEqual(inJavaScript(body, true));
  });

  test('a body larger than the scan holds (over 1 MiB) is read by the JavaScript parse', () => {
    const long = 'x'.repeat(1_200_000);
    const body = Buffer.from(`{"code":200,"data":{"has_more":false,"followers":[{"uid":"1","nickname":"${long}"}]}}`);
    expect(scanned(body, false)).toBe('refused');
    expect(parsePage(body).followers!.map((f) => f.bytes.toString())).toEqual([`{"uid":"1","nickname":"${long}"}`]);
  });

  test('the sample page, with the columns CSV reads', () => {
    // As the API sends it: without the fixture's indentation (an indented follower gets no places).
    const body = compactJson(readFileSync(new URL('../../fixtures/sample-response.json', import.meta.url)));
    const csvKeys = spanKeys(['uid', 'unique_id', 'nickname', 'signature', 'follower_count', 'following_count', 'avatar_thumb', 'verified', 'region']);
    const expected = plain(parsePageInJavaScript(body, csvKeys));
    expect(expected.followers!.length).toBeGreaterThan(0);
    expect(expected.followers!.some((f) => f.places!.some((place) => place > 0))).toBe(true);
    expect(plain(parsePageScanned(body, csvKeys)!)).toEqual(expected);
  });
});
