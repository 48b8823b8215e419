/**
 * [issue 18.6] Followers with repeated keys: whatever the page parser accepts, the writers write,
 * the last key winning as in JSON.parse. Before, a follower holding a 19-digit number (decoded by
 * lossless-json) and a repeated key stopped CSV and .xlsx exports with exit 1 ("internal error:
 * Duplicate key 'nickname'"), while JSONL wrote it.
 *
 * The pages come over HTTP from the simulator's `duplicate-keys` fault: every follower of every
 * page carries a nickname and a 19-digit follower_count before its own, and a url_list before its
 * own inside avatar_larger (nested). The export must equal the same export without the fault.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RawFollower } from '../../src/api/types.js';
import { startSimulator, type Simulator, type UserScenario } from '../../src/simulator/index.js';
import { withDuplicateKeys } from '../../src/simulator/faults.js';
import { LosslessNumber, decodeFollower } from '../../src/writers/fields.js';
import { exportInProcess } from '../helpers/in-process-export.js';
import { readXlsx } from '../helpers/read-xlsx.js';
import { useTempDir } from '../helpers/temp-dir.js';


const TOKEN = 'dup-keys-token';
const UID = '1231231231231231231';
const list: UserScenario = { size: 90, bigRoomIds: 0.3 };

let plain: Simulator;
let repeated: Simulator;
beforeAll(async () => {
  plain = await startSimulator({ token: TOKEN, users: { [UID]: list } });
  repeated = await startSimulator({
    token: TOKEN,
    users: { [UID]: list },
    faults: { rate: 1, kinds: ['duplicate-keys'], maxConsecutive: Number.MAX_SAFE_INTEGER },
  });
});
afterAll(async () => {
  await plain.close();
  await repeated.close();
});

const dir = useTempDir('tkf-dup-keys-');

function raw(text: string, hasLongNumbers: boolean): RawFollower {
  return { uid: '1', bytes: Buffer.from(text), hasLongNumbers };
}

describe('decodeFollower: the last of repeated keys wins, as in JSON.parse', () => {
  const shapes: Array<[string, string]> = [
    ['a repeated top-level key', '{"uid":"1","nickname":"first","room_id":7300000000000000114,"nickname":"last"}'],
    ['a repeated key holding the long number', '{"uid":"1","room_id":1,"room_id":7300000000000000114}'],
    ['a long number repeated by a short one', '{"uid":"1","room_id":7300000000000000114,"room_id":5}'],
    ['a repeated key inside a nested object', '{"uid":"1","room_id":7300000000000000114,"avatar_larger":{"url_list":["a"],"uri":"x","url_list":["b"]}}'],
    ['a repeated object, different each time', '{"uid":"1","share_info":{"a":7300000000000000114},"share_info":{"a":1,"b":7300000000000000115}}'],
    ['a repeated key in an object inside an array', '{"uid":"1","list":[{"k":1,"k":7300000000000000116}]}'],
    ['a long number under a "__proto__" key (a key, as JSON.parse makes it)', '{"uid":"1","__proto__":{"a":7300000000000000117},"__proto__":7300000000000000118}'],
  ];
  test.each(shapes)('%s', (_name, text) => {
    const decoded = decodeFollower(raw(text, true));
    // The same object as JSON.parse reads, except that long numbers keep their digits.
    const exact = JSON.parse(JSON.stringify(decoded, (_k, v: unknown) => (v instanceof LosslessNumber ? `#${v.value}` : v)));
    const expected = JSON.parse(text.replace(/(\d{16,})/g, '"#$1"'));
    expect(exact).toEqual(expected);
  });

  test('a string that looks like a marker stays a string', () => {
    const text = '{"uid":"1","nickname":"\\u0000tkf-abc-0","room_id":7300000000000000114}';
    const decoded = decodeFollower(raw(text, true));
    expect(decoded.nickname).toBe('\u0000tkf-abc-0');
    expect((decoded.room_id as LosslessNumber).value).toBe('7300000000000000114');
  });

  test('the simulator fault repeats keys so that the page\'s own values come last', () => {
    const page = Buffer.from('{"followers":[{"uid":"1","nickname":"own","avatar_larger":{"url_list":["own.jpg"]},"follower_count":3}]}');
    const follower = (JSON.parse(withDuplicateKeys(page).toString()) as { followers: Array<Record<string, unknown>> }).followers[0]!;
    expect(follower).toEqual({ uid: '1', nickname: 'own', avatar_larger: { url_list: ['own.jpg'] }, follower_count: 3 });
    expect(withDuplicateKeys(page).toString().match(/"nickname"/g)).toHaveLength(2);
  });
});

describe('exports of followers with repeated keys, over HTTP (the simulator\'s duplicate-keys fault)', () => {
  test('CSV: every row as the same export without repeated keys (the last key of each won)', async () => {
    await exportInProcess(plain, UID, join(dir.path, 'plain.csv'), { token: TOKEN });
    const result = await exportInProcess(repeated, UID, join(dir.path, 'repeated.csv'), { token: TOKEN });
    expect(result.rows).toBe(90);
    expect(repeated.stats.answers?.['duplicate-keys']).toBeGreaterThan(0);
    const read = async (name: string) => parse(await readFile(join(dir.path, name)), { columns: true, relax_quotes: false }) as Array<Record<string, string>>;
    const [want, got] = [await read('plain.csv'), await read('repeated.csv')];
    expect(got).toEqual(want);
    expect(got.some((row) => row.nickname === 'dup-first')).toBe(false);
  });

  test('.xlsx: the workbook equals the one without repeated keys', async () => {
    await exportInProcess(plain, UID, join(dir.path, 'plain.xlsx'), { token: TOKEN, format: 'xlsx' });
    const result = await exportInProcess(repeated, UID, join(dir.path, 'repeated.xlsx'), { token: TOKEN, format: 'xlsx' });
    expect(result.rows).toBe(90);
    const rows = async (name: string) => {
      // Every cell with its type: text stays text, numbers numbers (the suite's own strict reader).
      return (await readXlsx(join(dir.path, name))).sheets[0]!.rows;
    };
    const [want, got] = [await rows('plain.xlsx'), await rows('repeated.xlsx')];
    expect(got).toHaveLength(91);
    expect(got).toEqual(want);
  });

  test('JSONL with --fields reads the last keys too (it decodes like CSV)', async () => {
    const fields = ['uid', 'nickname', 'follower_count', 'avatar_larger.url_list.0'];
    await exportInProcess(plain, UID, join(dir.path, 'plain.jsonl'), { token: TOKEN, encoder: { fields } });
    await exportInProcess(repeated, UID, join(dir.path, 'repeated.jsonl'), { token: TOKEN, encoder: { fields } });
    const [want, got] = [await readFile(join(dir.path, 'plain.jsonl'), 'utf8'), await readFile(join(dir.path, 'repeated.jsonl'), 'utf8')];
    expect(got).toBe(want);
  });
});
