/**
 * Properties: tkf's own reader (src/output/export-reader.ts, used by tkf diff and --update) reads
 * every export tkf writes, and tkf diff's rows read back exactly in strict readers.
 *
 * Hostile followers are exported to a file (CSV or JSONL, --fields or not, BOM on or off), then:
 *   - openExport gives one record per follower, in order, with its uid; a JSONL record's text is
 *     the line written; a CSV record's cells are what csv-parse in strict mode reads;
 *   - readExportedUids gives exactly the uids;
 *   - tkf diff against an empty export of the same shape writes one `added` row per follower,
 *     which JSON.parse / strict csv-parse read back as the export's own values.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parsePage } from '../../src/api/page-parser.js';
import { createChangeEncoder } from '../../src/diff/change-encoder.js';
import { diffExports } from '../../src/diff/diff-exports.js';
import { openExport, type ExportFormat, type ExportRecord } from '../../src/output/export-reader.js';
import { readExportedUids } from '../../src/output/exported-uids.js';
import type { EncoderOptions } from '../../src/writers/index.js';
import { unguardCell } from '../../src/writers/csv.js';
import { CSV_NUMBER_COLUMNS } from '../../src/writers/fields.js';
import { apiPage, encode, modelPage, type EscapeStyle } from './hostile-followers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tkf-reader-property-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const STRICT_CSV = { record_delimiter: ['\r\n', '\n', '\r'], skip_empty_lines: true };

const settings = fc.record({
  format: fc.constantFrom<ExportFormat>('csv', 'jsonl'),
  diffFormat: fc.constantFrom<ExportFormat>('csv', 'jsonl'),
  // uid first or elsewhere; tkf diff and --update need it among the columns.
  fields: fc.option(
    fc.shuffledSubarray(['unique_id', 'nickname', 'signature', 'room_id', 'avatar_larger', 'profile_url'], { minLength: 0 }).chain((rest) =>
      fc.integer({ min: 0, max: rest.length }).map((at) => [...rest.slice(0, at), 'uid', ...rest.slice(at)]),
    ),
    { nil: undefined },
  ),
  bom: fc.boolean(),
  formulaGuard: fc.boolean(),
  style: fc.constantFrom<EscapeStyle>('minimal', 'ascii'),
});

async function writeExport(path: string, format: ExportFormat, body: Buffer | undefined, options: EncoderOptions): Promise<Buffer> {
  const bytes = await encode(format, body ? parsePage(body).followers! : [], options);
  await writeFile(path, bytes);
  return bytes;
}

async function all(records: AsyncIterable<ExportRecord>): Promise<ExportRecord[]> {
  const list: ExportRecord[] = [];
  for await (const record of records) list.push(record);
  return list;
}

let run = 0;

test('property: exports read back through the one reader, and tkf diff rows read back strictly', async () => {
  await fc.assert(
    fc.asyncProperty(modelPage, settings, async (followers, { format, diffFormat, fields, bom, formulaGuard, style }) => {
      // A JSONL --fields export has dotted keys, not follower objects: tkf diff's CSV would find
      // no default columns in it, so that pairing writes JSONL rows.
      const rowsFormat = format === 'jsonl' && fields ? 'jsonl' : diffFormat;
      const options = { fields, bom, formulaGuard };
      const path = join(dir, `export-${++run}.${format}`);
      const emptyPath = join(dir, `empty-${run}.${format}`);
      const bytes = await writeExport(path, format, apiPage(followers, style), options);
      await writeExport(emptyPath, format, undefined, options);
      const uids = followers.map((follower) => follower.uid);

      const source = await openExport(path);
      const records = await all(source.records());
      expect(records.map((record) => record.uid)).toEqual(uids);
      let values: Array<Record<string, unknown>>;
      if (format === 'jsonl') {
        const lines = bytes.toString('utf8').split('\n').slice(0, -1);
        expect(records.map((record) => (record.kind === 'jsonl' ? record.json : undefined))).toEqual(lines);
        values = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      } else {
        const rows = parseCsv(bytes, { ...STRICT_CSV, bom }) as string[][];
        expect(source.columns).toEqual(rows[0]);
        expect(records.map((record) => (record.kind === 'csv' ? record.cells : undefined))).toEqual(rows.slice(1));
        values = rows.slice(1).map((row) => Object.fromEntries(rows[0]!.map((name, index) => [name, row[index]])));
      }
      expect([...(await readExportedUids(path, format))]).toEqual(uids);

      const older = await openExport(emptyPath);
      // As tkf diff reads them: a CSV written with the guard has it taken off, then its own put back.
      const encoder = createChangeEncoder([older, source], { format: rowsFormat, formulaGuard, bom, guardedInputs: formulaGuard ? new Set([path]) : new Set<string>() });
      const chunks: Buffer[] = [encoder.header() ?? Buffer.alloc(0)];
      const counts = await diffExports(older, source, {
        onChange(change, record, from) {
          chunks.push(encoder.encode(change, record, from));
          return undefined;
        },
      });
      expect(counts).toEqual({ added: followers.length, first_seen: 0, removed: 0, beyond_reach: 0, old: 0, new: followers.length, unchanged: 0 });
      const diffBytes = Buffer.concat(chunks);
      if (rowsFormat === 'jsonl') {
        const lines = diffBytes.toString('utf8').split('\n');
        expect(lines.pop()).toBe('');
        // A guarded CSV's cells as the text the API sent: the guard's quote off (JSONL rows are not guarded).
        const unguarded = format === 'csv' && formulaGuard ? values.map((value) => Object.fromEntries(Object.entries(value).map(([key, cell]) => [key, unguardCell(String(cell))]))) : values;
        // A CSV's cells of the columns the API gives as numbers are numbers again; empty, left out.
        const sent =
          format === 'csv'
            ? unguarded.map((value) =>
                Object.fromEntries(
                  Object.entries(value)
                    .filter(([key, cell]) => !(CSV_NUMBER_COLUMNS.has(key) && cell === ''))
                    .map(([key, cell]) => [key, CSV_NUMBER_COLUMNS.has(key) && /^-?(0|[1-9]\d*)$/.test(String(cell)) ? Number(cell) : cell]),
                ),
              )
            : unguarded;
        expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(sent.map((value) => ({ change: 'added', ...value })));
      } else if (format === 'csv') {
        // The export's cells, formula guard included, after the change cell.
        const rows = parseCsv(diffBytes, { ...STRICT_CSV, bom }) as string[][];
        expect(rows).toEqual([['change', ...source.columns!], ...(parseCsv(bytes, { ...STRICT_CSV, bom }) as string[][]).slice(1).map((row) => ['added', ...row])]);
      } else {
        // JSONL in, CSV out: the row `tkf export` writes for the follower, after the change cell.
        const csvPath = join(dir, `as-csv-${run}.csv`);
        const exported = await writeExport(csvPath, 'csv', apiPage(followers, style), { fields: undefined, bom: false, formulaGuard });
        const expected = parseCsv(exported, STRICT_CSV) as string[][];
        const rows = parseCsv(diffBytes, { ...STRICT_CSV, bom }) as string[][];
        expect(rows).toEqual(expected.map((row, index) => [index === 0 ? 'change' : 'added', ...row]));
        await rm(csvPath);
      }
      await rm(path);
      await rm(emptyPath);
    }),
    {
      numRuns: 100,
      examples: [
        // Found by a fresh-clone run: a nickname "-9", guarded by the export ("'-9"), was typed back
        // as the number -9 by tkf diff's CSV rows, which then left it unguarded.
        [
          [{ uid: '1000000000000000000', unique_id: '.', nickname: '-9', signature: '', follower_count: 0, is_star: false, region: null, avatar_larger: { uri: '', url_list: [] } }],
          { format: 'csv', diffFormat: 'csv', fields: undefined, bom: false, formulaGuard: true, style: 'minimal' },
        ] as never,
      ],
    },
  );
});
