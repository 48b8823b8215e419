import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { describe, expect, test } from 'vitest';
import { parsePage } from '../../src/api/page-parser.js';
import type { RawFollower } from '../../src/api/types.js';
import { DEFAULT_CSV_FIELDS } from '../../src/writers/fields.js';
import { type EncoderOptions, RecordWriter, getFormat } from '../../src/writers/index.js';
import { unguardCell } from '../../src/writers/csv.js';

const SAMPLE_FOLLOWERS = parsePage(readFileSync(new URL('../../fixtures/sample-response.json', import.meta.url))).followers!;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

import { follower, rawFollower } from '../helpers/followers.js';

async function csvBytes(followers: RawFollower[], options: Partial<EncoderOptions> = {}, writeHeader = true): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const encoder = getFormat('csv').createEncoder({ fields: undefined, bom: false, formulaGuard: true, ...options });
  const writer = new RecordWriter(destination, encoder, { writeHeader });
  for (const f of followers) await writer.write(f);
  await writer.close();
  return Buffer.concat(chunks);
}

/**
 * Read back as Python's csv, Excel or pandas would: a CR, an LF or a CRLF outside quotes ends a
 * record. csv-parse's default would guess the delimiter from the first line (`\r\n`) and then
 * take a bare `\n` as data, hiding an unquoted line break.
 */
const STRICT_READER = { bom: true, record_delimiter: ['\r\n', '\n', '\r'] };

async function csvRows(followers: RawFollower[], options: Partial<EncoderOptions> = {}): Promise<string[][]> {
  return parse(await csvBytes(followers, options), STRICT_READER) as string[][];
}

/** The one cell of `field` for each follower. */
async function column(field: string, followers: RawFollower[], options: Partial<EncoderOptions> = {}): Promise<string[]> {
  const rows = await csvRows(followers, { ...options, fields: ['uid', field] });
  expect(rows[0]).toEqual(['uid', field]);
  return rows.slice(1).map((row) => row[1]!);
}

describe('CSV: columns', () => {
  test('the header row is DEFAULT_CSV_FIELDS, rows end in CRLF', async () => {
    const text = (await csvBytes(SAMPLE_FOLLOWERS)).toString('utf8');
    expect(text.split('\r\n')[0]).toBe(DEFAULT_CSV_FIELDS.join(','));
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n')).toHaveLength(SAMPLE_FOLLOWERS.length + 2);
  });

  test('the sample followers: uid, profile_url, avatar_url and plain fields', async () => {
    const rows = await csvRows(SAMPLE_FOLLOWERS);
    const header = rows[0]!;
    const records = rows.slice(1).map((row) => Object.fromEntries(header.map((name, i) => [name, row[i]])));
    expect(records.map((r) => r.uid)).toEqual(['7005153156116071425', '6977504145574577157']);
    expect(records.map((r) => r.profile_url)).toEqual(['https://www.tiktok.com/@mqyeq', 'https://www.tiktok.com/@liajoseph5']);
    expect(records[0]!.avatar_url).toBe(
      'https://p16-sign-sg.tiktokcdn.com/aweme/1080x1080/tiktok-obj/7005362653325426689.webp?x-expires=1631149200&x-signature=S2KtrGmhT68Tc88cKo0TKmrQEKM%3D',
    );
    expect(records[1]!.avatar_url).toMatch(/^https:\/\/p16-sign-va\.tiktokcdn\.com\/musically-maliva-obj\/6977509749222801414~c5_1080x1080\.webp\?/);
    expect(records[0]!.sec_uid).toBe('MS4wLjABAAAAhjvKRC2R-0dLFbp-ycs9Pkr_ICiXbUVf2qTWQ9Qi4UsD-mJZl1Z1rWohOylie18T');
    expect(records[0]!.region).toBe('CN');
    expect(records[0]!.follower_count).toBe('0');
    expect(records[0]!.verification_type).toBe('1');
    expect(records[0]!.custom_verify).toBe('');
  });

  test('profile_url is empty without a unique_id; avatar_url empty without avatar_larger', async () => {
    const rows = await csvRows([follower({ unique_id: '', avatar_larger: null })], { fields: ['profile_url', 'avatar_url'] });
    expect(rows).toEqual([['profile_url', 'avatar_url'], ['', '']]);
  });

  test('booleans as true/false, nested objects as JSON, null and missing as empty', async () => {
    const share = { share_url: 'https://t.example/a,b', n: [1, 2], deep: { ok: true } };
    const rows = await csvRows([follower({ is_star: false, user_canceled: true, share_info: share, events: null })], {
      fields: ['is_star', 'user_canceled', 'share_info', 'events', 'nope'],
    });
    expect(rows[1]).toEqual(['false', 'true', JSON.stringify(share), '', '']);
  });

  test('a 19-digit room_id is written with its exact digits, alone and inside an object', async () => {
    const live = rawFollower(
      '{"uid":"7300000000000000001","room_id":7300000000000000114,"stats":{"room_id":7300000000000000115,"n":1},"neg":-7300000000000000116}',
    );
    const rows = await csvRows([live], { fields: ['uid', 'room_id', 'stats', 'neg'] });
    expect(rows[1]).toEqual(['7300000000000000001', '7300000000000000114', '{"room_id":7300000000000000115,"n":1}', '-7300000000000000116']);
  });
});

