/**
 * The history's reach rule against a model of the true list (a randomized property test, first
 * written by a review of the rule): each night followers come, leave, come back, and sometimes
 * unfollow and follow again (a re-follow puts them on top); then a walk serves the newest N
 * (a reach), or the newest k (a --limit), or the new followers only (--update), or goes on after
 * a pause that others used to re-follow. After every snapshot:
 *
 * - without re-follows the order of the lists is the truth, so nobody who still follows may be
 *   called gone, and nobody who followed since the snapshot before may be called first seen;
 * - always, `tkf history growth` adds up (followers = the line before's + added + first seen -
 *   removed) and is the database's own count of followers not gone.
 *
 * With re-follows the order can lie (two or three re-followers on top in their old order look like
 * followers who stayed), so no rule of order alone is always right there: src/diff/reach.ts says
 * how often its rule was wrong in this model, and why.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openHistory } from '../../src/history/open-history.js';
import { accountGrowth } from '../../src/history/queries.js';
import { recordSnapshot, type FollowerRow, type SnapshotInput } from '../../src/history/record-snapshot.js';
import { useTempDir } from '../helpers/temp-dir.js';

const dir = useTempDir('tkf-history-reach-');

async function* rowsOf(uids: readonly string[]): AsyncGenerator<FollowerRow> {
  for (const uid of uids) yield { uid, uniqueId: `u${uid}`, nickname: null, data: JSON.stringify({ uid }) };
}

/** xorshift32: the same histories on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

interface Follower {
  uid: string;
  /** When it followed (a counter): the list is newest first. */
  at: number;
}

interface Findings {
  falseRemoved: string[];
  falseFirstSeen: string[];
  countsOff: string[];
}

async function histories(seeds: number, refollows: boolean): Promise<Findings> {
  const db = await openHistory(join(dir.path, `reach-${refollows}.sqlite`));
  const found: Findings = { falseRemoved: [], falseFirstSeen: [], countsOff: [] };
  for (let seed = 1; seed <= seeds; seed++) {
    const r = random(seed * 7919 + (refollows ? 1 : 0));
    const int = (a: number, b: number) => a + Math.floor(r() * (b - a + 1));
    const account = String(1_000_000 + seed);
    const reach = int(3, 12);
    let clock = 0;
    let next = 0;
    const list: Follower[] = [];
    for (let i = int(2, 30); i > 0; i--) list.unshift({ uid: `f${next++}`, at: ++clock });
    const former: string[] = [];
    const inFile = new Set<string>();
    let newestInFile = 0;
    let before = 0;
    const night = () => {
      const ops = [...Array(int(0, 4)).fill('follow'), ...Array(int(0, 4)).fill('leave'), ...(r() < 0.2 ? ['back'] : [])];
      for (let i = ops.length - 1; i > 0; i--) {
        const j = int(0, i);
        [ops[i], ops[j]] = [ops[j], ops[i]];
      }
      for (const op of ops) {
        if (op === 'follow') list.unshift({ uid: `f${next++}`, at: ++clock });
        else if (op === 'leave' && list.length) former.push(list.splice(int(0, list.length - 1), 1)[0]!.uid);
        else if (op === 'back' && former.length) list.unshift({ uid: former.splice(int(0, former.length - 1), 1)[0]!, at: ++clock });
      }
      if (!refollows || !list.length) return;
      const picked = [...new Set(Array.from({ length: int(0, 3) }, () => int(0, list.length - 1)))];
      // Often deepest first: they land on top in their old order, the order's own lie.
      if (r() < 0.6) picked.sort((a, b) => b - a);
      for (const uid of picked.map((i) => list[i]!.uid)) {
        const [f] = list.splice(list.findIndex((e) => e.uid === uid), 1);
        list.unshift({ uid: f!.uid, at: ++clock });
      }
    };
    const nights = int(3, 9);
    for (let n = 0; n < nights; n++) {
      if (n > 0 || r() < 0.3) night();
      const kind = (['cap', 'limit', 'update', 'pause'] as const)[int(0, 3)];
      const top = (k: number) => list.slice(0, k).map((f) => f.uid);
      let walk: { uids: string[]; end: string; update?: { added: number }; pausedMs?: number };
      if (kind === 'update' && n > 0) {
        const served = list.slice(0, reach);
        // An update that cannot reach the file's newest follower fails (exit 6): no snapshot.
        if (list.length > reach && served[served.length - 1]!.at > newestInFile) continue;
        const fresh = served.filter((f) => f.at > newestInFile && !inFile.has(f.uid)).map((f) => f.uid);
        walk = { uids: fresh, end: 'update', update: { added: fresh.length } };
      } else if (kind === 'limit' && list.length > 1) {
        const k = int(1, Math.min(reach, list.length));
        walk = { uids: top(k), end: k >= list.length ? 'complete' : 'limit' };
      } else if (kind === 'pause' && n > 0 && list.length > 2) {
        const first = list.slice(0, int(1, Math.min(reach, list.length) - 1));
        const cursor = first[first.length - 1]!.at;
        night();
        const uids = first.map((f) => f.uid);
        for (const f of list.slice(0, reach)) if (f.at < cursor && !uids.includes(f.uid)) uids.push(f.uid);
        walk = { uids, end: list.length <= reach ? 'complete' : 'cap', pausedMs: 3_600_000 };
      } else {
        walk = { uids: top(reach), end: list.length <= reach ? 'complete' : 'cap' };
      }
      const input: SnapshotInput = {
        account,
        takenAt: new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString(),
        end: walk.end,
        onProfile: list.length,
        requests: 1,
        source: null,
        ...(walk.update ? { update: walk.update } : {}),
        ...(walk.pausedMs ? { pausedMs: walk.pausedMs } : {}),
      };
      const outcome = await recordSnapshot(db, input, rowsOf(walk.update ? [...walk.uids, ...inFile] : walk.uids));
      for (const uid of walk.uids) inFile.add(uid);
      for (const f of list.slice(0, reach)) if (walk.uids.includes(f.uid)) newestInFile = Math.max(newestInFile, f.at);
      const truth = new Map(list.map((f) => [f.uid, f.at]));
      const where = `seed ${seed} night ${n} (${kind})`;
      for (const c of await db.all<{ follower_uid: string; change: string }>('SELECT follower_uid, change FROM changes WHERE snapshot_id = ?', [outcome.id])) {
        if (c.change === 'removed' && truth.has(c.follower_uid)) found.falseRemoved.push(`${where}: ${c.follower_uid}`);
        if (c.change === 'first_seen' && (truth.get(c.follower_uid) ?? 0) > before) found.falseFirstSeen.push(`${where}: ${c.follower_uid}`);
      }
      const growth = await accountGrowth(db, account);
      const [{ n: known }] = (await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM account_followers WHERE account_uid = ? AND gone_at IS NULL', [account])) as [{ n: number }];
      const last = growth[growth.length - 1]!;
      const previous = growth.length > 1 ? growth[growth.length - 2]!.followers : 0;
      if (last.followers !== Number(known) || last.followers !== previous + last.added + last.first_seen - last.removed) {
        found.countsOff.push(`${where}: growth ${last.followers}, database ${known}`);
      }
      before = clock;
    }
  }
  await db.close();
  return found;
}

it('without re-follows nobody who still follows is called gone, nor anyone new first seen; the counts add up', async () => {
  expect(await histories(400, false)).toEqual({ falseRemoved: [], falseFirstSeen: [], countsOff: [] });
}, 120_000);

it('with re-follows the counts still add up, night after night', async () => {
  expect((await histories(300, true)).countsOff).toEqual([]);
}, 120_000);
