/**
 * The three passes of tkf diff on small files in a temp dir: who is added, removed, unchanged,
 * for CSV, JSONL and mixed inputs, and what the rows look like in each output format.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createChangeEncoder } from '../../src/diff/change-encoder.js';
import { diffExports } from '../../src/diff/diff-exports.js';
import { openExport, type ExportFormat, type ExportSource } from '../../src/output/export-reader.js';
import { DEFAULT_CSV_FIELDS } from '../../src/writers/fields.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tkf-diff-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileNumber = 0;
/** Writes a file under a fresh name with the given extension; returns its path. */
async function file(extension: string, text: string): Promise<string> {
  const path = join(dir, `f${++fileNumber}.${extension}`);
  await writeFile(path, text);
  return path;
}

/** The diff of two files with the rows it writes (header first), as text. */
async function diff(oldPath: string, newPath: string, format: ExportFormat, formulaGuard = true) {
  const older = await openExport(oldPath);
  const newer = await openExport(newPath);
  // As tkf diff reads CSV files without a manifest: written with the guard (tkf export's default).
  const encoder = createChangeEncoder([older, newer], { format, formulaGuard, bom: false, guardedInputs: new Set([oldPath, newPath]) });
  const chunks: Buffer[] = [encoder.header() ?? Buffer.alloc(0)];
  const counts = await diffExports(older, newer, {
    onChange(change, record, source) {
      chunks.push(encoder.encode(change, record, source));
      return undefined;
    },
  });
  return { counts, text: Buffer.concat(chunks).toString('utf8') };
}

/** Read as Python's csv or Excel would: CR, LF and CRLF outside quotes all end a record. */
const csvRows = (text: string): string[][] => parse(text, { bom: true, record_delimiter: ['\r\n', '\n', '\r'] });
const jsonRows = (text: string) => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

const U1 = '6754915036232582101';
const U2 = '6754915036232582102';
const U3 = '6754915036232582103';
const U4 = '6754915036232582104';
const U5 = '6754915036232582105';
// Two followers both lists end with: with the last shared follower above them, three side by
// side in the same order, the evidence that the newer walk went past the old followers' places
// (reach.ts): these are tests of the diff's formats, not of the reach rule.
const U8 = '6754915036232582108';
const U9 = '6754915036232582109';

/** A follower line as the API writes it; room_id 2^63-1 is past what a double holds. */
const follower = (uid: string, nickname: string) =>
  `{"uid":"${uid}","unique_id":"u${uid.slice(-3)}","nickname":${JSON.stringify(nickname)},"follower_count":12,"room_id":9223372036854775807}`;

