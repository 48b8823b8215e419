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
 * without --resume replaces a staging file (stagingReplaces), but never an interrupted walk's
 * checkpoint: that is exit 7, as for any --out, until --resume or --force says what to do.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { truncate } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { RawFollower } from '../api/types.js';
import { exists, outputPaths } from '../output/output-file.js';
import { isPostgresUrl } from './open-history.js';
import { NO_SPANS, type PageRows } from './page-recorder.js';
import { LocalHost, WorkerHost, type RecorderHost } from './recorder-hosts.js';
import { recordExportFile, type RecordedFile } from './record-export.js';
import type { SqlDriver } from './sql-driver.js';

export interface HistoryRecord {
  snapshot_at: string;
  added: number;
  removed: number;
  beyond_reach: number;
  /** False when this file had been recorded before (a resumed, already complete export). */
  recorded: boolean;
  /** The file was a staging file (--db without --out), removed once recorded. */
  staged: boolean;
}

/**
 * Records a published export file (`added`: --update's new rows); `walk` the feed its pages went
 * to, if any. `feed` opens one for a walk (SQLite: the pages are recorded as they arrive).
 */
export interface ExportRecorder {
  (file: string, added: number | undefined, walk?: WalkFeed): Promise<HistoryRecord>;
  feed?: () => WalkFeed;
  /** Waits for what is being written, and stops the worker. */
  close(): Promise<void>;
}

/** One walk's pages on their way to the database (page-recorder.ts). */
export interface WalkFeed {
  /** A page's followers as the walk wrote them to the file. */
  page(followers: readonly RawFollower[]): void;
  /** The walk resumed a file (or updates one): its pages are not the whole file, which will be read. */
  partial(): void;
  /** The walk failed: nothing of it will be recorded. */
  abandon(): void;
}

export interface RecorderOptions {
  /** --db without --out: the file is emptied once recorded. */
  staging: boolean;
  /**
   * SQLite: its path, and the compiled worker (record-worker.js) that records off the walks'
   * thread. Without a worker (running from the TypeScript sources, where there is no compiled
   * file to start) the same PageRecorder runs on the caller's thread.
   */
  sqlite?: { path: string; worker?: URL };
}

export function createExportRecorder(driver: SqlDriver, options: RecorderOptions): ExportRecorder {
  const finish = async (file: string, outcome: RecordedFile): Promise<HistoryRecord> => {
    // The staging file is emptied, not removed: with its manifest it says "this walk is recorded",
    // so `--resume` of a batch finds the account complete instead of paying for it again.
    if (options.staging) await truncate(file, 0);
    return { snapshot_at: outcome.takenAt, added: outcome.added, removed: outcome.removed, beyond_reach: outcome.beyondReach, recorded: outcome.recorded, staged: options.staging };
  };
  if (!options.sqlite) {
    const record = (async (file, added) => finish(file, await recordExportFile(driver, file, added === undefined ? {} : { added }))) as ExportRecorder;
    record.close = async () => {};
    return record;
  }
  const host: RecorderHost =
    options.sqlite.worker && existsSync(fileURLToPath(options.sqlite.worker)) ? new WorkerHost(options.sqlite.worker, options.sqlite.path) : new LocalHost(driver);
  let walks = 0;
  const feeds = new WeakMap<WalkFeed, { state: { walk: number; whole: boolean }; send: () => void }>();
  const record = (async (file, added, feed) => {
    const entry = feed && feeds.get(feed);
    entry?.send();
    return finish(file, await host.commit(entry?.state.whole ? entry.state.walk : undefined, file, added));
  }) as ExportRecorder;
  record.feed = () => {
    const state = { walk: ++walks, whole: true };
    // Pages go to the database ~256 KB at a time: a message a page cost the walks' thread more
    // (postMessage, 0.3 ms each) than the copy.
    let chunk: RawFollower[] = [];
    let bytes = 0;
    const send = () => {
      if (chunk.length && state.whole) host.page(state.walk, pageRows(chunk, bytes));
      chunk = [];
      bytes = 0;
    };
    const feed: WalkFeed = {
      page: (followers) => {
        if (!state.whole) return;
        for (const follower of followers) {
          chunk.push(follower);
          bytes += follower.bytes.length;
        }
        if (bytes >= CHUNK_BYTES) send();
      },
      partial: () => {
        if (state.whole) host.drop(state.walk);
        state.whole = false;
        chunk = [];
      },
      abandon: () => feed.partial(),
    };
    feeds.set(feed, { state, send });
    return feed;
  };
  record.close = () => host.close();
  return record;
}

/** Followers waiting for the database: past this many bytes of their JSON, they are sent. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Followers as one buffer (one copy, handed to the worker without another), and where the parse
 * found their values (RawFollower.spans), so that the recording thread does not look again.
 */
export function pageRows(followers: readonly RawFollower[], size: number): PageRows {
  const bytes = Buffer.allocUnsafeSlow(size);
  const ends: number[] = [];
  let at = 0;
  for (const f of followers) {
    f.bytes.copy(bytes, at);
    ends.push((at += f.bytes.length));
  }
  return { uids: followers.map((f) => f.uid), bytes, ends, spans: spansOf(followers) };
}

/** The followers' spans end to end, `width` numbers each; NO_SPANS first where a follower has none. */
function spansOf(followers: readonly RawFollower[]): PageRows['spans'] {
  const keys = followers.find((f) => f.spans)?.spans!.keys;
  if (!keys) return undefined;
  const width = keys.keys.length * 2;
  const values = new Int32Array(followers.length * width);
  followers.forEach((f, i) => {
    if (f.spans?.keys !== keys) {
      values[i * width] = NO_SPANS;
      return;
    }
    const from = f.spans.values;
    for (let j = 0, at = f.spanAt!; j < width; j++) values[i * width + j] = from[at + j]!;
  });
  return { keys: keys.keys, values };
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

/** Without --resume, a new walk may replace the account's staging file unless a walk was interrupted. */
export async function stagingReplaces(path: string): Promise<boolean> {
  return !(await exists(outputPaths(path).checkpoint));
}
