import { describe, expect, it } from 'vitest';
import { endOfList, judgeMissing, judgeNew, reachView, referenceShortfall, shortfall } from '../../src/diff/reach.js';

/** Older export: f0 (newest) .. f9 (oldest). */
const older = Array.from({ length: 10 }, (_, i) => `f${i}`);

function verdicts(newer: string[], end: string | null | undefined) {
  const inNewer = new Set(newer);
  const view = reachView(newer, (uid) => (older.includes(uid) ? older.indexOf(uid) : undefined), end);
  const result: Record<string, string> = {};
  older.forEach((uid, index) => {
    if (!inNewer.has(uid)) result[uid] = judgeMissing(index, view);
  });
  return result;
}

describe('the reach rule', () => {
  it('a sliding reach: the oldest followers past the oldest shared one are beyond reach, not gone', () => {
    // 3 new followers on top, f4 unfollowed, reach of 10: f7..f9 slid past it.
    const newer = ['n0', 'n1', 'n2', 'f0', 'f1', 'f2', 'f3', 'f5', 'f6'];
    expect(verdicts(newer, 'cap')).toEqual({ f4: 'removed', f7: 'beyond_reach', f8: 'beyond_reach', f9: 'beyond_reach' });
  });

  it('a newer walk that reached the end of the list proves every missing follower gone', () => {
    expect(verdicts(['f0', 'f2'], 'complete')).toEqual(
      Object.fromEntries(older.filter((u) => u !== 'f0' && u !== 'f2').map((u) => [u, 'removed'])),
    );
  });

  it('no follower in common and no end of list: nobody is called gone', () => {
    expect(Object.values(verdicts(['x', 'y'], 'cap'))).toEqual(Array(10).fill('beyond_reach'));
  });

  it('an unknown end (no manifest) is not evidence of the whole list', () => {
    expect(verdicts(['f0', 'f1'], null)).toMatchObject({ f2: 'beyond_reach', f9: 'beyond_reach' });
    expect(verdicts(['f0', 'f1', 'f3', 'f4', 'f6', 'f9'], undefined)).toMatchObject({ f2: 'removed', f5: 'removed', f8: 'removed' });
    // Seven of the ten followers down to f9's place missing at once is no evidence of that part
    // of the list: beyond reach, not gone (only the pair f0, f1 proves anything).
    expect(verdicts(['f0', 'f1', 'f9'], undefined)).toMatchObject({ f2: 'beyond_reach', f8: 'beyond_reach' });
  });

  it('a re-follow on top does not move the boundary: how far the newer walk went does', () => {
    // f8 re-followed (now on top of the newer list); the reach cut the newer export after f3.
    const newer = ['f8', 'n0', 'f0', 'f1', 'f2', 'f3'];
    expect(verdicts(newer, 'cap')).toEqual({
      f4: 'beyond_reach', f5: 'beyond_reach', f6: 'beyond_reach', f7: 'beyond_reach', f9: 'beyond_reach',
    });
    // f2 left as well: above the oldest shared follower (f3), so gone.
    expect(verdicts(['f8', 'n0', 'f0', 'f1', 'f3'], 'cap')).toMatchObject({ f2: 'removed', f4: 'beyond_reach' });
  });

  it('a re-follower who is the only follower both share proves nothing: the newer walk never reached the older list', () => {
    // f8 unfollowed and followed again: on top of the newer list, whose walk ended among new
    // followers (a --limit, or a reach full of newcomers). Its old place says nothing of f0..f7.
    expect(Object.values(verdicts(['n0', 'f8', 'n1', 'n2'], 'cap'))).toEqual(Array(9).fill('beyond_reach'));
    expect(Object.values(verdicts(['f8'], 'limit'))).toEqual(Array(9).fill('beyond_reach'));
    // Two re-followers out of the older order prove nothing either; nor do two in it, whose old
    // neighbours are all missing (they moved; the newer walk did not reach their old places).
    expect(Object.values(verdicts(['f9', 'n0', 'f6'], 'cap'))).toEqual(Array(8).fill('beyond_reach'));
    expect(Object.values(verdicts(['f4', 'f9', 'n0', 'n1'], 'cap'))).toEqual(Array(8).fill('beyond_reach'));
  });

  it('a lone shared follower proves nothing, nor do two; three side by side in the same order in both lists do', () => {
    expect(verdicts(['n0', 'f3'], 'cap')).toMatchObject({ f0: 'beyond_reach', f2: 'beyond_reach' });
    // Two may be two re-followers on top in their old order, the walk ended there (a short --limit).
    expect(verdicts(['n0', 'f1', 'f3'], 'cap')).toMatchObject({ f0: 'beyond_reach', f2: 'beyond_reach', f4: 'beyond_reach' });
    expect(verdicts(['n0', 'f1', 'f3', 'f4'], 'cap')).toMatchObject({ f0: 'removed', f2: 'removed', f5: 'beyond_reach' });
    // Side by side: a new follower between them breaks the run (only re-followers are among the new).
    expect(verdicts(['f1', 'n0', 'f3', 'f4'], 'cap')).toMatchObject({ f0: 'beyond_reach', f2: 'beyond_reach' });
    // Near each other in the older list too: three re-followers from far apart are no run.
    expect(verdicts(['f1', 'f5', 'f9'], 'limit')).toMatchObject({ f0: 'beyond_reach', f2: 'beyond_reach', f6: 'beyond_reach' });
    // A re-follower above the old followers who stayed does not stand in their way.
    expect(verdicts(['f9', 'n0', 'f1', 'f3', 'f4'], 'cap')).toMatchObject({ f0: 'removed', f2: 'removed', f5: 'beyond_reach' });
    // Followers of one second may come back in another order: the run need not be the last ones.
    expect(verdicts(['f0', 'f2', 'f1'], 'cap')).toMatchObject({ f3: 'beyond_reach' });
    expect(verdicts(['f0', 'f2', 'f3', 'f5', 'f4'], 'cap')).toMatchObject({ f1: 'removed', f6: 'beyond_reach' });
  });
});

