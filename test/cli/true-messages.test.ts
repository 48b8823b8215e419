/**
 * [issue 21] "Things tkf says that are not true", in process through createProgram(ctx) with fake
 * streams (and exportUser where a disk must fill up): each message is checked against what is
 * actually so (the checkpoint on disk, the proxy, the plural, the stream that failed).
 */
import { existsSync } from 'node:fs';
import { readFile, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/api/client.js';
import { accountLine } from '../../src/cli/batch-report.js';
import type { CliContext } from '../../src/cli/context.js';
import { decodeUidText, parseUidFile } from '../../src/cli/export-command.js';
import { exportUser, summarize, type UserOutcome } from '../../src/cli/export-user.js';
import { createProgram } from '../../src/cli/program.js';
import { createProgress } from '../../src/cli/progress.js';
import { EXIT, InterruptedError, OutputError, PipeClosedError, RunStoppedError, TkfError, UsageError, redact } from '../../src/errors.js';
import { readCheckpoint } from '../../src/output/checkpoint.js';
import { outputPaths } from '../../src/output/output-file.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { getFormat } from '../../src/writers/index.js';
import { FaultyDisk } from '../helpers/faulty-disk.js';
import { useTempDir } from '../helpers/temp-dir.js';

const TOKEN = 'tkn-TRUE-MESSAGES-21';
const UID = '6300000000000000001';
const ONE = '6300000000000000002';
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, users: { [UID]: { size: 90 }, [ONE]: { size: 1 } } });
});
afterAll(async () => sim.close());
const dir = useTempDir('tkf-true-messages-');

/** A stdout whose every write fails with this error code (ENOSPC: /dev/full; EPIPE: a closed pipe). */
function failingStream(code: string): Writable {
  const stream = new Writable({
    write(_chunk, _encoding, callback) {
      callback(Object.assign(new Error(`${code}: write failed`), { code, syscall: 'write' }));
    },
  });
  // As main.ts listens on process.stdout: the error event is not the one that reports.
  return stream.on('error', () => {});
}

/** `onWrite`: told all that was written so far, after each write. */
function collector(onWrite?: (said: string) => void): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      onWrite?.(Buffer.concat(chunks).toString('utf8'));
      callback();
    },
  });
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString('utf8') });
}

interface Run {
  stdout: string;
  stderr: string;
  error: unknown;
  exitCode: number;
  ctx: CliContext;
}

/** `tkf ...args` in process, with main.ts's mapping of the outcome to an exit code. */
async function tkf(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdout?: Writable; signal?: AbortSignal; stdin?: string; onContext?: (ctx: CliContext) => void; onStderr?: (said: string) => void } = {},
): Promise<Run> {
  const stdout = collector();
  const stderr = collector(options.onStderr);
  const ctx: CliContext = {
    argv: ['node', 'tkf', ...args],
    env: { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url, ...options.env },
    stdout: options.stdout ?? stdout,
    stderr,
    stderrIsTTY: false,
    readStdin: async () => options.stdin ?? '',
    version: '0.0.0-test',
    signal: options.signal ?? new AbortController().signal,
    secrets: [],
  };
  options.onContext?.(ctx);
  let error: unknown;
  try {
    await createProgram(ctx).parseAsync(ctx.argv);
  } catch (caught) {
    error = caught;
  }
  const exitCode =
    error === undefined
      ? EXIT.ok
      : error instanceof CommanderError
        ? error.exitCode === 0
          ? EXIT.ok
          : EXIT.usage
        : error instanceof TkfError
          ? error.exitCode
          : EXIT.internal;
  return { stdout: stdout.text(), stderr: stderr.text(), error, exitCode, ctx };
}

const fast = ['--retries', '0', '--backoff', '1'];

