#!/usr/bin/env node
/**
 * `npm run bench`: tkf measured as a whole process, the way a user runs it, against a bare loop
 * (bench/floor.mjs) on the same pages. Figures are printed, never asserted: a missed target is
 * marked MISS and the exit code stays 0.
 *
 *   npm run bench                       100k rounds, latency run, 8-user batch (~3 min on 2 cores)
 *   npm run bench -- --profile          + a --cpu-prof run of tkf per format, top 20 self times
 *   npm run bench -- --big              + a 1,000,000-follower CSV export for peak RSS
 *   npm run bench -- --rounds 5         more rounds (at least 3 make a median worth reading)
 *   npm run bench -- --night-rounds 3   rounds of the night's batch (1,000 accounts; ~80 s a round)
 *   npm run bench -- --quick            the 100k rounds only (with --profile: and the profiles)
 *   npm run bench -- --other-nodes      + the 100k rounds on Node 24 and 26 for peak RSS (the newest
 *                                       of each in scripts/test-node-versions.sh's cache)
 *   npm run bench -- --node PATH        + the same on the Node binary at PATH (repeatable)
 *
 * Everything talks to the simulator over 127.0.0.1, in a process of its own (bench/serve.mjs),
 * with pages rendered ahead of time, so the server is not what is measured. Outputs go to
 * bench/out/ and are deleted as soon as their size is read.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { cpus, availableParallelism, totalmem, loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { OUT, ROOT, exportedRows, exportedRowsAll, fullCollections, median, runMeasured } from './measure.mjs';
import { startServer } from './server-process.mjs';
import { formatSummary, profileFile, summarise } from './profile-summary.mjs';
import { nightBatch } from './night-batch.mjs';
import { historyDbBench } from './history-db.mjs';

const { values: flags } = parseArgs({
  options: {
    big: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    'night-rounds': { type: 'string', default: '2' },
    quick: { type: 'boolean', default: false },
    'other-nodes': { type: 'boolean', default: false },
    node: { type: 'string', multiple: true, default: [] },
  },
});
const ROUNDS = Math.max(1, Number(flags.rounds) || 3);
if (ROUNDS < 3) console.log(`(${ROUNDS} round(s): a median of fewer than 3 is one noisy run; use for a quick look only)`);

const TOKEN = 'sim-token';
/** uids of the bench's lists: 19 digits like real ones, none of the simulator's built-in users. */
const LIST_UID = '7100000000000100000';
const LIST_SIZE = 100_000;
const LATENCY_UID = '7100000000000004000';
const LATENCY_SIZE = 4_000;
const LATENCY_MS = 50;
const BATCH_UIDS = Array.from({ length: 8 }, (_, i) => `710000000000001000${i}`);
const BATCH_SIZE = 1_000;
const BIG_UID = '7100000000001000000';
const BIG_SIZE = 1_000_000;
const PAGE_SIZE = 20;
/** Targets, from the issue. */
const JSONL_WALL_RATIO = 1.1;
const CSV_WALL_RATIO = 1.25;
const RSS_LIMIT_BYTES = 130e6;
/** Issue 20: wall time against the download-only loop (the limit) in the same rounds. */
const LIMIT_RATIOS = { 'tkf JSONL': 2, 'tkf CSV': 3, 'tkf XLSX': 4 };
/** Issue 20: peak RSS of a 100k export on Node 20, and on Node 24/26 over the limit loop's own. */
const RSS_LIMIT_NODE20_BYTES = 100e6;
const RSS_OVER_LIMIT_BYTES = 30e6;
const BIG_RSS_RATIO = 1.1;
const NIGHT_ROUNDS = Math.max(1, Number(flags['night-rounds']) || 2);

const started = performance.now();
const targets = [];
const MB = (bytes) => (bytes / 1e6).toFixed(0);
const seconds = (ms) => (ms / 1000).toFixed(2);
const count = (n) => Math.round(n).toLocaleString('en-US');
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');
/** Which tkf is measured: the commit, and whether src/ differs from it (others may be editing). */
function describeCheckout() {
  const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const changed = git('status', '--porcelain', '--', 'src', 'package.json').split('\n').filter(Boolean).length;
    return `commit ${git('rev-parse', '--short', 'HEAD')}${changed ? `, with ${changed} uncommitted change(s) in src/ or package.json` : ''}; measured: dist/ as built`;
  } catch {
    return 'not a git checkout; measured: dist/ as built';
  }
}
const target = (what, goal, measured, pass, note = '') => targets.push({ what, goal, measured, pass, note });

