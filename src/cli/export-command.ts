/**
 * `tkf export`: turns options into settings and one client for the run (one connection pool,
 * pace, budget), then runs one user (the usual case) or a batch (--uids-file, scheduled by
 * src/run-batch.ts) through exportUser, and reports: a line per user on stderr as each finishes,
 * a summary line, `--json` on stdout.
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { BatchError, EXIT, OutputError, TkfError, UsageError } from '../errors.js';
import { describeFsError } from '../output/fs-errors.js';
import { proxyFor } from '../api/proxy-from-env.js';
import { stripCredentials } from '../api/proxy-agents.js';
import type { OutputTarget } from '../run-export.js';
import { runBatch } from '../run-batch.js';
import { inShard, parseShard } from '../shard.js';
import { parseFieldList } from '../writers/fields.js';
import { formatForPath, getFormat, type FormatDefinition } from '../writers/index.js';
import { ENV, describeReadError, openAccess, validateUid } from './api-access.js';
import { applyConfig, loadConfig } from './config-file.js';
import type { CliContext } from './context.js';
import { SWITCHES, exportHelp, exportOptions, type ExportOptions } from './export-options.js';
import { describeLostEffort, exportUser, summarize, type RunSettings, type UserOutcome } from './export-user.js';
import { accountLine, batchJson, batchMessage, emptyTotals, publicOutcome } from './batch-report.js';
import { createBatchProgress, createProgress, formatCount, formatDuration } from './progress.js';
import { resumeCommand } from './resume-command.js';
import { writeOut } from './stdout-errors.js';
import { proxySetting } from './proxy-check.js';
import { followers, plural, requests, users } from './plural.js';
import { checkHistoryFormat, checkHistoryUsage, postgresSecrets } from './history-export.js';
import { createExportRecorder, stagingReplaces, stagingTemplate } from '../history/export-recorder.js';
import { isPostgresUrl, openHistory } from '../history/open-history.js';

/** The compiled worker that records into SQLite off the walks' thread (absent when run from the sources). */
const RECORD_WORKER = new URL('../history/record-worker.js', import.meta.url);

/**
 * The format: --format, else the extension of --out, else the config file's format, else JSONL for
 * stdout. A --format that contradicts the extension is refused rather than obeyed: a file named
 * .csv that holds JSONL is opened as CSV by everything that goes by its name.
 */
export function chooseFormat(format: string | undefined, out: string, configured?: string): FormatDefinition {
  const byExtension = out === '-' ? undefined : formatForPath(out);
  if (format) {
    const chosen = getFormat(format);
    if (byExtension && byExtension.name !== chosen.name) {
      const ext = byExtension.extensions.find((e) => out.toLowerCase().endsWith(e))!;
      const renamed = `${out.slice(0, out.length - ext.length)}${chosen.extensions[0]}`;
      throw new UsageError(`--format ${chosen.name} contradicts --out ${out} (a ${ext} file is ${byExtension.name}); name it ${renamed}, or leave out --format`);
    }
    return chosen;
  }
  if (byExtension) return byExtension;
  if (configured) return getFormat(configured);
  if (out === '-') return getFormat('jsonl');
  throw new UsageError(`cannot tell the format from "${out}"; name it .csv, .jsonl, .ndjson or .xlsx, or add --format csv|jsonl|xlsx`);
}

/**
 * `mkdir -p`, one level at a time. Not `mkdir(..., { recursive: true })`: on Linux, Node's
 * recursive mkdir never returns for a path under /proc (`--out /proc/x/f.csv` spun a core and
 * ignored SIGTERM), so the missing levels are made here, each failure a plain error.
 */
async function mkdirParents(directory: string): Promise<void> {
  const missing: string[] = [];
  for (let level = resolve(directory); ; level = dirname(level)) {
    const exists = await stat(level).then((info) => info.isDirectory() || 'file', () => false);
    if (exists === 'file') throw Object.assign(new Error(`${level} is a file`), { code: 'ENOTDIR' });
    if (exists) break;
    missing.unshift(level);
    if (dirname(level) === level) break;
  }
  for (const level of missing) {
    await mkdir(level).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error; // made meanwhile by another run: fine
    });
  }
}

async function makeDirectory(directory: string): Promise<void> {
  try {
    await mkdirParents(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new OutputError(`cannot create the directory ${directory}: a file is in the way (${code}); choose another --out`);
    }
    throw new OutputError(`cannot create the directory ${directory}: ${describeFsError(error)}`);
  }
}

