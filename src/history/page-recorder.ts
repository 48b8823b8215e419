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
import { followerRow } from './follower-columns.js';
import { describeExport, recordExportFile, type RecordedFile } from './record-export.js';
import { BATCH, recordSnapshot, storeFollowers, type FollowerRow } from './record-snapshot.js';
import type { SqlDriver } from './sql-driver.js';

/** One page's followers as the walk wrote them: their uids, and their JSON texts end to end in `bytes`. */
export interface PageRows {
  uids: string[];
  bytes: Uint8Array;
  /** Where each follower's text ends in `bytes` (the first starts at 0). */
  ends: number[];
}

/** Rows waiting for a transaction: past this many, they are written at once. */
const PENDING_ROWS = 2_000;

interface Walk {
  order: string[];
  /** A page could not be decoded or stored: the file will be read instead. */
  broken: boolean;
}

export class PageRecorder {
  private readonly walks = new Map<number, Walk>();
  private pending: Array<{ walk: number; row: FollowerRow }> = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly driver: SqlDriver) {}

  /** A page of walk `walk`, in the walk's order. Decoded now; stored with others (see flush). */
  page(walk: number, rows: PageRows): void {
    let state = this.walks.get(walk);
    if (!state) this.walks.set(walk, (state = { order: [], broken: false }));
    if (state.broken) return;
    const text = Buffer.from(rows.bytes.buffer, rows.bytes.byteOffset, rows.bytes.byteLength);
    let start = 0;
    try {
      rows.uids.forEach((uid, i) => {
        const end = rows.ends[i]!;
        const follower = JSON.parse(text.toString('utf8', start, end)) as Record<string, unknown>;
        start = end;
        this.pending.push({ walk, row: followerRow(uid, follower) });
        state.order.push(uid);
      });
    } catch {
      // The walk's parser took it, so JSON.parse should too; if not, the file's reader decides.
      state.broken = true;
    }
    if (this.pending.length >= PENDING_ROWS) void this.flush();
  }

  /** Forgets a walk that will not be recorded from its pages (it failed, or is an update). */
  drop(walk: number): void {
    this.walks.delete(walk);
    this.pending = this.pending.filter((p) => p.walk !== walk);
  }

  /** Writes the rows waiting, in one transaction. A failure marks their walks broken (the file is read instead). */
  flush(): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    if (!rows.length) return this.writing;
    this.writing = this.writing.then(async () => {
      const at = new Date().toISOString();
      try {
        await this.driver.transaction(async (tx) => {
          for (let i = 0; i < rows.length; i += BATCH) await storeFollowers(tx, rows.slice(i, i + BATCH).map((p) => p.row), at);
        });
      } catch {
        for (const { walk } of rows) {
          const state = this.walks.get(walk);
          if (state) state.broken = true;
        }
      }
    });
    return this.writing;
  }

  /**
   * The walk is complete and its file published: its snapshot, from the pages when they are the
   * whole file, else from the file. `walk` undefined: no pages were given (read the file).
   */
  async commit(walk: number | undefined, file: string, added: number | undefined): Promise<RecordedFile> {
    const state = walk === undefined ? undefined : this.walks.get(walk);
    if (walk !== undefined) {
      await this.flush();
      this.walks.delete(walk);
    }
    if (state && !state.broken && added === undefined) {
      const { input, rows } = await describeExport(file);
      if (rows === state.order.length) {
        const order = state.order;
        const outcome = await recordSnapshot(this.driver, { ...input, fieldsStored: true }, async function* () {
          for (const uid of order) yield { uid, uniqueId: null, nickname: null, data: '' };
        });
        return { ...outcome, account: input.account, takenAt: input.takenAt, file };
      }
    }
    return recordExportFile(this.driver, file, added === undefined ? {} : { added });
  }

  async close(): Promise<void> {
    await this.writing;
    await this.driver.close();
  }
}
