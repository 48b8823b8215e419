/**
 * jsonlLinesWritten: the uid and text of each line of a JSONL export tkf wrote, read without
 * parsing each line whole (what `tkf export --db` records). It must give what the full reader
 * gives for every line it takes the fast way, and fall back to the full reading (and its
 * errors) for any line it cannot be sure of.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { jsonlLinesWritten, openExport } from '../../src/output/export-reader.js';
import { UsageError } from '../../src/errors.js';
import { useTempDir } from '../helpers/temp-dir.js';

const dir = useTempDir('tkf-jsonl-written-');

async function lines(path: string) {
  const out: Array<{ uid: string; line: number; json: string }> = [];
  for await (const line of jsonlLinesWritten(path)) out.push(line);
  return out;
}

test('the same uids, lines and texts as the full reader: uid not first, a sec_uid beside it, a numeric uid, blanks and a BOM', async () => {
  const path = join(dir.path, 'a.jsonl');
  await writeFile(
    path,
    [
      '\uFEFF{"nickname":"a \\"uid\\":\\"1\\"","sec_uid":"MS4w","uid":"7257126701364466524","unique_id":"a"}',
      '',
      '  {"uid" : "0000000000000000007", "avatar":{"uri":"x"}}\r',
      '{"uid":7257126701364466525,"nickname":"number"}',
      '{"owner":{"uid":"1"},"uid":"6754915036232582149"}',
    ].join('\n') + '\n',
  );
  const full = [];
  for await (const record of (await openExport(path)).records()) full.push({ uid: record.uid, line: record.line, json: record.kind === 'jsonl' ? record.json : '' });
  expect(await lines(path)).toEqual(full);
  expect(full.map((r) => r.uid)).toEqual(['7257126701364466524', '0000000000000000007', '7257126701364466525', '6754915036232582149']);
});

test('a line that is not a follower object is the full reader\'s error', async () => {
  const path = join(dir.path, 'b.jsonl');
  await writeFile(path, '{"uid":"1"}\n{"nickname":"no uid"}\n');
  const error = await lines(path).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UsageError);
  expect((error as Error).message).toMatch(/line 2 has no "uid" field/);
});
