/**
 * `tkf report <export>`: the audience of an export at a glance. The summary goes to stdout (text,
 * or one JSON object with --json); --html <file> also writes a self-contained page, through
 * `<file>.part` and a rename, so a page is never half written. `tkf report --db X --uid U`, with no
 * export: the same of the account's followers as the history database knows them (a history kept
 * with --db and no --out has no file to give).
 */
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { HistoryDbError, OutputError, UsageError } from '../errors.js';
import { checkDescribes, readCheckpoint, updatedRows } from '../output/checkpoint.js';
import { describeFsError } from '../output/fs-errors.js';
import { readBackFormat } from '../output/export-reader.js';
import { checkDirectory, makeDirectory, outputPaths, refuseOverInput, refuseOverInterrupted } from '../output/output-file.js';
import { dirname } from 'node:path';
import { openHistoryToRead, sqliteFiles } from '../history/open-history.js';
import { accountGrowth, type GrowthPoint as HistoryPoint } from '../history/queries.js';
import { growthFromHistory } from '../report/growth-from-history.js';
import type { GrowthPoint } from '../report/growth-chart.js';
import { renderHtml } from '../report/render-html.js';
import { renderText } from '../report/render-text.js';
import { summarizeExport, summarizeHistory } from '../report/summarize-export.js';
import type { AudienceReport } from '../report/audience.js';
import { validateUid } from './api-access.js';
import type { CliContext } from './context.js';
import { ENV } from './env-names.js';
import { configuredDb, unknownAccount } from './history-command.js';
import { addDbSecrets } from './history-export.js';

interface ReportCommandOptions {
  json?: boolean;
  html?: string;
  force?: boolean;
  db?: string;
  uid?: string;
}

const HELP = `
Reads a .csv or .jsonl export (streaming: any size in constant memory) and summarises who the
followers are: regions and languages (top 10 and the rest), verified accounts, tiers of their own
follower counts, activity signals with a "likely inactive" share (rules in the README, section
Report), and the 20 most-followed followers. A section whose field the export does not hold
(a --fields export) is left out with a note. The profile's follower count comes from the
export's manifest (<file>.tkf.json) when it is there.

With --db (the history that \`tkf export --db\` records), the page also shows the account's
followers over time: what the API served at each snapshot, the followers past its reach, and the
followers added and gone per snapshot. The account is the export's (from its manifest), or --uid.

With --db and --uid and no export, the report is of the account's followers as the history
database knows them: those it says follow now (as \`tkf history\` counts them: the followers past
the API's reach included, each with its fields as last seen), the profile's count of its last
snapshot; --html adds the followers over time. For a history kept with --db and no --out.

Examples:
  $ tkf export --demo --out f.jsonl && tkf report f.jsonl --html report.html
  $ tkf report exports/2026-12-01/6754915036232582149.jsonl --html report.html --db history.sqlite
  $ tkf report --db history.sqlite --uid 6754915036232582149 --html report.html
  $ tkf report followers.csv --json | jq .by_region

Exit codes:
    0  done
    2  bad usage, or an export that is missing, unreadable or not a tkf export (file and line named)
    4  --uid names an account the history database (--db) has no snapshot of
    7  the --html page cannot be written (or exists without --force)
   11  the history database (--db) cannot be opened or read
`;

