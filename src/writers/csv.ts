/**
 * CSV through csv-stringify: RFC 4180 quoting (commas, quotes, CR/LF, tabs in nicknames and bios),
 * a header row, UTF-8, an optional BOM so that Excel reads Chinese text as UTF-8.
 *
 * Formula guard (on by default): nicknames and bios are written by strangers, and a cell starting
 * with =, +, -, @, tab or CR (or their full-width forms) runs as a formula in a spreadsheet. It is
 * csv-stringify's own `escape_formulas` (OWASP's advice: prefix with '), which leaves numbers alone.
 *
 * Lone surrogates: the API may send an escaped lone UTF-16 surrogate ("\ud800") in a nickname.
 * UTF-8 has no bytes for one, so a CSV cell holds U+FFFD (the replacement character) in its place,
 * as any UTF-8 writer must; JSONL keeps the escape, so only JSONL carries such a string exactly.
 *
 * Records go through one csv-stringify stringifier one follower at a time (csvRecordFunction): the
 * same quoting code as its sync and stream APIs, without a second stream between the encoder and
 * the file whose buffering would hide how many bytes are on disk when a checkpoint is written.
 */
import { Stringifier } from 'csv-stringify';
import { stringify, type Options } from 'csv-stringify/sync';
import type { RawFollower } from '../api/types.js';
import { DEFAULT_CSV_FIELDS, LosslessNumber, compileFields, createDecoder, toJson } from './fields.js';
import { encodeTextAll, type Encoder, type EncoderOptions } from './record-writer.js';

type Cell = string | number | bigint | null;

/** One value as a cell: exact digits for long numbers, JSON for objects, true/false for booleans. */
function cell(value: unknown, lossless: boolean): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof LosslessNumber) {
    return /^-?\d+$/.test(value.value) ? BigInt(value.value) : value.value;
  }
  return toJson(value, lossless);
}

/**
 * The csv-stringify options every CSV tkf writes uses (export and diff). `\r\n` ends records
 * (RFC 4180). With a record_delimiter given, csv-stringify quotes only fields holding that exact
 * sequence unless `quote_record_delimiter` is on: a bare `\n` or `\r` in a bio would then be
 * written unquoted, and every standard reader (Python's csv, Excel, pandas, csv-parse) starts a
 * new record there. With it on, any field holding CR or LF is quoted, as RFC 4180 asks.
 */
/**
 * A cell as the text it was before the formula guard (csv-stringify's escape_formulas put a ' before
 * a text starting with = + - @ a tab or a carriage return, or their full-width ＝ ＋ － ＠; and
 * keepOwnQuote one before a text starting with quotes and then one of them): one leading quote off.
 */
export function unguardCell(cell: string): string {
  return GUARDED.test(cell) ? cell.slice(1) : cell;
}

/**
 * A cell written with the formula guard: a text that itself starts with quotes and then one of
 * those characters ('=SUM(1), a nickname) gets one quote more, which unguardCell takes off again
 * (csv-stringify guards only text starting with the characters themselves: read back, such a text
 * lost its own quote). Anything else is as it was.
 */
export function keepOwnQuote<T>(cell: T): T | string {
  // (Most cells do not start with a quote: the first character is looked at before the pattern.)
  return typeof cell === 'string' && cell.charCodeAt(0) === 0x27 && GUARDED.test(cell) ? `'${cell}` : cell;
}

/** A quote, maybe more, then a character a spreadsheet starts a formula with. */
const GUARDED = /^'+[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

export function csvWriteOptions(formulaGuard: boolean): Options {
  return { escape_formulas: formulaGuard, record_delimiter: '\r\n', quote_record_delimiter: true };
}

/**
 * csv-stringify's record function with its options normalised once. The sync API's stringify()
 * normalises the options and builds a stringifier for every call, i.e. for every row; its
 * Stringifier keeps one of each, and `api.__transform` is the very function the sync API runs
 * for each record (quoting, formula guard, the record delimiter). Without a header or a custom
 * cast, a record's text does not depend on the records before it, so the rows are the same bytes.
 */
export function csvRecordFunction(options: Options): (record: Cell[]) => string {
  const { api } = new Stringifier(options) as unknown as { api: { __transform(record: Cell[], push: (text: string) => void): Error | undefined } };
  let text = '';
  const push = (chunk: string) => (text += chunk);
  return (record) => {
    text = '';
    const error = api.__transform(record, push);
    if (error !== undefined) throw error;
    return text;
  };
}

export function createCsvEncoder(options: EncoderOptions): Encoder {
  const names = options.fields ?? [...DEFAULT_CSV_FIELDS];
  const columns = compileFields(names);
  const decode = createDecoder(names);
  // One column: an empty cell quoted as "", or its record would be a blank line, which Python's
  // csv reads as a record of no fields and pandas skips (skip_blank_lines).
  const csvOptions: Options = { ...csvWriteOptions(options.formulaGuard), quoted_empty: columns.length === 1 };
  const stringifyRecord = csvRecordFunction(csvOptions);
  const encodeText = (follower: RawFollower): string => {
    const decoded = decode(follower);
    const record = columns.map((column) => cell(column.read(decoded), follower.hasLongNumbers));
    return stringifyRecord(options.formulaGuard ? record.map(keepOwnQuote) : record);
  };
  return {
    header() {
      return Buffer.from(stringify([names], { ...csvOptions, escape_formulas: false, bom: options.bom }));
    },
    encode: (follower) => Buffer.from(encodeText(follower)),
    encodeAll: encodeTextAll(encodeText),
  };
}
