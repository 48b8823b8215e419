/**
 * Exports for the report's tests, written by tkf's own encoders (JSONL and CSV) from followers in
 * the vendor sample's full shape, with the fields the report counts set per follower.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createCsvEncoder } from '../../src/writers/csv.js';

const SAMPLE = JSON.parse(readFileSync(new URL('../../fixtures/sample-response.json', import.meta.url), 'utf8')) as {
  data: { followers: Array<Record<string, unknown>> };
};

export type FollowerValues = Record<string, unknown> & { uid: string };

/** The sample's first follower with `values` over it (every key of the API's follower object). */
export function follower(values: FollowerValues): Record<string, unknown> {
  return { ...SAMPLE.data.followers[0]!, ...values };
}

export async function writeJsonl(path: string, followers: ReadonlyArray<Record<string, unknown>>): Promise<string> {
  await writeFile(path, followers.map((f) => `${JSON.stringify(f)}\n`).join(''));
  return path;
}

export async function writeCsv(path: string, followers: ReadonlyArray<Record<string, unknown>>, fields?: string[]): Promise<string> {
  const encoder = createCsvEncoder({ fields, bom: false, formulaGuard: true });
  const parts = [encoder.header() ?? Buffer.alloc(0)];
  for (const f of followers) parts.push(encoder.encode({ uid: String(f.uid), bytes: Buffer.from(JSON.stringify(f)), hasLongNumbers: false }));
  await writeFile(path, Buffer.concat(parts));
  return path;
}

const uid = (n: number) => `71000000000000${String(n).padStart(5, '0')}`;

/**
 * Seven followers whose counts are worked out by hand in audience.test.ts:
 *   A  US en      0 followers, no videos, following 3, no bio, name = handle  -> empty profile, inactive
 *   B  US en     50 followers, no videos, following 600 (>= 100 and >= 10x)  -> follows far more, inactive
 *   C  BR pt 150,000 followers, verified (custom_verify)
 *   D  "" ""    999 followers, 2 videos, following 9,990 (= 10x)             -> follows far more, active
 *   E  JP ja  1,000 followers, no videos, a bio, verified (enterprise)       -> no videos only
 *   F  CN ""  150,000 followers (ties C, comes after it)
 *   G  US en "12000" followers (a string: the API's types drift)
 */
export const SEVEN: ReadonlyArray<Record<string, unknown>> = [
  follower({ uid: uid(1), unique_id: 'aaa', nickname: 'aaa', signature: '', region: 'US', language: 'en', follower_count: 0, following_count: 3, aweme_count: 0 }),
  follower({ uid: uid(2), unique_id: 'bbb', nickname: 'Bee', signature: 'hi', region: 'US', language: 'en', follower_count: 50, following_count: 600, aweme_count: 0 }),
  follower({ uid: uid(3), unique_id: 'ccc', nickname: '<script>alert("c")</script>', signature: 'x', region: 'BR', language: 'pt', follower_count: 150_000, following_count: 10, aweme_count: 30, custom_verify: 'Popular creator' }),
  follower({ uid: uid(4), unique_id: 'ddd', nickname: '=SUM(A1:A9)', signature: 'x', region: '', language: '', follower_count: 999, following_count: 9_990, aweme_count: 2 }),
  follower({ uid: uid(5), unique_id: 'eee', nickname: 'محمد علي\u200f', signature: 'bio', region: 'JP', language: 'ja', follower_count: 1_000, following_count: 5, aweme_count: 0, enterprise_verify_reason: 'Brand' }),
  follower({ uid: uid(6), unique_id: 'fff', nickname: '小红书达人 🔥', signature: 'x', region: 'CN', language: '', follower_count: 150_000, following_count: 1, aweme_count: 1 }),
  follower({ uid: uid(7), unique_id: 'ggg', nickname: "O'Neil \"G\"", signature: 'x', region: 'US', language: 'en', follower_count: '12000', following_count: 7, aweme_count: 5 }),
];
