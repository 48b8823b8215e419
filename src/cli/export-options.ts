/**
 * The options of `tkf export`, as data: flags, help text, defaults, environment variables and
 * validation live here together, so --help, the README table and the checks cannot drift apart.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { EXIT_CODES } from '../errors.js';
import { FORMAT_NAMES } from '../writers/index.js';
import { ENV } from './env-names.js';

/** A parser for a flag that takes a whole number within limits (commander's argParser): exit 2 otherwise. */
export function wholeNumber(name: string, min: number, max = Infinity) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(
        `${name} takes a whole number${max < Infinity ? ` from ${min} to ${max}` : min > 0 ? ` of at least ${min}` : ' of 0 or more'}.`,
      );
    }
    return Number(value);
  };
}

/** Requests per second: a positive number, fractions allowed (0.5: one request every 2 s). */
function positiveRate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('--rate takes a number of requests per second above 0, e.g. 5 or 0.5.');
  return n;
}

/**
 * Workers of a batch at most. Each one holds about five file descriptors (its socket, the .part
 * and .part.uids streams, the lock, a checkpoint being replaced): 64 stay far below the common
 * `ulimit -n` of 1024, so no paid page is ever lost to EMFILE.
 */
export const MAX_CONCURRENCY = 64;

export { ENV };

/** How an option's value is written in the config file (JSON type), for those it may set. */
export type ConfigType = 'string' | 'number' | 'boolean';
const CONFIGURABLE = new WeakMap<Option, ConfigType>();

/** Marks an option as one the config file may set, under its name in snake_case. */
function configurable(option: Option, type: ConfigType): Option {
  CONFIGURABLE.set(option, type);
  return option;
}

/**
 * The config file's keys, derived from the option declarations below: `base_url` sets
 * --base-url, `formula_guard` sets --[no-]formula-guard. Its values then go through the option's
 * own parser and limits (config-file.ts applyConfig).
 */
