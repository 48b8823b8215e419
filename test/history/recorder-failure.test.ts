/**
 * A database that fails once the walk's file is published (export-recorder.ts): the error names
 * the complete file and how it can still become a snapshot: `tkf history import` for a file of
 * the user's (--out), the same command with --resume for a staging file (the next run without
 * --resume walks again and replaces it).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HistoryDbError } from '../../src/errors.js';
import { createExportRecorder } from '../../src/history/export-recorder.js';
import type { SqlDriver } from '../../src/history/sql-driver.js';
import { startSimulator } from '../../src/simulator/index.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useClosers } from '../helpers/closers.js';
import { runCli } from './run-cli.js';

const TOKEN = 'tkn-recorder-failure';
const UID = '6754915036232582149';
const dir = useTempDir('tkf-recorder-failure-');
const closeLater = useClosers();

/** A database whose every write transaction fails as a full disk does. */
const fullDisk: SqlDriver = {
  dialect: 'sqlite',
  label: 'h.sqlite',
  run: async () => {},
  all: async () => [],
  transaction: async () => {
    throw new HistoryDbError('the history database h.sqlite: the disk is full (database or disk is full)');
  },
  close: async () => {},
} as unknown as SqlDriver;

describe('a database that fails after the file is published', () => {
  it('names the complete file, and the way to record it for --out and for a staging file', async () => {
    const sim = await startSimulator({ token: TOKEN, users: { [UID]: { size: 30 } } });
    closeLater(() => sim.close());
    const file = join(dir.path, 'f.jsonl');
    expect((await runCli(['export', '--uid', UID, '--out', file], { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url })).code).toBe(0);
    for (const [staging, later] of [
      [false, '`tkf history import` records it once the database can be written'],
      [true, 'the same command with --resume records it once the database can be written; without --resume the next run walks again'],
    ] as const) {
      const record = createExportRecorder(fullDisk, { staging });
      const failure = await record(file, undefined).then(() => undefined, (error: unknown) => error);
      expect(failure).toBeInstanceOf(HistoryDbError);
      expect((failure as Error).message).toBe(`the history database h.sqlite: the disk is full (database or disk is full); the export is complete: ${file} (${later})`);
      await record.close();
    }
  });
});
