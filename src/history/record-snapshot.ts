/**
 * Records one export of one account as a snapshot, in one transaction: the followers' latest
 * fields, who was first seen, seen again, and seen gone, and the snapshot's counts.
 *
 * Who is gone follows the reach rule of src/diff/reach.ts, the same function `tkf diff` uses:
 * the older export is the account's latest snapshot, whose order lives in
 * account_followers.position (0 = newest), and below it the followers beyond reach since earlier
 * snapshots, each at its place in the last walk that saw it (placeKnown). A follower missing
 * from this walk is *removed* (gone_at set, position NULL) only where this walk saw that part of
 * the list; otherwise *beyond_reach*: still a follower as far as anyone knows, never called gone,
 * counted when it slides out of view (not again on every walk after), and gone once a later
 * walk sees its place without it. Only complete walks (an end of 'complete', 'cap' or 'limit')
 * are judged; an update (`--update`: new followers only) records who came and, as its snapshot
 * says (sees_losses = 0), cannot see who left.
 *
 * An account's first snapshot writes no `added` rows in `changes` (see `baseline` below).
 *
 * Idempotent: a snapshot is keyed by its account and time (the export manifest's), so recording
 * the same finished export twice (a crash between the database commit and the staging file's
 * removal, an import run again) changes nothing.
 */
import { realpathSync } from 'node:fs';
import { NOTHING_SEEN, PAUSE_BLINDS_MS, RECENT_WALKS, endOfList, judgeMissing, judgeNew, reachView, referenceShortfall, shortfall, unseenPlace, type ReachView, type WalkEnd } from '../diff/reach.js';
import { placesOf } from '../output/checkpoint.js';
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import type { SqlDriver, SqlRunner } from './sql-driver.js';

export interface FollowerRow {
  uid: string;
  uniqueId: string | null;
  nickname: string | null;
  /**
   * The export's columns (follower-columns.ts) as a JSON object's text, or its UTF-8 bytes (the
   * recording thread's placedRow): stored as the same text (storeFollowers).
   */
  data: string | Uint8Array;
  /**
   * `data` holds only some of the columns (an imported CSV written with --fields): merged into
   * what the database holds of the follower, whose other fields it keeps (storeFollowers).
   */
  partial?: boolean;
  /**
   * A hash of the API's bytes `data` was made from (page-recorder.ts sourceHash), kept in
   * followers.source_hash: a next walk whose bytes hash the same skips the row. Without one, a row
   * whose data changes leaves the column NULL (no hash describes it then).
   */
  sourceHash?: number;
}

export interface SnapshotInput {
  account: string;
  /** ISO 8601 UTC. */
  takenAt: string;
  /** How the walk ended: complete | cap | limit | update. */
  end: WalkEnd;
  onProfile: number | null;
  requests: number | null;
  /** The file (or staging file) it was read from. */
  source: string | null;
  /**
   * `takenAt` is the file's modification time (it has no manifest), not its walk's own time:
   * files copied together share it to the millisecond, so a snapshot at that time is this file's
   * only when it was read from this file (recordSnapshotIn).
   */
  datedByFile?: boolean;
  /** --update: the first `added` rows are the new followers; the rest are not looked at. */
  update?: { added: number };
  /** The walk's longest pause before a --resume went on with it (Checkpoint.pausedMs). */
  pausedMs?: number;
  /** Where the walk stepped past the rest of a tied second: between which of its followers (Checkpoint.incompleteAt). */
  holes?: ReadonlyArray<readonly [number, number]>;
}

export interface SnapshotOutcome {
  id: number;
  /** False when the snapshot was already there (recorded before), or is older than the account's latest: nothing changed. */
  recorded: boolean;
  /** Not recorded because the account has a later snapshot (history is recorded oldest first). */
  stale?: boolean;
  /** When stale: the time of the account's latest snapshot. */
  later?: string;
  /**
   * Not recorded: the account's snapshot at this time was read from another file or walk (its
   * `source`, or null when it has none), not this one (recordSnapshotIn).
   */
  clash?: { source: string | null };
  served: number;
  added: number;
  /** Never seen before, below where the latest walk ended: there all along, not come (not in `added`). */
  firstSeen?: number;
  removed: number;
  beyondReach: number;
  /** False for a snapshot that cannot see who left (an --update's, a walk gone on with after a pause): its `removed` is no count of leavers. */
  seesLosses?: boolean;
  /**
   * How the history took this walk's end (reach.ts endOfList, beside the account's recent walks):
   * 'early' for a list that ended further below the profile's count than they did (nobody below
   * it called gone). Only for a snapshot recorded now, not an --update's.
   */
  listEnd?: WalkEnd;
}

/** Rows of a multi-row statement: under SQLite's and PostgreSQL's parameter limits. */
export const BATCH = 400;

/** Rows of a statement that takes them as one JSON array (jsonRows). */
const JSON_ROWS = 20_000;

/** The elements of a JSON array given as the statement's next parameter, each as `value`. */
function jsonRows(tx: SqlRunner): string {
  return tx.dialect === 'postgres' ? 'json_array_elements(?::json)' : 'json_each(?)';
}

/**
 * The texts of a JSON array of strings given as the statement's next parameter, each as `value`,
 * with its index (from 0) as jsonIndexed says.
 */
function jsonElements(tx: SqlRunner): string {
  return tx.dialect === 'postgres' ? 'json_array_elements_text(?::json) WITH ORDINALITY' : 'json_each(?)';
}

