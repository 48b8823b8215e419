/**
 * A batch slot is the walk's, not the commit's or the recording's: an account that says its walk
 * is over (its last page written; its file still to be synced and published, --db still to record
 * it) lets the next account start in its slot, and the batch still waits for every outcome before
 * it ends (issue 16 point 8: the night's batch with --db held each slot while SQLite committed;
 * issue 20: every batch held it through ~20 file operations). Proved with counts and promises the
 * test resolves, not with time.
 */
import { describe, expect, it } from 'vitest';
import { RunGovernor } from '../../src/api/run-governor.js';
import { runBatch, type AccountRun } from '../../src/export/run-batch.js';

const UIDS = ['6300000000000000001', '6300000000000000002', '6300000000000000003'];

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const ok = (uid: string): AccountRun => ({ uid, complete: true, rows: 1, requests: 1, exit_code: 0 });

/** `count` turns of the event loop: whatever can go on, goes on. */
async function turns(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn++) await new Promise((r) => setImmediate(r));
}

/** A one-slot batch whose accounts say at once that their walk is over, then finish when their gate opens. */
function walkedThenGated(uids: string[], gates: Map<string, ReturnType<typeof deferred>>, onEvent: Parameters<typeof runBatch>[0]['onEvent']) {
  return runBatch({
    uids,
    concurrency: 1,
    governor: new RunGovernor(),
    signal: new AbortController().signal,
    exportAccount: async (uid, walked) => {
      walked();
      await gates.get(uid)!.promise;
      return ok(uid);
    },
    onEvent,
  });
}

describe('runBatch slots', () => {
  it('starts the next account once the walk is over, while the earlier one is still recording; ends only when all are recorded', async () => {
    const recordings = new Map(UIDS.map((uid) => [uid, deferred()]));
    const started: string[] = [];
    const finished: string[] = [];
    let ended = false;
    const batch = walkedThenGated(UIDS, recordings, (event) => (event.type === 'started' ? started.push(event.uid) : finished.push(event.account.uid))).then((result) => {
      ended = true;
      return result;
    });
    // One slot, and no recording has finished: two accounts have started all the same (two
    // finishing behind a slot at most: the next test).
    await turns(10);
    expect(started).toEqual(UIDS.slice(0, 2));
    expect(finished).toEqual([]);
    expect(ended).toBe(false);
    recordings.get(UIDS[1]!)!.resolve();
    recordings.get(UIDS[0]!)!.resolve();
    await turns(10);
    expect(finished).toEqual([UIDS[1], UIDS[0]]);
    expect(started).toEqual(UIDS);
    expect(ended).toBe(false);
    recordings.get(UIDS[2]!)!.resolve();
    const result = await batch;
    expect(result.totals.complete).toBe(3);
  });

  it('a slot has at most 2 accounts finishing behind it: the next walk waits until one of them is done', async () => {
    const uids = Array.from({ length: 7 }, (_, i) => `63000000000000001${String(i).padStart(2, '0')}`);
    const commits = new Map(uids.map((uid) => [uid, deferred()]));
    const started: string[] = [];
    const batch = walkedThenGated(uids, commits, (event) => void (event.type === 'started' && started.push(event.uid)));
    await turns(20);
    expect(started).toEqual(uids.slice(0, 2));
    commits.get(uids[1]!)!.resolve();
    await turns(20);
    expect(started).toEqual(uids.slice(0, 3));
    for (const uid of uids) commits.get(uid)!.resolve();
    const result = await batch;
    expect(started).toEqual(uids);
    expect(result.totals.complete).toBe(uids.length);
  });

  it('without the walk over, the slot stays taken: the next account waits for the outcome', async () => {
    const first = deferred();
    const started: string[] = [];
    const batch = runBatch({
      uids: UIDS.slice(0, 2),
      concurrency: 1,
      governor: new RunGovernor(),
      signal: new AbortController().signal,
      exportAccount: async (uid) => {
        if (uid === UIDS[0]) await first.promise;
        return ok(uid);
      },
      onEvent: (event) => void (event.type === 'started' && started.push(event.uid)),
    });
    await turns(10);
    expect(started).toEqual([UIDS[0]]);
    first.resolve();
    await batch;
    expect(started).toEqual(UIDS.slice(0, 2));
  });
});
