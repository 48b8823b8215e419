/**
 * `tkf simulate`: serves the built-in stand-in of the followers API until stopped, for trying tkf
 * and testing scripts without spending API credits.
 */
import { rename, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { BUILT_IN_USERS, DEFAULT_TOKEN, MISSING_UID, PRIVATE_UID, PUBLIC_UID, generatedUsers } from '../simulator/built-in-users.js';
import type { RequestLogEntry } from '../simulator/simulator-options.js';
import type { FaultKind, UserScenario } from '../simulator/index.js';
import { CURSOR_MODES, FAULT_KINDS, type CursorMode, type TiedRun } from '../simulator/simulator-options.js';
import type { CliContext } from './context.js';


function number(name: string, { min = 0, max = Infinity, integer = true } = {}) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${name} takes a number from ${min}${max < Infinity ? ` to ${max}` : ' up'}.`);
    }
    return n;
  };
}

interface SimulateOptions {
  host: string;
  port: number;
  token: string;
  seed: number;
  latency: number;
  size?: number;
  total?: number;
  cap?: number;
  faultRate: number;
  faults?: string;
  faultAt?: Record<number, FaultKind>;
  faultRun?: number;
  retryAfter?: string;
  bigRoomIds?: number;
  ties?: TiedRun[];
  cursorMode?: CursorMode;
  looseTypes?: boolean;
  notYetFollowed?: number;
  slidingCap?: boolean;
  unfollowed?: number[];
  refollowed?: number[];
  repeatPage?: number;
  endsAfterPage?: number;
  minTime?: 'oldest' | 'newest';
  accounts?: number;
  accountSize: number;
  accountsFile?: string;
  quota?: number;
  rateLimit?: number;
  rateLimitStatus: string;
  log?: string;
}

/** `--fault-at 1:429,2:429,40:gateway`: request n (1-based, of the whole simulator) fails that way. */
function scheduledFaults(value: string): Record<number, FaultKind> {
  const schedule: Record<number, FaultKind> = {};
  for (const part of value.split(',')) {
    const match = /^\s*(\d+):([\w-]+)\s*$/.exec(part);
    if (!match || Number(match[1]) < 1 || !FAULT_KINDS.includes(match[2] as FaultKind)) {
      throw new InvalidArgumentError(`--fault-at takes N:KIND pairs, e.g. 1:429,2:429 (N from 1; KIND one of ${FAULT_KINDS.join(',')}).`);
    }
    schedule[Number(match[1])] = match[2] as FaultKind;
  }
  return schedule;
}

/** `--ties 0:45,300:30`: follower #0 and the 44 after it share a second; so do #300..#329. */
function tiedRuns(value: string): TiedRun[] {
  const runs = value.split(',').map((part) => {
    const match = /^\s*(\d+):(\d+)\s*$/.exec(part);
    if (!match || Number(match[2]) < 2) {
      throw new InvalidArgumentError('--ties takes AT:COUNT pairs, e.g. 0:45,300:30 (COUNT of at least 2).');
    }
    return { at: Number(match[1]), count: Number(match[2]) };
  });
  // Two seconds sharing followers is no list (an offset-mode walk left some of them out).
  const sorted = [...runs].sort((a, b) => a.at - b.at);
  const overlap = sorted.find((run, i) => i > 0 && run.at < sorted[i - 1]!.at + sorted[i - 1]!.count);
  if (overlap) throw new InvalidArgumentError(`--ties: the run at #${overlap.at} overlaps the one before it; each follower is in one second.`);
  return runs;
}

/** `--unfollowed 5,17`: follower numbers (0 is the newest). */
function followerNumbers(name: string) {
  return (value: string): number[] =>
    value.split(',').map((part) => {
      if (!/^\s*\d+\s*$/.test(part)) throw new InvalidArgumentError(`${name} takes follower numbers, e.g. 5,17 (0 is the newest).`);
      return Number(part);
    });
}

