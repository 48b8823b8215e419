import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { OutputError, UsageError } from '../../src/errors.js';
import {
  CHECKPOINT_VERSION,
  type Checkpoint,
  type CheckpointOptions,
  describeMismatch,
  readCheckpoint,
  writeCheckpoint,
} from '../../src/output/checkpoint.js';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tkf-checkpoint-'));
  path = join(dir, 'followers.csv.part.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options: CheckpointOptions = {
  uid: '7005153156116071425',
  format: 'csv',
  fields: null,
  bom: false,
  formulaGuard: true,
};

function checkpoint(overrides: Partial<Checkpoint> = {}): Checkpoint {
  return {
    version: CHECKPOINT_VERSION,
    tool: 'tkf',
    options,
    cursor: 1631063752,
    end: null,
    rows: 40,
    bytes: 9876,
    uidsBytes: 800,
    requests: 3,
    duplicates: 1,
    total: 8229668,
    updated: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('checkpoint files', () => {
  test('write then read gives the same checkpoint back', async () => {
    const saved = checkpoint({ options: { ...options, fields: ['uid', 'avatar_larger.url_list.0'] } });
    await writeCheckpoint(path, saved);
    expect(await readCheckpoint(path)).toEqual(saved);
  });

  test('a rewrite replaces the old one and leaves no temporary file', async () => {
    await writeCheckpoint(path, checkpoint());
    await writeCheckpoint(path, checkpoint({ cursor: null, end: 'cap', rows: 80 }));
    expect(await readCheckpoint(path)).toMatchObject({ cursor: null, end: 'cap', rows: 80 });
    expect(await readdir(dir)).toEqual(['followers.csv.part.json']);
  });

  test('the file is owner-only (0600)', async () => {
    await writeCheckpoint(path, checkpoint());
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  test('no checkpoint reads as undefined', async () => {
    expect(await readCheckpoint(path)).toBeUndefined();
  });

  test.each([
    ['half a file', (text: string) => text.slice(0, text.length / 2)],
    ['an empty file', () => ''],
    ['binary junk', () => '\u0000\u0001\u0002'],
  ])('a damaged file (%s) is a UsageError', async (_name, damage) => {
    await writeCheckpoint(path, checkpoint());
    await writeFile(path, damage(await readFile(path, 'utf8')));
    await expect(readCheckpoint(path)).rejects.toBeInstanceOf(UsageError);
  });

  test.each([
    ['another tool', { tool: 'other' }],
    ['another version', { version: CHECKPOINT_VERSION + 1 }],
    ['no options', { options: undefined }],
  ])('a checkpoint of %s is a UsageError', async (_name, change) => {
    await writeFile(path, JSON.stringify({ ...checkpoint(), ...change }));
    await expect(readCheckpoint(path)).rejects.toBeInstanceOf(UsageError);
  });

  test.each(['null', '42', '"text"'])('valid JSON that is not an object (%s) is a UsageError', async (text) => {
    await writeFile(path, text);
    await expect(readCheckpoint(path)).rejects.toBeInstanceOf(UsageError);
  });

  test('a directory that cannot be written is an OutputError', async () => {
    await expect(writeCheckpoint(join(dir, 'missing', 'x.part.json'), checkpoint())).rejects.toBeInstanceOf(OutputError);
  });
});

describe('describeMismatch', () => {
  test('nothing to say when the options match', () => {
    expect(describeMismatch(options, { ...options })).toBeUndefined();
    expect(describeMismatch({ ...options, fields: ['uid'] }, { ...options, fields: ['uid'] })).toBeUndefined();
  });

  test('names each difference', () => {
    expect(describeMismatch(options, { ...options, uid: '6977504145574577157' })).toContain('uid 7005153156116071425, not 6977504145574577157');
    expect(describeMismatch(options, { ...options, format: 'jsonl' })).toContain('format csv, not jsonl');
    expect(describeMismatch(options, { ...options, fields: ['uid', 'nickname'] })).toContain('fields (default), not uid,nickname');
    expect(describeMismatch({ ...options, fields: ['uid'] }, { ...options, fields: ['nickname'] })).toContain('fields uid, not nickname');
    expect(describeMismatch(options, { ...options, bom: true })).toMatch(/bom/);
    expect(describeMismatch(options, { ...options, formulaGuard: false })).toMatch(/formula/);
  });

  test('lists several differences together', () => {
    const text = describeMismatch(options, { ...options, uid: '1', format: 'jsonl', fields: ['uid'] })!;
    expect(text).toContain('uid');
    expect(text).toContain('format');
    expect(text).toContain('fields');
  });
});
