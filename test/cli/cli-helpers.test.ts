import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configPath, loadConfig } from '../../src/cli/config-file.js';
import { chooseFormat, fillTemplate, parseUidList } from '../../src/cli/export-command.js';
import { estimateRequests } from '../../src/api/list-facts.js';
import { resumeCommand } from '../../src/cli/resume-command.js';
import { UsageError } from '../../src/errors.js';

describe('parseUidList', () => {
  it('keeps uids as text, skips blanks and comments, drops repeats', () => {
    expect(parseUidList('# list\n6754915036232582149\n\n  9223372036854775807  # big\r\n6754915036232582149\n', 'f')).toEqual([
      '6754915036232582149',
      '9223372036854775807',
    ]);
  });
  it('names the line of a bad uid', () => {
    expect(() => parseUidList('1\n@someone\n', 'accounts.txt')).toThrow(/accounts\.txt line 2: a uid must be the numeric user_id/);
  });
  it('names every bad line at once (five of them, then how many more), each value cut to 40 characters', () => {
    const lines = ['1', '@someone', '# fine', '12x', 'uid,sec_uid,unique_id,nickname,profile_url,signature', '2', 'a', 'b', 'c', 'd'];
    let message = '';
    try {
      parseUidList(lines.join('\n'), 'accounts.txt');
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      message = (error as Error).message;
    }
    expect(message).toBe(
      'accounts.txt has 7 lines that are not a uid (the numeric user_id, 1 to 20 digits): line 2 "@someone" (an @handle?), line 4 "12x" (an @handle?), ' +
        'line 5 "uid,sec_uid,unique_id,nickname,profile_u...", line 7 "a" (an @handle?), line 8 "b" (an @handle?), and 2 more; mend them, or comment them out with #',
    );
  });
  it('refuses a file without uids', () => {
    expect(() => parseUidList('# nothing\n\n', 'f')).toThrow(UsageError);
  });
});

describe('fillTemplate and chooseFormat', () => {
  it('fills {uid} and {date} everywhere', () => {
    expect(fillTemplate('out/{date}/{uid}-{uid}.csv', '12', '2026-11-29')).toBe('out/2026-11-29/12-12.csv');
  });
  it('takes the format from the extension, --format, or jsonl for stdout', () => {
    expect(chooseFormat(undefined, 'a/{uid}.CSV').name).toBe('csv');
    expect(chooseFormat(undefined, 'x.ndjson').name).toBe('jsonl');
    expect(chooseFormat(undefined, '-').name).toBe('jsonl');
    expect(chooseFormat('csv', '-').name).toBe('csv');
    expect(chooseFormat(undefined, 'x.XLSX').name).toBe('xlsx');
    expect(() => chooseFormat(undefined, 'x.xls')).toThrow(/cannot tell the format/);
  });
});

describe('estimateRequests', () => {
  it('counts pages of 20, and the extra -1 answer of a capped list', () => {
    expect(estimateRequests(0)).toEqual({ all: 1, served: 1 });
    expect(estimateRequests(130)).toEqual({ all: 7, served: 7 });
    expect(estimateRequests(8_229_668)).toEqual({ all: 411_484, served: 251 });
  });
});

