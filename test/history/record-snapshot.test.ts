import { describe, expect, it } from 'vitest';
import { HistoryDbError } from '../../src/errors.js';
import { openHistory } from '../../src/history/open-history.js';
import { SCHEMA_VERSION } from '../../src/history/schema.js';
import { accountChanges, accountGrowth } from '../../src/history/queries.js';
import { recordSnapshot, type FollowerRow, type SnapshotInput } from '../../src/history/record-snapshot.js';
import type { SqlDriver } from '../../src/history/sql-driver.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { runCli } from './run-cli.js';

const ACCOUNT = '6754915036232582149';

async function* rowsOf(uids: readonly string[]): AsyncGenerator<FollowerRow> {
  for (const uid of uids) yield { uid, uniqueId: `u${uid}`, nickname: `n${uid}`, data: JSON.stringify({ uid, unique_id: `u${uid}` }) };
}

function snapshot(day: number, end: string, extra: Partial<SnapshotInput> = {}): SnapshotInput {
  return { account: ACCOUNT, takenAt: `2026-11-${String(day).padStart(2, '0')}T03:00:00.000Z`, end, onProfile: 1500, requests: 50, source: null, ...extra };
}

const range = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

async function state(db: SqlDriver, uid: string) {
  const [row] = await db.all<{ gone_at: string | null; position: number | null }>(
    'SELECT gone_at, position FROM account_followers WHERE account_uid = ? AND follower_uid = ?',
    [ACCOUNT, uid],
  );
  return row;
}

