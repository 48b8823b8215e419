import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { OutputError } from '../../src/errors.js';
import { checkDirectory, cutTo, exists, openStream, outputPaths, publish } from '../../src/output/output-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tkf-output-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('outputPaths', () => {
  test('names the part, checkpoint, uids, lock and manifest files beside the output', () => {
    expect(outputPaths('/x/f.csv')).toEqual({
      out: '/x/f.csv',
      part: '/x/f.csv.part',
      checkpoint: '/x/f.csv.part.json',
      uids: '/x/f.csv.part.uids',
      lock: '/x/f.csv.lock',
      manifest: '/x/f.csv.tkf.json',
    });
  });
});

describe('publish', () => {
  test('moves the part file to the output when there is none', async () => {
    const paths = outputPaths(join(dir, 'followers.csv'));
    await writeFile(paths.part, 'uid\r\n1\r\n');
    await publish(paths, false);
    expect(await readFile(paths.out, 'utf8')).toBe('uid\r\n1\r\n');
    expect(await exists(paths.part)).toBe(false);
  });

  test('without replace, an existing output is refused and left unchanged; the export is kept', async () => {
    const paths = outputPaths(join(dir, 'followers.csv'));
    await writeFile(paths.out, 'precious');
    await writeFile(paths.part, 'new export');
    const error = await publish(paths, false).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(OutputError);
    expect(error!.message).toContain(paths.out);
    expect(await readFile(paths.out, 'utf8')).toBe('precious');
    expect(await readFile(paths.part, 'utf8')).toBe('new export');
  });

  test('with replace, an existing output is replaced', async () => {
    const paths = outputPaths(join(dir, 'followers.csv'));
    await writeFile(paths.out, 'old');
    await writeFile(paths.part, 'new export');
    await publish(paths, true);
    expect(await readFile(paths.out, 'utf8')).toBe('new export');
    expect((await readdir(dir)).sort()).toEqual(['followers.csv']);
  });

  test('a missing part file is an OutputError', async () => {
    await expect(publish(outputPaths(join(dir, 'followers.csv')), false)).rejects.toBeInstanceOf(OutputError);
  });
});

describe('checkDirectory and friends', () => {
  test('an existing directory passes', async () => {
    await expect(checkDirectory(join(dir, 'followers.csv'))).resolves.toBeUndefined();
  });

  test('an output that is itself a directory is an OutputError before anything is written', async () => {
    const out = join(dir, 'dir.csv');
    await mkdir(out);
    await expect(checkDirectory(out)).rejects.toThrow(`cannot write ${out}: it is a directory`);
  });

  test('a missing directory is an OutputError naming the output', async () => {
    const out = join(dir, 'missing', 'followers.csv');
    const error = await checkDirectory(out).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(OutputError);
    expect(error!.message).toContain(out);
  });

  test('a file where the directory should be is an OutputError', async () => {
    await writeFile(join(dir, 'file'), '');
    await expect(checkDirectory(join(dir, 'file', 'followers.csv'))).rejects.toBeInstanceOf(OutputError);
  });

  test('openStream into a missing directory is an OutputError', async () => {
    await expect(openStream(join(dir, 'missing', 'f.part'), undefined)).rejects.toBeInstanceOf(OutputError);
  });

  test('openStream at an offset overwrites from there; cutTo cuts a file back', async () => {
    const path = join(dir, 'f.part');
    await writeFile(path, 'abcdefgh');
    await cutTo(path, 5);
    const stream = await openStream(path, 3);
    await new Promise<void>((resolve, reject) => stream.end('XY', (error?: Error | null) => (error ? reject(error) : resolve())));
    expect(await readFile(path, 'utf8')).toBe('abcXY');
    await expect(cutTo(join(dir, 'missing'), 0)).rejects.toBeInstanceOf(OutputError);
  });
});