describe('item 3: a stdout that fails is exit 7 with one line, everywhere', () => {
  it('tkf info --json and tkf info to a full stdout', async () => {
    for (const json of [['--json'], []]) {
      const run = await tkf(['info', '--uid', UID, ...json], { stdout: failingStream('ENOSPC') });
      expect(run.exitCode).toBe(EXIT.output);
      expect((run.error as Error).message).toBe('cannot write to stdout: no space left on the device (ENOSPC)');
    }
  });

  it('tkf export --out - to a full stdout: exit 7, not "internal error: ENOSPC"', async () => {
    const run = await tkf(['export', '--uid', UID, '--out', '-', ...fast], { stdout: failingStream('ENOSPC') });
    expect(run.error).toBeInstanceOf(OutputError);
    expect(run.exitCode).toBe(EXIT.output);
    expect((run.error as Error).message).toBe('cannot write to stdout: no space left on the device (ENOSPC)');
  });

  it('--json to a full stdout after a complete file: exit 7, and the line says the file is complete', async () => {
    const out = join(dir.path, 'complete.csv');
    const run = await tkf(['export', '--uid', UID, '--out', out, '--json', ...fast], { stdout: failingStream('ENOSPC') });
    expect(run.exitCode).toBe(EXIT.output);
    expect((run.error as Error).message).toBe(`cannot write to stdout: no space left on the device (ENOSPC); the export itself is complete: ${out}`);
    expect((await readCheckpoint(outputPaths(out).manifest))?.rows).toBe(90);
    expect(await readFile(out)).toBeTruthy();
  });

  it('tkf diff --json and tkf diff rows to a full stdout', async () => {
    const a = join(dir.path, 'diff-a.csv');
    const b = join(dir.path, 'diff-b.csv');
    expect((await tkf(['export', '--uid', UID, '--out', a, '--limit', '40', '-q', ...fast])).exitCode).toBe(0);
    expect((await tkf(['export', '--uid', UID, '--out', b, '-q', ...fast])).exitCode).toBe(0);
    for (const json of [['--json'], []]) {
      const run = await tkf(['diff', a, b, ...json], { stdout: failingStream('ENOSPC') });
      expect(run.exitCode).toBe(EXIT.output);
      expect((run.error as Error).message).toBe('cannot write to stdout: no space left on the device (ENOSPC)');
    }
    const ok = await tkf(['diff', a, b, '--json']);
    // The 50 below where the --limit 40 export ended were there all along: first seen, not new.
    expect(JSON.parse(ok.stdout)).toMatchObject({ added: 0, first_seen: 50, removed: 0 });
    // item 12: no "-0 gone" (nor "+0 new")
    expect(ok.stderr).toBe('0 new, 0 gone, 50 first seen below where the older export ended (40 -> 90)\n');
  });

  it('a closed pipe stays what it was: not a failure (exit 0, nothing said)', async () => {
    for (const args of [['info', '--uid', UID, '--json'], ['export', '--uid', UID, '--out', '-', ...fast]]) {
      const run = await tkf(args, { stdout: failingStream('EPIPE') });
      expect(run.error).toBeInstanceOf(PipeClosedError);
      expect(run.exitCode).toBe(EXIT.ok);
    }
  });
});

describe('item 9: tkf diff --out - --json', () => {
  it('is refused with exit 2 instead of dropping the rows', async () => {
    const a = join(dir.path, 'd9-a.csv');
    expect((await tkf(['export', '--uid', ONE, '--out', a, '-q', ...fast])).exitCode).toBe(0);
    const run = await tkf(['diff', a, a, '--out', '-', '--json']);
    expect(run.error).toBeInstanceOf(UsageError);
    expect(run.exitCode).toBe(EXIT.usage);
    expect((run.error as Error).message).toMatch(/--json prints the counts on stdout, so the rows need --out <file>/);
    expect(run.stdout).toBe('');
  });
});

