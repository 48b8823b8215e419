/**
 * One export, start to finish: open the target (a file transaction, or a stream), write each
 * page of the walk to it and report progress, commit; on any error, abort (which checkpoints what
 * is good and says what failed). The target owns everything that lives across pages.
 */
import type { Writable } from 'node:stream';
import type { FollowersClient } from '../api/client.js';
import { PAGE_SIZE } from '../api/list-facts.js';
import type { Checkpoint } from '../output/checkpoint.js';
import type { Disk } from '../output/disk.js';
import { ExportFile, type OpenMode } from '../output/export-file.js';
import type { LockOwner, WaitWhileHeld } from '../output/lock.js';
import { StreamTarget, type ExportCounts, type PageTarget, type TargetResult, type WalkStart } from '../output/page-target.js';
import { DEPTH_CAP } from '../api/list-facts.js';
import { pages, type FetchedPage, type Page, type StuckNotice } from './pager.js';
import { SeenWindow } from './seen-window.js';
import type { WalkJob } from './job.js';

export type OutputTarget =
  | { kind: 'stream'; stream: Writable }
  | {
      kind: 'file';
      path: string;
      force: boolean;
      resume: boolean;
      update?: boolean;
      /**
       * Go on with an interrupted walk of the same options beside it, else start a new one that
       * replaces the file (--db's staging file, which is tkf's own: ExportFile 'go-on').
       */
      goOn?: boolean;
      /** The file is tkf's own (--db's staging file): an interrupted walk that cannot be gone on with is replaced, even under --resume. */
      own?: boolean;
      /**
       * --resume of tkf's own file: a walk of it that completed before this time (ISO 8601) is an
       * earlier run's, not one of the run being finished: a new walk (ExportFile staleBefore).
       */
      staleBefore?: string;
    };

export interface ExportPlan {
  /** The run's job, as resolved: read here, never reshaped. Its backoffMs is the longest first wait before asking a page that did not move the walk on again (doubles). */
  job: WalkJob;
  uid: string;
  output: OutputTarget;
  seenCapacity?: number;
  /** The pause before asking once more when the list ends far below what the API reports; default 10 x the job's backoffMs. */
  confirmWaitMs?: number;
}

export interface ExportProgress {
  rows: number;
  requests: number;
  duplicates: number;
  total: number | undefined;
  /** Rows this run wrote and requests it sent (a resumed or updated file's earlier ones not counted). */
  runRows: number;
  runRequests: number;
  page: Page;
}

/**
 * Set when the export took more than twice the requests its followers need (a page of 20 each):
 * effort the API made tkf pay for nothing (repeated pages, a cursor that barely moves). This run's
 * answered requests (retries of failures and 429s are not counted: they are said as they happen)
 * and the pages its new followers needed.
 */
export interface LostEffort {
  requests: number;
  pagesNeeded: number;
}

export type ExportResult = TargetResult & { lostEffort?: LostEffort };

export interface ExportDeps {
  client: FollowersClient;
  signal?: AbortSignal;
  /** Who holds the output's lock, and how to tell whether a lock's owner still runs. */
  owner: LockOwner;
  isRunning: (pid: number, startTicks?: number) => boolean;
  /** The output's lock names no owner yet (a run killed while taking it?): this run waits, up to 10 s. */
  onLockWait?: (lockPath: string, host?: string) => void;
  /** Another tkf holds the output's lock: wait for it (a batch under --resume) instead of exit 7. */
  waitWhileHeld?: WaitWhileHeld;
  /** The file system an export writes through (tests hand in one that fills up). */
  disk?: Disk;
  onResume?: (checkpoint: Checkpoint) => void;
  /** --resume over a short --force walk's mark: walked again from the start (ExportFileSpec.onRewalk). */
  onRewalk?: (mark: Checkpoint) => void;
  /** --update: the manifest of the file it updates (what the file holds while it is not replaced). */
  onUpdate?: (manifest: Checkpoint) => void;
  onPage?: (progress: ExportProgress) => void;
  onStuck?: (notice: StuckNotice) => void;
  /**
   * The walk is over and every page written: no request follows. Told before the file is
   * committed (closed, synced, published), so that a batch can start its next account meanwhile.
   */
  onWalkEnd?: () => void;
}

/** How an export ended: its result, or the error it stopped with and its counts there (none when its output never opened). */
export type SettledExport = { result: ExportResult; failure?: undefined } | { failure: { error: unknown; counts?: ExportCounts } };

