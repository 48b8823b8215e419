/**
 * stdout as tkf's commands write to it: the data (`--out -`, `tkf diff`) or one JSON object
 * (`--json`). A reader that went away (`tkf export --out - | head`) is not a failure (exit 0,
 * nothing said); any other failure to write (a full disk behind `> file`, /dev/full, EIO) is the
 * output failing: exit 7 with one line, like a file that cannot be written.
 */
import { OutputError, TkfError } from '../errors.js';
import { describeFsError, pipeError } from '../output/fs-errors.js';
import type { Writable } from 'node:stream';

/** The error to throw for a failed write to stdout. */
export function stdoutError(error: unknown): unknown {
  if (error instanceof TkfError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EPIPE') return pipeError(error);
  // A stream that failed once refuses every later write with ERR_STREAM_DESTROYED: still stdout's fault.
  if (typeof code === 'string' && (/^E[A-Z]+$/.test(code) || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END')) {
    return new OutputError(`cannot write to stdout: ${code.startsWith('ERR_') ? 'it was closed' : describeFsError(error)}`, { cause: error });
  }
  return error;
}

/**
 * Writes to stdout and waits until the text is handed to the OS: a pipe whose reader is slower
 * than tkf takes a large --json summary in parts, and main.ts's process.exit would drop the rest
 * (measured: a 1,000-user summary cut at 64 KiB); and a write that fails is known before exit.
 */
export function writeOut(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      // After a failure every write gets ERR_STREAM_DESTROYED; the first error says why.
      stream.write(text, (error) => (error ? reject(stdoutError(stream.errored ?? error)) : resolve()));
    } catch (error) {
      reject(stdoutError(error));
    }
  });
}
