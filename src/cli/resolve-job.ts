/**
 * `tkf export`'s options resolved once: flags, environment, config file and uids file become one
 * frozen ExportJob (src/export/job.ts). Every usage rule of the command is here, each a pure
 * function of the options (tested in test/cli/resolve-job.test.ts); the only I/O is reading the
 * uids file.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { ExportJob } from '../export/job.js';
import { inShard, parseShard, type Shard } from '../export/shard.js';
import { stagingTemplate } from '../history/export-recorder.js';
import { describeReadError } from '../output/fs-errors.js';
import { parseFieldList } from '../writers/fields.js';
import { formatForPath, getFormat, type FormatDefinition } from '../writers/index.js';
import { proxyFor } from '../api/proxy-from-env.js';
import { resolveAccess, tokenFileOf, validateUid } from './api-access.js';
import type { Config } from './config-file.js';
import type { CliContext } from './context.js';
import { ENV } from './env-names.js';
import type { ExportOptions } from './export-options.js';
import { checkHistoryFormat, checkHistoryUsage, checkOutputBesideDb } from './history-export.js';
import { plural, users } from './plural.js';
import { proxySetting, type ProxySetting } from './proxy-check.js';

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

/** What the usage rules look at: the options with --out decided and the format chosen. */
export interface UsageFacts {
  out: string;
  format: FormatDefinition;
  resume: boolean;
  force: boolean;
  update: boolean;
  json: boolean;
  limit: number | undefined;
  uidsFile: string | undefined;
  tokenFile: string | undefined;
}

/** A usage rule: the message of the UsageError when the options break it, else undefined. */
export type UsageRule = (facts: UsageFacts) => string | undefined;

export const fileModesNeedAFile: UsageRule = (f) =>
  f.out === '-' && (f.resume || f.force || f.update) ? '--resume, --force and --update need a file: they do not apply to --out -' : undefined;

/** [issue 13] a workbook is a zip, rendered whole at the end: not a stream, not appendable. */
export const workbookIsAFile: UsageRule = (f) =>
  f.format.render && f.out === '-' ? `--format ${f.format.name} writes a file, not stdout; use --out followers.${f.format.name}, or csv/jsonl for -` : undefined;

export const workbookIsNotUpdated: UsageRule = (f) =>
  f.format.render && f.update
    ? `--update cannot add to an .${f.format.name} workbook; export to .csv or .jsonl for --update (or run a full export with --force)`
    : undefined;

export const jsonNeedsAFile: UsageRule = (f) => (f.out === '-' && f.json ? '--json prints the outcome on stdout, so it needs --out <file>, not -' : undefined);

/** --update finishes an interrupted export of the file by itself, so --update --resume (the hint a budget stop prints) means --update. */
export const oneFileMode: UsageRule = (f) => (f.force && (f.resume || f.update) ? 'use one of --resume, --force and --update' : undefined);

/** --update stops at the first follower already in the file; a --limit before that would leave a gap between the new rows and the old ones. */
export const updateHasNoLimit: UsageRule = (f) =>
  f.update && f.limit !== undefined ? '--limit does not go with --update (it would leave a gap in the file); run a full export with --limit instead' : undefined;

export const stdinReadOnce: UsageRule = (f) =>
  f.uidsFile === '-' && f.tokenFile === '-'
    ? '--uids-file - and --token-file - both want stdin; put the token in a file or in TKF_TOKEN, or the uids in a file'
    : undefined;

/** The rules on the options alone, in the order they are checked (the first broken one is said). */
export const USAGE_RULES: readonly UsageRule[] = [fileModesNeedAFile, workbookIsAFile, workbookIsNotUpdated, jsonNeedsAFile, oneFileMode, updateHasNoLimit, stdinReadOnce];

export function checkUsage(facts: UsageFacts, rules: readonly UsageRule[] = USAGE_RULES): void {
  for (const rule of rules) {
    const broken = rule(facts);
    if (broken !== undefined) throw new UsageError(broken);
  }
}

export function checkShard(shard: Shard | undefined, uidsFile: string | undefined): void {
  if (shard && uidsFile === undefined) throw new UsageError('--shard splits a --uids-file; give --uids-file too');
}

