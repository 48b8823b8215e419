/**
 * What one account's export reports while it runs, from its start to its end: facts, never sentences. The CLI renders them
 * (src/cli/export-user.ts: the bar, the plain lines, --verbose); the engine never prints.
 */
import type { RetryNotice } from '../api/client.js';
import type { HistoryRecord } from '../history/export-recorder.js';
import type { Checkpoint } from '../output/checkpoint.js';
import type { AccountOutcome } from './account-outcome.js';
import type { Page, StuckNotice } from './pager.js';

export type AccountEvent =
  /** The account's export begins (before its output is opened and its first request). */
  | { type: 'started'; uid: string }
  /** A request is about to go out (attempt 1, or a retry of the same cursor). */
  | { type: 'request'; uid: string; cursor: number; attempt: number }
  /** The client will ask again after a failure or a 429 (the run waits `waitMs`). */
  | { type: 'retry'; uid: string; notice: RetryNotice }
  /** An answer did not move the walk on (a stuck cursor): the walk asks again after `waitMs`. */
  | { type: 'waiting'; uid: string; notice: StuckNotice }
  /** The output's lock names no owner yet: the export waits for one, or takes the lock over when it is 10 s old. */
  | { type: 'lock-wait'; uid: string; path: string; host?: string }
  /** Another tkf that runs holds the output's lock: this run waits for it (a batch under --resume). */
  | { type: 'lock-held'; uid: string; path: string; pid: number; host: string }
  /** --update with --db: the file's walk before it, published and not yet in the history, was recorded first. */
  | { type: 'recorded-earlier'; uid: string; path: string; history: HistoryRecord }
  /** --resume found the mark of a --force walk whose list ended short: the account is walked again from the start, the file replaced only if complete. */
  | { type: 'rewalk'; uid: string; path: string; short: { rows: number; expected: number } }
  /** A file export goes on from its checkpoint. */
  | { type: 'resumed'; uid: string; path: string; checkpoint: Checkpoint }
  /** A page is written and checkpointed. */
  | { type: 'page'; uid: string; page: Page; progress: PageProgress }
  /** The account's export is over, whatever became of it: the outcome says what (it is also runAccount's result). */
  | { type: 'finished'; uid: string; outcome: AccountOutcome };

/** Where the export stands after a page: the figures a progress bar draws. */
export interface PageProgress {
  /** Rows counted so far: the file's (a resumed file's included); for --update, this run's new rows. */
  rows: number;
  /** Requests of the export so far (a resumed run's included). */
  requests: number;
  /** The profile's follower count, as the API reported it. */
  total: number | undefined;
  /** Rows and requests of this run alone. */
  runRows: number;
  runRequests: number;
  /** Rows the walk will end with (list-facts' expectedRows), null when unknown. */
  goal: number | null;
}
