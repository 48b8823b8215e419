/**
 * The history database on a real PostgreSQL server (test/helpers/postgres-server.ts): the same
 * recording and reach rule as SQLite, a newer schema refused, a server that is down (exit 11),
 * and two shards writing one database at once.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HistoryDbError } from '../../src/errors.js';
import { openHistory } from '../../src/history/open-history.js';
import { accountChanges, accountFollowersNow } from '../../src/history/queries.js';
import { recordSnapshot, type FollowerRow } from '../../src/history/record-snapshot.js';
import { startSimulator } from '../../src/simulator/index.js';
import { runTkf } from '../e2e/run-tkf.js';
import { usePostgres } from '../helpers/postgres-server.js';
import { startUidGate, watchStderr } from '../helpers/request-gate.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

const pg = usePostgres();

const dir = useTempDir('tkf-history-pg-');
const ACCOUNT = '6754915036232582149';

async function* rowsOf(uids: readonly string[]): AsyncGenerator<FollowerRow> {
  for (const uid of uids) yield { uid, uniqueId: `u${uid}`, nickname: null, data: JSON.stringify({ uid }) };
}
const range = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);
const at = (day: number) => `2026-11-0${day}T03:00:00.000Z`;

describe('the history database on PostgreSQL', () => {
  it('records snapshots with the reach rule: one gone, the rest past the reach', async () => {
    const db = await openHistory(await pg.server.createDatabase('reach'));
    const base = { account: ACCOUNT, onProfile: 1500, requests: 50, source: null };
    await recordSnapshot(db, { ...base, takenAt: at(1), end: 'cap' }, rowsOf(range('1', 0, 1000)));
    const day2 = [...range('2', 0, 300), ...range('1', 0, 701).filter((u) => u !== '1500')];
    expect(await recordSnapshot(db, { ...base, takenAt: at(2), end: 'cap' }, rowsOf(day2))).toMatchObject({ added: 300, removed: 1, beyondReach: 299 });
    expect(await recordSnapshot(db, { ...base, takenAt: at(2), end: 'cap' }, rowsOf(day2))).toMatchObject({ recorded: false });
    const [gone] = await db.all<{ gone_at: string }>("SELECT gone_at FROM account_followers WHERE follower_uid = '1500'");
    expect(gone!.gone_at).toBe(at(2));
    // The first snapshot is a baseline (no change rows); the changes query lists it as added, in PostgreSQL too.
    const changes = await accountChanges(db, ACCOUNT, {});
    expect(changes.filter((c) => c.at === at(1) && c.change === 'added')).toHaveLength(1000);
    expect(changes.filter((c) => c.at === at(2)).map((c) => c.change).sort()).toEqual([...Array(300).fill('added'), 'removed']);
    expect((await accountChanges(db, ACCOUNT, { since: at(2) })).some((c) => c.at === at(1))).toBe(false);
    // Who follows now (tkf report --db with no export), read a page of 250 at a time: the 1,299
    // not gone, 299 of them past the reach at the last snapshot, each once, in uid order.
    const now: Array<{ uid: string; unseen: boolean }> = [];
    for await (const known of accountFollowersNow(db, ACCOUNT, 250)) now.push(known);
    expect(now).toHaveLength(1299);
    expect(now.filter((f) => f.unseen)).toHaveLength(299);
    expect(now.map((f) => f.uid)).toEqual([...day2, ...range('1', 701, 1000)].sort());
    await db.close();
  });

  it("an update keeps the latest walk's followers it did not read among its rows (record-snapshot.ts amongUpdate's statement, on PostgreSQL)", async () => {
    const db = await openHistory(await pg.server.createDatabase('among'));
    const base = { account: ACCOUNT, onProfile: 10, requests: 1, source: null };
    await recordSnapshot(db, { ...base, takenAt: at(1), end: 'complete' }, rowsOf(range('1', 0, 10)));
    await recordSnapshot(db, { ...base, takenAt: at(2), end: 'caught-up', update: { added: 6 } }, rowsOf(['17', '31', '30', '10', '11', '14', '12', '13']));
    const order = await db.all<{ follower_uid: string }>('SELECT follower_uid FROM account_followers WHERE account_uid = ? AND position IS NOT NULL ORDER BY position', [ACCOUNT]);
    expect(order.map((row) => row.follower_uid)).toEqual(['17', '31', '30', '10', '11', '12', '13', '14', '15', '16', '18', '19']);
    await db.close();
  });

  it('followers a walk stepped past in a tied second stay where the second stands (held_at, on PostgreSQL)', async () => {
    const db = await openHistory(await pg.server.createDatabase('held'));
    const base = { account: ACCOUNT, onProfile: 10, requests: 1, source: null, end: 'complete' };
    await recordSnapshot(db, { ...base, takenAt: at(1) }, rowsOf(range('1', 0, 10)));
    const stepped = ['10', '11', '12', '15', '16', '17', '18', '19'];
    expect(await recordSnapshot(db, { ...base, takenAt: at(2), holes: [[3, 3]] }, rowsOf(stepped))).toMatchObject({ removed: 0, beyondReach: 2 });
    const [held] = await db.all<{ position: number; held_at: string }>("SELECT position, held_at FROM account_followers WHERE follower_uid = '13'");
    expect([Number(held!.position), held!.held_at]).toEqual([3, at(2)]);
    expect(await recordSnapshot(db, { ...base, takenAt: at(3), holes: [[3, 3]] }, rowsOf(stepped))).toMatchObject({ removed: 0, beyondReach: 0 });
    expect(await recordSnapshot(db, { ...base, takenAt: at(4) }, rowsOf(['10', '11', '12', '13', '15', '16', '17', '18', '19']))).toMatchObject({ removed: 1 });
    await db.close();
  });

  it('a partial row (an imported --fields CSV) updates its columns and keeps the others, 19-digit numbers exact', async () => {
    const db = await openHistory(await pg.server.createDatabase('partial'));
    const base = { account: ACCOUNT, onProfile: 2, requests: 1, source: null, end: 'complete' as const };
    const full = { region: 'US', follower_count: 12, room_id: 7300000000000000123n, signature: 'nul \u0000 in a bio' };
    const rows = (data: Record<string, unknown>, partial: boolean): FollowerRow[] =>
      ['1', '2'].map((uid) => ({ uid, uniqueId: partial ? null : `u${uid}`, nickname: String(data.nickname ?? 'old'), data: JSON.stringify({ uid, ...data }, (_, v: unknown) => (typeof v === 'bigint' ? `@${v}` : v)).replace(/"@(\d+)"/g, '$1'), ...(partial ? { partial } : {}) }));
    await recordSnapshot(db, { ...base, takenAt: at(1) }, (async function* () { yield* rows({ nickname: 'old', ...full }, false); })());
    await recordSnapshot(db, { ...base, takenAt: at(2) }, (async function* () { yield* rows({ nickname: 'new' }, true); })());
    const stored = await db.all<{ uid: string; unique_id: string; nickname: string; data: string }>('SELECT uid, unique_id, nickname, data FROM followers ORDER BY uid');
    expect(stored.map(({ uid, unique_id, nickname }) => [uid, unique_id, nickname])).toEqual([['1', 'u1', 'new'], ['2', 'u2', 'new']]);
    for (const { uid, data } of stored) {
      expect(JSON.parse(data)).toEqual({ uid, nickname: 'new', region: 'US', follower_count: 12, room_id: 7300000000000000000, signature: 'nul \u0000 in a bio' });
      // The digits and the compact text as JSON.stringify writes it (jsonb refused the \u0000 and wrote its own text).
      expect(data).toContain('"room_id":7300000000000000123,');
      expect(data).toBe(`{"uid":"${uid}","nickname":"new","region":"US","follower_count":12,"room_id":7300000000000000123,"signature":"nul \\u0000 in a bio"}`);
    }
    await db.close();
  });

  it('a handle or nickname holding U+0000 is recorded (without it; data keeps it), not a failed snapshot every night', async () => {
    const db = await openHistory(await pg.server.createDatabase('nul'));
    const data = JSON.stringify({ uid: '1', unique_id: 'a\u0000b', nickname: '\u0000+1 555 0100' });
    const row: FollowerRow = { uid: '1', uniqueId: 'a\u0000b', nickname: '\u0000+1 555 0100', data };
    const outcome = await recordSnapshot(db, { account: ACCOUNT, onProfile: 1, requests: 1, source: null, end: 'complete', takenAt: at(1) }, (async function* () { yield row; })());
    expect(outcome).toMatchObject({ recorded: true, added: 1 });
    const [stored] = await db.all<{ unique_id: string; nickname: string; data: string }>('SELECT unique_id, nickname, data FROM followers');
    expect([stored!.unique_id, stored!.nickname, stored!.data]).toEqual(['ab', '+1 555 0100', data]);
    expect(JSON.parse(stored!.data).nickname).toBe('\u0000+1 555 0100');
    await db.close();
  });

  it('refuses a database of a newer tkf, and a server that is down is exit 11', async () => {
    const url = await pg.server.createDatabase('newer');
    const db = await openHistory(url);
    await db.run("UPDATE tkf_meta SET value = '7' WHERE key = 'schema_version'");
    await db.close();
    await expect(openHistory(url)).rejects.toThrow(/written by a newer tkf \(schema version 7/);
    const down = await openHistory(`postgres://tkf:s3cret-pw@127.0.0.1:1/none`).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(HistoryDbError);
    expect((down as Error).message).toMatch(/cannot connect .*tkf:\*\*\*@127\.0\.0\.1:1/);
    expect((down as Error).message).not.toMatch(/s3cret/);
  });

  it("the commands that read make no tables: another application's database (a wrong URL) is exit 11 and left as it was", async () => {
    const url = await pg.server.createDatabase('otherapp');
    const other = await openHistory(url, { migrate: false });
    await other.run('CREATE TABLE invoices (id INTEGER)');
    const tables = async () => (await other.all<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1")).map((t) => t.table_name);
    for (const args of [['history', '--db', url], ['history', 'growth', '--db', url, '--uid', ACCOUNT], ['report', '--db', url, '--uid', ACCOUNT]]) {
      const read = await runCli(args);
      expect([args.slice(0, 2).join(' '), read.code]).toEqual([args.slice(0, 2).join(' '), 11]);
      expect(read.stderr).toMatch(/ is not a tkf history database \(no tkf schema in it\): record one with tkf export --db /);
    }
    expect(await tables()).toEqual(['invoices']);
    await other.close();
  });

  it("a URL's sslmode means what it means to psql: require encrypts without checking the certificate, verify-full checks it; no warning", async () => {
    // The test server has TLS with a self-signed certificate, as a managed server is to a client
    // that does not know its CA (test/helpers/postgres-server.ts).
    const url = await pg.server.createDatabase('tls');
    const db = await openHistory(`${url}?sslmode=require`);
    expect(await db.all('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).toEqual([{ ssl: true }]);
    await db.close();
    const required = await runTkf(['history', '--db', `${url}?sslmode=require`, '--json']);
    expect([required.code, required.stdout, required.stderr]).toEqual([0, '[]\n', '']);
    const verified = await runTkf(['history', '--db', `${url}?sslmode=verify-full`]);
    expect(verified.code).toBe(11);
    expect(verified.stderr).toMatch(/^tkf: cannot connect to the history database .*: self[- ]signed certificate/);
    expect(verified.stderr).not.toMatch(/WARNING/);
  });

  it('two shards (two processes) write one database at once; every account is recorded', async () => {
    const url = await pg.server.createDatabase('shards');
    const uids = Array.from({ length: 8 }, (_, i) => String(6754915036232582100n + BigInt(i)));
    const users = Object.fromEntries(uids.map((uid) => [uid, { size: 200 }]));
    const sim = await startSimulator({ token: 'tkn-SHARDS', users });
    try {
      await writeFile(join(dir.path, 'uids.txt'), `${uids.join('\n')}\n`);
      const env = { TKF_TOKEN: 'tkn-SHARDS', TKF_BASE_URL: sim.url, TKF_DB: url, XDG_STATE_HOME: dir.path };
      const shard = (k: number) => runTkf(['export', '--uids-file', 'uids.txt', '--shard', `${k}/2`, '--concurrency', '4', '-q'], { env, cwd: dir.path, timeoutMs: 120_000 });
      const results = await Promise.all([shard(1), shard(2)]);
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const list = await runCli(['history', '--db', url, '--json']);
      const accounts = JSON.parse(list.stdout) as Array<{ uid: string; snapshots: number; followers: number }>;
      expect(accounts.map((a) => a.uid).sort()).toEqual([...uids].sort());
      expect(accounts.every((a) => a.snapshots === 1 && a.followers === 200)).toBe(true);
    } finally {
      await sim.close();
    }
  });

  it('a server that goes away during a batch stops the run (exit 11) instead of paying for every account left; --resume finishes it', async () => {
    const url = await pg.server.createDatabase('gone');
    const uids = Array.from({ length: 6 }, (_, i) => String(6754915036232582200n + BigInt(i)));
    const sim = await startSimulator({ token: 'tkn-GONE', users: Object.fromEntries(uids.map((uid) => [uid, { size: 60 }])) });
    // In front of the simulator: the run's first request waits until tkf's connection to the
    // database is cut (as a failover or a DBA's pg_terminate_backend cuts it), so the database is
    // gone before the first account's walk ends, and the next account's requests (it starts as
    // soon as the first one's walk is over, while that one records) wait until tkf has said that
    // the first one failed: the same outcome however fast this machine is.
    let cut: Promise<void> | undefined;
    let firstSaid!: () => void;
    const firstFailed = new Promise<void>((resolveSaid) => (firstSaid = resolveSaid));
    const terminate = async () => {
      const { default: pgModule } = await import('pg');
      const admin = new pgModule.Client({ connectionString: url });
      await admin.connect();
      try {
        const { rows } = await admin.query('SELECT count(pg_terminate_backend(pid))::int AS count FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
        expect(rows).toEqual([{ count: 1 }]);
      } finally {
        await admin.end();
      }
    };
    const front = await startUidGate(sim.url, (uid) => {
      cut ??= terminate();
      return uid === uids[0] ? cut : firstFailed;
    });
    try {
      await writeFile(join(dir.path, 'gone.txt'), `${uids.join('\n')}\n`);
      const env = { TKF_TOKEN: 'tkn-GONE', TKF_BASE_URL: front.url, TKF_DB: url, XDG_STATE_HOME: join(dir.path, 'gone-state') };
      const args = ['export', '--uids-file', 'gone.txt', '--concurrency', '1', '--json'];
      const stopped = await runTkf(args, { env, cwd: dir.path, timeoutMs: 120_000, onSpawn: (child) => watchStderr(child, [[`${uids[0]}: failed (exit 11)`, firstSaid]]) });
      expect(stopped.code, stopped.stderr).toBe(11);
      const lines = stopped.stderr.trim().split('\n');
      expect(lines.at(-1)).toMatch(/^tkf: the run stopped: the history database postgres:\/\/.*: the connection to the server was lost; the server stopped or the network failed \(.*\); run the same command with --resume to go on \(6 users left\)$/);
      const outcome = JSON.parse(stopped.stdout) as { complete: boolean; exit_code: number; totals: Record<string, number> };
      expect(outcome).toMatchObject({ complete: false, exit_code: 11 });
      expect(outcome.totals).toMatchObject({ complete: 0, failed: 1, stopped: 1, not_started: 4 });
      // The first account was walked (its walk kept, to be recorded by --resume), the second
      // stopped at its first page; none after them was paid for.
      expect(sim.stats.byUid).toEqual({ [uids[0]!]: 3, [uids[1]!]: 1 });
      const resumed = await runTkf([...args, '--resume'], { env, cwd: dir.path, timeoutMs: 120_000 });
      expect(resumed.code, resumed.stderr).toBe(0);
      // The first walk is recorded from its file, not walked again.
      expect(sim.stats.byUid[uids[0]!]).toBe(3);
      const list = await runCli(['history', '--db', url, '--json']);
      const accounts = JSON.parse(list.stdout) as Array<{ uid: string; snapshots: number; followers: number }>;
      expect(accounts.map((a) => [a.uid, a.snapshots, a.followers]).sort()).toEqual(uids.map((uid) => [uid, 1, 60]));
      // A password in the URL's query (pg reads it) is no more shown than one before the @.
      const withPassword = `${url}?password=QpwQ42`;
      const page = join(dir.path, 'gone.html');
      const report = await runTkf(['report', '--db', withPassword, '--uid', uids[0]!, '--json', '--html', page], { cwd: dir.path });
      expect(report.code, report.stderr).toBe(0);
      expect(JSON.parse(report.stdout)).toMatchObject({ file: expect.stringMatching(/\?password=\*\*\*$/), followers: 60 });
      expect(`${report.stdout}${report.stderr}${await readFile(page, 'utf8')}`).not.toContain('QpwQ42');
    } finally {
      await front.close();
      await sim.close();
    }
  });

  it('a server that stops answering (its connection open) stops the run once a statement waits past query_timeout, instead of holding it for ever', async () => {
    const url = await pg.server.createDatabase('silent');
    const uids = Array.from({ length: 3 }, (_, i) => String(6754915036232582400n + BigInt(i)));
    const sim = await startSimulator({ token: 'tkn-SILENT', users: Object.fromEntries(uids.map((uid) => [uid, { size: 40 }])) });
    const { default: pgModule } = await import('pg');
    const admin = new pgModule.Client({ connectionString: url });
    await admin.connect();
    // tkf's server process, stopped as a paused VM's is: its socket stays open, nothing answers.
    const backends = async () =>
      ((await admin.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows as Array<{ pid: number }>).map((r) => r.pid);
    const stopped: number[] = [];
    let silenced: Promise<void> | undefined;
    const front = await startUidGate(sim.url, () =>
      (silenced ??= backends().then((pids) => {
        expect(pids).toHaveLength(1);
        for (const pid of pids) process.kill(pid, 'SIGSTOP');
        stopped.push(...pids);
      })),
    );
    try {
      await writeFile(join(dir.path, 'silent.txt'), `${uids.join('\n')}\n`);
      const env = { TKF_TOKEN: 'tkn-SILENT', TKF_BASE_URL: front.url, TKF_DB: `${url}?query_timeout=2500`, XDG_STATE_HOME: join(dir.path, 'silent-state') };
      const run = await runTkf(['export', '--uids-file', 'silent.txt', '--concurrency', '1'], { env, cwd: dir.path, timeoutMs: 120_000 });
      expect(run.code, run.stderr).toBe(11);
      expect(run.stderr).toMatch(/\ntkf: the run stopped: the history database postgres:\/\/\S+: the server stopped answering \(no answer to a statement within its query_timeout: Query read timeout\); run the same command with --resume to go on \(3 users left\)\n$/);
      // The first walk was paid for (kept for --resume); at most the next one began before the stop.
      expect(sim.stats.byUid[uids[2]!]).toBeUndefined();
    } finally {
      for (const pid of stopped) process.kill(pid, 'SIGCONT');
      await admin.end();
      await front.close();
      await sim.close();
    }
  });

  it('query_timeout: a wait for another recording (the advisory lock) is no dead server; a statement past it leaves nothing half recorded; the URL value must be a number', async () => {
    const url = await pg.server.createDatabase('waits');
    const UID = '6754915036232582500';
    const OTHER = '6754915036232582501';
    const sim = await startSimulator({ token: 'tkn-WAITS', users: { [UID]: { size: 40 }, [OTHER]: { size: 40 } } });
    const { default: pgModule } = await import('pg');
    const admin = new pgModule.Client({ connectionString: url });
    await admin.connect();
    const env = (timeout: string) => ({ TKF_TOKEN: 'tkn-WAITS', TKF_BASE_URL: sim.url, TKF_DB: `${url}?query_timeout=${timeout}`, XDG_STATE_HOME: join(dir.path, 'waits-state') });
    // Watched from a connection of its own: inside admin's transaction, pg_stat_activity would
    // answer the snapshot it took first.
    const watcher = new pgModule.Client({ connectionString: url });
    await watcher.connect();
    const waitingOnLock = async () => {
      for (;;) {
        const { rows } = await watcher.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'");
        if ((rows as Array<{ n: number }>)[0]!.n > 0) return;
        await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      }
    };
    const snapshots = async () => ((await admin.query('SELECT count(*)::int AS n FROM snapshots')).rows as Array<{ n: number }>)[0]!.n;
    try {
      // The schema first (a run of its own), so that the lock below is the recording's.
      expect((await runTkf(['export', '--uid', UID, '--db', `${url}?query_timeout=0`], { env: env('0'), cwd: dir.path, timeoutMs: 60_000 })).code).toBe(0);
      expect(await snapshots()).toBe(1);

      // Another process records for 4 s past tkf's 2.5 s query_timeout: tkf waits its turn.
      await admin.query('BEGIN');
      await admin.query('SELECT pg_advisory_xact_lock(16017)');
      const waiting = runTkf(['export', '--uid', UID, '--db', `${url}?query_timeout=2500`], { env: env('2500'), cwd: dir.path, timeoutMs: 60_000 });
      await waitingOnLock();
      await new Promise((resolveWait) => setTimeout(resolveWait, 4000));
      await admin.query('COMMIT');
      const waited = await waiting;
      expect(waited.code, waited.stderr).toBe(0);
      expect(await snapshots()).toBe(2);

      // A table held by another transaction past the timeout: the server taken for gone (exit 11),
      // and when the table is free again, nothing of either walk is committed (the second's
      // recording, queued behind the first's, once committed the first's half along with it).
      await writeFile(join(dir.path, 'waits.txt'), `${UID}\n${OTHER}\n`);
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE account_followers IN SHARE MODE');
      const run = await runTkf(['export', '--uids-file', 'waits.txt', '--concurrency', '2', '--db', `${url}?query_timeout=2500`], { env: env('2500'), cwd: dir.path, timeoutMs: 60_000 });
      expect(run.code, run.stderr).toBe(11);
      expect(run.stderr).toContain('the server stopped answering (no answer to a statement within its query_timeout: Query read timeout)');
      await admin.query('COMMIT');
      // tkf's server process then runs the statement it was given, finds the connection closed,
      // and rolls back: wait for it to end.
      for (;;) {
        const { rows } = await watcher.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
        // admin's and watcher's own
        if ((rows as Array<{ n: number }>)[0]!.n <= 1) break;
        await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      }
      expect(await snapshots()).toBe(2);

      const bad = await runTkf(['export', '--uid', UID, '--db', `${url}?query_timeout=abc`], { env: env('abc'), cwd: dir.path, timeoutMs: 60_000 });
      expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('query_timeout=abc is not a number of milliseconds (0 for no limit)')]);
    } finally {
      await watcher.end();
      await admin.end();
      await sim.close();
    }
  });

  it('after a statement past query_timeout, nothing more is sent on that connection: what it left open is never committed', async () => {
    const url = await pg.server.createDatabase('halfway');
    const { default: pgModule } = await import('pg');
    const admin = new pgModule.Client({ connectionString: url });
    await admin.connect();
    await admin.query('CREATE TABLE probe (x int)');
    const db = await openHistory(`${url}?query_timeout=1500`);
    try {
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE probe IN SHARE MODE');
      const first = await db.transaction((tx) => tx.run('INSERT INTO probe VALUES (1)')).catch((error: unknown) => error);
      expect(first).toBeInstanceOf(HistoryDbError);
      expect((first as HistoryDbError).down).toBe(true);
      // The table free again: the insert runs on the server, inside the transaction tkf gave up.
      await admin.query('COMMIT');
      const second = await db.transaction((tx) => tx.run('INSERT INTO probe VALUES (2)')).catch((error: unknown) => error);
      expect(second).toBeInstanceOf(HistoryDbError);
      expect((second as Error).message).toMatch(/the server stopped answering/);
    } finally {
      await db.close();
    }
    // tkf's server process ends (its socket was closed), rolling back.
    for (;;) {
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      if ((rows as Array<{ n: number }>)[0]!.n === 0) break;
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
    expect((await admin.query('SELECT count(*)::int AS n FROM probe')).rows).toEqual([{ n: 0 }]);
    await admin.end();
  });
});
