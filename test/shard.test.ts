import { describe, expect, test } from 'vitest';
import { UsageError } from '../src/errors.js';
import { inShard, parseShard, shardOf } from '../src/export/shard.js';

const uids = Array.from({ length: 2000 }, (_, i) => String(7100000000000000000n + BigInt(i) * 7919n));

describe('--shard K/N', () => {
  test('shards are disjoint, their union is the whole list, and they are about even', () => {
    const n = 4;
    const shards = Array.from({ length: n }, (_, k) => uids.filter((uid) => inShard(uid, { index: k + 1, count: n })));
    expect(shards.flat().sort()).toEqual([...uids].sort());
    for (const shard of shards) expect(shard.length).toBeGreaterThan(2000 / n / 1.3);
  });

  test("a uid's shard does not change when the file is reordered or grows", () => {
    const before = new Map(uids.map((uid) => [uid, shardOf(uid, 5)]));
    const grown = [...uids].reverse().concat(['7200000000000000001', '7200000000000000002']);
    for (const uid of grown) if (before.has(uid)) expect(shardOf(uid, 5)).toBe(before.get(uid));
  });

  test('pinned values: the hash is part of the contract (hosts of one run may run different versions)', () => {
    expect(['6754915036232582149', '7200000000000000001', '1'].map((uid) => shardOf(uid, 10))).toEqual([6, 9, 10]);
  });

  test.each(['0/3', '4/3', '1/0', 'a/b', '1', '1/2/3', ''])('"%s" is refused', (text) => {
    expect(() => parseShard(text)).toThrow(UsageError);
  });

  test('1-based K of N', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
  });
});