/** Several accounts need a file each: a template with {uid}, never stdout. */
export function checkManyOutputs(count: number, out: string, format: FormatDefinition): void {
  if (count > 1 && !out.includes('{uid}')) {
    throw new UsageError(`--out must contain {uid} when exporting several users, e.g. 'exports/{date}/{uid}.${format.name}'`);
  }
  if (out === '-' && count > 1) throw new UsageError('several users cannot share --out -; use a template such as {uid}.csv');
  checkPlaceholders(out);
}

/** A template's placeholders are {uid} and {date}: another ({user}, a typo) is said, not written into file names as it is. */
export function checkPlaceholders(out: string): void {
  const unknown = [...out.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).find((name) => name !== 'uid' && name !== 'date');
  if (unknown !== undefined) throw new UsageError(`--out: {${unknown}} is no placeholder; a template knows {uid} and {date}, e.g. 'exports/{date}/{uid}.csv'`);
}

/** Bad lines of a --uids-file named in its error; the rest are counted. */
const SHOWN_BAD = 5;

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
  // Every bad line is named at once (up to SHOWN_BAD), so that a list of thousands is mended in one go.
  const bad: Array<{ line: number; text: string; error: Error }> = [];
  text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    try {
      uids.push(validateUid(line));
    } catch (error) {
      bad.push({ line: index + 1, text: line, error: error as Error });
    }
  });
  if (bad.length === 1) throw new UsageError(`${source} line ${bad[0]!.line}: ${bad[0]!.error.message.replace(/^--uid /, 'a uid ')}`);
  if (bad.length > 1) {
    const shown = bad.slice(0, SHOWN_BAD).map(({ line, text, error }) => {
      const value = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
      return `line ${line} ${value}${/@handle/.test(error.message) ? ' (an @handle?)' : ''}`;
    });
    const more = bad.length > SHOWN_BAD ? `, and ${bad.length - SHOWN_BAD} more` : '';
    throw new UsageError(`${source} has ${bad.length} lines that are not a uid (the numeric user_id, 1 to 20 digits): ${shown.join(', ')}${more}; mend them, or comment them out with #`);
  }
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

async function readUidsFile(uidsFile: string, ctx: CliContext): Promise<{ uids: string[]; repeated: number; source: string }> {
  const source = uidsFile === '-' ? 'stdin' : uidsFile;
  let text: string;
  try {
    // Typed on a terminal: what tkf waits for is said (it waited in silence).
    if (uidsFile === '-' && ctx.stdinIsTTY) ctx.stderr.write('tkf: reading uids from the terminal, one a line; end with Ctrl-D\n');
    text = uidsFile === '-' ? await ctx.readStdin() : decodeUidText(await readFile(uidsFile));
  } catch (error) {
    throw new UsageError(`cannot read the uids from ${source}: ${describeReadError(error)}; check --uids-file`);
  }
  return { ...parseUidFile(text, source), source };
}

/** The proxy for the API host: --proxy, else the environment's; its user:password@ is as secret as the token. */
export function proxyOf(baseUrl: string, flag: string | undefined, ctx: CliContext): ProxySetting | undefined {
  const proxy = proxySetting(proxyFor(baseUrl, ctx.env, flag), flag, ctx.env, baseUrl);
  const credentials = proxy && /\/\/([^/@]*)@/.exec(proxy.url)?.[1];
  if (credentials) ctx.secrets.push(credentials, decodeURIComponent(credentials));
  return proxy && Object.freeze(proxy);
}

/**
 * The job of one `tkf export`, from its options (the config file already applied to them, see
 * config-file.ts applyConfig). `quiet` leaves out the note on repeated uids.
 */
