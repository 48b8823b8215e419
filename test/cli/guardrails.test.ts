/**
 * Checks that stop a run before money is spent, and the next step a failure line gives.
 */
import { describe, expect, it } from 'vitest';
import { chooseFormat } from '../../src/cli/export-command.js';
import { addNextStep } from '../../src/cli/failure-hints.js';
import { ApiRefusedError, ApiUnavailableError, BudgetSpentError, UsageError } from '../../src/errors.js';
import { fieldsMissingFrom } from '../../src/writers/fields.js';

describe('fieldsMissingFrom', () => {
  const followers = [
    { uid: '1', unique_id: 'a', nickname: null, avatar_larger: { url_list: ['https://x/1'] } },
    { uid: '2', room_id: 7 },
  ];
  it('finds the columns no follower has, by name or dot path', () => {
    expect(fieldsMissingFrom(['uid', 'nosuchfield', 'avatar_larger.url_list.0', 'avatar_larger.url_list.1'], followers)).toEqual([
      'nosuchfield',
      'avatar_larger.url_list.1',
    ]);
  });
  it('counts a key sent as null, and a field only some followers have, as present', () => {
    expect(fieldsMissingFrom(['nickname', 'room_id'], followers)).toEqual([]);
  });
  it('counts a computed column as present when its source is', () => {
    expect(fieldsMissingFrom(['profile_url', 'avatar_url'], followers)).toEqual([]);
    expect(fieldsMissingFrom(['profile_url', 'avatar_url'], [{ uid: '3' }])).toEqual(['profile_url', 'avatar_url']);
  });
});

describe('chooseFormat', () => {
  it('refuses a --format that contradicts the extension of --out, naming the fix', () => {
    expect(() => chooseFormat('jsonl', 'a.csv')).toThrow(UsageError);
    expect(() => chooseFormat('jsonl', 'out/a.CSV')).toThrow(/--format jsonl contradicts --out out\/a\.CSV.*name it out\/a\.jsonl/);
    expect(() => chooseFormat('csv', 'exports/{uid}.ndjson')).toThrow(/contradicts/);
  });
  it('takes a --format that agrees, or one for a name without a known extension', () => {
    expect(chooseFormat('jsonl', 'a.ndjson').name).toBe('jsonl');
    expect(chooseFormat('csv', 'a.txt').name).toBe('csv');
    expect(chooseFormat('csv', '-').name).toBe('csv');
  });
  it('lets the extension win over the config file, whose format is a default', () => {
    expect(chooseFormat(undefined, 'a.jsonl', 'csv').name).toBe('jsonl');
    expect(chooseFormat(undefined, 'a.txt', 'csv').name).toBe('csv');
    expect(chooseFormat(undefined, '-', 'csv').name).toBe('csv');
  });
});

describe('addNextStep', () => {
  it('names the user of a refusal and what to check', () => {
    const error = new ApiRefusedError('the API refused the request (code 402): 余额不足', 402, '余额不足');
    addNextStep(error, { uid: '42' });
    expect(error.message).toBe(
      'user 42: the API refused the request (code 402): 余额不足; check the token (TKF_TOKEN, --token-file or the config file\'s token_file) and the balance of your API account',
    );
  });
  it('says that saved rows can be resumed, except where the error has its own hint', () => {
    const unavailable = new ApiUnavailableError('the API at h:1 failed 6 times in a row');
    addNextStep(unavailable, { savedRows: 1200 });
    expect(unavailable.message).toMatch(/; the 1,200 rows so far are saved: run the same command with --resume to go on$/);
    const budget = new BudgetSpentError('stopped after 3 requests');
    addNextStep(budget, { savedRows: 60 });
    expect(budget.message).toBe('stopped after 3 requests');
    const nothingSaved = new ApiUnavailableError('x');
    addNextStep(nothingSaved, { savedRows: 0 });
    expect(nothingSaved.message).toBe('x');
  });
  it('tells a run given --force to resume without it (--resume and --force do not go together)', () => {
    const unavailable = new ApiUnavailableError('the API at h:1 failed 6 times in a row');
    addNextStep(unavailable, { savedRows: 80, force: true });
    expect(unavailable.message).toMatch(/; the 80 rows so far are saved: run the same command with --resume instead of --force to go on$/);
  });
});
