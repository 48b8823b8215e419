/**
 * An export read back for `tkf diff`: its format (from the extension), its CSV header, and its
 * records streamed one at a time, each with its uid. `records()` starts a fresh pass over the file
 * each time it is called; memory holds one record, never the file.
 *
 * What it reads is what src/writers/ writes:
 *   CSV    a header row with a `uid` column, RFC 4180 quoting (commas, quotes and line breaks in
 *          nicknames and bios), an optional UTF-8 BOM (--bom). Cells may carry the formula guard's
 *          leading ' ; a uid never does, since uids are digits and the guard leaves those alone.
 *   JSONL  one follower object a line with a "uid" string of digits (19 of them today); blank
 *          lines are skipped.
 * Anything else is a UsageError (exit 2) naming the file and, for a bad record, its line.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse as parseCsv, type Info } from 'csv-parse';
import { LosslessNumber, parse as parseLossless } from 'lossless-json';
import { TkfError, UsageError } from '../errors.js';
import { formatForPath } from '../writers/index.js';

export type ExportFormat = 'csv' | 'jsonl';

export type ExportRecord =
  /** `cells`: as read (quoting undone, nothing else), in the order of the header. */
  | { kind: 'csv'; uid: string; line: number; cells: string[] }
  /** `json`: the line's text, the follower object as written (only the BOM and outer blanks trimmed). */
  | { kind: 'jsonl'; uid: string; line: number; json: string };

export interface ExportSource {
  path: string;
  format: ExportFormat;
  /** CSV: the column names of the header row. */
  columns: string[] | undefined;
  records(): AsyncGenerator<ExportRecord>;
}

const UID = /^\d+$/;

export async function openExport(path: string): Promise<ExportSource> {
  if (path === '-') throw new UsageError('tkf diff reads files, not stdin: it reads <old> twice');
  const format = formatForPath(path)?.name;
  if (format === 'xlsx') {
    throw new UsageError(`tkf diff compares .csv and .jsonl exports, not .xlsx workbooks (${path}); export to .jsonl or .csv for diff`);
  }
  if (format !== 'csv' && format !== 'jsonl') {
    throw new UsageError(`cannot tell the format of ${path}: tkf diff reads exports named .csv, .jsonl or .ndjson`);
  }
  await checkReadable(path);
  if (format === 'jsonl') return { path, format, columns: undefined, records: () => jsonlRecords(path) };
  const columns = await readCsvHeader(path);
  const uidIndex = columns.indexOf('uid');
  if (uidIndex === -1) {
    throw new UsageError(`${path} has no uid column: tkf diff matches followers by uid (export with uid among --fields)`);
  }
  return { path, format, columns, records: () => csvRecords(path, columns, uidIndex) };
}

/** Opening the file once up front turns a missing or unreadable input into one clear line. */
async function checkReadable(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
    if ((await handle.stat()).isDirectory()) throw new UsageError(`${path} is a directory, not an export`);
  } catch (error) {
    throw readError(error, path);
  } finally {
    await handle?.close();
  }
}

function readError(error: unknown, path: string): Error {
  if (error instanceof TkfError) return error;
  // csv-parse's messages name the line: "Invalid Record Length: expect 15, got 14 on line 7".
  if (error instanceof CsvError) return new UsageError(`${path} is not a CSV tkf diff can read: ${error.message}`);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
  return new UsageError(`cannot read ${path}: ${reason}`);
}

type CsvRow = { record: string[]; info: Info };

/** csv-parse over a file through pipeline, so an error of the file stream ends the loop too. */
async function* csvRows(path: string): AsyncGenerator<CsvRow> {
  const source = createReadStream(path);
  // skip_empty_lines: a blank line is not a follower; relax_column_count stays off, so a row with
  // more or fewer cells than the header is an error instead of a shifted column.
  const parser = parseCsv({ bom: true, info: true, skip_empty_lines: true });
  pipeline(source, parser).catch(() => {}); // its errors reach the loop below through the parser
  try {
    yield* parser as AsyncIterable<CsvRow>;
  } catch (error) {
    throw readError(error, path);
  } finally {
    parser.destroy();
    source.destroy();
  }
}

async function readCsvHeader(path: string): Promise<string[]> {
  for await (const { record } of csvRows(path)) return record;
  throw new UsageError(`${path} is empty: a tkf CSV export starts with a header row`);
}

async function* csvRecords(path: string, columns: string[], uidIndex: number): AsyncGenerator<ExportRecord> {
  let first = true;
  let endLine = 0;
  let emptyLines = 0;
  for await (const { record, info } of csvRows(path)) {
    // info.lines is the line a record ends on; a record starts after the previous one and any
    // blank lines skipped in between (a record may span lines: line breaks in quoted cells).
    const line = endLine + 1 + (info.empty_lines - emptyLines);
    endLine = info.lines;
    emptyLines = info.empty_lines;
    if (first) {
      first = false;
      if (record.join('\n') !== columns.join('\n')) throw new UsageError(`${path} changed while tkf diff was reading it`);
      continue;
    }
    yield { kind: 'csv', uid: checkUid(record[uidIndex], path, line), line, cells: record };
  }
}

async function* jsonlRecords(path: string): AsyncGenerator<ExportRecord> {
  const input = createReadStream(path);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let number = 0;
  try {
    for await (const raw of lines) {
      number++;
      const json = (number === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
      if (!json) continue;
      yield { kind: 'jsonl', uid: jsonUid(json, path, number), line: number, json };
    }
  } catch (error) {
    throw readError(error, path);
  } finally {
    lines.close();
    input.destroy();
  }
}

/** The "uid" of a follower line, as text. JSON.parse for the common case, a string uid. */
function jsonUid(json: string, path: string, line: number): string {
  let follower: unknown;
  try {
    follower = JSON.parse(json);
  } catch {
    throw new UsageError(`${path} line ${line} is not JSON: a tkf JSONL export has one follower object a line`);
  }
  if (follower === null || typeof follower !== 'object' || Array.isArray(follower)) {
    throw new UsageError(`${path} line ${line} is not a JSON object: a tkf JSONL export has one follower object a line`);
  }
  let uid = (follower as { uid?: unknown }).uid;
  // A uid written as a number would come back from JSON.parse rounded to another user's id
  // (19 digits exceed 2^53): read that line again keeping the digits.
  if (typeof uid === 'number') {
    const exact = (parseLossless(json) as { uid?: unknown }).uid;
    uid = exact instanceof LosslessNumber ? exact.value : undefined;
  }
  if (typeof uid !== 'string') {
    throw new UsageError(`${path} line ${line} has no "uid" field: tkf diff matches followers by uid`);
  }
  return checkUid(uid, path, line);
}

function checkUid(uid: string | undefined, path: string, line: number): string {
  if (uid === undefined || uid === '') throw new UsageError(`${path} line ${line} has an empty uid`);
  if (!UID.test(uid)) {
    const shown = uid.length > 30 ? `${uid.slice(0, 30)}...` : uid;
    throw new UsageError(`${path} line ${line} has the uid "${shown}", which is not a number (uids are digits)`);
  }
  return uid;
}
