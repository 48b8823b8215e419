/**
 * Where the API is and how to get in: the uid check, the token (flag, file, stdin, environment,
 * config file's token_file) and the host, or the built-in simulator for --demo. Shared by
 * `tkf export` and `tkf info`.
 */
import { UID_PATTERN } from '../api/list-facts.js';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { readFile, stat } from 'node:fs/promises';
import { InterruptedError, UsageError } from '../errors.js';
import { DEFAULT_TOKEN, PUBLIC_UID } from '../simulator/built-in-users.js';
import type { Simulator } from '../simulator/index.js';
import type { Config } from './config-file.js';
import type { CliContext } from './context.js';

import { ENV } from './env-names.js';
import { describeReadError } from '../output/fs-errors.js';
import type { LockOwner } from '../output/lock.js';

export { ENV };

/** uids are decimal digits kept as text: 19-digit ids exceed 2^53, a Number is another user. */
export function validateUid(uid: string | undefined, fallback?: string): string {
  if (uid === undefined) {
    if (fallback) return fallback;
    throw new UsageError('--uid is required: the numeric user_id of the account');
  }
  if (!UID_PATTERN.test(uid)) {
    const hint =
      /^@?[A-Za-z0-9._]+$/.test(uid) && /[A-Za-z@._]/.test(uid) ? ' (that looks like an @handle; the API needs the numeric user_id)' : '';
    throw new UsageError(`--uid must be the numeric user_id, 1 to 20 digits; got "${uid}"${hint}`);
  }
  return uid;
}

export interface AccessOptions {
  token?: string;
  tokenFile?: string;
  baseUrl?: string;
  demo?: boolean;
}

export interface Access {
  token: string;
  baseUrl: string;
  /** The in-process simulator of --demo, to close when done. */
  simulator?: Simulator;
  /** The uid to use when none is given (--demo: the simulator's public user). */
  defaultUid?: string;
}

export async function openAccess(options: AccessOptions, config: Config, ctx: CliContext): Promise<Access> {
  return options.demo ? startDemo() : resolveAccess(options, config, ctx);
}

/** --demo: the built-in simulator, in this process, on a free port of 127.0.0.1. */
export async function startDemo(): Promise<Access> {
  const { startSimulator } = await import('../simulator/start-simulator.js');
  const simulator = await startSimulator({ host: '127.0.0.1', port: 0, prerender: true });
  return { token: DEFAULT_TOKEN, baseUrl: simulator.url, simulator, defaultUid: PUBLIC_UID };
}

/** The token (flag, file, environment; redacted from then on) and the API host (flag, environment, config file). */
export async function resolveAccess(options: AccessOptions, config: Config, ctx: CliContext): Promise<Access> {
  const token = await readToken(options, config, ctx);
  ctx.secrets.push(token);
  return { token, baseUrl: readBaseUrl(options, config, ctx) };
}

/**
 * The token file to read: --token-file, else the config file's token_file, unless a token is
 * given another way (--token, TKF_TOKEN), which then wins over the config file.
 */
export function tokenFileOf(options: { token?: string; tokenFile?: string }, env: NodeJS.ProcessEnv, config: Config): string | undefined {
  return options.tokenFile ?? (options.token === undefined && !env[ENV.token] ? (config.values.tokenFile as string | undefined) : undefined);
}

