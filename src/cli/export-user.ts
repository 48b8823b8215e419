/**
 * One user's export as the CLI runs it: the run's client (one connection pool, pace and budget
 * for every user of the run) seen through a view of its own, runExport, and the outcome as data
 * (exit code, rows, requests, file) for the summary line, `--json` and batches.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FollowersClient } from '../api/client.js';
import { expectedRows } from '../api/list-facts.js';
import { ShortListError, TkfError, EXIT, redact } from '../errors.js';
import type { ExportResult, OutputTarget } from '../run-export.js';
import type { EncoderOptions, FormatDefinition } from '../writers/index.js';
import { isRunning, type Access } from './api-access.js';
import { addNextStep } from './failure-hints.js';
import { formatCount, formatDuration, type Progress } from './progress.js';
import { withFieldsCheck } from './with-fields-check.js';
import { stdoutError } from './stdout-errors.js';
import { blameProxy, type ProxySetting } from './proxy-check.js';
import { followers, plural, requests } from './plural.js';
import { readCheckpoint, type Checkpoint } from '../output/checkpoint.js';
import { outputPaths } from '../output/output-file.js';
import type { Disk } from '../output/disk.js';
import type { ExportRecorder, HistoryRecord } from '../history/export-recorder.js';

export interface RunSettings {
  access: Access;
  format: FormatDefinition;
  encoder: EncoderOptions;
  given?: Partial<Record<keyof EncoderOptions, boolean>>;
  /** The run's client: shared by every user of the run. */
  client: FollowersClient;
  /** The file system exports write through (default: the real one; tests hand in one that fills up). */
  disk?: Disk;
  /** The proxy the client goes through, if any: blamed by name when it is the one that fails. */
  proxy?: ProxySetting;
  /** Longest first wait before asking a page that did not move the walk on again (--backoff). */
  retryBaseMs: number;
  limit?: number;
  verbose: boolean;
  signal: AbortSignal;
  /** --db: records a complete export's file in the history database (src/history/export-recorder.ts). */
  record?: ExportRecorder;
}

export interface UserOutcome {
  uid: string;
  exit_code: number;
  complete: boolean;
  rows: number;
  /** Requests this run sent for the user. */
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
  /** The list ended (asked twice) below half of `expected`, what the API reports it should serve: exit 10, file kept. */
  short?: boolean;
  expected?: number;
  /** This run's requests were more than twice the pages its followers need (ExportResult.lostEffort). */
  lost_effort?: { requests: number; pages_needed: number };
  error?: string;
  /** Not serialised: what main.ts rethrows for a single user. */
  cause?: unknown;
  result?: ExportResult;
  /** Not serialised: requests of the earlier runs a resumed export had made. */
  resumedRequests?: number;
  elapsedMs: number;
}

