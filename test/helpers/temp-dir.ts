/**
 * One temporary-directory helper for the suite: `withTempDir(fn)` for a block, `useTempDir()` for
 * a fresh directory per test of a describe (removed afterwards either way).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/**
 * How a test's directory is removed. maxRetries: Node's rm retries ENOTEMPTY (and EBUSY, EPERM)
 * with a linear backoff only when asked; one fresh-clone CI run on this 2-core machine at load ~3
 * failed a passing test (test/e2e/simulate-command.test.ts) on "ENOTEMPTY: directory not empty,
 * rmdir" after every process that wrote there had exited. Not reproduced in isolation (6 runs).
 */
const REMOVE = { recursive: true, force: true, maxRetries: 5 } as const;

/**
 * The directory removed, waiting at most REMOVE_WAIT_MS: a cleanup is no assertion. One fresh-clone
 * `.ci/run` (Node 24, 2026-12-05) failed a passing test (test/cli/true-messages.test.ts item 9)
 * because its afterEach `rm` had not settled after the 120 s hook timeout; the file's later tests
 * passed in the same worker, and six runs of the file alone did not repeat it. Past the wait the
 * directory is left in the temporary directory, and said on stderr.
 */
const REMOVE_WAIT_MS = 20_000;

async function remove(dir: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), REMOVE_WAIT_MS)));
  try {
    if ((await Promise.race([rm(dir, REMOVE), waited])) === 'late') process.stderr.write(`temp-dir: ${dir} not removed within ${REMOVE_WAIT_MS / 1000} s; left in place\n`);
  } finally {
    clearTimeout(timer);
  }
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>, prefix = 'tkf-test-'): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await remove(dir);
  }
}

/** A fresh directory for each test; read `.path` inside the test (it changes per test). */
export function useTempDir(prefix = 'tkf-test-'): { readonly path: string } {
  const holder = { path: '' };
  beforeEach(async () => {
    holder.path = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await remove(holder.path);
  });
  return holder;
}