/** The export; rejects with the error it stopped with (settleExport says also how far it got). */
export async function runExport(plan: ExportPlan, deps: ExportDeps): Promise<ExportResult> {
  const settled = await settleExport(plan, deps);
  if (settled.failure) throw settled.failure.error;
  return settled.result;
}

export async function settleExport(plan: ExportPlan, deps: ExportDeps): Promise<SettledExport> {
  let target: PageTarget | TargetResult;
  try {
    target = await openTarget(plan, deps);
  } catch (error) {
    return { failure: { error } };
  }
  if (!('writePage' in target)) return { result: target }; // already complete
  const requests = () => deps.client.requests;
  // Answers the walk was given (repeated ones included): what lost effort is measured in.
  // Requests that failed or were throttled and retried are not the API repeating itself, nor are
  // an answer set aside after a failed try and the re-entry it causes when that brings nothing new
  // (tkf's own check: with half the requests failing, 116 answers for 50 pages were said to be the
  // API repeating itself); a re-entry that brings new followers is a page the list needed.
  let answers = 0;
  let reentering = false;
  try {
    if (target.from) {
      for await (const page of walk(plan, deps, target.from)) {
        if (!page.setAside && !(reentering && page.followers.length === 0)) answers++;
        reentering = page.setAside === true;
        await target.writePage(page, requests());
        if (deps.onPage) {
          // Named one by one: a spread followed by more properties made fresh hidden classes at
          // every page on Node 20 (client.ts, got's cacheOptions).
          const counts = target.counts(requests());
          deps.onPage({ rows: counts.rows, requests: counts.requests, duplicates: counts.duplicates, total: counts.total, runRows: target.runRows, runRequests: requests(), page });
        }
        if (deps.signal?.aborted) throw deps.signal.reason;
      }
    }
    deps.onWalkEnd?.();
    return { result: withLostEffort(await target.commit(requests()), answers) };
  } catch (error) {
    return { failure: await target.abort(error, requests()) };
  }
}

function openTarget(plan: ExportPlan, deps: ExportDeps): Promise<PageTarget | TargetResult> | PageTarget {
  const { output } = plan;
  if (output.kind === 'stream') {
    return new StreamTarget(output.stream, plan.job.format, plan.job.encoder, { limit: plan.job.limit });
  }
  const mode: OpenMode = output.update ? 'update' : output.resume ? 'resume' : output.goOn ? 'go-on' : output.force ? 'force' : 'new';
  return ExportFile.open({
    path: output.path,
    mode,
    uid: plan.uid,
    job: plan.job,
    owner: deps.owner,
    isRunning: deps.isRunning,
    onLockWait: deps.onLockWait,
    waitWhileHeld: deps.waitWhileHeld,
    disk: deps.disk,
    onResume: deps.onResume,
    onRewalk: deps.onRewalk,
    onUpdate: deps.onUpdate,
    own: output.own,
    staleBefore: output.staleBefore,
  });
}

/** Flags a run whose answered requests exceed twice the pages its new followers need. */
function withLostEffort(result: TargetResult, requests: number): ExportResult {
  if (result.alreadyComplete) return result;
  const pagesNeeded = Math.max(1, Math.ceil((result.rows - result.resumedRows) / PAGE_SIZE));
  return requests > 2 * pagesNeeded ? { ...result, lostEffort: { requests, pagesNeeded } } : result;
}

/** The pager for a plan: its uid through the client, its signal, its stuck-cursor policy. */
export function walk(plan: ExportPlan, deps: ExportDeps, from: WalkStart) {
  const { rowsBefore, seenUids, ...start } = from;
  // The uids the output holds already: the walk's de-duplication starts from them.
  const seen = new SeenWindow(plan.seenCapacity);
  for (const uid of seenUids) seen.add(uid);
  const stuckWaitMs = plan.job.backoffMs;
  return pages({
    // The pager must know when an answer came only after a failure (a retry inside the client):
    // an API with a hidden offset may have moved past the lost answer.
    fetchPage: async (cursor, signal, onArrived): Promise<FetchedPage> => {
      const page = await deps.client.fetchPage(plan.uid, cursor, signal, onArrived);
      return page.retried ? { ...page, afterFailure: true } : page;
    },
    ...start,
    seen,
    signal: deps.signal,
    onStuck: deps.onStuck,
    stuckWaitMs,
    // --update stops at the file's newest follower: its end says nothing about the list's length.
    shortEnd: from.caughtUp ? undefined : { rowsBefore: rowsBefore ?? 0, cap: DEPTH_CAP, waitMs: plan.confirmWaitMs ?? 10 * stuckWaitMs },
  });
}
