/**
 * A failure is one line that says what failed (the host, the path, the user) and what to do
 * next. The errors' own messages name what failed; what to do next often depends on how tkf was
 * run (flags, a file with rows saved), which only the CLI knows: it is added here.
 */
import { ApiRefusedError, BudgetSpentError, InterruptedError, RunStoppedError, TkfError, UsageError } from '../errors.js';
import { formatCount } from './progress-view.js';

export interface FailureContext {
  /** The user whose export failed. */
  uid?: string;
  /** Rows the checkpoint on disk counts (what --resume will find), when the output is a file. */
  savedRows?: number;
  /** An interrupted --update: the new followers its checkpoint keeps for the next run of the same line. */
  savedNew?: number;
  /** The command had --force, which --resume cannot go with: the hint says to leave it out. */
  force?: boolean;
  /** The checkpoint stands inside a tied second of `pages` pages so far; the run's --max-requests. */
  tiedSecond?: { pages: number; budget: number };
}

/** What to do when the API refuses the token: said on the refused user's line and on a batch's last line. */
export const CHECK_TOKEN = 'check the token (TKF_TOKEN, --token-file or the config file\'s token_file) and the balance of your API account';

/** Adds the next step to a failure's message, where the message does not give one already. */
export function addNextStep(error: unknown, context: FailureContext = {}): void {
  if (!(error instanceof TkfError) || !error.message) return;
  const steps: string[] = [];
  if (error instanceof ApiRefusedError) {
    // A refusal (bad token, balance spent) is most often about the token, not the user exported.
    if (context.uid && !error.message.includes(context.uid)) error.message = `user ${context.uid}: ${error.message}`;
    steps.push(CHECK_TOKEN);
  }
  // --max-requests and signals print their own resume command (main.ts); a usage error is fixed first.
  // A run stopped by a refusal says "--resume" once, in its last line (batch-report.ts).
  // An error that gives its own advice (a part file cut short: "use --force") gets no other.
  const ownHint =
    error.advised || error instanceof BudgetSpentError || error instanceof InterruptedError || error instanceof UsageError || error instanceof RunStoppedError;
  if (!ownHint && context.savedRows) {
    const rows = context.savedRows === 1 ? 'the 1 row so far is' : `the ${formatCount(context.savedRows)} rows so far are`;
    steps.push(`${rows} saved: run the same command with --resume${context.force ? ' instead of --force' : ''} to go on`);
  }
  if (!ownHint && context.savedNew !== undefined) {
    const found = context.savedNew === 1 ? 'the 1 new follower found so far is' : `the ${formatCount(context.savedNew)} new followers found so far are`;
    steps.push(`the file is unchanged and ${found} saved: run the same command to go on`);
  }
  // A budget spent inside a second held by more followers than it can read: --resume walks that
  // second again from its start (a hidden offset may have moved), and with the same budget stopped
  // there again, night after night, its requests paid for and no row more.
  if (error instanceof BudgetSpentError && context.tiedSecond && context.tiedSecond.pages >= context.tiedSecond.budget - 1) {
    const { pages } = context.tiedSecond;
    steps.push(
      pages === 0
        ? // No tied second: only the one request each --resume spends asking its second again.
          'each --resume first asks the second it stopped in again (one request), so a --max-requests of 1 never gets further: give the next run at least 2'
        : `the walk stands inside one second whose followers fill more than ${formatCount(pages)} pages, which --resume reads again from its start: the same --max-requests stops there again; give the next run more (above ${formatCount(pages + 5)})`,
    );
  }
  if (steps.length) {
    error.nextSteps = `; ${steps.join('; ')}`;
    error.message += error.nextSteps;
  }
}
