/**
 * Tried as a new user would: the demo export (whose nicknames and bios hold bare CR and LF,
 * U+2028, quotes and commas) read back by strict standard readers, and by tkf itself (--update,
 * tkf diff) on whatever Node runs the suite (scripts/test-node-versions.sh runs it on 24 and 26).
 * In process (tkf(): createProgram through runCli, the exit code main() exits with).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { expect, it } from 'vitest';
import { runTkfInProcess as tkf } from '../helpers/run-cli.js';
import { withTempDir } from './run-tkf.js';

it('the demo export reads back: CSV in a strict reader, JSONL split at \\n, both in --update and tkf diff', async () => {
  await withTempDir(async (dir) => {
    // CSV: 5,000 records of 15 cells in a reader that ends records at CR, LF or CRLF, as Python's
    // csv and Excel do (csv-parse's default would guess \r\n and hide an unquoted \n).
    expect((await tkf(['export', '--demo', '--out', 'f.csv'], { cwd: dir })).code).toBe(0);
    const rows = parseCsv(await readFile(join(dir, 'f.csv')), { record_delimiter: ['\r\n', '\n', '\r'] }) as string[][];
    expect(rows).toHaveLength(5001);
    expect(new Set(rows.map((row) => row.length))).toEqual(new Set([15]));
    // Not vacuous: the demo's texts do hold bare line feeds.
    expect(rows.some((row) => row.some((cell) => /(^|[^\r])\n/.test(cell)))).toBe(true);

    // JSONL: 5,000 lines split at \n only, each one JSON.
    expect((await tkf(['export', '--demo', '--out', 'f.jsonl'], { cwd: dir })).code).toBe(0);
    const text = await readFile(join(dir, 'f.jsonl'), 'utf8');
    expect(text).toContain('\u2028'); // what readline on Node 24+ took for a line end
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(new Set(lines.map((line) => (JSON.parse(line) as { uid: string }).uid)).size).toBe(5000);

    // tkf reads its own files back: --update, and tkf diff (JSONL with itself, CSV against JSONL).
    const update = await tkf(['export', '--demo', '--out', 'f.jsonl', '--update'], { cwd: dir });
    expect(update.stderr).toMatch(/added 0 new followers on top of 5,000/);
    expect(update.code).toBe(0);
    const diff = await tkf(['diff', 'f.jsonl', 'f.jsonl'], { cwd: dir });
    expect(diff.stderr).toBe('0 new, 0 gone (5,000 -> 5,000)\n'); // no sign on nothing (issue 21)
    expect(diff.code).toBe(0);
    const mixed = await tkf(['diff', 'f.csv', 'f.jsonl', '--json'], { cwd: dir });
    expect(JSON.parse(mixed.stdout)).toMatchObject({ added: 0, removed: 0, old: 5000, new: 5000 });
  });
});