async function readToken(options: AccessOptions, config: Config, ctx: CliContext): Promise<string> {
  if (options.token !== undefined && options.tokenFile !== undefined) {
    throw new UsageError('give the token once: --token or --token-file, not both');
  }
  let token: string | undefined;
  const tokenFile = tokenFileOf(options, ctx.env, config);
  // Trimmed as TKF_TOKEN and a token file are: a token pasted with a space or a newline around it
  // (--token " abc") was sent so and refused by the API (exit 5).
  if (options.token !== undefined) token = options.token.trim();
  else if (tokenFile !== undefined) {
    const source = tokenFile === '-' ? 'stdin' : tokenFile;
    try {
      // Typed on a terminal: asked for, and not shown (it stayed on the screen and in its scrollback).
      const typed = tokenFile === '-' ? ctx.readSecretLine?.('tkf: the API token (not shown as you type), then Enter: ') : undefined;
      token = typed ? await typed : tokenFile === '-' ? await ctx.readStdin() : await readFile(tokenFile, 'utf8');
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      const check = options.tokenFile !== undefined ? '--token-file' : `token_file in the config file ${config.path}`;
      throw new UsageError(`cannot read the token from ${source}: ${describeReadError(error)}; check ${check}`);
    }
    // The same warning as for the config file: a token others can read is a token others can spend.
    if (tokenFile !== '-' && (await stat(tokenFile)).mode & 0o077) {
      ctx.stderr.write(`tkf: warning: the token file ${tokenFile} is readable by other users; chmod 600 it\n`);
    }
    token = token.trim();
    if (!token) throw new UsageError(`the token file ${source} is empty`);
    // Two lines (a note beside the token, two tokens): sent whole, the API refused it (exit 5).
    if (/[\r\n]/.test(token)) throw new UsageError(`the token file ${source} holds more than one line: it must hold the token alone`);
  } else token = ctx.env[ENV.token]?.trim();
  if (!token) {
    throw new UsageError(`no API token: set ${ENV.token}, or pass --token-file <path|->, or --token <token>`);
  }
  return token;
}

function readBaseUrl(options: AccessOptions, config: Config, ctx: CliContext): string {
  const baseUrl = options.baseUrl ?? ctx.env[ENV.baseUrl] ?? (config.values.baseUrl as string | undefined);
  if (!baseUrl) throw new UsageError(`no API host: pass --base-url <url> or set ${ENV.baseUrl} (e.g. http://api.example.com)`);
  // Where the value came from: a user who never typed --base-url looks for it there.
  const source = options.baseUrl !== undefined ? '--base-url' : ctx.env[ENV.baseUrl] !== undefined ? ENV.baseUrl : `base_url in the config file ${config.path}`;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`${source}: "${baseUrl}" is not a URL; write it like http://api.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${source}: "${baseUrl}" must start with http:// or https://`);
  }
  // tkf adds the path and the query (token, uid, cursor) itself: one already there was sent
  // inside the path (".../x?token=.../tk/user/followers"). Refused without repeating it: it may
  // hold a token.
  if (url.search || url.hash) {
    throw new UsageError(`${source}: the base URL must not carry a ${url.search ? 'query (?...)' : 'fragment (#...)'}; give the API's host and any path before /tk/user/followers, like ${url.origin}${url.pathname.replace(/\/+$/, '')}`);
  }
  return baseUrl;
}

/**
 * Whether a process of this machine still runs (for locks left by killed runs), and, given the
 * start the lock's writer recorded (`startTicks`, lockOwner), is that very process: a pid handed to
 * a later process (a container's tkf is pid 1 in every container; pids wrap) is not. The start is
 * the kernel's count of clock ticks since boot, so no clock that jumps (a laptop's sleep, an NTP
 * step) can make a running holder look new.
 */
export function isRunning(pid: number, startTicks?: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startTicks === undefined ? undefined : processStartTicks(pid);
  return now === undefined || now === startTicks;
}

/** When process `pid` started, in clock ticks since boot (Linux's /proc/<pid>/stat, field 22); undefined elsewhere. */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm)": comm may hold spaces and parentheses, so count from the last ')'.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isSafeInteger(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/**
 * This process as a lock's owner: its pid and host, and its start (isRunning). Read once (a
 * batch asks for it at each account; none of it changes while the process runs).
 */
export function lockOwner(): LockOwner {
  if (self === undefined) {
    const startTicks = processStartTicks(process.pid);
    self = Object.freeze({ pid: process.pid, host: hostname(), ...(startTicks === undefined ? {} : { startTicks }) });
  }
  return self;
}
let self: LockOwner | undefined;
