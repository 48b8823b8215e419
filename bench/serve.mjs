#!/usr/bin/env node
/**
 * The API simulator in a process of its own, so the client under measurement does not share an
 * event loop (or a garbage collector) with the server.
 *
 *   node bench/serve.mjs '{"prerender":true,"users":{"7100000000000100000":{"size":100000}}}'
 *
 * The argument is startSimulator()'s options as JSON (host defaults to 127.0.0.1). Prints one line
 * on stdout once listening: {"url":"http://127.0.0.1:PORT"}. Then answers each line read on stdin:
 *
 *   stats   {"requests":N,"cpuUs":N,"rssBytes":N}: requests served and the CPU this process
 *           has used so far, so the caller can tell the server's own cost per page;
 *   (EOF)   closes the server and exits: the server never outlives the bench that started it.
 *
 * With "warm": true the pages of every user in "users" are rendered before the URL is printed,
 * without walking the cursors one round trip at a time (which, with latencyMs, would take
 * pages x latency): the cursors are computed locally with the simulator's own list-pages (a page
 * is a pure function of seed, uid, scenario, now and cursor), then every page is requested
 * concurrently, which fills the prerender cache.
 */
import http from 'node:http';
import { createInterface } from 'node:readline';
import { startSimulator } from '../dist/simulator/index.js';
import { listPages } from '../dist/simulator/list-pages.js';

/** The simulator's defaults, pinned here so the local cursor walk and the server agree. */
const SEED = 1;
const NOW = 1631063752;
const WARM_CONCURRENCY = 32;

const { warm = false, ...rest } = JSON.parse(process.argv[2] ?? '{}');
const options = { host: '127.0.0.1', seed: SEED, now: NOW, ...rest };
const simulator = await startSimulator(options);

if (warm) await warmUp(simulator.url, options);
process.stdout.write(`${JSON.stringify({ url: simulator.url })}\n`);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'stats') {
    const cpu = process.cpuUsage();
    const stats = { requests: simulator.stats.requests, cpuUs: cpu.user + cpu.system, rssBytes: process.memoryUsage().rss };
    process.stdout.write(`${JSON.stringify(stats)}\n`);
  }
});
lines.on('close', async () => {
  await simulator.close();
  process.exit(0);
});

/** Every page's cursor of a list, newest first: 0, then each page's min_time while has_more. */
function cursorsOf(uid, scenario) {
  const list = listPages(options.seed, uid, scenario, options.now);
  const cursors = [];
  let cursor = 0;
  for (;;) {
    cursors.push(cursor);
    // The envelope's head is ASCII and comes first: {"code":200,"msg":"成功","data":{"max_time":..,"min_time":..,"has_more":..
    const head = list.page(cursor).toString('utf8', 0, 200);
    const minTime = Number(/"min_time":(-?\d+)/.exec(head)?.[1]);
    if (!/"has_more":true/.test(head) || !(minTime > 0)) return cursors;
    cursor = minTime;
  }
}

async function warmUp(url, { users = {}, token = 'sim-token' }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: WARM_CONCURRENCY });
  const requests = Object.entries(users).flatMap(([uid, scenario]) =>
    cursorsOf(uid, scenario).map((cursor) => `${url}/tk/user/followers?token=${token}&uid=${uid}&cursor=${cursor}`),
  );
  let next = 0;
  const worker = async () => {
    while (next < requests.length) await get(requests[next++], agent);
  };
  await Promise.all(Array.from({ length: WARM_CONCURRENCY }, worker));
  agent.destroy();
}

function get(url, agent) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
        res.on('error', reject);
      })
      .on('error', reject);
  });
}
