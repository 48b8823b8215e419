/**
 * WalkOrder (record-snapshot.ts): a walk's uids made ready for its snapshot as its pages come (each
 * once, and each one's state in the followers read ahead). Nights of a seeded random history
 * (new followers on top, unfollows, re-follows, walks ended by the reach, a limit or the end of
 * the list, uids repeated across pages) recorded from a WalkOrder fed a chunk at a time, its
 * followers read ahead at a random chunk, make the database that recording each night's uids as
 * a list makes, change for change.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open-history.js';
import { WalkOrder, readKnownAhead, recordSnapshot, recordSnapshotIn, storeFollowers, type FollowerRow, type SnapshotInput } from '../../src/history/record-snapshot.js';
import type { SqlDriver } from '../../src/history/sql-driver.js';
import { useTempDir } from '../helpers/temp-dir.js';

const ACCOUNT = '6754915036232582149';
const dir = useTempDir('tkf-walk-order-');

/** A small seeded generator (mulberry32), so that a failure can be run again. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rowOf = (uid: string): FollowerRow => ({ uid, uniqueId: `u${uid}`, nickname: null, data: JSON.stringify({ uid }) });

async function* rowsOf(uids: readonly string[]): AsyncGenerator<FollowerRow> {
  for (const uid of uids) yield rowOf(uid);
}

async function dump(db: SqlDriver) {
  return {
    snapshots: await db.all('SELECT taken_at, walk_end, served, added, removed, beyond_reach FROM snapshots ORDER BY taken_at'),
    af: await db.all('SELECT follower_uid, first_seen_at, last_seen_at, gone_at, position FROM account_followers ORDER BY follower_uid'),
    changes: await db.all('SELECT snapshot_id, follower_uid, change, at FROM changes ORDER BY snapshot_id, follower_uid'),
  };
}

describe('WalkOrder: a snapshot made ready as the pages come', () => {
  it('keeps each uid once, counts every uid given, and looks up the ones given before and after the read ahead (and who of those read it did not find)', () => {
    const order = new WalkOrder();
    order.add(['a', 'b', 'a']);
    const known = { account: ACCOUNT, after: '1:1', followers: new Map([['b', { position: 0, gone: false, place: 0 }]]) };
    expect(order.statesIn(known.followers)).toBeUndefined();
    order.use(known);
    order.add(['c', 'b', 'd']);
    expect(order.uids).toEqual(['a', 'b', 'c', 'd']);
    expect(order.given).toBe(6);
    expect(order.statesIn(known.followers)).toEqual({ states: [undefined, known.followers.get('b'), undefined, undefined], places: [undefined, 0, undefined, undefined] });
    expect([...order.missingIn(known.followers)!.keys()]).toEqual([]);
    // Of other followers (read again in the snapshot's transaction): not these.
    expect(order.statesIn(new Map(known.followers))).toBeUndefined();
    expect(order.missingIn(new Map(known.followers))).toBeUndefined();
  });

  it('nights of a random history: the same database as recording each night from its list', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const next = random(seed);
      const plain = await openHistory(join(dir.path, `plain-${seed}.sqlite`));
      const fed = await openHistory(join(dir.path, `fed-${seed}.sqlite`));
      let list: string[] = Array.from({ length: 120 }, (_, i) => `1${seed}${String(i).padStart(4, '0')}`);
      let newest = 0;
      for (let night = 1; night <= 8; night++) {
        // The list changes: some come (on top), some leave, some leave and come back (on top).
        const come = Array.from({ length: Math.floor(next() * 25) }, () => `2${seed}${String(newest++).padStart(4, '0')}`);
        const left = new Set(list.filter(() => next() < 0.04));
        const back = list.filter((uid) => !left.has(uid) && next() < 0.02);
        list = [...back, ...come.reverse(), ...list.filter((uid) => !left.has(uid) && !back.includes(uid))];
        // The walk: the reach (the newest 100), a limit, or the whole list; a uid now and then twice.
        const kind = next();
        const end = kind < 0.5 ? 'cap' : kind < 0.7 ? 'limit' : 'complete';
        const walked = end === 'cap' ? list.slice(0, 100) : end === 'limit' ? list.slice(0, 20 + Math.floor(next() * 60)) : list;
        const pages = walked.flatMap((uid) => (next() < 0.03 ? [uid, uid] : [uid]));
        const input: SnapshotInput = { account: ACCOUNT, takenAt: `2026-11-${String(night).padStart(2, '0')}T03:00:00.000Z`, end, onProfile: list.length, requests: 5, source: null };

        const expected = await recordSnapshot(plain, input, rowsOf(pages));

        const order = new WalkOrder();
        const aheadAt = Math.floor(next() * pages.length);
        let ahead: Awaited<ReturnType<typeof readKnownAhead>> | undefined;
        for (let from = 0; from < pages.length; from += 7) {
          const chunk = pages.slice(from, from + 7);
          await fed.transaction((tx) => storeFollowers(tx, [...new Map(chunk.map((uid) => [uid, rowOf(uid)])).values()], input.takenAt));
          order.add(chunk);
          if (!ahead && from + 7 > aheadAt) {
            ahead = await fed.transaction((tx) => readKnownAhead(tx, ACCOUNT));
            order.use(ahead);
          }
        }
        // (Read at the last chunk at the latest: aheadAt < pages.length.)
        if (!ahead) throw new Error('not read ahead');
        // The states were made ready as the uids came, each as a lookup would find it: the
        // snapshot takes them rather than looking each up.
        expect(order.statesIn(ahead.followers)).toEqual({
          states: order.uids.map((uid) => ahead!.followers.get(uid)),
          places: order.uids.map((uid) => ahead!.followers.get(uid)?.place),
        });
        // And who of them the walk did not find, in their order: those the snapshot judges.
        expect([...order.missingIn(ahead.followers)!.keys()]).toEqual([...ahead.followers.keys()].filter((uid) => !order.seen.has(uid)));
        const outcome = await fed.transaction((tx) => recordSnapshotIn(tx, input, order, ahead));
        expect(outcome, `seed ${seed}, night ${night}`).toEqual(expected);
      }
      expect(await dump(fed)).toEqual(await dump(plain));
      // Not a history where nothing happens: the reach rule had each verdict to give.
      const kinds = (await plain.all<{ change: string }>('SELECT DISTINCT change FROM changes')).map((c) => c.change).sort();
      expect(kinds, `seed ${seed}`).toEqual(expect.arrayContaining(['added', 'removed']));
      await plain.close();
      await fed.close();
    }
  });
});
