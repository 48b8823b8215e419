/**
 * The process boundary: builds the context from `process`, runs the program, maps every outcome
 * to one line on stderr and an exit code. The only process.exit in tkf is here.
 */
import { createRequire } from 'node:module';
import { closeSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import v8 from 'node:v8';
import { CommanderError } from 'commander';
import { EXIT, INTERRUPT_EXIT, InterruptedError, PipeClosedError, TkfError, redactAll, type InterruptSignal } from '../errors.js';
import { readAll, readHiddenLine, type CliContext } from './context.js';
import { closeSqliteAtOnce } from '../history/sqlite-driver.js';
import { createProgram } from './program.js';
import { stdoutError, writeOut } from './stdout-errors.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/**
 * On Node 20 (ctx.preferSmallHeap, called by a single export without --db), lets V8's old generation
 * grow by half of itself at each full collection instead of by its own factor (up to 4x for a
 * heap this small). The page bodies an export leaves behind are garbage that only a full
 * collection frees, and V8 let the old generation grow past 100 MB of RSS before one. A 100k
 * JSONL export (young generation held small from the start, bin/tkf.js), ten runs each: without
 * it 4 full collections, peak RSS 117-121 MB, 3.5-4.2 s; with 50%, 20-21 full collections (the
 * marking on V8's helper threads: ~+0.35 s of CPU), peak RSS 91-93 MB, 3.8-4.1 s, under
 * issue 20's 100 MB (with 120%: 96-100 MB, too close to it). Not a limit: a large
 * heap still grows as it needs. Not on Node 24/26: there the same flag cost
 * 3-6 s of CPU for a 100k export and their peak is not the old generation (heapTotal ~30 MB).
 * Not with --db: the flag is the whole process's, and the SQLite recording thread, whose heap
 * holds thousands of rows between transactions, then marked it again and again (+2-2.5 s wall,
 * +4 s CPU for a 100k export with --db). Not for a --uids-file batch: 16 accounts at once keep
 * the old generation busy, and the night's batch spent ~4 s more CPU and ~1 s more wall with it
 * (its peak, ~126 MB without, is under the batch's own goal).
 */
function keepOldGenerationSmall(): void {
  if (process.versions.node.split('.')[0] !== '20') return;
  setHeapFlag('--heap-growing-percent=50');
}

/**
 * The V8 flags the run holds its heap with, bin/tkf.js's first. Node 20 sets V8's flags back to
 * its own when a worker thread starts (the --db recording thread): the main thread's young
 * generation then grew to 16 MiB semi-spaces, its page bodies waited that much longer for a
 * scavenge, and a 100k JSONL export with --db made 34 full collections of a ~14 MB heap instead
 * of 6 (Node 24 and 26 keep the flags). The recording thread sets them again first thing
 * (record-thread.ts, given them as ctx.heapFlags), before the walks start.
 */
const HOLD_YOUNG_GENERATION = '--semi-space-growth-factor=1';
const heapFlags: string[] = [HOLD_YOUNG_GENERATION];

function setHeapFlag(flag: string): void {
  v8.setFlagsFromString(flag);
  heapFlags.push(flag);
}

/**
 * Grows V8's young generation once, to 2 MiB semi-spaces (bin/tkf.js holds it at its starting
 * 1 MiB), for an export whose rows are built of decoded values (ctx.preferRoomForRows). A 100k
 * CSV export made ~1,940 scavenges at 1 MiB against ~990 at 2 MiB (490-650 ms of pauses against
 * 330-470; five alternated runs, wall 4.82-5.26 s against 4.87-5.43, each run faster), XLSX
 * ~2,320 against ~1,150 (its wall the same in four alternated runs); peak RSS 92 and 96 MB on
 * Node 20. JSONL without --fields measured the same at either size and stays at 1 MiB (at 4 MiB
 * it fell into ~148 full collections: its page buffers then wait too long for a scavenge). V8
 * takes no size once started and grows the space only when enough survives its scavenges: so
 * objects are kept alive here until it has grown (3.4 ms on Node 20, 2.5 ms on Node 24), then
 * growth is switched off again. At most 256 steps, should a V8 never grow it. Exported for
 * test/e2e/young-generation.test.ts, which measures what it leaves.
 */
export function growYoungGenerationOnce(): void {
  // What a semi-space holds (space_size also counts the other semi-space once it is committed).
  const newSpace = () => {
    const space = v8.getHeapSpaceStatistics().find((each) => each.space_name === 'new_space');
    return space ? space.space_used_size + space.space_available_size : Infinity;
  };
  v8.setFlagsFromString('--semi-space-growth-factor=2');
  // What survives the scavenges this provokes: V8 grows the space once enough has.
  const kept: Array<Array<{ a: number; b: number }>> = [];
  for (let step = 0; step < 256 && newSpace() < ROWS_NEW_SPACE; step++) {
    const objects = new Array<{ a: number; b: number }>(1024);
    for (let i = 0; i < objects.length; i++) objects[i] = { a: i, b: step };
    kept.push(objects);
  }
  v8.setFlagsFromString(HOLD_YOUNG_GENERATION);
}

/** A 2 MiB semi-space, less what V8 keeps of it for itself (Node 20: 2,061,760 bytes usable). */
const ROWS_NEW_SPACE = 1.8 * 1024 * 1024;

export async function main(argv: string[]): Promise<never> {
  const interrupts = new AbortController();
  // A pseudo-terminal with no size (util-linux `script`, some CI runners) reports 0 columns, and
  // ora then redraws as if its line wrapped endlessly: assume a common width instead.
  if (process.stderr.isTTY && !(process.stderr.columns > 0)) process.stderr.columns = 80;
  const ctx: CliContext = {
    argv,
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTTY: Boolean(process.stderr.isTTY) && process.env.TERM !== 'dumb',
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    readStdin: () => readAll(process.stdin),
    ...(process.stdin.isTTY ? { readSecretLine: (prompt: string) => readHiddenLine(process.stdin, process.stderr, prompt), stdinIsTTY: true } : {}),
    version,
    signal: interrupts.signal,
    secrets: [],
    preferSmallHeap: keepOldGenerationSmall,
    preferRoomForRows: growYoungGenerationOnce,
    heapFlags: () => [...heapFlags],
  };
  const say = (text: string) => process.stderr.write(`${redactAll(text, ctx.secrets)}\n`);

  // Messages are said as well as stderr allows: a terminal that has closed (a window, a dropped
  // ssh session) fails every write with EIO, often before its SIGHUP arrives, and a progress redraw
  // then must not end the run before its checkpoint is saved. The exit code says the outcome.
  process.stderr.on('error', () => {});
  // Ends the process now: `said` on stderr, and --json's one object on stdout if it is not out yet
  // (`| jq` sees it), written synchronously: nothing runs after the next line.
  const quitAtOnce = (code: number, said: string, json: Record<string, unknown>): never => {
    say(said);
    // An open SQLite history database: its transaction rolled back, the file left alone (no -wal).
    try {
      closeSqliteAtOnce();
    } catch {
      // it stays as SQLite keeps it: consistent
    }
    if (ctx.jsonPromised && !ctx.jsonSaid) {
      ctx.jsonSaid = true;
      try {
        writeSync(1, `${JSON.stringify(json)}\n`);
      } catch {
        // stdout is gone: the exit code says it
      }
    }
    return exit(code);
  };
  const onSignal = (signal: InterruptSignal) => {
    const code = INTERRUPT_EXIT[signal];
    if (interrupts.signal.aborted) {
      // A closed terminal sends SIGHUP twice (the shell passes its own on to its jobs, and the
      // kernel hangs up the foreground group): only the operator's second signal quits at once.
      if (signal === 'SIGHUP') return;
      // Second signal: quit at once. The checkpoint on disk is always a complete one.
      const resume = ctx.resumeHint ? `; resume with: ${ctx.resumeHint}` : '';
      quitAtOnce(code, `tkf: stopped at once${resume}`, { ...incomplete(ctx), exit_code: code, error: redactAll(`stopped at once by a second signal (${signal})${resume}`, ctx.secrets) });
    }
    // A command that does not watch the signal: it ends now. A database transaction left open is
    // rolled back (SQLite's journal, PostgreSQL's closed connection); an output file is published
    // only once written (never, here).
    if (!ctx.stopsOnSignal) quitAtOnce(code, `tkf: interrupted by ${signal}`, { exit_code: code, error: `interrupted by ${signal}` });
    ctx.onInterrupt?.(signal);
    interrupts.abort(new InterruptedError(signal));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGHUP', () => onSignal('SIGHUP'));
  // `tkf export --out - | head`: the reader left; stop quietly. Any other failure of stdout (a
  // full disk, /dev/full) is kept: the command's own write sees it too and fails with exit 7, and
  // a write nobody waited for is caught at the end below.
  let stdoutFailure: unknown;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') exit(EXIT.ok);
    stdoutFailure ??= error;
  });

  let code = await runCli(ctx);
  // A write nobody waited for (commander's help, say) reports its failure a tick later.
  if (code === EXIT.ok) await new Promise((resolve) => setImmediate(resolve));
  if (code === EXIT.ok && stdoutFailure !== undefined) code = reportFailure(stdoutError(stdoutFailure), ctx);
  exit(code);
}

/** stdin, stdout and stderr that were a terminal when tkf started (asked once: see exit). */
const TERMINAL_FDS = [0, 1, 2].filter((fd) => isatty(fd));

/**
 * process.exit(code), first closing each of stdin, stdout and stderr that was a terminal and no
 * longer is one: a terminal that hung up fails tcgetattr, so isatty() turns false. Node 20 puts
 * a terminal's settings back as it exits and aborts (an assertion in node.cc ResetStdio, SIGABRT)
 * when the terminal is gone; it skips a descriptor that is closed. Every line was written by
 * then (stdio is synchronous on Linux), and the exit code stays the run's own.
 */
function exit(code: number): never {
  for (const fd of TERMINAL_FDS) {
    if (isatty(fd)) continue;
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
  process.exit(code);
}

/**
 * Runs one command line in `ctx` and maps its outcome to an exit code, saying what went wrong on
 * ctx.stderr (secrets redacted). main() runs it on the process; tests run it in process with
 * streams of their own.
 */
export async function runCli(ctx: CliContext): Promise<number> {
  try {
    await createProgram(ctx).parseAsync(ctx.argv);
    return EXIT.ok;
  } catch (error) {
    await sayJsonFailure(error, ctx);
    return reportFailure(error, ctx);
  }
}

/**
 * A command run with --json that failed before its JSON was out (diff, report, history: an input
 * that cannot be read, a database that cannot be opened; or commander's refusal of the command
 * line) prints one object on stdout (export's with `complete: false`, as its outcome says):
 * `| jq` sees the failure and its exit code instead of no input. Not for a reader that left
 * (`| head`), nor help or --version.
 */
async function sayJsonFailure(error: unknown, ctx: CliContext): Promise<void> {
  if (ctx.jsonSaid || error instanceof PipeClosedError) return;
  // commander's refusal of the command line (an option's value, an unknown option) comes before
  // any command runs: --json on that line promised the object all the same.
  const refused = error instanceof CommanderError && error.exitCode !== 0 && ctx.argv.slice(2).includes('--json');
  if (error instanceof CommanderError ? !refused : !ctx.jsonPromised) return;
  ctx.jsonSaid = true;
  const exitCode = refused ? EXIT.usage : error instanceof TkfError ? error.exitCode : EXIT.internal;
  const message = redactAll((error instanceof Error ? error.message : String(error)).replace(/^error: /, ''), ctx.secrets);
  await writeOut(ctx.stdout, `${JSON.stringify({ ...incomplete(ctx), exit_code: exitCode, error: message })}\n`).catch(() => {});
}

/** export's failure object says `complete: false` too (export-command.ts), as its outcome does; no other command has the field. */
function incomplete(ctx: CliContext): { complete?: false } {
  return ctx.argv[2] === 'export' ? { complete: false } : {};
}

/** Says what went wrong on ctx.stderr (secrets redacted) and returns its exit code. */
function reportFailure(error: unknown, ctx: CliContext): number {
  const verbose = ctx.argv.includes('--verbose') || ctx.argv.includes('-v');
  const say = (text: string) => ctx.stderr.write(`${redactAll(text, ctx.secrets)}\n`);
  return report(error, ctx, say, verbose);
}

function report(error: unknown, ctx: CliContext, say: (text: string) => void, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // Help and --version end here too, with exit code 0; commander has printed its message.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof PipeClosedError) return EXIT.ok;
  if (error instanceof InterruptedError) {
    say(`tkf: interrupted by ${error.signal}${ctx.resumeHint ? `; resume with: ${ctx.resumeHint}` : ''}`);
    return error.exitCode;
  }
  if (error instanceof TkfError) {
    if (error.message) say(`tkf: ${error.message}`);
    if (error.exitCode === EXIT.stopped && ctx.resumeHint) say(`tkf: resume with: ${ctx.resumeHint}`);
    if (verbose && error.stack) say(error.stack);
    return error.exitCode;
  }
  say(`tkf: internal error: ${error instanceof Error ? error.message : String(error)}${verbose ? '' : ' (run with --verbose for details)'}`);
  if (verbose && error instanceof Error && error.stack) say(error.stack);
  return EXIT.internal;
}