/** Today's date as YYYY-MM-DD, in local time (what a person means by "today's export"). */
function today(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function fillTemplate(template: string, uid: string, date: string): string {
  return template.replaceAll('{uid}', uid).replaceAll('{date}', date);
}

/** uids of a --uids-file: one a line; blank lines and # comments ignored; each checked. */
export function parseUidList(text: string, source: string): string[] {
  return parseUidFile(text, source).uids;
}

/**
 * The uids of a --uids-file and how many lines repeated one already listed (each uid is exported
 * once; the CLI says how many repeats it dropped). Lines end in \n, \r\n or a lone \r (classic
 * Mac editors and some spreadsheet exports), so no two uids are glued together.
 */
export function parseUidFile(text: string, source: string): { uids: string[]; repeated: number } {
  if (text.includes('\u0000')) {
    throw new UsageError(`${source} holds NUL characters: is it UTF-16 without a byte order mark? save it as UTF-8 (or plain ASCII), one uid a line`);
  }
  const uids: string[] = [];
  text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    try {
      uids.push(validateUid(line));
    } catch (error) {
      throw new UsageError(`${source} line ${index + 1}: ${(error as Error).message.replace(/^--uid /, 'a uid ')}`);
    }
  });
  if (uids.length === 0) throw new UsageError(`${source} holds no uid`);
  const unique = [...new Set(uids)];
  return { uids: unique, repeated: uids.length - unique.length };
}

/**
 * A uids file's bytes as text: UTF-8 (a BOM allowed), or UTF-16 with its byte order mark, which
 * Windows tools (PowerShell's `>`, Notepad's "Unicode") write; read as UTF-8 those are mojibake.
 */
export function decodeUidText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  return bytes.toString('utf8');
}

