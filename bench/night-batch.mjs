#!/usr/bin/env node
/**
 * The night's batch (issue 9): 1,000 accounts x 10 pages (200 followers each) behind 50 ms of
 * latency, exported by `tkf export --uids-file --concurrency 16` to CSV and to JSONL, against the bare loop
 * (bench/floor-batch.mjs: 16 workers, node:http keep-alive + JSON.parse, writing nothing) on the
 * same simulator process, interleaved; and the same batch recorded into a SQLite history database
 * (`--db`, no --out: each walk staged, then recorded; a new database each round, so every account's
 * first snapshot). Part of `npm run bench`; alone:
 *
 *   npm run build && node bench/night-batch.mjs [rounds]
 *
 * Returns the targets (wall <= 1.07 x the bare loop, issue 20 (1.1 x before it); peak RSS <= 1.05 x;
 * with --db, wall <= 1.15 x, issue 16) for run.mjs to print.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OUT, median, runMeasured } from './measure.mjs';
import { startServer } from './server-process.mjs';

const ACCOUNTS = 1_000;
const SIZE = 200;
const PAGE_SIZE = 20;
const LATENCY_MS = 50;
const CONCURRENCY = 16;
const WALL_RATIO = 1.07;
const DB_WALL_RATIO = 1.15;
const RSS_RATIO = 1.05;
const TOKEN = 'sim-token';

const MB = (bytes) => (bytes / 1e6).toFixed(0);
const seconds = (ms) => (ms / 1000).toFixed(2);
const count = (n) => Math.round(n).toLocaleString('en-US');

export async function nightBatch({ rounds = 2, env = { TKF_TOKEN: TOKEN, XDG_CONFIG_HOME: join(OUT, 'no-config') } } = {}) {
  const uids = Array.from({ length: ACCOUNTS }, (_, i) => String(7300000000000000000n + BigInt(i)));
  const users = Object.fromEntries(uids.map((uid) => [uid, { size: SIZE }]));
  const server = await startServer({ prerender: true, warm: true, latencyMs: LATENCY_MS, users });
  const dir = join(OUT, 'night');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const list = join(dir, 'uids.txt');
  writeFileSync(list, `${uids.join('\n')}\n`);
  const pages = ACCOUNTS * (SIZE / PAGE_SIZE);
  const ideal = (pages / CONCURRENCY) * LATENCY_MS;
  console.log(`\nthe night's batch: ${count(ACCOUNTS)} accounts x ${SIZE / PAGE_SIZE} pages, ${LATENCY_MS} ms a page, ${CONCURRENCY} at once; ideal ${seconds(ideal)} s; ${rounds} round(s), interleaved; load ${loadavg()[0].toFixed(2)}`);
  const runs = { tkf: [], jsonl: [], floor: [], db: [] };
  const order = ['tkf', 'jsonl', 'floor', 'db'];
  for (let round = 1; round <= rounds; round++) {
    for (const which of order.map((_, i) => order[(i + round - 1) % order.length])) {
      const before = await server.stats();
      let m;
      if (which === 'db') {
        const dbDir = join(dir, 'db');
        rmSync(dbDir, { recursive: true, force: true });
        mkdirSync(dbDir, { recursive: true });
        m = await runMeasured(
          'bin/tkf.js',
          ['export', '--uids-file', list, '--concurrency', String(CONCURRENCY), '--db', join(dbDir, 'history.sqlite'), '--base-url', server.url, '--json'],
          { env },
        );
        m.rows = JSON.parse(m.stdout).totals.rows;
        rmSync(dbDir, { recursive: true, force: true });
      } else if (which !== 'floor') {
        const outDir = join(dir, 'out');
        rmSync(outDir, { recursive: true, force: true });
        m = await runMeasured(
          'bin/tkf.js',
          ['export', '--uids-file', list, '--concurrency', String(CONCURRENCY), '--out', join(outDir, `{uid}.${which === 'tkf' ? 'csv' : 'jsonl'}`), '--base-url', server.url, '--json'],
          { env },
        );
        m.rows = JSON.parse(m.stdout).totals.rows;
        rmSync(outDir, { recursive: true, force: true });
      } else {
        m = await runMeasured('bench/floor-batch.mjs', ['--base-url', server.url, '--uids-file', list, '--concurrency', String(CONCURRENCY)], { env: { TKF_TOKEN: TOKEN } });
        m.rows = JSON.parse(m.stdout).followers;
      }
      m.requests = (await server.stats()).requests - before.requests;
      runs[which].push(m);
      const label =
        which === 'floor'
          ? `bare loop, ${CONCURRENCY} workers (writes nothing)`
          : `tkf --uids-file --concurrency ${CONCURRENCY} (${which === 'tkf' ? 'CSV' : which === 'jsonl' ? 'JSONL' : '--db SQLite'})`;
      const check = m.rows === ACCOUNTS * SIZE ? '' : `  !! ${m.rows} rows, expected ${ACCOUNTS * SIZE}`;
      console.log(
        `  round ${round}  ${label.padEnd(46)} ${seconds(m.wallMs).padStart(6)} s = ${(m.wallMs / ideal).toFixed(2)} x ideal  CPU ${seconds(m.cpuMs)} s  peak RSS ${MB(m.maxRssBytes)} MB  ${count(m.requests)} requests${check}`,
      );
    }
  }
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  const med = (which, key) => median(runs[which].map((m) => m[key]));
  const wall = {}, rss = {}, cpu = {};
  for (const which of order) {
    wall[which] = med(which, 'wallMs');
    rss[which] = med(which, 'maxRssBytes');
    cpu[which] = med(which, 'cpuMs');
  }
  for (const [which, name] of [['tkf', 'tkf CSV'], ['jsonl', 'tkf JSONL'], ['db', 'tkf --db'], ['floor', 'bare loop']]) {
    console.log(
      `  median ${name.padEnd(10)} ${seconds(wall[which]).padStart(6)} s = ${(wall[which] / wall.floor).toFixed(2)} x bare  peak RSS ${MB(rss[which])} MB = ${(rss[which] / rss.floor).toFixed(2)} x  CPU ${seconds(cpu[which])} s (${(cpu[which] / ACCOUNTS).toFixed(1)} ms an account)`,
    );
  }
  const wallRatio = wall.tkf / wall.floor;
  const rssRatio = rss.tkf / rss.floor;
  return [
    { what: `night's batch JSONL wall <= ${WALL_RATIO} x bare loop`, goal: `<= ${seconds(WALL_RATIO * wall.floor)} s`, measured: `${seconds(wall.jsonl)} s = ${(wall.jsonl / wall.floor).toFixed(2)} x`, pass: wall.jsonl / wall.floor <= WALL_RATIO, note: '' },
    { what: `night's batch JSONL peak RSS <= ${RSS_RATIO} x bare loop`, goal: `<= ${MB(RSS_RATIO * rss.floor)} MB`, measured: `${MB(rss.jsonl)} MB = ${(rss.jsonl / rss.floor).toFixed(2)} x`, pass: rss.jsonl / rss.floor <= RSS_RATIO, note: '' },
    { what: `night's batch CSV wall <= ${WALL_RATIO} x bare loop`, goal: `<= ${seconds(WALL_RATIO * wall.floor)} s`, measured: `${seconds(wall.tkf)} s = ${wallRatio.toFixed(2)} x`, pass: wallRatio <= WALL_RATIO, note: '' },
    { what: `night's batch --db SQLite wall <= ${DB_WALL_RATIO} x bare loop`, goal: `<= ${seconds(DB_WALL_RATIO * wall.floor)} s`, measured: `${seconds(wall.db)} s = ${(wall.db / wall.floor).toFixed(2)} x`, pass: wall.db / wall.floor <= DB_WALL_RATIO, note: '' },
    { what: `night's batch CSV peak RSS <= ${RSS_RATIO} x bare loop`, goal: `<= ${MB(RSS_RATIO * rss.floor)} MB`, measured: `${MB(rss.tkf)} MB = ${rssRatio.toFixed(2)} x`, pass: rssRatio <= RSS_RATIO, note: '' },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const t of await nightBatch({ rounds: Math.max(1, Number(process.argv[2]) || 1) })) {
    console.log(`  ${t.pass ? 'PASS' : 'MISS'}  ${t.what}: ${t.measured} (goal ${t.goal})`);
  }
}
