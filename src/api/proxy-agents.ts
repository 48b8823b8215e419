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
  return { http: new HttpProxyAgent({ ...common, proxy: url }), https: new HttpsProxyAgent({ ...common, proxy: url }) };
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