function jsonIndexed(tx: SqlRunner): string {
  return tx.dialect === 'postgres' ? '(ordinality - 1)' : 'key';
}

interface Known {
  position: number | null;
  gone: boolean;
  /**
   * Beyond reach since before the latest walk: when a walk last placed it (its position is its
   * place in that walk's order). Undefined for a follower the latest walk placed (the latest
   * snapshot's, or, after --update snapshots, the walk they build on).
   */
  lastSeenBefore?: string;
  /** Its place in the older list the reach rule compares with (placeKnown); undefined: none. */
  place?: number;
  /**
   * Beyond reach, and the placing walk stepped past it in a tied second (account_followers.held_at):
   * its position is that walk's, and it stands just above it (placeKnown).
   */
  held?: boolean;
  /** Beyond reach, held by an earlier walk than the placing one: that walk's time (its position is that walk's: placeKnown). */
  heldAt?: string;
}

/**
 * An account's followers as its history knew them, read ahead of its snapshot's transaction (while
 * the walk's file is published: page-recorder.ts), with what they were read after: they are
 * used only if the account has had no snapshot since (only a snapshot changes
 * account_followers), else read again. 100,000 of them took 0.2-0.3 s of the last transaction.
 */
export interface KnownAhead {
  account: string;
  after: string;
  followers: Map<string, Known>;
}

export async function readKnownAhead(tx: SqlRunner, account: string): Promise<KnownAhead> {
  return { account, after: await snapshotsOf(tx, account), followers: await knownFollowers(tx, account) };
}

/** What says which snapshots an account has: their count and the latest one's id. */
async function snapshotsOf(tx: SqlRunner, account: string): Promise<string> {
  const [row] = await tx.all<{ n: number | string; last: number | string | null }>('SELECT count(*) AS n, max(id) AS last FROM snapshots WHERE account_uid = ?', [account]);
  return `${row?.n ?? 0}:${row?.last ?? ''}`;
}

/**
 * The rows of a snapshot (a file: each call starts a pass over it); read once, newest first. Or
 * only their uids in order, when the rows' fields are in `followers` already (written page by
 * page during the walk, page-recorder.ts).
 */
export type FollowerSource = (() => AsyncIterable<FollowerRow>) | readonly string[] | WalkOrder;

/**
 * A walk's uids as its pages come (page-recorder.ts), made ready for its snapshot meanwhile: each
 * uid once, in order, and, once the account's followers are read ahead (readKnownAhead), each
 * one's state in them. Done in the snapshot's transaction, after the walk's last page, that was
 * ~0.14 s of a 100,000-follower export's end (its code run once, cold); here it is spread over the
 * walk, a chunk at a time.
 */
export class WalkOrder {
  /** The uids in the walk's order, each once. */
  readonly uids: string[] = [];
  readonly seen = new Set<string>();
  /** Uids given, repeats included (what the file's manifest counts, when it repeats none). */
  given = 0;
  /** The account's followers read ahead (use), that `states` and `places` are of. */
  known: KnownAhead | undefined;
  private readonly states: Array<Known | undefined> = [];
  private readonly places: Array<number | undefined> = [];
  /** The followers read ahead that no uid given so far is: those the snapshot judges missing. */
  private unseen = new Map<string, Known>();

  add(uids: readonly string[]): void {
    this.given += uids.length;
    for (const uid of uids) {
      if (this.seen.has(uid)) continue;
      this.seen.add(uid);
      this.uids.push(uid);
    }
    if (this.known) this.lookUp(this.known.followers);
  }

  /** Each uid's state in the followers read ahead (those given so far, and then each as it comes). */
  use(known: KnownAhead): void {
    if (this.known !== known) {
      this.known = known;
      this.states.length = 0;
      this.places.length = 0;
      this.unseen = new Map(known.followers);
    }
    this.lookUp(known.followers);
  }

  /**
   * The followers of `known` that are none of the uids, in its order, when the uids were looked up
   * in it (statesIn): the snapshot's pass over who is missing then goes over them only, not
   * over every follower the account has (~20-40 ms of a 100,000-follower walk's end).
   */
  missingIn(known: ReadonlyMap<string, Known>): ReadonlyMap<string, Known> | undefined {
    return this.statesIn(known) && this.unseen;
  }

  /** The states and places of every uid, when they are of `known`. */
  statesIn(known: ReadonlyMap<string, Known>): { states: Array<Known | undefined>; places: Array<number | undefined> } | undefined {
    return this.known?.followers === known && this.states.length === this.uids.length ? { states: this.states, places: this.places } : undefined;
  }

  private lookUp(known: ReadonlyMap<string, Known>): void {
    const { uids, states, places, unseen } = this;
    for (let i = states.length; i < uids.length; i++) {
      const state = known.get(uids[i]!);
      states.push(state);
      places.push(state?.place);
      if (state !== undefined) unseen.delete(uids[i]!);
    }
  }
}

