/** File-system errors in words a person can act on: the one map from Node's error codes to words. */
import { OutputError, PipeClosedError } from '../errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files (raise the limit with ulimit -n, or lower --concurrency)',
  ENFILE: 'the system has too many open files',
  EIO: 'an input/output error',
  EFBIG: 'the file is too large for the file system',
};

/**
 * A file given to read (an export, a token file, a uids file) names the file itself: ENOENT is the
 * file that is missing, and EPERM on a read is a permission the reader lacks.
 */
const READ_REASONS: Record<string, string> = { ...REASONS, ENOENT: 'no such file', EPERM: 'permission denied' };

function reasonFor(error: unknown, reasons: Record<string, string>): { reason: string; code: string | undefined } {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && reasons[code]) return { reason: reasons[code]!, code };
  return { reason: error instanceof Error ? error.message : String(error), code: undefined };
}

/** Why a write (or a read of tkf's own files) failed: "no space left on the device (ENOSPC)". */
export function describeFsError(error: unknown): string {
  const { reason, code } = reasonFor(error, REASONS);
  return code ? `${reason} (${code})` : reason;
}

/**
 * Why a file given to read could not be read. `withCode: false` leaves the code out where the
 * message has always been the words alone (`tkf diff`: "cannot read gone.csv: no such file").
 */
export function describeReadError(error: unknown, withCode = true): string {
  const { reason, code } = reasonFor(error, READ_REASONS);
  return code && withCode ? `${reason} (${code})` : reason;
}

/** Errors from the file system while writing rows become exit 7 with the path and the reason. */
export function toOutputError(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && (error as NodeJS.ErrnoException).syscall) {
    return new OutputError(`cannot write ${path}: ${describeFsError(error)}`);
  }
  return error;
}

/** `tkf export --out - | head`, `tkf diff | head`: the reader left; not a failure (exit 0, nothing said). */
export function pipeError(error: unknown): unknown {
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return new PipeClosedError('the reader closed the pipe');
  return error;
}

/**
 * A disk that is full (or a quota spent): every file a run writes after it fails alike, so a batch
 * stops instead of paying for the pages of accounts it cannot keep. Told by the error's code, or
 * by the code an OutputError names in its words (describeFsError: "... (ENOSPC)").
 */
export function isDiskFull(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
    if (e instanceof OutputError && /\((ENOSPC|EDQUOT)\)/.test(e.message)) return true;
  }
  return false;
}
