/**
 * `tkf export`: resolves its options into one job (resolve-job.ts), opens one client for the
 * run (one connection pool, pace, budget), then runs one user (the usual case) or a batch (--uids-file, scheduled by
 * src/export/run-batch.ts) through exportUser, and reports: a line per user on stderr as each finishes,
 * a summary line, `--json` on stdout.
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import { dirname } from 'node:path';
import { removeTakeoverLeftovers } from '../output/lock.js';
import { Command } from 'commander';
import { BatchError, EXIT, OutputError, TkfError, type InterruptSignal } from '../errors.js';
import { makeDirectory } from '../output/output-file.js';
import { stripCredentials } from '../api/proxy-agents.js';
import { spanKeys, type SpanKeys } from '../api/page-parser.js';
import { DEFAULT_CSV_FIELDS, sourceKeys } from '../writers/fields.js';
import type { ExportJob } from '../export/job.js';
import type { OutputTarget } from '../export/run-export.js';
import { runBatch } from '../export/run-batch.js';
import { startDemo, type Access } from './api-access.js';
import { configure } from './config-file.js';
import type { CliContext } from './context.js';
import { SWITCHES, withExportOptions, type ExportOptions } from './export-options.js';
import { describeLostEffort, exportUser, summarize, type RunSettings, type UserOutcome } from './export-user.js';
import { accountLine, batchJson, batchMessage, emptyTotals, publicOutcome } from './batch-report.js';
import { createBatchProgress, createProgress, formatCount, formatDuration } from './progress.js';
import { FILES_FOR_ONE, FILES_PER_ACCOUNT, concurrencyWithin, openFiles } from './open-files.js';
import { resolveJob } from './resolve-job.js';
import { resumeCommand } from './resume-command.js';
import { writeOut } from './stdout-errors.js';
import { followers, requests, users } from './plural.js';
import { addDbSecrets, checkOutputBesideDb } from './history-export.js';
import { createExportRecorder, noteStagedRun, stagedRunMarker, stagedRunStart } from '../history/export-recorder.js';
import { isPostgresUrl, openHistory } from '../history/open-history.js';

/** The compiled worker that records into SQLite off the walks' thread (absent when run from the sources). */
const RECORD_WORKER = new URL('../history/record-thread.js', import.meta.url);

/**
 * The follower keys the run's columns are read from (the writer's; with a SQLite --db, the
 * history's: PostgreSQL reads the finished file back, not the pages), for the parse to place.
 */
function columnKeys(job: ExportJob, columnsRead: readonly string[]): SpanKeys | undefined {
  const keys = sourceKeys([...columnsRead, ...(job.db && !isPostgresUrl(job.db) ? DEFAULT_CSV_FIELDS : [])]);
  return keys.length ? spanKeys(keys) : undefined;
}

// Read by the tests that check them from here; they live with the job's resolution.
export { chooseFormat, decodeUidText, parseUidFile, parseUidList } from './resolve-job.js';

