import { describe, expect, test } from 'vitest';
import { DEFAULT_SEEN_CAPACITY, SeenWindow } from '../src/seen-window.js';

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

  test('is exact within its capacity', () => {
    const seen = new SeenWindow(1000);
    for (let i = 0; i < 1000; i++) expect(seen.add(`u${i}`)).toBe(true);
    for (let i = 0; i < 1000; i++) expect(seen.add(`u${i}`)).toBe(false);
    expect(seen.size).toBe(1000);
  });

  test('forgets the oldest first past its capacity', () => {
    const seen = new SeenWindow(3);
    for (const uid of ['a', 'b', 'c', 'd']) seen.add(uid);
    expect(seen.has('a')).toBe(false);
    expect(['b', 'c', 'd'].every((uid) => seen.has(uid))).toBe(true);
    seen.add('e');
    expect(seen.has('b')).toBe(false);
    expect(seen.add('c')).toBe(false);
    expect(seen.add('a')).toBe(true); // forgotten, so new again; 'c' is now the oldest
    expect(seen.has('c')).toBe(false);
    expect(seen.has('d') && seen.has('e') && seen.has('a')).toBe(true);
  });

  test('a repeat does not push anything out', () => {
    const seen = new SeenWindow(2);
    seen.add('a');
    seen.add('b');
    for (let i = 0; i < 10; i++) seen.add('a');
    expect(seen.has('a') && seen.has('b')).toBe(true);
  });

  test('size never exceeds the capacity', () => {
    const seen = new SeenWindow(7);
    for (let i = 0; i < 100; i++) {
      seen.add(String(i % 13));
      expect(seen.size).toBeLessThanOrEqual(7);
    }
    expect(seen.size).toBe(7);
  });

  test('defaults to DEFAULT_SEEN_CAPACITY and rejects a capacity below 1', () => {
    expect(new SeenWindow().capacity).toBe(DEFAULT_SEEN_CAPACITY);
    expect(() => new SeenWindow(0)).toThrow(RangeError);
    expect(() => new SeenWindow(1.5)).toThrow(RangeError);
  });
});
