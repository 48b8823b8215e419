/**
 * The one reader of exports (tkf diff, --update): formats by extension or given, uids kept as
 * exact text, lines split at \n only, and one clear UsageError (exit 2) naming the file and line
 * for anything that is not a tkf export.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { openExport, type ExportRecord } from '../../src/output/export-reader.js';
import { EXIT, UsageError } from '../../src/errors.js';
import { useTempDir } from '../helpers/temp-dir.js';

const dir = useTempDir('tkf-export-reader-');

async function file(name: string, text: string): Promise<string> {
  const path = join(dir.path, name);
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
    await expectUsage(openExport(await file('nouid.csv', 'user,nickname\r\n1,a\r\n')), /nouid\.csv has no uid column: tkf matches followers by uid/);
    // A spreadsheet's semicolons (a European locale's CSV) or tabs: said as such.
    await expectUsage(openExport(await file('semi.csv', 'uid;nickname\r\n1;Lopez, Mia\r\n')), /semi\.csv has no uid column: its header is separated by semicolons, and tkf reads comma-separated CSV/);
    await expectUsage(openExport(await file('tabs.csv', 'nickname\tuid\r\na\t1\r\n')), /tabs\.csv has no uid column: its header is separated by tabs/);
  });

  test('an empty file has no header', async () => {
    await expectUsage(openExport(await file('empty.csv', '')), /empty\.csv is empty/);
  });

  test('bytes that are not UTF-8 (a spreadsheet saved as Windows-1252) are refused with their line, not read as U+FFFD', async () => {
    const latin1 = async (name: string, text: string) => {
      const path = join(dir.path, name);
      await writeFile(path, Buffer.from(text, 'latin1'));
      return path;
    };
    await expectUsage(read(await latin1('latin1.csv', 'uid,nickname\r\n1,Ana\r\n2,"Jos\u00e9\nsecond"\r\n3,x\r\n')), /latin1\.csv line 3 is not UTF-8 text.*save it as UTF-8/);
    await expectUsage(read(await latin1('latin1.jsonl', '{"uid":"1"}\n\n{"uid":"2","nickname":"Jos\u00e9"}\n')), /latin1\.jsonl line 3 is not UTF-8 text/);
    // The last line, with no line feed after it; and a first line longer than a read chunk.
    await expectUsage(read(await latin1('tail.csv', 'uid,nickname\r\n1,Jos\u00e9')), /tail\.csv line 2 is not UTF-8/);
    await expectUsage(read(await latin1('long.csv', `uid,nickname\r\n1,${'a'.repeat(200_000)}\u00e9\r\n`)), /long\.csv line 2 is not UTF-8/);
    // A line past the bytes held back whole (1 MiB: a file of CR line ends has no line feed) is
    // checked as it comes: valid with characters split across chunks, refused with its line when not.
    const huge = '成功🦊'.repeat(120_000);
    expect((await read(await file('huge.csv', `uid,nickname\r\n1,${huge}\r\n`))).map((r) => r.kind === 'csv' && r.cells[1] === huge)).toEqual([true]);
    await expectUsage(read(await latin1('hugebad.csv', `uid,nickname\r\n1,${'a'.repeat(1_500_000)}\u00e9\r\n`)), /hugebad\.csv line 2 is not UTF-8/);
    await expectUsage(read(await latin1('cr.csv', `uid,nickname\r${Array.from({ length: 100_000 }, (_, k) => `${k},a`).join('\r')}\r5,Jos\u00e9\r`)), /cr\.csv line 1 is not UTF-8/);
    // Characters split across read chunks are UTF-8 all the same.
    const bio = '成功🦊'.repeat(30_000);
    expect((await read(await file('wide.csv', `uid,nickname\r\n1,${bio}\r\n2,${bio}\r\n`))).map((r) => r.kind === 'csv' && r.cells[1] === bio)).toEqual([true, true]);
  });

  test('a row with another number of cells names the line', async () => {
    await expectUsage(read(await file('short.csv', 'uid,nickname\r\n1,a\r\n2\r\n')), /short\.csv is not a CSV .* line 3/);
  });

  test('a uid that is empty or not digits names the line', async () => {
    await expectUsage(read(await file('emptyuid.csv', 'uid,n\r\n1,a\r\n,b\r\n')), /emptyuid\.csv line 3 has an empty uid/);
    await expectUsage(read(await file('textuid.csv', 'uid,n\r\n@someone,b\r\n')), /textuid\.csv line 2 has the uid "@someone", which is not a number/);
  });

  test('a uid longer than any TikTok uid names the line (as --uid refuses it)', async () => {
    const long = '12345678901234567890123';
    await expectUsage(read(await file('longuid.csv', `uid,n\r\n6754915036232582101,a\r\n${long},b\r\n`)), /longuid\.csv line 3 has the uid "12345678901234567890123", 23 digits long: not a TikTok uid/);
    await expectUsage(read(await file('longuid.jsonl', `{"uid":"${long}"}\n`)), /longuid\.jsonl line 1 has the uid .*23 digits long/);
    // 20 digits, the most --uid takes, is read.
    expect((await read(await file('uid20.csv', 'uid\r\n12345678901234567890\r\n'))).map((r) => r.uid)).toEqual(['12345678901234567890']);
  });

  test('a header that names a column twice is refused before any row is read', async () => {
    await expectUsage(openExport(await file('twice.csv', 'uid,nickname,uid\r\n1,a,2\r\n')), /twice\.csv names the column "uid" twice in its header/);
    await expectUsage(openExport(await file('twice2.csv', 'nickname,uid,nickname\r\n')), /names the column "nickname" twice/);
  });
});

describe('JSONL', () => {
  test('each line as written, uid as text; blank lines, CRLF and a BOM are fine', async () => {
    const line = '{"uid":"6754915036232582101","room_id":9223372036854775807}';
    const path = await file('a.ndjson', `\uFEFF${line}\r\n\r\n  ${line}  \n`);
    expect((await openExport(path)).format).toBe('jsonl');
    expect(await read(path)).toEqual([
      { kind: 'jsonl', uid: '6754915036232582101', line: 1, json: line, follower: JSON.parse(line) },
      { kind: 'jsonl', uid: '6754915036232582101', line: 3, json: line, follower: JSON.parse(line) },
    ]);
  });

  test('a uid written as a number keeps all its digits', async () => {
    // 6754915036232582149 is not a double: Number() of it gives ...2582000 (another user).
    const records = await read(await file('number.jsonl', '{"uid":6754915036232582149}\n{"n":1,"uid":9223372036854775807}\n'));
    expect(records.map((record) => record.uid)).toEqual(['6754915036232582149', '9223372036854775807']);
  });

  test('lines end at \\n only: U+2028, U+2029 and U+0085 inside a nickname stay in it', async () => {
    // Written raw, as JSON allows: JSON.stringify leaves U+2028/U+2029 unescaped.
    const nicknames = ['a\u2028b', 'c\u2029d', 'e\u0085f', '\u2028', 'x\u000by\u000cz'];
    const lines = nicknames.map((nickname, i) => JSON.stringify({ uid: `675491503623258210${i}`, nickname }));
    const records = await read(await file('separators.jsonl', `${lines.join('\n')}\n`));
    expect(records.map((record) => record.line)).toEqual([1, 2, 3, 4, 5]);
    expect(records.map((record) => (record.kind === 'jsonl' ? record.json : ''))).toEqual(lines);
  });

  test('a line longer than a read chunk, with multi-byte characters across chunk ends, reads whole', async () => {
    const bio = '成功🦊\u2028'.repeat(40_000); // ~400 KB of UTF-8: several 64 KiB chunks
    const line = JSON.stringify({ uid: '6754915036232582101', signature: bio });
    const records = await read(await file('long.jsonl', `${line}\n${line}`)); // no final \n either
    expect(records).toEqual([
      { kind: 'jsonl', uid: '6754915036232582101', line: 1, json: line, follower: JSON.parse(line) },
      { kind: 'jsonl', uid: '6754915036232582101', line: 2, json: line, follower: JSON.parse(line) },
    ]);
  });

  test('a BOM or blank before a JSON object is taken off; U+FEFF inside a string is kept', async () => {
    const line = '{"uid":"1","nickname":"\uFEFF zero width"}';
    const records = await read(await file('bom.jsonl', `\uFEFF${line}\n\t${line}\r\n`));
    expect(records.map((record) => (record.kind === 'jsonl' ? record.json : ''))).toEqual([line, line]);
  });

  test('the format can be given: an .txt file read as JSONL or CSV', async () => {
    const path = await file('given.txt', '{"uid":"5"}\n');
    expect((await openExport(path, 'jsonl')).format).toBe('jsonl');
    const csv = await file('given2.txt', 'uid\r\n6\r\n');
    expect((await openExport(csv, 'csv')).columns).toEqual(['uid']);
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
    await expectUsage(openExport(join(dir.path, 'missing.csv')), /cannot read .*missing\.csv: no such file/);
    await mkdir(join(dir.path, 'folder.jsonl'));
    await expectUsage(openExport(join(dir.path, 'folder.jsonl')), /folder\.jsonl is a directory/);
    await expectUsage(openExport('-'), /not stdin/);
    await expectUsage(openExport(await file('a.txt', 'uid\n1\n')), /cannot tell the format of .*a\.txt/);
    await expectUsage(openExport(await file('b.txt', 'uid\n1\n'), 'xlsx'), /^cannot read back .*b\.txt \(xlsx\): diff, report, history import and --update read \.csv and \.jsonl exports only$/);
  });
});

describe('source', () => {
  // On Node 20 readline does not split at U+2028, so the tests above pass with it there; this
  // keeps it out on every Node (Node 24+ ends lines at U+2028 and refused tkf's own files).
  test('no module in src/ reads lines with node:readline', async () => {
    const root = new URL('../../src/', import.meta.url);
    const files = (await readdir(root, { recursive: true })).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const users: string[] = [];
    for (const name of files) {
      if (/from ['"](node:)?readline(\/promises)?['"]/.test(await readFile(new URL(name, root), 'utf8'))) users.push(name);
    }
    expect(users).toEqual([]);
  });
});
