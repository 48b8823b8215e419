/**
 * Proxies, end to end: a real forward proxy on 127.0.0.1 (CONNECT, as corporate proxies and
 * squid speak it) between tkf and the simulator. HTTP_PROXY / http_proxy / NO_PROXY / --proxy are
 * honoured, credentials in the proxy URL work, and neither the token nor the proxy password shows
 * anywhere tkf writes. tkf runs in process (tkf(): createProgram through runCli with the
 * environment given here only, the exit code main() exits with).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { runTkfInProcess as tkf } from '../helpers/run-cli.js';
import { withTempDir } from './run-tkf.js';
import { tunnel } from '../helpers/tunnel.js';

const TOKEN = 'tkn-PROXY-secret-5m4n';
const UID = '7200000000000000001';
const PASSWORD = 'pr0xy-PASS-w0rd';

interface Proxy {
  url: string;
  /** The CONNECT targets asked for, in order. */
  tunnels: string[];
  /** Everything the proxy saw from tkf outside the tunnels (request lines and headers). */
  seen: string[];
  close(): Promise<void>;
}

/** A forward proxy: CONNECT host:port, optionally with Basic credentials required (407 without). */
/** `deny`: every CONNECT answered 403 (a proxy whose policy refuses the API's host). */
async function startProxy(auth?: string, deny = false): Promise<Proxy> {
  const tunnels: string[] = [];
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(405).end();
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    seen.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)}`);
    sockets.add(client);
    if (deny) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    if (auth && req.headers['proxy-authorization'] !== `Basic ${Buffer.from(auth).toString('base64')}`) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n');
      return;
    }
    tunnels.push(req.url ?? '');
    tunnel(req, client, head, sockets);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    seen,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let sim: Simulator;
let proxy: Proxy;
beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, users: { [UID]: { size: 60 } } });
  proxy = await startProxy();
});
afterAll(async () => {
  await Promise.all([sim.close(), proxy.close()]);
});

async function exportThrough(env: Record<string, string>, extra: string[] = []) {
  return withTempDir(async (dir) => {
    const out = join(dir, 'f.jsonl');
    const result = await tkf(['export', '--uid', UID, '--out', out, '--json', '--verbose', ...extra], {
      env: { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url, ...env },
    });
    const files = await readdir(dir);
    const written = await Promise.all(files.map((name) => readFile(join(dir, name), 'utf8')));
    return { ...result, written: written.join('\n') };
  });
}

const simHost = () => new URL(sim.url).host;

describe('proxies', () => {
  it.each(['HTTP_PROXY', 'http_proxy'])('%s: every request goes through the proxy, by CONNECT (the proxy never sees the token)', async (name) => {
    const before = { tunnels: proxy.tunnels.length, requests: sim.stats.requests };
    const result = await exportThrough({ [name]: proxy.url });
    expect(result.code).toBe(0);
    expect(sim.stats.requests - before.requests).toBe(3);
    expect(proxy.tunnels.slice(before.tunnels)).toEqual([simHost()]);
    for (const text of [result.stdout, result.stderr, result.written, proxy.seen.join('\n')]) expect(text).not.toContain(TOKEN);
  });

  it('NO_PROXY naming the host (with or without the port) goes direct; --proxy wins over NO_PROXY', async () => {
    for (const noProxy of ['127.0.0.1', `localhost,${simHost()}`, '*']) {
      const before = proxy.tunnels.length;
      const result = await exportThrough({ HTTP_PROXY: proxy.url, NO_PROXY: noProxy });
      expect(result.code).toBe(0);
      expect(proxy.tunnels.length).toBe(before);
    }
    const before = proxy.tunnels.length;
    const flagged = await exportThrough({ no_proxy: '127.0.0.1' }, ['--proxy', proxy.url]);
    expect(flagged.code).toBe(0);
    expect(proxy.tunnels.length).toBe(before + 1);
    const direct = await exportThrough({ HTTP_PROXY: proxy.url }, ['--proxy', 'direct']);
    expect(direct.code).toBe(0);
    expect(proxy.tunnels.length).toBe(before + 1);
  });

  it('HTTPS_PROXY alone is not used for an http:// API host', async () => {
    const before = proxy.tunnels.length;
    expect((await exportThrough({ HTTPS_PROXY: proxy.url })).code).toBe(0);
    expect(proxy.tunnels.length).toBe(before);
  });

  it('a proxy that wants credentials: they work from the URL, and neither they nor the token are printed', async () => {
    const guarded = await startProxy(`tkf:${PASSWORD}`);
    try {
      const withCredentials = guarded.url.replace('http://', `http://tkf:${PASSWORD}@`);
      const ok = await exportThrough({ HTTP_PROXY: withCredentials });
      expect(ok.code).toBe(0);
      expect(ok.stderr).toMatch(/through the proxy http:\/\/\*\*\*@127\.0\.0\.1/);
      // Without them: the proxy's answer, said as the proxy's, asked once (not retried), exit 6.
      const asked = guarded.seen.length;
      const refused = await exportThrough({ HTTP_PROXY: guarded.url });
      expect(refused.code).toBe(6);
      expect(refused.stderr).toMatch(/^tkf: .*the proxy http:\/\/127\.0\.0\.1:\d+ \(HTTP_PROXY\) asked for credentials \(HTTP 407 to its CONNECT\); give them in its URL/m);
      expect(guarded.seen.length - asked).toBe(1);
      // Wrong ones: said as refused, not asked for again.
      const wrong = await exportThrough({ HTTP_PROXY: guarded.url.replace('http://', 'http://tkf:not-the-password@') });
      expect(wrong.code).toBe(6);
      expect(wrong.stderr).toMatch(/^tkf: .*the proxy http:\/\/\*\*\*@127\.0\.0\.1:\d+ \(HTTP_PROXY\) refused the credentials in its URL \(HTTP 407 to its CONNECT\); check the user name and password/m);
      expect(wrong.stderr).not.toContain('not-the-password');
      for (const text of [ok.stdout, ok.stderr, ok.written, refused.stdout, refused.stderr]) {
        expect(text).not.toContain(TOKEN);
        expect(text).not.toContain(PASSWORD);
      }
    } finally {
      await guarded.close();
    }
  });

  it('a proxy that refuses the tunnel (403 to the CONNECT): said as the proxy\'s, with where it came from, not as the API failing', async () => {
    const denying = await startProxy(undefined, true);
    try {
      const result = await exportThrough({}, ['--proxy', denying.url, '--retries', '2', '--backoff', '1']);
      expect(result.code).toBe(6);
      // (--verbose, as exportThrough runs, prints the error's stack after its line.)
      expect(result.stderr).toMatch(/\ntkf: the proxy http:\/\/127\.0\.0\.1:\d+ \(--proxy\) answered HTTP 403 to its CONNECT 3 times in a row; the API was not asked; check the proxy, or run without it \(--proxy direct\)\n/);
      expect(result.stderr).not.toContain('the API at');
    } finally {
      await denying.close();
    }
  });

  it('tkf info goes through the same proxy as an export (HTTP_PROXY, --proxy, --proxy direct)', async () => {
    const before = proxy.tunnels.length;
    const info = (env: Record<string, string>, extra: string[] = []) =>
      tkf(['info', '--uid', UID, '--json', ...extra], { env: { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url, ...env } });
    expect((await info({ HTTP_PROXY: proxy.url })).code).toBe(0);
    expect(proxy.tunnels.length).toBe(before + 1);
    expect((await info({}, ['--proxy', proxy.url])).code).toBe(0);
    expect(proxy.tunnels.length).toBe(before + 2);
    expect((await info({ HTTP_PROXY: proxy.url }, ['--proxy', 'direct'])).code).toBe(0);
    expect(proxy.tunnels.length).toBe(before + 2);
    const away = await info({ HTTP_PROXY: 'http://127.0.0.1:9' });
    expect(away.code).toBe(6);
    expect(away.stderr).toMatch(/the proxy http:\/\/127\.0\.0\.1:9 \(HTTP_PROXY\) cannot be reached/);
    // Both set to the same value: the one an http:// API host goes through is named.
    const both = await info({ HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' });
    expect([both.code, both.stderr]).toEqual([6, expect.stringMatching(/the proxy http:\/\/127\.0\.0\.1:9 \(HTTP_PROXY\) cannot be reached/)]);
  });

  it('a proxy that is not there: exit 6 naming the failure, without the token', async () => {
    const result = await exportThrough({ HTTP_PROXY: 'http://127.0.0.1:9' }, ['--retries', '0']);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/ECONNREFUSED/);
    expect(result.stderr).not.toContain(TOKEN);
  });
});
