import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { parsePage } from '../../src/api/page-parser.js';
import type { RawFollower } from '../../src/api/types.js';
import { RecordWriter, getFormat } from '../../src/writers/index.js';

const SAMPLE_FOLLOWERS = parsePage(readFileSync(new URL('../../fixtures/sample-response.json', import.meta.url))).followers!;

/** A follower as the page parser hands it over: its exact bytes, flagged if it holds a long number. */
function raw(text: string, hasLongNumbers = false): RawFollower {
  const uid = /"uid":"(\d+)"/.exec(text)?.[1] ?? '';
  return { uid, bytes: Buffer.from(text), hasLongNumbers };
}

const LIVE =
  '{"uid":"7300000000000000001","unique_id":"live.user","nickname":"🔴 live","room_id":7300000000000000114,' +
  '"avatar_larger":{"uri":"x","url_list":["https:\\/\\/p16.example\\/big.webp","https:\\/\\/p16.example\\/big.jpeg"]},"is_star":false}';

async function encode(followers: RawFollower[], fields?: string[]): Promise<string> {
  const chunks: Buffer[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const encoder = getFormat('jsonl').createEncoder({ fields, bom: true, formulaGuard: true });
  const writer = new RecordWriter(destination, encoder, { writeHeader: true });
  for (const follower of followers) await writer.write(follower);
  await writer.close();
  return Buffer.concat(chunks).toString('utf8');
}

describe('JSONL', () => {
  test('each line is the follower bytes verbatim, with no header and no BOM', async () => {
    const followers = [...SAMPLE_FOLLOWERS, raw(LIVE, true)];
    const text = await encode(followers);
    expect(Buffer.from(text).equals(Buffer.concat(followers.flatMap((f) => [f.bytes, Buffer.from('\n')])))).toBe(true);
    const lines = text.split('\n');
    expect(lines).toHaveLength(followers.length + 1);
    expect(lines.at(-1)).toBe('');
    expect(lines[2]).toContain('"room_id":7300000000000000114');
    expect(lines[0]).toContain('"uri":"tiktok-obj\\/7005362653325426689"');
    expect(JSON.parse(lines[1]!).uid).toBe('6977504145574577157');
  });

  test('--fields picks paths by name; a 19-digit room_id stays an exact JSON number', async () => {
    const text = await encode([raw(LIVE, true)], ['uid', 'avatar_larger.url_list.0', 'room_id', 'profile_url']);
    expect(text).toBe(
      '{"uid":"7300000000000000001","avatar_larger.url_list.0":"https://p16.example/big.webp",' +
        '"room_id":7300000000000000114,"profile_url":"https://www.tiktok.com/@live.user"}\n',
    );
  });

  test('--fields: a missing path is null, objects and booleans stay JSON', async () => {
    const text = await encode([SAMPLE_FOLLOWERS[0]!], ['uid', 'no_such_field', 'is_star', 'log.deep.path', 'avatar_thumb.url_list', 'avatar_url']);
    const record = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(record)).toEqual(['uid', 'no_such_field', 'is_star', 'log.deep.path', 'avatar_thumb.url_list', 'avatar_url']);
    expect(record.uid).toBe('7005153156116071425');
    expect(record.no_such_field).toBeNull();
    expect(record['log.deep.path']).toBeNull();
    expect(record.is_star).toBe(false);
    expect(record['avatar_thumb.url_list']).toHaveLength(2);
    expect(record.avatar_url).toMatch(/^https:\/\/p16-sign-sg\.tiktokcdn\.com\/aweme\/1080x1080\//);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.indexOf('\n')).toBe(text.length - 1);
  });
});
