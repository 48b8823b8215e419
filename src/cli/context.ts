/**
 * What the CLI layer hands its commands: the process's streams and environment, the interrupt
 * signal, and a few slots commands fill for main.ts (secrets to redact, the resume hint).
 */
import type { Readable, Writable } from 'node:stream';
import { InterruptedError, type InterruptSignal } from '../errors.js';

export interface CliContext {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
  stderrIsTTY: boolean;
  /** stdout is a terminal too (`--out -` unpiped): a bar on stderr would draw over its rows. */
  stdoutIsTTY?: boolean;
  readStdin(): Promise<string>;
  /**
   * stdin is a terminal: a line read from it with the typing not shown, after `prompt` on stderr
   * (`--token-file -` typed by hand: the token never on the screen). Absent otherwise (a pipe, a
   * file, the tests): readStdin.
   */
  readSecretLine?: (prompt: string) => Promise<string>;
  /** stdin is a terminal: what tkf waits for there is said on stderr (`--uids-file -`). */
  stdinIsTTY?: boolean;
  version: string;
  /** Aborted (with an InterruptedError) on the first SIGINT, SIGTERM or SIGHUP. */
  signal: AbortSignal;
  /** Every secret a command learns; main.ts redacts them from anything it prints. */
  secrets: string[];
  /** Set by a command: what to print when the first signal arrives. */
  onInterrupt?: (signal: InterruptSignal) => void;
  /**
   * Set by a command while it watches `signal` (export's walks, diff's and report's reading, the
   * simulator): the first signal then aborts it, and it stops at the next page or record. Unset,
   * main.ts ends the process at once on the first signal (history, info, a run still reading its
   * --uids-file or --token-file from a terminal): they never looked at `signal`, and a Ctrl-C ran
   * on to exit 0, an output file published.
   */
  stopsOnSignal?: boolean;
  /** Set by a command that can be resumed: the command line that resumes it. */
  resumeHint?: string;
  /** The date `{date}` in --out stands for in this run (export-command.ts): the resume hint names it. */
  runDate?: string;
  /** Set once `--json`'s object is out (each command that prints one): a failure after it prints no other. */
  jsonSaid?: boolean;
  /** Set for a command run with `--json` (program.ts): a failure, or quitting at once (a second signal), still prints one object. */
  jsonPromised?: boolean;
  /**
   * Asks the runtime to keep the heap small at some CPU cost (main.ts: Node 20's old generation),
   * for an export that runs no recording thread; absent in process (the tests).
   */
  preferSmallHeap?: () => void;
  /**
   * Asks the runtime for room for rows (main.ts: a 2 MiB young generation instead of 1 MiB), for
   * an export whose rows are built of decoded values (CSV, XLSX, JSONL --fields); absent in
   * process (the tests).
   */
  preferRoomForRows?: () => void;
  /** The V8 flags the run holds its heap with (main.ts), for a worker thread to set first (record-thread.ts). */
  heapFlags?: () => readonly string[];
}

export function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
  });
}

/**
 * One line from a terminal, its typing not shown (raw mode: no echo), after `prompt` on `output`.
 * Enter (or Ctrl-D) ends it; Backspace takes back a character; Ctrl-C, which raw mode turns into
 * a character instead of a signal, is an InterruptedError (exit 130, as the signal would be).
 */
export function readHiddenLine(input: NodeJS.ReadStream, output: Writable, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new InterruptedError('SIGINT'));
        if (char === '\u007f' || char === '\b') text = Array.from(text).slice(0, -1).join('');
        else text += char;
      }
    };
    // Echo off before the prompt shows: what is typed (or pasted) the moment it shows, before raw
    // mode, was echoed by the terminal itself (a test typing at the prompt saw the token).
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
    output.write(prompt);
  });
}
