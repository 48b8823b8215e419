/**
 * What the user sees while an export runs, always on stderr (stdout may be the data).
 *
 * - On a TTY: an ora spinner until the first page answers, then a cli-progress line: a bar towards
 *   what the API will serve, with rate and ETA, or a spinner with counts when no goal is known
 *   (progress-view.ts says what the line holds). Waits (retries, a stuck cursor) show in its status.
 * - Not on a TTY (cron, CI, a pipe): no animation and no ANSI codes; one plain line at most every
 *   `intervalMs`, and one line for each wait.
 * - --quiet: nothing but errors.
 */
import type { SingleBar } from 'cli-progress';
import type { Ora } from 'ora';
import type { Writable } from 'node:stream';
import { RateMeter, barLine, plainLine, viewOf, type PageUpdate } from './progress-view.js';

export { formatCount, formatDuration, formatEta, retryLine, signedCount, type PageUpdate } from './progress-view.js';

export interface ProgressOptions {
  stream: Writable & { isTTY?: boolean; columns?: number };
  tty: boolean;
  quiet: boolean;
  /**
   * Colour on a terminal (default true). False for NO_COLOR (https://no-color.org): ora draws its
   * spinner in cyan unless told `color: false`; the bar line has no colour of its own.
   */
  color?: boolean;
  /** Plain-line interval when not on a TTY. */
  intervalMs?: number;
  now?: () => number;
}

export interface Progress {
  /** Before the first request: what is being exported. */
  start(text: string): void;
  update(update: PageUpdate): void;
  /** A wait the user should know about (a retry, a stuck cursor); `waitMs` counts in the ETA while it lasts. */
  waiting(text: string, waitMs?: number): void;
  /** A line that must be shown above the animation (not throttled). */
  log(text: string): void;
  /** Removes the animation; after this, the summary line is printed. */
  stop(): void;
}

const silent = (): Progress => ({ start() {}, update() {}, waiting() {}, log() {}, stop() {} });

export async function createProgress(options: ProgressOptions): Promise<Progress> {
  if (options.quiet) return silent();
  if (!options.tty) return plainProgress(options);
  // ora and cli-progress are loaded only for a terminal (ora takes ~140 ms to import).
  const [{ default: ora }, { default: cliProgress }] = await Promise.all([import('ora'), import('cli-progress')]);
  return ttyProgress(options, ora, cliProgress);
}

function plainProgress(options: ProgressOptions, tag = (text: string) => text): Progress {
  const interval = options.intervalMs ?? 5000;
  const now = options.now ?? Date.now;
  // The rate counts from start(): the time of this run, like the rows it counts.
  let last = now();
  const meter = new RateMeter(last);
  const write = (text: string) => options.stream.write(`tkf: ${tag(text)}\n`);
  return {
    start(text) {
      last = now();
      meter.restart(last);
      write(text);
    },
    update(update) {
      const time = now();
      const rate = meter.rate(update, time);
      if (time - last < interval) return;
      last = time;
      write(plainLine(viewOf(update, rate, meter.measured)));
    },
    waiting: (text) => write(text),
    log: (text) => write(text),
    stop() {},
  };
}

const BAR_SIZE = 24;

