/**
 * A batch stops at a full disk (run-batch.ts) by isDiskFull, which reads the codes in an error's
 * chain of causes, never its words: each OutputError made from a file-system error keeps that
 * error as its cause, a history database's error keeps SQLite's or PostgreSQL's, and an error
 * from the recording thread carries its code across (recorder-hosts.ts rebuild).
 */
import { describe, expect, it } from 'vitest';
import { HistoryDbError, OutputError } from '../../src/errors.js';
import { rebuild } from '../../src/history/recorder-hosts.js';
import { causeCode, isDiskFull, toOutputError } from '../../src/output/fs-errors.js';

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
