/**
 * The recording thread of `tkf export --db` (src/history/record-worker.ts, in the built binary):
 * its close stores the rows still waiting and ends the thread at once. The thread's timer that
 * stores waiting rows "at the latest a second after they came" kept it alive until it fired, and
 * the export's exit waited for that (WorkerHost.close waits for the thread's exit): up to a
 * second after the last page, ~0.3 s on average in a 100k export. Here the timer is set to ten
 * minutes: a close that waited for it would outlast the test's timeout, whatever the machine.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open-history.js';
import { WorkerHost } from '../../src/history/recorder-hosts.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { historyRows } from './recorder-rows.js';

const THREAD = new URL('../../dist/history/record-thread.js', import.meta.url);
const dir = useTempDir('tkf-record-worker-');

describe('the recording thread', () => {
  it('stores the rows waiting and exits on close, without waiting for its timer', { timeout: 60_000 }, async () => {
    expect(existsSync(fileURLToPath(THREAD)), 'npm test builds dist/ first').toBe(true);
    const path = join(dir.path, 'history.sqlite');
    await (await openHistory(path)).close(); // migrated, as export-command.ts opens it first
    const host = new WorkerHost(THREAD, path, [], { flushAfterMs: 10 * 60_000 });
    await host.online;
    const followers = ['6911111111111111111', '6922222222222222222'].map((uid, i) => JSON.stringify({ uid, unique_id: `u${i}`, nickname: `N${i}` }));
    const bytes = Buffer.from(followers.join(''));
    host.page(1, { uids: ['6911111111111111111', '6922222222222222222'], bytes: new Uint8Array(bytes), ends: [followers[0]!.length, bytes.length] }, '6900000000000000000');
    // The thread's timer is the test's (a dist/ built before flushAfterMs would store them after a second).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await rows(path), 'stored before close: is dist/ older than the sources? npm test builds it').toEqual([]);
    await host.close();
    expect(await rows(path)).toEqual([
      { uid: '6911111111111111111', unique_id: 'u0', nickname: 'N0' },
      { uid: '6922222222222222222', unique_id: 'u1', nickname: 'N1' },
    ]);
  });
});

const rows = (path: string) => historyRows(path, 'SELECT uid, unique_id, nickname FROM followers ORDER BY uid');
