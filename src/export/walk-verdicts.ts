/**
 * What the walk makes of each answer, and the state that lives across answers for it (see
 * pager.ts's head for the rules: tied seconds, re-entries, nothing new while the cursor moves, a
 * list that ends far too early). pages() asks, in this order, for each answer: sort (new, seen,
 * known followers), decide (the next cursor, or the end, or why the walk is stuck), confirmEnd
 * (a short end asked once more), track (where the next cursor stands; nothing new while moving)
 * and, when stuck, reask. Every method is synchronous and tells onStuck of a wait as it decides
 * it: the waits and requests themselves are pages()'s.
 */
import { backoffWait } from '../api/run-governor.js';
import { ApiUnavailableError } from '../errors.js';
import type { RawFollower } from '../api/types.js';
import type { EndReason, FetchedPage, Page, PagerOptions, Reentry } from './page.js';
import { SeenWindow } from './seen-window.js';

/** A cursor the API may be sent again: a positive whole number of seconds. */
export function usableCursor(value: number | undefined): value is number {
  return value !== undefined && Number.isSafeInteger(value) && value > 0;
}

function sameUids(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An answer's followers, sorted. */
export interface Sorted {
  /** The answer was set aside: it came after a failure inside a followed second (see sort). */
  lostInside: boolean;
  /** The followers of the answer (none when set aside). */
  raw: RawFollower[];
  /** Not seen before, within the limit. */
  followers: RawFollower[];
  duplicates: number;
  known: number;
  /** Of `known`, those this walk met for the first time (--update: the walk moving down the file's list). */
  knownFirst: number;
  caughtUp: boolean;
  /** The same followers as the previous answer. */
  samePage: boolean;
}

/** Where the walk goes after an answer. */
export interface Decision {
  next: number | null;
  end?: EndReason;
  /** Set when the answer did not move the walk on: asked again after a backoff. */
  stuckReason?: string;
  tiedSecond?: number;
  short?: Page['short'];
  /** The answer to a second asked once more to tell its cursor's kind (decide): nothing new is expected of it. */
  probed?: boolean;
}

/** A request after a wait (the wait is told to onStuck as it is decided): the cursor to send, and the wait. */
export interface Reask {
  send: number;
  waitMs: number;
}

export class WalkVerdicts {
  readonly limit: number;
  readonly stuckRetries: number;
  private readonly seen: SeenWindow;
  private readonly pageSize: number;
  private readonly stuckWaitMs: number;
  private readonly random: () => number;
  /** New followers yielded so far. */
  yielded = 0;
  private stuck = 0;
  /** Answers in a row that brought no follower not seen before, while the cursor moved. */
  private barren = 0;
  /**
   * --update: the file's followers this walk has met. A page that brings one met for the first
   * time moves down the file's list, which ends the walk (caughtUp) once its min_time is below
   * the file's newest: not barren. An API whose min_time is each page's newest (one follower down
   * a page) served the file's first followers one a page for the ~20 pages before that, and the
   * update stopped as stuck after four (exit 6) where a full export only warns of the requests.
   */
  private readonly knownMet = new Set<string>();
  /** The cursor was reached by stepping one second down from a tied second. */
  private stepped = false;
  /**
   * The longest answer so far: a repeated answer shorter than a page is the end of the list (or
   * the depth cap) showing through, not a second with more followers than a page.
   */
  private longest = 0;
  /** The second the next cursor is inside, when it holds more followers than a page, and its pages so far. */
  tied: Reentry | undefined;
  /** Re-walking a tied second from its start: pages of followers already seen it may still cost. */
  private reentry: { second: number; budget: number } | undefined;
  /** Re-entries since the last new follower: a failure on every page must not loop for ever. */
  private reentries = 0;
  /**
   * Re-entries after answers that came only after a failure (lostInside) allowed in a row: each
   * of them was an answer, so the API works; it only failed now and then (an API that fails every
   * time ends in the client's retries instead). 4 x (stuckRetries + 1): at stuckRetries + 1 (5),
   * the simulator failing 3 requests in 10 stopped 5,000-follower exports with exit 6 (2 runs of 2
   * with one mix of faults, 1 of 6 with another: 5 such cycles in a row at one of 250 cursors);
   * at 16 in a row, ~10^-8 a cursor. A cycle costs 2 requests.
   */
  private readonly lostInsideRetries: number;
  /** The uids of the previous answer: "the same page again" is told from a page of other seen followers. */
  private previousUids: readonly string[] = [];
  /** The previous answer was a full page of one second (min_time == max_time): that second. */
  private fullSecond: number | undefined;
  /** That full page was an answer to its own second (paging inside it: the cursor is not exclusive). */
  private fullSecondInside = false;
  /** The second asked once more to tell an exclusive cursor from a hidden offset (decide). */
  private probing: number | undefined;
  private lastTotal: number | undefined;
  /** The previous answer's min_time: the cursor a walk that follows it sends next. */
  private previousMinTime: number | undefined;
  /** The cursor whose end of the list was asked once more (a short end is confirmed once). */
  private confirmedAt: number | undefined;

  constructor(private readonly options: PagerOptions) {
    this.seen = options.seen ?? new SeenWindow();
    this.stuckRetries = options.stuckRetries ?? 3;
    this.lostInsideRetries = 4 * (this.stuckRetries + 1);
    this.stuckWaitMs = options.stuckWaitMs ?? 1000;
    this.random = options.random ?? Math.random;
    this.limit = options.limit ?? Infinity;
    this.pageSize = options.pageSize ?? 20;
  }

  /** The first cursor to send: the start, or the second to re-enter from its start on resume. */
  firstCursor(): number {
    const { reenter } = this.options;
    if (reenter && usableCursor(reenter.second)) {
      const { second, pages: walked } = reenter;
      this.tied = { second, pages: walked };
      this.reentry = { second, budget: walked + 2 };
      return second + 1;
    }
    return this.options.startCursor ?? 0;
  }

  /**
   * May the request for `next` be sent before the answer to `cursor` is parsed (pager.ts,
   * Leading)? Only while the walk is plain, so that the verdict on that answer almost surely
   * sends `next` with no wait: nothing stuck, barren, tied, stepped or re-entered; no --update
   * (its end is the file's newest follower); the cursor moving down; more than two pages from
   * the limit.
   */
  mayLead(cursor: number, next: number): boolean {
    return (
      (cursor === 0 || next < cursor) &&
      this.stuck === 0 &&
      this.barren === 0 &&
      !this.stepped &&
      this.tied === undefined &&
      this.reentry === undefined &&
      this.options.caughtUp === undefined &&
      this.options.known === undefined &&
      this.limit - this.yielded > 2 * Math.max(this.pageSize, this.longest)
    );
  }

  /** The answer's followers: new ones (within the limit), those seen before, those the file holds. */
  sort(answer: FetchedPage, cursor: number): Sorted {
    // Sent at a followed cursor, and the client had to retry: the lost answer may have moved a
    // hidden offset past followers nobody received. Whether that second held more followers than
    // the last page showed cannot be told (no follower carries its follow time), so any such
    // failure counts. This answer is set aside, and the second re-entered from its start, so the
    // followers come in the API's order: one request more, mostly of new followers.
    const lostInside = answer.afterFailure === true && cursor > 0 && cursor === this.previousMinTime;
    const raw = lostInside ? [] : (answer.followers ?? []);
    const followers: RawFollower[] = [];
    let duplicates = 0;
    let known = 0;
    let knownFirst = 0;
    for (const follower of raw) {
      if (this.yielded + followers.length >= this.limit) break;
      if (this.options.known?.(follower.uid)) {
        known++;
        if (!this.knownMet.has(follower.uid)) {
          this.knownMet.add(follower.uid);
          knownFirst++;
        }
      } else if (this.seen.add(follower.uid)) followers.push(follower);
      else duplicates++;
    }
    this.yielded += followers.length;
    // An answer set aside (lostInside) says nothing about where the walk stands.
    const caughtUp = !lostInside && (this.options.caughtUp?.({ minTime: answer.minTime, fresh: followers.length, known }) ?? false);
    this.lastTotal = answer.total ?? this.lastTotal;
    // Compared uid by uid: joined into one text a page, the join was most of sort's time (63 of its
    // ~100 profile ticks in a 100k export, ~2% of the walks' thread).
    const uids = raw.map((follower) => follower.uid);
    const samePage = raw.length > 0 && sameUids(uids, this.previousUids);
    this.previousUids = uids;
    if (followers.length > 0) this.reentries = 0;
    return { lostInside, raw, followers, duplicates, known, knownFirst, caughtUp, samePage };
  }

  /** The next cursor, or the end, or why the answer did not move the walk on. */
  decide(answer: FetchedPage, cursor: number, sorted: Sorted): Decision {
    const decision = this.verdict(answer, cursor, sorted);
    const { raw, lostInside } = sorted;
    const minTime = answer.minTime;
    // The answer's first follower was seen before (a repeat on top of it).
    const repeatOnTop = raw[0] !== sorted.followers[0];
    // The walk goes on below the answer (or, --update, it reached the file there).
    const onward = decision.next === minTime || decision.end === 'caught-up';
    // An exclusive cursor: a full page of one second, then an answer that starts below it.
    if (!lostInside && this.fullSecond !== undefined && cursor === this.fullSecond && decision.tiedSecond === undefined && raw.length > 0) {
      // Only an answer that brings followers: a page of followers seen already, below the second,
      // is an API repeating itself (a stuck one whose cursor moves: `tkf simulate --repeat-page`),
      // no evidence that the second held more; its --update, resumed against a working API,
      // read every follower and still reported the second incomplete (and --db recorded a hole).
      // Followers the file holds, met for the first time in this walk, are followers below the
      // second too: --update's newest second, then the file's list (it added 20 of 25 silently).
      if (usableCursor(answer.maxTime) && answer.maxTime < this.fullSecond) {
        if (sorted.followers.length > 0 || sorted.knownFirst > 0) decision.tiedSecond = this.fullSecond;
      } else if (
        usableCursor(minTime) &&
        onward &&
        minTime < cursor &&
        !this.fullSecondInside &&
        2 * (sorted.followers.length + sorted.knownFirst) >= this.pageSize &&
        // The second's last follower on top, seen already: the full page ended with the second.
        !(answer.maxTime === cursor && repeatOnTop)
      ) {
        // It ends below that second but its max_time does not say it starts below it: the rest of
        // the second (a hidden offset), or, from a cursor that skipped the rest, only the second's
        // last follower repeated on top (a tie at the page boundary), or an earlier follower
        // repeated there (max_time newer still). Told apart by asking the same cursor once more:
        // a hidden offset has moved on (or starts where the cursor points: new followers below);
        // an exclusive cursor answers the same followers again, and the second is reported. Only
        // when the answer brought new followers mostly (an API whose min_time barely moves
        // repeats most of each page, and would be asked every cursor twice). For --update, the
        // file's followers met for the first time count as followers below the second, and an
        // answer that reached the file is asked once more all the same.
        this.probing = cursor;
        decision.next = cursor;
        delete decision.end;
      }
    } else if (this.probing !== undefined && cursor === this.probing && !lostInside) {
      this.probing = undefined;
      decision.probed = true;
      // Nothing met for the first time: not a new follower, nor (--update) one of the file's that
      // a hidden offset served next (the rest of the second read, then the file: nothing skipped).
      if (sorted.followers.length === 0 && sorted.knownFirst === 0 && raw.length > 0 && onward && decision.tiedSecond === undefined) decision.tiedSecond = cursor;
    }
    if (cursor !== this.probing) this.probing = undefined;
    this.previousMinTime = usableCursor(minTime) ? minTime : undefined;
    // The second ask's answer is the answer before it again (nothing new): what that one found
    // stands (the next second may be tied too).
    if (!decision.probed || sorted.followers.length > 0) {
      this.fullSecondInside = cursor === minTime;
      // A full page of one second: min_time == max_time; or, with the cursor's own last follower
      // repeated on top (a tie at the page boundary: max_time the cursor), a page more below it
      // whose min_time is one second less: all of them in that second.
      const tiedBelowRepeat = answer.maxTime === cursor && minTime === cursor - 1 && raw.length > this.pageSize && repeatOnTop && sorted.followers.length >= this.pageSize;
      this.fullSecond = raw.length >= this.pageSize && usableCursor(minTime) && (answer.maxTime === minTime || tiedBelowRepeat) ? minTime : undefined;
    }
    this.longest = Math.max(this.longest, raw.length);
    return decision;
  }

  private verdict(answer: FetchedPage, cursor: number, { lostInside, raw, followers, caughtUp, samePage }: Sorted): Decision {
    const minTime = answer.minTime;
    const empty = raw.length === 0;
    if (lostInside) {
      if (++this.reentries > this.lostInsideRetries) {
        // What failed before each answer (a gateway's JSON, a reset...), which the retries said as
        // they went: the last line says it too.
        const why = answer.lastFailure === undefined ? '' : `, each answer there only after a failed try; last: ${answer.lastFailure}`;
        throw new ApiUnavailableError(
          `the API kept failing inside second ${cursor} (${this.reentries} times without a new follower${why}); stopping rather than risk skipping followers`,
        );
      }
      this.reentry = { second: cursor, budget: (this.tied?.second === cursor ? this.tied.pages : 0) + 2 };
      return { next: cursor + 1 };
    }
    if (caughtUp) return { next: null, end: 'caught-up' };
    if (this.yielded >= this.limit) return { next: null, end: 'limit' };
    if (answer.hasMore === false) return { next: null, end: 'complete' };
    if (minTime === undefined || !Number.isSafeInteger(minTime) || minTime < -1) {
      // Only has_more false or the cap's -1 / 0 end a walk. The client already retried a page
      // whose cursor it could not read (envelope-fields.ts); this is the last line of defence.
      throw new ApiUnavailableError(`the API sent no usable cursor (data.min_time ${String(minTime)}) at cursor ${cursor}`);
    }
    if (!usableCursor(minTime)) {
      // Past the depth cap (-1 or 0). On the very first page an empty answer is not the cap
      // but rate limiting: nothing has been served yet.
      return empty && this.yielded === 0 && cursor === 0 ? { next: null, stuckReason: 'an empty first page' } : { next: null, end: 'cap' };
    }
    if (empty) return { next: null, stuckReason: 'an empty page with has_more true' };
    if (cursor !== 0 && minTime > cursor) return { next: null, stuckReason: `a cursor that went up (${minTime})` };
    if (cursor === 0 || minTime !== cursor) return { next: minTime };
    const { reentry } = this;
    if (followers.length > 0) return { next: cursor }; // paging inside the second: ask it again
    if (reentry !== undefined && reentry.second === cursor && !samePage && reentry.budget > 0) {
      return { next: cursor }; // re-walking the second through a hidden offset: followers already written
    }
    if (reentry !== undefined && reentry.second + 1 === cursor) return { next: reentry.second };
    if (this.stepped) return { next: null, stuckReason: `no new followers after stepping past second ${cursor + 1}` };
    if (cursor <= 1) return { next: null, stuckReason: `the same cursor ${cursor} again` };
    // The same page again: the rest of this second is out of reach. Never send 0 or -1.
    return { next: cursor - 1, ...(raw.length >= Math.min(this.pageSize, this.longest) ? { tiedSecond: cursor } : {}) };
  }

  /**
   * A list that ends far below what the API reports is asked once more before it is believed: the
   * re-ask to make (the decision then goes on at the same cursor), or undefined (the decision
   * stands, marked short when the end was already asked once).
   */
  confirmEnd(cursor: number, decision: Decision): Reask | undefined {
    const { shortEnd } = this.options;
    if ((decision.end !== 'complete' && decision.end !== 'cap') || !shortEnd || this.lastTotal === undefined) return undefined;
    const rows = shortEnd.rowsBefore + this.yielded;
    const expected = Math.min(this.lastTotal, shortEnd.cap, shortEnd.rowsBefore + this.limit);
    // A few followers short of a small total (banned and deleted accounts) is no verdict.
    if (rows * 2 >= expected || expected - rows <= this.pageSize) return undefined;
    if (this.confirmedAt === cursor) {
      decision.short = { rows, expected };
      return undefined;
    }
    this.confirmedAt = cursor;
    decision.end = undefined;
    decision.next = cursor;
    const reason = `the list ended at ${rows.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')} followers`;
    this.options.onStuck?.({ cursor, attempt: 1, retries: 1, waitMs: shortEnd.waitMs, reason });
    return { send: cursor, waitMs: shortEnd.waitMs };
  }

  /**
   * Where the next cursor stands (inside a tied second, and how many pages it has held), and
   * whether the walk has gone on too long without a new follower. Returns the wait before the next
   * request when the answer brought nothing new while the cursor moved.
   */
  track(cursor: number, minTime: number | undefined, sorted: Sorted, decision: Decision, reasking: boolean): Reask | undefined {
    const { next, stuckReason } = decision;
    const { followers, lostInside } = sorted;
    const steppedDown = next !== null && next === cursor - 1 && minTime === cursor;
    const { reentry } = this;
    if (next === null || reasking) {
      // ended, or asking the end once more: nothing to track
    } else if (reentry !== undefined && (next === reentry.second || next === reentry.second + 1)) {
      const before = this.tied?.second === reentry.second ? this.tied.pages : 0;
      const inside = next === minTime && minTime === cursor && followers.length > 0 ? 1 : 0;
      this.tied = { second: reentry.second, pages: Math.max(before + inside, reentry.budget - 2) };
    } else if (next === minTime && (minTime === cursor || this.fullSecond === minTime)) {
      this.tied = { second: next, pages: this.tied?.second === next ? this.tied.pages + 1 : 1 };
    } else this.tied = undefined;
    if (followers.length > 0 && !lostInside && (next === null || reentry === undefined || next < reentry.second)) this.reentry = undefined;

    // Nothing new while the cursor moved: a stuck API, whatever its cursor does.
    let barrenWait = false;
    if (stuckReason === undefined && next !== null && !reasking && !lostInside && !steppedDown && !decision.probed) {
      if (followers.length > 0 || sorted.knownFirst > 0) this.barren = 0;
      else if (this.reentry !== undefined && this.reentry.budget > 0 && (cursor === this.reentry.second || cursor === this.reentry.second + 1)) this.reentry.budget--;
      else {
        this.barren++;
        if (this.barren > this.stuckRetries) {
          throw new ApiUnavailableError(
            `the API sent ${this.barren} pages in a row with no follower not already exported while its cursor moved (last at cursor ${cursor}); stopping rather than spending more requests`,
          );
        }
        barrenWait = true;
      }
    }
    if (reasking || stuckReason !== undefined) return undefined;
    this.stuck = 0;
    this.stepped = steppedDown;
    if (!barrenWait || next === null) return undefined;
    const waitMs = this.backoffMs(this.barren);
    this.options.onStuck?.({ cursor: next, attempt: this.barren, retries: this.stuckRetries, waitMs, reason: 'a page with no new follower' });
    return { send: next, waitMs };
  }

  /** A page that did not move the walk on: asked again after a backoff, inside a tied second from its start. */
  reask(cursor: number, reason: string): Reask {
    this.stuck++;
    if (this.stuck > this.stuckRetries) {
      throw new ApiUnavailableError(`the API did not move past cursor ${cursor} in ${this.stuck} answers (last: ${reason}); stopping rather than spending more requests`);
    }
    const waitMs = this.backoffMs(this.stuck);
    this.options.onStuck?.({ cursor, attempt: this.stuck, retries: this.stuckRetries, waitMs, reason });
    let again = cursor;
    if (this.tied !== undefined && this.tied.second === cursor) {
      // A re-ask inside a tied second: an API with a hidden offset may have moved it.
      if (++this.reentries > this.stuckRetries + 1) {
        throw new ApiUnavailableError(`the API did not move past cursor ${cursor} in ${this.reentries} answers (last: ${reason}); stopping rather than spending more requests`);
      }
      this.reentry = { second: cursor, budget: this.tied.pages + 2 };
      again = cursor + 1;
    }
    return { send: again, waitMs };
  }

  /** The nth wait in a row (1 first): the run's one backoff (run-governor.ts backoffWait) from stuckWaitMs. */
  private backoffMs(n: number): number {
    return backoffWait(this.stuckWaitMs, n - 1, this.random);
  }
}
