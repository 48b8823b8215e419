/**
 * [issue 21] The uids already written are an exact set: a list longer than 100,000 followers
 * (where the old window forgot the oldest) gets no duplicate rows, and the set's memory for
 * 1,000,000 uids stays a small part of the export's 100 MB budget.
 */
import { describe, expect, test } from 'vitest';
import type { FollowersPage } from '../src/api/types.js';
import { pages, type Page } from '../src/export/pager.js';
import { SeenWindow } from '../src/export/seen-window.js';
import { follower } from './helpers/followers.js';

/** n distinct 19-digit uids, spread like real ones (not consecutive). */
function uidAt(i: number): string {
  return String(6000000000000000000n + BigInt(i) * 7919n);
}

describe('SeenWindow is exact however many uids it holds', () => {
  test('300,000 uids: every one is still known after the other 299,999', () => {
    const seen = new SeenWindow();
    let firstsTaken = 0;
    for (let i = 0; i < 300_000; i++) if (seen.add(uidAt(i))) firstsTaken++;
    expect(firstsTaken).toBe(300_000);
    let repeatsTaken = 0;
    for (let i = 0; i < 300_000; i++) if (seen.add(uidAt(i))) repeatsTaken++;
    expect(repeatsTaken).toBe(0);
    expect(seen.size).toBe(300_000);
  });

  test('uids whose digits above 2^32 * 10^9 differ, "0", and non-numeric uids stay distinct', () => {
    const seen = new SeenWindow();
    // The same low nine digits and the same high word modulo 2^32: only the top bits differ.
    const uids = ['1', '4294967296000000001', '8589934592000000001', '0', '00', '18446744073709551616', 'abc', '9999999999999999999'];
    for (const uid of uids) expect(seen.add(uid)).toBe(true);
    for (const uid of uids) expect(seen.add(uid)).toBe(false);
    expect(seen.has('2')).toBe(false);
    expect(seen.size).toBe(uids.length);
  });

  test('1,000,000 uids cost at most 17 MB (16 B to 32 B a uid), outside the JS heap', () => {
    const before = process.memoryUsage().arrayBuffers;
    const seen = new SeenWindow();
    for (let i = 0; i < 1_000_000; i++) seen.add(uidAt(i));
    expect(seen.size).toBe(1_000_000);
    expect(seen.bytes).toBeLessThanOrEqual(17 * 1024 * 1024);
    // The typed arrays are what the memory is: no per-uid object on the heap.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(40 * 1024 * 1024);
  });
});

describe('pages(): a repeat more than 100,000 followers later is still skipped', () => {
  test('120 pages of 1,000, then the first page served again: no follower written twice', async () => {
    const PAGE = 1000;
    const PAGES = 120;
    const answer = (n: number, last: boolean): FollowersPage => ({
      code: 200,
      msg: '成功',
      statusCode: 0,
      hasMore: !last,
      minTime: 1_700_000_000 - n - 1,
      total: PAGE * PAGES,
      followers: Array.from({ length: PAGE }, (_, i) => follower(uidAt((n % PAGES) * PAGE + i))),
    });
    let calls = 0;
    const written: Page[] = [];
    for await (const page of pages({ fetchPage: async () => answer(calls, ++calls > PAGES), sleep: async () => {}, random: () => 0.5 })) written.push(page);
    const rows = written.flatMap((page) => page.followers.map((f) => f.uid));
    expect(calls).toBe(PAGES + 1);
    expect(rows.length).toBe(PAGE * PAGES);
    expect(new Set(rows).size).toBe(rows.length);
    expect(written.at(-1)!.duplicates).toBe(PAGE);
  });
});