/** Today's date as YYYY-MM-DD, in local time (what a person means by "today's export"). */
function today(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function fillTemplate(template: string, uid: string, date: string): string {
  return template.replaceAll('{uid}', uid).replaceAll('{date}', date);
}

export function exportCommand(ctx: CliContext): Command {
  const command = withExportOptions(new Command('export').description("export a user's followers to CSV, JSONL or an .xlsx workbook"));
  // --json promises one object on stdout, a failure before any account's (a bad --uids-file line,
  // a database that cannot be written, a proxy refused) included: main.ts runCli writes it
  // (sayJsonFailure, with export's `complete: false`), as for every command.
  command.action(async (options: ExportOptions) => {
    const config = await configure(command, options, ctx.env, (text) => ctx.stderr.write(`tkf: warning: ${text}\n`));
    for (const key of SWITCHES) options[key] = Boolean(options[key]);
    ctx.jsonPromised = Boolean(options.json);
    const job = await resolveJob(command, options, config, ctx);
    // From here a signal stops the walks after the page in hand (their checkpoints saved); before
    // (reading --uids-file - or --token-file - from a terminal) it ends tkf at once (main.ts).
    ctx.stopsOnSignal = true;
    await runJob(job, options, ctx);
  });
  return command;
}

/** Opens what the run needs (history database, --demo's simulator, the run's one client), runs it, closes them. */
async function runJob(job: ExportJob, options: ExportOptions, ctx: CliContext): Promise<void> {
  const { db } = job;
  if (!db && job.uids === undefined) ctx.preferSmallHeap?.();
  // The columns the writer reads: rows decoded from the followers (CSV, XLSX, JSONL --fields).
  const columnsRead = job.format.columnsRead(job.encoder);
  if (columnsRead.length) ctx.preferRoomForRows?.();
  // Opened (and proven writable) before the first request: a database that cannot be used costs no page.
  addDbSecrets(ctx.secrets, db || undefined);
  const history = db ? await openHistory(db) : undefined;
  const access: Access = job.access ?? (await startDemo().catch(async (error: unknown) => {
    await history?.close();
    throw error;
  }));
  const proxy = job.proxy;
  if (proxy && options.verbose) ctx.stderr.write(`tkf: through the proxy ${stripCredentials(proxy.url)}\n`);
  const { createClient } = await import('../api/client.js');
  // One client for the whole run: every user shares its connections, pace, budget and stop.
  const client = createClient({
    baseUrl: access.baseUrl,
    token: access.token,
    retries: job.retries,
    timeoutMs: job.timeoutMs,
    retryBaseMs: job.backoffMs,
    maxWaitMs: job.maxWaitMs,
    maxRequests: job.maxRequests,
    minIntervalMs: job.delayMs,
    rate: job.rate,
    maxSockets: Math.min(job.concurrency, job.uids?.length ?? 1) + 1,
    proxy: proxy?.url,
    proxySource: proxy?.source,
    userAgent: `tkf/${ctx.version}`,
    spanKeys: columnKeys(job, columnsRead),
  });
  const settings: RunSettings = {
    access,
    job,
    client,
    proxy,
    verbose: options.verbose,
    force: job.force,
    maxRequests: job.maxRequests,
    signal: ctx.signal,
    ...(history ? { record: createExportRecorder(history, { staging: job.staged, ...(isPostgresUrl(job.db!) ? {} : { sqlite: { path: job.db!, worker: RECORD_WORKER, v8Flags: ctx.heapFlags?.() ?? [] } }) }) } : {}),
  };
  // --db without --out: the run notes when it started, so that its --resume tells the walks it
  // made from an earlier night's (export-recorder.ts stagedRunMarker).
  const uids = job.uids ?? [job.uid ?? access.defaultUid!];
  const marker = job.staged && !job.update ? stagedRunMarker(job.out, uids) : undefined;
  let staleBefore: string | undefined;
  if (marker && job.resume) staleBefore = await stagedRunStart(marker);
  else if (marker) await noteStagedRun(marker, new Date().toISOString());
  ctx.runDate = today();
  const target = targetsOf(job, ctx, ctx.runDate, staleBefore);
  try {
    // The recording thread runs before the first request, and has set the heap's flags again (record-thread.ts).
    await settings.record?.ready;
    if (job.uids === undefined) {
      const uid = job.uid ?? access.defaultUid!;
      await exportOne(uid, await target(uid), settings, options, ctx);
    } else {
      await exportMany([...job.uids], target, settings, options, ctx);
    }
  } finally {
    client.close();
    await access.simulator?.close();
    await settings.record?.close();
    await history?.close();
  }
}

/** Where each account's export goes: stdout, or its file (the template filled, its directory made). */
function targetsOf(job: ExportJob, ctx: CliContext, date: string, staleBefore?: string): (uid: string) => Promise<OutputTarget> {
  return async (uid) => {
    if (job.out === '-') return { kind: 'stream', stream: ctx.stdout };
    const path = fillTemplate(job.out, uid, date);
    // A template's file, named now (a plain --out was checked before the database was opened: resolve-job.ts).
    if (path !== job.out) checkOutputBesideDb(path, job.db || undefined);
    // Missing directories are made, for a plain path as for a template (exports/{date}/...
    // names a new one each day); one that cannot be made is exit 7 with its path.
    await makeDirectory(dirname(path));
    // --db without --out, without --resume: a walk interrupted earlier goes on (its pages were
    // paid for; a budget smaller than the account still gets there night after night), any other
    // staging file is replaced by a new walk.
    const goOn = job.staged && !job.resume && !job.force && !job.update;
    return { kind: 'file', path, force: job.force, resume: job.resume && !job.update, update: job.update, goOn, own: job.staged, ...(staleBefore ? { staleBefore } : {}) };
  };
}

async function exportOne(
  uid: string,
  output: OutputTarget,
  settings: RunSettings,
  options: ExportOptions,
  ctx: CliContext,
): Promise<void> {
  // Rows on the terminal (`--out -` unpiped): plain progress lines between them, not a bar that
  // redraws its line over the row just written.
  const rowsOnTerminal = output.kind === 'stream' && ctx.stdoutIsTTY === true;
  const progress = await createProgress({ stream: ctx.stderr, tty: ctx.stderrIsTTY && !options.quiet && !rowsOnTerminal, quiet: options.quiet, color: wantsColor(ctx.env) });
  // Once the walk is over (every page fetched), a first signal stops nothing: the file is finished
  // and published (an .xlsx workbook takes seconds to build), and the run ends as it would have.
  let walked = false;
  // What is left then: the file (tkf's own staging file is no file of the user's), its snapshot.
  const finishing =
    output.kind === 'file' && output.own ? 'the snapshot' : `${output.kind === 'file' ? output.path : 'the export'}${settings.record ? ' and its snapshot' : ''}`;
  ctx.onInterrupt = (signal) =>
    progress.log(walked ? `every page is fetched: finishing ${finishing} (${againToQuit(signal)})` : `stopping after the page in hand (${againToQuit(signal)})`);
  ctx.resumeHint = output.kind === 'file' ? resumeCommand(ctx.argv, ctx.env, ctx.runDate) : undefined;
  // The engine's 'started' and 'finished' events start and stop the progress (export-user.ts render).
  const outcome = await exportUser(uid, output, settings, progress, () => {
    walked = true;
  });
  // The JSON goes out first, and the lines below only once it is out (a failed write of it is the error said instead).
  if (options.json) {
    ctx.jsonSaid = true;
    await writeOut(ctx.stdout, `${JSON.stringify(publicOutcome(outcome))}\n`).catch((error: unknown) => {
      // The JSON is lost, not the export: say where it is.
      if (error instanceof TkfError && outcome.complete && outcome.file) error.message += `; the export itself is complete: ${outcome.file}`;
      throw error;
    });
  }
  const lostEffort = describeLostEffort(outcome);
  if (lostEffort && !options.quiet) ctx.stderr.write(`tkf: ${lostEffort}\n`);
  if (outcome.cause !== undefined) throw outcome.cause;
  if (!options.quiet) ctx.stderr.write(`tkf: ${summarize(outcome, settings.job.limit)}\n`);
}

/** NO_COLOR set to anything but the empty string turns colour off (https://no-color.org). */
function wantsColor(env: NodeJS.ProcessEnv): boolean {
  return !env.NO_COLOR;
}

/**
 * How to quit at once: the same signal again (Ctrl-C is SIGINT's key; SIGTERM comes from kill,
 * systemd...). SIGHUP comes from a terminal that closed, often twice: only SIGTERM quits then.
 */
function againToQuit(signal: InterruptSignal): string {
  if (signal === 'SIGHUP') return 'the terminal closed; send SIGTERM to quit at once';
  return signal === 'SIGINT' ? 'press Ctrl-C again to quit at once' : 'send SIGTERM again to quit at once';
}

async function exportMany(
  uids: string[],
  target: (uid: string) => Promise<OutputTarget>,
  settings: RunSettings,
  options: ExportOptions,
  ctx: CliContext,
): Promise<void> {
  if (uids.length === 0) {
    // A shard of a short file may hold no uid: nothing to do is not a failure (cron runs every shard).
    if (!options.quiet) ctx.stderr.write(`tkf: no uid of the file falls in shard ${options.shard}; nothing to export\n`);
    if (options.json) {
      ctx.jsonSaid = true;
      await writeOut(ctx.stdout, `${JSON.stringify(batchJson({ exitCode: EXIT.ok, accounts: [], totals: emptyTotals() }))}\n`);
    }
    return;
  }
  // As many accounts at once as the open-file limit holds (open-files.ts): past it, accounts
  // failed with EMFILE after their pages were paid for.
  const wanted = Math.min(options.concurrency, uids.length);
  const files = await openFiles();
  const concurrency = concurrencyWithin(wanted, files.limit, files.open);
  if (concurrency === 0) {
    throw new OutputError(
      `this process may open ${files.limit} files (ulimit -n), ${files.open} of them open already: one user at a time needs about ${FILES_FOR_ONE} more; raise the limit (ulimit -n 1024)`,
    );
  }
  if (concurrency < wanted && !options.quiet) {
    ctx.stderr.write(
      `tkf: ${concurrency} ${concurrency === 1 ? 'user' : 'users'} at once, not ${wanted}: this process may open ${files.limit} files (ulimit -n) and each user at once may hold ${FILES_PER_ACCOUNT}; raise the limit (ulimit -n 1024) to run more at once\n`,
    );
  }
  const progress = await createBatchProgress({ stream: ctx.stderr, tty: ctx.stderrIsTTY && !options.quiet, quiet: options.quiet, color: wantsColor(ctx.env) });
  ctx.onInterrupt = (signal) => progress.user('all').log(`stopping every export after the page in hand (${againToQuit(signal)})`);
  ctx.resumeHint = resumeCommand(ctx.argv, ctx.env, ctx.runDate);
  // Every worker's export, pager and pacer wait listens to the run's one interrupt signal.
  setMaxListeners(Math.max(getMaxListeners(ctx.signal), concurrency * 4 + 10), ctx.signal);
  const bars = new Map<string, ReturnType<typeof progress.user>>();
  const directories = new Set<string>();
  const result = await runBatch({
    uids,
    concurrency,
    governor: settings.client.governor,
    signal: ctx.signal,
    exportAccount: async (uid, walked): Promise<UserOutcome> => {
      try {
        // The same line run twice at once (cron): under --resume each run waits for the accounts
        // the other holds, and finds them complete, instead of calling them failed.
        const output = await target(uid);
        if (output.kind === 'file') directories.add(dirname(output.path));
        return await exportUser(uid, output, settings, bars.get(uid)!, walked, { waitForHeldOutputs: true });
      } catch (error) {
        const exitCode = error instanceof TkfError ? error.exitCode : EXIT.internal;
        return { uid, exit_code: exitCode, complete: false, rows: 0, requests: 0, requests_total: 0, file: null, end: null, total: null, error: (error as Error).message, cause: error, elapsedMs: 0 };
      }
    },
    onEvent: (event) => {
      // The user's line is drawn from its own 'started' event (export-user.ts render), once its output is known.
      if (event.type === 'started') return void bars.set(event.uid, progress.user(event.uid));
      // Each user's result as soon as it is known, not only at the end of a night's run.
      const { account } = event;
      const bar = bars.get(account.uid)!;
      // Already stopped by the account's 'finished' event, unless its output could not be opened.
      bar.stop();
      bars.delete(account.uid);
      const lostEffort = account.run ? describeLostEffort(account.run) : undefined;
      if (lostEffort && !options.quiet) bar.log(lostEffort);
      if (!options.quiet) bar.log(accountLine(account, settings.job.limit));
      // --quiet prints errors only: a user that failed is one, with why (not only "2 of 3 failed").
      else if (account.state === 'failed') ctx.stderr.write(`tkf: ${account.uid}: ${accountLine(account, settings.job.limit)}\n`);
    },
  });
  progress.stop();
  // Stale locks moved aside by takeovers that a kill -9 cut short (`<out>.lock.stale-<pid>`).
  await removeTakeoverLeftovers(directories);
  const { totals } = result;
  if (!options.quiet) {
    const notStarted = totals.notStarted ? `, ${totals.notStarted} not started` : '';
    const stopped = totals.stopped ? `, ${totals.stopped} stopped (resumable)` : '';
    const throttled = totals.throttled ? `, ${formatCount(totals.throttled)} answered "too many requests"` : '';
    ctx.stderr.write(
      `tkf: ${users(totals.accounts)}: ${totals.complete} complete, ${totals.failed} failed${stopped}${notStarted}; ` +
        `${followers(totals.rows)} written; ${requests(totals.requests)}${throttled} in ${formatDuration(totals.elapsedMs)}\n`,
    );
  }
  if (options.json) {
    ctx.jsonSaid = true;
    await writeOut(ctx.stdout, `${JSON.stringify(batchJson(result))}\n`);
  }
  if (result.exitCode !== EXIT.ok) throw new BatchError(result.exitCode, batchMessage(result, options.quiet));
}

