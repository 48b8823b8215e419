/**
 * A client over real HTTP and a simulator with faults, both closed after each test: what the API
 * layer's fault tests (body limit, gateway answers) share.
 */
import { afterEach } from 'vitest';
import { createClient, type ClientOptions, type RetryNotice } from '../../src/api/client.js';
import { startSimulator } from '../../src/simulator/index.js';

export function useClientHarness(token: string, defaults: Partial<ClientOptions>) {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  /** A client of `baseUrl` whose retry notices are kept; retries wait 1 ms. */
  function client(baseUrl: string, options: Partial<ClientOptions> = {}) {
    const notices: RetryNotice[] = [];
    const made = createClient({ baseUrl, token, retryBaseMs: 1, ...defaults, onRetry: (n) => notices.push(n), ...options });
    cleanups.push(() => made.close());
    return { client: made, notices };
  }

  async function simulator(faults: NonNullable<Parameters<typeof startSimulator>[0]>['faults']) {
    const sim = await startSimulator({ token, faults });
    cleanups.push(() => sim.close());
    return sim;
  }

  return { cleanups, client, simulator };
}
