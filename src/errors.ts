/**
 * Every failure tkf expects has a class here, a stable string `code` and the process exit code the
 * CLI maps it to. Only src/cli/main.ts prints them and exits; the core just throws.
 *
 * Exit codes (documented in the README and in `tkf export --help`; see EXIT_CODES below):
 *   0 complete, 1 internal, 2 usage, 3 hidden list, 4 no such user, 5 API refused,
 *   6 API unreachable or misbehaving, 7 output not writable, 8 stopped early (resumable),
 *   9 some users of a batch failed, 10 the list ended far short (file kept),
 *   11 history database (--db) cannot be opened or written,
 *   129 / 130 / 143 interrupted by SIGHUP / SIGINT / SIGTERM.
 */

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  hidden: 3,
  missingUser: 4,
  refused: 5,
  api: 6,
  output: 7,
  stopped: 8,
  someFailed: 9,
  short: 10,
  database: 11,
  sighup: 129,
  sigint: 130,
  sigterm: 143,
} as const;

/** The signals that interrupt a run (main.ts): it stops after the page in hand, resumable. */
export type InterruptSignal = 'SIGHUP' | 'SIGINT' | 'SIGTERM';

/** 128 + the signal's number, as a shell reports a process that signal ended. */
export const INTERRUPT_EXIT: Readonly<Record<InterruptSignal, number>> = { SIGHUP: EXIT.sighup, SIGINT: EXIT.sigint, SIGTERM: EXIT.sigterm };

/** The exit codes of an interrupted run, one a signal. */
export const INTERRUPT_CODES: readonly number[] = Object.values(INTERRUPT_EXIT);

/** The table printed by `--help` and copied into the README. */
export const EXIT_CODES: ReadonlyArray<readonly [number, string]> = [
  [EXIT.ok, 'the export is complete'],
  [EXIT.internal, 'unexpected internal error'],
  [EXIT.usage, 'bad usage or input (flags, uid, format, missing token or host)'],
  [EXIT.hidden, "the user's follower list is hidden by privacy settings (status_code 2096)"],
  [EXIT.missingUser, 'the user does not exist (status_code 2065)'],
  [EXIT.refused, 'the API refused the request (code other than 200, 429 and 5xx: bad token, quota...)'],
  [EXIT.api, "the API could not be reached or misbehaved after retries (or --update could not reach the file's newest follower)"],
  [EXIT.output, 'the output cannot be written (a file, or stdout: a full disk; or is in use, or exists without --force)'],
  [EXIT.stopped, 'stopped early (--max-requests, or throttled for longer than --max-wait) and can be resumed with --resume'],
  [EXIT.someFailed, 'with --uids-file: some users failed (the others are complete)'],
  [EXIT.short, 'the list ended far below what the API reports (under half; asked twice): the file is kept (with --force over an existing file, that one is left as it was), the API may be throttling or broken'],
  [EXIT.database, 'the history database (--db) cannot be opened or written (read-only, full disk, server down, newer schema), or holds a later snapshot of the account (the file is kept)'],
  [EXIT.sighup, 'interrupted by SIGHUP (the terminal closed); resumable with --resume'],
  [EXIT.sigint, 'interrupted by SIGINT (Ctrl-C); resumable with --resume'],
  [EXIT.sigterm, 'interrupted by SIGTERM; resumable with --resume'],
];

/**
 * The code on the cause of a HistoryDbError that says a staging file of --db was emptied into a
 * snapshot the database no longer holds (history/record-export.ts): --resume walks that account
 * again (export/run-account.ts). Carried across the recording thread as a cause's code.
 */
export const STAGING_LOST = 'ETKF_STAGING_LOST';

