/**
 * The WebAssembly page scanner as built: its committed bytes are what its source compiles to,
 * and a Node without WebAssembly (--jitless) still parses pages, in JavaScript.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { scanner } from '../../src/api/page-scan.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the WebAssembly page scanner', () => {
  test('src/api/page-scan-wasm.ts is what src/api/page-scan.as.ts compiles to', () => {
    // Exit 1 (and execFileSync throws) when the committed bytes are stale.
    const said = execFileSync(process.execPath, ['scripts/build-page-scan.mjs', '--check'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(said).toBe('');
  }, 60_000);

  test('loads in this Node', () => {
    expect(scanner).toBeDefined();
  });

  test('without WebAssembly (node --jitless), pages are parsed in JavaScript, with the same followers', () => {
    const script = `
      const { parsePage } = await import('./dist/api/page-parser.js');
      const { scanner } = await import('./dist/api/page-scan.js');
      const { readFileSync } = await import('node:fs');
      const page = parsePage(readFileSync('fixtures/sample-response.json'));
      console.log(JSON.stringify({ scanner: scanner !== undefined, uids: page.followers.map((f) => f.uid) }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--jitless', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' })) as { scanner: boolean; uids: string[] };
    expect(out.scanner).toBe(false);
    expect(out.uids.length).toBeGreaterThan(0);
    expect(out.uids.every((uid) => /^[0-9]+$/.test(uid))).toBe(true);
  });
});
