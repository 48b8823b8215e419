/**
 * `tkf export`: turns options into settings, then runs one user (the usual case) or a batch
 * (--uids-file) through exportUser, and reports: a summary line on stderr, `--json` on stdout.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { EXIT, OutputError, TkfError, UsageError } from '../errors.js';
import { describeFsError } from '../output/fs-errors.js';
import type { OutputTarget } from '../run-export.js';
import { parseFieldList } from '../writers/fields.js';
import { formatForPath, getFormat, type FormatDefinition } from '../writers/index.js';
import { ENV, describeReadError, openAccess, validateUid } from './api-access.js';
import { applyConfig, loadConfig } from './config-file.js';
import type { CliContext } from './context.js';
import { SWITCHES, exportHelp, exportOptions, type ExportOptions } from './export-options.js';
import { exportUser, summarize, type RunSettings, type UserOutcome } from './export-user.js';
import { createBatchProgress, createProgress, formatCount } from './progress.js';
import { resumeCommand } from './resume-command.js';

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

async function makeDirectory(directory: string): Promise<void> {
  try {
    await mkdir(directory, { recursive: true });
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
  const uids: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    try {
      uids.push(validateUid(line));
    } catch (error) {
      throw new UsageError(`${source} line ${index + 1}: ${(error as Error).message.replace(/^--uid /, 'a uid ')}`);
    }
  });
  if (uids.length === 0) throw new UsageError(`${source} holds no uid`);
  return [...new Set(uids)];
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
    if (!options.out) throw new UsageError('--out is required: a file (followers.csv, followers.jsonl), a template, or - for stdout');
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
    if ([options.resume, options.force, options.update].filter(Boolean).length > 1) {
      throw new UsageError('use one of --resume, --force and --update');
    }
    const tokenFile = options.tokenFile ?? (options.token === undefined && !ctx.env[ENV.token] ? config.values.tokenFile : undefined);
    if (options.uidsFile === '-' && tokenFile === '-') {
      throw new UsageError('--uids-file - and --token-file - both want stdin; put the token in a file or in TKF_TOKEN, or the uids in a file');
    }
    let uids: string[] | undefined;
    if (options.uidsFile !== undefined) {
      const source = options.uidsFile === '-' ? 'stdin' : options.uidsFile;
      let text: string;
      try {
        text = options.uidsFile === '-' ? await ctx.readStdin() : await readFile(options.uidsFile, 'utf8');
      } catch (error) {
        throw new UsageError(`cannot read the uids from ${source}: ${describeReadError(error)}; check --uids-file`);
      }
      uids = parseUidList(text, source);
      if (uids.length > 1 && !out.includes('{uid}')) {
        throw new UsageError(`--out must contain {uid} when exporting several users, e.g. 'exports/{date}/{uid}.${format.name}'`);
      }
      if (out === '-' && uids.length > 1) throw new UsageError('several users cannot share --out -; use a template such as {uid}.csv');
    } else if (options.uid !== undefined || !options.demo) {
      validateUid(options.uid);
    }

    const access = await openAccess(options, config, ctx);
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
      client: {
        retries: options.retries,
        timeoutMs: options.timeout * 1000,
        retryBaseMs: options.backoff,
        maxRequests: options.maxRequests,
        minIntervalMs: options.delay,
        userAgent: `tkf/${ctx.version}`,
      },
      limit: options.limit,
      verbose: options.verbose,
      signal: ctx.signal,
    };
    const date = today();
    const target = async (uid: string): Promise<OutputTarget> => {
      if (out === '-') return { kind: 'stream', stream: ctx.stdout };
      const path = fillTemplate(out, uid, date);
      // Missing directories are made, for a plain path as for a template (exports/{date}/...
      // names a new one each day); one that cannot be made is exit 7 with its path.
      await makeDirectory(dirname(path));
      return { kind: 'file', path, force: options.force, resume: options.resume, update: options.update };
    };
    try {
      if (uids === undefined) {
        await exportOne(options.uid ?? access.defaultUid!, await target(options.uid ?? access.defaultUid!), settings, options, ctx, Boolean(access.simulator));
      } else {
        await exportMany(uids, target, settings, options, ctx);
      }
    } finally {
      await access.simulator?.close();
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
  const progress = await createProgress({ stream: ctx.stderr, tty: ctx.stderrIsTTY && !options.quiet, quiet: options.quiet });
  progress.start(`exporting the followers of ${uid}${demo ? ' from the built-in simulator' : ''}...`);
  ctx.onInterrupt = () => progress.log('stopping after the page in hand (press Ctrl-C again to quit at once)');
  ctx.resumeHint = output.kind === 'file' && !options.update ? resumeCommand(ctx.argv, ctx.env) : undefined;
  const outcome = await exportUser(uid, output, settings, progress);
  progress.stop();
  if (options.json) ctx.stdout.write(`${JSON.stringify(publicOutcome(outcome))}\n`);
  if (outcome.cause !== undefined) throw outcome.cause;
  if (!options.quiet) ctx.stderr.write(`tkf: ${summarize(outcome, settings.limit)}\n`);
}

async function exportMany(
  uids: string[],
  target: (uid: string) => Promise<OutputTarget>,
  settings: RunSettings,
  options: ExportOptions,
  ctx: CliContext,
): Promise<void> {
  const progress = await createBatchProgress({ stream: ctx.stderr, tty: ctx.stderrIsTTY && !options.quiet, quiet: options.quiet });
  ctx.onInterrupt = () => progress.user('all').log('stopping every export after the page in hand');
  const outcomes: UserOutcome[] = [];
  let next = 0;
  // Users in parallel, each one's pages in order; a failing user does not stop the others.
  const worker = async () => {
    while (next < uids.length && !ctx.signal.aborted) {
      const uid = uids[next++]!;
      const userProgress = progress.user(uid);
      userProgress.start('starting');
      let outcome: UserOutcome;
      try {
        outcome = await exportUser(uid, await target(uid), settings, userProgress);
      } catch (error) {
        const exitCode = error instanceof TkfError ? error.exitCode : EXIT.internal;
        outcome = { uid, exit_code: exitCode, complete: false, rows: 0, requests: 0, file: null, end: null, total: null, error: (error as Error).message, elapsedMs: 0 };
      }
      userProgress.stop();
      outcomes.push(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, uids.length) }, worker));
  progress.stop();
  const ordered = uids.map((uid) => outcomes.find((o) => o.uid === uid)).filter((o): o is UserOutcome => Boolean(o));
  const failed = ordered.filter((o) => !o.complete);
  const interrupted = ordered.find((o) => o.exit_code === EXIT.sigint || o.exit_code === EXIT.sigterm);
  const exitCode = failed.length === 0 && ordered.length === uids.length ? EXIT.ok : interrupted ? interrupted.exit_code : EXIT.someFailed;
  if (!options.quiet) {
    for (const outcome of ordered) {
      const line = outcome.complete ? summarize(outcome, settings.limit) : `failed (exit ${outcome.exit_code}): ${outcome.error}`;
      ctx.stderr.write(`tkf: ${outcome.uid}: ${line}\n`);
    }
    const rows = ordered.reduce((sum, o) => sum + o.rows, 0);
    ctx.stderr.write(
      `tkf: ${uids.length} users: ${ordered.length - failed.length} complete, ${failed.length + uids.length - ordered.length} failed; ${formatCount(rows)} followers written\n`,
    );
  }
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify({ complete: exitCode === EXIT.ok, exit_code: exitCode, users: ordered.map(publicOutcome) })}\n`);
  }
  if (exitCode !== EXIT.ok) {
    // The lines above said it all, unless --quiet kept them back.
    const message = interrupted ? 'interrupted; run the same command with --resume to go on' : `${failed.length} of ${uids.length} users failed`;
    throw new BatchError(exitCode, options.quiet || interrupted ? message : '');
  }
}

/** Ends a batch with its exit code; the per-user lines have said what went wrong. */
class BatchError extends TkfError {
  override readonly code = 'EBATCH';
  constructor(
    override readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

function publicOutcome(outcome: UserOutcome) {
  const { cause: _cause, result: _result, elapsedMs: _elapsed, resumedRequests: _resumed, ...rest } = outcome;
  return rest;
}