export async function resolveJob(command: Command, options: ExportOptions, config: Config, ctx: CliContext): Promise<ExportJob> {
  const fromCli = (name: string) => command.getOptionValueSource(name) === 'cli';
  // Redacted from the first message on: a bad --uids-file line is quoted before the token is read.
  for (const given of [options.token, ctx.env[ENV.token]]) if (given) ctx.secrets.push(given);
  // [issue 16] --db (else TKF_DB, else the config file's db): the history database; --out may then be left out.
  let db = fromCli('db') ? options.db : ctx.env[ENV.db] || options.db;
  // A database set for every run (TKF_DB, the config file) is not a reason to refuse an export it
  // cannot record (a stream, an .xlsx workbook): that export goes on unrecorded, and says so.
  // Named on the command line, the same export is refused (checkHistoryUsage, checkHistoryFormat).
  if (db && !fromCli('db') && options.out !== undefined) {
    const named = chooseFormat(fromCli('format') ? options.format : undefined, options.out, options.format);
    const why = options.out === '-' ? 'it records export files, and --out - is a stream' : named.render ? `it records .csv and .jsonl exports, not .${named.name}` : undefined;
    if (why) {
      const source = ctx.env[ENV.db] ? ENV.db : 'the config file\'s "db"';
      if (!options.quiet) ctx.stderr.write(`tkf: warning: ${source} names a history database, but ${why}: this export is not recorded\n`);
      db = undefined;
    }
  }
  if (db) checkHistoryUsage(options);
  const staged = Boolean(db) && options.out === undefined;
  const out = options.out ?? (db ? stagingTemplate(db, ctx.env) : undefined);
  if (!out) throw new UsageError('--out is required: a file (followers.csv, followers.jsonl), a template, or - for stdout (or --db to record history only)');
  if (options.uid !== undefined && options.uidsFile !== undefined) throw new UsageError('give --uid or --uids-file, not both');
  // The config file's format is a default: an explicit extension of --out wins over it.
  const format = chooseFormat(fromCli('format') ? options.format : undefined, out, options.format);
  const fields = options.fields === undefined ? undefined : parseFieldList(options.fields);
  const tokenFile = tokenFileOf(options, ctx.env, config);
  const { resume, force, update, json, limit, uidsFile } = options;
  checkUsage({ out, format, resume, force, update, json, limit, uidsFile, tokenFile });
  const shard = options.shard === undefined ? undefined : parseShard(options.shard);
  checkShard(shard, uidsFile);
  let uids: string[] | undefined;
  let repeatedUids = 0;
  if (uidsFile !== undefined) {
    const list = await readUidsFile(uidsFile, ctx);
    repeatedUids = list.repeated;
    if (list.repeated && !options.quiet) {
      ctx.stderr.write(`tkf: ${list.source}: ${plural(list.repeated, 'repeated uid')} dropped (each uid is exported once; ${users(list.uids.length)} in all)\n`);
    }
    uids = shard ? list.uids.filter((uid) => inShard(uid, shard)) : list.uids;
    checkManyOutputs(uids.length, out, format);
  } else {
    if (options.uid !== undefined || !options.demo) validateUid(options.uid);
    checkPlaceholders(out);
  }
  if (db) checkHistoryFormat(format);
  // A template is checked as each account's file is named (export-command.ts targetsOf).
  if (db && !/\{(uid|date)\}/.test(out)) checkOutputBesideDb(out, db);
  // --base-url on the command line beside --demo: the user meant one of them, and the demo took
  // the built-in simulator without a word (TKF_BASE_URL or the config file's base_url stay unread
  // by --demo: they are a machine's setting, not this run's).
  if (options.demo && fromCli('baseUrl')) throw new UsageError('--demo exports from the built-in simulator, not from --base-url; leave one of them out');
  const access = options.demo ? undefined : Object.freeze(await resolveAccess(options, config, ctx));
  // --demo talks to its own simulator on 127.0.0.1, never through a proxy; a --proxy given with it
  // is still checked, so that a typo is exit 2 here as it is without --demo (it was ignored).
  if (options.demo && options.proxy !== undefined) proxySetting(proxyFor('http://127.0.0.1', {}, options.proxy), options.proxy, ctx.env);
  return Object.freeze({
    uid: options.uid,
    uids: uids && Object.freeze(uids),
    repeatedUids,
    shard,
    out,
    staged,
    db,
    format,
    encoder: Object.freeze({ fields, bom: options.bom, formulaGuard: options.formulaGuard }),
    given: Object.freeze({ fields: fromCli('fields'), bom: fromCli('bom'), formulaGuard: fromCli('formulaGuard') }),
    force,
    resume,
    update,
    limit,
    access,
    proxy: access && proxyOf(access.baseUrl, options.proxy, ctx),
    retries: options.retries,
    timeoutMs: options.timeout * 1000,
    backoffMs: options.backoff,
    maxWaitMs: options.maxWait * 1000,
    maxRequests: options.maxRequests,
    delayMs: options.delay,
    rate: options.rate,
    concurrency: options.concurrency,
  });
}