describe('a run followed by a follower the older list lacks', () => {
  const indexOf = (uid: string) => (older.includes(uid) ? older.indexOf(uid) : undefined);
  it("is re-followers on top in their old order, not how far the walk went: nobody gone, the night's new followers added", () => {
    // f2, f3, f4 unfollowed and followed again at once, in their old order: on top, then the
    // night's new followers, the walk ending among them (a --limit, a reach full of newcomers).
    // f0 and f1 still follow (below the limit): they were called gone, and n0..n2 first seen.
    const newer = ['f2', 'f3', 'f4', 'n0', 'n1', 'n2'];
    expect(Object.values(verdicts(newer, 'limit'))).toEqual(Array(7).fill('beyond_reach'));
    const view = reachView(newer, indexOf, 'limit', [], [], () => 9);
    expect(['n0', 'n1', 'n2'].map((uid) => judgeNew(newer.indexOf(uid), view, 'cap'))).toEqual(['added', 'added', 'added']);
    // Further down, old followers who stayed in order make the evidence again.
    expect(verdicts(['f2', 'f3', 'f4', 'n0', 'f0', 'f1', 'f5', 'f6', 'f7'], 'cap')).toMatchObject({ f8: 'beyond_reach', f9: 'beyond_reach' });
    expect(verdicts(['f2', 'f3', 'f4', 'n0', 'f0', 'f1', 'f6', 'f7', 'f8'], 'cap')).toMatchObject({ f5: 'removed', f9: 'beyond_reach' });
  });

  it('is no evidence anywhere along it: five of the newest re-following every other one, in their old order', () => {
    // f1, f3, f5, f7 re-followed (on top, in their old order), then the night's new followers, the
    // walk ending among them: an earlier pair of the run (f5) held its neighbours, and f0, f2 and
    // f4, who still follow, were called gone.
    const newer = ['f1', 'f3', 'f5', 'f7', 'n0', 'n1'];
    expect(Object.values(verdicts(newer, 'limit'))).toEqual(Array(6).fill('beyond_reach'));
    const view = reachView(newer, indexOf, 'limit', [], [], () => 9);
    expect(['n0', 'n1'].map((uid) => judgeNew(newer.indexOf(uid), view, 'cap'))).toEqual(['added', 'added']);
  });

  it("is evidence still when the run ends the older list: below it are the followers the older walk never reached (first seen)", () => {
    const newer = ['n0', 'f5', 'f6', 'f7', 'f8', 'f9', 'x0', 'x1'];
    const view = reachView(newer, indexOf, 'cap', [], [], () => 9);
    expect([view.oldestSharedIndex, view.oldestSharedNewerIndex]).toEqual([9, 5]);
    expect(judgeMissing(2, view)).toBe('removed');
    expect(['n0', 'x0', 'x1'].map((uid) => judgeNew(newer.indexOf(uid), view, 'cap'))).toEqual(['added', 'first_seen', 'first_seen']);
  });
});