describe('item 4: a full disk says the rows the checkpoint holds (what --resume will find)', () => {
  it('at every write that can fail after the first checkpoint, the number said is the checkpoint\'s', async () => {
    const settings = (disk: FaultyDisk) => ({
      access: { token: TOKEN, baseUrl: sim.url },
      job: { format: getFormat('csv'), encoder: { fields: undefined, bom: false, formulaGuard: true }, backoffMs: 1 },
      client: createClient({ baseUrl: sim.url, token: TOKEN, retries: 0, retryBaseMs: 1 }),
      verbose: false,
      signal: new AbortController().signal,
      disk,
    });
    const silent = { start() {}, update() {}, waiting() {}, log() {}, stop() {} };
    const counting = new FaultyDisk();
    const probe = settings(counting);
    await exportUser(UID, { kind: 'file', path: join(dir.path, 'count.csv'), force: false, resume: false }, probe, silent);
    probe.client.close();
    let said = 0;
    for (let failFrom = 2; failFrom <= counting.writes; failFrom++) {
      const out = join(dir.path, `full-${failFrom}.csv`);
      const run = settings(new FaultyDisk(failFrom));
      const outcome = await exportUser(UID, { kind: 'file', path: out, force: false, resume: false }, run, silent);
      run.client.close();
      if (outcome.complete) continue;
      expect(outcome.exit_code).toBe(EXIT.output);
      const saved = await readCheckpoint(outputPaths(out).checkpoint);
      const claim = /the ([\d,]+) rows? so far (?:are|is) saved/.exec(outcome.error ?? '');
      if (!saved?.rows) {
        expect(claim).toBeNull();
        continue;
      }
      expect(Number(claim?.[1]?.replace(/,/g, ''))).toBe(saved.rows);
      expect(outcome.rows).toBe(saved.rows);
      said++;
    }
    expect(said).toBeGreaterThan(0);
  });
});

describe('item 5: a part file cut short gets one piece of advice, the one that works', () => {
  it('"use --force", and no "--resume" after it', async () => {
    const out = join(dir.path, 'cut.csv');
    const stopped = await tkf(['export', '--uid', UID, '--out', out, '--max-requests', '3', ...fast]);
    expect(stopped.exitCode).toBe(EXIT.stopped);
    const saved = (await readCheckpoint(outputPaths(out).checkpoint))!;
    await truncate(outputPaths(out).part, saved.bytes - 10);
    const resumed = await tkf(['export', '--uid', UID, '--out', out, '--resume', ...fast]);
    expect(resumed.exitCode).toBe(EXIT.output);
    const message = (resumed.error as Error).message;
    expect(message).toMatch(/\(was it cut or copied\?\); use --force to export again$/);
    expect(message).not.toMatch(/--resume/);
    const forced = await tkf(['export', '--uid', UID, '--out', out, '--force', '-q', ...fast]);
    expect(forced.exitCode).toBe(EXIT.ok);
  });

  it('a part file or uid log deleted: "use --force" (with --resume and without), never "the rows so far are saved"; --db\'s own staging file walks anew', async () => {
    for (const gone of ['part', 'uids'] as const) {
      const out = join(dir.path, `gone-${gone}.csv`);
      expect((await tkf(['export', '--uid', UID, '--out', out, '--max-requests', '3', ...fast])).exitCode).toBe(EXIT.stopped);
      const saved = (await readCheckpoint(outputPaths(out).checkpoint))!;
      await rm(outputPaths(out)[gone]);
      const resumed = await tkf(['export', '--uid', UID, '--out', out, '--resume', ...fast]);
      expect(resumed.exitCode).toBe(EXIT.output);
      expect((resumed.error as Error).message).toBe(`cannot resume ${out}: ${outputPaths(out)[gone]} is missing, though its checkpoint counts ${gone === 'part' ? saved.bytes : saved.uidsBytes} bytes (deleted?); use --force to export again`);
      const plain = await tkf(['export', '--uid', UID, '--out', out, ...fast]);
      expect(plain.exitCode).toBe(EXIT.output);
      expect((plain.error as Error).message).toBe(`an interrupted export of ${out} is there, but its ${outputPaths(out)[gone]} is missing: it cannot be resumed; use --force to start again`);
      expect((await tkf(['export', '--uid', UID, '--out', out, '--force', '-q', ...fast])).exitCode).toBe(EXIT.ok);
    }
    const db = join(dir.path, 'gone.sqlite');
    expect((await tkf(['export', '--uid', UID, '--db', db, '--max-requests', '3', ...fast])).exitCode).toBe(EXIT.stopped);
    await rm(join(`${db}.staging`, `${UID}.jsonl.part`));
    const night = await tkf(['export', '--uid', UID, '--db', db, ...fast]);
    expect(night.exitCode, night.stderr).toBe(EXIT.ok);
  });
});

