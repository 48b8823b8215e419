/**
 * The file transaction of one-pass writers (tkf diff --out, tkf history ... --out): the file
 * appears whole at commit or not at all, an existing file is kept without --force, and the lock
 * is released either way.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputError } from '../../src/errors.js';
import { FileTransaction } from '../../src/output/file-transaction.js';
import { useTempDir } from '../helpers/temp-dir.js';

const dir = useTempDir();
const who = { owner: { pid: process.pid, host: 'test-host' }, isRunning: () => true };

function write(file: FileTransaction, text: string): Promise<void> {
  return new Promise((resolve, reject) => file.stream.end(text, (error?: Error | null) => (error ? reject(error) : resolve())));
}

describe('FileTransaction', () => {
  it('commit publishes the part file as <out> and leaves nothing else', async () => {
    const out = join(dir.path, 'changes.csv');
    const file = await FileTransaction.open(out, { force: false, ...who });
    await write(file, 'uid\n1\n');
    expect(await readdir(dir.path)).not.toContain('changes.csv');
    await file.commit();
    expect(await readFile(out, 'utf8')).toBe('uid\n1\n');
    expect(await readdir(dir.path)).toEqual(['changes.csv']);
  });

  it('abort removes the part file, releases the lock (a second open succeeds) and words a bare fs error as exit 7', async () => {
    const out = join(dir.path, 'changes.csv');
    const file = await FileTransaction.open(out, { force: false, ...who });
    const error = await file.abort(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    expect(error).toBeInstanceOf(OutputError);
    expect((error as Error).message).toBe(`cannot write ${out}.part: no space left on the device (ENOSPC)`);
    expect(await readdir(dir.path)).toEqual([]);
    const again = await FileTransaction.open(out, { force: false, ...who });
    await again.abort(new Error('stop'));
  });

  it('an existing <out> is refused without force, and replaced with it', async () => {
    const out = join(dir.path, 'changes.csv');
    await writeFile(out, 'old\n');
    await expect(FileTransaction.open(out, { force: false, ...who })).rejects.toThrow(`${out} already exists; use --force to replace it`);
    const file = await FileTransaction.open(out, { force: true, ...who });
    await write(file, 'new\n');
    await file.commit();
    expect(await readFile(out, 'utf8')).toBe('new\n');
  });
});