describe('most of the newest followers gone at once (a purge)', () => {
  /** An older export of 40: g0 (newest) .. g39. */
  const forty = Array.from({ length: 40 }, (_, i) => `g${i}`);
  const g = (from: number, to: number) => forty.slice(from, to + 1);
  const indexOf = (uid: string) => (forty.includes(uid) ? forty.indexOf(uid) : undefined);
  const missing = (newer: string[], end: string) => {
    const view = reachView(newer, indexOf, end, [], [], () => 39);
    return Object.fromEntries(forty.filter((uid) => !newer.includes(uid)).map((uid) => [uid, judgeMissing(forty.indexOf(uid), view)]));
  };

  it('is gone where the newer walk came down to a long run of stayers below it in the older order: it passed them', () => {
    // g3..g27 (25 of the 40) left; the walk reads g0..g2, then g28..g39 in order, then the
    // followers the older walk never reached. Half the neighbours is not needed there: the walk
    // came from a run that holds its own, down a run of ten or more in order.
    const newer = ['n0', ...g(0, 2), ...g(28, 39), 'x0', 'x1'];
    expect(missing(newer, 'cap')).toEqual(Object.fromEntries(g(3, 27).map((uid) => [uid, 'removed'])));
    const view = reachView(newer, indexOf, 'cap', [], [], () => 39);
    expect([view.oldestSharedIndex, view.oldestSharedNewerIndex]).toEqual([39, 15]);
    expect(['n0', 'x0', 'x1'].map((uid) => judgeNew(newer.indexOf(uid), view, 'cap'))).toEqual(['added', 'first_seen', 'first_seen']);
    // Stayers scattered (a random purge): one run with up to two gone between neighbours. Down to
    // g11 the walk holds half the neighbours; the chain takes it on once the run is ten long.
    const scattered = [...g(0, 2), ...[5, 8, 11, 14, 17, 20, 23, 26, 29, 32, 35, 38].map((i) => `g${i}`)];
    expect(missing(scattered, 'cap')).toMatchObject({ g3: 'removed', g15: 'removed', g37: 'removed', g39: 'beyond_reach' });
    // A shorter run (eight) is no chain: three to six re-followers in their old order are that.
    expect(missing(scattered.slice(0, 8), 'cap')).toMatchObject({ g3: 'removed', g10: 'removed', g12: 'beyond_reach', g16: 'beyond_reach' });
  });

  it('is still no evidence where the run below is re-followers on top, or anything out of order or new stands between', () => {
    const allBeyond = (verdicts: Record<string, string>) => Object.values(verdicts).every((verdict) => verdict === 'beyond_reach');
    // g28..g39 re-followed (on top, in their old order), then the stayers g0..g2: g3..g27 are
    // below the walk's view of the older list (a --limit, a reach of newcomers).
    expect(allBeyond(missing([...g(28, 39), ...g(0, 2)], 'limit'))).toBe(true);
    expect(allBeyond(missing([...g(28, 39), 'n0', ...g(0, 2)], 'cap'))).toBe(true);
    // g27 above g5, out of the older order, between the stayers' run and the run below: no chain.
    expect(missing([...g(0, 2), 'g27', 'g5', ...g(28, 39)], 'cap')).toMatchObject({ g3: 'beyond_reach', g26: 'beyond_reach' });
    // In order, it chains: g5 and g27 the other way round are two stayers the walk passed.
    expect(missing([...g(0, 2), 'g5', ...g(27, 39)], 'cap')).toMatchObject({ g3: 'removed', g26: 'removed' });
    // A follower the older list lacks between them (new followers below a re-follower, g9) breaks it.
    expect(missing([...g(0, 2), 'g9', 'n0', 'n1', ...g(28, 39)], 'limit')).toMatchObject({ g3: 'beyond_reach', g27: 'beyond_reach' });
    expect(missing([...g(0, 2), 'g9', ...g(28, 39)], 'limit')).toMatchObject({ g3: 'removed', g27: 'removed' });
    // Two groups of three re-followers on top, the walk ending among new followers: no chain.
    expect(missing(['n0', ...g(0, 2), ...g(20, 22), 'g30', 'n2', 'n3'], 'limit')).toMatchObject({ g3: 'beyond_reach', g19: 'beyond_reach' });
    // No run that holds its neighbours to start from: nothing to chain.
    expect(missing(['g0', 'g5', ...g(24, 35)], 'cap')).toMatchObject({ g1: 'beyond_reach', g23: 'beyond_reach' });
  });
});

