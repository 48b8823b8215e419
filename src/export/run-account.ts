/**
 * One account's export as a run does it: the run's client (one connection pool, pace and budget
 * for every account of the run) seen through a view of its own, runExport, and the outcome as data
 * (exit code, rows, requests, file) for the summary line, `--json` and batches. What happens on
 * the way is reported as events (./events.ts); nothing here prints or reads the process.
 */
import { existsSync } from 'node:fs';
import type { FollowersClient } from '../api/client.js';
import { expectedRows } from '../api/list-facts.js';
import { EXIT, HistoryDbError, OutputBusyError, STAGING_LOST, ShortListError, TkfError, redact } from '../errors.js';
import type { ExportRecorder, HistoryRecord, WalkFeed } from '../history/export-recorder.js';
import type { AccountOutcome } from './account-outcome.js';
import { againstManifest, checkpointOptions, describeMismatch, newFollowersKept, readCheckpoint, type Checkpoint } from '../output/checkpoint.js';
import type { Disk } from '../output/disk.js';
import type { LockOwner } from '../output/lock.js';
import type { ExportCounts } from '../output/page-target.js';
import { causeCode } from '../output/fs-errors.js';
import { outputPaths } from '../output/output-file.js';
import { encoderAfter } from '../output/update-base.js';
import type { AccountEvent } from './events.js';
import type { WalkJob } from './job.js';
import type { ExportResult, OutputTarget, SettledExport } from './run-export.js';
import { withFieldsCheck } from './with-fields-check.js';

export type { AccountOutcome } from './account-outcome.js';

export interface AccountSettings {
  /** The token (redacted from every message) and the API's base URL. */
  access: { token: string; baseUrl: string };
  /** The run's job, as resolved (src/cli/resolve-job.ts): read by every layer below, never reshaped. */
  job: WalkJob;
  /** The run's client: shared by every account of the run. */
  client: FollowersClient;
  /** The file system exports write through (default: the real one; tests hand in one that fills up). */
  disk?: Disk;
  signal: AbortSignal;
  /** --db: records a complete export's file in the history database (src/history/export-recorder.ts). */
  record?: ExportRecorder;
}

export interface AccountDeps {
  /** Who holds the output's lock, and how to tell whether a lock's owner still runs. */
  owner: LockOwner;
  isRunning: (pid: number, startTicks?: number) => boolean;
  onEvent?: (event: AccountEvent) => void;
  /**
   * Makes a failure say what to do (the CLI's hints, its proxy check, stdout's own errors); may
   * return another error to report instead. `savedRows`: what the checkpoint on disk holds (what
   * --resume will find); `savedNew`: an interrupted --update's new followers, kept for its next run.
   */
  explainFailure?: (error: unknown, facts: FailureFacts) => Promise<unknown>;
  /**
   * The walk is over: what is left (committing its file, recording it into --db) needs no
   * request and no slot of the batch, so a batch starts its next account meanwhile. Told when the
   * last page is written, or (an export found complete already) when its outcome is known; maybe
   * twice.
   */
  onWalked?: () => void;
  now?: () => number;
  /**
   * With --resume, wait while another tkf that runs holds an account's output (the same batch run
   * twice at once) instead of failing it: the other run completes it, and this one then finds it
   * complete. A batch's; a single export refuses at once (exit 7).
   */
  waitForHeldOutputs?: boolean;
}

export interface FailureFacts {
  uid: string;
  output: OutputTarget;
  savedRows: number | undefined;
  savedNew: number | undefined;
  /** Pages of a tied second the checkpoint stands in, which --resume walks again from its start. */
  reenterPages?: number;
}

/** What the export's output held before this run walked: told when it opens, never counted here. */
interface Before {
  /** What a resumed file held (its checkpoint): progress counts only what this run fetches. */
  resumed: { rows: number; requests: number };
  /** --update: the rows of the file it updates; a failed update leaves the file with exactly these. */
  fileRows: number | undefined;
}