/** The options of `tkf simulate`, as data beside their help text. */
function simulateOptions(): Option[] {
  return [
    new Option('--host <host>', 'address to listen on').default('127.0.0.1'),
    new Option('--port <port>', 'port to listen on (0: any free port)').default(8080).argParser(number('--port', { max: 65535 })),
    new Option('--token <token>', 'the token the simulator accepts').default(DEFAULT_TOKEN),
    new Option('--seed <n>', 'seed of the generated followers (same seed, same bytes)').default(1).argParser(number('--seed')),
    new Option('--latency <ms>', 'delay added to every answer').default(0).argParser(number('--latency')),
    new Option('--size <n>', `followers in the public user's list`).argParser(number('--size')),
    new Option('--total <n>', 'the follower count the API reports').argParser(number('--total')),
    new Option('--cap <n>', 'depth cap: the API serves no more than n followers').argParser(number('--cap')),
    new Option('--big-room-ids <p>', 'share of followers with a 19-digit room_id').argParser(number('--big-room-ids', { max: 1, integer: false })),
    new Option('--ties <runs>', "seconds shared by many followers: AT:COUNT,... (follower #AT and the COUNT-1 after it)").argParser(tiedRuns),
    new Option('--cursor-mode <mode>', 'how a cursor is answered: exclusive (before it), inclusive (at or before it), offset (a hidden offset inside a second)').choices(CURSOR_MODES),
    new Option('--not-yet-followed <n>', "the public user's newest n followers have not followed yet (the same list some time earlier)").argParser(number('--not-yet-followed')),
    new Option('--sliding-cap', 'the depth cap counts from the newest follower served now, as TikTok\'s does (new followers push the oldest past it)'),
    new Option('--unfollowed <numbers>', 'followers (by number, 0 the newest) who left: not served').argParser(followerNumbers('--unfollowed')),
    new Option('--refollowed <numbers>', 'followers (by number) who unfollowed and followed again: served on top, newest').argParser(followerNumbers('--refollowed')),
    new Option('--repeat-page <n>', 'from page n on, answer page n again and again, has_more true, min_time one second lower each time (a stuck API whose cursor moves)').argParser(number('--repeat-page', { min: 1 })),
    new Option('--ends-after-page <n>', 'end the list (has_more false) after n pages while total says more (a list cut far too early)').argParser(number('--ends-after-page', { min: 1 })),
    new Option('--min-time <which>', "which follower's time a page's min_time is: oldest (the API's way) or newest (each next page starts one follower down: lost effort)").choices(['oldest', 'newest']),
    new Option('--loose-types', 'send "code":"200", has_more 1/0 and numbers as strings, as some vendors do'),
    new Option('--fault-rate <p>', 'share of requests that fail (HTTP 5xx, 429, resets, broken bodies)').default(0).argParser(number('--fault-rate', { max: 1, integer: false })),
    new Option('--faults <kinds>', `which faults --fault-rate draws from: ${FAULT_KINDS.join(',')} (default: the first seven)`),
    new Option('--fault-at <n:kind,...>', 'these requests (numbered from 1) fail that way, e.g. 1:429,2:429,3:429').argParser(scheduledFaults),
    new Option('--fault-run <n>', 'random faults fail at most n requests in a row (default 2)').argParser(number('--fault-run', { min: 1 })),
    new Option('--retry-after <value>', 'the Retry-After header of 429 faults: seconds or an HTTP date (default 1)'),
    new Option('--accounts <n>', 'also serve n generated public accounts (uids 7200000000000000001 and up)').argParser(number('--accounts', { min: 1, max: 1_000_000 })),
    new Option('--account-size <n>', 'followers of each generated account').default(100).argParser(number('--account-size')),
    new Option('--accounts-file <file>', 'write the generated uids there, one a line (a --uids-file for tkf export)'),
    new Option('--quota <n>', 'the token may get n answers; then every request gets code 402 (余额不足)').argParser(number('--quota')),
    new Option('--rate-limit <n>', 'at most n requests a second; more are answered 429 (Retry-After: 1)').argParser(number('--rate-limit', { min: 1 })),
    new Option('--rate-limit-status <code>', 'the HTTP status of those answers; their body says code 429 either way').choices(['429', '200']).default('429'),
    new Option('--log <file|->', 'log every request as a JSON line (time, uid, cursor, answer; never the token); - for stderr'),
  ];
}

