/**
 * Renders an xlsx export's part file (one JSON array of typed cells a line, see xlsx.ts) into a
 * workbook, streaming: one row in memory at a time (plus the first rows, to size the columns).
 *
 * The workbook is written by exceljs's streaming WorkbookWriter, with inline strings
 * (useSharedStrings false: a shared-strings table holds every distinct string in memory until
 * the end) written as one-run rich text, because exceljs writes a plain string as a formula-result
 * cell (t="str") without xml:space, and a rich-text run as an inline string with
 * xml:space="preserve" whenever the text starts or ends with whitespace or holds a line break.
 *
 * exceljs takes rows without backpressure (Row.commit() is synchronous): rows read faster than
 * its zip deflates them pile up in memory (220 MB at 100,000 rows, growing). So the renderer
 * waits while the sheet's zip entry holds more than BACKLOG_LIMIT bytes (see zipBacklog).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { finished } from 'node:stream/promises';
import type { Worksheet } from 'exceljs';
import { escapeXlsxText, type XlsxCell } from './xlsx-cells.js';

/** Rows read before the columns are sized (their widths are written before the first row). */
const SAMPLE_ROWS = 1000;
const MIN_WIDTH = 8;
const MAX_WIDTH = 50;
const BACKLOG_LIMIT = 1 << 20;

/**
 * Excel's sheets end at row 1,048,576 (ECMA-376 and Excel's own limit): past it, followers go on
 * in a second sheet ("followers 2") under the same header, and so on. TikTok's depth cap keeps a
 * real export far below it; the simulator or a future API may not.
 */
export const MAX_SHEET_ROWS = 1_048_576;

export async function renderXlsx(partPath: string, outPath: string, options: { maxSheetRows?: number } = {}): Promise<void> {
  const maxSheetRows = options.maxSheetRows ?? MAX_SHEET_ROWS;
  // Loaded here, not at start-up, and only its streaming writer, not the whole of exceljs (its
  // readers, CSV and zip-reading libraries): 17 MB of RSS instead of 28 MB, measured.
  const WorkbookWriter = createRequire(import.meta.url)('exceljs/lib/stream/xlsx/workbook-writer.js') as typeof import('exceljs').stream.xlsx.WorkbookWriter;
  const file = createWriteStream(outPath, { flags: 'w' });
  await once(file, 'open');
  const fileFailed = new Promise<never>((_, reject) => file.once('error', reject));
  fileFailed.catch(() => {});
  try {
    const workbook = new WorkbookWriter({ stream: file, useSharedStrings: false, useStyles: true });
    workbook.creator = 'tkf';
    const lines = partLines(partPath);
    const header = (await lines.next()).value as XlsxCell[] | undefined;
    if (!header) throw new Error(`${partPath} is empty: it has no header row`);
    const sample: XlsxCell[][] = [];
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      sample.push(next.value);
      if (sample.length === SAMPLE_ROWS) break;
    }
    const widths = header.map((_, index) => columnWidth([header, ...sample], index));
    let sheets = 0;
    let sheet!: Worksheet;
    let rows = 0;
    const filters: FilterName[] = [];
    const endSheet = () => {
      const columns = Math.max(1, header.length);
      sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: rows, column: columns } };
      filters.push({ name: '_xlnm._FilterDatabase', localSheetId: sheets - 1, ranges: [`'${sheet.name}'!$A$1:$${columnLetters(columns)}$${rows}`] });
      sheet.commit();
    };
    /** A sheet with the column widths and a bold, frozen header row, with filters. */
    const startSheet = () => {
      sheets++;
      sheet = workbook.addWorksheet(sheets === 1 ? 'followers' : `followers ${sheets}`, {
        views: [{ state: 'frozen', xSplit: 0, ySplit: 1, topLeftCell: 'A2', activeCell: 'A2' }],
      });
      sheet.columns = widths.map((width, index) => ({ key: String(index), width }));
      const headerRow = sheet.addRow(header.map(toCellValue));
      // The whole font, not only bold: a font without a name is drawn in the theme's heading face.
      headerRow.font = { name: 'Calibri', family: 2, scheme: 'minor', size: 11, bold: true };
      headerRow.commit();
      rows = 1;
    };
    const add = async (cells: XlsxCell[]) => {
      if (rows === maxSheetRows) {
        endSheet();
        startSheet();
      }
      sheet.addRow(cells.map(toCellValue)).commit();
      rows++;
      if (rows % 100 === 0) await waitForZip(sheet, fileFailed);
    };
    startSheet();
    for (const cells of sample) await add(cells);
    for await (const cells of lines) await add(cells);
    endSheet();
    nameFilters(workbook, filters);
    await Promise.race([workbook.commit(), fileFailed]);
    await Promise.race([finished(file), fileFailed]);
  } catch (error) {
    file.destroy();
    throw error;
  }
}