/** One account's export, from its 'started' event to its 'finished' one; never rejects for the account's own failures. */
export async function runAccount(uid: string, output: OutputTarget, settings: AccountSettings, deps: AccountDeps): Promise<AccountOutcome> {
  const emit = deps.onEvent ?? (() => {});
  emit({ type: 'started', uid });
  const outcome = await exportAccount(uid, output, settings, deps, emit);
  emit({ type: 'finished', uid, outcome });
  return outcome;
}

async function exportAccount(
  uid: string,
  output: OutputTarget,
  settings: AccountSettings,
  deps: AccountDeps,
  emit: (event: AccountEvent) => void,
): Promise<AccountOutcome> {
  const { settleExport } = await import('./run-export.js');
  const now = deps.now ?? Date.now;
  const client = settings.client.account({
    onRequest: ({ cursor, attempt }) => emit({ type: 'request', uid, cursor, attempt }),
    onRetry: (notice) => emit({ type: 'retry', uid, notice }),
  });
  const started = now();
  const before: Before = { resumed: { rows: 0, requests: 0 }, fileRows: undefined };
  // --update stops at the first follower already in the file: how far that is, nobody can tell.
  const open = output.kind === 'file' && Boolean(output.update) && existsSync(output.path);
  const { job } = settings;
  // [issue 16] An --update builds on the file as its manifest describes it. A walk of it that was
  // published and never recorded (kill -9 or a second Ctrl-C between the two, or a run without
  // --db) is recorded first: the update recorded only what it added on top, so an update's new
  // followers killed so never reached the history ("added 0 on top of 20,000", the database at 16,000).
  // (--resume of an interrupted --update is that update.)
  // A database that fails to record it (locked, a statement timeout, its server gone) fails the
  // account before its walk: the update would replace the file and its manifest, the only
  // description of that walk, and record only what it added on top (the loss above, said nowhere).
  let unrecorded: unknown;
  let recordedBefore: HistoryRecord | undefined;
  if (settings.record && output.kind === 'file' && !output.own && (output.update || (output.resume && (await interruptedUpdate(output.path))))) {
    try {
      const earlier = await recordPublished(settings.record, output.path, uid, job);
      if (earlier) emit({ type: 'recorded-earlier', uid, path: output.path, history: (recordedBefore = earlier) });
    } catch (error) {
      unrecorded = error;
    }
  }
  // [issue 16] --db into SQLite: the pages go to the database as they arrive (history/page-recorder.ts).
  const feed = settings.record?.feed?.(uid);
  if (output.kind === 'file' && output.update) feed?.partial();
  const settled: SettledExport = unrecorded !== undefined ? { failure: { error: unrecorded } } : await settleExport(
    { job, uid, output },
    {
      client: job.encoder.fields ? withFieldsCheck(client, job.encoder.fields) : client,
      signal: settings.signal,
      disk: settings.disk,
      owner: deps.owner,
      isRunning: deps.isRunning,
      onLockWait: (path, host) => emit({ type: 'lock-wait', uid, path, ...(host === undefined ? {} : { host }) }),
      ...(deps.waitForHeldOutputs && output.kind === 'file' && output.resume
        ? { waitWhileHeld: { signal: settings.signal, onHeld: (holder) => emit({ type: 'lock-held', uid, path: outputPaths(output.path).lock, pid: holder.pid, host: holder.host }) } }
        : {}),
      onResume: (checkpoint) => {
        feed?.partial();
        before.resumed = { rows: checkpoint.rows, requests: checkpoint.requests };
        emit({ type: 'resumed', uid, path: output.kind === 'file' ? output.path : '', checkpoint });
      },
      onRewalk: (mark) => {
        if (mark.rewalk) emit({ type: 'rewalk', uid, path: output.kind === 'file' ? output.path : '', short: mark.rewalk });
      },
      onUpdate: (manifest) => {
        before.fileRows = manifest.rows;
      },
      onPage: (p) => {
        const done = p.page.end !== undefined || p.page.next === null;
        const progress = {
          // --update counts the new followers it puts on top; the file's old rows are not progress.
          rows: open ? p.runRows : p.rows,
          requests: p.requests,
          total: p.total,
          // Rows this run wrote: what rate and ETA count, whatever the file held.
          runRows: p.runRows,
          runRequests: p.runRequests,
          goal: expectedRows({ rows: p.rows, total: p.total, limit: job.limit, done, open }) ?? null,
        };
        feed?.page(p.page.followers);
        emit({ type: 'page', uid, page: p.page, progress });
      },
      onStuck: (notice) => emit({ type: 'waiting', uid, notice }),
      onWalkEnd: () => {
        // [issue 16] what the snapshot can do before the file is published, it does meanwhile.
        feed?.walked(uid);
        deps.onWalked?.();
      },
    },
  );
  let failure: { error: unknown; counts?: ExportCounts; published?: string | null };
  if (settled.failure) {
    feed?.abandon();
    failure = settled.failure;
  } else {
    try {
      deps.onWalked?.();
      const outcome = await completed(uid, settled.result, settings, client.requests, before, now() - started, feed);
      return recordedBefore ? { ...outcome, history_before: recordedBefore } : outcome;
    } catch (error) {
      // --resume found the staging file of a walk recorded into a database that no longer holds
      // it (deleted or replaced since): its rows are gone, so the account is walked again, as
      // --resume is asked to finish what is missing. Once: the new walk replaces the file.
      if (output.kind === 'file' && output.own && output.resume && causeCode(error) === STAGING_LOST) {
        const again = await exportAccount(uid, { ...output, resume: false, goOn: false, force: true }, settings, deps, emit);
        return { ...again, walked_again: true };
      }
      // The file is published but its snapshot failed (--db): the outcome counts the file, and
      // names it (--json: the export is complete, only not recorded).
      failure = { error, counts: settled.result, published: settled.result.file };
    }
  }
  const { error: caught, counts, published } = failure;
  // A file export that failed after some pages keeps them in its checkpoint: what --resume will
  // find is what the checkpoint on disk counts, which may lag the pages written (a full disk
  // stops the checkpoint before the rows), so it is read back, not guessed.
  // (Not when another tkf holds the file: its checkpoint counts that run's rows, not this one's.)
  const saved = output.kind === 'file' && !(caught instanceof OutputBusyError) ? await savedCheckpoint(output.path) : undefined;
  // An interrupted --update keeps the new followers it found (the file itself is untouched).
  const savedNew = saved && newFollowersKept(saved);
  const savedRows = saved?.update || open ? undefined : saved?.rows;
  const facts = { uid, output, savedRows, savedNew, ...(saved?.reenter ? { reenterPages: saved.reenter.pages } : {}) };
  const error = deps.explainFailure ? await deps.explainFailure(caught, facts) : caught;
  return {
    uid,
    ...(recordedBefore ? { history_before: recordedBefore } : {}),
    exit_code: error instanceof TkfError ? error.exitCode : EXIT.internal,
    complete: false,
    // A stopped file export keeps what its checkpoint holds, from earlier runs too; a failed
    // update leaves the file as it was (the new rows it had fetched are not in it). Without a
    // checkpoint, what the output reached when it stopped (none when it never opened: what it held).
    rows: before.fileRows ?? saved?.rows ?? counts?.rows ?? before.resumed.rows,
    requests: client.requests,
    requests_total: counts?.requests ?? before.resumed.requests + client.requests,
    file: published ?? null,
    // A walk that ended and was published (its recording failed): how it ended.
    end: published ? (counts?.end ?? null) : null,
    total: counts?.total ?? null,
    error: redact(error instanceof Error ? error.message : String(error), settings.access.token),
    cause: error,
    elapsedMs: now() - started,
  };
}

