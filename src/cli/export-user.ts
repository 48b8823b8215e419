/**
 * One user's export as the CLI shows it: the engine's runAccount (src/export/run-account.ts) with
 * its events rendered on a Progress (started and stopped by them; the bar, plain lines, --verbose's requests), its failures
 * given their next step, and the last line of a successful export.
 */
import { ShortListError, redact } from '../errors.js';
import { endOfList } from '../diff/reach.js';
import type { AccountEvent } from '../export/events.js';
import { newFollowersKept } from '../output/checkpoint.js';
import { runAccount, type AccountOutcome, type AccountSettings } from '../export/run-account.js';
import type { OutputTarget } from '../export/run-export.js';
import { isRunning, lockOwner, type Access } from './api-access.js';
import { addNextStep } from './failure-hints.js';
import { formatCount, formatDuration, retryLine, type Progress } from './progress.js';
import { stdoutError } from './stdout-errors.js';
import { blameProxy, type ProxySetting } from './proxy-check.js';
import { followers, plural, requests } from './plural.js';

export interface RunSettings extends AccountSettings {
  access: Access;
  /** The proxy the client goes through, if any: blamed by name when it is the one that fails. */
  proxy?: ProxySetting;
  verbose: boolean;
  /** --force was given: a failure's --resume hint says to leave it out (they do not go together). */
  force?: boolean;
  /** --max-requests: a budget spent inside a tied second it cannot get past is said so. */
  maxRequests?: number;
}

export type UserOutcome = AccountOutcome;

export async function exportUser(
  uid: string,
  output: OutputTarget,
  settings: RunSettings,
  progress: Progress,
  onWalked?: () => void,
  options: { waitForHeldOutputs?: boolean } = {},
): Promise<UserOutcome> {
  let pendingStart: AccountEvent | undefined;
  const outcome = await runAccount(uid, output, settings, {
    onWalked,
    waitForHeldOutputs: options.waitForHeldOutputs,
    owner: lockOwner(),
    isRunning,
    onEvent: (event) => {
      // The spinner's line waits for the walk's first step (a request, a lock to wait for, a
      // resume): a refusal before any (an --out that exists, a directory that cannot be written)
      // is said alone, not after "exporting the followers of ...". Not for --update, which reads
      // its file first (seconds for a large one), with the spinner turning.
      if (event.type === 'started' && !(output.kind === 'file' && output.update)) {
        pendingStart = event;
        return;
      }
      if (pendingStart && event.type !== 'finished') render(pendingStart, settings, progress);
      pendingStart = undefined;
      render(event, settings, progress);
    },
    explainFailure: async (caught, facts) => {
      // `--out -` to a stdout that failed (a full disk, /dev/full): exit 7, not an internal error.
      const error = facts.output.kind === 'stream' ? stdoutError(caught) : caught;
      await blameProxy(error, settings.proxy);
      addNextStep(error, {
        uid: facts.uid,
        savedRows: facts.savedRows,
        savedNew: facts.savedNew,
        force: settings.force,
        ...(facts.reenterPages !== undefined && settings.maxRequests !== undefined ? { tiedSecond: { pages: facts.reenterPages, budget: settings.maxRequests } } : {}),
      });
      return error;
    },
  });
  if (outcome.short) {
    // The file is published as usual; the last line says what is missing.
    const line = summarize(outcome, settings.job.limit, settings.record !== undefined);
    Object.assign(outcome, { error: line, cause: new ShortListError(line) });
  }
  return outcome;
}

