/**
 * What a batch (--uids-file) tells the user: a line per user as it finishes, the last line of a
 * run that did not complete, and `--json` with every user of the run and the run's totals.
 */
import { EXIT, INTERRUPT_CODES, RunStoppedError, WaitLimitError } from '../errors.js';
import { CHECK_TOKEN } from './failure-hints.js';
import type { BatchAccount, BatchResult } from '../export/run-batch.js';
import { summarize, type UserOutcome } from './export-user.js';
import { followers, users } from './plural.js';

/** One user's line on stderr: its summary, or why it failed or stopped. */
export function accountLine(account: BatchAccount<UserOutcome>, limit: number | undefined): string {
  const outcome = account.run!;
  // A list that ended far short has its file, and counts as failed: its summary says both.
  // A short list's line was made with the run's settings (export-user.ts): it is its error.
  if (outcome.short && outcome.error) return outcome.error;
  if (account.state === 'complete' || outcome.short) return summarize(outcome, limit);
  // The run's stop is already said by "stopped": what stopped it follows, not "stopped: ..." a second time.
  const why = outcome.cause instanceof RunStoppedError ? outcome.cause.reason : outcome.error;
  if (account.state === 'stopped') return `stopped (exit ${account.exitCode}) at ${followers(outcome.rows)}: ${why}`;
  return `failed (exit ${account.exitCode}): ${outcome.error}`;
}

/** The last line of a batch that did not exit 0 (main.ts prints it; the lines above said the rest). */
export function batchMessage(result: BatchResult<UserOutcome>, quiet: boolean): string {
  const { exitCode, accounts, totals } = result;
  const unfinished = totals.stopped + totals.notStarted;
  const resume = unfinished ? `; run the same command with --resume to go on (${users(unfinished)} left)` : '';
  if (INTERRUPT_CODES.includes(exitCode)) return `interrupted${resume}`;
  if (exitCode === EXIT.refused) {
    // The refusal in its own words (each user's line said its own next step; --resume is said once, here).
    return `the run stopped: ${result.stoppedBy ?? 'the API refused the token'}; ${CHECK_TOKEN}${resume}`;
  }
  // A full disk, under the files (exit 7) or under the history database (exit 11). The users it
  // failed while they walked (their checkpoints kept) or recorded (their files complete) are
  // --resume's too.
  if ((exitCode === EXIT.output || exitCode === EXIT.database) && result.stoppedBy) {
    // Not those that failed for reasons of their own (a private account): --resume fails them again.
    const left = accounts.filter((a) => a.state === 'stopped' || a.state === 'not-started' || (a.state === 'failed' && a.exitCode === exitCode)).length;
    return `the run stopped: ${result.stoppedBy}${left ? `; run the same command with --resume to go on (${users(left)} left)` : ''}`;
  }
  // A --fields column no follower has: the run's own options, said once (each account's line said it too).
  if (exitCode === EXIT.usage && result.stoppedBy) return `the run stopped: ${result.stoppedBy}`;
  if (exitCode === EXIT.stopped) {
    if (accounts.some((a) => a.run?.cause instanceof WaitLimitError)) return `the run stopped: the API throttled it for longer than --max-wait (${users(unfinished)} left)`;
    return `the run stopped at its --max-requests budget (${users(unfinished)} left)`;
  }
  return quiet ? `${totals.failed} of ${users(totals.accounts)} failed` : '';
}

export function emptyTotals() {
  return { accounts: 0, complete: 0, failed: 0, stopped: 0, notStarted: 0, rows: 0, requests: 0, throttled: 0, elapsedMs: 0 };
}

/** `--json` of a batch: every user of the run, whatever became of it, and the run's totals. */
export function batchJson(result: Pick<BatchResult<UserOutcome>, 'exitCode' | 'accounts' | 'totals'>) {
  const { totals } = result;
  return {
    complete: result.exitCode === EXIT.ok,
    exit_code: result.exitCode,
    users: result.accounts.map((account) =>
      account.run
        ? { ...publicOutcome(account.run), state: account.state, exit_code: account.exitCode }
        : { uid: account.uid, state: account.state, exit_code: account.exitCode, complete: false, rows: 0, requests: 0, file: null },
    ),
    totals: {
      users: totals.accounts,
      complete: totals.complete,
      failed: totals.failed,
      stopped: totals.stopped,
      not_started: totals.notStarted,
      rows: totals.rows,
      requests: totals.requests,
      requests_earlier_runs: result.accounts.reduce((sum, a) => sum + (a.run ? a.run.requests_total - a.run.requests : 0), 0),
      throttled: totals.throttled,
      elapsed_ms: totals.elapsedMs,
    },
  };
}

/** An outcome as --json prints it (without the error object and the internal result). */
export function publicOutcome(outcome: UserOutcome) {
  const { cause: _cause, result: _result, elapsedMs: _elapsed, resumedRequests: _resumed, ...rest } = outcome;
  return rest;
}
