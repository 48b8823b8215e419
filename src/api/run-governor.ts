/**
 * What governs a run as a whole, shared by every account and every worker of it (rclone's single
 * pacer is the model): the pace (--rate, --delay), the request budget (--max-requests), the
 * waits before a retry and after "too many requests", the limit on waiting (--max-wait), and
 * "the token is dead". It is the one place of the retry/backoff policy: the client asks it how
 * long to wait and never computes a wait itself.
 *
 * Every request of the run asks `acquire()` first. It waits until
 *   - the run-wide pause (set by an HTTP 429 or a body code 429) is over, and
 *   - the slot the pacer gives it has come (one slot every 1000 / rate ms, at least --delay apart),
 * and refuses, by throwing, once the budget is spent, the token was refused or the run waited on
 * a throttling API for longer than --max-wait. An account never owns any of this: it owns only
 * its cursor and its file.
 *
 * Throttling is answered as TCP's congestion control and rclone's pacer answer a signal: cut on
 * it (multiplicatively), grow back steadily (in TCP CUBIC's shape). The first 429 of a burst pauses every worker for its
 * Retry-After and sets the pace to 80% of the rate at which answers were getting through just
 * before it (what the API evidently allowed then); from the end of the pause the pace climbs back
 * to that rate within RECOVER_MS and keeps climbing until it no longer binds (see CUT_TO). So a
 * passing 429 costs its Retry-After and a short slow-down, and a run under a steady limit
 * settles just below the limit, meeting it again only every several seconds. 429s of requests sent
 * before the cut only extend the pause. A 429 with (almost) nothing accepted to measure (the
 * first requests of a run, the first after a pause) pauses without cutting: there is no evidence
 * of what the API allows; nor is there in the run's first second (its start, not its pace), so
 * its first 429 there pauses without cutting too.
 */
import { BudgetSpentError, RunStoppedError, WaitLimitError, ownWords, type TkfError } from '../errors.js';
import { sleep as defaultSleep } from '../sleep.js';
import type { StopSignal } from '../stop-signal.js';

export interface GovernorOptions {
  /** Requests per second for the whole run (--rate); undefined: as fast as the workers go. */
  rate?: number;
  /** At least this long between the starts of two requests of the run (--delay). */
  minIntervalMs?: number;
  /** Requests the run may send in all (--max-requests); then BudgetSpentError. */
  maxRequests?: number;
  /**
   * The most the run waits on the API (--max-wait): the longest single retry wait, and the
   * longest the run stays throttled (429s since the last answer that got through, run-wide)
   * before it stops with WaitLimitError (exit 8, resumable). Default DEFAULT_MAX_WAIT_MS.
   */
  maxWaitMs?: number;
  /** Upper bound of the first retry's wait; doubled each retry (--backoff). Default 1000. */
  retryBaseMs?: number;
  /** Injected for tests. */
  now?: () => number;
  sleep?: (ms: number, signal?: StopSignal) => Promise<void>;
  random?: () => number;
}

/** --max-wait's default: ten minutes of throttling in a row, then the run stops (resumable). */
export const DEFAULT_MAX_WAIT_MS = 600_000;
/** A 429 without Retry-After waits --backoff, doubled each 429 in a row, at most this. */
const MAX_THROTTLE_BACKOFF_MS = 60_000;

/**
 * The cut on a 429, and the climb back, shaped as TCP CUBIC's: fast at first, levelling off as it
 * nears the rate it was cut from (reached after RECOVER_MS), then probing above it, faster and
 * faster, until it no longer binds. Under a steady limit the pace spends most of its time just
 * under the limit; after a passing 429 it is back within seconds.
 */
const CUT_TO = 0.8;
const RECOVER_MS = 6000;
const MIN_RATE = 0.2;
/**
 * The rate is the answers accepted in the last second, or, when the run (or the time since the
 * last pause) is younger than that, the answers since then over the time since then: a run cut
 * after 20 answers in its first 0.25 s was going at 80 a second, not 20.
 */
const WINDOW_MS = 1000;
const MIN_SPAN_MS = 10;
/**
 * Fewer answers than this are no evidence of a rate (one answer between two 429s says nothing of
 * the pace the API allows): such a 429 pauses without cutting. A limit under 3 a second is
 * therefore not learned; --rate sets it.
 */
