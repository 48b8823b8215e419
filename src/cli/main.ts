/**
 * The process boundary: builds the context from `process`, runs the program, maps every outcome
 * to one line on stderr and an exit code. The only process.exit in tkf is here.
 */
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import { CommanderError } from 'commander';
import { EXIT, InterruptedError, PipeClosedError, TkfError, redact } from '../errors.js';
import { readAll, type CliContext } from './context.js';
import { createProgram } from './program.js';
import { stdoutError } from './stdout-errors.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/**
 * Keeps V8's young generation at its starting size instead of letting it grow to 16 MB semi-spaces
 * (64 MB on Node 24+). An export allocates fast and briefly (a page body, its followers, their
 * rows), which is exactly what makes V8 grow the young generation, and its peak RSS with it.
 * Measured on a 100,000-follower CSV export (npm run bench's list), peak RSS in MB: Node 20
 * 140 -> 112, Node 24 265 -> 158, Node 26 220 -> 168, with no measurable change in wall time
 * (the scavenges find mostly dead objects). Set at run time, before the export allocates: V8 reads
 * this flag each time it considers growing the space. Not --max-semi-space-size, which V8 reads
 * only at start-up.
 */
function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * On Node 20 (ctx.preferSmallHeap, called by a single export without --db), lets V8's old generation
 * grow by half of itself at each full collection instead of by its own factor (up to 4x for a
 * heap this small). The page bodies an export leaves behind are garbage that only a full
 * collection frees, and V8 let the old generation reach ~55 MB (heapUsed ~45) before one: 4 full collections in a 100k JSONL export, peak RSS 124-129 MB.
 * With 50%: ~36 full collections (+~0.12 s of pauses, the marking itself on V8's helper
 * threads: +0.5-0.8 s of CPU), peak RSS 95-97 MB, under issue 20's 100 MB. Not a limit: a large
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
  v8.setFlagsFromString('--heap-growing-percent=50');
  // Said again after it: without, a 100k JSONL export's young generation sometimes still grew (an
  // 8 MB new space against 4 MB), and with the old one held to +50% that became ~140 full
  // collections instead of ~35 (+0.5-1 s CPU, peak RSS ~104 MB). Seen in 1-3 of 10 runs once the
  // parse had a few more lines (page-parser.ts's places), in 0 of 38 before; with this, 1 of 56.
  // Not understood: it turns on timing at start-up (export-command.ts awaiting one more tick
  // before the client or not: 1 of 16 runs against 10 of 16; BENCHMARKS.md, sixth session).
  keepYoungGenerationSmall();
}

export async function main(argv: string[]): Promise<never> {
  keepYoungGenerationSmall();
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
    readStdin: () => readAll(process.stdin),
    version,
    signal: interrupts.signal,
    secrets: [],
    preferSmallHeap: keepOldGenerationSmall,
  };
  const say = (text: string) => {
    let clean = text;
    for (const secret of ctx.secrets) clean = redact(clean, secret);
    process.stderr.write(`${clean}\n`);
  };

  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    const code = signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
    if (interrupts.signal.aborted) {
      // Second signal: quit at once. The checkpoint on disk is always a complete one.
      say(`tkf: stopped at once${ctx.resumeHint ? `; resume with: ${ctx.resumeHint}` : ''}`);
      process.exit(code);
    }
    ctx.onInterrupt?.(signal);
    interrupts.abort(new InterruptedError(signal));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // `tkf export --out - | head`: the reader left; stop quietly. Any other failure of stdout (a
  // full disk, /dev/full) is kept: the command's own write sees it too and fails with exit 7, and
  // a write nobody waited for is caught at the end below.
  let stdoutFailure: unknown;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
    stdoutFailure ??= error;
  });

  let code = await runCli(ctx);
  // A write nobody waited for (commander's help, say) reports its failure a tick later.
  if (code === EXIT.ok) await new Promise((resolve) => setImmediate(resolve));
  if (code === EXIT.ok && stdoutFailure !== undefined) code = reportFailure(stdoutError(stdoutFailure), ctx);
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
    return reportFailure(error, ctx);
  }
}

/** Says what went wrong on ctx.stderr (secrets redacted) and returns its exit code. */
function reportFailure(error: unknown, ctx: CliContext): number {
  const verbose = ctx.argv.includes('--verbose') || ctx.argv.includes('-v');
  const say = (text: string) => {
    let clean = text;
    for (const secret of ctx.secrets) clean = redact(clean, secret);
    ctx.stderr.write(`${clean}\n`);
  };
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