mkdirSync(OUT, { recursive: true });
const free = statfsSync(OUT);
const freeBytes = free.bavail * free.bsize;
console.log(`tkf bench: node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`);
console.log(`load average at start: ${load()}; ${(freeBytes / 1e9).toFixed(0)} GB free in ${OUT}`);
console.log(`measuring: ${describeCheckout()}`);
if (freeBytes < (flags.big ? 2e9 : 1.5e9)) throw new Error(`not enough free disk in ${OUT} (one 100k JSONL export is ~0.5 GB)`);

// ---- The 100,000-follower list -------------------------------------------------------------
const server = await startServer({ prerender: true, users: { [LIST_UID]: { size: LIST_SIZE } } });
console.log(`\nsimulator (own process, prerender): ${server.url}, one list of ${count(LIST_SIZE)} followers`);

/** tkf's environment: the simulator's token, and no config file of the user's (its "delay" or
 * "concurrency" would change what is measured). */
const TKF_ENV = { TKF_TOKEN: TOKEN, XDG_CONFIG_HOME: join(OUT, 'no-config') };

/** Deletes an export and what tkf keeps beside it (`<out>.part*`, a `<out>.tkf.json` manifest...). */
function removeExport(out) {
  const base = basename(out);
  for (const name of readdirSync(dirname(out))) {
    if (name === base || name.startsWith(`${base}.`)) rmSync(join(dirname(out), name), { recursive: true, force: true });
  }
}

async function tkf(baseUrl, uid, format, label, { nodeArgs, execPath } = {}) {
  const out = join(OUT, `${label}.${format}`);
  removeExport(out);
  // --trace-gc writes to stdout (tkf's data goes to the file): see fullCollections.
  const m = await runMeasured('bin/tkf.js', ['export', '--uid', uid, '--out', out, '--base-url', baseUrl], { nodeArgs: ['--trace-gc', ...(nodeArgs ?? [])], env: TKF_ENV, execPath });
  m.fullGcs = fullCollections(m.stdout);
  m.rows = exportedRows(m.stderr);
  m.bytes = statSync(out).size;
  m.progressLines = m.stderr.split('\n').filter((line) => /followers, [\d,]+ requests/.test(line)).length;
  removeExport(out);
  return m;
}

async function floor(baseUrl, uid, label, downloadOnly, { execPath } = {}) {
  const out = join(OUT, `${label}.jsonl`);
  const args = ['--base-url', baseUrl, '--uid', uid, ...(downloadOnly ? ['--download-only'] : ['--out', out])];
  const m = await runMeasured('bench/floor.mjs', args, { env: { TKF_TOKEN: TOKEN }, execPath });
  const result = JSON.parse(m.stdout);
  m.rows = result.followers ?? result.pages * PAGE_SIZE;
  m.loopMs = result.loopMs;
  m.bytes = downloadOnly ? result.bodyBytes : statSync(out).size;
  if (!downloadOnly) rmSync(out);
  return m;
}

function describe(m) {
  return `${seconds(m.wallMs).padStart(6)} s  ${count(m.rows / (m.wallMs / 1000)).padStart(7)}/s  CPU ${seconds(m.cpuMs)} s (user ${seconds(m.userMs)}, sys ${seconds(m.sysMs)})  peak RSS ${MB(m.maxRssBytes)} MB`;
}

// Warm-up: one walk renders every page into the server's cache (and shows what rendering costs).
let before = await server.stats();
const warm = await floor(server.url, LIST_UID, 'warm', true);
let after = await server.stats();
const renderMsPerPage = (after.cpuUs - before.cpuUs) / 1000 / (after.requests - before.requests);
console.log(`warm-up walk: ${after.requests - before.requests} pages in ${seconds(warm.wallMs)} s; the server spent ${renderMsPerPage.toFixed(3)} ms CPU a page rendering them`);

