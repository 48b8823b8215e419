/**
 * What `tkf export --db` does after each account's export completes: record the published file
 * as a snapshot (record-export.ts), then, when the file was only a staging file (--db without
 * --out), remove it. The CLI opens the database and hands this in; the engine never sees it.
 *
 * Into SQLite, the CLI also hands each page the walk wrote to a feed (`recorder.feed()`), which
 * passes the rows to a PageRecorder in a worker thread (recorder-hosts.ts): the followers' fields
 * are stored while the walk goes on, and at the end the snapshot is made from the uids it saw,
 * without reading the file back (page-recorder.ts says when it still is).
 *
 * Staging: with --db and no --out, each account's walk goes to `<staging>/<uid>.jsonl` through
 * the usual file transaction, so an interrupted walk keeps its checkpoint and `--resume` goes on
 * from it; the file is emptied once its snapshot is committed (its manifest stays, a few hundred
 * bytes: `--resume` then knows the account is done). A crash between the two leaves a complete
 * staging file: `--resume` records it (a snapshot is recorded once) and empties it. The next run
 * without --resume goes on with an interrupted walk of the same options (its pages were paid for),
 * and otherwise starts a new walk that replaces the staging file (ExportFile's 'go-on'): a nightly
 * `--db` run neither stops at what the night before left nor records nothing. With --resume, an
 * account whose last walk is complete and recorded is skipped (finishing an interrupted batch).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { mkdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { HistoryDbError } from '../errors.js';
import type { RawFollower, SpanKeys } from '../api/types.js';
import { placedKeys } from './follower-columns.js';
import { isPostgresUrl } from './open-history.js';
import { NO_SPANS, type PageRows } from './page-recorder.js';
import { LocalHost, WorkerHost, type RecorderHost } from './recorder-hosts.js';
import { recordExportFile, type RecordedFile } from './record-export.js';
import type { SqlDriver } from './sql-driver.js';

export interface HistoryRecord {
  snapshot_at: string;
  added: number;
  /** Never seen before, below where the walk before ended: there all along, not in `added`. */
  first_seen: number;
  removed: number;
  beyond_reach: number;
  /** False when this file had been recorded before (a resumed, already complete export). */
  recorded: boolean;
  /** The file was a staging file (--db without --out), removed once recorded. */
  staged: boolean;
  /** How the history took the walk's end (SnapshotOutcome.listEnd): 'early' calls nobody below it gone. */
  list_end?: string;
}

/**
 * Records a published export file (`added`: --update's new rows); `walk` the feed its pages went
 * to, if any. `feed` opens one for a walk of `account` (SQLite: the pages are recorded as they
 * arrive).
 */
export interface ExportRecorder {
  (file: string, added: number | undefined, walk?: WalkFeed): Promise<HistoryRecord>;
  feed?: (account: string) => WalkFeed;
  /**
   * Settled once the recording thread runs (SQLite): the caller starts its walks after it, so
   * that the thread has set V8's flags again (record-thread.ts) before the
   * walks allocate.
   */
  ready?: Promise<void>;
  /** Waits for what is being written, and stops the worker. */
  close(): Promise<void>;
}

/** One walk's pages on their way to the database (page-recorder.ts). */
export interface WalkFeed {
  /** A page's followers as the walk wrote them to the file. */
  page(followers: readonly RawFollower[]): void;
  /** The walk of `account` is over, every page given: its file is being published. */
  walked(account: string): void;
  /** The walk resumed a file (or updates one): its pages are not the whole file, which will be read. */
  partial(): void;
  /** The walk failed: nothing of it will be recorded. */
  abandon(): void;
}

export interface RecorderOptions {
  /** --db without --out: the file is emptied once recorded. */
  staging: boolean;
  /**
   * SQLite: its path, and the compiled worker (record-thread.js) that records off the walks'
   * thread. Without a worker (running from the TypeScript sources, where there is no compiled
   * file to start) the same PageRecorder runs on the caller's thread. `v8Flags`: what the thread
   * sets first (record-thread.ts).
   */
  sqlite?: { path: string; worker?: URL; v8Flags?: readonly string[] };
}

