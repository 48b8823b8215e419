/** The suite's global setup finds a dist/ older than src/ (and then compiles before any e2e test). */
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { staleSources } from './global-setup.js';
import { withTempDir } from './helpers/temp-dir.js';

describe('staleSources', () => {
  it('names a source with no compiled file, or one older than it or than tsconfig.json', async () => {
    await withTempDir(async (root) => {
      await mkdir(join(root, 'src/cli'), { recursive: true });
      await mkdir(join(root, 'dist/cli'), { recursive: true });
      const at = (seconds: number) => new Date(1_700_000_000_000 + seconds * 1000);
      const file = async (path: string, seconds: number) => {
        await writeFile(join(root, path), '');
        await utimes(join(root, path), at(seconds), at(seconds));
      };
      await file('tsconfig.json', 0);
      await file('src/a.ts', 10);
      await file('dist/a.js', 20);
      await file('src/cli/b.ts', 10);
      await file('src/cli/types.d.ts', 30);
      expect(staleSources(root)).toEqual([join(root, 'src/cli/b.ts')]);
      await file('dist/cli/b.js', 5);
      expect(staleSources(root)).toEqual([join(root, 'src/cli/b.ts')]);
      await file('dist/cli/b.js', 20);
      expect(staleSources(root)).toEqual([]);
      await file('tsconfig.json', 25);
      expect(staleSources(root).sort()).toEqual([join(root, 'src/a.ts'), join(root, 'src/cli/b.ts')]);
    });
  });
});
