/**
 * The HTML page as text: every stranger's string escaped, nothing loaded from the network, the
 * numbers of the report in the page's text, a growth series drawn, and a size that does not grow
 * with the export.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AudienceCounter, MAX_CODES, type AudienceReport } from '../../src/report/audience.js';
import type { GrowthPoint } from '../../src/report/growth-chart.js';
import { renderHtml } from '../../src/report/render-html.js';
import { REPORT_FIELDS } from '../../src/report/report-row.js';
import { summarizeExport } from '../../src/report/summarize-export.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { SEVEN, writeJsonl } from './audience-files.js';

const dir = useTempDir('tkf-report-html-');
const NOW = new Date('2026-12-02T06:00:00Z');

/**
 * Every URL the page would fetch by itself: src/href of elements that load (script, link, img,
 * iframe, source, object, embed...), CSS url() and @import, srcset. <a href> is navigation, which
 * a reader chooses, so links to profiles are allowed.
 */
function loadedUrls(html: string): string[] {
  const found: string[] = [];
  for (const match of html.matchAll(/<(?!a\s)(\w+)\b[^>]*\s(?:src|href|data|poster|srcset|xlink:href)\s*=\s*["']?([^"'\s>]+)/gi)) found.push(`${match[1]}: ${match[2]}`);
  for (const match of html.matchAll(/url\(\s*["']?([^"')]+)/gi)) found.push(`url(): ${match[1]}`);
  for (const match of html.matchAll(/@import\s+["']?([^"';\s]+)/gi)) found.push(`@import: ${match[1]}`);
  return found;
}

describe('renderHtml', () => {
  test('the page loads nothing: no src, no stylesheet link, no url(); links go only to TikTok profiles', async () => {
    const html = renderHtml(await summarizeExport(await writeJsonl(join(dir.path, 'f.jsonl'), SEVEN)), { now: NOW });
    expect(loadedUrls(html)).toEqual([]);
    // The only http(s) addresses in the page are the profile links.
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((match) => match[0]);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url).toMatch(/^https:\/\/www\.tiktok\.com\/@[A-Za-z0-9._]+$/);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('@media print');
  });

  test('the checker itself finds a loaded URL (so the test above can fail)', () => {
    expect(loadedUrls('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="http://f.test/a.css"><div style="background:url(https://x.test/i.png)">')).toHaveLength(3);
    expect(loadedUrls('<a href="https://www.tiktok.com/@x">x</a>')).toEqual([]);
  });

  test('nicknames are escaped: a <script> nickname is text, quotes cannot end an attribute; RTL and emoji kept', async () => {
    const html = renderHtml(await summarizeExport(await writeJsonl(join(dir.path, 'f.jsonl'), SEVEN)), { now: NOW });
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;c&quot;)&lt;/script&gt;');
    expect(html).toContain('O&#39;Neil &quot;G&quot;');
    // The right-to-left name, its RLM and the emoji stay as they are, isolated in <bdi>.
    expect(html).toContain('<bdi>محمد علي\u200f</bdi>');
    expect(html).toContain('<bdi>小红书达人 🔥</bdi>');
    // Exactly two scripts, both tkf's own.
    expect(html.match(/<script/g)).toHaveLength(2);
  });

  test('the numbers of the report are in the page text: counts, shares, tiers, top followers', async () => {
    const report = await summarizeExport(await writeJsonl(join(dir.path, 'f.jsonl'), SEVEN));
    const html = renderHtml(report, { now: NOW });
    expect(html).toContain('>US</text>');
    expect(html).toContain('3 · 42.9%'); // US: 3 of 7
    expect(html).toContain('>150,000<'); // the top followers' counts
    expect(html).toContain('href="https://www.tiktok.com/@ccc"');
    expect(html).toContain('28.6%'); // likely inactive: 2 of 7
    // Charts are SVG with text marks; the d3 arc generator drew the ring.
    expect(html).toMatch(/<path class="part" d="M[-\d.,A-Z ]+"/);
  });

  test('a section left out says why, and the page still renders', async () => {
    const report = await summarizeExport(await writeJsonl(join(dir.path, 'few.jsonl'), SEVEN.map((f) => ({ uid: f.uid, follower_count: f.follower_count }))));
    const html = renderHtml(report, { now: NOW });
    expect(html).not.toContain('id="regions"');
    expect(html).toContain('regions: the export has no region column');
    expect(html).toContain('id="tiers"');
  });

  test('followers over time: a line, the beyond-reach band, added and gone per snapshot, all numbers as text', async () => {
    const growth: GrowthPoint[] = [
      { at: '2026-11-28T03:00:00Z', followers: 4_800, on_profile: 8_000, added: 0, removed: 0, beyond_reach: 3_200 },
      { at: '2026-11-29T03:00:00Z', followers: 4_950, on_profile: 8_400, added: 310, removed: 160, beyond_reach: 3_450 },
      { at: '2026-11-30T03:00:00Z', followers: 5_000, on_profile: null, added: 75, removed: 25, beyond_reach: 3_600 },
    ];
    const report = await summarizeExport(await writeJsonl(join(dir.path, 'f.jsonl'), SEVEN));
    const without = renderHtml(report, { now: NOW });
    const html = renderHtml(report, { now: NOW, growth });
    expect(without).not.toContain('Followers over time');
    expect(html).toContain('Followers over time');
    expect(html).toMatch(/<path class="served" d="M[\d.]+,[\d.]+L[\d.]+,[\d.]+L[\d.]+,[\d.]+"/); // d3 line: 3 points
    expect(html).toMatch(/<path class="beyond" d="M[\d.,LZ]+"/); // d3 area
    for (const figure of ['+310', '-160', '+75', '-25', '4,950', '3,450', '8,400', '2026-11-29 03:00']) expect(html).toContain(figure);
    expect(loadedUrls(html)).toEqual([]);
    expect(html).not.toContain('NaN');
  });

  test('one snapshot, or one with an unreadable time, still draws (no NaN in the SVG)', async () => {
    const report = await summarizeExport(await writeJsonl(join(dir.path, 'f.jsonl'), SEVEN));
    const one: GrowthPoint = { at: '2026-11-28T03:00:00Z', followers: 4_800, on_profile: null, added: 12, removed: 3, beyond_reach: 0 };
    const html = renderHtml(report, { now: NOW, growth: [one, { ...one, at: 'yesterday' }] });
    expect(html).toContain('Followers over time');
    expect(html).toContain('4,800');
    expect(html).not.toContain('NaN');
    expect(html).not.toContain('yesterday');
  });

  test('the page stays small whatever the export: 1,000 region codes and 20 huge nicknames are under 2 MB', () => {
    const counter = new AudienceCounter();
    const long = '𝕏'.repeat(50_000);
    for (let i = 0; i < 200_000; i++) {
      counter.add({ uid: String(7_000_000_000_000_000_000n + BigInt(i)), region: i < 10 ? long : `R${i % 5_000}`, language: `L${i % 3_000}`, nickname: long, unique_id: `u${i}`, follower_count: i, signature: '', aweme_count: 0, following_count: 0, custom_verify: '' });
    }
    const report: AudienceReport = counter.result(new Set(REPORT_FIELDS), { path: 'big.jsonl', format: 'jsonl', account: null, onProfile: null });
    expect(Object.keys(report.by_region!)).toHaveLength(MAX_CODES + 1); // and "other"
    const html = renderHtml(report, { now: NOW });
    expect(Buffer.byteLength(html)).toBeLessThan(2_000_000);
  });
});
