/**
 * What governs a run as a whole, shared by every account and every worker of it (rclone's single
 * pacer is the model): the pace (--rate, --delay), the request budget (--max-requests), the
 * pause after "too many requests", and "the token is dead".
 *
 * Every request of the run asks `acquire()` first. It waits until
 *   - the run-wide pause (set by an HTTP 429 or a body code 429) is over, and
 *   - the slot the pacer gives it has come (one slot every 1000 / rate ms, at least --delay apart),
 * and refuses, by throwing, once the budget is spent or the token was refused. An account never
 * owns any of this: it owns only its cursor and its file.
 *
 * Throttling lowers the pace instead of failing accounts: the first 429 of a burst sets the pace
 * to 80% of the answers the API accepted in the last second (what it evidently allows), and the
 * pace creeps back up by 5% every 5 s without a 429, so a run without --rate settles just below
 * the API's limit. 429s of requests sent before the pace was lowered only extend the pause.
 */
import { BudgetSpentError, RunStoppedError, type TkfError } from '../errors.js';
import { sleep as defaultSleep } from '../sleep.js';

export interface GovernorOptions {
  /** Requests per second for the whole run (--rate); undefined: as fast as the workers go. */
  rate?: number;
  /** At least this long between the starts of two requests of the run (--delay). */
  minIntervalMs?: number;
  /** Requests the run may send in all (--max-requests); then BudgetSpentError. */
  maxRequests?: number;
  /** Injected for tests. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** How far the pace drops on a 429, and how it recovers. */
const LOWER_TO = 0.8;
const RAISE_BY = 1.05;
const RAISE_EVERY_MS = 5000;
const MIN_RATE = 0.2;

export class RunGovernor {
  /** Requests sent by this run (attempts, retries included: each one is paid for). */
  requests = 0;
  /** Answers that said "too many requests" (HTTP 429 or body code 429). */
  throttled = 0;
  /** Set once the API refused the token (or the quota is spent): every later acquire() throws. */
  stoppedBy: TkfError | undefined;
  private nextSlot = -Infinity;
  private lastStart = -Infinity;
  private pausedUntil = -Infinity;
  /** The pace found by throttling, in requests per second; undefined until the first 429. */
  private learnedRate: number | undefined;
  private lastChange = -Infinity;
  /** Start times of the answers accepted in the last second, to tell what the API allows. */
  private accepted: number[] = [];
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(readonly options: GovernorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** The pace in force, in requests per second (Infinity: none). */
  get rate(): number {
    return Math.min(this.options.rate ?? Infinity, this.learnedRate ?? Infinity);
  }

  /** True once no further request will be allowed (budget spent, token refused). */
  get stopped(): boolean {
    return this.stoppedBy !== undefined || this.budgetSpent;
  }

  private get budgetSpent(): boolean {
    return this.options.maxRequests !== undefined && this.requests >= this.options.maxRequests;
  }

  private interval(): number {
    return Math.max(this.options.minIntervalMs ?? 0, 1000 / this.rate);
  }

  private check(): void {
    if (this.stoppedBy) throw new RunStoppedError(`stopped: ${this.stoppedBy.message}`, this.stoppedBy.exitCode);
    if (this.budgetSpent) {
      throw new BudgetSpentError(`stopped after ${this.requests} requests of this run (--max-requests ${this.options.maxRequests})`);
    }
  }

  /** Waits for this request's turn; resolves with its start time. Throws when the run may send no more. */
  async acquire(signal?: AbortSignal): Promise<number> {
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
      return this.lastStart;
    }
  }

  /** An answer that was not "too many requests": counts towards what the API evidently allows. */
  accept(sentAt: number): void {
    const now = this.now();
    this.accepted.push(sentAt);
    while (this.accepted.length && this.accepted[0]! < now - 1000) this.accepted.shift();
    if (this.learnedRate !== undefined && now - this.lastChange >= RAISE_EVERY_MS) {
      this.learnedRate *= RAISE_BY;
      this.lastChange = now;
      if (this.options.rate !== undefined && this.learnedRate >= this.options.rate) this.learnedRate = undefined;
    }
  }

  /** "Too many requests": every worker pauses for `waitMs`, and the pace drops (once per burst). */
  throttle(waitMs: number, sentAt: number): void {
    this.throttled++;
    const now = this.now();
    this.pausedUntil = Math.max(this.pausedUntil, now + waitMs);
    if (sentAt <= this.lastChange) return; // sent at the old pace: already accounted for
    const allowed = this.accepted.filter((t) => t >= now - 1000).length;
    const current = Number.isFinite(this.rate) ? this.rate : allowed || 1;
    this.learnedRate = Math.max(MIN_RATE, Math.min(current, allowed || current) * LOWER_TO);
    this.lastChange = now;
  }

  /** The API refused the token (or the quota is spent): no account of this run may send more. */
  stop(reason: TkfError): void {
    // A copy: the account whose request was refused adds its own next steps to its error, and
    // those must not reach the messages of every other account of the run.
    this.stoppedBy ??= new RunStoppedError(reason.message, reason.exitCode);
  }
}
