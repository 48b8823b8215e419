/**
 * The proxy as the user gave it, checked before the first request and blamed by name when it is
 * the proxy that fails, not the API behind it.
 *
 * Through a proxy tkf connects only to the proxy (hpagent's CONNECT tunnel): when the API is down
 * the proxy answers the CONNECT with an error status, and when the proxy is down the connection to
 * it fails. The client's words for the second ("the API at host failed ... connection refused")
 * are then untrue, so after an API failure the proxy is tried once more (one TCP connect): if
 * that fails too, the failure is the proxy's, and the message says so.
 */
import { connect } from 'node:net';
import { ApiUnavailableError, UsageError } from '../errors.js';
import { stripCredentials } from '../api/proxy-agents.js';

export interface ProxySetting {
  url: string;
  /** Where it came from: --proxy, or the environment variable's name. */
  source: string;
}

const ENV_NAMES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'];

/** The proxy a run uses and where it came from; a value that is not a URL is refused at once (exit 2). */
export function proxySetting(proxy: string | undefined, flag: string | undefined, env: NodeJS.ProcessEnv, target?: string): ProxySetting | undefined {
  if (proxy === undefined) return undefined;
  // The names proxyFor read for this API host (HTTPS_PROXY and HTTP_PROXY may hold the same value).
  const scheme = target === undefined ? undefined : new URL(target).protocol === 'https:' ? 'https' : 'http';
  const names = scheme === undefined ? ENV_NAMES : ENV_NAMES.filter((name) => name.toLowerCase() === `${scheme}_proxy`);
  const source = flag !== undefined ? '--proxy' : (names.find((name) => env[name] === proxy) ?? 'the environment');
  // curl's forms: scheme://host[:port], or a bare host:port. A bare word ("notaurl") is neither:
  // taken for a host on port 80 it was tried six times and reported as the API's host not resolving.
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy);
  if (!hasScheme && !/^(?:[^/@]*@)?(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d+\/?$/i.test(proxy)) {
    throw new UsageError(
      `the proxy "${stripCredentials(proxy)}" (${source}) is not a URL; write it like http://proxy.example.com:3128, or use --proxy direct for none`,
    );
  }
  return { url: proxy, source };
}

/** After the API "failed": when the proxy itself cannot be reached, the error says so instead. */
export async function blameProxy(error: unknown, proxy: ProxySetting | undefined, timeoutMs = 5000): Promise<void> {
  if (!proxy || !(error instanceof ApiUnavailableError)) return;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(proxy.url) ? proxy.url : `http://${proxy.url}`);
  } catch {
    return;
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const reason = await tryConnect(url.hostname.replace(/^\[|\]$/g, ''), port, timeoutMs);
  if (reason === undefined) return; // the proxy answers: the failure is further on, as said
  error.message = `the proxy ${stripCredentials(`${url.protocol}//${url.host}`)} (${proxy.source}) cannot be reached: ${reason}; the API was not asked; check the proxy, or run without it (--proxy direct)`;
}

function tryConnect(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reason: string | undefined) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${Math.round(timeoutMs / 1000)} s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') done('it refused the connection (ECONNREFUSED)');
      else if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') done(`its host name could not be resolved (${e.code})`);
      else done(`${e.message}${e.code && !e.message.includes(e.code) ? ` (${e.code})` : ''}`);
    });
  });
}
