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

export async function withTempDir<T>(fn: (dir: string) => Promise<T>, prefix = 'tkf-test-'): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, REMOVE);
  }
}

/** A fresh directory for each test; read `.path` inside the test (it changes per test). */
export function useTempDir(prefix = 'tkf-test-'): { readonly path: string } {
  const holder = { path: '' };
  beforeEach(async () => {
    holder.path = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await rm(holder.path, REMOVE);
  });
  return holder;
}
