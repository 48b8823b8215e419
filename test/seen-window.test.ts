import { describe, expect, test } from 'vitest';
import { SeenWindow } from '../src/export/seen-window.js';

describe('SeenWindow', () => {
  test('add returns true the first time and false for a repeat', () => {
    const seen = new SeenWindow();
    expect(seen.add('7005153156116071425')).toBe(true);
    expect(seen.add('7005153156116071425')).toBe(false);
    expect(seen.add('6977504145574577157')).toBe(true);
    expect(seen.has('7005153156116071425')).toBe(true);
    expect(seen.has('1')).toBe(false);
    expect(seen.size).toBe(2);
  });

  test('uids that differ past the 16th digit are different uids', () => {
    const seen = new SeenWindow();
    expect(seen.add('7005153156116071425')).toBe(true);
    expect(seen.add('7005153156116071426')).toBe(true);
  });

  // [issue 21] No longer a window: the tests of forgetting past a capacity went with it.
  test('is exact past its first size, and rejects a size below 1', () => {
    const seen = new SeenWindow(3);
    for (let i = 0; i < 1000; i++) expect(seen.add(`u${i}`)).toBe(true);
    for (let i = 0; i < 1000; i++) expect(seen.add(`u${i}`)).toBe(false);
    expect(seen.size).toBe(1000);
    expect(() => new SeenWindow(0)).toThrow(RangeError);
    expect(() => new SeenWindow(1.5)).toThrow(RangeError);
  });
});

/** The obvious set (it was a window; it is an exact set now). What the compact one must equal. */
class ReferenceWindow {
  private readonly set = new Set<string>();
  constructor(_capacity: number) {}
  add(uid: string): boolean {
    if (this.set.has(uid)) return false;
    this.set.add(uid);
    return true;
  }
  has(uid: string): boolean {
    return this.set.has(uid);
  }
  get size(): number {
    return this.set.size;
  }
}

describe('SeenWindow against a reference window', () => {
  test.each([1, 2, 3, 7, 64, 1000, 5000])('capacity %i (grown from 1,024 slots when larger): the same answers over 20,000 random adds (numeric uids near 2^63, short ones, and odd strings)', (capacity) => {
    let state = capacity * 7919 + 1;
    const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pool = Array.from({ length: capacity * 3 + 5 }, (_, i) => {
      const kind = i % 5;
      if (kind === 0) return String(9223372036854775807n - BigInt(i)); // 19 digits
      if (kind === 1) return String(i); // short
      if (kind === 2) return `0${i}`; // a leading zero: not the same uid as String(i)
      if (kind === 3) return String(1000000000n * BigInt(i) + 999999999n); // same low nine digits
      return `x${i}`;
    });
    const seen = new SeenWindow(capacity);
    const reference = new ReferenceWindow(capacity);
    for (let step = 0; step < 20_000; step++) {
      const uid = pool[Math.floor(random() * pool.length)]!;
      expect(seen.add(uid)).toBe(reference.add(uid));
      const probe = pool[Math.floor(random() * pool.length)]!;
      expect(seen.has(probe)).toBe(reference.has(probe));
    }
    expect(seen.size).toBe(reference.size);
  });

  test('uids of 20 digits (above 2^64) and 19-digit ones that differ in one digit stay distinct', () => {
    const seen = new SeenWindow(10);
    expect(seen.add('18446744073709551616')).toBe(true);
    expect(seen.add('18446744073709551617')).toBe(true);
    expect(seen.add('9999999999999999999')).toBe(true);
    expect(seen.add('9999999999999999998')).toBe(true);
    expect(seen.add('18446744073709551616')).toBe(false);
    expect(seen.add('9999999999999999999')).toBe(false);
  });
});
