/**
 * The usage rules of `tkf export` as pure functions (src/cli/resolve-job.ts): each rule refuses
 * exactly the options it names and lets the others through, and checkUsage says the first broken one.
 */
import { describe, expect, it } from 'vitest';
import {
  USAGE_RULES,
  checkManyOutputs,
  checkPlaceholders,
  checkShard,
  checkUsage,
  fileModesNeedAFile,
  jsonNeedsAFile,
  oneFileMode,
  stdinReadOnce,
  updateHasNoLimit,
  workbookIsAFile,
  workbookIsNotUpdated,
  type UsageFacts,
} from '../../src/cli/resolve-job.js';
import { tokenFileOf } from '../../src/cli/api-access.js';
import { getFormat } from '../../src/writers/index.js';

const plain: UsageFacts = {
  out: 'f.csv',
  format: getFormat('csv'),
  resume: false,
  force: false,
  update: false,
  json: false,
  limit: undefined,
  uidsFile: undefined,
  tokenFile: undefined,
};
const facts = (change: Partial<UsageFacts>): UsageFacts => ({ ...plain, ...change });

describe('usage rules of tkf export', () => {
  it('let a plain export to a file through', () => {
    for (const rule of USAGE_RULES) expect(rule(plain)).toBeUndefined();
    expect(() => checkUsage(plain)).not.toThrow();
  });

  it('--resume, --force and --update need a file', () => {
    for (const mode of ['resume', 'force', 'update'] as const) {
      expect(fileModesNeedAFile(facts({ out: '-', format: getFormat('jsonl'), [mode]: true }))).toMatch(/need a file/);
      expect(fileModesNeedAFile(facts({ [mode]: true }))).toBeUndefined();
    }
  });

  it('a workbook is written to a file and never updated', () => {
    const xlsx = getFormat('xlsx');
    expect(workbookIsAFile(facts({ out: '-', format: xlsx }))).toBe('--format xlsx writes a file, not stdout; use --out followers.xlsx, or csv/jsonl for -');
    expect(workbookIsAFile(facts({ out: '-', format: getFormat('csv') }))).toBeUndefined();
    expect(workbookIsNotUpdated(facts({ out: 'f.xlsx', format: xlsx, update: true }))).toMatch(/^--update cannot add to an \.xlsx workbook/);
    expect(workbookIsNotUpdated(facts({ update: true }))).toBeUndefined();
  });

  it('--json needs a file, one file mode at a time, no --limit with --update', () => {
    expect(jsonNeedsAFile(facts({ out: '-', json: true }))).toMatch(/needs --out <file>/);
    expect(jsonNeedsAFile(facts({ json: true }))).toBeUndefined();
    expect(oneFileMode(facts({ force: true, resume: true }))).toBe('use one of --resume, --force and --update');
    expect(oneFileMode(facts({ force: true, update: true }))).toBe('use one of --resume, --force and --update');
    expect(oneFileMode(facts({ resume: true, update: true }))).toBeUndefined();
    expect(updateHasNoLimit(facts({ update: true, limit: 5 }))).toMatch(/^--limit does not go with --update/);
    expect(updateHasNoLimit(facts({ limit: 5 }))).toBeUndefined();
  });

  it('stdin is read once: uids or token, not both', () => {
    expect(stdinReadOnce(facts({ uidsFile: '-', tokenFile: '-' }))).toMatch(/both want stdin/);
    expect(stdinReadOnce(facts({ uidsFile: '-', tokenFile: 'token.txt' }))).toBeUndefined();
  });

  it('checkUsage says the first broken rule, in the order of USAGE_RULES', () => {
    expect(() => checkUsage(facts({ out: '-', format: getFormat('jsonl'), force: true, resume: true, json: true }))).toThrow(/need a file/);
    expect(() => checkUsage(facts({ force: true, resume: true, update: true, limit: 3 }))).toThrow('use one of --resume, --force and --update');
  });

  it('--shard needs a uids file; several users need {uid} and a file', () => {
    expect(() => checkShard({ index: 1, count: 2 }, undefined)).toThrow(/--shard splits a --uids-file/);
    expect(() => checkShard({ index: 1, count: 2 }, 'uids.txt')).not.toThrow();
    expect(() => checkManyOutputs(2, 'f.csv', getFormat('csv'))).toThrow("--out must contain {uid} when exporting several users, e.g. 'exports/{date}/{uid}.csv'");
    expect(() => checkManyOutputs(2, '{uid}.csv', getFormat('csv'))).not.toThrow();
    expect(() => checkManyOutputs(1, 'f.csv', getFormat('csv'))).not.toThrow();
    // A placeholder it does not know is said, not written into the file names as it is.
    expect(() => checkManyOutputs(2, 'o/{foo}-{uid}.csv', getFormat('csv'))).toThrow("--out: {foo} is no placeholder; a template knows {uid} and {date}, e.g. 'exports/{date}/{uid}.csv'");
    expect(() => checkPlaceholders('exports/{date}/{user}.csv')).toThrow(/\{user\} is no placeholder/);
    expect(() => checkPlaceholders('exports/{date}/{uid}.csv')).not.toThrow();
    expect(() => checkPlaceholders('exports/{ not one }.csv')).not.toThrow();
  });

  it('the token file: --token-file, else the config file unless a token is given another way', () => {
    const config = { path: 'config.json', values: { tokenFile: 'configured' } };
    expect(tokenFileOf({ tokenFile: 'flag' }, {}, config)).toBe('flag');
    expect(tokenFileOf({}, {}, config)).toBe('configured');
    expect(tokenFileOf({ token: 't' }, {}, config)).toBeUndefined();
    expect(tokenFileOf({}, { TKF_TOKEN: 't' }, config)).toBeUndefined();
  });
});
