/**
 * What `tkf history` reads: the accounts, one account's snapshots (growth) and its changes.
 * Counts come back from PostgreSQL as strings (COUNT is bigint): each is turned into a number.
 */
import type { SqlRunner } from './sql-driver.js';

export interface AccountSummary {
  uid: string;
  snapshots: number;
  /** Followers recorded and not seen gone (those past the API's reach included). */
  followers: number;
  last_snapshot_at: string;
}

/** Whether the database has a snapshot of `account`. */
export async function hasAccount(db: SqlRunner, account: string): Promise<boolean> {
  return (await db.all('SELECT 1 AS found FROM snapshots WHERE account_uid = ? LIMIT 1', [account])).length > 0;
}

export async function listAccounts(db: SqlRunner): Promise<AccountSummary[]> {
  const rows = await db.all<{ uid: string; snapshots: unknown; followers: unknown; last_snapshot_at: string }>(
    `SELECT a.uid, a.last_snapshot_at,
       (SELECT COUNT(*) FROM snapshots s WHERE s.account_uid = a.uid) AS snapshots,
       (SELECT COUNT(*) FROM account_followers f WHERE f.account_uid = a.uid AND f.gone_at IS NULL) AS followers
     FROM accounts a ORDER BY a.uid`,
  );
  return rows.map((r) => ({ uid: r.uid, snapshots: Number(r.snapshots), followers: Number(r.followers), last_snapshot_at: r.last_snapshot_at }));
}

export interface GrowthPoint {
  at: string;
  /** Followers recorded and not seen gone after this snapshot (a running count: added + first seen - removed). */
  followers: number;
  /** The profile's follower count (`total`), as the API said. */
  on_profile: number | null;
  /** Followers the API served in this walk. */
  served: number;
  added: number;
  /** Never seen before, below where the walk before ended: there all along, not added (reach.ts). */
  first_seen: number;
  removed: number;
  beyond_reach: number;
  /** complete | cap | limit | update (an update cannot see who left). */
  end: string;
  sees_losses: boolean;
  requests: number | null;
}

export async function accountGrowth(db: SqlRunner, account: string): Promise<GrowthPoint[]> {
  const rows = await db.all<Record<string, unknown>>(
    `SELECT taken_at, on_profile, served, added, removed, beyond_reach, walk_end, sees_losses, requests,
       (SELECT COUNT(*) FROM changes c WHERE c.snapshot_id = s.id AND c.change = 'first_seen') AS first_seen
     FROM snapshots s WHERE account_uid = ? ORDER BY taken_at`,
    [account],
  );
  let followers = 0;
  return rows.map((r) => {
    followers += Number(r.added) + Number(r.first_seen) - Number(r.removed);
    return {
      at: String(r.taken_at),
      followers,
      on_profile: r.on_profile === null ? null : Number(r.on_profile),
      served: Number(r.served),
      added: Number(r.added),
      first_seen: Number(r.first_seen),
      removed: Number(r.removed),
      beyond_reach: Number(r.beyond_reach),
      end: String(r.walk_end),
      sees_losses: Number(r.sees_losses) === 1,
      requests: r.requests === null ? null : Number(r.requests),
    };
  });
}

export interface ChangeRow {
  change: string;
  at: string;
  follower_uid: string;
  /** The follower's latest row, as the export held it (a JSON object's text). */
  data: string;
}

/**
 * Changes of an account in [since, until), oldest first; `beyond_reach` rows only when asked.
 * The first snapshot's followers are `added` at its time: they have no rows in `changes` (the
 * baseline, record-snapshot.ts), they are the followers first seen at the account's first
 * snapshot when that snapshot was a full walk.
 */
export async function accountChanges(
  db: SqlRunner,
  account: string,
  range: { since?: string; until?: string; beyondReach?: boolean },
): Promise<ChangeRow[]> {
  const where = ['c.account_uid = ?'];
  const baseWhere = ['s.account_uid = ?'];
  const params: unknown[] = [account];
  const baseParams: unknown[] = [account];
  if (range.since) {
    where.push('c.at >= ?');
    params.push(range.since);
    baseWhere.push('s.taken_at >= ?');
    baseParams.push(range.since);
  }
  if (range.until) {
    where.push('c.at < ?');
    params.push(range.until);
    baseWhere.push('s.taken_at < ?');
    baseParams.push(range.until);
  }
  // Neither came nor left: past the reach, or first seen below where the walk before ended.
  if (!range.beyondReach) where.push("c.change NOT IN ('beyond_reach', 'first_seen')");
  return db.all<ChangeRow>(
    `SELECT c.change AS change, c.at AS at, c.follower_uid AS follower_uid, f.data AS data, c.snapshot_id AS snapshot_id
     FROM changes c JOIN followers f ON f.uid = c.follower_uid
     WHERE ${where.join(' AND ')}
     UNION ALL
     SELECT 'added', s.taken_at, af.follower_uid, f.data, s.id
     FROM accounts a
     JOIN snapshots s ON s.account_uid = a.uid AND s.taken_at = a.first_snapshot_at AND s.walk_end <> 'update'
     JOIN account_followers af ON af.account_uid = s.account_uid AND af.first_seen_at = s.taken_at
     JOIN followers f ON f.uid = af.follower_uid
     WHERE ${baseWhere.join(' AND ')}
     ORDER BY at, snapshot_id, change, follower_uid`,
    [...params, ...baseParams],
  );
}

/** An account's follower as the history knows it now: its latest fields, and whether the last snapshot saw it. */
export interface KnownFollower {
  uid: string;
  /** followers.data: the export's columns as JSON (follower-columns.ts). */
  data: string;
  /**
   * Not served by the account's last full walk (not an --update: that walks its new followers
   * only): past the API's reach since.
   */
  unseen: boolean;
}

/** Rows a query of accountFollowersNow reads at once: its memory stays that of one page, whatever the account's size. */
const FOLLOWERS_PAGE = 5_000;

/**
 * The followers of `account` that the history says follow now (not seen gone: those past the API's
 * reach included, as `tkf history`'s "followers now" counts them), in uid order, a page at a time
 * (keyset paging on the primary key), so that tkf report reads any account in constant memory.
 */
export async function* accountFollowersNow(db: SqlRunner, account: string, pageSize = FOLLOWERS_PAGE): AsyncGenerator<KnownFollower> {
  let after = '';
  for (;;) {
    const rows = await db.all<{ uid: string; data: string; unseen: unknown }>(
      `SELECT af.follower_uid AS uid, f.data AS data, CASE WHEN af.last_seen_at < w.at THEN 1 ELSE 0 END AS unseen
       FROM account_followers af
       CROSS JOIN (SELECT max(taken_at) AS at FROM snapshots WHERE account_uid = ? AND walk_end <> 'update') w
       JOIN followers f ON f.uid = af.follower_uid
       WHERE af.account_uid = ? AND af.gone_at IS NULL AND af.follower_uid > ?
       ORDER BY af.follower_uid
       LIMIT ${pageSize}`,
      [account, account, after],
    );
    for (const row of rows) yield { uid: row.uid, data: row.data, unseen: Number(row.unseen) === 1 };
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.uid;
  }
}
