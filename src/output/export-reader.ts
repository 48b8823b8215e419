/**
 * The one reader of tkf's exports, for every command that reads a file back: `tkf diff` (each
 * follower with its uid) and `--update` (the uids already in the file, readExportedUids). An
 * export's format comes from its extension (or is given), its CSV header is read up front, and its
 * records stream one at a time; `records()` starts a fresh pass over the file each time it is
 * called. Memory holds one record, never the file.
 *
 * What it reads is what src/writers/ writes:
 *   CSV    a header row with a `uid` column, RFC 4180 quoting (commas, quotes and line breaks in
 *          nicknames and bios), an optional UTF-8 BOM (--bom). Cells may carry the formula guard's
 *          leading ' ; a uid never does, since uids are digits and the guard leaves those alone.
 *          csv-parse takes the record delimiter from the header line, so a file written before
 *          tkf quoted bare line feeds (`\r\n` records with an unquoted `\n` in a bio) reads too.
 *   JSONL  one follower object a line with a "uid" (a string of digits, 19 today; a JSON number
 *          is read as its exact digits, never rounded to a double). Lines end at `\n` bytes and
 *          nowhere else: not with node:readline, which on Node 24+ also ends a line at U+2028, a
 *          character nicknames hold. A `\r` before the `\n`, a BOM and blank lines are accepted.
 * Both are UTF-8: bytes that are not (a file a spreadsheet saved as Windows-1252) are refused with
 * their line, not read as U+FFFD into reports, diffs and the history.
 * Anything else is a UsageError (exit 2) naming the file and, for a bad record, its line.
 */
import { UID_PATTERN } from '../api/list-facts.js';
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse as parseCsv, type Info } from 'csv-parse';
import { LosslessNumber, parse as parseLossless } from 'lossless-json';
import { TkfError, UsageError } from '../errors.js';
import { byteLines } from '../byte-lines.js';
import { formatForPath } from '../writers/index.js';
import { describeReadError } from './fs-errors.js';

export type ExportFormat = 'csv' | 'jsonl';

export type ExportRecord =
  /** `cells`: as read (quoting undone, nothing else), in the order of the header. */
  | { kind: 'csv'; uid: string; line: number; cells: string[] }
  /**
   * `json`: the line's text, the follower object as written (only the BOM and outer blanks trimmed).
   * `follower`: that text through JSON.parse (read once for the uid; tkf report reads its fields),
   * so numbers past 2^53 in it are rounded: take exact digits from `json`.
   */
  | { kind: 'jsonl'; uid: string; line: number; json: string; follower: Record<string, unknown> };

