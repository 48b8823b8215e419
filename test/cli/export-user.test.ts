/**
 * exportUser in process: what the CLI makes of one export (outcome, progress calls, the summary
 * line), without spawning the binary.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type FollowersClient } from '../../src/api/client.js';
import { exportUser, summarize, type RunSettings } from '../../src/cli/export-user.js';
import type { PageUpdate, Progress } from '../../src/cli/progress.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { getFormat } from '../../src/writers/index.js';
import { expectedJsonl } from '../helpers/followers.js';
import { useTempDir } from '../helpers/temp-dir.js';

const TOKEN = 'tkn-IN-PROCESS-77';
const UID = '6200000000000000001';
const HIDDEN = '6200000000000000002';
const list = { size: 50 };
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, users: { [UID]: list, [HIDDEN]: { size: 5, status: 'private' } } });
});
const clients: FollowersClient[] = [];
afterAll(async () => {
  for (const client of clients) client.close();
  await sim.close();
});
const dir = useTempDir('tkf-export-user-');

function recorder(): Progress & { updates: PageUpdate[]; logs: string[] } {
  const updates: PageUpdate[] = [];
  const logs: string[] = [];
  return { updates, logs, start() {}, update: (u) => updates.push(u), waiting: (t) => logs.push(t), log: (t) => logs.push(t), stop() {} };
}

function remember(client: FollowersClient): FollowersClient {
  clients.push(client);
  return client;
}

function settings(token = TOKEN): RunSettings {
  return {
    access: { token, baseUrl: sim.url },
    job: { format: getFormat('jsonl'), encoder: { fields: undefined, bom: false, formulaGuard: true }, backoffMs: 1 },
    // The run's client, as export-command makes it: one per run, shared by its users.
    client: remember(createClient({ baseUrl: sim.url, token, retries: 0, timeoutMs: 5000, retryBaseMs: 1, userAgent: 'tkf/test' })),
    verbose: false,
    signal: new AbortController().signal,
  };
}

describe('exportUser', () => {
  it('reports each page and ends with a complete outcome and its summary', async () => {
    const out = join(dir.path, 'f.jsonl');
    const progress = recorder();
    const outcome = await exportUser(UID, { kind: 'file', path: out, force: false, resume: false }, settings(), progress);
    expect(outcome).toMatchObject({ uid: UID, exit_code: 0, complete: true, rows: 50, file: out, end: 'complete' });
    expect(progress.updates.map((u) => u.rows)).toEqual([20, 40, 50]);
    expect(await readFile(out, 'utf8')).toBe(expectedJsonl(UID, list, 0, 50));
    expect(summarize(outcome, undefined)).toMatch(/50 followers/);
    expect(summarize(outcome, undefined)).toContain(out);
  });

  it('turns a failure into an outcome with its exit code, the token never in it', async () => {
    const hidden = await exportUser(HIDDEN, { kind: 'file', path: join(dir.path, 'h.jsonl'), force: false, resume: false }, settings(), recorder());
    expect(hidden).toMatchObject({ exit_code: 3, complete: false, file: null });
    const refused = await exportUser(UID, { kind: 'file', path: join(dir.path, 'r.jsonl'), force: false, resume: false }, settings('wrong-token-xyz'), recorder());
    expect(refused.exit_code).toBe(5);
    expect(JSON.stringify({ ...refused, cause: String(refused.cause) })).not.toContain('wrong-token-xyz');
  });
});
