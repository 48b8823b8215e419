/**
 * The dates of `tkf history changes --since/--until` (parseDate): UTC unless a time names its
 * zone, to its own precision as --until, and a day the calendar lacks refused instead of rolled
 * into the next month (2026-02-30 was read as 2026-03-02).
 */
import { describe, expect, it } from 'vitest';
import { parseDate } from '../../src/cli/history-command.js';
import { UsageError } from '../../src/errors.js';

describe('history dates', () => {
  it('reads a day, or a time in UTC, whatever the machine\'s zone', () => {
    expect(parseDate('2026-11-01', '--since')).toBe('2026-11-01T00:00:00.000Z');
    expect(parseDate('2026-12-09T12:00', '--since')).toBe('2026-12-09T12:00:00.000Z');
    expect(parseDate('2026-12-09 12:00', '--since')).toBe('2026-12-09T12:00:00.000Z');
    expect(parseDate('2026-12-09T12:00:30.25', '--since')).toBe('2026-12-09T12:00:30.250Z');
    expect(parseDate('2026-12-09T12:00+08:00', '--since')).toBe('2026-12-09T04:00:00.000Z');
    expect(parseDate('2026-12-09T12:00-0130', '--since')).toBe('2026-12-09T13:30:00.000Z');
    expect(parseDate('2026-12-09T12:00:00Z', '--since')).toBe('2026-12-09T12:00:00.000Z');
  });

  it('reaches the ends of the four-digit years, and refuses a zone no clock has', () => {
    // 9999-12-31 whole ended in year 10000, written +010000-... and sorted before 2026: nothing listed.
    expect(parseDate('9999-12-31', '--until', true)).toBe('9999-12-31T23:59:59.999Z');
    expect(parseDate('9999-12-31T23:59', '--until', true)).toBe('9999-12-31T23:59:59.999Z');
    expect(parseDate('0001-01-01', '--since')).toBe('0001-01-01T00:00:00.000Z');
    expect(parseDate('0000-01-01T00:30+01:00', '--since')).toBe('0000-01-01T00:00:00.000Z');
    expect(() => parseDate('2026-12-09T12:00+25:00', '--since')).toThrow(UsageError);
    expect(() => parseDate('2026-12-09T12:00+08:60', '--since')).toThrow(UsageError);
  });

  it('as --until, includes what it names to its own precision, with a space or a T alike', () => {
    expect(parseDate('2026-11-30', '--until', true)).toBe('2026-12-01T00:00:00.000Z');
    expect(parseDate('2026-12-05T06:00', '--until', true)).toBe('2026-12-05T06:01:00.000Z');
    expect(parseDate('2026-12-05 06:00', '--until', true)).toBe('2026-12-05T06:01:00.000Z');
    expect(parseDate('2026-12-05T06:00:07Z', '--until', true)).toBe('2026-12-05T06:00:08.000Z');
    expect(parseDate('2026-12-05T06:00:07.123Z', '--until', true)).toBe('2026-12-05T06:00:07.124Z');
    // A tenth, a hundredth: all of it (.3 keeps .374).
    expect(parseDate('2026-12-03T16:18:20.3', '--until', true)).toBe('2026-12-03T16:18:20.400Z');
    expect(parseDate('2026-12-03T16:18:20.37', '--until', true)).toBe('2026-12-03T16:18:20.380Z');
    expect(parseDate('2026-12-03T16:18:20.3', '--since')).toBe('2026-12-03T16:18:20.300Z');
  });

  it('finer than a millisecond (the database keeps milliseconds): --since starts at the next one, --until keeps the one it is in', () => {
    // An event at .240 is before .2409: not from it (it was cut to .240, and included).
    expect(parseDate('2026-12-03T14:29:04.2409Z', '--since')).toBe('2026-12-03T14:29:04.241Z');
    expect(parseDate('2026-12-03T14:29:04.2400Z', '--since')).toBe('2026-12-03T14:29:04.240Z');
    expect(parseDate('2026-12-03T14:29:04.2409Z', '--until', true)).toBe('2026-12-03T14:29:04.241Z');
    // From the digits, not a double: 0.145 * 1000 is not trusted to be 145.
    for (let ms = 0; ms < 1000; ms++) {
      const text = String(ms).padStart(3, '0');
      expect(parseDate(`2026-12-03T14:29:04.${text}Z`, '--since')).toBe(`2026-12-03T14:29:04.${text}Z`);
    }
  });

  it.each(['2026-02-30', '2026-04-31', '2026-11-31', '2026-13-01', '2026-12-09T24:00', '2026-12-09T12:60', 'yesterday', '2026-12-9', '2026-12-09T12'])(
    'refuses %s, naming the option',
    (value) => {
      expect(() => parseDate(value, '--since')).toThrow(UsageError);
      expect(() => parseDate(value, '--since')).toThrow(`--since takes a date such as 2026-11-01 or a UTC time such as 2026-11-01T06:00, not "${value}"`);
    },
  );

  it('takes a 29 February only in a leap year', () => {
    expect(parseDate('2028-02-29', '--since')).toBe('2028-02-29T00:00:00.000Z');
    expect(() => parseDate('2026-02-29', '--since')).toThrow(UsageError);
  });
});