function ttyProgress(
  options: ProgressOptions,
  ora: typeof import('ora').default,
  cliProgress: typeof import('cli-progress'),
): Progress {
  let spinner: Ora | undefined;
  let bar: SingleBar | undefined;
  const now = options.now ?? Date.now;
  const meter = new RateMeter(now());
  let status = '';
  let last: PageUpdate = { rows: 0, requests: 0, total: undefined };
  let rate = 0;
  // A wait in progress ends here: until then the ETA holds what is left of it.
  let waitUntil = 0;
  // The line is drawn from the last update at each redraw, so the spinner moves between pages.
  const line = () =>
    barLine(viewOf(last, rate, meter.measured, Math.max(0, waitUntil - now())), { barsize: BAR_SIZE, now: now(), status });
  return {
    start(text) {
      meter.restart(now());
      spinner = ora({ text, stream: options.stream, discardStdin: false, isEnabled: true, ...(options.color === false ? { color: false } : {}) }).start();
    },
    update(update) {
      last = update;
      rate = meter.rate(update, now());
      status = '';
      waitUntil = 0;
      if (!bar) {
        spinner?.stop();
        spinner = undefined;
        // forceRedraw: drawn again after a line printed above it (log: wrapped() clears below).
        bar = new cliProgress.SingleBar({ stream: options.stream, format: line, hideCursor: true, fps: 8, forceRedraw: true });
        bar.start(1, 0);
      }
      bar.update(0);
    },
    waiting(text, waitMs) {
      status = text;
      waitUntil = waitMs ? now() + waitMs : 0;
      if (bar) bar.update(0);
      else if (spinner) spinner.text = text;
    },
    log(text) {
      if (bar) {
        // Printed between redraws: clear the bar first. Then save the cursor again (ESC 7): the
        // bar restores the position saved at its start when it stops, which is now this line.
        options.stream.write(`\r${wrapped(`tkf: ${text}`)}\x1b7`);
        bar.update(0);
      } else if (spinner) {
        spinner.clear();
        options.stream.write(`tkf: ${text}\n`);
        spinner.render();
      } else {
        options.stream.write(`tkf: ${text}\n`);
      }
    },
    stop() {
      spinner?.stop();
      bar?.stop();
      spinner = undefined;
      bar = undefined;
    },
  };
}

/** Progress of several users at once: one line per active user on a TTY, plain lines otherwise. */
export interface BatchProgress {
  user(uid: string): Progress;
  stop(): void;
}

export async function createBatchProgress(options: ProgressOptions): Promise<BatchProgress> {
  if (options.quiet) return { user: () => silent(), stop() {} };
  if (!options.tty) {
    // Each user's lines are worked out like a single export's, tagged with the uid.
    // No "starting" line per user: a night's log of a thousand users has their result lines.
    return { user: (uid) => ({ ...plainProgress(options, (text) => `${uid}: ${text}`), start() {} }), stop() {} };
  }
  const { default: cliProgress } = await import('cli-progress');
  const now = options.now ?? Date.now;
  const multibar = new cliProgress.MultiBar(
    {
      stream: options.stream,
      // Each bar draws its own line from its payload (the user's last update).
      format: (_options, _params, payload: { line: () => string }) => payload.line(),
      hideCursor: true,
      fps: 8,
      // The per-user summary lines follow; stale bars would only repeat them.
      clearOnComplete: true,
      // Every bar drawn at every frame (8 a second), changed or not: a line printed above them
      // clears what is below it (wrapped()), and an unchanged bar skipped would stay blank.
      forceRedraw: true,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    user(uid) {
      const meter = new RateMeter(now());
      let bar: ReturnType<typeof multibar.create> | undefined;
      let last: PageUpdate | undefined;
      let rate = 0;
      let status = 'starting';
      let waitUntil = 0;
      const line = () => {
        const view = last && viewOf(last, rate, meter.measured, Math.max(0, waitUntil - now()));
        const text = view ? barLine(view, { barsize: 20, now: now(), status }) : status;
        return `${uid} ${text}`;
      };
      return {
        start() {
          meter.restart(now());
          bar = multibar.create(1, 0, { line });
        },
        update(update) {
          last = update;
          rate = meter.rate(update, now());
          status = '';
          waitUntil = 0;
          bar?.update(0);
        },
        waiting(text, waitMs) {
          status = text;
          waitUntil = waitMs ? now() + waitMs : 0;
          bar?.update(0);
        },
        log(text) {
          multibar.log(wrapped(`tkf: ${uid}: ${text}`));
        },
        stop() {
          if (bar) multibar.remove(bar);
          bar = undefined;
        },
      };
    },
    stop: () => {
      // MultiBar.log only queues a line for the next redraw, and stop() does not redraw: draw once
      // more, so the lines of users that finished last are not lost.
      multibar.update();
      multibar.stop();
    },
  };
}

/**
 * A line printed above the bars, whole. cli-progress draws with the terminal's line wrapping off
 * (ESC [?7l): a line wider than the terminal was cut there, its last column overwritten by the
 * rest ("...file: out/72000000000000000v" at 100 columns). So the line is written with wrapping
 * on (ESC [?7h) and off again after it; what is below the cursor is cleared first (ESC [J), so
 * no old bar shows beside a line that wraps onto the bars' rows; the bars are drawn again below.
 */
function wrapped(line: string): string {
  return `\x1b[J\x1b[?7h${line}\n\x1b[?7l`;
}