export function createExportRecorder(driver: SqlDriver, options: RecorderOptions): ExportRecorder {
  const finish = async (file: string, outcome: RecordedFile): Promise<HistoryRecord> => {
    // A walk older than the account's latest snapshot cannot be placed before it (the reach rule
    // compares each snapshot with the one before): not recorded, and said, not an exit 0 that a
    // night's cron would take for a recorded snapshot (a clock behind, files imported from later).
    // The file stays, staged or not: nothing of the walk is lost.
    if (outcome.stale) {
      throw new HistoryDbError(
        `not recorded in the history database ${driver.label}: it holds a later snapshot of ${outcome.account} (${outcome.later}) than this walk (${outcome.takenAt}), and snapshots are recorded oldest first (another run recorded a later walk, or this machine's clock is behind); the export is complete: ${file}`,
        { ruledOut: true },
      );
    }
    // Another file's snapshot at this walk's very time (one imported without a manifest, dated by
    // its modification time): this walk is not in the database, so it is not said recorded.
    if (outcome.clash) {
      throw new HistoryDbError(
        `not recorded in the history database ${driver.label}: it holds another snapshot of ${outcome.account} at this walk's time (${outcome.takenAt}), read from ${outcome.clash.source ?? 'a file not named'}; the export is complete: ${file}`,
        { ruledOut: true },
      );
    }
    // The staging file is emptied, not removed: with its manifest it says "this walk is recorded",
    // so `--resume` of a batch finds the account complete instead of paying for it again.
    if (options.staging) await truncate(file, 0);
    return {
      snapshot_at: outcome.takenAt,
      added: outcome.added,
      first_seen: outcome.firstSeen ?? 0,
      removed: outcome.removed,
      beyond_reach: outcome.beyondReach,
      recorded: outcome.recorded,
      staged: options.staging,
      ...(typeof outcome.listEnd === 'string' ? { list_end: outcome.listEnd } : {}),
    };
  };
  // The walk was paid for and its file published: a database that fails now (a full disk, a
  // server gone) says where the walk is, and how it can still become a snapshot.
  const said = async (file: string, recording: Promise<RecordedFile>): Promise<HistoryRecord> => {
    let outcome: RecordedFile;
    try {
      outcome = await recording;
    } catch (error) {
      if (!(error instanceof HistoryDbError) || error.advised) throw error;
      // A staging file is tkf's own: the next run without --resume replaces it with a new walk.
      const later = options.staging
        ? 'the same command with --resume records it once the database can be written; without --resume the next run walks again'
        : '`tkf history import` records it once the database can be written';
      throw new HistoryDbError(`${error.message}; the export is complete: ${file} (${later})`, { cause: error });
    }
    return finish(file, outcome);
  };
  if (!options.sqlite) {
    const record = (async (file, added) => said(file, recordExportFile(driver, file, added === undefined ? {} : { added }))) as ExportRecorder;
    record.close = async () => {};
    return record;
  }
  const host: RecorderHost =
    options.sqlite.worker && existsSync(fileURLToPath(options.sqlite.worker)) ? new WorkerHost(options.sqlite.worker, options.sqlite.path, options.sqlite.v8Flags) : new LocalHost(driver);
  let walks = 0;
  const feeds = new WeakMap<WalkFeed, { state: { walk: number; whole: boolean }; send: () => void }>();
  const record = (async (file, added, feed) => {
    const entry = feed && feeds.get(feed);
    entry?.send();
    return said(file, host.commit(entry?.state.whole ? entry.state.walk : undefined, file, added));
  }) as ExportRecorder;
  record.feed = (account) => {
    const state = { walk: ++walks, whole: true };
    // A page's followers are copied into the chunk as they come (only the values the database
    // keeps, RowsChunk), so the chunk holds no page body; sent ~256 KB at a time: a message a page
    // cost the walks' thread more (postMessage, 0.3 ms each) than the copy.
    let chunk = new RowsChunk();
    const send = () => {
      if (chunk.count && state.whole) host.page(state.walk, chunk.rows(), account);
      chunk = new RowsChunk();
    };
    const feed: WalkFeed = {
      page: (followers) => {
        if (!state.whole) return;
        for (const follower of followers) chunk.add(follower);
        if (chunk.length >= CHUNK_BYTES) send();
      },
      walked: (account) => {
        if (!state.whole) return;
        send();
        host.walked(state.walk, account);
      },
      partial: () => {
        if (state.whole) host.drop(state.walk);
        state.whole = false;
        chunk = new RowsChunk();
      },
      abandon: () => feed.partial(),
    };
    feeds.set(feed, { state, send });
    return feed;
  };
  record.ready = host.online ?? Promise.resolve();
  record.close = () => host.close();
  return record;
}

/** Followers waiting for the database: past this many bytes of them in a chunk, they are sent. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Followers of one walk on their way to the recording thread, as PageRows. Where the walk's parse
 * placed the values the database keeps (RawFollower.spans), a follower's text here is only those
 * values, end to end, and its spans point into them: all that placedRow (follower-columns.ts)
 * reads. ~600 of a follower's ~4.7 KB: the whole objects were 470 MB a 100,000-follower export,
 * copied, handed over and freed by both threads. A follower without such places is copied whole, NO_SPANS first in its spans, and decoded there.
 */
export class RowsChunk {
  readonly uids: string[] = [];
  readonly ends: number[] = [];
  /** Bytes used in `bytes`. */
  length = 0;
  /** Allocated at the first follower: a chunk is made anew after each send, often to stay empty (a walk's end). */
  private bytes: Buffer | undefined;
  /** The span keys of this chunk's followers (the first placed follower's table), and their places. */
  private keys: SpanKeys | undefined;
  private kept: Int32Array | undefined;
  private width = 0;
  private values = new Int32Array(0);

  get count(): number {
    return this.uids.length;
  }