export function configKeys(options: readonly Option[] = exportOptions()): Record<string, { option: string; type: ConfigType }> {
  const keys: Record<string, { option: string; type: ConfigType }> = {};
  for (const option of options) {
    const type = CONFIGURABLE.get(option);
    if (!type) continue;
    const name = option.attributeName();
    keys[name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = { option: name, type };
  }
  return keys;
}

export interface ExportOptions {
  uid?: string;
  uidsFile?: string;
  out?: string;
  format?: string;
  fields?: string;
  baseUrl?: string;
  tokenFile?: string;
  token?: string;
  bom: boolean;
  formulaGuard: boolean;
  force: boolean;
  resume: boolean;
  update: boolean;
  concurrency: number;
  json: boolean;
  retries: number;
  timeout: number;
  backoff: number;
  maxWait: number;
  maxRequests?: number;
  limit?: number;
  delay: number;
  rate?: number;
  shard?: string;
  proxy?: string;
  db?: string;
  quiet: boolean;
  verbose: boolean;
  demo: boolean;
}

/** Flags without a value: absent means false (no "(default: false)" noise in --help). */
export const SWITCHES = ['bom', 'force', 'resume', 'update', 'json', 'quiet', 'verbose', 'demo'] as const;

/** `tkf export`'s options and their help, declared on its command (both from the data here). */
export function withExportOptions(command: Command): Command {
  command.addHelpText('after', exportHelp());
  for (const option of exportOptions()) command.addOption(option);
  return command;
}

export function exportOptions(): Option[] {
  return [
    new Option('--uid <user_id>', "the user's numeric user_id (1 to 20 digits; not the @handle)"),
    new Option('--uids-file <file|->', 'export every uid in a file (one a line, \\n, \\r\\n or \\r; # comments; UTF-8, or UTF-16 with a BOM), or - for stdin'),
    new Option('--out <file|->', 'a file (.csv, .jsonl, .ndjson, .xlsx), - for stdout, or a template with {uid} and {date}; missing directories are created'),
    configurable(new Option('--format <format>', 'output format (default: from the --out extension; jsonl for -); must agree with the extension').choices(FORMAT_NAMES), 'string'),
    configurable(new Option('--fields <list>', 'columns by name or dot path, e.g. uid,nickname,avatar_larger.url_list.0'), 'string'),
    configurable(new Option('--base-url <url>', `the API host, e.g. http://api.example.com (env: ${ENV.baseUrl})`), 'string'),
    configurable(new Option('--token-file <path|->', `read the API token from a file, or - for stdin (or set ${ENV.token})`), 'string'),
    new Option('--token <token>', 'the API token; visible to other users in the process list, prefer ' + `${ENV.token} or --token-file`),
    configurable(new Option('--bom', 'CSV: start with a UTF-8 byte order mark, so Excel shows Chinese text'), 'boolean'),
    // The other way round, over the config file's "bom": true (flags win over the file).
    new Option('--no-bom', 'CSV: no byte order mark (over the config file\'s "bom": true)'),
    configurable(new Option('--no-formula-guard', "CSV: don't neutralise cells starting with = + - @ (spreadsheet formulas)"), 'boolean'),
    new Option('--formula-guard', 'CSV: neutralise them (the default; over the config file\'s "formula_guard": false)'),
    new Option('--force', 'replace --out if it exists (only once the new export is complete)'),
    new Option('--resume', 'continue an interrupted export of --out from its checkpoint (with --update: the same as --update)'),
    new Option('--update', 'add only the followers newer than those in --out (does not notice who left; see tkf diff)'),
    configurable(new Option('--concurrency <n>', `with --uids-file: users exported at once (at most ${MAX_CONCURRENCY})`).default(4).argParser(wholeNumber('--concurrency', 1, MAX_CONCURRENCY)), 'number'),
    new Option('--shard <K/N>', 'with --uids-file: export only shard K of N (by a stable hash of the uid), e.g. 2/4'),
    new Option('--json', 'print one JSON object with the outcome on stdout when done'),
    configurable(new Option('--retries <n>', 'retries of a failed request (network, timeout, 5xx, broken body); a 429 pauses the run instead').default(5).argParser(wholeNumber('--retries', 0)), 'number'),
    configurable(new Option('--timeout <seconds>', 'per-request timeout').default(30).argParser(wholeNumber('--timeout', 1)), 'number'),
    configurable(new Option('--backoff <ms>', 'longest wait before the first retry; doubles each retry (random within)').default(1000).argParser(wholeNumber('--backoff', 0)), 'number'),
    configurable(new Option('--max-wait <seconds>', 'the most tkf waits on a throttling API (429s with no answer getting through, all users together); then it stops with checkpoints (exit 8)').default(600).argParser(wholeNumber('--max-wait', 1)), 'number'),
    configurable(new Option('--max-requests <n>', 'send at most n API requests in the whole run (all users together), then stop with checkpoints (exit 8)').argParser(wholeNumber('--max-requests', 1)), 'number'),
    new Option('--limit <n>', 'stop after n followers (a complete file of n rows)').argParser(wholeNumber('--limit', 1)),
    configurable(new Option('--rate <n>', 'at most n requests per second in the whole run (all users and workers together)').argParser(positiveRate), 'number'),
    configurable(new Option('--delay <ms>', 'wait at least this long between two requests of the run').default(0).argParser(wholeNumber('--delay', 0)), 'number'),
    new Option('--proxy <url>', 'send requests through this proxy, http://host:port (default: HTTPS_PROXY / HTTP_PROXY unless NO_PROXY; "direct": none)'),
    configurable(new Option('--db <target>', `record each complete export as a snapshot in a history database: a SQLite file (history.sqlite) or postgres://user@host/db; --out may then be left out (see tkf history) (env: ${ENV.db})`), 'string'),
    new Option('-q, --quiet', 'print errors only'),
    new Option('-v, --verbose', 'print each request and stack traces of errors (never the token)'),
    new Option('--demo', 'export from the built-in simulator: no token, no network'),
  ];
}

export function exportHelp(): string {
  const codes = EXIT_CODES.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`).join('\n');
  return `
Examples:
  $ tkf export --demo --out followers.csv
  $ export ${ENV.token}=...  ${ENV.baseUrl}=http://api.example.com
  $ tkf export --uid 6754915036232582149 --out followers.csv
  $ tkf export --uid 6754915036232582149 --out - | jq -r .unique_id
  $ tkf export --uid 6754915036232582149 --out followers.jsonl --token-file ~/.tkf-token
  $ tkf export --uid 6754915036232582149 --out followers.csv --resume --max-requests 100
  $ tkf export --uid 6754915036232582149 --out followers.csv --update
  $ tkf export --uids-file accounts.txt --out 'exports/{date}/{uid}.csv' --json
  $ tkf export --uids-file accounts.txt --out 'exports/{uid}.csv' --rate 5 --concurrency 8 --shard 2/4
  $ tkf export --uids-file accounts.txt --db history.sqlite      then: tkf history growth --db history.sqlite --uid ...

--update fetches pages only until they are older than the newest follower in the file (by
follow time, kept in its manifest: a re-follow on top does not stop it) and puts the new ones on
top. It finishes an interrupted export of the same file first (--update --resume means the same),
and an update stopped half-way goes on from its checkpoint, so one cron line with --max-requests
gets there night after night. It does not notice followers
who left: run a full export and compare with tkf diff.

Environment:
  ${ENV.token}      the API token (or --token-file, --token)
  ${ENV.baseUrl}   the API host (or --base-url)
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY   a forward proxy for https:// / http:// API hosts, and the
                   hosts that go direct (either case; --proxy wins)
  ${ENV.db}          the history database (or --db)
  XDG_CONFIG_HOME, HOME   where the optional config file is: $XDG_CONFIG_HOME/tkf/config.json,
                   else ~/.config/tkf/config.json (base_url, token_file, default options)

Exit codes:
${codes}
  With --uids-file, when several apply: 129/130/143 (interrupted) over what stopped the run, the
  first to happen of 5 (token refused or quota spent), 7 or 11 (a full disk under the files or
  the history database, or that database gone) and 8 (--max-wait ran out), over 8 (--max-requests
  spent) over 9 (some users failed, or a list ended far short: such a user's file is kept, or with
  --force the one it would have replaced, and its own exit_code in --json is 10).

A list that ends (has_more false, or the depth cap's -1) with fewer than half the followers the
API reports (its total, cut at the ~5,000 depth cap) is asked once more after a pause (ten times
--backoff); if it stands, the file is kept (with --force over an existing file, that one is left
as it was and the short walk is not kept) and tkf exits 10. When a run pays for more than twice
the pages its followers need, one warning line says so (--json: lost_effort).
`;
}
