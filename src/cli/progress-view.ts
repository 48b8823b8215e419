/**
 * What a progress display says, worked out once for the terminal bar, the plain lines off a
 * terminal and each bar of a batch, so the three cannot disagree.
 *
 * Honest by construction:
 * - the goal is what the API will serve (expectedRows: min(total, the depth cap, --limit)), not
 *   the profile's count, which a capped list never reaches; no goal is claimed when none is known;
 * - the rate and the ETA count only this run's rows: rows already in a resumed file were not
 *   fetched now, and counting them would inflate the rate and shrink the ETA.
 */
import type { RetryNotice } from '../api/client.js';
import { expectedRows } from '../api/list-facts.js';
import { formatCount, signedCount } from '../count-text.js';

export interface PageUpdate {
  /** Rows in the output so far (a resumed file's rows included). */
  rows: number;
  /** Requests of the export so far (a resumed run's included). */
  requests: number;
  /** The profile's follower count, as the API reported it. */
  total: number | undefined;
  /** Rows and requests of this run alone; default: all of them. */
  runRows?: number;
  runRequests?: number;
  /** Rows the walk will end with (list-facts' expectedRows), null when unknown; default: from total. */
  goal?: number | null;
}

export interface ProgressView {
  rows: number;
  /** Requests of this run. */
  requests: number;
  /** Rows that were in the file before this run. */
  resumedRows: number;
  total: number | undefined;
  goal: number | undefined;
  /** Rows a second, this run's rows over this run's time. */
  rate: number;
  /** Time left at that rate, when there is a goal and a rate. */
  etaMs: number | undefined;
}

export { formatCount, signedCount };

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Time left, in whole seconds below a minute ("12 s"), else as formatDuration. */
export function formatEta(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '--';
  if (ms < 60_000) return `${Math.ceil(ms / 1000)} s`;
  return formatDuration(ms);
}

/**
 * This run's rows a second. Measured from the first page on once a second has passed (the time
 * before it, spent starting up and waiting for the first answer, would drag the early rate
 * down and the ETA up), from the start before that.
 */
export class RateMeter {
  private first: { time: number; rows: number } | undefined;
  /** Whether the last rate was measured from the first page on (good enough for an ETA). */
  measured = false;
  constructor(private started: number) {}

  restart(time: number): void {
    this.started = time;
    this.first = undefined;
    this.measured = false;
  }

  rate(update: PageUpdate, time: number): number {
    const rows = update.runRows ?? update.rows;
    this.first ??= { time, rows };
    const since = time - this.first.time;
    this.measured = since >= 1000 && rows > this.first.rows;
    if (this.measured) return ((rows - this.first.rows) / since) * 1000;
    return rows / Math.max((time - this.started) / 1000, 0.001);
  }
}

/**
 * `measured`: the rate is good enough for an ETA (else the ETA is not guessed yet). `waitLeftMs`:
 * what is left of a wait in progress (a 429's pause, a retry's backoff), added to the ETA: no
 * page comes before it ends. Waits already over are in the rate, measured over wall time.
 */
export function viewOf(update: PageUpdate, rate: number, measured = true, waitLeftMs = 0): ProgressView {
  const runRows = update.runRows ?? update.rows;
  const goal = update.goal === null ? undefined : (update.goal ?? expectedRows({ rows: update.rows, total: update.total }));
  const left = goal === undefined ? undefined : Math.max(0, goal - update.rows);
  return {
    rows: update.rows,
    requests: update.runRequests ?? update.requests,
    resumedRows: update.rows - runRows,
    total: update.total,
    goal,
    rate,
    etaMs: left === undefined ? undefined : left === 0 ? 0 : rate > 0 && measured ? (left / rate) * 1000 + waitLeftMs : undefined,
  };
}

/** What the count is not: "2,000 resumed, 8,229,668 on the profile". */
function notes(view: ProgressView): string {
  const parts: string[] = [];
  if (view.resumedRows > 0) parts.push(`${formatCount(view.resumedRows)} resumed`);
  if (view.total !== undefined && view.total !== view.goal) parts.push(`${formatCount(view.total)} on the profile`);
  return parts.join(', ');
}

const requestsText = (view: ProgressView) => `${formatCount(view.requests)} request${view.requests === 1 ? '' : 's'}`;

/**
 * One plain line: "2,000 of 5,000 followers (8,229,668 on the profile), 100 requests, 290 followers/s,
 * about 11 s left"; after --resume the requests are this run's and say so.
 */
export function plainLine(view: ProgressView): string {
  const counts = view.goal === undefined ? `${formatCount(view.rows)} followers` : `${formatCount(view.rows)} of ${formatCount(view.goal)} followers`;
  const note = notes(view);
  const left = view.goal !== undefined && view.etaMs !== undefined ? `, about ${formatEta(view.etaMs)} left` : '';
  const thisRun = view.resumedRows > 0 ? ' this run' : '';
  // "followers/s": after the request count, a bare "/s" read as requests a second.
  return `${counts}${note ? ` (${note})` : ''}, ${requestsText(view)}${thisRun}, ${formatCount(Math.round(view.rate))} followers/s${left}`;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * The terminal line: a bar towards the goal with the ETA, or, with no goal known, a spinner and
 * counts (a bar towards a made-up goal would be a lie). The notes come last: a narrow terminal
 * cuts the line's end.
 */
export function barLine(view: ProgressView, options: { barsize: number; now: number; status: string }): string {
  const rate = ` | ${formatCount(Math.round(view.rate))}/s`;
  const note = notes(view);
  const tail = `${options.status ? ` | ${options.status}` : ''}${note ? ` | ${note}` : ''}`;
  if (view.goal === undefined) {
    const frame = SPINNER[Math.floor(options.now / 80) % SPINNER.length];
    return `${frame} ${formatCount(view.rows)} followers${rate} | ${requestsText(view)}${tail}`;
  }
  const filled = view.goal > 0 ? Math.round((Math.min(view.rows, view.goal) / view.goal) * options.barsize) : options.barsize;
  const bar = '\u2588'.repeat(filled) + '\u2591'.repeat(options.barsize - filled);
  return `${bar} ${formatCount(view.rows)}/${formatCount(view.goal)} followers${rate} | ETA ${formatEta(view.etaMs)} | ${requestsText(view)}${tail}`;
}

/** A retry or a throttled wait as it begins (tkf export's progress, tkf info's stderr). */
export function retryLine(n: RetryNotice): string {
  return n.throttled
    ? `${n.reason} at cursor ${n.cursor}; the run waits ${formatDuration(n.waitMs)} (--max-wait)`
    : `${n.reason} at cursor ${n.cursor}; retry ${n.attempt}/${n.retries} in ${formatDuration(n.waitMs)}`;
}