export interface ExportSource {
  path: string;
  format: ExportFormat;
  /** CSV: the column names of the header row. */
  columns: string[] | undefined;
  records(): AsyncGenerator<ExportRecord>;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The format tkf reads `path` back in (`format` overrides the extension), or why it cannot: said
 * before anything else of the file is looked at (an .xlsx beside its manifest is refused as an
 * .xlsx, not as a file its manifest does not describe).
 */
export function readBackFormat(path: string, format?: string): 'csv' | 'jsonl' {
  // tkf diff reads <old> twice, and stdin cannot be read twice.
  if (path === '-') throw new UsageError('tkf reads exports from files, not stdin: it reads a file more than once');
  const chosen = format ?? formatForPath(path)?.name;
  if (chosen === undefined) {
    throw new UsageError(`cannot tell the format of ${path}: tkf reads back exports named .csv, .jsonl or .ndjson`);
  }
  if (chosen !== 'csv' && chosen !== 'jsonl') {
    throw new UsageError(`cannot read back ${path} (${chosen}): diff, report, history import and --update read .csv and .jsonl exports only`);
  }
  return chosen;
}

/** Opens an export; `format` overrides the extension (`--update` knows the format it wrote). */
export async function openExport(path: string, format?: string): Promise<ExportSource> {
  const chosen = readBackFormat(path, format);
  await checkReadable(path);
  if (chosen === 'jsonl') return { path, format: chosen, columns: undefined, records: () => jsonlRecords(path) };
  const columns = await readCsvHeader(path);
  // Wherever it stands (history changes --fields puts it where it is named): no export has one.
  if (columns.includes('change')) throw changeRows(path, columns[0] === 'change' ? 'its header leads with a change column' : 'its header has a change column');
  // A column named twice (a hand-joined file): which of the two a reader takes is a guess, and
  // `uid,uid` matched followers by the first while its rows could say another.
  const twice = columns.find((name, i) => columns.indexOf(name) !== i);
  if (twice !== undefined) throw new UsageError(`${path} names the column ${JSON.stringify(twice)} twice in its header: not a tkf export`);
  const uidIndex = columns.indexOf('uid');
  if (uidIndex === -1) {
    // A spreadsheet's CSV in a locale whose separator is ';' (or a tab-separated file): one column.
    const separator = columns.length === 1 ? [';', '\t'].find((mark) => columns[0]!.split(mark).includes('uid')) : undefined;
    const why = separator ? `its header is separated by ${separator === ';' ? 'semicolons' : 'tabs'}, and tkf reads comma-separated CSV, as it writes it (save it as "CSV UTF-8 (comma delimited)")` : 'tkf matches followers by uid (export with uid among --fields)';
    throw new UsageError(`${path} has no uid column: ${why}`);
  }
  return { path, format: chosen, columns, records: () => csvRecords(path, columns, uidIndex) };
}

/** Opening the file once up front turns a missing or unreadable input into one clear line. */
async function checkReadable(path: string): Promise<void> {
  let handle;
  try {
    // Looked at before it is opened: opening a named pipe waits for a writer, for ever, on a
    // thread that Ctrl-C and SIGTERM then wait for too; one with a writer is read once only.
    const info = await stat(path);
    if (info.isDirectory()) throw new UsageError(`${path} is a directory, not an export`);
    if (!info.isFile()) {
      const kind = info.isFIFO() ? 'a pipe' : info.isSocket() ? 'a socket' : 'a device';
      throw new UsageError(`${path} is ${kind}, not an export file: tkf reads an export more than once`);
    }
    handle = await open(path, 'r');
  } catch (error) {
    throw readError(error, path);
  } finally {
    await handle?.close();
  }
}

function readError(error: unknown, path: string): Error {
  if (error instanceof TkfError) return error;
  // csv-parse's messages name the line: "Invalid Record Length: expect 15, got 14 on line 7".
  if (error instanceof CsvError) return new UsageError(`${path} is not a CSV tkf can read: ${error.message}`);
  return new UsageError(`cannot read ${path}: ${describeReadError(error, false)}`);
}

type CsvRow = { record: string[]; info: Info };

/** csv-parse over a file through pipeline, so an error of the file stream ends the loop too. */
async function* csvRows(path: string): AsyncGenerator<CsvRow> {
  const source = createReadStream(path);
  // skip_empty_lines: a blank line is not a follower; relax_column_count stays off, so a row with
  // more or fewer cells than the header is an error instead of a shifted column.
  const parser = parseCsv({ bom: true, info: true, skip_empty_lines: true });
  pipeline(source, utf8Lines(path), parser).catch(() => {}); // its errors reach the loop below through the parser
  try {
    yield* parser as AsyncIterable<CsvRow>;
  } catch (error) {
    throw readError(error, path);
  } finally {
    parser.destroy();
    source.destroy();
  }
}

function notUtf8(path: string, line: number): UsageError {
  return new UsageError(`${path} line ${line} is not UTF-8 text, as tkf's exports are (saved in another encoding, as a spreadsheet's plain "CSV" is?): save it as UTF-8 ("CSV UTF-8")`);
}

/**
 * Passes a file's bytes on as they are, once each line is known to be UTF-8 (a line feed is never
 * inside a multi-byte character, so lines are checked whole); else fails with notUtf8. A line is
 * checked when its end arrives: the bytes before it may already be on their way. The bytes of a
 * line not yet ended wait as a list of chunks (joined once); past LONG_LINE (a file of CR line
 * ends has no line feed at all) they are checked as they come, through a streaming decoder.
 */
function utf8Lines(path: string): Transform {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let long: TextDecoder | undefined;
  let line = 1;
  const check = (bytes: Buffer): void => {
    const valid = isUtf8(bytes);
    for (let from = 0; ; ) {
      const end = bytes.indexOf(10, from);
      if (!valid && !isUtf8(bytes.subarray(from, end === -1 ? bytes.length : end))) throw notUtf8(path, line);
      if (end === -1) return;
      line++;
      from = end + 1;
    }
  };
  /** More of the line not yet ended; `ends`: this is its end. */
  const more = (bytes: Buffer, ends: boolean): void => {
    if (!long && pendingBytes + bytes.length <= LONG_LINE) {
      if (!ends) {
        pending.push(bytes);
        pendingBytes += bytes.length;
        return;
      }
      check(pending.length ? Buffer.concat([...pending, bytes]) : bytes);
    } else {
      try {
        long ??= new TextDecoder('utf-8', { fatal: true });
        for (const chunk of pending) long.decode(chunk, { stream: true });
        long.decode(bytes, { stream: !ends });
      } catch {
        throw notUtf8(path, line);
      }
      if (ends) long = undefined;
    }
    pending = [];
    pendingBytes = 0;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      try {
        const first = chunk.indexOf(10);
        if (first === -1) more(chunk, false);
        else {
          more(chunk.subarray(0, first), true);
          line++;
          const last = chunk.lastIndexOf(10);
          if (last > first) {
            check(chunk.subarray(first + 1, last));
            line++;
          }
          more(chunk.subarray(last + 1), false);
        }
      } catch (error) {
        done(error as Error);
        return;
      }
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      try {
        more(Buffer.alloc(0), true);
      } catch (error) {
        done(error as Error);
        return;
      }
      done();
    },
  });
}

