/**
 * xlsx workbooks read back by an independent reader (test/helpers/read-xlsx.ts: fflate's unzip and
 * the strict XML parser saxes), not the code that writes them. Cell types and exact values, over
 * generated hostile strings and numbers.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RawFollower } from '../../src/api/types.js';
import { DEFAULT_CSV_FIELDS } from '../../src/writers/fields.js';
import { getFormat } from '../../src/writers/index.js';
import { renderXlsx } from '../../src/writers/xlsx-render.js';
import { readXlsx, readXlsxBytes } from '../helpers/read-xlsx.js';

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tkf-xlsx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function follower(object: Record<string, unknown>): RawFollower {
  return { uid: String(object.uid), bytes: Buffer.from(JSON.stringify(object)), hasLongNumbers: false };
}

/** Encodes followers into a part file as an export does, renders it, and reads it back. */
async function roundTrip(followers: RawFollower[], fields?: string[]) {
  const encoder = getFormat('xlsx').createEncoder({ fields, bom: false, formulaGuard: true });
  const part = join(dir, `t${++counter}.xlsx.part`);
  const out = join(dir, `t${counter}.xlsx`);
  await writeFile(part, Buffer.concat([encoder.header()!, ...followers.map((f) => encoder.encode(f))]));
  await renderXlsx(part, out);
  const workbook = readXlsxBytes(await readFile(out));
  const sheet = workbook.sheets[0]!;
  const xml = workbook.xml;
  /** Row r (0 = header), column c: the cell as read back, or undefined when empty. */
  const cell = sheet.cell;
  return { workbook, sheet, cell, xml };
}

