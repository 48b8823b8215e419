/**
 * Where the PageRecorder of `tkf export --db` (SQLite) runs: in a worker thread with its own
 * connection (record-worker.ts), or, where that worker is not built (the TypeScript sources run
 * by the tests in process), on the caller's thread over the caller's connection.
 */
import { Worker } from 'node:worker_threads';
import { HistoryDbError, OutputError, ShortListError, TkfError, UsageError } from '../errors.js';
import { PageRecorder, type PageRows } from './page-recorder.js';
import type { RecordedFile } from './record-export.js';
import type { FromWorker, ToWorker } from './record-worker.js';
import type { SqlDriver } from './sql-driver.js';

export interface RecorderHost {
  /** Settled once the host can take pages (a worker thread: once it runs). */
  readonly online?: Promise<void>;
  /** A chunk of walk `walk` of `account`'s followers (PageRecorder.page). */
  page(walk: number, rows: PageRows, account: string): void;
  /** The walk is over and its file being published (PageRecorder.walked). */
  walked(walk: number, account: string): void;
  drop(walk: number): void;
  commit(walk: number | undefined, file: string, added: number | undefined): Promise<RecordedFile>;
  close(): Promise<void>;
}

/** The PageRecorder on this thread, over the caller's connection. */
export class LocalHost implements RecorderHost {
  private readonly recorder: PageRecorder;
  constructor(driver: SqlDriver) {
    // The caller closes its own driver: this one must not.
    this.recorder = new PageRecorder({ ...bind(driver), close: async () => {} });
  }
  page(walk: number, rows: PageRows, account: string): void {
    this.recorder.page(walk, rows, account);
  }
  walked(walk: number, account: string): void {
    this.recorder.walked(walk, account);
  }
  drop(walk: number): void {
    this.recorder.drop(walk);
  }
  commit(walk: number | undefined, file: string, added: number | undefined): Promise<RecordedFile> {
    return this.recorder.commit(walk, file, added);
  }
  close(): Promise<void> {
    return this.recorder.close();
  }
}

function bind(driver: SqlDriver): SqlDriver {
  return {
    dialect: driver.dialect,
    label: driver.label,
    all: (sql, params) => driver.all(sql, params),
    run: (sql, params) => driver.run(sql, params),
    transaction: (fn) => driver.transaction(fn),
    close: () => driver.close(),
  };
}

/** The PageRecorder in a worker thread with its own connection (record-thread.ts, then record-worker.ts). */
export class WorkerHost implements RecorderHost {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (outcome: RecordedFile) => void; reject: (error: Error) => void }>();
  private requests = 0;
  private failure: Error | undefined;
  private closed: Promise<void> | undefined;

  /**
   * Settled once the thread runs and has set the run's V8 flags (its 'started', record-thread.ts:
   * Node 20 set them back as it started, and the walks' thread waits for them before it walks),
   * or could not start (its failure is then the first commit's).
   */
  readonly online: Promise<void>;

  /**
   * `v8Flags`: set by the thread first thing (record-thread.ts). Its young generation is held at
   * 1 MiB semi-spaces by its own limit besides (3 MB: 1 MiB semi-spaces on Node 20, 24 and 26,
   * measured), as the flags hold the walks' thread: they come too late for what the thread
   * allocates before it runs a line of its own.
   */
  constructor(
    url: URL,
    private readonly path: string,
    v8Flags: readonly string[] = [],
    /** How long rows may wait for a transaction (record-worker.ts; tests only). */
    options: { flushAfterMs?: number } = {},
  ) {
    this.worker = new Worker(url, { workerData: { path, v8Flags, ...options }, resourceLimits: { maxYoungGenerationSizeMb: 3 } });
    let settle!: () => void;
    this.online = new Promise<void>((resolve) => {
      settle = () => {
        // Not what keeps the process alive once it runs: a run ends when its walks and commits have.
        if (!this.waiting.size) this.worker.unref();
        resolve();
      };
      this.worker.once('error', settle);
      this.worker.once('exit', settle);
    });
    this.worker.on('message', (message: FromWorker) => {
      if (message.type === 'started') return settle();
      if (message.type === 'closed') return;
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.type === 'done') waiter?.resolve(message.outcome);
      else waiter?.reject(rebuild(message.name, message.message, message.code, { advised: message.advised, down: message.down }));
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', () => this.fail(new Error('the recording thread stopped')));
  }

  private fail(error: Error): void {
    // The thread itself failed or stopped: no account of the run can be recorded any more (down).
    this.failure ??= error instanceof TkfError ? error : new HistoryDbError(`the history database ${this.path}: ${error.message}`, { cause: error, down: true });
    for (const waiter of this.waiting.values()) waiter.reject(this.failure);
    this.waiting.clear();
  }

  page(walk: number, rows: PageRows, account: string): void {
    if (this.failure) return;
    this.post({ type: 'page', walk, account, ...rows }, [rows.bytes.buffer as ArrayBuffer, ...(rows.spans ? [rows.spans.values.buffer as ArrayBuffer] : [])]);
  }

  walked(walk: number, account: string): void {
    if (!this.failure) this.post({ type: 'walked', walk, account });
  }

  drop(walk: number): void {
    if (!this.failure) this.post({ type: 'drop', walk });
  }

  commit(walk: number | undefined, file: string, added: number | undefined): Promise<RecordedFile> {
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.requests;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.ref();
      this.post({ type: 'commit', id, walk, file, added });
    }).finally(() => {
      if (!this.waiting.size) this.worker.unref();
    }) as Promise<RecordedFile>;
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      if (this.failure) return resolve();
      this.worker.ref();
      this.worker.once('exit', () => resolve());
      this.post({ type: 'close' });
    });
    return this.closed;
  }

  private post(message: ToWorker, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(message, transfer);
  }
}

/**
 * An error from the worker, as the class the CLI maps to its exit code; its cause's code (a full
 * disk's SQLITE_FULL or ENOSPC: fs-errors.ts isDiskFull) kept on a cause of its own.
 */
export function rebuild(name: string, message: string, code?: string, flags: { advised?: boolean; down?: boolean } = {}): Error {
  const options = { ...(code === undefined ? {} : { cause: Object.assign(new Error(message), { code }) }), ...(flags.advised ? { advised: true } : {}) };
  if (name === 'UsageError') return new UsageError(message, options);
  if (name === 'OutputError') return new OutputError(message, options);
  if (name === 'HistoryDbError') return new HistoryDbError(message, { ...options, ...(flags.down ? { down: true } : {}) });
  if (name === 'ShortListError') return new ShortListError(message, options);
  return new Error(message, options);
}
