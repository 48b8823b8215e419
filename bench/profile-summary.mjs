#!/usr/bin/env node
/**
 * Where a V8 CPU profile's time went: the top self times, grouped by function and file.
 *
 *   node bench/profile-summary.mjs <file.cpuprofile | directory> [--top 20] [--markdown]
 *
 * A .cpuprofile (from `node --cpu-prof`) is a call tree (`nodes`, each with a callFrame) and a
 * list of samples: `samples[i]` is the id of the node on top of the stack at sample i, and
 * `timeDeltas[i]` the microseconds since the sample before it. Sample i's self time is the gap
 * to the next sample (what Chrome DevTools counts), the last one's the gap to `endTime`.
 * Nodes with the same function name, file and line are one row, wherever they sit in the tree.
 * Also printed: the same time grouped by area (the package or file), which is often the more
 * useful reading (got's code is spread over dozens of small functions).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Self time in microseconds per node id. */
function selfTimes(profile) {
  const self = new Map();
  const { samples = [], timeDeltas = [] } = profile;
  let time = profile.startTime;
  const stamps = samples.map((_, i) => (time += timeDeltas[i] ?? 0));
  for (let i = 0; i < samples.length; i++) {
    const next = i + 1 < samples.length ? stamps[i + 1] : profile.endTime;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + Math.max(0, next - stamps[i]));
  }
  return self;
}

/** "dist/api/page-parser.js", "node_modules/got/...", "node:internal/..." */
function shortFile(url) {
  if (!url) return '';
  let path = url;
  if (url.startsWith('file://')) path = relative(ROOT, fileURLToPath(url));
  // A package is named from its node_modules on, wherever that directory is (a symlink, a workspace).
  const packages = path.lastIndexOf('node_modules/');
  return packages === -1 ? path : path.slice(packages);
}

/** The package or area a file belongs to: got, csv-stringify, node:http internals, tkf's dist/... */
function areaOf(file, name) {
  if (!file) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return `npm: ${pkg[1]}`;
  if (file.startsWith('node:')) {
    const internal = /^node:(?:internal\/)?([^/]+)/.exec(file)?.[1] ?? file;
    return `node: ${internal.replace(/\.js$/, '')}`;
  }
  return file;
}

export function summarise(profile, top = 20) {
  const self = selfTimes(profile);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const rows = new Map();
  const areas = new Map();
  for (const node of profile.nodes) {
    const us = self.get(node.id);
    if (!us) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const file = shortFile(url);
    const key = `${name}\u0000${file}\u0000${lineNumber}`;
    const row = rows.get(key) ?? { name, file, line: lineNumber + 1, us: 0 };
    row.us += us;
    rows.set(key, row);
    const area = areaOf(file, name);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const functions = [...rows.values()].sort((a, b) => b.us - a.us).slice(0, top);
  const byArea = [...areas.entries()].map(([area, us]) => ({ area, us })).sort((a, b) => b.us - a.us).slice(0, top);
  return { totalUs: total, functions, byArea };
}

export function formatSummary({ totalUs, functions, byArea }, { markdown = false } = {}) {
  const ms = (us) => (us / 1000).toFixed(0);
  const pct = (us) => `${((100 * us) / totalUs).toFixed(1)}%`;
  const where = (row) => (row.file ? `${row.file}${row.line > 0 ? `:${row.line}` : ''}` : '');
  const out = [];
  if (markdown) {
    out.push(`Profile: ${ms(totalUs)} ms of samples.`, '', '| # | self ms | self % | function | file |', '| ---: | ---: | ---: | --- | --- |');
    functions.forEach((r, i) => out.push(`| ${i + 1} | ${ms(r.us)} | ${pct(r.us)} | \`${r.name}\` | ${where(r) ? `\`${where(r)}\`` : ''} |`));
    out.push('', '| area | self ms | self % |', '| --- | ---: | ---: |');
    for (const a of byArea) out.push(`| ${a.area} | ${ms(a.us)} | ${pct(a.us)} |`);
  } else {
    out.push(`profile: ${ms(totalUs)} ms of samples; top ${functions.length} self times (function, file:line)`);
    functions.forEach((r, i) =>
      out.push(`${String(i + 1).padStart(3)}. ${ms(r.us).padStart(7)} ms ${pct(r.us).padStart(6)}  ${r.name}  ${where(r)}`),
    );
    out.push('', 'by area:');
    for (const a of byArea) out.push(`     ${ms(a.us).padStart(7)} ms ${pct(a.us).padStart(6)}  ${a.area}`);
  }
  return out.join('\n');
}

/** The newest .cpuprofile of a directory, or the file itself. */
export function profileFile(path) {
  if (!statSync(path).isDirectory()) return path;
  const files = readdirSync(path)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(path, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!files.length) throw new Error(`no .cpuprofile in ${path}`);
  return files[0];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const path = args.find((arg) => !arg.startsWith('--'));
  if (!path) {
    process.stderr.write('usage: node bench/profile-summary.mjs <file.cpuprofile|dir> [--top N] [--markdown]\n');
    process.exit(2);
  }
  const topAt = args.indexOf('--top');
  const top = topAt === -1 ? 20 : Number(args[topAt + 1]);
  const file = profileFile(path);
  const summary = summarise(JSON.parse(readFileSync(file, 'utf8')), top);
  process.stdout.write(`${file}\n${formatSummary(summary, { markdown: args.includes('--markdown') })}\n`);
}
