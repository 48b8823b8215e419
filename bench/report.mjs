#!/usr/bin/env node
/**
 * `node bench/report.mjs [rounds]` (after npm run build): a report of 100,000 followers against
 * their export, both as whole processes the way a user runs them (bench/measure.mjs). Each round
 * exports the bench's 100k list from the simulator (own process, pages prerendered) to JSONL and to
 * CSV, then runs `tkf report <file> --html <page>` on each. Figures are printed, never asserted.
 *
 * Targets (issue 17): the report takes less than half the wall time of the export it reads, peaks
 * under 200 MB, and its page stays under 2 MB.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { OUT, exportedRows, median, runMeasured } from './measure.mjs';
import { startServer } from './server-process.mjs';

const ROUNDS = Math.max(1, Number(process.argv[2]) || 1);
const TOKEN = 'sim-token';
const LIST_UID = '7100000000000100000';
const LIST_SIZE = 100_000;
const WALL_RATIO = 0.5;
const RSS_LIMIT = 200e6;
const PAGE_LIMIT = 2e6;
const TKF_ENV = { TKF_TOKEN: TOKEN, XDG_CONFIG_HOME: join(OUT, 'no-config') };

const MB = (bytes) => (bytes / 1e6).toFixed(0);
const seconds = (ms) => (ms / 1000).toFixed(2);

function removeExport(out) {
  const base = basename(out);
  for (const name of readdirSync(dirname(out))) {
    if (name === base || name.startsWith(`${base}.`)) rmSync(join(dirname(out), name), { recursive: true, force: true });
  }
}

mkdirSync(OUT, { recursive: true });
const server = await startServer({ prerender: true, users: { [LIST_UID]: { size: LIST_SIZE } } });
console.log(`simulator: ${server.url}, one list of ${LIST_SIZE.toLocaleString('en-US')} followers; ${ROUNDS} round(s)`);
const results = { jsonl: [], csv: [] };
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const format of ['jsonl', 'csv']) {
      const out = join(OUT, `report-bench.${format}`);
      const page = join(OUT, `report-bench-${format}.html`);
      removeExport(out);
      rmSync(page, { force: true });
      const exported = await runMeasured('bin/tkf.js', ['export', '--uid', LIST_UID, '--out', out, '--base-url', server.url], { env: TKF_ENV });
      const rows = exportedRows(exported.stderr);
      if (rows !== LIST_SIZE) throw new Error(`the export wrote ${rows} rows, not ${LIST_SIZE}`);
      const fileBytes = statSync(out).size;
      const report = await runMeasured('bin/tkf.js', ['report', out, '--html', page, '--json'], { env: TKF_ENV });
      const followers = JSON.parse(report.stdout).followers;
      if (followers !== LIST_SIZE) throw new Error(`the report counted ${followers} followers, not ${LIST_SIZE}`);
      const pageBytes = statSync(page).size;
      removeExport(out);
      rmSync(page, { force: true });
      results[format].push({ exported, report, fileBytes, pageBytes });
      console.log(
        `round ${round} ${format}: export ${seconds(exported.wallMs)} s, ${seconds(exported.cpuMs)} s CPU, ${MB(exported.maxRssBytes)} MB; ` +
          `report ${seconds(report.wallMs)} s, ${seconds(report.cpuMs)} s CPU, ${MB(report.maxRssBytes)} MB; file ${MB(fileBytes)} MB, page ${(pageBytes / 1e3).toFixed(0)} kB`,
      );
    }
  }
} finally {
  await server.close();
}

// Wall time is the target; the CPU ratio is printed too, since on a loaded machine the export
// (two processes: tkf and the simulator) stretches more than the report does.
console.log('\nmedians            export wall   report wall   ratio   CPU ratio   report peak RSS   page     target');
for (const format of ['jsonl', 'csv']) {
  const rows = results[format];
  const exportWall = median(rows.map((r) => r.exported.wallMs));
  const reportWall = median(rows.map((r) => r.report.wallMs));
  const rss = median(rows.map((r) => r.report.maxRssBytes));
  const page = Math.max(...rows.map((r) => r.pageBytes));
  const ratio = reportWall / exportWall;
  const pass = ratio < WALL_RATIO && rss < RSS_LIMIT && page < PAGE_LIMIT;
  console.log(
    `${format.padEnd(18)} ${`${seconds(exportWall)} s`.padStart(11)}   ${`${seconds(reportWall)} s`.padStart(11)}   ${ratio.toFixed(2).padStart(5)}   ` +
      `${(median(rows.map((r) => r.report.cpuMs)) / median(rows.map((r) => r.exported.cpuMs))).toFixed(2).padStart(9)}   ${`${MB(rss)} MB`.padStart(15)}   ${`${(page / 1e3).toFixed(0)} kB`.padStart(6)}   ${pass ? 'ok' : 'MISS'} (< ${WALL_RATIO}, < ${MB(RSS_LIMIT)} MB, < 2 MB)`,
  );
}
