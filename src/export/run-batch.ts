/**
 * A run over many accounts (--uids-file): a pool of workers, each taking the next account and
 * exporting it with its own cursor and file, while the run's governor (src/api/run-governor.ts)
 * paces, budgets and stops all of them together. A failing account does not stop the others; a
 * refused token, a spent budget or a signal stops the run: running exports checkpoint (runExport
 * does that on any error, at a page boundary) and no account starts after it.
 *
 * The outcome is data: every account of the run with its state, and the run's exit code, chosen
 * by this precedence when several apply (README "Exit codes"):
 *
 *   129 / 130 / 143  interrupted by SIGHUP / SIGINT / SIGTERM (the operator asked, or the
 *              terminal closed; --resume goes on)
 *   5 / 7 / 11 / 8  the run stopped: the API refused the token or the quota is spent (5), the
 *              disk under the files (7) or under the history database (11) is full, the history
 *              database cannot be used any more (11: its server gone, its I/O failing), or
 *              --max-wait ran out (8), every account after it would fail alike; of these the
 *              first to happen (RunGovernor.stop keeps it)
 *   8          the run's --max-requests budget is spent (--resume goes on)
 *   9          some accounts failed (hidden, missing, API errors, a list that ended far short
 *              (exit 10 alone: its file is kept)...), the others are complete
 *   0          every account is complete
 *
 * The core never prints: the CLI turns accounts into lines and the exit code into an exit.
 */
import type { RunGovernor } from '../api/run-governor.js';
import { ApiRefusedError, BudgetSpentError, EXIT, FieldsMissingError, InterruptedError, RunStoppedError, TkfError } from '../errors.js';
import { isDatabaseDown, isDiskFull, runWideReason } from '../output/fs-errors.js';

/** complete: its file is published; failed: this account cannot be exported now (its exit code
 * says why); stopped: the run stopped it (resumable, a checkpoint if any page was written);
 * not-started: the run stopped before its turn. */
export type AccountState = 'complete' | 'failed' | 'stopped' | 'not-started';

export interface AccountRun {
  uid: string;
  complete: boolean;
  /** Rows in its file (complete) or in its checkpoint (stopped). */
  rows: number;
  /** Requests this run sent for it. */
  requests: number;
  /** 0 when complete, else the exit code of its error. */
  exit_code: number;
  /** Its published file and how its walk ended: set for a failed account too when its walk ended
   * and its file was kept (a list that ended far short, a recording into --db that failed). */
  file?: string | null;
  end?: string | null;
  /** Why it did not complete (the error thrown). */
  cause?: unknown;
}

export interface BatchAccount<R extends AccountRun> {
  uid: string;
  state: AccountState;
  exitCode: number;
  /** Undefined for an account that never started. */
  run?: R;
}

export interface BatchTotals {
  accounts: number;
  complete: number;
  failed: number;
  stopped: number;
  notStarted: number;
  /** Rows of the finished files: the complete accounts', and those a failed account's walk
   * finished and kept (finishedFile). A checkpoint's rows do not count. */
  rows: number;
  /** Requests sent by this run (all accounts, retries included). */
  requests: number;
  /** Answers of this run that said "too many requests". */
  throttled: number;
  elapsedMs: number;
}

export interface BatchResult<R extends AccountRun> {
  exitCode: number;
  accounts: BatchAccount<R>[];
  totals: BatchTotals;
  /** Set when the API's refusal (a dead token, a spent quota) stopped the run: the refusal in its own words. */
  stoppedBy?: string;
}

/** What a batch reports of each account: the account's own events (./events.ts) say what happens inside it. */
export type BatchEvent<R extends AccountRun> =
  /** An account's turn has come: it is taken before its output is opened. */
  | { type: 'started'; uid: string }
  /** An account is over: its run, and what the batch makes of it (complete, failed, stopped). */
  | { type: 'finished'; account: BatchAccount<R> };

export interface BatchOptions<R extends AccountRun> {
  uids: readonly string[];
  concurrency: number;
  governor: RunGovernor;
  signal: AbortSignal;
  /**
   * One account's export; resolves with its outcome, failures included (never rejects). It may
   * call `walked` once its walk is over (its last page written) while it still commits its file
   * and records the account (--db): the account's slot then goes to the next account, and the
   * outcome is awaited apart.
   */
  exportAccount: (uid: string, walked: () => void) => Promise<R>;
  /** Each account as it starts and as it finishes (in the order they finish), with its state. */
  onEvent?: (event: BatchEvent<R>) => void;
  now?: () => number;
}

/**
 * Accounts a slot may have committing (or recording) behind it while it walks the next: each
 * holds at most three file descriptors while it commits, so 64 slots stay under ~700 (README).
 */
const MAX_FINISHING_PER_SLOT = 2;

export function exitCodeOf(error: unknown): number {
  return error instanceof TkfError ? error.exitCode : EXIT.internal;
}

/** Whether an error stopped the account on the run's behalf rather than said something about it. */
function stoppedByRun(error: unknown): boolean {
  return error instanceof InterruptedError || error instanceof BudgetSpentError || error instanceof RunStoppedError || error instanceof ApiRefusedError;
}

