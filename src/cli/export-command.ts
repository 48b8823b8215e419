/**
 * `tkf export`: turns options into a plan, then wires client + pager + writer + progress.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { Command } from 'commander';
import { UsageError, redact } from '../errors.js';
import type { ExportResult, OutputTarget } from '../run-export.js';
import { DEFAULT_TOKEN, PUBLIC_UID } from '../simulator/built-in-users.js';
import type { Simulator } from '../simulator/index.js';
import { parseFieldList } from '../writers/fields.js';
import { formatForPath, getFormat, type FormatDefinition } from '../writers/index.js';
import type { CliContext } from './context.js';
import { ENV, exportHelp, exportOptions, type ExportOptions } from './export-options.js';
import { createProgress, formatCount, formatDuration } from './progress.js';
import { resumeCommand } from './resume-command.js';

const UID = /^\d{1,20}$/;

export function validateUid(uid: string | undefined, demo: boolean): string {
  if (uid === undefined) {
    if (demo) return PUBLIC_UID;
    throw new UsageError('--uid is required: the numeric user_id of the account whose followers to export');
  }
  if (!UID.test(uid)) {
    const hint = /^@?[A-Za-z0-9._]+$/.test(uid) && /[A-Za-z@._]/.test(uid)
      ? ' (that looks like an @handle; the API needs the numeric user_id)'
      : '';
    throw new UsageError(`--uid must be the numeric user_id, 1 to 20 digits; got "${uid}"${hint}`);
  }
  return uid;
}

export function chooseFormat(format: string | undefined, out: string): FormatDefinition {
  if (format) return getFormat(format);
  if (out === '-') return getFormat('jsonl');
  const byExtension = formatForPath(out);
  if (!byExtension) {
    throw new UsageError(`cannot tell the format from "${out}"; name it .csv, .jsonl or .ndjson, or add --format csv|jsonl`);
  }
  return byExtension;
}

async function readToken(options: ExportOptions, ctx: CliContext): Promise<string> {
  if (options.token !== undefined && options.tokenFile !== undefined) {
    throw new UsageError('give the token once: --token or --token-file, not both');
  }
  let token: string | undefined;
  if (options.token !== undefined) token = options.token;
  else if (options.tokenFile !== undefined) {
    const source = options.tokenFile === '-' ? 'stdin' : options.tokenFile;
    try {
      token = options.tokenFile === '-' ? await ctx.readStdin() : await readFile(options.tokenFile, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read the token from ${source}: ${(error as Error).message}`);
    }
    token = token.trim();
    if (!token) throw new UsageError(`the token file ${source} is empty`);
  } else token = ctx.env[ENV.token]?.trim();
  if (!token) {
    throw new UsageError(`no API token: set ${ENV.token}, or pass --token-file <path|->, or --token <token>`);
  }
  return token;
}

function readBaseUrl(options: ExportOptions, ctx: CliContext): string {
  const baseUrl = options.baseUrl ?? ctx.env[ENV.baseUrl];
  if (!baseUrl) throw new UsageError(`no API host: pass --base-url <url> or set ${ENV.baseUrl} (e.g. http://api.example.com)`);
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`--base-url: "${baseUrl}" is not a URL; write it like http://api.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--base-url: "${baseUrl}" must start with http:// or https://`);
  }
  return baseUrl;
}

export function summarize(result: ExportResult, elapsedMs: number, limit: number | undefined): string {
  const rows = formatCount(result.rows);
  const where = result.file ? `; file: ${result.file}` : '';
  const cost = `${formatCount(result.requests)} requests in ${formatDuration(elapsedMs)}${where}`;
  const dupes = result.duplicates ? `, ${formatCount(result.duplicates)} repeats skipped` : '';
  const total = result.total;
  if (result.end === 'limit') return `exported ${rows} followers (--limit ${limit}); ${cost}${dupes}`;
  if (total !== undefined && total > result.rows) {
    const of = `exported ${rows} of ${formatCount(total)} followers`;
    const why =
      result.end === 'cap'
        ? 'the API serves no more (TikTok limits how deep follower lists go)'
        : 'the list ended there (banned and deleted accounts are not listed)';
    return `${of}: ${why}; ${cost}${dupes}`;
  }
  return `exported ${rows} followers; ${cost}${dupes}`;
}

export function exportCommand(ctx: CliContext): Command {
  const command = new Command('export')
    .description("export a user's followers to CSV or JSONL")
    .addHelpText('after', exportHelp());
  for (const option of exportOptions()) command.addOption(option);
  command.action(async (options: ExportOptions) => {
    if (!options.out) throw new UsageError('--out is required: a file (followers.csv, followers.jsonl) or - for stdout');
    const uid = validateUid(options.uid, options.demo);
    const format = chooseFormat(options.format, options.out);
    const fields = options.fields === undefined ? undefined : parseFieldList(options.fields);
    if (options.out === '-' && (options.resume || options.force)) {
      throw new UsageError('--resume and --force need a file: they do not apply to --out -');
    }
    const quiet = options.quiet;
    let simulator: Simulator | undefined;
    let token: string;
    let baseUrl: string;
    if (options.demo) {
      const { startSimulator } = await import('../simulator/start-simulator.js');
      simulator = await startSimulator({ host: '127.0.0.1', port: 0, prerender: true });
      token = DEFAULT_TOKEN;
      baseUrl = simulator.url;
    } else {
      token = await readToken(options, ctx);
      baseUrl = readBaseUrl(options, ctx);
    }
    // Loaded only once the input is known to be good: got alone takes ~200 ms to import, which
    // a usage error or --help should not pay.
    const [{ createClient }, { runExport }] = await Promise.all([import('../api/client.js'), import('../run-export.js')]);
    const progress = await createProgress({ stream: ctx.stderr, tty: ctx.stderrIsTTY && !quiet, quiet });
    ctx.secrets.push(token);
    const verbose = (text: string) => {
      if (options.verbose) progress.log(redact(text, token));
    };
    const client = createClient({
      baseUrl,
      token,
      retries: options.retries,
      timeoutMs: options.timeout * 1000,
      retryBaseMs: options.backoff,
      maxRequests: options.maxRequests,
      minIntervalMs: options.delay,
      userAgent: `tkf/${ctx.version}`,
      onRequest: ({ cursor, attempt }) => verbose(`GET ${baseUrl.replace(/\/+$/, '')}/tk/user/followers uid=${uid} cursor=${cursor}${attempt > 1 ? ` (attempt ${attempt})` : ''}`),
      onRetry: (n) => progress.waiting(`${n.reason} at cursor ${n.cursor}; retry ${n.attempt}/${n.retries} in ${formatDuration(n.waitMs)}`),
    });
    const output: OutputTarget =
      options.out === '-'
        ? { kind: 'stream', stream: ctx.stdout }
        : { kind: 'file', path: options.out, force: options.force, resume: options.resume };
    const started = Date.now();
    progress.start(`exporting the followers of ${uid}${simulator ? ' from the built-in simulator' : ''}...`);
    ctx.onInterrupt = () => progress.log(`stopping after the page in hand (press Ctrl-C again to quit at once)`);
    ctx.resumeHint = output.kind === 'file' ? resumeCommand(ctx.argv) : undefined;
    try {
      const result = await runExport(
        {
          uid,
          format,
          encoder: { fields, bom: options.bom, formulaGuard: options.formulaGuard },
          output,
          limit: options.limit,
          stuckWaitMs: options.backoff,
        },
        {
          client,
          signal: ctx.signal,
          owner: { pid: process.pid, host: hostname() },
          isRunning,
          onResume: (c) => progress.log(`resuming ${options.out} at ${formatCount(c.rows)} rows (cursor ${c.cursor ?? 'end'})`),
          onPage: (p) => {
            progress.update({ rows: p.rows, requests: p.requests, total: p.total });
            if (p.page.duplicates) verbose(`page ${p.page.number}: ${p.page.duplicates} repeated followers skipped`);
          },
          onStuck: (n) => progress.waiting(`${n.reason} at cursor ${n.cursor}; asking again (${n.attempt}/${n.retries}) in ${formatDuration(n.waitMs)}`),
        },
      );
      progress.stop();
      if (!quiet) ctx.stderr.write(`tkf: ${summarize(result, Date.now() - started, options.limit)}\n`);
    } finally {
      progress.stop();
      client.close();
      await simulator?.close();
    }
  });
  return command;
}

/** Whether a process of this machine still runs (for locks left by killed runs). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
