/**
 * `tkf info --uid <uid> [--json]`: one request, to tell before an export whether the list is
 * visible, how many followers the profile reports, and what a full export would cost.
 */
import { Command, Option } from 'commander';
import { DEPTH_CAP, PAGE_SIZE, estimateRequests, expectedFollowers } from '../api/list-facts.js';
import { EXIT, TkfError } from '../errors.js';
import { openAccess, validateUid, ENV } from './api-access.js';
import { configure } from './config-file.js';
import { wholeNumber } from './export-options.js';
import type { CliContext } from './context.js';
import { addNextStep } from './failure-hints.js';
import { formatCount, retryLine } from './progress.js';
import { writeOut } from './stdout-errors.js';
import { blameProxy } from './proxy-check.js';
import { proxyOf } from './resolve-job.js';

interface InfoOptions {
  uid?: string;
  json?: boolean;
  baseUrl?: string;
  tokenFile?: string;
  token?: string;
  timeout: number;
  maxWait: number;
  demo?: boolean;
  proxy?: string;
}

export function infoCommand(ctx: CliContext): Command {
  return new Command('info')
    .description("one request: is the user's follower list visible, how many followers, what an export costs")
    .addOption(new Option('--uid <user_id>', "the user's numeric user_id"))
    .addOption(new Option('--json', 'print one JSON object on stdout'))
    .addOption(new Option('--base-url <url>', `the API host (env: ${ENV.baseUrl})`))
    .addOption(new Option('--token-file <path|->', `read the API token from a file or stdin (or set ${ENV.token})`))
    .addOption(new Option('--token <token>', 'the API token (visible to other users in the process list)'))
    // Checked as tkf export checks them (--timeout abc was an internal error, exit 1; -1 a
    // healthy API said unreachable), and taken from the config file as tkf export takes them.
    .addOption(new Option('--timeout <seconds>', 'request timeout').default(30).argParser(wholeNumber('--timeout', 1)))
    .addOption(new Option('--max-wait <seconds>', 'the most tkf waits on a throttling API (429s) before it gives up (exit 8)').default(60).argParser(wholeNumber('--max-wait', 1)))
    .addOption(new Option('--demo', 'ask the built-in simulator'))
    .addOption(new Option('--proxy <url>', 'send the request through this proxy, http://host:port (default: HTTPS_PROXY / HTTP_PROXY unless NO_PROXY; "direct": none)'))
    .addHelpText(
      'after',
      `
Examples:
  $ tkf info --uid 6754915036232582149
  $ tkf info --uid 6754915036232582149 --json | jq .estimated_requests

Exit codes as for tkf export: 0 visible, 2 bad usage, 3 hidden, 4 no such user, 5 refused,
6 unreachable, 8 throttled for longer than --max-wait.
`,
    )
    .action(async (options: InfoOptions, command: Command) => {
      const config = await configure(command, options, ctx.env, (text) => ctx.stderr.write(`tkf: warning: ${text}\n`));
      if (options.uid !== undefined || !options.demo) validateUid(options.uid);
      const access = await openAccess(options, config, ctx);
      const uid = options.uid ?? access.defaultUid!;
      // The proxy an export would go through (the built-in simulator of --demo: none).
      const proxy = access.simulator ? undefined : proxyOf(access.baseUrl, options.proxy, ctx);
      const { createClient } = await import('../api/client.js');
      const client = createClient({
        baseUrl: access.baseUrl,
        token: access.token,
        retries: 2,
        retryBaseMs: 500,
        timeoutMs: options.timeout * 1000,
        maxWaitMs: options.maxWait * 1000,
        userAgent: `tkf/${ctx.version}`,
        proxy: proxy?.url,
        proxySource: proxy?.source,
        // Each wait said as it begins: a throttling API held the command silent for minutes.
        onRetry: (n) => ctx.stderr.write(`tkf: ${retryLine(n)}\n`),
      });
      try {
        const page = await client.fetchPage(uid, 0);
        const total = page.total ?? null;
        const estimate = estimateRequests(total ?? 0);
        const expected = total === null ? null : expectedFollowers(total);
        if (options.json) {
          ctx.jsonSaid = true;
          await writeOut(
            ctx.stdout,
            `${JSON.stringify({ uid, visible: true, total, expected_followers: expected, estimated_requests: estimate.served, requests_for_total: estimate.all, page_size: PAGE_SIZE, exit_code: EXIT.ok })}\n`,
          );
          return;
        }
        await writeOut(
          ctx.stdout,
          [
            `user ${uid}: the follower list is visible`,
            `followers (the profile's count): ${total === null ? 'not reported' : formatCount(total)}`,
            `a full export: about ${formatCount(estimate.served)} requests${expected === null ? '' : ` for about ${formatCount(expected)} followers`} (${PAGE_SIZE} followers each); TikTok serves only the newest ~${formatCount(DEPTH_CAP)} followers of an account${
              total !== null && total > DEPTH_CAP ? `, not all ${formatCount(total)} (that would be ${formatCount(estimate.all)} requests)` : ''
            }`,
          ].join('\n') + '\n',
        );
      } catch (error) {
        await blameProxy(error, proxy);
        addNextStep(error, { uid });
        if (options.json && error instanceof TkfError) {
          ctx.jsonSaid = true;
          const visible = error.exitCode === EXIT.hidden || error.exitCode === EXIT.missingUser ? false : null;
          await writeOut(ctx.stdout, `${JSON.stringify({ uid, visible, total: null, estimated_requests: 0, exit_code: error.exitCode, error: error.message })}\n`);
        }
        throw error;
      } finally {
        client.close();
        await access.simulator?.close();
      }
    });
}
