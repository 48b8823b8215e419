/**
 * The rows `tkf diff` writes: each follower who came or went, with a leading `change` cell
 * (`added` or `removed`), in the output's format.
 *
 *   JSONL  {"change":"added",...the follower}. A JSONL input's line keeps its own bytes after the
 *          change key, so 19-digit numbers stay exact. A CSV input's row becomes an object of its
 *          cells keyed by the header, values as text (CSV does not say what was a number), but
 *          for the columns the API gives as numbers (CSV_NUMBER_COLUMNS): numbers, as the API's.
 *   CSV    header `change` + the columns: a CSV input's own header (two CSV inputs must agree), or,
 *          when both inputs are JSONL, DEFAULT_CSV_FIELDS. Followers read from JSONL go through
 *          the export's own CSV encoder, so a diff's row is the row `tkf export` would write.
 *
 * A CSV input written with the formula guard (its manifest says so; without one, as tkf export
 * writes by default) has the guard's ' taken off its cells first (writers/csv.ts unguardCell), as
 * report and history import read them: a JSONL row holds the text the API sent, and a CSV row is
 * guarded by this diff's own --formula-guard (or not, with --no-formula-guard).
 */
import { stringify } from 'csv-stringify/sync';
import { UsageError } from '../errors.js';
import { createCsvEncoder, csvWriteOptions, keepOwnQuote, unguardCell } from '../writers/csv.js';
import { CSV_NUMBER_COLUMNS, DEFAULT_CSV_FIELDS } from '../writers/fields.js';
import type { CHANGE_KINDS, ExportFormat, ExportRecord, ExportSource } from '../output/export-reader.js';

/** What happened to a follower: new, gone, or missing only because the API's reach slid (reach.ts). */
export type Change = (typeof CHANGE_KINDS)[number];

export interface ChangeEncoder {
  /** What opens the output (CSV: optional BOM and the header row). */
  header(): Buffer | undefined;
  /** One changed follower as one row, line end included. */
  encode(change: Change, record: ExportRecord, source: ExportSource): Buffer;
}

export interface ChangeEncoderOptions {
  format: ExportFormat;
  /** CSV: neutralise cells a spreadsheet would run as formulas. */
  formulaGuard: boolean;
  /** CSV: start with a UTF-8 byte order mark. */
  bom: boolean;
  /** The CSV inputs whose cells carry the formula guard's quote (their paths). */
  guardedInputs?: ReadonlySet<string>;
}

export function createChangeEncoder(sources: readonly ExportSource[], options: ChangeEncoderOptions): ChangeEncoder {
  const cells = (record: ExportRecord & { kind: 'csv' }, source: ExportSource) => (options.guardedInputs?.has(source.path) ? record.cells.map(unguardCell) : record.cells);
  return options.format === 'csv' ? csvChanges(csvColumns(sources), options) : jsonlChanges(cells);
}

/** A CSV record's cells as the text they hold (the formula guard's quote off where the input has it). */
type Cells = (record: ExportRecord & { kind: 'csv' }, source: ExportSource) => string[];

/** The columns of a CSV diff; throws when two CSV inputs have different headers. */
export function csvColumns(sources: readonly ExportSource[]): string[] {
  const csv = sources.filter((source) => source.columns !== undefined);
  const [first, second] = csv;
  if (!first) return [...DEFAULT_CSV_FIELDS];
  if (second && second.columns!.join('\n') !== first.columns!.join('\n')) {
    throw new UsageError(
      `${first.path} and ${second.path} have different columns (${describeDifference(first, second)}); ` +
        'a CSV diff has one header: export both with the same --fields, or write JSONL (--out changes.jsonl)',
    );
  }
  return first.columns!;
}

