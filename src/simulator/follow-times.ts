/**
 * Follow times of a simulated list. The API's cursor is follow time: `cursor=C` answers the
 * followers who followed strictly before C (Unix seconds), newest first, and `min_time` is the
 * follow time of a page's last follower (shared/api/README.md).
 *
 * Follower #i followed at `now - offset(i)`, offset non-decreasing in i. Up to 5 followers share a
 * second (ties), but never across a page boundary: the list is cut into blocks of pageSize
 * followers and block b lives in its own window of seconds [b*G, b*G + G) with G = 3*pageSize + 1,
 * wider than a block can need (steps are 0..3 s). So a page served from a real `min_time` always
 * starts on a fresh second and a strict "before C" loses nobody; ties sit inside pages. The fixed
 * windows also make both lookups O(pageSize), with no table of the whole list in memory.
 */
import { hashString, randomFor } from './seeded-random.js';

const SALT_TIMES = 0x74696d65;
/** TikTok's lists show ties, but we cap them: never more than this many followers in one second. */
const MAX_PER_SECOND = 5;

export interface FollowTimes {
  /** Follow time (Unix seconds) of follower #index. */
  timeOf(index: number): number;
  /** Index of the newest follower who followed strictly before `cursor` (cursor > 0). */
  firstBefore(cursor: number): number;
}

export function followTimes(seed: number, listUid: string, pageSize: number, now: number): FollowTimes {
  const listHash = hashString(listUid);
  const window = 3 * pageSize + 1;
  let cachedBlock = -1;
  let cachedOffsets = new Int32Array(pageSize);

  /** Offsets (seconds before now) of block b's followers, relative to the block's window. */
  function blockOffsets(block: number): Int32Array {
    if (block === cachedBlock) return cachedOffsets;
    const random = randomFor(SALT_TIMES, seed, listHash, block);
    const offsets = new Int32Array(pageSize);
    let run = 1;
    for (let j = 1; j < pageSize; j++) {
      const r = random();
      let step = r < 0.3 ? 0 : r < 0.75 ? 1 : r < 0.9 ? 2 : 3;
      if (step === 0 && run >= MAX_PER_SECOND) step = 1;
      run = step === 0 ? run + 1 : 1;
      offsets[j] = offsets[j - 1]! + step;
    }
    cachedBlock = block;
    cachedOffsets = offsets;
    return offsets;
  }

  return {
    timeOf(index) {
      const block = Math.floor(index / pageSize);
      return now - (block * window + blockOffsets(block)[index - block * pageSize]!);
    },
    firstBefore(cursor) {
      // time < cursor  <=>  offset > now - cursor  <=>  offset >= now - cursor + 1
      const wanted = now - cursor + 1;
      if (wanted <= 0) return 0;
      const block = Math.floor(wanted / window);
      const offsets = blockOffsets(block);
      for (let j = 0; j < pageSize; j++) {
        if (block * window + offsets[j]! >= wanted) return block * pageSize + j;
      }
      return (block + 1) * pageSize;
    },
  };
}
