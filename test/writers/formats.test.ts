import { describe, expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseFieldList } from '../../src/writers/fields.js';
import { FORMATS, FORMAT_NAMES, formatForPath, getFormat } from '../../src/writers/index.js';

describe('the format registry', () => {
  test('holds csv, jsonl and xlsx, each under its own name', () => {
    expect(Object.keys(FORMATS).sort()).toEqual(['csv', 'jsonl', 'xlsx']);
    expect(FORMAT_NAMES.slice().sort()).toEqual(['csv', 'jsonl', 'xlsx']);
    for (const [name, format] of Object.entries(FORMATS)) {
      expect(format.name).toBe(name);
      expect(format.description).not.toBe('');
      expect(typeof format.createEncoder).toBe('function');
    }
  });

  test('getFormat finds a format by name, case-insensitively', () => {
    expect(getFormat('csv')).toBe(FORMATS.csv);
    expect(getFormat('JSONL')).toBe(FORMATS.jsonl);
  });

  test.each(['xml', 'ndjson', '', 'toString', '__proto__', 'constructor'])('getFormat(%j) is a UsageError listing the formats', (name) => {
    let error: unknown;
    try {
      getFormat(name);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('csv');
    expect((error as Error).message).toContain('jsonl');
  });
});

describe('formatForPath', () => {
  test.each([
    ['followers.csv', 'csv'],
    ['/tmp/out/FOLLOWERS.CSV', 'csv'],
    ['a.Csv', 'csv'],
    ['followers.jsonl', 'jsonl'],
    ['followers.JSONL', 'jsonl'],
    ['followers.ndjson', 'jsonl'],
    ['followers.NdJson', 'jsonl'],
    ['dir.csv/followers.jsonl', 'jsonl'],
    ['followers.xlsx', 'xlsx'],
    ['FOLLOWERS.XLSX', 'xlsx'],
  ])('%s -> %s', (path, name) => {
    expect(formatForPath(path)?.name).toBe(name);
  });

  test.each(['followers.json', 'followers.txt', 'followers', 'csv', 'followers.csv.part', 'followers.xcsv.gz', 'followers.xlsx.render', 'followers.xls', '-'])(
    '%s -> undefined',
    (path) => {
      expect(formatForPath(path)).toBeUndefined();
    },
  );
});

describe('parseFieldList', () => {
  test('splits on commas and trims', () => {
    expect(parseFieldList('uid, nickname ,avatar_larger.url_list.0')).toEqual(['uid', 'nickname', 'avatar_larger.url_list.0']);
    expect(parseFieldList('uid')).toEqual(['uid']);
  });

  test.each(['', ' ', 'uid,', ',uid', 'uid,,nickname', 'uid, ,nickname', 'avatar_larger..url_list', '.uid', 'uid.'])(
    'an empty name in %j is a UsageError',
    (text) => {
      expect(() => parseFieldList(text)).toThrow(UsageError);
    },
  );

  test.each(['uid,uid', 'uid, nickname, uid', 'a.b,a.b'])('a repeat in %j is a UsageError naming it', (text) => {
    expect(() => parseFieldList(text)).toThrow(UsageError);
    expect(() => parseFieldList(text)).toThrow(/"(uid|a\.b)" is listed twice/);
  });
});
