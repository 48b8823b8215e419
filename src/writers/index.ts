/**
 * The registry of output formats: name -> definition. Adding a format is one file (an Encoder
 * factory) and one line here; the CLI's --format choices and help text come from this table.
 */
import { UsageError } from '../errors.js';
import { createCsvEncoder } from './csv.js';
import { createJsonlEncoder } from './jsonl.js';
import { createXlsxEncoder } from './xlsx.js';
import { DEFAULT_CSV_FIELDS } from './fields.js';
import type { Encoder, EncoderOptions } from './record-writer.js';


export interface FormatDefinition {
  name: string;
  extensions: readonly string[];
  description: string;
  createEncoder(options: EncoderOptions): Encoder;
  /** The columns its encoder reads from each follower's values (none: it writes the bytes as sent). */
  columnsRead(options: EncoderOptions): readonly string[];
  /**
   * Optional: a format whose file cannot be appended to row by row (a workbook, a zip) keeps its
   * rows in the resumable part file through the encoder and renders the output from it at commit,
   * to `outPath` (a temporary file beside the output, fsynced and moved into place by the
   * caller). Such a format cannot be streamed to stdout or updated in place.
   */
  render?(partPath: string, outPath: string): Promise<void>;
}

export const FORMATS: Readonly<Record<string, FormatDefinition>> = {
  csv: {
    name: 'csv',
    extensions: ['.csv'],
    description: 'a header row and one row per follower (default columns, or --fields)',
    createEncoder: createCsvEncoder,
    columnsRead: (options) => options.fields ?? DEFAULT_CSV_FIELDS,
  },
  jsonl: {
    name: 'jsonl',
    extensions: ['.jsonl', '.ndjson'],
    description: 'one follower object per line, every field exactly as the API sent it',
    createEncoder: createJsonlEncoder,
    columnsRead: (options) => options.fields ?? [],
  },
  xlsx: {
    name: 'xlsx',
    extensions: ['.xlsx'],
    description: 'an Excel workbook: typed cells (ids as exact text), default columns or --fields',
    createEncoder: createXlsxEncoder,
    columnsRead: (options) => options.fields ?? DEFAULT_CSV_FIELDS,
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

export { ByteSink, RecordWriter, type Encoder, type EncoderOptions } from './record-writer.js';
