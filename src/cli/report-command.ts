/**
 * `tkf report <export>`: the audience of an export at a glance. The summary goes to stdout (text,
 * or one JSON object with --json); --html <file> also writes a self-contained page, through
 * `<file>.part` and a rename, so a page is never half written.
 */
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { OutputError, UsageError } from '../errors.js';
import { describeFsError } from '../output/fs-errors.js';
import { renderHtml } from '../report/render-html.js';
import { renderText } from '../report/render-text.js';
import { summarizeExport } from '../report/summarize-export.js';
import type { CliContext } from './context.js';

interface ReportCommandOptions {
  json?: boolean;
  html?: string;
  force?: boolean;
}

const HELP = `
Reads a .csv or .jsonl export (streaming: any size in constant memory) and summarises who the
followers are: regions and languages (top 10 and the rest), verified accounts, tiers of their own
follower counts, activity signals with a "likely inactive" share (rules in the README, section
Report), and the 20 most-followed followers. A section whose field the export does not hold
(a --fields export) is left out with a note. The profile's follower count comes from the
export's manifest (<file>.tkf.json) when it is there.

Examples:
  $ tkf export --demo --out f.jsonl && tkf report f.jsonl --html report.html
  $ tkf report followers.csv --json | jq .by_region

Exit codes:
    0  done
    2  bad usage, or an export that is missing, unreadable or not a tkf export (file and line named)
    7  the --html page cannot be written (or exists without --force)
`;

export function reportCommand(ctx: CliContext): Command {
  return new Command('report')
    .description('the audience of an export at a glance: regions, languages, reach, activity')
    .argument('<export>', 'an export (.csv, .jsonl or .ndjson)')
    .addOption(new Option('--json', 'print the summary as one JSON object on stdout'))
    .addOption(new Option('--html <file>', 'also write a self-contained HTML page with charts (opens offline)'))
    .addOption(new Option('--force', 'replace the --html file if it exists'))
    .addHelpText('after', HELP)
    .action(async (path: string, options: ReportCommandOptions) => {
      if (options.html !== undefined && !options.html.trim()) throw new UsageError('--html needs a file name, e.g. --html report.html');
      if (options.html && !options.force && (await exists(options.html))) {
        throw new OutputError(`${options.html} already exists; use --force to replace it`);
      }
      const report = await summarizeExport(path, { signal: ctx.signal });
      if (options.html) await writePage(options.html, renderHtml(report));
      ctx.stdout.write(options.json ? `${JSON.stringify(report)}\n` : renderText(report));
      if (options.html && !options.json) ctx.stderr.write(`tkf: wrote ${options.html}\n`);
    });
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
    throw new OutputError(`cannot write ${path}: ${describeFsError(error)}`);
  }
}