describe('recording snapshots into SQLite (the reach rule of src/diff/reach.ts)', () => {
  const dir = useTempDir('tkf-history-');
  const open = () => openHistory(join(dir.path, 'h.sqlite'));

  it('a sliding reach: one follower gone, the 299 that slid past the reach are not', async () => {
    const db = await open();
    // Reach 1,000 of 1,500: day 1 serves f0..f999; then 300 new followers and f500 unfollows.
    const day1 = range('1', 0, 1000);
    expect(await recordSnapshot(db, snapshot(1, 'cap'), rowsOf(day1))).toMatchObject({ recorded: true, added: 1000, removed: 0, beyondReach: 0 });
    // The first snapshot is the account's baseline: counted as added, no change row for each.
    expect(Number((await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM changes'))[0]!.n)).toBe(0);
    expect(await accountChanges(db, ACCOUNT, {})).toHaveLength(1000);
    const day2 = [...range('2', 0, 300), ...range('1', 0, 701).filter((u) => u !== '1500')];
    expect(day2).toHaveLength(1000);
    expect(await recordSnapshot(db, snapshot(2, 'cap'), rowsOf(day2))).toMatchObject({ added: 300, removed: 1, beyondReach: 299 });
    expect((await state(db, '1500'))!.gone_at).toBe('2026-11-02T03:00:00.000Z');
    // Beyond reach, it keeps its place in the walk that last saw it (day 1's).
    expect(await state(db, '1999')).toEqual({ gone_at: null, position: 999 });
    const changes = await db.all<{ change: string; n: number }>('SELECT change, COUNT(*) AS n FROM changes WHERE at = ? GROUP BY change ORDER BY change', [snapshot(2, '').takenAt]);
    expect(changes.map((c) => [c.change, Number(c.n)])).toEqual([['added', 300], ['beyond_reach', 299], ['removed', 1]]);
    await db.close();
  });

  it('a re-follower on top of a walk that never reached the older list makes nobody gone (a --limit, a reach full of newcomers)', async () => {
    const db = await open();
    // Reach 1,000: f0..f999. Then f900 unfollows and follows again: on top of the list.
    await recordSnapshot(db, snapshot(1, 'cap'), rowsOf(range('1', 0, 1000)));
    // --limit 1: the walk saw f900 only. Its old place (900) says nothing of f0..f899.
    expect(await recordSnapshot(db, snapshot(2, 'limit'), rowsOf(['1900']))).toMatchObject({ added: 0, removed: 0, beyondReach: 999 });
    expect(await state(db, '10')).toEqual({ gone_at: null, position: 0 });
    // Then 1,000 newcomers fill the reach, f900 on top of them: still nobody gone.
    expect(await recordSnapshot(db, snapshot(3, 'cap'), rowsOf(['1900', ...range('3', 0, 999)]))).toMatchObject({ added: 999, removed: 0 });
    expect(Number((await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM account_followers WHERE gone_at IS NOT NULL'))[0]!.n)).toBe(0);
    // A walk to the end of the list sees who stayed: f1 left, everyone else did not.
    const whole = ['1900', ...range('3', 0, 999), '10', ...range('1', 2, 1000).filter((uid) => uid !== '1900')];
    expect(await recordSnapshot(db, snapshot(4, 'complete'), rowsOf(whole))).toMatchObject({ added: 0, removed: 1 });
    expect((await state(db, '11'))!.gone_at).toBe('2026-11-04T03:00:00.000Z');
    await db.close();
  });

  it('a walk paused past PAUSE_BLINDS_MS before its --resume calls nobody gone, and still tells the first seen from the new', async () => {
    const db = await open();
    await recordSnapshot(db, snapshot(1, 'cap'), rowsOf(range('1', 0, 1000)));
    // As in the test below (f1..f20 left, 5 new on top, the reach 15 deeper), the walk paused an hour.
    const day2 = [...range('2', 0, 5), '10', ...range('1', 21, 1015)];
    expect(await recordSnapshot(db, snapshot(2, 'cap', { pausedMs: 3_600_000 }), rowsOf(day2))).toMatchObject({ added: 5, firstSeen: 15, removed: 0, beyondReach: 20 });
    await db.close();
  });

  it('followers never seen before, below where the walk before ended, are first seen, not come', async () => {
    const db = await open();
    // Reach 1,000 of a list of 1,645: f0..f999 served. Then f1..f20 leave and 5 follow (n0..n4):
    // the reach goes 15 deeper, to f1,000..f1,014, whom no walk had seen.
    await recordSnapshot(db, snapshot(1, 'cap'), rowsOf(range('1', 0, 1000)));
    const day2 = [...range('2', 0, 5), '10', ...range('1', 21, 1015)];
    expect(day2).toHaveLength(1000);
    expect(await recordSnapshot(db, snapshot(2, 'cap'), rowsOf(day2))).toMatchObject({ added: 5, firstSeen: 15, removed: 20, beyondReach: 0 });
    // Then a walk to the end of the list: 630 more, there all along; 3 new on top.
    const day3 = [...range('3', 0, 3), ...day2, ...range('1', 1015, 1645)];
    expect(await recordSnapshot(db, snapshot(3, 'complete'), rowsOf(day3))).toMatchObject({ added: 3, firstSeen: 630, removed: 0 });
    // After a walk that saw the whole list, whoever is new is new, wherever it stands.
    expect(await recordSnapshot(db, snapshot(4, 'complete'), rowsOf([...day3, '4x']))).toMatchObject({ added: 1, firstSeen: 0 });
    // tkf history changes lists them only beside the reach's own (--beyond-reach).
    expect((await accountChanges(db, ACCOUNT, { since: '2026-11-02' })).map((c) => c.change).filter((c) => c === 'first_seen')).toEqual([]);
    expect((await accountChanges(db, ACCOUNT, { since: '2026-11-02', beyondReach: true })).filter((c) => c.change === 'first_seen')).toHaveLength(645);
    const growth = await db.all<{ added: number }>('SELECT added FROM snapshots ORDER BY taken_at');
    expect(growth.map((g) => Number(g.added))).toEqual([1000, 5, 3, 1]);
    // tkf history growth counts them among the followers (it fell 630 short of those known).
    const points = await accountGrowth(db, ACCOUNT);
    expect(points.map((p) => [p.first_seen, p.followers])).toEqual([[0, 1000], [15, 1000], [630, 1633], [0, 1634]]);
    const [known] = await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM account_followers WHERE account_uid = ? AND gone_at IS NULL', [ACCOUNT]);
    expect(Number(known!.n)).toBe(1634);
    await db.close();
  });

  it('a walk to the end of the list proves the missing gone; a re-follow is added again', async () => {
    const db = await open();
    // The profile counts what each walk served: each end is the whole list (reach.ts endOfList).
    await recordSnapshot(db, snapshot(1, 'complete', { onProfile: 4 }), rowsOf(['10', '11', '12', '13']));
    expect(await recordSnapshot(db, snapshot(2, 'complete', { onProfile: 2 }), rowsOf(['10', '11']))).toMatchObject({ added: 0, removed: 2, beyondReach: 0 });
    expect(await recordSnapshot(db, snapshot(3, 'complete', { onProfile: 3 }), rowsOf(['13', '10', '11']))).toMatchObject({ added: 1, removed: 0 });
    expect(await state(db, '13')).toEqual({ gone_at: null, position: 0 });
    // The first `added` is the baseline's (no row in changes; tkf history changes lists it).
    const history = (await accountChanges(db, ACCOUNT, {})).filter((h) => h.follower_uid === '13');
    expect(history.map((h) => h.change)).toEqual(['added', 'removed', 'added']);
    expect(history.map((h) => h.at.slice(0, 10))).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    const rows = await db.all<{ change: string }>("SELECT change FROM changes WHERE follower_uid = '13' ORDER BY at");
    expect(rows.map((h) => h.change)).toEqual(['removed', 'added']);
    await db.close();
  });

  it('a follower beyond reach keeps its place: gone once a later walk finds its neighbours in order without it, never before', async () => {
    const db = await open();
    await recordSnapshot(db, snapshot(1, 'cap'), rowsOf(['10', '11', '12', '13', '14']));
    // Two new on top; the reach stops after 12: 13 and 14 slide beyond it.
    expect(await recordSnapshot(db, snapshot(2, 'cap'), rowsOf(['21', '20', '10', '11', '12']))).toMatchObject({ added: 2, removed: 0, beyondReach: 2 });
    // One more on top, the reach as deep as before: 13 and 14 still beyond it, not counted again.
    expect(await recordSnapshot(db, snapshot(3, 'cap'), rowsOf(['22', '21', '20', '10', '11', '12']))).toMatchObject({ added: 1, removed: 0, beyondReach: 0 });
    expect(await state(db, '13')).toEqual({ gone_at: null, position: 3 });
    // The reach one deeper: 14 found, below 12 as before, and 13 between them is not: gone.
    expect(await recordSnapshot(db, snapshot(4, 'cap'), rowsOf(['22', '21', '20', '10', '11', '12', '14']))).toMatchObject({ added: 0, removed: 1, beyondReach: 0 });
    expect((await state(db, '13'))!.gone_at).toBe(snapshot(4, '').takenAt);
    expect(await state(db, '14')).toEqual({ gone_at: null, position: 6 });
    const [{ n }] = (await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM account_followers WHERE account_uid = ? AND gone_at IS NULL', [ACCOUNT])) as [{ n: number }];
    expect(Number(n)).toBe(7);
    await db.close();
  });

  it('one who leaves while beyond reach is found gone by the first walk that reaches its place again (a --limit night, then a full reach)', async () => {
    const db = await open();
    // Reach 1,000 of a list of 1,800: f0..f999. Night 2: --limit 300, and f900 leaves unseen.
    const night1 = range('1', 0, 1000);
    await recordSnapshot(db, snapshot(1, 'cap'), rowsOf(night1));
    expect(await recordSnapshot(db, snapshot(2, 'limit'), rowsOf(range('1', 0, 300)))).toMatchObject({ removed: 0, beyondReach: 700 });
    // Night 3 walks the reach again: f899 and f901 in order, f900 not between them.
    const night3 = [...range('1', 0, 1001).filter((uid) => uid !== '1900')];
    expect(await recordSnapshot(db, snapshot(3, 'cap'), rowsOf(night3))).toMatchObject({ added: 0, firstSeen: 1, removed: 1, beyondReach: 0 });
    expect((await state(db, '1900'))!.gone_at).toBe(snapshot(3, '').takenAt);
    const growth = await accountGrowth(db, ACCOUNT);
    expect(growth.map((p) => p.followers)).toEqual([1000, 1000, 1000]);
    // A follower beyond reach since a walk before the latest is judged by the same places: the
    // reach back at 300, then one night later f950 leaves and a walk of 960 goes past its place.
    expect(await recordSnapshot(db, snapshot(4, 'limit'), rowsOf(night3.slice(0, 300)))).toMatchObject({ removed: 0, beyondReach: 700 });
    expect(await recordSnapshot(db, snapshot(5, 'limit'), rowsOf(night3.slice(0, 300)))).toMatchObject({ removed: 0, beyondReach: 0 });
    const night6 = night3.slice(0, 960).filter((uid) => uid !== '1950');
    expect(await recordSnapshot(db, snapshot(6, 'cap'), rowsOf(night6))).toMatchObject({ removed: 1, beyondReach: 0 });
    expect((await state(db, '1950'))!.gone_at).toBe(snapshot(6, '').takenAt);
    // Those below the walk's end are still followers, beyond reach.
    expect(await state(db, '1999')).toEqual({ gone_at: null, position: 998 });
    await db.close();
  });

  it('a follower beyond reach as an earlier tkf recorded it (no position) is gone only once a walk sees the whole list without it', async () => {
    const db = await open();
    await recordSnapshot(db, snapshot(1, 'cap'), rowsOf(['10', '11', '12', '13', '14']));
    await recordSnapshot(db, snapshot(2, 'cap'), rowsOf(['21', '20', '10', '11', '12']));
    await db.run("UPDATE account_followers SET position = NULL WHERE follower_uid IN ('13', '14')");
    expect(await recordSnapshot(db, snapshot(3, 'cap'), rowsOf(['21', '20', '10', '11', '12', '14']))).toMatchObject({ added: 0, removed: 0, beyondReach: 0 });
    expect(await state(db, '13')).toEqual({ gone_at: null, position: null });
    // A list that ends well below the profile's count (6 of 1,500) proves nothing; one at it does.
    expect(await recordSnapshot(db, snapshot(4, 'complete'), rowsOf(['21', '20', '10', '11', '12', '14']))).toMatchObject({ added: 0, removed: 0, beyondReach: 0 });
    expect(await recordSnapshot(db, snapshot(5, 'complete', { onProfile: 6 }), rowsOf(['21', '20', '10', '11', '12', '14']))).toMatchObject({ added: 0, removed: 1, beyondReach: 0 });
    expect((await state(db, '13'))!.gone_at).toBe(snapshot(5, '').takenAt);
    await db.close();
  });

  it('an update records the new followers only, cannot see losses, and keeps the order for the next walk', async () => {
    const db = await open();
    await recordSnapshot(db, snapshot(1, 'cap'), rowsOf(['10', '11', '12', '13']));
    // --update's file: two new rows on top of the old ones (the old ones are not looked at).
    const out = await recordSnapshot(db, snapshot(2, 'caught-up', { update: { added: 2 } }), rowsOf(['21', '20', '10', '11', '12', '13']));
    expect(out).toMatchObject({ added: 2, removed: 0, beyondReach: 0, served: 2 });
    const [row] = await db.all<{ walk_end: string; sees_losses: number }>('SELECT walk_end, sees_losses FROM snapshots ORDER BY id DESC LIMIT 1');
    expect(row).toEqual({ walk_end: 'update', sees_losses: 0 });
    expect((await state(db, '10'))!.position).toBe(2);
    // Next full walk, cut by the reach after 12: 11 left (above the oldest shared), 13 beyond reach.
    expect(await recordSnapshot(db, snapshot(3, 'cap'), rowsOf(['21', '20', '10', '12']))).toMatchObject({ removed: 1, beyondReach: 1 });
    expect((await state(db, '11'))!.gone_at).not.toBeNull();
    expect((await state(db, '13'))!.gone_at).toBeNull();
    await db.close();
  });

  it("an update keeps the latest walk's followers it did not read among its rows where that walk found them; a re-follower on top is no place to keep them by", async () => {
    const db = await open();
    await recordSnapshot(db, snapshot(1, 'complete', { onProfile: 10 }), rowsOf(range('1', 0, 10)));
    // A file that held 12 and 13 (the update skipped them) and not 10, 11, 14; 17 followed again.
    expect(await recordSnapshot(db, snapshot(2, 'caught-up', { update: { added: 6 } }), rowsOf(['17', '31', '30', '10', '11', '14', '12', '13']))).toMatchObject({ added: 2, served: 6 });
    const order = await db.all<{ follower_uid: string }>('SELECT follower_uid FROM account_followers WHERE account_uid = ? AND position IS NOT NULL ORDER BY position', [ACCOUNT]);
    expect(order.map((row) => row.follower_uid)).toEqual(['17', '31', '30', '10', '11', '12', '13', '14', '15', '16', '18', '19']);
    await db.close();
  });

  it('an update whose first rows are re-followers keeps the newest follower it skipped below them, not above', async () => {
    const db = await open();
    await recordSnapshot(db, snapshot(1, 'complete', { onProfile: 10 }), rowsOf(range('1', 0, 10)));
    // 18 and 19 followed again; the file held 10, 12 and 13.
    await recordSnapshot(db, snapshot(2, 'caught-up', { update: { added: 4 } }), rowsOf(['18', '19', '11', '14', '10', '12', '13']));
    const order = await db.all<{ follower_uid: string }>('SELECT follower_uid FROM account_followers WHERE account_uid = ? AND position IS NOT NULL ORDER BY position', [ACCOUNT]);
    expect(order.map((row) => row.follower_uid)).toEqual(['18', '19', '10', '11', '12', '13', '14', '15', '16', '17']);
    await db.close();
  });

  it("an update's anchors are its last rows in the walk's order: re-followers above them, or a new follower last, anchor nothing", async () => {
    const db = await open();
    const order = async () => (await db.all<{ follower_uid: string }>('SELECT follower_uid FROM account_followers WHERE account_uid = ? AND position IS NOT NULL ORDER BY position', [ACCOUNT])).map((row) => row.follower_uid);
    await recordSnapshot(db, snapshot(1, 'complete', { onProfile: 10 }), rowsOf(range('1', 0, 10)));
    // Three re-followers in their old order above two who stayed: the three are no anchors.
    await recordSnapshot(db, snapshot(2, 'caught-up', { update: { added: 5 } }), rowsOf(['16', '18', '19', '11', '14']));
    expect(await order()).toEqual(['16', '18', '19', '10', '11', '12', '13', '14', '15', '17']);
    // A new follower last: nothing below the night's new follows to keep anyone among.
    await recordSnapshot(db, snapshot(3, 'caught-up', { update: { added: 3 } }), rowsOf(['30', '17', '31']));
    expect((await order()).slice(0, 4)).toEqual(['30', '17', '31', '16']);
    await db.close();
  });

  it('a walk that steps past a tied second at its very end holds nobody: below its last shared follower, the stepped-past are not told from those below its end', async () => {
    const db = await open();
    await recordSnapshot(db, snapshot(1, 'cap', { onProfile: 100 }), rowsOf(range('1', 0, 40)));
    expect(await recordSnapshot(db, snapshot(2, 'limit', { onProfile: 100, holes: [[10, 10]] }), rowsOf(range('1', 0, 10)))).toMatchObject({ removed: 0, beyondReach: 30 });
    expect(await db.all('SELECT follower_uid FROM account_followers WHERE held_at IS NOT NULL')).toEqual([]);
    await db.close();
  });

  it('followers a walk stepped past in a tied second stay where the second stands: walks that step past it again call none of them gone, one that reads it finds who left', async () => {
    const db = await open();
    const walk = (day: number, uids: string[], holes?: Array<[number, number]>) =>
      recordSnapshot(db, snapshot(day, 'complete', { onProfile: 10, ...(holes ? { holes } : {}) }), rowsOf(uids));
    await walk(1, range('1', 0, 10));
    // 13 and 14 in a tied second the walk read only the start of (its unread rest before row 3).
    const stepped = ['10', '11', '12', '15', '16', '17', '18', '19'];
    expect(await walk(2, stepped, [[3, 3]])).toMatchObject({ removed: 0, beyondReach: 2 });
    expect(await state(db, '13')).toEqual({ gone_at: null, position: 3 });
    // Stepped past again, the followers below the second found: still beyond reach, counted once.
    expect(await walk(3, stepped, [[3, 3]])).toMatchObject({ removed: 0, beyondReach: 0 });
    // The second read whole: 14 left.
    expect(await walk(4, ['10', '11', '12', '13', '15', '16', '17', '18', '19'])).toMatchObject({ removed: 1, added: 0 });
    expect((await state(db, '14'))!.gone_at).toBe(snapshot(4, '').takenAt);
    await db.close();
  });

  it('a follower held in a tied second keeps its place there across a walk that does not come down to it (a --limit night)', async () => {
    const db = await open();
    const walk = (day: number, uids: string[], extra: Partial<SnapshotInput> = {}) => recordSnapshot(db, snapshot(day, 'complete', { onProfile: 10, ...extra }), rowsOf(uids));
    await walk(1, range('1', 0, 10));
    const stepped = ['10', '11', '12', '15', '16', '17', '18', '19'];
    // (The profile counting what the list serves: no cut end to take the followers at it for.)
    expect(await walk(2, stepped, { holes: [[3, 3]], onProfile: 8 })).toMatchObject({ beyondReach: 2 });
    expect(await walk(3, ['10', '11'], { end: 'limit', onProfile: 8 })).toMatchObject({ removed: 0 });
    // Stepped past again below the followers the --limit night did not reach: none of them gone.
    expect(await walk(4, stepped, { holes: [[3, 3]], onProfile: 8 })).toMatchObject({ removed: 0, beyondReach: 0 });
    await db.close();
  });

  it('a walk gone on with after a long pause still holds the followers it stepped past in a tied second', async () => {
    const db = await open();
    const walk = (day: number, uids: string[], extra: Partial<SnapshotInput> = {}) => recordSnapshot(db, snapshot(day, 'complete', { onProfile: 8, ...extra }), rowsOf(uids));
    await walk(1, range('1', 0, 10), { onProfile: 10 });
    const stepped = ['10', '11', '12', '15', '16', '17', '18', '19'];
    expect(await walk(2, stepped, { holes: [[3, 3]] })).toMatchObject({ beyondReach: 2 });
    expect(await walk(3, stepped, { holes: [[3, 3]], pausedMs: 3_600_000 })).toMatchObject({ removed: 0, seesLosses: false });
    expect(await walk(4, stepped, { holes: [[3, 3]] })).toMatchObject({ removed: 0, beyondReach: 0 });
    await db.close();
  });

  it('a list that ends short of what the walk before served by the reach: those below its end are beyond reach, not gone (the only earlier end of list was cut deeper still)', async () => {
    const db = await open();
    const old = range('1', 100, 200);
    await recordSnapshot(db, snapshot(1, 'cap', { onProfile: 130 }), rowsOf(old));
    // A list cut after 60 (its end proves nothing: 'early'), then the reach again.
    expect(await recordSnapshot(db, snapshot(2, 'complete', { onProfile: 130 }), rowsOf(old.slice(0, 60)))).toMatchObject({ removed: 0, listEnd: 'early' });
    await recordSnapshot(db, snapshot(3, 'cap', { onProfile: 130 }), rowsOf(old));
    // Five new followers, the profile's count up by five, and a list that ends 15 short of the reach's.
    const cut = await recordSnapshot(db, snapshot(4, 'complete', { onProfile: 135 }), rowsOf([...range('2', 0, 5), ...old.slice(0, 85)]));
    expect(cut).toMatchObject({ added: 5, removed: 0, beyondReach: 15, listEnd: 'early' });
    await db.close();
  });

  it('places every follower of a list longer than one statement\'s rows, and records each change', async () => {
    const db = await open();
    // 45,000 followers: account_followers and changes are written 20,000 rows to a statement.
    const day1 = range('1', 0, 45_000);
    await recordSnapshot(db, snapshot(1, 'complete'), rowsOf(day1));
    // Day 2: 25,000 new on top, the day-1 list below them without its first 22,000 (gone).
    const day2 = [...range('2', 0, 25_000), ...day1.slice(22_000)];
    expect(await recordSnapshot(db, snapshot(2, 'complete'), rowsOf(day2))).toMatchObject({ served: 48_000, added: 25_000, removed: 22_000 });
    const placed = await db.all<{ follower_uid: string; position: number }>(
      'SELECT follower_uid, position FROM account_followers WHERE account_uid = ? AND position IS NOT NULL ORDER BY position',
      [ACCOUNT],
    );
    expect(placed.map((p) => p.follower_uid)).toEqual(day2);
    expect(placed.map((p) => Number(p.position))).toEqual(day2.map((_, i) => i));
    const changes = await db.all<{ change: string; n: number }>('SELECT change, COUNT(DISTINCT follower_uid) AS n FROM changes GROUP BY change ORDER BY change');
    expect(changes.map((c) => [c.change, Number(c.n)])).toEqual([['added', 25_000], ['removed', 22_000]]);
    await db.close();
  });

  it('records a snapshot once, and refuses to slide an older one in before the latest', async () => {
    const db = await open();
    await recordSnapshot(db, snapshot(2, 'complete'), rowsOf(['10', '11']));
    expect(await recordSnapshot(db, snapshot(2, 'complete'), rowsOf(['10']))).toMatchObject({ recorded: false, removed: 0 });
    expect(await recordSnapshot(db, snapshot(1, 'complete'), rowsOf(['10']))).toMatchObject({ recorded: false, stale: true });
    const [count] = await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM snapshots');
    expect(Number(count!.n)).toBe(1);
    expect((await state(db, '11'))!.gone_at).toBeNull();
    await db.close();
  });

  it('migrates a version 1 database forward: the API\'s whole objects become the export\'s columns, CSV rows stay', async () => {
    const db = await open();
    const api = { uid: '71', unique_id: 'h71', nickname: 'N', follower_count: 3, avatar_larger: { url_list: ['https://a/71.jpg'] }, share_info: { x: 'y'.repeat(300) } };
    const csv = { uid: '72', unique_id: 'h72', profile_url: 'https://www.tiktok.com/@h72', avatar_url: 'https://a/72.jpg' };
    for (const row of [api, csv]) {
      await db.run('INSERT INTO followers (uid, unique_id, nickname, data, updated_at) VALUES (?, ?, ?, ?, ?)', [row.uid, row.unique_id, null, JSON.stringify(row), '2026-11-01T00:00:00.000Z']);
    }
    // Version 1 wrote an `added` row for each follower of an account's first snapshot; 2 does not.
    await db.run("INSERT INTO accounts VALUES ('9', '2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z')");
    await db.run("INSERT INTO snapshots (id, account_uid, taken_at, walk_end, sees_losses, served) VALUES (1, '9', '2026-11-01T00:00:00.000Z', 'complete', 1, 1), (2, '9', '2026-11-02T00:00:00.000Z', 'complete', 1, 2)");
    await db.run("INSERT INTO changes VALUES (1, '9', '71', 'added', '2026-11-01T00:00:00.000Z'), (2, '9', '72', 'added', '2026-11-02T00:00:00.000Z')");
    await db.run("UPDATE tkf_meta SET value = '1' WHERE key = 'schema_version'");
    await db.close();
    const again = await open();
    expect(await again.all('SELECT snapshot_id, follower_uid FROM changes')).toEqual([{ snapshot_id: 2, follower_uid: '72' }]);
    const rows = await again.all<{ uid: string; data: string }>('SELECT uid, data FROM followers ORDER BY uid');
    expect(JSON.parse(rows[0]!.data)).toEqual({ uid: '71', unique_id: 'h71', nickname: 'N', profile_url: 'https://www.tiktok.com/@h71', follower_count: 3, avatar_url: 'https://a/71.jpg' });
    expect(JSON.parse(rows[1]!.data)).toEqual(csv);
    expect((await again.all<{ value: string }>("SELECT value FROM tkf_meta WHERE key = 'schema_version'"))[0]!.value).toBe(String(SCHEMA_VERSION));
    await again.close();
  });

  it('refuses a database written by a newer tkf, with exit code 10', async () => {
    const db = await open();
    await db.run("UPDATE tkf_meta SET value = '99' WHERE key = 'schema_version'");
    await db.close();
    const error = await open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HistoryDbError);
    expect((error as HistoryDbError).exitCode).toBe(11);
    expect((error as Error).message).toMatch(new RegExp(`newer tkf \\(schema version 99; this tkf knows up to ${SCHEMA_VERSION}\\)`));
  });

  it('the commands that read never write: an empty file or a newer schema is refused and left byte for byte as it was', async () => {
    const empty = join(dir.path, 'empty.sqlite');
    await writeFile(empty, '');
    const read = await runCli(['history', '--db', empty]);
    expect([read.code, read.stderr]).toEqual([11, `tkf: ${empty} is not a tkf history database (no tkf schema in it): record one with tkf export --db ${empty} (or tkf history import)\n`]);
    expect(await readFile(empty)).toHaveLength(0);
    const newer = join(dir.path, 'newer.sqlite');
    const db = await openHistory(newer);
    await db.run("UPDATE tkf_meta SET value = '99' WHERE key = 'schema_version'");
    await db.close();
    const bytes = await readFile(newer);
    for (const args of [['history'], ['history', 'growth', '--uid', ACCOUNT]]) {
      const run = await runCli([...args, '--db', newer]);
      expect([run.code, run.stderr]).toEqual([11, expect.stringContaining(`written by a newer tkf (schema version 99; this tkf knows up to ${SCHEMA_VERSION})`)]);
    }
    expect((await readFile(newer)).equals(bytes)).toBe(true);
    expect(existsSync(`${newer}-wal`)).toBe(false);
  });

  it('a schema version edited by hand, or tkf_meta dropped from tkf\'s tables, is a clear exit 11, not NaN or "table accounts already exists"', async () => {
    const path = join(dir.path, 'edited.sqlite');
    const db = await openHistory(path);
    await db.run("UPDATE tkf_meta SET value = 'abc' WHERE key = 'schema_version'");
    await db.close();
    const error = await openHistory(path).catch((e: unknown) => e);
    expect([(error as HistoryDbError).exitCode, (error as Error).message]).toEqual([11, `the history database ${path} has an unreadable schema version (tkf_meta says "abc"): not used`]);
    const dropped = join(dir.path, 'dropped.sqlite');
    const other = await openHistory(dropped);
    await other.run('DROP TABLE tkf_meta');
    await other.close();
    const made = await openHistory(dropped).catch((e: unknown) => e);
    expect((made as HistoryDbError).exitCode).toBe(11);
    expect((made as Error).message).toMatch(/^cannot make tkf's history tables in .*dropped\.sqlite: table accounts already exists, and it has no tkf schema version \(tkf_meta\); the history needs a database of its own/);
  });

  it('a database that cannot be opened is exit 11, naming it', async () => {
    const error = await openHistory(join(dir.path, 'no-such-dir', 'h.sqlite')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HistoryDbError);
    expect((error as Error).message).toMatch(/no-such-dir.*cannot be opened/);
  });

  it('a URL of another database is exit 2, not taken for a file path (and not echoed: it may hold a password)', async () => {
    for (const args of [['export', '--uid', ACCOUNT], ['history']]) {
      const run = await runCli([...args, '--db', 'mysql://me:s3cret@db.example/tkf'], { TKF_TOKEN: 'sim-token', TKF_BASE_URL: 'http://127.0.0.1:9' });
      expect([run.code, run.stderr]).toEqual([2, 'tkf: the history database (--db, TKF_DB or the config file\'s "db") is a SQLite file (history.sqlite) or a postgres:// URL, not a mysql:// URL\n']);
    }
  });
});

describe('followerRow (what followers keeps of an API follower object: the export\'s columns)', () => {
  it('decodes escapes, takes the handle and nickname, and keeps the 15 export columns only', async () => {
    const { followerRow } = await import('../../src/history/follower-columns.js');
    const { DEFAULT_CSV_FIELDS } = await import('../../src/writers/fields.js');
    const follower = { uid: '1', nickname: 'a "quoted"\\ name\n\u2028', avatar_larger: { url_list: ['https://a/x.jpg', 'y'] }, unique_id: 'h_1', follower_count: 12, share_info: { big: 'x'.repeat(500) } };
    const row = followerRow('1', JSON.parse(JSON.stringify(follower)) as Record<string, unknown>);
    expect(row.nickname).toBe('a "quoted"\\ name\n\u2028');
    expect(row.uniqueId).toBe('h_1');
    const data = JSON.parse(row.data) as Record<string, unknown>;
    expect(data).toEqual({ uid: '1', unique_id: 'h_1', nickname: follower.nickname, profile_url: 'https://www.tiktok.com/@h_1', follower_count: 12, avatar_url: 'https://a/x.jpg' });
    expect(Object.keys(data).every((key) => (DEFAULT_CSV_FIELDS as readonly string[]).includes(key))).toBe(true);
    expect(followerRow('1', { uid: '1', nickname: null }).nickname).toBeNull();
  });
});
