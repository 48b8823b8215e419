/** File-system errors in words a person can act on: the one map from Node's error codes to words. */
import { HistoryDbError, OutputError, PipeClosedError, TkfError } from '../errors.js';

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
  // Not "or lower --concurrency": a batch lowers it to what the limit holds itself (open-files.ts),
  // and a single export has none.
  EMFILE: 'too many open files (raise the limit with ulimit -n)',
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
    return new OutputError(`cannot write ${path}: ${describeFsError(error)}`, { cause: error });
  }
  return error;
}

/** `tkf export --out - | head`, `tkf diff | head`: the reader left; not a failure (exit 0, nothing said). */
export function pipeError(error: unknown): unknown {
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return new PipeClosedError('the reader closed the pipe');
  return error;
}

/**
 * The codes of a full disk (or a spent disk quota) in an error's chain of causes: the file system's,
 * SQLite's (SQLITE_FULL) and PostgreSQL's (53100, disk_full).
 */
const FULL_DISK_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100']);

/**
 * A disk that is full (or its quota spent): every file a run writes after it fails alike, and every
 * snapshot a history database on it would record, so a batch stops instead of paying for the pages
 * of accounts it cannot keep. Told by the code of the error or of one of its causes (each
 * OutputError made from a file-system error keeps that error as its cause, and an error from the
 * recording thread its code: recorder-hosts.ts rebuild), never by its words.
 */
export function isDiskFull(error: unknown): boolean {
  for (const e of causes(error)) if (hasFullDiskCode(e)) return true;
  return false;
}

/**
 * Codes that say the history database itself cannot be used now, whatever account is recorded:
 * SQLite's I/O errors, a file gone read-only, corrupt or unopenable (SQLITE_IOERR_WRITE, ...);
 * PostgreSQL's connection exceptions (class 08), a server shutting down or refusing connections
 * (57P01-57P03), out of resources (class 53), read-only (25006), the database or the login gone
 * (3D000, class 28); and the socket's own errors on the way to the server.
 */
const DATABASE_DOWN = /^(SQLITE_(IOERR|READONLY|CORRUPT|NOTADB|CANTOPEN|PERM|NOMEM)|08[0-9A-Z]{3}$|57P0[123]$|53[0-9A-Z]{3}$|25006$|3D000$|28[0-9A-Z]{3}$|ECONNREFUSED$|ECONNRESET$|EPIPE$|ETIMEDOUT$|EHOSTUNREACH$|ENETUNREACH$|ENOTFOUND$|EAI_AGAIN$)/;

/**
 * The history database cannot be used now (isDiskFull aside): a PostgreSQL server that stopped or
 * whose connection was lost, a SQLite file whose disk fails or that became read-only. Every account
 * after it would be paid for and fail alike, so a batch stops (run-batch.ts), as for a full disk.
 * Only below a HistoryDbError in the chain (the same socket codes from the API are the API's), or
 * one marked `down` by its driver (pg's "not queryable" after a lost connection has no code). Not a
 * refusal about one account (a later snapshot recorded already), which leaves the others alone.
 */
export function isDatabaseDown(error: unknown): boolean {
  return downReason(error) !== undefined;
}

/**
 * Of tkf's own errors in the chain of a run-wide failure (isDiskFull, isDatabaseDown), the one
 * nearest above its code, or the driver's error marked `down`: the failure's own words ("the
 * history database h.sqlite: the disk is full (...)", "cannot write x.csv: no space left on the
 * device (ENOSPC)"), not the words an account put around it. `error` itself when there is none.
 */
export function runWideReason(error: TkfError): TkfError {
  return fullDiskReason(error) ?? downReason(error) ?? error;
}

function fullDiskReason(error: TkfError): TkfError | undefined {
  let reason = error;
  for (const e of causes(error)) {
    if (e instanceof TkfError) reason = e;
    if (hasFullDiskCode(e)) return reason;
  }
  return undefined;
}

function downReason(error: unknown): TkfError | undefined {
  let database: HistoryDbError | undefined;
  for (const e of causes(error)) {
    if (e instanceof HistoryDbError) {
      if (e.down) return e;
      database = e;
      continue;
    }
    const code = (e as { code?: unknown }).code;
    if (database && !(e instanceof TkfError) && typeof code === 'string' && DATABASE_DOWN.test(code)) return database;
  }
  return undefined;
}

/** Whether this error itself (not its causes) carries a full disk's code. */
export function hasFullDiskCode(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && FULL_DISK_CODES.has(code);
}

/** The first code (ENOSPC, SQLITE_FULL, ...) in an error's chain of causes, for an error that crosses a thread as words. */
export function causeCode(error: unknown): string | undefined {
  for (const e of causes(error)) {
    const code = (e as { code?: unknown }).code;
    // TkfError's own codes (ETKF, EOUTPUT, ...) say its class, which the name carries already.
    if (typeof code === 'string' && !(e instanceof TkfError)) return code;
  }
  return undefined;
}

/** An error, then its cause, its cause's cause...: at most eight, should a chain loop. */
export function* causes(error: unknown): Generator<unknown> {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) yield e;
}
