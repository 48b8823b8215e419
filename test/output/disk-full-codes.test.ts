/**
 * A batch stops at a full disk (run-batch.ts) by isDiskFull, which reads the codes in an error's
 * chain of causes, never its words: each OutputError made from a file-system error keeps that
 * error as its cause, a history database's error keeps SQLite's or PostgreSQL's, and an error
 * from the recording thread carries its code across (recorder-hosts.ts rebuild).
 */
import { describe, expect, it } from 'vitest';
import { ApiUnavailableError, HistoryDbError, OutputError } from '../../src/errors.js';
import { rebuild } from '../../src/history/recorder-hosts.js';
import { causeCode, isDatabaseDown, isDiskFull, runWideReason, toOutputError } from '../../src/output/fs-errors.js';

const errno = (code: string) => Object.assign(new Error(`${code}: failed, write`), { code, syscall: 'write' });

describe('isDiskFull', () => {
  it('is the code of the error or of a cause: ENOSPC, EDQUOT, SQLITE_FULL, PostgreSQL 53100', () => {
    for (const code of ['ENOSPC', 'EDQUOT']) {
      const error = toOutputError(errno(code), '/x/out.csv');
      expect(error).toBeInstanceOf(OutputError);
      expect(isDiskFull(error)).toBe(true);
      // Wrapped again (an account's error around its file's).
      expect(isDiskFull(new OutputError(`the export of 1: ${(error as Error).message}`, { cause: error }))).toBe(true);
    }
    const sqlite = new HistoryDbError('the history database h.sqlite: the disk is full (database or disk is full)', { cause: Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }) });
    expect(isDiskFull(sqlite)).toBe(true);
    // export-recorder.ts says where the walk is, the database's error as its cause.
    expect(isDiskFull(new HistoryDbError(`${sqlite.message}; the export is complete: out.jsonl`, { cause: sqlite }))).toBe(true);
    expect(isDiskFull(new HistoryDbError('the history database db: could not extend file', { cause: Object.assign(new Error('could not extend file'), { code: '53100' }) }))).toBe(true);
  });

  it('is not the words: a message that names ENOSPC without the code behind it, or another code', () => {
    expect(isDiskFull(new OutputError('cannot write out.csv: no space left on the device (ENOSPC)'))).toBe(false);
    expect(isDiskFull(new HistoryDbError('the history database h.sqlite: the disk is full (database or disk is full)'))).toBe(false);
    expect(isDiskFull(toOutputError(errno('EACCES'), '/x/out.csv'))).toBe(false);
    expect(isDiskFull(new OutputError('x', { cause: errno('EROFS') }))).toBe(false);
  });

  it("an error from the recording thread: its cause's code crosses with it", () => {
    const inWorker = toOutputError(errno('ENOSPC'), '/x/h.sqlite.staging/1.jsonl') as OutputError;
    const code = causeCode(inWorker);
    expect(code).toBe('ENOSPC');
    const rebuilt = rebuild(inWorker.name, inWorker.message, code);
    expect(rebuilt).toBeInstanceOf(OutputError);
    expect(rebuilt.message).toBe(inWorker.message);
    expect(isDiskFull(rebuilt)).toBe(true);
    expect(isDiskFull(rebuild('OutputError', inWorker.message))).toBe(false);
    const sqlite = new HistoryDbError('the history database h.sqlite: the disk is full (database or disk is full)', { cause: Object.assign(new Error('full'), { code: 'SQLITE_FULL' }) });
    expect(causeCode(sqlite)).toBe('SQLITE_FULL');
    expect(isDiskFull(rebuild(sqlite.name, sqlite.message, causeCode(sqlite)))).toBe(true);
    expect(rebuild(sqlite.name, sqlite.message, causeCode(sqlite))).toBeInstanceOf(HistoryDbError);
    expect(isDiskFull(rebuild(sqlite.name, sqlite.message))).toBe(false);
    // tkf's own class codes are not a cause's code.
    expect(causeCode(new OutputError('x'))).toBeUndefined();
    expect(causeCode(toOutputError(errno('ENOSPC'), 'x'))).toBe('ENOSPC');
  });
});

describe('isDatabaseDown: a history database that cannot be used any more stops a batch, as a full disk does', () => {
  const coded = (message: string, code: string) => Object.assign(new Error(message), { code });
  const driver = (code: string) => new HistoryDbError(`the history database h: failed (${code})`, { cause: coded('failed', code) });
  const account = (inner: HistoryDbError) => new HistoryDbError(`${inner.message}; the export is complete: s/1.jsonl (...)`, { cause: inner });

  it("is SQLite's I/O errors and a file gone read-only or corrupt, PostgreSQL's connection and resource errors, under a HistoryDbError", () => {
    for (const code of ['SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CANTOPEN', '08006', '08003', '57P01', '57P03', '53300', '25006', '3D000', '28P01', 'ECONNREFUSED', 'ECONNRESET']) {
      const inner = driver(code);
      expect(isDatabaseDown(inner), code).toBe(true);
      // The run's reason is the database's own words, not the account's around them.
      expect(runWideReason(account(inner)), code).toBe(inner);
      // Across the recording thread: the code comes with the rebuilt error.
      expect(isDatabaseDown(account(rebuild(inner.name, inner.message, code) as HistoryDbError)), code).toBe(true);
    }
  });

  it("is a driver's error marked down (pg's \"not queryable\" after a lost connection has no code)", () => {
    const lost = new HistoryDbError('the history database pg: the connection to the server was lost; ...', { cause: new Error('Client has encountered a connection error and is not queryable'), down: true });
    expect(isDatabaseDown(account(lost))).toBe(true);
    expect(runWideReason(account(lost))).toBe(lost);
    expect(isDatabaseDown(new HistoryDbError('the history database pg: the connection to the server was lost; ...', { cause: new Error('not queryable') }))).toBe(false);
  });

  it("is not an error about one account, another code, the API's own socket errors, or words alone", () => {
    // A later snapshot recorded already: this account's walk only.
    expect(isDatabaseDown(new HistoryDbError('not recorded in the history database h: it holds a later snapshot of 1 ...'))).toBe(false);
    for (const code of ['SQLITE_CONSTRAINT', 'SQLITE_BUSY', '23505', '40001', '40P01', '42P01', '22P02']) expect(isDatabaseDown(account(driver(code))), code).toBe(false);
    expect(isDatabaseDown(new ApiUnavailableError('the API failed', { cause: coded('socket hang up', 'ECONNRESET') }))).toBe(false);
    expect(isDatabaseDown(new OutputError('cannot write out.csv', { cause: coded('x', 'EPIPE') }))).toBe(false);
    expect(isDatabaseDown(new HistoryDbError('the history database h: disk I/O error (SQLITE_IOERR)'))).toBe(false);
    // A full disk is isDiskFull's (its reason as before: the database's error, nearest above the code).
    const full = driver('SQLITE_FULL');
    expect(isDatabaseDown(full)).toBe(false);
    expect(runWideReason(account(full))).toBe(full);
  });
});