export async function runBatch<R extends AccountRun>(options: BatchOptions<R>): Promise<BatchResult<R>> {
  const now = options.now ?? Date.now;
  const started = now();
  const { uids, governor, signal } = options;
  const accounts = new Map<string, BatchAccount<R>>();
  let next = 0;
  // Accounts whose walk is over but whose outcome is still to come (the file committed: its
  // fsyncs and renames, ~20 file operations; recording into --db): the night's batch waited on
  // them with the slot held (with --db, 1.20 x the bare loop).
  const finishing: Array<Promise<void>> = [];
  // Those that gave their slot back: at most MAX_FINISHING_PER_SLOT x concurrency at once, so
  // that a slow disk or database cannot pile up open files and pages behind walks that go on.
  const released = new Set<Promise<void>>();
  const maxReleased = MAX_FINISHING_PER_SLOT * Math.max(1, options.concurrency);
  const worker = async () => {
    while (next < uids.length && !signal.aborted && !governor.stopped) {
      if (released.size >= maxReleased) {
        await Promise.race(released);
        continue;
      }
      const uid = uids[next++]!;
      options.onEvent?.({ type: 'started', uid });
      let walked!: () => void;
      const slotFree = new Promise<void>((resolve) => (walked = resolve));
      const done = options.exportAccount(uid, walked).then((run) => {
        // A full disk fails every account after it alike: the run stops (exit 7; 11 for the
        // history database's disk), the accounts walking checkpoint, and none starts to pay for
        // pages it could not keep. So does a history database that cannot be used any more (its
        // server gone, its file's I/O failing: exit 11). The run's reason is the failure's own
        // error (runWideReason), not this account's words around it (where its file is), which
        // the other accounts would otherwise repeat.
        if (!run.complete && run.cause instanceof TkfError && (isDiskFull(run.cause) || isDatabaseDown(run.cause))) governor.stop(runWideReason(run.cause));
        // A --fields column the first page lacks is the run's options, not this account: every
        // account after it would pay a request to fail the same way (exit 2 for the run).
        if (!run.complete && run.cause instanceof FieldsMissingError) governor.stop(run.cause);
        const state: AccountState = run.complete ? 'complete' : stoppedByRun(run.cause) ? 'stopped' : 'failed';
        const account: BatchAccount<R> = { uid, state, exitCode: run.complete ? EXIT.ok : run.exit_code, run };
        accounts.set(uid, account);
        options.onEvent?.({ type: 'finished', account });
      });
      finishing.push(done);
      let finished = false;
      const forget = () => {
        finished = true;
        released.delete(done);
      };
      // Both ways: a rejection is the batch's to report (Promise.all below), never unhandled here.
      done.then(forget, forget);
      await Promise.race([slotFree, done]);
      if (!finished) released.add(done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, uids.length)) }, worker));
  await Promise.all(finishing);

  const all = uids.map((uid): BatchAccount<R> => accounts.get(uid) ?? { uid, state: 'not-started', exitCode: notStartedCode(signal, governor) });
  const count = (state: AccountState) => all.filter((a) => a.state === state).length;
  const totals: BatchTotals = {
    accounts: all.length,
    complete: count('complete'),
    failed: count('failed'),
    stopped: count('stopped'),
    notStarted: count('not-started'),
    rows: all.reduce((sum, a) => sum + (a.state === 'complete' || finishedFile(a.run) ? a.run!.rows : 0), 0),
    requests: governor.requests,
    throttled: governor.throttled,
    elapsedMs: now() - started,
  };
  return { exitCode: runExitCode(all, signal, governor), accounts: all, totals, ...(governor.stoppedBy ? { stoppedBy: governor.stoppedBy.reason } : {}) };
}

/** A walk that ended and whose file was published, though the account failed after it. */
function finishedFile(run: AccountRun | undefined): boolean {
  return Boolean(run?.file && run.end);
}

/** What an account that never started would have met: the signal, the refusal or the budget. */
function notStartedCode(signal: AbortSignal, governor: RunGovernor): number {
  if (signal.aborted) return exitCodeOf(signal.reason);
  if (governor.stoppedBy) return governor.stoppedBy.exitCode;
  return EXIT.stopped;
}

/** The precedence written at the top of this file. */
export function runExitCode(accounts: ReadonlyArray<{ state: AccountState; exitCode: number }>, signal: AbortSignal, governor: RunGovernor): number {
  if (signal.aborted && signal.reason instanceof InterruptedError) return signal.reason.exitCode;
  if (governor.stoppedBy) return governor.stoppedBy.exitCode;
  const unfinished = accounts.filter((a) => a.state !== 'complete');
  if (unfinished.length === 0) return EXIT.ok;
  if (unfinished.some((a) => a.exitCode === EXIT.refused)) return EXIT.refused;
  if (unfinished.some((a) => a.state === 'stopped' || a.state === 'not-started')) return EXIT.stopped;
  return EXIT.someFailed;
}
