/**
 * One temporary-directory helper for the suite: `withTempDir(fn)` for a block, `useTempDir()` for
 * a fresh directory per test of a describe (removed afterwards either way).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

export async function withTempDir<T>(fn: (dir: string) => Promise<T>, prefix = 'tkf-test-'): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A fresh directory for each test; read `.path` inside the test (it changes per test). */
export function useTempDir(prefix = 'tkf-test-'): { readonly path: string } {
  const holder = { path: '' };
  beforeEach(async () => {
    holder.path = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await rm(holder.path, { recursive: true, force: true });
  });
  return holder;
}
