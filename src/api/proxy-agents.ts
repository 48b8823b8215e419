/**
 * The run's connection pool: one keep-alive agent per protocol, shared by every account of the
 * run, with at most `maxSockets` connections (one per worker): so a batch opens a handful of
 * sockets, not one per account, and its file descriptors stay bounded.
 *
 * Through a forward proxy, the agents are hpagent's (the agent got's documentation points to for
 * proxies; keep-alive kept, the standard http.Agent options). hpagent opens a CONNECT tunnel for
 * http:// targets too, so the proxy sees host:port only, never the path and its ?token=.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { UsageError } from '../errors.js';

export interface AgentSettings {
  maxSockets: number;
  /** http://host:port or https://host:port, user:password@ allowed; undefined: direct. */
  proxy?: string;
}

export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

export function createAgents({ maxSockets, proxy }: AgentSettings): Agents {
  const common = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
  if (proxy === undefined) return { http: new http.Agent(common), https: new https.Agent(common) };
  const url = parseProxyUrl(proxy);
  // hpagent's own, except an https:// proxy given by IP address (below).
  if (url.protocol !== 'https:' || !isIP(url.hostname)) return { http: new HttpProxyAgent({ ...common, proxy: url }), https: new HttpsProxyAgent({ ...common, proxy: url }) };
  return { http: new IpHttpProxyAgent({ ...common, proxy: url }), https: new IpHttpsProxyAgent({ ...common, proxy: url }) };
}

/** As Node's Agent calls it back; hpagent gives null for the socket on an error. */
type Connected = (error: Error | null, socket: Duplex) => void;
const NO_SOCKET = null as unknown as Duplex;

/**
 * An https:// proxy given by IP address (`--proxy https://10.0.0.5:3128`). hpagent names the proxy
 * by its host as the TLS server name, an IP address too, which no TLS server name may be (RFC
 * 6066): Node 26 refuses it (ERR_INVALID_ARG_VALUE: every request failed), Node 20 and 24 print
 * DeprecationWarning DEP0123. Here the CONNECT is hpagent's (hpagent 1.2.0 createConnection,
 * the same request) with the server name left empty: no SNI, and the proxy's certificate is still
 * checked against its IP address (tls.connect checks the host when there is no server name).
 */
function connectByIp(agent: { proxy: URL; keepAlive: boolean }, options: http.ClientRequestArgs & { timeout?: number }, connected: Connected): void {
  const proxy = agent.proxy;
  const target = `${options.host}:${options.port}`;
  const headers: http.OutgoingHttpHeaders = { connection: agent.keepAlive ? 'keep-alive' : 'close', host: target };
  if (proxy.username || proxy.password) {
    headers['proxy-authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
  }
  const request = https.request({ method: 'CONNECT', host: proxy.hostname, port: proxy.port, path: target, setHost: false, headers, agent: false, timeout: options.timeout || 0, servername: '' });
  request.once('connect', (response, socket) => {
    request.removeAllListeners();
    socket.removeAllListeners();
    if (response.statusCode === 200) {
      connected(null, socket);
    } else {
      socket.destroy();
      connected(new Error(`Bad response: ${response.statusCode}`), NO_SOCKET);
    }
  });
  request.once('timeout', () => request.destroy(new Error('Proxy timeout')));
  request.once('error', (error) => {
    request.removeAllListeners();
    connected(error, NO_SOCKET);
  });
  request.end();
}

/** http:// targets through an https:// proxy given by IP address: the tunnel is the connection. */
class IpHttpProxyAgent extends HttpProxyAgent {
  override createConnection(options: http.ClientRequestArgs, callback?: Connected): undefined {
    connectByIp(this as unknown as { proxy: URL; keepAlive: boolean }, options, callback!);
    return undefined;
  }
}

/** https:// targets through an https:// proxy given by IP address: TLS to the target inside the tunnel, as hpagent does. */
class IpHttpsProxyAgent extends HttpsProxyAgent {
  override createConnection(options: http.ClientRequestArgs, callback?: Connected): undefined {
    connectByIp(this as unknown as { proxy: URL; keepAlive: boolean }, options, (error, socket) => {
      if (error) return callback!(error, NO_SOCKET);
      callback!(null, (https.Agent.prototype as unknown as { createConnection(o: object): Socket }).createConnection.call(this, { ...options, socket }));
    });
    return undefined;
  }
}

/** A proxy URL as curl and npm take it; a bare host:port means http://host:port. */
export function parseProxyUrl(proxy: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`);
  } catch {
    throw new UsageError(`the proxy "${stripCredentials(proxy)}" is not a URL; write it like http://proxy.example.com:3128`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the proxy "${stripCredentials(proxy)}" must start with http:// or https://`);
  }
  return url;
}

/** A proxy URL fit to print: any user:password@ replaced. */
export function stripCredentials(proxy: string): string {
  return proxy.replace(/\/\/[^/@]*@/, '//***@');
}
