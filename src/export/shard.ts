/**
 * --shard K/N: which uids of a list this host exports, so N cron hosts (or the N pods of a
 * Kubernetes Indexed Job) split one uids file with no coordinator.
 *
 * A uid belongs to shard 1 + (h mod N), h being the first 32 bits of the SHA-256 of its decimal
 * text. A hash of the uid alone (not its line number) is what makes the split hold when the file
 * is reordered or grows: a uid's shard never changes while N stays the same, shards are disjoint,
 * and together they are the whole file. SHA-256 is in every Node and spreads any set of ids evenly.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

export interface Shard {
  /** 1-based, as Playwright and Jest spell it. */
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count || count > 1_000_000) {
    throw new UsageError(`--shard takes K/N with 1 <= K <= N, e.g. 1/4 (got "${text}")`);
  }
  return { index, count };
}

export function shardOf(uid: string, count: number): number {
  return 1 + (createHash('sha256').update(uid).digest().readUInt32BE(0) % count);
}

export function inShard(uid: string, shard: Shard): boolean {
  return shardOf(uid, shard.count) === shard.index;
}