describe('CSV inputs', () => {
  const header = 'uid,nickname,signature\r\n';
  test('added, removed and unchanged; rows carry the input columns after change', async () => {
    const tail = `${U8},Hal,x\r\n${U9},Ivy,y\r\n`;
    const older = await file('csv', `${header}${U1},Ann,"hi, there"\r\n${U2},"Bob ""B""","line one\nline two"\r\n${U3},Cy,plain\r\n${tail}`);
    const newer = await file('csv', `${header}${U4},"Dee, the 4th","a\r\nb"\r\n${U2},"Bob ""B""","line one\nline two"\r\n${U3},Cy,plain\r\n${tail}`);
    const { counts, text } = await diff(older, newer, 'csv');
    expect(counts).toEqual({ added: 1, first_seen: 0, removed: 1, beyond_reach: 0, old: 5, new: 5, unchanged: 4 });
    expect(csvRows(text)).toEqual([
      ['change', 'uid', 'nickname', 'signature'],
      ['added', U4, 'Dee, the 4th', 'a\r\nb'],
      ['removed', U1, 'Ann', 'hi, there'],
    ]);
  });

  test('a UTF-8 BOM on either input is not part of the uid column name', async () => {
    const older = await file('csv', `\uFEFF${header}${U1},Ann,x\r\n`);
    const newer = await file('csv', `\uFEFF${header}${U1},Ann,x\r\n${U2},Bob,y\r\n`);
    const { counts, text } = await diff(older, newer, 'csv');
    expect(counts).toEqual({ added: 1, first_seen: 0, removed: 0, beyond_reach: 0, old: 1, new: 2, unchanged: 1 });
    expect(text.startsWith('change,uid,')).toBe(true);
  });

  test('a uid repeated inside a file counts once and is written once', async () => {
    // U4, U8 and U9 side by side in the same order in both: the newer walk went past U1's place (reach.ts).
    const tail = `${U8},Hal,x\r\n${U9},Ivy,y\r\n`;
    const older = await file('csv', `${header}${U1},Ann,x\r\n${U1},Ann,x\r\n${U2},Bob,y\r\n${U4},Dee,w\r\n${tail}`);
    const newer = await file('csv', `${header}${U2},Bob,y\r\n${U3},Cy,z\r\n${U3},Cy,z\r\n${U2},Bob,y\r\n${U4},Dee,w\r\n${tail}`);
    const { counts, text } = await diff(older, newer, 'csv');
    expect(counts).toEqual({ added: 1, first_seen: 0, removed: 1, beyond_reach: 0, old: 5, new: 5, unchanged: 4 });
    expect(csvRows(text).map((row) => row.slice(0, 2))).toEqual([['change', 'uid'], ['added', U3], ['removed', U1]]);
  });

  test('guarded cells pass as read: not guarded twice; negative numbers stay numbers', async () => {
    const older = await file('csv', `${header}`);
    const newer = await file('csv', `${header}${U1},'=SUM(A1),'@brand\r\n${U2},-1,-0.5\r\n${U3},-007,--x\r\n`);
    const { text } = await diff(older, newer, 'csv');
    expect(text).toBe(`change,uid,nickname,signature\r\nadded,${U1},'=SUM(A1),'@brand\r\nadded,${U2},-1,-0.5\r\nadded,${U3},'-007,'--x\r\n`);
  });

  test('an unguarded input is guarded, unless the guard is off', async () => {
    const older = await file('csv', header);
    const newer = await file('csv', `${header}${U1},"=HYPERLINK(""x"")",+1 call\r\n`);
    expect((await diff(older, newer, 'csv')).text).toContain(`added,${U1},"'=HYPERLINK(""x"")",'+1 call\r\n`);
    expect((await diff(older, newer, 'csv', false)).text).toContain(`added,${U1},"=HYPERLINK(""x"")",+1 call\r\n`);
  });

  test('as JSONL: an object of the cells in header order, change first, values as text', async () => {
    const older = await file('csv', 'uid,0,nickname\r\n');
    const newer = await file('csv', `uid,0,nickname\r\n${U1},zero,"An, n"\r\n`);
    const { text } = await diff(older, newer, 'jsonl');
    expect(text).toBe(`{"change":"added","uid":"${U1}","0":"zero","nickname":"An, n"}\n`);
  });

  test('two CSV inputs with different columns cannot share one header', async () => {
    const older = await file('csv', 'uid,nickname,region\r\n');
    const newer = await file('csv', 'uid,nickname,language\r\n');
    await expect(diff(older, newer, 'csv')).rejects.toThrow(/have different columns \(.*f\d+\.csv lacks region; .*f\d+\.csv adds language\)/);
    const reordered = await file('csv', 'nickname,uid,region\r\n');
    await expect(diff(older, reordered, 'csv')).rejects.toThrow(/the same names in another order/);
    // JSONL rows have no shared header: the same inputs diff fine.
    expect((await diff(older, newer, 'jsonl')).counts.added).toBe(0);
  });
});

describe('JSONL inputs', () => {
  test('rows keep the follower bytes after the change key: 19-digit numbers exact', async () => {
    const tail = `${follower(U8, 'Hal')}\n${follower(U9, 'Ivy')}\n`;
    const older = await file('jsonl', `${follower(U1, 'Ann')}\n${follower(U2, 'Bob')}\n${follower(U4, 'Dee')}\n${tail}`);
    const newer = await file('ndjson', `${follower(U3, '李 "3"')}\r\n${follower(U2, 'Bob')}\r\n\r\n${follower(U4, 'Dee')}\r\n${tail}`);
    const { counts, text } = await diff(older, newer, 'jsonl');
    expect(counts).toEqual({ added: 1, first_seen: 0, removed: 1, beyond_reach: 0, old: 5, new: 5, unchanged: 4 });
    expect(text).toBe(`{"change":"added",${follower(U3, '李 "3"').slice(1)}\n{"change":"removed",${follower(U1, 'Ann').slice(1)}\n`);
    expect(text).toContain('"room_id":9223372036854775807');
    expect(Object.keys(jsonRows(text)[0]!)[0]).toBe('change');
  });

  test('as CSV: the default export columns, computed as tkf export computes them', async () => {
    const older = await file('jsonl', '');
    const newer = await file('jsonl', `\uFEFF${follower(U1, '=cmd')}\n`);
    const rows = csvRows((await diff(older, newer, 'csv')).text);
    expect(rows[0]).toEqual(['change', ...DEFAULT_CSV_FIELDS]);
    const row = Object.fromEntries(rows[0]!.map((name, index) => [name, rows[1]![index]]));
    expect(row).toMatchObject({ change: 'added', uid: U1, nickname: "'=cmd", profile_url: 'https://www.tiktok.com/@u101', follower_count: '12' });
  });

  test('as CSV: a bare LF or CR in a nickname or bio is quoted, one row per follower', async () => {
    const older = await file('csv', 'uid,nickname,signature\r\n');
    const newer = await file('csv', `uid,nickname,signature\r\n${U1},"lf\nonly","cr\ronly"\r\n`);
    expect((await diff(older, newer, 'csv')).text).toBe(`change,uid,nickname,signature\r\nadded,${U1},"lf\nonly","cr\ronly"\r\n`);
    const fromJson = await file('jsonl', `${follower(U2, 'two\nlines')}\n${follower(U3, 'cr\rhere')}\n`);
    const rows = csvRows((await diff(await file('jsonl', ''), fromJson, 'csv')).text);
    const nickname = rows[0]!.indexOf('nickname');
    expect(rows.map((row) => row.length)).toEqual([16, 16, 16]);
    expect(rows.slice(1).map((row) => row[nickname])).toEqual(['two\nlines', 'cr\rhere']);
  });

  test('duplicates count once', async () => {
    const older = await file('jsonl', `${follower(U1, 'a')}\n${follower(U1, 'a')}\n`);
    const newer = await file('jsonl', `${follower(U2, 'b')}\n${follower(U2, 'b')}\n${follower(U1, 'a')}\n`);
    const { counts, text } = await diff(older, newer, 'jsonl');
    expect(counts).toEqual({ added: 1, first_seen: 0, removed: 0, beyond_reach: 0, old: 1, new: 2, unchanged: 1 });
    expect(jsonRows(text).map((row) => row.uid)).toEqual([U2]);
  });
});

