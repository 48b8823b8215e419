/**
 * `tkf history`: what the history database (`tkf export --db`) knows. `tkf history` lists the
 * accounts; `growth` one line per snapshot of an account; `changes` the followers who came and
 * went, as rows in CSV, JSONL or .xlsx; `import` backfills from earlier export files.
 */
import { lstat, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeDirectory, refuseOverInput } from '../output/output-file.js';
import { Command, Option } from 'commander';
import { BatchError, EXIT, UnknownAccountError, UsageError } from '../errors.js';
import { openHistory, openHistoryToRead, isPostgresUrl, sqliteFiles } from '../history/open-history.js';
import { accountChanges, accountGrowth, hasAccount, listAccounts } from '../history/queries.js';
import type { SqlDriver } from '../history/sql-driver.js';
import { writeChangesToFile, writeChangesToStream } from '../history/write-changes.js';
import { DEFAULT_CSV_FIELDS, parseFieldList } from '../writers/fields.js';
import { getFormat, FORMAT_NAMES } from '../writers/index.js';
import { isRunning, lockOwner, validateUid } from './api-access.js';
import type { CliContext } from './context.js';
import { ENV } from './env-names.js';
import { addDbSecrets } from './history-export.js';
import { loadConfig } from './config-file.js';
import { formatCount, signedCount } from './progress.js';
import { chooseFormat } from './resolve-job.js';
import { stdoutError } from './stdout-errors.js';

/** The history commands' own exit codes (EXIT_CODES says them for tkf export); `of` one command's only. */
function exitHelp(of?: 'list' | 'growth' | 'changes' | 'import'): string {
  const all = ['list', 'growth', 'changes', 'import'];
  const usage = { list: '(flags)', growth: '(flags, uid)', changes: '(flags, uid, dates)', import: 'or input (flags, uid, a file that is not a tkf export)' };
  const lines: Array<[number, string, ReadonlyArray<string>]> = [
    [EXIT.ok, 'done', all],
    [EXIT.internal, 'unexpected internal error', all],
    [EXIT.usage, `bad usage ${of ? usage[of] : 'or input (flags, uid, dates, a file that is not a tkf export)'}`, all],
    [EXIT.missingUser, `${of ? '' : 'growth, changes: '}the database has no snapshot of the --uid account`, ['growth', 'changes']],
    [EXIT.output, of && of !== 'changes' ? 'stdout cannot be written (a full disk)' : 'the output cannot be written (--out, or stdout: a full disk; or in use, or exists without --force)', all],
    [EXIT.short, `${of ? '' : 'import: '}an export whose list ended far short (exit 10 when exported): not recorded`, ['import']],
    [
      EXIT.database,
      `the history database cannot be opened or written (missing, read-only, full disk, server down, newer schema)${of === 'import' || of === undefined ? `${of ? '; ' : '; import: '}it holds a later snapshot of the account, or another file's at the same time` : ''}`,
      all,
    ],
  ];
  return `
Exit codes:
${lines
  .filter(([, , commands]) => of === undefined || commands.includes(of))
  .map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`)
  .join('\n')}
