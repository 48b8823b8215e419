import { copyFile, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { startSimulator, type UserScenario } from '../../src/simulator/index.js';
import type { RequestLogEntry } from '../../src/simulator/simulator-options.js';
import { runTkf } from '../e2e/run-tkf.js';
import { openHistory } from '../../src/history/open-history.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useClosers } from '../helpers/closers.js';
import { runCli } from './run-cli.js';

const TOKEN = 'tkn-HISTORY-q9w8e7';
const UID = '6754915036232582149';
const OTHER = '6754915036232582150';

const dir = useTempDir('tkf-history-export-');
const closeLater = useClosers();

/** A simulator whose list is `size` followers, the newest `later` of which have not followed yet. */
async function simulator(users: Record<string, UserScenario>, log: RequestLogEntry[] = []) {
  const sim = await startSimulator({ token: TOKEN, users, onRequest: (entry) => log.push(entry) });
  closeLater(() => sim.close());
  return { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url };
}

const json = <T>(text: string) => JSON.parse(text) as T;

/**
 * An account's export to `name` recorded with --db (36 followers), then --update'd without it:
 * the file gains 4 new followers the database never hears of. The API's whole list for what follows.
 */
async function unrecordedUpdate(name: string) {
  const db = join(dir.path, 'h.sqlite');
  const out = join(dir.path, name);
  expect((await runCli(['export', '--uid', UID, '--out', out, '--db', db], await simulator({ [UID]: { size: 40, notYetFollowed: 4 } }))).code).toBe(0);
  const whole = await simulator({ [UID]: { size: 40 } });
  expect((await runCli(['export', '--uid', UID, '--out', out, '--update'], whole)).code).toBe(0);
  return { db, out, whole };
}

describe('tkf export --db', () => {
  it('records complete walks as snapshots (no --out: staged, then emptied); history and growth read them', async () => {
    const db = join(dir.path, 'history.sqlite');
    const day1 = await simulator({ [UID]: { size: 60, notYetFollowed: 15 } });
    const first = await runCli(['export', '--uid', UID, '--db', db, '--json'], day1);
    expect(first.code, first.stderr).toBe(0);
    expect(json<{ history: { added: number }; file: null }>(first.stdout)).toMatchObject({ history: { added: 45, removed: 0, beyond_reach: 0 }, file: null });
    // Emptied once recorded; its manifest stays (so --resume knows this account is done), beside
    // the note of when the run began (so --resume tells tonight's walks from an earlier night's).
    expect((await readdir(`${db}.staging`)).sort()).toEqual([`${UID}.jsonl`, `${UID}.jsonl.tkf.json`, expect.stringMatching(/^run-[0-9a-f]{16}\.json$/)]);
    expect(await readFile(join(`${db}.staging`, `${UID}.jsonl`), 'utf8')).toBe('');

    // The next day 15 more followed: the environment's TKF_DB names the database this time.
    const day2 = await simulator({ [UID]: { size: 60 } });
    const second = await runCli(['export', '--uid', UID, '--json'], { ...day2, TKF_DB: db });
    expect(second.code, second.stderr).toBe(0);
    expect(json<{ history: unknown }>(second.stdout).history).toMatchObject({ added: 15, removed: 0 });

    // --resume after a complete walk: no new snapshot, and it says so (the staging file is not the user's).
    const resumed = await runCli(['export', '--uid', UID, '--db', db, '--resume', '--json'], day2);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`the last walk of ${UID} is complete and recorded (60 followers): nothing to resume; without --resume, a new walk records a new snapshot`);
    expect(json<{ history: unknown }>(resumed.stdout).history).toMatchObject({ recorded: false });

    const list = await runCli(['history', '--db', db, '--json']);
    expect(json(list.stdout)).toEqual([{ uid: UID, snapshots: 2, followers: 60, last_snapshot_at: expect.any(String) }]);
    // The config file's "db" names it too, for tkf history as for tkf export.
    const config = join(dir.path, 'config-home');
    await mkdir(join(config, 'tkf'), { recursive: true });
    await writeFile(join(config, 'tkf', 'config.json'), JSON.stringify({ db }), { mode: 0o600 });
    const configured = await runCli(['history', '--json'], { XDG_CONFIG_HOME: config });
    expect(configured.code, configured.stderr).toBe(0);
    expect(json(configured.stdout)).toEqual(json(list.stdout));
    const growth = await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json']);
    const points = json<Array<Record<string, unknown>>>(growth.stdout);
    expect(points.map((p) => [p.followers, p.on_profile, p.served, p.added, p.removed, p.beyond_reach])).toEqual([
      [45, 45, 45, 45, 0, 0], // notYetFollowed: 45 followed then, and the profile said so
      [60, 60, 60, 15, 0, 0],
    ]);
    expect(points[0]!.at! < points[1]!.at!).toBe(true);
    // A command that is none: said so, not "too many arguments for 'list'".
    const bogus = await runCli(['history', 'grwoth', '--db', db]);
    expect([bogus.code, bogus.stderr]).toEqual([2, "tkf: unknown command 'history grwoth'; the history commands are list, growth, changes and import (tkf history --help)\n"]);
    // Named, list is a command given an argument too many.
    const extra = await runCli(['history', 'list', 'grwoth', '--db', db]);
    expect([extra.code, extra.stdout, extra.stderr]).toEqual([2, '', "tkf: 'history list' takes no arguments, got 'grwoth' (tkf history list --help)\n"]);
    const none = await runCli(['history', 'growth', '--db', db, '--uid', OTHER]);
    // An account with none (a typo in a script): said on stderr, exit 4, as export says a user that is not there.
    const said = `tkf: no snapshot of ${OTHER} in the history database ${db} (tkf history lists its accounts)\n`;
    expect([none.code, none.stdout, none.stderr]).toEqual([4, '', said]);
    const noneJson = await runCli(['history', 'growth', '--db', db, '--uid', OTHER, '--json']);
    // Under --json, the failure's object (jq saw [] as an account with no snapshot).
    expect([noneJson.code, JSON.parse(noneJson.stdout), noneJson.stderr]).toEqual([4, { exit_code: 4, error: said.slice('tkf: '.length, -1) }, said]);
    const noChanges = await runCli(['history', 'changes', '--db', db, '--uid', OTHER]);
    expect([noChanges.code, noChanges.stdout, noChanges.stderr]).toEqual([4, '', said]);
    // A known account with no change in the range is no error: the header alone.
    const quiet = await runCli(['history', 'changes', '--db', db, '--uid', UID, '--since', '2999-01-01']);
    expect([quiet.code, quiet.stderr]).toEqual([0, `tkf: ${UID}: 0 came, 0 left\n`]);
    const text = await runCli(['history', 'growth', '--db', db, '--uid', UID]);
    expect(text.stdout.split('\n')[2]).toMatch(/^\d{4}-\d\d-\d\dT\S+ +60 +60 +15 +0 +0 +0 +60$/);

    // The token is never stored.
    expect((await readFile(db)).includes(Buffer.from(TOKEN))).toBe(false);
  });

  it('history changes: came and went with dates, the export\'s columns, to CSV and JSONL files', async () => {
    const db = join(dir.path, 'h.sqlite');
    await runCli(['export', '--uid', UID, '--db', db], await simulator({ [UID]: { size: 30, notYetFollowed: 5 } }));
    const second = await runCli(['export', '--uid', UID, '--db', db], await simulator({ [UID]: { size: 30 } }));
    expect(second.code, second.stderr).toBe(0);
    const [, at2] = json<Array<{ at: string }>>((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout).map((p) => p.at);

    const csv = join(dir.path, 'changes.csv');
    const run = await runCli(['history', 'changes', '--db', db, '--uid', UID, '--since', at2!, '--out', csv]);
    expect(run.code, run.stderr).toBe(0);
    const records = parse(await readFile(csv, 'utf8'), { relax_quotes: false }) as string[][];
    expect(records[0]!.slice(0, 6)).toEqual(['change', 'changed_at', 'uid', 'sec_uid', 'unique_id', 'nickname']);
    expect(records.slice(1).map((r) => r.slice(0, 2))).toEqual(Array(5).fill(['added', at2]));
    // The database keeps the export's columns (schema 2): avatar_url and profile_url come back filled.
    for (const column of ['avatar_url', 'profile_url']) {
      const at = records[0]!.indexOf(column);
      expect(records.slice(1).every((r) => /^https:\/\//.test(r[at]!)), column).toBe(true);
    }

    const jsonl = join(dir.path, 'changes.jsonl');
    await runCli(['history', 'changes', '--db', db, '--uid', UID, '--out', jsonl]);
    const rows = (await readFile(jsonl, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(30);
    expect(rows[0]).toMatchObject({ change: 'added', changed_at: expect.any(String), uid: expect.stringMatching(/^\d+$/) });
    expect(Object.keys(rows[0]!).slice(0, 2)).toEqual(['change', 'changed_at']);
    // --fields: a typo is refused (an empty column was written), the columns named.
    const typo = await runCli(['history', 'changes', '--db', db, '--uid', UID, '--fields', 'uid,nicknam']);
    expect([typo.code, typo.stdout]).toEqual([2, '']);
    expect(typo.stderr).toMatch(/^tkf: --fields: no change has a column "nicknam"; the columns are change, changed_at, uid, /);
    const chosen = await runCli(['history', 'changes', '--db', db, '--uid', UID, '--fields', 'change,uid,nickname']);
    expect((parse(chosen.stdout) as string[][])[0]).toEqual(['change', 'uid', 'nickname']);
    const until = await runCli(['history', 'changes', '--db', db, '--uid', UID, '--until', '2000-01-01']);
    expect(parse(until.stdout)).toHaveLength(1); // the header alone
    // --until includes what it names: the snapshot's own time, or its second (growth prints milliseconds).
    const exact = await runCli(['history', 'changes', '--db', db, '--uid', UID, '--since', at2!, '--until', at2!]);
    expect(parse(exact.stdout)).toHaveLength(1 + 5);
    const itsSecond = await runCli(['history', 'changes', '--db', db, '--uid', UID, '--until', at2!.replace(/\.\d+Z$/, 'Z')]);
    expect((parse(itsSecond.stdout) as string[][]).filter((r) => r[1] === at2)).toHaveLength(5);
    // A range that holds no time is a mistake said as one, not an empty answer.
    const reversed = await runCli(['history', 'changes', '--db', db, '--uid', UID, '--since', '2026-12-08', '--until', '2026-12-05']);
    expect([reversed.code, reversed.stdout, reversed.stderr]).toEqual([2, '', 'tkf: --since 2026-12-08 is not before --until 2026-12-05: no time lies between them\n']);
  });

  it('--resume of a batch a budget stopped walks the accounts it had not started, though an earlier night recorded them', async () => {
    const db = join(dir.path, 'h.sqlite');
    const uids = ['6754915036232582161', '6754915036232582162', '6754915036232582163'];
    const file = join(dir.path, 'accounts.txt');
    await writeFile(file, `${uids.join('\n')}\n`);
    const env = await simulator(Object.fromEntries(uids.map((uid) => [uid, { size: 60 }])));
    const batch = ['export', '--uids-file', file, '--db', db, '--concurrency', '1'];
    expect((await runCli(batch, env)).code).toBe(0); // night 1
    // Night 2: the budget runs out in the second account; the third is not started.
    expect((await runCli([...batch, '--max-requests', '4'], env)).code).toBe(8);
    const resumed = await runCli([...batch, '--resume', '--json'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const accounts = json<{ users: Array<{ uid: string; history?: { recorded?: boolean } }> }>(resumed.stdout).users;
    // The first was walked and recorded by night 2 itself: nothing to resume. The other two are recorded now.
    expect(accounts.map((a) => [a.uid, a.history?.recorded !== false])).toEqual([
      [uids[0], false],
      [uids[1], true],
      [uids[2], true],
    ]);
    const list = json<Array<{ uid: string; snapshots: number }>>((await runCli(['history', '--db', db, '--json'])).stdout);
    expect(list.map((a) => [a.uid, a.snapshots])).toEqual(uids.map((uid) => [uid, 2]));
    // Finished: a --resume again (cron running twice) walks nothing.
    const again = await runCli([...batch, '--resume'], env);
    expect(again.stderr).toMatch(/0 requests/);
    expect(json<Array<{ snapshots: number }>>((await runCli(['history', '--db', db, '--json'])).stdout).map((a) => a.snapshots)).toEqual([2, 2, 2]);
  });

  it('a database set for every run (TKF_DB, the config file) does not refuse an export it cannot record: an .xlsx, a stream', async () => {
    const db = join(dir.path, 'h.sqlite');
    const env = await simulator({ [UID]: { size: 30 } });
    const book = join(dir.path, 'w.xlsx');
    const xlsx = await runCli(['export', '--uid', UID, '--out', book], { ...env, TKF_DB: db });
    expect(xlsx.code, xlsx.stderr).toBe(0);
    expect(xlsx.stderr).toContain('tkf: warning: TKF_DB names a history database, but it records .csv and .jsonl exports, not .xlsx: this export is not recorded');
    expect((await readFile(book)).subarray(0, 2).toString()).toBe('PK');
    const stream = await runCli(['export', '--uid', UID, '--out', '-', '--format', 'jsonl'], { ...env, TKF_DB: db });
    expect(stream.code, stream.stderr).toBe(0);
    expect(stream.stdout.trim().split('\n')).toHaveLength(30);
    expect(stream.stderr).toContain('but it records export files, and --out - is a stream: this export is not recorded');
    // The config file's "db" alike, named as such.
    const config = join(dir.path, 'config-home');
    await mkdir(join(config, 'tkf'), { recursive: true });
    await writeFile(join(config, 'tkf', 'config.json'), JSON.stringify({ db }), { mode: 0o600 });
    const configured = await runCli(['export', '--uid', UID, '--out', join(dir.path, 'c.xlsx')], { ...env, XDG_CONFIG_HOME: config });
    expect(configured.code, configured.stderr).toBe(0);
    expect(configured.stderr).toContain(`tkf: warning: the config file's "db" names a history database`);
    // Nothing was recorded: no database was made.
    expect((await readdir(dir.path)).filter((name) => name.startsWith('h.sqlite'))).toEqual([]);
    // Named on the command line, the same export is refused.
    const named = await runCli(['export', '--uid', UID, '--out', join(dir.path, 'n.xlsx'), '--db', db], env);
    expect([named.code, named.stderr]).toEqual([2, 'tkf: --db records .csv and .jsonl exports, not .xlsx; export to .jsonl or .csv with --db\n']);
  });

  it('an interrupted walk is no snapshot; --resume completes it and then it is one', async () => {
    const db = join(dir.path, 'h.sqlite');
    const env = await simulator({ [UID]: { size: 100 } });
    const stopped = await runCli(['export', '--uid', UID, '--db', db, '--max-requests', '2'], env);
    expect(stopped.code).toBe(8);
    expect(json((await runCli(['history', '--db', db, '--json'])).stdout)).toEqual([]);
    const resumed = await runCli(['export', '--uid', UID, '--db', db, '--resume', '--json'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(json<{ history: unknown }>(resumed.stdout).history).toMatchObject({ added: 100, removed: 0 });
    const [point] = json<Array<{ requests: number; served: number }>>((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout);
    expect(point).toMatchObject({ served: 100, requests: 6 }); // 2 pages, then 3 more by --resume and 1 to re-enter its cursor's second
    // --resume again: that walk is complete and recorded, so the account is skipped (a batch
    // finished after an interruption does not walk its done accounts again); no new snapshot.
    const skipped = await runCli(['export', '--uid', UID, '--db', db, '--resume'], env);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toContain('complete and recorded (100 followers): nothing to resume; without --resume, a new walk records a new snapshot');
    expect(json<unknown[]>((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout)).toHaveLength(1);
  });

  it('the same --db command night after night (no --out, no --resume): a walk the night before left goes on, then each night is a new snapshot', async () => {
    const db = join(dir.path, 'h.sqlite');
    const log: RequestLogEntry[] = [];
    const env = await simulator({ [UID]: { size: 100 } }, log);
    expect((await runCli(['export', '--uid', UID, '--db', db], env)).code).toBe(0);
    // A night whose budget ran out: 2 pages (40 followers) paid for, no snapshot.
    expect((await runCli(['export', '--uid', UID, '--db', db, '--max-requests', '2'], env)).code).toBe(8);
    log.length = 0;
    // The next night's same command goes on from those 40 (not exit 7, not a walk from the top).
    const next = await runCli(['export', '--uid', UID, '--db', db, '--json'], env);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/resuming \S+\.staging\/\d+\.jsonl at 40 rows/);
    expect(log.filter((entry) => !Number(entry.cursor))).toEqual([]);
    expect(json<{ history: unknown }>(next.stdout).history).toMatchObject({ recorded: true });
    // And the night after: a new walk from the top, a third snapshot.
    log.length = 0;
    expect((await runCli(['export', '--uid', UID, '--db', db], env)).code).toBe(0);
    expect(log.filter((entry) => !Number(entry.cursor))).toHaveLength(1);
    expect(json<unknown[]>((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout)).toHaveLength(3);
  });

  it('a walk gone on with after a long pause calls nobody gone: who re-followed meanwhile moved above its cursor', async () => {
    const db = join(dir.path, 'h.sqlite');
    expect((await runCli(['export', '--uid', UID, '--db', db], await simulator({ [UID]: { size: 1000 } }))).code).toBe(0);
    expect((await runCli(['export', '--uid', UID, '--db', db, '--max-requests', '3'], await simulator({ [UID]: { size: 1000 } }))).code).toBe(8);
    // The walk stopped two hours ago (its checkpoint says when); meanwhile #500 and #700
    // unfollowed and followed again (now on top, above the cursor it goes on from), #900 left.
    const checkpoint = join(`${db}.staging`, `${UID}.jsonl.part.json`);
    const saved = JSON.parse(await readFile(checkpoint, 'utf8')) as { updated: string };
    await writeFile(checkpoint, JSON.stringify({ ...saved, updated: new Date(Date.now() - 2 * 3600 * 1000).toISOString() }));
    const next = await simulator({ [UID]: { size: 1000, refollowed: [500, 700], unfollowed: [900] } });
    const resumed = await runCli(['export', '--uid', UID, '--db', db, '--json'], next);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* at 60 rows/);
    // It said #500, #700 and #900 gone, and the next walk +2 came.
    expect(json<{ history: unknown }>(resumed.stdout).history).toMatchObject({ removed: 0, beyond_reach: 3 });
    expect((await runCli(['export', '--uid', UID, '--db', db, '--json'], next)).code).toBe(0);
    const growth = json<Array<{ added: number; removed: number; sees_losses: boolean }>>((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout);
    expect(growth.map((p) => [p.added, p.removed, p.sees_losses])).toEqual([[1000, 0, true], [0, 0, false], [0, 1, true]]);
    const text = (await runCli(['history', 'growth', '--db', db, '--uid', UID])).stdout.split('\n');
    expect(text[2]).toMatch(/ \(gone on with after a pause: nobody called gone\)$/);
  });

  it('four nights of a reach that slides, a --limit night among them: who left out of view is gone once a walk reaches its place; growth adds up', async () => {
    const db = join(dir.path, 'slide.sqlite');
    // 1,800 followers, a reach of the newest 1,000 counted from now.
    const night = async (scenario: Partial<UserScenario>, extra: string[] = []) => {
      const env = await simulator({ [UID]: { size: 1800, cap: 1000, slidingCap: true, ...scenario } });
      const run = await runCli(['export', '--uid', UID, '--db', db, ...extra], env);
      expect(run.code, run.stderr).toBe(0);
    };
    await night({ notYetFollowed: 400 });
    // 100 follow, #450 and #900 leave; a --limit night sees the newest 300 only.
    await night({ notYetFollowed: 300, unfollowed: [450, 900] }, ['--limit', '300']);
    // The reach again: #900's neighbours found in order without it. (#450, who left
    // within the --limit's view, was gone the night before.)
    await night({ notYetFollowed: 300, unfollowed: [450, 900] });
    // 100 more follow, and the reach goes past the end of the list: 400 never seen, first seen.
    await night({ notYetFollowed: 200, unfollowed: [450, 900], cap: 5000 });
    const growth = json<Array<{ added: number; first_seen: number; removed: number; beyond_reach: number; followers: number }>>(
      (await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout,
    );
    expect(growth.map((p) => [p.added, p.first_seen, p.removed, p.beyond_reach, p.followers])).toEqual([
      [1000, 0, 0, 0, 1000],
      [100, 0, 1, 799, 1099],
      [0, 0, 1, 0, 1098],
      [100, 400, 0, 0, 1598],
    ]);
    // The text says so too, each line adding up (followers = the line before's + added + first seen - removed).
    const text = (await runCli(['history', 'growth', '--db', db, '--uid', UID])).stdout.trimEnd().split('\n');
    expect(text[0]!.trim().split(/\s+/).join(' ')).toBe('date on profile served added first seen removed beyond reach followers');
    expect(text.slice(1).map((line) => line.trim().split(/\s+/).slice(2).join(' '))).toEqual([
      '1,000 1,000 0 0 0 1,000',
      '300 100 0 1 799 1,099 (--limit: the newest followers only)',
      '1,000 0 0 1 0 1,098',
      '1,598 100 400 0 0 1,598',
    ]);
  });

  it('an interrupted walk of other options is not gone on with: a new walk replaces it', async () => {
    const db = join(dir.path, 'h.sqlite');
    const env = await simulator({ [UID]: { size: 100 } });
    expect((await runCli(['export', '--uid', UID, '--db', db, '--max-requests', '2'], env)).code).toBe(8);
    const other = await runCli(['export', '--uid', UID, '--db', db, '--no-formula-guard'], env);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).not.toContain('resuming');
    // Nor is a damaged checkpoint of the staging file (tkf's own): a new walk, not exit 2 every night.
    expect((await runCli(['export', '--uid', UID, '--db', db, '--max-requests', '2'], env)).code).toBe(8);
    await writeFile(join(`${db}.staging`, `${UID}.jsonl.part.json`), '{"ver');
    const damaged = await runCli(['export', '--uid', UID, '--db', db], env);
    expect([damaged.code, damaged.stderr]).toEqual([0, expect.not.stringContaining('resuming')]);
    expect(json<Array<{ requests: number }>>((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout)).toMatchObject([{ requests: 5 }, { requests: 5 }]);
  });

  it('an interrupted walk that holds more rows than the next --limit: the night starts anew; --resume says so and loses nothing', async () => {
    const db = join(dir.path, 'limit.sqlite');
    const env = await simulator({ [UID]: { size: 100 } });
    // 20 followers a page: 40 rows held, under --limit 90.
    expect((await runCli(['export', '--uid', UID, '--db', db, '--limit', '90', '--max-requests', '2'], env)).code).toBe(8);
    const night = await runCli(['export', '--uid', UID, '--db', db, '--limit', '30', '--json'], env);
    expect(night.code, night.stderr).toBe(0);
    expect(night.stderr).not.toContain('resuming');
    expect(json<{ rows: number; requests: number }>(night.stdout)).toMatchObject({ rows: 30, requests: 2 });
    expect(json<Array<{ served: number }>>((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout)).toMatchObject([{ served: 30 }]);
    // So does --resume (finishing an interrupted --db batch): the staging file is tkf's own.
    expect((await runCli(['export', '--uid', UID, '--db', db, '--limit', '90', '--max-requests', '2'], env)).code).toBe(8);
    const finish = await runCli(['export', '--uid', UID, '--db', db, '--limit', '30', '--resume', '--json'], env);
    expect(finish.code, finish.stderr).toBe(0);
    expect(finish.stderr).not.toContain('resuming');
    expect(json<{ rows: number; requests: number }>(finish.stdout)).toMatchObject({ rows: 30, requests: 2 });
    expect(json<Array<{ served: number }>>((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout)).toMatchObject([{ served: 30 }, { served: 30 }]);

    // A file of the user's own: --resume with the lower --limit is refused (exit 2), the file and
    // its checkpoint as they were; with room for its rows it finishes.
    const out = join(dir.path, 'limit.jsonl');
    expect((await runCli(['export', '--uid', UID, '--out', out, '--limit', '90', '--max-requests', '2'], env)).code).toBe(8);
    const part = await readFile(`${out}.part`, 'utf8');
    const refused = await runCli(['export', '--uid', UID, '--out', out, '--limit', '30', '--resume'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`tkf: cannot resume ${out}: the interrupted export holds 40 rows, more than --limit 30; resume it with a --limit of at least 40 (or none), or start again with --force`);
    expect(await readFile(`${out}.part`, 'utf8')).toBe(part);
    const resumed = await runCli(['export', '--uid', UID, '--out', out, '--limit', '90', '--resume'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const uids = (await readFile(out, 'utf8')).trim().split('\n').map((line) => (JSON.parse(line) as { uid: string }).uid);
    expect([uids.length, new Set(uids).size]).toEqual([90, 90]);
  });

  it('leaves the .sqlite file whole and alone once tkf has exited: a copy of it holds every snapshot (export in its thread, import); reads leave nothing', async () => {
    const env = await simulator({ [UID]: { size: 80 } });
    const exported = join(dir.path, 'e.sqlite');
    const out = join(dir.path, 'e.jsonl');
    const run = await runTkf(['export', '--uid', UID, '--out', out, '--db', exported, '-q'], { env, cwd: dir.path });
    expect(run.code, run.stderr).toBe(0);
    const imported = join(dir.path, 'i.sqlite');
    const imports = await runTkf(['history', 'import', '--db', imported, out], { env, cwd: dir.path });
    expect(imports.code, imports.stderr).toBe(0);
    // Alone: left in rollback mode, without -wal and -shm beside it (a read-only copy can be read).
    expect((await readdir(dir.path)).filter((name) => /\.sqlite-(wal|shm)$/.test(name))).toEqual([]);
    // The commands that read open it read-only: nothing is left beside it either, and a database
    // another connection holds in WAL mode (an export running) is read as well.
    expect((await runTkf(['history', '--db', exported], { env, cwd: dir.path })).code).toBe(0);
    expect((await readdir(dir.path)).filter((name) => /\.sqlite-(wal|shm)$/.test(name))).toEqual([]);
    const writer = await openHistory(exported);
    try {
      const read = await runTkf(['history', 'growth', '--db', exported, '--uid', UID, '--json'], { env, cwd: dir.path });
      expect([read.code, JSON.parse(read.stdout).length]).toEqual([0, 1]);
    } finally {
      await writer.close();
    }
    for (const db of [exported, imported]) {
      const copy = `${db}.copy.sqlite`;
      await copyFile(db, copy); // without its -wal and -shm
      const history = await openHistory(copy);
      try {
        expect(await history.all('SELECT served FROM snapshots'), db).toEqual([{ served: 80 }]);
        expect(await history.all('SELECT COUNT(*) AS n FROM followers'), db).toEqual([{ n: 80 }]);
      } finally {
        await history.close();
      }
    }
  });

  it("a walk older than the account's latest snapshot is not recorded, and said: exit 11, the file kept, in process and in the recording thread", async () => {
    const db = join(dir.path, 'later.sqlite');
    const env = await simulator({ [UID]: { size: 30 } });
    expect((await runCli(['export', '--uid', UID, '--db', db], env)).code).toBe(0);
    // As a machine whose clock is behind the one that recorded the account sees it.
    const history = await openHistory(db);
    try {
      await history.run("UPDATE accounts SET last_snapshot_at = '2999-01-01T00:00:00.000Z'");
    } finally {
      await history.close();
    }
    const said = (file: string) =>
      new RegExp(
        `^tkf: not recorded in the history database \\S*later\\.sqlite: it holds a later snapshot of ${UID} \\(2999-01-01T00:00:00\\.000Z\\) than this walk \\(\\S+\\), and snapshots are recorded oldest first \\(another run recorded a later walk, or this machine's clock is behind\\); the export is complete: \\S*${file}\n$`,
      );
    const inProcess = await runCli(['export', '--uid', UID, '--db', db, '--out', join(dir.path, 'a.jsonl'), '-q'], env);
    expect([inProcess.code, inProcess.stderr]).toEqual([11, expect.stringMatching(said('a\\.jsonl'))]);
    const threaded = await runTkf(['export', '--uid', UID, '--db', db, '-q'], { env, cwd: dir.path });
    expect([threaded.code, threaded.stderr]).toEqual([11, expect.stringMatching(said(`later\\.sqlite\\.staging/${UID}\\.jsonl`))]);
    // Neither walk is lost: the file, and the staging file not emptied.
    expect((await readFile(join(dir.path, 'a.jsonl'), 'utf8')).split('\n').filter(Boolean)).toHaveLength(30);
    expect((await readFile(join(`${db}.staging`, `${UID}.jsonl`), 'utf8')).split('\n').filter(Boolean)).toHaveLength(30);
    const points = json<unknown[]>((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout);
    expect(points).toHaveLength(1);
  });

  it('a batch records every account; --out files are kept; --update records new followers only', async () => {
    const db = join(dir.path, 'h.sqlite');
    const uids = join(dir.path, 'uids.txt');
    await writeFile(uids, `${UID}\n${OTHER}\n`);
    const out = join(dir.path, 'x', '{uid}.jsonl');
    const env1 = await simulator({ [UID]: { size: 40, notYetFollowed: 4 }, [OTHER]: { size: 20 } });
    const batch = await runCli(['export', '--uids-file', uids, '--out', out, '--db', db, '--concurrency', '2'], env1);
    expect(batch.code, batch.stderr).toBe(0);
    expect(await readdir(join(dir.path, 'x'))).toContain(`${UID}.jsonl`);
    const env2 = await simulator({ [UID]: { size: 40 }, [OTHER]: { size: 20 } });
    const update = await runCli(['export', '--uid', UID, '--out', join(dir.path, 'x', `${UID}.jsonl`), '--update', '--db', db, '--json'], env2);
    expect(update.code, update.stderr).toBe(0);
    const points = json<Array<{ added: number; removed: number; end: string; sees_losses: boolean }>>(
      (await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout,
    );
    expect(points.at(-1)).toMatchObject({ added: 4, removed: 0, end: 'update', sees_losses: false });
    const list = json<Array<{ uid: string; followers: number }>>((await runCli(['history', '--db', db, '--json'])).stdout);
    expect(list.map((a) => [a.uid, a.followers])).toEqual([[UID, 40], [OTHER, 20]]);
    expect((await runCli(['export', '--uid', UID, '--db', db, '--update'], env2)).code).toBe(2);
  });

  it('an --update published and never recorded (killed between the two, or run without --db) is recorded before the next --update --db: its new followers reach the history', async () => {
    const { db, out, whole } = await unrecordedUpdate('f.jsonl');
    const taken = json<{ updated: string }>(await readFile(`${out}.tkf.json`, 'utf8')).updated;
    const next = await runCli(['export', '--uid', UID, '--out', out, '--update', '--db', db, '--json'], whole);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`tkf: ${out} (${taken}) was not yet in the history: recorded now, before this update (4 new followers)`);
    // --json says it too: a cron job that reads it sees the two snapshots.
    expect(json<{ added: number; history: { added: number } }>(next.stdout)).toMatchObject({ added: 0, history: { added: 0 }, history_before: { snapshot_at: taken, added: 4, recorded: true } });
    const points = json<Array<{ at: string; added: number; end: string }>>((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout);
    expect(points.map((p) => [p.added, p.end])).toEqual([[36, 'complete'], [4, 'update'], [0, 'update']]);
    expect(points[1]!.at).toBe(taken);
    expect(json<Array<{ followers: number }>>((await runCli(['history', '--db', db, '--json'])).stdout)[0]!.followers).toBe(40);
    // Recorded once: the next --update finds it there and says nothing of it.
    const again = await runCli(['export', '--uid', UID, '--out', out, '--update', '--db', db], whole);
    expect([again.code, again.stderr.includes('not yet in the history')]).toEqual([0, false]);
  });

  it('an --update --db that is refused (another account\'s file, other columns) records nothing of the file it refused', async () => {
    const db = join(dir.path, 'refused.sqlite');
    const out = join(dir.path, 'refused.jsonl');
    const env = await simulator({ [UID]: { size: 40 }, [OTHER]: { size: 30 } });
    expect((await runCli(['export', '--uid', UID, '--out', out], env)).code).toBe(0);
    for (const args of [['--uid', OTHER], ['--uid', UID, '--fields', 'uid']]) {
      const refused = await runCli(['export', ...args, '--out', out, '--update', '--db', db], env);
      expect([refused.code, refused.stderr.includes('not yet in the history')], refused.stderr).toEqual([2, false]);
    }
    expect(json<unknown[]>((await runCli(['history', '--db', db, '--json'])).stdout)).toEqual([]);
  });

  it('--resume --db of an --update never recorded says it recorded that update (its new followers), not the whole file', async () => {
    const { db, out, whole } = await unrecordedUpdate('f.csv');
    const resumed = await runCli(['export', '--uid', UID, '--out', out, '--db', db, '--resume'], whole);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr.trim().split('\n').at(-1)).toBe(`tkf: ${out} was complete and not yet recorded: recorded now (40 followers: its --update, 4 new followers on top of 36)`);
    const points = json<Array<{ added: number; end: string }>>((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout);
    expect(points.map((p) => [p.added, p.end])).toEqual([[36, 'complete'], [4, 'update']]);
  });

  it("three of yesterday's newest re-follow at once, the night's walk ends among the new followers (--limit): nobody gone, the new ones added, and tkf diff agrees", async () => {
    const db = join(dir.path, 'refollow-top.sqlite');
    const [a, b] = [join(dir.path, 'refollow-a.jsonl'), join(dir.path, 'refollow-b.jsonl')];
    const night = { size: 1800, cap: 1000, slidingCap: true };
    expect((await runCli(['export', '--uid', UID, '--out', a, '--db', db], await simulator({ [UID]: { ...night, notYetFollowed: 300 } }))).code).toBe(0);
    const env = await simulator({ [UID]: { ...night, notYetFollowed: 200, refollowed: [302, 303, 304] } });
    expect((await runCli(['export', '--uid', UID, '--out', b, '--db', db, '--limit', '50'], env)).code).toBe(0);
    const growth = json<Array<{ added: number; removed: number; first_seen: number; followers: number }>>((await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout);
    expect(growth.map((p) => [p.added, p.first_seen, p.removed, p.followers])).toEqual([
      [1000, 0, 0, 1000],
      [47, 0, 0, 1047],
    ]);
    const diff = await runCli(['diff', a, b, '--json']);
    expect(json<Record<string, number>>(diff.stdout)).toMatchObject({ added: 47, first_seen: 0, removed: 0, beyond_reach: 997 });
  });

  it('most of the reach leaves in one night (a purge): gone, not beyond reach for ever, and tkf diff agrees', async () => {
    const db = join(dir.path, 'purge.sqlite');
    const [a, b] = [join(dir.path, 'purge-a.jsonl'), join(dir.path, 'purge-b.jsonl')];
    // 2,000 followers, a reach of the newest 1,000; then 600 of those 1,000 (#500..#1099) leave.
    const night = { size: 2400, cap: 1000, slidingCap: true, notYetFollowed: 400 };
    expect((await runCli(['export', '--uid', UID, '--out', a, '--db', db], await simulator({ [UID]: night }))).code).toBe(0);
    const purged = Array.from({ length: 600 }, (_, i) => 500 + i);
    const second = await runCli(['export', '--uid', UID, '--out', b, '--db', db], await simulator({ [UID]: { ...night, unfollowed: purged } }));
    expect(second.code, second.stderr).toBe(0);
    // The walk read the 100 newest who stayed, then #1100..#1399 in the same order: it passed the
    // 600 (they were beyond reach for ever, the history counting 1,600 followers of 1,400). The
    // 600 below #1399 the first walk never reached are first seen.
    const growth = json<Array<{ added: number; first_seen: number; removed: number; beyond_reach: number; followers: number }>>(
      (await runCli(['history', 'growth', '--db', db, '--uid', UID, '--json'])).stdout,
    );
    expect(growth.map((p) => [p.added, p.first_seen, p.removed, p.beyond_reach, p.followers])).toEqual([
      [1000, 0, 0, 0, 1000],
      [0, 600, 600, 0, 1000],
    ]);
    const diff = await runCli(['diff', a, b, '--json']);
    expect(json<Record<string, number>>(diff.stdout)).toMatchObject({ added: 0, first_seen: 600, removed: 600, beyond_reach: 0 });
  });

  it('a database that cannot be opened is exit 11, before any page is paid for', async () => {
    const log: RequestLogEntry[] = [];
    const env = await simulator({ [UID]: { size: 20 } }, log);
    await writeFile(join(dir.path, 'file'), 'not a directory');
    const run = await runCli(['export', '--uid', UID, '--db', join(dir.path, 'file', 'h.sqlite')], env);
    expect(run.code).toBe(11);
    expect(run.stderr).toMatch(/cannot open the history database/);
    expect(log).toHaveLength(0);
    // A directory named as the database: said plainly, for export and for the commands that read.
    const folder = join(dir.path, 'folder');
    await mkdir(folder);
    for (const args of [['export', '--uid', UID, '--db', folder], ['history', '--db', folder]]) {
      const refused = await runCli(args, env);
      expect([refused.code, refused.stderr]).toEqual([11, `tkf: cannot open the history database ${folder}: it is a directory; --db names a SQLite file (history.sqlite) or a postgres:// URL\n`]);
    }
    expect(log).toHaveLength(0);
  });

  it('an --out that is the database (by name, by a link, one of its files, or a batch template that names it) is refused, exit 2, the history kept', async () => {
    const log: RequestLogEntry[] = [];
    const env = await simulator({ [UID]: { size: 20 } }, log);
    const db = join(dir.path, 'hist.jsonl');
    expect((await runCli(['export', '--uid', UID, '--db', db], env)).code).toBe(0);
    const requests = log.length;
    const link = join(dir.path, 'hist-link.jsonl');
    await symlink(db, link);
    for (const out of [db, link, `${db}-wal`, `${db}-journal`]) {
      const refused = await runCli(['export', '--uid', UID, '--db', db, '--out', out, '--format', 'jsonl', '--force'], env);
      expect([out, refused.code, refused.stderr]).toEqual([out, 2, `tkf: --out ${out} is the history database --db ${db} (or one of its files): the export would replace it; name another file\n`]);
    }
    // The manifest of an export named as the database would be written over it too.
    const manifestDb = join(dir.path, 'named.jsonl.tkf.json');
    expect((await runCli(['export', '--uid', UID, '--db', manifestDb, '--out', join(dir.path, 'named.jsonl')], env)).code).toBe(2);
    await writeFile(join(dir.path, 'one.txt'), `${UID}\n`);
    const batch = await runCli(['export', '--uids-file', join(dir.path, 'one.txt'), '--db', join(dir.path, `${UID}.jsonl`), '--out', join(dir.path, '{uid}.jsonl')], env);
    expect(batch.code).toBe(9);
    expect(batch.stderr).toContain(`${UID}: failed (exit 2): --out ${join(dir.path, `${UID}.jsonl`)} is the history database`);
    expect(log).toHaveLength(requests);
    expect(json<Array<{ snapshots: number }>>((await runCli(['history', '--db', db, '--json'])).stdout)).toMatchObject([{ uid: UID, snapshots: 1, followers: 20 }]);
  });
});