describe('mixed inputs', () => {
  test('CSV old, JSONL new: CSV rows in the CSV input columns, JSONL followers picked by them', async () => {
    const older = await file('csv', `uid,nickname,follower_count\r\n${U1},Ann,5\r\n${U2},Bob,6\r\n${U3},Cy,7\r\n${U8},Hal,8\r\n${U9},Ivy,9\r\n`);
    const newer = await file('jsonl', `${follower(U4, 'Dee, "D"')}\n${follower(U2, 'Bob')}\n${follower(U3, 'Cy')}\n${follower(U8, 'Hal')}\n${follower(U9, 'Ivy')}\n`);
    const { counts, text } = await diff(older, newer, 'csv');
    expect(counts).toEqual({ added: 1, first_seen: 0, removed: 1, beyond_reach: 0, old: 5, new: 5, unchanged: 4 });
    expect(csvRows(text)).toEqual([
      ['change', 'uid', 'nickname', 'follower_count'],
      ['added', U4, 'Dee, "D"', '12'],
      ['removed', U1, 'Ann', '5'],
    ]);
  });

  test('JSONL old, CSV new, JSONL out', async () => {
    const older = await file('jsonl', `${follower(U1, 'Ann')}\n${follower(U5, 'Eve')}\n${follower(U2, 'Bob')}\n${follower(U8, 'Hal')}\n`);
    const newer = await file('csv', `uid,nickname\r\n${U3},Cy\r\n${U5},Eve\r\n${U2},Bob\r\n${U8},Hal\r\n`);
    const { text } = await diff(older, newer, 'jsonl');
    expect(text).toBe(`{"change":"added","uid":"${U3}","nickname":"Cy"}\n{"change":"removed",${follower(U1, 'Ann').slice(1)}\n`);
  });

  test("CSV old, JSONL new, JSONL out: the columns the API gives as numbers are numbers in every row (digits as they are; an empty one left out), the rest text", async () => {
    const older = await file('csv', `uid,nickname,follower_count,verification_type\r\n${U1},007,12345678901234567890,\r\n${U5},Eve,5,1\r\n${U2},Bob,6,0\r\n${U8},Hal,8,0\r\n`);
    const newer = await file('jsonl', `${follower(U3, 'Cy')}\n${follower(U5, 'Eve')}\n${follower(U2, 'Bob')}\n${follower(U8, 'Hal')}\n`);
    const { text } = await diff(older, newer, 'jsonl');
    expect(text).toBe(`{"change":"added",${follower(U3, 'Cy').slice(1)}\n{"change":"removed","uid":"${U1}","nickname":"007","follower_count":12345678901234567890}\n`);
    expect(jsonRows(text).map((row) => typeof row.follower_count)).toEqual(['number', 'number']);
  });
});

describe('passes', () => {
  async function sources(): Promise<[ExportSource, ExportSource]> {
    const older = await file('csv', `uid\r\n${U1}\r\n${U2}\r\n${U5}\r\n${U8}\r\n`);
    const newer = await file('csv', `uid\r\n${U3}\r\n${U4}\r\n${U2}\r\n${U5}\r\n${U8}\r\n`);
    return [await openExport(older), await openExport(newer)];
  }

  test('without onChange, <old> is read once and the counts are the same', async () => {
    const [older, newer] = await sources();
    let passes = 0;
    const counted = { ...older, records: () => (passes++, older.records()) };
    expect(await diffExports(counted, newer)).toEqual({ added: 2, first_seen: 0, removed: 1, beyond_reach: 0, old: 4, new: 5, unchanged: 3 });
    expect(passes).toBe(1);
  });

  test('an aborted signal stops with its reason', async () => {
    const [older, newer] = await sources();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(diffExports(older, newer, { signal: controller.signal })).rejects.toThrow('stop');
  });
});