export async function recordSnapshot(
  driver: SqlDriver,
  input: SnapshotInput,
  rows: FollowerSource | AsyncIterable<FollowerRow>,
): Promise<SnapshotOutcome> {
  const source: FollowerSource = Symbol.asyncIterator in rows ? () => rows : rows;
  // One pass over the rows, inside the transaction: reading the file twice (once for the order
  // the reach rule needs, once for the data) cost as much again as the export (every line of a
  // JSONL file is parsed for its uid). A snapshot already recorded, or older than the latest,
  // is answered before a row is read.
  return driver.transaction(async (tx) => {
    // PostgreSQL: one recording at a time across processes (shards), so two transactions never
    // lock the followers they share in opposite orders. SQLite's BEGIN IMMEDIATE already does this.
    if (driver.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(16017)');
    return recordSnapshotIn(tx, input, source);
  });
}

/**
 * Whether the account's snapshot at the input's time is this walk's, recorded before (an import
 * run again, a crash before a staging file was emptied, a file exported with --db then imported):
 * read from the same file (`source`, an absolute path), or, for a file dated by its manifest (the
 * walk's own time, to the millisecond), read from a copy of it: the manifest's request count and
 * profile count, kept in the snapshot, are the same. A file without a manifest is dated by its
 * modification time, which files copied together (cp a.csv b.csv dir/) share, and day directories
 * of one name (exports/<date>/followers.csv) copied at once too: only its path is evidence, or
 * the same file reached through a link (both resolved). A moved one is refused (its message says
 * it may be that file). Not the same, the file was said "already recorded" (exit 0, never recorded).
 */
function sameWalk(held: { source: string | null; requests: number | string | null; on_profile: number | string | null }, input: SnapshotInput): boolean {
  if (held.source !== null && held.source === input.source) return true;
  if (input.datedByFile) return held.source !== null && input.source !== null && realPath(held.source) === realPath(input.source);
  const number = (value: number | string | null) => (value === null ? null : Number(value));
  return number(held.requests) === input.requests && number(held.on_profile) === input.onProfile;
}

/** A path with its links resolved; as it is where it cannot be (gone since it was recorded). */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * recordSnapshot inside a transaction the caller holds (SQLite: page-recorder.ts writes several
 * in one); `ahead`: the account's followers read before it (readKnownAhead).
 */
export async function recordSnapshotIn(tx: SqlRunner, input: SnapshotInput, source: FollowerSource, ahead?: KnownAhead): Promise<SnapshotOutcome> {
  const { account, takenAt: at } = input;
  const existing = await tx.all<{
    id: number | string;
    served: number;
    added: number;
    removed: number;
    beyond_reach: number;
    source: string | null;
    requests: number | string | null;
    on_profile: number | string | null;
  }>('SELECT id, served, added, removed, beyond_reach, source, requests, on_profile FROM snapshots WHERE account_uid = ? AND taken_at = ?', [account, at]);
  if (existing.length) {
    const s = existing[0]!;
    if (!sameWalk(s, input)) return { id: Number(s.id), recorded: false, clash: { source: s.source }, served: 0, added: 0, removed: 0, beyondReach: 0 };
    return { id: Number(s.id), recorded: false, served: s.served, added: s.added, removed: s.removed, beyondReach: s.beyond_reach };
  }
  // The account's latest snapshot: its time, and how its walk ended ('complete' saw every follower).
  const [latest] = await tx.all<{ last_snapshot_at: string; walk_end: string | null; served: number | null; on_profile: number | string | null; holes: string | null }>(
    `SELECT a.last_snapshot_at, s.walk_end, s.served, s.on_profile, s.holes FROM accounts a
     LEFT JOIN snapshots s ON s.account_uid = a.uid AND s.taken_at = a.last_snapshot_at WHERE a.uid = ?`,
    [account],
  );
  if (latest && latest.last_snapshot_at > at) {
    // The reach rule compares a snapshot with the one before it: an older one cannot be slid in.
    return { id: 0, recorded: false, stale: true, later: latest.last_snapshot_at, served: 0, added: 0, removed: 0, beyondReach: 0 };
  }
  // How far the account's recent walks to the end of its list fell short of its profile's count
  // (reach.ts endOfList): the end of a list that falls much further short than they did proves
  // nothing. (A walk cut by the reach falls short by the followers past it, not by banned ones.)
  const recent = await tx.all<{ served: number; on_profile: number | string | null }>(
    `SELECT served, on_profile FROM snapshots WHERE account_uid = ? AND walk_end = 'complete' ORDER BY taken_at DESC LIMIT ${RECENT_WALKS}`,
    [account],
  );
  const known = ahead?.account === account && ahead.after === (await snapshotsOf(tx, account)) ? ahead.followers : await knownFollowers(tx, account);
  await tx.run(
    `INSERT INTO accounts (uid, first_snapshot_at, last_snapshot_at) VALUES (?, ?, ?)
     ON CONFLICT (uid) DO UPDATE SET
       first_snapshot_at = CASE WHEN excluded.first_snapshot_at < accounts.first_snapshot_at THEN excluded.first_snapshot_at ELSE accounts.first_snapshot_at END,
       last_snapshot_at = CASE WHEN excluded.last_snapshot_at > accounts.last_snapshot_at THEN excluded.last_snapshot_at ELSE accounts.last_snapshot_at END`,
    [account, at, at],
  );
  const update = input.update !== undefined;
  const paused = !update && (input.pausedMs ?? 0) > PAUSE_BLINDS_MS;
  const [snapshot] = await tx.all<{ id: number | string }>(
    `INSERT INTO snapshots (account_uid, taken_at, walk_end, sees_losses, on_profile, served, requests, source, holes)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [account, at, update ? 'update' : String(input.end ?? 'unknown'), update || paused ? 0 : 1, input.onProfile, 0, input.requests, input.source, !update && input.holes?.length ? JSON.stringify(input.holes) : null],
  );
  const snapshotId = Number(snapshot!.id);

  // --update: the new followers go on top of the latest snapshot's order, as on top of the file.
  // An update that is the account's first snapshot (the first --db of a file kept by --update,
  // or such a file imported) has no order to go on top of: it takes the whole file, what is known
  // of the account's followers (still an update: it calls nobody gone, and the next full walk
  // judges them). Its new rows alone would record an account of 5,000 followers as one of 3.
  const limit = input.update && latest ? input.update.added : Infinity;

  // The rows: each follower's latest fields, in batches, and the order (uids only), kept for its
  // place in account_followers and for the reach rule.
  let order: string[] = [];
  let inThis = new Set<string>();
  if (source instanceof WalkOrder && source.uids.length <= limit) {
    order = source.uids;
    inThis = source.seen;
  } else if (typeof source !== 'function') {
    const uids = source instanceof WalkOrder ? source.uids : source;
    // Uids only (their fields are stored): no pass over an async iterator (100,000 of its steps
    // were ~0.1 s of a snapshot's last transaction).
    for (const uid of uids) {
      if (order.length >= limit) break;
      if (inThis.has(uid)) continue;
      inThis.add(uid);
      order.push(uid);
    }
  } else {
    let batch: FollowerRow[] = [];
    const flush = async () => {
      if (batch.length) await storeFollowers(tx, batch, at);
      batch = [];
    };
    for await (const row of source()) {
      if (order.length >= limit) break;
      if (inThis.has(row.uid)) continue; // an export never repeats a uid; a hand-made file might
      inThis.add(row.uid);
      batch.push(row);
      order.push(row.uid);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  }
  // --update: its rows go on top, in the order walked, with the followers the latest walk found
  // among them that it did not read again (the file held them, or it stepped past them in a tied
  // second) kept there; everyone else moves down below them.
  const onTop = update && latest && order.length > 0;
  const merged = onTop ? amongUpdate(order, known) : undefined;
  if (onTop) {
    await tx.run('UPDATE account_followers SET position = position + ? WHERE account_uid = ? AND position IS NOT NULL', [merged?.length ?? order.length, account]);
  }
  // Each follower's place in this snapshot: many rows to a statement, as one JSON array of uids
  // whose index is the place (six parameters a row bound one by one were half of the 100,000
  // rows' cost; [uid, place] pairs cost their building and two extractions a row).
  for (let from = 0; from < order.length; from += JSON_ROWS) {
    await tx.run(
      `INSERT INTO account_followers (account_uid, follower_uid, first_seen_at, last_seen_at, gone_at, position)
       SELECT ?, value, ?, ?, NULL, ${jsonIndexed(tx)} + ? FROM ${jsonElements(tx)} WHERE true
       ON CONFLICT (account_uid, follower_uid) DO UPDATE SET last_seen_at = excluded.last_seen_at, gone_at = NULL, position = excluded.position`,
      [account, at, at, from, JSON.stringify(order.slice(from, from + JSON_ROWS))],
    );
  }
  // (An upsert of rows that are there, as the order's: an UPDATE ... FROM json_each made SQLite
  // read the whole array for each of the account's rows, 25 s for an update over 100,000.)
  for (let from = 0; merged && from < merged.length; from += JSON_ROWS) {
    await tx.run(
      `INSERT INTO account_followers (account_uid, follower_uid, first_seen_at, last_seen_at, gone_at, position)
       SELECT ?, value, ?, ?, NULL, ${jsonIndexed(tx)} + ? FROM ${jsonElements(tx)} WHERE true
       ON CONFLICT (account_uid, follower_uid) DO UPDATE SET position = excluded.position`,
      [account, at, at, from, JSON.stringify(merged.slice(from, from + JSON_ROWS))],
    );
  }

  // Where each follower stood in the latest snapshot, for the reach rule. One lookup a follower
  // (two were ~0.1 s of 100,000).
  // (Looked up as the walk went on, when its order is a WalkOrder's that used them.)
  const prepared = source instanceof WalkOrder && order === source.uids ? source : undefined;
  const ready = prepared?.statesIn(known);
  const states: Array<Known | undefined> = ready?.states ?? new Array(order.length);
  const before: Array<number | undefined> = ready?.places ?? new Array(order.length);
  if (!ready) {
    for (let i = 0; i < order.length; i++) {
      const state = known.get(order[i]!);
      states[i] = state;
      before[i] = state?.place;
    }
  }
  // A list that fell much further short of the profile's count than the account's recent walks
  // proves nothing below its end (endOfList), as the walk this one is compared with (latestEnd)
  // proves nothing about who it did not reach.
  const profileCount = (value: number | string | null | undefined) => (value === null || value === undefined ? null : Number(value));
  const reference = referenceShortfall([input.end === 'complete' ? shortfall(order.length, input.onProfile) : undefined, ...recent.map((r) => shortfall(r.served, profileCount(r.on_profile)))]);
  const listEnd = update ? undefined : endOfList(input.end, order.length, input.onProfile, reference);
  // The older order's last place: the largest place a known follower holds (asked rarely: reachView).
  let lastKnown: number | undefined;
  const lastPlace = () => {
    if (lastKnown !== undefined) return lastKnown;
    lastKnown = -1;
    for (const state of known.values()) if (state.place !== undefined && state.place > lastKnown) lastKnown = state.place;
    return lastKnown;
  };
  const seen = update ? undefined : reachView(before, (position) => position, listEnd, input.holes, holesOf(latest), lastPlace);
  const latestEnd = latest && endOfList(latest.walk_end, latest.served, profileCount(latest.on_profile), reference);
  // A paused walk calls nobody gone (PAUSE_BLINDS_MS); who is new it still tells, as any walk: a
  // re-follow during the pause only takes a follower out of the walk, never puts one below it.
  // Where it stepped past a tied second it still holds those it did not read (as tkf diff keeps
  // the stretches for a paused <new>).
  const view = paused && seen ? { ...NOTHING_SEEN, ...(seen.unseen ? { unseen: seen.unseen, unseenAt: seen.unseenAt } : {}) } : seen;
  // Who came: never seen, or seen gone and back (a re-follow is `added`). One never seen who
  // stands below where the latest walk ended (by the reach rule) did not come: that walk did not
  // reach it (first seen; reach.ts judgeNew).
  const added: string[] = [];
  const firstSeen: string[] = [];
  for (let i = 0; i < order.length; i++) {
    const state = states[i];
    if (state?.gone === false) continue;
    if (state === undefined && seen && latest && judgeNew(i, seen, latestEnd) === 'first_seen') firstSeen.push(order[i]!);
    else added.push(order[i]!);
  }

  // Who left, by the reach rule, against the latest snapshot's order. `tail`: of those called
  // gone, how many only because the walk reached the end of the list (below every run it shares).
  const judge = (view: ReachView) => {
    const removed: string[] = [];
    const beyond: string[] = [];
    const cut = { ...view, sawWholeList: false };
    let tail = 0;
    // Of the tail, one the latest walk did not see either (beyond reach since an earlier one).
    let tailUnseenBefore = false;
    // Those where this walk stepped past the rest of a tied second, with the place they stand before.
    const held: Array<[string, number]> = [];
    const candidates = prepared?.missingIn(known) ?? known;
    for (const [uid, state] of candidates) {
      if (state.gone || inThis.has(uid)) continue;
      if (state.place === undefined) {
        // No place to judge it by (beyond reach as an earlier tkf recorded it: it took the
        // position away): a walk that saw the whole list and did not find it proves it gone; any
        // other leaves it as it was.
        if (view.sawWholeList) {
          removed.push(uid);
          tail++;
          tailUnseenBefore = true;
        }
        continue;
      }
      if (judgeMissing(state.place, view) === 'removed') {
        removed.push(uid);
        if (view.sawWholeList && judgeMissing(state.place, cut) !== 'removed') {
          tail++;
          if (state.lastSeenBefore !== undefined) tailUnseenBefore = true;
        }
      }
      // Beyond reach now; one already beyond reach before stays as it was (not counted again),
      // its place kept for the walks to come.
      else {
        if (state.lastSeenBefore === undefined) beyond.push(uid);
        const place = unseenPlace(state.place, view);
        if (place !== undefined) held.push([uid, place]);
      }
    }
    return { removed, beyond, tail, tailUnseenBefore, held };
  };
  let judged = view ? judge(view) : { removed: [] as string[], beyond: [] as string[], tail: 0, tailUnseenBefore: false, held: [] as Array<[string, number]> };
  // A list that ended within endOfList's slack of the walks compared, but short of them by as many
  // followers as (or more than) it calls gone at its end: nothing shows that those left rather than
  // that the list was cut (an API that drops its last page). Followers who really leave lower the
  // profile's count with the list, so they leave the shortfall as it was; a cut list raises it by
  // the followers it did not serve. So those at the end are beyond reach, the end 'early'. (A list
  // one page short of 2,000, its profile's count unchanged, called the 20 at its end gone.)
  // The shortfall it is measured against is that of the walk that last saw them: the latest walk
  // to the end, when it saw them all (a shortfall that rose earlier with nobody leaving, banned
  // accounts still counted, kept real departures beyond reach for the ten walks `reference` holds),
  // else the smallest of the recent walks' (a list cut two nights in a row). When the latest walk
  // was cut by the reach, its shortfall too, the smaller: it served its followers, and fell short
  // by those past the reach besides, never by fewer than the list (walks that reached 2,012 by the
  // reach, then a list that ended at 1,862, its profile's count up: 177 who follow were called
  // gone against an earlier list's end that had been cut deeper still).
  const lastWhole = recent[0] && shortfall(recent[0].served, profileCount(recent[0].on_profile));
  const lastCut = latest?.walk_end === 'cap' ? shortfall(latest.served, profileCount(latest.on_profile)) : undefined;
  const previous = lastWhole === undefined || lastCut === undefined ? (lastWhole ?? lastCut) : Math.min(lastWhole, lastCut);
  let end = listEnd;
  if (view?.sawWholeList && judged.tail > 0 && reference !== undefined) {
    const since = judged.tailUnseenBefore || previous === undefined ? reference : previous;
    const increase = (shortfall(order.length, input.onProfile) ?? 0) - since;
    if (increase >= judged.tail) {
      judged = judge({ ...view, sawWholeList: false });
      end = 'early';
    }
  }
  const { removed, beyond, held } = judged;
  for (const batch of batches(removed)) {
    await tx.run(
      `UPDATE account_followers SET gone_at = ?, position = NULL WHERE account_uid = ? AND follower_uid IN (${placeholders(batch.length, 1, '')})`,
      [at, account, ...batch],
    );
  }
  // Those this walk stepped past in a tied second stand where it stepped past it, among its
  // followers (placeKnown), not below them all where the walk that last saw them left them: the
  // next walk that finds the followers below the second then calls none of them gone for it.
  for (const batch of batches(held, JSON_ROWS)) {
    await tx.run(
      `INSERT INTO account_followers (account_uid, follower_uid, first_seen_at, last_seen_at, gone_at, position, held_at)
       SELECT ?, value->>0, ?, ?, NULL, CAST(value->>1 AS INTEGER), ? FROM ${jsonRows(tx)} WHERE true
       ON CONFLICT (account_uid, follower_uid) DO UPDATE SET position = excluded.position, held_at = excluded.held_at`,
      [account, at, at, at, JSON.stringify(batch)],
    );
  }
  // The other beyond reach keep their position and last_seen_at: their place in the last walk
  // that saw them, below this walk's for the next snapshot (placeKnown).
  // An account's first full snapshot is its baseline: everyone in it is `added` (its count says
  // so), but no change row is written for each (a third of its statements): they are the
  // account's followers first seen then, and `tkf history changes` lists them from there
  // (queries.ts). An update as the first snapshot keeps its rows (it is not the whole list).
  const baseline = !latest && !update;
  const changes = [
    ...(baseline ? [] : added).map((uid) => [uid, 'added']),
    ...firstSeen.map((uid) => [uid, 'first_seen']),
    ...removed.map((uid) => [uid, 'removed']),
    ...beyond.map((uid) => [uid, 'beyond_reach']),
  ];
  for (const batch of batches(changes, JSON_ROWS)) {
    await tx.run(
      `INSERT INTO changes (snapshot_id, account_uid, follower_uid, change, at) SELECT ?, ?, value->>0, value->>1, ? FROM ${jsonRows(tx)}`,
      [snapshotId, account, at, JSON.stringify(batch)],
    );
  }
  await tx.run('UPDATE snapshots SET served = ?, added = ?, removed = ?, beyond_reach = ? WHERE id = ?', [order.length, added.length, removed.length, beyond.length, snapshotId]);
  return { id: snapshotId, recorded: true, served: order.length, added: added.length, firstSeen: firstSeen.length, removed: removed.length, beyondReach: beyond.length, seesLosses: !(update || paused), ...(end ? { listEnd: end } : {}) };
}


/**
 * An --update's rows (`order`, newest first) with the followers the latest walk placed among
 * them and the update did not read (placeKnown's places: the file held them, so the update
 * skipped them, or it stepped past them in a tied second): each right after the follower it stood
 * after there, so that the next walk finds them where they are, not below every row of the update
 * (it called them gone, or wrongly placed). The anchors are the update's last rows, those the
 * latest walk found, in its order (not a re-follower moved up, nor any row above a new follower:
 * whoever followed since stands above the followers who were there).
 * Undefined when none stood among them.
 */
function amongUpdate(order: readonly string[], known: ReadonlyMap<string, Known>): string[] | undefined {
  const placeOf = (state: Known | undefined) => (state && !state.gone && (state.lastSeenBefore === undefined || state.held) ? state.place : undefined);
  // The rows below the night's new follows: the update's last rows, known to the latest walk, in
  // its order (those who followed or followed again since stand above them, by the time of it).
  const anchors: number[] = []; // indexes into `order`
  const anchorPlaces: number[] = []; // their places, ascending once reversed
  for (let i = order.length - 1; i >= 0; i--) {
    const place = placeOf(known.get(order[i]!));
    if (place === undefined || place >= (anchorPlaces[anchorPlaces.length - 1] ?? Infinity)) break;
    anchors.push(i);
    anchorPlaces.push(place);
  }
  if (anchors.length === 0) return undefined;
  anchors.reverse();
  anchorPlaces.reverse();
  const lowest = anchorPlaces[anchorPlaces.length - 1]!;
  const inUpdate = new Set(order);
  // Followers of the latest walk above its lowest anchor that the update did not read, by the
  // anchor they follow (-1: above the first).
  const after = new Map<number, Array<[string, number]>>();
  for (const [uid, state] of known) {
    const place = placeOf(state);
    if (place === undefined || place >= lowest || inUpdate.has(uid)) continue;
    let low = 0;
    let high = anchorPlaces.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (anchorPlaces[mid]! < place) low = mid + 1;
      else high = mid;
    }
    const anchor = low === 0 ? -1 : anchors[low - 1]!;
    const list = after.get(anchor) ?? [];
    list.push([uid, place]);
    after.set(anchor, list);
  }
  if (after.size === 0) return undefined;
  const merged: string[] = [];
  const put = (anchor: number) => {
    for (const [uid] of (after.get(anchor) ?? []).sort((a, b) => a[1] - b[1])) merged.push(uid);
  };
  for (let i = 0; i < order.length; i++) {
    if (i === anchors[0]) put(-1);
    merged.push(order[i]!);
    put(i);
  }
  return merged;
}

/**
 * The walk the latest snapshots place their followers by: the latest snapshot that is not an
 * update (an update puts its new followers on top of that walk's order), else the first.
 */
const PLACING_WALK = `COALESCE(
  (SELECT max(taken_at) FROM snapshots WHERE account_uid = ? AND walk_end <> 'update'),
  (SELECT min(taken_at) FROM snapshots WHERE account_uid = ?))`;

/** An account's rows of account_followers, beside the placing walk's time (`w.at`): its account is the third parameter. */
const KNOWN_FROM = `FROM account_followers, (SELECT ${PLACING_WALK} AS at) w WHERE account_uid = ?`;
const HELD = 'held:';
/**
 * A follower's last_seen_at when it is before the placing walk (beyond reach since then:
 * Known.lastSeenBefore), else NULL; `held:` before it when that walk stepped past it in a tied
 * second (held_at: Known.held), `held:<held_at>|` when an earlier walk did (Known.heldAt).
 */
const SEEN_BEFORE = `CASE WHEN last_seen_at < w.at THEN (CASE WHEN held_at = w.at THEN '${HELD}' || last_seen_at WHEN held_at > last_seen_at THEN '${HELD}' || held_at || '|' || last_seen_at ELSE last_seen_at END) END`;

/**
 * The account's followers as its history knows them, each with its place (placeKnown). SQLite
 * hands them over as one JSON array: 100,000 rows read one by one, each made an object, took
 * twice as long.
 */
async function knownFollowers(tx: SqlRunner, account: string): Promise<Map<string, Known>> {
  const known = new Map<string, Known>();
  if (tx.dialect === 'sqlite') {
    const [{ rows }] = (await tx.all<{ rows: string }>(
      `SELECT json_group_array(json_array(follower_uid, position, gone_at IS NOT NULL, ${SEEN_BEFORE})) AS rows ${KNOWN_FROM}`,
      [account, account, account],
    )) as [{ rows: string }];
    for (const [uid, position, gone, before] of JSON.parse(rows) as Array<[string, number | null, number, string | null]>) {
      known.set(uid, before === null ? { position, gone: gone === 1 } : beyondSince({ position, gone: gone === 1 }, before));
    }
  } else {
    for (const row of await tx.all<{ follower_uid: string; position: number | null; gone_at: string | null; before: string | null }>(
      `SELECT follower_uid, position, gone_at, ${SEEN_BEFORE} AS before ${KNOWN_FROM}`,
      [account, account, account],
    )) {
      const state: Known = { position: row.position === null ? null : Number(row.position), gone: row.gone_at !== null };
      known.set(row.follower_uid, row.before === null ? state : beyondSince(state, row.before));
    }
  }
  placeKnown(known);
  return known;
}

/** A follower beyond reach since before the placing walk (SEEN_BEFORE's text): when, and which walk held it in a tied second, if one did. */
function beyondSince(state: Known, before: string): Known {
  if (!before.startsWith(HELD)) return { ...state, lastSeenBefore: before };
  const [heldAt, last] = before.slice(HELD.length).split('|');
  return last === undefined ? { ...state, lastSeenBefore: heldAt!, held: true } : { ...state, lastSeenBefore: last, heldAt: heldAt! };
}

/**
 * Each follower's place in the older list the reach rule compares the new walk with: the latest
 * walk's followers at their positions (one it held in a tied second it stepped past just before
 * the position it was given, where the second's unread rest stands), then below them those
 * beyond reach since earlier walks, newest walk first, each in its walk's order. A follower beyond reach is still a follower, and
 * it still stands where the last walk that saw it found it, below everyone walked since (those
 * who followed after it, and whoever stood above it): so a later walk that finds its neighbours
 * from above and below, in order, without it proves it gone, as it would in the latest walk (a
 * deeper walk, or a reach that came back up as followers left). One a walk held in a tied second
 * stands with that walk's followers, where it held it. A follower neither placed nor gone (beyond
 * reach as recorded before places were kept) has none.
 */
function placeKnown(known: Map<string, Known>): void {
  let below = 0;
  const earlier: Array<Known & { lastSeenBefore: string; position: number }> = [];
  for (const state of known.values()) {
    if (state.gone || state.position === null) continue;
    if (state.lastSeenBefore === undefined || state.held) {
      state.place = state.held ? state.position - 0.5 : state.position;
      below = Math.max(below, state.position + 1);
    } else earlier.push(state as Known & { lastSeenBefore: string; position: number });
  }
  // One an earlier walk held stands in that walk's order, where it held it (its position is that walk's).
  const walk = (state: Known & { lastSeenBefore: string }) => state.heldAt ?? state.lastSeenBefore;
  const place = (state: Known & { position: number }) => (state.heldAt ? state.position - 0.5 : state.position);
  earlier.sort((a, b) => (walk(a) > walk(b) ? -1 : walk(a) < walk(b) ? 1 : place(a) - place(b)));
  earlier.forEach((state, k) => (state.place = below + k));
}

/**
 * Each follower's latest fields (rows of one statement: at most BATCH, all of them partial or
 * none). A row that did not change is left alone, its updated_at too: the statement then only
 * reads it. A partial row's columns replace those the database holds, and the others stay: an
 * import of a `--fields uid,nickname` CSV took every follower's region, counts and bio away, of
 * other accounts' followers too.
 */
export async function storeFollowers(tx: SqlRunner, given: readonly FollowerRow[], at: string): Promise<void> {
  if (!given.length) return;
  const rows = given[0]!.partial === true ? await mergedWithStored(tx, given) : given;
  // SQLite: the time is bound once, as ?1 (libsql's binding costs ~1 us a value, the most of
  // a row's cost after SQLite's own); PostgreSQL's driver numbers plain `?` in order.
  // A row's data given as UTF-8 bytes is bound as they are, and made TEXT by the statement
  // (numberedRows); PostgreSQL's driver is given the text.
  const sqlite = tx.dialect === 'sqlite';
  // Rows with their source's hash (a walk's pages, SQLite only) keep it: also where only the hash
  // changed (bytes of the same columns), updated_at then left as it was.
  const hashed = sqlite && rows.some((row) => row.sourceHash !== undefined);
  const params: unknown[] = sqlite ? [at] : [];
  for (const row of rows) {
    if (hashed) params.push(row.uid, row.uniqueId, row.nickname, row.data, row.sourceHash ?? null);
    else if (sqlite) params.push(row.uid, row.uniqueId, row.nickname, row.data);
    else params.push(row.uid, withoutNul(row.uniqueId), withoutNul(row.nickname), dataText(row), at);
  }
  if (hashed) {
    await tx.run(
      `INSERT INTO followers (uid, unique_id, nickname, data, updated_at, source_hash) VALUES ${numberedRows(rows.length, true)}
       ON CONFLICT (uid) DO UPDATE SET unique_id = excluded.unique_id, nickname = excluded.nickname, data = excluded.data,
         updated_at = CASE WHEN followers.data <> excluded.data THEN excluded.updated_at ELSE followers.updated_at END, source_hash = excluded.source_hash
       WHERE followers.data <> excluded.data OR followers.source_hash IS NOT excluded.source_hash`,
      params,
    );
    return;
  }
  await tx.run(
    `INSERT INTO followers (uid, unique_id, nickname, data, updated_at) VALUES ${sqlite ? numberedRows(rows.length, false) : placeholders(rows.length, 5)}
     ON CONFLICT (uid) DO UPDATE SET unique_id = excluded.unique_id, nickname = excluded.nickname, data = excluded.data, updated_at = excluded.updated_at, source_hash = NULL
     WHERE followers.data <> excluded.data`,
    params,
  );
}

/**
 * A handle or nickname as PostgreSQL's text can hold it: without U+0000, which it refuses
 * ("invalid byte sequence for encoding UTF8: 0x00"), so that one follower's nickname failed its
 * account's snapshot every night (exit 11) where SQLite recorded it. `data` keeps the character
 * (escaped in its JSON text); these columns are copies for queries.
 */
function withoutNul(text: string | null): string | null {
  return text !== null && text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}

/** A row's data as text (FollowerRow.data may be its UTF-8 bytes). */
function dataText(row: FollowerRow): string {
  return typeof row.data === 'string' ? row.data : Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength).toString('utf8');
}

/**
 * Partial rows as whole ones: each merged into what the database holds of the follower (its
 * columns over the stored ones, the others kept, handle and nickname where the file has no column
 * for them), in JavaScript rather than SQL: PostgreSQL's jsonb refuses the \u0000 that nicknames
 * hold and writes its own text (every row then differed from the stored one). Numbers keep their
 * digits (lossless-json: a 19-digit room_id).
 */
async function mergedWithStored(tx: SqlRunner, rows: readonly FollowerRow[]): Promise<FollowerRow[]> {
  const stored = new Map(
    (
      await tx.all<{ uid: string; unique_id: string | null; nickname: string | null; data: string }>(
        `SELECT uid, unique_id, nickname, data FROM followers WHERE uid IN (${placeholders(rows.length, 1, '')})`,
        rows.map((row) => row.uid),
      )
    ).map((row) => [row.uid, row]),
  );
  return rows.map((row) => {
    const before = stored.get(row.uid);
    const text = dataText(row);
    if (!before) return { uid: row.uid, uniqueId: row.uniqueId, nickname: row.nickname, data: text };
    const merged = { ...(parseLossless(before.data) as object), ...(parseLossless(text) as object) };
    return { uid: row.uid, uniqueId: row.uniqueId ?? before.unique_id, nickname: row.nickname ?? before.nickname, data: stringifyLossless(merged)! };
  });
}

/**
 * SQLite's `(?2, ?3, ?4, CAST(?5 AS TEXT), ?1), (?6, ...)` for storeFollowers: four values a row,
 * then the time (`hashed`: five, the source's hash after the time). The CAST makes bytes (a BLOB)
 * the TEXT of their UTF-8, and leaves a text as it is.
 */
function numberedRows(rows: number, hashed: boolean): string {
  const key = hashed ? -rows : rows;
  let text = numbered.get(key);
  if (text === undefined) {
    const width = hashed ? 5 : 4;
    text = Array.from({ length: rows }, (_, r) => {
      const p = 2 + width * r;
      return `(?${p}, ?${p + 1}, ?${p + 2}, CAST(?${p + 3} AS TEXT), ?1${hashed ? `, ?${p + 4}` : ''})`;
    }).join(', ');
    numbered.set(key, text);
  }
  return text;
}
const numbered = new Map<number, string>();

function* batches<T>(items: readonly T[], size = BATCH): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** `(?, ?), (?, ?)` for rows × columns; with `wrap` '' just `?, ?` (an IN list). */
function placeholders(rows: number, columns: number, wrap = '()'): string {
  const one = columns === 1 && wrap === '' ? '?' : `(${Array(columns).fill('?').join(', ')})`;
  return Array(rows).fill(one).join(', ');
}

/**
 * The latest snapshot's holes (snapshots.holes), in its order, which the account's positions are:
 * none for an update (its positions moved the walk's) or what cannot be read.
 */
function holesOf(latest: { walk_end: string | null; holes: string | null } | undefined): Array<[number, number]> {
  if (!latest?.holes || latest.walk_end === 'update') return [];
  try {
    return placesOf(JSON.parse(latest.holes)) ?? [];
  } catch {
    return []; // not tkf's: none
  }
}
