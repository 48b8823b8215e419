/**
 * Before any test: the e2e tests spawn bin/tkf.js, which runs the compiled dist/. If a source file
 * is newer than its compiled file (or has none), compile first, so no test ever runs a stale
 * dist/ (`npm test` compiles anyway; a bare `npx vitest run` after an edit did not).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    // AssemblyScript sources (*.as.ts) are not tsc's: scripts/build-page-scan.mjs compiles them.
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.as.ts') ? [path] : [];
  });
}

const mtime = (path: string) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};

/** The source files whose compiled file is missing or older than them (or than tsconfig.json). */
export function staleSources(root = ROOT): string[] {
  const config = mtime(join(root, 'tsconfig.json'));
  return sources(join(root, 'src')).filter((source) => {
    const compiled = join(root, 'dist', relative(join(root, 'src'), source).replace(/\.ts$/, '.js'));
    const built = mtime(compiled);
    return built < mtime(source) || built < config;
  });
}

export default function setup(): void {
  const stale = staleSources();
  if (stale.length === 0) return;
  process.stderr.write(`global-setup: ${stale.length} source file(s) newer than dist/ (${relative(ROOT, stale[0]!)}...): compiling\n`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  const still = staleSources();
  if (still.length) throw new Error(`dist/ is still older than ${relative(ROOT, still[0]!)} after tsc`);
}
