/**
 * Recording a walk as its pages arrive (`tkf export --db` into SQLite), so the database's work
 * overlaps the walk's wait on the network instead of following it (issue 16 point 8: reading the
 * finished file back and storing it took as long as the export again).
 *
 * Each page's followers are decoded (their export columns, follower-columns.ts) and their latest
 * fields written to `followers`, many pages to a transaction. That table says how each follower
 * was last seen, whoever's list it was in; it makes nobody a follower of anyone. What a snapshot
 * is (`snapshots`, `account_followers`, `changes`) is written only when the walk is complete and
 * its file published, in one transaction, from the uids kept in order here, exactly as
 * record-export.ts would from the file. So an interrupted walk (a budget, Ctrl-C, kill -9) is
 * still no snapshot and makes nobody gone.
 *
 * The file is read back instead whenever this walk's pages are not the whole file: a resumed walk
 * (its first pages were fetched by another run), `--update`, a page that could not be decoded or
 * stored, or a row count that differs from the manifest's.
 *
 * It runs in the worker thread of record-worker.ts (libsql is synchronous: on the walks' thread
 * every statement would stop every walk), or, where that worker is not built, on the caller's.
 */
import { spanKeys, type SpanKeys } from '../api/page-parser.js';
import type { RawFollower } from '../api/types.js';
import { DEFAULT_CSV_FIELDS, createDecoder } from '../writers/fields.js';
import { followerRow, placedRow } from './follower-columns.js';
import { describeExport, recordExportFile, type RecordedFile } from './record-export.js';
import { sourceHash, sourceSeed } from './row-source.js';
import { BATCH, WalkOrder, readKnownAhead, recordSnapshotIn, storeFollowers, type FollowerRow, type SnapshotInput, type SnapshotOutcome } from './record-snapshot.js';
import type { SqlDriver, SqlRunner } from './sql-driver.js';

/** Followers of a walk, in its order, as the walk wrote them (one page or several): their uids, and their JSON texts end to end in `bytes`. */
export interface PageRows {
  uids: string[];
  bytes: Uint8Array;
  /** Where each follower's text ends in `bytes` (the first starts at 0). */
  ends: number[];
  /**
   * Where the parse found the values of `keys` in each follower (page-parser.ts SpanKeys), keys x 2
   * numbers a follower, as RawFollower.spans has them; NO_SPANS first for a follower without.
   */
  spans?: { keys: readonly string[]; values: Int32Array };
}

/** The first of a follower's span numbers when the parse placed none of its values. */
export const NO_SPANS = -2;

/**
 * Rows waiting for a transaction: past this many, they are written at once. Each COMMIT writes
 * every B-tree page it touched to the WAL, and the uids are random, so a transaction of a few
 * thousand rows touches most of the uid index: fewer, larger ones write less.
 */
const PENDING_ROWS = 10_000;

/**
 * The export's columns of a follower's bytes. `hasLongNumbers: false`: none of these columns holds
 * a number longer than a double keeps (room_id is not one), so the values are JSON.parse's.
 */
const decodeColumns = createDecoder(DEFAULT_CSV_FIELDS);

interface Walk {
  /** Its uids so far, made ready for its snapshot as they come. */
  order: WalkOrder;
  /** A page could not be decoded or stored: the file will be read instead. */
  broken: boolean;
  /** The account's followers are to be read ahead of the snapshot (askAhead), into order.known. */
  aheadAsked?: boolean;
  /** Whose followers (page gives it). */
  account?: string;
  /**
   * Whether its rows' stored hashes are looked up (storedHashes): the account has a snapshot, so
   * most of its followers are likely stored as they come. Undefined until its first transaction.
   */
  lookUp?: boolean;
}

interface Commit {
  walk: number | undefined;
  file: string;
  added: number | undefined;
  resolve: (outcome: RecordedFile) => void;
  reject: (error: unknown) => void;
}

export class PageRecorder {
  private readonly walks = new Map<number, Walk>();
  /** Chunks waiting for a transaction, as they came (decoded only then: see page). */
  private pending: Array<{ walk: number; rows: PageRows }> = [];
  private pendingRows = 0;
  private commits: Commit[] = [];
  /** Walks over whose accounts' followers are to be read ahead of their snapshots (walked). */
  private ahead: Array<{ walk: number; account: string }> = [];
  private writing: Promise<void> = Promise.resolve();
  private scheduled = false;

