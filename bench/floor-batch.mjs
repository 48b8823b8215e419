#!/usr/bin/env node
/**
 * The floor of a batch: what a run over many accounts cannot beat. N workers share one node:http
 * keep-alive agent (N sockets); each takes the next uid of the file and walks its cursors,
 * JSON.parse of each page, writing nothing. No retries, no checks beyond "HTTP 200", no
 * de-duplication, no files.
 *
 *   TKF_TOKEN=sim-token node bench/floor-batch.mjs --base-url URL --uids-file FILE --concurrency N
 *
 * Prints {"accounts":N,"pages":N,"followers":N,"loopMs":N} on stdout.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { 'base-url': { type: 'string' }, 'uids-file': { type: 'string' }, concurrency: { type: 'string', default: '16' } },
});
const token = process.env.TKF_TOKEN ?? 'sim-token';
const concurrency = Number(args.concurrency);
const uids = readFileSync(args['uids-file'], 'utf8').split('\n').filter(Boolean);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const base = `${args['base-url'].replace(/\/+$/, '')}/tk/user/followers?token=${encodeURIComponent(token)}`;

function get(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

const started = performance.now();
let next = 0;
let pages = 0;
let followers = 0;
async function worker() {
  while (next < uids.length) {
    const uid = uids[next++];
    let cursor = 0;
    for (;;) {
      const { data } = JSON.parse((await get(`${base}&uid=${uid}&cursor=${cursor}`)).toString('utf8'));
      pages++;
      followers += data.followers.length;
      if (!data.has_more || !(data.min_time > 0)) break;
      cursor = data.min_time;
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
agent.destroy();
process.stdout.write(`${JSON.stringify({ accounts: uids.length, pages, followers, loopMs: Math.round(performance.now() - started) })}\n`);
