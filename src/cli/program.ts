/**
 * createProgram(): a fresh commander Command for each run (no global `program`), so tests can
 * build as many as they like.
 */
import { Command } from 'commander';
import type { CliContext } from './context.js';
import { diffCommand } from './diff-command.js';
import { exportCommand } from './export-command.js';
import { historyCommand } from './history-command.js';
import { infoCommand } from './info-command.js';
import { reportCommand } from './report-command.js';
import { simulateCommand } from './simulate-command.js';

export function createProgram(ctx: CliContext): Command {
  const program = new Command('tkf')
    .description("Export a TikTok user's followers from a followers API to CSV, JSONL or .xlsx files.")
    .version(ctx.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      // commander's "error: ..." becomes "tkf: ...", like every other error line.
      outputError: (text, write) => write(`tkf: ${text.replace(/^error: /, '')}`),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  $ tkf export --demo --out followers.csv      try it on the built-in simulator
  $ tkf export --uid 6754915036232582149 --out followers.csv
  $ tkf info --uid 6754915036232582149         visible? how many? what would it cost?
  $ tkf diff old.csv new.csv                   who followed since, who left (and who slid past the API's reach)
  $ tkf report followers.jsonl --html report.html   the audience at a glance, as a page
  $ tkf export --uid 6754915036232582149 --db history.sqlite && tkf history growth --db history.sqlite --uid 6754915036232582149
  $ tkf simulate --port 8080                   serve a local stand-in of the API
  $ tkf export --help                          every option and the exit codes
`,
    );
  // Each command's --json promises one object (or array) on stdout, a failure's included (main.ts).
  program.hook('preAction', (_program, action) => {
    if (action.opts().json) ctx.jsonPromised = true;
  });
  for (const command of [exportCommand(ctx), infoCommand(ctx), simulateCommand(ctx), diffCommand(ctx), reportCommand(ctx), historyCommand(ctx)]) {
    command.exitOverride().configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      outputError: (text, write) => write(`tkf: ${text.replace(/^error: /, '')}`),
    });
    command.showHelpAfterError(`(run tkf ${command.name()} --help for usage)`);
    program.addCommand(command);
  }
  return program;
}
