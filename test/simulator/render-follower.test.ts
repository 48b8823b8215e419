import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PUBLIC_UID, followerUid, renderFollower } from '../../src/simulator/index.js';

const sample = JSON.parse(readFileSync(new URL('../../fixtures/sample-response.json', import.meta.url), 'utf8'));
const sampleFollower = sample.data.followers[0];

/** Keys in order, nesting and JSON types; arrays by their first element. */
function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, shapeOf(inner)]);
  }
  return typeof value;
}

describe('renderFollower', () => {
  it("has exactly the sample follower's keys, order and nesting", () => {
    const expected = JSON.stringify(shapeOf(sampleFollower));
    for (let index = 0; index < 60; index++) {
      const follower = JSON.parse(renderFollower(1, PUBLIC_UID, index, { size: 60 }));
      expect(JSON.stringify(shapeOf(follower))).toBe(expected);
    }
  });

  it('is compact JSON written the way the vendor writes it (slashes escaped)', () => {
    const text = renderFollower(1, PUBLIC_UID, 3, { size: 10 });
    expect(text.startsWith('{"react_setting":0,')).toBe(true);
    expect(text).not.toMatch(/\n\s|": /);
    expect(text).toContain('"avatar_larger":{"uri":"tiktok-obj\\/');
    expect(text).toContain('"url_list":["https:\\/\\/p16-sign-sg.tiktokcdn.com');
  });

  it('is deterministic per seed and differs between seeds', () => {
    expect(renderFollower(5, PUBLIC_UID, 17, { size: 20 })).toBe(renderFollower(5, PUBLIC_UID, 17, { size: 20 }));
    expect(renderFollower(5, PUBLIC_UID, 17, { size: 20 })).not.toBe(renderFollower(6, PUBLIC_UID, 17, { size: 20 }));
  });

  it('gives 19-digit string uids, distinct within a list and never the owner', () => {
    const uids = Array.from({ length: 20_000 }, (_, index) => followerUid(1, PUBLIC_UID, index));
    expect(uids.filter((uid) => !/^[1-9]\d{18}$/.test(uid))).toEqual([]);
    const seen = new Set(uids);
    expect(seen.size).toBe(20_000);
    expect(seen.has(PUBLIC_UID)).toBe(false);
    const rendered = renderFollower(1, PUBLIC_UID, 42, { size: 100 });
    expect(rendered).toContain(`"uid":"${followerUid(1, PUBLIC_UID, 42)}"`);
  });

  it('varies the per-follower fields and gives each follower its own avatar URL', () => {
    const followers = Array.from({ length: 50 }, (_, i) => JSON.parse(renderFollower(2, '123', i, { size: 50 })));
    for (const key of ['sec_uid', 'unique_id']) expect(new Set(followers.map((f) => f[key])).size).toBe(50);
    expect(new Set(followers.map((f) => f.avatar_larger.url_list[0])).size).toBe(50);
    for (const key of ['follower_count', 'following_count', 'aweme_count', 'total_favorited', 'region', 'language']) {
      expect(new Set(followers.map((f) => f[key])).size).toBeGreaterThan(3);
    }
    for (const f of followers) {
      expect(f.sec_uid).toMatch(/^MS4wLjABAAAA[\w-]{64}$/);
      expect(f.unique_id).toMatch(/^[a-z0-9._]+$/);
    }
  });

  it('cycles nicknames and signatures through the cases that break exporters', () => {
    const texts = Array.from({ length: 50 }, (_, i) => {
      const follower = JSON.parse(renderFollower(1, PUBLIC_UID, i, { size: 50 }));
      return [follower.nickname, follower.signature] as string[];
    });
    const nicknames = texts.map(([nickname]) => nickname!);
    const all = texts.flat();
    for (const pattern of [/,/, /"/, /\r\n/, /[^\r]\n/, /\t/, /\u200d/, /[\u{1F300}-\u{1FAFF}]/u, /[\u4e00-\u9fff]/, /[\u0600-\u06ff]/, /[\u0590-\u05ff]/]) {
      expect(all.some((text) => pattern.test(text)), String(pattern)).toBe(true);
    }
    for (const lead of ['=', '+', '-', '@', '＝']) expect(nicknames.some((n) => n.startsWith(lead)), lead).toBe(true);
    expect(nicknames.some((n) => /^[A-Za-z ]+$/.test(n))).toBe(true);
  });

  it('writes big room ids as unquoted 19-digit numbers that JSON.parse would round', () => {
    const texts = Array.from({ length: 40 }, (_, i) => renderFollower(1, PUBLIC_UID, i, { size: 40, bigRoomIds: 1 }));
    for (const text of texts) {
      const id = /"room_id":(\d+),/.exec(text)?.[1];
      expect(id).toMatch(/^\d{19}$/);
      expect(BigInt(id!) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
      expect(String(JSON.parse(text).room_id)).not.toBe(id);
    }
    expect(renderFollower(1, PUBLIC_UID, 0, { size: 1 })).toContain('"room_id":0,');
  });
});