/** Whether the checkpoint beside `path` is an interrupted --update's. */
async function interruptedUpdate(path: string): Promise<boolean> {
  return Boolean((await readCheckpoint(outputPaths(path).checkpoint).catch(() => undefined))?.update);
}

/**
 * The finished export at `path`, recorded as its manifest describes it when the database does not
 * hold it yet; undefined when it does, or when it cannot be: no manifest, one that no longer
 * describes the file, a list that ended short, a database holding a later snapshot of the account
 * (or another at its time). A database that fails is thrown, as a HistoryDbError naming the walk.
 */
async function recordPublished(record: ExportRecorder, path: string, uid: string, job: WalkJob): Promise<HistoryRecord | undefined> {
  let manifest: Checkpoint | undefined;
  try {
    manifest = await readCheckpoint(outputPaths(path).manifest);
    if ((await againstManifest(path, manifest))?.state !== 'same') return undefined;
    // Not the file this update builds on (another account's, other columns): the update refuses
    // it (exit 2), and a refused command records nothing.
    if (describeMismatch(manifest!.options, checkpointOptions(uid, job.format, encoderAfter(job, manifest!.options)))) return undefined;
  } catch {
    // An unreadable manifest or file: the update itself says what is wrong with it.
    return undefined;
  }
  try {
    const outcome = await record(path, undefined);
    return outcome.recorded ? outcome : undefined;
  } catch (error) {
    // No snapshot (a list that ended short), or one the database rules out: the update goes on.
    if (error instanceof ShortListError || (error instanceof HistoryDbError && error.ruledOut)) return undefined;
    // The database failed: said, the walk not made (see exportAccount).
    const inner = error instanceof HistoryDbError && error.cause instanceof Error ? error.cause : error;
    const why = inner instanceof Error ? inner.message : String(inner);
    throw new HistoryDbError(
      `${path} (${manifest!.updated}) is not yet in the history and could not be recorded: ${why}; nothing was walked: the same command records it, then updates, once the database can be written`,
      { cause: error },
    );
  }
}

