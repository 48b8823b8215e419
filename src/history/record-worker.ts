/**
 * The worker thread that owns the SQLite connection of `tkf export --db` (export-recorder.ts
 * starts it): libsql is synchronous, so on the walks' thread every statement stopped every walk
 * (the night's batch took 1.7 x the bare loop). Here it runs beside them. Its own connection to
 * the file: the caller's stays open and idle (it migrated and proved the database writable before
 * the first request).
 *
 * Messages in: `page` (a walk's page, PageRows), `walked` (the walk is over, its file being
 * published), `drop` (forget a walk), `commit` (record a finished file, answered by `done` or
 * `failed` with the same id), `close` (answered by `closed`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PageRecorder, type PageRows } from './page-recorder.js';
import { openSqlite } from './sqlite-driver.js';
import { causeCode } from '../output/fs-errors.js';
import { HistoryDbError, TkfError } from '../errors.js';

export type ToWorker =
  | ({ type: 'page'; walk: number; account: string } & PageRows)
  | { type: 'walked'; walk: number; account: string }
  | { type: 'drop'; walk: number }
  | { type: 'commit'; id: number; walk: number | undefined; file: string; added: number | undefined }
  | { type: 'close' };

export type FromWorker =
  | { type: 'done'; id: number; outcome: import('./record-export.js').RecordedFile }
  /** `code`: the first code in the error's causes (SQLITE_FULL, ENOSPC), which the words alone would not carry across. */
  | { type: 'failed'; id: number; name: string; message: string; code?: string; advised?: boolean; down?: boolean }
  | { type: 'closed' }
  /** From record-thread.ts, once the run's V8 flags are set. */
  | { type: 'started' };

const port = parentPort!;
const data = workerData as { path: string; flushAfterMs?: number };
const recorder = new PageRecorder(openSqlite(data.path, { foreignKeys: false }));
// Rows are stored when 10,000 wait (page-recorder.ts), with a snapshot, or at the latest a second
// after they came (flushAfterMs: a test's other wait): a walk that stops for long (a rate limit)
// does not keep them in memory.
const FLUSH_AFTER_MS = data.flushAfterMs ?? 1000;
let flushLater: ReturnType<typeof setTimeout> | undefined;

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'page':
      recorder.page(message.walk, message, message.account);
      flushLater ??= setTimeout(() => {
        flushLater = undefined;
        void recorder.flush();
      }, FLUSH_AFTER_MS);
      return;
    case 'walked':
      recorder.walked(message.walk, message.account);
      return;
    case 'drop':
      recorder.drop(message.walk);
      return;
    case 'commit':
      recorder.commit(message.walk, message.file, message.added).then(
        (outcome) => port.postMessage({ type: 'done', id: message.id, outcome } satisfies FromWorker),
        (error: unknown) =>
          port.postMessage({
            type: 'failed',
            id: message.id,
            name: (error as Error)?.name ?? 'Error',
            message: (error as Error)?.message ?? String(error),
            code: causeCode(error),
            // What the error says of itself: its next step said (advised), the database gone (down).
            ...(error instanceof TkfError && error.advised ? { advised: true } : {}),
            ...(error instanceof HistoryDbError && error.down ? { down: true } : {}),
          } satisfies FromWorker),
      );
      return;
    case 'close':
      // The timer would keep this thread, and the run's exit waiting for it (WorkerHost.close), up
      // to a second after the last page: close() stores what waits.
      clearTimeout(flushLater);
      flushLater = undefined;
      void recorder.close().finally(() => {
        port.postMessage({ type: 'closed' } satisfies FromWorker);
        port.close();
      });
      return;
  }
});