describe('endOfList: a list end is the whole list only when it fell short of the profile about as the walks beside it did', () => {
  it('with nothing to compare, keeps complete down to 10% or a page below the profile, and calls it early below that', () => {
    expect(endOfList('complete', 270, 300)).toBe('complete'); // 10% short
    expect(endOfList('complete', 269, 300)).toBe('early');
    expect(endOfList('complete', 160, 300)).toBe('early');
    expect(endOfList('complete', 30, 50)).toBe('complete'); // a page short of a small account
    expect(endOfList('complete', 29, 50)).toBe('early');
    expect(endOfList('complete', 310, 300)).toBe('complete'); // a profile count behind the list
  });

  it('beside other walks, calls it early when it fell short by more than 1% (at least 5) beyond the least of them', () => {
    // An account whose list always misses ~40 of its count (banned and deleted accounts).
    expect(endOfList('complete', 297, 339, 40)).toBe('complete');
    expect(endOfList('complete', 300, 345, 40)).toBe('complete'); // 5 more
    expect(endOfList('complete', 300, 346, 40)).toBe('early'); // 6 more
    // One that missed none: a page short is no end; 3 is (who came and left while it walked).
    expect(endOfList('complete', 280, 300, 0)).toBe('early');
    expect(endOfList('complete', 297, 300, 0)).toBe('complete');
    expect(endOfList('complete', 900, 1000, 0)).toBe('early');
    expect(endOfList('complete', 990, 1000, 0)).toBe('complete');
    // An account larger than the reach cannot be served whole, whatever the walks before did.
    expect(endOfList('complete', 5000, 80_000, 75_000)).toBe('early');
    expect(endOfList('complete', 5820, 6000, 170)).toBe('complete'); // 3% short, below 10%
  });

  it('leaves other ends and unknown counts as they are', () => {
    expect(endOfList('cap', 100, 80_000)).toBe('cap');
    expect(endOfList('limit', 10, 300, 0)).toBe('limit');
    expect(endOfList('complete', 10, null, 0)).toBe('complete');
    expect(endOfList('complete', undefined, 300)).toBe('complete');
    expect(endOfList(undefined, 10, 300)).toBeUndefined();
  });

  it('takes the least shortfall of two or more walks as the reference, none of one', () => {
    expect(referenceShortfall([40, 42, undefined, 38])).toBe(38);
    expect(referenceShortfall([140, undefined])).toBeUndefined();
    expect(referenceShortfall([])).toBeUndefined();
    expect([shortfall(310, 300), shortfall(160, 300), shortfall(null, 300)]).toEqual([0, 140, undefined]);
  });
});

describe("the older walk's unread rest of a tied second (olderHoles)", () => {
  const indexOf = (uid: string) => (older.includes(uid) ? older.indexOf(uid) : undefined);
  it('at the top of the older list: the followers who came since, above it in the newer list, are added; its unread rest first seen', () => {
    // f0..f2 were the page of the older list's newest second that the older walk could read.
    const newer = ['n0', 'n1', 'f0', 'f1', 'f2', 't0', 't1', 'f3', 'f4'];
    const view = reachView(newer, indexOf, 'cap', [], [[0, 3]], () => 9);
    expect(['n0', 'n1', 't0', 't1'].map((uid) => judgeNew(newer.indexOf(uid), view, 'cap'))).toEqual(['added', 'added', 'first_seen', 'first_seen']);
  });

  it('a re-follower from below the hole, on top of the newer list, does not move the stretch up over the new followers', () => {
    const newer = ['f8', 'n0', 'n1', 'f0', 'f1', 'f2', 't0', 't1', 'f3', 'f4'];
    const view = reachView(newer, indexOf, 'cap', [], [[0, 3]], () => 9);
    expect(['n0', 'n1', 't0', 't1'].map((uid) => judgeNew(newer.indexOf(uid), view, 'cap'))).toEqual(['added', 'added', 'first_seen', 'first_seen']);
  });

  it('a follower the older list lacks below a short run, where the older walk stepped past a tied second, blocks only the last pair: the stayers above are evidence still', () => {
    // f2..f6 stayed in order; t0 is of the older walk's unread rest (between f6 and f7); f0, f1 left.
    const newer = ['n0', 'f2', 'f3', 'f4', 'f5', 'f6', 't0'];
    const view = reachView(newer, indexOf, 'limit', [], [[6, 7]], () => 9);
    expect([judgeMissing(0, view), judgeMissing(1, view)]).toEqual(['removed', 'removed']);
  });

  it('a newer walk that shares nothing with the older list from the hole on never came down to it: its new followers are added', () => {
    const view = reachView(['n0', 'n1', 'n2'], indexOf, 'limit', [], [[4, 6]], () => 9);
    expect([0, 1, 2].map((at) => judgeNew(at, view, 'cap'))).toEqual(['added', 'added', 'added']);
    // In the middle of the list, with followers shared on both sides: between them, first seen.
    const newer = ['n0', 'f2', 'f3', 'f4', 't0', 'f5', 'f6'];
    const middle = reachView(newer, indexOf, 'cap', [], [[4, 5]], () => 9);
    expect(['n0', 't0'].map((uid) => judgeNew(newer.indexOf(uid), middle, 'cap'))).toEqual(['added', 'first_seen']);
  });
});