`;
}

const HELP = `
The database is written by tkf export --db (a SQLite file, or postgres://user@host/db); its tables
are described in the README ("History in a database"). Dates are UTC.

Examples:
  $ tkf export --uids-file accounts.txt --db history.sqlite          every night
  $ tkf history --db history.sqlite                                  the accounts
  $ tkf history growth --db history.sqlite --uid 6754915036232582149
  $ tkf history changes --db history.sqlite --uid 6754915036232582149 --since 2026-11-01 --out changes.csv
  $ tkf history import --db history.sqlite exports/*/6754915036232582149.jsonl

A follower missing from a walk that did not reach its place in the list is "beyond reach" (the
API serves only the newest few thousand followers), not gone: growth counts them apart, and
changes lists them only with --beyond-reach. It keeps its place, and is gone once a later walk
reaches that place without it. One seen for the first time below where the walk before ended
(that walk did not reach it) is "first seen", not come: growth counts it in its own column, and
changes lists it only with --beyond-reach too.
${exitHelp()}`;

interface Common {
  db?: string;
  json?: boolean;
}

const dbOption = () => new Option('--db <target>', `the history database: a SQLite file or a postgres:// URL (env: ${ENV.db}; config key db)`);
const jsonOption = () => new Option('--json', 'print JSON on stdout');

/** The database: --db, else TKF_DB, else the config file's `db` (as tkf export takes it); undefined when none. */
export async function configuredDb(flag: string | undefined, ctx: CliContext): Promise<string | undefined> {
  const db = flag ?? (ctx.env[ENV.db] || (await loadConfig(ctx.env, (text) => ctx.stderr.write(`tkf: warning: ${text}\n`))).values.db);
  return typeof db === 'string' && db ? db : undefined;
}

async function target(options: Common, ctx: CliContext): Promise<string> {
  const db = await configuredDb(options.db, ctx);
  if (db === undefined) {
    throw new UsageError(`--db is required: the history database (a SQLite file or a postgres:// URL), or set ${ENV.db} or the config file's "db"`);
  }
  addDbSecrets(ctx.secrets, db);
  return db;
}

/** Whether a history database can be read and holds no snapshot (one that cannot be read is kept). */
async function holdsNoSnapshot(db: string): Promise<boolean> {
  try {
    return await withDb(openHistoryToRead(db), async (driver) => Number((await driver.all<{ n: unknown }>('SELECT count(*) AS n FROM snapshots'))[0]?.n) === 0);
  } catch {
    return false;
  }
}

async function withDb<T>(db: Promise<SqlDriver>, fn: (db: SqlDriver) => Promise<T>): Promise<T> {
  const driver = await db;
  try {
    return await fn(driver);
  } finally {
    await driver.close();
  }
}

/**
 * `2026-11-01` is that day's start (UTC); as --until, the start of the day after (the day is
 * included). A time is `2026-11-01T06:00` (or with a space for the T), with seconds and their
 * fraction if wanted, in UTC unless it names its zone (`Z`, `+08:00`). A day that is not in the
 * calendar (2026-02-30) is refused, not rolled into the next month as Date would.
 */
export function parseDate(value: string, name: string, until = false): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(value.trim());
  const refuse = () => new UsageError(`${name} takes a date such as 2026-11-01 or a UTC time such as 2026-11-01T06:00, not "${value}"`);
  if (!match) throw refuse();
  const [, year, month, date, hour = '00', minute = '00', second = '00', fraction = '', zone = 'Z'] = match;
  const fields = [Number(year), Number(month) - 1, Number(date), Number(hour), Number(minute), Number(second)] as const;
  // setUTCFullYear, not Date.UTC: Date.UTC takes the years 0 to 99 for 1900 to 1999.
  const utc = new Date(0);
  utc.setUTCFullYear(fields[0], fields[1], fields[2]);
  utc.setUTCHours(fields[3], fields[4], fields[5]);
  const asGiven = [utc.getUTCFullYear(), utc.getUTCMonth(), utc.getUTCDate(), utc.getUTCHours(), utc.getUTCMinutes(), utc.getUTCSeconds()];
  if (asGiven.some((part, i) => part !== fields[i])) throw refuse();
  const [zoneHours, zoneMinutes] = [Number(zone.slice(1, 3)), Number(zone.slice(-2))];
  if (zone.toUpperCase() !== 'Z' && (zoneHours > 23 || zoneMinutes > 59)) throw refuse();
  const offset = zone.toUpperCase() === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (zoneHours * 60 + zoneMinutes) * 60_000;
  // Milliseconds from the digits themselves (a double's 0.145 * 1000 may fall short of 145); the
  // database keeps milliseconds, so a finer --since starts at the next one (.2409: from .241).
  const digits = fraction.slice(1);
  const finer = !until && /[1-9]/.test(digits.slice(3)) ? 1 : 0;
  const time = utc.getTime() + Number(digits.slice(0, 3).padEnd(3, '0')) + finer - offset;
  // The range is [since, until): an --until includes what it names, to its own precision (a day,
  // a minute, a second, a tenth of one, a millisecond): `--until` a snapshot's time as growth
  // prints it keeps it, and `.3` keeps .374.
  const step = match[4] === undefined ? 86_400_000 : fraction ? 10 ** Math.max(0, 3 - digits.length) : match[6] !== undefined ? 1000 : 60_000;
  // The database's times are ISO 8601 text, compared as text: years past 9999 would be written
  // +010000-... and sort before 2026; such an end (or a start before year 0) is the text's own.
  const bound = until ? time + step : time;
  if (bound > MAX_TIME) return '9999-12-31T23:59:59.999Z';
  return bound < 0 && new Date(bound).getUTCFullYear() < 0 ? '0000-01-01T00:00:00.000Z' : new Date(bound).toISOString();
}
/** 9999-12-31T23:59:59.999Z: the last time ISO 8601's four-digit years write. */
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export function unknownAccount(uid: string, db: string): UnknownAccountError {
  return new UnknownAccountError(`no snapshot of ${uid} in the history database ${db} (tkf history lists its accounts)`);
}

