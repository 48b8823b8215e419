#!/usr/bin/env node
/**
 * The floor: the least a follower export can do, to compare tkf against. Deliberately bare and
 * kept out of src/: node:http with a keep-alive agent, JSON.parse of each page, one
 * JSON.stringify line per follower, one write per page to a file stream, waiting for 'drain'
 * when the stream asks. No retries, no checks beyond "HTTP 200", no de-duplication, no
 * progress, no checkpoint, no exact 19-digit numbers.
 *
 *   TKF_TOKEN=sim-token node bench/floor.mjs --base-url URL --uid UID --out FILE.jsonl
 *   TKF_TOKEN=sim-token node bench/floor.mjs --base-url URL --uid UID --download-only
 *
 * --download-only is the limit: the same loop that only downloads the pages (the body is
 * collected into one Buffer; the next cursor is found by a byte search in the envelope's head,
 * no decoding). Prints {"followers":N,"pages":N,"bodyBytes":N,"loopMs":N} on stdout (followers
 * is null with --download-only: counting them would need a parse; loopMs is the loop alone,
 * without the process's start).
 */
import http from 'node:http';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    'base-url': { type: 'string' },
    uid: { type: 'string' },
    out: { type: 'string' },
    'download-only': { type: 'boolean', default: false },
    // Only load this loop's modules, and exit: its peak RSS before the first page (npm run bench
    // prints it beside tkf's, loaded and refused by a closed port).
    'load-only': { type: 'boolean', default: false },
  },
});
if (args['load-only']) process.exit(0);
const token = process.env.TKF_TOKEN ?? 'sim-token';
const agent = new http.Agent({ keepAlive: true });
const base = `${args['base-url'].replace(/\/+$/, '')}/tk/user/followers?token=${encodeURIComponent(token)}&uid=${args.uid}&cursor=`;

function get(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode} for cursor ${url.slice(url.lastIndexOf('=') + 1)}`));
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

const MIN_TIME = Buffer.from('"min_time":');
const HAS_MORE_TRUE = Buffer.from('"has_more":true');

const loopStarted = performance.now();
let cursor = 0;
let pages = 0;
let bodyBytes = 0;
let followers = 0;

if (args['download-only']) {
  for (;;) {
    const body = await get(base + cursor);
    pages++;
    bodyBytes += body.length;
    const at = body.indexOf(MIN_TIME) + MIN_TIME.length;
    const next = parseInt(body.toString('latin1', at, at + 24), 10);
    if (body.indexOf(HAS_MORE_TRUE) === -1 || !(next > 0)) break;
    cursor = next;
  }
  followers = null;
} else {
  const out = createWriteStream(args.out);
  for (;;) {
    const body = await get(base + cursor);
    pages++;
    bodyBytes += body.length;
    const { data } = JSON.parse(body.toString('utf8'));
    let lines = '';
    for (const follower of data.followers) lines += `${JSON.stringify(follower)}\n`;
    followers += data.followers.length;
    if (!out.write(lines)) await once(out, 'drain');
    if (!data.has_more || !(data.min_time > 0)) break;
    cursor = data.min_time;
  }
  out.end();
  await finished(out);
}
agent.destroy();
const loopMs = Math.round(performance.now() - loopStarted);
process.stdout.write(`${JSON.stringify({ followers, pages, bodyBytes, loopMs })}\n`);