function simulateHelp(): string {
  return `
Users:
  ${PUBLIC_UID}  public (the demo user)
  ${PRIVATE_UID}  private: data.status_code 2096 (exit 3)
  ${MISSING_UID}  does not exist: data.status_code 2065 (exit 4)

Faults (--faults, --fault-at):
  500 502 503   that HTTP status          429       HTTP 429 with Retry-After (--retry-after)
  reset         the connection dropped    truncate  half the body, then the connection dropped
  html          HTTP 200 with an HTML page
  gateway       HTTP 200 with a gateway's own JSON and no envelope: {"error":"upstream connect error..."}
  endless       HTTP 200 whose body never ends (tkf cuts a body off at 32 MB and asks again)
  duplicate-keys  the page, with keys repeated in every follower (nested too); the last one counts

Examples:
  $ tkf simulate --port 8080 --fault-rate 0.1 &
  $ tkf simulate --port 8080 --fault-at 1:429,2:429,3:429 &          three passing 429s
  $ tkf simulate --port 8080 --fault-rate 1 --faults 429 --fault-run 1000000000 --retry-after 1 &
                                                                     a 429 that never ends (tkf: --max-wait)
  $ tkf simulate --port 8080 --fault-rate 0.5 --faults gateway &     a gateway's errors as HTTP 200
  $ tkf simulate --port 8080 --ties 0:45 --cursor-mode inclusive &   a popular account's tied second
  $ tkf simulate --port 8080 --loose-types &                         has_more 1/0, numbers as strings

  A list that changes between two exports (restart the simulator between them):
  $ tkf simulate --size 1800 --cap 1000 --sliding-cap --not-yet-followed 300 &   reach 1,000 of 1,500
  $ tkf simulate --size 1800 --cap 1000 --sliding-cap --unfollowed 500 &         300 new, #500 left
  $ tkf simulate --size 100 --not-yet-followed 3 &   then: --refollowed 50     #50 re-followed, 3 new below
  $ tkf simulate --port 8080 --ties 0:45 --cursor-mode offset --fault-rate 0.2 --faults reset &
                                      a hidden offset that moves on answers lost to a reset
  $ tkf simulate --port 8080 --size 3000 --repeat-page 2 &           the same 20 followers, cursor moving (exit 6)
  $ tkf simulate --port 8080 --size 3000 --ends-after-page 3 &       has_more false after 60 of 3,000 (exit 10)
  $ tkf simulate --port 8080 --size 200 --min-time newest &          129 requests for 200 followers (a warning)
  $ TKF_TOKEN=${DEFAULT_TOKEN} tkf export --base-url http://127.0.0.1:8080 --uid ${PUBLIC_UID} --out followers.csv

  $ tkf simulate --port 8080 --accounts 500 --accounts-file 500-accounts.txt --rate-limit 20 --quota 300 &
  $ until [ -s 500-accounts.txt ]; do sleep 0.1; done
  $ TKF_TOKEN=${DEFAULT_TOKEN} tkf export --base-url http://127.0.0.1:8080 --uids-file 500-accounts.txt --out 'x/{uid}.csv' --concurrency 8 --json

When stopped, the simulator prints how many requests it answered, by answer.
`;
}

/** The public user's list as the options shape it (the built-in one, changed where asked). */
function publicUserOf(options: SimulateOptions): UserScenario {
  const publicUser: UserScenario = { ...BUILT_IN_USERS[PUBLIC_UID]! };
  if (options.size !== undefined) {
    publicUser.size = options.size;
    publicUser.cap = options.cap;
    // Without --total, the count of who follows now (simulator-options.ts).
    if (options.total !== undefined) publicUser.total = options.total;
    else delete publicUser.total;
  } else {
    if (options.cap !== undefined) publicUser.cap = options.cap;
    if (options.total !== undefined) publicUser.total = options.total;
  }
  if (options.bigRoomIds !== undefined) publicUser.bigRoomIds = options.bigRoomIds;
  if (options.ties !== undefined) publicUser.ties = options.ties;
  if (options.cursorMode !== undefined) publicUser.cursorMode = options.cursorMode;
  if (options.notYetFollowed !== undefined) publicUser.notYetFollowed = options.notYetFollowed;
  if (options.slidingCap) publicUser.slidingCap = true;
  if (options.unfollowed !== undefined) publicUser.unfollowed = options.unfollowed;
  if (options.refollowed !== undefined) publicUser.refollowed = options.refollowed;
  if (options.repeatPage !== undefined) publicUser.repeatFromPage = options.repeatPage;
  if (options.endsAfterPage !== undefined) publicUser.endsAfterPage = options.endsAfterPage;
  if (options.minTime === 'newest') publicUser.minTimeNewest = true;
  return publicUser;
}

