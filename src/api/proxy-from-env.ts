/**
 * Which proxy a request to the API goes through, as curl, wget, npm and Go decide it:
 *
 *   --proxy <url>             wins ("" or "direct": no proxy, whatever the environment says);
 *   NO_PROXY / no_proxy       hosts that go direct: comma-separated host names (a leading "." or
 *                             "*." matches subdomains, and a bare name matches them too), IPs,
 *                             host:port, or "*" for every host;
 *   HTTPS_PROXY / https_proxy for https:// API hosts, HTTP_PROXY / http_proxy for http:// ones;
 *                             the lowercase spelling wins when both are set (curl's rule).
 *
 * The environment is passed in: the core never reads `process`.
 */
export function proxyFor(target: string, env: Record<string, string | undefined>, flag?: string): string | undefined {
  if (flag !== undefined) return flag === '' || flag === 'direct' ? undefined : flag;
  const url = new URL(target);
  const get = (name: string) => env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;
  const proxy = url.protocol === 'https:' ? get('https_proxy') : get('http_proxy');
  if (!proxy) return undefined;
  return bypasses(url, get('no_proxy') ?? '') ? undefined : proxy;
}

function bypasses(url: URL, noProxy: string): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: string | undefined;
    const withPort = /^(.*?):(\d+)$/.exec(entry);
    if (withPort && !entry.includes('::')) [, entry, entryPort] = withPort as unknown as [string, string, string];
    if (entryPort && entryPort !== port) continue;
    entry = entry.replace(/^\*?\./, '').replace(/^\[|\]$/g, '');
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}