  private spanTable: SpanKeys | undefined;
  /** sourceSeed of spanTable's keys, and of rows copied whole. */
  private spanSeed = 0;
  private readonly wholeSeed = sourceSeed(undefined);

  /**
   * Walks of fewer followers are not read ahead (page, walked): a transaction of its own, its
   * COMMIT, costs a small account more than it saves (the night's batch shares one transaction
   * among the accounts waiting, PageRecorder.commit).
   */
  private readonly aheadFrom: number;

  constructor(
    private readonly driver: SqlDriver,
    options: { aheadFrom?: number } = {},
  ) {
    this.aheadFrom = options.aheadFrom ?? PENDING_ROWS;
  }

  /** The span keys of these names: one table while they stay the same (the decoder maps a table once). */
  private spanKeys(keys: readonly string[]): SpanKeys {
    const table = this.spanTable;
    if (table && table.keys.length === keys.length && table.keys.every((key, k) => key === keys[k])) return table;
    this.spanSeed = sourceSeed(keys);
    return (this.spanTable = spanKeys(keys));
  }

  /**
   * A chunk of walk `walk`'s followers, in the walk's order: its uids are kept now, its rows
   * decoded only when a transaction stores them (write), a batch at a time. Decoded as they came,
   * 10,000 rows (~7 MB of objects and JSON texts) waited up to a second for their transaction,
   * outlived every scavenge and were copied into the old generation: ~0.7 s of this thread's
   * collections a 100k export. A chunk is ~600 bytes a follower (export-recorder.ts RowsChunk).
   *
   * Once the walk of `account` has aheadFrom followers, the account's followers (its history's
   * view, for the reach rule) are read with the rows' next transaction, while it walks on: read
   * once the walk was over (walked), 100,000 of them took ~0.18 s after its last page, which the
   * run's exit waited for. Read again by the snapshot if a snapshot of the account was recorded
   * meanwhile (KnownAhead.after).
   */
  page(walk: number, rows: PageRows, account?: string): void {
    let state = this.walks.get(walk);
    if (!state) this.walks.set(walk, (state = { order: new WalkOrder(), broken: false }));
    if (state.broken) return;
    if (account !== undefined) state.account = account;
    state.order.add(rows.uids);
    this.pending.push({ walk, rows });
    this.pendingRows += rows.uids.length;
    if (account !== undefined && state.order.given >= this.aheadFrom) this.askAhead(walk, state, account);
    if (this.pendingRows >= PENDING_ROWS) void this.flush();
  }

  /**
   * The rows of a chunk, decoded (throws if one cannot be: the walk's parser took it, so JSON.parse
   * should), each with its source's hash (row-source.ts). A row is skipped when the latest hash
   * known for its follower is its own: `kept`'s (the rows of this transaction, in order, the last
   * one a follower's), else `stored`'s (followers.source_hash, looked up for the chunk): what is
   * stored, or about to be, is then what the row would make.
   */
  private *decode(rows: PageRows, stored: ReadonlyMap<string, number> | undefined, kept: Map<string, number>): Generator<FollowerRow> {
    const text = Buffer.from(rows.bytes.buffer, rows.bytes.byteOffset, rows.bytes.byteLength);
    const spans = rows.spans && { keys: this.spanKeys(rows.spans.keys), values: rows.spans.values };
    const width = spans ? spans.keys.keys.length * 2 : 0;
    let start = 0;
    for (let i = 0; i < rows.uids.length; i++) {
      const uid = rows.uids[i]!;
      const end = rows.ends[i]!;
      const placed = spans !== undefined && spans.values[i * width] !== NO_SPANS;
      const hash = placed ? sourceHash(text, start, end, spans.values, i * width, width, this.spanSeed) : sourceHash(text, start, end, undefined, 0, 0, this.wholeSeed);
      if ((kept.get(uid) ?? stored?.get(uid)) === hash) {
        start = end;
        continue;
      }
      // Only the top-level values the columns are made from (writers/fields.ts createDecoder),
      // not the whole ~4.7 KB object: JSON.parse of every follower was a quarter of this thread.
      // Where the walk's parse placed them, the row's text is made of their bytes (placedRow).
      const raw: RawFollower = { uid, bytes: text.subarray(start, end), hasLongNumbers: false, spans: placed ? spans : undefined, spanAt: placed ? i * width : undefined };
      start = end;
      const row = placedRow(raw) ?? followerRow(uid, decodeColumns(raw) as Record<string, unknown>);
      // Kept once it is built: a row that cannot be is never stored, and must not make another
      // walk's same bytes look stored.
      kept.set(uid, hash);
      row.sourceHash = hash;
      yield row;
    }
  }

