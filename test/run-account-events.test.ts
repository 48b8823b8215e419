/**
 * runAccount's events from start to end: 'started' first, 'finished' last with the outcome it
 * returns, whatever became of the export; and a stopped export's outcome counts what its output
 * reached (the target's abort says it), not what a copy of the page events held.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type FollowersClient } from '../src/api/client.js';
import { isRunning } from '../src/cli/api-access.js';
import { readFile } from 'node:fs/promises';
import { BudgetSpentError, HistoryDbError } from '../src/errors.js';
import type { ExportRecorder } from '../src/history/export-recorder.js';
import type { AccountEvent } from '../src/export/events.js';
import { runAccount, type AccountSettings } from '../src/export/run-account.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { getFormat } from '../src/writers/index.js';
import { useTempDir } from './helpers/temp-dir.js';

const TOKEN = 'tkn-EVENTS-31';
const UID = '6200000000000000031';
let sim: Simulator;
const clients: FollowersClient[] = [];
beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, users: { [UID]: { size: 70 } } });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await sim.close();
});
const dir = useTempDir('tkf-account-events-');

function settings(maxRequests?: number): AccountSettings {
  const client = createClient({ baseUrl: sim.url, token: TOKEN, retries: 0, timeoutMs: 5000, retryBaseMs: 1, maxRequests, userAgent: 'tkf/test' });
  clients.push(client);
  return {
    access: { token: TOKEN, baseUrl: sim.url },
    job: { format: getFormat('jsonl'), encoder: { fields: undefined, bom: false, formulaGuard: true }, backoffMs: 1 },
    client,
    signal: new AbortController().signal,
  };
}

function run(output: Parameters<typeof runAccount>[1], s: AccountSettings) {
  const events: AccountEvent[] = [];
  const outcome = runAccount(UID, output, s, { owner: { pid: process.pid, host: hostname() }, isRunning, onEvent: (e) => events.push(e) });
  return outcome.then((o) => ({ outcome: o, events }));
}

describe('runAccount events', () => {
  it('a complete export: started, its pages, then finished with the outcome returned', async () => {
    const { outcome, events } = await run({ kind: 'file', path: join(dir.path, 'f.jsonl'), force: false, resume: false }, settings());
    expect(outcome.complete).toBe(true);
    expect(events.map((e) => e.type).filter((t) => t !== 'request')).toEqual(['started', 'page', 'page', 'page', 'page', 'finished']);
    const last = events.at(-1)!;
    expect(last.type === 'finished' && last.outcome).toBe(outcome);
  });

  it('a stopped export to a stream: finished last, and the outcome counts the rows the stream was given', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const { outcome, events } = await run({ kind: 'stream', stream }, settings(2));
    expect(outcome.complete).toBe(false);
    expect(outcome.cause).toBeInstanceOf(BudgetSpentError);
    expect(events[0]).toEqual({ type: 'started', uid: UID });
    expect(events.at(-1)).toMatchObject({ type: 'finished', uid: UID, outcome });
    const lines = text.split('\n').filter(Boolean).length;
    expect(lines).toBe(40);
    expect(outcome).toMatchObject({ rows: lines, requests: 2, requests_total: 2 });
  });

  it('a stopped file export: its rows are what the checkpoint holds, its requests what it sent', async () => {
    const { outcome, events } = await run({ kind: 'file', path: join(dir.path, 'g.jsonl'), force: false, resume: false }, settings(3));
    expect(outcome.cause).toBeInstanceOf(BudgetSpentError);
    expect(outcome).toMatchObject({ rows: 60, requests: 3, requests_total: 3, total: 70 });
    expect(events.at(-1)?.type).toBe('finished');
  });
});

describe('--update --db over a published walk not yet in the history', () => {
  it('a database that fails to record that walk fails the account before its walk; one that rules it out (a later snapshot) does not', async () => {
    const path = join(dir.path, 'u.jsonl');
    expect((await run({ kind: 'file', path, force: false, resume: false }, settings())).outcome.complete).toBe(true);
    const before = await readFile(path);
    const calls: Array<number | undefined> = [];
    const recorder = (failure: Error) => {
      const record = (async (_file: string, added: number | undefined) => {
        calls.push(added);
        if (calls.length === 1) throw failure;
        return { snapshot_at: 'x', added: added ?? 0, first_seen: 0, removed: 0, beyond_reach: 0, recorded: true, staged: false };
      }) as ExportRecorder;
      record.close = async () => {};
      return record;
    };
    // Locked (another shard's long recording past the busy timeout): nothing walked, said, exit 11.
    const locked = new HistoryDbError('the history database h.sqlite: database is locked; the export is complete: u.jsonl', { cause: new HistoryDbError('the history database h.sqlite: database is locked') });
    const { outcome } = await run({ kind: 'file', path, force: false, resume: false, update: true }, { ...settings(), record: recorder(locked) });
    expect([outcome.complete, outcome.exit_code, outcome.requests, calls]).toEqual([false, 11, 0, [undefined]]);
    expect(outcome.error).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\S+\\) is not yet in the history and could not be recorded: the history database h\\.sqlite: database is locked; nothing was walked`));
    expect((await readFile(path)).equals(before)).toBe(true);
    // A later snapshot in the database: that walk cannot be placed, and the update goes on.
    calls.length = 0;
    const stale = await run({ kind: 'file', path, force: false, resume: false, update: true }, { ...settings(), record: recorder(new HistoryDbError('it holds a later snapshot', { ruledOut: true })) });
    expect([stale.outcome.complete, calls]).toEqual([true, [undefined, 0]]);
  });
});