describe('an xlsx export read back by an independent reader', () => {
  test('the default columns, one row per follower, ids as exact text and counts as numbers', async () => {
    const { workbook, sheet, cell } = await roundTrip([
      follower({ uid: '6819781765697955134', sec_uid: 'MS4wLjABAAAA', unique_id: 'a', nickname: '中文 😀', signature: 'bio', follower_count: 12, total_favorited: 0 }),
      follower({ uid: '7005153156116071425', nickname: 'عربي', follower_count: 1234567 }),
    ]);
    expect(workbook.sheetNames).toEqual(['followers']);
    expect(sheet.ref).toBe(`A1:O3`);
    expect(DEFAULT_CSV_FIELDS.map((_, c) => cell(0, c)?.v)).toEqual([...DEFAULT_CSV_FIELDS]);
    expect(cell(1, 0)).toMatchObject({ t: 's', v: '6819781765697955134' });
    expect(cell(2, 0)).toMatchObject({ t: 's', v: '7005153156116071425' });
    expect(cell(1, 1)).toMatchObject({ t: 's', v: 'MS4wLjABAAAA' });
    expect(cell(1, 3)).toMatchObject({ t: 's', v: '中文 😀' });
    expect(cell(2, 3)).toMatchObject({ t: 's', v: 'عربي' });
    expect(cell(1, 4)).toMatchObject({ t: 's', v: 'https://www.tiktok.com/@a' });
    expect(cell(1, 6)).toMatchObject({ t: 'n', v: 12 });
    expect(cell(2, 6)).toMatchObject({ t: 'n', v: 1234567 });
    expect(cell(1, 9)).toMatchObject({ t: 'n', v: 0 });
    expect(cell(2, 5)).toBeUndefined(); // no signature: an empty cell
  });

  test('a bold, frozen header row, an autofilter over every row, widths within bounds', async () => {
    const { workbook, sheet, xml } = await roundTrip(
      [follower({ uid: '1', nickname: 'x'.repeat(200) }), follower({ uid: '2', nickname: '中文中文中文中文中文' })],
      ['uid', 'nickname', 'follower_count'],
    );
    expect(sheet.autofilter).toBe('A1:C3');
    // LibreOffice needs the sheet-local hidden name Excel writes beside a filter to show it.
    expect(workbook.names).toEqual([expect.objectContaining({ name: '_xlnm._FilterDatabase', sheet: 0, ref: "'followers'!$A$1:$C$3", hidden: true })]);
    const widths = sheet.widths;
    expect(widths).toHaveLength(3);
    expect(widths[1]).toBe(50); // capped
    expect(widths[0]).toBeGreaterThanOrEqual(8);
    const sheetXml = xml('xl/worksheets/sheet1.xml');
    expect(sheetXml).toMatch(/<pane ySplit="1" topLeftCell="A2" [^>]*state="frozen"\/>/);
    // The header's cells carry a style whose font is bold.
    const style = Number(/<c r="A1" s="(\d+)"/.exec(sheetXml)![1]);
    const stylesXml = xml('xl/styles.xml');
    const fonts = [...stylesXml.match(/<fonts[^>]*>([\s\S]*?)<\/fonts>/)![1]!.matchAll(/<font>([\s\S]*?)<\/font>/g)].map((m) => m[1]!);
    const xfs = [...stylesXml.match(/<cellXfs[^>]*>([\s\S]*?)<\/cellXfs>/)![1]!.matchAll(/<xf [^>]*fontId="(\d+)"/g)].map((m) => Number(m[1]));
    expect(fonts[xfs[style]!]).toContain('<b/>');
    expect(fonts[xfs[style]!]).toContain('<name val="Calibri"/>');
    expect(/<c r="A2" s="(\d+)"/.exec(sheetXml)).toBeNull(); // data rows are not bold
  });

  test('whitespace and line breaks are kept exactly, with xml:space="preserve"', async () => {
    const texts = ['\n', ' lead', 'trail ', '\tTab\t', 'a\r\nb\rc\nd', '  ', '\r', 'x\u2028y'];
    const { cell, xml } = await roundTrip(texts.map((signature, i) => follower({ uid: String(i + 1), signature })), ['uid', 'signature']);
    texts.forEach((text, i) => expect(cell(i + 1, 1)).toMatchObject({ t: 's', v: text }));
    expect(xml('xl/worksheets/sheet1.xml')).toContain('<t xml:space="preserve"> lead</t>');
  });

  test('a string starting with = is a text cell, never a formula', async () => {
    const { cell, xml } = await roundTrip([follower({ uid: '1', nickname: '=HYPERLINK("http://x","y")', signature: '=1+1' })], ['nickname', 'signature']);
    expect(cell(1, 0)).toMatchObject({ t: 's', v: '=HYPERLINK("http://x","y")' });
    expect(cell(1, 1)).toMatchObject({ t: 's', v: '=1+1' });
    expect(xml('xl/worksheets/sheet1.xml')).not.toContain('<f>');
  });

  test('room_id, 19 digits as a JSON number, is exact text; empty and boolean cells', async () => {
    const bytes = Buffer.from('{"uid":"1","room_id":7300000000000000001,"is_live":true,"nickname":""}');
    const { cell } = await roundTrip([{ uid: '1', bytes, hasLongNumbers: true }], ['room_id', 'is_live', 'nickname', 'missing']);
    expect(cell(1, 0)).toMatchObject({ t: 's', v: '7300000000000000001' });
    expect(cell(1, 1)).toMatchObject({ t: 'b', v: true });
    expect(cell(1, 2)?.v ?? '').toBe('');
    expect(cell(1, 3)).toBeUndefined();
  });

  test('a header-only part file (no followers) is a workbook with the header row', async () => {
    const { sheet, cell } = await roundTrip([], ['uid', 'nickname']);
    expect(sheet.ref).toBe('A1:B1');
    expect(cell(0, 1)).toMatchObject({ t: 's', v: 'nickname' });
  });
});

/**
 * The text of every <t> element of a sheet as a strict XML 1.0 reader sees it (saxes: it refuses
 * characters XML cannot hold and turns CR and CR LF into LF, as Excel's and LibreOffice's XML
 * readers do, where SheetJS's lenient reader does not), then with OOXML's _xHHHH_ escapes undone.
 */
function strictTexts(xml: string): string[] {
  const parser = new SaxesParser();
  const texts: string[] = [];
  let current: string | undefined;
  parser.on('error', (error) => {
    throw error;
  });
  parser.on('opentag', (tag) => {
    if (tag.name === 't') current = '';
  });
  parser.on('text', (text) => {
    if (current !== undefined) current += text;
  });
  parser.on('closetag', (tag) => {
    if (tag.name !== 't') return;
    texts.push(current!.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))));
    current = undefined;
  });
  parser.write(xml).close();
  return texts;
}

