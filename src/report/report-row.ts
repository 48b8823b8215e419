/**
 * The few values of a follower that tkf report counts, read from either kind of export record:
 * a JSONL line is the API's follower object (fields by name); a CSV row has the columns its header
 * names (the default columns of src/writers/fields.ts, or those of --fields). A field the export
 * does not hold reads as undefined, and the report leaves out what needs it.
 */
import type { ExportRecord } from '../output/export-reader.js';
import { unguardCell } from '../writers/csv.js';

/** The follower fields the report reads, as the API names them (and as CSV columns name them). */
export const REPORT_FIELDS = [
  'unique_id',
  'nickname',
  'signature',
  'follower_count',
  'following_count',
  'aweme_count',
  'region',
  'language',
  'custom_verify',
  'enterprise_verify_reason',
] as const;

export type ReportField = (typeof REPORT_FIELDS)[number];

export interface ReportRow {
  uid: string;
  unique_id?: string;
  nickname?: string;
  signature?: string;
  follower_count?: number;
  following_count?: number;
  aweme_count?: number;
  region?: string;
  language?: string;
  custom_verify?: string;
  enterprise_verify_reason?: string;
}

const NUMBER_FIELDS = new Set<ReportField>(['follower_count', 'following_count', 'aweme_count']);


/** Counts: JSON numbers, or strings of digits (the API's types drift; a CSV cell is text). */
function toCount(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function toText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Reads ReportRows from the records of one export; built once per file (CSV column positions). */
export class ReportRowReader {
  /** Fields the export holds: a CSV's columns; for JSONL, fields seen in at least one line. */
  readonly present = new Set<ReportField>();
  private readonly csvIndex: Array<[ReportField, number]> = [];

  constructor(
    columns: readonly string[] | undefined,
    private readonly formulaGuard = true,
  ) {
    if (!columns) return;
    for (const field of REPORT_FIELDS) {
      const index = columns.indexOf(field);
      if (index !== -1) {
        this.csvIndex.push([field, index]);
        this.present.add(field);
      }
    }
  }

  read(record: ExportRecord): ReportRow {
    const row: ReportRow = { uid: record.uid };
    const target = row as unknown as Record<string, unknown>;
    if (record.kind === 'csv') {
      for (const [field, index] of this.csvIndex) {
        const cell = record.cells[index] ?? '';
        if (NUMBER_FIELDS.has(field)) target[field] = toCount(cell);
        // The report shows the text as the API sent it (writers/csv.ts unguardCell).
        else target[field] = this.formulaGuard ? unguardCell(cell) : cell;
      }
      return row;
    }
    const follower = record.follower;
    for (const field of REPORT_FIELDS) {
      const value = follower[field];
      if (value === undefined) continue;
      this.present.add(field);
      target[field] = NUMBER_FIELDS.has(field) ? toCount(value) : toText(value);
    }
    return row;
  }
}
