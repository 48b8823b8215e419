/**
 * A batch runs as many accounts at once as the open-file limit holds (open-files.ts): the limit as
 * Linux's /proc and a shell's `ulimit -n` print it, and the concurrency that fits in it.
 */
import { describe, expect, it } from 'vitest';
import { FILES_PER_ACCOUNT, concurrencyWithin, parseLimits, parseUlimit } from '../../src/cli/open-files.js';

const LIMITS = (soft: string, hard: string) => `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max file size             unlimited            unlimited            bytes
Max processes             95871                95871                processes
Max open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files
Max locked memory         8388608              8388608              bytes
`;

describe('the open-file limit', () => {
  it('is the soft limit of /proc/self/limits, none when unlimited or missing', () => {
    expect(parseLimits(LIMITS('1024', '1048576'))).toBe(1024);
    expect(parseLimits(LIMITS('64', '64'))).toBe(64);
    expect(parseLimits(LIMITS('unlimited', 'unlimited'))).toBeUndefined();
    expect(parseLimits('Max processes 10 10 processes\n')).toBeUndefined();
  });

  it("is what `ulimit -n` prints, none when unlimited", () => {
    expect(parseUlimit('256\n')).toBe(256);
    expect(parseUlimit('unlimited\n')).toBeUndefined();
    expect(parseUlimit('')).toBeUndefined();
  });
});

describe('the concurrency within it', () => {
  it('is the one asked for when the limit holds it, or with no limit known', () => {
    expect(concurrencyWithin(16, 1024, 40)).toBe(16);
    expect(concurrencyWithin(64, 1024, 40)).toBe(64);
    expect(concurrencyWithin(64, undefined, 40)).toBe(64);
  });

  it('is lowered to what the room left holds, FILES_PER_ACCOUNT an account, 0 when not one fits', () => {
    // 64 files, 25 open, 16 kept aside: 23 left, 2 accounts of 11.
    expect(FILES_PER_ACCOUNT).toBe(11);
    expect(concurrencyWithin(16, 64, 25)).toBe(2);
    // macOS's 256 with --concurrency 64: 192 left, 17 accounts.
    expect(concurrencyWithin(64, 256, 48)).toBe(17);
    expect(concurrencyWithin(8, 52, 25)).toBe(1);
    // Not even one: 0, and the batch is refused.
    expect(concurrencyWithin(8, 40, 25)).toBe(0);
  });
});
