/**
 * What the user sees while an export runs, always on stderr (stdout may be the data).
 *
 * - On a TTY: an ora spinner until the first page answers, then a cli-progress bar with
 *   count / total, rate and ETA. Waits (retries, a stuck cursor) show in the bar's status.
 * - Not on a TTY (cron, CI, a pipe): no animation and no ANSI codes; one plain line at most every
 *   `intervalMs`, and one line for each wait.
 * - --quiet: nothing but errors.
 */
import type { SingleBar } from 'cli-progress';
import type { Ora } from 'ora';
import type { Writable } from 'node:stream';

export interface ProgressOptions {
  stream: Writable & { isTTY?: boolean; columns?: number };
  tty: boolean;
  quiet: boolean;
  /** Plain-line interval when not on a TTY. */
  intervalMs?: number;
  now?: () => number;
}

export interface PageUpdate {
  rows: number;
  requests: number;
  total: number | undefined;
}

export interface Progress {
  /** Before the first request: what is being exported. */
  start(text: string): void;
  update(update: PageUpdate): void;
  /** A wait the user should know about (a retry, a stuck cursor). */
  waiting(text: string): void;
  /** A line that must be shown above the animation (not throttled). */
  log(text: string): void;
  /** Removes the animation; after this, the summary line is printed. */
  stop(): void;
}

export const formatCount = (n: number): string => n.toLocaleString('en-US');

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export async function createProgress(options: ProgressOptions): Promise<Progress> {
  if (options.quiet) return { start() {}, update() {}, waiting() {}, log() {}, stop() {} };
  if (!options.tty) return plainProgress(options);
  // ora and cli-progress are loaded only for a terminal (ora takes ~140 ms to import).
  const [{ default: ora }, { default: cliProgress }] = await Promise.all([import('ora'), import('cli-progress')]);
  return ttyProgress(options, ora, cliProgress);
}

function plainProgress(options: ProgressOptions): Progress {
  const interval = options.intervalMs ?? 5000;
  const now = options.now ?? Date.now;
  const started = now();
  let last = started;
  const write = (text: string) => options.stream.write(`tkf: ${text}\n`);
  return {
    start: (text) => write(text),
    update({ rows, requests, total }) {
      const time = now();
      if (time - last < interval) return;
      last = time;
      const rate = rows / Math.max((time - started) / 1000, 0.001);
      const of = total !== undefined ? ` of ${formatCount(total)}` : '';
      write(`${formatCount(rows)}${of} followers, ${formatCount(requests)} requests, ${formatCount(Math.round(rate))}/s`);
    },
    waiting: (text) => write(text),
    log: (text) => write(text),
    stop() {},
  };
}

function ttyProgress(
  options: ProgressOptions,
  ora: typeof import('ora').default,
  cliProgress: typeof import('cli-progress'),
): Progress {
  let spinner: Ora | undefined;
  let bar: SingleBar | undefined;
  const now = options.now ?? Date.now;
  const started = now();
  let status = '';
  let last: PageUpdate = { rows: 0, requests: 0, total: undefined };

  const payload = () => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    return { rate: formatCount(Math.round(last.rows / seconds)), requests: formatCount(last.requests), status };
  };
  return {
    start(text) {
      spinner = ora({ text, stream: options.stream, discardStdin: false, isEnabled: true }).start();
    },
    update(update) {
      last = update;
      // The bar's total is the profile count; the list may end short of it or run past it.
      const total = Math.max(update.total ?? update.rows, update.rows, 1);
      if (!bar) {
        spinner?.stop();
        spinner = undefined;
        bar = new cliProgress.SingleBar(
          {
            stream: options.stream,
            format: '{bar} {value}/{total} followers | {rate}/s | ETA {eta_formatted} | {requests} requests {status}',
            formatValue: (value, _options, type) => (type === 'value' || type === 'total' ? formatCount(value) : String(value)),
            hideCursor: true,
            barsize: 24,
            fps: 8,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, update.rows, payload());
      }
      status = '';
      bar.setTotal(total);
      bar.update(update.rows, payload());
    },
    waiting(text) {
      status = `| ${text}`;
      if (bar) bar.update(last.rows, payload());
      else if (spinner) spinner.text = text;
    },
    log(text) {
      if (bar) {
        // Printed between redraws: clear the line first.
        options.stream.write(`\r\x1b[2Ktkf: ${text}\n`);
        bar.update(last.rows, payload());
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

/** Progress of several users at once: one bar per active user on a TTY, plain lines otherwise. */
export interface BatchProgress {
  user(uid: string): Progress;
  stop(): void;
}

export async function createBatchProgress(options: ProgressOptions): Promise<BatchProgress> {
  if (options.quiet) return { user: () => ({ start() {}, update() {}, waiting() {}, log() {}, stop() {} }), stop() {} };
  if (!options.tty) {
    return {
      user(uid) {
        const inner = plainProgress(options);
        const tag = (text: string) => `${uid}: ${text}`;
        return {
          start: (text) => inner.start(tag(text)),
          update: (u) => inner.update(u),
          waiting: (text) => inner.waiting(tag(text)),
          log: (text) => inner.log(tag(text)),
          stop() {},
        };
      },
      stop() {},
    };
  }
  const { default: cliProgress } = await import('cli-progress');
  const now = options.now ?? Date.now;
  const multibar = new cliProgress.MultiBar(
    {
      stream: options.stream,
      format: '{uid} {bar} {value}/{total} | {rate}/s | {requests} requests {status}',
      formatValue: (value, _options, type) => (type === 'value' || type === 'total' ? formatCount(value) : String(value)),
      hideCursor: true,
      barsize: 20,
      fps: 8,
      // The per-user summary lines follow; stale bars would only repeat them.
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    user(uid) {
      const started = now();
      let bar: ReturnType<typeof multibar.create> | undefined;
      let last: PageUpdate = { rows: 0, requests: 0, total: undefined };
      let status = 'starting';
      const payload = () => ({
        uid,
        rate: formatCount(Math.round(last.rows / Math.max((now() - started) / 1000, 0.001))),
        requests: formatCount(last.requests),
        status: status ? `| ${status}` : '',
      });
      return {
        start() {
          bar = multibar.create(1, 0, payload());
        },
        update(update) {
          last = update;
          status = '';
          bar?.setTotal(Math.max(update.total ?? update.rows, update.rows, 1));
          bar?.update(update.rows, payload());
        },
        waiting(text) {
          status = text;
          bar?.update(last.rows, payload());
        },
        log(text) {
          multibar.log(`tkf: ${uid}: ${text}\n`);
        },
        stop() {
          if (bar) multibar.remove(bar);
          bar = undefined;
        },
      };
    },
    stop: () => multibar.stop(),
  };
}