export function exportCommand(ctx: CliContext): Command {
  const command = new Command('export')
    .description("export a user's followers to CSV, JSONL or an .xlsx workbook")
    .addHelpText('after', exportHelp());
  for (const option of exportOptions()) command.addOption(option);
  command.action(async (options: ExportOptions) => {
    const config = await loadConfig(ctx.env, (text) => ctx.stderr.write(`tkf: warning: ${text}\n`));
    applyConfig(command, options, config);
    for (const key of SWITCHES) options[key] = Boolean(options[key]);
    // [issue 16] --db (else TKF_DB, else the config file's db): the history database; --out may then be left out.
    const db = command.getOptionValueSource('db') === 'cli' ? options.db : ctx.env[ENV.db] || options.db;
    if (db) checkHistoryUsage(options);
    const staged = Boolean(db) && options.out === undefined;
    options.out ??= db ? stagingTemplate(db, ctx.env) : undefined;
    if (!options.out) throw new UsageError('--out is required: a file (followers.csv, followers.jsonl), a template, or - for stdout (or --db to record history only)');
    if (options.uid !== undefined && options.uidsFile !== undefined) throw new UsageError('give --uid or --uids-file, not both');
    const out = options.out;
    // The config file's format is a default: an explicit extension of --out wins over it.
    const format = chooseFormat(command.getOptionValueSource('format') === 'cli' ? options.format : undefined, out, options.format);
    const fields = options.fields === undefined ? undefined : parseFieldList(options.fields);
    if (out === '-' && (options.resume || options.force || options.update)) {
      throw new UsageError('--resume, --force and --update need a file: they do not apply to --out -');
    }
    // [issue 13] a workbook is a zip, rendered whole at the end: not a stream, not appendable.
    if (format.render && out === '-') throw new UsageError(`--format ${format.name} writes a file, not stdout; use --out followers.${format.name}, or csv/jsonl for -`);
    if (format.render && options.update) {
      throw new UsageError(`--update cannot add to an .${format.name} workbook; export to .csv or .jsonl for --update (or run a full export with --force)`);
    }
    if (out === '-' && options.json) throw new UsageError('--json prints the outcome on stdout, so it needs --out <file>, not -');
    // --update finishes an interrupted export of the file by itself, so --update --resume (the
    // hint a budget stop prints) means --update.
    if (options.force && (options.resume || options.update)) {
      throw new UsageError('use one of --resume, --force and --update');
    }
    // --update stops at the first follower already in the file; a --limit before that would
    // leave a gap between the new rows and the old ones.
    if (options.update && options.limit !== undefined) throw new UsageError('--limit does not go with --update (it would leave a gap in the file); run a full export with --limit instead');
    const tokenFile = options.tokenFile ?? (options.token === undefined && !ctx.env[ENV.token] ? config.values.tokenFile : undefined);
    if (options.uidsFile === '-' && tokenFile === '-') {
      throw new UsageError('--uids-file - and --token-file - both want stdin; put the token in a file or in TKF_TOKEN, or the uids in a file');
    }
    const shard = options.shard === undefined ? undefined : parseShard(options.shard);
    if (shard && options.uidsFile === undefined) throw new UsageError('--shard splits a --uids-file; give --uids-file too');
    let uids: string[] | undefined;
    if (options.uidsFile !== undefined) {
      const source = options.uidsFile === '-' ? 'stdin' : options.uidsFile;
      let text: string;
      try {
        text = options.uidsFile === '-' ? await ctx.readStdin() : decodeUidText(await readFile(options.uidsFile));
      } catch (error) {
        throw new UsageError(`cannot read the uids from ${source}: ${describeReadError(error)}; check --uids-file`);
      }
      const list = parseUidFile(text, source);
      uids = list.uids;
      if (list.repeated && !options.quiet) {
        ctx.stderr.write(`tkf: ${source}: ${plural(list.repeated, 'repeated uid')} dropped (each uid is exported once; ${users(uids.length)} in all)\n`);
      }
      if (shard) uids = uids.filter((uid) => inShard(uid, shard));
      if (uids.length > 1 && !out.includes('{uid}')) {
        throw new UsageError(`--out must contain {uid} when exporting several users, e.g. 'exports/{date}/{uid}.${format.name}'`);
      }
      if (out === '-' && uids.length > 1) throw new UsageError('several users cannot share --out -; use a template such as {uid}.csv');
    } else if (options.uid !== undefined || !options.demo) {
      validateUid(options.uid);
    }

    if (db) checkHistoryFormat(format);
    // Opened (and proven writable) before the first request: a database that cannot be used costs no page.
    if (db && isPostgresUrl(db)) ctx.secrets.push(...postgresSecrets(db));
    const history = db ? await openHistory(db) : undefined;
    const access = await openAccess(options, config, ctx).catch(async (error) => {
      await history?.close();
      throw error;
    });
    const proxy = access.simulator ? undefined : proxyFor(access.baseUrl, ctx.env, options.proxy);
    const proxyUsed = proxySetting(proxy, options.proxy, ctx.env);
    if (proxy !== undefined) {
      // user:password@ of a proxy is as secret as the token.
      const credentials = /\/\/([^/@]*)@/.exec(proxy)?.[1];
      if (credentials) ctx.secrets.push(credentials, decodeURIComponent(credentials));
      if (options.verbose) ctx.stderr.write(`tkf: through the proxy ${stripCredentials(proxy)}\n`);
    }
    const { createClient } = await import('../api/client.js');
    // One client for the whole run: every user shares its connections, pace, budget and stop.
    const client = createClient({
      baseUrl: access.baseUrl,
      token: access.token,
      retries: options.retries,
      timeoutMs: options.timeout * 1000,
      retryBaseMs: options.backoff,
      maxWaitMs: options.maxWait * 1000,
      maxRequests: options.maxRequests,
      minIntervalMs: options.delay,
      rate: options.rate,
      maxSockets: Math.min(options.concurrency, uids?.length ?? 1) + 1,
      proxy,
      userAgent: `tkf/${ctx.version}`,
    });
    const settings: RunSettings = {
      access,
      format,
      encoder: { fields, bom: options.bom, formulaGuard: options.formulaGuard },
      // --update takes what the user did not name on the command line from the file's manifest.
      given: {
        fields: command.getOptionValueSource('fields') === 'cli',
        bom: command.getOptionValueSource('bom') === 'cli',
        formulaGuard: command.getOptionValueSource('formulaGuard') === 'cli',
      },
      client,
      proxy: proxyUsed,
      retryBaseMs: options.backoff,
      limit: options.limit,
      verbose: options.verbose,
      signal: ctx.signal,
      ...(history ? { record: createExportRecorder(history, { staging: staged, ...(isPostgresUrl(db!) ? {} : { sqlite: { path: db!, worker: RECORD_WORKER } }) }) } : {}),
    };
    const date = today();
    const target = async (uid: string): Promise<OutputTarget> => {
      if (out === '-') return { kind: 'stream', stream: ctx.stdout };
      const path = fillTemplate(out, uid, date);
      // Missing directories are made, for a plain path as for a template (exports/{date}/...
      // names a new one each day); one that cannot be made is exit 7 with its path.
      await makeDirectory(dirname(path));
      const force = options.force || (staged && !options.resume && (await stagingReplaces(path)));
      return { kind: 'file', path, force, resume: options.resume && !options.update, update: options.update };
    };
    try {
      if (uids === undefined) {
        await exportOne(options.uid ?? access.defaultUid!, await target(options.uid ?? access.defaultUid!), settings, options, ctx, Boolean(access.simulator));
      } else {
        await exportMany(uids, target, settings, options, ctx);
      }
    } finally {
      client.close();
      await access.simulator?.close();
      await settings.record?.close();
      await history?.close();
    }
  });
  return command;
}