export function simulateCommand(ctx: CliContext): Command {
  const command = new Command('simulate')
    .description('serve a local stand-in of the followers API (no token or network needed)')
    .addHelpText('after', simulateHelp());
  for (const option of simulateOptions()) command.addOption(option);
  return command.action(async (options: SimulateOptions) => {
    // A signal ends the serving below (and one during its start too).
    ctx.stopsOnSignal = true;
    const kinds = options.faults?.split(',').map((kind) => kind.trim()) as FaultKind[] | undefined;
    const unknown = kinds?.find((kind) => !FAULT_KINDS.includes(kind));
    if (unknown) throw new UsageError(`--faults: unknown fault "${unknown}"; use ${FAULT_KINDS.join(',')}`);
    const publicUser = publicUserOf(options);
    // Loose types are the vendor's habit, not one list's: every user gets them.
    const loose = options.looseTypes ? { looseTypes: true } : {};
    const generated = options.accounts === undefined ? {} : generatedUsers(options.accounts, options.accountSize);
    if (options.accountsFile !== undefined) {
      if (options.accounts === undefined) throw new UsageError('--accounts-file needs --accounts <n>');
      // Whole or not there: a script that starts the simulator in the background and reads the
      // file at once (the README's 500 accounts) saw it empty, written in place.
      const part = `${options.accountsFile}.${process.pid}.tmp`;
      await writeFile(part, `${Object.keys(generated).join('\n')}\n`);
      await rename(part, options.accountsFile);
    }
    const log = options.log === undefined ? undefined : options.log === '-' ? ctx.stderr : createWriteStream(options.log, { flags: 'a' });
    const { startSimulator } = await import('../simulator/start-simulator.js');
    let simulator;
    try {
      simulator = await startSimulator({
        host: options.host,
        port: options.port,
        token: options.token,
        seed: options.seed,
        latencyMs: options.latency,
        users: Object.fromEntries(
          Object.entries({ ...BUILT_IN_USERS, ...generated, [PUBLIC_UID]: publicUser }).map(([uid, user]) => [uid, { ...user, ...loose }]),
        ),
        faults:
          options.faultRate > 0 || options.faultAt !== undefined
            ? { rate: options.faultRate, kinds, schedule: options.faultAt, maxConsecutive: options.faultRun, retryAfter: options.retryAfter }
            : undefined,
        quota: options.quota,
        rateLimit: options.rateLimit,
        rateLimitStatus: options.rateLimitStatus === '200' ? 200 : 429,
        onRequest: log ? (entry: RequestLogEntry) => log.write(`${JSON.stringify(entry)}\n`) : undefined,
      });
    } catch (error) {
      throw new UsageError(`cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`);
    }
    ctx.stdout.write(`${simulator.url}\n`);
    ctx.stderr.write(
      `tkf: simulator listening on ${simulator.url} (token: ${options.token === DEFAULT_TOKEN ? options.token : 'the one given with --token'}); public user ${PUBLIC_UID}; Ctrl-C to stop\n`,
    );
    // A signal that came while it started (a script's `kill %1` right after `&`) stops it too: it
    // was missed, and the simulator served on until signalled again.
    await new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener('abort', () => resolve(), { once: true })));
    await simulator.close();
    const answers = Object.entries(simulator.stats.answers ?? {}).map(([answer, n]) => `${answer} ${n}`).join(', ');
    ctx.stderr.write(`tkf: the simulator answered ${simulator.stats.requests} requests${answers ? ` (${answers})` : ''}\n`);
    if (log && log !== ctx.stderr) await new Promise<void>((resolve) => (log as ReturnType<typeof createWriteStream>).end(resolve));
  });
}
