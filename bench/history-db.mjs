#!/usr/bin/env node
/**
 * The cost of `--db` (issue 16): a 100,000-follower JSONL export alone, and the same export
 * recorded into a SQLite history database, as a first snapshot (a new database) and as the next
 * one (the database already holds the account: every follower is compared and updated). Target:
 * at most +25% wall time. Run by `npm run bench`, or alone: `node bench/history-db.mjs [--rounds n]`;
 * `--latency ms` has the server wait before each answer (the goal is for 0: the walk as fast as the
 * CPU allows, the simulator on the same cores; an API across a network hides more of the recording).
 */
import { mkdirSync, rmSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { OUT, exportedRows, fullCollections, median, runMeasured } from './measure.mjs';
import { startServer } from './server-process.mjs';

const UID = '7100000000000200000';
const SIZE = 100_000;
const LIMIT = 1.25;

function removeAll(path) {
  for (const name of readdirSync(dirname(path))) {
    if (name === basename(path) || name.startsWith(`${basename(path)}.`) || name.startsWith(`${basename(path)}-`)) {
      rmSync(join(dirname(path), name), { recursive: true, force: true });
    }
  }
}

export async function historyDbBench({ rounds = 3, env = {}, latencyMs = 0 } = {}) {
  mkdirSync(OUT, { recursive: true });
  const server = await startServer({ prerender: true, ...(latencyMs > 0 ? { warm: true, latencyMs } : {}), users: { [UID]: { size: SIZE } } });
  const out = join(OUT, 'history-bench.jsonl');
  const db = join(OUT, 'history-bench.sqlite');
  const run = async (withDb) => {
    removeAll(out);
    const args = ['export', '--uid', UID, '--out', out, '--base-url', server.url, ...(withDb ? ['--db', db] : [])];
    // --trace-gc: each round's full collections are printed. A "JSONL alone" round in Node 20's
    // slow mode (~140 of them, BENCHMARKS.md seventh session) once made --db look cheap.
    const m = await runMeasured('bin/tkf.js', args, { nodeArgs: ['--trace-gc'], env: { TKF_TOKEN: 'sim-token', ...env } });
    m.rows = exportedRows(m.stderr);
    m.fullGcs = fullCollections(m.stdout);
    return m;
  };
  const seconds = (ms) => (ms / 1000).toFixed(2);
  const line = (name, m) => console.log(`  ${name.padEnd(30)} ${seconds(m.wallMs).padStart(6)} s  CPU ${seconds(m.cpuMs)} s  peak RSS ${(m.maxRssBytes / 1e6).toFixed(0)} MB  ${m.fullGcs} full collections  load ${loadavg()[0].toFixed(2)}${m.rows === SIZE ? '' : `  !! ${m.rows} rows`}`);
  console.log(`\n--db into SQLite: ${SIZE.toLocaleString('en-US')} followers, JSONL, ${rounds} rounds (a warm-up walk first)${latencyMs > 0 ? `, the server waiting ${latencyMs} ms before each answer` : ''}; load ${loadavg()[0].toFixed(2)}`);
  await run(false);
  const results = { bare: [], first: [], next: [] };
  for (let round = 1; round <= rounds; round++) {
    removeAll(db);
    const order = round % 2 ? ['bare', 'first', 'next'] : ['first', 'next', 'bare'];
    for (const name of order) {
      const m = await run(name !== 'bare');
      results[name].push(m);
      line(`round ${round} ${name === 'bare' ? 'JSONL alone' : name === 'first' ? '--db, first snapshot' : '--db, next snapshot'}`, m);
    }
  }
  removeAll(out);
  removeAll(db);
  await server.close();
  const bare = median(results.bare.map((m) => m.wallMs));
  const targets = [];
  for (const [name, label] of [['first', 'first snapshot'], ['next', 'next snapshot']]) {
    const wall = median(results[name].map((m) => m.wallMs));
    const ratio = wall / bare;
    const cpu = median(results[name].map((m) => m.cpuMs));
    const bareCpu = median(results.bare.map((m) => m.cpuMs));
    console.log(`  median ${label}: ${seconds(wall)} s against ${seconds(bare)} s alone = ${ratio.toFixed(2)} x (CPU ${seconds(cpu)} s against ${seconds(bareCpu)} s = ${(cpu / bareCpu).toFixed(2)} x)`);
    targets.push({
      what: `--db SQLite (${label}) wall <= ${LIMIT} x JSONL alone at 100k`,
      goal: `<= ${seconds(LIMIT * bare)} s`,
      measured: `${seconds(wall)} s = ${ratio.toFixed(2)} x`,
      pass: ratio <= LIMIT,
      note: ratio <= LIMIT ? '' : `${seconds(wall - LIMIT * bare)} s over`,
    });
  }
  return targets;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, latency: { type: 'string', default: '0' } } });
  for (const t of await historyDbBench({ rounds: Math.max(1, Number(values.rounds) || 3), latencyMs: Math.max(0, Number(values.latency) || 0) })) {
    console.log(`${t.what}: ${t.measured} (goal ${t.goal}) ${t.pass ? 'PASS' : 'MISS'} ${t.note}`);
  }
}
