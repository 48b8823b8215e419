/**
 * The vendor's first sample follower turned into a text template, so that every simulated follower
 * has exactly its keys, order and nesting, and rendering one is string concatenation rather than
 * building and serialising a 110-key object.
 *
 * The sample is read from fixtures/sample-response.json (shipped with the package), two levels up
 * from this file in both src/simulator and dist/simulator.
 */
import { readFileSync } from 'node:fs';

/** Top-level fields whose whole JSON value differs per follower. */
const VALUE_SLOTS = [
  'uid',
  'sec_uid',
  'unique_id',
  'nickname',
  'signature',
  'follower_count',
  'following_count',
  'aweme_count',
  'total_favorited',
  'region',
  'language',
  'room_id',
] as const;

/** The sample's avatar object id, found inside every avatar uri and URL; replaced per follower. */
const SAMPLE_AVATAR_ID = '7005362653325426689';

export type SlotName = (typeof VALUE_SLOTS)[number] | 'avatar_id';

/** text = statics[0] + value(slots[0]) + statics[1] + ... + statics[slots.length]. */
export interface FollowerTemplate {
  statics: string[];
  slots: SlotName[];
}

/**
 * A JSON string literal the way the vendor writes one: UTF-8 left as is (the sample has
 * "msg":"成功"), but '/' escaped as '\/' (the sample's URLs read "https:\/\/p16-sign-sg...").
 */
export function vendorString(text: string): string {
  return JSON.stringify(text).replaceAll('/', '\\/');
}

const SAMPLE_URL = new URL('../../fixtures/sample-response.json', import.meta.url);

let cached: FollowerTemplate | undefined;

export function followerTemplate(): FollowerTemplate {
  cached ??= buildTemplate(JSON.parse(readFileSync(SAMPLE_URL, 'utf8')) as unknown);
  return cached;
}

function buildTemplate(sample: unknown): FollowerTemplate {
  const first = (sample as { data?: { followers?: unknown[] } }).data?.followers?.[0];
  if (first === null || typeof first !== 'object') throw new Error('sample response has no follower');
  const follower = first as Record<string, unknown>;
  for (const key of VALUE_SLOTS) {
    if (!(key in follower)) throw new Error(`sample follower has no "${key}"`);
    follower[key] = `@@V:${key}@@`;
  }
  // Slashes occur only inside strings, so escaping them over the whole text is exact.
  const text = JSON.stringify(markAvatarIds(follower)).replaceAll('/', '\\/');
  const parts = text.split(/"@@V:(\w+)@@"|@@S:(\w+)@@/);
  // split() with two capture groups yields [static, group1, group2, static, group1, group2, ...].
  const statics: string[] = [];
  const slots: SlotName[] = [];
  for (let i = 0; i < parts.length; i += 3) {
    statics.push(parts[i]!);
    const slot = parts[i + 1] ?? parts[i + 2];
    if (slot !== undefined) slots.push(slot as SlotName);
  }
  return { statics, slots };
}

function markAvatarIds(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll(SAMPLE_AVATAR_ID, '@@S:avatar_id@@');
  if (Array.isArray(value)) return value.map(markAvatarIds);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = markAvatarIds(inner);
    return out;
  }
  return value;
}