export class TkfError extends Error {
  readonly code: string = 'ETKF';
  readonly exitCode: number = EXIT.internal;
  /**
   * The message already says what to do next (and something else would not work): the CLI adds
   * no step of its own, such as "--resume", to it.
   */
  readonly advised: boolean;
  /** What the CLI added to the message as next steps (cli/failure-hints.ts addNextStep): not the error's own words. */
  nextSteps?: string;
  constructor(message: string, options?: { cause?: unknown; advised?: boolean }) {
    super(message, options);
    this.name = new.target.name;
    this.advised = options?.advised ?? false;
  }
}

/** `text` with every one of `secrets` redacted (redact). */
export function redactAll(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) clean = redact(clean, secret);
  return clean;
}

/** An error's own words: its message without the next steps an account's failure added to it. */
export function ownWords(error: TkfError): string {
  const steps = error.nextSteps;
  return steps && error.message.endsWith(steps) ? error.message.slice(0, -steps.length) : error.message;
}

/** Thrown when flags, the uid, the format or the token/host are wrong or missing. */
export class UsageError extends TkfError {
  override readonly code = 'EUSAGE';
  override readonly exitCode = EXIT.usage;
}

/**
 * A --fields column that no follower of a full first page has (export/with-fields-check.ts): most
 * likely misspelt, and the same for every account of a run, which it stops (run-batch.ts) before
 * each account pays a request for it. (From a page of a few followers it is a UsageError of that
 * account only: a rare column may be missing there.)
 */
export class FieldsMissingError extends UsageError {}

/** Thrown when the API answers data.status_code 2096: the user's privacy settings hide the list. */
export class HiddenListError extends TkfError {
  override readonly code = 'EHIDDEN';
  override readonly exitCode = EXIT.hidden;
}

/** Thrown by tkf history growth / changes for an account the history database has no snapshot of. */
export class UnknownAccountError extends TkfError {
  override readonly code = 'ENOACCOUNT';
  override readonly exitCode = EXIT.missingUser;
}

/** Thrown when the API answers data.status_code 2065: no such user. */
export class UserNotFoundError extends TkfError {
  override readonly code = 'ENOUSER';
  override readonly exitCode = EXIT.missingUser;
}

/** Thrown when the vendor's envelope has `code` other than 200 (bad token, quota spent...). */
export class ApiRefusedError extends TkfError {
  override readonly code = 'EREFUSED';
  override readonly exitCode = EXIT.refused;
  constructor(
    message: string,
    readonly apiCode: unknown,
    readonly apiMsg: string,
  ) {
    super(message);
  }
}

/** Thrown when the API cannot be reached, or keeps misbehaving after the retries are spent. */
export class ApiUnavailableError extends TkfError {
  override readonly code = 'EAPI';
  override readonly exitCode = EXIT.api;
}

/** Thrown when the output (or its lock, part file or checkpoint) cannot be written. */
export class OutputError extends TkfError {
  override readonly code = 'EOUTPUT';
  override readonly exitCode = EXIT.output;
}

/** Another tkf holds the output's lock: nothing of it is this run's (its checkpoint counts the other run's rows). */
export class OutputBusyError extends OutputError {}

/** Thrown when the request budget (--max-requests) is spent; the export can be resumed. */
export class BudgetSpentError extends TkfError {
  override readonly code = 'EBUDGET';
  override readonly exitCode = EXIT.stopped;
}

/**
 * Thrown when the API has throttled the run (HTTP 429, code 429) for longer than --max-wait, or
 * asks in Retry-After for a longer wait than that: a budget of time, spent like --max-requests'
 * budget of requests (exit 8, the checkpoints kept, resumable).
 */
export class WaitLimitError extends BudgetSpentError {}

/**
 * Thrown for an account of a run that the API's refusal of the token (or a spent quota) stopped:
 * the refusal is about the token, so no account of the run sends another request. Resumable.
 */
