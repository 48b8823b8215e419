/**
 * Reading exports back for tkf diff: formats by extension, uids kept as text, and one clear
 * UsageError (exit 2) naming the file and line for anything that is not a tkf export.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openExport, type ExportRecord } from '../../src/diff/export-source.js';
import { EXIT, UsageError } from '../../src/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tkf-diff-source-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function read(path: string): Promise<ExportRecord[]> {
  const records: ExportRecord[] = [];
  for await (const record of (await openExport(path)).records()) records.push(record);
  return records;
}

/** Expects a UsageError (exit 2) whose message matches. */
async function expectUsage(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UsageError);
  expect((error as UsageError).exitCode).toBe(EXIT.usage);
  expect((error as Error).message).toMatch(message);
}

describe('CSV', () => {
  test('records with their uid, cells and starting line; quoted line breaks and blank lines counted', async () => {
    const path = await file('a.csv', '\uFEFFnickname,uid\r\n"two\nlines",6754915036232582101\r\n\r\n"x, y",0000000000000000007\r\n');
    const source = await openExport(path);
    expect(source.format).toBe('csv');
    expect(source.columns).toEqual(['nickname', 'uid']);
    expect(await read(path)).toEqual([
      { kind: 'csv', uid: '6754915036232582101', line: 2, cells: ['two\nlines', '6754915036232582101'] },
      { kind: 'csv', uid: '0000000000000000007', line: 5, cells: ['x, y', '0000000000000000007'] },
    ]);
  });

  test('records() can run again (a second pass)', async () => {
    const source = await openExport(await file('again.csv', 'uid\n1\n2\n'));
    for (let pass = 0; pass < 2; pass++) {
      const uids: string[] = [];
      for await (const record of source.records()) uids.push(record.uid);
      expect(uids).toEqual(['1', '2']);
    }
  });

  test('no uid column', async () => {
    await expectUsage(openExport(await file('nouid.csv', 'user,nickname\r\n1,a\r\n')), /nouid\.csv has no uid column/);
  });

  test('an empty file has no header', async () => {
    await expectUsage(openExport(await file('empty.csv', '')), /empty\.csv is empty/);
  });

  test('a row with another number of cells names the line', async () => {
    await expectUsage(read(await file('short.csv', 'uid,nickname\r\n1,a\r\n2\r\n')), /short\.csv is not a CSV .* line 3/);
  });

  test('a uid that is empty or not digits names the line', async () => {
    await expectUsage(read(await file('emptyuid.csv', 'uid,n\r\n1,a\r\n,b\r\n')), /emptyuid\.csv line 3 has an empty uid/);
    await expectUsage(read(await file('textuid.csv', 'uid,n\r\n@someone,b\r\n')), /textuid\.csv line 2 has the uid "@someone", which is not a number/);
  });
});

describe('JSONL', () => {
  test('each line as written, uid as text; blank lines, CRLF and a BOM are fine', async () => {
    const line = '{"uid":"6754915036232582101","room_id":9223372036854775807}';
    const path = await file('a.ndjson', `\uFEFF${line}\r\n\r\n  ${line}  \n`);
    expect((await openExport(path)).format).toBe('jsonl');
    expect(await read(path)).toEqual([
      { kind: 'jsonl', uid: '6754915036232582101', line: 1, json: line },
      { kind: 'jsonl', uid: '6754915036232582101', line: 3, json: line },
    ]);
  });

  test('a uid written as a number keeps all its digits', async () => {
    const records = await read(await file('number.jsonl', '{"uid":6754915036232582149}\n'));
    expect(records[0]!.uid).toBe('6754915036232582149');
  });

  test('a line that is not JSON, not an object, or without a uid names the line', async () => {
    await expectUsage(read(await file('broken.jsonl', '{"uid":"1"}\n{"uid":"2"\n')), /broken\.jsonl line 2 is not JSON/);
    await expectUsage(read(await file('array.jsonl', '["1"]\n')), /array\.jsonl line 1 is not a JSON object/);
    await expectUsage(read(await file('nouid.jsonl', '{"uid":"1"}\n\n{"id":"2"}\n')), /nouid\.jsonl line 3 has no "uid" field/);
    await expectUsage(read(await file('baduid.jsonl', '{"uid":"1e5"}\n')), /baduid\.jsonl line 1 has the uid "1e5"/);
  });
});

describe('files', () => {
  test('a missing file, a directory, stdin and an unknown extension are usage errors', async () => {
    await expectUsage(openExport(join(dir, 'missing.csv')), /cannot read .*missing\.csv: no such file/);
    await mkdir(join(dir, 'folder.jsonl'));
    await expectUsage(openExport(join(dir, 'folder.jsonl')), /folder\.jsonl is a directory/);
    await expectUsage(openExport('-'), /not stdin/);
    await expectUsage(openExport(await file('a.txt', 'uid\n1\n')), /cannot tell the format of .*a\.txt/);
  });
});
