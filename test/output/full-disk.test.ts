/**
 * A full disk, many times over, in process: a tmpfs is filled so that ENOSPC strikes at a
 * different point of the export each run (the header, a page's rows, the uid log, a checkpoint,
 * the publish, the manifest). Every run must end as exit 7 naming the path and ENOSPC, with the
 * lock released and the checkpoint on disk intact, and `--resume` must finish byte-identical once
 * there is room. Root can mount a tmpfs on Linux (CI runs as root); elsewhere this is skipped.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutputError } from '../../src/errors.js';
import { readCheckpoint } from '../../src/output/checkpoint.js';
import { outputPaths } from '../../src/output/output-file.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { exportInProcess } from '../helpers/in-process-export.js';
import { withTempDir } from '../helpers/temp-dir.js';

/** CSV is about 0.33 KB a follower, JSONL about 4.8 KB: two lists that fill about 210 KB each. */
const USERS = { csv: '2222222222222222222', jsonl: '2222222222222222223' } as const;
const MOUNT_BYTES = 640 * 1024;
const mountPoint = `/tmp/tkf-full-disk-${process.pid}`;
let mounted = false;
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ token: 'sim-token', users: {
      [USERS.csv]: { size: 600, boundaryDuplicates: true, randomDuplicates: 0.1 },
      [USERS.jsonl]: { size: 45, boundaryDuplicates: true, randomDuplicates: 0.1 },
    }, });
  try {
    mkdirSync(mountPoint, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${MOUNT_BYTES}`, 'tmpfs', mountPoint], { stdio: 'ignore' });
    mounted = true;
  } catch {
    mounted = false;
  }
});
afterAll(async () => {
  await sim.close();
  if (mounted) execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('a full disk', () => {
  for (const format of ['csv', 'jsonl'] as const) {
    it(`is always exit 7 with the path and ENOSPC, lock released, checkpoint intact; --resume then finishes (${format})`, async (context) => {
      if (!mounted) context.skip();
      const reference = await withTempDir(async (dir) => {
        const out = join(dir, `f.${format}`);
        await exportInProcess(sim, USERS[format], out);
        return sha256(await readFile(out));
      });
      const out = join(mountPoint, 'data', `f.${format}`);
      const paths = outputPaths(out);
      const filler = join(mountPoint, 'filler');
      // Free space from one page of the tmpfs up to most of what the export needs, in steps
      // that are not a multiple of anything the export writes.
      const needed = 200 * 1024;
      let failures = 0;
      for (let free = 4096; free < needed; free += 4096 * 2 + 1234) {
        await rm(join(mountPoint, 'data'), { recursive: true, force: true });
        await rm(filler, { force: true });
        mkdirSync(join(mountPoint, 'data'));
        await writeFile(filler, Buffer.alloc(Math.max(0, MOUNT_BYTES - free - 8192)));
        const error = await exportInProcess(sim, USERS[format], out).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error, `free ${free}`).toBeInstanceOf(OutputError);
        failures++;
        expect((error as OutputError).exitCode).toBe(7);
        expect((error as Error).message).toContain(mountPoint);
        expect((error as Error).message).toMatch(/ENOSPC/);
        const left = await readdir(join(mountPoint, 'data'));
        expect(left, `free ${free}`).not.toContain('f.' + format + '.lock');
        const checkpoint = await readCheckpoint(paths.checkpoint);
        if (checkpoint) {
          expect((await stat(paths.part)).size).toBeGreaterThanOrEqual(checkpoint.bytes);
          expect((await stat(paths.uids)).size).toBeGreaterThanOrEqual(checkpoint.uidsBytes);
        }
        await rm(filler);
        const resumed = await exportInProcess(sim, USERS[format], out, { resume: true });
        expect(resumed.rows).toBeGreaterThan(0);
        expect(sha256(await readFile(out)), `free ${free}`).toBe(reference);
        expect((await readdir(join(mountPoint, 'data'))).sort()).toEqual([`f.${format}`, `f.${format}.tkf.json`]);
      }
      expect(failures).toBeGreaterThan(15);
    }, 600_000); // one export per free-space step: minutes on a 2-core machine kept busy
  }
});