/** Bytes of one line held back whole before they are checked as they come (utf8Lines). */
const LONG_LINE = 1024 * 1024;

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
      if (record.join('\n') !== columns.join('\n')) throw new UsageError(`${path} changed while tkf was reading it`);
      continue;
    }
    yield { kind: 'csv', uid: checkUid(record[uidIndex], path, line), line, cells: record };
  }
}

/** Blanks around a line as JSON defines them (not String.trim, which also takes U+2028 and U+FEFF). */
const OUTER_BLANKS = /^[ \t\r]+|[ \t\r]+$/g;
const isBlank = (code: number | undefined) => code === 0x20 || code === 0x09 || code === 0x0d;

/** The non-blank lines of a JSONL file: their bytes, their text without outer blanks, their number (from 1). */
async function* jsonlTexts(path: string): AsyncGenerator<{ bytes: Buffer; json: string; number: number }> {
  let number = 0;
  for await (let bytes of byteLines(path)) {
    number++;
    if (number === 1 && bytes.subarray(0, 3).equals(UTF8_BOM)) bytes = bytes.subarray(3);
    if (!isUtf8(bytes)) throw notUtf8(path, number);
    // The regex only where a blank is at either end: on a 4 kB line it costs as much as a read.
    const text = bytes.toString('utf8');
    const json = isBlank(bytes[0]) || isBlank(bytes[bytes.length - 1]) ? text.replace(OUTER_BLANKS, '') : text;
    if (json) yield { bytes, json, number };
  }
}

/**
 * The kinds of row tkf diff and tkf history changes write, in their leading `change` column (the
 * change encoder's Change type is made of this list).
 */
export const CHANGE_KINDS = ['added', 'first_seen', 'removed', 'beyond_reach'] as const;
const CHANGE_KIND_SET: ReadonlySet<string> = new Set(CHANGE_KINDS);

/**
 * The rows of tkf diff or tkf history changes are no export: recorded, reported or compared, their
 * removed and beyond-reach followers would count as followers. A CSV of them is told by its
 * header (rows or none), a JSONL one by its first row.
 */
function changeRows(path: string, why: string): UsageError {
  return new UsageError(`${path} holds the rows of tkf diff or tkf history changes (${why}), not an export`);
}

async function* jsonlRecords(path: string): AsyncGenerator<ExportRecord> {
  try {
    let first = true;
    for await (const { json, number } of jsonlTexts(path)) {
      const follower = parseFollower(json, path, number);
      if (first && typeof follower.change === 'string' && CHANGE_KIND_SET.has(follower.change)) {
        throw changeRows(path, `a leading change column: ${follower.change}`);
      }
      first = false;
      yield { kind: 'jsonl', uid: jsonUid(follower, json, path, number), line: number, json, follower };
    }
  } catch (error) {
    throw readError(error, path);
  }
}


function parseFollower(json: string, path: string, line: number): Record<string, unknown> {
  let follower: unknown;
  try {
    follower = JSON.parse(json);
  } catch {
    throw new UsageError(`${path} line ${line} is not JSON: a tkf JSONL export has one follower object a line`);
  }
  if (follower === null || typeof follower !== 'object' || Array.isArray(follower)) {
    throw new UsageError(`${path} line ${line} is not a JSON object: a tkf JSONL export has one follower object a line`);
  }
  return follower as Record<string, unknown>;
}

/** The "uid" of a follower line, as text: JSON.parse's for the common case, a string uid. */
function jsonUid(follower: Record<string, unknown>, json: string, path: string, line: number): string {
  let uid = (follower as { uid?: unknown }).uid;
  // A uid written as a number would come back from JSON.parse rounded to another user's id
  // (19 digits exceed 2^53): read that line again keeping the digits.
  if (typeof uid === 'number') {
    const exact = (parseLossless(json) as { uid?: unknown }).uid;
    uid = exact instanceof LosslessNumber ? exact.value : undefined;
  }
  if (typeof uid !== 'string') {
    throw new UsageError(`${path} line ${line} has no "uid" field: tkf matches followers by uid`);
  }
  return checkUid(uid, path, line);
}

function checkUid(uid: string | undefined, path: string, line: number): string {
  if (uid === undefined || uid === '') throw new UsageError(`${path} line ${line} has an empty uid`);
  if (!UID_PATTERN.test(uid)) {
    const shown = uid.length > 30 ? `${uid.slice(0, 30)}...` : uid;
    const why = /^\d+$/.test(uid) ? `, ${uid.length} digits long: not a TikTok uid (up to 20 digits)` : ', which is not a number (uids are digits)';
    throw new UsageError(`${path} line ${line} has the uid "${shown}"${why}`);
  }
  return uid;
}