interface FilterName {
  name: string;
  localSheetId: number;
  ranges: string[];
}

/**
 * Excel writes a hidden name, `_xlnm._FilterDatabase` local to the sheet, beside each autofilter,
 * and LibreOffice shows no filter without it (checked with 7.4); exceljs's streaming writer leaves
 * it out and its public DefinedNames cannot hold a sheet-local name. So the defined names it
 * writes into workbook.xml are given here (a private field as of exceljs 4.4.0; the renderer's
 * test fails if the name goes missing).
 */
function nameFilters(workbook: object, filters: FilterName[]): void {
  const names = (workbook as { _definedNames?: object })._definedNames;
  if (!names) return;
  Object.defineProperty(names, 'model', { get: () => filters, configurable: true });
}

/** 1 -> A, 26 -> Z, 27 -> AA. */
function columnLetters(column: number): string {
  let letters = '';
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/** The part file's rows, parsed, split on \n bytes (never readline: it also ends lines at U+2028). */
async function* partLines(path: string): AsyncGenerator<XlsxCell[], void> {
  let rest = Buffer.alloc(0);
  let number = 0;
  const parse = (bytes: Buffer): XlsxCell[] => {
    number++;
    try {
      const cells: unknown = JSON.parse(bytes.toString('utf8'));
      if (Array.isArray(cells)) return cells as XlsxCell[];
    } catch {
      // reported below
    }
    throw new Error(`${path} line ${number} is not a row of cells`);
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const bytes = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let end = bytes.indexOf(10); end !== -1; end = bytes.indexOf(10, start)) {
      if (end > start) yield parse(bytes.subarray(start, end));
      start = end + 1;
    }
    // A copy: a slice would keep the whole 1 MiB chunk alive for its last partial line.
    rest = Buffer.from(bytes.subarray(start));
  }
  if (rest.length) yield parse(rest);
}

type CellValue = string | number | boolean | null | { richText: Array<{ text: string }> };

function toCellValue(cell: XlsxCell): CellValue {
  return typeof cell === 'string' ? { richText: [{ text: escapeXlsxText(cell) }] } : cell;
}

/**
 * How many characters wide a column is drawn: its longest line among the header and the first
 * rows, counting East Asian wide characters and emoji twice, within [MIN_WIDTH, MAX_WIDTH].
 */
export function columnWidth(rows: readonly XlsxCell[][], index: number): number {
  let widest = 0;
  for (const row of rows) {
    const cell = row[index];
    if (cell === null || cell === undefined) continue;
    for (const line of String(cell).split('\n')) widest = Math.max(widest, displayWidth(line));
  }
  return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, widest + 2));
}

const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F300}-\u{1FAFF}\u{20000}-\u{3FFFD}]/u;

function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += WIDE.test(char) ? 2 : 1;
  return width;
}

/**
 * Bytes waiting in the sheet's zip entry. exceljs writes a sheet into a StreamBuf that pushes its
 * 64 KiB blocks into archiver's entry stream without looking at write()'s answer, so the one
 * place a backlog shows is that entry stream's buffered length. Not a public API of exceljs
 * (read here as of 4.4.0): test/writers/xlsx-render.test.ts fails if it cannot be found, rather
 * than memory quietly growing after an upgrade.
 */
export function zipBacklog(sheet: Worksheet): number | undefined {
  const entry = (sheet as unknown as { stream?: { pipes?: Array<{ _writableState?: { length?: number } }> } }).stream?.pipes?.[0];
  const length = entry?._writableState?.length;
  return typeof length === 'number' ? length : undefined;
}

async function waitForZip(sheet: Worksheet, fileFailed: Promise<never>): Promise<void> {
  for (let backlog = zipBacklog(sheet); backlog !== undefined && backlog > BACKLOG_LIMIT; backlog = zipBacklog(sheet)) {
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 1)), fileFailed]);
  }
  // Let the zip and the file stream run between batches of rows even when nothing piles up.
  await new Promise((resolve) => setImmediate(resolve));
}
