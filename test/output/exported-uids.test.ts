/**
 * readExportedUids (--update): the uids of an export through the one reader, whatever its text.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { readExportedUids } from '../../src/output/exported-uids.js';
import { useTempDir } from '../helpers/temp-dir.js';

const dir = useTempDir('tkf-exported-uids-');

async function file(name: string, text: string): Promise<string> {
  const path = join(dir.path, name);
  await writeFile(path, text);
  return path;
}

test('JSONL: a U+2028 in a nickname does not end the line (readline on Node 24+ did)', async () => {
  const lines = [
    JSON.stringify({ uid: '6754915036232582101', nickname: 'line\u2028separator' }),
    JSON.stringify({ uid: '6754915036232582102', nickname: 'para\u2029graph', signature: 'nel\u0085' }),
  ];
  const uids = await readExportedUids(await file('u2028.jsonl', `${lines.join('\n')}\n`), 'jsonl');
  expect([...uids]).toEqual(['6754915036232582101', '6754915036232582102']);
});

test('JSONL: a 19-digit numeric uid is read as its exact digits', async () => {
  const uids = await readExportedUids(await file('number.jsonl', '{"uid":6754915036232582149}\n{"uid":"6754915036232582150"}\n'), 'jsonl');
  expect([...uids]).toEqual(['6754915036232582149', '6754915036232582150']);
});

test('a BOM on either format', async () => {
  const jsonl = await file('bom.jsonl', '\uFEFF{"uid":"6754915036232582101"}\r\n{"uid":"6754915036232582102"}\r\n');
  expect([...(await readExportedUids(jsonl, 'jsonl'))]).toEqual(['6754915036232582101', '6754915036232582102']);
  const csv = await file('bom.csv', '\uFEFFuid,nickname\r\n6754915036232582101,"a\nb"\r\n6754915036232582102,"c\u2028d"\r\n');
  expect([...(await readExportedUids(csv, 'csv'))]).toEqual(['6754915036232582101', '6754915036232582102']);
});

test('the format given wins over the extension; other formats are refused', async () => {
  const path = await file('export.out', '{"uid":"7"}\n');
  expect([...(await readExportedUids(path, 'jsonl'))]).toEqual(['7']);
  await expect(readExportedUids(path, 'xlsx')).rejects.toThrow(UsageError);
});

test('a CSV without a uid column and a JSONL line that is not JSON are usage errors', async () => {
  await expect(readExportedUids(await file('nouid.csv', 'nickname\r\nx\r\n'), 'csv')).rejects.toThrow(/has no uid column/);
  await expect(readExportedUids(await file('bad.jsonl', '{"uid":"1"}\n{oops\n'), 'jsonl')).rejects.toThrow(/line 2 is not JSON/);
});