export function reportCommand(ctx: CliContext): Command {
  return new Command('report')
    .description('the audience of an export (or of an account in the history database) at a glance: regions, languages, reach, activity')
    .argument('[export]', 'an export (.csv, .jsonl or .ndjson); none with --db and --uid: the history\'s followers of that account')
    .addOption(new Option('--json', 'print the summary as one JSON object on stdout'))
    .addOption(new Option('--html <file>', 'also write a self-contained HTML page with charts (opens offline)'))
    .addOption(new Option('--force', 'replace the --html file if it exists'))
    .addOption(new Option('--db <target>', `with --html: add the account's followers over time from this history database (SQLite file or postgres:// URL); with no export, report on the account's followers it knows (env: ${ENV.db}; config key db)`))
    .addOption(new Option('--uid <user_id>', "with --db: the account (default: the export's, from its manifest; needed with no export)"))
    .addHelpText('after', HELP)
    .action(async (path: string | undefined, options: ReportCommandOptions) => {
      if (options.html !== undefined && !options.html.trim()) throw new UsageError('--html needs a file name, e.g. --html report.html');
      // Not stdout: that holds the summary (or --json); a file named "-" was written instead.
      if (options.html === '-') throw new UsageError('--html writes the page to a file (stdout holds the summary): name it, e.g. --html report.html');
      if (path === undefined) {
        // No export: the account's followers from the history database (--db, TKF_DB, the config file's db).
        const db = options.db ?? (await configuredDb(undefined, ctx));
        if (db === undefined) {
          throw new UsageError('give an export to report on (tkf report followers.csv), or a history database and an account (tkf report --db history.sqlite --uid <user_id>)');
        }
        if (options.uid === undefined) throw new UsageError('with no export, the report is of one account of the history database: name it with --uid');
        addDbSecrets(ctx.secrets, db);
        await refuseExistingPage(options, sqliteFiles(db));
        const { report, points } = await historyReport(db, validateUid(options.uid), ctx);
        return say(report, options.html ? growthFromHistory(points) : undefined, options, ctx);
      }
      // --db, else (for the page) TKF_DB, else the config file's db, as tkf history takes it.
      const fromSettings = options.db === undefined && options.html ? await configuredDb(undefined, ctx) : undefined;
      await refuseExistingPage(options, [path, ...sqliteFiles(options.db ?? fromSettings)]);
      let db = options.db ?? fromSettings;
      if (db !== undefined && !options.html) throw new UsageError('--db adds followers over time to the HTML page: give --html <file> too');
      if (options.uid !== undefined && db === undefined) throw new UsageError('--uid names the account of the history database: give --db too');
      addDbSecrets(ctx.secrets, db);
      // A manifest that is there but cannot be read (another user's: they are owner-only) is said,
      // not taken for none: it is what names the account and the profile's count.
      let manifestProblem: string | undefined;
      readBackFormat(path);
      const manifest = await readCheckpoint(outputPaths(path).manifest).catch((error: unknown) => {
        manifestProblem = error instanceof Error ? error.message : String(error);
        return undefined;
      });
      await checkDescribes(path, manifest);
      ctx.stopsOnSignal = true;
      const report = await summarizeExport(path, { signal: ctx.signal, manifest });
      // What follows does not look at the signal: one now ends tkf at once (main.ts).
      ctx.stopsOnSignal = false;
      if (manifestProblem && (db === undefined || options.uid !== undefined)) {
        ctx.stderr.write(`tkf: warning: ${manifestProblem}; the report has no follower count of the profile\n`);
      }
      // A file --update extended keeps every follower its walks found: those who left since are in it.
      if (updatedRows(manifest) !== undefined) {
        ctx.stderr.write(`tkf: warning: ${path} was extended by --update, which cannot see who left: followers who left since its earlier walks are still counted (a full export, or --db, counts those who follow now)\n`);
      }
      // A database the user did not name here (TKF_DB, the config file) is no reason to refuse the
      // page of an export that does not say whose it is: the page is made without its growth.
      if (fromSettings !== undefined && options.db === undefined && options.uid === undefined && report.account === null) {
        ctx.stderr.write(`tkf: warning: ${path} has no manifest saying whose followers it holds: the page leaves out the history of ${fromSettings} (name the account with --uid)\n`);
        db = undefined;
      }
      if (db !== undefined && options.uid === undefined && report.account === null && manifestProblem) {
        throw new UsageError(`${manifestProblem}; it names whose followers the export holds: name the account with --uid`);
      }
      // The page is one account's: its audience from the file, its growth from the database.
      if (options.uid !== undefined && report.account !== null && options.uid !== report.account) {
        throw new UsageError(`${path} holds the followers of ${report.account} (its manifest says), not ${options.uid}: the page would show one account's audience beside another's growth`);
      }
      let growth: GrowthPoint[] | undefined;
      try {
        growth = db === undefined ? undefined : await historyOf(db, options.uid, report.account, ctx);
      } catch (error) {
        // A database set for every run (TKF_DB, the config file) that cannot be read (not made
        // yet, moved, a server down) is no reason to refuse the page: it is made without it.
        if (!(error instanceof HistoryDbError) || options.db !== undefined || fromSettings === undefined) throw error;
        ctx.stderr.write(`tkf: warning: ${error.message}; the page has no "followers over time"\n`);
      }
      await say(report, growth, options, ctx);
    });
}