const contestants = [
  { name: 'tkf JSONL', run: (r) => tkf(server.url, LIST_UID, 'jsonl', `tkf-${r}`) },
  { name: 'tkf CSV', run: (r) => tkf(server.url, LIST_UID, 'csv', `tkf-${r}`) },
  // Its wall time includes rendering the workbook from the part file at the end (no ratio target).
  { name: 'tkf XLSX', run: (r) => tkf(server.url, LIST_UID, 'xlsx', `tkf-${r}`) },
  { name: 'floor (JSONL)', run: (r) => floor(server.url, LIST_UID, `floor-${r}`, false) },
  { name: 'limit (download only)', run: (r) => floor(server.url, LIST_UID, `limit-${r}`, true) },
];
const results = new Map(contestants.map((c) => [c.name, []]));

console.log(`\n${ROUNDS} rounds, interleaved, order rotated each round; ${count(LIST_SIZE)} followers each`);
before = await server.stats();
for (let round = 1; round <= ROUNDS; round++) {
  const order = contestants.map((_, i) => contestants[(i + round - 1) % contestants.length]);
  for (const contestant of order) {
    const m = await contestant.run(round);
    results.get(contestant.name).push(m);
    const check = m.rows === LIST_SIZE ? '' : `  !! ${m.rows} rows, expected ${LIST_SIZE}`;
    const progress = m.progressLines !== undefined ? `  (${m.progressLines} progress lines, ${m.fullGcs} full collections)` : '';
    console.log(`  round ${round}  ${contestant.name.padEnd(22)} ${describe(m)}${progress}${check}`);
  }
}
after = await server.stats();
const serveMsPerPage = (after.cpuUs - before.cpuUs) / 1000 / (after.requests - before.requests);
console.log(`server's own cost, prerendered: ${serveMsPerPage.toFixed(3)} ms CPU a page (${count(after.requests - before.requests)} requests during the rounds)`);
console.log(`load average after the rounds: ${load()}`);
await server.close();

const summary = contestants.map(({ name }) => {
  const runs = results.get(name);
  const wall = median(runs.map((m) => m.wallMs));
  return {
    name,
    wall,
    min: Math.min(...runs.map((m) => m.wallMs)),
    max: Math.max(...runs.map((m) => m.wallMs)),
    cpu: median(runs.map((m) => m.cpuMs)),
    rss: median(runs.map((m) => m.maxRssBytes)),
    bytes: runs[0].bytes,
  };
});
const floorRow = summary.find((row) => row.name === 'floor (JSONL)');
const limitRow = summary.find((row) => row.name === 'limit (download only)');
console.log(`\nmedians of ${ROUNDS} rounds, ${count(LIST_SIZE)} followers (${count(LIST_SIZE / PAGE_SIZE)} pages):\n`);
console.log('| run | wall s | min-max s | followers/s | CPU s (user+sys) | peak RSS MB | output MB | wall / floor | CPU / floor | RSS / floor | wall / limit | CPU / limit |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of summary) {
  const ratio = (a, b) => (a / b).toFixed(2);
  console.log(
    `| ${row.name} | ${seconds(row.wall)} | ${seconds(row.min)}-${seconds(row.max)} | ${count(LIST_SIZE / (row.wall / 1000))} | ${seconds(row.cpu)} | ${MB(row.rss)} | ${MB(row.bytes)} | ${ratio(row.wall, floorRow.wall)} | ${ratio(row.cpu, floorRow.cpu)} | ${ratio(row.rss, floorRow.rss)} | ${ratio(row.wall, limitRow.wall)} | ${ratio(row.cpu, limitRow.cpu)} |`,
  );
}
// Issue 20's ratios, per round too: a round's tkf and limit ran minutes apart at most, so each
// round's ratio is a fair reading on a shared machine, and their spread shows the noise.
console.log(`\nissue 20: wall against the download-only loop (the limit), each round and the medians (load now ${load()}):`);
for (const [name, goal] of Object.entries(LIMIT_RATIOS)) {
  const perRound = results.get(name).map((m, i) => (m.wallMs / results.get('limit (download only)')[i].wallMs).toFixed(2));
  const ratio = byNameOf(summary)[name].wall / limitRow.wall;
  console.log(`  ${name.padEnd(10)} ${ratio.toFixed(2)} x the limit (rounds: ${perRound.join(', ')}); goal <= ${goal} x; CPU ${(byNameOf(summary)[name].cpu / limitRow.cpu).toFixed(2)} x the limit's`);
}
function byNameOf(rows) {
  return Object.fromEntries(rows.map((row) => [row.name, row]));
}
const byName = byNameOf(summary);
for (const [name, goal] of Object.entries(LIMIT_RATIOS)) {
  const ratio = byName[name].wall / limitRow.wall;
  target(`${name} wall <= ${goal} x limit (issue 20)`, `<= ${seconds(goal * limitRow.wall)} s`, `${seconds(byName[name].wall)} s = ${ratio.toFixed(2)} x`, ratio <= goal,
    ratio <= goal ? '' : `${seconds(byName[name].wall - goal * limitRow.wall)} s over`);
}
for (const [name, limit] of [['tkf JSONL', JSONL_WALL_RATIO], ['tkf CSV', CSV_WALL_RATIO]]) {
  const ratio = byName[name].wall / floorRow.wall;
  const over = byName[name].wall - limit * floorRow.wall;
  target(`${name} wall <= ${limit} x floor`, `<= ${seconds(limit * floorRow.wall)} s`, `${seconds(byName[name].wall)} s = ${ratio.toFixed(2)} x`, ratio <= limit,
    ratio <= limit ? '' : `${seconds(over)} s (${((100 * over) / (limit * floorRow.wall)).toFixed(0)}%) over`);
}
for (const name of ['tkf JSONL', 'tkf CSV', 'tkf XLSX']) {
  const rss = byName[name].rss;
  target(`${name} peak RSS <= 130 MB at 100k`, '<= 130 MB', `${MB(rss)} MB`, rss <= RSS_LIMIT_BYTES, rss <= RSS_LIMIT_BYTES ? '' : `${MB(rss - RSS_LIMIT_BYTES)} MB over`);
  const goal = RSS_LIMIT_NODE20_BYTES;
  const what = `${name} peak RSS at 100k, Node ${process.versions.node.split('.')[0]} (issue 20: <= 100 MB on Node 20)`;
  target(what, '<= 100 MB', `${MB(rss)} MB (limit loop ${MB(limitRow.rss)} MB)`, rss <= goal, rss <= goal ? '' : `${MB(rss - goal)} MB over`);
}