  /**
   * followers.source_hash of these followers, as this transaction sees the database (with what it
   * wrote itself): one statement a chunk (~480 followers). Only for a walk of an account that has a
   * snapshot (asked once a walk): a new account's followers are mostly not stored yet, and each
   * lookup that finds nothing would still cost its search.
   */
  private async storedHashes(tx: SqlRunner, state: Walk, uids: readonly string[]): Promise<Map<string, number> | undefined> {
    if (tx.dialect !== 'sqlite' || state.account === undefined) return undefined;
    state.lookUp ??= (await tx.all('SELECT 1 AS known FROM accounts WHERE uid = ?', [state.account])).length > 0;
    if (!state.lookUp) return undefined;
    // A join on the chunk's uids, not `uid IN (...)` (which SQLite first makes a list of): 116-127
    // against 173-245 ms for 100,000 followers in chunks of ~480.
    const [found] = await tx.all<{ uids: string; hashes: string }>(
      `SELECT json_group_array(f.uid) AS uids, json_group_array(f.source_hash) AS hashes
       FROM json_each(?) j JOIN followers f ON f.uid = j.value WHERE f.source_hash IS NOT NULL`,
      [JSON.stringify(uids)],
    );
    const hashes = JSON.parse(found?.hashes ?? '[]') as number[];
    const map = new Map<string, number>();
    (JSON.parse(found?.uids ?? '[]') as string[]).forEach((uid, i) => map.set(uid, hashes[i]!));
    return map;
  }

  /**
   * Stores the chunks' rows, BATCH to a statement, each batch made just before it is stored. A
   * chunk that cannot be decoded makes its walk's file the one read (its state broken); when that
   * walk is committed in this very transaction, the whole of it fails instead (write's fallback).
   * A row whose follower is stored as it would make it is skipped (decode): nothing of that is
   * kept past the transaction, which sees every other connection's writes and its own.
   */
  private async storeChunks(tx: SqlRunner, chunks: ReadonlyArray<{ walk: number; rows: PageRows }>, committed: ReadonlyMap<number, Walk>, at: string): Promise<void> {
    // A walk committed in this transaction is out of `walks` already: its rows are still its own.
    const stateOf = (walk: number) => this.walks.get(walk) ?? committed.get(walk);
    const kept = new Map<string, number>();
    let batch: FollowerRow[] = [];
    const store = async () => {
      await storeFollowers(tx, batch, at);
      batch = [];
    };
    for (const { walk, rows } of chunks) {
      const state = stateOf(walk);
      if (state?.broken) continue;
      const stored = state && (await this.storedHashes(tx, state, rows.uids));
      const decoded = this.decode(rows, stored, kept);
      for (;;) {
        // Only the decoding is answered here: a statement that fails fails the transaction.
        let next: IteratorResult<FollowerRow>;
        try {
          next = decoded.next();
        } catch (error) {
          if (committed.has(walk) || !state) throw error;
          state.broken = true;
          break;
        }
        if (next.done) break;
        batch.push(next.value);
        if (batch.length >= BATCH) await store();
      }
    }
    await store();
  }

  /**
   * Walk `walk` of `account` is over, every page sent, and its file is being published (closed,
   * synced, renamed): meanwhile its rows waiting are stored and the account's followers read
   * (unless page asked for them already), so that its snapshot's transaction, which must wait for
   * the file, has less to do.
   */
  walked(walk: number, account: string): void {
    const state = this.walks.get(walk);
    if (!state || state.broken || state.order.given < this.aheadFrom) return;
    this.askAhead(walk, state, account);
    void this.flush();
  }

  /** The account's followers are read with the next transaction, once a walk. */
  private askAhead(walk: number, state: Walk, account: string): void {
    if (state.aheadAsked) return;
    state.aheadAsked = true;
    this.ahead.push({ walk, account });
  }

