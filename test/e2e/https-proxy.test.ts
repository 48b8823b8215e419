/**
 * An https:// proxy given by its IP address (`--proxy https://10.0.0.5:3128`), end to end with the
 * built binary: a TLS forward proxy on 127.0.0.1 (its certificate, fixtures/tls, names the IP;
 * the child trusts it through NODE_EXTRA_CA_CERTS), to the simulator over http:// and over https://
 * (the same certificate in front of it). hpagent gave the proxy's host as the TLS server name, an IP
 * address too: Node 26 refused it (every request failed, ERR_INVALID_ARG_VALUE), Node 20 and 24
 * printed a DeprecationWarning (DEP0123).
 */
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { runTkf, withTempDir } from './run-tkf.js';
import { tunnel } from '../helpers/tunnel.js';

const TOKEN = 'tkn-TLSPROXY-7q8w9e';
const UID = '7200000000000000001';
const TLS = fileURLToPath(new URL('../../fixtures/tls/', import.meta.url));

let sim: Simulator;
let proxy: Server;
/** The simulator behind TLS (the same certificate), for an https:// API through the proxy. */
let api: Server;
const tunnels: string[] = [];
const sockets = new Set<Socket>();

beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, users: { [UID]: { size: 60 } } });
  proxy = createServer({ key: readFileSync(join(TLS, 'proxy-key.pem')), cert: readFileSync(join(TLS, 'proxy-cert.pem')) }, (_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    tunnel(req, client, head, sockets);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  api = createServer({ key: readFileSync(join(TLS, 'proxy-key.pem')), cert: readFileSync(join(TLS, 'proxy-cert.pem')) }, (req, res) => {
    const upstream = httpRequest(`${sim.url}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all([sim.close(), ...[proxy, api].map((server) => new Promise<void>((resolve) => server.close(() => resolve())))]);
});

describe('an https:// proxy by IP address', () => {
  const apiUrl = (which: string) => (which === 'an http:// API' ? sim.url : `https://127.0.0.1:${(api.address() as AddressInfo).port}`);
  it.each(['an http:// API', 'an https:// API'])('%s: the export goes through it, and stderr has no DeprecationWarning (DEP0123; Node 26 refused the address as TLS server name)', async (which) => {
    const base = apiUrl(which);
    await withTempDir(async (dir) => {
      const url = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const result = await runTkf(['export', '--uid', UID, '--out', join(dir, 'f.jsonl'), '--base-url', base, '--proxy', url], {
        env: { TKF_TOKEN: TOKEN, NODE_EXTRA_CA_CERTS: join(TLS, 'proxy-cert.pem') },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(tunnels).toContain(new URL(base).host);
      expect(result.stderr).not.toMatch(/DEP0123|DeprecationWarning|--trace-deprecation/);
      expect(result.stderr).toMatch(/exported 60 followers/);
      expect(result.stderr).not.toContain(TOKEN);
    });
  });
});
