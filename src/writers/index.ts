/**
 * The registry of output formats: name -> definition. Adding a format is one file (an Encoder
 * factory) and one line here; the CLI's --format choices and help text come from this table.
 */
import { UsageError } from '../errors.js';
import { createCsvEncoder } from './csv.js';
import { createJsonlEncoder } from './jsonl.js';
import { createXlsxEncoder } from './xlsx.js';
import type { Encoder } from './record-writer.js';

export interface EncoderOptions {
  /** Columns by name or dot path; undefined = the format's default (CSV: DEFAULT_CSV_FIELDS, JSONL: the whole object). */
  fields: string[] | undefined;
  /** CSV: start the file with a UTF-8 byte order mark. */
  bom: boolean;
  /** CSV: neutralise cells a spreadsheet would run as formulas. */
  formulaGuard: boolean;
}

export interface FormatDefinition {
  name: string;
  extensions: readonly string[];
  description: string;
  createEncoder(options: EncoderOptions): Encoder;
  /**
   * Formats that cannot be appended to (a zip): rows still go to `<out>.part` through the encoder,
   * and at commit this renders the complete part file into `outPath` (a file beside `<out>`),
   * which is then published in its place. Such a format cannot be streamed to stdout or updated
   * in place.
   */
  render?(partPath: string, outPath: string): Promise<void>;
}

export const FORMATS: Readonly<Record<string, FormatDefinition>> = {
  csv: {
    name: 'csv',
    extensions: ['.csv'],
    description: 'a header row and one row per follower (default columns, or --fields)',
    createEncoder: createCsvEncoder,
  },
  jsonl: {
    name: 'jsonl',
    extensions: ['.jsonl', '.ndjson'],
    description: 'one follower object per line, every field exactly as the API sent it',
    createEncoder: createJsonlEncoder,
  },
  xlsx: {
    name: 'xlsx',
    extensions: ['.xlsx'],
    description: 'an Excel workbook: typed cells (ids as exact text), default columns or --fields',
    createEncoder: createXlsxEncoder,
    render: async (partPath, outPath) => (await import('./xlsx-render.js')).renderXlsx(partPath, outPath),
  },
};

export const FORMAT_NAMES = Object.keys(FORMATS);

export function getFormat(name: string): FormatDefinition {
  const format = Object.hasOwn(FORMATS, name.toLowerCase()) ? FORMATS[name.toLowerCase()] : undefined;
  if (!format) throw new UsageError(`unknown format "${name}"; use one of: ${FORMAT_NAMES.join(', ')}`);
  return format;
}

/** The format an output path's extension names, if any. */
export function formatForPath(path: string): FormatDefinition | undefined {
  const lower = path.toLowerCase();
  return Object.values(FORMATS).find((format) => format.extensions.some((ext) => lower.endsWith(ext)));
}

export { ByteSink, RecordWriter, type Encoder } from './record-writer.js';
