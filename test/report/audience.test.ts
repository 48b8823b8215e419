/**
 * The report's aggregates, in process, on small exports whose counts are worked out by hand
 * (audience-files.ts): JSONL, the default CSV columns, a --fields CSV that lacks most fields, the
 * manifest's profile count, and the top 20's order.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { renderHtml } from '../../src/report/render-html.js';
import { renderText } from '../../src/report/render-text.js';
import { summarizeExport } from '../../src/report/summarize-export.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { SEVEN, follower, writeCsv, writeJsonl } from './audience-files.js';

const dir = useTempDir('tkf-report-');

const EXPECTED = {
  followers: 7,
  on_profile: null,
  account: null,
  by_region: { US: 3, BR: 1, CN: 1, JP: 1, unknown: 1 },
  by_language: { en: 3, unknown: 2, ja: 1, pt: 1 },
  verified: 2,
  tiers: { '0': 1, '1-99': 1, '100-999': 1, '1k-9.9k': 1, '10k-99.9k': 1, '100k+': 2 },
  activity: { no_videos: 3, following_far_more: 2, empty_profile: 1 },
  inactive: 2,
  left_out: [],
};
const TOP_UIDS = ['7100000000000000003', '7100000000000000006', '7100000000000000007', '7100000000000000005', '7100000000000000004', '7100000000000000002', '7100000000000000001'];

describe('summarizeExport', () => {
  test('a JSONL export: every section, counted by the rules', async () => {
    const report = await summarizeExport(await writeJsonl(join(dir.path, 'f.jsonl'), SEVEN));
    expect(report).toMatchObject({ ...EXPECTED, format: 'jsonl' });
    // Most first, then by code: the order is part of the answer.
    expect(Object.keys(report.by_region!)).toEqual(['US', 'BR', 'CN', 'JP', 'unknown']);
    expect(report.top!.map((entry) => entry.uid)).toEqual(TOP_UIDS);
    expect(report.top![0]).toEqual({ uid: '7100000000000000003', unique_id: 'ccc', nickname: '<script>alert("c")</script>', follower_count: 150_000 });
  });

  test('a CSV export with the default columns gives the same report; the formula guard is undone', async () => {
    const report = await summarizeExport(await writeCsv(join(dir.path, 'f.csv'), SEVEN));
    // The default CSV columns have custom_verify but not enterprise_verify_reason: E is not counted.
    expect(report).toMatchObject({ ...EXPECTED, verified: 1, format: 'csv' });
    expect(report.top!.map((entry) => entry.uid)).toEqual(TOP_UIDS);
    // The CSV cell is '=SUM(A1:A9) (guarded); the report shows the nickname as the API sent it.
    expect(report.top!.find((entry) => entry.unique_id === 'ddd')!.nickname).toBe('=SUM(A1:A9)');
  });

  test('a --fields CSV without region, language or activity columns: those sections are left out with a note', async () => {
    const path = await writeCsv(join(dir.path, 'few.csv'), SEVEN, ['uid', 'nickname', 'follower_count']);
    const report = await summarizeExport(path);
    expect(report).toMatchObject({
      followers: 7,
      by_region: null,
      by_language: null,
      verified: null,
      inactive: null,
      activity: { no_videos: null, following_far_more: null, empty_profile: null },
      tiers: EXPECTED.tiers,
    });
    expect(report.top!.map((entry) => entry.uid)).toEqual(TOP_UIDS);
    expect(report.left_out.join('\n')).toMatch(/regions: the export has no region column/);
    expect(report.left_out.join('\n')).toMatch(/no videos: the export has no aweme_count column/);
    expect(report.left_out.join('\n')).toMatch(/verified: the export has no custom_verify column/);
  });

  test('an empty JSONL export lacks no field (there is no line to lack one); an empty CSV lacks what its header lacks', async () => {
    const path = join(dir.path, 'empty.jsonl');
    await writeFile(path, '');
    const report = await summarizeExport(path);
    expect([report.followers, report.left_out]).toEqual([0, []]);
    expect(Object.values(report.tiers!).every((n) => n === 0)).toBe(true);
    const csv = await summarizeExport(await writeCsv(join(dir.path, 'empty.csv'), [], ['uid', 'region']));
    expect(csv.left_out.join('\n')).toMatch(/follower-count tiers: the export has no follower_count column/);
  });

  test('rows whose follower_count is not a count (-1, text, null, missing) are counted as such, so the tiers add up to the followers; text and page say so', async () => {
    const odd = [-1, 'many', null, undefined].map((count, n) => {
      const row = follower({ uid: `72000000000000000${n + 1}`, follower_count: count });
      if (count === undefined) delete row.follower_count;
      return row;
    });
    for (const path of [await writeJsonl(join(dir.path, 'odd.jsonl'), [...SEVEN, ...odd]), await writeCsv(join(dir.path, 'odd.csv'), [...SEVEN, ...odd])]) {
      const report = await summarizeExport(path);
      expect([path, report.followers, report.tiers]).toEqual([path, 11, { ...EXPECTED.tiers, unknown: 4 }]);
      expect(Object.values(report.tiers!).reduce((sum, n) => sum + n, 0)).toBe(report.followers);
      expect(renderText(report)).toMatch(/^ {2}unknown +4 +36\.4%/m);
      expect(renderHtml(report)).toContain('<title>unknown: 4');
    }
    // None: no such tier.
    expect((await summarizeExport(await writeJsonl(join(dir.path, 'seven.jsonl'), SEVEN))).tiers).not.toHaveProperty('unknown');
  });

  test('without follower_count there are no tiers and no top followers', async () => {
    const report = await summarizeExport(await writeCsv(join(dir.path, 'nocount.csv'), SEVEN, ['uid', 'region']));
    expect(report.by_region).toEqual(EXPECTED.by_region);
    expect(report.tiers).toBeNull();
    expect(report.top).toBeNull();
    expect(report.left_out.join('\n')).toMatch(/follower-count tiers: the export has no follower_count column/);
  });

  test('the manifest beside a finished export gives the account and the profile count', async () => {
    const path = await writeJsonl(join(dir.path, 'm.jsonl'), SEVEN);
    const manifest = {
      version: 1,
      tool: 'tkf',
      options: { uid: '6754915036232582149', format: 'jsonl', fields: null, bom: false, formulaGuard: true },
      cursor: null,
      end: 'cap',
      rows: 7,
      bytes: 1,
      uidsBytes: 0,
      requests: 1,
      duplicates: 0,
      total: 8_229_668,
      updated: '2026-12-01T00:00:00.000Z',
    };
    await writeFile(`${path}.tkf.json`, JSON.stringify(manifest));
    expect(await summarizeExport(path)).toMatchObject({ account: '6754915036232582149', on_profile: 8_229_668, followers: 7 });
  });

  test('the top 20: most first, a tie keeps the follower met first, the rest dropped', async () => {
    const many = Array.from({ length: 45 }, (_, i) =>
      follower({ uid: `72000000000000000${String(i).padStart(2, '0')}`, unique_id: `u${i}`, follower_count: (i * 37) % 23 }),
    );
    const report = await summarizeExport(await writeJsonl(join(dir.path, 'many.jsonl'), many));
    const expected = many
      .map((f, index) => ({ uid: f.uid as string, count: f.follower_count as number, index }))
      .sort((a, b) => b.count - a.count || a.index - b.index)
      .slice(0, 20);
    expect(report.top!.map((entry) => [entry.uid, entry.follower_count])).toEqual(expected.map((entry) => [entry.uid, entry.count]));
  });

  test('an empty export is a report of 0 followers, not an error', async () => {
    const report = await summarizeExport(await writeJsonl(join(dir.path, 'empty.jsonl'), []));
    expect(report.followers).toBe(0);
    expect(report.top).toBeNull(); // no line held follower_count: nothing says the export has it
  });
});
