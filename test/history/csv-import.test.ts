/**
 * [issue 16] A CSV export recorded into the history database (`tkf history import`, or
 * `tkf export --out x.csv --db` whenever the file is read back) holds what the JSONL export of the
 * same followers holds: the formula guard's quote taken off again, and the columns the API gives
 * as numbers made numbers again. A CSV's cells are all text, and the guard (on by default) writes
 * `'=SUM(...)` for a nickname `=SUM(...)`: stored as read, they were other values than the
 * followers' own (10,900 of 2,000 followers' values in one try).
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_NUMBER_COLUMNS } from '../../src/history/follower-columns.js';
import { openHistory } from '../../src/history/open-history.js';
import { startSimulator } from '../../src/simulator/index.js';
import { DEFAULT_CSV_FIELDS } from '../../src/writers/fields.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useClosers } from '../helpers/closers.js';
import { runCli } from './run-cli.js';

const TOKEN = 'tkn-CSV-IMPORT-k2j3h4';
const UID = '6754915036232582149';
const dir = useTempDir('tkf-history-csv-');
const closeLater = useClosers();

async function followersData(path: string): Promise<Map<string, unknown>> {
  const db = await openHistory(path);
  try {
    const rows = await db.all<{ uid: string; unique_id: string | null; nickname: string | null; data: string }>('SELECT uid, unique_id, nickname, data FROM followers');
    return new Map(rows.map((row) => [row.uid, { unique_id: row.unique_id, nickname: row.nickname, data: JSON.parse(row.data) as unknown }]));
  } finally {
    await db.close();
  }
}

describe('a CSV export recorded into the history database', () => {
  it('holds the same followers, value for value, as the JSONL export of the same list', async () => {
    const sim = await startSimulator({ token: TOKEN, users: { [UID]: { size: 400 } } });
    closeLater(() => sim.close());
    const env = { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url };
    const csv = join(dir.path, 'f.csv');
    const jsonl = join(dir.path, 'f.jsonl');
    for (const out of [csv, jsonl]) expect((await runCli(['export', '--uid', UID, '--out', out, '-q'], env)).code).toBe(0);
    // The guard did write some cells with its quote (else this test would prove nothing of it).
    const cells = (parse(await readFile(csv, 'utf8'), { bom: true }) as string[][]).slice(1).flat();
    expect(cells.filter((cell) => /^'[=+\-@]/.test(cell)).length).toBeGreaterThan(10);

    const fromCsv = join(dir.path, 'csv.sqlite');
    const fromJsonl = join(dir.path, 'jsonl.sqlite');
    expect((await runCli(['history', 'import', '--db', fromCsv, csv])).code).toBe(0);
    expect((await runCli(['history', 'import', '--db', fromJsonl, jsonl])).code).toBe(0);
    const [a, b] = [await followersData(fromCsv), await followersData(fromJsonl)];
    expect(a.size).toBe(400);
    expect(a).toEqual(b);
    // Without its manifest (--uid), read as tkf export writes by default, as tkf report and diff
    // read it: the guard's quote taken off too (it was kept, and guarded again on the way out: ''@).
    const bare = join(dir.path, 'bare.csv');
    await writeFile(bare, await readFile(csv));
    const fromBare = join(dir.path, 'bare.sqlite');
    expect((await runCli(['history', 'import', '--db', fromBare, '--uid', UID, bare])).code).toBe(0);
    expect(await followersData(fromBare)).toEqual(b);
  });

  it('a CSV of some columns (--fields) updates those and keeps the other fields the database holds', async () => {
    const sim = await startSimulator({ token: TOKEN, users: { [UID]: { size: 60 } } });
    closeLater(() => sim.close());
    const env = { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url };
    const full = join(dir.path, 'full.jsonl');
    const part = join(dir.path, 'part.csv');
    expect((await runCli(['export', '--uid', UID, '--out', full, '-q'], env)).code).toBe(0);
    expect((await runCli(['export', '--uid', UID, '--out', part, '--fields', 'uid,nickname', '-q'], env)).code).toBe(0);
    const both = join(dir.path, 'both.sqlite');
    const alone = join(dir.path, 'alone.sqlite');
    expect((await runCli(['history', 'import', '--db', both, full, part])).code).toBe(0);
    expect((await runCli(['history', 'import', '--db', alone, full])).code).toBe(0);
    const kept = await followersData(both);
    expect(kept.size).toBe(60);
    expect(kept).toEqual(await followersData(alone));
    // A later such CSV with other nicknames (no manifest: --uid): the nicknames are its, the rest kept.
    const renamed = join(dir.path, 'renamed.csv');
    const records = (parse(await readFile(part, 'utf8'), { bom: true }) as string[][]).slice(1);
    await writeFile(renamed, `uid,nickname\r\n${records.map(([uid]) => `${uid},renamed\r\n`).join('')}`);
    const again = await runCli(['history', 'import', '--db', both, '--uid', UID, renamed]);
    expect(again.code, again.stderr).toBe(0);
    const after = await followersData(both);
    for (const [uid, before] of await followersData(alone)) {
      const { data } = before as { data: Record<string, unknown> };
      expect(after.get(uid)).toEqual({ unique_id: data.unique_id, nickname: 'renamed', data: { ...data, nickname: 'renamed' } });
    }
  });

  it('makes numbers of exactly the export columns the API gives as numbers (the sample answer)', () => {
    const sample = JSON.parse(readFileSync(new URL('../../fixtures/sample-response.json', import.meta.url), 'utf8')) as { data: { followers: Array<Record<string, unknown>> } };
    const numeric = new Set<string>();
    for (const follower of sample.data.followers) for (const column of DEFAULT_CSV_FIELDS) if (typeof follower[column] === 'number') numeric.add(column);
    expect([...CSV_NUMBER_COLUMNS].sort()).toEqual([...numeric].sort());
  });
});
