/**
 * runExport in the test's own process, against a simulator on 127.0.0.1: the transaction's
 * paths (resume, abort at page k, option mismatch, already complete, a full disk) in
 * milliseconds, without spawning the binary.
 */
import { hostname } from 'node:os';
import { createClient, type FollowersClient } from '../../src/api/client.js';
import { runExport, type ExportDeps, type ExportPlan, type ExportResult, type OutputTarget } from '../../src/export/run-export.js';
import type { Simulator } from '../../src/simulator/index.js';
import { getFormat, type EncoderOptions, type FormatDefinition } from '../../src/writers/index.js';
import { isRunning } from '../../src/cli/api-access.js';

export interface InProcessOptions {
  format?: string;
  /** A format of the test's own (e.g. one with a render step). */
  formatDefinition?: FormatDefinition;
  encoder?: Partial<EncoderOptions>;
  given?: ExportPlan['job']['given'];
  resume?: boolean;
  force?: boolean;
  update?: boolean;
  limit?: number;
  maxRequests?: number;
  signal?: AbortSignal;
  token?: string;
  deps?: Partial<ExportDeps>;
}

export function simulatorClient(sim: Simulator, token: string, maxRequests?: number): FollowersClient {
  return createClient({ baseUrl: sim.url, token, retries: 1, retryBaseMs: 1, maxRequests });
}

/** Exports one user to `out` (a path, or a Writable for stdout) in process. */
export async function exportInProcess(
  sim: Simulator,
  uid: string,
  out: string | OutputTarget,
  options: InProcessOptions = {},
): Promise<ExportResult> {
  const format = options.formatDefinition ?? getFormat(options.format ?? (typeof out === 'string' && out.endsWith('.csv') ? 'csv' : 'jsonl'));
  const output: OutputTarget =
    typeof out === 'string'
      ? { kind: 'file', path: out, force: Boolean(options.force), resume: Boolean(options.resume), update: Boolean(options.update) }
      : out;
  const plan: ExportPlan = {
    job: {
      format,
      encoder: { fields: undefined, bom: false, formulaGuard: true, ...options.encoder },
      given: options.given,
      limit: options.limit,
      backoffMs: 1,
    },
    uid,
    output,
  };
  const client = options.deps?.client ?? simulatorClient(sim, options.token ?? 'sim-token', options.maxRequests);
  try {
    return await runExport(plan, { client, signal: options.signal, owner: { pid: process.pid, host: hostname() }, isRunning, ...options.deps });
  } finally {
    client.close();
  }
}