/** Strings built from what breaks writers: controls, CR/LF, surrogate halves, _xHHHH_, markup. */
const hostileString = fc
  .array(
    fc.oneof(
      fc.constantFrom('\r', '\n', '\r\n', '\t', ' ', '=', '+', '-', '@', '_x0041_', '_x005F_', '_x00', '_x1e_', '_', 'x', '\u2028', '\u2029', '\0', '\x7F', '\x1B',
        '\uD800', '\uDC00', '\uFFFE', '\uFFFF', '\uFEFF', '\u200D', '\u202E', '中', '😀', '"', "'", '<', '>', '&', ']]>', '&amp;', '\u00A0', '\u3000'),
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

describe('properties (fast-check), read back by an independent reader', () => {
  test('every string comes back exactly, as a text cell', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileString, { minLength: 1, maxLength: 40 }), async (texts) => {
        const { cell, xml } = await roundTrip(texts.map((nickname, i) => follower({ uid: String(i + 1), nickname })), ['uid', 'nickname']);
        expect(strictTexts(xml('xl/worksheets/sheet1.xml'))).toEqual(['uid', 'nickname', ...texts.flatMap((text, i) => [String(i + 1), text])]);
        texts.forEach((text, i) => {
          const read = cell(i + 1, 1);
          // An empty inline string and an empty cell both mean "".
          if (text === '') expect(read?.v ?? '').toBe('');
          else expect(read).toMatchObject({ t: 's', v: text });
        });
      }),
      { numRuns: 40 },
    );
  });

  test('integers: number cells up to 15 digits, exact text beyond, always text in an id column', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: -999n, max: 999n })), { minLength: 1, maxLength: 40 }),
        async (numbers) => {
          const raw = numbers.map((n, i): RawFollower => ({ uid: String(i), bytes: Buffer.from(`{"uid":"${i}","count":${n},"room_id":${n}}`), hasLongNumbers: true }));
          const { cell } = await roundTrip(raw, ['count', 'room_id']);
          numbers.forEach((n, i) => {
            const digits = String(n < 0n ? -n : n).length;
            if (digits > 15) expect(cell(i + 1, 0)).toMatchObject({ t: 's', v: String(n) });
            else expect(cell(i + 1, 0)).toMatchObject({ t: 'n', v: Number(n) });
            expect(cell(i + 1, 1)).toMatchObject({ t: 's', v: String(n) });
          });
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('the renderer', () => {
  test('a write failure (a full disk) rejects instead of hanging', async () => {
    const part = join(dir, 'full.xlsx.part');
    const encoder = getFormat('xlsx').createEncoder({ fields: undefined, bom: false, formulaGuard: false });
    await writeFile(part, Buffer.concat([encoder.header()!, ...Array.from({ length: 3000 }, (_, i) => encoder.encode(follower({ uid: String(i), signature: `bio ${i} `.repeat(30) })))]));
    await expect(renderXlsx(part, '/dev/full')).rejects.toMatchObject({ code: 'ENOSPC' });
  });

  test('past the rows a sheet can hold, followers go on in the next sheet under the same header', async () => {
    const part = join(dir, 'sheets.xlsx.part');
    const encoder = getFormat('xlsx').createEncoder({ fields: ['uid', 'follower_count'], bom: false, formulaGuard: false });
    await writeFile(part, Buffer.concat([encoder.header()!, ...Array.from({ length: 7 }, (_, i) => encoder.encode(follower({ uid: String(100 + i), follower_count: i })))]));
    const out = join(dir, 'sheets.xlsx');
    await renderXlsx(part, out, { maxSheetRows: 3 });
    const workbook = await readXlsx(out);
    expect(workbook.sheetNames).toEqual(['followers', 'followers 2', 'followers 3', 'followers 4']);
    const rows = workbook.sheets.map((sheet) => sheet.rows.map((row) => row.map((cell) => cell?.v)));
    expect(rows).toEqual([
      [['uid', 'follower_count'], ['100', 0], ['101', 1]],
      [['uid', 'follower_count'], ['102', 2], ['103', 3]],
      [['uid', 'follower_count'], ['104', 4], ['105', 5]],
      [['uid', 'follower_count'], ['106', 6]],
    ]);
    expect(workbook.sheets.map((sheet) => sheet.autofilter)).toEqual(['A1:B3', 'A1:B3', 'A1:B3', 'A1:B2']);
    expect(workbook.names.map((name) => [name.sheet, name.ref])).toEqual([
      [0, "'followers'!$A$1:$B$3"],
      [1, "'followers 2'!$A$1:$B$3"],
      [2, "'followers 3'!$A$1:$B$3"],
      [3, "'followers 4'!$A$1:$B$2"],
    ]);
  });

  test('a part file line that is not a row of cells is an error naming the line', async () => {
    const part = join(dir, 'bad.xlsx.part');
    await writeFile(part, '["uid"]\n["1"]\n{"uid":"2"}\n');
    await expect(renderXlsx(part, join(dir, 'bad.xlsx'))).rejects.toThrow(/bad\.xlsx\.part line 3 is not a row of cells/);
  });
});
