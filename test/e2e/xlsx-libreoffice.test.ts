/**
 * The workbook tkf writes, opened by LibreOffice (a reader that is not ours and not a library):
 * `soffice --headless --convert-to csv` and to flat ODS, compared with what went in. Typed cells
 * (ids as exact text, counts as numbers, booleans), every string exactly (line breaks, CR,
 * leading spaces, a literal _x0041_, text starting with =) and the filter. (The frozen header
 * is a view setting, which a headless conversion does not keep: xlsx-render.test.ts reads it.)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawFollower } from '../../src/api/types.js';
import { getFormat } from '../../src/writers/index.js';
import { renderXlsx } from '../../src/writers/xlsx-render.js';
import { findSoffice } from '../helpers/libreoffice.js';
import { externalReaders } from '../helpers/node-independent.js';
import { withTempDir } from '../helpers/temp-dir.js';

// Not on the second and third Node of scripts/test-node-versions.sh (see node-independent.ts).
const soffice = externalReaders.run ? findSoffice() : { missing: externalReaders.why };

const follower = (object: Record<string, unknown>): RawFollower => ({ uid: String(object.uid), bytes: Buffer.from(JSON.stringify(object)), hasLongNumbers: false });

/** Renders followers as an export does (part file, then workbook) into dir/f.xlsx. */
async function workbook(dir: string, followers: RawFollower[], fields: string[]): Promise<string> {
  const encoder = getFormat('xlsx').createEncoder({ fields, bom: false, formulaGuard: true });
  const part = join(dir, 'f.xlsx.part');
  await writeFile(part, Buffer.concat([encoder.header()!, ...followers.map((f) => encoder.encode(f))]));
  const out = join(dir, 'f.xlsx');
  await renderXlsx(part, out);
  return out;
}

/**
 * soffice --convert-to, with a profile of this file's own: parallel runs must not share one, and
 * the tests of this file, one after another, reuse it (creating it is most of soffice's start).
 */
let profile: string;
beforeAll(async () => {
  profile = await mkdtemp(join(tmpdir(), 'tkf-soffice-'));
});
afterAll(async () => {
  await rm(profile, { recursive: true, force: true });
});
async function convert(dir: string, file: string, to: string): Promise<void> {
  const path = (soffice as { path: string }).path;
  await promisify(execFile)(path, [`-env:UserInstallation=file://${profile}`, '--headless', '--convert-to', to, '--outdir', dir, file], {
    // soffice's start is heavy: on a 2-core machine under a load average of 20 it took over 2 min.
    timeout: 300_000,
    env: { ...process.env, HOME: profile },
  });
}

describe.skipIf('missing' in soffice)(`LibreOffice reads the workbook back${'missing' in soffice ? ` (${soffice.missing})` : ''}`, () => {
  it('as CSV: every value exact, ids as text, counts as numbers, booleans', async () => {
    await withTempDir(async (dir) => {
      const texts = [' lead', 'trail ', 'a\nb', 'a\r\nb', 'cr\rhere', '\tTab', '=1+1', '_x0041_ stays', '_x1e_X', '中文 😀', 'عربي', '"quoted", <&>', ''];
      const followers = texts.map((signature, i) =>
        follower({ uid: `68197817656979551${String(i).padStart(2, '0')}`, nickname: `n${i}`, signature, follower_count: i * 1000, is_verified: i % 2 === 0 }),
      );
      const out = await workbook(dir, followers, ['uid', 'nickname', 'signature', 'follower_count', 'is_verified']);
      // Comma, double quote, UTF-8 (76), from row 1; the cells as shown (true: "TRUE").
      await convert(dir, out, 'csv:Text - txt - csv (StarCalc):44,34,76,1');
      const rows = parse(await readFile(join(dir, 'f.csv')), { relaxQuotes: false }) as string[][];
      expect(rows[0]).toEqual(['uid', 'nickname', 'signature', 'follower_count', 'is_verified']);
      // LibreOffice holds a cell's lines as paragraphs and joins them with LF: CR LF (a line break
      // either way) reads back as LF there, while a lone CR, decoded from _x000D_, stays.
      const asLibreOffice = (text: string) => text.replace(/\r\n/g, '\n');
      expect(rows.slice(1)).toEqual(
        texts.map((text, i) => [`68197817656979551${String(i).padStart(2, '0')}`, `n${i}`, asLibreOffice(text), String(i * 1000), i % 2 === 0 ? 'TRUE' : 'FALSE']),
      );
    });
  }, 600_000);

  it('as a spreadsheet: a filter over every row, ids text and counts numbers', async () => {
    await withTempDir(async (dir) => {
      const out = await workbook(dir, [follower({ uid: '6819781765697955134', follower_count: 12 }), follower({ uid: '7', follower_count: 3 })], ['uid', 'follower_count']);
      await convert(dir, out, 'fods');
      const fods = await readFile(join(dir, 'f.fods'), 'utf8');
      // The autofilter, as LibreOffice keeps it: a database range with filter buttons over A1:B3.
      expect(fods).toMatch(/<table:database-range [^>]*table:target-range-address="'?followers'?\.A1:'?followers'?\.B3"[^>]*table:display-filter-buttons="true"/);
      expect(fods).toMatch(/office:value-type="string"[^>]*>\s*<text:p>6819781765697955134<\/text:p>/);
      expect(fods).toMatch(/office:value-type="float" office:value="12"/);
    });
  }, 600_000);
});