/** An engine event as the user sees it. */
function render(event: AccountEvent, settings: RunSettings, progress: Progress): void {
  const verbose = (text: string) => {
    if (settings.verbose) progress.log(redact(text, settings.access.token));
  };
  switch (event.type) {
    case 'started':
      // What the spinner says until the first page (a batch's line has its own "starting").
      progress.start(`exporting the followers of ${event.uid}${settings.access.simulator ? ' from the built-in simulator' : ''}...`);
      return;
    case 'finished':
      // Removes the animation: the summary line follows (export-command.ts, batch-report.ts).
      progress.stop();
      return;
    case 'request': {
      const base = settings.access.baseUrl.replace(/\/+$/, '');
      verbose(`GET ${base}/tk/user/followers uid=${event.uid} cursor=${event.cursor}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`);
      return;
    }
    case 'retry':
      progress.waiting(retryLine(event.notice), event.notice.waitMs);
      return;
    case 'waiting': {
      const n = event.notice;
      progress.waiting(`${n.reason} at cursor ${n.cursor}; asking again (${n.attempt}/${n.retries}) in ${formatDuration(n.waitMs)}`, n.waitMs);
      return;
    }
    case 'lock-held':
      progress.log(`another tkf (pid ${event.pid} on ${event.host}) is writing this account: waiting for it to finish (--resume then finds it complete)`);
      return;
    case 'lock-wait':
      progress.log(
        event.host === undefined
          ? `${event.path} names no tkf yet (one killed while taking it leaves it so): waiting for one, or taking it over when it is 10 s old`
          : `${event.path} is held by a tkf on ${event.host}: watching it for up to 35 s (a running tkf touches its lock; one that stopped does not, and its lock is taken over)`,
      );
      return;
    case 'recorded-earlier': {
      const h = event.history;
      progress.log(`${event.path} (${h.snapshot_at}) was not yet in the history: recorded now, before this update${h.added ? ` (${plural(h.added, 'new follower')})` : ''}`);
      return;
    }
    case 'rewalk':
      progress.log(
        `the last --force walk of ${event.path} ended short (${formatCount(event.short.rows)} of the ${formatCount(event.short.expected)} followers the API should serve) and was not kept: ` +
          `walking it again from the start; ${event.path} is replaced only if this walk is complete`,
      );
      return;
    case 'resumed': {
      const c = event.checkpoint;
      const kept = newFollowersKept(c);
      progress.log(
        kept !== undefined
          ? `resuming the update of ${event.path} at cursor ${c.cursor ?? 'end'} (${plural(kept, 'new follower')} so far)`
          : `resuming ${event.path} at ${formatCount(c.rows)} rows (cursor ${c.cursor ?? 'end'})`,
      );
      return;
    }
    case 'page':
      progress.update(event.progress);
      if (event.page.duplicates) verbose(`page ${event.page.number}: ${plural(event.page.duplicates, 'repeated follower')} skipped`);
      return;
  }
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
export function summarize(outcome: UserOutcome, limit: number | undefined, recording = false): string {
  // --resume met a walk recorded into a database that no longer holds it: said before the new walk's line.
  const again = outcome.walked_again ? 'its last walk was recorded into a history database that no longer holds it (deleted or replaced since?), so it was walked again: ' : '';
  return again + summarizeRows(outcome, limit, recording) + describeIncompleteSeconds(outcome.incomplete_seconds ?? []);
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

/** `recording`: --db, so a list ended short says it was not recorded. */
function summarizeRows(outcome: UserOutcome, limit: number | undefined, recording: boolean): string {
  const rows = formatCount(outcome.rows);
  const where = outcome.file ? `; file: ${outcome.file}` : '';
  // `requests` are this run's, like the time; after --resume the export's total follows.
  const thisRun = outcome.requests;
  const inAll = outcome.resumedRequests !== undefined ? ` this run (${formatCount(outcome.requests_total ?? thisRun)} in all)` : '';
  const cost = `${requests(thisRun)}${inAll} in ${formatDuration(outcome.elapsedMs)}`;
  const duplicates = outcome.result?.duplicates ?? 0;
  // The file last: "12 requests in 1.2 s, 3 repeats skipped; file: followers.csv".
  const dupes = `${duplicates ? `, ${plural(duplicates, 'repeat')} skipped` : ''}${where}`;
  const total = outcome.total ?? undefined;
  if (outcome.result?.alreadyComplete && outcome.short && outcome.expected !== undefined) {
    return `${outcome.file ?? 'the last walk'} holds a list that ended far short (${formatCount(outcome.rows)} of the ${formatCount(outcome.expected)} followers the API should serve): nothing to resume; run the export again without --resume (with --force over a file of your own) to walk it anew`;
  }
  if (outcome.result?.alreadyComplete) {
    // --db without --out: the staging file of a walk already recorded (export-recorder.ts) is no
    // file of the user's; what they need to know is that no new snapshot was taken.
    // One whose recording failed (a database that was down) is recorded now: said so.
    if (outcome.history?.staged) {
      return outcome.history.recorded
        ? `the last walk of ${outcome.uid} was complete and not yet recorded: recorded now (${followers(outcome.rows)}); without --resume, a new walk records a new snapshot`
        : `the last walk of ${outcome.uid} is complete and recorded (${followers(outcome.rows)}): nothing to resume; without --resume, a new walk records a new snapshot`;
    }
    if (outcome.history?.recorded) {
      // An --update's file is recorded as the update it was (its new followers only): said so, not
      // as the whole file's followers.
      const h = outcome.history;
      const update = outcome.end === 'caught-up' ? `: its --update, ${plural(h.added, 'new follower')} on top of ${formatCount(outcome.rows - h.added)}` : '';
      return `${outcome.file} was complete and not yet recorded: recorded now (${followers(outcome.rows)}${update})`;
    }
    return `${outcome.file} is already complete (${followers(outcome.rows)}): nothing to resume`;
  }
  if (outcome.added !== undefined) {
    return `added ${plural(outcome.added, 'new follower')} on top of ${formatCount(outcome.rows - outcome.added)} (${cost})${where}`;
  }
  // The limit the walk stopped at, which is its rows: a --resume that finishes a walk stopped at
  // its --limit publishes it whatever this command names (it said "--limit undefined" without one).
  if (outcome.end === 'limit') return `exported ${followers(outcome.rows)} (--limit ${outcome.rows}); ${cost}${dupes}`;
  if (outcome.short && outcome.expected !== undefined) {
    const percent = Math.floor((100 * outcome.rows) / outcome.expected);
    return (
      `${outcome.result?.keptOld ? 'walked' : 'exported'} only ${formatCount(outcome.rows)} of the ${formatCount(outcome.expected)} followers the API should serve (${percent}%): ` +
      `the list ended there twice; the API may be throttling or broken; ` +
      (outcome.result?.keptOld
        ? `${outcome.result.keptOld} is left as it was (--force replaces it only with a complete export) and this walk is ${recording ? 'neither kept nor recorded in the history' : 'not kept'} (the same command walks it again, as does it with --resume in place of --force)`
        : `the file is kept${recording ? ' and not recorded in the history (a list this short would call every follower below its end gone)' : ''}`) +
      `; ${cost}${dupes}`
    );
  }
  if (total !== undefined && total > outcome.rows) {
    // Recorded in the history: how it took the end, beside the account's recent walks; else the
    // rule for an end with nothing to compare (reach.ts endOfList).
    const judged = outcome.history?.recorded ? outcome.history.list_end : undefined;
    const why =
      outcome.end === 'cap'
        ? 'the API serves no more (TikTok limits how deep follower lists go)'
        : outcome.incomplete_seconds?.length
          ? 'the list ended there'
          : judged === 'early'
            ? "the list ended there, too far below the profile's count for the history to take it for the end: it calls nobody below it gone"
            : (judged ?? endOfList(outcome.end, outcome.rows, total)) === 'early'
              ? "the list ended there, far below the profile's count: tkf diff and the history take it for the end of the list only beside walks that ended as far below"
              : 'the list ended there (banned and deleted accounts are not listed)';
    return `exported ${rows} of ${followers(total)}: ${why}; ${cost}${dupes}`;
  }
  return `exported ${followers(outcome.rows)}; ${cost}${dupes}`;
}
