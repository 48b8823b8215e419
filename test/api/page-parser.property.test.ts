/**
 * parsePage against JSON.parse, the independent strict reader, on generated pages and on pages
 * mutated byte by byte (a broken gateway): whatever parsePage accepts, JSON.parse accepts too and
 * reads the same followers from it, so no JSONL line tkf writes fails a strict JSON parser and no
 * follower is written differently from what JSON.parse reads from the page.
 */
import fc from 'fast-check';
import { isSafeNumber, parse as parseLossless, LosslessNumber } from 'lossless-json';
import { describe, expect, test } from 'vitest';
import { MalformedBodyError, parsePage } from '../../src/api/page-parser.js';
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

describe('parsePage agrees with JSON.parse', () => {
  test('on generated valid pages: accepted, with the same followers, uids as exact text', () => {
    fc.assert(
      fc.property(page, (body) => {
        agreesWithJsonParse(body, parsePage(body));
      }),
      runs,
    );
  });

  const BYTES = [0x00, 0x0a, 0x0d, 0x1f, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x78, 0x75, 0x30, 0x2d, 0x2e, 0x65, 0xff, 0xc3, 0x80, 0x20];
  const mutation = fc.tuple(fc.constantFrom('insert', 'delete', 'replace'), fc.nat(), fc.constantFrom(...BYTES));

  test('on mutated pages: whatever parsePage accepts, JSON.parse accepts and reads the same followers', () => {
    fc.assert(
      fc.property(page, fc.array(mutation, { minLength: 1, maxLength: 3 }), (original, mutations) => {
        let body = Buffer.from(original);
        for (const [kind, position, byte] of mutations) {
          const at = position % (body.length + 1);
          if (kind === 'insert') body = Buffer.concat([body.subarray(0, at), Buffer.from([byte]), body.subarray(at)]);
          else if (kind === 'delete' && at < body.length) body = Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
          else if (at < body.length) body[at] = byte;
        }
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
