/**
 * Properties: every follower tkf writes reads back exactly in an independent strict reader.
 *
 * Followers built from hostile strings go the way a real export takes them: JSON bytes as the API
 * sends them -> parsePage -> the CSV or JSONL encoder (default columns or --fields, BOM on or
 * off, formula guard on or off) -> bytes. Then:
 *   CSV    csv-parse with no relax options, CR, LF and CRLF all ending a record (as Python's csv
 *          and Excel read), blank lines skipped (as pandas does): one record per follower, each
 *          cell the value the API sent, with the formula guard's documented ' prefix. A lone
 *          surrogate has no UTF-8 form: CSV holds U+FFFD in its place (see src/writers/csv.ts).
 *   JSONL  the text split at '\n' only; JSON.parse of each line equals what JSON.parse reads from
 *          the API's follower, and a lossless reader gets a 19-digit room_id's exact digits.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import fc from 'fast-check';
import { isSafeNumber, parse as parseLossless } from 'lossless-json';
import { describe, expect, test } from 'vitest';
import { parsePage } from '../../src/api/page-parser.js';
import type { RawFollower } from '../../src/api/types.js';
import { DEFAULT_CSV_FIELDS } from '../../src/writers/fields.js';
import type { EncoderOptions } from '../../src/writers/index.js';
import { FORMULA_STARTS, apiPage, asJsonParseReads, encode, modelPage, type EscapeStyle, type ModelFollower } from './hostile-followers.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Paths --fields may name: plain, nested, computed, an object, a list item, one that is missing. */
const FIELD_PATHS = [
  'uid', 'unique_id', 'nickname', 'signature', 'follower_count', 'room_id', 'is_star', 'region',
  'avatar_larger', 'avatar_larger.uri', 'avatar_larger.url_list', 'avatar_larger.url_list.0',
  'avatar_larger.url_list.2', 'profile_url', 'avatar_url', 'no.such.path',
];

const settings = fc.record({
  fields: fc.option(fc.shuffledSubarray(FIELD_PATHS, { minLength: 1 }), { nil: undefined }),
  bom: fc.boolean(),
  formulaGuard: fc.boolean(),
  style: fc.constantFrom<EscapeStyle>('minimal', 'ascii'),
});

/** The followers as the parser hands them to writers, checked to be the ones the page holds. */
function parsed(followers: readonly ModelFollower[], style: EscapeStyle): RawFollower[] {
  const page = parsePage(apiPage(followers, style));
  expect(page.followers?.map((follower) => follower.uid)).toEqual(followers.map((follower) => follower.uid));
  return page.followers!;
}


/** What a column holds for a follower, computed here from the model, not by tkf's code. */
function valueOf(follower: ModelFollower, name: string): unknown {
  if (name === 'profile_url') return follower.unique_id ? `https://www.tiktok.com/@${follower.unique_id}` : '';
  if (name === 'avatar_url') return follower.avatar_larger.url_list[0];
  let value: unknown = follower;
  for (const part of name.split('.')) {
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

const isFormula = (text: string): boolean => FORMULA_STARTS.some((start) => text.startsWith(start));
/** A text that itself starts with quotes and then a formula's start: the guard gives it one quote more (read back, one comes off). */
const quotedFormula = (text: string): boolean => /^'+/.test(text) && isFormula(text.replace(/^'+/, ''));

/** Lone surrogates replaced by U+FFFD, as UTF-8 output writes them (String.prototype.toWellFormed: Node 20+, not in lib ES2023). */
const wellFormed = (text: string): string => (text as string & { toWellFormed(): string }).toWellFormed();

/** Checks one CSV cell against the value the API sent. */
function expectCell(cell: string, value: unknown, formulaGuard: boolean): void {
  if (value === undefined || value === null) expect(cell).toBe('');
  else if (typeof value === 'string') expect(cell).toBe(wellFormed(formulaGuard && (isFormula(value) || quotedFormula(value)) ? `'${value}` : value));
  else if (typeof value === 'object') expect(JSON.parse(cell)).toEqual(value); // objects and lists as JSON text
  else expect(cell).toBe(String(value)); // numbers (exact digits, never guarded) and booleans
}

/** A lossless reader: integers past a double's precision as BigInt, so digits can be compared. */
const readLossless = (line: string): unknown => parseLossless(line, null, (digits) => (isSafeNumber(digits) ? Number(digits) : BigInt(digits)));

describe('properties: what tkf writes reads back exactly', () => {
  test('CSV, read by csv-parse in strict mode', async () => {
    await fc.assert(
      fc.asyncProperty(modelPage, settings, async (followers, { fields, bom, formulaGuard, style }) => {
        const bytes = await encode('csv', parsed(followers, style), { fields, bom, formulaGuard });
        UTF8.decode(bytes); // throws unless the file is valid UTF-8
        expect(bytes.subarray(0, 3).equals(BOM)).toBe(bom);
        const rows = parseCsv(bytes, { bom, record_delimiter: ['\r\n', '\n', '\r'], skip_empty_lines: true }) as string[][];
        const names = fields ?? [...DEFAULT_CSV_FIELDS];
        expect(rows[0]).toEqual(names);
        expect(rows).toHaveLength(followers.length + 1);
        followers.forEach((follower, index) => {
          const row = rows[index + 1]!;
          expect(row).toHaveLength(names.length);
          names.forEach((name, column) => expectCell(row[column]!, valueOf(follower, name), formulaGuard));
        });
      }),
      { numRuns: 100 },
    );
  });

  test('JSONL, each line read by JSON.parse and by a lossless reader', async () => {
    await fc.assert(
      fc.asyncProperty(modelPage, settings, async (followers, { fields, bom, formulaGuard, style }) => {
        const bytes = await encode('jsonl', parsed(followers, style), { fields, bom, formulaGuard });
        const lines = UTF8.decode(bytes).split('\n');
        expect(lines.pop()).toBe('');
        expect(lines).toHaveLength(followers.length);
        followers.forEach((follower, index) => {
          const expected = fields ? Object.fromEntries(fields.map((name) => [name, valueOf(follower, name) ?? null])) : follower;
          expect(JSON.parse(lines[index]!)).toEqual(asJsonParseReads(expected));
          expect(readLossless(lines[index]!)).toEqual(expected);
        });
      }),
      { numRuns: 100 },
    );
  });
});