export class RunStoppedError extends TkfError {
  override readonly code = 'ESTOPPED';
  /** What stopped the run, in the refusal's own words (the message may add "stopped: " before them). */
  readonly reason: string;
  constructor(
    message: string,
    override readonly exitCode: number,
    reason = message,
  ) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Thrown when a batch (--uids-file) ends without every user complete, with the run's exit code
 * (5, 8, 9, 129, 130, 143: see run-batch.ts for which wins); the per-user lines said what went wrong.
 */
export class BatchError extends TkfError {
  override readonly code = 'EBATCH';
  constructor(
    override readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Said (not thrown by the core) when a list ended, confirmed by asking once more, with fewer than
 * half the followers the API reports: the file is published, and cron must still hear of it.
 */
export class ShortListError extends TkfError {
  override readonly code = 'ESHORT';
  override readonly exitCode = EXIT.short;
}

/** Thrown when the reader of stdout goes away (`tkf export --out - | head`): not a failure. */
export class PipeClosedError extends TkfError {
  override readonly code = 'EPIPE';
  override readonly exitCode = EXIT.ok;
}

/** Thrown when the run is interrupted by a signal; the export can be resumed. */
export class InterruptedError extends TkfError {
  override readonly code = 'EINTR';
  override readonly exitCode: number;
  constructor(readonly signal: InterruptSignal) {
    super(`interrupted by ${signal}`);
    this.exitCode = INTERRUPT_EXIT[signal];
  }
}

/**
 * A secret this long is nobody's word: wherever its text stands, it is the secret. A shorter one
 * ("ex", "1234") is also a piece of ordinary words, names and numbers ("unexpected", "tkf
 * export", "ex.csv"), so it is hidden only where it stands as the token's value: after `token=`
 * in a URL's query, `--token` / `--token=` echoed, `"token":"..."` or `token: ...` (JSON, a header),
 * and a proxy's credentials in `//user:password@`.
 */
const ANYWHERE_FROM_LENGTH = 8;

/** C0/C1 controls, line and paragraph separators, and bidi embeddings, overrides and isolates. */
export const UNSAFE_FOR_TERMINAL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A stranger's text (an API's `msg`, a gateway's body) for one line of a message: what would
 * break the line, colour the terminal or reverse the rest of it as spaces, runs of spaces as one.
 */
export function oneLine(text: string): string {
  return text.replace(UNSAFE_FOR_TERMINAL, ' ').replace(/\s+/g, ' ').trim();
}

/** Replace every spelling of a secret (raw, URL-encoded) where it is the secret, with ***. */
export function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  const forms = [...new Set([secret, encodeURIComponent(secret), new URLSearchParams({ t: secret }).toString().slice(2)])].filter(Boolean);
  let out = text;
  for (const form of forms) {
    if (form.length >= ANYWHERE_FROM_LENGTH) out = out.split(form).join('***');
    else {
      const value = escapeRegExp(form);
      out = out
        .replace(new RegExp(`(\\btoken["']?(?:\\s*[=:]\\s*|\\s+)["']?)${value}(?![\\p{L}\\p{N}])`, 'giu'), '$1***')
        // A proxy's user:password (main.ts redacts those too) where it stands: //user:password@host.
        .replace(new RegExp(`//${value}@`, 'g'), '//***@');
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Thrown when the history database (--db) cannot be opened, read or written: a read-only or
 * missing directory, a full disk, a PostgreSQL server that is down or refuses the login, or a
 * database written by a newer tkf. Checked when the database is opened, before any page is paid for.
 */
export class HistoryDbError extends TkfError {
  override readonly code = 'EHISTORYDB';
  override readonly exitCode = EXIT.database;
  /**
   * The database itself cannot be used now (its server's connection lost, an I/O error, a file
   * gone read-only): every account of the run would fail alike (output/fs-errors.ts isDatabaseDown).
   */
  readonly down: boolean;
  /**
   * The database works, and what it holds rules this walk out (a later snapshot of the account,
   * another one at the walk's time): recording it again later would not change that.
   */
  readonly ruledOut: boolean;
  constructor(message: string, options?: { cause?: unknown; advised?: boolean; down?: boolean; ruledOut?: boolean }) {
    super(message, options);
    this.down = options?.down ?? false;
    this.ruledOut = options?.ruledOut ?? false;
  }
}