describe('item 6: the proxy', () => {
  it('--proxy notaurl is refused at once (exit 2), before any request', async () => {
    const before = sim.stats.requests;
    const run = await tkf(['export', '--uid', UID, '--out', join(dir.path, 'p.csv'), '--proxy', 'notaurl', ...fast]);
    expect(run.exitCode).toBe(EXIT.usage);
    expect((run.error as Error).message).toBe('the proxy "notaurl" (--proxy) is not a URL; write it like http://proxy.example.com:3128, or use --proxy direct for none');
    expect(sim.stats.requests).toBe(before);
    const fromEnv = await tkf(['export', '--uid', UID, '--out', join(dir.path, 'p.csv'), ...fast], { env: { HTTP_PROXY: 'notaurl' } });
    expect((fromEnv.error as Error).message).toMatch(/^the proxy "notaurl" \(HTTP_PROXY\) is not a URL/);
  });

  it('--demo checks --proxy too: notaurl is exit 2 with the same sentence and no file; direct and a URL are fine (the demo never uses one)', async () => {
    const out = join(dir.path, 'demo-proxy.csv');
    const refused = await tkf(['export', '--demo', '--out', out, '--proxy', 'notaurl', '-q']);
    expect(refused.exitCode).toBe(EXIT.usage);
    expect((refused.error as Error).message).toBe('the proxy "notaurl" (--proxy) is not a URL; write it like http://proxy.example.com:3128, or use --proxy direct for none');
    expect(existsSync(out)).toBe(false);
    for (const proxy of ['direct', 'http://proxy.example.com:3128']) {
      const run = await tkf(['export', '--demo', '--out', out, '--proxy', proxy, '--force', '-q']);
      expect(run.exitCode, proxy).toBe(EXIT.ok);
    }
  });

  it('--demo with --base-url on the command line is refused (exit 2, no file); TKF_BASE_URL beside --demo is left unread', async () => {
    const out = join(dir.path, 'demo-base.csv');
    const refused = await tkf(['export', '--demo', '--out', out, '--base-url', sim.url, '-q']);
    expect(refused.exitCode).toBe(EXIT.usage);
    expect((refused.error as Error).message).toBe('--demo exports from the built-in simulator, not from --base-url; leave one of them out');
    expect(existsSync(out)).toBe(false);
    const fromEnv = await tkf(['export', '--demo', '--out', out, '-q'], { env: { TKF_BASE_URL: 'http://127.0.0.1:9' } });
    expect(fromEnv.exitCode, fromEnv.stderr).toBe(EXIT.ok);
  });

  it('a proxy that is down is named, not the API (which is up)', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const run = await tkf(['export', '--uid', UID, '--out', join(dir.path, 'down.csv'), '--proxy', `http://127.0.0.1:${port}`, ...fast]);
    expect(run.exitCode).toBe(EXIT.api);
    expect((run.error as Error).message).toBe(
      `the proxy http://127.0.0.1:${port} (--proxy) cannot be reached: it refused the connection (ECONNREFUSED); the API was not asked; check the proxy, or run without it (--proxy direct)`,
    );
  });
});

describe('item 7: the token is hidden where it is the token, not inside other words', () => {
  it('a short token leaves words whole', () => {
    expect(redact('an unexpected byte at position 3', 'ex')).toBe('an unexpected byte at position 3');
    expect(redact('resume with: tkf export --uid 1 --out a.csv --resume', 'ex')).toBe('resume with: tkf export --uid 1 --out a.csv --resume');
    expect(redact('GET http://h/tk/user/followers?token=ex&uid=1&cursor=0', 'ex')).toBe('GET http://h/tk/user/followers?token=***&uid=1&cursor=0');
    expect(redact('tkf export --token ex --uid 1', 'ex')).toBe('tkf export --token *** --uid 1');
    expect(redact('--token=ex', 'ex')).toBe('--token=***');
    expect(redact('{"token":"ex","uid":"1"}', 'ex')).toBe('{"token":"***","uid":"1"}');
    expect(redact('written to /tmp/ex.csv', 'ex')).toBe('written to /tmp/ex.csv');
    expect(redact('through http://u:p@proxy:3128', 'u:p')).toBe('through http://***@proxy:3128');
    expect(redact('the API refused: token "ex" is invalid', 'ex')).toBe('the API refused: token "***" is invalid');
  });

  it('a long token is hidden wherever its text stands, and in its URL-encoded spelling', () => {
    expect(redact(`a${TOKEN}b and ${TOKEN}`, TOKEN)).toBe('a***b and ***');
    expect(redact('token=a%2Bb%2Fc%3D%3D&uid=1', 'a+b/c==')).toBe('token=***&uid=1');
  });

  it('a run with the short token "ex": the resume hint says "tkf export", and "ex" is never shown as the token', async () => {
    const exSim = await startSimulator({ token: 'ex', users: { [UID]: { size: 90 } } });
    try {
      const out = join(dir.path, 'ex.csv');
      const run = await tkf(['export', '--uid', UID, '--out', out, '--max-requests', '2', '--token', 'ex', '--verbose', ...fast], { env: { TKF_TOKEN: undefined, TKF_BASE_URL: exSim.url } });
      expect(run.exitCode).toBe(EXIT.stopped);
      const said = run.ctx.secrets.reduce((text, secret) => redact(text, secret), `${run.stderr}${(run.error as Error).message}\nresume with: ${run.ctx.resumeHint}`);
      expect(said).toContain('resume with: tkf export --uid');
      expect(said).toContain('/ex.csv');
      expect(said).not.toMatch(/token(?:=|\s+)ex\b/);
      expect(said).not.toContain('***port');
    } finally {
      await exSim.close();
    }
  });
});