export async function exportUser(
  uid: string,
  output: OutputTarget,
  settings: RunSettings,
  progress: Progress,
): Promise<UserOutcome> {
  const { runExport } = await import('../run-export.js');
  const { access } = settings;
  const verbose = (text: string) => {
    if (settings.verbose) progress.log(redact(text, access.token));
  };
  const base = access.baseUrl.replace(/\/+$/, '');
  const client = settings.client.account({
    onRequest: ({ cursor, attempt }) =>
      verbose(`GET ${base}/tk/user/followers uid=${uid} cursor=${cursor}${attempt > 1 ? ` (attempt ${attempt})` : ''}`),
    onRetry: (n) =>
      progress.waiting(
        n.throttled
          ? `${n.reason} at cursor ${n.cursor}; the run waits ${formatDuration(n.waitMs)} (--max-wait)`
          : `${n.reason} at cursor ${n.cursor}; retry ${n.attempt}/${n.retries} in ${formatDuration(n.waitMs)}`,
        n.waitMs,
      ),
  });
  const started = Date.now();
  let rows = 0;
  let requests = 0;
  let total: number | undefined;
  // What a resumed file held before this run: progress counts only what this run fetches.
  let resumed = { rows: 0, requests: 0 };
  // Rows this run wrote (the pages' new followers): what rate and ETA count, whatever the file held.
  let written = 0;
  // --update: the rows of the file it updates; a failed update leaves the file with exactly these.
  let fileRows: number | undefined;
  // --update stops at the first follower already in the file: how far that is, nobody can tell.
  const open = output.kind === 'file' && Boolean(output.update) && existsSync(output.path);
  // [issue 16] --db into SQLite: the pages go to the database as they arrive (history/page-recorder.ts).
  const feed = settings.record?.feed?.();
  if (output.kind === 'file' && output.update) feed?.partial();
  try {
    const result = await runExport(
      {
        uid,
        format: settings.format,
        encoder: settings.encoder,
        given: settings.given,
        output,
        limit: settings.limit,
        stuckWaitMs: settings.retryBaseMs,
      },
      {
        client: settings.encoder.fields ? withFieldsCheck(client, settings.encoder.fields) : client,
        signal: settings.signal,
        disk: settings.disk,
        owner: { pid: process.pid, host: hostname() },
        isRunning,
        onResume: (c) => {
          feed?.partial();
          resumed = { rows: c.rows, requests: c.requests };
          progress.log(`resuming ${output.kind === 'file' ? output.path : ''} at ${formatCount(c.rows)} rows (cursor ${c.cursor ?? 'end'})`);
        },
        onUpdate: (manifest) => {
          fileRows = manifest.rows;
        },
        onPage: (p) => {
          rows = p.rows;
          requests = p.requests;
          total = p.total;
          const done = p.page.end !== undefined || p.page.next === null;
          written += p.page.followers.length;
          feed?.page(p.page.followers);
          progress.update({
            // --update counts the new followers it puts on top; the file's old rows are not progress.
            rows: open ? written : p.rows,
            requests: p.requests,
            total: p.total,
            runRows: written,
            runRequests: p.requests - resumed.requests,
            goal: expectedRows({ rows: p.rows, total: p.total, limit: settings.limit, done, open }) ?? null,
          });
          if (p.page.duplicates) verbose(`page ${p.page.number}: ${plural(p.page.duplicates, 'repeated follower')} skipped`);
        },
        onStuck: (n) =>
          progress.waiting(`${n.reason} at cursor ${n.cursor}; asking again (${n.attempt}/${n.retries}) in ${formatDuration(n.waitMs)}`, n.waitMs),
      },
    );
    const short = result.short && !result.alreadyComplete ? result.short : undefined;
    // [issue 16] the file is published: now it becomes a snapshot (a failure here is exit 11; the
    // file stays). A list that ended far short is not: its end would call everyone missing gone.
    const history = settings.record && result.file && !short ? await settings.record(result.file, result.added, feed) : undefined;
    if (short) feed?.abandon();
    const outcome: UserOutcome = {
      uid,
      exit_code: EXIT.ok,
      complete: true,
      ...(history ? { history } : {}),
      rows: result.rows,
      requests: client.requests,
      requests_total: result.requests,
      file: history?.staged ? null : result.file,
      end: result.end,
      total: result.total ?? null,
      ...(result.added !== undefined ? { added: result.added } : {}),
      incomplete_seconds: result.incompleteSeconds,
      result,
      ...(result.resumedRows && !result.alreadyComplete && result.added === undefined ? { resumedRequests: resumed.requests } : {}),
      ...(result.lostEffort ? { lost_effort: { requests: result.lostEffort.requests, pages_needed: result.lostEffort.pagesNeeded } } : {}),
      elapsedMs: Date.now() - started,
    };
    if (short) {
      // The file is published as usual; the exit code and the last line say what is missing.
      Object.assign(outcome, { exit_code: EXIT.short, complete: false, short: true, expected: short.expected });
      const line = summarize(outcome, settings.limit);
      Object.assign(outcome, { error: line, cause: new ShortListError(line) });
    }
    return outcome;
  } catch (caught) {
    feed?.abandon();
    // `--out -` to a stdout that failed (a full disk, /dev/full): exit 7, not an internal error.
    const error = output.kind === 'stream' ? stdoutError(caught) : caught;
    await blameProxy(error, settings.proxy);
    const exitCode = error instanceof TkfError ? error.exitCode : EXIT.internal;
    // A file export that failed after some pages keeps them in its checkpoint (not --update's):
    // what --resume will find is what the checkpoint on disk counts, which may lag the pages
    // written (a full disk stops the checkpoint before the rows), so it is read back, not guessed.
    const saved = output.kind === 'file' && !open ? await savedCheckpoint(output.path) : undefined;
    addNextStep(error, { uid, savedRows: saved?.rows });
    return {
      uid,
      exit_code: exitCode,
      complete: false,
      // A stopped file export keeps what its checkpoint holds, from earlier runs too; a failed
      // update leaves the file as it was (the new rows it had fetched are not in it).
      rows: fileRows ?? saved?.rows ?? Math.max(rows, resumed.rows),
      requests: client.requests,
      requests_total: Math.max(requests, resumed.requests + client.requests),
      file: null,
      end: null,
      total: total ?? null,
      error: redact(error instanceof Error ? error.message : String(error), access.token),
      cause: error,
      elapsedMs: Date.now() - started,
    };
  }
}