  /** Forgets a walk that will not be recorded from its pages (it failed, or is an update). */
  drop(walk: number): void {
    this.walks.delete(walk);
    this.pending = this.pending.filter((p) => p.walk !== walk);
    this.pendingRows = this.pending.reduce((n, p) => n + p.rows.uids.length, 0);
  }

  /**
   * The walk is complete and its file published: its snapshot, from the pages when they are the
   * whole file, else from the file. `walk` undefined: no pages were given (read the file).
   * Snapshots asked for while the database is busy are written together, in one transaction with
   * the rows waiting: on a batch of small accounts the COMMIT (the WAL receiving every B-tree
   * page touched) was most of the cost, twice an account.
   */
  commit(walk: number | undefined, file: string, added: number | undefined): Promise<RecordedFile> {
    return new Promise((resolve, reject) => {
      this.commits.push({ walk, file, added, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.flush();
        });
      }
    });
  }

  /** Writes the rows and snapshots waiting. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.driver.close();
  }

  private async write(): Promise<void> {
    // A walk made broken by an earlier transaction (its file will be read) has nothing left here:
    // its chunks sent meanwhile, and a read ahead for it, would each have opened a transaction of
    // their own to store nothing, and each waited busy_timeout (30 s) again for a database another
    // process holds (a 40,000-follower walk waited 150 s to say "database is locked").
    const live = (walk: number) => !this.walks.get(walk)?.broken;
    const chunks = this.pending.filter((chunk) => live(chunk.walk));
    const commits = this.commits;
    const ahead = this.ahead.filter((asked) => live(asked.walk));
    this.pending = [];
    this.pendingRows = 0;
    this.commits = [];
    this.ahead = [];
    if (!chunks.length && !commits.length && !ahead.length) return;
    const fromPages: Array<{ commit: Commit; input: SnapshotInput; order: WalkOrder; state: Walk }> = [];
    const fromFiles: Commit[] = [];
    for (const commit of commits) {
      const state = commit.walk === undefined ? undefined : this.walks.get(commit.walk);
      if (commit.walk !== undefined) this.walks.delete(commit.walk);
      if (state && !state.broken && commit.added === undefined) {
        try {
          const { input, rows: count } = await describeExport(commit.file);
          if (count === state.order.given) {
            fromPages.push({ commit, input, order: state.order, state });
            continue;
          }
        } catch (error) {
          commit.reject(error);
          continue;
        }
      }
      fromFiles.push(commit);
    }
    const at = new Date().toISOString();
    // Only snapshots to be read from their files (recordExportFile, a transaction each): no other.
    if (!chunks.length && !fromPages.length && !ahead.length) return this.fromFiles(fromFiles);
    try {
      const committed = new Map(fromPages.map(({ commit, state }) => [commit.walk!, state]));
      const outcomes = await this.driver.transaction(async (tx) => {
        await this.storeChunks(tx, chunks, committed, at);
        const done: SnapshotOutcome[] = [];
        for (const { input, order } of fromPages) done.push(await recordSnapshotIn(tx, input, order, order.known));
        // Walks committed above are no longer in `walks`: only those still waiting for their file.
        // A read that fails is only not ahead: the snapshot reads them itself, and says its error.
        for (const { walk, account } of ahead) {
          const state = this.walks.get(walk);
          if (!state || state.broken) continue;
          const known = await readKnownAhead(tx, account).catch(() => undefined);
          if (known) state.order.use(known);
        }
        return done;
      });
      fromPages.forEach(({ commit, input }, i) => commit.resolve({ ...outcomes[i]!, account: input.account, takenAt: input.takenAt, file: commit.file }));
    } catch {
      // Nothing of it was written. The walks still walking will be read from their files; the
      // snapshots asked for are, one by one, so that an error is the file's own.
      for (const { walk } of chunks) {
        const state = this.walks.get(walk);
        if (state) state.broken = true;
      }
      fromFiles.unshift(...fromPages.map(({ commit }) => commit));
    }
    await this.fromFiles(fromFiles);
  }

  /** Snapshots recorded from their files, one by one, so that an error is the file's own. */
  private async fromFiles(commits: readonly Commit[]): Promise<void> {
    for (const commit of commits) {
      await recordExportFile(this.driver, commit.file, commit.added === undefined ? {} : { added: commit.added }).then(commit.resolve, commit.reject);
    }
  }
}
