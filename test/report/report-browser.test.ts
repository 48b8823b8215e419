/**
 * The report page in a real browser: headless Chromium (Debian's `chromium`, installed by
 * scripts/ensure-chromium.sh when missing) opens a report of the demo export from a file:// URL.
 * The page must render without script errors (its own hook writes any error, and any load its
 * Content Security Policy blocks, into #page-errors, which --dump-dom shows) and show the numbers
 * that `tkf report --json` prints. Screenshots at desktop and phone widths must come out as PNGs.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AudienceReport } from '../../src/report/audience.js';
import { TIERS } from '../../src/report/audience.js';
import { externalReaders } from '../helpers/node-independent.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { runTkfInProcess as runTkf } from '../helpers/run-cli.js';

const run = promisify(execFile);
const dir = useTempDir('tkf-report-browser-');
let chromium: string;

/** Chromium with a profile of its own (parallel runs must not share one) and no network use of its own. */
async function chrome(args: string[], profile: string): Promise<string> {
  const { stdout } = await run(
    chromium,
    ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--disable-background-networking', `--user-data-dir=${profile}`, '--hide-scrollbars', ...args],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 90_000 },
  );
  return stdout;
}

const count = (n: number) => n.toLocaleString('en-US');
const share = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;

/** The demo export, its report as JSON and as a page: made once, in a directory of the file's own (both tests read it). */
let made: Promise<{ json: AudienceReport; page: string }> | undefined;
let shared: string;
const demoReport = () => (made ??= makeDemoReport());
async function makeDemoReport(): Promise<{ json: AudienceReport; page: string }> {
  const file = join(shared, 'f.jsonl');
  const page = join(shared, 'report.html');
  expect((await runTkf(['export', '--demo', '--out', file, '--quiet'])).code).toBe(0);
  const json = JSON.parse((await runTkf(['report', file, '--json', '--html', page])).stdout) as AudienceReport;
  return { json, page };
}

// Not on the second and third Node of scripts/test-node-versions.sh (see node-independent.ts).
describe.skipIf(!externalReaders.run)(`the report page in headless Chromium${externalReaders.run ? '' : ` (${externalReaders.why})`}`, () => {
  beforeAll(() => {
    const script = new URL('../../scripts/ensure-chromium.sh', import.meta.url).pathname;
    // Minutes on a fresh machine (apt-get), instant once installed.
    chromium = execFileSync(script, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 }).trim();
  }, 600_000);
  beforeAll(async () => {
    shared = await mkdtemp(join(tmpdir(), 'tkf-report-browser-demo-'));
  });
  afterAll(async () => {
    await rm(shared, { recursive: true, force: true });
  });

  test('renders without script errors and shows the numbers of --json', async () => {
    const { json, page } = await demoReport();
    const dom = await chrome(['--dump-dom', pathToFileURL(page).href], join(dir.path, 'profile'));
    expect(dom).toContain('data-rendered="yes"'); // the page's last script ran
    expect(dom).toMatch(/<pre id="page-errors" hidden="(hidden)?"><\/pre>/); // and nothing reported an error
    const n = json.followers;
    expect(n).toBeGreaterThan(1_000);
    expect(dom).toContain(`>${count(n)}<`);
    expect(dom).toContain(`of ${count(json.on_profile!)} on the profile`);
    for (const counts of [json.by_region!, json.by_language!]) {
      for (const [code, value] of Object.entries(counts).slice(0, 10)) {
        expect(dom).toContain(`>${code}</text>`);
        expect(dom).toContain(`${count(value)} · ${share(value, n)}`);
      }
    }
    for (const tier of TIERS) expect(dom).toContain(`>${count(json.tiers![tier.key])}</text>`);
    expect(dom).toContain(`${count(json.activity.no_videos!)} · ${share(json.activity.no_videos!, n)}`);
    expect(dom).toContain(`${share(json.inactive!, n)}</text>`);
    for (const entry of json.top!) {
      expect(dom).toContain(`<td class="n">${count(entry.follower_count)}</td>`);
      expect(dom).toContain(`href="https://www.tiktok.com/@${entry.unique_id}"`);
    }
    // The demo's nicknames (Chinese, Arabic, Hebrew, emoji, quotes, line breaks, formulas) reach
    // the DOM as text: each as the browser serialises a text node (& < > escaped, breaks as spaces).
    expect(json.top).toHaveLength(20);
    for (const entry of json.top!) {
      const text = entry.nickname!.replace(/[\t\r\n\u2028\u2029]+/g, ' ').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      expect(dom).toContain(`<bdi>${text}</bdi>`);
    }

    const png = join(dir.path, 'desktop.png');
    const phone = join(dir.path, 'phone.png');
    await chrome(['--window-size=1200,2400', `--screenshot=${png}`, pathToFileURL(page).href], join(dir.path, 'profile'));
    await chrome(['--window-size=390,3200', `--screenshot=${phone}`, pathToFileURL(page).href], join(dir.path, 'profile'));
    for (const shot of [png, phone]) {
      expect((await readFile(shot)).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect((await stat(shot)).size).toBeGreaterThan(20_000); // a page, not a blank image
    }
  }, 180_000);

  test('the error hook works: a script error and a blocked network load show up in the page', async () => {
    const { page } = await demoReport();
    const broken = join(dir.path, 'broken.html');
    const html = await readFile(page, 'utf8');
    await writeFile(broken, html.replace('</main>', '</main><img src="https://example.invalid/pixel.png" alt=""><script>notAFunction();</script>'));
    const dom = await chrome(['--dump-dom', pathToFileURL(broken).href], join(dir.path, 'profile'));
    const errors = /<pre id="page-errors"[^>]*>([^<]*)<\/pre>/.exec(dom)?.[1] ?? '';
    expect(errors).toContain('notAFunction');
    expect(errors).toContain('https://example.invalid/pixel.png');
  }, 180_000);
});
