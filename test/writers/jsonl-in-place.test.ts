/**
 * JSONL without --fields writes a page's followers as a view of the body they came in, its
 * separators turned into line ends (writers/jsonl.ts linesInPlace), and copies whenever that is
 * not exactly the same bytes: a repeat dropped from the middle, a re-spaced follower, a small
 * body from Node's shared pool (8 KiB on Node 20, 64 KiB on Node 24 and 26: the pages here are
 * larger than half of it, so they are allocations of their own, as the API's ~95 KB are).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parsePage, wholePageBodies } from '../../src/api/page-parser.js';
import type { RawFollower } from '../../src/api/types.js';
import { getFormat } from '../../src/writers/index.js';
import { linesInPlace } from '../../src/writers/jsonl.js';

const encoder = getFormat('jsonl').createEncoder({ fields: undefined, bom: false, formulaGuard: false });

/** A follower of about `size` bytes (three make a page of its own allocation on every Node). */
const follower = (uid: number, size = 20_000) => `{"uid":"${7_000_000_000_000_000_000n + BigInt(uid)}","bio":"${'b'.repeat(size)}","n":[1,{"x":null}]}`;
const body = (items: string[], space = '') =>
  Buffer.from(`{"code":200,"msg":"成功","data":{"has_more":true,"min_time":5,"followers":[${space}${items.join(`,${space}`)}${space}],"total":9}}`);

/** What the lines must be: each follower's bytes, then a line end. */
const expected = (followers: readonly RawFollower[]) => Buffer.concat(followers.flatMap((f) => [Buffer.from(f.bytes), Buffer.from('\n')])).toString('latin1');

describe('JSONL lines written over the page body', () => {
  test('a whole page: a view of its body, each follower then a line end', () => {
    const page = body([follower(1), follower(2), follower(3)]);
    const followers = parsePage(page).followers!;
    const want = expected(followers);
    const out = encoder.encodeAll!(followers);
    expect(out.buffer).toBe(page.buffer); // no copy
    expect(out.toString('latin1')).toBe(want);
    // The followers' own bytes are untouched: only the list's separators changed.
    expect(expected(followers)).toBe(want);
    // Written again (a page set aside and re-entered): the same bytes.
    expect(encoder.encodeAll!(followers).toString('latin1')).toBe(want);
  });

  test('the first followers of a page (the limit reached inside it): a view, ending at the comma', () => {
    const page = body([follower(1), follower(2), follower(3)]);
    const followers = parsePage(page).followers!.slice(0, 2);
    const out = encoder.encodeAll!(followers);
    expect(out.buffer).toBe(page.buffer);
    expect(out.toString('latin1')).toBe(expected(followers));
  });

  test('a repeat dropped from the middle: a copy, and the body is left as it was', () => {
    const page = body([follower(1), follower(2), follower(3)]);
    const before = Buffer.from(page);
    const all = parsePage(page).followers!;
    const followers = [all[0]!, all[2]!];
    expect(linesInPlace(followers)).toBeUndefined();
    expect(encoder.encodeAll!(followers).toString('latin1')).toBe(expected(followers));
    expect(page.equals(before)).toBe(true);
  });

  test('re-spaced followers (a pretty-printed page): a copy with the compacted bytes', () => {
    const page = body([follower(1, 10), follower(2, 10), follower(3, 10)].map((text) => text.replace(/,/g, ', ')), '\n  ');
    const followers = parsePage(page).followers!;
    expect(linesInPlace(followers)).toBeUndefined();
    const out = encoder.encodeAll!(followers);
    expect(out.toString('latin1')).toBe(expected(followers));
    expect(out.toString('latin1')).not.toMatch(/, /);
  });

  test("a small page (a slice of Node's shared pool) is copied: nothing written over the pool", () => {
    const page = body([follower(1, 10), follower(2, 10)]);
    expect(page.buffer.byteLength).toBeGreaterThan(page.length); // a slice of the pool
    const followers = parsePage(page).followers!;
    expect(wholePageBodies.has(page.buffer)).toBe(false);
    expect(linesInPlace(followers)).toBeUndefined();
    expect(encoder.encodeAll!(followers).toString('latin1')).toBe(expected(followers));
  });

  test('followers side by side in a whole body but not a list (no comma between): a copy', () => {
    const source = `${follower(1)}|${follower(2)}]`;
    const text = Buffer.alloc(source.length); // an allocation of its own, as a page's
    text.write(source, 'latin1');
    wholePageBodies.add(text.buffer);
    const first = text.subarray(0, text.indexOf('|'));
    const second = text.subarray(first.length + 1, text.length - 1);
    const followers = [first, second].map((bytes) => ({ uid: JSON.parse(bytes.toString()).uid as string, bytes, hasLongNumbers: false }));
    expect(linesInPlace(followers)).toBeUndefined();
    expect(text.includes('|')).toBe(true);
  });

  test('any run of a page\'s followers: the same bytes as one line a follower', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), fc.constantFrom('', ' ', '\n'), (count, keep, space) => {
        const page = body(Array.from({ length: count }, (_, i) => follower(i, 17_000)), space);
        const followers = parsePage(page).followers!.filter((_, i) => keep[i]);
        if (followers.length < 2) return;
        const want = expected(followers);
        expect(encoder.encodeAll!(followers).toString('latin1')).toBe(want);
        expect(followers.map((f) => JSON.parse(f.bytes.toString()).uid)).toEqual(followers.map((f) => f.uid));
      }),
      { numRuns: 200 },
    );
  });
});