async function exportOne(
  uid: string,
  output: OutputTarget,
  settings: RunSettings,
  options: ExportOptions,
  ctx: CliContext,
  demo: boolean,
): Promise<void> {
  const progress = await createProgress({ stream: ctx.stderr, tty: ctx.stderrIsTTY && !options.quiet, quiet: options.quiet, color: wantsColor(ctx.env) });
  progress.start(`exporting the followers of ${uid}${demo ? ' from the built-in simulator' : ''}...`);
  ctx.onInterrupt = (signal) => progress.log(`stopping after the page in hand (${againToQuit(signal)})`);
  ctx.resumeHint = output.kind === 'file' ? resumeCommand(ctx.argv, ctx.env) : undefined;
  const outcome = await exportUser(uid, output, settings, progress);
  progress.stop();
  if (options.json) {
    await writeOut(ctx.stdout, `${JSON.stringify(publicOutcome(outcome))}\n`).catch((error: unknown) => {
      // The JSON is lost, not the export: say where it is.
      if (error instanceof TkfError && outcome.complete && outcome.file) error.message += `; the export itself is complete: ${outcome.file}`;
      throw error;
    });
  }
  const lostEffort = describeLostEffort(outcome);
  if (lostEffort && !options.quiet) ctx.stderr.write(`tkf: ${lostEffort}\n`);
  if (outcome.cause !== undefined) throw outcome.cause;
  if (!options.quiet) ctx.stderr.write(`tkf: ${summarize(outcome, settings.limit)}\n`);
}

/** NO_COLOR set to anything but the empty string turns colour off (https://no-color.org). */
function wantsColor(env: NodeJS.ProcessEnv): boolean {
  return !env.NO_COLOR;
}

/** How to quit at once: the same signal again (Ctrl-C is SIGINT's key; SIGTERM comes from kill, systemd...). */
function againToQuit(signal: 'SIGINT' | 'SIGTERM'): string {
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
    if (options.json) await writeOut(ctx.stdout, `${JSON.stringify(batchJson({ exitCode: EXIT.ok, accounts: [], totals: emptyTotals() }))}\n`);
    return;
  }
  const progress = await createBatchProgress({ stream: ctx.stderr, tty: ctx.stderrIsTTY && !options.quiet, quiet: options.quiet, color: wantsColor(ctx.env) });
  ctx.onInterrupt = (signal) => progress.user('all').log(`stopping every export after the page in hand (${againToQuit(signal)})`);
  ctx.resumeHint = resumeCommand(ctx.argv, ctx.env);
  // Every worker's export, pager and pacer wait listens to the run's one interrupt signal.
  setMaxListeners(Math.max(getMaxListeners(ctx.signal), options.concurrency * 4 + 10), ctx.signal);
  const bars = new Map<string, ReturnType<typeof progress.user>>();
  const result = await runBatch({
    uids,
    concurrency: options.concurrency,
    governor: settings.client.governor,
    signal: ctx.signal,
    onStart: (uid) => {
      const bar = progress.user(uid);
      bars.set(uid, bar);
      bar.start('starting');
    },
    exportAccount: async (uid): Promise<UserOutcome> => {
      try {
        return await exportUser(uid, await target(uid), settings, bars.get(uid)!);
      } catch (error) {
        const exitCode = error instanceof TkfError ? error.exitCode : EXIT.internal;
        return { uid, exit_code: exitCode, complete: false, rows: 0, requests: 0, requests_total: 0, file: null, end: null, total: null, error: (error as Error).message, cause: error, elapsedMs: 0 };
      }
    },
    // Each user's result as soon as it is known, not only at the end of a night's run.
    onFinish: (account) => {
      const bar = bars.get(account.uid)!;
      bar.stop();
      bars.delete(account.uid);
      const lostEffort = account.run ? describeLostEffort(account.run) : undefined;
      if (lostEffort && !options.quiet) bar.log(lostEffort);
      if (!options.quiet) bar.log(accountLine(account, settings.limit));
    },
  });
  progress.stop();
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
  if (options.json) await writeOut(ctx.stdout, `${JSON.stringify(batchJson(result))}\n`);
  if (result.exitCode !== EXIT.ok) throw new BatchError(result.exitCode, batchMessage(result, options.quiet));
}