const pad = (text: string | number, width: number) => String(text).padStart(width);

/**
 * `--fields` of history changes names columns the rows have: change, changed_at, the export's
 * columns, or a key of a row's data (an imported CSV's own columns). A typo is refused (exit 2),
 * as tkf export refuses a column no follower has, instead of an empty column.
 */
function checkChangeFields(fields: readonly string[], rows: ReadonlyArray<{ data: string }>): void {
  const known = new Set<string>(['change', 'changed_at', ...DEFAULT_CSV_FIELDS]);
  const unknown = () => fields.filter((field) => !known.has(field.split('.')[0]!));
  if (!unknown().length) return;
  for (const row of rows) {
    try {
      for (const key of Object.keys(JSON.parse(row.data) as object)) known.add(key);
    } catch {
      // not written by tkf: its keys are not known
    }
  }
  const missing = unknown();
  if (missing.length) {
    throw new UsageError(`--fields: no change has ${missing.length === 1 ? 'a column' : 'the columns'} ${missing.map((f) => JSON.stringify(f)).join(', ')}; the columns are change, changed_at, ${DEFAULT_CSV_FIELDS.join(', ')}`);
  }
}

export function historyCommand(ctx: CliContext): Command {
  const history = new Command('history')
    .description('what the history database (tkf export --db) knows: accounts, growth, who came and who left')
    // Set before the subcommands are made, so they inherit them (program.ts sets them on this one only).
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      outputError: (text, write) => write(`tkf: ${text.replace(/^error: /, '')}`),
    })
    .addHelpText('after', HELP);

  // `tkf history --db X`: the default subcommand, so --db belongs to each subcommand alone.
  history
    .command('list', { isDefault: true })
    .addHelpText('after', exitHelp('list'))
    .description('the accounts: uid, snapshots, followers now, last snapshot (the default)')
    .addOption(dbOption())
    .addOption(jsonOption())
    // `tkf history bogus` reaches this default command as an argument: said as the unknown command it is.
    .allowExcessArguments(true)
    .action(async (options: Common, command: Command) => {
      if (command.args.length) {
        // Named (`tkf history list extra`): an argument too many; not named: an unknown command.
        if (command.parent?.args[0] === 'list') throw new UsageError(`'history list' takes no arguments, got '${command.args[0]}' (tkf history list --help)`);
        throw new UsageError(`unknown command 'history ${command.args[0]}'; the history commands are list, growth, changes and import (tkf history --help)`);
      }
      const accounts = await withDb(openHistoryToRead(await target(options, ctx)), listAccounts);
      if (options.json) {
        ctx.jsonSaid = true;
        return void ctx.stdout.write(`${JSON.stringify(accounts)}\n`);
      }
      // A message, not data: on stderr, stdout stays empty.
      if (accounts.length === 0) return void ctx.stderr.write('tkf: no account recorded yet\n');
      ctx.stdout.write(`${'uid'.padEnd(20)} ${pad('snapshots', 9)} ${pad('followers', 11)}  last snapshot\n`);
      for (const a of accounts) ctx.stdout.write(`${a.uid.padEnd(20)} ${pad(a.snapshots, 9)} ${pad(formatCount(a.followers), 11)}  ${a.last_snapshot_at}\n`);
    });

  history
    .command('growth')
    .addHelpText('after', exitHelp('growth'))
    .description('one line per snapshot of an account, oldest first')
    .addOption(dbOption())
    .requiredOption('--uid <user_id>', 'the account')
    .addOption(jsonOption())
    .action(async (options: Common & { uid: string }) => {
      const uid = validateUid(options.uid);
      const { points, label } = await withDb(openHistoryToRead(await target(options, ctx)), async (db) => ({ points: await accountGrowth(db, uid), label: db.label }));
      // A uid with no snapshot (a typo in a script) is said, and fails: not an empty answer
      // (under --json, the failure's object, as every command's).
      if (points.length === 0) throw unknownAccount(uid, label);
      if (options.json) {
        ctx.jsonSaid = true;
        ctx.stdout.write(`${JSON.stringify(points)}\n`);
        return;
      }
      ctx.stdout.write(
        `${'date'.padEnd(24)} ${pad('on profile', 12)} ${pad('served', 8)} ${pad('added', 7)} ${pad('first seen', 10)} ${pad('removed', 7)} ${pad('beyond reach', 12)} ${pad('followers', 10)}\n`,
      );
      for (const [i, p] of points.entries()) {
        const removed = p.sees_losses ? formatCount(p.removed) : 'n/a';
        const note =
          p.end === 'update'
            ? i === 0
              ? '  (--update, the first snapshot)'
              : '  (--update: new followers only)'
            : !p.sees_losses
              ? '  (gone on with after a pause: nobody called gone)'
              : p.end === 'limit'
                ? '  (--limit: the newest followers only)'
                : '';
        ctx.stdout.write(
          `${p.at.padEnd(24)} ${pad(p.on_profile === null ? '?' : formatCount(p.on_profile), 12)} ${pad(formatCount(p.served), 8)} ${pad(formatCount(p.added), 7)} ${pad(formatCount(p.first_seen), 10)} ${pad(removed, 7)} ${pad(formatCount(p.beyond_reach), 12)} ${pad(formatCount(p.followers), 10)}${note}\n`,
        );
      }
    });

  history
    .command('changes')
    .addHelpText('after', exitHelp('changes'))
    .description('the followers of an account who came and went, with dates, to CSV, JSONL or .xlsx')
    .addOption(dbOption())
    .requiredOption('--uid <user_id>', 'the account')
    .option('--since <date>', 'from this day or time (UTC, unless the time names its zone: Z, +08:00), included')
    .option('--until <date>', 'up to this day or time, included: a day whole, a time to its own precision (a second: all of it)')
    .option('--beyond-reach', 'also list followers who slid past the API\'s reach (not gone), and those first seen below where the walk before ended (not come)')
    .addOption(new Option('--out <file|->', 'a file (.csv, .jsonl, .ndjson, .xlsx) or - for stdout (the default)'))
    .addOption(new Option('--format <format>', 'default: from the --out extension; csv for stdout').choices(FORMAT_NAMES))
    .option('--fields <list>', 'columns (default: change,changed_at, then the export\'s default columns)')
    .option('--force', 'replace --out if it exists')
    .option('--bom', 'CSV: start with a UTF-8 byte order mark')
    .option('--no-formula-guard', "CSV: don't neutralise cells starting with = + - @")
    .action(async (options: Common & { uid: string; since?: string; until?: string; beyondReach?: boolean; out?: string; format?: string; fields?: string; force?: boolean; bom?: boolean; formulaGuard: boolean }) => {
      const uid = validateUid(options.uid);
      const out = options.out ?? '-';
      // As tkf export's: a --format that contradicts --out's extension is refused. stdout: CSV.
      const format = out === '-' && !options.format ? getFormat('csv') : chooseFormat(options.format, out);
      if (format.render && out === '-') throw new UsageError(`--format ${format.name} writes a file, not stdout; use --out changes.${format.name}`);
      const range = {
        since: options.since === undefined ? undefined : parseDate(options.since, '--since'),
        until: options.until === undefined ? undefined : parseDate(options.until, '--until', true),
        beyondReach: Boolean(options.beyondReach),
      };
      if (range.since !== undefined && range.until !== undefined && range.since >= range.until) {
        throw new UsageError(`--since ${options.since} is not before --until ${options.until}: no time lies between them`);
      }
      const dbTarget = await target(options, ctx);
      refuseOverInput('--out', out, sqliteFiles(dbTarget), 'the history database');
      const rows = await withDb(openHistoryToRead(dbTarget), async (db) => {
        const found = await accountChanges(db, uid, range);
        if (found.length === 0 && !(await hasAccount(db, uid))) throw unknownAccount(uid, db.label);
        return found;
      });
      const fields = options.fields === undefined ? undefined : parseFieldList(options.fields);
      if (fields) checkChangeFields(fields, rows);
      const output = { format, fields, bom: Boolean(options.bom), formulaGuard: options.formulaGuard };
      if (out === '-') {
        // A full disk behind `> file` is the output failing (exit 7), as for every command's stdout.
        await writeChangesToStream(ctx.stdout, rows, output).catch((error: unknown) => {
          throw stdoutError(error);
        });
      }
      else {
        await makeDirectory(dirname(out)); // as tkf export makes --out's missing folders
        await writeChangesToFile(out, rows, output, Boolean(options.force), { owner: lockOwner(), isRunning });
      }
      const count = (change: string) => rows.filter((r) => r.change === change).length;
      const apart = range.beyondReach ? `, ${formatCount(count('beyond_reach'))} past the API's reach, ${formatCount(count('first_seen'))} first seen below where the walk before ended` : '';
      ctx.stderr.write(`tkf: ${uid}: ${signedCount('+', count('added'))} came, ${signedCount('-', count('removed'))} left${apart}${out === '-' ? '' : `; file: ${out}`}\n`);
    });

  history
    .command('import')
    .addHelpText('after', exitHelp('import'))
    .description('backfill the database from earlier exports (CSV or JSONL, with their manifests), before the first tkf export --db of their accounts')
    .argument('<file...>', 'export files; each becomes a snapshot, oldest first (one older than its account\'s latest snapshot cannot: exit 11)')
    .addOption(dbOption())
    .option('--uid <user_id>', 'whose followers, for files without a manifest (<file>.tkf.json)')
    .addOption(jsonOption())
    .action(async (files: string[], options: Common & { uid?: string }) => {
      const account = options.uid === undefined ? undefined : validateUid(options.uid);
      const { importFiles, isFailure } = await import('../history/import-files.js');
      const db = await target(options, ctx);
      // A SQLite file this import would make: left behind only if something was recorded into it
      // (a file that fails half-way, after the checks, left an empty 240 KB database). Not when
      // anything was at that path (a link, even one to nothing), nor when the file holds a snapshot
      // by the time the import ends (another tkf began writing it meanwhile).
      const made = !isPostgresUrl(db) && (await lstat(db).then(() => false, () => true));
      const { results, stopped } = await importFiles(() => openHistory(db), files, { account });
      if (made && !results.some((r) => !isFailure(r)) && (await holdsNoSnapshot(db))) {
        await Promise.all(sqliteFiles(db).map((path) => rm(path, { force: true }).catch(() => {})));
      }
      const failures = results.filter(isFailure);
      if (options.json) {
        ctx.jsonSaid = true;
        ctx.stdout.write(`${JSON.stringify(results.map((r) => (isFailure(r) ? { file: r.file, error: r.error, exit_code: r.exit_code } : r)))}\n`);
      }
      for (const r of options.json ? [] : results) {
        if (isFailure(r)) {
          // The files the database failed under are said once, by the error's own line.
          if (files.length > 1 && r.cause !== stopped) ctx.stderr.write(`tkf: ${r.file}: not imported: ${r.error}\n`);
          continue;
        }
        const what = r.recorded
          ? `${signedCount('+', r.added)} came, ${r.sees_losses ? `${signedCount('-', r.removed)} left` : 'who left not seen (an --update, or a walk gone on with after a pause)'}, ${formatCount(r.beyond_reach)} past the API's reach${r.first_seen ? `, ${formatCount(r.first_seen)} first seen below where the walk before ended` : ''}`
          : 'already recorded';
        ctx.stderr.write(`tkf: ${r.file}: ${r.account} at ${r.at}: ${what}\n`);
      }
      // The database failed: its own error (exit 11), after what was settled before it.
      if (stopped) throw stopped;
      // The others are imported; the run's exit code is the first failure's (one file: its own error).
      if (failures.length === 1 && files.length === 1) throw failures[0]!.cause;
      if (failures.length) {
        throw new BatchError(failures[0]!.exit_code, `${failures.length} of ${files.length} files not imported${options.json ? ` (first: ${failures[0]!.file}: ${failures[0]!.error})` : ''}`);
      }
    });
  return history;
}