describe('CSV: hostile text survives a round trip through csv-parse', () => {
  const texts = [
    'comma, inside',
    'say "hi", then ""leave""',
    'line one\r\nline two',
    'lf only\nhere',
    'cr only\rhere',
    'tab\there',
    'trailing space ',
    ' leading space',
    '🦊👩‍👩‍👧 emoji',
    '成功的用户，你好',
    'مرحبا بالعالم \u200f(RTL)',
    'mixed: "a,b"\r\n\t🦊 עברית',
    '\\backslash\\',
    "it's",
    '',
  ];

  test.each([true, false])('nickname and signature, formulaGuard %s', async (formulaGuard) => {
    const followers = texts.map((text, i) => follower({ uid: String(7000000000000000000n + BigInt(i)), nickname: text, signature: `${text}|${text}` }));
    const rows = await csvRows(followers, { formulaGuard, fields: ['uid', 'nickname', 'signature'] });
    expect(rows).toHaveLength(texts.length + 1);
    expect(rows.slice(1).map((row) => row[1])).toEqual(texts);
    expect(rows.slice(1).map((row) => row[2])).toEqual(texts.map((t) => `${t}|${t}`));
    expect(rows.slice(1).map((row) => row[0])).toEqual(texts.map((_t, i) => String(7000000000000000000n + BigInt(i))));
  });

  test('any field holding CR or LF is quoted: one record a follower, whatever its text', async () => {
    const followers = ['a\nb', 'a\rb', 'a\r\nb', '\n', 'end\r'].map((text) => follower({ nickname: text, signature: text }));
    const text = (await csvBytes(followers, { fields: ['nickname', 'signature'] })).toString('utf8');
    expect(text).toBe('nickname,signature\r\n"a\nb","a\nb"\r\n"a\rb","a\rb"\r\n"a\r\nb","a\r\nb"\r\n"\n","\n"\r\n"end\r","end\r"\r\n');
  });

  test('one column: an empty cell is written "", never as a blank line a reader would skip', async () => {
    const text = (await csvBytes([follower({ nickname: '' }), follower({ nickname: null }), follower({ nickname: 'x' })], { fields: ['nickname'] })).toString();
    expect(text).toBe('nickname\r\n""\r\n""\r\nx\r\n');
    const wide = (await csvBytes([follower({ nickname: '' })], { fields: ['nickname', 'region'] })).toString();
    expect(wide).toBe('nickname,region\r\n,\r\n');
  });

  test('with the default columns too', async () => {
    const followers = texts.map((text) => follower({ nickname: text, signature: text }));
    const rows = await csvRows(followers);
    const nickname = DEFAULT_CSV_FIELDS.indexOf('nickname');
    const signature = DEFAULT_CSV_FIELDS.indexOf('signature');
    expect(rows.slice(1).map((row) => row[nickname])).toEqual(texts);
    expect(rows.slice(1).map((row) => row[signature])).toEqual(texts);
    expect(rows.slice(1).every((row) => row.length === DEFAULT_CSV_FIELDS.length)).toBe(true);
  });
});

describe('CSV: BOM', () => {
  test('bom: true starts the file with EF BB BF, once', async () => {
    const bytes = await csvBytes([...SAMPLE_FOLLOWERS, follower({ nickname: '成功' })], { bom: true });
    expect(bytes.subarray(0, 3).equals(BOM)).toBe(true);
    expect(bytes.indexOf(BOM, 3)).toBe(-1);
    expect(bytes.subarray(3, 3 + 'uid,'.length).toString()).toBe('uid,');
  });

  test('bom: false writes none, and no header means no BOM either (a resumed file)', async () => {
    expect((await csvBytes(SAMPLE_FOLLOWERS, { bom: false })).indexOf(BOM)).toBe(-1);
    const resumed = await csvBytes(SAMPLE_FOLLOWERS, { bom: true }, false);
    expect(resumed.indexOf(BOM)).toBe(-1);
    expect(resumed.toString().startsWith('7005153156116071425,')).toBe(true);
  });
});

describe('CSV: formula guard', () => {
  const dangerous = ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', '＝1', '＋1', '－1', '＠x', '=HYPERLINK("http://evil","a,b")'];

  test('cells starting with = + - @ tab CR (and full-width forms) get a leading quote', async () => {
    const cells = await column('nickname', dangerous.map((nickname) => follower({ nickname })));
    expect(cells).toEqual(dangerous.map((text) => `'${text}`));
  });

  test("a text that itself starts with the guard's quote and one of them gets one quote more, so that reading it back (unguardCell) gives it whole", async () => {
    const own = [...dangerous.map((text) => `'${text}`), "''=two quotes"];
    const cells = await column('nickname', own.map((nickname) => follower({ nickname })));
    expect(cells).toEqual(own.map((text) => `'${text}`));
    expect(cells.map(unguardCell)).toEqual(own);
    // As the plain ones read back: the guard's quote off.
    expect((await column('nickname', dangerous.map((nickname) => follower({ nickname })))).map(unguardCell)).toEqual(dangerous);
    // Without the guard nothing is added.
    expect(await column('nickname', own.map((nickname) => follower({ nickname })), { formulaGuard: false })).toEqual(own);
  });

  test('formulaGuard false leaves them alone', async () => {
    const cells = await column('nickname', dangerous.map((nickname) => follower({ nickname })), { formulaGuard: false });
    expect(cells).toEqual(dangerous);
  });

  test('negative numbers are numbers, not formulas', async () => {
    expect(await column('follower_count', [follower({ follower_count: -5 })])).toEqual(['-5']);
    const long = rawFollower('{"uid":"1","follower_count":-7300000000000000114}');
    expect(await column('follower_count', [long])).toEqual(['-7300000000000000114']);
  });

  test('safe text is untouched, the header is never guarded', async () => {
    const rows = await csvRows([follower({ nickname: 'a=b', signature: "'quoted" })], { fields: ['nickname', 'signature'] });
    expect(rows).toEqual([['nickname', 'signature'], ['a=b', "'quoted"]]);
  });
});
