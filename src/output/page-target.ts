/**
 * Where the pages of one export go: a file (ExportFile: the transaction) or a stream (stdout).
 * runExport sees only this surface: where the walk starts, write a page, commit, abort.
 */
import type { Writable } from 'node:stream';
import { pipeError } from './fs-errors.js';
import type { RawFollower } from '../api/types.js';
import { RecordWriter, type EncoderOptions, type FormatDefinition } from '../writers/index.js';
import type { Reentry } from './checkpoint.js';
import type { CaughtUpFacts } from './update-base.js';

/** Why a walk ended: the list's end, the depth cap, --limit, or --update caught up with the file. */
export type EndReason = 'complete' | 'cap' | 'limit' | 'caught-up';

/** What the output keeps of a page of the walk (export/page.ts's Page has these and more). */
export interface PageToWrite {
  /** Followers new to the output, in the API's order. */
  followers: RawFollower[];
  /** The cursor to send next, or null on the last page. */
  next: number | null;
  duplicates: number;
  total: number | undefined;
  end?: EndReason;
  tiedSecond?: number;
  reenter?: Reentry;
  short?: { rows: number; expected: number };
  /** data.max_time and data.min_time: the follow times an update's manifest keeps the newest of. */
  maxTime?: number;
  minTime?: number;
  /** Followers on the page that an update skipped: already in the file. */
  known?: number;
}

/**
 * What the walk continues from: a cursor and the uids already written, or where to stop. The
 * walk builds its own de-duplication from `seenUids` (the output only says what it holds).
 */
export interface WalkStart {
  startCursor?: number;
  /** Resume inside a tied second: re-enter it from its start (see pager.ts). */
  reenter?: Reentry;
  /** Rows the output held before this walk (a resumed file's): what a short end is measured with. */
  rowsBefore?: number;
  /** The uids the output holds already (a resumed file's), in the order written. */
  seenUids: readonly string[];
  limit?: number;
  /** --update: followers already in the file (skipped) and when the walk has caught up with it. */
  known?: (uid: string) => boolean;
  caughtUp?: (page: CaughtUpFacts) => boolean;
}

/** The counts of an export so far (including what a resumed or updated file already held). */
export interface ExportCounts {
  rows: number;
  requests: number;
  duplicates: number;
  total: number | undefined;
  end: EndReason;
  /**
   * Seconds (cursor values) that held more followers than a page, where the API answered the
   * same page again: the rest of each could not be reached (see pager.ts). Of the whole file.
   */
  incompleteSeconds: number[];
  /**
   * Where in the file each incomplete second's unread followers would stand: between rows `from`
   * (before the page before the one that told the second tied) and `to` (after that one), one
   * pair a second, in the same order. What the reach rule needs so as not to call them gone
   * (reach.ts unseen); absent where unknown (an older tkf). An --update's count from the top of
   * the rows it puts on top, the file's own seconds' first (manifestAfterUpdate puts them last).
   */
  incompleteAt?: Array<[number, number]>;
  /** The list ended (confirmed) with fewer than half the followers the API reports: rows and that number. */
  short?: { rows: number; expected: number };
}

export interface TargetResult extends ExportCounts {
  file: string | null;
  /** Rows that were already in the file when this run resumed (or updated) it. */
  resumedRows: number;
  /** --update: the followers put on top of the file. */
  added?: number;
  /** --resume found the export already complete: nothing was requested or written. */
  alreadyComplete?: boolean;
  /**
   * --force over an existing <out>, and the new walk's list ended far short (`short`): <out> is
   * left as it was (this path), the walk not kept. `file` is null.
   */
  keptOld?: string;
}

export interface PageTarget {
  /** Where the walk starts; null when nothing is left to fetch (a resumed walk that had ended). */
  readonly from: WalkStart | null;
  /** `requests`: what the client has sent so far in this run. */
  counts(requests: number): ExportCounts;
  /** Rows this run has written (a resumed or updated file's earlier rows not counted). */
  readonly runRows: number;
  writePage(page: PageToWrite, requests: number): Promise<void>;
  commit(requests: number): Promise<TargetResult>;
  /** Gives the error to throw (the target's own words for a failure of its output) and how far the export got. */
  abort(error: unknown, requests: number): Promise<Aborted>;
}

/** An export that stopped: the error to report, and its counts where it stopped. */
export interface Aborted {
  error: unknown;
  /** What the output reached (a resumed or updated file's earlier rows and requests included). */
  counts: ExportCounts;
}

/**
 * Counts a page into the running totals: the one place where page facts reach the result.
 * `rows`: the output's rows before the page written before this one, and with this one's (an
 * update's: of the rows it puts on top).
 */
export function countPage(counts: ExportCounts, page: PageToWrite, rows: [number, number]): void {
  counts.duplicates += page.duplicates;
  counts.total = page.total ?? counts.total;
  if (page.end) counts.end = page.end;
  // A second re-walked after a failure (or a resume) may be found out of reach twice: listed once.
  if (page.tiedSecond !== undefined && !counts.incompleteSeconds.includes(page.tiedSecond)) {
    counts.incompleteSeconds = [...counts.incompleteSeconds, page.tiedSecond];
    // Its place, when every second before it has one.
    if ((counts.incompleteAt?.length ?? 0) === counts.incompleteSeconds.length - 1) counts.incompleteAt = [...(counts.incompleteAt ?? []), [rows[0], rows[1]]];
  }
  if (page.short) counts.short = page.short;
}

/** stdout (or any Writable): the same surface without a file, a lock or a checkpoint. */
export class StreamTarget implements PageTarget {
  readonly from: WalkStart;
  private readonly writer: RecordWriter;
  private readonly totals: ExportCounts = { rows: 0, requests: 0, duplicates: 0, total: undefined, end: 'complete', incompleteSeconds: [] };

  constructor(stream: Writable, format: FormatDefinition, encoder: EncoderOptions, options: { limit?: number }) {
    this.writer = new RecordWriter(stream, format.createEncoder(encoder), { writeHeader: true });
    this.from = { seenUids: [], limit: options.limit };
  }

  counts(requests: number): ExportCounts {
    return { ...this.totals, rows: this.writer.rows, requests };
  }

  get runRows(): number {
    return this.writer.rows;
  }

  /** The rows before the page written last (PageTarget.countPage). */
  private pageBefore = 0;

  async writePage(page: PageToWrite): Promise<void> {
    const before = this.writer.rows;
    await this.writer.writeAll(page.followers);
    countPage(this.totals, page, [Math.min(this.pageBefore, before), this.writer.rows]);
    this.pageBefore = before;
  }

  async commit(requests: number): Promise<TargetResult> {
    await this.writer.flush();
    return { ...this.counts(requests), file: null, resumedRows: 0 };
  }

  async abort(error: unknown, requests: number): Promise<Aborted> {
    return { error: pipeError(error), counts: this.counts(requests) };
  }
}

