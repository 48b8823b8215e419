/**
 * What became of one account's export, as data: exit code, rows, requests, file. The summary line,
 * `--json` and a batch's lines are made from it (src/cli/), and the engine's 'finished' event
 * carries it (./events.ts); src/export/run-account.ts makes it.
 */
import type { HistoryRecord } from '../history/export-recorder.js';
import type { ExportResult } from './run-export.js';

export interface AccountOutcome {
  uid: string;
  exit_code: number;
  complete: boolean;
  rows: number;
  /** Requests this run sent for the account. */
  requests: number;
  /** Requests the file has cost so far, earlier (resumed) runs included. */
  requests_total: number;
  file: string | null;
  /** Why the walk ended: complete, cap, limit, caught-up (an update). */
  end: string | null;
  total: number | null;
  added?: number;
  /** Seconds (cursors) with followers the API would not serve: see ExportResult.incompleteSeconds. */
  incomplete_seconds?: number[];
  /** --db: what the snapshot recorded. */
  history?: HistoryRecord;
  /** --update --db: the file's earlier walk, published and not yet in the history, recorded first (before `history`). */
  history_before?: HistoryRecord;
  /** The list ended (asked twice) below half of `expected`, what the API reports it should serve: exit 10, file kept. */
  short?: boolean;
  expected?: number;
  /** This run's requests were more than twice the pages its followers need (ExportResult.lostEffort). */
  lost_effort?: { requests: number; pages_needed: number };
  /** --resume met the staging file of a walk recorded into a database that no longer holds it: walked again. */
  walked_again?: boolean;
  error?: string;
  /** Not serialised: what main.ts rethrows for a single account. */
  cause?: unknown;
  result?: ExportResult;
  /** Not serialised: requests of the earlier runs a resumed export had made. */
  resumedRequests?: number;
  elapsedMs: number;
}
