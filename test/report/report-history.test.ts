/**
 * `tkf report --html --db`: the page of an export shows the account's followers over time from
 * the history that `tkf export --db` recorded (a real SQLite file, exports over HTTP from the
 * simulator on 127.0.0.1, the CLI in process).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator, type UserScenario } from '../../src/simulator/index.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useClosers } from '../helpers/closers.js';
import { runCli } from '../history/run-cli.js';

const TOKEN = 'tkn-report-history';
const UID = '6754915036232582149';
const dir = useTempDir('tkf-report-history-');
const closeLater = useClosers();

async function simulator(users: Record<string, UserScenario>) {
  const sim = await startSimulator({ token: TOKEN, users });
  closeLater(() => sim.close());
  return { TKF_TOKEN: TOKEN, TKF_BASE_URL: sim.url };
}

/** The visible text of a page: its tags taken out. */
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('tkf report --html --db', () => {
  it("takes the history from TKF_DB or the config file's db, as tkf history does; one not named here never refuses the page of an export without a manifest", async () => {
    const db = join(dir.path, 'configured.sqlite');
    const day = join(dir.path, 'configured.jsonl');
    expect((await runCli(['export', '--uid', UID, '--out', day, '--db', db], await simulator({ [UID]: { size: 40 } }))).code).toBe(0);
    const config = join(dir.path, 'xdg');
    await mkdir(join(config, 'tkf'), { recursive: true });
    await writeFile(join(config, 'tkf', 'config.json'), JSON.stringify({ db }), { mode: 0o600 });
    const page = join(dir.path, 'configured.html');
    const run = await runCli(['report', day, '--html', page], { XDG_CONFIG_HOME: config });
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(page, 'utf8')).toContain('Followers over time');
    // The same rows without their manifest: the page, without the history, and why.
    const bare = join(dir.path, 'bare.jsonl');
    await writeFile(bare, await readFile(day));
    const plain = await runCli(['report', bare, '--html', join(dir.path, 'bare.html')], { TKF_DB: db });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toContain(`tkf: warning: ${bare} has no manifest saying whose followers it holds: the page leaves out the history of ${db} (name the account with --uid)`);
    // Named with --db, the same file is refused: the account must be said.
    expect((await runCli(['report', bare, '--html', join(dir.path, 'bare2.html'), '--db', db])).code).toBe(2);
    // A configured database that is not there (not made yet, moved): the page without it, and why;
    // named with --db, exit 11.
    const missing = join(dir.path, 'not-yet.sqlite');
    const without = await runCli(['report', day, '--html', join(dir.path, 'without.html')], { TKF_DB: missing });
    expect([without.code, without.stderr]).toEqual([0, expect.stringContaining(`tkf: warning: no history database at ${missing}`)]);
    expect(await readFile(join(dir.path, 'without.html'), 'utf8')).not.toContain('Followers over time');
    expect((await runCli(['report', day, '--html', join(dir.path, 'named.html'), '--db', missing])).code).toBe(11);
  });

  it('adds the account\'s snapshots, the account taken from the export\'s manifest', async () => {
    const db = join(dir.path, 'history.sqlite');
    const day1 = join(dir.path, 'day1.jsonl');
    const day2 = join(dir.path, 'day2.jsonl');
    expect((await runCli(['export', '--uid', UID, '--out', day1, '--db', db], await simulator({ [UID]: { size: 60, notYetFollowed: 15 } }))).code).toBe(0);
    expect((await runCli(['export', '--uid', UID, '--out', day2, '--db', db], await simulator({ [UID]: { size: 60 } }))).code).toBe(0);

    const page = join(dir.path, 'report.html');
    const run = await runCli(['report', day2, '--html', page, '--db', db, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const html = await readFile(page, 'utf8');
    expect(html).toContain('Followers over time');
    // The growth table: 45 served then 60, +45 and +15 added.
    expect(text(html)).toMatch(/\b45\b.*\b60\b/);
    expect(text(html)).toMatch(/\+15\b/);
    // Nobody left: "0", never "-0" (issue 21's plurals and signs, on the page too).
    expect(html).not.toMatch(/>-0</);

    // Without --db the page has no history section.
    const plain = join(dir.path, 'plain.html');
    expect((await runCli(['report', day2, '--html', plain])).code).toBe(0);
    expect(await readFile(plain, 'utf8')).not.toContain('Followers over time');
  });

  it("says so when the database holds no snapshot of the export's account, and still writes the page; an account named with --uid is exit 4", async () => {
    const db = join(dir.path, 'empty.sqlite');
    const OTHER = '6754915036232582150';
    const env = await simulator({ [UID]: { size: 30 }, [OTHER]: { size: 10 } });
    expect((await runCli(['export', '--uid', OTHER, '--out', join(dir.path, 'o.jsonl'), '--db', db], env)).code).toBe(0);
    const file = join(dir.path, 'u.jsonl');
    expect((await runCli(['export', '--uid', UID, '--out', file], env)).code).toBe(0);
    const run = await runCli(['report', file, '--html', join(dir.path, 'r.html'), '--db', db]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`no snapshot of ${UID}`));
    // Named with --uid, an account the database does not know is a typo: exit 4, as history growth, no page.
    const named = join(dir.path, 'named.html');
    const typo = await runCli(['report', join(dir.path, 'u.jsonl'), '--html', named, '--db', db, '--uid', UID]);
    expect([typo.code, typo.stderr]).toEqual([4, `tkf: no snapshot of ${UID} in the history database ${db} (tkf history lists its accounts)\n`]);
    expect(existsSync(named)).toBe(false);
  });

  it("refuses --uid naming another account than the export's manifest: one account's audience beside another's growth", async () => {
    const db = join(dir.path, 'two.sqlite');
    const OTHER = '6754915036232582150';
    const env = await simulator({ [UID]: { size: 30 }, [OTHER]: { size: 10 } });
    const file = join(dir.path, 'mine.jsonl');
    expect((await runCli(['export', '--uid', UID, '--out', file, '--db', db], env)).code).toBe(0);
    expect((await runCli(['export', '--uid', OTHER, '--out', join(dir.path, 'theirs.jsonl'), '--db', db], env)).code).toBe(0);
    const html = join(dir.path, 'mixed.html');
    const run = await runCli(['report', file, '--html', html, '--db', db, '--uid', OTHER]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`tkf: ${file} holds the followers of ${UID} (its manifest says), not ${OTHER}: the page would show one account's audience beside another's growth\n`);
    expect(existsSync(html)).toBe(false);
    expect((await runCli(['report', file, '--html', html, '--db', db, '--uid', UID])).code).toBe(0);
  });

  it('a manifest that cannot be read is said as such, not taken for none (it names the account)', async () => {
    const db = join(dir.path, 'm.sqlite');
    const file = join(dir.path, 'm.jsonl');
    expect((await runCli(['export', '--uid', UID, '--out', file, '--db', db], await simulator({ [UID]: { size: 20 } }))).code).toBe(0);
    // Unreadable as another user's owner-only manifest is (root reads those: a directory is not read by anyone).
    await rm(`${file}.tkf.json`);
    await mkdir(`${file}.tkf.json`);
    const paged = await runCli(['report', file, '--html', join(dir.path, 'm.html'), '--db', db]);
    expect([paged.code, paged.stderr]).toEqual([2, expect.stringMatching(/^tkf: cannot read the manifest \S+m\.jsonl\.tkf\.json: .+; it names whose followers the export holds: name the account with --uid\n$/)]);
    const plain = await runCli(['report', file]);
    expect([plain.code, plain.stderr]).toEqual([0, expect.stringMatching(/^tkf: warning: cannot read the manifest \S+m\.jsonl\.tkf\.json: .+; the report has no follower count of the profile\n$/)]);
  });

  it('--db needs --html, and --uid needs --db (exit 2)', async () => {
    const file = join(dir.path, 'f.jsonl');
    expect((await runCli(['export', '--uid', UID, '--out', file], await simulator({ [UID]: { size: 20 } }))).code).toBe(0);
    const noHtml = await runCli(['report', file, '--db', join(dir.path, 'h.sqlite')]);
    expect(noHtml.code).toBe(2);
    expect(noHtml.stderr).toMatch(/--db adds followers over time to the HTML page/);
    const noDb = await runCli(['report', file, '--html', join(dir.path, 'x.html'), '--uid', UID]);
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toMatch(/--uid names the account of the history database/);
  });

  it('with no export, --db and --uid report on the followers the history knows: those past the reach counted, the same audience as a file of them all', async () => {
    const db = join(dir.path, 'known.sqlite');
    const file = join(dir.path, 'known.csv');
    // 1,205 followers, a reach of the newest 1,000 counted from now: the first night 1,000 of them
    // follow (all served); by the second, 200 more, #500 left, and the oldest 199 slid past the
    // reach; on the third, --update finds the last 5 on top (it walks nothing else).
    const nights: Array<[Partial<UserScenario>, string[]]> = [
      [{ notYetFollowed: 205 }, []],
      [{ notYetFollowed: 5, unfollowed: [500] }, ['--force']],
      [{ unfollowed: [500] }, ['--update']],
    ];
    for (const [later, extra] of nights) {
      const run = await runCli(['export', '--uid', UID, '--db', db, '--out', file, ...extra], await simulator({ [UID]: { size: 1205, cap: 1000, slidingCap: true, ...later } }));
      expect(run.code, run.stderr).toBe(0);
    }
    const known = await runCli(['report', '--db', db, '--uid', UID, '--json']);
    expect(known.code, known.stderr).toBe(0);
    const report = JSON.parse(known.stdout) as Record<string, unknown>;
    // Past the reach: not served by the last full walk (the update walked its 5 new followers only).
    expect(report).toMatchObject({ file: db, format: 'history', account: UID, followers: 1204, on_profile: 1204, beyond_reach: 199 });
    expect(report.as_of).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The same 1,204 followers in one export file (no reach): the same audience, section by section.
    const all = join(dir.path, 'all.csv');
    expect((await runCli(['export', '--uid', UID, '--out', all], await simulator({ [UID]: { size: 1205, unfollowed: [500] } }))).code).toBe(0);
    const fromFile = JSON.parse((await runCli(['report', all, '--json'])).stdout) as Record<string, unknown>;
    const audience = ({ file, format, account, as_of, beyond_reach, ...rest }: Record<string, unknown>) => rest;
    expect(audience(report)).toEqual(audience(fromFile));
    expect((report.by_region as Record<string, number> | null) ?? {}).not.toEqual({});

    const summary = await runCli(['report', '--db', db, '--uid', UID]);
    expect(summary.stdout.split('\n')[0]).toMatch(
      new RegExp(`^${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 1,204 followers of account ${UID} as the history knows them at its last snapshot, \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC \\(1,204 on the profile\\); 199 of them not served by its last full walk \\(past the API's reach\\), counted with their fields as last seen$`),
    );
    const page = join(dir.path, 'known.html');
    const paged = await runCli(['report', '--db', db, '--uid', UID, '--html', page]);
    expect([paged.code, paged.stderr]).toEqual([0, `tkf: wrote ${page}\n`]);
    const html = text(await readFile(page, 'utf8'));
    expect(html).toContain('1,204 followers known of 1,204 on the profile');
    expect(html).toContain('199 past the reach not served by the last full walk');
    expect(html).toContain('Followers over time');
    expect(html).toMatch(/Counts are of the followers the history database knows to follow at its last snapshot/);
  });

  it('with no export: an account the history does not know is exit 4; no database or no --uid is exit 2', async () => {
    const db = join(dir.path, 'one.sqlite');
    expect((await runCli(['export', '--uid', UID, '--db', db], await simulator({ [UID]: { size: 20 } }))).code).toBe(0);
    const OTHER = '6754915036232582150';
    expect(await runCli(['report', '--db', db, '--uid', OTHER])).toMatchObject({ code: 4, stderr: `tkf: no snapshot of ${OTHER} in the history database ${db} (tkf history lists its accounts)\n` });
    const none = await runCli(['report', '--uid', UID], { XDG_CONFIG_HOME: join(dir.path, 'no-config') });
    expect(none).toMatchObject({ code: 2, stderr: 'tkf: give an export to report on (tkf report followers.csv), or a history database and an account (tkf report --db history.sqlite --uid <user_id>)\n' });
    expect(await runCli(['report', '--db', db])).toMatchObject({ code: 2, stderr: 'tkf: with no export, the report is of one account of the history database: name it with --uid\n' });
    // TKF_DB names the database as --db does.
    const fromEnv = await runCli(['report', '--uid', UID, '--json'], { TKF_DB: db });
    expect([fromEnv.code, (JSON.parse(fromEnv.stdout) as { followers: number }).followers]).toEqual([0, 20]);
    expect(await runCli(['report', '--db', db, '--uid', 'x1'])).toMatchObject({ code: 2 });
  });
});
