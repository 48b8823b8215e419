/**
 * V8's young generation as bin/tkf.js and src/cli/main.ts set it up (their comments say why):
 * held at its starting 1 MiB semi-spaces from before tkf's modules load (and after the --db
 * recording thread starts), read off V8's own trace: `--trace-gc-verbose` prints the new space's
 * committed size (both semi-spaces) after each collection. And grown once, to 2 MiB, for an
 * export whose rows are built of decoded values: that the export asks for it (in process), and
 * what the growth leaves, read by the process itself as it returns. Not from the trace: V8 may
 * shrink the space again at a later mark-compact when it measures the allocation rate as low (a
 * time), which a busy machine made it do (Node 26, 1 run in ~25, and under --predictable too).
 * Sizes, not times: the machine's speed does not change them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runTkfInProcess } from '../helpers/run-cli.js';
import { BIN, baseEnv } from './run-tkf.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tkf-young-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The new space's committed KB after each collection of a --demo export (5,000 followers), by isolate (the trace's `[pid:address]`). */
async function newSpaceSizesByIsolate(format: string, extra: string[] = []): Promise<Map<string, number[]>> {
  const { stdout } = await run(process.execPath, ['--trace-gc', '--trace-gc-verbose', BIN, 'export', '--demo', '--out', join(dir, `demo.${format}`), '--force', ...extra], {
    env: baseEnv({ XDG_CONFIG_HOME: join(dir, 'no-config') }),
    maxBuffer: 256 * 1024 * 1024,
  });
  const sizes = new Map<string, number[]>();
  for (const match of stdout.matchAll(/^(\[\d+:0x[0-9a-f]+\])\s+New space,.*committed:\s*(\d+) KB/gm)) {
    const list = sizes.get(match[1]!) ?? [];
    list.push(Number(match[2]));
    sizes.set(match[1]!, list);
  }
  return sizes;
}

/** The same, of the process's only isolate. */
async function newSpaceSizes(format: string): Promise<number[]> {
  return [...(await newSpaceSizesByIsolate(format)).values()].flat();
}

describe('the young generation', () => {
  it('keeps its starting size while tkf starts (the modules load after the flag)', async () => {
    const sizes = await newSpaceSizes('jsonl');
    expect(sizes.length).toBeGreaterThan(10);
    // Set after the modules loaded, it had grown to 2 MiB semi-spaces (4,096 KB) by the fourth
    // collection. Only the start is held to it: Node 26 sizes its new space itself and may grow it
    // later when much survives, whatever the flag.
    expect(Math.max(...sizes.slice(0, 10))).toBeLessThanOrEqual(2048);
  }, 60_000);

  it('keeps its size in both threads of an export with --db (Node 20 sets the flags back as the recording thread starts: the thread sets them again)', async () => {
    const sizes = await newSpaceSizesByIsolate('jsonl', ['--db', join(dir, 'history.sqlite')]);
    // The walks' thread and the recording thread. Without setting the flags again, Node 20 grew
    // them to 8,192 and 16,384 KB (both semi-spaces) during this export. Node 20 resets them as the
    // thread's isolate is made, before the thread runs a line (record-thread.ts sets them first
    // thing, its young generation also held by its own limit): on a busy machine the walks' thread
    // can scavenge in between and grow once, to 4,096 KB (1 export of 85 with the two cores kept
    // busy besides). One step is that window; more would be the flags left unset.
    const [walks, recording] = [...sizes.values()].sort((a, b) => b.length - a.length);
    expect(sizes.size).toBe(2);
    expect(walks!.length).toBeGreaterThan(10);
    expect(Math.max(...walks!)).toBeLessThanOrEqual(4096);
    expect(recording!.length).toBeGreaterThan(10);
    expect(Math.max(...recording!)).toBeLessThanOrEqual(2048);
  }, 60_000);

  it('is asked for room for rows by an export of decoded rows (CSV), not by JSONL', async () => {
    for (const [format, asked] of [['csv', 1], ['jsonl', 0]] as const) {
      let calls = 0;
      const result = await runTkfInProcess(['export', '--demo', '--out', join(dir, `asked.${format}`), '--force', '-q'], {
        env: { XDG_CONFIG_HOME: join(dir, 'no-config') },
        heap: { preferRoomForRows: () => void calls++ },
      });
      expect(result.code, result.stderr).toBe(0);
      expect([format, calls]).toEqual([format, asked]);
    }
  }, 60_000);

  it('grows once, from 1 MiB semi-spaces to 2 MiB, when asked for room for rows (growYoungGenerationOnce)', async () => {
    // A process held as bin/tkf.js holds it (the flag set first, then main.js imported; given on
    // the command line V8 takes it for 2); the semi-space's size (used + available) before and
    // right after the growth. Without the growth both are ~1 MiB on Node 20, 24 and 26.
    const script = `
      import v8 from 'node:v8';
      v8.setFlagsFromString('--semi-space-growth-factor=1');
      const semiSpace = () => { const s = v8.getHeapSpaceStatistics().find((e) => e.space_name === 'new_space'); return s.space_used_size + s.space_available_size; };
      const { growYoungGenerationOnce } = await import(${JSON.stringify(new URL('../../dist/cli/main.js', import.meta.url).href)});
      const before = semiSpace();
      growYoungGenerationOnce();
      console.log(JSON.stringify({ before, after: semiSpace() }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: baseEnv({}) });
    const { before, after } = JSON.parse(stdout) as { before: number; after: number };
    const MiB = 1024 * 1024;
    expect(before).toBeLessThanOrEqual(1 * MiB);
    // Grown (main.ts ROWS_NEW_SPACE, 1.8 MiB of it usable), and once: not to 4 MiB.
    expect(after).toBeGreaterThanOrEqual(1.8 * MiB);
    expect(after).toBeLessThanOrEqual(2 * MiB);
  }, 60_000);
});