/**
 * The outcome of a walk that ended: recorded in the history database when asked (--db), and
 * marked short (exit 10, file kept) when the list ended far below what the API said it holds.
 */
async function completed(
  uid: string,
  result: ExportResult,
  settings: AccountSettings,
  requests: number,
  before: Before,
  elapsedMs: number,
  feed?: WalkFeed,
): Promise<AccountOutcome> {
  // A file whose list ended short stays so under --resume (nothing to resume, but not complete:
  // exit 10 again, and no snapshot; it said "already complete", exit 0, and a batch's --resume
  // counted it complete).
  const short = result.short;
  // [issue 16] the file is published: now it becomes a snapshot (a failure here is exit 11; the
  // file stays). A list that ended far short is not: its end would call everyone missing gone.
  const history = settings.record && result.file && !short ? await settings.record(result.file, result.added, feed) : undefined;
  if (short) feed?.abandon();
  const outcome: AccountOutcome = {
    uid,
    exit_code: EXIT.ok,
    complete: true,
    ...(history ? { history } : {}),
    rows: result.rows,
    requests,
    requests_total: result.requests,
    file: history?.staged ? null : result.file,
    end: result.end,
    total: result.total ?? null,
    ...(result.added !== undefined ? { added: result.added } : {}),
    incomplete_seconds: result.incompleteSeconds,
    result,
    ...(result.resumedRows && !result.alreadyComplete && result.added === undefined ? { resumedRequests: before.resumed.requests } : {}),
    ...(result.lostEffort ? { lost_effort: { requests: result.lostEffort.requests, pages_needed: result.lostEffort.pagesNeeded } } : {}),
    elapsedMs,
  };
  // The file is published as usual; the exit code says what is missing (the CLI words the line).
  if (short) Object.assign(outcome, { exit_code: EXIT.short, complete: false, short: true, expected: short.expected });
  return outcome;
}

/** The checkpoint a --resume of this file would start from; undefined when there is none (or it cannot be read). */
async function savedCheckpoint(path: string): Promise<Checkpoint | undefined> {
  return readCheckpoint(outputPaths(path).checkpoint).catch(() => undefined);
}