/** An --html page that exists is replaced only with --force: refused before anything is read. */
async function refuseExistingPage(options: ReportCommandOptions, inputs: ReadonlyArray<string | undefined>): Promise<void> {
  if (!options.html) return;
  // Not over what it reports on (the export and its own files, the database), --force or not.
  refuseOverInput('--html', options.html, inputs, 'what the report is made from');
  // Written beside itself and renamed over: never over a device, a pipe or a link (as root,
  // --html /dev/null --force made /dev/null a file), nor over an interrupted export's rows.
  // Missing directories are made, as for export's --out and diff's (before anything is read).
  await makeDirectory(dirname(options.html), '--html');
  await checkDirectory(options.html, '--html');
  await refuseOverInterrupted(options.html);
  if (!options.force && (await exists(options.html))) {
    throw new OutputError(`${options.html} already exists; use --force to replace it`);
  }
}

/** The page (--html), then the summary on stdout. */
async function say(report: AudienceReport, growth: GrowthPoint[] | undefined, options: ReportCommandOptions, ctx: CliContext): Promise<void> {
  if (options.html) await writePage(options.html, renderHtml(report, { growth }));
  if (options.json) ctx.jsonSaid = true;
  ctx.stdout.write(options.json ? `${JSON.stringify(report)}\n` : renderText(report));
  if (options.html && !options.json) ctx.stderr.write(`tkf: wrote ${options.html}\n`);
}

/** The account's audience and snapshots from the history database; an account it has no snapshot of is exit 4. */
async function historyReport(db: string, whose: string, ctx: CliContext): Promise<{ report: AudienceReport; points: HistoryPoint[] }> {
  const driver = await openHistoryToRead(db);
  try {
    const points = await accountGrowth(driver, whose);
    const last = points.at(-1);
    if (last === undefined) throw unknownAccount(whose, driver.label);
    const report = await summarizeHistory(driver, whose, { at: last.at, onProfile: last.on_profile }, { signal: ctx.signal });
    return { report, points };
  } finally {
    await driver.close();
  }
}

/** The account's snapshots from the history database, for the page's "followers over time". */
async function historyOf(db: string, uid: string | undefined, account: string | null, ctx: CliContext): Promise<GrowthPoint[]> {
  if (uid === undefined && account === null) {
    throw new UsageError("the export has no manifest saying whose followers it holds: name the account with --uid");
  }
  const whose = validateUid(uid ?? account ?? undefined);
  const driver = await openHistoryToRead(db);
  try {
    const points = await accountGrowth(driver, whose);
    // An account named with --uid that the database does not know is a typo (exit 4, as tkf
    // history growth); the export's own account may have no history yet: said, and the page made.
    if (points.length === 0 && uid !== undefined) throw unknownAccount(whose, driver.label);
    if (points.length === 0) ctx.stderr.write(`tkf: the history database has no snapshot of ${whose}; the page has no "followers over time"\n`);
    return growthFromHistory(points);
  } finally {
    await driver.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function writePage(path: string, html: string): Promise<void> {
  const part = `${path}.part`;
  try {
    await writeFile(part, html);
    await rename(part, path);
  } catch (error) {
    await rm(part, { force: true }).catch(() => {});
    throw new OutputError(`cannot write ${path}: ${describeFsError(error)}`, { cause: error });
  }
}