// ---- The same 100k rounds on other Nodes (issue 20: peak RSS <= the limit loop's + 30 MB) ----
/** The newest cached Node of each major, where scripts/test-node-versions.sh keeps them. */
function cachedNodes(majors) {
  const cache = process.env.TKF_NODE_CACHE ?? (process.env.XDG_CACHE_HOME ? join(process.env.XDG_CACHE_HOME, 'tkf-node') : process.env.HOME ? join(process.env.HOME, '.cache', 'tkf-node') : undefined);
  if (!cache) return [];
  let versions = [];
  try {
    versions = readdirSync(cache).filter((name) => /^\d+\.\d+\.\d+$/.test(name));
  } catch {
    return [];
  }
  const key = (v) => v.split('.').map(Number);
  versions.sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
  return majors.flatMap((major) => {
    const version = versions.filter((v) => v.startsWith(`${major}.`)).at(-1);
    if (!version) console.log(`(no Node ${major} in ${cache}: run scripts/test-node-versions.sh ${major} once to fetch it)`);
    return version ? [join(cache, version, 'bin', 'node')] : [];
  });
}
const otherNodes = [...(flags['other-nodes'] ? cachedNodes([24, 26]) : []), ...flags.node];
if (otherNodes.length) {
  const other = await startServer({ prerender: true, users: { [LIST_UID]: { size: LIST_SIZE } } });
  await floor(other.url, LIST_UID, 'warm', true);
  for (const execPath of otherNodes) {
    const version = execFileSync(execPath, ['--version'], { encoding: 'utf8' }).trim();
    const runs = { 'tkf JSONL': [], 'tkf CSV': [], 'tkf XLSX': [], 'limit (download only)': [] };
    const plan = [
      ['tkf JSONL', (r) => tkf(other.url, LIST_UID, 'jsonl', `node-${r}`, { execPath })],
      ['tkf CSV', (r) => tkf(other.url, LIST_UID, 'csv', `node-${r}`, { execPath })],
      ['tkf XLSX', (r) => tkf(other.url, LIST_UID, 'xlsx', `node-${r}`, { execPath })],
      ['limit (download only)', (r) => floor(other.url, LIST_UID, `node-limit-${r}`, true, { execPath })],
    ];
    console.log(`\nNode ${version} (${execPath}): ${ROUNDS} rounds, interleaved; load ${load()}`);
    // Before the first page: the limit loop with its modules loaded, and tkf with all of its
    // (got's among them) and one request refused by a closed port (exit 6). What is spent here
    // of the 30 MB is spent whatever a run does afterwards.
    const loadedLimit = [];
    const loadedTkf = [];
    for (let i = 0; i < 3; i++) {
      loadedLimit.push((await runMeasured('bench/floor.mjs', ['--load-only'], { execPath })).maxRssBytes);
      const m = await runMeasured('bin/tkf.js', ['export', '--uid', LIST_UID, '--out', join(OUT, 'loaded.jsonl'), '--force', '--base-url', 'http://127.0.0.1:1', '--retries', '0'], { env: { TKF_TOKEN: TOKEN }, execPath, exitCode: 6 });
      loadedTkf.push(m.maxRssBytes);
    }
    const [limitLoaded, tkfLoaded] = [median(loadedLimit), median(loadedTkf)];
    console.log(`  loaded, before the first page: limit loop ${MB(limitLoaded)} MB, tkf ${MB(tkfLoaded)} MB (+ ${MB(tkfLoaded - limitLoaded)} MB of the 30)`);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, run] of plan.map((_, i) => plan[(i + round - 1) % plan.length])) {
        const m = await run(round);
        runs[name].push(m);
        console.log(`  round ${round}  ${name.padEnd(22)} ${describe(m)}${m.rows === LIST_SIZE ? '' : `  !! ${m.rows} rows`}`);
      }
    }
    const limitRss = median(runs['limit (download only)'].map((m) => m.maxRssBytes));
    const limitWall = median(runs['limit (download only)'].map((m) => m.wallMs));
    for (const name of ['tkf JSONL', 'tkf CSV', 'tkf XLSX']) {
      const rss = median(runs[name].map((m) => m.maxRssBytes));
      const wall = median(runs[name].map((m) => m.wallMs));
      const goal = limitRss + RSS_OVER_LIMIT_BYTES;
      console.log(`  ${name.padEnd(10)} median peak RSS ${MB(rss)} MB = limit loop ${MB(limitRss)} MB + ${MB(rss - limitRss)} MB; wall ${seconds(wall)} s = ${(wall / limitWall).toFixed(2)} x the limit`);
      target(`${name} peak RSS, Node ${version} <= limit loop + 30 MB`, `<= ${MB(goal)} MB`, `${MB(rss)} MB (limit ${MB(limitRss)} MB)`, rss <= goal, rss <= goal ? '' : `${MB(rss - goal)} MB over`);
      if (version.startsWith('v20.')) {
        target(`${name} peak RSS, Node ${version} <= 100 MB`, '<= 100 MB', `${MB(rss)} MB`, rss <= RSS_LIMIT_NODE20_BYTES, rss <= RSS_LIMIT_NODE20_BYTES ? '' : `${MB(rss - RSS_LIMIT_NODE20_BYTES)} MB over`);
      }
    }
  }
  await other.close();
}