/** The checkpoint a --resume of this file would start from; undefined when there is none (or it cannot be read). */
async function savedCheckpoint(path: string): Promise<Checkpoint | undefined> {
  return readCheckpoint(outputPaths(path).checkpoint).catch(() => undefined);
}

/** One warning line when this run paid for more than twice the pages its followers need. */
export function describeLostEffort(outcome: UserOutcome): string | undefined {
  const lost = outcome.lost_effort;
  if (!lost) return undefined;
  return (
    `warning: ${formatCount(lost.requests)} requests for followers that fit in ${formatCount(lost.pages_needed)} page${lost.pages_needed === 1 ? '' : 's'}: ` +
    `the API repeated itself (pages with few new followers, a cursor that barely moves); the requests were paid for`
  );
}

/** The last line of a successful export, and what it could not reach. */
export function summarize(outcome: UserOutcome, limit: number | undefined): string {
  return summarizeRows(outcome, limit) + describeIncompleteSeconds(outcome.incomplete_seconds ?? []);
}

/**
 * The API pages by whole seconds; where a second held more followers than a page and the API
 * answered it with the same page again, the rest of that second was out of reach. How many
 * followers that was cannot be known, so no number is given.
 */
export function describeIncompleteSeconds(seconds: readonly number[]): string {
  if (seconds.length === 0) return '';
  const shown = seconds.slice(0, 3).join(', ') + (seconds.length > 3 ? ', ...' : '');
  const which = seconds.length === 1 ? `1 second (cursor ${shown}) held` : `${seconds.length} seconds (cursors ${shown}) held`;
  return `; ${which} more followers than the API would page through: some of them could not be reached (how many is unknown)`;
}

function summarizeRows(outcome: UserOutcome, limit: number | undefined): string {
  const rows = formatCount(outcome.rows);
  const where = outcome.file ? `; file: ${outcome.file}` : '';
  // `requests` are this run's, like the time; after --resume the export's total follows.
  const thisRun = outcome.requests;
  const inAll = outcome.resumedRequests !== undefined ? ` this run (${formatCount(outcome.requests_total ?? thisRun)} in all)` : '';
  const cost = `${requests(thisRun)}${inAll} in ${formatDuration(outcome.elapsedMs)}${where}`;
  const duplicates = outcome.result?.duplicates ?? 0;
  const dupes = duplicates ? `, ${plural(duplicates, 'repeat')} skipped` : '';
  const total = outcome.total ?? undefined;
  if (outcome.result?.alreadyComplete) {
    return `${outcome.file} is already complete (${followers(outcome.rows)}): nothing to resume`;
  }
  if (outcome.added !== undefined) {
    return `added ${plural(outcome.added, 'new follower')} on top of ${formatCount(outcome.rows - outcome.added)} (${cost})`;
  }
  if (outcome.end === 'limit') return `exported ${followers(outcome.rows)} (--limit ${limit}); ${cost}${dupes}`;
  if (outcome.short && outcome.expected !== undefined) {
    const percent = Math.floor((100 * outcome.rows) / outcome.expected);
    return (
      `exported only ${formatCount(outcome.rows)} of the ${formatCount(outcome.expected)} followers the API should serve (${percent}%): ` +
      `the list ended there twice; the API may be throttling or broken; the file is kept; ${cost}${dupes}`
    );
  }
  if (total !== undefined && total > outcome.rows) {
    const why =
      outcome.end === 'cap'
        ? 'the API serves no more (TikTok limits how deep follower lists go)'
        : outcome.incomplete_seconds?.length
          ? 'the list ended there'
          : 'the list ended there (banned and deleted accounts are not listed)';
    return `exported ${rows} of ${followers(total)}: ${why}; ${cost}${dupes}`;
  }
  return `exported ${followers(outcome.rows)}; ${cost}${dupes}`;
}