function describeDifference(a: ExportSource, b: ExportSource): string {
  const missing = a.columns!.filter((name) => !b.columns!.includes(name));
  const extra = b.columns!.filter((name) => !a.columns!.includes(name));
  const parts: string[] = [];
  if (missing.length) parts.push(`${b.path} lacks ${missing.join(', ')}`);
  if (extra.length) parts.push(`${b.path} adds ${extra.join(', ')}`);
  return parts.length ? parts.join('; ') : 'the same names in another order';
}

function csvChanges(columns: string[], options: ChangeEncoderOptions): ChangeEncoder {
  const csvOptions = csvWriteOptions(options.formulaGuard);
  // Followers from JSONL, as `tkf export --fields <columns>` would write them. The bytes handed
  // over are the line as read; hasLongNumbers: true makes the encoder decode with lossless-json,
  // so a 19-digit number stays exact (only rows that are written are decoded: the cost is small).
  const fromJson = createCsvEncoder({ fields: columns, bom: false, formulaGuard: options.formulaGuard });
  const prefixes: Record<Change, Buffer> = {
    added: Buffer.from('added,'),
    first_seen: Buffer.from('first_seen,'),
    removed: Buffer.from('removed,'),
    beyond_reach: Buffer.from('beyond_reach,'),
  };
  return {
    header: () => Buffer.from(stringify([['change', ...columns]], { ...csvOptions, escape_formulas: false, bom: options.bom })),
    encode(change, record, source) {
      if (record.kind === 'csv') {
        // A cell that carried the input's guard was text ("'-9": a nickname), and stays text, which
        // this diff's own guard quotes again; one without it is typed back as the export wrote it.
        const guarded = options.guardedInputs?.has(source.path) === true;
        const row = record.cells.map((cell) => {
          const text = guarded ? unguardCell(cell) : cell;
          return text !== cell ? text : asWritten(cell);
        });
        return Buffer.from(stringify([[change, ...(options.formulaGuard ? row.map(keepOwnQuote) : row)]], csvOptions));
      }
      const row = fromJson.encode({ uid: record.uid, bytes: Buffer.from(record.json), hasLongNumbers: true });
      return Buffer.concat([prefixes[change], row]);
    },
  };
}

/**
 * A CSV cell typed back where the export wrote a number. The formula guard leaves numbers alone
 * (a count of -1 is not a formula) but guards text starting with -, so "-1" handed over as text
 * would come out as "'-1", unlike the export it was read from. Only exact round trips are typed.
 */
function asWritten(cell: string): string | bigint | number {
  if (cell[0] !== '-') return cell;
  if (/^-\d+$/.test(cell)) return String(BigInt(cell)) === cell ? BigInt(cell) : cell;
  const number = Number(cell);
  return /^-\d+\.\d+$/.test(cell) && String(number) === cell ? number : cell;
}

const WHOLE_NUMBER = /^-?(0|[1-9]\d*)$/;

function jsonlChanges(cells: Cells): ChangeEncoder {
  return {
    header: () => undefined,
    encode(change, record, source) {
      // The follower's own text after the change key: `{"change":"added",` + `"uid":...}`. The
      // record has a uid, so the object is never empty and the comma always has a field after it.
      if (record.kind === 'jsonl') return Buffer.from(`{"change":"${change}",${record.json.slice(1)}\n`);
      // Built by hand, not with JSON.stringify of an object: keys stay in header order (an object
      // would move a column named like a number, "0", to the front).
      let json = `{"change":"${change}"`;
      const values = cells(record, source);
      source.columns!.forEach((name, index) => {
        const value = values[index] ?? '';
        // The columns the API gives as numbers, as numbers (their digits as they are): a JSONL
        // input's rows beside them have numbers there. Empty, as a JSONL input without the field.
        if (CSV_NUMBER_COLUMNS.has(name) && (value === '' || WHOLE_NUMBER.test(value))) {
          if (value !== '') json += `,${JSON.stringify(name)}:${value}`;
          return;
        }
        json += `,${JSON.stringify(name)}:${JSON.stringify(value)}`;
      });
      return Buffer.from(`${json}}\n`);
    },
  };
}