  add(follower: RawFollower): void {
    const spans = follower.spans;
    if (spans !== undefined && this.keys === undefined) this.useKeys(spans.keys);
    const row = this.count * this.width;
    if (this.width > 0 && this.values.length < row + this.width) this.growValues(row + this.width);
    const kept = this.kept;
    if (spans === undefined || spans.keys !== this.keys || kept === undefined) {
      this.copy(follower.bytes, 0, follower.bytes.length);
      if (this.width > 0) this.values[row] = NO_SPANS;
    } else {
      const values = this.values;
      values.fill(-1, row, row + this.width);
      const from = spans.values;
      const at = follower.spanAt!;
      const segment = this.length;
      for (let i = 0; i < kept.length; i++) {
        const k = kept[i]!;
        const start = from[at + 2 * k]!;
        if (start === -1) continue;
        const end = from[at + 2 * k + 1]!;
        values[row + 2 * k] = this.length - segment;
        this.copy(follower.bytes, start, end);
        values[row + 2 * k + 1] = this.length - segment;
      }
    }
    this.uids.push(follower.uid);
    this.ends.push(this.length);
  }

  /** The chunk as PageRows: its buffers are handed over (transferred) as they are. */
  rows(): PageRows {
    return {
      uids: this.uids,
      bytes: (this.bytes ?? Buffer.alloc(0)).subarray(0, this.length),
      ends: this.ends,
      spans: this.keys && { keys: this.keys.keys, values: this.values.subarray(0, this.count * this.width) },
    };
  }

  /** The first follower with places: the chunk's spans are of its table (when it has the kept keys). */
  private useKeys(keys: SpanKeys): void {
    this.kept = placedKeys(keys);
    if (this.kept === undefined) return;
    this.keys = keys;
    this.width = keys.keys.length * 2;
    // The followers before it had none.
    this.growValues((this.count + 1) * this.width);
    for (let r = 0; r < this.count; r++) this.values[r * this.width] = NO_SPANS;
  }

  private growValues(needed: number): void {
    const grown = new Int32Array(Math.max(needed, 2 * this.values.length, 64 * this.width));
    grown.set(this.values);
    this.values = grown;
  }

  private copy(from: Buffer, start: number, end: number): void {
    const size = end - start;
    this.bytes ??= Buffer.allocUnsafeSlow(CHUNK_BYTES + 16 * 1024);
    if (this.bytes.length - this.length < size) {
      const grown = Buffer.allocUnsafeSlow(2 * (this.length + size));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    const to = this.bytes;
    if (size > 48) {
      from.copy(to, this.length, start, end);
    } else {
      for (let i = start, j = this.length; i < end; i++, j++) to[j] = from[i]!;
    }
    this.length += size;
  }
}

/**
 * Where --db without --out stages each walk: beside a SQLite file (`history.sqlite.staging/`),
 * or for PostgreSQL under $XDG_STATE_HOME/tkf/staging (else ~/.local/state/tkf/staging), in a
 * directory named after the server and database (never the password).
 */
export function stagingTemplate(db: string, env: NodeJS.ProcessEnv): string {
  if (!isPostgresUrl(db)) return `${db}.staging/{uid}.jsonl`;
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  let name = 'postgres';
  try {
    const url = new URL(db);
    name = `${url.hostname}_${url.port || '5432'}_${url.pathname.replace(/^\//, '') || 'postgres'}`;
  } catch {
    // an unparsable URL fails at connect, with pg's own words
  }
  return join(state, 'tkf', 'staging', name.replace(/[^\w.-]/g, '_'), '{uid}.jsonl');
}

/**
 * Where a staged run (--db without --out) of these uids notes when it started, beside its staging
 * files (`run-<hash of the uids>.json`, one per list of accounts: two nightly lists into one
 * database keep theirs apart). A run without --resume writes it; --resume reads it, so that an
 * account whose staged walk completed before the run it finishes began (last night's, recorded
 * then) is walked now, as that run would have, instead of being "complete and recorded: nothing
 * to resume" (a budget spent half-way left the accounts it had not started without tonight's
 * snapshot, the resume reporting every account complete).
 */
export function stagedRunMarker(template: string, uids: readonly string[]): string {
  const hash = createHash('sha256').update(uids.join('\n')).digest('hex').slice(0, 16);
  return join(dirname(template), `run-${hash}.json`);
}

/** Notes the run's start (ISO 8601 UTC) at `marker`; a failure only loses the note (the staging files say theirs). */
export async function noteStagedRun(marker: string, startedAt: string): Promise<void> {
  const temporary = `${marker}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(marker), { recursive: true });
    await writeFile(temporary, `${JSON.stringify({ started: startedAt })}\n`);
    await rename(temporary, marker);
  } catch {
    await rm(temporary, { force: true }).catch(() => {});
  }
}

/** When the staged run of this marker began, if it noted it (and the note is readable). */
export async function stagedRunStart(marker: string): Promise<string | undefined> {
  try {
    const { started } = JSON.parse(await readFile(marker, 'utf8')) as { started?: unknown };
    return typeof started === 'string' && !Number.isNaN(Date.parse(started)) ? started : undefined;
  } catch {
    return undefined;
  }
}