describe('item 8: NO_COLOR reaches the spinner', () => {
  async function spinnerBytes(color: boolean | undefined): Promise<string> {
    const out = collector();
    // A terminal's surface, as ora uses it (the cursor moves are drawn as nothing here).
    const stream = Object.assign(out, { isTTY: true, columns: 80, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    const progress = await createProgress({ stream, tty: true, quiet: false, color });
    progress.start('exporting');
    progress.stop();
    return out.text();
  }
  it('draws no colour codes with color: false, cyan without it', async () => {
    // On a terminal chalk would colour; here (no TTY) it must be told to, before ora loads it.
    process.env.FORCE_COLOR = '1';
    expect(await spinnerBytes(undefined)).toContain('\u001b[36m');
    expect(await spinnerBytes(false)).not.toMatch(/\u001b\[3\dm/);
    delete process.env.FORCE_COLOR;
  });
});

describe('rows on the terminal', () => {
  // A terminal's surface on stderr, as ora and cli-progress use it.
  const terminal = (ctx: CliContext, stdoutIsTTY: boolean) => {
    Object.assign(ctx.stderr, { isTTY: true, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    ctx.stderrIsTTY = true;
    ctx.stdoutIsTTY = stdoutIsTTY;
  };
  it('--out - on a terminal draws no bar over the rows: plain progress lines, the rows whole', async () => {
    const run = await tkf(['export', '--uid', UID, '--out', '-', '--fields', 'uid,region', '--format', 'csv'], { onContext: (ctx) => terminal(ctx, true) });
    expect(run.exitCode, run.stderr).toBe(EXIT.ok);
    expect(run.stderr).not.toMatch(/\u001b\[|\r/);
    expect(run.stderr).toMatch(/^tkf: exported 90 followers/m);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(91);
    // Piped (stdout no terminal), the bar is drawn on stderr as ever.
    const piped = await tkf(['export', '--uid', UID, '--out', '-', '--fields', 'uid,region', '--format', 'csv'], { onContext: (ctx) => terminal(ctx, false) });
    expect(piped.stderr).toMatch(/\u001b\[/);
  });
});

describe('item 12: the small ones', () => {
  it('plurals: 1 follower, 1 request, 1 user', async () => {
    const outcome = { uid: ONE, exit_code: 0, complete: true, rows: 1, requests: 1, requests_total: 1, file: 'a.csv', end: 'complete', total: 1, elapsedMs: 10 } as UserOutcome;
    expect(summarize(outcome, undefined)).toMatch(/^exported 1 follower; 1 request in .*; file: a\.csv$/);
    const uids = join(dir.path, 'one-uid.txt');
    await writeFile(uids, `${ONE}\n`);
    const run = await tkf(['export', '--uids-file', uids, '--out', join(dir.path, 'batch1/{uid}.csv'), ...fast]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(/^tkf: 1 user: 1 complete, 0 failed; 1 follower written; 1 request in /m);
    expect(run.stderr).toMatch(/exported 1 follower; 1 request in/);
  });

  it('--token is trimmed as TKF_TOKEN and a token file are (a token pasted with spaces around it)', async () => {
    const run = await tkf(['export', '--uid', ONE, '--out', '-', '--token', ` ${TOKEN}\n`], { env: { TKF_TOKEN: '' } });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1); // its one follower (JSONL on stdout)
  });

  it('"stopped (exit 5) ...: stopped: ..." says stopped once', () => {
    const run = { uid: UID, exit_code: 5, complete: false, rows: 40, requests: 2, requests_total: 2, file: null, end: null, total: null, error: 'stopped: the API refused the token (HTTP 403)', elapsedMs: 1, cause: new RunStoppedError('stopped: the API refused the token (HTTP 403)', 5, 'the API refused the token (HTTP 403)') } as UserOutcome;
    expect(accountLine({ uid: UID, state: 'stopped', exitCode: 5, run }, undefined)).toBe('stopped (exit 5) at 40 followers: the API refused the token (HTTP 403)');
  });

  it('--delay -1 says what a whole number it takes', async () => {
    const run = await tkf(['export', '--uid', UID, '--out', join(dir.path, 'd.csv'), '--delay', '-1']);
    expect(run.exitCode).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/--delay takes a whole number of 0 or more\./);
  });

  it('tkf --help and the package description name .xlsx too', async () => {
    const run = await tkf(['--help']);
    expect(run.stdout.replace(/\s+/g, ' ')).toMatch(/to CSV, JSONL or \.xlsx files/);
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { description: string };
    expect(pkg.description).toMatch(/CSV, JSONL or \.xlsx/);
  });

  it('a uids file with CR-only line ends, or in UTF-16 with a BOM, is read uid by uid', () => {
    const uids = ['6300000000000000001', '6300000000000000002', '6300000000000000003'];
    expect(parseUidFile(uids.join('\r'), 'f').uids).toEqual(uids);
    const text = `# list\r\n${uids.join('\r\n')}\r\n`;
    expect(parseUidFile(decodeUidText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])), 'f').uids).toEqual(uids);
    const be = Buffer.from(text, 'utf16le').swap16();
    expect(parseUidFile(decodeUidText(Buffer.concat([Buffer.from([0xfe, 0xff]), be])), 'f').uids).toEqual(uids);
    // UTF-16 without a BOM cannot be told for sure: refused with the reason, not read as mojibake.
    expect(() => parseUidFile(Buffer.from(text, 'utf16le').toString('utf8'), 'uids.txt')).toThrow(/uids\.txt holds NUL characters: is it UTF-16/);
  });

  it('repeated uids in a uids file are counted out loud', async () => {
    expect(parseUidFile(`${ONE}\n${ONE}\n${UID}\n${ONE}\n`, 'f')).toEqual({ uids: [ONE, UID], repeated: 2 });
    const uids = join(dir.path, 'repeats.txt');
    await writeFile(uids, `${ONE}\n${ONE}\n`);
    const run = await tkf(['export', '--uids-file', uids, '--out', join(dir.path, 'rep/{uid}.csv'), ...fast]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain(`tkf: ${uids}: 1 repeated uid dropped (each uid is exported once; 1 user in all)\n`);
  });

  it('on SIGTERM the line says to send SIGTERM again, not to press Ctrl-C', async () => {
    const interrupts = new AbortController();
    let ctx: CliContext | undefined;
    let requests = 0;
    // The signal arrives as the simulator receives the 2nd request, before it answers: mid-list
    // at a point counted in requests (it was a 5 ms poll racing 30 ms pages).
    const slow = await startSimulator({
      token: TOKEN,
      latencyMs: 30,
      users: { [UID]: { size: 200 } },
      onRequest: () => {
        if (++requests !== 2) return;
        // The command sets its handler before the first request; main.ts calls it, then aborts.
        ctx!.onInterrupt!('SIGTERM');
        interrupts.abort(new InterruptedError('SIGTERM'));
      },
    });
    try {
      const run = tkf(['export', '--uid', UID, '--out', join(dir.path, 'term.csv'), ...fast], {
        env: { TKF_BASE_URL: slow.url },
        signal: interrupts.signal,
        onContext: (c) => (ctx = c),
      });
      const done = await run;
      expect(done.stderr).toContain('stopping after the page in hand (send SIGTERM again to quit at once)');
      expect(done.stderr).not.toContain('Ctrl-C');
      expect(done.exitCode).toBe(EXIT.sigterm);
    } finally {
      await slow.close();
    }
  });

  it('the requests a stopped run reports are the ones its resumed run counts as earlier', async () => {
    // Stopped while its first request is in flight: no page saved yet.
    const interrupts = new AbortController();
    // The signal arrives as the simulator receives the first request, before it answers (it was a
    // 5 ms poll racing a 400 ms answer).
    const slow = await startSimulator({
      token: TOKEN,
      latencyMs: 400,
      users: { [UID]: { size: 60 } },
      onRequest: () => {
        if (!interrupts.signal.aborted) interrupts.abort(new InterruptedError('SIGTERM'));
      },
    });
    try {
      const out = join(dir.path, 'early.csv');
      const first = tkf(['export', '--uid', UID, '--out', out, '--json', ...fast], { env: { TKF_BASE_URL: slow.url }, signal: interrupts.signal });
      const stopped = await first;
      expect(stopped.exitCode).toBe(EXIT.sigterm);
      const said = JSON.parse(stopped.stdout) as { requests: number; requests_total: number };
      expect(said.requests).toBeGreaterThan(0);
      const resumed = await tkf(['export', '--uid', UID, '--out', out, '--json', '--resume', ...fast], { env: { TKF_BASE_URL: slow.url } });
      expect(resumed.exitCode).toBe(EXIT.ok);
      const again = JSON.parse(resumed.stdout) as { requests: number; requests_total: number; rows: number };
      expect(again.rows).toBe(60);
      expect(again.requests_total - again.requests).toBe(said.requests_total);
    } finally {
      await slow.close();
    }
  });

  it('a --resume without --limit that publishes a walk stopped at its --limit names that limit (it said "--limit undefined")', async () => {
    const out = join(dir.path, 'limited.csv');
    // A file appears at <out> while the walk goes on: the walk ends at its limit and is not published.
    const racing = await startSimulator({
      token: TOKEN,
      users: { [UID]: { size: 90 } },
      onRequest: () => void writeFile(out, 'precious\n').catch(() => {}),
    });
    try {
      const first = await tkf(['export', '--uid', UID, '--out', out, '--limit', '40', ...fast], { env: { TKF_BASE_URL: racing.url } });
      expect(first.exitCode, first.stderr).toBe(EXIT.output);
      await rm(out);
      const resumed = await tkf(['export', '--uid', UID, '--out', out, '--resume', ...fast], { env: { TKF_BASE_URL: racing.url } });
      expect(resumed.exitCode, resumed.stderr).toBe(EXIT.ok);
      expect(resumed.stderr).toMatch(/tkf: exported 40 followers \(--limit 40\); 0 requests this run/);
    } finally {
      await racing.close();
    }
  });
});

describe('a lock file that names no tkf', () => {
  it('is said, waited for, and taken over once 10 s old: the export completes', async () => {
    const out = join(dir.path, 'locked.jsonl');
    // Left empty by a run killed between creating its lock and writing its owner. Its time is
    // an hour ahead at first, so that tkf finds it young however long it takes to start (a lock
    // dated 9.7 s ago was 10 s old on a loaded machine before tkf looked, and the wait was never
    // said); once tkf has said it waits, the lock is made 11 s old, and tkf takes it over.
    const saying = `${out}.lock names no tkf yet (one killed while taking it leaves it so): waiting for one, or taking it over when it is 10 s old`;
    await writeFile(`${out}.lock`, '');
    const ahead = new Date(Date.now() + 3_600_000);
    await utimes(`${out}.lock`, ahead, ahead);
    let aged: Promise<void> | undefined;
    const run = await tkf(['export', '--uid', UID, '--out', out], {
      onStderr: (said) => {
        if (!said.includes(saying)) return;
        const old = new Date(Date.now() - 11_000);
        aged ??= utimes(`${out}.lock`, old, old);
      },
    });
    expect(aged).toBeDefined();
    expect(run.exitCode, run.stderr).toBe(EXIT.ok);
    expect(run.stderr).toContain(saying);
    expect((await readFile(out, 'utf8')).split('\n').filter(Boolean)).toHaveLength(90);
    expect(existsSync(`${out}.lock`)).toBe(false);
  });
});