// ---- Latency, and eight users at once --------------------------------------------------------
if (!flags.quick) {
  const users = { [LATENCY_UID]: { size: LATENCY_SIZE } };
  for (const uid of BATCH_UIDS) users[uid] = { size: BATCH_SIZE };
  const slow = await startServer({ prerender: true, warm: true, latencyMs: LATENCY_MS, users });
  const pages = LATENCY_SIZE / PAGE_SIZE;
  const ideal = pages * LATENCY_MS;
  const latency = await tkf(slow.url, LATENCY_UID, 'jsonl', 'latency');
  // The bare loop's own distance from the ideal (the server's timer fires a little late, a page
  // takes a moment to cross): measured on one of the batch lists, 50 pages, to keep the bench short.
  const bare = await floor(slow.url, BATCH_UIDS[0], 'latency-limit', true);
  const barePages = BATCH_SIZE / PAGE_SIZE;
  const latencyGoal = 1.05 * ideal + 1000;
  // tkf's own summary: "exported 4,000 followers; 200 requests in 11.2 s; file: ..." (no process start).
  const ownMs = Number(/requests? in ([\d.]+) s/.exec(latency.stderr)?.[1]) * 1000;
  const ownPerPage = Number.isFinite(ownMs) ? `; by its own clock ${seconds(ownMs)} s = ${(ownMs / pages).toFixed(1)} ms a page` : '';
  console.log(`\nlatency run: the server waits ${LATENCY_MS} ms before each answer; ${pages} pages (${count(LATENCY_SIZE)} followers); ideal = pages x latency = ${seconds(ideal)} s`);
  console.log(`  tkf JSONL               ${seconds(latency.wallMs)} s = ${(latency.wallMs / ideal).toFixed(3)} x ideal, process start included${ownPerPage}`);
  console.log(`  limit (download only)   ${(bare.loopMs / barePages).toFixed(1)} ms a page in its loop (${barePages} pages): the server's timer and the transfer add ${(bare.loopMs / barePages - LATENCY_MS).toFixed(1)} ms to the latency`);
  target(`latency run <= 1.05 x ideal + 1 s`, `<= ${seconds(latencyGoal)} s`, `${seconds(latency.wallMs)} s = ${(latency.wallMs / ideal).toFixed(3)} x`, latency.wallMs <= latencyGoal,
    latency.wallMs <= latencyGoal ? '' : `${seconds(latency.wallMs - latencyGoal)} s over`);

  /** `tkf export --uids-file` if this tkf has it (it came with the batch issue), with an {uid} template. */
  async function tkfBatch(baseUrl, uids, concurrency, label) {
    const dir = join(OUT, label);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const list = join(dir, 'uids.txt');
    writeFileSync(list, `${uids.join('\n')}\n`);
    const args = ['export', '--uids-file', list, '--concurrency', String(concurrency), '--out', join(dir, '{uid}.csv'), '--base-url', baseUrl];
    const m = await runMeasured('bin/tkf.js', args, { env: TKF_ENV });
    m.rows = exportedRowsAll(m.stderr);
    rmSync(dir, { recursive: true, force: true });
    return m;
  }

  const batchIdeal = (BATCH_SIZE / PAGE_SIZE) * LATENCY_MS;
  const batchRows = BATCH_UIDS.length * BATCH_SIZE;
  const hasBatch = /--uids-file/.test(execFileSync(process.execPath, ['bin/tkf.js', 'export', '--help'], { cwd: ROOT, encoding: 'utf8' }));
  console.log(`\n${BATCH_UIDS.length} users of ${count(BATCH_SIZE)} followers, ${LATENCY_MS} ms a page, CSV; ideal: ${seconds(BATCH_UIDS.length * batchIdeal)} s one after another, ${seconds(batchIdeal)} s all at once`);
  const batchLine = (what, ms, rows, extra = '') =>
    console.log(`  ${what.padEnd(44)} ${seconds(ms).padStart(6)} s${extra}${rows === batchRows ? '' : `  !! ${rows} rows, expected ${batchRows}`}`);
  if (hasBatch) {
    const one = await tkfBatch(slow.url, BATCH_UIDS, 1, 'batch-1');
    const all = await tkfBatch(slow.url, BATCH_UIDS, BATCH_UIDS.length, `batch-${BATCH_UIDS.length}`);
    batchLine('tkf --uids-file --concurrency 1', one.wallMs, one.rows, `  CPU ${seconds(one.cpuMs)} s, peak RSS ${MB(one.maxRssBytes)} MB`);
    batchLine(`tkf --uids-file --concurrency ${BATCH_UIDS.length}`, all.wallMs, all.rows,
      `  CPU ${seconds(all.cpuMs)} s, peak RSS ${MB(all.maxRssBytes)} MB; ${(one.wallMs / all.wallMs).toFixed(1)} x faster than --concurrency 1`);
  } else {
    // A placeholder until tkf exports several users itself: one tkf process per user.
    console.log('  (this tkf has no --uids-file/--concurrency: a placeholder, one tkf process per user)');
    let t0 = performance.now();
    let rows = 0;
    for (const uid of BATCH_UIDS) rows += (await tkf(slow.url, uid, 'csv', `batch-seq-${uid}`)).rows;
    const sequentialMs = performance.now() - t0;
    batchLine(`${BATCH_UIDS.length} tkf processes, one after another`, sequentialMs, rows);
    t0 = performance.now();
    const parallel = await Promise.all(BATCH_UIDS.map((uid) => tkf(slow.url, uid, 'csv', `batch-par-${uid}`)));
    const parallelMs = performance.now() - t0;
    batchLine(`${BATCH_UIDS.length} tkf processes started at once`, parallelMs, parallel.reduce((sum, m) => sum + m.rows, 0),
      `  peak RSS ${MB(Math.max(...parallel.map((m) => m.maxRssBytes)))} MB each; ${(sequentialMs / parallelMs).toFixed(1)} x faster than one at a time`);
  }
  await slow.close();

  // ---- The night's batch: 1,000 accounts, 10 pages each, 50 ms a page (bench/night-batch.mjs) ----
  for (const t of await nightBatch({ rounds: NIGHT_ROUNDS, env: TKF_ENV })) targets.push(t);

  // ---- --db into SQLite: a 100k export alone and recorded (bench/history-db.mjs) ------------------
  for (const t of await historyDbBench({ rounds: ROUNDS, env: TKF_ENV })) targets.push(t);
} // !flags.quick