describe('resumeCommand', () => {
  it('adds --resume, drops --force, and never repeats the token', () => {
    const argv = ['node', '/opt/tkf/bin/tkf', 'export', '--uid', '1', '--token', 's3cret', '--out', 'my file.csv', '--force'];
    expect(resumeCommand(argv, { TKF_TOKEN: 's3cret' })).toBe(`tkf export --uid 1 --out 'my file.csv' --resume`);
    expect(resumeCommand(['n', 'tkf', 'export', '--token=s3cret'], { TKF_TOKEN: 'x' })).toBe('tkf export --resume');
  });
  it("names --db's PostgreSQL URL without its password, and says to set PGPASSWORD (the URL with *** failed when pasted)", () => {
    const argv = ['n', 'tkf', 'export', '--uids-file', 'a.txt', '--db', 'postgres://u:S3CRETpw@db.example:5432/tkf?sslmode=require', '--out', 'x/{uid}.csv'];
    const hint = resumeCommand(argv, { TKF_TOKEN: 't' });
    expect(hint).not.toContain('S3CRETpw');
    expect(hint).toBe("tkf export --uids-file a.txt --db 'postgres://u@db.example:5432/tkf?sslmode=require' --out 'x/{uid}.csv' --resume (set PGPASSWORD first: --db's password is never printed)");
    expect(resumeCommand(argv, { TKF_TOKEN: 't', PGPASSWORD: 'S3CRETpw' })).not.toContain('(set PGPASSWORD');
    expect(resumeCommand(['n', 'tkf', 'export', '--db=postgres://u:pw@h/d', '--token', 'x'], {})).toBe(
      "tkf export --db postgres://u@h/d --resume (set TKF_TOKEN first: the token given with --token is never printed; set PGPASSWORD first: --db's password is never printed)",
    );
    expect(resumeCommand(['n', 'tkf', 'export', '--db', 'postgres://u@h/d?PassWord=pw&sslmode=require'], { PGPASSWORD: 'pw' })).toBe('tkf export --db \'postgres://u@h/d?sslmode=require\' --resume');
    // pg's socket form (no host; WHATWG URL refuses it): printed with *** before, which failed when pasted.
    expect(resumeCommand(['n', 'tkf', 'export', '--db', 'postgres://postgres:s3cret-pw@/tkf?host=/run/pg&port=5433'], {})).toBe(
      "tkf export --db 'postgres://postgres@/tkf?host=/run/pg&port=5433' --resume (set PGPASSWORD first: --db's password is never printed)",
    );
    // A SQLite file, and a URL without a password, as given.
    expect(resumeCommand(['n', 'tkf', 'export', '--db', 'h.sqlite', '--db', 'postgres://u@h/d'], {})).toBe('tkf export --db h.sqlite --db postgres://u@h/d --resume');
  });
  it("fills in --out's {date} with the run's date (and only there), so that it resumes the same files after midnight", () => {
    const argv = ['n', 'tkf', 'export', '--uids-file', 'l/{date}.txt', '--out', 'x/{date}/{uid}.csv'];
    expect(resumeCommand(argv, {}, '2026-12-05')).toBe(`tkf export --uids-file 'l/{date}.txt' --out 'x/2026-12-05/{uid}.csv' --resume`);
    expect(resumeCommand(['n', 'tkf', 'export', '--out=x/{date}.csv'], {}, '2026-12-05')).toBe('tkf export --out=x/2026-12-05.csv --resume');
    expect(resumeCommand(argv, {})).toContain(`--out 'x/{date}/{uid}.csv'`);
  });
  it('never suggests what fails when pasted: no unset "$TKF_TOKEN", the program as it was run', () => {
    const fromClone = resumeCommand(['node', '/src/tkf/bin/tkf.js', 'export', '--uid', '1', '--token', 's3cret', '--out', 'f.csv'], {});
    expect(fromClone).not.toContain('s3cret');
    expect(fromClone).not.toContain('$TKF_TOKEN');
    expect(fromClone).toBe('node /src/tkf/bin/tkf.js export --uid 1 --out f.csv --resume (set TKF_TOKEN first: the token given with --token is never printed)');
    expect(resumeCommand(['n', 'tkf', 'export', '--token-file', '-', '--out', 'f.csv'], {})).toBe('tkf export --token-file - --out f.csv --resume (with the token on stdin again)');
    expect(resumeCommand(['n', 'tkf', 'export', '--token-file', 't', '--out', 'f.csv'], {})).toBe('tkf export --token-file t --out f.csv --resume');
  });
});

describe('config file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tkf-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lives under XDG_CONFIG_HOME, else ~/.config, else nowhere (cron without HOME)', () => {
    expect(configPath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/tkf/config.json');
    expect(configPath({ HOME: '/h' })).toBe('/h/.config/tkf/config.json');
    expect(configPath({})).toBeUndefined();
  });

  it('maps keys to options, expands ~, and warns when others can read it', async () => {
    await mkdir(join(dir, 'tkf'));
    const file = join(dir, 'tkf', 'config.json');
    await writeFile(file, JSON.stringify({ base_url: 'http://h', token_file: '~/t', bom: true, retries: 3 }));
    await chmod(file, 0o644);
    const warnings: string[] = [];
    const config = await loadConfig({ XDG_CONFIG_HOME: dir, HOME: '/home/me' }, (w) => warnings.push(w));
    expect(config.values).toEqual({ baseUrl: 'http://h', tokenFile: '/home/me/t', bom: true, retries: 3 });
    expect(warnings).toHaveLength(1);
    await chmod(file, 0o600);
    warnings.length = 0;
    await loadConfig({ XDG_CONFIG_HOME: dir }, (w) => warnings.push(w));
    expect(warnings).toEqual([]);
  });

  it('rejects unknown keys, wrong types and broken JSON with the path', async () => {
    await mkdir(join(dir, 'tkf'));
    const file = join(dir, 'tkf', 'config.json');
    for (const [text, message] of [
      ['{"colour":1}', /unknown key "colour"/],
      ['{"retries":"5"}', /"retries" must be a number/],
      ['{oops', /not valid JSON/],
      ['[1]', /must hold a JSON object/],
    ] as const) {
      await writeFile(file, text, { mode: 0o600 });
      await expect(loadConfig({ XDG_CONFIG_HOME: dir }, () => {})).rejects.toThrow(message);
    }
  });

  it('is optional', async () => {
    expect((await loadConfig({ XDG_CONFIG_HOME: dir }, () => {})).values).toEqual({});
  });
});
