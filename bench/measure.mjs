/**
 * Running a child process the way a user runs tkf, and measuring it as a whole: wall time from
 * spawn to exit (seen from here), and CPU and peak RSS as the child's own getrusage (usage.mjs,
 * loaded with --import, writes them on exit). stdout and stderr are pipes, never a TTY.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OUT = join(ROOT, 'bench', 'out');
const USAGE_URL = pathToFileURL(join(ROOT, 'bench', 'usage.mjs')).href;

let runs = 0;

/**
 * Runs `node [nodeArgs] script [args]` from the repository root and resolves with its figures;
 * `node` is this bench's Node unless `execPath` names another (Node 24/26 for their peak RSS).
 * Rejects if it exits with a code other than `exitCode` (0 unless told), with the tail of its stderr.
 */
export async function runMeasured(script, args, { nodeArgs = [], env = {}, execPath = process.execPath, exitCode = 0 } = {}) {
  mkdirSync(OUT, { recursive: true });
  const usageFile = join(OUT, `usage-${process.pid}-${++runs}.json`);
  const started = performance.now();
  const child = spawn(execPath, ['--import', USAGE_URL, ...nodeArgs, script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, BENCH_USAGE_FILE: usageFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
  let wallMs = 0;
  child.once('exit', () => (wallMs = performance.now() - started));
  const [code, signal] = await once(child, 'close');
  let usage;
  try {
    usage = JSON.parse(readFileSync(usageFile, 'utf8'));
  } catch {
    usage = undefined;
  }
  rmSync(usageFile, { force: true });
  if (code !== exitCode || !usage) {
    const tail = stderr.trim().split('\n').slice(-5).join('\n');
    throw new Error(`${script} ${args.join(' ')} exited ${code ?? signal}:\n${tail}`);
  }
  return {
    wallMs,
    userMs: usage.userCPUTime / 1000,
    sysMs: usage.systemCPUTime / 1000,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    maxRssBytes: usage.maxRSS * 1024,
    stdout,
    stderr,
  };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The rows tkf says it wrote, from its last stderr line: "tkf: exported 100,000 followers; ...". */
export function exportedRows(stderr) {
  const match = /exported ([\d,]+) (?:of [\d,]+ )?followers/.exec(stderr);
  return match ? Number(match[1].replaceAll(',', '')) : undefined;
}

/** The sum over every "exported N followers" line (a --uids-file batch prints one per user). */
export function exportedRowsAll(stderr) {
  let rows = 0;
  for (const match of stderr.matchAll(/exported ([\d,]+) (?:of [\d,]+ )?followers/g)) rows += Number(match[1].replaceAll(',', ''));
  return rows;
}

/**
 * The full collections (Mark-Compacts) in the stdout of a run under `node --trace-gc`, which prints
 * one line a collection: a change that tips V8 into collecting far more often shows in it (Node 20
 * once fell into ~140 in a 100k export instead of ~35 in some runs; bin/tkf.js).
 */
export function fullCollections(stdout) {
  return stdout.split('\n').filter((line) => line.includes('Mark-Compact')).length;
}
