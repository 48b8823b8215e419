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
    expect([paged.code, paged.stderr]).toEqual([2, expect.stringMatching(/^tkf: cannot read the checkpoint \S+m\.jsonl\.tkf\.json: .+; it names whose followers the export holds: name the account with --uid\n$/)]);
    const plain = await runCli(['report', file]);
    expect([plain.code, plain.stderr]).toEqual([0, expect.stringMatching(/^tkf: warning: cannot read the checkpoint \S+m\.jsonl\.tkf\.json: .+; the report has no follower count of the profile\n$/)]);
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
});
