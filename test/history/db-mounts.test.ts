/**
 * A history database that cannot be written: on a read-only file system, and on a full one. Tests
 * run as root, which ignores file permissions, so each case gets a real tmpfs of its own (root can
 * mount one on Linux, as CI runs; elsewhere the test is skipped and says why). Either way the
 * export is exit 11 with one line naming the database, and nothing already recorded is damaged.
 * The binary is spawned: a file system cannot be remounted or unmounted while this process holds
 * the database open (libsql lets its files go only when the process ends).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { runTkf } from '../e2e/run-tkf.js';
import { SCHEMA_VERSION } from '../../src/history/schema.js';

const TOKEN = 'tkn-db-mounts';
const UID = '6754915036232582149';
const dir = useTempDir('tkf-history-mounts-');
let sim: Simulator;
let env: Record<string, string>;
const mounts: string[] = [];

/** A tmpfs of `size` at a directory of its own, or undefined when this machine will not mount one. */
function mountTmpfs(size: string): string | undefined {
  const point = mkdtempSync(join(tmpdir(), 'tkf-db-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', point], { stdio: 'ignore' });
  } catch {
    rmdirSync(point);
    return undefined;
  }
  mounts.push(point);
  return point;
}

beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, users: { [UID]: { size: 400 } } });
  env = { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url };
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  for (const point of mounts.splice(0)) {
    execFileSync('umount', [point]);
    rmdirSync(point);
  }
});

describe('a history database that cannot be written', () => {
  it('on a read-only file system: exit 11 before any page is paid for, and the database reads as before', async (context) => {
    const point = mountTmpfs('8m');
    if (!point) return context.skip('cannot mount a tmpfs here (not root, or not Linux)');
    const db = join(point, 'h.sqlite');
    const first = await runTkf(['export', '--uid', UID, '--out', join(dir.path, 'd1.jsonl'), '--db', db], { env });
    expect(first.code, first.stderr).toBe(0);
    execFileSync('mount', ['-o', 'remount,ro', point]);
    const before = sim.stats.requests;
    const second = await runTkf(['export', '--uid', UID, '--out', join(dir.path, 'd2.jsonl'), '--db', db], { env });
    expect(second.code).toBe(11);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toContain(db);
    expect(sim.stats.requests - before).toBe(0);
    const growth = await runTkf(['history', 'growth', '--db', db, '--uid', UID, '--json']);
    expect(growth.code, growth.stderr).toBe(0);
    expect(JSON.parse(growth.stdout)).toHaveLength(1);
  });

  it("an older tkf's database on a read-only file system: the reader says it must be upgraded once, where it can be written", async (context) => {
    const point = mountTmpfs('8m');
    if (!point) return context.skip('cannot mount a tmpfs here (not root, or not Linux)');
    const db = join(point, 'old.sqlite');
    const first = await runTkf(['export', '--uid', UID, '--out', join(dir.path, 'o1.jsonl'), '--db', db], { env });
    expect(first.code, first.stderr).toBe(0);
    execFileSync('sqlite3', [db, "UPDATE tkf_meta SET value = '1' WHERE key = 'schema_version'"]);
    execFileSync('mount', ['-o', 'remount,ro', point]);
    const read = await runTkf(['history', '--db', db]);
    expect(read.code).toBe(11);
    expect(read.stderr).toMatch(new RegExp(`^tkf: ${db.replace(/[.]/g, '\\.')} was written by an older tkf \\(schema version 1; this tkf reads ${SCHEMA_VERSION}\\) and is upgraded once, which writes to it: .*; upgrade a copy where it can be written`));
  });

  it('on a full file system: exit 11 naming the database, the export file kept', async (context) => {
    // Room for the schema and a few pages (16 KiB each: ~180 KB for the schema's B-trees and its
    // WAL), not for 400 followers' rows and the WAL (~1.3 MB).
    const point = mountTmpfs('400k');
    if (!point) return context.skip('cannot mount a tmpfs here (not root, or not Linux)');
    const db = join(point, 'h.sqlite');
    const out = join(dir.path, 'full.jsonl');
    const run = await runTkf(['export', '--uid', UID, '--out', out, '--db', db, '--json'], { env });
    expect(run.code).toBe(11);
    // --json names the file too: complete, only not recorded.
    expect(JSON.parse(run.stdout)).toMatchObject({ exit_code: 11, file: out, rows: 400, end: 'complete' });
    expect(run.stderr).toContain(db);
    expect(run.stderr).toMatch(/full|space/i);
    expect(run.stderr).not.toMatch(/internal error/);
    // The walk was paid for: its file is published before it is recorded, and stays, and is named.
    expect(existsSync(out)).toBe(true);
    expect(run.stderr).toContain(`; the export is complete: ${out} (\`tkf history import\` records it once the database can be written)`);
    // Room again: --resume finds the file complete, records it, and says so (not "nothing to resume").
    execFileSync('mount', ['-o', 'remount,size=8m', point]);
    const resumed = await runTkf(['export', '--uid', UID, '--out', out, '--db', db, '--resume', '--json'], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`tkf: ${out} was complete and not yet recorded: recorded now (400 followers)`);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ history: { recorded: true, added: 400 } });
  });
});