const MIN_EVIDENCE = 3;
/** A learned pace this far above the rate it was cut from no longer binds: it is dropped. */
const UNBOUND = 2;

/**
 * The run's one backoff, for every wait before asking again (a failed request's retry, a page
 * that did not move the walk on): full jitter, a random wait below `baseMs` (--backoff) doubled
 * each step (step 0 first), at most `capMs`. Random spreads the workers of a run (and the runs of
 * a cron) that failed together, so they do not ask again together.
 */
export function backoffWait(baseMs: number, step: number, random: () => number, capMs = Infinity): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.min(step, 20)));
}

export class RunGovernor {
  /** Requests sent by this run (attempts, retries included: each one is paid for). */
  requests = 0;
  /** Answers that said "too many requests" (HTTP 429 or body code 429). */
  throttled = 0;
  /** Milliseconds the run paused for 429s in all. */
  pausedMs = 0;
  /** Set once the API refused the token (or the quota is spent): every later acquire() throws. */
  stoppedBy: RunStoppedError | undefined;
  readonly maxWaitMs: number;
  private nextSlot = -Infinity;
  private lastStart = -Infinity;
  private pausedUntil = -Infinity;
  /** The pace found by throttling, in requests per second; undefined when none binds. */
  private learnedRate: number | undefined;
  /** The rate cut from and the rate cut to, and when the climb back began (the pause's end). */
  private cutFrom = 0;
  private cutTo = 0;
  private lastChange = -Infinity;
  private climbFrom = Infinity;
  /** Start times of the answers accepted in the last second, to tell what the API allows. */
  private accepted: number[] = [];
  /**
   * Retry waits (after a 5xx, a reset, a broken body) of about the last second: time in which
   * answers were held up by a failure, not by the API's pace (see acceptedRate).
   */
  private waits: Array<{ from: number; to: number }> = [];
  /** Answers accepted before this (the run's start, a pause's end) say nothing of the pace after it. */
  private windowStart: number | undefined;
  /** When the run began to be throttled without an answer getting through since. */
  private throttledSince: number | undefined;
  /** The run's first request's start. */
  private runStart: number | undefined;
  /** When a 429 in the run's first second paused it without cutting (see throttle): once a run. */
  private startPause: number | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: StopSignal) => Promise<void>;
  private readonly random: () => number;

  constructor(readonly options: GovernorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  }

  /** The pace in force, in requests per second (Infinity: none). */
  get rate(): number {
    return Math.min(this.options.rate ?? Infinity, this.learnedRate ?? Infinity);
  }

  /** True once no further request will be allowed (budget spent, token refused). */
  get stopped(): boolean {
    return this.stoppedBy !== undefined || this.budgetSpent;
  }

  /** Milliseconds of the pause in force (0: none): what every request of the run waits first. */
  get pauseLeftMs(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }

  private get budgetSpent(): boolean {
    return this.options.maxRequests !== undefined && this.requests >= this.options.maxRequests;
  }

  private interval(): number {
    return Math.max(this.options.minIntervalMs ?? 0, 1000 / this.rate);
  }

  private check(): void {
    if (this.stoppedBy) throw new RunStoppedError(`stopped: ${this.stoppedBy.reason}`, this.stoppedBy.exitCode, this.stoppedBy.reason);
    if (this.budgetSpent) {
      throw new BudgetSpentError(`stopped after ${this.requests} request${this.requests === 1 ? '' : 's'} of this run (--max-requests ${this.options.maxRequests})`);
    }
  }

  /** Waits for this request's turn; resolves with its start time. Throws when the run may send no more. */
  async acquire(signal?: StopSignal): Promise<number> {
    for (;;) {
      this.check();
      const now = this.now();
      const slot = Math.max(now, this.nextSlot, this.pausedUntil);
      this.nextSlot = slot + this.interval();
      if (slot > now) {
        await this.sleep(slot - now, signal);
        // A pause that began while this request waited for its slot, and lasts past it: wait for it too.
        if (this.pausedUntil > slot) continue;
        // A timer that fired late (a busy event loop) must not let requests bunch up: keep the
        // gap from the request actually sent last.
        if (this.now() - slot > 1) {
          for (let short = this.lastStart + this.interval() - this.now(); short > 1; short = this.lastStart + this.interval() - this.now()) {
            await this.sleep(short, signal);
          }
        }
        this.check();
      }
      this.requests++;
      this.lastStart = this.now();
      this.windowStart ??= this.lastStart;
      this.runStart ??= this.lastStart;
      return this.lastStart;
    }
  }

  /** An answer that was not "too many requests": counts towards what the API evidently allows. */
  accept(sentAt: number): void {
    const now = this.now();
    this.throttledSince = undefined;
    this.accepted.push(sentAt);
    while (this.accepted.length && this.accepted[0]! < now - WINDOW_MS) this.accepted.shift();
    if (this.learnedRate === undefined || now <= this.climbFrom) return;
    // rate(t) = from + (from - to) * ((t - K) / K)^3: `to` at t = 0, `from` at t = K, then above.
    const x = (now - this.climbFrom) / RECOVER_MS - 1;
    this.learnedRate = Math.max(MIN_RATE, this.cutFrom + (this.cutFrom - this.cutTo) * x * x * x);
    const unbound = this.learnedRate >= this.cutFrom * UNBOUND;
    if (unbound || (this.options.rate !== undefined && this.learnedRate >= this.options.rate)) this.learnedRate = undefined;
  }

  /**
   * The wait before retry `step` (0 for the first) of a failed request (5xx, reset, broken body):
   * full jitter, a random wait below --backoff doubled each retry (at most --max-wait), and never
   * less than the server's Retry-After. The caller refuses a Retry-After above maxWaitMs itself.
   */
  retryWait(step: number, retryAfterMs: number | undefined): number {
    const drawn = backoffWait(this.options.retryBaseMs ?? 1000, step, this.random, this.maxWaitMs);
    const waitMs = retryAfterMs === undefined ? drawn : Math.max(drawn, retryAfterMs);
    const now = this.now();
    this.waits = this.waits.filter((wait) => wait.to >= now - WINDOW_MS);
    this.waits.push({ from: now, to: now + waitMs });
    return waitMs;
  }

  /**
   * "Too many requests": every worker pauses, and the pace drops (once per burst). The pause is
   * the Retry-After as sent (the server says when; growing past it only loses time; one shorter
   * than --backoff grows from the second 429 in a row on), or without
   * one --backoff doubled for each 429 in a row of this request (`inARow`, 0 first), at most a
   * minute. Returns the pause; throws WaitLimitError, and stops the run, when the run would be
   * throttled for longer than --max-wait without an answer getting through.
   */
  throttle(retryAfterMs: number | undefined, sentAt: number, inARow = 0): number {
    this.throttled++;
    const now = this.now();
    const base = this.options.retryBaseMs ?? 1000;
    const backoff = (n: number) => Math.min(MAX_THROTTLE_BACKOFF_MS, base * 2 ** Math.min(n, 16));
    // A Retry-After shorter than --backoff (0, or a date already past) is taken once; on the next
    // 429s in a row of this request it grows as the backoff would (0, 1, 2, 4 s...), or a server
    // that always says 0 is asked thousands of times a second.
    const waitMs = retryAfterMs === undefined ? backoff(inARow) : retryAfterMs < base && inARow > 0 ? Math.max(retryAfterMs, backoff(inARow - 1)) : retryAfterMs;
    this.throttledSince ??= now;
    if (now + waitMs - this.throttledSince > this.maxWaitMs) {
      const limit = `--max-wait ${Math.ceil(this.maxWaitMs / 1000)} s`;
      const error = new WaitLimitError(
        waitMs > this.maxWaitMs
          ? `the API asked to wait ${Math.ceil(waitMs / 1000)} s (Retry-After), longer than ${limit} allows`
          : // How long it has been, not rounded up (4.1 s was said as 5 s).
            `the API has answered "too many requests" for ${seconds(now - this.throttledSince)} s without letting a request through, and waiting ${seconds(waitMs)} s more would pass ${limit}`,
      );
      this.stop(error);
      throw error;
    }
    const until = now + waitMs;
    if (until > this.pausedUntil) {
      this.pausedMs += until - Math.max(now, this.pausedUntil);
      this.pausedUntil = until;
    }
    if (sentAt <= this.lastChange) return waitMs; // sent at the old pace: already accounted for
    if (this.startPause !== undefined && sentAt <= this.startPause) return waitMs; // sent before that pause: it only extends it
    // The run's first 429 in its first second: what got through until then was the run starting
    // (every worker's first request, connections opening, the API's caches warming), not the pace
    // the API allows. A batch whose 20th request was throttled measured 190 answers a second, was
    // cut to 150 and went at a third of its pace (460) for 15 s: 16 s for a 6 s run. Such a 429
    // pauses the run without cutting; if the API does hold the pace down, its next 429 (after the
    // pause) cuts, measured from the pause's end.
    if (this.startPause === undefined && this.runStart !== undefined && sentAt - this.runStart < WINDOW_MS) {
      this.startPause = now;
      this.windowStart = this.pausedUntil;
      return waitMs;
    }
    // One cut per RECOVER_MS at most (as TCP cuts once per round trip): a 429 that comes while the
    // pace is still climbing back from the last cut pauses the run, and the pause is the slow-down.
    // Passing 429s every second or so (a busy gateway, the simulator's --fault-rate) otherwise cut
    // the pace again and again before it could climb back. Under a steady limit the pauses hold
    // the run to the limit meanwhile, and the next cut comes a few seconds later.
    if (now - this.lastChange < RECOVER_MS) return waitMs;
    const measured = this.acceptedRate(sentAt);
    this.windowStart = this.pausedUntil;
    // Too little got through since the run began or the last pause to tell what the API allows
    // now (and the pace is already cut if a pause came first): the pause alone.
    if (measured === undefined) return waitMs;
    const from = Math.min(this.rate, measured);
    this.learnedRate = Math.max(MIN_RATE, from * CUT_TO);
    this.cutFrom = from;
    this.cutTo = this.learnedRate;
    this.lastChange = now;
    this.climbFrom = this.pausedUntil;
    return waitMs;
  }

  /**
   * The pace at which answers were getting through when the throttled request was sent: those
   * sent in the second before it (since the run began or the last pause ended, if later), over
   * that time less the retry waits in it. Undefined with fewer than MIN_EVIDENCE of them.
   *
   * Why less the retry waits: a walk that waited 700 ms to retry a 502 got few answers in that
   * second because it was not asking, not because the API held it back. Counting that time cut
   * the pace after a passing 429 to a few requests a second, below what the API had accepted, and
   * with another 429 every few seconds it never climbed back (issue 21: the simulator's
   * --fault-rate 0.1, a 20,000-follower export in 3 min 27 s instead of about 1 min of waits).
   * With several workers one worker's wait does not hold the others up, so this can only make the
   * cut gentler; the next 429 cuts again if the API really allows less.
   */
  private acceptedRate(sentAt: number): number | undefined {
    const since = Math.max(sentAt - WINDOW_MS, this.windowStart ?? sentAt);
    const count = this.accepted.filter((t) => t >= since && t < sentAt).length;
    if (count < MIN_EVIDENCE) return undefined;
    return (count * 1000) / Math.max(sentAt - since - this.waitedWithin(since, sentAt), MIN_SPAN_MS);
  }

  /**
   * Milliseconds of [from, to) covered by retry waits (overlapping waits of several workers once).
   * `waits` is in the order the waits began (each begins at the clock's now), as this walk needs.
   */
  private waitedWithin(from: number, to: number): number {
    let covered = 0;
    let reached = from;
    for (const wait of this.waits) {
      const start = Math.max(wait.from, reached);
      const end = Math.min(wait.to, to);
      if (end > start) {
        covered += end - start;
        reached = end;
      }
    }
    return covered;
  }

  /** The API refused the token (or the quota is spent): no account of this run may send more. */
  stop(reason: TkfError): void {
    // A copy, in the error's own words: the account whose request was refused (or whose file met
    // a full disk) adds its own next steps to its error, and those must not reach the messages of
    // every other account of the run, nor its last line (which says --resume once).
    this.stoppedBy ??= new RunStoppedError(ownWords(reason), reason.exitCode);
  }
}

/** A duration in seconds as said: tenths below ten seconds (4.1), whole ones above (12), never rounded up. */
function seconds(ms: number): string {
  return ms < 10_000 ? (Math.floor(ms / 100) / 10).toFixed(1) : String(Math.floor(ms / 1000));
}