// ---- Profile (opt-in) ------------------------------------------------------------------------
if (flags.profile) {
  const profiled = await startServer({ prerender: true, users: { [LIST_UID]: { size: LIST_SIZE } } });
  await floor(profiled.url, LIST_UID, 'warm', true);
  for (const format of ['jsonl', 'csv', 'xlsx']) {
    const dir = join(OUT, `profile-${format}`);
    rmSync(dir, { recursive: true, force: true });
    const m = await tkf(profiled.url, LIST_UID, format, 'profile', { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
    const file = profileFile(dir);
    console.log(`\nprofile of tkf ${format.toUpperCase()} at ${count(LIST_SIZE)} followers (${seconds(m.wallMs)} s with the profiler on): ${file}`);
    console.log(formatSummary(summarise(JSON.parse(readFileSync(file, 'utf8')), 20)));
  }
  await profiled.close();
}

// ---- A million followers, for memory (opt-in) -----------------------------------------------
if (flags.big) {
  // 1M followers are ~5 GB of pages: past the prerender cache's 1 GiB, so the server renders each
  // page as it is asked (~0.7-0.8 ms of its own CPU a page, on the same two cores). CSV, because
  // 1M followers of JSONL are ~5 GB on disk.
  const big = await startServer({ prerender: false, users: { [BIG_UID]: { size: BIG_SIZE } } });
  const m = await tkf(big.url, BIG_UID, 'csv', 'big');
  await big.close();
  const reference = byName['tkf CSV'].rss;
  console.log(`\nmemory run: ${count(BIG_SIZE)} followers, tkf CSV, server rendering every page (not prerendered)`);
  console.log(`  ${describe(m)}; ${MB(m.bytes)} MB of CSV${m.rows === BIG_SIZE ? '' : `  !! ${m.rows} rows`}`);
  console.log(`  peak RSS ${MB(m.maxRssBytes)} MB at 1M against ${MB(reference)} MB at 100k (tkf CSV median): ${(m.maxRssBytes / reference).toFixed(2)} x`);
  const ok = m.maxRssBytes <= BIG_RSS_RATIO * reference;
  target('peak RSS at 1M <= 1.1 x at 100k (CSV)', `<= ${MB(BIG_RSS_RATIO * reference)} MB`, `${MB(m.maxRssBytes)} MB = ${(m.maxRssBytes / reference).toFixed(2)} x`, ok,
    ok ? '' : `${MB(m.maxRssBytes - BIG_RSS_RATIO * reference)} MB over`);
}

console.log('\ntargets (printed, never asserted):\n');
console.log('| target | goal | measured | | |');
console.log('| --- | --- | --- | --- | --- |');
for (const t of targets) console.log(`| ${t.what} | ${t.goal} | ${t.measured} | ${t.pass ? 'PASS' : 'MISS'} | ${t.note} |`);
console.log(`\nload average at the end: ${load()}; the whole bench took ${seconds(performance.now() - started)} s`);
